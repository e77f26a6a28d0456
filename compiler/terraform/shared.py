"""Resources every architecture shares, made on first use and owned by "architecture".

* ``aws_kms_key.archc``: the customer managed key for data at rest that has no key of
  its own (log groups, Performance Insights, caches, file systems, clusters). Its key
  policy lets the account's IAM policies grant its use, and CloudWatch Logs use it for
  this account's log groups in this region only.
* ``aws_iam_role.archc_rds_monitoring``: the role RDS enhanced monitoring publishes with.
* ``data.aws_partition.archc``, ``data.aws_caller_identity.archc``: the partition and
  account id every ARN of this account is built from (:func:`account`).

:func:`encrypt_log_groups` runs after every kind has emitted: each log group without a
key gets the shared one, so no kind can forget it.
"""

from __future__ import annotations

from compiler.terraform.context import Ref, StackBuilder, aws_name

OWNER = "architecture"
MONITORING_ROLE = Ref("aws_iam_role", "archc_rds_monitoring")


PARTITION = Ref("data.aws_partition", "archc")
CALLER = Ref("data.aws_caller_identity", "archc")


def account(stack: StackBuilder) -> tuple[str, str]:
    """Partition and account id interpolations, from the stack's one pair of data
    sources (owned by the architecture, made on first use, tied to no connection)."""
    for ref in (PARTITION, CALLER):
        if not stack.has(ref):
            saved, stack.current_edge = stack.current_edge, ""
            stack.add(OWNER, ref.type.removeprefix("data."), ref.name, {}, data=True)
            stack.current_edge = saved
    return PARTITION.attr("partition"), CALLER.attr("account_id")


def shared_key(stack: StackBuilder, provider: str = "") -> Ref:
    """The architecture's data key (created on first use); ``provider="us_east_1"``: its twin there."""
    key = Ref("aws_kms_key", f"archc_{provider}" if provider else "archc")
    if stack.has(key):
        return key
    partition, account_id = account(stack)
    region = provider.replace("_", "-") if provider else stack.arch.region
    saved, stack.current_edge = stack.current_edge, ""
    statements = [
        {
            "sid": "AccountIamPolicies",
            "actions": ["kms:*"],
            "resources": ["*"],
            "principals": [{"type": "AWS", "identifiers": [f"arn:{partition}:iam::{account_id}:root"]}],
        },
        {
            "sid": "CloudWatchLogs",
            "actions": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "resources": ["*"],
            "principals": [{"type": "Service", "identifiers": [f"logs.{region}.amazonaws.com"]}],
            "condition": [
                {
                    "test": "ArnLike",
                    "variable": "kms:EncryptionContext:aws:logs:arn",
                    "values": [f"arn:{partition}:logs:{region}:{account_id}:log-group:*"],
                }
            ],
        },
    ]
    policy = stack.add(OWNER, "aws_iam_policy_document", f"{key.name}_key", {"statement": statements}, data=True)
    name = aws_name(stack.arch.name, "data", region if provider else "")
    body = {
        "description": f"archc: {stack.arch.name} data at rest (logs, databases, caches)",
        "enable_key_rotation": True,
        "deletion_window_in_days": 30,
        "policy": policy.attr("json"),
        "tags": {"Name": name},
    }
    stack.add(OWNER, "aws_kms_key", key.name, body, provider=provider)
    stack.add(OWNER, "aws_kms_alias", key.name, {"name": f"alias/{name}", "target_key_id": key.id}, provider=provider)
    stack.current_edge = saved
    return key


def rds_monitoring_role(stack: StackBuilder) -> Ref:
    """The role RDS enhanced monitoring uses (created on first use)."""
    if stack.has(MONITORING_ROLE):
        return MONITORING_ROLE
    partition, _ = account(stack)
    assume = stack.add(
        OWNER,
        "aws_iam_policy_document",
        "archc_rds_monitoring_assume",
        {
            "statement": [
                {"actions": ["sts:AssumeRole"], "principals": [{"type": "Service", "identifiers": ["monitoring.rds.amazonaws.com"]}]}
            ]
        },
        data=True,
    )
    name = aws_name(stack.arch.name, "rds-monitoring")
    stack.add(
        OWNER, "aws_iam_role", MONITORING_ROLE.name, {"name": name, "assume_role_policy": assume.attr("json"), "tags": {"Name": name}}
    )
    stack.add(
        OWNER,
        "aws_iam_role_policy_attachment",
        MONITORING_ROLE.name,
        {
            "role": MONITORING_ROLE.attr("name"),
            "policy_arn": f"arn:{partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
        },
    )
    return MONITORING_ROLE


def encrypt_log_groups(stack: StackBuilder) -> None:
    """Give every log group without a key the shared one of its region."""
    groups = [r for r in stack.resources.values() if r.type == "aws_cloudwatch_log_group" and "kms_key_id" not in r.body]
    for group in groups:
        group.body["kms_key_id"] = shared_key(stack, group.provider).arn
