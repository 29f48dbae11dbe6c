"""Care home fees: the council's own fee bands and placements, and a simpler schedule."""
from __future__ import annotations

from typing import TYPE_CHECKING

from benchmark.report import charts
from benchmark.report.chart_process import figure
from benchmark.report.formatting import fmt, money, short_fmt
from benchmark.report.formatting import is_missing as _missing
from benchmark.report.page import Section

if TYPE_CHECKING:
    from benchmark.report.content import ReportContent

KEY = "fees"
NAME = "Care home fees"


def build(report: ReportContent) -> Section:
    if "fee_spread" not in report.local:
        return Section(KEY, f"No care home fee schedule for {report.name}: fees cannot be reviewed",
                       [f"n/a: {report.local_missing('care_home_fee_bands.csv')}"])
    bands = report.metric("care_home_fee_band_count")
    above = report.metric("care_home_placements_above_band_pct")
    illustrative = bool(bands["illustrative"])
    title = (f"{report.name}'s care home fees use {fmt(bands['value'], 'count')} bands"
             + (f"; {fmt(above['value'], 'pct')} of placements are paid above their band rate" if not _missing(above["value"]) else "")
             + (" (ILLUSTRATIVE)" if illustrative else ""))
    paragraphs = []
    for setting in ("residential", "nursing"):
        own = report.metric(f"care_home_fee_weighted_average_{setting}_gbp_per_week")
        cost = report.metric(f"unit_cost_{setting}_65plus_gbp_per_week")
        if not _missing(own["value"]):
            paragraphs.append(f"Placement-weighted average {setting} fee: {fmt(own['value'], own['unit'])} ({own['year']}); "
                              f"ASC-FR {cost['year']} weekly unit cost, {setting} 65+: {fmt(cost['value'], cost['unit'])} against a comparator "
                              f"median of {fmt(cost['median'], cost['unit'])}. The years and definitions differ (fees paid to homes versus "
                              "gross spend per client week).")
    if "fee_simplified" not in report.local:
        paragraphs.append(f"n/a: no placements file, so no weighted fees or simpler banding: {report.local_missing('care_home_placements.csv')}")
    tables = [t for t in (report.local_table("fee_schedule", "council's own fee bands and placements"),
                          report.local_table("fee_spread", "council's own fee bands"),
                          report.local_table("fee_simplified", "council's own fee bands and placements; simplified rates as stated")) if t]
    figures = []
    schedule = report.local.get("fee_schedule")
    if schedule is not None and {"band", "weekly_rate_gbp"} <= set(schedule.columns):
        rates = schedule.set_index("band")["weekly_rate_gbp"].astype(float)
        notes = (schedule.set_index("band")["setting"].astype(str) + ", " + schedule.set_index("band")["placements"].astype(str) + " placements"
                 if "placements" in schedule.columns else None)
        figures.append(figure(charts.simple_bars, rates, f"{report.name}'s care home fee bands range from {money(rates.min())} to "
                              f"{money(rates.max())} a week", short_fmt("gbp_per_week"), "weekly band rate (£)", illustrative, notes,
                              caption=report.caption("council's own fee bands and placements", report.local_year(), illustrative, group=False)))
    return Section(KEY, title, paragraphs, tables, figures)
