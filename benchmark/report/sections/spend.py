"""Spend per head and unit costs: the newest revenue outturn against the comparators, budget against outturn,
ASC-FR spend by setting, unit costs and outcomes."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from benchmark.metrics.registry import ASCOF_SURVEY_METRICS
from benchmark.report.citations import cite
from benchmark.report.flags import is_finding, pct_difference
from benchmark.report.formatting import fmt, money
from benchmark.report.formatting import is_missing as _missing
from benchmark.report.page import Section, Table

if TYPE_CHECKING:
    from benchmark.report.content import ReportContent

KEY = "spend"
NAME = "Spend per head and unit costs"


#: The newest finance data: MHCLG's revenue outturn (RO3), each figure in its newest year.
NET_SPEND_ID = "asc_net_per_head_18plus_gbp"
CURRENT_SPEND_IDS = ["asc_net_per_head_18plus_gbp", "asc_gross_per_head_18plus_gbp", "asc_net_expenditure_gbp",
                     "asc_gross_expenditure_gbp", "asc_65plus_gross_per_head_65plus_gbp", "asc_18to64_gross_per_head_18to64_gbp",
                     *(f"asc_{g}_{a}_gross_per_head_{a}_gbp" for a in ("65plus", "18to64")
                       for g in ("physical_support", "sensory_support", "memory_and_cognition", "learning_disability", "mental_health")),
                     "asc_care_assessment_gross_per_head_18plus_gbp", "asc_sales_fees_charges_pct_of_gross",
                     "asc_other_income_pct_of_gross", "asc_employees_pct_of_gross"]
BUDGET_IDS = ["asc_outturn_over_budget_pct", "asc_budget_to_outturn_ratio"]
#: ASC-FR: long-term care by setting (a series from the older packs to the data file's newest year),
#: and spend on long- and short-term care together, which only the older packs hold.
SPEND_IDS = [*(i for a in ("65plus", "18to64") for i in (f"gce_{a}_long_term_per_head_{a}_gbp", f"care_home_share_of_long_term_{a}_pct")),
             *(f"gce_{a}_{s}_per_head_{a}_gbp" for a in ("65plus", "18to64")
               for s in ("residential", "nursing", "home_care", "direct_payments", "supported_living", "other")),
             "gce_65plus_per_head_65plus_gbp", "gce_18to64_per_head_18to64_gbp"]
UNIT_COST_IDS = [f"unit_cost_{s}_{a}_gbp_per_week" for a in ("65plus", "18to64") for s in ("residential", "nursing")]
OUTCOME_IDS = ["care_home_admissions_65plus_per_100k", "care_home_admissions_18to64_per_100k", "delayed_transfers_per_100k",
               "delayed_transfers_asc_per_100k", "delayed_transfers_joint_per_100k",
               *(m["id"] for m in ASCOF_SURVEY_METRICS)]  # quality of life, control, carers, safety, information, reablement


def spend_title(report: ReportContent) -> str:
    """The newest net spend per adult against the comparator median."""
    row = report.metric(NET_SPEND_ID)
    if _missing(row["value"]):
        return f"{report.name} has no net adult social care spend in the revenue outturn data (n/a: {row['missing_reason']})"
    value, median = fmt(row["value"], row["unit"]), fmt(row["median"], row["unit"])
    diff = pct_difference(row["value"], row["median"])
    if _missing(diff):
        return f"{report.name} spends {value} net per adult (18+) on adult social care ({row['year']}); no comparator median"
    if not is_finding(row):  # higher or lower only where the difference is a finding (rag_flags)
        why = row.get("similar_because")
        return (f"{report.name} spends a similar amount per adult (18+) on adult social care to {report.phrase} "
                f"({value} net against a median of {median}, {row['year']}" + (f"; {why}" if not _missing(why) and why else "") + ")")
    return (f"{report.name} spends {abs(diff):.0f}% {'more' if diff > 0 else 'less'} per adult (18+) on adult social care than "
            f"{report.phrase} ({value} net against a median of {median}, {row['year']})")


def budget_answer(report: ReportContent) -> str:
    """'Is the budget set at the correct level?': the newest year's outturn against its budget."""
    metric_id = "asc_outturn_over_budget_pct"
    row = report.metric(metric_id)
    if _missing(row["value"]):
        return f"Budget against outturn: n/a ({row['missing_reason']})."
    panel = report.shared.panel
    own = panel[(panel["council"] == report.code) & (panel["metric_id"] == metric_id) & (panel["year"] == row["year"])].iloc[0]
    budget, over = own["denominator"], own["numerator"]
    median = "" if _missing(row["median"]) else (
        f"; the comparator median is {against_budget(row['median'])}. {report.coverage(metric_id, row['year'])}")
    return (f"Budget against outturn, {row['year']}: {report.name} spent {money(budget + over)} net on adult social care against a "
            f"budget of {money(budget)} set before the year, {against_budget(row['value'])}{median}.")


def against_budget(pct: float) -> str:
    """-3.03 -> '3.0% under budget' (the sign in words: percentages of a budget can be negative)."""
    return "on budget" if round(pct, 1) == 0 else f"{abs(pct):.1f}% {'over' if pct > 0 else 'under'} budget"


