"""Fitting both expected-spend models with leave-one-out predictions for every council.

Baseline, measured in the same run: the obvious alternative, refitting the model n times (once
without each council) with statsmodels.  The toolkit uses the hat matrix instead (exact, one fit).
Run: ``python benchmarks/model_speed.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from statsmodels.regression.linear_model import OLS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark.budget.model import default_model_year, design_matrix, fit_expected_spend, fit_model, load_config, model_inputs
from benchmark.data.store import load_tables

from timing import timed  # benchmarks/timing.py, beside this script


def main() -> None:
    tables = load_tables()
    config = load_config()
    fit_expected_spend(tables, "65plus")  # warm up imports and caches

    prepared = {}
    for age in ("65plus", "18to64"):
        spec = config["default_spec"][age]
        # the year the toolkit fits by default: the newest with the response in the data
        frame, _ = model_inputs(tables, age, default_model_year(tables, age), spec, config)
        prepared[age] = (frame, config["specs"][spec]["features"])
    frame, features = prepared["65plus"]
    X = design_matrix(frame, features).to_numpy()
    y = np.log(frame["actual_per_head_gbp"].to_numpy())

    def n_refits():
        for i in range(len(y)):
            keep = np.arange(len(y)) != i
            OLS(y[keep], X[keep]).fit(cov_type="HC3").predict(X[i:i + 1])

    def fits_only():
        for frame, features in prepared.values():
            fit_model(frame, features)

    def end_to_end():
        tables.derived.clear()  # nothing reused from an earlier run
        fit_expected_spend(tables, "65plus")
        fit_expected_spend(tables, "18to64")

    baseline = timed(n_refits, 3)
    fits = timed(fits_only)
    full = timed(end_to_end)
    print(f"years     65+ model {default_model_year(tables, '65plus')}, 18-64 model {default_model_year(tables, '18to64')}")
    print(f"baseline  {len(y)} statsmodels refits of the 65+ model (one per council)   {baseline:6.3f} s")
    print(f"toolkit   both models, fit + exact LOO for every council               {fits:6.3f} s   = {fits / baseline:.2f} x baseline")
    print(f"toolkit   the same from the tables (metric panel + features + fits)    {full:6.3f} s   = {full / baseline:.2f} x baseline")


if __name__ == "__main__":
    main()
