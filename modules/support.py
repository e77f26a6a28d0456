"""Building blocks shared by the management, devtools and frontend kinds.

Not a family (it defines no kind): account-scoped ARNs, customer managed KMS keys with
the key policy a service needs, log groups with retention, and private log/artifact
buckets. Each helper adds resources owned by the calling service through its context.
"""

from __future__ import annotations

from compiler.terraform import shared
from compiler.terraform.context import Ref, ServiceContext
from compiler.terraform.shared import rds_monitoring_role, shared_key

LOG_RETENTION_DAYS = 365
# Said on the page of every kind whose deletion protection archc turns on by default.
DELETION_PROTECTED = (
    "Before terraform destroy: deletion protection is on (deletion_protection: true), so AWS refuses to delete this "
    "{what} and the destroy stops there. Set deletion_protection: false, build and terraform apply, then destroy."
)


def data_key(ctx: ServiceContext) -> str:
    """ARN of the architecture's shared customer managed key for data at rest."""
    return shared_key(ctx.stack).arn


def rds_monitoring(ctx: ServiceContext, *, insights: bool = True) -> dict[str, object]:
    """Enhanced monitoring every 60 s and (where the class has it) Performance Insights under the shared key."""
    body: dict[str, object] = {"monitoring_interval": 60, "monitoring_role_arn": rds_monitoring_role(ctx.stack).arn}
    body["performance_insights_enabled"] = insights
    if insights:
        body["performance_insights_kms_key_id"] = data_key(ctx)
    return body


def dashed(suffix: str) -> str:
    """A Terraform name suffix as used in physical names and tags: ``to_pipe`` -> ``to-pipe``."""
    return suffix.replace("_", "-")


def account(ctx: ServiceContext) -> tuple[str, str]:
    """``(partition, account_id)`` interpolations: the architecture's one pair of data
    sources (:func:`compiler.terraform.shared.account`)."""
    return shared.account(ctx.stack)


def arn(ctx: ServiceContext, service: str, resource: str, *, region: bool = True) -> str:
    """An ARN in this account: ``arn:<partition>:<service>:<region>:<account>:<resource>``."""
    partition, account_id = account(ctx)
    return f"arn:{partition}:{service}:{ctx.arch.region if region else ''}:{account_id}:{resource}"


def root_statement(ctx: ServiceContext) -> dict[str, object]:
    """The key policy statement that lets the account's IAM policies grant use of the key."""
    partition, account_id = account(ctx)
    return {
        "sid": "AccountIamPolicies",
        "actions": ["kms:*"],
        "resources": ["*"],
        "principals": [{"type": "AWS", "identifiers": [f"arn:{partition}:iam::{account_id}:root"]}],
    }


def logs_statement(ctx: ServiceContext, log_group_name: str) -> dict[str, object]:
    """A key policy statement letting CloudWatch Logs encrypt one log group with the key."""
    return {
        "sid": "CloudWatchLogs",
        "actions": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "resources": ["*"],
        "principals": [{"type": "Service", "identifiers": [f"logs.{ctx.arch.region}.amazonaws.com"]}],
        "condition": [
            {
                "test": "ArnLike",
                "variable": "kms:EncryptionContext:aws:logs:arn",
                "values": [arn(ctx, "logs", f"log-group:{log_group_name}")],
            }
        ],
    }


def kms_key(ctx: ServiceContext, suffix: str, description: str, statements: list[dict[str, object]], *, provider: str = "") -> Ref:
    """A customer managed key with yearly rotation; ``statements`` extend the account statement."""
    policy = ctx.data("aws_iam_policy_document", f"{suffix}_key" if suffix else "key", {"statement": [root_statement(ctx), *statements]})
    key = ctx.add(
        "aws_kms_key",
        suffix,
        {
            "description": description[:8192],
            "enable_key_rotation": True,
            "deletion_window_in_days": 30,
            "policy": policy.attr("json"),
            "tags": ctx.tags(dashed(suffix) or "key"),
        },
        provider=provider,
    )
    ctx.add(
        "aws_kms_alias",
        suffix,
        {"name": ctx.physical_name("aws_kms_alias", dashed(suffix), before="alias/"), "target_key_id": key.id},
        provider=provider,
    )
    return key


def log_group(ctx: ServiceContext, suffix: str, name: str, key_arn: str | None = None) -> Ref:
    """A log group kept :data:`LOG_RETENTION_DAYS` days, encrypted with ``key_arn`` when given."""
    body: dict[str, object] = {"name": name, "retention_in_days": LOG_RETENTION_DAYS, "tags": ctx.tags(dashed(suffix) or "logs")}
    if key_arn:
        body["kms_key_id"] = key_arn
    return ctx.add("aws_cloudwatch_log_group", suffix, body)


def private_bucket(ctx: ServiceContext, suffix: str, *, key_arn: str | None = None, archive_days: int | None = None) -> Ref:
    """A private, KMS-encrypted, versioned bucket with its public access blocked.

    ``key_arn`` None uses the AWS managed ``aws/s3`` key, as the ``s3`` kind does.
    """
    bucket = ctx.add(
        "aws_s3_bucket",
        suffix,
        {
            "bucket_prefix": ctx.physical_name("aws_s3_bucket", dashed(suffix), attribute="bucket_prefix", after="-"),
            "force_destroy": False,
            "tags": ctx.tags(dashed(suffix)),
        },
    )
    ctx.add(
        "aws_s3_bucket_public_access_block",
        suffix,
        {
            "bucket": bucket.id,
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        },
    )
    ctx.add("aws_s3_bucket_ownership_controls", suffix, {"bucket": bucket.id, "rule": [{"object_ownership": "BucketOwnerEnforced"}]})
    default: dict[str, object] = {"sse_algorithm": "aws:kms"}
    if key_arn:
        default["kms_master_key_id"] = key_arn
    ctx.add(
        "aws_s3_bucket_server_side_encryption_configuration",
        suffix,
        {"bucket": bucket.id, "rule": [{"apply_server_side_encryption_by_default": [default], "bucket_key_enabled": True}]},
    )
    ctx.add("aws_s3_bucket_versioning", suffix, {"bucket": bucket.id, "versioning_configuration": [{"status": "Enabled"}]})
    rules: list[dict[str, object]] = [
        {
            "id": "abort-incomplete-uploads",
            "status": "Enabled",
            "filter": [{}],
            "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}],
        }
    ]
    if archive_days:
        rules.insert(
            0, {"id": "archive", "status": "Enabled", "filter": [{}], "transition": [{"days": archive_days, "storage_class": "GLACIER"}]}
        )
    ctx.add("aws_s3_bucket_lifecycle_configuration", suffix, {"bucket": bucket.id, "rule": rules})
    return bucket


def deny_insecure_transport(bucket: Ref) -> dict[str, object]:
    """A bucket policy statement refusing plain HTTP requests."""
    return {
        "sid": "DenyInsecureTransport",
        "effect": "Deny",
        "actions": ["s3:*"],
        "resources": [bucket.arn, f"{bucket.arn}/*"],
        "principals": [{"type": "*", "identifiers": ["*"]}],
        "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}],
    }


def role_policy(ctx: ServiceContext, suffix: str, role: Ref, statements: list[dict[str, object]], name: str) -> Ref:
    """An inline policy (from a policy document data source) on ``role``, owned by this service."""
    doc = ctx.data("aws_iam_policy_document", suffix, {"statement": statements})
    return ctx.add("aws_iam_role_policy", suffix, {"name": name[:128], "role": role.id, "policy": doc.attr("json")})
