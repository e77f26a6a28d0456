"""``stacks:``: the architecture's resources split into several Terraform stacks.

A model without ``stacks:`` is one stack named after the architecture, exactly as
emitted. With ``stacks:``, each resource goes to one stack:

- a resource that implements a connection (``Resource.edge``) goes to the stack of the
  connection's caller (its ``from``), even when it sits on the target (the ingress
  rule on the database's security group, the queue policy): the caller's stack then
  depends on the target's, never both ways, as a connection only adds to its target;
- a service's own resources go to the stack of its layer;
- what the whole architecture shares (the VPC, the data key, the Service Connect
  namespace, the budget; owner ``network`` or ``architecture``) goes to the stack
  ``shared``, which every stack that uses it depends on, but for a shared resource that
  names the resources of one stack's services (the VPC's flow log into a bucket
  service): that goes with them, as their stack reads ``shared`` anyway; the shared *data sources*
  (partition, account id, region), which keep no state, are copied into each stack
  that reads them instead.

A reference from one stack to a resource of another (``${aws_db_instance.db.arn}``)
becomes an output of the producer (``aws_db_instance__db__arn``) and, in the consumer,
``${data.terraform_remote_state.<producer>.outputs.aws_db_instance__db__arn}``, with
the backend settings the producer writes its state with (local: the producer's state
file by relative path; s3: the same bucket, the producer's key). The outputs are
marked sensitive: the packaged provider schema does not say which attributes the
provider holds secret, and a secret read by another stack must not reach a log.
A ``depends_on`` on a resource of another stack is dropped: the stack order keeps it.

The stacks depend on one another through those references; a cycle is an error that
names the connections (or the resources) that form it. ``order()`` is the dependency
order (producers first) that cdktn's ``manifest.json`` records.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from compiler.errors import ArchcError, Diagnostic
from compiler.ir import SHARED_STACK, Architecture, Backend
from compiler.terraform.context import Output, Resource, StackBuilder

# ``aws_x.name.attr`` or ``data.aws_x.name.attr`` inside an expression.
# ``aws_x.name.attr``, ``aws_x.name[0].attr`` (a resource with count) or ``data.aws_x.name.attr`` in an expression.
_REFERENCE = re.compile(r"(?<![\w.])((?:data\.)?aws_[a-z0-9_]+\.[A-Za-z_][A-Za-z0-9_-]*)((?:\[(?:\d+|\*)\])?)\.([A-Za-z_][A-Za-z0-9_]*)")
_SHARED_OWNERS = ("network", "architecture")


@dataclass
class StackPart:
    """One Terraform stack: its resources (bodies rewritten), outputs and remote reads."""

    name: str
    resources: dict[str, Resource] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    reads: set[str] = field(default_factory=set)  # the stacks whose state it reads
    assets: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """Why one stack depends on another: a resource of it names a resource of the other."""

    consumer: str
    producer: str
    resource: str  # the consumer's resource
    target: str  # the producer's resource it names
    edge: str  # the connection the consumer's resource implements, "" if none
    owners: tuple[str, str] = ("", "")  # who owns the consumer's resource and the producer's


_last: tuple[StackBuilder, int, list[StackPart]] | None = None  # the last split: a build asks several times


def split(stack: StackBuilder) -> list[StackPart]:
    """The stacks of the architecture, producers first; ArchcError on a cycle."""
    global _last
    if _last is not None and _last[0] is stack and _last[1] == len(stack.resources):
        return _last[2]
    parts = _split(stack)
    _last = (stack, len(stack.resources), parts)
    return parts


def _split(stack: StackBuilder) -> list[StackPart]:
    arch = stack.arch
    if not arch.stacks:
        return [StackPart(arch.name, dict(stack.resources), dict(stack.outputs), set(), dict(stack.assets))]
    home = _homes(stack)
    parts = {name: StackPart(name) for name in [SHARED_STACK, *(g.name for g in arch.stacks)]}
    shared_data = {a for a, r in stack.resources.items() if r.data and r.owner in _SHARED_OWNERS}
    links: list[Link] = []
    pending = [(a, home[a]) for a in stack.resources if a not in shared_data]
    placed: set[tuple[str, str]] = set()

    def drain() -> None:  # a shared data source lands in every stack that reads it (and may read others)
        while pending:
            address, where = pending.pop(0)
            if (address, where) in placed:
                continue
            placed.add((address, where))
            res = stack.resources[address]
            body = _rewrite(res.body, address, where, stack, home, shared_data, parts, links, pending)
            parts[where].resources[address] = Resource(res.type, res.name, body, res.owner, res.data, res.provider, res.edge, res.extra)

    drain()
    for output in stack.outputs.values():
        where = _service_stack(arch, output.owner) if output.owner in arch.services else SHARED_STACK
        value = _rewrite(output.value, f"output.{output.name}", where, stack, home, shared_data, parts, links, pending)
        parts[where].outputs[output.name] = Output(output.name, value, output.description, output.owner, output.sensitive)
    drain()
    if parts[SHARED_STACK].resources:  # a shared data source nothing reads stays where it was: in the shared stack
        pending.extend((a, SHARED_STACK) for a in sorted(shared_data) if not any(a == p for p, _ in placed))
        drain()
    for rel, content in stack.assets.items():  # assets/<service>/...: the service's stack
        parts[_service_stack(arch, rel.split("/")[1])].assets[rel] = content
    _check_cycles(arch, links)
    return _in_order([p for p in parts.values() if p.resources or p.outputs])


def _service_stack(arch: Architecture, service: str) -> str:
    layer = arch.services[service].layer
    return next(g.name for g in arch.stacks if layer in g.layers)


def _homes(stack: StackBuilder) -> dict[str, str]:
    arch = stack.arch
    edges = {e.id: e for e in arch.edges}
    home = {}
    for address, res in stack.resources.items():
        if res.edge and res.edge in edges:
            home[address] = _service_stack(arch, edges[res.edge].source)
        elif res.owner in arch.services:
            home[address] = _service_stack(arch, res.owner)
        else:
            home[address] = SHARED_STACK
    # A shared resource that names a service's resource (the VPC's flow log into a bucket
    # service) goes with that service, whose stack reads the shared one anyway.
    for address, res in stack.resources.items():
        if home[address] == SHARED_STACK and not res.data:
            named = {home[t] for t, _, _ in _REFERENCE.findall(json.dumps(res.body)) if t in home} - {SHARED_STACK}
            if len(named) == 1:
                home[address] = named.pop()
    return home


def output_name(address: str, attribute: str, index: str = "") -> str:
    """The producer's output for ``address[index].attribute``: ``aws_db_instance__db__arn``,
    ``aws_instance__app__0__id`` (``[*]``: ``all``)."""
    at = f"__{index.strip('[]').replace('*', 'all')}" if index else ""
    return f"{address.replace('.', '__')}{at}__{attribute}"


def _rewrite(
    value: Any,
    address: str,
    where: str,
    stack: StackBuilder,
    home: dict[str, str],
    shared_data: set[str],
    parts: dict[str, StackPart],
    links: list[Link],
    pending: list[tuple[str, str]],
) -> Any:
    """``value`` as stack ``where`` sees it: references into other stacks read their state."""
    edge = stack.resources[address].edge if address in stack.resources else ""

    def one(match: re.Match[str]) -> str:
        target, index, attribute = match.group(1), match.group(2), match.group(3)
        if target not in stack.resources:
            return match.group(0)
        if target in shared_data:
            pending.append((target, where))
            return match.group(0)
        producer = home[target]
        if producer == where:
            return match.group(0)
        name = output_name(target, attribute, index)
        parts[producer].outputs[name] = Output(name, f"${{{target}{index}.{attribute}}}", f"read by stack {where}", "architecture", True)
        parts[where].reads.add(producer)
        owner = stack.resources[address].owner if address in stack.resources else ""
        links.append(Link(where, producer, address, target, edge, (owner, stack.resources[target].owner)))
        return f"data.terraform_remote_state.{producer}.outputs.{name}"

    def walk(v: Any, key: str = "") -> Any:
        if isinstance(v, str):
            return _REFERENCE.sub(one, v) if "${" in v else v
        if isinstance(v, dict):
            return {k: walk(x, k) for k, x in v.items()}
        if isinstance(v, list):
            if key == "depends_on":  # another stack's resource exists before this stack is applied
                kept = [x for x in v if not (isinstance(x, str) and x in home and home[x] != where and x not in shared_data)]
                return [walk(x) for x in kept]
            return [walk(x) for x in v]
        return v

    return walk(copy.deepcopy(value))


def remote_state(arch: Architecture, producer: str) -> dict[str, Any]:
    """The ``terraform_remote_state`` data source that reads ``producer``'s outputs."""
    b = arch.backend
    if b.type == "s3":
        return {"backend": "s3", "config": {"bucket": b.bucket, "key": state_key(arch, b, producer), "region": b.region}}
    return {"backend": "local", "config": {"path": f"../{producer}/terraform.tfstate"}}


