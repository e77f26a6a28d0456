"""`archc build` restricted to its Terraform part (load, validate, resolve, emit,
schema check, cdktn synth, atomic write): what issue 2's build figure measures.
Like `archc build`, it stops node as soon as synthesis is done and freezes the garbage
collector before Python's shutdown (cli.end_process).

    .venv/bin/python bench/terraform_only.py MODEL OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from compiler import pipeline
from compiler.cli import end_process
from compiler.outputs import write_tree
from compiler.terraform import runtime


def main(model: str, out: str) -> int:
    runtime.one_shot()
    env = (pipeline.environment_names(Path(model))[1] or [None])[-1]  # a model with environments: its last (prod)
    write_tree(Path(out), pipeline.build_terraform(Path(model), model, out_dir=lambda _: Path(out), env=env))
    end_process()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
