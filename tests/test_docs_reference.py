"""archc's own docs/: the reference is generated from the catalog and the models, covers
every kind and field, and the committed pages are current (UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

from compiler.docs.reference import TOP_LEVEL, reference_pages
from modules import CATALOG, FAMILIES
from modules.base import Override, PatchOp, Service
from tests.conftest import ROOT, check_golden


def test_committed_reference_is_current() -> None:
    pages = reference_pages()
    for rel, text in pages.items():
        check_golden(ROOT / rel, text.encode())
    on_disk = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / "reference").rglob("*.md")}
    assert on_disk == {rel for rel in pages if rel.startswith("docs/reference/")}, "stale pages under docs/reference/"


def test_every_kind_and_every_field_is_documented() -> None:
    pages = reference_pages()
    index = pages["docs/reference/kinds/index.md"]
    for kind, cls in CATALOG.items():
        assert cls.info.family in FAMILIES
        page = pages[f"docs/reference/kinds/{cls.info.family}.md"]
        assert f"\n## {kind}\n" in page and f"[{kind}]({cls.info.family}.md#{kind})" in index
        section = page.split(f"\n## {kind}\n", 1)[1].split("\n## ", 1)[0]
        for name, field in cls.model_fields.items():
            if name not in Service.model_fields:
                assert f"| `{field.alias or name}` |" in section, f"{kind}.{name} is not documented"
    model = pages["docs/reference/model.md"]
    for _, spec in (*TOP_LEVEL, ("service", Service), ("overrides[]", Override), ("patch[]", PatchOp)):
        for name, field in spec.model_fields.items():
            assert f"| `{field.alias or name}` |" in model or name == "kind", f"{spec.__name__}.{name} is not documented"


def test_gallery_lists_every_example() -> None:
    gallery = reference_pages()["docs/gallery.md"]
    for model in sorted((ROOT / "examples").glob("*.yaml")):
        assert f"(../examples/{model.name})" in gallery
    for link in ("../generated/", "../examples/"):
        assert link in gallery
