"""The expected-spend model: what would a council spend if it spent like councils with its need?

For an age group (65+ or 18-64) and a financial year, across all councils with data:

    log(gross current expenditure per head of the age group) = X b + e

fitted by OLS (statsmodels) with HC3 robust standard errors; X holds the need and cost indicators
of a named specification in ``config/expected_spend.toml``.

**Leave-one-out.**  A council's expected spend comes from the model fitted *without* it, so its
own spend can never set its own benchmark.  No refits are needed: with hat matrix H, residuals e
and leverages h,

* the leave-one-out prediction of council i is ``y_i - e_i / (1 - h_i)``;
* the residuals of every other council j under the fit without i are ``e_j + H_ji e_i / (1 - h_i)``
  (they do not depend on ``y_i``), which gives Duan's smearing factor for i, ``mean_j exp(.)``, to
  retransform from logs: expected £ per head = ``exp(prediction) * smearing``;
* the residual variance without i is ``((n-p) s² - e_i² / (1-h_i)) / (n-p-1)`` and the standard
  error of a new observation at ``x_i`` is ``s_(i) / sqrt(1 - h_i)``, so the 95% prediction
  interval on the £ scale is ``exp(prediction ± t(n-p-1) · se)`` (quantiles retransform exactly).

Needs index = actual ÷ expected.  A council lies outside the interval when its actual spend per head
falls outside the prediction interval; the index interval shown is the interval ÷ expected.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.comparators import feature_table
from benchmark.data.tidy import financial_year_start
from benchmark.errors import UserError
from benchmark.metrics.compute import national_values

CONFIG_PATH = Path(__file__).resolve().parents[1] / "config" / "expected_spend.toml"
#: Age group -> (response metrics in order of preference, ONS age band).  The response of a year is
#: the first metric with values that year: MHCLG's revenue outturn (RO3) gross expenditure on the
#: five client-group lines of the age band (physical support, sensory support, memory and
#: cognition, learning disability, mental health) per head of the band's mid-year population, for
#: every year RO3 holds; ASC-FR gross current expenditure on long- and short-term care per head
#: for the older years only ASC-FR has.  Both are metrics of benchmark/metrics/registry.py.
AGES = {
    "65plus": (("asc_65plus_gross_per_head_65plus_gbp", "gce_65plus_per_head_65plus_gbp"), "65+"),
    "18to64": (("asc_18to64_gross_per_head_18to64_gbp", "gce_18to64_per_head_18to64_gbp"), "18-64"),
}
RESPONSE_WORDS = {
    "asc_65plus_gross_per_head_65plus_gbp": "RO3 gross expenditure on the client-group lines for ages 65+ per head 65+",
    "asc_18to64_gross_per_head_18to64_gbp": "RO3 gross expenditure on the client-group lines for ages 18-64 per head 18-64",
    "gce_65plus_per_head_65plus_gbp": "ASC-FR gross current expenditure on long- and short-term care for ages 65+ per head 65+",
    "gce_18to64_per_head_18to64_gbp": "ASC-FR gross current expenditure on long- and short-term care for ages 18-64 per head 18-64",
}
INTERVAL = 0.95


def response_metric(tables, age: str, year: str) -> str | None:
    """The metric the model's response is for ``age`` in ``year`` (see :data:`AGES`), or None."""
    values = national_values(tables)
    for metric_id in AGES[age][0]:
        if values.loc[(values["metric_id"] == metric_id) & (values["year"] == year), "value"].notna().any():
            return metric_id
    return None


@lru_cache(maxsize=2)
def _read_config(path: str) -> dict:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def load_config(path: Path | str | None = None) -> dict:
    return _read_config(str(path or CONFIG_PATH))


def spec_names(age: str, config: dict | None = None) -> list[str]:
    config = config or load_config()
    return [name for name, spec in config["specs"].items() if age in spec["ages"]]


@dataclass
class ExpectedSpendModel:
    """One fitted specification: the fit summary and one row per council."""

    age: str
    spec: str
    year: str
    description: str
    summary: dict
    coefficients: pd.DataFrame
    councils: pd.DataFrame
    dropped: list[str] = field(default_factory=list)


