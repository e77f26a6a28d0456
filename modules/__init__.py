"""The service catalog: every AWS service kind archc knows, one class each.

Families live in their own files (``compute.py``, ``database.py``...). A kind is
registered by listing its family module in ``FAMILIES``; its ``kind`` literal is its
YAML name. See ARCHITECTURE.md, "Adding a service kind".
"""

from __future__ import annotations

import importlib
import typing

from modules.base import Service

FAMILIES = (
    "general",
    "network",
    "compute",
    "containers",
    "database",
    "storage",
    "integration",
    "analytics",
    "security",
    "management",
    "devtools",
    "frontend",
)


def _collect() -> dict[str, type[Service]]:
    catalog: dict[str, type[Service]] = {}
    for family in FAMILIES:
        module = importlib.import_module(f"modules.{family}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Service) and obj.__module__ == module.__name__:
                literal = typing.get_args(obj.model_fields["kind"].annotation)
                if len(literal) != 1:
                    continue  # a shared base class of a family, not a kind
                (kind,) = literal
                if kind in catalog:
                    raise RuntimeError(f"kind {kind!r} defined twice")
                catalog[kind] = obj
    return dict(sorted(catalog.items()))


CATALOG: dict[str, type[Service]] = _collect()
