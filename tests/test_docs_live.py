"""`archc docs FILE --serve`: the real command in a subprocess, the site open in headless
Chromium. A save shows in the open page (which reloads itself), a model error shows in
the terminal and in a banner over the last good site, a fix brings the site back."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.docs.live import SiteBuilder
from compiler.docs.site import SITE_DIRS
from compiler.errors import ArchcError
from tests.conftest import ROOT
from tests.test_docs_site import browser  # noqa: F401  (the headless Chromium fixture)

pytestmark = pytest.mark.slow  # a real provider / a real browser: make check-fast leaves it out

MODEL = ROOT / "examples" / "travel-booking.yaml"  # the largest example
TITLE = "Website and mobile app users"  # a service's title: on the overview page and in its figure
SERVICE = f"        title: {TITLE}\n"
# An unknown key that is also markup: the banner must show it as text.
BROKEN = SERVICE + '        "<b>tag</b>": 1\n'
_LINE = MODEL.read_text().splitlines(keepends=True).index(SERVICE) + 2  # the line BROKEN adds after SERVICE
ERROR = f"model.yaml:{_LINE}:9: error[unknown-key]: unknown key '<b>tag</b>' in service 'customers'"
PAGE = "travel-booking-prod/docs/index.html"  # the model has environments: one architecture each


@dataclass
class Served:
    """A running `archc docs --serve` and what it printed so far."""

    proc: subprocess.Popen[str]
    model: Path
    site: Path
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    url: str = ""

    def edit(self, old: str, new: str) -> None:
        text = self.model.read_text()
        assert old in text
        self.model.write_text(text.replace(old, new))


def _collect(stream: object, lines: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line.rstrip("\n"))


def _until(what: str, check: Callable[[], object], timeout: float = 30.0) -> object:
    """Poll ``check`` until it returns something true; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _archc(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "compiler.cli", "docs", *args],
        cwd=tmp_path,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    model = tmp_path / "model.yaml"
    model.write_text(MODEL.read_text())
    proc = _archc(tmp_path, "model.yaml", "--out", "site", "--serve", "--port", "0")
    live = Served(proc, model, tmp_path / "site")
    streams = ((proc.stdout, live.out), (proc.stderr, live.err))
    readers = [threading.Thread(target=_collect, args=(stream, lines), daemon=True) for stream, lines in streams]
    for reader in readers:
        reader.start()

    def address() -> str | None:
        assert proc.poll() is None, "\n".join(live.err)
        found = [m for line in live.out for m in re.findall(r"serving on (http://127\.0\.0\.1:\d+/)", line)]
        return found[0] if found else None

    try:
        live.url = str(_until("the server to start", address, timeout=60))
        yield live
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:  # it did not start, or did not stop: no server outlives the test
            proc.kill()
            proc.wait()
    for reader in readers:
        reader.join(timeout=10)
    assert live.out[-1] == "stopped"
    assert not [line for line in live.err if "Traceback" in line]


_FIGURE_TEXT = """
const done = arguments[arguments.length - 1];
const img = document.querySelector('article img[src$="overview.svg"]');
fetch(img.src).then(r => r.text()).then(done, e => done('not loaded: ' + e));
"""


def _text(driver: object) -> str:
    try:
        return str(driver.execute_script("return document.body ? document.body.innerText : ''"))  # type: ignore[attr-defined]
    except Exception:  # the page is reloading: ask again
        return ""


def _banner(driver: object) -> str | None:
    try:
        return driver.execute_script(  # type: ignore[attr-defined,no-any-return]
            "const b = document.getElementById('archc-errors'); return b ? b.innerText + '|' + b.querySelectorAll('b').length : null"
        )
    except Exception:
        return None


