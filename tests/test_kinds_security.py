"""Security kinds: waf and cognito: their Terraform, what they protect or grant, and bad settings."""

from __future__ import annotations

from pathlib import Path

from compiler import pipeline
from compiler.terraform.emit import emit
from compiler.terraform.realization import Part
from tests.kinds_helpers import _write, assert_plans, build, error

EMR = "kind: emr"  # a workload with an IAM role, to connect from

HTTP_OK = "reasons: {listeners: plain HTTP in a test}"  # an ALB without a certificate must say why


# --- waf -------------------------------------------------------------------------------------


def test_waf_protects_cloudfront_from_us_east_1(tmp_path: Path) -> None:
    services = {"firewall": "kind: waf, protects: [cdn], rate_limit: 500", "cdn": "kind: cloudfront", "site": "kind: s3"}
    stack = build(tmp_path, services, "cdn -> site")
    res = stack["resource"]
    acl = res["aws_wafv2_web_acl"]["firewall"]
    assert (acl["scope"], acl["provider"]) == ("CLOUDFRONT", "aws.us_east_1")
    assert acl["default_action"] == [{"allow": [{}]}]
    assert acl["visibility_config"][0]["cloudwatch_metrics_enabled"] is True
    rules = {r["name"]: r for r in acl["rule"]}
    assert sorted(rules) == [
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "rate-limit-per-ip",
    ]
    rate = rules["rate-limit-per-ip"]
    assert rate["statement"] == [{"rate_based_statement": [{"limit": 500, "aggregate_key_type": "IP", "evaluation_window_sec": 300}]}]
    assert rate["action"] == [{"block": [{}]}]
    common = rules["AWSManagedRulesCommonRuleSet"]
    assert common["statement"] == [{"managed_rule_group_statement": [{"name": "AWSManagedRulesCommonRuleSet", "vendor_name": "AWS"}]}]
    assert common["override_action"] == [{"none": [{}]}]
    assert len({r["priority"] for r in acl["rule"]}) == 4
    # CloudFront takes the ACL itself; no association.
    assert res["aws_cloudfront_distribution"]["cdn"]["web_acl_id"] == "${aws_wafv2_web_acl.firewall.arn}"
    assert "aws_wafv2_web_acl_association" not in res
    logs = res["aws_cloudwatch_log_group"]["firewall_logs"]
    assert logs["name"] == "aws-waf-logs-t-firewall"
    assert (logs["retention_in_days"], logs["provider"]) == (365, "aws.us_east_1")
    logging = res["aws_wafv2_web_acl_logging_configuration"]["firewall"]
    assert logging["log_destination_configs"] == ["${aws_cloudwatch_log_group.firewall_logs.arn}"]


def test_waf_regional_associations(tmp_path: Path) -> None:
    services = {"firewall": "kind: waf, protects: [alb, users], logs: false", "alb": f"kind: alb, {HTTP_OK}", "users": "kind: cognito"}
    stack = build(tmp_path, services)
    res = stack["resource"]
    acl = res["aws_wafv2_web_acl"]["firewall"]
    assert (acl["scope"], acl["provider"]) == ("REGIONAL", "aws")
    associations = res["aws_wafv2_web_acl_association"]
    assert associations["firewall_alb"] == {
        "resource_arn": "${aws_lb.alb.arn}",
        "web_acl_arn": "${aws_wafv2_web_acl.firewall.arn}",
        "provider": "aws",
    }
    assert associations["firewall_users"]["resource_arn"] == "${aws_cognito_user_pool.users.arn}"
    assert "aws_wafv2_web_acl_logging_configuration" not in res


def _parts(tmp_path: Path, services: dict[str, str], *connections: str) -> dict[str, list[Part]]:
    """Each connection's parts (realization.py), by connection id."""
    arch = pipeline.load(_write(tmp_path, services, connections, "azs: 2"), "model.yaml")
    stack = emit(arch)
    return {e.id: stack.parts(e.id) for e in arch.edges}


