"""Network and content delivery: load balancers, HTTP APIs, the CDN and DNS.

These kinds sit on the request path. Their outbound connections are their routes
(a load balancer's target groups, an API's integrations, a distribution's origins, a
zone's alias records), compiled by their ``connect()`` through the target's capability
methods (``attach_target_group``, ``api_integration``, ``origin``, ``alias``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field

from modules import support
from modules.base import LOG_DELIVERY, BucketUse, Decision, Facts, KindInfo, Problem, RefTo, Service
from modules.network_kit import (
    DOMAIN,
    LOG_RETENTION_DAYS,
    ROUTE_KEY,
    AcmArn,
    alias_names,
    certificate_problems,
    cloudfront_logging,
    custom_origin,
    elb_log_bucket,
    fail,
    free_suffix,
    hosting_zone,
    managed_certificate,
    path_problems,
    record_label,
    reserved_domain,
    route_arn,
    route_key,
    routes_via,
    served_names,
    vpc_link,
    web_acl_arn,
    zone_dnssec,
    zone_id,
    zone_query_logs,
)
from modules.network_kit import lambda_proxy_integration as lambda_proxy_integration  # re-export: lambda kinds call it

if TYPE_CHECKING:
    from compiler.ir import Edge, ServiceNode
    from compiler.terraform.context import Ref, ServiceContext

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"  # TLS 1.3 and 1.2 only
# A path pattern that matches every request: the listener's default action, not a rule
# (a rule would take the requests of every rule after it).
CATCH_ALL = re.compile(r"^/\*+$")
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"  # the hosted zone of every CloudFront distribution
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
# A cached dynamic answer varies with these (CORS and method overrides), as in AWS's
# UseOriginCacheControlHeaders policies, less Host (see Distribution._origin_cache_control).
ORIGIN_CACHE_KEY_HEADERS = ("Origin", "X-HTTP-Method", "X-HTTP-Method-Override", "X-Method-Override")
# CloudFront Function (viewer request) of a single-page app's default behaviour: a path
# whose last segment has no file extension is a client-side route, answered with the
# app's shell; files and every other behaviour (APIs) keep their own answers and status.
# ES 5.1 only, and no "${" or "%{" (Terraform templates).
SPA_FUNCTION = """function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""
# API Gateway access log fields; "$context..." are API Gateway variables, not Terraform's.
ACCESS_LOG = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationError": "$context.integrationErrorMessage",
}


