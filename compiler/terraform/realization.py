"""What each connection compiled into: the parts that make the call work at run time.

A connection is a promise that one service calls, reads or triggers another. After
emission every connection (``Edge``) has *parts*, each one of four elements:

- ``path``: the network path (a security-group rule pair, a CloudFront alias and its
  certificate, a web ACL in front of the service);
- ``permission``: the identity and permission (an IAM policy on the caller's role, a
  resource policy, a Lambda permission, a key grant);
- ``discovery``: how the caller learns where the target is (an SSM parameter, an
  environment variable, a Service Connect name, a DNS record);
- ``trigger``: what makes the call happen (an event source mapping, a subscription, an
  integration and route, a target group, an origin, an alarm, a pipeline stage).

Parts come from two places: every resource added while the connection is compiled
(``Resource.edge``) whose type says what it does (:data:`ELEMENT_OF_TYPE`), and parts of
other resources the kind names explicitly with ``StackBuilder.realize`` (the origin
entry inside a distribution, a mount in user data, an environment variable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Element = Literal["path", "permission", "discovery", "trigger"]
ELEMENTS: tuple[Element, ...] = ("path", "permission", "discovery", "trigger")


@dataclass(frozen=True, order=True)
class Part:
    """One thing emitted for a connection: what it does, the resource, and where in it."""

    element: Element
    address: str  # Terraform address, "aws_iam_role_policy.api_to_orders"
    detail: str = ""  # where inside the resource, "origin 'assets'", "" for the whole resource


# Resource types whose role in a connection is unambiguous. Types not listed (policy
# documents, cache policies, helper roles) support a part without being one.
ELEMENT_OF_TYPE: dict[str, Element] = {
    "aws_vpc_security_group_ingress_rule": "path",
    "aws_vpc_security_group_egress_rule": "path",
    "aws_apigatewayv2_vpc_link": "path",
    "aws_acm_certificate": "path",
    "aws_acm_certificate_validation": "path",
    "aws_wafv2_web_acl_association": "path",
    "aws_iam_role_policy": "permission",
    "aws_lambda_permission": "permission",
    "aws_sqs_queue_policy": "permission",
    "aws_sns_topic_policy": "permission",
    "aws_s3_bucket_policy": "permission",
    "aws_kms_grant": "permission",
    "aws_ssm_parameter": "discovery",
    "aws_route53_record": "discovery",
    "aws_service_discovery_service": "discovery",
    "aws_lambda_event_source_mapping": "trigger",
    "aws_sns_topic_subscription": "trigger",
    "aws_s3_bucket_notification": "trigger",
    "aws_apigatewayv2_integration": "trigger",
    "aws_apigatewayv2_route": "trigger",
    "aws_lb_target_group": "trigger",
    "aws_lb_target_group_attachment": "trigger",
    "aws_autoscaling_attachment": "trigger",
    "aws_lb_listener_rule": "trigger",
    "aws_cloudwatch_metric_alarm": "trigger",
    "aws_cloudwatch_event_rule": "trigger",
    "aws_cloudwatch_event_target": "trigger",
    "aws_codedeploy_deployment_group": "trigger",
}