def test_waf_connection_from_a_protected_distribution_is_its_web_acl(tmp_path: Path) -> None:
    """Seed 003: cdn -> firewall documents the request path; the distribution's web_acl_id realizes it."""
    services = {"cdn": "kind: cloudfront", "firewall": "kind: waf, protects: [cdn]", "alb": f"kind: alb, {HTTP_OK}", "web": "kind: asg"}
    stack = build(tmp_path, services, "cdn -> firewall", "cdn -> alb", "alb -> web")
    (origin,) = stack["resource"]["aws_cloudfront_distribution"]["cdn"]["origin"]
    assert origin["origin_id"] == "alb"
    assert not any("firewall" in name for name in stack["resource"].get("aws_vpc_security_group_ingress_rule", {}))
    parts = _parts(tmp_path, services, "cdn -> firewall", "cdn -> alb", "alb -> web")
    assert parts["cdn->firewall"] == [Part("path", "aws_cloudfront_distribution.cdn", "web_acl_id: web ACL firewall")]


def test_waf_connection_from_a_protected_load_balancer_is_its_association(tmp_path: Path) -> None:
    services = {"firewall": "kind: waf, protects: [alb]", "alb": f"kind: alb, {HTTP_OK}", "web": "kind: asg"}
    parts = _parts(tmp_path, services, "alb -> firewall", "alb -> web")
    assert parts["alb->firewall"] == [Part("path", "aws_wafv2_web_acl_association.firewall_alb", "web ACL firewall")]


def test_waf_connection_from_an_unprotected_service_is_refused(tmp_path: Path) -> None:
    services = {"firewall": "kind: waf, protects: [cdn]", "cdn": "kind: cloudfront", "site": "kind: s3", "alb": f"kind: alb, {HTTP_OK}"}
    assert error(tmp_path, services, "cdn -> site", "alb -> firewall") == (
        "model.yaml:13:5: error[connection]: alb (alb) -> firewall (waf): waf 'firewall' does not protect 'alb', "
        "so the connection would compile into nothing; add 'alb' to protects"
    )
    services["fn"] = "kind: lambda"
    assert error(tmp_path, services, "cdn -> site", "fn -> firewall") == (
        "model.yaml:14:5: error[connection]: fn (lambda) -> firewall (waf): waf 'firewall' does not protect 'fn', "
        "so the connection would compile into nothing; it protects only cloudfront, alb, cognito services, so remove the connection"
    )


def test_waf_starts_no_connections(tmp_path: Path) -> None:
    services = {"firewall": "kind: waf, protects: [cdn]", "cdn": "kind: cloudfront", "site": "kind: s3"}
    assert error(tmp_path, services, "cdn -> site", "firewall -> site") == (
        "model.yaml:12:5: error[connection]: firewall (waf) -> site (s3): a web ACL filters requests, it sends none; "
        "it names what it protects under protects"
    )


def test_waf_one_scope(tmp_path: Path) -> None:
    services = {
        "firewall": "kind: waf, protects: [cdn, alb]",
        "cdn": "kind: cloudfront",
        "alb": f"kind: alb, {HTTP_OK}",
        "site": "kind: s3",
    }
    assert error(tmp_path, services, "cdn -> site") == (
        "model.yaml:7:7: error[conflict]: waf 'firewall' protects both CloudFront (a global web ACL) and regional services; "
        "use one waf for each"
    )


def test_waf_one_per_service(tmp_path: Path) -> None:
    services = {"a": "kind: waf, protects: [alb]", "b": "kind: waf, protects: [alb]", "alb": f"kind: alb, {HTTP_OK}"}
    assert error(tmp_path, services) == (
        "model.yaml:7:7: error[conflict]: 'alb' is protected by both waf 'a' and waf 'b'; a service takes one web ACL"
    )


def test_waf_cannot_protect_http_apis(tmp_path: Path) -> None:
    message = error(tmp_path, {"firewall": "kind: waf, protects: [api]", "api": "kind: api-gateway"})
    assert message == (
        "model.yaml:7:40: error[value]: 'protects' must name a service of kind cloudfront, alb, cognito; 'api' is api-gateway"
    )


def test_waf_bad_rate_limit(tmp_path: Path) -> None:
    message = error(tmp_path, {"firewall": "kind: waf, protects: [alb], rate_limit: 5", "alb": f"kind: alb, {HTTP_OK}"})
    assert message == "model.yaml:7:58: error[value]: 'rate_limit' must be at least 10, not 5"


def test_waf_needs_something_to_protect(tmp_path: Path) -> None:
    assert (
        error(tmp_path, {"firewall": "kind: waf, protects: []"}) == "model.yaml:7:39: error[value]: 'protects' must have at least 1 item(s)"
    )


