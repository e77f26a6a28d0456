"""The frontend kinds: amplify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.kinds_helpers import HEAD, body_error, body_plan_errors, compile_body


def build(tmp_path: Path, body: str) -> tuple[dict[str, Any], str]:
    """Compile a model (HEAD + body): the stack's Terraform JSON, and its text."""
    text = compile_body(tmp_path, body)
    return json.loads(text), text


error = body_error
plan_errors = body_plan_errors


REPO = 'repository: "https://github.com/acme/web"'
APP = f"""layers:
  - name: web
    services:
      front: {{kind: amplify, {REPO}, framework: React, environment: {{SITE_NAME: Acme}}}}
  - name: api
    services:
      api: {{kind: api-gateway}}
      fn: {{kind: lambda}}
connections:
  - front -> api
  - {{from: api, to: fn, path: /orders}}
"""


def test_amplify_app_and_branch(tmp_path: Path) -> None:
    tf, text = build(tmp_path, APP)
    res = tf["resource"]
    app = res["aws_amplify_app"]["front"]
    assert app["platform"] == "WEB"
    assert app["enable_basic_auth"] is False
    assert app["iam_service_role_arn"] == "${aws_iam_role.front.arn}"
    assert app["environment_variables"] == {"SITE_NAME": "Acme"}
    assert app["custom_rule"][0]["target"] == "/index.html"
    assert "Strict-Transport-Security" in app["custom_headers"]
    # No token ever in the Terraform (nor in its state): the app is connected on creation by the
    # AWS CLI, with the token from the environment of the shell running terraform.
    assert not {"access_token", "oauth_token", "basic_auth_credentials", "repository"} & app.keys()
    assert '"access_token":' not in text and '"oauth_token":' not in text
    assert app["lifecycle"] == {"ignore_changes": ["repository", "access_token", "oauth_token"]}
    (provisioner,) = app["provisioner"]
    command = provisioner["local-exec"]["command"]
    assert command.startswith('test -n "$AMPLIFY_ACCESS_TOKEN" || { echo "archc: set AMPLIFY_ACCESS_TOKEN to a token')
    assert command.endswith(
        "aws amplify update-app --region eu-west-3 --app-id ${self.id} --repository https://github.com/acme/web "
        '--access-token "$AMPLIFY_ACCESS_TOKEN" --query app.repository --output text'
    )
    assert "https://github.com/apps/aws-amplify-eu-west-3" in command
    branch = res["aws_amplify_branch"]["front"]
    assert (branch["app_id"], branch["branch_name"], branch["stage"], branch["framework"]) == (
        "${aws_amplify_app.front.id}",
        "main",
        "PRODUCTION",
        "React",
    )
    assert branch["enable_basic_auth"] is False
    logs = tf["data"]["aws_iam_policy_document"]["front_logs"]["statement"][0]
    assert logs["resources"][0].endswith(":log-group:/aws/amplify/${aws_amplify_app.front.id}")
    assert tf["output"]["front_url"]["value"] == "https://main.${aws_amplify_app.front.default_domain}"
    assert tf["output"]["front_app_id"]["value"] == "${aws_amplify_app.front.id}"


def test_the_connected_api_url_reaches_the_build_and_the_api_lets_the_app_in(tmp_path: Path) -> None:
    """Before, amplify -> api-gateway compiled to nothing: the app knew no API and browsers were refused (CORS)."""
    tf, _ = build(tmp_path, APP)
    branch = tf["resource"]["aws_amplify_branch"]["front"]
    assert branch["environment_variables"] == {"API_URL": "${aws_apigatewayv2_api.api.api_endpoint}"}
    # On the branch, not the app: the API names the app's domain (CORS), so the app cannot name the API.
    assert tf["resource"]["aws_apigatewayv2_api"]["api"]["cors_configuration"] == [
        {
            "allow_origins": ["https://main.${aws_amplify_app.front.default_domain}"],
            "allow_methods": ["*"],
            "allow_headers": ["authorization", "content-type"],
        }
    ]


def test_the_connection_records_its_parts(tmp_path: Path) -> None:
    from compiler import pipeline
    from compiler.terraform.emit import emit
    from compiler.terraform.realization import Part

    path = tmp_path / "model.yaml"
    path.write_text(HEAD + APP)
    arch = pipeline.load(path, "model.yaml")
    edge = next(e for e in arch.edges if e.source == "front")
    assert edge.via == "web-endpoint"
    assert emit(arch).parts(edge.id) == [
        Part("discovery", "aws_amplify_branch.front", "environment variable API_URL"),
        Part("permission", "aws_apigatewayv2_api.api", "CORS origin https://main.${aws_amplify_app.front.default_domain}"),
    ]


