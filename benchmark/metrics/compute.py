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

from benchmark.data.mhclg import ENGLAND
from benchmark.data.sources import SOURCES_BY_ID
from benchmark.data.tidy import financial_year, financial_year_start
from benchmark.errors import UserError
from benchmark.metrics.registry import LONG_TERM_SETTINGS, METRICS, metric_table

PANEL_COLUMNS = ["council", "year", "metric_id", "value", "numerator", "denominator", "unit", "source",
                 "illustrative", "missing_reason"]
_VALUES = ["council", "year", "metric_id", "numerator", "denominator", "value"]
#: national values also carry ``source`` where a recipe knows the files of each row (NaN otherwise:
#: the panel then cites the registry's tables by year, :func:`sources_for_year`)
_VALUES_WITH_SOURCE = _VALUES + ["source"]

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
        misdescribed = ascof["measure"].isin(r.get("excluded_codes", ()))  # rows whose published wording is another measure's
        rows = ascof[(chosen | undescribed) & ~misdescribed]
        pieces.append(rows[["council", "year", "value"]].assign(metric_id=m["id"]))
    values = pd.concat(pieces, ignore_index=True)
    # rates per 100,000 get their population; percentages and scores (survey measures) have no denominator in the file
    band_of = {m["id"]: m["recipe"]["denominator"][1] for m in recipes if m["recipe"]["denominator"] is not None}
    multiplier = {m["id"]: m["multiplier"] for m in recipes}
    rates = values[values["metric_id"].isin(band_of)]
    out = _attach_denominator(rates, population, band_of)
    out = out.assign(numerator=out["value"] * out["denominator"] / out["metric_id"].map(multiplier))
    levels = values[~values["metric_id"].isin(band_of)].assign(numerator=np.nan, denominator=np.nan)
    return pd.concat([out, levels], ignore_index=True)


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


# ------------------------------------------------------------------------------------------------
# sources of each row: the files of its own year
# ------------------------------------------------------------------------------------------------

def _year_sources(frame: pd.DataFrame) -> pd.Series:
    """year -> the table's source ids of that year, joined by '+'."""
    pairs = frame[["year", "source"]].drop_duplicates().astype(str)
    return pairs.groupby("year", sort=False)["source"].agg("+".join)


def _population_sources(tables) -> pd.Series:
    """financial year -> the ONS file of the mid-year population it is divided by."""
    by_mid_year = _year_sources(tables.population_bands)
    return pd.Series(by_mid_year.to_numpy(), index=_fy_of_mid_year(pd.Series(by_mid_year.index)).to_numpy())


def _cite(numerator_sources: pd.Series, denominator_sources: pd.Series | None = None) -> pd.Series:
    """'numerator+denominator' source ids per row (the numerator's alone where the other is missing)."""
    numerator_sources = numerator_sources.astype(object)
    if denominator_sources is None:
        return numerator_sources
    both = numerator_sources + "+" + denominator_sources.astype(object)
    return both.where(denominator_sources.notna(), numerator_sources)


def _per_head(numerators: pd.DataFrame, population: pd.DataFrame, population_sources: pd.Series, recipes: list[dict]) -> pd.DataFrame:
    """numerators (council, year, metric_id, numerator, source) divided by each metric's population band."""
    band_of = {m["id"]: m["recipe"]["denominator"][1] for m in recipes}
    out = _attach_denominator(numerators, population, band_of)
    out["value"] = out["numerator"] / out["denominator"].where(out["denominator"] != 0)
    out["source"] = _cite(out["source"], out["year"].map(population_sources))
    return out


# ------------------------------------------------------------------------------------------------
# MHCLG revenue outturn (RO3, RSX, RS) and budget (RA)
# ------------------------------------------------------------------------------------------------

def _councils_only(frame: pd.DataFrame) -> pd.DataFrame:
    """MHCLG rows without the England row (which includes MHCLG's estimates for non-returners)."""
    return frame[frame["council"] != ENGLAND]


def _ro3_total(tables, measure: str) -> pd.DataFrame:
    """council, year, value, source: one RO3 column of the adult social care total."""
    ro3 = _councils_only(tables.ro3)
    rows = ro3[(ro3["measure"] == measure) & (ro3["line"] == "total")]
    return rows[["council", "year", "value", "source"]].astype({"council": str, "year": str, "source": str})


def net_outturn(tables) -> pd.DataFrame:
    """council, year, value, source: each council's net current expenditure on adult social care in
    every year an outturn publication holds, one publication per year: RO3 where it holds the year
    (its lines are the fullest), else RSX (equal to RO3's total council by council, checked by
    ``validate``), else RS (RSX's predecessor)."""
    frames, taken = [], set()
    for name in ("ro3", "rsx", "rs"):
        table = _councils_only(tables.frames[name])
        rows = table[(table["measure"] == "net_current_expenditure") & (table["line"] == "total") & ~table["year"].isin(taken)]
        taken |= set(rows["year"])
        frames.append(rows[["council", "year", "value", "source"]])
    return pd.concat(frames, ignore_index=True).astype({"council": str, "year": str, "source": str})


