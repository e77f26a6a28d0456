"""Compute kinds: ec2, asg, lambda, beanstalk: their Terraform, connections and bad settings."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from compiler import pipeline
from tests.kinds_helpers import assert_plans, build, error
from tests.test_connections import TARGETS
from tests.test_connections import _compile as _compile_pair

DB = "kind: rds"
HTTP_OK = "reasons: {listeners: plain HTTP in a test}"  # an ALB without a certificate must say why
ALB = f"kind: alb, {HTTP_OK}"


def _files(tmp_path: Path, service: str) -> dict[str, bytes]:
    """Every file a one-service model compiles into (the stack and its assets)."""
    model = tmp_path / "model.yaml"
    model.write_text(f"name: t\nregion: eu-west-3\nlayers:\n  - name: app\n    services:\n      fn: {{{service}}}\n")
    return pipeline.compile_terraform(pipeline.load(model, "model.yaml"), "model.yaml")


def _user_data(body: dict[str, Any], key: str) -> str:
    return base64.b64decode(body[key]).decode()


def _policy(stack: dict[str, Any], name: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = stack["data"]["aws_iam_policy_document"][name]["statement"]
    return statements


def _attachments(stack: dict[str, Any], role: str) -> set[str]:
    found = stack["resource"]["aws_iam_role_policy_attachment"].values()
    return {a["policy_arn"].rsplit("/", 1)[1] for a in found if a["role"] == f"${{aws_iam_role.{role}.name}}"}


# --- ec2 ---------------------------------------------------------------------------------


def test_ec2_defaults_are_secure(tmp_path: Path) -> None:
    stack = build(tmp_path, {"web": "kind: ec2"})
    vm = stack["resource"]["aws_instance"]["web"]
    assert vm["count"] == 1
    assert vm["instance_type"] == "t3.micro"
    assert vm["ami"] == "${data.aws_ssm_parameter.web_ami.insecure_value}"
    assert stack["data"]["aws_ssm_parameter"]["web_ami"]["name"] == (
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    )
    assert vm["metadata_options"] == [{"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1}]
    assert vm["root_block_device"] == [{"volume_size": 20, "volume_type": "gp3", "encrypted": True, "delete_on_termination": True}]
    assert vm["associate_public_ip_address"] is False
    assert vm["ebs_optimized"] is True
    assert vm["monitoring"] is True
    assert vm["subnet_id"] == "${element([aws_subnet.private_a.id, aws_subnet.private_b.id], count.index)}"
    assert vm["vpc_security_group_ids"] == ["${aws_security_group.web.id}"]
    assert vm["iam_instance_profile"] == "${aws_iam_instance_profile.web.name}"
    assert "user_data_base64" not in vm  # nothing to serve, nothing to install
    assert stack["resource"]["aws_iam_instance_profile"]["web"]["role"] == "${aws_iam_role.web.name}"
    assert _attachments(stack, "web") == {"AmazonSSMManagedInstanceCore"}
    https = stack["resource"]["aws_vpc_security_group_egress_rule"]["web_https"]
    assert (https["from_port"], https["to_port"], https["cidr_ipv4"]) == (443, 443, "0.0.0.0/0")
    assert "aws_vpc_security_group_ingress_rule" not in stack["resource"]


def test_ec2_t2_is_not_ebs_optimized_and_graviton_gets_arm64(tmp_path: Path) -> None:
    stack = build(tmp_path, {"old": "kind: ec2, instance_type: t2.micro", "arm": "kind: ec2, instance_type: t4g.small, count: 3"})
    assert "ebs_optimized" not in stack["resource"]["aws_instance"]["old"]
    assert stack["data"]["aws_ssm_parameter"]["arm_ami"]["name"].endswith("-arm64")
    arm = stack["resource"]["aws_instance"]["arm"]
    assert arm["count"] == 3
    assert arm["tags"]["Name"] == "t-arm-${count.index + 1}"
    assert arm["tags"]["archc:service"] == "arm"


def test_ec2_user_data_is_kept_literally(tmp_path: Path) -> None:
    stack = build(tmp_path, {"web": 'kind: ec2, user_data: "#!/bin/bash\\necho ${HOME}"'})
    assert _user_data(stack["resource"]["aws_instance"]["web"], "user_data_base64") == "#!/bin/bash\necho ${HOME}"


def test_ec2_behind_alb_registers_every_instance(tmp_path: Path) -> None:
    stack = build(tmp_path, {"lb": ALB, "web": "kind: ec2, count: 2, port: 8080, health_check_path: /health"}, "lb -> web")
    group = stack["resource"]["aws_lb_target_group"]["lb_web"]
    assert (group["target_type"], group["port"]) == ("instance", 8080)
    assert group["health_check"][0]["path"] == "/health"
    attachment = stack["resource"]["aws_lb_target_group_attachment"]["web_lb_web"]
    assert attachment == {
        "count": 2,
        "port": 8080,
        "provider": "aws",
        "target_group_arn": "${aws_lb_target_group.lb_web.arn}",
        "target_id": "${aws_instance.web[count.index].id}",
    }
    ingress = stack["resource"]["aws_vpc_security_group_ingress_rule"]["web_from_lb"]
    assert ingress["referenced_security_group_id"] == "${aws_security_group.lb.id}"
    assert ingress["from_port"] == 8080
    # Until the application is deployed, a placeholder answers the health check.
    script = _user_data(stack["resource"]["aws_instance"]["web"], "user_data_base64")
    assert "python3 -m http.server 8080" in script
    assert "echo ok > /opt/archc-placeholder/health" in script


def test_ec2_reaches_a_database(tmp_path: Path) -> None:
    stack = build(tmp_path, {"web": "kind: ec2", "db": DB}, "web -> db")
    egress = stack["resource"]["aws_vpc_security_group_egress_rule"]["web_to_db"]
    assert egress["referenced_security_group_id"] == "${aws_security_group.db.id}"
    assert egress["from_port"] == 5432


def test_ec2_as_codedeploy_target(tmp_path: Path) -> None:
    stack = build(tmp_path, {"deploy": "kind: codedeploy", "web": "kind: ec2"}, "deploy -> web")
    group = stack["resource"]["aws_codedeploy_deployment_group"]["deploy"]
    assert group["ec2_tag_set"] == [{"ec2_tag_filter": [{"key": "archc:service", "type": "KEY_AND_VALUE", "value": "web"}]}]
    assert "/latest/install" in _user_data(stack["resource"]["aws_instance"]["web"], "user_data_base64")


def test_ec2_bad_instance_type(tmp_path: Path) -> None:
    assert error(tmp_path, {"web": "kind: ec2, instance_type: huge"}) == (
        r"model.yaml:7:39: error[value]: 'instance_type' 'huge' does not match the pattern ^[a-z][a-z0-9-]*\.[a-z0-9]+$"
    )


# --- asg ---------------------------------------------------------------------------------


def test_asg_defaults(tmp_path: Path) -> None:
    stack = build(tmp_path, {"fleet": "kind: asg"})
    template = stack["resource"]["aws_launch_template"]["fleet"]
    assert template["metadata_options"][0]["http_tokens"] == "required"
    assert template["block_device_mappings"][0]["ebs"] == [
        {"volume_size": 20, "volume_type": "gp3", "encrypted": "true", "delete_on_termination": "true"}
    ]
    assert template["network_interfaces"][0]["associate_public_ip_address"] == "false"
    assert template["network_interfaces"][0]["security_groups"] == ["${aws_security_group.fleet.id}"]
    assert template["iam_instance_profile"] == [{"arn": "${aws_iam_instance_profile.fleet.arn}"}]
    assert template["monitoring"] == [{"enabled": True}]
    group = stack["resource"]["aws_autoscaling_group"]["fleet"]
    assert (group["min_size"], group["max_size"], group["desired_capacity"]) == (2, 4, 2)
    assert group["vpc_zone_identifier"] == ["${aws_subnet.private_a.id}", "${aws_subnet.private_b.id}"]
    assert group["launch_template"] == [{"id": "${aws_launch_template.fleet.id}", "version": "${aws_launch_template.fleet.latest_version}"}]
    assert group["health_check_type"] == "EC2"
    assert {"key": "Name", "value": "t-fleet", "propagate_at_launch": True} in group["tag"]
    assert "tags" not in group
    assert "desired_capacity" in group["lifecycle"]["ignore_changes"]
    policy = stack["resource"]["aws_autoscaling_policy"]["fleet_cpu"]
    assert policy["autoscaling_group_name"] == "${aws_autoscaling_group.fleet.name}"
    assert policy["target_tracking_configuration"][0]["target_value"] == 60
    assert _attachments(stack, "fleet") == {"AmazonSSMManagedInstanceCore"}


def test_scheduled_asg_leaves_its_sizes_to_the_schedule(tmp_path: Path) -> None:
    """Review of issue 18 (as ECS scheduled capacity): the stop action sets the sizes to 0; an apply
    outside the running hours must not put the model's back (the fleet would start and bill)."""
    stack = build(tmp_path, {"fleet": 'kind: asg, schedule: {hours: "08:00-20:00"}'})
    group = stack["resource"]["aws_autoscaling_group"]["fleet"]
    assert group["lifecycle"]["ignore_changes"] == ["desired_capacity", "target_group_arns", "load_balancers", "max_size", "min_size"]
    assert stack["resource"]["aws_autoscaling_schedule"]["fleet_schedule_stop"]["max_size"] == 0
    always = build(tmp_path, {"fleet": "kind: asg"})["resource"]["aws_autoscaling_group"]["fleet"]
    assert always["lifecycle"]["ignore_changes"] == ["desired_capacity", "target_group_arns", "load_balancers"]


