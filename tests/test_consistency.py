"""Checks across connections (compiler/consistency.py) ask the kinds, never name them."""

from __future__ import annotations

import dataclasses

import pytest

from compiler.consistency import check_event_loops
from compiler.ir import Edge
from modules import catalog
from modules.base import Service

LOOP = (
    Edge("jobs->worker", "jobs", "worker", "consumer", None, None, None, None, "jobs", None, (9, 5)),
    Edge("worker->jobs", "worker", "jobs", "api", None, None, "send", None, "results", None, (10, 5)),
)


def _kinds() -> dict[str, Service]:
    kinds = catalog()
    return {"jobs": kinds["sqs"].model_validate({"kind": "sqs"}), "worker": kinds["lambda"].model_validate({"kind": "lambda"})}


def test_event_loop_follows_the_access_levels_the_target_kind_says_deliver() -> None:
    assert [d.line for d in check_event_loops(LOOP, _kinds(), "m.yaml")] == [9]


def test_event_loop_check_names_no_access_level(monkeypatch: pytest.MonkeyPatch) -> None:
    """A queue kind that said "send" delivers nothing would make the same connections no loop:
    the check reads KindInfo.delivers, not the word "send"."""
    sqs = catalog()["sqs"]
    monkeypatch.setattr(sqs, "info", dataclasses.replace(sqs.info, delivers=()))
    assert check_event_loops(LOOP, _kinds(), "m.yaml") == []


def test_delivering_access_levels_are_access_levels() -> None:
    for kind, cls in catalog().items():
        assert set(cls.info.delivers) <= set(cls.info.access), kind
