"""Containers: ECR repositories, ECS clusters and services, EKS clusters.

An ECS service names its cluster (``cluster: <ecs-cluster service>``); the cluster's
capacity (Fargate, or EC2 instances of its own Auto Scaling group) decides how the
service's tasks launch. Tasks always use awsvpc networking, so each service has its
own security group and connections open rules on it.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from modules import support
from modules.base import Decision, Facts, KindInfo, Mount, Placement, Problem, RefTo, Service
from modules.compute_kit import (
    INSTANCE_TYPE,
    LOG_RETENTION_DAYS,
    SSM_POLICY,
    Environment,
    HttpWorkload,
    alarm,
    ami,
    attach_policies,
    autoscaling_group,
    endpoint_variable_problems,
    endpoint_variables,
    extra_role,
    https_egress,
    inline_policy,
    instance_profile,
    is_arm64,
    launch_template,
    literal,
    ref_name,
    size_problems,
)
from modules.ecs_wiring import caller_environment, calls_between, efs_volumes, mounts, service_connect, waits_for
from modules.eni import awsvpc_tasks_per_instance
from modules.schedule import Schedule

if TYPE_CHECKING:
    from compiler.ir import Architecture, Edge, ServiceNode
    from compiler.terraform.context import ServiceContext

# Seconds a new container instance takes before ECS managed scaling counts it (see EcsCluster._managed_scaling).
INSTANCE_WARMUP_S = 120
ECS_AMI = "/aws/service/ecs/optimized-ami/amazon-linux-2023/{arch}recommended/image_id"
IMAGE = r"^[a-z0-9][a-z0-9._/:@-]*$"
# archc's placeholder workload (a service with neither image nor repository): nginx from
# Amazon ECR Public (pulled anonymously, no Docker Hub rate limit), on its 1.30 stable branch.
PLACEHOLDER_IMAGE = "public.ecr.aws/nginx/nginx:1.30"
# The official nginx images as they come: port 80, the default site only, and writes under
# /var/cache/nginx and /var/run at start (so no read-only root file system).
STOCK_NGINX = re.compile(
    r"^(public\.ecr\.aws/nginx/nginx|public\.ecr\.aws/docker/library/nginx|(docker\.io/)?(library/)?nginx)(:[\w.-]+)?$"
)
STOCK_NGINX_PATHS = ("/", "/index.html", "/50x.html")
# A tag names a version when it has a digit (1.4.2, v3, 2026-12-05, a commit hash);
# latest, stable or main move from image to image.
VERSIONED_TAG = re.compile(r"\d")
# Fargate task sizes: CPU units -> allowed memory (MiB) as (lowest, highest, step).
FARGATE_MEMORY = {
    256: (512, 2048, 512),
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


class EcrRepository(Service):
    """A private container registry: scanned on push, immutable tags, KMS-encrypted."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon ECR",
        family="containers",
        summary="A private registry for container images, scanned for vulnerabilities on push.",
        icon="aws.compute.EC2ContainerRegistry",
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
        access={
            "pull": ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
            "push": (
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ),
        },
    )

    kind: Literal["ecr"]
    keep_images: int = Field(30, ge=1, le=10000, description="Images kept; older ones expire (untagged ones after 7 days).")
    mutable_tags: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9._*-]{1,128}$")]] = Field(
        default_factory=list,
        max_length=5,
        description="Tags that may be pushed again (wildcards allowed), e.g. latest; every other tag stays immutable (the default: all).",
    )
    force_delete: bool = Field(False, description="Let terraform destroy the repository with its images.")

    def moves(self, tag: str) -> bool:
        """Whether ``tag`` may be pushed again (IMMUTABLE_WITH_EXCLUSION: it matches a mutable_tags filter)."""
        return any(fnmatch.fnmatchcase(tag, pattern) for pattern in self.mutable_tags)

    def relaxations(self) -> list[Decision]:
        """Tags that may be overwritten relax immutable tags."""
        return [Decision("mutable_tags", ", ".join(self.mutable_tags), "none", "", ("CKV_AWS_51",))] if self.mutable_tags else []

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Repository and its lifecycle policy."""
        body: dict[str, Any] = {
            "name": ctx.physical_name("aws_ecr_repository"),
            "image_tag_mutability": "IMMUTABLE_WITH_EXCLUSION" if self.mutable_tags else "IMMUTABLE",
            "image_scanning_configuration": [{"scan_on_push": True}],
            "encryption_configuration": [{"encryption_type": "KMS"}],
            "force_delete": self.force_delete,
            "tags": ctx.tags(),
        }
        if self.mutable_tags:
            body["image_tag_mutability_exclusion_filter"] = [{"filter": t, "filter_type": "WILDCARD"} for t in self.mutable_tags]
        repo = ctx.add("aws_ecr_repository", "", body)
        rules = [
            {
                "rulePriority": 1,
                "description": "Expire untagged images after 7 days",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the last {self.keep_images} images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": self.keep_images},
                "action": {"type": "expire"},
            },
        ]
        ctx.add("aws_ecr_lifecycle_policy", "", {"repository": repo.attr("name"), "policy": json.dumps({"rules": rules}, sort_keys=True)})
        ctx.output("repository_url", repo.attr("repository_url"), f"URL to push {node.id} images to.")

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The repository (ecr:GetAuthorizationToken is account-wide: callers add it themselves)."""
        return [ctx.stack_ref("aws_ecr_repository").arn]


