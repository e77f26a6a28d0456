"""What CloudWatch watches on a service: its own alarms(), else metrics of its resources.

Not a family (it defines no kind). The table below is keyed by Terraform resource
type, not by archc kind, so any kind is monitorable: a service that defines no
``alarms()`` gets the standard metrics of the AWS resources it emitted (its load
balancer's 5XX count, its database's CPU and free storage...).
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from compiler.errors import ArchcError, Diagnostic, did_you_mean
from modules import support

if TYPE_CHECKING:
    from compiler.ir import ServiceNode
    from compiler.terraform.context import Resource, ServiceContext, StackBuilder

Dims = Callable[["Resource"], dict[str, str] | None]  # None: the metric does not apply to this resource


@dataclass(frozen=True)
class Metric:
    """A standard metric of a resource type, with the alarm threshold archc uses (None: graph only)."""

    namespace: str
    name: str
    dims: Dims
    statistic: str = "Average"
    threshold: float | None = None
    comparison: str = "GreaterThanThreshold"
    period: int = 300
    evaluation_periods: int = 3
    provider: str = ""  # "us_east_1": a global service whose metrics live in us-east-1
    percent: bool = False  # the metric is a percentage: a threshold of the model's is at most 100
    # What AWS needs before it publishes the metric (S3 request metrics need a metrics
    # configuration on the bucket): added to the stack, once, when the metric is used.
    setup: Callable[[Resource, StackBuilder], None] | None = None


def _attr(res: Resource, attribute: str) -> str:
    return f"${{{res.type}.{res.name}.{attribute}}}"


def _one(key: str, attribute: str) -> Dims:
    return lambda res: {key: _attr(res, attribute)}


def _alb(res: Resource) -> dict[str, str] | None:
    return {"LoadBalancer": _attr(res, "arn_suffix")} if res.body.get("load_balancer_type", "application") == "application" else None


def _ecs_service(res: Resource) -> dict[str, str]:
    # ClusterName wants the name; the service body holds the cluster's id (its ARN).
    cluster = str(res.body.get("cluster", ""))
    found = re.fullmatch(r"\$\{(aws_ecs_cluster\.[\w-]+)\.(?:id|arn)\}", cluster)
    name = f"${{{found.group(1)}.name}}" if found else f'${{element(split("/", {res.type}.{res.name}.cluster), 1)}}'
    return {"ClusterName": name, "ServiceName": _attr(res, "name")}


def _rule(res: Resource) -> dict[str, str]:
    # A rule on a custom bus publishes under both names; on the default bus, under its name alone.
    bus = res.body.get("event_bus_name")
    return {"RuleName": _attr(res, "name"), **({"EventBusName": str(bus)} if bus else {})}


def _bucket_metrics(res: Resource, stack: StackBuilder) -> None:
    """The bucket-wide request metrics configuration S3 publishes 4xx/5xx counts under."""
    from compiler.terraform.context import Ref  # at run time: modules load before the compiler

    if not stack.has(Ref("aws_s3_bucket_metric", f"{res.name}_requests")):
        stack.add(res.owner, "aws_s3_bucket_metric", f"{res.name}_requests", {"bucket": _attr(res, "id"), "name": S3_REQUEST_FILTER})


S3_REQUEST_FILTER = "EntireBucket"
GIB = 1024**3
METRICS: dict[str, tuple[Metric, ...]] = {
    "aws_lb": (
        Metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", _alb, "Sum", 10, evaluation_periods=1),
        Metric("AWS/ApplicationELB", "TargetResponseTime", _alb, "Average", 2),
    ),
    "aws_db_instance": (
        Metric("AWS/RDS", "CPUUtilization", _one("DBInstanceIdentifier", "identifier"), threshold=80, percent=True),
        Metric(
            "AWS/RDS", "FreeStorageSpace", _one("DBInstanceIdentifier", "identifier"), threshold=2 * GIB, comparison="LessThanThreshold"
        ),
    ),
    "aws_rds_cluster": (
        Metric("AWS/RDS", "CPUUtilization", _one("DBClusterIdentifier", "cluster_identifier"), threshold=80, percent=True),
    ),
    "aws_ecs_service": (
        Metric("AWS/ECS", "CPUUtilization", _ecs_service, threshold=80, percent=True),
        Metric("AWS/ECS", "MemoryUtilization", _ecs_service, threshold=80, percent=True),
    ),
    "aws_lambda_function": (
        Metric("AWS/Lambda", "Errors", _one("FunctionName", "function_name"), "Sum", 0, evaluation_periods=1),
        Metric("AWS/Lambda", "Throttles", _one("FunctionName", "function_name"), "Sum", 0, evaluation_periods=1),
    ),
    "aws_sqs_queue": (Metric("AWS/SQS", "ApproximateAgeOfOldestMessage", _one("QueueName", "name"), "Maximum", 900),),
    "aws_autoscaling_group": (Metric("AWS/EC2", "CPUUtilization", _one("AutoScalingGroupName", "name"), threshold=80, percent=True),),
    "aws_instance": (
        Metric("AWS/EC2", "CPUUtilization", _one("InstanceId", "id"), threshold=80, percent=True),
        Metric("AWS/EC2", "StatusCheckFailed", _one("InstanceId", "id"), "Maximum", 0, evaluation_periods=2),
    ),
    "aws_dynamodb_table": (
        Metric("AWS/DynamoDB", "ReadThrottleEvents", _one("TableName", "name"), "Sum", 10, evaluation_periods=1),
        Metric("AWS/DynamoDB", "WriteThrottleEvents", _one("TableName", "name"), "Sum", 10, evaluation_periods=1),
    ),
    # Host metrics are per node; the first node of a replication group is <id>-001.
    "aws_elasticache_replication_group": (
        Metric(
            "AWS/ElastiCache",
            "CPUUtilization",
            lambda r: {"CacheClusterId": _attr(r, "replication_group_id") + "-001"},
            threshold=80,
            percent=True,
        ),
    ),
    "aws_apigatewayv2_api": (Metric("AWS/ApiGateway", "5xx", _one("ApiId", "id"), "Sum", 10, evaluation_periods=1),),
    "aws_api_gateway_rest_api": (Metric("AWS/ApiGateway", "5XXError", _one("ApiName", "name"), "Sum", 10, evaluation_periods=1),),
    "aws_cloudfront_distribution": (
        Metric(
            "AWS/CloudFront",
            "5xxErrorRate",
            lambda r: {"DistributionId": _attr(r, "id"), "Region": "Global"},
            threshold=5,
            provider="us_east_1",
            percent=True,
        ),
    ),
    "aws_sns_topic": (Metric("AWS/SNS", "NumberOfNotificationsFailed", _one("TopicName", "name"), "Sum", 0, evaluation_periods=1),),
    "aws_kinesis_stream": (Metric("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", _one("StreamName", "name"), "Maximum", 60000),),
    "aws_kinesis_firehose_delivery_stream": (
        Metric("AWS/Firehose", "DeliveryToS3.DataFreshness", _one("DeliveryStreamName", "name"), "Maximum", 900),
    ),
    # Targets EventBridge gave up on (EventBridge publishes it only when it is not zero).
    "aws_cloudwatch_event_rule": (Metric("AWS/Events", "FailedInvocations", _rule, "Sum", 0, evaluation_periods=1),),
    "aws_sfn_state_machine": (Metric("AWS/States", "ExecutionsFailed", _one("StateMachineArn", "arn"), "Sum", 0, evaluation_periods=1),),
    "aws_efs_file_system": (Metric("AWS/EFS", "PercentIOLimit", _one("FileSystemId", "id"), threshold=90, percent=True),),
    "aws_codebuild_project": (Metric("AWS/CodeBuild", "FailedBuilds", _one("ProjectName", "name"), "Sum", 0, evaluation_periods=1),),
    # Storage metrics come once a day: graphed, not alarmed. Request metrics (per minute,
    # billed as custom metrics) need the bucket's metrics configuration, named by FilterId.
    "aws_s3_bucket": (
        Metric("AWS/S3", "BucketSizeBytes", lambda r: {"BucketName": _attr(r, "id"), "StorageType": "StandardStorage"}, period=86400),
        Metric(
            "AWS/S3",
            "5xxErrors",
            lambda r: {"BucketName": _attr(r, "id"), "FilterId": S3_REQUEST_FILTER},
            "Sum",
            10,
            evaluation_periods=1,
            setup=_bucket_metrics,
        ),
    ),
    # EMR publishes cluster metrics every 5 minutes under the cluster (job flow) id.
    "aws_emr_cluster": (
        Metric("AWS/ElasticMapReduce", "AppsFailed", _one("JobFlowId", "id"), "Sum", 0, evaluation_periods=1),
        Metric("AWS/ElasticMapReduce", "HDFSUtilization", _one("JobFlowId", "id"), threshold=80, percent=True),
        Metric("AWS/ElasticMapReduce", "IsIdle", _one("JobFlowId", "id"), "Minimum"),
    ),
    # Cluster-wide utilization of the services in an ECS cluster.
    "aws_ecs_cluster": (
        Metric("AWS/ECS", "CPUUtilization", _one("ClusterName", "name"), threshold=80, percent=True),
        Metric("AWS/ECS", "MemoryUtilization", _one("ClusterName", "name"), threshold=80, percent=True),
    ),
    # Control plane metrics EKS publishes for free (Kubernetes 1.28 and later).
    "aws_eks_cluster": (
        Metric("AWS/EKS", "apiserver_request_total_5XX", _one("ClusterName", "name"), "Sum", 10, evaluation_periods=1),
        Metric("AWS/EKS", "scheduler_pending_pods", _one("ClusterName", "name"), "Sum"),
    ),
    # The instances of the environment's Auto Scaling group (Elastic Beanstalk makes one).
    "aws_elastic_beanstalk_environment": (
        Metric(
            "AWS/EC2",
            "CPUUtilization",
            lambda r: {"AutoScalingGroupName": f"${{element({r.type}.{r.name}.autoscaling_groups, 0)}}"},
            threshold=80,
            percent=True,
        ),
    ),
}


def slug(text: str) -> str:
    """A Terraform-name-safe form: ``HTTPCode_ELB_5XX_Count`` -> ``httpcode_elb_5xx_count``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def specs_for(target: ServiceNode, ctx: ServiceContext, *, emitted: bool = True) -> list[dict[str, Any]]:
    """Alarm specs of a service: its kind's ``alarms()``, else the table's metrics of its resources
    (adding what AWS needs to publish them, ``Metric.setup``, to the stack).

    ``emitted``: whether ``target`` already emitted its resources (see :func:`_resources`).
    """
    own = target.spec.alarms(target, ctx.other(target.id))
    if own:
        return [dict(spec) for spec in own]
    specs = []
    for res in _resources(target, ctx, emitted):
        if "count" in res.body or "for_each" in res.body:
            continue  # one metric per instance: only the kind's alarms() can name them
        for metric in METRICS.get(res.type, ()):
            dims = metric.dims(res)
            if dims is None:
                continue
            if metric.setup is not None:
                metric.setup(res, ctx.stack)
            specs.append(
                {
                    "resource": res.name,
                    "namespace": metric.namespace,
                    "metric_name": metric.name,
                    "dimensions": dims,
                    "statistic": metric.statistic,
                    "threshold": metric.threshold,
                    "comparison_operator": metric.comparison,
                    "period": metric.period,
                    "evaluation_periods": metric.evaluation_periods,
                    **({"provider": metric.provider} if metric.provider else {}),
                    **({"percent": True} if metric.percent else {}),
                }
            )
    return specs


