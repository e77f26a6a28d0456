"""The front door: model file -> resolved Architecture -> generated files.

Each stage hands the next one plain data:
``bytes -> Document -> ArchitectureSpec -> Architecture -> {path: bytes}``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from compiler import environments
from compiler.errors import ArchcError, Diagnostic
from compiler.ir import Architecture
from compiler.loader import load_file
from compiler.names import model_reference
from compiler.resolve import resolve
from compiler.validate import validate

if TYPE_CHECKING:
    from compiler.terraform.context import StackBuilder


def load(path: Path, display_name: str | None = None, env: str | None = None) -> Architecture:
    """Read, validate and resolve a model file (environment ``env`` of it); raise
    ArchcError with every problem."""
    return resolve_environment(load_environment(path, display_name, env))


def load_environment(path: Path, display_name: str | None = None, env: str | None = None) -> environments.Environment:
    """The model of one environment (see compiler/environments.py), merged but not yet
    validated. A model with environments must be given one: its base is no deployment."""
    doc = load_file(path, display_name)
    envs = doc.data.get(environments.KEY) if isinstance(doc.data, dict) else None
    if envs is not None and not isinstance(envs, dict):
        message = "'environments' is a mapping of environment names to what each changes, e.g. {dev: {}, prod: {region: eu-central-1}}"
        raise ArchcError([doc.error("structure", message, (environments.KEY,))])
    if env is None and environments.names(doc):
        defined = ", ".join(environments.names(doc))
        message = f"the model defines environments ({defined}): choose one with --env"
        raise ArchcError([doc.error("structure", message, (environments.KEY,), key=True)])
    return environments.select(doc, env)


def resolve_environment(chosen: environments.Environment) -> Architecture:
    """Validate and resolve one environment's model; an environment's own checks too.
    A mistake at a line of an environment's overlay names the environment."""
    try:
        spec = validate(chosen.doc)
        if chosen.name is not None:
            try:
                base_spec = validate(chosen.base)
            except ArchcError:
                base_spec = None  # the environment fixes its base; nothing to compare
            problems = environments.reason_problems(base_spec, spec, chosen) if base_spec is not None else []
            if problems:
                raise ArchcError(problems)
        arch = resolve(spec, chosen.doc)
    except ArchcError as exc:
        raise environments.attributed(exc, chosen) from None
    if chosen.name is not None and chosen.source is not None:  # the docs show every environment side by side
        arch = dataclasses.replace(arch, environment=chosen.name, environments=environments.side_by_side(chosen.source))
    return arch


def environment_names(path: Path, display_name: str | None = None) -> tuple[str, list[str]]:
    """The model's name and its environments' (none: a model without environments)."""
    doc = load_file(path, display_name)
    name = doc.data.get("name") if isinstance(doc.data, dict) else None
    return (name if isinstance(name, str) else ""), environments.names(doc)


@dataclass(frozen=True)
class BuildResult:
    """Everything a build produced: the IR, the files, and who owns each resource."""

    arch: Architecture
    files: dict[str, bytes]  # relative path -> content
    stack: StackBuilder  # every resource as plain data, with its owner and connection

    @property
    def owners(self) -> dict[str, str]:
        """Terraform address ("aws_vpc.main") -> service id, or "network"/"architecture"."""
        return {r.address: r.owner for r in self.stack.resources.values()}

    @property
    def edge_resources(self) -> dict[str, list[str]]:
        """Connection id -> the Terraform addresses that implement it."""
        out: dict[str, list[str]] = {}
        for r in self.stack.resources.values():
            if r.edge:
                out.setdefault(r.edge, []).append(r.address)
        return out


def default_out(name: str) -> Path:
    """Where ``archc build`` writes an architecture unless told: ``generated/<name>``."""
    return Path("generated") / name


def check(path: Path, display_name: str | None = None, env: str | None = None) -> StackBuilder:
    """Every check that can refuse a model: load and resolve it, emit its Terraform as
    plain data and check that against the provider schema and each connection against
    what it needs to work (``realization.py``). Only synthesis, drawing and
    writing are left to ``build``, and they refuse no model, so what ``archc validate``
    accepts, ``archc build`` builds."""
    return _checked_stack(load(path, display_name, env))


def compile_terraform(arch: Architecture, model: str) -> dict[str, bytes]:
    """The Terraform outputs of an architecture, checked against the provider schema;
    ``model`` is how they name the model file (see :func:`compiler.names.model_reference`)."""
    return _synthesize(_checked_stack(arch), model)


def build_terraform(
    path: Path, display_name: str | None = None, out_dir: Callable[[str], Path] = default_out, env: str | None = None
) -> dict[str, bytes]:
    """The Terraform outputs of a model file (environment ``env`` of it), alone (what the benchmark's figure times)."""
    with _node_started():
        arch = load(path, display_name, env)
        return _synthesize(_checked_stack(arch), model_reference(path, out_dir(arch.name)))


