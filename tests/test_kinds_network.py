"""Network kinds: alb, api-gateway, cloudfront and route53: their Terraform, routes and bad settings."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.terraform.emit import emit
from modules.network import SPA_FUNCTION
from modules.network_kit import route_key
from tests.kinds_helpers import _write, assert_plans, build, error

CERT = "arn:aws:acm:eu-west-3:123456789012:certificate/abc-123"
GLOBAL_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123"
ASG = "kind: asg"
ECS_CLUSTER = "kind: ecs-cluster"

HTTP_OK = "reasons: {listeners: plain HTTP in a test}"  # an ALB without a certificate must say why


def _ecs(port: int, health: str) -> str:
    return f"kind: ecs-service, cluster: cluster, port: {port}, health_check_path: {health}"


# --- alb -----------------------------------------------------------------------------------


def test_alb_http_path_rules_seed_004(tmp_path: Path) -> None:
    """Seed 004: HTTP on port 80, three path rules, three target groups with health checks."""
    services = {
        "alb": f"kind: alb, {HTTP_OK}",
        "cluster": ECS_CLUSTER,
        "client-web-ui": _ecs(80, "/"),
        "intrusion-api": _ecs(8080, "/api/intrusions/health"),
        "sites-management-api": _ecs(8081, "/api/sites/health"),
    }
    stack = build(
        tmp_path,
        services,
        "{from: alb, to: intrusion-api, path: /api/intrusions/*}",
        "{from: alb, to: sites-management-api, path: /api/sites/*}",
        "alb -> client-web-ui",
    )
    res = stack["resource"]
    lb = res["aws_lb"]["alb"]
    assert lb["internal"] is False
    assert lb["drop_invalid_header_fields"] is True
    assert lb["enable_deletion_protection"] is True
    assert lb["subnets"] == ["${aws_subnet.public_a.id}", "${aws_subnet.public_b.id}"]
    assert lb["security_groups"] == ["${aws_security_group.alb.id}"]
    assert list(res["aws_lb_listener"]) == ["alb_http"]
    listener = res["aws_lb_listener"]["alb_http"]
    assert (listener["port"], listener["protocol"]) == (80, "HTTP")
    assert listener["default_action"] == [{"type": "forward", "target_group_arn": "${aws_lb_target_group.alb_client_web_ui.arn}"}]
    groups = res["aws_lb_target_group"]
    assert sorted(groups) == ["alb_client_web_ui", "alb_intrusion_api", "alb_sites_management_api"]
    intrusion = groups["alb_intrusion_api"]
    assert intrusion["name"] == "t-alb-intrusion-api"
    assert (intrusion["port"], intrusion["protocol"], intrusion["target_type"]) == (8080, "HTTP", "ip")
    assert intrusion["health_check"][0]["path"] == "/api/intrusions/health"
    assert intrusion["health_check"][0]["matcher"] == "200-399"
    rules = res["aws_lb_listener_rule"]
    assert rules["alb_intrusion_api"]["priority"] == 10
    assert rules["alb_intrusion_api"]["condition"] == [{"path_pattern": [{"values": ["/api/intrusions", "/api/intrusions/*"]}]}]
    assert rules["alb_sites_management_api"]["priority"] == 20
    assert rules["alb_sites_management_api"]["listener_arn"] == "${aws_lb_listener.alb_http.arn}"
    assert rules["alb_sites_management_api"]["action"][0]["target_group_arn"] == "${aws_lb_target_group.alb_sites_management_api.arn}"
    # The target registers itself: the ECS service's load_balancer block.
    (registration,) = res["aws_ecs_service"]["intrusion_api"]["load_balancer"]
    assert registration["target_group_arn"] == "${aws_lb_target_group.alb_intrusion_api.arn}"
    ingress = res["aws_vpc_security_group_ingress_rule"]
    assert ingress["alb_from_internet_80"]["cidr_ipv4"] == "0.0.0.0/0"
    assert "alb_from_internet_443" not in ingress
    assert ingress["intrusion_api_from_alb"]["from_port"] == 8080
    assert ingress["intrusion_api_from_alb"]["referenced_security_group_id"] == "${aws_security_group.alb.id}"


def test_alb_https_redirects_http(tmp_path: Path) -> None:
    stack = build(tmp_path, {"alb": f"kind: alb, certificate_arn: '{CERT}'", "web": ASG}, "alb -> web")
    listeners = stack["resource"]["aws_lb_listener"]
    https, http = listeners["alb_https"], listeners["alb_http"]
    assert (https["port"], https["protocol"], https["certificate_arn"]) == (443, "HTTPS", CERT)
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["default_action"][0]["target_group_arn"] == "${aws_lb_target_group.alb_web.arn}"
    assert http["default_action"] == [{"type": "redirect", "redirect": [{"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}]}]
    ingress = stack["resource"]["aws_vpc_security_group_ingress_rule"]
    assert ingress["alb_from_internet_443"]["to_port"] == 443
    assert ingress["alb_from_internet_80"]["to_port"] == 80
    assert stack["resource"]["aws_lb_target_group"]["alb_web"]["target_type"] == "instance"
    assert stack["resource"]["aws_autoscaling_attachment"]


def test_alb_internal_without_routes(tmp_path: Path) -> None:
    stack = build(tmp_path, {"alb": f"kind: alb, internal: true, deletion_protection: false, idle_timeout: 120, {HTTP_OK}"})
    lb = stack["resource"]["aws_lb"]["alb"]
    assert lb["internal"] is True
    assert lb["subnets"] == ["${aws_subnet.private_a.id}", "${aws_subnet.private_b.id}"]
    assert (lb["enable_deletion_protection"], lb["idle_timeout"]) == (False, 120)
    assert "aws_vpc_security_group_ingress_rule" not in stack["resource"]  # nothing reaches it yet
    action = stack["resource"]["aws_lb_listener"]["alb_http"]["default_action"][0]
    assert action["fixed_response"][0]["status_code"] == "404"


def test_alb_lambda_target(tmp_path: Path) -> None:
    stack = build(tmp_path, {"alb": f"kind: alb, {HTTP_OK}", "fn": "kind: lambda"}, "{from: alb, to: fn, path: /fn/*}")
    group = stack["resource"]["aws_lb_target_group"]["alb_fn"]
    assert group["target_type"] == "lambda"
    assert "port" not in group and "vpc_id" not in group
    assert stack["resource"]["aws_lb_target_group_attachment"]


def test_alb_access_logs(tmp_path: Path) -> None:
    stack = build(tmp_path, {"alb": f"kind: alb, access_logs: logs, {HTTP_OK}", "logs": "kind: s3, purpose: logs"})
    lb = stack["resource"]["aws_lb"]["alb"]
    assert lb["access_logs"] == [{"bucket": "${aws_s3_bucket.logs.id}", "prefix": "alb", "enabled": True}]
    # ELB checks the bucket policy when access logs are turned on: it must exist first.
    assert lb["depends_on"] == ["aws_s3_bucket_policy.logs"]
    assert stack["resource"]["aws_s3_bucket_policy"]["logs"]["bucket"] == "${aws_s3_bucket.logs.id}"
    statements = stack["data"]["aws_iam_policy_document"]["logs_policy"]["statement"]
    assert {s["sid"] for s in statements} == {"ElbLogDeliveryAlb", "ElbAccountLogDeliveryAlb"}  # eu-west-3 predates Aug 2022
    assert all(s["resources"] == ["${aws_s3_bucket.logs.arn}/alb/AWSLogs/*"] for s in statements)
    # ELB log delivery writes SSE-S3 objects only: the bucket follows (was the AWS managed KMS key: no logs).
    (rule,) = stack["resource"]["aws_s3_bucket_server_side_encryption_configuration"]["logs"]["rule"]
    assert rule == {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}


def test_alb_behind_cloudfront_only_takes_cloudfront(tmp_path: Path) -> None:
    stack = build(tmp_path, {"cdn": "kind: cloudfront", "alb": f"kind: alb, {HTTP_OK}"}, "cdn -> alb")
    (rule,) = stack["resource"]["aws_vpc_security_group_ingress_rule"].values()
    assert rule["prefix_list_id"] == "${data.aws_ec2_managed_prefix_list.alb_cloudfront.id}"
    assert "cidr_ipv4" not in rule
    assert stack["data"]["aws_ec2_managed_prefix_list"]["alb_cloudfront"]["name"] == "com.amazonaws.global.cloudfront.origin-facing"


def test_alb_needs_two_zones(tmp_path: Path) -> None:
    assert error(tmp_path, {"alb": f"kind: alb, {HTTP_OK}"}, azs=1) == (
        "model.yaml:7:7: error[conflict]: an ALB needs subnets in at least 2 availability zones (set network.azs: 2 or more)"
    )


def test_alb_https_needs_certificate(tmp_path: Path) -> None:
    assert error(tmp_path, {"alb": "kind: alb, listeners: https"}) == (
        "model.yaml:7:35: error[conflict]: listeners: https needs a certificate: set domain (in a route53 zone of the model: "
        "archc makes and validates the certificate) or certificate_arn (an ACM certificate in the architecture's region)"
    )


def test_alb_domain_in_the_model_gets_a_validated_certificate(tmp_path: Path) -> None:
    services = {"dns": "kind: route53, domain: archc-demo.io", "alb": "kind: alb, domain: app.archc-demo.io"}
    stack = build(tmp_path, services, "dns -> alb")
    res = stack["resource"]
    certificate = res["aws_acm_certificate"]["alb_certificate"]
    assert (certificate["domain_name"], certificate["validation_method"]) == ("app.archc-demo.io", "DNS")
    assert certificate["provider"] == "aws"  # the ALB's region: a listener reads certificates of its own region
    assert certificate["lifecycle"] == {"create_before_destroy": True}
    record = res["aws_route53_record"]["alb_validation_app_archc_demo_io"]
    assert record["zone_id"] == "${aws_route53_zone.dns.zone_id}"
    assert record["name"] == (
        '${one([for o in aws_acm_certificate.alb_certificate.domain_validation_options : o if o.domain_name == "app.archc-demo.io"])'
        ".resource_record_name}"
    )
    validation = res["aws_acm_certificate_validation"]["alb_certificate"]
    assert validation["validation_record_fqdns"] == ["${aws_route53_record.alb_validation_app_archc_demo_io.fqdn}"]
    listener = res["aws_lb_listener"]["alb_https"]
    assert listener["certificate_arn"] == "${aws_acm_certificate_validation.alb_certificate.certificate_arn}"
    assert res["aws_route53_record"]["dns_app_a"]["name"] == "app.archc-demo.io"
    # Port 80 redirects to HTTPS: a domain makes the listeners https by default.
    assert res["aws_lb_listener"]["alb_http"]["default_action"][0]["type"] == "redirect"


def test_alb_behind_cloudfront_by_a_name_of_the_model(tmp_path: Path) -> None:
    services = {
        "dns": "kind: route53, domain: archc-demo.io",
        "cdn": "kind: cloudfront",
        "alb": "kind: alb, domain: origin.archc-demo.io",
        "fn": "kind: lambda",
    }
    # CloudFront reaches the ALB by its domain: a zone of the model holds it, so a record there must point it at the ALB.
    assert error(tmp_path, services, "cdn -> alb", "alb -> fn") == (
        "model.yaml:9:7: error[conflict]: cdn reaches alb 'alb' at origin.archc-demo.io, but no record of route53 'dns' points "
        "that name at the ALB: connect dns -> alb"
    )
    res = build(tmp_path, services, "cdn -> alb", "alb -> fn", "dns -> alb")["resource"]
    origin = res["aws_cloudfront_distribution"]["cdn"]["origin"][0]
    assert (origin["domain_name"], origin["custom_origin_config"][0]["origin_protocol_policy"]) == ("origin.archc-demo.io", "https-only")
    assert res["aws_route53_record"]["dns_origin_a"]["alias"][0]["name"] == "${aws_lb.alb.dns_name}"
    assert res["aws_lb_listener"]["alb_https"]["certificate_arn"] == "${aws_acm_certificate_validation.alb_certificate.certificate_arn}"


def test_alb_domain_outside_the_model_needs_certificate(tmp_path: Path) -> None:
    assert error(tmp_path, {"alb": "kind: alb, domain: app.archc-demo.io"}) == (
        "model.yaml:7:32: error[conflict]: app.archc-demo.io is not in a Route 53 zone of the model, so archc cannot validate a "
        "certificate for it: add a route53 service for its domain, or set certificate_arn (an ACM certificate in eu-west-3 covering it)"
    )


def test_alb_certificate_in_another_region(tmp_path: Path) -> None:
    assert error(tmp_path, {"alb": f"kind: alb, certificate_arn: '{GLOBAL_CERT}'"}) == (
        "model.yaml:7:41: error[value]: certificate_arn is in us-east-1, but an ALB reads certificates from eu-west-3 only"
    )


def test_certificate_arn_that_is_no_arn(tmp_path: Path) -> None:
    assert error(tmp_path, {"alb": "kind: alb, certificate_arn: my-cert"}) == (
        "model.yaml:7:41: error[value]: 'certificate_arn': 'my-cert' is not an ACM certificate ARN "
        "(arn:aws:acm:<region>:<account>:certificate/<id>)"
    )


def test_alb_one_default_route(tmp_path: Path) -> None:
    message = error(tmp_path, {"alb": f"kind: alb, {HTTP_OK}", "a": ASG, "b": ASG}, "alb -> a", "alb -> b")
    assert message == (
        "model.yaml:7:7: error[connection]: only one connection from an ALB may be its default route (no path, or a path "
        "matching everything such as '/*'); give the others a path such as '/api/*'"
    )


def test_alb_catch_all_and_no_path_are_both_defaults(tmp_path: Path) -> None:
    message = error(tmp_path, {"alb": f"kind: alb, {HTTP_OK}", "a": ASG, "b": ASG}, "alb -> a", "{from: alb, to: b, path: /*}")
    assert message.startswith("model.yaml:7:7: error[connection]: only one connection from an ALB may be its default route")


def test_alb_rules_most_specific_first_and_catch_all_as_default(tmp_path: Path) -> None:
    """Seed 004 listed '/*' first: as rule 10 it took every request, the API target groups got none."""
    services = {
        "alb": f"kind: alb, {HTTP_OK}",
        "cluster": ECS_CLUSTER,
        "ui": _ecs(80, "/"),
        "api": _ecs(8080, "/api/health"),
        "intrusions": _ecs(8081, "/api/intrusions/health"),
    }
    stack = build(
        tmp_path,
        services,
        "{from: alb, to: ui, path: /*}",
        "{from: alb, to: api, path: /api/*}",
        "{from: alb, to: intrusions, path: /api/intrusions/*}",
    )
    res = stack["resource"]
    assert res["aws_lb_listener"]["alb_http"]["default_action"] == [
        {"type": "forward", "target_group_arn": "${aws_lb_target_group.alb_ui.arn}"}
    ]
    rules = {r["condition"][0]["path_pattern"][0]["values"][-1]: r["priority"] for r in res["aws_lb_listener_rule"].values()}
    assert rules == {"/api/intrusions/*": 10, "/api/*": 20}


def test_alb_bad_path(tmp_path: Path) -> None:
    message = error(tmp_path, {"alb": f"kind: alb, {HTTP_OK}", "a": ASG}, "{from: alb, to: a, path: api/*}")
    assert message == "model.yaml:7:7: error[value]: connection path 'api/*' is not valid for an ALB; use a path such as '/api/*'"


def test_alb_reaches_only_load_balancer_targets(tmp_path: Path) -> None:
    message = error(tmp_path, {"alb": f"kind: alb, {HTTP_OK}", "db": "kind: rds"}, "alb -> db")
    assert message.startswith("model.yaml:10:5: error[connection]: alb (alb) -> db (rds): alb connects only to ")
    assert "ecs-service" in message and "lambda" in message


# --- api-gateway -----------------------------------------------------------------------------


def test_api_gateway_stage_logs_and_throttles(tmp_path: Path) -> None:
    stack = build(tmp_path, {"api": "kind: api-gateway, throttle_rate: 50, cors_origins: ['https://archc-demo.io']"})
    res = stack["resource"]
    api = res["aws_apigatewayv2_api"]["api"]
    assert (api["name"], api["protocol_type"]) == ("t-api", "HTTP")
    assert api["cors_configuration"][0]["allow_origins"] == ["https://archc-demo.io"]
    stage = res["aws_apigatewayv2_stage"]["api"]
    assert (stage["name"], stage["auto_deploy"]) == ("$default", True)
    assert stage["access_log_settings"][0]["destination_arn"] == "${aws_cloudwatch_log_group.api_access.arn}"
    assert '"requestId": "$context.requestId"' in stage["access_log_settings"][0]["format"]
    assert stage["default_route_settings"] == [
        {"throttling_rate_limit": 50, "throttling_burst_limit": 200, "detailed_metrics_enabled": True}
    ]
    assert res["aws_cloudwatch_log_group"]["api_access"]["retention_in_days"] == 365


def test_api_gateway_routes_to_lambda(tmp_path: Path) -> None:
    stack = build(tmp_path, {"api": "kind: api-gateway", "pay": "kind: lambda"}, "{from: api, to: pay, path: /payments/*}")
    res = stack["resource"]
    integration = res["aws_apigatewayv2_integration"]["api_pay"]
    assert integration["integration_type"] == "AWS_PROXY"
    assert integration["integration_uri"] == "${aws_lambda_function.pay.invoke_arn}"
    route = res["aws_apigatewayv2_route"]["api_pay"]
    assert route["route_key"] == "ANY /payments/{proxy+}"
    assert route["target"] == "integrations/${aws_apigatewayv2_integration.api_pay.id}"
    permission = res["aws_lambda_permission"]["pay_from_api"]
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["source_arn"] == "${aws_apigatewayv2_api.api.execution_arn}/*/*"


def test_api_gateway_routes_called_by_aws_services_take_iam(tmp_path: Path) -> None:
    # Seed 003, steps 7-8: the booking service calls the API with its role; the payment
    # route admits signed requests of roles granted execute-api:Invoke on it, no one else.
    services = {"app": "kind: lambda", "api": "kind: api-gateway", "pay": "kind: lambda", "orders": "kind: lambda"}
    connections = (
        "{from: app, to: api, access: invoke}",
        "{from: api, to: pay, path: /payments}",
        "{from: api, to: orders, path: 'GET /orders/{id}'}",
    )
    stack = build(tmp_path, services, *connections)
    routes = stack["resource"]["aws_apigatewayv2_route"]
    assert [r["authorization_type"] for r in routes.values()] == ["AWS_IAM", "AWS_IAM"]
    (statement,) = stack["data"]["aws_iam_policy_document"]["app_to_api"]["statement"]
    assert statement["actions"] == ["execute-api:Invoke"]
    assert statement["resources"] == [
        "${aws_apigatewayv2_api.api.execution_arn}/*/*/payments",
        "${aws_apigatewayv2_api.api.execution_arn}/*/GET/orders/*",
    ]
    parts = _parts(tmp_path, services, *connections)["app->api"]
    assert parts == [
        ("discovery", "aws_lambda_function.app", "environment ARCHC_API_PARAMETERS=/archc/t/api"),
        ("discovery", "aws_ssm_parameter.api_endpoint", "/archc/t/api/endpoint"),
        ("permission", "aws_apigatewayv2_route.api_orders", "AWS_IAM authorization"),
        ("permission", "aws_apigatewayv2_route.api_pay", "AWS_IAM authorization"),
        ("permission", "aws_iam_role_policy.app_finds_api", ""),  # reads the endpoint's parameter
        ("permission", "aws_iam_role_policy.app_to_api", ""),
    ]


def test_api_gateway_without_callers_takes_iam(tmp_path: Path) -> None:
    # Open routes only when the model brings callers from outside AWS: a secure default.
    stack = build(tmp_path, {"api": "kind: api-gateway", "pay": "kind: lambda"}, "api -> pay")
    assert stack["resource"]["aws_apigatewayv2_route"]["api_pay"]["authorization_type"] == "AWS_IAM"


def test_api_gateway_called_from_outside_aws_stays_open(tmp_path: Path) -> None:
    services = {"people": "kind: users", "api": "kind: api-gateway", "pay": "kind: lambda"}
    stack = build(tmp_path, services, "people -> api", "api -> pay")
    assert "authorization_type" not in stack["resource"]["aws_apigatewayv2_route"]["api_pay"]


def test_api_gateway_called_from_outside_and_with_iam(tmp_path: Path) -> None:
    services = {"people": "kind: users", "app": "kind: lambda", "api": "kind: api-gateway", "pay": "kind: lambda"}
    message = error(tmp_path, services, "people -> api", "{from: app, to: api, access: invoke}", "api -> pay")
    assert message == (
        "model.yaml:13:5: error[conflict]: app calls api-gateway 'api' with IAM (access: invoke), but people reaches it from "
        "outside AWS, and one authorization covers every route: set authorization: iam (every caller signs its requests with AWS "
        "credentials) or none (open routes, with a reasons: entry)"
    )
    # Saying which one settles it.
    services["api"] = "kind: api-gateway, authorization: iam"
    stack = build(tmp_path, services, "people -> api", "{from: app, to: api, access: invoke}", "api -> pay")
    assert stack["resource"]["aws_apigatewayv2_route"]["api_pay"]["authorization_type"] == "AWS_IAM"
    services["api"] = "kind: api-gateway, authorization: none, reasons: {authorization: partners call it with their own keys}"
    stack = build(tmp_path, services, "people -> api", "{from: app, to: api, access: invoke}", "api -> pay")
    assert "authorization_type" not in stack["resource"]["aws_apigatewayv2_route"]["api_pay"]


def test_api_gateway_open_routes_need_a_reason(tmp_path: Path) -> None:
    message = error(tmp_path, {"api": "kind: api-gateway, authorization: none", "pay": "kind: lambda"}, "api -> pay")
    assert message == (
        "model.yaml:7:47: error[missing]: authorization: none relaxes the secure default (iam); say why under reasons: {authorization: ...}"
    )


def test_api_gateway_iam_caller_and_jwt_routes(tmp_path: Path) -> None:
    services = {"app": "kind: lambda", "api": "kind: api-gateway, authorizer: users", "users": "kind: cognito", "pay": "kind: lambda"}
    message = error(tmp_path, services, "{from: app, to: api, access: invoke}", "api -> pay")
    assert message == (
        "model.yaml:12:5: error[conflict]: app calls api-gateway 'api' with IAM (access: invoke), but its routes take the tokens "
        "of authorizer 'users' (JWT), so the grant admits no request; remove the authorizer, or this connection"
    )
    services["api"] = "kind: api-gateway, authorizer: users, authorization: iam"
    assert error(tmp_path, services, "api -> pay") == (
        "model.yaml:8:66: error[conflict]: authorization: iam and authorizer exclude each other (a route takes one kind of authorization)"
    )


def test_api_gateway_to_internal_alb_through_vpc_link(tmp_path: Path) -> None:
    services = {"api": "kind: api-gateway", "alb": f"kind: alb, internal: true, {HTTP_OK}", "web": ASG}
    stack = build(tmp_path, services, "api -> alb", "{from: api, to: alb, path: GET /items}", "alb -> web")
    res = stack["resource"]
    integration = res["aws_apigatewayv2_integration"]["api_alb"]
    assert integration["connection_type"] == "VPC_LINK"
    assert integration["connection_id"] == "${aws_apigatewayv2_vpc_link.api.id}"
    assert integration["integration_uri"] == "${aws_lb_listener.alb_http.arn}"
    assert integration["request_parameters"] == {"overwrite:path": "$request.path"}
    assert {r["route_key"] for r in res["aws_apigatewayv2_route"].values()} == {"$default", "GET /items"}
    assert res["aws_apigatewayv2_vpc_link"]["api"]["subnet_ids"] == ["${aws_subnet.private_a.id}", "${aws_subnet.private_b.id}"]
    ingress = res["aws_vpc_security_group_ingress_rule"]["alb_from_api_vpc_link"]
    assert ingress["referenced_security_group_id"] == "${aws_security_group.api_vpc_link.id}"
    assert ingress["from_port"] == 80
    assert (
        res["aws_vpc_security_group_egress_rule"]["api_vpc_link_to_alb"]["referenced_security_group_id"] == "${aws_security_group.alb.id}"
    )


def test_api_gateway_to_public_alb(tmp_path: Path) -> None:
    stack = build(tmp_path, {"api": "kind: api-gateway", "alb": f"kind: alb, {HTTP_OK}"}, "api -> alb")
    integration = stack["resource"]["aws_apigatewayv2_integration"]["api_alb"]
    assert integration["integration_uri"] == "http://${aws_lb.alb.dns_name}"
    assert "connection_type" not in integration


def test_api_gateway_cognito_authorizer(tmp_path: Path) -> None:
    services = {"api": "kind: api-gateway, authorizer: users", "users": "kind: cognito", "fn": "kind: lambda"}
    stack = build(tmp_path, services, "api -> fn")
    authorizer = stack["resource"]["aws_apigatewayv2_authorizer"]["api"]
    assert authorizer["authorizer_type"] == "JWT"
    assert authorizer["jwt_configuration"] == [
        {
            "issuer": "https://cognito-idp.eu-west-3.amazonaws.com/${aws_cognito_user_pool.users.id}",
            "audience": ["${aws_cognito_user_pool_client.users.id}"],
        }
    ]
    route = stack["resource"]["aws_apigatewayv2_route"]["api_fn"]
    assert (route["authorization_type"], route["authorizer_id"]) == ("JWT", "${aws_apigatewayv2_authorizer.api.id}")


def test_api_gateway_custom_domain_and_alias(tmp_path: Path) -> None:
    services = {
        "dns": "kind: route53, domain: archc-demo.io",
        "api": f"kind: api-gateway, domain: api.archc-demo.io, certificate_arn: '{CERT}'",
    }
    stack = build(tmp_path, services, "dns -> api")
    res = stack["resource"]
    domain = res["aws_apigatewayv2_domain_name"]["api"]
    assert domain["domain_name_configuration"] == [{"certificate_arn": CERT, "endpoint_type": "REGIONAL", "security_policy": "TLS_1_2"}]
    assert res["aws_apigatewayv2_api_mapping"]["api"]["stage"] == "${aws_apigatewayv2_stage.api.id}"
    record = res["aws_route53_record"]["dns_api_a"]
    assert record["name"] == "api.archc-demo.io"
    assert record["alias"][0]["zone_id"] == "${aws_apigatewayv2_domain_name.api.domain_name_configuration[0].hosted_zone_id}"


def test_api_gateway_route_keys() -> None:
    assert route_key("/orders") == "ANY /orders"
    assert route_key("POST /orders/*") == "POST /orders/{proxy+}"


def test_api_gateway_domain_outside_the_model_needs_certificate(tmp_path: Path) -> None:
    assert error(tmp_path, {"api": "kind: api-gateway, domain: api.archc-demo.io"}) == (
        "model.yaml:7:40: error[conflict]: api.archc-demo.io is not in a Route 53 zone of the model, so archc cannot validate a "
        "certificate for it: add a route53 service for its domain, or set certificate_arn (an ACM certificate in eu-west-3 covering it)"
    )


def test_api_gateway_certificate_needs_domain(tmp_path: Path) -> None:
    assert error(tmp_path, {"api": f"kind: api-gateway, certificate_arn: '{CERT}'"}) == (
        "model.yaml:7:49: error[conflict]: certificate_arn needs domain (the custom domain it covers)"
    )


def test_api_gateway_duplicate_route(tmp_path: Path) -> None:
    message = error(
        tmp_path,
        {"api": "kind: api-gateway", "a": "kind: lambda", "b": "kind: lambda"},
        "{from: api, to: a, path: /x/*}",
        "{from: api, to: b, path: ANY /x/*}",
    )
    assert message == "model.yaml:7:7: error[connection]: two connections use the route 'ANY /x/{proxy+}'"


def test_api_gateway_bad_route(tmp_path: Path) -> None:
    message = error(tmp_path, {"api": "kind: api-gateway", "alb": f"kind: alb, {HTTP_OK}"}, "{from: api, to: alb, path: 'FETCH /x'}")
    assert message == (
        "model.yaml:7:7: error[value]: connection path 'FETCH /x' is not valid for an API gateway; "
        "use a path such as '/orders/*' or 'GET /orders/{id}'"
    )


def test_api_gateway_aliased_without_domain_gets_the_zones_name(tmp_path: Path) -> None:
    stack = build(tmp_path, {"dns": "kind: route53, domain: archc-demo.io", "api": "kind: api-gateway"}, "dns -> api")
    res = stack["resource"]
    domain = res["aws_apigatewayv2_domain_name"]["api"]
    assert domain["domain_name"] == "archc-demo.io"  # the zone's first alias connection takes the apex
    assert domain["domain_name_configuration"][0]["certificate_arn"] == "${aws_acm_certificate_validation.api_certificate.certificate_arn}"
    assert res["aws_acm_certificate"]["api_certificate"]["provider"] == "aws"  # a regional endpoint: the API's region
    assert res["aws_route53_record"]["api_validation_archc_demo_io"]["zone_id"] == "${aws_route53_zone.dns.zone_id}"
    assert res["aws_route53_record"]["dns_apex_a"]["alias"][0]["name"] == (
        "${aws_apigatewayv2_domain_name.api.domain_name_configuration[0].target_domain_name}"
    )


# --- cloudfront ------------------------------------------------------------------------------


def test_cloudfront_website_bucket(tmp_path: Path) -> None:
    stack = build(tmp_path, {"cdn": "kind: cloudfront, spa: true", "site": "kind: s3, purpose: website"}, "cdn -> site")
    res = stack["resource"]
    dist = res["aws_cloudfront_distribution"]["cdn"]
    assert (dist["http_version"], dist["is_ipv6_enabled"], dist["price_class"]) == ("http2and3", True, "PriceClass_100")
    assert dist["default_root_object"] == "index.html"
    assert dist["viewer_certificate"] == [{"cloudfront_default_certificate": True}]
    assert dist["restrictions"] == [{"geo_restriction": [{"restriction_type": "none"}]}]
    (origin,) = dist["origin"]
    assert origin["origin_access_control_id"] == "${aws_cloudfront_origin_access_control.site_from_cdn.id}"
    (behaviour,) = dist["default_cache_behavior"]
    assert behaviour["target_origin_id"] == "site"
    assert behaviour["viewer_protocol_policy"] == "redirect-to-https"
    assert behaviour["allowed_methods"] == ["GET", "HEAD", "OPTIONS"]
    assert behaviour["cache_policy_id"] == "${data.aws_cloudfront_cache_policy.cdn_cachingoptimized.id}"
    assert stack["data"]["aws_cloudfront_cache_policy"]["cdn_cachingoptimized"]["name"] == "Managed-CachingOptimized"
    assert stack["data"]["aws_cloudfront_response_headers_policy"]["cdn_securityheaderspolicy"]["name"] == "Managed-SecurityHeadersPolicy"
    # spa: the default behaviour's viewer requests go through the SPA function; no distribution-wide error rewrite.
    assert "custom_error_response" not in dist
    assert behaviour["function_association"] == [{"event_type": "viewer-request", "function_arn": "${aws_cloudfront_function.cdn_spa.arn}"}]
    function = res["aws_cloudfront_function"]["cdn_spa"]
    assert (function["runtime"], function["publish"], function["name"]) == ("cloudfront-js-2.0", True, "t-cdn-spa")


def test_cloudfront_spa_leaves_api_answers_alone(tmp_path: Path) -> None:
    """spa rewrote 403/404 to /index.html for the whole distribution: an API's 404 became 200 and an HTML page."""
    services = {"cdn": "kind: cloudfront, spa: true", "site": "kind: s3, purpose: website", "api": "kind: api-gateway"}
    dist = build(tmp_path, services, "cdn -> site", "{from: cdn, to: api, path: /api/*}")["resource"]["aws_cloudfront_distribution"]["cdn"]
    assert "custom_error_response" not in dist
    (api,) = dist["ordered_cache_behavior"]
    assert api["path_pattern"] == "/api/*" and "function_association" not in api
    assert "function_association" in dist["default_cache_behavior"][0]


