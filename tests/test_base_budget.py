"""The base budget: a build-up hand-worked on a three-line council, every scenario choice, the
reconciliation with RO3 for every council in the shipped data, councils without a base year, and
the budget years refused.

Fixture (base year 2024-25; every amount £): council A and its comparators B, C, D.

line                          employees  running   gross      sales     other    income   net      population
A physical_support_65plus     100,000    900,000   1,000,000  150,000   150,000  300,000  700,000  10,000 (65+)
A learning_disability_18_64         0    500,000     500,000        0    50,000   50,000  450,000  50,000 (18-64)
A care_assessment_safeguarding 400,000   100,000     500,000        0    50,000   50,000  450,000  60,000 (18+)

Comparators, physical support 65+ (population 10,000 each): gross per head B £130, C £120, D £110
(median £120, A's £100); sales share of gross B 0.10, C 0.30, D 0.20 (median 0.20, A's 0.15);
other income share B 0.20, C 0.05, D 0.10 (median 0.10, A's 0.15).  Their other lines equal A's.

Roll-forward by hand, two years (2026-27), population +1% a year (x1.01, x1.0201), pay 3% a year
(x1.03, x1.0609), prices 4% a year (x1.04, x1.0816), income with its line's gross:
  physical support 65+, 2026-27: employees 100,000 x 1.0201 x 1.0609 = 108,222.409; running
  900,000 x 1.0201 x 1.0816 = 993,006.144; gross 1,101,228.553; income 300,000 x 1.101228553 =
  330,368.5659; net 770,859.9871.
  learning disability 18-64: running 500,000 x 1.10334016 = 551,670.08; income 55,167.008; net 496,503.072.
  care assessment: employees 432,889.636; running 110,334.016; gross 543,223.652; income
  54,322.3652; net 488,901.2868.
  Total 2026-27: 1,756,264.346; 2025-26: 734,573 + 472,680 + 469,044 = 1,676,297.
Bridge: start 1,600,000; demography 2,000,000 x 0.0201 = 40,200; pay 500,000 x 1.0201 x 0.0609 =
31,062.045; prices 1,500,000 x 1.0201 x 0.0816 = 124,860.24; income -(439,857.9391 - 400,000) =
-39,857.9391; end 1,756,264.346.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.budget.base_budget import BudgetParams, LocalInputs, Scenario, build_budget, council_budget, line_inputs, params_from_mapping
from benchmark.errors import UserError

LINES = {  # line: (age band, employees, running, sales, other, population)
    "physical_support_65plus": ("65+", 100_000, 900_000, 150_000, 150_000, 10_000),
    "learning_disability_18_64": ("18-64", 0, 500_000, 0, 50_000, 50_000),
    "care_assessment_safeguarding": ("18+", 400_000, 100_000, 0, 50_000, 60_000),
}
PHYSICAL_65_COMPARATORS = {  # council: (gross, sales, other, employees)
    "B": (1_300_000, 130_000, 260_000, 130_000), "C": (1_200_000, 360_000, 60_000, 120_000), "D": (1_100_000, 220_000, 110_000, 110_000),
}


def fixture_inputs() -> pd.DataFrame:
    rows = []
    for council in "ABCD":
        for line, (band, employees, running, sales, other, population) in LINES.items():
            if line == "physical_support_65plus" and council in PHYSICAL_65_COMPARATORS:
                gross, sales, other, employees = PHYSICAL_65_COMPARATORS[council]
                running = gross - employees
            gross = employees + running
            income = sales + other
            rows.append({"council": council, "service_line": line, "label": line.replace("_", " "), "age_band": band,
                         "employees_gbp": float(employees), "running_expenses_gbp": float(running), "gross_gbp": float(gross),
                         "sales_fees_charges_gbp": float(sales), "other_income_gbp": float(other), "income_gbp": float(income),
                         "net_gbp": float(gross - income), "published_running_expenses_gbp": float(running),
                         "published_other_income_gbp": float(other), "population": float(population), "source": "ro3_test"})
    frame = pd.DataFrame(rows)
    frame["ro3_total_net_gbp"] = frame["council"].map(frame.groupby("council")["net_gbp"].sum())
    return frame


def growth_paths(years: list[str], yearly: float = 1.01) -> dict[str, pd.DataFrame]:
    path = pd.DataFrame({year: [yearly ** i] * 4 for i, year in enumerate(years)}, index=list("ABCD"))
    return {band: path for band in ("65+", "18-64", "18+")}


def fixture_budget(budget_year: str = "2026-27", scenarios=None, local: LocalInputs | None = None, needs_ratio=None, **changes):
    years = {"2024-25": ["2024-25"], "2025-26": ["2024-25", "2025-26"], "2026-27": ["2024-25", "2025-26", "2026-27"]}[budget_year]
    params = BudgetParams(budget_year=budget_year, fee_inflation_pct=4.0, pay_inflation_pct=3.0,
                          scenarios=scenarios or (Scenario("current_pattern", ""),), **changes)
    return build_budget(fixture_inputs(), "A", ["B", "C", "D"], params, growth=growth_paths(years), base_year="2024-25",
                        needs_ratio=needs_ratio or {"65+": 0.8, "18-64": 1.25}, local=local, population_65plus=10_000.0,
                        latest_outturn="2024-25")


def line(budget, scenario, service_line):
    rows = budget.lines
    return rows[(rows["scenario"] == scenario) & (rows["service_line"] == service_line)].iloc[0]


def test_current_pattern_rolled_forward_two_years_by_hand():
    b = fixture_budget()
    physical = line(b, "current_pattern", "physical_support_65plus")
    assert physical["employees_gbp"] == pytest.approx(108_222.409)
    assert physical["running_expenses_gbp"] == pytest.approx(993_006.144)
    assert physical["income_gbp"] == pytest.approx(330_368.5659)
    assert physical["amount_gbp"] == pytest.approx(770_859.9871)
    assert line(b, "current_pattern", "learning_disability_18_64")["amount_gbp"] == pytest.approx(496_503.072)
    assert line(b, "current_pattern", "care_assessment_safeguarding")["amount_gbp"] == pytest.approx(488_901.2868)
    assert b.totals.iloc[0]["total_gbp"] == pytest.approx(1_756_264.346)
    # every year of the roll-forward is there: base, the year between, the budget year
    by_year = b.roll_forward.groupby("year", sort=False)["net_gbp"].sum()
    assert list(by_year.index) == ["2024-25", "2025-26", "2026-27"]
    assert by_year.tolist() == pytest.approx([1_600_000, 1_676_297, 1_756_264.346])


def test_the_bridge_steps_are_hand_worked_and_add_up():
    bridge = fixture_budget().bridge.set_index("kind")
    steps = bridge.loc["step", "amount_gbp"].tolist()
    assert bridge.loc["start", "amount_gbp"] == 1_600_000
    assert steps == pytest.approx([40_200, 31_062.045, 124_860.24, -39_857.9391])
    assert bridge.loc["end", "amount_gbp"] == pytest.approx(1_600_000 + sum(steps))
    assert bridge.loc["end", "amount_gbp"] == pytest.approx(1_756_264.346)


def test_income_inflation_parameter_replaces_growth_with_gross():
    # income 300,000 x volume 1.0201 x 1.02² (1.0404) = 300,000 x 1.06131204 = 318,393.612 for physical support 65+
    b = fixture_budget(income_inflation_pct=2.0)
    assert line(b, "current_pattern", "physical_support_65plus")["income_gbp"] == pytest.approx(318_393.612)


def test_in_the_base_year_every_line_equals_the_outturn_exactly():
    b = fixture_budget("2024-25")
    rec = b.reconciliation.set_index("service_line")
    assert (rec["difference_gbp"] == 0).all()
    assert rec.loc["total", "current_pattern_base_year_gbp"] == 1_600_000 == rec.loc["total", "ro3_net_gbp"]
    assert b.totals.iloc[0]["total_gbp"] == 1_600_000


def test_comparator_median_prices_each_line_at_the_median_per_head_and_income_shares():
    # physical support 65+: gross £120 x 10,000 = 1,200,000; sales 0.20 and other 0.10 of it; net 840,000
    b = fixture_budget("2024-25", scenarios=(Scenario("current_pattern", ""),
                                             Scenario("median", "", unit_cost="comparator_median", income_share="comparator_median")))
    physical = line(b, "median", "physical_support_65plus")
    assert physical["gross_gbp"] == pytest.approx(1_200_000)
    assert physical["employees_gbp"] == pytest.approx(120_000)  # the council's own staff share, 0.1
    assert physical["sales_fees_charges_gbp"] == pytest.approx(240_000)
    assert physical["other_income_gbp"] == pytest.approx(120_000)
    assert physical["amount_gbp"] == pytest.approx(840_000)
    assert physical["difference_gbp"] == pytest.approx(140_000)
    assert physical["volume_effect_gbp"] == pytest.approx(0) and physical["price_effect_gbp"] == pytest.approx(140_000)
    assert "3 comparators with a value" in physical["unit_cost_basis"]
    # the comparators' other lines equal the council's: no difference
    assert line(b, "median", "learning_disability_18_64")["difference_gbp"] == pytest.approx(0)


def test_comparator_median_with_own_income_keeps_the_councils_income_share():
    # gross 1,200,000 at A's own income share 0.30: income 360,000, net 840,000
    b = fixture_budget("2024-25", scenarios=(Scenario("current_pattern", ""), Scenario("median", "", unit_cost="comparator_median")))
    assert line(b, "median", "physical_support_65plus")["income_gbp"] == pytest.approx(360_000)


def test_needs_model_scales_the_people_served_at_own_cost():
    b = fixture_budget("2024-25", scenarios=(Scenario("current_pattern", ""), Scenario("needs", "", volume="needs_model")))
    physical = line(b, "needs", "physical_support_65plus")
    assert physical["volume"] == pytest.approx(8_000) and physical["amount_gbp"] == pytest.approx(560_000)
    assert physical["volume_effect_gbp"] == pytest.approx(-140_000) and physical["price_effect_gbp"] == pytest.approx(0)
    assert line(b, "needs", "learning_disability_18_64")["amount_gbp"] == pytest.approx(562_500)  # 450,000 x 1.25
    assert line(b, "needs", "care_assessment_safeguarding")["amount_gbp"] == pytest.approx(450_000)  # 18+: not in the model


def test_fee_schedule_reprices_the_care_home_share_only():
    # residential: 40% of 65+ long-term spend, schedule £600 against £650 paid; nursing 20% at £700 both:
    # physical support 65+ gross x (1 + 0.4 x (600/650 - 1)) = 969,230.769; income with gross 290,769.231
    local = LocalInputs(fees={"residential": {"schedule_gbp": 600.0, "paid_gbp": 650.0, "placements": 10},
                              "nursing": {"schedule_gbp": 700.0, "paid_gbp": 700.0, "placements": 5}},
                        care_home_shares={"residential": 0.4, "nursing": 0.2, "year": "2023-24", "source": "ASC-FR 2023-24"},
                        sources={"fees": "fee file"}, illustrative={"fees": True})
    b = fixture_budget("2024-25", scenarios=(Scenario("current_pattern", ""), Scenario("fees", "", unit_cost="fee_schedule")), local=local)
    physical = line(b, "fees", "physical_support_65plus")
    assert physical["gross_gbp"] == pytest.approx(969_230.769)
    assert physical["income_gbp"] == pytest.approx(290_769.231)
    assert physical["amount_gbp"] == pytest.approx(678_461.538)
    assert physical["employees_gbp"] == pytest.approx(100_000)  # fees are running expenses
    assert physical["illustrative"] and "fee file" in physical["source"]
    other = line(b, "fees", "learning_disability_18_64")
    assert other["difference_gbp"] == 0 and not other["illustrative"]


def test_staffing_at_equal_ratios_changes_nothing_and_at_a_higher_ratio_only_staff_cost():
    scenarios = (Scenario("current_pattern", ""), Scenario("staffing", "", staffing_ratio="comparator_average"))
    equal = fixture_budget(scenarios=scenarios, local=LocalInputs(staffing={"own_ratio": 2.8, "comparator_ratio": 2.8}))
    assert (equal.lines.loc[equal.lines["scenario"] == "staffing", "difference_gbp"] == 0).all()
    # 0.5 more staff per 1,000 x 10,000 people 65+ = 5 FTE x £45,000 = 225,000, x 65+ growth 1.0201 x pay 1.0609
    higher = fixture_budget(scenarios=scenarios, local=LocalInputs(staffing={"own_ratio": 2.0, "comparator_ratio": 2.5}))
    staff = line(higher, "staffing", "care_assessment_safeguarding")
    current = line(higher, "current_pattern", "care_assessment_safeguarding")
    assert staff["difference_gbp"] == pytest.approx(243_500.42025)
    assert staff["employees_gbp"] - current["employees_gbp"] == pytest.approx(243_500.42025)
    assert staff["income_gbp"] == current["income_gbp"]  # only the staff cost changes
    assert staff["volume_effect_gbp"] == pytest.approx(243_500.42025) and staff["price_effect_gbp"] == pytest.approx(0)
    others = higher.lines[(higher.lines["scenario"] == "staffing") & (higher.lines["service_line"] != "care_assessment_safeguarding")]
    assert (others["difference_gbp"] == 0).all()


def test_volume_and_price_effects_add_up_to_each_lines_difference():
    # needs model (volume) combined with comparator median (price), two years on: both effects non-zero
    b = fixture_budget(scenarios=(Scenario("current_pattern", ""), Scenario("both", "", volume="needs_model", unit_cost="comparator_median")))
    physical = line(b, "both", "physical_support_65plus")
    assert physical["volume_effect_gbp"] != pytest.approx(0) and physical["price_effect_gbp"] != pytest.approx(0)
    rows = b.lines
    assert np.allclose(rows["volume_effect_gbp"] + rows["price_effect_gbp"], rows["difference_gbp"], rtol=0, atol=1e-6)


def test_a_missing_line_leaves_the_total_missing():
    inputs = fixture_inputs()
    inputs.loc[(inputs["council"] == "A") & (inputs["service_line"] == "learning_disability_18_64"), AMOUNT_COLUMNS] = np.nan
    params = BudgetParams(budget_year="2024-25", scenarios=(Scenario("current_pattern", ""),))
    b = build_budget(inputs, "A", ["B", "C", "D"], params, growth=growth_paths(["2024-25"]), base_year="2024-25", needs_ratio={},
                     latest_outturn="2024-25")
    assert np.isnan(b.totals.iloc[0]["total_gbp"]) and b.totals.iloc[0]["lines_missing"] == 1
    assert any("the totals are missing" in note for note in b.notes)


AMOUNT_COLUMNS = ["employees_gbp", "running_expenses_gbp", "gross_gbp", "sales_fees_charges_gbp", "other_income_gbp", "income_gbp", "net_gbp"]


@pytest.mark.parametrize(("mapping", "message"), [
    ({"scenarios": [{"name": "x", "volume": "comparator"}]}, "unknown volume choice 'comparator'"),
    ({"scenarios": [{"name": "x", "unit_cost": "cheapest"}]}, "unknown unit_cost choice 'cheapest'"),
    ({"demographic_growth_pct": -40}, "demographic_growth_pct = -40: expected a percentage a year between -10 and 25"),
    ({"income_inflation_pct": 30}, "income_inflation_pct = 30: expected a percentage a year between -10 and 25"),
    ({"budget_year": "2019"}, "budget_year: '2019' is not a financial year"),
    ({"fee_inflation": 3}, "unknown budget parameter(s) fee_inflation"),
    ({"scenarios": [{"name": "x", "colour": "red"}]}, "unknown key(s) colour"),
])
def test_bad_parameters_are_one_line_errors(mapping, message):
    with pytest.raises(UserError) as excinfo:
        params_from_mapping(mapping)
    assert message in str(excinfo.value) and "\n" not in str(excinfo.value)


# ----------------------------------------------------------------------------------------------
# on the shipped data
# ----------------------------------------------------------------------------------------------

def test_every_council_with_ro3_reconciles_to_the_pound(tables):
    """With the budget year = the base year, the current pattern equals RO3 for every line and the
    return's own total for every council that returned RO3 (the base year is the newest in the data)."""
    from benchmark.data.years import budget_base_year
    from benchmark.local.panel import local_metric_panel

    base_year = budget_base_year(tables)
    inputs = line_inputs(tables, base_year)
    returned = sorted(inputs.loc[inputs["net_gbp"].notna(), "council"].unique())
    assert len(returned) >= 150  # RO3 2024-25: 153 councils, 3 with no return (Birmingham, Slough, Cumberland)
    panel = local_metric_panel(tables, tables.data_dir / "local")
    params = BudgetParams(budget_year=base_year, scenarios=(Scenario("current_pattern", ""),))
    for code in returned:
        b = council_budget(tables, code, params, comparators=[], local_panel=panel)
        assert b.totals.iloc[0]["total_gbp"] == b.actual["ro3_total_net_gbp"], code
        assert (b.reconciliation["difference_gbp"] == 0).all(), code


