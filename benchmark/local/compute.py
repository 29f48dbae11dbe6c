"""Local metrics from validated local inputs: workforce, Better Care Fund, care home fees, packages.

Every function here takes the frames returned by :mod:`benchmark.local.schemas` and returns plain
numbers or aggregate tables.  Package outputs go through :mod:`benchmark.local.disclosure`, so no
package id and no count below 5 ever leaves this module.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmark.local.disclosure import (
    NOTE_COLUMN,
    PROTECTS_SMALL_COUNT,
    SMALL_COUNT,
    THRESHOLD,
    ProtectedCount,
    note,
    protect_count,
    protect_crosstab,
)
from benchmark.local.schemas import financial_year_of

WEEKS_PER_YEAR = 52.14  # 365.25 / 7, rounded as the sector's costing templates do


# ---------------------------------------------------------------------------------------------
# population
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Population65:
    value: float
    mid_year: str
    note: str | None  # set when the mid-year estimate for the financial year is not available


def populations_65_plus(population_bands: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Every council's ONS mid-year 65+ populations held: {council: {mid-year: value}}.

    Built once per panel so each council and year is a dictionary look-up, not a scan of the table.
    """
    rows = population_bands[(population_bands["age_band"] == "65+") & population_bands["value"].notna()]
    by_council: dict[str, dict[str, float]] = {}
    for council, year, value in zip(rows["council"], rows["year"].astype(str), rows["value"].astype(float), strict=True):
        by_council.setdefault(council, {})[year] = value
    return by_council


def population_65_plus(population_bands: pd.DataFrame, council: str, financial_year: str, *,
                       by_council: dict[str, dict[str, float]] | None = None) -> Population65 | None:
    """ONS mid-year 65+ population for ``financial_year`` (mid-YYYY for YYYY-YY), or the latest year held.

    ``by_council``: :func:`populations_65_plus` of ``population_bands``, when the caller has it already.
    """
    if by_council is None:
        by_council = populations_65_plus(population_bands[population_bands["council"] == council])
    by_year = by_council.get(council)
    if not by_year:
        return None
    wanted = financial_year[:4]
    if wanted in by_year:
        return Population65(by_year[wanted], wanted, None)
    latest = max(by_year)
    earlier = [y for y in by_year if y <= wanted]
    used = max(earlier) if earlier else min(by_year)
    note = (f"ONS mid-{wanted} 65+ population not held; used mid-{used}, the "
            f"{'latest' if used == latest else 'nearest'} available")
    return Population65(by_year[used], used, note)


# ---------------------------------------------------------------------------------------------
# workforce
# ---------------------------------------------------------------------------------------------

def workforce_fte_by_year(workforce: pd.DataFrame, roles: Sequence[str] | None = None, include_agency: bool = False) -> pd.DataFrame:
    """Staff FTE per financial year of the as-at date (the latest as-at date within each year).

    ``fte`` counts staff in post; ``include_agency`` adds ``agency_fte``; ``roles`` limits the roles.
    Columns: year, as_at_date, fte, illustrative.
    """
    frame = workforce if roles is None else workforce[workforce["role"].isin(list(roles))]
    frame = frame.assign(year=frame["as_at_date"].map(financial_year_of))
    latest = frame.groupby("year")["as_at_date"].transform("max")
    frame = frame[frame["as_at_date"] == latest]
    staff = frame["fte"] + (frame["agency_fte"] if include_agency else 0.0)
    out = (frame.assign(staff=staff).groupby("year")
           .agg(as_at_date=("as_at_date", "max"), fte=("staff", "sum"), illustrative=("illustrative", "any"))
           .reset_index())
    return out


def staff_per_1000(fte: float, population_65: float) -> float:
    return fte / population_65 * 1000.0


def fte_gap(council_rate: float, comparator_rate: float, population_65: float) -> float:
    """FTE the council would add (positive) or lose to reach the comparator ratio."""
    return (comparator_rate - council_rate) * population_65 / 1000.0


