"""Caches archc keeps inside the Python environment it is installed in.

archc writes nothing under the user's home (no ``~/.cache``): what is worth keeping
between runs (jsii's unpacked packages, compiled docs templates, rendered figures)
lives under ``<sys.prefix>/var/cache/``. Where that is read-only, the caller runs
without the cache: slower, never wrong. Cached figures reach the outputs as they are,
so each cache is keyed by what its content was made from (the figure cache by all of
it but the system fonts: see ``compiler/diagrams/figure_cache.py``).
``ARCHC_NO_CACHE=1`` switches every one of them off (a first run after installing, as
the benchmark's cold rows do).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def cache_dir(name: str) -> Path | None:
    """``<sys.prefix>/var/cache/<name>``, created; None when it cannot be written or
    caches are switched off."""
    if os.environ.get("ARCHC_NO_CACHE"):
        return None
    path = Path(sys.prefix) / "var" / "cache" / name
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None
