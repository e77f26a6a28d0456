"""The request path: which connections a request follows, in which order.

Diagrams (data-flow view), docs (data-flow page) and the manifest all number the
steps the same way because they all ask this one function.

Rules:
- Connections that carry no request (monitoring, deployment, pipeline stages) are not
  part of the path.
- If the model numbers any connection (``step:``), the path is exactly the numbered
  connections, ordered by their number (ties keep YAML order), and they keep the
  architect's numbers (a seed document's narrative may number steps no connection
  carries, so numbers can skip).
- Otherwise the path is derived: a breadth-first walk from the entry points (services
  nobody calls), visiting callers before callees, layers in YAML order and, within a
  service, its connections in YAML order. Connections the walk never reaches (a
  second, disjoint flow) follow in YAML order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from compiler.ir import Architecture, Edge

# Connections that are not part of a request: who watches, deploys or builds whom.
NOT_REQUESTS = frozenset({"monitor", "deploy-target", "pipeline-stage"})


@dataclass(frozen=True)
class Step:
    """One numbered step of the request path."""

    number: int  # 1-based; the YAML's own number when the model numbers its steps
    edge: Edge


def request_path(arch: Architecture) -> tuple[Step, ...]:
    """The numbered steps of the architecture's request path."""
    edges = [e for e in arch.edges if e.via not in NOT_REQUESTS]
    numbered = [e for e in edges if e.step is not None]
    if numbered:  # sorted() is stable: ties keep YAML order
        return tuple(Step(e.step or 0, e) for e in sorted(numbered, key=lambda e: e.step or 0))
    return tuple(Step(i, e) for i, e in enumerate(_walk(arch, edges), start=1))


def _walk(arch: Architecture, edges: list[Edge]) -> list[Edge]:
    layer_index = {sid: i for i, layer in enumerate(arch.layers) for sid in layer.services}
    service_index = {sid: i for i, sid in enumerate(arch.services)}
    called = {e.target for e in edges}
    entries = sorted(
        (sid for sid in {e.source for e in edges} if sid not in called),
        key=lambda sid: (layer_index.get(sid, 0), service_index.get(sid, 0)),
    )
    outgoing: dict[str, list[Edge]] = {}
    for e in edges:
        outgoing.setdefault(e.source, []).append(e)
    ordered: list[Edge] = []
    seen_edges: set[int] = set()
    seen_services = set(entries)
    queue = deque(entries)
    while queue:
        sid = queue.popleft()
        for e in outgoing.get(sid, []):
            ordered.append(e)
            seen_edges.add(id(e))
            if e.target not in seen_services:
                seen_services.add(e.target)
                queue.append(e.target)
    ordered.extend(e for e in edges if id(e) not in seen_edges)
    return ordered
