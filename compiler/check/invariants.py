"""archc's own security invariants, checked on the stack as plain data.

* IAM: no ``*`` action anywhere, and no ``*`` resource where an ARN exists (a KMS key
  policy, where ``*`` means the key, and the few actions AWS only grants on ``*``).
* Ingress from 0.0.0.0/0 only on an internet entry point (``KindInfo.internet_entry``),
  on 443, or 80 to redirect, unless a decision of that service relaxes it.
* An override of the model that opened one of these with a ``reason:`` is the
  architect's decision: its violations on the resources it changed are not reported.
* Every security group rule traceable to exactly one connection (``Resource.edge``),
  or to a need its owner documents: an entry point's listener, outbound HTTPS to AWS
  APIs through NAT, interface endpoints answering the VPC, a rule the model adds itself
  under the service's ``resources:`` (shown on its page).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from compiler.check.explain import decision_reasons
from compiler.check.rationale import catalog_reason
from compiler.ir import Architecture
from compiler.terraform.context import Resource, StackBuilder

# Actions that AWS grants only on Resource "*" (no resource-level permissions).
STAR_ONLY_ACTIONS = frozenset(
    {
        "cloudwatch:PutMetricData",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeInstances",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ecr:GetAuthorizationToken",
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    }
)
RULE_TYPES = ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule")
OPEN = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class Violation:
    """An invariant broken by one resource."""

    rule: str  # "iam-wildcard" | "open-ingress" | "untraced-rule"
    address: str
    owner: str
    message: str


@dataclass
class Invariants:
    """The figures of the invariants and every violation."""

    iam_wildcards: int = 0
    open_ingress: int = 0  # 0.0.0.0/0 ingress rules in total (explained or not)
    rules_from_connections: int = 0
    rules_from_needs: int = 0
    violations: list[Violation] = field(default_factory=list)


def check_invariants(arch: Architecture, stack: StackBuilder) -> Invariants:
    """Check every resource of the stack."""
    out = Invariants()
    for r in stack.resources.values():
        if r.data and r.type == "aws_iam_policy_document":
            _iam(r, stack, out)
        elif not r.data and r.type in ("aws_iam_role_policy", "aws_iam_policy") and str(r.body.get("policy", "")).startswith("{"):
            _iam_json(r, out)
        if not r.data and r.type in RULE_TYPES:
            _rule(r, arch, stack, out)
    decided = {(a, rule) for d in stack.decisions for a in d.addresses for rule in d.invariants}
    out.violations = [v for v in out.violations if (v.address, v.rule) not in decided]  # an override's reason accounts for them
    return out


def _iam(r: Resource, stack: StackBuilder, out: Invariants) -> None:
    key_policy = catalog_reason("CKV_AWS_356", r, stack) is not None
    for st in r.body.get("statement", []):
        _statement(r, st.get("actions", []), st.get("resources", []), key_policy, out)


def _iam_json(r: Resource, out: Invariants) -> None:
    try:
        doc = json.loads(str(r.body["policy"]))
    except ValueError:
        return
    statements = doc.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        actions, resources = st.get("Action", []), st.get("Resource", [])
        _statement(
            r, [actions] if isinstance(actions, str) else actions, [resources] if isinstance(resources, str) else resources, False, out
        )


def _statement(r: Resource, actions: list[str], resources: list[str], key_policy: bool, out: Invariants) -> None:
    if "*" in actions:
        out.iam_wildcards += 1
        out.violations.append(Violation("iam-wildcard", r.address, r.owner, "grants Action '*'"))
    if "*" in resources and not key_policy and not set(actions) <= STAR_ONLY_ACTIONS:
        out.iam_wildcards += 1
        scoped = sorted(set(actions) - STAR_ONLY_ACTIONS)
        out.violations.append(Violation("iam-wildcard", r.address, r.owner, f"grants {', '.join(scoped)} on Resource '*'"))


def _rule(r: Resource, arch: Architecture, stack: StackBuilder, out: Invariants) -> None:
    body = r.body
    ingress = r.type.endswith("ingress_rule") or body.get("type") == "ingress"
    cidrs = [body.get("cidr_ipv4"), body.get("cidr_ipv6"), *body.get("cidr_blocks", [])]
    is_open = any(c in OPEN for c in cidrs)
    if r.edge:
        out.rules_from_connections += 1
    elif _documented_need(r, arch, ingress, is_open):
        out.rules_from_needs += 1
    else:
        out.violations.append(Violation("untraced-rule", r.address, r.owner, "a security group rule that no connection asks for"))
    if not (ingress and is_open):
        return
    out.open_ingress += 1
    node = arch.services.get(r.owner)
    port = body.get("from_port")
    relaxed = "CKV_AWS_260" in decision_reasons(arch).get(r.owner, {})
    entry = node is not None and node.spec.info.internet_entry
    if not entry:
        out.violations.append(
            Violation("open-ingress", r.address, r.owner, f"open to 0.0.0.0/0 on port {port}, not an internet entry point")
        )
    elif port != 443 and catalog_reason("CKV_AWS_260", r, stack) is None and not relaxed:
        out.violations.append(
            Violation("open-ingress", r.address, r.owner, f"open to 0.0.0.0/0 on port {port} (only 443, or 80 to redirect)")
        )


def _documented_need(r: Resource, arch: Architecture, ingress: bool, is_open: bool) -> bool:
    """Rules a kind writes for its own documented need rather than for a connection."""
    body = r.body
    node = arch.services.get(r.owner)
    if node is None:
        return False
    if r.extra:
        return True  # the model's own resources: of the service, shown on its page
    if ingress and node.spec.info.internet_entry and (is_open or body.get("prefix_list_id")):
        return True  # the entry point's listeners
    if not ingress and is_open and body.get("from_port") == 443 == body.get("to_port"):
        return True  # HTTPS to AWS APIs and package repositories through NAT
    return ingress and body.get("cidr_ipv4") == arch.network.cidr and body.get("from_port") == 443  # interface endpoints
