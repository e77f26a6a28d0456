"""Every command that loads a model prints its warnings, the same lines (``archc docs``
printed none: a version AWS deprecates soon went unsaid there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.cli import main

MODEL = """name: shop
region: eu-west-3
layers:
  - name: app
    services:
      fn: {kind: lambda, runtime: python3.12}
  - name: later
"""
slow = pytest.mark.slow  # node, Graphviz or mkdocs


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "model.yaml"],
        pytest.param(["diagram", "model.yaml", "--out", "out"], marks=slow),
        pytest.param(["build", "model.yaml", "--out", "out"], marks=slow),
        pytest.param(["docs", "model.yaml", "--out", "out"], marks=slow),
    ],
    ids=lambda c: c[0],
)
def test_each_command_prints_the_warnings(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARCHC_TODAY", "2028-09-15")  # python3.12 is deprecated on 2028-10-31 (modules/supported.py)
    (tmp_path / "model.yaml").write_text(MODEL)
    assert main(command) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning[" in line]
    assert [w.split(": warning[")[0] for w in warnings] == ["model.yaml:6:35", "model.yaml:7:11"], warnings
