"""What AWS supports, and until when: the one dated table of versions a model can name.

Lambda runtimes, Elastic Beanstalk platform branches, RDS / Aurora / ElastiCache engine
versions, EKS Kubernetes versions, CodeBuild curated images and EMR release labels, each line with the date AWS deprecates it (stops
patching it, ends standard support) and the date it is retired (AWS refuses to create
new resources on it, or its paid extended support ends), and the source each date was
read from. Every version default of the catalog comes from here (:func:`default`), so
the defaults move in one place; the defaults are fixed data, never computed from the
clock, so a build writes the same bytes on any day.

The clock only decides what archc says about a model (:func:`check`): a retired version
is an error, one deprecated within :data:`WARN_DAYS` (or already deprecated, not yet
retired) a warning naming the dates. "Today" is the machine's date, or ``ARCHC_TODAY``
(``YYYY-MM-DD``) when set, so tests and reproducible runs fix it.

A line without a retirement date is retired from its deprecation date: AWS stops
patching it then, and archc does not promise it can still be created. A version that
no line covers (an engine minor version, a platform archc has no row for) is not
checked. Keep :data:`REVIEWED` the day the rows were last compared with their sources.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

REVIEWED = date(2026, 12, 5)
WARN_DAYS = 90

# Lambda runtimes the catalog has placeholder code for (compute_kit.PLACEHOLDER_CODE);
# retired ones stay listed so that naming one gets its dates, not "not one of ...".
LambdaRuntime = Literal[
    "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x",
    "python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
    "ruby3.2", "ruby3.3", "ruby3.4",
]  # fmt: skip

# Supported to 2029-06-30, and known to every AWS provider a user may run: hashicorp/aws
# 5.100.0 (the last 5.x) rejects nodejs24.x and python3.14, newer than its runtime list.
LAMBDA_DEFAULT: LambdaRuntime = "python3.13"

Status = Literal["supported", "deprecating", "retired"]


@dataclass(frozen=True)
class Line:
    """One supported line: a runtime, a platform branch, an engine major version, a release."""

    name: str
    deprecated: date | None  # AWS stops patching it / standard support ends (None: nothing announced)
    retired: date | None  # AWS refuses new ones / extended support ends (None: from `deprecated`)
    source: str  # where the dates come from, read on which day, and what is not confirmed

    @property
    def end(self) -> date | None:
        """The first day archc refuses the line."""
        return self.retired or self.deprecated

    def status(self, today: date) -> Status:
        """Retired from :attr:`end`; deprecating from :data:`WARN_DAYS` before :attr:`deprecated`."""
        if self.end is not None and today >= self.end:
            return "retired"
        if self.deprecated is not None and today >= self.deprecated - timedelta(days=WARN_DAYS):
            return "deprecating"
        return "supported"


@dataclass(frozen=True)
class Family:
    """The lines of one kind of version, how a version maps to its line, and archc's default."""

    key: str
    title: str  # "Lambda runtime": starts every message
    retired_means: str  # what retirement means for a user of this family
    default: str  # what archc writes when the model names no version
    lines: tuple[Line, ...]
    line_of: Callable[[str], str] = str  # the line a version belongs to ("16.4" -> "16")

    def line(self, version: str) -> Line | None:
        """The line covering ``version``, if the table has one."""
        name = self.line_of(version)
        return next((line for line in self.lines if line.name == name), None)

    def choices(self, today: date) -> list[str]:
        """Lines neither retired nor deprecating ``today``, in table order."""
        return [line.name for line in self.lines if line.status(today) == "supported"]


def _major(version: str) -> str:
    """PostgreSQL and Redis/Valkey lines are major versions: '16.4' -> '16'."""
    return version.split(".")[0]


def _major_minor(version: str) -> str:
    """MySQL and MariaDB lines are two-part versions: '8.0.40' -> '8.0'."""
    return ".".join(version.split(".")[:2])


def _aurora_mysql(version: str) -> str:
    """Aurora MySQL lines are the MySQL major: '8.0.mysql_aurora.3.10.4' -> '8.0'."""
    return version.split(".mysql_aurora")[0]