def model_inputs(tables, age: str, year: str, spec: str, config: dict | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Response (spend per head, spend, population) and raw features for every council with both."""
    config = config or load_config()
    if age not in AGES:
        raise UserError(f"unknown age group '{age}' (choose from {', '.join(AGES)})")
    if spec not in config["specs"]:
        raise UserError(f"unknown model specification '{spec}' (choose from {', '.join(config['specs'])}; see benchmark/config/expected_spend.toml)")
    if age not in config["specs"][spec]["ages"]:
        raise UserError(f"specification '{spec}' is not defined for ages {age} (it is for {', '.join(config['specs'][spec]['ages'])})")
    try:
        financial_year_start(year)
    except ValueError as error:
        raise UserError(str(error)) from None
    metric_id = response_metric(tables, age, year)
    values = national_values(tables)
    if metric_id is None:
        years = sorted(values.loc[values["metric_id"].isin(AGES[age][0]) & values["value"].notna(), "year"].unique())
        raise UserError(f"no gross current expenditure for {year} (years with data: {', '.join(years)})")
    response = values[(values["metric_id"] == metric_id) & (values["year"] == year)].set_index("council")
    features, dropped = feature_table(tables, year, {"features": config["specs"][spec]["features"], "excluded": config["excluded"],
                                                     "reorganisation_fallback": config.get("reorganisation_fallback", False)})
    frame = features.join(response[["value", "numerator", "denominator"]].rename(
        columns={"value": "actual_per_head_gbp", "numerator": "actual_gbp", "denominator": "population"}), how="inner")
    frame = frame[frame["actual_per_head_gbp"] > 0]
    borrowed = {code: used for code, used in features.attrs.get("from_reorganised", {}).items() if code in frame.index}
    frame.attrs.update(response=metric_id, from_reorganised=borrowed, feature_years=features.attrs.get("years", {}))
    return frame, dropped


def design_matrix(features: pd.DataFrame, spec_features: list[dict]) -> pd.DataFrame:
    """Transformed indicators with a constant, columns named after the feature ids."""
    from statsmodels.tools.tools import add_constant

    columns = {}
    for feature in spec_features:
        x = features[feature["id"]].astype(float)
        columns[feature["id"] if feature["transform"] == "none" else f"log_{feature['id']}"] = np.log(x) if feature["transform"] == "log" else x
    return add_constant(pd.DataFrame(columns, index=features.index), has_constant="add")


def leave_one_out(X: np.ndarray, y: np.ndarray, alpha: float = 1 - INTERVAL) -> pd.DataFrame:
    """Exact leave-one-out predictions, smearing factors and prediction intervals (module docstring)."""
    from scipy import stats as scipy_stats

    n, p = X.shape
    xtx_inv = np.linalg.pinv(X.T @ X)
    hat = X @ xtx_inv @ X.T
    h = np.diag(hat)
    residual = y - hat @ y
    s2 = residual @ residual / (n - p)
    loo_residual = residual / (1 - h)
    prediction = y - loo_residual
    # column i: every council's residual under the fit without council i
    residuals_without = residual[:, None] + hat * loo_residual[None, :]
    np.fill_diagonal(residuals_without, np.nan)
    smearing = np.nanmean(np.exp(residuals_without), axis=0)
    s2_without = ((n - p) * s2 - residual ** 2 / (1 - h)) / (n - p - 1)
    se = np.sqrt(s2_without / (1 - h))
    t = scipy_stats.t.ppf(1 - alpha / 2, n - p - 1)
    return pd.DataFrame({
        "leverage": h,
        "residual_log": residual,
        "loo_prediction_log": prediction,
        "loo_residual_log": loo_residual,
        "smearing": smearing,
        "prediction_se_log": se,
        "pi_low_log": prediction - t * se,
        "pi_high_log": prediction + t * se,
    })


def fit_model(frame: pd.DataFrame, spec_features: list[dict]) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Fit log(actual_per_head_gbp) on the spec's features for the councils (rows) of ``frame``.

    ``frame`` holds ``actual_per_head_gbp`` and ``population`` and one column per feature id.
    Returns the fit summary, the coefficient table and one row per council (module docstring).
    """
    # statsmodels and scipy are imported here, not with the module: a report kernel reads fitted
    # models from the run's shared results and should not pay for importing them (about 1 s).
    from statsmodels.regression.linear_model import OLS
    from statsmodels.stats.diagnostic import het_breuschpagan
    from statsmodels.stats.stattools import jarque_bera

    X = design_matrix(frame, spec_features)
    y = np.log(frame["actual_per_head_gbp"].to_numpy(dtype=float))
    n, p = X.shape
    if n <= p + 2:
        raise UserError(f"too few councils with data ({n}) to fit {p - 1} indicators")
    fit = OLS(y, X).fit(cov_type="HC3")
    influence = OLS(y, X).fit().get_influence()
    loo = leave_one_out(X.to_numpy(), y)
    loo.index = frame.index

    councils = pd.DataFrame({"actual_per_head_gbp": frame["actual_per_head_gbp"], "population": frame["population"]})
    councils["actual_gbp"] = councils["actual_per_head_gbp"] * councils["population"]
    councils["expected_per_head_gbp"] = np.exp(loo["loo_prediction_log"]) * loo["smearing"]
    councils["pi_low_per_head_gbp"] = np.exp(loo["pi_low_log"])
    councils["pi_high_per_head_gbp"] = np.exp(loo["pi_high_log"])
    for column in ("expected", "pi_low", "pi_high"):
        councils[f"{column}_gbp"] = councils[f"{column}_per_head_gbp"] * councils["population"]
    councils["needs_index"] = councils["actual_per_head_gbp"] / councils["expected_per_head_gbp"]
    councils["index_low"] = councils["pi_low_per_head_gbp"] / councils["expected_per_head_gbp"]
    councils["index_high"] = councils["pi_high_per_head_gbp"] / councils["expected_per_head_gbp"]
    councils["outside_interval"] = np.where(
        councils["actual_per_head_gbp"] > councils["pi_high_per_head_gbp"], "above",
        np.where(councils["actual_per_head_gbp"] < councils["pi_low_per_head_gbp"], "below", "within"))
    councils["leverage"] = loo["leverage"]
    councils["cooks_distance"] = influence.cooks_distance[0]
    councils["studentized_residual"] = influence.resid_studentized_external
    councils["smearing"] = loo["smearing"]
    councils.index.name = "council"

    ci = fit.conf_int(alpha=1 - INTERVAL)
    coefficients = pd.DataFrame({
        "coefficient": fit.params, "std_error_hc3": fit.bse, "ci_low": ci[0], "ci_high": ci[1], "p_value": fit.pvalues,
    })
    coefficients.index.name = "term"
    _, jb_p, skew, kurtosis = jarque_bera(fit.resid)
    bp = het_breuschpagan(fit.resid, X)
    summary = {
        "n": n, "parameters": p,
        "r_squared": float(fit.rsquared), "adj_r_squared": float(fit.rsquared_adj),
        "aic": float(fit.aic), "bic": float(fit.bic),
        "loo_rmse_log": float(np.sqrt(np.mean(loo["loo_residual_log"] ** 2))),
        "loo_mean_abs_pct_error": float(np.mean(np.abs(councils["actual_per_head_gbp"] / councils["expected_per_head_gbp"] - 1)) * 100),
        "residual_skew": float(skew), "residual_kurtosis": float(kurtosis),
        "jarque_bera_p": float(jb_p), "breusch_pagan_p": float(bp[1]),
        "max_cooks_distance": float(councils["cooks_distance"].max()),
        "high_leverage_councils": int((councils["leverage"] > 2 * p / n).sum()),
        "councils_above_interval": int((councils["outside_interval"] == "above").sum()),
        "councils_below_interval": int((councils["outside_interval"] == "below").sum()),
    }
    return summary, coefficients, councils


def fit_expected_spend(tables, age: str = "65plus", spec: str | None = None, year: str | None = None,
                       config: dict | None = None) -> ExpectedSpendModel:
    """Fit one specification on the shipped data; every council gets its leave-one-out expected spend.

    Fits with the shipped configuration are computed once per loaded tables and reused.
    """
    if age not in AGES:
        raise UserError(f"unknown age group '{age}' (choose from {', '.join(AGES)})")
    if config is None:
        config = load_config()
        spec = spec or config["default_spec"][age]
        year = year or config.get("default_year") or default_model_year(tables, age)
        return tables.memo(("expected_spend", age, spec, year), lambda: _fit(tables, age, spec, year, config))
    return _fit(tables, age, spec or config["default_spec"][age], year or config.get("default_year") or default_model_year(tables, age), config)


def default_model_year(tables, age: str) -> str:
    """The newest financial year with the model's response (gross current expenditure per head of
    the age group) in the data: a newer return, once added, becomes the year the model is fitted on.
    Memoised on the tables: every council's budget asks."""
    def newest() -> list[str]:
        values = national_values(tables)
        return sorted(values.loc[values["metric_id"].isin(AGES[age][0]) & values["value"].notna(), "year"].unique())

    years = tables.memo(("model_years", age), newest)
    if not years:
        raise UserError(f"no gross current expenditure per head for ages {age} in the data: the expected-spend model cannot be fitted")
    return years[-1]


def _fit(tables, age: str, spec: str, year: str, config: dict) -> ExpectedSpendModel:
    frame, dropped = model_inputs(tables, age, year, spec, config)
    summary, coefficients, councils = fit_model(frame, config["specs"][spec]["features"])
    councils.insert(0, "name", councils.index.map(tables.registry.table["name"].astype(str)))
    summary = {"age": age, "spec": spec, "year": year, "response": frame.attrs["response"],
               "response_definition": RESPONSE_WORDS.get(frame.attrs["response"], frame.attrs["response"]), **summary,
               "excluded": list(config["excluded"]), "dropped_for_missing_features": dropped,
               "feature_years": {k: list(map(str, v)) for k, v in frame.attrs["feature_years"].items()},
               "features_from_reorganised_councils": frame.attrs["from_reorganised"]}
    return ExpectedSpendModel(age, spec, year, config["specs"][spec]["description"], summary, coefficients, councils, dropped)


def compare_specs(tables, age: str = "65plus", year: str | None = None) -> pd.DataFrame:
    """Every specification for an age group side by side: n, R², adjusted R², AIC, leave-one-out error."""
    rows = []
    for spec in spec_names(age):
        model = fit_expected_spend(tables, age, spec, year)
        s = model.summary
        rows.append({"spec": spec, "n": s["n"], "r_squared": s["r_squared"], "adj_r_squared": s["adj_r_squared"],
                     "aic": s["aic"], "loo_rmse_log": s["loo_rmse_log"], "loo_mean_abs_pct_error": s["loo_mean_abs_pct_error"]})
    return pd.DataFrame(rows).set_index("spec")