def test_southampton_2024_25_is_its_reported_net_spend(tables):
    # RO3 2024-25, Southampton: total adult social care net current expenditure £116,594 thousand
    b = council_budget(tables, "Southampton", params_from_mapping({"budget_year": "2024-25"}))
    assert b.totals.set_index("scenario").loc["current_pattern", "total_gbp"] == 116_594_000
    assert b.base_year == "2024-25"


def test_southampton_default_budget_year_rolls_forward_with_a_bridge(tables):
    b = council_budget(tables, "Southampton")
    assert b.budget_year == "2026-27"  # two years after the newest outturn
    assert list(b.roll_forward["year"].unique()) == ["2024-25", "2025-26", "2026-27"]
    bridge = b.bridge
    assert bridge["amount_gbp"].iloc[0] == 116_594_000
    assert bridge["amount_gbp"].iloc[-1] == pytest.approx(bridge["amount_gbp"].iloc[:-1].sum())
    # past mid-2024 the council's own trend, measured on the Census 2021-based estimates only
    assert any("from mid-2021 to mid-2024" in note for note in b.notes)


@pytest.mark.parametrize(("code", "words"), [
    ("E10000009", "Dorset County Council replaced by Dorset Council on 1 April 2019"),
    ("E10000023", "North Yorkshire County Council replaced by the unitary North Yorkshire Council"),
    ("E06000039", "Slough has no 2024-25 revenue outturn (RO3) figures"),
])
def test_a_council_without_the_base_year_gets_one_sentence_and_no_budget(tables, code, words):
    with pytest.raises(UserError) as excinfo:
        council_budget(tables, code)
    assert words in str(excinfo.value) and "\n" not in str(excinfo.value)


