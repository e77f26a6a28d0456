"""The network view: region -> VPC -> subnet tiers with their subnets per availability
zone, what runs in each tier, the internet and NAT gateways, and what sits outside.

Read from the resolved model for placement and from the Terraform stack for the
gateways (so the figure shows the NAT gateways Terraform creates, not a second guess).

Layout rules: clients, then services outside the VPC, then the VPC's tiers stack top
to bottom (public, private, isolated); each tier shows its subnets as one row of cells
in AZ order (with the NAT gateway in the subnet that holds it) and its services under
them. Only the paths into and inside the VPC are drawn (labelled with the port); calls
out to regional APIs are the overview's business.
A service that owns no Terraform resource (users, clients) is drawn outside AWS.
"""

from __future__ import annotations

import itertools

import diagrams

from compiler.diagrams.canvas import FONT, Canvas, Group, display_name, link, linked_service_node, service_node
from compiler.diagrams.icons import Icon, icon
from compiler.diagrams.overview import chunks
from compiler.flow import NOT_REQUESTS
from compiler.ir import Architecture, Subnet
from compiler.names import diagram_edge_id, diagram_node_id, diagram_service_href
from compiler.terraform.context import StackBuilder

PER_RANK = 6
TIER_TITLES = {"public": "Public subnets", "private": "Private subnets", "isolated": "Isolated subnets (no internet route)"}
TIER_LEVEL = {"outside": 1, "public": 2, "private": 3, "isolated": 4}  # top to bottom
TIER_COLORS = {"public": "#E9F5DB", "private": "#E3F0FA", "isolated": "#EEF0F2"}
IGW_ICON, NAT_ICON = "aws.network.InternetGateway", "aws.network.NATGateway"


def network(arch: Architecture, icons: dict[str, Icon], stack: StackBuilder) -> str:
    """The DOT text of the network view."""
    owners = {r.owner for r in stack.resources.values()}
    nat_subnets = _nat_subnets(stack)
    graph = {"newrank": "true", "splines": "spline", "nodesep": "0.45", "ranksep": "0.55"}
    nodes: dict[str, diagrams.Node] = {}
    level: dict[str, int] = {}
    ranks: list[list[str]] = []  # every row, top to bottom, chained below
    with Canvas("network", "TB", graph) as canvas:
        clients = [sid for sid in arch.services if sid not in owners]
        for sid in clients:
            svc = arch.services[sid]
            nodes[sid] = linked_service_node(svc, icons[svc.spec.info.icon])
            level[sid] = 0
        if clients:
            canvas.dot.body.append(_rank_line(clients))
            ranks.append(clients)
        with Group("region", f"AWS Cloud · region {arch.region}", {"bgcolor": "white", "style": "rounded,dashed"}):
            _outside(arch, icons, owners, nodes, level, ranks)
            if arch.network.subnets and "network" in owners:
                _vpc(arch, icons, nat_subnets, nodes, level, ranks)
        for upper, lower in itertools.pairwise(ranks):
            canvas.dot.edge(upper[0], lower[0], style="invis")
        for edge in arch.edges:
            if edge.via in NOT_REQUESTS or edge.source not in nodes or edge.target not in nodes:
                continue
            # The paths into the VPC and inside it; calls out to regional APIs are the overview's.
            if level[edge.target] <= TIER_LEVEL["outside"] and level[edge.source] > 0:
                continue
            down = level[edge.source] < level[edge.target]
            label = str(edge.port) if edge.port is not None else ""
            link(nodes[edge.source], nodes[edge.target], diagram_edge_id(edge), label, fontname=FONT, fontsize="10",
                 constraint="true" if down else "false")  # fmt: skip
    return str(canvas.source)


