"""Wall time of every diagram view (DOT build + dot layout/render of SVG and PNG, run in
parallel) for the largest example and synthetic models of 100 and 1,000 services.

    .venv/bin/python bench/bench_diagrams.py       # also called by bench/run.py

Above 150 services (compiler/diagrams/layers.py: NODE_BUDGET) a model gets an overview
of its layers and a detail view per layer: the 1,000-service model draws 7 views.
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
from compiler.diagrams import render_diagrams  # noqa: E402
from compiler.terraform.emit import emit  # noqa: E402


def seconds(path: Path, runs: int = 3) -> tuple[float, int]:
    """Best of ``runs``: load, emit (for the gateways) and draw every view; and how many views."""
    best, views = float("inf"), 0
    for _ in range(runs):
        start = time.perf_counter()
        arch = pipeline.load(path)
        files = render_diagrams(arch, emit(arch))
        best = min(best, time.perf_counter() - start)
        views = sum(1 for rel in files if rel.endswith(".svg"))
    return best, views


def rows() -> list[str]:
    """Markdown table rows: what, wall seconds, target (archc's caches off)."""
    with caches_off():
        return _rows()


def _rows() -> list[str]:
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("travel-booking.yaml", ROOT / "examples" / "travel-booking.yaml", "< 1.5")]
        for size, monitored, target in ((100, False, "< 5"), (100, True, "< 5"), (1000, False, "< 60")):
            path = Path(tmp) / f"synthetic-{size}{'-monitored' if monitored else ''}.yaml"
            path.write_text(model(size, monitored=monitored))
            cases.append((f"synthetic {size} services" + (" + CloudWatch on each" if monitored else ""), path, target))
        for what, path, target in cases:
            secs, views = seconds(path)
            found.append(f"| diagrams ({views} views) {what} | {secs:.2f} | {target} |")
    return found


if __name__ == "__main__":
    print("| what | wall s | target s |\n|---|---|---|")
    print("\n".join(rows()))
