"""Metric values for every council and year, in one vectorised pass over the tidy tables.

:func:`metric_panel` returns one row per (council, year, metric) for every council that existed in
each year a metric has data for, so that a council without a value is still listed, with the value
missing (never 0) and ``missing_reason`` saying why.  Sums over breakdown rows are strict: if any
component is missing, the total is missing ("suppressed or not reported"), never understated.

Years: finance and outcome metrics use their financial year; population denominators use the ONS
mid-year of the year the financial year starts in (2016-17 -> mid-2016); population shares and
deprivation editions dated YYYY are shown against financial year YYYY-YY.

Local metrics (source ``local``) come from :mod:`benchmark.local` as a frame with the same columns
as the panel; they are appended unchanged and treated exactly like national ones.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.data.sources import SOURCES_BY_ID
from benchmark.data.tidy import financial_year, financial_year_start
from benchmark.errors import UserError
from benchmark.metrics.registry import METRICS, metric_table

PANEL_COLUMNS = ["council", "year", "metric_id", "value", "numerator", "denominator", "unit", "source",
                 "illustrative", "missing_reason"]
_VALUES = ["council", "year", "metric_id", "numerator", "denominator", "value"]

REASON_ABSENT = "council not in the source for this year"
REASON_NUMERATOR = "suppressed or not reported in the source"
REASON_DENOMINATOR = "denominator not available for this council and year"
REASON_ZERO = "denominator is zero"


def _fy_of_mid_year(years: pd.Series) -> pd.Series:
    return years.astype(int).map(financial_year)


def _strict_sum(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sum ``value`` by ``keys``; missing if any component is missing."""
    grouper = [frame[k] for k in keys]
    total = frame["value"].groupby(grouper, sort=False, dropna=False).sum()
    incomplete = frame["value"].isna().groupby(grouper, sort=False, dropna=False).any()
    return total.where(~incomplete).rename("value").reset_index()


def _population(tables) -> pd.DataFrame:
    """council, year (financial), age_band, population: mid-YYYY population against YYYY-YY."""
    pop = tables.population_bands
    out = pop.loc[pop["measure"] == "population", ["council", "year", "age_band", "value"]].copy()
    out["year"] = _fy_of_mid_year(out["year"])
    return out.rename(columns={"value": "population"}).astype({"council": str, "age_band": str})


def _attach_denominator(numerators: pd.DataFrame, population: pd.DataFrame, band_of: dict[str, str]) -> pd.DataFrame:
    """numerators (council, year, metric_id, numerator) + the population of each metric's band."""
    numerators = numerators.assign(age_band=numerators["metric_id"].map(band_of))
    out = numerators.merge(population, on=["council", "year", "age_band"], how="left")
    return out.rename(columns={"population": "denominator"}).drop(columns="age_band")


_CELL_KEYS = ["council", "year", "age_band", "care_type", "support_setting"]


def _gce_cells(tables) -> pd.DataFrame:
    """Mandatory gross current expenditure summed over everything but the cell keys (strict).

    ``support_setting`` is "" for rows without a setting (short-term and other care).
    """
    gce = tables.ascfr_expenditure
    gce = gce.loc[(gce["measure"] == "gross_current_expenditure") & (gce["data_type"] == "mandatory"), _CELL_KEYS + ["value"]]
    gce = gce.assign(support_setting=gce["support_setting"].fillna(""), age_band=gce["age_band"].fillna(""))
    return _strict_sum(gce, _CELL_KEYS)


