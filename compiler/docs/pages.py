"""The facts each docs page shows, as plain data for the templates.

Everything here is read from the resolved architecture (IR), the kind's pydantic
settings and catalog entry, and the emitted stack; the templates only lay it out.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from compiler.docs.markdown import Md, code, codes, escape, link, relative
from compiler.docs.stackfacts import Alarm, Grant, Rule, alarms_of
from compiler.ir import Architecture, Edge, Reference, ServiceNode
from compiler.names import diagram_file, doc_edge_link, doc_service_page
from compiler.terraform.context import AppliedOverride, StackBuilder
from compiler.terraform.realization import ELEMENTS, Part, outside_aws
from modules.base import Capability, RefTo, Service

# How each kind of connection is compiled, in words (capabilities are a closed set).
VIA_TEXT: dict[Capability, str] = {
    "network": "network (security group rules)",
    "api": "AWS API (IAM policy)",
    "origin": "CloudFront origin",
    "alias": "DNS alias record",
    "lb-target": "load balancer target",
    "subscriber": "topic subscription",
    "consumer": "event source (trigger)",
    "notify": "S3 event notification",
    "deploy-target": "deployment target",
    "monitor": "monitoring (alarms, dashboard)",
    "pipeline-stage": "pipeline stage",
    "api-target": "API integration",
    "web-endpoint": "API URL for a browser front end (environment variable, CORS)",
    "event-target": "EventBridge rule target (schedule or event pattern)",
    "none": "no wiring of its own",
}
DRAWN_ONLY = "drawn only (outside AWS)"  # a connection to or from users: no Terraform
BASE_FIELDS = frozenset(Service.model_fields)  # kind, title, description: shown elsewhere


def layer_page(layer: str) -> str:
    """Path of a layer's page inside the output directory."""
    return f"docs/layers/{layer}.md"


class Links:
    """Relative links from one page to any other page, anchor or figure."""

    def __init__(self, arch: Architecture, here: str, figures: frozenset[str]) -> None:
        self.arch, self.here, self.figures = arch, here, figures

    def to(self, path: str) -> str:
        """The relative path from this page to ``path`` (relative to the output dir)."""
        return relative(self.here, path)

    def service(self, sid: str) -> Md:
        """``[Title](db.md)``."""
        return link(self.arch.services[sid].title, self.to(doc_service_page(sid)))

    def layer(self, name: str) -> Md:
        """``[Layer title](../layers/data.md)``."""
        title = next(la.title for la in self.arch.layers if la.name == name)
        return link(title, self.to(layer_page(name)))

    def edge(self, edge: Edge, text: str | None = None) -> Md:
        """The connection on its source's page."""
        return link(text or f"{edge.source} → {edge.target}", self.to(doc_edge_link(edge)))

    def edge_or_dash(self, edge_id: str) -> Md:
        """A connection by id, or "–" for a resource no connection asked for."""
        edge = next((e for e in self.arch.edges if e.id == edge_id), None)
        return self.edge(edge) if edge else Md("–")

    def figure(self, view: str, alt: str) -> Md:
        """A figure drawn by the build, or nothing when this build drew none."""
        path = diagram_file(view, "svg")
        if path not in self.figures:
            return Md("")
        # Linked to itself: the page fits the figure to its column, the link opens it full size.
        return Md(f"[![{escape(alt)}]({self.to(path)})]({self.to(path)})")


@dataclass(frozen=True)
class Setting:
    """One YAML setting of a service as deployed."""

    key: str
    value: str | Md
    default: str
    explicit: bool  # written in the model (else the default applies)
    description: str


def format_value(value: Any) -> str:
    """A setting's value the way it would be written in YAML (flow style).

    >>> format_value([True, None, {"a": 1}])
    '[true, none, {a: 1}]'
    """
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    default = field.default_factory() if field.default is PydanticUndefined else field.default
    return format_value(default)


def _ref_marker(field: Any) -> RefTo | None:
    found = [m for m in field.metadata if isinstance(m, RefTo)]
    stack = [field.annotation]
    while stack and not found:
        arg = stack.pop()
        found = [arg] if isinstance(arg, RefTo) else []
        stack.extend(typing.get_args(arg))
    return found[0] if found else None


