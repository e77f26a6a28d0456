"""The error codes are a closed, documented set: docs/errors.md has one entry per code
of compiler/errors.py (meaning, example, fix), and no entry without a code."""

from __future__ import annotations

import re

from compiler.errors import CODES
from tests.conftest import ROOT

PAGE = (ROOT / "docs" / "errors.md").read_text()
SECTIONS = dict(re.findall(r"^## `([^`]+)`\n(.*?)(?=^## |\Z)", PAGE, re.MULTILINE | re.DOTALL))
CORPUS = sorted((ROOT / "tests" / "bad").glob("*.err"))
LOCATED = re.compile(r"^[^:\s]+:\d+:\d+: (error|warning)\[([a-z-]+)\]: (.*)$")


def family(line: str) -> tuple[str, str, str]:
    """(severity, code, the message's first four words with its names, numbers and
    parentheses blanked): lines of one family differ only in what they name.

    >>> family("m.yaml:9:31: error[connection]: 'db' (aurora) listens on port 3306, not 5432; drop 'port' here")
    ('error', 'connection', 'Q P listens on')
    """
    found = LOCATED.match(line)
    assert found, line
    severity, code, message = found.groups()
    message = re.sub(r"\S+ \([^)]*\) -> \S+ \([^)]*\)", "A -> B", message)  # 'db (rds) -> files (s3)'
    message = re.sub(r"'[^']*'", "Q", message)
    message = re.sub(r"\([^)]*\)", "P", message)
    message = re.sub(r"\b\d[\w.,/]*", "N", message)
    return severity, code, " ".join(message.split()[:4])


def _quoted(body: str) -> list[str]:
    """Every example line of a section: the Example and each of its More examples."""
    return re.findall(r"^(?:\*\*Example:\*\* |- )`(.+)`$", body, re.MULTILINE)


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
    """An example quoted from the bad-input corpus is that case's exact output, under its code."""
    corpus = "".join(p.read_text() for p in CORPUS)
    for code, body in SECTIONS.items():
        for example in _quoted(body):
            case = example.split(":")[0]
            if (ROOT / "tests" / "bad" / case).exists():
                assert example + "\n" in corpus, example
                assert f"[{code}]: " in example, (code, example)


def test_every_message_family_of_the_corpus_has_an_example() -> None:
    """A new kind of message in the corpus gets an example on this page (the one test of
    codes alone let messages added since go undocumented)."""
    documented = {family(line) for body in SECTIONS.values() for line in _quoted(body) if LOCATED.match(line)}
    missing = [line for p in CORPUS for line in p.read_text().splitlines() if family(line) not in documented]
    assert missing == []