def _expenditure_metrics(cells: pd.DataFrame, population: pd.DataFrame, recipes: list[dict]) -> pd.DataFrame:
    combos = cells[["age_band", "care_type", "support_setting"]].drop_duplicates()
    mapping = []
    for m in recipes:
        r = m["recipe"]
        rows = combos[(combos["age_band"] == r["age_band"]) & combos["care_type"].isin(r["care_types"])]
        if r["settings"] is not None:
            rows = rows[rows["support_setting"].isin(r["settings"])]
        mapping.append(rows.assign(metric_id=m["id"]))
    tagged = cells.merge(pd.concat(mapping, ignore_index=True), on=["age_band", "care_type", "support_setting"])
    numerators = _strict_sum(tagged[["council", "year", "metric_id", "value"]], ["council", "year", "metric_id"])
    numerators = numerators.rename(columns={"value": "numerator"})
    band_of = {m["id"]: m["recipe"]["denominator"][1] for m in recipes}
    out = _attach_denominator(numerators, population, band_of)
    return out.assign(value=out["numerator"] / out["denominator"].where(out["denominator"] != 0))


def _unit_cost_metrics(tables, cells: pd.DataFrame, recipes: list[dict]) -> pd.DataFrame:
    keys = ["council", "year", "age_band", "support_setting"]
    act = tables.ascfr_activity
    act = act[(act["measure"] == "client_weeks") & (act["data_type"] == "mandatory") & (act["care_type"] == "long_term")]
    spend = cells[cells["care_type"] == "long_term"][keys + ["value"]].rename(columns={"value": "numerator"})
    weeks = _strict_sum(act[keys + ["value"]].astype({c: str for c in keys}), keys).rename(columns={"value": "denominator"})
    both_years = sorted(set(spend["year"]) & set(weeks["year"]))
    cells = spend[spend["year"].isin(both_years)].merge(weeks, on=keys, how="outer")
    pieces = []
    for m in recipes:
        r = m["recipe"]
        rows = cells[(cells["age_band"] == r["age_band"]) & cells["support_setting"].isin(r["settings"])]
        pieces.append(rows[["council", "year", "numerator", "denominator"]].assign(metric_id=m["id"]))
    out = pd.concat(pieces, ignore_index=True)
    out = out[out["year"].isin(both_years)]
    return out.assign(value=out["numerator"] / out["denominator"].where(out["denominator"] != 0))


def _additional_metrics(tables, recipes: list[dict]) -> pd.DataFrame:
    add = tables.ascfr_additional
    pieces = []
    for m in recipes:
        rows = add[add["measure"] == m["recipe"]["measure"]]
        summed = _strict_sum(rows[["council", "year", "value"]].astype({"council": str, "year": str}), ["council", "year"])
        pieces.append(summed.assign(metric_id=m["id"], numerator=summed["value"], denominator=np.nan))
    return pd.concat(pieces, ignore_index=True)


def _ascof_metrics(tables, population: pd.DataFrame, recipes: list[dict]) -> pd.DataFrame:
    ascof = tables.ascof[["council", "year", "measure", "description", "value"]].astype(
        {"council": str, "year": str, "description": str})
    pieces = []
    for m in recipes:
        r = m["recipe"]
        chosen = ascof["description"].str.contains(r["description_pattern"], case=False, regex=True, na=False)
        undescribed = ascof["description"].isna() & ascof["measure"].isin(r.get("codes_without_description", ()))
        rows = ascof[chosen | undescribed]
        pieces.append(rows[["council", "year", "value"]].assign(metric_id=m["id"]))
    values = pd.concat(pieces, ignore_index=True)
    band_of = {m["id"]: m["recipe"]["denominator"][1] for m in recipes}
    multiplier = {m["id"]: m["multiplier"] for m in recipes}
    out = _attach_denominator(values, population, band_of)
    return out.assign(numerator=out["value"] * out["denominator"] / out["metric_id"].map(multiplier))


def _population_share_metrics(population: pd.DataFrame, recipes: list[dict]) -> pd.DataFrame:
    wide = population.pivot_table(index=["council", "year"], columns="age_band", values="population", aggfunc="first")
    pieces = []
    for m in recipes:
        r = m["recipe"]
        frame = pd.DataFrame({"numerator": wide[r["numerator"]], "denominator": wide[r["denominator"]]}).reset_index()
        frame["value"] = m["multiplier"] * frame["numerator"] / frame["denominator"].where(frame["denominator"] != 0)
        pieces.append(frame.assign(metric_id=m["id"]))
    return pd.concat(pieces, ignore_index=True)


