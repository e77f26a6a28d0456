"""Where each service of the overview goes: bands of layers, rows inside a layer, order in a row.

Rules (each from looking at the figures, the 100-service synthetic model above all):
- Layers keep their YAML order, one band after another. A layer with no connection to
  any layer of the band before it joins that band, beside it: the edges from above then
  reach both directly instead of running around one to reach the other.
- Inside a layer, a service called by another of its layer goes one row further (a chain
  reads in order); a service that nothing in an earlier band talks to and that calls
  nobody of its layer goes to the layer's last row, next to the layers it talks to.
  A row wraps after ``per_row`` services.
- Each row is ordered by barycentre: a service sits under the mean position of the
  services it talks to in earlier rows, so a wrapped row holds neighbours and edges
  run short and parallel instead of crossing the figure.

dot keeps a cluster's nodes together on each rank, so an edge that leaves a layer from
a row above its last (or enters below its first) would run around the whole cluster;
:func:`waypoints` names the invisible points inside the layer it is routed through.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from compiler.flow import NOT_REQUESTS
from compiler.ir import Architecture, Edge


@dataclass(frozen=True)
class Layout:
    """The rows of each layer and the global rank (row of the figure) of each service."""

    rows: dict[str, list[list[str]]]  # layer name -> its rows, each in left-to-right order
    rank: dict[str, int]  # service id -> rank, 0 at the top (left in a left-to-right figure)
    bands: list[list[str]]  # layer names sharing ranks, in YAML order

    def first_rank(self, layer: str) -> int:
        """The rank of a layer's first row."""
        return self.rank[self.rows[layer][0][0]]

    def last_rank(self, layer: str) -> int:
        """The rank of a layer's last row."""
        return self.first_rank(layer) + len(self.rows[layer]) - 1


def plan(arch: Architecture, per_row: int) -> Layout:
    """Bands, rows and ranks of every service (see the module's rules)."""
    bands = _bands(arch, per_row)
    band_of = {layer: i for i, band in enumerate(bands) for layer in band}
    neighbours: dict[str, list[str]] = defaultdict(list)
    for e in arch.edges:
        if e.via not in NOT_REQUESTS:  # a monitor next to everything would pull every row to itself
            neighbours[e.source].append(e.target)
            neighbours[e.target].append(e.source)
    layers = {layer.name: layer.services for layer in arch.layers}
    yaml_index = {sid: i for i, sid in enumerate(arch.services)}
    x: dict[str, float] = {}  # estimated horizontal position of every placed service
    rows: dict[str, list[list[str]]] = {}
    rank: dict[str, int] = {}
    start = 0
    for band in bands:
        offset = -sum(min(len(layers[name]), per_row) for name in band) / 2
        for name in band:
            depth = _depths(arch, layers[name], {sid for b in bands[: band_of[name]] for layer in b for sid in layers[layer]})
            rows[name] = []
            for level in sorted(set(depth.values())):
                members = [s for s in layers[name] if depth[s] == level]
                keys = {s: _barycentre(s, neighbours, x, yaml_index) for s in members}
                for row in _wrap(sorted(members, key=keys.__getitem__), keys, per_row):
                    for i, sid in enumerate(row):
                        x[sid] = offset + min(len(layers[name]), per_row) / 2 + i - (len(row) - 1) / 2
                        rank[sid] = start + len(rows[name])
                    rows[name].append(row)
            offset += min(len(layers[name]), per_row)
        start += max(len(rows[name]) for name in band)
    return Layout(rows, rank, bands)


