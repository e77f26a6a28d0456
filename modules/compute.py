"""Compute: EC2 instances, Auto Scaling groups, Lambda functions, Elastic Beanstalk.

Instances share one secure baseline (IMDSv2 only, encrypted gp3 root volume, no public
IP, Session Manager instead of SSH), built in :mod:`modules.compute_kit`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from modules import supported
from modules.base import Capability, EventSource, Facts, KindInfo, Mount, Placement, Problem, Service, VersionUse, is_file_system
from modules.code_zip import code_problem, zip_folder
from modules.compute_kit import (
    ENDPOINTS_FILE,
    HTTP_PATH,
    INSTANCE_TYPE,
    LOG_RETENTION_DAYS,
    MOUNT_PATH,
    NOT_EBS_OPTIMIZABLE,
    SSM_POLICY,
    Environment,
    HttpWorkload,
    alarm,
    ami,
    attach_policies,
    autoscaling_group,
    codedeploy_agent,
    efs_mount,
    endpoint_variable_problems,
    endpoint_variables,
    endpoints_file,
    extra_role,
    https_egress,
    inline_policy,
    instance_profile,
    is_arm64,
    launch_template,
    literal,
    mount_path,
    multipart,
    placeholder_server,
    placeholder_zip,
    ref_name,
    route_dependencies,
    size_problems,
    slot,
    user_data,
)
from modules.network_kit import AcmArn, certificate_problems, lambda_proxy_integration, managed_certificate, served_names
from modules.schedule import Schedule
from modules.support import data_key

if TYPE_CHECKING:
    from compiler.ir import Architecture, Edge, ServiceNode
    from compiler.terraform.context import Ref, ServiceContext

AL2023_AMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
# Mounting a file system over these would break the instance.
SYSTEM_DIRECTORY = r"^/(bin|boot|dev|etc|home|lib|lib64|opt|proc|root|run|sbin|srv|sys|tmp|usr|var)$"
NO_MOUNT = "archc mounts EFS file systems on ec2 and asg instances only"


class _Instances(HttpWorkload):
    """Settings and user data shared by ec2 and asg."""

    instance_type: str = Field(
        "t3.micro", pattern=INSTANCE_TYPE, description="Instance type; Graviton types (t4g, m7g...) get the arm64 AMI."
    )
    volume_gb: int = Field(20, ge=8, le=16384, description="Root volume size in GiB (encrypted gp3).")
    user_data: str | None = Field(
        None,
        description="Boot script (plain text, or cloud-init such as #cloud-config). Default: a placeholder web server "
        "answering the health check when a load balancer targets the service, and the CodeDeploy agent when CodeDeploy "
        "deploys to it. archc's own boot part runs first either way: it writes /etc/archc/endpoints.env and mounts the "
        "EFS file systems the service connects to.",
    )
    egress_https: bool = Field(True, description="Allow outbound HTTPS (Systems Manager, AWS APIs, package repositories) through NAT.")

    def target_type(self) -> str:
        """Load balancers register instances."""
        return "instance"

    def check(self, facts: Facts) -> list[Problem]:
        """Two file systems mounted at one path: the second would hide the first."""
        paths = [p for p in facts.routes if p is not None]
        twice = sorted({p for p in paths if paths.count(p) > 1})
        return [Problem("conflict", f"two connections mount file systems at '{p}'; give each its own path") for p in twice]

    def connection_problems(self, edge: Edge, target: Service) -> list[Problem]:
        """A file system connection's ``path`` is the directory it is mounted at; mounting
        installs amazon-efs-utils from the Amazon Linux repositories over HTTPS."""
        if edge.via != "network" or not is_file_system(target):
            return []
        problems = []
        if edge.path is not None and (not re.match(MOUNT_PATH, edge.path) or "/./" in edge.path + "/" or "/../" in edge.path + "/"):
            problems.append(
                Problem(
                    "value", f"path '{edge.path}' is where the file system is mounted: an absolute directory such as /mnt/shared", "path"
                )
            )
        elif edge.path is not None and re.match(SYSTEM_DIRECTORY, edge.path):
            problems.append(
                Problem("value", f"path '{edge.path}' is a system directory; mount the file system elsewhere, e.g. /mnt/shared", "path")
            )
        if not self.egress_https:
            problems.append(
                Problem(
                    "conflict",
                    "mounting it installs amazon-efs-utils from the Amazon Linux repositories over HTTPS; set egress_https: true",
                )
            )
        return problems

    def _user_data(self, node: ServiceNode, ctx: ServiceContext, holder: Ref) -> tuple[str, list[str]]:
        """The user data attribute (empty: none) and what instances must wait for before they boot.

        archc's part (the endpoints file, the file system mounts) runs first; then the model's
        ``user_data``, else the defaults (placeholder server, CodeDeploy agent). ``holder`` is
        the resource carrying the user data: the mounts and the endpoints file realize their
        connections there.
        """
        variables = endpoint_variables(ctx)
        ours = endpoints_file(variables) if variables else ""
        for edge, name, path in variables:
            ctx.stack.realize("discovery", holder, f"{name}={path} in {ENDPOINTS_FILE}", edge=edge.id)
        values: dict[str, str] = {}
        waits: list[str] = []
        for edge, mount in self._mounts(node, ctx):
            path = mount_path(edge)
            values[edge.target] = mount.file_system_id
            ours += ("" if waits else "dnf install -y amazon-efs-utils\n") + efs_mount(slot(edge.target), path)
            grant = self._mount_permission(ctx, edge, mount)
            waits += [*mount.ready, grant]
            ctx.stack.realize("trigger", holder, f"mount {edge.target} at {path} (TLS, IAM)", edge=edge.id)
        head = "#!/bin/bash\nset -euo pipefail\n"
        if self.user_data is not None:
            script = multipart([("10-archc.sh", head + ours), ("20-user-data", self.user_data)]) if ours else self.user_data
        else:
            vias = {e.via for e in ctx.arch.edges_to(node.id)}
            defaults = [
                "lb-target" in vias and placeholder_server(self.port, self.health_path),
                "deploy-target" in vias and codedeploy_agent(ctx.arch.region),
            ]
            body = ours + "".join(p for p in defaults if p)
            script = head + body if body else ""
        return (user_data(script, values) if script else ""), sorted(set(waits))

    def _mounts(self, node: ServiceNode, ctx: ServiceContext) -> list[tuple[Edge, Mount]]:
        """The file systems this service's connections mount, in model order."""
        found = []
        for edge in ctx.arch.edges_from(node.id):
            target = ctx.arch.services[edge.target]
            mount = target.spec.mount(target, ctx.other(target.id)) if edge.via == "network" else None
            if mount is not None:
                found.append((edge, mount))
        return found

    def _mount_permission(self, ctx: ServiceContext, edge: Edge, mount: Mount) -> str:
        """Mount (read) and write with IAM authorization, on that file system only."""
        suffix = f"mount_{ctx.arch.services[edge.target].tf_name}"
        ref = ctx.stack_ref("aws_iam_role_policy", suffix)
        if ctx.stack.has(ref):  # a second mount of the same file system: the first one's policy
            ctx.stack.realize("permission", ref, edge=edge.id)
            return ref.address
        # Added for the connection (its docs row and its parts), though user data needs it now.
        saved, ctx.stack.current_edge = ctx.stack.current_edge, edge.id
        statement = {"sid": "MountFileSystem", "actions": list(mount.actions), "resources": [mount.arn]}
        ref = inline_policy(ctx, suffix, ctx.role, [statement])
        ctx.stack.current_edge = saved
        return ref.address

    def _baseline(self, ctx: ServiceContext) -> tuple[str, Ref]:
        """The AMI and an instance profile for the service's role (with SSM access)."""
        image = ami(ctx, AL2023_AMI.format(arch="arm64" if is_arm64(self.instance_type) else "x86_64"))
        attach_policies(ctx, ctx.role, SSM_POLICY)
        if self.egress_https:
            https_egress(ctx)
        return image, instance_profile(ctx, ctx.role)


