"""RFC 7386 JSON merge patch and RFC 6902 JSON Patch, on plain JSON values.

Small and exact, for the escape hatch (``overrides.py``): both return a new value and
never modify their input. A patch that cannot apply raises :class:`PatchError` naming
the operation and the pointer, as the RFCs require of an implementation (an error
stops the whole patch; nothing is applied halfway).

>>> merge_patch({"a": "b", "c": {"d": "e", "f": "g"}}, {"a": "z", "c": {"f": None}})
{'a': 'z', 'c': {'d': 'e'}}
>>> json_patch({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}])
{'foo': ['bar', 'qux', 'baz']}
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any


class PatchError(ValueError):
    """A JSON Patch operation that cannot apply (its pointer, or a failed test)."""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: an object patch merges key by key (``null`` removes the key); any
    other patch value replaces the target whole, lists included."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def parse_pointer(pointer: str) -> list[str]:
    """RFC 6901: ``/a~1b/0`` -> ``["a/b", "0"]``; "" is the whole document.

    >>> parse_pointer("/m~0n/a~1b")
    ['m~n', 'a/b']
    """
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"'{pointer}' is not a JSON Pointer (it starts with '/')")
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def _index(token: str, items: Sequence[Any], *, end_ok: bool) -> int:
    """An array index token: digits without leading zero, ``-`` (past the end) where allowed."""
    if token == "-" and end_ok:
        return len(items)
    if not token.isdigit() or (token != "0" and token.startswith("0")) or not token.isascii():
        raise PatchError(f"'{token}' is not an index of a list of {_items(items)}")
    index = int(token)
    if index > len(items) or (index == len(items) and not end_ok):
        raise PatchError(f"index {index} is past the end of a list of {_items(items)}")
    return index


def _items(items: Sequence[Any]) -> str:
    return f"{len(items)} item" if len(items) == 1 else f"{len(items)} items"


def _parent(doc: Any, tokens: list[str]) -> Any:
    """The container the last of ``tokens`` addresses a member of."""
    node = doc
    for depth, token in enumerate(tokens[:-1]):
        where = "/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens[: depth + 1])
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"no member '{token}' at {where}")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(token, node, end_ok=False)]
        else:
            raise PatchError(f"{where} is a value, not an object or a list")
    return node


def _get(doc: Any, pointer: str) -> Any:
    tokens = parse_pointer(pointer)
    if not tokens:
        return doc
    parent, last = _parent(doc, tokens), tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError("no such member")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(last, parent, end_ok=False)]
    raise PatchError("its parent is a value, not an object or a list")


def _add(doc: Any, pointer: str, value: Any) -> Any:
    tokens = parse_pointer(pointer)
    if not tokens:
        return value
    parent, last = _parent(doc, tokens), tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(last, parent, end_ok=True), value)
    else:
        raise PatchError("its parent is a value, not an object or a list")
    return doc


def _remove(doc: Any, pointer: str) -> Any:
    tokens = parse_pointer(pointer)
    if not tokens:
        raise PatchError("cannot remove the whole resource body ('')")
    parent, last = _parent(doc, tokens), tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError("no such member to remove")
        del parent[last]
    elif isinstance(parent, list):
        del parent[_index(last, parent, end_ok=False)]
    else:
        raise PatchError("its parent is a value, not an object or a list")
    return doc


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality (RFC 6902 ``test``): 1 equals 1.0, but true is not 1.

    >>> json_equal(True, 1), json_equal(1, 1.0)
    (False, True)
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def json_patch(doc: Any, operations: Sequence[Mapping[str, Any]]) -> Any:
    """RFC 6902: apply ``operations`` in order to a copy of ``doc``; all or nothing."""
    out = copy.deepcopy(doc)
    for i, op in enumerate(operations):
        name, path = op.get("op"), op.get("path")
        try:
            if not isinstance(path, str):
                raise PatchError("needs 'path'")
            out = _apply(out, str(name), path, op)
        except PatchError as exc:
            raise PatchError(f"patch[{i}] ({name} {path}): {exc}") from None
    return out


def _apply(out: Any, name: str, path: str, op: Mapping[str, Any]) -> Any:
    """One operation on ``out`` (modified in place where it can be); the new document."""
    if name == "add":
        return _add(out, path, copy.deepcopy(_value(op)))
    if name == "remove":
        return _remove(out, path)
    if name == "replace":
        _get(out, path)  # the target must exist
        return _add(_remove(out, path) if path else out, path, copy.deepcopy(_value(op)))
    if name in ("move", "copy"):
        source = op.get("from")
        if not isinstance(source, str):
            raise PatchError(f"'{name}' needs 'from'")
        if name == "move" and (path + "/").startswith(source + "/") and path != source:
            raise PatchError(f"cannot move {source} into its own child {path}")
        value = copy.deepcopy(_get(out, source))
        return _add(_remove(out, source) if name == "move" else out, path, value)
    if name == "test":
        if not json_equal(_get(out, path), _value(op)):
            raise PatchError("the value differs from the one tested")
        return out
    raise PatchError(f"unknown operation '{name}'")


def _value(op: Mapping[str, Any]) -> Any:
    if "value" not in op:
        raise PatchError("needs 'value'")
    return op["value"]
