"""Front end: AWS Amplify Hosting for web applications."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from modules import support
from modules.base import Facts, KindInfo, Problem, Service

if TYPE_CHECKING:
    from compiler.ir import ServiceNode
    from compiler.terraform.context import ServiceContext

# Environment variables are plain text in the app's settings: refuse names that say secret.
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL)", re.IGNORECASE)
# Amplify's documented rewrite for single-page apps: every path without a file
# extension (except the listed asset types) serves index.html.
SPA_REWRITE = {
    "source": "</^[^.]+$|\\.(?!(css|gif|ico|jpg|jpeg|js|json|map|png|svg|txt|webp|woff|woff2|ttf)$)([^.]+$)/>",
    "target": "/index.html",
    "status": "200",
}
SECURITY_HEADERS = """customHeaders:
  - pattern: '**'
    headers:
      - key: Strict-Transport-Security
        value: max-age=31536000; includeSubDomains
      - key: X-Content-Type-Options
        value: nosniff
      - key: X-Frame-Options
        value: DENY
      - key: Referrer-Policy
        value: strict-origin-when-cross-origin
"""


class AmplifyApp(Service):
    """An Amplify Hosting app with one production branch."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS Amplify",
        family="frontend",
        summary="Builds and hosts a web front end (single-page app or server-rendered) on a global CDN, "
        "with a deployment per Git branch; its browsers call the back end (connections document that path).",
        icon="aws.mobile.Amplify",
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
        principal="amplify.amazonaws.com",
        # The code runs in browsers: its connections document the request path and compile to nothing.
        needs="none",
    )

    kind: Literal["amplify"]
    platform: Literal["WEB", "WEB_COMPUTE"] = Field(
        "WEB", description="WEB: static or single-page app; WEB_COMPUTE: server-side rendering (Next.js...)."
    )
    repository: str | None = Field(
        None,
        pattern=r"^https://[^\s]+$",
        description="Git repository URL, shown in the docs. Amplify needs a token to connect it, which archc never writes: "
        "connect it once in the Amplify console (GitHub App); Terraform then leaves the connection alone. "
        "Without it the app takes manual deployments (zip uploads).",
    )
    framework: str | None = Field(None, max_length=255, description="Framework shown in the console, e.g. React, Next.js - SSR.")
    branch: str = Field("main", pattern=r"^[A-Za-z0-9._/-]{1,255}$", description="The production branch.")
    spa: bool = Field(True, description="Rewrite paths without a file extension to /index.html (client-side routing).")
    environment: dict[str, str] = Field(
        default_factory=dict, description="Build-time environment variables (plain text: no secrets; use Secrets Manager)."
    )

    def check(self, facts: Facts) -> list[Problem]:
        """No secrets in plain-text environment variables."""
        return [
            Problem(
                "value",
                f"environment variable '{name}' looks like a secret; Amplify stores these in plain text: keep secrets in Secrets Manager",
                "environment",
            )
            for name in sorted(self.environment)
            if SECRET_NAME.search(name)
        ]

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """App (no basic auth, security headers, SPA rewrite), production branch, role policy for logs."""
        body: dict[str, object] = {
            "name": ctx.physical_name("aws_amplify_app"),
            "description": self.description or f"archc: {node.id}",
            "platform": self.platform,
            "iam_service_role_arn": ctx.role.arn,
            "enable_basic_auth": False,
            "enable_branch_auto_build": True,
            "enable_branch_auto_deletion": False,
            "enable_auto_branch_creation": False,
            "custom_headers": SECURITY_HEADERS,
            "custom_rule": [SPA_REWRITE] if self.spa else [],
            "environment_variables": dict(sorted(self.environment.items())),
            # The repository is connected in the console (its token never enters Terraform).
            "lifecycle": {"ignore_changes": ["repository", "access_token", "oauth_token"]},
            "tags": ctx.tags(),
        }
        app = ctx.add("aws_amplify_app", "", body)
        branch: dict[str, object] = {
            "app_id": app.id,
            "branch_name": self.branch,
            "stage": "PRODUCTION",
            "enable_auto_build": True,
            "enable_basic_auth": False,
            "enable_pull_request_preview": False,
            "tags": ctx.tags("branch"),
        }
        if self.framework:
            branch["framework"] = self.framework
        ctx.add("aws_amplify_branch", "", branch)
        # Amplify writes build and server-side rendering logs under /aws/amplify/<app id>.
        group = support.arn(ctx, "logs", f"log-group:/aws/amplify/{app.id}")
        support.role_policy(
            ctx,
            "logs",
            ctx.role,
            [
                {
                    "sid": "AmplifyLogs",
                    "actions": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:PutRetentionPolicy"],
                    "resources": [group, f"{group}:log-stream:*"],
                }
            ],
            "amplify-logs",
        )
        ctx.output(
            "url", f"https://{self.branch.replace('/', '-')}.{app.attr('default_domain')}", f"URL of the {node.id} {self.branch} branch."
        )
