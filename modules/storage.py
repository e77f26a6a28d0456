"""Storage: S3 buckets and EFS file systems."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from modules import support
from modules.base import LOG_DELIVERY, BucketUse, Decision, Facts, KindInfo, Mount, Problem, Service, bucket_uses_of

if TYPE_CHECKING:
    from compiler.ir import Edge, ServiceNode
    from compiler.terraform.context import Ref, ServiceContext

Encryption = Literal["kms-aws-managed", "kms-customer", "sse-s3"]
KEY_USE = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
# checkov checks a public website fails by design: public policies allowed and not restricted
# (CKV_AWS_54, CKV_AWS_56, CKV2_AWS_6), SSE-S3 where anonymous readers cannot use KMS (CKV_AWS_145).
PUBLIC_WEBSITE_CHECKS = ("CKV_AWS_54", "CKV_AWS_56", "CKV2_AWS_6", "CKV_AWS_145")


# S3 Glacier Flexible Retrieval (storage class GLACIER, where archive_days moves objects)
# bills an object for at least this many days, however early it is deleted.
GLACIER_MINIMUM_DAYS = 90


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
    expire_days: int | None = Field(
        None,
        ge=1,
        le=36500,
        description="Delete objects after this many days (none: keep); with archive_days, at least 90 days after it "
        "(Glacier's minimum storage duration).",
    )
    archive_days: int | None = Field(None, ge=1, le=36500, description="Move objects to Glacier after this many days.")
    force_destroy: bool = Field(False, description="Let terraform destroy a non-empty bucket.")
    encryption: Encryption | None = Field(
        None,
        description="Server-side encryption: kms-aws-managed (SSE-KMS under the AWS managed key aws/s3), kms-customer "
        "(SSE-KMS under a key of the bucket's own, whose key policy lets in the AWS services that use the bucket), "
        "sse-s3 (S3 managed keys). Default: kms-aws-managed; kms-customer when CloudFront reads the bucket or log delivery "
        "writes into it (the AWS managed key cannot grant them); sse-s3 when an ALB delivers its access logs here or the "
        "bucket is a public website.",
    )
    public: bool = Field(
        False,
        description="Publish the bucket as an S3 static website open to anyone (purpose: website only): website "
        "configuration (index.html), public read of its objects, SSE-S3; served over HTTP only by the website endpoint "
        "(output url). Relaxes the blocked public access: say why under reasons. The private alternative: a cloudfront "
        "service connected to the bucket (HTTPS, origin access control).",
    )

    def check(self, facts: Facts) -> list[Problem]:
        """A website bucket is served (CloudFront or public), a public one is a website; the encryption
        the model asks for suits every AWS service that uses the bucket; objects expire after they are
        archived, and stay archived the archive's minimum."""
        problems: dict[str, Problem] = {}
        for problem in self._website_problems(facts):
            problems.setdefault(problem.message, problem)
        for use in facts.bucket_uses if self.encryption else ():
            fits = ("sse-s3",) if use.key_principal is None else ("kms-customer", "sse-s3")
            if self.encryption not in fits:
                message = f"encryption: {self.encryption} does not work for this bucket: {use.who}; use {' or '.join(fits)}"
                problems.setdefault(message, Problem("conflict", message + " (or leave encryption out)", "encryption"))
        lifecycle = self._lifecycle_problem()
        return [*problems.values(), *([lifecycle] if lifecycle else [])]

    def _lifecycle_problem(self) -> Problem | None:
        """S3 applies permanent deletion before a transition due the same day or later
        (S3 user guide, "How Amazon S3 handles conflicts in lifecycle configurations"), and
        bills an object deleted from S3 Glacier Flexible Retrieval for its minimum storage
        duration, 90 days (S3 user guide, storage classes)."""
        if not (self.archive_days and self.expire_days):
            return None
        if self.expire_days <= self.archive_days:
            return Problem(
                "conflict",
                f"expire_days ({self.expire_days}) is not after archive_days ({self.archive_days}): S3 deletes the objects "
                f"before it would archive them; set expire_days above {self.archive_days}, or drop archive_days",
                "expire_days",
            )
        if self.expire_days - self.archive_days < GLACIER_MINIMUM_DAYS:
            return Problem(
                "conflict",
                f"objects archived to Glacier on day {self.archive_days} would be deleted on day {self.expire_days}, before "
                f"Glacier's minimum storage duration ({GLACIER_MINIMUM_DAYS} days), which S3 bills anyway; set expire_days "
                f"to {self.archive_days + GLACIER_MINIMUM_DAYS} or more, or drop archive_days",
                "expire_days",
            )
        return None

    def _website_problems(self, facts: Facts) -> list[Problem]:
        """``purpose: website`` needs someone to serve it: a distribution in front, or ``public: true``."""
        cdns = [source for source, via in facts.inbound_vias if via == "origin"]
        if self.public and self.purpose != "website":
            message = f"public: true publishes an S3 website, but purpose is {self.purpose}: set purpose: website"
            return [Problem("conflict", message, "public")]
        if self.public and cdns:
            message = (
                f"public: true opens the bucket to anyone, but cloudfront '{cdns[0]}' already serves it through an origin access "
                "control (HTTPS, bucket private): remove public"
            )
            return [Problem("conflict", message, "public")]
        if self.purpose == "website" and not self.public and not cdns:
            message = (
                "purpose: website serves nothing: the bucket is private and no cloudfront service reads it; connect a cloudfront "
                "service to it (HTTPS, origin access control), or set public: true with reasons: {public: ...} (an S3 website "
                "endpoint: HTTP only, objects readable by anyone)"
            )
            return [Problem("missing", message, "purpose")]
        return []

    def bucket_uses(self, me: str, bucket: str, vias: tuple[str, ...]) -> tuple[BucketUse, ...]:
        """A public website's own endpoint serves anonymous visitors, who cannot use a KMS key."""
        if me == bucket and self.public:
            return (BucketUse("its S3 website endpoint serves objects to anonymous visitors, who cannot decrypt SSE-KMS", None),)
        return ()

    def encryption_for(self, uses: tuple[BucketUse, ...]) -> Encryption:
        """The model's choice, else the first that every AWS service using the bucket can work with."""
        if self.encryption:
            return self.encryption
        if any(use.key_principal is None for use in uses):
            return "sse-s3"
        return "kms-customer" if uses else "kms-aws-managed"

    def _uses(self, node: ServiceNode, ctx: ServiceContext) -> tuple[BucketUse, ...]:
        services = ((sid, other.spec) for sid, other in ctx.arch.services.items())
        connections = ((e.source, e.target, e.via) for e in ctx.arch.edges)
        flow_logs = ctx.arch.network.flow_logs
        return bucket_uses_of(node.id, services, connections, flow_logs if flow_logs != "cloudwatch" else None)

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
        # One notification resource serves every target: each connection is its own block.
        ctx.stack.realize("trigger", note, f"{kind} '{entry['id']}'")

    def relaxations(self) -> list[Decision]:
        """Unversioned buckets relax versioning; asking for SSE-S3 relaxes KMS; a public website
        relaxes the public access block (and KMS, which anonymous readers cannot use)."""
        relaxed = [] if self.versioning else [Decision("versioning", "false", "true", "", ("CKV_AWS_21",))]
        if self.encryption == "sse-s3":
            relaxed.append(Decision("encryption", "sse-s3", "SSE-KMS", "", ("CKV_AWS_145",)))
        if self.public:
            relaxed.append(Decision("public", "true", "private, public access blocked", "", PUBLIC_WEBSITE_CHECKS))
        return relaxed

    def after_apply(self, node: ServiceNode) -> tuple[str, ...]:
        """A website bucket starts empty: upload the site, then open its URL."""
        if self.purpose != "website":
            return ()
        public = (
            "Before the first apply: a public website needs a public bucket policy, which S3 refuses (AccessDenied on "
            "PutBucketPolicy) while the account's Block Public Access settings (aws s3control get-public-access-block "
            "--account-id <account>) or an organization policy block public policies. Turn off BlockPublicPolicy and "
            "RestrictPublicBuckets at the account level if your organization allows it, or serve the bucket privately "
            "through a cloudfront service instead (public: false).",
        )
        return (
            *(public if self.public else ()),
            f"Upload the site: aws s3 sync ./dist s3://(output {node.tf_name}_bucket)/ (your build's output folder; "
            "index.html at the top). aws s3 sync sets each object's Content-Type from its file extension.",
            f"Open the site at the URL in output {node.tf_name}_url.",
        )

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
        access_block = ctx.add(
            "aws_s3_bucket_public_access_block",
            "",
            {
                "bucket": bucket.id,
                "block_public_acls": True,
                "block_public_policy": not self.public,  # a public website's policy lets anyone read
                "ignore_public_acls": True,
                "restrict_public_buckets": not self.public,
            },
        )
        ctx.add("aws_s3_bucket_ownership_controls", "", {"bucket": bucket.id, "rule": [{"object_ownership": "BucketOwnerEnforced"}]})
        self._encryption(node, ctx, bucket)
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
        if self.public:
            self._public_website(node, ctx, bucket, access_block)
        elif self.purpose == "website":
            self._site_urls(node, ctx)

    def _public_website(self, node: ServiceNode, ctx: ServiceContext, bucket: Ref, access_block: Ref) -> None:
        """Website configuration, a public-read policy (once the access block allows it), the URL."""
        # index.html for '/' and for every path that is no object: a single-page app's client-side routes.
        website = ctx.add(
            "aws_s3_bucket_website_configuration",
            "",
            {"bucket": bucket.id, "index_document": [{"suffix": "index.html"}], "error_document": [{"key": "index.html"}]},
        )
        statement: dict[str, object] = {
            "sid": "PublicReadWebsite",
            "actions": ["s3:GetObject"],
            "resources": [f"{bucket.arn}/*"],
            "principals": [{"type": "*", "identifiers": ["*"]}],
        }
        policy = bucket_policy_statement(ctx, statement)
        # New buckets block public policies until the access block above is relaxed: put the policy after it.
        depends = ctx.stack.body(policy).setdefault("depends_on", [])
        if access_block.address not in depends:
            depends.append(access_block.address)
        ctx.output("url", f"http://{website.attr('website_endpoint')}", f"URL of the {node.id} website (S3 website endpoint, HTTP only).")

    def _site_urls(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The site's URL at each distribution reading this bucket (the check makes sure there is one)."""
        served = [e for e in ctx.arch.edges if e.target == node.id and e.via == "origin"]
        for edge in served:
            cdn = ctx.arch.services[edge.source]
            domain = ctx.other(cdn.id).stack_ref("aws_cloudfront_distribution").attr("domain_name")
            prefix = (edge.path or "/").rstrip("*")
            name = "url" if len(served) == 1 else f"url_{cdn.tf_name}"
            ctx.output(name, f"https://{domain}{prefix}", f"URL of the {node.id} website, served by cloudfront '{cdn.id}'.")

    def _encryption(self, node: ServiceNode, ctx: ServiceContext, bucket: Ref) -> None:
        """Default encryption as chosen for the bucket's users; for log delivery, the policies it needs."""
        uses = self._uses(node, ctx)
        mode = self.encryption_for(uses)
        rule: dict[str, object] = {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}
        if mode != "sse-s3":
            default: dict[str, object] = {"sse_algorithm": "aws:kms"}
            if mode == "kms-customer":
                default["kms_master_key_id"] = self._key(node, ctx, uses).arn
            rule = {"apply_server_side_encryption_by_default": [default], "bucket_key_enabled": True}
        ctx.add("aws_s3_bucket_server_side_encryption_configuration", "", {"bucket": bucket.id, "rule": [rule]})
        if any(use.key_principal == LOG_DELIVERY for use in uses):
            for statement in _log_delivery_statements(ctx, bucket):
                bucket_policy_statement(ctx, statement)

    def _key(self, node: ServiceNode, ctx: ServiceContext, uses: tuple[BucketUse, ...]) -> Ref:
        """The bucket's own key: usable through S3 by this account (as the AWS managed key is), and by
        log delivery when logs come here; CloudFront distributions add theirs (``origin``)."""
        partition, account_id = support.account(ctx)
        through_s3: dict[str, object] = {
            "sid": "AccountThroughS3",
            "actions": KEY_USE,
            "resources": ["*"],
            "principals": [{"type": "AWS", "identifiers": ["*"]}],
            "condition": [
                {"test": "StringEquals", "variable": "kms:CallerAccount", "values": [account_id]},
                {"test": "StringEquals", "variable": "kms:ViaService", "values": [f"s3.{ctx.arch.region}.amazonaws.com"]},
            ],
        }
        statements: list[dict[str, object]] = [through_s3]
        if any(use.key_principal == LOG_DELIVERY for use in uses):
            statements.append(
                {
                    "sid": "LogDelivery",
                    "actions": KEY_USE,
                    "resources": ["*"],
                    "principals": [{"type": "Service", "identifiers": [LOG_DELIVERY]}],
                    "condition": _log_delivery_source(partition, account_id),
                }
            )
        return support.kms_key(ctx, "", f"archc: objects of the {node.id} bucket", statements)

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
        cloudfront = {
            "principals": [{"type": "Service", "identifiers": ["cloudfront.amazonaws.com"]}],
            "condition": [{"test": "StringEquals", "variable": "AWS:SourceArn", "values": [distribution.arn]}],
        }
        name = "".join(part.title() for part in source.id.split("-"))  # one statement per distribution
        policy = bucket_policy_statement(
            ctx, {"sid": f"CloudFrontReadOnly{name}", "actions": ["s3:GetObject"], "resources": [f"{bucket.arn}/*"], **cloudfront}
        )
        # The policy may predate this connection (log delivery): name the statement as its part.
        ctx.stack.realize("permission", policy, f"statement CloudFrontReadOnly{name}")
        if self.encryption_for(self._uses(node, ctx)) == "kms-customer":  # the distribution decrypts what it reads
            key_policy = Ref("data.aws_iam_policy_document", ctx.tf("key"))
            ctx.stack.body(key_policy)["statement"].append(
                {"sid": f"CloudFrontDecrypt{name}", "actions": ["kms:Decrypt"], "resources": ["*"], **cloudfront}
            )
            ctx.stack.realize("permission", ctx.stack_ref("aws_kms_key"), f"key policy statement CloudFrontDecrypt{name}")
        return {"domain_name": bucket.attr("bucket_regional_domain_name"), "origin_id": node.id, "origin_access_control_id": oac.id}


def bucket_policy_statement(bucket: ServiceContext, statement: dict[str, object]) -> Ref:
    """Add ``statement`` to the policy of an s3 service's bucket (made on first use); returns the policy.

    A bucket has one policy: every service that lets an AWS service in (CloudFront, ELB and
    CloudWatch Logs delivery, CloudTrail) adds to it, where a policy of its own would
    replace the others' on apply. A statement already there (same sid) is not repeated.
    """
    from compiler.terraform.context import Ref  # at run time only: validation needs none of emit

    document, policy = Ref("data.aws_iam_policy_document", bucket.tf("policy")), Ref("aws_s3_bucket_policy", bucket.tf())
    if not bucket.stack.has(document):  # owned by the bucket; traced to the connection that asked first, if any
        bucket.data("aws_iam_policy_document", "policy", {"statement": []})
        bucket.add("aws_s3_bucket_policy", "", {"bucket": bucket.stack_ref("aws_s3_bucket").id, "policy": document.attr("json")})
    statements = bucket.stack.body(document)["statement"]
    if all(s.get("sid") != statement.get("sid") for s in statements):
        statements.append(statement)
    return policy


def _log_delivery_source(partition: str, account_id: str) -> list[dict[str, object]]:
    """Conditions on CloudWatch Logs delivery: this account's log sources (flow logs here, CloudFront's in us-east-1)."""
    return [
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account_id]},
        {"test": "ArnLike", "variable": "aws:SourceArn", "values": [f"arn:{partition}:logs:*:{account_id}:*"]},
    ]


