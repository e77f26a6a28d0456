"""Management and governance: CloudWatch monitoring, CloudTrail auditing, Systems Manager access."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field

from compiler.errors import did_you_mean
from modules import monitoring, support
from modules.base import Decision, Facts, KindInfo, Problem, RefTo, Service, offered

if TYPE_CHECKING:
    from compiler.ir import Edge, ServiceNode
    from compiler.terraform.context import Ref, ServiceContext

Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")]


class CloudWatch(Service):
    """A dashboard, alarms and an encrypted alarm topic for the services it monitors."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon CloudWatch",
        family="management",
        summary="Metrics, dashboards and alarms: one dashboard for the architecture, alarms on the services it monitors "
        "(its connections, or every service with monitor_all), notifications through an encrypted SNS topic to e-mail "
        "addresses, queues or functions.",
        icon="aws.management.Cloudwatch",
        monitorable=False,  # a monitor is not monitored: cloudwatch -> cloudwatch is refused
        needs="monitor",
    )

    kind: Literal["cloudwatch"]
    alarm_emails: list[Email] = Field(
        default_factory=list,
        description="Addresses notified when an alarm fires or recovers. Each receives nothing until its owner confirms the "
        "subscription from the e-mail AWS sends after apply. Alarms need a subscriber: an address here, a service under "
        "notify, or a reason under reasons: {alarm_emails: ...}.",
    )
    notify: list[Annotated[str, RefTo(("sqs", "lambda"), label="alarms to")]] = Field(
        default_factory=list,
        description="sqs or lambda services the alarm topic also delivers to (one subscription each), e.g. a queue your "
        "on-call tooling reads or a function posting to chat.",
    )
    monitor_all: bool = Field(False, description="Monitor every service of the architecture, not only the ones it connects to.")
    thresholds: dict[str, dict[str, Annotated[int, Field(ge=0)] | Annotated[float, Field(ge=0)]]] = Field(
        default_factory=dict,
        description="Alarm thresholds of your own, by service and metric, in the metric's unit, e.g. {orders-db: "
        "{CPUUtilization: 70}} (percent) or {api: {5xx: 25}} (a count per 5 minutes). A service must be one this monitor "
        "watches and the metric one archc alarms on for it (archc names them when it is not); every other alarm keeps "
        "archc's threshold, shown in its alarm_description.",
        examples=[{"orders-db": {"CPUUtilization": 70, "FreeStorageSpace": 5368709120}}],
    )

    def relaxations(self) -> list[Decision]:
        """Alarms that notify no one (no address, no queue or function) need a reason."""
        if self.alarm_emails or self.notify:
            return []
        return [Decision("alarm_emails", "[] (the alarms notify no one)", "an address, or an sqs or lambda service under notify", "")]

    def after_apply(self, node: ServiceNode) -> tuple[str, ...]:
        """E-mail subscriptions wait for their confirmation."""
        if not self.alarm_emails:
            return ()
        return (
            f"AWS sends each address under alarm_emails ({', '.join(self.alarm_emails)}) a confirmation e-mail: alarms of "
            f"{node.id} reach an address only once its owner follows the link in it (valid for 3 days).",
        )

    def check(self, facts: Facts) -> list[Problem]:
        """A monitor with nothing to monitor is a modelling mistake."""
        if facts.outbound == 0 and not self.monitor_all:
            return [
                Problem(
                    "connection",
                    "cloudwatch monitors nothing: connect it to the services to watch (cloudwatch -> service) or set monitor_all: true",
                )
            ]
        return []

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Alarm topic and dashboard; with ``monitor_all``, every unconnected service too."""
        self._check_threshold_services(node, ctx)
        self._topic(ctx, "")
        title = node.title if node.title != self.info.title else ctx.arch.title
        header = {
            "type": "text",
            "width": 24,
            "height": 2,
            "properties": {"markdown": f"# {title}\n{self.description or ctx.arch.description}"},
        }
        dashboard = ctx.add(
            "aws_cloudwatch_dashboard",
            "",
            {
                "dashboard_name": ctx.physical_name("aws_cloudwatch_dashboard", attribute="dashboard_name"),
                "dashboard_body": monitoring.dashboard_body([header]),
            },
        )
        ctx.output("dashboard", dashboard.attr("dashboard_arn"), f"ARN of the {node.id} dashboard.")
        if self.monitor_all:
            # Connected services are watched by connect(); emit.py emits services in model
            # order, so the ones before this monitor have their resources in the stack.
            connected = {e.target for e in ctx.arch.edges_from(node.id)}
            emitted = True
            for other in ctx.arch.services.values():
                if other.id == node.id:
                    emitted = False
                elif other.id not in connected and "monitor" in offered(other.spec):
                    self._watch(other, ctx, emitted=emitted)

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """Alarms and a dashboard widget for one monitored service."""
        self._watch(target, ctx)

    def _check_threshold_services(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Each service under thresholds is one this monitor watches (its connections, or all with monitor_all)."""
        connected = {e.target for e in ctx.arch.edges_from(node.id)}
        watched = [
            sid
            for sid, other in ctx.arch.services.items()
            if sid in connected or (self.monitor_all and sid != node.id and "monitor" in offered(other.spec))
        ]
        problems: list[tuple[tuple[str, ...], str]] = []
        for sid in self.thresholds:
            if sid in watched:
                continue
            if sid in ctx.arch.services:
                why = f"{node.id} does not watch '{sid}': connect it ({node.id} -> {sid}) or set monitor_all: true"
            else:
                why = f"'{sid}' is not a service {node.id} watches (it watches {', '.join(watched) or 'none'}){did_you_mean(sid, watched)}"
            problems.append((("thresholds", sid), f"thresholds: {why}"))
        if problems:
            monitoring.refuse(ctx, problems)

    def _watch(self, target: ServiceNode, ctx: ServiceContext, *, emitted: bool = True) -> None:
        specs = monitoring.with_thresholds(
            ctx, target, monitoring.specs_for(target, ctx, emitted=emitted), self.thresholds.get(target.id, {})
        )
        if not specs:
            return
        for spec in specs:
            if spec.get("threshold") is not None:
                self._alarm(target, spec, ctx)
        dashboard = ctx.stack_ref("aws_cloudwatch_dashboard")
        body = ctx.stack.body(dashboard)
        widgets = json.loads(body["dashboard_body"])["widgets"]
        widgets.append(monitoring.widget(target, specs, ctx.arch.region))
        body["dashboard_body"] = monitoring.dashboard_body(widgets)
        if ctx.stack.current_edge:  # a connection's part (monitor_all services have none)
            ctx.stack.realize("trigger", dashboard, f"dashboard graph of {target.id}")

    def _alarm(self, target: ServiceNode, spec: dict[str, object], ctx: ServiceContext) -> None:
        provider = str(spec.get("provider", ""))
        suffix, body = monitoring.alarm(target, spec, ctx, self._topic(ctx, provider).arn)
        ctx.add("aws_cloudwatch_metric_alarm", suffix, body, provider=provider)

    def _topic(self, ctx: ServiceContext, provider: str) -> Ref:
        """The alarm topic of a region, created on first use; CloudFront alarms live in us-east-1."""
        suffix = f"alarms_{provider}" if provider else "alarms"
        topic = ctx.stack_ref("aws_sns_topic", suffix)
        if ctx.stack.has(topic):
            return topic
        # Made on first use, perhaps while a connection is compiled: the topic serves them all.
        saved, ctx.stack.current_edge = ctx.stack.current_edge, ""
        try:
            return self._new_topic(ctx, suffix, provider)
        finally:
            ctx.stack.current_edge = saved

    def _new_topic(self, ctx: ServiceContext, suffix: str, provider: str) -> Ref:
        """The encrypted alarm topic and its subscribers (addresses, queues, functions)."""
        # CloudWatch cannot publish to a topic under the AWS managed aws/sns key (its key
        # policy cannot name cloudwatch.amazonaws.com), so the topic gets a key of its own.
        allow: dict[str, object] = {
            "sid": "CloudWatchAlarms",
            "actions": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "resources": ["*"],
            "principals": [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}],
        }
        key = support.kms_key(ctx, suffix, f"archc: {ctx.node.id} alarm notifications", [allow], provider=provider)
        topic = ctx.add(
            "aws_sns_topic",
            suffix,
            {
                "name": ctx.physical_name("aws_sns_topic", support.dashed(suffix)),
                "kms_master_key_id": key.arn,
                "tags": ctx.tags(support.dashed(suffix)),
            },
            provider=provider,
        )
        for i, email in enumerate(self.alarm_emails, 1):
            ctx.add(
                "aws_sns_topic_subscription",
                f"{suffix}_email_{i}",
                {"topic_arn": topic.arn, "protocol": "email", "endpoint": email},
                provider=provider,
            )
        for sid in self.notify:  # a queue or function: its kind lets the topic deliver (queue policy, invoke permission)
            target = ctx.arch.services[sid]
            endpoint = target.spec.subscribe(target, ctx.other(sid), topic.arn)
            ctx.add("aws_sns_topic_subscription", f"{suffix}_to_{target.tf_name}", {"topic_arn": topic.arn, **endpoint}, provider=provider)
        if not provider:
            ctx.output("alarm_topic_arn", topic.arn, f"SNS topic the {ctx.node.id} alarms notify.")
        return topic


