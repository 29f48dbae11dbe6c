"""The base budget: a build-up hand-worked on three councils, parameter errors, a real council.

Fixture (base year 2016-17, budget year 2018-19 = 2 years, fee inflation 5% -> uplift 1.05² = 1.1025):
council A is budgeted; B and C are its comparators.  Only two lines carry money, the rest are £0.

residential_65plus   spend      weeks   pop 65+   unit cost   rate per 1,000
  A                  500,000    1,000   10,000    £500        100
  B                  720,000    1,200   10,000    £600        120
  C                  630,000      900    9,000    £700        100
  comparator medians: unit cost £650, rate 110 per 1,000
home_care_18to64     spend      pop 18-64 (volume)   £ per head
  A                  200,000    50,000               £4
  B                  300,000    50,000               £6
  C                  250,000    50,000               £5      median £5.50
growth to 2018-19 for A: 65+ x1.10, 18-64 x1.02; needs model expected/actual: 65+ 0.8, 18-64 1.25
income share: A 0.2, B 0.1, C 0.3 (median 0.2); A's BCF income £50,000
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.budget.base_budget import SERVICE_LINES, BudgetParams, Scenario, build_budget, council_budget, params_from_mapping
from benchmark.errors import UserError

MONEY = {
    ("A", "residential_65plus"): (500_000, 1_000, 10_000), ("B", "residential_65plus"): (720_000, 1_200, 10_000),
    ("C", "residential_65plus"): (630_000, 900, 9_000),
    ("A", "home_care_18to64"): (200_000, 50_000, 50_000), ("B", "home_care_18to64"): (300_000, 50_000, 50_000),
    ("C", "home_care_18to64"): (250_000, 50_000, 50_000),
}


def fixture_inputs() -> pd.DataFrame:
    rows = []
    for council in "ABC":
        for line in SERVICE_LINES.index:
            spend, volume, population = MONEY.get((council, line), (0.0, 10.0, 10.0))
            rows.append({"council": council, "service_line": line, "spend_gbp": float(spend), "volume": float(volume), "population": float(population)})
    frame = pd.DataFrame(rows)
    frame["unit_cost_gbp"] = frame["spend_gbp"] / frame["volume"]
    frame["rate_per_1000"] = frame["volume"] / frame["population"] * 1000
    return frame


def fixture_budget(**changes):
    params = BudgetParams(budget_year="2018-19", fee_inflation_pct=5.0, **changes)
    growth = {"65+": pd.Series({"A": 1.10}), "18-64": pd.Series({"A": 1.02}), "18+": pd.Series({"A": 1.0})}
    return build_budget(fixture_inputs(), "A", ["B", "C"], params, base_year="2016-17", growth=growth,
                        income_share=pd.Series({"A": 0.2, "B": 0.1, "C": 0.3}), needs_ratio={"65+": 0.8, "18-64": 1.25},
                        bcf_income_gbp=50_000.0)


def line(budget, scenario, service_line):
    rows = budget.lines
    return rows[(rows["scenario"] == scenario) & (rows["service_line"] == service_line)].iloc[0]


def test_current_pattern_hand_worked():
    b = fixture_budget()
    res = line(b, "current_pattern", "residential_65plus")
    assert res["volume"] == pytest.approx(1_100)            # 1,000 weeks x 1.10
    assert res["unit_cost_gbp"] == pytest.approx(551.25)     # £500 x 1.1025
    assert res["amount_gbp"] == pytest.approx(606_375)
    home = line(b, "current_pattern", "home_care_18to64")
    assert home["amount_gbp"] == pytest.approx(224_910)      # 51,000 people x £4.41
    total = b.totals.set_index("scenario").loc["current_pattern"]
    assert total["gross_gbp"] == pytest.approx(831_285)      # 606,375 + 224,910
    # less 20% other income (166,257) and £50,000 BCF income
    assert total["total_gbp"] == pytest.approx(615_028)
    assert total["total_gbp"] == pytest.approx(b.lines[b.lines["scenario"] == "current_pattern"]["amount_gbp"].sum())


def test_comparator_median_with_volume_and_price_effects():
    b = fixture_budget()
    res = line(b, "comparator_median", "residential_65plus")
    assert res["volume"] == pytest.approx(1_210)             # 110 per 1,000 x 10,000 x 1.10
    assert res["unit_cost_gbp"] == pytest.approx(716.625)    # £650 x 1.1025
    assert res["amount_gbp"] == pytest.approx(867_116.25)
    assert res["difference_gbp"] == pytest.approx(260_741.25)
    assert res["volume_effect_gbp"] == pytest.approx(60_637.5)    # (1,210 - 1,100) x £551.25
    assert res["price_effect_gbp"] == pytest.approx(200_103.75)   # (£716.625 - £551.25) x 1,210
    home = line(b, "comparator_median", "home_care_18to64")
    assert home["amount_gbp"] == pytest.approx(309_251.25)   # 51,000 x £5.50 x 1.1025
    total = b.totals.set_index("scenario").loc["comparator_median"]
    # gross 1,176,367.50 less 20% (median share) 235,273.50 less 50,000
    assert total["total_gbp"] == pytest.approx(891_094)


def test_needs_model_scales_volume():
    b = fixture_budget()
    assert line(b, "needs_model", "residential_65plus")["amount_gbp"] == pytest.approx(485_100)   # 1,000 x 0.8 x 1.1 x £551.25
    assert line(b, "needs_model", "home_care_18to64")["amount_gbp"] == pytest.approx(281_137.5)   # 50,000 x 1.25 x 1.02 x £4.41
    assert line(b, "needs_model", "home_care_18to64")["price_effect_gbp"] == pytest.approx(0)


def test_missing_bcf_income_stays_missing_and_is_explained():
    params = BudgetParams(budget_year="2018-19", fee_inflation_pct=5.0)
    growth = {"65+": pd.Series({"A": 1.10}), "18-64": pd.Series({"A": 1.02}), "18+": pd.Series({"A": 1.0})}
    b = build_budget(fixture_inputs(), "A", ["B", "C"], params, base_year="2016-17", growth=growth, income_share=pd.Series({"A": 0.2, "B": 0.1, "C": 0.3}),
                     needs_ratio={"65+": 0.8, "18-64": 1.25})
    assert np.isnan(line(b, "current_pattern", "less_bcf_income")["amount_gbp"])
    assert b.totals.set_index("scenario").loc["current_pattern", "lines_missing"] == 1
    assert any("Better Care Fund income is not available" in note for note in b.notes)


@pytest.mark.parametrize(("mapping", "message"), [
    ({"scenarios": [{"name": "x", "volume": "guess"}]}, "unknown volume choice 'guess'"),
    ({"scenarios": [{"name": "x", "unit_cost": "cheapest"}]}, "unknown unit_cost choice 'cheapest'"),
    ({"demographic_growth_pct": -40}, "demographic_growth_pct = -40: expected a percentage a year between -10 and 25"),
    ({"budget_year": "2019"}, "budget_year: '2019' is not a financial year"),
    ({"fee_inflation": 3}, "unknown budget parameter(s) fee_inflation"),
    ({"scenarios": [{"name": "x", "colour": "red"}]}, "unknown key(s) colour"),
])
def test_bad_parameters_are_one_line_errors(mapping, message):
    with pytest.raises(UserError) as excinfo:
        params_from_mapping(mapping)
    assert message in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_a_budget_year_before_the_data_base_year_is_one_line(tables):
    # the shipped data's base year is 2016-17 (the one year with ASC-FR spend and client weeks)
    with pytest.raises(UserError) as excinfo:
        council_budget(tables, "Southampton", params_from_mapping({"budget_year": "2014-15"}))
    assert "budget_year 2014-15 is before the base year 2016-17" in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_custom_scenario_from_mapping():
    params = params_from_mapping({"budget_year": "2020-21", "scenarios": [{"name": "fees", "unit_cost": "fee_schedule"}]})
    assert params.scenarios == (Scenario("fees", "", unit_cost="fee_schedule"),)


def test_southampton_budget(tables):
    b = council_budget(tables, "Southampton")
    totals = b.totals.set_index("scenario")
    assert list(totals.index) == ["current_pattern", "comparator_median", "needs_model"]
    current = b.lines[b.lines["scenario"] == "current_pattern"].set_index("service_line")
    # base-year spend is ASC-FR 2016-17: Southampton 65+ residential £8,754.5k (docs/ascfr-keys.md)
    assert current.loc["residential_65plus", "base_year_spend_gbp"] == pytest.approx(8_754_500)
    # lines add up to the total, missing lines (BCF income: suppressed for Southampton) excluded and counted
    assert totals.loc["current_pattern", "total_gbp"] == pytest.approx(current["amount_gbp"].sum())
    assert totals.loc["current_pattern", "lines_missing"] == 1
    assert b.expected["pi_low_gbp"] < b.expected["expected_gbp"] < b.expected["pi_high_gbp"]


def test_budget_command_json_contract():
    import json

    from test_store_and_cli import run_cli

    result = run_cli("budget", "E06000045", "--scenario", "comparator_median", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    amounts = [line["amount_gbp"] for line in document["lines"] if line["amount_gbp"] is not None]
    assert document["total_gbp"] == pytest.approx(sum(amounts))
    assert {"service_line", "amount_gbp", "volume", "unit_cost_gbp", "source"} <= set(document["lines"][0])
    low, high = document["expected_spend_interval_gbp"]
    assert low < document["expected_spend_gbp"] < high
    assert document["actual_spend_gbp"] > 0


@pytest.mark.parametrize(("args", "message"), [
    (("budget", "E06000045", "--scenario", "cheapest"), "unknown scenario 'cheapest'"),
    (("budget", "E06000045", "--year", "2019"), "not a financial year"),
    (("budget", "Atlantis"), "unknown council 'Atlantis'"),
    (("model", "--spec", "nonsense"), "unknown model specification 'nonsense'"),
])
def test_budget_and_model_user_errors(args, message):
    from test_store_and_cli import run_cli

    result = run_cli(*args)
    assert result.returncode == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_staffing_at_the_comparator_ratio_replaces_the_asc_fr_line():
    # 2.6 staff per 1,000 65+ x 10,000 people x 65+ growth 1.10 = 28.6 FTE; £45,000 x 1.02² pay = £46,818
    params = BudgetParams(budget_year="2018-19", fee_inflation_pct=5.0, pay_inflation_pct=2.0,
                          scenarios=(Scenario("staffing", "", staffing_ratio="comparator_average"),))
    growth = {"65+": pd.Series({"A": 1.10}), "18-64": pd.Series({"A": 1.02}), "18+": pd.Series({"A": 1.0})}
    b = build_budget(fixture_inputs(), "A", ["B", "C"], params, base_year="2016-17", growth=growth, income_share=pd.Series({"A": 0.2, "B": 0.1, "C": 0.3}),
                     needs_ratio={"65+": 0.8, "18-64": 1.25},
                     staffing={"own_ratio": 2.0, "comparator_ratio": 2.6, "population_65plus": 10_000}, bcf_income_gbp=0.0)
    staff = line(b, "staffing", "assessment_and_care_management")
    assert staff["volume"] == pytest.approx(28.6) and staff["volume_unit"] == "FTE"
    assert staff["unit_cost_gbp"] == pytest.approx(46_818)
    assert staff["amount_gbp"] == pytest.approx(1_338_994.8)


def test_budget_command_uses_the_councils_parameter_file():
    import json

    from test_store_and_cli import run_cli

    result = run_cli("budget", "E06000045", "--params", "parameters/E06000045.yml", "--format", "json")
    assert result.returncode == 0, result.stderr
    scenarios = {s["scenario"]: s for s in json.loads(result.stdout)["scenarios"]}
    assert set(scenarios) == {"current_pattern", "comparator_median", "needs_model", "fee_schedule"}  # as the file lists them
    residential = next(line for line in scenarios["current_pattern"]["lines"] if line["service_line"] == "residential_65plus")
    # Southampton's own 2016-17 weekly cost, £542.69 (docs/ascfr-keys.md), at the file's 3.5% a year for 10 years:
    # the file leaves budget_year to the data, two years after the newest outturn (RO3 2024-25), so 2026-27
    assert residential["unit_cost_gbp"] == pytest.approx(542.69 * 1.035 ** 10, abs=0.01)
