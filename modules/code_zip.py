"""A function's own code, zipped the same way on every machine.

``code: path/to/dir`` of a lambda (relative to the model file) is packed at build time
into the zip the function deploys. The bytes depend on the files' relative paths and
contents only: entries sorted by path, one fixed timestamp (1980-01-01, the zip epoch),
fixed Unix permissions (0644; 0755 for a custom runtime's ``bootstrap``), no directory
entries, and no compression (zlib's output can differ between builds of the library).
Version-control and cache folders are left out.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".pytest_cache", ".mypy_cache", ".venv", ".terraform"})
# Lambda refuses a direct upload above 50 MB (zipped) and code above 250 MB (unzipped): the
# stored zip is about the files' size, so one limit covers both.
MAX_BYTES = 50 * 1024 * 1024


def code_files(folder: Path) -> list[tuple[str, Path]]:
    """(path inside the zip, file) for every file to pack, sorted by path in the zip."""
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part in SKIPPED_DIRS for part in rel.parts[:-1]) or not path.is_file():
            continue
        found.append((rel.as_posix(), path))
    return sorted(found)


def code_problem(base: Path, code: str) -> str | None:
    """Why folder ``code`` (relative to ``base``, the model's folder) cannot be a function's code, or None."""
    folder = base / code
    if not folder.is_dir():
        return f"{code!r} is not a folder (relative to the model file)" if not folder.exists() else f"{code!r} is a file, not a folder"
    files = code_files(folder)
    if not files:
        return f"{code!r} holds no files"
    size = sum(path.stat().st_size for _, path in files)
    if size > MAX_BYTES:
        return f"{code!r} holds {size / 2**20:.0f} MB; Lambda takes a zip of at most 50 MB uploaded directly"
    return None


def zip_folder(folder: Path) -> bytes:
    """The deterministic zip of ``folder``.

    >>> import tempfile; d = Path(tempfile.mkdtemp()); _ = (d / "b.py").write_text("x"); _ = (d / "a.py").write_text("y")
    >>> zipfile.ZipFile(io.BytesIO(zip_folder(d))).namelist()
    ['a.py', 'b.py']
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, path in code_files(folder):
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.create_system = 3  # unix, so the permissions below are read as such
            entry.external_attr = (0o755 if path.name == "bootstrap" else 0o644) << 16
            zf.writestr(entry, path.read_bytes())
    return buf.getvalue()
