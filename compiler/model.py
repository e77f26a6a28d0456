"""Stage 2: the input model, as the architect writes it (pydantic, no unknown keys).

This is the YAML format. It stays close to what the user typed; everything derived
(subnet CIDRs, inferred ports, wiring) happens in :mod:`compiler.resolve`. Service
kinds come from the catalog in :mod:`modules`, as one discriminated union on ``kind``.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from modules import catalog, kind_class
from modules.base import Email, Service

Tier = Literal["public", "private", "isolated"]
NoteTitle = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
NoteText = Annotated[str, Field(min_length=1, pattern=r"\S")]


class Strict(BaseModel):
    """Every input model refuses unknown keys: a misspelling is an error, never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)


class NetworkSpec(Strict):
    """The VPC: address range, availability zones, subnet tiers and NAT."""

    cidr: str = Field("10.0.0.0/16", description="VPC address range.", examples=["10.0.0.0/16"])
    azs: int | list[str] = Field(2, description="How many availability zones, or which ones (e.g. [eu-west-3a, eu-west-3b]).", examples=[2])
    subnets: dict[Tier, int | list[str]] | None = Field(
        None,
        description="Subnet tiers: a prefix length per tier (24 for /24), or one CIDR per AZ. "
        "Default: public, private and isolated, sized to fit.",
        examples=[{"public": 24, "private": 20, "isolated": 24}],
    )
    nat: Literal["none", "single", "per-az"] = Field(
        "single", description="NAT gateways for private subnets: none, a single one, or one per AZ."
    )
    flow_logs: bool | str = Field(
        True, description="VPC flow logs: true (CloudWatch Logs), false (say why under reasons), or the name of an S3 bucket service."
    )
    reasons: dict[Literal["flow_logs"], str] = Field(
        default_factory=dict,
        description="Why a setting relaxes a secure default: {flow_logs: '...'} with flow_logs: false (required then); "
        "recorded in the docs' decisions and the checkov baseline.",
        examples=[{"flow_logs": "a short-lived test network; no traffic to audit"}],
    )


_SERVICES_DOC = "Services by name; each has a 'kind'."
_LAYERS_DOC = "Layers, in display order."


class LayerSpec(Strict):
    """A layer of the architecture and the services in it."""

    name: str = Field(description="Short name, e.g. 'data'.", examples=["data"])
    title: str | None = Field(None, description="Display title, e.g. 'Data layer'.")
    description: str = Field("", description="What the layer does, shown on its docs page.")
    # Narrowed by spec_class() to the union of the kinds a model uses.
    services: dict[str, Service] = Field(default_factory=dict, description=_SERVICES_DOC)


class ConnectionSpec(Strict):
    """A connection: 'from' calls or sends to 'to'. Shorthand: '- web -> db' or '- web -> db: label'."""

    source: str = Field(alias="from", description="The calling service.")
    to: str = Field(description="The service it reaches.")
    port: int | None = Field(
        None, ge=1, le=65535, description="Network port: the one the target listens on (inferred); only where a connection reaches a port."
    )
    protocol: Literal["tcp", "udp"] | None = Field(None, description="Network protocol: the target's (inferred).")
    access: str | None = Field(None, description="API access level (read, write, send, invoke...); inferred.")
    path: str | None = Field(
        None,
        description="HTTP path an alb, api-gateway or cloudfront routes to the target, e.g. '/api/*'; "
        "from s3, the key prefix it notifies of; from an ec2 or asg to an efs file system, the directory it is "
        "mounted at (default /mnt/<file system>).",
    )
    label: str | None = Field(None, description="What flows, shown on the edge.")
    step: int | None = Field(None, ge=1, description="Position in the request path (data-flow view).")
    usage: dict[Literal["requests"], Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict,
        description="What flows along this connection per month, for `archc cost` (default: the caller's requests).",
        examples=[{"requests": 2000000}],
    )


class BackendSpec(Strict):
    """Terraform state: local (default) or an S3 bucket with locking."""

    type: Literal["local", "s3"] = "local"
    bucket: str | None = None
    key: str | None = None
    region: str | None = None
    lock_table: str | None = Field(None, description="DynamoDB table for locking; default: S3 native lock file.")


class AccountSpec(Strict):
    """The AWS account the architecture is deployed into, as far as its cost depends on it."""

    free_tier: Literal["none", "legacy", "credits"] = Field(
        "none",
        description="The account's free-tier offer (AWS changed it on 2025-07-15): legacy (opened before, first 12 months: "
        "12-month allowances), credits (opened since, on the free plan: credits), none (older accounts: always-free allowances only).",
    )


