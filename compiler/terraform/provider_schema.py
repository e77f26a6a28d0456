"""Compile-time checks of Terraform JSON bodies against the hashicorp/aws schema.

The schema file ``aws_provider_schema.jsonl.gz`` next to this module is written
by ``tools/extract_aws_schema.py``: the document ``terraform providers schema
-json`` prints (plus an ``archc_source`` key), as JSON lines, one per resource
type. A model uses a few dozen of the ~2,000 types, and only those are parsed
(:class:`LazySchemas`): parsing all of them was a tenth of a build.
:func:`terraform_schema_json` gives the document in Terraform's own shape, for
the stand-in provider plugin.

The checks follow Terraform's own rules where it matters for false alarms:
numbers and bools are accepted for string attributes, and numeric / "true" /
"false" strings for number / bool attributes, because Terraform converts them.
Any string containing ``${`` is an expression and accepted for any type.
A problem about a missing attribute or block carries the path of the block
that lacks it ("" for the resource itself).
"""

from __future__ import annotations

import difflib
import functools
import gzip
import json
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

SCHEMA_FILE = "aws_provider_schema.jsonl.gz"
TABLES = ("data_source_schemas", "ephemeral_resource_schemas", "resource_schemas")  # one line per type
PROVIDER_ADDR = "registry.terraform.io/hashicorp/aws"

# Meta-arguments Terraform handles itself; ``provisioner`` and ``connection``
# are resource meta-blocks. ``dynamic`` generates blocks and is valid in any
# block body, so its content is not checked here.
META_ARGUMENTS = frozenset({"provider", "depends_on", "count", "for_each", "lifecycle", "//", "provisioner", "connection"})
PROVIDER_META = frozenset({"alias", "version", "//"})
_ANYWHERE = frozenset({"dynamic", "//"})

# difflib's default cutoff (0.6) misses e.g. 'cidr' -> 'cidr_block'.
_NAME_CUTOFF = 0.5
_TYPE_CUTOFF = 0.6
_NUMBER_RE = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


@dataclass(frozen=True)
class SchemaProblem:
    """One schema violation.

    Attributes:
        path: Where in the body, e.g. ``ingress[0].from_port``; "" for the
            resource (or data source, provider) itself.
        message: Plain-English description.
    """

    path: str
    message: str


def _did_you_mean(name: str, candidates: list[str], cutoff: float) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest candidate, or "".

    Candidates holding every ``_``-separated word of ``name`` come first
    (plain difflib prefers 'id' to 'cidr_block' for 'cidr').
    """
    words = set(name.split("_"))
    containing = [c for c in candidates if words <= set(c.split("_"))]
    if containing:
        best = max(containing, key=lambda c: (difflib.SequenceMatcher(None, name, c).ratio(), c))
        return f"; did you mean '{best}'?"
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=cutoff)
    return f"; did you mean '{close[0]}'?" if close else ""


def _is_expression(value: object) -> bool:
    """Terraform JSON strings with interpolations may evaluate to any type."""
    return isinstance(value, str) and "${" in value


def _describe_value(value: object) -> str:
    """Name a JSON value's kind as used in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    return type(value).__name__


def _describe_type(ty: Any) -> str:
    """Name a cty type (JSON form) as used in messages."""
    if isinstance(ty, str):
        return {"string": "a string", "number": "a number", "bool": "a bool"}.get(ty, ty)
    return {"list": "a list", "set": "a set", "map": "a map", "object": "an object"}.get(ty[0], str(ty[0]))


def _is_number_string(value: str) -> bool:
    """Whether Terraform can convert this string to a number."""
    return _NUMBER_RE.fullmatch(value.strip()) is not None