class CloudTrail(Service):
    """A multi-region trail: validated, KMS-encrypted log files in S3, streamed to CloudWatch Logs."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS CloudTrail",
        family="management",
        summary="An audit log of every API call in the account: a multi-region trail with integrity validation, "
        "encrypted log files in S3 and a copy in CloudWatch Logs for searching and alerting.",
        icon="aws.management.Cloudtrail",
        # CloudTrail assumes this role to deliver events to CloudWatch Logs.
        principal="cloudtrail.amazonaws.com",
    )

    kind: Literal["cloudtrail"]
    bucket: Annotated[str | None, RefTo(("s3",))] = Field(
        None,
        description="The s3 service receiving the log files (encrypted with the trail's key); the trail adds the statements "
        "CloudTrail needs to the bucket's policy. Default: a dedicated logs bucket.",
    )
    multi_region: bool = Field(True, description="Record API calls in every region, not only the architecture's.")
    s3_data_events: Literal["off", "write", "all"] = Field(
        "off", description="Also record object-level S3 calls (data events, billed per event) on every bucket: writes only, or all."
    )
    archive_days: int = Field(90, ge=1, le=36500, description="Move log files of the dedicated bucket to Glacier after this many days.")

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Key, log group and delivery role, bucket (or policy on the given one), then the trail."""
        name = ctx.physical_name("aws_cloudtrail")
        trail_arn = support.arn(ctx, "cloudtrail", f"trail/{name}")
        log_name = f"/aws/cloudtrail/{name}"
        key = support.kms_key(
            ctx,
            "",
            f"archc: {node.id} CloudTrail log files",
            [*_trail_key_statements(ctx, trail_arn), support.logs_statement(ctx, log_name)],
        )
        logs = support.log_group(ctx, "", log_name, key.arn)
        deliver = support.role_policy(
            ctx,
            "logs",
            ctx.role,
            [
                {
                    "sid": "DeliverToLogGroup",
                    "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "resources": [f"{logs.arn}:log-stream:*"],
                }
            ],
            "cloudtrail-to-logs",
        )
        bucket, policy = self._bucket(ctx, trail_arn)
        trail = ctx.add(
            "aws_cloudtrail",
            "",
            {
                "name": name,
                "s3_bucket_name": bucket.id,
                "is_multi_region_trail": self.multi_region,
                "include_global_service_events": True,
                "enable_log_file_validation": True,
                "enable_logging": True,
                "kms_key_id": key.arn,
                "cloud_watch_logs_group_arn": f"{logs.arn}:*",
                "cloud_watch_logs_role_arn": ctx.role.arn,
                "event_selector": [self._selector(ctx)],
                "tags": ctx.tags(),
                # CloudTrail checks the bucket policy when the trail is created.
                "depends_on": [policy.address, deliver.address],
            },
        )
        ctx.output("trail_arn", trail.arn, f"ARN of the {node.id} trail.")
        ctx.output("log_bucket", bucket.id, f"Bucket receiving the {node.id} log files.")

    def alarms(self, node: ServiceNode, ctx: ServiceContext) -> list[dict[str, object]]:
        """The CIS benchmark's account alarms: metric filters on the trail's log group (added on
        first use), one alarm each as soon as one such call is logged."""
        namespace = f"archc/{ctx.arch.name}/{node.id}"
        specs: list[dict[str, object]] = []
        for metric, (pattern, description) in TRAIL_FILTERS.items():
            suffix = f"filter_{monitoring.slug(metric)}"
            if not ctx.stack.has(ctx.stack_ref("aws_cloudwatch_log_metric_filter", suffix)):
                ctx.add(
                    "aws_cloudwatch_log_metric_filter",
                    suffix,
                    {
                        "name": metric,
                        "log_group_name": ctx.stack_ref("aws_cloudwatch_log_group").attr("name"),
                        "pattern": pattern,
                        "metric_transformation": [{"name": metric, "namespace": namespace, "value": "1", "unit": "Count"}],
                    },
                )
            specs.append(
                {
                    "metric_name": metric,
                    "namespace": namespace,
                    "dimensions": {},
                    "statistic": "Sum",
                    "threshold": 0,
                    "comparison_operator": "GreaterThanThreshold",
                    "period": 300,
                    "evaluation_periods": 1,
                    "description": f"{node.id}: {description}",
                }
            )
        return specs

    def _bucket(self, ctx: ServiceContext, trail_arn: str) -> tuple[Ref, Ref]:
        """The log bucket (given or dedicated) and the bucket policy letting this trail write."""
        bucket = ctx.other(self.bucket).stack_ref("aws_s3_bucket") if self.bucket else None
        bucket = bucket or support.private_bucket(ctx, "", archive_days=self.archive_days)
        _, account_id = support.account(ctx)
        source = [{"test": "StringEquals", "variable": "aws:SourceArn", "values": [trail_arn]}]
        cloudtrail = [{"type": "Service", "identifiers": ["cloudtrail.amazonaws.com"]}]
        # A given bucket's policy may hold several trails' statements.
        name = "".join(part.title() for part in ctx.node.id.split("-")) if self.bucket else ""
        statements: list[dict[str, object]] = [
            {
                "sid": f"CloudTrailAclCheck{name}",
                "actions": ["s3:GetBucketAcl"],
                "resources": [bucket.arn],
                "principals": cloudtrail,
                "condition": source,
            },
            {
                "sid": f"CloudTrailWrite{name}",
                "actions": ["s3:PutObject"],
                "resources": [f"{bucket.arn}/AWSLogs/{account_id}/*"],
                "principals": cloudtrail,
                "condition": [*source, {"test": "StringEquals", "variable": "s3:x-amz-acl", "values": ["bucket-owner-full-control"]}],
            },
            support.deny_insecure_transport(bucket),
        ]
        if self.bucket:  # the s3 service's one policy, shared with the other services it serves
            from modules.storage import bucket_policy_statement  # a family file: imported on use

            policies = [bucket_policy_statement(ctx.other(self.bucket), statement) for statement in statements]
            return bucket, policies[0]
        doc = ctx.data("aws_iam_policy_document", "bucket", {"statement": statements})
        return bucket, ctx.add("aws_s3_bucket_policy", "", {"bucket": bucket.id, "policy": doc.attr("json")})

    def _selector(self, ctx: ServiceContext) -> dict[str, object]:
        selector: dict[str, object] = {"read_write_type": "All", "include_management_events": True}
        if self.s3_data_events != "off":
            partition, _ = support.account(ctx)
            selector["read_write_type"] = "WriteOnly" if self.s3_data_events == "write" else "All"
            selector["data_resource"] = [{"type": "AWS::S3::Object", "values": [f"arn:{partition}:s3"]}]
        return selector


