"""Where things are in a JSON file: the path of every value, with its span.

Terraform's diagnostics point at byte ranges in cdk.tf.json. To say which
resource and which argument a diagnostic is about, and to add text to a scratch
copy without moving any line, we need the path of the value at an offset. The
stdlib json module gives no positions, hence this small scanner.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

Path = tuple[str | int, ...]

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Span:
    """The value at `path` is text[start:end]; a member span also covers its key."""

    path: Path
    start: int
    end: int
    member: bool = False


def spans(text: str) -> list[Span]:
    """Every value and every object member of a JSON document."""
    out: list[Span] = []
    _Scanner(text, out).document()
    return out


def span_at(all_spans: list[Span], offset: int) -> Span | None:
    """The innermost span containing character `offset`."""
    best: Span | None = None
    for sp in all_spans:
        if sp.start <= offset < sp.end and (best is None or len(sp.path) >= len(best.path)):
            best = sp
    return best


def find(all_spans: list[Span], path: Path) -> Span | None:
    """The span of the value at `path` (not the member with its key)."""
    return next((sp for sp in all_spans if sp.path == path and not sp.member), None)


class _Scanner:
    def __init__(self, text: str, out: list[Span]) -> None:
        self.text = text
        self.out = out

    def document(self) -> None:
        end = self.value(_WS.match(self.text, 0).end(), ())  # type: ignore[union-attr]
        if _WS.match(self.text, end).end() != len(self.text):  # type: ignore[union-attr]
            raise ValueError(f"extra data at offset {end}")

    def _skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def value(self, pos: int, path: Path) -> int:
        ch = self.text[pos : pos + 1]
        if ch == "{":
            end = self.members(pos, path)
        elif ch == "[":
            end = self.elements(pos, path)
        elif ch == '"':
            end = _scanstring(self.text, pos + 1)[1]
        else:
            m = _SCALAR.match(self.text, pos)
            if not m:
                raise ValueError(f"bad JSON value at offset {pos}")
            end = m.end()
        self.out.append(Span(path, pos, end))
        return end

    def members(self, pos: int, path: Path) -> int:
        pos = self._skip(pos + 1)
        if self.text[pos] == "}":
            return pos + 1
        while True:
            key_start = pos
            key, pos = _scanstring(self.text, pos + 1)
            pos = self._skip(pos)
            if self.text[pos] != ":":
                raise ValueError(f"expected ':' at offset {pos}")
            end = self.value(self._skip(pos + 1), (*path, key))
            self.out.append(Span((*path, key), key_start, end, member=True))
            pos = self._skip(end)
            if self.text[pos] == "}":
                return pos + 1
            if self.text[pos] != ",":
                raise ValueError(f"expected ',' or '}}' at offset {pos}")
            pos = self._skip(pos + 1)

    def elements(self, pos: int, path: Path) -> int:
        pos = self._skip(pos + 1)
        if self.text[pos] == "]":
            return pos + 1
        index = 0
        while True:
            pos = self._skip(self.value(pos, (*path, index)))
            if self.text[pos] == "]":
                return pos + 1
            if self.text[pos] != ",":
                raise ValueError(f"expected ',' or ']' at offset {pos}")
            pos = self._skip(pos + 1)
            index += 1
