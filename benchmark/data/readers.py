"""Reading published files with errors a person can act on.

Every reader returns a DataFrame whose index is the row number a person sees when opening the file
(line number of a CSV, row number of a spreadsheet), so that later checks can name the exact row.
Structural problems (missing file, empty file, wrong encoding, missing columns) raise
:class:`~benchmark.errors.DataError` at once; value problems are collected by :class:`ProblemLog`
and raised together, one line each.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.errors import DataError, Problem
from benchmark.files import display_path

#: Markers publishers use for a value that is suppressed, not available or unreliable.  They become
#: missing (NaN), never zero.  ':' ASC-FR suppression; 'x' and '..' ONS/ASHE; '-' not applicable.
SUPPRESSION_MARKERS = frozenset({":", "x", "..", "-", "*", "[x]", "[c]", "[z]"})


class ProblemLog:
    """Collects every problem found in one pass, then raises them together."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: Path | str, message: str, row: int | None = None, column: str | None = None) -> None:
        file = display_path(Path(path)) if isinstance(path, Path) else path
        self.problems.append(Problem(file=file, message=message, row=row, column=column))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise DataError(self.problems)


def detect_in_folder(folder: Path, detect: Callable[[Path], object | None]) -> tuple[dict[str, list], list[Problem]]:
    """The files directly in ``folder`` that ``detect`` recognises, grouped by the ``year`` of what
    it returns, and the problems of those it recognised but could not read (files it returns None
    for are another publication's, and skipped).  A missing folder is a :class:`DataError`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(Problem(display_path(folder), "folder not found (see data/README.md for what belongs here)"))
    problems: list[Problem] = []
    by_year: dict[str, list] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        try:
            found = detect(path)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        if found is not None:
            by_year.setdefault(found.year, []).append(found)
    return by_year, problems


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise DataError(Problem(display_path(path), "file not found (see data/README.md for what belongs here)"))
    if path.stat().st_size == 0:
        raise DataError(Problem(display_path(path), "file is empty; expected a header row and data"))


def read_csv(path: Path, required: Sequence[str] = (), *, strip_headers: bool = True) -> pd.DataFrame:
    """Read a CSV as text columns, index = line number in the file (header is line 1).

    All columns are read as strings so that suppression markers and stray text survive to be
    reported by :func:`to_number`, rather than silently becoming NaN.
    """
    path = Path(path)
    _require_file(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            Problem(display_path(path), f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as 'CSV UTF-8'", row=line)
        ) from None
    if not text.strip():
        raise DataError(Problem(display_path(path), "file is empty; expected a header row and data"))
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, csv.Error) as exc:
        raise DataError(Problem(display_path(path), f"not a readable CSV table ({exc})")) from None
    if strip_headers:
        frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    require_columns(frame, required, path)
    if frame.empty:
        raise DataError(Problem(display_path(path), "file has a header row but no data rows"))
    return frame


def require_columns(frame: pd.DataFrame, required: Sequence[str], path: Path | str) -> None:
    """Raise one problem per required column that is absent, listing what was found."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = ", ".join(repr(c) for c in frame.columns[:12])
        file = display_path(Path(path))
        raise DataError([Problem(file, f"required column missing (found: {found})", column=c) for c in missing])


def read_excel_table(path: Path, sheet: str | int, header_first_cell: str | Sequence[str], *, search_rows: int = 30) -> pd.DataFrame:
    """Read a published workbook sheet whose table starts below notes and titles.

    The header row is the first row (within ``search_rows``) whose first cell equals one of
    ``header_first_cell`` (case-insensitive, spaces trimmed).  The index is the spreadsheet row
    number of each data row.
    """
    path = Path(path)
    _require_file(path)
    wanted = {header_first_cell.lower()} if isinstance(header_first_cell, str) else {h.lower() for h in header_first_cell}
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for corrupt or non-Excel files
        raise DataError(Problem(display_path(path), f"not a readable Excel workbook ({exc})")) from None
    with book:
        sheets = book.sheet_names
        if isinstance(sheet, str):
            match = [s for s in sheets if s.strip().lower() == sheet.strip().lower()]
            if not match:
                raise DataError(Problem(display_path(path), f"sheet '{sheet}' not found (sheets: {', '.join(sheets)})"))
            sheet = match[0]
        # Only empty cells are missing: text such as 'NA' or 'n/a' must reach to_number to be reported.
        grid = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object, keep_default_na=False, na_values=[""])
    first_cells = grid.iloc[:search_rows, 0].astype(str).str.strip().str.lower()
    hits = np.flatnonzero(first_cells.isin(wanted).to_numpy())
    if hits.size == 0:
        raise DataError(
            Problem(display_path(path), f"no header row starting with {sorted(wanted)} in the first {search_rows} rows of sheet '{sheet}'")
        )
    header_at = int(hits[0])
    header = [_header_text(v) for v in grid.iloc[header_at]]
    table = grid.iloc[header_at + 1 :].copy()
    table.columns = header
    table.index = pd.RangeIndex(header_at + 2, header_at + 2 + len(table), name="row")
    return table


def _header_text(value: object) -> str:
    """Header cells in ONS workbooks mix text and numbers (ages 0.0, 1.0, ...): give clean text."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def to_number(
    values: pd.Series,
    path: Path,
    column: str,
    log: ProblemLog,
    *,
    minimum: float | None = None,
    suppression: frozenset[str] = SUPPRESSION_MARKERS,
) -> pd.Series:
    """Parse a column to float: thousands commas allowed, suppression markers become NaN.

    Anything else that is not a number, or a number below ``minimum``, is logged with its row.
    """
    text = values.astype("string").str.strip().str.replace(",", "", regex=False)
    suppressed = text.isin(suppression) | text.isna() | (text == "")
    numbers = pd.to_numeric(text.where(~suppressed), errors="coerce")
    bad = numbers.isna() & ~suppressed
    for row, original in values[bad].items():
        log.add(path, f"expected a number, found '{original}'", row=int(row), column=column)
    if minimum is not None:
        for row, number in numbers[numbers < minimum].items():
            log.add(path, f"expected a value of at least {minimum:g}, found {number:g}", row=int(row), column=column)
    return numbers.astype("float64")
