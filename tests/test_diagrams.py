"""The figures: every example draws three views as DOT, self-contained SVG and PNG,
the same bytes on every run, a kind without a known icon falls back with a warning,
and a machine without Graphviz gets one line saying how to install it."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.diagrams import dot_sources, render_diagrams
from compiler.diagrams.icons import GENERIC_ICON, icon
from compiler.diagrams.layering import plan, waypoints
from compiler.diagrams.overview import PER_RANK_TB
from compiler.diagrams.render import INSTALL_HINT, PNG_MAGIC
from compiler.ir import Architecture
from compiler.names import DIAGRAM_VIEWS, diagram_file
from compiler.terraform.emit import emit
from modules.general import Users
from tests.conftest import ROOT, model_cases

ARCHC = str(ROOT / ".venv" / "bin" / "archc")
XLINK = "{http://www.w3.org/1999/xlink}href"


def _draw(path: Path, env: str | None = None) -> tuple[Architecture, dict[str, bytes]]:
    arch = pipeline.load(path, path.relative_to(ROOT).as_posix(), env)
    return arch, render_diagrams(arch, emit(arch))


@pytest.mark.parametrize(("path", "env"), model_cases())
def test_every_view_is_drawn_valid_and_self_contained(path: Path, env: str | None) -> None:
    arch, files = _draw(path, env)
    assert set(files) == {diagram_file(v, ext) for v in DIAGRAM_VIEWS for ext in ("dot", "svg", "png")}
    for view in DIAGRAM_VIEWS:
        assert files[diagram_file(view, "png")].startswith(PNG_MAGIC)
        svg = ET.fromstring(files[diagram_file(view, "svg")])
        hrefs = [e.attrib[XLINK] for e in svg.iter("{http://www.w3.org/2000/svg}image")]
        assert hrefs, f"{view}: no icons"
        assert all(h.startswith("data:image/png;base64,") for h in hrefs), f"{view}: an icon is linked, not embedded"
        dot = files[diagram_file(view, "dot")].decode()
        assert "site-packages" not in dot and 'IMG SRC="/' not in dot and 'image="/' not in dot
    overview = files[diagram_file("overview", "dot")].decode()
    for sid in arch.services:  # node id = service id; edge id = connection id
        assert f'\t\t"{sid}" [' in overview or f"\t\t{sid} [" in overview
    for edge in arch.edges:
        assert f'id="{edge.id}"' in overview


def test_same_bytes_on_every_run(tmp_path: Path) -> None:
    path = ROOT / "examples" / "travel-booking.yaml"
    first = _draw(path, "prod")[1]
    again = _draw(path, "prod")[1]
    assert first == again
    outs = [tmp_path / "a", tmp_path / "b" / "deeper"]
    for out in outs:
        subprocess.run([ARCHC, "diagram", str(path), "--env", "prod", "--out", str(out)], check=True, capture_output=True, cwd=tmp_path)
    for view in DIAGRAM_VIEWS:
        for ext in ("dot", "svg", "png"):
            name = f"{view}.{ext}"
            assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes() == first[diagram_file(view, ext)]


def test_unknown_icon_falls_back_to_generic_with_a_warning(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(Users, "info", dataclasses.replace(Users.info, icon="aws.general.NoSuchIcon"))
    arch = pipeline.load(ROOT / "examples" / "udagram.yaml")
    with caplog.at_level(logging.WARNING, logger="archc"):
        sources = dot_sources(arch, emit(arch))
    assert caplog.messages == [
        "archc: warning: the diagrams library has no icon 'aws.general.NoSuchIcon'; drawing it with the generic icon 'aws.general.General'"
    ]
    assert f'IMG SRC="{icon(GENERIC_ICON).path}"' in sources["overview"]


def test_missing_dot_says_how_to_install_graphviz(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"  # node (cdktn's runtime) but no dot; archc's shebang names its python
    bin_dir.mkdir()
    (bin_dir / "node").symlink_to(shutil.which("node") or "/usr/bin/node")
    env = dict(os.environ, PATH=str(bin_dir))
    model = ROOT / "examples" / "udagram.yaml"
    for command in (["diagram", str(model)], ["build", str(model)]):
        done = subprocess.run([ARCHC, *command, "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", f"archc: error: {INSTALL_HINT}\n")
    assert not (tmp_path / "out").exists()


def test_archc_diagram_writes_only_the_figures(tmp_path: Path) -> None:
    done = subprocess.run(
        [ARCHC, "diagram", str(ROOT / "architecture.yaml"), "--out", "figs"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "architecture.yaml: drew 3 views into figs/\n" or done.stdout.endswith("drew 3 views into figs/\n")
    written = sorted(p.name for p in (tmp_path / "figs").iterdir() if not p.name.startswith("."))
    assert written == sorted(f"{v}.{ext}" for v in DIAGRAM_VIEWS for ext in ("dot", "png", "svg"))


def test_a_large_model_draws_one_summary_edge_per_layer_a_monitor_watches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from synthetic import model  # the bench's generator (bench/ is not a package)

    path = tmp_path / "synthetic-100.yaml"
    path.write_text(model(100, monitored=True))
    arch = pipeline.load(path)
    overview = dot_sources(arch, emit(arch))["overview"]
    monitoring = [e for e in arch.edges if e.source == "monitoring"]
    assert len(monitoring) == 90
    assert not any(f'id="{e.id}"' in overview for e in monitoring)  # no dashed line per service
    summaries = re.findall(r'label="([^"]+)" class="([^"]+)".*? id="(monitoring->layer:[a-z]+)" ltail=(\S+) style=dashed', overview)
    assert [(label, summary_id, cluster) for label, _, summary_id, cluster in summaries] == [
        ("monitors 10 services", "monitoring->layer:edge", "cluster_layer_edge"),  # all but the users
        ("monitors every service of the layer", "monitoring->layer:app", "cluster_layer_app"),
        ("monitors every service of the layer", "monitoring->layer:data", "cluster_layer_data"),
        ("monitors every service of the layer", "monitoring->layer:async", "cluster_layer_async"),
    ]
    assert sorted(i for _, covered, _, _ in summaries for i in covered.split()) == sorted(e.id for e in monitoring)
    request_edges = [e for e in arch.edges if e.source != "monitoring"]
    assert all(f'id="{e.id}"' in overview for e in request_edges)  # every other connection keeps its own edge


def test_sibling_layers_share_a_band_and_edges_leave_a_layer_from_its_last_row() -> None:
    arch = pipeline.load(ROOT / "examples" / "travel-booking.yaml", env="prod")
    layout = plan(arch, PER_RANK_TB)
    assert ["business-logic", "data"] in layout.bands  # nothing connects them: side by side under the application
    layer_of = {sid: svc.layer for sid, svc in arch.services.items()}
    for e in arch.edges:
        upper, lower = sorted((e.source, e.target), key=layout.rank.__getitem__)
        route = [layout.rank[upper], *(rank for _, rank in waypoints(layout, layer_of, upper, lower)), layout.rank[lower]]
        if layer_of[upper] != layer_of[lower]:  # the segment between layers starts on the last row, ends on the first
            crossing = [(a, b) for a, b in itertools.pairwise(route) if a != b]
            assert any(a == layout.last_rank(layer_of[upper]) and b == layout.first_rank(layer_of[lower]) for a, b in crossing), e.id


def test_an_empty_layer_between_siblings_is_drawn_as_an_empty_frame(tmp_path: Path) -> None:
    # Found by the property tests: a band holding a layer with no services yet crashed the ordering edges.
    path = tmp_path / "empty-layer.yaml"
    path.write_text(
        "name: sketch\nregion: eu-west-3\nlayers:\n"
        "- name: support\n  services:\n    store: {kind: s3}\n    cluster: {kind: ecs-cluster}\n"
        "- name: later\n"
        "- name: edge\n  services:\n    site: {kind: users}\n"
        "connections:\n- {from: site, to: cluster}\n"
    )
    arch = pipeline.load(path)
    layout = plan(arch, PER_RANK_TB)
    assert layout.rows["later"] == []
    overview = dot_sources(arch, emit(arch))["overview"]
    assert "subgraph cluster_layer_later" in overview


def test_figures_drawn_in_the_background_match_and_outlive_no_error() -> None:
    from compiler.diagrams import diagrams_in_background

    path = ROOT / "examples" / "udagram.yaml"
    arch = pipeline.load(path, "examples/udagram.yaml")
    stack = emit(arch)
    with diagrams_in_background(arch, stack) as drawn:
        background = drawn()
    assert background == render_diagrams(arch, stack)
    with pytest.raises(RuntimeError, match="synthesis failed"), diagrams_in_background(arch, stack):
        raise RuntimeError("synthesis failed")
    # the block waited for its `dot` processes: none is left running or unreaped
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    assert not [c for c in children if Path(f"/proc/{c}/comm").read_text().strip() == "dot"]


def _cached_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[str, ...]], Path]:
    """Point archc's caches at tmp_path; record every `dot` run."""
    import importlib
    import sys

    render = importlib.import_module("compiler.diagrams.render")  # the module, not the function it exports
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    runs: list[tuple[str, ...]] = []
    real_dot = render._dot

    def counting(source: str, *args: str) -> bytes:
        runs.append(args)
        return real_dot(source, *args)

    monkeypatch.setattr(render, "_dot", counting)
    return runs, tmp_path / "venv" / "var" / "cache" / "archc-figures"


