"""ONS mid-year population estimates for English councils: by single year of age, age bands,
area and density, and the publisher's England totals.

Convention: **financial year YYYY-YY uses the mid-YYYY estimate** (the 30 June estimate, which falls
in the first quarter of that financial year; see :func:`benchmark.data.tidy.mid_year_for`).  So
2018-19 spending is divided by the mid-2018 population.

Sources (paths relative to ``raw_dir``, which is ``data/raw``):

* mid-2015 to mid-2020: the ONS MYE2 "persons" sheet of each year's workbook
  (:data:`MYE_WORKBOOKS`).  Each workbook is on the council codes of its own release, so a council
  appears in exactly the years whose file lists it: Bournemouth (E06000028), Poole (E06000029) and
  Dorset County (E10000009) to mid-2017; Bournemouth, Christchurch and Poole (E06000058) and Dorset
  Council (E06000059) from mid-2018 (that file is on 2019 codes); Buckinghamshire County
  (E10000002) to mid-2018 and the unitary (E06000060) from mid-2019 (2020 codes); Northamptonshire
  (E10000021) to mid-2019 and North and West Northamptonshire (E06000061, E06000062) from mid-2020
  (the mid-2020 file is on 2021 geography).  Nothing is re-based or back-cast here.
* mid-2021: ``population/pop2021.csv``, districts by sex and single year of age.  Shire counties
  (E10) are the sum of their districts (E07) per ``la_codes/ons-lookups/030.csv`` (2020 lookup); a
  county none of whose districts is in the file (Northamptonshire in 2021) is left out, a county
  with only some of them is an error.
* ``population/lad_age_2020.csv``: the mid-2020 MYE2 persons table as CSV, used only by
  :func:`cross_check_2020_csv`.
* ``population/ukpopestimatesmid2020on2021geography.csv``: ONS MYE5 (area and density), on 2021
  geography for every year, so abolished councils are absent from it.

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
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.data.readers import ProblemLog, display_path, read_csv, read_excel_table, require_columns, to_number
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, tidy
from benchmark.errors import DataError, Problem

MEASURE = "population"
UNIT = "persons"

#: Ages as they appear in the tidy table: single years 0-89 then the open top group.
AGES: tuple[str, ...] = tuple(str(a) for a in range(90)) + ("90+",)
TOP_AGE = "90+"

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

ENGLAND_CODE = "E92000001"


@dataclass(frozen=True)
class MyeWorkbook:
    """One ONS MYE2 workbook: the mid-year it estimates and where its persons table is."""

    year: str
    path: str
    sheet: str
    source: str


MYE_WORKBOOKS: tuple[MyeWorkbook, ...] = (
    MyeWorkbook("2015", "population/ons_mye/MYE2_population_by_sex_and_age_for_local_authorities_UK_2015.xls", "Persons UK", "ons_mye_2015"),
    MyeWorkbook("2016", "population/ons_mye/ukmidyearestimates2016.xls", "MYE2 - All", "ons_mye_2016"),
    MyeWorkbook("2017", "population/ons_mye/ukmidyearestimates2017finalversion.xls", "MYE2 - All", "ons_mye_2017"),
    MyeWorkbook("2018", "population/ons_mye/ukmidyearestimates20182019ladcodes.xls", "MYE2-All", "ons_mye_2018"),
    MyeWorkbook("2019", "population/ons_mye/ukmidyearestimates20192020ladcodes.xls", "MYE2 - Persons", "ons_mye_2019"),
    MyeWorkbook("2020", "population/ons_mye/ukpopestimatesmid2020on2021geography.xls", "MYE2 - Persons", "ons_mye_2020"),
)

POP2021_FILE = "population/pop2021.csv"
POP2021_YEAR = "2021"
POP2021_SOURCE = "ons_mye_2021_csv"
COUNTY_LOOKUP_FILE = "la_codes/ons-lookups/030.csv"
LAD_AGE_2020_FILE = "population/lad_age_2020.csv"
MYE5_FILE = "population/ukpopestimatesmid2020on2021geography.csv"
MYE5_SOURCE = "ons_mye5_2020"
MYE5_AREA_YEAR = "2020"
MYE5_DENSITY_YEARS: tuple[str, ...] = tuple(str(y) for y in range(2015, 2021))


# --------------------------------------------------------------------------------------- by age


def load_population_by_age(raw_dir: Path) -> pd.DataFrame:
    """Persons by single year of age for every English upper-tier council, mid-2015 to mid-2021.

    Tidy columns: council, year ("2015".."2021"), measure ("population"), age ("0".."89", "90+"),
    value, unit ("persons"), source.  Every council code each year's file has is kept.
    """
    raw_dir = Path(raw_dir)
    frames = [workbook_population_by_age(raw_dir / book.path, book.sheet, book.year, book.source) for book in MYE_WORKBOOKS]
    frames.append(districts_population_by_age(raw_dir / POP2021_FILE, raw_dir / COUNTY_LOOKUP_FILE))
    return pd.concat(frames, ignore_index=True)


def workbook_population_by_age(path: Path, sheet: str, year: str, source: str) -> pd.DataFrame:
    """Persons by single year of age for the English upper-tier councils in one MYE2 workbook sheet."""
    wide, _ = _read_mye_sheet(Path(path), sheet, keep=lambda codes: codes.str.match(COUNCIL_CODE_PATTERN))
    return _wide_to_tidy(wide, year, source)


def districts_population_by_age(pop_csv: Path, lookup_csv: Path) -> pd.DataFrame:
    """Mid-2021 persons by single year of age: unitaries, metropolitan districts and London boroughs
    as published, shire counties summed from their districts (sexes summed throughout)."""
    pop_csv, lookup_csv = Path(pop_csv), Path(lookup_csv)
    districts = _read_pop2021(pop_csv)
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
    return _wide_to_tidy(wide, POP2021_YEAR, POP2021_SOURCE)


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
    """Area (sq km, as at the 2020 release) and population density (persons per sq km, mid-2015 to
    mid-2020) for English upper-tier councils, as published in ONS MYE5 on 2021 geography.

    Measures: ``area_sq_km`` (unit ``sq_km``, year "2020"; ONS rounds it to whole sq km) and
    ``population_density`` (unit ``persons_per_sq_km``, one row per mid-year; ONS computes it from
    the unrounded area, so it is taken as published rather than recomputed).
    """
    path = Path(raw_dir) / MYE5_FILE
    area_column = "Area (sq km)"
    density_columns = {year: f"{year} people per sq. km" for year in MYE5_DENSITY_YEARS}
    table = read_csv(path, ["Code", area_column, *density_columns.values()])
    table = table[_clean_codes(table["Code"]).str.match(COUNCIL_CODE_PATTERN)]
    codes = _clean_codes(table["Code"])
    _require_unique(codes, path)
    log = ProblemLog()
    area = to_number(table[area_column], path, area_column, log, minimum=0)
    densities = {year: to_number(table[column], path, column, log, minimum=0) for year, column in density_columns.items()}
    log.raise_if_any()

    frames = [pd.DataFrame({"council": codes, "year": MYE5_AREA_YEAR, "measure": "area_sq_km", "value": area, "unit": "sq_km"})]
    for year, values in densities.items():
        frames.append(pd.DataFrame({"council": codes, "year": year, "measure": "population_density", "value": values, "unit": "persons_per_sq_km"}))
    out = pd.concat(frames, ignore_index=True)
    out["source"] = MYE5_SOURCE
    return tidy(out.sort_values(["measure", "year", "council"], kind="stable"))


# --------------------------------------------------------------------------------------- checks


def cross_check_2020_csv(raw_dir: Path, by_age: pd.DataFrame) -> list[Problem]:
    """Where ``population/lad_age_2020.csv`` disagrees with the mid-2020 workbook figures in ``by_age``.

    Compares every English upper-tier council and single year of age, and the CSV's all-ages total
    with the sum of the single years.  Returns one problem per disagreement (CSV line and column),
    per council in one but not the other, and per unreadable CSV value; empty when they agree.
    """
    path = Path(raw_dir) / LAD_AGE_2020_FILE
    table = read_csv(path, ["Code", "All ages", *AGES])
    table = table[_clean_codes(table["Code"]).str.match(COUNCIL_CODE_PATTERN)]
    codes = _clean_codes(table["Code"])
    log = ProblemLog()
    csv_values = pd.DataFrame({age: to_number(table[age], path, age, log) for age in AGES}, index=table.index)
    csv_total = to_number(table["All ages"], path, "All ages", log)

    year = "2020"
    mine = by_age[by_age["year"] == year]
    workbook = mine.pivot(index="council", columns="age", values="value").reindex(columns=list(AGES))
    for row, code in codes[~codes.isin(workbook.index)].items():
        log.add(path, f"council {code} is not in the mid-{year} workbook figures", row=int(row), column="Code")
    for code in sorted(set(workbook.index) - set(codes)):
        log.add(path, f"council {code} of the mid-{year} workbook is not in this file", column="Code")

    both = codes.isin(workbook.index)
    theirs = csv_values[both]
    ours = workbook.loc[codes[both]].set_axis(theirs.index)
    differs = _differs(theirs, ours)
    unreadable = {(p.row, p.column) for p in log.problems}  # already reported; not a disagreement too
    for row, age in zip(*np.nonzero(differs.to_numpy()), strict=True):
        line, column = int(theirs.index[row]), AGES[age]
        if (line, column) in unreadable:
            continue
        log.add(path, f"{_fmt(theirs.iat[row, age])} here but {_fmt(ours.iat[row, age])} in the mid-{year} workbook "
                      f"for {codes.loc[line]} age {column}", row=line, column=column)
    total_ours = ours.sum(axis=1, min_count=len(AGES))
    total_ours[ours.isna().any(axis=1)] = np.nan
    for line in total_ours.index[_differs(csv_total[both], total_ours)]:
        if (line, "All ages") in unreadable:
            continue
        log.add(path, f"all-ages total {_fmt(csv_total.loc[line])} here but the workbook's single years of "
                      f"{codes.loc[line]} sum to {_fmt(total_ours.loc[line])}", row=int(line), column="All ages")
    return log.problems


def england_totals(raw_dir: Path) -> pd.DataFrame:
    """The publisher's England population (all ages) for each mid-year, to reconcile against the
    sum of councils: the E92000001 "ENGLAND" row of each MYE2 workbook, and for mid-2021 the sum of
    every English district in pop2021.csv.  Columns: year, value, source."""
    raw_dir = Path(raw_dir)
    rows = []
    for book in MYE_WORKBOOKS:
        path = raw_dir / book.path
        _, totals = _read_mye_sheet(path, book.sheet, keep=lambda codes: codes == ENGLAND_CODE)
        if ENGLAND_CODE not in totals.index:
            raise DataError(Problem(display_path(path), f"no {ENGLAND_CODE} (ENGLAND) row in sheet '{book.sheet}'"))
        rows.append((book.year, float(totals.loc[ENGLAND_CODE]), book.source))
    districts = _read_pop2021(raw_dir / POP2021_FILE)
    english = districts[districts.index.str.startswith("E")]
    rows.append((POP2021_YEAR, float(english.to_numpy().sum()), POP2021_SOURCE))
    out = pd.DataFrame(rows, columns=["year", "value", "source"])
    return out.astype({"year": "string", "value": "float64", "source": "string"})


# --------------------------------------------------------------------------------------- helpers


def _read_mye_sheet(path: Path, sheet: str, keep) -> tuple[pd.DataFrame, pd.Series]:
    """The persons table of one MYE2 sheet for the rows whose code ``keep`` selects.

    Returns (council x age wide table with columns :data:`AGES`, published all-ages totals), both
    indexed by code.  Non-numeric cells and all-ages totals that differ from the sum of the single
    years raise DataError with the spreadsheet row and column.
    """
    table = read_excel_table(path, sheet, ["Code"])
    code_column = table.columns[0]
    all_ages = next((c for c in table.columns if c.strip().lower() == "all ages"), None)
    if all_ages is None:
        require_columns(table, ["All ages"], path)
    age_columns = _age_columns(table.columns, path, sheet)
    codes = _clean_codes(table[code_column])
    selected = keep(codes).fillna(False).astype(bool)
    table, codes = table[selected], codes[selected]
    _require_unique(codes, path)

    log = ProblemLog()
    values = pd.DataFrame({age: _cell_numbers(table[column], path, column, log) for age, column in age_columns.items()}, index=table.index)
    totals = _cell_numbers(table[all_ages], path, all_ages, log)
    log.raise_if_any()
    summed = values.sum(axis=1, min_count=len(AGES))
    summed[values.isna().any(axis=1)] = np.nan
    for row in summed.index[_differs(totals, summed) & summed.notna() & totals.notna()]:
        log.add(path, f"all-ages total {_fmt(totals.loc[row])} differs from the sum of the single years "
                      f"{_fmt(summed.loc[row])}", row=int(row), column=all_ages)
    log.raise_if_any()
    return values.set_axis(codes.to_numpy()), totals.set_axis(codes.to_numpy())


def _cell_numbers(cells: pd.Series, path: Path, column: str, log: ProblemLog) -> pd.Series:
    """Workbook cells to float, as :func:`to_number` with minimum 0 but without its text parsing
    when every cell is already a non-negative number (the usual case, and many times faster)."""
    if pd.api.types.infer_dtype(cells, skipna=True) in {"integer", "floating", "mixed-integer-float", "empty"}:
        numbers = cells.astype("float64")
        if not (numbers < 0).any():
            return numbers
    return to_number(cells, path, column, log, minimum=0)


def _age_columns(columns: pd.Index, path: Path, sheet: str) -> dict[str, str]:
    """Map :data:`AGES` to the sheet's headers: 0..89 then the top group headed "90+" or "90"."""
    numeric = [c for c in columns if c.rstrip("+").isdigit()]
    expected_plus = [*AGES]
    expected_bare = [*AGES[:-1], "90"]
    if numeric == expected_plus or numeric == expected_bare:
        return dict(zip(AGES, numeric, strict=True))
    raise DataError(Problem(display_path(path), f"sheet '{sheet}' should have age columns 0 to 89 then 90+ (or 90); "
                                                f"found {', '.join(numeric[:3])} ... {', '.join(numeric[-3:])} ({len(numeric)} columns)"))


