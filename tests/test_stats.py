"""Comparator statistics on hand-made panels; every expected value is worked by hand in comments."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from benchmark.metrics.registry import metric_table
from benchmark.metrics.stats import comparator_stats, council_metrics

UNIT_COST = "unit_cost_residential_65plus_gbp_per_week"  # rate, Poisson, multiplier 1, gap vs median
STAFF = "staff_per_1000_65plus"                         # rate, Poisson, multiplier 1000, gap vs mean
LEVEL = "imd_average_score"                             # level: no funnel, no gap


def _panel(rows):
    frame = pd.DataFrame(rows, columns=["council", "year", "metric_id", "numerator", "denominator", "multiplier"])
    frame["value"] = frame["multiplier"] * frame["numerator"] / frame["denominator"]
    return frame.drop(columns="multiplier")


@pytest.fixture(scope="module")
def unit_cost_stats():
    # Comparators B..E: values 10, 20, 30, 40 (numerator / denominator 100 client weeks each).
    # Subjects: A = 25 (5000 / 200), F = 50 (5000 / 100), G = 30 (3000 / 100; ties with D).
    rows = [("B", "2016-17", UNIT_COST, 1000, 100, 1), ("C", "2016-17", UNIT_COST, 2000, 100, 1),
            ("D", "2016-17", UNIT_COST, 3000, 100, 1), ("E", "2016-17", UNIT_COST, 4000, 100, 1),
            ("A", "2016-17", UNIT_COST, 5000, 200, 1), ("F", "2016-17", UNIT_COST, 5000, 100, 1),
            ("G", "2016-17", UNIT_COST, 3000, 100, 1)]
    pairs = pd.DataFrame([(s, n) for s in "AFG" for n in "BCDE"], columns=["council", "neighbour"])
    stats = comparator_stats(_panel(rows), pairs)
    return stats.set_index("council")


def test_descriptive_statistics(unit_cost_stats):
    a = unit_cost_stats.loc["A"]
    assert a["n"] == 4
    assert a["mean"] == pytest.approx(25.0)         # (10+20+30+40)/4
    assert a["median"] == pytest.approx(25.0)       # (20+30)/2
    assert a["q1"] == pytest.approx(17.5)           # linear: position 0.25*3 = 0.75 -> 10 + 0.75*10
    assert a["q3"] == pytest.approx(32.5)           # position 2.25 -> 30 + 0.25*10
    assert (a["min"], a["max"]) == (10.0, 40.0)


def test_rank_with_ties_min_method(unit_cost_stats):
    # A=25 among {25,10,20,30,40}: two strictly higher -> rank 3 of 5.
    assert unit_cost_stats.loc["A", "rank"] == 3 and unit_cost_stats.loc["A", "rank_of"] == 5
    # G=30 ties D=30: one strictly higher (40) -> both share rank 2 ('min').
    assert unit_cost_stats.loc["G", "rank"] == 2
    # F=50 is the highest.
    assert unit_cost_stats.loc["F", "rank"] == 1


def test_robust_z(unit_cost_stats):
    # |x - 25| = 15, 5, 5, 15 -> MAD = 10 (council excluded); z = (value - 25) / (1.4826 * 10)
    assert unit_cost_stats.loc["A", "mad"] == pytest.approx(10.0)
    assert unit_cost_stats.loc["A", "robust_z"] == pytest.approx(0.0)
    assert unit_cost_stats.loc["G", "robust_z"] == pytest.approx(5 / 14.826)
    assert unit_cost_stats.loc["F", "robust_z"] == pytest.approx(25 / 14.826)


def test_funnel_limits_by_hand(unit_cost_stats):
    # target = (1000+2000+3000+4000) / 400 = 25; s_j = sqrt(25/100) = 0.5 for every comparator
    # z_j = (10-25)/0.5 = -30, -10, 10, 30; 10th/90th percentiles (linear) = -24, 24
    # winsorised z^2 = 576, 100, 100, 576 -> phi = 1352/4 = 338
    # w_j = 1/0.25 = 4: sum w = 16, sum w^2 / sum w = 64/16 = 4 -> tau^2 = (4*338 - 3) / (16 - 4) = 1349/12
    f = unit_cost_stats.loc["F"]
    assert f["target"] == pytest.approx(25.0)
    assert f["phi"] == pytest.approx(338.0)
    tau2 = 1349 / 12
    assert f["tau2"] == pytest.approx(tau2)
    # F: denominator 100 -> s = 0.5; limits = 25 +/- z sqrt(0.25 + tau^2)
    spread_f = math.sqrt(0.25 + tau2)
    assert f["upper_95"] == pytest.approx(25 + 1.959964 * spread_f, rel=1e-6)
    assert f["lower_95"] == pytest.approx(25 - 1.959964 * spread_f, rel=1e-6)
    assert f["upper_998"] == pytest.approx(25 + 3.090232 * spread_f, rel=1e-6)
    # 50 > 45.80 (95% upper) but < 57.80 (99.8% upper)
    assert bool(f["outside_95"]) is True and bool(f["outside_998"]) is False
    # A: denominator 200 -> s^2 = 25/200 = 0.125
    a = unit_cost_stats.loc["A"]
    assert a["upper_95"] == pytest.approx(25 + 1.959964 * math.sqrt(0.125 + tau2), rel=1e-6)
    assert bool(a["outside_95"]) is False


def test_poisson_limits_by_hand():
    from benchmark.metrics.funnel import Z95, Z998, funnel_limits

    # target 25 per client week, 100 weeks, no dispersion: s = sqrt(1 x 25 / 100) = 0.5 -> 25 -/+ 1.959964 x 0.5
    lower, upper = funnel_limits(25.0, 0.0, 100.0, 1, False, Z95)
    assert (float(lower), float(upper)) == (pytest.approx(24.020018, abs=1e-6), pytest.approx(25.979982, abs=1e-6))
    # tau2 0.75 widens the spread to sqrt(0.25 + 0.75) = 1 -> 25 -/+ 1.959964
    lower, upper = funnel_limits(25.0, 0.75, 100.0, 1, False, Z95)
    assert (float(lower), float(upper)) == (pytest.approx(23.040036, abs=1e-6), pytest.approx(26.959964, abs=1e-6))
    # 50 per 100,000 among 200,000 people: s = sqrt(100,000 x 50 / 200,000) = 5 -> 99.8%: 50 -/+ 3.090232 x 5 = 15.45116
    lower, upper = funnel_limits(50.0, 0.0, 200_000.0, 100_000, False, Z998)
    assert (float(lower), float(upper)) == (pytest.approx(34.54884, abs=1e-5), pytest.approx(65.45116, abs=1e-5))
    # target 1, denominator 1: s = 1, 1 - 1.96 < 0 -> the lower limit is floored at 0
    assert float(funnel_limits(1.0, 0.0, 1.0, 1, False, Z95)[0]) == 0.0


def test_binomial_limits_by_hand():
    from benchmark.metrics.funnel import Z95, Z998, funnel_limits

    # 20% of 400 placements: p = 0.2, s = 100 x sqrt(0.2 x 0.8 / 400) = 100 x 0.02 = 2 -> 20 -/+ 3.919928 (95%), 6.180464 (99.8%)
    lower, upper = funnel_limits(20.0, 0.0, 400.0, 100, True, Z95)
    assert (float(lower), float(upper)) == (pytest.approx(16.080072, abs=1e-6), pytest.approx(23.919928, abs=1e-6))
    lower, upper = funnel_limits(20.0, 0.0, 400.0, 100, True, Z998)
    assert (float(lower), float(upper)) == (pytest.approx(13.819536, abs=1e-6), pytest.approx(26.180464, abs=1e-6))
    # 98% of 100: s = 100 x sqrt(0.98 x 0.02 / 100) = 1.4 -> upper 98 + 2.744 capped at 100%, lower 95.256
    lower, upper = funnel_limits(98.0, 0.0, 100.0, 100, True, Z95)
    assert float(upper) == 100.0 and float(lower) == pytest.approx(98 - 1.959964 * 1.4, abs=1e-5)


def test_missing_dispersion_gives_no_limits_in_statistics_and_charts_alike():
    # one comparator: tau2 cannot be estimated, and Poisson limits alone would be far too narrow for money per head
    from benchmark.metrics.funnel import Z95, funnel_limits
    from benchmark.report import charts

    lower, upper = funnel_limits(25.0, float("nan"), np.array([100.0, 200.0]), 1, False, Z95)
    assert np.isnan(lower).all() and np.isnan(upper).all()
    assert charts.funnel_limits is funnel_limits
    rows = [("B", "2016-17", UNIT_COST, 1000, 100, 1), ("A", "2016-17", UNIT_COST, 5000, 200, 1)]
    a = comparator_stats(_panel(rows), pd.DataFrame({"council": ["A"], "neighbour": ["B"]})).set_index("council").loc["A"]
    assert a["target"] == pytest.approx(10.0) and pd.isna(a["tau2"]) and pd.isna(a["upper_95"]) and pd.isna(a["outside_998"])


def test_gap_in_natural_units(unit_cost_stats):
    # unit costs: (median - value) x client weeks
    assert unit_cost_stats.loc["A", "gap"] == pytest.approx(0.0)
    assert unit_cost_stats.loc["F", "gap"] == pytest.approx((25 - 50) * 100)
    assert unit_cost_stats.loc["F", "gap_unit"] == "gbp"


def test_staff_gap_uses_comparator_mean_and_per_1000():
    # comparators 2, 2, 3, 4 staff per 1,000 65+ (20/10000, 20/10000, 30/10000, 40/10000 x 1000); mean 2.75
    # subject: 40 FTE / 20000 -> 2.0; gap = (2.75 - 2.0) x 20000 / 1000 = 15 FTE
    rows = [("B", "2019-20", STAFF, 20, 10000, 1000), ("C", "2019-20", STAFF, 20, 10000, 1000),
            ("D", "2019-20", STAFF, 30, 10000, 1000), ("E", "2019-20", STAFF, 40, 10000, 1000),
            ("A", "2019-20", STAFF, 40, 20000, 1000)]
    pairs = pd.DataFrame({"council": "A", "neighbour": list("BCDE")})
    a = comparator_stats(_panel(rows), pairs).set_index("council").loc["A"]
    assert a["mean"] == pytest.approx(2.75) and a["median"] == pytest.approx(2.5)
    assert a["gap"] == pytest.approx(15.0)
    assert a["gap_unit"] == "fte"
    # Poisson on the per-1,000 scale: target = 1000 x 110 / 40000 = 2.75
    assert a["target"] == pytest.approx(2.75)


def test_missing_values_do_not_count_and_levels_have_no_funnel():
    # comparator C has no value: n = 2; median of 10 and 30 = 20; council value missing -> no rank
    panel = pd.DataFrame({
        "council": ["A", "B", "C", "D"], "year": "2019-20", "metric_id": LEVEL,
        "value": [np.nan, 10.0, np.nan, 30.0], "numerator": np.nan, "denominator": np.nan,
    })
    pairs = pd.DataFrame({"council": "A", "neighbour": ["B", "C", "D", "A"]})  # self pair ignored
    a = comparator_stats(panel, pairs).set_index("council").loc["A"]
    assert a["n"] == 2 and a["median"] == pytest.approx(20.0)
    assert pd.isna(a["rank"]) and pd.isna(a["robust_z"])
    assert pd.isna(a["target"]) and pd.isna(a["upper_95"]) and pd.isna(a["outside_95"])
    assert pd.isna(a["gap"])


def test_year_specific_pairs():
    # In 2016-17 A is compared with B only, in 2017-18 with C only.
    panel = pd.DataFrame({
        "council": ["A", "B", "C"] * 2, "year": ["2016-17"] * 3 + ["2017-18"] * 3, "metric_id": LEVEL,
        "value": [1.0, 2.0, 3.0, 1.0, 5.0, 7.0], "numerator": np.nan, "denominator": np.nan,
    })
    pairs = pd.DataFrame({"council": ["A", "A"], "neighbour": ["B", "C"], "year": ["2016-17", "2017-18"]})
    stats = comparator_stats(panel, pairs)
    a = stats[stats["council"] == "A"].set_index("year")
    assert a.loc["2016-17", "median"] == 2.0 and a.loc["2017-18", "median"] == 7.0


def test_every_rate_metric_has_a_denominator_and_error_model():
    metrics = metric_table()
    rates = metrics[metrics["kind"] == "rate"]
    assert rates["error_model"].isin(["poisson", "binomial"]).all()
    assert rates["gap_reference"].isin(["median", "mean"]).all()


def test_statistics_resting_on_illustrative_comparators_are_flagged():
    # Council A's own value is real; one of its two comparators' values is example data.
    panel = pd.DataFrame({
        "council": ["A", "B", "C"], "year": ["2018-19"] * 3, "metric_id": ["bcf_pooled_gbp"] * 3,
        "value": [100.0, 50.0, 70.0], "numerator": [np.nan] * 3, "denominator": [np.nan] * 3,
        "illustrative": [False, True, False],
    })
    pairs = pd.DataFrame({"council": ["A", "A", "B", "B", "C", "C"], "neighbour": ["B", "C", "A", "C", "A", "B"]})
    stats = comparator_stats(panel, pairs).set_index("council")
    assert bool(stats.loc["A", "comparators_illustrative"]) is True   # B is in A's group
    assert bool(stats.loc["C", "comparators_illustrative"]) is True   # B is in C's group
    assert bool(stats.loc["B", "comparators_illustrative"]) is False  # A and C are real


def test_real_bcf_value_with_illustrative_national_comparators_is_marked_illustrative(tables):
    from benchmark.local.panel import local_metric_panel

    table = council_metrics(tables, "E06000045", local_panel=local_metric_panel(tables, tables.data_dir / "local")).set_index("id")
    bcf = table.loc["bcf_pooled_gbp"]
    assert bcf["value"] == 111_500_000  # Southampton's published 2018-19 pooled BCF (real)
    assert bool(bcf["comparators_illustrative"]) and bool(bcf["illustrative"])  # its rank rests on example data
    assert not bool(bcf["value_illustrative"])  # but the figure itself is the council's published one
    assert not bool(table.loc["gce_65plus_per_head_65plus_gbp", "illustrative"])