def _years(day: date, years: int) -> date:
    """``day`` plus whole years (28 Feb for 29 Feb in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --- sources ---------------------------------------------------------------------------
_READ = "read 2026-12-05"
_LAMBDA = "AWS Lambda runtimes page https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
_TFLINT = "tflint-ruleset-aws rules/aws_lambda_function_deprecated_runtime.go (mirrors the Lambda page)"
_EOL_LAMBDA = "endoflife.date/aws-lambda (mirrors the Lambda page)"
_POCKET = "pocketlantern.dev 'AWS Lambda Node.js 20 deprecation' (AWS's table as of 2026-04-01)"
_NO_BLOCK = "block dates not confirmed: archc refuses it from the deprecation date"
_EB_NODE = "Elastic Beanstalk Node.js platform history (docs.aws.amazon.com/elasticbeanstalk/latest/platforms/platform-history-nodejs)"
_EB_POLICY = "Elastic Beanstalk platform support policy: a branch is retired when its runtime reaches end of life"
_EB_SCHEDULE = "pocketlantern.dev 'Elastic Beanstalk AL2 platform branch retirement' (AWS's schedule as of 2026-04-09)"
_EB_NONE = "no retirement announced as read; the branch's upstream end of life is not tracked here"
_RDS_ES = "RDS Extended Support: creating is allowed (charged) for up to 3 years after end of standard support (RDS/Aurora user guides)"
_ES_END = "end of Extended Support taken as end of standard support + 3 years, exact date not confirmed"
_EMR = "Amazon EMR Release Guide, the release's 'supported lifecycle' table"
_EMR_EOL = "refused from 'end of life' (whether EMR still creates clusters then is not confirmed)"
_RDS_PG = "RDS for PostgreSQL release calendar"
_CACHE_ES = "ElastiCache Extended Support taken to allow creating for 3 years like RDS's (not confirmed)"
_REDIS_45 = "ElastiCache: standard support for Redis OSS 4 and 5 ended 2026-01-31, then Extended Support (educative.io ElastiCache course)"
_AURORA_PG = "Aurora PostgreSQL release calendar for major versions"
_EKS = "Amazon EKS user guide, 'Understand the Kubernetes version lifecycle on EKS', release calendar"
_EKS_135 = (
    "endoflife.date/amazon-eks and aws-samples 'eks-operation-review' calendar (verified 2026-04-24); not in the user guide copy read"
)
_CODEBUILD = "CodeBuild user guide, 'Docker images provided by CodeBuild' (EC2 compute images)"
_CODEBUILD_OLD = "CodeBuild user guide, 'Deprecated CodeBuild images': no longer cached nor updated (no patches), still usable"


def _lambda(name: str, deprecated: date, retired: date | None, source: str) -> Line:
    return Line(name, deprecated, retired, f"{source}; {_READ}")


def _branch(name: str, deprecated: date | None, retired: date | None, source: str) -> Line:
    return Line(name, deprecated, retired, f"{source}; {_READ}")


def _db(name: str, standard_end: date | None, source: str, retired: date | None = None, extended: str = _RDS_ES) -> Line:
    """An engine major version: deprecated at end of standard support, retired when Extended Support ends."""
    if standard_end is None:
        return Line(name, None, None, f"{source}; no end of standard support announced as read; {_READ}")
    ends = "" if retired else f"; {_ES_END}"
    return Line(name, standard_end, retired or _years(standard_end, 3), f"{source}; {extended}{ends}; {_READ}")


def _emr(name: str, end_of_support: date, end_of_life: date) -> Line:
    page = f"emr-{name.removeprefix('emr-').replace('.', '')}-release"
    return Line(name, end_of_support, end_of_life, f"{_EMR} ({page}); {_EMR_EOL}; {_READ}")


def _eks(name: str, standard_end: date, extended_end: date, source: str = _EKS) -> Line:
    """A Kubernetes minor version: deprecated at end of standard support (EKS bills extended
    support from then), retired at end of extended support (no new clusters on it)."""
    return Line(name, standard_end, extended_end, f"{source}; {_READ}")


def _image(name: str, deprecated: date | None) -> Line:
    """A CodeBuild curated image: refused from its deprecation (CodeBuild stops patching it)."""
    return Line(f"aws/codebuild/{name}", deprecated, None, f"{_CODEBUILD_OLD if deprecated else _CODEBUILD}; {_READ}")


def _single(platform: str, title: str, version: str) -> Family:
    """A Beanstalk platform of which the table holds archc's default branch only."""
    return Family(f"beanstalk-{platform}", f"Elastic Beanstalk {title} platform branch", "", version,
                  (_branch(version, None, None, f"{title} {version} AL2023 branch; {_EB_NONE}".replace("  ", " ")),))  # fmt: skip


_RETIRED_BRANCH = "Elastic Beanstalk retired the branch: no solution stack for new environments"
_ES_ENDED = "RDS Extended Support for it has ended"

