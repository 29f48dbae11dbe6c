"""ONS mid-year population estimates, table MYE2 (persons by single year of age), read by format.

One publication (:data:`PUBLICATIONS`), whatever mid-year a file holds: :func:`detect_mye2` looks
inside a file and says whether it is an MYE2 persons table and which year, edition and series it
holds; :func:`read_mye2` returns its English upper-tier councils as a tidy table, and
:func:`england_from_mye2` the publisher's England row (E92000001) in the same shape.

Formats read (one reading path for spreadsheets: python-calamine through pandas
``engine="calamine"``):

* ONS's own workbooks (``.xls``, ``.xlsx``, ``.ods``): the persons sheet is found by its name, which
  ONS has changed over the years (``Persons UK`` in mid-2015, ``MYE2 - All`` mid-2016 and mid-2017,
  ``MYE2-All`` mid-2018, ``MYE2 - Persons`` from mid-2019; any of these spellings with other
  spacing or hyphens is accepted);
* a CSV export of that one sheet (``Code, Name, [Geography,] All ages, 0 ... 89, 90+``), such as
  ``lad_age_2020.csv`` or ``mye24tablesew.csv``, made by a third party rather than by ONS.

The header row is found by its content, never by its position: the first row (within
:data:`HEADER_SEARCH_ROWS`) holding a code column, a name column, ``All ages`` and the single years
of age.  The ages must be ``0`` to ``89`` then the open top group, which ONS heads ``90`` in the
mid-2015 to mid-2018 workbooks and ``90+`` since; it is 90 and over in every file (the single
years add up to the published all-ages total, which is checked).

Year, edition and series:

* **year**: the mid-year named in the sheet's title ("MYE2: Persons by single year of age and sex
  for local authorities in the UK, mid-2022"); failing that in the workbook's cover sheet
  ("Mid-Year Population Estimates, UK, June 2022"); a CSV export carries no title, so its year
  comes from the file name (``mye24...`` -> 2024, ``lad_age_2020`` -> 2020, ``...mid2020...`` ->
  2020).  When none of these gives a year, :func:`detect_mye2` raises a one-line
  :class:`~benchmark.errors.DataError` saying so; the caller may then pass ``year=``.
* **edition**: ``UK``, ``England and Wales`` (or ``Great Britain``, ``England``) from the title, or
  for a CSV from the areas present (a UK or Scottish/Northern Irish row -> UK; otherwise England
  and Wales rows -> England and Wales).
* **series**: ONS rebased its estimates on Census 2021.  Mid-2021 onwards are Census 2021-based as
  first published; mid-2011 to mid-2020 as first published (every workbook of that period) are
  Census 2011-based.  ONS later (23 November 2023) published rebased Census 2021-based estimates
  for England and Wales mid-2012 to mid-2020; a file whose title or cover says it is rebased on, or
  based on, Census 2021 is labelled so whatever its year.
* the edition text also says whether the file is ONS's own workbook (with its publication date when
  the cover gives one) or a CSV export of the MYE2 persons sheet by a third party.

Each file is on the local-authority geography of its own release (the mid-2022 and later files on
April 2023 boundaries: Cumberland, Westmorland and Furness, North Yorkshire and Somerset as
unitaries); nothing is re-based or back-cast here.  Values: floats; blank or suppressed cells are
NaN; a cell that is not a number raises DataError naming file, row (spreadsheet row or CSV line) and
column; a council listed twice raises DataError naming both rows.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.data.publications import Found, Publication
from benchmark.data.readers import ProblemLog, display_path, to_number
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, tidy
from benchmark.errors import DataError, Problem

PUBLICATION_ID = "ons_mye2"
MEASURE = "population"
UNIT = "persons"

#: Ages as they appear in the tidy table: single years 0-89 then the open top group.
AGES: tuple[str, ...] = tuple(str(a) for a in range(90)) + ("90+",)
TOP_AGE = "90+"
ENGLAND_CODE = "E92000001"

WORKBOOK_SUFFIXES = frozenset({".xls", ".xlsx", ".xlsm", ".xlsb", ".ods"})
CSV_SUFFIXES = frozenset({".csv"})
SUFFIXES = WORKBOOK_SUFFIXES | CSV_SUFFIXES

#: How far down a sheet or CSV the header row is looked for.
HEADER_SEARCH_ROWS = 40
#: How much of a CSV is read to decide whether it is an MYE2 table at all.
CSV_SNIFF_BYTES = 64 * 1024

#: Sheet names of the persons table, after :func:`_sheet_key` ("MYE2 - All" -> "mye2 all").
_PERSONS_SHEET = re.compile(r"^mye ?2 (?:all persons|persons|all)(?: uk| gb| ew| england and wales| england)?$")
#: Older or looser names ("Persons UK"); such a sheet counts only if it has the MYE2 header row.
_PERSONS_SHEET_LOOSE = re.compile(r"^(?:all )?persons(?: uk| gb| ew| england and wales| england)?$")
_COVER_SHEETS = frozenset({"cover sheet", "cover", "contents"})

_CODE_HEADER = re.compile(r"^(?:area |la |lad |geography )?code$")
_NAME_HEADER = re.compile(r"^(?:area |la |lad |geography )?name$")
_ALL_AGES_HEADER = re.compile(r"^all ages$")
_AGE_HEADER = re.compile(r"^(\d{1,3})(\+| and over| & over)?$")
_GSS_CODE = re.compile(r"^[EKNSWJ]\d{8}$")
_MID_YEAR = re.compile(r"\bmid[-\s]?((?:19|20)\d{2})\b", re.IGNORECASE)
_JUNE_YEAR = re.compile(r"\bjune\s+((?:19|20)\d{2})\b", re.IGNORECASE)
_PUBLISHED = re.compile(r"(?:date published:\s*|originally published at [\d.:]+\s*(?:am|pm)?\s*)(\d{1,2}(?:st|nd|rd|th)? \w+ \d{4})", re.IGNORECASE)
_CENSUS_BASED = re.compile(
    r"(?:census[\s-]?((?:19|20)\d1)|((?:19|20)\d1)[\s-]census)[\s-]based"
    r"|rebased (?:on|to|using|following) (?:the )?(?:census[\s-]?((?:19|20)\d1)|((?:19|20)\d1)[\s-]census)",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------------------- detect


def detect_mye2(path: Path, *, year: str | None = None) -> Found | None:
    """Is ``path`` an ONS MYE2 persons table?  ``None`` if not (quickly, without raising).

    Returns :class:`Found` with the mid-year (four digits, e.g. 2024), the edition text (geography, series,
    format) and the title; ``hints`` carry where the table is (``format``, ``sheet``,
    ``header_row``) and the parts of the edition (``geography``, ``series``, ``year_from``,
    ``published``).  ``year`` is used only when the file states none (a CSV export whose name has
    no year); a title naming another year is an error.  Raises DataError (one line) for a file that
    is an MYE2 table but cannot be read, or whose year cannot be found.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file() or suffix not in SUFFIXES:
        return None
    layout = _workbook_layout(path) if suffix in WORKBOOK_SUFFIXES else _csv_layout(path)
    if layout is None:
        return None
    title = layout.get("title", "")
    context = " ".join([title, *layout.get("cover", [])])
    in_title = _one_mid_year(title, path)
    stated = in_title or _cover_year(layout.get("cover", []))
    from_name = year_from_file_name(path.name)
    if stated:
        if year is not None and str(year) != stated:
            raise DataError(Problem(display_path(path), f"the file says mid-{stated} but year {year} was given"))
        chosen, year_from = stated, "title" if in_title else "cover sheet"
    elif year is not None:
        chosen, year_from = str(year), "given"
    elif from_name:
        chosen, year_from = from_name, "file name"
    else:
        raise DataError(Problem(display_path(path), "the mid-year could not be found: the file has no title naming it and its name "
                                                    "has no year; give it ONS's own name for the release (e.g. mye24tablesew.csv for mid-2024)"))
    geography = _geography(title) or _geography_from_codes(_all_codes(path, layout))
    series = _series(chosen, context)
    published = _published(layout.get("cover", []))
    if layout["format"] == "workbook":
        origin = "ONS workbook" + (f" published {published}" if published else "")
    else:
        origin = "CSV export of the MYE2 persons sheet by a third party, not ONS's own file"
    parts = [p for p in (geography, series, origin) if p]
    if year_from == "file name":
        parts.append("mid-year taken from the file name")
    hints = {**{k: v for k, v in layout.items() if k in ("format", "sheet", "header_row")},
             "geography": geography, "series": series, "year_from": year_from, "published": published}
    return Found(PUBLICATION_ID, chosen, edition=", ".join(parts), title=title, hints=hints)


