"""``tables.xlsx``: every table of a report on a sheet of its own, formatted for a finance reader.

Numbers stay numbers (never text) and carry a number format from their unit: money in pounds with
thousands separators, percentages to one decimal, counts as whole numbers.  A column's unit comes
from its name's ending (``_gbp``, ``_gbp_per_week``, ``_pct`` ...) and is written into its header
("amount (£)"); where a column's unit varies by row (the metrics sheet's ``value``, ``median`` ...),
each cell takes the unit of its row's ``unit`` column.  The header row is frozen and filtered.
Hidden (suppressed) cells are empty, with the reason in the sheet's ``disclosure_note`` column.
"""
from __future__ import annotations

import datetime
import warnings
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, NamedTuple

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
EXCEL_MAX_TEXT = 32767  # Excel's limit on a cell's text: longer text is cut (by openpyxl), with pandas' warning


def column_header(name: str) -> tuple[str, str | None]:
    """(header shown, number format key) for a column name: units from its ending."""
    for suffix, unit, number_format in SUFFIXES:
        if name.endswith(suffix):
            return f"{name[: -len(suffix)].replace('_', ' ')} ({unit})", number_format
    if name in COUNT_COLUMNS:
        return name.replace("_", " "), "count"
    return name.replace("_", " "), None


def write_workbook(tables: dict[str, pd.DataFrame], path: Path | str | BinaryIO) -> None:
    """Every table on its own sheet (names cut to Excel's 31 characters), formatted (module docstring).

    Written row by row in openpyxl's write-only mode, each cell converted as pandas' ``to_excel`` converts
    it (:func:`_excel_value`) and given its number format as it is made; the header row is bold."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    header_font = Font(bold=True)
    for name, frame in tables.items():
        _write_sheet(book.create_sheet(str(name)[:31]), frame, header_font)
    book.save(path)


def workbook_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    """The file :func:`write_workbook` writes, as bytes (made in the drawing process while the kernel
    goes on, see ``content.export_report``)."""
    import io

    buffer = io.BytesIO()
    write_workbook(tables, buffer)
    return buffer.getvalue()


def _write_sheet(sheet, frame: pd.DataFrame, header_font) -> None:
    """One table on ``sheet``: widths, frozen and filtered header row, then the rows (write-only: in this order)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    frame = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
    headers = [column_header(str(column))[0] for column in frame.columns]
    row_units = frame["unit"].tolist() if "unit" in frame.columns else None
    columns = []
    for j, (column, values) in enumerate(frame.items()):
        raw = values.tolist()
        width = max([len(headers[j])] + [len(_shown_text(v)) for v in raw[:200]])
        sheet.column_dimensions[get_column_letter(j + 1)].width = min(MAX_WIDTH, width + 2)
        columns.append(_column_cells(sheet, column, values.dtype, raw, row_units if column in ROW_UNIT_COLUMNS else None))
    sheet.freeze_panes = "A2"
    if len(frame.columns):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
        header_cells = [WriteOnlyCell(sheet, header) for header in headers]
        for cell in header_cells:
            cell.font = header_font
        sheet.append(header_cells)
    for row in zip(*columns, strict=True):
        sheet.append(row)


def _column_cells(sheet, column, dtype, values: list, row_units: list | None) -> list:
    """A column's cells below its header: the values pandas would write, with the number format of their
    unit on every cell of a numeric column (empty ones too); the unit and note columns in words."""
    if column == "unit":
        values = [METRIC_UNIT_WORDS.get(unit, unit) for unit in values]
    elif column == NOTE_COLUMN:  # the note names hidden cells by column: by their headers here
        values = [_note_in_headers(note) for note in values]
    cells = [_excel_value(value) for value in values]
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):  # no unit format: pandas' own, for dates
        return [_formatted_cells(sheet, [cell.value], [cell.number_format])[0] if type(cell) is _Dated else cell for cell in cells]
    number_format = column_header(str(column))[1] or ("count" if pd.api.types.is_integer_dtype(dtype) else "number")
    keys = [METRIC_UNIT_FORMATS.get(unit, "number") for unit in row_units] if row_units is not None else [number_format] * len(cells)
    return _formatted_cells(sheet, cells, [FORMATS[key] for key in keys])


def _formatted_cells(sheet, values: list, number_formats: list[str]) -> list:
    """Cells of ``sheet`` holding ``values``, each with its number format."""
    from openpyxl.cell import WriteOnlyCell

    cells = [WriteOnlyCell(sheet, value) for value in values]
    for cell, number_format in zip(cells, number_formats, strict=True):
        cell.number_format = number_format
    return cells


class _Dated(NamedTuple):
    """A value pandas writes with a number format of its own (dates, times, durations)."""
    value: object
    number_format: str


def _excel_value(value):
    """``value`` as pandas' ``to_excel`` (openpyxl engine) writes it: missing as "" (an empty cell), infinities
    as "inf"/"-inf", numpy numbers and bools as Python ones, dates with pandas' formats, anything else as text."""
    kind = type(value)
    if kind is float:
        return value if value - value == 0 else ("" if value != value else ("inf" if value > 0 else "-inf"))
    if (kind is str and len(value) <= EXCEL_MAX_TEXT) or kind is int or kind is bool:
        return value
    return _other_excel_value(value)


def _other_excel_value(value):
    """:func:`_excel_value` for what is not a plain float, int, bool or short str (pandas' own checks, in its order)."""
    from pandas.api.types import is_bool, is_float, is_integer, is_scalar

    if is_scalar(value) and pd.isna(value):
        return ""
    if is_float(value):
        return _excel_value(float(value))
    if getattr(value, "tzinfo", None) is not None:
        raise ValueError("Excel does not support datetimes with timezones. Please ensure that datetimes are timezone unaware "
                         "before writing to Excel.")
    if is_integer(value):
        return int(value)
    if is_bool(value):
        return bool(value)
    if isinstance(value, Decimal):
        return value
    return _dated_or_text(value)


def _dated_or_text(value):
    if isinstance(value, datetime.datetime):
        return _Dated(value, "YYYY-MM-DD HH:MM:SS")
    if isinstance(value, datetime.date):
        return _Dated(value, "YYYY-MM-DD")
    if isinstance(value, datetime.timedelta):
        return _Dated(value.total_seconds() / 86400, "0")
    text = str(value)
    if len(text) > EXCEL_MAX_TEXT:  # as pandas: a warning; openpyxl cuts the text
        warnings.warn("Cell contents too long, truncated to 32767 characters", UserWarning, stacklevel=2)
    return text


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