def national_workforce_fte(national: pd.DataFrame, measure: str = "fte") -> pd.DataFrame:
    """One figure per council and year: the ``all`` role group, or the sum of groups where it is absent."""
    whole = national[national["role_group"] == "all"][["council", "year", measure, "illustrative"]]
    parts = national[national["role_group"] != "all"]
    have = set(zip(whole["council"], whole["year"], strict=True))
    keep = np.array([(c, y) not in have for c, y in zip(parts["council"], parts["year"], strict=True)], dtype=bool)
    parts = parts.loc[keep]
    summed = parts.groupby(["council", "year"]).agg(**{measure: (measure, lambda s: s.sum(min_count=len(s))),
                                                       "illustrative": ("illustrative", "any")}).reset_index()
    return pd.concat([whole, summed], ignore_index=True).rename(columns={measure: "fte"})


# ---------------------------------------------------------------------------------------------
# Better Care Fund
# ---------------------------------------------------------------------------------------------

def bcf_by_year(plan: pd.DataFrame) -> pd.DataFrame:
    """Pooled total (sum of contribution lines) and the NHS minimum requirement per financial year."""
    years = sorted(plan["financial_year"].unique())
    rows = []
    for year in years:
        lines = plan[plan["financial_year"] == year]
        contributions = lines[lines["line_type"] == "contribution"]
        minimum = lines.loc[lines["line_type"] == "minimum_requirement", "amount_gbp"]
        rows.append({
            "year": year,
            "pooled_gbp": float(contributions["amount_gbp"].sum()) if len(contributions) else np.nan,
            "minimum_gbp": float(minimum.iloc[0]) if len(minimum) else np.nan,
            "spend_gbp": float(lines.loc[lines["line_type"] == "spend", "amount_gbp"].sum()) if (lines["line_type"] == "spend").any() else np.nan,
            "illustrative": bool(lines["illustrative"].any()),
        })
    out = pd.DataFrame(rows)
    out["ratio_to_minimum"] = out["pooled_gbp"] / out["minimum_gbp"]
    return out


def bcf_contribution_split(plan: pd.DataFrame) -> pd.DataFrame:
    """Contributions by source per year, with each source's share of the pooled total (%)."""
    c = plan[plan["line_type"] == "contribution"]
    split = c.groupby(["financial_year", "source"], as_index=False).agg(amount_gbp=("amount_gbp", "sum"))
    split["share_pct"] = split["amount_gbp"] / split.groupby("financial_year")["amount_gbp"].transform("sum") * 100
    return split.rename(columns={"financial_year": "year"})


def rank_and_quartile(values: pd.Series, council: str) -> tuple[int, int, int] | None:
    """(rank, quartile, n) of ``council`` in ``values`` (index = council): rank 1 and quartile 1 = largest."""
    values = values.dropna()
    if council not in values.index:
        return None
    n = len(values)
    rank = int(values.rank(ascending=False, method="min")[council])
    quartile = min(4, int(np.ceil(rank / n * 4)))
    return rank, quartile, n


# ---------------------------------------------------------------------------------------------
# care home fees
# ---------------------------------------------------------------------------------------------

def _placements_with_bands(bands: pd.DataFrame, placements: pd.DataFrame) -> pd.DataFrame:
    merged = placements.merge(bands[["band", "setting", "need_level", "client_group", "weekly_rate_gbp"]], on="band", how="left",
                              validate="many_to_one")
    merged.index = placements.index
    return merged


def fee_year(bands: pd.DataFrame) -> str:
    """The financial year of the schedule: that of its latest effective date."""
    return financial_year_of(bands["effective_date"].max())


