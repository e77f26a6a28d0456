"""Developer tools: CodeCommit, CodeBuild, CodeDeploy and the CodePipeline tying them together."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from modules import support
from modules.base import Facts, KindInfo, Problem, Service

if TYPE_CHECKING:
    from compiler.ir import Edge, ServiceNode
    from compiler.terraform.context import Ref, ServiceContext

BRANCH = r"^[A-Za-z0-9._/-]{1,100}$"
# Stage order in a pipeline, whatever the order of its connections.
STAGE_ORDER = ("Source", "Build", "Test", "Deploy")


def _action(category: str, provider: str, name: str, configuration: dict[str, str]) -> dict[str, object]:
    """A pipeline stage with one AWS-owned action; the pipeline threads the artifacts."""
    action = {"name": name, "category": category, "owner": "AWS", "provider": provider, "version": "1", "configuration": configuration}
    return {"name": f"{category}-{name}", "action": [action]}


class CodeCommitRepository(Service):
    """A private Git repository, encrypted at rest."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS CodeCommit",
        family="devtools",
        summary="A private Git repository in the account, the source stage of a pipeline. "
        "AWS closed CodeCommit to new customers in July 2024: accounts without it use GitHub "
        "or another Git host through CodeStar Connections instead.",
        icon="aws.devtools.Codecommit",
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
        access={
            "read": (
                "codecommit:GitPull",
                "codecommit:GetBranch",
                "codecommit:GetCommit",
                "codecommit:UploadArchive",
                "codecommit:GetUploadArchiveStatus",
                "codecommit:CancelUploadArchive",
            ),
            "write": ("codecommit:GitPull", "codecommit:GitPush", "codecommit:GetBranch", "codecommit:GetCommit"),
        },
        offers=("pipeline-stage",),
    )

    kind: Literal["codecommit"]
    default_branch: str = Field(
        "main", pattern=BRANCH, description="The branch pipelines build. Push it once: a new repository has no branches yet."
    )

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The repository (its default branch appears with the first push)."""
        # No default_branch attribute: CodeCommit refuses it until the branch exists,
        # which would fail the first apply of an empty repository.
        repo = ctx.add(
            "aws_codecommit_repository",
            "",
            {
                "repository_name": ctx.physical_name("aws_codecommit_repository", attribute="repository_name"),
                "description": self.description or f"archc: {node.id}",
                "tags": ctx.tags(),
            },
        )
        ctx.output("clone_url_http", repo.attr("clone_url_http"), f"HTTPS clone URL of the {node.id} repository.")

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The repository."""
        return [ctx.stack_ref("aws_codecommit_repository").arn]

    def pipeline_stage(self, node: ServiceNode, ctx: ServiceContext, pipeline: ServiceNode) -> dict[str, object]:
        """The source stage, started by an EventBridge rule on pushes to the branch (no polling)."""
        repo = ctx.stack_ref("aws_codecommit_repository")
        suffix = f"to_{pipeline.tf_name}"
        pattern = {
            "source": ["aws.codecommit"],
            "detail-type": ["CodeCommit Repository State Change"],
            "resources": [repo.arn],
            "detail": {
                "event": ["referenceCreated", "referenceUpdated"],
                "referenceType": ["branch"],
                "referenceName": [self.default_branch],
            },
        }
        rule = ctx.add(
            "aws_cloudwatch_event_rule",
            suffix,
            {
                "name": ctx.physical_name("aws_cloudwatch_event_rule", support.dashed(suffix)),
                "event_pattern": json.dumps(pattern, sort_keys=True),
                "tags": ctx.tags(support.dashed(suffix)),
            },
        )
        pipeline_arn = ctx.other(pipeline.id).stack_ref("aws_codepipeline").arn
        assume = ctx.data(
            "aws_iam_policy_document",
            f"{suffix}_assume",
            {"statement": [{"actions": ["sts:AssumeRole"], "principals": [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]}]},
        )
        role = ctx.add(
            "aws_iam_role",
            suffix,
            {
                "name": ctx.physical_name("aws_iam_role", support.dashed(suffix)),
                "assume_role_policy": assume.attr("json"),
                "tags": ctx.tags(support.dashed(suffix)),
            },
        )
        support.role_policy(
            ctx,
            suffix,
            role,
            [{"sid": "StartPipeline", "actions": ["codepipeline:StartPipelineExecution"], "resources": [pipeline_arn]}],
            "start-pipeline",
        )
        ctx.add("aws_cloudwatch_event_target", suffix, {"rule": rule.attr("name"), "arn": pipeline_arn, "role_arn": role.arn})
        return _action(
            "Source",
            "CodeCommit",
            node.id,
            {"RepositoryName": repo.attr("repository_name"), "BranchName": self.default_branch, "PollForSourceChanges": "false"},
        )


