"""The real hashicorp/aws provider for `archc plan --provider real`, found as Terraform finds it.

Terraform installs a provider from, in this order of preference: the directory given
to `init -plugin-dir` (then nothing else); the `provider_installation` block of the
user's CLI config (`TF_CLI_CONFIG_FILE`, else `~/.terraformrc`); otherwise its implied
local mirrors (`~/.terraform.d/plugins`, `$XDG_DATA_HOME/terraform/plugins`,
`<each $XDG_DATA_DIRS>/terraform/plugins`) for the providers they hold, and the
registry for the rest. A plugin cache (`TF_PLUGIN_CACHE_DIR`, `plugin_cache_dir`)
only saves downloads there; archc also reads it as a mirror, so a provider cached
once installs offline.

`find_provider` looks in the same places (with the caller's real HOME) and says
which hashicorp/aws versions sit on disk; `cli_config` writes the CLI config Terraform
then runs with, with those places named explicitly, because Terraform's HOME is a
scratch dir unless credentials need the real one (see `use_real_home`).
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from compiler.plan import processes, scratch
from compiler.plan.diagnostics import stream_diagnostics
from compiler.plan.model import PlanEngineUnavailable

AWS = "registry.terraform.io/hashicorp/aws"
REGISTRY = "registry.terraform.io"
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_PACKED = re.compile(r"^terraform-provider-aws_(\d+\.\d+\.\d+)_([a-z0-9]+_[a-z0-9]+)\.zip$")
_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386", "i686": "386", "armv7l": "arm"}
# HCL of a CLI config: good enough for the settings archc reads (it never rewrites the file).
_HCL_INSTALLATION = re.compile(r"^\s*provider_installation\s*\{", re.MULTILINE)
_HCL_MIRROR_PATH = re.compile(r"filesystem_mirror\s*\{[^}]*?\bpath\s*=\s*\"([^\"]+)\"", re.DOTALL)
_HCL_CACHE_DIR = re.compile(r"^\s*plugin_cache_dir\s*=\s*\"([^\"]+)\"", re.MULTILINE)
# Where AWS credentials come from without a call to AWS (instance roles cannot be seen
# offline: set AWS_PROFILE or a key there).
_CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


@dataclass(frozen=True)
class Mirror:
    """A local directory in Terraform's mirror layout that holds hashicorp/aws."""

    path: Path
    versions: tuple[str, ...]  # for this platform, highest first
    what: str  # how it was found, e.g. "--plugin-dir", "TF_PLUGIN_CACHE_DIR"


@dataclass(frozen=True)
class ProviderSource:
    """Where `terraform init` will look for hashicorp/aws."""

    looked: tuple[str, ...]  # every place, as shown to the user
    mirrors: tuple[Mirror, ...]  # the places that hold hashicorp/aws
    plugin_dir: Path | None  # `init -plugin-dir`: only there
    user_config: Path | None  # the user's CLI config with provider_installation: used as it is
    cache_dir: Path | None  # the user's plugin cache
    registry: bool  # whether Terraform may ask the registry

    def version_for(self, constraint: str | None) -> str | None:
        """The version on disk Terraform will install for an exact `constraint`: the
        pinned one if present, else the highest found (None: none on disk)."""
        found = [v for m in self.mirrors for v in m.versions]
        if not found:
            return None
        return constraint if constraint in found else max(found, key=_version_key)

    def where(self, version: str | None) -> str:
        """Where `version` comes from, for the output."""
        for mirror in self.mirrors:
            if version in mirror.versions:
                return f"{_shown(mirror.path)} ({mirror.what})"
        return REGISTRY if self.registry else "the places in " + (_shown(self.user_config) if self.user_config else "the CLI config")

    def not_found(self, reason: str) -> str:
        """One line: no provider, where Terraform looked, what to do."""
        places = list(self.looked)
        if self.registry:
            places.append(f"{REGISTRY} ({reason})")
        listed = ", ".join(places[:-1]) + " and " + places[-1] if len(places) > 1 else places[0]
        hint = "" if self.plugin_dir else "; name a directory holding it (Terraform mirror layout) with --plugin-dir DIR"
        return f"--provider real: no hashicorp/aws provider found; Terraform looked in {listed}{hint}"


