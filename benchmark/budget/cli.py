"""``python -m benchmark model``: print the expected-spend model's fit."""
from __future__ import annotations

import argparse
import json


def add_arguments_model(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--age", choices=["65plus", "18to64"], default="65plus", help="age group (default 65plus)")
    parser.add_argument("--spec", metavar="NAME", help="specification in benchmark/config/expected_spend.toml (default: the age group's default)")
    parser.add_argument("--year", metavar="YYYY-YY", help="financial year of the spend (default: the latest with data)")
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
    print(f"Expected-spend model, ages {s['age']}, {s['year']}: log(gross expenditure per head) on need and cost indicators")
    print(f"response: {s['response_definition']} ({s['response']})")
    print(f"specification '{s['spec']}': {model.description}")
    print(f"n = {s['n']} councils; R² = {s['r_squared']:.3f}, adjusted R² = {s['adj_r_squared']:.3f}; AIC = {s['aic']:.1f}; "
          f"leave-one-out RMSE (log) = {s['loo_rmse_log']:.3f}, mean absolute error {s['loo_mean_abs_pct_error']:.1f}%")
    print(f"excluded: {', '.join(s['excluded'])}; dropped for a missing indicator: {', '.join(s['dropped_for_missing_features']) or 'none'}")
    print("indicator years: " + "; ".join(f"{feature} {', '.join(years)}" for feature, years in s["feature_years"].items()))
    for council, used in s["features_from_reorganised_councils"].items():
        print(f"{council} has no {', '.join(used)} of its own: the mean of {', '.join(sorted({c for codes in used.values() for c in codes}))} is used")
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


def add_arguments_budget(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("council", metavar="COUNCIL", help="ONS code, CASSR code or name")
    parser.add_argument("--year", metavar="YYYY-YY", help="budget year (default: two years after the newest revenue outturn in the data)")
    parser.add_argument("--scenario", metavar="NAME", help="show one scenario (default: all side by side)")
    parser.add_argument("--group", choices=["nn", "statistical", "region", "type", "england"], default=None,
                        help="comparator group (default: the parameter file's comparator_method, else the council's default)")
    parser.add_argument("--params", metavar="FILE.yml", help="the council's parameter file (parameters/<ONS code>.yml): budget year, inflation, scenarios")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format (default table)")


def _budget_settings(args: argparse.Namespace) -> tuple:
    """(BudgetParams, comparator method, custom comparators) from the council's parameter file
    (``--params``, read as strictly as the report runner reads it) and the command's options."""
    from benchmark.report.parameters import DEFAULTS, budget_params, read_parameter_file

    values = read_parameter_file(args.params) if args.params else dict(DEFAULTS)
    if args.year:
        values["budget_year"] = args.year
    return budget_params(values), args.group or values["comparator_method"], values["custom_comparators"]


def _group(tables, method: str | None, council: str) -> str:
    """The comparator method: the option's, the parameter file's, or (null) the council's default."""
    from benchmark.report.parameters import resolved_comparator_method

    return method or resolved_comparator_method(tables, {"council": council, "comparator_method": None, "year": None})


def budget_json(budget, scenario: str) -> dict:
    """One scenario as the JSON contract: lines, total_gbp (= sum of lines), actual and expected spend,
    the reconciliation with the base year's outturn, the roll-forward and the bridge."""
    lines = budget.lines[budget.lines["scenario"] == scenario]
    total = budget.totals.set_index("scenario").loc[scenario]
    keep = ["service_line", "label", "amount_gbp", "employees_gbp", "running_expenses_gbp", "gross_gbp", "sales_fees_charges_gbp",
            "other_income_gbp", "income_gbp", "volume", "volume_unit", "volume_basis", "unit_cost_gbp", "unit_cost_basis",
            "income_basis", "difference_gbp", "volume_effect_gbp", "price_effect_gbp", "base_year_net_gbp", "source", "illustrative"]
    return {
        "council": budget.council, "budget_year": budget.budget_year, "base_year": budget.base_year, "scenario": scenario,
        "lines": _records(lines[keep]),
        "total_gbp": float(total["total_gbp"]), "gross_gbp": float(total["gross_gbp"]), "income_gbp": float(total["income_gbp"]),
        "care_gross_gbp": float(total["care_gross_gbp"]), "lines_missing": int(total["lines_missing"]),
        "illustrative": bool(total["illustrative"]),
        "actual_spend_gbp": budget.actual.get("net_current_expenditure_gbp"), "actual": budget.actual,
        "expected_spend_gbp": budget.expected.get("expected_gbp"),
        "expected_spend_interval_gbp": [budget.expected.get("pi_low_gbp"), budget.expected.get("pi_high_gbp")],
        "expected": budget.expected, "assumptions": budget.assumptions, "comparators": budget.comparators, "notes": budget.notes,
        "reconciliation": _records(budget.reconciliation), "bridge": _records(budget.bridge),
        "roll_forward": _records(roll_forward_totals(budget).reset_index()),
    }


def _records(frame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def roll_forward_totals(budget):
    """The current pattern in each year from the base year to the budget year: employees, running
    expenses, gross, income, net (£)."""
    columns = ["employees_gbp", "running_expenses_gbp", "gross_gbp", "income_gbp", "net_gbp"]
    return budget.roll_forward.groupby("year", sort=False)[columns].sum(min_count=1)


def cmd_budget(args: argparse.Namespace, tables) -> int:
    import sys

    from benchmark.budget.base_budget import council_budget
    from benchmark.errors import UserError

    params, group, custom = _budget_settings(args)
    group = _group(tables, group, args.council)
    comparators = [tables.registry.find(c).ons_code for c in custom] if group == "custom" else None
    budget = council_budget(tables, args.council, params, group=group, comparators=comparators)
    names = list(budget.totals["scenario"])
    if args.scenario and args.scenario not in names:
        raise UserError(f"unknown scenario '{args.scenario}' (this budget has: {', '.join(names)})")
    chosen = [args.scenario] if args.scenario else names
    if args.format == "json":
        document = budget_json(budget, chosen[0]) if args.scenario else {"scenarios": [budget_json(budget, s) for s in chosen]}
        print(json.dumps(document, indent=1, default=float))
        return 0
    lines = budget.lines[budget.lines["scenario"].isin(chosen)]
    if args.format == "csv":
        lines.to_csv(sys.stdout, index=False)
        return 0
    name = tables.registry.council(budget.council).name
    money = lambda v: f"{v:,.0f}" if v == v else "n/a"  # noqa: E731 (whole pounds: the budget reconciles to the pound)
    print(f"# Base budget {budget.budget_year} for {name} ({budget.council}), built from the {budget.base_year} revenue outturn; "
          f"comparators: {len(budget.comparators)} councils ({group})")
    a = budget.assumptions
    print(f"assumptions: pay {a['pay_inflation_pct']:g}% a year, prices {a['fee_inflation_pct']:g}% a year, income "
          + ("with its line" if a["income_inflation_pct"] is None else f"{a['income_inflation_pct']:g}% a year")
          + f", {a['years_rolled_forward']} year(s) rolled forward")
    order = list(dict.fromkeys(lines["service_line"]))
    labels = lines.drop_duplicates("service_line").set_index("service_line")["label"]
    wide = lines.pivot(index="service_line", columns="scenario", values="amount_gbp").reindex(order)[chosen]
    wide.index = wide.index.map(labels)
    wide.index.name, wide.columns.name = "net £", None
    print(wide.to_string(float_format=money))
    totals = budget.totals.set_index("scenario").loc[chosen]
    print("\n£             " + "  ".join(f"{s:>28s}" for s in chosen))
    for column, label in (("gross_gbp", "gross"), ("income_gbp", "income"), ("total_gbp", "net total")):
        print(f"{label:13s} " + "  ".join(f"{money(v):>28s}" for v in totals[column]))
    print(f"\nReconciliation with the {budget.base_year} outturn (current pattern computed for the base year):")
    rec = budget.reconciliation
    print(rec[["line", "ro3_net_gbp", "current_pattern_base_year_gbp", "difference_gbp"]].to_string(index=False, float_format=money))
    if budget.budget_year != budget.base_year:
        print("\nRoll-forward of the current pattern, year by year (£):")
        print(roll_forward_totals(budget).to_string(float_format=money))
        print("\nBridge from outturn to budget (£):")
        print(budget.bridge[["step", "amount_gbp"]].to_string(index=False, float_format=money))
    e = budget.expected
    if e.get("expected_gbp") == e.get("expected_gbp"):
        print(f"\nexpected (needs model): £{money(e['expected_gbp'])} (95% interval £{money(e['pi_low_gbp'])} to £{money(e['pi_high_gbp'])}): "
              f"{e['basis']}")
    if totals["illustrative"].any():
        print("ILLUSTRATIVE: some lines rest on generated example data (see the 'illustrative' column of --format csv)")
    for note in budget.notes:
        print(f"note: {note}")
    return 0
