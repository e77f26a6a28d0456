"""Turns Terraform's plan results into archc output lines, located in the model file.

A diagnostic on resource ``aws_db_instance.db`` is reported at the line of service
``db`` in the YAML (the service that owns the resource), so the user fixes the model,
not the generated JSON.
"""

from __future__ import annotations

from compiler.errors import Diagnostic
from compiler.pipeline import BuildResult
from compiler.plan import StackPlan, TfDiagnostic


def report(result: BuildResult, plans: list[StackPlan], notes: list[str] | None = None) -> tuple[list[str], int]:
    """Output lines (the session's notes, summaries and located diagnostics) and the
    number of errors. A stack whose plan did not run (validate only) says "validate ok"."""
    lines: list[str] = list(notes or [])
    errors = 0
    if result.arch.stacks:  # in dependency order, producers first (compiler/terraform/stacks.py)
        from compiler.terraform.stacks import split

        order = [p.name for p in split(result.stack)]
        plans = sorted(plans, key=lambda p: order.index(p.stack) if p.stack in order else len(order))
    for plan in plans:
        for diag in plan.diagnostics:
            lines.append(locate(result, diag).format())
            errors += diag.severity == "error"
        if plan.ok and "plan" in plan.commands:
            counts = f"{plan.to_add} to add, {plan.to_change} to change, {plan.to_destroy} to destroy"
            lines.append(f"{plan.stack}: plan ok: {counts} ({plan.seconds:.1f} s)")
        elif plan.ok:
            lines.append(f"{plan.stack}: validate ok ({plan.seconds:.1f} s)")
        if plan.mocked:
            producers = sorted({m.split(".")[0] for m in plan.mocked})
            names = ", ".join(plan.mocked)
            what = f"{len(plan.mocked)} values of {', '.join(producers)} mocked"
            lines.append(f"{plan.stack}: {what} (no state yet, typed from their outputs): {names}")
    return lines, errors


def locate(result: BuildResult, diag: TfDiagnostic) -> Diagnostic:
    """A Terraform diagnostic as an archc diagnostic at the owning service's line."""
    arch = result.arch
    owner = result.owners.get(diag.address or "", "")
    node = arch.services.get(owner)
    line, col = node.pos if node else (1, 1)
    who = f"{owner}: " if owner else ""
    where = f"{diag.address}" + (f".{diag.attribute}" if diag.attribute else "") + ": " if diag.address else ""
    detail = f" ({diag.detail.splitlines()[0]})" if diag.detail else ""
    severity = "error" if diag.severity == "error" else "warning"
    return Diagnostic("terraform", f"{who}{where}{diag.summary}{detail}", arch.source_file, line, col, severity)
