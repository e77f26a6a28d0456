"""Analytics kinds: firehose, athena and emr: their Terraform, connections and bad settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler import pipeline
from compiler.terraform.emit import emit
from compiler.terraform.realization import Part
from tests.kinds_helpers import _write, assert_plans, build, error

LAKE = "kind: s3, purpose: data-lake"


def _statements(stack: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The statements of one of the stack's policy documents."""
    statements: list[dict[str, Any]] = stack["data"]["aws_iam_policy_document"][name]["statement"]
    return statements


# --- firehose ----------------------------------------------------------------------------


def test_firehose_delivers_to_its_bucket(tmp_path: Path) -> None:
    stack = build(tmp_path, {"lake": LAKE, "ingest": "kind: firehose, destination: lake"})
    stream = stack["resource"]["aws_kinesis_firehose_delivery_stream"]["ingest"]
    assert stream["name"] == "t-ingest"
    assert stream["destination"] == "extended_s3"
    assert stream["server_side_encryption"] == [
        {"enabled": True, "key_type": "CUSTOMER_MANAGED_CMK", "key_arn": "${aws_kms_key.archc.arn}"}
    ]
    assert stream["depends_on"] == ["aws_iam_role_policy.ingest_delivery"]
    (s3,) = stream["extended_s3_configuration"]
    assert s3["bucket_arn"] == "${aws_s3_bucket.lake.arn}"
    assert s3["role_arn"] == "${aws_iam_role.ingest.arn}"
    assert (s3["buffering_size"], s3["buffering_interval"], s3["compression_format"]) == (5, 300, "GZIP")
    assert s3["prefix"] == "data/!{timestamp:yyyy/MM/dd}/"
    assert s3["error_output_prefix"] == "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
    assert s3["cloudwatch_logging_options"] == [
        {
            "enabled": True,
            "log_group_name": "${aws_cloudwatch_log_group.ingest_logs.name}",
            "log_stream_name": "${aws_cloudwatch_log_stream.ingest_delivery.name}",
        }
    ]
    group = stack["resource"]["aws_cloudwatch_log_group"]["ingest_logs"]
    assert (group["name"], group["retention_in_days"]) == ("/aws/kinesisfirehose/t-ingest", 365)
    assume = _statements(stack, "ingest_assume")
    assert assume[0]["principals"] == [{"type": "Service", "identifiers": ["firehose.amazonaws.com"]}]
    deliver, logs = _statements(stack, "ingest_delivery")
    assert deliver["resources"] == ["${aws_s3_bucket.lake.arn}", "${aws_s3_bucket.lake.arn}/*"]
    assert "s3:PutObject" in deliver["actions"]
    assert logs["resources"] == ["${aws_cloudwatch_log_group.ingest_logs.arn}:*"]
    policy = stack["resource"]["aws_iam_role_policy"]["ingest_delivery"]
    assert policy["role"] == "${aws_iam_role.ingest.id}"


def test_firehose_connections(tmp_path: Path) -> None:
    services = {"lake": LAKE, "ingest": "kind: firehose, destination: lake", "batch": "kind: emr"}
    stack = build(tmp_path, services, "batch -> ingest", "{from: ingest, to: lake, access: write}")
    (put,) = _statements(stack, "batch_to_ingest")
    assert put["actions"] == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    assert put["resources"] == ["${aws_kinesis_firehose_delivery_stream.ingest.arn}"]
    (write,) = _statements(stack, "ingest_to_lake")
    assert write["actions"] == ["s3:AbortMultipartUpload", "s3:PutObject"]
    assert stack["resource"]["aws_iam_role_policy"]["ingest_to_lake"]["role"] == "${aws_iam_role.ingest.id}"


