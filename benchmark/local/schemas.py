"""Schemas and strict readers for a council's own local inputs (documented in docs/local-data.md).

Every reader returns a typed DataFrame indexed by the line number a person sees in the file (header
= line 1) and raises :class:`~benchmark.errors.DataError` listing every problem, one line each,
naming file, row and column.  Nothing is coerced silently: a blank where a value is required, a
word where a number is expected, an unknown category or an impossible date is a problem.

Two optional columns are accepted in every file:

* ``illustrative``: ``true`` / ``false`` (blank = false).  Shipped examples that are generated, not
  real, carry ``true`` on every row; metric rows built on them are marked illustrative.
* ``source_note``: free text citing where a figure comes from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.data.readers import ProblemLog, display_path, read_csv
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, FINANCIAL_YEAR_PATTERN, financial_year_start
from benchmark.errors import DataError

# ---------------------------------------------------------------------------------------------
# vocabularies
# ---------------------------------------------------------------------------------------------

WORKFORCE_ROLES = (
    "social_worker", "occupational_therapist", "care_manager_assessor", "reablement",
    "provider_services", "management", "business_support", "other",
)
NATIONAL_ROLE_GROUPS = ("all", *WORKFORCE_ROLES)

BCF_LINE_TYPES = ("contribution", "spend", "minimum_requirement")
#: Contribution sources.  ``nhs_total_ccg`` and ``council_total`` hold a partner's whole contribution
#: where its split (NHS minimum / additional; DFG / iBCF / additional) is not published.
BCF_CONTRIBUTION_SOURCES = (
    "nhs_minimum", "additional_nhs", "nhs_total_ccg", "disabled_facilities_grant", "improved_bcf",
    "council_additional", "council_total", "other",
)
BCF_MINIMUM_SOURCE = "nhs_minimum_requirement"
#: Scheme types of spend lines (after the BCF planning template's scheme types).
BCF_SCHEME_TYPES = (
    "assistive_technology", "care_act_implementation", "carers_services", "community_based_schemes",
    "disabled_facilities_grant", "enablers_for_integration", "high_impact_change_discharge",
    "home_care", "intermediate_care", "integrated_care_planning", "personalised_care",
    "prevention_early_intervention", "reablement", "residential_placements", "other",
)

CARE_HOME_SETTINGS = ("residential", "nursing")
CLIENT_GROUPS = ("older_people", "learning_disability", "mental_health", "physical_disability", "all_adults")
NEED_LEVELS = ("standard", "enhanced", "dementia", "dementia_enhanced", "complex")

PACKAGE_AGE_BANDS = ("18-64", "65-74", "75-84", "85+", "65+")
SUPPORT_REASONS = ("physical", "sensory", "memory_and_cognition", "learning_disability", "mental_health", "social_support")
PACKAGE_SETTINGS = ("residential", "nursing", "home_care", "supported_living", "direct_payment", "day_care", "other_community")
FUNDING = ("council", "nhs_chc", "joint")

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "1"}, {"false", "no", "0"}


@dataclass(frozen=True)
class Column:
    """One column of a schema.  ``kind``: text, number, date, financial_year, choice, council."""

    name: str
    kind: str = "text"
    required: bool = True        # the column must be present
    nullable: bool = False       # blanks allowed
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    integer: bool = False


OPTIONAL_MARKERS = (Column("illustrative", "bool", required=False, nullable=True),
                    Column("source_note", "text", required=False, nullable=True))

WORKFORCE = (
    Column("as_at_date", "date"), Column("role", "choice", choices=WORKFORCE_ROLES),
    Column("fte", "number", minimum=0), Column("headcount", "number", minimum=0, integer=True),
    Column("vacancies_fte", "number", minimum=0), Column("agency_fte", "number", minimum=0),
)
NATIONAL_WORKFORCE = (
    Column("council", "council"), Column("year", "financial_year"),
    Column("fte", "number", minimum=0, nullable=True), Column("filled_posts", "number", minimum=0, nullable=True),
    Column("role_group", "choice", choices=NATIONAL_ROLE_GROUPS),
)
BCF_PLAN = (
    Column("financial_year", "financial_year"), Column("line_type", "choice", choices=BCF_LINE_TYPES),
    Column("source", "text", nullable=True), Column("scheme_type", "choice", choices=BCF_SCHEME_TYPES, nullable=True),
    Column("amount_gbp", "number", minimum=0),
)
NATIONAL_BCF = (
    Column("council", "council"), Column("financial_year", "financial_year"),
    Column("pooled_gbp", "number", minimum=0, nullable=True), Column("minimum_gbp", "number", minimum=0, nullable=True),
)
FEE_BANDS = (
    Column("band", "text"), Column("setting", "choice", choices=CARE_HOME_SETTINGS),
    Column("client_group", "choice", choices=CLIENT_GROUPS), Column("need_level", "choice", choices=NEED_LEVELS),
    Column("weekly_rate_gbp", "number", minimum=0), Column("effective_date", "date"),
)
PLACEMENTS = (
    Column("placement_ref", "text"), Column("band", "text", nullable=True),
    Column("weekly_fee_paid_gbp", "number", minimum=0), Column("third_party_top_up_gbp", "number", minimum=0),
    Column("provider", "text", nullable=True),
)
PACKAGES = (
    Column("package_id", "text"), Column("age_band", "choice", choices=PACKAGE_AGE_BANDS),
    Column("primary_support_reason", "choice", choices=SUPPORT_REASONS),
    Column("setting", "choice", choices=PACKAGE_SETTINGS), Column("weekly_cost_gbp", "number", minimum=0),
    Column("start_date", "date"), Column("last_review_date", "date", nullable=True),
    Column("funding", "choice", choices=FUNDING),
)


def _file(path: Path) -> str:
    return display_path(path)


def read_table(path: Path | str, schema: tuple[Column, ...]) -> pd.DataFrame:
    """Read ``path`` and check it against ``schema``; every problem is collected, then raised."""
    path = Path(path)
    columns = schema + OPTIONAL_MARKERS
    frame = read_csv(path, [c.name for c in columns if c.required])
    log = ProblemLog()
    out = pd.DataFrame(index=frame.index)
    for col in columns:
        if col.name not in frame.columns:
            out[col.name] = False if col.kind == "bool" else pd.Series(pd.NA, index=frame.index, dtype="string")
            continue
        out[col.name] = _parse(frame[col.name], col, path, log)
    log.raise_if_any()
    return out


def _parse(values: pd.Series, col: Column, path: Path, log: ProblemLog) -> pd.Series:
    text = values.astype("string").str.strip()
    blank = text.isna() | (text == "")
    if not col.nullable:
        for row in text.index[blank]:
            log.add(path, "value required, found a blank", row=int(row), column=col.name)
    present = text[~blank]
    if col.kind in _CONVERTERS:
        return _CONVERTERS[col.kind](present, text.index, col, path, log)
    if col.kind in _CHECKS:
        _CHECKS[col.kind](present, col, path, log)
    return text.where(~blank)


# Kinds of column read into other values: each (non-blank text, the column's full index, ...) -> the column.

def _parse_numbers(present: pd.Series, index: pd.Index, col: Column, path: Path, log: ProblemLog) -> pd.Series:
    numbers = pd.to_numeric(present.str.replace(",", "", regex=False), errors="coerce")
    for row in numbers.index[numbers.isna()]:
        log.add(path, f"expected a number, found '{present[row]}'", row=int(row), column=col.name)
    if col.minimum is not None:
        for row, number in numbers[numbers < col.minimum].items():
            log.add(path, f"must not be negative, found {number:g}" if col.minimum == 0
                    else f"expected at least {col.minimum:g}, found {number:g}", row=int(row), column=col.name)
    if col.integer:
        for row, number in numbers[numbers.notna() & (numbers % 1 != 0)].items():
            log.add(path, f"expected a whole number, found {number:g}", row=int(row), column=col.name)
    return numbers.reindex(index).astype("float64")


def _parse_dates(present: pd.Series, index: pd.Index, col: Column, path: Path, log: ProblemLog) -> pd.Series:
    parsed = pd.to_datetime(present.where(present.str.match(DATE_PATTERN)), format="%Y-%m-%d", errors="coerce")
    for row in parsed.index[parsed.isna()]:
        log.add(path, f"expected a date YYYY-MM-DD, found '{present[row]}'", row=int(row), column=col.name)
    return parsed.reindex(index)


def _parse_bools(present: pd.Series, index: pd.Index, col: Column, path: Path, log: ProblemLog) -> pd.Series:
    lowered = present.str.lower()
    for row, value in present[~lowered.isin(TRUE_WORDS | FALSE_WORDS)].items():
        log.add(path, f"expected true or false, found '{value}'", row=int(row), column=col.name)
    return lowered.isin(TRUE_WORDS).reindex(index, fill_value=False).astype(bool)


# Kinds of column kept as text: each checks the non-blank values.

def _check_financial_years(present: pd.Series, col: Column, path: Path, log: ProblemLog) -> None:
    for row, value in present.items():
        try:
            financial_year_start(value)
        except ValueError as error:
            log.add(path, str(error), row=int(row), column=col.name)


def _check_choices(present: pd.Series, col: Column, path: Path, log: ProblemLog) -> None:
    for row, value in present[~present.isin(col.choices)].items():
        log.add(path, f"unknown value '{value}' (allowed: {', '.join(col.choices)})", row=int(row), column=col.name)


def _check_council_codes(present: pd.Series, col: Column, path: Path, log: ProblemLog) -> None:
    for row, value in present.items():
        if not COUNCIL_CODE_PATTERN.match(value):
            log.add(path, f"expected an ONS council code like E06000045, found '{value}'", row=int(row), column=col.name)


_CONVERTERS = {"number": _parse_numbers, "date": _parse_dates, "bool": _parse_bools}
_CHECKS = {"financial_year": _check_financial_years, "choice": _check_choices, "council": _check_council_codes}


def _duplicates(frame: pd.DataFrame, keys: list[str], path: Path, log: ProblemLog, what: str) -> None:
    dup = frame.duplicated(keys, keep="first")
    if not dup.any():
        return  # the usual case: no need to walk the rows for where each key was first seen
    first_rows = {}
    for row, key in zip(frame.index, frame[keys].itertuples(index=False, name=None), strict=True):
        first_rows.setdefault(key, row)
        if dup[row]:
            log.add(path, f"duplicate {what} (first seen on row {first_rows[key]})", row=int(row), column=keys[-1])


# ---------------------------------------------------------------------------------------------
# file readers
# ---------------------------------------------------------------------------------------------

def _read_keyed(path: Path | str, schema: tuple[Column, ...], keys: list[str], what: str) -> pd.DataFrame:
    """A file of ``schema`` whose rows are unique on ``keys`` (``what`` names the key in the error)."""
    path = Path(path)
    frame = read_table(path, schema)
    log = ProblemLog()
    _duplicates(frame, keys, path, log, what)
    log.raise_if_any()
    return frame


def read_workforce(path: Path | str) -> pd.DataFrame:
    return _read_keyed(path, WORKFORCE, ["as_at_date", "role"], "role for this as_at_date")


def read_national_workforce(path: Path | str) -> pd.DataFrame:
    return _read_keyed(path, NATIONAL_WORKFORCE, ["council", "year", "role_group"], "council, year and role_group")


def read_bcf_plan(path: Path | str) -> pd.DataFrame:
    path = Path(path)
    frame = read_table(path, BCF_PLAN)
    log = ProblemLog()
    for row, r in frame.iterrows():
        allowed = {"contribution": BCF_CONTRIBUTION_SOURCES, "minimum_requirement": (BCF_MINIMUM_SOURCE,)}.get(r["line_type"])
        if allowed is not None and pd.notna(r["source"]) and r["source"] not in allowed:
            log.add(path, f"unknown source '{r['source']}' for a {r['line_type']} line (allowed: {', '.join(allowed)})",
                    row=int(row), column="source")
        if allowed is not None and pd.isna(r["source"]):
            log.add(path, f"a {r['line_type']} line needs a source (allowed: {', '.join(allowed)})", row=int(row), column="source")
        if r["line_type"] == "spend" and pd.isna(r["scheme_type"]):
            log.add(path, "a spend line needs a scheme_type", row=int(row), column="scheme_type")
        if r["line_type"] in ("contribution", "minimum_requirement") and pd.notna(r["scheme_type"]):
            log.add(path, f"scheme_type applies to spend lines only, found '{r['scheme_type']}' on a {r['line_type']} line",
                    row=int(row), column="scheme_type")
    minimum = frame[frame["line_type"] == "minimum_requirement"]
    _duplicates(minimum, ["financial_year"], path, log, "minimum_requirement line for this financial_year")
    # A partner's contribution from one source is one line: a repeated line (a copy-paste slip)
    # would be added into the pooled total twice.  Spend lines may repeat a scheme type.
    contributions = frame[frame["line_type"] == "contribution"]
    _duplicates(contributions, ["financial_year", "source"], path, log, "contribution line for this financial_year and source")
    log.raise_if_any()
    return frame


def read_national_bcf(path: Path | str) -> pd.DataFrame:
    return _read_keyed(path, NATIONAL_BCF, ["council", "financial_year"], "council and financial_year")


def read_fee_bands(path: Path | str) -> pd.DataFrame:
    return _read_keyed(path, FEE_BANDS, ["band"], "band")


def read_placements(path: Path | str, bands: pd.DataFrame, bands_path: Path | str) -> pd.DataFrame:
    """Placements, each checked against the fee schedule ``bands`` (read from ``bands_path``)."""
    path = Path(path)
    frame = read_table(path, PLACEMENTS)
    log = ProblemLog()
    _duplicates(frame, ["placement_ref"], path, log, "placement_ref")
    no_band = frame["band"].isna()
    fee_without_band = no_band & frame["weekly_fee_paid_gbp"].notna()
    unknown_band = ~no_band & ~frame["band"].isin(set(bands["band"]))
    for row in frame.index[fee_without_band | unknown_band]:  # in row order, as a reader goes through the file
        if fee_without_band[row]:
            log.add(path, "a fee is paid but no band is given", row=int(row), column="band")
        else:
            log.add(path, f"band '{frame.at[row, 'band']}' is not in {_file(Path(bands_path))}", row=int(row), column="band")
    log.raise_if_any()
    return frame


def read_packages(path: Path | str) -> pd.DataFrame:
    """The package extract (personal data).  Problems name the row, never the package id."""
    path = Path(path)
    frame = read_table(path, PACKAGES)
    log = ProblemLog()
    dup = frame["package_id"].duplicated(keep="first")
    if dup.any():
        first = {}
        for row, pid in frame["package_id"].items():
            first.setdefault(pid, row)
            if dup[row]:
                log.add(path, f"duplicate package_id (same as row {first[pid]})", row=int(row), column="package_id")
    early = frame["last_review_date"].notna() & (frame["last_review_date"] < frame["start_date"])
    for row in frame.index[early]:
        log.add(path, f"last_review_date {frame.at[row, 'last_review_date']:%Y-%m-%d} is before start_date "
                f"{frame.at[row, 'start_date']:%Y-%m-%d}", row=int(row), column="last_review_date")
    log.raise_if_any()
    return frame


def financial_year_of(date: pd.Timestamp) -> str:
    """The April-March financial year containing ``date``: 2018-09-30 -> '2018-19'."""
    start = date.year if date.month >= 4 else date.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


__all__ = [
    "DataError", "FINANCIAL_YEAR_PATTERN", "financial_year_of", "read_bcf_plan", "read_fee_bands",
    "read_national_bcf", "read_national_workforce", "read_packages", "read_placements", "read_workforce",
]
