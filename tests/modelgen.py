"""Hypothesis strategies for random archc models, drawn from the service catalog.

``valid_models()`` draws layers of services of random kinds with random settings
(every Literal, bool and bounded int a kind declares), plus connections between random
pairs, then *repairs* the draw with the compiler's own verdict: a connection the
validator refuses is dropped, a service whose settings clash is reset to its defaults,
and a service still refused is dropped. What is left is a model archc accepts; the
properties then check that everything archc accepts also builds (and plans).

``mutations()`` draws edits of a valid model's text: keys deleted or renamed, values of
the wrong type, values swapped, bytes truncated or inserted.
"""

from __future__ import annotations

import re
import tempfile
import typing
from pathlib import Path
from typing import Any

import annotated_types
import yaml
from hypothesis import strategies as st

from compiler import pipeline
from compiler.errors import ArchcError
from compiler.model import ConnectionSpec
from compiler.resolve import wiring
from modules import CATALOG
from modules.base import Service

# Settings a kind requires, with values that name the helper services every model has.
HELPERS: dict[str, dict[str, Any]] = {"store": {"kind": "s3"}, "cluster": {"kind": "ecs-cluster"}}
REQUIRED: dict[str, dict[str, Any]] = {
    "athena": {"results": "store"},
    "firehose": {"destination": "store"},
    "ecs-service": {"cluster": "cluster"},
    "dynamodb": {"hash_key": "id"},
    "route53": {"domain": "archc-demo.io"},
    "amplify": {"repository": "https://github.com/acme/web"},
    "cloudwatch": {"alarm_emails": ["ops@archc-demo.net"]},  # alarms need a subscriber
    "schedule": {"expression": "rate(1 hour)"},
    "event-rule": {"pattern": {"source": ["orders"]}},
}
# A waf protects a service; it is drawn together with the CloudFront it protects.
KINDS = sorted(k for k in CATALOG if k != "waf")
REGIONS = ("eu-west-3", "us-east-1", "eu-west-1", "ap-northeast-1")


