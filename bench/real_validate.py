"""The real hashicorp/aws provider's `validate` on every committed build under
generated/, in one run (one Terraform process; stacks needing the same providers
share one init), as the test suite runs it. Prints one line per stack.

    .venv/bin/python bench/real_validate.py PLUGIN_DIR
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from compiler.plan import plan_stacks

ROOT = Path(__file__).resolve().parent.parent


def main(plugin_dir: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        stacks = Path(tmp) / "stacks"
        for stack in sorted((ROOT / "generated").glob("**/terraform/stacks/*/cdk.tf.json")):
            label = "-".join(stack.relative_to(ROOT / "generated").parts[:-1]).replace("-terraform-stacks", "")  # stack names repeat
            (stacks / label).mkdir(parents=True)
            (stacks / label / stack.name).write_bytes(stack.read_bytes())
        plans = plan_stacks(Path(tmp), provider="real", plugin_dir=Path(plugin_dir), validate_only=True)
    for plan in plans:
        print(f"{plan.stack}: {'ok' if plan.ok else 'errors'} ({plan.seconds:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
