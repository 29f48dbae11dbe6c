"""Checks across the tidy tables: schemas, unique keys, councils expected, ranges, reconciliations.

Each loader has already checked its own file row by row (types, suppression markers, unknown keys).
These checks need the tables together or the registry: does every code name a council that
existed that year, is each council present exactly where expected, do the councils add up to the
publisher's own England totals.  Every failure becomes one :class:`Problem` naming the source file
and the key (council, year, measure) that failed; all are collected before anything is reported.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from benchmark.data import ascfr
from benchmark.data.councils import CouncilRegistry
from benchmark.data.sources import SOURCES_BY_ID
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, TIDY_LEADING
from benchmark.errors import Problem

#: Councils a source is known not to cover, with the reason; anything else missing is an error.
KNOWN_ABSENCES = {
    ("ascfr", "2016-17"): {"E06000053": "Isles of Scilly is not in the shipped 2016-17 CSV pack (nor in its England totals)"},
}

#: Population files are on the boundaries of the April after the mid-year they estimate for
#: 2018 to 2020; the set of councils each holds is that of the financial year below.
POPULATION_BOUNDARIES = {"2015": "2015-16", "2016": "2016-17", "2017": "2017-18", "2018": "2019-20",
                         "2019": "2020-21", "2020": "2021-22", "2021": "2021-22"}

#: Tables keyed by council and year, with their breakdown columns and value checks.
TIDY_TABLES = {
    "ascfr_expenditure": (ascfr.EXPENDITURE_KEYS, None),
    "ascfr_activity": (ascfr.ACTIVITY_KEYS, pa.Check.ge(0)),
    "ascfr_additional": (ascfr.ADDITIONAL_KEYS, None),
    "population_by_age": (["age"], pa.Check.ge(0)),
    "population_bands": (["age_band"], pa.Check.ge(0)),
    "area_and_density": ([], pa.Check.gt(0)),
    "deprivation": (["domain"], None),
    "earnings": ([], pa.Check.ge(0)),
    "ascof": (["disaggregation"], None),
}


def _source_file(frame: pd.DataFrame, index) -> str:
    source = frame.at[index, "source"] if "source" in frame.columns else None
    entry = SOURCES_BY_ID.get(str(source))
    return f"data/raw/{entry.path}" if entry else str(source)


def _key_text(frame: pd.DataFrame, index, keys: list[str]) -> str:
    row = frame.loc[index]
    return ", ".join(f"{k} {row[k]}" for k in keys if k in frame.columns and pd.notna(row[k]))


def schema_problems(name: str, frame: pd.DataFrame, breakdowns: list[str], value_check: pa.Check | None) -> list[Problem]:
    """Column types, code formats, non-empty units and sources, unique keys, value ranges."""
    key = TIDY_LEADING + breakdowns
    schema = pa.DataFrameSchema(
        {
            "council": pa.Column(str, pa.Check.str_matches(COUNCIL_CODE_PATTERN.pattern)),
            "year": pa.Column(str, pa.Check.str_matches(r"^\d{4}(-\d{2})?$")),
            "measure": pa.Column(str),
            **{b: pa.Column(str, nullable=True) for b in breakdowns},
            "value": pa.Column(float, [value_check] if value_check else [], nullable=True),
            "unit": pa.Column(str),
            "source": pa.Column(str, pa.Check.isin(list(SOURCES_BY_ID))),
        },
        unique=key,
        report_duplicates="exclude_first",
        coerce=False,
    )
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        problems: list[Problem] = []
        # pandera reports a duplicate once per key column: one problem per row and check is enough
        cases = errors.failure_cases.drop_duplicates(subset=["index", "check"])
        for case in cases.itertuples():
            index = case.index
            if index is None or pd.isna(index):
                problems.append(Problem(f"table {name}", f"{case.check} failed for column {case.column}"))
                continue
            where = _key_text(frame, index, key)
            what = "duplicate key" if "unique" in str(case.check) or "duplicates" in str(case.check) else f"failed {case.check} (found {case.failure_case})"
            problems.append(Problem(_source_file(frame, index), f"{where}: {what}", column=case.column if case.column in frame.columns else None))
        return problems
    return []


def council_problems(name: str, frame: pd.DataFrame, registry: CouncilRegistry) -> list[Problem]:
    """Every council code resolves in the registry and, for financial years, existed that year."""
    problems = []
    for (code, year, source), _ in frame.groupby(["council", "year", "source"], observed=True):
        file = f"data/raw/{SOURCES_BY_ID[source].path}" if source in SOURCES_BY_ID else source
        if code not in registry:
            problems.append(Problem(file, f"council code {code} ({year}) is not in the council registry", column="council"))
        elif "-" in year and not registry.council(code).exists_in(year):
            problems.append(Problem(file, f"council {code} ({registry.council(code).name}) did not exist in {year}", column="council"))
    return problems


def coverage_problems(family: str, frame: pd.DataFrame, year: str, expected_year: str, registry: CouncilRegistry) -> list[Problem]:
    """The councils present for ``year`` are exactly those existing in ``expected_year``, less known absences."""
    absent_ok = KNOWN_ABSENCES.get((family, year), {})
    present = set(frame.loc[frame["year"] == year, "council"])
    expected = set(registry.existing_in(expected_year).index) - set(absent_ok)
    files = sorted({f"data/raw/{SOURCES_BY_ID[s].path}" for s in frame.loc[frame["year"] == year, "source"].unique()})
    file = files[0] if len(files) == 1 else f"{family} {year}"
    problems = [Problem(file, f"council {code} ({registry.council(code).name}) expected for {year} but missing") for code in sorted(expected - present)]
    problems += [Problem(file, f"council {code} present for {year} but not expected there") for code in sorted(present - expected - set(absent_ok))]
    return problems


def ascfr_reconciliation_problems(frames: dict[str, pd.DataFrame], tolerance_gbp: float = 1000.0) -> list[Problem]:
    """2016-17: the councils add up to the England rows of the same table, for every key."""
    keys = ascfr.EXPENDITURE_KEYS + ["measure"]
    councils = frames["ascfr_expenditure"]
    councils = councils[councils["year"] == "2016-17"].groupby(keys, dropna=False)["value"].sum(min_count=1)
    aggregates = frames["ascfr_expenditure_aggregates"]
    england = aggregates[aggregates["council"] == "E92000001"].groupby(keys, dropna=False)["value"].sum(min_count=1)
    both = pd.concat({"councils": councils, "england": england}, axis=1)
    gap = (both["councils"].fillna(0) - both["england"].fillna(0)).abs()
    file = f"data/raw/{ascfr.FILES['totals_2016_17']}"
    return [
        Problem(file, f"councils sum to £{row.councils:,.0f} but the England row says £{row.england:,.0f} for "
                      + ", ".join(f"{k}={v}" for k, v in zip(keys, index, strict=True) if pd.notna(v)))
        for index, row in both[gap > tolerance_gbp].iterrows()
    ]


def population_problems(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """Councils add up to ONS's England total each year; age bands add up to all ages."""
    problems = []
    bands = frames["population_bands"]
    totals = bands[bands["age_band"] == "all_ages"].groupby("year")["value"].sum()
    england = frames["population_england"].set_index("year")["value"]
    for year, published in england.items():
        if abs(totals.get(year, 0) - published) > 0.5:
            problems.append(Problem(f"population {year}", f"councils sum to {totals.get(year, 0):,.0f} but ONS's England total is {published:,.0f}"))
    wide = bands.pivot_table(index=["council", "year"], columns="age_band", values="value", aggfunc="sum")
    parts = wide[["0-17", "18-64", "65+"]].sum(axis=1)
    for (council, year), gap in (parts - wide["all_ages"]).abs().items():
        if gap > 0.5:
            problems.append(Problem(f"population {year}", f"council {council}: age bands do not add up to all ages (gap {gap:,.0f})"))
    return problems


def check_tables(frames: dict[str, pd.DataFrame], registry: CouncilRegistry, raw: Path) -> list[Problem]:
    """All cross-table checks; an empty list means the data is clean."""
    problems: list[Problem] = []
    for name, (breakdowns, value_check) in TIDY_TABLES.items():
        frame = frames[name]
        problems += schema_problems(name, frame, breakdowns, value_check)
        problems += council_problems(name, frame, registry)
    for name, family in [("ascfr_expenditure", "ascfr"), ("ascfr_activity", "ascfr"), ("ascfr_additional", "ascfr")]:
        for year in frames[name]["year"].unique():
            problems += coverage_problems(family, frames[name], year, year, registry)
    population = frames["population_by_age"]
    for year in population["year"].unique():
        problems += coverage_problems("population", population, year, POPULATION_BOUNDARIES[year], registry)
    nn = frames["nearest_neighbours"]
    unknown = sorted(set(nn["council"]).union(nn["neighbour"]) - set(registry.table.index))
    problems += [Problem(f"data/raw/{SOURCES_BY_ID['nn_sets_government_project'].path}", f"council code {c} is not in the council registry") for c in unknown]
    problems += ascfr_reconciliation_problems(frames)
    problems += population_problems(frames)
    return problems
