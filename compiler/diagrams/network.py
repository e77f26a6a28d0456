"""The network view: region -> VPC -> subnet tiers with their subnets per availability
zone, what runs in each tier, the internet and NAT gateways, and what sits outside.

Read from the resolved model for placement and from the Terraform stack for the
gateways (so the figure shows the NAT gateways Terraform creates, not a second guess).

Layout rules: clients, then services outside the VPC, then the VPC's tiers stack top
to bottom (public, private, isolated); each tier shows its subnets as one row of cells
in AZ order (with the NAT gateway in the subnet that holds it) and its services under
them. Only the paths into and inside the VPC are drawn (labelled with the port); calls
out to regional APIs are the overview's business.
A service that owns no Terraform resource (users, clients) is drawn outside AWS. A
model without a VPC (``network: none``) draws no VPC frame, and says so in the title of
its regional services.

Above ``NODE_BUDGET`` services (``layers.py``) each place (outside AWS, outside the VPC,
each tier) shows one node per kind with its count ("200 × Amazon ECS service"), and one
edge per pair of such groups with the number of connections and their ports: a VPC of
1,000 services drawn one by one takes dot minutes and shows nothing legible.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import diagrams

from compiler.diagrams.canvas import FONT, Canvas, Group, display_name, link, service_node
from compiler.diagrams.icons import Icon, icon
from compiler.diagrams.layers import too_large
from compiler.diagrams.overview import chunks
from compiler.flow import NOT_REQUESTS
from compiler.ir import Architecture, Edge, Subnet
from compiler.names import diagram_edge_id, diagram_href, diagram_node_id, diagram_service_href
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
    with Canvas("network", "TB", graph) as canvas:
        places = _Places(arch, icons, grouped=too_large(arch))
        places.place("clients", [sid for sid in arch.services if sid not in owners], 0, canvas.dot.body)
        with Group("region", f"AWS Cloud · region {arch.region}", {"bgcolor": "white", "style": "rounded,dashed"}):
            outside = [sid for sid, svc in arch.services.items() if svc.placement == "outside" and sid in owners]
            if outside:
                title = (
                    "Regional and global services (outside the VPC)"
                    if arch.network.vpc
                    else "Regional and global services (no VPC: network: none)"
                )
                with Group("outside_vpc", title, {"bgcolor": "#F4F8FB"}) as group:
                    places.place("outside", outside, TIER_LEVEL["outside"], group.dot.body)
            if arch.network.subnets and "network" in owners:
                _vpc(arch, nat_subnets, places)
        for upper, lower in itertools.pairwise(places.ranks):
            canvas.dot.edge(upper[0], lower[0], style="invis")
        places.connect([e for e in arch.edges if places.drawn(e)])
    return str(canvas.source)


class _Places:
    """The services of each place (outside AWS, outside the VPC, each tier), in rows; one
    node each, or (``grouped``) one node per kind with its count."""

    def __init__(self, arch: Architecture, icons: dict[str, Icon], grouped: bool) -> None:
        self.arch, self.icons, self.grouped = arch, icons, grouped
        self.node_of: dict[str, str] = {}  # service id -> id of the node that draws it
        self.nodes: dict[str, diagrams.Node] = {}  # by node id
        self.level: dict[str, int] = {}  # service id -> 0 outside AWS, 1 outside the VPC, 2.. the tiers
        self.ranks: list[list[str]] = []  # every row, top to bottom, chained in order

    def place(self, where: str, sids: list[str], level: int, body: list[str]) -> None:
        """Draw the services of one place in rows of ``PER_RANK`` (``body``: the DOT body of its cluster)."""
        kinds: dict[str, list[str]] = defaultdict(list)
        for sid in sids:
            kinds[self.arch.services[sid].kind].append(sid)
        units = [[sid] for sid in sids] if not self.grouped else [members for members in kinds.values()]
        for rank in chunks([self._node(where, members) for members in units], PER_RANK):
            body.append(_rank_line(rank))
            self.ranks.append(rank)
        for sid in sids:
            self.level[sid] = level

    def _node(self, where: str, members: list[str]) -> str:
        svc = self.arch.services[members[0]]
        image = self.icons[svc.spec.info.icon]
        if len(members) == 1:
            node_id = diagram_node_id(svc.id)
            self.nodes[node_id] = service_node(node_id, *display_name(svc), image, href=diagram_service_href(svc.id, "network"))
        else:  # "private.ecs-service": no service id has a dot
            node_id = f"{where}.{svc.kind}"
            title = f"{len(members)} × {svc.spec.info.title}"
            href = diagram_href("network", "docs/network.md") + PLACE_ANCHORS[where]
            self.nodes[node_id] = service_node(node_id, title, "", image, href=href)
        for sid in members:
            self.node_of[sid] = node_id
        return node_id

    def drawn(self, edge: Edge) -> bool:
        """The paths into the VPC and inside it; calls out to regional APIs are the overview's."""
        if edge.via in NOT_REQUESTS or edge.source not in self.node_of or edge.target not in self.node_of:
            return False
        return not (self.level[edge.target] <= TIER_LEVEL["outside"] and self.level[edge.source] > 0)

    def connect(self, edges: list[Edge]) -> None:
        """One edge per connection (labelled with its port); grouped, one per pair of nodes."""
        pairs: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        for edge in edges:
            pairs[(self.node_of[edge.source], self.node_of[edge.target])].append(edge)
        for (source, target), between in pairs.items():
            down = self.level[between[0].source] < self.level[between[0].target]
            attrs = {"fontname": FONT, "fontsize": "10", "constraint": "true" if down else "false"}
            if (source, target) == (between[0].source, between[0].target):  # two services: each connection
                for edge in between:
                    label = str(edge.port) if edge.port is not None else ""
                    link(self.nodes[source], self.nodes[target], diagram_edge_id(edge), label, backward=False, **attrs)
            else:
                link(self.nodes[source], self.nodes[target], f"{source}->{target}", _ports(between), backward=False, **attrs)


PLACE_ANCHORS = {
    "clients": "#outside-aws",
    "outside": "#outside-the-vpc",
    "public": "#subnets",
    "private": "#subnets",
    "isolated": "#subnets",
}


def _ports(edges: list[Edge]) -> str:
    """What a group edge stands for: "100 × 5432", "200 connections" (several ports).

    >>> from compiler.ir import Edge
    >>> _ports([Edge("a->b", "a", "b", "network", 5432, None, None, None, "", None)] * 3)
    '3 × 5432'
    """
    ports = Counter(e.port for e in edges)
    if len(ports) == 1:
        port = next(iter(ports))
        return f"{len(edges)} × {port}" if port is not None else f"{len(edges)} connections"
    return f"{len(edges)} connections"


def _vpc(arch: Architecture, nat_subnets: set[str], places: _Places) -> None:
    net = arch.network
    with Group("vpc", f"VPC {net.cidr}", {"bgcolor": "#F6FAF3", "pencolor": "#7AA116"}):
        if "public" in net.tiers:
            service_node("internet-gateway", "Internet gateway", "", icon(IGW_ICON))
            places.ranks.append(["internet-gateway"])
        for tier in net.tiers:
            with Group(f"tier_{tier}", TIER_TITLES[tier], {"bgcolor": "white"}) as group:
                row = [_subnet_row(tier, net.subnets_of(tier), nat_subnets)]
                _same_rank(group, row)
                places.ranks.append(row)
                members = [sid for sid, svc in arch.services.items() if svc.placement == tier]
                places.place(tier, members, TIER_LEVEL[tier], group.dot.body)


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
