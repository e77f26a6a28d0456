"""Every connection the catalog honours compiles into exactly the rule, policy or wiring it means.

Parametrized over the catalog: for each workload kind (``needs: network``) and each
kind that can be reached (a port or IAM access levels), a two-service model is
resolved and emitted (no synth: the stack as plain data), and the resources that
implement the connection (``Resource.edge``) are compared with what they must be.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import pipeline
from compiler.errors import ArchcError
from compiler.ir import Architecture, Edge
from compiler.resolve import callers
from compiler.terraform.context import Resource, ServiceContext, StackBuilder
from compiler.terraform.emit import emit
from modules import CATALOG

# Settings a kind cannot do without, the services they name, and connections it must start ({id}: the service).
NEEDS: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "amplify": ("repository: https://github.com/acme/web", {}, ()),
    "alb": ("certificate_arn: 'arn:aws:acm:eu-west-3:123456789012:certificate/abc', domain: app.archc-demo.io", {}, ()),
    "athena": ("results: results", {"results": "kind: s3"}, ()),
    "codedeploy": ("", {"fleet": "kind: asg"}, ("{id} -> fleet",)),
    "dynamodb": ("hash_key: id", {}, ()),
    "ecs-service": ("cluster: cluster", {"cluster": "kind: ecs-cluster"}, ()),
    "firehose": ("destination: sink", {"sink": "kind: s3"}, ()),
    "schedule": ('expression: "rate(1 hour)"', {}, ()),
    "event-rule": ("pattern: {source: [orders]}", {}, ()),
}
SOURCES = sorted(k for k, cls in CATALOG.items() if cls.info.needs == "network")
TARGETS = sorted(k for k, cls in CATALOG.items() if cls.info.port is not None or cls.info.access)


# A source that writes to one bucket only (its setting names it): that bucket is the target.
WRITES_TO_TARGET: dict[tuple[str, str], str] = {("firehose", "s3"): "destination: dst"}


def _model(tmp_path: Path, source: str, target: str, access: str | None) -> Path:
    services: dict[str, str] = {}
    conns = [f"{{from: src, to: dst, access: {access}}}" if access else "src -> dst"]
    for sid, kind in (("src", source), ("dst", target)):
        extra, helpers, needed = NEEDS.get(kind, ("", {}, ()))
        if sid == "src" and (source, target) in WRITES_TO_TARGET:
            extra, helpers = WRITES_TO_TARGET[source, target], {}
        services[sid] = f"kind: {kind}" + (f", {extra}" if extra else "")
        services.update(helpers)
        conns += [c.replace("{id}", sid) for c in needed]
    lines = ["name: t", "region: eu-west-3", "network: {azs: 2}", "layers:", "  - name: app", "    services:"]
    lines += [f"      {sid}: {{{body}}}" for sid, body in services.items()]
    lines += ["connections:", *(f"  - {c}" for c in conns)]
    path = tmp_path / "model.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _compile(tmp_path: Path, source: str, target: str, access: str | None = None) -> tuple[Architecture, StackBuilder] | str:
    """The IR and stack, or ``"<code>: <message>"`` of a connection refused (any other error fails)."""
    try:
        arch = pipeline.load(_model(tmp_path, source, target, access), "model.yaml")
        return arch, emit(arch)
    except ArchcError as exc:
        assert [d.code for d in exc.diagnostics] in (["connection"], ["conflict"]), exc
        return f"{exc.diagnostics[0].code}: {exc.diagnostics[0].message}"


def _implementing(stack: StackBuilder, edge: Edge) -> list[Resource]:
    return [r for r in stack.resources.values() if r.edge == edge.id]


def _assert_network(arch: Architecture, stack: StackBuilder, edge: Edge) -> None:
    src, dst = arch.services["src"], arch.services["dst"]
    rules = [r for r in _implementing(stack, edge) if r.type.startswith("aws_vpc_security_group_")]
    if "outside" in (src.placement, dst.placement):
        assert rules == []
        return
    ingress = [r for r in rules if r.type.endswith("ingress_rule")]
    egress = [r for r in rules if r.type.endswith("egress_rule")]
    assert len(ingress) == 1 and len(egress) == 1, [r.name for r in rules]
    port = dst.spec.inbound_port()
    assert edge.port == port
    assert ingress[0].owner == "dst"
    assert ingress[0].body["security_group_id"] == "${aws_security_group.dst.id}"
    assert ingress[0].body["referenced_security_group_id"] == "${aws_security_group.src.id}"
    assert "cidr_ipv4" not in ingress[0].body
    assert (ingress[0].body["from_port"], ingress[0].body["to_port"]) == (port, port)
    assert egress[0].body["security_group_id"] == "${aws_security_group.src.id}"
    assert egress[0].body["referenced_security_group_id"] == "${aws_security_group.dst.id}"
    assert (egress[0].body["from_port"], egress[0].body["to_port"]) == (port, port)


def _assert_api(arch: Architecture, stack: StackBuilder, edge: Edge, level: str) -> None:
    dst = arch.services["dst"]
    implementing = _implementing(stack, edge)
    docs = [r for r in implementing if r.data and r.type == "aws_iam_policy_document" and r.name == "src_to_dst"]
    policies = [r for r in implementing if r.type == "aws_iam_role_policy" and r.name == "src_to_dst"]
    assert len(docs) == 1 and len(policies) == 1
    statement, *extra = docs[0].body["statement"]
    assert statement["actions"] == sorted(dst.spec.info.access[level])
    expected = dst.spec.arns(dst, ServiceContext(arch, dst, stack))
    assert statement["resources"] == expected
    # What the target kind adds (the key its data is encrypted with), nothing else.
    assert extra == dst.spec.api_statements(dst, ServiceContext(arch, dst, stack), level)
    assert "*" not in statement["resources"] and "*" not in statement["actions"]
    assert policies[0].body["role"] == "${aws_iam_role.src.id}"
    assert policies[0].body["policy"] == f"${{data.aws_iam_policy_document.{docs[0].name}.json}}"


def _assert_endpoints_published(arch: Architecture, stack: StackBuilder, edge: Edge) -> None:
    """The caller can find its target: parameters under /archc/t/dst, readable by the caller's role only."""
    params = {str(r.body["name"]) for r in stack.resources.values() if r.type == "aws_ssm_parameter" and r.owner == "dst"}
    params = {p for p in params if p.startswith("/archc/")}
    assert all(p.startswith("/archc/t/dst/") for p in params)
    if edge.port is not None:
        assert "/archc/t/dst/port" in params
    finds = stack.resources.get("data.aws_iam_policy_document.src_finds_dst")
    if not params or arch.services["src"].spec.info.principal is None:
        assert finds is None
        return
    assert finds is not None and finds.edge == edge.id
    read = finds.body["statement"][0]
    assert read["resources"][1].endswith(":parameter/archc/t/dst/*")
    assert stack.resources["aws_iam_role_policy.src_finds_dst"].body["role"] == "${aws_iam_role.src.id}"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("source", SOURCES)