class LoadBalancer(Service):
    """An Application Load Balancer routing by URL path to target groups, one per target."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Application Load Balancer",
        family="network",
        summary="Spreads HTTP(S) requests over targets in several availability zones, routing by URL path.",
        icon="aws.network.ElbApplicationLoadBalancer",
        placement="public",
        port=443,
        needs="lb-target",
        offers=("origin", "alias", "api-target"),
        internet_entry=True,
    )
    waf_scope: ClassVar[str] = "REGIONAL"

    kind: Literal["alb"]
    internal: bool = Field(
        False, description="Reachable from inside the VPC only (private subnets); default: internet-facing (public subnets)."
    )
    certificate_arn: AcmArn | None = Field(
        None,
        description="ACM certificate (in the architecture's region) for HTTPS; none: archc makes one for domain (DNS-validated "
        "in the model's Route 53 zone holding it), or, without a domain, plain HTTP on port 80.",
    )
    listeners: Literal["https", "https-only", "http"] | None = Field(
        None,
        description="https: HTTPS on 443 plus port 80 redirecting to it; https-only: 443 alone; http: HTTP on 80. "
        "Default: https with a certificate_arn or a domain, else http.",
    )
    domain: str | None = Field(
        None,
        pattern=DOMAIN,
        max_length=253,
        description="Host name clients use, covered by the certificate: CloudFront and API Gateway then reach the ALB by this "
        "name (HTTPS needs it: the certificate does not cover the *.elb.amazonaws.com name), and Route 53 aliases it. "
        "Without certificate_arn it must be in a route53 zone of the model, where archc validates its certificate.",
    )
    ssl_policy: str = Field(TLS_POLICY, description="TLS policy of the HTTPS listener.")
    idle_timeout: int = Field(60, ge=1, le=4000, description="Seconds a connection may stay idle.")
    access_logs: Annotated[str | None, RefTo(("s3",))] = Field(
        None,
        description="An s3 service receiving access logs; ALB log delivery writes SSE-S3 objects only, so that bucket "
        "uses SSE-S3 (its encryption setting, if given, must be sse-s3), and the ALB adds its statements to the bucket policy.",
    )
    deletion_protection: bool = Field(True, description="Refuse to delete the load balancer until this is turned off.")

    def after_apply(self, node: ServiceNode) -> tuple[str, ...]:
        """Deletion protection outlives the apply: it must be turned off before a destroy."""
        return (support.DELETION_PROTECTED.format(what="load balancer"),) if self.deletion_protection else ()

    def bucket_uses(self, me: str, bucket: str, vias: tuple[str, ...]) -> tuple[BucketUse, ...]:
        """ELB log delivery writes into the access_logs bucket, with SSE-S3 only."""
        if self.access_logs != bucket:
            return ()
        return (BucketUse(f"alb '{me}' delivers its access logs here, and ELB log delivery writes SSE-S3 objects only", None),)

    def _mode(self) -> str:
        return self.listeners or ("https" if self.certificate_arn or self.domain else "http")

    def placement(self, reaches_vpc: bool) -> Literal["public", "private"]:
        """Public subnets when internet-facing, private ones when internal."""
        return "private" if self.internal else "public"

    def inbound_port(self) -> int:
        """443 with HTTPS, 80 without."""
        return 80 if self._mode() == "http" else 443

    def check(self, facts: Facts) -> list[Problem]:
        """Two zones, a certificate for HTTPS, one default route, path patterns."""
        problems = []
        if facts.azs < 2:
            problems.append(Problem("conflict", "an ALB needs subnets in at least 2 availability zones (set network.azs: 2 or more)"))
        if self._mode() != "http" and not (self.certificate_arn or self.domain):
            problems.append(
                Problem(
                    "conflict",
                    f"listeners: {self._mode()} needs a certificate: set domain (in a route53 zone of the model: archc makes "
                    "and validates the certificate) or certificate_arn (an ACM certificate in the architecture's region)",
                    "listeners",
                )
            )
        elif self._mode() != "http":
            names = [self.domain] if self.domain else []
            problems += certificate_problems(self.certificate_arn, names, facts, "domain", facts.region, "an ALB")
        if self._mode() == "http" and self.certificate_arn:
            problems.append(
                Problem("conflict", "listeners: http serves no certificate; use https or https-only with certificate_arn", "listeners")
            )
        defaults = [p for p in facts.routes if p is None or CATCH_ALL.match(p)]
        if len(defaults) > 1:
            message = (
                "only one connection from an ALB may be its default route (no path, or a path matching everything such as "
                "'/*'); give the others a path such as '/api/*'"
            )
            problems.append(Problem("connection", message))
        ruled = dataclasses.replace(facts, routes=tuple(p for p in facts.routes if p is not None and not CATCH_ALL.match(p)))
        return problems + path_problems(ruled, "an ALB", re.compile(r"^/\S{0,127}$").match, "'/api/*'")

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The load balancer, its listeners, and its ingress from the internet."""
        body: dict[str, object] = {
            "name": ctx.physical_name("aws_lb"),
            "load_balancer_type": "application",
            "internal": self.internal,
            "subnets": ctx.subnet_ids(),
            "security_groups": [ctx.security_group.id],
            "drop_invalid_header_fields": True,
            "enable_deletion_protection": self.deletion_protection,
            "enable_http2": True,
            "idle_timeout": self.idle_timeout,
            "tags": ctx.tags(),
        }
        if self.access_logs:
            bucket, policy = elb_log_bucket(ctx, self.access_logs)
            body |= {"access_logs": [{"bucket": bucket, "prefix": node.id, "enabled": True}], "depends_on": [policy]}
        lb = ctx.add("aws_lb", "", body)
        self._listeners(node, ctx, lb)
        if not self.internal:
            self._internet_ingress(node, ctx)
        ctx.output("dns_name", lb.attr("dns_name"), f"DNS name of the {node.id} load balancer.")

    def _listeners(self, node: ServiceNode, ctx: ServiceContext, lb: Ref) -> None:
        mode = self._mode()
        # No default connection: unmatched paths get a 404 rather than a random target.
        not_found = [
            {
                "type": "fixed-response",
                "fixed_response": [{"content_type": "text/plain", "message_body": "Not found", "status_code": "404"}],
            }
        ]
        if mode != "http":
            https = ctx.add(
                "aws_lb_listener",
                "https",
                {
                    "load_balancer_arn": lb.arn,
                    "port": 443,
                    "protocol": "HTTPS",
                    "ssl_policy": self.ssl_policy,
                    "certificate_arn": self.certificate_arn or managed_certificate(ctx, served_names(ctx.arch, node)),
                    "default_action": not_found,
                    "tags": ctx.tags("https"),
                },
            )
            for edge in ctx.arch.edges_to(node.id):
                if edge.via == "alias":  # the names Route 53 points here are served with this certificate
                    ctx.stack.realize("path", https, "HTTPS listener certificate", edge=edge.id)
        if mode != "https-only":
            redirect = [{"type": "redirect", "redirect": [{"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}]}]
            action = redirect if mode == "https" else not_found
            http = ctx.add(
                "aws_lb_listener",
                "http",
                {"load_balancer_arn": lb.arn, "port": 80, "protocol": "HTTP", "default_action": action, "tags": ctx.tags("http")},
            )
            if mode == "http":  # no certificate: the names Route 53 points here are served over HTTP, whatever the host
                for edge in ctx.arch.edges_to(node.id):
                    if edge.via == "alias":
                        ctx.stack.realize("path", http, "HTTP listener (any host name, no certificate)", edge=edge.id)

    def relaxations(self) -> list[Decision]:
        """Plain HTTP listeners (no certificate, or listeners: http) relax HTTPS."""
        if self._mode() != "http":
            return []
        checks = ("CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20") + (() if self.internal else ("CKV_AWS_260",))
        value = "http" if "listeners" in self.model_fields_set else "http (no certificate_arn)"
        return [Decision("listeners", value, "https", "", checks)]

    def _listener(self, ctx: ServiceContext) -> Ref:
        """The listener that forwards to targets."""
        return ctx.stack_ref("aws_lb_listener", "http" if self._mode() == "http" else "https")

    def _internet_ingress(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Ingress on the listener ports: from anywhere, or from CloudFront only when it is the only way in."""
        ports = {"https": [443, 80], "https-only": [443], "http": [80]}[self._mode()]
        entries = [e for e in ctx.arch.edges_to(node.id) if e.via not in ("none", "network")]
        source: dict[str, str] = {"cidr_ipv4": "0.0.0.0/0"}
        who = "internet"
        if entries and all(e.via == "origin" for e in entries):
            prefix_list = ctx.data("aws_ec2_managed_prefix_list", "cloudfront", {"name": "com.amazonaws.global.cloudfront.origin-facing"})
            source, who, ports = {"prefix_list_id": prefix_list.id}, "cloudfront", [self.inbound_port()]
        for port in ports:
            ctx.add(
                "aws_vpc_security_group_ingress_rule",
                f"from_{who}_{port}",
                {
                    "security_group_id": ctx.security_group.id,
                    "ip_protocol": "tcp",
                    "from_port": port,
                    "to_port": port,
                    "description": f"{who} -> {node.id}: {'HTTPS' if port == 443 else 'HTTP'}",
                    **source,
                },
            )

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """A target group for ``target``, and the listener's default action (no path, or a path
        matching everything) or a path rule to it, ahead of the rules for less specific paths;
        then the target registers in a new group (after the rule, which it may wait for)."""
        group, created = self._target_group(edge, target, ctx)
        action = [{"type": "forward", "target_group_arn": group.arn}]
        listener = self._listener(ctx)
        if edge.path is None or CATCH_ALL.match(edge.path):
            ctx.stack.body(listener)["default_action"] = action
        else:
            ruled = [e for e in routes_via(ctx, "lb-target") if e.path is not None and not CATCH_ALL.match(e.path)]
            ctx.add(
                "aws_lb_listener_rule",
                free_suffix(ctx, "aws_lb_listener_rule", target.tf_name),
                {
                    "listener_arn": listener.arn,
                    # The ALB tries rules lowest priority first: the most specific path first.
                    "priority": 10 * (sorted(ruled, key=lambda e: _specificity(str(e.path))).index(edge) + 1),
                    "action": action,
                    "condition": [{"path_pattern": [{"values": _path_values(edge.path)}]}],
                    "tags": ctx.tags(target.id),
                },
            )
        if created:
            target.spec.attach_target_group(target, ctx.other(target.id), group.arn, edge.port or 80)

    def _target_group(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> tuple[Ref, bool]:
        """One target group per target and port (and whether this connection made it)."""
        port = edge.port or 80
        suffix, name = target.tf_name, target.id
        existing = ctx.stack_ref("aws_lb_target_group", suffix)
        if ctx.stack.has(existing):
            if ctx.stack.body(existing).get("port", port) == port:
                return existing, False
            suffix, name = f"{suffix}_{port}", f"{name}-{port}"
        kind = target.spec.target_type()
        body: dict[str, object] = {"name": ctx.physical_name("aws_lb_target_group", name), "target_type": kind, "tags": ctx.tags(name)}
        if kind != "lambda":  # a Lambda target has no port, protocol or VPC
            health = {"enabled": True, "path": target.spec.health_check_path(), "matcher": "200-399", "protocol": "HTTP", "interval": 30}
            body |= {"port": port, "protocol": "HTTP", "protocol_version": "HTTP1", "vpc_id": ctx.vpc_id, "health_check": [health]}
        return ctx.add("aws_lb_target_group", suffix, body), True

    # --- as a target ---------------------------------------------------------------

    def origin(self, node: ServiceNode, ctx: ServiceContext, source: ServiceNode) -> dict[str, object]:
        """A custom origin: HTTPS to ``domain`` when there is a certificate, else HTTP to the DNS name."""
        if self.internal:
            fail(ctx, f"alb '{node.id}' is internal, so CloudFront '{source.id}' cannot reach it; set internal: false")
        return custom_origin(self._public_host(node, ctx, source), node.id, self._mode() != "http")

    def _public_host(self, node: ServiceNode, ctx: ServiceContext, source: ServiceNode) -> str:
        """The name a service outside the VPC reaches it by; over HTTPS it must be one the certificate covers."""
        if self._mode() != "http" and not self.domain:
            fail(ctx, f"{source.id} reaches alb '{node.id}' over HTTPS, so the ALB needs a domain its certificate covers (set domain)")
        zone = hosting_zone(ctx.arch, self.domain) if self.domain else None
        aliased = [n for e in ctx.arch.edges_to(node.id) if e.via == "alias" for n in alias_names(ctx.arch, e)]
        if zone and self.domain not in aliased:  # a zone of the model holds the name: only a record there resolves it
            fail(
                ctx,
                f"{source.id} reaches alb '{node.id}' at {self.domain}, but no record of route53 '{zone.id}' points that name "
                f"at the ALB: connect {zone.id} -> {node.id}",
            )
        return self.domain or ctx.stack_ref("aws_lb").attr("dns_name")

    def alias(self, node: ServiceNode, ctx: ServiceContext) -> dict[str, object]:
        """The load balancer's DNS name and zone."""
        lb = ctx.stack_ref("aws_lb")
        return {"name": lb.attr("dns_name"), "zone_id": lb.attr("zone_id"), "evaluate_target_health": True}

    def dns_names(self) -> tuple[str, ...]:
        """The ``domain`` setting."""
        return (self.domain,) if self.domain else ()

    def waf_resource_arn(self, node: ServiceNode, ctx: ServiceContext) -> str:
        """What a regional web ACL is associated with."""
        return ctx.stack_ref("aws_lb").arn

    def api_integration(self, node: ServiceNode, ctx: ServiceContext, source: ServiceNode) -> dict[str, object]:
        """HTTP proxy to the listener: through a VPC link when internal, else to the public name."""
        https = self._mode() != "http"
        body: dict[str, object] = {
            "integration_type": "HTTP_PROXY",
            "integration_method": "ANY",
            "payload_format_version": "1.0",
            "request_parameters": {"overwrite:path": "$request.path"},  # keep the client's path
        }
        if not self.internal:
            # The API calls the public name: the path is the internet listener (open to the internet).
            ctx.stack.realize("path", self._listener(ctx), "internet-facing listener the API calls by its public name")
            return body | {"integration_uri": f"{'https' if https else 'http'}://{self._public_host(node, ctx, source)}"}
        link = vpc_link(ctx.other(source.id), ctx, self.inbound_port())
        body |= {"connection_type": "VPC_LINK", "connection_id": link.id, "integration_uri": self._listener(ctx).arn}
        if https and self.domain:
            body["tls_config"] = [{"server_name_to_verify": self.domain}]
        return body


def _specificity(path: str) -> tuple[int, int]:
    """Sort key of ALB path patterns, most specific first: more literal characters, then fewer
    wildcards (ties keep the model's order).

    >>> sorted(["/api/*", "/api/intrusions/*", "/api/v?/health"], key=_specificity)
    ['/api/intrusions/*', '/api/v?/health', '/api/*']
    """
    wildcards = path.count("*") + path.count("?")
    return -(len(path) - wildcards), wildcards


class HttpApi(Service):
    """An API Gateway HTTP API with a $default stage, throttling and access logs."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon API Gateway",
        family="network",
        summary="A managed HTTP API front door: routes requests to functions or load balancers, with throttling, JWT auth and access logs.",
        icon="aws.network.APIGateway",
        access={"invoke": ("execute-api:Invoke",)},
        needs="api-target",
        offers=("origin", "alias", "web-endpoint"),
        internet_entry=True,
    )

    kind: Literal["api-gateway"]
    throttle_rate: int = Field(100, ge=1, le=10000, description="Steady requests per second across all routes.")
    throttle_burst: int = Field(200, ge=1, le=5000, description="Requests allowed in a burst above the steady rate.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Web origins allowed to call the API from browsers (CORS); none: CORS off."
    )
    authorizer: Annotated[str | None, RefTo(("cognito",))] = Field(
        None, description="A cognito service whose sign-in tokens (JWT) every route requires; none: see authorization."
    )
    domain: str | None = Field(
        None,
        pattern=DOMAIN,
        max_length=253,
        description="Custom domain name, e.g. api.travel-booking.io; none: the name a route53 connection gives it, if any. "
        "Without certificate_arn it must be in a route53 zone of the model, where archc validates its certificate.",
    )
    certificate_arn: AcmArn | None = Field(
        None, description="ACM certificate covering domain, in the architecture's region; none: archc makes one (DNS-validated)."
    )
    authorization: Literal["iam", "none"] | None = Field(
        None,
        description="Who may call the routes. iam: callers sign their requests with AWS credentials (SigV4) and need "
        "execute-api:Invoke on the route, which a connection with access: invoke grants; none: open routes (needs a "
        "reasons: entry). Default: with authorizer, its tokens (JWT); else open when the model's connections bring "
        "callers from outside AWS (users, a browser app, CloudFront) and no AWS service calls it with IAM, iam otherwise.",
    )

    def check(self, facts: Facts) -> list[Problem]:
        """A certificate serves a domain, in this region or validated in the model; routes are valid and distinct."""
        problems = []
        if self.authorization == "iam" and self.authorizer:
            message = "authorization: iam and authorizer exclude each other (a route takes one kind of authorization)"
            problems.append(Problem("conflict", message, "authorization"))
        if self.certificate_arn and not self.domain:
            problems.append(Problem("conflict", "certificate_arn needs domain (the custom domain it covers)", "certificate_arn"))
        elif self.domain:
            problems += certificate_problems(self.certificate_arn, [self.domain], facts, "domain", facts.region, "API Gateway")
        keys = [route_key(p) for p in facts.routes]
        problems += [Problem("connection", f"two connections use the route '{k}'") for k in sorted({k for k in keys if keys.count(k) > 1})]
        return problems + path_problems(
            facts, "an API gateway", lambda p: ROUTE_KEY.match(route_key(p)), "'/orders/*' or 'GET /orders/{id}'"
        )

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The API, its logged and throttled $default stage, JWT authorizer and custom domain."""
        body: dict[str, object] = {
            "name": ctx.physical_name("aws_apigatewayv2_api"),
            "protocol_type": "HTTP",
            "description": f"archc: {node.id}",
            "tags": ctx.tags(),
        }
        if self.cors_origins:
            body["cors_configuration"] = [_cors(self.cors_origins)]
        api = ctx.add("aws_apigatewayv2_api", "", body)
        logs = ctx.add(
            "aws_cloudwatch_log_group",
            "access",
            {"name": f"/aws/apigateway/{ctx.aws_name()}", "retention_in_days": LOG_RETENTION_DAYS, "tags": ctx.tags("access")},
        )
        settings = {
            "throttling_rate_limit": self.throttle_rate,
            "throttling_burst_limit": self.throttle_burst,
            "detailed_metrics_enabled": True,
        }
        stage = ctx.add(
            "aws_apigatewayv2_stage",
            "",
            {
                "api_id": api.id,
                "name": "$default",
                "auto_deploy": True,
                "access_log_settings": [{"destination_arn": logs.arn, "format": json.dumps(ACCESS_LOG, sort_keys=True)}],
                "default_route_settings": [settings],
                "tags": ctx.tags("default"),
            },
        )
        if self.authorizer:
            cognito = ctx.arch.services[self.authorizer]
            jwt = cognito.spec.jwt(cognito, ctx.other(cognito.id))  # type: ignore[attr-defined]
            ctx.add(
                "aws_apigatewayv2_authorizer",
                "",
                {
                    "api_id": api.id,
                    "name": ctx.physical_name("aws_apigatewayv2_authorizer", "jwt"),
                    "authorizer_type": "JWT",
                    "identity_sources": ["$request.header.Authorization"],
                    "jwt_configuration": [jwt],
                },
            )
        self._route_authorization(node, ctx)
        names = served_names(ctx.arch, node)
        if names:
            self._domain(node, ctx, api, stage, names)
        ctx.output("endpoint", api.attr("api_endpoint"), f"Invoke URL of the {node.id} API.")

    def _domain(self, node: ServiceNode, ctx: ServiceContext, api: Ref, stage: Ref, names: list[str]) -> None:
        """The custom domain (``domain``, else the name a Route 53 connection gives the API) and its certificate."""
        if len(names) > 1:
            fail(ctx, f"api-gateway '{node.id}' has one custom domain, but Route 53 gives it {', '.join(names)}: set domain")
        certificate = self.certificate_arn or managed_certificate(ctx, names)
        config = {"certificate_arn": certificate, "endpoint_type": "REGIONAL", "security_policy": "TLS_1_2"}
        name = ctx.add(
            "aws_apigatewayv2_domain_name",
            "",
            {"domain_name": names[0], "domain_name_configuration": [config], "tags": ctx.tags("domain")},
        )
        mapping = ctx.add("aws_apigatewayv2_api_mapping", "", {"api_id": api.id, "domain_name": name.id, "stage": stage.id})
        for edge in ctx.arch.edges_to(node.id):
            if edge.via == "alias":  # the name Route 53 points here is served by the custom domain
                ctx.stack.realize("path", name, "custom domain and certificate", edge=edge.id)
                ctx.stack.realize("path", mapping, "", edge=edge.id)

    def relaxations(self) -> list[Decision]:
        """Open routes by choice (authorization: none) relax IAM authorization."""
        return [Decision("authorization", "none", "iam", "", ("CKV_AWS_309",))] if self.authorization == "none" else []

    def _route_authorization(self, node: ServiceNode, ctx: ServiceContext) -> str:
        """The authorization type of every route: one per API, so the callers must agree on it.

        AWS services calling the API with IAM (``api`` connections: a role granted execute-api:Invoke)
        need AWS_IAM routes, or the grant protects nothing. Callers outside AWS (users, browser apps,
        CloudFront, which signs no request to an API) need open routes or the authorizer's tokens.
        """
        signed = [e for e in ctx.arch.edges_to(node.id) if e.via == "api"]
        public = [e for e in ctx.arch.edges_to(node.id) if e.via in ("none", "origin")]
        if self.authorizer:
            if signed:
                fail(
                    ctx,
                    f"{signed[0].source} calls api-gateway '{node.id}' with IAM (access: {signed[0].access}), but its routes "
                    f"take the tokens of authorizer '{self.authorizer}' (JWT), so the grant admits no request; remove the "
                    "authorizer, or this connection",
                    signed[0],
                )
            return "JWT"
        if self.authorization:
            return "AWS_IAM" if self.authorization == "iam" else "NONE"
        if signed and public:
            fail(
                ctx,
                f"{signed[0].source} calls api-gateway '{node.id}' with IAM (access: {signed[0].access}), but "
                f"{public[0].source} reaches it from outside AWS, and one authorization covers every route: set authorization: "
                "iam (every caller signs its requests with AWS credentials) or none (open routes, with a reasons: entry)",
                signed[0],
            )
        return "NONE" if public else "AWS_IAM"

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """A route (``edge.path``) to an integration with ``target`` (one per target), with the API's authorization."""
        api = ctx.stack_ref("aws_apigatewayv2_api")
        integration = ctx.stack_ref("aws_apigatewayv2_integration", target.tf_name)
        if not ctx.stack.has(integration):
            body = target.spec.api_integration(target, ctx.other(target.id), ctx.node)
            ctx.add(
                "aws_apigatewayv2_integration", target.tf_name, {"api_id": api.id, "description": f"{ctx.node.id} -> {target.id}", **body}
            )
        else:  # another route to the same target: through the first one's integration and its path
            from compiler.terraform.context import Ref  # plain data: no cdktn

            first = next(e for e in ctx.arch.edges_from(ctx.node.id) if e.target == target.id)
            for part in ctx.stack.parts(first.id):
                if part.element in ("path", "permission") or part.address == integration.address:
                    ref = Ref(*part.address.split(".", 1))
                    ctx.stack.realize(part.element, ref, f"shared with {first.id}")
        route: dict[str, object] = {"api_id": api.id, "route_key": route_key(edge.path), "target": f"integrations/{integration.id}"}
        authorization = self._route_authorization(ctx.node, ctx)
        if authorization == "JWT":
            route |= {"authorization_type": "JWT", "authorizer_id": ctx.stack_ref("aws_apigatewayv2_authorizer").id}
        elif authorization == "AWS_IAM":
            route["authorization_type"] = "AWS_IAM"
        ref = ctx.add("aws_apigatewayv2_route", free_suffix(ctx, "aws_apigatewayv2_route", target.tf_name), route)
        for caller in ctx.arch.edges_to(ctx.node.id):
            if caller.via == "api" and authorization == "AWS_IAM":  # the route admits the caller's signed requests only
                ctx.stack.realize("permission", ref, "AWS_IAM authorization", edge=caller.id)

    # --- as a target ---------------------------------------------------------------

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """Each route (any stage); everything when a $default route answers every path."""
        execution = ctx.stack_ref("aws_apigatewayv2_api").attr("execution_arn")
        keys = [route_key(e.path) for e in ctx.arch.edges_from(node.id) if e.via == "api-target"]
        if not keys or "$default" in keys:
            return [f"{execution}/*"]
        return [route_arn(execution, key) for key in dict.fromkeys(keys)]

    def web_endpoint(self, node: ServiceNode, ctx: ServiceContext, source: ServiceNode, web_origin: str) -> str:
        """The invoke URL; browsers on ``web_origin`` may call it (CORS, answered by API Gateway)."""
        api = ctx.stack_ref("aws_apigatewayv2_api")
        cors = ctx.stack.body(api).setdefault("cors_configuration", [_cors([])])[0]
        if web_origin not in cors["allow_origins"]:
            cors["allow_origins"].append(web_origin)
        ctx.stack.realize("permission", api, f"CORS origin {web_origin}")
        return api.attr("api_endpoint")

    def origin(self, node: ServiceNode, ctx: ServiceContext, source: ServiceNode) -> dict[str, object]:
        """The execute-api host name, over HTTPS."""
        return custom_origin(f"{ctx.stack_ref('aws_apigatewayv2_api').id}.execute-api.{ctx.arch.region}.amazonaws.com", node.id)

    def alias(self, node: ServiceNode, ctx: ServiceContext) -> dict[str, object]:
        """The custom domain's regional endpoint (made in terraform() for the names Route 53 gives it)."""
        name = ctx.stack_ref("aws_apigatewayv2_domain_name")
        config = "domain_name_configuration[0]"
        return {
            "name": name.attr(f"{config}.target_domain_name"),
            "zone_id": name.attr(f"{config}.hosted_zone_id"),
            "evaluate_target_health": False,
        }

    def dns_names(self) -> tuple[str, ...]:
        """The custom domain."""
        return (self.domain,) if self.domain else ()


def _cors(origins: list[str]) -> dict[str, Any]:
    """An HTTP API's CORS rule for browsers on ``origins`` (API Gateway answers the preflight)."""
    return {"allow_origins": list(origins), "allow_methods": ["*"], "allow_headers": ["authorization", "content-type"]}


class Distribution(Service):
    """A CloudFront distribution: one origin per connection, HTTPS to viewers, managed cache policies."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon CloudFront",
        family="network",
        summary="A global CDN in front of buckets, load balancers and APIs: caches static content and forwards dynamic requests.",
        icon="aws.network.CloudFront",
        needs="origin",
        offers=("alias",),
        internet_entry=True,
    )
    waf_scope: ClassVar[str] = "CLOUDFRONT"

    def after_apply(self, node: ServiceNode) -> tuple[str, ...]:
        """A new account may not create distributions until AWS Support has verified it."""
        return (
            'On a new AWS account the first apply may stop at this distribution with AccessDenied: "Your account must be '
            'verified before you can add new CloudFront resources". Open a case with AWS Support (the error message asks '
            "for it; an account without a support plan can open an account and billing case), wait for the verification, "
            "then run terraform apply again: it creates what is left.",
        )

    kind: Literal["cloudfront"]
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        "PriceClass_100", description="Edge locations used: 100 (North America, Europe), 200 (most), All."
    )
    certificate_arn: AcmArn | None = Field(
        None,
        description="ACM certificate in us-east-1 covering the aliases; none: archc makes one for them (DNS-validated in the "
        "model's route53 zones), or, without aliases, the *.cloudfront.net certificate.",
    )
    aliases: list[Annotated[str, Field(pattern=DOMAIN, max_length=253)]] = Field(
        default_factory=list,
        description="Custom host names, e.g. www.travel-booking.io, besides those a route53 connection gives it; each in a route53 "
        "zone of the model unless certificate_arn covers them.",
    )
    default_root_object: str | None = Field(
        None, description="Object served for '/'; default: index.html when the default origin is a website bucket."
    )
    spa: bool = Field(
        False,
        description="Single-page app with client-side routing: the default behaviour (a bucket) answers paths without a "
        "file extension with /index.html (a CloudFront Function on viewer requests); other paths, e.g. /api/*, keep "
        "their origin's answers and status codes.",
    )
    access_logs: Annotated[str | None, RefTo(("s3",))] = Field(
        None,
        description="An s3 service receiving access logs (standard logging v2, delivered by CloudWatch Logs: the bucket's "
        "policy and, with a customer managed key, its key policy let delivery.logs.amazonaws.com write).",
    )
    cached_paths: list[str] = Field(
        default_factory=list,
        description="Paths of load balancer or API origins (their connections' paths, e.g. '/api/products/*') whose answers "
        "CloudFront caches as far as the origin's Cache-Control headers allow (nothing without them), keyed by the query "
        "string and the Origin and method-override headers, never by cookies or Host (a cache policy of the distribution's "
        "own). Other paths of such origins are never cached.",
    )

    def bucket_uses(self, me: str, bucket: str, vias: tuple[str, ...]) -> tuple[BucketUse, ...]:
        """An origin bucket is read by CloudFront itself (origin access control); access logs are delivered by CloudWatch Logs."""
        uses = []
        if "origin" in vias:
            uses.append(
                BucketUse(
                    f"cloudfront '{me}' reads its objects through an origin access control, which cannot use the AWS managed key",
                    "cloudfront.amazonaws.com",
                )
            )
        if self.access_logs == bucket:
            uses.append(BucketUse(f"cloudfront '{me}' delivers its access logs here (CloudWatch Logs delivery)", LOG_DELIVERY))
        return tuple(uses)

    def check(self, facts: Facts) -> list[Problem]:
        """Aliases need a certificate; at least one origin; one default; valid path patterns."""
        problems = certificate_problems(self.certificate_arn, self.aliases, facts, "aliases", "us-east-1", "CloudFront")
        if not facts.routes:
            problems.append(
                Problem("connection", "a cloudfront distribution needs an origin: connect it to an s3, alb or api-gateway service")
            )
        problems += [
            Problem("value", f"cached_paths: '{path}' is not the path of a connection of this distribution", "cached_paths")
            for path in self.cached_paths
            if path not in facts.routes
        ]
        return problems + path_problems(facts, "a CloudFront distribution", re.compile(r"^\S{1,255}$").match, "'/api/*'")

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The distribution; its origins and cache behaviours come from its connections. Its host
        names (aliases, and the names Route 53 connections give it) are served with ``certificate_arn``
        or a certificate archc makes in us-east-1 (where CloudFront reads certificates)."""
        names = served_names(ctx.arch, node)
        certificate: dict[str, object] = {"cloudfront_default_certificate": True}
        if names:
            certificate = {
                "acm_certificate_arn": self.certificate_arn or managed_certificate(ctx, names, provider="us_east_1"),
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": "TLSv1.2_2021",
            }
        body: dict[str, object] = {
            "enabled": True,
            "comment": f"archc: {ctx.arch.name} {node.id}"[:128],
            "is_ipv6_enabled": True,
            "http_version": "http2and3",
            "price_class": self.price_class,
            "origin": [],
            "restrictions": [{"geo_restriction": [{"restriction_type": "none"}]}],
            "viewer_certificate": [certificate],
            "tags": ctx.tags(),
        }
        if names:
            body["aliases"] = names
        acl = web_acl_arn(ctx)
        if acl:
            body["web_acl_id"] = acl
        distribution = ctx.add("aws_cloudfront_distribution", "", body)
        for edge in ctx.arch.edges_to(node.id):
            if edge.via == "alias":  # the names Route 53 points here are the distribution's, with its certificate
                ctx.stack.realize("path", distribution, "aliases and viewer certificate", edge=edge.id)
        if self.access_logs:
            cloudfront_logging(ctx, distribution, self.access_logs)
        ctx.output("domain_name", distribution.attr("domain_name"), f"Host name of the {node.id} distribution.")

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """The origin of ``target`` (once) and the cache behaviour for ``edge``'s path."""
        distribution = ctx.stack_ref("aws_cloudfront_distribution")
        body = ctx.stack.body(distribution)
        origin = next((o for o in body["origin"] if o["origin_id"] == target.id), None)
        if origin is None:
            origin = target.spec.origin(target, ctx.other(target.id), ctx.node)
            body["origin"].append(origin)
        ctx.stack.realize("trigger", distribution, f"origin '{origin['origin_id']}'")
        behaviour = self._behaviour(ctx, origin, cached=edge.path in self.cached_paths)
        routes = routes_via(ctx, "origin")
        default = edge is next((e for e in routes if e.path is None), routes[0])
        ctx.stack.realize("trigger", distribution, "default cache behavior" if default else f"cache behavior '{edge.path}'")
        if default:
            if self.spa:
                behaviour["function_association"] = [{"event_type": "viewer-request", "function_arn": self._spa(ctx, target, origin)}]
            body["default_cache_behavior"] = [behaviour]
            root = self.default_root_object or ("index.html" if getattr(target.spec, "purpose", None) == "website" else None)
            if root:
                body["default_root_object"] = root
        else:
            body.setdefault("ordered_cache_behavior", []).append({"path_pattern": edge.path, **behaviour})

    def _behaviour(self, ctx: ServiceContext, origin: dict[str, Any], *, cached: bool = False) -> dict[str, object]:
        """Cached reads for buckets; all methods, viewer headers for dynamic origins, cached only on the
        ``cached_paths`` (as the origin's Cache-Control allows)."""
        dynamic = "custom_origin_config" in origin
        cache_policy = self._policy(ctx, "cache", "Managed-CachingDisabled" if dynamic else "Managed-CachingOptimized")
        if dynamic and cached:
            cache_policy = self._origin_cache_control(ctx)
        behaviour: dict[str, object] = {
            "target_origin_id": origin["origin_id"],
            "viewer_protocol_policy": "redirect-to-https",
            "compress": True,
            "allowed_methods": ALL_METHODS if dynamic else READ_METHODS,
            "cached_methods": ["GET", "HEAD"],
            "cache_policy_id": cache_policy,
            "response_headers_policy_id": self._policy(ctx, "response_headers", "Managed-SecurityHeadersPolicy"),
        }
        if dynamic:  # the origin checks its own Host name (API Gateway, ALB certificates)
            behaviour["origin_request_policy_id"] = self._policy(ctx, "origin_request", "Managed-AllViewerExceptHostHeader")
        return behaviour

    def _spa(self, ctx: ServiceContext, target: ServiceNode, origin: dict[str, Any]) -> str:
        """The published CloudFront Function serving /index.html for client-side routes (default behaviour only)."""
        if "custom_origin_config" in origin:
            fail(
                ctx,
                f"spa: true serves /index.html from the default behaviour's bucket, but '{ctx.node.id}' sends its default "
                f"route to {target.kind} '{target.id}', which routes its own paths; connect the app's bucket without a path, "
                "or set spa: false",
            )
        function = ctx.add(
            "aws_cloudfront_function",
            "spa",
            {
                "name": ctx.physical_name("aws_cloudfront_function", "spa"),
                "runtime": "cloudfront-js-2.0",
                "comment": "archc: client-side routes of the single-page app get /index.html",
                "publish": True,
                "code": SPA_FUNCTION,
            },
        )
        return function.arn

    @staticmethod
    def _origin_cache_control(ctx: ServiceContext) -> str:
        """The id of this distribution's cache policy for ``cached_paths`` (made once): cached as
        long as the origin's Cache-Control allows (TTL 0 without it, so nothing is kept unasked),
        keyed by the query string and the headers that change a dynamic answer, never by Host.

        Not AWS's UseOriginCacheControlHeaders-QueryStrings: its key holds Host, and CloudFront
        sends every key header to the origin, so API Gateway (or an HTTPS load balancer's
        certificate) would get the distribution's host name and answer 403 (the non-cached
        paths send all viewer headers except Host for the same reason). Nor its cookies: a
        cached answer is shared; one per user must say Cache-Control: private."""
        ref = ctx.stack_ref("aws_cloudfront_cache_policy", "origin_cache_control")
        if ctx.stack.has(ref):
            return ref.id
        key = {
            "cookies_config": [{"cookie_behavior": "none"}],
            "headers_config": [{"header_behavior": "whitelist", "headers": [{"items": list(ORIGIN_CACHE_KEY_HEADERS)}]}],
            "query_strings_config": [{"query_string_behavior": "all"}],
            "enable_accept_encoding_brotli": True,
            "enable_accept_encoding_gzip": True,
        }
        body = {
            "name": ctx.physical_name("aws_cloudfront_cache_policy", "origin-cache-control"),
            "comment": "archc: cached_paths, as the origin's Cache-Control allows",
            "min_ttl": 0,
            "default_ttl": 0,
            "max_ttl": 31536000,
            "parameters_in_cache_key_and_forwarded_to_origin": [key],
        }
        return ctx.add("aws_cloudfront_cache_policy", "origin_cache_control", body).id

    @staticmethod
    def _policy(ctx: ServiceContext, what: str, name: str) -> str:
        """The id of an AWS managed policy (a data source, added once)."""
        suffix = name.removeprefix("Managed-").lower()
        ref = ctx.stack_ref(f"data.aws_cloudfront_{what}_policy", suffix)
        if not ctx.stack.has(ref):
            ref = ctx.data(f"aws_cloudfront_{what}_policy", suffix, {"name": name})
        return ref.id

    # --- as a target ---------------------------------------------------------------

    def alias(self, node: ServiceNode, ctx: ServiceContext) -> dict[str, object]:
        """The distribution's host name in CloudFront's zone."""
        distribution = ctx.stack_ref("aws_cloudfront_distribution")
        return {"name": distribution.attr("domain_name"), "zone_id": CLOUDFRONT_ZONE_ID, "evaluate_target_health": False}

    def dns_names(self) -> tuple[str, ...]:
        """The aliases given (Route 53 connections may add more: ``served_names``)."""
        return tuple(self.aliases)

    def waf_resource_arn(self, node: ServiceNode, ctx: ServiceContext) -> str:
        """The distribution (CloudFront takes its web ACL in ``web_acl_id``, not by association)."""
        return ctx.stack_ref("aws_cloudfront_distribution").arn


def _path_values(path: str) -> list[str]:
    """An ALB path rule's patterns: ``/api/x/*`` does not match ``/api/x`` itself, which
    the same service answers (otherwise it falls through to the default route).

    >>> _path_values("/api/sites/*")
    ['/api/sites', '/api/sites/*']
    >>> _path_values("/health")
    ['/health']
    """
    return [path[:-2], path] if path.endswith("/*") and len(path) > 2 else [path]


class HostedZone(Service):
    """A Route 53 public hosted zone with alias records to its connections' targets."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon Route 53",
        family="network",
        summary="DNS for the architecture's domain: alias records pointing at its CDN, load balancers and APIs.",
        icon="aws.network.Route53",
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
        needs="alias",
    )

    kind: Literal["route53"]
    domain: str = Field(
        pattern=DOMAIN, max_length=253, description="The zone's domain, e.g. travel-booking.io (not a reserved name such as example.com)."
    )
    zone_id: str | None = Field(
        None,
        pattern=r"^Z[A-Z0-9]{1,31}$",
        description="Id of an existing hosted zone for domain; none: archc creates the zone (then delegate to its name servers).",
    )
    query_logs: bool = Field(True, description="Log DNS queries to CloudWatch Logs (us-east-1, 365 days); zones archc creates only.")
    dnssec: bool = Field(
        True,
        description="Sign the zone with DNSSEC (a KMS key in us-east-1); zones archc creates only. Add the DS record at your registrar.",
    )

    def hosted_zone(self) -> str | None:
        """The zone's domain: the model's certificates for names under it are validated here."""
        return self.domain

    def check(self, facts: Facts) -> list[Problem]:
        """A zone archc creates must not be a reserved name, which Route 53 refuses."""
        reserved = reserved_domain(self.domain)
        if reserved is None or self.zone_id:
            return []
        if reserved.startswith("."):
            what = f"is under {reserved}, a top-level domain reserved for testing and documentation (RFC 2606)"
        else:
            what = f"{'is' if reserved == self.domain else f'is under {reserved}, which is'} reserved for documentation (RFC 2606)"
        message = (
            f"{self.domain} {what}: Route 53 refuses to create a hosted zone for it; use a domain you own "
            "(e.g. travel-booking.io), or set zone_id to an existing zone"
        )
        return [Problem("value", message, "domain")]

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The zone (or a lookup of an existing one), with query logs and DNSSEC."""
        if self.zone_id:
            ctx.data("aws_route53_zone", "", {"zone_id": self.zone_id})
            return
        zone = ctx.add("aws_route53_zone", "", {"name": self.domain, "comment": f"archc: {ctx.arch.name} {node.id}", "tags": ctx.tags()})
        ctx.output("name_servers", zone.attr("name_servers"), f"Name servers of {self.domain}: set them at the registrar.")
        if self.query_logs:
            zone_query_logs(ctx, zone, self.domain)
        if self.dnssec:
            zone_dnssec(ctx, zone, self.domain)

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """A and AAAA alias records to ``target`` for the names it serves in this zone (``alias_names``):
        its own host names here, else the apex (the first connection) or ``<target>.<domain>``. The
        target serves them: aliases or custom domain, and a certificate validated in this zone."""
        alias = target.spec.alias(target, ctx.other(target.id))
        zone = zone_id(ctx, ctx.node)
        for name in alias_names(ctx.arch, edge):
            label = record_label(name, self.domain)
            for rtype in ("A", "AAAA"):
                suffix = f"{label}_{rtype.lower()}"
                if ctx.stack.has(ctx.stack_ref("aws_route53_record", suffix)):
                    fail(ctx, f"route53 '{ctx.node.id}': {name} is aliased by two connections")
                ctx.add("aws_route53_record", suffix, {"zone_id": zone, "name": name, "type": rtype, "alias": [alias]})
