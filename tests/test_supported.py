"""The dated table of what AWS supports (modules/supported.py): its rows, the defaults the
catalog takes from it, and the date check: errors, warnings, never a changed output."""

from __future__ import annotations

import typing
from datetime import date, timedelta
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.cli import main
from modules import supported
from tests.conftest import TODAY
from tests.kinds_helpers import _write


def test_every_row_has_a_source_and_ordered_dates() -> None:
    for family in supported.FAMILIES.values():
        assert family.lines, family.key
        for line in family.lines:
            assert "read 2026-12-05" in line.source, (family.key, line.name)
            if line.deprecated and line.retired:
                assert line.deprecated <= line.retired, (family.key, line.name)


# EKS keeps a version in standard support 14 months and releases one every ~4: its newest
# row (1.35) ends standard support 2027-03-27 (no 1.36 dates were found at the review).
HORIZON_DAYS = {"eks": 0}


def test_defaults_are_rows_supported_well_past_the_review() -> None:
    """Each default is in its family's table and not deprecated within a year of the review
    (EKS: supported on the review day)."""
    for family in supported.FAMILIES.values():
        line = family.line(family.default)
        assert line is not None, family.key
        on = supported.REVIEWED + timedelta(days=HORIZON_DAYS.get(family.key, 365))
        assert line.status(on) == "supported", (family.key, family.default)


def test_the_catalog_defaults_of_eks_and_codebuild_are_rows() -> None:
    """The EKS version and CodeBuild image a model gets without naming one are dated rows
    (the kinds' own defaults; containers.py and devtools.py do not yet read them from the table)."""
    from modules import CATALOG

    for kind, setting, family in (("eks", "version", "eks"), ("codebuild", "image", "codebuild-image")):
        default = CATALOG[kind].model_fields[setting].default
        assert supported.FAMILIES[family].line(default) is not None, (kind, default)


def test_lambda_literal_is_the_table() -> None:
    """The runtime setting accepts exactly the runtimes the table dates."""
    assert list(typing.get_args(supported.LambdaRuntime)) == [line.name for line in supported.FAMILIES["lambda"].lines]


@pytest.mark.parametrize(
    ("family", "version", "on", "expected"),
    [
        ("lambda", "nodejs24.x", "2026-12-05", None),
        ("lambda", "nodejs22.x", "2027-01-29", None),  # 91 days before its deprecation
        ("lambda", "nodejs22.x", "2027-01-30", "warning"),  # 90 days before
        ("lambda", "nodejs22.x", "2027-05-31", "warning"),  # deprecated, not yet blocked
        ("lambda", "nodejs22.x", "2027-06-01", "error"),  # block create
        ("lambda", "python3.11", "2026-06-30", "error"),  # no block date known: refused at deprecation
        ("beanstalk-nodejs", "20", "2026-12-05", "error"),
        ("beanstalk-python", "3.1", "2026-12-05", None),  # not a branch in the table: not judged
        ("rds-postgres", "13.4", "2026-12-05", "warning"),  # Extended Support (charged) until 2029-02-28
        ("aurora-mysql", "5.7.mysql_aurora.2.12.5", "2028-02-29", "error"),
        ("aurora-mysql", "8.0.mysql_aurora.3.08.0", "2026-12-05", None),  # minors are not dated
        ("elasticache-redis", "5.0.6", "2026-12-05", "warning"),
        ("emr", "emr-7.5.0", "2026-12-05", "warning"),
        ("emr", "emr-6.15.0", "2026-12-05", None),
        ("eks", "1.33", "2026-12-05", "warning"),  # extended support (billed) since 2026-07-29
        ("eks", "1.33", "2027-07-29", "error"),  # end of extended support: no new clusters
        ("eks", "1.35", "2026-12-05", None),
        ("eks", "1.35", "2026-12-27", "warning"),  # 90 days before its standard support ends
        ("codebuild-image", "aws/codebuild/amazonlinux-x86_64-standard:5.0", "2026-12-05", None),
        ("codebuild-image", "aws/codebuild/amazonlinux2-x86_64-standard:3.0", "2026-12-05", "error"),  # deprecated 2023-05-09
        ("codebuild-image", "123456789012.dkr.ecr.eu-west-3.amazonaws.com/build:1", "2026-12-05", None),  # own image: not judged
    ],
)
def test_check(family: str, version: str, on: str, expected: str | None) -> None:
    finding = supported.check(family, version, date.fromisoformat(on))
    assert (finding.severity if finding else None) == expected


def test_today_reads_archc_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHC_TODAY", "2030-01-02")
    assert supported.today() == date(2030, 1, 2)
    monkeypatch.setenv("ARCHC_TODAY", "")
    assert supported.today() == date.today()
    monkeypatch.setenv("ARCHC_TODAY", "next tuesday")
    with pytest.raises(ValueError, match=r"ARCHC_TODAY='next tuesday' is not a date; write it as YYYY-MM-DD"):
        supported.today()


def test_a_malformed_archc_today_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"fn": "kind: lambda"}, (), "azs: 2")
    monkeypatch.setenv("ARCHC_TODAY", "2026-13-01")
    assert main(["validate", "model.yaml"]) == 1
    assert capsys.readouterr().err == "model.yaml:1:1: error[value]: ARCHC_TODAY='2026-13-01' is not a date; write it as YYYY-MM-DD\n"


def test_a_version_deprecated_soon_warns_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """nodejs22.x on 2027-03-01: a warning naming the dates, exit 0, the same Terraform as before."""
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"fn": "kind: lambda, runtime: nodejs22.x", "cache": "kind: elasticache"}, (), "azs: 2")
    before = pipeline.compile_terraform(pipeline.load(Path("model.yaml"), "model.yaml"), "model.yaml")
    assert pipeline.load(Path("model.yaml"), "model.yaml").warnings == ()  # 146 days ahead on 2026-12-05
    monkeypatch.setenv("ARCHC_TODAY", "2027-03-01")
    assert main(["validate", "model.yaml"]) == 0
    assert capsys.readouterr().err == (
        "model.yaml:7:35: warning[version]: Lambda runtime 'nodejs22.x' is deprecated on 2027-04-30; archc refuses it from "
        "2027-06-01; move to one of: nodejs24.x, python3.12, python3.13, python3.14, ruby3.4\n"
    )
    arch = pipeline.load(Path("model.yaml"), "model.yaml")
    assert pipeline.compile_terraform(arch, "model.yaml") == before


def test_a_stale_default_points_at_the_service(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Should archc's own default age out, the message says it is the default and which setting to set."""
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"fn": "kind: lambda"}, (), "azs: 2")
    monkeypatch.setenv("ARCHC_TODAY", "2029-04-02")
    assert main(["validate", "model.yaml"]) == 0
    assert capsys.readouterr().err == (
        "model.yaml:7:7: warning[version]: Lambda runtime 'python3.13' is deprecated on 2029-06-30; archc refuses it from "
        "2029-06-30; move to one of: none in archc's table (archc's default; set 'runtime')\n"
    )


def test_suite_day_is_fixed() -> None:
    assert TODAY == "2026-12-05"
