"""The data-flow view: the request path, numbered in order (``compiler.flow.request_path``).

Only the services the path touches are drawn, left to right in the order the path
first reaches them (a rank per hop), with each step's number and label on its edge:
"3 · dynamic requests". A service reached again later keeps its first place; the
edges to it then run back (``constraint=false``) rather than moving it.
"""

from __future__ import annotations

import html

import diagrams

from compiler.diagrams.canvas import FONT, Canvas, link, linked_service_node
from compiler.diagrams.icons import Icon
from compiler.flow import request_path
from compiler.ir import Architecture
from compiler.names import diagram_edge_id

STEP_COLOR = "#E7157B"


def dataflow(arch: Architecture, icons: dict[str, Icon]) -> str:
    """The DOT text of the data-flow view."""
    steps = request_path(arch)
    order: dict[str, int] = {}
    for step in steps:  # hop distance from the path's start, in step order
        order.setdefault(step.edge.source, 0)
        order.setdefault(step.edge.target, order[step.edge.source] + 1)
    direction = "LR" if max(order.values(), default=0) <= 6 else "TB"
    graph = {"splines": "spline", "nodesep": "0.5", "ranksep": "0.9"}
    nodes: dict[str, diagrams.Node] = {}
    with Canvas("data-flow", direction, graph) as canvas:
        for sid in sorted(order, key=lambda s: (order[s], list(arch.services).index(s))):
            svc = arch.services[sid]
            nodes[sid] = linked_service_node(svc, icons[svc.spec.info.icon], "data-flow")
        for step in steps:
            e = step.edge
            text = html.escape(e.label, quote=False)
            label = f'<<FONT COLOR="{STEP_COLOR}"><B>{step.number}</B></FONT> {text}>'
            forward = order[e.source] < order[e.target]
            link(nodes[e.source], nodes[e.target], diagram_edge_id(e), label, fontname=FONT, fontsize="11",
                 color=STEP_COLOR, penwidth="1.4", constraint="true" if forward else "false")  # fmt: skip
    return str(canvas.source)
