"""The realization contract, walked over every pair of kinds the catalog lets connect.

For each (source kind, target kind, with or without ``access:``) that ``kind_wiring``
gives a meaning, minimal models hold both (plus what each kind needs to compile at
all: an origin for a distribution, stages for a pipeline...): the pair alone, with a
second source, with a second target, and with target settings that change the wiring.
Either the connection's parts cover what it needs (``realization.required``) and name
resources that exist, or the model is refused with errors at the connection's line
only; a refusal by the contract check itself is allowed only for the pairs of
:data:`CONTRACT_REFUSES`. Run time: about 5 s for some 1,100 models (emission only).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler import pipeline
from compiler.errors import ArchcError
from compiler.resolve import kind_wiring
from compiler.terraform.context import Ref, StackBuilder
from compiler.terraform.realization import REQUIRED, missing, required, unrealized
from modules import CATALOG
from modules.base import Service
from tests.modelgen import HELPERS
from tests.modelgen import REQUIRED as REQUIRED_SETTINGS

CERT = "arn:aws:acm:eu-west-3:111122223333:certificate/00000000-0000-0000-0000-000000000000"
# Settings a kind needs to compile on its own, beyond the required ones modelgen knows.
SETTINGS: dict[str, dict[str, Any]] = {
    **REQUIRED_SETTINGS,
    "alb": {"certificate_arn": CERT, "domain": "app.archc-demo.io"},
    "route53": {"domain": "archc-demo.io"},
}
# Settings a target needs for one kind of connection: an aliased API answers for a domain.
TARGET_SETTINGS: dict[tuple[str, str], dict[str, Any]] = {
    ("alias", "api-gateway"): {"domain": "api.archc-demo.io", "certificate_arn": CERT},
}
PROTECTABLE = ("cloudfront", "alb", "cognito")  # what a waf may protect
ROUTED = ("lb-target", "api-target", "origin")  # a second target of these takes a path


@dataclass(frozen=True)
class Case:
    """One allowed pair: the model's services and connections, the first one under test."""

    source: str
    target: str
    wants_api: bool
    via: str
    target_settings: tuple[tuple[str, Any], ...] = ()  # a variant: settings that change the wiring
    # "one": src -> dst; "fan-in": src2 -> dst too; "fan-out": src -> dst2 too (resources
    # that several connections share, such as a queue policy or a bucket notification).
    shape: str = "one"

    @property
    def id(self) -> str:
        variant = "".join(f"+{k}={v}" for k, v in self.target_settings)
        shape = "" if self.shape == "one" else f"+{self.shape}"
        return f"{self.source}->{self.target}{'+access' if self.wants_api else ''}{variant}{shape}"

    @property
    def edges(self) -> list[tuple[str, str]]:
        """The connections under test, first in the model."""
        return [("src", "dst"), *{"one": [], "fan-in": [("src2", "dst")], "fan-out": [("src", "dst2")]}[self.shape]]


# Settings of a target that change how a connection to it compiles: each is one more case.
VARIANTS: dict[str, tuple[dict[str, Any], ...]] = {
    "ssm": ({"endpoints": False},),  # Session Manager reached through the NAT, no endpoints
    "alb": ({"internal": True},),  # reached through a VPC link, not the internet
}


def _instance(kind: str) -> Service:
    extra = {"protects": ["x"]} if kind == "waf" else SETTINGS.get(kind, {})
    return CATALOG[kind].model_validate({"kind": kind, **extra})


def cases() -> list[Case]:
    """Every (source, target, wants_api) with a meaning; wants_api only where it changes it."""
    found = []
    for source, cls in sorted(CATALOG.items()):
        for target in sorted(CATALOG):
            plain = kind_wiring(cls, _instance(target), wants_api=False).via
            asked = kind_wiring(cls, _instance(target), wants_api=True).via
            for wants_api, via in ((False, plain), (True, asked if asked != plain else None)):
                if via is not None:
                    found += [Case(source, target, wants_api, via, shape=shape) for shape in ("one", "fan-in", "fan-out")]
                    found += [Case(source, target, wants_api, via, tuple(v.items())) for v in VARIANTS.get(target, ())]
    return found


