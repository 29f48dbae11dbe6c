"""Earnings by council from the ONS Annual Survey of Hours and Earnings (ASHE), Table 8.7a.

Source: ONS's "Home Geography Table 8.7a Annual pay - Gross" workbooks, one per survey year, found
in ``raw/earnings/`` (the folder itself, not subfolders) by their content, never by a list of names
or years (:func:`find_files`).  A workbook is Table 8.7a when one of its sheets' title (the first
text in column A) starts ``Table 8.7a`` and speaks of ``Annual pay - Gross``; a workbook with no
such title (another ASHE table, notes, another publication) is left alone.  For a Table 8.7a
workbook:

* the survey year is the last four-digit number in the title of sheet ``All`` (ONS end it with
  ``United Kingdom, <year>``); the reference date is in April of that year;
* it is *provisional* when its title says so or its file name starts ``PROV`` (ONS's marking),
  otherwise revised (final);
* only sheet ``All`` (all employee jobs, by place of residence) is read; its header row is the one
  whose first cell is ``Description``, data rows follow, footnotes sit at the bottom.

Two workbooks of the same year: the revised one is read and the provisional one left out, with a
warning saying so; two revised (or two provisional) workbooks of one year are an error.  A workbook
that is Table 8.7a but cannot be read (no sheet ``All``, no year in its title, no header row) is a
:class:`~benchmark.errors.DataError` naming the file and sheet.

Tidy columns: council, year, measure, value, unit, source.

* ``year``: the survey year, as the title gives it.
* ``measure``: ``median_annual_gross_pay`` and ``mean_annual_gross_pay`` (unit ``gbp``), and
  ``jobs_thousands`` (unit ``thousand_jobs``; ONS say the job counts are indicative only).
* ``source``: the id :data:`~benchmark.data.sources.SOURCES` gives the file's path (relative to
  ``raw/``); a file not described there gets ``ashe_table8_7a_<year>``, or
  ``ashe_table8_7a_<year>_provisional`` for provisional results, so that they are never mistaken
  for the revised figures.
* ``value``: NaN where ONS suppressed the estimate (``x``: coefficient of variation over 20%,
  ``..``: disclosive) or left the cell blank; never 0.

Only English upper-tier council rows are kept (the tables also list countries, regions, shire
districts, Welsh, Scottish and Northern Irish areas).  Each file is on the geography of the
following April, so council coverage changes a year before the councils themselves do (history:
the 2018 table already has Bournemouth, Christchurch and Poole and Dorset, not Bournemouth, Poole,
Dorset County; 2019 has Buckinghamshire unitary, not the county; 2020 and 2021 have North and West
Northamptonshire, not the county).  City of London and the Isles of Scilly are present but their
median and job count are suppressed (``x``, ``..`` or blank) in the shipped years.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.data.readers import ProblemLog, detect_in_folder, display_path, read_excel_table, require_columns, to_number
from benchmark.data.sources import SOURCES
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, tidy
from benchmark.errors import DataError, Problem

logger = logging.getLogger(__name__)

#: The folder, under ``raw/``, whose files (not subfolders) are looked at.
FOLDER = "earnings"
#: File types looked inside (the calamine engine reads them all); anything else is not a workbook.
WORKBOOK_SUFFIXES = frozenset({".xls", ".xlsx", ".xlsm", ".xlsb", ".ods"})
#: Rows of each sheet looked at to recognise the table.
TITLE_ROWS = 10

#: A sheet title of the publication, after collapsing runs of spaces and lower-casing.
TITLE_PATTERN = re.compile(r"^table 8\.7a\b.*\bannual pay\s*-\s*gross\b")
#: The survey year: the last four-digit number of the title ("... United Kingdom, <year>").
YEAR_IN_TITLE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
PROVISIONAL_IN_TITLE = re.compile(r"\bprovisional\b", re.IGNORECASE)
PROVISIONAL_NAME = re.compile(r"^prov\b", re.IGNORECASE)

SHEET = "All"
HEADER_FIRST_CELL = "Description"
CODE_COLUMN = "Code"
#: header text in the table -> (measure, unit).  The job count's header spans three rows
#: ("Number", "of jobs", "(thousand)"); the row read as the header holds "(thousand)".
MEASURES: dict[str, tuple[str, str]] = {
    "Median": ("median_annual_gross_pay", "gbp"),
    "Mean": ("mean_annual_gross_pay", "gbp"),
    "(thousand)": ("jobs_thousands", "thousand_jobs"),
}
PUBLICATION = "ashe_table8_7a"


@dataclass(frozen=True)
class EarningsFile:
    """One Table 8.7a workbook: where it is, the survey year its title gives, and whether provisional."""

    path: Path
    year: str
    provisional: bool
    title: str = ""


def is_provisional(path: Path, title: str = "") -> bool:
    """ONS mark provisional ASHE tables by a ``PROV`` prefix on the file name (or say so in the title)."""
    return bool(PROVISIONAL_NAME.match(Path(path).name.strip())) or bool(PROVISIONAL_IN_TITLE.search(title))


def source_id(year: str, provisional: bool) -> str:
    """The id of a file :data:`~benchmark.data.sources.SOURCES` does not describe."""
    return f"{PUBLICATION}_{year}" + ("_provisional" if provisional else "")


def _source_for(path: Path, raw_dir: Path | None, year: str, provisional: bool) -> str:
    """The id SOURCES gives the file's path relative to ``raw/``; else one from publication and year."""
    if raw_dir is not None:
        try:
            relative = Path(path).resolve().relative_to(Path(raw_dir).resolve()).as_posix()
        except ValueError:
            relative = None
        for source in SOURCES:
            if source.path == relative:
                return source.id
    return source_id(year, provisional)