class BudgetSpec(Strict):
    """A monthly AWS Budgets budget on the account's cost, alerting by e-mail at 80% and 100%."""

    monthly: float = Field(gt=0, le=1_000_000_000, description="The budget, in USD per month.", examples=[50])
    emails: list[Email] = Field(min_length=1, max_length=10, description="Who is alerted (AWS Budgets allows 10 addresses).")


class TerraformSpec(Strict):
    """Terraform generation settings."""

    backend: BackendSpec = Field(default_factory=BackendSpec)


class ArchitectureSpec(Strict):
    """An AWS architecture: the top level of a model file."""

    name: str = Field(description="Short name: lowercase letters, digits and dashes.", examples=["travel-booking"])
    title: str | None = Field(None, description="Display title.")
    description: str = Field("", description="The architecture's purpose, shown at the top of its docs.")
    notes: dict[NoteTitle, NoteText] = Field(
        default_factory=dict,
        description="Further sections of the docs' index page, by title, in the order written: considerations "
        "(availability, scalability, security, cost), problems met, lessons learned, where the model differs from its source.",
        examples=[{"High availability": "Deployment across multiple availability zones.", "Cost": "Efficient use of resources."}],
    )
    region: str = Field(description="AWS region.", examples=["eu-west-3"])
    tags: dict[str, str] = Field(default_factory=dict, description="Tags on every resource.")
    network: NetworkSpec | Literal["none"] = Field(
        default_factory=NetworkSpec,
        description="The VPC (default: one, with the settings below), or none: no VPC, subnets, NAT gateway, endpoints "
        "or flow logs, for a model whose services all run outside a VPC (functions, APIs, tables, queues...); a kind "
        "that runs in subnets is then refused.",
    )
    layers: list[LayerSpec] = Field(min_length=1, description=_LAYERS_DOC)
    connections: list[ConnectionSpec] = Field(default_factory=list)
    terraform: TerraformSpec = Field(default_factory=TerraformSpec)
    account: AccountSpec = Field(default_factory=AccountSpec)
    stacks: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Terraform stacks, by name, each the layers it holds, in dependency-free groups runners plan in parallel "
        "(default: one stack). A connection across stacks becomes an output of the producer and a terraform_remote_state "
        "read in the consumer; what the whole architecture shares (network, key) goes to a stack named 'shared'.",
        examples=[{"data": ["data"], "app": ["frontend", "backend"]}],
    )
    environments: dict[str, dict[str, Any] | None] = Field(
        default_factory=dict,
        description="Named environments (dev, staging, prod), each an overlay deep-merged on this model: mappings merge, "
        "other values replace, null removes; layers and services by name, e.g. {prod: {region: eu-central-1, layers: "
        "{data: {services: {db: {multi_az: true}}}}}}. Each deploys as '<name>-<env>', tagged environment: <env>; "
        "`archc build` builds each into DIR/<env>/ (compiler/environments.py).",
        examples=[{"dev": None, "prod": {"region": "eu-central-1"}}],
    )
    budget: BudgetSpec | None = Field(
        None,
        description="A monthly budget on the whole account's cost (AWS Budgets), alerting at 80% and 100% of it, "
        "actual and forecast; `archc cost` warns when the estimate exceeds it.",
    )


@functools.cache
def spec_class(kinds: frozenset[str] | None = None) -> type[ArchitectureSpec]:
    """ArchitectureSpec whose services are one discriminated union (on ``kind``) of
    ``kinds`` (None: every kind of the catalog).

    Validation builds pydantic schemas only for the kinds a model uses: most of
    `archc validate`'s time is building them. Unknown kinds still get "did you
    mean" from the full list of kind names (``modules.KINDS``).
    """
    classes = tuple(kind_class(k) for k in sorted(kinds)) if kinds else tuple(catalog().values())
    union = Annotated[Union[classes], Field(discriminator="kind")]  # type: ignore[valid-type]  # noqa: UP007
    layer = create_model(
        "LayerSpec",
        __base__=LayerSpec,
        __doc__=LayerSpec.__doc__,
        services=(dict[str, union], Field(default_factory=dict, description=_SERVICES_DOC)),
    )
    return create_model(
        "ArchitectureSpec",
        __base__=ArchitectureSpec,
        __doc__=ArchitectureSpec.__doc__,
        layers=(list[layer], Field(min_length=1, description=_LAYERS_DOC)),
    )


SCHEMA_PATH = "compiler/archc.schema.json"  # the committed copy, repository-relative (docs/reference.py)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of model files, for editors (``archc schema``)."""
    schema = spec_class().model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "archc architecture model"
    for kind, cls in catalog().items():  # an editor's hover on `kind:` says what the kind is
        definition = schema["$defs"].get(cls.__name__)
        if definition is not None and definition["properties"]["kind"].get("const") == kind:
            definition["properties"]["kind"]["description"] = f"{cls.info.title}: {cls.info.summary}"
    return schema