class CodeBuildProject(Service):
    """A build project: managed image, encrypted artifacts, logs kept a year."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS CodeBuild",
        family="devtools",
        summary="Runs the build and tests of each commit in a fresh managed container (the build stage of a pipeline).",
        icon="aws.devtools.Codebuild",
        access={"start": ("codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild")},
        principal="codebuild.amazonaws.com",
        # A build may call other services (push an image to ECR...) with its role.
        needs="network",
        offers=("pipeline-stage",),
    )

    kind: Literal["codebuild"]
    image: str = Field("aws/codebuild/amazonlinux-x86_64-standard:5.0", description="The build container image.")
    compute_type: Literal["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"] = "BUILD_GENERAL1_SMALL"
    buildspec: str = Field("buildspec.yml", min_length=1, description="Path of the buildspec in the source (a pipeline's source stage).")
    privileged: bool = Field(False, description="Docker-in-Docker (needed to build container images); root in the build container.")
    timeout_minutes: int = Field(60, ge=5, le=2160)

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Key, log group and project; its role may write only its logs and use only its key."""
        key = support.kms_key(ctx, "", f"archc: {node.id} build artifacts", [])
        logs = support.log_group(ctx, "", f"/aws/codebuild/{ctx.aws_name()}")
        in_pipeline = any(e.via == "pipeline-stage" for e in ctx.arch.edges_to(node.id))
        # Outside a pipeline a project has no source: the buildspec must then be inline.
        source = (
            {"type": "CODEPIPELINE", "buildspec": self.buildspec}
            if in_pipeline
            else {"type": "NO_SOURCE", "buildspec": _PLACEHOLDER_BUILDSPEC}
        )
        project = ctx.add(
            "aws_codebuild_project",
            "",
            {
                "name": ctx.physical_name("aws_codebuild_project"),
                "description": self.description or f"archc: {node.id}",
                "service_role": ctx.role.arn,
                "build_timeout": self.timeout_minutes,
                "encryption_key": key.arn,
                "artifacts": [{"type": "CODEPIPELINE" if in_pipeline else "NO_ARTIFACTS"}],
                "source": [source],
                "environment": [
                    {
                        "compute_type": self.compute_type,
                        "image": self.image,
                        "type": "LINUX_CONTAINER",
                        "image_pull_credentials_type": "CODEBUILD",
                        "privileged_mode": self.privileged,
                    }
                ],
                "logs_config": [
                    {"cloudwatch_logs": [{"status": "ENABLED", "group_name": logs.attr("name")}], "s3_logs": [{"status": "DISABLED"}]}
                ],
                "tags": ctx.tags(),
            },
        )
        support.role_policy(
            ctx,
            "own",
            ctx.role,
            [
                {
                    "sid": "BuildLogs",
                    "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "resources": [logs.arn, f"{logs.arn}:log-stream:*"],
                },
                {
                    "sid": "ArtifactKey",
                    "actions": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey"],
                    "resources": [key.arn],
                },
            ],
            "build-logs-and-key",
        )
        ctx.output("project_name", project.attr("name"), f"Name of the {node.id} build project.")

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The project."""
        return [ctx.stack_ref("aws_codebuild_project").arn]

    def pipeline_stage(self, node: ServiceNode, ctx: ServiceContext, pipeline: ServiceNode) -> dict[str, object]:
        """The build stage."""
        return _action("Build", "CodeBuild", node.id, {"ProjectName": ctx.stack_ref("aws_codebuild_project").attr("name")})


_PLACEHOLDER_BUILDSPEC = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo 'archc: replace this buildspec'\n"

DEPLOY_CONFIGS = {
    "one-at-a-time": "CodeDeployDefault.OneAtATime",
    "half-at-a-time": "CodeDeployDefault.HalfAtATime",
    "all-at-once": "CodeDeployDefault.AllAtOnce",
}


class CodeDeployApplication(Service):
    """An application and one deployment group over the instances it deploys to."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS CodeDeploy",
        family="devtools",
        summary="Rolls a new revision out to EC2 instances or Auto Scaling groups, a few at a time, and rolls back on failure.",
        icon="aws.devtools.Codedeploy",
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
        access={
            "deploy": (
                "codedeploy:CreateDeployment",
                "codedeploy:GetApplication",
                "codedeploy:GetApplicationRevision",
                "codedeploy:GetDeployment",
                "codedeploy:GetDeploymentConfig",
                "codedeploy:RegisterApplicationRevision",
            )
        },
        principal="codedeploy.amazonaws.com",
        needs="deploy-target",
        offers=("pipeline-stage",),
    )

    kind: Literal["codedeploy"]
    deployment_config: Literal["one-at-a-time", "half-at-a-time", "all-at-once"] = Field(
        "one-at-a-time", description="How many instances are updated at once."
    )

    def check(self, facts: Facts) -> list[Problem]:
        """A deployment group needs something to deploy to."""
        if facts.outbound == 0:
            return [
                Problem(
                    "connection",
                    "codedeploy deploys to nothing: connect it to the instances or Auto Scaling groups it updates (codedeploy -> asg)",
                )
            ]
        return []

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Application, deployment group (targets come from connections), service role policy."""
        partition, _ = support.account(ctx)
        ctx.add(
            "aws_iam_role_policy_attachment",
            "",
            {"role": ctx.role.id, "policy_arn": f"arn:{partition}:iam::aws:policy/service-role/AWSCodeDeployRole"},
        )
        app = ctx.add(
            "aws_codedeploy_app", "", {"name": ctx.physical_name("aws_codedeploy_app"), "compute_platform": "Server", "tags": ctx.tags()}
        )
        group = ctx.add(
            "aws_codedeploy_deployment_group",
            "",
            {
                "app_name": app.attr("name"),
                "deployment_group_name": ctx.physical_name("aws_codedeploy_deployment_group", attribute="deployment_group_name"),
                "service_role_arn": ctx.role.arn,
                "deployment_config_name": DEPLOY_CONFIGS[self.deployment_config],
                "deployment_style": [{"deployment_option": "WITHOUT_TRAFFIC_CONTROL", "deployment_type": "IN_PLACE"}],
                "auto_rollback_configuration": [{"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}],
                "tags": ctx.tags(),
            },
        )
        # What a caller names in CreateDeployment: published to callers (discovery).
        ctx.output("application_name", app.attr("name"), f"Name of the {node.id} CodeDeploy application.")
        ctx.output("deployment_group_name", group.attr("deployment_group_name"), f"Deployment group of the {node.id} application.")

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """Add the target's instances to the deployment group."""
        other = ctx.other(target.id)
        found: dict[str, object]
        if type(target.spec).deployment_target is Service.deployment_target:
            # A kind offering "deploy-target" without the method: its Auto Scaling group.
            found = {"autoscaling_groups": [other.stack_ref("aws_autoscaling_group").attr("name")]}
        else:
            found = target.spec.deployment_target(target, other)
        group_ref = ctx.stack_ref("aws_codedeploy_deployment_group")
        group = ctx.stack.body(group_ref)
        settings: dict[str, Any] = dict(found)
        # Both were added by terraform(): name them as this connection's parts.
        ctx.stack.realize("trigger", group_ref, f"{', '.join(sorted(settings))} naming {target.id}")
        ctx.stack.realize(
            "permission", ctx.stack_ref("aws_iam_role_policy_attachment"), "AWSCodeDeployRole: instances and Auto Scaling groups"
        )
        for key, value in settings.items():
            if key == "ec2_tag_set":
                # Several tag sets must all match (AND); filters of one set match any (OR).
                sets = group.setdefault("ec2_tag_set", [{"ec2_tag_filter": []}])
                sets[0]["ec2_tag_filter"] += [f for s in value for f in s["ec2_tag_filter"]]
            elif isinstance(value, list):
                group[key] = [*group.get(key, []), *value]
            else:
                group[key] = value

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The application, its deployment group and its deployment configuration."""
        config = support.arn(ctx, "codedeploy", f"deploymentconfig:{DEPLOY_CONFIGS[self.deployment_config]}")
        return [ctx.stack_ref("aws_codedeploy_app").arn, ctx.stack_ref("aws_codedeploy_deployment_group").arn, config]

    def pipeline_stage(self, node: ServiceNode, ctx: ServiceContext, pipeline: ServiceNode) -> dict[str, object]:
        """The deploy stage."""
        return _action(
            "Deploy",
            "CodeDeploy",
            node.id,
            {
                "ApplicationName": ctx.stack_ref("aws_codedeploy_app").attr("name"),
                "DeploymentGroupName": ctx.stack_ref("aws_codedeploy_deployment_group").attr("deployment_group_name"),
            },
        )


class CodePipeline(Service):
    """A release pipeline: source, build and deploy stages from its connections, encrypted artifacts."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS CodePipeline",
        family="devtools",
        summary="Runs every change through its stages: source (CodeCommit), build (CodeBuild), deploy (CodeDeploy), "
        "one per connection, in that order.",
        icon="aws.devtools.Codepipeline",
        monitorable=False,  # no AWS metric worth an alarm: cloudwatch -> it is refused
        principal="codepipeline.amazonaws.com",
        needs="pipeline-stage",
    )

    kind: Literal["codepipeline"]
    artifact_days: int = Field(90, ge=1, le=3650, description="Delete build artifacts after this many days.")

    def check(self, facts: Facts) -> list[Problem]:
        """AWS requires a source stage and at least one more."""
        if facts.outbound < 2:
            return [
                Problem(
                    "connection",
                    f"codepipeline needs at least 2 stages and has {facts.outbound}: connect it to a source (codecommit) "
                    "and to a build or deploy service (codebuild, codedeploy)",
                )
            ]
        return []

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Artifact key and bucket, the pipeline (stages come from connections), its role's base policy."""
        key = support.kms_key(ctx, "artifacts", f"archc: {node.id} pipeline artifacts", [])
        bucket = support.private_bucket(ctx, "artifacts", key_arn=key.arn)
        body = ctx.stack.body(ctx.stack_ref("aws_s3_bucket_lifecycle_configuration", "artifacts"))
        body["rule"].insert(
            0, {"id": "expire-artifacts", "status": "Enabled", "filter": [{}], "expiration": [{"days": self.artifact_days}]}
        )
        doc = ctx.data("aws_iam_policy_document", "artifacts_bucket", {"statement": [support.deny_insecure_transport(bucket)]})
        ctx.add("aws_s3_bucket_policy", "artifacts", {"bucket": bucket.id, "policy": doc.attr("json")})
        pipeline = ctx.add(
            "aws_codepipeline",
            "",
            {
                "name": ctx.physical_name("aws_codepipeline"),
                "pipeline_type": "V2",
                "role_arn": ctx.role.arn,
                "artifact_store": [{"location": bucket.id, "type": "S3", "encryption_key": [{"id": key.arn, "type": "KMS"}]}],
                "stage": [],
                "tags": ctx.tags(),
            },
        )
        support.role_policy(ctx, "artifacts", ctx.role, _artifact_statements(bucket, key, write=True), "pipeline-artifacts")
        ctx.output("name", pipeline.attr("name"), f"Name of the {node.id} pipeline.")

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """Add the target's stage, re-thread the artifacts, grant the role and the stage's workers."""
        other = ctx.other(target.id)
        body = ctx.stack.body(ctx.stack_ref("aws_codepipeline"))
        stage = target.spec.pipeline_stage(target, other, ctx.node)
        body["stage"] = _thread([*body["stage"], stage])
        ctx.stack.realize("trigger", ctx.stack_ref("aws_codepipeline"), f"stage '{stage['name']}'")
        level = next(iter(target.spec.info.access))
        support.role_policy(
            ctx,
            f"to_{target.tf_name}",
            ctx.role,
            [{"sid": "Stage", "actions": sorted(target.spec.info.access[level]), "resources": target.spec.arns(target, other)}],
            f"stage-{target.id}",
        )
        # Whoever does the stage's work reads the artifacts: a build (which also writes
        # its output), or the instances a deployment installs the revision on.
        category = stage["action"][0]["category"]  # type: ignore[index]
        if category == "Build":
            workers = [target]
        else:
            workers = [ctx.arch.services[e.target] for e in ctx.arch.edges_from(target.id) if e.via == "deploy-target"]
        bucket, key = ctx.stack_ref("aws_s3_bucket", "artifacts"), ctx.stack_ref("aws_kms_key", "artifacts")
        for worker in workers:
            name = f"artifacts_{worker.tf_name}"
            if worker.spec.info.principal and not ctx.stack.has(ctx.stack_ref("aws_iam_role_policy", name)):
                statements = _artifact_statements(bucket, key, write=category == "Build")
                support.role_policy(ctx, name, ctx.other(worker.id).role, statements, f"artifacts-{ctx.node.id}")


