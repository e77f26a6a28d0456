"""Physical names fit the AWS provider's limits (compiler/terraform/name_limits.py), for any name.

The fixture has every kind of the catalog, wired so that each writes its named
resources; the test renames the architecture and every service to the longest names
archc accepts (40 characters) and checks every name attribute of every resource.
The real provider agreed on this model (``/work/shared/tools/tfreal``: 0 errors, where
the build before the fix had four bucket_prefix values of 38 characters).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler import pipeline
from compiler.resolve import MAX_NAME
from compiler.terraform.context import StackBuilder
from compiler.terraform.emit import emit
from compiler.terraform.name_limits import NAME_LIMITS, limit
from modules import CATALOG

FIXTURE = Path(__file__).parent / "fixtures" / "names" / "every-kind.yaml"
# Attributes that look like names but are not physical names archc makes up: fixed
# values, enums, references and the model's own strings.
NOT_NAMES = {
    "aws_amplify_branch": {"branch_name"},
    "aws_apigatewayv2_stage": {"name"},  # "$default"
    "aws_appautoscaling_policy": {"name"},  # fixed: "cpu-target-tracking"
    "aws_autoscaling_policy": {"name"},
    "aws_cloudwatch_log_stream": {"name"},
    "aws_cloudwatch_metric_alarm": {"metric_name"},  # AWS's metric names
    "aws_codedeploy_deployment_group": {"deployment_config_name"},
    "aws_db_instance": {"db_name"},
    "aws_db_parameter_group": {"family"},  # an engine family, e.g. postgres17
    "aws_rds_cluster_parameter_group": {"family"},
    "aws_rds_cluster": {"database_name"},
    "aws_route53_record": {"name"},  # the model's domains
    "aws_route53_zone": {"name"},
    "aws_sns_topic": {"kms_master_key_id"},  # alias/aws/sns
    "aws_vpc_endpoint": {"service_name"},  # com.amazonaws.<region>.<service>
}
NAME_ATTRIBUTE = re.compile(r"(^|_)(name|identifier|family|creation_token|statement_id|id)$|_prefix$")


def _longest(name: str) -> str:
    """``name`` padded to the longest name the resolver accepts."""
    return (name + "-" + "x" * MAX_NAME)[: MAX_NAME - 1].rstrip("-") + "z"


def _renamed(model: dict[str, Any]) -> dict[str, Any]:
    """The model with its architecture and every service renamed to 40 characters."""
    ids = {sid: _longest(sid) for layer in model["layers"] for sid in layer["services"]}

    def rename(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: rename(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v) for v in value]
        if isinstance(value, str) and key not in ("kind", "purpose", "path"):
            return (
                " -> ".join(ids.get(part.strip(), part.strip()) for part in value.split("->")) if "->" in value else ids.get(value, value)
            )
        return value

    for layer in model["layers"]:
        layer["services"] = {ids[sid]: rename(spec) for sid, spec in layer["services"].items()}
    return {**rename(model), "name": _longest(model["name"]), "layers": model["layers"]}


@pytest.fixture(scope="module")
def long_stack(tmp_path_factory: pytest.TempPathFactory) -> StackBuilder:
    path = tmp_path_factory.mktemp("names") / "model.yaml"
    path.write_text(yaml.safe_dump(_renamed(yaml.safe_load(FIXTURE.read_text())), sort_keys=False))
    return emit(pipeline.load(path, "model.yaml"))


def test_fixture_has_every_kind() -> None:
    kinds = {spec["kind"] for layer in yaml.safe_load(FIXTURE.read_text())["layers"] for spec in layer["services"].values()}
    assert kinds == set(CATALOG), f"add the missing kinds to {FIXTURE.name}: {sorted(set(CATALOG) - kinds)}"


def test_names_fit_the_provider_limits(long_stack: StackBuilder) -> None:
    """Every limited name is within its limit, and the longest ones reach it (the cut is not too short)."""
    lengths: dict[tuple[str, str], int] = {}
    for resource in long_stack.resources.values():
        for attribute, value in resource.body.items():
            if (resource.type, attribute) in NAME_LIMITS and isinstance(value, str) and "${" not in value:
                lengths[(resource.type, attribute)] = max(len(value), lengths.get((resource.type, attribute), 0))
    too_long = {key: n for key, n in lengths.items() if n > NAME_LIMITS[key]}
    assert not too_long
    # Names the 40-character parts make longer than the limit are cut to it exactly.
    assert lengths[("aws_s3_bucket", "bucket_prefix")] == 37
    assert lengths[("aws_lb", "name")] == lengths[("aws_lb_target_group", "name")] == 32
    assert lengths[("aws_iam_role", "name")] == lengths[("aws_cloudwatch_event_rule", "name")] == 64
    assert lengths[("aws_cloudwatch_log_delivery_source", "name")] == 60
    assert lengths[("aws_eks_node_group", "node_group_name")] == 63
    assert lengths[("aws_elasticache_replication_group", "replication_group_id")] == 40


def test_every_name_has_a_limit(long_stack: StackBuilder) -> None:
    """A name attribute archc writes without a limit in the table is a name nobody checked."""
    unlisted = sorted(
        {
            f"{r.type}.{attribute}"
            for r in long_stack.resources.values()
            if not r.data
            for attribute, value in r.body.items()
            if NAME_ATTRIBUTE.search(attribute)
            and isinstance(value, str)
            and "${" not in value
            and (r.type, attribute) not in NAME_LIMITS
            and attribute not in NOT_NAMES.get(r.type, set())
        }
    )
    assert not unlisted, f"add the provider's limit to NAME_LIMITS: {unlisted}"


def test_a_name_too_long_is_a_catalog_bug(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text("name: t\nregion: eu-west-3\nlayers: [{name: a, services: {b: {kind: s3}}}]\n")
    stack = StackBuilder(pipeline.load(path, "model.yaml"))
    with pytest.raises(ValueError, match=r"internal: aws_lb.x \(by b\): name is 33 characters; the AWS provider allows 32"):
        stack.add("b", "aws_lb", "x", {"name": "n" * 33})
    stack.add("b", "aws_lb", "y", {"name": "${aws_lb.x.name}-long-interpolation-not-checked-here"})


def test_physical_name_keeps_what_must_end_the_name(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(f"name: {_longest('t')}\nregion: eu-west-3\nlayers: [{{name: a, services: {{{_longest('q')}: {{kind: sqs}}}}}}]\n")
    arch = pipeline.load(path, "model.yaml")
    from compiler.terraform.context import ServiceContext

    ctx = ServiceContext(arch, next(iter(arch.services.values())), StackBuilder(arch))
    prefix = ctx.physical_name("aws_s3_bucket", attribute="bucket_prefix", after="-")
    assert (len(prefix), prefix[-1]) == (limit("aws_s3_bucket", "bucket_prefix"), "-")
    fifo = ctx.physical_name("aws_sqs_queue", after=".fifo")
    assert len(fifo) == 80 and fifo.endswith(".fifo")
    assert ctx.physical_name("aws_kms_alias", before="alias/").startswith("alias/t-")