def test_asg_behind_alb_uses_elb_health_checks(tmp_path: Path) -> None:
    stack = build(tmp_path, {"lb": ALB, "fleet": "kind: asg, min: 1, max: 6, desired: 3"}, "lb -> fleet")
    assert stack["resource"]["aws_autoscaling_attachment"]["fleet_lb_fleet"] == {
        "autoscaling_group_name": "${aws_autoscaling_group.fleet.name}",
        "lb_target_group_arn": "${aws_lb_target_group.lb_fleet.arn}",
        "provider": "aws",
    }
    group = stack["resource"]["aws_autoscaling_group"]["fleet"]
    assert group["health_check_type"] == "ELB"
    assert (group["min_size"], group["max_size"], group["desired_capacity"]) == (1, 6, 3)
    assert "http.server 80" in _user_data(stack["resource"]["aws_launch_template"]["fleet"], "user_data")


def test_asg_as_codedeploy_target(tmp_path: Path) -> None:
    stack = build(tmp_path, {"deploy": "kind: codedeploy", "fleet": "kind: asg"}, "deploy -> fleet")
    group = stack["resource"]["aws_codedeploy_deployment_group"]["deploy"]
    assert group["autoscaling_groups"] == ["${aws_autoscaling_group.fleet.name}"]
    assert "codedeploy" in _user_data(stack["resource"]["aws_launch_template"]["fleet"], "user_data")


def test_asg_sizes_out_of_order(tmp_path: Path) -> None:
    assert error(tmp_path, {"fleet": "kind: asg, min: 3, max: 2"}) == "model.yaml:7:31: error[conflict]: min (3) must not exceed max (2)"
    assert error(tmp_path, {"fleet": "kind: asg, desired: 9"}) == (
        "model.yaml:7:35: error[conflict]: desired (9) must lie between min (2) and max (4)"
    )


# --- lambda ------------------------------------------------------------------------------


