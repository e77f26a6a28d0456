"""Atomic outputs, proven on real `archc build` processes.

A build over an existing output directory is interrupted (Ctrl-C, SIGKILL) at several
points while it writes, and by a real file system error (a file size limit): the
previous outputs are always intact and whole, and nothing is left beside them once
the next build has run.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.outputs import MARKER, PAUSE_ENV, OutputError, recover, write_tree
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # real builds interrupted while they write (make check-fast leaves it out)

OLD_MODEL = (ROOT / "examples" / "udagram.yaml").read_text()
NEW_MODEL = OLD_MODEL.replace("      media:\n", "      extra:\n        kind: s3\n      media:\n")


def _archc(cwd: Path, *args: str, env: dict[str, str] | None = None, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "compiler.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,  # type: ignore[call-overload]
    )


Trees = tuple[dict[str, bytes], dict[str, bytes]]  # outputs of the old and the new model


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _siblings(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir())


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The outputs of the old and the new model, built without interruption."""
    tmp = tmp_path_factory.mktemp("ref")
    found = []
    for model in (OLD_MODEL, NEW_MODEL):
        (tmp / "udagram.yaml").write_text(model)
        proc = _archc(tmp, "build", "udagram.yaml", "--out", "out")
        assert proc.wait(60) == 0, proc.communicate()
        found.append(_tree(tmp / "out"))
    assert found[0] != found[1]
    return found[0], found[1]


def _previous(tmp: Path, tree: dict[str, bytes]) -> None:
    """Lay out the previous build's outputs (as `archc build` left them) and the new model."""
    for rel, content in tree.items():
        (tmp / "out" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "out" / rel).write_bytes(content)
    (tmp / "udagram.yaml").write_text(NEW_MODEL)


def _interrupted(tmp: Path, pause_at: int, sig: signal.Signals, previous: dict[str, bytes]) -> int:
    _previous(tmp, previous)
    proc = _archc(tmp, "build", "udagram.yaml", "--out", "out", env={PAUSE_ENV: str(pause_at)})
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line == f"archc: paused at {pause_at}\n", line + proc.communicate()[1]
    proc.send_signal(sig)
    return proc.wait(60)


def _point(name: str, trees: Trees) -> int:
    """Where to pause: before the first, second or last file, before or after the swap."""
    files = len(trees[1]) - 1  # every file but the marker
    return {"first file": 0, "second file": 1, "last file": files - 1, "before swap": files, "after swap": files + 1}[name]


@pytest.mark.parametrize("point", ["first file", "second file", "last file", "before swap"])
def test_ctrl_c_while_writing_keeps_previous_outputs(point: str, tmp_path: Path, trees: Trees) -> None:
    assert _interrupted(tmp_path, _point(point, trees), signal.SIGINT, trees[0]) == 130
    assert _tree(tmp_path / "out") == trees[0]
    assert _siblings(tmp_path) == ["out", "udagram.yaml"]  # the staging directory is gone


@pytest.mark.parametrize("point", ["second file", "before swap"])
def test_kill_while_writing_keeps_previous_outputs(point: str, tmp_path: Path, trees: Trees) -> None:
    assert _interrupted(tmp_path, _point(point, trees), signal.SIGKILL, trees[0]) == -signal.SIGKILL
    assert _tree(tmp_path / "out") == trees[0]
    leftovers = [name for name in _siblings(tmp_path) if name.startswith(".out.new-")]
    assert len(leftovers) == 1  # a kill leaves its staging directory...
    assert _archc(tmp_path, "build", "udagram.yaml", "--out", "out").wait(60) == 0
    assert _siblings(tmp_path) == ["out", "udagram.yaml"]  # ...which the next build removes
    assert _tree(tmp_path / "out") == trees[1]


def test_kill_right_after_the_swap_leaves_new_outputs_whole(tmp_path: Path, trees: Trees) -> None:
    assert _interrupted(tmp_path, _point("after swap", trees), signal.SIGKILL, trees[0]) == -signal.SIGKILL
    assert _tree(tmp_path / "out") == trees[1]
    assert _archc(tmp_path, "build", "udagram.yaml", "--out", "out").wait(60) == 0
    assert _siblings(tmp_path) == ["out", "udagram.yaml"]


def test_file_system_error_keeps_previous_outputs(tmp_path: Path, trees: Trees) -> None:
    """A real write error (EFBIG from a file size limit) midway through the files.

    The limit is set in a forked child that only writes, so the build itself (whose
    synth also writes temporary files) is not what fails.
    """
    _previous(tmp_path, trees[0])
    new_files = {rel: content for rel, content in trees[1].items() if rel != MARKER}
    limit = 8_000  # the small files fit, the Terraform stack does not
    assert min(map(len, new_files.values())) < limit < max(map(len, new_files.values()))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write under the limit, report the error text
        os.close(read_end)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        try:
            write_tree(tmp_path / "out", new_files)
            message = "no error"
        except OutputError as exc:
            message = str(exc)
        os.write(write_end, message.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        message = pipe.read()
    os.waitpid(pid, 0)
    assert message == f"cannot write {tmp_path / 'out'}: File too large; the previous outputs are left as they were"
    assert _tree(tmp_path / "out") == trees[0]
    assert _siblings(tmp_path) == ["out", "udagram.yaml"]


def test_recover_puts_back_outputs_moved_aside_by_a_killed_build(tmp_path: Path) -> None:
    """Where the swap is two renames, a kill between them leaves .out.old-<pid>-*."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    moved = tmp_path / f".out.old-{dead.pid}-abc"
    moved.mkdir()
    (moved / MARKER).write_text("x")
    (tmp_path / f".out.new-{dead.pid}-def").mkdir()
    alive = tmp_path / f".out.new-{os.getppid()}-ghi"  # a build still running: left alone
    alive.mkdir()
    recover(tmp_path / "out")
    assert _siblings(tmp_path) == [alive.name, "out"]
    assert (tmp_path / "out" / MARKER).read_text() == "x"


def test_a_full_temp_dir_is_the_machine_not_a_bug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No space for temporary files (jsii's runtime, synthesis, Terraform's scratch
    copies): a clear message and exit 2, not an internal error; other OSErrors stay bugs."""
    import argparse
    import errno
    import tempfile

    from compiler import cli

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def failing(code: int) -> argparse.Namespace:
        def run(args: argparse.Namespace) -> int:
            raise OSError(code, os.strerror(code))

        return argparse.Namespace(run=run, debug=False)

    assert cli._run(failing(errno.ENOSPC)) == cli.EXIT_USAGE
    assert capsys.readouterr().err == (
        f"archc: error: No space left on device while writing temporary files under {tmp_path}\n"
        "archc: free space there or set TMPDIR; outputs were left as they were\n"
    )
    assert cli._run(failing(errno.ENOENT)) == cli.EXIT_INTERNAL
    assert capsys.readouterr().err.startswith("archc: internal error: FileNotFoundError: [Errno 2] No such file or directory")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_the_swap_is_one_atomic_exchange_on_linux(tmp_path: Path) -> None:
    from compiler.outputs import _exchange

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "from-a").write_text("")
    (tmp_path / "b").mkdir()
    assert _exchange(tmp_path / "a", tmp_path / "b")
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["from-a"]
    assert list((tmp_path / "a").iterdir()) == []
