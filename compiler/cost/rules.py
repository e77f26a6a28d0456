"""What each billable Terraform resource type is charged for, per month.

One rule per resource type: it reads the resource's body (and the resources it refers
to) for what is fixed (hours of instances, gateways, load balancers; keys, alarms,
zones) and the owning service's usage for the rest. A type missing here is free, or
billed only through another resource (``tests/test_cost.py`` lists the free ones, so a
new billable type cannot slip through unpriced).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from compiler.terraform.context import Resource

HOURS = 730  # hours in a month, as AWS's calculator counts them
_REF = re.compile(r"^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}$")


@dataclass(frozen=True)
class Charge:
    """One line of a resource's monthly bill."""

    what: str  # "Instance hours (t3.small)"
    key: str  # price key, "ec2:t3.small"
    quantity: float  # units per month
    fixed: bool  # billed for existing (hours, months), not for use
    assumed: bool = False  # the quantity is archc's default usage, not the model's


class Usage(Protocol):
    """What a rule may ask about the model: another resource, and the owner's usage."""

    def resource(self, expression: object) -> Resource | None:
        """The resource a ``${type.name.attr}`` reference names, if in the stack."""

    def usage(self, key: str) -> tuple[float, bool]:
        """The owning service's usage for ``key``, and whether it is assumed."""

    def running(self) -> float:
        """The share of the month the owner's fleet runs (its ``schedule:``; 1: always)."""

    def fleet_size(self) -> int | None:
        """The instances the owner's fleet needs beyond its settings (``Service.fleet_size``,
        e.g. an ECS cluster's tasks); None: what the resource says."""


Rule = Callable[[Resource, Usage], list[Charge]]


def _ec2(instance_type: str, count: float, what: str = "Instance hours") -> Charge:
    return Charge(f"{what} ({instance_type})", f"ec2:{instance_type}", count * HOURS, fixed=True)


def _volumes(mappings: Any, count: float) -> list[Charge]:
    charges = []
    for mapping in mappings or []:
        for ebs in mapping.get("ebs", [mapping]) if isinstance(mapping, dict) else []:
            size, kind = ebs.get("volume_size"), ebs.get("volume_type", "gp3")
            if isinstance(size, int):
                charges.append(Charge(f"Storage ({kind}, {size} GB)", f"ebs:{kind}", size * count, fixed=True))
    return charges


def _used(u: Usage, key: str, what: str, price_key: str, scale: float = 1.0) -> Charge:
    value, assumed = u.usage(key)
    return Charge(what, price_key, value * scale, fixed=False, assumed=assumed)


def instance(r: Resource, u: Usage) -> list[Charge]:
    count = r.body.get("count", 1)
    return [_ec2(r.body["instance_type"], count), *_volumes(r.body.get("root_block_device"), count)]


def autoscaling_group(r: Resource, u: Usage) -> list[Charge]:
    count = (u.fleet_size() or int(r.body.get("desired_capacity") or r.body.get("min_size") or 1)) * u.running()
    template = u.resource((r.body.get("launch_template") or [{}])[0].get("id"))
    if template is None or "instance_type" not in template.body:
        return []
    body = template.body
    return [_ec2(body["instance_type"], count, "Instance hours, desired capacity"), *_volumes(body.get("block_device_mappings"), count)]


def ecs_service(r: Resource, u: Usage) -> list[Charge]:
    if r.body.get("launch_type") != "FARGATE":
        return []  # on the cluster's EC2 instances: billed through its Auto Scaling group
    task = u.resource(r.body.get("task_definition"))
    if task is None:
        return []
    count = r.body.get("desired_count", 1) * u.running()
    vcpu, gb = int(task.body["cpu"]) / 1024, int(task.body["memory"]) / 1024
    return [
        Charge(f"Fargate vCPU ({count} x {vcpu:g} vCPU)", "fargate:vcpu", count * vcpu * HOURS, fixed=True),
        Charge(f"Fargate memory ({count} x {gb:g} GB)", "fargate:gb", count * gb * HOURS, fixed=True),
    ]