FAMILIES: dict[str, Family] = {
    f.key: f
    for f in (
        Family(
            "lambda",
            "Lambda runtime",
            "Lambda no longer creates functions with it",
            LAMBDA_DEFAULT,
            (
                _lambda("nodejs18.x", date(2025, 9, 1), None, f"{_TFLINT}; {_NO_BLOCK}"),
                _lambda("nodejs20.x", date(2026, 4, 30), date(2026, 8, 31), f"{_LAMBDA}; block create 2026-08-31 per {_POCKET}"),
                _lambda(
                    "nodejs22.x",
                    date(2027, 4, 30),
                    date(2027, 6, 1),
                    f"{_LAMBDA}; block create 2027-06-01, update 2027-07-01 per {_POCKET}",
                ),
                _lambda("nodejs24.x", date(2028, 4, 30), None, f"{_EOL_LAMBDA}: block update 2028-07-01; block create not confirmed"),
                _lambda("python3.9", date(2025, 12, 15), None, f"{_TFLINT}; {_NO_BLOCK}"),
                _lambda("python3.10", date(2026, 6, 30), None, f"{_TFLINT} (Amazon Linux 2 end); {_NO_BLOCK}"),
                _lambda("python3.11", date(2026, 6, 30), None, f"{_TFLINT} (Amazon Linux 2 end); {_NO_BLOCK}"),
                _lambda("python3.12", date(2028, 10, 31), None, f"{_TFLINT}; block dates not confirmed"),
                _lambda("python3.13", date(2029, 6, 30), None, f"{_TFLINT}; {_EOL_LAMBDA}: block update 2029-08-31"),
                _lambda("python3.14", date(2029, 6, 30), None, f"{_EOL_LAMBDA}: block update 2029-08-31"),
                _lambda("ruby3.2", date(2026, 3, 31), None, f"{_TFLINT}; {_NO_BLOCK}"),
                _lambda("ruby3.3", date(2027, 3, 31), None, f"{_TFLINT}; block dates not confirmed"),
                _lambda("ruby3.4", date(2028, 3, 31), None, f"{_EOL_LAMBDA}: block update 2028-05-31"),
            ),
        ),
        Family(
            "beanstalk-nodejs",
            "Elastic Beanstalk Node.js platform branch",
            _RETIRED_BRANCH,
            "24",
            (
                _branch(
                    "18", date(2025, 4, 30), date(2025, 8, 11), "Elastic Beanstalk release notes 2025-08-11: Node.js 18 AL2023 retired"
                ),
                _branch(
                    "20",
                    date(2026, 4, 30),
                    date(2026, 7, 31),
                    f"Node.js 20 end of life; {_EB_POLICY}; retired 2026-07-31 per {_EB_SCHEDULE}",
                ),
                _branch(
                    "22",
                    date(2027, 4, 30),
                    None,
                    f"{_EB_NODE}: Node.js 22 AL2023 v6.10.0 (2026-03-31); Node.js 22 end of life; {_EB_POLICY}",
                ),
                _branch(
                    "24",
                    date(2028, 4, 30),
                    None,
                    f"{_EB_NODE}: Node.js 24 AL2023 v6.10.0 (2026-03-31); Node.js 24 end of life; {_EB_POLICY}",
                ),
            ),
            _major,
        ),
        Family(
            "beanstalk-python",
            "Elastic Beanstalk Python platform branch",
            _RETIRED_BRANCH,
            "3.12",
            (
                _branch("3.9", date(2025, 10, 31), date(2026, 7, 31), f"Python 3.9 end of life; retired 2026-07-31 per {_EB_SCHEDULE}"),
                _branch("3.11", date(2027, 10, 31), None, f"Python 3.11 AL2023 branch; Python 3.11 end of life; {_EB_POLICY}"),
                _branch("3.12", date(2028, 10, 31), None, f"Python 3.12 AL2023 branch; Python 3.12 end of life; {_EB_POLICY}"),
            ),
            _major_minor,
        ),
        _single("docker", "Docker", ""),
        _single("java", "Corretto", "21"),
        _single("go", "Go", "1"),
        _single("php", "PHP", "8.3"),
        Family(
            "rds-postgres",
            "RDS for PostgreSQL",
            _ES_ENDED,
            "16",
            (
                _db("11", date(2024, 2, 29), _RDS_PG),
                _db("12", date(2025, 2, 28), f"{_RDS_PG}; AWS Database Blog 'Upgrade strategies for ... PostgreSQL 12'"),
                _db("13", date(2026, 2, 28), _RDS_PG),
                _db("14", date(2027, 2, 28), _RDS_PG),
                _db("15", date(2028, 2, 29), _RDS_PG),
                _db("16", date(2029, 2, 28), _RDS_PG),
                _db("17", date(2030, 2, 28), _RDS_PG),
            ),
            _major,
        ),
        Family(
            "rds-mysql",
            "RDS for MySQL",
            _ES_ENDED,
            "8.4",
            (
                _db("5.7", date(2024, 2, 29), "RDS for MySQL release calendar; AWS blog 'Introducing RDS Extended Support for MySQL'"),
                _db("8.0", date(2026, 7, 31), "RDS for MySQL release calendar"),
                _db("8.4", None, "RDS for MySQL release calendar (MySQL 8.4 LTS)"),
            ),
            _major_minor,
        ),
        Family(
            "rds-mariadb", "RDS for MariaDB", _ES_ENDED, "11.4", (_db("11.4", None, "RDS for MariaDB versions (11.4 LTS)"),), _major_minor
        ),
        Family(
            "aurora-postgresql",
            "Aurora PostgreSQL",
            _ES_ENDED,
            # An exact minor to create with: Aurora retires minors within about a year (16.4
            # ended 2026-05-31); 16.13 was the newest 16.x on 2026-05-15 (a public project's
            # upgrade note, found by code search). Minors are not lines here: the cluster
            # ignores version drift once Aurora upgrades it (database.py).
            "16.13",
            (
                _db("11", date(2024, 2, 29), _AURORA_PG),
                _db("12", date(2025, 2, 28), f"{_AURORA_PG}; AWS Database Blog 'Upgrade strategies for Aurora PostgreSQL ... 12'"),
                _db("13", date(2026, 2, 28), _AURORA_PG),
                _db("14", date(2027, 2, 28), _AURORA_PG),
                _db("15", date(2028, 2, 29), _AURORA_PG),
                _db("16", date(2029, 2, 28), _AURORA_PG),
                _db("17", date(2030, 2, 28), _AURORA_PG),
            ),
            _major,
        ),
        Family(
            "aurora-mysql",
            "Aurora MySQL",
            _ES_ENDED,
            # Aurora MySQL 3.10 (MySQL 8.0.42): 3.10.4 was published 2026-03-30 (Aurora MySQL
            # release notes, document history); 3.08.0 (2024-11-18) was superseded by 3.08.1/.2.
            "8.0.mysql_aurora.3.10.4",
            (
                _db(
                    "5.7",
                    date(2024, 10, 31),
                    "Aurora user guide 'Using RDS Extended Support' (Aurora MySQL 2: 3 years 4 months)",
                    date(2028, 2, 29),
                ),
                _db("8.0", None, "Aurora MySQL version 3 (MySQL 8.0)"),
            ),
            _aurora_mysql,
        ),
        Family(
            "elasticache-redis",
            "ElastiCache for Redis OSS",
            "ElastiCache Extended Support for it has ended",
            "7.1",
            (
                _db("4", date(2026, 1, 31), _REDIS_45, extended=_CACHE_ES),
                _db("5", date(2026, 1, 31), _REDIS_45, extended=_CACHE_ES),
                _db("6", None, "ElastiCache 'Supported engine versions' (6.0, 6.2) and 'Redis versions end of life schedule'"),
                _db("7", None, "ElastiCache 'Supported engine versions' (7.0, 7.1) and 'Redis versions end of life schedule'"),
            ),
            _major,
        ),
        Family(
            "elasticache-valkey",
            "ElastiCache for Valkey",
            "ElastiCache no longer creates it",
            "8.0",
            (_db("7", None, "ElastiCache supported engine versions"), _db("8", None, "ElastiCache supported engine versions")),
            _major,
        ),
        Family(
            "eks",
            "EKS Kubernetes version",
            "EKS no longer creates clusters with it",
            "1.35",  # the newest row: EKS releases a version every ~4 months, each in standard support 14 months
            (
                _eks("1.29", date(2025, 3, 23), date(2026, 3, 23)),
                _eks("1.30", date(2025, 7, 23), date(2026, 7, 23)),
                _eks("1.31", date(2025, 11, 26), date(2026, 11, 26)),
                _eks("1.32", date(2026, 3, 23), date(2027, 3, 23)),
                _eks("1.33", date(2026, 7, 29), date(2027, 7, 29)),
                _eks("1.34", date(2026, 12, 2), date(2027, 12, 2)),
                _eks("1.35", date(2027, 3, 27), date(2028, 3, 27), _EKS_135),
            ),
        ),
        Family(
            "codebuild-image",
            "CodeBuild image",
            "",  # never used: no row has a retirement date
            "aws/codebuild/amazonlinux-x86_64-standard:5.0",
            (
                _image("standard:3.0", date(2022, 6, 30)),
                _image("amazonlinux2-x86_64-standard:2.0", date(2022, 6, 30)),
                _image("standard:4.0", date(2023, 3, 31)),
                _image("amazonlinux2-aarch64-standard:1.0", date(2023, 3, 31)),
                _image("amazonlinux2-x86_64-standard:3.0", date(2023, 5, 9)),
                _image("amazonlinux-x86_64-standard:5.0", None),  # Amazon Linux 2023
                _image("amazonlinux-x86_64-standard:4.0", None),  # Amazon Linux 2
                _image("amazonlinux-aarch64-standard:3.0", None),  # Amazon Linux 2023, arm64
                _image("amazonlinux-aarch64-standard:2.0", None),  # Amazon Linux 2, arm64
                _image("standard:7.0", None),  # Ubuntu 22.04
            ),
        ),
        Family(
            "emr",
            "EMR release",
            "it is past end of life",
            "emr-7.14.0",
            (
                _emr("emr-7.3.0", date(2026, 10, 16), date(2027, 10, 16)),
                _emr("emr-7.4.0", date(2026, 11, 13), date(2027, 11, 13)),
                _emr("emr-7.5.0", date(2026, 11, 21), date(2027, 11, 21)),
                _emr("emr-7.9.0", date(2027, 5, 20), date(2028, 5, 19)),
                _emr("emr-7.10.0", date(2027, 8, 16), date(2028, 8, 15)),
                _emr("emr-7.13.0", date(2028, 4, 22), date(2029, 4, 21)),
                _emr("emr-7.14.0", date(2028, 9, 9), date(2029, 9, 8)),
            ),
        ),
    )
}


