"""The docs site: mkdocs strict build over every example, offline, safe, and checked in a
real headless browser (Debian chromium): every page's figures load, no internal link breaks."""

from __future__ import annotations

import re
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from compiler import pipeline
from compiler.docs.serve import server
from compiler.docs.site import SiteError, build_site
from compiler.ir import Architecture
from compiler.outputs import write_tree
from tests.conftest import ROOT

MODELS = [*sorted((ROOT / "examples").glob("*.yaml")), ROOT / "architecture.yaml"]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# Resources a page loads (not links it offers): all must come from the site itself.
LOADED = re.compile(r'<(?:script|img|link|iframe|source)\b[^>]*?\s(?:src|href)="([^"]+)"')


def _builds(paths: list[Path]) -> list[tuple[Architecture, dict[str, bytes]]]:
    results = [pipeline.build(p, p.relative_to(ROOT).as_posix()) for p in paths]
    return [(r.arch, r.files) for r in results]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    write_tree(out, build_site(_builds(MODELS)))
    return out


def test_site_builds_strictly_with_every_architecture(site: Path) -> None:
    for model in MODELS:
        name = model.stem if model.parent == ROOT / "examples" else "web-shop"
        assert (site / name / "docs" / "index.html").is_file()
        assert (site / name / "docs" / "security.html").is_file()
    assert (site / "search" / "search_index.json").is_file()


def test_site_loads_nothing_from_outside(site: Path) -> None:
    for page in site.rglob("*.html"):
        for url in LOADED.findall(page.read_text()):
            assert "//" not in url, f"{page.relative_to(site)} loads {url}"
    for css in site.rglob("*.css"):
        assert not re.search(r"@import|url\((['\"]?)(https?:)?//", css.read_text()), f"{css.relative_to(site)} fetches a remote file"


def test_model_text_cannot_inject_markup_into_the_site(tmp_path: Path) -> None:
    files = build_site(_builds([ROOT / "tests" / "docs" / "hostile.yaml"]))
    for rel, content in files.items():
        if rel.endswith(".html"):
            html = content.decode()
            for injected in ("<script>alert", "<img src=x", "<b>layer", "<strong>strong"):
                assert injected not in html, f"{rel}: {injected}"


def test_a_broken_link_fails_the_strict_build() -> None:
    ((arch, files),) = _builds([ROOT / "architecture.yaml"])
    files = dict(files)
    files["docs/index.md"] += b"\n[gone](services/nowhere.md)\n"
    with pytest.raises(SiteError, match=r"nowhere\.md"):
        build_site([(arch, files)])


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    httpd = server(site, 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("Debian chromium and chromium-driver are not installed (make setup installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    options.page_load_strategy = "eager"  # DOM ready; the figures are awaited below, not the search worker
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"):
        options.add_argument(flag)
    for flag in ("--disable-sync", "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


_PAGE_FACTS = """
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.querySelectorAll('img'));
Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = r; i.onerror = r; }))).then(() => done({
  broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src')),
  figures: imgs.length,
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
}));
"""


def _target_exists(url: str, cache: dict[str, str | None]) -> bool:
    page, fragment = urldefrag(url)
    if page not in cache:
        try:
            with urllib.request.urlopen(page, timeout=10) as response:
                cache[page] = response.read().decode(errors="replace")
        except urllib.error.URLError:
            cache[page] = None
    html = cache[page]
    return html is not None and (not fragment or f'id="{fragment}"' in html)


def test_every_page_in_a_real_browser(site: Path, served: str, browser: object) -> None:
    """Open every page: its figures are loaded (not broken images) and its internal links resolve."""
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html")
    cache: dict[str, str | None] = {}
    problems, figures = [], 0
    for rel in pages:
        browser.get(urljoin(served, rel))  # type: ignore[attr-defined]
        facts = browser.execute_async_script(_PAGE_FACTS)  # type: ignore[attr-defined]
        figures += facts["figures"]
        problems += [f"{rel}: broken image {src}" for src in facts["broken"]]
        for link in facts["links"]:
            if urlparse(link).netloc == urlparse(served).netloc and not _target_exists(link, cache):
                problems.append(f"{rel}: broken link {link}")
    assert problems == []
    drawn = sum(1 for model in MODELS if (site / (model.stem if model.parent.name == "examples" else "web-shop") / "diagrams").exists())
    assert figures >= drawn, "pages of architectures with diagrams show no figure"
