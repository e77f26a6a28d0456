"""Figures of a model too large for one overview: more than ``NODE_BUDGET`` services.

dot's layout time grows much faster than the model (the synthetic models of bench/:
figures in bench/results.md and compiler/diagrams/README.md); it goes into dot's
placement with the rows' rank constraints across layer clusters. Above the budget the
model is drawn as smaller graphs:

- the **overview** (:func:`layer_overview`): one node per layer, showing its kinds with
  their counts, and between layers one edge per direction and kind of relationship,
  labelled with how many connections it stands for. Each node and edge links to a
  layer's detail view.
- a **detail view per layer** (``diagrams/layers/<layer>``, :func:`layer_detail`): the
  layer's services, every connection and setting that touches them, and the services
  of other layers at their far end. Up to the budget it is drawn as the overview
  draws a model, with the other layers holding only those neighbours. Above it,
  :func:`gridded` draws each group of connected services on its own and stacks the
  groups in a grid (``grid.py``), with no cluster and no rank constraint, which dot
  lays out in a fraction of the time.
"""

from __future__ import annotations

import dataclasses
import html
from collections import Counter, defaultdict
from dataclasses import dataclass

import diagrams

from compiler.diagrams.canvas import FONT, INK, MUTED, Canvas, display_name, html_lines, link, service_node, wrap
from compiler.diagrams.grid import stack_in_grid
from compiler.diagrams.icons import Icon
from compiler.diagrams.layering import VERBS, summaries
from compiler.diagrams.overview import LAYER_COLORS, edge_label, overview
from compiler.flow import NOT_REQUESTS
from compiler.ir import Architecture, Edge, Layer
from compiler.names import (
    diagram_edge_href,
    diagram_edge_id,
    diagram_file,
    diagram_href,
    diagram_layer_view,
    diagram_node_id,
    diagram_reference_id,
    diagram_service_href,
)

NODE_BUDGET = 150  # services one figure draws one by one (below it, dot's layout stays well under a second)
KINDS_SHOWN = 6  # kinds with their icon on a layer's node; the rest are counted
KIND_ICON_PT = 34
DASHED = {"style": "dashed", "color": "#B2BEC3", "fontcolor": MUTED}
SMALL_BOX = {"width": "0.8", "height": "0.3", "labelloc": "c", "margin": "0.1,0.05"}  # not the icon nodes' 1.4 in


def too_large(arch: Architecture) -> bool:
    """Whether the model is drawn as a layer overview plus one detail view per layer."""
    return len(arch.services) > NODE_BUDGET


def layer_node_id(layer: str) -> str:
    """The node of a whole layer (``layer.app``: no service id has a dot; a colon would
    read as a DOT port)."""
    return f"layer.{layer}"


def layer_figure_href(view: str, layer: str) -> str:
    """A link from the figure ``view`` to a layer's detail view."""
    return diagram_href(view, diagram_file(diagram_layer_view(layer), "svg"))


# -- the overview of layers ------------------------------------------------------------


def layer_overview(arch: Architecture, icons: dict[str, Icon]) -> str:
    """The DOT text of the overview above the budget: layers and the traffic between them."""
    layer_of = {sid: svc.layer for sid, svc in arch.services.items()}
    index = {layer.name: i for i, layer in enumerate(arch.layers)}
    inside: Counter[str] = Counter()
    between: dict[tuple[str, str, str], list[str]] = defaultdict(list)  # (from, to, what) -> targets
    for e in arch.edges:
        source, target = layer_of[e.source], layer_of[e.target]
        if source == target:
            inside[source] += 1
        else:
            between[(source, target, e.via if e.via in NOT_REQUESTS else "requests")].append(e.target)
    for ref in arch.references:
        if ref.drawn and layer_of[ref.source] != layer_of[ref.target]:
            between[(layer_of[ref.source], layer_of[ref.target], "settings")].append(ref.target)
    graph = {"splines": "spline", "nodesep": "0.8", "ranksep": "0.9"}
    with Canvas("overview", "TB", graph) as canvas:
        nodes = {layer.name: _layer_node(arch, layer, icons, inside[layer.name]) for layer in arch.layers}
        for upper, lower in zip(arch.layers, arch.layers[1:], strict=False):  # YAML order, top to bottom
            canvas.dot.edge(layer_node_id(upper.name), layer_node_id(lower.name), style="invis")
        for (source, target, what), targets in between.items():
            label = _aggregate_label(what, targets)
            attrs = {} if what == "requests" else DASHED
            edge_id = f"layer:{source}->layer:{target}" + ("" if what == "requests" else f"~{what}")
            link(nodes[source], nodes[target], edge_id, label, backward=index[source] > index[target], fontname=FONT,
                 fontsize="12", href=layer_figure_href("overview", source), tooltip=label, **attrs)  # fmt: skip
    return str(canvas.source)


