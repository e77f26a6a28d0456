"""Figures of models above the node budget: an overview of layers, one detail view per
layer, the network grouped by kind, the request path packed; every service and
connection still drawn somewhere, as `archc verify` checks; the docs link it all."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import pipeline
from compiler.cli import main
from compiler.diagrams import dot_sources, layers, render_diagrams
from compiler.diagrams.render import render
from compiler.ir import Architecture
from compiler.manifest import diagram_ids, drawn_views, home_view, svg_ids
from compiler.outputs import write_tree
from compiler.terraform.emit import emit
from tests.conftest import ROOT
from tests.modelgen import dump, valid_models


def synthetic(services: int, monitored: bool = False) -> str:
    """A model text from the bench's generator (bench/ is not a package)."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from synthetic import model
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return str(model(services, monitored))


@pytest.fixture(scope="module")
def thousand(tmp_path_factory: pytest.TempPathFactory) -> tuple[Architecture, dict[str, str]]:
    """The bench's 1,000-service model and the DOT text of its views."""
    path = tmp_path_factory.mktemp("synthetic") / "synthetic-1000.yaml"
    path.write_text(synthetic(1000))
    arch = pipeline.load(path)
    return arch, dot_sources(arch, emit(arch))


def test_a_large_model_gets_a_layer_overview_and_a_view_per_layer(thousand: tuple[Architecture, dict[str, str]]) -> None:
    arch, views = thousand
    assert list(views) == ["overview", "network", "data-flow", "layers/edge", "layers/app", "layers/data", "layers/async"]
    overview = views["overview"]
    assert re.findall(r'^\t"(layer\.[a-z]+)" \[', overview, re.MULTILINE) == ["layer.edge", "layer.app", "layer.data", "layer.async"]
    assert not diagram_ids(overview)[0] & set(arch.services)  # no service one by one
    aggregated = re.findall(r'label="(\d+ connections)"[^\]]*id="(layer:[a-z]+->layer:[a-z]+)"', overview)
    assert sorted(aggregated) == [
        ("100 connections", "layer:app->layer:async"),
        ("100 connections", "layer:async->layer:app"),
        ("100 connections", "layer:edge->layer:app"),
        ("300 connections", "layer:app->layer:data"),
    ]
    assert 'href="layers/app.svg"' in overview  # a layer's node opens its detail view
    assert "100 × Application" in overview and "101 services · 100 connections inside" in overview


def test_each_service_is_drawn_in_its_layers_view_and_each_connection_in_its_sources(
    thousand: tuple[Architecture, dict[str, str]],
) -> None:
    arch, views = thousand
    ids = {view: diagram_ids(text) for view, text in views.items()}
    for sid, svc in arch.services.items():
        assert sid in ids[f"layers/{svc.layer}"][0], sid
    for edge in arch.edges:
        assert edge.id in ids[f"layers/{arch.services[edge.source].layer}"][1], edge.id
    # users calls 100 load balancers: one edge to the layer, standing for all of them
    fan = re.search(r'label="to 100 services"[^\]]*class="([^"]+)"[^\]]*id="users->layer:edge"', views["layers/edge"])
    assert fan is not None and len(fan.group(1).split()) == 100


def test_large_views_are_laid_out_without_rank_constraints_or_orthogonal_routing(thousand: tuple[Architecture, dict[str, str]]) -> None:
    """What made dot take minutes: rows pinned with rank=same across clusters (measured in
    layers.py). The gridded views have neither (their grid is invisible edges, as
    dot's pack=true drops edge labels); no view routes with splines=ortho."""
    _, views = thousand
    for view, text in views.items():
        assert "ortho" not in text, view
        if view.startswith("layers/") or view == "data-flow":
            assert "rank=same" not in text and "subgraph cluster" not in text and "pack" not in text, view
            assert "[style=invis]" in text, view


def test_a_large_layer_view_renders_every_node_and_edge(thousand: tuple[Architecture, dict[str, str]]) -> None:
    arch, views = thousand
    dot_nodes, dot_edges = diagram_ids(views["layers/app"])
    svg = render(views["layers/app"])[0].decode()
    assert render(views["layers/app"])[0].decode() == svg  # the same bytes every time
    svg_nodes, svg_edges = svg_ids(svg)
    app = {sid for sid, svc in arch.services.items() if svc.layer == "app"}
    assert app <= svg_nodes and dot_nodes <= svg_nodes
    assert {e for e in dot_edges if "layer:" not in e} <= svg_edges
    assert svg.count(">TCP 5432</text>") == 100  # every edge keeps its label
    assert svg.count("<symbol ") == 3 and svg.count("<use ") == len(app)  # each kind's icon embedded once


def test_the_network_view_counts_services_per_kind_in_each_place(thousand: tuple[Architecture, dict[str, str]]) -> None:
    _, views = thousand
    network = views["network"]
    assert "200 × Amazon ECS service" in network and '"private.ecs-service"' in network
    assert re.search(r'"private\.ecs-service" -> "isolated\.rds" \[label="100 × 5432"', network)
    assert 'href="../docs/network.md#subnets"' in network


def test_the_request_path_is_packed_with_one_edge_for_a_fan(thousand: tuple[Architecture, dict[str, str]]) -> None:
    _, views = thousand
    flow = views["data-flow"]
    assert re.search(r'label="steps 1–100 · to 100 services"[^\]]*id="users->layer:edge"', flow)
    assert '"c0-lb" -> "c0-web"' in flow  # every other step keeps its own edge


