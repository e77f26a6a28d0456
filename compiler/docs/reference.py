"""archc's own reference (``docs/reference/``), generated from the catalog and the models.

Every service kind (``modules.CATALOG``, families in ``modules.FAMILIES``) and every
YAML field (``compiler.model`` and each kind's pydantic settings) comes from the code,
so the reference cannot miss one; ``tests/test_docs_reference.py`` fails when the
committed pages are stale. Regenerate with ``python -m compiler.docs.reference``.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from compiler.docs.markdown import code, codes, escape
from compiler.docs.pages import VIA_TEXT, format_value
from compiler.model import SCHEMA_PATH, ArchitectureSpec, BackendSpec, ConnectionSpec, LayerSpec, NetworkSpec, TerraformSpec, json_schema
from modules import CATALOG, FAMILIES
from modules.base import Override, PatchOp, RefTo, Service, offered

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL: tuple[tuple[str, type[BaseModel]], ...] = (
    ("Top level", ArchitectureSpec),
    ("network", NetworkSpec),
    ("layers[]", LayerSpec),
    ("connections[]", ConnectionSpec),
    ("terraform", TerraformSpec),
    ("terraform.backend", BackendSpec),
)
HATCH_FIELDS = {"overrides", "resources"}  # the escape hatch: not a kind's settings, documented once on the model page
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def type_text(annotation: Any) -> str:
    """A field's type in words.

    >>> type_text(int | list[str] | None)
    'integer, list of string or none'
    """
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is type(None):
        return "none"
    if annotation is Any:
        return "any JSON value"
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return ", ".join(type_text(a) for a in args[:-1]) + " or " + type_text(args[-1])
    if origin is typing.Annotated:
        ref = next((m for m in args[1:] if isinstance(m, RefTo)), None)
        return "service name" + (f" ({', '.join(ref.kinds)})" if ref and ref.kinds else "") if ref else type_text(args[0])
    if origin in (list, tuple):
        return f"list of {type_text(args[0])}"
    if origin is dict:
        return f"map of {type_text(args[0])} to {type_text(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"object ({annotation.__name__})"
    return str(annotation)


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    return format_value(field.default_factory() if field.default is PydanticUndefined else field.default)


def _example(key: str, field: Any, used: dict[str, Any]) -> str:
    if field.examples:
        return format_value(field.examples[0])
    return format_value(used[key]) if key in used else ""


def example_usage() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Kind -> (example file, service id, its settings as written) for the first example using it."""
    from compiler import environments, pipeline
    from compiler.loader import load_file

    found: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path in [*sorted((ROOT / "examples").glob("*.yaml")), ROOT / "architecture.yaml"]:
        written_at_the_service = environments.select(load_file(path), None)  # the base: no environment's overlay
        for node in pipeline.resolve_environment(written_at_the_service).services.values():
            written = node.spec.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude=HATCH_FIELDS)
            if node.kind not in found or len(written) > len(found[node.kind][2]):
                found[node.kind] = (path.relative_to(ROOT).as_posix(), node.id, written)
    return found


def _field_type(field: Any) -> str:
    ref = next((m for m in field.metadata if isinstance(m, RefTo)), None)
    if ref is not None:
        return "service name" + (f" ({', '.join(ref.kinds)})" if ref.kinds else "")
    return type_text(field.annotation)


