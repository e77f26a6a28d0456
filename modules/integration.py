"""Integration: SNS topics and SQS queues for asynchronous messaging, EventBridge schedules,
rules and buses, Step Functions state machines."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field

from modules import support
from modules.base import Email, EventSource, Facts, KindInfo, Problem, RefTo, Service
from modules.compute_kit import LOG_RETENTION_DAYS, attach_policies, extra_role, inline_policy, ref_name

if TYPE_CHECKING:
    from compiler.ir import Edge, ServiceNode
    from compiler.terraform.context import Ref, ServiceContext


class SnsTopic(Service):
    """An SNS topic, encrypted with KMS, fanning messages out to queues, functions and e-mail."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon SNS",
        family="integration",
        summary="A publish/subscribe topic that fans notifications out to queues, functions and e-mail addresses.",
        icon="aws.integration.SimpleNotificationServiceSns",
        access={"publish": ("sns:Publish",)},
        delivers=("publish",),
        needs="subscriber",
    )

    kind: Literal["sns"]
    display_name: str | None = Field(
        None, max_length=100, pattern=r"^[^{}]*$", description="Sender name shown in e-mail and SMS notifications."
    )
    emails: list[Email] = Field(
        default_factory=list,
        description="E-mail addresses to subscribe; each recipient confirms the subscription from the message AWS sends.",
    )

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The topic and its e-mail subscriptions."""
        topic = ctx.add(
            "aws_sns_topic",
            "",
            {
                "name": ctx.physical_name("aws_sns_topic"),
                # The AWS-managed key: SNS, SQS and Lambda deliveries work without a key policy of ours.
                "kms_master_key_id": "alias/aws/sns",
                **({"display_name": self.display_name} if self.display_name else {}),
                "tags": ctx.tags(),
            },
        )
        for i, email in enumerate(self.emails, 1):
            ctx.add("aws_sns_topic_subscription", f"email_{i}", {"topic_arn": topic.arn, "protocol": "email", "endpoint": email})
        ctx.output("topic_arn", topic.arn, f"ARN of the {node.id} topic.")

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The topic."""
        return [ctx.stack_ref("aws_sns_topic").arn]

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """A subscription of ``target`` ("subscriber") to this topic."""
        topic_arn = ctx.stack_ref("aws_sns_topic").arn
        endpoint = target.spec.subscribe(target, ctx.other(target.id), topic_arn)
        ctx.add("aws_sns_topic_subscription", f"to_{target.tf_name}", {"topic_arn": topic_arn, **endpoint})


SQS_SEND = ("sqs:GetQueueAttributes", "sqs:SendMessage")
SQS_CONSUME = ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage")


