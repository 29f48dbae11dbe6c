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

from benchmark.data import ascfr, ascfr_datafile
from benchmark.data.councils import CouncilRegistry
from benchmark.data.sources import SOURCES, SOURCES_BY_ID
from benchmark.data.tidy import COUNCIL_CODE_PATTERN, TIDY_LEADING, financial_year
from benchmark.errors import Problem

#: The keyed CSV pack as shipped (its Totals, Activity and Additional tables, by their paths in
#: benchmark/data/sources.py) lacks the Isles of Scilly, in its region and England rows too.
_SHIPPED_PACK = ("ascfr/CSV ASCFR Totals.csv", "ascfr/CSV ASCFR Activity.csv", "ascfr/CSV ASCFR Additional.csv")

#: Councils a source is known not to cover, with the reason; anything else missing is an error.
#: Keyed by (family, year); a shipped file's year is the one the source table gives it.
KNOWN_ABSENCES = {
    ("ascfr", source.years): {"E06000053": f"Isles of Scilly is not in the shipped {source.years} CSV pack (nor in its England totals)"}
    for source in SOURCES if source.path in _SHIPPED_PACK
}

#: Tables read by format from publications (MHCLG returns, the ASC-FR data file): checked on
#: their council rows; their England and region rows are checked against the councils instead.
FORMAT_TABLES = {"ro3": ["line"], "rsx": ["line"], "rs": ["line"], "ra": ["line"]}
ASCFR_DATAFILE_KEYS = ascfr_datafile.TIDY_BREAKDOWNS

#: Council rows of RO3 add up to the council's total within this many pounds (RO3 is published in
#: whole £ thousand, and each line is rounded on its own).
RO3_LINES_TOLERANCE_GBP = 1_000.0 * 8

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
    "census": ([], pa.Check.ge(0)),
    "ascof": (["disaggregation"], None),
}


def _source_path(source: str) -> str:
    """The file a source id names, as a user would find it (the id itself if it names none)."""
    entry = SOURCES_BY_ID.get(str(source))
    return f"data/raw/{entry.path}" if entry else str(source)


def _source_file(frame: pd.DataFrame, index) -> str:
    return _source_path(frame.at[index, "source"] if "source" in frame.columns else None)


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
        file = _source_path(source)
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
    files = sorted({_source_path(s) for s in frame.loc[frame["year"] == year, "source"].unique()})
    file = files[0] if len(files) == 1 else f"{family} {year}"
    problems = [Problem(file, f"council {code} ({registry.council(code).name}) expected for {year} but missing") for code in sorted(expected - present)]
    problems += [Problem(file, f"council {code} present for {year} but not expected there") for code in sorted(present - expected - set(absent_ok))]
    return problems


def ascfr_reconciliation_problems(frames: dict[str, pd.DataFrame], tolerance_gbp: float = 1000.0) -> list[Problem]:
    """Each keyed pack's Totals table: the councils add up to its England rows, for every key."""
    keys = ascfr.EXPENDITURE_KEYS + ["measure"]
    expenditure, aggregates = frames["ascfr_expenditure"], frames["ascfr_expenditure_aggregates"]
    problems = []
    for (source, year), rows in aggregates.groupby(["source", "year"], observed=True):
        councils = expenditure[(expenditure["source"] == source) & (expenditure["year"] == year)]
        councils = councils.groupby(keys, dropna=False)["value"].sum(min_count=1)
        england = rows[rows["council"] == "E92000001"].groupby(keys, dropna=False)["value"].sum(min_count=1)
        both = pd.concat({"councils": councils, "england": england}, axis=1)
        gap = (both["councils"].fillna(0) - both["england"].fillna(0)).abs()
        file = _file_of(rows)
        problems += [
            Problem(file, f"councils sum to £{row.councils:,.0f} but the England row says £{row.england:,.0f} for "
                          + ", ".join(f"{k}={v}" for k, v in zip(keys, index, strict=True) if pd.notna(v)))
            for index, row in both[gap > tolerance_gbp].iterrows()
        ]
    return problems


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


