"""Wall time of the docs: the Markdown pages of the largest example (from its resolved model
and emitted stack, templates compiled once per process) and the mkdocs site over every example.

    .venv/bin/python bench/bench_docs.py       # also called by bench/run.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from measure import caches_off  # noqa: E402
from synthetic import model  # noqa: E402

from compiler import pipeline  # noqa: E402
from compiler.docs import render_docs  # noqa: E402
from compiler.docs.site import build_site  # noqa: E402
from compiler.terraform.emit import emit  # noqa: E402

MODELS = [*sorted((ROOT / "examples").glob("*.yaml")), ROOT / "architecture.yaml"]


def docs_seconds(path: Path, runs: int = 3) -> tuple[float, float]:
    """(first call, best of ``runs``) of render_docs for a model: the stack is built beforehand."""
    arch = pipeline.load(path, None, (pipeline.environment_names(path)[1] or [None])[-1])  # with environments: prod
    stack = emit(arch)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render_docs(arch, stack, path.name)
        times.append(time.perf_counter() - start)
    return times[0], min(times)


def site_seconds() -> float:
    """build_site over every example (their builds done beforehand)."""
    deployments = [(p, env) for p in MODELS for env in pipeline.environment_names(p)[1] or [None]]
    builds = [(r.arch, r.files) for r in (pipeline.build(p, env=env) for p, env in deployments)]
    start = time.perf_counter()
    build_site(builds)
    return time.perf_counter() - start


def rows() -> list[str]:
    """Markdown table rows: what, wall seconds, target (archc's caches off)."""
    with caches_off():
        return _rows()


def _rows() -> list[str]:
    first, best = docs_seconds(ROOT / "examples" / "travel-booking.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = Path(tmp) / "synthetic-100.yaml"
        synthetic.write_text(model(100))
        _, synthetic_best = docs_seconds(synthetic)
    return [
        f"| docs travel-booking.yaml (first call, templates compiled) | {first:.2f} | < 0.5 |",
        f"| docs travel-booking.yaml (warm) | {best:.2f} | < 0.5 |",
        f"| docs synthetic 100 services (warm) | {synthetic_best:.2f} | |",
        f"| docs site (mkdocs strict) over the 6 examples | {site_seconds():.2f} | < 10 |",
    ]


if __name__ == "__main__":
    print("| what | wall s | target s |\n|---|---|---|")
    print("\n".join(rows()))
