"""The VPC of an architecture: subnets per tier and AZ, routing, NAT, flow logs.

Public subnets route to an internet gateway, private ones through NAT (when any),
isolated ones nowhere but the VPC (and S3 through a gateway endpoint). The default
security group is emptied so nothing can use it by accident. A model with
``network: none`` has none of it: every service runs outside a VPC.
"""

from __future__ import annotations

from collections.abc import Callable

from compiler.ir import Architecture, Subnet
from compiler.terraform.context import Ref, StackBuilder, aws_name

OWNER = "network"

# add(resource type, terraform name, body) -> reference
Add = Callable[[str, str, dict[str, object]], Ref]


def emit_network(arch: Architecture, stack: StackBuilder) -> None:
    """Add the VPC and everything around it to the stack (nothing with ``network: none``)."""
    net = arch.network
    if not net.vpc:
        return
    name = arch.name

    def add(rtype: str, tf: str, body: dict[str, object]) -> Ref:
        return stack.add(OWNER, rtype, tf, body)

    vpc = add(
        "aws_vpc",
        "main",
        {"cidr_block": net.cidr, "enable_dns_support": True, "enable_dns_hostnames": True, "tags": {"Name": name}},
    )
    add("aws_default_security_group", "main", {"vpc_id": vpc.id, "tags": {"Name": aws_name(name, "default-deny-all")}})
    for s in net.subnets:
        add(
            "aws_subnet",
            s.tf_name,
            {
                "vpc_id": vpc.id,
                "cidr_block": s.cidr,
                "availability_zone": s.az,
                "map_public_ip_on_launch": False,
                "tags": {"Name": aws_name(name, s.tier, s.az[-1]), "archc:tier": s.tier},
            },
        )
    tables = _routing(arch, add, vpc)
    if net.tiers != ("public",):
        add(
            "aws_vpc_endpoint",
            "s3",
            {
                "vpc_id": vpc.id,
                "service_name": f"com.amazonaws.{arch.region}.s3",
                "vpc_endpoint_type": "Gateway",
                "route_table_ids": [t.id for t in tables if t.name != "public"],
                "tags": {"Name": aws_name(name, "s3-endpoint")},
            },
        )
    _flow_logs(arch, stack, vpc)
    stack.output(OWNER, "vpc_id", vpc.id, "The VPC's id.")


def _routing(arch: Architecture, add: Add, vpc: Ref) -> list[Ref]:
    """Route tables and their associations; returns the tables that exist."""
    net = arch.network
    tables: list[Ref] = []
    publics = net.subnets_of("public")
    if publics:
        igw = add("aws_internet_gateway", "main", {"vpc_id": vpc.id, "tags": {"Name": arch.name}})
        rt = add("aws_route_table", "public", {"vpc_id": vpc.id, "tags": {"Name": aws_name(arch.name, "public")}})
        add("aws_route", "public_internet", {"route_table_id": rt.id, "destination_cidr_block": "0.0.0.0/0", "gateway_id": igw.id})
        _associate(add, publics, rt)
        tables.append(rt)
    nats = _nat_gateways(arch, add, publics)
    privates = net.subnets_of("private")
    if privates:
        per_az = net.nat == "per-az"
        groups = [(s.az[-1], [s]) for s in privates] if per_az else [("", list(privates))]
        for letter, subnets in groups:
            tf = f"private_{letter}" if letter else "private"
            rt = add("aws_route_table", tf, {"vpc_id": vpc.id, "tags": {"Name": aws_name(arch.name, tf.replace("_", "-"))}})
            if nats:
                nat = nats.get(letter) or next(iter(nats.values()))
                add("aws_route", f"{tf}_nat", {"route_table_id": rt.id, "destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id})
            _associate(add, subnets, rt)
            tables.append(rt)
    isolated = net.subnets_of("isolated")
    if isolated:
        rt = add("aws_route_table", "isolated", {"vpc_id": vpc.id, "tags": {"Name": aws_name(arch.name, "isolated")}})
        _associate(add, isolated, rt)
        tables.append(rt)
    return tables


def _nat_gateways(arch: Architecture, add: Add, publics: tuple[Subnet, ...]) -> dict[str, Ref]:
    net = arch.network
    if net.nat == "none" or not publics or not net.subnets_of("private"):
        return {}
    hosts = publics if net.nat == "per-az" else publics[:1]
    nats: dict[str, Ref] = {}
    for s in hosts:
        letter = s.az[-1]
        eip = add("aws_eip", f"nat_{letter}", {"domain": "vpc", "tags": {"Name": aws_name(arch.name, "nat", letter)}})
        nats[letter] = add(
            "aws_nat_gateway",
            letter,
            {"allocation_id": eip.id, "subnet_id": Ref("aws_subnet", s.tf_name).id, "tags": {"Name": aws_name(arch.name, "nat", letter)}},
        )
    return nats


def _associate(add: Add, subnets: tuple[Subnet, ...] | list[Subnet], table: Ref) -> None:
    for s in subnets:
        add("aws_route_table_association", s.tf_name, {"subnet_id": Ref("aws_subnet", s.tf_name).id, "route_table_id": table.id})


def _flow_logs(arch: Architecture, stack: StackBuilder, vpc: Ref) -> None:
    dest = arch.network.flow_logs
    if dest is None:
        return
    body: dict[str, object] = {"vpc_id": vpc.id, "traffic_type": "ALL", "tags": {"Name": aws_name(arch.name, "flow-logs")}}
    if dest == "cloudwatch":
        group = stack.add(
            OWNER,
            "aws_cloudwatch_log_group",
            "flow_logs",
            {"name": f"/archc/{arch.name}/vpc-flow-logs", "retention_in_days": 365},
        )
        assume = stack.add(
            OWNER,
            "aws_iam_policy_document",
            "flow_logs_assume",
            {
                "statement": [
                    {"actions": ["sts:AssumeRole"], "principals": [{"type": "Service", "identifiers": ["vpc-flow-logs.amazonaws.com"]}]}
                ]
            },
            data=True,
        )
        role = stack.add(
            OWNER, "aws_iam_role", "flow_logs", {"name": aws_name(arch.name, "flow-logs"), "assume_role_policy": assume.attr("json")}
        )
        write = stack.add(
            OWNER,
            "aws_iam_policy_document",
            "flow_logs_write",
            {
                "statement": [
                    {
                        "actions": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        "resources": [group.arn, f"{group.arn}:*"],
                    }
                ]
            },
            data=True,
        )
        stack.add(OWNER, "aws_iam_role_policy", "flow_logs", {"role": role.id, "policy": write.attr("json")})
        body.update({"log_destination_type": "cloud-watch-logs", "log_destination": group.arn, "iam_role_arn": role.arn})
    else:
        # The s3 kind gives a flow-log bucket the policy (and key grants) log delivery needs:
        # in place before the flow log, or AWS would add a policy of its own that the next apply removes.
        tf = dest.replace("-", "_")
        ready = [f"aws_s3_bucket_policy.{tf}", f"aws_s3_bucket_server_side_encryption_configuration.{tf}"]
        body.update({"log_destination_type": "s3", "log_destination": Ref("aws_s3_bucket", tf).arn, "depends_on": ready})
    stack.add(OWNER, "aws_flow_log", "main", body)
