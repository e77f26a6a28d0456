"""Rewrite the README's table of each example's monthly estimate (tests/test_cost.py
checks it): run after a change that moves an example's cost, then review the diff."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from compiler import pipeline  # noqa: E402
from compiler.cost.estimate import estimate  # noqa: E402
from compiler.cost.report import usd  # noqa: E402

MARK = "<!-- cost-table: tests/test_cost.py checks these figures -->\n"


def rows() -> list[str]:
    """One row per deployment: the default model, then the examples, each environment of a
    model with environments on its own row (``--env dev``)."""
    found = []
    for model in [ROOT / "architecture.yaml", *sorted((ROOT / "examples").glob("*.yaml"))]:
        rel = model.relative_to(ROOT).as_posix()
        for env in pipeline.environment_names(model)[1] or [None]:
            stack = pipeline.check(model, None, env)
            est = estimate(stack.arch, stack)
            fixed, usage, total = usd(est.total(fixed=True)), usd(est.total(fixed=False)), usd(est.total())
            shown = f"`{rel} --env {env}`" if env else f"`{rel}`"
            found.append(f"| {shown} | {stack.arch.region} | {est.free_tier} | {fixed} | {usage} | **{total}** |")
    return found


def main() -> int:
    readme = ROOT / "README.md"
    head, rest = readme.read_text().split(MARK, 1)
    _, tail = rest.split("\n\n", 1)
    readme.write_text(head + MARK + "\n".join(rows()) + "\n\n" + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
