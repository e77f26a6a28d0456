"""`archc plan --provider real`: how the provider is found (Terraform's places, the
CLI config archc writes, credentials, the relaxed pin, one init per run), and the one
line a user gets when there is none. The runs with the real provider: test_plan_real.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.plan.engine import _scratch_copies, _steps
from compiler.plan.real_provider import (
    RealRun,
    cli_config,
    exact_version,
    find_provider,
    has_credentials,
    install_failure,
    platform_name,
)
from compiler.plan.tf_worker import shared_init
from tests.conftest import ROOT

REAL_FIXTURES = Path(__file__).parent / "fixtures" / "plan" / "real"
AWS = "registry.terraform.io/hashicorp/aws"
_CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE")


# --- no provider: one line, exit 2 ---------------------------------------------


def test_no_provider_anywhere_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    home, share = tmp_path / "home", tmp_path / "share"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_DIRS", str(share))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "missing.tfrc"))  # as preset on our machines
    for var in ("XDG_DATA_HOME", "TF_PLUGIN_CACHE_DIR", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # the registry cannot be reached
    status = main(["plan", str(ROOT / "examples" / "udagram.yaml"), "--out", str(tmp_path / "out"), "--provider", "real"])
    out = capsys.readouterr()
    assert status == 2
    assert out.err == (
        "archc: error: --provider real: no hashicorp/aws provider found; Terraform looked in ~/.terraform.d/plugins, "
        f"~/.local/share/terraform/plugins, {share}/terraform/plugins and registry.terraform.io (not reachable); "
        "name a directory holding it (Terraform mirror layout) with --plugin-dir DIR\n"
    )
    assert "validate ok" not in out.out


def test_missing_plugin_dir_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plugin = tmp_path / "plugins"
    status = main(
        ["plan", str(ROOT / "examples" / "udagram.yaml"), "--out", str(tmp_path / "out"), "--provider", "real", "--plugin-dir", str(plugin)]
    )
    assert status == 2
    expected = (
        f"archc: error: --provider real: no hashicorp/aws provider found; Terraform looked in {plugin} (--plugin-dir: no such directory)\n"
    )
    assert capsys.readouterr().err == expected


def test_plugin_dir_needs_provider_real(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "model.yaml", "--plugin-dir", "/x"]) == 2
    assert capsys.readouterr().err == "archc: error: --plugin-dir needs --provider real\n"


# --- how the provider is found (no Terraform run) ---------------------------------


def _mirror(root: Path, *versions: str, packed: bool = False) -> Path:
    for version in versions:
        base = root / AWS
        if packed:
            base.mkdir(parents=True, exist_ok=True)
            (base / f"terraform-provider-aws_{version}_{platform_name()}.zip").write_bytes(b"")
        else:
            (base / version / platform_name()).mkdir(parents=True)
    return root


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_DATA_DIRS": str(tmp_path / "share"), **extra}


def test_implied_mirrors_are_searched_under_home_and_data_dirs(tmp_path: Path) -> None:
    _mirror(tmp_path / "home" / ".local" / "share" / "terraform" / "plugins", "5.100.0", "5.9.0")
    _mirror(tmp_path / "share" / "terraform" / "plugins", "6.69.1", packed=True)
    source = find_provider(None, _env(tmp_path))
    assert [(m.path.relative_to(tmp_path).as_posix(), m.versions) for m in source.mirrors] == [
        ("home/.local/share/terraform/plugins", ("5.100.0", "5.9.0")),
        ("share/terraform/plugins", ("6.69.1",)),
    ]
    assert source.registry and source.plugin_dir is None and source.user_config is None
    assert source.version_for("6.69.1") == "6.69.1"  # the pin, when on disk
    assert source.version_for("6.70.0") == "6.69.1"  # else the highest
    assert _mirror(tmp_path / "empty", "5.1.0") and find_provider(None, _env(tmp_path / "none")).version_for("6.69.1") is None


def test_plugin_cache_is_read_as_a_mirror(tmp_path: Path) -> None:
    cache = _mirror(tmp_path / "cache", "5.100.0")
    source = find_provider(None, _env(tmp_path, TF_PLUGIN_CACHE_DIR=str(cache)))
    assert [(m.path, m.what) for m in source.mirrors] == [(cache, "plugin cache")]
    # Terraform refuses to install from its cache into that same cache: a scratch cache.
    assert f'plugin_cache_dir = "{tmp_path}/scratch-cache"' in cli_config(source, tmp_path / "scratch-cache")


def test_user_cli_config_with_provider_installation_is_used_as_is(tmp_path: Path) -> None:
    mirror = _mirror(tmp_path / "mirror", "5.100.0")
    hcl = tmp_path / "user.tfrc"
    hcl.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n  direct {{}}\n}}\n')
    source = find_provider(None, _env(tmp_path, TF_CLI_CONFIG_FILE=str(hcl)))
    assert (source.user_config, [m.path for m in source.mirrors], source.registry) == (hcl, [mirror], False)
    as_json = tmp_path / "user.tfrc.json"
    as_json.write_text(json.dumps({"provider_installation": [{"filesystem_mirror": [{"path": str(mirror)}]}]}))
    assert [m.path for m in find_provider(None, _env(tmp_path, TF_CLI_CONFIG_FILE=str(as_json))).mirrors] == [mirror]
    # A TF_CLI_CONFIG_FILE that does not exist hides ~/.terraformrc, as in Terraform.
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".terraformrc").write_text(hcl.read_text())
    assert find_provider(None, _env(tmp_path, TF_CLI_CONFIG_FILE=str(tmp_path / "missing"))).user_config is None
    assert find_provider(None, _env(tmp_path)).user_config == tmp_path / "home" / ".terraformrc"


def test_generated_cli_config_names_the_mirrors(tmp_path: Path) -> None:
    mirror = _mirror(tmp_path / "home" / ".terraform.d" / "plugins", "5.100.0")
    assert cli_config(find_provider(None, _env(tmp_path)), tmp_path / "c") == (
        "# archc plan --provider real: where hashicorp/aws is installed from (compiler/plan/real_provider.py)\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        f'    include = ["{AWS}"]\n'
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{AWS}"]\n'
        "  }\n"
        "}\n"
        f'plugin_cache_dir = "{tmp_path}/c"\n'
    )
    nothing = find_provider(None, _env(tmp_path / "elsewhere"))
    assert "  direct {\n  }\n" in cli_config(nothing, tmp_path / "c")


def test_credentials_decide_whether_plan_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not has_credentials(_env(tmp_path))
    for var in _CREDENTIAL_VARS:
        assert has_credentials(_env(tmp_path, **{var: "x"}))
    shared = tmp_path / "credentials"
    shared.write_text("[default]\n")
    assert has_credentials(_env(tmp_path, AWS_SHARED_CREDENTIALS_FILE=str(shared)))
    (tmp_path / "home" / ".aws").mkdir(parents=True)
    (tmp_path / "home" / ".aws" / "credentials").write_text("[default]\n")
    assert has_credentials(_env(tmp_path))

    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE", raising=False)
    for var in _CREDENTIAL_VARS:
        monkeypatch.delenv(var, raising=False)
    without = RealRun.prepare(tmp_path / "plugins", tmp_path / "w1")
    assert not without.credentials and without.env["HOME"] == str(tmp_path / "w1" / "home")
    assert [s[0] for s in _steps(False, without)] == ["init", "validate"]
    assert _steps(False, without)[0][-2:] == ["-plugin-dir", str(tmp_path / "plugins")]
    monkeypatch.setenv("AWS_PROFILE", "dev")
    with_credentials = RealRun.prepare(None, tmp_path / "w2")
    # The provider reads ~/.aws (an SSO profile's token cache too): the user's HOME.
    assert with_credentials.credentials and with_credentials.env["HOME"] == str(tmp_path / "user")
    assert [s[0] for s in _steps(False, with_credentials)] == ["init", "validate", "plan"]
    assert [s[0] for s in _steps(True, with_credentials)] == ["init", "validate"]


def test_pin_relaxed_in_the_scratch_copy_only(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(REAL_FIXTURES / "stacks" / "long_prefix", stack)
    original = (stack / "cdk.tf.json").read_bytes()
    run = RealRun(find_provider(_mirror(tmp_path / "m", "5.100.0"), {}), {}, credentials=False)
    assert run.pin(stack) == "provider hashicorp/aws 5.100.0 found, archc pins 6.69.1: constraint relaxed in the scratch copy"
    assert json.loads((stack / "archc_plan_override.tf.json").read_text())["terraform"]["required_providers"] == {
        "aws": {"source": "hashicorp/aws", "version": "5.100.0"}
    }
    assert (stack / "cdk.tf.json").read_bytes() == original  # lines unchanged: diagnostics stay located
    same = RealRun(find_provider(_mirror(tmp_path / "m2", "6.69.1"), {}), {}, credentials=False)
    assert same.pin(stack) is None
    assert "required_providers" not in json.loads((stack / "archc_plan_override.tf.json").read_text())["terraform"]
    assert (exact_version("= 6.69.1"), exact_version("~> 6.0"), exact_version(None)) == ("6.69.1", None, None)


def test_install_failure_reasons() -> None:
    prefix = "Could not retrieve the list of available versions for provider"

    def init_out(detail: str) -> str:
        diag = {"severity": "error", "summary": "Failed to query available provider packages", "detail": detail}
        return json.dumps({"type": "diagnostic", "diagnostic": diag}) + "\n"

    assert install_failure(init_out(f"{prefix} hashicorp/aws: could not connect to registry.terraform.io: x")) == "not reachable"
    other = f"{prefix} hashicorp/aws: no available releases match the given constraints 6.69.1"
    assert install_failure(init_out(other)) == "no available releases match the given constraints 6.69.1"
    assert install_failure(init_out(f"{prefix} hashicorp/random: x")) is None


def test_stacks_with_the_same_providers_share_one_init(tmp_path: Path) -> None:
    root = tmp_path / "terraform" / "stacks"
    for name in ("a", "b", "c"):
        shutil.copytree(REAL_FIXTURES / "stacks" / "long_prefix", root / name)
    other = json.loads((root / "c" / "cdk.tf.json").read_text())
    other["terraform"]["required_providers"]["random"] = {"source": "hashicorp/random"}
    (root / "c" / "cdk.tf.json").write_text(json.dumps(other))
    run = RealRun(find_provider(_mirror(tmp_path / "m", "6.69.1"), {}), {}, credentials=False)
    prepared = _scratch_copies({n: root / n for n in ("a", "b", "c")}, tmp_path / "w", validate_only=True, real=run)
    a, b, c = prepared.jobs
    assert "init_by" not in a and b["init_by"] == a["dir"] and "init_by" not in c
    assert Path(a["dir"]).parent == Path(b["dir"]).parent != Path(c["dir"]).parent  # one data dir per group
    # In the worker: without the first stack's lock file, b runs its own init; with it, b skips init.
    assert shared_init(b) == ([], b["steps"])
    (Path(a["dir"]) / ".terraform.lock.hcl").write_text("# lock\n")
    done, steps = shared_init(b)
    assert [d["argv"][0] for d in done] == ["init"] and steps == b["steps"][1:]
    assert (Path(b["dir"]) / ".terraform.lock.hcl").read_text() == "# lock\n"
