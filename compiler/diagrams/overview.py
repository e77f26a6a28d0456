"""The overview: layers as clusters in YAML order, services with their icons, connections
as labelled edges (the YAML label, else the port or access level).

Layout rules (each from looking at the examples' figures):
- Each layer is one band of ranks, bands in YAML order (invisible edges chain them), so
  the figure reads like the model. A layer wider than ``PER_RANK`` services wraps onto
  several ranks instead of growing one very wide row.
- Small models read left to right (a pipeline), larger ones top to bottom (layers).
- Edges that run against the layer order (a monitor watching the app, an app calling a
  layer above) are laid out reversed with ``dir=back``: they rank like the others and
  their labels sit on them, instead of looping back with a stray label.
- Edge labels are real labels (dot reserves room for them; ``xlabel`` overlaps on large
  graphs), on curved splines (orthogonal splines cannot carry labels).
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence

import diagrams

from compiler.diagrams.canvas import FONT, MUTED, Canvas, Group, display_name, link, service_node
from compiler.diagrams.icons import Icon
from compiler.flow import NOT_REQUESTS
from compiler.ir import Architecture, Edge
from compiler.names import diagram_edge_id, diagram_node_id

PER_RANK_TB = 6  # services side by side in a top-to-bottom figure before wrapping
PER_RANK_LR = 4  # services stacked in a left-to-right figure before wrapping
LAYER_COLORS = ("#F4F8FB", "#F6FAF3", "#F7F5FB", "#FDFAF1")


def direction(arch: Architecture) -> str:
    """Left to right for small models (a pipeline reads best), top to bottom for the rest."""
    widest = max((len(layer.services) for layer in arch.layers), default=0)
    return "LR" if len(arch.layers) <= 4 and widest <= PER_RANK_LR else "TB"


def chunks(items: Sequence[str], size: int) -> list[list[str]]:
    """Split into runs of at most ``size``.

    >>> chunks(["a", "b", "c"], 2)
    [['a', 'b'], ['c']]
    """
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def overview(arch: Architecture, icons: dict[str, Icon]) -> str:
    """The DOT text of the overview."""
    rankdir = direction(arch)
    per_rank = PER_RANK_LR if rankdir == "LR" else PER_RANK_TB
    graph = {"newrank": "true", "splines": "spline", "nodesep": "0.5", "ranksep": "0.6", "compound": "true"}
    nodes: dict[str, diagrams.Node] = {}
    with Canvas("overview", rankdir, graph) as canvas:
        ranks: list[list[str]] = []
        for index, layer in enumerate(arch.layers):
            color = LAYER_COLORS[index % len(LAYER_COLORS)]
            with Group(f"layer_{layer.name}", layer.title, {"bgcolor": color}) as group:
                for rank in _layer_ranks(arch, layer.services, per_rank):
                    for sid in rank:
                        svc = arch.services[sid]
                        nodes[sid] = service_node(diagram_node_id(sid), *display_name(svc), icons[svc.spec.info.icon])
                    group.dot.body.append("{rank=same; " + " ".join(f'"{diagram_node_id(s)}"' for s in rank) + "}\n")
                    ranks.append(rank)
        _chain(canvas, ranks)
        order = {sid: i for i, rank in enumerate(ranks) for sid in rank}
        for edge in arch.edges:
            backward = order[edge.source] > order[edge.target]
            attrs = _edge_style(edge, same_rank=order[edge.source] == order[edge.target])
            link(nodes[edge.source], nodes[edge.target], diagram_edge_id(edge), edge_label(edge), backward, fontname=FONT, **attrs)
    return str(canvas.source)


def _layer_ranks(arch: Architecture, services: Sequence[str], per_rank: int) -> list[list[str]]:
    """The ranks of one layer: a service called by another of its layer goes one rank
    further (so a chain inside a layer reads in order, not as edges looping back over
    a row), and each rank wraps after ``per_rank`` services."""
    members = set(services)
    inner = [e for e in arch.edges if e.source in members and e.target in members and e.via not in NOT_REQUESTS]
    depth = dict.fromkeys(services, 0)
    for _ in range(len(services)):  # longest path; a cycle stops growing at the layer's size
        changed = False
        for e in inner:
            if depth[e.target] < depth[e.source] + 1 < len(services):
                depth[e.target] = depth[e.source] + 1
                changed = True
        if not changed:
            break
    ranks: list[list[str]] = []
    for level in sorted(set(depth.values())):
        ranks += chunks([s for s in services if depth[s] == level], per_rank)
    return ranks


def edge_label(edge: Edge) -> str:
    """The connection's label, with its port or access level under it when the YAML
    label says something else ("transactions" / "TCP 5432")."""
    detail = edge.access or (f"{(edge.protocol or 'tcp').upper()} {edge.port}" if edge.port is not None else "")
    if not detail or detail == edge.label or not edge.label:
        return edge.label or detail
    return f'<{html.escape(edge.label, quote=False)}<BR/><FONT POINT-SIZE="9" COLOR="{MUTED}">{detail}</FONT>>'


def _chain(canvas: Canvas, ranks: list[list[str]]) -> None:
    """Invisible edges from each rank to the next keep the layers in YAML order."""
    for upper, lower in itertools.pairwise(ranks):
        canvas.dot.edge(diagram_node_id(upper[0]), diagram_node_id(lower[0]), style="invis", weight="10")


def _edge_style(edge: Edge, same_rank: bool) -> dict[str, str]:
    attrs = {"fontsize": "11"}
    if same_rank:
        attrs["constraint"] = "false"
    if edge.via in NOT_REQUESTS:  # watching, deploying, building: not the request path
        attrs |= {"style": "dashed", "color": "#B2BEC3"}
    return attrs
