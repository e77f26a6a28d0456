"""Security: a web application firewall and user sign-in.

A WAF names what it protects (``protects``) rather than sitting on connections:
traffic passes through it in line. A connection drawn from a protected service to its
WAF (``cdn -> firewall``) shows that path and is realized by the protection (a ``path``
part: the distribution's ``web_acl_id``, or the regional association); a connection from
a service it does not protect, or from the WAF, would compile into nothing and is refused.
A protected kind says how it is protected with ``waf_scope`` ("CLOUDFRONT": the
distribution takes the ACL itself; "REGIONAL": an association) and ``waf_resource_arn()``.
"""

from __future__ import annotations

import re
import typing
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field

from modules.base import Facts, KindInfo, Problem, RefTo, Service
from modules.network_kit import LOG_RETENTION_DAYS, fail
from modules.support import data_key

if TYPE_CHECKING:
    from compiler.ir import ServiceNode
    from compiler.terraform.context import ServiceContext

# AWS managed rule groups every web ACL starts with, in evaluation order.
MANAGED_RULE_GROUPS = ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
CALLBACK_URL = re.compile(r"^(https://[^\s]+|http://localhost(:\d+)?(/[^\s]*)?)$")


def _visibility(metric: str) -> list[dict[str, object]]:
    return [
        {"cloudwatch_metrics_enabled": True, "metric_name": re.sub(r"[^A-Za-z0-9_-]", "-", metric)[:128], "sampled_requests_enabled": True}
    ]


