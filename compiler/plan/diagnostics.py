"""From Terraform's JSON output to TfDiagnostic and change counts.

Sources: `init -json` and `plan -json` print one JSON message per line
(machine-readable UI: "diagnostic", "change_summary"...); `validate -json`
prints one document with a "diagnostics" list. A diagnostic's range (file, line,
byte) is mapped onto cdk.tf.json to name the resource and the argument.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.plan import jsonpos
from compiler.plan.model import TfDiagnostic
from compiler.plan.scratch import STACK_FILE

_BLOCK_KINDS = {"resource": "", "data": "data."}
_REQUIRED_ARG = re.compile(r'The argument "([^"]+)" is required')


@dataclass(frozen=True)
class Changes:
    add: int
    change: int
    destroy: int


class StackSource:
    """cdk.tf.json as text, to map Terraform byte offsets onto JSON paths."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        text = raw.decode("utf-8", errors="replace")
        try:
            self._spans: list[jsonpos.Span] = jsonpos.spans(text)
        except (ValueError, IndexError):
            self._spans = []  # not JSON: Terraform says so; we only lose names

    def path_at(self, byte: int) -> jsonpos.Path | None:
        """Path of the innermost value or member at a byte offset.

        A range on a block type key ("aws_vpcx": {...}) is narrowed to the one
        block under it, when there is just one, so the diagnostic gets an address.
        """
        offset = len(self._raw[:byte].decode("utf-8", errors="replace"))
        span = jsonpos.span_at(self._spans, offset)
        if span is None:
            return None
        if len(span.path) == 2 and span.path[0] in _BLOCK_KINDS:
            names = [sp.path[2] for sp in self._spans if sp.member and sp.path[:2] == span.path and len(sp.path) == 3]
            if len(names) == 1:
                return (*span.path, names[0])
        return span.path


def json_lines(stdout: str) -> list[dict[str, Any]]:
    """Messages of a machine-readable UI stream; stray non-JSON lines are skipped."""
    messages = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                messages.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return messages


def stream_diagnostics(stdout: str) -> list[Mapping[str, Any]]:
    return [m["diagnostic"] for m in json_lines(stdout) if m.get("type") == "diagnostic"]


def validate_diagnostics(stdout: str) -> list[Mapping[str, Any]]:
    try:
        doc = json.loads(stdout)
    except json.JSONDecodeError:
        return []
    return list(doc.get("diagnostics") or []) if isinstance(doc, dict) else []


def change_summary(stdout: str) -> Changes | None:
    for msg in json_lines(stdout):
        if msg.get("type") == "change_summary":
            ch = msg.get("changes") or {}
            return Changes(int(ch.get("add", 0)), int(ch.get("change", 0)), int(ch.get("remove", 0)))
    return None


def text_diagnostic(argv: list[str], rc: int, stdout: str, stderr: str) -> TfDiagnostic:
    """A failed command that printed no JSON diagnostic: keep its text."""
    text = (stderr.strip() or stdout.strip() or f"terraform {argv[0]} exited with code {rc}").splitlines()
    summary = next((ln.strip().removeprefix("Error: ") for ln in text if ln.strip()), "")
    return TfDiagnostic("error", summary, "\n".join(text).strip(), None, None, None)


def to_diagnostic(diag: Mapping[str, Any], source: StackSource) -> TfDiagnostic:
    severity = "warning" if diag.get("severity") == "warning" else "error"
    summary, detail = str(diag.get("summary", "")), str(diag.get("detail", ""))
    rng = diag.get("range") or {}
    json_line, address, attribute = None, None, None
    if rng.get("filename") == STACK_FILE:
        start = rng.get("start") or {}
        json_line = start.get("line")
        path = source.path_at(int(start.get("byte", 0)))
        if path:
            address, attribute = address_of(path)
    if diag.get("address"):
        address = str(diag["address"])  # Terraform's own, with instance keys
    if address is None:
        address = _address_from_context((diag.get("snippet") or {}).get("context"))
    if attribute is None and (m := _REQUIRED_ARG.search(detail)):
        attribute = m.group(1)
    return TfDiagnostic(severity, summary, detail, address, attribute, json_line)


def address_of(path: jsonpos.Path) -> tuple[str | None, str | None]:
    """("resource", "aws_vpc", "main", "tags", "Name") -> ("aws_vpc.main", "tags.Name")."""
    head = path[0] if path else None
    if head in _BLOCK_KINDS and len(path) >= 3:
        address, rest = f"{_BLOCK_KINDS[str(head)]}{path[1]}.{path[2]}", path[3:]
    elif head in ("output", "variable", "module") and len(path) >= 2:
        address, rest = f"{head}.{path[1]}", path[2:]
    elif head == "provider" and len(path) >= 2:
        address, rest = f"provider.{path[1]}", path[3:]  # path[2] is the list index
    else:
        return None, None
    if rest and rest[0] == "//":
        return address, None  # cdktn metadata, not an argument
    return address, _attribute_path(rest)


def _attribute_path(rest: Iterable[str | int]) -> str | None:
    text = ""
    for step in rest:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or None


def _address_from_context(context: Any) -> str | None:
    # validate's snippet context for JSON files reads like "resource.aws_vpc.main".
    if not isinstance(context, str):
        return None
    parts = context.split(".")
    if len(parts) == 3 and parts[0] in _BLOCK_KINDS:
        return f"{_BLOCK_KINDS[parts[0]]}{parts[1]}.{parts[2]}"
    return None
