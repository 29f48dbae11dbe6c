"""Adult Social Care Finance Return (ASC-FR, NHS Digital): the one-off file shapes of its early years.

Before NHS England's data file (read by :mod:`benchmark.data.ascfr_datafile`), the return reached
this toolkit in three shapes of its own.  Each is found in ``raw/ascfr/`` (the folder itself: its
subfolders hold data files, read elsewhere) by its header columns, never by its name, and read
whatever year it holds (:func:`find_files`).  All give the same tidy tables:

* **Keyed CSV pack** (NHS Digital): a Totals, an Activity and an Additional table, with FY_Ending,
  CASSR_CODE, GEOGRAPHY_CODE, REGION_GO_CODE and integer ``*_KEY`` columns and no lookup shipped.
  :data:`PACK_KEYS` decodes every key used; how each decode was established is in
  ``docs/ascfr-keys.md``.  Money is in £000 and converted to £.  ``:`` marks a suppressed value and
  becomes missing.  A pack also holds region and England aggregate rows (no CASSR code), which are
  kept apart for reconciliation.  The year is FY_Ending's, the year the financial year ends in (one
  per file).  The three tables of a year belong together: a year with one of them missing is an
  error, naming the missing file where :data:`~benchmark.data.sources.SOURCES` describes it.
* **GCE conversion** (a researcher's conversion of NHS Digital's file): gross current expenditure,
  labelled (``*_Key`` columns holding words), ITEMVALUE already in £, the '99' subtotal rows
  removed.  Negative values (173 in the shipped file) are kept as published: gross spend nets off
  some adjustments in the return.  The year is FY_ENDING's.  The council registry takes the
  councils abolished since from this shape (:mod:`benchmark.data.councils`).
* **Labelled files** (NHS Digital) of activity (Council Code, Council Name, Care Type, Activity
  Provision ...) and of additional data (Council Code, Council Name, Data Type, Data Source, Age
  Band ...), councils identified by CASSR code only, mapped to ONS codes through the registry for
  the file's year.  They carry no year column: the year comes from the file's name, as NHS Digital
  names it (``pss-exp-eng-YY-YY-...``) or a ``YYYY-YY`` in it; a name with neither is an error.

Each file's ``source`` is the id :data:`~benchmark.data.sources.SOURCES` gives its path (relative to
``raw/``); a file not described there gets one built from its shape and year, e.g.
``ascfr_pack_totals_<year>``, which validation reports until the file is described.

Double counting: the 65-74, 75-84 and 85+ age bands are *voluntary* splits of the 65+ band.  Every
row carries ``data_type`` (``mandatory``/``voluntary``); sum mandatory rows only.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmark.data.readers import ProblemLog, display_path, read_csv, to_number
from benchmark.data.sources import SOURCES
from benchmark.data.tidy import TIDY_LEADING, TIDY_TRAILING, financial_year, tidy
from benchmark.errors import DataError, Problem

if TYPE_CHECKING:  # councils.py finds its files through this module
    from benchmark.data.councils import CouncilRegistry

#: The folder, under ``raw/``, whose files (not subfolders) are read here.
FOLDER = "ascfr"

EXPENDITURE_KEYS = ["care_type", "age_band", "primary_support_reason", "support_setting", "purpose", "carer_support_type", "data_type"]
ACTIVITY_KEYS = ["care_type", "provision", "age_band", "primary_support_reason", "support_setting", "purpose", "data_type"]
ADDITIONAL_KEYS = ["form_section", "age_band", "data_type"]

#: Decodes of the keyed pack's keys, established on the 2016-17 pack; docs/ascfr-keys.md gives the
#: evidence behind each.  A key value not here is reported, never guessed.
PACK_KEYS: dict[str, dict[int, str]] = {
    "CareType_KEY": {2: "long_term", 3: "other", 4: "short_term"},
    "AgeBand_KEY": {1: "18-64", 2: "65+", 3: "65-74", 4: "75-84", 5: "85+"},
    "PrimarySupportReason_KEY": {
        1: "assistive_equipment_and_technology",
        2: "commissioning_and_service_delivery",
        3: "information_and_early_intervention",
        4: "learning_disability",
        5: "mental_health",
        6: "physical",
        7: "sensory",
        8: "social_care_activities",
        9: "asylum_seeker_support",
        10: "substance_misuse_support",
        11: "social_isolation_and_other_support",
        12: "support_to_carers",
        13: "memory_and_cognition",
    },
    "SupportSetting_KEY": {
        1: "direct_payments",
        2: "home_care",
        3: "other_long_term_care",
        4: "supported_living",
        # Key 5 is £0 in every row of the pack (income only in some aggregate rows); not decoded.
        5: "setting_key_5_undecoded",
        6: "nursing",
        7: "residential",
        9: "supported_accommodation",
    },
    "Purpose_KEY": {1: "other_short_term", 2: "maximise_independence"},
    "CarerSupportType_KEY": {1: "direct_payments", 2: "other"},
    "ActivityProvision_KEY": {2: "external", 3: "in_house"},
    "DataType_KEY": {1: "mandatory", 2: "voluntary"},
    "Datatype_KEY": {1: "mandatory", 2: "voluntary"},
    "DataSource_KEY": {1: "additional_data", 2: "bridging_year"},
}

#: The pack's Additional table items by form cell (UUID), named as in the labelled additional file,
#: whose UUIDs are the same cells of the same form (matched between the 2016-17 pack and the
#: 2015-16 file).
ADDITIONAL_ITEMS: dict[str, tuple[str, str]] = {
    "8326110": ("income_from_specific_and_special_grants", "gbp"),
    "8328110": ("income_from_better_care_fund", "gbp"),
    "8510101": ("assessment_and_care_management_expenditure", "gbp"),
    "8510102": ("assessment_and_care_management_income", "gbp"),
    "8510201": ("residential_and_nursing_care_expenditure", "gbp"),
    "8510202": ("residential_and_nursing_care_income", "gbp"),
    "8510301": ("home_care_services_expenditure", "gbp"),
    "8510302": ("home_care_services_income", "gbp"),
    "8510401": ("community_based_services_expenditure", "gbp"),
    "8510402": ("community_based_services_income", "gbp"),
    "8510502": ("fairer_charging_income", "gbp"),
    "8510601": ("direct_payments_expenditure", "gbp"),
    "8510602": ("direct_payments_income", "gbp"),
    "8510701": ("other_expenditure", "gbp"),
    "8510702": ("other_expenditure_income", "gbp"),
    "8511101": ("assessment_and_care_management_expenditure", "gbp"),
    "8511102": ("assessment_and_care_management_income", "gbp"),
    "8511201": ("residential_and_nursing_care_expenditure", "gbp"),
    "8511202": ("residential_and_nursing_care_income", "gbp"),
    "8511301": ("home_care_services_expenditure", "gbp"),
    "8511302": ("home_care_services_income", "gbp"),
    "8511401": ("community_based_services_expenditure", "gbp"),
    "8511402": ("community_based_services_income", "gbp"),
    "8511502": ("fairer_charging_income", "gbp"),
    "8511601": ("direct_payments_expenditure", "gbp"),
    "8511602": ("direct_payments_income", "gbp"),
    "8511701": ("other_expenditure", "gbp"),
    "8511702": ("other_expenditure_income", "gbp"),
    "8512101": ("other_expenditure", "gbp"),
    "8512102": ("other_expenditure_income", "gbp"),
    "8513203": ("other_non_personal_social_services_expenditure", "gbp"),
    "8513303": ("income_from_specific_and_special_grants", "gbp"),
    "8643201": ("number_of_salt_clients", "persons"),
}

#: Labels of the labelled files and the GCE conversion, mapped to the same vocabulary as the pack's keys.
LABELS = {
    "care_type": {"long term": "long_term", "short term": "short_term", "long term care": "long_term",
                  "short term care": "short_term", "other": "other"},
    "provision": {"in house": "in_house", "external": "external"},
    "age_band": {"age 18 to 64": "18-64", "age 65 and over": "65+", "age 65 to 74": "65-74",
                 "age 75 to 84": "75-84", "age 85 and over": "85+", "18 to 64": "18-64", "65 and over": "65+"},
    "primary_support_reason": {
        "physical support": "physical", "sensory support": "sensory",
        "support with memory and cognition": "memory_and_cognition",
        "learning disability support": "learning_disability", "mental health support": "mental_health",
        "assistive equipment and technology": "assistive_equipment_and_technology",
        "commissioning and service delivery": "commissioning_and_service_delivery",
        "information and early intervention": "information_and_early_intervention",
        "social care activities": "social_care_activities",
        "social support: asylum seeker support": "asylum_seeker_support",
        "social support: substance misuse support": "substance_misuse_support",
        "social support: support for social isolation/other": "social_isolation_and_other_support",
        "social support: support to carer": "support_to_carers",
    },
    "support_setting": {
        "residential": "residential", "nursing": "nursing",
        "community: direct payments": "direct_payments", "community: home care": "home_care",
        "community: supported living": "supported_living",
        "community: other long term care": "other_long_term_care",
        "supported accommodation": "supported_accommodation",
    },
    "purpose": {"to maximise independence": "maximise_independence", "other short term": "other_short_term"},
    "carer_support_type": {"community: direct payments": "direct_payments", "community: other": "other"},
    "data_type": {"mandatory": "mandatory", "voluntary": "voluntary", "voluntay": "voluntary"},
    "form_section": {"additional data": "additional_data", "bridging year": "bridging_year"},
}

#: The pack's Totals table: money columns -> measure.
PACK_MONEY_COLUMNS = {
    "GROSSCURRENTEXPENDITURE": "gross_current_expenditure",
    "NETCURRENTEXPENDITURE": "net_current_expenditure",
    "GROSSTOTALEXPENDITURE": "gross_total_expenditure",
    "NETTOTALEXPENDITURE": "net_total_expenditure",
    "TOTALEXPENDITURE": "total_expenditure",
    "TOTALINCOME": "total_income",
}


# --------------------------------------------------------------------------------------------
# Finding the files: each shape by its header columns
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shape:
    """One file shape: a header with every ``identity`` column and at least one ``any_of`` column."""

    name: str  # short, snake_case; part of the source id of a file not described in sources.py
    description: str  # plain words, for messages
    identity: frozenset[str]
    any_of: frozenset[str]

    def matches(self, header: set[str]) -> bool:
        return self.identity <= header and bool(self.any_of & header)

    def looked_for(self) -> str:
        """The shape in words, with the columns that tell it."""
        return f"{self.description} (columns {', '.join(sorted(self.identity))} and {' or '.join(sorted(self.any_of))})"


_PACK = frozenset({"FY_Ending", "CASSR_CODE", "GEOGRAPHY_CODE"})
_LABELLED = frozenset({"Council Code", "Council Name"})

SHAPES = (
    Shape("pack_totals", "Totals table of the keyed CSV pack", _PACK, frozenset(PACK_MONEY_COLUMNS)),
    Shape("pack_activity", "Activity table of the keyed CSV pack", _PACK, frozenset({"ActivityProvision_KEY"})),
    Shape("pack_additional", "Additional table of the keyed CSV pack", _PACK, frozenset({"DataSource_KEY"})),
    Shape("gce", "GCE conversion of gross current expenditure in £", frozenset({"FY_ENDING", "GEOGRAPHY_CODE", "ITEMVALUE"}),
          frozenset({"CareType_Key", "SupportSetting_Key"})),
    Shape("labelled_activity", "labelled activity file", _LABELLED, frozenset({"Activity Provision"})),
    Shape("labelled_additional", "labelled additional data file", _LABELLED, frozenset({"Data Source"})),
)
SHAPES_BY_NAME = {shape.name: shape for shape in SHAPES}

#: The pack's tables, by shape: they come together, one of each for a year.
PACK_TABLES = {"pack_totals": "Totals", "pack_activity": "Activity", "pack_additional": "Additional"}

_SNIFF_BYTES = 16_384


def _first_lines(path: Path) -> list[list[str]] | None:
    """The header and first data line of a text file as CSV cells (from its first few KB); None for
    a binary file, [] for an empty one."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return None
    if b"\x00" in head:
        return None
    text = head.decode("utf-8-sig", errors="replace")
    if not text.strip():
        return []
    try:
        rows = list(csv.reader(io.StringIO("\n".join(text.splitlines()[:2]))))
    except csv.Error:
        return None
    return [[cell.strip() for cell in row] for row in rows]