class EcsCluster(Service):
    """An ECS cluster with Container Insights, on Fargate or on its own EC2 instances."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon ECS cluster",
        family="containers",
        summary="Where ECS services run: serverless Fargate capacity or a managed group of EC2 container instances.",
        icon="aws.compute.ECS",
    )

    kind: Literal["ecs-cluster"]
    capacity: Literal["fargate", "ec2"] = Field(
        "fargate", description="Fargate (serverless) or EC2 container instances in the private subnets."
    )
    instance_type: str = Field(
        "t3.small", pattern=INSTANCE_TYPE, description="EC2 capacity: instance type (ECS-optimized Amazon Linux 2023)."
    )
    min: int = Field(2, ge=0, le=1000, description="EC2 capacity: fewest instances.")
    max: int = Field(4, ge=1, le=1000, description="EC2 capacity: most instances (ECS scales between them to fit the tasks).")
    volume_gb: int = Field(30, ge=30, le=16384, description="EC2 capacity: root volume size in GiB (encrypted gp3).")
    egress_https: bool = Field(True, description="EC2 capacity: allow outbound HTTPS (ECS, ECR, Systems Manager) through NAT.")
    schedule: Schedule | None = Field(
        None,
        description="The hours the cluster runs, e.g. {hours: 08:00-20:00, days: mon-fri, timezone: Europe/Paris}: outside them "
        "its services and its EC2 instances are scaled to zero (scheduled actions). Default: always.",
    )

    def placement(self, reaches_vpc: bool) -> Placement:
        """EC2 capacity runs in the private subnets; a Fargate cluster is only a name."""
        return "private" if self.capacity == "ec2" else "outside"

    def check(self, facts: Facts) -> list[Problem]:
        """Instance settings belong to EC2 capacity; sizes in order."""
        ec2_only = sorted({"instance_type", "min", "max", "volume_gb"} & self.model_fields_set)
        if self.capacity == "fargate" and ec2_only:
            return [Problem("conflict", f"'{ec2_only[0]}' applies to EC2 capacity; set capacity: ec2 or remove it", ec2_only[0])]
        return size_problems(self.min, None, self.max) or self._eni_problems(facts)

    def fleet_size(self, arch: Architecture, me: str) -> int | None:
        """EC2 capacity: ECS managed scaling launches the instances its services' desired
        awsvpc tasks need (one network interface each), never fewer than min, at most max."""
        per_instance = awsvpc_tasks_per_instance(self.instance_type)
        if self.capacity != "ec2" or per_instance is None:
            return None
        tasks = sum(n.spec.desired for n in arch.services.values() if isinstance(n.spec, EcsService) and n.spec.cluster == me)
        return min(self.max, max(self.min, -(-tasks // per_instance)))

    def _eni_problems(self, facts: Facts) -> list[Problem]:
        """EC2 capacity: every awsvpc task needs a network interface of its instance, so
        the services' desired tasks must fit on ``max`` instances (else they stay pending)."""
        per_instance = awsvpc_tasks_per_instance(self.instance_type)
        tasks = [(sid, s.desired) for sid, s in facts.referrers if isinstance(s, EcsService)]
        total = sum(n for _, n in tasks)
        if self.capacity != "ec2" or per_instance is None or total <= self.max * per_instance:
            return []
        needed = -(-total // per_instance)
        enis = per_instance + 1
        message = (
            f"{self.max} {self.instance_type} instances (max) run at most {self.max * per_instance} awsvpc tasks "
            f"(a {self.instance_type} has {enis} network interfaces: one for the instance, {per_instance} for tasks), "
            f"but this cluster's services start {total} ({', '.join(f'{name} {n}' for name, n in tasks)}); "
            f"raise max to {needed}, choose an instance_type with more network interfaces, or lower the services' desired counts"
        )
        where = next((f for f in ("max", "instance_type") if f in self.model_fields_set), None)
        return [Problem("value", message, where)]

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The cluster and its capacity providers."""
        cluster = ctx.add(
            "aws_ecs_cluster",
            "",
            {
                "name": ctx.physical_name("aws_ecs_cluster"),
                "setting": [{"name": "containerInsights", "value": "enabled"}],
                "tags": ctx.tags(),
            },
        )
        if self.capacity == "fargate":
            providers, default = ["FARGATE", "FARGATE_SPOT"], "FARGATE"
        else:
            default = self._ec2_capacity(ctx)
            providers = [default]
        ctx.add(
            "aws_ecs_cluster_capacity_providers",
            "",
            {
                "cluster_name": cluster.attr("name"),
                "capacity_providers": providers,
                "default_capacity_provider_strategy": [{"capacity_provider": default, "weight": 1}],
            },
        )
        ctx.output("cluster_name", cluster.attr("name"), f"Name of the {node.id} cluster.")

    def _ec2_capacity(self, ctx: ServiceContext) -> str:
        """Container instances in an Auto Scaling group that ECS scales; returns the provider's name."""
        role = extra_role(ctx, "instance", "ec2.amazonaws.com")
        attach_policies(ctx, role, {"instance_ecs": "service-role/AmazonEC2ContainerServiceforEC2Role", "instance_ssm": SSM_POLICY["ssm"]})
        profile = instance_profile(ctx, role)
        image = ami(ctx, ECS_AMI.format(arch="arm64/" if is_arm64(self.instance_type) else ""))
        # Tasks (awsvpc) must not reach the instance metadata, hence the instance role.
        script = (
            "#!/bin/bash\ncat >> /etc/ecs/ecs.config <<'CONFIG'\n"
            f"ECS_CLUSTER={ctx.physical_name('aws_ecs_cluster')}\nECS_AWSVPC_BLOCK_IMDS=true\nECS_ENABLE_TASK_IAM_ROLE=true\nCONFIG\n"
        )
        template = launch_template(ctx, image, self.instance_type, profile, script, self.volume_gb)
        group = autoscaling_group(ctx, template, (self.min, self.max, None), {"AmazonECSManaged": ""}, scheduled=self.schedule is not None)
        if self.schedule is not None:
            for suffix, body in self.schedule.autoscaling_actions(group.attr("name"), (self.min, self.max, self.min)).items():
                ctx.add("aws_autoscaling_schedule", f"schedule_{suffix}", body)
        if self.egress_https:
            https_egress(ctx)
        provider = ctx.add(
            "aws_ecs_capacity_provider",
            "",
            {
                # Names may not start with aws, ecs or fargate.
                "name": ctx.physical_name("aws_ecs_capacity_provider", before="cp-"),
                "auto_scaling_group_provider": [
                    {
                        "auto_scaling_group_arn": group.arn,
                        "managed_termination_protection": "DISABLED",
                        "managed_draining": "ENABLED",
                        "managed_scaling": [self._managed_scaling(ctx)],
                    }
                ],
                "tags": ctx.tags(),
            },
        )
        return provider.attr("name")

    def _managed_scaling(self, ctx: ServiceContext) -> dict[str, Any]:
        """How ECS grows the group. On a group spread over several AZs, managed scaling adds
        exactly ``minimum_scaling_step_size`` instances per step (ignoring the demand and the
        maximum step), one step per warm-up period (default 300 s): with the default step of 1,
        six tasks on instances that fit one each would take five steps, about half an hour, to
        place. The step is the instances the services' desired tasks need beyond ``min`` (at
        least 1, at most ``max``), so the first deployment is placed in one step. Warm-up:
        an ECS-optimized instance boots and registers with the cluster in about a minute; 120 s
        lets it count before the next step without the default's 5-minute wait (ECS developer
        guide, "Optimize Amazon ECS cluster auto scaling"; API ManagedScaling)."""
        needed = self.fleet_size(ctx.arch, ctx.node.id) or self.min
        step = min(self.max, max(1, needed - self.min))
        return {
            "status": "ENABLED",
            "target_capacity": 100,
            "minimum_scaling_step_size": step,
            "instance_warmup_period": INSTANCE_WARMUP_S,
        }

    def running_schedule(self, arch: Architecture) -> Schedule | None:
        """Its own schedule."""
        return self.schedule

    def compatibility(self) -> str:
        """The task definition compatibility its services need."""
        return "FARGATE" if self.capacity == "fargate" else "EC2"

    def launch(self, ctx: ServiceContext) -> dict[str, Any]:
        """How a service in this cluster launches its tasks (``ctx`` is the cluster's)."""
        if self.capacity == "fargate":
            return {"launch_type": "FARGATE", "platform_version": "LATEST"}
        provider = ctx.stack_ref("aws_ecs_capacity_provider").attr("name")
        return {"capacity_provider_strategy": [{"capacity_provider": provider, "weight": 1}]}


class ScheduledCapacity(BaseModel):
    """New scaling bounds from a moment on (an aws_appautoscaling_scheduled_action)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    at: str = Field(
        pattern=r"^(cron\([^()]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$",
        description="When, in UTC: cron(0 8 ? * MON-FRI *), rate(1 day) or at(2027-01-01T00:00:00).",
    )
    min: int = Field(ge=0, le=1000, description="Fewest tasks from then on.")
    max: int = Field(ge=1, le=1000, description="Most tasks from then on.")


class EcsService(HttpWorkload):
    """A long-running ECS service: task definition, service and CPU target tracking."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon ECS service",
        family="containers",
        summary="A containerized application kept running at the desired count, spread over AZs and scaled on CPU.",
        icon="aws.compute.ElasticContainerServiceService",
        placement="private",
        port=8080,
        principal="ecs-tasks.amazonaws.com",
        needs="network",
        offers=("lb-target",),
        private_only=True,  # awsvpc tasks in private subnets, no public IP
    )

    kind: Literal["ecs-service"]
    cluster: Annotated[str, RefTo(("ecs-cluster",), drawn=False)] = Field(description="The ecs-cluster service its tasks run in.")
    image: str | None = Field(
        None,
        pattern=IMAGE,
        description="Container image of the application, e.g. 123456789012.dkr.ecr.eu-west-3.amazonaws.com/shop:1.4.2 "
        "(or set repository). Neither: archc's placeholder, nginx (public.ecr.aws/nginx/nginx:1.30) answering 200 on port "
        "and health_check_path, until you deploy your image.",
    )
    repository: Annotated[str | None, RefTo(("ecr",))] = Field(
        None,
        description="An ecr service to run the image from (pull rights are added). It starts empty: terraform apply "
        "completes without waiting for the tasks; push the tag after the first apply, then start a new deployment (the "
        "service page says how).",
    )
    tag: str = Field(
        "1.0.0",
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$",
        description="Image tag when 'repository' is set: a version (ECR tags are immutable unless the ecr service lists "
        "the tag in mutable_tags); release another by changing it.",
    )
    cpu: Literal[256, 512, 1024, 2048, 4096, 8192, 16384] = Field(256, description="CPU units per task (1024 = 1 vCPU).")
    memory: int = Field(512, ge=512, le=122880, description="Memory per task in MiB (Fargate allows 2 to 8 times the CPU units).")
    architecture: Literal["x86_64", "arm64"] = Field("x86_64", description="CPU architecture the image is built for.")
    port: int = Field(8080, ge=1, le=65535, description="Container port; load balancers and callers reach the task there.")
    desired: int = Field(2, ge=0, le=1000, description="Tasks at creation; scaling moves it afterwards.")
    min: int = Field(2, ge=0, le=1000, description="Fewest tasks.")
    max: int = Field(4, ge=1, le=1000, description="Most tasks (CPU target tracking between min and max).")
    cpu_target: int = Field(60, ge=10, le=90, description="Average CPU utilisation (%) the service scales to hold.")
    requests_target: int | None = Field(
        None,
        ge=1,
        le=1000000,
        description="Also scale to hold this many requests per task per minute, counted by the load balancer in front "
        "(ALBRequestCountPerTarget); needs a load balancer targeting the service and max above min.",
    )
    scheduled: list[ScheduledCapacity] = Field(
        default_factory=list,
        description="Capacity changes on a schedule (UTC), e.g. [{at: 'cron(0 8 ? * MON-FRI *)', min: 4, max: 12}]; "
        "target tracking then works inside the new bounds. The bounds then belong to the schedule: min and max set them "
        "when the service is created, and a later apply neither resets a scheduled action's bounds nor applies a new min "
        "or max (change the scheduled actions instead).",
    )
    environment: Environment = Field(
        default_factory=dict,
        description="Environment variables (no secrets: read them from Secrets Manager). Each ECS service this one connects "
        "to adds <CALLEE>_URL, e.g. API_URL=http://api:8080 (its Service Connect name), unless set here; each network or API "
        "connection adds ARCHC_<CALLEE>_PARAMETERS, the SSM path of the callee's endpoints (not settable here).",
    )
    read_only_root: bool = Field(True, description="Read-only root file system (a writable /tmp is mounted).")
    egress_https: bool = Field(True, description="Allow outbound HTTPS (ECR image pulls, CloudWatch Logs, AWS APIs) through NAT.")

    def target_type(self) -> str:
        """awsvpc tasks register by IP."""
        return "ip"

    def check(self, facts: Facts) -> list[Problem]:
        """One image source that can work; a memory size that fits the CPU; sizes in order."""
        if self.image is not None and self.repository is not None:
            return [Problem("conflict", "set either 'image' or 'repository', not both", "repository")]
        image_problems = self._stock_nginx_problems() + self._tag_problems(facts)
        if image_problems:
            return image_problems
        low, high, step = FARGATE_MEMORY[self.cpu]
        if not (low <= self.memory <= high and (self.memory - low) % step == 0):
            return [
                Problem("value", f"memory {self.memory} does not fit cpu {self.cpu}: use {low} to {high} MiB in steps of {step}", "memory")
            ]
        return size_problems(self.min, self.desired, self.max) + self._scaling_problems(facts)

    def _scaling_problems(self, facts: Facts) -> list[Problem]:
        """Request-count scaling needs a load balancer and room to scale; scheduled bounds in order."""
        problems = []
        if self.requests_target is not None:
            if not any(via == "lb-target" for _, via in facts.inbound_vias):
                problems.append(
                    Problem("connection", "requests_target: no load balancer targets this service to count its requests", "requests_target")
                )
            elif self.max <= self.min:
                problems.append(
                    Problem("value", f"requests_target: max ({self.max}) must exceed min ({self.min}) to scale", "requests_target")
                )
        cluster_hours = any(key == "cluster" and getattr(spec, "schedule", None) is not None for key, _, spec in facts.named)
        if self.scheduled and cluster_hours:
            problems.append(
                Problem("conflict", "scheduled: its cluster has a schedule (running hours) already; use one or the other", "scheduled")
            )
        if self.scheduled and self.max <= self.min:
            problems.append(Problem("value", f"scheduled: max ({self.max}) must exceed min ({self.min}) to scale", "scheduled"))
        for action in self.scheduled:
            if action.min > action.max:
                problems.append(Problem("value", f"scheduled: {action.at}: min {action.min} is above max {action.max}", "scheduled"))
        return problems

    def _stock_nginx_problems(self) -> list[Problem]:
        """The official nginx image as it comes serves port 80 and / only, and cannot start on a read-only root."""
        if self.image is None or not STOCK_NGINX.match(self.image):
            return []
        why = [f"it listens on port 80, not {self.port}"] if self.port != 80 else []
        if self.health_path not in STOCK_NGINX_PATHS:
            why.append(f"it answers {self.health_path} with 404 (its default site has / and /50x.html)")
        if self.read_only_root:
            why.append("it writes /var/cache/nginx and /var/run/nginx.pid at start, which the read-only root file system forbids")
        if not why:
            return []
        message = (
            f"image {self.image} is stock nginx and would never become healthy here: {'; '.join(why)}; leave out image "
            f"to run archc's placeholder (nginx answering on port {self.port} and {self.health_path}), or name your application's image"
        )
        return [Problem("conflict", message, "image")]

    def _tag_problems(self, facts: Facts) -> list[Problem]:
        """A tag that moves cannot be pushed twice to a repository whose tags are immutable."""
        repository = next((svc for key, _, svc in facts.named if key == "repository"), None)
        if not isinstance(repository, EcrRepository) or VERSIONED_TAG.search(self.tag) or repository.moves(self.tag):
            return []
        message = (
            f"tag: {self.tag} is not a version, and ecr '{self.repository}' keeps its tags immutable: '{self.tag}' could be pushed "
            f"once and never moved to a new image; use a version (e.g. tag: 1.0.0) or list '{self.tag}' in that ecr service's "
            "mutable_tags"
        )
        return [Problem("conflict", message, "tag" if "tag" in self.model_fields_set else "repository")]

    def connection_problems(self, edge: Edge, target: Service) -> list[Problem]:
        """Its environment leaves archc's variables alone."""
        return endpoint_variable_problems(self.environment, edge)

    def after_apply(self, node: ServiceNode) -> tuple[str, ...]:
        """An image in an ECR repository of the model must be pushed before the service can start."""
        if not self.repository:
            return ()
        repository, cluster = self.repository.replace("-", "_"), self.cluster.replace("-", "_")
        return (
            f"Push the image. The ecr repository {self.repository} starts empty: terraform apply does not wait for the "
            f"service (wait_for_steady_state is off), so it completes, but the tasks stop at start "
            f"(CannotPullContainerError) and the deployment circuit breaker marks this first deployment FAILED after "
            f"a few of them, which launches no more tasks. Push your image as the Terraform output "
            f"{repository}_repository_url followed by :{self.tag}."
            + (
                " The container runs with a read-only root file system (only /tmp is writable): an image that writes "
                "elsewhere at start (stock nginx writes /var/cache/nginx and /var/run) stops at once; make it write under "
                "/tmp, or set read_only_root: false on this service."
                if self.read_only_root
                else ""
            ),
            f"Start a new deployment, which pulls it: aws ecs update-service --cluster (output {cluster}_cluster_name) "
            f"--service (output {node.tf_name}_service_name) --force-new-deployment.",
            "Later releases: push a new version and set tag: to it; terraform apply registers the task definition and deploys it.",
        )

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Log group, execution role, task definition, service, autoscaling."""
        cluster_ctx = ctx.other(self.cluster)
        cluster = cluster_ctx.node.spec
        assert isinstance(cluster, EcsCluster)  # resolve checked the reference's kind
        logs = ctx.add(
            "aws_cloudwatch_log_group",
            "",
            {"name": f"/ecs/{ctx.arch.name}/{node.id}", "retention_in_days": LOG_RETENTION_DAYS, "tags": ctx.tags()},
        )
        log = {"awslogs-group": logs.attr("name"), "awslogs-region": ctx.arch.region}
        calls, ports = ecs_calls(ctx.arch)
        urls = caller_environment(ctx, calls, ports, self.environment)
        task_ref = ctx.stack_ref("aws_ecs_task_definition")
        for edge, name, path in endpoint_variables(ctx):  # where each target publishes its endpoints
            urls[name] = path
            ctx.stack.realize("discovery", task_ref, f"environment {name}={path}", edge=edge.id)
        file_systems = mounts(ctx)
        body = self._task(ctx, cluster.compatibility(), log, logs.arn, urls, calls)
        self._mount(ctx, body, file_systems)
        task = ctx.add("aws_ecs_task_definition", "", body)
        cluster_ref = cluster_ctx.stack_ref("aws_ecs_cluster")
        callees = [ctx.other(c).stack_ref("aws_ecs_service").address for c in waits_for(calls, node.id)]
        service = ctx.add(
            "aws_ecs_service",
            "",
            {
                "name": ctx.physical_name("aws_ecs_service"),
                "cluster": cluster_ref.id,
                "task_definition": task.arn,
                "desired_count": self.desired,
                **cluster.launch(cluster_ctx),
                "network_configuration": [
                    {"subnets": ctx.subnet_ids(), "security_groups": [ctx.security_group.id], "assign_public_ip": False}
                ],
                "deployment_circuit_breaker": [{"enable": True, "rollback": True}],
                "deployment_minimum_healthy_percent": 100,
                "deployment_maximum_percent": 200,
                "enable_execute_command": False,
                "enable_ecs_managed_tags": True,
                "propagate_tags": "SERVICE",
                "wait_for_steady_state": False,
                "tags": ctx.tags(),
                "lifecycle": {"ignore_changes": ["desired_count"]},  # scaling owns it
                # After its cluster's capacity, the ECS services it calls (a task finds only the Service
                # Connect endpoints that exist when it starts) and the mount targets of its file systems.
                "depends_on": [
                    cluster_ctx.stack_ref("aws_ecs_cluster_capacity_providers").address,
                    *callees,
                    *(ready for _, mount in file_systems for ready in mount.ready),
                ],
            },
        )
        connect = service_connect(ctx, calls, self.port, log)
        if connect:
            ctx.stack.body(service)["service_connect_configuration"] = [connect]
        if self.egress_https:
            https_egress(ctx)
        if self.max > self.min:
            self._scaling(ctx, f"service/{cluster_ref.attr('name')}/{service.attr('name')}")
        ctx.output("service_name", service.attr("name"), f"Name of the {node.id} ECS service.")

    def _task(
        self, ctx: ServiceContext, compatibility: str, log: dict[str, str], log_group_arn: str, urls: dict[str, str], calls: list[Edge]
    ) -> dict[str, Any]:
        """The task definition; its execution role may write its logs and pull its image only.

        ``urls``: the callees' addresses (Service Connect) and parameter paths added to its environment; its port
        mapping is named when another ECS service calls it (``calls``)."""
        execution = extra_role(ctx, "execution", "ecs-tasks.amazonaws.com")
        statements: list[dict[str, Any]] = [{"actions": ["logs:CreateLogStream", "logs:PutLogEvents"], "resources": [f"{log_group_arn}:*"]}]
        image = self.image or ""
        if self.repository:
            repo = ctx.other(self.repository).stack_ref("aws_ecr_repository")
            image = f"{repo.attr('repository_url')}:{self.tag}"
            statements += [
                {"sid": "EcrLogin", "actions": ["ecr:GetAuthorizationToken"], "resources": ["*"]},  # has no resource scope
                {"sid": "EcrPull", "actions": sorted(EcrRepository.info.access["pull"]), "resources": [repo.arn]},
            ]
        inline_policy(ctx, "execution", execution, statements)
        container: dict[str, Any] = {
            "name": ctx.node.id,
            "image": image or PLACEHOLDER_IMAGE,
            "essential": True,
            "portMappings": [{"containerPort": self.port, "protocol": "tcp"}],
            "readonlyRootFilesystem": self.read_only_root,
            "logConfiguration": {"logDriver": "awslogs", "options": {**log, "awslogs-stream-prefix": "ecs"}},
        }
        if any(e.target == ctx.node.id for e in calls):  # Service Connect publishes the named port
            container["portMappings"][0]["name"] = ctx.node.id
        body: dict[str, Any] = {
            "family": ctx.physical_name("aws_ecs_task_definition", attribute="family"),
            "requires_compatibilities": [compatibility],
            "network_mode": "awsvpc",
            "cpu": str(self.cpu),
            "memory": str(self.memory),
            "execution_role_arn": execution.arn,
            "task_role_arn": ctx.role.arn,
            "runtime_platform": [{"operating_system_family": "LINUX", "cpu_architecture": self.architecture.upper()}],
            "tags": ctx.tags(),
        }
        if not image:
            container |= {"entryPoint": ["/bin/sh", "-c"], "command": [placeholder_command(self.port, self.health_path)]}
        environment = {**{k: literal(v) for k, v in self.environment.items()}, **urls}
        if environment:
            container["environment"] = [{"name": k, "value": v} for k, v in sorted(environment.items())]
        if self.read_only_root:
            container["mountPoints"] = [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]
            body["volume"] = [{"name": "tmp"}]
        body["container_definitions"] = json.dumps([container], sort_keys=True)
        return body

    def _mount(self, ctx: ServiceContext, body: dict[str, Any], file_systems: list[tuple[Edge, Mount]]) -> None:
        """The file systems this service connects to, as task volumes mounted in its container."""
        volumes, points = efs_volumes(ctx, file_systems)
        if not volumes:
            return
        body["volume"] = [*body.get("volume", []), *volumes]
        (container,) = json.loads(body["container_definitions"])
        container["mountPoints"] = [*container.get("mountPoints", []), *points]
        body["container_definitions"] = json.dumps([container], sort_keys=True)

    def _scaling(self, ctx: ServiceContext, resource_id: str) -> None:
        schedule = self.running_schedule(ctx.arch)
        body: dict[str, Any] = {
            "service_namespace": "ecs",
            "resource_id": resource_id,
            "scalable_dimension": "ecs:service:DesiredCount",
            "min_capacity": self.min,
            "max_capacity": self.max,
            "tags": ctx.tags(),
        }
        if self.scheduled or schedule is not None:
            # Scheduled actions move the target's bounds; Terraform would put the model's back
            # on the next apply (terraform-aws-modules/terraform-aws-ecs#422), undoing them.
            body["lifecycle"] = {"ignore_changes": ["max_capacity", "min_capacity"]}
        target = ctx.add("aws_appautoscaling_target", "", body)
        ctx.add(
            "aws_appautoscaling_policy",
            "cpu",
            {
                "name": "cpu-target-tracking",
                "policy_type": "TargetTrackingScaling",
                "service_namespace": target.attr("service_namespace"),
                "resource_id": target.attr("resource_id"),
                "scalable_dimension": target.attr("scalable_dimension"),
                "target_tracking_scaling_policy_configuration": [
                    {
                        "predefined_metric_specification": [{"predefined_metric_type": "ECSServiceAverageCPUUtilization"}],
                        "target_value": self.cpu_target,
                        "scale_in_cooldown": 300,
                        "scale_out_cooldown": 60,
                    }
                ],
            },
        )
        for i, action in enumerate(self.scheduled, 1):
            ctx.add(
                "aws_appautoscaling_scheduled_action",
                f"schedule_{i}",
                {
                    "name": ctx.aws_name(f"schedule-{i}", max_len=256),
                    "service_namespace": target.attr("service_namespace"),
                    "resource_id": target.attr("resource_id"),
                    "scalable_dimension": target.attr("scalable_dimension"),
                    "schedule": action.at,
                    "timezone": "UTC",
                    "scalable_target_action": [{"min_capacity": action.min, "max_capacity": action.max}],
                },
            )
        if schedule is not None:  # the cluster's hours: its tasks stop with its instances
            scalable = {k: target.attr(k) for k in ("service_namespace", "resource_id", "scalable_dimension")}
            for suffix, body in schedule.ecs_actions(scalable, ctx.aws_name(), (self.min, self.max)).items():
                ctx.add("aws_appautoscaling_scheduled_action", f"schedule_{suffix}", body)

    def running_schedule(self, arch: Architecture) -> Schedule | None:
        """Its cluster's schedule."""
        return arch.services[self.cluster].spec.running_schedule(arch)

    def _requests_scaling(self, ctx: ServiceContext, target_group_arn: str) -> None:
        """Target tracking on the requests each task gets through this target group (its load balancer counts them)."""
        group = ctx.stack.resources[f"aws_lb_target_group.{ref_name(target_group_arn)}"]
        balancer = ctx.other(group.owner).stack_ref("aws_lb")
        target = ctx.stack_ref("aws_appautoscaling_target")
        ctx.add(
            "aws_appautoscaling_policy",
            f"requests_{group.name}",
            {
                "name": f"requests-{group.owner}"[:255],
                "policy_type": "TargetTrackingScaling",
                "service_namespace": target.attr("service_namespace"),
                "resource_id": target.attr("resource_id"),
                "scalable_dimension": target.attr("scalable_dimension"),
                "target_tracking_scaling_policy_configuration": [
                    {
                        "predefined_metric_specification": [
                            {
                                "predefined_metric_type": "ALBRequestCountPerTarget",
                                "resource_label": f"{balancer.attr('arn_suffix')}/${{aws_lb_target_group.{group.name}.arn_suffix}}",
                            }
                        ],
                        "target_value": self.requests_target,
                        "scale_in_cooldown": 300,
                        "scale_out_cooldown": 60,
                    }
                ],
            },
        )

    def attach_target_group(self, node: ServiceNode, ctx: ServiceContext, target_group_arn: str, port: int) -> None:
        """The service registers its tasks' IPs on the container port."""
        body = ctx.stack.body(ctx.stack_ref("aws_ecs_service"))
        body.setdefault("load_balancer", []).append(
            {"target_group_arn": target_group_arn, "container_name": node.id, "container_port": self.port}
        )
        body["health_check_grace_period_seconds"] = 60
        # ECS refuses a target group no listener uses yet: wait for the load balancers'
        # listeners, and for the path rules that forward to this group (a group only a rule
        # uses is not attached to the load balancer until that rule exists).
        sources = {e.source for e in ctx.arch.edges_to(node.id) if e.via == "lb-target"}
        users = [
            r.address
            for r in ctx.stack.resources.values()
            if r.owner in sources
            and not r.data
            and (
                r.type == "aws_lb_listener"
                or (r.type == "aws_lb_listener_rule" and any(a.get("target_group_arn") == target_group_arn for a in r.body["action"]))
            )
        ]
        body["depends_on"] = sorted(set(body["depends_on"]) | set(users))
        if self.requests_target is not None and self.max > self.min:
            self._requests_scaling(ctx, target_group_arn)

    def alarms(self, node: ServiceNode, ctx: ServiceContext) -> list[dict[str, object]]:
        """CPU or memory pinned high although the service scales."""
        dims = {
            "ClusterName": ctx.other(self.cluster).stack_ref("aws_ecs_cluster").attr("name"),
            "ServiceName": ctx.stack_ref("aws_ecs_service").attr("name"),
        }
        return [
            alarm("CPUUtilization", "AWS/ECS", dims, 90, "Average", percent=True),
            alarm("MemoryUtilization", "AWS/ECS", dims, 90, "Average", percent=True),
        ]


