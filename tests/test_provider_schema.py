"""Tests of the packaged hashicorp/aws schema and the compile-time checker."""

from __future__ import annotations

import gzip
import sys
from importlib import resources
from typing import Any

import pytest

from compiler.terraform.provider_schema import (
    PROVIDER_ADDR,
    SCHEMA_FILE,
    TABLES,
    AwsSchema,
    LazySchemas,
    SchemaProblem,
    _read_document,
    load_aws_schema,
    terraform_schema_json,
)
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def schema() -> AwsSchema:
    return load_aws_schema()


@pytest.fixture(scope="module")
def tf() -> dict[str, Any]:
    doc = terraform_schema_json()
    provider: dict[str, Any] = doc["provider_schemas"][PROVIDER_ADDR]
    return provider


def attr(tf: dict[str, Any], resource: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = tf["resource_schemas"][resource]["block"]["attributes"][name]
    return found


# --- the file itself -------------------------------------------------------


def test_provider_version(schema: AwsSchema) -> None:
    assert schema.provider_version == "6.69.1"


def test_terraform_document_is_terraform_format() -> None:
    doc = terraform_schema_json()
    assert doc["format_version"] == "1.0"
    assert "archc_source" not in doc
    assert set(doc["provider_schemas"][PROVIDER_ADDR]) >= {"provider", "resource_schemas", "data_source_schemas"}


def test_the_file_is_what_the_extraction_tool_writes() -> None:
    """The reader gives back every type of the file, in the layout the tool writes:
    written again from what was read, the file is the same, byte for byte."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from extract_aws_schema import json_lines
    finally:
        sys.path.remove(str(ROOT / "tools"))
    doc = terraform_schema_json()
    doc["archc_source"] = _read_document()["archc_source"]
    provider = doc["provider_schemas"][PROVIDER_ADDR]
    doc["provider_schemas"] = {PROVIDER_ADDR: {k: dict(v) if k in TABLES else v for k, v in provider.items()}}
    stored = resources.files("compiler.terraform").joinpath(SCHEMA_FILE).read_bytes()
    assert json_lines(doc) == gzip.decompress(stored)
    assert len(doc["provider_schemas"][PROVIDER_ADDR]["resource_schemas"]) == 1735


def test_a_schema_is_parsed_when_first_read() -> None:
    table = LazySchemas({"aws_a": b'["resource_schemas","aws_a",{"block":{}}]', "aws_b": b"not parsed, never read"})
    assert list(table) == ["aws_a", "aws_b"] and "aws_b" in table and len(table) == 2
    assert table["aws_a"] == {"block": {}}
    assert table["aws_a"] is table["aws_a"]


def test_gzip_header_is_reproducible() -> None:
    head = resources.files("compiler.terraform").joinpath(SCHEMA_FILE).read_bytes()[:10]
    assert head[:3] == b"\x1f\x8b\x08"
    assert head[3] == 0  # no FNAME (nor other optional fields)
    assert head[4:8] == b"\0\0\0\0"  # mtime 0


@pytest.mark.parametrize(
    "resource_type",
    [
        "aws_vpc",
        "aws_subnet",
        "aws_lb",
        "aws_lb_listener",
        "aws_lb_target_group",
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_ecs_service",
        "aws_lambda_function",
        "aws_s3_bucket",
        "aws_cloudfront_distribution",
        "aws_wafv2_web_acl",
        "aws_vpc_security_group_ingress_rule",
        "aws_elastic_beanstalk_environment",
        "aws_amplify_app",
        "aws_emr_cluster",
        "aws_kinesis_firehose_delivery_stream",
        "aws_athena_workgroup",
        "aws_codepipeline",
        "aws_cognito_user_pool",
    ],
)
def test_three_tier_resources_exist(schema: AwsSchema, resource_type: str) -> None:
    assert schema.has_resource(resource_type)
    assert resource_type in schema.resource_types()


def test_type_lists(schema: AwsSchema) -> None:
    types = schema.resource_types()
    assert types == sorted(types) and len(types) > 1500
    assert not schema.has_resource("aws_nope")
    assert schema.has_data_source("aws_ami") and "aws_vpc" in schema.data_source_types()


# --- spot checks against known facts of the real provider ----------------------


def test_known_attribute_facts(tf: dict[str, Any]) -> None:
    assert attr(tf, "aws_vpc", "cidr_block").get("optional") is True
    assert attr(tf, "aws_s3_bucket", "bucket") == {"type": "string", "optional": True, "computed": True}
    assert attr(tf, "aws_db_instance", "instance_class") == {"type": "string", "required": True}
    assert attr(tf, "aws_instance", "tags") == {"type": ["map", "string"], "optional": True}
    assert attr(tf, "aws_autoscaling_group", "max_size") == {"type": "number", "required": True}
    assert attr(tf, "aws_db_instance", "password_wo").get("write_only") is True


def test_required_block_has_min_items(tf: dict[str, Any]) -> None:
    block = tf["resource_schemas"]["aws_lb_listener"]["block"]["block_types"]["default_action"]
    assert block["nesting_mode"] == "list"
    assert block["min_items"] == 1
    assert "max_items" not in block
    single = tf["resource_schemas"]["aws_lb_target_group"]["block"]["block_types"]["health_check"]
    assert (single["nesting_mode"], single["max_items"]) == ("list", 1)
    timeouts = tf["resource_schemas"]["aws_db_instance"]["block"]["block_types"]["timeouts"]
    assert timeouts["nesting_mode"] == "single"


def test_security_group_ingress_is_set_of_objects_attribute(tf: dict[str, Any]) -> None:
    # As in the real provider (SDKv2 ConfigModeAttr): an attribute, not a block.
    assert "ingress" not in tf["resource_schemas"]["aws_security_group"]["block"].get("block_types", {})
    ingress = attr(tf, "aws_security_group", "ingress")
    assert ingress["optional"] is True and ingress["computed"] is True
    kind, (obj, fields) = ingress["type"]
    assert (kind, obj) == ("set", "object")
    assert fields["from_port"] == "number"
    assert fields["cidr_blocks"] == ["list", "string"]
    assert fields["security_groups"] == ["set", "string"]


def test_provider_block(tf: dict[str, Any]) -> None:
    block = tf["provider"]["block"]
    assert {"region", "profile"} <= set(block["attributes"])
    assert "alias" not in block["attributes"]  # a meta-argument, not schema
    assert {"default_tags", "assume_role"} <= set(block["block_types"])


# --- check_resource: one test per kind of problem ---------------------------------


def test_valid_body_has_no_problems(schema: AwsSchema) -> None:
    body: dict[str, object] = {
        "cidr_block": "10.0.0.0/16",
        "enable_dns_hostnames": True,
        "tags": {"Name": "main"},
        "provider": "aws.eu",
        "depends_on": ["aws_s3_bucket.b"],
        "count": 1,
        "for_each": "${var.x}",
        "lifecycle": {"prevent_destroy": True},
        "//": {"metadata": {}},
    }
    assert schema.check_resource("aws_vpc", body) == []


def test_unknown_resource_type(schema: AwsSchema) -> None:
    assert schema.check_resource("aws_vpcs", {}) == [SchemaProblem("", "unknown resource type 'aws_vpcs'; did you mean 'aws_vpc'?")]
    assert schema.check_resource("zzz", {}) == [SchemaProblem("", "unknown resource type 'zzz'")]


def test_unknown_attribute(schema: AwsSchema) -> None:
    assert schema.check_resource("aws_vpc", {"cidr": "10.0.0.0/16"}) == [
        SchemaProblem("cidr", "unknown attribute 'cidr' for aws_vpc; did you mean 'cidr_block'?")
    ]


def test_unknown_block_nested(schema: AwsSchema) -> None:
    body: dict[str, object] = {
        "load_balancer_arn": "${aws_lb.web.arn}",
        "default_action": [{"type": "forward", "forwrd": {"target_group": [{"arn": "x"}]}}],
    }
    assert schema.check_resource("aws_lb_listener", body) == [
        SchemaProblem(
            "default_action[0].forwrd",
            "unknown block 'forwrd' for aws_lb_listener.default_action; did you mean 'forward'?",
        )
    ]


def test_missing_required_attribute(schema: AwsSchema) -> None:
    assert schema.check_resource("aws_s3_bucket_policy", {"policy": "{}"}) == [SchemaProblem("", "missing required attribute 'bucket'")]


def test_missing_required_attribute_in_block(schema: AwsSchema) -> None:
    body: dict[str, object] = {"load_balancer_arn": "arn", "default_action": {}}
    assert schema.check_resource("aws_lb_listener", body) == [SchemaProblem("default_action", "missing required attribute 'type'")]


def test_missing_required_block(schema: AwsSchema) -> None:
    assert schema.check_resource("aws_lb_listener", {"load_balancer_arn": "arn"}) == [
        SchemaProblem("", "missing required block 'default_action'")
    ]


def test_computed_only_attribute(schema: AwsSchema) -> None:
    assert schema.check_resource("aws_vpc", {"arn": "arn:aws:ec2:::vpc/x"}) == [
        SchemaProblem("arn", "'arn' is computed by the provider and cannot be set")
    ]


def test_block_item_counts(schema: AwsSchema) -> None:
    too_few: dict[str, object] = {"load_balancer_arn": "arn", "default_action": []}
    assert schema.check_resource("aws_lb_listener", too_few) == [
        SchemaProblem("default_action", "block 'default_action' needs at least 1 item, got 0")
    ]
    too_many: dict[str, object] = {"health_check": [{"path": "/"}, {"path": "/health"}]}
    assert schema.check_resource("aws_lb_target_group", too_many) == [
        SchemaProblem("health_check", "block 'health_check' allows at most 1 item, got 2")
    ]
    single: dict[str, object] = {"allocated_storage": 5, "instance_class": "db.t3.micro", "timeouts": [{}, {}]}
    assert schema.check_resource("aws_db_instance", single) == [SchemaProblem("timeouts", "block 'timeouts' allows at most 1 item, got 2")]


def test_block_of_wrong_shape(schema: AwsSchema) -> None:
    assert schema.check_resource("aws_lb_listener", {"load_balancer_arn": "arn", "default_action": "forward"}) == [
        SchemaProblem("default_action", "block 'default_action' expects an object or a list of objects, got a string")
    ]
    assert schema.check_resource("aws_lb_listener", {"load_balancer_arn": "arn", "default_action": ["forward"]}) == [
        SchemaProblem("default_action[0]", "block 'default_action' expects an object, got a string")
    ]


def test_type_mismatches(schema: AwsSchema) -> None:
    asg: dict[str, object] = {"min_size": 1, "max_size": "ten"}
    assert schema.check_resource("aws_autoscaling_group", asg) == [SchemaProblem("max_size", "'max_size' expects a number, got a string")]
    assert schema.check_resource("aws_vpc", {"enable_dns_support": "yes"}) == [
        SchemaProblem("enable_dns_support", "'enable_dns_support' expects a bool, got a string")
    ]
    assert schema.check_resource("aws_vpc", {"cidr_block": ["10.0.0.0/16"]}) == [
        SchemaProblem("cidr_block", "'cidr_block' expects a string, got a list")
    ]
    assert schema.check_resource("aws_vpc", {"tags": ["a"]}) == [SchemaProblem("tags", "'tags' expects a map, got a list")]
    assert schema.check_resource("aws_vpc", {"tags": {"Name": ["a"]}}) == [
        SchemaProblem('tags["Name"]', "'tags[\"Name\"]' expects a string, got a list")
    ]


def test_conversions_terraform_accepts(schema: AwsSchema) -> None:
    # Terraform converts these itself, so they are not problems.
    asg: dict[str, object] = {"min_size": "1", "max_size": 3.0, "name": 42, "force_delete": "true"}
    assert schema.check_resource("aws_autoscaling_group", asg) == []


def test_expressions_accepted_for_any_type(schema: AwsSchema) -> None:
    body: dict[str, object] = {
        "min_size": "${var.min}",
        "max_size": "${length(var.azs) * 2}",
        "vpc_zone_identifier": "${aws_subnet.app[*].id}",
    }
    assert schema.check_resource("aws_autoscaling_group", body) == []
    assert schema.check_resource("aws_vpc", {"tags": "${local.tags}", "enable_dns_support": "${var.dns}"}) == []


def test_object_attribute_fields(schema: AwsSchema) -> None:
    body: dict[str, object] = {"ingress": [{"from_port": "http", "to_port": 80, "protocol": "tcp", "form_port": 1}]}
    assert schema.check_resource("aws_security_group", body) == [
        SchemaProblem("ingress[0].from_port", "'from_port' expects a number, got a string"),
        SchemaProblem(
            "ingress[0].form_port",
            "unknown attribute 'form_port' for aws_security_group.ingress; did you mean 'from_port'?",
        ),
    ]
    assert schema.check_resource("aws_security_group", {"ingress": [{"cidr_blocks": [{"a": 1}]}]}) == [
        SchemaProblem("ingress[0].cidr_blocks[0]", "'cidr_blocks[0]' expects a string, got a map")
    ]


# --- data sources and provider ----------------------------------------------------


def test_check_data_source(schema: AwsSchema) -> None:
    ok: dict[str, object] = {"filter": [{"name": "tag:Name", "values": ["main"]}], "default": False}
    assert schema.check_data_source("aws_vpc", ok) == []
    assert schema.check_data_source("aws_amii", {}) == [SchemaProblem("", "unknown data source 'aws_amii'; did you mean 'aws_ami'?")]
    assert schema.check_data_source("aws_vpc", {"filter": [{"name": "x"}]}) == [
        SchemaProblem("filter[0]", "missing required attribute 'values'")
    ]
    assert schema.check_data_source("aws_vpc", {"arn": "x"}) == [
        SchemaProblem("arn", "'arn' is computed by the provider and cannot be set")
    ]


def test_check_provider(schema: AwsSchema) -> None:
    ok: dict[str, object] = {"region": "eu-west-1", "alias": "eu", "default_tags": [{"tags": {"app": "x"}}]}
    assert schema.check_provider(ok) == []
    assert schema.check_provider({"regin": "eu-west-1"}) == [
        SchemaProblem("regin", "unknown attribute 'regin' for provider aws; did you mean 'region'?")
    ]
    assert schema.check_provider({"max_retries": "many"}) == [SchemaProblem("max_retries", "'max_retries' expects a number, got a string")]
