"""NHS England's ASC-FR data file: one row per measure (form cell) and area, any financial year.

The *Adult Social Care Activity and Finance Report* comes with a CSV "data file" whose columns are::

    GEOGRAPHY_LEVEL, DATA_Level, UUID, FY_ENDING, CASSR, GEOGRAPHY_CODE, DH_GEOGRAPHY_NAME,
    REGION_GO_CODE, GEOGRAPHY_NAME, DimensionGroup, CareType, FinanceType, FinanceDescription,
    AgeBand, PrimarySupportReason, SupportSetting, Purpose, CarerSupportType, DataType,
    ActivityProvision, ComparativeTotals, DataSource, ValueType, ITEMVALUE

A user may add the whole file or an extract of some of its rows (the shipped
``ascfr/ltc-gce-by-setting`` files are one); both are read the same way.

What this module returns
------------------------
* :func:`read_ascfr_datafile` (the publication's ``read``): the **council** rows only, as a tidy
  table (``council`` = ONS code from GEOGRAPHY_CODE; never CASSR, which is not three digits for
  councils created since 2019, e.g. North Northamptonshire ``Z9D4Z``, and never names).
* :func:`read_ascfr_datafile_areas`: **every** row -- councils, regions and England -- with
  ``area`` (ONS code: E06/E08/E09/E10 council, E12 region, E92000001 England), ``area_level``
  (``council`` / ``region`` / ``england``), the council's ``region``, the publisher's ``name``
  (display only) and the ``file`` and ``line`` it came from.  England and region rows are the
  publisher's own aggregates: use them for England figures and reconciliation, never add them to
  council rows.  :func:`check_ascfr_datafile_sums` takes this table.

Vocabulary
----------
* ``measure`` / ``unit`` from DATA_Level through :data:`MEASURES` (only labels with evidence);
  any other label is reported (one line per label), never guessed.  ITEMVALUE is in £ thousand and
  becomes £ (x 1000), unit ``gbp``.
* breakdowns use the vocabulary of :mod:`benchmark.data.ascfr` (``ascfr.LABELS``) so the tables
  join: care type ``long_term``/``short_term``/``other``; age band ``18-64``, ``65+`` (``65-74``,
  ``75-84``, ``85+``); support setting ``nursing``, ``residential``, ``supported_accommodation``,
  ``direct_payments``, ``home_care``, ``supported_living``, ``other_long_term_care``; the data
  file's subtotal rows carry ``total`` (primary support reason, support setting, purpose, carer
  support type), which the older vintages removed.
* ``data_type``: the data file leaves DataType blank; as for the 2017-18 file (see ascfr.py) a
  blank is ``mandatory``, except on the 65-74 / 75-84 / 85+ bands, which the return defines as
  voluntary splits of 65+.
* ``[x]`` and the other markers of :data:`~benchmark.data.readers.SUPPRESSION_MARKERS` are missing
  (NaN), never 0; 0 is a real zero; negative values are kept as published.
"""
from __future__ import annotations

import csv
import io
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.data.ascfr import LABELS as ASCFR_LABELS
from benchmark.data.publications import Found, Publication
from benchmark.data.readers import ProblemLog, display_path, read_csv, require_columns, to_number
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, financial_year, tidy
from benchmark.errors import DataError, Problem

PUBLICATION_ID = "ascfr_datafile"

#: The data file's header, as NHS England publishes it (2019-20 to 2023-24 seen).
DATAFILE_COLUMNS = (
    "GEOGRAPHY_LEVEL", "DATA_Level", "UUID", "FY_ENDING", "CASSR", "GEOGRAPHY_CODE", "DH_GEOGRAPHY_NAME",
    "REGION_GO_CODE", "GEOGRAPHY_NAME", "DimensionGroup", "CareType", "FinanceType", "FinanceDescription",
    "AgeBand", "PrimarySupportReason", "SupportSetting", "Purpose", "CarerSupportType", "DataType",
    "ActivityProvision", "ComparativeTotals", "DataSource", "ValueType", "ITEMVALUE",
)

#: The labelled breakdown columns.  They tell this shape apart from the 2016-17 keyed pack
#: (``CareType_KEY`` ...) and the 2017-18 conversion (``CareType_Key`` ..., also with GEOGRAPHY_LEVEL,
#: UUID, FY_ENDING, GEOGRAPHY_CODE and CASSR), which :mod:`benchmark.data.ascfr` reads.
BREAKDOWN_COLUMNS = (
    "DimensionGroup", "CareType", "FinanceType", "FinanceDescription", "AgeBand", "PrimarySupportReason",
    "SupportSetting", "Purpose", "CarerSupportType", "DataType", "ActivityProvision", "ComparativeTotals",
    "DataSource", "ValueType",
)
_IDENTITY_COLUMNS = frozenset({"GEOGRAPHY_LEVEL", "UUID", "FY_ENDING"})
_MIN_BREAKDOWN_COLUMNS = 5  # a header with the identity columns and this many breakdowns is this publication

