"""The architect's daily workflow (issue 23): `archc init`, the shipped schema and the
modelines, `archc ci`, and the pre-commit hooks, run as users run them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from compiler.model import SCHEMA_PATH, json_schema
from compiler.starter import MODELINE, SCHEMA_FILE
from modules import catalog
from tests.conftest import ROOT

UNKNOWN_KIND = "architecture.yaml:25:15: error[unknown-kind]: unknown service kind 'lamda'; did you mean 'lambda'?"


def _archc(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


# -- archc init -------------------------------------------------------------------------


def test_init_writes_a_model_that_builds(tmp_path: Path) -> None:
    done = _archc(tmp_path, "init", "My Shop")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "My Shop/: wrote architecture.yaml, archc.schema.json, README.md (architecture 'my-shop')\n"
        "next: archc validate 'My Shop/architecture.yaml' && archc build 'My Shop/architecture.yaml'\n"
    )
    model = (tmp_path / "My Shop" / "architecture.yaml").read_text()
    assert model.startswith(f"{MODELINE}{SCHEMA_FILE}\nname: my-shop\n")
    assert json.loads((tmp_path / "My Shop" / SCHEMA_FILE).read_text()) == json_schema()
    built = _archc(tmp_path / "My Shop", "build", "architecture.yaml")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "My Shop" / "generated" / "my-shop" / "terraform" / "stacks" / "my-shop" / "cdk.tf.json").is_file()


def test_init_from_an_example_renames_it_and_keeps_its_comments(tmp_path: Path) -> None:
    done = _archc(tmp_path, "init", "ud", "--from", "udagram", "--name", "photos")
    assert done.returncode == 0, done.stderr
    model = (tmp_path / "ud" / "architecture.yaml").read_text()
    source = (ROOT / "examples" / "udagram.yaml").read_text()
    assert model.count(MODELINE) == 1 and model.startswith(f"{MODELINE}{SCHEMA_FILE}\n# Seed 001")
    assert "\nname: photos\n" in model and "\nname: udagram\n" not in model
    assert model.split("\nname: photos\n")[1] == source.split("\nname: udagram\n")[1]
    assert _archc(tmp_path / "ud", "validate", "architecture.yaml").returncode == 0


def test_init_from_an_example_brings_its_functions_code(tmp_path: Path) -> None:
    """serverless-orders names code folders relative to itself: init copies them at the same paths."""
    done = _archc(tmp_path, "init", "so", "--from", "serverless-orders")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "so" / "serverless-orders" / "orders" / "index.py").read_bytes() == (
        ROOT / "examples" / "serverless-orders" / "orders" / "index.py"
    ).read_bytes()
    assert _archc(tmp_path / "so", "validate", "architecture.yaml").returncode == 0


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "README.md").write_text("mine\n")
    done = _archc(tmp_path, "init", "m")
    assert done.returncode == 2
    assert done.stderr == "archc: error: m/ already has README.md; archc init writes nothing over existing files\n"
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["README.md"]
    assert (tmp_path / "m" / "README.md").read_text() == "mine\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("init", "x", "--from", "nope"),
            "no example named 'nope' (examples: intrusion-detection, road-warrior, serverless-orders, springfield-carshare, "
            "travel-booking, udagram)",
        ),
        (
            ("init", "x", "--name", "Bad_Name"),
            "'Bad_Name' is not a valid architecture name: lowercase letters, digits and single hyphens, at most 40 (use --name)",
        ),
    ],
)
def test_init_mistakes(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = _archc(tmp_path, *args)
    assert (done.returncode, done.stderr) == (2, f"archc: error: {message}\n")
    assert not (tmp_path / "x").exists()


# -- the schema editors read ------------------------------------------------------------------


def test_every_model_names_the_shipped_schema() -> None:
    for model in [ROOT / "architecture.yaml", *sorted((ROOT / "examples").glob("*.yaml"))]:
        first = model.read_text().splitlines()[0]
        assert first.startswith(MODELINE), f"{model.name} has no yaml-language-server modeline"
        schema = (model.parent / first.removeprefix(MODELINE)).resolve()
        assert schema == ROOT / SCHEMA_PATH, model.name


def test_schema_tells_each_kind_on_hover() -> None:
    defs = json_schema()["$defs"]
    for kind, cls in catalog().items():
        assert defs[cls.__name__]["properties"]["kind"] == {
            "const": kind,
            "description": f"{cls.info.title}: {cls.info.summary}",
            "title": "Kind",
            "type": "string",
        }


def test_schema_out_writes_the_shipped_copy(tmp_path: Path) -> None:
    done = _archc(tmp_path, "schema", "--out", "s.json")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "s.json").read_bytes() == (ROOT / SCHEMA_PATH).read_bytes()


# -- archc ci ------------------------------------------------------------------------------------


def _committed_model(tmp_path: Path) -> Path:
    assert _archc(tmp_path, "init", "repo").returncode == 0
    repo = tmp_path / "repo"
    assert _archc(repo, "build", "architecture.yaml").returncode == 0
    return repo


def test_ci_passes_on_fresh_outputs_then_names_what_is_stale(tmp_path: Path) -> None:
    repo = _committed_model(tmp_path)
    done = _archc(repo, "ci", "architecture.yaml", "--summary", "summary.md")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("## archc: 1 of 1 model passed\n\n### ✅ `architecture.yaml`\n\n4 services, 3 connections, ")
    assert "Committed outputs in `generated/repo/` match the model.\n" in done.stdout
    assert "\nMonthly cost (estimate, list prices): USD " in done.stdout
    assert "**Plan** passed:" in done.stdout and "repo: plan ok: " in done.stdout
    assert "**Check**: architecture.yaml: checkov: " in done.stdout
    assert (repo / "summary.md").read_text() == done.stdout

    model = repo / "architecture.yaml"
    model.write_text(model.read_text().replace("title: Items table", "title: Orders table"))
    (repo / "generated" / "repo" / "docs" / "stray.md").write_text("hand-written\n")
    done = _archc(repo, "ci", "architecture.yaml", "--no-plan", "--no-check")
    assert done.returncode == 1
    stale = done.stdout.split("**Committed outputs", 1)[1]
    assert stale.startswith(" in `generated/repo/` are stale**: rebuild with `archc build architecture.yaml` and commit.\n\n- ")
    assert " changed: `archc-manifest.json`, " in stale
    assert "- 1 no longer built: `docs/stray.md`\n" in stale
    assert done.stderr.startswith("architecture.yaml: generated/repo/ is stale (")
    assert "**Plan**" not in done.stdout and "**Check**" not in done.stdout


def test_ci_reports_model_errors_in_the_summary(tmp_path: Path) -> None:
    repo = _committed_model(tmp_path)
    model = repo / "architecture.yaml"
    model.write_text(model.read_text().replace("kind: lambda", "kind: lamda"))
    done = _archc(repo, "ci", "architecture.yaml")
    assert done.returncode == 1
    assert "### ❌ `architecture.yaml`\n\nThe model has errors:\n\n```\narchitecture.yaml:" in done.stdout
    assert done.stderr == f"{UNKNOWN_KIND}\n"


# -- pre-commit ----------------------------------------------------------------------------


def _hooks_as_local(bin_dir: Path) -> str:
    """The repository's .pre-commit-hooks.yaml as a local config, run against this
    checkout's archc (installing archc into pre-commit's own environment is what a user's
    `repo:` entry does; the hooks' ids, entries and file filters are the same)."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    local = [{**hook, "language": "system", "entry": f"{bin_dir / 'archc'} {hook['entry'].removeprefix('archc ')}"} for hook in hooks]
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}, sort_keys=False)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_hooks_guard_the_model_and_its_outputs(tmp_path: Path) -> None:
    repo = _committed_model(tmp_path)
    bin_dir = Path(sys.executable).parent
    (repo / ".pre-commit-config.yaml").write_text(_hooks_as_local(bin_dir))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PRE_COMMIT_HOME": str(tmp_path / "pc-home"), "GIT_CONFIG_GLOBAL": os.devnull}

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True, capture_output=True, env=env)

    def pre_commit() -> subprocess.CompletedProcess[str]:
        cmd = [str(bin_dir / "pre-commit"), "run", "--all-files", "--color", "never"]
        return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env=env, timeout=600)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "model and outputs")
    done = pre_commit()
    assert done.returncode == 0, done.stdout
    assert "archc validate" in done.stdout and "archc verify (committed outputs match the model)" in done.stdout

    model = repo / "architecture.yaml"
    model.write_text(model.read_text().replace("title: Items table", "title: Orders table"))
    done = pre_commit()
    assert done.returncode == 1
    assert "architecture.yaml: generated/repo/ is stale (" in done.stdout

    model.write_text(model.read_text().replace("kind: lambda", "kind: lamda"))
    done = pre_commit()
    assert done.returncode == 1
    assert UNKNOWN_KIND in done.stdout


def test_ci_recipes_run_the_tested_command() -> None:
    github = yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text())
    steps = [s.get("run", "") for s in github["jobs"]["archc"]["steps"]]
    assert 'archc ci architecture.yaml --summary "$GITHUB_STEP_SUMMARY"' in steps
    gitlab = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text())
    assert gitlab["archc"]["script"] == ["archc ci architecture.yaml --summary archc-summary.md"]
