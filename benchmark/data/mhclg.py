"""MHCLG's local authority revenue returns: RO3, RSX, RS and RA, read by their format.

All four come from the GOV.UK collection "Local authority revenue expenditure and financing" as one
workbook per year (ODS since 2022-23, xlsx before), one row per authority, values in £ thousand:

* **RO3** (Revenue Outturn, Social Care and Public Health): adult social care by line (primary
  support reason and age band, social support, assistive equipment, care assessment, information,
  commissioning ...) and by column C1 employees to C7 net current expenditure.  Two layouts:

  - 2022-23 and 2023-24: hidden *asset-id* rows above the header (``RO3-ascphyold-net-cur-exp``),
    the line named once above its seven columns, the header cell naming only the column
    ("Net Current Expenditure (C7 = C3 - C6)").
  - 2024-25 on: one header row whose every cell names line and column ("Physical support - older
    people (65+) - Net Current Expenditure (C7 = C3 - C6)"), asset ids in the last (hidden) row.

* **RSX** (Revenue Outturn, Service Expenditure Summary) and **RS** (Revenue Outturn Summary, its
  predecessor): each service's total; read here: adult social care net current expenditure.
* **RA** (Revenue Account budget): what each council budgeted, by line; read here: the total.

Both layouts are found by content (the header row is the one starting "E-code" with an "ONS Code"
column; the asset-id row is the one holding the asset ids), never by row number, so the same sheet
saved as xlsx or exported to CSV reads the same.  Where a file has asset ids they must agree with the
header, column by column: a file whose rows were moved is refused rather than read shifted.

Year and edition come from the file's content: the data sheet's title ("Revenue Outturn (RO)
2024-25: ..."), its "Last updated" row, the sheet name and the front page's release wording.

CSV exports: UTF-8 (with or without BOM) first; otherwise Mac Roman and Windows-1252 are tried, and
one is accepted only if every non-ASCII character it produces is one these files use (£ € – — ‘ ’
“ ” … • · ° ×, no-break space).  Mac Roman bytes read as Windows-1252 give "18Ð64" and "…" as "É";
Windows-1252 bytes read as Mac Roman give "18ñ64": either is refused, and a file that makes sense in
neither (or, differently, in both) is one :class:`~benchmark.errors.DataError` line naming the file.

Tidy output (:func:`~benchmark.data.tidy.tidy`): ``council, year, measure, line, value, unit,
source``; ``council`` an upper-tier council's ONS code or ``E92000001`` for England (the England row
includes MHCLG's estimates for councils that did not return; RS and RA label it 'ENGLAND' with no
code); ``measure`` RO3's C1-C7 (:data:`RO3_MEASURES`), or net current expenditure alone for RSX
and RS (``budget_net_current_expenditure`` for RA); ``line`` one of :data:`RO3_LINES` (``total`` for
RSX, RS, RA), the lines other than ``total`` adding up to it; values in pounds (£ thousand × 1000);
a council that did not return (``[x]``, RA's ``...``) is NaN, never zero.

Two slips in MHCLG's own files are handled in the open, by rule rather than by file name: RO3
2022-23 has the asset ids of two columns exchanged (accepted only because the published sums
confirm the headers, see :func:`_ro3_alignment`), and RS 2017-18 gives North Yorkshire a code
never used (:data:`ONS_CODE_ERRATA`).
"""
from __future__ import annotations

import csv
import functools
import io
import math
import re
import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.data.publications import Found, Publication
from benchmark.data.readers import SUPPRESSION_MARKERS, ProblemLog, display_path
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, financial_year, tidy
from benchmark.errors import DataError, Problem

PUBLISHER = "Ministry of Housing, Communities and Local Government"
COLLECTION_URL = "https://www.gov.uk/government/collections/local-authority-revenue-expenditure-and-financing"
ENGLAND = "E92000001"
THOUSAND = 1000.0

WORKBOOK_SUFFIXES = frozenset({".ods", ".xlsx", ".xlsm", ".xlsb", ".xls"})
CSV_SUFFIXES = frozenset({".csv"})

#: Markers for a value that is missing: the shared ones plus MHCLG's '...' / '…' (not available),
#: '[n]' (no estimate possible), '[z]' (not collected), '[y]' (not relevant).  Compared lower-case.
MISSING_MARKERS = frozenset(m.lower() for m in SUPPRESSION_MARKERS) | {"...", "…", "[n]", "[z]", "[y]"}

# --------------------------------------------------------------------------------------------------
# RO3 vocabulary
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ro3Line:
    code: str  # MHCLG's asset-id item code: RO3-asc<code>-<measure code>
    line: str  # our line id
    published: str  # the line's label as published, normalised (see _norm)
    label: str  # plain English for reports
    part_of: str | None = None  # an age split of another line (not to be added to the total again)


def _ages(code: str, line: str, published: str, label: str, part_of: str | None = None, sub: bool = False) -> list[Ro3Line]:
    prefix = "subcategory: " if sub else ""
    return [
        Ro3Line(f"{code}adl", f"{line}_18_64", f"{prefix}{published} - adults (18-64)", f"{label}, 18 to 64", part_of),
        Ro3Line(f"{code}old", f"{line}_65plus", f"{prefix}{published} - older people (65+)", f"{label}, 65 and over", part_of),
    ]


def _with_ages(code: str, line: str, published: str, label: str) -> list[Ro3Line]:
    """A line published whole and then split by age ("Subcategory: ... - adults (18-64)")."""
    return [Ro3Line(code, line, published, label), *_ages(code, line, published, label, part_of=line, sub=True)]


