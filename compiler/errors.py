"""Diagnostics: the one error family of archc.

Every user mistake becomes a :class:`Diagnostic` with a code from the closed set
:data:`ErrorCode` (as pydantic's ``PydanticErrorCodes``), a file, a 1-based line and column, and a message. Stages collect all the
diagnostics they can find and raise :class:`ArchcError` once, so a user sees every
problem of a file in one run, never a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

ErrorCode = Literal[
    "file",
    "encoding",
    "syntax",
    "yaml-feature",
    "duplicate-key",
    "structure",
    "unknown-key",
    "missing",
    "type",
    "value",
    "unknown-kind",
    "name",
    "duplicate-service",
    "unknown-service",
    "connection",
    "network",
    "conflict",
    "version",
    "cost",
    "schema",
    "override",
    "terraform",
    "checkov",
    "security",
    "verify",
    "internal",
]
"""The closed set of error codes: mypy refuses any other, docs/errors.md has an entry
for each (tests/test_error_reference.py)."""

# Each code's one-line meaning, shown in the docs' error reference, in ErrorCode's order.
CODES: dict[ErrorCode, str] = {
    "file": "The model file cannot be read (missing, a directory, too large).",
    "encoding": "The file is not UTF-8 text.",
    "syntax": "The file is not well-formed YAML.",
    "yaml-feature": "A YAML feature archc refuses: tags, too deep nesting, alias bombs.",
    "duplicate-key": "A mapping names the same key twice.",
    "structure": "A value has the wrong shape: a list where a mapping belongs, etc.",
    "unknown-key": "A key that the model does not define (often a misspelling).",
    "missing": "A required field is absent.",
    "type": "A value of the wrong type.",
    "value": "A value of the right type that is not allowed (range, enum, format).",
    "unknown-kind": "A service kind that the catalog does not define.",
    "name": "A name that is not safe as a file name and Terraform identifier.",
    "duplicate-service": "Two services share a name.",
    "unknown-service": "A reference to a service that does not exist.",
    "connection": "A connection the catalog cannot honour, or that would compile into less than the call needs at run time.",
    "network": "A network layout that cannot work (CIDRs, availability zones).",
    "conflict": "Settings that contradict each other.",
    "version": "A version AWS has retired (error) or deprecates within 90 days (warning): runtime, platform branch, engine, release.",
    "cost": "A cost estimate warning: a price archc's table lacks, or a free-tier allowance the model exceeds.",
    "schema": "Generated Terraform that the AWS provider schema would reject.",
    "override": "An escape-hatch entry (a service's overrides: or resources:) that cannot apply, that the provider schema "
    "rejects, or that opens a secure default without a reason; as a warning, an override a setting can now replace.",
    "terraform": "A diagnostic reported by Terraform core on the generated stack.",
    "checkov": "A checkov finding on the generated Terraform that no decision of the model explains.",
    "security": "A broken archc security invariant: IAM wildcard, ingress open to the internet, a rule without a connection.",
    "verify": "Generated outputs that no longer match the build that wrote them (archc verify).",
    "internal": "A bug in archc itself; please report it.",
}
if list(CODES) != list(get_args(ErrorCode)):
    raise AssertionError("CODES must give the meaning of every ErrorCode, in its order")


@dataclass(frozen=True)
class Diagnostic:
    """One problem, located in the user's file."""

    code: ErrorCode
    message: str
    file: str
    line: int = 1
    col: int = 1
    severity: str = "error"

    def __post_init__(self) -> None:
        if self.code not in CODES:  # a code computed at run time, which mypy cannot see
            raise ValueError(f"undeclared diagnostic code {self.code!r}")

    def format(self) -> str:
        """Render as ``FILE:LINE:COL: error[CODE]: message``.

        >>> Diagnostic("missing", "field 'name' is required", "a.yaml", 3, 1).format()
        "a.yaml:3:1: error[missing]: field 'name' is required"
        """
        return f"{self.file}:{self.line}:{self.col}: {self.severity}[{self.code}]: {self.message}"


class ArchcError(Exception):
    """Raised by a stage with every diagnostic it collected (at least one)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.file, d.line, d.col, d.code))
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``word`` most likely meant, or None.

    >>> closest("cidr_blok", ["cidr_block", "tags"])
    'cidr_block'
    >>> closest("cidr_block", ["cidr", "azs"])
    'cidr'
    """
    options = sorted(candidates)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:  # a known name with a prefix or suffix added: 'cidr_block' for 'cidr'
        close = [c for c in options if min(len(c), len(word)) >= 3 and (word.startswith(c) or word.endswith(c) or c.startswith(word))][:1]
    return close[0] if close else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest candidate, or ``""``.

    >>> did_you_mean("cidr_blok", ["cidr_block", "tags"])
    "; did you mean 'cidr_block'?"
    """
    meant = closest(word, candidates)
    return f"; did you mean '{meant}'?" if meant else ""


class ToolMissing(Exception):
    """An external program archc runs (Graphviz ``dot``...) is not installed.

    The message is one line saying how to install it; the CLI prints it and exits 2.
    """