# --- cognito -----------------------------------------------------------------------------------


def test_cognito_user_pool_defaults(tmp_path: Path) -> None:
    stack = build(tmp_path, {"users": "kind: cognito"})
    res = stack["resource"]
    pool = res["aws_cognito_user_pool"]["users"]
    assert pool["password_policy"] == [
        {
            "minimum_length": 12,
            "require_lowercase": True,
            "require_uppercase": True,
            "require_numbers": True,
            "require_symbols": True,
            "temporary_password_validity_days": 3,
            "password_history_size": 5,
        }
    ]
    assert (pool["mfa_configuration"], pool["software_token_mfa_configuration"]) == ("OPTIONAL", [{"enabled": True}])
    assert pool["deletion_protection"] == "ACTIVE"
    assert (pool["user_pool_tier"], pool["user_pool_add_ons"]) == ("PLUS", [{"advanced_security_mode": "ENFORCED"}])
    assert pool["auto_verified_attributes"] == ["email"]
    assert pool["admin_create_user_config"] == [{"allow_admin_create_user_only": False}]
    client = res["aws_cognito_user_pool_client"]["users"]
    assert client["user_pool_id"] == "${aws_cognito_user_pool.users.id}"
    assert client["generate_secret"] is False
    assert client["explicit_auth_flows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["prevent_user_existence_errors"] == "ENABLED"
    assert "allowed_oauth_flows" not in client
    assert "aws_cognito_user_pool_domain" not in res
    assert set(stack["output"]) == {"users_user_pool_id", "users_client_id", "vpc_id"}


def test_cognito_hosted_sign_in(tmp_path: Path) -> None:
    settings = (
        "kind: cognito, domain_prefix: carshare, callback_urls: ['https://archc-demo.io/callback'], "
        "mfa: required, tier: essentials, threat_protection: 'off'"
    )
    stack = build(tmp_path, {"users": settings})
    res = stack["resource"]
    assert res["aws_cognito_user_pool_domain"]["users"] == {
        "domain": "carshare",
        "user_pool_id": "${aws_cognito_user_pool.users.id}",
        "provider": "aws",
    }
    client = res["aws_cognito_user_pool_client"]["users"]
    assert (client["allowed_oauth_flows"], client["callback_urls"]) == (["code"], ["https://archc-demo.io/callback"])
    pool = res["aws_cognito_user_pool"]["users"]
    assert (pool["mfa_configuration"], pool["user_pool_tier"]) == ("ON", "ESSENTIALS")
    assert "user_pool_add_ons" not in pool


def test_cognito_admin_access(tmp_path: Path) -> None:
    stack = build(tmp_path, {"batch": EMR, "users": "kind: cognito"}, "{from: batch, to: users, access: admin}")
    admin = stack["data"]["aws_iam_policy_document"]["batch_to_users"]["statement"][0]
    assert "cognito-idp:Admin*" in admin["actions"]
    assert admin["resources"] == ["${aws_cognito_user_pool.users.arn}"]


def test_cognito_read_is_the_default_access(tmp_path: Path) -> None:
    stack = build(tmp_path, {"batch": EMR, "users": "kind: cognito"}, "batch -> users")
    (statement,) = stack["data"]["aws_iam_policy_document"]["batch_to_users"]["statement"]
    assert statement["actions"] == ["cognito-idp:AdminGetUser", "cognito-idp:AdminListGroupsForUser", "cognito-idp:ListUsers"]


def test_cognito_threat_protection_needs_plus(tmp_path: Path) -> None:
    assert error(tmp_path, {"users": "kind: cognito, tier: essentials"}) == (
        "model.yaml:7:14: error[conflict]: threat_protection: enforced needs tier: plus (or set threat_protection: off)"
    )


def test_cognito_callback_needs_domain(tmp_path: Path) -> None:
    message = error(tmp_path, {"users": "kind: cognito, callback_urls: ['https://archc-demo.io/cb']"})
    assert message == "model.yaml:7:45: error[conflict]: callback_urls and logout_urls need domain_prefix (the hosted sign-in pages)"


def test_cognito_callback_must_be_https(tmp_path: Path) -> None:
    message = error(tmp_path, {"users": "kind: cognito, domain_prefix: app, callback_urls: ['http://archc-demo.io/cb']"})
    assert message == "model.yaml:7:65: error[value]: callback_urls: 'http://archc-demo.io/cb' must be an https URL (or http://localhost)"


def test_cognito_starts_no_connections(tmp_path: Path) -> None:
    message = error(tmp_path, {"users": "kind: cognito", "batch": EMR}, "users -> batch")
    assert message.startswith("model.yaml:10:5: error[connection]: users (cognito) -> batch (emr): cognito does not start connections")


def test_security_kinds_plan(tmp_path: Path) -> None:
    services = {
        "edge-waf": "kind: waf, protects: [cdn]",
        "app-waf": "kind: waf, protects: [alb, users]",
        "cdn": "kind: cloudfront",
        "alb": f"kind: alb, {HTTP_OK}",
        "users": "kind: cognito, domain_prefix: t-archc-test, callback_urls: ['https://archc-demo.io/cb']",
        "site": "kind: s3, purpose: website",
    }
    assert_plans(tmp_path, services, "cdn -> site", "{from: cdn, to: alb, path: /api/*}", "cdn -> edge-waf")


# --- secret ----------------------------------------------------------------------------------


def test_secret_is_encrypted_with_the_data_key(tmp_path: Path) -> None:
    stack = build(tmp_path, {"token": "kind: secret, description: Partner API token, recovery_days: 7"})
    secret = stack["resource"]["aws_secretsmanager_secret"]["token"]
    assert secret["name"] == "t-token"
    assert secret["kms_key_id"] == "${aws_kms_key.archc.arn}"
    assert secret["recovery_window_in_days"] == 7
    assert "aws_secretsmanager_secret_version" not in stack["resource"]  # the value never enters the state


def test_secret_read_grants_the_secret_and_its_key_through_secrets_manager(tmp_path: Path) -> None:
    stack = build(tmp_path, {"fn": "kind: lambda", "token": "kind: secret"}, "{from: fn, to: token, access: read}")
    read, key = stack["data"]["aws_iam_policy_document"]["fn_to_token"]["statement"]
    assert read["actions"] == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    assert read["resources"] == ["${aws_secretsmanager_secret.token.arn}"]
    assert key["actions"] == ["kms:Decrypt"]
    assert key["resources"] == ["${aws_kms_key.archc.arn}"]
    via = {"test": "StringEquals", "variable": "kms:ViaService", "values": ["secretsmanager.eu-west-3.amazonaws.com"]}
    assert key["condition"] == [via]
    # Discovery: the secret's ARN and name as parameters the caller may read.
    parameters = stack["resource"]["aws_ssm_parameter"]
    assert parameters["token_arn"]["name"] == "/archc/t/token/arn"
    assert parameters["token_name"]["value"] == "${aws_secretsmanager_secret.token.name}"


def test_secret_write_may_generate_data_keys(tmp_path: Path) -> None:
    stack = build(tmp_path, {"fn": "kind: lambda", "token": "kind: secret"}, "{from: fn, to: token, access: write}")
    _, key = stack["data"]["aws_iam_policy_document"]["fn_to_token"]["statement"]
    assert key["actions"] == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_secret_connection_parts(tmp_path: Path) -> None:
    from compiler import pipeline
    from compiler.terraform.emit import emit

    path = tmp_path / "model.yaml"
    path.write_text(
        "name: t\nregion: eu-west-3\nlayers:\n  - name: app\n    services:\n      fn: {kind: lambda}\n      token: {kind: secret}\n"
        "connections:\n  - {from: fn, to: token, access: read}\n"
    )
    arch = pipeline.load(path, "model.yaml")
    (edge,) = arch.edges
    elements = {p.element for p in emit(arch).parts(edge.id)}
    assert elements == {"permission", "discovery"}


def test_secret_bad_recovery_window(tmp_path: Path) -> None:
    assert error(tmp_path, {"token": "kind: secret, recovery_days: 3"}) == (
        "model.yaml:7:44: error[value]: 'recovery_days' must be at least 7, not 3"
    )


def test_secret_plans(tmp_path: Path) -> None:
    assert_plans(tmp_path, {"fn": "kind: lambda", "token": "kind: secret"}, "{from: fn, to: token, access: read}")