def find_files(raw_dir: Path) -> dict[str, list[Path]]:
    """The CSV files directly in ``raw/ascfr/`` of each shape: shape name -> paths, by file name.

    A file of no known shape is not these readers' (another reader's, or notes) and is left out; an
    empty CSV, or a header that fits two shapes, is a :class:`DataError`.
    """
    folder = Path(raw_dir) / FOLDER
    if not folder.is_dir():
        raise DataError(Problem(display_path(folder), "folder not found (see data/README.md for what belongs here)"))
    found: dict[str, list[Path]] = {shape.name: [] for shape in SHAPES}
    problems = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() != ".csv":
            continue
        lines = _first_lines(path)
        if lines is None:
            continue
        if not lines:
            problems.append(Problem(display_path(path), "file is empty; expected a header row and data"))
            continue
        header = set(lines[0])
        shapes = [shape for shape in SHAPES if shape.matches(header)]
        if len(shapes) > 1:
            fits = ", ".join(shape.description for shape in shapes)
            problems.append(Problem(display_path(path), f"header fits more than one ASC-FR file shape ({fits})"))
        elif shapes:
            found[shapes[0].name].append(path)
    if problems:
        raise DataError(problems)
    return found


def require_files(raw_dir: Path, found: dict[str, list[Path]], shape: str, needed_for: str) -> list[Path]:
    """The files of one shape, or a :class:`DataError` saying none was found and what it is needed for."""
    if not found[shape]:
        looked_for = SHAPES_BY_NAME[shape].looked_for()
        raise DataError(Problem(display_path(Path(raw_dir) / FOLDER), f"no {looked_for} found; it is needed for {needed_for}"))
    return found[shape]


