"""Workforce: adult social care staff per 1,000 people aged 65+, from the council's own establishment file."""
from __future__ import annotations

from typing import TYPE_CHECKING

from benchmark.report.flags import is_finding
from benchmark.report.formatting import is_missing as _missing
from benchmark.report.page import Section

if TYPE_CHECKING:
    from benchmark.report.content import ReportContent

KEY = "workforce"
NAME = "Workforce"


def build(report: ReportContent) -> Section:
    row = report.metric("staff_per_1000_65plus")
    wf = report.local.get("workforce")
    if wf is None or wf.empty:
        return Section(KEY, f"No workforce data for {report.name}: the staff ratio cannot be compared",
                       [f"n/a: {report.local_missing('workforce.csv')}"])
    last = wf.sort_values("year").iloc[-1]
    gap = last["fte_gap_to_comparator_average"]
    illustrative = " (ILLUSTRATIVE)" if bool(last["illustrative"]) else ""
    # below or above only when the staff ratio's difference is a finding (notable and material)
    position = ("below" if last["staff_per_1000_65plus"] < last["comparator_average"] else "above") if is_finding(row) else "similar to"
    title = (f"{report.name} has {last['staff_per_1000_65plus']:.2f} adult social care staff per 1,000 people aged 65+, "
             f"{position} the comparator average of {last['comparator_average']:.2f}{illustrative}"
             if not _missing(last["comparator_average"]) else
             f"{report.name} has {last['staff_per_1000_65plus']:.2f} staff per 1,000 people aged 65+; no comparator has data{illustrative}")
    paragraphs = []
    if not _missing(gap):
        paragraphs.append(f"Moving to the comparator average would mean {abs(gap):,.1f} FTE {'more' if gap > 0 else 'fewer'} staff "
                          f"({last['year']}): (comparator average - council rate) x 65+ population / 1,000. FTE as supplied in the "
                          "council's establishment file.")
    tables = [t for t in (report.local_table("workforce"), report.local_table("workforce_by_role", "council's own workforce file")) if t]
    figures = [f for f in (report.ranked_chart("staff_per_1000_65plus", title),) if f]
    if not _missing(row["value"]) and bool(row["comparators_illustrative"]):
        paragraphs.append("The comparators' staff ratios come from the national comparator file shipped as ILLUSTRATIVE example data.")
    return Section(KEY, title, paragraphs, tables, figures)
