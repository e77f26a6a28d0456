"""Whole-model checks that no single setting or kind can make on its own.

Called by :mod:`compiler.resolve` once services and connections are known. Each check
returns located diagnostics; none raises.

- the Terraform state backend: an s3 backend needs a bucket; settings of the other
  backend type are a contradiction, not something to ignore;
- NAT: private subnets reach the internet through a NAT gateway that lives in a public
  subnet, so ``nat`` without a public tier would silently give them no route;
- event loops: a function that (through queues and topics) triggers itself runs
  forever, and AWS cuts such loops off after 16 rounds; never what an architect means.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from compiler.errors import Diagnostic, ErrorCode, did_you_mean
from compiler.ir import Edge, Network
from compiler.loader import Path_
from compiler.model import ArchitectureSpec
from compiler.regions import AZ_LETTERS
from modules.base import Service

Err = Callable[[ErrorCode, str, Path_], Diagnostic]
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BACKEND: Path_ = ("terraform", "backend")


def check_backend(spec: ArchitectureSpec, err: Err) -> list[Diagnostic]:
    """The state backend's settings agree with its type."""
    b = spec.terraform.backend
    given = {name: value for name, value in (("bucket", b.bucket), ("key", b.key), ("region", b.region), ("lock_table", b.lock_table))}
    if b.type == "local":
        return [
            err("conflict", f"'{name}' applies to an s3 backend; set type: s3 or remove '{name}'", (*_BACKEND, name))
            for name, value in given.items()
            if value is not None
        ]
    found: list[Diagnostic] = []
    if b.bucket is None:
        found.append(err("missing", "an s3 backend needs 'bucket': the S3 bucket that keeps the Terraform state", (*_BACKEND, "type")))
    elif not BUCKET_NAME.match(b.bucket) or ".." in b.bucket:
        rule = "3 to 63 lowercase letters, digits, dots and dashes"
        found.append(err("value", f"'{b.bucket}' is not a valid S3 bucket name ({rule})", (*_BACKEND, "bucket")))
    if b.region is not None and b.region not in AZ_LETTERS:
        found.append(err("value", f"unknown AWS region '{b.region}'{did_you_mean(b.region, AZ_LETTERS)}", (*_BACKEND, "region")))
    return found


def check_nat(spec: ArchitectureSpec, network: Network | None, err: Err) -> list[Diagnostic]:
    """A NAT gateway needs a public subnet; without one private subnets get no internet route."""
    if network is None or network.nat == "none" or "private" not in network.tiers or "public" in network.tiers:
        return []
    named = spec.network != "none" and "nat" in spec.network.model_fields_set
    where: Path_ = ("network", "nat") if named else ("network", "subnets")
    return [
        err(
            "conflict",
            f"nat: {network.nat} places NAT gateways in public subnets, but the network has no public tier; "
            "add a public tier to 'subnets' or set nat: none (private subnets then have no internet access)",
            where,
        )
    ]


def check_event_loops(edges: Iterable[Edge], kinds: dict[str, Service], file: str) -> list[Diagnostic]:
    """Report each cycle made only of event deliveries (a queue or topic triggering its
    consumer, a function sending to a queue or topic), once, at its first connection."""
    triggers: dict[str, list[Edge]] = {}
    for e in edges:
        if _triggers(e, kinds):
            triggers.setdefault(e.source, []).append(e)
    found: list[Diagnostic] = []
    reported: set[frozenset[str]] = set()
    for start in sorted(triggers):
        cycle = _cycle_from(start, triggers)
        if cycle is None or frozenset(e.id for e in cycle) in reported:
            continue
        reported.add(frozenset(e.id for e in cycle))
        route = " -> ".join([cycle[0].source, *(e.target for e in cycle)])
        first = min(cycle, key=lambda e: e.pos)
        message = (
            f"these connections form an endless event loop ({route}): each message triggers the next and "
            f"finally '{cycle[0].source}' again; break the loop (e.g. send results to another queue or topic)"
        )
        found.append(Diagnostic("connection", message, file, *first.pos))
    return found


def _triggers(edge: Edge, kinds: dict[str, Service]) -> bool:
    """Does a message over this connection start the target's work by itself?"""
    if edge.via in ("consumer", "subscriber"):
        return True
    # Sending to a queue or publishing to a topic: the target kind says which of its access
    # levels deliver onwards (KindInfo.delivers).
    return edge.via == "api" and edge.access in kinds[edge.target].info.delivers


def _cycle_from(start: str, graph: dict[str, list[Edge]]) -> list[Edge] | None:
    """The first cycle back to ``start`` (depth first, in model order), as its edges."""
    stack: list[tuple[str, list[Edge]]] = [(start, [])]
    visited: set[str] = set()
    while stack:
        node, trail = stack.pop()
        for e in reversed(graph.get(node, [])):
            if e.target == start:
                return [*trail, e]
            if e.target not in visited:
                visited.add(e.target)
                stack.append((e.target, [*trail, e]))
    return None
