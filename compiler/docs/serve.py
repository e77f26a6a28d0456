"""Serve a built docs site on localhost (``archc docs --serve``), live.

The site is served from its directory as ``archc docs`` wrote it; the live parts exist
only in what the server sends. Each HTML page gets one script tag (``/__archc/live.js``,
carrying the number of the build the page belongs to) that listens to
``/__archc/events`` (Server-Sent Events): the server sends the current
:class:`Status` when a page connects and whenever it changes. A newer build reloads
the page; model errors show in a banner over the last good site. Nothing is cached by
the browser (``Cache-Control: no-store``): a rebuilt figure under the same name must
not come from the cache, and HTTP dates have a resolution of one second.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

LIVE = "/__archc/"
EVENTS = LIVE + "events"
SCRIPT = LIVE + "live.js"
_SCRIPT_FILE = Path(__file__).with_name("live.js")
_KEEPALIVE_S = 15.0  # a comment line this often: a closed page is noticed, its thread ends


@dataclass(frozen=True)
class Status:
    """What the pages are told: the build they should show and the errors that stop the next one."""

    build: str
    errors: tuple[str, ...] = ()

    def event(self) -> bytes:
        """The Server-Sent Event carrying this status."""
        return f"data: {json.dumps({'build': self.build, 'errors': list(self.errors)})}\n\n".encode()


class Channel:
    """The current :class:`Status`, and a way to wait for the next one.

    Build names are unique to this server run (a random prefix), so a page still open
    from an earlier ``archc docs --serve`` reloads when the new one starts.
    """

    def __init__(self) -> None:
        self._run = secrets.token_hex(4)
        self._builds = 0
        self._status = Status(f"{self._run}-0")
        self._changed = threading.Condition()
        self._closed = False

    @property
    def status(self) -> Status:
        with self._changed:
            return self._status

    def new_build(self) -> None:
        """A new site is in place: pages reload, errors are gone."""
        with self._changed:
            self._builds += 1
            self._publish(Status(f"{self._run}-{self._builds}"))

    def errors(self, lines: tuple[str, ...]) -> None:
        """The model has errors (or none any more: ``()``); the site stays as it is."""
        with self._changed:
            self._publish(Status(self._status.build, lines))

    def _publish(self, status: Status) -> None:
        self._status = status
        self._changed.notify_all()

    def next(self, seen: Status | None, timeout: float) -> Status | None:
        """The status once it differs from ``seen`` (``seen`` itself after ``timeout``);
        None once the channel is closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._status != seen, timeout)
            return None if self._closed else self._status

    def close(self) -> None:
        """The server stops: every waiting event stream ends."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """One line per request would drown the terminal; errors still show in the browser."""


class _LiveHandler(_QuietHandler):
    channel: Channel  # set on the subclass made per server

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == EVENTS:
            self._events()
        else:
            super().do_GET()

    def send_head(self) -> BinaryIO | None:
        """As the base class does, but an HTML page gets the live script (GET and HEAD)."""
        if self.path.split("?", 1)[0] == SCRIPT:
            return self._respond(_SCRIPT_FILE.read_bytes(), "text/javascript; charset=utf-8")
        build = self.channel.status.build  # read before the page: an older page reloads, never a newer one
        page = self._page()
        try:
            content = page.read_bytes() if page else None
        except OSError:  # replaced by a rebuild meanwhile: the base class says what is there now
            content = None
        if content is None:
            return super().send_head()
        return self._respond(with_live_script(content, build), "text/html; charset=utf-8")

    def _page(self) -> Path | None:
        """The HTML file a request is for, if it is for one."""
        target = Path(self.translate_path(self.path))
        if target.is_dir() and self.path.split("?", 1)[0].endswith("/"):
            target = target / "index.html"
        return target if target.suffix == ".html" and target.is_file() else None

    def _respond(self, content: bytes, content_type: str) -> BinaryIO:
        """Headers sent; the base class copies the body to the client (GET) or drops it (HEAD)."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        return io.BytesIO(content)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        seen: Status | None = None
        while True:
            status = self.channel.next(seen, _KEEPALIVE_S)
            if status is None:
                return
            try:
                self.wfile.write(status.event() if status != seen else b": still here\n\n")
                self.wfile.flush()
            except OSError:  # the page was closed or reloaded
                return
            seen = status


def with_live_script(page: bytes, build: str) -> bytes:
    """``page`` with the live script before its ``</body>`` (at the end if it has none).

    >>> with_live_script(b"<body><p>x</p></body></html>", "ab-1")
    b'<body><p>x</p><script src="/__archc/live.js" data-build="ab-1"></script></body></html>'
    """
    tag = f'<script src="{SCRIPT}" data-build="{build}"></script>'.encode()
    at = page.rfind(b"</body>")
    return page + tag if at < 0 else page[:at] + tag + page[at:]


def server(site_dir: Path, port: int, channel: Channel | None = None) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``site_dir`` on 127.0.0.1 (port 0: any free port); with a
    ``channel``, live (see the module's docstring). Raises OSError when the port is taken."""
    if channel is None:
        handler = functools.partial(_QuietHandler, directory=str(site_dir))
    else:
        live = type("_ChannelHandler", (_LiveHandler,), {"channel": channel})
        handler = functools.partial(live, directory=str(site_dir))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def address(httpd: http.server.ThreadingHTTPServer) -> str:
    """The URL the server answers on."""
    host, port = httpd.server_address[:2]
    return f"http://{host!s}:{port}/"