#: Every adult social care line of RO3, in the publisher's order.  Lines without ``part_of`` (other
#: than ``total``) add up to ``total``; the age splits of social support for carers, assistive
#: equipment, care assessment, information and commissioning are parts of their line, recognised
#: (so that a renamed one is reported) but read only with ``read_ro3(..., age_splits=True)``.
#: 'social_care_activities', 'commissioning_service_delivery' and 'covid_discharge_costs' are the
#: earlier form's lines (asset ids ascact, ascdlv, asccovdis as in MHCLG's RA 2023-24); the RO3 files
#: of 2022-23 on publish 'Care assessment and safeguarding' and 'Commissioning, strategy and admin
#: support' instead, under other asset ids, so the two are kept apart rather than equated.
RO3_LINES: tuple[Ro3Line, ...] = (
    *_ages("phy", "physical_support", "physical support", "Physical support"),
    *_ages("sns", "sensory_support", "sensory support", "Sensory support"),
    *_ages("mmr", "memory_and_cognition", "support with memory and cognition", "Support with memory and cognition"),
    *_ages("lrn", "learning_disability", "learning disability support", "Learning disability support"),
    *_ages("mnt", "mental_health", "mental health support", "Mental health support"),
    Ro3Line("sclsbs", "social_support_substance_misuse", "social support: substance misuse support", "Social support: substance misuse"),
    Ro3Line("sclasy", "social_support_asylum_seekers", "social support: asylum seeker support", "Social support: asylum seekers"),
    Ro3Line("sclisl", "social_support_social_isolation", "social support: social isolation", "Social support: social isolation"),
    Ro3Line("sclcrr", "social_support_carers", "social support: support for carer", "Social support: support for carers"),
    *_ages(
        "sclcrr", "social_support_carers", "social support: support for carer", "Social support: support for carers",
        part_of="social_support_carers",
    ),
    *_with_ages("ass", "assistive_equipment_technology", "assistive equipment and technology", "Assistive equipment and technology"),
    Ro3Line("act", "social_care_activities", "social care activities", "Social care activities"),
    *_with_ages("crasssfg", "care_assessment_safeguarding", "care assessment and safeguarding", "Care assessment and safeguarding"),
    *_with_ages("inf", "information_early_intervention", "information and early intervention", "Information and early intervention"),
    Ro3Line("dlv", "commissioning_service_delivery", "commissioning and service delivery", "Commissioning and service delivery"),
    *_with_ages("cmstad", "commissioning_strategy_admin", "commissioning, strategy and admin support", "Commissioning, strategy and admin support"),
    Ro3Line("covdis", "covid_discharge_costs", "covid-19 discharge costs", "COVID-19 discharge costs"),
    Ro3Line("dsbcr", "disbursement_payments_providers", "disbursement payments to care providers", "Disbursement payments to care providers"),
    Ro3Line("othnondsbcr", "other_payments_providers", "other payments to care providers", "Other payments to care providers"),
    Ro3Line("tot", "total", "total adult social care", "Total adult social care"),
)

#: line id -> plain English, for reports.
ro3_line_labels: dict[str, str] = {ln.line: ln.label for ln in RO3_LINES}
#: age split -> the line it is part of (these are not added to the total again).
ro3_line_part_of: dict[str, str] = {ln.line: ln.part_of for ln in RO3_LINES if ln.part_of}
#: the lines that add up to 'total' (those present in a given year's file).
RO3_LINES_ADDING_TO_TOTAL: tuple[str, ...] = tuple(ln.line for ln in RO3_LINES if ln.part_of is None and ln.line != "total")

_RO3_BY_LABEL = {ln.published: ln for ln in RO3_LINES}


@dataclass(frozen=True)
class Ro3Measure:
    code: str  # asset-id measure code
    measure: str  # our measure id
    published: str  # column name as published, normalised, before "(Cn ...)"
    column: str  # C1 ... C7
    label: str


RO3_MEASURES: tuple[Ro3Measure, ...] = (
    Ro3Measure("empl", "employees", "employees", "c1", "Employees (C1)"),
    Ro3Measure("run-exp", "running_expenses", "running expenses", "c2", "Running expenses (C2)"),
    Ro3Measure("tot-exp", "gross_expenditure", "total expenditure", "c3", "Total (gross) expenditure (C3 = C1 + C2)"),
    Ro3Measure("sfc", "sales_fees_charges", "sales, fees and charges", "c4", "Sales, fees and charges (C4)"),
    Ro3Measure("oth-inc", "other_income", "other income", "c5", "Other income (C5)"),
    Ro3Measure("tot-inc", "total_income", "total income", "c6", "Total income (C6 = C4 + C5)"),
    Ro3Measure("net-cur-exp", "net_current_expenditure", "net current expenditure", "c7", "Net current expenditure (C7 = C3 - C6)"),
)
ro3_measure_labels: dict[str, str] = {m.measure: m.label for m in RO3_MEASURES}
_MEASURE_BY_NAME = {m.published: m for m in RO3_MEASURES}

_MEASURE_PART = r"(?P<mname>[a-z][a-z ,]*?)\s*\((?P<mcol>c\d)\b[^)]*\)\s*\d*"
_MEASURE_ONLY_RE = re.compile(rf"^{_MEASURE_PART}$")
_LINE_AND_MEASURE_RE = re.compile(rf"^(?P<line>.+?)\s*-\s*{_MEASURE_PART}$")
_SHOWN_LINE_RE = re.compile(r"^(?P<line>.+?)\s*-\s*[A-Za-z][A-Za-z ,]*?\s*\(C\d\b[^)]*\)\s*\d*$", re.IGNORECASE)

# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2019": "'", "\u2018": "'", "\u00a0": " "})
_NOTE_RE = re.compile(r"\[\s*note\s*\d+\s*\]", re.IGNORECASE)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    """A cell as one line of text ('' for an empty cell; 360.0 -> '360')."""
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _norm(value: object) -> str:
    """Header text compared loosely: lower case, dashes and quotes plain, [note n] dropped."""
    return " ".join(_NOTE_RE.sub(" ", _text(value).translate(_DASHES)).lower().split())


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _file(path: Path) -> str:
    return display_path(Path(path))


def _fail(path: Path, message: str, row: int | None = None, column: str | None = None) -> DataError:
    return DataError(Problem(_file(path), message, row=row, column=column))


# --------------------------------------------------------------------------------------------------
# A sheet as a grid of cells, from a workbook (calamine) or a CSV export
# --------------------------------------------------------------------------------------------------


@dataclass
class _Grid:
    path: Path
    rows: list[list[object]]  # cells; row i is spreadsheet row i + 1
    sheet: str | None  # None for a CSV

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def cell(self, row: int, col: int) -> object:
        cells = self.rows[row]
        return cells[col] if col < len(cells) else None


def _cache_key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def _open_book(path: Path) -> pd.ExcelFile:
    try:
        return pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for damaged or non-workbook files
        raise _fail(path, f"not a readable workbook ({' '.join(str(exc).split())}); download it again") from None


def _sheet_rows(book: pd.ExcelFile, sheet: str, path: Path, nrows: int | None = None) -> list[list[object]]:
    try:
        frame = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object, keep_default_na=False, na_values=[""], nrows=nrows)
    except Exception as exc:  # noqa: BLE001 - calamine and pandas raise many error types for a damaged sheet: one line instead
        raise _fail(path, f"sheet '{sheet}' is not readable ({' '.join(str(exc).split())})") from None
    return frame.to_numpy(dtype=object).tolist()  # empty cells are NaN; _is_blank knows them


@dataclass(frozen=True)
class _BookPeek:
    sheets: tuple[str, ...]
    heads: dict  # sheet name -> first rows, for the sheets detection looks at
    error: str | None = None


_PEEK_ROWS = 16
_PEEK_SHEET_RE = re.compile(r"^(RO3|RSX|RS|RA)[ _-]|front", re.IGNORECASE)


