"""Databases: RDS, Aurora, DynamoDB, ElastiCache."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from modules.base import Facts, KindInfo, Problem, Service

if TYPE_CHECKING:
    from compiler.ir import ServiceNode
    from compiler.terraform.context import ServiceContext

ENGINE_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306}


class RdsDatabase(Service):
    """An RDS instance in isolated subnets: encrypted, backed up, password managed by AWS."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon RDS",
        family="database",
        summary="A managed relational database (PostgreSQL, MySQL or MariaDB) with backups and failover.",
        icon="aws.database.RDS",
        placement="isolated",
        port=5432,
    )

    kind: Literal["rds"]
    engine: Literal["postgres", "mysql", "mariadb"] = "postgres"
    engine_version: str = Field("16", description="Major (or exact) engine version.")
    instance_class: str = Field("db.t4g.medium", description="Instance class, e.g. db.m7g.large.")
    storage_gb: int = Field(20, ge=20, le=65536, description="Allocated storage in GiB.")
    max_storage_gb: int | None = Field(100, ge=20, le=65536, description="Storage autoscaling ceiling (none: off).")
    multi_az: bool = Field(True, description="A synchronous standby in a second AZ.")
    read_replicas: int = Field(0, ge=0, le=15, description="Read replicas (asynchronous).")
    backup_retention_days: int = Field(7, ge=1, le=35)
    database_name: str = Field("app", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
    username: str = Field("app_admin", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,15}$", description="Master user; its password is generated and kept in Secrets Manager.")
    deletion_protection: bool = True

    def inbound_port(self) -> int:
        """The engine's port."""
        return ENGINE_PORTS[self.engine]

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
                "engine_version": self.engine_version,
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
                "performance_insights_enabled": True,
                "monitoring_interval": 0,
                "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"] if self.engine == "postgres" else ["error", "general", "slowquery"],
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
                    "performance_insights_enabled": True,
                    "tags": ctx.tags(f"replica-{i}"),
                },
            )
        ctx.output("endpoint", primary.attr("address"), f"Hostname of the {node.id} database.")
        ctx.output("secret_arn", primary.attr("master_user_secret[0].secret_arn"), "Secrets Manager secret holding the master password.")
