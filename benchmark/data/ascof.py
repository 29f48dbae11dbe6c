"""Adult Social Care Outcomes Framework (ASCOF) trend data, NHS England / NHS Digital.

Source: ``ascof/trend_data.csv``, one row per area, year and measure with the columns Year,
Geographical Description, ONS Code, Measure Group, Measure Group Description, Measure_Value,
Geographical Level, Disaggregation Level, Measure Type.  It holds council, council-type, region and
England rows for 2017-18 to 2023-24.

:func:`load_ascof` returns the council rows as a tidy table with the columns council, year
(financial year ``"2017-18"``), measure (the ASCOF code as published, e.g. ``"2A2"``), description
(the published wording), disaggregation, value, unit, source (``ascof_trend``).
:func:`load_ascof_england` returns the England and region rows for reconciliation.

Things to know before comparing years:

* **Measure codes and wording change between years.**  ASCOF was renumbered for 2023-24: the
  admissions to care homes per 100,000 (2A1 younger adults, 2A2 older adults, until 2022-23) became
  2B and 2C; the sequel to short-term services (2D) became 2A; reablement (2B1, 2B2) became 2D1,
  2D2; learning disability living at home (1G) became 2E; self-directed support and direct payments
  (1C1A ... 1C2B) became 3D1A ... 3D2B; control over daily life (1B) became 3A; satisfaction (3A,
  3B) became 1D, 1E; adjusted quality of life (1J) became 1B; social contact (1I1, 1I2) became 5A1,
  5A2; and so on.  Same code does not mean same measure across that break: always check
  ``description``.  Wording also changes within a code ("The proportion of ..." until 2018-19).
* The 2019-20 descriptions of 1C1B and 1C2B repeat those of 1C1A and 1C2A ("people using social
  care") although the values are the carers' measures (near 100%); the codes are right.
* 2A1 and 2A2 have no description in 2017-18 (blank in the file); their unit is taken from the
  same code in the nearest year that has one.
* The delayed transfers of care measures 2C1, 2C2, 2C3 exist for 2017-18 to 2019-20 only.
* Survey-based measures (1A, 1B, 1I1, 1J, 3A, 3D1, 4A, 4B until 2022-23) cover only 18 councils in
  2020-21 (the user survey was voluntary that year); carer-survey measures exist only in survey
  years (2018-19, 2021-22, 2023-24).
* Councils follow the geography of each year: Bournemouth, Poole and Dorset County until 2018-19,
  Buckinghamshire County until 2019-20, Northamptonshire until 2020-21, Cumbria, North Yorkshire and
  Somerset county codes until 2022-23.
* The 2023-24 rows have blank Disaggregation Level and Measure Type; every council row in the file
  is a total (one row per council, year and measure), so a blank disaggregation is read as
  ``"Total"``.

Units, worked out from the published description of each measure: wording with "per 100,000" is
``rate_per_100k``; a quality-of-life score (social care-related, carer-reported or adjusted) is
``score``; everything else is a percentage, ``pct`` (checked to lie between 0 and 100).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.data.readers import ProblemLog, read_csv, to_number
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, FINANCIAL_YEAR_PATTERN, tidy

TREND_FILE = "ascof/trend_data.csv"
DIRECTION_FILE = "ascof/measure_direction.csv"
SOURCE_ID = "ascof_trend"

YEAR = "Year"
AREA_NAME = "Geographical Description"
CODE = "ONS Code"
MEASURE = "Measure Group"
DESCRIPTION = "Measure Group Description"
VALUE = "Measure_Value"
LEVEL = "Geographical Level"
DISAGGREGATION = "Disaggregation Level"
REQUIRED_COLUMNS = (YEAR, AREA_NAME, CODE, MEASURE, DESCRIPTION, VALUE, LEVEL, DISAGGREGATION)

KEY = ["council", "year", "measure", "disaggregation"]
TIDY_BREAKDOWNS = ["description", "disaggregation"]

RATE_PATTERN = r"per 100,?000"
SCORE_PATTERN = r"quality of life"


def _unit_from_description(description: pd.Series) -> pd.Series:
    """``rate_per_100k`` / ``score`` / ``pct`` from the wording; NA where there is no wording."""
    text = description.str.lower()
    unit = np.select(
        [text.str.contains(RATE_PATTERN, regex=True).fillna(False), text.str.contains(SCORE_PATTERN).fillna(False)],
        ["rate_per_100k", "score"],
        default="pct",
    )
    return pd.Series(unit, index=description.index, dtype="string").where(description.notna())


def _fill_units(frame: pd.DataFrame, path: Path, log: ProblemLog) -> pd.Series:
    """Units for rows without a description: from the same code in the nearest described year."""
    unit = frame["unit"].copy()
    blank = unit.isna()
    if not blank.any():
        return unit
    described = frame.loc[~blank, ["measure", "year_start", "unit"]].drop_duplicates()
    for (measure, start), rows in frame.loc[blank].groupby(["measure", "year_start"]):
        candidates = described[described["measure"] == measure]
        if candidates.empty:
            first = int(rows.index[0])
            log.add(path, f"measure '{measure}' has no description in any year, so its unit cannot be told", row=first, column=DESCRIPTION)
            continue
        distance = (candidates["year_start"] - start).abs()
        nearest = candidates[distance == distance.min()]
        if nearest["unit"].nunique() > 1:
            log.add(
                path,
                f"measure '{measure}' has no description here and the nearest years disagree on its unit",
                row=int(rows.index[0]),
                column=DESCRIPTION,
            )
            continue
        unit.loc[rows.index] = nearest["unit"].iloc[0]
    return unit


def _read_trend(path: Path, log: ProblemLog) -> pd.DataFrame:
    """All rows of the trend file, parsed and checked, index = line number in the file."""
    raw = read_csv(path, REQUIRED_COLUMNS)
    frame = pd.DataFrame(index=raw.index)
    frame["level"] = raw[LEVEL].astype("string").str.strip()
    frame["area"] = raw[CODE].astype("string").str.strip()
    frame["area_name"] = raw[AREA_NAME].astype("string").str.strip()
    frame["measure"] = raw[MEASURE].astype("string").str.strip()
    frame["description"] = raw[DESCRIPTION].astype("string").str.strip().replace("", pd.NA)
    frame["disaggregation"] = raw[DISAGGREGATION].astype("string").str.strip().fillna("Total").replace("", "Total")

    year = raw[YEAR].astype("string").str.strip()
    parts = year.str.extract(FINANCIAL_YEAR_PATTERN).apply(pd.to_numeric, errors="coerce")
    valid = ((parts[0] + 1) % 100 == parts[1]).fillna(False).astype(bool)
    for row, text in year[~valid].items():
        log.add(path, f"expected a financial year such as 2017-18, found '{text}'", row=int(row), column=YEAR)
    frame["year"] = year
    frame["year_start"] = parts[0]

    for row in frame.index[frame["measure"].isna()]:
        log.add(path, "expected an ASCOF measure code such as 2A2, found an empty cell", row=int(row), column=MEASURE)

    frame["value"] = to_number(raw[VALUE], path, VALUE, log, minimum=0)
    frame["unit"] = _unit_from_description(frame["description"])
    frame["unit"] = _fill_units(frame, path, log)
    over = (frame["unit"] == "pct") & (frame["value"] > 100)
    for row, value in frame.loc[over, "value"].items():
        log.add(path, f"expected a percentage (0 to 100) for measure '{frame.at[row, 'measure']}', found {value:g}", row=int(row), column=VALUE)
    frame["source"] = SOURCE_ID
    return frame


def _check_duplicates(frame: pd.DataFrame, key: list[str], path: Path, log: ProblemLog) -> None:
    repeated = frame.duplicated(key, keep="first")
    if not repeated.any():
        return
    first_rows = frame.loc[~frame.duplicated(key, keep="first")].reset_index().set_index(key)["row"]
    for row, values in frame.loc[repeated, key].iterrows():
        first = int(first_rows.loc[tuple(values)])
        what = ", ".join(f"{k} {v}" for k, v in zip(key, values, strict=True))
        log.add(path, f"duplicate of row {first} ({what})", row=int(row), column=MEASURE)


def load_ascof(raw_dir: Path | str, path: Path | str | None = None) -> pd.DataFrame:
    """Tidy ASCOF council rows (English upper-tier codes only), all years and measures.

    Columns: council, year, measure, description, disaggregation, value, unit, source.
    ``path`` defaults to ``ascof/trend_data.csv`` under ``raw_dir``.  Council rows whose code is not
    an English upper-tier council code, non-numeric or negative values, malformed years,
    percentages over 100 and duplicated (council, year, measure, disaggregation) keys raise
    :class:`~benchmark.errors.DataError`, one line per problem.
    """
    path = Path(raw_dir) / TREND_FILE if path is None else Path(path)
    log = ProblemLog()
    frame = _read_trend(path, log)
    councils = frame[frame["level"].str.lower() == "council"].copy()
    bad_code = ~councils["area"].str.match(COUNCIL_CODE_PATTERN.pattern).fillna(False).astype(bool)
    for row, code in councils.loc[bad_code, "area"].items():
        log.add(path, f"expected an English upper-tier council code (E06/E08/E09/E10) on a Council row, found '{code if pd.notna(code) else ''}'",
                row=int(row), column=CODE)
    councils = councils.loc[~bad_code].rename(columns={"area": "council"})
    _check_duplicates(councils, KEY, path, log)
    log.raise_if_any()
    return tidy(councils, breakdowns=TIDY_BREAKDOWNS)


def load_ascof_england(raw_dir: Path | str, path: Path | str | None = None) -> pd.DataFrame:
    """England and region rows of the ASCOF trend file, for reconciling council figures.

    Columns: area (E92000001 England or an E12 region code), area_name, level (``"England"`` or
    ``"Region"``), year, measure, description, disaggregation, value, unit, source.  Council-type
    rows (Shire Counties, London ...) are not returned.
    """
    path = Path(raw_dir) / TREND_FILE if path is None else Path(path)
    log = ProblemLog()
    frame = _read_trend(path, log)
    level = frame["level"].str.lower()
    areas = frame[level.isin(["england", "region"])].copy()
    areas["level"] = areas["level"].str.capitalize()
    _check_duplicates(areas, ["area", "year", "measure", "disaggregation"], path, log)
    log.raise_if_any()
    columns = ["area", "area_name", "level", "year", "measure", "description", "disaggregation", "value", "unit", "source"]
    out = areas.loc[:, columns].reset_index(drop=True)
    for column in columns:
        if column != "value":
            out[column] = out[column].astype("string")
    return out


def load_measure_direction(raw_dir: Path | str, path: Path | str | None = None) -> pd.Series:
    """Which way is better for each measure: Series description -> ``"higher"`` or ``"lower"``.

    From ``ascof/measure_direction.csv`` (columns Measure Group Description, Direction with values
    "Higher is better" / "Lower is better").  Descriptions follow the 2023-24 wording, so match on
    ``description`` and expect older wordings not to be found.

    Loaded as published.  Caution: the file says "Lower is better" for "Outcome of short-term
    services: sequel to service", but that measure is the proportion of people whose short-term
    service ended with no ongoing support or support of a lower level, for which higher is better.
    """
    path = Path(raw_dir) / DIRECTION_FILE if path is None else Path(path)
    raw = read_csv(path, [DESCRIPTION, "Direction"])
    log = ProblemLog()
    description = raw[DESCRIPTION].astype("string").str.strip()
    direction = raw["Direction"].astype("string").str.strip().str.lower().str.extract(r"^(higher|lower) is better$")[0]
    for row, text in raw["Direction"][direction.isna()].items():
        log.add(path, f"expected 'Higher is better' or 'Lower is better', found '{text if pd.notna(text) else ''}'", row=int(row), column="Direction")
    for row in description.index[description.isna()]:
        log.add(path, "expected a measure description, found an empty cell", row=int(row), column=DESCRIPTION)
    repeated = description.duplicated() & description.notna()
    for row in description.index[repeated]:
        log.add(path, f"description '{description[row]}' appears twice", row=int(row), column=DESCRIPTION)
    log.raise_if_any()
    return pd.Series(direction.to_numpy(), index=pd.Index(description.to_numpy(), name="description", dtype="string"), name="direction", dtype="string")