def test_firehose_transforms_records_with_a_lambda_processor(tmp_path: Path) -> None:
    """firehose -> lambda: Firehose invokes the function with each batch (processing configuration), not only may."""
    services = {"lake": LAKE, "ingest": "kind: firehose, destination: lake", "clean": "kind: lambda"}
    stack = build(tmp_path, services, "ingest -> clean")
    s3 = stack["resource"]["aws_kinesis_firehose_delivery_stream"]["ingest"]["extended_s3_configuration"][0]
    assert s3["processing_configuration"] == [
        {
            "enabled": True,
            "processors": [
                {
                    "type": "Lambda",
                    "parameters": [{"parameter_name": "LambdaArn", "parameter_value": "${aws_lambda_function.clean.arn}:$LATEST"}],
                }
            ],
        }
    ]
    invoke = next(st for st in _statements(stack, "ingest_delivery") if st["sid"] == "InvokeProcessor")
    assert invoke["actions"] == ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction"]
    assert invoke["resources"] == ["${aws_lambda_function.clean.arn}", "${aws_lambda_function.clean.arn}:*"]
    arch = pipeline.load(_write(tmp_path, services, ("ingest -> clean",), "azs: 2"), "model.yaml")
    parts = emit(arch).parts("ingest->clean")
    assert Part("trigger", "aws_kinesis_firehose_delivery_stream.ingest", "processing_configuration: Lambda processor clean") in parts
    assert Part("permission", "aws_iam_role_policy.ingest_delivery", "InvokeProcessor") in parts


def test_firehose_has_one_processor(tmp_path: Path) -> None:
    services = {"lake": LAKE, "ingest": "kind: firehose, destination: lake", "a": "kind: lambda", "b": "kind: lambda"}
    assert error(tmp_path, services, "ingest -> a", "ingest -> b") == (
        "model.yaml:13:5: error[connection]: ingest (firehose) -> b (lambda): a delivery stream transforms records with one "
        "Lambda function, and 'a' is already its processor"
    )


def test_firehose_calls_only_its_destination_and_processor(tmp_path: Path) -> None:
    services = {"lake": LAKE, "other": "kind: s3", "ingest": "kind: firehose, destination: lake", "jobs": "kind: sqs"}
    assert error(tmp_path, services, "{from: ingest, to: other, access: write}") == (
        "model.yaml:12:5: error[connection]: ingest (firehose) -> other (s3): a delivery stream writes only to its "
        "destination ('lake'); set destination: other"
    )
    assert error(tmp_path, services, "ingest -> jobs") == (
        "model.yaml:12:5: error[connection]: ingest (firehose) -> jobs (sqs): firehose connects only to lambda, s3"
    )


def test_firehose_destination_must_be_a_bucket(tmp_path: Path) -> None:
    assert error(tmp_path, {"jobs": "kind: sqs", "ingest": "kind: firehose, destination: jobs"}) == (
        "model.yaml:8:45: error[value]: 'destination' must name a service of kind s3; 'jobs' is sqs"
    )


def test_firehose_needs_a_destination(tmp_path: Path) -> None:
    assert error(tmp_path, {"ingest": "kind: firehose"}) == (
        "model.yaml:7:7: error[missing]: missing required key 'destination' in service 'ingest'"
    )


# --- athena ------------------------------------------------------------------------------


def test_athena_workgroup_and_glue_database(tmp_path: Path) -> None:
    services = {"lake": LAKE, "results": "kind: s3", "query": "kind: athena, results: results, data: lake"}
    stack = build(tmp_path, services)
    group = stack["resource"]["aws_athena_workgroup"]["query"]
    assert group["name"] == "t-query"
    (config,) = group["configuration"]
    assert config["enforce_workgroup_configuration"] is True
    assert config["publish_cloudwatch_metrics_enabled"] is True
    assert "bytes_scanned_cutoff_per_query" not in config
    (result,) = config["result_configuration"]
    assert result["output_location"] == "s3://${aws_s3_bucket.results.id}/athena/query/"
    assert result["encryption_configuration"] == [
        {"encryption_option": "SSE_KMS", "kms_key_arn": "${data.aws_kms_alias.query_s3.target_key_arn}"}
    ]
    assert stack["data"]["aws_kms_alias"]["query_s3"]["name"] == "alias/aws/s3"
    database = stack["resource"]["aws_glue_catalog_database"]["query"]
    assert (database["name"], database["location_uri"]) == ("t_query", "s3://${aws_s3_bucket.lake.id}/")