@functools.lru_cache(maxsize=32)
def _peek_book_cached(key: tuple[str, int, int]) -> _BookPeek:
    path = Path(key[0])
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - calamine's own error types; the error is kept and reported for the file
        return _BookPeek((), {}, error=" ".join(str(exc).split()))
    with book:
        sheets = tuple(str(s) for s in book.sheet_names)
        wanted = [s for s in sheets if _PEEK_SHEET_RE.search(s)] or (list(sheets) if len(sheets) == 1 else [])
        heads = {}
        for sheet in wanted:
            try:
                heads[sheet] = _sheet_rows(book, sheet, path, nrows=_PEEK_ROWS * 2 if "front" in sheet.lower() else _PEEK_ROWS)
            except DataError:
                heads[sheet] = []
    return _BookPeek(sheets, heads)


def _peek_book(path: Path) -> _BookPeek:
    return _peek_book_cached(_cache_key(path))


def _salvage_sheet_names(path: Path) -> str:
    return _salvage_cached(_cache_key(path))


@functools.lru_cache(maxsize=8)
def _salvage_cached(key: tuple[str, int, int]) -> str:
    """Text from the start of a damaged ODS/xlsx (a zip) that names its sheets, or ''.

    A truncated zip cannot be opened (its directory is at the end), but its first entries can still
    be inflated: ODS keeps sheet names in content.xml, xlsx in xl/workbook.xml.
    """
    path = Path(key[0])
    try:
        with open(path, "rb") as handle:
            data = handle.read(8_000_000)
    except OSError:
        return ""
    found: list[str] = []
    pos = 0
    while pos + 30 <= len(data) and data[pos : pos + 4] == b"PK\x03\x04":
        _, _, flags, method, _, _, _, size, _, name_len, extra_len = struct.unpack("<IHHHHHIIIHH", data[pos : pos + 30])
        name = data[pos + 30 : pos + 30 + name_len].decode("utf-8", "replace")
        start = pos + 30 + name_len + extra_len
        if name in ("content.xml", "xl/workbook.xml"):
            chunk = data[start:] if (flags & 8 or size == 0) else data[start : start + size]
            try:
                text = zlib.decompressobj(-15).decompress(chunk, 4_000_000) if method == 8 else chunk[:4_000_000]
            except zlib.error:
                text = b""
            found += [m.decode("utf-8", "replace") for m in re.findall(rb'(?:table:)?name="([^"]{1,60})"', text)]
            break
        if flags & 8 or size == 0:
            break
        pos = start + size
    return "\n".join(found)


# --------------------------------------------------------------------------------------------------
# CSV exports: encoding
# --------------------------------------------------------------------------------------------------

#: Non-ASCII characters MHCLG's files use; a decoding that yields any other is taken to be wrong.
EXPECTED_NON_ASCII = frozenset("£€–—‘’“”…•·°×\u00a0")
_LEGACY_ENCODINGS = (("mac_roman", "Mac Roman"), ("cp1252", "Windows-1252"))


def _unexpected(text: str) -> list[str]:
    """Characters no MHCLG CSV holds: non-ASCII outside EXPECTED_NON_ASCII, and control characters
    (a NUL means UTF-16, which Mac Roman and Windows-1252 would otherwise pass as ASCII)."""
    return sorted({ch for ch in text if (ord(ch) > 127 and ch not in EXPECTED_NON_ASCII) or (ord(ch) < 32 and ch not in "\t\r\n")})


@functools.lru_cache(maxsize=8)
def _decode_cached(key: tuple[str, int, int]) -> tuple[str, str]:
    path = Path(key[0])
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise _fail(path, f"starts as UTF-8 but byte 0x{raw[exc.start]:02x} on line {line} is not UTF-8; save it again as 'CSV UTF-8'") from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    plausible: dict[str, str] = {}
    oddities: list[str] = []
    for encoding, name in _LEGACY_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            oddities.append(f"not {name}")
            continue
        odd = _unexpected(text)
        if odd:
            first = min(text.index(ch) for ch in odd)
            line = text[:first].count("\n") + 1
            shown = text[first] if ord(text[first]) >= 32 else f"\\x{ord(text[first]):02x}"
            oddities.append(f"as {name} it reads '{shown}' on line {line}")
        else:
            plausible[encoding] = text
    if len(set(plausible.values())) == 1:
        encoding = next(iter(plausible))
        return plausible[encoding], encoding
    if plausible:
        raise _fail(path, "cannot tell the text encoding: it reads sensibly as both Mac Roman and Windows-1252; save it again as 'CSV UTF-8'")
    raise _fail(path, f"cannot tell the text encoding: not UTF-8, {', and '.join(oddities)}; save it again as 'CSV UTF-8'")


def _decode_csv(path: Path) -> tuple[str, str]:
    return _decode_cached(_cache_key(path))