@dataclass(frozen=True)
class RealRun:
    """What a session with the real provider runs with: where the provider comes
    from, Terraform's environment, and whether a plan can run (AWS credentials)."""

    source: ProviderSource
    env: dict[str, str]
    credentials: bool

    @classmethod
    def prepare(cls, plugin_dir: Path | None, workdir: Path) -> RealRun:
        """Find the provider and write Terraform's CLI config into `workdir`."""
        source = find_provider(plugin_dir, os.environ)
        credentials = has_credentials(os.environ)
        # HOME stays a scratch dir unless the user's own files are needed: the AWS
        # credentials (an SSO profile's token cache lives under ~/.aws), or a CLI config
        # used as it is (its paths may start with ~).
        real_home = credentials or source.user_config is not None
        env = processes.base_env(isolated_home=None if real_home else workdir / "home")
        if source.user_config is not None:
            env["TF_CLI_CONFIG_FILE"] = str(source.user_config)
        else:
            cache = workdir / "plugin-cache"
            cache.mkdir(parents=True, exist_ok=True)  # Terraform ignores a cache dir that does not exist
            config = workdir / "archc-plan.tfrc"
            config.write_text(cli_config(source, cache), encoding="utf-8")
            env["TF_CLI_CONFIG_FILE"] = str(config)
        # Relative to each stack's dir: the stacks of one group dir share it (engine.py).
        env["TF_DATA_DIR"] = "../.terraform"
        return cls(source, env, credentials)

    def pin(self, stack_dir: Path) -> str | None:
        """Write the scratch copy's override; where the provider on disk is not the pinned
        version, require that one instead and return the line saying so."""
        requirement = scratch.aws_requirement(stack_dir)
        pinned = exact_version(requirement[1]) if requirement else None
        found = self.source.version_for(pinned)
        if pinned is None or found is None or found == pinned:
            scratch.write_override(stack_dir)
            return None
        scratch.write_override(stack_dir, aws_version=found)
        return f"provider hashicorp/aws {found} found, archc pins {pinned}: constraint relaxed in the scratch copy"

    def ran(self, jobs: list[processes.Job], results: processes.Results) -> str:
        """The line saying which provider and commands ran; PlanEngineUnavailable when
        `init` could not install hashicorp/aws at all."""
        for job in jobs:
            steps = results.get(job["stack"], [])
            reason = install_failure(steps[0]["stdout"]) if steps and steps[0]["rc"] != 0 else None
            if reason is not None:
                raise PlanEngineUnavailable(self.source.not_found(reason))
        version = next(filter(None, (locked_version(Path(job["dir"])) for job in jobs)), None)
        provider = f"real provider hashicorp/aws {version or '(version unknown)'} from {self.source.where(version)}"
        if any(step[0] == "plan" for job in jobs for step in job["steps"]):
            return f"{provider}: init, validate and plan (AWS credentials found)"
        if self.credentials:
            return f"{provider}: init and validate (--validate-only)"
        where = "AWS_ACCESS_KEY_ID, AWS_PROFILE or ~/.aws/credentials"
        return f"{provider}: init and validate; no plan (it needs AWS credentials: none in {where})"


def install_failure(init_stdout: str) -> str | None:
    """Why `init` could not install hashicorp/aws (None: it failed for another reason)."""
    for diag in stream_diagnostics(init_stdout):
        summary, detail = str(diag.get("summary", "")), str(diag.get("detail", ""))
        if summary not in ("Failed to query available provider packages", "Failed to install provider") or "hashicorp/aws" not in detail:
            continue
        if "could not connect to" in detail:
            return "not reachable"
        return detail.split("hashicorp/aws: ", 1)[-1].splitlines()[0].strip()
    return None


def find_provider(plugin_dir: Path | None, environ: Mapping[str, str]) -> ProviderSource:
    """The places `terraform init` installs hashicorp/aws from, with what they hold."""
    if plugin_dir is not None:
        mirrors = _mirrors([(plugin_dir, "--plugin-dir")])
        what = "--plugin-dir" if plugin_dir.is_dir() else "--plugin-dir: no such directory"
        return ProviderSource((f"{_shown(plugin_dir)} ({what})",), mirrors, plugin_dir, None, None, False)
    config = user_cli_config(environ)
    text = config.read_text(encoding="utf-8", errors="replace") if config else ""
    cache = environ.get("TF_PLUGIN_CACHE_DIR") or _setting(text, config, "plugin_cache_dir", _HCL_CACHE_DIR)
    cache_dir = Path(cache).expanduser() if cache else None
    if config is not None and _has_installation(text, config):
        dirs = [(Path(p).expanduser(), f"filesystem_mirror in {_shown(config)}") for p in _mirror_paths(text, config)]
        return ProviderSource((f"the provider_installation of {_shown(config)}",), _mirrors(dirs), None, config, cache_dir, False)
    dirs = [] if cache_dir is None else [(cache_dir, "plugin cache")]
    dirs += [(d, "implied local mirror") for d in implied_mirror_dirs(environ)]
    looked = tuple(_shown(d) for d, _ in dirs)
    return ProviderSource(looked, _mirrors(dirs), None, None, cache_dir, True)


def implied_mirror_dirs(environ: Mapping[str, str]) -> list[Path]:
    """Terraform's implied local mirror directories on this machine (Unix)."""
    home = Path(environ.get("HOME") or Path.home())
    data_home = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    data_dirs = [Path(d) for d in (environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":") if d]
    return [home / ".terraform.d" / "plugins", *(d / "terraform" / "plugins" for d in (data_home, *data_dirs))]


