"""Render the docs pages: resolved Architecture + emitted stack -> ``{docs/...md: bytes}``.

Templates live in ``templates/``; undefined names fail the build (StrictUndefined),
and every value they print is Markdown-escaped unless built as :class:`Md`.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from compiler.caches import cache_dir
from compiler.cost.estimate import Estimate, estimate
from compiler.cost.report import FREE_TIER_TEXT, layer_totals, usd
from compiler.cost.report import rows as cost_rows
from compiler.docs.markdown import Md, anchor, code, codes, finalize, link
from compiler.docs.pages import Links, connection_detail, layer_page, override_change, realized_by, service_facts, settings, via_text
from compiler.docs.stackfacts import Grant, Rule, iam_grants, resources_of, security_rules
from compiler.flow import request_path
from compiler.ir import Architecture, ServiceNode
from compiler.names import diagram_layer_view, doc_edge_anchor, doc_override_anchor, doc_service_page
from compiler.terraform.context import StackBuilder

TEMPLATES = Path(__file__).parent / "templates"
_BLANK_LINES = re.compile(r"\n{3,}")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs (compiling them is most of a first docs
    render: bench/results.md); a cache that cannot be written is skipped, never a
    failed build."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@cache
def _environment() -> jinja2.Environment:
    compiled = cache_dir("archc-jinja")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        bytecode_cache=TemplateCache(str(compiled)) if compiled else None,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML: finalize() escapes for Markdown instead
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["code"] = code
    env.globals.update(anchor=anchor, codes=codes, via=via_text, detail=connection_detail, edge_anchor=doc_edge_anchor)
    env.globals.update(override_anchor=doc_override_anchor, override_change=override_change, link=link, service_page=doc_service_page)
    return env


def _render(template: str, **context: Any) -> bytes:
    text = _environment().get_template(template).render(**context)
    return (_BLANK_LINES.sub("\n\n", text).strip() + "\n").encode()


def placement_text(node: ServiceNode, vpc: bool = True) -> str:
    """Where a service runs, in words (``vpc`` False: the model has no VPC, ``network: none``)."""
    if node.placement == "outside":
        return "outside the VPC" if vpc else "no VPC (network: none)"
    return f"runs in the {node.placement} subnets"


def render_docs(arch: Architecture, stack: StackBuilder, model: str, figures: frozenset[str] = frozenset()) -> dict[str, bytes]:
    """Every docs page of an architecture; ``figures`` are the diagram files the build
    wrote, ``model`` the model's path relative to the output directory (the index's footer)."""
    rules, grants = security_rules(stack), iam_grants(stack)

    def links(page: str) -> Links:
        return Links(arch, page, figures)

    realized = {e.id: realized_by(e, stack.parts(e.id), arch) for e in arch.edges}

    cost = estimate(arch, stack)
    files = {
        "docs/index.md": _index(arch, stack, links("docs/index.md"), model, cost),
        "docs/cost.md": _cost(arch, cost, links("docs/cost.md")),
        "docs/data-flow.md": _data_flow(arch, links("docs/data-flow.md")),
        "docs/network.md": _network(arch, stack, links("docs/network.md")),
        "docs/security.md": _security(arch, rules, grants, links("docs/security.md")),
        "docs/decisions.md": _render(
            "decisions.md.j2",
            arch=arch,
            links=links("docs/decisions.md"),
            decisions=_all_decisions(arch),
            overrides=stack.overrides,
            extras=_extras(stack),
        ),
    }
    for layer in arch.layers:
        page = layer_page(layer.name)
        figure = diagram_layer_view(layer.name)  # drawn above the node budget: the layer's own figure
        files[page] = _render(
            "layer.md.j2",
            arch=arch,
            layer=layer,
            links=links(page),
            placement=functools.partial(placement_text, vpc=arch.network.vpc),
            figure=figure,
        )
    for node in arch.services.values():
        page = doc_service_page(node.id)
        files[page] = _render(
            "service.md.j2",
            node=node,
            info=node.spec.info,
            placement=placement_text(node, arch.network.vpc),
            vpc=arch.network.vpc,
            links=links(page),
            settings=settings(node, links(page)),
            f=service_facts(arch, stack, node, rules, grants),
            roles=sorted({g.role for g in grants if g.service == node.id and g.role}),
            realized=realized,
            decisions=[d for _, d in _decisions(arch, [node.id])],
            after_apply=node.spec.after_apply(node),
            cost=[ln for ln in cost.lines if ln.service == node.id],
            usd=usd,
        )
    return files


def _extras(stack: StackBuilder) -> list[tuple[str, str, str, str]]:
    """(service, address, the secure defaults it leaves open, the reason) of each extra resource."""
    decided = {d.addresses[0]: d for d in stack.decisions if d.what.startswith("resources ")}
    rows = []
    for r in stack.resources.values():
        if r.extra:
            d = decided.get(r.address)
            reason = stack.arch.services[r.owner].spec.reasons.get(r.address, "")
            rows.append((r.owner, r.address, "; ".join(d.opened) if d else "", reason))
    return rows


def _decisions(arch: Architecture, sids: list[str]) -> list[tuple[str, Any]]:
    return [(sid, d) for sid in sids for d in arch.services[sid].spec.decisions()]


def _all_decisions(arch: Architecture) -> list[tuple[str | None, Any]]:
    """Every relaxed default: the network's settings (service None), then each service's."""
    return [*((None, d) for d in arch.network.decisions), *_decisions(arch, list(arch.services))]


def _cost(arch: Architecture, est: Estimate, links: Links) -> bytes:
    layers = layer_totals(arch, est)
    prices = sorted({ln.price for ln in est.lines if ln.price is not None}, key=lambda p: p.key)
    return _render(
        "cost.md.j2",
        arch=arch,
        est=est,
        links=links,
        usd=usd,
        number=lambda v: f"{v:,.6g}",
        rows=cost_rows(arch, est),
        layers=layers,
        pools=est.pools,
        prices=prices,
        warnings=[d.message for d in est.warnings],
        any_assumed=any(ln.charge.assumed for ln in est.lines),
        free_tier_text=FREE_TIER_TEXT[est.free_tier],
    )


def _index(arch: Architecture, stack: StackBuilder, links: Links, model: str, cost: Estimate) -> bytes:
    managed = sum(1 for r in stack.resources.values() if not r.data)
    counts = {"resources": managed, "data": len(stack.resources) - managed, "outputs": len(stack.outputs)}
    kinds = Counter(n.spec.info.title for n in arch.services.values() if not n.spec.info.outside_aws)
    aws_services = list(kinds.items())  # in order of first appearance, like the layers
    notes = [(title, paragraphs(text)) for title, text in arch.notes]
    monthly = {"total": usd(cost.total()), "fixed": usd(cost.total(fixed=True)), "usage": usd(cost.total(fixed=False))}
    stacks = []
    if arch.stacks:  # each stack, its layers and the stacks it reads, in dependency order
        from compiler.terraform.stacks import split

        layers_of = {g.name: g.layers for g in arch.stacks}
        stacks = [(p.name, layers_of.get(p.name, ()), sorted(p.reads)) for p in split(stack)]
    return _render(
        "index.md.j2",
        arch=arch,
        links=links,
        counts=counts,
        aws_services=aws_services,
        notes=notes,
        model=model,
        monthly=monthly,
        stacks=stacks,
    )


def paragraphs(text: str) -> list[str]:
    """A note's paragraphs: blank lines separate them (a literal ``|`` block in YAML keeps them).

    >>> paragraphs("One.\\n\\n  Two,\\n  continued.\\n")
    ['One.', 'Two, continued.']
    """
    return [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def _data_flow(arch: Architecture, links: Links) -> bytes:
    steps = request_path(arch)
    on_path = {id(s.edge) for s in steps}
    others = [e for e in arch.edges if id(e) not in on_path]
    numbered = any(e.step is not None for e in arch.edges)
    return _render("data-flow.md.j2", arch=arch, links=links, steps=steps, others=others, numbered=numbered)


def _network(arch: Architecture, stack: StackBuilder, links: Links) -> bytes:
    net = arch.network
    nat_count = sum(1 for r in resources_of(stack, "network") if r.type == "aws_nat_gateway")
    nat_text = {
        "none": "none: private subnets have no route to the internet",
        "single": f"{nat_count}, shared by every availability zone",
        "per-az": f"{nat_count}, one per availability zone",
    }[net.nat]
    reason = next((d.reason for d in net.decisions if d.setting == "flow_logs"), "")
    flow_logs: str | Md = f"off: {reason}" if reason else "off"
    if net.flow_logs == "cloudwatch":
        flow_logs = "to CloudWatch Logs"
    elif net.flow_logs:
        flow_logs = Md(f"to the bucket {links.service(net.flow_logs)}")
    routes = {"public": "internet gateway", "private": "NAT gateway" if net.nat != "none" else "none", "isolated": "none"}
    placed: dict[str, list[str]] = {}
    for node in arch.services.values():
        placed.setdefault(node.placement, []).append(node.id)
    network_resources = [r.address for r in resources_of(stack, "network")]
    return _render(
        "network.md.j2",
        arch=arch,
        net=net,
        links=links,
        nat_text=nat_text,
        flow_logs=flow_logs,
        routes=routes,
        placed=placed,
        outside=[sid for sid in placed.get("outside", []) if not arch.services[sid].spec.info.outside_aws],
        beyond_aws=[sid for sid in placed.get("outside", []) if arch.services[sid].spec.info.outside_aws],
        network_resources=network_resources,
    )


def _matrix(arch: Architecture, rules: list[Rule]) -> dict[str, Any]:
    ingress = [r for r in rules if r.direction == "ingress"]
    order = {sid: i for i, sid in enumerate(arch.services)}
    targets = sorted({r.service for r in ingress}, key=lambda s: order.get(s, len(order)))
    peers = sorted({r.peer for r in ingress}, key=lambda p: (order.get(p, len(order)), p))
    rows = []
    for peer in peers:
        cells = []
        for target in targets:
            ports = sorted({f"{r.protocol} {r.ports}" for r in ingress if r.peer == peer and r.service == target})
            cells.append(", ".join(ports))
        rows.append((peer, cells))
    return {"targets": targets, "rows": rows}


def _security(arch: Architecture, rules: list[Rule], grants: list[Grant], links: Links) -> bytes:
    edge_grants = [g for g in grants if g.edge]
    own = [g for g in grants if not g.edge]
    return _render(
        "security.md.j2", arch=arch, links=links, matrix=_matrix(arch, rules), rules=rules, edge_grants=edge_grants, own_grants=own
    )