def test_athena_without_database(tmp_path: Path) -> None:
    services = {"results": "kind: s3", "query": "kind: athena, results: results, scan_limit_gb: 10", "batch": "kind: emr"}
    stack = build(tmp_path, services, "batch -> query")
    assert "aws_glue_catalog_database" not in stack["resource"]
    (config,) = stack["resource"]["aws_athena_workgroup"]["query"]["configuration"]
    assert config["bytes_scanned_cutoff_per_query"] == 10 * 1024**3
    (statement,) = _statements(stack, "batch_to_query")
    assert statement["resources"] == ["${aws_athena_workgroup.query.arn}"]


def test_athena_query_connection_reaches_the_catalog(tmp_path: Path) -> None:
    services = {"results": "kind: s3", "query": "kind: athena, results: results, database: sales", "batch": "kind: emr"}
    stack = build(tmp_path, services, "batch -> query")
    assert "location_uri" not in stack["resource"]["aws_glue_catalog_database"]["query"]
    (statement,) = _statements(stack, "batch_to_query")
    assert "athena:StartQueryExecution" in statement["actions"]
    assert "glue:GetTable" in statement["actions"]
    glue = "arn:${data.aws_partition.archc.partition}:glue:eu-west-3:${aws_glue_catalog_database.query.catalog_id}"
    assert statement["resources"] == [
        "${aws_athena_workgroup.query.arn}",
        f"{glue}:catalog",
        f"{glue}:database/sales",
        f"{glue}:table/sales/*",
    ]


def test_athena_results_must_exist(tmp_path: Path) -> None:
    assert error(tmp_path, {"lake": LAKE, "query": "kind: athena, results: lak"}) == (
        "model.yaml:8:38: error[unknown-service]: 'results' names service 'lak', which is not defined; did you mean 'lake'?"
    )


def test_athena_bad_database_name(tmp_path: Path) -> None:
    assert error(tmp_path, {"lake": LAKE, "query": "kind: athena, results: lake, database: Sales-DB"}) == (
        "model.yaml:8:54: error[value]: 'database' 'Sales-DB' does not match the pattern ^[a-z][a-z0-9_]{0,254}$"
    )


# --- emr ---------------------------------------------------------------------------------


def test_emr_cluster(tmp_path: Path) -> None:
    services = {"logs": "kind: s3, purpose: logs", "batch": "kind: emr, logs: logs"}
    stack = build(tmp_path, services)
    cluster = stack["resource"]["aws_emr_cluster"]["batch"]
    assert cluster["release_label"] == "emr-7.14.0"  # emr-7.5.0 ended support on 2026-11-21
    assert cluster["applications"] == ["Flink", "Hadoop"]
    # Idle auto-termination is on, so termination protection (which would block it) is off.
    assert cluster["termination_protection"] is False
    assert cluster["keep_job_flow_alive_when_no_steps"] is True
    assert cluster["auto_termination_policy"] == [{"idle_timeout": 3600}]
    assert cluster["service_role"] == "${aws_iam_role.batch_service.arn}"
    assert cluster["security_configuration"] == "${aws_emr_security_configuration.batch.name}"
    assert cluster["tags"]["for-use-with-amazon-emr-managed-policies"] == "true"
    assert cluster["log_uri"] == "s3://${aws_s3_bucket.logs.id}/emr/batch/"
    assert cluster["log_encryption_kms_key_id"] == "${aws_kms_key.batch.arn}"
    assert cluster["depends_on"] == [
        "aws_iam_role_policy_attachment.batch_service",
        "aws_iam_role_policy.batch_service",
        "aws_iam_role_policy.batch_logs",
    ]
    (ec2,) = cluster["ec2_attributes"]
    assert ec2 == {
        "subnet_id": "${aws_subnet.private_a.id}",
        "instance_profile": "${aws_iam_instance_profile.batch.arn}",
        "emr_managed_master_security_group": "${aws_security_group.batch_master.id}",
        "emr_managed_slave_security_group": "${aws_security_group.batch_core.id}",
        "service_access_security_group": "${aws_security_group.batch_service_access.id}",
        "additional_master_security_groups": "${aws_security_group.batch.id}",
        "additional_slave_security_groups": "${aws_security_group.batch.id}",
    }
    (master,) = cluster["master_instance_group"]
    (core,) = cluster["core_instance_group"]
    assert (master["instance_type"], master["instance_count"]) == ("m5.xlarge", 1)
    assert (core["instance_type"], core["instance_count"]) == ("m5.xlarge", 2)
    for name in ("batch_master", "batch_core", "batch_service_access"):
        group = stack["resource"]["aws_security_group"][name]
        assert group["revoke_rules_on_delete"] is True
        assert group["tags"]["for-use-with-amazon-emr-managed-policies"] == "true"
        assert "ingress" not in group
    profile = stack["resource"]["aws_iam_instance_profile"]["batch"]
    assert profile["role"] == "${aws_iam_role.batch.id}"
    (logs,) = _statements(stack, "batch_logs")
    assert logs["resources"] == ["${aws_s3_bucket.logs.arn}/emr/batch/*"]


