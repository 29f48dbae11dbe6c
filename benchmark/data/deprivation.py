"""English Indices of Deprivation: upper-tier local authority summaries, every edition present.

Two forms, each found by its content, never by a list of names or editions:

* MHCLG's File 11 ("Local Authority District Summaries (upper-tier)") workbooks, directly in
  ``raw/deprivation/`` (IoD2015, IoD2019), described below;
* district (lower-tier) summaries as a long CSV, anywhere under ``raw/deprivation/`` (IoD2025, in
  ``iod2025/``), aggregated to upper tier population-weighted for shire counties (an
  approximation; see "lower-tier (district) summaries" further down).  An edition with a File 11
  workbook is read from the workbook.

File 11 (:func:`find_files`):

* a workbook is File 11 when a sheet's header row (within its first rows) starts with the column
  ``Upper Tier Local Authority District code`` (with or without a geography year in brackets);
  other IoD files (LSOA-level files, lower-tier summaries) and other publications are left alone;
* the edition (``year``) is the one the title states, ``English Indices of Deprivation <year>``
  (in the Notes sheet, where MHCLG put it in a text box, or in its cells), or else the year in the
  IMD sheet's headers (``IMD <year> - Extent``); a File 11 workbook that states no edition, or whose
  title and headers disagree, is a :class:`~benchmark.errors.DataError`, as are two files of one
  edition;
* ``source`` is the id :data:`~benchmark.data.sources.SOURCES` gives the file's path (relative to
  ``raw/``); a file not described there gets ``iod<year>_upper_tier``.

The year is the edition of the index, not the year the underlying data describe (IoD2019, for
example, mostly uses 2015-16 data), nor the geography year in the code column's header (IoD2015's
says "(2013)" though its codes are the current ones).  Each edition is on the upper-tier councils
of its publication (history: IoD2015 has 152, with Bournemouth, Poole and Dorset County; IoD2019
has 151, with Bournemouth, Christchurch and Poole and Dorset).  City of London (E09000001) and the
Isles of Scilly (E06000053) have rows of their own.

Each workbook has one sheet per domain (IMD, Income, Employment, Education, Health, Crime,
Barriers, Living, IDACI, IDAOPI) with the header row found by its first cell (row 1 in the
shipped editions), code and name in the first two columns and one column per summary measure.
Header wording differs between editions (``"IMD <year> - Extent "`` vs ``"IMD - Extent"``,
``"Income scale"`` vs ``"Income - Scale"``, long index names such as ``"Income Deprivation Affecting
Older People (IDAOPI) - Average rank"``), so every header is mapped explicitly by pattern to a
normalised measure name; a header that matches no pattern is an error naming the file, sheet and
header rather than a silently dropped column.

Measures (``measure``) and units (``unit``):

=============================================== =========== ========================================
measure                                         unit        meaning
=============================================== =========== ========================================
``average_rank``                                rank        population-weighted mean of LSOA ranks
``rank_of_average_rank``                        rank        1 = most deprived council
``average_score``                               score       population-weighted mean LSOA score
``rank_of_average_score``                       rank        1 = most deprived council
``proportion_lsoas_most_deprived_10pct``        proportion  share of LSOAs in the most deprived 10%
``rank_of_proportion_lsoas_most_deprived_10pct`` rank
``extent`` (IMD only)                           proportion  share of population in the most
                                                            deprived 30% of LSOAs (weighted)
``rank_of_extent``                              rank
``local_concentration`` (IMD only)              rank        population-weighted mean rank of the
                                                            council's most deprived LSOAs (10% of
                                                            its population)
``rank_of_local_concentration``                 rank
``scale`` (income, employment only)             persons     number of people income / employment
                                                            deprived
``rank_of_scale``                               rank
=============================================== =========== ========================================

``domain`` is one of ``imd``, ``income``, ``employment``, ``education``, ``health``, ``crime``,
``barriers``, ``living``, ``idaci``, ``idaopi``.  Proportions are fractions (0.3621), not percent.
"""
from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.data.readers import ProblemLog, detect_in_folder, display_path, read_excel_table, to_number
from benchmark.data.sources import SOURCES
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, tidy
from benchmark.errors import DataError, Problem, UserError