def _source_id(raw_dir: Path, path: Path, shape: str, year: str) -> str:
    """The id :data:`SOURCES` gives the file's path; for a file not described there, one from its
    shape and year (which validation reports as undescribed)."""
    relative = Path(path).relative_to(raw_dir).as_posix()
    for source in SOURCES:
        if source.path == relative:
            return source.id
    return f"ascfr_{shape}_{year.replace('-', '_')}"


# --------------------------------------------------------------------------------------------
# The year of a file
# --------------------------------------------------------------------------------------------

def _year_ending(text: str) -> str | None:
    """The financial year that ends in year ``text`` (four digits), or None."""
    text = str(text).strip()
    return financial_year(int(text) - 1) if len(text) == 4 and text.isdigit() else None


def _year_of_column(frame: pd.DataFrame, column: str, path: Path) -> str:
    """The one financial year a file holds, from its column of the year each row's year ends in."""
    firsts = frame[column].fillna("").str.strip().drop_duplicates()
    if len(firsts) > 1:
        listed = ", ".join(f"'{value}' from row {row}" for row, value in firsts.iloc[:4].items()) + (", ..." if len(firsts) > 4 else "")
        raise DataError(Problem(display_path(path), f"holds several financial years ({column} {listed}); expected one year per file",
                                row=int(firsts.index[1]), column=column))
    (row, text), = firsts.items()
    year = _year_ending(text)
    if year is None:
        raise DataError(Problem(display_path(path), f"expected the four-digit year the financial year ends in, found '{text}'",
                                row=int(row), column=column))
    return year


