#!/usr/bin/env python3
"""Derive the hashicorp/aws provider schema, offline, from cdktn-provider-aws.

Usage::

    python tools/extract_aws_schema.py WHEEL_OR_DIR \
        --out compiler/terraform/aws_provider_schema.jsonl.gz

WHEEL_OR_DIR is the ``cdktn_provider_aws-*.whl`` (get it with
``pip download --no-deps cdktn-provider-aws==25.8.1``), an unzipped wheel, or
any directory containing the ``_jsii/*.jsii.tgz`` tarball.

The output holds the document ``terraform providers schema -json`` prints
(format_version "1.0"), for ``registry.terraform.io/hashicorp/aws`` only, plus
a top-level ``archc_source`` key naming the bindings it was derived from, as JSON
lines so that archc parses only the resource types a model uses (the whole
document is 3 MB of JSON, ~0.1 s to parse): the first line is the document without
its schema tables, then one line ``[table, type name, schema]`` per resource type,
data source and ephemeral resource, in name order. It is written with sorted keys,
compact separators and a gzip header without file name and with mtime 0, so two
runs give byte-identical files.

Where the information comes from (the big ``.jsii`` JSON is never loaded, which
keeps the run at a small fraction of the memory it would need):

* ``lib/<module>/index.js`` (and ``index-structs/*.js`` of the largest ones),
  the compiled generated code:

  - ``// <tf_name> - computed: X, optional: Y, required: Z`` comments above
    every attribute of the resource class and of every ``*OutputReference``
    class give the flags, also for computed-only attributes.
  - ``synthesizeHclAttributes`` / ``*ToHclTerraform`` give, for every settable
    attribute, ``type`` (simple/list/set/map/struct) and ``storageClassType``
    (string, numberList, stringMap, <StructClass>...), and whether a struct is
    mapped as a collection (``listMapperHcl``) or a single item.
  - getters (``getStringAttribute``, ``Fn.tolist(getListAttribute(..))``,
    ``new XList(this, "x", wrapsSet)``...) type the computed-only attributes.

* ``lib/<module>/index.d.ts``: the JSDoc of each config property. The
  generator documents a nested *block* as ``<name> block``, an attribute with
  the provider's description; that is the only place telling a block from an
  attribute whose type is an object.

Decisions and known gaps (the bindings do not carry this information):

* ``version`` of every schema is 0 (the real provider has e.g. 1 for
  aws_instance / aws_security_group, 2 for aws_db_instance).
* ``sensitive``, ``deprecated``, descriptions: not in the bindings, omitted.
  ``write_only`` is kept (``markWriteOnlyAttribute``).
* Blocks: single-item struct + hcl type "struct" -> nesting "single";
  single-item struct + "list"/"set" -> that nesting with ``max_items`` 1;
  collection -> list/set by ``wrapsSet``/hcl type; required -> ``min_items``
  1. Other ``min_items``/``max_items`` values are not recoverable.
* Attributes whose type is an object (SDKv2 ``ConfigModeAttr`` such as
  ``aws_security_group.ingress``/``egress``, computed lists of objects) are
  emitted as attributes of type ``[set|list|map, [object, {...}]]``, which is
  what the real provider reports (Terraform core lets block syntax assign
  them). The bindings mark such struct properties ``isBlock: true``, so that
  flag is ignored; the JSDoc decides.
* The generator gives every field of an object type the parent's flags but
  keeps a plugin-framework nested attribute's own flags; when the fields'
  flags differ from the parent's the attribute is emitted as ``nested_type``.
  A nested attribute whose fields all happen to share the parent's flags is
  indistinguishable from an object type and is emitted as one.
* Nested collection element kinds are lost for the inner level
  (``stringListList`` -> list of list of string, inner kind assumed list).
* Attributes the generator skipped (typed ``any``, e.g. the huge quicksight
  ``definition`` blocks and wafv2 ``rule.statement``) or made recursive are
  emitted as ``dynamic`` attributes, keeping their flags. Terraform rejects a
  dynamic type inside a set block (aws_wafv2_web_acl.rule,
  aws_wafv2_rule_group.rule); whoever serves the schema must adapt those.
* The ``alias`` attribute the generator adds to the provider config is a
  meta-argument and is dropped.
* Ephemeral resources are included under ``ephemeral_resource_schemas``;
  provider functions, list resources and actions are not in the bindings.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
import tarfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

PROVIDER_ADDR = "registry.terraform.io/hashicorp/aws"

# --- patterns over the compiled JavaScript --------------------------------
# Top-level function/class: starts at column 0, ends at the first "}" line.
UNIT_RE = re.compile(r"^(function|class) (\w+)([^\n]*)\n(.*?)^\}$", re.M | re.S)
FLAGS_RE = re.compile(
    r"^    // (\w+) - computed: (true|false), optional: (true|false), "
    r"required: (true|false)$",
    re.M,
)
HCL_RE = re.compile(
    r'^\s*"?(\w+)"?: \{\n\s*value: (.*?),\n\s*isBlock: (?:true|false),\n'
    r'\s*type: "(\w+)",\n\s*storageClassType: "(\w+)",\n\s*\}',
    re.M | re.S,
)
HCL_BODY_RE = re.compile(r"synthesizeHclAttributes\(\) \{\n(.*?)\n    \}\n", re.S)
TF_TYPE_RE = re.compile(r'static tfResourceType = "(\w+)";')
NEW_RE = re.compile(r'new (?:(\w+)\.)?(\w+)\(this, "(\w+)"(?:, (true|false))?\)')
GETTER_RE = re.compile(r"return (.*?);\n")
LIST_GET_RE = re.compile(r"get\(\w+\) \{\n\s*return new (?:\w+\.)?(\w+)\(")
STRUCT_FN_RE = re.compile(r"(?:(\w+)\.)?(\w+)ToHclTerraform\b")
SECTION_RE = re.compile(r"^    // =+$", re.M)

# --- patterns over the .d.ts ----------------------------------------------
IFACE_RE = re.compile(r"^export interface (\w+)[^\n]*\{\n(.*?)^\}$", re.M | re.S)
PROP_RE = re.compile(r"/\*\*(.*?)\*/\s*readonly (\w+)(\?)?:", re.S)
DOC_NAME_RE = re.compile(r"\{@link \S+#(\w+) \w+#\w+\}")
CTOR_RE = re.compile(
    r"^export declare class (\w+) extends cdktn\.Terraform\w+ \{.*?"
    r"constructor\(scope: Construct, id: string, config\??: (\w+)\);",
    re.M | re.S,
)

BASE_KIND = {
    "cdktn.TerraformResource": "resource",
    "cdktn.TerraformDataSource": "data",
    "cdktn.TerraformEphemeralResource": "ephemeral",
    "cdktn.TerraformProvider": "provider",
}
PRIMITIVE = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}
GETTER_TYPE: dict[str, Any] = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getBooleanListAttribute": ["list", "bool"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
    "getAnyMapAttribute": ["map", "dynamic"],
}

Flags = tuple[bool, bool, bool]  # computed, optional, required


@dataclass
class Member:
    """One attribute as seen in a class: flags and a digest of its getter."""

    flags: Flags
    new: tuple[str, str, bool | None] | None  # (module prefix, class, wrapsSet)
    getter: str


@dataclass
class Hcl:
    """One ``attr: {value, isBlock, type, storageClassType}`` entry."""

    value: str
    type: str
    storage: str


@dataclass
class Module:
    """What one lib/<module> directory contributes, keyed by lower-case names."""

    mains: list[tuple[str, str, str, dict[str, Hcl], dict[str, Member]]] = field(
        default_factory=list
    )  # (kind, tf type, class, hcl entries, members)
    hcl: dict[str, dict[str, Hcl]] = field(default_factory=dict)  # struct -> entries
    refs: dict[str, dict[str, Member]] = field(default_factory=dict)  # struct -> members
    elems: dict[str, str] = field(default_factory=dict)  # List/Map class -> struct
    ifaces: dict[str, dict[str, tuple[bool, bool]]] = field(default_factory=dict)
    config_iface: dict[str, str] = field(default_factory=dict)  # class -> interface


def parse_members(body: str) -> dict[str, Member]:
    """Read the flag comments of a class and digest the getter after each."""
    end = len(body)
    out: dict[str, Member] = {}
    matches = list(FLAGS_RE.finditer(body))
    for i, m in enumerate(matches):
        stop = matches[i + 1].start() if i + 1 < len(matches) else end
        seg = body[m.end() : stop]
        sec = SECTION_RE.search(seg)  # the last attribute runs into "// ====="
        if sec:
            seg = seg[: sec.start()]
        name = m.group(1)
        new = None
        for n in NEW_RE.finditer(seg):
            if n.group(3) == name:
                wraps = None if n.group(4) is None else n.group(4) == "true"
                new = (n.group(1) or "", n.group(2), wraps)
                break
        g = GETTER_RE.search(seg)
        out[name] = Member(
            flags=(m.group(2) == "true", m.group(3) == "true", m.group(4) == "true"),
            new=new,
            getter=g.group(1) if g else "",
        )
    return out


def parse_hcl(body: str) -> dict[str, Hcl]:
    """Parse the entries of an ``attrs = {...}`` HCL mapping."""
    return {m.group(1): Hcl(m.group(2), m.group(3), m.group(4)) for m in HCL_RE.finditer(body)}


def parse_js(mod: Module, text: str) -> None:
    """Collect classes and *ToHclTerraform functions of one JS file."""
    for m in UNIT_RE.finditer(text):
        kind, name, rest, body = m.groups()
        if kind == "function":
            if name.endswith("ToHclTerraform"):
                mod.hcl[name[: -len("ToHclTerraform")].lower()] = parse_hcl(body)
            continue
        base = rest.split("extends ", 1)[-1].split(" ")[0]
        if base in ("cdktn.ComplexList", "cdktn.ComplexMap"):
            g = LIST_GET_RE.search(body)
            if g:
                mod.elems[name.lower()] = g.group(1).removesuffix("OutputReference").lower()
        elif base == "cdktn.ComplexObject":
            mod.refs[name.removesuffix("OutputReference").lower()] = parse_members(body)
        elif base in BASE_KIND:
            t = TF_TYPE_RE.search(body)
            hb = HCL_BODY_RE.search(body)
            mod.mains.append(
                (
                    BASE_KIND[base],
                    t.group(1) if t else "",
                    name,
                    parse_hcl(hb.group(1)) if hb else {},
                    parse_members(body),
                )
            )


def parse_dts(mod: Module, text: str) -> None:
    """Collect, per interface, each property's (optional, documented-as-block)."""
    for m in IFACE_RE.finditer(text):
        props: dict[str, tuple[bool, bool]] = {}
        for p in PROP_RE.finditer(m.group(2)):
            doc = p.group(1)
            dn = DOC_NAME_RE.search(doc)
            if not dn:
                continue
            tf = dn.group(1)
            first = doc.strip().lstrip("*").strip().split("\n", 1)[0].strip()
            props[tf] = (p.group(3) == "?", first == f"{tf} block")
        mod.ifaces[m.group(1).lower()] = props
    for c in CTOR_RE.finditer(text):
        mod.config_iface[c.group(1)] = c.group(2).lower()


