"""The management kinds: cloudwatch, cloudtrail, ssm."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler import pipeline
from compiler.terraform.emit import emit
from compiler.terraform.realization import Part
from modules import CATALOG
from modules.base import offered
from modules.storage import S3Bucket
from tests.kinds_helpers import HEAD, body_error, body_plan_errors, compile_body


def build(tmp_path: Path, body: str) -> dict[str, Any]:
    """Compile a model (HEAD + body) and return the stack's Terraform JSON."""
    return json.loads(compile_body(tmp_path, body))  # type: ignore[no-any-return]


error = body_error
plan_errors = body_plan_errors


def statements(tf: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return tf["data"]["aws_iam_policy_document"][name]["statement"]  # type: ignore[no-any-return]


def widgets(tf: dict[str, Any], name: str = "mon") -> list[dict[str, Any]]:
    return json.loads(tf["resource"]["aws_cloudwatch_dashboard"][name]["dashboard_body"])["widgets"]  # type: ignore[no-any-return]


# --- cloudwatch ------------------------------------------------------------------------
MONITORED = """layers:
  - name: data
    services:
      db: {kind: rds}
      assets: {kind: s3}
  - name: ops
    services:
      mon: {kind: cloudwatch, alarm_emails: [ops@archc-demo.net]}
connections:
  - mon -> db
"""


def test_cloudwatch_alarms_on_a_connected_service(tmp_path: Path) -> None:
    tf = build(tmp_path, MONITORED)
    res = tf["resource"]
    alarms = res["aws_cloudwatch_metric_alarm"]
    assert sorted(alarms) == ["mon_db_cpuutilization", "mon_db_freestoragespace"]
    cpu = alarms["mon_db_cpuutilization"]
    assert cpu["namespace"] == "AWS/RDS"
    assert cpu["dimensions"] == {"DBInstanceIdentifier": "${aws_db_instance.db.identifier}"}
    assert cpu["alarm_actions"] == cpu["ok_actions"] == ["${aws_sns_topic.mon_alarms.arn}"]
    assert alarms["mon_db_freestoragespace"]["comparison_operator"] == "LessThanThreshold"
    # The topic is encrypted with a key of its own that CloudWatch may use.
    assert res["aws_sns_topic"]["mon_alarms"]["kms_master_key_id"] == "${aws_kms_key.mon_alarms.arn}"
    assert res["aws_kms_key"]["mon_alarms"]["enable_key_rotation"] is True
    key_policy = statements(tf, "mon_alarms_key")
    assert {"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]} in key_policy[1]["principals"]
    sub = res["aws_sns_topic_subscription"]["mon_alarms_email_1"]
    assert (sub["protocol"], sub["endpoint"]) == ("email", "ops@archc-demo.net")
    # The unconnected bucket is not monitored.
    graphs = widgets(tf)
    assert graphs[0]["type"] == "text"
    assert [w["properties"]["title"] for w in graphs[1:]] == ["db: Amazon RDS"]
    assert graphs[1]["properties"]["metrics"][0][:4] == [
        "AWS/RDS",
        "CPUUtilization",
        "DBInstanceIdentifier",
        "${aws_db_instance.db.identifier}",
    ]


def test_cloudwatch_thresholds_set_in_the_model(tmp_path: Path) -> None:
    """A threshold of the model replaces archc's on that metric of that service alone; the
    others (FreeStorageSpace, the function's alarms) keep archc's."""
    tf = build(
        tmp_path,
        """layers:
  - name: app
    services:
      fn: {kind: lambda}
      db: {kind: rds}
  - name: ops
    services:
      mon:
        kind: cloudwatch
        alarm_emails: [ops@archc-demo.net]
        monitor_all: true
        thresholds: {db: {CPUUtilization: 65.5}, fn: {Errors: 3}}
connections:
  - mon -> db
""",
    )
    alarms = tf["resource"]["aws_cloudwatch_metric_alarm"]
    assert alarms["mon_db_cpuutilization"]["threshold"] == 65.5
    assert alarms["mon_db_cpuutilization"]["alarm_description"] == "db: CPUUtilization GreaterThanThreshold 65.5"
    assert alarms["mon_db_freestoragespace"]["threshold"] == 2 * 1024**3
    assert alarms["mon_fn_errors"]["threshold"] == 3  # a service monitor_all covers, by the kind's own alarms()
    assert alarms["mon_fn_throttles"]["threshold"] == 0


def test_cloudwatch_threshold_of_a_graph_only_metric_is_refused(tmp_path: Path) -> None:
    """BucketSizeBytes is graphed, never alarmed: a threshold for it would compile to nothing."""
    err = error(
        tmp_path,
        """layers:
  - name: ops
    services:
      assets: {kind: s3}
      mon: {kind: cloudwatch, alarm_emails: [ops@archc-demo.net], thresholds: {assets: {BucketSizeBytes: 10}}}
connections:
  - mon -> assets
""",
    )
    assert "thresholds: archc does not alarm on BucketSizeBytes for assets (s3); it alarms on 5xxErrors" in err


def test_cloudwatch_monitor_all_sees_services_before_and_after_it(tmp_path: Path) -> None:
    tf = build(
        tmp_path,
        """layers:
  - name: data
    services:
      db: {kind: rds}
  - name: ops
    services:
      mon: {kind: cloudwatch, monitor_all: true, alarm_emails: [ops@archc-demo.net]}
  - name: app
    services:
      assets: {kind: s3}
      keys: {kind: ecr}
""",
    )
    titles = [w["properties"]["title"] for w in widgets(tf)[1:]]
    assert titles == ["db: Amazon RDS", "assets: Amazon S3"]  # not the ecr repository: it has no metric worth an alarm
    # Daily storage metrics are graphed, not alarmed; request errors need the bucket's metrics configuration.
    alarms = tf["resource"]["aws_cloudwatch_metric_alarm"]
    assert sorted(alarms) == ["mon_assets_5xxerrors", "mon_db_cpuutilization", "mon_db_freestoragespace"]
    assert alarms["mon_assets_5xxerrors"]["dimensions"] == {"BucketName": "${aws_s3_bucket.assets.id}", "FilterId": "EntireBucket"}
    requests = tf["resource"]["aws_s3_bucket_metric"]["assets_requests"]
    assert (requests["bucket"], requests["name"]) == ("${aws_s3_bucket.assets.id}", "EntireBucket")
    assert [(w["x"], w["y"]) for w in widgets(tf)] == [(0, 0), (0, 2), (12, 2)]


def test_cloudwatch_uses_a_kinds_own_alarms_and_global_metrics_in_us_east_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def alarms(self: S3Bucket, node: Any, ctx: Any) -> list[dict[str, object]]:
        return [
            {
                "metric_name": "4xxErrorRate",
                "namespace": "AWS/CloudFront",
                "dimensions": {"DistributionId": "EXAMPLE", "Region": "Global"},
                "statistic": "Average",
                "threshold": 5,
                "comparison_operator": "GreaterThanThreshold",
                "period": 300,
                "evaluation_periods": 3,
                "provider": "us_east_1",
            }
        ]

    monkeypatch.setattr(S3Bucket, "alarms", alarms)
    tf = build(tmp_path, MONITORED.replace("mon -> db", "mon -> assets"))
    alarm = tf["resource"]["aws_cloudwatch_metric_alarm"]["mon_assets_4xxerrorrate"]
    assert alarm["provider"] == "aws.us_east_1"
    assert alarm["alarm_actions"] == ["${aws_sns_topic.mon_alarms_us_east_1.arn}"]
    topic = tf["resource"]["aws_sns_topic"]["mon_alarms_us_east_1"]
    assert topic["provider"] == "aws.us_east_1"
    assert tf["resource"]["aws_sns_topic_subscription"]["mon_alarms_us_east_1_email_1"]["provider"] == "aws.us_east_1"
    assert widgets(tf)[1]["properties"]["metrics"][0][-1] == {"stat": "Average", "region": "us-east-1"}


def test_cloudwatch_without_anything_to_monitor(tmp_path: Path) -> None:
    body = "layers:\n  - name: ops\n    services:\n      mon: {kind: cloudwatch, alarm_emails: [ops@archc-demo.net]}\n"
    assert error(tmp_path, body) == (
        "model.yaml:7:7: error[connection]: cloudwatch monitors nothing: "
        "connect it to the services to watch (cloudwatch -> service) or set monitor_all: true"
    )


# What a kind needs beside it to compile on its own: (its settings, helper services, connections).
TARGET_NEEDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "alb": ("reasons: {listeners: no domain yet}", "", ()),
    "amplify": ('repository: "https://github.com/acme/web"', "", ()),
    "athena": ("results: store", "", ()),
    "firehose": ("destination: store", "", ()),
    "ecs-service": ("cluster: cluster", "cluster: {kind: ecs-cluster}", ()),
    "dynamodb": ("hash_key: id", "", ()),
    "schedule": ('expression: "rate(1 hour)"', "", ()),
    "event-rule": ("pattern: {source: [orders]}", "", ()),
    "route53": ("domain: archc-demo.net", "", ()),
    "waf": ("protects: [cdn]", "cdn: {kind: cloudfront}", ("cdn -> store",)),
    "cloudfront": ("", "", ("target -> store",)),
    "cloudwatch": ("monitor_all: true, alarm_emails: [ops@archc-demo.net]", "", ()),
    "codedeploy": ("", "fleet: {kind: asg}", ("target -> fleet",)),
    "codepipeline": ("", "repo: {kind: codecommit}\n      build: {kind: codebuild}", ("target -> repo", "target -> build")),
}
MONITORABLE = sorted(kind for kind, cls in CATALOG.items() if "monitor" in offered(cls))


def _monitoring(kind: str) -> str:
    settings, helpers, connections = TARGET_NEEDS.get(kind, ("", "", ()))
    lines = [
        "layers:",
        "  - name: app",
        "    services:",
        "      store: {kind: s3}",
        *([f"      {helpers}"] if helpers else []),
        f"      target: {{kind: {kind}{', ' + settings if settings else ''}}}",
        "      mon: {kind: cloudwatch, alarm_emails: [ops@archc-demo.net]}",
        "connections:",
        *(f"  - {c}" for c in connections),
        "  - mon -> store",  # something it can monitor, so a refused target is the only error
        "  - mon -> target",
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", sorted(CATALOG))
def test_cloudwatch_alarms_on_every_kind_it_accepts_and_refuses_the_others(tmp_path: Path, kind: str) -> None:
    """Every kind as a monitor target: at least one alarm and a dashboard graph of its own, or a refusal at the connection."""
    body = _monitoring(kind)
    if kind not in MONITORABLE:
        line = body.count("\n") + len(HEAD.splitlines())
        refusal = f"cloudwatch connects only to {', '.join(MONITORABLE)}"
        if "none" in CATALOG[kind].info.offers:  # a web ACL refuses what it does not protect itself
            refusal = (
                "waf 'target' does not protect 'mon', so the connection would compile into nothing; "
                "it protects only cloudfront, alb, cognito services, so remove the connection"
            )
        assert error(tmp_path, body) == f"model.yaml:{line}:5: error[connection]: mon (cloudwatch) -> target ({kind}): {refusal}"
        return
    tf = build(tmp_path, body)
    assert [a for a in tf["resource"]["aws_cloudwatch_metric_alarm"] if a.startswith("mon_target")], kind
    assert [w for w in widgets(tf) if w["properties"].get("title", "").startswith("target: ")], kind


def test_cloudwatch_watches_emr_clusters(tmp_path: Path) -> None:
    """road-warrior's metrics -> batch: EMR's own metrics, by cluster (job flow) id."""
    alarms = build(tmp_path, _monitoring("emr"))["resource"]["aws_cloudwatch_metric_alarm"]
    failed, hdfs = alarms["mon_target_appsfailed"], alarms["mon_target_hdfsutilization"]
    assert failed["namespace"] == hdfs["namespace"] == "AWS/ElasticMapReduce"
    assert failed["dimensions"] == hdfs["dimensions"] == {"JobFlowId": "${aws_emr_cluster.target.id}"}
    assert (failed["statistic"], failed["threshold"], failed["comparison_operator"]) == ("Sum", 0, "GreaterThanThreshold")
    assert (hdfs["statistic"], hdfs["threshold"]) == ("Average", 80)
    arch = pipeline.load(tmp_path / "model.yaml", "model.yaml")
    assert emit(arch).parts("mon->target") == [
        Part("trigger", "aws_cloudwatch_dashboard.mon", "dashboard graph of target"),
        Part("trigger", "aws_cloudwatch_metric_alarm.mon_target_appsfailed"),
        Part("trigger", "aws_cloudwatch_metric_alarm.mon_target_hdfsutilization"),
    ]


def test_cloudwatch_watches_the_trail_for_cis_events(tmp_path: Path) -> None:
    """cloudwatch -> cloudtrail: metric filters on the trail's log group, an alarm on the first matching call."""
    tf = build(tmp_path, _monitoring("cloudtrail"))
    filters = tf["resource"]["aws_cloudwatch_log_metric_filter"]
    assert sorted(filters) == [
        "target_filter_consolesigninwithoutmfa",
        "target_filter_rootaccountusage",
        "target_filter_trailchanges",
        "target_filter_unauthorizedapicalls",
    ]
    root = filters["target_filter_rootaccountusage"]
    assert root["log_group_name"] == "${aws_cloudwatch_log_group.target.name}"
    assert root["pattern"].startswith('{ $.userIdentity.type = "Root"')
    assert root["metric_transformation"] == [{"name": "RootAccountUsage", "namespace": "archc/t/target", "value": "1", "unit": "Count"}]
    alarm = tf["resource"]["aws_cloudwatch_metric_alarm"]["mon_target_rootaccountusage"]
    assert (alarm["namespace"], alarm["metric_name"], alarm["dimensions"]) == ("archc/t/target", "RootAccountUsage", {})
    assert (alarm["statistic"], alarm["threshold"], alarm["evaluation_periods"]) == ("Sum", 0, 1)
    assert alarm["alarm_description"] == "target: the root user made an API call"


def test_cloudwatch_notifies_queues_and_functions(tmp_path: Path) -> None:
    body = MONITORED.replace(
        "mon: {kind: cloudwatch, alarm_emails: [ops@archc-demo.net]}",
        "mon: {kind: cloudwatch, notify: [oncall, chat]}\n      oncall: {kind: sqs}\n      chat: {kind: lambda}",
    )
    res = build(tmp_path, body)["resource"]
    subs = res["aws_sns_topic_subscription"]
    oncall = subs["mon_alarms_to_oncall"]
    assert oncall["topic_arn"] == "${aws_sns_topic.mon_alarms.arn}"
    assert (oncall["protocol"], oncall["endpoint"]) == ("sqs", "${aws_sqs_queue.oncall.arn}")
    assert subs["mon_alarms_to_chat"]["protocol"] == "lambda"
    permission = res["aws_lambda_permission"]["chat_from_sns_mon_alarms"]
    assert (permission["principal"], permission["source_arn"]) == ("sns.amazonaws.com", "${aws_sns_topic.mon_alarms.arn}")
    assert "oncall" in res["aws_sqs_queue_policy"]


def test_cloudwatch_alarms_need_a_subscriber(tmp_path: Path) -> None:
    body = MONITORED.replace("mon: {kind: cloudwatch, alarm_emails: [ops@archc-demo.net]}", "mon: {kind: cloudwatch}")
    assert error(tmp_path, body) == (
        "model.yaml:11:7: error[missing]: alarm_emails: [] (the alarms notify no one) relaxes the secure default "
        "(an address, or an sqs or lambda service under notify); say why under reasons: {alarm_emails: ...}"
    )
    body = body.replace("{kind: cloudwatch}", "{kind: cloudwatch, reasons: {alarm_emails: read on the dashboard by the on-call team}}")
    assert "aws_sns_topic_subscription" not in build(tmp_path, body)["resource"]


def test_cloudwatch_notifies_only_queues_and_functions(tmp_path: Path) -> None:
    body = MONITORED.replace("alarm_emails: [ops@archc-demo.net]", "notify: [db]")
    assert error(tmp_path, body) == "model.yaml:11:40: error[value]: 'notify' must name a service of kind sqs, lambda; 'db' is rds"


def test_cloudwatch_bad_email(tmp_path: Path) -> None:
    body = "layers:\n  - name: ops\n    services:\n      mon: {kind: cloudwatch, monitor_all: true, alarm_emails: [ops]}\n"
    assert (
        error(tmp_path, body)
        == r"model.yaml:7:65: error[value]: 'alarm_emails' 'ops' does not match the pattern ^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
    )


# --- cloudtrail ------------------------------------------------------------------------
def test_cloudtrail_with_its_own_bucket(tmp_path: Path) -> None:
    tf = build(tmp_path, "layers:\n  - name: ops\n    services:\n      trail: {kind: cloudtrail}\n")
    res = tf["resource"]
    trail = res["aws_cloudtrail"]["trail"]
    assert trail["is_multi_region_trail"] is True
    assert trail["enable_log_file_validation"] is True
    assert trail["kms_key_id"] == "${aws_kms_key.trail.arn}"
    assert trail["s3_bucket_name"] == "${aws_s3_bucket.trail.id}"
    assert trail["cloud_watch_logs_group_arn"] == "${aws_cloudwatch_log_group.trail.arn}:*"
    assert trail["cloud_watch_logs_role_arn"] == "${aws_iam_role.trail.arn}"
    assert trail["event_selector"] == [{"include_management_events": True, "read_write_type": "All"}]
    assert trail["depends_on"] == ["aws_s3_bucket_policy.trail", "aws_iam_role_policy.trail_logs"]
    assert res["aws_cloudwatch_log_group"]["trail"]["retention_in_days"] == 365
    assert res["aws_cloudwatch_log_group"]["trail"]["kms_key_id"] == "${aws_kms_key.trail.arn}"
    assert res["aws_kms_key"]["trail"]["enable_key_rotation"] is True
    assert [s["sid"] for s in statements(tf, "trail_key")] == [
        "AccountIamPolicies",
        "CloudTrailEncrypt",
        "CloudTrailDescribeKey",
        "CloudWatchLogs",
    ]
    # A private, encrypted, versioned bucket that only this trail writes to.
    assert res["aws_s3_bucket_public_access_block"]["trail"]["restrict_public_buckets"] is True
    assert res["aws_s3_bucket_versioning"]["trail"]["versioning_configuration"] == [{"status": "Enabled"}]
    assert res["aws_s3_bucket_policy"]["trail"]["bucket"] == "${aws_s3_bucket.trail.id}"
    policy = statements(tf, "trail_bucket")
    assert [s["sid"] for s in policy] == ["CloudTrailAclCheck", "CloudTrailWrite", "DenyInsecureTransport"]
    assert policy[1]["condition"][0]["values"] == [
        "arn:${data.aws_partition.archc.partition}:cloudtrail:eu-west-3:${data.aws_caller_identity.archc.account_id}:trail/t-trail"
    ]
    assert statements(tf, "trail_logs")[0]["resources"] == ["${aws_cloudwatch_log_group.trail.arn}:log-stream:*"]


def test_cloudtrail_into_a_bucket_of_the_model(tmp_path: Path) -> None:
    body = "layers:\n  - name: ops\n    services:\n      logs: {kind: s3, purpose: logs}\n"
    body += "      trail: {kind: cloudtrail, bucket: logs, s3_data_events: write}\n"
    tf = build(tmp_path, body)
    res = tf["resource"]
    assert "trail" not in res["aws_s3_bucket"]
    assert res["aws_cloudtrail"]["trail"]["s3_bucket_name"] == "${aws_s3_bucket.logs.id}"
    # The trail's statements join the bucket's one policy (a policy of its own would replace the others').
    assert list(res["aws_s3_bucket_policy"]) == ["logs"]
    assert res["aws_cloudtrail"]["trail"]["depends_on"][0] == "aws_s3_bucket_policy.logs"
    sids = [s["sid"] for s in tf["data"]["aws_iam_policy_document"]["logs_policy"]["statement"]]
    assert sids == ["CloudTrailAclCheckTrail", "CloudTrailWriteTrail", "DenyInsecureTransport"]
    selector = res["aws_cloudtrail"]["trail"]["event_selector"][0]
    assert selector["read_write_type"] == "WriteOnly"
    assert selector["data_resource"] == [{"type": "AWS::S3::Object", "values": ["arn:${data.aws_partition.archc.partition}:s3"]}]


def test_cloudtrail_bucket_must_be_s3(tmp_path: Path) -> None:
    body = "layers:\n  - name: ops\n    services:\n      db: {kind: rds}\n      trail: {kind: cloudtrail, bucket: db}\n"
    assert error(tmp_path, body) == "model.yaml:8:41: error[value]: 'bucket' must name a service of kind s3; 'db' is rds"


# --- ssm -------------------------------------------------------------------------------
SESSIONS = """layers:
  - name: app
    services:
      vm: {kind: ec2}
      sessions: {kind: ssm}
connections:
  - vm -> sessions
"""


def test_ssm_session_manager_with_endpoints(tmp_path: Path) -> None:
    tf = build(tmp_path, SESSIONS)
    res = tf["resource"]
    doc = res["aws_ssm_document"]["sessions_preferences"]
    # A session document of its own: the account's SSM-SessionManagerRunShell often exists already (apply failed).
    assert (doc["name"], doc["document_type"]) == ("t-sessions-sessions", "Session")
    assert tf["output"]["sessions_session_document"]["value"] == "${aws_ssm_document.sessions_preferences.name}"
    inputs = json.loads(doc["content"])["inputs"]
    assert inputs["kmsKeyId"] == "${aws_kms_key.sessions.id}"
    assert inputs["cloudWatchLogGroupName"] == "${aws_cloudwatch_log_group.sessions_sessions.name}"
    assert inputs["cloudWatchEncryptionEnabled"] is True
    assert res["aws_cloudwatch_log_group"]["sessions_sessions"]["retention_in_days"] == 365
    assert sorted(n for n in res["aws_vpc_endpoint"] if n.startswith("sessions")) == [
        "sessions_ec2messages",
        "sessions_ssm",
        "sessions_ssmmessages",
    ]
    endpoint = res["aws_vpc_endpoint"]["sessions_ssmmessages"]
    assert endpoint["service_name"] == "com.amazonaws.eu-west-3.ssmmessages"
    assert endpoint["private_dns_enabled"] is True
    assert endpoint["security_group_ids"] == ["${aws_security_group.sessions.id}"]
    assert endpoint["subnet_ids"] == ["${aws_subnet.private_a.id}", "${aws_subnet.private_b.id}"]
    from_vpc = res["aws_vpc_security_group_ingress_rule"]["sessions_from_vpc"]
    assert (from_vpc["cidr_ipv4"], from_vpc["from_port"]) == ("10.0.0.0/16", 443)
    # The connection: HTTPS from the instance's security group, and session permissions on its role.
    rule = res["aws_vpc_security_group_ingress_rule"]["sessions_from_vm"]
    assert (rule["referenced_security_group_id"], rule["from_port"]) == ("${aws_security_group.vm.id}", 443)
    assert res["aws_vpc_security_group_egress_rule"]["vm_to_sessions"]["to_port"] == 443
    assert res["aws_iam_role_policy"]["sessions_session_vm"]["role"] == "${aws_iam_role.vm.id}"
    grants = {s["sid"]: s["resources"] for s in statements(tf, "sessions_session_vm")}
    assert grants["SessionEncryption"] == ["${aws_kms_key.sessions.arn}"]
    assert grants["SessionChannels"] == ["*"]


def test_ssm_owns_the_account_preferences_only_with_a_reason(tmp_path: Path) -> None:
    owned = SESSIONS.replace("{kind: ssm}", "{kind: ssm, account_preferences: true}")
    assert body_error(tmp_path, owned) == (
        "model.yaml:8:50: error[missing]: account_preferences: true relaxes the secure default (not created: "
        "SSM-SessionManagerRunShell is one per account and region); say why under reasons: {account_preferences: ...}"
    )
    reason = "{kind: ssm, account_preferences: true, reasons: {account_preferences: a fresh account of this system only}}"
    tf = build(tmp_path, SESSIONS.replace("{kind: ssm}", reason))
    assert tf["resource"]["aws_ssm_document"]["sessions_preferences"]["name"] == "SSM-SessionManagerRunShell"


def test_ssm_session_document_avoids_reserved_prefixes(tmp_path: Path) -> None:
    """SSM refuses document names starting with aws, amazon or amzn."""
    path = tmp_path / "model.yaml"
    path.write_text(HEAD.replace("name: t", "name: aws-shop") + SESSIONS)
    stack = json.loads(pipeline.compile_terraform(pipeline.load(path, "model.yaml"), "model.yaml")["terraform/stacks/aws-shop/cdk.tf.json"])
    assert stack["resource"]["aws_ssm_document"]["sessions_preferences"]["name"] == "archc-aws-shop-sessions-sessions"


def test_ssm_without_endpoints(tmp_path: Path) -> None:
    tf = build(tmp_path, SESSIONS.replace("{kind: ssm}", "{kind: ssm, endpoints: false}"))
    assert not [n for n in tf["resource"].get("aws_vpc_endpoint", {}) if n.startswith("sessions")]
    assert "sessions" not in tf["resource"].get("aws_security_group", {})
    assert "sessions_session_vm" in tf["resource"]["aws_iam_role_policy"]


def test_ssm_starts_no_connections(tmp_path: Path) -> None:
    body = SESSIONS.replace("vm -> sessions", "sessions -> vm")
    assert error(tmp_path, body) == (
        "model.yaml:10:5: error[connection]: sessions (ssm) -> vm (ec2): ssm does not start connections; "
        "draw them from the caller to the service it calls (kinds that can connect to ec2: "
        "alb, asg, beanstalk, cloudwatch, codedeploy, ec2, ecs-service, eks, emr, lambda)"
    )


def test_management_kinds_plan(tmp_path: Path) -> None:
    body = MONITORED.replace("mon: {kind: cloudwatch,", "mon: {kind: cloudwatch, monitor_all: true,")
    body = body.replace(
        "  - name: ops\n    services:\n",
        "  - name: ops\n    services:\n      trail: {kind: cloudtrail}\n      vm: {kind: ec2}\n      ssm: {kind: ssm}\n",
    )
    assert plan_errors(tmp_path, body + "  - vm -> ssm\n") == []
