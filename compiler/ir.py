"""The resolved architecture: the one plain data structure every backend reads.

Produced by :mod:`compiler.resolve` from a validated model. Services have stable ids,
connections have their port, access level and wiring decided, the network has its
subnets laid out. Backends never look at YAML or at the input model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compiler.errors import Diagnostic
    from modules.base import Capability, Decision, Service


@dataclass(frozen=True)
class ServiceNode:
    """One service of the architecture."""

    id: str  # the YAML name, unique in the model: "orders-db"
    kind: str  # catalog kind: "rds-postgres"
    layer: str  # the layer's name
    title: str  # display name: the YAML title, else the kind's title
    placement: str  # subnet tier it runs in ("public"/"private"/"isolated"), or "outside"
    spec: Service  # the kind's validated settings; also the kind's catalog entry
    pos: tuple[int, int] = (1, 1)  # line and column of its name in the model file
    # Line and column of each entry of spec.overrides, and of each extra resource of
    # spec.resources ("type.name" -> position): the escape hatch's errors point there.
    override_pos: tuple[tuple[int, int], ...] = ()
    resource_pos: tuple[tuple[str, tuple[int, int]], ...] = ()
    # Line and column of the key of every value nested in its settings, by path below the
    # service (("thresholds", "db", "CPUUtilization")): a kind that finds a problem only
    # while it emits (what it alarms on) points at the entry (:meth:`at`).
    setting_pos: tuple[tuple[tuple[str | int, ...], tuple[int, int]], ...] = ()

    def at(self, *path: str | int) -> tuple[int, int]:
        """Line and column of the setting at ``path`` (its key), else of its nearest parent, else of the service."""
        found = dict(self.setting_pos)
        while path and path not in found:
            path = path[:-1]
        return found.get(path, self.pos)

    @property
    def tf_name(self) -> str:
        """Terraform-safe form of the id: "orders_db"."""
        return self.id.replace("-", "_")


@dataclass(frozen=True)
class Edge:
    """One connection, with its meaning decided."""

    id: str  # "web->db"
    source: str
    target: str
    via: Capability  # how it compiles: "network", "api", "origin", "alias", ...
    port: int | None
    protocol: str | None
    access: str | None  # access level for "api" edges: "read", "write", ...
    path: str | None  # HTTP path routed to the target (load balancers, API gateways)
    label: str  # what flows, for figures and docs
    step: int | None  # position in the request path (data-flow view)
    pos: tuple[int, int] = (1, 1)  # line and column in the model file
    usage: tuple[tuple[str, float], ...] = ()  # what flows along it per month (``usage:``), for cost


@dataclass(frozen=True)
class Reference:
    """A setting of one service that names another (waf ``protects``, alb ``access_logs``):
    not a connection, but a relationship the figures and the docs show."""

    source: str  # the service whose setting it is
    setting: str  # the YAML key, "access_logs"
    target: str  # the service it names
    label: str  # what it means, "access logs"
    drawn: bool = True  # drawn in the overview (False: shown otherwise, e.g. containment)


@dataclass(frozen=True)
class Subnet:
    """One subnet: a tier in one availability zone."""

    tier: str  # "public" | "private" | "isolated"
    az: str  # "eu-west-3a"
    cidr: str

    @property
    def tf_name(self) -> str:
        """Terraform name, e.g. "private_a"."""
        return f"{self.tier}_{self.az[-1]}"


@dataclass(frozen=True)
class Network:
    """The VPC as laid out, or (``vpc`` False, ``network: none``) its absence: no subnets,
    no NAT, no flow logs, every service outside a VPC."""

    cidr: str  # "" without a VPC
    azs: tuple[str, ...]
    subnets: tuple[Subnet, ...]
    nat: str  # "none" | "single" | "per-az"
    flow_logs: str | None  # None, "cloudwatch", or the id of an S3 service
    vpc: bool = True  # False: the model sets network: none
    decisions: tuple[Decision, ...] = ()  # secure defaults the network settings relax, with the model's reasons

    @property
    def tiers(self) -> tuple[str, ...]:
        """Subnet tiers present, in the order public, private, isolated."""
        present = {s.tier for s in self.subnets}
        return tuple(t for t in ("public", "private", "isolated") if t in present)

    def subnets_of(self, tier: str) -> tuple[Subnet, ...]:
        """Subnets of one tier, one per AZ in AZ order."""
        return tuple(s for s in self.subnets if s.tier == tier)


@dataclass(frozen=True)
class Layer:
    """A layer and its services, in YAML order."""

    name: str
    title: str
    description: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class Backend:
    """Where Terraform keeps state."""

    type: str  # "local" | "s3"
    bucket: str | None = None
    key: str | None = None
    region: str | None = None
    lock_table: str | None = None


@dataclass(frozen=True)
class EnvironmentRow:
    """One setting an environment's overlay changes: its path, the base's value, each environment's."""

    path: str  # "layers.data.services.db.instance_class"
    base: str  # the base model's value, as YAML flow text (archc's default if it sets none; "" if none either)
    values: tuple[tuple[str, str], ...]  # (environment, its value; "" where it keeps the base's)
    default: bool = False  # the base sets none: ``base`` is archc's default


