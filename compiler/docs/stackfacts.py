"""What the generated Terraform grants, read back from the stack as plain rows.

The docs never restate what a connection "should" open: they read the security group
rules and IAM policies the Terraform stage actually emitted (``StackBuilder``), each
tagged with the service that owns it and the connection (``Resource.edge``) it
implements. So the security page cannot disagree with ``cdk.tf.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from compiler.names import terraform_address
from compiler.terraform.context import Resource, StackBuilder

_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
_REF = re.compile(r"^\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_]+)\.[a-z_]+\}$")
# Resources whose ``policy`` is a resource-based policy on the owning service.
_ROLE_POLICY = "aws_iam_role_policy"


@dataclass(frozen=True)
class Rule:
    """One security group rule: ``service`` accepts (ingress) or opens (egress) ``port``."""

    direction: str  # "ingress" | "egress"
    service: str  # owner of the security group the rule is on
    peer: str  # a service id, a CIDR, or a managed prefix list's name
    peer_is_service: bool
    ports: str  # "5432", "1024-65535", "all"
    protocol: str  # "tcp", "udp", "all"
    edge: str  # the connection it implements, "" if none
    address: str


@dataclass(frozen=True)
class Grant:
    """One IAM statement: identity-based (on ``service``'s role) or resource-based (on ``service``)."""

    service: str
    role: str  # the role's address for identity grants; "" for resource policies
    effect: str
    principals: tuple[str, ...]  # who, for resource policies ("Service lambda.amazonaws.com")
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # Terraform expressions shown without ``${}``
    conditions: int
    edge: str
    address: str  # the resource that attaches it


def plain(expression: str) -> str:
    """A Terraform expression as text: ``${aws_s3_bucket.a.arn}/*`` -> ``aws_s3_bucket.a.arn/*``.

    >>> plain("${aws_s3_bucket.assets.arn}/*")
    'aws_s3_bucket.assets.arn/*'
    """
    return _INTERPOLATION.sub(r"\1", expression)


def _ref_address(expression: object) -> str | None:
    """``${aws_iam_role.web.id}`` -> ``aws_iam_role.web``; None when not one reference."""
    match = _REF.match(expression) if isinstance(expression, str) else None
    if not match:
        return None
    data, rtype, name = match.groups()
    return terraform_address(rtype, name, data=bool(data))


def _ports(body: dict[str, Any]) -> str:
    low, high = body.get("from_port"), body.get("to_port")
    if str(body.get("ip_protocol")) == "-1" or low is None:
        return "all"
    return str(low) if low == high else f"{low}-{high}"


def security_rules(stack: StackBuilder) -> list[Rule]:
    """Every security group rule of the stack, in emission order."""
    owner_of = {r.address: r.owner for r in stack.resources.values() if r.type == "aws_security_group"}
    rules = []
    for res in stack.resources.values():
        direction = {"aws_vpc_security_group_ingress_rule": "ingress", "aws_vpc_security_group_egress_rule": "egress"}.get(res.type)
        if direction is None:
            continue
        body = res.body
        service = owner_of.get(_ref_address(body.get("security_group_id")) or "", res.owner)
        peer_sg = _ref_address(body.get("referenced_security_group_id"))
        if peer_sg in owner_of:
            peer = owner_of[peer_sg]
            is_service = peer in stack.arch.services
        elif body.get("prefix_list_id"):
            peer, is_service = _prefix_list_name(stack, body["prefix_list_id"]), False
        else:
            peer, is_service = str(body.get("cidr_ipv4") or body.get("cidr_ipv6") or "?"), False
        protocol = str(body.get("ip_protocol", "tcp")).replace("-1", "all")
        rules.append(Rule(direction, service, peer, is_service, _ports(body), protocol, res.edge, res.address))
    return rules


def _prefix_list_name(stack: StackBuilder, expression: str) -> str:
    ref = _ref_address(expression)
    res = stack.resources.get(ref or "")
    if res is not None:
        name = res.body.get("name") or next((f.get("values", ["?"])[0] for f in res.body.get("filter", [])), None)
        if name:
            return f"prefix list {name}"
    return f"prefix list {plain(expression)}"


def iam_grants(stack: StackBuilder) -> list[Grant]:
    """Every IAM statement the stack attaches to a role or a resource, in emission order."""
    role_owner = {r.address: r.owner for r in stack.resources.values() if r.type == "aws_iam_role"}
    grants: list[Grant] = []
    for res in stack.resources.values():
        if res.data:
            continue
        if res.type == "aws_iam_role_policy_attachment":
            role = _ref_address(res.body.get("role")) or ""
            arn = str(res.body.get("policy_arn", ""))
            managed = arn.rsplit("/", 1)[-1]
            actions = (f"managed policy {managed}",)
            grants.append(Grant(role_owner.get(role, res.owner), role, "Allow", (), actions, (), 0, res.edge, res.address))
        elif res.type == "aws_lambda_permission":
            who = (f"Service {res.body.get('principal', '?')}",)
            on = (plain(str(res.body.get("source_arn", ""))),) if res.body.get("source_arn") else ()
            grants.append(Grant(res.owner, "", "Allow", who, (str(res.body.get("action", "")),), on, 0, res.edge, res.address))
        else:
            grants.extend(_policy_grants(stack, res, role_owner))
    return grants


def _policy_grants(stack: StackBuilder, res: Resource, role_owner: dict[str, str]) -> list[Grant]:
    """Statements of a policy document a resource attaches (role policy or resource policy)."""
    policy = res.body.get("policy")
    doc = stack.resources.get(_ref_address(policy) or "") if isinstance(policy, str) else None
    if doc is None or doc.type != "aws_iam_policy_document":
        return []
    role = _ref_address(res.body.get("role")) or "" if res.type == _ROLE_POLICY else ""
    service = role_owner.get(role, res.owner)
    out = []
    for st in doc.body.get("statement", []):
        principals = tuple(f"{p.get('type')} {', '.join(map(plain, p.get('identifiers', [])))}" for p in st.get("principals", []))
        out.append(
            Grant(
                service,
                role,
                str(st.get("effect", "Allow")),
                principals,
                tuple(st.get("actions", [])),
                tuple(plain(r) for r in st.get("resources", [])),
                len(st.get("condition", [])),
                res.edge,
                res.address,
            )
        )
    return out


@dataclass(frozen=True)
class Alarm:
    """One CloudWatch metric alarm as emitted: what it watches and when it fires."""

    watches: str  # the service whose resource the metric is about ("" when no dimension names one)
    metric: str  # "AWS/RDS CPUUtilization"
    condition: str  # "Average above 70 for 3 periods of 5 min"
    address: str


_COMPARISON = {
    "GreaterThanThreshold": "above",
    "GreaterThanOrEqualToThreshold": "at or above",
    "LessThanThreshold": "below",
    "LessThanOrEqualToThreshold": "at or below",
}
_ADDRESS = re.compile(r"\b(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.")


def alarms_of(stack: StackBuilder, owner: str) -> list[Alarm]:
    """The metric alarms a service (a monitor) owns, in emission order, with the threshold in effect."""
    found = []
    for res in resources_of(stack, owner):
        if res.type != "aws_cloudwatch_metric_alarm" or res.data:
            continue
        body = res.body
        comparison = _COMPARISON.get(str(body.get("comparison_operator")), str(body.get("comparison_operator")))
        period = int(body.get("period", 0))
        every = f"{period // 60} min" if period % 86400 else f"{period // 86400} day"
        periods = int(body.get("evaluation_periods", 1))
        condition = f"{body.get('statistic')} {comparison} {body.get('threshold')} for {periods} period{'s' * (periods != 1)} of {every}"
        found.append(Alarm(_watched(stack, body), f"{body.get('namespace')} {body.get('metric_name')}", condition, res.address))
    return found


def _watched(stack: StackBuilder, body: dict[str, Any]) -> str:
    """The service an alarm is about: the one its description starts with (archc writes
    "<service>: ..."), else the owner of the first resource a dimension refers to."""
    named = str(body.get("alarm_description", "")).split(":", 1)[0]
    if named in stack.arch.services:
        return named
    for value in body.get("dimensions", {}).values():
        for rtype, name in _ADDRESS.findall(str(value)):
            res = stack.resources.get(terraform_address(rtype, name))
            if res is not None and res.owner in stack.arch.services:
                return res.owner
    return ""


def resources_of(stack: StackBuilder, owner: str) -> list[Resource]:
    """The resources a service (or "network") owns, in emission order."""
    return [r for r in stack.resources.values() if r.owner == owner]
