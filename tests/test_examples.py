"""The seed systems and the default model: they build, their Terraform holds what
their documents name, and every generated file equals the committed golden copy under
generated/ (UPDATE_GOLDEN=1 rewrites them). A model with environments is built as
`archc build` builds it: every environment into generated/<name>/<env>/, and one
atlantis.yaml over them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from compiler import pipeline
from compiler.manifest import MANIFEST
from compiler.outputs import MARKER
from tests.conftest import MODELS, ROOT, UPDATE, check_golden

# What each seed document names, as Terraform resource types that must be present.
EXPECTED: dict[str, set[str]] = {
    "road-warrior": {
        "aws_vpc",
        "aws_subnet",
        "aws_nat_gateway",
        "aws_instance",
        "aws_db_instance",
        "aws_emr_cluster",
        "aws_amplify_app",
        "aws_s3_bucket",
        "aws_lb",
        "aws_lb_target_group",
        "aws_apigatewayv2_api",
        "aws_cloudwatch_metric_alarm",
    },
    "udagram": {"aws_s3_bucket", "aws_db_instance", "aws_elastic_beanstalk_application", "aws_elastic_beanstalk_environment"},
    "springfield-carshare": {
        "aws_vpc",
        "aws_nat_gateway",
        "aws_autoscaling_group",
        "aws_launch_template",
        "aws_lb",
        "aws_cognito_user_pool",
        "aws_ssm_document",
        "aws_rds_cluster",
        "aws_efs_file_system",
        "aws_flow_log",
        "aws_kinesis_firehose_delivery_stream",
        "aws_athena_workgroup",
        "aws_codepipeline",
        "aws_codecommit_repository",
        "aws_codedeploy_deployment_group",
    },
    "travel-booking": {
        "aws_route53_zone",
        "aws_route53_record",
        "aws_cloudfront_distribution",
        "aws_wafv2_web_acl",
        "aws_lb",
        "aws_ecs_cluster",
        "aws_ecs_service",
        "aws_apigatewayv2_api",
        "aws_lambda_function",
        "aws_db_instance",
        "aws_dynamodb_table",
        "aws_elasticache_replication_group",
        "aws_s3_bucket",
        "aws_cloudtrail",
        "aws_sns_topic",
        "aws_sqs_queue",
        "aws_iam_role",
        "aws_cloudwatch_dashboard",
        "aws_appautoscaling_target",
    },
    "intrusion-detection": {
        "aws_lb",
        "aws_lb_listener",
        "aws_lb_listener_rule",
        "aws_lb_target_group",
        "aws_ecs_cluster",
        "aws_ecs_service",
        "aws_ecs_task_definition",
        "aws_ecr_repository",
        "aws_autoscaling_group",
        "aws_db_instance",
        "aws_elasticache_replication_group",
        "aws_security_group",
        "aws_vpc_security_group_ingress_rule",
    },
    "serverless-orders": {
        "aws_apigatewayv2_api",
        "aws_lambda_function",
        "aws_dynamodb_table",
        "aws_secretsmanager_secret",
        "aws_cloudwatch_event_bus",
        "aws_cloudwatch_event_rule",
        "aws_cloudwatch_event_target",
        "aws_sfn_state_machine",
        "aws_kinesis_stream",
        "aws_lambda_event_source_mapping",
        "aws_sqs_queue",
    },
    "web-shop": {
        "aws_cloudfront_distribution",
        "aws_lb",
        "aws_ecs_service",
        "aws_db_instance",
        "aws_s3_bucket",
        "aws_sqs_queue",
        "aws_lambda_function",
    },
}


def _build(path: Path) -> tuple[str, dict[str, bytes]]:
    """The model's name and every file its build writes, relative to generated/<name>/."""
    name, envs = pipeline.environment_names(path)
    shown = path.relative_to(ROOT).as_posix()
    if envs:
        return name, pipeline.build_environments(path, shown, ROOT / "generated" / name, envs).files
    result = pipeline.build(path, shown, out_dir=lambda name: ROOT / "generated" / name)
    return result.arch.name, result.files


@pytest.fixture(scope="module", params=MODELS, ids=[p.stem for p in MODELS])
def built(request: pytest.FixtureRequest) -> tuple[str, dict[str, bytes]]:
    return _build(request.param)


STACK_FILE = re.compile(r"^(?:[^/]+/)?terraform/stacks/[^/]+/cdk\.tf\.json$")  # an environment's under <env>/


def _stacks(files: dict[str, bytes]) -> list[dict[str, Any]]:
    """Every stack's cdk.tf.json: one, those of the model's stacks:, of each environment."""
    return [json.loads(content) for rel, content in sorted(files.items()) if STACK_FILE.match(rel)]


def test_holds_what_the_document_names(built: tuple[str, dict[str, bytes]]) -> None:
    name, files = built
    present: dict[str, set[str]] = {}  # per environment ("" without environments)
    for rel, content in sorted(files.items()):
        if STACK_FILE.match(rel):
            present.setdefault(rel.partition("terraform/")[0], set()).update(json.loads(content).get("resource", {}))
    assert present
    for env, types in present.items():
        assert EXPECTED[name] - types == set(), env


def test_matches_golden_outputs(built: tuple[str, dict[str, bytes]]) -> None:
    name, files = built
    golden = ROOT / "generated" / name
    for rel, content in files.items():
        if rel.endswith(".png") and not UPDATE:  # pixels depend on fonts and cairo: DOT and SVG are the goldens
            assert content.startswith(b"\x89PNG\r\n\x1a\n"), f"{rel} is not a PNG"
            continue
        if rel.rsplit("/", 1)[-1] == MANIFEST and not UPDATE:  # it holds the PNGs' checksums: compare the rest
            assert _without_png_sums(content) == _without_png_sums((golden / rel).read_bytes()), f"{rel} differs"
            continue
        check_golden(golden / rel, content)
    if UPDATE:  # as `archc build` leaves it, so `make build` may replace it
        (golden / MARKER).write_text("This directory is generated by archc; edits are overwritten.\n")
    else:
        on_disk = {p.relative_to(golden).as_posix() for p in golden.rglob("*") if p.is_file() and p.name != MARKER}
        assert on_disk == set(files), "generated/ holds files the build no longer writes, or lacks some"


def _without_png_sums(manifest: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(manifest)
    data["files"] = {rel: digest for rel, digest in data["files"].items() if not rel.endswith(".png")}
    return data


def test_no_machine_specific_content(built: tuple[str, dict[str, bytes]]) -> None:
    _, files = built
    for rel, content in files.items():
        if rel.endswith((".json", ".dot", ".svg")):
            text = content.decode()
            for needle in ("/root/", "/home/", "/tmp/", "/work/", "site-packages"):
                assert needle not in text, f"{rel} contains {needle}"


def test_one_partition_lookup_per_stack(built: tuple[str, dict[str, bytes]]) -> None:
    # Every ARN of the account is built from the architecture's one data source (shared.account).
    _, files = built
    for stack in _stacks(files):  # with stacks:, each stack that builds an ARN has its own copy of it
        assert list(stack.get("data", {}).get("aws_partition", {})) in ([], ["archc"])
