"""The secure defaults an override may not open without a ``reason:``.

A small explicit table, not a scanner: each entry names the resource types it reads,
how to find what it forbids in a body, the checkov checks that flag it and the archc
invariant (``compiler/check/invariants.py``) it breaks, if any. An override opens a
default when the patched body has a finding the emitted body did not; with a reason,
the findings are the architect's decision (docs, checkov baseline, ``archc check``),
as a relaxed setting is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Find = Callable[[dict[str, Any]], Iterator[str]]  # body -> where it opens the default (paths)
OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def _not_true(*attributes: str) -> Find:
    """Each attribute that is not true (absent means false for these)."""

    def find(body: dict[str, Any]) -> Iterator[str]:
        yield from (a for a in attributes if body.get(a) not in (True, "true"))

    return find


def _false(*attributes: str) -> Find:
    """Each attribute set to false (absent keeps the provider's secure default)."""

    def find(body: dict[str, Any]) -> Iterator[str]:
        yield from (a for a in attributes if body.get(a) in (False, "false"))

    return find


def _true(*attributes: str) -> Find:
    def find(body: dict[str, Any]) -> Iterator[str]:
        yield from (a for a in attributes if body.get(a) in (True, "true"))

    return find


def _blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = body.get(name)
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return [i for i in items if isinstance(i, dict)]


def _open_ingress(body: dict[str, Any]) -> Iterator[str]:
    for attribute in ("cidr_ipv4", "cidr_ipv6"):  # aws_vpc_security_group_ingress_rule
        if body.get(attribute) in OPEN_CIDRS:
            yield attribute
    if body.get("type") == "ingress" and _any_open(body):
        yield "cidr_blocks"  # aws_security_group_rule
    for i, rule in enumerate(_blocks(body, "ingress")):  # inline rules of aws_security_group
        if _any_open(rule):
            yield f"ingress[{i}]"


def _any_open(rule: dict[str, Any]) -> bool:
    cidrs = [*(rule.get("cidr_blocks") or []), *(rule.get("ipv6_cidr_blocks") or [])]
    return any(c in OPEN_CIDRS for c in cidrs)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _iam_wildcards(body: dict[str, Any]) -> Iterator[str]:
    """Action '*' or Resource '*' in a policy document (data source) or a JSON policy string."""
    statements: list[tuple[str, list[Any], list[Any]]] = []
    for i, st in enumerate(_blocks(body, "statement")):
        statements.append((f"statement[{i}]", _as_list(st.get("actions", [])), _as_list(st.get("resources", []))))
    policy = body.get("policy")
    if isinstance(policy, str) and policy.lstrip().startswith("{"):
        try:
            doc = json.loads(policy)
        except ValueError:
            doc = {}
        for i, st in enumerate(_as_list(doc.get("Statement", [])) if isinstance(doc, dict) else []):
            if isinstance(st, dict):
                statements.append((f"policy.Statement[{i}]", _as_list(st.get("Action", [])), _as_list(st.get("Resource", []))))
    for where, actions, resources in statements:
        if "*" in actions:
            yield f"{where}.actions"
        if "*" in resources:
            yield f"{where}.resources"


def _viewer_http(body: dict[str, Any]) -> Iterator[str]:
    for block in ("default_cache_behavior", "ordered_cache_behavior"):
        for i, behavior in enumerate(_blocks(body, block)):
            if behavior.get("viewer_protocol_policy") == "allow-all":
                yield f"{block}[{i}].viewer_protocol_policy"


def _sqs_unencrypted(body: dict[str, Any]) -> Iterator[str]:
    if body.get("sqs_managed_sse_enabled") in (False, "false") and not body.get("kms_master_key_id"):
        yield "sqs_managed_sse_enabled"


def _sns_unencrypted(body: dict[str, Any]) -> Iterator[str]:
    if not body.get("kms_master_key_id"):
        yield "kms_master_key_id"


@dataclass(frozen=True)
class SecureDefault:
    """One secure default archc emits, and how a body opens it."""

    label: str  # "S3 public access block", in messages and docs
    types: tuple[str, ...]  # resource types ("data.<type>" for data sources)
    find: Find
    checks: tuple[str, ...]  # checkov checks that flag it once opened
    invariant: str | None = None  # the archc invariant it breaks, if any
    # Where one attribute has checks of its own: attribute -> its checks (else ``checks``).
    checks_of: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def checks_for(self, where: str) -> tuple[str, ...]:
        """The checkov checks that flag this default opened at ``where``."""
        return dict(self.checks_of).get(where, self.checks)


_IAM_CHECKS: tuple[str, ...] = (
    "CKV_AWS_1",
    "CKV_AWS_49",
    "CKV_AWS_62",
    "CKV_AWS_63",
    "CKV_AWS_107",
    "CKV_AWS_108",
    "CKV_AWS_109",
    "CKV_AWS_110",
)
_IAM_CHECKS += ("CKV_AWS_111", "CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_355", "CKV_AWS_356")

SECURE_DEFAULTS: tuple[SecureDefault, ...] = (
    SecureDefault(
        "S3 public access block",
        ("aws_s3_bucket_public_access_block",),
        _not_true("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"),
        ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"),
        checks_of=(
            ("block_public_acls", ("CKV_AWS_53", "CKV2_AWS_6")),
            ("block_public_policy", ("CKV_AWS_54", "CKV2_AWS_6")),
            ("ignore_public_acls", ("CKV_AWS_55",)),
            ("restrict_public_buckets", ("CKV_AWS_56",)),
        ),
    ),
    SecureDefault("encryption at rest", ("aws_db_instance",), _not_true("storage_encrypted"), ("CKV_AWS_16",)),
    SecureDefault("encryption at rest", ("aws_rds_cluster",), _not_true("storage_encrypted"), ("CKV_AWS_96",)),
    SecureDefault("encryption at rest", ("aws_efs_file_system",), _not_true("encrypted"), ("CKV_AWS_42",)),
    SecureDefault("encryption at rest", ("aws_ebs_volume",), _not_true("encrypted"), ("CKV_AWS_3",)),
    SecureDefault(
        "encryption at rest and in transit",
        ("aws_elasticache_replication_group",),
        _false("at_rest_encryption_enabled", "transit_encryption_enabled"),
        ("CKV_AWS_29", "CKV_AWS_30"),
        checks_of=(("at_rest_encryption_enabled", ("CKV_AWS_29",)), ("transit_encryption_enabled", ("CKV_AWS_30",))),
    ),
    SecureDefault("encryption at rest", ("aws_sqs_queue",), _sqs_unencrypted, ("CKV_AWS_27",)),
    SecureDefault("encryption at rest", ("aws_sns_topic",), _sns_unencrypted, ("CKV_AWS_26",)),
    SecureDefault("KMS key rotation", ("aws_kms_key",), _not_true("enable_key_rotation"), ("CKV_AWS_7",)),
    SecureDefault(
        "no public database endpoint", ("aws_db_instance", "aws_rds_cluster_instance"), _true("publicly_accessible"), ("CKV_AWS_17",)
    ),
    SecureDefault(
        "no ingress from the internet",
        ("aws_vpc_security_group_ingress_rule", "aws_security_group_rule", "aws_security_group"),
        _open_ingress,
        ("CKV_AWS_260", "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"),
        "open-ingress",
    ),
    SecureDefault(
        "no IAM wildcard",
        ("data.aws_iam_policy_document", "aws_iam_role_policy", "aws_iam_policy"),
        _iam_wildcards,
        _IAM_CHECKS,
        "iam-wildcard",
    ),
    SecureDefault("HTTPS for viewers", ("aws_cloudfront_distribution",), _viewer_http, ("CKV_AWS_34",)),
)


def findings(rtype: str, body: dict[str, Any]) -> set[tuple[SecureDefault, str]]:
    """Every secure default ``body`` (of type ``rtype``, "data.<type>" for data sources) leaves
    open, with where."""
    return {(rule, where) for rule in SECURE_DEFAULTS if rtype in rule.types for where in rule.find(body)}


def opened(rtype: str, before: dict[str, Any], after: dict[str, Any]) -> list[tuple[SecureDefault, str]]:
    """The secure defaults ``after`` opens that ``before`` kept, in table order.

    >>> [(r.label, w) for r, w in opened("aws_kms_key", {"enable_key_rotation": True}, {})]
    [('KMS key rotation', 'enable_key_rotation')]
    """
    new = findings(rtype, after) - findings(rtype, before)
    order = {rule: i for i, rule in enumerate(SECURE_DEFAULTS)}
    return sorted(new, key=lambda found: (order[found[0]], found[1]))