def ecs_calls(arch: Architecture) -> tuple[list[Edge], dict[str, int]]:
    """The network connections between ECS services (each compiles into Service Connect,
    see ecs_wiring.py), and every ECS service's container port."""
    ports = {sid: n.spec.port for sid, n in arch.services.items() if isinstance(n.spec, EcsService)}
    return calls_between(arch, set(ports)), ports


def placeholder_command(port: int, health_path: str) -> str:
    """The placeholder's shell command: an nginx configuration written to /tmp, then nginx in the foreground.

    It answers 200 on ``health_path`` and on every other path, on ``port``, and writes only
    under /tmp, its prefix (pid, temp paths; logs go to stdout/stderr): /tmp is the one
    writable path of a read-only root file system (a task volume: Fargate has no tmpfs). The
    official image's entrypoint is skipped (it edits /etc/nginx). No ``$`` and no ``%{``:
    Terraform would read them as templates; ``health_path`` is a plain path (HTTP_PATH).

    >>> "listen 8080;" in placeholder_command(8080, "/health"), "location = /health" in placeholder_command(8080, "/health")
    (True, True)
    """
    temp = " ".join(f"{kind}_temp_path {kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = (
        "worker_processes 1; pid nginx.pid; events { worker_connections 256; } "
        f"http {{ access_log /dev/stdout; default_type text/plain; {temp} "
        f"server {{ listen {port}; location = {health_path} {{ return 200 ok; }} "
        "location / { return 200 archc-placeholder; } } }"
    )
    # -p: relative paths (the configuration, pid and temp paths) are under /tmp.
    return f"cd /tmp && printf '%s\\n' '{conf}' > nginx.conf && exec nginx -p /tmp -c nginx.conf -e stderr -g 'daemon off;'"