def test_lambda_defaults(tmp_path: Path) -> None:
    files = _files(tmp_path, "kind: lambda")
    stack = json.loads(files["terraform/stacks/t/cdk.tf.json"])
    res = stack["resource"]
    fn = res["aws_lambda_function"]["fn"]
    assert (fn["runtime"], fn["handler"], fn["architectures"]) == ("python3.13", "index.handler", ["arm64"])
    assert (fn["memory_size"], fn["timeout"]) == (256, 30)
    assert fn["role"] == "${aws_iam_role.fn.arn}"
    assert fn["tracing_config"] == [{"mode": "Active"}]
    assert fn["logging_config"] == [{"log_format": "Text", "log_group": "${aws_cloudwatch_log_group.fn.name}"}]
    assert "vpc_config" not in fn and "aws_security_group" not in res  # no connection needs the VPC
    logs = res["aws_cloudwatch_log_group"]["fn"]
    assert (logs["name"], logs["retention_in_days"]) == ("/aws/lambda/t-fn", 365)
    # Its logs only, not AWSLambdaBasicExecutionRole's every log group.
    assert _policy(stack, "fn_logs") == [
        {"actions": ["logs:CreateLogStream", "logs:PutLogEvents"], "resources": ["${aws_cloudwatch_log_group.fn.arn}:*"]}
    ]
    dlq = res["aws_sqs_queue"]["fn_dlq"]
    assert dlq["sqs_managed_sse_enabled"] is True
    assert fn["dead_letter_config"] == [{"target_arn": "${aws_sqs_queue.fn_dlq.arn}"}]
    assert _policy(stack, "fn_dlq") == [{"actions": ["sqs:SendMessage"], "resources": ["${aws_sqs_queue.fn_dlq.arn}"]}]
    assert "aws_iam_role_policy.fn_logs" in fn["depends_on"]
    # The placeholder code ships with the stack, and the hash is the zip's.
    code = files["terraform/stacks/t/assets/fn/function.zip"]
    assert fn["filename"] == "assets/fn/function.zip"
    assert fn["source_code_hash"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
    entry = zipfile.ZipFile(io.BytesIO(code)).infolist()[0]
    assert (entry.filename, entry.date_time) == ("index.py", (1980, 1, 1, 0, 0, 0))
    assert b'"statusCode": 200' in zipfile.ZipFile(io.BytesIO(code)).read("index.py")


def test_lambda_placeholder_follows_runtime_and_handler(tmp_path: Path) -> None:
    files = _files(tmp_path, "kind: lambda, runtime: python3.12, handler: app.main, dead_letter_queue: false")
    code = zipfile.ZipFile(io.BytesIO(files["terraform/stacks/t/assets/fn/function.zip"])).read("app.py").decode()
    assert code.startswith("def main(event, context):")
    fn = json.loads(files["terraform/stacks/t/cdk.tf.json"])["resource"]["aws_lambda_function"]["fn"]
    assert "dead_letter_config" not in fn
    files = _files(tmp_path, "kind: lambda, runtime: nodejs24.x")
    code = zipfile.ZipFile(io.BytesIO(files["terraform/stacks/t/assets/fn/function.zip"])).read("index.mjs").decode()
    assert code.startswith("export const handler = async () =>")  # Node.js 24 takes no callback handlers


def test_lambda_environment_is_not_a_template(tmp_path: Path) -> None:
    stack = build(tmp_path, {"fn": 'kind: lambda, environment: {GREETING: "hi ${USER}", LEVEL: info}'})
    variables = stack["resource"]["aws_lambda_function"]["fn"]["environment"][0]["variables"]
    assert variables == {"GREETING": "hi $${USER}", "LEVEL": "info"}


def test_lambda_joins_the_vpc_to_reach_a_database(tmp_path: Path) -> None:
    stack = build(tmp_path, {"fn": "kind: lambda", "db": DB}, "fn -> db")
    fn = stack["resource"]["aws_lambda_function"]["fn"]
    assert fn["vpc_config"] == [
        {"subnet_ids": ["${aws_subnet.private_a.id}", "${aws_subnet.private_b.id}"], "security_group_ids": ["${aws_security_group.fn.id}"]}
    ]
    assert _attachments(stack, "fn") == {"AWSXRayDaemonWriteAccess", "AWSLambdaVPCAccessExecutionRole"}
    assert "aws_iam_role_policy_attachment.fn_vpc" in fn["depends_on"]
    ingress = stack["resource"]["aws_vpc_security_group_ingress_rule"]["db_from_fn"]
    assert ingress["referenced_security_group_id"] == "${aws_security_group.fn.id}"


def test_lambda_vpc_setting(tmp_path: Path) -> None:
    stack = build(tmp_path, {"fn": "kind: lambda, vpc: true, egress_https: false"})
    assert "vpc_config" in stack["resource"]["aws_lambda_function"]["fn"]
    assert "aws_vpc_security_group_egress_rule" not in stack["resource"]


def test_lambda_invoked_through_iam(tmp_path: Path) -> None:
    stack = build(tmp_path, {"web": "kind: ec2", "fn": "kind: lambda"}, "web -> fn")
    assert _policy(stack, "web_to_fn") == [
        {"sid": "archcInvoke", "actions": ["lambda:InvokeFunction"], "resources": ["${aws_lambda_function.fn.arn}"]}
    ]


def test_lambda_behind_alb(tmp_path: Path) -> None:
    stack = build(tmp_path, {"lb": ALB, "fn": "kind: lambda"}, "lb -> fn")
    assert stack["resource"]["aws_lb_target_group"]["lb_fn"]["target_type"] == "lambda"
    permission = stack["resource"]["aws_lambda_permission"]["fn_from_lb_lb_fn"]
    assert permission["principal"] == "elasticloadbalancing.amazonaws.com"
    assert permission["source_arn"] == "${aws_lb_target_group.lb_fn.arn}"
    assert stack["resource"]["aws_lb_target_group_attachment"]["fn_lb_fn"] == {
        "target_group_arn": "${aws_lb_target_group.lb_fn.arn}",
        "target_id": "${aws_lambda_function.fn.arn}",
        "depends_on": ["aws_lambda_permission.fn_from_lb_lb_fn"],
        "provider": "aws",
    }


def test_lambda_consumes_a_queue(tmp_path: Path) -> None:
    stack = build(tmp_path, {"jobs": "kind: sqs", "fn": "kind: lambda"}, "jobs -> fn")
    mapping = stack["resource"]["aws_lambda_event_source_mapping"]["fn_from_jobs"]
    assert mapping["event_source_arn"] == "${aws_sqs_queue.jobs.arn}"
    assert mapping["function_name"] == "${aws_lambda_function.fn.arn}"
    assert mapping["batch_size"] == 10
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]  # only failed messages come back
    assert mapping["depends_on"] == ["aws_iam_role_policy.fn_consume_jobs"]
    # The queue's default visibility timeout is 6 times the function's (30 s): room for retries after throttling.
    assert stack["resource"]["aws_sqs_queue"]["jobs"]["visibility_timeout_seconds"] == 180
    assert _policy(stack, "fn_consume_jobs") == [
        {
            "actions": ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            "resources": ["${aws_sqs_queue.jobs.arn}"],
        }
    ]