def test_emr_roles_and_encryption(tmp_path: Path) -> None:
    stack = build(tmp_path, {"batch": "kind: emr"})
    assert _statements(stack, "batch_assume")[0]["principals"] == [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}]
    service_assume = _statements(stack, "batch_service_assume")[0]
    assert service_assume["principals"] == [{"type": "Service", "identifiers": ["elasticmapreduce.amazonaws.com"]}]
    attachment = stack["resource"]["aws_iam_role_policy_attachment"]["batch_service"]
    assert attachment["policy_arn"] == "arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"
    launch, pass_role = _statements(stack, "batch_service")
    assert launch["resources"] == ["${aws_subnet.private_a.arn}", "${aws_subnet.private_b.arn}", "${aws_security_group.batch.arn}"]
    assert pass_role["actions"] == ["iam:PassRole"]
    assert pass_role["resources"] == ["${aws_iam_role.batch.arn}"]
    key = stack["resource"]["aws_kms_key"]["batch"]
    assert key["enable_key_rotation"] is True
    assert key["policy"] == "${data.aws_iam_policy_document.batch_key.json}"
    _, uses, _ = _statements(stack, "batch_key")
    assert uses["principals"] == [{"type": "AWS", "identifiers": ["${aws_iam_role.batch.arn}", "${aws_iam_role.batch_service.arn}"]}]
    config = json.loads(stack["resource"]["aws_emr_security_configuration"]["batch"]["configuration"])
    encryption = config["EncryptionConfiguration"]
    assert encryption["EnableAtRestEncryption"] is True
    disks = encryption["AtRestEncryptionConfiguration"]["LocalDiskEncryptionConfiguration"]
    assert disks == {"EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": "${aws_kms_key.batch.arn}", "EnableEbsEncryption": True}
    assert config["InstanceMetadataServiceConfiguration"]["MinimumInstanceMetadataServiceVersion"] == 2
    cluster = stack["resource"]["aws_emr_cluster"]["batch"]
    assert "log_uri" not in cluster
    assert len(cluster["depends_on"]) == 2


def test_emr_connections(tmp_path: Path) -> None:
    services = {"lake": LAKE, "db": "kind: rds", "batch": "kind: emr, applications: [Spark, Hive], idle_timeout_s: null"}
    stack = build(tmp_path, services, "{from: batch, to: lake, access: read-write}", "batch -> db")
    cluster = stack["resource"]["aws_emr_cluster"]["batch"]
    assert cluster["applications"] == ["Hive", "Spark"]
    assert "auto_termination_policy" not in cluster
    (statement,) = _statements(stack, "batch_to_lake")
    assert statement["resources"] == ["${aws_s3_bucket.lake.arn}", "${aws_s3_bucket.lake.arn}/*"]
    assert stack["resource"]["aws_iam_role_policy"]["batch_to_lake"]["role"] == "${aws_iam_role.batch.id}"
    egress = stack["resource"]["aws_vpc_security_group_egress_rule"]["batch_to_db"]
    assert (egress["security_group_id"], egress["from_port"]) == ("${aws_security_group.batch.id}", 5432)


