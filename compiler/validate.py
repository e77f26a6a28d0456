"""Stage 2: plain data -> :class:`ArchitectureSpec`, with every error located.

Pydantic does the checking; this module turns its errors into archc diagnostics at
the right line and column, with "did you mean" for unknown keys and kinds.
"""

from __future__ import annotations

import itertools
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from compiler.errors import ArchcError, Diagnostic, closest, did_you_mean
from compiler.loader import Document, Path_, Pos
from compiler.model import ArchitectureSpec, spec_class
from modules import KINDS, kind_class, kind_hint

_ARROW = re.compile(r"\s*->\s*")


def validate(doc: Document) -> ArchitectureSpec:
    """Validate a parsed document; raise ArchcError with all problems found."""
    if not isinstance(doc.data, dict):
        found = type(doc.data).__name__ if doc.data is not None else "nothing"
        what = _article(_kind_of(doc.data))
        raise ArchcError(
            [
                doc.error(
                    "structure",
                    f"a model is a mapping of keys (name, region, layers...), not {what}" if found != "nothing" else "the file is empty",
                    (),
                )
            ]
        )
    doc = expand_shorthand(doc)
    spec = spec_class(_kinds_used(doc.data))
    try:
        return spec.model_validate(doc.data)
    except ValidationError as exc:
        raise ArchcError(_diagnostics(exc, doc, spec)) from None


def _kinds_used(data: dict[str, Any]) -> frozenset[str] | None:
    """The known kinds the model's services name (None if none: then every kind)."""
    layers = data.get("layers")
    found: set[str] = set()
    for layer in layers if isinstance(layers, list) else ():
        services = layer.get("services") if isinstance(layer, dict) else None
        for svc in services.values() if isinstance(services, dict) else ():
            kind = svc.get("kind") if isinstance(svc, dict) else None
            if isinstance(kind, str) and kind in KINDS:
                found.add(kind)
    return frozenset(found) or None


def _kind_of(value: Any) -> str:
    names = {list: "list", dict: "mapping", str: "text", int: "number", float: "decimal number", bool: "boolean", type(None): "empty value"}
    return names.get(type(value), type(value).__name__)


def expand_shorthand(doc: Document) -> Document:
    """Rewrite ``- a -> b -> c`` and ``- a -> b: label`` into connection mappings.

    A chain becomes one connection per arrow; each keeps the position of its line.
    """
    conns = doc.data.get("connections")
    if not isinstance(conns, list):
        return doc
    positions = {p: v for p, v in doc.positions.items() if p[:1] != ("connections",) or len(p) < 2}
    expanded: list[Any] = []
    for i, item in enumerate(conns):
        old = ("connections", i)
        chain, label = _arrow_parts(item)
        entries = (
            [item] if chain is None else [{"from": a, "to": b, **({"label": label} if label else {})} for a, b in itertools.pairwise(chain)]
        )
        for entry in entries:
            new = ("connections", len(expanded))
            for p, v in doc.positions.items():
                if p[:2] == old:
                    positions[new + p[2:]] = v
            if chain is not None:
                at = doc.positions[old]
                for key in entry:
                    positions[(*new, key)] = Pos(at.line, at.col, at.line, at.col)
            expanded.append(entry)
    data = dict(doc.data)
    data["connections"] = expanded
    return Document(doc.file, data, positions, doc.base_dir)


def _arrow_parts(item: Any) -> tuple[list[str] | None, str | None]:
    text, label = None, None
    if isinstance(item, str) and "->" in item:
        text = item
    elif isinstance(item, dict) and len(item) == 1:
        key = next(iter(item))
        if "->" in key and (item[key] is None or isinstance(item[key], str)):
            text, label = key, item[key]
    if text is None:
        return None, None
    return [part.strip() for part in _ARROW.split(text.strip())], label


@dataclass(frozen=True)
class _Found:
    """A diagnostic, and what it says about a key of a mapping (for _drop_consequences)."""

    diag: Diagnostic
    mapping: Path_ = ()  # the mapping the key below is in, or should be
    missing: str | None = None  # a required key absent from it
    meant: str | None = None  # the key an unknown key of it most likely meant


def _diagnostics(exc: ValidationError, doc: Document, spec: type[ArchitectureSpec]) -> list[Diagnostic]:
    # A mapping given where a union also takes a word (network: {...} | none) meant the mapping:
    # its own errors say what is wrong, not "must be 'none'".
    errors = [e for e in exc.errors(include_url=False) if not _mapping_for_word(e)]
    alternatives: dict[Path_, list[str]] = {}  # a value that fits no member of a union
    for err in errors:
        wanted = _wanted(err)
        if wanted:
            alternatives.setdefault(_data_path(tuple(err["loc"]), doc.data, spec)[0], []).append(wanted)
    found: dict[tuple[int, int, str], _Found] = {}
    for err in errors:
        path = _data_path(tuple(err["loc"]), doc.data, spec)[0]
        options_for = alternatives.get(path, [])
        if _wanted(err) and len(options_for) > 1:
            options = " or ".join(dict.fromkeys(options_for))
            found_text = f"{_article(_kind_of(err['input']))}{_shown(err['input'])}"
            one = _Found(doc.error("type", f"'{_name(path)}' must be {options}, not {found_text}", path))
        else:
            one = _one(err, doc, spec)
        # A union can report one mistake once per member; keep one per place.
        found.setdefault((one.diag.line, one.diag.col, one.diag.code), one)
    return _drop_consequences(list(found.values()))


