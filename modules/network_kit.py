"""Building blocks of the network and security kinds (not a family: it defines no kind).

Validation patterns, emit-time problems, route and path helpers, the API Gateway side
of Lambda and VPC-link integrations, and the logging set-ups (ELB access logs,
CloudFront standard logs, Route 53 query logs, DNSSEC) that need policies of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from compiler.errors import ArchcError, Diagnostic
from modules.base import Facts, Problem

if TYPE_CHECKING:
    from compiler.ir import Edge, ServiceNode
    from compiler.terraform.context import Ref, ServiceContext

DOMAIN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"  # with max_length=253
ACM_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$"
CLOUDFRONT_ACM_ARN = r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[A-Za-z0-9-]+$"  # CloudFront reads us-east-1 only
ROUTE_KEY = re.compile(r"^(\$default|(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /[A-Za-z0-9._~/{}+-]*)$")
LOG_RETENTION_DAYS = 365
# Regions opened in or after August 2022: ELB delivers access logs as a service principal;
# older regions deliver from a regional ELB account.
ELB_PRINCIPAL_REGIONS = frozenset(
    {"ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-south-2", "eu-central-2", "eu-south-2"}
    | {"me-central-1", "il-central-1", "ca-west-1", "mx-central-1"}
)


def fail(ctx: ServiceContext, message: str) -> NoReturn:
    """A problem only visible once every service is known (emit time), located at this service."""
    raise ArchcError([Diagnostic("conflict", message, ctx.arch.source_file, *ctx.node.pos)])


def free_suffix(ctx: ServiceContext, rtype: str, base: str) -> str:
    """The first unused resource suffix ``base``, ``base_2``... of this service."""
    suffix, n = base, 1
    while ctx.stack.has(ctx.stack_ref(rtype, suffix)):
        n += 1
        suffix = f"{base}_{n}"
    return suffix


def routes_via(ctx: ServiceContext, via: str) -> list[Edge]:
    """This service's outbound connections wired through capability ``via``, in model order."""
    return [e for e in ctx.arch.edges_from(ctx.node.id) if e.via == via]


def path_problems(facts: Facts, what: str, valid: Callable[[str], object], example: str) -> list[Problem]:
    """At most one route without a path (the default one); every path well-formed."""
    problems = []
    if sum(p is None for p in facts.routes) > 1:
        message = (
            f"only one connection from {what} may omit 'path' (it becomes the default route); give the others a path such as {example}"
        )
        problems.append(Problem("connection", message))
    problems += [
        Problem("value", f"connection path '{p}' is not valid for {what}; use a path such as {example}")
        for p in facts.routes
        if p is not None and not valid(p)
    ]
    return problems


def route_key(path: str | None) -> str:
    """An HTTP API route key from a connection's path.

    >>> route_key(None), route_key("/payments/*"), route_key("GET /orders/{id}")
    ('$default', 'ANY /payments/{proxy+}', 'GET /orders/{id}')
    """
    if path is None or path == "$default":
        return "$default"
    method, _, resource = path.rpartition(" ")
    if resource.endswith("/*"):
        resource = resource[:-1] + "{proxy+}"
    return f"{method or 'ANY'} {resource}"


def web_acl_arn(ctx: ServiceContext) -> str | None:
    """The ARN of the web ACL of a WAF service protecting this service, if any."""
    for other in ctx.arch.services.values():
        acl_for = getattr(other.spec, "web_acl_arn_for", None)
        arn = acl_for(other, ctx.other(other.id), ctx.node.id) if acl_for else None
        if arn:
            return str(arn)
    return None


def custom_origin(domain: str, origin_id: str, https: bool = True) -> dict[str, object]:
    """A CloudFront custom origin over TLS 1.2 (plain HTTP only when the origin has no certificate)."""
    policy = "https-only" if https else "http-only"
    config = {"http_port": 80, "https_port": 443, "origin_protocol_policy": policy, "origin_ssl_protocols": ["TLSv1.2"]}
    return {"domain_name": domain, "origin_id": origin_id, "custom_origin_config": [config]}


