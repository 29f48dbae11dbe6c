"""Better Care Fund: the pooled budget from the council's own plan, against the national minimum and the comparators."""
from __future__ import annotations

from typing import TYPE_CHECKING

from benchmark.report.formatting import fmt, money
from benchmark.report.formatting import is_missing as _missing
from benchmark.report.page import Section, Table

if TYPE_CHECKING:
    from benchmark.report.content import ReportContent

KEY = "bcf"
NAME = "Better Care Fund"


def build(report: ReportContent) -> Section:
    bcf = report.local.get("bcf")
    income = report.metric("bcf_income_gbp")
    income_text = (f"ASC-FR records {fmt(income['value'], 'gbp')} of income from the Better Care Fund reaching adult social care "
                   f"({income['year']})." if not _missing(income["value"]) else
                   f"ASC-FR income from the Better Care Fund: n/a ({income['missing_reason']}).")
    if bcf is None or bcf.empty:
        return Section(KEY, f"No BCF plan for {report.name}: the pooled budget cannot be shown",
                       [f"n/a: {report.local_missing('bcf_plan.csv')}", income_text])
    last = bcf.sort_values("year").iloc[-1]
    ratio = last["ratio_to_minimum"]
    title = (f"{report.name} pools {money(last['pooled_gbp'])} in its Better Care Fund ({last['year']})"
             + (f", {ratio:.1f} times the national minimum of {money(last['minimum_gbp'])}" if not _missing(ratio) else "")
             + (f", rank {last['rank_pooled']} of {last['councils_ranked']} councils with data" if not _missing(last["rank_pooled"]) else "")
             + (" (ILLUSTRATIVE)" if bool(last["illustrative"]) else ""))
    paragraphs = [income_text]
    panel = report.shared.local_panel
    peers = panel[(panel["metric_id"] == "bcf_pooled_gbp") & (panel["year"] == last["year"]) & panel["value"].notna()]
    if bool(peers[peers["council"] != report.code]["illustrative"].any()):
        paragraphs.append("Rank and comparators rest on the national BCF comparator file shipped as ILLUSTRATIVE example data.")
    tables = [t for t in (report.local_table("bcf"), report.local_table("bcf_contributions", "council's own BCF plan")) if t]
    bcf_ids = ["bcf_pooled_gbp", "bcf_pooled_to_minimum_ratio"]  # against the report's one comparator group
    tables.append(Table("bcf_comparison", report.metric_rows(bcf_ids), report.caption(report.sources_of(bcf_ids), report.years_of(bcf_ids),
                                                                                  bool(report.metrics_by_id.loc[bcf_ids, "illustrative"].any()))))
    figures = [f for f in (report.ranked_chart("bcf_pooled_to_minimum_ratio"),) if f]
    return Section(KEY, title, paragraphs, tables, figures)