EKS_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


class EksCluster(Service):
    """An EKS cluster with a private API endpoint, encrypted secrets and a managed node group."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon EKS",
        family="containers",
        summary="Managed Kubernetes: a private control plane and a managed node group in the private subnets.",
        icon="aws.compute.EKS",
        placement="private",
        principal="ec2.amazonaws.com",
        needs="network",
    )

    kind: Literal["eks"]
    version: str = Field("1.33", pattern=r"^1\.\d{2}$", description="Kubernetes version.")
    instance_types: list[Annotated[str, Field(pattern=INSTANCE_TYPE)]] = Field(
        default_factory=lambda: ["t3.medium"], min_length=1, max_length=10, description="Node instance types (one architecture)."
    )
    min: int = Field(2, ge=0, le=450, description="Fewest nodes.")
    max: int = Field(4, ge=1, le=450, description="Most nodes.")
    desired: int = Field(2, ge=0, le=450, description="Nodes at creation (a cluster autoscaler moves it afterwards).")
    volume_gb: int = Field(20, ge=20, le=16384, description="Node root volume size in GiB (encrypted gp3).")
    public_access_cidrs: list[Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]] = Field(
        default_factory=list,
        max_length=40,
        description="Networks that may reach the API endpoint from the internet (default none: private endpoint only, "
        "kubectl runs from the VPC).",
    )

    def check(self, facts: Facts) -> list[Problem]:
        """Sizes in order, one architecture, no API endpoint open to the world."""
        if "0.0.0.0/0" in self.public_access_cidrs:
            return [
                Problem(
                    "value", "public_access_cidrs must not contain 0.0.0.0/0: list the networks of your operators", "public_access_cidrs"
                )
            ]
        if len({is_arm64(t) for t in self.instance_types}) > 1:
            return [
                Problem(
                    "conflict",
                    "instance_types mixes arm64 (Graviton) and x86_64 types; a node group has one architecture",
                    "instance_types",
                )
            ]
        return size_problems(self.min, self.desired, self.max)

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """KMS key, log group, cluster role and cluster, node launch template and node group."""
        name = ctx.physical_name("aws_eks_cluster")
        # The key policy only delegates to the account's IAM policies (the cluster role's policy below).
        policy = ctx.data("aws_iam_policy_document", "key", {"statement": [support.root_statement(ctx)]})
        key = ctx.add(
            "aws_kms_key",
            "",
            {
                "description": f"EKS secrets of {name}",
                "enable_key_rotation": True,
                "deletion_window_in_days": 30,
                "policy": policy.attr("json"),
                "tags": ctx.tags(),
            },
        )
        logs = ctx.add(
            "aws_cloudwatch_log_group",
            "",
            {"name": f"/aws/eks/{name}/cluster", "retention_in_days": LOG_RETENTION_DAYS, "tags": ctx.tags()},
        )
        role = extra_role(ctx, "cluster", "eks.amazonaws.com")
        kms = {"actions": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ListGrants"], "resources": [key.arn]}
        deps = [
            *attach_policies(ctx, role, {"cluster_policy": "AmazonEKSClusterPolicy"}),
            inline_policy(ctx, "cluster_kms", role, [kms]).address,
        ]
        vpc: dict[str, Any] = {
            "subnet_ids": ctx.subnet_ids(),
            "security_group_ids": [ctx.security_group.id],
            "endpoint_private_access": True,
            "endpoint_public_access": bool(self.public_access_cidrs),
        }
        if self.public_access_cidrs:
            vpc["public_access_cidrs"] = self.public_access_cidrs
        cluster = ctx.add(
            "aws_eks_cluster",
            "",
            {
                "name": name,
                "role_arn": role.arn,
                "version": self.version,
                "vpc_config": [vpc],
                "encryption_config": [{"resources": ["secrets"], "provider": [{"key_arn": key.arn}]}],
                "enabled_cluster_log_types": EKS_LOGS,
                "access_config": [{"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True}],
                "tags": ctx.tags(),
                "depends_on": sorted([*deps, logs.address]),
            },
        )
        self._nodes(ctx, cluster.attr("name"), cluster.attr("vpc_config[0].cluster_security_group_id"))
        ctx.output("cluster_name", cluster.attr("name"), f"Name of the {node.id} cluster (aws eks update-kubeconfig --name ...).")
        ctx.output("endpoint", cluster.attr("endpoint"), f"Private API endpoint of the {node.id} cluster.")

    def _nodes(self, ctx: ServiceContext, cluster_name: str, cluster_sg: str) -> None:
        """Nodes carry the cluster's security group and the service's (for its connections)."""
        node_policies = {
            "node_worker": "AmazonEKSWorkerNodePolicy",
            "node_cni": "AmazonEKS_CNI_Policy",
            "node_ecr": "AmazonEC2ContainerRegistryPullOnly",
            **SSM_POLICY,
        }
        deps = attach_policies(ctx, ctx.role, node_policies)
        template = ctx.add(
            "aws_launch_template",
            "",
            {
                "name": ctx.physical_name("aws_launch_template", "nodes"),
                "update_default_version": True,
                "vpc_security_group_ids": [cluster_sg, ctx.security_group.id],
                # Hop limit 1: pods cannot borrow the node's role (use EKS Pod Identity).
                "metadata_options": [{"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1}],
                "block_device_mappings": [
                    {"device_name": "/dev/xvda", "ebs": [{"volume_size": self.volume_gb, "volume_type": "gp3", "encrypted": "true"}]}
                ],
                "tag_specifications": [
                    {"resource_type": "instance", "tags": ctx.tags("node")},
                    {"resource_type": "volume", "tags": ctx.tags("node")},
                ],
                "tags": ctx.tags("nodes"),
            },
        )
        ctx.add(
            "aws_eks_node_group",
            "",
            {
                "cluster_name": cluster_name,
                "node_group_name": ctx.physical_name("aws_eks_node_group", "nodes", attribute="node_group_name"),
                "node_role_arn": ctx.role.arn,
                "subnet_ids": ctx.subnet_ids(),
                "instance_types": self.instance_types,
                "ami_type": "AL2023_ARM_64_STANDARD" if is_arm64(self.instance_types[0]) else "AL2023_x86_64_STANDARD",
                "capacity_type": "ON_DEMAND",
                "scaling_config": [{"min_size": self.min, "max_size": self.max, "desired_size": self.desired}],
                "update_config": [{"max_unavailable": 1}],
                "launch_template": [{"id": template.id, "version": template.attr("latest_version")}],
                "tags": ctx.tags("nodes"),
                "lifecycle": {"ignore_changes": ["scaling_config[0].desired_size"]},
                "depends_on": sorted(deps),
            },
        )
