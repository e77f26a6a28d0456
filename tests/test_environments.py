"""Environments (issue 19, slice 1): one model, a deep-merge overlay per environment.

The merge itself, positions that point at the overlay, the build of every environment
into DIR/<env>/, ``--env`` on the commands, and ``archc explain --env PATH``. The error
texts of bad overlays are in the bad-input corpus (tests/bad/env-*.yaml).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import environments, pipeline
from compiler.cli import main
from compiler.errors import ArchcError
from compiler.loader import parse_bytes

MODEL = """\
name: shop
region: eu-west-3
tags:
  team: web
layers:
  - name: app
    services:
      fn:
        kind: lambda
        runtime: python3.12
  - name: data
    services:
      db:
        kind: rds
        engine: postgres
        instance_class: db.t3.micro
connections:
  - fn -> db
environments:
  dev:
  prod:
    region: eu-central-1
    tags:
      team: platform
    network:
      nat: per-az
    layers:
      data:
        services:
          db:
            instance_class: db.r6g.large
            engine: null
"""


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text(MODEL)
    return tmp_path / "m.yaml"


def _env(name: str | None) -> environments.Environment:
    return environments.select(parse_bytes(MODEL.encode(), "m.yaml"), name)


def test_overlay_merges_mappings_replaces_values_and_null_removes() -> None:
    prod = _env("prod")
    data = prod.doc.data
    assert "environments" not in data
    assert data["region"] == "eu-central-1"
    assert data["tags"] == {"team": "platform", "environment": "prod"}
    assert data["network"] == {"nat": "per-az"}
    db = data["layers"][1]["services"]["db"]
    assert db == {"kind": "rds", "instance_class": "db.r6g.large"}  # engine: null -> archc's default
    assert data["layers"][0] == _env(None).doc.data["layers"][0]  # untouched layers are the base's


def test_each_environment_deploys_under_its_own_name() -> None:
    assert _env("dev").doc.data["name"] == "shop-dev"
    assert _env("prod").doc.data["name"] == "shop-prod"
    assert _env(None).doc.data["name"] == "shop"  # the base: no environment


def test_values_the_overlay_sets_keep_the_overlay_positions() -> None:
    prod = _env("prod")
    path = ("layers", 1, "services", "db", "instance_class")
    assert prod.doc.pos(path) == (31, 29)  # the overlay's line, not the base's 16
    assert prod.base.pos(path) == (16, 25)
    assert path in prod.overlay_paths
    assert prod.doc.pos(("layers", 1, "services", "db", "engine")) == (14, 9)  # removed: its nearest parent, the base's db
    assert ("layers", 1, "services", "db", "kind") not in prod.overlay_paths


def test_a_mistake_in_an_overlay_is_reported_at_its_line(tmp_path: Path) -> None:
    bad = MODEL.replace("instance_class: db.r6g.large", "instance_class: 12")
    (tmp_path / "bad.yaml").write_text(bad)
    with pytest.raises(ArchcError) as err:
        pipeline.load(tmp_path / "bad.yaml", "bad.yaml", "prod")
    assert [d.format() for d in err.value.diagnostics] == [
        "bad.yaml:31:29: error[type]: environment 'prod': 'instance_class' must be text, not a number (12)"
    ]


def test_a_model_with_environments_needs_env_where_one_is_built(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "m.yaml"]) == 1
    assert capsys.readouterr().err == "m.yaml:19:1: error[structure]: the model defines environments (dev, prod): choose one with --env\n"


def test_cost_prices_the_environment_chosen(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 20: archc cost --env E prices that environment (prod: a larger database, NAT per zone, another region)."""
    model.write_text(MODEL.replace("region: eu-central-1", "region: eu-west-1"))  # a region the price table covers
    reports = {}
    for env in ("dev", "prod"):
        assert main(["cost", "m.yaml", "--env", env, "--format", "json"]) == 0
        reports[env] = json.loads(capsys.readouterr().out)
    assert (reports["dev"]["architecture"], reports["dev"]["region"]) == ("shop-dev", "eu-west-3")
    assert (reports["prod"]["architecture"], reports["prod"]["region"]) == ("shop-prod", "eu-west-1")
    db = {env: next(s for s in r["services"] if s["service"] == "db") for env, r in reports.items()}
    assert 0 < db["dev"]["fixed"] < db["prod"]["fixed"]  # db.t3.micro, then db.r6g.large
    assert reports["dev"]["layers"]["network"] < reports["prod"]["layers"]["network"]  # one NAT gateway, then one per zone