# What a type error asked for, in words an architect reads.
_WANTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _wanted(err: Any) -> str | None:
    """What a type error asked for, in words; a word of a union (``literal['none']``) as itself."""
    if err["type"] == "literal_error" and _is_member_tag(err["loc"]):
        return str(err["ctx"]["expected"])
    return _WANTED.get(err["type"])


def _is_member_tag(loc: tuple[Any, ...]) -> bool:
    return bool(loc) and isinstance(loc[-1], str) and loc[-1].startswith("literal[")


def _mapping_for_word(err: Any) -> bool:
    return err["type"] == "literal_error" and _is_member_tag(err["loc"]) and isinstance(err["input"], (dict, list))


def _shown(value: Any) -> str:
    return f" ({value!r})" if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def _drop_consequences(found: list[_Found]) -> list[Diagnostic]:
    """A misspelled key also makes the key it meant 'missing' from the same mapping;
    report only the misspelling."""
    meant = {(f.mapping, f.meant) for f in found if f.meant is not None}
    return [f.diag for f in found if f.missing is None or (f.mapping, f.missing) not in meant]


def _one(err: Any, doc: Document, spec: type[ArchitectureSpec]) -> _Found:
    loc = tuple(err["loc"])
    path, model = _data_path(loc, doc.data, spec)
    etype: str = err["type"]
    here = path[-1] if path else None
    if etype == "extra_forbidden":
        allowed = list(model.model_fields) if model else []
        aliases = [f.alias or n for n, f in model.model_fields.items()] if model else []
        where = _where(path[:-1], doc)
        meant = closest(str(here), aliases or allowed)
        hint = f"; did you mean '{meant}'?" if meant else ""
        return _Found(doc.error("unknown-key", f"unknown key '{here}'{where}{hint}", path, key=True), path[:-1], meant=meant)
    if etype == "missing":
        field = str(loc[-1])
        diag = doc.error("missing", f"missing required key '{field}'{_where(path[:-1], doc)}", path, key=True)
        return _Found(diag, path[:-1], missing=field)
    return _Found(_other(err, etype, loc, path, here, doc))


def _other(err: Any, etype: str, loc: tuple[Any, ...], path: Path_, here: str | int | None, doc: Document) -> Diagnostic:
    """The diagnostic of any error but an unknown or missing key."""
    if etype == "union_tag_invalid":
        tag = err["ctx"]["tag"]
        return doc.error("unknown-kind", f"unknown service kind '{tag}'{kind_hint(tag)}", (*path, "kind"))
    if etype == "union_tag_not_found":
        return doc.error("missing", f"service '{here}' needs a 'kind' (one of the catalog's kinds, e.g. 'ecs-service')", path, key=True)
    if etype in ("model_type", "model_attributes_type", "dict_type"):
        return _not_a_mapping(err["input"], path, doc)
    if etype == "list_type":
        return doc.error("structure", f"'{_name(path)}' must be a list, not {_article(_kind_of(err['input']))}", path)
    if etype == "literal_error":
        return _literal(err, loc, path, doc)
    if etype.endswith(("_type", "_parsing")) and etype not in ("value_error",):
        wanted = (
            etype.split("_")[0]
            .replace("int", "a whole number")
            .replace("string", "text")
            .replace("bool", "true or false")
            .replace("float", "a number")
        )
        return doc.error("type", f"'{_name(path)}' must be {wanted}, not {_article(_kind_of(err['input']))} ({err['input']!r})", path)
    bound = _BOUNDS.get(etype)
    if bound:
        limit = next(iter(err["ctx"].values()))
        return doc.error("value", f"'{_name(path)}' must be {bound} {limit}, not {err['input']!r}", path)
    if etype == "too_short":
        return doc.error("value", f"'{_name(path)}' must have at least {err['ctx']['min_length']} item(s)", path)
    if etype == "string_pattern_mismatch":
        return doc.error("value", f"'{_name(path)}' {err['input']!r} does not match the pattern {err['ctx']['pattern']}", path)
    msg = str(err["msg"]).removeprefix("Value error, ")
    return doc.error("value", f"'{_name(path)}': {msg[0].lower()}{msg[1:]}", path)


