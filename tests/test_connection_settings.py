"""A connection's port, protocol and path, for every pair of kinds the catalog wires:
accepted only where the wiring honours them (the target's own port and protocol on a
connection that reaches a port; a path where the source routes by it), refused otherwise.
The corpus (tests/bad/port-*, path-*, protocol-*, udp-*) holds the exact texts at their lines."""

from __future__ import annotations

import pytest

from compiler.connection_settings import setting_problems
from compiler.model import ConnectionSpec
from compiler.resolve import wiring
from modules import CATALOG
from modules.base import REACHES_PORT, ROUTED_BY_PATH, Service, is_file_system
from tests.modelgen import REQUIRED


def _instance(kind: str) -> Service:
    extra = {"protects": ["cdn"]} if kind == "waf" else REQUIRED.get(kind, {})
    return CATALOG[kind].model_validate({"kind": kind, **extra})


def _wired() -> list[tuple[str, str]]:
    plain = ConnectionSpec.model_validate({"from": "a", "to": "b"})
    return [(a, b) for a in sorted(CATALOG) for b in sorted(CATALOG) if wiring(_instance(a), _instance(b), plain).via is not None]


PAIRS = _wired()


def _problems(source: str, target: str, **settings: object) -> list[tuple[str, str]]:
    conn = ConnectionSpec.model_validate({"from": "a", "to": "b", **settings})
    src, dst = _instance(source), _instance(target)
    via = wiring(src, dst, conn).via
    assert via is not None
    return setting_problems(conn, via, dst)


def test_the_catalog_wires_many_pairs() -> None:
    assert len(PAIRS) > 100


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_port_protocol_and_path_against_the_wiring(source: str, target: str) -> None:
    dst = _instance(target)
    via = wiring(_instance(source), dst, ConnectionSpec.model_validate({"from": "a", "to": "b"})).via
    assert via is not None
    own = dst.inbound_port() if via in REACHES_PORT else None
    if own is None:
        assert [f for f, _ in _problems(source, target, port=443)] == ["port"]
        assert [f for f, _ in _problems(source, target, protocol="tcp")] == ["protocol"]
    else:
        assert _problems(source, target, port=own, protocol="tcp") == []
        [(field, message)] = _problems(source, target, port=own + 1)
        assert field == "port" and f"listens on port {own}" in message
        [(field, message)] = _problems(source, target, protocol="udp")
        assert field == "protocol" and f"listens on TCP {own}, not UDP" in message
    path_problems = _problems(source, target, path="/x/*")
    takes_path = via in ROUTED_BY_PATH or (via in REACHES_PORT and is_file_system(dst))  # routed, or where it is mounted
    assert path_problems == ([] if takes_path else [("path", path_problems[0][1])])
    if path_problems:
        assert "'path' applies to connections from alb, api-gateway, cloudfront or s3" in path_problems[0][1]


def test_a_kind_whose_port_is_a_setting_says_so() -> None:
    [(_, message)] = _problems("ec2", "ecs-service", port=9000)
    assert message == "'b' (ecs-service) listens on port 8080 (its 'port' setting); drop 'port' here, or set b's own 'port: 9000'"
