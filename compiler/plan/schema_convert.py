"""Turn a `terraform providers schema -json` document into the stand-in's answer.

The stand-in provider answers GetProviderSchema with the bytes built here, so the
(slow) dict -> protobuf conversion runs once per `plan_stacks` call, in the
engine, and the plugin process only parses ready protobuf bytes.

Terraform validates every provider schema it receives (configschema
InternalValidate) and refuses the whole provider if one resource breaks a rule.
A schema recovered from the jsii bindings is not guaranteed to follow those
rules, so `_Sanitizer` bends each offending spot to the nearest legal shape that
makes Terraform report *fewer* errors, never more, and records what it changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from tf.gen import tfplugin_pb2 as pb

AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"

_VALID_NAME = re.compile(r"^[a-z0-9_]+$")
_BLOCK_NESTING = {"single": 1, "list": 2, "set": 3, "map": 4, "group": 5}
_OBJECT_NESTING = {"single": 1, "list": 2, "set": 3, "map": 4}


def pick_provider(doc: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """Return (provider address, its schema) for the AWS provider in `doc`."""
    schemas = doc.get("provider_schemas") or {}
    if AWS_PROVIDER in schemas:
        return AWS_PROVIDER, schemas[AWS_PROVIDER]
    if len(schemas) == 1:
        addr = next(iter(schemas))
        return str(addr), schemas[addr]
    raise ValueError(f"schema document has no {AWS_PROVIDER} entry")


def schema_response_bytes(provider: Mapping[str, Any], used: Collection[str] | None = None) -> tuple[bytes, list[str]]:
    """Serialized GetProviderSchema.Response for one provider, plus sanitizer notes.

    With `used` (resource and data source type names), only those types get
    their full schema; every other type is listed with an empty one. Terraform
    decodes and checks the whole schema at the start of every command (about
    0.13 s for all of AWS), while it only needs the types the configuration
    uses, and the names of the others for its "Did you mean" suggestions.
    """
    san = _Sanitizer()
    resp = pb.GetProviderSchema.Response()
    san.schema(resp.provider, provider.get("provider") or {}, "provider")
    resp.provider_meta.block.SetInParent()
    for kind, field in (("resource_schemas", resp.resource_schemas), ("data_source_schemas", resp.data_source_schemas)):
        table = provider.get(kind) or {}
        for name in table:  # by name: the bundled tables parse a schema only when it is read
            if used is None or name in used:
                san.schema(field[name], table[name], name)
            else:
                field[name].block.SetInParent()
    return resp.SerializeToString(deterministic=True), san.notes


def _has_dynamic(cty_type: Any) -> bool:
    """True if a cty type (JSON form) contains DynamicPseudoType anywhere."""
    if isinstance(cty_type, str):
        return cty_type == "dynamic"
    if isinstance(cty_type, list):
        return any(_has_dynamic(t) for t in cty_type)
    if isinstance(cty_type, dict):
        return any(_has_dynamic(t) for t in cty_type.values())
    return False


def _attrs_have_dynamic(attrs: Mapping[str, Any]) -> bool:
    for attr in attrs.values():
        nested = attr.get("nested_type")
        if nested is not None:
            if _attrs_have_dynamic(nested.get("attributes") or {}):
                return True
        elif _has_dynamic(attr.get("type", "dynamic")):
            return True
    return False


def _no_dynamic_sets(cty_type: Any) -> Any:
    # cty cannot hash set elements of unknown type: serve such sets as lists.
    if isinstance(cty_type, list):
        head = "list" if cty_type[0] == "set" and _has_dynamic(cty_type[1:]) else cty_type[0]
        return [head, *(_no_dynamic_sets(t) for t in cty_type[1:])]
    if isinstance(cty_type, dict):
        return {k: _no_dynamic_sets(v) for k, v in cty_type.items()}
    return cty_type


def _block_has_dynamic(block: Mapping[str, Any]) -> bool:
    attrs = block.get("attributes") or {}
    nested = block.get("block_types") or {}
    return _attrs_have_dynamic(attrs) or any(_block_has_dynamic(b.get("block") or {}) for b in nested.values())


class _Sanitizer:
    """Fills protobuf schema messages in place, fixing what Terraform would reject.

    Filled in place (`.add()`, map entries) rather than built and copied: the
    AWS schema has ~40,000 attributes and copies doubled the time.
    """

    def __init__(self) -> None:
        self.notes: list[str] = []

    def _note(self, where: str, what: str) -> None:
        self.notes.append(f"{where}: {what}")

    def schema(self, out: Any, schema: Mapping[str, Any], where: str) -> None:
        out.version = int(schema.get("version", 0))
        self.block(out.block, schema.get("block") or {}, where)

    def block(self, out: Any, block: Mapping[str, Any], where: str) -> None:
        attrs = block.get("attributes") or {}
        nested = block.get("block_types") or {}
        out.SetInParent()  # an empty block must still be sent, not left absent
        if block.get("deprecated"):
            out.deprecated = True
        for name, attr in attrs.items():
            if name in nested:
                self._note(f"{where}.{name}", "both attribute and block: kept the block")
                continue
            self.attribute(out.attributes.add(), name, attr, where)
        for name, nb in nested.items():
            if not _VALID_NAME.match(name):
                self._note(f"{where}.{name}", "invalid block name: dropped")
                continue
            self.nested_block(out.block_types.add(), name, nb, f"{where}.{name}")

    def nested_block(self, out: Any, name: str, nb: Mapping[str, Any], where: str) -> None:
        mode = str(nb.get("nesting_mode", "list"))
        lo, hi = max(int(nb.get("min_items", 0)), 0), max(int(nb.get("max_items", 0)), 0)
        inner = nb.get("block") or {}
        if mode == "set" and _block_has_dynamic(inner):
            self._note(where, "set block holding a dynamic attribute: served as a list block")
            mode = "list"
        if mode not in _BLOCK_NESTING:
            self._note(where, f"unknown nesting {mode!r}: served as list")
            mode = "list"
        if (mode == "single" and (lo != hi or hi > 1)) or mode in ("group", "map"):
            lo = hi = 0
        elif hi and lo > hi:
            hi = 0
        out.type_name, out.nesting, out.min_items, out.max_items = name, _BLOCK_NESTING[mode], lo, hi
        self.block(out.block, inner, where)

    def attribute(self, out: Any, name: str, attr: Mapping[str, Any], where: str) -> None:
        req, opt, comp = attr.get("required", False), attr.get("optional", False), attr.get("computed", False)
        if req and (opt or comp):
            # Prefer the reading that cannot invent a "Missing required argument".
            self._note(f"{where}.{name}", "required together with optional/computed: served as optional")
            req, opt = False, True
        out.name = name
        out.required, out.optional, out.computed = bool(req), bool(opt or not (req or comp)), bool(comp)
        if attr.get("sensitive"):
            out.sensitive = True
        if attr.get("deprecated"):
            out.deprecated = True
        if "nested_type" in attr:
            self.nested_object(out.nested_type, attr["nested_type"], f"{where}.{name}")
        else:
            out.type = _type_bytes(attr.get("type", "dynamic"))

    def nested_object(self, out: Any, obj: Mapping[str, Any], where: str) -> None:
        mode = str(obj.get("nesting_mode", "single"))
        attrs = obj.get("attributes") or {}
        if mode == "set" and _attrs_have_dynamic(attrs):
            self._note(where, "set of objects holding a dynamic attribute: served as a list")
            mode = "list"
        out.SetInParent()
        out.nesting = _OBJECT_NESTING.get(mode, 1)
        out.min_items = max(int(obj.get("min_items", 0)), 0)
        out.max_items = max(int(obj.get("max_items", 0)), 0)
        for name, attr in attrs.items():
            self.attribute(out.attributes.add(), name, attr, where)


_ENCODER = json.JSONEncoder(separators=(",", ":"))
_PRIMITIVE_TYPES = {t: _ENCODER.encode(t).encode() for t in ("string", "number", "bool", "dynamic")}


def _type_bytes(cty_type: Any) -> bytes:
    if isinstance(cty_type, str) and cty_type in _PRIMITIVE_TYPES:
        return _PRIMITIVE_TYPES[cty_type]
    return _ENCODER.encode(_no_dynamic_sets(cty_type)).encode()
