"""Needs-based base budget with scenarios: the newest outturn by line, reconciled, rolled forward to the budget year."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmark.report import charts
from benchmark.report.chart_process import figure
from benchmark.report.formatting import is_missing as _missing
from benchmark.report.formatting import millions, millions_fmt, money, pounds
from benchmark.report.page import Section, Table
from benchmark.report.parameters import budget_params

if TYPE_CHECKING:
    from benchmark.report.content import ReportContent

KEY = "budget"
NAME = "Needs-based base budget with scenarios"


def budget_title(report: ReportContent) -> str:
    if report.budget is None:
        return f"No needs-based budget for {report.name}"
    b = report.budget
    totals = b.totals.set_index("scenario")["total_gbp"]
    current = totals.iloc[0]
    title = (f"On its current pattern, {report.name} would spend {money(current)} net on adult social care in {b.budget_year}, "
             f"against {money(b.actual.get('net_current_expenditure_gbp'))} in {b.base_year}")
    if len(totals) > 1:
        title += f"; the scenarios range from {money(totals.min())} to {money(totals.max())}"
    return title


def budget_tables(report: ReportContent) -> dict[str, pd.DataFrame]:
    """Every number of the budget, unrounded, for budget.csv and tables.xlsx."""
    if report.budget is None:
        return {}
    b = report.budget
    totals = b.totals.copy()
    totals.insert(0, "council", report.code)
    totals.insert(1, "budget_year", b.budget_year)
    totals.insert(2, "base_year", b.base_year)
    totals["scenario_title"] = totals["scenario"].map(b.scenario_titles)
    totals["expected_care_gross_gbp"] = b.expected.get("expected_gbp", np.nan)
    totals["expected_interval_low_gbp"] = b.expected.get("pi_low_gbp", np.nan)
    totals["expected_interval_high_gbp"] = b.expected.get("pi_high_gbp", np.nan)
    totals["actual_net_gbp_base_year"] = b.actual.get("net_current_expenditure_gbp", np.nan)
    totals["source"] = f"MHCLG revenue outturn (RO3) {b.base_year} ({b.actual.get('source')}); ONS mid-year population; expected-spend model"
    lines = b.lines.copy()
    lines.insert(0, "council", report.code)
    # budget.csv carries the reconciliation beside each line: RO3's net and the current pattern for the base year
    by_line = b.reconciliation.set_index("service_line")
    lines["current_pattern_base_year_gbp"] = lines["service_line"].map(by_line["current_pattern_base_year_gbp"])
    lines["reconciliation_difference_gbp"] = lines["service_line"].map(by_line["difference_gbp"])
    reconciliation = b.reconciliation.copy()
    reconciliation.insert(0, "council", report.code)
    roll = b.roll_forward.copy()
    roll.insert(0, "council", report.code)
    bridge = b.bridge.copy()
    bridge.insert(0, "council", report.code)
    return {"budget_lines": lines, "budget_totals": totals, "budget_reconciliation": reconciliation,
            "budget_roll_forward": roll, "budget_bridge": bridge}


def build(report: ReportContent) -> Section:
    if report.budget is None:
        return Section(KEY, budget_title(report), [
            f"{report.budget_error or 'There is no base year for this council.'} The rest of the report is unaffected."])
    b = report.budget
    totals = b.totals.set_index("scenario")
    lines = b.lines
    names = list(totals.index)
    titles = [b.scenario_titles.get(n, n) for n in names]
    reference = titles[0]
    illustrative = bool(totals["illustrative"].any())
    a = b.assumptions
    income_rule = "with its line's gross" if a["income_inflation_pct"] is None else f"by {a['income_inflation_pct']:g}% a year and volume"
    paragraphs = [
        f"The budget starts from what {report.name} spent in {b.base_year} on each adult social care line of its revenue outturn "
        f"return to government (gross spend on staff and on everything else, less sales, fees and charges and other income; "
        f"Better Care Fund money the council receives is part of other income and is not deducted again). "
        f"It rolls each line forward to {b.budget_year} ({a['years_rolled_forward']} year(s)): the people served grow with the "
        f"population of the line's age group; pay rises {a['pay_inflation_pct']:g}% a year and other costs {a['fee_inflation_pct']:g}% "
        f"a year; income moves {income_rule}. Each assumption can be changed in the council's parameter file.",
        "Scenarios: " + "; ".join(f"{t}: {s.description}" for t, s in zip(titles, budget_scenarios(report, names), strict=True)) + ".",
    ]
    rec = b.reconciliation
    total_row = rec.iloc[-1]
    paragraphs.append(
        f"Reconciliation: computed for {b.base_year} itself, the current pattern gives {pounds(total_row['current_pattern_base_year_gbp'])} "
        f"against the {pounds(total_row['ro3_net_gbp'])} net the council reported; the largest difference on any line is "
        f"{pounds(rec['difference_gbp'].abs().max())}.")
    e = b.expected
    if not _missing(e.get("expected_gbp")):
        paragraphs.append(f"Expected spend from the needs model: {money(e['expected_gbp'])} gross on care for 18-64 and 65+ in {b.budget_year} "
                          f"(95% prediction interval {money(e['pi_low_gbp'])} to {money(e['pi_high_gbp'])}), against "
                          f"{money(totals.iloc[0]['care_gross_gbp'])} on the current pattern. Needs index (actual / expected spend, "
                          f"{e.get('year')}): {e.get('needs_index_65plus', np.nan):.2f} for 65+ and {e.get('needs_index_18to64', np.nan):.2f} for 18-64. "
                          + ("The model is fitted on the base year; its ratio of expected to actual spend is carried to the budget year."
                             if e.get("year") == b.base_year else
                             f"The model's year ({e.get('year')}) is older than the base year, so the council's position against its need "
                             "is carried forward, not the model's pounds."))
    else:
        paragraphs.append("Expected spend from the needs model: n/a (the council is not in the model).")
    for name, title in zip(names[1:], titles[1:], strict=True):
        row = totals.loc[name]
        volume_words = "staff numbers" if budget_scenarios(report, [name])[0].staffing_ratio else "the number of people served"
        paragraphs.append(f"{title} against the {reference.lower()}: {money(row['difference_gbp'])}, of which "
                          f"{money(row['volume_effect_gbp'])} comes from {volume_words} and {money(row['price_effect_gbp'])} "
                          "from the cost per person" + (" (ILLUSTRATIVE: rests on generated example files)." if row["illustrative"] else "."))

    # dropna=False: a line missing in every scenario stays, shown as n/a
    wide = lines.pivot_table(index="label", columns="scenario", values="amount_gbp", sort=False, dropna=False)[names]
    side = wide.map(millions).reset_index().rename(columns={"label": "line"})
    side = pd.concat([side, pd.DataFrame([{"line": "Total (net)", **{n: millions(totals.loc[n, "total_gbp"]) for n in names}}])],
                     ignore_index=True)
    side.columns = ["line", *titles]
    line_illustrative = lines.groupby("label", sort=False)["illustrative"].any()
    side["ILLUSTRATIVE"] = np.where(side["line"].map(line_illustrative).fillna(illustrative).astype(bool), "ILLUSTRATIVE", "")
    source = f"MHCLG revenue outturn (RO3) {b.base_year}; ONS mid-year population estimates"
    caption = report.caption(source + ("; the council's own files where stated" if illustrative or len(names) > 3 else ""),
                            f"base {b.base_year}, budget {b.budget_year}", illustrative)
    rec_table = rec[["line", "ro3_gross_gbp", "ro3_income_gbp", "ro3_net_gbp", "current_pattern_base_year_gbp", "difference_gbp"]].copy()
    for column in rec_table.columns[1:]:
        rec_table[column] = rec_table[column].map(pounds)
    rec_table.columns = ["line", f"gross {b.base_year}", f"income {b.base_year}", f"net {b.base_year} (reported)",
                         f"current pattern for {b.base_year}", "difference"]
    roll = b.roll_forward.groupby("year", sort=False)[["employees_gbp", "running_expenses_gbp", "gross_gbp", "income_gbp", "net_gbp"]].sum(min_count=1)
    roll_table = roll.map(millions).reset_index()
    roll_table.columns = ["year", "staff", "other costs", "gross", "income", "net"]
    gap = lines[lines["scenario"] != names[0]].groupby("scenario", sort=False)[["amount_gbp", "difference_gbp", "volume_effect_gbp",
                                                                                "price_effect_gbp"]].sum(min_count=1)
    gap_table = gap.map(millions).reset_index()
    gap_table["scenario"] = gap_table["scenario"].map(b.scenario_titles)
    gap_table.columns = ["scenario", "net total", f"difference from the {reference.lower()}",
                         "of which: people served (staff numbers for staffing)", "of which: cost per person"]
    tables = [
        Table("budget_reconciliation", rec_table, report.caption(f"MHCLG revenue outturn (RO3) {b.base_year}", b.base_year, False, group=False)
              + f" The current pattern computed for {b.base_year} against what the council reported, line by line."),
        Table("budget_scenarios", side, caption + " Net spend by line in each scenario; budget.csv and tables.xlsx hold every figure unrounded."),
        Table("budget_roll_forward", roll_table, report.caption(source, f"{b.base_year} to {b.budget_year}", False, group=False)
              + " The current pattern in each year from the base year to the budget year."),
    ]
    if len(gap_table):
        tables.append(Table("budget_gap", gap_table, caption + " Each scenario's difference from the current pattern, split into the "
                            "number of people served (change in people x current cost per person) and the cost per person "
                            "(change in cost per person x the scenario's people)."))
    figures = []
    # a budget whose every line is missing (the notes say why) has nothing to draw: said, not a failed chart
    if not np.isfinite(wide.to_numpy(dtype=float)).any():
        paragraphs.append("No charts: every line of the budget is missing; the notes below say why.")
        return Section(KEY, budget_title(report), paragraphs, tables, [], notes=list(b.notes))
    if b.budget_year != b.base_year and np.isfinite(b.bridge["amount_gbp"].to_numpy(dtype=float)).all():
        figures.append(figure(charts.bridge_waterfall, b.bridge, f"From {money(b.bridge['amount_gbp'].iloc[0])} in {b.base_year} to "
                              f"{money(b.bridge['amount_gbp'].iloc[-1])} in {b.budget_year} on the current pattern", millions_fmt(1),
                              caption=report.caption(source, f"{b.base_year} to {b.budget_year}", False, group=False)))
    # The lines only: the total is several times the largest line and would shrink every bar to a sliver.
    chart_lines = wide.copy()
    chart_lines.columns = titles
    figures.append(figure(charts.budget_bars, chart_lines, f"Net spend by line in {b.budget_year}, by scenario", millions_fmt(1), illustrative,
                          caption=caption))
    return Section(KEY, budget_title(report), paragraphs, tables, figures, notes=list(b.notes))


def budget_scenarios(report: ReportContent, names: list[str]) -> list:
    by_name = {s.name: s for s in budget_params(report.params).scenarios}
    return [by_name[n] for n in names]
