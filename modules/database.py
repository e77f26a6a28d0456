"""Databases: RDS, Aurora, DynamoDB, ElastiCache."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from modules import support, supported
from modules.base import Decision, EventSource, Facts, KindInfo, Problem, Service, VersionUse

if TYPE_CHECKING:
    from compiler.ir import Edge, ServiceNode
    from compiler.terraform.context import Ref, ServiceContext

ENGINE_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306}
# Free-text settings end up in Terraform strings: patterns keep "${" out of them.
VERSION = r"^[0-9][0-9A-Za-z._-]*$"
# MySQL-family slow query log, published to CloudWatch: off unless a parameter group turns
# it on, and written to a file only with log_output FILE (RDS and Aurora user guides,
# "Publishing MySQL logs to Amazon CloudWatch Logs").
MYSQL_SLOW_LOG = (
    {"name": "slow_query_log", "value": "1"},
    {"name": "long_query_time", "value": "1"},
    {"name": "log_output", "value": "FILE"},
)


def _major(version: str, two_parts: bool) -> str:
    """The major version a parameter group family names: '16.4' -> '16', '8.0.40' -> '8.0'."""
    return ".".join(version.split(".")[: 2 if two_parts else 1])


class _SqlDatabase(Service):
    """What RDS and Aurora share: backups, the first database and its master user (its
    password kept by AWS in Secrets Manager), deletion protection."""

    backup_retention_days: int = Field(7, ge=1, le=35, description="Days of automated backups (point-in-time recovery).")
    database_name: str = Field("app", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$", description="The database created with it.")
    username: str = Field(
        "app_admin",
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,15}$",
        description="Master user; its password is generated and kept in Secrets Manager.",
    )
    deletion_protection: bool = Field(True, description="Refuse deletion (terraform destroy fails until it is turned off).")

    def after_apply(self, node: ServiceNode) -> tuple[str, ...]:
        """Deletion protection outlives the apply: it must be turned off before a destroy."""
        return (support.DELETION_PROTECTED.format(what="database"),) if self.deletion_protection else ()


class RdsDatabase(_SqlDatabase):
    """An RDS instance in isolated subnets: encrypted, backed up, password managed by AWS."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon RDS",
        family="database",
        summary="A managed relational database (PostgreSQL, MySQL or MariaDB) with backups and failover.",
        icon="aws.database.RDS",
        placement="isolated",
        port=5432,
        aliases=("postgres", "postgresql", "mysql", "mariadb"),
    )

    kind: Literal["rds"]
    engine: Literal["postgres", "mysql", "mariadb"] = "postgres"
    engine_version: str | None = Field(
        None,
        pattern=VERSION,
        description=f"Major (or exact) engine version (default: {supported.default('rds-postgres')} for PostgreSQL, "
        f"{supported.default('rds-mysql')} for MySQL, {supported.default('rds-mariadb')} for MariaDB).",
    )
    instance_class: str = Field("db.t4g.medium", description="Instance class, e.g. db.m7g.large.")
    storage_gb: int = Field(20, ge=20, le=65536, description="Allocated storage in GiB.")
    max_storage_gb: int | None = Field(100, ge=20, le=65536, description="Storage autoscaling ceiling (none: off).")
    multi_az: bool = Field(True, description="A synchronous standby in a second AZ.")
    read_replicas: int = Field(0, ge=0, le=15, description="Read replicas (asynchronous).")

    def inbound_port(self) -> int:
        """The engine's port."""
        return ENGINE_PORTS[self.engine]

    def version(self) -> str:
        """The engine version: the model's, else the table's default for the engine."""
        return self.engine_version or supported.default(f"rds-{self.engine}")

    def versions(self) -> list[VersionUse]:
        """The engine version."""
        return [(f"rds-{self.engine}", self.version(), "engine_version")]

    def _logs(self) -> list[str]:
        # No "general" log for MySQL/MariaDB: it records every statement; nothing turns it on.
        return ["postgresql", "upgrade"] if self.engine == "postgres" else ["error", "slowquery"]

    def _parameters(self, ctx: ServiceContext) -> Ref:
        """The logs the exports publish, turned on: PostgreSQL logs DDL and statements slower
        than a second (and takes TLS only); MySQL and MariaDB keep a slow query log file."""
        if self.engine == "postgres":
            family = f"postgres{_major(self.version(), False)}"
            params = [
                {"name": "log_min_duration_statement", "value": "1000"},
                {"name": "log_statement", "value": "ddl"},
                {"name": "rds.force_ssl", "value": "1"},  # TLS in transit for every client
            ]
        else:
            family, params = f"{self.engine}{_major(self.version(), True)}", list(MYSQL_SLOW_LOG)
        return ctx.add(
            "aws_db_parameter_group",
            "",
            {"name": ctx.aws_name(max_len=255), "family": family, "parameter": params, "tags": ctx.tags()},
        )

    def relaxations(self) -> list[Decision]:
        """A single-AZ instance, or one without deletion protection."""
        out = []
        if not self.multi_az:
            out.append(Decision("multi_az", "false", "true", "", ("CKV_AWS_157",)))
        if not self.deletion_protection:
            out.append(Decision("deletion_protection", "false", "true", "", ("CKV_AWS_293",)))
        return out

    def check(self, facts: Facts) -> list[Problem]:
        """Multi-AZ needs two zones; so does a DB subnet group."""
        if facts.azs < 2:
            return [Problem("conflict", "RDS needs subnets in at least 2 availability zones (set network.azs: 2 or more)", "multi_az")]
        return []

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Subnet group, parameter-free instance with managed password, replicas."""
        group = ctx.add("aws_db_subnet_group", "", {"name": ctx.aws_name(), "subnet_ids": ctx.subnet_ids(), "tags": ctx.tags()})
        primary = ctx.add(
            "aws_db_instance",
            "",
            {
                "identifier": ctx.aws_name(max_len=63),
                "engine": self.engine,
                "engine_version": self.version(),
                "instance_class": self.instance_class,
                "allocated_storage": self.storage_gb,
                **({"max_allocated_storage": self.max_storage_gb} if self.max_storage_gb else {}),
                "storage_type": "gp3",
                "storage_encrypted": True,
                "db_name": self.database_name,
                "username": self.username,
                "manage_master_user_password": True,
                "multi_az": self.multi_az,
                "db_subnet_group_name": group.id,
                "vpc_security_group_ids": [ctx.security_group.id],
                "publicly_accessible": False,
                "backup_retention_period": self.backup_retention_days,
                "deletion_protection": self.deletion_protection,
                "skip_final_snapshot": False,
                "final_snapshot_identifier": ctx.aws_name("final", max_len=63),
                "copy_tags_to_snapshot": True,
                "auto_minor_version_upgrade": True,
                "iam_database_authentication_enabled": True,
                **support.rds_monitoring(ctx),
                "parameter_group_name": self._parameters(ctx).id,
                "enabled_cloudwatch_logs_exports": self._logs(),
                "tags": ctx.tags(),
            },
        )
        for i in range(1, self.read_replicas + 1):
            ctx.add(
                "aws_db_instance",
                f"replica_{i}",
                {
                    "identifier": ctx.aws_name(f"replica-{i}", max_len=63),
                    "replicate_source_db": primary.attr("identifier"),
                    "instance_class": self.instance_class,
                    "storage_encrypted": True,
                    "vpc_security_group_ids": [ctx.security_group.id],
                    "publicly_accessible": False,
                    "skip_final_snapshot": True,
                    "auto_minor_version_upgrade": True,
                    "multi_az": self.multi_az,
                    "deletion_protection": self.deletion_protection,
                    "copy_tags_to_snapshot": True,
                    **support.rds_monitoring(ctx),
                    "enabled_cloudwatch_logs_exports": self._logs(),
                    "tags": ctx.tags(f"replica-{i}"),
                },
            )
        ctx.output("endpoint", primary.attr("address"), f"Hostname of the {node.id} database.")
        ctx.output("secret_arn", primary.attr("master_user_secret[0].secret_arn"), "Secrets Manager secret holding the master password.")


# Aurora engines: port and the logs worth exporting to CloudWatch (default versions: modules/supported.py).
AURORA_PORTS = {"aurora-postgresql": 5432, "aurora-mysql": 3306}
AURORA_LOGS = {"aurora-postgresql": ["postgresql"], "aurora-mysql": ["audit", "error", "slowquery"]}


class AuroraServerless(BaseModel):
    """Aurora Serverless v2 capacity range, in Aurora capacity units (ACU)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_acu: float = Field(0.5, ge=0, le=256, multiple_of=0.5, description="Lowest capacity (0 lets idle instances pause).")
    max_acu: float = Field(4, ge=1, le=256, multiple_of=0.5, description="Highest capacity.")


