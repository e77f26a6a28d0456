"""The resource counts `archc build` prints are the ones the docs and the Terraform hold."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_build_docs_and_terraform_count_the_same_resources(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    model = ROOT / "examples" / "udagram.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "build", str(model), "--out", "out"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    printed = re.search(r"built (\d+) services, (\d+) resources and (\d+) data sources into out/", done.stdout)
    assert printed, done.stdout + done.stderr
    stack = json.loads((tmp_path / "out/terraform/stacks/udagram/cdk.tf.json").read_text())
    in_terraform = (sum(map(len, stack["resource"].values())), sum(map(len, stack.get("data", {}).values())))
    docs = re.search(r"\| Terraform resources \| (\d+) \(and (\d+) data sources\) \|", (tmp_path / "out/docs/index.md").read_text())
    assert docs
    assert (int(printed[2]), int(printed[3])) == in_terraform == (int(docs[1]), int(docs[2]))
