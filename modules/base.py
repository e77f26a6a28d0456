"""The shape of a catalog entry: one class per AWS service kind.

A kind is a pydantic model (its YAML settings, with secure defaults) that also carries,
as class data, everything every backend needs to know about it (:class:`KindInfo`:
title, family, icon, doc text, where it runs, what a connection to it means) and, as
methods, the Terraform it compiles into. Nothing outside this class branches on the
kind's name; adding a kind means adding one class to a family file.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from compiler.errors import ErrorCode
    from compiler.ir import Architecture, Edge, ServiceNode
    from compiler.terraform.context import ServiceContext
    from compiler.terraform.realization import Element
    from modules.schedule import Schedule

Placement = Literal["public", "private", "isolated", "outside"]
# (family in modules/supported.py, version, setting): see Service.versions().
VersionUse = tuple[str, str, str]

# What a source asks of its target when it connects; see KindInfo.needs.
Capability = Literal[
    "network",
    "api",
    "origin",
    "alias",
    "lb-target",
    "subscriber",
    "consumer",
    "deploy-target",
    "monitor",
    "pipeline-stage",
    "api-target",
    "notify",
    "web-endpoint",
    "event-target",
    "none",
]
# Capabilities a kind offers without listing them: CloudWatch monitors every kind in AWS
# (its alarms(), else the standard metrics of its resources, modules/monitoring.py) unless
# its KindInfo says AWS publishes no metric worth an alarm (``monitorable=False``).
IMPLICIT_OFFERS: tuple[Capability, ...] = ("monitor",)
# Connections that reach a port on their target (security group rules, a target group):
# only these may name a port or protocol, the target's own.
REACHES_PORT: tuple[Capability, ...] = ("network", "lb-target")
# Connections whose source routes by the connection's ``path``: ALB listener rules, API
# Gateway routes, CloudFront cache behaviours, S3 event notifications (a key prefix).
# On any other connection a path would be drawn and documented but compile to nothing.
ROUTED_BY_PATH: tuple[Capability, ...] = ("lb-target", "api-target", "origin", "notify")


@dataclass(frozen=True)
class KindInfo:
    """Facts about a kind that the backends read; no backend branches on kind names."""

    title: str  # "Amazon RDS for PostgreSQL"
    family: str  # "database": the modules/ file and the docs section
    summary: str  # one sentence for the docs: what the service does in an architecture
    icon: str  # a diagrams node class, "aws.database.RDS"
    placement: Placement = "outside"  # subnet tier it runs in, or outside the VPC
    # A network connection to this kind reaches this port (None: not over the VPC).
    port: int | None = None
    protocol: str = "tcp"
    # An API connection to this kind: access level -> IAM actions it grants on the
    # target's ARN(s). The first level is the default.
    access: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Access levels whose calls deliver onwards by themselves: a message sent to a queue, or
    # published to a topic, starts its consumers' work. The event-loop check follows them
    # (compiler/consistency.py); each must be a level of ``access``.
    delivers: tuple[str, ...] = ()
    # The AWS service principal when the kind runs code under an IAM role of its own.
    principal: str | None = None
    # What this kind asks of a target it connects to: "network" is the generic
    # workload calling a dependency (network port or IAM API); None means the kind
    # never starts a connection (a database does not call anyone).
    needs: Capability | None = None
    # Capabilities this kind offers as a target beyond network/api (see its methods).
    offers: tuple[Capability, ...] = ()
    # Declared internet entry point (load balancer, CDN, API gateway): the only kinds
    # whose ingress may be open to 0.0.0.0/0 (on 443, or 80 to redirect to HTTPS).
    internet_entry: bool = False
    # Other names architects write for this kind (AWS's short names, engines): an
    # unknown kind that is one of them gets "did you mean" this kind.
    aliases: tuple[str, ...] = ()
    # People or systems outside AWS (users, partners): no Terraform, drawn and documented only.
    outside_aws: bool = False
    # Runs in private subnets without a public address or an entry of its own: people and
    # systems outside AWS reach it only through a load balancer in front of it, so a
    # connection from them straight to it is refused (it would be drawn, never work).
    private_only: bool = False
    # The only kinds a "network" source of this kind can call (empty: any it can reach):
    # a managed service that calls nothing else (Firehose: its bucket and a Lambda processor).
    reaches: tuple[str, ...] = ()
    # CloudWatch can alarm on it (cloudwatch -> it compiles into alarms); False: AWS publishes
    # no metric worth an alarm for it, and such a connection is refused.
    monitorable: bool = True


def offered(kind: Service | type[Service]) -> tuple[Capability, ...]:
    """What a kind offers as a target: ``info.offers``, and the implicit ones it takes."""
    info = kind.info
    implicit = () if info.outside_aws or not info.monitorable else IMPLICIT_OFFERS
    return (*info.offers, *implicit)


@dataclass(frozen=True)
class RefTo:
    """Marks a setting that names another service; the resolver checks it exists and,
    when ``kinds`` is given, that it is one of them. Such a setting is a relationship
    the figures draw (dashed, labelled ``label``) and both services' pages list, unless
    ``drawn`` is False (a relation the figures show otherwise, such as containment)."""

    kinds: tuple[str, ...] = ()
    label: str = ""  # what the relationship means, "logs to"; default: the setting's name
    drawn: bool = True


@dataclass(frozen=True)
class Problem:
    """A semantic problem a kind finds in its own settings (see Service.check)."""

    code: ErrorCode
    message: str
    field: str | None = None  # the setting to point at; None: the service itself
    # A connection (its Edge id, from Facts.links) to point at instead: a connection the
    # kind cannot realize is refused at its own line.
    connection: str | None = None
    severity: Literal["error", "warning"] = "error"  # a warning is printed; the model still compiles


@dataclass(frozen=True)
class Decision:
    """A secure default that the model relaxes on purpose, with the architect's reason.

    Reported by ``Service.decisions()``; the docs list them (decisions page) and
    ``archc check`` turns each into per-resource checkov skips with that reason.
    """

    setting: str  # the YAML setting, e.g. "protocol"
    value: str  # what the model sets, e.g. "HTTP"
    default: str  # the secure default it replaces, e.g. "HTTPS"
    reason: str  # the architect's words from the model
    checks: tuple[str, ...] = ()  # checkov check ids this decision accounts for


@dataclass(frozen=True)
class BucketUse:
    """An AWS service that itself reads from or delivers into a bucket (not through a role the
    model grants): the bucket's encryption must be one that service can use."""

    who: str  # for messages and docs: "alb 'lb' delivers its access logs here"
    # The service principal a customer managed key of the bucket must grant; None: the
    # service writes or reads SSE-S3 objects only (ALB access logs).
    key_principal: str | None