class Ec2Instance(_Instances):
    """EC2 instances spread over the private subnets, managed through Session Manager."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon EC2",
        family="compute",
        summary="Virtual machines in private subnets, administered through Systems Manager instead of SSH.",
        icon="aws.compute.EC2",
        placement="private",
        port=80,
        principal="ec2.amazonaws.com",
        needs="network",
        offers=("lb-target", "deploy-target"),
    )

    kind: Literal["ec2"]
    count: int = Field(1, ge=1, le=50, description="Number of instances, spread round-robin over the AZs.")

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Instances (count) with IMDSv2, encrypted root volume, monitoring, no public IP."""
        image, profile = self._baseline(ctx)
        subnets = ", ".join(f"aws_subnet.{s.tf_name}.id" for s in ctx.arch.network.subnets_of(node.placement))
        body: dict[str, Any] = {
            "count": self.count,
            "ami": image,
            "instance_type": self.instance_type,
            "subnet_id": f"${{element([{subnets}], count.index)}}",
            "vpc_security_group_ids": [ctx.security_group.id],
            "iam_instance_profile": profile.attr("name"),
            "associate_public_ip_address": False,
            "monitoring": True,
            "metadata_options": [{"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1}],
            "root_block_device": [{"volume_size": self.volume_gb, "volume_type": "gp3", "encrypted": True, "delete_on_termination": True}],
            "volume_tags": ctx.tags("volume"),
            "tags": {**ctx.tags(), "Name": ctx.aws_name() + "-${count.index + 1}", "archc:service": node.id},
        }
        if not self.instance_type.startswith(NOT_EBS_OPTIMIZABLE):
            body["ebs_optimized"] = True
        data, waits = self._user_data(node, ctx, ctx.stack_ref("aws_instance"))
        if data:
            body["user_data_base64"] = data
            body["user_data_replace_on_change"] = True
        if waits:  # the boot script mounts file systems: their mount targets and the permission first
            body["depends_on"] = waits
        instances = ctx.add("aws_instance", "", body)
        ctx.output("instance_ids", f"${{{instances.address}[*].id}}", f"Ids of the {node.id} instances (for aws ssm start-session).")

    def attach_target_group(self, node: ServiceNode, ctx: ServiceContext, target_group_arn: str, port: int) -> None:
        """Register every instance on the application's port."""
        ctx.add(
            "aws_lb_target_group_attachment",
            ref_name(target_group_arn),
            {
                "count": self.count,
                "target_group_arn": target_group_arn,
                "target_id": f"${{aws_instance.{node.tf_name}[count.index].id}}",
                "port": port,
            },
        )

    def deployment_target(self, node: ServiceNode, ctx: ServiceContext) -> dict[str, object]:
        """CodeDeploy finds the instances by their archc:service tag."""
        return {"ec2_tag_set": [{"ec2_tag_filter": [{"key": "archc:service", "type": "KEY_AND_VALUE", "value": node.id}]}]}

    def alarms(self, node: ServiceNode, ctx: ServiceContext) -> list[dict[str, object]]:
        """A failed status check on any instance."""
        return [
            alarm("StatusCheckFailed", "AWS/EC2", {"InstanceId": f"${{aws_instance.{node.tf_name}[{i}].id}}"}, 0, "Maximum")
            for i in range(self.count)
        ]


class AutoScalingGroup(_Instances):
    """An Auto Scaling group of instances from a launch template, scaling on CPU."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon EC2 Auto Scaling",
        family="compute",
        summary="A self-healing group of EC2 instances across AZs that grows and shrinks with load.",
        icon="aws.compute.EC2AutoScaling",
        placement="private",
        port=80,
        principal="ec2.amazonaws.com",
        needs="network",
        offers=("lb-target", "deploy-target"),
    )

    kind: Literal["asg"]
    min: int = Field(2, ge=0, le=1000, description="Fewest instances.")
    max: int = Field(4, ge=1, le=1000, description="Most instances.")
    desired: int = Field(2, ge=0, le=1000, description="Instances at creation; scaling moves it afterwards.")
    cpu_target: int = Field(60, ge=10, le=90, description="Average CPU utilisation (%) the group scales to hold.")
    schedule: Schedule | None = Field(
        None,
        description="The hours the group runs, e.g. {hours: 08:00-20:00, days: mon-fri, timezone: Europe/Paris}: outside them "
        "it is scaled to zero (scheduled actions). Default: always.",
    )

    def check(self, facts: Facts) -> list[Problem]:
        """min <= desired <= max; each mount at its own path."""
        return size_problems(self.min, self.desired, self.max) + super().check(facts)

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Launch template, group over all private subnets, target tracking on CPU."""
        image, profile = self._baseline(ctx)
        data, waits = self._user_data(node, ctx, ctx.stack_ref("aws_launch_template"))
        template = launch_template(ctx, image, self.instance_type, profile, "", self.volume_gb)
        if data:  # already base64, or a Terraform base64encode() of a script with the file systems' ids
            ctx.stack.body(template)["user_data"] = data
        group = autoscaling_group(ctx, template, (self.min, self.max, self.desired), {}, scheduled=self.schedule is not None)
        if self.schedule is not None:
            for suffix, body in self.schedule.autoscaling_actions(group.attr("name"), (self.min, self.max, self.desired)).items():
                ctx.add("aws_autoscaling_schedule", f"schedule_{suffix}", body)
        if waits:  # the boot script mounts file systems: their mount targets and the permission first
            body = ctx.stack.body(group)
            body["depends_on"] = sorted({*body.get("depends_on", []), *waits})
        ctx.add(
            "aws_autoscaling_policy",
            "cpu",
            {
                "name": "cpu-target-tracking",
                "autoscaling_group_name": group.attr("name"),
                "policy_type": "TargetTrackingScaling",
                "target_tracking_configuration": [
                    {
                        "predefined_metric_specification": [{"predefined_metric_type": "ASGAverageCPUUtilization"}],
                        "target_value": self.cpu_target,
                    }
                ],
            },
        )
        ctx.output("group_name", group.attr("name"), f"Name of the {node.id} Auto Scaling group.")

    def running_schedule(self, arch: Architecture) -> Schedule | None:
        """Its own schedule."""
        return self.schedule

    def attach_target_group(self, node: ServiceNode, ctx: ServiceContext, target_group_arn: str, port: int) -> None:
        """The group registers the instances it launches."""
        ctx.add(
            "aws_autoscaling_attachment",
            ref_name(target_group_arn),
            {"autoscaling_group_name": ctx.stack_ref("aws_autoscaling_group").attr("name"), "lb_target_group_arn": target_group_arn},
        )

    def deployment_target(self, node: ServiceNode, ctx: ServiceContext) -> dict[str, object]:
        """CodeDeploy deploys to the group (and to instances it launches later)."""
        return {"autoscaling_groups": [ctx.stack_ref("aws_autoscaling_group").attr("name")]}

    def alarms(self, node: ServiceNode, ctx: ServiceContext) -> list[dict[str, object]]:
        """CPU pinned high although the group scales."""
        name = ctx.stack_ref("aws_autoscaling_group").attr("name")
        return [alarm("CPUUtilization", "AWS/EC2", {"AutoScalingGroupName": name}, 90, "Average", percent=True)]


# --- Lambda ---------------------------------------------------------------------------
HANDLER = r"^[A-Za-z0-9_][A-Za-z0-9_/-]*\.[A-Za-z_][A-Za-z0-9_]*$"


class LambdaFunction(Service):
    """A Lambda function with its own log group, X-Ray tracing and a dead-letter queue."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS Lambda",
        family="compute",
        summary="Functions that run on demand (HTTP requests, queue messages, events) without servers to manage.",
        icon="aws.compute.Lambda",
        access={"invoke": ("lambda:InvokeFunction",)},
        principal="lambda.amazonaws.com",
        needs="network",
        offers=("lb-target", "consumer", "subscriber", "api-target", "notify", "event-target"),
    )

    kind: Literal["lambda"]
    runtime: supported.LambdaRuntime = Field(
        supported.LAMBDA_DEFAULT,
        description="Language runtime; archc refuses one AWS has retired and warns 90 days before a deprecation (modules/supported.py).",
    )
    handler: str = Field(
        "index.handler",
        pattern=HANDLER,
        description="Entry point, file.function (e.g. index.handler). Consuming an SQS queue, it reports the messages it failed: "
        'it returns {"batchItemFailures": [{"itemIdentifier": <messageId>}, ...]} (an empty list when all succeeded), and only '
        "those return to the queue (partial batch responses; raising an error returns the whole batch).",
    )
    memory_mb: int = Field(256, ge=128, le=10240, description="Memory in MB (CPU grows with it).")
    timeout_s: int = Field(30, ge=1, le=900, description="Longest run in seconds.")
    architecture: Literal["arm64", "x86_64"] = Field("arm64", description="CPU architecture (arm64: Graviton, cheaper).")
    reserved_concurrency: int | None = Field(None, ge=0, le=10000, description="Cap on concurrent runs (none: the account's pool).")
    environment: Environment = Field(
        default_factory=dict, description="Environment variables (no secrets: read them from Secrets Manager)."
    )
    vpc: bool = Field(
        False, description="Run in the private subnets even without network connections (it joins them anyway to reach VPC services)."
    )
    dead_letter_queue: bool = Field(True, description="Keep events of failed asynchronous runs in an encrypted SQS queue (14 days).")
    egress_https: bool = Field(True, description="In the VPC: allow outbound HTTPS to AWS APIs through NAT.")
    code: str | None = Field(
        None,
        pattern=r"^[^\\:*?\"<>|]+$",
        description="Folder of the function's code, relative to the model file: zipped at build the same way on every "
        "machine (sorted entries, fixed time and permissions), its SHA-256 in the manifest. Unset: a placeholder "
        "handler answering 200, to replace with your code.",
    )

    def check(self, facts: Facts) -> list[Problem]:
        """The code folder exists, holds files, fits Lambda's upload limit."""
        if self.code is None or not facts.base_dir:
            return []
        problem = code_problem(Path(facts.base_dir), self.code)
        return [Problem("value", f"code: {problem}", "code")] if problem else []

    def placement(self, reaches_vpc: bool) -> Placement:
        """Private subnets when asked or when a connection needs the VPC, else outside it."""
        return "private" if self.vpc or reaches_vpc else "outside"

    def versions(self) -> list[VersionUse]:
        """The runtime."""
        return [("lambda", self.runtime, "runtime")]

    def processing_timeout_s(self) -> int:
        """One run holds a batch of queue messages at most its timeout."""
        return self.timeout_s

    @classmethod
    def refuses(cls, target: Service | type[Service], via: Capability) -> str:
        """It mounts no file system."""
        return (
            f"{NO_MOUNT} (a function needs an EFS access point and file_system_config)"
            if via == "network" and is_file_system(target)
            else ""
        )

    def connection_problems(self, edge: Edge, target: Service) -> list[Problem]:
        """Its environment leaves archc's variables alone."""
        return endpoint_variable_problems(self.environment, edge)

    def target_type(self) -> str:
        """Load balancers invoke the function."""
        return "lambda"

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Log group, least-privilege role policies, the function with a placeholder zip."""
        name = ctx.aws_name(max_len=64)
        logs = ctx.add(
            "aws_cloudwatch_log_group", "", {"name": f"/aws/lambda/{name}", "retention_in_days": LOG_RETENTION_DAYS, "tags": ctx.tags()}
        )
        # Scoped to its own log group instead of AWSLambdaBasicExecutionRole (all groups).
        write_logs = {"actions": ["logs:CreateLogStream", "logs:PutLogEvents"], "resources": [f"{logs.arn}:*"]}
        deps = [
            inline_policy(ctx, "logs", ctx.role, [write_logs]).address,
            *attach_policies(ctx, ctx.role, {"xray": "AWSXRayDaemonWriteAccess"}),
        ]
        code = zip_folder(Path(ctx.arch.base_dir) / self.code) if self.code else placeholder_zip(self.runtime, self.handler)
        body: dict[str, Any] = {
            "function_name": name,
            "description": literal((self.description or node.title)[:200]),
            "role": ctx.role.arn,
            "runtime": self.runtime,
            "handler": self.handler,
            "architectures": [self.architecture],
            "memory_size": self.memory_mb,
            "timeout": self.timeout_s,
            "filename": ctx.asset("function.zip", code),
            "source_code_hash": base64.b64encode(hashlib.sha256(code).digest()).decode(),
            "tracing_config": [{"mode": "Active"}],
            "logging_config": [{"log_format": "Text", "log_group": logs.attr("name")}],
            "tags": ctx.tags(),
        }
        function = ctx.stack_ref("aws_lambda_function")
        variables = {k: literal(v) for k, v in self.environment.items()}
        for edge, name, path in endpoint_variables(ctx):  # where each target publishes its endpoints
            variables[name] = path
            ctx.stack.realize("discovery", function, f"environment {name}={path}", edge=edge.id)
        if variables:
            body["environment"] = [{"variables": dict(sorted(variables.items()))}]
        if self.reserved_concurrency is not None:
            body["reserved_concurrent_executions"] = self.reserved_concurrency
        deps += self._vpc(node, ctx, body) + self._dead_letters(ctx, body)
        if body.get("environment"):  # whatever set them; checkov fails a key without variables (CKV_AWS_173)
            deps += self._environment_key(ctx, body)
        # The service checks the role's permissions when the function is created.
        body["depends_on"] = sorted(deps)
        ctx.add("aws_lambda_function", "", body)
        ctx.output(
            "function_name",
            ctx.stack_ref("aws_lambda_function").attr("function_name"),
            f"Name of the {node.id} function" + ("." if self.code else " (replace its placeholder code with yours)."),
        )

    def _vpc(self, node: ServiceNode, ctx: ServiceContext, body: dict[str, Any]) -> list[str]:
        if node.placement == "outside":
            return []
        body["vpc_config"] = [{"subnet_ids": ctx.subnet_ids(), "security_group_ids": [ctx.security_group.id]}]
        if self.egress_https:
            https_egress(ctx)
        return attach_policies(ctx, ctx.role, {"vpc": "service-role/AWSLambdaVPCAccessExecutionRole"})

    def _environment_key(self, ctx: ServiceContext, body: dict[str, Any]) -> list[str]:
        """Variables at rest under the architecture's data key, not Lambda's own (CKV_AWS_173); the role
        may decrypt with it through Lambda only, to read them at start."""
        body["kms_key_arn"] = data_key(ctx)
        via = {"test": "StringEquals", "variable": "kms:ViaService", "values": [f"lambda.{ctx.arch.region}.amazonaws.com"]}
        statement = {"actions": ["kms:Decrypt"], "resources": [data_key(ctx)], "condition": [via]}
        return [inline_policy(ctx, "environment", ctx.role, [statement]).address]

    def _dead_letters(self, ctx: ServiceContext, body: dict[str, Any]) -> list[str]:
        if not self.dead_letter_queue:
            return []
        dlq = ctx.add(
            "aws_sqs_queue",
            "dlq",
            {
                "name": ctx.aws_name("dlq", max_len=80),
                "sqs_managed_sse_enabled": True,
                "message_retention_seconds": 1209600,
                "tags": ctx.tags("dlq"),
            },
        )
        body["dead_letter_config"] = [{"target_arn": dlq.arn}]
        return [inline_policy(ctx, "dlq", ctx.role, [{"actions": ["sqs:SendMessage"], "resources": [dlq.arn]}]).address]

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The function."""
        return [ctx.stack_ref("aws_lambda_function").arn]

    def attach_target_group(self, node: ServiceNode, ctx: ServiceContext, target_group_arn: str, port: int) -> None:
        """Let the load balancer invoke the function, then register it."""
        tg = ref_name(target_group_arn)
        perm = self._permission(ctx, f"from_lb_{tg}", "elasticloadbalancing.amazonaws.com", target_group_arn)
        ctx.add(
            "aws_lb_target_group_attachment",
            tg,
            {"target_group_arn": target_group_arn, "target_id": ctx.stack_ref("aws_lambda_function").arn, "depends_on": [perm.address]},
        )

    def subscribe(self, node: ServiceNode, ctx: ServiceContext, topic_arn: str) -> dict[str, object]:
        """SNS invokes the function; only that topic may."""
        self._permission(ctx, f"from_sns_{ref_name(topic_arn)}", "sns.amazonaws.com", topic_arn)
        return {"protocol": "lambda", "endpoint": ctx.stack_ref("aws_lambda_function").arn}

    def consume(self, node: ServiceNode, ctx: ServiceContext, source: EventSource) -> None:
        """Poll the queue or stream with the rights its kind names, on that source only."""
        name = ref_name(source.arn)
        statements: list[dict[str, Any]] = [{"actions": list(source.actions), "resources": [source.arn]}, *source.statements]
        policy = inline_policy(ctx, f"consume_{name}", ctx.role, statements)
        function = ctx.stack_ref("aws_lambda_function").arn
        body: dict[str, Any] = {"event_source_arn": source.arn, "function_name": function, **source.settings, "enabled": True}
        if source.on_failure and self.dead_letter_queue:
            body["destination_config"] = [{"on_failure": [{"destination_arn": ctx.stack_ref("aws_sqs_queue", "dlq").arn}]}]
        # Lambda checks the role can read the source when the mapping is created.
        ctx.add("aws_lambda_event_source_mapping", f"from_{name}", {**body, "depends_on": [policy.address]})

    def event_target(self, node: ServiceNode, ctx: ServiceContext, rule_arn: str) -> dict[str, object]:
        """EventBridge invokes the function; only that rule may."""
        self._permission(ctx, f"from_rule_{ref_name(rule_arn)}", "events.amazonaws.com", rule_arn)
        return {"arn": ctx.stack_ref("aws_lambda_function").arn}

    def notification(self, node: ServiceNode, ctx: ServiceContext, bucket_arn: str) -> dict[str, object]:
        """S3 invokes the function on new objects; only that bucket may."""
        permission = self._permission(ctx, f"from_s3_{ref_name(bucket_arn)}", "s3.amazonaws.com", bucket_arn)
        return {"block": "lambda_function", "lambda_function_arn": ctx.stack_ref("aws_lambda_function").arn, "after": permission.address}

    def api_integration(self, node: ServiceNode, ctx: ServiceContext, source: ServiceNode) -> dict[str, object]:
        """API Gateway proxies requests to the function (only that API may invoke it)."""
        return lambda_proxy_integration(node, ctx, source)

    def _permission(self, ctx: ServiceContext, suffix: str, principal: str, source_arn: str) -> Ref:
        return ctx.add(
            "aws_lambda_permission",
            suffix,
            {
                "statement_id": f"archc-{suffix}"[:100],
                "action": "lambda:InvokeFunction",
                "function_name": ctx.stack_ref("aws_lambda_function").attr("function_name"),
                "principal": principal,
                "source_arn": source_arn,
            },
        )

    def alarms(self, node: ServiceNode, ctx: ServiceContext) -> list[dict[str, object]]:
        """Any error or throttle."""
        dims = {"FunctionName": ctx.stack_ref("aws_lambda_function").attr("function_name")}
        return [alarm("Errors", "AWS/Lambda", dims, 0, "Sum"), alarm("Throttles", "AWS/Lambda", dims, 0, "Sum")]


# --- Elastic Beanstalk ------------------------------------------------------------------
# Platform -> the language as AWS names it in solution stack names; the branches and the
# default version of each are in modules/supported.py (family "beanstalk-<platform>").
PLATFORMS = {"nodejs": "Node.js", "python": "Python", "docker": "Docker", "java": "Corretto", "go": "Go", "php": "PHP"}
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


class Beanstalk(Service):
    """An Elastic Beanstalk application and load-balanced environment in the VPC."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS Elastic Beanstalk",
        family="compute",
        summary="A managed web application platform: load balancer, scaling instances, deployments and platform updates.",
        icon="aws.compute.ElasticBeanstalk",
        placement="private",
        principal="ec2.amazonaws.com",
        needs="network",
        offers=("origin", "alias"),
    )

    kind: Literal["beanstalk"]
    platform: Literal["nodejs", "python", "docker", "java", "go", "php"] = Field(
        "nodejs", description="Application platform (Amazon Linux 2023)."
    )
    platform_version: str | None = Field(
        None,
        pattern=r"^[0-9][0-9.]*$",
        description=f"Language version, the platform branch (default: Node.js {supported.default('beanstalk-nodejs')}, "
        f"Python {supported.default('beanstalk-python')}, Corretto {supported.default('beanstalk-java')}, "
        f"Go {supported.default('beanstalk-go')}, PHP {supported.default('beanstalk-php')}).",
    )
    instance_type: str = Field("t3.micro", pattern=INSTANCE_TYPE, description="Instance type of the environment.")
    min: int = Field(2, ge=1, le=100, description="Fewest instances.")
    max: int = Field(4, ge=1, le=100, description="Most instances.")
    health_path: str = Field("/", alias="health_check_path", pattern=HTTP_PATH, description="HTTP path the load balancer probes.")
    environment: Environment = Field(
        default_factory=dict, description="Environment properties (no secrets: read them from Secrets Manager)."
    )
    public: bool = Field(
        True, description="Its load balancer faces the internet from the public subnets (false: internal, private subnets)."
    )
    certificate_arn: AcmArn | None = Field(
        None,
        description="ACM certificate (in the architecture's region) for an HTTPS listener on the load balancer; none: archc "
        "makes one for domain (DNS-validated in the model's route53 zone holding it), or, without a domain, HTTP only "
        "(e.g. behind CloudFront).",
    )
    domain: str | None = Field(
        None,
        pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$",
        description="Domain the certificate covers, pointing at the environment: CloudFront then reaches it over HTTPS "
        "(none: CloudFront uses HTTP to the environment's CNAME).",
    )

    def health_check_path(self) -> str:
        """The path the load balancer probes."""
        return self.health_path

    @classmethod
    def refuses(cls, target: Service | type[Service], via: Capability) -> str:
        """It mounts no file system."""
        return (
            f"{NO_MOUNT} (a Beanstalk environment mounts through .ebextensions, which archc does not write)"
            if via == "network" and is_file_system(target)
            else ""
        )

    def connection_problems(self, edge: Edge, target: Service) -> list[Problem]:
        """Its environment leaves archc's variables alone."""
        return endpoint_variable_problems(self.environment, edge)

    def own_security_groups(self) -> str:
        """Elastic Beanstalk creates two groups of its own when it creates the environment."""
        listeners = "443 and 80" if self.certificate_arn or self.domain else "80"
        return (
            "Elastic Beanstalk adds two security groups of its own, which this architecture's Terraform does not hold: "
            f"the load balancer's group, open to any address (0.0.0.0/0) on {listeners}"
            + ("" if self.public else " (an internal load balancer: reachable from the VPC only)")
            + "; and a default instance group, on its instances beside archc's group, that admits the load balancer's "
            "group on port 80 (the environment's resources in the EC2 console list both)."
        )

    def branch(self) -> str:
        """The platform branch's language version: the model's, else the table's default."""
        return self.platform_version or supported.default(f"beanstalk-{self.platform}")

    def versions(self) -> list[VersionUse]:
        """The platform branch."""
        return [(f"beanstalk-{self.platform}", self.branch(), "platform_version")]

    def dns_names(self) -> tuple[str, ...]:
        """The domain, when set: Route 53 aliases it to the environment."""
        return (self.domain,) if self.domain else ()

    def check(self, facts: Facts) -> list[Problem]:
        """Sizes in order; a public load balancer needs public subnets; a domain needs a certificate."""
        problems = size_problems(self.min, None, self.max)
        if self.public and "public" not in facts.tiers:
            where = "public" if "public" in self.model_fields_set else None
            problems.append(Problem("network", "a public Beanstalk load balancer needs a public subnet tier (or set public: false)", where))
        if self.domain or self.certificate_arn:
            names = [self.domain] if self.domain else []
            problems += certificate_problems(self.certificate_arn, names, facts, "domain", facts.region, "Elastic Beanstalk")
        return problems

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Roles and instance profile, the application, the environment on the latest platform."""
        service_role = extra_role(ctx, "service", "elasticbeanstalk.amazonaws.com")
        deps = attach_policies(
            ctx,
            service_role,
            {
                "service_health": "service-role/AWSElasticBeanstalkEnhancedHealth",
                "service_updates": "AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy",
            },
        )
        deps += attach_policies(ctx, ctx.role, {"web_tier": "AWSElasticBeanstalkWebTier", **SSM_POLICY})
        profile = instance_profile(ctx, ctx.role)
        version = self.branch()
        # The branch's stack names end with the language version ("64bit Amazon Linux 2023
        # v6.10.0 running Node.js 24"): anchored, so "3.1" cannot pick a 3.12 stack.
        regex = f"^64bit Amazon Linux 2023 (.*) running {re.escape(PLATFORMS[self.platform])}{' ' + re.escape(version) if version else ''}$"
        stack = ctx.data("aws_elastic_beanstalk_solution_stack", "platform", {"most_recent": True, "name_regex": regex})
        app = ctx.add(
            "aws_elastic_beanstalk_application",
            "app",
            {
                "name": ctx.aws_name(max_len=100),
                "description": literal((self.description or node.title)[:200]),
                "appversion_lifecycle": [{"service_role": service_role.arn, "max_count": 50, "delete_source_from_s3": True}],
                "tags": ctx.tags(),
            },
        )
        settings = self._settings(ctx, service_role, profile)
        env = ctx.add(
            "aws_elastic_beanstalk_environment",
            "",
            {
                "name": ctx.aws_name(max_len=40),
                "application": app.attr("name"),
                "solution_stack_name": stack.attr("name"),
                "tier": "WebServer",
                "setting": [{"namespace": ns, "name": k, "value": v} for ns, k, v in settings],
                "tags": ctx.tags(),
                # Its instances and load balancer need their subnets' routes: without the NAT route the
                # instances cannot reach Beanstalk's endpoints and the environment fails to launch.
                "depends_on": sorted({*deps, *route_dependencies(ctx, ctx.node.placement, "public" if self.public else "private")}),
            },
        )
        for edge in ctx.arch.edges_to(node.id):
            if edge.via == "alias":  # its load balancer serves the name: HTTPS with a certificate, else HTTP for any host
                served = (
                    "HTTPS listener certificate" if self.certificate_arn or self.domain else "HTTP listener (any host name, no certificate)"
                )
                ctx.stack.realize("path", env, served, edge=edge.id)
        ctx.output("url", env.attr("endpoint_url"), f"Load balancer address of the {node.id} environment.")
        ctx.output("cname", env.attr("cname"), f"CNAME of the {node.id} environment.")

    def _settings(self, ctx: ServiceContext, service_role: Ref, profile: Ref) -> list[tuple[str, str, str]]:
        lb_tier = "public" if self.public else "private"
        asg, lc, env = "aws:autoscaling:asg", "aws:autoscaling:launchconfiguration", "aws:elasticbeanstalk:environment"
        settings = [
            ("aws:ec2:vpc", "VPCId", ctx.vpc_id),
            ("aws:ec2:vpc", "Subnets", ",".join(ctx.subnet_ids())),
            ("aws:ec2:vpc", "ELBSubnets", ",".join(ctx.subnet_ids(lb_tier))),
            ("aws:ec2:vpc", "ELBScheme", "public" if self.public else "internal"),
            ("aws:ec2:vpc", "AssociatePublicIpAddress", "false"),
            (env, "EnvironmentType", "LoadBalanced"),
            (env, "LoadBalancerType", "application"),
            (env, "ServiceRole", service_role.arn),
            ("aws:ec2:instances", "InstanceTypes", self.instance_type),
            (lc, "IamInstanceProfile", profile.attr("name")),
            # The framework's security group: connections (eb -> db) open their rules on it.
            (lc, "SecurityGroups", ctx.security_group.id),
            (lc, "DisableIMDSv1", "true"),
            (lc, "RootVolumeType", "gp3"),
            (lc, "MonitoringInterval", "1 minute"),
            (asg, "MinSize", str(self.min)),
            (asg, "MaxSize", str(self.max)),
            ("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath", self.health_path),
            ("aws:elasticbeanstalk:healthreporting:system", "SystemType", "enhanced"),
            ("aws:elasticbeanstalk:cloudwatch:logs:health", "HealthStreamingEnabled", "true"),
            ("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled", "true"),
            ("aws:elasticbeanstalk:managedactions", "PreferredStartTime", "Sun:02:00"),
            ("aws:elasticbeanstalk:managedactions:platformupdate", "UpdateLevel", "minor"),
            ("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs", "true"),
            ("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays", str(LOG_RETENTION_DAYS)),
            ("aws:elasticbeanstalk:cloudwatch:logs", "DeleteOnTerminate", "false"),
            ("aws:elasticbeanstalk:cloudwatch:logs:health", "HealthStreamingEnabled", "true"),
            ("aws:elasticbeanstalk:cloudwatch:logs:health", "RetentionInDays", str(LOG_RETENTION_DAYS)),
        ]
        if self.certificate_arn or self.domain:
            listener = "aws:elbv2:listener:443"
            certificate = self.certificate_arn or managed_certificate(ctx, served_names(ctx.arch, ctx.node))
            settings += [
                (listener, "Protocol", "HTTPS"),
                (listener, "SSLCertificateArns", certificate),
                (listener, "SSLPolicy", TLS_POLICY),
            ]
        variables = {k: literal(v) for k, v in self.environment.items()}
        for edge, name, path in endpoint_variables(ctx):  # where each target publishes its endpoints
            variables[name] = path
            ctx.stack.realize("discovery", ctx.stack_ref("aws_elastic_beanstalk_environment"), f"environment {name}={path}", edge=edge.id)
        settings += [("aws:elasticbeanstalk:application:environment", k, v) for k, v in sorted(variables.items())]
        return settings

    def origin(self, node: ServiceNode, ctx: ServiceContext, source: ServiceNode) -> dict[str, object]:
        """A custom origin: HTTPS to ``domain`` when set, else HTTP to the environment's CNAME."""
        https = self.domain is not None
        return {
            "domain_name": self.domain or ctx.stack_ref("aws_elastic_beanstalk_environment").attr("cname"),
            "origin_id": node.id,
            "custom_origin_config": [
                {
                    "http_port": 80,
                    "https_port": 443,
                    "origin_protocol_policy": "https-only" if https else "http-only",
                    "origin_ssl_protocols": ["TLSv1.2"],
                }
            ],
        }

    def alias(self, node: ServiceNode, ctx: ServiceContext) -> dict[str, object]:
        """The environment's CNAME in Elastic Beanstalk's hosted zone for the region."""
        zone = ctx.stack_ref("data.aws_elastic_beanstalk_hosted_zone", "zone")
        if not ctx.stack.has(zone):
            ctx.data("aws_elastic_beanstalk_hosted_zone", "zone", {})
        return {
            "name": ctx.stack_ref("aws_elastic_beanstalk_environment").attr("cname"),
            "zone_id": zone.id,
            "evaluate_target_health": True,
        }
