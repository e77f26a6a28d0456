"""The lazy catalog: the kind index read from the family files is the real catalog,
and validating a model imports only the families of the kinds it uses."""

from __future__ import annotations

import subprocess
import sys

from modules import KINDS, catalog
from tests.conftest import ROOT


def test_kind_index_matches_the_classes() -> None:
    assert {kind: cls.__module__.removeprefix("modules.") for kind, cls in catalog().items()} == KINDS


def test_validate_imports_only_the_families_it_uses() -> None:
    code = (
        "import sys; from pathlib import Path; from compiler import pipeline; "
        "pipeline.load(Path('examples/udagram.yaml')); "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('modules.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    families = {m.removeprefix("modules.") for m in out.split()} & set(KINDS.values())
    # udagram: users, beanstalk, rds, s3
    assert families == {"general", "compute", "database", "storage"}