def population_boundary_problems(population: pd.DataFrame, registry: CouncilRegistry) -> list[Problem]:
    """Each mid-year file holds the councils of the financial year it starts, or, where ONS
    published it on the next April's boundaries (as mid-2018 to mid-2020 and mid-2022 were), of the
    year after: whichever matches; the differences from the closer one are the problems."""
    problems = []
    for year in sorted(population["year"].unique()):
        present = set(population.loc[population["year"] == year, "council"])
        candidates = (financial_year(int(year)), financial_year(int(year) + 1))
        closer = min(candidates, key=lambda fy: len(set(registry.existing_in(fy).index) ^ present))
        problems += coverage_problems("population", population, year, closer, registry)
    return problems


def _file_of(frame: pd.DataFrame, year: str | None = None) -> str:
    rows = frame if year is None else frame[frame["year"] == year]
    sources = sorted(rows["source"].astype(str).unique())
    return ", ".join(_source_path(s) for s in sources)


def council_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["council"].astype(str).str.match(COUNCIL_CODE_PATTERN.pattern)]


def ro3_problems(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """RO3's lines add up to its adult social care total, per council, year and measure; RO3's
    total equals RSX's, council by council, wherever both give a value."""
    problems = []
    ro3 = council_rows(frames["ro3"])
    keys = ["council", "year", "measure"]
    from benchmark.data.mhclg import RO3_LINES_ADDING_TO_TOTAL

    lines = ro3[ro3["line"].isin(RO3_LINES_ADDING_TO_TOTAL)].groupby(keys)["value"].sum(min_count=1)
    total = ro3[ro3["line"] == "total"].set_index(keys)["value"]
    both = pd.concat({"lines": lines, "total": total}, axis=1).dropna()
    for (council, year, measure), row in both[(both["lines"] - both["total"]).abs() > RO3_LINES_TOLERANCE_GBP].iterrows():
        problems.append(Problem(_file_of(frames["ro3"], year), f"{council} {year} {measure}: the lines add up to £{row['lines']:,.0f} "
                                                              f"but the adult social care total is £{row['total']:,.0f}"))
    rsx = council_rows(frames["rsx"])
    net = ro3[(ro3["line"] == "total") & (ro3["measure"] == "net_current_expenditure")].set_index(["council", "year"])["value"]
    summary = rsx[rsx["measure"] == "net_current_expenditure"].set_index(["council", "year"])["value"]
    paired = pd.concat({"ro3": net, "rsx": summary}, axis=1, join="inner").dropna()
    for (council, year), row in paired[(paired["ro3"] - paired["rsx"]).abs() > 0.5].iterrows():
        problems.append(Problem(_file_of(frames["rsx"], year), f"{council} {year}: adult social care net current expenditure £{row['rsx']:,.0f} "
                                                              f"here but £{row['ro3']:,.0f} in RO3"))
    return problems


def reconciliation_notes(frames: dict[str, pd.DataFrame], registry: CouncilRegistry) -> list[str]:
    """Differences to report, not to fail on: council rows against the publisher's England row
    (MHCLG's England figures include its estimates for councils that did not return), and councils
    a source does not cover in a year they existed."""
    notes = []
    if "ro3" in frames and "rsx" in frames:
        ro3, rsx = council_rows(frames["ro3"]), council_rows(frames["rsx"])
        net = ro3[(ro3["line"] == "total") & (ro3["measure"] == "net_current_expenditure")].dropna(subset=["value"])
        paired = net.merge(rsx.dropna(subset=["value"]), on=["council", "year"], suffixes=("", "_rsx"))
        checked = net.groupby("year").size()
        notes.append("RO3 lines add up to the adult social care total for " + ", ".join(f"{n} councils in {y}" for y, n in checked.items())
                     + f"; RO3's total equals RSX's in {len(paired)} council-years (every pair with both values)")
    if "ascfr_datafile_areas" in frames and len(frames["ascfr_datafile_areas"]):
        from benchmark.data.ascfr_datafile import ImpliedValue, check_ascfr_datafile_sums

        implied = [p for p in check_ascfr_datafile_sums(frames["ascfr_datafile_areas"]) if isinstance(p, ImpliedValue)]
        years = sorted(frames["ascfr_datafile_areas"]["year"].unique())
        notes.append(f"ASC-FR data file {', '.join(years)}: councils add up to their regions, regions to England, settings to their total"
                     + (f"; {len(implied)} suppressed value(s) implied by the totals (missing, not zero)" if implied else ""))
    for name in FORMAT_TABLES:
        frame = frames.get(name)
        if frame is None or frame.empty:
            continue
        total = frame[(frame.get("line", "total") == "total") & frame["measure"].isin(["net_current_expenditure", "budget_net_current_expenditure"])]
        for year, rows in total.groupby("year"):
            councils = council_rows(rows)
            england = rows.loc[rows["council"] == "E92000001", "value"]
            missing = councils["value"].isna().sum()
            absent = sorted(set(registry.existing_in(year).index) - set(councils["council"]))
            if len(england) and england.notna().all():
                gap = float(england.iloc[0]) - float(councils["value"].sum())
                why = (f"the England row includes MHCLG's estimates for the {missing} council(s) without a figure" if missing
                       else "the England row is MHCLG's own figure, not the sum of these rows")
                notes.append(f"{name.upper()} {year}: councils sum to £{councils['value'].sum() / 1e3:,.0f}k, England row "
                             f"£{england.iloc[0] / 1e3:,.0f}k (difference £{gap / 1e3:,.0f}k: {why})")
            elif missing:
                notes.append(f"{name.upper()} {year}: {missing} council(s) without a figure (missing, not zero); no England row to compare")
            if absent:
                notes.append(f"{name.upper()} {year}: no row for {', '.join(f'{registry.council(c).name} ({c})' for c in absent)}")
    return notes


def check_tables(frames: dict[str, pd.DataFrame], registry: CouncilRegistry, raw: Path) -> list[Problem]:
    """All cross-table checks; an empty list means the data is clean."""
    problems: list[Problem] = []
    for name, (breakdowns, value_check) in TIDY_TABLES.items():
        frame = frames[name]
        problems += schema_problems(name, frame, breakdowns, value_check)
        problems += council_problems(name, frame, registry)
    for name, breakdowns in {**FORMAT_TABLES, "ascfr_datafile": ASCFR_DATAFILE_KEYS}.items():
        if name in frames and len(frames[name]):
            councils = council_rows(frames[name])
            problems += schema_problems(name, councils, breakdowns, None)
            problems += council_problems(name, councils, registry)
    if "ascfr_datafile_areas" in frames and len(frames["ascfr_datafile_areas"]):
        from benchmark.data.ascfr_datafile import check_ascfr_datafile_sums, sum_failures

        problems += sum_failures(check_ascfr_datafile_sums(frames["ascfr_datafile_areas"]))
    if "ro3" in frames and len(frames["ro3"]) and "rsx" in frames:
        problems += ro3_problems(frames)
    for name, family in [("ascfr_expenditure", "ascfr"), ("ascfr_activity", "ascfr"), ("ascfr_additional", "ascfr")]:
        for year in frames[name]["year"].unique():
            problems += coverage_problems(family, frames[name], year, year, registry)
    problems += population_boundary_problems(frames["population_by_age"], registry)
    nn = frames["nearest_neighbours"]
    unknown = sorted(set(nn["council"]).union(nn["neighbour"]) - set(registry.table.index))
    problems += [Problem(f"data/raw/{SOURCES_BY_ID['nn_sets_government_project'].path}", f"council code {c} is not in the council registry") for c in unknown]
    problems += ascfr_reconciliation_problems(frames)
    problems += population_problems(frames)
    return problems