def _wrap(members: list[str], keys: dict[str, tuple[float, int]], per_row: int) -> list[list[str]]:
    """Rows of one level, wrapped after ``per_row``. Services under the same place (called
    by the same service: their barycentres within half a slot) stack in one column across
    the rows, so each sits under its caller; services with nothing placed around them fill
    the shortest rows last. When a stack is taller than the rows, plain row-major wrapping."""
    if len(members) <= per_row:
        return [members]
    height = -(-len(members) // per_row)
    stacks: list[list[str]] = []
    loose = []
    for sid in members:
        if keys[sid][0] == float("inf"):
            loose.append(sid)
        elif stacks and keys[sid][0] - keys[stacks[-1][0]][0] < 0.5:
            stacks[-1].append(sid)
        else:
            stacks.append([sid])
    if any(len(stack) > height for stack in stacks) or len(stacks) > per_row:
        return [members[i : i + per_row] for i in range(0, len(members), per_row)]
    rows: list[list[str]] = [[stack[k] for stack in stacks if len(stack) > k] for k in range(height)]
    for sid in loose:
        min(rows, key=len).append(sid)
    return [row for row in rows if row]


def _barycentre(sid: str, neighbours: dict[str, list[str]], x: dict[str, float], yaml_index: dict[str, int]) -> tuple[float, int]:
    placed = [x[n] for n in neighbours[sid] if n in x]
    return (sum(placed) / len(placed) if placed else float("inf"), yaml_index[sid])


def _bands(arch: Architecture, per_row: int) -> list[list[str]]:
    """Layers grouped into bands: a layer that no connection links to the band before it,
    but one links to an earlier band, joins that band while it stays within two rows' width."""
    layer_of = {sid: svc.layer for sid, svc in arch.services.items()}
    linked = {frozenset((layer_of[e.source], layer_of[e.target])) for e in arch.edges}
    width = {layer.name: min(len(layer.services), per_row) for layer in arch.layers}
    bands: list[list[str]] = []
    for layer in arch.layers:
        last = bands[-1] if bands else []
        earlier = [other for band in bands[:-1] for other in band]
        unlinked = not any(frozenset((layer.name, other)) in linked for other in last)
        fed = any(frozenset((layer.name, other)) in linked for other in earlier)
        if last and unlinked and fed and sum(width[n] for n in last) + width[layer.name] <= 2 * per_row:
            last.append(layer.name)
        else:
            bands.append([layer.name])
    return bands


def _depths(arch: Architecture, services: tuple[str, ...], above: set[str]) -> dict[str, int]:
    """Row level of each service of a layer: longest chain of calls inside the layer; a
    service connected only to later bands goes to the last level (next to them), one
    connected to nothing stays on the first."""
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
    callers = {e.source for e in inner}
    touched = {e.target for e in arch.edges if e.source in above} | {e.source for e in arch.edges if e.target in above}
    connected = {e.source for e in arch.edges} | {e.target for e in arch.edges}
    last = max(depth.values(), default=0)
    for sid in services:
        if depth[sid] == 0 and sid in connected and sid not in callers and sid not in touched:
            depth[sid] = last
    return depth


def waypoints(layout: Layout, layer_of: dict[str, str], upper: str, lower: str) -> list[tuple[str, int]]:
    """``(layer, rank)`` of the points an edge from ``upper`` down to ``lower`` passes
    inside their layers: the last row of the upper's layer, the first of the lower's."""
    points = []
    if layer_of[upper] != layer_of[lower]:
        if layout.rank[upper] < layout.last_rank(layer_of[upper]):
            points.append((layer_of[upper], layout.last_rank(layer_of[upper])))
        if layout.rank[lower] > layout.first_rank(layer_of[lower]):
            points.append((layer_of[lower], layout.first_rank(layer_of[lower])))
    return points


SUMMARY_MIN = 3  # edges of one kind from one service into one layer drawn as one edge from this many
VERBS = {"monitor": "monitors", "deploy-target": "deploys to", "pipeline-stage": "runs"}


@dataclass(frozen=True)
class Summary:
    """Several watching/deploying connections from one service into one layer, drawn as one edge."""

    source: str
    layer: str
    edges: tuple[Edge, ...]
    label: str

    @property
    def id(self) -> str:
        """The DOT ``id`` of the summary edge: ``monitoring->layer:app``."""
        return f"{self.source}->layer:{self.layer}"


def summaries(arch: Architecture, sizes: dict[str, int] | None = None) -> list[Summary]:
    """The summary edges, in the order of their first connection. ``sizes``: services per
    layer when ``arch`` holds part of each layer (a layer's detail view), so "every
    service of the layer" still means the whole layer."""
    groups: dict[tuple[str, str, str], list[Edge]] = defaultdict(list)
    for e in arch.edges:
        if e.via in VERBS:
            groups[(e.source, e.via, arch.services[e.target].layer)].append(e)
    sizes = sizes or {layer.name: len(layer.services) for layer in arch.layers}
    found = []
    for (source, via, layer), edges in groups.items():
        if len(edges) >= SUMMARY_MIN:
            targets = len({e.target for e in edges})
            what = "every service of the layer" if targets == sizes[layer] else f"{targets} services"
            found.append(Summary(source, layer, tuple(edges), f"{VERBS[via]} {what}"))
    return found
