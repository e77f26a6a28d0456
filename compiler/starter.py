"""``archc init``: start a model in a directory, from a small starter or from an example.

What it writes: ``<dir>/architecture.yaml`` (the model, with a ``yaml-language-server``
modeline so editors complete and document it), ``<dir>/archc.schema.json`` (the schema
the modeline names, so completion works offline and matches this archc), and
``<dir>/README.md`` (the next commands). It never overwrites: when any of them exists,
nothing is written. The model is validated before anything is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

MODEL_FILE = "architecture.yaml"
SCHEMA_FILE = "archc.schema.json"
# The modeline yaml-language-server reads (VS Code's YAML extension, JetBrains, Neovim...).
MODELINE = "# yaml-language-server: $schema="
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

STARTER = """\
name: {name}
title: {title}
description: >-
  A starting point: people call an HTTP API, a function handles each request and keeps
  its data in a table. Replace the parts with your own: the kinds and their settings
  are in the schema (your editor completes them) and in the docs' reference.
region: us-east-1

layers:
  - name: clients
    title: Clients
    services:
      people:
        kind: users
        title: People using the API

  - name: application
    title: Application
    services:
      api:
        kind: api-gateway
        title: HTTP API
      handler:
        kind: lambda
        title: Request handler

  - name: data
    title: Data
    services:
      items:
        kind: dynamodb
        title: Items table
        hash_key: id

connections:
  - {{from: people, to: api, label: HTTPS requests, step: 1}}
  - {{from: api, to: handler, path: /items, label: /items, step: 2}}
  - {{from: handler, to: items, access: read-write, label: items, step: 3}}
"""

README = """\
# {title}

The architecture model is `{model}`; archc compiles it into Terraform, figures and docs.

```sh
archc validate {model}            # errors as FILE:LINE:COL, in a second
archc build {model}               # Terraform, figures and docs into generated/{name}/
archc check {model}               # checkov and archc's invariants on the Terraform
archc docs {model} --serve        # the docs site, rebuilt on every save
```

Editors that speak yaml-language-server (VS Code with the Red Hat YAML extension,
JetBrains IDEs, Neovim) complete kinds and settings from `{schema}`, named on the
model's first line. `archc schema --out {schema}` refreshes it after upgrading archc.
"""


class InitError(Exception):
    """A reason ``archc init`` wrote nothing (a user's mistake, not a bug)."""


@dataclass(frozen=True)
class Started:
    """What ``init`` wrote."""

    directory: Path
    name: str
    files: tuple[str, ...]


def examples() -> list[str]:
    """The names of the examples a model can start from."""
    return sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def model_text(name: str, example: str | None) -> str:
    """The model, named ``name``, from the starter or from an example; with the modeline."""
    if example is None:
        body = STARTER.format(name=name, title=name.replace("-", " ").title())
    else:
        source = EXAMPLES / f"{example}.yaml"
        if not source.is_file():
            raise InitError(f"no example named '{example}' (examples: {', '.join(examples())})")
        body = _renamed(source.read_text(encoding="utf-8"), name)
    lines = [line for line in body.splitlines(keepends=True) if not line.startswith(MODELINE)]
    return f"{MODELINE}{SCHEMA_FILE}\n" + "".join(lines)


def _renamed(text: str, name: str) -> str:
    """The example's text with its top-level ``name:`` replaced (comments and layout kept)."""
    renamed, count = re.subn(r"(?m)^name:[^\n#]*", f"name: {name}", text, count=1)
    if count != 1:  # every example has one: the catalog test builds them all
        raise InitError("the example has no top-level 'name:' to rename")
    return renamed


def init(directory: Path, example: str | None = None, name: str | None = None) -> Started:
    """Write a model, its schema and a README into ``directory`` (created if missing)."""
    from compiler.model import json_schema

    name = name or _name_from(directory)
    if not NAME.match(name) or len(name) > 40:
        raise InitError(f"'{name}' is not a valid architecture name: lowercase letters, digits and single hyphens, at most 40 (use --name)")
    files = {
        MODEL_FILE: model_text(name, example),
        SCHEMA_FILE: json.dumps(json_schema(), indent=2, sort_keys=True) + "\n",
    }
    title = name.replace("-", " ").title()
    files["README.md"] = README.format(title=title, model=MODEL_FILE, name=name, schema=SCHEMA_FILE)
    beside = example_files(example)  # the files the example names (its functions' code), kept at their paths
    taken = sorted(f for f in [*files, *beside] if (directory / f).exists())
    if taken:
        raise InitError(f"{directory.as_posix()}/ already has {', '.join(taken)}; archc init writes nothing over existing files")
    _check(files[MODEL_FILE], directory / MODEL_FILE, beside)
    directory.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (directory / rel).write_text(text, encoding="utf-8")
    _write(directory, beside)
    return Started(directory, name, (*files, *beside))


def example_files(example: str | None) -> dict[str, bytes]:
    """The files of folder ``examples/<example>/`` (a model names them relative to itself), by path."""
    folder = EXAMPLES / example if example else None
    if folder is None or not folder.is_dir():
        return {}
    return {p.relative_to(EXAMPLES).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _write(directory: Path, files: dict[str, bytes]) -> None:
    for rel, content in files.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_bytes(content)


def _name_from(directory: Path) -> str:
    """The architecture's name from the directory's: ``My Shop`` -> ``my-shop``."""
    slug = re.sub(r"[^a-z0-9]+", "-", directory.resolve().name.lower()).strip("-")
    return slug[:40].rstrip("-") or "architecture"


def _check(text: str, shown_as: Path, beside: dict[str, bytes]) -> None:
    """The model validates as written (a starter that does not would be archc's bug)."""
    import tempfile

    from compiler import pipeline

    with tempfile.TemporaryDirectory(prefix="archc-init-") as scratch:
        path = Path(scratch) / MODEL_FILE
        path.write_text(text, encoding="utf-8")
        _write(Path(scratch), beside)
        envs: list[str | None] = [*pipeline.environment_names(path)[1]] or [None]
        for env in envs:  # every environment of an example with them
            pipeline.check(path, shown_as.as_posix(), env)
