"""Stage 3: validated model -> resolved :class:`Architecture` (the IR).

Checks what types cannot: names, references between services, the network layout,
what each connection means (network port, IAM access, or a kind-specific wiring), and
each kind's own semantic rules. Collects every problem before raising.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass
from typing import Any

from compiler.connection_settings import setting_problems
from compiler.consistency import check_backend, check_event_loops, check_nat
from compiler.errors import ArchcError, Diagnostic, ErrorCode, did_you_mean
from compiler.ir import SHARED_STACK, Account, Architecture, Backend, Budget, Edge, Layer, Network, Reference, ServiceNode, StackGroup
from compiler.loader import Document, Path_
from compiler.model import ArchitectureSpec, ConnectionSpec
from compiler.netplan import plan_network
from compiler.validate import expand_shorthand
from modules import catalog, supported
from modules.base import REACHES_PORT, Capability, Facts, Link, RefTo, Service, bucket_uses_of, offered

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_NAME = 40


class _Resolver:
    def __init__(self, spec: ArchitectureSpec, doc: Document) -> None:
        self.spec = spec
        self.doc = doc
        self.diags: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.where: dict[str, Path_] = {}  # service id -> its YAML path
        self.refused: set[str] = set()  # service names already reported as invalid
        # Each service's settings that name another service (RefTo), read once (collect_services).
        self.refs: dict[str, list[tuple[str, str, RefTo, Path_]]] = {}
        self.edge_paths: dict[str, Path_] = {}  # Edge id -> its YAML path

    def err(self, code: ErrorCode, message: str, path: Path_, *, key: bool = False) -> Diagnostic:
        return self.doc.error(code, message, path, key=key)

    def fail(self, code: ErrorCode, message: str, path: Path_, *, key: bool = False) -> None:
        self.diags.append(self.err(code, message, path, key=key))

    # -- names --------------------------------------------------------------------
    def check_name(self, name: str, what: str, path: Path_, *, key: bool) -> bool:
        if NAME.match(name) and len(name) <= MAX_NAME:
            return True
        self.fail(
            "name",
            f"{what} name '{name}' must be lowercase letters, digits and single dashes, "
            f"start with a letter, at most {MAX_NAME} characters (it becomes file names and Terraform identifiers)",
            path,
            key=key,
        )
        return False

    def collect_services(self) -> dict[str, tuple[str, Service]]:
        services: dict[str, tuple[str, Service]] = {}
        layer_names: dict[str, int] = {}
        for li, layer in enumerate(self.spec.layers):
            if self.check_name(layer.name, "layer", ("layers", li, "name"), key=False):
                if layer.name in layer_names:
                    self.fail("duplicate-service", f"layer '{layer.name}' is defined twice", ("layers", li, "name"))
                layer_names[layer.name] = li
            if not layer.services:  # drawn as an empty frame: allowed while a model grows, but said
                empty = self.err("structure", f"layer '{layer.name}' has no services", ("layers", li, "name"))
                self.warnings.append(dataclasses.replace(empty, severity="warning"))
            for sid, svc in layer.services.items():
                path: Path_ = ("layers", li, "services", sid)
                if not self.check_name(sid, "service", path, key=True):
                    self.refused.add(sid)  # a connection to it is not a second error
                    continue
                if sid in services:
                    first = self.doc.pos(self.where[sid], key=True)[0]
                    self.fail(
                        "duplicate-service",
                        f"service '{sid}' is already defined (line {first}); service names are unique across layers",
                        path,
                        key=True,
                    )
                    continue
                services[sid] = (layer.name, svc)
                self.where[sid] = path
                self.refs[sid] = _refs_in(svc, path)
        return services

    # -- references inside settings -------------------------------------------------
    def check_refs(self, services: dict[str, tuple[str, Service]]) -> None:
        for sid in services:
            for field, value, marker, path in self.refs[sid]:
                self.check_ref(sid, field, value, marker, path, services)

    def check_ref(self, sid: str, field: str, value: str, marker: RefTo, path: Path_, services: dict[str, tuple[str, Service]]) -> None:
        if value in self.refused:
            return
        if value not in services:
            self.fail("unknown-service", f"'{field}' names service '{value}', which is not defined{did_you_mean(value, services)}", path)
        elif value == sid:
            self.fail("value", f"'{field}' names the service itself", path)
        elif marker.kinds and services[value][1].kind not in marker.kinds:
            kinds = ", ".join(marker.kinds)
            self.fail("value", f"'{field}' must name a service of kind {kinds}; '{value}' is {services[value][1].kind}", path)

    # -- connections ------------------------------------------------------------------
    def resolve_edges(self, services: dict[str, tuple[str, Service]]) -> list[Edge]:
        edges: list[Edge] = []
        seen: dict[tuple[str, str, str | None], int] = {}
        for ci, conn in enumerate(self.spec.connections):
            edge = self.resolve_edge(ci, conn, services)
            if edge is None:
                continue
            key = (edge.source, edge.target, edge.path)
            if key in seen:
                self.fail(
                    "connection",
                    f"connection {edge.source} -> {edge.target} is listed twice (also connection {seen[key] + 1})",
                    ("connections", ci),
                )
                continue
            seen[key] = ci
            same_pair = sum(1 for e in edges if (e.source, e.target) == (edge.source, edge.target))
            if same_pair:  # a second route between the same services (another path): ids stay unique
                edge = dataclasses.replace(edge, id=f"{edge.id}#{same_pair + 1}")
            edges.append(edge)
            self.edge_paths[edge.id] = ("connections", ci)
        return edges

    def ends_exist(self, conn: ConnectionSpec, services: dict[str, tuple[str, Service]], path: Path_) -> bool:
        """Both ends name services (a service refused already is not reported again)."""
        ok = True
        for end, name in (("from", conn.source), ("to", conn.to)):
            if name in self.refused:
                ok = False
            elif name not in services:
                self.fail("unknown-service", f"connection {end} '{name}': no such service{did_you_mean(name, services)}", (*path, end))
                ok = False
        return ok

    def resolve_edge(self, ci: int, conn: ConnectionSpec, services: dict[str, tuple[str, Service]]) -> Edge | None:
        path: Path_ = ("connections", ci)
        if not self.ends_exist(conn, services, path):
            return None
        if conn.source == conn.to:
            self.fail("connection", f"service '{conn.source}' cannot connect to itself", path)
            return None
        src, dst = services[conn.source][1], services[conn.to][1]
        found = wiring(src, dst, conn)
        if found.via is None:
            self.fail("connection", f"{conn.source} ({src.kind}) -> {conn.to} ({dst.kind}): {found.refusal}", path)
            return None
        via = found.via
        access = conn.access
        if via == "api":
            levels = list(dst.info.access)
            access = access or levels[0]
            if access not in levels:
                self.fail(
                    "connection",
                    f"access '{access}' is not one {dst.kind} offers ({', '.join(levels)}){did_you_mean(access, levels)}",
                    (*path, "access"),
                )
                return None
        elif conn.access is not None:
            self.fail(
                "connection", f"'access' applies to API connections; {conn.source} -> {conn.to} is a {via} connection", (*path, "access")
            )
            return None
        problems = setting_problems(conn, via, dst)
        for field, message in problems:
            self.fail("connection", message, (*path, field))
        if problems:
            return None
        port = dst.inbound_port() if via in REACHES_PORT else None
        protocol = dst.info.protocol if port is not None else None
        label = conn.label if conn.label is not None else _default_label(via, port, access)
        edge = Edge(
            f"{conn.source}->{conn.to}",
            conn.source,
            conn.to,
            via,
            port,
            protocol,
            access,
            conn.path,
            label,
            conn.step,
            self.doc.pos(path),
            tuple(sorted(conn.usage.items())),
        )
        # What neither kind sees alone (a queue's visibility timeout against its consumer's timeout).
        for problem in src.connection_problems(edge, dst):
            where = (*path, problem.field) if problem.field else path
            self.fail(problem.code, f"{conn.source} ({src.kind}) -> {conn.to} ({dst.kind}): {problem.message}", where)
        return edge

    # -- whole -------------------------------------------------------------------------
    def run(self) -> Architecture:
        spec = self.spec
        self.check_name(spec.name, "architecture", ("name",), key=False)
        network = plan_network(spec, self.err, self.diags)
        services = self.collect_services()
        self.check_refs(services)
        edges = self.resolve_edges(services)
        if network is not None and isinstance(network.flow_logs, str) and network.flow_logs != "cloudwatch":
            self.check_ref("", "flow_logs", network.flow_logs, RefTo(("s3",)), ("network", "flow_logs"), services)
        nodes = self.make_nodes(services, edges, network)
        self.check_versions(services)
        self.diags += check_backend(spec, self.err) + check_nat(spec, network, self.err)
        self.diags += check_event_loops(edges, {sid: svc for sid, (_, svc) in services.items()}, self.doc.file)
        stacks = self.stack_groups()
        if self.diags or network is None:
            raise ArchcError(self.diags + self.warnings)
        layers = tuple(
            Layer(lay.name, lay.title or lay.name.replace("-", " ").capitalize(), lay.description, tuple(lay.services))
            for lay in spec.layers
        )
        b = spec.terraform.backend
        return Architecture(
            name=spec.name,
            title=spec.title or spec.name.replace("-", " ").title(),
            description=spec.description,
            region=spec.region,
            tags=tuple(sorted(spec.tags.items())),
            network=network,
            layers=layers,
            services=nodes,
            edges=tuple(edges),
            backend=Backend(b.type, b.bucket, b.key, b.region or spec.region if b.type == "s3" else None, b.lock_table),
            source_file=self.doc.file,
            notes=tuple(spec.notes.items()),
            references=self.references(services),
            warnings=tuple(sorted(self.warnings, key=lambda d: (d.line, d.col))),
            account=Account(spec.account.free_tier),
            budget=Budget(spec.budget.monthly, tuple(spec.budget.emails), self.doc.pos(("budget",))) if spec.budget else None,
            base_dir=self.doc.base_dir,
            stacks=stacks,
        )

    def stack_groups(self) -> tuple[StackGroup, ...]:
        """``stacks:``: each layer in exactly one stack; 'shared' is archc's (compiler/terraform/stacks.py)."""
        layers = [lay.name for lay in self.spec.layers]
        home: dict[str, str] = {}
        groups = []
        for name, members in self.spec.stacks.items():
            path: Path_ = ("stacks", name)
            if name == SHARED_STACK:
                why = "the stack of what the whole architecture shares"
                self.fail("name", f"stack name '{SHARED_STACK}' is archc's: {why}", path, key=True)
            elif self.check_name(name, "stack", path, key=True) and not members:
                self.fail("structure", f"stack '{name}' holds no layer", path, key=True)
            for i, layer in enumerate(members):
                if layer not in layers:
                    hint = did_you_mean(layer, layers)
                    self.fail("unknown-key", f"stack '{name}' names layer '{layer}', which is not defined{hint}", (*path, i))
                elif layer in home:
                    self.fail("conflict", f"layer '{layer}' is in two stacks: '{home[layer]}' and '{name}'", (*path, i))
                else:
                    home[layer] = name
            groups.append(StackGroup(name, tuple(members), self.doc.pos(path, key=True)))
        if groups:
            for layer in layers:
                if layer not in home:
                    names = ", ".join(self.spec.stacks)
                    self.fail("missing", f"layer '{layer}' is in no stack; add it to one of stacks: ({names})", ("stacks",), key=True)
        return tuple(groups)

    def references(self, services: dict[str, tuple[str, Service]]) -> tuple[Reference, ...]:
        found: dict[tuple[str, str, str], Reference] = {}
        for sid in services:
            for setting, target, marker, _ in self.refs[sid]:
                label = marker.label or setting.replace("_", " ")
                found.setdefault((sid, setting, target), Reference(sid, setting, target, label, marker.drawn))
        return tuple(found.values())

    # -- what AWS still supports ------------------------------------------------------
    def check_versions(self, services: dict[str, tuple[str, Service]]) -> None:
        """Each version a service runs, judged against modules/supported.py on today's date:
        retired is an error, soon deprecated a warning. Never changes what is written."""
        try:
            on = supported.today()
        except ValueError as exc:
            self.diags.append(Diagnostic("value", str(exc), self.doc.file))
            return
        for sid, (_, svc) in services.items():
            for family, version, setting in svc.versions():
                finding = supported.check(family, version, on)
                if finding is None:
                    continue
                named = setting in svc.model_fields_set
                message = finding.message if named else f"{finding.message} (archc's default; set '{setting}')"
                diag = self.err("version", message, (*self.where[sid], setting) if named else self.where[sid], key=not named)
                if finding.severity == "error":
                    self.diags.append(diag)
                else:
                    self.warnings.append(dataclasses.replace(diag, severity="warning"))

    def make_nodes(self, services: dict[str, tuple[str, Service]], edges: list[Edge], network: Network | None) -> dict[str, ServiceNode]:
        tiers, azs = (network.tiers, len(network.azs)) if network else ((), 0)
        nodes: dict[str, ServiceNode] = {}
        referrers: dict[str, list[tuple[str, Service]]] = {}
        for other, (_, svc) in services.items():
            for name in dict.fromkeys(value for _, value, _, _ in self.refs[other]):
                referrers.setdefault(name, []).append((other, svc))
        connections = [(e.source, e.target, e.via) for e in edges]
        specs = [(other, svc) for other, (_, svc) in services.items()]
        flow = network.flow_logs if network else None
        flow_logs = flow if flow != "cloudwatch" else None  # the bucket they go to
        zones = tuple(sorted({d for _, svc in specs if (d := svc.hosted_zone())}))
        setting_pos = self.setting_positions()
        for sid, (layer, svc) in services.items():
            outs = [e for e in edges if e.source == sid]
            reaches_vpc = any(e.via == "network" for e in outs)
            placement: str = svc.placement(reaches_vpc)
            if placement != "outside" and network is not None and not network.vpc:
                self.fail("network", _needs_vpc(sid, svc, placement, reaches_vpc), self.where[sid], key=True)
                continue
            if placement != "outside" and tiers and placement not in tiers:
                fallback = "private" if placement == "isolated" and "private" in tiers else None
                if fallback is None:
                    self.fail(
                        "network",
                        f"service '{sid}' ({svc.kind}) runs in {placement} subnets, but the network has no {placement} tier",
                        self.where[sid],
                        key=True,
                    )
                    continue
                placement = fallback
            routes = tuple(e.path for e in outs if e.via == svc.info.needs)
            facts = Facts(
                azs=azs,
                tiers=tiers,
                inbound=sum(e.target == sid for e in edges),
                outbound=len(outs),
                routes=routes,
                referrers=tuple(referrers.get(sid, ())),
                named=tuple((key, value, services[value][1]) for key, value, _, _ in self.refs[sid] if value in services),
                bucket_uses=bucket_uses_of(sid, specs, connections, flow_logs),
                inbound_vias=tuple((e.source, e.via) for e in edges if e.target == sid),
                region=self.spec.region,
                zones=zones,
                links=tuple(_link(e, sid, services) for e in edges if sid in (e.source, e.target)),
                service=sid,
                base_dir=self.doc.base_dir,
            )
            checked = network is not None  # a network that failed to lay out: kinds' checks would only cascade
            for problem in [*(svc.check(facts) if checked else []), *svc.reason_problems()]:
                if problem.connection is not None:
                    where, key = self.edge_paths[problem.connection], False
                else:
                    where = (*self.where[sid], problem.field) if problem.field else self.where[sid]
                    key = problem.field is None
                diag = self.err(problem.code, problem.message, where, key=key)
                if problem.severity == "warning":
                    self.warnings.append(dataclasses.replace(diag, severity="warning"))
                else:
                    self.diags.append(diag)
            pos = self.doc.pos(self.where[sid], key=True)
            here = self.where[sid]
            override_pos = tuple(self.doc.pos((*here, "overrides", i)) for i in range(len(svc.overrides)))
            resource_pos = tuple(
                (f"{rtype}.{name}", self.doc.pos((*here, "resources", rtype, name), key=True))
                for rtype, named in svc.resources.items()
                for name in named
            )
            title = svc.title or svc.info.title
            nodes[sid] = ServiceNode(
                sid, svc.kind, layer, title, placement, svc, pos, override_pos, resource_pos, tuple(setting_pos.get(sid, ()))
            )
        return nodes

    def setting_positions(self) -> dict[str, list[tuple[Path_, tuple[int, int]]]]:
        """Each service's nested settings: path below the service -> the key's line and column."""
        owner = {path: sid for sid, path in self.where.items()}
        found: dict[str, list[tuple[Path_, tuple[int, int]]]] = {}
        depth = 4  # a service sits at ("layers", i, "services", id)
        for path, p in self.doc.positions.items():
            sid = owner.get(path[:depth])
            if sid is not None and len(path) > depth:
                found.setdefault(sid, []).append((path[depth:], (p.key_line, p.key_col)))
        return found