def with_thresholds(ctx: ServiceContext, target: ServiceNode, specs: list[dict[str, Any]], own: dict[str, float]) -> list[dict[str, Any]]:
    """``specs`` with the model's thresholds of ``target`` (``own``: metric name -> threshold), each
    checked first: a metric archc alarms on for ``target``, within 0-100 for a percentage."""
    alarmed = {str(spec["metric_name"]): spec for spec in specs if spec.get("threshold") is not None}
    where = ("thresholds", target.id)
    problems: list[tuple[tuple[str, ...], str]] = []
    for metric, value in own.items():
        spec = alarmed.get(metric)
        if spec is None:
            offered = f"it alarms on {', '.join(sorted(alarmed))}" if alarmed else "it alarms on none of its metrics"
            problems.append(
                (
                    (*where, metric),
                    f"thresholds: archc does not alarm on {metric} for {target.id} ({target.kind}); {offered}"
                    f"{did_you_mean(metric, alarmed)}",
                )
            )
        elif spec.get("percent") and value > 100:
            problems.append(((*where, metric), f"thresholds: {metric} of {target.id} is a percentage; {_number(value)} is over 100"))
    if problems:
        refuse(ctx, problems)
    return [
        {**spec, "threshold": _number(own[spec["metric_name"]])}
        if spec["metric_name"] in own and spec.get("threshold") is not None
        else spec
        for spec in specs
    ]


