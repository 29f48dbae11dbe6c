"""Every year that depends on the data, found in the data (never written in the code).

When a user adds a newer file (``python -m benchmark data add``), these move with it: the newest
outturn, the latest population estimate, the base year of the budget, the default budget year.
"""
from __future__ import annotations

from benchmark.data.tidy import financial_year, financial_year_start
from benchmark.errors import UserError

#: The default budget year is this many years after the newest outturn: outturn is published
#: about 8 months after the year ends, so in December of year Y the newest outturn is for Y-2 to
#: Y-1 and councils are setting the budget for Y+1 to Y+2.
BUDGET_YEARS_AFTER_OUTTURN = 2


def _years(frame, **where) -> list[str]:
    rows = frame
    for column, value in where.items():
        rows = rows[rows[column].isin(value if isinstance(value, (list, tuple, set)) else [value])]
    return sorted(rows.loc[rows["value"].notna(), "year"].astype(str).unique())


def latest_outturn_year(tables) -> str:
    """The newest financial year of MHCLG revenue outturn (RO3) in the data."""
    years = tables.catalogue.years("ro3")
    if not years:
        raise UserError("no Revenue Outturn Social Care (RO3) file in the data: add one with `python -m benchmark data add FILE`")
    return years[-1]


def default_budget_year(tables) -> str:
    """Two years after the newest outturn (see :data:`BUDGET_YEARS_AFTER_OUTTURN`)."""
    return financial_year(financial_year_start(latest_outturn_year(tables)) + BUDGET_YEARS_AFTER_OUTTURN)


def latest_population_year(tables) -> int:
    """The newest ONS mid-year estimate in the data (a calendar year: mid-2024 -> 2024)."""
    return int(max(tables.population_by_age["year"].astype(str).unique()))


def budget_base_year(tables) -> str:
    """The base year of the budget: the newest revenue outturn (RO3) in the data, whose lines the
    budget is built from."""
    return latest_outturn_year(tables)


def newest_year(frame, **where) -> str | None:
    """The newest year with a value in a tidy table (optionally only the rows ``where``)."""
    years = _years(frame, **where)
    return years[-1] if years else None


#: A budget year may be set up to this many years after the default one (a medium-term financial
#: plan's span); further out, the population trend and the inflation rates are extrapolated too far
#: for the build-up to mean anything.
BUDGET_YEARS_AFTER_DEFAULT = 3


def metric_years(tables) -> list[str]:
    """Every financial year in which at least one national metric has a value (oldest first)."""
    from benchmark.metrics.compute import national_values  # stage 4, imported here: the data stage does not need it

    values = national_values(tables)
    return sorted(values.loc[values["value"].notna(), "year"].astype(str).unique())


def budget_years(tables) -> list[str]:
    """The years a base budget can be built for: from the base year (the newest revenue outturn) to
    :data:`BUDGET_YEARS_AFTER_DEFAULT` years after the default budget year."""
    first = financial_year_start(budget_base_year(tables))
    last = financial_year_start(default_budget_year(tables)) + BUDGET_YEARS_AFTER_DEFAULT
    return [financial_year(start) for start in range(first, last + 1)]


def describe_years(years: list[str]) -> str:
    """``2015-16 to 2024-25``; a gap splits the runs (``2015-16 to 2017-18, 2019-20``)."""
    runs: list[list[str]] = []
    for year in sorted(years):
        if runs and financial_year_start(year) == financial_year_start(runs[-1][-1]) + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]} to {run[-1]}" for run in runs) or "none"


def check_year(year: str, available: list[str], what: str) -> None:
    """A one-line :class:`UserError` unless ``year`` is one of ``available``; ``what`` names the option or key."""
    if year not in available:
        raise UserError(f"{what} {year}: not a year the data supports (years available: {describe_years(available)})")
