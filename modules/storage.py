"""Storage: S3 buckets and EFS file systems."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from modules import support
from modules.base import Decision, KindInfo, Service

if TYPE_CHECKING:
    from compiler.ir import Edge, ServiceNode
    from compiler.terraform.context import ServiceContext


class S3Bucket(Service):
    """An S3 bucket: private, encrypted, versioned, public access blocked."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon S3",
        family="storage",
        summary="Object storage for static assets, backups, logs and data lakes.",
        icon="aws.storage.SimpleStorageServiceS3Bucket",
        access={
            "read": ("s3:GetObject", "s3:ListBucket"),
            "write": ("s3:PutObject", "s3:AbortMultipartUpload"),
            "read-write": ("s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"),
        },
        offers=("origin",),
        needs="notify",
    )

    kind: Literal["s3"]
    purpose: Literal["general", "assets", "website", "data-lake", "logs", "backups"] = Field(
        "general", description="What the bucket holds; shown in docs, and 'logs' lets AWS log delivery write to it."
    )
    versioning: bool = Field(True, description="Keep previous object versions.")
    expire_days: int | None = Field(None, ge=1, le=36500, description="Delete objects after this many days (none: keep).")
    archive_days: int | None = Field(None, ge=1, le=36500, description="Move objects to Glacier after this many days.")
    force_destroy: bool = Field(False, description="Let terraform destroy a non-empty bucket.")

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """New objects notify ``target`` ("notify"): one notification resource per bucket, a block per target."""
        bucket = ctx.stack_ref("aws_s3_bucket")
        block = dict(target.spec.notification(target, ctx.other(target.id), bucket.arn))
        kind, after = str(block.pop("block")), str(block.pop("after"))
        entry = {"id": f"to-{target.id}", **block, "events": ["s3:ObjectCreated:*"]}
        if edge.path:
            entry["filter_prefix"] = edge.path.lstrip("/").removesuffix("*")
        note = ctx.stack_ref("aws_s3_bucket_notification")
        if not ctx.stack.has(note):
            ctx.add("aws_s3_bucket_notification", "", {"bucket": bucket.id, "depends_on": []})
        body = ctx.stack.body(note)
        body.setdefault(kind, []).append(entry)
        body["depends_on"].append(after)

    def relaxations(self) -> list[Decision]:
        """Unversioned buckets relax versioning."""
        return [] if self.versioning else [Decision("versioning", "false", "true", "", ("CKV_AWS_21",))]

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Bucket plus its encryption, versioning, ownership and public-access block."""
        bucket = ctx.add(
            "aws_s3_bucket",
            "",
            {
                "bucket_prefix": ctx.physical_name("aws_s3_bucket", attribute="bucket_prefix", after="-"),
                "force_destroy": self.force_destroy,
                "tags": ctx.tags(),
            },
        )
        ctx.add(
            "aws_s3_bucket_public_access_block",
            "",
            {
                "bucket": bucket.id,
                "block_public_acls": True,
                "block_public_policy": True,
                "ignore_public_acls": True,
                "restrict_public_buckets": True,
            },
        )
        ctx.add("aws_s3_bucket_ownership_controls", "", {"bucket": bucket.id, "rule": [{"object_ownership": "BucketOwnerEnforced"}]})
        ctx.add(
            "aws_s3_bucket_server_side_encryption_configuration",
            "",
            {
                "bucket": bucket.id,
                "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}], "bucket_key_enabled": True}],
            },
        )
        ctx.add(
            "aws_s3_bucket_versioning",
            "",
            {"bucket": bucket.id, "versioning_configuration": [{"status": "Enabled" if self.versioning else "Suspended"}]},
        )
        rules = []
        if self.archive_days:
            rules.append(
                {
                    "id": "archive",
                    "status": "Enabled",
                    "filter": [{}],
                    "transition": [{"days": self.archive_days, "storage_class": "GLACIER"}],
                }
            )
        if self.expire_days:
            rules.append({"id": "expire", "status": "Enabled", "filter": [{}], "expiration": [{"days": self.expire_days}]})
        rules.append(
            {
                "id": "abort-incomplete-uploads",
                "status": "Enabled",
                "filter": [{}],
                "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}],
            }
        )
        ctx.add("aws_s3_bucket_lifecycle_configuration", "", {"bucket": bucket.id, "rule": rules})
        ctx.output("bucket", bucket.id, f"Name of the {node.id} bucket.")

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The bucket and its objects."""
        arn = ctx.stack_ref("aws_s3_bucket").arn
        return [arn, f"{arn}/*"]

    def origin(self, node: ServiceNode, ctx: ServiceContext, source: ServiceNode) -> dict[str, object]:
        """A private origin: CloudFront reads through an origin access control."""
        from compiler.terraform.context import Ref  # at run time only: validation needs none of emit

        bucket = ctx.stack_ref("aws_s3_bucket")
        oac = ctx.add(
            "aws_cloudfront_origin_access_control",
            f"from_{source.tf_name}",
            {
                "name": ctx.physical_name("aws_cloudfront_origin_access_control", source.id),
                "origin_access_control_origin_type": "s3",
                "signing_behavior": "always",
                "signing_protocol": "sigv4",
            },
        )
        distribution = ctx.other(source.id).stack_ref("aws_cloudfront_distribution")
        statement = {
            # One statement per distribution; a bucket has one policy, so a second
            # distribution adds its statement to the first one's policy document.
            "sid": "CloudFrontReadOnly" + "".join(part.title() for part in source.id.split("-")),
            "actions": ["s3:GetObject"],
            "resources": [f"{bucket.arn}/*"],
            "principals": [{"type": "Service", "identifiers": ["cloudfront.amazonaws.com"]}],
            "condition": [{"test": "StringEquals", "variable": "AWS:SourceArn", "values": [distribution.arn]}],
        }
        document = Ref("data.aws_iam_policy_document", ctx.tf("cloudfront"))
        if ctx.stack.has(document):
            ctx.stack.body(document)["statement"].append(statement)
        else:
            document = ctx.data("aws_iam_policy_document", "cloudfront", {"statement": [statement]})
            ctx.add("aws_s3_bucket_policy", "", {"bucket": bucket.id, "policy": document.attr("json")})
        return {"domain_name": bucket.attr("bucket_regional_domain_name"), "origin_id": node.id, "origin_access_control_id": oac.id}