def _number(value: float) -> float | int:
    """A whole number as an int (70, not 70.0, in Terraform and messages)."""
    return int(value) if float(value).is_integer() else value


def refuse(ctx: ServiceContext, problems: list[tuple[tuple[str, ...], str]]) -> NoReturn:
    """Refuse the model at the monitor's settings: (path below the monitor, message) each."""
    raise ArchcError([Diagnostic("value", message, ctx.arch.source_file, *ctx.node.at(*path)) for path, message in problems])


def _resources(target: ServiceNode, ctx: ServiceContext, emitted: bool) -> list[Resource]:
    """The managed resources ``target`` emits.

    Connections are compiled after every service emitted its resources (``emitted``),
    so there they are in the stack. A monitor_all walk runs in the monitor's own
    ``terraform()``, before the services that follow it in the model: those are emitted
    into a throwaway copy of the stack, only to learn what they will add.
    """
    stack = ctx.stack if emitted else _probe(target, ctx)
    return [r for r in stack.resources.values() if r.owner == target.id and not r.data]


def _probe(target: ServiceNode, ctx: ServiceContext) -> StackBuilder:
    from compiler.terraform.context import ServiceContext, StackBuilder  # at run time: modules load before the compiler

    probe = StackBuilder(ctx.arch, copy.deepcopy(ctx.stack.resources))
    # What emit.py makes before a kind's terraform() runs, in case the kind extends it.
    if target.placement != "outside":
        probe.add(target.id, "aws_security_group", target.tf_name, {})
    if target.spec.info.principal:
        probe.add(target.id, "aws_iam_role", target.tf_name, {})
    # A kind that fails here fails again in the real emission, which reports it.
    with contextlib.suppress(Exception):
        target.spec.terraform(target, ServiceContext(ctx.arch, target, probe))
    return probe