#: NHS Digital's names give a year's last two digits, e.g. ``pss-exp-eng-YY-YY-fin-act.csv``.
_NHS_DIGITAL_NAME = re.compile(r"pss-exp-eng-(\d{2})-(\d{2})(?!\d)", re.IGNORECASE)
_FINANCIAL_YEAR_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?!\d)")
_CENTURY = 2000  # of NHS Digital's two-digit years


def _year_of_name(path: Path) -> str:
    """A labelled file's year, from its name (the file has no year column)."""
    for pattern, century in ((_NHS_DIGITAL_NAME, _CENTURY), (_FINANCIAL_YEAR_IN_NAME, 0)):
        match = pattern.search(path.name)
        if match and (int(match.group(1)) + 1) % 100 == int(match.group(2)):
            return financial_year(century + int(match.group(1)))
    raise DataError(Problem(display_path(path), "no financial year in the file name: this labelled ASC-FR file has no year column, so its "
                                                "name must carry the year as NHS Digital names it (pss-exp-eng-YY-YY-...) or as YYYY-YY"))


# --------------------------------------------------------------------------------------------
# One table from every file of the shapes it comes from
# --------------------------------------------------------------------------------------------

def _pack_year(path: Path) -> str | None:
    """A pack table's year from its first data row (the table's own reader checks every row)."""
    lines = _first_lines(path) or []
    if len(lines) < 2 or "FY_Ending" not in lines[0] or len(lines[1]) != len(lines[0]):
        return None
    return _year_ending(lines[1][lines[0].index("FY_Ending")])