def build(
    path: Path,
    display_name: str | None = None,
    on_terraform: Callable[[dict[str, bytes]], None] | None = None,
    out_dir: Callable[[str], Path] = default_out,
    env: str | None = None,
) -> BuildResult:
    """Everything ``archc build`` writes, as ``{relative path: bytes}``, plus ownership.

    ``display_name`` names the model in messages; ``out_dir(name)`` is the directory the
    files will be written to, which the outputs name the model relative to.
    ``on_terraform`` gets the Terraform files as soon as they exist, before the docs
    are written: ``archc plan`` starts Terraform on them meanwhile.
    """
    from compiler.terraform import runtime

    with _node_started():
        # The backends are imported here: `archc validate` needs none of them.
        from compiler.check.explain import baseline_files
        from compiler.diagrams import diagrams_in_background
        from compiler.docs import render_docs
        from compiler.manifest import MANIFEST, manifest_bytes

        arch = load(path, display_name, env)
        model = model_reference(path, out_dir(arch.name))
        stack = _checked_stack(arch)
        arch = stack.arch  # with the escape hatch's warnings
        runtime.require_node()  # before drawing: a missing node is the first thing to fix
        with diagrams_in_background(arch, stack) as diagrams:  # `dot` draws while cdktn synthesizes
            files = _synthesize(stack, model)
            if arch.stacks or env is not None:  # atlantis.yaml, Terramate stack files
                from compiler.terraform.runners import runner_files
                from compiler.terraform.stacks import split

                files.update(runner_files(arch, split(stack), model))
            if on_terraform is not None:
                on_terraform(dict(files))
            files.update(diagrams())
    files.update(render_docs(arch, stack, model, figures=frozenset(files)))  # after the diagrams: it links the figures drawn
    files.update(baseline_files(arch, stack))  # archc check's explanations, for checkov run by hand
    from compiler.cost.infracost import usage_file

    files["terraform/infracost-usage.yml"] = usage_file(arch, stack)  # archc cost's usage, for infracost
    result = BuildResult(arch, files, stack)
    result.files[MANIFEST] = manifest_bytes(result)  # keep last: it checksums every other file
    return result


@dataclass(frozen=True)
class EnvironmentsBuild:
    """Every environment of a model built into one directory: ``<env>/...`` each, and
    the ``atlantis.yaml`` over all of them."""

    results: dict[str, BuildResult]  # environment -> its build (files relative to <env>/)
    files: dict[str, bytes]  # relative to the model's directory: <env>/..., atlantis.yaml


def build_environments(path: Path, display_name: str | None, out: Path, envs: list[str]) -> EnvironmentsBuild:
    """``archc build`` of a model with environments: each into ``out/<env>/``, as
    ``archc build --env`` would write it, plus one ``atlantis.yaml`` at ``out`` naming
    every environment's stacks (Atlantis reads one file)."""
    from compiler.terraform.runners import ATLANTIS, atlantis_projects, atlantis_yaml
    from compiler.terraform.stacks import split

    results: dict[str, BuildResult] = {}
    files: dict[str, bytes] = {}
    projects: list[dict[str, object]] = []
    errors: list[Diagnostic] = []  # every environment's, as validate reports them
    for env in envs:
        try:
            result = build(path, display_name, out_dir=lambda _name, env=env: out / env, env=env)  # type: ignore[misc]
        except ArchcError as exc:
            errors += [d for d in exc.diagnostics if d not in errors]  # the base's errors, once
            continue
        results[env] = result
        files.update({f"{env}/{rel}": content for rel, content in result.files.items()})
        projects += atlantis_projects(result.arch, split(result.stack), model_reference(path, out / env), f"{env}/")
    if errors:
        raise ArchcError(errors)
    files[ATLANTIS] = atlantis_yaml(projects)
    return EnvironmentsBuild(results, files)


def build_docs(
    path: Path, display_name: str | None = None, out_dir: Callable[[str], Path] = default_out, env: str | None = None
) -> tuple[Architecture, dict[str, bytes]]:
    """What the docs site shows of a model: its figures and docs pages, exactly as
    ``build`` writes them, and its IR. Refuses what ``build`` refuses (``check``), but
    synthesizes no Terraform (synthesis refuses nothing, and no page shows its files):
    no node process, which keeps ``archc docs --serve``'s rebuild on save short."""
    from compiler.diagrams import render_diagrams
    from compiler.docs import render_docs

    stack = _checked_stack(load(path, display_name, env))
    arch = stack.arch
    files = render_diagrams(arch, stack)
    files.update(render_docs(arch, stack, model_reference(path, out_dir(arch.name)), figures=frozenset(files)))
    return arch, files


@contextmanager
def _node_started() -> Iterator[None]:
    """Boot node in the background for the block (see runtime.py): it loads cdktn
    while the model is read. The block never ends halfway through that start, even
    when it stops at a model error."""
    from compiler.terraform import runtime

    runtime.start()
    try:
        yield
    finally:
        runtime.settle()


def _checked_stack(arch: Architecture) -> StackBuilder:
    """Every resource as plain data, checked against the provider schema, and every
    connection against what it needs to work at run time (realization.py)."""
    # Imported here: `archc validate` needs none of the Terraform stages.
    from compiler.terraform.emit import emit
    from compiler.terraform.overrides import apply_hatch
    from compiler.terraform.realization import unrealized
    from compiler.terraform.schema_check import check_stack

    stack = emit(arch)
    errors, warnings = apply_hatch(stack)  # the model's own overrides and extra resources
    if errors:
        raise ArchcError(errors)
    problems = check_stack(stack) + unrealized(arch, stack.parts)
    if problems:
        raise ArchcError(problems)
    if arch.stacks:  # a cycle between the model's stacks is refused by validate too
        from compiler.terraform.stacks import split

        split(stack)
    if warnings:  # printed with the model's other warnings
        stack.arch = dataclasses.replace(arch, warnings=tuple(sorted([*arch.warnings, *warnings], key=lambda d: (d.line, d.col))))
    return stack


def _synthesize(stack: StackBuilder, model: str) -> dict[str, bytes]:
    from compiler.terraform.synth import synthesize

    return synthesize(stack, model)