def test_cloudfront_spa_function_routes_only_extensionless_paths() -> None:
    """Runs the function's code (node, as CloudFront's JavaScript runtime would) on a few paths."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = SPA_FUNCTION + (
        "for (const uri of ['/', '/orders/42', '/app/settings/', '/assets/app.3f2a.js', '/favicon.ico', '/v1.2/x']) "
        "console.log(uri + ' ' + handler({request: {uri: uri}}).uri);"
    )
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == [
        "/ /index.html",
        "/orders/42 /index.html",
        "/app/settings/ /index.html",
        "/assets/app.3f2a.js /assets/app.3f2a.js",
        "/favicon.ico /favicon.ico",
        "/v1.2/x /index.html",
    ]


def test_cloudfront_spa_needs_a_bucket_as_default(tmp_path: Path) -> None:
    services = {"cdn": "kind: cloudfront, spa: true", "lb": f"kind: alb, {HTTP_OK}"}
    assert error(tmp_path, services, "cdn -> lb") == (
        "model.yaml:7:7: error[conflict]: spa: true serves /index.html from the default behaviour's bucket, but 'cdn' sends "
        "its default route to alb 'lb', which routes its own paths; connect the app's bucket without a path, or set spa: false"
    )


def test_cloudfront_dynamic_path_to_alb(tmp_path: Path) -> None:
    services = {"cdn": "kind: cloudfront", "site": "kind: s3, purpose: website", "alb": f"kind: alb, {HTTP_OK}"}
    stack = build(tmp_path, services, "cdn -> site", "{from: cdn, to: alb, path: /api/*}")
    dist = stack["resource"]["aws_cloudfront_distribution"]["cdn"]
    alb_origin = next(o for o in dist["origin"] if o["origin_id"] == "alb")
    assert alb_origin["domain_name"] == "${aws_lb.alb.dns_name}"
    assert alb_origin["custom_origin_config"][0]["origin_protocol_policy"] == "http-only"  # the ALB has no certificate
    (ordered,) = dist["ordered_cache_behavior"]
    assert ordered["path_pattern"] == "/api/*"
    assert ordered["target_origin_id"] == "alb"
    assert ordered["cache_policy_id"] == "${data.aws_cloudfront_cache_policy.cdn_cachingdisabled.id}"
    assert ordered["origin_request_policy_id"] == "${data.aws_cloudfront_origin_request_policy.cdn_allviewerexcepthostheader.id}"
    assert "POST" in ordered["allowed_methods"]


def test_cloudfront_https_origin_and_certificate(tmp_path: Path) -> None:
    services = {
        "cdn": f"kind: cloudfront, certificate_arn: '{GLOBAL_CERT}', aliases: [www.archc-demo.io]",
        "api": "kind: api-gateway",
    }
    stack = build(tmp_path, services, "cdn -> api")
    dist = stack["resource"]["aws_cloudfront_distribution"]["cdn"]
    assert dist["aliases"] == ["www.archc-demo.io"]
    assert dist["viewer_certificate"] == [
        {"acm_certificate_arn": GLOBAL_CERT, "ssl_support_method": "sni-only", "minimum_protocol_version": "TLSv1.2_2021"}
    ]
    (origin,) = dist["origin"]
    assert origin["domain_name"] == "${aws_apigatewayv2_api.api.id}.execute-api.eu-west-3.amazonaws.com"
    assert origin["custom_origin_config"][0]["origin_protocol_policy"] == "https-only"
    assert "default_root_object" not in dist


def test_cloudfront_access_logs_in_us_east_1(tmp_path: Path) -> None:
    stack = build(tmp_path, {"cdn": "kind: cloudfront, access_logs: logs", "site": "kind: s3", "logs": "kind: s3"}, "cdn -> site")
    res = stack["resource"]
    source = res["aws_cloudwatch_log_delivery_source"]["cdn_access"]
    assert (source["log_type"], source["resource_arn"], source["provider"]) == (
        "ACCESS_LOGS",
        "${aws_cloudfront_distribution.cdn.arn}",
        "aws.us_east_1",
    )
    destination = res["aws_cloudwatch_log_delivery_destination"]["cdn_access"]
    assert destination["delivery_destination_configuration"] == [{"destination_resource_arn": "${aws_s3_bucket.logs.arn}"}]
    assert (
        res["aws_cloudwatch_log_delivery"]["cdn_access"]["delivery_destination_arn"]
        == "${aws_cloudwatch_log_delivery_destination.cdn_access.arn}"
    )


def test_cloudfront_needs_an_origin(tmp_path: Path) -> None:
    assert error(tmp_path, {"cdn": "kind: cloudfront"}) == (
        "model.yaml:7:7: error[connection]: a cloudfront distribution needs an origin: connect it to an s3, alb or api-gateway service"
    )


def test_cloudfront_aliases_outside_the_model_need_certificate(tmp_path: Path) -> None:
    message = error(tmp_path, {"cdn": "kind: cloudfront, aliases: [www.archc-demo.io]", "site": "kind: s3"}, "cdn -> site")
    assert message == (
        "model.yaml:7:40: error[conflict]: www.archc-demo.io is not in a Route 53 zone of the model, so archc cannot validate a "
        "certificate for it: add a route53 service for its domain, or set certificate_arn (an ACM certificate in us-east-1 covering it)"
    )


def test_cloudfront_certificate_must_be_in_us_east_1(tmp_path: Path) -> None:
    message = error(tmp_path, {"cdn": f"kind: cloudfront, certificate_arn: '{CERT}'", "site": "kind: s3"}, "cdn -> site")
    assert (
        message == "model.yaml:7:48: error[value]: certificate_arn is in eu-west-3, but CloudFront reads certificates from us-east-1 only"
    )


def test_cloudfront_cannot_reach_internal_alb(tmp_path: Path) -> None:
    message = error(tmp_path, {"cdn": "kind: cloudfront", "alb": f"kind: alb, internal: true, {HTTP_OK}"}, "cdn -> alb")
    assert message == "model.yaml:8:7: error[conflict]: alb 'alb' is internal, so CloudFront 'cdn' cannot reach it; set internal: false"


def test_cloudfront_https_alb_needs_domain(tmp_path: Path) -> None:
    message = error(tmp_path, {"cdn": "kind: cloudfront", "alb": f"kind: alb, certificate_arn: '{CERT}'"}, "cdn -> alb")
    assert message == (
        "model.yaml:8:7: error[conflict]: cdn reaches alb 'alb' over HTTPS, so the ALB needs a domain its certificate covers (set domain)"
    )


# --- route53 -----------------------------------------------------------------------------------


def test_route53_zone_aliases_cloudfront(tmp_path: Path) -> None:
    services = {
        "dns": "kind: route53, domain: archc-demo.io",
        "cdn": f"kind: cloudfront, certificate_arn: '{GLOBAL_CERT}', aliases: [archc-demo.io, www.archc-demo.io]",
        "site": "kind: s3, purpose: website",
    }
    stack = build(tmp_path, services, "dns -> cdn", "cdn -> site")
    res = stack["resource"]
    assert res["aws_route53_zone"]["dns"]["name"] == "archc-demo.io"
    records = res["aws_route53_record"]
    assert sorted(records) == ["dns_apex_a", "dns_apex_aaaa", "dns_www_a", "dns_www_aaaa"]
    assert records["dns_www_aaaa"]["type"] == "AAAA"
    assert records["dns_apex_a"]["zone_id"] == "${aws_route53_zone.dns.zone_id}"
    assert records["dns_apex_a"]["alias"] == [
        {"name": "${aws_cloudfront_distribution.cdn.domain_name}", "zone_id": "Z2FDTNDATAQYW2", "evaluate_target_health": False}
    ]
    # Query logs and DNSSEC: us-east-1 resources.
    assert res["aws_cloudwatch_log_group"]["dns_queries"]["provider"] == "aws.us_east_1"
    assert res["aws_route53_query_log"]["dns"]["depends_on"] == ["aws_cloudwatch_log_resource_policy.dns_queries"]
    key = res["aws_kms_key"]["dns_dnssec"]
    assert (key["customer_master_key_spec"], key["key_usage"], key["provider"]) == ("ECC_NIST_P256", "SIGN_VERIFY", "aws.us_east_1")
    assert res["aws_route53_hosted_zone_dnssec"]["dns"]["hosted_zone_id"] == "${aws_route53_key_signing_key.dns.hosted_zone_id}"


def _parts(tmp_path: Path, services: dict[str, str], *connections: str) -> dict[str, list[tuple[str, str, str]]]:
    """Each connection's parts (element, address, detail), by connection id."""
    arch = pipeline.load(_write(tmp_path, services, connections, "azs: 2"), "model.yaml")
    stack = emit(arch)
    return {e.id: [(p.element, p.address, p.detail) for p in stack.parts(e.id)] for e in arch.edges}