def lambda_proxy_integration(node: ServiceNode, ctx: ServiceContext, source: ServiceNode) -> dict[str, object]:
    """The ``api_integration()`` of a Lambda function named after its service: AWS_PROXY, plus
    the permission for API ``source`` (and only it) to invoke the function."""
    function = ctx.stack_ref("aws_lambda_function")
    api = ctx.other(source.id).stack_ref("aws_apigatewayv2_api")
    ctx.add(
        "aws_lambda_permission",
        f"from_{source.tf_name}",
        {
            "statement_id": f"AllowInvokeFrom-{source.id}",
            "action": "lambda:InvokeFunction",
            "function_name": function.attr("function_name"),
            "principal": "apigateway.amazonaws.com",
            "source_arn": f"{api.attr('execution_arn')}/*/*",
        },
    )
    return {"integration_type": "AWS_PROXY", "integration_uri": function.attr("invoke_arn"), "payload_format_version": "2.0"}


def vpc_link(api: ServiceContext, target: ServiceContext, port: int) -> Ref:
    """The API's VPC link into the target's subnets (made on first use), and the rules letting it reach the target."""
    link, group = api.stack_ref("aws_apigatewayv2_vpc_link"), api.stack_ref("aws_security_group", "vpc_link")
    if not api.stack.has(link):
        sg = {
            "name": api.physical_name("aws_security_group", "vpc-link"),
            "description": f"archc: VPC link of {api.node.id}",
            "vpc_id": api.vpc_id,
        }
        api.add("aws_security_group", "vpc_link", {**sg, "tags": api.tags("vpc-link")})
        subnets = target.subnet_ids()
        api.add(
            "aws_apigatewayv2_vpc_link",
            "",
            {
                "name": api.physical_name("aws_apigatewayv2_vpc_link"),
                "security_group_ids": [group.id],
                "subnet_ids": subnets,
                "tags": api.tags(),
            },
        )
    rule = {"from_port": port, "to_port": port, "ip_protocol": "tcp", "description": f"{api.node.id} -> {target.node.id}: VPC link"}
    target.add(
        "aws_vpc_security_group_ingress_rule",
        f"from_{api.node.tf_name}_vpc_link",
        {"security_group_id": target.security_group.id, "referenced_security_group_id": group.id, **rule},
    )
    api.add(
        "aws_vpc_security_group_egress_rule",
        f"vpc_link_to_{target.node.tf_name}",
        {"security_group_id": group.id, "referenced_security_group_id": target.security_group.id, **rule},
    )
    return link


def elb_log_bucket(ctx: ServiceContext, bucket_service: str) -> tuple[str, str]:
    """The name of an s3 service's bucket and the address of its policy, after letting ELB log delivery
    write this service's prefix (statements in the bucket's one policy; the bucket uses SSE-S3, see the
    load balancer's bucket_uses). ELB checks that policy when access logs are turned on: depend on it."""
    from modules.storage import bucket_policy_statement  # a family file: imported on use

    target = ctx.other(bucket_service)
    bucket = target.stack_ref("aws_s3_bucket")
    principal = {"type": "Service", "identifiers": ["logdelivery.elasticloadbalancing.amazonaws.com"]}
    write = {"actions": ["s3:PutObject"], "resources": [f"{bucket.arn}/{ctx.node.id}/AWSLogs/*"]}
    name = "".join(part.title() for part in ctx.node.id.split("-"))  # one statement per load balancer
    policy = bucket_policy_statement(target, {"sid": f"ElbLogDelivery{name}", **write, "principals": [principal]})
    if ctx.arch.region not in ELB_PRINCIPAL_REGIONS:
        account = ctx.data("aws_elb_service_account", "", {})
        principals = [{"type": "AWS", "identifiers": [account.arn]}]
        bucket_policy_statement(target, {"sid": f"ElbAccountLogDelivery{name}", **write, "principals": principals})
    return bucket.id, policy.address


