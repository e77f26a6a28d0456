"""Integration: SNS topics and SQS queues for asynchronous messaging."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from modules.base import EventSource, KindInfo, Service

if TYPE_CHECKING:
    from compiler.ir import Edge, ServiceNode
    from compiler.terraform.context import Ref, ServiceContext

EMAIL = re.compile(r"^[^@\s{}]+@[^@\s{}]+\.[^@\s{}]+$")


def _email(value: str) -> str:
    """A plain check (pydantic's EmailStr needs a package archc does not ship)."""
    if not EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


class SnsTopic(Service):
    """An SNS topic, encrypted with KMS, fanning messages out to queues, functions and e-mail."""

    info: ClassVar[KindInfo] = KindInfo(
        title="Amazon SNS",
        family="integration",
        summary="A publish/subscribe topic that fans notifications out to queues, functions and e-mail addresses.",
        icon="aws.integration.SimpleNotificationServiceSns",
        access={"publish": ("sns:Publish",)},
        needs="subscriber",
    )

    kind: Literal["sns"]
    display_name: str | None = Field(
        None, max_length=100, pattern=r"^[^{}]*$", description="Sender name shown in e-mail and SMS notifications."
    )
    emails: list[Annotated[str, AfterValidator(_email)]] = Field(
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
        needs="consumer",
        offers=("subscriber", "notify"),
    )

    kind: Literal["sqs"]
    fifo: bool = Field(False, description="First-in-first-out delivery, exactly once (the name gets the .fifo suffix).")
    visibility_timeout_s: int = Field(
        60, ge=0, le=43200, description="Seconds a received message stays hidden; above the consumer's timeout."
    )
    retention_days: int = Field(4, ge=1, le=14, description="How long an unconsumed message is kept.")
    dead_letter_queue: bool = Field(True, description="Move messages received max_receive_count times to a dead-letter queue.")
    max_receive_count: int = Field(5, ge=1, le=1000, description="Receives before a message goes to the dead-letter queue.")

    def _name(self, ctx: ServiceContext, suffix: str = "") -> str:
        if self.fifo:
            return ctx.physical_name("aws_sqs_queue", suffix, after=".fifo")
        return ctx.physical_name("aws_sqs_queue", suffix)

    def _queue(self, ctx: ServiceContext, suffix: str, retention_days: int) -> dict[str, object]:
        return {
            "name": self._name(ctx, suffix),
            **({"fifo_queue": True, "content_based_deduplication": True} if self.fifo else {}),
            # SQS-managed keys rather than alias/aws/sqs: SNS cannot publish to a queue
            # encrypted with an AWS-managed KMS key.
            "sqs_managed_sse_enabled": True,
            "visibility_timeout_seconds": self.visibility_timeout_s,
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

    def connect(self, edge: Edge, target: ServiceNode, ctx: ServiceContext) -> None:
        """``target`` consumes this queue ("consumer"): its event source mapping and permissions."""
        target.spec.consume(target, ctx.other(target.id), self.event_source(ctx.node, ctx))

    def event_source(self, node: ServiceNode, ctx: ServiceContext) -> EventSource:
        """Batches of 10 messages; receive, delete and hide them on this queue only."""
        return EventSource(ctx.stack_ref("aws_sqs_queue").arn, SQS_CONSUME, {"batch_size": 10})

    def subscribe(self, node: ServiceNode, ctx: ServiceContext, topic_arn: str) -> dict[str, object]:
        """Let the topic send to this queue: one queue policy, one statement per topic."""
        queue = self._allow_send(ctx, "sns.amazonaws.com", topic_arn)
        return {"protocol": "sqs", "endpoint": queue.arn}

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
        sid = "FromTopic" if principal.startswith("sns") else "FromBucket"
        doc = ctx.stack_ref("data.aws_iam_policy_document", "subscriptions")
        if ctx.stack.has(doc):
            statements = ctx.stack.body(doc)["statement"]
            statements.append({"sid": f"{sid}{len(statements) + 1}", **statement})
        else:
            doc = ctx.data("aws_iam_policy_document", "subscriptions", {"statement": [{"sid": f"{sid}1", **statement}]})
            ctx.add("aws_sqs_queue_policy", "", {"queue_url": queue.id, "policy": doc.attr("json")})
        return queue
