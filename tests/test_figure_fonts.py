"""CJK and emoji in names are drawn as glyphs, not as empty boxes ("tofu"), in the PNG
(Graphviz, through fontconfig) and in the SVG as Chromium shows it.

Each check compares against the same text drawn where fontconfig knows only DejaVu Sans
(no CJK, no emoji): that is what a machine without the set-up's fonts draws, so the
tests fail there (the fonts are `make setup`'s fonts-noto-cjk and fonts-noto-color-emoji).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.diagrams import dot_sources
from compiler.diagrams.canvas import FONT
from compiler.diagrams.render import render
from compiler.terraform.emit import emit
from tests.pngpixels import coloured, inked

CHROMIUM = Path("/usr/bin/chromium")
ORDER = "注文"  # "order"
ROCKET = "🚀"


@pytest.fixture
def without_cjk_or_emoji(tmp_path: Path) -> dict[str, str]:
    """Environment variables under which fontconfig sees only DejaVu Sans."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{tmp_path}/cache</cachedir></fontconfig>\n"
    )
    return {"FONTCONFIG_FILE": str(conf)}


@pytest.fixture(autouse=True)
def no_figure_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHC_NO_CACHE", "1")  # the cache's key leaves the fonts out


def _label(text: str, font: str = FONT) -> str:
    return f'digraph {{ node [fontname="{font}" shape=plaintext fontsize=28] a [label="{text}"] }}'


def _png(dot: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str] | None = None) -> bytes:
    with monkeypatch.context() as m:
        for key, value in (env or {}).items():
            m.setenv(key, value)
        return render(dot)[1]


def test_cjk_is_drawn_with_the_cjk_font(monkeypatch: pytest.MonkeyPatch, without_cjk_or_emoji: dict[str, str]) -> None:
    drawn = _png(_label(ORDER), monkeypatch)
    tofu = _png(_label(ORDER), monkeypatch, without_cjk_or_emoji)
    assert drawn != tofu
    # The glyphs are Noto Sans CJK's, the family FONT falls back to: the same pixels.
    assert drawn == _png(_label(ORDER, "Noto Sans CJK JP"), monkeypatch)
    assert inked(drawn) > 0


def test_emoji_is_drawn_in_colour(monkeypatch: pytest.MonkeyPatch, without_cjk_or_emoji: dict[str, str]) -> None:
    assert coloured(_png(_label(ROCKET), monkeypatch)) > 100
    assert coloured(_png(_label(ROCKET), monkeypatch, without_cjk_or_emoji)) == 0  # an empty box, in grey


def test_a_model_title_in_cjk_and_emoji_reaches_the_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, without_cjk_or_emoji: dict[str, str]
) -> None:
    model = tmp_path / "shop.yaml"
    model.write_text(
        f"name: shop\nregion: eu-west-1\nlayers:\n  - name: app\n    services:\n"
        f"      orders: {{kind: sqs, title: '{ORDER} {ROCKET}'}}\n      store: {{kind: s3}}\n"
        "connections:\n  - store -> orders\n"
    )
    arch = pipeline.load(model)
    dot = dot_sources(arch, emit(arch))["overview"]
    assert f"{ORDER} {ROCKET}" in dot and f'fontname="{FONT}"' in dot
    # Drawn in the font the tests above check, and not as the boxes a machine without it draws.
    assert _png(dot, monkeypatch) != _png(dot, monkeypatch, without_cjk_or_emoji)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_the_svg_shows_glyphs_in_chromium(tmp_path: Path, without_cjk_or_emoji: dict[str, str]) -> None:
    svg = tmp_path / "label.svg"
    svg.write_bytes(render(_label(f"{ORDER}{ROCKET}"))[0])

    def screenshot(name: str, env: dict[str, str]) -> bytes:
        shot = tmp_path / name
        subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}", "--window-size=240,120", svg.as_uri()],
            capture_output=True,
            timeout=60,
            check=True,
            env={**os.environ, "HOME": str(tmp_path), **env},
        )
        return shot.read_bytes()

    drawn, tofu = screenshot("drawn.png", {}), screenshot("tofu.png", without_cjk_or_emoji)
    assert coloured(drawn) > 100 and coloured(tofu) == 0
    assert inked(drawn) > inked(tofu)  # the two ideographs' strokes, not three box outlines