# CloudWatch Logs filter patterns of the CIS AWS Foundations Benchmark's monitoring
# controls (Security Hub CloudWatch.1-5): metric name -> (pattern, what an alarm means).
TRAIL_FILTERS = {
    "RootAccountUsage": (
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
        "the root user made an API call",
    ),
    "UnauthorizedApiCalls": (
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
        "API calls were refused for lack of permission",
    ),
    "ConsoleSignInWithoutMfa": (
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") '
        '&& ($.responseElements.ConsoleLogin = "Success") }',
        "an IAM user signed in to the console without MFA",
    ),
    "TrailChanges": (
        "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
        "($.eventName = StartLogging) || ($.eventName = StopLogging) }",
        "a CloudTrail trail was created, changed, stopped or deleted",
    ),
}


def _trail_key_statements(ctx: ServiceContext, trail_arn: str) -> list[dict[str, object]]:
    """Key policy statements CloudTrail needs: encrypt this trail's files, describe the key."""
    _, account_id = support.account(ctx)
    principal = [{"type": "Service", "identifiers": ["cloudtrail.amazonaws.com"]}]
    source = {"test": "StringEquals", "variable": "aws:SourceArn", "values": [trail_arn]}
    context = {
        "test": "StringLike",
        "variable": "kms:EncryptionContext:aws:cloudtrail:arn",
        "values": [f"arn:*:cloudtrail:*:{account_id}:trail/*"],
    }
    return [
        {
            "sid": "CloudTrailEncrypt",
            "actions": ["kms:GenerateDataKey*"],
            "resources": ["*"],
            "principals": principal,
            "condition": [source, context],
        },
        {
            "sid": "CloudTrailDescribeKey",
            "actions": ["kms:DescribeKey"],
            "resources": ["*"],
            "principals": principal,
            "condition": [source],
        },
    ]