def test_lambda_subscribes_to_a_topic(tmp_path: Path) -> None:
    stack = build(tmp_path, {"events": "kind: sns", "fn": "kind: lambda"}, "events -> fn")
    subscription = stack["resource"]["aws_sns_topic_subscription"]["events_to_fn"]
    assert (subscription["protocol"], subscription["endpoint"]) == ("lambda", "${aws_lambda_function.fn.arn}")
    permission = stack["resource"]["aws_lambda_permission"]["fn_from_sns_events"]
    assert (permission["principal"], permission["source_arn"]) == ("sns.amazonaws.com", "${aws_sns_topic.events.arn}")


def test_lambda_behind_api_gateway(tmp_path: Path) -> None:
    stack = build(tmp_path, {"api": "kind: api-gateway", "fn": "kind: lambda"}, "api -> fn")
    integration = stack["resource"]["aws_apigatewayv2_integration"]["api_fn"]
    assert (integration["integration_type"], integration["integration_uri"]) == ("AWS_PROXY", "${aws_lambda_function.fn.invoke_arn}")
    assert stack["resource"]["aws_lambda_permission"]["fn_from_api"]["principal"] == "apigateway.amazonaws.com"


def test_lambda_bad_settings(tmp_path: Path) -> None:
    assert error(tmp_path, {"fn": "kind: lambda, runtime: java21"}) == (
        "model.yaml:7:35: error[value]: 'runtime' must be 'nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x', 'python3.9', "
        "'python3.10', 'python3.11', 'python3.12', 'python3.13', 'python3.14', 'ruby3.2', 'ruby3.3' or 'ruby3.4', not 'java21'"
    )
    # Known to the catalog, but retired by AWS (conftest fixes ARCHC_TODAY to 2026-12-05).
    assert error(tmp_path, {"fn": "kind: lambda, runtime: nodejs20.x"}) == (
        "model.yaml:7:35: error[version]: Lambda runtime 'nodejs20.x' was retired on 2026-08-31 (Lambda no longer creates "
        "functions with it); current choices: nodejs22.x, nodejs24.x, python3.12, python3.13, python3.14, ruby3.3, ruby3.4"
    )
    assert error(tmp_path, {"fn": "kind: lambda, handler: index"}) == (
        r"model.yaml:7:35: error[value]: 'handler' 'index' does not match the pattern ^[A-Za-z0-9_][A-Za-z0-9_/-]*\.[A-Za-z_][A-Za-z0-9_]*$"
    )


# --- beanstalk -----------------------------------------------------------------------------


def _settings(stack: dict[str, Any], name: str) -> dict[tuple[str, str], str]:
    env = stack["resource"]["aws_elastic_beanstalk_environment"][name]
    return {(s["namespace"], s["name"]): s["value"] for s in env["setting"]}


def test_beanstalk_defaults(tmp_path: Path) -> None:
    stack = build(tmp_path, {"api": "kind: beanstalk, environment: {NODE_ENV: production}"})
    platform = stack["data"]["aws_elastic_beanstalk_solution_stack"]["api_platform"]
    # Node.js 20's branch retired on 2026-07-31: no stack would match it for a new environment.
    assert platform == {"most_recent": True, "name_regex": r"^64bit Amazon Linux 2023 (.*) running Node\.js 24$", "provider": "aws"}
    env = stack["resource"]["aws_elastic_beanstalk_environment"]["api"]
    assert env["solution_stack_name"] == "${data.aws_elastic_beanstalk_solution_stack.api_platform.name}"
    assert env["application"] == "${aws_elastic_beanstalk_application.api_app.name}"
    settings = _settings(stack, "api")
    assert settings[("aws:ec2:vpc", "VPCId")] == "${aws_vpc.main.id}"
    assert settings[("aws:ec2:vpc", "Subnets")] == "${aws_subnet.private_a.id},${aws_subnet.private_b.id}"
    assert settings[("aws:ec2:vpc", "ELBSubnets")] == "${aws_subnet.public_a.id},${aws_subnet.public_b.id}"
    assert settings[("aws:ec2:vpc", "AssociatePublicIpAddress")] == "false"
    assert settings[("aws:elasticbeanstalk:environment", "LoadBalancerType")] == "application"
    assert settings[("aws:elasticbeanstalk:environment", "ServiceRole")] == "${aws_iam_role.api_service.arn}"
    assert settings[("aws:autoscaling:launchconfiguration", "IamInstanceProfile")] == "${aws_iam_instance_profile.api.name}"
    assert settings[("aws:autoscaling:launchconfiguration", "SecurityGroups")] == "${aws_security_group.api.id}"
    assert settings[("aws:autoscaling:launchconfiguration", "DisableIMDSv1")] == "true"
    assert settings[("aws:ec2:instances", "InstanceTypes")] == "t3.micro"
    assert (settings[("aws:autoscaling:asg", "MinSize")], settings[("aws:autoscaling:asg", "MaxSize")]) == ("2", "4")
    assert settings[("aws:elasticbeanstalk:healthreporting:system", "SystemType")] == "enhanced"
    assert settings[("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled")] == "true"
    assert settings[("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays")] == "365"
    assert settings[("aws:elasticbeanstalk:application:environment", "NODE_ENV")] == "production"
    assert not any(ns == "aws:elbv2:listener:443" for ns, _ in settings)
    assert _attachments(stack, "api") == {"AWSElasticBeanstalkWebTier", "AmazonSSMManagedInstanceCore"}
    assert _attachments(stack, "api_service") == {
        "AWSElasticBeanstalkEnhancedHealth",
        "AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy",
    }
    # Created once its subnets route: instances without the NAT route never reach Beanstalk and the launch fails.
    routes = [d for d in env["depends_on"] if d.startswith("aws_route")]
    assert routes == [
        "aws_route.private_nat",
        "aws_route.public_internet",
        "aws_route_table_association.private_a",
        "aws_route_table_association.private_b",
        "aws_route_table_association.public_a",
        "aws_route_table_association.public_b",
    ]