def fee_band_spread(bands: pd.DataFrame) -> pd.DataFrame:
    """Per setting: number of bands, lowest and highest weekly rate, spread (£) and ratio."""
    out = bands.groupby("setting").agg(band_count=("band", "count"), lowest_gbp=("weekly_rate_gbp", "min"),
                                       highest_gbp=("weekly_rate_gbp", "max")).reset_index()
    out["spread_gbp"] = out["highest_gbp"] - out["lowest_gbp"]
    out["highest_to_lowest"] = out["highest_gbp"] / out["lowest_gbp"]
    return out


def above_band(bands: pd.DataFrame, placements: pd.DataFrame) -> tuple[int, int]:
    """(placements paid above their band's weekly rate, all placements with a band).  Top-ups excluded."""
    merged = _placements_with_bands(bands, placements)
    merged = merged[merged["weekly_rate_gbp"].notna()]
    above = int((merged["weekly_fee_paid_gbp"] > merged["weekly_rate_gbp"] + 0.005).sum())
    return above, len(merged)


def weighted_average_fee(bands: pd.DataFrame, placements: pd.DataFrame, setting: str) -> tuple[float, float, int]:
    """Placement-weighted average weekly fee the council pays in ``setting``: (average, total £/week, placements).

    Each placement counts once at the fee the council pays (third-party top-ups excluded), so the
    average is total weekly fees ÷ placements.  NaN when the setting has no placements.
    """
    merged = _placements_with_bands(bands, placements)
    paid = merged.loc[merged["setting"] == setting, "weekly_fee_paid_gbp"]
    total = float(paid.sum())
    return (total / len(paid) if len(paid) else np.nan), total, len(paid)


def weighted_schedule_rate(bands: pd.DataFrame, placements: pd.DataFrame, setting: str) -> tuple[float, int]:
    """Placement-weighted schedule rate in ``setting``: (mean of each placement's band rate, placements);
    beside :func:`weighted_average_fee` (the fee actually paid), what the same placements would cost
    at the schedule.  NaN when the setting has no placements."""
    merged = _placements_with_bands(bands, placements)
    rates = merged.loc[merged["setting"] == setting, "weekly_rate_gbp"]
    return (float(rates.mean()) if len(rates) else np.nan), len(rates)


def fee_schedule_table(bands: pd.DataFrame, placements: pd.DataFrame) -> pd.DataFrame:
    """The schedule with placements per band, average fee paid and placements paid above the rate."""
    merged = _placements_with_bands(bands, placements)
    merged["above"] = merged["weekly_fee_paid_gbp"] > merged["weekly_rate_gbp"] + 0.005
    per_band = merged.groupby("band").agg(placements=("band", "size"), average_fee_paid_gbp=("weekly_fee_paid_gbp", "mean"),
                                          placements_above_rate=("above", "sum"))
    table = bands[["band", "setting", "client_group", "need_level", "weekly_rate_gbp", "effective_date"]].merge(
        per_band, left_on="band", right_index=True, how="left")
    table["placements"] = table["placements"].fillna(0).astype(int)
    table["placements_above_rate"] = table["placements_above_rate"].fillna(0).astype(int)
    table["effective_date"] = table["effective_date"].dt.strftime("%Y-%m-%d")
    return table.reset_index(drop=True)