@pytest.mark.parametrize(("year", "message"), [
    ("2035-36", "budget_year 2035-36 is more than 5 years after the newest revenue outturn in the data (2024-25)"),
    ("2015-16", "budget_year 2015-16 is before the base year 2024-25"),
])
def test_budget_years_outside_the_plan_span_are_refused(year, message):
    from test_store_and_cli import run_cli

    result = run_cli("budget", "E06000045", "--year", year)
    assert result.returncode == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_budget_command_json_contract():
    import json

    from test_store_and_cli import run_cli

    result = run_cli("budget", "E06000045", "--year", "2024-25", "--scenario", "current_pattern", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["total_gbp"] == 116_594_000
    assert document["total_gbp"] == sum(line["amount_gbp"] for line in document["lines"])
    assert {"service_line", "amount_gbp", "employees_gbp", "income_gbp", "volume", "unit_cost_gbp", "source"} <= set(document["lines"][0])
    assert document["reconciliation"][-1]["difference_gbp"] == 0
    low, high = document["expected_spend_interval_gbp"]
    assert low < document["expected_spend_gbp"] < high


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


def test_budget_command_uses_the_councils_parameter_file():
    import json

    from test_store_and_cli import run_cli

    result = run_cli("budget", "E06000016", "--params", "parameters/E06000016.yml", "--format", "json")
    assert result.returncode == 0, result.stderr
    scenarios = {s["scenario"]: s for s in json.loads(result.stdout)["scenarios"]}
    assert list(scenarios) == ["current_pattern", "comparator_median", "fee_schedule", "staffing_at_comparator_ratio"]  # as listed
    assert scenarios["current_pattern"]["assumptions"]["fee_inflation_pct"] == 2.5  # the file's own rate


def test_init_parameters_says_what_a_kept_file_sets_or_why_it_would_be_refused(tmp_path):
    from benchmark.report.parameter_files import kept_file_changes

    old = tmp_path / "E06000045.yml"
    old.write_text('council: "E06000045"\nfee_inflation_pct: 3.5\nbudget_scenarios:\n  - name: median\n    volume: comparator\n', encoding="utf-8")
    line = kept_file_changes(old)
    assert line.startswith("E06000045.yml: would be refused now") and "unknown volume choice 'comparator'" in line
    assert "\n" not in line
    edited = tmp_path / "E06000016.yml"
    edited.write_text('council: "E06000016"\nfee_inflation_pct: 3.5\n', encoding="utf-8")
    assert kept_file_changes(edited) == "E06000016.yml: kept; sets fee_inflation_pct 3.5 (default 3.0)"


def test_staffing_at_the_councils_own_ratio_changes_nothing():
    scenarios = (Scenario("current_pattern", ""), Scenario("own_staffing", "", staffing_ratio="own"))
    b = fixture_budget(scenarios=scenarios, local=LocalInputs(staffing={"own_ratio": 2.0, "comparator_ratio": 2.5}))
    assert (b.lines.loc[b.lines["scenario"] == "own_staffing", "difference_gbp"] == 0).all()


def test_expected_spend_carries_the_councils_position_against_need_forward():
    # client-group gross of the current pattern in 2026-27: 65+ physical support 1,101,228.553, 18-64
    # learning disability 551,670.08 (module docstring); expected / actual 0.8 (65+) and 1.25 (18-64):
    # 880,982.8424 + 689,587.6 = 1,570,570.442; the interval ends likewise (0.6 and 1.0; 1.5 and 2.0)
    from benchmark.budget.base_budget import expected_spend

    b = fixture_budget()
    ratios = {"65+": {"expected": 0.8, "low": 0.6, "high": 1.5}, "18-64": {"expected": 1.25, "low": 1.0, "high": 2.0}}
    out = expected_spend(b, ratios, {"year": "2017-18"})
    assert out["expected_gbp"] == pytest.approx(1_570_570.442)
    assert out["pi_low_gbp"] == pytest.approx(660_737.1318 + 551_670.08)
    assert out["pi_high_gbp"] == pytest.approx(1_651_842.830 + 1_103_340.16)
    assert np.isnan(expected_spend(b, {"65+": ratios["65+"]}, {"year": "2017-18"})["expected_gbp"])  # one model missing: missing


def test_a_council_created_since_the_trend_began_grows_from_its_first_estimate(tables):
    """North Yorkshire (E06000065, a unitary since April 2023) has ONS estimates from mid-2022 only, so its
    trend runs from mid-2022 to mid-2024, not from mid-2021: 65+ 158,279 then 165,203 (ONS MYE2), so
    mid-2026 is 165,203 x (165,203 / 158,279) ^ (2 / 2) / 165,203 = 1.043745 times mid-2024.  Before,
    its trend was missing and every line of its budget with it."""
    from benchmark.budget.base_budget import population_path

    path, how = population_path(tables, "65+", "2024-25", "2026-27", None)
    assert path.at["E06000065", "2026-27"] == pytest.approx(165203 / 158279, rel=1e-9)
    assert "from mid-2021 to mid-2024" in how  # the window; North Yorkshire's own note says where its trend starts
    budget = council_budget(tables, "E06000065", group="statistical")  # no set of its own in NN.json
    assert budget.totals["total_gbp"].notna().all()
    assert any("65+ population from mid-2022 (its first estimate) to mid-2024" in note for note in budget.notes)
