"""cdktn's runtime: a node process (jsii) holding cdktn's JavaScript, started early.

Starting node and loading cdktn's assemblies is the largest part of a build's time,
most of it inside node (bench/results.md, Notes). ``start()`` begins it in a background
thread as a build starts, so it overlaps the model's loading, validation and emission;
``load()`` then only waits for what is left. Python's per-module import lock makes that wait: ``import cdktn`` in the main
thread blocks until the background import has finished.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import sys
import threading
from types import ModuleType

from compiler.caches import cache_dir
from compiler.errors import ToolMissing

NODE_HINT = "archc needs Node.js to run cdktn: install it (Debian: apt-get install nodejs), or run `make setup`"

_starting: threading.Thread | None = None
_one_shot = False  # set by `archc build|plan|check`: this process synthesizes once, then exits
_stopping: threading.Thread | None = None


def environment() -> dict[str, str]:
    """Variables jsii reads when node starts.

    jsii keeps a package cache in ``~/.cache/aws/jsii`` by default; archc writes nothing
    outside its output and temporary directories, so the cache lives in the
    environment archc is installed in, or is switched off when that is read-only
    (jsii then unpacks cdktn's packages at every start). A user's own JSII_RUNTIME_PACKAGE_CACHE* settings win.
    """
    env = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    if "JSII_RUNTIME_PACKAGE_CACHE" in os.environ or "JSII_RUNTIME_PACKAGE_CACHE_ROOT" in os.environ:
        return env
    cache = cache_dir("archc-jsii")
    env |= {"JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(cache)} if cache else {"JSII_RUNTIME_PACKAGE_CACHE": "disabled"}
    return env


def _prepare() -> None:
    os.environ.update(environment())


def start() -> None:
    """Start node and load cdktn in the background (once per process)."""
    global _starting
    if _starting is not None or "cdktn" in sys.modules or shutil.which("node") is None:
        return  # the missing node is reported by load(), in the main thread
    _prepare()
    _starting = threading.Thread(target=_import_quietly, name="archc-cdktn-start", daemon=True)
    _starting.start()


def _import_quietly() -> None:
    with contextlib.suppress(BaseException):  # load() imports again in the main thread and reports it there
        importlib.import_module("cdktn")


def load() -> ModuleType:
    """The cdktn module, its node process running."""
    if _starting is None:
        require_node()
        _prepare()
    return importlib.import_module("cdktn")


def require_node() -> None:
    """Raise ToolMissing (how to install node) unless node can run cdktn."""
    if _starting is None and "cdktn" not in sys.modules and shutil.which("node") is None:
        raise ToolMissing(NODE_HINT)


def settle() -> None:
    """Wait for a background start to finish, so that the process never exits halfway
    through starting node (a build that stopped at a model error)."""
    if _starting is not None:
        _starting.join()


def one_shot() -> None:
    """Declare that this process synthesizes once: node may stop right after."""
    global _one_shot
    _one_shot = True


def done() -> None:
    """Synthesis is over. In a one-shot process, stop node now, in a (non-daemon)
    thread, with jsii's own ``stop()`` (what its exit hook would run at exit): node's
    exit then overlaps drawing figures, writing files and ``archc plan``'s Terraform,
    and its memory (two node processes: jsii's relay and its kernel) is freed before
    the plan's peak (bench/results.md). jsii has no public way to stop its kernel, so
    this reads its provider's ``_process`` (it changes nothing of jsii's); on a jsii
    without it, the exit hook stops node at exit instead, and
    tests/test_synth.py::test_a_one_shot_build_stops_node_after_synthesis fails.
    Elsewhere (tests, `archc docs`, other callers in Python) node stays up."""
    global _stopping
    if not _one_shot:
        return
    try:
        from jsii._runtime import kernel as jsii_kernel

        stop = jsii_kernel.provider._process.stop  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return
    _stopping = threading.Thread(target=stop, name="archc-cdktn-stop")
    _stopping.start()
