"""Stage 4 (Terraform): resolved Architecture -> StackBuilder of plain resources.

Order: the network; then for every service its security group (if it runs in the
VPC), its IAM role (if it runs code), and its own resources; then every connection:
a security group rule pair for network connections, a scoped IAM policy for API
connections, and the source kind's own wiring for the rest (origins, aliases, target
groups, subscriptions...); network and API callers also get the target's endpoints
(``wiring.py``). Last, the account's budget (``budget.py``) and, for log groups
without a key, the architecture's data key.
"""

from __future__ import annotations

from compiler.ir import Architecture, Edge, ServiceNode
from compiler.terraform.budget import emit_budget
from compiler.terraform.context import Ref, ServiceContext, StackBuilder
from compiler.terraform.network import emit_network
from compiler.terraform.shared import encrypt_log_groups
from compiler.terraform.wiring import wire_endpoints


def emit(arch: Architecture) -> StackBuilder:
    """Build every resource of the architecture's stack."""
    stack = StackBuilder(arch)
    emit_network(arch, stack)
    for node in arch.services.values():
        ctx = ServiceContext(arch, node, stack)
        if node.placement != "outside":
            _security_group(node, ctx)
        if node.spec.info.principal:
            _role(node, ctx)
        node.spec.terraform(node, ctx)
    for edge in arch.edges:
        source = arch.services[edge.source]
        target = arch.services[edge.target]
        ctx = ServiceContext(arch, source, stack)
        stack.current_edge = edge.id
        if edge.via in ("network", "lb-target"):
            _network_rules(edge, ctx, ctx.other(edge.target))
        if edge.via == "api":
            _api_policy(edge, ctx, target)
        elif edge.via not in ("network", "none"):
            source.spec.connect(edge, target, ctx)
        if edge.via in ("network", "api"):  # the caller learns where its target is
            wire_endpoints(stack, edge)
    stack.current_edge = ""
    emit_budget(arch, stack)
    encrypt_log_groups(stack)
    return stack


def _security_group(node: ServiceNode, ctx: ServiceContext) -> None:
    ctx.add(
        "aws_security_group",
        "",
        {
            "name": ctx.physical_name("aws_security_group", "sg"),
            "description": f"archc: {node.id} ({node.kind}); rules come from its connections",
            "vpc_id": ctx.vpc_id,
            "tags": ctx.tags("sg"),
        },
    )


def _role(node: ServiceNode, ctx: ServiceContext) -> None:
    principal = node.spec.info.principal
    assume = ctx.data(
        "aws_iam_policy_document",
        "assume",
        {"statement": [{"actions": ["sts:AssumeRole"], "principals": [{"type": "Service", "identifiers": [principal]}]}]},
    )
    ctx.add("aws_iam_role", "", {"name": ctx.physical_name("aws_iam_role"), "assume_role_policy": assume.attr("json"), "tags": ctx.tags()})


def _network_rules(edge: Edge, source: ServiceContext, target: ServiceContext) -> None:
    """One ingress rule on the target and one egress rule on the source, per connection."""
    if edge.port is None or source.node.placement == "outside" or target.node.placement == "outside":
        return
    common = {"from_port": edge.port, "to_port": edge.port, "ip_protocol": edge.protocol or "tcp"}
    description = f"{edge.source} -> {edge.target}: {edge.label}"[:255]
    ingress = f"{target.node.tf_name}_from_{source.node.tf_name}"
    egress = f"{source.node.tf_name}_to_{target.node.tf_name}"
    earlier = source.stack.resources.get(f"aws_vpc_security_group_ingress_rule.{ingress}")
    if earlier is not None:  # a second connection between the same pair (another path)
        if earlier.body["from_port"] == edge.port:  # already allowed by the first connection's rules
            for rtype, name in (("aws_vpc_security_group_ingress_rule", ingress), ("aws_vpc_security_group_egress_rule", egress)):
                source.stack.realize("path", Ref(rtype, name), f"shared with {earlier.edge}")
            return
        ingress, egress = f"{ingress}_{edge.port}", f"{egress}_{edge.port}"
    source.stack.add(
        edge.target,
        "aws_vpc_security_group_ingress_rule",
        ingress,
        {
            "security_group_id": target.security_group.id,
            "referenced_security_group_id": source.security_group.id,
            "description": description,
            **common,
        },
    )
    source.stack.add(
        edge.source,
        "aws_vpc_security_group_egress_rule",
        egress,
        {
            "security_group_id": source.security_group.id,
            "referenced_security_group_id": target.security_group.id,
            "description": description,
            **common,
        },
    )


def _api_policy(edge: Edge, source: ServiceContext, target: ServiceNode) -> None:
    """A policy on the caller's role: the access level's actions on the target's ARNs only."""
    assert edge.access is not None  # resolve sets it for every api edge
    actions = target.spec.info.access[edge.access]
    resources = target.spec.arns(target, source.other(target.id))
    name = f"{source.node.tf_name}_to_{target.tf_name}"
    if f"aws_iam_role_policy.{name}" in source.stack.resources:  # a second connection to the same target
        name = f"{name}_{edge.access.replace('-', '_')}"
        if f"aws_iam_role_policy.{name}" in source.stack.resources:  # the same access again: already granted
            earlier = source.stack.resources[f"aws_iam_role_policy.{name}"]
            source.stack.realize("permission", Ref("aws_iam_role_policy", name), f"shared with {earlier.edge}")
            return
    doc = source.stack.add(
        edge.source,
        "aws_iam_policy_document",
        name,
        {
            "statement": [
                {"sid": "archc" + edge.access.title().replace("-", ""), "actions": sorted(actions), "resources": resources},
                # What the target kind adds, e.g. the use of the key its data is encrypted with.
                *target.spec.api_statements(target, source.other(target.id), edge.access),
            ]
        },
        data=True,
    )
    source.stack.add(
        edge.source,
        "aws_iam_role_policy",
        name,
        {"name": f"{edge.access}-{target.id}"[:128], "role": source.role.id, "policy": doc.attr("json")},
    )