def _aggregate_label(what: str, targets: list[str]) -> str:
    """What an edge between layers stands for.

    >>> _aggregate_label("requests", ["db", "db"]), _aggregate_label("monitor", ["db", "db"])
    ('2 connections', 'monitors 1 service')
    """
    if what == "requests":
        return counted(len(targets), "connection")
    if what == "settings":
        return f"named in {counted(len(targets), 'setting')}"
    return f"{VERBS[what]} {counted(len(set(targets)), 'service')}"


def counted(n: int, noun: str) -> str:
    """``3 services``, ``1 service``."""
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _layer_node(arch: Architecture, layer: Layer, icons: dict[str, Icon], inside: int) -> diagrams.Node:
    """A layer as one node: its title, its size, and a cell per kind (icon, count)."""
    kinds = Counter(arch.services[sid].kind for sid in layer.services)
    infos = {arch.services[sid].kind: arch.services[sid].spec.info for sid in layer.services}
    cells = []
    for kind, count in kinds.most_common(KINDS_SHOWN):  # ties keep YAML order (Counter keeps insertion order)
        image = f'<IMG SRC="{icons[infos[kind].icon].path}" SCALE="TRUE"/>'
        cells.append(
            f'<TD><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD FIXEDSIZE="TRUE" WIDTH="{KIND_ICON_PT}" '
            f'HEIGHT="{KIND_ICON_PT}">{image}</TD></TR><TR><TD><FONT POINT-SIZE="10">{count} × {html_lines(wrap(infos[kind].title, 14))}'
            "</FONT></TD></TR></TABLE></TD>"
        )
    if len(kinds) > KINDS_SHOWN:
        cells.append(f'<TD><FONT POINT-SIZE="10" COLOR="{MUTED}">+{len(kinds) - KINDS_SHOWN} more kinds</FONT></TD>')
    size = counted(len(layer.services), "service")
    detail = size + (f" · {counted(inside, 'connection')} inside" if inside else "")
    span = f' COLSPAN="{len(cells)}"' if cells else ""
    rows = [
        f'<TR><TD{span}><FONT POINT-SIZE="16"><B>{html.escape(layer.title, quote=False)}</B></FONT></TD></TR>',
        f'<TR><TD{span}><FONT POINT-SIZE="11" COLOR="{MUTED}">{detail}</FONT></TD></TR>',
    ]
    if cells:
        rows.append("<TR>" + "".join(cells) + "</TR>")
    label = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"
    colour = LAYER_COLORS[[la.name for la in arch.layers].index(layer.name) % len(LAYER_COLORS)]
    return diagrams.Node(
        label,
        nodeid=layer_node_id(layer.name),
        shape="box",
        style="rounded,filled",
        fillcolor=colour,
        color="#AEB6BE",
        fontcolor=INK,
        margin="0.15",
        href=layer_figure_href("overview", layer.name),
        tooltip=f"{layer.title}: {size}",
    )


# -- a layer's detail view ----------------------------------------------------------------