class SqsQueue(Service):
    """An SQS queue, encrypted, with a dead-letter queue for messages that keep failing."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon SQS",
        family="integration",
        summary="A message queue that decouples producers from consumers and absorbs bursts of work.",
        icon="aws.integration.SimpleQueueServiceSqs",
        access={"send": SQS_SEND, "consume": SQS_CONSUME},
        delivers=("send",),
        needs="consumer",
        offers=("subscriber", "notify", "event-target"),
    )

    kind: Literal["sqs"]
    fifo: bool = Field(False, description="First-in-first-out delivery, exactly once (the name gets the .fifo suffix).")
    visibility_timeout_s: int = Field(
        60,
        ge=0,
        le=43200,
        description="Seconds a received message stays hidden; at least the consumer's timeout. Default: 60, or 6 times the "
        "longest timeout of the Lambda functions consuming it when more (AWS's recommendation: room for retries after "
        "throttling).",
    )
    retention_days: int = Field(4, ge=1, le=14, description="How long an unconsumed message is kept.")
    dead_letter_queue: bool = Field(True, description="Move messages received max_receive_count times to a dead-letter queue.")
    max_receive_count: int = Field(5, ge=1, le=1000, description="Receives before a message goes to the dead-letter queue.")

    def _name(self, ctx: ServiceContext, suffix: str = "") -> str:
        if self.fifo:
            return ctx.physical_name("aws_sqs_queue", suffix, after=".fifo")
        return ctx.physical_name("aws_sqs_queue", suffix)

    def _visibility_s(self, ctx: ServiceContext) -> int:
        """The model's visibility timeout, else the default raised to 6 times the longest
        consumer's timeout (Lambda developer guide, "Creating and configuring an Amazon SQS
        event source mapping": at least six times the function's timeout)."""
        if "visibility_timeout_s" in self.model_fields_set:
            return self.visibility_timeout_s
        longest = [
            t
            for e in ctx.arch.edges_from(ctx.node.id)
            if e.via == "consumer" and (t := ctx.arch.services[e.target].spec.processing_timeout_s()) is not None
        ]
        return min(43200, max([self.visibility_timeout_s, *(6 * t for t in longest)]))

    def _queue(self, ctx: ServiceContext, suffix: str, retention_days: int) -> dict[str, object]:
        return {
            "name": self._name(ctx, suffix),
            **({"fifo_queue": True, "content_based_deduplication": True} if self.fifo else {}),
            # SQS-managed keys rather than alias/aws/sqs: SNS cannot publish to a queue
            # encrypted with an AWS-managed KMS key.
            "sqs_managed_sse_enabled": True,
            "visibility_timeout_seconds": self._visibility_s(ctx),
            "message_retention_seconds": retention_days * 86400,
            "receive_wait_time_seconds": 20,
            "tags": ctx.tags(suffix),
        }

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The queue and its dead-letter queue (which only this queue may redrive into)."""
        body = self._queue(ctx, "", self.retention_days)
        queue = ctx.stack_ref("aws_sqs_queue")
        if self.dead_letter_queue:
            # The dead-letter queue keeps messages the longest SQS allows, to leave time to inspect them.
            dlq = ctx.add("aws_sqs_queue", "dlq", self._queue(ctx, "dlq", 14))
            body["redrive_policy"] = json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": self.max_receive_count})
            ctx.add(
                "aws_sqs_queue_redrive_allow_policy",
                "dlq",
                {"queue_url": dlq.id, "redrive_allow_policy": json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [queue.arn]})},
            )
            ctx.output("dlq_url", dlq.id, f"URL of the {node.id} dead-letter queue.")
        ctx.add("aws_sqs_queue", "", body)
        ctx.output("url", queue.id, f"URL of the {node.id} queue.")

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The queue."""
        return [ctx.stack_ref("aws_sqs_queue").arn]

    def connection_problems(self, edge: Edge, target: Service) -> list[Problem]:
        """A consumer's run must fit in the visibility timeout: Lambda refuses the event source
        mapping otherwise (CreateEventSourceMapping: "Queue visibility timeout: 30 seconds is
        less than Function timeout: 60 seconds")."""
        longest = target.processing_timeout_s() if edge.via == "consumer" else None
        if longest is None or self.visibility_timeout_s >= longest or "visibility_timeout_s" not in self.model_fields_set:
            return []
        return [
            Problem(
                "conflict",
                f"the queue's visibility_timeout_s ({self.visibility_timeout_s}) is shorter than the consumer's timeout "
                f"({longest} s); Lambda refuses such an event source mapping: raise visibility_timeout_s to at least {longest} "
                f"(AWS recommends 6 times the function timeout, {min(6 * longest, 43200)})",
            )
        ]

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """``target`` consumes this queue ("consumer"): its event source mapping and permissions."""
        target.spec.consume(target, ctx.other(target.id), self.event_source(ctx.node, ctx))

    def event_source(self, node: ServiceNode, ctx: ServiceContext) -> EventSource:
        """Batches of 10 messages; receive, delete and hide them on this queue only. Partial batch
        responses: only the messages the handler lists as failed come back (and count toward the
        dead-letter queue's max_receive_count), not the whole batch."""
        settings = {"batch_size": 10, "function_response_types": ["ReportBatchItemFailures"]}
        return EventSource(ctx.stack_ref("aws_sqs_queue").arn, SQS_CONSUME, settings)

    def subscribe(self, node: ServiceNode, ctx: ServiceContext, topic_arn: str) -> dict[str, object]:
        """Let the topic send to this queue: one queue policy, one statement per topic."""
        queue = self._allow_send(ctx, "sns.amazonaws.com", topic_arn)
        return {"protocol": "sqs", "endpoint": queue.arn}

    def event_target(self, node: ServiceNode, ctx: ServiceContext, rule_arn: str) -> dict[str, object]:
        """Let the rule send its events to this queue (one statement for that rule); FIFO needs a group."""
        queue = self._allow_send(ctx, "events.amazonaws.com", rule_arn)
        return {"arn": queue.arn, **({"sqs_target": [{"message_group_id": "archc"}]} if self.fifo else {})}

    def notification(self, node: ServiceNode, ctx: ServiceContext, bucket_arn: str) -> dict[str, object]:
        """Let the bucket send its object events to this queue (one statement for that bucket)."""
        queue = self._allow_send(ctx, "s3.amazonaws.com", bucket_arn)
        return {"block": "queue", "queue_arn": queue.arn, "after": "aws_sqs_queue_policy." + ctx.tf()}

    def _allow_send(self, ctx: ServiceContext, principal: str, source_arn: str) -> Ref:
        """A statement of the queue policy letting one topic or bucket (``source_arn``) send."""
        queue = ctx.stack_ref("aws_sqs_queue")
        statement = {
            "actions": ["sqs:SendMessage"],
            "resources": [queue.arn],
            "principals": [{"type": "Service", "identifiers": [principal]}],
            "condition": [{"test": "ArnEquals", "variable": "aws:SourceArn", "values": [source_arn]}],
        }
        # A queue has one policy: the first sender creates it, later ones add a statement.
        sid = {"sns.amazonaws.com": "FromTopic", "events.amazonaws.com": "FromRule"}.get(principal, "FromBucket")
        doc = ctx.stack_ref("data.aws_iam_policy_document", "subscriptions")
        if ctx.stack.has(doc):
            statements = ctx.stack.body(doc)["statement"]
            statements.append({"sid": f"{sid}{len(statements) + 1}", **statement})
            # The policy came with the first sender's connection: its statement is this one's part.
            ctx.stack.realize("permission", ctx.stack_ref("aws_sqs_queue_policy"), f"statement {sid}{len(statements)}")
        else:
            doc = ctx.data("aws_iam_policy_document", "subscriptions", {"statement": [{"sid": f"{sid}1", **statement}]})
            ctx.add("aws_sqs_queue_policy", "", {"queue_url": queue.id, "policy": doc.attr("json")})
        return queue