def simplified_schedule(bands: pd.DataFrame, placements: pd.DataFrame,
                        rates: Mapping[str, float] | Mapping[tuple[str, str], float] | None = None) -> pd.DataFrame:
    """Annual cost difference of paying one rate per (setting, need_level) instead of today's fees.

    New rate, per (setting, need_level): ``rates[(setting, need_level)]`` or ``rates[setting]`` if
    given (e.g. the comparator median unit cost), otherwise the current placement-weighted average
    of the *band rates* in that group (merging bands at today's mix; fees paid above the band rate
    are brought back to the schedule).  Annual difference = Σ (new rate − fee paid) × 52.14 weeks;
    negative = saving.  Columns: setting, need_level, bands, placements, new_rate_gbp,
    current_weekly_gbp, new_weekly_gbp, annual_difference_gbp, rate_basis.
    """
    merged = _placements_with_bands(bands, placements)
    merged = merged[merged["weekly_rate_gbp"].notna()]
    rows = []
    for (setting, need), group in merged.groupby(["setting", "need_level"]):
        basis = "placement-weighted average of band rates"
        new_rate = float(group["weekly_rate_gbp"].mean())
        if rates is not None:
            if (setting, need) in rates:
                new_rate, basis = float(rates[(setting, need)]), "given rate for setting and need level"
            elif setting in rates:
                new_rate, basis = float(rates[setting]), "given rate for setting"
        current = float(group["weekly_fee_paid_gbp"].sum())
        new = new_rate * len(group)
        rows.append({"setting": setting, "need_level": need, "bands": int(bands[(bands["setting"] == setting) & (bands["need_level"] == need)].shape[0]),
                     "placements": len(group), "new_rate_gbp": new_rate, "current_weekly_gbp": current,
                     "new_weekly_gbp": new, "annual_difference_gbp": (new - current) * WEEKS_PER_YEAR, "rate_basis": basis})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# packages (personal data: only protected aggregates leave these functions)
# ---------------------------------------------------------------------------------------------

def package_reference_date(packages: pd.DataFrame, reference_date: str | pd.Timestamp | None = None) -> pd.Timestamp:
    """The date reviews are measured at: the parameter, or else the latest date in the extract."""
    if reference_date is not None:
        return pd.Timestamp(reference_date)
    latest_review = packages["last_review_date"].max(skipna=True) if packages["last_review_date"].notna().any() else packages["start_date"].max()
    return max(packages["start_date"].max(), latest_review)


def overdue_mask(packages: pd.DataFrame, reference_date: pd.Timestamp, months: int = 12) -> pd.Series:
    """True where a package has had no review (or, never reviewed, no start) within ``months`` of the reference date.

    A package started within the window is not overdue even if not yet reviewed.
    """
    last = packages["last_review_date"].fillna(packages["start_date"])
    return last < reference_date - pd.DateOffset(months=months)


def package_headlines(packages: pd.DataFrame, *, high_cost_threshold_gbp: float = 1000.0, review_months: int = 12,
                      reference_date: str | pd.Timestamp | None = None) -> dict:
    """Headline package figures with disclosure control applied (docs/local-data.md).

    A hidden figure is NaN, never text; ``disclosure_note`` says which figures are hidden and why
    ("<5": a count below 5; "suppressed (protects a small count)": hidden because it would give a
    small count away, or resting on one).  Works for an extract of any size, even one package.
    """
    ref = package_reference_date(packages, reference_date)
    n = len(packages)
    cost = packages["weekly_cost_gbp"]
    high = cost >= high_cost_threshold_gbp
    overdue = overdue_mask(packages, ref, review_months)
    # the whole extract is a count beside no total: only its own size matters
    whole = ProtectedCount(n, "") if n >= THRESHOLD else ProtectedCount(None, SMALL_COUNT)
    high_count = protect_count(int(high.sum()), n)
    overdue_count = protect_count(int(overdue.sum()), n)
    labels: dict[str, str] = {}

    def shown(column: str, value: float, count: ProtectedCount):
        """``value`` where the count it rests on is shown; NaN (labelled) where it is not."""
        if count.hidden:
            labels[column] = count.label if column.endswith("_count") else PROTECTS_SMALL_COUNT
            return np.nan
        return value

    out = {
        "reference_date": f"{ref:%Y-%m-%d}",
        "year": financial_year_of(ref),
        "packages_count": shown("packages_count", float(n), whole),
        "weekly_cost_median_gbp": shown("weekly_cost_median_gbp", float(cost.median()), whole),
        "weekly_cost_q1_gbp": shown("weekly_cost_q1_gbp", float(cost.quantile(0.25)), whole),
        "weekly_cost_q3_gbp": shown("weekly_cost_q3_gbp", float(cost.quantile(0.75)), whole),
        "annual_cost_gbp": shown("annual_cost_gbp", round(float(cost.sum()) * WEEKS_PER_YEAR, -3), whole),
        "high_cost_threshold_gbp_per_week": high_cost_threshold_gbp,
        "high_cost_count": shown("high_cost_count", float(high.sum()), high_count),
        "high_cost_annual_gbp": shown("high_cost_annual_gbp", round(float(cost[high].sum()) * WEEKS_PER_YEAR, -3), high_count),
        "review_months": review_months,
        "overdue_review_count": shown("overdue_review_count", float(overdue.sum()), overdue_count),
        "overdue_review_pct": shown("overdue_review_pct", float(overdue.sum()) / n * 100, overdue_count),
        "overdue_review_annual_gbp": shown("overdue_review_annual_gbp", round(float(cost[overdue].sum()) * WEEKS_PER_YEAR, -3), overdue_count),
    }
    out[NOTE_COLUMN] = note(labels)
    return out


