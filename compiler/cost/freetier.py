"""AWS free-tier allowances, pooled across the whole model as AWS pools them per account.

``account: {free_tier: ...}`` in the model says which offer the account has (AWS
changed it on 2025-07-15):

- ``legacy``: accounts opened before 2025-07-15, in their first 12 months: the
  12-month allowances below, plus the always-free ones;
- ``credits``: accounts opened since then on the free plan: credits instead of the
  12-month allowances (up to USD 200, for 6 months), plus the always-free ones;
- ``none`` (default): an account past its first year: the always-free allowances only.

An allowance is shared: 750 hours of micro instances a month is one pool, whether
one instance runs all month or four run a week each.
"""

from __future__ import annotations

from dataclasses import dataclass

FREE_TIER_DOCS = "https://aws.amazon.com/free/"
CREDITS_USD = 200.0  # 100 on sign-up, up to 100 more for activities
CREDITS_MONTHS = 6


@dataclass(frozen=True)
class Pool:
    """One allowance: the price keys it covers and how much of them, per month."""

    name: str
    keys: frozenset[str]
    allowance: float
    unit: str
    always: bool  # always free (every account), else legacy 12-month only


def _keys(prefix: str, *names: str) -> frozenset[str]:
    return frozenset(f"{prefix}{n}" for n in names)


MICRO_DB = ("db.t2.micro", "db.t3.micro", "db.t4g.micro")
POOLS: tuple[Pool, ...] = (
    Pool("EC2 micro instances", _keys("ec2:", "t2.micro", "t3.micro"), 750, "instance-hours", always=False),
    Pool("EBS storage", _keys("ebs:", "gp2", "gp3"), 30, "GB-months", always=False),
    Pool(
        "RDS micro instances (Single-AZ)",
        frozenset(f"rds:{e}:{c}" for e in ("postgres", "mysql", "mariadb") for c in MICRO_DB),
        750,
        "instance-hours",
        always=False,
    ),
    Pool("RDS storage", _keys("rds:", "gp2", "gp3"), 20, "GB-months", always=False),
    Pool(
        "ElastiCache micro nodes",
        _keys("elasticache:", "cache.t2.micro", "cache.t3.micro", "cache.t4g.micro"),
        750,
        "node-hours",
        always=False,
    ),
    Pool("Application Load Balancer", frozenset({"alb:hour"}), 750, "hours", always=False),
    Pool("Load balancer capacity units", frozenset({"alb:lcu"}), 15 * 730, "LCU-hours", always=False),
    Pool("Public IPv4 addresses", frozenset({"ipv4:hour"}), 750, "address-hours", always=False),
    Pool("S3 Standard storage", frozenset({"s3:gb"}), 5, "GB-months", always=False),
    Pool("Lambda requests", frozenset({"lambda:million-requests"}), 1, "million requests", always=True),
    Pool("Lambda compute", frozenset({"lambda:gb-second"}), 400_000, "GB-seconds", always=True),
    Pool("DynamoDB storage", frozenset({"dynamodb:gb"}), 25, "GB-months", always=True),
    Pool("SQS requests", frozenset({"sqs:million-requests"}), 1, "million requests", always=True),
    Pool("SNS publishes", frozenset({"sns:million-requests"}), 1, "million publishes", always=True),
    Pool("CloudWatch alarms", frozenset({"cloudwatch:alarm"}), 10, "alarms", always=True),
    Pool("CloudWatch dashboards", frozenset({"cloudwatch:dashboard"}), 3, "dashboards", always=True),
    Pool("CloudWatch custom metrics", frozenset({"cloudwatch:metric"}), 10, "metrics", always=True),
    Pool("CloudWatch Logs ingestion", frozenset({"logs:gb"}), 5, "GB", always=True),
    Pool("CloudFront data out", frozenset({"cloudfront:gb"}), 1024, "GB", always=True),
    Pool("CloudFront requests", frozenset({"cloudfront:10k-requests"}), 1000, "10k requests", always=True),
    Pool("Cognito monthly active users", frozenset({"cognito:mau"}), 10_000, "users", always=True),
    Pool("CodeBuild minutes", frozenset({"codebuild:minute"}), 100, "build minutes", always=True),
    Pool("CodePipeline action minutes", frozenset({"codepipeline:action-minute"}), 100, "action minutes", always=True),
)


def pools(free_tier: str) -> list[Pool]:
    """The allowances an account with this offer has."""
    return [p for p in POOLS if p.always or free_tier == "legacy"]
