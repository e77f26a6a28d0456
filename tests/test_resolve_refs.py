"""The resolver reads each service's references to other services (RefTo settings) once,
then checks, draws and hands them to the kinds from that one reading (it walked every
service's fields four times)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from compiler import pipeline, resolve
from tests.conftest import ROOT


def test_each_service_s_references_are_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: Counter[str] = Counter()
    read = resolve._refs_in

    def counted(svc: Any, path: Any) -> Any:
        calls[path[-1]] += 1
        return read(svc, path)

    monkeypatch.setattr(resolve, "_refs_in", counted)
    arch = pipeline.load(ROOT / "examples" / "travel-booking.yaml", "travel-booking.yaml", "prod")
    assert calls and set(calls.values()) == {1}
    assert sorted(calls) == sorted(arch.services)
    assert arch.references  # the model names services in settings: the reading is used
