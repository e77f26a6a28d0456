"""The escape hatch: each service's ``resources:`` and ``overrides:``, applied after emission.

What no kind models yet, a model adds here and keeps one truth: the change lives in the
model, so it survives every rebuild and ``archc verify`` accepts its output; it is
checked like everything archc writes, and shown wherever the service is.

- ``resources: {type: {name: body}}`` adds raw Terraform resources owned by the service
  (``Resource.extra``), in the shape of ``cdk.tf.json``'s ``resource`` block.
- ``overrides:`` entries select the service's emitted resources by type and name glob and
  apply an RFC 7386 merge patch, then RFC 6902 operations (``jsonpatch.py``).

Every problem is an ``override`` error at the entry's line and column naming the
Terraform address it tried: an unknown type, nothing matched, a patch that cannot apply,
what the provider schema rejects in the patched body (unknown attribute, wrong type, a
required argument removed), a reference to a resource the stack lacks, and a secure
default opened without ``reason:`` (``secure_defaults.py``). An override that sets an
attribute the kind now sets from a setting (``Service.promoted``) gets a warning.
Runs between emission and the schema check (``pipeline._checked_stack``), so
``archc validate`` refuses what ``archc build`` would.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from compiler.errors import Diagnostic, did_you_mean
from compiler.ir import ServiceNode
from compiler.terraform.context import AppliedOverride, Body, HatchDecision, Resource, StackBuilder
from compiler.terraform.jsonpatch import PatchError, json_equal, json_patch, merge_patch
from compiler.terraform.name_limits import too_long
from compiler.terraform.provider_schema import AwsSchema, SchemaProblem, load_aws_schema
from compiler.terraform.secure_defaults import SecureDefault, findings, opened
from modules.base import Override

# A reference to a resource or data source inside a Terraform expression: ${aws_lb.lb.dns_name}.
_REFERENCE = re.compile(r"(?<![\w.])((?:data\.)?aws_[a-z0-9_]+\.[A-Za-z_][A-Za-z0-9_-]*)")
_REPEATERS = frozenset({"count", "for_each"})  # meta-arguments that turn one resource into none or many
_EXPRESSION = re.compile(r"\$\{(.*?)\}", re.DOTALL)


@dataclass
class _Run:
    """One pass of the hatch over a stack: what it found, and what it applied."""

    stack: StackBuilder
    schema: AwsSchema = field(default_factory=load_aws_schema)
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    def fail(self, at: tuple[int, int], message: str, *, warning: bool = False) -> None:
        line, col = at
        diag = Diagnostic("override", message, self.stack.arch.source_file, line, col, "warning" if warning else "error")
        (self.warnings if warning else self.errors).append(diag)


def apply_hatch(stack: StackBuilder) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Add every service's extra resources, then apply its overrides; (errors, warnings).

    Nothing of an entry with an error is applied; the stack is refused as a whole then.
    """
    run = _Run(stack)
    nodes = list(stack.arch.services.values())
    for node in nodes:
        _add_resources(run, node)
    for node in nodes:
        for index, entry in enumerate(node.spec.overrides):
            _override(run, node, index, entry)
    for node in nodes:
        _check_references(run, node)
    return run.errors, run.warnings


# -- resources: --------------------------------------------------------------------------


def _add_resources(run: _Run, node: ServiceNode) -> None:
    positions = dict(node.resource_pos)
    for rtype, named in node.spec.resources.items():
        for name, body in named.items():
            address = f"{rtype}.{name}"
            at = positions.get(address, node.pos)
            where = f"{node.id}: resources {address}"
            if not run.schema.has_resource(rtype):
                hint = did_you_mean(rtype, run.schema.resource_types())
                run.fail(at, f"{where}: no resource type '{rtype}' in the AWS provider{hint}")
                continue
            taken = run.stack.resources.get(address)
            if taken is not None:
                run.fail(at, f"{where}: the stack already has {address} (made by {_maker(run.stack, taken)}); choose another name")
                continue
            problems = [*(SchemaProblem("", m) for m in too_long(rtype, body)), *run.schema.check_resource(rtype, body)]
            for problem in problems:
                run.fail(at, f"{where}{'.' + problem.path if problem.path else ''}: {problem.message}")
            if not problems and _decided(run, node, at, address, findings(rtype, body)):
                run.stack.resources[address] = Resource(rtype, name, copy.deepcopy(body), node.id, extra=True)
    extras = {f"{t}.{n}" for t, named in node.spec.resources.items() for n in named}
    for key in sorted(k for k in node.spec.reasons if "." in k):
        if key not in extras:
            run.fail(node.pos, f"{node.id}: reasons: '{key}' names no extra resource of this service (resources:); remove the reason")


