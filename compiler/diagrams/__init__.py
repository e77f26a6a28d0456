"""Diagrams backend: the resolved Architecture drawn as three figures, each as DOT, SVG, PNG.

``overview`` (layers and connections), ``network`` (region, VPC, tiers, subnets) and
``data-flow`` (the numbered request path). The diagrams library builds each graph
(``canvas.py``), Graphviz ``dot`` lays it out and renders it (``render.py``).
"""

from __future__ import annotations

from compiler.diagrams.dataflow import dataflow
from compiler.diagrams.icons import Icon, icon
from compiler.diagrams.network import network
from compiler.diagrams.overview import overview
from compiler.diagrams.render import GraphvizFailed, GraphvizMissing, finish, start
from compiler.ir import Architecture
from compiler.names import DIAGRAM_VIEWS, diagram_file
from compiler.terraform.context import StackBuilder

__all__ = ["GraphvizFailed", "GraphvizMissing", "dot_sources", "render_diagrams"]


def dot_sources(arch: Architecture, stack: StackBuilder) -> dict[str, str]:
    """The DOT text of each view, by view name (in ``DIAGRAM_VIEWS`` order)."""
    names = sorted({svc.spec.info.icon for svc in arch.services.values()})
    icons: dict[str, Icon] = {name: icon(name) for name in names}  # resolved once: one warning per unknown icon
    views = {"overview": overview(arch, icons), "network": network(arch, icons, stack), "data-flow": dataflow(arch, icons)}
    return {view: views[view] for view in DIAGRAM_VIEWS}


def render_diagrams(arch: Architecture, stack: StackBuilder) -> dict[str, bytes]:
    """``{diagrams/<view>.<ext>: bytes}`` for every view; the three ``dot`` runs go in parallel."""
    sources = dot_sources(arch, stack)
    running = {view: start(source) for view, source in sources.items()}
    files: dict[str, bytes] = {}
    for view, process in running.items():
        svg, png = finish(process)
        files[diagram_file(view, "dot")] = sources[view].encode()
        files[diagram_file(view, "svg")] = svg
        files[diagram_file(view, "png")] = png
    return files