class AuroraCluster(_SqlDatabase):
    """An Aurora cluster in isolated subnets: a writer and readers spread over the AZs."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon Aurora",
        family="database",
        summary="A MySQL- and PostgreSQL-compatible relational database cluster with a writer, readers and shared storage.",
        icon="aws.database.Aurora",
        placement="isolated",
        port=5432,
    )

    kind: Literal["aurora"]
    engine: Literal["aurora-postgresql", "aurora-mysql"] = "aurora-postgresql"
    engine_version: str | None = Field(
        None,
        pattern=VERSION,
        description=f"Exact engine version to create the cluster with (default: {supported.default('aurora-postgresql')} for PostgreSQL, "
        f"{supported.default('aurora-mysql')} for MySQL); Aurora then applies minor upgrades itself.",
    )
    instances: int = Field(2, ge=1, le=16, description="Instances: one writer, the rest readers, spread across the AZs.")
    instance_class: str = Field(
        "db.t4g.medium", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$", description="Instance class of provisioned instances, e.g. db.r7g.large."
    )
    serverless: AuroraServerless | None = Field(None, description="Run Serverless v2 instances (db.serverless) in this capacity range.")

    def inbound_port(self) -> int:
        """The engine's port."""
        return AURORA_PORTS[self.engine]

    def relaxations(self) -> list[Decision]:
        """A cluster without deletion protection."""
        return [] if self.deletion_protection else [Decision("deletion_protection", "false", "true", "", ("CKV_AWS_139",))]

    def version(self) -> str:
        """The engine version: the model's, else the table's default for the engine."""
        return self.engine_version or supported.default(self.engine)

    def versions(self) -> list[VersionUse]:
        """The engine version (its major version's dates: minors are not in the table)."""
        return [(self.engine, self.version(), "engine_version")]

    def _parameters(self, ctx: ServiceContext) -> Ref:
        """Turns on the logs AURORA_LOGS exports. PostgreSQL: TLS only, DDL and statements
        slower than a second logged. MySQL: Advanced Auditing of connections, DDL and DCL
        (server_audit_*, cluster-level parameters) and the slow query log file; without
        them the audit and slowquery exports publish nothing (Aurora user guide, "Publishing
        Amazon Aurora MySQL logs to Amazon CloudWatch Logs": only the error log is on by default)."""
        if self.engine == "aurora-postgresql":
            family = f"aurora-postgresql{_major(self.version(), False)}"
            params = [
                {"name": "log_min_duration_statement", "value": "1000"},
                {"name": "log_statement", "value": "ddl"},
                {"name": "rds.force_ssl", "value": "1"},
            ]
        else:
            family = f"aurora-mysql{self.version().split('.mysql_aurora')[0]}"
            params = [
                {"name": "server_audit_logging", "value": "1"},
                {"name": "server_audit_events", "value": "CONNECT,QUERY_DCL,QUERY_DDL"},
                *MYSQL_SLOW_LOG,
            ]
        body = {"name": ctx.aws_name(max_len=255), "family": family, "parameter": params, "tags": ctx.tags()}
        return ctx.add("aws_rds_cluster_parameter_group", "", body)

    def check(self, facts: Facts) -> list[Problem]:
        """A DB subnet group needs two zones; serverless instances have no instance class."""
        problems = []
        if facts.azs < 2:
            problems.append(Problem("conflict", "Aurora needs subnets in at least 2 availability zones (set network.azs: 2 or more)"))
        if self.serverless is not None and "instance_class" in self.model_fields_set:
            problems.append(
                Problem("conflict", "'instance_class' does not apply to serverless instances (they are db.serverless)", "instance_class")
            )
        if self.serverless is not None and self.serverless.min_acu > self.serverless.max_acu:
            problems.append(Problem("value", "serverless min_acu must not exceed max_acu", "serverless"))
        return problems

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Subnet group, encrypted cluster with a managed password, instances across AZs."""
        group = ctx.add("aws_db_subnet_group", "", {"name": ctx.aws_name(), "subnet_ids": ctx.subnet_ids(), "tags": ctx.tags()})
        cluster = ctx.add("aws_rds_cluster", "", self._cluster(ctx, group.id))
        azs = ctx.arch.network.azs
        mysql_t = self.engine == "aurora-mysql" and self.instance_class.startswith("db.t")
        for i in range(1, self.instances + 1):
            ctx.add(
                "aws_rds_cluster_instance",
                str(i),
                {
                    "identifier": ctx.aws_name(str(i), max_len=63),
                    "cluster_identifier": cluster.id,
                    "engine": self.engine,
                    "engine_version": cluster.attr("engine_version"),
                    "instance_class": "db.serverless" if self.serverless else self.instance_class,
                    "availability_zone": azs[(i - 1) % len(azs)],
                    "db_subnet_group_name": group.id,
                    "publicly_accessible": False,
                    "auto_minor_version_upgrade": True,
                    "copy_tags_to_snapshot": True,
                    # Aurora MySQL has no Performance Insights on burstable (db.t*) classes.
                    **support.rds_monitoring(ctx, insights=not mysql_t),
                    "tags": ctx.tags(str(i)),
                },
            )
        ctx.output("endpoint", cluster.attr("endpoint"), f"Writer endpoint of the {node.id} cluster.")
        ctx.output("reader_endpoint", cluster.attr("reader_endpoint"), f"Reader endpoint of the {node.id} cluster.")
        ctx.output("secret_arn", cluster.attr("master_user_secret[0].secret_arn"), "Secrets Manager secret holding the master password.")

    def _cluster(self, ctx: ServiceContext, subnet_group: str) -> dict[str, object]:
        body: dict[str, object] = {
            "cluster_identifier": ctx.aws_name(max_len=63),
            "engine": self.engine,
            "engine_mode": "provisioned",
            "engine_version": self.version(),
            "database_name": self.database_name,
            "master_username": self.username,
            "manage_master_user_password": True,
            "port": self.inbound_port(),
            "db_subnet_group_name": subnet_group,
            "vpc_security_group_ids": [ctx.security_group.id],
            "storage_encrypted": True,
            "kms_key_id": support.data_key(ctx),
            "backup_retention_period": self.backup_retention_days,
            "copy_tags_to_snapshot": True,
            "deletion_protection": self.deletion_protection,
            "skip_final_snapshot": False,
            "final_snapshot_identifier": ctx.aws_name("final", max_len=63),
            "iam_database_authentication_enabled": True,
            "enabled_cloudwatch_logs_exports": AURORA_LOGS[self.engine],
            "db_cluster_parameter_group_name": self._parameters(ctx).id,
            "tags": ctx.tags(),
            # The instances upgrade minor versions in the maintenance window
            # (auto_minor_version_upgrade); AWS never downgrades, and the provider forgives only
            # an omitted patch ("3.10" vs "3.10.4"), not a newer minor. Without this, every plan
            # after an upgrade would try to set the old version back and fail. A deliberate
            # version change is an AWS upgrade (in place or blue/green), not a Terraform edit.
            "lifecycle": {"ignore_changes": ["engine_version"]},
        }
        if self.serverless:
            body["serverlessv2_scaling_configuration"] = [
                {"min_capacity": self.serverless.min_acu, "max_capacity": self.serverless.max_acu}
            ]
        return body


DYNAMODB_READ = ("dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan")
DYNAMODB_WRITE = ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
DYNAMODB_STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
DEFAULT_STREAM = "NEW_AND_OLD_IMAGES"
ATTRIBUTE = r"^[A-Za-z0-9_.-]{1,255}$"


class DynamoDbTable(Service):
    """A DynamoDB table: encrypted with KMS, point-in-time recovery, deletion protection."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon DynamoDB",
        family="database",
        summary="A serverless key-value and document database with single-digit millisecond reads and writes at any scale.",
        icon="aws.database.Dynamodb",
        access={"read": DYNAMODB_READ, "write": DYNAMODB_WRITE, "read-write": DYNAMODB_READ + DYNAMODB_WRITE},
        # dynamodb -> lambda: the function consumes the table's change stream.
        needs="consumer",
    )

    kind: Literal["dynamodb"]
    hash_key: str = Field(pattern=ATTRIBUTE, description="Partition key attribute.")
    hash_key_type: Literal["S", "N", "B"] = Field("S", description="Partition key type: S (string), N (number), B (binary).")
    range_key: str | None = Field(None, pattern=ATTRIBUTE, description="Sort key attribute (none: partition key only).")
    range_key_type: Literal["S", "N", "B"] = Field("S", description="Sort key type.")
    billing: Literal["on-demand", "provisioned"] = Field("on-demand", description="Pay per request, or provisioned capacity.")
    read_capacity: int = Field(5, ge=1, le=40000, description="Read capacity units (provisioned billing only).")
    write_capacity: int = Field(5, ge=1, le=40000, description="Write capacity units (provisioned billing only).")
    ttl_attribute: str | None = Field(None, pattern=ATTRIBUTE, description="Attribute holding an expiry epoch time (none: no TTL).")
    stream: Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"] | None = Field(
        None,
        description="Change stream view type: what each change record holds (none: no stream, unless a lambda consumes "
        f"the table, dynamodb -> lambda, which turns it on with {DEFAULT_STREAM}).",
    )
    deletion_protection: bool = True

    def check(self, facts: Facts) -> list[Problem]:
        """Keys must differ; capacities only mean something when provisioned."""
        problems = []
        if self.range_key is not None and self.range_key == self.hash_key:
            problems.append(Problem("conflict", "'range_key' must differ from 'hash_key'", "range_key"))
        if self.billing == "on-demand":
            for name in sorted({"read_capacity", "write_capacity"} & self.model_fields_set):
                problems.append(Problem("conflict", f"'{name}' applies to billing: provisioned; this table is on-demand", name))
        if self.stream and not any(link.outbound and link.via == "consumer" for link in facts.links):
            message = (
                f"stream: {self.stream} records every change for 24 hours, but nothing in the model reads it: connect the "
                f"function that consumes it ({facts.service} -> function), or remove stream"
            )
            problems.append(Problem("connection", message, "stream", severity="warning"))
        return problems

    def _stream(self, node: ServiceNode, ctx: ServiceContext) -> str | None:
        """The stream view type: as set, else the default when a function consumes the table."""
        consumed = any(edge.via == "consumer" for edge in ctx.arch.edges_from(node.id))
        return self.stream or (DEFAULT_STREAM if consumed else None)

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The table with its keys, encryption, recovery, optional TTL and stream."""
        attributes = [{"name": self.hash_key, "type": self.hash_key_type}]
        if self.range_key:
            attributes.append({"name": self.range_key, "type": self.range_key_type})
        body: dict[str, object] = {
            "name": ctx.aws_name(max_len=255),
            "billing_mode": "PAY_PER_REQUEST" if self.billing == "on-demand" else "PROVISIONED",
            "hash_key": self.hash_key,
            **({"range_key": self.range_key} if self.range_key else {}),
            "attribute": attributes,
            # No kms_key_arn: the AWS-managed aws/dynamodb key, so callers need no KMS grants.
            "server_side_encryption": [{"enabled": True}],
            "point_in_time_recovery": [{"enabled": True}],
            "deletion_protection_enabled": self.deletion_protection,
            "tags": ctx.tags(),
        }
        if self.billing == "provisioned":
            body.update({"read_capacity": self.read_capacity, "write_capacity": self.write_capacity})
        if self.ttl_attribute:
            body["ttl"] = [{"attribute_name": self.ttl_attribute, "enabled": True}]
        stream = self._stream(node, ctx)
        if stream:
            body.update({"stream_enabled": True, "stream_view_type": stream})
        table = ctx.add("aws_dynamodb_table", "", body)
        ctx.output("table_name", table.id, f"Name of the {node.id} table.")

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """``target`` consumes the change stream ("consumer")."""
        target.spec.consume(target, ctx.other(target.id), self.event_source(ctx.node, ctx))

    def event_source(self, node: ServiceNode, ctx: ServiceContext) -> EventSource:
        """Read this table's change stream only, from the latest record. A failing batch is split to
        find the bad record and retried 10 times at most (not for the stream's 24 hours, which would
        hold up the shard), then described in the consumer's dead-letter queue."""
        table = ctx.stack_ref("aws_dynamodb_table")
        settings: dict[str, object] = {
            "starting_position": "LATEST",
            "batch_size": 100,
            "bisect_batch_on_function_error": True,
            "maximum_retry_attempts": 10,
        }
        listing: dict[str, object] = {"sid": "ListStreams", "actions": ["dynamodb:ListStreams"], "resources": [f"{table.arn}/stream/*"]}
        return EventSource(table.attr("stream_arn"), DYNAMODB_STREAM_READ, settings, (listing,), on_failure=True)

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The table and its indexes."""
        arn = ctx.stack_ref("aws_dynamodb_table").arn
        return [arn, f"{arn}/index/*"]


class ElastiCacheCluster(Service):
    """A Redis (or Valkey) replication group in isolated subnets, encrypted at rest and in transit."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon ElastiCache",
        family="database",
        summary="An in-memory Redis/Valkey cache for sessions, hot data and queues, with replicas and failover.",
        icon="aws.database.ElastiCache",
        placement="isolated",
        port=6379,
        aliases=("redis", "valkey"),
    )

    kind: Literal["elasticache"]
    engine: Literal["redis", "valkey"] = "redis"
    engine_version: str | None = Field(
        None,
        pattern=VERSION,
        description=f"Engine version (default: {supported.default('elasticache-redis')} for Redis, "
        f"{supported.default('elasticache-valkey')} for Valkey).",
    )
    node_type: str = Field("cache.t4g.small", pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$", description="Node type, e.g. cache.r7g.large.")
    replicas: int = Field(1, ge=0, le=5, description="Read replicas; with 1 or more (and 2 AZs) failover is automatic and Multi-AZ.")
    snapshot_retention_days: int = Field(7, ge=0, le=35, description="Daily snapshots kept (0: none).")

    def relaxations(self) -> list[Decision]:
        """A group without replicas: one node, no automatic failover, no Multi-AZ."""
        return [] if self.replicas else [Decision("replicas", "0", "1", "", ("CKV2_AWS_50",))]

    def version(self) -> str:
        """The engine version: the model's, else the table's default for the engine."""
        return self.engine_version or supported.default(f"elasticache-{self.engine}")

    def versions(self) -> list[VersionUse]:
        """The engine version."""
        return [(f"elasticache-{self.engine}", self.version(), "engine_version")]

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Subnet group, slow-log group, replication group with nodes spread across AZs."""
        group = ctx.add(
            "aws_elasticache_subnet_group",
            "",
            {"name": ctx.aws_name(max_len=255), "description": f"archc: {node.id}", "subnet_ids": ctx.subnet_ids(), "tags": ctx.tags()},
        )
        logs = ctx.add(
            "aws_cloudwatch_log_group",
            "slow_log",
            {"name": f"/aws/elasticache/{ctx.aws_name()}/slow-log", "retention_in_days": 365, "tags": ctx.tags("slow-log")},
        )
        azs = ctx.arch.network.azs
        nodes = 1 + self.replicas
        failover = self.replicas >= 1 and len(azs) >= 2
        cache = ctx.add(
            "aws_elasticache_replication_group",
            "",
            {
                "replication_group_id": ctx.aws_name(max_len=40),
                "description": f"archc: {node.id}",
                "engine": self.engine,
                "engine_version": self.version(),
                "node_type": self.node_type,
                "port": self.info.port,
                "num_cache_clusters": nodes,
                "preferred_cache_cluster_azs": [azs[i % len(azs)] for i in range(nodes)],
                "automatic_failover_enabled": failover,
                "multi_az_enabled": failover,
                "subnet_group_name": group.id,
                "security_group_ids": [ctx.security_group.id],
                "at_rest_encryption_enabled": "true",
                "kms_key_id": support.data_key(ctx),
                # TLS for every client; no AUTH token: a secret would end up in the state and the YAML.
                "transit_encryption_enabled": True,
                "auto_minor_version_upgrade": "true",
                "snapshot_retention_limit": self.snapshot_retention_days,
                **({"final_snapshot_identifier": ctx.aws_name("final", max_len=255)} if self.snapshot_retention_days else {}),
                "log_delivery_configuration": [
                    {"destination": logs.attr("name"), "destination_type": "cloudwatch-logs", "log_format": "json", "log_type": "slow-log"}
                ],
                "tags": ctx.tags(),
            },
        )
        ctx.output("endpoint", cache.attr("primary_endpoint_address"), f"Primary endpoint of the {node.id} cache (TLS).")