def state_key(arch: Architecture, b: Backend, stack: str) -> str:
    """Each stack's state object in the S3 bucket: the model's key with the stack's name
    as its last folder (``archc/<arch>/<stack>/terraform.tfstate`` by default)."""
    key = b.key or f"archc/{arch.name}/terraform.tfstate"
    if not arch.stacks:
        return key
    folder, _, file = key.rpartition("/")
    return f"{folder}/{stack}/{file}" if folder else f"{stack}/{file}"


def _in_order(parts: list[StackPart]) -> list[StackPart]:
    """Producers first; among stacks free to go, in the model's order (shared first)."""
    done: list[StackPart] = []
    left = list(parts)
    while left:
        ready = next(p for p in left if p.reads <= {d.name for d in done})
        done.append(ready)
        left.remove(ready)
    return done


def _check_cycles(arch: Architecture, links: list[Link]) -> None:
    graph: dict[str, dict[str, Link]] = {}
    for link in links:
        graph.setdefault(link.consumer, {}).setdefault(link.producer, link)
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return None

    for start in [SHARED_STACK, *(g.name for g in arch.stacks)]:
        if start not in state:
            cycle = visit(start)
            if cycle:
                raise ArchcError([_cycle_error(arch, [graph[a][b] for a, b in itertools.pairwise(cycle)])])


def _cycle_error(arch: Architecture, cycle: list[Link]) -> Diagnostic:
    edges = {e.id: e for e in arch.edges}
    steps = []
    named = []
    for link in cycle:
        # The connection behind it: the one the resource implements, else one between the two owners (either way).
        edge = edges.get(link.edge) or next((e for e in arch.edges if {e.source, e.target} == set(link.owners)), None)
        why = f"connection {edge.id}: " if edge else ""
        steps.append(f"{link.consumer} reads {link.producer} ({why}{link.resource} names {link.target})")
        named += [edge] if edge else []
    at = named[0].pos if named else None
    if at is None:  # no connection behind it: at the first of the model's stacks in the cycle
        names = {link.consumer for link in cycle}
        at = next((g.pos for g in arch.stacks if g.name in names), arch.stacks[0].pos if arch.stacks else (1, 1))
    message = "the stacks depend on one another in a cycle: " + "; ".join(steps) + "; move the layers into one stack"
    return Diagnostic("conflict", message, arch.source_file, at[0], at[1])
