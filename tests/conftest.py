"""Shared test helpers: golden files with an update switch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
# The version check (modules/supported.py) judges models on "today": the suite fixes the
# day, so its expected errors and warnings do not change with the calendar.
TODAY = "2026-12-05"
os.environ["ARCHC_TODAY"] = os.environ.get("ARCHC_TODAY") or TODAY


def check_golden(path: Path, actual: bytes) -> None:
    """Compare with a golden file; with UPDATE_GOLDEN=1, (re)write it instead."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
        return
    if not path.exists():
        pytest.fail(f"golden file {path.relative_to(ROOT)} is missing; run with UPDATE_GOLDEN=1 and review it")
    expected = path.read_bytes()
    message = f"{path.relative_to(ROOT)} differs (UPDATE_GOLDEN=1 rewrites it)"
    try:
        assert actual.decode() == expected.decode(), message  # text: pytest shows a diff
    except UnicodeDecodeError:
        assert actual == expected, message


# The models every example-wide test runs on: the examples and the default model.
MODELS = [*sorted((ROOT / "examples").glob("*.yaml")), ROOT / "architecture.yaml"]


def model_cases(models: list[Path] | None = None) -> list[Any]:
    """One case per deployment: each environment of a model with ``environments:``
    (``travel-booking-dev``), else the model itself; params (path, env), ids by name."""
    from compiler import pipeline

    cases = []
    for path in models or MODELS:
        name, envs = pipeline.environment_names(path)
        stem = path.stem if path.parent.name == "examples" else name
        cases += [pytest.param(path, env, id=f"{stem}-{env}") for env in envs] or [pytest.param(path, None, id=stem)]
    return cases