#: The folder, under ``raw/``, whose files (not subfolders) are looked at.
FOLDER = "deprivation"
#: File types looked inside (the calamine engine reads them all).
WORKBOOK_SUFFIXES = frozenset({".xls", ".xlsx", ".xlsm", ".xlsb", ".ods"})
#: Rows of each sheet searched for the title and the header row.
HEADER_SEARCH_ROWS = 5
NOTES_ROWS = 30

#: First cell of a File 11 header row, after collapsing spaces and lower-casing; the bracketed
#: year is the geography's, not the edition's.
HEADER_FIRST_CELL = re.compile(r"upper[ -]tier local authority district code(?: \(\d{4}\))?")
#: The edition, as the title states it ("English Indices of Deprivation <year>", "IoD<year>").
EDITION_IN_TITLE = re.compile(r"indices of deprivation,? (\d{4})(?!\d)|\biod ?(\d{4})(?!\d)", re.IGNORECASE)
#: The edition in an IMD header ("IMD <year> - Extent").
EDITION_IN_HEADER = re.compile(r"^imd (\d{4}) -", re.IGNORECASE)
#: Words of a title that mark File 11 (used to report, not to skip, a File 11 that cannot be read).
FILE_11_TITLE = re.compile(r"\bfile 11\b", re.IGNORECASE)
PUBLICATION = "iod"
#: The sheet whose headers may carry the edition.
IMD_SHEET = "IMD"

#: Sheet name -> (domain, regular expression for the domain's name as it prefixes headers).
#: Headers are compared after lower-casing and collapsing runs of spaces.
DOMAIN_SHEETS: dict[str, tuple[str, str]] = {
    "IMD": ("imd", r"imd(?: \d{4})?"),  # "IMD <edition> - Extent" in some editions
    "Income": ("income", r"income"),
    "Employment": ("employment", r"employment"),
    "Education": ("education", r"education, skills and training"),
    "Health": ("health", r"health deprivation and disability"),
    "Crime": ("crime", r"crime"),
    "Barriers": ("barriers", r"barriers to housing and services"),
    "Living": ("living", r"living environment"),
    "IDACI": ("idaci", r"(?:income deprivation affecting children index \(idaci\)|idaci)"),
    "IDAOPI": ("idaopi", r"(?:income deprivation affecting older people(?: index)? \(idaopi\)|idaopi)"),
}

_PROPORTION_10PCT = r"proportion of lsoas in most deprived 10% nationally"

#: measure -> (header pattern with ``{d}`` standing for the domain prefix, unit).
MEASURE_PATTERNS: dict[str, tuple[str, str]] = {
    "average_rank": (r"{d} - average rank", "rank"),
    "rank_of_average_rank": (r"{d} - rank of average rank", "rank"),
    "average_score": (r"{d} - average score", "score"),
    "rank_of_average_score": (r"{d} - rank of average score", "rank"),
    "proportion_lsoas_most_deprived_10pct": (r"{d} - " + _PROPORTION_10PCT, "proportion"),
    "rank_of_proportion_lsoas_most_deprived_10pct": (r"{d} - rank of " + _PROPORTION_10PCT, "rank"),
    "extent": (r"{d} - extent", "proportion"),
    "rank_of_extent": (r"{d} - rank of extent", "rank"),
    "local_concentration": (r"{d} - local concentration", "rank"),
    "rank_of_local_concentration": (r"{d} - rank of local concentration", "rank"),
    "scale": (r"{d}(?: -)? scale", "persons"),
    "rank_of_scale": (r"(?:{d} - rank of scale|rank of {d} scale)", "rank"),
}