def layer_detail(arch: Architecture, layer: Layer, icons: dict[str, Icon]) -> str:
    """The DOT text of one layer's detail view."""
    part = neighbourhood(arch, layer)
    view = diagram_layer_view(layer.name)
    sizes = {la.name: len(la.services) for la in arch.layers}
    if len(part.services) <= NODE_BUDGET:
        return overview(_counted(part, sizes, layer.name), icons, view, sizes)
    return gridded(part, layer, icons, sizes)


def _counted(part: Architecture, sizes: dict[str, int], this: str) -> Architecture:
    """Other layers titled with how much of them is shown: "Data · 3 of 40 services"."""
    layers = tuple(
        la
        if la.name == this or len(la.services) == sizes[la.name]
        else dataclasses.replace(la, title=f"{la.title} · {len(la.services)} of {sizes[la.name]} services")
        for la in part.layers
    )
    return dataclasses.replace(part, layers=layers)


def neighbourhood(arch: Architecture, layer: Layer) -> Architecture:
    """The part of the model a layer's detail view draws: the layer, every connection and
    setting touching it, and the services at their far end (their layers hold only them)."""
    mine = set(layer.services)
    edges = tuple(e for e in arch.edges if e.source in mine or e.target in mine)
    refs = tuple(r for r in arch.references if r.drawn and (r.source in mine or r.target in mine))
    shown = mine | {e.source for e in edges} | {e.target for e in edges} | {r.source for r in refs} | {r.target for r in refs}
    layers = []
    for other in arch.layers:
        kept = tuple(sid for sid in other.services if sid in shown)
        if other.name == layer.name:
            layers.append(other)
        elif kept:
            layers.append(dataclasses.replace(other, services=kept))
    services = {sid: svc for sid, svc in arch.services.items() if sid in shown}
    return dataclasses.replace(arch, layers=tuple(layers), services=services, edges=edges, references=refs)


def gridded(part: Architecture, layer: Layer, icons: dict[str, Icon], sizes: dict[str, int]) -> str:
    """A large layer's detail view: each group of connected services laid out on its own,
    the groups stacked in a grid. Services of other layers are small dashed boxes."""
    view = diagram_layer_view(layer.name)
    mine = set(layer.services)
    titles = {la.name: la.title for la in part.layers}
    summarized = summaries(part, sizes)
    fans = fan_outs(part, {e.id for s in summarized for e in s.edges})
    covered = {e.id for s in summarized for e in s.edges} | {e.id for f in fans for e in f.edges}
    graph = {
        "splines": "spline",
        "nodesep": "0.4",
        "ranksep": "0.5",
        "label": f"{layer.title} · {counted(len(layer.services), 'service')} (other layers' services in dashed boxes)",
        "labelloc": "t",
        "fontsize": "20",
    }
    with Canvas(view.replace("/", "-"), "TB", graph) as canvas:
        nodes: dict[str, diagrams.Node] = {}
        for sid, svc in part.services.items():
            if sid in mine:
                nodes[sid] = service_node(
                    diagram_node_id(sid), *display_name(svc), icons[svc.spec.info.icon], href=diagram_service_href(sid, view)
                )
            else:
                nodes[sid] = _neighbour_node(part, sid, titles[svc.layer], view)
        for edge in part.edges:
            if edge.id not in covered:
                style = DASHED if edge.via in NOT_REQUESTS else {}
                link(nodes[edge.source], nodes[edge.target], diagram_edge_id(edge), edge_label(edge), fontname=FONT, fontsize="11",
                     href=diagram_edge_href(edge, view), tooltip=edge.label or edge.id, backward=False, **style)  # fmt: skip

        def stub(name: str) -> diagrams.Node:
            if layer_node_id(name) not in nodes:
                nodes[layer_node_id(name)] = layer_stub(name, titles[name], view)
            return nodes[layer_node_id(name)]

        for summary in summarized:
            link(nodes[summary.source], stub(summary.layer), summary.id, summary.label, fontname=FONT, fontsize="11",
                 backward=False, **{"class": " ".join(e.id for e in summary.edges)}, **DASHED)  # fmt: skip
        for fan in fans:
            ends = (nodes[fan.hub], stub(fan.layer)) if fan.outward else (stub(fan.layer), nodes[fan.hub])
            link(*ends, fan.id, fan.label, fontname=FONT, fontsize="11", tooltip=fan.label,
                 backward=False, **{"class": " ".join(e.id for e in fan.edges)})  # fmt: skip
        for ref in part.references:
            link(nodes[ref.source], nodes[ref.target], diagram_reference_id(ref), ref.label, fontname=FONT, fontsize="11",
                 arrowhead="vee", href=diagram_service_href(ref.source, view), backward=False, **DASHED)  # fmt: skip
        stack_in_grid(canvas)
    return str(canvas.source)