class EfsFileSystem(Service):
    """An EFS file system with a mount target in each private subnet."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon EFS",
        family="storage",
        summary="A shared NFS file system that many instances mount at once.",
        icon="aws.storage.ElasticFileSystemEFS",
        placement="private",
        port=2049,
    )

    kind: Literal["efs"]
    performance_mode: Literal["generalPurpose", "maxIO"] = "generalPurpose"
    throughput_mode: Literal["bursting", "elastic", "provisioned"] = "elastic"
    archive_days: Literal[None, 7, 14, 30, 60, 90] = Field(30, description="Move files unused this long to Infrequent Access.")

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """File system (encrypted), backups on, one mount target per AZ."""
        body: dict[str, object] = {
            "creation_token": ctx.physical_name("aws_efs_file_system", attribute="creation_token"),
            "encrypted": True,
            "kms_key_id": support.data_key(ctx),
            "performance_mode": self.performance_mode,
            "throughput_mode": self.throughput_mode,
            "tags": ctx.tags(),
        }
        if self.archive_days:
            body["lifecycle_policy"] = [{"transition_to_ia": f"AFTER_{self.archive_days}_DAYS"}]
        fs = ctx.add("aws_efs_file_system", "", body)
        ctx.add("aws_efs_backup_policy", "", {"file_system_id": fs.id, "backup_policy": [{"status": "ENABLED"}]})
        for subnet in ctx.arch.network.subnets_of(node.placement):
            ctx.add(
                "aws_efs_mount_target",
                subnet.az[-1],
                {"file_system_id": fs.id, "subnet_id": ctx.subnet_ref(subnet).id, "security_groups": [ctx.security_group.id]},
            )
        ctx.output("file_system_id", fs.id, f"Id of the {node.id} file system.")
