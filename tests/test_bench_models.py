"""The benchmark's synthetic models stay valid models (else `make bench` measures errors)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from compiler import pipeline
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from synthetic import model


@pytest.mark.parametrize("size", [10, 100, 1000])
def test_synthetic_model_is_valid(tmp_path: Path, size: int) -> None:
    path = tmp_path / f"synthetic-{size}.yaml"
    path.write_text(model(size))
    arch = pipeline.load(path)
    assert len(arch.services) > size * 0.85


def test_synthetic_model_in_ten_stacks_splits_without_a_cycle(tmp_path: Path) -> None:
    from compiler.terraform.stacks import split

    path = tmp_path / "synthetic-100-10-stacks.yaml"
    path.write_text(model(100, stacks=10))
    parts = split(pipeline.check(path))
    assert [p.name for p in parts] == ["shared", *(f"s{g}" for g in range(10))]
    assert all(p.reads == {"shared"} for p in parts[1:])  # the cells are independent: ten stacks in parallel