def test_the_same_dot_text_on_every_run(thousand: tuple[Architecture, dict[str, str]]) -> None:
    arch, views = thousand
    assert dot_sources(arch, emit(arch)) == views


# -- a real build with a small budget: verify and the docs ---------------------------------


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layers, "NODE_BUDGET", 3)  # udagram's 5 services are "large"


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_budget: None) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "examples" / "udagram.yaml", tmp_path)
    write_tree(tmp_path / "out", pipeline.build(Path("udagram.yaml"), "udagram.yaml").files)
    return tmp_path / "out"


def test_verify_counts_a_service_drawn_in_its_layers_view(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sorted(p.name for p in (built / "diagrams" / "layers").iterdir() if p.suffix == ".dot") == [
        "backend.dot",
        "clients.dot",
        "data.dot",
        "frontend.dot",
    ]
    assert "\tmedia [" not in (built / "diagrams" / "overview.dot").read_text()  # only layers there
    assert main(["verify", "out"]) == 0, capsys.readouterr().err
    manifest = (built / "archc-manifest.json").read_text()
    assert '"views": [\n          "layers/backend",\n          "layers/data"\n        ]' in manifest  # api->media: both ends' views


def test_verify_catches_a_service_missing_from_its_layers_view(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dot = built / "diagrams" / "layers" / "data.dot"
    dot.write_text("".join(line for line in dot.read_text().splitlines(keepends=True) if not re.search(r"^\s*media \[| -> media ", line)))
    assert main(["verify", "out"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "out/diagrams/layers/data.dot:1:1: error[verify]: edited by hand: its content differs from what archc build wrote",
        "out/diagrams/layers/data.dot:1:1: error[verify]: service 'media' is missing (no node 'media')",
        "out/diagrams/layers/data.dot:1:1: error[verify]: connection api->media is missing (no edge with id 'api->media')",
    ]


def test_verify_catches_a_connection_missing_from_its_sources_view(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg = built / "diagrams" / "layers" / "backend.svg"
    svg.write_text(svg.read_text().replace('<g id="api&#45;&gt;db" class="edge">', "<g>"))
    assert main(["verify", "out"]) == 1
    assert capsys.readouterr().err.splitlines()[1:] == [
        "out/diagrams/layers/backend.svg:1:1: error[verify]: connection api->db is missing (no edge with id 'api->db')"
    ]


def test_layer_pages_show_their_figure_and_the_site_links_resolve(tmp_path: Path, small_budget: None) -> None:
    from compiler.docs.site import build_site

    result = pipeline.build(ROOT / "examples" / "udagram.yaml", "examples/udagram.yaml")
    page = result.files["docs/layers/data.md"].decode()
    assert "[![Data of Udagram](../../diagrams/layers/data.svg)](../../diagrams/layers/data.svg)" in page
    site = build_site([(result.arch, result.files)])  # strict: a broken Markdown link fails
    figure = site["udagram/diagrams/layers/backend.svg"].decode()
    links = re.findall(r'xlink:href="([^"#]+)[^"]*"', figure)
    assert "../../docs/services/api.html" in links
    for link in links:
        if not link.startswith("data:"):
            assert f"udagram/{_resolve('diagrams/layers', link)}" in site, link
    overview = site["udagram/diagrams/overview.svg"].decode()
    assert 'xlink:href="layers/backend.svg"' in overview and "udagram/diagrams/layers/backend.svg" in site


def _resolve(folder: str, link: str) -> str:
    import posixpath

    return posixpath.normpath(posixpath.join(folder, link))


def test_a_model_within_the_budget_keeps_its_one_overview() -> None:
    arch = pipeline.load(ROOT / "examples" / "travel-booking.yaml", env="prod")
    files = render_diagrams(arch, emit(arch))
    assert not any(rel.startswith("diagrams/layers/") for rel in files)
    assert not layers.too_large(arch) and len(arch.services) <= layers.NODE_BUDGET


def test_verify_counts_connections_a_summary_edge_stands_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A monitor watching a layer is one edge whose class names the connections (below the
    budget too): verify once reported each of them missing."""
    path = tmp_path / "monitored.yaml"
    path.write_text(synthetic(20, monitored=True))
    files = pipeline.build(path, "monitored.yaml").files
    assert 'id="monitoring->layer:app"' in files["diagrams/overview.dot"].decode()
    write_tree(tmp_path / "out", files)
    assert main(["verify", str(tmp_path / "out")]) == 0, capsys.readouterr().err


@settings(deadline=None, derandomize=True, database=None, max_examples=25, suppress_health_check=list(HealthCheck))
@given(valid_models(), st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=4))
def test_any_model_above_a_budget_draws_each_service_in_its_home_view(model: dict[str, Any], budget: int, fan: int) -> None:
    """Random models (tests/modelgen.py) with a small budget and fan limit: every view is
    valid DOT that dot renders, and each service and connection is in its home view's SVG."""
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as m:
        m.setattr(layers, "NODE_BUDGET", budget)
        m.setattr(layers, "FAN_MAX", fan)
        m.setenv("ARCHC_NO_CACHE", "1")
        path = Path(tmp) / "model.yaml"
        path.write_text(dump(model))
        arch = pipeline.load(path)
        files = render_diagrams(arch, emit(arch))
    views = drawn_views(files)
    drawn = {view: svg_ids(files[f"diagrams/{view}.svg"].decode()) for view in views}
    for sid, svc in arch.services.items():
        assert sid in drawn[home_view(svc.layer, views)][0], (sid, dump(model))
    for edge in arch.edges:
        assert edge.id in drawn[home_view(arch.services[edge.source].layer, views)][1], (edge.id, dump(model))
