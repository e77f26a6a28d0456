"""The service catalog: every AWS service kind archc knows, one class each.

Families live in their own files (``compute.py``, ``database.py``...). A kind is
registered by listing its family module in ``FAMILIES``; its ``kind`` literal is its
YAML name. See ARCHITECTURE.md, "Adding a service kind".

Family modules are imported on demand: building a kind's pydantic model costs a few
milliseconds, and `archc validate` must stay fast, so a model only pays for the kinds
it uses. ``KINDS`` (kind -> family) comes from reading the family files' ``kind:
Literal["..."]`` lines; a test checks it against the imported classes.
"""

from __future__ import annotations

import functools
import importlib
import re
import typing
from pathlib import Path

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

_KIND_LINE = re.compile(r'^    kind: Literal\["([a-z0-9-]+)"\]', re.MULTILINE)


def _scan() -> dict[str, str]:
    """kind -> family, from the source of the family files (no import)."""
    found: dict[str, str] = {}
    for family in FAMILIES:
        source = (Path(__file__).parent / f"{family}.py").read_text(encoding="utf-8")
        for kind in _KIND_LINE.findall(source):
            found[kind] = family
    return dict(sorted(found.items()))


KINDS: dict[str, str] = _scan()


@functools.cache
def _family_classes(family: str) -> dict[str, type[Service]]:
    module = importlib.import_module(f"modules.{family}")
    classes: dict[str, type[Service]] = {}
    for obj in vars(module).values():
        if isinstance(obj, type) and issubclass(obj, Service) and obj.__module__ == module.__name__:
            literal = typing.get_args(obj.model_fields["kind"].annotation)
            if len(literal) == 1:  # else a shared base class of a family, not a kind
                classes[literal[0]] = obj
    return classes


def kind_class(kind: str) -> type[Service]:
    """The class of one kind (imports its family on first use); KeyError if unknown."""
    return _family_classes(KINDS[kind])[kind]


@functools.cache
def catalog() -> dict[str, type[Service]]:
    """Every kind's class, sorted by kind (imports every family)."""
    every: dict[str, type[Service]] = {}
    for family in FAMILIES:
        for kind, cls in _family_classes(family).items():
            if kind in every:
                raise RuntimeError(f"kind {kind!r} defined twice")
            every[kind] = cls
    return dict(sorted(every.items()))


def __getattr__(name: str) -> dict[str, type[Service]]:
    # ``modules.CATALOG``: the whole catalog, built on first access.
    if name == "CATALOG":
        return catalog()
    raise AttributeError(f"module 'modules' has no attribute {name!r}")


def kind_hint(word: str) -> str:
    """What to say after "unknown service kind 'word'": the kind meant, or the catalog.

    A suggestion needs an alias (an engine or AWS's short name) or a near spelling:
    at most one edit per four letters, so a three-letter word such as 'sqn' is not
    taken for 'sqs' or 'sns'.

    >>> kind_hint("lamda")
    "; did you mean 'lambda'?"
    >>> kind_hint("sqn").startswith("; archc's kinds: network: alb,")
    True
    """
    for kind, cls in catalog().items():
        if word in cls.info.aliases:
            return f"; did you mean '{kind}'?"
    near = sorted((_edits(word, kind), kind) for kind in KINDS)
    if near and near[0][0] <= len(word) // 4:
        return f"; did you mean '{near[0][1]}'?"
    by_family: dict[str, list[str]] = {}
    for kind, family in KINDS.items():
        by_family.setdefault(family, []).append(kind)
    return "; archc's kinds: " + "; ".join(f"{family}: {', '.join(kinds)}" for family, kinds in by_family.items())


def _edits(a: str, b: str) -> int:
    """Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]
