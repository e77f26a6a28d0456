"""The overview: layers as clusters in YAML order, services with their icons, connections
as labelled edges (the YAML label, else the port or access level).

Layout rules (each from looking at the examples' figures and the 100-service model):
- Where each service goes (bands of layers, rows, order in a row): ``layering.py``.
- Small models read left to right (a pipeline), larger ones top to bottom (layers); a
  very large one (``LARGE`` services) wraps its rows later (``PER_RANK_LARGE``): its rows
  stack per caller (``layering._wrap``), so a wider row keeps fewer edges between rows.
- Edges that run against the figure's order (a monitor watching the app, an app calling
  a layer above) are laid out reversed with ``dir=back``: they rank like the others and
  their labels sit on them, instead of looping back with a stray label.
- An edge leaving a layer from a row above its last passes an invisible point on the
  last row (and enters a layer through its first): otherwise dot runs it around the
  whole cluster. Only the segment between layers carries the label and the edge's id.
- One service watching or deploying to several services of a layer gets one edge to the
  layer ("monitors every service of the layer"), not one dashed line per service.
- Edge labels are real labels (dot reserves room for them; ``xlabel`` overlaps on large
  graphs), on curved splines (orthogonal splines cannot carry labels).
"""

from __future__ import annotations

import html
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import diagrams

from compiler.diagrams.canvas import FONT, MUTED, Canvas, Group, display_name, link_path, point_node, service_node
from compiler.diagrams.icons import Icon
from compiler.diagrams.layering import Layout, Summary, plan, summaries, waypoints
from compiler.flow import NOT_REQUESTS
from compiler.ir import Architecture, Edge
from compiler.names import diagram_edge_href, diagram_edge_id, diagram_node_id, diagram_reference_id, diagram_service_href

PER_RANK_TB = 6  # services side by side in a top-to-bottom figure before wrapping
PER_RANK_LR = 4  # services stacked in a left-to-right figure before wrapping
LARGE = 40  # services from which rows wrap after PER_RANK_LARGE
PER_RANK_LARGE = 10
LAYER_COLORS = ("#F4F8FB", "#F6FAF3", "#F7F5FB", "#FDFAF1")


def direction(arch: Architecture) -> str:
    """Left to right for small models (a pipeline reads best), top to bottom for the rest."""
    widest = max((len(layer.services) for layer in arch.layers), default=0)
    return "LR" if len(arch.layers) <= 4 and widest <= PER_RANK_LR else "TB"


def per_row_for(arch: Architecture, rankdir: str) -> int:
    """Services in one row (a column, left to right) before it wraps."""
    if len(arch.services) >= LARGE:
        return PER_RANK_LARGE
    return PER_RANK_LR if rankdir == "LR" else PER_RANK_TB


def chunks(items: Sequence[str], size: int) -> list[list[str]]:
    """Split into runs of at most ``size``.

    >>> chunks(["a", "b", "c"], 2)
    [['a', 'b'], ['c']]
    """
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


@dataclass(frozen=True)
class Route:
    """One connection (or summary) as drawn: its nodes from upper to lower, waypoints between."""

    nodes: list[str]
    edge_id: str
    label: str
    backward: bool
    labelled: int  # index of the segment that carries the label and the id
    attrs: dict[str, str]


@dataclass
class Routes:
    paths: list[Route] = field(default_factory=list)
    points: dict[str, tuple[str, int]] = field(default_factory=dict)  # waypoint id -> (layer, rank)


def overview(arch: Architecture, icons: dict[str, Icon], view: str = "overview", sizes: dict[str, int] | None = None) -> str:
    """The DOT text of the overview. A layer's detail view (``layers.py``) is this drawing
    of part of the model: ``view`` names the figure (its links are relative to it),
    ``sizes`` the services of each whole layer (for the summary edges' labels)."""
    rankdir = direction(arch)
    layout = plan(arch, per_row_for(arch, rankdir))
    routes = _routes(arch, layout, view, sizes)
    graph = {"newrank": "true", "splines": "spline", "nodesep": "0.5", "ranksep": "0.6", "compound": "true"}
    nodes: dict[str, diagrams.Node] = {}
    by_rank: dict[int, list[str]] = defaultdict(list)
    with Canvas(view.replace("/", "-"), rankdir, graph) as canvas:
        for index, layer in enumerate(arch.layers):
            with Group(f"layer_{layer.name}", layer.title, {"bgcolor": LAYER_COLORS[index % len(LAYER_COLORS)]}):
                for sid in itertools.chain.from_iterable(layout.rows[layer.name]):
                    svc = arch.services[sid]
                    title, extra = display_name(svc)
                    if getattr(svc.spec, "monitor_all", False):  # no edge says it: the figure must
                        extra = " · ".join(filter(None, (extra, "monitors every service")))
                    href = diagram_service_href(sid, view)
                    nodes[sid] = service_node(diagram_node_id(sid), title, extra, icons[svc.spec.info.icon], href=href)
                    by_rank[layout.rank[sid]].append(diagram_node_id(sid))
                for point, (point_layer, rank) in routes.points.items():
                    if point_layer == layer.name:
                        nodes[point] = point_node(point)
                        by_rank[rank].append(point)
        for rank in sorted(by_rank):
            canvas.dot.body.append("\t{rank=same; " + " ".join(f'"{n}"' for n in by_rank[rank]) + "}\n")
        _chain(canvas, layout)
        for route in routes.paths:
            link_path([nodes[n] for n in route.nodes], route.edge_id, route.label, route.backward, route.labelled,
                      fontname=FONT, fontsize="11", **route.attrs)  # fmt: skip
    return str(canvas.source)