#: Measures every domain sheet must carry.
REQUIRED_MEASURES = ("average_rank", "average_score", "rank_of_average_score")


def _normalise_header(header: str) -> str:
    return re.sub(r"\s+", " ", str(header)).strip().lower()


def match_measure(header: str, sheet: str) -> str | None:
    """Normalised measure name for one header of a domain sheet, or None if no pattern matches."""
    _, prefix = DOMAIN_SHEETS[sheet]
    text = _normalise_header(header)
    hits = [m for m, (pattern, _) in MEASURE_PATTERNS.items() if re.fullmatch(pattern.format(d=prefix), text)]
    return hits[0] if len(hits) == 1 else None


@dataclass(frozen=True)
class DeprivationFile:
    """One File 11 workbook: where it is, its edition and each domain sheet's header first cell."""

    path: Path
    year: str
    header_cells: dict = field(default_factory=dict, compare=False, hash=False)  # sheet -> header's first cell


def _source_for(path: Path, raw_dir: Path | None, year: str) -> str:
    """The id SOURCES gives the file's path relative to ``raw/``; else one from publication and edition."""
    if raw_dir is not None:
        try:
            relative = Path(path).resolve().relative_to(Path(raw_dir).resolve()).as_posix()
        except ValueError:
            relative = None
        for source in SOURCES:
            if source.path == relative:
                return source.id
    return f"{PUBLICATION}{year}_upper_tier"


def _header_cell(grid: pd.DataFrame) -> tuple[int, str] | None:
    """(0-based row, text) of the File 11 header row in a sheet's first rows, or None."""
    if grid.empty:
        return None
    for row, cell in enumerate(grid.iloc[:HEADER_SEARCH_ROWS, 0]):
        if isinstance(cell, str) and HEADER_FIRST_CELL.fullmatch(_normalise_header(cell)):
            return row, cell
    return None


def _text_boxes(path: Path) -> list[str]:
    """The text of a workbook's text boxes (drawings), where MHCLG put the Notes sheet's title."""
    if not zipfile.is_zipfile(path):
        return []
    texts: list[str] = []
    try:
        with zipfile.ZipFile(path) as book:
            for name in sorted(n for n in book.namelist() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)):
                xml = book.read(name).decode("utf-8", errors="replace")
                for paragraph in re.findall(r"<a:p>.*?</a:p>|<a:p .*?</a:p>", xml, flags=re.DOTALL):
                    text = "".join(re.findall(r"<a:t>([^<]*)</a:t>", paragraph))
                    if text.strip():
                        texts.append(html.unescape(text))
    except (zipfile.BadZipFile, OSError, KeyError):
        return []
    return texts


def _cell_texts(grid: pd.DataFrame) -> list[str]:
    return [cell for cell in grid.to_numpy().ravel() if isinstance(cell, str) and cell.strip()]


def _edition(path: Path, sheets: dict[str, pd.DataFrame], imd_header: list[str]) -> str:
    """The edition the title states, else the one in the IMD headers; a DataError if neither or both disagree."""
    file = display_path(path)
    notes = [texts for name, grid in sheets.items() if name.strip().lower() == "notes" for texts in _cell_texts(grid)]
    others = [text for name, grid in sheets.items() if name.strip().lower() != "notes" for text in _cell_texts(grid.iloc[:HEADER_SEARCH_ROWS])]
    title_year = None
    for text in [*_text_boxes(path), *notes, *others]:
        hit = EDITION_IN_TITLE.search(text)
        if hit:
            title_year = hit.group(1) or hit.group(2)
            break
    header_years = sorted({m.group(1) for h in imd_header if (m := EDITION_IN_HEADER.match(_normalise_header(h)))})
    if len(header_years) > 1:
        raise DataError(Problem(file, f"sheet '{IMD_SHEET}': headers name more than one edition ({', '.join(header_years)})"))
    if title_year and header_years and header_years[0] != title_year:
        raise DataError(Problem(file, f"title says English Indices of Deprivation {title_year} but sheet '{IMD_SHEET}' headers say IMD {header_years[0]}"))
    year = title_year or (header_years[0] if header_years else None)
    if year is None:
        raise DataError(Problem(file, "IoD File 11 workbook that states no edition (expected 'English Indices of Deprivation <year>' "
                                      f"in the Notes sheet, or 'IMD <year> - ...' headers in sheet '{IMD_SHEET}')"))
    return year