def test_route53_to_cloudfront_serves_the_domain(tmp_path: Path) -> None:
    # Seed 003, steps 1-3: the domain resolves to CloudFront, which answers for it with a
    # certificate ACM issued in us-east-1 after DNS validation in the model's zone.
    services = {"dns": "kind: route53, domain: archc-demo.io", "cdn": "kind: cloudfront", "site": "kind: s3, purpose: website"}
    stack = build(tmp_path, services, "dns -> cdn", "cdn -> site")
    res = stack["resource"]
    certificate = res["aws_acm_certificate"]["cdn_certificate"]
    assert (certificate["domain_name"], certificate["provider"]) == ("archc-demo.io", "aws.us_east_1")
    assert "subject_alternative_names" not in certificate
    validation = res["aws_acm_certificate_validation"]["cdn_certificate"]
    assert validation["provider"] == "aws.us_east_1"
    assert validation["validation_record_fqdns"] == ["${aws_route53_record.cdn_validation_archc_demo_io.fqdn}"]
    record = res["aws_route53_record"]["cdn_validation_archc_demo_io"]
    assert (record["zone_id"], record["allow_overwrite"]) == ("${aws_route53_zone.dns.zone_id}", True)
    dist = res["aws_cloudfront_distribution"]["cdn"]
    assert dist["aliases"] == ["archc-demo.io"]
    assert dist["viewer_certificate"] == [
        {
            "acm_certificate_arn": "${aws_acm_certificate_validation.cdn_certificate.certificate_arn}",
            "ssl_support_method": "sni-only",
            "minimum_protocol_version": "TLSv1.2_2021",
        }
    ]
    assert res["aws_route53_record"]["dns_apex_aaaa"]["alias"][0]["zone_id"] == "Z2FDTNDATAQYW2"
    parts = _parts(tmp_path, services, "dns -> cdn", "cdn -> site")["dns->cdn"]
    assert parts == [
        ("discovery", "aws_route53_record.dns_apex_a", ""),
        ("discovery", "aws_route53_record.dns_apex_aaaa", ""),
        ("path", "aws_acm_certificate.cdn_certificate", ""),
        ("path", "aws_acm_certificate_validation.cdn_certificate", ""),
        ("path", "aws_cloudfront_distribution.cdn", "aliases and viewer certificate"),
        ("path", "aws_route53_record.cdn_validation_archc_demo_io", "certificate validation"),
    ]