def test_an_unchanged_figure_is_not_drawn_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from compiler.diagrams.render import render

    runs, folder = _cached_render(tmp_path, monkeypatch)
    arch = pipeline.load(ROOT / "examples" / "udagram.yaml", "examples/udagram.yaml")
    source = dot_sources(arch, emit(arch))["overview"]
    first = render(source)
    assert len(runs) == 2  # SVG, then PNG
    assert render(source) == first and len(runs) == 2  # kept: no `dot` at all
    assert sorted(p.suffix for p in folder.iterdir()) == [".png", ".svg"]
    render(source.replace("Udagram", "Udagram 2", 1))  # other DOT text: drawn, and kept beside
    assert len(runs) == 4 and len(list(folder.iterdir())) == 4
    monkeypatch.setenv("ARCHC_NO_CACHE", "1")
    assert render(source) == first and len(runs) == 6  # caches off: drawn again, same bytes


def test_the_key_covers_icons_and_the_dot_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from compiler.diagrams import figure_cache

    source = 'digraph { a [label=<<IMG SRC="aws/general/users.png"/>>] }'
    dot = shutil.which("dot")
    assert dot is not None
    key = figure_cache.figure_key(source, dot)
    assert figure_cache.figure_key(source, dot) == key
    monkeypatch.setattr(figure_cache, "icon_bytes", lambda path: b"another icon")
    assert figure_cache.figure_key(source, dot) != key
    monkeypatch.undo()
    fake_dot = tmp_path / "dot"
    fake_dot.write_bytes(Path(dot).read_bytes())
    assert figure_cache.figure_key(source, str(fake_dot)) != key