def detect(path: Path) -> DeprivationFile | None:
    """The edition of a File 11 (upper-tier summaries) workbook and its header rows; None for any other file.

    Raises :class:`DataError` (one line) for a workbook that cannot be opened, or that is File 11
    but has no IMD sheet with a header row, or states no edition.
    """
    path = Path(path)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES or path.name.startswith(("~$", ".")):
        return None
    file = display_path(path)
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="calamine", nrows=NOTES_ROWS, dtype=object)
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for corrupt or non-Excel files
        raise DataError(Problem(file, f"not a readable Excel workbook ({exc})")) from None
    headers = {name: hit for name, grid in sheets.items() if (hit := _header_cell(grid)) is not None}
    if not headers:
        titled = any(FILE_11_TITLE.search(t) for t in _text_boxes(path)) or any(
            FILE_11_TITLE.search(t) for grid in sheets.values() for t in _cell_texts(grid.iloc[:HEADER_SEARCH_ROWS]))
        if not titled:
            return None  # another publication, or another IoD file
    imd = [name for name in sheets if name.strip().lower() == IMD_SHEET.lower()]
    if not imd or imd[0] not in headers:
        where = f"sheet '{imd[0]}'" if imd else f"no sheet '{IMD_SHEET}' (sheets: {', '.join(sheets)})"
        raise DataError(Problem(file, f"IoD File 11 workbook: {where}: no header row starting 'Upper Tier Local Authority "
                                      f"District code' in the first {HEADER_SEARCH_ROWS} rows"))
    row = headers[imd[0]][0]
    imd_header = [str(h) for h in sheets[imd[0]].iloc[row] if isinstance(h, str)]
    year = _edition(path, sheets, imd_header)
    return DeprivationFile(path, year, {name: cell for name, (_, cell) in headers.items()})


def find_files(raw_dir: Path | str) -> list[DeprivationFile]:
    """The File 11 workbooks directly in ``raw/deprivation/`` (not its subfolders), by edition.

    Raises :class:`DataError` for a missing folder, a folder with no File 11 workbook, a File 11
    workbook that cannot be read, or two of one edition.
    """
    folder = Path(raw_dir) / FOLDER
    by_year, problems = detect_in_folder(folder, detect)
    for year, same in sorted(by_year.items()):
        if len(same) > 1:
            names = ", ".join(f"'{f.path.name}'" for f in same)
            problems.append(Problem(display_path(folder), f"{len(same)} IoD File 11 workbooks of edition {year} ({names}); keep one"))
    if problems:
        raise DataError(problems)
    if not by_year:
        raise DataError(Problem(display_path(folder), "no IoD File 11 (upper-tier local authority summaries) workbook found "
                                "(sheets IMD, Income ... with a header starting 'Upper Tier Local Authority District code'); "
                                "see data/README.md"))
    # newest edition first, as the loader always listed them
    return [same[0] for _, same in sorted(by_year.items(), reverse=True)]