def _all_codes(path: Path, layout: dict) -> set[str]:
    """Every area code in the table (read only when the title does not name the geography)."""
    grid = _grid(path, layout)
    columns = _columns(grid, layout, path)
    return set(_clean_codes(grid.loc[grid.index > layout["header_row"], columns["code"]]))


def year_from_file_name(name: str) -> str | None:
    """The mid-year a file's name states, or None: ``mid2020``/``mid-2020`` first, then a single
    four-digit year standing alone (``lad_age_2020``), then ``mye24`` (-> 2024)."""
    stem = Path(name).stem.lower()
    for pattern, prefix in ((r"mid[-_ ]?((?:19|20)\d{2})(?!\d)", ""), (r"(?<!\d)((?:19|20)\d{2})(?!\d)", ""), (r"mye[-_ ]?(\d{2})(?!\d)", "20")):
        years = set(re.findall(pattern, stem))
        if len(years) == 1:
            return prefix + years.pop()
        if len(years) > 1:
            return None
    return None


# --------------------------------------------------------------------------------------- read


def read_mye2(path: Path, found: Found) -> pd.DataFrame:
    """Persons by single year of age for every English upper-tier council in the file.

    Tidy columns: council, year (``found.year``), measure ("population"), age ("0".."89", "90+"),
    value, unit ("persons"), source (``found.source_id``).  Councils in file order, ages in
    :data:`AGES` order.  England (E92000001) is not a council: see :func:`england_from_mye2`.
    """
    values, _ = _checked_table(Path(path), found, _is_council)
    return wide_to_tidy(values, found.year, found.source_id)