def test_cloudfront_names_in_two_zones_share_one_certificate(tmp_path: Path) -> None:
    services = {
        "io": "kind: route53, domain: archc-demo.io",
        "org": "kind: route53, domain: archc-demo.org",
        "cdn": "kind: cloudfront, aliases: [www.archc-demo.io]",
        "site": "kind: s3",
    }
    res = build(tmp_path, services, "io -> cdn", "org -> cdn", "cdn -> site")["resource"]
    assert res["aws_cloudfront_distribution"]["cdn"]["aliases"] == ["www.archc-demo.io", "archc-demo.org"]
    certificate = res["aws_acm_certificate"]["cdn_certificate"]
    assert (certificate["domain_name"], certificate["subject_alternative_names"]) == ("www.archc-demo.io", ["archc-demo.org"])
    records = res["aws_route53_record"]
    assert records["cdn_validation_www_archc_demo_io"]["zone_id"] == "${aws_route53_zone.io.zone_id}"
    assert records["cdn_validation_archc_demo_org"]["zone_id"] == "${aws_route53_zone.org.zone_id}"
    assert records["io_www_a"]["name"] == "www.archc-demo.io"  # the alias given, in this zone


def test_certificate_for_a_name_longer_than_a_common_name(tmp_path: Path) -> None:
    # ACM's domain_name (the Common Name) takes 64 characters at most: a longer name is an
    # alternative name, and the zone's apex takes the common name.
    cdn = "distribution-for-travel-booking-web-apps"  # 40 characters, the longest service name
    services = {
        "dns": "kind: route53, domain: travel-booking-archc-demo.io",
        "home": "kind: cloudfront",
        cdn: "kind: cloudfront",
        "site": "kind: s3",
    }
    res = build(tmp_path, services, "dns -> home", f"dns -> {cdn}", "home -> site", f"{cdn} -> site")["resource"]
    long_name = f"{cdn}.travel-booking-archc-demo.io"
    certificate = res["aws_acm_certificate"][f"{cdn.replace('-', '_')}_certificate"]
    assert (certificate["domain_name"], certificate["subject_alternative_names"]) == ("travel-booking-archc-demo.io", [long_name])
    assert res["aws_cloudfront_distribution"][cdn.replace("-", "_")]["aliases"] == [long_name]


