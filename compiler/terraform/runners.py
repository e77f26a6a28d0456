"""The configuration Terraform runners read, for a build with ``stacks:`` or environments.

- ``atlantis.yaml`` (Atlantis repo-level config, version 3): one project per stack,
  ``dir`` relative to the output directory, ``depends_on`` the projects of the stacks
  it reads, ``execution_order_group`` its depth in the dependency order (producers in
  group 0), ``when_modified`` its own files and the model file. Atlantis reads the
  file at the repository's root: build there, or prefix each ``dir`` with the output
  directory. A build of every environment also writes ``DIR/atlantis.yaml`` with the
  projects of all of them (``archc build`` without ``--env``, cli.py).
- Terramate: ``stack.tm.hcl`` in each stack's directory, ``after`` the stacks it
  reads (paths relative to it), ``watch`` the model file.

Both follow the order of :mod:`compiler.terraform.stacks`, as cdktn's ``manifest.json``
records it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml

from compiler.ir import Architecture
from compiler.terraform.stacks import StackPart

ATLANTIS = "atlantis.yaml"
TERRAMATE = "stack.tm.hcl"
_MAX_ID = 64  # Terramate: at most 64 bytes, alphanumeric, dashes and underscores


def project_name(arch: Architecture, stack: str) -> str:
    """The Atlantis project (and Terramate id) of a stack: ``<architecture>-<stack>``."""
    name = arch.name if stack == arch.name else f"{arch.name}-{stack}"  # one stack: named after the architecture
    return name if len(name) <= _MAX_ID else f"{name[: _MAX_ID - 9]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def depths(parts: list[StackPart]) -> dict[str, int]:
    """Each stack's execution order group: 0 if it reads no stack, else one more than the deepest it reads."""
    depth: dict[str, int] = {}
    for part in parts:  # producers first
        depth[part.name] = 1 + max((depth[r] for r in part.reads), default=-1)
    return depth


def atlantis_projects(arch: Architecture, parts: list[StackPart], model: str, prefix: str = "") -> list[dict[str, Any]]:
    """The Atlantis projects of a build's stacks; ``prefix`` is the build's directory under the file's."""
    depth = depths(parts)
    projects = []
    for part in parts:
        project: dict[str, Any] = {
            "name": project_name(arch, part.name),
            "dir": f"{prefix}terraform/stacks/{part.name}",
            "workspace": "default",
            "execution_order_group": depth[part.name],
            "autoplan": {"enabled": True, "when_modified": ["*.tf.json", f"../../../{model}"]},
        }
        if part.reads:
            project["depends_on"] = [project_name(arch, r) for r in sorted(part.reads)]
        projects.append(project)
    return projects


def atlantis_yaml(projects: list[dict[str, Any]]) -> bytes:
    """An atlantis.yaml holding ``projects``; plans and applies in parallel within an order group."""
    doc = {"version": 3, "parallel_plan": True, "parallel_apply": True, "projects": projects}
    head = "# Written by archc build (compiler/terraform/runners.py): Atlantis reads it at the repository's root.\n"
    return (head + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)).encode()


def terramate_stack(arch: Architecture, part: StackPart, model: str) -> bytes:
    """A Terramate stack block for one stack."""
    layers = next((g.layers for g in arch.stacks if g.name == part.name), ())
    what = f"layers {', '.join(layers)}" if layers else "what the whole architecture shares" if arch.stacks else "every layer"
    lines = [
        "# Written by archc build (compiler/terraform/runners.py).",
        "stack {",
        f"  name        = {json.dumps(part.name)}",
        f"  description = {json.dumps(f'archc: {arch.name}, {what}')}",
        f"  id          = {json.dumps(project_name(arch, part.name))}",
        f"  after       = {json.dumps([f'../{r}' for r in sorted(part.reads)])}",
        f"  watch       = {json.dumps([f'../../../{model}'])}",
        "}",
    ]
    return ("\n".join(lines) + "\n").encode()


def runner_files(arch: Architecture, parts: list[StackPart], model: str) -> dict[str, bytes]:
    """``atlantis.yaml`` and each stack's ``stack.tm.hcl``, by path in the output directory."""
    files = {ATLANTIS: atlantis_yaml(atlantis_projects(arch, parts, model))}
    for part in parts:
        files[f"terraform/stacks/{part.name}/{TERRAMATE}"] = terramate_stack(arch, part, model)
    return files