class WebAcl(Service):
    """A WAFv2 web ACL: managed rule groups and a rate limit per client IP, with metrics and logs."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS WAF",
        family="security",
        summary="A web application firewall in front of CloudFront, load balancers or Cognito: managed rules and a rate limit.",
        icon="aws.security.WAF",
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
        needs="none",
        offers=("none",),
    )

    kind: Literal["waf"]
    protects: list[Annotated[str, RefTo(("cloudfront", "alb", "cognito"))]] = Field(
        min_length=1,
        description="Services whose requests it inspects: cloudfront distributions, or regional alb and cognito services (not both).",
    )
    rate_limit: int = Field(
        2000, ge=10, le=2_000_000_000, description="Requests one client IP may make in any 5 minutes before it is blocked."
    )
    logs: bool = Field(True, description="Log requests to CloudWatch Logs (kept 365 days).")

    def check(self, facts: Facts) -> list[Problem]:
        """Each protected service once; connections only from the services it protects."""
        twice = sorted({s for s in self.protects if self.protects.count(s) > 1})
        problems = [Problem("value", f"protects lists '{s}' twice", "protects") for s in twice]
        for link in facts.links:
            me, other = facts.service, f"{link.other} ({link.settings.kind})"
            if link.outbound:
                why = "a web ACL filters requests, it sends none; it names what it protects under protects"
                problems.append(Problem("connection", f"{me} (waf) -> {other}: {why}", connection=link.edge))
            elif link.other not in self.protects:
                protectable = self.protects_kinds()
                fix = (
                    f"add '{link.other}' to protects"
                    if link.settings.kind in protectable
                    else f"it protects only {', '.join(protectable)} services, so remove the connection"
                )
                problems.append(
                    Problem(
                        "connection",
                        f"{other} -> {me} (waf): waf '{me}' does not protect '{link.other}', so the connection would compile "
                        f"into nothing; {fix}",
                        connection=link.edge,
                    )
                )
        return problems

    @classmethod
    def protects_kinds(cls) -> tuple[str, ...]:
        """The kinds a WAF can protect (those its ``protects`` setting may name)."""
        marker = next(m for m in typing.get_args(cls.model_fields["protects"].annotation)[0].__metadata__ if isinstance(m, RefTo))
        return marker.kinds

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The web ACL (in us-east-1 for CloudFront), its logs, and regional associations."""
        scope = self._scope(node, ctx)
        provider = "us_east_1" if scope == "CLOUDFRONT" else ""
        rate = {
            "name": "rate-limit-per-ip",
            "priority": 0,
            "action": [{"block": [{}]}],
            "statement": [{"rate_based_statement": [{"limit": self.rate_limit, "aggregate_key_type": "IP", "evaluation_window_sec": 300}]}],
            "visibility_config": _visibility(f"{ctx.aws_name()}-rate-limit"),
        }
        managed = [
            {
                "name": group,
                "priority": i,
                "override_action": [{"none": [{}]}],
                "statement": [{"managed_rule_group_statement": [{"name": group, "vendor_name": "AWS"}]}],
                "visibility_config": _visibility(f"{ctx.aws_name()}-{group}"),
            }
            for i, group in enumerate(MANAGED_RULE_GROUPS, 1)
        ]
        acl = ctx.add(
            "aws_wafv2_web_acl",
            "",
            {
                "name": ctx.physical_name("aws_wafv2_web_acl"),
                "description": f"archc: {node.id}",
                "scope": scope,
                "default_action": [{"allow": [{}]}],
                "rule": [rate, *managed],
                "visibility_config": _visibility(ctx.aws_name()),
                "tags": ctx.tags(),
            },
            provider=provider,
        )
        if self.logs:
            # WAF only delivers to log groups whose name starts with "aws-waf-logs-".
            group = ctx.add(
                "aws_cloudwatch_log_group",
                "logs",
                {"name": f"aws-waf-logs-{ctx.aws_name()}", "retention_in_days": LOG_RETENTION_DAYS, "tags": ctx.tags("logs")},
                provider=provider,
            )
            ctx.add(
                "aws_wafv2_web_acl_logging_configuration",
                "",
                {"resource_arn": acl.arn, "log_destination_configs": [group.arn]},
                provider=provider,
            )
        if scope == "REGIONAL":
            for sid in self.protects:
                target = ctx.arch.services[sid]
                arn = target.spec.waf_resource_arn(target, ctx.other(sid))  # type: ignore[attr-defined]
                ctx.add("aws_wafv2_web_acl_association", target.tf_name, {"resource_arn": arn, "web_acl_arn": acl.arn})
        for edge in ctx.arch.edges_to(node.id):  # check() refused those from services it does not protect
            self._realize(edge.id, ctx.arch.services[edge.source], scope, ctx)
        ctx.output("web_acl_arn", acl.arn, f"ARN of the {node.id} web ACL.")

    def _realize(self, edge: str, source: ServiceNode, scope: str, ctx: ServiceContext) -> None:
        """A connection from a protected service is realized by the protection itself: the
        distribution's ``web_acl_id`` (CloudFront), or the regional association."""
        if scope == "CLOUDFRONT":
            from compiler.terraform.context import Ref  # at run time: modules load before the compiler

            arn = source.spec.waf_resource_arn(source, ctx.other(source.id))  # type: ignore[attr-defined]
            found = re.fullmatch(r"\$\{(\w+)\.(\w+)\.arn\}", arn)
            assert found, arn  # a kind's own resource, "${type.name.arn}"
            ctx.stack.realize("path", Ref(found.group(1), found.group(2)), f"web_acl_id: web ACL {ctx.node.id}", edge=edge)
        else:
            ctx.stack.realize("path", ctx.stack_ref("aws_wafv2_web_acl_association", source.tf_name), f"web ACL {ctx.node.id}", edge=edge)

    def _scope(self, node: ServiceNode, ctx: ServiceContext) -> str:
        """CLOUDFRONT or REGIONAL, from what it protects; each service has one WAF at most."""
        scopes = {getattr(ctx.arch.services[s].spec, "waf_scope", "REGIONAL") for s in self.protects}
        if len(scopes) > 1:
            fail(ctx, f"waf '{node.id}' protects both CloudFront (a global web ACL) and regional services; use one waf for each")
        for other in ctx.arch.services.values():
            shared = sorted(set(self.protects) & set(other.spec.protects)) if isinstance(other.spec, WebAcl) and other.id != node.id else []
            if shared:
                fail(ctx, f"'{shared[0]}' is protected by both waf '{node.id}' and waf '{other.id}'; a service takes one web ACL")
        return scopes.pop()

    def web_acl_arn_for(self, node: ServiceNode, ctx: ServiceContext, service_id: str) -> str | None:
        """The web ACL's ARN when this WAF protects ``service_id`` (CloudFront sets it itself)."""
        return ctx.stack_ref("aws_wafv2_web_acl").arn if service_id in self.protects else None