def test_beanstalk_python_with_https(tmp_path: Path) -> None:
    cert = "arn:aws:acm:eu-west-3:123456789012:certificate/0f6c2b4e-1111-2222-3333-444455556666"
    stack = build(tmp_path, {"api": f"kind: beanstalk, platform: python, platform_version: '3.13', certificate_arn: '{cert}'"})
    regex = stack["data"]["aws_elastic_beanstalk_solution_stack"]["api_platform"]["name_regex"]
    assert regex == r"^64bit Amazon Linux 2023 (.*) running Python 3\.13$"  # anchored: "3.1" cannot pick a 3.12 stack
    settings = _settings(stack, "api")
    assert settings[("aws:elbv2:listener:443", "Protocol")] == "HTTPS"
    assert settings[("aws:elbv2:listener:443", "SSLCertificateArns")] == cert


def test_beanstalk_reaches_a_database(tmp_path: Path) -> None:
    """Udagram: the Node.js backend on Elastic Beanstalk talks to PostgreSQL on RDS."""
    stack = build(tmp_path, {"api": "kind: beanstalk", "db": DB}, "api -> db")
    ingress = stack["resource"]["aws_vpc_security_group_ingress_rule"]["db_from_api"]
    assert ingress["referenced_security_group_id"] == "${aws_security_group.api.id}"
    assert ingress["from_port"] == 5432


def test_beanstalk_as_cloudfront_origin_and_alias(tmp_path: Path) -> None:
    stack = build(
        tmp_path,
        {"cdn": "kind: cloudfront", "dns": "kind: route53, domain: archc-demo.io", "api": "kind: beanstalk"},
        "cdn -> api",
        "dns -> api",
    )
    origin = stack["resource"]["aws_cloudfront_distribution"]["cdn"]["origin"][0]
    assert origin["domain_name"] == "${aws_elastic_beanstalk_environment.api.cname}"
    assert origin["custom_origin_config"][0]["origin_protocol_policy"] == "http-only"
    record = stack["resource"]["aws_route53_record"]["dns_apex_a"]
    assert record["alias"] == [
        {
            "name": "${aws_elastic_beanstalk_environment.api.cname}",
            "zone_id": "${data.aws_elastic_beanstalk_hosted_zone.api_zone.id}",
            "evaluate_target_health": True,
        }
    ]


def test_beanstalk_domain_outside_the_model_needs_a_certificate(tmp_path: Path) -> None:
    assert error(tmp_path, {"api": "kind: beanstalk, domain: app.archc-demo.io"}) == (
        "model.yaml:7:38: error[conflict]: app.archc-demo.io is not in a Route 53 zone of the model, so archc cannot validate a "
        "certificate for it: add a route53 service for its domain, or set certificate_arn (an ACM certificate in eu-west-3 covering it)"
    )


def test_beanstalk_domain_in_the_model_gets_a_validated_certificate(tmp_path: Path) -> None:
    services = {"dns": "kind: route53, domain: archc-demo.io", "api": "kind: beanstalk, domain: app.archc-demo.io"}
    stack = build(tmp_path, services, "dns -> api")
    res = stack["resource"]
    assert res["aws_acm_certificate"]["api_certificate"]["domain_name"] == "app.archc-demo.io"
    assert res["aws_route53_record"]["api_validation_app_archc_demo_io"]["zone_id"] == "${aws_route53_zone.dns.zone_id}"
    settings = {(s["namespace"], s["name"]): s["value"] for s in res["aws_elastic_beanstalk_environment"]["api"]["setting"]}
    assert settings["aws:elbv2:listener:443", "SSLCertificateArns"] == "${aws_acm_certificate_validation.api_certificate.certificate_arn}"
    assert res["aws_route53_record"]["dns_app_a"]["name"] == "app.archc-demo.io"


def test_beanstalk_public_load_balancer_needs_public_subnets(tmp_path: Path) -> None:
    network = "azs: 2, subnets: {private: 24, isolated: 24}, nat: none"
    assert error(tmp_path, {"api": "kind: beanstalk"}, network=network) == (
        "model.yaml:7:7: error[network]: a public Beanstalk load balancer needs a public subnet tier (or set public: false)"
    )
    stack = build(tmp_path, {"api": "kind: beanstalk, public: false"}, network=network)
    settings = _settings(stack, "api")
    assert settings[("aws:ec2:vpc", "ELBScheme")] == "internal"
    assert settings[("aws:ec2:vpc", "ELBSubnets")] == "${aws_subnet.private_a.id},${aws_subnet.private_b.id}"


