"""Live rebuild of `archc docs --serve` after a one-line edit of the largest example: from
the save to the moment the new site is on disk and the open pages are told to reload
(the `/__archc/events` message a page reloads on), watcher's polling included. Each
edit gives a service a title never seen before, so the figures are drawn again (the
figure cache cannot answer). The browser's own reload comes on top (the browser test
prints it: tests/test_docs_live.py).

    .venv/bin/python bench/bench_live.py       # also called by bench/run.py
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
MODEL = ROOT / "examples" / "travel-booking.yaml"
LINE = "        title: Website and mobile app users\n"


def rebuild_seconds(edits: int = 7) -> list[float]:
    """Seconds from each save to its reload message, for ``edits`` one-line edits in a row."""
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.yaml"
        text = MODEL.read_text()
        model.write_text(text)
        cmd = [PYTHON, "-m", "compiler.cli", "docs", "model.yaml", "--out", "site", "--serve", "--port", "0"]
        proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.PIPE, text=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
        try:
            assert proc.stdout is not None
            url = next(m.group(1) for line in proc.stdout if (m := re.search(r"serving on (\S+/),", line)))
            with urllib.request.urlopen(url + "__archc/events", timeout=60) as events:
                first = _event(events)["build"]
                times = []
                for _ in range(edits):
                    title = f"Travellers {uuid.uuid4().hex[:8]}"
                    saved = time.perf_counter()
                    model.write_text(text.replace(LINE, f"        title: {title}\n"))
                    while (status := _event(events))["build"] == first:
                        pass
                    times.append(time.perf_counter() - saved)
                    first = status["build"]
                    with urllib.request.urlopen(url + "travel-booking/docs/index.html", timeout=10) as page:
                        assert title in page.read().decode(), "the page served after the reload message lacks the edit"
                    time.sleep(0.5)  # a person types between saves
            return times
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _event(stream: object) -> dict[str, object]:
    for raw in stream:  # type: ignore[attr-defined]
        line = raw.decode()
        if line.startswith("data: "):
            return json.loads(line[6:])  # type: ignore[no-any-return]
    raise RuntimeError("the event stream ended")


def rows() -> list[str]:
    """Markdown table rows: what, wall seconds, target."""
    times = rebuild_seconds()
    spread = f"best {min(times):.2f}, worst {max(times):.2f} of {len(times)}"
    what = f"live rebuild after a one-line edit, travel-booking.yaml, save to reload message (median; {spread})"
    return [f"| {what} | {statistics.median(times):.2f} | < 2 |"]


if __name__ == "__main__":
    print("| what | wall s | target s |\n|---|---|---|")
    print("\n".join(rows()))
