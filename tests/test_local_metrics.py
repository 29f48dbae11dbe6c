"""Local metrics on tiny hand-made inputs (tests/fixtures/local/good).  Every expected number is
worked out by hand in the comments from the fixture files and the ONS 65+ populations quoted."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.data.store import load_tables
from benchmark.local import compute, schemas
from benchmark.local.disclosure import NOTE_COLUMN, PROTECTS_SMALL_COUNT, SMALL_COUNT, labels_from_note
from benchmark.local.panel import PANEL_COLUMNS, LocalParams, local_metric_panel, local_summary, missing_reason_for

GOOD = Path(__file__).resolve().parent / "fixtures" / "local" / "good"
SOT = GOOD / "E06000045"
SOUTHAMPTON, LEICESTER = "E06000045", "E06000016"
# ONS mid-year 65+ populations (data/raw): Southampton mid-2017 33,214, mid-2018 33,508, mid-2021 34,393;
# Leicester mid-2018 42,304.


@pytest.fixture(scope="module")
def tables():
    return load_tables()


@pytest.fixture(scope="module")
def panel(tables):
    return local_metric_panel(tables, GOOD, LocalParams(reference_date="2019-03-31"))


def value(panel, council, metric, year="2018-19"):
    row = panel[(panel["council"] == council) & (panel["metric_id"] == metric) & (panel["year"] == year)]
    assert len(row) == 1, (council, metric, year)
    return row.iloc[0]


# --- workforce -------------------------------------------------------------------------------

def test_staff_per_1000_uses_latest_as_at_date_in_the_year(panel):
    # 2018-19: as-at 2018-09-30 beats 2018-06-30 (99 FTE ignored): 30.0 + 10.5 + 9.5 = 50.0 FTE
    # 50.0 / 33,508 * 1000 = 1.492181
    row = value(panel, SOUTHAMPTON, "staff_per_1000_65plus")
    assert row["numerator"] == pytest.approx(50.0)
    assert row["denominator"] == 33508
    assert row["value"] == pytest.approx(1.492181, abs=1e-6)
    assert "workforce.csv" in row["source"] and not row["illustrative"]


def test_staff_per_1000_other_years_and_latest_population(panel):
    # 2017-18: 28.0 / 33,214 * 1000 = 0.843018
    assert value(panel, SOUTHAMPTON, "staff_per_1000_65plus", "2017-18")["value"] == pytest.approx(0.843018, abs=1e-6)
    # 2026-27: mid-2026 not held -> the latest, mid-2024, 35,555 (ONS); 35.555 / 35,555 * 1000 = 1.0, and the source says so
    row = value(panel, SOUTHAMPTON, "staff_per_1000_65plus", "2026-27")
    assert row["value"] == pytest.approx(1.0)
    assert "mid-2024" in row["source"] and "not held" in row["source"]


def test_staff_roles_subset_and_agency(tables):
    wf = schemas.read_workforce(SOT / "workforce.csv")
    # social workers only: 30.0 / 33.508 = 0.895309
    sw = compute.workforce_fte_by_year(wf, roles=["social_worker"]).set_index("year").loc["2018-19", "fte"]
    assert compute.staff_per_1000(sw, 33508) == pytest.approx(0.895309, abs=1e-6)
    # with agency: 50.0 + 1.5 + 0 + 0.5 = 52.0; 52.0 / 33.508 = 1.551868
    ag = compute.workforce_fte_by_year(wf, include_agency=True).set_index("year").loc["2018-19", "fte"]
    assert compute.staff_per_1000(ag, 33508) == pytest.approx(1.551868, abs=1e-6)


def test_national_role_groups_summed_and_local_wins(panel):
    # Leicester has no 'all' row: 50.0 + 34.608 = 84.608 FTE; / 42,304 * 1000 = 2.0
    assert value(panel, LEICESTER, "staff_per_1000_65plus")["value"] == pytest.approx(2.0)
    # Southampton's national row (99 FTE) is replaced by its own file (50 FTE)
    assert value(panel, SOUTHAMPTON, "staff_per_1000_65plus")["numerator"] == pytest.approx(50.0)


def test_fte_gap_to_comparators(tables, panel):
    # comparator = Leicester only, 2.0 per 1,000; gap = (2.0 - 50/33.508) * 33.508 = 67.016 - 50 = 17.016 FTE
    s = local_summary(tables, SOUTHAMPTON, GOOD, LocalParams(comparators=(LEICESTER,), reference_date="2019-03-31"), panel=panel)
    w = s["workforce"].set_index("year").loc["2018-19"]
    assert w["comparator_average"] == pytest.approx(2.0)
    assert w["fte_gap_to_comparator_average"] == pytest.approx(17.016, abs=1e-6)


# --- Better Care Fund --------------------------------------------------------------------------

def test_bcf_pooled_ratio_rank_and_split(tables, panel):
    # contributions: 16,177,000 + 58,323,000 + 30,000,000 + 5,000,000 + 2,000,000 = 111,500,000
    assert value(panel, SOUTHAMPTON, "bcf_pooled_gbp")["value"] == 111_500_000
    # ratio 111.5 / 16.177 = 6.892502
    r = value(panel, SOUTHAMPTON, "bcf_pooled_to_minimum_ratio")
    assert r["value"] == pytest.approx(6.892502, abs=1e-6) and r["denominator"] == 16_177_000
    s = local_summary(tables, SOUTHAMPTON, GOOD, LocalParams(reference_date="2019-03-31"), panel=panel)
    b = s["bcf"].iloc[0]
    # pooled: 120m (E06000010) > 111.5m > 40m > 10m -> rank 2 of 4, quartile ceil(2/4*4) = 2
    assert (b["rank_pooled"], b["quartile_pooled"], b["councils_ranked"]) == (2, 2, 4)
    # ratios: 6.89 > 4.0 > 2.0 = 2.0 -> rank 1, quartile 1
    assert (b["rank_ratio"], b["quartile_ratio"]) == (1, 1)
    split = s["bcf_contributions"].set_index("source")["share_pct"]
    # 16.177 / 111.5 = 14.508520 %; 30 / 111.5 = 26.905830 %
    assert split["nhs_minimum"] == pytest.approx(14.508520, abs=1e-5)
    assert split["council_additional"] == pytest.approx(26.905830, abs=1e-5)
    # national rows stay for councils without folders: E06000010 120m / 30m = 4.0
    assert value(panel, "E06000010", "bcf_pooled_to_minimum_ratio")["value"] == pytest.approx(4.0)


# --- care home fees ----------------------------------------------------------------------------

def test_fee_metrics(panel):
    # 5 bands; latest effective date 2018-06-01 -> 2018-19
    assert value(panel, SOUTHAMPTON, "care_home_fee_band_count")["value"] == 5
    # residential fees paid 500 + 520 + 520 + 600 = 2,140 over 4 placements = 535.00 (top-up of P3 excluded)
    res = value(panel, SOUTHAMPTON, "care_home_fee_weighted_average_residential_gbp_per_week")
    assert (res["value"], res["numerator"], res["denominator"]) == (535.0, 2140.0, 4.0)
    # nursing 600 + 600 + 750 = 1,950 over 3 = 650.00
    assert value(panel, SOUTHAMPTON, "care_home_fee_weighted_average_nursing_gbp_per_week")["value"] == pytest.approx(650.0)
    # above band: P2 (520 > 500), P4 (600 > 550), P7 (750 > 700) = 3 of 7 = 42.857143 %
    above = value(panel, SOUTHAMPTON, "care_home_placements_above_band_pct")
    assert above["value"] == pytest.approx(42.857143, abs=1e-6) and above["numerator"] == 3


def test_fee_spread_and_simplified_schedule():
    bands = schemas.read_fee_bands(SOT / "care_home_fee_bands.csv")
    placements = schemas.read_placements(SOT / "care_home_placements.csv", bands, SOT / "care_home_fee_bands.csv")
    spread = compute.fee_band_spread(bands).set_index("setting")
    # residential 500..550 (spread 50); nursing 600..700 (spread 100)
    assert spread.loc["residential", "spread_gbp"] == 50 and spread.loc["nursing", "spread_gbp"] == 100
    simple = compute.simplified_schedule(bands, placements).set_index(["setting", "need_level"])
    # residential standard: band rates 500, 500, 520 -> 506.67; paid 1,540 vs new 1,520 -> -20 * 52.14 = -1,042.80
    assert simple.loc[("residential", "standard"), "new_rate_gbp"] == pytest.approx(506.666667, abs=1e-5)
    assert simple.loc[("residential", "standard"), "annual_difference_gbp"] == pytest.approx(-1042.80)
    # residential enhanced -50 * 52.14 = -2,607.00; nursing standard 0; nursing dementia -2,607.00; total -6,256.80
    assert simple["annual_difference_gbp"].sum() == pytest.approx(-6256.80)
    given = compute.simplified_schedule(bands, placements, {"residential": 510.0, "nursing": 640.0})
    # residential 4 * 510 = 2,040 vs 2,140 -> -100 * 52.14 = -5,214; nursing 3 * 640 = 1,920 vs 1,950 -> -1,564.20
    assert given["annual_difference_gbp"].sum() == pytest.approx(-6778.20)


# --- packages ----------------------------------------------------------------------------------

def test_package_metrics(panel):
    # costs sorted: 100 150 200 250 300 | 600 800 1000 1200 1500 -> median (300 + 600) / 2 = 450
    med = value(panel, SOUTHAMPTON, "package_weekly_cost_median_gbp")
    assert med["value"] == 450 and med["denominator"] == 10
    # overdue at 2019-03-31 (no review, or start if never reviewed, before 2018-03-31):
    # K02 2017-05-01, K03 2016-01-01, K04 start 2018-01-01, K06 2017-02-01, K09 2017-12-31 = 5 of 10 = 50 %
    # (K10 reviewed exactly 2018-03-31 is not overdue; K07 started 2018-10-01 is not overdue)
    od = value(panel, SOUTHAMPTON, "packages_overdue_review_pct")
    assert (od["value"], od["numerator"], od["denominator"]) == (50.0, 5.0, 10.0)


def test_package_headlines_and_suppression():
    packages = schemas.read_packages(SOT / "packages.csv")
    h = compute.package_headlines(packages, reference_date="2019-03-31")
    # q1: position 2.25 -> 200 + 0.25 * 50 = 212.5; q3: position 6.75 -> 800 + 0.75 * 200 = 950
    assert (h["weekly_cost_q1_gbp"], h["weekly_cost_q3_gbp"]) == (212.5, 950.0)
    # overdue money (300 + 600 + 800 + 1200 + 1000) * 52.14 = 203,346 -> 203,000 to the nearest £1,000
    assert h["overdue_review_annual_gbp"] == 203_000
    # >= £1,000: 1000, 1200, 1500 = 3 -> hidden as '<5', and so is its money (missing, not text)
    assert np.isnan(h["high_cost_count"]) and np.isnan(h["high_cost_annual_gbp"])
    assert labels_from_note(h[NOTE_COLUMN]) == {"high_cost_count": SMALL_COUNT, "high_cost_annual_gbp": PROTECTS_SMALL_COUNT}
    # >= £600: 600 800 1000 1200 1500 = 5 (complement 5): shown; 5,100 * 52.14 = 265,914 -> 266,000
    h600 = compute.package_headlines(packages, high_cost_threshold_gbp=600, reference_date="2019-03-31")
    assert (h600["high_cost_count"], h600["high_cost_annual_gbp"]) == (5, 266_000)
    assert h600[NOTE_COLUMN] == ""
    # >= £250: 7 packages, complement 3 < 5: hidden to protect the 3 (else 10 - 7 = 3 would be recoverable)
    h250 = compute.package_headlines(packages, high_cost_threshold_gbp=250, reference_date="2019-03-31")
    assert np.isnan(h250["high_cost_count"])
    assert labels_from_note(h250[NOTE_COLUMN]) == {"high_cost_count": PROTECTS_SMALL_COUNT, "high_cost_annual_gbp": PROTECTS_SMALL_COUNT}


# --- panel contract ----------------------------------------------------------------------------

def test_panel_contract_and_missing_reasons(panel):
    assert list(panel.columns) == PANEL_COLUMNS
    assert not panel.duplicated(["council", "year", "metric_id"]).any()
    assert set(panel["council"]) == {SOUTHAMPTON, LEICESTER, "E06000010", "E06000018"}
    # a council with no folder: national BCF metrics present, local ones missing with the reason
    hull = panel[panel["council"] == "E06000010"].set_index("metric_id")
    assert hull.loc["bcf_pooled_gbp", "value"] == 120_000_000
    fee = hull.loc["care_home_fee_band_count"]
    assert np.isnan(fee["value"]) and fee["missing_reason"] == missing_reason_for("E06000010", "care_home_fee_bands.csv")
    assert fee["missing_reason"] == ("no local data supplied: put care_home_fee_bands.csv in data/local/E06000010/ "
                                     "(see docs/local-data.md)")
    present = panel[panel["value"].notna()]
    assert present["missing_reason"].isna().all()


def test_explicit_paths_override_the_folder(tables, tmp_path):
    panel = local_metric_panel(tables, tmp_path, LocalParams(reference_date="2019-03-31"),
                               paths={SOUTHAMPTON: {"bcf_plan": SOT / "bcf_plan.csv"}})
    assert value(panel, SOUTHAMPTON, "bcf_pooled_gbp")["value"] == 111_500_000
    assert pd.isna(panel[(panel["council"] == SOUTHAMPTON) & (panel["metric_id"] == "staff_per_1000_65plus")]["value"]).all()