# --- all together, through Terraform core ------------------------------------------------


def test_compute_kinds_plan(tmp_path: Path) -> None:
    assert_plans(
        tmp_path,
        {
            "lb": ALB,
            "web": "kind: ec2, count: 2",
            "fleet": "kind: asg",
            "fn": "kind: lambda",
            "api": "kind: beanstalk",
            "jobs": "kind: sqs",
            "db": DB,
            "deploy": "kind: codedeploy",
            "files": "kind: efs",
        },
        "lb -> web",
        "web -> files",
        "{from: fleet, to: files, path: /srv/files}",
        "{from: lb, to: fleet, path: '/fleet/*'}",
        "{from: lb, to: fn, path: '/fn/*'}",
        "jobs -> fn",
        "fn -> db",
        "api -> db",
        "deploy -> fleet",
    )


# --- what instances and functions learn about, and mount from, their connections ----------------

FS = "${aws_efs_file_system.files.id}"


def _boot_script(value: str, expressions: dict[str, str]) -> str:
    """The script inside ``${base64encode("...")}``, as the instance receives it (HCL escapes are
    JSON's, plus ``$${``), each Terraform expression replaced by the value given."""
    assert value.startswith('${base64encode("') and value.endswith('")}'), value[:40]
    inner = value[len('${base64encode("') : -len('")}')]
    for expression, stand_in in expressions.items():
        inner = inner.replace(expression, stand_in)
    assert "${" not in inner.replace("$${", ""), "an expression left unreplaced"
    text: str = json.loads(f'"{inner}"')
    return text.replace("$${", "${").replace("%%{", "%{")


def _parts(tmp_path: Path, edge: str) -> list[tuple[str, str, str]]:
    stack = pipeline.check(tmp_path / "model.yaml", "model.yaml")
    return [(p.element, p.address, p.detail) for p in stack.parts(edge)]


def test_asg_mounts_efs_over_tls_with_iam(tmp_path: Path) -> None:
    stack = build(tmp_path, {"web": "kind: asg", "files": "kind: efs"}, "web -> files")
    template = stack["resource"]["aws_launch_template"]["web"]
    script = _boot_script(template["user_data"], {FS: "fs-1"})
    assert script.startswith("#!/bin/bash\nset -euo pipefail\n")
    assert "dnf install -y amazon-efs-utils\nmkdir -p /mnt/files\n" in script
    assert "echo 'fs-1:/ /mnt/files efs _netdev,tls,iam 0 0' >> /etc/fstab\n" in script
    assert "for attempt in $(seq 1 30); do mountpoint -q /mnt/files || mount /mnt/files && break; sleep 10; done\n" in script
    assert "ARCHC_FILES_PARAMETERS=/archc/t/files\n" in script  # the endpoints file
    # Instances start once the mount targets exist and the role may mount.
    group = stack["resource"]["aws_autoscaling_group"]["web"]
    assert group["depends_on"] == [
        "aws_efs_mount_target.files_a",
        "aws_efs_mount_target.files_b",
        "aws_iam_role_policy.web_mount_files",
        # ... and its subnets' NAT route: instances launched before it cannot install amazon-efs-utils.
        "aws_route.private_nat",
        "aws_route_table_association.private_a",
        "aws_route_table_association.private_b",
    ]
    assert _policy(stack, "web_mount_files") == [
        {
            "sid": "MountFileSystem",
            "actions": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "resources": ["${aws_efs_file_system.files.arn}"],
        }
    ]
    parts = _parts(tmp_path, "web->files")
    assert ("trigger", "aws_launch_template.web", "mount files at /mnt/files (TLS, IAM)") in parts
    assert ("permission", "aws_iam_role_policy.web_mount_files", "") in parts
    assert ("discovery", "aws_launch_template.web", "ARCHC_FILES_PARAMETERS=/archc/t/files in /etc/archc/endpoints.env") in parts
    assert ("path", "aws_vpc_security_group_ingress_rule.files_from_web", "") in parts


def test_ec2_mounts_at_the_connection_path_and_keeps_its_own_user_data(tmp_path: Path) -> None:
    """archc's part and the model's cloud-config both reach cloud-init, as a MIME multipart."""
    stack = build(
        tmp_path,
        {"web": 'kind: ec2, user_data: "#cloud-config\\npackages: [git]\\nruncmd: [echo ${HOME}]"', "files": "kind: efs"},
        "{from: web, to: files, path: /srv/shared}",
    )
    vm = stack["resource"]["aws_instance"]["web"]
    script = _boot_script(vm["user_data_base64"], {FS: "fs-1"})
    assert script.startswith('Content-Type: multipart/mixed; boundary="==archc-boundary=="\nMIME-Version: 1.0\n')
    archc, user = script.split("--==archc-boundary==\n")[1:3]
    assert 'Content-Type: text/x-shellscript; charset="utf-8"' in archc
    assert 'filename="10-archc.sh"' in archc
    assert "echo 'fs-1:/ /srv/shared efs _netdev,tls,iam 0 0' >> /etc/fstab\n" in archc
    assert user.startswith('Content-Type: text/cloud-config; charset="utf-8"\nMIME-Version: 1.0\n')
    assert user.endswith('filename="20-user-data"\n\n#cloud-config\npackages: [git]\nruncmd: [echo ${HOME}]\n\n--==archc-boundary==--\n')
    assert vm["depends_on"] == ["aws_efs_mount_target.files_a", "aws_efs_mount_target.files_b", "aws_iam_role_policy.web_mount_files"]
    assert vm["user_data_replace_on_change"] is True


