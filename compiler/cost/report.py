"""An :class:`Estimate` as ``archc cost`` prints it (text or JSON) and as the docs show it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from compiler.cost.estimate import Estimate, Line
from compiler.ir import Architecture

FREE_TIER_TEXT = {
    "none": "always-free allowances only (free_tier: none)",
    "legacy": "legacy free tier: 12-month and always-free allowances",
    "credits": "free plan: credits, plus always-free allowances",
}


@dataclass(frozen=True)
class Row:
    """One service (or the network) with its monthly figures."""

    service: str
    layer: str
    fixed: float
    usage: float
    assumed: bool  # some usage figures are archc's defaults

    @property
    def total(self) -> float:
        """Fixed plus usage."""
        return self.fixed + self.usage


def rows(arch: Architecture, est: Estimate) -> list[Row]:
    """Per service in model order, then the network and the architecture's own resources."""
    owners = [*arch.services, *sorted({ln.service for ln in est.lines} - set(arch.services))]
    found = []
    for owner in owners:
        mine = [ln for ln in est.lines if ln.service == owner]
        if not mine:
            continue
        fixed = sum(ln.monthly for ln in mine if ln.charge.fixed)
        usage = sum(ln.monthly for ln in mine if not ln.charge.fixed)
        found.append(Row(owner, mine[0].layer, fixed, usage, any(ln.charge.assumed for ln in mine)))
    return found


def layer_totals(arch: Architecture, est: Estimate) -> list[tuple[str, float]]:
    """USD per month by layer, in model order, then the network and the architecture's own."""
    layers = dict.fromkeys([*(lay.name for lay in arch.layers), *(ln.layer for ln in est.lines)])
    return [(layer, est.total(layer=layer)) for layer in layers]


def usd(value: float) -> str:
    """``1,234.50``."""
    return f"{value:,.2f}"


def text(arch: Architecture, est: Estimate, *, lines: bool = False) -> str:
    """The table ``archc cost`` prints."""
    table = rows(arch, est)
    width = max([len(r.service) for r in table] + [len(r.layer) for r in table] + [7])
    out = [
        f"{arch.name} in {arch.region}: USD per month, list prices ({FREE_TIER_TEXT[est.free_tier]})",
        "",
        f"{'service':<{width}}  {'layer':<{width}}  {'fixed':>10}  {'usage':>10}  {'total':>10}",
    ]
    for r in table:
        mark = " *" if r.assumed and r.usage else ""
        out.append(f"{r.service:<{width}}  {r.layer:<{width}}  {usd(r.fixed):>10}  {usd(r.usage):>10}  {usd(r.total):>10}{mark}")
        if lines:
            out += [f"    {_line_text(ln)}" for ln in est.lines if ln.service == r.service]
    out.append(
        f"{'total':<{width}}  {'':<{width}}  {usd(est.total(fixed=True)):>10}  {usd(est.total(fixed=False)):>10}  {usd(est.total()):>10}"
    )
    out.append("")
    if any(r.assumed and r.usage for r in table):
        out.append("* usage assumed from archc's defaults (set usage: on the service; compiler/cost/README.md)")
    if est.credits_months is not None:
        out.append(f"free plan credits (USD 200) cover {est.credits_months:.1f} months of this")
    return "\n".join(out) + "\n"


def _line_text(ln: Line) -> str:
    unit = ln.price.unit if ln.price else "no price"
    free = f", {ln.free:,.4g} free" if ln.free else ""
    assumed = " (assumed)" if ln.charge.assumed else ""
    return f"{ln.address}: {ln.charge.what}: {ln.charge.quantity:,.4g} {unit}{assumed}{free} = {usd(ln.monthly)}"


def as_json(arch: Architecture, est: Estimate) -> str:
    """Every figure, for CI: totals, per layer, per service, each line with its price row."""
    data = {
        "architecture": arch.name,
        "region": arch.region,
        "currency": "USD",
        "period": "month",
        "free_tier": est.free_tier,
        "total": {"fixed": round(est.total(fixed=True), 2), "usage": round(est.total(fixed=False), 2), "total": round(est.total(), 2)},
        "layers": {layer: round(total, 2) for layer, total in layer_totals(arch, est)},
        "services": [
            {
                "service": r.service,
                "layer": r.layer,
                "fixed": round(r.fixed, 2),
                "usage": round(r.usage, 2),
                "total": round(r.total, 2),
                "assumed": r.assumed,
            }
            for r in rows(arch, est)
        ],
        "lines": [
            {
                "service": ln.service,
                "address": ln.address,
                "what": ln.charge.what,
                "price_key": ln.charge.key,
                "quantity": round(ln.charge.quantity, 6),
                "unit": ln.price.unit if ln.price else None,
                "unit_usd": ln.price.usd if ln.price else None,
                "free": round(ln.free, 6),
                "monthly": round(ln.monthly, 2),
                "fixed": ln.charge.fixed,
                "assumed": ln.charge.assumed,
                "source": ln.price.source if ln.price else None,
                "as_of": ln.price.as_of if ln.price else None,
            }
            for ln in est.lines
        ],
        "free_tier_pools": [
            {"pool": p.pool.name, "allowance": p.pool.allowance, "unit": p.pool.unit, "used": round(p.used, 6), "billed": round(p.over, 6)}
            for p in est.pools
        ],
        "warnings": [d.format() for d in est.warnings],
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
