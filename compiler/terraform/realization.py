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

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from compiler.errors import Diagnostic

if TYPE_CHECKING:
    from compiler.ir import Architecture, Edge
    from modules.base import Capability

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


# -- the contract: what a working connection needs, by how it compiles ----------------

# The elements every connection compiled as ``via`` needs at run time, whatever its ends.
# ``Service.contract`` (the target's) adds what a particular target needs on top, and
# :func:`required` the facts that follow from where the target runs.
REQUIRED: dict[Capability, frozenset[Element]] = {
    # A workload calling a port: a security-group rule pair, and the address to call.
    "network": frozenset({"path", "discovery"}),
    # A workload calling an AWS API: IAM on the target's ARNs, and the target's name/ARN/URL.
    "api": frozenset({"permission", "discovery"}),
    # CloudFront forwards to the origin (the origin entry and its cache behaviour).
    "origin": frozenset({"trigger"}),
    # Route 53 tells clients where the name points (the alias record), and the target
    # answers for the name (alias and certificate: a path without which it refuses the host).
    "alias": frozenset({"discovery", "path"}),
    # The topic, queue or bucket delivers (subscription, mapping, notification) and the
    # target lets it (queue policy, invoke permission, the consumer's receive policy).
    "subscriber": frozenset({"trigger", "permission"}),
    "consumer": frozenset({"trigger", "permission"}),
    "notify": frozenset({"trigger", "permission"}),
    # A target group registers the target; :func:`required` adds how the balancer reaches it.
    "lb-target": frozenset({"trigger"}),
    # An integration and route; :func:`required` adds how the API reaches the target.
    "api-target": frozenset({"trigger"}),
    # An alarm (or another watch) on the target's metrics.
    "monitor": frozenset({"trigger"}),
    # A browser front end calling an API: the API's URL in its build (discovery) and the
    # API's CORS allowing the front end's origin (permission: else browsers refuse the calls).
    "web-endpoint": frozenset({"discovery", "permission"}),
    # The deployment group names the target's instances; the CodeDeploy role may act on them.
    "deploy-target": frozenset({"trigger", "permission"}),
    # A stage of the pipeline acts on the target; the pipeline's role may act on it.
    "pipeline-stage": frozenset({"trigger", "permission"}),
    # An EventBridge rule or schedule targets it (the rule target) and the target lets
    # EventBridge deliver (invoke permission, queue policy statement, or the role it assumes).
    "event-target": frozenset({"trigger", "permission"}),
    # No wiring of its own: between two AWS services it still needs some part (missing()).
    "none": frozenset(),
}

# What a missing element means, in words ({source}, {target}: the services' names).
MISSING: dict[Element, str] = {
    "path": "no network path: {source} cannot reach {target}",
    "permission": "no permission: nothing allows {source} to reach {target}",
    "discovery": "no discovery: {source} is never told where {target} is",
    "trigger": "no trigger: nothing makes {source} call {target}",
}
# The same, in the words of one kind of connection where they say more.
MISSING_IN: dict[tuple[Capability, Element], str] = {
    ("origin", "trigger"): "no origin: the distribution {source} never forwards to {target}",
    ("alias", "path"): "no alias or certificate: {target} does not answer for the name {source} gives it",
    ("alias", "discovery"): "no DNS record: {source} never points its name at {target}",
    ("lb-target", "trigger"): "no target group: the load balancer {source} never forwards to {target}",
    ("api-target", "trigger"): "no integration: no route of {source} forwards to {target}",
    ("subscriber", "trigger"): "no subscription: {source} never delivers to {target}",
    ("consumer", "trigger"): "no event source mapping: {target} never reads {source}",
    ("notify", "trigger"): "no notification: {source} never notifies {target}",
    ("monitor", "trigger"): "no alarm: {source} watches no metric of {target}",
    ("deploy-target", "trigger"): "no deployment group: {source} never deploys to {target}",
    ("pipeline-stage", "trigger"): "no stage: the pipeline {source} never runs {target}",
}


def outside_aws(edge: Edge, arch: Architecture) -> bool:
    """Whether one end of the connection is outside AWS (users, partners): drawn only."""
    return any(arch.services[end].spec.info.outside_aws for end in (edge.source, edge.target))


def required(edge: Edge, arch: Architecture) -> frozenset[Element]:
    """The elements this connection needs: :data:`REQUIRED` for its ``via``, how a
    load balancer or API reaches its target (a Lambda function is invoked through its
    permission, anything else over the network), and what the target itself adds
    (``Service.contract``)."""
    target = arch.services[edge.target]
    needed = set(REQUIRED[edge.via])
    if edge.via in ("lb-target", "api-target"):
        needed.add("permission" if target.spec.target_type() == "lambda" else "path")
    needed |= target.spec.contract(edge, target)
    return frozenset(needed)


def missing(edge: Edge, parts: list[Part], arch: Architecture) -> str:
    """Why a connection does not work at run time, or "" when its parts cover its needs."""
    src, dst = arch.services[edge.source], arch.services[edge.target]
    names = {"source": edge.source, "target": edge.target}
    if outside_aws(edge, arch):  # people and systems outside AWS: it may be drawn only (the docs say so)
        return ""
    if edge.via == "none":
        if parts:
            return ""
        return (
            f"connection {edge.source} -> {edge.target} ({src.kind} -> {dst.kind}) compiles into nothing: "
            "only a connection to or from something outside AWS (users) may be drawn only"
        )
    have = {p.element for p in parts}
    lacking = [e for e in ELEMENTS if e in required(edge, arch) and e not in have]
    if not lacking:
        return ""
    words = [MISSING_IN.get((edge.via, e), MISSING[e]).format(**names) for e in lacking]
    return f"connection {edge.source} -> {edge.target} ({src.kind} -> {dst.kind}) does not work at run time: {'; '.join(words)}"


def unrealized(arch: Architecture, parts: Callable[[str], list[Part]]) -> list[Diagnostic]:
    """An error at the connection's line for each connection whose parts (``parts(edge.id)``)
    miss an element it needs."""
    found = []
    for edge in arch.edges:
        why = missing(edge, parts(edge.id), arch)
        if why:
            found.append(Diagnostic("connection", why, arch.source_file, *edge.pos))
    return found