def _header_cells(path: Path) -> dict[str, str]:
    """Each sheet's header first cell, for a file given by year rather than detected."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="calamine", nrows=HEADER_SEARCH_ROWS, dtype=object)
    except Exception:  # noqa: BLE001 - reported by read_excel_table, with the file's name
        return {}
    return {name: hit[1] for name, grid in sheets.items() if (hit := _header_cell(grid)) is not None}


def _read_edition(path: Path, year: str, source: str, header_cells: dict[str, str], log: ProblemLog) -> list[pd.DataFrame]:
    file = display_path(path)
    parts: list[pd.DataFrame] = []
    by_sheet = {name.strip().lower(): cell for name, cell in header_cells.items()}
    for sheet, (domain, _) in DOMAIN_SHEETS.items():
        # The header row is the one whose first cell is the code column's header (found by
        # content); for a sheet where none was found, read_excel_table reports the sheet, looking
        # for the header text of the file's other sheets.
        wanted = by_sheet.get(sheet.lower()) or sorted(set(header_cells.values())) or "Upper Tier Local Authority District code"
        table = read_excel_table(path, sheet, wanted, search_rows=HEADER_SEARCH_ROWS)
        code_column = table.columns[0]
        codes = table.iloc[:, 0].astype("string").str.strip()
        keep = codes.str.match(COUNCIL_CODE_PATTERN.pattern).fillna(False).astype(bool)
        header_row = int(table.index.start) - 1

        measures = _sheet_measures(path, sheet, domain, table, keep, header_row, log)
        parts.extend(_measure_frames(path, sheet, domain, table, keep, codes, code_column, measures, year, source, log))
        if not keep.any():
            log.add(file, f"sheet '{sheet}': no rows with an English upper-tier council code in column '{code_column}'")
    return parts


def _sheet_measures(path: Path, sheet: str, domain: str, table: pd.DataFrame, keep: pd.Series, header_row: int,
                    log: ProblemLog) -> dict[str, str]:
    """Column header -> summary measure for the sheet's measure columns (after code and name); an
    unrecognised, repeated or missing measure, or a column with values but no header, logged."""
    measures: dict[str, str] = {}
    unrecognised = False
    for position, header in enumerate(table.columns[2:], start=2):
        values = table.iloc[:, position]
        if header in ("", "nan", "None"):
            if values[keep].notna().any():
                log.add(path, f"sheet '{sheet}': column {position + 1} has values but no header")
            continue
        measure = match_measure(header, sheet)
        if measure is None:
            unrecognised = True
            log.add(
                path,
                f"sheet '{sheet}': header '{header}' is not a recognised {domain} summary measure "
                "(expected e.g. '<domain> - Average score', '<domain> - Rank of extent')",
                row=header_row,
                column=header,
            )
            continue
        if measure in measures.values():
            log.add(path, f"sheet '{sheet}': header '{header}' repeats measure '{measure}'", row=header_row)
            continue
        measures[header] = measure
    for measure in REQUIRED_MEASURES:
        if measure not in measures.values() and not unrecognised:
            log.add(path, f"sheet '{sheet}': no column for measure '{measure}'", row=header_row)
    return measures


def _measure_frames(path: Path, sheet: str, domain: str, table: pd.DataFrame, keep: pd.Series, codes: pd.Series, code_column: str,
                    measures: dict[str, str], year: str, source: str, log: ProblemLog) -> list[pd.DataFrame]:
    """One tidy frame per measure of the sheet's council rows; a council listed twice logged."""
    rows = table.loc[keep]
    rows_codes = codes[keep]
    for row in rows_codes.index[rows_codes.duplicated()]:
        log.add(path, f"sheet '{sheet}': council '{rows_codes[row]}' appears twice", row=int(row), column=code_column)
    frames = []
    for header, measure in measures.items():
        values = to_number(rows[header], path, f"{sheet}: {header}", log)
        frames.append(
            pd.DataFrame(
                {
                    "council": rows_codes.to_numpy(),
                    "year": year,
                    "measure": measure,
                    "domain": domain,
                    "value": values.to_numpy(),
                    "unit": MEASURE_PATTERNS[measure][1],
                    "source": source,
                }
            )
        )
    return frames