def _field_strategy(field: Any) -> st.SearchStrategy[Any] | None:
    """Random valid values for one setting, or None for free text and references."""
    annotation = field.annotation
    if typing.get_origin(annotation) is typing.Literal:
        return st.sampled_from(typing.get_args(annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        low = next((m.ge for m in field.metadata if isinstance(m, annotated_types.Ge)), 0)
        high = next((m.le for m in field.metadata if isinstance(m, annotated_types.Le)), low + 100)
        return st.integers(min_value=int(low), max_value=int(high))
    return None


def settings(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """Random settings of a kind: any subset of its enum, bool and bounded int fields."""
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in CATALOG[kind].model_fields.items():
        if name in ("kind", "title", "description") or field.is_required():
            continue
        strategy = _field_strategy(field)
        if strategy is not None:
            optional[field.alias or name] = strategy
    return st.fixed_dictionaries({"kind": st.just(kind), **{k: st.just(v) for k, v in REQUIRED.get(kind, {}).items()}}, optional=optional)


@st.composite
def raw_models(draw: st.DrawFn) -> dict[str, Any]:
    """A random model before repair (may break kind rules or connection rules)."""
    count = draw(st.integers(min_value=1, max_value=7))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=count, max_size=count))
    services: dict[str, dict[str, Any]] = {f"{kind}-{i}": draw(settings(kind)) for i, kind in enumerate(kinds)}
    if draw(st.booleans()):
        services["cdn"] = {"kind": "cloudfront"}
        services["shield"] = {"kind": "waf", "protects": ["cdn"]}
    names = sorted(services)
    layer_count = draw(st.integers(min_value=1, max_value=3))
    layers: list[dict[str, Any]] = [{"name": "support", "services": dict(HELPERS)}]
    for li in range(layer_count):
        layers.append({"name": f"layer-{li}", "services": {n: services[n] for n in names[li::layer_count]}})
    everyone = {**HELPERS, **services}
    wired = [(a, b) for a in sorted(everyone) for b in sorted(everyone) if a != b and _wires(everyone[a]["kind"], everyone[b]["kind"])]
    pairs = draw(st.lists(st.sampled_from(wired), max_size=10)) if wired else []
    return {
        "name": "random",
        "region": draw(st.sampled_from(REGIONS)),
        "network": {"azs": draw(st.integers(min_value=1, max_value=3)), "nat": draw(st.sampled_from(["none", "single", "per-az"]))},
        "layers": layers,
        "connections": [{"from": a, "to": b} for a, b in dict.fromkeys(pairs) if a != b],
    }


def _instance(kind: str) -> Service:
    extra = {"protects": ["cdn"]} if kind == "waf" else REQUIRED.get(kind, {})
    return CATALOG[kind].model_validate({"kind": kind, **extra})


def _wires(source: str, target: str) -> bool:
    """Does the catalog give a meaning to a connection between these kinds?"""
    conn = ConnectionSpec.model_validate({"from": "a", "to": "b"})
    return wiring(_instance(source), _instance(target), conn).via is not None


def valid_models() -> st.SearchStrategy[dict[str, Any]]:
    """Random models that archc accepts (see the module docstring)."""
    return raw_models().map(repair)


def problems(model: dict[str, Any]) -> list[str]:
    """The located error lines archc reports for a model ([] when it is valid)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.yaml"
        path.write_text(dump(model))
        try:
            pipeline.check(path, "model.yaml")  # what `archc validate` refuses: the emitted connections' contract too
        except ArchcError as exc:
            return [d.format() for d in exc.diagnostics if d.severity == "error"]
    return []


def repair(model: dict[str, Any]) -> dict[str, Any]:
    """Drop what archc refuses, one culprit at a time, until it accepts the model."""
    for _ in range(40):
        found = problems(model)
        if not found:
            return model
        line = int(found[0].split(":")[1])
        if not _drop_at(model, line):
            raise AssertionError(f"cannot repair the generated model: {found}\n{dump(model)}")
    raise AssertionError("repair did not converge")


def _drop_at(model: dict[str, Any], line: int) -> bool:
    """Remove the connection or service written at ``line`` of ``dump(model)``."""
    text = dump(model).splitlines()[line - 1]
    for i, conn in enumerate(model["connections"]):
        if text.strip() == f"- {{from: {conn['from']}, to: {conn['to']}}}":
            del model["connections"][i]
            return True
    name = re.match(r"\s*([a-z0-9-]+):", text)
    for layer in model["layers"][1:]:
        services = layer["services"]
        sid = name.group(1) if name and name.group(1) in services else _service_around(model, line)
        if sid in services:
            if set(services[sid]) - {"kind", *REQUIRED.get(services[sid]["kind"], {})}:
                services[sid] = {"kind": services[sid]["kind"], **REQUIRED.get(services[sid]["kind"], {})}  # reset its settings
            else:
                _remove_service(model, sid)
            return True
    if line <= 6:  # a network-wide problem (too many zones for the region...): fewer zones
        model["network"]["azs"] = 2 if model["network"]["azs"] != 2 else 1
        return True
    return False


def _service_around(model: dict[str, Any], line: int) -> str | None:
    lines = dump(model).splitlines()
    for text in reversed(lines[:line]):
        found = re.match(r"      ([a-z0-9-]+):", text)
        if found:
            return found.group(1)
    return None


def _remove_service(model: dict[str, Any], sid: str) -> None:
    for layer in model["layers"]:
        layer["services"].pop(sid, None)
    model["connections"] = [c for c in model["connections"] if sid not in (c["from"], c["to"])]
    for layer in model["layers"]:
        for other in list(layer["services"]):
            if sid in layer["services"][other].get("protects", []):
                _remove_service(model, other)


def dump(model: dict[str, Any]) -> str:
    """The model as an architect would write it: block style, services in flow style."""
    lines = [f"name: {model['name']}", f"region: {model['region']}", "network:"]
    lines += [f"  {k}: {v}" for k, v in model["network"].items()]
    lines.append("layers:")
    for layer in model["layers"]:
        lines += [f"  - name: {layer['name']}", "    services:"]
        if not layer["services"]:
            lines[-1] += " {}"
        for sid, body in layer["services"].items():
            lines.append(f"      {sid}: {yaml.safe_dump(body, default_flow_style=True, width=10_000).strip()}")
    lines.append("connections:" + ("" if model["connections"] else " []"))
    lines += [f"  - {{from: {c['from']}, to: {c['to']}}}" for c in model["connections"]]
    return "\n".join(lines) + "\n"