def default(family: str) -> str:
    """The version archc writes for ``family`` when the model names none.

    >>> default("lambda")
    'python3.13'
    """
    return FAMILIES[family].default


def today() -> date:
    """The date the check uses: ``ARCHC_TODAY`` (YYYY-MM-DD) when set, else the clock.

    Raises ValueError for a malformed ``ARCHC_TODAY``.
    """
    fixed = os.environ.get("ARCHC_TODAY", "").strip()
    if not fixed:
        return date.today()
    try:
        return date.fromisoformat(fixed)
    except ValueError:
        raise ValueError(f"ARCHC_TODAY={fixed!r} is not a date; write it as YYYY-MM-DD") from None


@dataclass(frozen=True)
class Finding:
    """What the date check says about one version: a message, and whether it refuses it."""

    severity: Literal["error", "warning"]
    message: str


def check(family: str, version: str, on: date) -> Finding | None:
    """Judge ``version`` of ``family`` on day ``on``: None when it is supported (or not in the table).

    >>> check("lambda", "nodejs20.x", date(2026, 12, 5)).message  # doctest: +ELLIPSIS
    "Lambda runtime 'nodejs20.x' was retired on 2026-08-31 (Lambda no longer creates functions with it); current choices: nodejs22.x, ..."
    >>> check("lambda", "nodejs22.x", date(2027, 3, 1)).message  # doctest: +ELLIPSIS
    "Lambda runtime 'nodejs22.x' is deprecated on 2027-04-30; archc refuses it from 2027-06-01; move to one of: nodejs24.x, ..."
    >>> check("lambda", "nodejs24.x", date(2026, 12, 5)) is None
    True
    """
    fam = FAMILIES[family]
    line = fam.line(version)
    if line is None or line.end is None:
        return None
    status = line.status(on)
    if status == "supported":
        return None
    choices = ", ".join(fam.choices(on)) or "none in archc's table"
    what = f"{fam.title} '{version}'"
    if status == "retired" and line.retired is None:
        return Finding("error", f"{what} was deprecated on {line.end}: AWS no longer patches it; current choices: {choices}")
    if status == "retired":
        return Finding("error", f"{what} was retired on {line.end} ({fam.retired_means}); current choices: {choices}")
    assert line.deprecated is not None  # deprecating implies a deprecation date
    verb = "was" if on >= line.deprecated else "is"
    return Finding("warning", f"{what} {verb} deprecated on {line.deprecated}; archc refuses it from {line.end}; move to one of: {choices}")