def test_connection_compiles_to_least_privilege(tmp_path: Path, source: str, target: str) -> None:
    compiled = _compile(tmp_path, source, target)
    assert (source in callers(CATALOG[target])) == (not isinstance(compiled, str)), "the error's list of callers is right"
    if isinstance(compiled, str):  # not honoured: a connection error that says why
        assert compiled.startswith(f"connection: src ({source}) -> dst ({target}): "), compiled
        return
    arch, stack = compiled
    edge = next(e for e in arch.edges if (e.source, e.target) == ("src", "dst"))
    if edge.via == "network":
        _assert_network(arch, stack, edge)
    elif edge.via == "api":
        _assert_api(arch, stack, edge, edge.access or "")
        for level in list(CATALOG[target].info.access)[1:]:
            arch2, stack2 = _compile(tmp_path, source, target, level)  # type: ignore[misc]
            _assert_api(arch2, stack2, next(e for e in arch2.edges if e.source == "src"), level)
    else:
        pytest.fail(f"{source} -> {target} compiled as {edge.via}")
    _assert_endpoints_published(arch, stack, edge)


def test_every_source_reaches_something(tmp_path: Path) -> None:
    for source in SOURCES:
        reached = [t for t in TARGETS if not isinstance(_compile(tmp_path, source, t), str)]
        assert len(reached) >= min(10, len(CATALOG[source].info.reaches) or 10), (source, reached)


