"""Integration kinds: sns and sqs: their Terraform, subscriptions, consumers and bad settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modules import CATALOG
from tests.kinds_helpers import assert_plans, build, error

EMR = "kind: emr"  # a workload with an IAM role, to connect from


def _offering(capability: str) -> str:
    return ", ".join(sorted(k for k, cls in CATALOG.items() if capability in cls.info.offers))


# --- sns ---------------------------------------------------------------------------------


def test_sns_topic_is_encrypted_and_mails(tmp_path: Path) -> None:
    stack = build(tmp_path, {"alerts": "kind: sns, display_name: Alerts, emails: [ops@archc-demo.io, dev@archc-demo.io]"})
    topic = stack["resource"]["aws_sns_topic"]["alerts"]
    assert topic["name"] == "t-alerts"
    assert topic["kms_master_key_id"] == "alias/aws/sns"
    assert topic["display_name"] == "Alerts"
    subscriptions = stack["resource"]["aws_sns_topic_subscription"]
    assert subscriptions["alerts_email_1"] == {
        "topic_arn": "${aws_sns_topic.alerts.arn}",
        "protocol": "email",
        "endpoint": "ops@archc-demo.io",
        "provider": "aws",
    }
    assert subscriptions["alerts_email_2"]["endpoint"] == "dev@archc-demo.io"


def test_sns_publish_connection(tmp_path: Path) -> None:
    stack = build(tmp_path, {"batch": EMR, "alerts": "kind: sns"}, "batch -> alerts")
    (statement,) = stack["data"]["aws_iam_policy_document"]["batch_to_alerts"]["statement"]
    assert statement["actions"] == ["sns:Publish"]
    assert statement["resources"] == ["${aws_sns_topic.alerts.arn}"]


def test_sns_bad_email(tmp_path: Path) -> None:
    assert error(tmp_path, {"alerts": "kind: sns, emails: [ops@archc-demo.io, ops.archc-demo.io]"}) == (
        "model.yaml:7:55: error[value]: 'emails': 'ops.archc-demo.io' is not an e-mail address"
    )


# --- sqs ---------------------------------------------------------------------------------


def test_sqs_queue_with_dead_letter_queue(tmp_path: Path) -> None:
    stack = build(tmp_path, {"jobs": "kind: sqs"})
    queues = stack["resource"]["aws_sqs_queue"]
    queue, dlq = queues["jobs"], queues["jobs_dlq"]
    assert queue["name"] == "t-jobs"
    assert queue["sqs_managed_sse_enabled"] is True
    assert queue["visibility_timeout_seconds"] == 60
    assert queue["message_retention_seconds"] == 4 * 86400
    assert json.loads(queue["redrive_policy"]) == {"deadLetterTargetArn": "${aws_sqs_queue.jobs_dlq.arn}", "maxReceiveCount": 5}
    assert dlq["name"] == "t-jobs-dlq"
    assert dlq["sqs_managed_sse_enabled"] is True
    assert dlq["message_retention_seconds"] == 14 * 86400
    allow = stack["resource"]["aws_sqs_queue_redrive_allow_policy"]["jobs_dlq"]
    assert allow["queue_url"] == "${aws_sqs_queue.jobs_dlq.id}"
    assert json.loads(allow["redrive_allow_policy"]) == {"redrivePermission": "byQueue", "sourceQueueArns": ["${aws_sqs_queue.jobs.arn}"]}


def test_sqs_fifo_without_dead_letter_queue(tmp_path: Path) -> None:
    stack = build(tmp_path, {"audit": "kind: sqs, fifo: true, dead_letter_queue: false"})
    queues = stack["resource"]["aws_sqs_queue"]
    assert list(queues) == ["audit"]
    queue = queues["audit"]
    assert queue["name"] == "t-audit.fifo"
    assert (queue["fifo_queue"], queue["content_based_deduplication"]) == (True, True)
    assert "redrive_policy" not in queue
    assert "aws_sqs_queue_redrive_allow_policy" not in stack["resource"]


def test_sqs_fifo_dead_letter_queue_is_fifo(tmp_path: Path) -> None:
    dlq = build(tmp_path, {"audit": "kind: sqs, fifo: true"})["resource"]["aws_sqs_queue"]["audit_dlq"]
    assert (dlq["name"], dlq["fifo_queue"]) == ("t-audit-dlq.fifo", True)


@pytest.mark.parametrize(
    ("access", "actions"),
    [
        ("send", ["sqs:GetQueueAttributes", "sqs:SendMessage"]),
        ("consume", ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]),
    ],
)
def test_sqs_api_connection(tmp_path: Path, access: str, actions: list[str]) -> None:
    stack = build(tmp_path, {"batch": EMR, "jobs": "kind: sqs"}, f"{{from: batch, to: jobs, access: {access}}}")
    (statement,) = stack["data"]["aws_iam_policy_document"]["batch_to_jobs"]["statement"]
    assert statement["actions"] == actions
    assert statement["resources"] == ["${aws_sqs_queue.jobs.arn}"]


def test_sqs_bad_access_level(tmp_path: Path) -> None:
    assert error(tmp_path, {"batch": EMR, "jobs": "kind: sqs"}, "{from: batch, to: jobs, access: publish}") == (
        "model.yaml:10:37: error[connection]: access 'publish' is not one sqs offers (send, consume)"
    )


def test_sqs_bad_retention(tmp_path: Path) -> None:
    assert error(tmp_path, {"jobs": "kind: sqs, retention_days: 30"}) == (
        "model.yaml:7:41: error[value]: 'retention_days' must be at most 14, not 30"
    )


# --- subscriptions and consumers ---------------------------------------------------------


def test_sns_to_sqs_subscription_and_one_queue_policy(tmp_path: Path) -> None:
    services = {"orders": "kind: sns", "refunds": "kind: sns", "jobs": "kind: sqs"}
    stack = build(tmp_path, services, "orders -> jobs", "refunds -> jobs")
    subscription = stack["resource"]["aws_sns_topic_subscription"]["orders_to_jobs"]
    assert (subscription["protocol"], subscription["endpoint"]) == ("sqs", "${aws_sqs_queue.jobs.arn}")
    assert subscription["topic_arn"] == "${aws_sns_topic.orders.arn}"
    assert stack["resource"]["aws_sns_topic_subscription"]["refunds_to_jobs"]["topic_arn"] == "${aws_sns_topic.refunds.arn}"
    (policy,) = stack["resource"]["aws_sqs_queue_policy"].values()
    assert policy == {
        "queue_url": "${aws_sqs_queue.jobs.id}",
        "policy": "${data.aws_iam_policy_document.jobs_subscriptions.json}",
        "provider": "aws",
    }
    statements = stack["data"]["aws_iam_policy_document"]["jobs_subscriptions"]["statement"]
    assert [s["sid"] for s in statements] == ["FromTopic1", "FromTopic2"]
    for statement, topic in zip(statements, ("orders", "refunds"), strict=True):
        assert statement["actions"] == ["sqs:SendMessage"]
        assert statement["resources"] == ["${aws_sqs_queue.jobs.arn}"]
        assert statement["principals"] == [{"type": "Service", "identifiers": ["sns.amazonaws.com"]}]
        assert statement["condition"] == [{"test": "ArnEquals", "variable": "aws:SourceArn", "values": [f"${{aws_sns_topic.{topic}.arn}}"]}]


def test_sns_to_lambda_subscription(tmp_path: Path) -> None:
    stack = build(tmp_path, {"orders": "kind: sns", "fn": "kind: lambda"}, "orders -> fn")
    subscription = stack["resource"]["aws_sns_topic_subscription"]["orders_to_fn"]
    assert (subscription["protocol"], subscription["endpoint"]) == ("lambda", "${aws_lambda_function.fn.arn}")
    permissions = [p for p in stack["resource"]["aws_lambda_permission"].values() if p["principal"] == "sns.amazonaws.com"]
    assert [p["source_arn"] for p in permissions] == ["${aws_sns_topic.orders.arn}"]


def test_sqs_to_lambda_is_an_event_source_mapping(tmp_path: Path) -> None:
    stack = build(tmp_path, {"jobs": "kind: sqs", "fn": "kind: lambda"}, "jobs -> fn")
    (mapping,) = stack["resource"]["aws_lambda_event_source_mapping"].values()
    assert mapping["event_source_arn"] == "${aws_sqs_queue.jobs.arn}"
    assert mapping["function_name"] == "${aws_lambda_function.fn.arn}"


def test_sns_connects_only_to_subscribers(tmp_path: Path) -> None:
    assert error(tmp_path, {"orders": "kind: sns", "batch": EMR}, "orders -> batch") == (
        f"model.yaml:10:5: error[connection]: orders (sns) -> batch (emr): sns connects only to {_offering('subscriber')}"
    )


def test_sqs_connects_only_to_consumers(tmp_path: Path) -> None:
    assert error(tmp_path, {"jobs": "kind: sqs", "other": "kind: sqs"}, "jobs -> other") == (
        f"model.yaml:10:5: error[connection]: jobs (sqs) -> other (sqs): sqs connects only to {_offering('consumer')}"
    )


def test_integration_models_plan(tmp_path: Path) -> None:
    services = {"batch": EMR, "orders": "kind: sns, emails: [ops@archc-demo.io]", "jobs": "kind: sqs", "audit": "kind: sqs, fifo: true"}
    connections = ["orders -> jobs", "batch -> orders", "{from: batch, to: audit, access: send}"]
    if "lambda" in CATALOG:
        services["fn"] = "kind: lambda"
        connections += ["orders -> fn", "jobs -> fn"]
    assert_plans(tmp_path, services, *connections)


# --- schedule, event-bus, event-rule ---------------------------------------------------------


def test_schedule_targets_a_function_with_its_permission(tmp_path: Path) -> None:
    stack = build(tmp_path, {"nightly": 'kind: schedule, expression: "cron(0 2 * * ? *)"', "worker": "kind: lambda"}, "nightly -> worker")
    rule = stack["resource"]["aws_cloudwatch_event_rule"]["nightly"]
    assert rule["schedule_expression"] == "cron(0 2 * * ? *)"
    assert "event_bus_name" not in rule  # schedules run on the default bus
    target = stack["resource"]["aws_cloudwatch_event_target"]["nightly_to_worker"]
    assert target["rule"] == "${aws_cloudwatch_event_rule.nightly.name}"
    assert target["arn"] == "${aws_lambda_function.worker.arn}"
    permission = stack["resource"]["aws_lambda_permission"]["worker_from_rule_nightly"]
    assert (permission["principal"], permission["source_arn"]) == ("events.amazonaws.com", "${aws_cloudwatch_event_rule.nightly.arn}")


def test_event_rule_on_a_custom_bus_to_queues(tmp_path: Path) -> None:
    services = {
        "bus": "kind: event-bus",
        "placed": "kind: event-rule, bus: bus, pattern: {source: [orders]}",
        "jobs": "kind: sqs",
        "ordered": "kind: sqs, fifo: true",
        "api": "kind: lambda",
    }
    stack = build(tmp_path, services, "placed -> jobs", "placed -> ordered", "{from: api, to: bus, access: put}")
    res = stack["resource"]
    assert res["aws_cloudwatch_event_bus"]["bus"]["name"] == "t-bus"
    rule = res["aws_cloudwatch_event_rule"]["placed"]
    assert rule["event_bus_name"] == "${aws_cloudwatch_event_bus.bus.name}"
    assert json.loads(rule["event_pattern"]) == {"source": ["orders"]}
    target = res["aws_cloudwatch_event_target"]["placed_to_jobs"]
    assert target["event_bus_name"] == "${aws_cloudwatch_event_bus.bus.name}"
    assert "sqs_target" not in target
    assert res["aws_cloudwatch_event_target"]["placed_to_ordered"]["sqs_target"] == [{"message_group_id": "archc"}]
    (statement,) = stack["data"]["aws_iam_policy_document"]["jobs_subscriptions"]["statement"]
    assert statement["sid"] == "FromRule1"
    assert statement["principals"] == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    assert statement["condition"][0]["values"] == ["${aws_cloudwatch_event_rule.placed.arn}"]
    (put,) = stack["data"]["aws_iam_policy_document"]["api_to_bus"]["statement"]
    assert (put["actions"], put["resources"]) == (["events:PutEvents"], ["${aws_cloudwatch_event_bus.bus.arn}"])
    assert res["aws_ssm_parameter"]["bus_name"]["value"] == "${aws_cloudwatch_event_bus.bus.name}"


def test_schedule_bad_rate_unit(tmp_path: Path) -> None:
    assert error(tmp_path, {"tick": 'kind: schedule, expression: "rate(1 minutes)"'}) == (
        "model.yaml:7:42: error[value]: rate(1 minutes): EventBridge expects rate(1 minute)"
    )


def test_schedule_bad_expression(tmp_path: Path) -> None:
    assert error(tmp_path, {"tick": "kind: schedule, expression: every day"}) == (
        "model.yaml:7:42: error[value]: 'expression': 'every day' is not a schedule; write rate(5 minutes), rate(1 hour) "
        "or cron(0 2 * * ? *)"
    )


def test_schedule_cannot_target_a_topic(tmp_path: Path) -> None:
    message = error(tmp_path, {"tick": 'kind: schedule, expression: "rate(1 hour)"', "alerts": "kind: sns"}, "tick -> alerts")
    assert message == (
        "model.yaml:10:5: error[connection]: tick (schedule) -> alerts (sns): schedule connects only to lambda, sqs, step-functions"
    )


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{source: orders}", "'source' must be a list of values, e.g. source: [orders]"),
        ("{source: [orders], detail: {state: []}}", "'detail.state' is an empty list, which matches nothing; list at least one value"),
        ("{detail: {}}", "'detail' is an empty mapping; name a nested field or give a list of values"),
    ],
)
def test_event_rule_pattern_takes_lists(tmp_path: Path, pattern: str, message: str) -> None:
    """Review of issue 18: EventBridge refuses such a pattern at apply (PutRule: "Event pattern is not valid")."""
    assert error(tmp_path, {"placed": f"kind: event-rule, pattern: {pattern}"}) == f"model.yaml:7:43: error[value]: pattern: {message}"


def test_event_rules_plan(tmp_path: Path) -> None:
    services = {"bus": "kind: event-bus", "placed": "kind: event-rule, bus: bus, pattern: {source: [orders]}", "jobs": "kind: sqs"}
    assert_plans(tmp_path, services, "placed -> jobs")


# --- step-functions ----------------------------------------------------------------------------


def test_state_machine_invokes_its_functions(tmp_path: Path) -> None:
    services = {"flow": "kind: step-functions", "charge": "kind: lambda", "ship": "kind: lambda"}
    stack = build(tmp_path, services, "{from: flow, to: charge, access: invoke}", "{from: flow, to: ship, access: invoke}")
    machine = stack["resource"]["aws_sfn_state_machine"]["flow"]
    definition = json.loads(machine["definition"])
    assert definition["StartAt"] == "charge"
    assert definition["States"]["charge"]["Next"] == "ship"
    assert definition["States"]["ship"]["Parameters"]["FunctionName"] == "${aws_lambda_function.ship.arn}"
    # Review of issue 18: the partition of the account (not "aws"), and Lambda's four transient errors retried with backoff.
    assert definition["States"]["charge"]["Resource"] == "arn:${data.aws_partition.archc.partition}:states:::lambda:invoke"
    assert definition["States"]["charge"]["Retry"] == [
        {
            "ErrorEquals": [
                "Lambda.AWSLambdaException",
                "Lambda.SdkClientException",
                "Lambda.ServiceException",
                "Lambda.TooManyRequestsException",
            ],
            "IntervalSeconds": 1,
            "MaxAttempts": 3,
            "BackoffRate": 2,
        }
    ]
    assert machine["tracing_configuration"] == [{"enabled": True}]
    assert machine["logging_configuration"][0]["log_destination"] == "${aws_cloudwatch_log_group.flow.arn}:*"
    assert stack["resource"]["aws_cloudwatch_log_group"]["flow"]["name"] == "/aws/vendedlogs/states/t-flow"
    (invoke,) = stack["data"]["aws_iam_policy_document"]["flow_to_charge"]["statement"]
    assert (invoke["actions"], invoke["resources"]) == (["lambda:InvokeFunction"], ["${aws_lambda_function.charge.arn}"])


def test_state_machine_definition_names_connected_services(tmp_path: Path) -> None:
    definition = "{StartAt: go, States: {go: {Type: Task, Resource: '${charge}', End: true}}}"
    stack = build(tmp_path, {"flow": f"kind: step-functions, definition: {definition}", "charge": "kind: lambda"}, "flow -> charge")
    states = json.loads(stack["resource"]["aws_sfn_state_machine"]["flow"]["definition"])["States"]
    assert states["go"]["Resource"] == "${aws_lambda_function.charge.arn}"


def test_schedule_starts_a_state_machine_through_a_role(tmp_path: Path) -> None:
    services = {"nightly": 'kind: schedule, expression: "rate(1 day)"', "flow": "kind: step-functions"}
    stack = build(tmp_path, services, "nightly -> flow")
    target = stack["resource"]["aws_cloudwatch_event_target"]["nightly_to_flow"]
    assert target["role_arn"] == "${aws_iam_role.flow_from_nightly.arn}"
    (start,) = stack["data"]["aws_iam_policy_document"]["flow_from_nightly"]["statement"]
    assert (start["actions"], start["resources"]) == (["states:StartExecution"], ["${aws_sfn_state_machine.flow.arn}"])
    trust = stack["data"]["aws_iam_policy_document"]["flow_from_nightly_assume"]["statement"][0]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]


def test_state_machine_bad_definition(tmp_path: Path) -> None:
    assert error(tmp_path, {"flow": "kind: step-functions, definition: {States: {}}"}) == (
        "model.yaml:7:48: error[value]: definition: Amazon States Language needs StartAt and States"
    )


def test_state_machine_plans(tmp_path: Path) -> None:
    assert_plans(tmp_path, {"flow": "kind: step-functions", "fn": "kind: lambda"}, "{from: flow, to: fn, access: invoke}")
