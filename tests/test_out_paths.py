"""Every --out archc cannot turn into a directory is one line and exit 2, before any
work, with whatever is there left as it was (issue: NotADirectoryError on a file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

MODEL = ROOT / "examples" / "udagram.yaml"


def _archc(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _snapshot(root: Path) -> dict[str, str]:
    def what(p: Path) -> str:
        return os.readlink(p) if p.is_symlink() else p.read_text() if p.is_file() else "/"

    return {str(p.relative_to(root)): what(p) for p in root.rglob("*")}


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("afile", "archc: error: afile is a file, not a directory; choose another --out"),
        ("afile/sub", "archc: error: cannot create afile/sub: afile is a file, not a directory"),
        ("afile/sub/deeper", "archc: error: cannot create afile/sub/deeper: afile is a file, not a directory"),
        ("dangling", "archc: error: dangling is a symbolic link to nowhere, which does not exist; remove the link or choose another --out"),
        ("mine", "archc: error: mine/ exists and was not written by archc; choose another --out or empty it"),
    ],
)
@pytest.mark.parametrize("command", ["build", "diagram"])
def test_an_unusable_out_is_one_line_and_exit_2(tmp_path: Path, command: str, out: str, message: str) -> None:
    (tmp_path / "afile").write_text("keep me\n")
    (tmp_path / "dangling").symlink_to("nowhere")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine\n")
    before = _snapshot(tmp_path)
    done = _archc(tmp_path, command, str(MODEL), "--out", out)
    assert (done.returncode, done.stderr, done.stdout) == (2, message + "\n", "")
    assert _snapshot(tmp_path) == before


def test_docs_site_refuses_a_file_as_out(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("keep me\n")
    done = _archc(tmp_path, "docs", str(MODEL), "--out", "afile")
    assert (done.returncode, done.stderr) == (2, "archc: error: afile is a file, not a directory; choose another --out\n")
    assert (tmp_path / "afile").read_text() == "keep me\n"


def test_a_read_only_directory_is_refused(tmp_path: Path) -> None:
    """Root may write in any mode-0555 directory, so as root the directory is made read-only
    by a bind mount in a private mount namespace (util-linux ``unshare``)."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    cli = [sys.executable, "-m", "compiler.cli", "build", str(MODEL), "--out", "ro/sub"]
    if os.geteuid() == 0:
        cli = ["unshare", "-rm", "sh", "-c", f'mount -o bind,ro "{ro}" "{ro}" && exec "$@"', "sh", *cli]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cli, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stderr) == (2, "archc: error: cannot create ro/sub: no permission to write in ro\n")
    assert list(ro.iterdir()) == []


def test_two_models_with_one_name_are_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / "copy.yaml").write_bytes(MODEL.read_bytes())
    done = _archc(tmp_path, "docs", str(MODEL), "copy.yaml", "--out", "site")
    shown = os.path.relpath(MODEL, tmp_path)
    message = f"archc: error: {shown} and copy.yaml both have name 'udagram'; each architecture needs its own\n"
    assert (done.returncode, done.stderr) == (2, message)
    assert not (tmp_path / "site").exists()