def _log_delivery_statements(ctx: ServiceContext, bucket: Ref) -> list[dict[str, object]]:
    """The bucket policy statements CloudWatch Logs delivery needs (AWS would append them itself
    when the delivery is created, and the next apply would remove them again)."""
    partition, account_id = support.account(ctx)
    delivery = {"principals": [{"type": "Service", "identifiers": [LOG_DELIVERY]}]}
    source = _log_delivery_source(partition, account_id)
    return [
        {
            "sid": "AWSLogDeliveryAclCheck",
            "actions": ["s3:GetBucketAcl", "s3:ListBucket"],
            "resources": [bucket.arn],
            **delivery,
            "condition": source,
        },
        {
            "sid": "AWSLogDeliveryWrite",
            "actions": ["s3:PutObject"],
            "resources": [f"{bucket.arn}/AWSLogs/{account_id}/*"],
            **delivery,
            "condition": [{"test": "StringEquals", "variable": "s3:x-amz-acl", "values": ["bucket-owner-full-control"]}, *source],
        },
    ]


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

    def mount(self, node: ServiceNode, ctx: ServiceContext) -> Mount:
        """Its id and ARN, and the mount targets a client waits for (one per AZ)."""
        fs = ctx.stack_ref("aws_efs_file_system")
        targets = tuple(ctx.stack_ref("aws_efs_mount_target", s.az[-1]).address for s in ctx.arch.network.subnets_of(node.placement))
        return Mount(fs.id, fs.arn, targets)