FAN_MAX = 8  # in a gridded view, more connections than this from one service into one layer are one edge


@dataclass(frozen=True)
class Fan:
    """A service's connections to (or from) many services of one layer, drawn as one edge
    to the layer: in a gridded view, a hub would otherwise join every group into one and
    stretch one rank across the figure."""

    hub: str
    layer: str
    edges: tuple[Edge, ...]
    outward: bool  # the hub calls the layer's services (else they call the hub)

    @property
    def id(self) -> str:
        """The DOT ``id``: ``users->layer:edge`` or ``layer:app->db``."""
        return f"{self.hub}->layer:{self.layer}" if self.outward else f"layer:{self.layer}->{self.hub}"

    @property
    def label(self) -> str:
        """What the edge says: ``to 100 services`` or ``from 400 services``."""
        others = len({e.target if self.outward else e.source for e in self.edges})
        return f"{'to' if self.outward else 'from'} {others} services"


def fan_outs(part: Architecture, covered: set[str]) -> list[Fan]:
    """Every hub's fan of more than ``FAN_MAX`` services of one layer, outward first."""
    layer_of = {sid: svc.layer for sid, svc in part.services.items()}
    fans: list[Fan] = []
    for outward in (True, False):
        groups: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        for e in part.edges:
            if e.id not in covered:
                hub, other = (e.source, e.target) if outward else (e.target, e.source)
                groups[(hub, layer_of[other])].append(e)
        for (hub, layer), edges in groups.items():
            if len({e.target if outward else e.source for e in edges}) > FAN_MAX:
                fans.append(Fan(hub, layer, tuple(edges), outward))
                covered = covered | {e.id for e in edges}
    return fans


def _neighbour_node(part: Architecture, sid: str, layer_title: str, view: str) -> diagrams.Node:
    """A service of another layer: its name and where it lives, in a dashed box."""
    title, extra = display_name(part.services[sid])
    note = " · ".join(filter(None, (layer_title, extra)))
    label = (
        f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD>{html_lines(wrap(title))}</TD></TR>'
        f'<TR><TD><FONT POINT-SIZE="9" COLOR="{MUTED}">{html_lines(wrap(note, 24))}</FONT></TD></TR></TABLE>>'
    )
    return diagrams.Node(
        label,
        nodeid=diagram_node_id(sid),
        shape="box",
        style="rounded,dashed",
        color="#AEB6BE",
        fontsize="11",
        fontcolor=INK,
        **SMALL_BOX,
        href=diagram_service_href(sid, view),
        tooltip=" ".join(wrap(title)),
    )


def layer_stub(layer: str, title: str, view: str) -> diagrams.Node:
    """A whole layer as the end of a summary edge ("monitors every service of the layer")."""
    this = view == diagram_layer_view(layer)
    text = title + (" (this layer)" if this else " layer")
    attrs = {} if this else {"href": layer_figure_href(view, layer)}
    return diagrams.Node(
        text, nodeid=layer_node_id(layer), shape="box", style="rounded,filled", fillcolor="#F4F8FB", color="#AEB6BE", fontsize="12",
        **SMALL_BOX, **attrs,
    )  # fmt: skip
