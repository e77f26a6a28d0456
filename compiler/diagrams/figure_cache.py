"""Rendered figures kept between builds, under a key made of everything they come from.

Rasterising is most of a figure's cost, and most builds draw figures that have not changed: editing a setting
leaves the DOT text as it was. As Sphinx's graphviz extension does, a render is kept
under a hash of its inputs: the DOT text, the bytes of every icon it names, the `dot`
binary (path, size, modification time) and the rendering code (``render.py``, this
file). Outside the key: the fonts and libraries `dot` loads; after changing those,
delete ``<venv>/var/cache/archc-figures``. The newest ``MAX_FIGURES`` are kept.

Every failure to read or write the cache is a miss: the figure is drawn again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from functools import cache
from pathlib import Path

from compiler.caches import cache_dir
from compiler.diagrams.icons import icon_bytes

MAX_FIGURES = 120  # 40 builds of three views; a figure (SVG + PNG) is up to ~0.5 MB
_ICON = re.compile(r'(?:SRC|image)="([^"]+\.png)"')
_CODE = tuple(Path(__file__).parent / name for name in ("render.py", "figure_cache.py"))


def figure_key(dot_source: str, dot_binary: str) -> str:
    """The hash of everything a figure's SVG and PNG bytes come from."""
    digest = hashlib.sha256()
    binary = os.stat(dot_binary)
    digest.update(f"{dot_binary}\0{binary.st_size}\0{binary.st_mtime_ns}\0".encode())
    digest.update(_code_digest())
    for icon in sorted(set(_ICON.findall(dot_source))):
        digest.update(icon.encode() + b"\0" + hashlib.sha256(icon_bytes(icon)).digest())
    digest.update(dot_source.encode())
    return digest.hexdigest()


@cache
def _code_digest() -> bytes:
    """The rendering code's own hash, read once per process (three figures a build)."""
    return hashlib.sha256(b"".join(code.read_bytes() for code in _CODE)).digest()


def load_figure(key: str) -> tuple[bytes, bytes] | None:
    """The (SVG, PNG) kept under ``key``, or None."""
    folder = cache_dir("archc-figures")
    if folder is None:
        return None
    try:
        svg, png = (folder / f"{key}.svg").read_bytes(), (folder / f"{key}.png").read_bytes()
        os.utime(folder / f"{key}.png")  # recently used: pruned last
    except OSError:
        return None
    return svg, png


def keep_figure(key: str, svg: bytes, png: bytes) -> None:
    """Keep a render (each file replaced atomically), then prune the oldest."""
    folder = cache_dir("archc-figures")
    if folder is None:
        return
    with contextlib.suppress(OSError):
        for suffix, content in ((".svg", svg), (".png", png)):  # the PNG last: load_figure needs both
            _write_atomically(folder / f"{key}{suffix}", content)
        _prune(folder)


def _write_atomically(path: Path, content: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as part:
        try:
            part.write(content)
        except BaseException:
            os.unlink(part.name)
            raise
    os.replace(part.name, path)


def _prune(folder: Path) -> None:
    kept = sorted(folder.glob("*.png"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for png in kept[MAX_FIGURES:]:
        for path in (png, png.with_suffix(".svg")):
            path.unlink(missing_ok=True)