def _not_a_mapping(value: Any, path: Path_, doc: Document) -> Diagnostic:
    if path[:1] == ("connections",) and isinstance(value, str):  # an arrow other than '->'
        syntax = "'a -> b' (or 'a -> b: label'), or as a mapping {from: a, to: b}"
        return doc.error("structure", f"connection {value!r} must be written {syntax}", path)
    return doc.error("structure", f"'{_name(path)}' must be a mapping, not {_article(_kind_of(value))}", path)


def _literal(err: Any, loc: tuple[Any, ...], path: Path_, doc: Document) -> Diagnostic:
    expected = err["ctx"]["expected"]
    if loc[-1:] == ("[key]",):  # a mapping key outside a fixed set (subnet tiers, usage figures)
        path = path[:-1] if path[-1:] == ("[key]",) else path
        hint = did_you_mean(str(path[-1]), re.findall(r"'([^']+)'", expected))
        return doc.error("value", f"key '{path[-1]}' in '{_name(path[:-1])}' must be {expected}{hint}", path, key=True)
    return doc.error("value", f"'{_name(path)}' must be {expected}, not {err['input']!r}", path)


_BOUNDS = {"greater_than_equal": "at least", "less_than_equal": "at most", "greater_than": "more than", "less_than": "less than"}


def _article(word: str) -> str:
    if word == "text":
        return word
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _name(path: Path_) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "value"


def _where(path: Path_, doc: Document) -> str:
    """' in service 'db'' / ' in layer 'data'' context for messages."""
    if len(path) >= 4 and path[0] == "layers" and path[2] == "services":
        return f" in service '{path[3]}'"
    if len(path) >= 2 and path[0] == "layers" and isinstance(path[1], int):
        layer = doc.data["layers"][path[1]]
        name = layer.get("name") if isinstance(layer, dict) else None
        return f" in layer '{name}'" if name else f" in layer {path[1] + 1}"
    if len(path) >= 2 and path[0] == "connections":
        return f" in connection {int(path[1]) + 1}"
    if path:
        return f" in '{path[0]}'"
    return ""


def _data_path(loc: tuple[Any, ...], data: Any, spec: type[ArchitectureSpec]) -> tuple[Path_, type[BaseModel] | None]:
    """Follow pydantic's loc through the data, dropping parts that are not data keys
    (such as the kind name of a union member). Also return the model class of the
    innermost mapping that the path reaches (the one an unknown key was found in)."""
    path: list[str | int] = []
    node: Any = data
    annotation: Any = spec
    model: type[BaseModel] | None = spec
    for part in loc:
        present = (isinstance(node, dict) and part in node) or (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        if not present and isinstance(part, str) and part in KINDS and isinstance(node, dict):
            continue  # the discriminator tag pydantic inserts for a service
        if (
            not present
            and isinstance(part, str)
            and _is_union(annotation)
            and (not isinstance(node, dict) or _TYPE_TAG.match(part) or part in _member_models(annotation))
        ):
            continue  # the member of a plain union (``int | list[str]``, ``NetworkSpec | Literal["none"]``) that pydantic tried
        path.append(part)
        current = _as_model(annotation, node)
        if current is not None:
            model = current
        annotation = _step(annotation, part, node)
        node = node[part] if present else None
    return tuple(path), model


_TYPE_TAG = re.compile(r"^(int|str|bool|float|list\[.*\]|dict\[.*\]|literal\[.*\])$")


def _is_union(annotation: Any) -> bool:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _member_models(annotation: Any) -> set[str]:
    """Names of the model classes among a union's members (pydantic's tag for them in a loc)."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return {a.__name__ for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)}


def _unwrap(annotation: Any, node: Any) -> Any:
    """Strip Annotated and pick the member of a union that fits ``node``."""
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            if isinstance(node, dict) and node.get("kind") in KINDS:
                return kind_class(node["kind"])
            fits = [a for a in args if _fits(a, node)]
            annotation = fits[0] if fits else args[0]
        else:
            return annotation


def _fits(annotation: Any, node: Any) -> bool:
    origin = typing.get_origin(annotation) or annotation
    if isinstance(node, dict):
        return origin is dict or (isinstance(origin, type) and issubclass(origin, BaseModel))
    if isinstance(node, list):
        return origin is list
    return origin not in (dict, list)


def _as_model(annotation: Any, node: Any) -> type[BaseModel] | None:
    found = _unwrap(annotation, node)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def _step(annotation: Any, part: str | int, node: Any) -> Any:
    """The annotation of ``node[part]`` given the annotation of ``node``."""
    found = _unwrap(annotation, node)
    if isinstance(found, type) and issubclass(found, BaseModel) and isinstance(part, str):
        for name, field in found.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    args = typing.get_args(found)
    if typing.get_origin(found) in (list, dict) and args:
        return args[-1]
    return None
