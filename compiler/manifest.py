"""``archc-manifest.json``: where every model element landed in every output.

Written by ``archc build`` as the last file of the output directory, read by ``archc
verify``. For each service and connection it lists the Terraform addresses that
implement it, its diagram node or edge id and the views that draw it, and its docs page
or anchor (all named through :mod:`compiler.names`); then the sha256 of every other
generated file. Keys are sorted and nothing depends on the machine, so the manifest is
as reproducible as the files it describes.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import TYPE_CHECKING, Any

from compiler.names import DIAGRAM_VIEWS, diagram_edge_id, diagram_file, diagram_node_id, doc_edge_anchor, doc_service_page

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
    views = {view: diagram_ids(files.get(diagram_file(view, "dot"), b"").decode()) for view in DIAGRAM_VIEWS}
    services = {
        sid: {
            "kind": node.kind,
            "layer": node.layer,
            "terraform": sorted(owned.get(sid, [])),
            "diagram": {"node": diagram_node_id(sid), "views": [v for v in DIAGRAM_VIEWS if diagram_node_id(sid) in views[v][0]]},
            "docs": {"page": doc_service_page(sid)},
        }
        for sid, node in result.arch.services.items()
    }
    connections = {
        edge.id: {
            "from": edge.source,
            "to": edge.target,
            "via": edge.via,
            "terraform": sorted(edge_resources.get(edge.id, [])),
            "diagram": {"edge": diagram_edge_id(edge), "views": [v for v in DIAGRAM_VIEWS if diagram_edge_id(edge) in views[v][1]]},
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
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


_DOT_NODE = re.compile(r'^\s*"?([A-Za-z0-9_][A-Za-z0-9_-]*)"?\s*\[', re.MULTILINE)
_DOT_KEYWORDS = {"graph", "node", "edge", "subgraph", "digraph"}
_DOT_ID = re.compile(r'\bid="([^"]*)"')
_SVG_NODE_TITLE = re.compile(r'class="node"[^>]*>\s*<title>([^<]*)</title>')
_SVG_EDGE_ID = re.compile(r'<g id="([^"]*)" class="edge"')


def diagram_ids(dot: str) -> tuple[set[str], set[str]]:
    """Node ids and edge ids of a DOT text (graphviz ``id`` attributes on edges)."""
    nodes = {n for n in _DOT_NODE.findall(dot) if n not in _DOT_KEYWORDS}
    edges = {html.unescape(i) for i in _DOT_ID.findall(dot) if "->" in html.unescape(i)}
    return nodes, edges


def svg_ids(svg: str) -> tuple[set[str], set[str]]:
    """Node ids (their ``<title>``) and edge ids of an SVG rendered by graphviz."""
    return {html.unescape(t) for t in _SVG_NODE_TITLE.findall(svg)}, {html.unescape(i) for i in _SVG_EDGE_ID.findall(svg)}