def widget(target: ServiceNode, specs: list[dict[str, Any]], region: str) -> dict[str, object]:
    """One dashboard graph with every metric of a service."""
    metrics: list[list[object]] = []
    for spec in specs:
        line: list[object] = [spec["namespace"], spec["metric_name"]]
        for key, value in sorted(spec["dimensions"].items()):
            line += [key, value]
        options: dict[str, object] = {"stat": spec["statistic"]}
        if spec.get("provider"):
            options["region"] = str(spec["provider"]).replace("_", "-")
        metrics.append([*line, options])
    title = target.id if target.title == target.spec.info.title else f"{target.title} ({target.id})"
    return {
        "type": "metric",
        "width": 12,
        "height": 6,
        "properties": {
            "title": f"{title}: {target.spec.info.title}",
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "period": 300,
            "metrics": metrics,
        },
    }


def dashboard_body(widgets: list[dict[str, object]]) -> str:
    """The dashboard JSON: graphs two per row under the full-width header (widget 0)."""
    for i, graph in enumerate(widgets[1:]):
        graph["x"], graph["y"] = i % 2 * 12, 2 + i // 2 * 6
    widgets[0]["x"], widgets[0]["y"] = 0, 0
    return json.dumps({"widgets": widgets}, sort_keys=True)


def alarm(target: ServiceNode, spec: dict[str, Any], ctx: ServiceContext, topic_arn: str) -> tuple[str, dict[str, object]]:
    """The name suffix and body of a metric alarm notifying ``topic_arn``, from a spec."""
    name = slug(f"{spec.get('resource', target.tf_name)}_{spec.get('name') or spec['metric_name']}")
    # Several alarms of one metric (one per instance) are numbered in spec order.
    suffix, n = name, 1
    while ctx.stack.has(ctx.stack_ref("aws_cloudwatch_metric_alarm", suffix)):
        n += 1
        suffix = f"{name}_{n}"
    summary = f"{target.id}: {spec['metric_name']} {spec['comparison_operator']} {spec['threshold']}"
    return suffix, {
        "alarm_name": ctx.physical_name("aws_cloudwatch_metric_alarm", support.dashed(suffix), attribute="alarm_name"),
        "alarm_description": str(spec.get("description") or summary),
        **{key: spec[key] for key in ("namespace", "metric_name", "dimensions", "statistic", "threshold", "comparison_operator")},
        "period": spec["period"],
        "evaluation_periods": spec["evaluation_periods"],
        "treat_missing_data": spec.get("treat_missing_data", "notBreaching"),
        "alarm_actions": [topic_arn],
        "ok_actions": [topic_arn],
        "tags": ctx.tags(support.dashed(suffix)),
    }