def cloudfront_logging(ctx: ServiceContext, distribution: Ref, bucket_service: str) -> None:
    """Standard logging v2 of a distribution to an s3 service (CloudWatch Logs delivery, in us-east-1):
    unlike legacy logging it needs no bucket ACLs, which archc's buckets disable."""
    bucket = ctx.other(bucket_service).stack_ref("aws_s3_bucket")
    # The source and the destination share one name: both types allow 60 characters.
    name = ctx.physical_name("aws_cloudwatch_log_delivery_source", "access")
    source = ctx.add(
        "aws_cloudwatch_log_delivery_source",
        "access",
        {"name": name, "log_type": "ACCESS_LOGS", "resource_arn": distribution.arn},
        provider="us_east_1",
    )
    destination = ctx.add(
        "aws_cloudwatch_log_delivery_destination",
        "access",
        {
            "name": name,
            "output_format": "parquet",
            "delivery_destination_configuration": [{"destination_resource_arn": bucket.arn}],
            "tags": ctx.tags("access"),
        },
        provider="us_east_1",
    )
    # The bucket's policy (and key) let log delivery write: in place before the delivery starts.
    target = ctx.other(bucket_service)
    ready = [
        target.stack_ref("aws_s3_bucket_policy").address,
        target.stack_ref("aws_s3_bucket_server_side_encryption_configuration").address,
    ]
    ctx.add(
        "aws_cloudwatch_log_delivery",
        "access",
        {"delivery_source_name": source.attr("name"), "delivery_destination_arn": destination.arn, "depends_on": ready},
        provider="us_east_1",
    )


def zone_query_logs(ctx: ServiceContext, zone: Ref, domain: str) -> None:
    """DNS query logs of a public zone: a log group in us-east-1 (where Route 53 writes) and its policy."""
    logs = ctx.add(
        "aws_cloudwatch_log_group",
        "queries",
        {"name": f"/aws/route53/{domain}", "retention_in_days": LOG_RETENTION_DAYS, "tags": ctx.tags("queries")},
        provider="us_east_1",
    )
    statement = {
        "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "resources": [f"{logs.arn}:*"],
        "principals": [{"type": "Service", "identifiers": ["route53.amazonaws.com"]}],
    }
    doc = ctx.data("aws_iam_policy_document", "queries", {"statement": [statement]})
    policy = ctx.add(
        "aws_cloudwatch_log_resource_policy",
        "queries",
        {
            "policy_name": ctx.physical_name("aws_cloudwatch_log_resource_policy", "queries", attribute="policy_name"),
            "policy_document": doc.attr("json"),
        },
        provider="us_east_1",
    )
    body = {"zone_id": zone.attr("zone_id"), "cloudwatch_log_group_arn": logs.arn, "depends_on": [policy.address]}
    ctx.add("aws_route53_query_log", "", body)


def zone_dnssec(ctx: ServiceContext, zone: Ref, domain: str) -> None:
    """DNSSEC signing of a zone with a KMS key in us-east-1 that only Route 53 DNSSEC may sign with."""
    account = ctx.data("aws_caller_identity", "", {}).attr("account_id")
    route53 = [{"type": "Service", "identifiers": ["dnssec-route53.amazonaws.com"]}]
    from_zones = [
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account]},
        {"test": "ArnLike", "variable": "aws:SourceArn", "values": ["arn:aws:route53:::hostedzone/*"]},
    ]
    statements = [
        {
            "sid": "AccountAdmin",
            "actions": ["kms:*"],
            "resources": ["*"],
            "principals": [{"type": "AWS", "identifiers": [f"arn:aws:iam::{account}:root"]}],
        },
        {
            "sid": "Route53Dnssec",
            "actions": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
            "resources": ["*"],
            "principals": route53,
            "condition": from_zones,
        },
        {
            "sid": "Route53DnssecGrant",
            "actions": ["kms:CreateGrant"],
            "resources": ["*"],
            "principals": route53,
            "condition": [{"test": "Bool", "variable": "kms:GrantIsForAWSResource", "values": ["true"]}],
        },
    ]
    doc = ctx.data("aws_iam_policy_document", "dnssec", {"statement": statements})
    key = ctx.add(
        "aws_kms_key",
        "dnssec",
        {
            "description": f"archc: DNSSEC signing key of {domain}",
            "customer_master_key_spec": "ECC_NIST_P256",  # what Route 53 signs with; asymmetric keys do not rotate
            "key_usage": "SIGN_VERIFY",
            "deletion_window_in_days": 30,
            "policy": doc.attr("json"),
            "tags": ctx.tags("dnssec"),
        },
        provider="us_east_1",
    )
    signing = ctx.add(
        "aws_route53_key_signing_key", "", {"hosted_zone_id": zone.id, "key_management_service_arn": key.arn, "name": ctx.tf("ksk")}
    )
    ctx.add("aws_route53_hosted_zone_dnssec", "", {"hosted_zone_id": signing.attr("hosted_zone_id")})