def test_unknown_environment_is_an_error_at_environments(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "m.yaml", "--env", "prd"]) == 1
    assert capsys.readouterr().err == "m.yaml:19:1: error[unknown-key]: no environment 'prd' (defined: dev, prod); did you mean 'prod'?\n"


def test_env_on_a_model_without_environments(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text(MODEL.split("environments:")[0])
    assert main(["validate", "m.yaml", "--env", "prod"]) == 1
    assert capsys.readouterr().err == (
        "m.yaml:1:1: error[unknown-key]: no environment 'prod': "
        "the model defines no environments (add an 'environments:' section, or drop --env)\n"
    )
    assert main(["validate", "m.yaml"]) == 0
    assert capsys.readouterr().out == "m.yaml: ok (2 services, 1 connections)\n"


def test_environments_must_be_a_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text(MODEL.split("environments:")[0] + "environments: [dev, prod]\n")
    assert main(["validate", "m.yaml"]) == 1
    assert "m.yaml:19:15: error[structure]: 'environments' is a mapping of environment names" in capsys.readouterr().err


def test_validate_checks_every_environment(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "m.yaml"]) == 0
    assert capsys.readouterr().out == "m.yaml: ok (2 services, 1 connections; environments dev, prod)\n"


def test_build_writes_each_environment_into_its_directory(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "m.yaml", "--out", "out"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[1] for line in out] == [" built environment dev", " built environment prod"]
    for env, region, size in (("dev", "eu-west-3", "db.t3.micro"), ("prod", "eu-central-1", "db.r6g.large")):
        stack = json.loads((model.parent / "out" / env / "terraform" / "stacks" / f"shop-{env}" / "cdk.tf.json").read_text())
        assert stack["provider"]["aws"][0]["region"] == region
        assert stack["provider"]["aws"][0]["default_tags"][0]["tags"]["environment"] == env
        assert stack["resource"]["aws_db_instance"]["db"]["instance_class"] == size
        assert main(["verify", f"out/{env}"]) == 0  # each environment's outputs stand on their own
    assert main(["build", "m.yaml", "--env", "prod"]) == 0  # one environment: generated/<name>/<env>/
    assert (model.parent / "generated" / "shop" / "prod" / "archc-manifest.json").exists()
    assert not (model.parent / "generated" / "shop" / "dev").exists()


def test_explain_says_which_line_set_a_value(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "m.yaml", "--env", "prod", "layers.data.services.db"]) == 0
    assert capsys.readouterr().out == (
        'layers.data.services.db.kind = "rds"  (base at m.yaml:14:15)\n'
        'layers.data.services.db.instance_class = "db.r6g.large"  (environment prod\'s overlay at m.yaml:31:29; '
        'base: "db.t3.micro" at m.yaml:16:25)\n'
    )
    assert main(["explain", "m.yaml", "--env", "dev", "tags"]) == 0
    assert capsys.readouterr().out == ('tags.team = "web"  (base at m.yaml:4:9)\ntags.environment = "dev"  (archc, for environment dev)\n')
    assert main(["explain", "m.yaml", "--env", "prod", "name"]) == 0
    assert capsys.readouterr().out == 'name = "shop-prod"  (archc, for environment prod; base: "shop")\n'
    assert main(["explain", "m.yaml", "--env", "prod", "layers.data.services.db.engine"]) == 0
    assert capsys.readouterr().out == (
        'layers.data.services.db.engine = "postgres"  (archc\'s default: environment prod does not set it)\n'
    )


def test_explain_an_unknown_path(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "m.yaml", "--env", "prod", "network.nta"]) == 2
    assert capsys.readouterr().err == "archc: error: m.yaml has no service or model path 'network.nta'; did you mean 'nat'?\n"
    assert main(["explain", "m.yaml", "--env", "prod", "fnn"]) == 2
    assert capsys.readouterr().err == "archc: error: m.yaml has no service or model path 'fnn'; did you mean 'fn'?\n"


def test_a_model_without_environments_is_untouched() -> None:
    doc = parse_bytes(MODEL.split("environments:")[0].encode(), "m.yaml")
    assert environments.select(doc, None).doc is doc