SESSION_ENDPOINTS = ("ssm", "ssmmessages", "ec2messages")
# The account's Session Manager preferences: a fixed document name, one per account and region.
ACCOUNT_PREFERENCES = "SSM-SessionManagerRunShell"


def _session_document_name(ctx: ServiceContext) -> str:
    """A Session document of the service's own; SSM refuses names starting with aws, amazon or amzn."""
    name = ctx.physical_name("aws_ssm_document", "sessions")
    if name.lower().startswith(("aws", "amazon", "amzn")):
        name = ctx.physical_name("aws_ssm_document", "sessions", before="archc-")
    return name


class SessionManager(Service):
    """Systems Manager Session Manager: browser and CLI shells on instances, without SSH or bastions."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS Systems Manager",
        family="management",
        summary="Session Manager: interactive shells on EC2 instances (and ECS Exec) from the console or CLI, "
        "with no inbound SSH, sessions encrypted with KMS and logged to CloudWatch Logs; "
        "VPC endpoints keep the traffic inside the VPC.",
        icon="aws.management.SystemsManager",
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
        placement="private",
        # Instances reach the Session Manager endpoints over HTTPS: a connection
        # instance -> ssm opens that path (security group rules) and grants the session permissions.
        port=443,
    )

    kind: Literal["ssm"]
    endpoints: bool = Field(
        True,
        description="Interface VPC endpoints for ssm, ssmmessages and ec2messages in the private subnets "
        "(false: instances reach Session Manager through NAT).",
    )
    idle_timeout_minutes: int = Field(20, ge=1, le=60, description="End a session after this long without input.")
    max_session_minutes: int = Field(60, ge=1, le=1440, description="End any session after this long.")
    account_preferences: bool = Field(
        False,
        description="Write these preferences into the account's Session Manager preferences (document "
        "SSM-SessionManagerRunShell, one per account and region, used by the console and by sessions started without "
        "--document-name). It often exists already (the console makes it), and apply then fails: import it first, and "
        "say why under reasons. Default: a session document of this service's own.",
    )

    def relaxations(self) -> list[Decision]:
        """Owning an account-wide singleton needs a reason."""
        if not self.account_preferences:
            return []
        return [Decision("account_preferences", "true", f"not created: {ACCOUNT_PREFERENCES} is one per account and region", "")]

    def after_apply(self, node: ServiceNode) -> tuple[str, ...]:
        """The account's preferences, unless this service owns them."""
        if self.account_preferences:
            return (
                f"If the account already had {ACCOUNT_PREFERENCES} in this region (the console creates it), apply fails with "
                f"DocumentAlreadyExists: import it first, terraform import aws_ssm_document.{node.tf_name}_preferences "
                f"{ACCOUNT_PREFERENCES}, then apply.",
            )
        return (
            f"Start sessions with the session document of {node.id}: aws ssm start-session --target (instance id) "
            f"--document-name (output {node.tf_name}_session_document). Its sessions are encrypted with the session key and "
            "logged to the session log group.",
            f"Sessions started from the console, or without --document-name, use the account's preferences ({ACCOUNT_PREFERENCES}, "
            "one per account and region): set them once in Systems Manager, Session Manager, Preferences to the same key "
            f"(output {node.tf_name}_session_key_arn) and log group, or set account_preferences: true so that this stack owns them.",
        )

    def placement(self, reaches_vpc: bool) -> Literal["private", "outside"]:
        """In the private subnets when it has endpoints there."""
        return "private" if self.endpoints else "outside"

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Session preferences (encrypted, logged), endpoints, and session permissions for connected instances."""
        log_name = f"/aws/ssm/{ctx.aws_name('sessions')}"
        key = support.kms_key(ctx, "", f"archc: {node.id} Session Manager sessions", [support.logs_statement(ctx, log_name)])
        logs = support.log_group(ctx, "sessions", log_name, key.arn)
        document = ctx.add(
            "aws_ssm_document",
            "preferences",
            {
                "name": ACCOUNT_PREFERENCES if self.account_preferences else _session_document_name(ctx),
                "document_type": "Session",
                "document_format": "JSON",
                "content": json.dumps(self._preferences(key, logs), sort_keys=True),
                "tags": ctx.tags("preferences"),
            },
        )
        if self.endpoints:
            self._endpoints(ctx)
        for edge in ctx.arch.edges_to(node.id):
            source = ctx.arch.services[edge.source]
            if source.spec.info.principal:
                self._grant(ctx, source, key, logs)
            if not self.endpoints and getattr(source.spec, "egress_https", False) and ctx.arch.network.nat != "none":
                # No endpoints: the instances reach the public Session Manager endpoints over
                # HTTPS through NAT (their own outbound HTTPS rule, added with the instances).
                egress = ctx.other(source.id).stack_ref("aws_vpc_security_group_egress_rule", "https")
                ctx.stack.realize("path", egress, "HTTPS to the public Session Manager endpoints, through NAT", edge=edge.id)
        ctx.output("session_key_arn", key.arn, f"KMS key encrypting {node.id} sessions.")
        ctx.output("session_document", document.attr("name"), f"Session document of {node.id}: aws ssm start-session --document-name.")

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The session encryption key and the session log group."""
        logs = ctx.stack_ref("aws_cloudwatch_log_group", "sessions").arn
        return [ctx.stack_ref("aws_kms_key").arn, logs, f"{logs}:log-stream:*"]

    def _preferences(self, key: Ref, logs: Ref) -> dict[str, object]:
        return {
            "schemaVersion": "1.0",
            "description": "archc: Session Manager preferences (encrypted, logged sessions)",
            "sessionType": "Standard_Stream",
            "inputs": {
                "s3BucketName": "",
                "s3KeyPrefix": "",
                "s3EncryptionEnabled": True,
                "cloudWatchLogGroupName": logs.attr("name"),
                "cloudWatchEncryptionEnabled": True,
                "cloudWatchStreamingEnabled": True,
                "kmsKeyId": key.id,
                "runAsEnabled": False,
                "runAsDefaultUser": "",
                "idleSessionTimeout": str(self.idle_timeout_minutes),
                "maxSessionDuration": str(self.max_session_minutes),
                "shellProfile": {"linux": "", "windows": ""},
            },
        }

    def _endpoints(self, ctx: ServiceContext) -> None:
        # Private DNS makes every resource of the VPC resolve the Session Manager service
        # names to these endpoints, so they must accept HTTPS from the whole VPC, not only
        # from connected services: the one CIDR-based rule archc writes.
        ctx.add(
            "aws_vpc_security_group_ingress_rule",
            "from_vpc",
            {
                "security_group_id": ctx.security_group.id,
                "cidr_ipv4": ctx.arch.network.cidr,
                "from_port": 443,
                "to_port": 443,
                "ip_protocol": "tcp",
                "description": "HTTPS to the Session Manager endpoints from the VPC",
            },
        )
        for service in SESSION_ENDPOINTS:
            ctx.add(
                "aws_vpc_endpoint",
                service,
                {
                    "vpc_id": ctx.vpc_id,
                    "service_name": f"com.amazonaws.{ctx.arch.region}.{service}",
                    "vpc_endpoint_type": "Interface",
                    "private_dns_enabled": True,
                    "subnet_ids": ctx.subnet_ids(),
                    "security_group_ids": [ctx.security_group.id],
                    "tags": ctx.tags(service),
                },
            )

    def _grant(self, ctx: ServiceContext, source: ServiceNode, key: Ref, logs: Ref) -> None:
        """Session permissions on a connected role: the data channels (no resource scoping:
        AWS documents them on "*"), the session key and log group (scoped). The agent's own
        calls (ssm:UpdateInstanceInformation, ec2messages:*) come with the instance kinds'
        AmazonSSMManagedInstanceCore policy; ECS Exec tasks need only the channels."""
        statements: list[dict[str, object]] = [
            {
                "sid": "SessionChannels",
                "actions": [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "resources": ["*"],
            },
            {"sid": "SessionEncryption", "actions": ["kms:Decrypt", "kms:GenerateDataKey"], "resources": [key.arn]},
            {
                "sid": "SessionLogs",
                "actions": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "resources": [logs.arn, f"{logs.arn}:log-stream:*"],
            },
            {"sid": "SessionLogGroups", "actions": ["logs:DescribeLogGroups"], "resources": ["*"]},
        ]
        support.role_policy(ctx, f"session_{source.tf_name}", ctx.other(source.id).role, statements, f"session-{ctx.node.id}")
