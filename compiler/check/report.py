"""``archc check``: the generated stacks, proven secure by checkov and archc's invariants.

Each stack goes through checkov (offline, pinned, :mod:`compiler.check.scan`); a
finding fails the check unless a decision of the owning service or the catalog
rationale explains it (:mod:`compiler.check.explain`). archc's own invariants (IAM
wildcards, open ingress, rules without a connection) are checked on the stack as data
(:mod:`compiler.check.invariants`). Findings are reported at the owning service's line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from compiler.check.explain import explain
from compiler.check.invariants import Invariants, check_invariants
from compiler.check.scan import Finding, Scan, scan_stack
from compiler.errors import Diagnostic, ErrorCode
from compiler.pipeline import BuildResult


@dataclass
class CheckReport:
    """Everything ``archc check`` found, with the figures of its summary."""

    scans: list[Scan] = field(default_factory=list)
    by_decision: int = 0
    by_catalog: int = 0
    unexplained: list[Diagnostic] = field(default_factory=list)
    invariants: Invariants = field(default_factory=Invariants)

    @property
    def failed(self) -> int:
        """Errors: unexplained findings plus broken invariants."""
        return len(self.unexplained)

    def summary(self, name: str) -> str:
        """One line of figures."""
        inv = self.invariants
        passed = sum(s.passed for s in self.scans)
        total_failed = sum(len(s.failed) for s in self.scans)
        skipped = self.by_decision + self.by_catalog
        return (
            f"{name}: checkov: {passed} passed, {total_failed - skipped} failed, "
            f"{skipped} skipped ({self.by_decision} by the model's decisions, {self.by_catalog} by catalog rationale); "
            f"IAM wildcards: {inv.iam_wildcards}; 0.0.0.0/0 ingress: {inv.open_ingress}; "
            f"security group rules: {inv.rules_from_connections} from connections, {inv.rules_from_needs} from documented needs, "
            f"{sum(v.rule == 'untraced-rule' for v in inv.violations)} without a connection"
        )


def run_check(result: BuildResult, terraform_dir: Path) -> CheckReport:
    """Scan every stack under ``terraform_dir/stacks`` and check the invariants."""
    report = CheckReport()
    for stack_dir in sorted(p for p in (terraform_dir / "stacks").iterdir() if p.is_dir()):
        scan = scan_stack(stack_dir)
        report.scans.append(scan)
        for finding in scan.failed:
            _classify(result, finding, report)
    report.invariants = check_invariants(result.arch, result.stack)
    for v in report.invariants.violations:
        report.unexplained.append(_located(result, "security", v.owner, f"{v.owner}: {v.message} ({v.address})"))
    return report


def _classify(result: BuildResult, finding: Finding, report: CheckReport) -> None:
    resource = result.stack.resources.get(finding.address)
    why = explain(finding.check_id, resource, result.arch, result.stack)
    if why is None:
        owner = result.owners.get(finding.address, "")
        where = f" ({finding.address})" if finding.address else ""
        who = f"{owner}: " if owner else ""
        report.unexplained.append(_located(result, "checkov", owner, f"{who}{finding.check_id} {finding.title}{where}"))
    elif why[0] == "decision":
        report.by_decision += 1
    else:
        report.by_catalog += 1


def _located(result: BuildResult, code: ErrorCode, owner: str, message: str) -> Diagnostic:
    node = result.arch.services.get(owner)
    line, col = node.pos if node else (1, 1)
    return Diagnostic(code, message, result.arch.source_file, line, col)