def _routes(arch: Architecture, layout: Layout, view: str, sizes: dict[str, int] | None) -> Routes:
    """Every connection's path through the layout, summaries in place of the edges they cover."""
    layer_of = {sid: svc.layer for sid, svc in arch.services.items()}
    routes = Routes()
    summarized = summaries(arch, sizes)
    covered = {e.id for s in summarized for e in s.edges}
    for edge in arch.edges:
        if edge.id not in covered:
            attrs = _edge_style(edge) | {"href": diagram_edge_href(edge, view), "tooltip": edge.label or edge.id}
            _add_route(routes, layout, layer_of, edge.source, edge.target, diagram_edge_id(edge), edge_label(edge), attrs)
    for summary in summarized:
        _add_summary(routes, layout, layer_of, summary)
    for ref in arch.references:
        if ref.drawn:  # a setting, not traffic: dashed, and not the request path
            attrs = {
                "style": "dashed",
                "color": "#B2BEC3",
                "fontcolor": MUTED,
                "arrowhead": "vee",
                "href": diagram_service_href(ref.source, view),
            }
            _add_route(routes, layout, layer_of, ref.source, ref.target, diagram_reference_id(ref), ref.label, attrs)
    return routes


def _add_route(
    routes: Routes, layout: Layout, layer_of: dict[str, str], source: str, target: str, edge_id: str, label: str, attrs: dict[str, str]
) -> Route:
    backward = layout.rank[source] > layout.rank[target]
    upper, lower = (target, source) if backward else (source, target)
    if layout.rank[source] == layout.rank[target]:
        attrs = attrs | {"constraint": "false"}
    path = [upper]
    for layer, rank in waypoints(layout, layer_of, upper, lower):
        point = f"{edge_id}~{len(path)}"
        routes.points[point] = (layer, rank)
        layer_of[point] = layer
        path.append(point)
    path.append(lower)
    crossing = next((i for i in range(len(path) - 1) if layer_of[path[i]] != layer_of[path[i + 1]]), 0)
    route = Route(path, edge_id, label, backward, crossing, attrs)
    routes.paths.append(route)
    return route


def _add_summary(routes: Routes, layout: Layout, layer_of: dict[str, str], summary: Summary) -> None:
    """One edge from the source to the layer's cluster (clipped at its border), to the
    middle service of the row nearest the source."""
    rows = layout.rows[summary.layer]
    below = layout.rank[summary.source] < layout.first_rank(summary.layer)
    row = rows[0] if below else rows[-1]
    anchor = row[len(row) // 2]
    cluster = f"cluster_layer_{summary.layer}"
    attrs = {"style": "dashed", "color": "#B2BEC3", "class": " ".join(e.id for e in summary.edges)}
    attrs |= {"lhead": cluster} if below else {"ltail": cluster}
    _add_route(routes, layout, layer_of, summary.source, anchor, summary.id, summary.label, attrs)


def edge_label(edge: Edge) -> str:
    """The connection's label, with its port or access level under it when the YAML
    label says something else ("transactions" / "TCP 5432")."""
    detail = edge.access or (f"{(edge.protocol or 'tcp').upper()} {edge.port}" if edge.port is not None else "")
    if not detail or detail == edge.label or not edge.label:
        return edge.label or detail
    return f'<{html.escape(edge.label, quote=False)}<BR/><FONT POINT-SIZE="9" COLOR="{MUTED}">{detail}</FONT>>'


def _chain(canvas: Canvas, layout: Layout) -> None:
    """Invisible edges keep the ranks in order (rank r above rank r+1) and sibling layers
    of a band in YAML order; weight 0, so they order without pulling anything in line."""
    firsts: dict[int, str] = {}
    for rows in layout.rows.values():
        for row in rows:
            firsts.setdefault(layout.rank[row[0]], row[0])
    ranks = sorted(firsts)
    for upper, lower in itertools.pairwise(ranks):
        canvas.dot.edge(diagram_node_id(firsts[upper]), diagram_node_id(firsts[lower]), style="invis", weight="0")
    for band in layout.bands:
        placed = [name for name in band if layout.rows[name]]  # a layer may hold no services yet
        for left, right in itertools.pairwise(placed):
            canvas.dot.edge(diagram_node_id(layout.rows[left][0][-1]), diagram_node_id(layout.rows[right][0][0]), style="invis")


def _edge_style(edge: Edge) -> dict[str, str]:
    if edge.via in NOT_REQUESTS:  # watching, deploying, building: not the request path
        return {"style": "dashed", "color": "#B2BEC3"}
    return {}