# --- EventBridge ------------------------------------------------------------------------
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$")


def _schedule(value: str) -> str:
    if not SCHEDULE.match(value):
        raise ValueError(f"{value!r} is not a schedule; write rate(5 minutes), rate(1 hour) or cron(0 2 * * ? *)")
    return value


class _Rule(Service):
    """An EventBridge rule (a schedule or an event pattern) whose connections are its targets."""

    def _trigger(self, ctx: ServiceContext) -> dict[str, object]:
        raise NotImplementedError

    def _bus(self, ctx: ServiceContext) -> dict[str, object]:
        return {}

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The rule; its targets come with its connections."""
        body = {
            "name": ctx.physical_name("aws_cloudwatch_event_rule"),
            "description": (self.description or f"archc: {node.id}")[:512],
            **self._bus(ctx),
            **self._trigger(ctx),
            "tags": ctx.tags(),
        }
        rule = ctx.add("aws_cloudwatch_event_rule", "", body)
        ctx.output("rule_arn", rule.arn, f"ARN of the {node.id} rule.")

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """A target of the rule ("event-target"), with what the target needs to be called by EventBridge."""
        rule = ctx.stack_ref("aws_cloudwatch_event_rule")
        fields = target.spec.event_target(target, ctx.other(target.id), rule.arn)
        body = {"rule": rule.attr("name"), **self._bus(ctx), "target_id": f"archc-{target.id}"[:64], **fields}
        ctx.add("aws_cloudwatch_event_target", f"to_{target.tf_name}", body)


class EventSchedule(_Rule):
    """An EventBridge rule on a schedule (rate or cron) starting functions, queues or state machines."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon EventBridge schedule",
        family="integration",
        summary="Starts functions, queues or workflows on a schedule (every hour, each night at two).",
        icon="aws.integration.EventbridgeScheduler",
        needs="event-target",
        aliases=("cron", "eventbridge-schedule", "scheduled-rule"),
    )

    kind: Literal["schedule"]
    expression: Annotated[str, AfterValidator(_schedule)] = Field(
        description="When: rate(5 minutes), rate(1 hour), rate(1 day), or cron(0 2 * * ? *) (six fields, UTC). "
        "Schedules run on the default event bus.",
        examples=["rate(5 minutes)", "cron(0 2 * * ? *)"],
    )

    def check(self, facts: Facts) -> list[Problem]:
        """rate(1 minute), rate(5 minutes): EventBridge refuses the other number of the unit."""
        match = RATE.match(self.expression)
        if match:
            count, unit = int(match.group(1)), match.group(2)
            if count == 0:
                return [Problem("value", f"{self.expression}: the rate must be at least 1", "expression")]
            wanted = unit.rstrip("s") if count == 1 else unit.rstrip("s") + "s"
            if unit != wanted:
                return [Problem("value", f"{self.expression}: EventBridge expects rate({count} {wanted})", "expression")]
        return []

    def _trigger(self, ctx: ServiceContext) -> dict[str, object]:
        return {"schedule_expression": self.expression}


