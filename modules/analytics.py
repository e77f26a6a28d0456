"""Analytics: Kinesis Data Firehose, Athena, EMR and Kinesis Data Streams."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field

from modules import support, supported
from modules.base import EventSource, Facts, KindInfo, Problem, RefTo, Service, VersionUse

if TYPE_CHECKING:
    from compiler.ir import Edge, ServiceNode
    from compiler.terraform.context import Ref, ServiceContext

S3Service = Annotated[str, RefTo(("s3",))]


def _bucket(ctx: ServiceContext, service_id: str) -> Ref:
    """The bucket of an S3 service named in a setting."""
    return ctx.other(service_id).stack_ref("aws_s3_bucket")


def _policy(ctx: ServiceContext, suffix: str, role: str, statements: list[dict[str, object]]) -> Ref:
    """An inline policy on one of this service's roles, from a policy document data source."""
    doc = ctx.data("aws_iam_policy_document", suffix, {"statement": statements})
    return ctx.add("aws_iam_role_policy", suffix, {"name": suffix.replace("_", "-"), "role": role, "policy": doc.attr("json")})


class FirehoseStream(Service):
    """A Firehose delivery stream: records put to it land, batched and compressed, in an S3 bucket."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon Data Firehose",
        family="analytics",
        summary="Near real-time streaming of records into a data lake in S3, batched, compressed and encrypted.",
        icon="aws.analytics.KinesisDataFirehose",
        access={"write": ("firehose:PutRecord", "firehose:PutRecordBatch")},
        principal="firehose.amazonaws.com",
        needs="network",
        # It writes to its destination bucket and invokes a Lambda processor; nothing else.
        reaches=("lambda", "s3"),
    )

    kind: Literal["firehose"]
    destination: S3Service = Field(
        description="The S3 service records are delivered to. Its write permissions are granted here; "
        "draw the connection (with access: write) to show it in figures."
    )
    prefix: str = Field("data/", pattern=r"^[^{}]*/$", description="Key prefix of delivered objects (a date path is appended).")
    buffer_mb: int = Field(5, ge=1, le=128, description="Deliver when this much data is buffered...")
    buffer_seconds: int = Field(300, ge=0, le=900, description="...or after this many seconds.")
    compression: Literal["GZIP", "Snappy", "ZIP", "HADOOP_SNAPPY", "UNCOMPRESSED"] = "GZIP"

    def check(self, facts: Facts) -> list[Problem]:
        """Firehose calls nothing but its destination bucket and one Lambda processor (``info.reaches``: those kinds)."""
        problems, processor = [], None
        for link in facts.links:
            if not link.outbound:
                continue
            target = f"{facts.service} (firehose) -> {link.other} ({link.settings.kind})"
            if _invokes_function(link.settings, link.access):
                if processor is None:
                    processor = link.other
                    continue
                why = f"a delivery stream transforms records with one Lambda function, and '{processor}' is already its processor"
            elif link.other != self.destination:  # a bucket (info.reaches)
                why = f"a delivery stream writes only to its destination ('{self.destination}'); set destination: {link.other}"
            else:
                continue
            problems.append(Problem("connection", f"{target}: {why}", connection=link.edge))
        return problems

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Log group and stream, the role's delivery permissions, the encrypted delivery stream,
        and the Lambda processor a connection to a function asks for."""
        name = ctx.aws_name(max_len=64)
        logs = ctx.add(
            "aws_cloudwatch_log_group",
            "logs",
            {"name": f"/aws/kinesisfirehose/{name}", "retention_in_days": 365, "tags": ctx.tags("logs")},
        )
        log_stream = ctx.add("aws_cloudwatch_log_stream", "delivery", {"log_group_name": logs.attr("name"), "name": "DestinationDelivery"})
        bucket = _bucket(ctx, self.destination)
        processor = self._processor(node, ctx)
        policy = _policy(
            ctx,
            "delivery",
            ctx.role.id,
            [
                {
                    "sid": "DeliverToBucket",
                    "actions": [
                        "s3:AbortMultipartUpload",
                        "s3:GetBucketLocation",
                        "s3:GetObject",
                        "s3:ListBucket",
                        "s3:ListBucketMultipartUploads",
                        "s3:PutObject",
                    ],
                    "resources": [bucket.arn, f"{bucket.arn}/*"],
                },
                {"sid": "WriteLogs", "actions": ["logs:PutLogEvents"], "resources": [f"{logs.arn}:*"]},
                *self._processor_statements(processor),
            ],
        )
        destination: dict[str, object] = {
            "role_arn": ctx.role.arn,
            "bucket_arn": bucket.arn,
            # Firehose expressions (!{...}), not Terraform ones: objects partitioned by day.
            "prefix": self.prefix + "!{timestamp:yyyy/MM/dd}/",
            "error_output_prefix": "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
            "buffering_size": self.buffer_mb,
            "buffering_interval": self.buffer_seconds,
            "compression_format": self.compression,
            "cloudwatch_logging_options": [
                {"enabled": True, "log_group_name": logs.attr("name"), "log_stream_name": log_stream.attr("name")}
            ],
        }
        if processor:
            # Firehose invokes the function with each buffered batch and delivers what it returns.
            parameter = {"parameter_name": "LambdaArn", "parameter_value": f"{processor[1]}:$LATEST"}
            destination["processing_configuration"] = [{"enabled": True, "processors": [{"type": "Lambda", "parameters": [parameter]}]}]
        stream = ctx.add(
            "aws_kinesis_firehose_delivery_stream",
            "",
            {
                "name": name,
                "destination": "extended_s3",
                "server_side_encryption": [{"enabled": True, "key_type": "CUSTOMER_MANAGED_CMK", "key_arn": support.data_key(ctx)}],
                "extended_s3_configuration": [destination],
                "tags": ctx.tags(),
                # Firehose checks it can write to the bucket as soon as the stream exists.
                "depends_on": [policy.address],
            },
        )
        ctx.output("stream_name", stream.attr("name"), f"Name of the {node.id} delivery stream.")
        if processor:
            edge = processor[0]
            ctx.stack.realize("trigger", stream, f"processing_configuration: Lambda processor {edge.target}", edge=edge.id)
            ctx.stack.realize("permission", policy, "InvokeProcessor", edge=edge.id)

    def _processor(self, node: ServiceNode, ctx: ServiceContext) -> tuple[Edge, str] | None:
        """The connection to the function that transforms the records (check() allows one), and its ARN."""
        for edge in ctx.arch.edges_from(node.id):
            target = ctx.arch.services[edge.target]
            if edge.via == "api" and _invokes_function(target.spec, edge.access):
                return edge, target.spec.arns(target, ctx.other(target.id))[0]
        return None

    @staticmethod
    def _processor_statements(processor: tuple[Edge, str] | None) -> list[dict[str, object]]:
        """Firehose reads the processor's configuration and invokes it under the stream's role
        (any version: the processor is named by a qualified ARN)."""
        if processor is None:
            return []
        arn = processor[1]
        return [
            {
                "sid": "InvokeProcessor",
                "actions": ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction"],
                "resources": [arn, f"{arn}:*"],
            }
        ]

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The delivery stream."""
        return [ctx.stack_ref("aws_kinesis_firehose_delivery_stream").arn]


def _invokes_function(target: Service, access: str | None) -> bool:
    """Whether an API connection with this access invokes a function (a Lambda processor)."""
    return "lambda:InvokeFunction" in target.info.access.get(access or "", ())


ATHENA_QUERY = (
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetWorkGroup",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
    # Reading the catalog: these match only the Glue ARNs among the target's arns().
    "glue:GetDatabase",
    "glue:GetPartitions",
    "glue:GetTable",
    "glue:GetTables",
)


class AthenaWorkgroup(Service):
    """An Athena workgroup whose query results are encrypted in an S3 bucket, with an optional Glue database."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon Athena",
        family="analytics",
        summary="Interactive SQL queries over data in S3, paid per query, with no servers to run.",
        icon="aws.analytics.Athena",
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
        access={"query": ATHENA_QUERY},
    )

    kind: Literal["athena"]
    results: S3Service = Field(
        description="The S3 service query results go to. Callers also need read-write access to it (draw that connection)."
    )
    data: S3Service | None = Field(
        None, description="The S3 service (data lake) the Glue database points at. Callers also need read access to it."
    )
    database: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9_]{0,254}$",
        description="Glue catalog database to create (default when 'data' is set: <architecture>_<service>).",
    )
    scan_limit_gb: int | None = Field(None, ge=1, le=1048576, description="Cancel a query scanning more than this (none: no limit).")

    def _database_name(self, ctx: ServiceContext) -> str | None:
        if self.database or self.data:
            return self.database or f"{ctx.arch.name}_{ctx.node.id}".replace("-", "_")
        return None

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The workgroup (configuration enforced, results SSE-KMS) and the Glue database."""
        # The S3 AWS-managed key: callers need no KMS grants, as with the buckets' default encryption.
        s3_key = ctx.data("aws_kms_alias", "s3", {"name": "alias/aws/s3"})
        configuration: dict[str, object] = {
            "enforce_workgroup_configuration": True,
            "publish_cloudwatch_metrics_enabled": True,
            "result_configuration": [
                {
                    "output_location": f"s3://{_bucket(ctx, self.results).id}/athena/{node.id}/",
                    "encryption_configuration": [{"encryption_option": "SSE_KMS", "kms_key_arn": s3_key.attr("target_key_arn")}],
                }
            ],
        }
        if self.scan_limit_gb:
            configuration["bytes_scanned_cutoff_per_query"] = self.scan_limit_gb * 1024**3
        group = ctx.add(
            "aws_athena_workgroup",
            "",
            {
                "name": ctx.aws_name(max_len=128),
                "state": "ENABLED",
                "force_destroy": False,
                "configuration": [configuration],
                "tags": ctx.tags(),
            },
        )
        name = self._database_name(ctx)
        if name:
            body: dict[str, object] = {"name": name, "description": f"archc: {node.id}"}
            if self.data:
                body["location_uri"] = f"s3://{_bucket(ctx, self.data).id}/"
            ctx.add("aws_glue_catalog_database", "", body)
        ctx.output("workgroup", group.attr("name"), f"Name of the {node.id} Athena workgroup.")

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The workgroup, and the Glue catalog, database and its tables when there is one."""
        arns = [ctx.stack_ref("aws_athena_workgroup").arn]
        name = self._database_name(ctx)
        if name:
            partition, _ = support.account(ctx)
            prefix = f"arn:{partition}:glue:{ctx.arch.region}:{ctx.stack_ref('aws_glue_catalog_database').attr('catalog_id')}"
            arns += [f"{prefix}:catalog", f"{prefix}:database/{name}", f"{prefix}:table/{name}/*"]
        return arns