@dataclass(frozen=True)
class Wiring:
    """What a connection between two kinds compiles into (``via``), or why the catalog
    cannot honour it (``via`` None, ``refusal`` says why)."""

    via: Capability | None
    refusal: str = ""
    suggest_callers: bool = False  # the source starts no connections: name the kinds that can


def kind_wiring(src: type[Service], dst: Service | type[Service], *, wants_api: bool) -> Wiring:
    """The one rule: how a connection from a ``src`` kind to a service like ``dst``
    compiles; ``wants_api``: the connection asks for IAM access (``access:`` given, or
    neither it nor the target names a port). Then the source kind may still refuse it
    (``Service.refuses``: it cannot realize that connection)."""
    found = _by_capability(src, dst, wants_api=wants_api)
    refusal = src.refuses(dst, found.via) if found.via not in (None, "none") else ""
    return Wiring(None, refusal) if refusal else found


def _by_capability(src: type[Service], dst: Service | type[Service], *, wants_api: bool) -> Wiring:
    needs = src.info.needs
    if needs is None:
        return Wiring(None, f"{src.kind_name()} does not start connections", suggest_callers=True)
    if src.info.outside_aws and dst.info.private_only:
        fronts = sorted(k for k, cls in catalog().items() if cls.info.needs == "lb-target")
        return Wiring(
            None,
            f"{dst.kind_name()} runs in private subnets without a public address, so {src.kind_name()} outside AWS "
            f"cannot reach it; connect {src.kind_name()} to a load balancer ({', '.join(fronts)}) that routes to it",
        )
    if needs == "none":  # drawn only: the source runs nothing that calls out (a front end in browsers)
        return Wiring("none")
    if needs != "network" and needs in offered(dst):
        return Wiring(needs)
    if "none" in dst.info.offers:
        # The target inspects traffic in line (a WAF): its own kind says which
        # connections to it it realizes (and refuses the others).
        return Wiring("none")
    if needs != "network":
        able = sorted(k for k, cls in catalog().items() if needs in offered(cls))
        return Wiring(None, f"{src.kind_name()} connects only to {', '.join(able)}")
    if src.info.reaches and dst.kind_name() not in src.info.reaches:
        return Wiring(None, f"{src.kind_name()} connects only to {', '.join(sorted(src.info.reaches))}")
    if dst.info.access and (wants_api or dst.info.port is None):
        if src.info.principal is None:
            return Wiring(None, f"{src.kind_name()} runs no code with an IAM role, so it cannot call {dst.kind_name()}'s API")
        return Wiring("api")
    if dst.info.port is not None or "lb-target" in dst.info.offers:
        if src.info.placement == "outside" and src.placement is Service.placement:
            return Wiring(None, f"{src.kind_name()} runs outside the VPC and cannot reach {dst.kind_name()} over the network")
        return Wiring("network")
    able = sorted(k for k, cls in catalog().items() if cls.info.port is not None or cls.info.access)
    return Wiring(None, f"nothing can connect to {dst.kind_name()}; {src.kind_name()} connects to {', '.join(able)}")