def _decided(run: _Run, node: ServiceNode, at: tuple[int, int], address: str, found: set[tuple[SecureDefault, str]]) -> bool:
    """An extra resource that leaves a secure default open needs the model's reason, under
    ``reasons: {<address>: ...}`` (any extra resource may have one: the docs show it); with
    it, it is a decision. False when refused."""
    reason = node.spec.reasons.get(address, "").strip()
    where = f"{node.id}: resources {address}"
    if not found:
        return True
    opened_here = sorted(f"{rule.label} ({path})" for rule, path in found)
    if not reason:
        open_now = "; ".join(sorted(f"{rule.label}: {path}" for rule, path in found))
        run.fail(at, f"{where}: leaves a secure default open ({open_now}); say why under reasons: {{{address}: ...}}")
        return False
    rules = [rule for rule, _ in found]
    run.stack.decisions.append(
        HatchDecision(
            node.id,
            f"resources {address}",
            (address,),
            tuple(opened_here),
            tuple(sorted({c for rule, path in found for c in rule.checks_for(path)})),
            tuple(sorted({r.invariant for r in rules if r.invariant})),
            reason,
        )
    )
    return True


def _maker(stack: StackBuilder, res: Resource) -> str:
    if res.owner in stack.arch.services:
        return f"service '{res.owner}'" + (" under resources:" if res.extra else "")
    return res.owner


# -- overrides: --------------------------------------------------------------------------


def _override(run: _Run, node: ServiceNode, index: int, entry: Override) -> None:
    at = node.override_pos[index] if index < len(node.override_pos) else node.pos
    data = entry.type.startswith("data.")
    rtype = entry.type.removeprefix("data.")
    target = f"{entry.type}.{entry.name}"
    where = f"{node.id}: overrides[{index}] {target}"
    if entry.merge is None and not entry.patch:
        run.fail(at, f"{where}: says nothing to change; give merge: (a JSON merge patch) or patch: (JSON Patch operations)")
        return
    known = run.schema.has_data_source(rtype) if data else run.schema.has_resource(rtype)
    if not known:
        types = run.schema.data_source_types() if data else run.schema.resource_types()
        what = "data source" if data else "resource type"
        hint = did_you_mean(rtype, types)
        hint = hint.replace("'", "'data.", 1) if data and hint else hint
        run.fail(at, f"{where}: no {what} '{rtype}' in the AWS provider{hint}")
        return
    own = [r for r in run.stack.resources.values() if r.owner == node.id and not r.extra]
    of_type = [r for r in own if r.type == rtype and r.data == data]
    matched = [r for r in of_type if fnmatch.fnmatchcase(r.name, entry.name)]
    if not matched:
        extra = any(r.owner == node.id and r.extra and r.type == rtype for r in run.stack.resources.values())
        also = "; overrides change what archc generates: edit the service's resources: instead" if extra else ""
        run.fail(at, f"{where}: {_no_match(run.stack.arch.source_file, node, own, of_type, entry.type)}{also}")
        return
    operations = [op.model_dump(by_alias=True, exclude_unset=True) for op in entry.patch]
    changes: dict[str, tuple[Body, Body]] = {}
    problems_before = len(run.errors)
    for res in matched:
        before = res.body
        try:
            after = merge_patch(before, entry.merge) if entry.merge is not None else copy.deepcopy(before)
            after = json_patch(after, operations) if operations else after
        except PatchError as exc:
            run.fail(at, f"{node.id}: overrides[{index}] {res.address}: {exc}")
            continue
        if not isinstance(after, dict):
            run.fail(at, f"{node.id}: overrides[{index}] {res.address}: the patch makes the body {type(after).__name__}, not an object")
            continue
        for meta in sorted(_REPEATERS & (after.keys() - before.keys())):  # count: 0 would delete it past every check
            why = "the rest of the stack refers to it as one resource; add resources of your own under resources: instead"
            run.fail(at, f"{node.id}: overrides[{index}] {res.address}: cannot set {meta}: {why}")
        _schema(run, at, f"{node.id}: overrides[{index}] {res.address}", res, before, after)
        changes[res.address] = (before, after)
    if len(run.errors) > problems_before:
        return
    _record(run, node, index, entry, at, changes)


def _no_match(model: str, node: ServiceNode, own: list[Resource], of_type: list[Resource], type_name: str) -> str:
    if not of_type:
        types = sorted({f"data.{r.type}" if r.data else r.type for r in own})
        has = ", ".join(types) if types else "none"
        return f"service '{node.id}' has no {type_name} (its types: {has}; 'archc explain {model} {node.id}' lists its resources)"
    names = ", ".join(r.address for r in of_type)
    return f"matches none of the {type_name} resources of service '{node.id}' ({names})"


