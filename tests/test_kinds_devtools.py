"""The devtools kinds: codecommit, codebuild, codedeploy, codepipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler import pipeline
from compiler.errors import ArchcError
from tests.kinds_helpers import HEAD, body_error, body_plan_errors, compile_body


def build(tmp_path: Path, body: str) -> dict[str, Any]:
    """Compile a model (HEAD + body) and return the stack's Terraform JSON."""
    return json.loads(compile_body(tmp_path, body))  # type: ignore[no-any-return]


error = body_error
plan_errors = body_plan_errors


def statements(tf: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return tf["data"]["aws_iam_policy_document"][name]["statement"]  # type: ignore[no-any-return]


# --- codecommit ------------------------------------------------------------------------
def test_codecommit_repository_and_read_access(tmp_path: Path) -> None:
    body = "layers:\n  - name: ci\n    services:\n      repo: {kind: codecommit}\n      fn: {kind: lambda}\nconnections:\n  - fn -> repo\n"
    tf = build(tmp_path, body)
    repo = tf["resource"]["aws_codecommit_repository"]["repo"]
    assert repo["repository_name"] == "t-repo"
    # An empty repository has no branch yet: setting default_branch would fail the first apply.
    assert "default_branch" not in repo
    assert tf["output"]["repo_clone_url_http"]["value"] == "${aws_codecommit_repository.repo.clone_url_http}"
    (grant,) = statements(tf, "fn_to_repo")
    assert grant["resources"] == ["${aws_codecommit_repository.repo.arn}"]
    assert "codecommit:GitPull" in grant["actions"]
    assert "codecommit:GitPush" not in grant["actions"]


def test_codecommit_bad_branch(tmp_path: Path) -> None:
    body = 'layers:\n  - name: ci\n    services:\n      repo: {kind: codecommit, default_branch: "my branch"}\n'
    assert (
        error(tmp_path, body)
        == "model.yaml:7:48: error[value]: 'default_branch' 'my branch' does not match the pattern ^[A-Za-z0-9._/-]{1,100}$"
    )


# --- codebuild -------------------------------------------------------------------------
def test_codebuild_standalone_project(tmp_path: Path) -> None:
    tf = build(tmp_path, "layers:\n  - name: ci\n    services:\n      build: {kind: codebuild}\n")
    res = tf["resource"]
    project = res["aws_codebuild_project"]["build"]
    assert project["service_role"] == "${aws_iam_role.build.arn}"
    assert project["encryption_key"] == "${aws_kms_key.build.arn}"
    assert project["source"][0]["type"] == "NO_SOURCE"
    assert project["artifacts"] == [{"type": "NO_ARTIFACTS"}]
    assert project["environment"][0]["privileged_mode"] is False
    assert project["logs_config"][0]["cloudwatch_logs"] == [{"status": "ENABLED", "group_name": "${aws_cloudwatch_log_group.build.name}"}]
    assert res["aws_cloudwatch_log_group"]["build"]["retention_in_days"] == 365
    assert res["aws_kms_key"]["build"]["enable_key_rotation"] is True
    own = {s["sid"]: s["resources"] for s in statements(tf, "build_own")}
    assert own == {
        "BuildLogs": ["${aws_cloudwatch_log_group.build.arn}", "${aws_cloudwatch_log_group.build.arn}:log-stream:*"],
        "ArtifactKey": ["${aws_kms_key.build.arn}"],
    }


def test_codebuild_bad_compute_type(tmp_path: Path) -> None:
    body = "layers:\n  - name: ci\n    services:\n      build: {kind: codebuild, compute_type: HUGE}\n"
    assert error(tmp_path, body) == (
        "model.yaml:7:46: error[value]: 'compute_type' must be "
        "'BUILD_GENERAL1_SMALL', 'BUILD_GENERAL1_MEDIUM' or 'BUILD_GENERAL1_LARGE', not 'HUGE'"
    )


# --- codedeploy ------------------------------------------------------------------------
DEPLOY = """layers:
  - name: ci
    services:
      deploy: {kind: codedeploy, deployment_config: all-at-once}
  - name: app
    services:
      web: {kind: asg}
connections:
  - deploy -> web
"""


def test_codedeploy_to_an_auto_scaling_group(tmp_path: Path) -> None:
    tf = build(tmp_path, DEPLOY)
    res = tf["resource"]
    assert res["aws_codedeploy_app"]["deploy"]["compute_platform"] == "Server"
    group = res["aws_codedeploy_deployment_group"]["deploy"]
    assert group["autoscaling_groups"] == ["${aws_autoscaling_group.web.name}"]
    assert group["deployment_config_name"] == "CodeDeployDefault.AllAtOnce"
    assert group["auto_rollback_configuration"] == [{"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}]
    assert group["service_role_arn"] == "${aws_iam_role.deploy.arn}"
    attachment = res["aws_iam_role_policy_attachment"]["deploy"]
    assert attachment["policy_arn"] == "arn:${data.aws_partition.archc.partition}:iam::aws:policy/service-role/AWSCodeDeployRole"


def test_codedeploy_to_instances_by_tag(tmp_path: Path) -> None:
    tf = build(
        tmp_path,
        DEPLOY.replace("web: {kind: asg}", "web: {kind: asg}\n      vm: {kind: ec2}\n      vm2: {kind: ec2}")
        + "  - deploy -> vm\n  - deploy -> vm2\n",
    )
    group = tf["resource"]["aws_codedeploy_deployment_group"]["deploy"]
    assert group["autoscaling_groups"] == ["${aws_autoscaling_group.web.name}"]
    # One tag set: its filters match any of the instances.
    (tag_set,) = group["ec2_tag_set"]
    assert [f["value"] for f in tag_set["ec2_tag_filter"]] == ["vm", "vm2"]


def test_codedeploy_needs_a_target(tmp_path: Path) -> None:
    body = "layers:\n  - name: ci\n    services:\n      deploy: {kind: codedeploy}\n"
    assert error(tmp_path, body) == (
        "model.yaml:7:7: error[connection]: codedeploy deploys to nothing: "
        "connect it to the instances or Auto Scaling groups it updates (codedeploy -> asg)"
    )


def test_codedeploy_bad_config(tmp_path: Path) -> None:
    body = "layers:\n  - name: ci\n    services:\n      deploy: {kind: codedeploy, deployment_config: fast}\n"
    assert error(tmp_path, body) == (
        "model.yaml:7:53: error[value]: 'deployment_config' must be 'one-at-a-time', 'half-at-a-time' or 'all-at-once', not 'fast'"
    )


# --- codepipeline ----------------------------------------------------------------------
PIPELINE = """layers:
  - name: ci
    services:
      repo: {kind: codecommit, default_branch: release}
      build: {kind: codebuild}
      deploy: {kind: codedeploy}
      pipe: {kind: codepipeline}
  - name: app
    services:
      web: {kind: asg}
connections:
  - pipe -> deploy
  - pipe -> build
  - pipe -> repo
  - deploy -> web
"""


def test_codepipeline_source_build_deploy(tmp_path: Path) -> None:
    tf = build(tmp_path, PIPELINE)
    res = tf["resource"]
    pipe = res["aws_codepipeline"]["pipe"]
    assert pipe["role_arn"] == "${aws_iam_role.pipe.arn}"
    assert pipe["artifact_store"] == [
        {
            "location": "${aws_s3_bucket.pipe_artifacts.id}",
            "type": "S3",
            "encryption_key": [{"id": "${aws_kms_key.pipe_artifacts.arn}", "type": "KMS"}],
        }
    ]
    # Stages in source -> build -> deploy order whatever the connection order, artifacts threaded.
    actions = [stage["action"][0] for stage in pipe["stage"]]
    assert [(a["category"], a["provider"]) for a in actions] == [("Source", "CodeCommit"), ("Build", "CodeBuild"), ("Deploy", "CodeDeploy")]
    assert actions[0]["configuration"] == {
        "RepositoryName": "${aws_codecommit_repository.repo.repository_name}",
        "BranchName": "release",
        "PollForSourceChanges": "false",
    }
    assert (actions[0].get("input_artifacts"), actions[0]["output_artifacts"]) == (None, ["repo_output"])
    assert (actions[1]["input_artifacts"], actions[1]["output_artifacts"]) == (["repo_output"], ["build_output"])
    assert actions[1]["configuration"] == {"ProjectName": "${aws_codebuild_project.build.name}"}
    assert actions[2]["input_artifacts"] == ["build_output"]
    assert actions[2]["configuration"]["DeploymentGroupName"] == "${aws_codedeploy_deployment_group.deploy.deployment_group_name}"
    # In a pipeline, the build reads its source from the pipeline.
    assert res["aws_codebuild_project"]["build"]["source"][0] == {"type": "CODEPIPELINE", "buildspec": "buildspec.yml"}
    # Pushes to the branch start the pipeline.
    rule = res["aws_cloudwatch_event_rule"]["repo_to_pipe"]
    assert json.loads(rule["event_pattern"])["detail"]["referenceName"] == ["release"]
    assert res["aws_cloudwatch_event_target"]["repo_to_pipe"]["arn"] == "${aws_codepipeline.pipe.arn}"
    assert statements(tf, "repo_to_pipe")[0]["resources"] == ["${aws_codepipeline.pipe.arn}"]
    # The artifact bucket is private and encrypted with the pipeline's key.
    sse = res["aws_s3_bucket_server_side_encryption_configuration"]["pipe_artifacts"]["rule"][0]
    assert sse["apply_server_side_encryption_by_default"] == [
        {"sse_algorithm": "aws:kms", "kms_master_key_id": "${aws_kms_key.pipe_artifacts.arn}"}
    ]
    assert res["aws_s3_bucket_public_access_block"]["pipe_artifacts"]["block_public_policy"] is True


def test_codepipeline_permissions(tmp_path: Path) -> None:
    tf = build(tmp_path, PIPELINE)
    res = tf["resource"]
    # The pipeline role: each stage's actions on that stage's resources only.
    assert statements(tf, "pipe_to_repo")[0]["resources"] == ["${aws_codecommit_repository.repo.arn}"]
    assert statements(tf, "pipe_to_build")[0]["actions"] == ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"]
    assert statements(tf, "pipe_to_deploy")[0]["resources"][:2] == [
        "${aws_codedeploy_app.deploy.arn}",
        "${aws_codedeploy_deployment_group.deploy.arn}",
    ]
    # The build writes artifacts; the deployed instances read them.
    assert res["aws_iam_role_policy"]["pipe_artifacts_build"]["role"] == "${aws_iam_role.build.id}"
    assert "s3:PutObject" in statements(tf, "pipe_artifacts_build")[0]["actions"]
    assert res["aws_iam_role_policy"]["pipe_artifacts_web"]["role"] == "${aws_iam_role.web.id}"
    assert statements(tf, "pipe_artifacts_web")[0]["actions"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert "pipe_artifacts_deploy" not in res["aws_iam_role_policy"]


def test_codepipeline_needs_two_stages(tmp_path: Path) -> None:
    body = "layers:\n  - name: ci\n    services:\n      repo: {kind: codecommit}\n      pipe: {kind: codepipeline}\n"
    body += "connections:\n  - pipe -> repo\n"
    assert error(tmp_path, body) == (
        "model.yaml:8:7: error[connection]: codepipeline needs at least 2 stages and has 1: "
        "connect it to a source (codecommit) and to a build or deploy service (codebuild, codedeploy)"
    )


def test_codepipeline_stages_only(tmp_path: Path) -> None:
    body = "layers:\n  - name: ci\n    services:\n      db: {kind: rds}\n      pipe: {kind: codepipeline}\nconnections:\n  - pipe -> db\n"
    path = tmp_path / "model.yaml"
    path.write_text(HEAD + body)
    with pytest.raises(ArchcError) as exc:
        pipeline.load(path, "model.yaml")
    assert [d.format() for d in exc.value.diagnostics][-1] == (
        "model.yaml:10:5: error[connection]: pipe (codepipeline) -> db (rds): "
        "codepipeline connects only to codebuild, codecommit, codedeploy"
    )


def test_devtools_kinds_plan(tmp_path: Path) -> None:
    assert plan_errors(tmp_path, PIPELINE) == []


# --- what each connection compiled into (realization.py) ----------------------------------
def _parts(tmp_path: Path, body: str, edge: str) -> list[tuple[str, str, str]]:
    path = tmp_path / "model.yaml"
    path.write_text(HEAD + body)
    stack = pipeline._checked_stack(pipeline.load(path, "model.yaml"))
    return [(p.element, p.address, p.detail) for p in stack.parts(edge)]


def test_codedeploy_connection_is_its_deployment_group_and_role(tmp_path: Path) -> None:
    """Both come from terraform(), not connect(): the connection names them."""
    assert _parts(tmp_path, DEPLOY, "deploy->web") == [
        ("permission", "aws_iam_role_policy_attachment.deploy", "AWSCodeDeployRole: instances and Auto Scaling groups"),
        ("trigger", "aws_codedeploy_deployment_group.deploy", "autoscaling_groups naming web"),
    ]


def test_codepipeline_connection_is_its_stage(tmp_path: Path) -> None:
    parts = _parts(tmp_path, PIPELINE, "pipe->deploy")
    assert ("trigger", "aws_codepipeline.pipe", "stage 'Deploy-deploy'") in parts
    assert ("permission", "aws_iam_role_policy.pipe_to_deploy", "") in parts


def test_codedeploy_names_what_callers_need(tmp_path: Path) -> None:
    """A caller of CreateDeployment names the application and the group: both published."""
    body = DEPLOY.replace("web: {kind: asg}", "web: {kind: asg}\n      fn: {kind: lambda}") + "  - fn -> deploy\n"
    assert [p[2] for p in _parts(tmp_path, body, "fn->deploy") if p[0] == "discovery"] == [
        "environment ARCHC_DEPLOY_PARAMETERS=/archc/t/deploy",
        "/archc/t/deploy/application_name",
        "/archc/t/deploy/deployment_group_name",
    ]
