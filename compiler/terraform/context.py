"""What a service kind writes into: resources as plain dicts, and handy references.

Kinds never touch cdktn. They add resources (type, name, body) to a
:class:`StackBuilder` through a :class:`ServiceContext`; references between resources
are Terraform expressions (``${aws_vpc.main.id}``) built from deterministic names, so
the order in which services are emitted does not matter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from compiler.ir import Architecture, ServiceNode, Subnet
from compiler.names import terraform_address
from compiler.terraform.name_limits import limit, too_long
from compiler.terraform.realization import ELEMENT_OF_TYPE, Element, Part

Body = dict[str, Any]


@dataclass(frozen=True)
class Ref:
    """A Terraform resource address; attributes render as ``${type.name.attr}``."""

    type: str
    name: str

    @property
    def address(self) -> str:
        """``aws_vpc.main``."""
        return f"{self.type}.{self.name}"

    def attr(self, attribute: str) -> str:
        """An interpolation of one attribute."""
        return f"${{{self.type}.{self.name}.{attribute}}}"

    @property
    def id(self) -> str:
        """``${type.name.id}``."""
        return self.attr("id")

    @property
    def arn(self) -> str:
        """``${type.name.arn}``."""
        return self.attr("arn")


@dataclass
class Resource:
    """One Terraform resource (or data source), owned by a service or by the network."""

    type: str
    name: str
    body: Body
    owner: str  # a service id, or "network" / "architecture"
    data: bool = False  # a data source rather than a managed resource
    provider: str = ""  # "" for the architecture's region, else an alias such as "us_east_1"
    edge: str = ""  # the connection (Edge.id) this resource implements, "" if none
    extra: bool = False  # written by the model under its service's `resources:` (the escape hatch)

    @property
    def address(self) -> str:
        """``aws_vpc.main``, ``data.aws_partition.archc``: its key in ``StackBuilder.resources``."""
        return terraform_address(self.type, self.name, data=self.data)


@dataclass(frozen=True)
class Output:
    """A Terraform output."""

    name: str
    value: str
    description: str
    owner: str
    sensitive: bool = False


@dataclass(frozen=True)
class AppliedOverride:
    """One entry of a service's ``overrides:`` as applied (``overrides.py``): what it touched."""

    service: str
    index: int  # its position in the service's overrides list
    target: str  # "aws_cloudfront_distribution.*": the type and name pattern it asked for
    addresses: tuple[str, ...]  # the resources it changed
    attributes: tuple[str, ...]  # their top-level attributes it changed
    how: tuple[str, ...]  # "merge tags", "add /ordered_cache_behavior/-": what it does, in words
    opened: tuple[str, ...]  # the secure defaults it opens (secure_defaults.py), with its reason
    checks: tuple[str, ...]  # checkov checks those account for, on its addresses
    invariants: tuple[str, ...]  # archc invariants they account for ("open-ingress", "iam-wildcard")
    reason: str
    pos: tuple[int, int]  # line and column of the entry in the model file

    @property
    def entry(self) -> str:
        """``overrides[0]``: how messages, docs and the manifest name it."""
        return f"overrides[{self.index}]"


@dataclass(frozen=True)
class HatchDecision:
    """A secure default the escape hatch opens with the model's reason: by an override, or
    by an extra resource; ``archc check`` takes its findings as the architect's decision."""

    service: str
    what: str  # "overrides[0]", or "resources aws_x.y"
    addresses: tuple[str, ...]  # the resources it opens the default on
    opened: tuple[str, ...]  # "S3 public access block (block_public_policy)": secure_defaults.py's label and where
    checks: tuple[str, ...]  # the checkov checks that flag them
    invariants: tuple[str, ...]  # the archc invariants they break
    reason: str


@dataclass
class StackBuilder:
    """All resources and outputs of one stack, keyed by address."""

    arch: Architecture
    resources: dict[str, Resource] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    # Files shipped next to the stack (e.g. a Lambda's placeholder zip), by path
    # relative to the stack directory.
    assets: dict[str, bytes] = field(default_factory=dict)
    # The connection being compiled: resources added meanwhile implement it (set by emit).
    current_edge: str = ""
    # Parts of resources that realize a connection without being added for it (an
    # origin entry in a distribution), by Edge.id: see realization.py.
    named_parts: dict[str, list[Part]] = field(default_factory=dict)
    # The escape hatch (overrides.py): each applied override, and the body each
    # overridden resource had as emitted, before any override (for archc explain).
    overrides: list[AppliedOverride] = field(default_factory=list)
    emitted: dict[str, Body] = field(default_factory=dict)
    decisions: list[HatchDecision] = field(default_factory=list)  # secure defaults it opens, with reasons

    def add(self, owner: str, rtype: str, name: str, body: Body, *, data: bool = False, provider: str = "") -> Ref:
        """Add a resource; names are unique per type (a clash is a catalog bug).

        ``provider="us_east_1"`` places it in us-east-1 (CloudFront certificates and
        web ACLs must live there).
        """
        res = Resource(rtype, name, body, owner, data, provider, self.current_edge)
        if res.address in self.resources:
            raise ValueError(f"internal: {res.address} emitted twice (by {self.resources[res.address].owner} and {owner})")
        long_names = [] if data else too_long(rtype, body)
        if long_names:  # a kind cut a name to the wrong length (physical_name gets it right)
            raise ValueError(f"internal: {res.address} (by {owner}): {'; '.join(long_names)}")
        self.resources[res.address] = res
        return Ref(f"data.{rtype}" if data else rtype, name)

    def body(self, ref: Ref) -> Body:
        """The body of an already added resource, to extend it (e.g. a connection)."""
        return self.resources[ref.address].body

    def has(self, ref: Ref) -> bool:
        """Whether a resource exists."""
        return ref.address in self.resources

    def output(self, owner: str, name: str, value: str, description: str, *, sensitive: bool = False) -> None:
        """Add an output."""
        self.outputs[name] = Output(name, value, description, owner, sensitive)

    def realize(self, element: Element, ref: Ref, detail: str = "", *, edge: str = "") -> None:
        """Record that (part of) a resource realizes a connection: ``edge``, or the one being
        compiled. For what the resource's type does not say by itself (realization.py)."""
        edge = edge or self.current_edge
        if not edge:
            raise ValueError(f"internal: {ref.address} realizes no connection (no edge given or being compiled)")
        part = Part(element, ref.address, detail)
        found = self.named_parts.setdefault(edge, [])
        if part not in found:
            found.append(part)

    def parts(self, edge: str) -> list[Part]:
        """Everything a connection compiled into, sorted: its own resources whose type
        says what they do, and the parts named with :meth:`realize`."""
        own = {
            Part(ELEMENT_OF_TYPE[r.type], r.address)
            for r in self.resources.values()
            if r.edge == edge and not r.data and r.type in ELEMENT_OF_TYPE
        }
        return sorted(own | set(self.named_parts.get(edge, [])))


