"""mkdocs hooks of the docs site (the ``hooks:`` of its mkdocs.yml, loaded by mkdocs).

mkdocs makes a new Jinja environment for every build and compiles Material's templates
in it again: about a quarter of a site build. Kept compiled in archc's caches, they
are read back instead (``archc docs``, and every rebuild of ``archc docs --serve``).
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import jinja2

from compiler.caches import cache_dir
from compiler.docs.render import TemplateCache


def on_env(env: jinja2.Environment, config: Any, files: Any) -> jinja2.Environment:
    """Give mkdocs' environment a bytecode cache for its templates.

    Jinja checks each template's source against its cached code; the code also depends
    on the environment mkdocs sets up, so the cache is one per mkdocs and Material release.
    """
    compiled = cache_dir(f"archc-mkdocs-{version('mkdocs')}-material-{version('mkdocs-material')}")
    if compiled is not None:
        env.bytecode_cache = TemplateCache(str(compiled))
    return env