def test_route53_reserved_domain(tmp_path: Path) -> None:
    assert error(tmp_path, {"dns": "kind: route53, domain: travel-booking.example.com"}) == (
        "model.yaml:7:36: error[value]: travel-booking.example.com is under example.com, which is reserved for documentation "
        "(RFC 2606): Route 53 refuses to create a hosted zone for it; use a domain you own (e.g. travel-booking.io), or set zone_id "
        "to an existing zone"
    )
    assert error(tmp_path, {"dns": "kind: route53, domain: example.org"}) == (
        "model.yaml:7:36: error[value]: example.org is reserved for documentation (RFC 2606): Route 53 refuses to create a hosted "
        "zone for it; use a domain you own (e.g. travel-booking.io), or set zone_id to an existing zone"
    )
    assert error(tmp_path, {"dns": "kind: route53, domain: shop.test"}).startswith(
        "model.yaml:7:36: error[value]: shop.test is under .test, a top-level domain reserved for testing and documentation (RFC 2606)"
    )
    # An existing zone is the user's to vouch for.
    stack = build(tmp_path, {"dns": "kind: route53, domain: example.com, zone_id: Z0123456789ABCDEF"})
    assert stack["data"]["aws_route53_zone"]["dns"]["zone_id"] == "Z0123456789ABCDEF"