EmrApplication = Literal[
    "Flink", "Hadoop", "HBase", "HCatalog", "Hive", "Hue", "Iceberg", "JupyterEnterpriseGateway", "Livy",
    "Oozie", "Phoenix", "Pig", "Presto", "Spark", "Sqoop", "Tez", "Trino", "Zeppelin", "ZooKeeper",
]  # fmt: skip
# The v2 EMR managed policies act only on resources carrying this tag.
EMR_TAG = {"for-use-with-amazon-emr-managed-policies": "true"}
EMR_NETWORK_ACTIONS = [
    "ec2:CreateFleet",
    "ec2:CreateLaunchTemplate",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:CreateNetworkInterface",
    "ec2:RunInstances",
]


class EmrCluster(Service):
    """An EMR cluster in a private subnet: encrypted local disks, IMDSv2, scoped service role."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon EMR",
        family="analytics",
        summary="Managed Hadoop, Spark and Flink clusters for batch and stream processing of large data sets.",
        icon="aws.analytics.EMR",
        placement="private",
        # The nodes' instance role: connections from the cluster (e.g. to S3) are granted to it.
        principal="ec2.amazonaws.com",
        needs="network",
    )

    kind: Literal["emr"]
    release: str = Field(supported.default("emr"), pattern=r"^emr-\d+\.\d+\.\d+$", description="EMR release label.")
    applications: tuple[EmrApplication, ...] = Field(
        ("Flink", "Hadoop"), min_length=1, strict=False, description="Applications to install."
    )  # strict=False: a YAML list is this tuple
    instance_type: str = Field("m5.xlarge", pattern=r"^[a-z0-9-]+\.[a-z0-9]+$", description="Instance type of the primary and core nodes.")
    core_count: int = Field(2, ge=1, le=256, description="Core nodes (HDFS and tasks).")
    volume_gb: int = Field(64, ge=32, le=16384, description="gp3 EBS volume per node, encrypted.")
    logs: S3Service | None = Field(None, description="S3 service for cluster logs (encrypted with the cluster's key; none: no S3 logs).")
    idle_timeout_s: int | None = Field(3600, ge=60, le=604800, description="Terminate the cluster after this long idle (none: never).")
    termination_protection: bool | None = Field(
        None,
        description="Refuse API terminations until turned off (default: on for a cluster that never idles out, "
        "off with idle_timeout_s, which it would block).",
    )

    def protected(self) -> bool:
        """Termination protection: as set, else on exactly when nothing terminates the cluster by itself."""
        return self.termination_protection if self.termination_protection is not None else self.idle_timeout_s is None

    def versions(self) -> list[VersionUse]:
        """The release label."""
        return [("emr", self.release, "release")]

    def check(self, facts: Facts) -> list[Problem]:
        """Applications are listed once; an idle timeout cannot end a protected cluster."""
        problems = []
        dupes = sorted({a for a in self.applications if self.applications.count(a) > 1})
        if dupes:
            problems.append(Problem("value", f"application '{dupes[0]}' is listed twice", "applications"))
        if self.termination_protection and self.idle_timeout_s is not None:
            problems.append(
                Problem(
                    "conflict",
                    f"termination_protection: true contradicts idle_timeout_s: {self.idle_timeout_s}: EMR cannot terminate "
                    "a protected cluster when it idles; set idle_timeout_s: null for a long-running protected cluster, "
                    "or drop termination_protection",
                    "termination_protection",
                )
            )
        return problems

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Security groups, roles, KMS key, security configuration and the cluster."""
        groups = {part: self._group(ctx, part) for part in ("master", "core", "service_access")}
        service_role = self._service_role(ctx)
        profile = ctx.add("aws_iam_instance_profile", "", {"name": ctx.aws_name(max_len=128), "role": ctx.role.id, "tags": ctx.tags()})
        key = self._key(ctx, service_role)
        security = ctx.add(
            "aws_emr_security_configuration",
            "",
            {"name": ctx.aws_name(max_len=64), "configuration": json.dumps(self._security(key.arn), sort_keys=True)},
        )
        depends = [
            ctx.stack_ref("aws_iam_role_policy_attachment", "service").address,
            ctx.stack_ref("aws_iam_role_policy", "service").address,
        ]
        ebs = [{"size": self.volume_gb, "type": "gp3", "volumes_per_instance": 1}]
        body: dict[str, object] = {
            "name": ctx.aws_name(max_len=256),
            "release_label": self.release,
            "applications": sorted(self.applications),
            "service_role": service_role.arn,
            "security_configuration": security.attr("name"),
            "termination_protection": self.protected(),
            "keep_job_flow_alive_when_no_steps": True,
            "unhealthy_node_replacement": True,
            "ec2_attributes": [
                {
                    "subnet_id": ctx.subnet_ids()[0],
                    "instance_profile": profile.arn,
                    "emr_managed_master_security_group": groups["master"].id,
                    "emr_managed_slave_security_group": groups["core"].id,
                    "service_access_security_group": groups["service_access"].id,
                    # The framework's group carries the rules of this service's connections, on every node.
                    "additional_master_security_groups": ctx.security_group.id,
                    "additional_slave_security_groups": ctx.security_group.id,
                }
            ],
            "master_instance_group": [{"instance_type": self.instance_type, "instance_count": 1, "ebs_config": ebs}],
            "core_instance_group": [{"instance_type": self.instance_type, "instance_count": self.core_count, "ebs_config": ebs}],
            "tags": {**ctx.tags(), **EMR_TAG},
            # EMR checks the roles' permissions when it creates the cluster.
            "depends_on": depends,
        }
        if self.idle_timeout_s:
            body["auto_termination_policy"] = [{"idle_timeout": self.idle_timeout_s}]
        if self.logs:
            settings, policy = self._logs(ctx, node, key.arn)
            body.update(settings)
            depends.append(policy.address)
        cluster = ctx.add("aws_emr_cluster", "", body)
        ctx.output("cluster_id", cluster.id, f"Id of the {node.id} EMR cluster.")

    def _group(self, ctx: ServiceContext, part: str) -> Ref:
        """An EMR-managed security group: EMR writes its rules, so they go when the group goes."""
        return ctx.add(
            "aws_security_group",
            part,
            {
                "name": ctx.aws_name(part.replace("_", "-"), max_len=255),
                "description": f"archc: {ctx.node.id} EMR-managed {part.replace('_', ' ')} group; EMR maintains its rules",
                "vpc_id": ctx.vpc_id,
                "revoke_rules_on_delete": True,
                "tags": {**ctx.tags(part.replace("_", "-")), **EMR_TAG},
            },
        )

    def _service_role(self, ctx: ServiceContext) -> Ref:
        """The role EMR itself assumes: the v2 managed policy, plus what it cannot know is ours."""
        assume = ctx.data(
            "aws_iam_policy_document",
            "service_assume",
            {
                "statement": [
                    {"actions": ["sts:AssumeRole"], "principals": [{"type": "Service", "identifiers": ["elasticmapreduce.amazonaws.com"]}]}
                ]
            },
        )
        role = ctx.add(
            "aws_iam_role",
            "service",
            {"name": ctx.aws_name("service", max_len=64), "assume_role_policy": assume.attr("json"), "tags": ctx.tags("service")},
        )
        ctx.add(
            "aws_iam_role_policy_attachment",
            "service",
            {"role": role.id, "policy_arn": "arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"},
        )
        # The v2 policy launches only into tagged subnets and groups, and passes only the default
        # instance role: grant exactly our (untagged) subnets, our group and our instance role.
        subnets = [ctx.subnet_ref(s).attr("arn") for s in ctx.arch.network.subnets_of(ctx.node.placement)]
        _policy(
            ctx,
            "service",
            role.id,
            [
                {"sid": "LaunchInOurNetwork", "actions": EMR_NETWORK_ACTIONS, "resources": [*subnets, ctx.security_group.arn]},
                {
                    "sid": "PassInstanceRole",
                    "actions": ["iam:PassRole"],
                    "resources": [ctx.role.arn],
                    "condition": [{"test": "StringLike", "variable": "iam:PassedToService", "values": ["ec2.amazonaws.com*"]}],
                },
            ],
        )
        return role

    def _key(self, ctx: ServiceContext, service_role: Ref) -> Ref:
        """A customer key for local disks, EBS volumes and logs, usable by the cluster's two roles."""
        partition, account = support.account(ctx)  # the architecture's one pair of data sources
        roles = [ctx.role.arn, service_role.arn]
        policy = ctx.data(
            "aws_iam_policy_document",
            "key",
            {
                "statement": [
                    {
                        "sid": "AccountAdministers",
                        "actions": ["kms:*"],
                        "resources": ["*"],
                        "principals": [{"type": "AWS", "identifiers": [f"arn:{partition}:iam::{account}:root"]}],
                    },
                    {
                        "sid": "ClusterUses",
                        "actions": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                        "resources": ["*"],
                        "principals": [{"type": "AWS", "identifiers": roles}],
                    },
                    {
                        "sid": "EbsGrants",
                        "actions": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                        "resources": ["*"],
                        "principals": [{"type": "AWS", "identifiers": roles}],
                        "condition": [{"test": "Bool", "variable": "kms:GrantIsForAWSResource", "values": ["true"]}],
                    },
                ]
            },
        )
        return ctx.add(
            "aws_kms_key",
            "",
            {
                "description": f"archc: {ctx.node.id} EMR disks and logs",
                "enable_key_rotation": True,
                "deletion_window_in_days": 30,
                "policy": policy.attr("json"),
                "tags": ctx.tags(),
            },
        )

    @staticmethod
    def _security(key_arn: str) -> dict[str, object]:
        """Security configuration: encryption at rest (S3, local disks, EBS) and IMDSv2 only."""
        return {
            "EncryptionConfiguration": {
                "EnableAtRestEncryption": True,
                # In-transit encryption needs a certificate bundle the user provides; not set up here.
                "EnableInTransitEncryption": False,
                "AtRestEncryptionConfiguration": {
                    "S3EncryptionConfiguration": {"EncryptionMode": "SSE-KMS", "AwsKmsKey": key_arn},
                    "LocalDiskEncryptionConfiguration": {
                        "EncryptionKeyProviderType": "AwsKms",
                        "AwsKmsKey": key_arn,
                        "EnableEbsEncryption": True,
                    },
                },
            },
            "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": 2, "HttpPutResponseHopLimit": 1},
        }

    def _logs(self, ctx: ServiceContext, node: ServiceNode, key_arn: str) -> tuple[dict[str, object], Ref]:
        """Log delivery to the logs bucket: the nodes may write under their own prefix only."""
        assert self.logs is not None
        bucket = _bucket(ctx, self.logs)
        prefix = f"emr/{node.id}/"
        policy = _policy(
            ctx, "logs", ctx.role.id, [{"sid": "WriteLogs", "actions": ["s3:PutObject"], "resources": [f"{bucket.arn}/{prefix}*"]}]
        )
        return {"log_uri": f"s3://{bucket.id}/{prefix}", "log_encryption_kms_key_id": key_arn}, policy


