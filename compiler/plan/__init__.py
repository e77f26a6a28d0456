"""The engine of `archc plan`: Terraform core + a stand-in AWS provider, offline, or
the real hashicorp/aws provider (`provider="real"`).

    plan_stacks(Path("out/terraform")) -> list[StackPlan]

See engine.py for the flow, standin_provider.py for what the stand-in checks,
real_provider.py for how the real provider is found.

The names below are loaded on first use: the stand-in provider and the Terraform
worker run as ``python -m compiler.plan.<module>``, which imports this package
first, and neither needs the engine (~30 ms of imports each).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compiler.plan.engine import PlanSession, plan_stacks
    from compiler.plan.model import PlanEngineUnavailable, StackPlan, TfDiagnostic

__all__ = ["PlanEngineUnavailable", "PlanSession", "StackPlan", "TfDiagnostic", "plan_stacks"]
_HOME = {"PlanSession": "engine", "plan_stacks": "engine", "PlanEngineUnavailable": "model", "StackPlan": "model", "TfDiagnostic": "model"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"compiler.plan.{_HOME[name]}"), name)
