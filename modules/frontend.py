"""Front end: AWS Amplify Hosting for web applications."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from modules import support
from modules.base import Facts, KindInfo, Problem, Service
from modules.network_kit import fail

if TYPE_CHECKING:
    from compiler.ir import Edge, ServiceNode
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


# Git hosts Amplify connects with a token, and the update-app option that passes it: GitHub
# through the Amplify GitHub App (access token), the others by OAuth token.
TOKEN_OPTION = {"github.com": "--access-token", "gitlab.com": "--oauth-token", "bitbucket.org": "--oauth-token"}
REPOSITORY = re.compile(r"^https://([^/\s]+)/[^/\s]+/[^/\s]+$")
TOKEN_VARIABLE = "AMPLIFY_ACCESS_TOKEN"


class AmplifyApp(Service):
    """An Amplify Hosting app built from a Git repository, with one production branch."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS Amplify",
        family="frontend",
        summary="Builds and hosts a web front end (single-page app or server-rendered) on a global CDN from a Git "
        "repository, with a deployment per branch; the browsers call the APIs it connects to (their URLs reach the build "
        "as environment variables).",
        icon="aws.mobile.Amplify",
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
        principal="amplify.amazonaws.com",
        # The code runs in browsers: a connection gives the build the API's URL and lets the
        # app's origin call it (CORS).
        needs="web-endpoint",
    )

    kind: Literal["amplify"]
    platform: Literal["WEB", "WEB_COMPUTE"] = Field(
        "WEB", description="WEB: static or single-page app; WEB_COMPUTE: server-side rendering (Next.js...)."
    )
    repository: str | None = Field(
        None,
        pattern=r"^https://[^\s]+$",
        description="The Git repository Amplify builds and deploys from: https://github.com/<owner>/<repo> (or gitlab.com, "
        "bitbucket.org). Required. The first apply connects it with the token in the environment variable "
        f"{TOKEN_VARIABLE} of the shell running terraform (a GitHub personal access token of a repository admin, with "
        "the Amplify GitHub App installed for the region; an OAuth token for GitLab and Bitbucket), through the AWS CLI "
        "v2: Amplify uses the token once and keeps none, and it never enters the model or the Terraform state.",
    )
    framework: str | None = Field(None, max_length=255, description="Framework shown in the console, e.g. React, Next.js - SSR.")
    branch: str = Field("main", pattern=r"^[A-Za-z0-9._/-]{1,255}$", description="The production branch.")
    spa: bool = Field(True, description="Rewrite paths without a file extension to /index.html (client-side routing).")
    environment: dict[str, str] = Field(
        default_factory=dict,
        description="Build-time environment variables (plain text: no secrets; use Secrets Manager). Each API the app "
        "connects to adds <API>_URL, e.g. API_URL for a service api.",
    )

    def check(self, facts: Facts) -> list[Problem]:
        """A repository on a host Amplify connects by token; no secrets in plain-text environment variables."""
        problems = []
        if self.repository is None:
            problems.append(
                Problem(
                    "missing",
                    "amplify builds and deploys from a Git repository: set repository: https://github.com/<owner>/<repo> "
                    "(or gitlab.com, bitbucket.org) and branch: (default main)",
                )
            )
        else:
            found = REPOSITORY.match(self.repository)
            if not found or found.group(1) not in TOKEN_OPTION:
                message = (
                    f"repository: {self.repository} is not a repository Amplify connects by token; use "
                    "https://github.com/<owner>/<repo> (or gitlab.com, bitbucket.org)"
                )
                problems.append(Problem("value", message, "repository"))
        problems += [
            Problem(
                "value",
                f"environment variable '{name}' looks like a secret; Amplify stores these in plain text: keep secrets in Secrets Manager",
                "environment",
            )
            for name in sorted(self.environment)
            if SECRET_NAME.search(name)
        ]
        return problems

    def after_apply(self, node: ServiceNode) -> tuple[str, ...]:
        """The token can go; the first build starts by hand (later pushes build by themselves)."""
        return (
            f"The apply connects {self.repository} when it creates the app (aws amplify update-app, AWS CLI v2 on the PATH), "
            f"with the token in {TOKEN_VARIABLE} of the shell running terraform: for GitHub a personal access token of a "
            "repository admin, the Amplify GitHub App installed on the repository (https://github.com/apps/aws-amplify-<region>). "
            "If the apply stopped there, set both and apply again. Amplify keeps no copy of the token: delete it afterwards.",
            f"Start the first build: aws amplify start-job --app-id (output {node.tf_name}_app_id) --branch-name {self.branch} "
            f"--job-type RELEASE. Later pushes to {self.branch} build and deploy by themselves.",
            "The build sees each connected API's URL as <API>_URL (see the connections); hand it to the front end's framework "
            "in the build settings, e.g. VITE_API_URL=$API_URL npm run build.",
        )

    def _site(self, ctx: ServiceContext) -> str:
        """The production branch's URL: the web origin its browsers call APIs from."""
        return f"https://{self.branch.replace('/', '-')}.{ctx.stack_ref('aws_amplify_app').attr('default_domain')}"

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """App (no basic auth, security headers, SPA rewrite) connected to its repository on creation,
        production branch, role policy for logs."""
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
            # The repository is connected once by the provisioner below, with a token Terraform never
            # sees (the provider has no write-only token): Terraform leaves the connection alone.
            "lifecycle": {"ignore_changes": ["repository", "access_token", "oauth_token"]},
            "tags": ctx.tags(),
        }
        if self.repository:
            body["provisioner"] = [{"local-exec": {"command": self._connect_command(ctx)}}]
        app = ctx.add("aws_amplify_app", "", body)
        branch: dict[str, object] = {
            "app_id": app.id,
            "branch_name": self.branch,
            "stage": "PRODUCTION",
            "enable_auto_build": True,
            "enable_basic_auth": False,
            "enable_pull_request_preview": False,
            "environment_variables": {},  # the connected APIs' URLs (connect)
            "tags": ctx.tags("branch"),
        }
        if self.framework:
            branch["framework"] = self.framework
        ctx.add("aws_amplify_branch", "", branch)  # after the app's provisioner: a branch of the repository
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
        ctx.output("app_id", app.id, f"Id of the {node.id} Amplify app.")
        ctx.output("url", self._site(ctx), f"URL of the {node.id} {self.branch} branch.")

    def _connect_command(self, ctx: ServiceContext) -> str:
        """The shell command run once the app exists: connect the repository with the token from the
        environment. No "${" or "%{" but Terraform's own (the command is a Terraform template)."""
        assert self.repository  # checked
        found = REPOSITORY.match(self.repository)
        option = TOKEN_OPTION[found.group(1) if found else "github.com"]
        missing = (
            f"archc: set {TOKEN_VARIABLE} to a token that may connect {self.repository} to Amplify (GitHub: a personal "
            f"access token of a repository admin, with the Amplify GitHub App installed: "
            f"https://github.com/apps/aws-amplify-{ctx.arch.region}); it is used once and stored nowhere"
        )
        return (
            f'test -n "${TOKEN_VARIABLE}" || {{ echo "{missing}" >&2; exit 1; }}; '
            f"aws amplify update-app --region {ctx.arch.region} --app-id ${{self.id}} --repository {self.repository} "
            f'{option} "${TOKEN_VARIABLE}" --query app.repository --output text'
        )

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """The API's URL as a build variable of the branch (``<API>_URL``); the API lets the branch's URL in (CORS)."""
        url = target.spec.web_endpoint(target, ctx.other(target.id), ctx.node, self._site(ctx))
        name = f"{target.id.upper().replace('-', '_')}_URL"
        if name in self.environment:
            fail(ctx, f"environment variable '{name}' is set by the connection to {target.kind} '{target.id}': remove it from environment")
        branch = ctx.stack_ref("aws_amplify_branch")
        ctx.stack.body(branch)["environment_variables"][name] = url
        ctx.stack.realize("discovery", branch, f"environment variable {name}")