def england_from_mye2(path: Path, found: Found) -> pd.DataFrame:
    """The publisher's England row (E92000001) by single year of age, in the shape of
    :func:`read_mye2` (council ``E92000001``); its values sum to ONS's published England total
    (checked against the row's all-ages cell).  DataError if the file has no England row."""
    path = Path(path)
    values, _ = _checked_table(path, found, lambda codes: codes == ENGLAND_CODE)
    if values.empty:
        raise DataError(Problem(display_path(path), f"no {ENGLAND_CODE} (ENGLAND) row in the MYE2 table"))
    return wide_to_tidy(values, found.year, found.source_id)


def mye2_table(path: Path, found: Found, select: Callable[[pd.Series], pd.Series] | None = None, log: ProblemLog | None = None) -> pd.DataFrame:
    """The MYE2 rows whose code ``select`` keeps (default: English upper-tier councils), unchecked.

    Index: the spreadsheet row or CSV line of each row.  Columns: ``code``, ``all_ages`` and
    :data:`AGES`, as floats.  Cells that are not numbers are added to ``log`` (and become NaN) when
    a log is given, else raise DataError; a code listed twice always raises.  Unlike
    :func:`read_mye2` the all-ages totals are not compared with the single years.
    """
    path = Path(path)
    layout = _layout_for(path, found)
    grid = _grid(path, layout)
    columns = _columns(grid, layout, path)
    body = grid.loc[grid.index > layout["header_row"]]
    codes = _clean_codes(body[columns["code"]])
    keep = (select or _is_council)(codes).fillna(False).astype(bool).to_numpy()
    body, codes = body.loc[keep], codes.loc[keep]
    _require_unique(codes, path)

    own_log = log if log is not None else ProblemLog()
    headers = columns["headers"]
    named = {"all_ages": columns["all_ages"], **columns["ages"]}
    numbers = _block_numbers(body[list(named.values())], path, headers, own_log)
    numbers.columns = list(named)
    out = pd.concat([pd.DataFrame({"code": codes.astype(object)}, index=body.index), numbers], axis=1)
    out.attrs["all_ages_header"] = headers[columns["all_ages"]]
    if log is None:
        own_log.raise_if_any()
    return out