def load_deprivation(raw_dir: Path | str, files: Mapping[str, Path | str] | None = None) -> pd.DataFrame:
    """Tidy table of the IoD upper-tier summaries, all domains and summary measures, every edition present.

    By default every File 11 workbook in ``raw_dir/deprivation`` is read, each for the edition it
    states (:func:`find_files`), newest first.  ``files`` instead maps an edition year to a workbook
    path, read for that edition without looking for its title.  Columns: council, year, measure,
    domain, value, unit, source.  Raises :class:`~benchmark.errors.DataError` for a missing folder
    or file, an unreadable file, a missing sheet, an unrecognised header or a value that is not a
    number (one line per problem).
    """
    raw_dir = Path(raw_dir)
    if files is None:
        chosen = [(f.path, f.year, f.header_cells) for f in find_files(raw_dir)]
    else:
        chosen = [(Path(path), str(year), _header_cells(Path(path))) for year, path in files.items()]
    log = ProblemLog()
    parts: list[pd.DataFrame] = []
    for path, year, header_cells in chosen:
        parts.extend(_read_edition(path, year, _source_for(path, raw_dir, year), header_cells, log))
    log.raise_if_any()
    if files is None:
        # editions published only as district summaries (IoD2025 here), aggregated to upper tier
        from_districts = load_district_editions(raw_dir, skip_years={year for _, year, _ in chosen})
        if from_districts is not None:
            parts.append(from_districts)
    frame = pd.concat(parts, ignore_index=True)
    return tidy(frame, breakdowns=["domain"])


def imd_score(deprivation: pd.DataFrame, year: str | int) -> pd.Series:
    """IMD average score by council for one edition (a ``year`` the table holds), index = council code."""
    year = str(year)
    rows = deprivation[(deprivation["domain"] == "imd") & (deprivation["measure"] == "average_score") & (deprivation["year"] == year)]
    if rows.empty:
        available = ", ".join(sorted(deprivation["year"].dropna().unique()))
        raise UserError(f"no IMD average score for year '{year}' (available: {available or 'none'})")
    series = rows.set_index("council")["value"].astype("float64")
    series.name = f"imd_{year}_average_score"
    return series


# ----------------------------------------------------------------------------------------------
# lower-tier (district) summaries in long CSV form, aggregated to upper tier
# ----------------------------------------------------------------------------------------------
#
# From IoD2025 MHCLG no longer ships an upper-tier File 11 here; what is shipped is File 10
# (lower-tier local authority summaries) reshaped to one row per district and index, found anywhere
# under raw/deprivation/ by its columns.  Unitaries, metropolitan districts and London boroughs are
# their own districts, so their rows are used as published.  A shire county's value is the
# population-weighted mean of its districts' values (IMD and domains weighted by all residents,
# IDACI by children aged 0-15 and IDAOPI by people aged 60+, the populations those indices count),
# using ONS mid-2021 district populations: an approximation of the upper-tier summary MHCLG would
# publish, which weights LSOAs by the populations the Indices themselves used (on IoD2019 the same
# method gives the 24 counties' published File 11 IMD scores within 0.10 points).  Ranks among
# districts are not ranks among upper-tier councils, so rank measures are not carried over.

#: Columns that mark a district summaries CSV (any other CSV under raw/deprivation/ is left alone).
DISTRICT_CSV_COLUMNS = ("area_code", "index_domain", "average_score", "average_rank", "deprivation_data_year")
#: index_domain as written in the CSV (lower-cased) -> domain.
DISTRICT_DOMAINS = {
    "index of multiple deprivation": "imd",
    "income deprivation": "income",
    "employment deprivation": "employment",
    "education, skills and training deprivation": "education",
    "health deprivation and disability": "health",
    "crime": "crime",
    "barriers to housing and services": "barriers",
    "living environment deprivation": "living",
    "income deprivation affecting children": "idaci",
    "income deprivation affecting older people": "idaopi",
}
#: Columns of the CSV carried to the upper-tier table (population-weighted means of LSOA values).
DISTRICT_MEASURES = {
    "average_score": "average_score",
    "average_rank": "average_rank",
    "proportion_bottom_decile": "proportion_lsoas_most_deprived_10pct",
}
#: The population each domain's county aggregate is weighted by: (first age, last age or None).
DISTRICT_WEIGHT_AGES = {"idaci": (0, 15), "idaopi": (60, None)}
ALL_RESIDENTS = (0, None)
DISTRICT_CODE = re.compile(r"^E0[6789]\d{6}$")  # unitaries, shire districts, metropolitan districts, London boroughs