def test_mount_is_refused_where_it_cannot_work(tmp_path: Path) -> None:
    efs = {"files": "kind: efs"}
    assert error(tmp_path, {"web": "kind: ec2", **efs}, "{from: web, to: files, path: data}") == (
        "model.yaml:10:34: error[value]: web (ec2) -> files (efs): path 'data' is where the file system is mounted: "
        "an absolute directory such as /mnt/shared"
    )
    assert error(tmp_path, {"web": "kind: ec2", **efs}, "{from: web, to: files, path: /etc}") == (
        "model.yaml:10:34: error[value]: web (ec2) -> files (efs): path '/etc' is a system directory; mount the file system "
        "elsewhere, e.g. /mnt/shared"
    )
    assert error(tmp_path, {"web": "kind: asg, egress_https: false", **efs}, "web -> files") == (
        "model.yaml:10:5: error[conflict]: web (asg) -> files (efs): mounting it installs amazon-efs-utils from the Amazon "
        "Linux repositories over HTTPS; set egress_https: true"
    )
    assert error(tmp_path, {"fn": "kind: lambda", **efs}, "fn -> files") == (
        "model.yaml:10:5: error[connection]: fn (lambda) -> files (efs): archc mounts EFS file systems on ec2 and asg instances "
        "only (a function needs an EFS access point and file_system_config)"
    )


def test_lambda_learns_where_its_targets_are(tmp_path: Path) -> None:
    stack = build(
        tmp_path,
        {"fn": "kind: lambda, environment: {LEVEL: info}", "db": DB, "orders": "kind: dynamodb, hash_key: id"},
        "fn -> db",
        "fn -> orders",
    )
    variables = stack["resource"]["aws_lambda_function"]["fn"]["environment"][0]["variables"]
    assert variables == {"ARCHC_DB_PARAMETERS": "/archc/t/db", "ARCHC_ORDERS_PARAMETERS": "/archc/t/orders", "LEVEL": "info"}
    # Encrypted at rest under the data key (checkov CKV_AWS_173), which the role may decrypt
    # (test_lambda_environment_is_under_the_data_key).
    assert stack["resource"]["aws_lambda_function"]["fn"]["kms_key_arn"] == "${aws_kms_key.archc.arn}"
    assert ("discovery", "aws_lambda_function.fn", "environment ARCHC_ORDERS_PARAMETERS=/archc/t/orders") in _parts(tmp_path, "fn->orders")
    # The path holds what the variable promises.
    assert stack["resource"]["aws_ssm_parameter"]["orders_table_name"]["name"] == "/archc/t/orders/table_name"


def test_beanstalk_learns_where_its_targets_are(tmp_path: Path) -> None:
    stack = build(tmp_path, {"app": "kind: beanstalk", "db": DB}, "app -> db")
    assert _settings(stack, "app")[("aws:elasticbeanstalk:application:environment", "ARCHC_DB_PARAMETERS")] == "/archc/t/db"
    parts = _parts(tmp_path, "app->db")
    assert ("discovery", "aws_elastic_beanstalk_environment.app", "environment ARCHC_DB_PARAMETERS=/archc/t/db") in parts


def test_archc_variables_are_not_the_models(tmp_path: Path) -> None:
    assert error(tmp_path, {"fn": "kind: lambda, environment: {ARCHC_DB_PARAMETERS: x}", "db": DB}, "fn -> db") == (
        "model.yaml:10:5: error[conflict]: fn (lambda) -> db (rds): environment sets ARCHC_DB_PARAMETERS, which archc sets to "
        "where db publishes its endpoints; rename it"
    )


def test_queue_visibility_must_cover_the_function_timeout(tmp_path: Path) -> None:
    """Lambda refuses the mapping at apply: 'Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds'."""
    assert error(tmp_path, {"jobs": "kind: sqs, visibility_timeout_s: 30", "fn": "kind: lambda, timeout_s: 60"}, "jobs -> fn") == (
        "model.yaml:10:5: error[conflict]: jobs (sqs) -> fn (lambda): the queue's visibility_timeout_s (30) is shorter than the "
        "consumer's timeout (60 s); Lambda refuses such an event source mapping: raise visibility_timeout_s to at least 60 "
        "(AWS recommends 6 times the function timeout, 360)"
    )
    stack = build(tmp_path, {"jobs": "kind: sqs, visibility_timeout_s: 60", "fn": "kind: lambda, timeout_s: 60"}, "jobs -> fn")
    assert "fn_from_jobs" in stack["resource"]["aws_lambda_event_source_mapping"]
    assert stack["resource"]["aws_sqs_queue"]["jobs"]["visibility_timeout_seconds"] == 60  # the model's own value stays
    stack = build(tmp_path, {"jobs": "kind: sqs", "fn": "kind: lambda, timeout_s: 900"}, "jobs -> fn")
    assert stack["resource"]["aws_sqs_queue"]["jobs"]["visibility_timeout_seconds"] == 5400  # the default follows the consumer


def test_one_file_system_mounted_twice(tmp_path: Path) -> None:
    stack = build(
        tmp_path, {"web": "kind: asg", "files": "kind: efs"}, "{from: web, to: files, path: /a}", "{from: web, to: files, path: /b}"
    )
    script = _boot_script(stack["resource"]["aws_launch_template"]["web"]["user_data"], {FS: "fs-1"})
    assert script.count("dnf install -y amazon-efs-utils") == 1
    assert "echo 'fs-1:/ /a efs _netdev,tls,iam 0 0'" in script and "echo 'fs-1:/ /b efs _netdev,tls,iam 0 0'" in script
    assert "web_mount_files" in stack["resource"]["aws_iam_role_policy"]
    assert ("permission", "aws_iam_role_policy.web_mount_files", "") in _parts(tmp_path, "web->files#2")