def test_route53_existing_zone_names_targets(tmp_path: Path) -> None:
    services = {
        "dns": "kind: route53, domain: archc-demo.io, zone_id: Z0123456789ABCDEF",
        "cdn": "kind: cloudfront",
        "alb": f"kind: alb, {HTTP_OK}",
        "site": "kind: s3",
    }
    stack = build(tmp_path, services, "dns -> cdn", "dns -> alb", "cdn -> site")
    assert "aws_route53_zone" not in stack["resource"]
    assert stack["data"]["aws_route53_zone"]["dns"] == {"zone_id": "Z0123456789ABCDEF", "provider": "aws"}
    records = stack["resource"]["aws_route53_record"]
    assert records["dns_apex_a"]["name"] == "archc-demo.io"  # the first connection gets the apex
    assert records["dns_alb_a"]["name"] == "alb.archc-demo.io"
    assert records["dns_alb_a"]["zone_id"] == "${data.aws_route53_zone.dns.zone_id}"
    assert records["dns_alb_a"]["alias"][0] == {
        "name": "${aws_lb.alb.dns_name}",
        "zone_id": "${aws_lb.alb.zone_id}",
        "evaluate_target_health": True,
    }
    assert "aws_route53_query_log" not in stack["resource"]


def test_route53_bad_domain(tmp_path: Path) -> None:
    message = error(tmp_path, {"dns": "kind: route53, domain: Example.com"})
    assert message.startswith("model.yaml:7:36: error[value]: 'domain' 'Example.com' does not match the pattern ")


