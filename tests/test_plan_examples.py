"""`archc plan`: every example and the default model plan clean under real Terraform
core (offline, stand-in AWS provider); diagnostics point at the owning service."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.cli import main
from compiler.pipeline import build
from compiler.plan import TfDiagnostic
from compiler.plan_report import locate
from tests.conftest import model_cases


@pytest.mark.parametrize(("model", "env"), model_cases())
def test_example_plans_clean(model: Path, env: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["plan", str(model), "--out", str(tmp_path / "out"), *(["--env", env] if env else [])])
    out = capsys.readouterr()
    assert status == 0, out.err
    assert "plan ok:" in out.out
    assert "error[" not in out.err


def test_diagnostic_points_at_owning_service(tmp_path: Path) -> None:
    model = tmp_path / "m.yaml"
    model.write_text("name: m\nregion: eu-west-3\nlayers:\n  - name: data\n    services:\n      files: {kind: s3}\n")
    result = build(model, "m.yaml")
    diag = TfDiagnostic("error", "Unsupported argument", 'An argument named "x" is not expected here.', "aws_s3_bucket.files", "x", 10)
    assert locate(result, diag).format() == (
        'm.yaml:6:7: error[terraform]: files: aws_s3_bucket.files.x: Unsupported argument (An argument named "x" is not expected here.)'
    )