class EventBus(Service):
    """A custom EventBridge event bus that applications put their own events on."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon EventBridge event bus",
        family="integration",
        summary="A bus for the application's own events: producers put events, rules on the bus route them to targets.",
        icon="aws.integration.EventbridgeCustomEventBusResource",
        access={"put": ("events:PutEvents",)},
        aliases=("eventbridge", "event-bridge", "bus"),
        monitorable=False,  # no AWS metric worth an alarm (its rules are watched): cloudwatch -> it is refused
    )

    kind: Literal["event-bus"]

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """The bus; producers learn its name through their connection."""
        bus = ctx.add("aws_cloudwatch_event_bus", "", {"name": ctx.physical_name("aws_cloudwatch_event_bus"), "tags": ctx.tags()})
        ctx.output("name", bus.attr("name"), f"Name of the {node.id} event bus (EventBusName in PutEvents).")
        ctx.output("arn", bus.arn, f"ARN of the {node.id} event bus.")

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The bus."""
        return [ctx.stack_ref("aws_cloudwatch_event_bus").arn]


class EventRule(_Rule):
    """An EventBridge rule matching an event pattern, on the default bus or a custom one."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon EventBridge rule",
        family="integration",
        summary="Routes the events that match a pattern (from AWS services or the application's bus) to functions, queues or workflows.",
        icon="aws.integration.EventbridgeRule",
        needs="event-target",
        aliases=("rule", "eventbridge-rule", "cloudwatch-events"),
    )

    kind: Literal["event-rule"]
    pattern: dict[str, Any] = Field(
        description="The event pattern, as EventBridge reads it, e.g. {source: [orders], detail-type: [OrderPlaced]}.",
        examples=[{"source": ["orders"], "detail-type": ["OrderPlaced"]}],
    )
    bus: Annotated[str, RefTo(("event-bus",), label="rule on")] | None = Field(
        None, description="The event-bus service the rule listens on. Unset: the default bus (AWS services' events)."
    )

    def check(self, facts: Facts) -> list[Problem]:
        """An empty pattern matches nothing EventBridge accepts; a field's value is a list of
        values or a mapping of nested fields (PutRule refuses any other pattern at apply:
        "Event pattern is not valid")."""
        if not self.pattern:
            return [Problem("value", "pattern: an empty pattern; name at least one field, e.g. {source: [orders]}", "pattern")]
        where = _pattern_problem(self.pattern, "")
        return [Problem("value", f"pattern: {where}", "pattern")] if where else []

    def _bus(self, ctx: ServiceContext) -> dict[str, object]:
        if self.bus is None:
            return {}
        return {"event_bus_name": ctx.other(self.bus).stack_ref("aws_cloudwatch_event_bus").attr("name")}

    def _trigger(self, ctx: ServiceContext) -> dict[str, object]:
        return {"event_pattern": json.dumps(self.pattern, sort_keys=True)}


# --- Step Functions ---------------------------------------------------------------------
# Vended log delivery: these actions take no resource ARN (Step Functions developer guide,
# "IAM policies for logging to CloudWatch Logs").
LOG_DELIVERY = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)
TOKEN = re.compile(r"^\$\{([a-z0-9-]+)\}$")
# Lambda's transient errors, retried with backoff: the retrier Step Functions' console and
# Workflow Studio put on a Lambda task (developer guide, "Handle transient Lambda service
# exceptions"). A function's own error is not retried: it fails the run, and the
# ExecutionsFailed alarm shows it.
LAMBDA_RETRY = {
    "ErrorEquals": ["Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.ServiceException", "Lambda.TooManyRequestsException"],
    "IntervalSeconds": 1,
    "MaxAttempts": 3,
    "BackoffRate": 2,
}


class StateMachine(Service):
    """A Step Functions state machine with execution logs (under the data key) and X-Ray tracing."""

    info: ClassVar[KindInfo] = KindInfo(
        title="AWS Step Functions",
        family="integration",
        summary="A workflow that runs steps (functions, retries, waits, branches) in order and keeps each run's history.",
        icon="aws.integration.StepFunctions",
        access={"start": ("states:StartExecution", "states:StartSyncExecution")},
        principal="states.amazonaws.com",
        needs="network",
        offers=("event-target",),
        aliases=("sfn", "stepfunctions", "state-machine", "workflow"),
    )

    kind: Literal["step-functions"]
    type: Literal["STANDARD", "EXPRESS"] = Field(
        "STANDARD", description="STANDARD: long runs, exactly once, full history; EXPRESS: short, high-volume runs."
    )
    definition: dict[str, Any] | None = Field(
        None,
        description='The workflow in Amazon States Language, as a mapping. A value "${<service>}" is replaced by the ARN '
        "of that service, which the state machine must connect to (its connection grants the call). Unset: one task per "
        "connected lambda (access: invoke), in connection order.",
    )
    log_level: Literal["ALL", "ERROR", "FATAL"] = Field("ALL", description="Which execution events go to its log group.")

    def _targets(self, node: ServiceNode, ctx: ServiceContext) -> dict[str, str]:
        """Connected services by id -> the ARN a definition names them with."""
        found = {}
        for edge in ctx.arch.edges_from(node.id):
            if edge.via == "api":
                target = ctx.arch.services[edge.target]
                found[edge.target] = target.spec.arns(target, ctx.other(edge.target))[0]
        return found

    def _definition(self, node: ServiceNode, ctx: ServiceContext, arns: dict[str, str]) -> dict[str, Any]:
        if self.definition is not None:
            substituted: dict[str, Any] = _substitute(self.definition, arns)
            return substituted
        steps = [e.target for e in ctx.arch.edges_from(node.id) if e.via == "api" and e.access == "invoke"]
        if not steps:
            return {"Comment": "archc placeholder: set definition", "StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        states: dict[str, Any] = {}
        partition, _ = support.account(ctx)
        for i, step in enumerate(steps):
            state: dict[str, Any] = {
                "Type": "Task",
                "Resource": f"arn:{partition}:states:::lambda:invoke",
                "Parameters": {"FunctionName": arns[step], "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "Retry": [LAMBDA_RETRY],
            }
            state |= {"Next": steps[i + 1]} if i + 1 < len(steps) else {"End": True}
            states[step] = state
        return {"StartAt": steps[0], "States": states}

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Log group, logging and tracing rights, the state machine."""
        name = ctx.physical_name("aws_sfn_state_machine")
        logs = ctx.add(
            "aws_cloudwatch_log_group",
            "",
            {"name": f"/aws/vendedlogs/states/{name}", "retention_in_days": LOG_RETENTION_DAYS, "tags": ctx.tags()},
        )
        # Step Functions checks these rights when it creates the state machine with logging on.
        deps = [inline_policy(ctx, "log_delivery", ctx.role, [{"actions": list(LOG_DELIVERY), "resources": ["*"]}]).address]
        deps += attach_policies(ctx, ctx.role, {"xray": "AWSXRayDaemonWriteAccess"})
        arns = self._targets(node, ctx)
        definition = self._definition(node, ctx, arns)
        machine = ctx.add(
            "aws_sfn_state_machine",
            "",
            {
                "name": name,
                "type": self.type,
                "role_arn": ctx.role.arn,
                "definition": json.dumps(definition, sort_keys=True),
                "logging_configuration": [{"log_destination": f"{logs.arn}:*", "include_execution_data": True, "level": self.log_level}],
                "tracing_configuration": [{"enabled": True}],
                "tags": ctx.tags(),
                "depends_on": sorted(deps),
            },
        )
        for edge in ctx.arch.edges_from(node.id):
            if edge.target in arns and json.dumps(definition).count(arns[edge.target]):
                ctx.stack.realize("discovery", machine, f"definition names {edge.target}", edge=edge.id)
        ctx.output("arn", machine.arn, f"ARN of the {node.id} state machine.")

    def check(self, facts: Facts) -> list[Problem]:
        """A definition names its states."""
        if self.definition is not None and not {"StartAt", "States"} <= set(self.definition):
            return [Problem("value", "definition: Amazon States Language needs StartAt and States", "definition")]
        return []

    def arns(self, node: ServiceNode, ctx: ServiceContext) -> list[str]:
        """The state machine."""
        return [ctx.stack_ref("aws_sfn_state_machine").arn]

    def event_target(self, node: ServiceNode, ctx: ServiceContext, rule_arn: str) -> dict[str, object]:
        """EventBridge starts runs through a role of its own, allowed to start this state machine only."""
        suffix = f"from_{ref_name(rule_arn)}"
        role = extra_role(ctx, suffix, "events.amazonaws.com")
        start = {"actions": ["states:StartExecution"], "resources": [ctx.stack_ref("aws_sfn_state_machine").arn]}
        inline_policy(ctx, suffix, role, [start])
        return {"arn": ctx.stack_ref("aws_sfn_state_machine").arn, "role_arn": role.arn}


def _pattern_problem(pattern: dict[str, Any], path: str) -> str | None:
    """Why an event pattern (or the part at ``path``) is not one EventBridge takes, or None.

    >>> _pattern_problem({"source": "orders"}, "")
    "'source' must be a list of values, e.g. source: [orders]"
    >>> _pattern_problem({"detail": {"state": []}}, "") is not None, _pattern_problem({"detail": {"n": [{"numeric": [">", 0]}]}}, "")
    (True, None)
    """
    for key, value in pattern.items():
        field = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            if not value:
                return f"'{field}' is an empty mapping; name a nested field or give a list of values"
            found = _pattern_problem(value, field)
            if found:
                return found
        elif not isinstance(value, list):
            return f"'{field}' must be a list of values, e.g. {key}: [{value}]"
        elif not value:
            return f"'{field}' is an empty list, which matches nothing; list at least one value"
    return None


def _substitute(value: Any, arns: dict[str, str]) -> Any:
    """``value`` with every string "${service}" naming a connected service replaced by its ARN."""
    if isinstance(value, dict):
        return {k: _substitute(v, arns) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, arns) for v in value]
    if isinstance(value, str):
        match = TOKEN.match(value)
        if match and match.group(1) in arns:
            return arns[match.group(1)]
    return value