def wiring(src: Service, dst: Service, conn: ConnectionSpec) -> Wiring:
    """How this connection compiles, or why it cannot (with the kinds that could, when
    the source starts no connections)."""
    wants_api = conn.access is not None or (conn.port is None and dst.info.port is None)
    found = kind_wiring(type(src), dst, wants_api=wants_api)
    if not found.suggest_callers:
        return found
    able = ", ".join(callers(dst)) or "none"
    hint = f"draw them from the caller to the service it calls (kinds that can connect to {dst.kind_name()}: {able})"
    return dataclasses.replace(found, refusal=f"{found.refusal}; {hint}")


def callers(dst: Service | type[Service]) -> list[str]:
    """Kinds whose connection to a service like ``dst`` compiles into something (drawn-only
    connections aside), with or without ``access:``: by the rule of :func:`kind_wiring`."""
    return [
        kind
        for kind, cls in catalog().items()
        if any(kind_wiring(cls, dst, wants_api=api).via not in (None, "none") for api in (False, True))
    ]


def _link(edge: Edge, sid: str, services: dict[str, tuple[str, Service]]) -> Link:
    """A connection of service ``sid`` as its kind's check() sees it."""
    other = edge.target if edge.source == sid else edge.source
    return Link(edge.id, edge.source == sid, other, services[other][1], edge.via, edge.access)


