"""Property-based tests (hypothesis): what archc accepts it builds, and nothing crashes it.

- Every random model that archc validates also builds (and a few also plan clean under
  Terraform core): validation is never more lenient than the backends.
- Every random mutation of a valid model (keys deleted or renamed, values of the wrong
  type or swapped, bytes truncated or inserted) exits 0 or 1 with located errors only:
  never exit 3, never a traceback; and `archc validate` gives the same verdict and the
  same errors as `archc build` (validate == build).

Reproducible in CI: derandomized, no example database, no deadline, bounded examples
(about 40 s in all on the 2-core machine).
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.cli import main
from tests.conftest import ROOT
from tests.modelgen import dump, valid_models

pytestmark = pytest.mark.slow  # hypothesis: hundreds of random models (make check-fast leaves it out)

settings.register_profile(
    "archc",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile("archc")
LOCATED = re.compile(r"^[^\n:]+:\d+:\d+: (?:error|warning)\[[a-z-]+\]: \S.*$")
EXAMPLES = [p.read_bytes() for p in [*sorted((ROOT / "examples").glob("*.yaml")), ROOT / "architecture.yaml"]]


def run(*args: str) -> tuple[int, str, str]:
    """Run the real CLI in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@settings(PROFILE, max_examples=60)
@given(valid_models())
def test_valid_models_build(model: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.yaml"
        path.write_text(dump(model))
        code, out, err = run("build", str(path), "--out", str(Path(tmp) / "out"))
        assert code == 0, dump(model)
        assert all(" warning[" in line for line in err.splitlines()), err  # an empty layer is said, not refused
        assert "built" in out
        assert (Path(tmp) / "out" / "terraform" / "stacks" / "random" / "cdk.tf.json").is_file()


@settings(PROFILE, max_examples=3)
@given(valid_models())
def test_valid_models_plan(model: dict[str, Any]) -> None:
    """Terraform core (offline) accepts what archc builds; seconds per run, so only a few."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.yaml"
        path.write_text(dump(model))
        code, out, err = run("plan", str(path), "--out", str(Path(tmp) / "out"))
        assert code == 0, f"{err}\n{dump(model)}"
        assert "plan ok:" in out


# -- mutations -------------------------------------------------------------------------


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += _paths(v, (*prefix, i))
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


ODD_VALUES = st.sampled_from([None, 0, -1, 10**12, 3.5, True, "", "x" * 300, "../etc", "café", [], {}, [1, 2], {"a": 1}, "10.0.0.0/8"])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid model's text with one to three random edits."""
    text = draw(st.one_of(st.sampled_from(EXAMPLES), valid_models().map(lambda m: dump(m).encode())))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        text = _mutate_once(draw, text)
    return text


def _mutate_once(draw: st.DrawFn, text: bytes) -> bytes:
    op = draw(st.sampled_from(["delete", "rename", "retype", "swap", "truncate", "insert"]))
    if op == "truncate":
        return text[: draw(st.integers(min_value=0, max_value=len(text)))]
    if op == "insert":
        at = draw(st.integers(min_value=0, max_value=len(text)))
        return (
            text[:at]
            + draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b"\t", b": ", b"- ", b"[", b"&a ", b"*a", b"\n  "]))
            + text[at:]
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    paths = _paths(data)
    if not paths:
        return text
    path = draw(st.sampled_from(paths))
    parent, key = _parent(data, path), path[-1]
    if op == "delete":
        del parent[key]
    elif op == "rename" and isinstance(parent, dict):
        parent[draw(st.sampled_from([f"{key}x", str(key)[:-1], str(key).upper(), "kind", "name", "from"]))] = parent.pop(key)
    elif op == "retype":
        parent[key] = draw(ODD_VALUES)
    elif op == "swap":
        other = draw(st.sampled_from(paths))
        if other[: len(path)] != path and path[: len(other)] != other:  # neither contains the other
            other_parent = _parent(data, other)
            parent[key], other_parent[other[-1]] = other_parent[other[-1]], parent[key]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


@settings(PROFILE, max_examples=250)
@given(mutated())
def test_mutations_never_crash(text: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.yaml"
        path.write_bytes(text)
        validated = run("validate", str(path))
        code, _, err = run("build", str(path), "--out", str(Path(tmp) / "out"))
        assert "Traceback" not in err
        assert code in (0, 1), err
        assert (validated[0], validated[2]) == (code, err), "validate and build disagree"
        if code == 1:
            lines = err.splitlines()
            assert lines, "exit 1 without an error"
            bad = [line for line in lines if not LOCATED.match(line)]
            assert not bad, f"unlocated error lines: {bad}"
            assert not (Path(tmp) / "out").exists(), "a failed build wrote outputs"