def test_emr_termination_protection_follows_the_idle_timeout(tmp_path: Path) -> None:
    """Protection on only when nothing ends the cluster by itself; both at once is refused."""
    cluster = build(tmp_path, {"batch": "kind: emr, idle_timeout_s: null"})["resource"]["aws_emr_cluster"]["batch"]
    assert (cluster["termination_protection"], "auto_termination_policy" in cluster) == (True, False)
    cluster = build(tmp_path, {"batch": "kind: emr, termination_protection: false"})["resource"]["aws_emr_cluster"]["batch"]
    assert (cluster["termination_protection"], cluster["auto_termination_policy"]) == (False, [{"idle_timeout": 3600}])
    assert error(tmp_path, {"batch": "kind: emr, idle_timeout_s: 600, termination_protection: true"}) == (
        "model.yaml:7:71: error[conflict]: termination_protection: true contradicts idle_timeout_s: 600: EMR cannot terminate "
        "a protected cluster when it idles; set idle_timeout_s: null for a long-running protected cluster, or drop termination_protection"
    )


def test_emr_release_past_end_of_life_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # emr-7.5.0: end of support 2026-11-21 (a warning on 2026-12-05), end of life 2027-11-21.
    cluster = build(tmp_path, {"batch": "kind: emr, release: emr-7.5.0"})["resource"]["aws_emr_cluster"]["batch"]
    assert cluster["release_label"] == "emr-7.5.0"
    monkeypatch.setenv("ARCHC_TODAY", "2027-11-21")
    assert error(tmp_path, {"batch": "kind: emr, release: emr-7.5.0"}) == (
        "model.yaml:7:35: error[version]: EMR release 'emr-7.5.0' was retired on 2027-11-21 (it is past end of life); "
        "current choices: emr-7.13.0, emr-7.14.0"
    )


def test_emr_unknown_application(tmp_path: Path) -> None:
    message = error(tmp_path, {"batch": "kind: emr, applications: [Flink, Spork]"})
    assert message.startswith("model.yaml:7:48: error[value]: 'applications' must be 'Flink', 'Hadoop', ")
    assert message.endswith(", not 'Spork'")


def test_emr_application_listed_twice(tmp_path: Path) -> None:
    assert error(tmp_path, {"batch": "kind: emr, applications: [Flink, Flink]"}) == (
        "model.yaml:7:40: error[value]: application 'Flink' is listed twice"
    )


def test_emr_needs_private_subnets(tmp_path: Path) -> None:
    assert error(tmp_path, {"batch": "kind: emr"}, network="subnets: {public: 24, isolated: 24}") == (
        "model.yaml:7:7: error[network]: service 'batch' (emr) runs in private subnets, but the network has no private tier"
    )


def test_analytics_models_plan(tmp_path: Path) -> None:
    services = {
        "lake": LAKE,
        "results": "kind: s3",
        "logs": "kind: s3, purpose: logs",
        "ingest": "kind: firehose, destination: lake",
        "query": "kind: athena, results: results, data: lake",
        "batch": "kind: emr, logs: logs",
        "db": "kind: rds",
        "clean": "kind: lambda",
    }
    connections = (
        "{from: ingest, to: lake, access: write}",
        "ingest -> clean",
        "{from: batch, to: lake, access: read-write}",
        "batch -> query",
        "batch -> db",
    )
    assert_plans(tmp_path, services, *connections)


# --- kinesis ---------------------------------------------------------------------------------