class Model:
    """A model being built: services by name and connections, in order."""

    def __init__(self) -> None:
        self.services: dict[str, dict[str, Any]] = {}
        self.connections: list[dict[str, Any]] = []

    def add(self, sid: str, body: dict[str, Any], *links: tuple[str, str]) -> None:
        """A service and connections; nothing when it is there already (with its connections)."""
        if sid not in self.services:
            self.services[sid] = body
            self.connections += [{"from": f, "to": t} for f, t in links]


def model(case: Case) -> dict[str, Any]:
    """A minimal model with the connections under test first, and what each end needs around it."""
    m = Model()
    source = {"kind": case.source, **SETTINGS.get(case.source, {})}
    target_settings = {**SETTINGS.get(case.target, {}), **TARGET_SETTINGS.get((case.via, case.target), {}), **dict(case.target_settings)}
    target = {"kind": case.target, **target_settings}
    for src, dst in case.edges:
        if dst == "dst2" and "domain" in target:  # a zone aliases each name once
            target["domain"] = f"two.{target['domain']}"
        conn: dict[str, Any] = {"from": src, "to": dst}
        if case.wants_api:
            conn["access"] = next(iter(CATALOG[case.target].info.access))
        if dst == "dst2" and case.via in ROUTED:  # one default route per balancer, API or distribution
            conn["path"] = "/two/*"
        m.connections.append(conn)
        m.add(src, dict(source))
        m.add(dst, dict(target))
    for sid, body in HELPERS.items():  # what the required settings name
        m.add(sid, dict(body))
    for src, dst in case.edges:
        _surround(m, src, dst, case, covered=case.via)
        _surround(m, dst, src, case, covered=None)
    return {"services": m.services, "connections": m.connections}


def _surround(m: Model, sid: str, other: str, case: Case, covered: str | None) -> None:
    """What service ``sid`` needs around it to compile at all, beyond its connection with
    ``other`` (which already gives it ``covered`` when it is the source)."""
    kind = m.services[sid]["kind"]
    if kind == "cloudfront" and covered != "origin":
        m.add(f"origin-{sid}", {"kind": "s3"}, (sid, f"origin-{sid}"))
    if kind == "codedeploy" and covered != "deploy-target":
        m.add(f"fleet-{sid}", {"kind": "asg"}, (sid, f"fleet-{sid}"))
    if kind == "codepipeline":  # a source stage and one more
        stages = {case.target} if covered == "pipeline-stage" else set()
        if "codecommit" not in stages:
            m.add(f"repo-{sid}", {"kind": "codecommit"}, (sid, f"repo-{sid}"))
        if not stages - {"codecommit"}:
            m.add(f"build-{sid}", {"kind": "codebuild"}, (sid, f"build-{sid}"))
    if kind == "cloudwatch" and covered is None:  # watched by the source; watches everything itself
        m.services[sid]["monitor_all"] = True
    if kind == "waf":  # protects the other end when it can, else a distribution of its own
        if m.services[other]["kind"] in PROTECTABLE and not _protected(m, other, sid):
            m.services[sid]["protects"] = [other]
        elif "protects" not in m.services[sid] or m.services[sid]["protects"] == ["x"]:
            m.add(f"cdn-{sid}", {"kind": "cloudfront"}, (f"cdn-{sid}", "origin-waf"))
            m.add("origin-waf", {"kind": "s3"})
            m.services[sid]["protects"] = [f"cdn-{sid}"]


def _protected(m: Model, sid: str, by: str) -> bool:
    """Whether a waf other than ``by`` protects ``sid`` already (a service takes one web ACL)."""
    return any(sid in body.get("protects", []) for other, body in m.services.items() if other != by and body["kind"] == "waf")


