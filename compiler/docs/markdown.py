"""Markdown that can never be broken by what a model says.

Every ``{{ value }}`` in a docs template goes through :func:`finalize`: plain strings
(titles, descriptions, labels, setting values: anything the model wrote) are escaped
so that ``|``, ``*``, ``_``, backticks, brackets and HTML render as text, never as a
table column, emphasis, a link or a ``<script>``. Only :class:`Md` values, built by
the helpers below from escaped parts, pass through unchanged. Escaping is the
default; markup is the exception that has to be asked for.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

# Characters with an inline meaning in Markdown (CommonMark and Python-Markdown both
# accept a backslash before them); ``|`` splits table cells.
_INLINE = re.compile(r"([\\`*_{}\[\]|])")
# An existing entity (``&amp;``, ``&#124;``) would be decoded: keep its ``&`` literal.
_ENTITY = re.compile(r"&(?=#?\w+;)")
# What turns a line into a block (heading, list item, numbered item) at its start.
_BLOCK_START = re.compile(r"^( *)(#|\+|-|\d+(?=[.)](?: |$)))")
_SPACES = re.compile(r"\s+")


class Md(str):
    """A string that is already Markdown (built from escaped parts): not escaped again."""

    __slots__ = ()


def escape(value: object) -> Md:
    """Any value as Markdown text that renders exactly as written, on one line.

    >>> escape("a | b <script>*x*</script>")
    'a \\\\| b &lt;script&gt;\\\\*x\\\\*&lt;/script&gt;'
    >>> escape("# not a heading")
    '\\\\# not a heading'
    >>> escape("1. not a list, 10.0.0.0/16 stays")
    '1\\\\. not a list, 10.0.0.0/16 stays'
    """
    text = _SPACES.sub(" ", str(value))  # a newline could start a new block
    text = _ENTITY.sub("&amp;", text)
    text = _INLINE.sub(r"\\\1", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    match = _BLOCK_START.match(text)
    if match:  # "1. x" -> "1\\. x"; "# x" -> "\\# x"
        space, marker = match.groups()
        rest = text[match.end() :]
        text = space + (marker + "\\" + rest if marker.isdigit() else "\\" + marker + rest)
    return Md(text)


def finalize(value: object) -> object:
    """Jinja's ``finalize``: escape every output unless it is already :class:`Md`."""
    if isinstance(value, Md):
        return value
    return escape(value)


def code(value: object) -> Md:
    """Inline code (Terraform addresses, ports, actions), safe inside a table cell.

    >>> code("aws_s3_bucket.assets")
    '`aws_s3_bucket.assets`'
    >>> code("a|b")
    '<code>a\\\\|b</code>'
    """
    text = str(value)
    if "`" in text or "|" in text or "\n" in text or not text.strip():
        return Md(f"<code>{escape(text)}</code>")  # HTML code: inline Markdown escapes still apply
    return Md(f"`{text}`")


def codes(values: Iterable[object]) -> Md:
    """A comma-separated list of inline code, or "–" when empty."""
    return Md(", ".join(code(v) for v in values) or "–")


def link(text: object, target: str) -> Md:
    """A Markdown link with escaped text; ``target`` is a path we built, never model text."""
    return Md(f"[{escape(text)}]({target})")


def anchor(name: str) -> Md:
    """An HTML anchor other pages link to (names come from :mod:`compiler.names`)."""
    return Md(f'<a id="{name}"></a>')


def relative(from_page: str, to_path: str) -> str:
    """The relative link from one output file to another (both relative to the output dir).

    >>> relative("docs/services/web.md", "docs/services/db.md#to-x")
    'db.md#to-x'
    >>> relative("docs/index.md", "diagrams/overview.svg")
    '../diagrams/overview.svg'
    """
    path, _, fragment = to_path.partition("#")
    rel = posixpath.relpath(path, posixpath.dirname(from_page) or ".")
    return rel + (f"#{fragment}" if fragment else "")
