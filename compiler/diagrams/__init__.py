"""Diagrams backend: the resolved Architecture drawn as figures, each as DOT, SVG, PNG.

``overview`` (layers and connections), ``network`` (region, VPC, tiers, subnets) and
``data-flow`` (the numbered request path); a model of more than ``NODE_BUDGET`` services
gets an overview of its layers and a detail view per layer (``layers/<layer>``, see
``layers.py``). The diagrams library builds each graph (``canvas.py``), Graphviz
``dot`` lays it out and renders it (``render.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from compiler.diagrams.dataflow import dataflow
from compiler.diagrams.icons import Icon, icon
from compiler.diagrams.layers import layer_detail, layer_overview, too_large
from compiler.diagrams.network import network
from compiler.diagrams.overview import overview
from compiler.diagrams.render import GraphvizFailed, GraphvizMissing, dot_binary, render
from compiler.ir import Architecture
from compiler.names import diagram_file, diagram_layer_view
from compiler.terraform.context import StackBuilder

__all__ = ["GraphvizFailed", "GraphvizMissing", "diagrams_in_background", "dot_sources", "render_diagrams"]


def dot_sources(arch: Architecture, stack: StackBuilder) -> dict[str, str]:
    """The DOT text of each view, by view name: ``DIAGRAM_VIEWS``, then (above the
    budget) each layer's detail view in YAML order."""
    names = sorted({svc.spec.info.icon for svc in arch.services.values()})
    icons: dict[str, Icon] = {name: icon(name) for name in names}  # resolved once: one warning per unknown icon
    large = too_large(arch)
    views = {
        "overview": layer_overview(arch, icons) if large else overview(arch, icons),
        "network": network(arch, icons, stack),
        "data-flow": dataflow(arch, icons),
    }
    if large:
        views |= {diagram_layer_view(layer.name): layer_detail(arch, layer, icons) for layer in arch.layers}
    return views


def render_diagrams(arch: Architecture, stack: StackBuilder) -> dict[str, bytes]:
    """``{diagrams/<view>.<ext>: bytes}`` for every view."""
    with diagrams_in_background(arch, stack) as drawn:
        return drawn()


@contextmanager
def diagrams_in_background(arch: Architecture, stack: StackBuilder) -> Iterator[Callable[[], dict[str, bytes]]]:
    """Start drawing every view; the block gets a function that returns the files once drawn.

    The figures need only the resolved model and the emitted resources, not the
    synthesized Terraform: a build draws them while cdktn synthesizes, when node and
    Python take turns on one core and the other is free (rasterising a PNG is most of
    a figure's time). Leaving the block waits for every ``dot``, also after an error.
    The views render in parallel threads, each waiting on its own ``dot`` (a pipe
    read one after another would stall the others once their output fills the pipe);
    a large model's many layer views take turns, a few per core.
    """
    dot_binary()  # a missing Graphviz says so before any work
    sources = dot_sources(arch, stack)
    workers = min(len(sources), 2 * (os.cpu_count() or 1) + 1)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="archc-dot") as pool:
        pending = {view: pool.submit(render, source) for view, source in sources.items()}
        yield lambda: _files(sources, {view: job.result() for view, job in pending.items()})


def _files(sources: dict[str, str], rendered: dict[str, tuple[bytes, bytes]]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for view, (svg, png) in rendered.items():
        files[diagram_file(view, "dot")] = sources[view].encode()
        files[diagram_file(view, "svg")] = svg
        files[diagram_file(view, "png")] = png
    return files
