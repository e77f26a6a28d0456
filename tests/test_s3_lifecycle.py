"""s3 lifecycle: objects expire after they are archived, and stay in Glacier its minimum
storage duration (90 days). S3 applies a deletion due the same day as or before the
transition first, so ``expire_days: 30`` with ``archive_days: 300`` never archived
anything; deleting Glacier objects before 90 days bills the 90 days anyway. The corpus
holds the exact texts (tests/bad/expire-before-archive, expire-inside-glacier-minimum)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kinds_helpers import build, error


def test_expiry_at_the_glacier_minimum_compiles_both_rules(tmp_path: Path) -> None:
    stack = build(tmp_path, {"logs": "kind: s3, archive_days: 30, expire_days: 120"})
    rules = {r["id"]: r for r in stack["resource"]["aws_s3_bucket_lifecycle_configuration"]["logs"]["rule"]}
    assert rules["archive"]["transition"] == [{"days": 30, "storage_class": "GLACIER"}]
    assert rules["expire"]["expiration"] == [{"days": 120}]


@pytest.mark.parametrize(("archive", "expire"), [(300, 30), (30, 30), (30, 119)])
def test_expiry_before_the_archive_or_its_minimum_is_refused(tmp_path: Path, archive: int, expire: int) -> None:
    message = error(tmp_path, {"logs": f"kind: s3, archive_days: {archive}, expire_days: {expire}"})
    assert "error[conflict]" in message and "expire_days" in message


@pytest.mark.parametrize("settings", ["archive_days: 30", "expire_days: 1"])
def test_one_of_the_two_alone_is_fine(tmp_path: Path, settings: str) -> None:
    assert build(tmp_path, {"logs": f"kind: s3, {settings}"})