def aws_name(*parts: str, max_len: int = 64) -> str:
    """A physical AWS name from parts, shortened with a stable hash when too long.

    >>> aws_name("travel-booking", "orders-api", max_len=32)
    'travel-booking-orders-api'
    >>> aws_name("a-very-long-architecture-name", "and-a-long-service", max_len=32)
    'a-very-long-architectur-20fad8f4'
    """
    name = "-".join(p for p in parts if p)
    if len(name) <= max_len:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: max_len - 9].rstrip('-')}-{digest}"


@dataclass
class ServiceContext:
    """A service's view of the stack while it emits its Terraform."""

    arch: Architecture
    node: ServiceNode
    stack: StackBuilder

    # -- naming -------------------------------------------------------------------
    def tf(self, suffix: str = "") -> str:
        """The Terraform name of one of this service's resources: ``orders_db_replica``."""
        return f"{self.node.tf_name}_{suffix}" if suffix else self.node.tf_name

    def aws_name(self, suffix: str = "", max_len: int = 64) -> str:
        """A name made of the architecture's and this service's names, at most ``max_len`` long:
        for tags and paths; a resource's name attribute comes from :meth:`physical_name`."""
        return aws_name(self.arch.name, self.node.id, suffix, max_len=max_len)

    def physical_name(self, rtype: str, suffix: str = "", *, attribute: str = "name", before: str = "", after: str = "") -> str:
        """``before`` + ``<architecture>-<service>[-<suffix>]`` + ``after``, shortened with a stable
        hash to the AWS provider's limit for ``rtype.attribute`` (``name_limits.py``).

        ``after`` is what the name must end with, e.g. ``"-"`` for a readable bucket prefix or
        ``".fifo"``; ``before`` what it must start with.
        """
        room = limit(rtype, attribute) - len(before) - len(after)
        return before + aws_name(self.arch.name, self.node.id, suffix, max_len=room) + after

    # -- adding -------------------------------------------------------------------
    def add(self, rtype: str, suffix: str, body: Body, *, provider: str = "") -> Ref:
        """Add a resource owned by this service, named ``<service>[_<suffix>]``.

        ``provider="us_east_1"`` for global resources that AWS keeps in us-east-1.
        """
        return self.stack.add(self.node.id, rtype, self.tf(suffix), body, provider=provider)

    def asset(self, filename: str, content: bytes) -> str:
        """Ship a file next to the stack; returns its path as Terraform sees it."""
        path = f"assets/{self.node.id}/{filename}"
        self.stack.assets[path] = content
        return path

    def data(self, rtype: str, suffix: str, body: Body) -> Ref:
        """Add a data source owned by this service."""
        return self.stack.add(self.node.id, rtype, self.tf(suffix), body, data=True)

    def output(self, suffix: str, value: str, description: str) -> None:
        """Add an output named ``<service>_<suffix>``."""
        self.stack.output(self.node.id, self.tf(suffix), value, description)

    def tags(self, suffix: str = "") -> dict[str, str]:
        """The ``Name`` tag; architecture tags come from the provider's default_tags."""
        return {"Name": self.aws_name(suffix)}

    def stack_ref(self, rtype: str, suffix: str = "") -> Ref:
        """Reference to one of this service's resources (it need not exist yet)."""
        return Ref(rtype, self.tf(suffix))

    def subnet_ref(self, subnet: Subnet) -> Ref:
        """Reference to a subnet of the network."""
        return Ref("aws_subnet", subnet.tf_name)

    # -- what the framework set up ------------------------------------------------
    @property
    def security_group(self) -> Ref:
        """This service's security group (kinds placed in the VPC have one)."""
        return Ref("aws_security_group", self.node.tf_name)

    @property
    def role(self) -> Ref:
        """This service's IAM role (kinds with a principal have one)."""
        return Ref("aws_iam_role", self.node.tf_name)

    @property
    def vpc_id(self) -> str:
        """``${aws_vpc.main.id}``."""
        return Ref("aws_vpc", "main").id

    def subnet_ids(self, tier: str | None = None) -> list[str]:
        """Subnet ids of a tier (default: the tier this service is placed in), one per AZ."""
        tier = tier or self.node.placement
        return [Ref("aws_subnet", s.tf_name).id for s in self.arch.network.subnets_of(tier)]

    def other(self, service_id: str) -> ServiceContext:
        """The context of another service, to reference its resources."""
        return ServiceContext(self.arch, self.arch.services[service_id], self.stack)
