"""Building blocks of the network and security kinds (not a family: it defines no kind).

Validation patterns, emit-time problems, route and path helpers, the API Gateway side
of Lambda and VPC-link integrations, and the logging set-ups (ELB access logs,
CloudFront standard logs, Route 53 query logs, DNSSEC) that need policies of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, NoReturn

from pydantic import AfterValidator, WithJsonSchema

from compiler.errors import ArchcError, Diagnostic
from modules import support
from modules.base import Facts, Problem

if TYPE_CHECKING:
    from compiler.ir import Architecture, Edge, ServiceNode
    from compiler.terraform.context import Ref, ServiceContext

DOMAIN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"  # with max_length=253
ACM_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$"


def _acm_arn(value: str) -> str:
    if not re.match(ACM_ARN, value):
        raise ValueError(f"{value!r} is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)")
    return value


# An ACM certificate's ARN; its region is checked against its user's (certificate_problems).
AcmArn = Annotated[str, AfterValidator(_acm_arn), WithJsonSchema({"type": "string", "pattern": ACM_ARN})]
ROUTE_KEY = re.compile(r"^(\$default|(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /[A-Za-z0-9._~/{}+-]*)$")
LOG_RETENTION_DAYS = 365
# Names reserved for documentation and testing (RFC 2606, RFC 6761): Route 53 refuses to
# create hosted zones for them and their subdomains ("InvalidDomainName: ... is reserved
# by AWS"), and no registrar delegates them.
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "invalid", "localhost", "test")
CERTIFICATE_COMMON_NAME = 64  # ACM RequestCertificate: DomainName is the Common Name, at most 64 octets
# Regions opened in or after August 2022: ELB delivers access logs as a service principal;
# older regions deliver from a regional ELB account.
ELB_PRINCIPAL_REGIONS = frozenset(
    {"ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-south-2", "eu-central-2", "eu-south-2"}
    | {"me-central-1", "il-central-1", "ca-west-1", "mx-central-1"}
)


def fail(ctx: ServiceContext, message: str, edge: Edge | None = None) -> NoReturn:
    """A problem only visible once every service is known (emit time), located at this service
    (or at connection ``edge``)."""
    pos = edge.pos if edge else ctx.node.pos
    raise ArchcError([Diagnostic("conflict", message, ctx.arch.source_file, *pos)])


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


def route_arn(execution_arn: str, key: str) -> str:
    """The execute-api ARN of a route (any stage) that an IAM policy grants ``execute-api:Invoke`` on:
    ANY is every method, path parameters and ``{proxy+}`` any segment.

    >>> route_arn("X", "ANY /payments/{proxy+}"), route_arn("X", "GET /orders/{id}")
    ('X/*/*/payments/*', 'X/*/GET/orders/*')
    """
    method, _, path = key.partition(" ")
    return f"{execution_arn}/*/{'*' if method == 'ANY' else method}{re.sub(r'{[^}]+}', '*', path)}"


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
    partition, account = support.account(ctx)  # the architecture's one pair of data sources
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
            "principals": [{"type": "AWS", "identifiers": [f"arn:{partition}:iam::{account}:root"]}],
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


# --- domains and certificates ----------------------------------------------------------


def reserved_domain(domain: str) -> str | None:
    """The reserved name ``domain`` falls under, if any.

    >>> reserved_domain("shop.example.com"), reserved_domain("app.test"), reserved_domain("travel-booking.io")
    ('example.com', '.test', None)
    """
    for name in RESERVED_DOMAINS:
        if domain == name or domain.endswith(f".{name}"):
            return name
    tld = domain.rsplit(".", 1)[-1]
    return f".{tld}" if tld in RESERVED_TLDS else None


def in_domain(name: str, domain: str) -> bool:
    """Whether host ``name`` is ``domain`` or under it.

    >>> in_domain("www.shop.io", "shop.io"), in_domain("myshop.io", "shop.io")
    (True, False)
    """
    return name == domain or name.endswith(f".{domain}")


def hosted(name: str, zones: tuple[str, ...]) -> bool:
    """Whether one of the model's zones (``Facts.zones``) holds ``name``."""
    return any(in_domain(name, zone) for zone in zones)


def hosting_zone(arch: Architecture, name: str) -> ServiceNode | None:
    """The model's DNS zone holding ``name``: the one with the longest domain."""
    best: tuple[int, ServiceNode] | None = None
    for node in arch.services.values():
        domain = node.spec.hosted_zone()
        if domain and in_domain(name, domain) and (best is None or len(domain) > best[0]):
            best = (len(domain), node)
    return best[1] if best else None


def alias_names(arch: Architecture, edge: Edge) -> list[str]:
    """The host names a zone's alias connection points at its target: the target's own names in
    the zone, else the apex (the zone's first alias connection) or ``<target>.<domain>``."""
    domain = arch.services[edge.source].spec.hosted_zone() or ""
    target = arch.services[edge.target]
    names = [n for n in target.spec.dns_names() if in_domain(n, domain)]
    if names:
        return names
    first = next(e for e in arch.edges_from(edge.source) if e.via == "alias")
    return [domain if first.id == edge.id else f"{target.id}.{domain}"]


