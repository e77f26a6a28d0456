"""The cdktn stage: Terraform names, attribute keys as written, and the node runtime."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.terraform import runtime
from tests.conftest import ROOT
from tests.kinds_helpers import build


def test_names_shared_across_types_and_reserved_construct_ids_keep_their_terraform_names(tmp_path: Path) -> None:
    # `backend` and `aws` are construct ids cdktn's backend and provider already use;
    # the bucket and its policy share the service's name.
    stack = build(tmp_path, {"backend": "kind: ec2", "aws": "kind: s3"})
    assert "backend" in stack["resource"]["aws_instance"]
    assert "backend" in stack["resource"]["aws_security_group"]
    assert "aws" in stack["resource"]["aws_s3_bucket"]
    assert "aws" in stack["resource"]["aws_s3_bucket_public_access_block"]
    assert set(stack["provider"]["aws"][0]) == {"region", "default_tags"}
    assert stack["terraform"]["backend"] == {"local": {"path": "terraform.tfstate"}}


def test_attribute_keys_reach_terraform_as_written(tmp_path: Path) -> None:
    stack = build(tmp_path, {"queue": "kind: sqs"})
    assert stack["resource"]["aws_sqs_queue"]["queue"]["tags"] == {"Name": "t-queue"}
    assert stack["provider"]["aws"][0]["default_tags"] == [{"tags": {"archc:architecture": "t"}}]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_plan_leaves_nothing_in_home_or_tmp(tmp_path: Path) -> None:
    """jsii caches cdktn under ~/.cache by default, Terraform writes ~/.terraform.d: archc
    keeps both out of the user's home and cleans its temporary directories."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(home / ".cache")}
    env["TF_CLI_CONFIG_FILE"] = str(tmp_path / "missing.tfrc")  # as preset on our machines
    env["PYTHONPATH"] = str(ROOT)
    done = _run(["plan", str(ROOT / "examples" / "udagram.yaml"), "--out", str(tmp_path / "out")], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in home.rglob("*")) == [] and sorted(p.name for p in tmp.rglob("*")) == []


def test_jsii_cache_lives_with_the_installation_unless_the_user_chose_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JSII_RUNTIME_PACKAGE_CACHE", raising=False)
    monkeypatch.delenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT", raising=False)
    assert runtime.environment()["JSII_RUNTIME_PACKAGE_CACHE_ROOT"] == str(Path(sys.prefix) / "var" / "cache" / "archc-jsii")
    monkeypatch.setenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT", "/elsewhere")
    assert "JSII_RUNTIME_PACKAGE_CACHE_ROOT" not in runtime.environment()  # the user's choice is left alone


def test_missing_node_says_how_to_install_it(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text("name: t\nregion: eu-west-3\nlayers:\n  - name: app\n    services:\n      queue: {kind: sqs}\n")
    env = {**os.environ, "PATH": str(tmp_path / "empty"), "PYTHONPATH": str(ROOT)}
    done = _run(["build", str(model), "--out", str(tmp_path / "out")], env, tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"archc: error: {runtime.NODE_HINT}\n")
    assert not (tmp_path / "out").exists()


def test_the_command_line_builds_several_models_in_one_process(tmp_path: Path) -> None:
    # build, plan and check stop node as soon as their one synthesis is done; `archc docs`
    # builds every model it is given, so node must stay up for all of them.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    models = [str(ROOT / "examples" / m) for m in ("udagram.yaml", "road-warrior.yaml")]
    done = _run(["docs", *models, "--out", str(tmp_path / "site")], env, tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("docs site for 2 architectures in ")


def test_a_one_shot_build_stops_node_after_synthesis(tmp_path: Path) -> None:
    # In a process of its own, as `archc build`: node is stopped by runtime.done(), not
    # at exit (wait() would time out), and jsii's exit hook may still run after it.
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from compiler import pipeline\n"
        "from compiler.terraform import runtime\n"
        "from jsii._runtime import kernel\n"
        "runtime.one_shot()\n"
        "pipeline.build_terraform(Path(sys.argv[1]))\n"
        "print(kernel.provider._process._process.wait(timeout=30))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "examples" / "udagram.yaml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "0\n", "")


def _kernels() -> set[int]:
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and any(p in (proc / "cmdline").read_bytes() for p in (b"/lib/program.js", b"/bin/jsii-runtime.js")):
                found.add(int(proc.name))
        except OSError:
            continue  # ended while we looked
    return found


@pytest.mark.parametrize(("model", "code"), [("examples/udagram.yaml", 0), ("tests/bad/wrong-type.yaml", 1)])
def test_the_command_ends_at_once_and_leaves_no_node_behind(tmp_path: Path, model: str, code: int) -> None:
    """`archc build` ends through Python's own exit (cli.end_process only freezes the
    collector): its output is complete and flushed, its exit code kept, and node
    stopped by jsii's exit hook, after a model error too."""
    before = _kernels()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = _run(["build", model, "--out", str(tmp_path / "out")], env, ROOT)
    assert done.returncode == code
    if code == 0:
        assert done.stdout.startswith("examples/udagram.yaml: built 5 services, ") and done.stderr == ""
        assert (tmp_path / "out" / "archc-manifest.json").is_file()
    else:
        assert done.stderr == "tests/bad/wrong-type.yaml:6:35: error[type]: 'storage_gb' must be a whole number, not text ('lots')\n"
    assert _kernels() <= before