def eks_node_group(r: Resource, u: Usage) -> list[Charge]:
    scaling = (r.body.get("scaling_config") or [{}])[0]
    count = int(scaling.get("desired_size") or scaling.get("min_size") or 1)
    kind = (r.body.get("instance_types") or ["t3.medium"])[0]  # EKS's default type
    disk = int(r.body.get("disk_size") or 20)
    return [_ec2(kind, count, "Node hours"), Charge(f"Node storage (gp2, {disk} GB)", "ebs:gp2", disk * count, fixed=True)]


def db_instance(r: Resource, u: Usage) -> list[Charge]:
    body, source = r.body, u.resource(r.body.get("replicate_source_db"))
    engine = body.get("engine") or (source.body.get("engine") if source else None)
    copies = 2 if body.get("multi_az") is True else 1
    az = "Multi-AZ" if copies == 2 else "Single-AZ"
    cls = body["instance_class"]
    charges = [Charge(f"Instance hours ({cls}, {az})", f"rds:{engine}:{cls}", copies * HOURS, fixed=True)]
    storage = body.get("allocated_storage") or (source.body.get("allocated_storage") if source else None)
    kind = body.get("storage_type") or (source.body.get("storage_type", "gp3") if source else "gp3")
    if isinstance(storage, int):
        charges.append(Charge(f"Storage ({kind}, {storage} GB, {az})", f"rds:{kind}", storage * copies, fixed=True))
    if body.get("manage_master_user_password") is True:
        charges.append(Charge("Master password secret (Secrets Manager)", "secrets:secret", 1, fixed=True))
    return charges


def rds_cluster_instance(r: Resource, u: Usage) -> list[Charge]:
    cls = r.body["instance_class"]
    return [Charge(f"Instance hours ({cls})", f"aurora:{cls}", HOURS, fixed=True)]


def rds_cluster(r: Resource, u: Usage) -> list[Charge]:
    charges = [_used(u, "storage_gb", "Storage", "aurora:gb")]
    requests, assumed = u.usage("requests")
    charges.append(Charge("I/O requests (about 2 per request)", "aurora:million-io", requests * 2 / 1e6, fixed=False, assumed=assumed))
    if r.body.get("manage_master_user_password") is True:
        charges.append(Charge("Master password secret (Secrets Manager)", "secrets:secret", 1, fixed=True))
    return charges


def elasticache(r: Resource, u: Usage) -> list[Charge]:
    body = r.body
    nodes = body.get("num_cache_clusters") or body.get("num_node_groups", 1) * (body.get("replicas_per_node_group", 0) + 1)
    return [Charge(f"Node hours ({nodes} x {body['node_type']})", f"elasticache:{body['node_type']}", nodes * HOURS, fixed=True)]


def emr_cluster(r: Resource, u: Usage) -> list[Charge]:
    charges = []
    for role in ("master_instance_group", "core_instance_group"):
        for group in r.body.get(role) or []:
            kind, count = group["instance_type"], group.get("instance_count", 1)
            label = role.split("_")[0]
            charges.append(_ec2(kind, count, f"EC2 hours, {label} ({count})"))
            charges.append(Charge(f"EMR fee, {label} ({count} x {kind})", f"emr:{kind}", count * HOURS, fixed=True))
            for ebs in group.get("ebs_config") or []:
                size = ebs["size"] * ebs.get("volumes_per_instance", 1) * count
                charges.append(Charge(f"Storage, {label} ({ebs['type']}, {size} GB)", f"ebs:{ebs['type']}", size, fixed=True))
    return charges


def beanstalk_environment(r: Resource, u: Usage) -> list[Charge]:
    settings = {s["name"]: s["value"] for s in r.body.get("setting", [])}
    kind = settings.get("InstanceTypes", "t3.micro").split(",")[0]
    count = int(settings.get("MinSize", "1"))
    charges = [_ec2(kind, count, "Instance hours, minimum capacity")]
    if settings.get("LoadBalancerType") == "application":
        charges += [
            Charge("Load balancer hours", "alb:hour", HOURS, fixed=True),
            _used(u, "lcu", "Load balancer capacity units", "alb:lcu", HOURS),
        ]
    return charges


