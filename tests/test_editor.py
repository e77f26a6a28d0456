"""An editor completes and documents models from the schema (issue 23): the real YAML
language server (npm yaml-language-server, the engine of VS Code's YAML extension), run
over a model that names the shipped schema in its modeline, as an editor runs it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from compiler.model import SCHEMA_PATH
from compiler.starter import MODELINE
from modules import catalog
from tests.conftest import ROOT
from tests.lsp_client import SERVER, LanguageServer

if not SERVER.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{SERVER.relative_to(ROOT)} is missing: `make setup` installs it (npm ci --prefix tools/lsp)", pytrace=False)
    pytest.skip("the YAML language server is not installed (make setup installs it)", allow_module_level=True)

MODEL = f"""{MODELINE}../{SCHEMA_PATH}
name: shop
title: Shop
region: us-east-1
layers:
  - name: app
    services:
      handler:
        kind: lambda
        ti
      other:
        kind:{" "}
"""


@pytest.fixture(scope="module")
def server() -> Iterator[LanguageServer]:
    ls = LanguageServer(ROOT)
    try:
        yield ls
    finally:
        ls.close()


@pytest.fixture(scope="module")
def uri(server: LanguageServer) -> str:
    return server.open(ROOT / "examples" / "editing.yaml", MODEL)  # never written: the editor's buffer


def test_kinds_are_offered_at_kind(server: LanguageServer, uri: str) -> None:
    assert sorted(server.completion(uri, 11, 14)) == sorted(catalog())


def test_a_kinds_settings_are_offered_inside_a_service(server: LanguageServer, uri: str) -> None:
    offered = server.completion(uri, 9, 10)
    assert {"runtime", "timeout_s", "memory_mb", "environment", "title"} <= set(offered)
    assert "hash_key" not in offered  # a dynamodb setting, not a lambda one


def test_hover_tells_what_a_kind_and_a_field_are(server: LanguageServer, uri: str) -> None:
    kind = server.hover(uri, 8, 10)
    assert kind.startswith("#### Kind\n\nAWS Lambda: Functions that run on demand")
    region = server.hover(uri, 3, 2)
    assert region.startswith("#### Region\n\n")
    assert "AWS region" in region