def test_route53_aliases_only(tmp_path: Path) -> None:
    message = error(tmp_path, {"dns": "kind: route53, domain: archc-demo.io", "db": "kind: rds"}, "dns -> db")
    assert message.startswith("model.yaml:10:5: error[connection]: dns (route53) -> db (rds): route53 connects only to ")
    assert "alb, api-gateway" in message and "cloudfront" in message


# --- together ----------------------------------------------------------------------------------


def test_network_kinds_plan(tmp_path: Path) -> None:
    services = {
        "dns": "kind: route53, domain: archc-demo.io",
        "cdn": "kind: cloudfront, access_logs: logs",
        "site": "kind: s3, purpose: website",
        "logs": "kind: s3, purpose: logs",
        "alb": f"kind: alb, access_logs: logs, {HTTP_OK}",
        "inner": f"kind: alb, internal: true, {HTTP_OK}",
        "api": "kind: api-gateway, authorizer: users",
        "users": "kind: cognito",
        "fn": "kind: lambda",
    }
    connections = ("dns -> cdn", "dns -> alb", "cdn -> site", "{from: cdn, to: api, path: /api/*}", "{from: alb, to: fn, path: /fn/*}")
    assert_plans(tmp_path, services, *connections, "api -> inner", "{from: api, to: fn, path: /pay/*}", "{from: inner, to: fn, path: /x/*}")


