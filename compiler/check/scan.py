"""Runs checkov (offline) on one generated stack and returns its findings.

checkov runs as a child process of this interpreter (it lives in the same venv), in a
scratch directory with its caches and home there, so nothing is written outside that
directory. Findings are located by their line range in ``cdk.tf.json``: in JSON mode
checkov names some resources ``resource.<name>`` without their type, so the address
comes from the line where the resource's block opens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from compiler.names import terraform_address
from compiler.plan import jsonpos

CHECKOV_VERSION = "3.3.30"
FRAMEWORKS = ("terraform_json", "secrets")


class CheckovUnavailable(Exception):
    """checkov is not installed, or failed in a way that is not a finding."""


@dataclass(frozen=True)
class Finding:
    """One failed checkov check on one resource of a stack."""

    check_id: str  # "CKV_AWS_2"
    title: str  # "Ensure ALB protocol is HTTPS"
    address: str  # "aws_lb_listener.alb_http", or "" when checkov points outside a block
    framework: str  # "terraform_json" | "secrets"


@dataclass(frozen=True)
class Scan:
    """What checkov reported for one stack."""

    stack: str
    passed: int
    failed: tuple[Finding, ...]
    checkov_skipped: int


def scan_stack(stack_dir: Path) -> Scan:
    """Run checkov on ``stack_dir`` (holding cdk.tf.json) and collect its findings."""
    with tempfile.TemporaryDirectory(prefix="archc-check-") as scratch:
        env = {
            **os.environ,
            "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
            "BC_SKIP_MAPPING": "TRUE",
            "HOME": scratch,
            "XDG_CACHE_HOME": scratch,
            "LOG_LEVEL": "ERROR",
        }
        cmd = [sys.executable, "-m", "checkov.main", "-d", str(stack_dir.resolve()), "--framework", *FRAMEWORKS]
        cmd += ["--skip-download", "-o", "json", "--quiet", "--compact"]
        try:
            proc = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, text=True, timeout=600, check=False)
        except OSError as exc:
            raise CheckovUnavailable(f"cannot start checkov: {exc}") from exc
    if proc.returncode not in (0, 1):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise CheckovUnavailable(f"checkov {CHECKOV_VERSION} failed (exit {proc.returncode}): {tail}")
    return _parse(stack_dir, proc.stdout)


def _parse(stack_dir: Path, stdout: str) -> Scan:
    try:
        data = json.loads(stdout) if stdout.strip() else []
    except json.JSONDecodeError as exc:
        raise CheckovUnavailable(f"checkov printed no JSON report: {exc}") from exc
    reports = data if isinstance(data, list) else [data]
    lines = block_lines(stack_dir / "cdk.tf.json")
    passed = skipped = 0
    failed: list[Finding] = []
    for rep in reports:
        if "summary" not in rep:  # an empty report: {"passed": 0, ...} without results
            continue
        summary = rep["summary"]
        passed += int(summary.get("passed", 0))
        skipped += int(summary.get("skipped", 0))
        for item in rep.get("results", {}).get("failed_checks", []):
            start = (item.get("file_line_range") or [0])[0]
            address = lines.get(start, "")
            failed.append(Finding(item["check_id"], item.get("check_name") or "", address, rep.get("check_type", "")))
    failed.sort(key=lambda f: (f.address, f.check_id))
    return Scan(stack_dir.name, passed, tuple(failed), skipped)


def block_lines(stack_file: Path) -> dict[int, str]:
    """1-based line where each resource or data block opens -> its Terraform address."""
    text = stack_file.read_text(encoding="utf-8")
    out: dict[int, str] = {}
    for span in jsonpos.spans(text):
        if span.member and len(span.path) == 3 and span.path[0] in ("resource", "data"):
            kind, rtype, name = span.path
            out[text.count("\n", 0, span.start) + 1] = terraform_address(str(rtype), str(name), data=kind == "data")
    return out
