"""An infracost usage file for the emitted Terraform, from the same usage figures as
``archc cost``: ``infracost breakdown --path terraform/stacks/<name> --usage-file
terraform/infracost-usage.yml`` then prices the stack with archc's assumptions.

Keys are infracost's, as its own example file documents them
(github.com/infracost/infracost, infracost-usage-example.yml); a resource type
infracost takes no usage for is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from compiler.cost.estimate import usages
from compiler.cost.rules import Usage
from compiler.ir import Architecture
from compiler.terraform.context import StackBuilder

Keys = Callable[[Usage], dict[str, Any]]


def _value(u: Usage, key: str, scale: float = 1.0) -> float:
    number = u.usage(key)[0] * scale
    return int(number) if float(number).is_integer() else round(number, 3)


INFRACOST_KEYS: dict[str, Keys] = {
    "aws_apigatewayv2_api": lambda u: {"monthly_requests": _value(u, "requests")},
    "aws_lambda_function": lambda u: {"monthly_requests": _value(u, "requests"), "average_request_duration": _value(u, "duration_ms")},
    "aws_nat_gateway": lambda u: {"monthly_gb_data_processed": _value(u, "processed_gb")},
    "aws_vpc_endpoint": lambda u: {"monthly_gb_data_processed": _value(u, "processed_gb")},
    "aws_cloudwatch_log_group": lambda u: {"monthly_gb_data_ingestion": _value(u, "log_gb")},
    "aws_sqs_queue": lambda u: {"monthly_requests": _value(u, "requests")},
    "aws_sns_topic": lambda u: {"monthly_requests": _value(u, "requests")},
    "aws_ecr_repository": lambda u: {"storage": _value(u, "storage_gb")},
    "aws_codebuild_project": lambda u: {"monthly_build_minutes": _value(u, "build_minutes")},
    "aws_dynamodb_table": lambda u: {
        "monthly_read_request_units": _value(u, "requests"),
        "monthly_write_request_units": _value(u, "requests", 0.25),
        "monthly_gb_data_storage": _value(u, "storage_gb"),
    },
}


def usage_file(arch: Architecture, stack: StackBuilder) -> bytes:
    """``infracost-usage.yml`` (YAML, keys sorted, deterministic)."""
    resource_usage = {}
    for address, usage in usages(arch, stack).items():
        keys = INFRACOST_KEYS.get(stack.resources[address].type)
        if keys is not None:
            resource_usage[address] = keys(usage)
    header = (
        "# infracost usage file for the stacks under terraform/stacks/, written by archc from the\n"
        "# model's usage: figures and archc's defaults (compiler/cost/usage.py), the same figures as\n"
        "# `archc cost`. Use: infracost breakdown --path terraform/stacks/" + arch.name + " --usage-file terraform/infracost-usage.yml\n"
    )
    body = yaml.safe_dump({"version": "0.1", "resource_usage": resource_usage}, sort_keys=True, default_flow_style=False)
    return (header + body).encode()
