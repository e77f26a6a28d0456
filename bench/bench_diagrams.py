"""Wall time of the three diagram views (DOT build + dot layout/render of SVG and PNG,
run in parallel) for the largest example and a synthetic 100-service model.

    .venv/bin/python bench/bench_diagrams.py       # also called by bench/run.py
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


def seconds(path: Path, runs: int = 3) -> float:
    """Best of ``runs``: load, emit (for the gateways) and draw all three views."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        arch = pipeline.load(path)
        render_diagrams(arch, emit(arch))
        best = min(best, time.perf_counter() - start)
    return best


def rows() -> list[str]:
    """Markdown table rows: what, wall seconds, target (archc's caches off)."""
    with caches_off():
        return _rows()


def _rows() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = Path(tmp) / "synthetic-100.yaml"
        synthetic.write_text(model(100))
        monitored = Path(tmp) / "synthetic-100-monitored.yaml"
        monitored.write_text(model(100, monitored=True))
        return [
            f"| diagrams (3 views) travel-booking.yaml | {seconds(ROOT / 'examples' / 'travel-booking.yaml'):.2f} | < 1.5 |",
            f"| diagrams (3 views) synthetic 100 services | {seconds(synthetic):.2f} | < 5 |",
            f"| diagrams (3 views) synthetic 100 services + CloudWatch on each | {seconds(monitored):.2f} | < 5 |",
        ]


if __name__ == "__main__":
    print("| what | wall s | target s |\n|---|---|---|")
    print("\n".join(rows()))