def _ro3_per_head_metrics(tables, population: pd.DataFrame, population_sources: pd.Series, recipes: list[dict]) -> pd.DataFrame:
    ro3 = _councils_only(tables.ro3)
    year_source = _year_sources(ro3)
    pieces = []
    for m in recipes:
        r = m["recipe"]
        rows = ro3[(ro3["measure"] == r["measure"]) & ro3["line"].isin(r["lines"])]
        summed = _strict_sum(rows[["council", "year", "value"]].astype({"council": str, "year": str}), ["council", "year"])
        pieces.append(summed.rename(columns={"value": "numerator"}).assign(metric_id=m["id"]))
    numerators = pd.concat(pieces, ignore_index=True)
    numerators["source"] = numerators["year"].map(year_source)
    return _per_head(numerators, population, population_sources, recipes)


def _net_outturn_metrics(tables, population: pd.DataFrame, population_sources: pd.Series, recipes: list[dict]) -> pd.DataFrame:
    outturn = net_outturn(tables).rename(columns={"value": "numerator"})
    numerators = pd.concat([outturn.assign(metric_id=m["id"]) for m in recipes], ignore_index=True)
    return _per_head(numerators, population, population_sources, recipes)


def _ro3_share_metrics(tables, recipes: list[dict]) -> pd.DataFrame:
    gross = _ro3_total(tables, "gross_expenditure").rename(columns={"value": "denominator"})
    pieces = []
    for m in recipes:
        part = _ro3_total(tables, m["recipe"]["measure"]).rename(columns={"value": "numerator"})
        frame = part.merge(gross[["council", "year", "denominator"]], on=["council", "year"], how="outer")
        frame["value"] = m["multiplier"] * frame["numerator"] / frame["denominator"].where(frame["denominator"] != 0)
        pieces.append(frame.assign(metric_id=m["id"]))
    return pd.concat(pieces, ignore_index=True)


def _ro3_level_metrics(tables, recipes: list[dict]) -> pd.DataFrame:
    pieces = []
    for m in recipes:
        frame = _ro3_total(tables, m["recipe"]["measure"])
        pieces.append(frame.assign(metric_id=m["id"], numerator=frame["value"], denominator=np.nan))
    return pd.concat(pieces, ignore_index=True)


def budget_against_outturn(tables) -> pd.DataFrame:
    """council, year, budget_gbp, outturn_gbp, over_budget_gbp, over_budget_pct, budget_to_outturn_ratio,
    source: RA's budgeted net current expenditure on adult social care beside the same year's outturn
    (:func:`net_outturn`), for every year RA holds.  Over budget is outturn - budget (negative: under)."""
    ra = _councils_only(tables.ra)
    budget = ra.loc[(ra["measure"] == "budget_net_current_expenditure") & (ra["line"] == "total"), ["council", "year", "value", "source"]]
    budget = budget.astype({"council": str, "year": str, "source": str}).rename(columns={"value": "budget_gbp", "source": "budget_source"})
    outturn = net_outturn(tables).rename(columns={"value": "outturn_gbp", "source": "outturn_source"})
    out = budget.merge(outturn, on=["council", "year"], how="left")
    out["over_budget_gbp"] = out["outturn_gbp"] - out["budget_gbp"]
    budget_known = out["budget_gbp"].where(out["budget_gbp"] != 0)
    out["over_budget_pct"] = 100 * out["over_budget_gbp"] / budget_known
    out["budget_to_outturn_ratio"] = out["budget_gbp"] / out["outturn_gbp"].where(out["outturn_gbp"] != 0)
    out["source"] = _cite(out["budget_source"], out["outturn_source"])
    return out.drop(columns=["budget_source", "outturn_source"])


def _budget_outturn_metrics(tables, recipes: list[dict]) -> pd.DataFrame:
    both = budget_against_outturn(tables)
    # numerator and denominator as each figure is formed, so that a missing value says which side is missing
    parts = {"ratio": ("budget_gbp", "outturn_gbp", "budget_to_outturn_ratio"),
             "over_budget_pct": ("over_budget_gbp", "budget_gbp", "over_budget_pct")}
    pieces = []
    for m in recipes:
        numerator, denominator, value = parts[m["recipe"]["measure"]]
        pieces.append(pd.DataFrame({"council": both["council"], "year": both["year"], "metric_id": m["id"],
                                    "numerator": both[numerator], "denominator": both[denominator], "value": both[value],
                                    "source": both["source"]}))
    return pd.concat(pieces, ignore_index=True)


# ------------------------------------------------------------------------------------------------
# ASC-FR long-term care by setting: the older packs and the data file as one series
# ------------------------------------------------------------------------------------------------

_LTC_KEYS = ["council", "year", "age_band", "support_setting"]