class UserPool(Service):
    """A Cognito user pool with an app client: e-mail sign-in, strong passwords, MFA, threat protection."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon Cognito",
        family="security",
        summary="User sign-up and sign-in for web and mobile apps: a user pool with MFA and an app client.",
        icon="aws.security.Cognito",
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
        access={
            "read": ("cognito-idp:AdminGetUser", "cognito-idp:AdminListGroupsForUser", "cognito-idp:ListUsers"),
            "admin": ("cognito-idp:Admin*", "cognito-idp:ListUsers", "cognito-idp:ListGroups"),
        },
    )
    waf_scope: ClassVar[str] = "REGIONAL"

    kind: Literal["cognito"]
    self_sign_up: bool = Field(True, description="Users create their own accounts; false: administrators create them.")
    mfa: Literal["off", "optional", "required"] = Field("optional", description="Multi-factor sign-in with an authenticator app (TOTP).")
    password_min_length: int = Field(
        12, ge=8, le=99, description="Minimum password length; lower, upper case, digits and symbols are always required."
    )
    tier: Literal["lite", "essentials", "plus"] = Field("plus", description="Feature plan; threat protection needs plus.")
    threat_protection: Literal["off", "audit", "enforced"] = Field(
        "enforced", description="Block sign-ins with compromised credentials or risky context (needs tier: plus)."
    )
    client_secret: bool = Field(
        False, description="Give the app client a secret: server-side apps only; browser and mobile apps cannot keep one."
    )
    callback_urls: list[str] = Field(
        default_factory=list, description="Hosted sign-in redirects here (https, or http://localhost); needs domain_prefix."
    )
    logout_urls: list[str] = Field(default_factory=list, description="Hosted sign-out redirects here.")
    domain_prefix: str | None = Field(
        None,
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
        description="Hosted sign-in at https://<prefix>.auth.<region>.amazoncognito.com.",
    )
    deletion_protection: bool = Field(True, description="Refuse to delete the user pool until this is turned off.")

    def check(self, facts: Facts) -> list[Problem]:
        """Threat protection needs the plus plan; hosted sign-in needs a domain and safe URLs."""
        problems = []
        if self.threat_protection != "off" and self.tier != "plus":
            problems.append(
                Problem(
                    "conflict",
                    f"threat_protection: {self.threat_protection} needs tier: plus (or set threat_protection: off)",
                    "threat_protection",
                )
            )
        if (self.callback_urls or self.logout_urls) and not self.domain_prefix:
            problems.append(
                Problem("conflict", "callback_urls and logout_urls need domain_prefix (the hosted sign-in pages)", "callback_urls")
            )
        for field, urls in (("callback_urls", self.callback_urls), ("logout_urls", self.logout_urls)):
            problems += [
                Problem("value", f"{field}: '{u}' must be an https URL (or http://localhost)", field)
                for u in urls
                if not CALLBACK_URL.match(u)
            ]
        return problems

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The user pool, its app client and the optional hosted sign-in domain."""
        pool = ctx.add("aws_cognito_user_pool", "", self._pool_body(ctx))
        client: dict[str, object] = {
            "name": ctx.physical_name("aws_cognito_user_pool_client", "client"),
            "user_pool_id": pool.id,
            "generate_secret": self.client_secret,
            "explicit_auth_flows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],  # no plain-password flow
            "prevent_user_existence_errors": "ENABLED",
            "enable_token_revocation": True,
            "access_token_validity": 60,
            "id_token_validity": 60,
            "refresh_token_validity": 30,
            "token_validity_units": [{"access_token": "minutes", "id_token": "minutes", "refresh_token": "days"}],
            "supported_identity_providers": ["COGNITO"],
        }
        if self.callback_urls:
            client |= {
                "allowed_oauth_flows_user_pool_client": True,
                "allowed_oauth_flows": ["code"],
                "allowed_oauth_scopes": ["openid", "email", "profile"],
                "callback_urls": self.callback_urls,
                "logout_urls": self.logout_urls,
            }
        app = ctx.add("aws_cognito_user_pool_client", "", client)
        if self.domain_prefix:
            ctx.add("aws_cognito_user_pool_domain", "", {"domain": self.domain_prefix, "user_pool_id": pool.id})
        ctx.output("user_pool_id", pool.id, f"Id of the {node.id} user pool.")
        ctx.output("client_id", app.id, f"App client id of the {node.id} user pool (public, not a secret).")

    def _pool_body(self, ctx: ServiceContext) -> dict[str, object]:
        password: dict[str, object] = {
            "minimum_length": self.password_min_length,
            "require_lowercase": True,
            "require_uppercase": True,
            "require_numbers": True,
            "require_symbols": True,
            "temporary_password_validity_days": 3,
        }
        if self.tier != "lite":
            password["password_history_size"] = 5  # not in the lite plan
        body: dict[str, object] = {
            "name": ctx.physical_name("aws_cognito_user_pool"),
            "user_pool_tier": self.tier.upper(),
            "username_attributes": ["email"],
            "auto_verified_attributes": ["email"],
            "username_configuration": [{"case_sensitive": False}],
            "user_attribute_update_settings": [{"attributes_require_verification_before_update": ["email"]}],
            "verification_message_template": [{"default_email_option": "CONFIRM_WITH_CODE"}],
            "account_recovery_setting": [{"recovery_mechanism": [{"name": "verified_email", "priority": 1}]}],
            "admin_create_user_config": [{"allow_admin_create_user_only": not self.self_sign_up}],
            "password_policy": [password],
            "mfa_configuration": {"off": "OFF", "optional": "OPTIONAL", "required": "ON"}[self.mfa],
            "deletion_protection": "ACTIVE" if self.deletion_protection else "INACTIVE",
            "tags": ctx.tags(),
        }
        if self.mfa != "off":
            body["software_token_mfa_configuration"] = [{"enabled": True}]
        if self.threat_protection != "off":
            body["user_pool_add_ons"] = [{"advanced_security_mode": self.threat_protection.upper()}]
        return body

    # --- as a target ---------------------------------------------------------------

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The user pool."""
        return [ctx.stack_ref("aws_cognito_user_pool").arn]

    def waf_resource_arn(self, node: ServiceNode, ctx: ServiceContext) -> str:
        """The user pool (WAF inspects its sign-in endpoints)."""
        return ctx.stack_ref("aws_cognito_user_pool").arn

    def jwt(self, node: ServiceNode, ctx: ServiceContext) -> dict[str, object]:
        """A JWT authorizer's configuration accepting this pool's tokens for its app client."""
        pool = ctx.stack_ref("aws_cognito_user_pool")
        return {
            "issuer": f"https://cognito-idp.{ctx.arch.region}.amazonaws.com/{pool.id}",
            "audience": [ctx.stack_ref("aws_cognito_user_pool_client").id],
        }


# --- Secrets Manager --------------------------------------------------------------------
# Reading a secret encrypted with a customer managed key takes kms:Decrypt on that key,
# called by Secrets Manager on the reader's behalf (Secrets Manager user guide,
# "Permissions for the KMS key"); the condition keeps the grant to that path.
SECRET_READ = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")
SECRET_WRITE = ("secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue")


class Secret(Service):
    """A Secrets Manager secret an application reads (an API key, a partner's token), under the data key."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS Secrets Manager",
        family="security",
        summary="A secret (API key, token, password) that applications read at run time instead of keeping it in code or settings.",
        icon="aws.security.SecretsManager",
        access={"read": SECRET_READ, "write": SECRET_WRITE},
        aliases=("secretsmanager", "secrets-manager", "secrets"),
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
    )

    kind: Literal["secret"]
    recovery_days: int = Field(
        30, ge=7, le=30, description="Days a deleted secret can still be restored (7-30) before Secrets Manager erases it."
    )

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The secret, encrypted with the architecture's data key; its value is set after apply."""
        secret = ctx.add(
            "aws_secretsmanager_secret",
            "",
            {
                "name": ctx.physical_name("aws_secretsmanager_secret"),
                "description": (self.description or f"archc: {node.id}")[:2048],
                "kms_key_id": data_key(ctx),
                "recovery_window_in_days": self.recovery_days,
                "tags": ctx.tags(),
            },
        )
        # Published to callers as discovery (compiler/terraform/wiring.py): where to read it.
        ctx.output("arn", secret.arn, f"ARN of the {node.id} secret.")
        ctx.output("name", secret.attr("name"), f"Name of the {node.id} secret.")

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The secret."""
        return [ctx.stack_ref("aws_secretsmanager_secret").arn]

    def api_statements(self, node: ServiceNode, ctx: ServiceContext, access: str) -> list[dict[str, object]]:
        """The data key, through Secrets Manager only: Decrypt to read, GenerateDataKey too to write."""
        actions = ["kms:Decrypt"] if access == "read" else ["kms:Decrypt", "kms:GenerateDataKey"]
        via = {"test": "StringEquals", "variable": "kms:ViaService", "values": [f"secretsmanager.{ctx.arch.region}.amazonaws.com"]}
        return [{"sid": "archcSecretKey", "actions": actions, "resources": [data_key(ctx)], "condition": [via]}]

    def after_apply(self, node: ServiceNode) -> tuple[str, ...]:
        """Terraform creates the secret without a value (it would sit in the state in plain text)."""
        return (
            f"Put the value (readers get ResourceNotFoundException until then): aws secretsmanager put-secret-value "
            f"--secret-id (output {node.tf_name}_name) --secret-string file://value.json. Rotation is not set up: "
            "it needs a function that changes the credential where it is issued; add one with aws_secretsmanager_secret_rotation "
            "(resources:) when the issuer has an API for it.",
        )
