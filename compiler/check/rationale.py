"""The one place where archc explains checkov findings it leaves on purpose.

Each entry names checks that cannot be met meaningfully by a model's own resources
(they ask for something the model does not have, or checkov misreads the JSON), the
resources it applies to, and why. Everything else is either fixed in the Terraform
or relaxed by the model itself with a reason (``Service.decisions()``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from compiler.terraform.context import Resource, StackBuilder

Applies = Callable[[Resource, StackBuilder], bool]


def _always(resource: Resource, stack: StackBuilder) -> bool:
    return True


def _key_policy(resource: Resource, stack: StackBuilder) -> bool:
    """A policy document used as a KMS key policy: there "*" means "this key", the only value AWS accepts."""
    ref = f"${{data.aws_iam_policy_document.{resource.name}.json}}"
    return any(r.type == "aws_kms_key" and r.body.get("policy") == ref for r in stack.resources.values())


def _sg_source(resource: Resource, stack: StackBuilder) -> bool:
    """A rule whose source is a security group or a prefix list (checkov reads only cidr_ipv4 on these)."""
    return bool(resource.body.get("referenced_security_group_id") or resource.body.get("prefix_list_id"))


def _redirect_80(resource: Resource, stack: StackBuilder) -> bool:
    """Port 80 open to the internet only for a listener that redirects to HTTPS."""
    if resource.body.get("from_port") != 80:
        return False
    listener = stack.resources.get(f"aws_lb_listener.{resource.owner.replace('-', '_')}_http")
    actions = listener.body.get("default_action", []) if listener else []
    return bool(actions) and all(a.get("type") == "redirect" for a in actions)


def _default_certificate(resource: Resource, stack: StackBuilder) -> bool:
    certs = resource.body.get("viewer_certificate", [{}])
    return bool(certs and certs[0].get("cloudfront_default_certificate"))


def _attached_elsewhere(resource: Resource, stack: StackBuilder) -> bool:
    """A security group handed to its service through a setting checkov does not follow (e.g. Beanstalk options)."""
    ref = f"${{aws_security_group.{resource.name}.id}}"
    return any(ref in repr(r.body) for r in stack.resources.values() if r is not resource)


def _no_insights_class(resource: Resource, stack: StackBuilder) -> bool:
    return resource.body.get("engine") == "aurora-mysql" and str(resource.body.get("instance_class", "")).startswith("db.t")


def _waf_known_bad_inputs(resource: Resource, stack: StackBuilder) -> bool:
    return any(r.type == "aws_wafv2_web_acl" and "AWSManagedRulesKnownBadInputsRuleSet" in repr(r.body) for r in stack.resources.values())


def _open_route(resource: Resource, stack: StackBuilder) -> bool:
    """An API route without authorization (the API's callers come from outside AWS)."""
    return bool(resource.body.get("authorization_type", "NONE") == "NONE")


def _elb_log_bucket(resource: Resource, stack: StackBuilder) -> bool:
    """A bucket a load balancer delivers its access logs into (ELB writes SSE-S3 objects only)."""
    bucket = f"${{aws_s3_bucket.{resource.name}.id}}"
    return any(
        r.type == "aws_lb" and any(log.get("bucket") == bucket for log in r.body.get("access_logs", [])) for r in stack.resources.values()
    )


@dataclass(frozen=True)
class Rationale:
    """Why archc leaves some checks failing on some resources."""

    checks: tuple[str, ...]
    types: tuple[str, ...]  # resource types (data sources as "data.<type>")
    reason: str
    applies: Applies = _always


CATALOG_RATIONALE: tuple[Rationale, ...] = (
    Rationale(
        ("CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_356"),
        ("data.aws_iam_policy_document",),
        "KMS key policy: Resource '*' means the key itself, the only value AWS accepts",
        _key_policy,
    ),
    Rationale(
        ("CKV_AWS_260", "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"),
        ("aws_vpc_security_group_ingress_rule",),
        "source is a security group or prefix list, not 0.0.0.0/0 (checkov reads only cidr_ipv4 on standalone rules)",
        _sg_source,
    ),
    Rationale(("CKV_AWS_260",), ("aws_vpc_security_group_ingress_rule",), "port 80 is open only to redirect to HTTPS", _redirect_80),
    Rationale(
        ("CKV_AWS_174", "CKV2_AWS_42"),
        ("aws_cloudfront_distribution",),
        "no custom host name: the *.cloudfront.net certificate serves (a route53 connection or aliases bring one, with TLS 1.2_2021)",
        _default_certificate,
    ),
    Rationale(
        ("CKV2_AWS_5",),
        ("aws_security_group",),
        "attached through a setting checkov does not follow (e.g. Beanstalk option settings)",
        _attached_elsewhere,
    ),
    Rationale(
        ("CKV_AWS_353",),
        ("aws_rds_cluster_instance",),
        "Aurora MySQL offers no Performance Insights on burstable (db.t*) classes",
        _no_insights_class,
    ),
    Rationale(
        ("CKV2_AWS_47",),
        ("aws_cloudfront_distribution",),
        "the web ACL has the Log4j rules (AWSManagedRulesKnownBadInputsRuleSet); checkov also asks for the anonymous IP list, "
        "which would block VPN users",
        _waf_known_bad_inputs,
    ),
    Rationale(
        ("CKV_AWS_145",),
        ("aws_s3_bucket",),
        "a load balancer delivers its access logs here, and ELB log delivery writes SSE-S3 objects only (no KMS key)",
        _elb_log_bucket,
    ),
    # Checks that need a resource the model does not have: the model adds it (a log
    # bucket, a WAF, a second region) and archc wires it; archc does not invent it.
    Rationale(
        ("CKV_AWS_18",), ("aws_s3_bucket",), "server access logs need a log bucket of the model; CloudTrail data events are the alternative"
    ),
    Rationale(("CKV_AWS_144",), ("aws_s3_bucket",), "cross-region replication needs a second region; a model describes one region"),
    Rationale(("CKV2_AWS_62",), ("aws_s3_bucket",), "event notifications exist only where a connection asks for one (s3 -> lambda/sqs)"),
    Rationale(("CKV_AWS_91",), ("aws_lb",), "access logs need an s3 service of the model: set access_logs to turn them on"),
    Rationale(
        ("CKV2_AWS_28", "CKV_AWS_68", "CKV2_AWS_47"),
        ("aws_lb", "aws_cloudfront_distribution"),
        "a WAF is a service of its own: a model adds a waf in front",
    ),
    Rationale(("CKV_AWS_86",), ("aws_cloudfront_distribution",), "access logs need a log bucket of the model"),
    Rationale(("CKV_AWS_310",), ("aws_cloudfront_distribution",), "origin failover needs a second origin of the model"),
    Rationale(
        ("CKV_AWS_374",),
        ("aws_cloudfront_distribution",),
        "geo restriction is a business decision; the audience is worldwide unless the model says so",
    ),
    Rationale(("CKV_AWS_305",), ("aws_cloudfront_distribution",), "the default origin is an application, not a bucket of documents"),
    Rationale(
        ("CKV_AWS_378",),
        ("aws_lb_target_group",),
        "TLS ends at the load balancer; targets sit in private subnets, reachable only from its security group",
    ),
    Rationale(
        ("CKV2_AWS_8",),
        ("aws_rds_cluster",),
        "automated backups with point-in-time recovery are on; AWS Backup plans are an account-level choice",
    ),
    Rationale(("CKV_AWS_326",), ("aws_rds_cluster",), "backtracking exists only for Aurora MySQL"),
    Rationale(("CKV_AWS_31",), ("aws_elasticache_replication_group",), "TLS is on; an AUTH token would be a secret in the Terraform state"),
    Rationale(
        ("CKV_AWS_119",),
        ("aws_dynamodb_table",),
        "encrypted with the AWS managed key so callers need no KMS grant beyond their table policy",
    ),
    Rationale(
        ("CKV_AWS_117",),
        ("aws_lambda_function",),
        "a function with no network connection reaches only AWS APIs, over IAM; a VPC adds NAT and no protection",
    ),
    Rationale(
        ("CKV_AWS_272",), ("aws_lambda_function",), "code signing needs a signing profile and signed artifacts from the model's pipeline"
    ),
    Rationale(("CKV_AWS_115",), ("aws_lambda_function",), "a reserved concurrency limit is sized from load the model does not state"),
    Rationale(
        ("CKV_AWS_309",),
        ("aws_apigatewayv2_route",),
        "callers outside AWS reach the route by the model's connections (users, a browser app, CloudFront) and no AWS service "
        "calls it with IAM: it is open, and authorization belongs to the application",
        _open_route,
    ),
    Rationale(("CKV_AWS_252",), ("aws_cloudtrail",), "log delivery notifications need a topic of the model"),
    Rationale(
        ("CKV_AWS_312",),
        ("aws_elastic_beanstalk_environment",),
        "enhanced health is on and streamed to CloudWatch Logs (aws:elasticbeanstalk:cloudwatch:logs:health); "
        "checkov reads another namespace",
    ),
    Rationale(
        ("CKV2_AWS_57",),
        ("aws_secretsmanager_secret",),
        "rotation needs a function that changes the credential where it is issued; its docs page says how to add one",
    ),
    Rationale(
        ("CKV2_AWS_37",), ("aws_codecommit_repository",), "approval rules need the reviewers' identities, which the model does not name"
    ),
)


def catalog_reason(check_id: str, resource: Resource, stack: StackBuilder) -> str | None:
    """The catalog's reason for leaving ``check_id`` failing on ``resource``, if any."""
    rtype = f"data.{resource.type}" if resource.data else resource.type
    for entry in CATALOG_RATIONALE:
        if check_id in entry.checks and rtype in entry.types and entry.applies(resource, stack):
            return entry.reason
    return None