def _read_pop2021(path: Path) -> pd.DataFrame:
    """pop2021.csv as a district x age wide table (columns :data:`AGES`), sexes summed."""
    table = read_csv(path, ["ladcode21", "sex", "age", "population_2021"])
    log = ProblemLog()
    codes = _clean_codes(table["ladcode21"])
    sex = table["sex"].str.strip()
    for row, original in table["sex"][~sex.isin(["1", "2"])].items():
        log.add(path, f"expected sex 1 (male) or 2 (female), found '{original}'", row=int(row), column="sex")
    age_text = table["age"].str.strip()
    age_ok = age_text.str.fullmatch(r"\d{1,2}").fillna(False) & (pd.to_numeric(age_text, errors="coerce") <= 90)
    for row, original in table["age"][~age_ok].items():
        log.add(path, f"expected a single year of age 0 to 90 (90 = 90 and over), found '{original}'", row=int(row), column="age")
    value = to_number(table["population_2021"], path, "population_2021", log, minimum=0)
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


def _wide_to_tidy(wide: pd.DataFrame, year: str, source: str) -> pd.DataFrame:
    """Council x age wide table -> tidy rows, council-major then ages in :data:`AGES` order."""
    wide = wide.reindex(columns=list(AGES))
    councils, n_ages = wide.index.to_numpy(), len(AGES)
    frame = pd.DataFrame(
        {
            "council": np.repeat(councils, n_ages),
            "year": year,
            "measure": MEASURE,
            "age": np.tile(np.array(AGES, dtype=object), len(councils)),
            "value": wide.to_numpy(dtype="float64").ravel(),
            "unit": UNIT,
            "source": source,
        }
    )
    return tidy(frame, ["age"])


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
