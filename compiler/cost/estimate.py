"""The monthly cost of a built model: every billable resource priced, per service, per
layer and in total, split into fixed (resources that bill for existing) and usage-based
parts, with the account's free tier applied as AWS pools it.

Input: the ``Architecture`` and its emitted ``StackBuilder`` (what ``terraform apply``
would create); output: an :class:`Estimate`, plain data that the CLI, the docs and
``--format json`` render. Nothing here reads the network: prices come from
``prices.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.cost.freetier import CREDITS_MONTHS, CREDITS_USD, Pool, pools
from compiler.cost.prices import Price, price, regions
from compiler.cost.rules import _REF, HOURS, RULES, Charge
from compiler.cost.usage import USAGE_KEYS, requests_by_service
from compiler.errors import Diagnostic
from compiler.ir import Architecture
from compiler.terraform.context import Resource, StackBuilder


@dataclass(frozen=True)
class Line:
    """One priced line: a charge of one resource, with what the free tier covers."""

    service: str  # owning service id, or "network" / "architecture"
    layer: str  # its layer, or "network" / "architecture"
    address: str
    charge: Charge
    price: Price | None
    free: float = 0.0  # quantity the free tier covers

    @property
    def monthly(self) -> float:
        """USD per month, after the free tier (0 when the table has no price)."""
        return 0.0 if self.price is None else max(self.charge.quantity - self.free, 0.0) * self.price.usd


@dataclass(frozen=True)
class PoolUse:
    """How much of one free-tier allowance the model uses."""

    pool: Pool
    used: float

    @property
    def over(self) -> float:
        """Quantity above the allowance (billed)."""
        return max(self.used - self.pool.allowance, 0.0)


@dataclass
class Estimate:
    """What the model costs per month."""

    region: str
    free_tier: str
    lines: list[Line] = field(default_factory=list)
    pools: list[PoolUse] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    def total(self, *, fixed: bool | None = None, service: str | None = None, layer: str | None = None) -> float:
        """USD per month of the lines that match."""
        return sum(
            line.monthly
            for line in self.lines
            if (fixed is None or line.charge.fixed == fixed)
            and (service is None or line.service == service)
            and (layer is None or line.layer == layer)
        )

    @property
    def credits_months(self) -> float | None:
        """With ``free_tier: credits``, the months the credits pay for (None otherwise)."""
        if self.free_tier != "credits":
            return None
        monthly = self.total()
        return float(CREDITS_MONTHS) if monthly == 0 else min(CREDITS_USD / monthly, float(CREDITS_MONTHS))


class _Usage:
    """What the rules may ask about one resource's owner (rules.Usage)."""

    def __init__(
        self, stack: StackBuilder, usage: dict[str, float], requests: tuple[float, bool], running: float = 1.0, fleet: int | None = None
    ) -> None:
        self.stack, self.own, self.requests, self.share, self.fleet = stack, usage, requests, running, fleet

    def running(self) -> float:
        return self.share

    def fleet_size(self) -> int | None:
        return self.fleet

    def resource(self, expression: object) -> Resource | None:
        found = _REF.match(expression) if isinstance(expression, str) else None
        return self.stack.resources.get(f"{found.group(1)}.{found.group(2)}") if found else None

    def usage(self, key: str) -> tuple[float, bool]:
        if key in self.own:
            return self.own[key], False
        if key == "requests":
            return self.requests
        return USAGE_KEYS[key][1], True


def usages(arch: Architecture, stack: StackBuilder) -> dict[str, _Usage]:
    """What the rules may ask about each billable resource's owner, by address (sorted)."""
    requests = requests_by_service(arch)
    found = {}
    for resource in sorted(stack.resources.values(), key=lambda r: r.address):
        if resource.type not in RULES or resource.data:
            continue
        node = arch.services.get(resource.owner)
        schedule = node.spec.running_schedule(arch) if node else None
        running = schedule.hours_per_month() / HOURS if schedule else 1.0
        own = {str(k): v for k, v in node.spec.usage.items()} if node else {}
        fleet = node.spec.fleet_size(arch, node.id) if node else None
        found[resource.address] = _Usage(stack, own, requests.get(resource.owner, (USAGE_KEYS["requests"][1], True)), running, fleet)
    return found


