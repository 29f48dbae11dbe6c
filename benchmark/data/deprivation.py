"""English Indices of Deprivation: official upper-tier local authority summaries (File 11).

Sources (MHCLG, published with each edition of the Indices):

* ``deprivation/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx``: IoD2019,
  151 upper-tier councils on April 2019 boundaries (Bournemouth, Christchurch and Poole and Dorset
  unitary councils, E06000058/E06000059), source id ``iod2019_upper_tier``, year ``"2019"``.
* ``deprivation/File_11_ID_2015_Upper-tier_Local_Authority_Summaries.xlsx``: IoD2015, 152
  upper-tier councils on the boundaries before April 2019 (Bournemouth, Poole and Dorset County),
  source id ``iod2015_upper_tier``, year ``"2015"``.  The header says "(2013)" but the codes are the
  current ones (Northumberland E06000057, Gateshead E08000037), as in IoD2019.

The year is the edition of the index, not the year the underlying data describe (IoD2019 mostly
uses 2015-16 data).  City of London (E09000001) and the Isles of Scilly (E06000053) have rows of
their own in both editions.

Each workbook has one sheet per domain (IMD, Income, Employment, Education, Health, Crime,
Barriers, Living, IDACI, IDAOPI) with the header in row 1, code and name in the first two columns
and one column per summary measure.  Header wording differs between editions (``"IMD 2019 -
Extent "`` vs ``"IMD - Extent"``, ``"Income scale"`` vs ``"Income - Scale"``, long index names such as
``"Income Deprivation Affecting Older People (IDAOPI) - Average rank"`` in 2015), so every header is
mapped explicitly by pattern to a normalised measure name; a header that matches no pattern is an
error naming the file, sheet and header rather than a silently dropped column.

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

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from benchmark.data.readers import ProblemLog, display_path, read_excel_table, to_number
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, tidy
from benchmark.errors import UserError

#: Edition -> file under the raw data folder.
DEPRIVATION_FILES: dict[str, str] = {
    "2019": "deprivation/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx",
    "2015": "deprivation/File_11_ID_2015_Upper-tier_Local_Authority_Summaries.xlsx",
}

#: First cell of the header row (row 1) in the known editions.
HEADER_FIRST_CELLS = (
    "Upper Tier Local Authority District code (2019)",
    "Upper Tier Local Authority District code (2013)",
)

#: Sheet name -> (domain, regular expression for the domain's name as it prefixes headers).
#: Headers are compared after lower-casing and collapsing runs of spaces.
DOMAIN_SHEETS: dict[str, tuple[str, str]] = {
    "IMD": ("imd", r"imd(?: 2019| 2015)?"),
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


def _read_edition(path: Path, year: str, log: ProblemLog) -> list[pd.DataFrame]:
    source = f"iod{year}_upper_tier"
    file = display_path(path)
    parts: list[pd.DataFrame] = []
    for sheet, (domain, _) in DOMAIN_SHEETS.items():
        table = read_excel_table(path, sheet, HEADER_FIRST_CELLS, search_rows=5)
        code_column = table.columns[0]
        codes = table.iloc[:, 0].astype("string").str.strip()
        keep = codes.str.match(COUNCIL_CODE_PATTERN.pattern).fillna(False).astype(bool)
        header_row = int(table.index.start) - 1

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

        rows = table.loc[keep]
        rows_codes = codes[keep]
        for row in rows_codes.index[rows_codes.duplicated()]:
            log.add(path, f"sheet '{sheet}': council '{rows_codes[row]}' appears twice", row=int(row), column=code_column)
        for header, measure in measures.items():
            values = to_number(rows[header], path, f"{sheet}: {header}", log)
            parts.append(
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
        if not keep.any():
            log.add(file, f"sheet '{sheet}': no rows with an English upper-tier council code in column '{code_column}'")
    return parts


def load_deprivation(raw_dir: Path | str, files: Mapping[str, Path | str] | None = None) -> pd.DataFrame:
    """Tidy table of the IoD upper-tier summaries, all domains and summary measures, both editions.

    ``files`` maps edition year to workbook path (default :data:`DEPRIVATION_FILES` under
    ``raw_dir``).  Columns: council, year, measure, domain, value, unit, source.
    Raises :class:`~benchmark.errors.DataError` for a missing or unreadable file, a missing sheet, an
    unrecognised header or a value that is not a number (one line per problem).
    """
    raw_dir = Path(raw_dir)
    chosen = {year: raw_dir / name for year, name in DEPRIVATION_FILES.items()} if files is None else files
    log = ProblemLog()
    parts: list[pd.DataFrame] = []
    for year, path in chosen.items():
        parts.extend(_read_edition(Path(path), str(year), log))
    log.raise_if_any()
    frame = pd.concat(parts, ignore_index=True)
    return tidy(frame, breakdowns=["domain"])


def imd_score(deprivation: pd.DataFrame, year: str | int) -> pd.Series:
    """IMD average score by council for one edition (``"2019"`` or ``"2015"``), index = council code."""
    year = str(year)
    rows = deprivation[(deprivation["domain"] == "imd") & (deprivation["measure"] == "average_score") & (deprivation["year"] == year)]
    if rows.empty:
        available = ", ".join(sorted(deprivation["year"].dropna().unique()))
        raise UserError(f"no IMD average score for year '{year}' (available: {available or 'none'})")
    series = rows.set_index("council")["value"].astype("float64")
    series.name = f"imd_{year}_average_score"
    return series
