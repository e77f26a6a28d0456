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
from tests.conftest import MODELS, ROOT, model_cases

pytestmark = pytest.mark.slow  # headless Chromium and mkdocs (make check-fast leaves it out)

CASES = model_cases()  # each environment of a model is an architecture of the site
NAMES = [case.id for case in CASES]  # the architectures' names: <model> or <model>-<env>
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# Resources a page loads (not links it offers): all must come from the site itself.
LOADED = re.compile(r'<(?:script|img|link|iframe|source)\b[^>]*?\s(?:src|href)="([^"]+)"')


def _builds(paths: list[Path]) -> list[tuple[Architecture, dict[str, bytes]]]:
    results = [pipeline.build(p, p.relative_to(ROOT).as_posix(), env=env) for p, env in (c.values for c in model_cases(paths))]
    return [(r.arch, r.files) for r in results]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    write_tree(out, build_site(_builds(MODELS)))
    assert sorted(NAMES) == sorted(p.name for p in out.iterdir() if (p / "docs").is_dir())
    return out


def test_site_builds_strictly_with_every_architecture(site: Path) -> None:
    for name in NAMES:
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
        pytest.fail("Debian chromium and chromium-driver are not installed (make setup installs them)")
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
    # A model's later environments have the first one's service and layer pages, from the same
    # templates: their index and figures are opened, not each of those pages again (time).
    later = [case.id for case in CASES if case.values[1] and case.values[1] != pipeline.environment_names(case.values[0])[1][0]]
    pages = [p for p in pages if not p.startswith(tuple(f"{name}/docs/{part}/" for name in later for part in ("services", "layers")))]
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
    drawn = sum(1 for name in NAMES if (site / name / "diagrams").exists())
    assert figures >= drawn, "pages of architectures with diagrams show no figure"


# Draws a figure the way the browser does (an <img> of the SVG at its natural size) onto
# a canvas and reads the pixels back: the drawn content must lie inside the picture, with
# the figure's white margin (DOT `pad`) on every side. A figure clipped by its own
# viewBox has content running into the right or bottom edge and no margin there.
_FIGURE_PIXELS = """
const [url, done] = [arguments[0], arguments[arguments.length - 1]];
const img = new Image();
img.onerror = () => done({error: 'not loaded'});
img.onload = () => {
  const [w, h] = [img.naturalWidth, img.naturalHeight];
  const canvas = document.createElement('canvas');
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = 'white'; ctx.fillRect(0, 0, w, h);
  ctx.drawImage(img, 0, 0, w, h);
  const px = ctx.getImageData(0, 0, w, h).data;
  let [left, top, right, bottom] = [w, h, -1, -1];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = 4 * (y * w + x);
    if (px[i] < 235 || px[i + 1] < 235 || px[i + 2] < 235) {
      if (x < left) left = x; if (x > right) right = x; if (y < top) top = y; if (y > bottom) bottom = y;
    }
  }
  done({w, h, left, top, right, bottom});
};
img.src = url;
"""
PAD_PX = 0.4 * 96  # the views' DOT pad (0.4 in) in CSS pixels


def test_every_figure_is_whole_in_a_real_browser(site: Path, served: str, browser: object) -> None:
    """Each SVG drawn by Chromium at its natural size keeps its margin on all four sides."""
    svgs = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.svg") if "/diagrams/" in f"/{p.relative_to(site)}")
    assert svgs, "no figures on the site"
    browser.get(served)  # type: ignore[attr-defined]
    problems = []
    for rel in svgs:
        box = browser.execute_async_script(_FIGURE_PIXELS, urljoin(served, rel))  # type: ignore[attr-defined]
        if "error" in box:
            problems.append(f"{rel}: {box['error']}")
            continue
        margins = {"left": box["left"], "top": box["top"], "right": box["w"] - 1 - box["right"], "bottom": box["h"] - 1 - box["bottom"]}
        # Content starts inside the margin and reaches close to it: neither cut off nor shrunk.
        if not all(PAD_PX * 0.5 <= m <= PAD_PX * 2.5 for m in margins.values()):
            problems.append(f"{rel}: {box['w']}x{box['h']} px, content margins {margins}")
    assert problems == []


_FIGURE_FIT = """
return Array.from(document.querySelectorAll('article img[src$=".svg"]')).map(i => ({
  src: i.getAttribute('src'), width: i.getBoundingClientRect().width, column: i.closest('article').clientWidth,
  ratio: i.getBoundingClientRect().height / i.getBoundingClientRect().width, natural: i.naturalHeight / i.naturalWidth,
  link: i.closest('a') ? i.closest('a').getAttribute('href') : null}));
"""


def test_figures_fit_the_content_column_and_open_full_size(site: Path, served: str, browser: object) -> None:
    """On each page with a figure: scaled to the column (aspect kept), and a link to the figure itself."""
    with_figures = ("index.html", "network.html", "data-flow.html")
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name in with_figures)
    problems, seen = [], 0
    browser.set_window_size(1280, 900)  # type: ignore[attr-defined]
    for rel in pages:
        browser.get(urljoin(served, rel))  # type: ignore[attr-defined]
        browser.execute_async_script(_PAGE_FACTS)  # type: ignore[attr-defined]  # waits for the images
        for fig in browser.execute_script(_FIGURE_FIT):  # type: ignore[attr-defined]
            seen += 1
            if fig["width"] > fig["column"] + 1 or abs(fig["ratio"] - fig["natural"]) > 0.02 or fig["link"] != fig["src"]:
                problems.append(f"{rel}: {fig}")
    assert seen > 0 and problems == []


def test_every_link_in_a_figure_opens_a_page_of_the_site(site: Path, served: str) -> None:
    """Nodes link to their service's page, edges to their connection's row; on the site
    the links point at the HTML pages (the build's figures link the Markdown)."""
    cache: dict[str, str | None] = {}
    problems, links = [], 0
    for svg in sorted(site.rglob("diagrams/*.svg")):
        rel = svg.relative_to(site).as_posix()
        for href in re.findall(r'xlink:href="(\.\./docs/[^"]+)"', svg.read_text()):
            links += 1
            if not href.split("#")[0].endswith(".html") or not _target_exists(urljoin(urljoin(served, rel), href), cache):
                problems.append(f"{rel}: {href}")
    assert links > 100 and problems == []