LOG_DELIVERY = "delivery.logs.amazonaws.com"  # vended logs: VPC flow logs, CloudFront standard logging v2


def bucket_uses_of(
    bucket: str, services: Iterable[tuple[str, Service]], connections: Iterable[tuple[str, str, str]], flow_logs: str | None
) -> tuple[BucketUse, ...]:
    """What AWS services do with bucket service ``bucket``: each service's own answer
    (:meth:`Service.bucket_uses`, from its settings and its ``(source, target, via)``
    connections to the bucket), then the VPC's flow logs when they go there."""
    vias: dict[str, list[str]] = {}
    for source, target, via in connections:
        if target == bucket:
            vias.setdefault(source, []).append(via)
    uses = [use for sid, svc in services for use in svc.bucket_uses(sid, bucket, tuple(vias.get(sid, ())))]
    if flow_logs == bucket:
        uses.append(BucketUse("the VPC flow logs are delivered here", LOG_DELIVERY))
    return tuple(uses)


@dataclass(frozen=True)
class Mount:
    """What a client needs to mount a shared file system it connects to (:meth:`Service.mount`)."""

    file_system_id: str  # Terraform expression of the file system's id
    arn: str  # its ARN: the client's IAM permission is scoped to it
    ready: tuple[str, ...]  # addresses the client waits for before it mounts (mount targets)
    # IAM actions a client mounting with IAM authorization needs (read and write).
    actions: tuple[str, ...] = ("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite")