SHARED_STACK = "shared"  # the stack of the resources the whole architecture shares, when a model has stacks


@dataclass(frozen=True)
class StackGroup:
    """One Terraform stack of ``stacks:``: the layers it holds."""

    name: str
    layers: tuple[str, ...]
    pos: tuple[int, int] = (1, 1)  # line and column of its key in the model file


@dataclass(frozen=True)
class Account:
    """The account's free-tier offer (``account:`` in the model; see compiler/cost/freetier.py)."""

    free_tier: str = "none"


@dataclass(frozen=True)
class Budget:
    """``budget:``: USD per month, and who is alerted."""

    monthly: float
    emails: tuple[str, ...]
    pos: tuple[int, int] = (1, 1)  # line and column of `budget:` in the model file


@dataclass(frozen=True)
class Architecture:
    """The whole resolved model."""

    name: str
    title: str
    description: str
    region: str
    tags: tuple[tuple[str, str], ...]
    network: Network
    layers: tuple[Layer, ...]
    services: dict[str, ServiceNode]  # in layer order, then YAML order
    edges: tuple[Edge, ...]
    backend: Backend
    source_file: str  # as given on the command line, for messages only
    notes: tuple[tuple[str, str], ...] = ()  # (title, text): further sections of the docs' index, in model order
    references: tuple[Reference, ...] = ()  # settings that name other services, in model order
    warnings: tuple[Diagnostic, ...] = ()
    account: Account = Account()
    budget: Budget | None = None  # what the model may compile with, but should change (printed, never written)
    base_dir: str = ""  # the model file's folder, to read files the model names (function code); never written
    stacks: tuple[StackGroup, ...] = ()  # ``stacks:``; none: one stack named after the architecture
    environment: str = ""  # the environment this is (``--env``), "" for a model without environments
    # What each environment of the model sets, side by side (docs index): path -> value per environment, "" if it keeps the base's.
    environments: tuple[EnvironmentRow, ...] = ()

    def edges_from(self, service_id: str) -> tuple[Edge, ...]:
        """Outbound connections of a service."""
        return tuple(e for e in self.edges if e.source == service_id)

    def edges_to(self, service_id: str) -> tuple[Edge, ...]:
        """Inbound connections of a service."""
        return tuple(e for e in self.edges if e.target == service_id)

    def references_from(self, service_id: str) -> tuple[Reference, ...]:
        """Settings of a service that name others."""
        return tuple(r for r in self.references if r.source == service_id)

    def references_to(self, service_id: str) -> tuple[Reference, ...]:
        """Settings of other services that name this one."""
        return tuple(r for r in self.references if r.target == service_id)