def _csv_head(path: Path, lines: int = _PEEK_ROWS) -> str:
    """The first lines of a CSV as loose text, good enough to recognise ASCII titles in any encoding."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(65536)
    except OSError:
        return ""
    text = raw.replace(b"\x00", b"").decode("latin-1")
    return "\n".join(text.splitlines()[:lines])


def _csv_rows(text: str, limit: int | None = None) -> list[list[object]]:
    rows: list[list[object]] = []
    for record in csv.reader(io.StringIO(text, newline="")):
        rows.append([cell if cell.strip() else None for cell in record])
        if limit is not None and len(rows) >= limit:
            break
    return rows


# --------------------------------------------------------------------------------------------------
# Detection, shared by the four publications
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    id: str
    sheet_re: re.Pattern  # data sheet name
    title_re: re.Pattern  # data sheet's title text
    salvage_re: re.Pattern  # sheet name found in a damaged workbook
    description: str


_KINDS = {
    "ro3": _Kind(
        "ro3",
        re.compile(r"^RO3[ _-]", re.IGNORECASE),
        re.compile(r"\(RO3\)|\bRO3 data\b|\bRO3 - Social Care", re.IGNORECASE),
        re.compile(r"^RO3[ _-]", re.IGNORECASE | re.MULTILINE),
        "MHCLG's Revenue Outturn Social Care (RO3) data",
    ),
    "rsx": _Kind(
        "rsx",
        re.compile(r"^RSX[ _-]", re.IGNORECASE),
        re.compile(r"\(RSX\)", re.IGNORECASE),
        re.compile(r"^RSX[ _-]", re.IGNORECASE | re.MULTILINE),
        "MHCLG's Revenue Outturn Service Expenditure Summary (RSX) data",
    ),
    "rs": _Kind(
        "rs",
        re.compile(r"^RS[ _-]", re.IGNORECASE),
        re.compile(r"\(RS\)|\bRS - REVENUE OUTTURN SUMMARY\b", re.IGNORECASE),
        re.compile(r"^RS[ _-]", re.IGNORECASE | re.MULTILINE),
        "MHCLG's Revenue Outturn Summary (RS) data",
    ),
    "ra": _Kind(
        "ra",
        re.compile(r"^RA[ _-]", re.IGNORECASE),
        re.compile(r"Revenue Account Budget \(RA\)|\(RA\) [^,]*Revenue Account data", re.IGNORECASE),
        re.compile(r"^RA[ _-]", re.IGNORECASE | re.MULTILINE),
        "MHCLG's Revenue Account budget (RA) data",
    ),
}

_YEAR_RE = re.compile(r"(?<!\d)(20\d{2})[-/]?(\d{2})(?!\d)")
_LAST_UPDATED_RE = re.compile(r"last updated:?\s*(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\s+(\d{4})", re.IGNORECASE)
_PUBLISHED_RE = re.compile(r"\b(published|updated)(?: on)?\s+(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\s+(\d{4})", re.IGNORECASE)
_RELEASE_RE = re.compile(r"-\s*(first|second|third|final|provisional|revised)\s+release", re.IGNORECASE)
_MONTHS = {
    m[:3].lower(): m
    for m in ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
}


def _date(day: str, month: str, year: str) -> str:
    return f"{int(day)} {_MONTHS.get(month[:3].lower(), month)} {year}"


def _financial_year_in(text: str) -> str | None:
    for match in _YEAR_RE.finditer(text):
        start, end = int(match.group(1)), match.group(2)
        if (start + 1) % 100 == int(end):
            return financial_year(start)
    return None


def _title_line(rows: Sequence[str], kind: _Kind) -> str:
    for text in rows:
        if kind.title_re.search(text) and _financial_year_in(text):
            return re.sub(r"^Worksheet \d+:\s*", "", text).strip()
    return ""


def _edition(head: Sequence[str], title: str, front: Sequence[str]) -> str:
    """Plain words for the edition: 'second release, last updated 14 December 2023'."""
    parts: list[str] = []
    front_text = " ".join(front)
    release = _RELEASE_RE.search(front_text)
    if release:
        parts.append(f"{release.group(1).lower()} release")
    elif re.search(r"\bfinal\b", title, re.IGNORECASE) or re.search(r"\bfinal outturn\b", front_text, re.IGNORECASE):
        parts.append("final")
    updated = next((m for m in (_LAST_UPDATED_RE.search(t) for t in head) if m), None)
    if updated:
        parts.append(f"last updated {_date(*updated.groups())}")
    else:
        published = _PUBLISHED_RE.search(front_text)
        if published:
            verb = "published" if published.group(1).lower() == "published" else "last updated"
            parts.append(f"{verb} {_date(*published.groups()[1:])}")
    return ", ".join(parts)


def _find_header_row(rows: Sequence[Sequence[object]]) -> int | None:
    """The first row whose first cell is 'E-code' and which has an 'ONS Code' column."""
    for index, cells in enumerate(rows):
        if cells and _norm(cells[0]) == "e-code" and any(_norm(c) == "ons code" for c in cells[:8]):
            return index
    return None


def _detect(path: Path, kind: _Kind) -> Found | None:
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file() or suffix not in WORKBOOK_SUFFIXES | CSV_SUFFIXES:
        return None
    opening = _csv_opening(path, kind) if suffix in CSV_SUFFIXES else _workbook_opening(path, suffix, kind)
    if opening is None:
        return None
    rows, sheet, front, hints = opening
    head = [" ".join(t for t in (_text(c) for c in r) if t) for r in rows]
    title = _title_line(head, kind)
    where = f"sheet '{sheet}'" if sheet else "the file"
    year = _detected_year(path, kind, title, sheet, where)
    header = _find_header_row(rows)
    if header is None:
        raise _fail(
            path,
            f"looks like {kind.description} but no header row starting 'E-code' with an 'ONS Code' column "
            f"in the first {_PEEK_ROWS} rows of {where}",
        )
    if kind.id == "ro3":
        _check_ro3_alignment_in_head(_Grid(path, list(rows), sheet), header)
    edition = _edition(head, title, front)
    if sheet is None:  # MHCLG publishes workbooks: a CSV is someone's export of the data sheet
        edition = ", ".join(p for p in (edition, "CSV export of the data sheet, not MHCLG's own file") if p)
    return Found(publication=kind.id, year=year, edition=edition, title=title, hints=hints)


def _csv_opening(path: Path, kind: _Kind) -> tuple[list, None, list, dict] | None:
    """A CSV export's first rows, (rows, no sheet, no front sheet, hints); None if its title is not ``kind``'s."""
    if not kind.title_re.search(_csv_head(path)):
        return None
    text, encoding = _decode_csv(path)
    rows = _csv_rows(text, limit=_PEEK_ROWS)
    return rows, None, [], {"format": "csv", "encoding": encoding}


def _workbook_opening(path: Path, suffix: str, kind: _Kind) -> tuple[list, str, list, dict] | None:
    """A workbook's data sheet's first rows, (rows, sheet, front sheet's lines, hints); None if it
    has no sheet of ``kind``.  A workbook that cannot be read but whose sheet names are ``kind``'s is
    refused as damaged."""
    peek = _peek_book(path)
    if peek.error is not None:
        if suffix in (".ods", ".xlsx", ".xlsm") and kind.salvage_re.search(_salvage_sheet_names(path)):
            raise _fail(
                path,
                f"not a readable workbook ({peek.error}); it looks like {kind.description} "
                "but may be truncated or damaged: download it again",
            )
        return None
    sheet = _data_sheet(peek, kind)
    if sheet is None:
        return None
    rows = peek.heads.get(sheet, [])
    front_sheet = next((s for s in peek.sheets if "front" in s.lower()), None)
    front = [_text(" ".join(_text(c) for c in r if not _is_blank(c))) for r in peek.heads.get(front_sheet, [])] if front_sheet else []
    return rows, sheet, front, {"format": "workbook", "sheet": sheet}


def _detected_year(path: Path, kind: _Kind, title: str | None, sheet: str | None, where: str) -> str:
    """The financial year the title rows state, or else the sheet's name; the two must agree."""
    year = _financial_year_in(title) if title else None
    sheet_year = _financial_year_in(sheet) if sheet else None
    if year is None and sheet_year is None:
        raise _fail(path, f"looks like {kind.description} but no financial year (such as 2024-25) was found in the title rows of {where}")
    if year and sheet_year and year != sheet_year:
        raise _fail(path, f"the title says {year} but the sheet '{sheet}' says {sheet_year}; which year does this file hold?")
    return year or sheet_year


def _data_sheet(peek: _BookPeek, kind: _Kind) -> str | None:
    named = [s for s in peek.sheets if kind.sheet_re.search(s)]
    if named:
        with_data = [s for s in named if "data" in s.lower()]
        return (with_data or named)[0]
    if len(peek.sheets) == 1:  # a single sheet saved on its own: recognise it by its title
        sheet = peek.sheets[0]
        head = [" ".join(t for t in (_text(c) for c in r) if t) for r in peek.heads.get(sheet, [])]
        if _title_line(head, kind):
            return sheet
    return None


def _load_grid(path: Path, found: Found, kind: _Kind) -> _Grid:
    path = Path(path)
    if not path.is_file():
        raise _fail(path, "file not found (see data/README.md for what belongs here)")
    if path.suffix.lower() in CSV_SUFFIXES:
        text, _ = _decode_csv(path)
        return _Grid(path, _csv_rows(text), None)
    book = _open_book(path)
    with book:
        sheet = found.hints.get("sheet")
        if sheet not in book.sheet_names:
            sheet = _data_sheet(_peek_book(path), kind)
            if sheet is None:
                raise _fail(path, f"no {kind.description} sheet (sheets: {', '.join(map(str, book.sheet_names))})")
        return _Grid(path, _sheet_rows(book, sheet, path), sheet)


# --------------------------------------------------------------------------------------------------
# Council rows and values
# --------------------------------------------------------------------------------------------------


#: ONS codes MHCLG got wrong, keyed by (MHCLG's own E-code, the ONS code given) -> the right code.
#: RS 2017-18 gives North Yorkshire (E2721) E10000022, a code never used; every other MHCLG file and
#: ONS's lookups give E10000023.  Keyed on the pair, so a file that gets it right is unaffected.
ONS_CODE_ERRATA: dict[tuple[str, str], str] = {("E2721", "E10000022"): "E10000023"}


def _id_columns(grid: _Grid, header: int) -> tuple[int, int, int | None]:
    cells = grid.rows[header]
    names = [_norm(c) for c in cells]
    code = next((i for i, n in enumerate(names) if n == "ons code"), None)
    name = next((i for i, n in enumerate(names) if n in ("local authority", "local authority name")), None)
    ecode = next((i for i, n in enumerate(names) if n == "e-code"), None)
    if code is None:
        raise _fail(grid.path, "header row has no 'ONS Code' column", row=header + 1)
    return code, (name if name is not None else code + 1), ecode


def _council_rows(grid: _Grid, header: int) -> list[tuple[int, str]]:
    """(row index, ONS code) of every upper-tier council and of England, checked for duplicates.

    England is the row coded E92000001, or (RS, RA) the row with no code named 'ENGLAND'.  Codes
    in :data:`ONS_CODE_ERRATA` are corrected.
    """
    code_col, name_col, ecode_col = _id_columns(grid, header)
    kept: list[tuple[int, str]] = []
    first_row: dict[str, int] = {}
    for index in range(header + 1, len(grid.rows)):
        code = _text(grid.cell(index, code_col)).upper()
        if not code and _norm(grid.cell(index, name_col)) == "england":
            code = ENGLAND
        if ecode_col is not None:
            code = ONS_CODE_ERRATA.get((_text(grid.cell(index, ecode_col)).upper(), code), code)
        if not (COUNCIL_CODE_PATTERN.match(code) or code == ENGLAND):
            continue
        if code in first_row:
            raise _fail(
                grid.path,
                f"{code} appears twice, in rows {first_row[code] + 1} and {index + 1}; each council must have one row",
                row=index + 1,
                column=_header_name(grid, header, code_col),
            )
        first_row[code] = index
        kept.append((index, code))
    if not kept:
        raise _fail(grid.path, "no rows for English councils (ONS codes E06, E08, E09, E10) below the header row", row=header + 1)
    return kept


def _header_name(grid: _Grid, header: int, col: int) -> str:
    return f"{_column_letter(col)} {_text(grid.cell(header, col))}".strip()


_NUMBER_RE = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def _pounds(value: object, grid: _Grid, row: int, column: str, log: ProblemLog) -> float:
    """A published £ thousand cell as pounds; markers and blanks are NaN; anything else is logged."""
    if _is_blank(value):
        return math.nan
    if isinstance(value, bool):
        log.add(grid.path, f"expected a number in £ thousand or a marker such as [x], found '{value}'", row=row + 1, column=column)
        return math.nan
    if isinstance(value, (int, float)):
        return float(value) * THOUSAND
    text = str(value).strip()
    if text.lower() in MISSING_MARKERS:
        return math.nan
    plain = text.replace(",", "").replace(" ", "")
    if _NUMBER_RE.match(plain):
        return float(plain) * THOUSAND
    log.add(grid.path, f"expected a number in £ thousand or a marker such as [x], found '{text}'", row=row + 1, column=column)
    return math.nan


def _frame(records: list[tuple[str, str, str, float]], found: Found) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=["council", "measure", "line", "value"])
    frame["year"] = found.year
    frame["unit"] = "gbp"
    frame["source"] = found.source_id
    return tidy(frame, breakdowns=["line"])