def _normalise(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def _title(grid: pd.DataFrame) -> str:
    """The first text in column A of a sheet's first rows ('' if none)."""
    if grid.empty:
        return ""
    for cell in grid.iloc[:, 0]:
        if isinstance(cell, str) and cell.strip():
            return re.sub(r"\s+", " ", cell).strip()
    return ""


def detect(path: Path) -> EarningsFile | None:
    """The survey year and status of a Table 8.7a workbook; None for any other file.

    Raises :class:`DataError` (one line) for a workbook that cannot be opened, or that is Table 8.7a
    but lacks sheet ``All`` or a year in its title.
    """
    path = Path(path)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES or path.name.startswith(("~$", ".")):
        return None
    file = display_path(path)
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="calamine", nrows=TITLE_ROWS, dtype=object)
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for corrupt or non-Excel files
        raise DataError(Problem(file, f"not a readable Excel workbook ({exc})")) from None
    titles = {name: _title(grid) for name, grid in sheets.items()}
    if not any(TITLE_PATTERN.match(_normalise(t)) for t in titles.values()):
        return None  # another publication
    match = [name for name in titles if name.strip().lower() == SHEET.lower()]
    if not match:
        raise DataError(Problem(file, f"ASHE Table 8.7a workbook without sheet '{SHEET}' (sheets: {', '.join(titles)})"))
    title = titles[match[0]]
    if not TITLE_PATTERN.match(_normalise(title)):
        raise DataError(Problem(file, f"sheet '{match[0]}': title '{title}' is not 'Table 8.7a Annual pay - Gross ...'", row=1, column="A"))
    years = YEAR_IN_TITLE.findall(title)
    if not years:
        raise DataError(Problem(file, f"sheet '{match[0]}': no survey year in title '{title}'", row=1, column="A"))
    return EarningsFile(path, years[-1], is_provisional(path, title), title)


