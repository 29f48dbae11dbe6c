"""Summary of key messages: the RAG flags against the comparator group, the largest differences, and the spend headline."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmark.report.citations import cite, illustrative_note
from benchmark.report.flags import pct_difference
from benchmark.report.formatting import fmt
from benchmark.report.formatting import is_missing as _missing
from benchmark.report.page import Section, Table
from benchmark.report.sections.spend import budget_answer, spend_title

if TYPE_CHECKING:
    from benchmark.report.content import ReportContent

KEY = "summary"
NAME = "Summary of key messages"


def key_messages(report: ReportContent, limit: int = 6) -> pd.DataFrame:
    """Every RED and AMBER flag, and the largest other differences from comparators up to
    ``limit`` rows in all; most marked first (large before notable, then by robust z)."""
    m = report.metrics[report.metrics["difference"].isin(["large", "notable"])].copy()
    m["_order"] = (m["difference"] == "large").astype(int) * 1000 + pd.to_numeric(m["robust_z"], errors="coerce").abs().fillna(999)
    m = m.sort_values("_order", ascending=False)
    worse = m["rag"].isin(["RED", "AMBER"])  # the questions to ask: never left out for a larger spend difference
    others = m[~worse].head(max(limit - int(worse.sum()), 0))
    m = m[worse | m.index.isin(others.index)]
    messages = []
    for _, row in m.iterrows():
        diff = pct_difference(row["value"], row["median"])
        size = (f"{row['value'] / row['median']:.1f} times" if not _missing(diff) and diff >= 100 else
                f"{abs(diff):.0f}% {'higher' if diff > 0 else 'lower'} than" if not _missing(diff) else f"{row['direction']} than")
        z = "" if _missing(row["robust_z"]) else f", robust z {row['robust_z']:+.1f}"
        outside = "; outside the 99.8% funnel limit" if row["outside_998"] is True else ""
        text = (f"{row['label']}: {report.name} {fmt(row['value'], row['unit'])} ({row['year']}) is {size} the comparator median "
                f"{fmt(row['median'], row['unit'])} (rank {row['rank']} of {row['rank_of']}{z}{outside})."
                + illustrative_note(row))
        messages.append({"flag": row["flag"].split(":")[0], "message": text, "metric": row["id"], "year": row["year"],
                         "source": cite(row["source"]), "illustrative": bool(row["illustrative"])})
    return pd.DataFrame(messages, columns=["flag", "message", "metric", "year", "source", "illustrative"])


def build(report: ReportContent) -> Section:
    messages = key_messages(report)
    counts = report.metrics["rag"].value_counts()
    different = int((report.metrics["flag"].str.startswith("DIFFERENT")).sum())
    title = (f"{report.name}: {counts.get('RED', 0)} RED, {counts.get('AMBER', 0)} AMBER and {counts.get('GREEN', 0)} GREEN flags "
             f"against {report.phrase}, and {different} other marked differences")
    marked = int(report.metrics["difference"].isin(["large", "notable"]).sum())
    paragraphs = [
        f"Spend: {spend_title(report)}. {budget_answer(report)}",  # the newest outturn first, then the flags
        f"Flags compare {report.name} with {report.group_description}. A difference is large when the robust z-score is at least "
        f"{report.params['rag_red_z']:g} or the value is outside the 99.8% funnel limit, and notable from "
        f"{report.params['rag_amber_z']:g}; it is a finding only if it also matters: at least {report.params['rag_material_pct']:g}% "
        f"of the comparator median ({report.params['rag_material_points']:g} percentage points for percentages), at least "
        f"{report.params['rag_material_count']:g} person or FTE in the council's own numbers for rates of people or staff, and "
        "visible in the figures as shown. Anything else is similar to the comparators. A large finding in the worse direction "
        "is RED, a notable one AMBER, and one in the better direction GREEN; metrics where neither direction is better in "
        "itself (spend, context) are marked DIFFERENT, with no colour. A flag is a question to ask, not a verdict.",
    ]
    if len(messages) < marked:
        paragraphs.append(f"The table lists every RED and AMBER flag and the largest of the other differences: {len(messages)} "
                          f"of the {marked} marked differences. Every one is in its section below and in metrics.csv.")
    if messages.empty:
        paragraphs.append(f"No metric differs notably from {report.phrase}.")
    tables = [Table("headline_messages", messages[["flag", "message", "year", "source"]].assign(
        ILLUSTRATIVE=np.where(messages["illustrative"], "ILLUSTRATIVE", "")),
        report.caption("the metrics below", report.years_of(list(messages["metric"])) if len(messages) else "n/a",
                      bool(messages["illustrative"].any()) if len(messages) else False))]
    notes = ["Caveats: figures come from different years (each metric's latest year with data unless a year is set; "
             "the year is beside every figure); ASC-FR and ASCOF figures for 2020-21 and 2021-22 are affected by COVID-19; "
             "the comparator group's own caveats are in 'Context'."]
    if report.metrics["illustrative"].any():
        notes.append("ILLUSTRATIVE rows rest on generated example data (local files or national comparator files shipped as examples): "
                     "replace them with the council's real files before drawing conclusions.")
    if report.budget_error:
        notes.append(f"Base budget not available: {report.budget_error}")
    return Section(KEY, title, paragraphs, tables, notes=notes)
