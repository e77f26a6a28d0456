"""Add an example line to docs/errors.md for every message family of the bad-input corpus
that the page does not show yet (tests/test_error_reference.py fails until each has one).

Run it after adding cases to tests/bad/, then review the diff: the page lists each
code's examples under "More examples", sorted.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_error_reference import CORPUS, LOCATED, SECTIONS, _quoted, family  # noqa: E402


def main() -> int:
    page = (ROOT / "docs" / "errors.md").read_text()
    documented = {family(line) for body in SECTIONS.values() for line in _quoted(body) if LOCATED.match(line)}
    new: dict[str, list[str]] = {}
    for path in CORPUS:
        for line in path.read_text().splitlines():
            if family(line) in documented:
                continue
            documented.add(family(line))
            code = re.search(r"(?:error|warning)\[([a-z-]+)\]", line)
            if code:
                new.setdefault(code.group(1), []).append(line)
    for code, lines in new.items():
        section = re.search(rf"^## `{re.escape(code)}`\n(.*?)(?=^## |\Z)", page, re.MULTILINE | re.DOTALL)
        assert section, code
        body = section.group(1)
        if "**More examples:**\n\n" in body:
            head, rest = body.split("**More examples:**\n\n", 1)
            items = re.findall(r"^- `.+`$", rest, re.MULTILINE)
            tail = rest[len("\n".join(items)) :]
            items = sorted(items + [f"- `{line}`" for line in lines])
            body2 = head + "**More examples:**\n\n" + "\n".join(items) + tail
        else:
            example_end = body.index("\n", body.index("**Example:**")) + 1
            more = "\n**More examples:**\n\n" + "\n".join(sorted(f"- `{line}`" for line in lines)) + "\n"
            body2 = body[:example_end] + more + body[example_end:]
        page = page.replace(body, body2, 1)
        print(f"{code}: {len(lines)} example(s) added")
    (ROOT / "docs" / "errors.md").write_text(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