def _pack_gaps(raw_dir: Path, found: dict[str, list[Path]], shape: str) -> list[Problem]:
    """Years of the keyed pack with some of its tables but not ``shape``'s: one problem each, naming
    the missing file where the source table describes exactly one of that year as missing."""
    years = {table: {_pack_year(path) for path in found[table]} - {None} for table in PACK_TABLES}
    problems = []
    for year in sorted(set().union(*(years[t] for t in PACK_TABLES if t != shape)) - years[shape]):
        present = [PACK_TABLES[t] for t in PACK_TABLES if t != shape and year in years[t]]
        tables = f"{' and '.join(present)} table{'s' if len(present) > 1 else ''}"
        what = f"the keyed CSV pack for {year} has its {tables} but no {PACK_TABLES[shape]} table"
        missing = [Path(raw_dir) / s.path for s in SOURCES if s.years == year and Path(s.path).parent.as_posix() == FOLDER
                   and s.path.lower().endswith(".csv") and not (Path(raw_dir) / s.path).is_file()]
        if len(missing) == 1:
            problems.append(Problem(display_path(missing[0]), f"file not found ({what})"))
        else:
            named = f" (missing, as described in benchmark/data/sources.py: {', '.join(p.name for p in missing)})" if missing else ""
            problems.append(Problem(display_path(Path(raw_dir) / FOLDER), what + named))
    return problems


def _load(raw_dir: Path, readers: dict[str, Callable[[Path], pd.DataFrame]], what: str, breakdowns: list[str], *,
          required: bool = True) -> pd.DataFrame:
    """One tidy table from every file of the shapes ``readers`` read, oldest year first.

    Every file's problems are collected before raising; so are the years of the keyed pack that lack
    one of the tables read here.  No file of these shapes is an error if ``required``, else an empty
    table.
    """
    raw = Path(raw_dir)
    found = find_files(raw)
    jobs = [(read, path) for shape, read in readers.items() for path in found[shape]]
    if not jobs and required:
        looked_for = "; ".join(SHAPES_BY_NAME[shape].looked_for() for shape in readers)
        raise DataError(Problem(display_path(raw / FOLDER), f"no ASC-FR {what} file found; looked for: {looked_for}"))
    parts, problems = [], []
    for read, path in jobs:
        try:
            parts.append(read(path))
        except DataError as error:
            problems.extend(error.problems)
    if required:
        for shape in readers:
            if shape in PACK_TABLES:
                problems += _pack_gaps(raw, found, shape)
    if problems:
        raise DataError(problems)
    if not parts:
        return tidy(pd.DataFrame(columns=[*TIDY_LEADING, *breakdowns, *TIDY_TRAILING]), breakdowns)
    parts.sort(key=lambda part: str(part["year"].min()) if len(part) else "")
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------

def _decode_labels(values: pd.Series, vocabulary: str, path: Path, column: str, log: ProblemLog) -> pd.Series:
    """Map a labelled column to the shared vocabulary; '-' means 'does not apply'."""
    text = values.str.strip().str.lower()
    decoded = text.map(LABELS[vocabulary])
    unknown = decoded.isna() & text.notna() & (text != "-")
    for row, label in values[unknown].items():
        log.add(path, f"unrecognised {vocabulary.replace('_', ' ')} '{label}'", row=int(row), column=column)
    return decoded


def _decode_keys(frame: pd.DataFrame, key: str, path: Path, log: ProblemLog) -> pd.Series:
    """Map a pack's integer key column through :data:`PACK_KEYS`; blank means 'does not apply'."""
    numbers = pd.to_numeric(frame[key], errors="coerce")
    decoded = numbers.map(PACK_KEYS[key])
    unknown = decoded.isna() & frame[key].notna()
    for row, value in frame.loc[unknown, key].items():
        log.add(path, f"key value '{value}' is not in the key map (benchmark/data/ascfr.py PACK_KEYS)", row=int(row), column=key)
    return decoded


