"""jsii's kernel (the node process running cdktn), started without jsii's relay.

jsii's Python runtime starts ``node bin/jsii-runtime.js``, a relay that starts a second
node, ``lib/program.js`` (the kernel), and copies every message between its own
stdin/stdout and the kernel's file descriptor 3. A build exchanges ~450 messages with
the kernel, each a round trip, so the relay costs a node start and two more process
hops per message. ``install()`` makes jsii start the kernel itself, its descriptor 3
one end of a socket pair: the same kernel, speaking the same protocol, ~0.3 s sooner.

The kernel's stdout and stderr are archc's own (the relay forwarded them there too).
Only the jsii release this was written against is changed; any other keeps its own
start, as does a user's ``JSII_RUNTIME``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import platform
import shutil
import signal
import socket
import time
from pathlib import Path
from typing import Any

JSII_VERSION = "1.142.0"  # the release whose process provider this replaces a part of
_STOP_WAIT_S = 5.0  # as long as jsii's own stop waits for node to exit
_started: list[Any] = []  # the jsii _NodeProcess objects whose kernel _start spawned


class _Kernel:
    """What jsii's ``_NodeProcess`` uses of its ``subprocess.Popen``: a writable
    ``stdin`` and a line-readable ``stdout``, here both one socket."""

    def __init__(self, pid: int, channel: socket.socket) -> None:
        self.pid = pid
        self._channel = channel
        self.stdin = channel.makefile("wb")
        self.stdout = channel.makefile("rb")

    def close(self) -> None:
        """Ask the kernel to exit, and wait for it (killed if it does not)."""
        if self.stdin.closed:
            return
        with contextlib.suppress(OSError):
            self.stdin.write(b'{"exit":0}\n')
            self.stdin.flush()
        for stream in (self.stdin, self.stdout, self._channel):
            with contextlib.suppress(OSError):
                stream.close()
        deadline = time.monotonic() + _STOP_WAIT_S
        while os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                return
            time.sleep(0.005)


def _environment() -> dict[str, str]:
    environ = os.environ.copy()
    environ["JSII_AGENT"] = f"Python/{platform.python_version()}"
    # node reads and parses this whole certificate bundle as it starts (~85 ms here);
    # the kernel opens no connections, so it never needs it.
    environ.pop("NODE_EXTRA_CA_CERTS", None)
    return environ


def _start(self: Any) -> None:
    """``_NodeProcess.start``: spawn the kernel with fd 3 on a socket, then handshake."""
    environ = _environment()
    node = shutil.which(environ.get("JSII_NODE", "node"))
    if node is None:
        raise FileNotFoundError("node")
    program = Path(self._jsii_runtime()).parent.parent / "lib" / "program.js"
    ours, theirs = socket.socketpair()
    try:
        pid = os.posix_spawn(
            node,
            [node, "--max-old-space-size=4069", "--preserve-symlinks", str(program)],  # the relay's flags
            environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, theirs.fileno(), 3),
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            ],
        )
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    self._process = _Kernel(pid, ours)
    _started.append(self)
    atexit.register(self.stop)
    self.handshake()


def _stop(self: Any) -> None:
    """``_NodeProcess.stop``: safe to call twice, or on a kernel that never started."""
    atexit.unregister(self.stop)
    kernel = self.__dict__.get("_process")
    if isinstance(kernel, _Kernel):
        kernel.close()
    self._ctx_stack.close()


def install() -> bool:
    """Make jsii start its kernel directly; False (and nothing changed) where it can't."""
    if "JSII_RUNTIME" in os.environ:
        return False
    try:
        import jsii
        from jsii._embedded.jsii import EMBEDDED_FILES
        from jsii._kernel.providers import process
    except ImportError:
        return False
    node_process = getattr(process, "_NodeProcess", None)
    if (
        jsii.__version__ != JSII_VERSION
        or node_process is None
        or "lib/program.js" not in EMBEDDED_FILES.values()
        or not all(hasattr(node_process, name) for name in ("_jsii_runtime", "handshake", "start", "stop"))
    ):
        return False
    node_process.start = _start
    node_process.stop = _stop
    return True
