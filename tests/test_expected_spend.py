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


def test_real_fit_for_older_people(tables):
    model = fit_expected_spend(tables, "65plus")
    s = model.summary
    assert s["year"] == "2017-18" and s["spec"] == "need_and_cost"
    assert 140 <= s["n"] <= 152
    assert "E06000053" not in model.councils.index and "E09000001" not in model.councils.index
    southampton = model.councils.loc["E06000045"]
    # actual: ASC-FR 2017-18 65+ long- and short-term GCE / mid-2017 65+ population (33,214)
    assert southampton["population"] == 33_214
    assert southampton["pi_low_per_head_gbp"] < southampton["expected_per_head_gbp"] < southampton["pi_high_per_head_gbp"]
    assert southampton["needs_index"] == pytest.approx(southampton["actual_per_head_gbp"] / southampton["expected_per_head_gbp"])
    inside = (model.councils["outside_interval"] == "within").mean()
    assert 0.85 < inside < 1.0  # a 95% interval should hold most councils, not all



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
