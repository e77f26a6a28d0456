"""Run a command and report its wall time and the peak RSS of its whole process tree.

The tree matters: cdktn runs a node process beside Python, so the peak of the Python
process alone would understate the memory a build needs.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measurement:
    """One run of a command."""

    seconds: float
    peak_mb: float
    returncode: int


def _tree_rss_kb(pid: int) -> int:
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


def measure(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, *, sample: bool = True) -> Measurement:
    """Run ``cmd``; with ``sample``, read the tree's RSS every 10 ms.

    Sampling walks /proc from Python every 10 ms, CPU taken from the command on a
    2-core machine: time a run without it (``sample=False``, peak 0) and take the
    memory from a sampled one.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    if sample:
        while proc.poll() is None:
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.01)
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(stderr.decode()[-2000:])
    return Measurement(seconds, peak / 1024, proc.returncode)


@contextlib.contextmanager
def caches_off() -> Iterator[None]:
    """Within the block, archc's caches are off (compiler/caches.py): what drawing and
    templating cost, not what reading a cache costs."""
    os.environ["ARCHC_NO_CACHE"] = "1"
    try:
        yield
    finally:
        del os.environ["ARCHC_NO_CACHE"]