def load_balancer(r: Resource, u: Usage) -> list[Charge]:
    if r.body.get("load_balancer_type", "application") != "application":
        return [Charge("Load balancer hours", "nlb:hour", HOURS, fixed=True)]
    return [Charge("Load balancer hours", "alb:hour", HOURS, fixed=True), _used(u, "lcu", "Load balancer capacity units", "alb:lcu", HOURS)]


def nat_gateway(r: Resource, u: Usage) -> list[Charge]:
    return [Charge("Gateway hours", "nat:hour", HOURS, fixed=True), _used(u, "processed_gb", "Data processed", "nat:gb")]


def eip(r: Resource, u: Usage) -> list[Charge]:
    return [Charge("Public IPv4 address hours", "ipv4:hour", HOURS, fixed=True)]


def vpc_endpoint(r: Resource, u: Usage) -> list[Charge]:
    if r.body.get("vpc_endpoint_type") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) are free
    azs = len(r.body.get("subnet_ids") or [1])
    return [
        Charge(f"Endpoint hours ({azs} AZs)", "vpce:hour", azs * HOURS, fixed=True),
        _used(u, "processed_gb", "Data processed", "vpce:gb"),
    ]


def one(what: str, key: str) -> Rule:
    """A resource billed a flat amount per month."""
    return lambda r, u: [Charge(what, key, 1, fixed=True)]


def waf_acl(r: Resource, u: Usage) -> list[Charge]:
    rules = len(r.body.get("rule") or [])
    return [
        Charge("Web ACL", "waf:acl", 1, fixed=True),
        Charge(f"Rules ({rules})", "waf:rule", rules, fixed=True),
        _used(u, "requests", "Requests inspected", "waf:million-requests", 1e-6),
    ]


def cloudfront(r: Resource, u: Usage) -> list[Charge]:
    return [
        _used(u, "transfer_gb", "Data out to viewers", "cloudfront:gb"),
        _used(u, "requests", "HTTPS requests", "cloudfront:10k-requests", 1e-4),
    ]


def lambda_function(r: Resource, u: Usage) -> list[Charge]:
    requests, assumed = u.usage("requests")
    duration, duration_assumed = u.usage("duration_ms")
    memory_gb = r.body.get("memory_size", 128) / 1024
    return [
        Charge("Requests", "lambda:million-requests", requests / 1e6, fixed=False, assumed=assumed),
        Charge(
            f"Compute ({memory_gb * 1024:g} MB x {duration:g} ms)",
            "lambda:gb-second",
            requests * duration / 1000 * memory_gb,
            fixed=False,
            assumed=assumed or duration_assumed,
        ),
    ]


def dynamodb(r: Resource, u: Usage) -> list[Charge]:
    requests, assumed = u.usage("requests")
    return [
        Charge("Read request units (one per request)", "dynamodb:million-reads", requests / 1e6, fixed=False, assumed=assumed),
        Charge("Write request units (one per 4 requests)", "dynamodb:million-writes", requests / 4e6, fixed=False, assumed=assumed),
        _used(u, "storage_gb", "Storage", "dynamodb:gb"),
    ]