def _deprivation_metrics(tables, recipes: list[dict]) -> pd.DataFrame:
    dep = tables.deprivation
    pieces = []
    for m in recipes:
        r = m["recipe"]
        rows = dep[(dep["measure"] == r["measure"]) & (dep["domain"] == r["domain"])]
        frame = pd.DataFrame({"council": rows["council"].astype(str), "year": _fy_of_mid_year(rows["year"]),
                              "value": rows["value"].astype(float)})
        pieces.append(frame.assign(metric_id=m["id"], numerator=np.nan, denominator=np.nan))
    return pd.concat(pieces, ignore_index=True)


def national_values(tables) -> pd.DataFrame:
    """council, year, metric_id, numerator, denominator, value for every national metric (present rows only).

    Computed once per loaded tables (memoised on them): the metric panel, the expected-spend model
    and the report's shared step all use it.
    """
    return tables.memo("national_values", lambda: _national_values(tables))


def _national_values(tables) -> pd.DataFrame:
    by_kind: dict[str, list[dict]] = {}
    for m in METRICS:
        if m["recipe"] is not None:
            by_kind.setdefault(m["recipe"]["from"], []).append(m)
    population = _population(tables)
    cells = _gce_cells(tables)
    parts = [
        _expenditure_metrics(cells, population, by_kind["expenditure"]),
        _unit_cost_metrics(tables, cells, by_kind["unit_cost"]),
        _additional_metrics(tables, by_kind["additional"]),
        _ascof_metrics(tables, population, by_kind["ascof"]),
        _population_share_metrics(population, by_kind["population_share"]),
        _deprivation_metrics(tables, by_kind["deprivation"]),
    ]
    out = pd.concat([p[_VALUES].astype({"council": str, "year": str, "metric_id": str}) for p in parts], ignore_index=True)
    return out


def _council_years(tables, years: list[str]) -> pd.DataFrame:
    """council, year for every council existing in each financial year."""
    registry = tables.registry.table
    starts = pd.Series({y: financial_year_start(y) for y in years})
    first = registry["first_year"].map(lambda y: financial_year_start(y) if pd.notna(y) else -1).astype(int)
    last = registry["last_year"].map(lambda y: financial_year_start(y) if pd.notna(y) else 9999).astype(int)
    grid = pd.DataFrame({"council": registry["ons_code"].astype(str).to_numpy(), "_first": first.to_numpy(), "_last": last.to_numpy()})
    grid = grid.merge(pd.DataFrame({"year": starts.index, "_start": starts.to_numpy()}), how="cross")
    grid = grid[(grid["_first"] <= grid["_start"]) & (grid["_start"] <= grid["_last"])]
    return grid[["council", "year"]]