def _find_asset_row(grid: _Grid, header: int, prefix: str) -> int | None:
    """The row of asset ids ('RO3-...', 'RSX-...'): above the header or below the data (2024-25)."""
    candidates = list(range(header)) + list(range(max(header + 1, len(grid.rows) - 15), len(grid.rows)))
    for index in candidates:
        hits = sum(1 for v in grid.rows[index] if isinstance(v, str) and v.strip().upper().startswith(prefix.upper()))
        if hits >= 10:
            return index
    return None


# --------------------------------------------------------------------------------------------------
# RO3
# --------------------------------------------------------------------------------------------------


@dataclass
class _Column:
    index: int
    header: str  # as published, one line
    line_label: str  # normalised
    measure: Ro3Measure | None
    memo: bool = False
    line: Ro3Line | None = None
    label_row: int = 0  # row index where the line label sits
    shown: str = ""  # the line's label as published, for messages (combined headers)


def _ro3_columns(grid: _Grid, header: int) -> list[_Column]:
    """Every column's line label and measure, from either layout."""
    columns: list[_Column] = []
    above = header - 1
    carried = ""  # the 2022-23 layout names a line once, above the first of its seven columns
    for index in range(grid.width):
        label_above = _norm(grid.cell(above, index)) if above >= 0 else ""
        if label_above:
            carried = label_above
        raw = _text(grid.cell(header, index))
        text = _norm(raw)
        column = _Column(index, raw, "", None, label_row=header)
        if not text:
            columns.append(column)
            continue
        if "memorandum" in text:
            column.memo = True
            column.line_label = text
        elif match := _MEASURE_ONLY_RE.match(text):
            column.line_label, column.label_row = carried, above
            column.measure = _measure(match)
        elif match := _LINE_AND_MEASURE_RE.match(text):
            column.line_label = match.group("line")
            column.measure = _measure(match)
            shown = _SHOWN_LINE_RE.match(raw.translate(_DASHES))
            column.shown = shown.group("line") if shown else raw
        else:
            column.line_label = text
        column.line = _RO3_BY_LABEL.get(column.line_label)
        columns.append(column)
    return columns