def test_only_the_newest_figures_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from compiler.diagrams import figure_cache

    _, folder = _cached_render(tmp_path, monkeypatch)
    monkeypatch.setattr(figure_cache, "MAX_FIGURES", 2)
    for n in range(3):
        figure_cache.keep_figure(f"k{n}", b"<svg/>", PNG_MAGIC)
        os.utime(folder / f"k{n}.png", ns=(n * 10**9, n * 10**9))  # k0 oldest
    figure_cache.keep_figure("k3", b"<svg/>", PNG_MAGIC)
    assert sorted(p.name for p in folder.iterdir()) == ["k2.png", "k2.svg", "k3.png", "k3.svg"]
    assert figure_cache.load_figure("k2") == (b"<svg/>", PNG_MAGIC)
    assert figure_cache.load_figure("k0") is None


def test_a_cache_that_cannot_be_written_still_draws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from compiler.diagrams.render import render

    (tmp_path / "file").write_text("")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "file"))  # no cache folder can be made under a file
    svg, png = render("digraph { a -> b }")
    assert svg.startswith(b"<?xml") and png.startswith(PNG_MAGIC)


def test_settings_that_name_services_are_drawn_and_listed_on_both_pages(tmp_path: Path) -> None:
    """waf `protects`, alb `access_logs`: relationships without a connection still show."""
    model = tmp_path / "model.yaml"
    model.write_text(
        "name: shop\nregion: eu-west-1\nlayers:\n  - name: edge\n    services:\n"
        "      fw: {kind: waf, protects: [lb]}\n"
        "      lb: {kind: alb, access_logs: logs, listeners: http, reasons: {listeners: test}}\n"
        "  - name: app\n    services:\n      web: {kind: ec2}\n      logs: {kind: s3, purpose: logs}\n"
        "connections:\n  - lb -> web\n"
    )
    files = pipeline.build(model, "model.yaml").files
    dot = files["diagrams/overview.dot"].decode()
    assert re.search(r'lb -> logs \[label="access logs"[^\]]*id="lb-\[access_logs\]->logs" style=dashed', dot), dot
    assert re.search(r'fw -> lb \[label=protects[^\]]*id="fw-\[protects\]->lb" style=dashed', dot), dot
    logs_page = files["docs/services/logs.md"].decode()
    assert "No connection reaches this service; settings of other services name it (below)." in logs_page
    assert "| [Application Load Balancer](lb.md) | `access_logs` | this service | access logs |" in logs_page
    assert "| this service | `access_logs` | [Amazon S3](logs.md) | access logs |" in files["docs/services/lb.md"].decode()