def is_file_system(kind: Service | type[Service]) -> bool:
    """Whether a kind is a file system its network callers mount (it overrides ``mount()``)."""
    cls = type(kind) if isinstance(kind, Service) else kind
    return cls.mount is not Service.mount


@dataclass(frozen=True)
class Link:
    """One connection of the service being checked, seen from that service."""

    edge: str  # the connection's Edge id ("a->b"): Problem.connection names it
    outbound: bool  # this service starts it (False: the other end does)
    other: str  # the service at the other end
    settings: Service  # that service's settings (and kind)
    via: str  # how it compiles (Edge.via)
    access: str | None = None  # the access level of an API connection


@dataclass(frozen=True)
class EventSource:
    """What a consumer needs to poll a source it consumes ("consumer"), as the source
    kind states it (:meth:`Service.event_source`): the consumer (a function) adds the
    event source mapping and its role's permissions from this alone, so a new source
    kind changes nothing on the consumer's side."""

    arn: str  # the queue's or stream's ARN: the mapping's event_source_arn and the policy's scope
    actions: tuple[str, ...]  # IAM actions the consumer's role needs on ``arn`` to poll it
    # Arguments of ``aws_lambda_event_source_mapping`` (batch_size, starting_position...).
    settings: dict[str, object] = field(default_factory=dict)
    # Further statements the consumer needs, e.g. kms:Decrypt on the key the records are encrypted with.
    statements: tuple[dict[str, object], ...] = ()
    # A stream keeps failing batches: send their description to the consumer's own dead-letter
    # queue (destination_config.on_failure); a queue redrives on its own instead.
    on_failure: bool = False


@dataclass(frozen=True)
class Facts:
    """What a kind may know about the rest of the model when checking itself."""

    azs: int
    tiers: tuple[str, ...]
    inbound: int  # connections into this service
    outbound: int
    # The ``path`` of each outbound connection wired by this kind's own capability
    # (``via == info.needs``), in model order: routes of load balancers, APIs, CDNs.
    routes: tuple[str | None, ...] = ()
    # (id, settings) of the services whose settings name this one (RefTo), in model
    # order: an ECS cluster's services, for instance, so a kind can check what they ask of it.
    referrers: tuple[tuple[str, Service], ...] = ()
    # (setting, id, settings) of the services this one's RefTo settings name, in field order.
    named: tuple[tuple[str, str, Service], ...] = ()
    # AWS services reading from or delivering into this service as a bucket (bucket_uses_of).
    bucket_uses: tuple[BucketUse, ...] = ()
    # (source id, via) of each connection into this service, in model order: who reaches
    # it and how (a bucket behind a distribution sees ("cdn", "origin")).
    inbound_vias: tuple[tuple[str, str], ...] = ()
    region: str = ""  # the architecture's region
    # The domains of the model's DNS zones (hosted_zone()): names archc can validate certificates for.
    zones: tuple[str, ...] = ()
    # Its connections, both ways, in model order.
    links: tuple[Link, ...] = ()
    service: str = ""  # its own id, for messages
    # The model file's folder: settings naming files (a function's code) are relative to it.
    base_dir: str = ""


_EMAIL = re.compile(r"^[^@\s{}]+@[^@\s{}]+\.[^@\s{}]+$")


def _email(value: str) -> str:
    """A plain check (pydantic's EmailStr needs a package archc does not ship)."""
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


Email = Annotated[str, AfterValidator(_email)]


# The usage figures `archc cost` reads (their meanings and defaults: compiler/cost/usage.py).
UsageKey = Literal[
    "requests", "duration_ms", "storage_gb", "transfer_gb", "processed_gb", "log_gb", "users", "scanned_tb", "build_minutes", "lcu"
]


TerraformName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$")]


