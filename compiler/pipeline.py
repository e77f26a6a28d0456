"""The front door: model file -> resolved Architecture -> generated files.

Each stage hands the next one plain data:
``bytes -> Document -> ArchitectureSpec -> Architecture -> {path: bytes}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compiler.errors import ArchcError
from compiler.ir import Architecture
from compiler.loader import load_file
from compiler.resolve import resolve
from compiler.terraform.emit import emit
from compiler.terraform.schema_check import check_stack
from compiler.terraform.synth import synthesize
from compiler.validate import validate


def load(path: Path, display_name: str | None = None) -> Architecture:
    """Read, validate and resolve a model file; raise ArchcError with every problem."""
    doc = load_file(path, display_name)
    spec = validate(doc)
    return resolve(spec, doc)


@dataclass(frozen=True)
class BuildResult:
    """Everything a build produced: the IR, the files, and who owns each resource."""

    arch: Architecture
    files: dict[str, bytes]  # relative path -> content
    owners: dict[str, str]  # Terraform address ("aws_vpc.main") -> service id or "network"


def compile_terraform(arch: Architecture, model_path: str) -> dict[str, bytes]:
    """The Terraform outputs of an architecture, checked against the provider schema."""
    return _terraform(arch, model_path)[0]


def _terraform(arch: Architecture, model_path: str) -> tuple[dict[str, bytes], dict[str, str]]:
    stack = emit(arch)
    problems = check_stack(stack)
    if problems:
        raise ArchcError(problems)
    owners = {(f"data.{r.type}.{r.name}" if r.data else f"{r.type}.{r.name}"): r.owner for r in stack.resources.values()}
    return synthesize(stack, model_path), owners


def build(path: Path, display_name: str | None = None) -> BuildResult:
    """Everything ``archc build`` writes, as ``{relative path: bytes}``, plus ownership."""
    arch = load(path, display_name)
    files, owners = _terraform(arch, display_name or path.as_posix())
    return BuildResult(arch, files, owners)