RULES: dict[str, Rule] = {
    "aws_instance": instance,
    "aws_autoscaling_group": autoscaling_group,
    "aws_ecs_service": ecs_service,
    "aws_eks_cluster": lambda r, u: [Charge("Cluster hours", "eks:cluster", HOURS, fixed=True)],
    "aws_eks_node_group": eks_node_group,
    "aws_db_instance": db_instance,
    "aws_rds_cluster": rds_cluster,
    "aws_rds_cluster_instance": rds_cluster_instance,
    "aws_elasticache_replication_group": elasticache,
    "aws_emr_cluster": emr_cluster,
    "aws_elastic_beanstalk_environment": beanstalk_environment,
    "aws_lb": load_balancer,
    "aws_nat_gateway": nat_gateway,
    "aws_eip": eip,
    "aws_vpc_endpoint": vpc_endpoint,
    "aws_kms_key": one("Key", "kms:key"),
    "aws_secretsmanager_secret": one("Secret", "secrets:secret"),
    "aws_cloudwatch_metric_alarm": one("Alarm (standard resolution)", "cloudwatch:alarm"),
    "aws_cloudwatch_dashboard": one("Dashboard", "cloudwatch:dashboard"),
    # A metric filter publishes one custom metric; S3 request metrics are billed as the 16
    # custom metrics a filter configuration publishes (AllRequests ... TotalRequestLatency).
    "aws_cloudwatch_log_metric_filter": one("Custom metric", "cloudwatch:metric"),
    "aws_s3_bucket_metric": lambda r, u: [Charge("Request metrics (16 custom metrics)", "cloudwatch:metric", 16, fixed=True)],
    "aws_cloudwatch_log_group": lambda r, u: [_used(u, "log_gb", "Logs ingested", "logs:gb")],
    "aws_flow_log": lambda r, u: [_used(u, "log_gb", "Flow logs ingested", "logs:gb")],
    "aws_route53_zone": one("Hosted zone", "route53:zone"),
    "aws_wafv2_web_acl": waf_acl,
    "aws_cloudfront_distribution": cloudfront,
    "aws_apigatewayv2_api": lambda r, u: [_used(u, "requests", "Requests (HTTP API)", "apigw-http:million-requests", 1e-6)],
    "aws_lambda_function": lambda_function,
    "aws_dynamodb_table": dynamodb,
    "aws_s3_bucket": lambda r, u: [_used(u, "storage_gb", "Storage (Standard)", "s3:gb")],
    "aws_efs_file_system": lambda r, u: [_used(u, "storage_gb", "Storage (Standard)", "efs:gb")],
    "aws_ecr_repository": lambda r, u: [_used(u, "storage_gb", "Image storage", "ecr:gb")],
    "aws_sqs_queue": lambda r, u: [_used(u, "requests", "Requests", "sqs:million-requests", 1e-6)],
    "aws_sns_topic": lambda r, u: [_used(u, "requests", "Publishes", "sns:million-requests", 1e-6)],
    "aws_kinesis_firehose_delivery_stream": lambda r, u: [_used(u, "processed_gb", "Data ingested", "firehose:gb")],
    "aws_athena_workgroup": lambda r, u: [_used(u, "scanned_tb", "Data scanned", "athena:tb")],
    "aws_cognito_user_pool": lambda r, u: [_used(u, "users", "Monthly active users", "cognito:mau")],
    "aws_codepipeline": lambda r, u: [_used(u, "build_minutes", "Action minutes", "codepipeline:action-minute")],
    "aws_codebuild_project": lambda r, u: [_used(u, "build_minutes", "Build minutes", "codebuild:minute")],
    "aws_amplify_app": lambda r, u: [
        _used(u, "build_minutes", "Build minutes", "amplify:build-minute"),
        _used(u, "transfer_gb", "Data served", "amplify:gb-served"),
    ],
}

# Billable types priced through another resource, or free: with the reason.
NOT_BILLED: dict[str, str] = {
    "aws_launch_template": "its instances are billed through the Auto Scaling group",
    "aws_ecs_task_definition": "billed through the ECS service that runs it",
    "aws_ecs_cluster": "free; its instances or Fargate tasks are billed",
    "aws_ecs_capacity_provider": "its instances are billed through the Auto Scaling group",
    "aws_route53_key_signing_key": "its KMS key is billed",
    "aws_route53_query_log": "its log group is billed",
    "aws_ssm_parameter": "standard parameters are free",
    "aws_cloudtrail": "the first trail of management events is free",
    "aws_apigatewayv2_stage": "billed through the API's requests",
    "aws_apigatewayv2_vpc_link": "free (HTTP APIs)",
    "aws_elastic_beanstalk_application": "free; its environment is billed",
    "aws_glue_catalog_database": "the first million catalog objects are free",
    "aws_codecommit_repository": "free for the first five active users",
    "aws_codedeploy_app": "free to EC2 and Auto Scaling targets",
    "aws_amplify_branch": "billed through the app",
    "aws_efs_mount_target": "billed through the file system",
    "aws_lambda_event_source_mapping": "billed through the function's invocations",
    "aws_cloudwatch_log_delivery": "billed as vended logs through the log group it delivers to",
    "aws_cloudwatch_log_delivery_source": "billed as vended logs through the log group it delivers to",
    "aws_cloudwatch_log_delivery_destination": "billed as vended logs through the log group it delivers to",
    "aws_efs_backup_policy": "AWS Backup bills the backups' storage (about the file system's size): not estimated",
    # No verified prices in prices.csv yet: left out of the estimate, and the cost page says so.
    "aws_kinesis_stream": "billed per stream-hour (on demand) or shard-hour, and per GB written and read: not estimated yet",
    "aws_sfn_state_machine": "billed per state transition (standard) or per request and GB-second (express): not estimated yet",
    "aws_cloudwatch_event_bus": "the bus is free; custom events put on it are billed per million: not estimated yet",
}

