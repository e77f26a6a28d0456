"""The realization contract, walked over every pair of kinds the catalog lets connect.

For each (source kind, target kind, with or without ``access:``) that ``kind_wiring``
gives a meaning, a minimal model holds both (plus what each kind needs to compile at
all: an origin for a distribution, stages for a pipeline...). Either the connection's
parts cover what it needs (``realization.required``) and name resources that exist, or
the model is refused with errors at the connection's line only. Pairs of
``realization.PENDING`` are still unrealized on main: the test asserts they still are,
so an entry is removed as soon as its kind works.
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
from compiler.terraform.realization import PENDING, REQUIRED, missing, required, unrealized
from modules import CATALOG
from modules.base import Service
from tests.modelgen import HELPERS
from tests.modelgen import REQUIRED as REQUIRED_SETTINGS

CERT = "arn:aws:acm:eu-west-3:111122223333:certificate/00000000-0000-0000-0000-000000000000"
# Settings a kind needs to compile on its own, beyond the required ones modelgen knows.
SETTINGS: dict[str, dict[str, Any]] = {
    **REQUIRED_SETTINGS,
    "alb": {"certificate_arn": CERT, "domain": "app.example.com"},
    "route53": {"domain": "example.com"},
}
# Settings a target needs for one kind of connection: an aliased API answers for a domain.
TARGET_SETTINGS: dict[tuple[str, str], dict[str, Any]] = {
    ("alias", "api-gateway"): {"domain": "api.example.com", "certificate_arn": CERT},
}
PROTECTABLE = ("cloudfront", "alb", "cognito")  # what a waf may protect


@dataclass(frozen=True)
class Case:
    """One allowed pair: the model's services and connections, the first one under test."""

    source: str
    target: str
    wants_api: bool
    via: str
    target_settings: tuple[tuple[str, Any], ...] = ()  # a variant: settings that change the wiring

    @property
    def id(self) -> str:
        variant = "".join(f"+{k}={v}" for k, v in self.target_settings)
        return f"{self.source}->{self.target}{'+access' if self.wants_api else ''}{variant}"


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
                    found.append(Case(source, target, wants_api, via))
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
    """A minimal model with the connection src -> dst first, and what each end needs around it."""
    m = Model()
    conn: dict[str, Any] = {"from": "src", "to": "dst"}
    if case.wants_api:
        conn["access"] = next(iter(CATALOG[case.target].info.access))
    m.connections.append(conn)
    m.add("src", {"kind": case.source, **SETTINGS.get(case.source, {})})
    target = {**SETTINGS.get(case.target, {}), **TARGET_SETTINGS.get((case.via, case.target), {}), **dict(case.target_settings)}
    m.add("dst", {"kind": case.target, **target})
    for sid, body in HELPERS.items():  # what the required settings name
        m.add(sid, dict(body))
    for sid in ("src", "dst"):
        _surround(m, sid, case)
    return {"services": m.services, "connections": m.connections}


def _surround(m: Model, sid: str, case: Case) -> None:
    """What service ``sid`` needs around it to compile at all, beyond src -> dst."""
    kind = m.services[sid]["kind"]
    other = "dst" if sid == "src" else "src"
    covered = case.via if sid == "src" else None  # what src -> dst already gives the source
    if kind == "cloudfront" and covered != "origin":
        m.add("origin", {"kind": "s3"}, (sid, "origin"))
    if kind == "codedeploy" and covered != "deploy-target":
        m.add("fleet", {"kind": "asg"}, (sid, "fleet"))
    if kind == "codepipeline":  # a source stage and one more
        stages = {case.target} if covered == "pipeline-stage" else set()
        if "codecommit" not in stages:
            m.add("repo", {"kind": "codecommit"}, (sid, "repo"))
        if not stages - {"codecommit"}:
            m.add("build", {"kind": "codebuild"}, (sid, "build"))
    if kind == "cloudwatch" and sid == "dst":  # watched by src; watches everything itself
        m.services[sid]["monitor_all"] = True
    if kind == "waf":  # protects the other end when it can, else a distribution of its own
        if m.services[other]["kind"] in PROTECTABLE:
            m.services[sid]["protects"] = [other]
        else:
            m.add(f"cdn-{sid}", {"kind": "cloudfront"}, (f"cdn-{sid}", "origin"))
            m.add("origin", {"kind": "s3"})
            m.services[sid]["protects"] = [f"cdn-{sid}"]


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


