"""Stage 1: YAML bytes -> plain Python data, with the position of every value.

PyYAML's safe composer builds the node tree; we convert it ourselves so that we can
refuse what a model file never needs (tags, duplicate keys, alias bombs, absurd
nesting) with a precise position, and remember where each value came from so later
stages can point at the exact line and column.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compiler.errors import ArchcError, Diagnostic, ErrorCode

MAX_BYTES = 4 * 1024 * 1024  # a 1,000-service model is about 0.3 MB
MAX_DEPTH = 64  # a model nests about 6 deep; the C composer recurses per level
MAX_NODES = 1_000_000  # values after expanding aliases: stops "billion laughs"

Path_ = tuple[str | int, ...]

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


@dataclass(frozen=True)
class Pos:
    """Where a value sits: its own start and, in a mapping, its key's start (1-based)."""

    line: int
    col: int
    key_line: int
    key_col: int


@dataclass(frozen=True)
class Document:
    """A parsed model file: its data and where every value of it came from."""

    file: str
    data: Any
    positions: dict[Path_, Pos]
    # The model file's folder, to read the files a model names (a function's code); "" for
    # text without a file. Never written into outputs (they must not depend on the machine).
    base_dir: str = ""

    def pos(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the value at ``path`` (or its key), else of its nearest parent."""
        while path not in self.positions and path:
            path = path[:-1]
        p = self.positions.get(path)
        if p is None:
            return 1, 1
        return (p.key_line, p.key_col) if key else (p.line, p.col)

    def error(self, code: ErrorCode, message: str, path: Path_, *, key: bool = False) -> Diagnostic:
        """A diagnostic located at ``path``."""
        line, col = self.pos(path, key=key)
        return Diagnostic(code, message, self.file, line, col)


def load_file(path: Path, display_name: str | None = None) -> Document:
    """Read and parse a model file; raise ArchcError with a located diagnostic on failure."""
    name = display_name or str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise ArchcError([Diagnostic("file", "is a directory, not a model file", name)])
        if size > MAX_BYTES:
            raise ArchcError(
                [Diagnostic("file", f"file is {size / 1e6:.1f} MB; archc reads model files up to {MAX_BYTES // 2**20} MB", name)]
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ArchcError([Diagnostic("file", "no such file", name)]) from None
    except OSError as exc:
        raise ArchcError([Diagnostic("file", f"cannot read file: {exc.strerror}", name)]) from None
    return dataclasses.replace(parse_bytes(raw, name), base_dir=str(path.resolve().parent))


def parse_bytes(raw: bytes, file: str) -> Document:
    """Parse model text; see the module docstring for what is refused."""
    text = _decode(raw, file)
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise ArchcError([Diagnostic("structure", "the file is empty; a model starts with 'name:'", file)])
    _check_depth(text, file)
    try:
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise ArchcError([_syntax_diagnostic(exc, file, text)]) from None
    except yaml.YAMLError as exc:  # the reader's errors carry no line: a character it refuses
        raise ArchcError([Diagnostic("syntax", str(exc).split("\n")[0], file)]) from None
    builder = _Builder(file)
    data = builder.build(node, (), None)
    if builder.diagnostics:
        raise ArchcError(builder.diagnostics)
    return Document(file, data, builder.positions)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _decode(raw: bytes, file: str) -> str:
    if raw.startswith(_UTF16_BOMS):
        raise ArchcError([Diagnostic("encoding", "the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8", file)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise ArchcError(
            [Diagnostic("encoding", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; save the file as UTF-8", file, line, col)]
        ) from None
    text = text.removeprefix("\ufeff")
    _check_control_characters(text, file)
    return text


def _check_control_characters(text: str, file: str) -> None:
    """YAML allows no control characters but tab, newline and carriage return (a NUL
    byte usually means a binary file or a broken editor); say where the first one is."""
    found = _CONTROL.search(text)
    if found:
        raise ArchcError([_at(text, found.start(), file, f"control character U+{ord(found.group()):04X} is not allowed in a model file")])


# What the YAML reader refuses: C0 controls but TAB/LF/CR, DEL, C1 controls but NEL, noncharacters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


def _at(text: str, index: int, file: str, message: str) -> Diagnostic:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return Diagnostic("encoding", message, file, line, col)


def _check_depth(text: str, file: str) -> None:
    """Refuse deep nesting from the event stream, before the recursive composer sees it."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    m = event.start_mark
                    line, col = (m.line + 1, m.column + 1) if m else (1, 1)
                    raise ArchcError([Diagnostic("yaml-feature", f"nesting deeper than {MAX_DEPTH} levels", file, line, col)])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        raise ArchcError([_syntax_diagnostic(exc, file, text)]) from None
    except yaml.YAMLError as exc:
        raise ArchcError([Diagnostic("syntax", str(exc).split("\n")[0], file)]) from None


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, file: str, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    lines = text.splitlines()
    if mark and mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t":
        return Diagnostic("syntax", "a tab character; YAML indents with spaces only", file, line, col)
    return Diagnostic("syntax", _syntax_problem(exc, lines), file, line, col)


_OPENERS = {"while parsing a flow sequence": "[", "while parsing a flow mapping": "{", "while scanning a quoted scalar": "quote"}


def _syntax_problem(exc: yaml.MarkedYAMLError, lines: list[str]) -> str:
    """PyYAML's problem, said in the words of someone editing the file."""
    problem = exc.problem or "invalid YAML"
    mark, opened = exc.problem_mark, exc.context_mark
    if exc.context == "expected a single document in the stream":
        return "a second YAML document ('---'); a model file holds one document"
    if problem == "found undefined alias" and mark and mark.line < len(lines):
        name = re.match(r"\*([^\s,\]}]+)", lines[mark.line][mark.column :])
        alias = name.group(1) if name else "?"
        return f"alias '*{alias}' refers to no anchor '&{alias}' defined before it"
    opener = _OPENERS.get(exc.context or "")
    if opener and opened:
        what = "the quote" if opener == "quote" else f"the '{opener}'"
        return f"{what} opened at line {opened.line + 1}, column {opened.column + 1} is never closed ({problem})"
    if exc.context and "found" not in exc.context:
        return f"{exc.context}: {problem}"
    return problem


class _Builder:
    """Turns a composed node tree into dicts, lists and scalars, recording positions."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[Path_, Pos] = {}
        self.diagnostics: list[Diagnostic] = []
        self.nodes = 0
        self._resolver = yaml.SafeLoader("")  # reuses PyYAML's scalar constructors

    def _fail(self, code: ErrorCode, message: str, mark: Any) -> None:
        self.diagnostics.append(Diagnostic(code, message, self.file, mark.line + 1, mark.column + 1))

    def build(self, node: yaml.Node | None, path: Path_, key_node: yaml.Node | None) -> Any:
        if node is None:
            return None
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self._fail("yaml-feature", f"the document expands to over {MAX_NODES:,} values through aliases", node.start_mark)
            return None
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
            self._fail(
                "yaml-feature", f"YAML tag '{node.tag.replace('tag:yaml.org,2002:', '!!')}' is not allowed in a model", node.start_mark
            )
            return None
        km = (key_node or node).start_mark
        self.positions[path] = Pos(node.start_mark.line + 1, node.start_mark.column + 1, km.line + 1, km.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), None) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag == _TIMESTAMP_TAG:  # a date in a description is just text to us
            return str(node.value)
        if node.tag not in _SCALAR_TAGS:
            self._fail(
                "yaml-feature", f"YAML tag '{node.tag.replace('tag:yaml.org,2002:', '!!')}' is not allowed in a model", node.start_mark
            )
            return None
        return self._resolver.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in self._merged_pairs(node):
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self._fail("structure", "a mapping key must be a plain name", key_node.start_mark)
                continue
            key = str(self._resolver.construct_object(key_node))
            if key in result:
                first = self.positions[(*path, key)]
                self._fail("duplicate-key", f"key '{key}' appears twice (first at line {first.key_line})", key_node.start_mark)
                continue
            result[key] = self.build(value_node, (*path, key), key_node)
        return result

    def _merged_pairs(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        """Expand YAML merge keys (``<<: *defaults``); explicit keys win over merged ones."""
        own = [(k, v) for k, v in node.value if k.tag != _MERGE_TAG]
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for k, v in node.value:
            if k.tag != _MERGE_TAG:
                continue
            sources = v.value if isinstance(v, yaml.SequenceNode) else [v]
            for src in sources:
                if not isinstance(src, yaml.MappingNode):
                    self._fail("structure", "'<<' merges only mappings", src.start_mark)
                    continue
                merged.extend(self._merged_pairs(src))
        own_keys = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        seen: set[str] = set()
        extra = []
        for k, v in merged:
            if not isinstance(k, yaml.ScalarNode):
                extra.append((k, v))  # refused with a position by _mapping
            elif k.value not in own_keys and k.value not in seen:
                seen.add(k.value)
                extra.append((k, v))
        return extra + own
