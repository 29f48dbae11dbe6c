"""ONS Census 2021 bulk tables (as Nomis publishes them) for the features of statistical peer groups.

Files are found anywhere under ``raw/census2021/`` by their content, never by name: a Nomis bulk
CSV has the columns ``date``, ``geography``, ``geography code`` and then one column per category,
each headed ``<table title>: <category>``.  Which table a file holds is recognised by its total
column (:data:`TABLES`); the census year is the file's ``date`` column; its geography level by the
codes it holds (a country file has E92000001, an upper-tier file has shire counties E10, a district
file has shire districts E07).

Three of the features NHS England's ASC statistical peer groups use are built from them:

* TS007a age by five-year band: usual residents aged 15 and over and aged 85 and over;
* TS054 tenure: households, and households renting socially;
* TS062 NS-SeC: usual residents aged 16 and over, and full-time students (L15).

The tidy table (``census``) holds the counts, one row per council of the current geography:

* councils of the 2021 upper-tier file are used as published;
* councils created since (the April 2023 unitaries, while the census still has Cumbria, North
  Yorkshire and Somerset as counties) are the sums of their districts from the district file:
  counts add up (to within the census's own disclosure-control noise), so these are not
  approximations.  Which districts make each council is
  :data:`DISTRICTS_OF_NEW_COUNCILS` (facts of geography, like the reorganisation dates in
  :mod:`benchmark.data.councils`).

The upper-tier councils are checked to add up to the country file's England row for every count
(within :data:`ADDING_UP_TOLERANCE`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.data.readers import ProblemLog, display_path, read_csv, to_number
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, tidy
from benchmark.errors import DataError, Problem

FOLDER = "census2021"
ENGLAND = "E92000001"
KEY_COLUMNS = ("date", "geography", "geography code")
#: ONS perturbs census cells for disclosure control, so areas add up to England only to within a
#: few dozen people or households (TS054 councils: 25 households short of 23,436,085).
ADDING_UP_TOLERANCE = 1e-5

#: The districts (2021 codes) of each council created after the census's geography.
DISTRICTS_OF_NEW_COUNCILS = {
    "E06000063": ("E07000026", "E07000028", "E07000029"),  # Cumberland: Allerdale, Carlisle, Copeland
    "E06000064": ("E07000027", "E07000030", "E07000031"),  # Westmorland and Furness: Barrow-in-Furness, Eden, South Lakeland
    "E06000065": ("E07000163", "E07000164", "E07000165", "E07000166", "E07000167", "E07000168", "E07000169"),  # North Yorkshire
    "E06000066": ("E07000187", "E07000188", "E07000246", "E07000189"),  # Somerset: Mendip, Sedgemoor, Somerset West and Taunton, South Somerset
}


@dataclass(frozen=True)
class CensusTable:
    """One Nomis bulk table: the column that identifies it and the counts taken from it."""

    id: str  # ONS table id
    total_column: str
    counts: dict  # measure -> (unit, columns summed, columns subtracted)


_AGE = "Age: "
_TENURE = "Tenure of household: "
_NSSEC = "National Statistics Socio-economic Classification (NS-SEC): "

TABLES = (
    CensusTable("TS007a", _AGE + "Total", {
        "usual_residents": ("persons", [_AGE + "Total"], []),
        "usual_residents_aged_15plus": ("persons", [_AGE + "Total"], [_AGE + "Aged 4 years and under", _AGE + "Aged 5 to 9 years",
                                                                       _AGE + "Aged 10 to 14 years"]),
        "usual_residents_aged_85plus": ("persons", [_AGE + "Aged 85 years and over"], []),
    }),
    CensusTable("TS054", _TENURE + "Total: All households", {
        "households": ("households", [_TENURE + "Total: All households"], []),
        "households_social_rented": ("households", [_TENURE + "Social rented"], []),
    }),
    CensusTable("TS062", _NSSEC + "Total: All usual residents aged 16 years and over", {
        "usual_residents_aged_16plus": ("persons", [_NSSEC + "Total: All usual residents aged 16 years and over"], []),
        "full_time_students": ("persons", [_NSSEC + "L15 Full-time students"], []),
    }),
)


@dataclass(frozen=True)
class CensusFile:
    path: Path
    table: CensusTable
    year: str
    level: str  # "country", "upper_tier", "district" or "other"


def _header(path: Path) -> list[str]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [cell.strip() for cell in next(csv.reader(handle), [])]


def detect(path: Path) -> CensusFile | None:
    """The census table, year and geography level of a Nomis bulk CSV; None for any other file."""
    path = Path(path)
    if path.suffix.lower() != ".csv" or path.name.startswith("."):
        return None
    try:
        header = _header(path)
    except (OSError, UnicodeDecodeError):
        return None
    if tuple(header[:3]) != KEY_COLUMNS:
        return None
    table = next((t for t in TABLES if t.total_column in header), None)
    if table is None:
        return None
    frame = read_csv(path, list(KEY_COLUMNS))
    years = frame["date"].str.strip().unique()
    if len(years) != 1 or not re.fullmatch(r"\d{4}", str(years[0])):
        raise DataError(Problem(display_path(path), f"Census {table.id}: expected one census year in column 'date', found {', '.join(map(str, years))}"))
    codes = set(frame["geography code"].str.strip())
    level = "country" if ENGLAND in codes else "upper_tier" if any(c.startswith("E10") for c in codes) else \
        "district" if any(c.startswith("E07") for c in codes) else "other"
    return CensusFile(path, table, str(years[0]), level)


def find_files(raw_dir: Path | str) -> list[CensusFile]:
    folder = Path(raw_dir) / FOLDER
    if not folder.is_dir():
        raise DataError(Problem(display_path(folder), "folder not found (ONS Census 2021 bulk tables; see data/README.md)"))
    return [hit for path in sorted(folder.rglob("*.csv")) if (hit := detect(path)) is not None]


def _counts(found: CensusFile) -> pd.DataFrame:
    """Rows: geography code; columns: the table's count measures."""
    columns = sorted({c for _, add, sub in found.table.counts.values() for c in add + sub})
    frame = read_csv(found.path, [*KEY_COLUMNS, *columns])
    log = ProblemLog()
    numbers = {c: to_number(frame[c], found.path, c, log, minimum=0) for c in columns}
    log.raise_if_any()
    codes = frame["geography code"].str.strip()
    repeated = codes[codes.duplicated()]
    if not repeated.empty:
        raise DataError([Problem(display_path(found.path), f"second row for {code}", row=int(row)) for row, code in repeated.items()])
    out = pd.DataFrame(index=codes.to_numpy())
    for measure, (_, add, sub) in found.table.counts.items():
        value = sum(numbers[c] for c in add) - sum((numbers[c] for c in sub), start=0)
        out[measure] = value.to_numpy()
    return out


