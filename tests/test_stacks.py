"""Stacks (issue 19, slice 2): ``stacks:`` splits the Terraform into one stack per group
of layers, cross-stack references read the producer's state, and the order is recorded.

The error texts (unknown layer, a layer in two stacks or none, a cycle) are in the
bad-input corpus (tests/bad/stacks-*.yaml).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from compiler import pipeline
from compiler.cli import main
from compiler.terraform.stacks import split
from tests.conftest import ROOT

STACKS = "stacks:\n  web: [clients, frontend]\n  app: [backend]\n  data: [data]\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """udagram split into three stacks (and archc's shared one), built once."""
    where = tmp_path_factory.mktemp("stacks")
    model = where / "ud.yaml"
    model.write_text((ROOT / "examples" / "udagram.yaml").read_text() + STACKS)
    assert main(["build", str(model), "--out", str(where / "out")]) == 0
    stacks = {p.parent.name: json.loads(p.read_text()) for p in (where / "out" / "terraform" / "stacks").glob("*/cdk.tf.json")}
    return where, stacks


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _declared(stack: dict[str, Any]) -> set[str]:
    out = {f"{t}.{n}" for t, named in stack.get("resource", {}).items() for n in named}
    return out | {f"data.{t}.{n}" for t, named in stack.get("data", {}).items() for n in named}


def test_one_stack_file_per_stack_and_the_order_in_the_manifest(built: tuple[Path, dict[str, Any]]) -> None:
    where, stacks = built
    assert sorted(stacks) == ["app", "data", "shared", "web"]
    manifest = json.loads((where / "out" / "terraform" / "manifest.json").read_text())
    deps = {name: sorted(s["dependencies"]) for name, s in manifest["stacks"].items()}
    assert deps == {"shared": [], "data": ["shared"], "app": ["data", "shared"], "web": []}
    archc = json.loads((where / "out" / "archc-manifest.json").read_text())
    assert archc["stacks"] == [
        {"name": "shared", "reads": []},
        {"name": "web", "reads": []},
        {"name": "data", "reads": ["shared"]},
        {"name": "app", "reads": ["data", "shared"]},
    ]
    assert main(["verify", str(where / "out")]) == 0


def test_every_reference_names_a_resource_of_its_own_stack_or_a_remote_output(built: tuple[Path, dict[str, Any]]) -> None:
    _, stacks = built
    outputs = {name: set(stack.get("output", {})) for name, stack in stacks.items()}
    remote = re.compile(r"data\.terraform_remote_state\.([a-z0-9-]+)\.outputs\.([A-Za-z0-9_]+)")
    reference = re.compile(r"(?<![\w.])((?:data\.)?aws_[a-z0-9_]+\.[A-Za-z_][A-Za-z0-9_-]*)(?:\[[^\]]*\])?\.[A-Za-z_]")
    crossing = 0
    for name, stack in stacks.items():
        declared = _declared(stack)
        for text in _strings({k: v for k, v in stack.items() if k in ("resource", "data", "output")}):
            for expr in re.findall(r"\$\{(.*?)\}", text):
                for producer, output in remote.findall(expr):
                    crossing += 1
                    assert producer in stack["data"]["terraform_remote_state"], (name, producer)
                    assert output in outputs[producer], (name, producer, output)
                for address in reference.findall(remote.sub("", expr)):
                    assert address in declared, (name, address)
    assert crossing > 10


def test_remote_state_reads_the_producer_state_by_relative_path(built: tuple[Path, dict[str, Any]]) -> None:
    _, stacks = built
    reads = stacks["app"]["data"]["terraform_remote_state"]
    assert reads == {
        "data": {"backend": "local", "config": {"path": "../data/terraform.tfstate"}},
        "shared": {"backend": "local", "config": {"path": "../shared/terraform.tfstate"}},
    }
    assert stacks["app"]["terraform"]["backend"] == {"local": {"path": "terraform.tfstate"}}
    crossing = {n: o for n, o in stacks["data"]["output"].items() if "__" in n}
    assert crossing and all(o["sensitive"] for o in crossing.values())


def test_a_connection_lives_in_the_caller_stack(built: tuple[Path, dict[str, Any]]) -> None:
    """The ingress rule on the database's security group implements api -> db: it goes
    with the caller, so the data stack never depends on the app stack."""
    _, stacks = built
    assert "db_from_api" in stacks["app"]["resource"]["aws_vpc_security_group_ingress_rule"]
    assert "aws_vpc_security_group_ingress_rule" not in stacks["data"].get("resource", {})
    assert "aws_vpc" in stacks["shared"]["resource"] and "aws_vpc" not in stacks["app"].get("resource", {})
    for name in ("app", "shared"):  # shared data sources are copied into the stacks that read them, not read remotely
        assert "aws_caller_identity" in stacks[name]["data"]
        assert "aws_caller_identity" not in json.dumps(stacks[name].get("output", {}))
    assert "aws_caller_identity" not in stacks["data"]["data"]  # nothing there reads it


def test_s3_backend_keys_one_state_per_stack(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "udagram.yaml").read_text() + STACKS
    text += "terraform:\n  backend: {type: s3, bucket: acme-tf-state, key: udagram/terraform.tfstate}\n"
    (tmp_path / "ud.yaml").write_text(text)
    stack = pipeline.check(tmp_path / "ud.yaml", "ud.yaml")
    from compiler.terraform.stacks import remote_state, state_key

    assert [p.name for p in split(stack)] == ["shared", "web", "data", "app"]
    assert state_key(stack.arch, stack.arch.backend, "data") == "udagram/data/terraform.tfstate"
    assert remote_state(stack.arch, "data") == {
        "backend": "s3",
        "config": {"bucket": "acme-tf-state", "key": "udagram/data/terraform.tfstate", "region": "us-east-1"},
    }


def test_without_stacks_one_stack_as_before() -> None:
    stack = pipeline.check(ROOT / "examples" / "udagram.yaml", "udagram.yaml")
    (part,) = split(stack)
    assert part.name == "udagram" and part.reads == set()
    assert part.resources == stack.resources


# -- slice 3: every stack planned offline, remote state reads fed with typed mocks ---------------


def test_mock_values_are_typed_from_the_exported_attribute() -> None:
    from compiler.plan.mocks import mock_value

    assert mock_value("${aws_s3_bucket.media.arn}", "eu-west-3") == "arn:aws:s3:eu-west-3:123456789012:s3_bucket/media"
    assert mock_value("${aws_vpc.main.id}") == "mock-main-id"
    secret = mock_value("${aws_db_instance.db.master_user_secret}")
    assert isinstance(secret, list) and secret[0]["secret_arn"].startswith("arn:aws:")
    assert mock_value("${aws_db_instance.db.port}") == 1
    assert mock_value("${data.aws_iam_policy_document.x.json}") == "mock-x-json"
    assert mock_value("${aws_instance.app[0].id}") == "mock-app-id"  # one instance of a resource with count
    assert mock_value("${aws_instance.app[*].arn}", "eu-west-3") == ["arn:aws:instance:eu-west-3:123456789012:instance/app"]


def test_plan_every_stack_with_mocks_in_dependency_order(built: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    where, _ = built
    assert main(["plan", str(where / "ud.yaml"), "--out", str(where / "planned")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines if ": plan ok:" in line] == ["shared", "web", "data", "app"]
    mocked = next(line for line in lines if line.startswith("app: ") and "mocked" in line)
    assert mocked.startswith("app: 9 values of data, shared mocked (no state yet, typed from their outputs): ")
    assert "data.aws_db_instance__db__master_user_secret" in mocked


def test_a_read_of_an_output_the_producer_lacks_fails_the_plan(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """The mocks come from the producer's outputs: a consumer reading one it does not
    export fails at plan time, as it would at apply (the mocks are real reads)."""
    from compiler.plan import plan_stacks

    where, _ = built
    terraform = tmp_path / "terraform"
    shutil.copytree(where / "out" / "terraform", terraform)
    data = terraform / "stacks" / "data" / "cdk.tf.json"
    doc = json.loads(data.read_text())
    del doc["output"]["aws_s3_bucket__media__arn"]
    data.write_text(json.dumps(doc, indent=2))
    plans = {p.stack: p for p in plan_stacks(terraform)}
    assert plans["data"].ok and plans["shared"].ok
    assert not plans["app"].ok
    assert any("Unsupported attribute" in d.summary for d in plans["app"].diagnostics)


def test_docs_list_the_stacks_in_dependency_order(built: tuple[Path, dict[str, Any]]) -> None:
    where, _ = built
    index = (where / "out" / "docs" / "index.md").read_text()
    table = index.split("## Terraform stacks\n")[1].split("\n## ")[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert rows == [
        "| `shared` | what the whole architecture shares (network, key) |  |",
        "| `web` | `clients`, `frontend` |  |",
        "| `data` | `data` | `shared` |",
        "| `app` | `backend` | `data`, `shared` |",
    ]
