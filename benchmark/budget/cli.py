"""``python -m benchmark model``: print the expected-spend model's fit."""
from __future__ import annotations

import argparse
import json

import pandas as pd


def add_arguments_model(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--age", choices=["65plus", "18to64"], default="65plus", help="age group (default 65plus)")
    parser.add_argument("--spec", metavar="NAME", help="specification in benchmark/config/expected_spend.toml (default: the age group's default)")
    parser.add_argument("--year", metavar="YYYY-YY", help="financial year of the spend (default 2017-18, the latest with data)")
    parser.add_argument("--format", choices=["table", "json"], default="table", help="output format (default table)")


def cmd_model(args: argparse.Namespace, tables) -> int:
    from benchmark.budget.model import compare_specs, fit_expected_spend

    model = fit_expected_spend(tables, args.age, args.spec, args.year)
    comparison = compare_specs(tables, args.age, model.year)
    if args.format == "json":
        print(json.dumps({
            "summary": model.summary,
            "description": model.description,
            "coefficients": model.coefficients.reset_index().to_dict(orient="records"),
            "specifications": comparison.reset_index().to_dict(orient="records"),
            "councils": model.councils.reset_index().to_dict(orient="records"),
        }, indent=1, default=float))
        return 0
    s = model.summary
    print(f"Expected-spend model, ages {s['age']}, {s['year']}: log(gross current expenditure per head) on need and cost indicators")
    print(f"specification '{s['spec']}': {model.description}")
    print(f"n = {s['n']} councils; R² = {s['r_squared']:.3f}, adjusted R² = {s['adj_r_squared']:.3f}; AIC = {s['aic']:.1f}; "
          f"leave-one-out RMSE (log) = {s['loo_rmse_log']:.3f}, mean absolute error {s['loo_mean_abs_pct_error']:.1f}%")
    print(f"excluded: {', '.join(s['excluded'])}; dropped for a missing indicator: {', '.join(s['dropped_for_missing_features']) or 'none'}")
    print("\nCoefficients (HC3 robust standard errors, 95% confidence intervals):")
    print(model.coefficients.to_string(float_format=lambda v: f"{v:.4f}"))
    print(f"\nDiagnostics: residual skew {s['residual_skew']:.2f}, kurtosis {s['residual_kurtosis']:.2f}, Jarque-Bera p = {s['jarque_bera_p']:.3f}, "
          f"Breusch-Pagan p = {s['breusch_pagan_p']:.3f}; max Cook's distance {s['max_cooks_distance']:.3f}; "
          f"{s['high_leverage_councils']} councils with leverage > 2p/n")
    print(f"Councils outside their 95% prediction interval: {s['councils_above_interval']} above, {s['councils_below_interval']} below")
    outside = model.councils[model.councils["outside_interval"] != "within"]
    if len(outside):
        print(outside[["name", "actual_per_head_gbp", "expected_per_head_gbp", "needs_index", "outside_interval"]]
              .to_string(float_format=lambda v: f"{v:,.2f}"))
    print("\nSpecifications compared (same councils and year):")
    print(comparison.to_string(float_format=lambda v: f"{v:.3f}"))
    return 0
