"""``archc ci``: what a pull request's check runs, one model after another.

For each model: build it as ``archc build`` would (same bytes) but into memory, compare
the files with the committed outputs (``generated/<name>/`` or ``--outputs``), then,
unless told not to, run ``archc plan``'s offline Terraform and ``archc check``'s
checkov on a scratch copy. Nothing in the repository is written. The result is one
Markdown summary (services, connections, resources, stale files, plan, findings) for
a pull-request comment or ``$GITHUB_STEP_SUMMARY``; the exit code says whether all
passed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from compiler.errors import ArchcError, Diagnostic
from compiler.outputs import MARKER, write_tree

if TYPE_CHECKING:
    from compiler.pipeline import BuildResult

MAX_LISTED = 10  # files named per category in the summary; the rest are counted


@dataclass
class Staleness:
    """How the committed outputs differ from a fresh build."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # built but not committed
    extra: list[str] = field(default_factory=list)  # committed but no longer built

    @property
    def stale(self) -> bool:
        """Whether anything differs."""
        return bool(self.changed or self.missing or self.extra)


@dataclass
class ModelReport:
    """One model's CI result."""

    model: str  # as shown: the file, and its environment ("examples/m.yaml --env prod")
    outputs: str
    rebuild: str = ""  # what `archc build` takes to rebuild the outputs (every environment at once)
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    monthly: str = ""  # the cost estimate's line, "USD 331.08 a month (316.88 fixed, 14.20 usage)"
    staleness: Staleness = field(default_factory=Staleness)
    plan_lines: list[str] = field(default_factory=list)
    plan_errors: int = 0
    check_summary: str = ""
    findings: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Everything passed."""
        return not (self.errors or self.staleness.stale or self.plan_errors or self.findings)


def compare(built: dict[str, bytes], committed: Path) -> Staleness:
    """The files that differ between a build and a directory (archc's marker aside)."""
    on_disk = {p.relative_to(committed).as_posix() for p in committed.rglob("*") if p.is_file()} if committed.is_dir() else set()
    on_disk.discard(MARKER)
    found = Staleness()
    for rel in sorted(set(built) | on_disk):
        if rel not in on_disk:
            found.missing.append(rel)
        elif rel not in built:
            found.extra.append(rel)
        elif (committed / rel).read_bytes() != built[rel]:
            found.changed.append(rel)
    return found


def run_model(
    path: Path, shown: str, outputs: Path | None, *, plan: bool, check: bool, display: Callable[[Path], str]
) -> list[ModelReport]:
    """Build, compare, plan and check one model: one report, or one per environment of a
    model with environments (all built as ``archc build`` builds them, compared together)."""
    from compiler import pipeline

    try:
        name, envs = pipeline.environment_names(path, shown)
        if not envs:
            result = pipeline.build(path, shown, None, lambda name: outputs or pipeline.default_out(name))
            committed = outputs or pipeline.default_out(result.arch.name)
            return [_report(result, shown, shown, display(committed), compare(result.files, committed), plan=plan, check=check)]
        committed = outputs or pipeline.default_out(name)
        built = pipeline.build_environments(path, shown, committed, envs)
    except ArchcError as exc:
        return [ModelReport(shown, "", errors=list(exc.diagnostics))]
    stale = compare(built.files, committed)
    reports = []
    for i, (env, result) in enumerate(built.results.items()):
        # Each environment's differences in its report; those of the files beside them (atlantis.yaml) in the first.
        mine = _under(stale, f"{env}/", "../" if i == 0 else None, envs)
        reports.append(_report(result, f"{shown} --env {env}", shown, display(committed / env), mine, plan=plan, check=check))
    return reports


def _under(found: Staleness, prefix: str, beside: str | None, envs: list[str]) -> Staleness:
    """The differences under ``prefix``, relative to it; with ``beside``, also those of no
    environment's directory, named from it (``../atlantis.yaml``)."""

    def pick(files: list[str]) -> list[str]:
        mine = [f.removeprefix(prefix) for f in files if f.startswith(prefix)]
        if beside is not None:
            mine += [beside + f for f in files if f.split("/", 1)[0] not in envs]
        return mine

    return Staleness(pick(found.changed), pick(found.missing), pick(found.extra))


def _report(result: BuildResult, model: str, rebuild: str, outputs: str, staleness: Staleness, *, plan: bool, check: bool) -> ModelReport:
    """One build's counts and cost, then its plan and check on a scratch copy."""
    arch = result.arch
    report = ModelReport(model, outputs, rebuild=rebuild)
    report.warnings = list(arch.warnings)
    data = sum(1 for r in result.stack.resources.values() if r.data)
    report.counts = {
        "services": len(arch.services),
        "connections": len(arch.edges),
        "resources": len(result.stack.resources) - data,
        "data sources": data,
    }
    report.staleness = staleness
    from compiler.cost.estimate import estimate
    from compiler.cost.report import usd

    cost = estimate(arch, result.stack)
    report.monthly = f"USD {usd(cost.total())} a month ({usd(cost.total(fixed=True))} fixed, {usd(cost.total(fixed=False))} usage)"
    if not (plan or check):
        return report
    with tempfile.TemporaryDirectory(prefix="archc-ci-") as scratch:
        out = Path(scratch) / arch.name
        write_tree(out, result.files)
        if plan:
            _plan(result, out, report)
        if check:
            from compiler.check.report import run_check

            found = run_check(result, out / "terraform")
            report.check_summary = found.summary(model)
            report.findings = sorted(found.unexplained, key=lambda d: (d.line, d.col, d.message))
    return report


def _plan(result: BuildResult, out: Path, report: ModelReport) -> None:
    from compiler.plan import plan_stacks
    from compiler.plan_report import report as plan_report

    lines, errors = plan_report(result, plan_stacks(out / "terraform"))
    report.plan_lines, report.plan_errors = lines, errors


def markdown(reports: list[ModelReport]) -> str:
    """The summary for a pull request."""
    passed = sum(r.ok for r in reports)
    lines = [f"## archc: {passed} of {len(reports)} model{'s' if len(reports) != 1 else ''} passed", ""]
    for r in reports:
        lines += [f"### {'✅' if r.ok else '❌'} `{r.model}`", ""]
        if r.errors:
            lines += ["The model has errors:", "", "```", *(d.format() for d in r.errors), "```", ""]
            continue
        counts = ", ".join(f"{n} {what}" for what, n in r.counts.items())
        lines += [f"{counts}.", "", f"Monthly cost (estimate, list prices): {r.monthly}.", ""]
        lines += _staleness_lines(r)
        if r.plan_lines:
            verdict = "passed" if not r.plan_errors else f"failed with {r.plan_errors} error{'s' if r.plan_errors != 1 else ''}"
            lines += [f"**Plan** {verdict}:", "", "```", *r.plan_lines, "```", ""]
        if r.check_summary:
            lines += [f"**Check**: {r.check_summary}", ""]
            if r.findings:
                lines += ["```", *(d.format() for d in r.findings), "```", ""]
        if r.warnings:
            lines += ["Warnings:", "", "```", *(d.format() for d in r.warnings), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def _staleness_lines(r: ModelReport) -> list[str]:
    s = r.staleness
    if not s.stale:
        return [f"Committed outputs in `{r.outputs}/` match the model.", ""]
    lines = [f"**Committed outputs in `{r.outputs}/` are stale**: rebuild with `archc build {r.rebuild or r.model}` and commit.", ""]
    for title, files in (("changed", s.changed), ("not committed", s.missing), ("no longer built", s.extra)):
        if files:
            shown = ", ".join(f"`{f}`" for f in files[:MAX_LISTED])
            more = f" and {len(files) - MAX_LISTED} more" if len(files) > MAX_LISTED else ""
            lines.append(f"- {len(files)} {title}: {shown}{more}")
    return [*lines, ""]