def _needs_vpc(sid: str, svc: Service, placement: str, reaches_vpc: bool) -> str:
    """Why a service cannot be in a model without a VPC (``network: none``)."""
    why = "its connections reach ports inside a VPC" if reaches_vpc and svc.info.placement == "outside" else ""
    return (
        f"service '{sid}' ({svc.kind}) runs in the {placement} subnets of a VPC{f' ({why})' if why else ''}, but the model "
        "sets network: none (no VPC); remove network: none to give the model its VPC, or use a kind that runs outside one"
    )


def _default_label(via: str, port: int | None, access: str | None) -> str:
    if access:
        return access
    if port is not None:
        return {443: "HTTPS", 80: "HTTP"}.get(port, f"TCP {port}")
    labels = {"origin": "origin", "alias": "DNS", "subscriber": "subscribe", "consumer": "trigger", "web-endpoint": "HTTPS"}
    return {**labels, "event-target": "event"}.get(via, "")


def _refs_in(svc: Service, path: Path_) -> list[tuple[str, str, RefTo, Path_]]:
    """Settings of a service that name other services (marked with RefTo)."""
    found = []
    for name, field in type(svc).model_fields.items():
        marker = next((m for m in field.metadata if isinstance(m, RefTo)), None)
        if marker is None:
            marker = _marker_in(field.annotation)
        value: Any = getattr(svc, name)
        if marker is None or value is None:
            continue
        key = field.alias or name
        if isinstance(value, str):
            found.append((key, value, marker, (*path, key)))
        elif isinstance(value, (list, tuple)):
            found.extend((key, v, marker, (*path, key, i)) for i, v in enumerate(value) if isinstance(v, str))
    return found


def _marker_in(annotation: Any) -> RefTo | None:
    for arg in typing.get_args(annotation):
        if isinstance(arg, RefTo):
            return arg
        inner = _marker_in(arg)
        if inner is not None:
            return inner
    return None


def resolve(spec: ArchitectureSpec, doc: Document) -> Architecture:
    """Resolve a validated model into the IR; raise ArchcError with every problem."""
    # Positions must follow the connections as validated: a chain '- a -> b -> c' is two.
    return _Resolver(spec, expand_shorthand(doc)).run()
