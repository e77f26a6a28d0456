"""`archc verify`: passes on every example's outputs, fails on each kind of tampering
with one precise line per problem.

Every part (Terraform, the overview/network/data-flow figures in DOT and SVG, the docs
pages and anchors named by compiler/names.py) is checked on real builds.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.cli import main
from compiler.manifest import MANIFEST
from compiler.outputs import write_tree
from tests.conftest import ROOT

GOLDEN = sorted(p for p in (ROOT / "generated").iterdir() if p.is_dir())
STACK = "terraform/stacks/udagram/cdk.tf.json"


@pytest.mark.parametrize("out", GOLDEN, ids=[p.name for p in GOLDEN])
def test_committed_outputs_verify(out: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["verify", f"generated/{out.name}"]) == 0, capsys.readouterr().err
    lines = capsys.readouterr().out.splitlines()
    # A model with environments: each environment's directory is verified, one line each.
    model = ROOT / "examples" / f"{out.name}.yaml"
    where = [
        f"generated/{out.name}/{env}" for env in pipeline.environment_names(model if model.exists() else ROOT / "architecture.yaml")[1]
    ]
    assert [line.split(": verified ")[0] for line in lines] == [f"{w}/" for w in where or [f"generated/{out.name}"]]


def test_every_environment_of_a_build_is_verified(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "travel-booking"
    shutil.copytree(ROOT / "generated" / "travel-booking", out)
    page = out / "prod" / "docs" / "index.md"
    page.write_text(page.read_text() + "edited\n")
    assert main(["verify", str(out)]) == 1
    captured = capsys.readouterr()
    assert "dev/: verified " in captured.out and "prod/: verified" not in captured.out
    assert "prod/docs/index.md" in captured.err


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real build of udagram (Terraform, diagrams, docs) in ./out."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "examples" / "udagram.yaml", tmp_path)
    result = pipeline.build(Path("udagram.yaml"), "udagram.yaml")
    write_tree(tmp_path / "out", result.files)
    return tmp_path / "out"


def _verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["verify", "out"])
    return code, capsys.readouterr().err.splitlines()


def test_untouched_build_verifies(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "out"]) == 0
    assert capsys.readouterr().out == "out/: verified 30 files, 5 services, 4 connections: every one in every output, no file changed\n"


def test_edited_file(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = out / "cdktf.json"
    path.write_text(path.read_text().replace("6.69.1", "6.70.0"))
    assert _verify(capsys) == (1, ["out/cdktf.json:1:1: error[verify]: edited by hand: its content differs from what archc build wrote"])


def test_deleted_file(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (out / "terraform" / "manifest.json").unlink()
    assert _verify(capsys) == (1, ["out/terraform/manifest.json:1:1: error[verify]: deleted: archc build wrote it, it is gone"])


def test_added_file(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (out / "terraform" / "extra.tf").write_text('resource "aws_s3_bucket" "x" {}\n')
    assert _verify(capsys) == (1, ["out/terraform/extra.tf:1:1: error[verify]: added by hand: archc build did not write it"])


def _edit_stack(out: Path, change: dict[str, dict[str, object]]) -> None:
    path = out / STACK
    stack = json.loads(path.read_text())
    for rtype, named in change.items():
        for name, body in named.items():
            if body is None:
                del stack["resource"][rtype][name]
            else:
                stack["resource"].setdefault(rtype, {})[name] = body
    path.write_text(json.dumps(stack, indent=2))


def test_resource_without_owner(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit_stack(out, {"aws_sqs_queue": {"rogue": {"name": "rogue"}}})
    code, lines = _verify(capsys)
    assert code == 1
    line = next(i for i, t in enumerate((out / STACK).read_text().splitlines(), 1) if t.strip().startswith('"rogue": {'))
    assert lines == [
        f"out/{STACK}:1:1: error[verify]: edited by hand: its content differs from what archc build wrote",
        f"out/{STACK}:{line}:1: error[verify]: resource aws_sqs_queue.rogue has no owner in the model "
        "(no service, connection or network made it)",
    ]


def test_service_and_connection_missing_from_terraform(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit_stack(out, {"aws_db_instance": {"db": None}, "aws_vpc_security_group_ingress_rule": {"db_from_api": None}})
    assert _verify(capsys) == (
        1,
        [
            f"out/{STACK}:1:1: error[verify]: edited by hand: its content differs from what archc build wrote",
            f"out/{STACK}:1:1: error[verify]: service 'db' (rds) lost its resource aws_db_instance.db",
            f"out/{STACK}:1:1: error[verify]: service 'db' (rds) lost its resource aws_vpc_security_group_ingress_rule.db_from_api",
            f"out/{STACK}:1:1: error[verify]: connection api->db lost its resource aws_vpc_security_group_ingress_rule.db_from_api",
        ],
    )


def test_connection_part_missing_from_terraform(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A part the docs show for a connection (the db's endpoint parameter: how api finds db)."""
    _edit_stack(out, {"aws_ssm_parameter": {"db_endpoint": None}})
    assert _verify(capsys) == (
        1,
        [
            f"out/{STACK}:1:1: error[verify]: edited by hand: its content differs from what archc build wrote",
            f"out/{STACK}:1:1: error[verify]: service 'db' (rds) lost its resource aws_ssm_parameter.db_endpoint",
            f"out/{STACK}:1:1: error[verify]: connection api->db lost its discovery aws_ssm_parameter.db_endpoint",
        ],
    )