def test_two_distributions_share_one_bucket_policy(tmp_path: Path) -> None:
    # A bucket has one policy: the second distribution adds its statement to it
    # (two aws_s3_bucket_policy resources would overwrite each other at apply).
    stack = build(tmp_path, {"a": "kind: cloudfront", "b": "kind: cloudfront", "site": "kind: s3"}, "a -> site", "b -> site")
    assert list(stack["resource"]["aws_s3_bucket_policy"]) == ["site"]
    statements = stack["data"]["aws_iam_policy_document"]["site_policy"]["statement"]
    assert [s["sid"] for s in statements] == ["CloudFrontReadOnlyA", "CloudFrontReadOnlyB"]
    assert [s["condition"][0]["values"] for s in statements] == [
        ["${aws_cloudfront_distribution.a.arn}"],
        ["${aws_cloudfront_distribution.b.arn}"],
    ]
    # Each distribution may decrypt with the bucket's own key, and only read.
    key_statements = stack["data"]["aws_iam_policy_document"]["site_key"]["statement"]
    decrypt = [s for s in key_statements if s["sid"].startswith("CloudFrontDecrypt")]
    assert [(s["sid"], s["actions"], s["condition"][0]["values"]) for s in decrypt] == [
        ("CloudFrontDecryptA", ["kms:Decrypt"], ["${aws_cloudfront_distribution.a.arn}"]),
        ("CloudFrontDecryptB", ["kms:Decrypt"], ["${aws_cloudfront_distribution.b.arn}"]),
    ]


def test_cloudfront_origins_record_their_parts(tmp_path: Path) -> None:
    """Each origin connection names the origin entry and its cache behaviour inside the distribution
    (a part of another resource, which its type alone cannot tell), plus the bucket's OAC statement."""
    from compiler import pipeline
    from compiler.terraform.emit import emit
    from compiler.terraform.realization import Part
    from tests.kinds_helpers import _write

    services = {"cdn": "kind: cloudfront", "site": "kind: s3, purpose: website", "api": "kind: api-gateway"}
    arch = pipeline.load(_write(tmp_path, services, ("cdn -> site", "{from: cdn, to: api, path: /api/*}"), "azs: 2"), "model.yaml")
    stack = emit(arch)
    to_site, to_api = (e.id for e in arch.edges)
    distribution = "aws_cloudfront_distribution.cdn"
    assert stack.parts(to_site) == [
        Part("permission", "aws_kms_key.site", "key policy statement CloudFrontDecryptCdn"),
        Part("permission", "aws_s3_bucket_policy.site"),
        Part("permission", "aws_s3_bucket_policy.site", "statement CloudFrontReadOnlyCdn"),
        Part("trigger", distribution, "default cache behavior"),
        Part("trigger", distribution, "origin 'site'"),
    ]
    assert stack.parts(to_api) == [
        Part("trigger", distribution, "cache behavior '/api/*'"),
        Part("trigger", distribution, "origin 'api'"),
    ]


def test_pages_say_what_stops_an_apply_or_a_destroy() -> None:
    """A new account's first distribution needs AWS Support; deletion protection stops terraform destroy."""
    from compiler.ir import ServiceNode
    from modules.network import Distribution, LoadBalancer

    cdn = Distribution.model_validate({"kind": "cloudfront"})
    (verify,) = cdn.after_apply(ServiceNode("cdn", "cloudfront", "edge", "cdn", "outside", cdn))
    assert "Your account must be verified before you can add new CloudFront resources" in verify and "AWS Support" in verify
    alb = LoadBalancer.model_validate({"kind": "alb"})
    (destroy,) = alb.after_apply(ServiceNode("lb", "alb", "edge", "lb", "public", alb))
    assert destroy.startswith("Before terraform destroy: deletion protection is on") and "this load balancer" in destroy
    unprotected = LoadBalancer.model_validate({"kind": "alb", "deletion_protection": False})
    assert unprotected.after_apply(ServiceNode("lb", "alb", "edge", "lb", "public", unprotected)) == ()


def test_cloudfront_caches_only_the_listed_dynamic_paths(tmp_path: Path) -> None:
    """Issue 18 item 9: a dynamic origin's path is cached as its Cache-Control allows when listed in cached_paths."""
    services = {"cdn": 'kind: cloudfront, cached_paths: ["/api/products/*"]', "site": "kind: s3", "api": "kind: api-gateway"}
    stack = build(
        tmp_path, services, "cdn -> site", '{from: cdn, to: api, path: "/api/products/*"}', '{from: cdn, to: api, path: "/api/orders/*"}'
    )
    behaviours = {b["path_pattern"]: b for b in stack["resource"]["aws_cloudfront_distribution"]["cdn"]["ordered_cache_behavior"]}
    assert behaviours["/api/products/*"]["cache_policy_id"] == "${aws_cloudfront_cache_policy.cdn_origin_cache_control.id}"
    policies = stack["data"]["aws_cloudfront_cache_policy"]
    assert policies[behaviours["/api/orders/*"]["cache_policy_id"].split(".")[2]]["name"] == "Managed-CachingDisabled"


def test_cloudfront_cached_paths_keep_the_origins_host(tmp_path: Path) -> None:
    """Review of issue 18: AWS's UseOriginCacheControlHeaders-QueryStrings is not named with
    "Managed-" (the data source lookup failed at plan), and its cache key holds Host, which
    CloudFront forwards: API Gateway answers 403 to the distribution's host name. archc makes its
    own policy: the origin's Cache-Control decides, query strings key it, Host never reaches it."""
    services = {"cdn": 'kind: cloudfront, cached_paths: ["/api/a/*", "/api/b/*"]', "site": "kind: s3", "api": "kind: api-gateway"}
    routes = ('{from: cdn, to: api, path: "/api/a/*"}', '{from: cdn, to: api, path: "/api/b/*"}')
    stack = build(tmp_path, services, "cdn -> site", *routes)
    assert "UseOriginCacheControlHeaders-QueryStrings" not in json.dumps(stack)
    assert stack["resource"]["aws_cloudfront_cache_policy"] == {
        "cdn_origin_cache_control": {
            "name": "t-cdn-origin-cache-control",
            "comment": "archc: cached_paths, as the origin's Cache-Control allows",
            "min_ttl": 0,
            "default_ttl": 0,
            "max_ttl": 31536000,
            "parameters_in_cache_key_and_forwarded_to_origin": [
                {
                    "cookies_config": [{"cookie_behavior": "none"}],
                    "headers_config": [
                        {
                            "header_behavior": "whitelist",
                            "headers": [{"items": ["Origin", "X-HTTP-Method", "X-HTTP-Method-Override", "X-Method-Override"]}],
                        }
                    ],
                    "query_strings_config": [{"query_string_behavior": "all"}],
                    "enable_accept_encoding_brotli": True,
                    "enable_accept_encoding_gzip": True,
                }
            ],
            "provider": "aws",
        }
    }
    behaviours = stack["resource"]["aws_cloudfront_distribution"]["cdn"]["ordered_cache_behavior"]
    all_but_host = "${data.aws_cloudfront_origin_request_policy.cdn_allviewerexcepthostheader.id}"
    assert {b["origin_request_policy_id"] for b in behaviours} == {all_but_host}
    assert_plans(tmp_path, services, "cdn -> site", *routes)


def test_cloudfront_cached_path_must_be_a_route(tmp_path: Path) -> None:
    services = {"cdn": 'kind: cloudfront, cached_paths: ["/api/*"]', "site": "kind: s3"}
    assert error(tmp_path, services, "cdn -> site") == (
        "model.yaml:7:45: error[value]: cached_paths: '/api/*' is not the path of a connection of this distribution"
    )
