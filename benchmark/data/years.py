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
    return int(max(tables.population_by_age["year"].astype(str)))


def budget_base_year(tables) -> str:
    """The newest year with everything the base budget's lines need: ASC-FR gross current
    expenditure by support setting from the return's own tables (mandatory rows) and long-term
    client weeks (the volumes of the care-home lines)."""
    spend = _years(tables.ascfr_expenditure, measure="gross_current_expenditure", data_type="mandatory")
    weeks = _years(tables.ascfr_activity, measure="client_weeks")
    both = sorted(set(spend) & set(weeks))
    if not both:
        raise UserError("no year has both ASC-FR spend and activity (client weeks): the base budget cannot be built")
    return both[-1]


def newest_year(frame, **where) -> str | None:
    """The newest year with a value in a tidy table (optionally only the rows ``where``)."""
    years = _years(frame, **where)
    return years[-1] if years else None