CONNECTION_LINE = 5


def outcome(case: Case) -> tuple[str, str]:
    """("ok", "") when src -> dst is realized, ("refused", errors) when refused at its line
    only, ("unrealized", why) when it compiles without what it needs; anything else fails."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.yaml"
        path.write_text(dump(model(case)))
        try:
            arch = pipeline.load(path, "model.yaml")
        except ArchcError as exc:
            return _refused(exc, path)
        edge = arch.edges[0]
        assert (edge.source, edge.target, edge.via) == ("src", "dst", case.via)
        try:
            stack = pipeline._checked_stack(arch)  # what `archc validate` runs: the realization check too
        except ArchcError as exc:
            return _refused(exc, path)
        parts = stack.parts(edge.id)
        assert all(p.address in stack.resources for p in parts), f"{case.id}: a part names no resource: {parts}"
        why = missing(edge, parts, arch)
        return ("unrealized", why) if why else ("ok", "")


def _refused(exc: ArchcError, path: Path) -> tuple[str, str]:
    """The refusal, when every error is at the connection's line, or at one end's line
    naming both ends (a setting of one that rules out this connection: an internal ALB)."""
    errors = [d for d in exc.diagnostics if d.severity == "error"]
    lines = path.read_text().splitlines()
    ends = {i + 1 for i, text in enumerate(lines) if re.match(r"      (src|dst):", text)}
    both = re.compile(r"(?=.*\bsrc\b)(?=.*\bdst\b)")
    elsewhere = [d.format() for d in errors if d.line != CONNECTION_LINE and not (d.line in ends and both.match(d.message))]
    assert not elsewhere, f"refused, but not at the connection's line:\n{path.read_text()}\n" + "\n".join(elsewhere)
    return "refused", "\n".join(d.format() for d in errors)


ALL = cases()


def test_every_via_has_a_contract() -> None:
    assert {c.via for c in ALL} <= set(REQUIRED)


@cache
def outcomes() -> dict[Case, tuple[str, str]]:
    """Every case's outcome, built once (the pending test reads them all)."""
    return {c: outcome(c) for c in ALL}


@pytest.mark.parametrize("case", ALL, ids=[c.id for c in ALL])
def test_connection_is_realized_or_refused(case: Case) -> None:
    kind, why = outcomes()[case]
    assert kind != "unrealized" or (case.source, case.target) in PENDING, why


@pytest.mark.parametrize("pair", sorted(PENDING), ids=["->".join(p) for p in sorted(PENDING)])
def test_pending_pairs_are_still_unrealized(pair: tuple[str, str]) -> None:
    """A pending pair that now works (or is refused) everywhere leaves realization.PENDING."""
    kinds = {c.id: outcomes()[c][0] for c in ALL if (c.source, c.target) == pair}
    assert kinds, f"{pair} is not an allowed pair"
    assert "unrealized" in kinds.values(), f"{'->'.join(pair)} works now {kinds}: remove it from realization.PENDING"


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
    body = WEB_DB.replace("  - web -> db\n", "  - {from: web, to: db, path: /a}\n  - {from: web, to: db, path: /b}\n")
    stack = pipeline._checked_stack(_arch(tmp_path, body))
    assert [(p.element, p.address, p.detail) for p in stack.parts("web->db#2") if p.element != "discovery"] == [
        ("path", "aws_vpc_security_group_egress_rule.web_to_db", "shared with web->db"),
        ("path", "aws_vpc_security_group_ingress_rule.db_from_web", "shared with web->db"),
        ("permission", "aws_iam_role_policy.web_finds_db", "shared with web->db"),
    ]
