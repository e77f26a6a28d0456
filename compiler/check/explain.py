"""Which checkov findings are explained, and why: a model's decisions, then the catalog.

A finding is explained when a decision of the service owning the resource lists its
check id (the architect's reason, from the model), or an override of that service with
a ``reason:`` opened what the check flags (``compiler/terraform/secure_defaults.py``), or when the catalog rationale
(:mod:`compiler.check.rationale`) covers it. The same explanations become the
checkov baseline that ``archc build`` writes next to the stacks, so checkov run by
hand reports what ``archc check`` reports.
"""

from __future__ import annotations

import json

from compiler.check.rationale import CATALOG_RATIONALE, catalog_reason
from compiler.ir import Architecture
from compiler.terraform.context import Resource, StackBuilder
from compiler.terraform.network import OWNER as NETWORK

# Resource types each check a decision may list applies to, for the baseline (which
# needs resource names); a check missing here applies to every resource of the service.
DECISION_CHECK_TYPES: dict[str, tuple[str, ...]] = {
    "CKV_AWS_2": ("aws_lb_listener",),
    "CKV_AWS_103": ("aws_lb_listener",),
    "CKV2_AWS_20": ("aws_lb",),
    "CKV_AWS_260": ("aws_vpc_security_group_ingress_rule",),
    "CKV_AWS_157": ("aws_db_instance",),
    "CKV2_AWS_11": ("aws_vpc",),
}

BASELINE_FILE = "checkov-baseline.json"
CONFIG_FILE = ".checkov.yaml"


def decision_reasons(arch: Architecture) -> dict[str, dict[str, str]]:
    """Service id (or the network's owner, for the VPC's settings) -> check id -> the decision text that covers it."""
    out: dict[str, dict[str, str]] = {}
    for d in arch.network.decisions:
        for check in d.checks:
            out.setdefault(NETWORK, {})[check] = f"network.{d.setting}: {d.value} (default {d.default}): {d.reason}"
    for sid, node in arch.services.items():
        for d in node.spec.decisions():
            for check in d.checks:
                out.setdefault(sid, {})[check] = f"{d.setting}: {d.value} (default {d.default}): {d.reason}"
    return out


def override_reasons(stack: StackBuilder, resource: Resource) -> dict[str, str]:
    """Check id -> the reason of an override or extra resource of the model that opened what
    it flags on ``resource`` (``StackBuilder.decisions``): on the resources it opened it on, and for graph checks (CKV2_,
    which flag a related resource, e.g. the bucket of a public access block) on every
    resource of its service."""
    out: dict[str, str] = {}
    for d in stack.decisions:
        if d.service != resource.owner:
            continue
        for check in d.checks:
            if resource.address in d.addresses or check.startswith("CKV2_"):
                out.setdefault(check, f"{d.what} ({'; '.join(d.opened)}): {d.reason}")
    return out


def explain(check_id: str, resource: Resource | None, arch: Architecture, stack: StackBuilder) -> tuple[str, str] | None:
    """``("decision"|"catalog", reason)`` for a finding, or None when it is unexplained."""
    if resource is None:
        return None
    decided = decision_reasons(arch).get(resource.owner, {}).get(check_id) or override_reasons(stack, resource).get(check_id)
    if decided:
        return "decision", decided
    reason = catalog_reason(check_id, resource, stack)
    return ("catalog", reason) if reason else None


def planned_skips(arch: Architecture, stack: StackBuilder) -> dict[str, dict[str, str]]:
    """Resource address -> check id -> reason, for every explanation that applies."""
    skips: dict[str, dict[str, str]] = {}
    decisions = decision_reasons(arch)
    for r in stack.resources.values():
        for check, reason in decisions.get(r.owner, {}).items():
            types = DECISION_CHECK_TYPES.get(check)
            if types is None or r.type in types:
                skips.setdefault(r.address, {})[check] = reason
        for check, reason in override_reasons(stack, r).items():
            skips.setdefault(r.address, {}).setdefault(check, reason)
        for entry in CATALOG_RATIONALE:
            rtype = f"data.{r.type}" if r.data else r.type
            if rtype in entry.types and entry.applies(r, stack):
                for check in entry.checks:
                    skips.setdefault(r.address, {}).setdefault(check, entry.reason)
    return skips


def baseline_files(arch: Architecture, stack: StackBuilder) -> dict[str, bytes]:
    """``terraform/.checkov.yaml`` and the baseline it names, with a reason per skip.

    checkov matches a baseline entry by resource name and check id; in JSON mode it
    names a resource ``<type>.<name>`` in graph checks and ``resource.<name>`` in the
    others, so each skip is written under both names.
    """
    findings = []
    for addr, checks in sorted(planned_skips(arch, stack).items()):
        name = addr.rsplit(".", 1)[1]
        short = f"data.{name}" if addr.startswith("data.") else f"resource.{name}"
        full = addr.removeprefix("data.")
        reasons = {c: checks[c] for c in sorted(checks)}
        for resource in sorted({full, short}):
            findings.append({"resource": resource, "check_ids": sorted(checks), "reasons": reasons})
    baseline = {"failed_checks": [{"file": "/cdk.tf.json", "findings": findings}]}
    config = (
        "# Written by archc: checkov on these stacks honours the model's decisions and archc's\n"
        "# catalog rationale (reasons in checkov-baseline.json). Run: cd terraform && checkov\n"
        "directory: [stacks]\n"
        "framework: [terraform_json, secrets]\n"
        "skip-download: true\n"
        f"baseline: {BASELINE_FILE}\n"
        "output-baseline-as-skipped: true\n"
    )
    return {
        f"terraform/{BASELINE_FILE}": (json.dumps(baseline, indent=2, sort_keys=True) + "\n").encode(),
        f"terraform/{CONFIG_FILE}": config.encode(),
    }