#: Columns the reader needs; a recognised file without one of them is a DataError.  The others
#: (CASSR, names, FinanceDescription, ComparativeTotals, DataSource, ValueType) are read if present.
REQUIRED_COLUMNS = (
    "GEOGRAPHY_LEVEL", "DATA_Level", "UUID", "FY_ENDING", "GEOGRAPHY_CODE", "REGION_GO_CODE", "DimensionGroup",
    "CareType", "FinanceType", "AgeBand", "PrimarySupportReason", "SupportSetting", "Purpose",
    "CarerSupportType", "DataType", "ActivityProvision", "ITEMVALUE",
)

#: Columns that are blank on every row seen so far: any value in them is reported, not guessed.
UNSEEN_COLUMNS = ("FinanceDescription", "ComparativeTotals", "DataSource", "ValueType")


@dataclass(frozen=True)
class Measure:
    measure: str
    unit: str
    scale: float  # ITEMVALUE x scale = value in `unit`
    dimension_group: str  # DimensionGroup label the rows carry
    finance_types: frozenset[str]  # FinanceType labels/codes seen with it (lower case); blank is allowed
    evidence: str


#: DATA_Level labels (lower case) with evidence of their meaning.  Add a label here only with
#: evidence of its unit (e.g. NHS England's data file guidance, or a published figure it matches).
MEASURES: dict[str, Measure] = {
    "gross current expenditure": Measure(
        "gross_current_expenditure", "gbp", 1000.0, "expenditure", frozenset({"gross current expenditure", "9"}),
        "shipped ltc-gce-by-setting files 2019-20 to 2023-24 (the 2023-24 England total is NHS England's "
        "published long-term care figure), the 2021-22 format sample and the 2017-18 file; FinanceType is the words in 2019-20, "
        "2020-21 and 2023-24, the code '9' in 2021-22 and 2022-23, blank in 2017-18",
    ),
}
KNOWN_DIMENSION_GROUPS = frozenset(m.dimension_group for m in MEASURES.values())

#: GEOGRAPHY_LEVEL labels (lower case) -> area_level.
GEOGRAPHY_LEVELS = {"local authority": "council", "region": "region", "england": "england"}
ENGLAND_CODE = "E92000001"
REGION_CODE_PREFIX = "E12"


def _with_total(labels: dict[str, str]) -> dict[str, str]:
    return {**labels, "total": "total"}


#: tidy column -> (data-file column, labels in lower case -> vocabulary value).  Labels and values
#: are those of :data:`benchmark.data.ascfr.LABELS`, so that the tables join; "Total" is the data
#: file's subtotal row.
BREAKDOWNS: dict[str, tuple[str, dict[str, str]]] = {
    "care_type": ("CareType", dict(ASCFR_LABELS["care_type"])),
    "age_band": ("AgeBand", dict(ASCFR_LABELS["age_band"])),
    "primary_support_reason": ("PrimarySupportReason", _with_total(ASCFR_LABELS["primary_support_reason"])),
    "support_setting": ("SupportSetting", _with_total(ASCFR_LABELS["support_setting"])),
    "purpose": ("Purpose", _with_total(ASCFR_LABELS["purpose"])),
    "carer_support_type": ("CarerSupportType", _with_total(ASCFR_LABELS["carer_support_type"])),
    "provision": ("ActivityProvision", dict(ASCFR_LABELS["provision"])),
    "data_type": ("DataType", dict(ASCFR_LABELS["data_type"])),
}
VOLUNTARY_AGE_BANDS = frozenset({"65-74", "75-84", "85+"})

#: The tidy table's breakdown columns (``uuid`` is the publisher's form cell, for tracing a value).
TIDY_BREAKDOWNS = [*BREAKDOWNS, "uuid"]
AREA_COLUMNS = ["area", "area_level", "region", "name", "year", "measure", *TIDY_BREAKDOWNS,
                "value", "unit", "source", "file", "line"]

_SNIFF_BYTES = 16_384


# --------------------------------------------------------------------------------------------
# detect
# --------------------------------------------------------------------------------------------

def _canonical_columns(header: list[str]) -> dict[str, str]:
    """Header cell -> data-file column name, matched without regard to case or surrounding spaces."""
    wanted = {c.lower(): c for c in DATAFILE_COLUMNS}
    out = {}
    for cell in header:
        name = wanted.get(str(cell).strip().lower())
        if name is not None and name not in out.values():
            out[cell] = name
    return out


