"""Mock outputs for ``archc plan`` of a model with ``stacks:`` (compiler/terraform/stacks.py).

A consumer stack reads its producers' outputs through ``terraform_remote_state``; before
anything is applied there is no state to read. Each scratch copy of a consumer gets an
override file that points each read at an empty state file and gives the
read ``defaults``: one mock value per output the consumer uses, typed from the
producer's output, i.e. from the attribute it exports (``${aws_db_instance.db.arn}``)
and that attribute's type in the provider schema: an ARN-shaped string for an ARN, a
list of one mocked object for a list of objects, a number for a number. A consumer
that reads an output its producer does not have still fails, as it would on apply.
The state each read points at is an empty one (``_EMPTY_STATE``), written into the copy.
The values are listed, so the plan's output says what was mocked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_EXPORT = re.compile(r"^\$\{((?:data\.)?)(aws_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)(\[(?:\d+|\*)\])?\.([A-Za-z_][A-Za-z0-9_]*)\}$")
_ACCOUNT = "123456789012"
OVERRIDE_FILE = "archc_plan_mocks_override.tf.json"
# A state with nothing in it: Terraform refuses to read no state at all ("Unable to find
# remote state"), and takes each output missing from a state from the read's defaults.
_EMPTY_STATE = {"version": 4, "terraform_version": "1.15.5", "serial": 1, "lineage": "archc-plan-mocks", "outputs": {}, "resources": []}


def _schema() -> Any:
    from compiler.terraform.provider_schema import load_aws_schema

    return load_aws_schema()


def mock_value(expression: str, region: str = "us-east-1") -> Any:
    """A value shaped as ``expression`` (``${type.name.attr}``) evaluates to."""
    found = _EXPORT.match(expression)
    if found is None:
        return f"mock:{expression}"
    data, rtype, name, index, attribute = found.groups()
    value = _mock(_schema().attribute_type(rtype, attribute, data=bool(data)), rtype, name, attribute, region)
    return [value] if index == "[*]" else value  # a splat: one value per instance


def _mock(ty: Any, rtype: str, name: str, attribute: str, region: str) -> Any:
    if ty == "number":
        return 1
    if ty == "bool":
        return False
    if isinstance(ty, list) and ty[0] in ("list", "set"):
        return [_mock(ty[1], rtype, name, attribute, region)]
    if isinstance(ty, list) and ty[0] == "map":
        return {}
    if isinstance(ty, list) and ty[0] == "object":
        return {k: _mock(v, rtype, name, k, region) for k, v in sorted(ty[1].items())}
    if attribute.endswith("arn"):
        service = rtype.removeprefix("aws_").split("_")[0]
        return f"arn:aws:{service}:{region}:{_ACCOUNT}:{rtype.removeprefix('aws_')}/{name}"
    return f"mock-{name}-{attribute}".replace("_", "-")


def write_mocks(stacks: dict[str, Path], copies: dict[str, Path]) -> dict[str, tuple[str, ...]]:
    """Write each consumer copy's override file; return, per stack, the outputs it mocks
    (``producer.output``)."""
    docs = {name: json.loads((path / "cdk.tf.json").read_text(encoding="utf-8")) for name, path in stacks.items()}
    mocked: dict[str, tuple[str, ...]] = {}
    for consumer, doc in docs.items():
        reads = doc.get("data", {}).get("terraform_remote_state", {})
        if not reads:
            continue
        others = {k: v for k, v in doc["data"].items() if k != "terraform_remote_state"}
        text = json.dumps({k: v for k, v in doc.items() if k != "data"} | {"data": others})  # where the reads are used
        region = str(doc.get("provider", {}).get("aws", [{}])[0].get("region", "us-east-1"))
        blocks: dict[str, Any] = {}
        names: list[str] = []
        for producer in sorted(reads):
            outputs = docs.get(producer, {}).get("output", {})
            used = sorted(set(re.findall(rf"data\.terraform_remote_state\.{re.escape(producer)}\.outputs\.([A-Za-z0-9_-]+)", text)))
            defaults = {o: mock_value(outputs[o]["value"], region) for o in used if o in outputs}
            state = f"archc-plan-mock-{producer}.tfstate"
            (copies[consumer] / state).write_text(json.dumps(_EMPTY_STATE) + "\n")
            blocks[producer] = {"backend": "local", "config": {"path": state}, "defaults": defaults}
            names += [f"{producer}.{o}" for o in defaults]
        (copies[consumer] / OVERRIDE_FILE).write_text(json.dumps({"data": {"terraform_remote_state": blocks}}, indent=2) + "\n")
        mocked[consumer] = tuple(names)
    return mocked