def test_docs_show_the_environments_side_by_side(model: Path) -> None:
    assert main(["build", "m.yaml", "--out", "out"]) == 0
    index = (model.parent / "out" / "prod" / "docs" / "index.md").read_text()
    assert "This is environment `prod` of the model.\n" in index
    assert "| Setting | Base | `dev` | `prod` |\n" in index
    assert "| `layers.data.services.db.instance_class` | `db.t3.micro` |  | `db.r6g.large` |\n" in index
    assert "| `region` | `eu-west-3` |  | `eu-central-1` |\n" in index
    assert "| `layers.data.services.db.engine` | `postgres` |  |  |\n" not in index  # removed (null): shown as archc's default


def test_ci_reports_each_environment_and_what_is_stale_in_it(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "m.yaml"]) == 0
    capsys.readouterr()
    assert main(["ci", "m.yaml", "--no-plan", "--no-check"]) == 0
    summary = capsys.readouterr().out
    assert summary.startswith("## archc: 2 of 2 models passed\n\n### ✅ `m.yaml --env dev`\n")
    assert "Committed outputs in `generated/shop/dev/` match the model." in summary
    assert "### ✅ `m.yaml --env prod`" in summary and "Committed outputs in `generated/shop/prod/` match the model." in summary
    out = model.parent / "generated" / "shop"
    (out / "prod" / "docs" / "index.md").write_text("edited\n")
    (out / "atlantis.yaml").write_text("edited\n")
    assert main(["ci", "m.yaml", "--no-plan", "--no-check"]) == 1
    dev, prod = capsys.readouterr().out.split("### ❌ `m.yaml --env prod`")
    rebuild = "are stale**: rebuild with `archc build m.yaml` and commit."  # every environment at once
    assert f"in `generated/shop/dev/` {rebuild}\n\n- 1 changed: `../atlantis.yaml`\n" in dev  # beside the environments: told once
    assert f"in `generated/shop/prod/` {rebuild}\n\n- 1 changed: `docs/index.md`\n" in prod


def test_side_by_side_shows_archc_defaults_and_a_written_list_as_one_setting() -> None:
    dev = "  dev:\n    layers:\n      app:\n        services:\n          fn: {memory_mb: 512}\n"
    text = MODEL.replace("  dev:\n", dev)
    azs = "      azs: [eu-central-1a, eu-central-1b]\n"
    text = text.replace("    network:\n      nat: per-az\n", "    network:\n      nat: per-az\n" + azs, 1)
    rows = {row.path: row for row in environments.side_by_side(parse_bytes(text.encode(), "m.yaml"))}
    memory = rows["layers.app.services.fn.memory_mb"]
    assert (memory.base, memory.default, memory.values) == ("256", True, (("dev", "512"), ("prod", "")))  # archc's default
    assert rows["network.azs"].values == (("dev", ""), ("prod", "[eu-central-1a, eu-central-1b]"))  # a list replaces: one row
    assert "network.azs.0" not in rows
    assert list(rows).index("layers.app.services.fn.memory_mb") < list(rows).index("layers.data.services.db.instance_class")  # model order


def test_docs_site_has_each_environment_as_an_architecture(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "m.yaml", "--out", "site"]) == 0
    assert capsys.readouterr().out == "docs site for 2 architectures in site/ (open index.html)\n"
    home = (model.parent / "site" / "index.html").read_text()
    for env in ("dev", "prod"):
        assert (model.parent / "site" / f"shop-{env}" / "docs" / "index.html").is_file()
        assert f"Shop {env.title()}</a>" in home  # the title archc makes of the environment's name


def test_build_reports_every_environments_errors_as_validate_does(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by test_properties: build stopped at the first broken environment, validate showed all."""
    model.write_text(MODEL.replace("  dev:\n", "  dev:\n    region: mars-1\n").replace("region: eu-central-1", "region: venus-2"))
    assert main(["validate", "m.yaml"]) == 1
    validated = capsys.readouterr().err
    assert main(["build", "m.yaml", "--out", "out"]) == 1
    assert capsys.readouterr().err == validated
    assert validated.count("error[value]: environment 'dev'") == 1 and validated.count("environment 'prod'") == 1
    assert not Path("out").exists()


def test_one_environment_rebuilds_into_a_build_of_every_environment(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """build (every environment), then build --env dev: DIR/dev/ is archc's, replaced in place, no second marker."""
    assert main(["build", "m.yaml", "--out", "out"]) == 0
    before = {p.relative_to("out"): p.read_bytes() for p in sorted(Path("out").rglob("*")) if p.is_file()}
    assert main(["build", "m.yaml", "--env", "dev", "--out", "out/dev"]) == 0
    after = {p.relative_to("out"): p.read_bytes() for p in sorted(Path("out").rglob("*")) if p.is_file()}
    assert after == before
