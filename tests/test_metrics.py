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
    # current finance data (RO3, RSX, RS, RA) and ASC-FR's long-term care series
    "asc_gross_per_head_18plus_gbp", "asc_net_per_head_18plus_gbp", "asc_gross_expenditure_gbp", "asc_net_expenditure_gbp",
    "asc_65plus_gross_per_head_65plus_gbp", "asc_18to64_gross_per_head_18to64_gbp",
    *(f"asc_{g}_{a}_gross_per_head_{a}_gbp" for g in ("physical_support", "sensory_support", "memory_and_cognition",
                                                      "learning_disability", "mental_health") for a in ("18to64", "65plus")),
    "asc_care_assessment_gross_per_head_18plus_gbp", "asc_sales_fees_charges_pct_of_gross", "asc_other_income_pct_of_gross",
    "asc_employees_pct_of_gross", "asc_budget_to_outturn_ratio", "asc_outturn_over_budget_pct",
    "gce_65plus_long_term_per_head_65plus_gbp", "gce_18to64_long_term_per_head_18to64_gbp",
    "care_home_share_of_long_term_65plus_pct", "care_home_share_of_long_term_18to64_pct",
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
    assert set(metric_table().index) >= CONTRACT_IDS


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

    def sel(f):
        return f[(f["GEOGRAPHY_CODE"] == council) & (f.CareType_KEY == "2") & (f.AgeBand_KEY == age_key)
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
    # the current finance data headline the newest year of each source
    assert latest.loc["asc_net_per_head_18plus_gbp", "year"] == "2024-25"  # RO3
    assert latest.loc["gce_65plus_residential_per_head_65plus_gbp", "year"] == "2023-24"  # ASC-FR data file
    assert latest.loc["asc_outturn_over_budget_pct", "year"] == "2023-24"  # RA
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


# ------------------------------------------------------------------------------------------------
# current finance data: hand-worked from the publishers' figures
# ------------------------------------------------------------------------------------------------

# ONS mid-2024, data/raw/population/ons_mye/mye24tablesew.csv, row E06000045 read by hand: all ages
# 259,424 less ages 0 to 17 (50,941) = 208,483 aged 18+.
SOUTHAMPTON_18PLUS_MID_2024 = 208_483


def test_southampton_net_spend_per_head_18plus_newest_year(panel):
    # RO3 2024-25, total adult social care, net current expenditure (C7): £116,594 thousand
    level = _value(panel, SOUTHAMPTON, "2024-25", "asc_net_expenditure_gbp")
    assert level["value"] == 116_594_000 and level["unit"] == "gbp" and level["source"] == "ro3_2024_25"
    row = _value(panel, SOUTHAMPTON, "2024-25", "asc_net_per_head_18plus_gbp")
    assert row["denominator"] == SOUTHAMPTON_18PLUS_MID_2024
    assert row["value"] == pytest.approx(116_594_000 / 208_483)  # £559.25
    assert round(row["value"], 2) == 559.25
    assert row["source"] == "ro3_2024_25+ons_mye2_2024"


@pytest.mark.parametrize("council, budget_thousands, outturn_thousands, over_budget_pct", [
    (SOUTHAMPTON, 114_959, 111_474, -3.0),  # 3.0% under budget
    (LEICESTER, 187_848, 172_536, -8.2),  # 8.2% under budget
])
def test_budget_against_outturn_same_year(panel, council, budget_thousands, outturn_thousands, over_budget_pct):
    # RA 2023-24 line 360 (budget) against RO3 2023-24 total net current expenditure (outturn), £ thousand
    ratio = _value(panel, council, "2023-24", "asc_budget_to_outturn_ratio")
    assert ratio["value"] == pytest.approx(budget_thousands / outturn_thousands)
    over = _value(panel, council, "2023-24", "asc_outturn_over_budget_pct")
    assert over["numerator"] == (outturn_thousands - budget_thousands) * 1000 and over["denominator"] == budget_thousands * 1000
    assert round(over["value"], 1) == over_budget_pct
    assert over["source"] == "ra_2023_24+ro3_2023_24"


def test_budget_against_outturn_uses_rsx_where_ro3_has_no_year(panel):
    # RA 2021-22 Southampton £95,011 thousand against RSX 2021-22 £102,138 thousand: 7.5% over budget
    over = _value(panel, SOUTHAMPTON, "2021-22", "asc_outturn_over_budget_pct")
    assert over["value"] == pytest.approx(100 * (102_138 - 95_011) / 95_011)
    assert over["source"] == "ra_2021_22+rsx_2021_22"


def test_net_spend_trend_has_every_outturn_year(panel, tables):
    rows = panel[(panel["council"] == SOUTHAMPTON) & (panel["metric_id"] == "asc_net_per_head_18plus_gbp")].set_index("year")
    present = {*tables.ro3["year"], *tables.rsx["year"], *tables.rs["year"]}
    assert set(rows.index) == present
    # RS 2017-18 line 360: £66,240 thousand; RSX 2021-22: £102,138 thousand (no RO3 in the data for either year)
    assert rows.loc["2017-18", "numerator"] == 66_240_000 and rows.loc["2017-18", "source"].startswith("rs_2017_18+")
    assert rows.loc["2021-22", "numerator"] == 102_138_000 and rows.loc["2021-22", "source"].startswith("rsx_2021_22+")
    assert rows.loc["2023-24", "source"].startswith("ro3_2023_24+")
    # England's row (E92000001) is not a council row
    assert "E92000001" not in set(panel.loc[panel["metric_id"] == "asc_net_per_head_18plus_gbp", "council"])


def test_ro3_shares_and_client_groups(panel):
    # Southampton RO3 2024-25, total: gross £152,000k, sales fees and charges £16,243k, employees £20,571k
    sfc = _value(panel, SOUTHAMPTON, "2024-25", "asc_sales_fees_charges_pct_of_gross")
    assert sfc["value"] == pytest.approx(100 * 16_243 / 152_000)
    assert _value(panel, SOUTHAMPTON, "2024-25", "asc_employees_pct_of_gross")["value"] == pytest.approx(100 * 20_571 / 152_000)
    assert _value(panel, SOUTHAMPTON, "2024-25", "asc_gross_expenditure_gbp")["value"] == 152_000_000
    older = _value(panel, SOUTHAMPTON, "2024-25", "asc_physical_support_65plus_gross_per_head_65plus_gbp")
    parts = [_value(panel, SOUTHAMPTON, "2024-25", f"asc_{g}_65plus_gross_per_head_65plus_gbp")["numerator"]
             for g in ("physical_support", "sensory_support", "memory_and_cognition", "learning_disability", "mental_health")]
    assert _value(panel, SOUTHAMPTON, "2024-25", "asc_65plus_gross_per_head_65plus_gbp")["numerator"] == pytest.approx(sum(parts))
    assert older["denominator"] == 35_555  # ONS mid-2024 Southampton 65+, same file and row, ages 65 to 90+


def test_long_term_care_series_joins_the_packs_and_the_data_file(panel, tables):
    raw = pd.read_csv(RAW / "ascfr" / "ltc-gce-by-setting" / "ascfr_ltc_gce_by_setting_2023-24.csv", dtype=str)
    rows = raw[(raw.GEOGRAPHY_CODE == SOUTHAMPTON) & (raw.AgeBand == "65 and Over")].set_index("SupportSetting")["ITEMVALUE"].astype(float)
    pop = tables.population_bands
    pop65 = pop[(pop.council == SOUTHAMPTON) & (pop.year == "2023") & (pop.age_band == "65+")]["value"].iloc[0]
    residential = _value(panel, SOUTHAMPTON, "2023-24", "gce_65plus_residential_per_head_65plus_gbp")
    assert residential["numerator"] == pytest.approx(rows["Residential"] * 1000)  # the extract is in £ thousand
    assert residential["value"] == pytest.approx(rows["Residential"] * 1000 / pop65)
    assert residential["source"] == "ascfr_datafile_2023_24+ons_mye2_2023"
    total = _value(panel, SOUTHAMPTON, "2023-24", "gce_65plus_long_term_per_head_65plus_gbp")
    assert total["numerator"] == pytest.approx(rows["Total"] * 1000)
    share = _value(panel, SOUTHAMPTON, "2023-24", "care_home_share_of_long_term_65plus_pct")
    assert share["value"] == pytest.approx(100 * (rows["Residential"] + rows["Nursing"]) / rows["Total"])  # 78.2%
    # the same definition in the older packs: the 2016-17 value is still there, from its own files
    years = set(panel.loc[(panel["council"] == SOUTHAMPTON) & (panel["metric_id"] == "gce_65plus_residential_per_head_65plus_gbp")
                          & panel["value"].notna(), "year"])
    assert {"2016-17", "2017-18", *tables.ascfr_datafile["year"]} <= years
    old = _value(panel, SOUTHAMPTON, "2016-17", "care_home_share_of_long_term_65plus_pct")
    assert old["source"] == "ascfr_2016_17_totals"
