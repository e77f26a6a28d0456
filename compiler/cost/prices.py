"""The price table shipped with archc (``prices.csv``): public AWS list prices, per key
and region, each row with its unit, source page, date and, where one exists, the
infracost test output that shows the same price. No network at build time."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).with_name("prices.csv")


@dataclass(frozen=True)
class Price:
    """One row: the USD list price of one unit of ``key`` in ``region``."""

    key: str  # "<product>:<dimension>", e.g. "ec2:t3.micro", "nat:gb"
    region: str
    usd: float
    unit: str
    source: str
    as_of: str
    verified: str  # the infracost golden output showing the same price, or ""


@functools.cache
def table() -> dict[tuple[str, str], Price]:
    """Every row, by (key, region)."""
    with TABLE.open(newline="", encoding="utf-8") as f:
        rows = [Price(r["key"], r["region"], float(r["usd"]), r["unit"], r["source"], r["as_of"], r["verified"]) for r in csv.DictReader(f)]
    return {(p.key, p.region): p for p in rows}


def price(key: str, region: str) -> Price | None:
    """The row for a key in a region, or None when the table has none."""
    return table().get((key, region))


def regions() -> list[str]:
    """The regions the table covers."""
    return sorted({region for _, region in table()})
