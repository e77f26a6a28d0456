"""Diagrams backend: the resolved Architecture drawn as three figures, each as DOT, SVG, PNG.

``overview`` (layers and connections), ``network`` (region, VPC, tiers, subnets) and
``data-flow`` (the numbered request path). The diagrams library builds each graph
(``canvas.py``), Graphviz ``dot`` lays it out and renders it (``render.py``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from compiler.diagrams.dataflow import dataflow
from compiler.diagrams.icons import Icon, icon
from compiler.diagrams.network import network
from compiler.diagrams.overview import overview
from compiler.diagrams.render import GraphvizFailed, GraphvizMissing, dot_binary, render
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
    """``{diagrams/<view>.<ext>: bytes}`` for every view; the views render in parallel
    (threads, each waiting on its own ``dot``: a pipe read one after another would
    stall the others once their output fills the pipe)."""
    dot_binary()  # a missing Graphviz says so before any work
    sources = dot_sources(arch, stack)
    with ThreadPoolExecutor(max_workers=len(sources)) as pool:
        rendered = dict(zip(sources, pool.map(render, sources.values()), strict=True))
    files: dict[str, bytes] = {}
    for view, (svg, png) in rendered.items():
        files[diagram_file(view, "dot")] = sources[view].encode()
        files[diagram_file(view, "svg")] = svg
        files[diagram_file(view, "png")] = png
    return files