def wide_to_tidy(wide: pd.DataFrame, year: str, source: str) -> pd.DataFrame:
    """Code x age wide table (columns :data:`AGES`) -> tidy rows, code-major, ages in order."""
    wide = wide.reindex(columns=list(AGES))
    codes, n_ages = wide.index.to_numpy(dtype=object), len(AGES)
    frame = pd.DataFrame(
        {
            "council": np.repeat(codes, n_ages),
            "year": year,
            "measure": MEASURE,
            "age": np.tile(np.array(AGES, dtype=object), len(codes)),
            "value": wide.to_numpy(dtype="float64").ravel(),
            "unit": UNIT,
            "source": source,
        }
    )
    return tidy(frame, ["age"])


PUBLICATIONS: tuple[Publication, ...] = (
    Publication(
        id=PUBLICATION_ID,
        name="ONS mid-year population estimates (MYE2 persons by single year of age)",
        publisher="Office for National Statistics",
        folder="population/ons_mye",
        year_kind="mid-year",
        holds="Persons by single year of age 0 to 89 and 90 and over at 30 June, for every English upper-tier council "
              "(unitary, metropolitan district, London borough, shire county) on the geography of the file's release",
        where_to_get="https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates/datasets/"
                     "populationestimatesforukenglandandwalesscotlandandnorthernireland (the workbook; its 'MYE2 - Persons' sheet)",
        detect=detect_mye2,
        read=read_mye2,
        table="population_by_age",
        caveats="Mid-2011 to mid-2020 as first published are Census 2011-based and mid-2021 onwards Census 2021-based: the "
                "series breaks between mid-2020 and mid-2021 (ONS's rebased mid-2012 to mid-2020 back series is a separate "
                "release).  Each file is on the council boundaries of its own release.  A CSV export of the sheet carries no "
                "title, so its year comes from its file name.",
    ),
)


# --------------------------------------------------------------------------------------- layout


def _sheet_key(name: str) -> str:
    return re.sub(r"[\s\-_:]+", " ", str(name).strip().lower()).strip()


def _workbook_layout(path: Path) -> dict | None:
    """Where the persons table of an MYE2 workbook is, or None for another workbook."""
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception:  # noqa: BLE001 - not a workbook calamine can open: not this publication
        return None
    with book:
        names = book.sheet_names
        strong = [s for s in names if _PERSONS_SHEET.match(_sheet_key(s))]
        loose = [s for s in names if s not in strong and _PERSONS_SHEET_LOOSE.match(_sheet_key(s))]
        layout = None
        for sheet in strong + loose:
            top = _read_sheet(book, sheet, nrows=HEADER_SEARCH_ROWS)
            header_row = _find_header_row(top)
            if header_row is not None:
                layout = {"format": "workbook", "sheet": sheet, "header_row": header_row, "title": _title(top.loc[top.index < header_row])}
                break
        if layout is None:
            if strong:
                raise DataError(Problem(display_path(path), f"sheet '{strong[0]}' has no header row with Code, Name, All ages and ages 0 to 89, "
                                                            f"90+ in its first {HEADER_SEARCH_ROWS} rows"))
            return None
        cover: list[str] = []
        for sheet in names:
            if _sheet_key(sheet) in _COVER_SHEETS:
                cover += _texts(_read_sheet(book, sheet, nrows=60))
        layout["cover"] = cover
    return layout


def _csv_layout(path: Path) -> dict | None:
    """Where the header of an MYE2 CSV export is, or None for another CSV (reads only its start)."""
    with path.open("rb") as handle:
        head = handle.read(CSV_SNIFF_BYTES)
    text = head.decode("utf-8-sig", errors="replace")
    if len(head) == CSV_SNIFF_BYTES and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # drop the partial last line
    try:
        grid = _records_to_grid(text, limit=HEADER_SEARCH_ROWS)
    except csv.Error:
        return None
    if grid.empty:
        return None
    header_row = _find_header_row(grid)
    if header_row is None:
        first = grid.dropna(how="all").head(1)
        if not first.empty and _looks_like_mye2_data(first.iloc[0]):
            raise DataError(Problem(display_path(path), "looks like an MYE2 table (area codes followed by an all-ages total and single years "
                                                        "of age) but has no header row: expected a row Code, Name, All ages, 0 ... 89, 90+ "
                                                        "above the data", row=int(first.index[0])))
        return None
    return {"format": "csv", "header_row": header_row, "title": _title(grid.loc[grid.index < header_row]), "cover": []}


