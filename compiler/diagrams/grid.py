"""Groups of connected services laid out in a grid, for the views of a large model.

dot lays out the groups (connected components) of a graph side by side in one row:
the 100 cells of the 1,000-service model made a strip 66,000 points wide. Its own
remedy, ``pack=true``, drops every edge label in Graphviz 2.43 (Debian 12's). So the
grid is made here: an invisible edge from the lowest node of group ``i`` to the top
node of group ``i + columns`` stacks the groups in ``columns`` columns, each group
still laid out on its own (no cluster, no rank constraint: 900 nodes in 0.3 s).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

from compiler.diagrams.canvas import Canvas

_NODE = re.compile(r'^\t("(?:[^"\\]|\\.)*"|[\w.-]+) \[')
_EDGE = re.compile(r'^\t("(?:[^"\\]|\\.)*"|[\w.-]+) -> ("(?:[^"\\]|\\.)*"|[\w.-]+) \[')


def stack_in_grid(canvas: Canvas) -> None:
    """Add the grid's invisible edges to a canvas whose nodes and edges are all drawn
    (read back from its DOT lines: every node and edge, whoever drew it)."""
    nodes, edges = [], []
    for line in canvas.dot.body:
        if found := _EDGE.match(line):
            edges.append((found.group(1), found.group(2)))
        elif (found := _NODE.match(line)) and found.group(1) not in ("graph", "node", "edge"):
            nodes.append(found.group(1))
    for upper, lower in grid_edges(nodes, edges):
        canvas.dot.body.append(f"\t{upper} -> {lower} [style=invis]\n")


def grid_edges(nodes: list[str], edges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The invisible edges (upper, lower) that stack the groups of ``nodes`` (in their
    order of first node) in about as many columns as rows.

    >>> grid_edges(["a", "b", "c", "d", "e"], [("a", "b")])
    [('b', 'd'), ('c', 'e')]
    """
    group = _groups(nodes, edges)
    order = list(dict.fromkeys(group[n] for n in nodes))
    members: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        members[group[n]].append(n)
    depth = _depths(nodes, edges)
    columns = max(1, math.ceil(math.sqrt(len(order))))
    found = []
    for upper, lower in zip(order, order[columns:], strict=False):
        bottom = max(members[upper], key=lambda n: depth[n])  # the first of the deepest
        top = min(members[lower], key=lambda n: depth[n])
        found.append((bottom, top))
    return found


def _groups(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    """Each node's group (connected component), named by one of its nodes."""
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        parent[root(a)] = root(b)
    return {n: root(n) for n in nodes}


def _depths(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """The longest chain of edges reaching each node (a cycle stops growing at the node count)."""
    depth = dict.fromkeys(nodes, 0)
    for _ in range(len(nodes)):
        changed = False
        for a, b in edges:
            if depth[b] < depth[a] + 1 < len(nodes):
                depth[b] = depth[a] + 1
                changed = True
        if not changed:
            break
    return depth
