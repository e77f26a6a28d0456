"""``archc explain FILE SERVICE``: every resource of a service, where it comes from, and
what the model's escape hatch changed.

For each resource the service owns: its Terraform address (the name an override's
``type``/``name`` and an extra resource's ``${type.name.attr}`` use), where it comes
from (the kind's settings, a connection, or the model's ``resources:``), its body as
Terraform JSON (as ``cdk.tf.json`` holds it, less cdktn's metadata) and, when an override
changed it, a unified diff from the body archc emitted to the body written, and the
checkov checks ``archc check`` leaves to the model's decisions or archc's rationale.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from compiler.check.explain import planned_skips
from compiler.docs.pages import format_value
from compiler.ir import ServiceNode
from compiler.terraform.context import Resource, StackBuilder
from modules.base import Service


def _json(body: Any) -> list[str]:
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def _origin(stack: StackBuilder, node: ServiceNode, res: Resource) -> str:
    if res.extra:
        return "the model's resources: of this service"
    if res.edge:
        edge = next((e for e in stack.arch.edges if e.id == res.edge), None)
        roles = sorted({p.element for p in stack.parts(res.edge) if p.address == res.address})  # realization.py
        what = f"{edge.via}" if edge else ""
        what += f"; its {', '.join(roles)}" if roles else ""
        return f"connection {res.edge} ({what})" if what else f"connection {res.edge}"
    if res.address == f"aws_security_group.{node.tf_name}":
        return f"archc: every service in the VPC has its security group (placement: {node.placement})"
    if res.address in (f"aws_iam_role.{node.tf_name}", f"data.aws_iam_policy_document.{node.tf_name}_assume"):
        return f"archc: a kind that runs code has its IAM role (principal {node.spec.info.principal})"
    return f"the {node.kind} kind, from this service's settings"


def _settings(node: ServiceNode) -> str:
    """The kind's settings the model writes (the rest are archc's defaults), as YAML flow text."""
    spec = node.spec
    written = sorted(set(spec.model_fields_set) - set(Service.model_fields))
    fields = type(spec).model_fields
    return ", ".join(f"{fields[n].alias or n}: {format_value(getattr(spec, n))}" for n in written) or "none (archc's defaults)"


def explain_service(stack: StackBuilder, service: str) -> list[str]:
    """The lines ``archc explain`` prints for one service (which must exist)."""
    node = stack.arch.services[service]
    owned = [r for r in stack.resources.values() if r.owner == service]
    overrides = [ov for ov in stack.overrides if ov.service == service]
    extras = sum(r.extra for r in owned)
    skips = planned_skips(stack.arch, stack)
    lines = [
        f"{service} ({node.kind}, {node.title}): {len(owned)} Terraform resources and data sources, "
        f"{len(overrides)} override{'s' if len(overrides) != 1 else ''}, {extras} extra resource{'s' if extras != 1 else ''}",
        f"settings the model sets: {_settings(node)}",
    ]
    for res in owned:
        lines += ["", res.address, f"  from: {_origin(stack, node, res)}"]
        for ov in overrides:
            if res.address in ov.addresses:
                line, col = ov.pos
                why = f"; reason: {ov.reason}" if ov.reason else ""
                lines.append(f"  changed by {ov.entry} ({stack.arch.source_file}:{line}:{col}): {'; '.join(ov.how)}{why}")
        for check, reason in sorted(skips.get(res.address, {}).items()):
            lines.append(f"  checkov {check} left failing: {reason}")
        emitted = stack.emitted.get(res.address)
        if emitted is None:
            lines += [f"  {text}" for text in _json(res.body)]
            continue
        diff = difflib.unified_diff(_json(emitted), _json(res.body), "as archc emits it", "after the overrides", n=10_000, lineterm="")
        lines += [f"  {text}" for text in diff]
    return lines
