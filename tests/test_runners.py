"""Runner files (issue 19, slice 4): atlantis.yaml and Terramate stack files, parsed by
the runners' documented rules, in the order cdktn's manifest.json records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.cli import main
from tests.conftest import ROOT

STACKS = "stacks:\n  web: [clients, frontend]\n  app: [backend]\n  data: [data]\n"
ENVIRONMENTS = "environments:\n  dev:\n  prod:\n    region: eu-west-3\n"

# Atlantis repo-level config, version 3 (runatlantis.io/docs/repo-level-atlantis-yaml): the keys it defines.
TOP_KEYS = {"version", "automerge", "delete_source_branch_on_merge", "parallel_plan", "parallel_apply", "projects", "workflows"}
PROJECT_KEYS = {
    "name",
    "branch",
    "dir",
    "workspace",
    "execution_order_group",
    "depends_on",
    "delete_source_branch_on_merge",
    "repo_locking",
    "autoplan",
    "terraform_version",
    "apply_requirements",
    "workflow",
}
TERRAMATE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # terramate.io/docs/cli/stacks/configuration


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("runners")
    (where / "ud.yaml").write_text((ROOT / "examples" / "udagram.yaml").read_text() + STACKS + ENVIRONMENTS)
    assert main(["build", str(where / "ud.yaml"), "--out", str(where / "out")]) == 0
    return where / "out"


def _manifest_deps(build: Path) -> dict[str, set[str]]:
    manifest = json.loads((build / "terraform" / "manifest.json").read_text())
    return {name: set(stack["dependencies"]) for name, stack in manifest["stacks"].items()}


def _check_atlantis(root: Path, doc: dict[str, Any], model: Path) -> dict[str, dict[str, Any]]:
    assert doc["version"] == 3 and set(doc) <= TOP_KEYS
    projects = {p["name"]: p for p in doc["projects"]}
    assert len(projects) == len(doc["projects"]), "project names are unique"
    for project in projects.values():
        assert set(project) <= PROJECT_KEYS, set(project) - PROJECT_KEYS
        assert set(project["autoplan"]) <= {"enabled", "when_modified"}
        project_dir = root / project["dir"]
        assert (project_dir / "cdk.tf.json").is_file()
        watched = [m for m in project["autoplan"]["when_modified"] if m.endswith(".yaml")]
        assert watched and (project_dir / watched[0]).resolve() == model.resolve()  # paths are relative to the project dir
        for needed in project.get("depends_on", []):
            assert projects[needed]["execution_order_group"] < project["execution_order_group"]
    return projects


def test_atlantis_projects_per_stack_and_environment_in_the_manifest_order(out: Path) -> None:
    projects = _check_atlantis(out, yaml.safe_load((out / "atlantis.yaml").read_text()), out.parent / "ud.yaml")
    assert sorted(projects) == sorted(f"udagram-{env}-{stack}" for env in ("dev", "prod") for stack in ("shared", "web", "data", "app"))
    for env in ("dev", "prod"):
        deps = _manifest_deps(out / env)
        for stack, needed in deps.items():
            project = projects[f"udagram-{env}-{stack}"]
            assert project["dir"] == f"{env}/terraform/stacks/{stack}"
            assert set(project.get("depends_on", [])) == {f"udagram-{env}-{n}" for n in needed}
        assert projects[f"udagram-{env}-app"]["execution_order_group"] == 2
    own = yaml.safe_load((out / "prod" / "atlantis.yaml").read_text())  # each environment's build has its own
    assert [p["dir"] for p in _check_atlantis(out / "prod", own, out.parent / "ud.yaml").values()] == [
        f"terraform/stacks/{s}" for s in ("shared", "web", "data", "app")
    ]


def test_terramate_stack_files_order_as_the_manifest(out: Path) -> None:
    hcl2 = pytest.importorskip("hcl2")  # python-hcl2, installed with checkov
    for env in ("dev", "prod"):
        stacks = out / env / "terraform" / "stacks"
        deps = _manifest_deps(out / env)
        ids = set()
        for name, needed in deps.items():
            with (stacks / name / "stack.tm.hcl").open() as f:
                (raw,) = hcl2.load(f)["stack"]
            block = {k: _unwrapped(v) for k, v in raw.items()}
            assert TERRAMATE_ID.match(block["id"]) and block["id"] not in ids
            ids.add(block["id"])
            after = {(stacks / name / path).resolve() for path in block["after"]}
            assert after == {(stacks / n).resolve() for n in needed}
            assert all((p / "stack.tm.hcl").is_file() for p in after)
            assert (stacks / name / block["watch"][0]).resolve() == (out.parent / "ud.yaml").resolve()


def _unwrapped(value: Any) -> Any:
    """python-hcl2 before 4.x gives each attribute as a list of its one value."""
    if isinstance(value, list) and len(value) == 1 and (isinstance(value[0], (str, list))):
        return value[0]
    return value


def test_a_model_without_stacks_or_environments_writes_no_runner_file() -> None:
    files = set((ROOT / "generated" / "udagram" / "archc-manifest.json").read_text().split('"'))
    assert "atlantis.yaml" not in files
    assert not any(f.endswith("stack.tm.hcl") for f in files)


@pytest.mark.parametrize(("name", "envs"), [("road-warrior", [""]), ("travel-booking", ["dev/", "prod/"])])
def test_the_committed_examples_runner_files_follow_their_manifests(name: str, envs: list[str]) -> None:
    """What a team would point Atlantis at: the examples' own atlantis.yaml (every
    environment's stacks from generated/<name>/), against each build's manifest order."""
    root = ROOT / "generated" / name
    projects = _check_atlantis(root, yaml.safe_load((root / "atlantis.yaml").read_text()), ROOT / "examples" / f"{name}.yaml")
    expected = set()
    for env in envs:
        for stack, needed in _manifest_deps(root / env).items():
            project = next(p for p in projects.values() if p["dir"] == f"{env}terraform/stacks/{stack}")
            assert {projects[d]["dir"] for d in project.get("depends_on", [])} == {f"{env}terraform/stacks/{n}" for n in needed}
            expected.add(project["name"])
    assert set(projects) == expected
    if name == "road-warrior":
        assert len(projects) == 6 and projects["road-warrior-monitoring"]["execution_order_group"] == 3
