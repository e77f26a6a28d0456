"""The docs site (``archc docs``): mkdocs + Material over one or more architectures.

Each architecture's build outputs are copied with their own layout
(``<name>/docs/...``, ``<name>/diagrams/...``), so the relative links the Markdown
already has (``../diagrams/overview.svg``) resolve on the site too. The site works
offline: no web fonts, no CDN, search runs in the browser. mkdocs runs in strict mode
with link and anchor validation, so a broken link fails the build.
"""

from __future__ import annotations

import html
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from compiler.docs.markdown import escape
from compiler.docs.pages import layer_page
from compiler.ir import Architecture
from compiler.names import doc_service_page

SITE_PAGES = (("Overview", "docs/index.md"), ("Data flow", "docs/data-flow.md"), ("Network", "docs/network.md"))
SITE_PAGES_END = (("Security", "docs/security.md"), ("Decisions", "docs/decisions.md"), ("Cost", "docs/cost.md"))
THEME = Path(__file__).parent / "theme"  # overrides of Material's templates
HOOKS = Path(__file__).parent / "mkdocs_hooks.py"
# What the site copies from a build: the Markdown and the figures it links.
SITE_DIRS = ("docs/", "diagrams/")


class SiteError(Exception):
    """mkdocs refused the site (strict mode: a broken link, a missing page...)."""


def _nav(arch: Architecture) -> list[Any]:
    """Navigation of one architecture. Titles are HTML-escaped here: mkdocs' templates print
    nav titles without escaping (its Jinja environment has no autoescape)."""

    def entry(title: str, path: str) -> dict[str, str]:
        return {html.escape(title): f"{arch.name}/{path}"}

    layers = []
    for layer in arch.layers:
        pages = [entry("About this layer", layer_page(layer.name))]
        pages += [entry(arch.services[sid].title, doc_service_page(sid)) for sid in layer.services]
        layers.append({html.escape(layer.title): pages})
    return [*(entry(t, p) for t, p in SITE_PAGES), {"Layers": layers}, *(entry(t, p) for t, p in SITE_PAGES_END)]


def _title(arch: Architecture) -> str:
    """An architecture's title on the site: each environment of a model is one, named."""
    named = arch.environment and not arch.title.lower().endswith(arch.environment)  # a title made of the name has it
    return f"{arch.title} ({arch.environment})" if named else arch.title


def _home(archs: Sequence[Architecture]) -> str:
    lines = ["# Architectures", "", "| Architecture | Region | Services | Description |", "|---|---|---|---|"]
    for arch in archs:
        link = f"[{escape(_title(arch))}]({arch.name}/docs/index.md)"
        lines.append(f"| {link} | `{arch.region}` | {len(arch.services)} | {escape(arch.description)} |")
    return "\n".join(lines) + "\n"


def _site_name(arch: Architecture) -> str:
    """The title, unless it holds HTML syntax: Material prints site_name unescaped in places."""
    return arch.name if any(c in arch.title for c in "<>\"'&") else arch.title


def site_config(archs: Sequence[Architecture]) -> dict[str, Any]:
    """The mkdocs.yml of the site, as data."""
    single = len(archs) == 1
    nav: list[Any] = [{"Home": "index.md"}]
    if single:
        nav += _nav(archs[0])
    else:
        nav += [{html.escape(_title(arch)): _nav(arch)} for arch in archs]
    return {
        "site_name": _site_name(archs[0]) if single else "Architectures",
        "docs_dir": "src",
        "use_directory_urls": False,  # pages open from the file system too
        "theme": {
            "name": "material",
            "custom_dir": str(THEME),  # see theme/main.html; a fixed path: its compiled templates are kept
            "font": False,  # no Google Fonts: the site must work offline
            "features": ["navigation.sections", "navigation.top", "search.highlight"],
        },
        "plugins": ["search"],
        "hooks": [str(HOOKS)],
        "markdown_extensions": ["tables", {"toc": {"permalink": True}}],
        "validation": {"omitted_files": "warn", "absolute_links": "warn", "unrecognized_links": "warn", "anchors": "warn"},
        "nav": nav,
    }


def project(builds: Sequence[tuple[Architecture, dict[str, bytes]]]) -> dict[str, bytes]:
    """The mkdocs project (``mkdocs.yml`` and ``src/``) as ``{relative path: bytes}``: all a
    site is made from besides archc's own theme and hooks, so an unchanged project is an
    unchanged site."""
    first: dict[str, str] = {}
    for arch, _ in builds:
        if arch.name in first:  # each architecture is a folder of the site, named by its name
            raise SiteError(f"{first[arch.name]} and {arch.source_file} both have name '{arch.name}'; each architecture needs its own")
        first[arch.name] = arch.source_file
    files: dict[str, bytes] = {}
    for arch, outputs in builds:
        for rel, content in sorted(outputs.items()):
            if rel.startswith(SITE_DIRS):
                files[f"src/{arch.name}/{rel}"] = _site_links(content) if rel.endswith(".svg") else content
    files["src/index.md"] = _home([a for a, _ in builds]).encode()
    config = site_config([a for a, _ in builds])
    files["mkdocs.yml"] = yaml.safe_dump(config, sort_keys=False, allow_unicode=True).encode()
    return files


_PAGE_LINK = re.compile(rb'(xlink:href="(?:\.\./)+docs/[^"#]*)\.md([#"])')


def _site_links(svg: bytes) -> bytes:
    """A figure's links to Markdown pages, pointed at the pages the site makes of them
    (from ``diagrams/`` and, for a layer's detail view, ``diagrams/layers/``).

    >>> _site_links(b'<a xlink:href="../docs/services/db.md#to-x">')
    b'<a xlink:href="../docs/services/db.html#to-x">'
    >>> _site_links(b'<a xlink:href="../../docs/services/db.md">')
    b'<a xlink:href="../../docs/services/db.html">'
    """
    return _PAGE_LINK.sub(rb"\1.html\2", svg)


def build_site(builds: Sequence[tuple[Architecture, dict[str, bytes]]]) -> dict[str, bytes]:
    """The static site as ``{relative path: bytes}`` (strict: any mkdocs warning is an error)."""
    return build_project(project(builds))


def build_project(files: dict[str, bytes]) -> dict[str, bytes]:
    """The static site mkdocs makes of a :func:`project`.

    mkdocs writes into a scratch directory (it empties its ``site_dir`` first, so it never
    gets the user's); the caller writes the result like every other output.
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    warnings = _WarningCollector()
    mkdocs_log = logging.getLogger("mkdocs")
    mkdocs_log.addHandler(warnings)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"  # no build date in the sitemap: the same site on every run
    with tempfile.TemporaryDirectory(prefix="archc-site-") as tmp:
        for rel, content in files.items():
            target = Path(tmp) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        site_dir = Path(tmp) / "site"
        try:
            build(load_config(str(Path(tmp) / "mkdocs.yml"), strict=True, site_dir=str(site_dir)))
        except MkDocsException as exc:
            detail = "; ".join(warnings.messages) or str(exc)
            raise SiteError(f"mkdocs refused the site: {detail}") from None
        finally:
            mkdocs_log.removeHandler(warnings)
            if epoch is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = epoch
        return {p.relative_to(site_dir).as_posix(): p.read_bytes() for p in sorted(site_dir.rglob("*")) if p.is_file()}


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
