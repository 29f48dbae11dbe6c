"""ONS mid-year population estimates for English councils: by single year of age, age bands,
area and density, and the publisher's England totals.

Convention: **financial year YYYY-YY uses the mid-YYYY estimate** (the 30 June estimate, which falls
in the first quarter of that financial year; see :func:`benchmark.data.tidy.mid_year_for`).  So
2018-19 spending is divided by the mid-2018 population.

How the years are found (paths relative to ``raw_dir``, which is ``data/raw``); no year is written
in the code:

* every ONS MYE2 persons table anywhere under ``population/`` (ONS's workbooks in
  ``population/ons_mye/``, and CSV exports of the persons sheet such as
  ``population/lad_age_2020.csv`` and ``population/ons_mye/mye24tablesew.csv``) is found by
  :func:`benchmark.data.ons_mye.detect_mye2`, which reads its mid-year from the sheet's title (or,
  for a CSV export without a title, from the file name) and its edition and series (Census
  2011-based to mid-2020 as first published, Census 2021-based from mid-2021).  Where two files hold
  the same mid-year, ONS's own workbook is used and the other is cross-checked against it
  (:func:`cross_check_duplicates`); a disagreement is an error.  Each file is on the council codes
  of its own release, so a council appears in exactly the years whose file lists it: Bournemouth
  (E06000028), Poole (E06000029) and Dorset County (E10000009) to mid-2017; Bournemouth,
  Christchurch and Poole (E06000058) and Dorset Council (E06000059) from mid-2018 (that file is on
  2019 codes); Buckinghamshire County (E10000002) to mid-2018 and the unitary (E06000060) from
  mid-2019 (2020 codes); Northamptonshire (E10000021) to mid-2019 and North and West
  Northamptonshire (E06000061, E06000062) from mid-2020 (the mid-2020 file is on 2021 geography);
  Cumbria (E10000006), North Yorkshire County (E10000023) and Somerset County (E10000027) to
  mid-2020 and their successor unitaries Cumberland (E06000063), Westmorland and Furness
  (E06000064), North Yorkshire (E06000065) and Somerset (E06000066) from mid-2022 (the mid-2022 and
  later files are on April 2023 boundaries).  Nothing is re-based or back-cast here.
* ``population/pop2021.csv``: districts by sex and single year of age, long.  Its mid-year is taken
  from its value column's name (``population_2021`` -> 2021; the file has no year column), and it
  is used only for a year no MYE2 file holds.  Shire counties (E10) are the sum of their districts
  (E07) per ``la_codes/ons-lookups/030.csv`` (2020 lookup); a county none of whose districts is in
  the file (Northamptonshire in 2021) is left out, a county with only some of them is an error.
* ``population/ukpopestimatesmid2020on2021geography.csv``: ONS MYE5 (area and density), on 2021
  geography for every year, so abolished councils are absent from it; the MYE5 sheets of the MYE
  workbooks add the years and councils it lacks (mid-2021 onwards, the April 2023 unitaries).

Values:

* ``age`` is text: ``"0"``, ``"1"``, ... ``"89"`` for single years and ``"90+"`` for 90 and over,
  the top group ONS publishes.  The 2015-2018 workbooks head that column ``90`` and pop2021.csv
  codes it as age 90, but it is 90 and over in every file (the single years add up to the
  published all-ages total, which the loader checks).
* ``age_band`` (see :data:`AGE_BANDS`): ``"all_ages"``, ``"0-17"``, ``"18-64"``, ``"65+"``,
  ``"65-74"``, ``"75-84"``, ``"85+"``, ``"18+"``; each is the sum of its single years, the open
  bands ending with the 90+ group.
* every value is a float; a blank or suppressed cell is NaN, never 0, and any band that includes it
  is NaN too.  A cell that is not a number raises :class:`~benchmark.errors.DataError` naming the
  file, the row (spreadsheet row or CSV line) and the column.
* ``source``: ``ons_mye2_<year>`` for an MYE2 file (:attr:`benchmark.data.publications.Found.source_id`),
  ``ons_mye_<year>_csv`` for pop2021.csv.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.data import ons_mye
from benchmark.data.ons_mye import AGES, ENGLAND_CODE, MEASURE, TOP_AGE, UNIT, wide_to_tidy  # noqa: F401 (re-exported)
from benchmark.data.publications import Found
from benchmark.data.readers import ProblemLog, display_path, read_csv, to_number
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, tidy
from benchmark.errors import DataError, Problem

#: Age bands as (first single year, last single year or None for "and over").
AGE_BANDS: dict[str, tuple[int, int | None]] = {
    "all_ages": (0, None),
    "0-17": (0, 17),
    "18-64": (18, 64),
    "65+": (65, None),
    "65-74": (65, 74),
    "75-84": (75, 84),
    "85+": (85, None),
    "18+": (18, None),
}

POPULATION_FOLDER = "population"
POP2021_FILE = "population/pop2021.csv"
COUNTY_LOOKUP_FILE = "la_codes/ons-lookups/030.csv"
MYE5_FILE = "population/ukpopestimatesmid2020on2021geography.csv"
MYE5_SOURCE = "ons_mye5_2020"
MYE5_DENSITY_COLUMN = re.compile(r"^(\d{4}) people per sq\. km$")
MYE5_SHEET = re.compile(r"MYE ?5", re.IGNORECASE)
#: In the workbooks' MYE5 sheet (one mid-2023 header reads "2022 people per sq. km2").
MYE5_WORKBOOK_DENSITY_COLUMN = re.compile(r"^(\d{4}) people per sq\. km2?$")
_POP_VALUE_COLUMN = re.compile(r"population_((?:19|20)\d{2})")


# --------------------------------------------------------------------------------------- files


@dataclass(frozen=True)
class Mye2Files:
    """The MYE2 files under ``population/``: the one used for each mid-year, and the others."""

    used: dict[str, tuple[Path, Found]]  # mid-year -> (file, what detect found)
    duplicates: list[tuple[Path, Found]] = field(default_factory=list)  # same year as a used file


def mye2_files(raw_dir: Path) -> Mye2Files:
    """Every ONS MYE2 persons table under ``raw_dir/population`` (recursively), found by content.

    For a mid-year held by several files, ONS's own workbook is used rather than a CSV export of it
    (then the first by path); the others are returned as duplicates, to be cross-checked.  Files of
    other publications (pop2021.csv, MYE5 ...) are skipped; an MYE2 file that cannot be read, or
    whose year cannot be found, raises DataError.
    """
    folder = Path(raw_dir) / POPULATION_FOLDER
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in ons_mye.SUFFIXES and not p.name.startswith((".", "~$")))
    by_year: dict[str, list[tuple[Path, Found]]] = {}
    for path in paths:
        found = ons_mye.detect_mye2(path)
        if found is not None:
            by_year.setdefault(found.year, []).append((path, found))
    used, duplicates = {}, []
    for year in sorted(by_year):
        ranked = sorted(by_year[year], key=lambda item: (item[1].hints.get("format") != "workbook", str(item[0])))
        used[year] = ranked[0]
        duplicates += ranked[1:]
    return Mye2Files(used, duplicates)


# --------------------------------------------------------------------------------------- by age


def load_population_by_age(raw_dir: Path) -> pd.DataFrame:
    """Persons by single year of age for every English upper-tier council, for every mid-year held.

    Tidy columns: council, year (the mid-year, as text), measure ("population"), age ("0".."89", "90+"),
    value, unit ("persons"), source.  One file per year (see the module docstring for how the
    years are found); every council code that year's file has is kept.  A file holding the same
    year as the one used must agree with it (:func:`cross_check_duplicates`), else DataError.
    """
    raw_dir = Path(raw_dir)
    files = mye2_files(raw_dir)
    frames = [ons_mye.read_mye2(path, found) for path, found in files.used.values()]
    pop_csv = raw_dir / POP2021_FILE
    if pop2021_year(pop_csv) not in files.used:
        frames.append(districts_population_by_age(pop_csv, raw_dir / COUNTY_LOOKUP_FILE))
    by_age = pd.concat(frames, ignore_index=True).sort_values("year", kind="stable", ignore_index=True)
    problems = _cross_check(files, by_age)
    if problems:
        raise DataError(problems)
    return by_age


def workbook_population_by_age(path: Path, sheet: str, year: str, source: str) -> pd.DataFrame:
    """Persons by single year of age for the English upper-tier councils in one named MYE2
    workbook sheet, for a year and source id the caller gives (the loader detects them instead)."""
    found = Found(ons_mye.PUBLICATION_ID, str(year), hints={"format": "workbook", "sheet": sheet})
    table = ons_mye.read_mye2(Path(path), found)
    table["source"] = pd.Series(source, index=table.index, dtype="string")
    return table


def pop2021_year(pop_csv: Path) -> str:
    """The mid-year of a pop2021.csv-style file, from the name of its value column
    (``population_2021`` -> 2021): the file has no year column and its rows carry no date."""
    pop_csv = Path(pop_csv)
    header = _csv_header(pop_csv)
    years = [m.group(1) for m in (_POP_VALUE_COLUMN.fullmatch(c) for c in header) if m]
    if len(years) != 1:
        raise DataError(Problem(display_path(pop_csv), "expected one value column population_YYYY naming the mid-year; found columns "
                                                       + ", ".join(repr(c) for c in header[:12])))
    return years[0]


def _csv_header(path: Path) -> list[str]:
    """The header line of a CSV without reading the rest (a missing or empty file raises as read_csv does)."""
    if not path.is_file() or path.stat().st_size == 0:
        read_csv(path)  # raises its one-line error
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        return [c.strip() for c in next(csv.reader([handle.readline()]), [])]


def districts_population_by_age(pop_csv: Path, lookup_csv: Path) -> pd.DataFrame:
    """Persons by single year of age from a pop2021.csv-style file (districts by sex, long):
    unitaries, metropolitan districts and London boroughs as published, shire counties summed from
    their districts (sexes summed throughout).  Year from the value column (:func:`pop2021_year`),
    source ``ons_mye_<year>_csv``."""
    pop_csv, lookup_csv = Path(pop_csv), Path(lookup_csv)
    year = pop2021_year(pop_csv)
    districts = _read_pop2021(pop_csv, year)
    lookup = read_csv(lookup_csv, ["LAD20CD", "CTY20CD"])
    lookup = pd.DataFrame({"district": _clean_codes(lookup["LAD20CD"]), "county": _clean_codes(lookup["CTY20CD"])}, index=lookup.index)
    lookup = lookup[lookup["county"].str.startswith("E10")]

    log = ProblemLog()
    present = set(districts.index)
    for county, members in lookup.groupby("county")["district"]:
        missing = sorted(set(members) - present)
        if missing and len(missing) < len(members):
            log.add(pop_csv, f"shire county {county} cannot be summed: its districts {', '.join(missing)} "
                             f"(per {display_path(lookup_csv)}) are not in this file")
    english_districts = districts.index[districts.index.str.startswith("E07")]
    for code in sorted(set(english_districts) - set(lookup["district"])):
        log.add(pop_csv, f"district {code} is in no shire county of {display_path(lookup_csv)}; its population would be lost")
    log.raise_if_any()

    councils = districts[districts.index.str.match(COUNCIL_CODE_PATTERN)]
    in_county = lookup[lookup["district"].isin(present)]
    counties = _sum_keep_nan(districts.loc[in_county["district"]].set_axis(in_county["county"].to_numpy()), level=0)
    wide = pd.concat([councils, counties]).sort_index()
    return wide_to_tidy(wide, year, pop2021_source(year))


def pop2021_source(year: str) -> str:
    return f"ons_mye_{year}_csv"


# --------------------------------------------------------------------------------------- bands


def load_population_bands(by_age: pd.DataFrame) -> pd.DataFrame:
    """Persons by age band (:data:`AGE_BANDS`), summed from the single years of ``by_age``.

    Tidy columns: council, year, measure, age_band, value, unit, source.  A band is NaN when any
    of its single years is missing (NaN or absent), never a partial sum.
    """
    age_number = pd.to_numeric(by_age["age"].astype(str).str.rstrip("+"), errors="coerce")
    keys = ["council", "year", "measure", "unit", "source"]
    frames = []
    for order, (band, (low, high)) in enumerate(AGE_BANDS.items()):
        top = np.inf if high is None else high
        expected = sum(1 for age in AGES if low <= int(age.rstrip("+")) <= top)
        grouped = by_age.loc[(age_number >= low) & (age_number <= top), [*keys, "value"]].groupby(keys, sort=False)["value"]
        out = grouped.sum().where(grouped.count() == expected).rename("value").reset_index()
        out["age_band"], out["order"] = band, order
        frames.append(out)
    bands = pd.concat(frames, ignore_index=True).sort_values(["year", "council", "order"], kind="stable")
    return tidy(bands, ["age_band"])


# --------------------------------------------------------------------------------------- area


def load_area_and_density(raw_dir: Path) -> pd.DataFrame:
    """Area (sq km, as at the file's release) and population density (persons per sq km, every
    mid-year the file has) for English upper-tier councils, as published in ONS MYE5.

    Measures: ``area_sq_km`` (unit ``sq_km``, dated the newest mid-year of the file; ONS rounds it
    to whole sq km) and ``population_density`` (unit ``persons_per_sq_km``, one row per mid-year
    column ``YYYY people per sq. km``; ONS computes it from the unrounded area, so it is taken as
    published rather than recomputed).
    """
    path = Path(raw_dir) / MYE5_FILE
    area_column = "Area (sq km)"
    header = read_csv(path, ["Code", area_column]).columns
    density_columns = {match.group(1): column for column in header if (match := MYE5_DENSITY_COLUMN.match(column))}
    if not density_columns:
        raise DataError(Problem(display_path(path), "no density column ('YYYY people per sq. km') in the header"))
    area_year = max(density_columns)
    table = read_csv(path, ["Code", area_column, *density_columns.values()])
    table = table[_clean_codes(table["Code"]).str.match(COUNCIL_CODE_PATTERN)]
    codes = _clean_codes(table["Code"])
    _require_unique(codes, path)
    log = ProblemLog()
    area = to_number(table[area_column], path, area_column, log, minimum=0)
    densities = {year: to_number(table[column], path, column, log, minimum=0) for year, column in density_columns.items()}
    log.raise_if_any()

    frames = [pd.DataFrame({"council": codes, "year": area_year, "measure": "area_sq_km", "value": area, "unit": "sq_km"})]
    for year, values in densities.items():
        frames.append(pd.DataFrame({"council": codes, "year": year, "measure": "population_density", "value": values, "unit": "persons_per_sq_km"}))
    out = pd.concat(frames, ignore_index=True)
    out["source"] = MYE5_SOURCE
    # ONS's MYE workbooks carry MYE5 too, on their own release's geography (from mid-2022 on April
    # 2023 boundaries, so with the 2023 unitaries).  They only add what the file above lacks (newer
    # years, newer councils), newest release first: figures already used for a council and year stay
    # as they were, although ONS has since revised the back series on the Census 2021 base.
    workbooks = sorted(_workbook_mye5(Path(raw_dir)), key=lambda item: item[0], reverse=True)
    out = pd.concat([out, *(frame for _, frame in workbooks)], ignore_index=True).drop_duplicates(["council", "year", "measure"], keep="first")
    return tidy(out.sort_values(["measure", "year", "council"], kind="stable"))


def _workbook_mye5(raw_dir: Path) -> list[tuple[str, pd.DataFrame]]:
    """(release mid-year, tidy area and density rows) of the MYE5 sheet of every MYE workbook used
    for population (:func:`mye2_files`); workbooks without one are skipped."""
    out = []
    for path, found in mye2_files(raw_dir).used.values():
        if found.hints.get("format") != "workbook":
            continue
        sheets = [name for name in pd.ExcelFile(path, engine="calamine").sheet_names if MYE5_SHEET.fullmatch(name.strip())]
        if not sheets:
            continue
        grid = pd.read_excel(path, sheet_name=sheets[0], header=None, engine="calamine", dtype=object)
        header_rows = [i for i, cell in enumerate(grid.iloc[:30, 0]) if str(cell).strip() == "Code"]
        if not header_rows:
            raise DataError(Problem(display_path(path), f"sheet '{sheets[0]}': no header row starting 'Code' in the first 30 rows"))
        header = [str(cell).strip() for cell in grid.iloc[header_rows[0]]]
        body = grid.iloc[header_rows[0] + 1:].set_axis(header, axis=1)
        density_columns = {m.group(1): column for column in header if (m := MYE5_WORKBOOK_DENSITY_COLUMN.match(column))}
        if "Area (sq km)" not in header or not density_columns:
            raise DataError(Problem(display_path(path), f"sheet '{sheets[0]}': expected 'Area (sq km)' and 'YYYY people per sq. km' columns"))
        codes = _clean_codes(body["Code"].astype("string"))
        body, codes = body[codes.str.match(COUNCIL_CODE_PATTERN).to_numpy()], codes[codes.str.match(COUNCIL_CODE_PATTERN)]
        _require_unique(codes, path)
        log = ProblemLog()
        release = max(density_columns)
        frames = [pd.DataFrame({"council": codes.to_numpy(), "year": release, "measure": "area_sq_km", "unit": "sq_km",
                                "value": to_number(body["Area (sq km)"], path, "Area (sq km)", log, minimum=0).to_numpy()})]
        for year, column in density_columns.items():
            frames.append(pd.DataFrame({"council": codes.to_numpy(), "year": year, "measure": "population_density", "unit": "persons_per_sq_km",
                                        "value": to_number(body[column], path, column, log, minimum=0).to_numpy()}))
        log.raise_if_any()
        out.append((release, pd.concat(frames, ignore_index=True).assign(source=found.source_id)))
    return out


# --------------------------------------------------------------------------------------- checks


def cross_check_mye2(path: Path, found: Found, by_age: pd.DataFrame, against: str = "the figures used") -> list[Problem]:
    """Where the MYE2 file ``path`` disagrees with the figures of its mid-year (``found.year``) in ``by_age``.

    Compares every English upper-tier council and single year of age, and the file's all-ages
    total with the sum of the single years in ``by_age``.  Returns one problem per disagreement
    (row and column of ``path``), per council in one but not the other, and per unreadable value;
    empty when they agree.  ``against`` names the figures compared with, for the messages.
    """
    path = Path(path)
    log = ProblemLog()
    table = ons_mye.mye2_table(path, found, log=log)
    codes = table["code"].astype(str)
    theirs_all = table[list(AGES)]
    total_column = table.attrs.get("all_ages_header", "All ages")
    year = found.year

    mine = by_age[by_age["year"] == year]
    ours_wide = mine.pivot(index="council", columns="age", values="value").reindex(columns=list(AGES))
    for row, code in codes[~codes.isin(ours_wide.index)].items():
        log.add(path, f"council {code} is not in {against} for mid-{year}", row=int(row))
    for code in sorted(set(ours_wide.index) - set(codes)):
        log.add(path, f"council {code} of {against} for mid-{year} is not in this file")

    both = codes.isin(ours_wide.index).to_numpy()
    theirs = theirs_all[both]
    ours = ours_wide.loc[codes[both]].set_axis(theirs.index)
    unreadable = {(p.row, p.column) for p in log.problems}  # already reported; not a disagreement too
    differs = _differs(theirs, ours)
    for row, age in zip(*np.nonzero(differs.to_numpy()), strict=True):
        line, column = int(theirs.index[row]), AGES[age]
        if (line, column) in unreadable or (line, column.rstrip("+")) in unreadable:
            continue
        log.add(path, f"{_fmt(theirs.iat[row, age])} here but {_fmt(ours.iat[row, age])} in {against} "
                      f"for {codes.loc[line]} age {column}", row=line, column=column)
    total_ours = ours.sum(axis=1, min_count=len(AGES))
    total_ours[ours.isna().any(axis=1)] = np.nan
    total_theirs = table.loc[both, "all_ages"]
    for line in total_ours.index[_differs(total_theirs, total_ours)]:
        if (line, total_column) in unreadable:
            continue
        log.add(path, f"all-ages total {_fmt(total_theirs.loc[line])} here but the single years of {codes.loc[line]} in {against} "
                      f"sum to {_fmt(total_ours.loc[line])}", row=int(line), column=total_column)
    return log.problems


def cross_check_duplicates(raw_dir: Path, by_age: pd.DataFrame) -> list[Problem]:
    """Every MYE2 file under ``population/`` not used for its mid-year (because another file holds
    the same year, e.g. lad_age_2020.csv beside the mid-2020 workbook), checked against ``by_age``
    with :func:`cross_check_mye2`.  Empty when every duplicate agrees with the file used."""
    return _cross_check(mye2_files(raw_dir), by_age)


def _cross_check(files: Mye2Files, by_age: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    for path, found in files.duplicates:
        used_path, _ = files.used[found.year]
        problems += cross_check_mye2(path, found, by_age, against=display_path(used_path))
    return problems


def england_totals(raw_dir: Path) -> pd.DataFrame:
    """The publisher's England population (all ages) for each mid-year, to reconcile against the
    sum of councils: the E92000001 "ENGLAND" row of the MYE2 file used for each year (see
    :func:`mye2_files`), and for a year only pop2021.csv holds, the sum of every English district
    in it.  Columns: year, value, source (the source id of the year's rows in
    :func:`load_population_by_age`)."""
    raw_dir = Path(raw_dir)
    files = mye2_files(raw_dir)
    rows = []
    for year, (path, found) in files.used.items():
        england = ons_mye.england_from_mye2(path, found)
        rows.append((year, float(england["value"].sum(min_count=1)), found.source_id))
    pop_csv = raw_dir / POP2021_FILE
    year = pop2021_year(pop_csv)
    if year not in files.used:
        districts = _read_pop2021(pop_csv, year)
        english = districts[districts.index.str.startswith("E")]
        rows.append((year, float(english.to_numpy().sum()), pop2021_source(year)))
    out = pd.DataFrame(rows, columns=["year", "value", "source"]).sort_values("year", ignore_index=True)
    return out.astype({"year": "string", "value": "float64", "source": "string"})


# --------------------------------------------------------------------------------------- helpers


def _read_pop2021(path: Path, year: str) -> pd.DataFrame:
    """pop2021.csv as a district x age wide table (columns :data:`AGES`), sexes summed."""
    value_column = f"population_{year}"
    table = read_csv(path, ["ladcode21", "sex", "age", value_column])
    log = ProblemLog()
    codes = _clean_codes(table["ladcode21"])
    sex = table["sex"].str.strip()
    for row, original in table["sex"][~sex.isin(["1", "2"])].items():
        log.add(path, f"expected sex 1 (male) or 2 (female), found '{original}'", row=int(row), column="sex")
    age_text = table["age"].str.strip()
    age_ok = age_text.str.fullmatch(r"\d{1,2}").fillna(False) & (pd.to_numeric(age_text, errors="coerce") <= 90)
    for row, original in table["age"][~age_ok].items():
        log.add(path, f"expected a single year of age 0 to 90 (90 = 90 and over), found '{original}'", row=int(row), column="age")
    value = to_number(table[value_column], path, value_column, log, minimum=0)
    log.raise_if_any()

    age = age_text.astype(int).astype(str).replace("90", TOP_AGE)
    long = pd.DataFrame({"code": codes, "sex": sex, "age": age, "value": value})
    duplicated = long.duplicated(["code", "sex", "age"], keep="first")
    for row in long.index[duplicated]:
        log.add(path, f"second row for {long.at[row, 'code']} sex {long.at[row, 'sex']} age {table.at[row, 'age']}", row=int(row))
    counts = long.groupby("code").size()
    for code in counts.index[counts != 2 * len(AGES)]:
        first = int(long.index[long["code"] == code][0])
        log.add(path, f"{code} has {counts[code]} rows; expected {2 * len(AGES)} (2 sexes x ages 0 to 90)", row=first, column="ladcode21")
    log.raise_if_any()
    summed = _sum_keep_nan(long.set_index(["code", "age"])["value"], level=["code", "age"])
    return summed.unstack("age").reindex(columns=list(AGES))


def _sum_keep_nan(values: pd.DataFrame | pd.Series, level) -> pd.DataFrame | pd.Series:
    """Group-by sum over index ``level`` that is NaN wherever any summed value is NaN."""
    grouped = values.groupby(level=level, sort=True)
    counts, sizes = grouped.count(), grouped.size()
    complete = counts.eq(sizes, axis=0) if isinstance(counts, pd.DataFrame) else counts == sizes
    return grouped.sum().where(complete)


def _clean_codes(values: pd.Series) -> pd.Series:
    """Codes as text with spaces (including the non-breaking spaces some ONS files carry) removed."""
    return values.astype("string").str.strip().fillna("")


def _require_unique(codes: pd.Series, path: Path) -> None:
    repeated = codes[codes.duplicated(keep="first")]
    if not repeated.empty:
        raise DataError([Problem(display_path(path), f"second row for {code}", row=int(row)) for row, code in repeated.items()])


def _differs(a: pd.Series | pd.DataFrame, b: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """True where two aligned numeric tables differ, counting NaN against a number as a difference."""
    return ((a - b).abs() > 1e-6) | (a.isna() != b.isna())


def _fmt(value: float) -> str:
    return "blank" if pd.isna(value) else f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
