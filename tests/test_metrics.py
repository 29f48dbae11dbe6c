"""Metric registry and panel: expected values come from the raw files by short, independent pandas."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.data.sources import SOURCES_BY_ID
from benchmark.data.store import load_tables
from benchmark.errors import UnknownCouncilError, UserError
from benchmark.metrics.compute import PANEL_COLUMNS, REASON_ABSENT, metric_panel
from benchmark.metrics.registry import LOCAL_METRIC_IDS, METRICS, metric_table
from benchmark.metrics.stats import council_metrics

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
SOUTHAMPTON, LEICESTER, SCILLY = "E06000045", "E06000016", "E06000053"

CONTRACT_IDS = {
    "gce_65plus_per_head_65plus_gbp", "gce_18to64_per_head_18to64_gbp",
    *(f"gce_65plus_{s}_per_head_65plus_gbp" for s in ("residential", "nursing", "home_care", "direct_payments", "supported_living", "other")),
    "unit_cost_residential_65plus_gbp_per_week", "unit_cost_nursing_65plus_gbp_per_week",
    "unit_cost_residential_18to64_gbp_per_week", "unit_cost_nursing_18to64_gbp_per_week",
    "bcf_income_gbp", "care_home_admissions_65plus_per_100k", "delayed_transfers_per_100k",
    "share_65plus_aged_85plus_pct", "imd_average_score", "idaopi_average_score",
    "staff_per_1000_65plus", "bcf_pooled_gbp", "bcf_pooled_to_minimum_ratio",
    "care_home_fee_weighted_average_residential_gbp_per_week", "care_home_fee_weighted_average_nursing_gbp_per_week",
    "care_home_fee_band_count", "care_home_placements_above_band_pct", "package_weekly_cost_median_gbp",
    "packages_overdue_review_pct",
}


@pytest.fixture(scope="module")
def tables():
    return load_tables()


@pytest.fixture(scope="module")
def panel(tables):
    return metric_panel(tables)


def _value(panel, council, year, metric_id):
    row = panel[(panel["council"] == council) & (panel["year"] == year) & (panel["metric_id"] == metric_id)]
    assert len(row) == 1
    return row.iloc[0]


# ------------------------------------------------------------------------------------------------
# registry
# ------------------------------------------------------------------------------------------------

def test_contract_ids_present():
    assert CONTRACT_IDS <= set(metric_table().index)


def test_registry_fields_valid(tables):
    table = metric_table()
    assert table["polarity"].isin(["higher_better", "lower_better", "neither"]).all()
    assert table["kind"].isin(["rate", "level"]).all()
    for source in table["source"]:
        if source != "local":  # tidy tables (cited by the files of each figure's year) or source ids
            assert all(part in tables.frames or part in SOURCES_BY_ID for part in source.split("+")), source
    assert set(LOCAL_METRIC_IDS) == set(table.index[table["source"] == "local"])
    assert all(m["recipe"] is None for m in METRICS if m["source"] == "local")


# ------------------------------------------------------------------------------------------------
# panel against the raw files
# ------------------------------------------------------------------------------------------------

def _raw_unit_cost_2016_17(council: str, age_key: str, setting_key: str) -> float:
    """Long-term (CareType 2), mandatory (DataType 1) GCE (£000) / client weeks, summed over reasons."""
    totals = pd.read_csv(RAW / "ascfr" / "CSV ASCFR Totals.csv", dtype=str)
    activity = pd.read_csv(RAW / "ascfr" / "CSV ASCFR Activity.csv", dtype=str)
    sel = lambda f: f[(f.GEOGRAPHY_CODE == council) & (f.CareType_KEY == "2") & (f.AgeBand_KEY == age_key)
                      & (f.SupportSetting_KEY == setting_key) & (f.DataType_KEY == "1")]
    spend = pd.to_numeric(sel(totals)["GROSSCURRENTEXPENDITURE"]).sum() * 1000
    weeks = pd.to_numeric(sel(activity)["ItemValue"]).sum()
    return spend / weeks


@pytest.mark.parametrize("council, metric_id, age_key, setting_key, approx", [
    (SOUTHAMPTON, "unit_cost_residential_65plus_gbp_per_week", "2", "7", 543),
    (SOUTHAMPTON, "unit_cost_nursing_65plus_gbp_per_week", "2", "6", 578),
    (LEICESTER, "unit_cost_residential_65plus_gbp_per_week", "2", "7", 540),
    (LEICESTER, "unit_cost_nursing_65plus_gbp_per_week", "2", "6", 523),
    (LEICESTER, "unit_cost_residential_18to64_gbp_per_week", "1", "7", None),
])
def test_unit_costs_match_raw_csv(panel, council, metric_id, age_key, setting_key, approx):
    expected = _raw_unit_cost_2016_17(council, age_key, setting_key)
    row = _value(panel, council, "2016-17", metric_id)
    assert row["value"] == pytest.approx(expected, rel=1e-9)
    if approx is not None:
        assert row["value"] == pytest.approx(approx, abs=1)
    assert row["unit"] == "gbp_per_client_week"


def test_gce_per_head_65plus_2017_18_numerator_from_raw(panel, tables):
    raw = pd.read_csv(RAW / "ascfr" / "Support Type With Populations with per100k.rds.csv", dtype={"ITEMVALUE": float})
    rows = raw[(raw.GEOGRAPHY_CODE == SOUTHAMPTON) & (raw.AgeBand_Key == "65 and Over")
               & raw.CareType_Key.isin(["Long Term Care", "Short Term Care"])]
    expected_spend = rows["ITEMVALUE"].sum()
    # denominator: ONS mid-2017 65+ (the population loader is tested against ONS in test_population.py)
    pop = tables.population_bands
    pop65 = pop[(pop.council == SOUTHAMPTON) & (pop.year == "2017") & (pop.age_band == "65+")]["value"].iloc[0]
    row = _value(panel, SOUTHAMPTON, "2017-18", "gce_65plus_per_head_65plus_gbp")
    assert row["numerator"] == pytest.approx(expected_spend)
    assert row["denominator"] == pop65
    assert row["value"] == pytest.approx(expected_spend / pop65)


def test_gce_residential_per_head_2016_17_from_raw(panel):
    totals = pd.read_csv(RAW / "ascfr" / "CSV ASCFR Totals.csv", dtype=str)
    rows = totals[(totals.GEOGRAPHY_CODE == LEICESTER) & (totals.CareType_KEY == "2") & (totals.AgeBand_KEY == "2")
                  & (totals.SupportSetting_KEY == "7") & (totals.DataType_KEY == "1")]
    expected = pd.to_numeric(rows["GROSSCURRENTEXPENDITURE"]).sum() * 1000
    row = _value(panel, LEICESTER, "2016-17", "gce_65plus_residential_per_head_65plus_gbp")
    assert row["numerator"] == pytest.approx(expected)


def test_care_home_admissions_by_description_and_2021_population(panel):
    trend = pd.read_csv(RAW / "ascof" / "trend_data.csv", dtype=str)
    older = trend["Measure Group Description"].str.contains("older adults", case=False, na=False) & \
        trend["Measure Group Description"].str.contains("care homes", case=False, na=False)
    s = trend[older & (trend["ONS Code"] == SOUTHAMPTON)].set_index("Year")["Measure_Value"].astype(float)
    assert _value(panel, SOUTHAMPTON, "2023-24", "care_home_admissions_65plus_per_100k")["value"] == s["2023-24"]  # code 2C
    row = _value(panel, SOUTHAMPTON, "2021-22", "care_home_admissions_65plus_per_100k")
    assert row["value"] == s["2021-22"]  # code 2A2
    pop = pd.read_csv(RAW / "population" / "pop2021.csv")
    pop65 = pop[(pop.ladcode21 == SOUTHAMPTON) & (pd.to_numeric(pop.age, errors="coerce") >= 65)]["population_2021"].sum()
    assert row["denominator"] == pop65
    assert row["numerator"] == pytest.approx(s["2021-22"] * pop65 / 100_000)


def test_delayed_transfers_years(panel):
    years = set(panel.loc[panel["metric_id"] == "delayed_transfers_per_100k", "year"])
    assert years == {"2017-18", "2018-19", "2019-20"}


def test_bcf_income_from_raw(panel):
    raw = pd.read_csv(RAW / "ascfr" / "pss-exp-eng-15-16-fin-add-data.csv", dtype=str)
    rows = raw[(raw["Council Name"] == "Leicester") & (raw["Comparative totals"] == "Income from Better Care Fund")]
    expected = pd.to_numeric(rows["Value"]).sum() * 1000  # £000 -> £
    row = _value(panel, LEICESTER, "2015-16", "bcf_income_gbp")
    assert row["value"] == pytest.approx(expected) and row["unit"] == "gbp"


def test_share_85plus(panel, tables):
    pop = tables.population_by_age
    sel = pop[(pop.council == SOUTHAMPTON) & (pop.year == "2016")].assign(age=lambda f: f.age.str.rstrip("+").astype(int))
    expected = 100 * sel[sel.age >= 85]["value"].sum() / sel[sel.age >= 65]["value"].sum()
    assert _value(panel, SOUTHAMPTON, "2016-17", "share_65plus_aged_85plus_pct")["value"] == pytest.approx(expected)


def test_panel_shape_and_missing_kept(panel):
    assert list(panel.columns) == PANEL_COLUMNS
    assert not panel.duplicated(["council", "year", "metric_id"]).any()
    scilly = _value(panel, SCILLY, "2016-17", "gce_65plus_per_head_65plus_gbp")
    assert np.isnan(scilly["value"]) and scilly["missing_reason"] == REASON_ABSENT
    assert panel.loc[panel["value"].notna(), "missing_reason"].isna().all()
    assert panel.loc[panel["value"].isna(), "missing_reason"].notna().all()
    assert not panel["illustrative"].any()


# ------------------------------------------------------------------------------------------------
# local metrics
# ------------------------------------------------------------------------------------------------

def _local_frame():
    return pd.DataFrame({
        "council": [SOUTHAMPTON, "E06000044", "E06000023"], "year": "2019-20", "metric_id": "staff_per_1000_65plus",
        "value": [2.0, 2.6, 3.0], "numerator": [70.0, 78.0, 180.0], "denominator": [35000.0, 30000.0, 60000.0],
        "unit": "per_1000", "source": "local", "illustrative": True, "missing_reason": None,
    })


def test_local_panel_merged_like_national(tables):
    panel = metric_panel(tables, _local_frame())
    row = _value(panel, SOUTHAMPTON, "2019-20", "staff_per_1000_65plus")
    assert row["value"] == 2.0 and bool(row["illustrative"]) and row["source"] == "local"
    table = council_metrics(tables, SOUTHAMPTON, group="custom", custom=["Portsmouth", "Bristol"], panel=panel).set_index("id")
    staff = table.loc["staff_per_1000_65plus"]
    assert staff["n"] == 2 and staff["mean"] == pytest.approx(2.8)
    # FTE gap = (comparator mean 2.8 - 2.0) x 35,000 / 1,000 = 28
    assert staff["gap"] == pytest.approx(28.0) and staff["gap_unit"] == "fte"
    assert bool(staff["illustrative"])


def test_local_panel_errors(tables):
    with pytest.raises(UserError, match="lack column"):
        metric_panel(tables, _local_frame().drop(columns="unit"))
    with pytest.raises(UserError, match="unknown metric id"):
        metric_panel(tables, _local_frame().assign(metric_id="made_up"))


# ------------------------------------------------------------------------------------------------
# one council's table
# ------------------------------------------------------------------------------------------------

def test_council_metrics_one_row_per_metric(tables, panel):
    table = council_metrics(tables, "Southampton", panel=panel)
    assert list(table["id"]) == [m["id"] for m in METRICS]
    assert table.attrs["group"].startswith("nearest-neighbour sets used by a government data project")
    latest = table.set_index("id")
    assert latest.loc["unit_cost_residential_65plus_gbp_per_week", "year"] == "2016-17"
    assert latest.loc["gce_65plus_per_head_65plus_gbp", "year"] == "2017-18"
    assert latest.loc["delayed_transfers_per_100k", "year"] == "2019-20"
    assert latest.loc["staff_per_1000_65plus", "missing_reason"] == "no data for this council"


def test_council_metrics_year_and_errors(tables, panel):
    table = council_metrics(tables, LEICESTER, year="2016-17", group="region", panel=panel).set_index("id")
    assert table.loc["delayed_transfers_per_100k", "missing_reason"] == "not available for 2016-17"
    assert table.loc["unit_cost_nursing_65plus_gbp_per_week", "n"] > 0
    with pytest.raises(UnknownCouncilError):
        council_metrics(tables, "Nowhere-on-Sea", panel=panel)


def test_each_figure_cites_the_files_of_its_own_year(tables):
    from benchmark.metrics.compute import metric_panel

    panel = metric_panel(tables)
    rows = panel[(panel["council"] == "E06000045") & (panel["metric_id"] == "gce_65plus_per_head_65plus_gbp")].set_index("year")
    assert rows.loc["2017-18", "source"] == "ascfr_2017_18_gce+ons_mye2_2017"
    assert rows.loc["2016-17", "source"] == "ascfr_2016_17_totals+ons_mye2_2016"
    ascof = panel[(panel["metric_id"] == "delayed_transfers_per_100k") & (panel["year"] == "2018-19")]
    assert set(ascof["source"]) == {"ascof_trend"}