def _measure(match: re.Match) -> Ro3Measure | None:
    measure = _MEASURE_BY_NAME.get(match.group("mname").strip())
    return measure if measure and measure.column == match.group("mcol") else None


def _is_children(column: _Column, asset: str) -> bool:
    return column.line_label.startswith(("children's social care", "total children")) or asset.startswith("ro3-csc")


def _asset(grid: _Grid, asset_row: int | None, index: int) -> str:
    return _text(grid.cell(asset_row, index)).lower() if asset_row is not None else ""


def _expected_asset(column: _Column) -> str:
    return f"ro3-asc{column.line.code}-{column.measure.code}"


def _ro3_alignment(grid: _Grid, header: int, asset_row: int, columns: list[_Column]) -> tuple[Problem | None, list[tuple[_Column, _Column]]]:
    """Compare asset ids with headers for the recognised ASC columns.

    Returns one problem if they disagree, else the pairs of columns whose asset ids are exchanged
    between two lines of the same column C1-C7 (an erratum of the publisher's: RO3 2022-23 has the
    Total Income ids of carers' support 18-64 and 65+ swapped).  Such a pair is accepted only if
    the published arithmetic confirms the headers (see :func:`_confirm_swaps`); any other
    disagreement (a row or column moved) is refused.
    """
    checked = [c for c in columns if c.line is not None and c.measure is not None and not c.memo]
    wrong = [c for c in checked if _asset(grid, asset_row, c.index) != _expected_asset(c)]
    by_expected = {_expected_asset(c): c for c in wrong}
    swaps: list[tuple[_Column, _Column]] = []
    paired: set[int] = set()
    for column in wrong:
        partner = by_expected.get(_asset(grid, asset_row, column.index))
        if (
            partner is not None
            and partner.index not in paired
            and column.index not in paired
            and partner.index != column.index
            and _asset(grid, asset_row, partner.index) == _expected_asset(column)
            and partner.measure == column.measure
            and partner.line != column.line
        ):
            swaps.append((column, partner))
            paired |= {column.index, partner.index}
    remaining = [c for c in wrong if c.index not in paired]
    if not remaining:
        return None, swaps
    first = remaining[0]
    found = _text(grid.cell(asset_row, first.index)) or "nothing"
    return (
        Problem(
            _file(grid.path),
            f"the asset ids in row {asset_row + 1} do not line up with the headers in row {header + 1} "
            f"({len(remaining)} of {len(checked)} adult social care columns disagree; column {_column_letter(first.index)} has "
            f"'{found}' for '{first.line.label}, {first.measure.label}'): was a row or column moved?",
            row=asset_row + 1,
            column=_column_letter(first.index),
        ),
        swaps,
    )


def _check_ro3_alignment_in_head(grid: _Grid, header: int) -> None:
    """At detection, where the asset ids sit above the header (2022-23 layout): refuse a moved row.

    Exchanged pairs are left for :func:`read_ro3` to confirm against the data.
    """
    asset_row = _find_asset_row(grid, header, "RO3-")
    if asset_row is not None and asset_row < header:
        problem, _ = _ro3_alignment(grid, header, asset_row, _ro3_columns(grid, header))
        if problem:
            raise DataError(problem)


#: The sums RO3 publishes within each line: C3 = C1 + C2, C6 = C4 + C5, C7 = C3 - C6.
_IDENTITIES = (
    ("gross_expenditure", ("employees", 1), ("running_expenses", 1)),
    ("total_income", ("sales_fees_charges", 1), ("other_income", 1)),
    ("net_current_expenditure", ("gross_expenditure", 1), ("total_income", -1)),
)


def _confirm_swaps(grid: _Grid, header: int, asset_row: int, swaps, values: dict[tuple[str, str], list[float]]) -> None:
    """Accept exchanged asset ids only if each line's published sums hold with the headers' reading."""
    for first, second in swaps:
        for line in (first.line.line, second.line.line):
            for total, *parts in _IDENTITIES:
                if first.measure.measure not in (total, *(m for m, _ in parts)):
                    continue
                keys = [(line, total)] + [(line, m) for m, _ in parts]
                if not all(k in values for k in keys):
                    continue
                rows = list(zip(*(values[k] for k in keys), strict=True))  # one value per council row in each
                complete = [r for r in rows if not any(math.isnan(v) for v in r)]
                holding = [r for r in complete if abs(r[0] - sum(sign * v for v, (_, sign) in zip(r[1:], parts, strict=True))) <= 1.5 * THOUSAND]
                if complete and len(holding) < 0.95 * len(complete):
                    raise DataError(
                        Problem(
                            _file(grid.path),
                            f"columns {_column_letter(first.index)} and {_column_letter(second.index)} have each other's asset ids "
                            f"(row {asset_row + 1}) and the published sums do not confirm the headers in row {header + 1}: "
                            "which is right cannot be told",
                            row=asset_row + 1,
                            column=_column_letter(first.index),
                        )
                    )


def _ro3_mapping(grid: _Grid, header: int) -> tuple[list[tuple[_Column, Ro3Line, Ro3Measure]], int | None, list]:
    """The adult social care columns as (column, line, measure), the asset-id row and any exchanged
    pairs of asset ids to confirm; anything unrecognised is refused."""
    columns = _ro3_columns(grid, header)
    asset_row = _find_asset_row(grid, header, "RO3-")
    block = _ro3_block(grid, header, columns, asset_row)
    known = [c for c in block if c.line is not None]
    swaps: list = []
    if asset_row is not None:  # first: a moved row makes every other message misleading
        problem, swaps = _ro3_alignment(grid, header, asset_row, known)
        if problem:
            raise DataError(problem)
    _refuse_unknown_columns(grid, header, block, known)
    mapping = _ro3_unique_columns(grid, header, known)
    if not any(line.line == "total" and measure.measure == "net_current_expenditure" for _, line, measure in mapping):
        raise _fail(grid.path, "no 'TOTAL ADULT SOCIAL CARE - Net Current Expenditure (C7)' column", row=header + 1)
    return mapping, asset_row, swaps