class PatchOp(BaseModel):
    """One RFC 6902 JSON Patch operation on a resource's Terraform JSON body (list edits)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)

    op: Literal["add", "remove", "replace", "move", "copy", "test"] = Field(description="What to do at path (RFC 6902, section 4).")
    path: str = Field(description="JSON Pointer into the resource body, e.g. /ordered_cache_behavior/- (append).")
    value: Any = Field(None, description="The value for add, replace and test.")
    from_: str | None = Field(None, alias="from", description="The source pointer for move and copy.")


class Override(BaseModel):
    """An escape hatch: a change to the Terraform archc generates for this service, applied after
    emission and checked against the provider schema (see `archc explain`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)

    type: str = Field(description="Terraform type of the resources to change (data.<type> for a data source).")
    name: str = Field("*", description="Which of them, by Terraform name; a glob (* and ?). Default: every one of that type.")
    merge: dict[str, Any] | None = Field(None, description="RFC 7386 JSON merge patch of the body: null removes a key.")
    patch: list[PatchOp] = Field(default_factory=list, description="RFC 6902 operations, applied after merge (list edits).")
    reason: str = Field(
        "", description="Why: required when the change opens a secure default (public access, encryption, 0.0.0.0/0, IAM *)."
    )


class Service(BaseModel):
    """Settings every service has; a kind subclasses this with its own fields."""

    # defer_build: a kind's validator is built only if a model uses it (see model.spec_class).
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True, strict=True)

    info: ClassVar[KindInfo]
    # Attributes archc now sets from a setting of this kind: "type.attribute" -> the setting.
    # An override that sets one of them gets a warning that the setting can replace it.
    promoted: ClassVar[dict[str, str]] = {}

    kind: str  # each kind narrows this to its Literal name: the YAML discriminator
    title: str | None = Field(default=None, description="Display name in figures and docs.")
    description: str = Field(default="", description="What this service does in this architecture.")
    reasons: dict[str, str] = Field(
        default_factory=dict,
        description="Why a setting relaxes a secure default, by setting name, e.g. {listeners: 'no domain yet; HTTP only'}, "
        "or an extra resource does, by address (type.name). "
        "Required for every relaxed setting; archc records it in the docs and the checkov baseline.",
    )
    usage: dict[UsageKey, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict,
        description="How much it is used per month, for `archc cost` (compiler/cost/README.md): requests, duration_ms, "
        "storage_gb, transfer_gb, processed_gb, log_gb, users, scanned_tb, build_minutes, lcu. Unset: what flows in "
        "along connections, else a documented small-system default, marked as assumed.",
        examples=[{"requests": 2000000, "storage_gb": 50}],
    )
    overrides: list[Override] = Field(
        default_factory=list,
        description="Escape hatch: changes to this service's generated Terraform (merge or JSON patch), "
        "schema-checked and listed in its docs; see `archc explain`.",
    )
    resources: dict[str, dict[TerraformName, dict[str, Any]]] = Field(
        default_factory=dict,
        description="Extra raw Terraform resources owned by this service, as in cdk.tf.json: {type: {name: body}}.",
    )

    @classmethod
    def kind_name(cls) -> str:
        """The kind's YAML name, from its class (its ``kind: Literal[...]``); ``kind`` on an instance."""
        return str(typing.get_args(cls.model_fields["kind"].annotation)[0])

    def placement(self, reaches_vpc: bool) -> Placement:
        """Where this service runs; ``reaches_vpc`` says a connection needs the VPC."""
        return self.info.placement

    def check(self, facts: Facts) -> list[Problem]:
        """Semantic checks of this kind's settings against the model (beyond types)."""
        return []

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Emit this service's own resources (not its connections)."""
        raise NotImplementedError

    def versions(self) -> list[VersionUse]:
        """The AWS versions this service runs (runtime, engine, platform branch, release), for
        the date check of ``modules/supported.py``: (table family, version, the setting naming it)."""
        return []

    def relaxations(self) -> list[Decision]:
        """Secure defaults this service's settings relax (reasons left empty): kinds override this."""
        return []

    def decisions(self) -> list[Decision]:
        """Secure defaults this service's settings relax, each with its reason from ``reasons``."""
        return [dataclasses.replace(d, reason=self.reasons.get(d.setting, "")) for d in self.relaxations()]

    def reason_problems(self) -> list[Problem]:
        """A relaxed default needs a reason; a reason needs a relaxed default."""
        problems = []
        relaxed = {d.setting: d for d in self.relaxations()}
        for setting, d in relaxed.items():
            if not self.reasons.get(setting, "").strip():
                where = setting if setting in self.model_fields_set else None
                problems.append(
                    Problem(
                        "missing",
                        f"{setting}: {d.value} relaxes the secure default ({d.default}); say why under reasons: {{{setting}: ...}}",
                        where,
                    )
                )
        # A key with a dot is the address of an extra resource (resources:): the escape hatch checks those.
        for setting in sorted({s for s in self.reasons if "." not in s} - set(relaxed)):
            problems.append(
                Problem("value", f"reasons: '{setting}' relaxes no secure default of {self.kind}; remove the reason", "reasons")
            )
        return problems

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """Emit what a connection from this service to ``target`` needs (when ``info.needs`` is special)."""

    def running_schedule(self, arch: Architecture) -> Schedule | None:
        """The hours this service's fleet runs (``schedule:``, its own or its cluster's), for
        ``archc cost``; None: always."""
        return None

    def fleet_size(self, arch: Architecture, me: str) -> int | None:
        """The instances this service's (``me``'s) Auto Scaling group runs once its work is
        placed, when more than its settings say (an ECS cluster's tasks), for ``archc cost``;
        None: its settings (desired or min)."""
        return None

    def contract(self, edge: Edge, node: ServiceNode) -> frozenset[Element]:
        """What a connection ``edge`` to this service (``node``) needs at run time beyond what
        every connection of its ``via`` needs (``REQUIRED`` in compiler/terraform/realization.py),
        e.g. the permission an origin that is a private bucket needs: none by default."""
        return frozenset()

    @classmethod
    def refuses(cls, target: Service | type[Service], via: Capability) -> str:
        """Why this kind cannot realize a connection to a kind like ``target`` that compiles as
        ``via`` ("" when it can): refused at the connection, and not among the target's callers."""
        return ""

    def connection_problems(self, edge: Edge, target: Service) -> list[Problem]:
        """Why a connection from this service to ``target`` would fail at apply or run time,
        for facts neither kind's check() sees alone (a queue's visibility timeout below its
        consumer's timeout); ``field`` names a setting of the connection ("path"), None the
        connection itself. None by default."""
        return []

    def own_security_groups(self) -> str:
        """Security groups the AWS service itself adds beside archc's (which archc does not
        write, so its security page cannot list their rules): "" when none."""
        return ""

    def after_apply(self, node: ServiceNode) -> tuple[str, ...]:
        """Steps a person takes by hand around ``terraform apply`` (its docs page lists them): after the first
        apply, or, when the step says so, before it or before a destroy (an account setting, deletion
        protection): none by default."""
        return ()

    def bucket_uses(self, me: str, bucket: str, vias: tuple[str, ...]) -> tuple[BucketUse, ...]:
        """How this service (id ``me``) makes its AWS service read from or deliver into bucket service
        ``bucket``, through its settings or its connections to it (their ``via``s): none by default."""
        return ()

    # --- capabilities a target may offer, called by the source's connect() ---------

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """ARNs an API connection's policy is scoped to (kinds with ``info.access``)."""
        raise NotImplementedError

    def web_endpoint(self, node: ServiceNode, ctx: ServiceContext, source: ServiceNode, web_origin: str) -> str:
        """The URL a browser front end ``source`` served at ``web_origin`` calls ("web-endpoint"); lets
        that origin in (CORS)."""
        raise NotImplementedError

    def origin(self, node: ServiceNode, ctx: ServiceContext, source: ServiceNode) -> dict[str, object]:
        """A CloudFront origin block pointing at this service, for distribution ``source`` ("origin")."""
        raise NotImplementedError

    def alias(self, node: ServiceNode, ctx: ServiceContext) -> dict[str, object]:
        """A Route 53 alias block {name, zone_id, evaluate_target_health} ("alias")."""
        raise NotImplementedError

    def attach_target_group(self, node: ServiceNode, ctx: ServiceContext, target_group_arn: str, port: int) -> None:
        """Register this service in a load balancer target group ("lb-target")."""
        raise NotImplementedError

    def subscribe(self, node: ServiceNode, ctx: ServiceContext, topic_arn: str) -> dict[str, object]:
        """Let topic ``topic_arn`` deliver to this service ("subscriber"): returns the
        subscription's {protocol, endpoint} and adds what the target needs (e.g. a queue policy)."""
        raise NotImplementedError

    def consume(self, node: ServiceNode, ctx: ServiceContext, source: EventSource) -> None:
        """Consume records from a queue or stream ("consumer"): the event source mapping and
        the permissions ``source`` names, on that source only."""
        raise NotImplementedError

    # --- capabilities a source offers its targets --------------------------------------

    def event_source(self, node: ServiceNode, ctx: ServiceContext) -> EventSource:
        """What a consumer of this queue or stream needs (kinds with ``needs="consumer"``)."""
        raise NotImplementedError

    def api_statements(self, node: ServiceNode, ctx: ServiceContext, access: str) -> list[dict[str, object]]:
        """IAM statements an API connection with ``access`` needs beyond ``info.access`` on
        :meth:`arns`, e.g. the use of the key the data is encrypted with: none by default."""
        return []

    def event_target(self, node: ServiceNode, ctx: ServiceContext, rule_arn: str) -> dict[str, object]:
        """Let EventBridge rule ``rule_arn`` deliver to this service ("event-target"): returns the
        ``aws_cloudwatch_event_target`` fields that name it (``arn``, and ``role_arn`` or
        ``sqs_target`` where it needs them) and adds what it needs (an invoke permission, a
        queue policy statement, a role EventBridge assumes)."""
        raise NotImplementedError

    def notification(self, node: ServiceNode, ctx: ServiceContext, bucket_arn: str) -> dict[str, object]:
        """Let bucket ``bucket_arn`` notify this service of new objects ("notify"): returns the
        ``aws_s3_bucket_notification`` block {"block": "queue"|"lambda_function", "<block>_arn": arn},
        and adds what the target needs (a queue policy statement, an invoke permission)."""
        raise NotImplementedError

    def processing_timeout_s(self) -> int | None:
        """("consumer") The longest one run holds a batch of messages, in seconds: a queue's
        visibility timeout must cover it. None: not bounded by the kind."""
        return None

    def mount(self, node: ServiceNode, ctx: ServiceContext) -> Mount | None:
        """A shared file system that a network caller mounts: what mounting it takes. None
        for every kind that is not one."""
        return None

    def inbound_port(self) -> int | None:
        """The port a network connection (or a load balancer) reaches on this service."""
        return self.info.port

    def health_check_path(self) -> str:
        """The HTTP path a load balancer probes ("lb-target")."""
        return "/"

    def target_type(self) -> str:
        """How a load balancer registers this service ("lb-target"): "instance", "ip" or "lambda"."""
        return "instance"

    def api_integration(self, node: ServiceNode, ctx: ServiceContext, source: ServiceNode) -> dict[str, object]:
        """An API Gateway HTTP API integration body (integration_type, integration_uri...) for API
        ``source`` ("api-target"); adds what the target needs, e.g. a permission to invoke it."""
        raise NotImplementedError

    def hosted_zone(self) -> str | None:
        """The domain of the DNS zone this service is (a Route 53 zone), None for other kinds."""
        return None

    def dns_names(self) -> tuple[str, ...]:
        """Host names this service answers to (custom domains, CloudFront aliases): the names a
        Route 53 zone aliases to it ("alias"); empty when it has none of its own."""
        return ()

    def alarms(self, node: ServiceNode, ctx: ServiceContext) -> list[dict[str, object]]:
        """Alarm specs for a monitoring service ("monitor"): metric_name, namespace, dimensions,
        statistic, threshold, comparison_operator, period, evaluation_periods. Empty: generic metrics."""
        return []

    def deployment_target(self, node: ServiceNode, ctx: ServiceContext) -> dict[str, object]:
        """Deployment group settings for CodeDeploy ("deploy-target"), e.g. {"autoscaling_groups": [...]}."""
        raise NotImplementedError

    def pipeline_stage(self, node: ServiceNode, ctx: ServiceContext, pipeline: ServiceNode) -> dict[str, object]:
        """A CodePipeline stage block acting on this service ("pipeline-stage")."""
        raise NotImplementedError