def estimate(arch: Architecture, stack: StackBuilder) -> Estimate:
    """Price every billable resource of the stack."""
    free_tier = arch.account.free_tier
    result = Estimate(arch.region, free_tier)
    missing: dict[str, list[str]] = {}
    for address, usage in usages(arch, stack).items():
        resource = stack.resources[address]
        rule = RULES[resource.type]
        node = arch.services.get(resource.owner)
        layer = node.layer if node else resource.owner
        for charge in rule(resource, usage):
            found = price(charge.key, arch.region)
            if found is None:
                missing.setdefault(resource.owner, []).append(charge.key)
            result.lines.append(Line(resource.owner, layer, resource.address, charge, found))
    _apply_free_tier(result, pools(free_tier))
    result.warnings += _warnings(arch, result, missing)
    return result


def _apply_free_tier(result: Estimate, offered: list[Pool]) -> None:
    """Each allowance is the account's, not a resource's: it covers the same share of every
    line it applies to (all of them while the model stays within it)."""
    for pool in offered:
        indices = [i for i, line in enumerate(result.lines) if line.charge.key in pool.keys]
        used = sum(result.lines[i].charge.quantity for i in indices)
        if not indices or used == 0:
            continue
        share = min(1.0, pool.allowance / used)
        for i in indices:
            line = result.lines[i]
            result.lines[i] = Line(line.service, line.layer, line.address, line.charge, line.price, line.charge.quantity * share)
        result.pools.append(PoolUse(pool, used))


def _warnings(arch: Architecture, result: Estimate, missing: dict[str, list[str]]) -> list[Diagnostic]:
    """Prices the table lacks (never a silent 0), and free-tier allowances exceeded."""
    found = []
    if arch.region not in regions():
        covered = ", ".join(regions())
        message = f"archc's price table has no prices for {arch.region} (it covers {covered}): no estimate"
        return [Diagnostic("cost", message, arch.source_file, 1, 1, "warning")]
    for owner, keys in sorted(missing.items()):
        node = arch.services.get(owner)
        line, col = node.pos if node else (1, 1)
        names = ", ".join(sorted(set(keys)))
        message = f"{owner}: no price for {names} in {arch.region} in archc's price table; its cost is left out of the estimate"
        found.append(Diagnostic("cost", message, arch.source_file, line, col, "warning"))
    if arch.budget is not None and result.total() > arch.budget.monthly:
        message = (
            f"the estimate, USD {result.total():,.2f} a month, exceeds the budget of USD {arch.budget.monthly:,.2f}: "
            "its alerts will fire every month"
        )
        found.append(Diagnostic("cost", message, arch.source_file, *arch.budget.pos, "warning"))
    for use in result.pools:
        if use.over <= 0 or use.pool.always:
            continue
        owners = sorted({ln.service for ln in result.lines if ln.charge.key in use.pool.keys})
        billed = sum(ln.monthly for ln in result.lines if ln.charge.key in use.pool.keys)
        node = arch.services.get(owners[0])
        line, col = node.pos if node else (1, 1)
        message = (
            f"free tier exceeded: {_number(use.used)} {use.pool.unit} of {use.pool.name} ({', '.join(owners)}) "
            f"against the {_number(use.pool.allowance)} the free tier pools per account: "
            f"{_number(use.over)} billed, USD {billed:,.2f} a month"
        )
        found.append(Diagnostic("cost", message, arch.source_file, line, col, "warning"))
    return found


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.2f}".rstrip("0").rstrip(".")