CAPABILITY_SOURCES = sorted(k for k, cls in CATALOG.items() if cls.info.needs not in (None, "network", "none"))
CAPABILITY_PAIRS = [(s, t) for s in CAPABILITY_SOURCES for t, cls in CATALOG.items() if s != t and CATALOG[s].info.needs in cls.info.offers]
NEEDS.update(
    {
        "route53": ("domain: archc-demo.io", {}, ()),
        "codepipeline": ("", {"repo": "kind: codecommit"}, ("{id} -> repo",)),
        "cloudfront": ("", {"site": "kind: s3"}, ("{from: {id}, to: site, path: /static/*}",)),
    }
)
# What each wiring must create, as resource types implementing the connection.
WIRING: dict[str, set[str]] = {
    "lb-target": {"aws_lb_target_group"},
    "subscriber": {"aws_sns_topic_subscription"},
    "consumer": {"aws_lambda_event_source_mapping"},
    "event-target": {"aws_cloudwatch_event_target"},
    "notify": {"aws_lambda_permission", "aws_s3_bucket_notification"},
}


@pytest.mark.parametrize(("source", "target"), CAPABILITY_PAIRS)
def test_capability_connection_is_wired(tmp_path: Path, source: str, target: str) -> None:
    """Origins, aliases, target groups, subscriptions, event sources, notifications: resources that implement the edge."""
    compiled = _compile(tmp_path, source, target)
    if isinstance(compiled, str):  # a pair the kinds refuse for a stated reason (e.g. a Route 53 alias without a domain)
        assert compiled.startswith((f"connection: src ({source}) -> dst ({target}): ", "conflict: ")), compiled
        return
    arch, stack = compiled
    edge = next(e for e in arch.edges if (e.source, e.target) == ("src", "dst"))
    assert edge.via == CATALOG[source].info.needs
    implementing = {r.type for r in stack.resources.values() if r.edge == edge.id}
    touched = any(edge.id == r.edge for r in stack.resources.values()) or any(
        "dst" in repr(r.body) for r in stack.resources.values() if r.owner == "src"
    )
    assert touched, f"nothing implements {edge.id}"
    expected = WIRING.get(edge.via, set())
    if edge.via == "notify" and target == "sqs":
        expected = {"aws_sqs_queue_policy", "aws_s3_bucket_notification"}
    if edge.via == "subscriber" and target == "sqs":
        expected = {"aws_sqs_queue_policy", "aws_sns_topic_subscription"}
    assert expected <= implementing, implementing


def test_s3_notifications_one_resource_per_bucket(tmp_path: Path) -> None:
    services = "inbox: {kind: s3}", "resize: {kind: lambda}", "jobs: {kind: sqs}"
    lines = ["name: t", "region: eu-west-3", "network: {azs: 2}", "layers:", "  - name: app", "    services:"]
    lines += [f"      {s}" for s in services] + ["connections:", "  - inbox -> resize", "  - {from: inbox, to: jobs, path: /in/*}"]
    (tmp_path / "model.yaml").write_text("\n".join(lines) + "\n")
    stack = emit(pipeline.load(tmp_path / "model.yaml", "model.yaml"))
    note = stack.resources["aws_s3_bucket_notification.inbox"].body
    assert note["lambda_function"] == [
        {"id": "to-resize", "lambda_function_arn": "${aws_lambda_function.resize.arn}", "events": ["s3:ObjectCreated:*"]}
    ]
    assert note["queue"] == [
        {"id": "to-jobs", "queue_arn": "${aws_sqs_queue.jobs.arn}", "events": ["s3:ObjectCreated:*"], "filter_prefix": "in/"}
    ]
    assert note["depends_on"] == ["aws_lambda_permission.resize_from_s3_inbox", "aws_sqs_queue_policy.jobs"]
    permission = stack.resources["aws_lambda_permission.resize_from_s3_inbox"].body
    assert (permission["principal"], permission["source_arn"]) == ("s3.amazonaws.com", "${aws_s3_bucket.inbox.arn}")