def _items(n: int) -> str:
    return f"{n} item" if n == 1 else f"{n} items"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class AwsSchema:
    """The hashicorp/aws provider schema, with compile-time checks.

    Attributes:
        provider_version: The hashicorp/aws version the schema describes.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        """Wrap a providers-schema document.

        Args:
            document: The ``terraform providers schema -json`` document.
        """
        provider = document["provider_schemas"][PROVIDER_ADDR]
        self.provider_version: str = document.get("archc_source", {}).get("provider_version", "")
        self._provider: dict[str, Any] = provider["provider"]["block"]
        self._resources: Mapping[str, Any] = provider["resource_schemas"]
        self._data_sources: Mapping[str, Any] = provider["data_source_schemas"]

    def has_resource(self, resource_type: str) -> bool:
        """Return whether ``resource_type`` (e.g. ``aws_vpc``) exists."""
        return resource_type in self._resources

    def resource_types(self) -> list[str]:
        """Return all resource type names, sorted."""
        return sorted(self._resources)

    def has_data_source(self, data_type: str) -> bool:
        """Return whether data source ``data_type`` exists."""
        return data_type in self._data_sources

    def data_source_types(self) -> list[str]:
        """Return all data source type names, sorted."""
        return sorted(self._data_sources)

    def attribute_type(self, type_name: str, attribute: str, *, data: bool = False) -> Any:
        """The Terraform type of a top-level attribute or block of a resource (or data
        source), as the schema JSON writes it ("string", ["list", ...]); None if unknown."""
        table = self._data_sources if data else self._resources
        if type_name not in table:
            return None
        block = table[type_name]["block"]
        attr = block.get("attributes", {}).get(attribute)
        if attr is not None:
            return attr.get("type")
        nested = block.get("block_types", {}).get(attribute)
        if nested is None:
            return None
        inner = nested["block"]
        fields = {k: v.get("type", "string") for k, v in inner.get("attributes", {}).items()}
        return ["list", ["object", fields]]

    def check_resource(self, resource_type: str, body: dict[str, object]) -> list[SchemaProblem]:
        """Check a resource body as it will appear in Terraform JSON.

        Args:
            resource_type: e.g. ``aws_vpc``.
            body: The resource's arguments and blocks.

        Returns:
            The problems found: those of the given keys in body order, then
            missing attributes and blocks; empty when the body is valid.
        """
        return self._check_top(self._resources, "resource type", resource_type, body)

    def check_data_source(self, data_type: str, body: dict[str, object]) -> list[SchemaProblem]:
        """Check a data source body; see :meth:`check_resource`."""
        return self._check_top(self._data_sources, "data source", data_type, body)

    def check_provider(self, body: dict[str, object]) -> list[SchemaProblem]:
        """Check a ``provider "aws"`` configuration body."""
        return _check_block(self._provider, body, "", "provider aws", PROVIDER_META)

    def _check_top(self, table: Mapping[str, Any], kind: str, type_name: str, body: dict[str, object]) -> list[SchemaProblem]:
        schema = table.get(type_name)
        if schema is None:
            hint = _did_you_mean(type_name, list(table), _TYPE_CUTOFF)
            return [SchemaProblem("", f"unknown {kind} '{type_name}'{hint}")]
        return _check_block(schema["block"], body, "", type_name, META_ARGUMENTS)


def _check_block(
    block: dict[str, Any],
    body: object,
    path: str,
    owner: str,
    ignored: frozenset[str] = _ANYWHERE,
) -> list[SchemaProblem]:
    """Check one block body against its schema block."""
    if not isinstance(body, dict):
        return [SchemaProblem(path, f"{owner} expects an object, got {_describe_value(body)}")]
    attrs: dict[str, Any] = block.get("attributes", {})
    blocks: dict[str, Any] = block.get("block_types", {})
    problems: list[SchemaProblem] = []
    for key, value in body.items():
        where = _join(path, key)
        if key in ignored or key in _ANYWHERE:
            continue
        if key in attrs:
            problems += _check_attribute(key, attrs[key], value, where, f"{owner}.{key}")
        elif key in blocks:
            problems += _check_block_type(key, blocks[key], value, where, f"{owner}.{key}")
        else:
            settable = [n for n, a in attrs.items() if a.get("optional") or a.get("required")]
            hint = _did_you_mean(key, settable + list(blocks), _NAME_CUTOFF)
            what = "block" if isinstance(value, dict) or _is_list_of_dicts(value) else "attribute"
            problems.append(SchemaProblem(where, f"unknown {what} '{key}' for {owner}{hint}"))
    for name, attr in attrs.items():
        if attr.get("required") and body.get(name) is None:
            problems.append(SchemaProblem(path, f"missing required attribute '{name}'"))
    for name, bt in blocks.items():
        if bt.get("min_items", 0) > 0 and body.get(name) is None and "dynamic" not in body:
            problems.append(SchemaProblem(path, f"missing required block '{name}'"))
    return problems


def _is_list_of_dicts(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _check_attribute(name: str, attr: dict[str, Any], value: object, path: str, label: str) -> list[SchemaProblem]:
    """Check one attribute assignment: settable, and of the right type.

    ``label`` names the attribute in messages about its object fields, e.g.
    ``aws_security_group.ingress``.
    """
    if attr.get("computed") and not attr.get("optional") and not attr.get("required"):
        return [SchemaProblem(path, f"'{name}' is computed by the provider and cannot be set")]
    if "nested_type" in attr:
        nested = attr["nested_type"]
        block = {"attributes": nested["attributes"]}
        bt = {"nesting_mode": nested["nesting_mode"], "block": block}
        return _check_block_type(name, bt, value, path, label)
    return _check_type(attr["type"], value, name, path, label)


def _check_type(ty: Any, value: object, name: str, path: str, label: str) -> list[SchemaProblem]:
    """Check a literal against a cty type, recursively for collections."""
    if value is None or _is_expression(value) or ty == "dynamic":
        return []
    if isinstance(ty, str):
        ok = {
            # Terraform converts numbers and bools to strings implicitly.
            "string": isinstance(value, str | int | float),
            "number": (isinstance(value, int | float) and not isinstance(value, bool))
            or (isinstance(value, str) and _is_number_string(value)),
            "bool": isinstance(value, bool) or value in ("true", "false"),
        }.get(ty, True)
        return [] if ok else [_mismatch(name, ty, value, path)]
    kind, inner = ty[0], ty[1]
    if kind in ("list", "set"):
        if isinstance(value, dict) and isinstance(inner, list) and inner[0] == "object":
            value = [value]  # one object for a list of objects: block-like syntax
        if not isinstance(value, list):
            return [_mismatch(name, ty, value, path)]
        problems: list[SchemaProblem] = []
        for i, item in enumerate(value):
            problems += _check_type(inner, item, f"{name}[{i}]", f"{path}[{i}]", label)
        return problems
    if not isinstance(value, dict):
        return [_mismatch(name, ty, value, path)]
    problems = []
    if kind == "map":
        for key, item in value.items():
            problems += _check_type(inner, item, f'{name}["{key}"]', f'{path}["{key}"]', label)
        return problems
    # object: every key must be a known field; absent fields are null.
    for key, item in value.items():
        if key not in inner:
            hint = _did_you_mean(key, list(inner), _NAME_CUTOFF)
            problems.append(SchemaProblem(_join(path, key), f"unknown attribute '{key}' for {label}{hint}"))
        else:
            problems += _check_type(inner[key], item, key, _join(path, key), f"{label}.{key}")
    return problems


def _mismatch(name: str, ty: Any, value: object, path: str) -> SchemaProblem:
    return SchemaProblem(path, f"'{name}' expects {_describe_type(ty)}, got {_describe_value(value)}")


def _check_block_type(name: str, bt: dict[str, Any], value: object, path: str, owner: str) -> list[SchemaProblem]:
    """Check a nested block: shape, item count, then each item's body."""
    mode = bt["nesting_mode"]
    if value is None:
        items: list[tuple[str, object]] = []
    elif mode == "map":
        if not isinstance(value, dict):
            return [SchemaProblem(path, f"block '{name}' expects a map of objects, got {_describe_value(value)}")]
        items = [(f'{path}["{k}"]', v) for k, v in value.items()]
    elif isinstance(value, dict):  # one block may be written without the list
        items = [(path, value)]
    elif isinstance(value, list):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    else:
        shape = "an object" if mode == "single" else "an object or a list of objects"
        return [SchemaProblem(path, f"block '{name}' expects {shape}, got {_describe_value(value)}")]
    problems: list[SchemaProblem] = []
    low, high = bt.get("min_items", 0), bt.get("max_items", 0)
    if mode == "single":
        high = 1
    if value is not None and len(items) < low:
        problems.append(SchemaProblem(path, f"block '{name}' needs at least {_items(low)}, got {len(items)}"))
    if high and len(items) > high:
        problems.append(SchemaProblem(path, f"block '{name}' allows at most {_items(high)}, got {len(items)}"))
    for where, item in items:
        if not isinstance(item, dict):
            problems.append(SchemaProblem(where, f"block '{name}' expects an object, got {_describe_value(item)}"))
        else:
            problems += _check_block(bt["block"], item, where, owner)
    return problems