def settings(node: ServiceNode, links: Links) -> list[Setting]:
    """Every setting of the service's kind: its value as deployed, default made visible."""
    spec = node.spec
    rows = []
    for name, field in type(spec).model_fields.items():
        if name in BASE_FIELDS:
            continue
        value = getattr(spec, name)
        shown: str | Md = format_value(value)
        if _ref_marker(field) is not None and value:
            names = value if isinstance(value, (list, tuple)) else [value]
            shown = Md(", ".join(links.service(n) for n in names if n in links.arch.services))
        rows.append(Setting(field.alias or name, shown, _default(field), name in spec.model_fields_set, field.description or ""))
    return rows


def connection_detail(edge: Edge) -> str:
    """What a connection opens: ``TCP 5432``, ``read-write``, ``/api/*``."""
    parts = []
    if edge.port is not None:
        parts.append(f"{(edge.protocol or 'tcp').upper()} {edge.port}")
    if edge.access:
        parts.append(edge.access)
    if edge.path:
        parts.append(edge.path)
    return ", ".join(parts) or "–"


def realized_by(edge: Edge, parts: list[Part], arch: Architecture) -> Md:
    """What a connection compiled into, by element (realization.py): each part's Terraform
    address and, in brackets, where in it; "drawn only" for connections outside AWS.

    Parts of one element share a line: ``path: `aws_…_rule.a`, `aws_…_rule.b```.
    """
    if not parts and outside_aws(edge, arch):
        return Md(DRAWN_ONLY)
    lines = []
    for element in ELEMENTS:
        items = [code(p.address) + (Md(f" ({escape(p.detail)})") if p.detail else "") for p in parts if p.element == element]
        if items:
            lines.append(f"{element}: {', '.join(items)}")
    return Md("<br>".join(lines) or "–")


def via_text(edge: Edge, arch: Architecture) -> str:
    """How a connection compiles, in words; "outside AWS" when one end is."""
    return "outside AWS" if outside_aws(edge, arch) else VIA_TEXT[edge.via]


@dataclass(frozen=True)
class ServiceFacts:
    """Everything one service page shows."""

    node: ServiceNode
    inbound: tuple[Edge, ...]
    outbound: tuple[Edge, ...]
    named_by: tuple[Reference, ...]  # other services' settings that name it
    names: tuple[Reference, ...]  # its settings that name other services
    rules: tuple[Rule, ...]  # on its own security group
    grants: tuple[Grant, ...]  # on its role(s)
    resource_policies: tuple[Grant, ...]  # on its resources, for others
    resources: tuple[tuple[str, str, str], ...]  # (address, connection id, how the model changed it: "" if not)
    outputs: tuple[tuple[str, str], ...]  # (name, description)
    overrides: tuple[AppliedOverride, ...]  # the escape hatch's changes to its resources
    alarms: tuple[Alarm, ...] = ()  # the metric alarms it owns (a monitor's), with their thresholds


def service_facts(arch: Architecture, stack: StackBuilder, node: ServiceNode, rules: list[Rule], grants: list[Grant]) -> ServiceFacts:
    """Collect one service's facts from the IR and the stack."""
    return ServiceFacts(
        node=node,
        inbound=arch.edges_to(node.id),
        outbound=arch.edges_from(node.id),
        named_by=arch.references_to(node.id),
        names=arch.references_from(node.id),
        rules=tuple(r for r in rules if r.service == node.id),
        grants=tuple(g for g in grants if g.service == node.id and g.role),
        resource_policies=tuple(g for g in grants if g.service == node.id and not g.role),
        resources=tuple((r.address, r.edge, hatch_note(stack, r.address)) for r in stack.resources.values() if r.owner == node.id),
        outputs=tuple((o.name, o.description) for o in stack.outputs.values() if o.owner == node.id),
        overrides=tuple(ov for ov in stack.overrides if ov.service == node.id),
        alarms=tuple(alarms_of(stack, node.id)),
    )


def hatch_note(stack: StackBuilder, address: str) -> str:
    """How the model's escape hatch changed a resource: "added under resources:",
    "changed by overrides[0]", or "" when it did not."""
    if stack.resources[address].extra:
        return "added under resources:"
    entries = [ov.entry for ov in stack.overrides if address in ov.addresses]
    return f"changed by {', '.join(entries)}" if entries else ""


def override_change(ov: AppliedOverride) -> Md:
    """What an override does: its operations, then the attributes they changed, as inline code."""
    return Md(codes(ov.how) + (f" (changes {codes(ov.attributes)})" if ov.attributes else ""))