def test_beanstalk_mounts_no_file_system(tmp_path: Path) -> None:
    assert error(tmp_path, {"app": "kind: beanstalk", "files": "kind: efs"}, "app -> files") == (
        "model.yaml:10:5: error[connection]: app (beanstalk) -> files (efs): archc mounts EFS file systems on ec2 and asg "
        "instances only (a Beanstalk environment mounts through .ebextensions, which archc does not write)"
    )


@pytest.mark.parametrize("target", TARGETS)
def test_discovery_variable_names_a_published_path(tmp_path: Path, target: str) -> None:
    """Every ARCHC_<TARGET>_PARAMETERS a function is given holds at least one parameter."""
    compiled = _compile_pair(tmp_path, "lambda", target)
    if isinstance(compiled, str):  # a pair the catalog refuses
        return
    _, stack = compiled
    function = stack.resources["aws_lambda_function.src"].body
    variables = function.get("environment", [{"variables": {}}])[0]["variables"]
    names = {str(r.body["name"]) for r in stack.resources.values() if r.type == "aws_ssm_parameter"}
    assert "ARCHC_DST_PARAMETERS" in variables
    assert any(n.startswith(variables["ARCHC_DST_PARAMETERS"] + "/") for n in names), sorted(names)


def test_two_file_systems_at_one_path(tmp_path: Path) -> None:
    services = {"web": "kind: ec2", "a": "kind: efs", "b": "kind: efs"}
    assert error(tmp_path, services, "{from: web, to: a, path: /data}", "{from: web, to: b, path: /data}") == (
        "model.yaml:7:7: error[conflict]: two connections mount file systems at '/data'; give each its own path"
    )


def test_springfield_web_servers_mount_the_shared_files() -> None:
    """Seed 002: 'EFS as NFS backend storage, mounted by multiple EC2 instances simultaneously'."""
    model = Path(__file__).parent.parent / "examples" / "springfield-carshare.yaml"
    stack = pipeline.check(model, "springfield-carshare.yaml")
    parts = {(p.element, p.address, p.detail) for p in stack.parts("web-servers->shared-files")}
    assert ("trigger", "aws_launch_template.web_servers", "mount shared-files at /mnt/shared-files (TLS, IAM)") in parts
    assert ("permission", "aws_iam_role_policy.web_servers_mount_shared_files", "") in parts
    assert {e for e, _, _ in parts} == {"path", "permission", "discovery", "trigger"}
    group = stack.resources["aws_autoscaling_group.web_servers"].body
    assert "aws_efs_mount_target.shared_files_a" in group["depends_on"]


def test_lambda_environment_is_under_the_data_key(tmp_path: Path) -> None:
    """CKV_AWS_173: variables at rest under a customer managed key; the role decrypts through Lambda only."""
    stack = build(tmp_path, {"fn": "kind: lambda, environment: {LEVEL: info}"})
    function = stack["resource"]["aws_lambda_function"]["fn"]
    assert function["kms_key_arn"] == "${aws_kms_key.archc.arn}"
    assert "aws_iam_role_policy.fn_environment" in function["depends_on"]
    (statement,) = stack["data"]["aws_iam_policy_document"]["fn_environment"]["statement"]
    assert statement["actions"] == ["kms:Decrypt"]
    assert statement["condition"][0]["values"] == ["lambda.eu-west-3.amazonaws.com"]


def test_lambda_without_environment_has_no_environment_key(tmp_path: Path) -> None:
    """checkov's CKV_AWS_173 fails a function that names a key but has no variables."""
    stack = build(tmp_path, {"fn": "kind: lambda"})
    assert "kms_key_arn" not in stack["resource"]["aws_lambda_function"]["fn"]
    assert "fn_environment" not in stack["data"]["aws_iam_policy_document"]


def _code(tmp_path: Path, mode: int = 0o644) -> Path:
    src = tmp_path / "src"
    (src / "lib").mkdir(parents=True)
    (src / "index.py").write_text("def handler(event, context):\n    return {'statusCode': 200}\n")
    (src / "lib" / "util.py").write_text("X = 1\n")
    (src / "__pycache__").mkdir()
    (src / "__pycache__" / "index.cpython-313.pyc").write_bytes(b"cache")
    for path in src.rglob("*.py"):
        path.chmod(mode)
    return src


def test_lambda_code_is_zipped_deterministically(tmp_path: Path) -> None:
    """Same bytes whatever the files' times, permissions and folder: sorted entries, fixed time and modes, no caches."""
    import io
    import os
    import zipfile

    from modules.code_zip import zip_folder

    first = zip_folder(_code(tmp_path / "a"))
    other = _code(tmp_path / "b", mode=0o755)
    for path in other.rglob("*"):
        os.utime(path, (2_000_000_000, 2_000_000_000))
    assert zip_folder(other) == first
    entries = zipfile.ZipFile(io.BytesIO(first)).infolist()
    assert [(e.filename, e.date_time, e.external_attr >> 16) for e in entries] == [
        ("index.py", (1980, 1, 1, 0, 0, 0), 0o644),
        ("lib/util.py", (1980, 1, 1, 0, 0, 0), 0o644),
    ]


def test_lambda_code_replaces_the_placeholder(tmp_path: Path) -> None:
    import base64
    import hashlib

    from modules.code_zip import zip_folder

    _code(tmp_path)
    stack = build(tmp_path, {"fn": "kind: lambda, runtime: python3.13, code: src"})
    function = stack["resource"]["aws_lambda_function"]["fn"]
    expected = zip_folder(tmp_path / "src")
    assert function["source_code_hash"] == base64.b64encode(hashlib.sha256(expected).digest()).decode()
    assert function["filename"] == "assets/fn/function.zip"


def test_lambda_code_folder_must_exist(tmp_path: Path) -> None:
    assert error(tmp_path, {"fn": "kind: lambda, code: nowhere"}) == (
        "model.yaml:7:32: error[value]: code: 'nowhere' is not a folder (relative to the model file)"
    )