def _schema(run: _Run, at: tuple[int, int], where: str, res: Resource, before: Body, after: Body) -> None:
    """What the provider schema rejects in ``after`` and did not in ``before``."""
    check = run.schema.check_data_source if res.data else run.schema.check_resource
    known = set(check(res.type, before))
    too_long_names = [] if res.data else [SchemaProblem("", m) for m in too_long(res.type, after)]  # AWS's name limits
    for problem in [*check(res.type, after), *too_long_names]:
        if problem in known:
            continue
        message = problem.message
        if message.startswith("missing required "):
            message = "the patch removes required " + message.removeprefix("missing required ")
        run.fail(at, f"{where}{'.' + problem.path if problem.path else ''}: {message}")


def _record(run: _Run, node: ServiceNode, index: int, entry: Override, at: tuple[int, int], changes: dict[str, tuple[Body, Body]]) -> None:
    """Check the entry's security and promotion, then apply it and write down what it did."""
    rtype = entry.type
    opens: list[str] = []
    checks: list[str] = []
    invariants: list[str] = []
    attributes: set[str] = set()
    opened_on: set[str] = set()
    errors_before = len(run.errors)
    for address, (before, after) in changes.items():
        for rule, path in opened(rtype, before, after):
            opened_on.add(address)
            if not entry.reason.strip():
                why = f"opens a secure default ({rule.label}: {path}); say why under reason: in this override"
                run.fail(at, f"{node.id}: overrides[{index}] {address}: {why}")
            opens.append(f"{rule.label} ({path})")
            checks += rule.checks_for(path)
            invariants += [rule.invariant] if rule.invariant else []
        attributes |= {k for k in before.keys() | after.keys() if k not in before or k not in after or not json_equal(before[k], after[k])}
    for attribute in sorted(attributes):
        setting = type(node.spec).promoted.get(f"{rtype}.{attribute}")
        if setting:
            message = f"sets {attribute}, which {node.kind} now sets from its '{setting}' setting: use the setting and remove this override"
            run.fail(at, f"{node.id}: overrides[{index}] {rtype}.{entry.name}: {message}", warning=True)
    if len(run.errors) > errors_before:
        return
    for address, (before, after) in changes.items():
        run.stack.emitted.setdefault(address, before)
        run.stack.resources[address].body = after
    how = [f"merge {', '.join(sorted(entry.merge))}" for _ in [entry.merge] if entry.merge is not None]
    how += [f"{op.op} {op.path}" + (f" from {op.from_}" if op.from_ is not None else "") for op in entry.patch]
    if opens and entry.reason.strip():
        found = tuple(dict.fromkeys(opens))
        what = f"overrides[{index}]"
        decision = HatchDecision(
            node.id, what, tuple(sorted(opened_on)), found, tuple(sorted(set(checks))), tuple(sorted(set(invariants))), entry.reason.strip()
        )
        run.stack.decisions.append(decision)
    run.stack.overrides.append(
        AppliedOverride(
            service=node.id,
            index=index,
            target=f"{rtype}.{entry.name}",
            addresses=tuple(sorted(changes)),
            attributes=tuple(sorted(attributes)),
            how=tuple(how),
            opened=tuple(dict.fromkeys(opens)),
            checks=tuple(sorted(set(checks))),
            invariants=tuple(sorted(set(invariants))),
            reason=entry.reason.strip(),
            pos=at,
        )
    )


# -- references ----------------------------------------------------------------------------


def references(value: Any) -> set[str]:
    """Addresses of resources and data sources named in the Terraform expressions of ``value``.

    >>> sorted(references({"a": "${aws_lb.lb.dns_name}", "b": ["${jsonencode({x = data.aws_region.here.name})}"]}))
    ['aws_lb.lb', 'data.aws_region.here']
    """
    if isinstance(value, str):
        return {ref for expr in _EXPRESSION.findall(value) for ref in _REFERENCE.findall(expr)}
    if isinstance(value, dict):
        return set().union(*(references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    return set()


def _check_references(run: _Run, node: ServiceNode) -> None:
    """A hatch that names a resource the stack lacks would fail at plan time: say so now."""
    # An extra resource refused above is not "missing" a second time.
    present = set(run.stack.resources) | {
        f"{t}.{n}" for other in run.stack.arch.services.values() for t, named in other.spec.resources.items() for n in named
    }
    positions = dict(node.resource_pos)
    written: list[tuple[tuple[int, int], str, Any]] = []
    for rtype, named in node.spec.resources.items():
        for name, body in named.items():
            written.append((positions.get(f"{rtype}.{name}", node.pos), f"resources {rtype}.{name}", body))
    for index, entry in enumerate(node.spec.overrides):
        at = node.override_pos[index] if index < len(node.override_pos) else node.pos
        written.append((at, f"overrides[{index}] {entry.type}.{entry.name}", [entry.merge, [op.value for op in entry.patch]]))
    for at, where, value in written:
        for ref in sorted(references(value) - present):
            hint = did_you_mean(ref, present)
            run.fail(at, f"{node.id}: {where}: references {ref}, which the stack does not have{hint}")