def test_kinesis_stream_is_on_demand_and_encrypted(tmp_path: Path) -> None:
    stream = build(tmp_path, {"clicks": "kind: kinesis"})["resource"]["aws_kinesis_stream"]["clicks"]
    assert stream["stream_mode_details"] == [{"stream_mode": "ON_DEMAND"}]
    assert "shard_count" not in stream
    assert (stream["encryption_type"], stream["kms_key_id"]) == ("KMS", "${aws_kms_key.archc.arn}")
    assert stream["retention_period"] == 24


def test_kinesis_provisioned_shards(tmp_path: Path) -> None:
    stream = build(tmp_path, {"clicks": "kind: kinesis, shards: 4, retention_hours: 168"})["resource"]["aws_kinesis_stream"]["clicks"]
    assert stream["stream_mode_details"] == [{"stream_mode": "PROVISIONED"}]
    assert (stream["shard_count"], stream["retention_period"]) == (4, 168)


def test_kinesis_consumer_gets_what_the_stream_states(tmp_path: Path) -> None:
    """The stream hands its actions and mapping settings to the function (EventSource)."""
    services = {"clicks": "kind: kinesis, start_at: TRIM_HORIZON, batch_size: 50", "worker": "kind: lambda"}
    stack = build(tmp_path, services, "clicks -> worker")
    mapping = stack["resource"]["aws_lambda_event_source_mapping"]["worker_from_clicks"]
    assert mapping["event_source_arn"] == "${aws_kinesis_stream.clicks.arn}"
    assert (mapping["starting_position"], mapping["batch_size"]) == ("TRIM_HORIZON", 50)
    assert mapping["bisect_batch_on_function_error"] is True
    assert mapping["maximum_retry_attempts"] == 3
    assert mapping["destination_config"] == [{"on_failure": [{"destination_arn": "${aws_sqs_queue.worker_dlq.arn}"}]}]
    assert mapping["depends_on"] == ["aws_iam_role_policy.worker_consume_clicks"]
    read, key = stack["data"]["aws_iam_policy_document"]["worker_consume_clicks"]["statement"]
    assert "kinesis:GetRecords" in read["actions"] and read["resources"] == ["${aws_kinesis_stream.clicks.arn}"]
    assert not any(a.startswith("sqs:") for a in read["actions"])
    assert key["actions"] == ["kms:Decrypt"]
    assert key["condition"][0]["variable"] == "kms:EncryptionContext:aws:kinesis:arn"


def test_kinesis_without_dead_letter_queue_has_no_failure_destination(tmp_path: Path) -> None:
    stack = build(tmp_path, {"clicks": "kind: kinesis", "worker": "kind: lambda, dead_letter_queue: false"}, "clicks -> worker")
    assert "destination_config" not in stack["resource"]["aws_lambda_event_source_mapping"]["worker_from_clicks"]


def test_kinesis_producer_may_encrypt_with_the_data_key(tmp_path: Path) -> None:
    stack = build(tmp_path, {"ingest": "kind: lambda", "clicks": "kind: kinesis"}, "{from: ingest, to: clicks, access: write}")
    put, key = stack["data"]["aws_iam_policy_document"]["ingest_to_clicks"]["statement"]
    assert "kinesis:PutRecords" in put["actions"]
    assert key["actions"] == ["kms:GenerateDataKey"]


def test_kinesis_consumer_must_be_a_function(tmp_path: Path) -> None:
    assert error(tmp_path, {"clicks": "kind: kinesis", "jobs": "kind: sqs"}, "clicks -> jobs") == (
        "model.yaml:10:5: error[connection]: clicks (kinesis) -> jobs (sqs): kinesis connects only to lambda"
    )


def test_kinesis_bad_retention(tmp_path: Path) -> None:
    assert error(tmp_path, {"clicks": "kind: kinesis, retention_hours: 12"}) == (
        "model.yaml:7:48: error[value]: 'retention_hours' must be at least 24, not 12"
    )


def test_kinesis_plans(tmp_path: Path) -> None:
    assert_plans(tmp_path, {"clicks": "kind: kinesis", "worker": "kind: lambda"}, "clicks -> worker")
