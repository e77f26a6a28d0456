"""Each example's request path works hop by hop in the committed Terraform (issue 15):
the seeds' numbered steps (udagram 1-4, travel-booking 1-12, intrusion-detection's path
rules...) are followed connection by connection, and for each hop every element the
realization contract needs (network path, permission, discovery, trigger) is emitted,
by resources that are in the committed `cdk.tf.json` the user applies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.flow import request_path
from compiler.terraform.realization import outside_aws, required
from tests.conftest import ROOT, model_cases


def _committed_addresses(model: Path, env: str | None) -> set[str]:
    """Every address in the committed stacks of a build (each stack of stacks:, one environment's)."""
    out = ROOT / "generated" / pipeline.environment_names(model)[0] / (env or "")
    found = set()
    for path in sorted((out / "terraform" / "stacks").glob("*/cdk.tf.json")):
        stack = json.loads(path.read_text())
        found |= {f"{rtype}.{rname}" for rtype, bodies in stack.get("resource", {}).items() for rname in bodies}
        found |= {f"data.{rtype}.{rname}" for rtype, bodies in stack.get("data", {}).items() for rname in bodies}
    assert found, out
    return found


@pytest.mark.parametrize(("model", "env"), model_cases())
def test_every_hop_of_the_request_path_is_emitted(model: Path, env: str | None) -> None:
    stack = pipeline.check(model, None, env)
    arch = stack.arch
    committed = _committed_addresses(model, env)
    steps = request_path(arch)
    assert steps, "a model without a request path"
    for step in steps:
        edge = step.edge
        hop = f"step {step.number}: {edge.source} -> {edge.target} ({edge.via})"
        if outside_aws(edge, arch):  # people reach the first AWS service: it exists in the stack
            inside = edge.target if not arch.services[edge.target].spec.info.outside_aws else edge.source
            assert any(r.owner == inside and r.address in committed for r in stack.resources.values()), hop
            continue
        parts = stack.parts(edge.id)
        assert required(edge, arch) <= {p.element for p in parts}, f"{hop}: has {sorted({p.element for p in parts})}"
        missing = sorted(p.address for p in parts if p.address not in committed)
        assert missing == [], f"{hop}: its parts are not in the committed Terraform: {missing}"


@pytest.mark.parametrize(("model", "env"), model_cases())
def test_the_path_keeps_every_numbered_step_of_the_model(model: Path, env: str | None) -> None:
    """The seeds' steps are the models' `step:` numbers: none is dropped from the path walked above."""
    arch = pipeline.load(model, None, env)
    numbered = sorted((e.step, e.id) for e in arch.edges if e.step is not None)
    walked = sorted((s.number, s.edge.id) for s in request_path(arch))
    assert set(numbered) <= set(walked)