# --- building Terraform schema blocks -------------------------------------
class Builder:
    """Turns one module's parsed pieces into Terraform schema blocks."""

    def __init__(self, mod: Module, stats: Counter[str]) -> None:
        self.mod = mod
        self.stats = stats

    def block(
        self,
        hcl: dict[str, Hcl],
        members: dict[str, Member],
        iface: dict[str, tuple[bool, bool]],
        stack: tuple[str, ...],
        skip: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """Build ``{"attributes":..., "block_types":...}`` for one struct."""
        attrs: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        for name in list(members) + [n for n in hcl if n not in members]:
            if name in skip:
                continue
            if name in members:
                flags = members[name].flags
            elif name in iface:  # provider structs have no OutputReference class
                flags = (False, iface[name][0], not iface[name][0])
            else:
                flags = (False, True, False)
                self.stats["flags_guessed"] += 1
            h, mem = hcl.get(name), members.get(name)
            struct = self.struct_of(h, mem)
            if struct is None:
                attrs[name] = self.attribute(self.primitive(h, mem), flags, h)
                continue
            child_name, mode, single = struct
            if child_name in stack or (child_name not in self.mod.refs and child_name not in self.mod.hcl):
                self.stats["dynamic_recursive_or_unknown"] += 1
                attrs[name] = self.attribute("dynamic", flags, h)
                continue
            child = self.block(
                self.mod.hcl.get(child_name, {}),
                self.mod.refs.get(child_name, {}),
                self.mod.ifaces.get(child_name, {}),
                (*stack, child_name),
            )
            if iface.get(name, (False, False))[1]:
                if flags[0]:
                    self.stats["block_flagged_computed"] += 1
                blocks[name] = self.block_type(child, mode, single, flags)
            else:
                attrs[name] = self.struct_attribute(child, mode, flags, members, child_name)
        out: dict[str, Any] = {}
        if attrs:
            out["attributes"] = attrs
        if blocks:
            out["block_types"] = blocks
        return out

    def struct_of(self, h: Hcl | None, mem: Member | None) -> tuple[str, str, bool] | None:
        """Return (child struct, nesting mode, single item) when struct-typed."""
        if h is not None and h.storage[:1].isupper():
            fns = [f for p, f in STRUCT_FN_RE.findall(h.value) if p != "cdktn"]
            if not fns:
                return None
            value = h.value.lstrip()
            if value.startswith("cdktn.listMapperHcl("):
                return fns[0].lower(), h.type, False
            if value.startswith("cdktn.hashMapperHcl("):
                return fns[0].lower(), "map", False
            return fns[0].lower(), "single" if h.type == "struct" else h.type, True
        if mem is not None and mem.new is not None and mem.new[0] != "cdktn":
            cls = mem.new[1].lower()
            if cls in self.mod.elems:
                mode = "map" if cls.endswith("map") and mem.new[2] is None else ("set" if mem.new[2] else "list")
                return self.mod.elems[cls], mode, False
            return cls.removesuffix("outputreference"), "single", True
        return None

    def primitive(self, h: Hcl | None, mem: Member | None) -> Any:
        """Type of a non-struct attribute, from storageClassType or getter."""
        if h is not None:
            m = re.fullmatch(r"(string|number|boolean|any)((?:List|Map)*)", h.storage)
            if m:
                t: Any = PRIMITIVE[m.group(1)]
                kinds = re.findall("List|Map", m.group(2))
                for i, k in enumerate(kinds):
                    # the outermost list's kind (list/set) is the hcl type
                    outer = i == len(kinds) - 1 and h.type in ("list", "set")
                    t = ["map", t] if k == "Map" else [h.type if outer else "list", t]
                return t
        if mem is not None:
            if mem.new is not None and mem.new[0] == "cdktn":
                m = re.fullmatch(r"(String|Number|Boolean|Any)((?:List|Map)*)", mem.new[1])
                if m:
                    t = PRIMITIVE[m.group(1).lower()]
                    for k in re.findall("List|Map", m.group(2)):
                        t = ["map" if k == "Map" else "list", t]
                    return t
            g = re.search(r"this\.(\w+)\(", mem.getter)
            if g and g.group(1) in GETTER_TYPE:
                t = GETTER_TYPE[g.group(1)]
                if "Fn.tolist(" in mem.getter and isinstance(t, list):
                    t = ["set", t[1]]
                return t
        self.stats["dynamic_untyped"] += 1
        return "dynamic"

    def attribute(self, typ: Any, flags: Flags, h: Hcl | None) -> dict[str, Any]:
        """Terraform attribute JSON from a cty type and flags."""
        computed, optional, required = flags
        a: dict[str, Any] = {"type": typ}
        if required:
            a["required"] = True
        else:
            if optional:
                a["optional"] = True
            if computed:
                a["computed"] = True
            if not optional and not computed:
                # cdktf marks some single blocks' fields neither way (#3570)
                a["optional"] = True
                self.stats["flags_none_made_optional"] += 1
        if h is not None and "markWriteOnlyAttribute(" in h.value:
            a["write_only"] = True
        return a

    @staticmethod
    def block_type(child: dict[str, Any], mode: str, single: bool, flags: Flags) -> dict[str, Any]:
        """Terraform block_types entry."""
        bt: dict[str, Any] = {"nesting_mode": mode, "block": child}
        if mode in ("list", "set"):
            if flags[2]:
                bt["min_items"] = 1
            if single:
                bt["max_items"] = 1
        return bt

    def struct_attribute(
        self,
        child: dict[str, Any],
        mode: str,
        flags: Flags,
        members: dict[str, Member],
        child_name: str,
    ) -> dict[str, Any]:
        """An object-typed attribute, or a nested_type one (see docstring)."""
        fields = self.mod.refs.get(child_name, {})
        nested = any(f.flags != flags for f in fields.values())
        attrs = child.get("attributes", {})
        if child.get("block_types"):
            self.stats["blocks_inside_attribute"] += 1
        if nested:
            self.stats["nested_type_attributes"] += 1
            a = self.attribute(None, flags, None)
            del a["type"]
            a["nested_type"] = {"attributes": attrs, "nesting_mode": mode}
            return a
        self.stats["object_attributes"] += 1
        obj: Any = ["object", {n: cty_of(v) for n, v in attrs.items()}]
        return self.attribute(obj if mode == "single" else [mode, obj], flags, None)


def cty_of(attr: dict[str, Any]) -> Any:
    """The cty type of an attribute, flattening nested_type to objects."""
    if "type" in attr:
        return attr["type"]
    nt = attr["nested_type"]
    obj = ["object", {n: cty_of(v) for n, v in nt["attributes"].items()}]
    return obj if nt["nesting_mode"] == "single" else [nt["nesting_mode"], obj]


# --- reading the package ----------------------------------------------------
def open_package(src: Path) -> tuple[BinaryIO, dict[str, str]]:
    """Return the jsii tarball stream and the wheel's METADATA headers."""
    meta: dict[str, str] = {}

    def read_meta(text: str) -> None:
        for line in text.splitlines():
            if not line.strip():
                break
            k, _, v = line.partition(": ")
            meta.setdefault(k, v)

    if src.is_file() and src.suffix == ".whl":
        with zipfile.ZipFile(src) as z:
            tgz = next(n for n in z.namelist() if n.endswith(".jsii.tgz"))
            mf = next((n for n in z.namelist() if n.endswith(".dist-info/METADATA")), None)
            if mf:
                read_meta(z.read(mf).decode())
            return io.BytesIO(z.read(tgz)), meta
    for meta_path in src.rglob("METADATA"):
        read_meta(meta_path.read_text())
    tgz_path = src if src.is_file() else next(src.rglob("*.jsii.tgz"))
    return tgz_path.open("rb"), meta


def load_modules(stream: BinaryIO) -> tuple[dict[str, Module], dict[str, Any]]:
    """Stream the tarball once, parsing JS and .d.ts files as they come."""
    modules: dict[str, Module] = {}
    package: dict[str, Any] = {}
    with tarfile.open(fileobj=stream, mode="r|gz") as tar:
        for member in tar:
            name = member.name
            if name == "package/package.json":
                package = json.load(tar.extractfile(member))  # type: ignore[arg-type]
                continue
            parts = name.split("/")
            if len(parts) < 4 or parts[1] != "lib" or not member.isfile():
                continue
            f = tar.extractfile(member)
            assert f is not None
            mod = modules.setdefault(parts[2], Module())
            if name.endswith(".d.ts"):
                parse_dts(mod, f.read().decode())
            elif name.endswith(".js"):
                parse_js(mod, f.read().decode())
    return modules, package


def build_schema(modules: dict[str, Module], stats: Counter[str]) -> dict[str, Any]:
    """Assemble the providers-schema document from all modules."""
    sections: dict[str, dict[str, Any]] = {
        "resource": {},
        "data": {},
        "ephemeral": {},
    }
    provider: dict[str, Any] = {}
    for key in sorted(modules):
        mod = modules[key]
        b = Builder(mod, stats)
        for kind, tf_type, cls, hcl, members in mod.mains:
            iface = mod.ifaces.get(mod.config_iface.get(cls, ""), {})
            skip = frozenset({"alias"}) if kind == "provider" else frozenset()
            block = b.block(hcl, members, iface, (), skip)
            if kind == "provider":
                provider = {"version": 0, "block": block}
            else:
                if tf_type in sections[kind]:
                    stats["duplicate_types"] += 1
                sections[kind][tf_type] = {"version": 0, "block": block}
    return {
        "provider": provider,
        "resource_schemas": sections["resource"],
        "data_source_schemas": sections["data"],
        "ephemeral_resource_schemas": sections["ephemeral"],
    }


def count(block: dict[str, Any], c: Counter[str]) -> None:
    """Count attributes and block types, recursively."""
    c["attributes"] += len(block.get("attributes", {}))
    for bt in block.get("block_types", {}).values():
        c["block_types"] += 1
        count(bt["block"], c)


TABLES = ("data_source_schemas", "ephemeral_resource_schemas", "resource_schemas")


def json_lines(doc: dict[str, Any]) -> bytes:
    """The document as JSON lines (see the module docstring); read by
    ``compiler/terraform/provider_schema.py``."""

    def dumps(value: object) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    provider = doc["provider_schemas"][PROVIDER_ADDR]
    head = {**doc, "provider_schemas": {PROVIDER_ADDR: {k: v for k, v in provider.items() if k not in TABLES}}}
    lines = [dumps(head)]
    for table in TABLES:
        lines += [dumps([table, name, schema]) for name, schema in sorted(provider.get(table, {}).items())]
    return ("\n".join(lines) + "\n").encode()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("source", type=Path, help="wheel, unzipped wheel or dir with *.jsii.tgz")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    stream, meta = open_package(args.source)
    modules, package = load_modules(stream)
    stats: Counter[str] = Counter()
    schemas = build_schema(modules, stats)
    prov = package.get("cdktn", package.get("cdktf", {})).get("provider", {})
    if prov.get("name") != PROVIDER_ADDR:
        sys.exit(f"unexpected provider in package.json: {prov.get('name')!r}")
    doc = {
        "format_version": "1.0",
        "provider_schemas": {PROVIDER_ADDR: schemas},
        "archc_source": {
            "package": meta.get("Name", "cdktn-provider-aws"),
            "package_version": meta.get("Version", package.get("version", "")),
            "provider_version": prov["version"],
        },
    }
    data = json_lines(doc)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    c: Counter[str] = Counter()
    for section in ("resource_schemas", "data_source_schemas", "ephemeral_resource_schemas"):
        for s in schemas[section].values():
            count(s["block"], c)
    print(
        f"resources={len(schemas['resource_schemas'])} "
        f"data_sources={len(schemas['data_source_schemas'])} "
        f"ephemeral={len(schemas['ephemeral_resource_schemas'])} "
        f"attributes={c['attributes']} block_types={c['block_types']} "
        f"json_bytes={len(data)} gz_bytes={args.out.stat().st_size} "
        f"seconds={time.perf_counter() - t0:.1f}",
        file=sys.stderr,
    )
    print("notes: " + ", ".join(f"{k}={v}" for k, v in sorted(stats.items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