def budget_chart_title(report: ReportContent) -> str:
    row = report.metric("asc_outturn_over_budget_pct")
    if _missing(row["value"]) or _missing(row["median"]):
        return f"{report.name}: spend against budget ({row['year']})"
    return (f"{report.name} spent {against_budget(row['value'])} in {row['year']}; the median of {report.phrase} was "
            f"{against_budget(row['median'])}")


def budget_outturn_table(report: ReportContent) -> pd.DataFrame:
    """Every year with an RA budget: budget, outturn, over or under, and the comparator median."""
    panel = report.shared.panel
    rows = panel[panel["metric_id"] == "asc_outturn_over_budget_pct"]
    own = rows[rows["council"] == report.code].sort_values("year")
    out = []
    for _, r in own.iterrows():
        peers = rows[(rows["year"] == r["year"]) & rows["council"].isin(report.members())]["value"].dropna()
        budget, over = r["denominator"], r["numerator"]
        out.append({"year": r["year"], "budget (RA)": money(budget), "outturn": money(budget + over),
                    "over (+) or under (-) budget": money(over),
                    "% of budget": fmt(r["value"], "pct") if not _missing(r["value"]) else f"n/a ({r['missing_reason']})",
                    "comparator median": fmt(peers.median(), "pct") if len(peers) else "n/a",
                    "comparator range (Q1-Q3)": (f"{fmt(peers.quantile(0.25), 'pct')} to {fmt(peers.quantile(0.75), 'pct')}"
                                                 if len(peers) else "n/a"),
                    "comparators with a value": f"{len(peers)} of {len(report.members())}", "source": cite(r["source"])})
    return pd.DataFrame(out, columns=["year", "budget (RA)", "outturn", "over (+) or under (-) budget", "% of budget",
                                      "comparator median", "comparator range (Q1-Q3)", "comparators with a value", "source"])


def metric_charts(report: ReportContent) -> list:
    """The section's charts, every one from the metrics alone (see :mod:`benchmark.report.sections`)."""
    unit_cost_years = report.years_of(UNIT_COST_IDS)
    return [f for f in (report.ranked_chart(NET_SPEND_ID), report.trend_chart(NET_SPEND_ID), report.funnel_chart(NET_SPEND_ID),
                        report.ranked_chart("asc_outturn_over_budget_pct", budget_chart_title(report)),
                        report.trend_chart("gce_65plus_long_term_per_head_65plus_gbp"),
                        report.ranked_chart("unit_cost_residential_65plus_gbp_per_week",
                                          f"{report.metric_title('unit_cost_residential_65plus_gbp_per_week')}: ASC-FR {unit_cost_years} "
                                          "activity, older than the spend figures"),
                        report.series_chart("care_home_admissions_65plus_per_100k")) if f]


def build(report: ReportContent) -> Section:
    net = report.metric(NET_SPEND_ID)
    unit_cost_years = report.years_of(UNIT_COST_IDS)
    figures = metric_charts(report)
    tables = [Table("spend_current", report.metric_rows(CURRENT_SPEND_IDS),
                    report.caption(report.sources_of(CURRENT_SPEND_IDS), report.years_of(CURRENT_SPEND_IDS))),
              Table("budget_outturn", budget_outturn_table(report),
                    report.caption("MHCLG Revenue Account budget (RA) and revenue outturn (RO3, else RSX) of the same year",
                                  report.years_of(BUDGET_IDS)) + " Negative: the year cost less than was budgeted."),
              Table("spend", report.metric_rows(SPEND_IDS),
                    report.caption(report.sources_of(SPEND_IDS), report.years_of(SPEND_IDS))
                    + " Each row is in its newest year with data; long- and short-term care together only in the older ASC-FR packs."),
              Table("unit_costs", report.metric_rows(UNIT_COST_IDS),
                    report.caption(report.sources_of(UNIT_COST_IDS), unit_cost_years)
                    + f" Dated: unit costs need client weeks, which only ASC-FR {unit_cost_years} holds beside spend."),
              Table("outcomes", report.metric_rows(OUTCOME_IDS), report.caption(report.sources_of(OUTCOME_IDS), report.years_of(OUTCOME_IDS)))]
    paragraphs = [
        f"Spend per adult is net current expenditure on adult social care (gross spend less sales, fees and charges and other "
        f"income) from MHCLG's revenue outturn, {net['year'] if not _missing(net['year']) else 'n/a'}, divided by the ONS mid-year "
        "population aged 18+ of the year the financial year starts in; client groups are RO3's primary support reason lines per "
        "head of their age band. The trend joins the outturn publications present (RO3, RSX, RS): RSX's total equals RO3's "
        "council by council, RO3's newest file has a new layout read the same way, and breaks in the series are marked. "
        + report.CASH_NOTE,
        budget_answer(report),
        "Long-term care by support setting is ASC-FR's gross current expenditure per head of the age group, from the older "
        f"ASC-FR packs and NHS England's data file ({report.years_of(SPEND_IDS)}); ASC-FR and RO3 agree at the total but "
        f"their lines differ. Weekly unit costs are spend divided by client weeks ({unit_cost_years}: the only year in the data "
        "with both), so they are older than every spend figure above. ASC-FR and SALT categories differ, so no cost per "
        "person is derived.",
    ]
    if _missing(net["value"]):
        paragraphs.append(f"No outturn chart: the council has no net spend in the revenue outturn years the data holds "
                          f"({report.years_of([NET_SPEND_ID])}).")
    return Section(KEY, spend_title(report), paragraphs, tables, figures)
