"""Reproducible outputs: the same model gives the same bytes anywhere.

Every example is built twice by real `archc build` runs in two different directories
(different working directory and absolute paths, different HOME, USER, TZ and
locale, archc's caches off); every generated file must be byte-identical, and none may contain an
absolute path, the user's name, the temporary directory, or a timestamp.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cost.prices import table as price_table
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # every example built twice in subprocesses (make check-fast leaves it out)

MODELS = [*sorted((ROOT / "examples").glob("*.yaml")), ROOT / "architecture.yaml"]
RUN_ALL = "import sys\nfrom compiler.cli import main\nfor m in sys.argv[1:]:\n    assert main(['build', m, '--out', 'out/' + m]) == 0, m\n"
TIMESTAMP = re.compile(rb"\b(19|20)\d\d-[01]\d-[0-3]\d[T ][0-2]\d:[0-5]\d|\b1[6-9]\d{8}\b")  # ISO time, Unix seconds


def _build_all(place: Path, user: str, tz: str, lang: str) -> dict[str, bytes]:
    """Copy the examples under ``place`` and build them all there, as ``user``."""
    work = place / "project"
    (work / "examples").mkdir(parents=True)
    rels = []
    for model in MODELS:
        rel = model.relative_to(ROOT).as_posix()
        shutil.copy(model, work / rel)
        rels.append(rel)
        if model.with_suffix("").is_dir():  # files the model names (a function's code), as fresh copies
            shutil.copytree(model.with_suffix(""), work / model.with_suffix("").relative_to(ROOT), copy_function=shutil.copy)
    env = {**os.environ, "HOME": str(place / "home"), "USER": user, "LOGNAME": user, "TZ": tz, "LANG": lang, "LC_ALL": lang}
    env["ARCHC_NO_CACHE"] = "1"  # every file made afresh by both builds, none read from archc's caches
    proc = subprocess.run([sys.executable, "-c", RUN_ALL, *rels], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = work / "out"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes], list[Path]]:
    first = tmp_path_factory.mktemp("alpha")
    second = tmp_path_factory.mktemp("second-place") / "deeper" / "still"
    a = _build_all(first, "alice", "UTC", "C.UTF-8")
    b = _build_all(second, "bartholomew", "Pacific/Kiritimati", "C")
    return a, b, [first, second]


def test_same_bytes_in_two_directories(two_builds: tuple[dict[str, bytes], dict[str, bytes], list[Path]]) -> None:
    a, b, _ = two_builds
    assert sorted(a) == sorted(b)
    assert len(a) >= 3 * len(MODELS)
    differing = [rel for rel in a if a[rel] != b[rel]]
    assert differing == []


def _without(content: bytes, parts: set[bytes]) -> bytes:
    for part in parts:
        content = content.replace(part, b"|")
    return content


def test_nothing_machine_specific(two_builds: tuple[dict[str, bytes], dict[str, bytes], list[Path]]) -> None:
    a, _, places = two_builds
    needles = [str(p).encode() for p in places] + [str(ROOT).encode(), str(Path.home()).encode()]
    needles += [b"/tmp/", b"/home/", b"/root/", b"/work/", b"site-packages", b"alice", b"bartholomew"]
    needles += [datetime.date.today().isoformat().encode(), os.environ.get("USER", "root").encode() + b"/"]
    # The cost page cites the day each price row was written (compiler/cost/prices.csv): data, not the clock.
    cited = {f"| {row.as_of} |".encode() for row in price_table().values()}
    a = {rel: _without(content, cited) if rel.endswith("/docs/cost.md") else content for rel, content in a.items()}
    found = [(rel, needle) for rel, content in a.items() for needle in needles if needle in content]
    assert found == []
    stamped = [(rel, m.group().decode()) for rel, content in a.items() for m in [TIMESTAMP.search(content)] if m]
    assert stamped == []


def test_absolute_model_path_leaves_no_trace(tmp_path: Path) -> None:
    """A model given by absolute path, from elsewhere, is named relative to the output directory."""
    (tmp_path / "models").mkdir()
    (tmp_path / "cwd").mkdir()
    model = tmp_path / "models" / "udagram.yaml"
    shutil.copy(ROOT / "examples" / "udagram.yaml", model)
    proc = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "build", str(model), "--out", "out"], cwd=tmp_path / "cwd", capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    for path in (tmp_path / "cwd" / "out").rglob("*"):
        if path.is_file():
            assert str(tmp_path).encode() not in path.read_bytes(), path
    assert b'"app": "archc build ../../models/udagram.yaml --out ."' in (tmp_path / "cwd" / "out" / "cdktf.json").read_bytes()


def _archc(args: list[str], cwd: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "compiler.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_same_bytes_from_two_working_directories_and_the_app_runs_where_cdktf_json_is(tmp_path: Path) -> None:
    """The outputs name the model relative to the output directory, not to where archc
    ran; cdktf.json's `app`, run from the directory holding it, rebuilds it as it was."""
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "udagram.yaml", tmp_path / "examples" / "udagram.yaml")
    _archc(["build", "examples/udagram.yaml", "--out", "out/udagram"], tmp_path)
    first = _tree(tmp_path / "out" / "udagram")
    _archc(["build", "udagram.yaml", "--out", "../out/udagram"], tmp_path / "examples")
    assert _tree(tmp_path / "out" / "udagram") == first
    assert b"from the model `../../examples/udagram.yaml`" in first["docs/index.md"]
    app = json.loads(first["cdktf.json"])["app"].split()
    assert app[:2] == ["archc", "build"]
    _archc(app[1:], tmp_path / "out" / "udagram")
    assert _tree(tmp_path / "out" / "udagram") == first