@dataclass(frozen=True)
class DistrictSummariesFile:
    """One district summaries CSV and the edition its ``deprivation_data_year`` column states."""

    path: Path
    year: str


def detect_district_summaries(path: Path) -> DistrictSummariesFile | None:
    """The edition of a district summaries CSV (by its columns); None for any other file."""
    from benchmark.data.readers import read_csv

    path = Path(path)
    if path.suffix.lower() != ".csv" or path.name.startswith((".", "~$")):
        return None
    try:
        with open(path, encoding="utf-8-sig") as handle:
            header = handle.readline()
    except (OSError, UnicodeDecodeError):
        return None
    columns = {c.strip().strip('"').lower() for c in header.split(",")}
    if not set(DISTRICT_CSV_COLUMNS) <= columns:
        return None
    years = read_csv(path, ["deprivation_data_year"])["deprivation_data_year"].str.strip().dropna().unique()
    if len(years) != 1 or not re.fullmatch(r"\d{4}", str(years[0])):
        raise DataError(Problem(display_path(path), "IoD district summaries: expected one edition in column 'deprivation_data_year', "
                                f"found {', '.join(map(str, years)) or 'none'}"))
    return DistrictSummariesFile(path, str(years[0]))


def find_district_summaries(raw_dir: Path | str) -> list[DistrictSummariesFile]:
    """Every district summaries CSV anywhere under ``raw/deprivation/``, oldest edition first; two
    files of one edition are a :class:`DataError`."""
    folder = Path(raw_dir) / FOLDER
    found = [hit for path in sorted(folder.rglob("*.csv")) if (hit := detect_district_summaries(path)) is not None]
    years = [f.year for f in found]
    problems = [Problem(display_path(f.path), f"a second IoD district summaries file of edition {f.year}; keep one")
                for i, f in enumerate(found) if f.year in years[:i]]
    if problems:
        raise DataError(problems)
    return sorted(found, key=lambda f: f.year)


def read_district_summaries(path: Path, year: str, source: str) -> pd.DataFrame:
    """Tidy district rows of one summaries CSV: council (district code), year, measure, domain, value, unit, source."""
    from benchmark.data.readers import read_csv

    table = read_csv(path, ["area_code", "index_domain", *DISTRICT_MEASURES])
    log = ProblemLog()
    codes = table["area_code"].astype("string").str.strip()
    domains = table["index_domain"].astype("string").str.strip().str.lower().map(DISTRICT_DOMAINS)
    for row, name in table.loc[domains.isna(), "index_domain"].items():
        log.add(path, f"'{name}' is not an index or domain of the Indices of Deprivation", row=int(row), column="index_domain")
    for row, code in codes[~codes.str.match(DISTRICT_CODE.pattern).fillna(False).astype(bool)].items():
        log.add(path, f"'{code}' is not an English district code", row=int(row), column="area_code")
    key = pd.DataFrame({"code": codes, "domain": domains})
    for row in key.index[key.duplicated()]:
        log.add(path, f"{codes[row]} {table.at[row, 'index_domain']}: a second row", row=int(row))
    parts = []
    for column, measure in DISTRICT_MEASURES.items():
        values = to_number(table[column], path, column, log)
        parts.append(pd.DataFrame({"council": codes.to_numpy(), "year": year, "measure": measure, "domain": domains.to_numpy(),
                                   "value": values.to_numpy(), "unit": MEASURE_PATTERNS[measure][1], "source": source}))
    log.raise_if_any()
    return pd.concat(parts, ignore_index=True)