def _source_for(path: Path, raw_dir: Path) -> str:
    """The id the data log gives the file (benchmark.data.sources), else one from its name."""
    from benchmark.data.sources import SOURCES

    try:  # not resolved: a user's data folder may link to shared folders
        relative = Path(path).relative_to(Path(raw_dir)).as_posix()
    except ValueError:
        relative = None
    return next((s.id for s in SOURCES if s.path == relative), "census_" + re.sub(r"\W+", "_", Path(path).stem.lower()))


def load_census(raw_dir: Path | str) -> pd.DataFrame:
    """Tidy counts for every council (module docstring): council, year, measure, value, unit, source."""
    raw_dir = Path(raw_dir)
    files = find_files(raw_dir)
    problems, parts = [], []
    for table in TABLES:
        by_level = {f.level: f for f in files if f.table is table}
        missing = [level for level in ("upper_tier", "district", "country") if level not in by_level]
        if missing:
            problems.append(Problem(display_path(raw_dir / FOLDER), f"Census {table.id}: no {' or '.join(missing)} file found"))
            continue
        upper, district, country = (by_level[level] for level in ("upper_tier", "district", "country"))
        upper_counts = _counts(upper)
        upper_counts = upper_counts[upper_counts.index.str.match(COUNCIL_CODE_PATTERN.pattern)]
        district_counts = _counts(district)
        england = _counts(country).loc[ENGLAND]
        for measure, total in (upper_counts.sum() - england).items():
            if abs(total) > ADDING_UP_TOLERANCE * england[measure]:
                problems.append(Problem(display_path(upper.path), f"Census {table.id} {measure}: the councils add up to "
                                        f"{upper_counts[measure].sum():,.0f}, England is {england[measure]:,.0f}"))
        frames = [(upper_counts, _source_for(upper.path, raw_dir))]
        for council, districts in DISTRICTS_OF_NEW_COUNCILS.items():
            absent = [d for d in districts if d not in district_counts.index]
            if absent:
                problems.append(Problem(display_path(district.path), f"Census {table.id}: districts {', '.join(absent)} of {council} missing"))
                continue
            frames.append((district_counts.loc[list(districts)].sum().to_frame(council).T, _source_for(district.path, raw_dir)))
        for counts, source in frames:
            long = counts.rename_axis("council").reset_index().melt(id_vars="council", var_name="measure", value_name="value")
            long["unit"] = long["measure"].map({m: unit for m, (unit, _, _) in table.counts.items()})
            parts.append(long.assign(year=upper.year, source=source))
    if problems:
        raise DataError(problems)
    return tidy(pd.concat(parts, ignore_index=True).sort_values(["measure", "council"], kind="stable"))


def england_counts(raw_dir: Path | str) -> pd.Series:
    """England's counts (measure -> value) from the country files, as published."""
    return pd.concat([_counts(f).loc[ENGLAND] for f in find_files(raw_dir) if f.level == "country"])