def user_cli_config(environ: Mapping[str, str]) -> Path | None:
    """The CLI config Terraform would read (a TF_CLI_CONFIG_FILE that does not exist is
    ignored, as Terraform does after a warning)."""
    named = environ.get("TF_CLI_CONFIG_FILE")
    home = Path(environ.get("HOME") or Path.home())
    for candidate in (Path(named) if named else None, home / ".terraformrc", home / "terraform.rc"):
        if candidate is not None and candidate.is_file():
            return candidate
        if named:
            break  # a named file replaces ~/.terraformrc even when missing
    return None


def cli_config(source: ProviderSource, scratch_cache: Path) -> str:
    """The CLI config for Terraform: the places of `find_provider`, named explicitly."""
    lines = ["# archc plan --provider real: where hashicorp/aws is installed from (compiler/plan/real_provider.py)"]
    if source.plugin_dir is None:
        lines.append("provider_installation {")
        for mirror in source.mirrors:
            lines += ["  filesystem_mirror {", f"    path    = {json.dumps(str(mirror.path))}", f'    include = ["{AWS}"]', "  }"]
        excluded = f'    exclude = ["{AWS}"]' if source.mirrors else ""
        lines += ["  direct {", *filter(None, [excluded]), "  }", "}"]
    # One download for all stacks of a run when the registry serves the provider. A
    # user's cache that holds hashicorp/aws is a mirror above: Terraform refuses to
    # install a provider from a directory into that same directory.
    user_cache = source.cache_dir if source.cache_dir and all(m.path != source.cache_dir for m in source.mirrors) else None
    lines.append(f"plugin_cache_dir = {json.dumps(str(user_cache or scratch_cache))}")
    return "\n".join(lines) + "\n"


def has_credentials(environ: Mapping[str, str]) -> bool:
    """True when the AWS provider can find credentials without asking AWS."""
    if any(environ.get(var) for var in _CREDENTIAL_VARS):
        return True
    home = Path(environ.get("HOME") or Path.home())
    return Path(environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials").is_file()


def locked_version(stack_dir: Path) -> str | None:
    """The hashicorp/aws version `init` chose, from the scratch copy's lock file."""
    lock = stack_dir / ".terraform.lock.hcl"
    if not lock.is_file():
        return None
    found = re.search(rf'provider\s+"{re.escape(AWS)}"\s*\{{\s*version\s*=\s*"([^"]+)"', lock.read_text(encoding="utf-8"))
    return found.group(1) if found else None


def exact_version(constraint: str | None) -> str | None:
    """`constraint` when it names one version ("6.69.1" or "= 6.69.1"), else None."""
    text = (constraint or "").strip().removeprefix("=").strip()
    return text if _VERSION.match(text) else None


def platform_name() -> str:
    """Terraform's name of this platform, e.g. linux_amd64."""
    machine = platform.machine().lower()
    return f"{sys.platform.replace('win32', 'windows')}_{_GOARCH.get(machine, machine)}"


def _mirrors(dirs: list[tuple[Path, str]]) -> tuple[Mirror, ...]:
    found = []
    for path, what in dirs:
        versions = _versions_in(path)
        if versions:
            found.append(Mirror(path, versions, what))
    return tuple(found)


def _versions_in(mirror: Path) -> tuple[str, ...]:
    """hashicorp/aws versions for this platform in a mirror, unpacked or packed layout."""
    root = mirror / AWS
    if not root.is_dir():
        return ()
    here = platform_name()
    versions = set()
    for entry in root.iterdir():
        packed = _PACKED.match(entry.name)
        if (entry / here).is_dir() and _VERSION.match(entry.name):
            versions.add(entry.name)
        elif packed and packed.group(2) == here:
            versions.add(packed.group(1))
    return tuple(sorted(versions, key=_version_key, reverse=True))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _has_installation(text: str, config: Path) -> bool:
    if config.name.endswith(".json"):
        doc = _json(text)
        return "provider_installation" in doc
    return bool(_HCL_INSTALLATION.search(text))


def _mirror_paths(text: str, config: Path) -> list[str]:
    if not config.name.endswith(".json"):
        return _HCL_MIRROR_PATH.findall(text)
    paths = []
    for block in _as_list(_json(text).get("provider_installation")):
        for mirror in _as_list(block.get("filesystem_mirror") if isinstance(block, dict) else None):
            if isinstance(mirror, dict) and isinstance(mirror.get("path"), str):
                paths.append(mirror["path"])
    return paths


def _setting(text: str, config: Path | None, name: str, hcl: re.Pattern[str]) -> str | None:
    if config is None:
        return None
    if config.name.endswith(".json"):
        value = _json(text).get(name)
        return value if isinstance(value, str) else None
    found = hcl.search(text)
    return found.group(1) if found else None


def _json(text: str) -> dict[str, object]:
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _shown(path: Path) -> str:
    """A path as shown to the user: `~/...` under the home directory."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return path.as_posix()
