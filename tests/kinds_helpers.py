"""Helpers for the kind tests: compile a small one-layer model, or get its first error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler import pipeline
from compiler.errors import ArchcError


def _write(tmp_path: Path, services: dict[str, str], connections: tuple[str, ...], network: str) -> Path:
    """A one-layer model; each service is a YAML flow mapping body (line 7 onwards)."""
    lines = ["name: t", "region: eu-west-3", f"network: {{{network}}}", "layers:", "  - name: app", "    services:"]
    lines += [f"      {sid}: {{{body}}}" for sid, body in services.items()]
    if connections:
        lines += ["connections:", *(f"  - {c}" for c in connections)]
    path = tmp_path / "model.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def build(tmp_path: Path, services: dict[str, str], *connections: str, azs: int = 2, network: str = "") -> dict[str, Any]:
    """Compile a model and return its stack's resources by type, without cdktn metadata.

    ``network`` is the body of the network mapping (default: ``azs: <azs>``).
    """
    arch = pipeline.load(_write(tmp_path, services, connections, network or f"azs: {azs}"), "model.yaml")
    files = pipeline.compile_terraform(arch, "model.yaml")
    stack = json.loads(files["terraform/stacks/t/cdk.tf.json"])
    for section in ("resource", "data"):
        for bodies in stack.get(section, {}).values():
            for body in bodies.values():
                body.pop("//", None)
    return stack


def error(tmp_path: Path, services: dict[str, str], *connections: str, azs: int = 2, network: str = "") -> str:
    """The first diagnostic of a model that must not compile."""
    with pytest.raises(ArchcError) as exc:
        arch = pipeline.load(_write(tmp_path, services, connections, network or f"azs: {azs}"), "model.yaml")
        pipeline.compile_terraform(arch, "model.yaml")
    return exc.value.diagnostics[0].format()


def assert_plans(tmp_path: Path, services: dict[str, str], *connections: str, azs: int = 2, network: str = "") -> None:
    """Terraform core plans the model's stacks with no error."""
    from compiler.plan.engine import plan_stacks

    arch = pipeline.load(_write(tmp_path, services, connections, network or f"azs: {azs}"), "model.yaml")
    out = tmp_path / "out"
    for rel, content in pipeline.compile_terraform(arch, "model.yaml").items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(content)
    plans = plan_stacks(out / "terraform")
    assert plans, "no stack planned"
    assert all(p.ok for p in plans), [d for p in plans for d in p.diagnostics]


# -- whole-model bodies: a test writes the layers and connections, HEAD the rest --

HEAD = "name: t\nregion: eu-west-3\nnetwork: {azs: 2}\n"


def compile_body(tmp_path: Path, body: str) -> str:
    """Compile a model (HEAD + body); the stack's Terraform JSON text."""
    path = tmp_path / "model.yaml"
    path.write_text(HEAD + body)
    files = pipeline.compile_terraform(pipeline.load(path, "model.yaml"), "model.yaml")
    return files["terraform/stacks/t/cdk.tf.json"].decode()


def body_error(tmp_path: Path, body: str) -> str:
    """The first diagnostic of a model (HEAD + body) that must fail."""
    path = tmp_path / "model.yaml"
    path.write_text(HEAD + body)
    with pytest.raises(ArchcError) as exc:
        pipeline.compile_terraform(pipeline.load(path, "model.yaml"), "model.yaml")
    return exc.value.diagnostics[0].format()


def body_plan_errors(tmp_path: Path, body: str) -> list[str]:
    """Terraform core's errors on a compiled model (HEAD + body): validate + offline plan."""
    from compiler.plan import plan_stacks

    path = tmp_path / "model.yaml"
    path.write_text(HEAD + body)
    files = pipeline.compile_terraform(pipeline.load(path, "model.yaml"), "model.yaml")
    for rel, content in files.items():
        (tmp_path / "out" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "out" / rel).write_bytes(content)
    plans = plan_stacks(tmp_path / "out" / "terraform")
    return [f"{d.address}: {d.summary}" for p in plans for d in p.diagnostics if d.severity == "error"] + [
        p.stack for p in plans if not p.ok
    ]
