"""Data sources, years and caveats: every publication and local file the report's figures rest on."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from benchmark.report.citations import source_ids
from benchmark.report.formatting import local_file_words
from benchmark.report.page import Section, Table

if TYPE_CHECKING:
    from benchmark.report.content import ReportContent

KEY = "sources"
NAME = "Data sources, years and caveats"


def sources_table(report: ReportContent) -> pd.DataFrame:
    from benchmark.data.sources import SOURCES_BY_ID

    used: dict[str, list[str]] = {}
    for _, row in report.metrics.iterrows():
        for sid in source_ids(row["source"]):
            used.setdefault(sid, []).append(str(row["label"]))
    if report.budget is not None:
        for text in list(report.budget.lines["source"].unique()) + [report.budget.actual.get("source", "")]:
            for sid in source_ids(text):
                used.setdefault(sid, []).append("base budget")
    rows = []
    for sid, uses in used.items():
        s = SOURCES_BY_ID[sid]
        rows.append({"source": f"{s.publisher}, {s.title}", "years": s.years, "caveats": s.caveats or "-", "licence": s.licence,
                     "used for": ", ".join(dict.fromkeys(uses)), "id": sid, "illustrative": ""})
    local = report.metrics[report.metrics["source"].astype(str).str.startswith("data/") | report.metrics["source"].astype(str).str.contains("local/")]
    for _, row in local.iterrows():
        rows.append({"source": local_file_words(row["source"]), "years": str(row["year"]),
                     "caveats": ("generated example shipped with the toolkit, not real figures" if row["illustrative"]
                                 else "supplied by the council"),
                     "licence": "council's own", "used for": row["label"], "id": "local",
                     "illustrative": "ILLUSTRATIVE" if row["illustrative"] else ""})
    return pd.DataFrame(rows)


def build(report: ReportContent) -> Section:
    table = sources_table(report)
    published = table[table["id"] != "local"]
    title = (f"{report.name}'s figures rest on {len(published)} published sources (NHS Digital, ONS, MHCLG; Open Government Licence v3.0)"
             + (f" and {int((table['id'] == 'local').sum())} local inputs" if (table["id"] == "local").any() else ""))
    notes = [
        "Every figure carries its data year; years differ between metrics (the newest year of each source is in the table above).",
        "Suppressed or missing values are shown as n/a with the reason, never as 0.",
        "ASC-FR definitions change between years; 2020-21 and 2021-22 are distorted by COVID-19.",
        f"Comparator group: {report.group_description}.",
    ]
    if (table["illustrative"] == "ILLUSTRATIVE").any():
        notes.append("Rows marked ILLUSTRATIVE come from generated example files shipped with the toolkit, not from the council.")
    from benchmark.report.formatting import data_differences_note

    changed_data = data_differences_note(report.tables.provenance)
    paragraphs = [changed_data] if changed_data else []  # a --data copy that is not the shipped data: said first, not in a footnote
    return Section(KEY, title, paragraphs, [Table("sources", table.drop(columns=["id"]),
                                                          "Data sources, years, caveats and licences of every figure in this report.")],
                   notes=notes)