class LazySchemas(Mapping[str, Any]):
    """One schema table (type name -> schema), each schema parsed on first access."""

    def __init__(self, lines: dict[str, bytes]) -> None:
        self._lines = lines
        self._parsed: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._parsed:
            self._parsed[name] = json.loads(self._lines[name])[2]  # a line is [table, name, schema]
        return self._parsed[name]

    def __contains__(self, name: object) -> bool:
        return name in self._lines

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


_document_lock = threading.Lock()
_document: dict[str, Any] = {}


def _read_document() -> dict[str, Any]:
    """The packaged schema file as one document, read once per process: the schema
    tables are :class:`LazySchemas`; nobody modifies what is in them.

    Shared by the schema check and ``archc plan``'s stand-in provider, which ask for
    it from two threads at once.
    """
    with _document_lock:
        if not _document:
            data = resources.files(__package__ or "compiler.terraform").joinpath(SCHEMA_FILE).read_bytes()
            head, *rows = gzip.decompress(data).splitlines()
            tables: dict[str, dict[str, bytes]] = {table: {} for table in TABLES}
            for row in rows:
                table, name = json.loads(row[: row.index(b",{")] + b"]")  # '["resource_schemas","aws_vpc",{...'
                tables[table][name] = row
            _document.update(json.loads(head))
            provider = _document["provider_schemas"][PROVIDER_ADDR]
            provider.update({table: LazySchemas(lines) for table, lines in tables.items()})
        return _document


@functools.cache
def load_aws_schema() -> AwsSchema:
    """Load the packaged hashicorp/aws schema once per process.

    Returns:
        The shared :class:`AwsSchema`.
    """
    return AwsSchema(_read_document())


def terraform_schema_json() -> dict[str, Any]:
    """Return the full ``terraform providers schema -json`` document.

    A new top-level dict on every call, without the ``archc_source`` key, i.e.
    exactly Terraform's format; the schemas inside are shared with every other
    caller: read them, never modify them. Meant for the stand-in provider plugin's
    GetProviderSchema.

    Returns:
        ``{"format_version": "1.0", "provider_schemas": {...}}``.
    """
    return {k: v for k, v in _read_document().items() if k != "archc_source"}
