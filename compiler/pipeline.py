"""The front door: model file -> resolved Architecture -> generated files.

Each stage hands the next one plain data:
``bytes -> Document -> ArchitectureSpec -> Architecture -> {path: bytes}``.
"""

from __future__ import annotations

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


def compile_terraform(arch: Architecture, model_path: str) -> dict[str, bytes]:
    """The Terraform outputs of an architecture, checked against the provider schema."""
    stack = emit(arch)
    problems = check_stack(stack)
    if problems:
        raise ArchcError(problems)
    return synthesize(stack, model_path)


def build(path: Path, display_name: str | None = None) -> tuple[Architecture, dict[str, bytes]]:
    """Everything ``archc build`` writes, as ``{relative path: bytes}``."""
    arch = load(path, display_name)
    return arch, compile_terraform(arch, display_name or path.as_posix())
