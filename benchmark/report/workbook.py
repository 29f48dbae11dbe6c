"""``tables.xlsx``: every table of a report on a sheet of its own, formatted for a finance reader.

Numbers stay numbers (never text) and carry a number format from their unit: money in pounds with
thousands separators, percentages to one decimal, counts as whole numbers.  A column's unit comes
from its name's ending (``_gbp``, ``_gbp_per_week``, ``_pct`` ...) and is written into its header
("amount (£)"); where a column's unit varies by row (the metrics sheet's ``value``, ``median`` ...),
each cell takes the unit of its row's ``unit`` column.  The header row is frozen and filtered.
Hidden (suppressed) cells are empty, with the reason in the sheet's ``disclosure_note`` column.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.local.disclosure import NOTE_COLUMN

#: number format by unit
FORMATS = {
    "gbp": "£#,##0;-£#,##0",
    "gbp_precise": "£#,##0.00;-£#,##0.00",
    "pct": "0.0",
    "count": "#,##0",
    "ratio": "0.00",
    "number": "#,##0.00",
}
#: a column name's ending -> (unit shown in the header, number format); first match wins
SUFFIXES = (
    ("_gbp_per_week", "£ a week", "gbp_precise"),
    ("_gbp_per_client_week", "£ a client week", "gbp_precise"),
    ("_gbp_per_head", "£ per head", "gbp_precise"),
    ("_gbp_week", "£ a week", "gbp_precise"),
    ("_gbp", "£", "gbp"),
    ("_pct", "%", "pct"),
    ("_fte", "FTE", "number"),
    ("_count", "count", "count"),
)
#: the registry's units (the metrics sheet's ``unit`` column) -> number format
METRIC_UNIT_FORMATS = {
    "gbp": "gbp", "gbp_per_head": "gbp_precise", "gbp_per_client_week": "gbp_precise", "gbp_per_week": "gbp_precise",
    "pct": "pct", "rate_per_100k": "number", "per_1000": "number", "ratio": "ratio", "score": "number", "count": "count",
    "bands": "count", "staff_fte_per_1000_population_65plus": "number",
}
#: the registry's units in words, for the metrics sheet's ``unit`` column
METRIC_UNIT_WORDS = {
    "gbp": "£", "gbp_per_head": "£ per head", "gbp_per_client_week": "£ per client week", "gbp_per_week": "£ a week", "pct": "%",
    "rate_per_100k": "per 100,000", "per_1000": "per 1,000", "ratio": "ratio", "score": "score", "count": "count", "bands": "bands",
    "staff_fte_per_1000_population_65plus": "FTE per 1,000 aged 65+",
}
#: columns whose unit is the row's ``unit`` column (metrics and context sheets)
ROW_UNIT_COLUMNS = ("value", "mean", "median", "q1", "q3", "min", "max", "target", "lower_95", "upper_95", "lower_998", "upper_998",
                    "comparator median")
COUNT_COLUMNS = ("n", "rank", "rank_of", "placements", "headcount", "lines_missing", "councils_ranked", "comparators_with_data", "bands",
                 "band_count", "placements_above_rate", "count")
MAX_WIDTH = 60


def column_header(name: str) -> tuple[str, str | None]:
    """(header shown, number format key) for a column name: units from its ending."""
    for suffix, unit, number_format in SUFFIXES:
        if name.endswith(suffix):
            return f"{name[: -len(suffix)].replace('_', ' ')} ({unit})", number_format
    if name in COUNT_COLUMNS:
        return name.replace("_", " "), "count"
    return name.replace("_", " "), None


def write_workbook(tables: dict[str, pd.DataFrame], path: Path | str) -> None:
    """Every table on its own sheet (names cut to Excel's 31 characters), formatted (module docstring)."""
    from openpyxl.utils import get_column_letter

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
            sheet_name = str(name)[:31]
            shown = frame.copy()
            formats = []
            for column in frame.columns:
                header, number_format = column_header(str(column))
                formats.append(number_format)
                shown = shown.rename(columns={column: header})
            if "unit" in frame.columns:
                shown[column_header("unit")[0]] = frame["unit"].map(lambda u: METRIC_UNIT_WORDS.get(u, u))
            if NOTE_COLUMN in frame.columns:  # the note names hidden cells by column: by their headers here
                shown[column_header(NOTE_COLUMN)[0]] = frame[NOTE_COLUMN].map(_note_in_headers)
            shown.to_excel(writer, sheet_name=sheet_name, index=False)
            sheet = writer.sheets[sheet_name]
            row_units = frame["unit"].tolist() if "unit" in frame.columns else None
            for j, column in enumerate(frame.columns, start=1):
                _format_column(sheet, j, frame[column], formats[j - 1], row_units if column in ROW_UNIT_COLUMNS else None)
                width = max([len(str(shown.columns[j - 1]))] + [len(_shown_text(v)) for v in frame[column].head(200)])
                sheet.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, width + 2)
            sheet.freeze_panes = "A2"
            if len(frame.columns):
                sheet.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"


def _format_column(sheet, j: int, values: pd.Series, number_format: str | None, row_units: list | None) -> None:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return
    for i in range(len(values)):
        key = METRIC_UNIT_FORMATS.get(row_units[i], "number") if row_units is not None else number_format
        if key is None:
            key = "count" if pd.api.types.is_integer_dtype(values) else "number"
        sheet.cell(row=i + 2, column=j).number_format = FORMATS[key]


def _shown_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _note_in_headers(note) -> str | None:
    """A disclosure note ("count: <5; median_gbp, q1_gbp: suppressed ...") with the columns named by
    their headers in this workbook ("count: <5; median (£), q1 (£): suppressed ...")."""
    if not isinstance(note, str) or not note:
        return note
    parts = []
    for part in note.split("; "):
        columns, _, label = part.partition(": ")
        parts.append(", ".join(column_header(c.strip())[0] for c in columns.split(",")) + (f": {label}" if label else ""))
    return "; ".join(parts)
