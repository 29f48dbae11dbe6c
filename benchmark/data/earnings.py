"""Earnings by council from the ONS Annual Survey of Hours and Earnings (ASHE), Table 8.7a.

Sources: ``earnings/Home Geography Table 8.7a   Annual pay - Gross <year>.xls`` for 2015 to 2020
and ``earnings/PROV - Home Geography Table 8.7a   Annual pay - Gross 2021.xls`` (provisional
results).  Only sheet ``All`` (all employee jobs, by place of residence) is read; its header row is
the one whose first cell is ``Description``, data rows follow, footnotes sit at the bottom.

Tidy columns: council, year, measure, value, unit, source.

* ``year``: the survey year (``"2015"`` .. ``"2021"``, reference date in April of that year).
* ``measure``: ``median_annual_gross_pay`` and ``mean_annual_gross_pay`` (unit ``gbp``), and
  ``jobs_thousands`` (unit ``thousand_jobs``; ONS say the job counts are indicative only).
* ``source``: ``ashe_table8_7a_<year>``; a provisional file (name starting ``PROV``) gets
  ``ashe_table8_7a_<year>_provisional`` so that it is never mistaken for the revised figures.
* ``value``: NaN where ONS suppressed the estimate (``x``: coefficient of variation over 20%,
  ``..``: disclosive) or left the cell blank; never 0.

Only English upper-tier council rows are kept (the tables also list countries, regions, shire
districts, Welsh, Scottish and Northern Irish areas).  Each file is on the geography of the
following April, so council coverage changes a year before the councils themselves do: the 2018
table already has Bournemouth, Christchurch and Poole and Dorset (not Bournemouth, Poole, Dorset
County), 2019 has Buckinghamshire unitary (not the county), 2020 and 2021 have North and West
Northamptonshire (not the county).  City of London and the Isles of Scilly are present but their
median and job count are suppressed (``x``, ``..`` or blank) in every year.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from benchmark.data.readers import ProblemLog, read_excel_table, require_columns, to_number
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, tidy

#: Survey year -> file under the raw data folder.
EARNINGS_FILES: dict[str, str] = {
    **{str(y): f"earnings/Home Geography Table 8.7a   Annual pay - Gross {y}.xls" for y in range(2015, 2021)},
    "2021": "earnings/PROV - Home Geography Table 8.7a   Annual pay - Gross 2021.xls",
}

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


def is_provisional(path: Path) -> bool:
    """ONS mark provisional ASHE tables by a ``PROV`` prefix on the file name."""
    return bool(re.match(r"^prov\b", Path(path).name.strip(), flags=re.IGNORECASE))


def source_id(year: str, provisional: bool) -> str:
    return f"ashe_table8_7a_{year}" + ("_provisional" if provisional else "")


def _read_table(path: Path, year: str, log: ProblemLog) -> pd.DataFrame:
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
    source = source_id(year, is_provisional(path))
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

    ``files`` maps survey year to workbook path (default :data:`EARNINGS_FILES` under ``raw_dir``).
    Raises :class:`~benchmark.errors.DataError` for a missing or unreadable file, missing sheet or
    column, a duplicated council or a value that is neither a number nor a suppression marker.
    """
    raw_dir = Path(raw_dir)
    chosen = {year: raw_dir / name for year, name in EARNINGS_FILES.items()} if files is None else files
    log = ProblemLog()
    parts = [_read_table(Path(path), str(year), log) for year, path in chosen.items()]
    log.raise_if_any()
    return tidy(pd.concat(parts, ignore_index=True))