def find_files(raw_dir: Path | str) -> list[EarningsFile]:
    """The Table 8.7a workbooks directly in ``raw/earnings/``, one per survey year, by year.

    Where a year has a revised and a provisional workbook, the revised one is kept and a warning
    names the provisional one left out.  Raises :class:`DataError` for a missing folder, a folder
    with no Table 8.7a workbook, an unreadable workbook, or two revised (or two provisional)
    workbooks of one year.
    """
    folder = Path(raw_dir) / FOLDER
    by_year, problems = detect_in_folder(folder, detect)
    chosen: list[EarningsFile] = []
    for year in sorted(by_year):
        candidates = by_year[year]
        revised = [f for f in candidates if not f.provisional]
        kept = revised or candidates
        if len(kept) > 1:
            status = "revised" if revised else "provisional"
            names = ", ".join(f"'{f.path.name}'" for f in kept)
            problems.append(Problem(display_path(folder), f"{len(kept)} {status} ASHE Table 8.7a workbooks for {year} ({names}); keep one"))
            continue
        for dropped in candidates:
            if dropped is not kept[0]:
                logger.warning("%s: provisional ASHE Table 8.7a for %s not read: superseded by the revised '%s'",
                            display_path(dropped.path), year, kept[0].path.name)
        chosen.append(kept[0])
    if problems:
        raise DataError(problems)
    if not chosen:
        raise DataError(Problem(display_path(folder), "no ASHE Table 8.7a workbook found (a sheet 'All' titled "
                                "'Table 8.7a Annual pay - Gross ... <year>'); see data/README.md"))
    return chosen


def _read_table(path: Path, year: str, source: str, log: ProblemLog) -> pd.DataFrame:
    table = read_excel_table(path, SHEET, HEADER_FIRST_CELL)
    require_columns(table, [CODE_COLUMN, *MEASURES], path)
    codes = table[CODE_COLUMN].astype("string").str.strip()
    keep = codes.str.match(COUNCIL_CODE_PATTERN.pattern).fillna(False).astype(bool)
    rows = table.loc[keep]
    council = codes[keep]
    repeated = council.duplicated()
    first_row = pd.Series(council.index[~repeated], index=council[~repeated].to_numpy())
    for row in council.index[repeated]:
        log.add(
            path,
            f"council '{council[row]}' appears twice (also row {int(first_row[council[row]])})",
            row=int(row),
            column=CODE_COLUMN,
        )
    if rows.empty:
        log.add(path, f"sheet '{SHEET}': no rows with an English upper-tier council code in column '{CODE_COLUMN}'")
    parts = []
    for header, (measure, unit) in MEASURES.items():
        values = to_number(rows[header], path, header, log, minimum=0)
        parts.append(
            pd.DataFrame(
                {
                    "council": council.to_numpy(),
                    "year": year,
                    "measure": measure,
                    "value": values.to_numpy(),
                    "unit": unit,
                    "source": source,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def load_earnings(raw_dir: Path | str, files: Mapping[str, Path | str] | None = None) -> pd.DataFrame:
    """Tidy table of ASHE annual gross pay (median, mean) and job counts by upper-tier council.

    By default every Table 8.7a workbook in ``raw_dir/earnings`` is read, each for the survey year
    its title gives (:func:`find_files`).  ``files`` instead maps a survey year to a workbook path,
    read for that year without looking at its title (a provisional file is still told by its name).
    Raises :class:`~benchmark.errors.DataError` for a missing folder or file, an unreadable file,
    missing sheet or column, a duplicated council or a value that is neither a number nor a
    suppression marker.
    """
    raw_dir = Path(raw_dir)
    if files is None:
        chosen = [(f.path, f.year, f.provisional) for f in find_files(raw_dir)]
    else:
        chosen = [(Path(path), str(year), is_provisional(Path(path))) for year, path in files.items()]
    problems = ProblemLog()
    parts = [_read_table(path, year, _source_for(path, raw_dir, year, provisional), problems) for path, year, provisional in chosen]
    problems.raise_if_any()
    return tidy(pd.concat(parts, ignore_index=True))
