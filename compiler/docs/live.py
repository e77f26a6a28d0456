"""The docs site kept up to date with its model files (``archc docs --serve``).

One process builds, watches and serves, so a rebuild finds everything warm: imports,
compiled templates, the figure cache. :class:`SiteBuilder` holds each model's last
good build and rebuilds only the models whose text changed (``pipeline.build_docs``: no
Terraform synthesis); mkdocs runs only when the site's sources changed. A model with
environments is one architecture per environment on the site (``<name>-<env>/``).
:func:`watch` polls the files (content, not mtime: editors that replace the file and
second-resolution clocks both look alike to it) and hands changes to a callback.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from compiler.docs.site import build_project, project
from compiler.errors import ArchcError, Diagnostic
from compiler.ir import Architecture

POLL_S = 0.2  # how often the model files are read
_SETTLE_S = 0.03  # a file read twice this far apart with the same content is written


class SiteBuilder:
    """A docs site over model files, rebuilt as they change: each model's last good
    build is kept, and the site is written (by ``write``) only when what mkdocs would
    make it from changed."""

    def __init__(
        self,
        paths: Sequence[Path],
        display: Callable[[Path], str],
        write: Callable[[dict[str, bytes]], None],
        out_dir: Callable[[str], Path] | None = None,
        warn: Callable[[Architecture], None] = lambda arch: None,
    ) -> None:
        self.paths = list(paths)
        self._display, self._write, self._warn = display, write, warn  # warn: told each model built, for its warnings
        self._out_dir = out_dir  # where each architecture's pages land (they name the model from there)
        self._built: dict[Path, list[tuple[Architecture, dict[str, bytes]]]] = {}  # one per environment
        self._errors: dict[Path, list[Diagnostic]] = {}  # of the models whose last save failed
        self._written: dict[str, bytes] | None = None  # the project of the site on disk

    @property
    def architectures(self) -> int:
        """How many architectures the site shows (one per environment of a model)."""
        return sum(len(built) for built in self._built.values())

    def update(self, changed: Sequence[Path]) -> bool:
        """Rebuild the changed models, then the site if it changed; True when a new site
        was written.

        Raises ArchcError with the errors of every model whose last version failed,
        changed now or not (the site waits for all of them; the models that built are
        kept), SiteError or OutputError; the site on disk is then the one before.
        """
        from compiler import pipeline

        for path in changed:
            try:
                out_dir = self._out_dir or pipeline.default_out
                envs: list[str | None] = [*pipeline.environment_names(path, self._display(path))[1]] or [None]
                self._built[path] = [pipeline.build_docs(path, self._display(path), out_dir, env) for env in envs]
                self._errors.pop(path, None)
                for arch, _ in self._built[path]:
                    self._warn(arch)
            except ArchcError as exc:
                self._errors[path] = exc.diagnostics
        if self._errors:
            raise ArchcError([diag for path in self.paths for diag in self._errors.get(path, [])])
        sources = project([built for p in self.paths for built in self._built[p]])
        if sources == self._written:
            return False
        self._write(build_project(sources))
        self._written = sources
        return True


def _fingerprint(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:  # being replaced, or gone: the next read says
        return None


def watch(paths: Sequence[Path], on_change: Callable[[list[Path]], None], poll_s: float = POLL_S) -> None:
    """Call ``on_change`` with the files whose content changed, forever (until Ctrl-C).

    A file is taken once two reads a moment apart agree, so a save caught halfway is
    not built; a file that disappears is waited for (editors delete, then write).
    """
    seen = {path: _fingerprint(path) for path in paths}
    while True:
        time.sleep(poll_s)
        changed = []
        for path in paths:
            now = _fingerprint(path)
            if now is None or now == seen[path]:
                continue
            time.sleep(_SETTLE_S)
            if _fingerprint(path) == now:
                seen[path] = now
                changed.append(path)
        if changed:
            on_change(changed)
