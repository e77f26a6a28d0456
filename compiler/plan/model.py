"""Plain data handed out by the plan engine (no behaviour, nothing printed)."""

from __future__ import annotations

from dataclasses import dataclass


class PlanEngineUnavailable(Exception):
    """The engine cannot run here; the message is one line saying what to install."""


@dataclass(frozen=True)
class TfDiagnostic:
    """One diagnostic reported by Terraform, mapped back onto cdk.tf.json."""

    severity: str  # "error" | "warning"
    summary: str
    detail: str
    address: str | None  # e.g. "aws_vpc.main"
    attribute: str | None  # e.g. "cidr_block", "ingress[0].from_port"
    json_line: int | None  # 1-based line in cdk.tf.json


@dataclass(frozen=True)
class StackPlan:
    """Outcome of init + plan (or init + validate, or init + validate + plan) for one stack."""

    stack: str
    ok: bool
    to_add: int
    to_change: int
    to_destroy: int
    diagnostics: tuple[TfDiagnostic, ...]
    seconds: float
    commands: tuple[str, ...] = ()  # the Terraform commands that ran, e.g. ("init", "validate")
    mocked: tuple[str, ...] = ()  # "producer.output": another stack's outputs it read as mocks (stacks: only)