def test_cors_origins_of_the_model_are_kept(tmp_path: Path) -> None:
    body = APP.replace("api: {kind: api-gateway}", 'api: {kind: api-gateway, cors_origins: ["https://example.com"]}')
    tf, _ = build(tmp_path, body)
    cors = tf["resource"]["aws_apigatewayv2_api"]["api"]["cors_configuration"][0]
    assert cors["allow_origins"] == ["https://example.com", "https://main.${aws_amplify_app.front.default_domain}"]


def test_amplify_without_spa_rewrite(tmp_path: Path) -> None:
    tf, _ = build(
        tmp_path, f"layers:\n  - name: web\n    services:\n      front: {{kind: amplify, {REPO}, spa: false, platform: WEB_COMPUTE}}\n"
    )
    app = tf["resource"]["aws_amplify_app"]["front"]
    assert app.get("custom_rule", []) == []
    assert app["platform"] == "WEB_COMPUTE"


def test_amplify_needs_a_repository(tmp_path: Path) -> None:
    body = "layers:\n  - name: web\n    services:\n      front: {kind: amplify}\n"
    assert error(tmp_path, body) == (
        "model.yaml:7:7: error[missing]: amplify builds and deploys from a Git repository: set repository: "
        "https://github.com/<owner>/<repo> (or gitlab.com, bitbucket.org) and branch: (default main)"
    )


def test_amplify_repository_on_a_host_it_connects(tmp_path: Path) -> None:
    body = 'layers:\n  - name: web\n    services:\n      front: {kind: amplify, repository: "https://git.example.com/acme/web"}\n'
    assert error(tmp_path, body) == (
        "model.yaml:7:42: error[value]: repository: https://git.example.com/acme/web is not a repository Amplify connects "
        "by token; use https://github.com/<owner>/<repo> (or gitlab.com, bitbucket.org)"
    )


def test_gitlab_repositories_connect_by_oauth_token(tmp_path: Path) -> None:
    body = 'layers:\n  - name: web\n    services:\n      front: {kind: amplify, repository: "https://gitlab.com/acme/web"}\n'
    tf, _ = build(tmp_path, body)
    command = tf["resource"]["aws_amplify_app"]["front"]["provisioner"][0]["local-exec"]["command"]
    assert '--oauth-token "$AMPLIFY_ACCESS_TOKEN"' in command


def test_amplify_connects_only_to_apis(tmp_path: Path) -> None:
    body = (
        f"layers:\n  - name: web\n    services:\n      front: {{kind: amplify, {REPO}}}\n      fn: {{kind: lambda}}\n"
        "connections:\n  - front -> fn\n"
    )
    assert (
        error(tmp_path, body) == "model.yaml:10:5: error[connection]: front (amplify) -> fn (lambda): amplify connects only to api-gateway"
    )


def test_the_api_url_variable_is_the_connections(tmp_path: Path) -> None:
    body = APP.replace("environment: {SITE_NAME: Acme}", 'environment: {API_URL: "https://old.example.com"}')
    assert error(tmp_path, body) == (
        "model.yaml:7:7: error[conflict]: environment variable 'API_URL' is set by the connection to api-gateway 'api': "
        "remove it from environment"
    )


def test_amplify_refuses_secrets_in_environment(tmp_path: Path) -> None:
    body = f"layers:\n  - name: web\n    services:\n      front: {{kind: amplify, {REPO}, environment: {{DB_PASSWORD: hunter2}}}}\n"
    assert error(tmp_path, body) == (
        "model.yaml:7:86: error[value]: environment variable 'DB_PASSWORD' looks like a secret; "
        "Amplify stores these in plain text: keep secrets in Secrets Manager"
    )


def test_amplify_repository_must_be_https(tmp_path: Path) -> None:
    body = 'layers:\n  - name: web\n    services:\n      front: {kind: amplify, repository: "git@github.com:acme/web.git"}\n'
    assert (
        error(tmp_path, body)
        == "model.yaml:7:42: error[value]: 'repository' 'git@github.com:acme/web.git' does not match the pattern ^https://[^\\s]+$"
    )


def test_frontend_kinds_plan(tmp_path: Path) -> None:
    assert plan_errors(tmp_path, APP) == []