def _sniff_header(path: Path) -> list[str] | None:
    """The first line of a text file as CSV cells, from its first few KB; None for a binary file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return None
    if not head or b"\x00" in head:
        return None
    text = head.decode("utf-8-sig", errors="replace")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    try:
        return next(csv.reader(io.StringIO(first_line)), [])
    except csv.Error:
        return None


def _is_datafile_header(columns: set[str]) -> bool:
    return columns >= _IDENTITY_COLUMNS and len(columns & set(BREAKDOWN_COLUMNS)) >= _MIN_BREAKDOWN_COLUMNS


def _first_lines(values: pd.Series) -> dict[str, int]:
    """Each distinct value -> the line it first appears on (the index holds line numbers)."""
    firsts = values.drop_duplicates()
    return {str(v): int(line) for line, v in firsts.items()}


def _years_problem(file: str, years: dict[str, int]) -> Problem:
    listed = ", ".join(f"{fy} from line {line}" for fy, line in years.items())
    second_line = sorted(years.values())[1]
    return Problem(file, f"holds several financial years (FY_ENDING {listed}); expected one year per file",
                   row=second_line, column="FY_ENDING")


def _year_from_fy_ending(value: str, file: str, line: int) -> str:
    text = str(value).strip()
    if not (len(text) == 4 and text.isdigit()):
        raise DataError(Problem(file, f"expected a year ending such as 2024 in FY_ENDING, found '{value}'",
                                row=line, column="FY_ENDING"))
    return financial_year(int(text) - 1)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def detect_ascfr_datafile(path: Path) -> Found | None:
    """Is ``path`` an ASC-FR data file (whole or extract)?  Which year, which edition?

    Returns None for any other file after reading only its first few KB.  A file whose header is this
    shape is then scanned (four columns) for its year and content; several FY_ENDING values, a missing
    required column or unreadable text are a :class:`DataError`.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv" or not path.is_file():
        return None
    header = _sniff_header(path)
    if not header:
        return None
    mapping = _canonical_columns(header)
    present = set(mapping.values())
    if not _is_datafile_header(present):
        return None
    file = display_path(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        found = ", ".join(repr(c) for c in header[:12])
        raise DataError([Problem(file, f"required column of the ASC-FR data file missing (found: {found})", column=c)
                         for c in missing])
    by_name = {name: cell for cell, name in mapping.items()}
    wanted = ["FY_ENDING", "UUID", "DATA_Level", "DimensionGroup"]
    try:
        scan = pd.read_csv(path, usecols=[by_name[c] for c in wanted], dtype=str, keep_default_na=False,
                           encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(Problem(file, "not UTF-8 text; save it as 'CSV UTF-8'")) from None
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise DataError(Problem(file, f"not a readable CSV table ({exc})")) from None
    scan = scan.rename(columns={by_name[c]: c for c in wanted})
    scan.index = pd.RangeIndex(2, 2 + len(scan))
    if scan.empty:
        raise DataError(Problem(file, "file has a header row but no data rows"))
    years = _first_lines(scan["FY_ENDING"].str.strip())
    if len(years) > 1:
        raise DataError(_years_problem(file, years))
    (fy_ending, line), = years.items()
    year = _year_from_fy_ending(fy_ending, file, line)
    levels = sorted({v.strip() for v in scan["DATA_Level"] if v.strip()})
    groups = sorted({v.strip() for v in scan["DimensionGroup"] if v.strip()})
    measures = scan["UUID"].str.strip().nunique()
    edition = f"full data file ({_plural(measures, 'measure')})" if len(groups) > 1 or len(levels) > 1 else f"extract ({_plural(measures, 'measure')})"
    hints = {"rows": len(scan), "measures": measures, "data_levels": levels, "dimension_groups": groups}
    return Found(PUBLICATION_ID, year, edition, "", hints)


# --------------------------------------------------------------------------------------------
# read
# --------------------------------------------------------------------------------------------

def _normalise(values: pd.Series) -> pd.Series:
    """Labels stripped of surrounding spaces; blank -> missing."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _lookup_key(text: pd.Series) -> pd.Series:
    """Lower case, single-spaced; computed once per distinct label (a full file has few labels, many rows)."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    keys = np.array([" ".join(str(u).lower().split()) for u in uniques] + [None], dtype=object)
    return pd.Series(keys[codes], index=text.index, dtype="string")


def _map_distinct(keys: pd.Series, mapping) -> pd.Series:
    """``keys.map(mapping)`` evaluated once per distinct key; missing where the key is unknown or missing."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    get = mapping.get if isinstance(mapping, dict) else mapping
    values = np.array([get(u) for u in uniques] + [None], dtype=object)
    return pd.Series(values[codes], index=keys.index, dtype=object)


def _report_unknown(text: pd.Series, unknown: pd.Series, path: Path, column: str, log: ProblemLog,
                    known: str, hint: str = "") -> None:
    """One problem per distinct unknown label, at the line it first appears on."""
    bad = text[unknown]
    if bad.empty:
        return
    counts = bad.value_counts()
    for line, label in bad.drop_duplicates().items():
        message = f"unknown {column} '{label}' on {_plural(int(counts[label]), 'row')} (known: {known})"
        log.add(path, message + (f"; {hint}" if hint else ""), row=int(line), column=column)


def _known_list(labels) -> str:
    return ", ".join(f"'{label}'" for label in labels) or "none yet"


def _decode(raw: pd.DataFrame, column: str, vocabulary: dict[str, str], path: Path, log: ProblemLog) -> pd.Series:
    text = _normalise(raw[column])
    decoded = _map_distinct(_lookup_key(text), vocabulary)
    _report_unknown(text, decoded.isna() & text.notna(), path, column, log, _known_list(vocabulary),
                    "add it to BREAKDOWNS in benchmark/data/ascfr_datafile.py once its meaning is established")
    return decoded.astype("string")


def _areas(raw: pd.DataFrame, path: Path, log: ProblemLog) -> pd.DataFrame:
    """area, area_level, region and name of every row, checked: the ONS code is the key."""
    out = pd.DataFrame(index=raw.index)
    level_text = _normalise(raw["GEOGRAPHY_LEVEL"])
    level = _map_distinct(_lookup_key(level_text), GEOGRAPHY_LEVELS)
    _report_unknown(level_text, level.isna(), path, "GEOGRAPHY_LEVEL", log,
                    "'Local Authority', 'Region', 'England'")
    geography = _normalise(raw["GEOGRAPHY_CODE"]).fillna("")
    region = _normalise(raw["REGION_GO_CODE"]).fillna("")
    out["area_level"] = level.astype("string")
    out["area"] = pd.Series(pd.NA, index=raw.index, dtype="string")
    out["region"] = pd.Series(pd.NA, index=raw.index, dtype="string")

    council = level == "council"
    bad_code = council & ~geography.str.match(COUNCIL_CODE_PATTERN.pattern)
    for line, code in geography[bad_code].items():
        log.add(path, f"a Local Authority row needs the council's ONS code (E06/E08/E09/E10 and six digits), found '{code}'",
                row=int(line), column="GEOGRAPHY_CODE")
    bad_region = council & ~region.str.match(rf"^{REGION_CODE_PREFIX}\d{{6}}$")
    for line, code in region[bad_region].items():
        log.add(path, f"a Local Authority row needs its region's code (E12...), found '{code}'", row=int(line),
                column="REGION_GO_CODE")
    out.loc[council, "area"] = geography[council]
    out.loc[council, "region"] = region[council]

    regional = level == "region"
    bad = regional & ~region.str.match(rf"^{REGION_CODE_PREFIX}\d{{6}}$")
    for line, code in region[bad].items():
        log.add(path, f"a Region row needs the region's code (E12...), found '{code}'", row=int(line), column="REGION_GO_CODE")
    out.loc[regional, "area"] = region[regional]
    out.loc[regional, "region"] = region[regional]

    england = level == "england"
    bad = england & ~region.isin(["", ENGLAND_CODE])
    for line, code in region[bad].items():
        log.add(path, f"the England row's code should be {ENGLAND_CODE}, found '{code}'", row=int(line), column="REGION_GO_CODE")
    out.loc[england, "area"] = ENGLAND_CODE
    out.loc[england, "region"] = ENGLAND_CODE

    names = pd.Series("", index=raw.index, dtype="string")
    for column, rows in (("DH_GEOGRAPHY_NAME", council), ("GEOGRAPHY_NAME", ~council)):
        if column in raw.columns:
            names[rows] = _normalise(raw.loc[rows, column]).fillna("")
    out["name"] = names
    return out


def _measures(raw: pd.DataFrame, path: Path, log: ProblemLog) -> pd.DataFrame:
    """measure, unit and scale from DATA_Level; DimensionGroup and FinanceType checked against it."""
    level_text = _normalise(raw["DATA_Level"])
    level_key = _lookup_key(level_text)
    entry = _map_distinct(level_key, MEASURES)
    known = _known_list(sorted(label.title() for label in MEASURES))
    _report_unknown(level_text, entry.isna(), path, "DATA_Level", log, known,
                    "add it to MEASURES in benchmark/data/ascfr_datafile.py once its unit is established")
    out = pd.DataFrame(index=raw.index)
    out["measure"] = _map_distinct(level_key, lambda k: MEASURES[k].measure if k in MEASURES else None).astype("string")
    out["unit"] = _map_distinct(level_key, lambda k: MEASURES[k].unit if k in MEASURES else None).astype("string")
    out["scale"] = _map_distinct(level_key, lambda k: MEASURES[k].scale if k in MEASURES else np.nan).astype("float64")

    group_text = _normalise(raw["DimensionGroup"])
    group_key = _lookup_key(group_text)
    expected_group = _map_distinct(level_key, lambda k: MEASURES[k].dimension_group if k in MEASURES else None)
    wrong_group = entry.notna() & (group_key.fillna("").astype(object) != expected_group.fillna(""))
    if wrong_group.any():
        pairs = (level_text.fillna("") + "\x1f" + group_text.fillna(""))[wrong_group]
        for line, pair in pairs.drop_duplicates().items():
            label, group = pair.split("\x1f")
            log.add(path, f"unknown DimensionGroup '{group}' for DATA_Level '{label}' on "
                    f"{_plural(int((pairs == pair).sum()), 'row')} (known: {_known_list(sorted(g.title() for g in KNOWN_DIMENSION_GROUPS))})",
                    row=int(line), column="DimensionGroup")

    finance_text = _normalise(raw["FinanceType"])
    finance_key = _lookup_key(finance_text)
    pair_key = level_key.fillna("") + "\x1f" + finance_key.fillna("")
    accepted = _map_distinct(pair_key, lambda k: _finance_type_accepted(*k.split("\x1f"))).astype(bool)
    wrong_finance = entry.notna() & finance_text.notna() & ~accepted
    if wrong_finance.any():
        pairs = (level_text.fillna("") + "\x1f" + finance_text.fillna(""))[wrong_finance]
        for line, pair in pairs.drop_duplicates().items():
            label, finance = pair.split("\x1f")
            seen = _known_list(sorted(MEASURES[label.lower()].finance_types)) if label.lower() in MEASURES else "none"
            log.add(path, f"unknown FinanceType '{finance}' for DATA_Level '{label}' on "
                    f"{_plural(int((pairs == pair).sum()), 'row')} (known: {seen}, or blank)",
                    row=int(line), column="FinanceType")
    return out


def _finance_type_accepted(level_key: str, finance_key: str) -> bool:
    measure = MEASURES.get(level_key)
    return measure is None or finance_key == "" or finance_key in measure.finance_types


def _check_unseen_columns(raw: pd.DataFrame, path: Path, log: ProblemLog) -> None:
    for column in UNSEEN_COLUMNS:
        if column not in raw.columns:
            continue
        text = _normalise(raw[column])
        _report_unknown(text, text.notna(), path, column, log, "only blanks so far",
                        "its meaning must be established before the rows can be read")


def _check_one_year(raw: pd.DataFrame, found: Found, path: Path, log: ProblemLog) -> None:
    file = display_path(path)
    years = _first_lines(_normalise(raw["FY_ENDING"]).fillna(""))
    if len(years) > 1:
        log.problems.append(_years_problem(file, years))
        return
    (fy_ending, line), = years.items()
    year = _year_from_fy_ending(fy_ending, file, line)
    if year != found.year:
        log.add(path, f"FY_ENDING {fy_ending} is financial year {year}, but the file was catalogued as {found.year}",
                row=line, column="FY_ENDING")


def _check_duplicates(frame: pd.DataFrame, path: Path, log: ProblemLog) -> None:
    keyed = frame.dropna(subset=["area"])
    key = keyed["uuid"].fillna("") + "\x1f" + keyed["area"]
    dup = key.duplicated(keep=False)
    if not dup.any():
        return
    lines = key[dup].groupby(key[dup]).groups
    for group_key, index in lines.items():
        uuid, area = group_key.split("\x1f")
        where = sorted(int(i) for i in index)
        others = " and ".join(str(n) for n in where)
        log.add(path, f"UUID {uuid} for area {area} appears {len(where)} times (lines {others}); expected once",
                row=where[1], column="UUID")


def _check_uuid_labels(raw: pd.DataFrame, path: Path, log: ProblemLog) -> None:
    """One form cell (UUID) is one measure: its labels must be the same in every area."""
    columns = ["DATA_Level", *(column for column, _ in BREAKDOWNS.values())]
    labels = raw[["UUID", *columns]].apply(lambda s: s.astype("string").str.strip().fillna(""))
    distinct = labels.drop_duplicates()
    clash = distinct["UUID"].duplicated(keep=False)
    for uuid, group in distinct[clash].groupby("UUID"):
        lines = [int(i) for i in group.index[:2]]
        differ = [c for c in columns if group[c].nunique() > 1]
        log.add(path, f"UUID {uuid} carries different labels on lines {lines[0]} and {lines[1]} "
                f"({', '.join(differ)}); one UUID is one measure", row=lines[1], column=differ[0] if differ else "UUID")


def _check_labels_identify_measures(out: pd.DataFrame, path: Path, log: ProblemLog) -> None:
    """Two UUIDs with the same measure and labels differ in something this reader does not decode."""
    columns = ["measure", *BREAKDOWNS]
    distinct = out.loc[out["measure"].notna(), ["uuid", *columns]].drop_duplicates()
    if distinct.empty:  # no known measure: already reported
        return
    labels = distinct[columns].fillna("").apply(lambda s: s.astype(str)).agg("|".join, axis=1)
    clash = labels.duplicated(keep=False)
    for _, group in distinct[clash].groupby(labels[clash], sort=False):
        uuids = list(group["uuid"][:2])
        lines = [int(i) for i in group.index[:2]]
        log.add(path, f"UUIDs {uuids[0]} (line {lines[0]}) and {uuids[1]} (line {lines[1]}) carry the same measure and "
                "labels; they must differ in a column this reader does not decode (see UNSEEN_COLUMNS and MEASURES "
                "in benchmark/data/ascfr_datafile.py)", row=lines[1], column="UUID")


def read_ascfr_datafile_areas(path: Path, found: Found) -> pd.DataFrame:
    """Every row of the file -- councils, regions and England -- with its ``area_level``.

    Columns: :data:`AREA_COLUMNS`.  ``area`` is the ONS code (E92000001 for England), ``region`` the
    council's region code (a region's own code; E92000001 for England), ``name`` the publisher's
    spelling (display only, never a key), ``file``/``line`` where the row is.
    """
    path = Path(path)
    raw = read_csv(path)
    mapping = _canonical_columns(list(raw.columns))
    raw = raw.rename(columns=mapping)
    require_columns(raw, REQUIRED_COLUMNS, path)
    raw, not_read = _rows_of_known_measures(raw, path)
    log = ProblemLog()
    _check_one_year(raw, found, path, log)
    out = _areas(raw, path, log)
    out["year"] = found.year
    measures = _measures(raw, path, log)
    out["measure"] = measures["measure"]
    out["unit"] = measures["unit"]
    for tidy_column, (column, vocabulary) in BREAKDOWNS.items():
        out[tidy_column] = _decode(raw, column, vocabulary, path, log)
    blank_type = _normalise(raw["DataType"]).isna()
    out.loc[blank_type, "data_type"] = np.where(out.loc[blank_type, "age_band"].isin(VOLUNTARY_AGE_BANDS).fillna(False),
                                                "voluntary", "mandatory")
    out["uuid"] = _normalise(raw["UUID"])
    for line in out.index[out["uuid"].isna()]:
        log.add(path, "UUID is blank; every row names its form cell", row=int(line), column="UUID")
    _check_unseen_columns(raw, path, log)
    _check_uuid_labels(raw, path, log)
    _check_duplicates(out, path, log)
    _check_labels_identify_measures(out, path, log)
    out["value"] = to_number(raw["ITEMVALUE"], path, "ITEMVALUE", log) * measures["scale"]
    log.raise_if_any()
    out["source"] = found.source_id
    out["file"] = display_path(path)
    out["line"] = out.index.astype("int64")
    out = out.loc[:, AREA_COLUMNS].reset_index(drop=True)
    for column in AREA_COLUMNS:
        if column not in ("value", "line"):
            out[column] = out[column].astype("string")
    out.attrs["not_read"] = not_read
    return out


def _rows_of_known_measures(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The rows whose DATA_Level is a known measure, and one line per other label, saying so.

    A full data file holds income and activity rows whose units are not yet established here: they
    are left out and reported (never guessed), so the file's known measures can still be used.  A
    file with no known measure at all is an error, raised by :func:`_measures` for each label.
    """
    key = _lookup_key(_normalise(raw["DATA_Level"]))
    known = key.isin(list(MEASURES))
    if known.all() or not known.any():
        return raw, []
    text = _normalise(raw["DATA_Level"])[~known]
    counts = text.value_counts()
    lines = []
    for line, label in text.drop_duplicates().items():
        message = (f"{display_path(path)}, row {int(line)}, column 'DATA_Level': {_plural(int(counts[label]), 'row')} of "
                   f"'{label}' not read (unit not established; read so far: {_known_list(sorted(m.title() for m in MEASURES))})")
        logging.getLogger(__name__).warning(message)
        lines.append(message)
    return raw[known], lines


def read_ascfr_datafile(path: Path, found: Found) -> pd.DataFrame:
    """The council rows as a tidy table: council | year | measure | TIDY_BREAKDOWNS | value | unit | source."""
    return councils_from_areas(read_ascfr_datafile_areas(path, found))


def councils_from_areas(areas: pd.DataFrame) -> pd.DataFrame:
    """The council rows of :func:`read_ascfr_datafile_areas` output as a tidy table (empty when no
    data file is present)."""
    if "area_level" not in areas.columns:
        areas = pd.DataFrame(columns=AREA_COLUMNS).astype({"value": "float64"})
    councils = areas[areas["area_level"] == "council"].rename(columns={"area": "council"})
    return tidy(councils, TIDY_BREAKDOWNS)


# --------------------------------------------------------------------------------------------
# sums
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImpliedValue(Problem):
    """Not a failure: a suppressed value and what the publisher's totals imply for it."""

    area: str = ""
    uuid: str = ""
    implied: float = math.nan  # in the file's unit (£ thousand for money)


def sum_failures(problems: list[Problem]) -> list[Problem]:
    """The problems of :func:`check_ascfr_datafile_sums` that are failures (not implied values)."""
    return [p for p in problems if not isinstance(p, ImpliedValue)]


_HALF = 0.5  # the file's unit: £0.5 thousand


def _file_units(values: pd.Series, units: pd.Series) -> pd.Series:
    """Values back in the file's units (£ thousand for money) for messages and tolerances."""
    scale = units.map({m.unit: m.scale for m in MEASURES.values()}).fillna(1.0).astype("float64")
    return values / scale


def _whole_units(values: pd.Series) -> bool:
    """True when every value is a whole number of file units (2021-22 and 2022-23 are whole £ thousand)."""
    finite = values.dropna()
    return bool(len(finite)) and bool(np.all(np.abs(finite - np.round(finite)) < 1e-6))


def _describe(row) -> str:
    parts = [row.get(k) for k in ("measure", "care_type", "age_band", "primary_support_reason", "support_setting")]
    return f"UUID {row['uuid']} ({', '.join(str(p) for p in parts if isinstance(p, str))})"


def _fmt(value: float, unit: str) -> str:
    text = f"{value:,.2f}" if abs(value - round(value)) > 1e-9 else f"{value:,.0f}"
    return f"£{text} thousand" if unit == "gbp" else f"{text} {unit}"


_INFO_COLUMNS = ["file", "line", "area", "name", "uuid", "unit", "measure", "care_type", "age_band",
                 "primary_support_reason", "support_setting"]


def _reconcile(children: pd.DataFrame, parents: pd.DataFrame, keys: list[str], whole: bool, what: str,
               parent_word: str) -> list[Problem]:
    """Children add up to the parent row with the same ``keys`` (values in file units, column ``units``)."""
    problems: list[Problem] = []
    if children.empty:
        return problems
    grouped = children.assign(_missing=children["units"].isna()).groupby(keys, sort=False)
    joined = pd.concat([grouped["units"].sum(min_count=1).rename("children"), grouped["units"].size().rename("n"),
                        grouped["_missing"].sum().rename("n_missing")], axis=1)
    parent_rows = parents.drop_duplicates(subset=keys).set_index(keys)
    info = [c for c in ["units", *_INFO_COLUMNS] if c in parent_rows.columns]
    joined = joined.join(parent_rows[info], how="left")

    orphans = joined.index[joined["line"].isna()]
    if len(orphans):
        first = children.set_index(keys).loc[orphans].reset_index().drop_duplicates(subset=keys)
        for _, child in first.iterrows():
            problems.append(Problem(str(child["file"]), f"no {parent_word} row for the {what} of {_describe(child)} "
                                    f"in {child['region'] if 'region' in keys else child['area']}",
                                    row=int(child["line"]), column="ITEMVALUE"))
    have = joined[joined["line"].notna()].reset_index()
    have["tolerance"] = _HALF * (have["n"] + 1) if whole else _HALF
    complete = (have["n_missing"] == 0) & have["units"].notna()
    difference = have["units"] - have["children"]
    for _, row in have[complete & (difference.abs() > have["tolerance"] + 1e-9)].iterrows():
        problems.append(Problem(
            str(row["file"]),
            f"{row['name']} ({row['area']}) {_describe(row)} is {_fmt(row['units'], row['unit'])} but its "
            f"{int(row['n'])} {what} add up to {_fmt(row['children'], row['unit'])} "
            f"(difference {row['units'] - row['children']:,.3f}, tolerance {row['tolerance']:g})",
            row=int(row["line"]), column="ITEMVALUE"))

    incomplete = have[~complete]
    if incomplete.empty:
        return problems
    hidden = children[children["units"].isna()]
    hidden = hidden.assign(_label=hidden["name"].fillna("") + " (" + hidden["area"].fillna("") + ")")
    hidden_info = hidden.groupby(keys, sort=False).agg(names=("_label", ", ".join), areas=("area", ",".join),
                                                        n_hidden=("area", "size"), first_line=("line", "min"))
    incomplete = incomplete.join(hidden_info, on=keys)
    for row in incomplete.itertuples(index=False):
        unit = row.unit
        if pd.isna(row.units):
            if pd.isna(row.n_hidden):  # the total is suppressed but every part is known
                implied = float(row.children)
                problems.append(ImpliedValue(
                    str(row.file), f"{row.name} ({row.area}) {_describe(row._asdict())} is suppressed; its {what} "
                    f"imply {_fmt(implied, unit)} (reported, not a failure)", row=int(row.line), column="ITEMVALUE",
                    area=str(row.area), uuid=str(row.uuid), implied=implied))
            continue  # total and parts suppressed (a suppressed council's settings): nothing is implied
        known = 0.0 if pd.isna(row.children) else float(row.children)
        implied = float(row.units) - known
        together = "" if row.n_hidden == 1 else " together"
        problems.append(ImpliedValue(
            str(row.file),
            f"{row.names} suppressed in {_describe(row._asdict())}: {row.name} ({row.area}) less its other "
            f"{int(row.n - row.n_hidden)} {what} implies{together} {_fmt(implied, unit)} (reported, not a failure)",
            row=int(row.first_line), column="ITEMVALUE", area=str(row.areas), uuid=str(row.uuid), implied=implied))
    return problems


def check_ascfr_datafile_sums(table: pd.DataFrame) -> list[Problem]:
    """Reconcile the publisher's own totals in a table from :func:`read_ascfr_datafile_areas`.

    For every measure (UUID): the councils of each region add up to the Region row, the nine regions
    to the England row, and in every area the support settings add up to the ``total`` setting.
    Tolerance £0.5 thousand, or the rounding of the parts (0.5 per part and total) in a file whose
    values are whole thousands (2021-22, 2022-23).  A suppressed value is not a failure: an
    :class:`ImpliedValue` reports what the totals imply for it.  Several files may be passed together;
    every problem names its file.  Use :func:`sum_failures` to keep the failures only.
    """
    problems: list[Problem] = []
    for _, part in table.groupby("file", sort=False):
        part = part.copy()
        part["units"] = _file_units(part["value"], part["unit"])
        whole = _whole_units(part["units"])
        councils = part[part["area_level"] == "council"]
        regions = part[part["area_level"] == "region"]
        england = part[part["area_level"] == "england"]
        problems += _reconcile(councils, regions.assign(region=regions["area"]), ["uuid", "region"], whole,
                               "councils", "Region")
        problems += _reconcile(regions.assign(region=ENGLAND_CODE), england.assign(region=ENGLAND_CODE),
                               ["uuid", "region"], whole, "regions", "England")
        settings = part[part["support_setting"].notna()]
        keys = ["area", "measure", "care_type", "age_band", "primary_support_reason", "provision", "data_type"]
        filled = settings.assign(**{k: settings[k].fillna("") for k in keys})
        totals = filled[filled["support_setting"] == "total"]
        parts = filled[filled["support_setting"] != "total"]
        with_total = parts.set_index(keys).index.isin(totals.set_index(keys).index)
        problems += _reconcile(parts[with_total], totals, keys, whole, "support settings", "Total setting")
    return problems


# --------------------------------------------------------------------------------------------
# the publication
# --------------------------------------------------------------------------------------------

PUBLICATIONS = (
    Publication(
        id=PUBLICATION_ID,
        name="Adult Social Care Finance Return (ASC-FR) data file",
        publisher="NHS England",
        folder="ascfr/data-files",
        year_kind="financial",
        holds="Councils' adult social care spending from the ASC-FR, one value per form cell (UUID): "
              "measure by care type, age band, primary support reason and support setting, in £.",
        where_to_get="NHS England, Adult Social Care Activity and Finance Report (annual), data file CSV",
        detect=detect_ascfr_datafile,
        read=read_ascfr_datafile,
        table="ascfr_datafile",
        caveats="Only DATA_Level 'Gross Current Expenditure' is read so far: a full data file's income and "
                "activity rows are left out, and reported when the file is added, until their units are established.  The shipped "
                "files are an extract: long-term care, all reasons, by setting and age band.  '[x]' (suppressed councils) "
                "is missing, never 0.  Some years are published in whole £ thousand.  Region and England rows are kept "
                "apart from councils.",
    ),
)
