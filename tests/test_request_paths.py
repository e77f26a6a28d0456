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
from tests.conftest import ROOT

MODELS = [ROOT / "architecture.yaml", *sorted((ROOT / "examples").glob("*.yaml"))]


def _committed_addresses(name: str) -> set[str]:
    stack = json.loads((ROOT / "generated" / name / "terraform" / "stacks" / name / "cdk.tf.json").read_text())
    found = {f"{rtype}.{rname}" for rtype, bodies in stack.get("resource", {}).items() for rname in bodies}
    found |= {f"data.{rtype}.{rname}" for rtype, bodies in stack.get("data", {}).items() for rname in bodies}
    return found


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_every_hop_of_the_request_path_is_emitted(model: Path) -> None:
    stack = pipeline.check(model)
    arch = stack.arch
    committed = _committed_addresses(arch.name)
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


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_the_path_keeps_every_numbered_step_of_the_model(model: Path) -> None:
    """The seeds' steps are the models' `step:` numbers: none is dropped from the path walked above."""
    arch = pipeline.load(model)
    numbered = sorted((e.step, e.id) for e in arch.edges if e.step is not None)
    walked = sorted((s.number, s.edge.id) for s in request_path(arch))
    assert set(numbered) <= set(walked)