def _thread(stages: list[dict[str, object]]) -> list[dict[str, object]]:
    """Order stages source -> build -> deploy; each action reads the latest artifact and
    sources and builds write their own."""
    ordered = sorted(stages, key=lambda s: STAGE_ORDER.index(s["action"][0]["category"]))  # type: ignore[index]
    latest = None
    for stage in ordered:
        for action in stage["action"]:  # type: ignore[attr-defined]
            action.pop("input_artifacts", None)
            action.pop("output_artifacts", None)
            if latest and action["category"] != "Source":
                action["input_artifacts"] = [latest]
            if action["category"] in ("Source", "Build"):
                latest = f"{action['name'].replace('-', '_')}_output"
                action["output_artifacts"] = [latest]
    return ordered


def _artifact_statements(bucket: Ref, key: Ref, *, write: bool) -> list[dict[str, object]]:
    """Read (and write) pipeline artifacts: objects of the artifact bucket and its key."""
    s3 = ["s3:GetObject", "s3:GetObjectVersion", *(["s3:PutObject"] if write else [])]
    kms = ["kms:Decrypt", "kms:DescribeKey", *(["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"] if write else [])]
    return [
        {"sid": "ArtifactObjects", "actions": s3, "resources": [f"{bucket.arn}/*"]},
        {
            "sid": "ArtifactBucket",
            "actions": ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
            "resources": [bucket.arn],
        },
        {"sid": "ArtifactKey", "actions": kms, "resources": [key.arn]},
    ]