def check_local_panel(local_panel: pd.DataFrame) -> pd.DataFrame:
    """The local frame with panel columns and types; a UserError for missing columns or unknown ids."""
    missing = [c for c in PANEL_COLUMNS if c not in local_panel.columns]
    if missing:
        raise UserError(f"local metric values lack column(s) {', '.join(missing)}")
    known = set(metric_table().index)
    unknown = sorted(set(local_panel["metric_id"].astype(str)) - known)
    if unknown:
        raise UserError(f"local metric values use unknown metric id(s): {', '.join(unknown)}")
    out = local_panel[PANEL_COLUMNS].copy()
    for column in ("council", "year", "metric_id", "unit", "source"):
        out[column] = out[column].astype(str)
    for column in ("value", "numerator", "denominator"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    out["illustrative"] = out["illustrative"].astype(bool)
    out["missing_reason"] = out["missing_reason"].astype(object).where(out["missing_reason"].notna(), None)
    return out


def _source_covers(source_id: str, year: str) -> bool:
    """Does a source's stated coverage (a financial year, a mid-year, an edition year, or a range such
    as YYYY-YY to YYYY-YY) include the financial year ``year`` (or the mid-year / edition dated in
    the year it starts)?"""
    source = SOURCES_BY_ID.get(source_id)
    if source is None:
        return True
    start = financial_year_start(year)
    covered = source.years.replace("mid-", "")
    if " to " in covered:
        first, last = (int(part[:4]) for part in covered.split(" to "))
        return first <= start <= last
    return covered in (year, str(start))


def _table_sources_by_year(frame: pd.DataFrame) -> dict[str, list[str]]:
    """year -> the source ids of a tidy table's rows in that year."""
    pairs = frame[["year", "source"]].drop_duplicates().astype(str)
    return {year: sorted(group["source"]) for year, group in pairs.groupby("year")}


def _table_sources(by_year: dict[str, list[str]], year: str) -> list[str]:
    """The sources of a financial year: its own rows, else the mid-year or edition dated in the
    year it starts, else the newest edition before it (e.g. IoD2019 for 2021-22)."""
    start = financial_year_start(year)
    for candidate in (year, str(start)):
        if candidate in by_year:
            return by_year[candidate]
    earlier = [y for y in by_year if y[:4].isdigit() and int(y[:4]) <= start]
    return by_year[max(earlier)] if earlier else []


def sources_for_year(tables, source_lists: pd.Series, years: pd.Series) -> pd.Series:
    """Each row's sources: the registry's tables resolved to the files its own year comes from.

    A registry entry names tables ('ascfr_expenditure+population_by_age') or source ids; a figure
    for one year cites only the files of that year found in those tables.
    """
    cache: dict[tuple[str, str], str] = {}
    by_table: dict[str, dict[str, list[str]]] = {}

    def narrow(ids: str, year: str) -> str:
        key = (ids, year)
        if key not in cache:
            parts: list[str] = []
            for token in str(ids).split("+"):
                if token in tables.frames:
                    if token not in by_table:
                        by_table[token] = _table_sources_by_year(tables.frames[token])
                    parts += _table_sources(by_table[token], year)
                elif _source_covers(token, year):
                    parts.append(token)
            cache[key] = "+".join(dict.fromkeys(parts)) if parts else str(ids)
        return cache[key]

    return pd.Series([narrow(i, y) for i, y in zip(source_lists, years, strict=True)], index=source_lists.index, dtype="string")


def metric_panel(tables, local_panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every metric for every council and year: PANEL_COLUMNS, one row per (council, year, metric_id).

    A metric's years are those in which any council has a value; within them every council that
    existed has a row.  ``local_panel`` rows (from :mod:`benchmark.local`) are appended and replace
    any national row with the same key.
    """
    values = national_values(tables)
    registry = metric_table()
    years_of = values[values["value"].notna()][["metric_id", "year"]].drop_duplicates()
    grid = _council_years(tables, sorted(years_of["year"].unique())).merge(years_of, on="year")
    panel = grid.merge(values, on=["council", "year", "metric_id"], how="left", indicator=True)
    reason = np.select(
        [panel["_merge"] == "left_only", panel["value"].notna(), panel["numerator"].isna(),
         panel["denominator"].isna(), panel["denominator"] == 0],
        [REASON_ABSENT, "", REASON_NUMERATOR, REASON_DENOMINATOR, REASON_ZERO],
        default=REASON_NUMERATOR,
    )
    panel["missing_reason"] = pd.Series(reason, index=panel.index).replace("", None)
    panel["unit"] = panel["metric_id"].map(registry["unit"])
    panel["source"] = sources_for_year(tables, panel["metric_id"].map(registry["source"]), panel["year"])
    panel["illustrative"] = False
    panel = panel[PANEL_COLUMNS]
    if local_panel is not None and len(local_panel):
        local = check_local_panel(local_panel)
        panel = pd.concat([panel, local], ignore_index=True).drop_duplicates(["council", "year", "metric_id"], keep="last")
    return panel.sort_values(["metric_id", "year", "council"]).reset_index(drop=True)
