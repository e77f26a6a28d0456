"""The data-flow view: the request path, numbered in order (``compiler.flow.request_path``).

Only the services the path touches are drawn, left to right in the order the path
first reaches them (a rank per hop), with each step's number and label on its edge:
"3 · dynamic requests". A service reached again later keeps its first place; the
edges to it then run back (``constraint=false``) rather than moving it.

Above ``NODE_BUDGET`` services (``layers.py``) the path is drawn as a large layer's
detail view is: top to bottom, each group of connected services on its own, the groups
stacked in a grid (``grid.py``), and a service whose steps reach many services of one
layer gets one edge to the layer ("steps 1–100 · to 100 services"). Drawn in one piece,
the path of the 1,000-service model was a strip 1,200 points wide and 34,500 long.
"""

from __future__ import annotations

import dataclasses
import html

import diagrams

from compiler.diagrams.canvas import FONT, Canvas, link, linked_service_node
from compiler.diagrams.grid import stack_in_grid
from compiler.diagrams.icons import Icon
from compiler.diagrams.layers import fan_outs, layer_node_id, layer_stub, too_large
from compiler.flow import Step, request_path
from compiler.ir import Architecture
from compiler.names import diagram_edge_id

STEP_COLOR = "#E7157B"
VIEW = "data-flow"


def dataflow(arch: Architecture, icons: dict[str, Icon]) -> str:
    """The DOT text of the data-flow view."""
    steps = request_path(arch)
    order: dict[str, int] = {}
    for step in steps:  # hop distance from the path's start, in step order
        order.setdefault(step.edge.source, 0)
        order.setdefault(step.edge.target, order[step.edge.source] + 1)
    large = too_large(arch)
    direction = "LR" if max(order.values(), default=0) <= 6 and not large else "TB"  # a grid of tall groups is squarer
    graph = {"splines": "spline", "nodesep": "0.5", "ranksep": "0.9"}
    fans = fan_outs(dataclasses.replace(arch, edges=tuple(s.edge for s in steps)), set()) if large else []
    fanned = {e.id for fan in fans for e in fan.edges}
    nodes: dict[str, diagrams.Node] = {}
    with Canvas(VIEW, direction, graph) as canvas:
        for sid in sorted(order, key=lambda s: (order[s], list(arch.services).index(s))):
            svc = arch.services[sid]
            nodes[sid] = linked_service_node(svc, icons[svc.spec.info.icon], VIEW)
        for step in steps:
            e = step.edge
            if e.id in fanned:
                continue
            text = html.escape(e.label, quote=False)
            label = f'<<FONT COLOR="{STEP_COLOR}"><B>{step.number}</B></FONT>&#160;{text}>'  # SVG drops a leading plain space
            forward = order[e.source] < order[e.target]
            link(nodes[e.source], nodes[e.target], diagram_edge_id(e), label, fontname=FONT, fontsize="11",
                 color=STEP_COLOR, penwidth="1.4", constraint="true" if forward else "false")  # fmt: skip
        titles = {layer.name: layer.title for layer in arch.layers}
        for fan in fans:
            if layer_node_id(fan.layer) not in nodes:  # a Node is drawn as soon as it is made
                nodes[layer_node_id(fan.layer)] = layer_stub(fan.layer, titles[fan.layer], VIEW)
            stub = nodes[layer_node_id(fan.layer)]
            ends = (nodes[fan.hub], stub) if fan.outward else (stub, nodes[fan.hub])
            covered = {e.id for e in fan.edges}
            label = f"steps {_numbers([s for s in steps if s.edge.id in covered])} · {fan.label}"
            link(*ends, fan.id, label, fontname=FONT, fontsize="11", color=STEP_COLOR, penwidth="1.4", fontcolor=STEP_COLOR,
                 backward=False, **{"class": " ".join(e.id for e in fan.edges)})  # fmt: skip
        if large:
            stack_in_grid(canvas)
    return str(canvas.source)


def _numbers(steps: list[Step]) -> str:
    """The step numbers of a fan: "1–100" when they follow each other, else "1, 4, 9…" (the first three)."""
    numbers = [s.number for s in steps]
    if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"{numbers[0]}–{numbers[-1]}"
    return ", ".join(map(str, numbers[:3])) + ("…" if len(numbers) > 3 else "")
