"""The tidy (long) table every loader returns, and the year conventions shared by all stages.

A tidy table has one row per value::

    council | year | measure | <breakdown keys...> | value | unit | source

* ``council``: ONS code of an English council with adult social care duties (E06, E08, E09, E10).
* ``year``: a financial year ``"2017-18"`` for finance and outcome returns, or a four-digit
  calendar/mid-year ``"2018"`` for population estimates, earnings surveys and index editions.
* ``measure``: snake_case name of what is measured.
* breakdown keys: table-specific text columns (age band, support setting, ...); missing where a key
  does not apply to a row.
* ``value``: float; NaN where the publisher suppressed or did not report the value (never 0).
* ``unit``: ``gbp``, ``persons``, ``client_weeks``, ``score``, ``rate_per_100k``, ``pct`` ...
* ``source``: the id of the source file in :mod:`benchmark.data.sources`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

TIDY_LEADING = ["council", "year", "measure"]
TIDY_TRAILING = ["value", "unit", "source"]

#: Upper-tier English council code prefixes: unitary, metropolitan district, London borough, county.
COUNCIL_CODE_PATTERN = re.compile(r"^E(06|08|09|10)\d{6}$")
FINANCIAL_YEAR_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def financial_year(start: int) -> str:
    """``2017`` -> ``"2017-18"``."""
    return f"{start}-{(start + 1) % 100:02d}"


def financial_year_start(year: str) -> int:
    """``"2017-18"`` -> ``2017``; a malformed year raises ValueError naming the expected form."""
    match = FINANCIAL_YEAR_PATTERN.match(str(year))
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"'{year}' is not a financial year of the form YYYY-YY (e.g. 2017-18)")
    return int(match.group(1))


def mid_year_for(year: str) -> str:
    """Population convention: financial year YYYY-YY uses the ONS mid-YYYY estimate.

    Mid-year (30 June) falls in the first quarter of the financial year that starts in April of the
    same calendar year, so it is the estimate closest to the year's average population.
    """
    return str(financial_year_start(year))


def is_council_code(code: str) -> bool:
    return bool(COUNCIL_CODE_PATTERN.match(str(code)))


def tidy(frame: pd.DataFrame, breakdowns: Sequence[str] = ()) -> pd.DataFrame:
    """Order and type the columns of a tidy table; every column of the contract must be present."""
    columns = TIDY_LEADING + list(breakdowns) + TIDY_TRAILING
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"tidy table lacks columns {missing}")  # a programming error, not a user error
    out = frame.loc[:, columns].reset_index(drop=True)
    for column in columns:
        if column != "value":
            out[column] = out[column].astype("string")
    out["value"] = out["value"].astype("float64")
    return out
