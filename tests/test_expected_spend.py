"""The expected-spend model: known truth on synthetic data, exact leave-one-out, real-data fit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.budget.model import compare_specs, fit_expected_spend, fit_model, leave_one_out
from benchmark.errors import UserError

FEATURES = [
    {"id": "need", "transform": "none"},
    {"id": "pay", "transform": "log"},
]


def synthetic(n=400, seed=7, noise=0.05):
    """log(spend per head) = 5.0 + 2.0 * need + 0.5 * log(pay) + N(0, noise²): a known truth."""
    rng = np.random.default_rng(seed)
    need = rng.uniform(0.1, 0.4, n)
    pay = rng.uniform(20_000, 35_000, n)
    log_spend = 5.0 + 2.0 * need + 0.5 * np.log(pay) + rng.normal(0, noise, n)
    index = [f"C{i:03d}" for i in range(n)]
    return pd.DataFrame({"need": need, "pay": pay, "actual_per_head_gbp": np.exp(log_spend),
                         "population": rng.integers(20_000, 300_000, n).astype(float)}, index=index)


def test_recovers_known_coefficients():
    summary, coefficients, _ = fit_model(synthetic(), FEATURES)
    truth = {"const": 5.0, "need": 2.0, "log_pay": 0.5}
    for term, beta in truth.items():
        row = coefficients.loc[term]
        assert row["ci_low"] < beta < row["ci_high"], (term, row.to_dict())
    assert coefficients.loc["need", "coefficient"] == pytest.approx(2.0, abs=0.1)
    assert summary["n"] == 400 and summary["parameters"] == 3


def test_leave_one_out_equals_refitting_without_each_council():
    frame = synthetic(n=40, seed=3, noise=0.2)
    X = np.column_stack([np.ones(40), frame["need"], np.log(frame["pay"])])
    y = np.log(frame["actual_per_head_gbp"].to_numpy())
    loo = leave_one_out(X, y)
    for i in (0, 17, 39):
        keep = np.arange(40) != i
        beta, *_ = np.linalg.lstsq(X[keep], y[keep], rcond=None)
        residuals = y[keep] - X[keep] @ beta
        assert loo["loo_prediction_log"][i] == pytest.approx(X[i] @ beta, abs=1e-10)
        assert loo["smearing"][i] == pytest.approx(np.mean(np.exp(residuals)), abs=1e-10)
        s2 = residuals @ residuals / (39 - 3)
        se = np.sqrt(s2 * (1 + X[i] @ np.linalg.inv(X[keep].T @ X[keep]) @ X[i]))
        assert loo["prediction_se_log"][i] == pytest.approx(se, rel=1e-9)


def test_a_councils_own_spend_never_sets_its_own_benchmark():
    frame = synthetic(n=60, seed=11, noise=0.1)
    _, _, before = fit_model(frame, FEATURES)
    changed = frame.copy()
    changed.loc["C005", "actual_per_head_gbp"] *= 3.0
    _, _, after = fit_model(changed, FEATURES)
    assert after.loc["C005", "expected_per_head_gbp"] == pytest.approx(before.loc["C005", "expected_per_head_gbp"], rel=1e-10)
    assert after.loc["C005", "pi_high_per_head_gbp"] == pytest.approx(before.loc["C005", "pi_high_per_head_gbp"], rel=1e-10)
    assert after.loc["C005", "needs_index"] == pytest.approx(3 * before.loc["C005", "needs_index"], rel=1e-10)
    assert after.loc["C006", "expected_per_head_gbp"] != pytest.approx(before.loc["C006", "expected_per_head_gbp"], rel=1e-6)


RO3_CLIENT_GROUPS = ("physical_support", "sensory_support", "memory_and_cognition", "learning_disability", "mental_health")


def test_real_fit_for_older_people_on_the_newest_year(tables):
    from benchmark.data.years import latest_outturn_year

    model = fit_expected_spend(tables, "65plus")
    s = model.summary
    assert s["year"] == latest_outturn_year(tables) == "2024-25" and s["spec"] == "need_and_cost"
    assert s["response"] == "asc_65plus_gross_per_head_65plus_gbp"
    # 150 councils returned RO3 2024-25 (not Birmingham, Cumberland, Slough), less the 2 excluded
    assert s["n"] == 148 and s["dropped_for_missing_features"] == []
    assert "E06000053" not in model.councils.index and "E09000001" not in model.councils.index
    assert s["feature_years"]["idaopi_average_score"] == ["2025"]  # IoD2025
    southampton = model.councils.loc["E06000045"]
    # actual: RO3 2024-25 gross (C3) on the five 65+ client-group lines / mid-2024 65+ population (35,555)
    ro3 = tables.ro3
    lines = ro3[(ro3.council == "E06000045") & (ro3.year == "2024-25") & (ro3.measure == "gross_expenditure")].set_index("line")["value"]
    assert lines["physical_support_65plus"] == 33_003_000  # the publisher's figure (SOURCES.md)
    assert southampton["actual_gbp"] == sum(lines[f"{group}_65plus"] for group in RO3_CLIENT_GROUPS) == 56_767_000
    assert southampton["population"] == 35_555
    assert southampton["actual_per_head_gbp"] == pytest.approx(56_767_000 / 35_555)
    assert southampton["pi_low_per_head_gbp"] < southampton["expected_per_head_gbp"] < southampton["pi_high_per_head_gbp"]
    assert southampton["needs_index"] == pytest.approx(southampton["actual_per_head_gbp"] / southampton["expected_per_head_gbp"])
    for column in ("expected_per_head_gbp", "actual_per_head_gbp", "actual_gbp", "expected_gbp", "pi_low_gbp", "pi_high_gbp", "needs_index"):
        assert column in model.councils.columns  # the structure the base budget reads
    inside = (model.councils["outside_interval"] == "within").mean()
    assert 0.85 < inside < 1.0  # a 95% interval should hold most councils, not all


def test_real_fit_for_working_age_adults_on_the_newest_year(tables):
    model = fit_expected_spend(tables, "18to64")
    assert model.summary["year"] == "2024-25" and model.summary["n"] == 148
    leicester = model.councils.loc["E06000016"]
    assert leicester["actual_per_head_gbp"] == pytest.approx(leicester["actual_gbp"] / leicester["population"])
    # the 2023 unitaries that returned take their county's pay, and are said to
    assert model.summary["features_from_reorganised_councils"]["E06000065"] == {"median_annual_gross_pay": ["E10000023"]}


def test_iod2025_specification_beside_the_2019_indices(tables):
    table = compare_specs(tables, "65plus")
    assert {"need_and_cost", "need_and_cost_iod2019"} <= set(table.index)
    assert table.loc["need_and_cost", "n"] == table.loc["need_and_cost_iod2019", "n"] == 148  # same councils: AIC comparable
    old = fit_expected_spend(tables, "65plus", "need_and_cost_iod2019")
    assert old.summary["feature_years"]["idaopi_2019_average_score"] == ["2019"]  # one edition, never mixed
    assert old.summary["features_from_reorganised_councils"]["E06000066"]["idaopi_2019_average_score"] == ["E10000027"]


def test_older_year_still_fits_on_asc_fr(tables):
    model = fit_expected_spend(tables, "65plus", year="2017-18")
    assert model.summary["response"] == "gce_65plus_per_head_65plus_gbp"
    assert model.councils.loc["E06000045", "population"] == 33_214  # mid-2017 65+



def test_compare_specs_for_both_ages(tables):
    for age in ("65plus", "18to64"):
        table = compare_specs(tables, age)
        assert len(table) >= 2
        assert table["aic"].notna().all() and (table["loo_rmse_log"] > 0).all()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"age": "elderly"}, "unknown age group 'elderly'"),
    ({"spec": "nonsense"}, "unknown model specification 'nonsense'"),
    ({"spec": "working_age_need"}, "not defined for ages 65plus"),
    ({"year": "2019-20"}, "no gross current expenditure for 2019-20"),
    ({"year": "2019"}, "not a financial year"),
])
def test_bad_model_arguments(tables, kwargs, message):
    with pytest.raises(UserError, match=message):
        fit_expected_spend(tables, **{"age": "65plus", **kwargs})