def test_a_save_shows_in_the_open_page_and_an_error_in_a_banner(served: Served, browser: object) -> None:  # noqa: F811
    browser.get(served.url + PAGE)  # type: ignore[attr-defined]
    assert TITLE in _text(browser)
    browser.execute_script("window.archcNotReloaded = true")  # type: ignore[attr-defined]

    # A one-line edit: the open page reloads itself and shows it, in its text and its figure.
    served.edit(SERVICE, "        title: Edited travellers\n")
    started = time.monotonic()
    _until("the edit in the page", lambda: "Edited travellers" in _text(browser))
    print(f"save to page shown: {time.monotonic() - started:.2f} s")
    assert browser.execute_script("return window.archcNotReloaded === undefined")  # type: ignore[attr-defined]
    assert "Edited travellers" in browser.execute_async_script(_FIGURE_TEXT)  # type: ignore[attr-defined]
    assert TITLE not in _text(browser)

    # A model error: in the terminal as FILE:LINE:COL, in a banner over the last good site.
    served.edit("        title: Edited travellers\n", BROKEN.replace(TITLE, "Broken travellers"))
    _until("the error in the terminal", lambda: ERROR in served.err)
    banner = str(_until("the banner", lambda: _banner(browser)))
    assert ERROR in banner and banner.endswith("|0")  # the markup in the error is text, not an element
    assert "Edited travellers" in _text(browser)  # the last good build stays
    browser.get(served.url + "travel-booking-prod/docs/security.html")  # type: ignore[attr-defined]
    assert ERROR in str(_until("the banner on a page opened later", lambda: _banner(browser)))
    site_text = [p.read_bytes() for p in served.site.rglob("*") if p.is_file()]
    assert not [c for c in site_text if b"Broken travellers" in c or b"__archc" in c]  # nor the live script on disk

    # Fixed: the banner goes, the page shows the fix.
    served.edit(BROKEN.replace(TITLE, "Broken travellers"), "        title: Fixed travellers\n")
    _until("the fix in the page", lambda: "Fixed travellers" in _text(browser) and _banner(browser) is None)


def test_the_site_on_disk_is_the_one_archc_docs_writes(served: Served, tmp_path: Path) -> None:
    """The served site is written as `archc docs` writes it: no live script in any file."""
    built = _archc(tmp_path, "model.yaml", "--out", "plain")
    assert built.wait(timeout=120) == 0, built.communicate()[1]
    plain = {p.relative_to(tmp_path / "plain"): p.read_bytes() for p in (tmp_path / "plain").rglob("*") if p.is_file()}
    live = {p.relative_to(served.site): p.read_bytes() for p in served.site.rglob("*") if p.is_file()}
    assert live == plain


def test_a_taken_port_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "model.yaml").write_text(MODEL.read_text())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _archc(tmp_path, "model.yaml", "--serve", "--port", str(port))
        out, err = proc.communicate(timeout=60)
    message = f"archc: error: cannot serve on 127.0.0.1 port {port}: it is in use (choose another with --port)\n"
    assert (proc.returncode, out, err) == (2, "", message)


def test_the_docs_build_makes_the_pages_and_figures_of_the_full_build() -> None:
    """`pipeline.build_docs` (no Terraform synthesis) makes the site's files byte for byte as `build` does."""
    arch, files = pipeline.build_docs(MODEL, "examples/travel-booking.yaml", env="prod")
    full = pipeline.build(MODEL, "examples/travel-booking.yaml", env="prod")
    assert files == {rel: content for rel, content in full.files.items() if rel.startswith(SITE_DIRS)}
    assert arch == full.arch


def test_the_site_waits_for_every_model_and_skips_saves_that_change_no_page(tmp_path: Path) -> None:
    """Two models: while one is broken, the other's saves are kept but the site is not
    rewritten, and the broken one's errors still stand; a save that changes no page
    (a comment) writes nothing."""
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text((ROOT / "examples" / "udagram.yaml").read_text())
    b.write_text((ROOT / "architecture.yaml").read_text())
    written: list[dict[str, bytes]] = []
    site = SiteBuilder([a, b], lambda p: p.name, written.append)
    assert site.update([a, b]) and len(written) == 1

    a.write_text(a.read_text() + "\n# a comment\n")
    assert not site.update([a]) and len(written) == 1

    good_a = a.read_text()
    a.write_text(good_a.replace("\nlayers:\n", "\nlayers:\n  bogus: 1\n", 1))
    with pytest.raises(ArchcError) as first:
        site.update([a])
    b.write_text(b.read_text().replace("title: ", "title: Renamed ", 1))
    with pytest.raises(ArchcError) as second:
        site.update([b])
    assert [d.file for d in second.value.diagnostics] == ["a.yaml"] == [d.file for d in first.value.diagnostics]
    assert len(written) == 1

    a.write_text(good_a)
    assert site.update([a]) and len(written) == 2
    assert any(b"Renamed " in content for rel, content in written[1].items() if rel.endswith(".html"))