STATISTICS = ("median_gbp", "q1_gbp", "q3_gbp")


def package_distribution(packages: pd.DataFrame, by: str = "primary_support_reason") -> pd.DataFrame:
    """Count, median and quartiles of weekly cost by setting and ``by``, with disclosure control.

    Counts come from :func:`protect_crosstab` (primary and complementary suppression, see
    docs/local-data.md); statistics are shown only where the count is shown.  Totals rows/columns
    are labelled ``all``.  Hidden figures are missing (count <NA>, statistics NaN) and the row's
    ``disclosure_note`` gives the label of each.
    """
    counts = pd.crosstab(packages["setting"], packages[by])
    protected = protect_crosstab(counts)
    cost = packages["weekly_cost_gbp"].to_numpy(dtype="float64", na_value=np.nan)
    # one row mask per label, combined per cell: filtering the frame for every cell was the slow part
    every_package = np.ones(len(packages), dtype=bool)
    in_setting = {setting: every_package if setting == "all" else _equals(packages["setting"], setting) for setting in protected.counts.index}
    in_group = {key: every_package if key == "all" else _equals(packages[by], key) for key in protected.counts.columns}
    rows = []
    for i, setting in enumerate(protected.counts.index):
        for j, key in enumerate(protected.counts.columns):
            label = protected.labels.iat[i, j]
            if label:
                count, median, q1, q3 = pd.NA, np.nan, np.nan, np.nan
                disclosure = note({"count": label, **dict.fromkeys(STATISTICS, PROTECTS_SMALL_COUNT)})
            else:
                count = int(protected.counts.iat[i, j])
                median, q1, q3 = (round(x, 2) for x in _median_and_quartiles(cost[in_setting[setting] & in_group[key]]))
                disclosure = ""
            rows.append({"setting": setting, by: key, "count": count, "median_gbp": median, "q1_gbp": q1, "q3_gbp": q3,
                         NOTE_COLUMN: disclosure})
    out = pd.DataFrame(rows)
    return out.astype({"count": "Int64", "median_gbp": "float64", "q1_gbp": "float64", "q3_gbp": "float64"})


def _equals(column: pd.Series, value) -> np.ndarray:
    """Rows of ``column`` equal to ``value`` (a missing value equals nothing)."""
    return (column == value).to_numpy(dtype=bool, na_value=False)


def _median_and_quartiles(cost: np.ndarray) -> tuple[float, float, float]:
    """Median, first and third quartile of ``cost``, missing values skipped (NaN when none is left).

    The same numpy calls as pandas' ``Series.median`` and ``Series.quantile`` (linear interpolation)
    make, so the figures match theirs exactly.
    """
    cost = cost[~np.isnan(cost)]
    if not len(cost):
        return np.nan, np.nan, np.nan
    q1, q3 = np.percentile(cost, [25.0, 75.0])
    return float(np.median(cost)), float(q1), float(q3)
