"""Package costs: the council's own package extract (aggregated, small counts suppressed) beside ASC-FR unit costs."""
from __future__ import annotations

from typing import TYPE_CHECKING

from benchmark.report.formatting import fmt, money
from benchmark.report.formatting import is_missing as _missing
from benchmark.report.page import Section, Table
from benchmark.report.sections.spend import UNIT_COST_IDS

if TYPE_CHECKING:
    from benchmark.report.content import ReportContent

KEY = "packages"
NAME = "Package costs"


def build(report: ReportContent) -> Section:
    from benchmark.local.disclosure import CAPTION as DISCLOSURE_CAPTION

    head = report.local.get("package_headlines")
    if head is None or head.empty:
        return Section(KEY, f"No package extract for {report.name}: package costs and reviews cannot be shown",
                       [f"n/a: {report.local_missing('packages.csv')}"])
    h = head.iloc[0]
    # from the package rows the headline rests on, whatever year the metrics table shows
    panel = report.local.get("panel")
    package_rows = panel[(panel["council"] == report.code) & panel["metric_id"].astype(str).str.startswith("package")] if panel is not None else None
    illustrative = bool(package_rows["illustrative"].any()) if package_rows is not None and len(package_rows) else \
        bool(report.metric("package_weekly_cost_median_gbp")["illustrative"])
    overdue = h.get("overdue_review_pct")
    title = (f"{fmt(overdue, 'pct') if not _missing(overdue) and overdue != '<5' else 'Some'} of {report.name}'s open care packages are overdue "
             f"for review (over {report.params['review_months']} months)"
             + (f", carrying {money(h.get('overdue_review_annual_gbp'))} a year" if not _missing(h.get("overdue_review_annual_gbp")) else "")
             + (" (ILLUSTRATIVE)" if illustrative else ""))
    paragraphs = [f"High-cost packages: weekly cost at or above {money(report.params['high_cost_threshold_gbp'])}. "
                  f"{DISCLOSURE_CAPTION}. The package extract is personal data and never leaves the council."]
    extract = f"council's own package extract ({DISCLOSURE_CAPTION})"
    tables = [t for t in (report.local_table("package_headlines", extract),
                          report.local_table("package_distribution_by_reason", extract),
                          report.local_table("package_distribution_by_age", extract)) if t]
    figures = [f for f in (report.ranked_chart("unit_cost_nursing_65plus_gbp_per_week",
                                             report.metric_title("unit_cost_nursing_65plus_gbp_per_week")),) if f]
    unit_rows = report.metric_rows(UNIT_COST_IDS)
    tables.append(Table("package_unit_costs", unit_rows, report.caption(report.sources_of(UNIT_COST_IDS), report.years_of(UNIT_COST_IDS))))
    return Section(KEY, title, paragraphs, tables, figures)
