"""``archc explain FILE PATH [--env ENV]``: a model path's final value and where it was set.

PATH names a value of the model by its keys, dotted; layers by name
(``layers.data.services.db.multi_az``, ``region``, ``tags``, ``network.cidr``). Each
value under it is printed with the file:line:col that set it: the base model, the
environment's overlay (then also the base's value it replaced), archc for an
environment's name and tag, or archc's default when the model sets nothing.
"""

from __future__ import annotations

import json
from typing import Any

from compiler.environments import Environment
from compiler.errors import did_you_mean
from compiler.loader import Document, Path_
from compiler.validate import validate


class PathNotFound(Exception):
    """The dotted path names nothing in the model; ``hint`` is its "did you mean"."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


def _step(value: Any, key: str) -> tuple[Any, str | int] | None:
    """The child ``key`` of ``value`` and its path element: layers by name, lists by index."""
    if isinstance(value, dict):
        return (value[key], key) if key in value else None
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict) and item.get("name") == key:
                return item, i
        if key.isdigit() and int(key) < len(value):
            return value[int(key)], int(key)
    return None


def walk(data: Any, keys: list[str]) -> tuple[Any, Path_] | None:
    """The value at dotted ``keys`` (layers by name) and its document path; None if none."""
    path: Path_ = ()
    for key in keys:
        found = _step(data, key)
        if found is None:
            return None
        data, element = found
        path = (*path, element)
    return data, path


def _choices(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list):
        return [str(item["name"]) for item in value if isinstance(item, dict) and "name" in item]
    return []


def _leaves(value: Any, path: Path_, dotted: str) -> list[tuple[str, Path_, Any]]:
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k), f"{dotted}.{k}")]
    if isinstance(value, list) and value:
        out = []
        for i, item in enumerate(value):
            label = item["name"] if isinstance(item, dict) and isinstance(item.get("name"), str) else str(i)
            out += _leaves(item, (*path, i), f"{dotted}.{label}")
        return out
    return [(dotted, path, value)]


def _where(doc: Document, path: Path_) -> str:
    line, col = doc.pos(path)
    return f"{doc.file}:{line}:{col}"


def explain_path(env: Environment, dotted: str) -> list[str]:
    """The lines ``archc explain`` prints for a model path (PathNotFound if it names nothing)."""
    keys = [k for k in dotted.split(".") if k]
    found = walk(env.doc.data, keys)
    label = f"environment {env.name}" if env.name else "the model"
    if found is None:
        # Not written: archc's default, if the validated model has the setting.
        dumped = validate(env.doc).model_dump(by_alias=True, mode="json")
        default = walk(dumped, keys)
        if default is None:
            known = walk(dumped, keys[:-1]) if keys else None
            hint = did_you_mean(keys[-1], _choices(known[0])) if known and keys else ""
            raise PathNotFound(hint)
        return [f"{dotted} = {json.dumps(default[0], sort_keys=True)}  (archc's default: {label} does not set it)"]
    value, path = found
    lines = []
    for shown, leaf, leaf_value in _leaves(value, path, dotted):
        text = json.dumps(leaf_value, sort_keys=True, ensure_ascii=False)
        if leaf in env.overlay_paths:
            was = walk(env.base.data, [str(k) for k in _names(env.base.data, leaf)])
            before = (
                f"; base: {json.dumps(was[0], sort_keys=True)} at {_where(env.base, leaf)}"
                if was is not None
                else "; the base does not set it"
            )
            lines.append(f"{shown} = {text}  (environment {env.name}'s overlay at {_where(env.doc, leaf)}{before})")
        elif leaf not in env.derived:
            lines.append(f"{shown} = {text}  (base at {_where(env.doc, leaf)})")
        else:  # an environment's own name and tag, which archc derives
            named = f"; base: {json.dumps(env.base.data.get('name'))}" if leaf == ("name",) else ""
            lines.append(f"{shown} = {text}  (archc, for environment {env.name}{named})")
    return lines


def _names(data: Any, path: Path_) -> list[str | int]:
    """A document path with list indexes of named items (layers) turned back into names."""
    out: list[str | int] = []
    for element in path:
        if isinstance(element, int) and isinstance(data, list):
            item = data[element] if element < len(data) else None
            out.append(item["name"] if isinstance(item, dict) and "name" in item else element)
            data = item
        else:
            out.append(element)
            data = data.get(element) if isinstance(data, dict) else None
    return out


def value_at(data: Any, path: Path_) -> Any:
    """The value at a document path, or None."""
    for element in path:
        in_list = isinstance(data, list) and isinstance(element, int) and element < len(data)
        if not (in_list or (isinstance(data, dict) and element in data)):
            return None
        data = data[element]
    return data


def dotted_name(base: Any, merged: Any, path: Path_) -> str:
    """A document path as ``archc explain`` takes it: layers by name."""
    return ".".join(str(k) for k in _names(merged, path))