def _layout_for(path: Path, found: Found) -> dict:
    """The layout ``found.hints`` records, completed (or found afresh) from the file."""
    hints = found.hints or {}
    if hints.get("format") and hints.get("header_row") is not None:
        return dict(hints)
    if hints.get("sheet") and path.suffix.lower() in WORKBOOK_SUFFIXES:
        top = _read_sheet_path(path, hints["sheet"], nrows=HEADER_SEARCH_ROWS)
        header_row = _find_header_row(top)
        if header_row is None:
            raise DataError(Problem(display_path(path), f"sheet '{hints['sheet']}' has no header row with Code, Name, All ages and ages "
                                                        f"0 to 89, 90+ in its first {HEADER_SEARCH_ROWS} rows"))
        return {"format": "workbook", "sheet": hints["sheet"], "header_row": header_row}
    layout = _workbook_layout(path) if path.suffix.lower() in WORKBOOK_SUFFIXES else _csv_layout(path) if path.suffix.lower() in CSV_SUFFIXES else None
    if layout is None:
        raise DataError(Problem(display_path(path), "not an ONS MYE2 persons table (no persons sheet or no header row with Code, Name, "
                                                    "All ages and ages 0 to 89, 90+)"))
    return layout


# --------------------------------------------------------------------------------------- grids


def _read_sheet(book: pd.ExcelFile, sheet: str, nrows: int | None = None) -> pd.DataFrame:
    """A sheet as an object grid indexed by spreadsheet row number (1 = first row)."""
    # Only empty cells are missing: text such as 'NA' or 'n/a' must reach to_number to be reported.
    grid = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object, keep_default_na=False, na_values=[""], nrows=nrows)
    grid.index = pd.RangeIndex(1, 1 + len(grid), name="row")
    return grid


def _read_sheet_path(path: Path, sheet: str, nrows: int | None = None) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for corrupt or non-Excel files
        raise DataError(Problem(display_path(path), f"not a readable workbook ({exc})")) from None
    with book:
        match = [s for s in book.sheet_names if s.strip().lower() == str(sheet).strip().lower()]
        if not match:
            raise DataError(Problem(display_path(path), f"sheet '{sheet}' not found (sheets: {', '.join(book.sheet_names)})"))
        return _read_sheet(book, match[0], nrows)


def _records_to_grid(text: str, limit: int | None = None) -> pd.DataFrame:
    """CSV text as an object grid indexed by the line each record starts on (blank cells NaN)."""
    reader = csv.reader(io.StringIO(text))
    rows, lines, start = [], [], 1
    for record in reader:
        rows.append([cell if cell.strip() != "" else None for cell in record])
        lines.append(start)
        start = reader.line_num + 1
        if limit is not None and len(rows) >= limit:
            break
    width = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
    grid.index = pd.Index(lines, name="row")
    return grid