def _long_term_cells(tables, cells: pd.DataFrame) -> pd.DataFrame:
    """council, year, age_band, support_setting (with 'total'), value, source: long-term care gross
    current expenditure, mandatory, all primary support reasons.

    The data file gives its own 'total'; the older packs' named settings are summed (strictly) to
    make theirs.  A year both hold is taken from the data file, NHS England's current publication.
    The packs' rows carry no source here: they are cited by their year's files (sources_for_year).
    """
    data = tables.ascfr_datafile
    new = data[(data["measure"] == "gross_current_expenditure") & (data["care_type"] == "long_term")
               & (data["primary_support_reason"] == "total") & (data["data_type"] == "mandatory")]
    new = new[_LTC_KEYS + ["value", "source"]].astype({c: str for c in _LTC_KEYS + ["source"]})
    old = cells[(cells["care_type"] == "long_term") & cells["support_setting"].isin(LONG_TERM_SETTINGS)
                & ~cells["year"].isin(set(new["year"]))][_LTC_KEYS + ["value"]]
    old_total = _strict_sum(old, ["council", "year", "age_band"]).assign(support_setting="total")
    old = pd.concat([old, old_total[_LTC_KEYS + ["value"]]], ignore_index=True).assign(source=np.nan)
    return pd.concat([old, new], ignore_index=True)


def _setting_sums(ltc: pd.DataFrame, recipes: list[dict]) -> pd.DataFrame:
    """council, year, metric_id, numerator, source: each recipe's settings summed (strictly)."""
    pieces = []
    for m in recipes:
        r = m["recipe"]
        rows = ltc[(ltc["age_band"] == r["age_band"]) & ltc["support_setting"].isin(r["settings"])]
        summed = _strict_sum(rows[["council", "year", "value"]], ["council", "year"])
        sources = rows.groupby(["council", "year"], sort=False)["source"].first().rename("source").reset_index()
        pieces.append(summed.merge(sources, on=["council", "year"], how="left").assign(metric_id=m["id"]))
    return pd.concat(pieces, ignore_index=True).rename(columns={"value": "numerator"})


def _long_term_care_metrics(ltc: pd.DataFrame, population: pd.DataFrame, population_sources: pd.Series,
                            recipes: list[dict]) -> pd.DataFrame:
    return _per_head(_setting_sums(ltc, recipes), population, population_sources, recipes)


def _long_term_care_share_metrics(ltc: pd.DataFrame, recipes: list[dict]) -> pd.DataFrame:
    numerators = _setting_sums(ltc, recipes)
    totals = ltc[ltc["support_setting"] == "total"][["council", "year", "age_band", "value"]].rename(columns={"value": "denominator"})
    band_of = {m["id"]: m["recipe"]["age_band"] for m in recipes}
    out = numerators.assign(age_band=numerators["metric_id"].map(band_of)).merge(totals, on=["council", "year", "age_band"], how="left")
    multiplier = out["metric_id"].map({m["id"]: m["multiplier"] for m in recipes})
    out["value"] = multiplier * out["numerator"] / out["denominator"].where(out["denominator"] != 0)
    return out.drop(columns="age_band")


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
    population_sources = _population_sources(tables)
    cells = _gce_cells(tables)
    long_term = _long_term_cells(tables, cells)
    parts = [
        _expenditure_metrics(cells, population, by_kind["expenditure"]),
        _long_term_care_metrics(long_term, population, population_sources, by_kind["long_term_care"]),
        _long_term_care_share_metrics(long_term, by_kind["long_term_care_share"]),
        _unit_cost_metrics(tables, cells, by_kind["unit_cost"]),
        _additional_metrics(tables, by_kind["additional"]),
        _ascof_metrics(tables, population, by_kind["ascof"]),
        _population_share_metrics(population, by_kind["population_share"]),
        _deprivation_metrics(tables, by_kind["deprivation"]),
        _ro3_per_head_metrics(tables, population, population_sources, by_kind["ro3_per_head"]),
        _net_outturn_metrics(tables, population, population_sources, by_kind["net_outturn"]),
        _ro3_share_metrics(tables, by_kind["ro3_share"]),
        _ro3_level_metrics(tables, by_kind["ro3_level"]),
        _budget_outturn_metrics(tables, by_kind["budget_outturn"]),
    ]
    parts = [p if "source" in p.columns else p.assign(source=np.nan) for p in parts]
    out = pd.concat([p[_VALUES_WITH_SOURCE].astype({"council": str, "year": str, "metric_id": str, "source": object}) for p in parts],
                    ignore_index=True)
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
    # A row cites the files its value came from; a council without a value cites those of the same
    # metric and year; a recipe that does not say cites the registry's tables by year.
    own_files = panel["source"].astype(object)
    own_files = own_files.fillna(own_files.groupby([panel["metric_id"], panel["year"]], sort=False).transform("first"))
    by_year = sources_for_year(tables, panel["metric_id"].map(registry["source"]), panel["year"]).astype(object)
    panel["source"] = own_files.fillna(by_year).astype("string")
    panel["illustrative"] = False
    panel = panel[PANEL_COLUMNS]
    if local_panel is not None and len(local_panel):
        local = check_local_panel(local_panel)
        panel = pd.concat([panel, local], ignore_index=True).drop_duplicates(["council", "year", "metric_id"], keep="last")
    return panel.sort_values(["metric_id", "year", "council"]).reset_index(drop=True)