def dump(m: dict[str, Any]) -> str:
    """The model's text; the connection under test is on line :data:`CONNECTION_LINE`."""
    lines = ["name: t", "region: eu-west-3", "network: {azs: 2}", "connections:"]
    lines += [f"  - {yaml.safe_dump(c, default_flow_style=True, width=10_000, sort_keys=False).strip()}" for c in m["connections"]]
    lines += ["layers:", "  - name: app", "    services:"]
    lines += [
        f"      {sid}: {yaml.safe_dump(body, default_flow_style=True, width=10_000, sort_keys=False).strip()}"
        for sid, body in m["services"].items()
    ]
    return "\n".join(lines) + "\n"


FIRST_LINE = 5  # of the connections, in dump()'s layout


@cache  # the pending test reads them all again
def outcome(case: Case) -> tuple[str, str]:
    """("ok", "") when src -> dst is realized, ("refused", errors) when refused at its line
    only, ("unrealized", why) when it compiles without what it needs; anything else fails."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.yaml"
        path.write_text(dump(model(case)))
        try:
            arch = pipeline.load(path, "model.yaml")
        except ArchcError as exc:
            return _refused(exc, path, case)
        tested = arch.edges[: len(case.edges)]
        assert [(e.source, e.target, e.via) for e in tested] == [(s, t, case.via) for s, t in case.edges]
        try:
            stack = pipeline._checked_stack(arch)  # what `archc validate` runs: the realization check too
        except ArchcError as exc:
            return _refused(exc, path, case)
        whys = []
        for edge in tested:
            parts = stack.parts(edge.id)
            assert all(p.address in stack.resources for p in parts), f"{case.id}: a part names no resource: {parts}"
            whys.append(missing(edge, parts, arch))
        why = "\n".join(w for w in whys if w)
        return ("unrealized", why) if why else ("ok", "")


def _refused(exc: ArchcError, path: Path, case: Case) -> tuple[str, str]:
    """The refusal, when every error is at a tested connection's line, or at one end's line
    naming both ends (a setting of one that rules out this connection: an internal ALB)."""
    errors = [d for d in exc.diagnostics if d.severity == "error"]
    tested = range(FIRST_LINE, FIRST_LINE + len(case.edges))
    lines = path.read_text().splitlines()
    ends = {i + 1 for i, text in enumerate(lines) if re.match(r"      (src|dst)2?:", text)}
    both = re.compile(r"(?=.*\bsrc2?\b)(?=.*\bdst2?\b)")
    elsewhere = [d.format() for d in errors if d.line not in tested and not (d.line in ends and both.match(d.message))]
    assert not elsewhere, f"refused, but not at the connection's line:\n{path.read_text()}\n" + "\n".join(elsewhere)
    return "refused", "\n".join(d.format() for d in errors)


ALL = cases()


def test_every_via_has_a_contract() -> None:
    assert {c.via for c in ALL} <= set(REQUIRED)


# Pairs the contract check refuses (in some case) because archc cannot realize them: a
# connection between these kinds would compile into less than the call needs, so the
# model is refused at the connection. (Connections with no wiring of their own between
# two AWS services, via "none", are refused by the same rule and need no entry.) The
# test fails when one of them is refused no more: then remove it.
CONTRACT_REFUSES: dict[tuple[str, str], str] = {
    **{
        (kind, "ssm"): "with endpoints: false, no security group rule lets the instances reach Session Manager (management.py)"
        for kind in ("beanstalk", "eks", "emr")
    },
}
CONTRACT_ERROR = " does not work at run time: "  # realization.missing()'s words


def _refused_by_contract(case: Case) -> bool:
    kind, why = outcome(case)
    return kind == "refused" and CONTRACT_ERROR in why


@pytest.mark.parametrize("case", ALL, ids=[c.id for c in ALL])
def test_connection_is_realized_or_refused(case: Case) -> None:
    kind, why = outcome(case)
    assert kind != "unrealized", why
    assert not _refused_by_contract(case) or (case.source, case.target) in CONTRACT_REFUSES, f"archc cannot realize {case.id}:\n{why}"


@pytest.mark.parametrize("pair", sorted(CONTRACT_REFUSES), ids=["->".join(p) for p in sorted(CONTRACT_REFUSES)])
def test_unrealizable_pairs_are_still_refused(pair: tuple[str, str]) -> None:
    assert any(_refused_by_contract(c) for c in ALL if (c.source, c.target) == pair), f"{'->'.join(pair)}: remove it from CONTRACT_REFUSES"


def test_required_covers_where_the_target_runs() -> None:
    """ALB -> Lambda is an invoke permission, ALB -> ECS a network path (realization.required)."""
    m = {
        "services": {
            "lb": {"kind": "alb", **SETTINGS["alb"]},
            "fn": {"kind": "lambda"},
            "tasks": {"kind": "ecs-service", "cluster": "cluster"},
            **HELPERS,
        },
        "connections": [{"from": "lb", "to": "fn", "path": "/fn/*"}, {"from": "lb", "to": "tasks"}],
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.yaml"
        path.write_text(dump(m))
        arch = pipeline.load(path, "model.yaml")
    assert [sorted(required(e, arch)) for e in arch.edges] == [["permission", "trigger"], ["path", "trigger"]]


# -- the check itself ---------------------------------------------------------------


def _arch(tmp_path: Path, body: str) -> Any:
    path = tmp_path / "model.yaml"
    path.write_text("name: t\nregion: eu-west-3\nnetwork: {azs: 2}\n" + body)
    return pipeline.load(path, "model.yaml")


WEB_DB = "layers:\n  - name: app\n    services:\n      web: {kind: ec2}\n      db: {kind: rds}\nconnections:\n  - web -> db\n"


def test_check_names_every_missing_element_at_the_connection(tmp_path: Path) -> None:
    """A stack where the connection compiled into nothing: both its needs, in words, at its line."""
    arch = _arch(tmp_path, WEB_DB)
    found = unrealized(arch, StackBuilder(arch).parts)
    assert [d.format() for d in found] == [
        "model.yaml:10:5: error[connection]: connection web -> db (ec2 -> rds) does not work at run time: "
        "no network path: web cannot reach db; no discovery: web is never told where db is"
    ]


def test_check_accepts_what_the_parts_cover(tmp_path: Path) -> None:
    arch = _arch(tmp_path, WEB_DB)
    stack = StackBuilder(arch)
    for element in ("path", "discovery"):
        stack.realize(element, Ref("aws_ssm_parameter", "x"), edge="web->db")  # type: ignore[arg-type]
    assert unrealized(arch, stack.parts) == []


def test_second_connection_between_the_same_services_shares_the_first_ones_parts(tmp_path: Path) -> None:
    """Two routes of one load balancer to the same instances (/a and /b): the second goes
    through the first one's security group rules, recorded as its own parts too."""
    body = (
        "layers:\n  - name: app\n    services:\n"
        "      lb: {kind: alb, listeners: http, reasons: {listeners: a test}}\n      web: {kind: ec2}\nconnections:\n"
        "  - {from: lb, to: web, path: /a/*}\n  - {from: lb, to: web, path: /b/*}\n"
    )
    stack = pipeline._checked_stack(_arch(tmp_path, body))
    second = [(p.element, p.address, p.detail) for p in stack.parts("lb->web#2") if p.element == "path"]
    assert second == [
        ("path", "aws_vpc_security_group_egress_rule.lb_to_web", "shared with lb->web"),
        ("path", "aws_vpc_security_group_ingress_rule.web_from_lb", "shared with lb->web"),
    ]


def test_a_target_kind_adds_to_the_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Service.contract``: what one target needs beyond its via's elements (here: a bucket
    asking its distributions for a permission as well as the origin)."""
    body = "layers:\n  - name: web\n    services:\n      cdn: {kind: cloudfront}\n      site: {kind: s3}\nconnections:\n  - cdn -> site\n"
    arch = _arch(tmp_path, body)
    (edge,) = arch.edges
    assert required(edge, arch) == {"trigger"}
    bucket = type(arch.services["site"].spec)
    monkeypatch.setattr(bucket, "contract", lambda self, edge, node: frozenset({"permission"}) if edge.via == "origin" else frozenset())
    assert required(edge, arch) == {"trigger", "permission"}
