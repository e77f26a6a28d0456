"""`archc build` restricted to its Terraform part (load, validate, resolve, emit,
schema check, cdktn synth, atomic write): what issue 2's build figure measures.

    .venv/bin/python bench/terraform_only.py MODEL OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from compiler import pipeline
from compiler.outputs import write_tree


def main(model: str, out: str) -> int:
    write_tree(Path(out), pipeline.build_terraform(Path(model), model))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
