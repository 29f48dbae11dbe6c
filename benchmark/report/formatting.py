"""Values in their units for a reader: missing is "n/a", never 0.

Kept apart from ``benchmark.report.content`` so that the run's index page can format headline
figures without importing the charts (matplotlib).
"""
from __future__ import annotations

import math

import pandas as pd


def is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def money(value, digits: int = 0) -> str:
    if is_missing(value):
        return "n/a"
    value = float(value)
    if abs(value) >= 1e6:
        return f"{'-' if value < 0 else ''}£{abs(value) / 1e6:,.1f}m"
    return f"{'-' if value < 0 else ''}£{abs(value):,.{digits}f}"


def fmt(value, unit: str | None) -> str:
    """A value in its unit for a reader; missing values are 'n/a' (never 0)."""
    if is_missing(value):
        return "n/a"
    value = float(value)
    if unit in ("gbp",):
        return money(value)
    if unit in ("gbp_per_head",):
        return money(value, 2)
    if unit in ("gbp_per_client_week", "gbp_per_week"):
        return f"{money(value, 2)} a week"
    if unit == "pct":
        return f"{value:.1f}%"
    if unit == "rate_per_100k":
        return f"{value:,.1f} per 100,000"
    if unit in ("per_1000", "staff_fte_per_1000_population_65plus"):
        return f"{value:.2f} per 1,000"
    if unit == "ratio":
        return f"{value:.2f}x"
    if unit in ("count", "bands"):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def short_fmt(unit: str | None):
    """A compact formatter for chart labels."""
    def label(value):
        if is_missing(value):
            return "n/a"
        if unit == "pct":
            return f"{value:.1f}%"
        if unit in ("gbp", "gbp_per_head", "gbp_per_client_week", "gbp_per_week"):
            return money(value, 0)
        if unit == "rate_per_100k":
            return f"{value:,.1f}"
        if unit == "ratio":
            return f"{value:.2f}x"
        return f"{value:,.2f}"
    return label