def _district_weights(raw_dir: Path) -> pd.DataFrame:
    """Mid-2021 district populations (rows: district code) in the age ranges the aggregates are weighted by."""
    from benchmark.data import population

    pop_csv = raw_dir / population.POP2021_FILE
    by_age = population._read_pop2021(pop_csv, population.pop2021_year(pop_csv))
    single = {age: int(str(age).rstrip("+")) for age in by_age.columns}
    weights = {}
    for name, (first, last) in {"all": ALL_RESIDENTS, **DISTRICT_WEIGHT_AGES}.items():
        columns = [age for age, number in single.items() if number >= first and (last is None or number <= last)]
        weights[name] = by_age[columns].sum(axis=1, min_count=len(columns))
    return pd.DataFrame(weights)


def upper_tier_from_districts(districts: pd.DataFrame, raw_dir: Path | str) -> pd.DataFrame:
    """Upper-tier rows from district rows: councils that are districts as published, shire
    counties as the population-weighted mean of their districts (module notes above).

    A county with any district missing from the file gets no row (so a county abolished before the
    edition, e.g. Cumbria for IoD2025, is simply absent), never a partial mean.
    """
    from benchmark.data import population
    from benchmark.data.readers import read_csv

    raw_dir = Path(raw_dir)
    councils = districts[districts["council"].str.match(COUNCIL_CODE_PATTERN.pattern)]
    lookup = read_csv(raw_dir / population.COUNTY_LOOKUP_FILE, ["LAD20CD", "CTY20CD"])
    lookup = pd.DataFrame({"district": lookup["LAD20CD"].str.strip(), "county": lookup["CTY20CD"].str.strip()})
    lookup = lookup[lookup["county"].str.match(COUNCIL_CODE_PATTERN.pattern).fillna(False).astype(bool)]
    weights = _district_weights(raw_dir)
    shire = districts[districts["council"].str.startswith("E07")].merge(lookup, left_on="council", right_on="district")
    weight_name = shire["domain"].map(lambda d: d if d in DISTRICT_WEIGHT_AGES else "all")
    shire = shire.assign(weight=[weights.at[c, w] if c in weights.index else np.nan for c, w in zip(shire["council"], weight_name, strict=True)])
    expected = lookup.groupby("county")["district"].nunique()
    grouped = shire.assign(weighted=shire["value"] * shire["weight"]).groupby(["county", "year", "measure", "domain", "unit", "source"])
    counties = grouped.agg(weighted=("weighted", lambda s: s.sum(min_count=len(s))), weight=("weight", lambda s: s.sum(min_count=len(s))),
                           districts=("council", "nunique")).reset_index()
    complete = counties["districts"].to_numpy() == counties["county"].map(expected).to_numpy()
    counties = counties[complete].assign(value=lambda f: f["weighted"] / f["weight"]).rename(columns={"county": "council"})
    return pd.concat([councils, counties[councils.columns]], ignore_index=True)


def load_district_editions(raw_dir: Path | str, skip_years: set[str] = frozenset()) -> pd.DataFrame | None:
    """Upper-tier rows of every district summaries edition found (except ``skip_years``), or None."""
    raw_dir = Path(raw_dir)
    parts = []
    for found in find_district_summaries(raw_dir):
        if found.year in skip_years:
            continue  # the publisher's own upper-tier summaries (File 11) of that edition are used
        source = _source_for(found.path, raw_dir, found.year).replace("_upper_tier", "_districts")
        parts.append(upper_tier_from_districts(read_district_summaries(found.path, found.year, source), raw_dir))
    return pd.concat(parts, ignore_index=True) if parts else None