# --- Kinesis Data Streams ---------------------------------------------------------------
# Actions from the Kinesis Data Streams and Lambda developer guides (a Lambda consumer's
# execution role; producers' PutRecord/PutRecords). Records are encrypted with the
# architecture's data key, so producers also need kms:GenerateDataKey and consumers
# kms:Decrypt on it ("Permissions to use user-generated KMS keys"); Kinesis passes the
# stream's ARN as encryption context, which scopes the grant to this stream.
KINESIS_WRITE = ("kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:PutRecord", "kinesis:PutRecords")
KINESIS_READ = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
    "kinesis:SubscribeToShard",
)


class KinesisStream(Service):
    """A Kinesis data stream, encrypted with the data key, on-demand capacity unless shards are given."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon Kinesis Data Streams",
        family="analytics",
        summary="An ordered, replayable stream of records (clicks, events, telemetry) that several consumers read at their own pace.",
        icon="aws.analytics.KinesisDataStreams",
        access={"write": KINESIS_WRITE, "read": KINESIS_READ},
        needs="consumer",
        aliases=("kinesis-stream", "kinesis-data-streams", "data-stream", "kds"),
    )

    kind: Literal["kinesis"]
    shards: int | None = Field(
        None, ge=1, le=500, description="Provisioned capacity in shards (1 MB/s in, 2 MB/s out each). Unset: on-demand, which scales alone."
    )
    retention_hours: int = Field(24, ge=24, le=8760, description="How long records stay readable (24 hours to 365 days).")
    start_at: Literal["LATEST", "TRIM_HORIZON"] = Field(
        "LATEST", description="Where a new consumer starts: new records only (LATEST) or the oldest kept (TRIM_HORIZON)."
    )
    batch_size: int = Field(100, ge=1, le=10000, description="Records a consumer function receives per call.")
    max_retries: int = Field(
        3, ge=0, le=10000, description="Retries of a failing batch (halved each time) before it goes to the consumer's dead-letter queue."
    )

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The stream under the data key."""
        body: dict[str, object] = {
            "name": ctx.physical_name("aws_kinesis_stream"),
            "retention_period": self.retention_hours,
            "encryption_type": "KMS",
            "kms_key_id": support.data_key(ctx),
            "stream_mode_details": [{"stream_mode": "ON_DEMAND" if self.shards is None else "PROVISIONED"}],
            "tags": ctx.tags(),
        }
        if self.shards is not None:
            body["shard_count"] = self.shards
        stream = ctx.add("aws_kinesis_stream", "", body)
        ctx.output("name", stream.attr("name"), f"Name of the {node.id} stream.")
        ctx.output("arn", stream.arn, f"ARN of the {node.id} stream.")

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The stream."""
        return [ctx.stack_ref("aws_kinesis_stream").arn]

    def _key(self, ctx: ServiceContext, action: str) -> dict[str, object]:
        stream = ctx.stack_ref("aws_kinesis_stream").arn
        context = {"test": "StringEquals", "variable": "kms:EncryptionContext:aws:kinesis:arn", "values": [stream]}
        return {"sid": "archcStreamKey", "actions": [action], "resources": [support.data_key(ctx)], "condition": [context]}

    def api_statements(self, node: ServiceNode, ctx: ServiceContext, access: str) -> list[dict[str, object]]:
        """Producers encrypt records with the data key; readers decrypt them."""
        return [self._key(ctx, "kms:GenerateDataKey" if access == "write" else "kms:Decrypt")]

    def event_source(self, node: ServiceNode, ctx: ServiceContext) -> EventSource:
        """Read and decrypt this stream; a failing batch is split and retried, then described in the dead-letter queue."""
        settings: dict[str, object] = {
            "starting_position": self.start_at,
            "batch_size": self.batch_size,
            "bisect_batch_on_function_error": True,
            "maximum_retry_attempts": self.max_retries,
        }
        arn = ctx.stack_ref("aws_kinesis_stream").arn
        return EventSource(arn, KINESIS_READ, settings, (self._key(ctx, "kms:Decrypt"),), on_failure=True)

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """``target`` consumes this stream ("consumer")."""
        target.spec.consume(target, ctx.other(target.id), self.event_source(ctx.node, ctx))

    def alarms(self, node: ServiceNode, ctx: ServiceContext) -> list[dict[str, object]]:
        """Consumers falling behind: the oldest record waiting more than a minute."""
        dims = {"StreamName": ctx.stack_ref("aws_kinesis_stream").attr("name")}
        return [
            {
                "metric_name": "GetRecords.IteratorAgeMilliseconds",
                "namespace": "AWS/Kinesis",
                "dimensions": dims,
                "statistic": "Maximum",
                "threshold": 60000,
                "comparison_operator": "GreaterThanThreshold",
                "period": 300,
                "evaluation_periods": 1,
            }
        ]