def test_service_missing_from_a_diagram(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dot = out / "diagrams" / "overview.dot"
    dot.write_text("".join(line for line in dot.read_text().splitlines(keepends=True) if not re.search(r"^\s*media \[| -> media ", line)))
    assert _verify(capsys) == (
        1,
        [
            "out/diagrams/overview.dot:1:1: error[verify]: edited by hand: its content differs from what archc build wrote",
            "out/diagrams/overview.dot:1:1: error[verify]: service 'media' is missing (no node 'media')",
            "out/diagrams/overview.dot:1:1: error[verify]: connection api->media is missing (no edge with id 'api->media')",
        ],
    )


def test_connection_missing_from_the_svg(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg = out / "diagrams" / "overview.svg"
    svg.write_text(svg.read_text().replace('<g id="api&#45;&gt;db" class="edge">', "<g>"))
    assert (
        _verify(capsys)[1][1] == "out/diagrams/overview.svg:1:1: error[verify]: connection api->db is missing (no edge with id 'api->db')"
    )


def test_connection_missing_from_docs(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = out / "docs" / "services" / "api.md"
    page.write_text(page.read_text().replace('<a id="to-db"></a>', ""))
    assert _verify(capsys) == (
        1,
        [
            "out/docs/services/api.md:1:1: error[verify]: edited by hand: its content differs from what archc build wrote",
            "out/docs/services/api.md:1:1: error[verify]: connection api->db is missing (no anchor 'to-db')",
        ],
    )


def test_service_page_deleted(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (out / "docs" / "services" / "db.md").unlink()
    assert _verify(capsys)[1] == [
        "out/docs/services/db.md:1:1: error[verify]: deleted: archc build wrote it, it is gone",
        "out/docs/services/db.md:1:1: error[verify]: service 'db' has no docs page",
    ]


def test_not_an_archc_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    assert _verify(capsys) == (
        1,
        ["out/archc-manifest.json:1:1: error[verify]: missing: this directory was not written by archc build, or its manifest was deleted"],
    )


def test_manifest_is_deterministic_and_complete() -> None:
    model = ROOT / "examples" / "travel-booking.yaml"
    result = pipeline.build(model, "examples/travel-booking.yaml", env="prod")
    manifest = json.loads(result.files[MANIFEST])
    assert result.files[MANIFEST] == pipeline.build(model, "examples/travel-booking.yaml", env="prod").files[MANIFEST]
    assert set(manifest["services"]) == set(result.arch.services)
    assert set(manifest["connections"]) == {e.id for e in result.arch.edges}
    assert set(manifest["files"]) == set(result.files) - {MANIFEST}
    owned = {a for s in manifest["services"].values() for a in s["terraform"]}
    owned |= {a for group in manifest["other_owners"].values() for a in group}
    assert owned == set(result.owners)