def _ro3_block(grid: _Grid, header: int, columns: list[_Column], asset_row: int | None) -> list[_Column]:
    """The adult social care columns: from after the children's services columns (or the first adult
    social care column) to the last 'TOTAL ADULT SOCIAL CARE' column, and any column elsewhere that
    carries an adult social care asset id."""
    totals = [
        c.index for c in columns
        if not c.memo and (c.line_label == "total adult social care" or _asset(grid, asset_row, c.index).startswith("ro3-asctot-"))
    ]
    if not totals:
        raise _fail(grid.path, "no 'TOTAL ADULT SOCIAL CARE' columns in the header; is this the RO3 data sheet?", row=header + 1)
    first_total, last_total = min(totals), max(totals)
    children = [c.index for c in columns if c.index < first_total and _is_children(c, _asset(grid, asset_row, c.index))]
    if children:
        start = max(children) + 1
    else:
        adult = [c.index for c in columns if c.line is not None or _asset(grid, asset_row, c.index).startswith("ro3-asc")]
        start = min(adult)
    block = [c for c in columns[start : last_total + 1] if c.header and not c.memo]
    # Columns outside the block that carry an adult social care asset id (other than the memo item).
    block += [
        c for c in columns[:start] + columns[last_total + 1 :]
        if not c.memo and re.match(r"^ro3-asc(?!svmem)", _asset(grid, asset_row, c.index))
    ]
    return block


def _refuse_unknown_columns(grid: _Grid, header: int, block: list[_Column], known: list[_Column]) -> None:
    """Every line of the block and every column heading of its known lines must be one this reader
    knows: one problem per unknown line (with its span of columns) and per unknown heading."""
    log = ProblemLog()
    unknown: dict[str, list[_Column]] = {}
    for column in block:
        if column.line is None:
            unknown.setdefault(column.line_label, []).append(column)
    for group in unknown.values():
        first, last = _column_letter(group[0].index), _column_letter(group[-1].index)
        span = first if first == last else f"{first} to {last}"
        shown = group[0].shown or _text(grid.cell(group[0].label_row, group[0].index)) or group[0].header
        log.add(
            grid.path,
            f"adult social care line '{shown}' (columns {span}) is not one this reader knows; "
            "if MHCLG has added or renamed a line, add it to RO3_LINES in benchmark/data/mhclg.py",
            row=group[0].label_row + 1,
            column=first,
        )
    for column in known:
        if column.measure is None:
            log.add(
                grid.path,
                f"column heading '{column.header}' is not one of RO3's columns C1 to C7",
                row=header + 1,
                column=_column_letter(column.index),
            )
    log.raise_if_any()


def _ro3_unique_columns(grid: _Grid, header: int, known: list[_Column]) -> list[tuple[_Column, Ro3Line, Ro3Measure]]:
    """(column, line, measure) for each known column; a line and measure in two columns is refused."""
    log = ProblemLog()
    seen: dict[tuple[str, str], _Column] = {}
    mapping = []
    for column in known:
        key = (column.line.line, column.measure.measure)
        if key in seen:
            log.add(
                grid.path,
                f"'{column.line.label}, {column.measure.label}' appears twice, "
                f"in columns {_column_letter(seen[key].index)} and {_column_letter(column.index)}",
                row=header + 1,
                column=_column_letter(column.index),
            )
            continue
        seen[key] = column
        mapping.append((column, column.line, column.measure))
    log.raise_if_any()
    return mapping


def detect_ro3(path: Path) -> Found | None:
    """RO3 (Revenue Outturn Social Care) in any year: ODS/xlsx with a sheet 'RO3_LA_Data_...', or its CSV export."""
    return _detect(path, _KINDS["ro3"])


def read_ro3(path: Path, found: Found, *, age_splits: bool = False) -> pd.DataFrame:
    """Every adult social care line x C1-C7 for each upper-tier council and England, in pounds.

    The table's lines (other than ``total``) add up to ``total``.  With ``age_splits=True`` it also
    carries the 18-64 / 65+ splits MHCLG publishes for carers' support, assistive equipment, care
    assessment, information and commissioning (see :data:`ro3_line_part_of`; often apportioned
    by fixed shares): parts of their line, not to be added again.
    """
    grid = _load_grid(path, found, _KINDS["ro3"])
    header = _find_header_row(grid.rows)
    if header is None:
        raise _fail(path, "no header row starting 'E-code' with an 'ONS Code' column; is this the RO3 data sheet?")
    mapping, asset_row, swaps = _ro3_mapping(grid, header)
    councils = _council_rows(grid, header)
    log = ProblemLog()
    records = []
    values: dict[tuple[str, str], list[float]] = {(line.line, measure.measure): [] for _, line, measure in mapping}
    for row, code in councils:
        cells = grid.rows[row]
        for column, line, measure in mapping:
            value = cells[column.index] if column.index < len(cells) else None
            name = f"{_column_letter(column.index)} {line.label}, {measure.label}"
            pounds = _pounds(value, grid, row, name, log)
            values[(line.line, measure.measure)].append(pounds)
            if age_splits or line.part_of is None:
                records.append((code, measure.measure, line.line, pounds))
    log.raise_if_any()
    if swaps:
        _confirm_swaps(grid, header, asset_row, swaps, values)
    return _frame(records, found)


# --------------------------------------------------------------------------------------------------
# RSX, RS, RA: one adult social care total per council
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Single:
    kind: _Kind
    measure: str
    header_matches: Callable[[str], bool]  # normalised header -> is it the ASC total column?
    header_label: str  # for messages
    asset_id: str | None  # expected asset id, lower case
    asset_prefix: str | None  # prefix that identifies an asset-id row
    line_number: int | None  # the form's line number, checked where the row above the header has them


def _rsx_header(text: str) -> bool:
    match = _LINE_AND_MEASURE_RE.match(text)
    measure = _measure(match) if match else None
    return bool(match and match.group("line") == "adult social care" and measure and measure.measure == "net_current_expenditure")


_SINGLES = {
    "rsx": _Single(
        _KINDS["rsx"], "net_current_expenditure", _rsx_header,
        "Adult Social Care - Net Current Expenditure (C7 = C3 - C6)", "rsx-asc-net-cur-exp", "RSX-", None,
    ),
    "rs": _Single(_KINDS["rs"], "net_current_expenditure", lambda t: t == "adult social care", "Adult Social Care", None, None, 360),
    "ra": _Single(
        _KINDS["ra"], "budget_net_current_expenditure", lambda t: t == "total adult social care",
        "TOTAL ADULT SOCIAL CARE", "asctot", None, 360,
    ),
}


def _single_asset_row(grid: _Grid, header: int, spec: _Single) -> int | None:
    if spec.asset_prefix:
        return _find_asset_row(grid, header, spec.asset_prefix)
    if spec.asset_id:
        for index in range(header):
            if any(_text(v).lower() == spec.asset_id for v in grid.rows[index]):
                return index
    return None


