"""A model without a VPC (``network: none``), and flow logs turned off with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.check.explain import planned_skips
from compiler.cost.estimate import estimate
from compiler.diagrams.icons import icon
from compiler.diagrams.network import network as network_view
from compiler.docs.render import render_docs
from compiler.errors import ArchcError

SERVERLESS = """\
name: t
region: eu-west-3
{network}
layers:
  - name: app
    services:
      api: {{kind: api-gateway}}
      fn: {{kind: lambda}}
      jobs: {{kind: sqs}}
      orders: {{kind: dynamodb, hash_key: id}}
connections:
  - api -> fn
  - fn -> orders
  - fn -> jobs
"""
# What a VPC brings: none of it may be emitted without one.
VPC_TYPES = (
    "aws_vpc",
    "aws_subnet",
    "aws_nat_gateway",
    "aws_eip",
    "aws_internet_gateway",
    "aws_route",
    "aws_route_table",
    "aws_route_table_association",
    "aws_vpc_endpoint",
    "aws_flow_log",
    "aws_default_security_group",
    "aws_security_group",
)


def _stack(tmp_path: Path, network: str) -> dict[str, object]:
    path = tmp_path / "model.yaml"
    path.write_text(SERVERLESS.format(network=network))
    files = pipeline.compile_terraform(pipeline.load(path, "model.yaml"), "model.yaml")
    stack: dict[str, object] = json.loads(files["terraform/stacks/t/cdk.tf.json"])
    return stack


def test_no_vpc_resources(tmp_path: Path) -> None:
    stack = _stack(tmp_path, "network: none")
    resources = stack["resource"]
    assert isinstance(resources, dict)
    assert sorted(set(VPC_TYPES) & set(resources)) == []
    assert "vpc_config" not in resources["aws_lambda_function"]["fn"]
    assert "vpc_id" not in json.dumps(stack.get("output", {}))


def test_default_network_still_has_its_vpc(tmp_path: Path) -> None:
    """The same model without `network: none`: the VPC, NAT and flow logs (what the test above rules out)."""
    resources = _stack(tmp_path, "")["resource"]
    assert isinstance(resources, dict)
    assert {"aws_vpc", "aws_subnet", "aws_nat_gateway", "aws_flow_log"} <= set(resources)


def test_cost_drops_the_network(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    totals = {}
    for net in ("", "network: none"):
        path.write_text(SERVERLESS.format(network=net))
        stack = pipeline.check(path, "model.yaml")
        totals[net] = estimate(stack.arch, stack).total(layer="network")
    assert totals[""] > 30  # the NAT gateway alone is about 32 USD a month
    assert totals["network: none"] == 0


def test_network_page_and_figure_without_vpc(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(SERVERLESS.format(network="network: none"))
    stack = pipeline.check(path, "model.yaml")
    page = render_docs(stack.arch, stack, "model.yaml")["docs/network.md"].decode()
    assert "has no VPC: the model sets `network: none`" in page
    assert "## Subnets" not in page
    icons = {node.spec.info.icon: icon(node.spec.info.icon) for node in stack.arch.services.values()}
    dot = network_view(stack.arch, icons, stack)
    assert "cluster_vpc" not in dot
    assert "no VPC: network: none" in dot


@pytest.mark.parametrize(
    ("service", "message"),
    [
        ("{kind: rds, engine: postgres}", "service 'x' (rds) runs in the isolated subnets of a VPC, but the model sets network: none"),
        ("{kind: lambda, vpc: true}", "service 'x' (lambda) runs in the private subnets of a VPC, but the model sets network: none"),
        ("{kind: alb, listeners: http, reasons: {listeners: test}}", "service 'x' (alb) runs in the public subnets of a VPC"),
    ],
)
def test_kind_in_subnets_refused(tmp_path: Path, service: str, message: str) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(SERVERLESS.format(network="network: none").replace("      orders:", f"      x: {service}\n      orders:"))
    with pytest.raises(ArchcError) as caught:
        pipeline.load(path, "model.yaml")
    (diag,) = caught.value.diagnostics
    assert (diag.code, diag.line, diag.col) == ("network", 10, 7)
    assert message in diag.message


def test_flow_logs_off_with_reason_explains_checkov(tmp_path: Path) -> None:
    network = 'network: {flow_logs: false, reasons: {flow_logs: "test network"}}'
    path = tmp_path / "model.yaml"
    path.write_text(SERVERLESS.format(network=network).replace("fn: {kind: lambda}", "fn: {kind: lambda, vpc: true}"))
    stack = pipeline.check(path, "model.yaml")
    assert "aws_flow_log" not in {r.type for r in stack.resources.values()}
    skips = planned_skips(stack.arch, stack)
    assert skips["aws_vpc.main"]["CKV2_AWS_11"] == "network.flow_logs: false (default true (CloudWatch Logs)): test network"
    decisions = render_docs(stack.arch, stack, "model.yaml")["docs/decisions.md"].decode()
    assert "| [network](network.md) | `flow_logs` | false | true (CloudWatch Logs) | test network |" in decisions


def test_network_page_suggests_none_for_an_empty_vpc(tmp_path: Path) -> None:
    """A VPC nothing runs in: the page says `network: none` would leave it out; not once a service runs in it."""
    path = tmp_path / "model.yaml"
    hint = "No service of the model runs in this VPC: `network: none` would leave it out"
    for fn, shown in (("fn: {kind: lambda}", True), ("fn: {kind: lambda, vpc: true}", False)):
        path.write_text(SERVERLESS.format(network="").replace("fn: {kind: lambda}", fn))
        stack = pipeline.check(path, "model.yaml")
        assert (hint in render_docs(stack.arch, stack, "model.yaml")["docs/network.md"].decode()) is shown
