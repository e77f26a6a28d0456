"""The frontend kinds: amplify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.kinds_helpers import body_error, body_plan_errors, compile_body


def build(tmp_path: Path, body: str) -> tuple[dict[str, Any], str]:
    """Compile a model (HEAD + body): the stack's Terraform JSON, and its text."""
    text = compile_body(tmp_path, body)
    return json.loads(text), text


error = body_error
plan_errors = body_plan_errors


APP = """layers:
  - name: web
    services:
      front: {kind: amplify, repository: "https://github.com/acme/web", framework: React, environment: {API_URL: "https://api.archc-demo.io"}}
  - name: api
    services:
      fn: {kind: lambda}
connections:
  - front -> fn
"""


def test_amplify_app_and_branch(tmp_path: Path) -> None:
    tf, text = build(tmp_path, APP)
    res = tf["resource"]
    app = res["aws_amplify_app"]["front"]
    assert app["platform"] == "WEB"
    assert app["enable_basic_auth"] is False
    assert app["iam_service_role_arn"] == "${aws_iam_role.front.arn}"
    assert app["environment_variables"] == {"API_URL": "https://api.archc-demo.io"}
    assert app["custom_rule"][0]["target"] == "/index.html"
    assert "Strict-Transport-Security" in app["custom_headers"]
    # No token ever: the repository is connected in the console and left alone by Terraform.
    assert not {"access_token", "oauth_token", "basic_auth_credentials", "repository"} & app.keys()
    assert '"access_token":' not in text and '"oauth_token":' not in text
    assert app["lifecycle"] == {"ignore_changes": ["repository", "access_token", "oauth_token"]}
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


def test_amplify_connections_document_the_request_path_only(tmp_path: Path) -> None:
    tf, _ = build(tmp_path, APP)
    owned_by_edge = [n for type_ in tf["resource"].values() for n in type_ if n.startswith("front_to_") or n.startswith("fn_from_front")]
    assert owned_by_edge == []
    assert (tf["data"]["aws_iam_policy_document"].keys() & {"front_to_fn"}) == set()


def test_amplify_without_spa_rewrite(tmp_path: Path) -> None:
    tf, _ = build(tmp_path, "layers:\n  - name: web\n    services:\n      front: {kind: amplify, spa: false, platform: WEB_COMPUTE}\n")
    app = tf["resource"]["aws_amplify_app"]["front"]
    assert app.get("custom_rule", []) == []
    assert app["platform"] == "WEB_COMPUTE"


def test_amplify_refuses_secrets_in_environment(tmp_path: Path) -> None:
    body = "layers:\n  - name: web\n    services:\n      front: {kind: amplify, environment: {DB_PASSWORD: hunter2}}\n"
    assert error(tmp_path, body) == (
        "model.yaml:7:43: error[value]: environment variable 'DB_PASSWORD' looks like a secret; "
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