def served_names(arch: Architecture, node: ServiceNode) -> list[str]:
    """Every host name a service answers to: its own (``dns_names``) and those the model's zones alias to it."""
    names = list(node.spec.dns_names())
    for edge in arch.edges_to(node.id):
        if edge.via == "alias":
            names += alias_names(arch, edge)
    return list(dict.fromkeys(names))


def zone_id(ctx: ServiceContext, zone: ServiceNode) -> str:
    """The zone id of a zone service: the zone archc creates, or the existing one it looks up."""
    existing = getattr(zone.spec, "zone_id", None)
    return ctx.other(zone.id).stack_ref("data.aws_route53_zone" if existing else "aws_route53_zone").attr("zone_id")


def record_label(name: str, domain: str) -> str:
    """A resource suffix for a host name in a zone: ``apex``, ``www``, ``api_v2``.

    >>> record_label("shop.io", "shop.io"), record_label("api.v2.shop.io", "shop.io")
    ('apex', 'api_v2')
    """
    return "apex" if name == domain else name.removesuffix(f".{domain}").replace(".", "_").replace("-", "_")


def _with_common_name(ctx: ServiceContext, names: list[str]) -> list[str]:
    """``names`` with the certificate's domain name first: ACM takes at most 64 characters there
    (RFC 5280's Common Name), longer names go in the alternative names only. When every name is
    longer, the apex of the first name's zone (validated as well) takes the place.

    Names here are held by a zone of the model (check() refused the others)."""
    common = next((n for n in names if len(n) <= CERTIFICATE_COMMON_NAME), None)
    if common is None:
        zone = hosting_zone(ctx.arch, names[0])
        common = zone.spec.hosted_zone() if zone else None
        if not common or len(common) > CERTIFICATE_COMMON_NAME:
            fail(ctx, f"every host name of {ctx.node.id} is longer than 64 characters, which an ACM certificate needs for one")
    return [common, *(n for n in names if n != common)]


def managed_certificate(ctx: ServiceContext, names: list[str], provider: str = "") -> str:
    """A DNS-validated ACM certificate for ``names``, each held by a zone of the model: the
    certificate, one validation record per name in its zone, and the validation. Returns the
    ARN to serve (the validation's: a listener or distribution then waits until ACM issued it).
    Each resource realizes the zones' alias connections to this service ("path")."""
    names = _with_common_name(ctx, names)
    body: dict[str, object] = {"domain_name": names[0], "validation_method": "DNS", "tags": ctx.tags("certificate")}
    if names[1:]:
        body["subject_alternative_names"] = names[1:]
    # A replacement (another name) is issued before the old one is released by its user.
    certificate = ctx.add("aws_acm_certificate", "certificate", body | {"lifecycle": {"create_before_destroy": True}}, provider=provider)
    parts = [certificate]
    fqdns = []
    for name in names:
        zone = hosting_zone(ctx.arch, name)
        if zone is None:  # check() refuses such names at their line; this is the last guard
            fail(ctx, f"{name} is not in a Route 53 zone of the model, so archc cannot validate a certificate for it")
        option = f'one([for o in {certificate.address}.domain_validation_options : o if o.domain_name == "{name}"])'
        record = ctx.add(
            "aws_route53_record",
            f"validation_{name.replace('.', '_').replace('-', '_')}",  # unique across zones
            {
                "zone_id": zone_id(ctx, zone),
                "name": f"${{{option}.resource_record_name}}",
                "type": f"${{{option}.resource_record_type}}",
                "records": [f"${{{option}.resource_record_value}}"],
                "ttl": 300,
                "allow_overwrite": True,  # names sharing a validation record (www and apex may) write it once
            },
        )
        parts.append(record)
        fqdns.append(record.attr("fqdn"))
    validation = ctx.add(
        "aws_acm_certificate_validation",
        "certificate",
        {"certificate_arn": certificate.arn, "validation_record_fqdns": fqdns},
        provider=provider,
    )
    parts.append(validation)
    for edge in ctx.arch.edges_to(ctx.node.id):
        if edge.via == "alias":
            for ref in parts:
                ctx.stack.realize("path", ref, "certificate validation" if ref.type == "aws_route53_record" else "", edge=edge.id)
    return validation.attr("certificate_arn")


def certificate_problems(arn: str | None, names: list[str], facts: Facts, setting: str, region: str, what: str) -> list[Problem]:
    """An explicit certificate in the region its user reads (``region``); without one, every
    name in a zone of the model, where archc validates the certificate it makes."""
    if arn:
        where = arn.split(":")[3]
        if where != region:
            return [Problem("value", f"certificate_arn is in {where}, but {what} reads certificates from {region} only", "certificate_arn")]
        return []
    return [
        Problem(
            "conflict",
            f"{name} is not in a Route 53 zone of the model, so archc cannot validate a certificate for it: add a route53 "
            f"service for its domain, or set certificate_arn (an ACM certificate in {region} covering it)",
            setting,
        )
        for name in names
        if not hosted(name, facts.zones)
    ]