def _ons_codes_for_cassr(cassr: pd.Series, year: str, registry: CouncilRegistry, path: Path, column: str, log: ProblemLog) -> pd.Series:
    lookup = {code: registry.ons_code_for_cassr(code, year) for code in cassr.dropna().unique()}
    ons = cassr.map(lookup)
    for row, code in cassr[ons.isna()].items():
        log.add(path, f"CASSR code '{code}' is not a council in {year} (see 'python -m benchmark councils')", row=int(row), column=column)
    return ons


def _split_aggregates(frame: pd.DataFrame, path: Path, log: ProblemLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pack: council rows carry a CASSR and ONS code; region/England aggregates carry neither."""
    is_council = frame["CASSR_CODE"].notna()
    half_coded = is_council != frame["GEOGRAPHY_CODE"].notna()
    for row in frame.index[half_coded]:
        log.add(path, "row has a CASSR code or an ONS code but not both", row=int(row), column="GEOGRAPHY_CODE")
    return frame[is_council & ~half_coded], frame[~is_council & ~half_coded]


def _read_pack(path: Path, columns: list[str]) -> tuple[pd.DataFrame, str]:
    frame = read_csv(path, ["FY_Ending", "CASSR_CODE", "GEOGRAPHY_CODE", *columns])
    return frame, _year_of_column(frame, "FY_Ending", path)


# --------------------------------------------------------------------------------------------
# Expenditure
# --------------------------------------------------------------------------------------------

_GCE_KEYS = {"care_type": "CareType_Key", "age_band": "AgeBand_Key", "primary_support_reason": "PrimarySupportReason_Key",
             "support_setting": "SupportSetting_Key", "purpose": "Purpose_Key", "carer_support_type": "CarerSupportType_Key"}
_TOTALS_KEYS = {"care_type": "CareType_KEY", "age_band": "AgeBand_KEY", "primary_support_reason": "PrimarySupportReason_KEY",
                "support_setting": "SupportSetting_KEY", "purpose": "Purpose_KEY", "carer_support_type": "CarerSupportType_KEY",
                "data_type": "DataType_KEY"}


def _read_gce(path: Path, raw_dir: Path) -> pd.DataFrame:
    """A GCE conversion: gross current expenditure (£) by care type, age band, reason and setting."""
    raw = read_csv(path, ["FY_ENDING", "GEOGRAPHY_CODE", *_GCE_KEYS.values(), "ITEMVALUE", "DATA_LEVEL"])
    year = _year_of_column(raw, "FY_ENDING", path)
    log = ProblemLog()
    out = pd.DataFrame(index=raw.index)
    out["council"] = raw["GEOGRAPHY_CODE"].str.strip()
    out["year"] = year
    out["measure"] = "gross_current_expenditure"
    for key, column in _GCE_KEYS.items():
        out[key] = _decode_labels(raw[column], key, path, column, log)
    out["data_type"] = "mandatory"
    out["value"] = to_number(raw["ITEMVALUE"], path, "ITEMVALUE", log)
    log.raise_if_any()
    out["unit"] = "gbp"
    out["source"] = _source_id(raw_dir, path, "gce", year)
    return tidy(out, EXPENDITURE_KEYS)


def _read_pack_totals(path: Path, raw_dir: Path, *, aggregates: bool = False) -> pd.DataFrame:
    """A pack's Totals table: the six money measures, keys decoded, £000 converted to £; the council
    rows, or with ``aggregates`` the region and England rows (``council`` = E12/E92 code)."""
    raw, year = _read_pack(path, ["REGION_GO_CODE", *_TOTALS_KEYS.values(), *PACK_MONEY_COLUMNS])
    log = ProblemLog()
    councils, regions = _split_aggregates(raw, path, log)
    frame = regions if aggregates else councils
    decoded = pd.DataFrame(index=frame.index)
    decoded["council"] = frame["REGION_GO_CODE" if aggregates else "GEOGRAPHY_CODE"].str.strip()
    decoded["year"] = year
    for key, column in _TOTALS_KEYS.items():
        decoded[key] = _decode_keys(frame, column, path, log)
    parts = []
    for column, measure in PACK_MONEY_COLUMNS.items():
        part = decoded.copy()
        part["measure"] = measure
        part["value"] = to_number(frame[column], path, column, log) * 1000.0
        parts.append(part)
    out = pd.concat(parts)
    log.raise_if_any()
    out["unit"] = "gbp"
    out["source"] = _source_id(raw_dir, path, "pack_totals", year)
    return tidy(out, EXPENDITURE_KEYS)


def load_expenditure(raw_dir: Path) -> pd.DataFrame:
    """All ASC-FR expenditure in ``raw/ascfr/``: the packs' Totals tables (six money measures) and the
    GCE conversions (gross current expenditure), oldest year first."""
    raw = Path(raw_dir)
    return _load(raw, {"pack_totals": lambda path: _read_pack_totals(path, raw), "gce": lambda path: _read_gce(path, raw)},
                 "expenditure", EXPENDITURE_KEYS)


def load_expenditure_aggregates(raw_dir: Path) -> pd.DataFrame:
    """The region and England rows of the packs' Totals tables (``council`` = E12/E92 code); empty
    without a pack.  Used only to reconcile the council rows against the publisher's own totals."""
    raw = Path(raw_dir)
    return _load(raw, {"pack_totals": lambda path: _read_pack_totals(path, raw, aggregates=True)}, "expenditure aggregates",
                 EXPENDITURE_KEYS, required=False)


#: The store still builds the aggregates table by this older name (benchmark/data/store.py).


# --------------------------------------------------------------------------------------------
# Activity (client weeks)
# --------------------------------------------------------------------------------------------

_PACK_ACTIVITY_KEYS = {"care_type": "CareType_KEY", "provision": "ActivityProvision_KEY", "age_band": "AgeBand_KEY",
                       "primary_support_reason": "PrimarySupportReason_KEY", "support_setting": "SupportSetting_KEY",
                       "purpose": "Purpose_KEY", "data_type": "DataType_KEY"}
_LABELLED_ACTIVITY_COLUMNS = {"care_type": "Care Type", "provision": "Activity Provision", "age_band": "Age Bands",
                              "primary_support_reason": "Primary support reason", "support_setting": "Long Term Support Setting",
                              "purpose": "Short Term Purpose", "data_type": "Data Type"}


def _read_pack_activity(path: Path, raw_dir: Path) -> pd.DataFrame:
    """A pack's Activity table: client weeks by provision, age band, reason and setting."""
    raw, year = _read_pack(path, ["UUID", *_PACK_ACTIVITY_KEYS.values(), "ItemValue"])
    log = ProblemLog()
    councils, _ = _split_aggregates(raw, path, log)
    out = pd.DataFrame(index=councils.index)
    out["council"] = councils["GEOGRAPHY_CODE"].str.strip()
    out["year"] = year
    out["measure"] = "client_weeks"
    for key, column in _PACK_ACTIVITY_KEYS.items():
        out[key] = _decode_keys(councils, column, path, log)
    out["value"] = to_number(councils["ItemValue"], path, "ItemValue", log, minimum=0)
    log.raise_if_any()
    out["unit"] = "client_weeks"
    out["source"] = _source_id(raw_dir, path, "pack_activity", year)
    return tidy(out, ACTIVITY_KEYS)


def _read_labelled_activity(path: Path, raw_dir: Path, registry: CouncilRegistry) -> pd.DataFrame:
    """A labelled activity file (CASSR codes mapped to ONS codes for the file's year)."""
    year = _year_of_name(path)
    raw = read_csv(path, ["Council Code", *_LABELLED_ACTIVITY_COLUMNS.values(), "Value"])
    log = ProblemLog()
    out = pd.DataFrame(index=raw.index)
    out["council"] = _ons_codes_for_cassr(raw["Council Code"].str.strip(), year, registry, path, "Council Code", log)
    out["year"] = year
    out["measure"] = "client_weeks"
    for key, column in _LABELLED_ACTIVITY_COLUMNS.items():
        out[key] = _decode_labels(raw[column], key, path, column, log)
    out["value"] = to_number(raw["Value"], path, "Value", log, minimum=0)
    log.raise_if_any()
    out["unit"] = "client_weeks"
    out["source"] = _source_id(raw_dir, path, "labelled_activity", year)
    return tidy(out, ACTIVITY_KEYS)


def load_activity(raw_dir: Path, registry: CouncilRegistry) -> pd.DataFrame:
    """All ASC-FR activity (client weeks) in ``raw/ascfr/``: labelled files and packs, oldest year first."""
    raw = Path(raw_dir)
    return _load(raw, {"labelled_activity": lambda path: _read_labelled_activity(path, raw, registry),
                       "pack_activity": lambda path: _read_pack_activity(path, raw)}, "activity", ACTIVITY_KEYS)


# --------------------------------------------------------------------------------------------
# Additional data (income from the Better Care Fund, comparative totals)
# --------------------------------------------------------------------------------------------

def _additional_measures(uuid: pd.Series, path: Path, log: ProblemLog) -> tuple[pd.Series, pd.Series]:
    items = uuid.str.strip().map(ADDITIONAL_ITEMS)
    for row, value in uuid[items.isna()].items():
        log.add(path, f"form cell '{value}' is not in the item map (benchmark/data/ascfr.py ADDITIONAL_ITEMS)", row=int(row), column="UUID")
    measure = items.map(lambda item: item[0] if isinstance(item, tuple) else pd.NA)
    unit = items.map(lambda item: item[1] if isinstance(item, tuple) else pd.NA)
    return measure, unit


def _read_pack_additional(path: Path, raw_dir: Path) -> pd.DataFrame:
    """A pack's Additional table, incl. income from the Better Care Fund (£)."""
    raw, year = _read_pack(path, ["UUID", "DataSource_KEY", "Datatype_KEY", "AgeBand_KEY", "ItemValue"])
    log = ProblemLog()
    councils, _ = _split_aggregates(raw, path, log)
    out = pd.DataFrame(index=councils.index)
    out["council"] = councils["GEOGRAPHY_CODE"].str.strip()
    out["year"] = year
    out["measure"], out["unit"] = _additional_measures(councils["UUID"], path, log)
    out["form_section"] = _decode_keys(councils, "DataSource_KEY", path, log)
    out["age_band"] = _decode_keys(councils, "AgeBand_KEY", path, log)
    out["data_type"] = _decode_keys(councils, "Datatype_KEY", path, log)
    value = to_number(councils["ItemValue"], path, "ItemValue", log)
    out["value"] = np.where(out["unit"] == "gbp", value * 1000.0, value)
    log.raise_if_any()
    out["source"] = _source_id(raw_dir, path, "pack_additional", year)
    return tidy(out, ADDITIONAL_KEYS)


def _read_labelled_additional(path: Path, raw_dir: Path, registry: CouncilRegistry) -> pd.DataFrame:
    """A labelled additional data file (CASSR codes mapped to ONS codes for the file's year)."""
    year = _year_of_name(path)
    raw = read_csv(path, ["UUID", "Council Code", "Data Type", "Data Source", "Age Band", "Value"])
    log = ProblemLog()
    out = pd.DataFrame(index=raw.index)
    out["council"] = _ons_codes_for_cassr(raw["Council Code"].str.strip(), year, registry, path, "Council Code", log)
    out["year"] = year
    out["measure"], out["unit"] = _additional_measures(raw["UUID"], path, log)
    out["form_section"] = _decode_labels(raw["Data Source"], "form_section", path, "Data Source", log)
    out["age_band"] = _decode_labels(raw["Age Band"], "age_band", path, "Age Band", log)
    out["data_type"] = _decode_labels(raw["Data Type"], "data_type", path, "Data Type", log)
    value = to_number(raw["Value"], path, "Value", log)
    out["value"] = np.where(out["unit"] == "gbp", value * 1000.0, value)
    log.raise_if_any()
    out["source"] = _source_id(raw_dir, path, "labelled_additional", year)
    return tidy(out, ADDITIONAL_KEYS)


def load_additional(raw_dir: Path, registry: CouncilRegistry) -> pd.DataFrame:
    """All ASC-FR additional data in ``raw/ascfr/``: labelled files and packs, oldest year first."""
    raw = Path(raw_dir)
    return _load(raw, {"labelled_additional": lambda path: _read_labelled_additional(path, raw, registry),
                       "pack_additional": lambda path: _read_pack_additional(path, raw)}, "additional data", ADDITIONAL_KEYS)