def _single_column(grid: _Grid, header: int, spec: _Single) -> int:
    by_header = [i for i in range(grid.width) if spec.header_matches(_norm(grid.cell(header, i)))]
    asset_row = _single_asset_row(grid, header, spec)
    if asset_row is not None and spec.asset_id:
        by_asset = [i for i in range(grid.width) if _text(grid.cell(asset_row, i)).lower() == spec.asset_id]
        if by_asset != by_header or len(by_asset) != 1:
            where_asset = ", ".join(_column_letter(i) for i in by_asset) or "no column"
            where_header = ", ".join(_column_letter(i) for i in by_header) or "no column"
            raise _fail(
                grid.path,
                f"the asset id '{spec.asset_id}' (row {asset_row + 1}, {where_asset}) and the heading '{spec.header_label}' "
                f"(row {header + 1}, {where_header}) do not line up: was a row or column moved?",
                row=asset_row + 1,
            )
    if len(by_header) != 1:
        found = "no column" if not by_header else "columns " + ", ".join(_column_letter(i) for i in by_header)
        raise _fail(grid.path, f"expected one '{spec.header_label}' column in the header row, found {found}", row=header + 1)
    column = by_header[0]
    if spec.line_number is not None and header > 0:
        above = grid.cell(header - 1, column)
        number = _text(above)
        if re.fullmatch(r"\d+", number) and int(number) != spec.line_number:
            raise _fail(
                grid.path,
                f"'{spec.header_label}' should be line {spec.line_number} of the form, but row {header} says line {number}",
                row=header,
                column=_column_letter(column),
            )
    return column


def _read_single(path: Path, found: Found, spec: _Single) -> pd.DataFrame:
    grid = _load_grid(path, found, spec.kind)
    header = _find_header_row(grid.rows)
    if header is None:
        raise _fail(path, f"no header row starting 'E-code' with an 'ONS Code' column; is this {spec.kind.description}?")
    column = _single_column(grid, header, spec)
    name = _header_name(grid, header, column)
    log = ProblemLog()
    records = [(code, spec.measure, "total", _pounds(grid.cell(row, column), grid, row, name, log)) for row, code in _council_rows(grid, header)]
    log.raise_if_any()
    return _frame(records, found)


def detect_rsx(path: Path) -> Found | None:
    """RSX (Revenue Outturn Service Expenditure Summary): sheet 'RSX_LA_Data_...' or its CSV export."""
    return _detect(path, _KINDS["rsx"])


def read_rsx(path: Path, found: Found) -> pd.DataFrame:
    """Adult social care net current expenditure (RSX-asc-net-cur-exp) per council and England, in pounds."""
    return _read_single(path, found, _SINGLES["rsx"])


def detect_rs(path: Path) -> Found | None:
    """RS (Revenue Outturn Summary, before RSX): sheet 'RS LA Data ...' or its CSV export."""
    return _detect(path, _KINDS["rs"])


def read_rs(path: Path, found: Found) -> pd.DataFrame:
    """Adult social care net current expenditure (line 360) per council and England, in pounds."""
    return _read_single(path, found, _SINGLES["rs"])


def detect_ra(path: Path) -> Found | None:
    """RA (Revenue Account budget): its CSV export, or a workbook with an 'RA ...' sheet."""
    return _detect(path, _KINDS["ra"])


def read_ra(path: Path, found: Found) -> pd.DataFrame:
    """Adult social care net current expenditure budgeted (line 360, asctot) per council, in pounds."""
    return _read_single(path, found, _SINGLES["ra"])


# --------------------------------------------------------------------------------------------------
# The publications
# --------------------------------------------------------------------------------------------------

_WHERE = (
    "GOV.UK collection 'Local authority revenue expenditure and financing' "
    f"({COLLECTION_URL}): open the year's {{release}} release and download {{file}}"
)
_ENGLAND_CAVEAT = (
    "England figures include MHCLG's estimates for councils that did not return; a council that did not "
    "return ([x]) is missing, never zero. Values are published in £ thousand and held here in pounds."
)

PUBLICATIONS: tuple[Publication, ...] = (
    Publication(
        id="ro3",
        name="Revenue Outturn Social Care (RO3)",
        publisher=PUBLISHER,
        folder="finance/ro3",
        year_kind="financial",
        holds=(
            "Each council's adult social care spending for the year, by line (primary support reason and age band, "
            "social support, assistive equipment, care assessment, information, commissioning, total) and by column "
            "(employees, running expenses, gross expenditure, sales fees and charges, other income, total income, "
            "net current expenditure), in pounds."
        ),
        where_to_get=_WHERE.format(release="outturn", file="'RO3 ... data by LA' (ODS)"),
        detect=detect_ro3,
        read=read_ro3,
        table="ro3",
        caveats=_ENGLAND_CAVEAT + " The lines add up to the total. MHCLG's 18-64 / 65+ splits of carers' support, "
        "assistive equipment, care assessment, information and commissioning (often apportioned by fixed shares) "
        "are not used.",
    ),
    Publication(
        id="rsx",
        name="Revenue Outturn Service Expenditure Summary (RSX)",
        publisher=PUBLISHER,
        folder="finance/rsx",
        year_kind="financial",
        holds="Each council's adult social care net current expenditure for the year (outturn), in pounds.",
        where_to_get=_WHERE.format(release="outturn", file="'RSX ... data by LA' (ODS)"),
        detect=detect_rsx,
        read=read_rsx,
        table="rsx",
        caveats=_ENGLAND_CAVEAT + " The adult social care total equals RO3's, council by council.",
    ),
    Publication(
        id="rs",
        name="Revenue Outturn Summary (RS)",
        publisher=PUBLISHER,
        folder="finance/rs",
        year_kind="financial",
        holds="Each council's adult social care net current expenditure for the year (outturn, line 360), in pounds.",
        where_to_get=_WHERE.format(release="final outturn", file="'RS ... data by LA' (the summary before RSX, to 2020-21)"),
        detect=detect_rs,
        read=read_rs,
        table="rs",
        caveats=_ENGLAND_CAVEAT,
    ),
    Publication(
        id="ra",
        name="Revenue Account budget (RA)",
        publisher=PUBLISHER,
        folder="finance/ra",
        year_kind="financial",
        holds="What each council budgeted, before the year, for adult social care net current expenditure (line 360), in pounds.",
        where_to_get=_WHERE.format(release="budget", file="'RA ... data by LA'"),
        detect=detect_ra,
        read=read_ra,
        table="ra",
        caveats="A budget, set before the year: compare it with RO3/RSX outturn for the same year. "
        "Some councils' budgets are shown as '...' (not available): missing, never zero. Values are held in pounds.",
    ),
)