def _outside(
    arch: Architecture,
    icons: dict[str, Icon],
    owners: set[str],
    nodes: dict[str, diagrams.Node],
    level: dict[str, int],
    ranks: list[list[str]],
) -> None:
    outside = [sid for sid, svc in arch.services.items() if svc.placement == "outside" and sid in owners]
    if not outside:
        return
    with Group("outside_vpc", "Regional and global services (outside the VPC)", {"bgcolor": "#F4F8FB"}) as group:
        for rank in chunks(outside, PER_RANK):
            for sid in rank:
                svc = arch.services[sid]
                nodes[sid] = service_node(
                    diagram_node_id(sid), *display_name(svc), icons[svc.spec.info.icon], href=diagram_service_href(sid)
                )
                level[sid] = TIER_LEVEL["outside"]
            _same_rank(group, rank)
            ranks.append(rank)


def _vpc(
    arch: Architecture,
    icons: dict[str, Icon],
    nat_subnets: set[str],
    nodes: dict[str, diagrams.Node],
    level: dict[str, int],
    ranks: list[list[str]],
) -> None:
    net = arch.network
    with Group("vpc", f"VPC {net.cidr}", {"bgcolor": "#F6FAF3", "pencolor": "#7AA116"}):
        if "public" in net.tiers:
            service_node("internet-gateway", "Internet gateway", "", icon(IGW_ICON))
            ranks.append(["internet-gateway"])
        for tier in net.tiers:
            with Group(f"tier_{tier}", TIER_TITLES[tier], {"bgcolor": "white"}) as group:
                row = [_subnet_row(tier, net.subnets_of(tier), nat_subnets)]
                _same_rank(group, row)
                ranks.append(row)
                members = [sid for sid, svc in arch.services.items() if svc.placement == tier]
                for rank in chunks(members, PER_RANK):
                    for sid in rank:
                        svc = arch.services[sid]
                        nodes[sid] = service_node(
                            diagram_node_id(sid), *display_name(svc), icons[svc.spec.info.icon], href=diagram_service_href(sid)
                        )
                        level[sid] = TIER_LEVEL[tier]
                    _same_rank(group, rank)
                    ranks.append(rank)


def _subnet_row(tier: str, subnets: tuple[Subnet, ...], nat_subnets: set[str]) -> str:
    """One node per tier: a cell per subnet, in AZ order, with its NAT gateway if it holds one.

    A single table rather than a node per subnet: dot keeps cells in order, where it
    would shuffle separate nodes of a rank to shorten edges.
    """
    cells = []
    for s in subnets:
        rows = [f"<TR><TD>{s.az}<BR/>{s.cidr}</TD></TR>"]
        if s.tf_name in nat_subnets:
            image = f'<IMG SRC="{icon(NAT_ICON).path}" SCALE="TRUE"/>'
            rows.append(f'<TR><TD FIXEDSIZE="TRUE" WIDTH="30" HEIGHT="30">{image}</TD></TR><TR><TD>NAT gateway</TD></TR>')
        inner = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">' + "".join(rows) + "</TABLE>"
        cells.append(f'<TD PORT="{s.az[-1]}" BGCOLOR="{TIER_COLORS[tier]}" WIDTH="130" CELLPADDING="4">{inner}</TD>')
    label = '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="8" COLOR="#AEB6BE"><TR>' + "".join(cells) + "</TR></TABLE>>"
    node_id = f"subnets-{tier}"
    diagrams.Node(label, nodeid=node_id, shape="plain", fontsize="10")
    return node_id


def _rank_line(ids: list[str]) -> str:
    return "\t\t{rank=same; " + " ".join(f'"{i}"' for i in ids) + "}\n"


def _same_rank(group: Group, ids: list[str]) -> None:
    if ids:
        group.dot.body.append(_rank_line(ids))


def _nat_subnets(stack: StackBuilder) -> set[str]:
    """Terraform names of the subnets that hold a NAT gateway, read from the stack."""
    found = set()
    for r in stack.resources.values():
        if r.type == "aws_nat_gateway":
            ref = str(r.body.get("subnet_id", ""))  # "${aws_subnet.public_a.id}"
            found.add(ref.removeprefix("${aws_subnet.").removesuffix(".id}"))
    return found