def _grid(path: Path, layout: dict) -> pd.DataFrame:
    """The whole sheet or CSV as an object grid indexed by spreadsheet row / CSV line."""
    if layout["format"] == "workbook":
        return _read_sheet_path(path, layout["sheet"])
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(Problem(display_path(path), f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as 'CSV UTF-8'", row=line)) from None
    try:
        return _records_to_grid(text)
    except csv.Error as exc:
        raise DataError(Problem(display_path(path), f"not a readable CSV table ({exc})")) from None


# --------------------------------------------------------------------------------------- header


def _cell_text(value: object) -> str:
    """Header cells mix text and numbers (ages 0.0, 1.0, ...): clean lower-case text."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return re.sub(r"\s+", " ", str(value)).strip()


def _header_roles(cells: list) -> dict | None:
    """Column roles of a candidate header row, or None if it is not the MYE2 header."""
    texts = [_cell_text(c) for c in cells]
    lower = [t.lower().replace("_", " ") for t in texts]
    code = next((i for i, t in enumerate(lower) if _CODE_HEADER.match(t)), None)
    name = next((i for i, t in enumerate(lower) if _NAME_HEADER.match(t)), None)
    all_ages = next((i for i, t in enumerate(lower) if _ALL_AGES_HEADER.match(t)), None)
    ages = [(i, _AGE_HEADER.match(t)) for i, t in enumerate(lower) if _AGE_HEADER.match(t)]
    if code is None or name is None or all_ages is None or len(ages) < 80:
        return None
    return {"code": code, "name": name, "all_ages": all_ages, "ages": ages, "texts": texts}


def _find_header_row(grid: pd.DataFrame) -> int | None:
    for row, cells in zip(grid.index, grid.itertuples(index=False, name=None), strict=True):
        if not any(isinstance(c, str) and _ALL_AGES_HEADER.match(c.strip().lower().replace("_", " ")) for c in cells):
            continue  # cheap test first: the header row has an "All ages" cell
        if _header_roles(list(cells)) is not None:
            return int(row)
    return None


def _columns(grid: pd.DataFrame, layout: dict, path: Path) -> dict:
    """Grid columns of the code, all-ages and each age of :data:`AGES`; DataError if the ages are not 0..89, 90+."""
    roles = _header_roles(list(grid.loc[layout["header_row"]]))
    if roles is None:  # the file changed between detect and read
        raise DataError(Problem(display_path(path), "no MYE2 header row (Code, Name, All ages, 0 ... 89, 90+) where detection found it",
                                row=layout["header_row"]))
    found = [(i, int(m.group(1)), bool(m.group(2))) for i, m in roles["ages"]]
    numbers = [n for _, n, _ in found]
    if numbers != list(range(91)) or any(plus for _, _, plus in found[:-1]):
        shown = [roles["texts"][i] for i, _, _ in found]
        raise DataError(Problem(display_path(path), f"expected age columns 0 to 89 then 90+ (or 90); found {', '.join(shown[:3])} ... "
                                                    f"{', '.join(shown[-3:])} ({len(shown)} columns)", row=layout["header_row"]))
    # the top group is headed 90 (mid-2015 to mid-2018) or 90+: 90 and over in both
    columns = grid.columns
    return {
        "code": columns[roles["code"]],
        "all_ages": columns[roles["all_ages"]],
        "ages": {age: columns[i] for age, (i, _, _) in zip(AGES, found, strict=True)},
        "headers": {columns[i]: text for i, text in enumerate(roles["texts"])},
    }


def _looks_like_mye2_data(cells: pd.Series) -> bool:
    """An area code then at least 92 numbers (all ages and 91 ages): an MYE2 row without its header."""
    texts = [_cell_text(c) for c in cells]
    numbers = sum(1 for t in texts if re.fullmatch(r"\d[\d,]*(\.\d+)?", t))
    return bool(texts) and bool(_GSS_CODE.match(texts[0])) and numbers >= 92


# --------------------------------------------------------------------------------------- titles


def _texts(grid: pd.DataFrame) -> list[str]:
    return [_cell_text(v) for v in grid.to_numpy().ravel() if isinstance(v, str) and v.strip()]


def _title(above_header: pd.DataFrame) -> str:
    """The table's title among the cells above its header: the one naming MYE2 or single years of age."""
    texts = _texts(above_header)
    for text in texts:
        if re.search(r"\bMYE ?2\b|single year of age", text, re.IGNORECASE):
            return text
    return next((t for t in texts if _MID_YEAR.search(t)), "")


def _one_mid_year(text: str, path: Path, pattern: re.Pattern = _MID_YEAR) -> str | None:
    years = sorted(set(pattern.findall(text)))
    if len(years) > 1:
        raise DataError(Problem(display_path(path), f"the title names several mid-years ({', '.join(years)}); expected one"))
    return years[0] if years else None


def _cover_year(cover: list[str]) -> str | None:
    """The year of the first cover or contents line naming one ("Mid-Year Population Estimates, UK, June 2022")."""
    for text in cover:
        years = set(_JUNE_YEAR.findall(text)) or set(_MID_YEAR.findall(text))
        if len(years) == 1:
            return years.pop()
    return None


def _geography(title: str) -> str:
    text = title.lower()
    if "england and wales" in text:
        return "England and Wales"
    if re.search(r"\b(uk|united kingdom)\b", text):
        return "UK"
    if "great britain" in text:
        return "Great Britain"
    if re.search(r"\bengland\b", text):
        return "England"
    return ""


def _geography_from_codes(codes: set[str]) -> str:
    prefixes = {c[:1] for c in codes if _GSS_CODE.match(c)}
    if "K02000001" in codes or prefixes & {"S", "N"}:
        return "UK"
    if "K04000001" in codes or "W" in prefixes:
        return "England and Wales"
    return "England" if prefixes else ""


def _series(year: str, text: str) -> str:
    match = _CENSUS_BASED.search(text)
    if match:
        return f"Census {next(g for g in match.groups() if g)}-based"
    mid = int(year)
    if mid >= 2021:
        return "Census 2021-based"
    if mid >= 2011:
        return "Census 2011-based (as first published)"
    return ""


def _published(cover: list[str]) -> str:
    for text in cover:
        match = _PUBLISHED.search(text)
        if match:
            return re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", match.group(1))
    return ""


# --------------------------------------------------------------------------------------- values


def _is_council(codes: pd.Series) -> pd.Series:
    return codes.str.match(COUNCIL_CODE_PATTERN)


def _clean_codes(values: pd.Series) -> pd.Series:
    """Codes as text with spaces (including the non-breaking spaces some ONS files carry) removed."""
    return values.map(_cell_text).astype("string").fillna("")


def _require_unique(codes: pd.Series, path: Path) -> None:
    repeated = codes[codes.duplicated(keep=False)]
    if not repeated.empty:
        problems = []
        for code, rows in repeated.groupby(repeated, sort=False):
            lines = [int(r) for r in rows.index]
            problems.append(Problem(display_path(path), f"{code} is listed more than once (rows {', '.join(map(str, lines))}); "
                                                        "expected one row per area", row=lines[1]))
        raise DataError(problems)


def _numbers(cells: pd.Series, path: Path, column: str, log: ProblemLog) -> pd.Series:
    """Cells to float, as :func:`to_number` with minimum 0 but without its text parsing when every
    cell is already a non-negative number (the usual case in a workbook, and many times faster)."""
    if pd.api.types.infer_dtype(cells, skipna=True) in {"integer", "floating", "mixed-integer-float", "empty"}:
        numbers = cells.astype("float64")
        if not (numbers < 0).any():
            return numbers
    return to_number(cells, path, column, log, minimum=0)


def _block_numbers(block: pd.DataFrame, path: Path, headers: dict, log: ProblemLog) -> pd.DataFrame:
    """Every cell of ``block`` to float at once when all are numbers (a workbook), or all are
    numbers as text with optional thousands commas (a CSV), none negative; otherwise column by
    column through :func:`_numbers`, which turns suppression markers into NaN and names each bad
    cell's row and column."""
    cells = block.to_numpy(dtype=object).ravel()
    is_text = np.fromiter((isinstance(v, str) for v in cells), dtype=bool, count=cells.size)
    values: np.ndarray | None = None
    if not is_text.any():
        try:
            values = cells.astype("float64")
        except (TypeError, ValueError):
            values = None
    elif is_text.sum() == pd.notna(cells).sum():  # text or blank only
        text = pd.Series(cells, dtype=object).str.strip().str.replace(",", "", regex=False)
        parsed = pd.to_numeric(text, errors="coerce")
        if not (parsed.isna() & text.notna()).any():
            values = parsed.to_numpy(dtype="float64")
    if values is not None and not (values < 0).any():
        return pd.DataFrame(values.reshape(block.shape), index=block.index, columns=block.columns)
    return pd.DataFrame({column: _numbers(block[column], path, headers[column], log) for column in block.columns}, index=block.index)


def _checked_table(path: Path, found: Found, select) -> tuple[pd.DataFrame, pd.Series]:
    """(code x age values, published all-ages totals) for the selected rows; DataError for a cell
    that is not a number or an all-ages total that differs from the sum of the single years."""
    table = mye2_table(path, found, select)
    values = table[list(AGES)]
    totals = table["all_ages"]
    summed = values.sum(axis=1, min_count=len(AGES))
    summed[values.isna().any(axis=1)] = np.nan
    differs = ((totals - summed).abs() > 1e-6) & summed.notna() & totals.notna()
    if differs.any():
        column = table.attrs.get("all_ages_header", "All ages")
        log = ProblemLog()
        for row in table.index[differs]:
            log.add(path, f"all-ages total {_fmt(totals.loc[row])} differs from the sum of the single years {_fmt(summed.loc[row])}",
                    row=int(row), column=column)
        log.raise_if_any()
    codes = table["code"].to_numpy(dtype=object)
    return values.set_axis(codes), totals.set_axis(codes)


def _fmt(value: float) -> str:
    return "blank" if pd.isna(value) else f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
