"""Lays out the VPC: availability zones and one subnet per tier and zone (none with
``network: none``), and the secure defaults its settings relax (flow logs off, with a reason).

Default layout: every tier gets an equal share of the VPC, carved in order public,
private, isolated, one subnet per AZ, so adding a zone later does not renumber the
existing subnets of the first tier. Explicit prefix lengths or CIDRs override it.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable

from compiler.errors import Diagnostic, ErrorCode
from compiler.ir import Network, Subnet
from compiler.loader import Path_
from compiler.model import ArchitectureSpec, NetworkSpec
from compiler.regions import AZ_LETTERS, zones
from modules.base import Decision

TIERS = ("public", "private", "isolated")
Err = Callable[[ErrorCode, str, Path_], Diagnostic]


NO_VPC = Network("", (), (), "none", None, vpc=False)  # network: none


def plan_network(spec: ArchitectureSpec, err: Err, diags: list[Diagnostic]) -> Network | None:
    """Return the network, or None after appending diagnostics."""
    net = spec.network
    if net == "none":
        return NO_VPC if _zones(spec, err, diags, None) is not None else None
    azs = _zones(spec, err, diags, net.azs)
    try:
        vpc = ipaddress.IPv4Network(net.cidr)
    except ValueError as exc:
        diags.append(err("network", f"'{net.cidr}' is not a valid network CIDR ({exc})", ("network", "cidr")))
        return None
    if not 16 <= vpc.prefixlen <= 24 or not vpc.is_private:
        diags.append(err("network", f"VPC CIDR {vpc} must be a private range between /16 and /24", ("network", "cidr")))
        return None
    if azs is None:
        return None
    tiers: dict[str, int | list[str]] = dict.fromkeys(TIERS, 0)
    if net.subnets is not None:
        tiers = {str(k): v for k, v in net.subnets.items()}
    subnets = _subnets(vpc, azs, tiers, err, diags)
    if subnets is None:
        return None
    flow = net.flow_logs
    flow_logs = ("cloudwatch" if flow else None) if isinstance(flow, bool) else flow
    decisions = _decisions(net, err, diags)
    return Network(str(vpc), tuple(azs), tuple(subnets), net.nat, flow_logs, decisions=decisions)


def _decisions(net: NetworkSpec, err: Err, diags: list[Diagnostic]) -> tuple[Decision, ...]:
    """The secure defaults the network relaxes, each with its reason (as a kind's ``reasons:``):
    flow_logs: false needs one, a reason for a default kept is refused."""
    reason = net.reasons.get("flow_logs", "")
    if net.flow_logs is not False:
        if "flow_logs" in net.reasons:
            diags.append(
                err(
                    "value",
                    "reasons: 'flow_logs' relaxes no secure default (flow logs are on); remove the reason",
                    ("network", "reasons", "flow_logs"),
                )
            )
        return ()
    if not reason.strip():
        message = "flow_logs: false relaxes the secure default (true: CloudWatch Logs); say why under reasons: {flow_logs: ...}"
        diags.append(err("missing", message, ("network", "flow_logs")))
        return ()
    return (Decision("flow_logs", "false", "true (CloudWatch Logs)", reason, ("CKV2_AWS_11",)),)


def _zones(spec: ArchitectureSpec, err: Err, diags: list[Diagnostic], wanted: int | list[str] | None) -> list[str] | None:
    """The zones the VPC spans (``wanted``: network.azs; None: no VPC, only the region is checked)."""
    region = spec.region
    if region not in AZ_LETTERS:
        from compiler.errors import did_you_mean

        diags.append(err("value", f"unknown AWS region '{region}'{did_you_mean(region, AZ_LETTERS)}", ("region",)))
        return None
    available = zones(region)
    if wanted is None:
        return []
    if isinstance(wanted, int):
        if not 1 <= wanted <= len(available):
            diags.append(err("network", f"{region} has {len(available)} availability zones; 'azs' asks for {wanted}", ("network", "azs")))
            return None
        return available[:wanted]
    for i, az in enumerate(wanted):
        if az not in available:
            diags.append(err("network", f"'{az}' is not an availability zone of {region} ({', '.join(available)})", ("network", "azs", i)))
    if len(set(wanted)) != len(wanted):
        diags.append(err("network", "an availability zone is listed twice", ("network", "azs")))
    if not wanted:
        diags.append(err("network", "'azs' lists no availability zone", ("network", "azs")))
    return list(wanted) if all(a in available for a in wanted) and wanted and len(set(wanted)) == len(wanted) else None


def _subnets(
    vpc: ipaddress.IPv4Network, azs: list[str], tiers: dict[str, int | list[str]], err: Err, diags: list[Diagnostic]
) -> list[Subnet] | None:
    ordered = [t for t in TIERS if t in tiers]
    if not ordered:
        diags.append(err("network", "'subnets' defines no tier", ("network", "subnets")))
        return None
    # Automatic sizing: each tier gets a power-of-two share holding one subnet per AZ.
    per_tier_bits = math.ceil(math.log2(len(TIERS)))
    per_az_bits = math.ceil(math.log2(max(len(azs), 1))) if len(azs) > 1 else 0
    auto_prefix = vpc.prefixlen + per_tier_bits + per_az_bits
    result: list[Subnet] = []
    taken: list[tuple[ipaddress.IPv4Network, Path_]] = []
    for tier in ordered:
        where: Path_ = ("network", "subnets", tier) if tiers[tier] != 0 else ("network",)
        value = tiers[tier]
        if isinstance(value, list):
            nets = _explicit(value, vpc, azs, tier, err, diags)
            if nets is None:
                continue
        else:
            prefix = value or auto_prefix
            if not vpc.prefixlen < prefix <= 28:
                diags.append(
                    err("network", f"a /{prefix} subnet does not fit a /{vpc.prefixlen} VPC (use /{vpc.prefixlen + 1} to /28)", where)
                )
                continue
            nets = _carve(vpc, prefix, TIERS.index(tier), len(azs), per_tier_bits)
            if nets is None:
                diags.append(err("network", f"the VPC {vpc} is too small for {len(azs)} /{prefix} {tier} subnets", where))
                continue
        for i, (az, net) in enumerate(zip(azs, nets, strict=True)):
            path: Path_ = (*where, i) if isinstance(value, list) else where
            clash = next((p for n, p in taken if n.overlaps(net)), None)
            if clash is not None:
                diags.append(err("network", f"subnet {net} overlaps another subnet of the VPC", path))
            taken.append((net, path))
            result.append(Subnet(tier, az, str(net)))
    return result if not diags else None


def _carve(vpc: ipaddress.IPv4Network, prefix: int, slot: int, count: int, tier_bits: int) -> list[ipaddress.IPv4Network] | None:
    """``count`` subnets of size /prefix from the tier's fixed share of the VPC."""
    share = list(vpc.subnets(prefixlen_diff=tier_bits))[slot]
    if prefix < share.prefixlen:
        return None
    candidates = list(share.subnets(new_prefix=prefix))
    return candidates[:count] if len(candidates) >= count else None


def _explicit(
    cidrs: list[str], vpc: ipaddress.IPv4Network, azs: list[str], tier: str, err: Err, diags: list[Diagnostic]
) -> list[ipaddress.IPv4Network] | None:
    if len(cidrs) != len(azs):
        diags.append(err("network", f"{tier} lists {len(cidrs)} CIDRs for {len(azs)} availability zones", ("network", "subnets", tier)))
        return None
    nets = []
    for i, text in enumerate(cidrs):
        path: Path_ = ("network", "subnets", tier, i)
        try:
            net = ipaddress.IPv4Network(text)
        except ValueError:
            diags.append(err("network", f"'{text}' is not a valid CIDR", path))
            return None
        if not net.subnet_of(vpc):
            diags.append(err("network", f"subnet {net} lies outside the VPC {vpc}", path))
            return None
        if net.prefixlen > 28:
            diags.append(err("network", f"subnet {net} is smaller than /28, the smallest AWS allows", path))
            return None
        nets.append(net)
    return nets