# Types that cost nothing by themselves (configuration, wiring, identity). A type archc
# emits that is in none of RULES, NOT_BILLED and FREE fails tests/test_cost.py.
FREE = frozenset(
    {
        "aws_vpc", "aws_subnet", "aws_route", "aws_route_table", "aws_route_table_association", "aws_internet_gateway",
        "aws_default_security_group", "aws_security_group", "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule", "aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment",
        "aws_iam_instance_profile", "aws_iam_policy", "aws_kms_alias", "aws_kms_key_policy", "aws_s3_bucket_policy",
        "aws_s3_bucket_versioning", "aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_public_access_block", "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_notification",
        "aws_s3_bucket_logging", "aws_s3_bucket_website_configuration", "aws_s3_bucket_cors_configuration",
        "aws_lb_listener", "aws_lb_listener_rule", "aws_lb_target_group", "aws_lb_target_group_attachment",
        "aws_lb_listener_certificate", "aws_autoscaling_attachment", "aws_autoscaling_policy", "aws_autoscaling_schedule",
        "aws_appautoscaling_target", "aws_appautoscaling_policy", "aws_appautoscaling_scheduled_action",
        "aws_db_subnet_group", "aws_db_parameter_group", "aws_rds_cluster_parameter_group", "aws_elasticache_subnet_group",
        "aws_elasticache_parameter_group", "aws_cloudwatch_log_resource_policy", "aws_cloudwatch_log_stream",
        "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target", "aws_lambda_permission", "aws_sns_topic_subscription",
        "aws_sns_topic_policy", "aws_sqs_queue_policy", "aws_sqs_queue_redrive_allow_policy", "aws_sqs_queue_redrive_policy",
        "aws_cloudfront_origin_access_control", "aws_cloudfront_cache_policy", "aws_cloudfront_origin_request_policy",
        "aws_cloudfront_response_headers_policy", "aws_cloudfront_function", "aws_apigatewayv2_integration",
        "aws_apigatewayv2_route", "aws_apigatewayv2_authorizer", "aws_apigatewayv2_domain_name", "aws_apigatewayv2_api_mapping",
        "aws_wafv2_web_acl_association", "aws_wafv2_web_acl_logging_configuration", "aws_ecr_lifecycle_policy",
        "aws_ecr_repository_policy", "aws_emr_security_configuration", "aws_ssm_document", "aws_route53_record",
        "aws_route53_hosted_zone_dnssec", "aws_cognito_user_pool_client", "aws_cognito_user_pool_domain",
        "aws_codedeploy_deployment_group", "aws_acm_certificate", "aws_acm_certificate_validation",
        "aws_service_discovery_http_namespace", "aws_service_discovery_private_dns_namespace", "aws_service_discovery_service",
        "aws_efs_file_system_policy", "aws_efs_access_point", "aws_cloudtrail_event_data_store",
        "aws_budgets_budget", "aws_lambda_function_url", "aws_lambda_alias", "aws_iam_openid_connect_provider",
        "aws_eks_access_entry", "aws_ecs_cluster_capacity_providers", "aws_eks_addon", "aws_cloudwatch_query_definition",
        "aws_kinesis_firehose_delivery_stream_policy",
        "aws_amplify_domain_association", "aws_amplify_webhook", "aws_codestarconnections_connection",
    }
)  # fmt: skip