def fields_table(model: type[BaseModel], skip: frozenset[str] = frozenset(), used: dict[str, Any] | None = None) -> list[str]:
    """A Markdown table of a model's YAML fields: key, type, default, example, meaning."""
    lines = ["| Field | Type | Default | Example | Meaning |", "|---|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        default = "see below" if _nested_models_of(field) and _default(field) != "required" else _default(field)
        cells = [code(field.alias or name), escape(_field_type(field)), escape(default)]
        cells += [escape(_example(field.alias or name, field, used or {})), escape(field.description or "")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _nested_models_of(field: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    stack = [field.annotation]
    while stack:
        arg = stack.pop()
        if isinstance(arg, type) and issubclass(arg, BaseModel) and arg not in found:
            found.append(arg)
        stack.extend(typing.get_args(arg))
    return found


def _nested_models(model: type[BaseModel], skip: frozenset[str] = frozenset()) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        found += [m for m in _nested_models_of(field) if m not in found]
    return found


def kind_section(kind: str, cls: type[Service], usage: tuple[str, str, dict[str, Any]] | None) -> list[str]:
    """The reference of one kind; ``usage``: where an example model uses it."""
    info = cls.info
    lines = [f"## {kind}", "", f"**{escape(info.title)}**. {escape(info.summary)}", ""]
    facts = [f"Runs: {'outside the VPC' if info.placement == 'outside' else f'in the {info.placement} subnets'}"]
    if info.port:
        facts.append(f"a network connection to it opens {info.protocol.upper()} {info.port}")
    if info.needs:
        facts.append(f"its connections mean: {VIA_TEXT[info.needs]}")
    else:
        facts.append("it starts no connections")
    if info.reaches:
        facts.append(f"it connects only to {', '.join(sorted(info.reaches))}")
    if info.offers:
        facts.append("as a target it offers: " + ", ".join(VIA_TEXT[o] for o in info.offers))
    if info.private_only:
        facts.append("people and systems outside AWS reach it only through a load balancer")
    if "monitor" not in offered(cls) and not info.outside_aws:
        facts.append("CloudWatch cannot monitor it (AWS publishes no metric worth an alarm): cloudwatch -> it is refused")
    lines += ["; ".join(facts) + ".", ""]
    if info.access:
        lines += ["| Access level | IAM actions granted on it |", "|---|---|"]
        lines += [f"| {code(level)} | {codes(actions)} |" for level, actions in info.access.items()]
        lines += ["", f"The first level ({code(next(iter(info.access)))}) is the default of an API connection.", ""]
    lines += ["Settings (besides `kind`, `title`, `description`):", ""]
    lines += fields_table(cls, frozenset(Service.model_fields), usage[2] if usage else None)
    for nested in _nested_models(cls, frozenset(Service.model_fields)):
        lines += ["", f"`{nested.__name__}`: {escape(nested.__doc__ or '')}", "", *fields_table(nested)]
    if usage:
        snippet = yaml.safe_dump({usage[1]: usage[2]}, sort_keys=False, default_flow_style=False).rstrip()
        lines += ["", f"In `{usage[0]}`:", "", "```yaml", snippet, "```"]
    return [*lines, ""]


def reference_pages() -> dict[str, str]:
    """``{repo-relative path: text}`` of every generated reference page."""
    pages: dict[str, str] = {}
    usage = example_usage()
    index = ["# Service kinds", "", "Every kind archc compiles, by family. Generated from `modules/`; do not edit.", ""]
    index += ["| Kind | AWS service | Family | What it does |", "|---|---|---|---|"]
    for family in FAMILIES:
        kinds = [(k, c) for k, c in CATALOG.items() if c.info.family == family]
        if not kinds:
            continue
        page = [f"# {family.capitalize()} kinds", "", f"Generated from `modules/{family}.py`; do not edit.", ""]
        for kind, cls in kinds:
            page += kind_section(kind, cls, usage.get(kind))
            index.append(f"| [{kind}]({family}.md#{kind}) | {escape(cls.info.title)} | {family} | {escape(cls.info.summary)} |")
        pages[f"docs/reference/kinds/{family}.md"] = "\n".join(page).rstrip() + "\n"
    pages["docs/reference/kinds/index.md"] = "\n".join(index) + "\n"
    model = ["# Model file", "", "The YAML fields of a model file. Generated from `compiler/model.py`; do not edit.", ""]
    for title, spec in TOP_LEVEL:
        model += [f"## {title}", "", escape(spec.__doc__ or ""), "", *fields_table(spec), ""]
    model += ["## Every service", ""]
    model += ["Each service under `layers[].services` has a `kind` (see [Service kinds](kinds/index.md)), the settings of"]
    model += ["its kind, and these fields:", "", *fields_table(Service, frozenset({"kind"})), ""]
    model += ["`overrides[]` and `resources` are the escape hatch for what no kind models yet: see the README's"]
    model += ["[escape hatch](../../README.md#when-archc-does-not-model-it-the-escape-hatch) and `archc explain FILE SERVICE`.", ""]
    for nested in (Override, PatchOp):
        model += [f"### {'overrides[]' if nested is Override else 'overrides[].patch[]'}", "", escape(nested.__doc__ or ""), ""]
        model += [*fields_table(nested), ""]
    pages["docs/reference/model.md"] = "\n".join(model).rstrip() + "\n"
    pages["docs/gallery.md"] = gallery()
    # The schema editors read (the models' yaml-language-server modeline), shipped in the package.
    pages[SCHEMA_PATH] = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    return pages


def _leading_comment(path: Path) -> str:
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    return " ".join(lines)


def _envs(path: Path) -> list[str | None]:
    """A model's environments, or [None]: the model itself."""
    from compiler.pipeline import environment_names

    return [*environment_names(path)[1]] or [None]


def _stacks(path: Path) -> list[str]:
    """The Terraform stacks of a model with ``stacks:``, producers first."""
    from compiler.pipeline import check
    from compiler.terraform.stacks import split

    return [part.name for part in split(check(path, None, _envs(path)[0]))]


def gallery() -> str:
    """The examples: what each models, and links to its model and generated docs (each
    environment's, for a model with environments; its stacks, for a model with stacks)."""
    from compiler.pipeline import load

    lines = ["# Gallery", "", "The example models and what `archc build FILE` generates from them into `generated/<name>/`."]
    lines += ["Generated from `examples/`; do not edit.", ""]
    for path in [*sorted((ROOT / "examples").glob("*.yaml")), ROOT / "architecture.yaml"]:
        envs = _envs(path)
        archs = [load(path, None, env) for env in envs]
        arch = archs[0]
        rel = path.relative_to(ROOT).as_posix()
        home = arch.name.removesuffix(f"-{arch.environment}") if arch.environment else arch.name
        lines += [f"## {escape(arch.title)}", "", escape(arch.description), ""]
        if _leading_comment(path):
            lines += [f"*{escape(_leading_comment(path))}*", ""]
        kinds = sorted({n.kind for n in arch.services.values()})
        regions = sorted({a.region for a in archs})
        lines.append(f"- Model: [{rel}](../{rel}) · {len(arch.services)} services, {len(arch.edges)} connections in {codes(regions)}")
        stacks = f" ({len(_stacks(path))} stacks, in the order to apply them: {codes(_stacks(path))})" if arch.stacks else ""
        if arch.environment:  # built into generated/<name>/<env>/ each
            docs = ", ".join(f"[{a.environment}](../generated/{home}/{a.environment}/docs/index.md) (`{a.region}`)" for a in archs)
            terraform = ", ".join(f"[{a.environment}](../generated/{home}/{a.environment}/terraform/)" for a in archs)
            lines += [f"- Docs of each environment: {docs}", f"- Terraform of each environment: {terraform}{stacks}"]
        else:
            lines.append(f"- Docs: [generated/{home}/docs/index.md](../generated/{home}/docs/index.md)")
            lines.append(f"- Terraform: [generated/{home}/terraform/](../generated/{home}/terraform/){stacks}")
        lines += [f"- Kinds: {codes(kinds)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    """Write the reference pages into the repository's docs/."""
    for rel, text in reference_pages().items():
        path = ROOT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
