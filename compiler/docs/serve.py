"""Preview a built docs site on localhost (``archc docs --serve``)."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """One line per request would drown the terminal; errors still show in the browser."""


def server(site_dir: Path, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``site_dir`` on 127.0.0.1 (port 0: any free port)."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve(site_dir: Path, port: int) -> None:
    """Serve until interrupted."""
    with server(site_dir, port) as httpd:
        host, real_port = httpd.server_address[:2]
        print(f"serving {site_dir}/ on http://{host!s}:{real_port}/ (Ctrl-C stops)", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            print("stopped", flush=True)
