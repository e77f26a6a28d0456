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
from collections.abc import Mapping
from typing import Any

from tf.gen import tfplugin_pb2 as pb  # type: ignore[import-untyped]

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


def schema_response_bytes(provider: Mapping[str, Any]) -> tuple[bytes, list[str]]:
    """Serialized GetProviderSchema.Response for one provider, plus sanitizer notes."""
    san = _Sanitizer()
    resp = pb.GetProviderSchema.Response(
        provider=san.schema(provider.get("provider") or {}, "provider"),
        provider_meta=pb.Schema(block=pb.Schema.Block()),
    )
    for kind, field in (("resource_schemas", resp.resource_schemas),
                        ("data_source_schemas", resp.data_source_schemas)):
        for name in sorted(provider.get(kind) or {}):
            field[name].CopyFrom(san.schema(provider[kind][name], name))
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
    """Builds protobuf schema objects, fixing what Terraform would reject."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def _note(self, where: str, what: str) -> None:
        self.notes.append(f"{where}: {what}")

    def schema(self, schema: Mapping[str, Any], where: str) -> Any:
        block = self.block(schema.get("block") or {}, where)
        return pb.Schema(version=int(schema.get("version", 0)), block=block)

    def block(self, block: Mapping[str, Any], where: str) -> Any:
        attrs = block.get("attributes") or {}
        nested = block.get("block_types") or {}
        out = pb.Schema.Block(deprecated=bool(block.get("deprecated")))
        for name in sorted(attrs):
            if name in nested:
                self._note(f"{where}.{name}", "both attribute and block: kept the block")
                continue
            out.attributes.append(self.attribute(name, attrs[name], f"{where}.{name}"))
        for name in sorted(nested):
            if not _VALID_NAME.match(name):
                self._note(f"{where}.{name}", "invalid block name: dropped")
                continue
            out.block_types.append(self.nested_block(name, nested[name], f"{where}.{name}"))
        return out

    def nested_block(self, name: str, nb: Mapping[str, Any], where: str) -> Any:
        mode = str(nb.get("nesting_mode", "list"))
        lo, hi = max(int(nb.get("min_items", 0)), 0), max(int(nb.get("max_items", 0)), 0)
        inner = nb.get("block") or {}
        if mode == "set" and _block_has_dynamic(inner):
            self._note(where, "set block holding a dynamic attribute: served as a list block")
            mode = "list"
        if mode not in _BLOCK_NESTING:
            self._note(where, f"unknown nesting {mode!r}: served as list")
            mode = "list"
        if mode == "single" and (lo != hi or hi > 1):
            lo = hi = 0
        elif mode in ("group", "map"):
            lo = hi = 0
        elif hi and lo > hi:
            hi = 0
        return pb.Schema.NestedBlock(
            type_name=name, block=self.block(inner, where),
            nesting=_BLOCK_NESTING[mode], min_items=lo, max_items=hi,
        )

    def attribute(self, name: str, attr: Mapping[str, Any], where: str) -> Any:
        req, opt, comp = (bool(attr.get(k)) for k in ("required", "optional", "computed"))
        if req and (opt or comp):
            # Prefer the reading that cannot invent a "Missing required argument".
            self._note(where, "required together with optional/computed: served as optional")
            req, opt = False, True
        if not (req or opt or comp):
            opt = True
        out = pb.Schema.Attribute(
            name=name, required=req, optional=opt, computed=comp,
            sensitive=bool(attr.get("sensitive")), deprecated=bool(attr.get("deprecated")),
        )
        if "nested_type" in attr:
            out.nested_type.CopyFrom(self.nested_object(attr["nested_type"], where))
        else:
            cty_type = _no_dynamic_sets(attr.get("type", "dynamic"))
            out.type = json.dumps(cty_type, separators=(",", ":")).encode()
        return out

    def nested_object(self, obj: Mapping[str, Any], where: str) -> Any:
        mode = str(obj.get("nesting_mode", "single"))
        attrs = obj.get("attributes") or {}
        if mode == "set" and _attrs_have_dynamic(attrs):
            self._note(where, "set of objects holding a dynamic attribute: served as a list")
            mode = "list"
        out = pb.Schema.Object(
            nesting=_OBJECT_NESTING.get(mode, 1),
            min_items=max(int(obj.get("min_items", 0)), 0),
            max_items=max(int(obj.get("max_items", 0)), 0),
        )
        for name in sorted(attrs):
            out.attributes.append(self.attribute(name, attrs[name], f"{where}.{name}"))
        return out
