"""Interleaved timing of the same command across source trees (checkouts of archc).

A shared machine's speed drifts within a minute, so running all of A then all of B
compares moments, not code: this alternates A, B, A, B... and reports min and median.
The first round warms caches and is not counted.

    .venv/bin/python bench/compare.py [--runs N] [--full] MODEL TREE...

MODEL is relative to each tree; without --full it runs bench/terraform_only.py (the
build figure), with --full `archc build`. Each tree runs with PYTHONPATH=TREE and this
venv. A tree: `git archive <commit> | tar -x -C /tmp/a` (keep generated/ out of it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def command(tree: str, model: str, out: str, full: bool) -> list[str]:
    if full:
        return [PYTHON, "-c", "import sys; from compiler.cli import main; sys.exit(main())", "build", f"{tree}/{model}", "--out", out]
    return [PYTHON, f"{tree}/bench/terraform_only.py", f"{tree}/{model}", out]


def loop_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([PYTHON, "-c", "s = 0\nfor i in range(10_000_000):\n    s += i\n"], env=ENV, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--full", action="store_true", help="time `archc build` (all outputs)")
    parser.add_argument("model")
    parser.add_argument("trees", nargs="+")
    args = parser.parse_args()
    times: dict[str, list[float]] = {tree: [] for tree in args.trees}
    speed_before = loop_seconds()
    with tempfile.TemporaryDirectory() as out:
        for round_ in range(args.runs + 1):
            for tree in args.trees:
                started = time.perf_counter()
                cmd = command(tree, args.model, out, args.full)
                done = subprocess.run(cmd, env=ENV | {"PYTHONPATH": tree}, cwd=tree, capture_output=True)
                seconds = time.perf_counter() - started
                if done.returncode:
                    sys.exit(f"{tree}: exit {done.returncode}\n{done.stderr.decode()[-2000:]}")
                if round_:
                    times[tree].append(seconds)
    print(f"machine: 10M-addition loop {speed_before:.2f} s before, {loop_seconds():.2f} s after")
    for tree, seconds in times.items():
        median = statistics.median(seconds)
        print(f"{tree}: min {min(seconds):.3f} s, median {median:.3f} s, max {max(seconds):.3f} s ({len(seconds)} runs)")


if __name__ == "__main__":
    main()
