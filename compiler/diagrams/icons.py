"""Icons: a kind's ``KindInfo.icon`` ("aws.database.RDS") resolved through the diagrams library.

The library's node classes know their icon as a file under its ``resources/`` folder;
we keep that file's path *relative to* the folder, so the DOT text names no path of the
building machine, and let ``dot -Gimagepath=...`` find the files when it renders.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import diagrams

GENERIC_ICON = "aws.general.General"  # what a kind without a known icon is drawn with
RESOURCES = Path(diagrams.__file__).resolve().parent.parent / "resources"

log = logging.getLogger("archc")


@dataclass(frozen=True)
class Icon:
    """A diagrams node class and the icon file it draws, relative to :data:`RESOURCES`."""

    node_class: type[diagrams.Node]
    path: str  # "aws/database/rds.png"


def icon(name: str) -> Icon:
    """The icon a kind names; an unknown name warns once and falls back to a generic icon."""
    found = _lookup(name)
    if found is None:
        _warn_once(name)
        found = _lookup(GENERIC_ICON)
        assert found is not None, "the generic icon is part of the pinned diagrams library"
    return found


@cache
def _lookup(name: str) -> Icon | None:
    module_name, _, class_name = name.rpartition(".")
    try:
        module = importlib.import_module(f"diagrams.{module_name}")
    except ImportError:
        return None
    node_class = getattr(module, class_name, None)
    if not isinstance(node_class, type) or not issubclass(node_class, diagrams.Node) or not getattr(node_class, "_icon", None):
        return None
    icon_dir = str(getattr(node_class, "_icon_dir", "")).removeprefix("resources/")
    path = f"{icon_dir}/{getattr(node_class, '_icon', '')}"
    if not (RESOURCES / path).is_file():
        return None
    return Icon(node_class, path)


def _warn_once(name: str) -> None:  # once per build: the caller resolves each name once
    log.warning("archc: warning: the diagrams library has no icon '%s'; drawing it with the generic icon '%s'", name, GENERIC_ICON)


@cache
def icon_bytes(path: str) -> bytes:
    """The PNG bytes of an icon file (relative path as written in the DOT text)."""
    return (RESOURCES / path).read_bytes()
