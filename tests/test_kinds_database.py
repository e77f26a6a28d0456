"""Database kinds: rds, aurora, dynamodb, elasticache: their Terraform, connections and bad settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import pipeline
from compiler.resolve import callers
from modules import CATALOG
from tests.kinds_helpers import _write, assert_plans, build, error

# A workload to connect from: EMR runs in private subnets with a role and a security group.
EMR = "kind: emr"


# --- rds ---------------------------------------------------------------------------------


def test_rds_defaults_are_secure(tmp_path: Path) -> None:
    stack = build(tmp_path, {"db": "kind: rds"})
    db = stack["resource"]["aws_db_instance"]["db"]
    assert db["engine"] == "postgres"
    assert db["storage_encrypted"] is True
    assert db["manage_master_user_password"] is True
    assert db["multi_az"] is True
    assert db["publicly_accessible"] is False
    assert db["deletion_protection"] is True
    assert db["backup_retention_period"] == 7
    assert db["db_subnet_group_name"] == "${aws_db_subnet_group.db.id}"
    assert db["vpc_security_group_ids"] == ["${aws_security_group.db.id}"]
    assert "password" not in db
    group = stack["resource"]["aws_db_subnet_group"]["db"]
    assert group["subnet_ids"] == ["${aws_subnet.isolated_a.id}", "${aws_subnet.isolated_b.id}"]


def test_rds_read_replicas_and_single_az(tmp_path: Path) -> None:
    stack = build(tmp_path, {"db": "kind: rds, multi_az: false, read_replicas: 2, reasons: {multi_az: a test}"})
    instances = stack["resource"]["aws_db_instance"]
    assert instances["db"]["multi_az"] is False
    assert sorted(instances) == ["db", "db_replica_1", "db_replica_2"]
    replica = instances["db_replica_2"]
    assert replica["replicate_source_db"] == "${aws_db_instance.db.identifier}"
    assert replica["storage_encrypted"] is True
    assert replica["publicly_accessible"] is False


@pytest.mark.parametrize(("engine", "port"), [("postgres", 5432), ("mysql", 3306), ("mariadb", 3306)])
def test_rds_engine_port_opens_the_connection(tmp_path: Path, engine: str, port: int) -> None:
    stack = build(tmp_path, {"batch": EMR, "db": f"kind: rds, engine: {engine}"}, "batch -> db")
    ingress = stack["resource"]["aws_vpc_security_group_ingress_rule"]["db_from_batch"]
    assert (ingress["from_port"], ingress["to_port"]) == (port, port)
    assert ingress["security_group_id"] == "${aws_security_group.db.id}"
    assert ingress["referenced_security_group_id"] == "${aws_security_group.batch.id}"
    egress = stack["resource"]["aws_vpc_security_group_egress_rule"]["batch_to_db"]
    assert egress["referenced_security_group_id"] == "${aws_security_group.db.id}"
    assert stack["resource"]["aws_db_instance"]["db"]["engine"] == engine


def test_rds_needs_two_azs(tmp_path: Path) -> None:
    assert error(tmp_path, {"db": "kind: rds"}, azs=1) == (
        "model.yaml:7:11: error[conflict]: RDS needs subnets in at least 2 availability zones (set network.azs: 2 or more)"
    )


def test_rds_engine_default_follows_the_engine(tmp_path: Path) -> None:
    """A MySQL instance got engine_version "16" (PostgreSQL's) before the table chose per engine."""
    stack = build(tmp_path, {"db": "kind: rds, engine: mysql"})
    db = stack["resource"]["aws_db_instance"]["db"]
    assert (db["engine"], db["engine_version"]) == ("mysql", "8.4")
    assert stack["resource"]["aws_db_instance"]["db"]["engine_version"] != "16"
    assert build(tmp_path, {"db": "kind: rds"})["resource"]["aws_db_instance"]["db"]["engine_version"] == "16"


def test_rds_mysql_exports_only_logs_it_turns_on(tmp_path: Path) -> None:
    """The slow query log is off in MySQL's default parameters: the exported log stayed empty."""
    stack = build(tmp_path, {"db": "kind: rds, engine: mariadb"})
    db = stack["resource"]["aws_db_instance"]["db"]
    assert db["enabled_cloudwatch_logs_exports"] == ["error", "slowquery"]
    assert db["parameter_group_name"] == "${aws_db_parameter_group.db.id}"
    group = stack["resource"]["aws_db_parameter_group"]["db"]
    assert group["family"] == "mariadb11.4"
    assert {p["name"]: p["value"] for p in group["parameter"]} == {"slow_query_log": "1", "long_query_time": "1", "log_output": "FILE"}


def test_rds_version_dates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past end of standard support: compiles (Extended Support, charged); past its end: refused."""
    group = build(tmp_path, {"db": "kind: rds, engine_version: '13.4'"})["resource"]["aws_db_parameter_group"]["db"]
    assert group["family"] == "postgres13"
    monkeypatch.setenv("ARCHC_TODAY", "2029-03-01")
    assert error(tmp_path, {"db": "kind: rds, engine_version: '13.4'"}) == (
        "model.yaml:7:39: error[version]: RDS for PostgreSQL '13.4' was retired on 2029-02-28 (RDS Extended Support for it has ended); "
        "current choices: 17"
    )


# --- aurora ------------------------------------------------------------------------------


def test_aurora_defaults(tmp_path: Path) -> None:
    stack = build(tmp_path, {"orders": "kind: aurora"})
    cluster = stack["resource"]["aws_rds_cluster"]["orders"]
    assert cluster["engine"] == "aurora-postgresql"
    assert cluster["engine_version"] == "16.13"
    # Aurora's minor upgrades (auto_minor_version_upgrade) must not become a plan to downgrade.
    assert cluster["lifecycle"] == {"ignore_changes": ["engine_version"]}
    assert cluster["port"] == 5432
    assert cluster["storage_encrypted"] is True
    assert cluster["manage_master_user_password"] is True
    assert cluster["deletion_protection"] is True
    assert cluster["backup_retention_period"] == 7
    assert cluster["iam_database_authentication_enabled"] is True
    assert cluster["copy_tags_to_snapshot"] is True
    assert cluster["skip_final_snapshot"] is False
    assert cluster["enabled_cloudwatch_logs_exports"] == ["postgresql"]
    assert cluster["db_subnet_group_name"] == "${aws_db_subnet_group.orders.id}"
    assert cluster["vpc_security_group_ids"] == ["${aws_security_group.orders.id}"]
    assert "serverlessv2_scaling_configuration" not in cluster
    group = stack["resource"]["aws_db_subnet_group"]["orders"]
    assert group["subnet_ids"] == ["${aws_subnet.isolated_a.id}", "${aws_subnet.isolated_b.id}"]
    instances = stack["resource"]["aws_rds_cluster_instance"]
    assert sorted(instances) == ["orders_1", "orders_2"]
    assert [i["availability_zone"] for i in instances.values()] == ["eu-west-3a", "eu-west-3b"]
    for instance in instances.values():
        assert instance["cluster_identifier"] == "${aws_rds_cluster.orders.id}"
        assert instance["instance_class"] == "db.t4g.medium"
        assert instance["publicly_accessible"] is False
        assert instance["performance_insights_enabled"] is True


def test_aurora_parameter_groups_turn_on_the_exported_logs(tmp_path: Path) -> None:
    """audit and slowquery were exported with no parameter group enabling them: empty logs."""
    stack = build(tmp_path, {"orders": "kind: aurora, engine: aurora-mysql"})
    cluster = stack["resource"]["aws_rds_cluster"]["orders"]
    assert cluster["enabled_cloudwatch_logs_exports"] == ["audit", "error", "slowquery"]
    assert cluster["db_cluster_parameter_group_name"] == "${aws_rds_cluster_parameter_group.orders.id}"
    group = stack["resource"]["aws_rds_cluster_parameter_group"]["orders"]
    assert group["family"] == "aurora-mysql8.0"
    assert {p["name"]: p["value"] for p in group["parameter"]} == {
        "server_audit_logging": "1",
        "server_audit_events": "CONNECT,QUERY_DCL,QUERY_DDL",
        "slow_query_log": "1",
        "long_query_time": "1",
        "log_output": "FILE",
    }
    postgres = build(tmp_path, {"orders": "kind: aurora"})["resource"]["aws_rds_cluster_parameter_group"]["orders"]
    assert postgres["family"] == "aurora-postgresql16"
    assert {p["name"] for p in postgres["parameter"]} == {"log_min_duration_statement", "log_statement", "rds.force_ssl"}


def test_aurora_mysql_serverless(tmp_path: Path) -> None:
    stack = build(
        tmp_path,
        {"batch": EMR, "orders": "kind: aurora, engine: aurora-mysql, instances: 3, serverless: {min_acu: 0.5, max_acu: 8}"},
        "batch -> orders",
    )
    cluster = stack["resource"]["aws_rds_cluster"]["orders"]
    assert cluster["engine_version"] == "8.0.mysql_aurora.3.10.4"
    assert cluster["lifecycle"] == {"ignore_changes": ["engine_version"]}
    assert cluster["port"] == 3306
    assert cluster["serverlessv2_scaling_configuration"] == [{"min_capacity": 0.5, "max_capacity": 8}]
    assert cluster["enabled_cloudwatch_logs_exports"] == ["audit", "error", "slowquery"]
    instances = stack["resource"]["aws_rds_cluster_instance"]
    assert [i["availability_zone"] for i in instances.values()] == ["eu-west-3a", "eu-west-3b", "eu-west-3a"]
    assert {i["instance_class"] for i in instances.values()} == {"db.serverless"}
    ingress = stack["resource"]["aws_vpc_security_group_ingress_rule"]["orders_from_batch"]
    assert ingress["from_port"] == 3306


def test_aurora_serverless_has_no_instance_class(tmp_path: Path) -> None:
    services = {"orders": "kind: aurora, instance_class: db.r7g.large, serverless: {max_acu: 8}"}
    assert error(tmp_path, services) == (
        "model.yaml:7:46: error[conflict]: 'instance_class' does not apply to serverless instances (they are db.serverless)"
    )


def test_aurora_needs_two_azs(tmp_path: Path) -> None:
    assert error(tmp_path, {"orders": "kind: aurora"}, azs=1) == (
        "model.yaml:7:7: error[conflict]: Aurora needs subnets in at least 2 availability zones (set network.azs: 2 or more)"
    )


def test_aurora_bad_engine(tmp_path: Path) -> None:
    assert error(tmp_path, {"orders": "kind: aurora, engine: postgres"}) == (
        "model.yaml:7:38: error[value]: 'engine' must be 'aurora-postgresql' or 'aurora-mysql', not 'postgres'"
    )


# --- dynamodb ----------------------------------------------------------------------------


def test_dynamodb_defaults(tmp_path: Path) -> None:
    stack = build(tmp_path, {"carts": "kind: dynamodb, hash_key: id"})
    table = stack["resource"]["aws_dynamodb_table"]["carts"]
    assert table["name"] == "t-carts"
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["hash_key"] == "id"
    assert table["attribute"] == [{"name": "id", "type": "S"}]
    assert table["server_side_encryption"] == [{"enabled": True}]
    assert table["point_in_time_recovery"] == [{"enabled": True}]
    assert table["deletion_protection_enabled"] is True
    for absent in ("range_key", "read_capacity", "ttl", "stream_enabled"):
        assert absent not in table


def test_dynamodb_provisioned_with_range_key_ttl_and_stream(tmp_path: Path) -> None:
    body = (
        "kind: dynamodb, hash_key: pk, hash_key_type: N, range_key: sk, billing: provisioned, read_capacity: 10, "
        "ttl_attribute: exp, stream: NEW_IMAGE"
    )
    table = build(tmp_path, {"carts": body})["resource"]["aws_dynamodb_table"]["carts"]
    assert table["billing_mode"] == "PROVISIONED"
    assert (table["read_capacity"], table["write_capacity"]) == (10, 5)
    assert table["range_key"] == "sk"
    assert table["attribute"] == [{"name": "pk", "type": "N"}, {"name": "sk", "type": "S"}]
    assert table["ttl"] == [{"attribute_name": "exp", "enabled": True}]
    assert (table["stream_enabled"], table["stream_view_type"]) == (True, "NEW_IMAGE")


@pytest.mark.parametrize(
    ("access", "has_write"),
    [("read", False), ("write", True), ("read-write", True)],
)
def test_dynamodb_api_connection_is_scoped_to_the_table(tmp_path: Path, access: str, has_write: bool) -> None:
    stack = build(tmp_path, {"batch": EMR, "carts": "kind: dynamodb, hash_key: id"}, f"{{from: batch, to: carts, access: {access}}}")
    (statement,) = stack["data"]["aws_iam_policy_document"]["batch_to_carts"]["statement"]
    assert statement["resources"] == ["${aws_dynamodb_table.carts.arn}", "${aws_dynamodb_table.carts.arn}/index/*"]
    assert ("dynamodb:PutItem" in statement["actions"]) is has_write
    assert ("dynamodb:GetItem" in statement["actions"]) is (access != "write")
    policy = stack["resource"]["aws_iam_role_policy"]["batch_to_carts"]
    assert policy["role"] == "${aws_iam_role.batch.id}"


def test_dynamodb_stream_consumed_by_a_lambda(tmp_path: Path) -> None:
    """dynamodb -> lambda: the stream (turned on), an event source mapping on it, read rights on that stream only."""
    services = {"carts": "kind: dynamodb, hash_key: id", "audit": "kind: lambda"}
    stack = build(tmp_path, services, "carts -> audit")
    res = stack["resource"]
    assert (res["aws_dynamodb_table"]["carts"]["stream_enabled"], res["aws_dynamodb_table"]["carts"]["stream_view_type"]) == (
        True,
        "NEW_AND_OLD_IMAGES",
    )
    mapping = res["aws_lambda_event_source_mapping"]["audit_from_carts"]
    assert mapping["event_source_arn"] == "${aws_dynamodb_table.carts.stream_arn}"
    assert mapping["function_name"] == "${aws_lambda_function.audit.arn}"
    assert (mapping["starting_position"], mapping["maximum_retry_attempts"], mapping["bisect_batch_on_function_error"]) == (
        "LATEST",
        10,
        True,
    )
    assert mapping["depends_on"] == ["aws_iam_role_policy.audit_consume_carts"]
    # A batch that still fails is described in the function's dead-letter queue, not dropped.
    assert mapping["destination_config"] == [{"on_failure": [{"destination_arn": "${aws_sqs_queue.audit_dlq.arn}"}]}]
    read, listing = stack["data"]["aws_iam_policy_document"]["audit_consume_carts"]["statement"]
    assert read["actions"] == ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    assert read["resources"] == ["${aws_dynamodb_table.carts.stream_arn}"]
    assert (listing["actions"], listing["resources"]) == (["dynamodb:ListStreams"], ["${aws_dynamodb_table.carts.arn}/stream/*"])
    assert res["aws_iam_role_policy"]["audit_consume_carts"]["role"] == "${aws_iam_role.audit.id}"
    # A view type set in the model is kept.
    services["carts"] += ", stream: KEYS_ONLY"
    assert build(tmp_path, services, "carts -> audit")["resource"]["aws_dynamodb_table"]["carts"]["stream_view_type"] == "KEYS_ONLY"


def test_dynamodb_stream_without_a_consumer_is_a_warning(tmp_path: Path) -> None:
    arch = pipeline.load(_write(tmp_path, {"carts": "kind: dynamodb, hash_key: id, stream: NEW_IMAGE"}, (), "azs: 2"), "model.yaml")
    assert [w.format() for w in arch.warnings] == [
        "model.yaml:7:53: warning[connection]: stream: NEW_IMAGE records every change for 24 hours, but nothing in the model "
        "reads it: connect the function that consumes it (carts -> function), or remove stream"
    ]


def test_dynamodb_stream_consumers_are_functions(tmp_path: Path) -> None:
    assert error(tmp_path, {"carts": "kind: dynamodb, hash_key: id", "jobs": "kind: sqs"}, "carts -> jobs") == (
        "model.yaml:10:5: error[connection]: carts (dynamodb) -> jobs (sqs): dynamodb connects only to lambda"
    )


def test_dynamodb_capacity_needs_provisioned_billing(tmp_path: Path) -> None:
    assert error(tmp_path, {"carts": "kind: dynamodb, hash_key: id, write_capacity: 5"}) == (
        "model.yaml:7:61: error[conflict]: 'write_capacity' applies to billing: provisioned; this table is on-demand"
    )


def test_dynamodb_needs_a_hash_key(tmp_path: Path) -> None:
    assert (
        error(tmp_path, {"carts": "kind: dynamodb"}) == "model.yaml:7:7: error[missing]: missing required key 'hash_key' in service 'carts'"
    )


def test_dynamodb_keys_differ(tmp_path: Path) -> None:
    assert error(tmp_path, {"carts": "kind: dynamodb, hash_key: id, range_key: id"}) == (
        "model.yaml:7:56: error[conflict]: 'range_key' must differ from 'hash_key'"
    )


# --- elasticache -------------------------------------------------------------------------


def test_elasticache_defaults(tmp_path: Path) -> None:
    stack = build(tmp_path, {"batch": EMR, "cache": "kind: elasticache"}, "batch -> cache")
    group = stack["resource"]["aws_elasticache_replication_group"]["cache"]
    assert group["engine"] == "redis"
    assert group["node_type"] == "cache.t4g.small"
    assert group["port"] == 6379
    assert group["num_cache_clusters"] == 2
    assert group["preferred_cache_cluster_azs"] == ["eu-west-3a", "eu-west-3b"]
    assert group["automatic_failover_enabled"] is True
    assert group["multi_az_enabled"] is True
    assert group["at_rest_encryption_enabled"] == "true"
    assert group["transit_encryption_enabled"] is True
    assert "auth_token" not in group
    assert group["snapshot_retention_limit"] == 7
    assert group["subnet_group_name"] == "${aws_elasticache_subnet_group.cache.id}"
    assert group["security_group_ids"] == ["${aws_security_group.cache.id}"]
    (log,) = group["log_delivery_configuration"]
    assert log == {
        "destination": "${aws_cloudwatch_log_group.cache_slow_log.name}",
        "destination_type": "cloudwatch-logs",
        "log_format": "json",
        "log_type": "slow-log",
    }
    assert stack["resource"]["aws_cloudwatch_log_group"]["cache_slow_log"]["retention_in_days"] == 365
    subnets = stack["resource"]["aws_elasticache_subnet_group"]["cache"]["subnet_ids"]
    assert subnets == ["${aws_subnet.isolated_a.id}", "${aws_subnet.isolated_b.id}"]
    ingress = stack["resource"]["aws_vpc_security_group_ingress_rule"]["cache_from_batch"]
    assert (ingress["from_port"], ingress["referenced_security_group_id"]) == (6379, "${aws_security_group.batch.id}")


def test_elasticache_without_replicas_has_no_failover(tmp_path: Path) -> None:
    stack = build(tmp_path, {"cache": "kind: elasticache, engine: valkey, replicas: 0, reasons: {replicas: a scratch cache}"})
    group = stack["resource"]["aws_elasticache_replication_group"]["cache"]
    assert (group["engine"], group["engine_version"]) == ("valkey", "8.0")
    assert group["num_cache_clusters"] == 1
    assert group["automatic_failover_enabled"] is False
    assert group["multi_az_enabled"] is False


def test_elasticache_without_replicas_needs_a_reason(tmp_path: Path) -> None:
    message = error(tmp_path, {"cache": "kind: elasticache, replicas: 0"})
    assert "error[missing]" in message and "replicas" in message, message


def test_elasticache_single_az_has_no_multi_az(tmp_path: Path) -> None:
    group = build(tmp_path, {"cache": "kind: elasticache"}, azs=1)["resource"]["aws_elasticache_replication_group"]["cache"]
    assert group["preferred_cache_cluster_azs"] == ["eu-west-3a", "eu-west-3a"]
    assert group["multi_az_enabled"] is False


def test_elasticache_bad_engine(tmp_path: Path) -> None:
    assert error(tmp_path, {"cache": "kind: elasticache, engine: memcached"}) == (
        "model.yaml:7:42: error[value]: 'engine' must be 'redis' or 'valkey', not 'memcached'"
    )


def test_databases_do_not_start_connections(tmp_path: Path) -> None:
    assert error(tmp_path, {"carts": "kind: dynamodb, hash_key: id", "cache": "kind: elasticache"}, "cache -> carts") == (
        "model.yaml:10:5: error[connection]: cache (elasticache) -> carts (dynamodb): elasticache does not start connections; "
        f"draw them from the caller to the service it calls (kinds that can connect to dynamodb: {', '.join(callers(CATALOG['dynamodb']))})"
    )


def test_database_models_plan(tmp_path: Path) -> None:
    """Terraform core plans the stack without error diagnostics (skipped when the engine is unavailable)."""
    services = {
        "batch": EMR,
        "db": "kind: rds, read_replicas: 1",
        "orders": "kind: aurora, serverless: {max_acu: 4}",
        "carts": "kind: dynamodb, hash_key: id, range_key: sk, stream: KEYS_ONLY",
        "cache": "kind: elasticache",
        "audit": "kind: lambda",
    }
    assert_plans(tmp_path, services, "batch -> db", "batch -> orders", "batch -> carts", "batch -> cache", "carts -> audit")


def test_free_text_settings_cannot_smuggle_terraform_expressions(tmp_path: Path) -> None:
    assert error(tmp_path, {"orders": 'kind: aurora, instance_class: "${file(\\"/etc/passwd\\")}"'}) == (
        "model.yaml:7:46: error[value]: 'instance_class' '${file(\"/etc/passwd\")}' does not match the pattern ^db\\.[a-z0-9]+\\.[a-z0-9]+$"
    )


def test_a_protected_database_says_how_to_destroy_it() -> None:
    from compiler.ir import ServiceNode
    from modules.database import AuroraCluster, RdsDatabase

    for kind, cls in (("rds", RdsDatabase), ("aurora", AuroraCluster)):
        spec = cls.model_validate({"kind": kind})
        (destroy,) = spec.after_apply(ServiceNode("db", kind, "data", "db", "isolated", spec))
        assert "deletion protection is on" in destroy and "Set deletion_protection: false" in destroy
