"""The diagrams library as a graph builder: its Diagram, Cluster, Node and Edge classes
make the ``graphviz.Digraph``; we take its DOT text and render it ourselves.

The library renders by writing files into the working directory and links icons by
absolute path; here nothing is written, node ids are the service ids, cluster names
are stable, and icon paths are relative to the library's resources folder.
"""

from __future__ import annotations

import html
import itertools
import textwrap
from types import TracebackType

import diagrams

from compiler.diagrams.icons import Icon
from compiler.ir import ServiceNode
from compiler.names import diagram_node_id, diagram_service_href

# Named fonts, not "Sans-Serif": the same metrics wherever fontconfig resolves them.
# Graphviz (pango) takes each character from the first family of the list that has it,
# and the SVG's font-family is the same list for the browser: Latin from DejaVu Sans,
# CJK from Noto Sans CJK (named, so another CJK font on the machine changes nothing).
# Emoji come from fontconfig's fallback, Noto Color Emoji: named in the list, it would
# also draw the digits (it has keycap digits, with an emoji's width). Without Debian's
# fonts-noto-cjk and fonts-noto-color-emoji (`make setup`) both are empty boxes.
FONT = "DejaVu Sans,Noto Sans CJK JP"
INK = "#2D3436"
MUTED = "#7B8894"


class Canvas(diagrams.Diagram):  # type: ignore[misc]  # the library is untyped
    """A Diagram that only builds: leaving the ``with`` block renders nothing."""

    def __init__(self, name: str, direction: str, graph_attr: dict[str, str]) -> None:
        super().__init__(
            name="",
            filename=name,
            direction=direction,
            show=False,
            outformat="dot",
            graph_attr={"fontname": FONT, "pad": "0.4", "label": "", **graph_attr},
            node_attr={"fontname": FONT, "fixedsize": "false", "fontcolor": INK},
            edge_attr={"fontname": FONT, "fontsize": "11", "fontcolor": INK, "color": MUTED, "arrowsize": "0.7"},
        )
        self.dot.name = name

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        diagrams.setdiagram(None)

    @property
    def source(self) -> str:
        """The DOT text."""
        return str(self.dot.source)


class Group(diagrams.Cluster):  # type: ignore[misc]
    """A cluster with a stable DOT name (``cluster_<key>``) whatever its label."""

    def __init__(self, key: str, label: str, graph_attr: dict[str, str] | None = None) -> None:
        super().__init__(label=label, graph_attr={"fontname": FONT, "fontsize": "14", "margin": "16", **(graph_attr or {})})
        self.dot.name = f"cluster_{key}"
        del self.dot.graph_attr["rankdir"]  # ignored by dot inside clusters; only noise in the DOT text


ICON_PT = 52  # icon size in points: large enough to recognise, small enough for 100 services


def wrap(text: str, width: int = 18) -> list[str]:
    """Break a display name into short lines.

    >>> wrap("Amazon ElastiCache (Redis) cluster")
    ['Amazon ElastiCache', '(Redis) cluster']
    """
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=True) or [""]


def html_lines(lines: list[str]) -> str:
    """Lines as HTML-label text (escaped, joined by <BR/>)."""
    return "<BR/>".join(html.escape(line, quote=False) for line in lines)


def display_name(svc: ServiceNode) -> tuple[str, str]:
    """What a service is called in a figure: its YAML title; without one, its id with the
    kind's title under it (ten services all called "Amazon S3" would say nothing)."""
    if svc.spec.title is not None:
        return svc.title, ""
    return svc.id, svc.title


def service_node(service_id: str, title: str, extra: str, icon: Icon, **attrs: str) -> diagrams.Node:
    """A service: its kind's icon above its wrapped name (and an optional smaller note).

    An HTML label (a table of icon and text cells) rather than the library's ``image``
    attribute: the node then grows with its text, so names never spill onto the icon
    or a neighbour, whatever their length.
    """
    rows = [
        f'<TR><TD FIXEDSIZE="TRUE" WIDTH="{ICON_PT}" HEIGHT="{ICON_PT}"><IMG SRC="{icon.path}" SCALE="TRUE"/></TD></TR>',
        f"<TR><TD>{html_lines(wrap(title))}</TD></TR>",
    ]
    if extra:
        rows.append(f'<TR><TD><FONT POINT-SIZE="9" COLOR="{MUTED}">{html_lines(wrap(extra, 24))}</FONT></TD></TR>')
    label = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"
    if "href" in attrs:  # a linked node's tooltip: its name, not the HTML label's source
        attrs = {"tooltip": " ".join(wrap(title)), **attrs}
    return icon.node_class(label, nodeid=service_id, image=None, height=None, shape="plain", fontsize="12", **attrs)


def linked_service_node(svc: ServiceNode, icon: Icon, view: str) -> diagrams.Node:
    """A service as every view draws it, linked to its docs page (``view``: the figure it is in)."""
    return service_node(diagram_node_id(svc.id), *display_name(svc), icon, href=diagram_service_href(svc.id, view))


def box_node(node_id: str, label: str, **attrs: str) -> diagrams.Node:
    """A plain text box (subnets, notes): a diagrams Node without an icon."""
    return diagrams.Node(
        label,
        nodeid=node_id,
        shape="box",
        style="rounded,filled",
        fillcolor="white",
        color="#AEB6BE",
        fixedsize="false",
        width="1.6",
        height="0.5",
        fontsize="11",
        fontcolor=INK,
        **attrs,
    )


def link(source: diagrams.Node, target: diagrams.Node, edge_id: str, label: str = "", backward: bool = False, **attrs: str) -> None:
    """A directed edge with a stable ``id``.

    ``backward``: laid out from target to source (``dir=back``, the arrow still points at
    the target), for a connection that runs against the figure's order: it then ranks
    like the others instead of looping back with a stray label.
    """
    edge = diagrams.Edge(label=label, id=edge_id, forward=not backward, reverse=backward, **attrs)
    canvas = diagrams.getdiagram()
    if backward:
        canvas.connect(target, source, edge)
    else:
        canvas.connect(source, target, edge)


def point_node(node_id: str) -> diagrams.Node:
    """An invisible point an edge is routed through (see ``overview.py``)."""
    return diagrams.Node("", nodeid=node_id, shape="point", width="0", height="0", style="invis")


def link_path(path: list[diagrams.Node], edge_id: str, label: str, backward: bool, labelled: int, **attrs: str) -> None:
    """One connection drawn through invisible points: ``path`` runs from the upper end to
    the lower (the target first when ``backward``). The segment ``labelled`` carries the
    label and the id; the others ``<id>~<n>``; only the target's end has an arrowhead."""
    canvas = diagrams.getdiagram()
    last = len(path) - 2
    for i, (upper, lower) in enumerate(itertools.pairwise(path)):
        arrow = (backward and i == 0) or (not backward and i == last)
        seg = dict(attrs)
        if i != labelled:  # lhead/ltail name the cluster at the labelled segment's end only
            seg = {k: v for k, v in seg.items() if k not in ("lhead", "ltail", "class")}
        edge = diagrams.Edge(
            label=label if i == labelled else "",
            id=edge_id if i == labelled else f"{edge_id}~{i}",
            forward=arrow and not backward,
            reverse=arrow and backward,
            **seg,
        )
        canvas.connect(upper, lower, edge)
