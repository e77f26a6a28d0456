"""``archc-manifest.json``: where every model element landed in every output.

Written by ``archc build`` as the last file of the output directory, read by ``archc
verify``. For each service and connection it lists the Terraform addresses that
implement it, its diagram node or edge id and the views that draw it, and its docs page
or anchor (all named through :mod:`compiler.names`); a service with an escape hatch also
lists its overrides (the addresses each changed, its anchor) and extra resources; then the sha256 of every other
generated file. Keys are sorted and nothing depends on the machine, so the manifest is
as reproducible as the files it describes.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from compiler.names import (
    DIAGRAM_VIEWS,
    diagram_edge_id,
    diagram_file,
    diagram_layer_view,
    diagram_node_id,
    doc_edge_anchor,
    doc_override_anchor,
    doc_service_page,
)

if TYPE_CHECKING:
    from compiler.pipeline import BuildResult

MANIFEST = "archc-manifest.json"
FORMAT = 1


def manifest_bytes(result: BuildResult) -> bytes:
    """The manifest of a build; call it once every other file is in ``result.files``."""
    files = {rel: content for rel, content in result.files.items() if rel != MANIFEST}
    owned: dict[str, list[str]] = {}
    for address, owner in result.owners.items():
        owned.setdefault(owner, []).append(address)
    edge_resources = result.edge_resources
    views = {view: diagram_ids(files[diagram_file(view, "dot")].decode()) for view in drawn_views(files)}
    services = {
        sid: {
            "kind": node.kind,
            "layer": node.layer,
            "terraform": sorted(owned.get(sid, [])),
            "diagram": {"node": diagram_node_id(sid), "views": [v for v in views if diagram_node_id(sid) in views[v][0]]},
            "docs": {"page": doc_service_page(sid)},
        }
        for sid, node in result.arch.services.items()
    }
    for sid, hatch in hatch_entries(result).items():  # only services that use the escape hatch: no empty keys
        services[sid].update(hatch)
    connections = {
        edge.id: {
            "from": edge.source,
            "to": edge.target,
            "via": edge.via,
            "terraform": sorted(edge_resources.get(edge.id, [])),
            # What it compiled into, by element (realization.py): what the docs' "Realized by" shows.
            "realization": [{"element": p.element, "address": p.address, "detail": p.detail} for p in result.stack.parts(edge.id)],
            "diagram": {"edge": diagram_edge_id(edge), "views": [v for v in views if diagram_edge_id(edge) in views[v][1]]},
            "docs": {"page": doc_service_page(edge.source), "anchor": doc_edge_anchor(edge)},
        }
        for edge in result.arch.edges
    }
    body: dict[str, Any] = {
        "archc_manifest": FORMAT,
        "architecture": result.arch.name,
        "services": services,
        "connections": connections,
        "other_owners": {owner: sorted(a) for owner, a in owned.items() if owner not in result.arch.services},
        "files": {rel: hashlib.sha256(content).hexdigest() for rel, content in sorted(files.items())},
    }
    if result.arch.stacks:  # stacks:, in dependency order (compiler/terraform/stacks.py); the remote state reads are theirs
        from compiler.terraform.stacks import split

        body["stacks"] = [{"name": p.name, "reads": sorted(p.reads)} for p in split(result.stack)]
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def hatch_entries(result: BuildResult) -> dict[str, dict[str, Any]]:
    """Service id -> its escape hatch as built: each override (its entry, target, the
    addresses it changed, what it opened and why, its docs anchor) and its extra resources."""
    out: dict[str, dict[str, Any]] = {}
    for ov in result.stack.overrides:
        out.setdefault(ov.service, {}).setdefault("overrides", []).append(
            {
                "entry": ov.entry,
                "target": ov.target,
                "terraform": list(ov.addresses),
                "attributes": list(ov.attributes),
                "changes": list(ov.how),
                "opens": list(ov.opened),
                "reason": ov.reason,
                "docs": {"page": doc_service_page(ov.service), "anchor": doc_override_anchor(ov.index)},
            }
        )
    for r in result.stack.resources.values():
        if r.extra:
            out.setdefault(r.owner, {}).setdefault("extra_resources", []).append(r.address)
    return out


def drawn_views(files: Mapping[str, object]) -> list[str]:
    """The views a build drew, from its files: ``DIAGRAM_VIEWS`` first, then the layers'
    detail views (``layers/<layer>``, drawn above the node budget) by name."""
    found = {rel.removeprefix("diagrams/").removesuffix(".dot") for rel in files if rel.startswith("diagrams/") and rel.endswith(".dot")}
    return [v for v in DIAGRAM_VIEWS if v in found] + sorted(found - set(DIAGRAM_VIEWS))


def home_view(layer: str, views: list[str]) -> str:
    """The view that must draw every service of a layer and every connection from it:
    the layer's detail view when the build drew one (the overview then shows layers),
    else the overview."""
    detail = diagram_layer_view(layer)
    return detail if detail in views else "overview"


_DOT_NODE = re.compile(r'^\s*"?([A-Za-z0-9_][A-Za-z0-9_-]*)"?\s*\[', re.MULTILINE)
_DOT_KEYWORDS = {"graph", "node", "edge", "subgraph", "digraph"}
_DOT_ID = re.compile(r'\bid="([^"]*)"')
_DOT_CLASS = re.compile(r'\bclass="([^"]*)"')
_SVG_NODE_TITLE = re.compile(r'class="node"[^>]*>\s*<title>([^<]*)</title>')
_SVG_EDGE = re.compile(r'<g id="([^"]*)" class="edge((?: [^"]*)?)"')


def diagram_ids(dot: str) -> tuple[set[str], set[str]]:
    """Node ids and edge ids of a DOT text: graphviz ``id`` attributes on edges, and the
    connections a summary edge stands for (its ``class``: "monitors every service of the layer")."""
    nodes = {n for n in _DOT_NODE.findall(dot) if n not in _DOT_KEYWORDS}
    named = [html.unescape(i) for i in _DOT_ID.findall(dot)]
    named += [i for c in _DOT_CLASS.findall(dot) for i in html.unescape(c).split()]
    return nodes, {i for i in named if "->" in i}


def svg_ids(svg: str) -> tuple[set[str], set[str]]:
    """Node ids (their ``<title>``) and edge ids of an SVG rendered by graphviz (as in
    :func:`diagram_ids`: with the connections a summary edge's ``class`` names)."""
    edges = set()
    for edge_id, classes in _SVG_EDGE.findall(svg):
        edges |= {html.unescape(edge_id), *html.unescape(classes).split()}
    return {html.unescape(t) for t in _SVG_NODE_TITLE.findall(svg)}, edges
