"""``archc check``: every example passes checkov and archc's invariants; an insecure model fails.

These run the real checkov (pinned, offline) as the command does; about 5 s per model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.check.invariants import check_invariants
from compiler.cli import main
from compiler.terraform.context import Resource
from tests.conftest import ROOT, model_cases

pytestmark = pytest.mark.slow  # checkov on every example (make check-fast leaves it out)

FIXTURES = Path(__file__).parent / "fixtures" / "check"


@pytest.mark.parametrize(("model", "env"), model_cases())
def test_examples_pass_check(
    model: Path, env: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    status = main(["check", str(model.relative_to(ROOT)), "--out", str(tmp_path / "out"), *(["--env", env] if env else [])])
    out = capsys.readouterr()
    assert out.err == ""
    assert status == 0, out.out
    assert ", 0 failed, " in out.out
    assert "IAM wildcards: 0;" in out.out
    assert ", 0 without a connection" in out.out


def test_insecure_model_fails_at_the_service_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES)
    status = main(["check", "insecure.yaml", "--out", str(tmp_path / "out")])
    out = capsys.readouterr()
    assert status == 1
    assert (
        out.err == "insecure.yaml:13:7: error[checkov]: k8s: CKV_AWS_39 Ensure Amazon EKS public endpoint disabled (aws_eks_cluster.k8s)\n"
    )
    # The cluster without deletion protection is explained by the model's reason.
    assert "1 failed, " in out.out and "(1 by the model's decisions, " in out.out


def test_checkov_by_hand_honours_the_written_baseline(tmp_path: Path) -> None:
    """Users who run checkov themselves in terraform/ get archc check's result: skips with reasons."""
    result = pipeline.build(ROOT / "examples" / "intrusion-detection.yaml", "examples/intrusion-detection.yaml")
    for rel, content in result.files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(content)
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE", "HOME": str(tmp_path)}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    cmd = [sys.executable, "-m", "checkov.main", "--quiet", "--compact"]
    proc = subprocess.run(cmd, cwd=tmp_path / "terraform", env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "Failed checks: 0" in proc.stdout
    assert "Skipped checks: 18" in proc.stdout  # 3 more since the ALB routes to manager-web-ui and cameras-api
    baseline = (tmp_path / "terraform" / "checkov-baseline.json").read_text()
    assert "Seed 004 serves plain HTTP on port 80" in baseline


def test_invariants_catch_wildcards_open_ingress_and_untraced_rules() -> None:
    result = pipeline.build(ROOT / "examples" / "udagram.yaml", "examples/udagram.yaml")
    stack = result.stack
    stack.resources["data.aws_iam_policy_document.bad"] = Resource(
        "aws_iam_policy_document", "bad", {"statement": [{"actions": ["*"], "resources": ["*"]}]}, "api", data=True
    )
    rule = {"security_group_id": "${aws_security_group.db.id}", "cidr_ipv4": "0.0.0.0/0", "from_port": 5432, "to_port": 5432}
    stack.resources["aws_vpc_security_group_ingress_rule.open"] = Resource("aws_vpc_security_group_ingress_rule", "open", rule, "db")
    inv = check_invariants(result.arch, stack)
    assert inv.iam_wildcards == 2
    assert inv.open_ingress == 1
    assert [(v.rule, v.address, v.message) for v in inv.violations] == [
        ("iam-wildcard", "data.aws_iam_policy_document.bad", "grants Action '*'"),
        ("iam-wildcard", "data.aws_iam_policy_document.bad", "grants * on Resource '*'"),
        ("untraced-rule", "aws_vpc_security_group_ingress_rule.open", "a security group rule that no connection asks for"),
        ("open-ingress", "aws_vpc_security_group_ingress_rule.open", "open to 0.0.0.0/0 on port 5432, not an internet entry point"),
    ]


def test_check_without_out_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The build it scans goes to a scratch directory it removes (it wrote generated/<name>/ before)."""
    (tmp_path / "model.yaml").write_text((FIXTURES / "insecure.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    scratch = Path(tempfile.gettempdir())
    before = set(scratch.glob("archc-check-*"))
    assert main(["check", "model.yaml"]) == 1
    assert "model.yaml:13:7: error[checkov]" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["model.yaml"]
    assert set(scratch.glob("archc-check-*")) <= before
