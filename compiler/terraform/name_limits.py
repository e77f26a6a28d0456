"""How long each physical name archc writes may be: the AWS provider's limits, per attribute.

Keyed by (resource type, attribute). ``ServiceContext.physical_name`` shortens names to
fit, and ``StackBuilder.add`` refuses any literal value longer than its limit (a
catalog bug), so no kind can write a name that ``terraform validate`` or the AWS API
rejects, whatever the architecture's and the service's names.

Sources. ``validate``: measured with the real hashicorp/aws provider (5.100.0,
``terraform validate`` on a value of 3,000 characters; the provider's error states the
range, e.g. "expected length of bucket_prefix to be in the range (0 - 37)"). ``api``:
the provider does not check the length, so the limit is the AWS API's, from the
service's API reference (CreateX request parameter). A ``*_prefix`` limit already
leaves room for the 26 characters the provider appends (``id.UniqueIDSuffixLength``):
S3 bucket names are at most 63 characters, so ``bucket_prefix`` at most 37.
"""

from __future__ import annotations

# (resource type, attribute) -> longest value the provider (or the AWS API) accepts.
NAME_LIMITS: dict[tuple[str, str], int] = {
    ("aws_acm_certificate", "domain_name"): 64,  # api: RequestCertificate DomainName (the Common Name, RFC 5280)
    ("aws_amplify_app", "name"): 255,  # validate
    ("aws_apigatewayv2_api", "name"): 128,  # validate
    ("aws_apigatewayv2_authorizer", "name"): 128,  # validate
    ("aws_apigatewayv2_vpc_link", "name"): 128,  # validate
    ("aws_athena_workgroup", "name"): 128,  # validate
    ("aws_autoscaling_group", "name"): 255,  # validate
    ("aws_cloudfront_cache_policy", "name"): 64,  # api: CreateCachePolicy Name states no limit; kept to CreateFunction's
    ("aws_cloudfront_function", "name"): 64,  # api: CreateFunction Name
    ("aws_cloudfront_origin_access_control", "name"): 64,  # validate
    ("aws_cloudtrail", "name"): 128,  # validate
    ("aws_cloudwatch_dashboard", "dashboard_name"): 255,  # validate
    ("aws_cloudwatch_event_bus", "name"): 256,  # api: CreateEventBus Name
    ("aws_cloudwatch_event_rule", "name"): 64,  # validate
    ("aws_cloudwatch_event_target", "target_id"): 64,  # api: PutTargets Target.Id
    ("aws_cloudwatch_log_delivery_destination", "name"): 60,  # validate
    ("aws_cloudwatch_log_delivery_source", "name"): 60,  # validate
    ("aws_cloudwatch_log_group", "name"): 512,  # validate
    ("aws_cloudwatch_log_resource_policy", "policy_name"): 255,  # api: PutResourcePolicy policyName
    ("aws_cloudwatch_metric_alarm", "alarm_name"): 255,  # validate
    ("aws_codebuild_project", "name"): 255,  # validate ("cannot be greater than 255 characters")
    ("aws_codecommit_repository", "repository_name"): 100,  # validate
    ("aws_codedeploy_app", "name"): 100,  # validate
    ("aws_codedeploy_deployment_group", "deployment_group_name"): 100,  # validate
    ("aws_codepipeline", "name"): 100,  # api: CreatePipeline pipeline.name
    ("aws_cognito_user_pool", "name"): 128,  # api: CreateUserPool PoolName
    ("aws_cognito_user_pool_client", "name"): 128,  # validate
    ("aws_db_instance", "identifier"): 63,  # api: CreateDBInstance DBInstanceIdentifier
    ("aws_db_instance", "final_snapshot_identifier"): 255,  # api: DeleteDBInstance FinalDBSnapshotIdentifier
    ("aws_db_parameter_group", "name"): 255,  # validate
    ("aws_db_subnet_group", "name"): 255,  # validate
    ("aws_dynamodb_table", "name"): 255,  # api: CreateTable TableName
    ("aws_ecr_repository", "name"): 256,  # api: CreateRepository repositoryName
    ("aws_ecs_capacity_provider", "name"): 255,  # api: CreateCapacityProvider name
    ("aws_ecs_cluster", "name"): 255,  # validate
    ("aws_ecs_service", "name"): 255,  # api: CreateService serviceName
    ("aws_ecs_task_definition", "family"): 255,  # validate
    ("aws_efs_file_system", "creation_token"): 64,  # validate
    ("aws_eks_cluster", "name"): 100,  # validate
    ("aws_eks_node_group", "node_group_name"): 63,  # validate
    ("aws_elastic_beanstalk_application", "name"): 100,  # validate
    ("aws_elastic_beanstalk_environment", "name"): 40,  # api: CreateEnvironment EnvironmentName (4 to 40)
    ("aws_elasticache_replication_group", "replication_group_id"): 40,  # validate
    ("aws_elasticache_replication_group", "final_snapshot_identifier"): 255,  # api: CreateSnapshot SnapshotName
    ("aws_elasticache_subnet_group", "name"): 255,  # api: CreateCacheSubnetGroup CacheSubnetGroupName
    ("aws_emr_cluster", "name"): 256,  # api: RunJobFlow Name
    ("aws_emr_security_configuration", "name"): 10280,  # api: CreateSecurityConfiguration Name
    ("aws_glue_catalog_database", "name"): 255,  # validate
    ("aws_iam_instance_profile", "name"): 128,  # validate
    ("aws_iam_role", "name"): 64,  # validate
    ("aws_iam_role_policy", "name"): 128,  # validate
    ("aws_kinesis_firehose_delivery_stream", "name"): 64,  # validate
    ("aws_kinesis_stream", "name"): 128,  # api: CreateStream StreamName
    ("aws_kms_alias", "name"): 256,  # api: CreateAlias AliasName (with "alias/")
    ("aws_lambda_function", "function_name"): 64,  # api: CreateFunction FunctionName (the provider's 140 counts ARNs)
    ("aws_lambda_permission", "statement_id"): 100,  # validate
    ("aws_launch_template", "name"): 125,  # validate
    ("aws_lb", "name"): 32,  # validate
    ("aws_lb_target_group", "name"): 32,  # validate
    ("aws_rds_cluster", "cluster_identifier"): 63,  # api: CreateDBCluster DBClusterIdentifier
    ("aws_rds_cluster", "final_snapshot_identifier"): 255,  # api: DeleteDBCluster FinalDBSnapshotIdentifier
    ("aws_rds_cluster_instance", "identifier"): 63,  # api: CreateDBInstance DBInstanceIdentifier
    ("aws_rds_cluster_parameter_group", "name"): 255,  # validate
    ("aws_route53_key_signing_key", "name"): 128,  # validate
    ("aws_s3_bucket", "bucket_prefix"): 37,  # validate (63 minus the 26-character unique suffix)
    ("aws_secretsmanager_secret", "name"): 512,  # api: CreateSecret Name
    ("aws_security_group", "name"): 255,  # validate
    ("aws_sfn_state_machine", "name"): 80,  # api: CreateStateMachine name
    ("aws_sns_topic", "name"): 256,  # api: CreateTopic Name
    ("aws_sqs_queue", "name"): 80,  # api: CreateQueue QueueName (with ".fifo")
    ("aws_ssm_document", "name"): 128,  # validate
    ("aws_ssm_parameter", "name"): 2048,  # validate
    ("aws_wafv2_web_acl", "name"): 128,  # validate
}


def limit(rtype: str, attribute: str = "name") -> int:
    """The longest value of ``rtype.attribute``; KeyError for a name archc has no limit for (a catalog bug).

    >>> limit("aws_lb"), limit("aws_s3_bucket", "bucket_prefix")
    (32, 37)
    """
    return NAME_LIMITS[(rtype, attribute)]


def too_long(rtype: str, body: dict[str, object]) -> list[str]:
    """The limited attributes of a resource body whose literal value is too long, as messages.

    >>> too_long("aws_lb", {"name": "x" * 33}), too_long("aws_lb", {"name": "${var.long}"})
    (['name is 33 characters; the AWS provider allows 32'], [])
    """
    problems = []
    for attribute, most in _BY_TYPE.get(rtype, {}).items():
        value = body.get(attribute)
        if isinstance(value, str) and "${" not in value and len(value) > most:
            problems.append(f"{attribute} is {len(value)} characters; the AWS provider allows {most}")
    return problems


_BY_TYPE: dict[str, dict[str, int]] = {}
for (_rtype, _attribute), _most in NAME_LIMITS.items():
    _BY_TYPE.setdefault(_rtype, {})[_attribute] = _most
