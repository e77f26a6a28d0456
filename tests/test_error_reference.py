"""The error codes are a closed, documented set: docs/errors.md has one entry per code
of compiler/errors.py (meaning, example, fix), and no entry without a code."""

from __future__ import annotations

import re

from compiler.errors import CODES
from tests.conftest import ROOT

PAGE = (ROOT / "docs" / "errors.md").read_text()
SECTIONS = dict(re.findall(r"^## `([^`]+)`\n(.*?)(?=^## |\Z)", PAGE, re.MULTILINE | re.DOTALL))


def test_every_code_has_an_entry_and_every_entry_a_code() -> None:
    assert list(SECTIONS) == list(CODES)


def test_each_entry_gives_meaning_example_and_fix() -> None:
    for code, body in SECTIONS.items():
        assert f"**Meaning:** {CODES[code]}\n" in body, code
        example = re.search(r"^\*\*Example:\*\* `(.+)`$", body, re.MULTILINE)
        assert example, code
        assert (
            f"error[{code}]" in example.group(1)
            or f"warning[{code}]" in example.group(1)
            or (code == "internal" and "internal error" in example.group(1))
        ), code
        assert "**Fix:**" in body, code


def test_corpus_examples_are_real() -> None:
    """An example quoted from the bad-input corpus is that case's exact output."""
    corpus = "".join(p.read_text() for p in (ROOT / "tests" / "bad").glob("*.err"))
    for code, body in SECTIONS.items():
        example = re.search(r"^\*\*Example:\*\* `(.+)`$", body, re.MULTILINE)
        assert example
        case = example.group(1).split(":")[0]
        if (ROOT / "tests" / "bad" / case).exists():
            assert example.group(1) + "\n" in corpus, code
