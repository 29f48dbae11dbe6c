"""The needs-based base budget: the council's newest revenue outturn, line by line, rolled forward.

**Base year**: the newest MHCLG revenue outturn (RO3) in the data
(:func:`benchmark.data.years.budget_base_year`).  **Lines**: RO3's adult social care lines of that
year that add up to its total (:data:`benchmark.data.mhclg.RO3_LINES_ADDING_TO_TOTAL`): each client
group (primary support reason) by age band, social support, assistive equipment and technology,
social care activities, and so on.  Each line carries, from RO3 itself, its gross expenditure (C3)
split into employees (C1) and running expenses, and its income (C6) split into sales, fees and
charges (C4) and other income; net = gross - income (C7).  Gross and net are taken as published;
RO3 rounds every column to £ thousand on its own, so in a few lines of some years C1 + C2 is not
C3, or C3 - C6 is not C7: running expenses (C3 - C1) and other income (C3 - C7 - C4) are then the
balancing items, and the budget states by how much they differ from the published C2 and C5.
Better Care Fund money a council receives is part of its other income; it is never deducted again.

**Volume and unit cost.**  RO3 records money, not activity, so each line's volume is the
population of its age band (ONS mid-year estimate of the year the financial year starts in: 18-64,
65+, or 18+ for the lines that serve every adult) and its unit cost is net spend per head.

**Rolled forward** to the budget year, year by year, each line separately: volume by the
population growth of its age band (ONS estimates to the latest in the data; past it, the
``demographic_growth_pct`` parameter, or the council's own average growth over the latest
:data:`TREND_YEARS` estimates of one census basis); employees by ``pay_inflation_pct``; running
expenses by ``fee_inflation_pct``; income with its line's gross (or, where
``income_inflation_pct`` is set, by volume growth and that rate).

**Scenarios** choose each line's volume and unit cost separately (:class:`Scenario`): volume
``own`` | ``needs_model`` (own volume × expected ÷ actual spend per head of the age band, from the
leave-one-out expected-spend model; the lines serving every adult keep their own volume); unit cost
``own`` | ``comparator_median`` (the comparator group's median gross spend per head of the line's
age band) | ``fee_schedule`` (care homes for 65+ at the council's fee schedule: the care-home share
of the physical support and memory and cognition 65+ lines, from ASC-FR's newest long-term care
by setting, is repriced by schedule rate ÷ fee paid, both from the council's placements file);
income ``own`` | ``comparator_median`` (shares of gross); staffing ratio ``None`` | ``own`` |
``comparator_average`` (only the staff cost of care assessment changes, by (comparator ratio - own
ratio) × 65+ population ÷ 1,000 × cost per FTE).

**Gap** between a scenario and the current pattern, per line: volume effect = (V_s - V_c) × P_c
(+ the staffing change), price effect = (P_s - P_c) × V_s; the two add up to the difference.

**Bridge** from the base year's outturn to the budget year's current pattern: demography
(gross × (growth - 1)), pay (employees × growth × (pay uplift - 1)), prices (running expenses ×
growth × (fee uplift - 1)) and income (minus the change in income); they add up to the change.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd

from benchmark.data import years as data_years
from benchmark.data.tidy import financial_year, financial_year_start, mid_year_for
from benchmark.errors import UserError

#: Years of population growth over which the council's own trend is measured, when a budget year
#: lies beyond the latest ONS estimate and no growth rate is set.
TREND_YEARS = 5
#: The furthest budget year: this many years after the newest outturn (the default budget year plus
#: a medium-term plan's span, :func:`benchmark.data.years.budget_years`).
MAX_YEARS_AFTER_OUTTURN = data_years.BUDGET_YEARS_AFTER_OUTTURN + data_years.BUDGET_YEARS_AFTER_DEFAULT

#: The line whose staff cost the staffing scenario changes: care assessment (RO3 from 2022-23), or
#: social care activities in the older layout.
STAFFING_LINES = ("care_assessment_safeguarding", "social_care_activities")
#: The lines whose care-home share the fee-schedule scenario reprices.
CARE_HOME_LINES = ("physical_support_65plus", "memory_and_cognition_65plus")
CARE_HOME_SETTINGS = ("residential", "nursing")
#: Client-group lines (primary support reason by age band): the care the expected-spend model covers.
CLIENT_GROUP_LINE = re.compile(r"^(physical_support|sensory_support|memory_and_cognition|learning_disability|mental_health)_(18_64|65plus)$")

VOLUME_CHOICES = ("own", "needs_model")
UNIT_COST_CHOICES = ("own", "comparator_median", "fee_schedule")
RATIO_CHOICES = ("own", "comparator_average")
INCOME_CHOICES = ("own", "comparator_median")
AGE_MODEL = {"65+": "65plus", "18-64": "18to64"}
AMOUNTS = ["employees_gbp", "running_expenses_gbp", "gross_gbp", "sales_fees_charges_gbp", "other_income_gbp", "income_gbp", "net_gbp"]


def line_age_band(line: str) -> str:
    """The population a line serves: 18-64 or 65+ for an age band's line, else every adult."""
    if line.endswith("_18_64"):
        return "18-64"
    if line.endswith("_65plus"):
        return "65+"
    return "18+"


@dataclass(frozen=True)
class Scenario:
    """How each line's volume, unit cost, income and (optionally) staffing are chosen."""

    name: str
    description: str
    volume: str = "own"
    unit_cost: str = "own"
    # None: care assessment as RO3 records it.  "own"/"comparator_average": its staff cost moves by the
    # change in FTE at that staff ratio (workforce file) × cost per FTE; "own" leaves it unchanged.
    staffing_ratio: str | None = None
    income_share: str = "own"
    label: str = ""  # plain-English name for reports; "" = the name with spaces

    def check(self) -> None:
        for value, allowed, key in ((self.volume, VOLUME_CHOICES, "volume"), (self.unit_cost, UNIT_COST_CHOICES, "unit_cost"),
                                    (self.income_share, INCOME_CHOICES, "income_share")):
            if value not in allowed:
                hint = " (RO3 records no activity, so volume is the age band's population: use own or needs_model)" if key == "volume" else ""
                raise UserError(f"scenario '{self.name}': unknown {key} choice '{value}' (choose from {', '.join(allowed)}){hint}")
        if self.staffing_ratio is not None and self.staffing_ratio not in RATIO_CHOICES:
            raise UserError(f"scenario '{self.name}': unknown staffing_ratio choice '{self.staffing_ratio}' (choose from {', '.join(RATIO_CHOICES)})")

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def needs_fee_schedule(self) -> bool:
        return self.unit_cost == "fee_schedule"

    @property
    def needs_workforce(self) -> bool:
        return self.staffing_ratio is not None


DEFAULT_SCENARIOS = (
    Scenario("current_pattern", "the council's own base-year spend on each line, rolled forward", label="Current pattern"),
    Scenario("comparator_median", "each line at the comparator group's median gross spend and income per head of its age band",
             unit_cost="comparator_median", income_share="comparator_median", label="Comparator median"),
    Scenario("needs_model", "own spend per head; the people served scaled by the spend the needs model expects for the council's need",
             volume="needs_model", label="Needs model"),
    Scenario("fee_schedule", "own spend, with care homes for older people paid at the council's fee schedule",
             unit_cost="fee_schedule", label="Care homes at the fee schedule"),
    Scenario("staffing_at_comparator_ratio", "own spend, with assessment staff at the comparator group's staff ratio",
             staffing_ratio="comparator_average", label="Staffing at the comparators' ratio"),
)


@dataclass(frozen=True)
class BudgetParams:
    """Every assumption of the build-up; each is a key of the council's parameter file."""

    budget_year: str | None = None  # None: two years after the newest outturn in the data
    fee_inflation_pct: float = 3.0
    pay_inflation_pct: float = 3.0
    income_inflation_pct: float | None = None  # None: income moves with its line's gross
    demographic_growth_pct: float | None = None  # per year, for years past the ONS estimates; None: latest ONS trend
    cost_per_fte_gbp: float = 45_000.0
    scenarios: tuple[Scenario, ...] = DEFAULT_SCENARIOS

    def check(self, base_year: str | None = None, latest_outturn: str | None = None) -> None:
        if self.budget_year is not None:
            self._check_budget_year(base_year, latest_outturn)
        self._check_rates()
        self._check_scenarios()

    def _check_budget_year(self, base_year: str | None, latest_outturn: str | None) -> None:
        """A financial year from the base year to :data:`MAX_YEARS_AFTER_OUTTURN` years after the newest outturn."""
        try:
            start = financial_year_start(self.budget_year)
        except ValueError as error:
            raise UserError(f"budget_year: {error}") from None
        if base_year is not None and start < financial_year_start(base_year):
            raise UserError(f"budget_year {self.budget_year} is before the base year {base_year} "
                            f"(the newest revenue outturn in the data): choose {_allowed_years(base_year, latest_outturn)}")
        if latest_outturn is not None and start > financial_year_start(latest_outturn) + MAX_YEARS_AFTER_OUTTURN:
            raise UserError(f"budget_year {self.budget_year} is more than {MAX_YEARS_AFTER_OUTTURN} years after the newest revenue "
                            f"outturn in the data ({latest_outturn}): choose {_allowed_years(base_year or latest_outturn, latest_outturn)}")

    def _check_rates(self) -> None:
        """Inflation and growth rates, and the cost of an FTE, within plausible ranges."""
        for name in ("fee_inflation_pct", "pay_inflation_pct", "income_inflation_pct", "demographic_growth_pct"):
            value = getattr(self, name)
            if value is not None and not -10.0 <= value <= 25.0:
                raise UserError(f"{name} = {value}: expected a percentage a year between -10 and 25")
        if not 10_000 <= self.cost_per_fte_gbp <= 200_000:
            raise UserError(f"cost_per_fte_gbp = {self.cost_per_fte_gbp}: expected between 10,000 and 200,000")

    def _check_scenarios(self) -> None:
        """At least one scenario, names unique, each scenario's choices known."""
        names = [s.name for s in self.scenarios]
        if len(set(names)) != len(names):
            raise UserError(f"scenario names must be unique: {', '.join(names)}")
        if not self.scenarios:
            raise UserError("budget scenarios: at least one is needed (the first is the reference the others are compared with)")
        for scenario in self.scenarios:
            scenario.check()


def _allowed_years(base_year: str, latest_outturn: str | None) -> str:
    last = financial_year(financial_year_start(latest_outturn or base_year) + MAX_YEARS_AFTER_OUTTURN)
    return f"a year from {base_year} to {last}"


def params_from_mapping(values: dict) -> BudgetParams:
    """BudgetParams from a parameter file's ``budget`` mapping; unknown keys are user errors."""
    known = {f.name for f in fields(BudgetParams)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserError(f"unknown budget parameter(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    values = dict(values)
    if "scenarios" in values:
        scenario_keys = {f.name for f in fields(Scenario)}
        scenarios = []
        for entry in values["scenarios"]:
            bad = sorted(set(entry) - scenario_keys)
            if bad:
                raise UserError(f"scenario '{entry.get('name', '?')}': unknown key(s) {', '.join(bad)} (known: {', '.join(sorted(scenario_keys))})")
            scenarios.append(Scenario(**{"description": "", **entry}))
        values["scenarios"] = tuple(scenarios)
    params = BudgetParams(**values)
    params.check()
    return params


# ----------------------------------------------------------------------------------------------
# inputs for every council (base year)
# ----------------------------------------------------------------------------------------------

def line_inputs(tables, base_year: str | None = None) -> pd.DataFrame:
    """council × RO3 line of the base year: the line's money (£) and the population of its age band.

    Columns: council, service_line, label, age_band, the :data:`AMOUNTS` (employees, running
    expenses, gross, sales fees and charges, other income, income, net), the published C2 and C5
    (``published_running_expenses_gbp``, ``published_other_income_gbp``), ``population``,
    ``ro3_total_net_gbp`` (the return's own total) and ``source``.  Councils only (no England row);
    a council that returned nothing has missing amounts.  Memoised on the tables.
    """
    base_year = base_year or data_years.budget_base_year(tables)
    return tables.memo(("ro3_line_inputs", base_year), lambda: _line_inputs(tables, base_year))


def _line_inputs(tables, base_year: str) -> pd.DataFrame:
    from benchmark.data.mhclg import RO3_LINES_ADDING_TO_TOTAL, ro3_line_labels

    ro3 = tables.ro3
    ro3 = ro3[(ro3["year"] == base_year) & ro3["council"].isin(tables.registry.table.index)]
    wide = ro3.pivot_table(index=["council", "line"], columns="measure", values="value", aggfunc="first", dropna=False, observed=True)
    wide = wide.reset_index()
    present = ro3.loc[ro3["value"].notna(), "line"].unique()
    lines = [line for line in RO3_LINES_ADDING_TO_TOTAL if line in present]
    totals = wide[wide["line"] == "total"].set_index("council")["net_current_expenditure"]
    out = wide[wide["line"].isin(lines)].copy()
    out["line"] = pd.Categorical(out["line"], categories=lines, ordered=True)
    out = out.sort_values(["council", "line"]).reset_index(drop=True)
    out["line"] = out["line"].astype(str)
    out = out.rename(columns={"line": "service_line"})
    out["label"] = out["service_line"].map(ro3_line_labels)
    out["age_band"] = out["service_line"].map(line_age_band)
    # gross (C3) and net (C7) as published; the splits balance to them (module docstring)
    out["gross_gbp"] = out["gross_expenditure"]
    out["net_gbp"] = out["net_current_expenditure"]
    out["income_gbp"] = out["gross_gbp"] - out["net_gbp"]
    out["employees_gbp"] = out["employees"]
    out["running_expenses_gbp"] = out["gross_gbp"] - out["employees_gbp"]
    out["sales_fees_charges_gbp"] = out["sales_fees_charges"]
    out["other_income_gbp"] = out["income_gbp"] - out["sales_fees_charges_gbp"]
    out["published_running_expenses_gbp"] = out["running_expenses"]
    out["published_other_income_gbp"] = out["other_income"]
    bands = tables.population_bands
    population = bands[bands["year"] == mid_year_for(base_year)].pivot_table(index="council", columns="age_band", values="value", aggfunc="sum")
    out["population"] = [population.at[c, b] if c in population.index and b in population.columns else np.nan
                         for c, b in zip(out["council"], out["age_band"], strict=True)]
    out["ro3_total_net_gbp"] = out["council"].map(totals)
    source = ro3["source"].dropna().astype(str)
    out["source"] = source.iloc[0] if len(source) else ""
    keep = ["council", "service_line", "label", "age_band", *AMOUNTS, "published_running_expenses_gbp", "published_other_income_gbp",
            "population", "ro3_total_net_gbp", "source"]
    return out[keep]


#: the age bands whose population moves the budget's volumes from the base year to the budget year
GROWTH_BANDS = ("65+", "18-64", "18+")


def default_population_paths(tables) -> None:
    """The population paths of the default budget (budget year and growth left to the data), memoised
    on ``tables``: computed once by the runner's shared step rather than by each council's kernel."""
    base_year, budget_year = data_years.budget_base_year(tables), data_years.default_budget_year(tables)
    for band in GROWTH_BANDS:
        population_path(tables, band, base_year, budget_year, None)


def population_path(tables, age_band: str, from_year: str, to_year: str, growth_pct: float | None) -> tuple[pd.DataFrame, str]:
    """:func:`_population_path`, computed once per loaded tables (every council's budget reads the same)."""
    return tables.memo(("population_path", age_band, from_year, to_year, growth_pct),
                       lambda: _population_path(tables, age_band, from_year, to_year, growth_pct))


def _population_path(tables, age_band: str, from_year: str, to_year: str, growth_pct: float | None) -> tuple[pd.DataFrame, str]:
    """Population of ``age_band`` in each financial year from ``from_year`` to ``to_year`` ÷ that of
    ``from_year``, by council (one column per year), and how it was found.

    ONS mid-year estimates up to the latest in the data; beyond, the last estimate is grown by
    ``growth_pct`` a year, or (None) by the council's own average growth over the latest
    :data:`TREND_YEARS` years of estimates on one census basis (a trend is never measured across a
    rebasing of the estimates).
    """
    bands = tables.population_bands
    series = bands[bands["age_band"] == age_band].pivot_table(index="council", columns="year", values="value", aggfunc="sum")
    series.columns = series.columns.astype(int)
    start, end = int(mid_year_for(from_year)), int(mid_year_for(to_year))
    latest = data_years.latest_population_year(tables)
    if start not in series.columns:
        raise UserError(f"no ONS mid-{start} estimate in the data: the base year {from_year} needs it")
    known = min(end, latest)
    how = f"ONS mid-year estimates, mid-{start} to mid-{known}" if known > start else f"ONS mid-{start} estimate"
    trend_from = None  # per council, the mid-year its own trend starts from
    if end > latest:
        first = _trend_start(tables, latest)
        if growth_pct is None:
            span = latest - first
            if span < 1:
                raise UserError(f"no earlier ONS estimate on the same basis as mid-{latest}: set demographic_growth_pct "
                                f"for the years after mid-{latest}")
            # a council created since mid-{first} (North Yorkshire, Somerset, Cumberland ... in 2023) is measured
            # from its first estimate in the window
            window = series[[y for y in range(first, latest + 1) if y in series.columns]]
            own_first = window.notna().idxmax(axis=1).where(window.notna().any(axis=1))
            own_span = (latest - own_first).where(lambda s: s >= 1)
            own_start = pd.Series([series.at[c, int(y)] if pd.notna(y) else np.nan for c, y in own_first.items()], index=series.index)
            yearly = (series[latest] / own_start) ** (1 / own_span)
            trend_from = own_first
            how += (f", then the council's own average growth of its {age_band} population from mid-{first} to mid-{latest} "
                    f"for {end - latest} more year(s)")
        else:
            yearly = pd.Series(1 + growth_pct / 100, index=series.index)
            how += f", then {growth_pct:g}% a year for {end - latest} more year(s) (parameter)"
    path = {}
    for mid in range(start, end + 1):
        year = financial_year(mid)
        if mid <= latest:
            path[year] = series[mid] / series[start]
        else:
            path[year] = series[latest] / series[start] * yearly ** (mid - latest)
    out = pd.DataFrame(path)
    if trend_from is not None:
        out.attrs["trend_from"] = {"first": first, "by_council": trend_from.dropna().astype(int).to_dict()}
    return out, how


def _growth_note(path: pd.DataFrame, how: str, code: str) -> str:
    """``how`` for one council: where its own trend starts later than the window (a council created
    since), from its first estimate."""
    trend = path.attrs.get("trend_from")
    own = trend["by_council"].get(code) if trend else None
    if own is None or own <= trend["first"]:
        return how
    return how.replace(f"from mid-{trend['first']} to", f"from mid-{own} (its first estimate) to")


def _trend_start(tables, latest: int) -> int:
    """The first mid-year of the trend ending at ``latest``: :data:`TREND_YEARS` back, but not before
    the estimates change census basis (from the catalogue's editions; an edition that does not say
    its basis ends the run too)."""
    basis = population_bases(tables)
    first = latest
    while first - 1 >= latest - TREND_YEARS and basis.get(first - 1) is not None and basis.get(first - 1) == basis.get(latest):
        first -= 1
    return first


def population_bases(tables) -> dict[int, str | None]:
    """Mid-year -> the census year the estimates of that year are based on (a census year as text), or None."""
    def compute():
        from benchmark.data.sources import SOURCES_BY_ID

        editions = {f.source_id: f.edition for f in tables.catalogue.files}
        bands = tables.population_bands
        sources = bands.drop_duplicates("year").set_index("year")["source"].astype(str)
        out = {}
        for year, source in sources.items():
            described = editions.get(source) or (f"{SOURCES_BY_ID[source].title} {SOURCES_BY_ID[source].holds}" if source in SOURCES_BY_ID else "")
            match = re.search(r"Census (\d{4})-based", described)
            out[int(year)] = match.group(1) if match else None
        return out
    return tables.memo(("population_bases",), compute)


# ----------------------------------------------------------------------------------------------
# the build-up for one council
# ----------------------------------------------------------------------------------------------

#: The columns of :func:`line_inputs` held as arrays by :class:`LineTable`.
VALUE_COLUMNS = [*AMOUNTS, "published_running_expenses_gbp", "published_other_income_gbp", "population"]


@dataclass(frozen=True)
class LineTable:
    """:func:`line_inputs` as arrays, one row per council and one column per line, so that one council's
    budget and its comparators' medians are array operations, not selections from a long table."""

    councils: pd.Index
    lines: list[str]
    labels: list[str]
    age_bands: np.ndarray
    values: dict[str, np.ndarray]  # column -> councils × lines
    ro3_total_net: np.ndarray  # by council
    source: str

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> LineTable:
        lines = list(dict.fromkeys(frame["service_line"]))
        first = frame.drop_duplicates("service_line").set_index("service_line").loc[lines]
        councils = pd.Index(sorted(frame["council"].unique()))
        values = {column: frame.pivot(index="council", columns="service_line", values=column).reindex(index=councils, columns=lines)
                  .to_numpy(dtype=float) for column in VALUE_COLUMNS}
        totals = frame.drop_duplicates("council").set_index("council")["ro3_total_net_gbp"].reindex(councils).to_numpy(dtype=float)
        return cls(councils, lines, list(first["label"]), first["age_band"].to_numpy(), values, totals, str(first["source"].iloc[0]))

    def council(self, code: str) -> _Own | None:
        position = self.councils.get_indexer([code])[0]
        if position < 0:
            return None
        return _Own(self.lines, self.labels, self.age_bands, {c: v[position] for c, v in self.values.items()},
                    float(self.ro3_total_net[position]), self.source)

    def rows_of(self, codes: list[str]) -> np.ndarray:
        positions = self.councils.get_indexer(list(codes))
        return positions[positions >= 0]


@dataclass(frozen=True)
class _Own:
    """One council's lines: each value an array in line order."""

    lines: list[str]
    labels: list[str]
    age_bands: np.ndarray
    values: dict[str, np.ndarray]
    ro3_total_net: float
    source: str

    def __getitem__(self, column: str) -> np.ndarray:
        return self.values[column]


def line_table(tables, base_year: str | None = None) -> LineTable:
    """:func:`line_inputs` as a :class:`LineTable` (memoised on the tables)."""
    base_year = base_year or data_years.budget_base_year(tables)
    return tables.memo(("ro3_line_table", base_year), lambda: LineTable.from_frame(line_inputs(tables, base_year)))


@dataclass
class Budget:
    council: str
    budget_year: str
    base_year: str
    comparators: list[str]
    lines: pd.DataFrame  # scenario × line, in the budget year
    totals: pd.DataFrame  # one row per scenario
    actual: dict
    roll_forward: pd.DataFrame = field(default_factory=pd.DataFrame)  # current pattern: line × year
    bridge: pd.DataFrame = field(default_factory=pd.DataFrame)  # base-year outturn -> budget-year current pattern
    reconciliation: pd.DataFrame = field(default_factory=pd.DataFrame)  # line: RO3 actual, current pattern in the base year
    assumptions: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    scenario_titles: dict = field(default_factory=dict)


@dataclass
class LocalInputs:
    """What the council's own files add: fee schedule repricing and staff ratios (each with its source)."""

    fees: dict = field(default_factory=dict)  # setting -> {'schedule_gbp', 'paid_gbp', 'placements'}
    care_home_shares: dict = field(default_factory=dict)  # setting -> share of 65+ long-term spend; 'year', 'source'
    staffing: dict = field(default_factory=dict)  # 'own_ratio', 'comparator_ratio', 'comparators_with_value', 'year'
    sources: dict = field(default_factory=dict)
    illustrative: dict = field(default_factory=dict)


def build_budget(inputs: pd.DataFrame | LineTable, council: str, comparators: list[str], params: BudgetParams, *,
                 growth: dict[str, pd.DataFrame], needs_ratio: dict[str, float], base_year: str,
                 local: LocalInputs | None = None, population_65plus: float | None = None,
                 latest_outturn: str | None = None, population_source: str = "ONS mid-year estimates") -> Budget:
    """The build-up for ``council`` under every scenario of ``params`` (pure: no data loading).

    ``inputs``: :func:`line_inputs` rows (or their :class:`LineTable`) for at least the council and
    its comparators.  ``growth``: age band -> :func:`population_path` frame (council × year, ratio to
    the base year).  ``needs_ratio``: age band -> expected ÷ actual spend per head (leave-one-out
    model).  ``population_65plus``: the council's base-year 65+ population (the staffing change).
    ``params.budget_year`` must be set (the caller resolves the default from the data).
    """
    params.check(base_year, latest_outturn)
    if params.budget_year is None:
        raise ValueError("build_budget needs params.budget_year (council_budget sets the data's default)")
    table = inputs if isinstance(inputs, LineTable) else LineTable.from_frame(inputs)
    local = local or LocalInputs()
    own = table.council(council)
    if own is None or np.isnan(own["net_gbp"]).all():
        raise UserError(f"{council} has no {base_year} revenue outturn: a base budget needs the base year")
    years = list(growth["18+"].columns)
    n_years = financial_year_start(params.budget_year) - financial_year_start(base_year)
    rates = _comparator_rates(table, table.rows_of(comparators))

    roll = [_current_pattern(own, _growth(own, council, growth, year), params, i) for i, year in enumerate(years)]
    current = roll[-1]
    context = _Context(own, council, params, n_years, current, rates, needs_ratio, local, population_65plus, growth,
                       f"{own.source}; {population_source}")
    scenarios = [_scenario_lines(context, scenario) for scenario in params.scenarios]
    _explain_gaps(scenarios)
    lines = _frame(scenarios, params, base_year, own)
    care = np.array([bool(CLIENT_GROUP_LINE.fullmatch(line)) for line in own.lines], dtype=bool)
    totals = pd.DataFrame([_totals(s, care) for s in scenarios])
    roll_forward = pd.concat([pd.DataFrame({"year": year, "service_line": own.lines, "label": own.labels, "age_band": own.age_bands,
                                            "population_growth": money["population_growth"],
                                            **{c: money[c] for c in AMOUNTS}, "volume": money["volume"]})
                              for year, money in zip(years, roll, strict=True)], ignore_index=True)
    notes = []
    missing = [label for label, net in zip(own.labels, own["net_gbp"], strict=True) if np.isnan(net)]
    if missing:
        notes.append(f"RO3 {base_year} has no figure for {len(missing)} line(s) ({', '.join(missing)}): "
                     "the totals are missing rather than summed over the lines that are there")
    absorbed = np.concatenate([np.abs(own["published_running_expenses_gbp"] - own["running_expenses_gbp"]),
                               np.abs(own["published_other_income_gbp"] - own["other_income_gbp"])])
    absorbed = absorbed[absorbed > 0.5]
    if len(absorbed):
        notes.append(f"RO3 {base_year} rounds each column to £ thousand on its own: in {len(absorbed)} place(s) running expenses "
                     "(gross - employees) or other income (gross - net - sales, fees and charges) differ from the published column by "
                     f"£{absorbed.max():,.0f} at most; gross and net are as published")
    actual = {"year": base_year, "gross_current_expenditure_gbp": _strict_sum(own["gross_gbp"]),
              "net_current_expenditure_gbp": _strict_sum(own["net_gbp"]), "ro3_total_net_gbp": own.ro3_total_net,
              "basis": f"revenue outturn (RO3) {base_year}, adult social care lines that add up to its total; net = gross - income",
              "source": own.source}
    assumptions = {"base_year": base_year, "budget_year": params.budget_year, "years_rolled_forward": n_years,
                   "fee_inflation_pct": params.fee_inflation_pct, "pay_inflation_pct": params.pay_inflation_pct,
                   "income_inflation_pct": params.income_inflation_pct, "demographic_growth_pct": params.demographic_growth_pct,
                   "cost_per_fte_gbp": params.cost_per_fte_gbp}
    return Budget(council, params.budget_year, base_year, list(comparators), lines, totals, actual, roll_forward=roll_forward,
                  bridge=_bridge(own, current, base_year, params), reconciliation=_reconciliation(own, roll[0], base_year),
                  assumptions=assumptions, notes=notes, scenario_titles={s.name: s.title for s in params.scenarios})


@dataclass(frozen=True)
class _Context:
    """What every scenario of one council's budget reads."""

    own: _Own
    council: str
    params: BudgetParams
    n_years: int
    current: dict
    rates: dict
    needs_ratio: dict
    local: LocalInputs
    population_65plus: float | None
    growth: dict
    source: str


def _strict_sum(values) -> float:
    """Sum of every value, missing if any is missing (a total is never taken over the lines that are there)."""
    values = np.asarray(values, dtype=float)
    return float(values.sum()) if len(values) and not np.isnan(values).any() else np.nan


def _comparator_rates(table: LineTable, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Per line, over the comparators with a value: median gross per head, median employees, sales and
    other income as shares of gross, and how many comparators have a value."""
    v = {column: table.values[column][rows] for column in ("gross_gbp", "net_gbp", "population", "employees_gbp",
                                                             "sales_fees_charges_gbp", "other_income_gbp")}
    held = ~np.isnan(v["net_gbp"]) & ~np.isnan(v["gross_gbp"])
    gross = np.where(held, v["gross_gbp"], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        nonzero = np.where(gross != 0, gross, np.nan)
        columns = {"gross_per_head": gross / v["population"], "employees_share": v["employees_gbp"] / nonzero,
                   "sales_share": v["sales_fees_charges_gbp"] / nonzero, "other_share": v["other_income_gbp"] / nonzero}
    out = {"with_value": held.sum(axis=0)}
    for name, values in columns.items():
        out[name] = _column_medians(values)
    return out


def _column_medians(values: np.ndarray) -> np.ndarray:
    """Median of each column over its non-missing values; missing for a column with none."""
    out = np.full(values.shape[1], np.nan)
    for j in range(values.shape[1]):
        column = values[:, j]
        column = column[~np.isnan(column)]
        if len(column):
            out[j] = np.median(column)
    return out


def _uplifts(params: BudgetParams, n: int) -> tuple[float, float, float | None]:
    pay = (1 + params.pay_inflation_pct / 100) ** n
    fee = (1 + params.fee_inflation_pct / 100) ** n
    income = None if params.income_inflation_pct is None else (1 + params.income_inflation_pct / 100) ** n
    return pay, fee, income


def _growth(own: _Own, council: str, growth: dict[str, pd.DataFrame], year: str) -> np.ndarray:
    """Each line's population ratio (year ÷ base year) for the council."""
    by_band = {band: float(frame.at[council, year]) if council in frame.index else np.nan for band, frame in growth.items()}
    return np.array([by_band[band] for band in own.age_bands])


def _income_factor(own: _Own, gross: np.ndarray, volume_ratio: np.ndarray, fee: float, income_uplift: float | None) -> np.ndarray:
    """How much each line's base-year income is multiplied by: with its line's gross (gross ÷ base gross;
    a line with no base-year gross by volume and fee inflation), or by volume × the income rate."""
    if income_uplift is not None:
        return volume_ratio * income_uplift
    base_gross = own["gross_gbp"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base_gross != 0, gross / np.where(base_gross != 0, base_gross, 1.0), volume_ratio * fee)


def _current_pattern(own: _Own, g: np.ndarray, params: BudgetParams, n: int) -> dict:
    """The current pattern ``n`` years after the base year, population ratio ``g`` by line: every
    line's money rolled forward."""
    pay, fee, income_uplift = _uplifts(params, n)
    employees = own["employees_gbp"] * g * pay
    running = own["running_expenses_gbp"] * g * fee
    gross = _gross_from_base(own, employees, running)
    money = _money_from_base(own, employees, running, *_income(own, own["sales_fees_charges_gbp"], own["other_income_gbp"],
                                                               _income_factor(own, gross, g, fee, income_uplift)))
    money["population_growth"] = g
    money["volume"] = own["population"] * g
    return money


def _income(own: _Own, sales: np.ndarray, other: np.ndarray, factor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return sales * factor, other * factor


def _gross_from_base(own: _Own, employees: np.ndarray, running: np.ndarray) -> np.ndarray:
    return own["gross_gbp"] + ((employees - own["employees_gbp"]) + (running - own["running_expenses_gbp"]))


def _money_from_base(own: _Own, employees: np.ndarray, running: np.ndarray, sales: np.ndarray, other: np.ndarray) -> dict:
    """A line's money as its base-year figures plus changes, so that where nothing changes the figures
    are RO3's own to the last bit (floating-point sums of the parts need not give the published whole)."""
    change_employees = employees - own["employees_gbp"]
    change_running = running - own["running_expenses_gbp"]
    gross = own["gross_gbp"] + (change_employees + change_running)
    change_income = (sales - own["sales_fees_charges_gbp"]) + (other - own["other_income_gbp"])
    return {"employees_gbp": own["employees_gbp"] + change_employees, "running_expenses_gbp": own["running_expenses_gbp"] + change_running,
            "gross_gbp": gross, "sales_fees_charges_gbp": sales, "other_income_gbp": other, "income_gbp": own["income_gbp"] + change_income,
            "net_gbp": own["net_gbp"] + ((gross - own["gross_gbp"]) - change_income)}


def _scenario_lines(c: _Context, scenario: Scenario) -> dict:
    """One scenario's lines in the budget year: volume, unit cost and money, each with how it was chosen."""
    own, params = c.own, c.params
    n_lines = len(own.lines)
    g = c.current["population_growth"]
    pay, fee, income_uplift = _uplifts(params, c.n_years)
    population = own["population"]
    source = [c.source] * n_lines
    illustrative = np.zeros(n_lines, dtype=bool)

    # volume: the people the line serves
    if scenario.volume == "needs_model":
        factor = np.array([c.needs_ratio.get(band, np.nan) if band in AGE_MODEL else 1.0 for band in own.age_bands])
        volume_basis = [f"population {band} x needs model expected/actual ({c.needs_ratio.get(band, np.nan):.3f})" if band in AGE_MODEL
                        else "population 18+ (the needs model covers care for 18-64 and 65+ only)" for band in own.age_bands]
    else:
        factor = np.ones(n_lines)
        volume_basis = [f"population {band}" for band in own.age_bands]
    volume = population * g * factor

    # gross in base-year prices, split into employees and running expenses
    employees_base = own["employees_gbp"] * factor
    running_base = own["running_expenses_gbp"] * factor
    cost_basis = ["own net spend per head"] * n_lines
    if scenario.unit_cost == "comparator_median":
        gross_base = c.rates["gross_per_head"] * population * factor
        base_gross = own["gross_gbp"]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(base_gross != 0, own["employees_gbp"] / np.where(base_gross != 0, base_gross, 1.0), c.rates["employees_share"])
        employees_base, running_base = gross_base * share, gross_base * (1 - share)
        cost_basis = [f"comparator median gross per head ({count} comparators with a value)" for count in c.rates["with_value"]]
    elif scenario.unit_cost == "fee_schedule":
        repriced, described, used = _fee_schedule_factor(own, c.local)
        running_base = running_base + (employees_base + running_base) * (repriced - 1)  # care fees are running expenses
        cost_basis = [d or b for d, b in zip(described, cost_basis, strict=True)]
        shares_source = c.local.care_home_shares.get("source", "")
        source = [f"{s}; {c.local.sources.get('fees', 'the council fee schedule')}; {shares_source}" if u else s
                  for s, u in zip(source, used, strict=True)]
        illustrative = illustrative | (used & bool(c.local.illustrative.get("fees", False)))
    employees = employees_base * g * pay
    running = running_base * g * fee

    # income: from the gross before any staffing change (the staffing scenario changes staff cost only)
    gross = _gross_from_base(own, employees, running)
    if scenario.income_share == "comparator_median":
        sales, other = gross * c.rates["sales_share"], gross * c.rates["other_share"]
        income_basis = "comparator median shares of gross"
    else:
        sales, other = _income(own, own["sales_fees_charges_gbp"], own["other_income_gbp"],
                               _income_factor(own, gross, g * factor, fee, income_uplift))
        income_basis = "own, with its line's gross" if income_uplift is None else f"own, by volume and {params.income_inflation_pct:g}% a year"

    staffing_change = np.zeros(n_lines)
    if scenario.staffing_ratio is not None:
        staffing_change, described, used = _staffing_change(c, scenario, pay)
        cost_basis = [d or b for d, b in zip(described, cost_basis, strict=True)]
        source = [f"{s}; {c.local.sources.get('staffing', 'the council workforce file')}" if u else s for s, u in zip(source, used, strict=True)]
        illustrative = illustrative | (used & bool(c.local.illustrative.get("staffing", False)))
    money = _money_from_base(own, employees + staffing_change, running, sales, other)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit_cost = (money["net_gbp"] - staffing_change) / volume
    return {"scenario": scenario.name, "volume": volume, "volume_basis": volume_basis, "unit_cost_gbp": unit_cost, "unit_cost_basis": cost_basis,
            "staffing_change_gbp": staffing_change, **money, "income_basis": [income_basis] * n_lines, "source": source,
            "illustrative": illustrative}


def _fee_schedule_factor(own: _Own, local: LocalInputs) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Each line's gross multiplier under the fee schedule: for the care-home lines, 1 + Σ setting share ×
    (schedule rate ÷ fee paid - 1); 1 elsewhere or where the council has no schedule."""
    multiplier = np.ones(len(own.lines))
    described = [""] * len(own.lines)
    used = np.zeros(len(own.lines), dtype=bool)
    terms, parts = 0.0, []
    for setting in CARE_HOME_SETTINGS:
        fee, share = local.fees.get(setting), local.care_home_shares.get(setting)
        if fee and share is not None and fee["paid_gbp"] > 0 and not np.isnan(share):
            terms += share * (fee["schedule_gbp"] / fee["paid_gbp"] - 1)
            parts.append(f"{setting} {share:.1%} of 65+ long-term spend at £{fee['schedule_gbp']:,.2f} schedule "
                         f"against £{fee['paid_gbp']:,.2f} paid a week")
    if not parts:
        return multiplier, described, used
    for i, line in enumerate(own.lines):
        if line in CARE_HOME_LINES and not np.isnan(own["gross_gbp"][i]):
            multiplier[i], used[i] = 1 + terms, True
            described[i] = "care homes at the fee schedule: " + "; ".join(parts)
    return multiplier, described, used


def _staffing_change(c: _Context, scenario: Scenario, pay: float) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(comparator or own ratio - own ratio) × 65+ population ÷ 1,000 × cost per FTE, grown like the
    65+ population and by pay inflation, on the care-assessment line only."""
    own, staffing = c.own, c.local.staffing
    change = np.zeros(len(own.lines))
    described = [""] * len(own.lines)
    used = np.zeros(len(own.lines), dtype=bool)
    line = next((name for name in STAFFING_LINES if name in own.lines), None)
    if not staffing or line is None or c.population_65plus is None:
        return change, described, used
    i = own.lines.index(line)
    own_ratio = staffing["own_ratio"]
    ratio = own_ratio if scenario.staffing_ratio == "own" else staffing["comparator_ratio"]
    frame = c.growth["65+"]
    g65 = float(frame.at[c.council, c.params.budget_year]) if c.council in frame.index else np.nan
    fte_change = (ratio - own_ratio) * c.population_65plus / 1000
    change[i] = fte_change * c.params.cost_per_fte_gbp * g65 * pay
    used[i] = True
    described[i] = (f"own, with staff at {ratio:.2f} per 1,000 population 65+ against the council's {own_ratio:.2f} "
                    f"({fte_change:+,.1f} FTE at £{c.params.cost_per_fte_gbp:,.0f} a year, grown with the 65+ population and pay)")
    return change, described, used


def _explain_gaps(scenarios: list[dict]) -> None:
    """Volume and price effects of each line against the first scenario (module docstring), in place."""
    reference = scenarios[0]
    for s in scenarios:
        s["difference_gbp"] = s["net_gbp"] - reference["net_gbp"]
        s["volume_effect_gbp"] = (s["volume"] - reference["volume"]) * reference["unit_cost_gbp"] + (
            s["staffing_change_gbp"] - reference["staffing_change_gbp"])
        s["price_effect_gbp"] = (s["unit_cost_gbp"] - reference["unit_cost_gbp"]) * s["volume"]


#: The columns of the budget's lines, in order (``amount_gbp`` is the line's net).
LINE_COLUMNS = ["scenario", "service_line", "budget_year", "base_year", "label", "age_band", "volume", "volume_unit", "volume_basis",
                "unit_cost_gbp", "unit_cost_basis", "staffing_change_gbp", *[c for c in AMOUNTS if c != "net_gbp"], "amount_gbp",
                "income_basis", "base_year_net_gbp", "difference_gbp", "volume_effect_gbp", "price_effect_gbp", "source", "illustrative"]


def _frame(scenarios: list[dict], params: BudgetParams, base_year: str, own: _Own) -> pd.DataFrame:
    """Every scenario's lines as one table (one construction, not one per scenario)."""
    n = len(own.lines)
    repeat = len(scenarios)
    columns = {
        "scenario": np.repeat([s["scenario"] for s in scenarios], n), "service_line": own.lines * repeat,
        "budget_year": params.budget_year, "base_year": base_year, "label": own.labels * repeat,
        "age_band": np.tile(own.age_bands, repeat), "volume_unit": [f"people aged {band}" for band in own.age_bands] * repeat,
        "amount_gbp": np.concatenate([s["net_gbp"] for s in scenarios]), "base_year_net_gbp": np.tile(own["net_gbp"], repeat),
    }
    for column in LINE_COLUMNS:
        if column not in columns:
            values = [s[column] for s in scenarios]
            columns[column] = np.concatenate(values) if isinstance(values[0], np.ndarray) else [v for s in values for v in s]
    return pd.DataFrame(columns)[LINE_COLUMNS]


def _totals(s: dict, care: np.ndarray) -> dict:
    """One scenario's totals; ``care``: the client-group lines (what the expected-spend model covers)."""
    return {"scenario": s["scenario"], "total_gbp": _strict_sum(s["net_gbp"]), "gross_gbp": _strict_sum(s["gross_gbp"]),
            "income_gbp": _strict_sum(s["income_gbp"]), "care_gross_gbp": _strict_sum(s["gross_gbp"][care]),
            "difference_gbp": _strict_sum(s["difference_gbp"]), "volume_effect_gbp": _strict_sum(s["volume_effect_gbp"]),
            "price_effect_gbp": _strict_sum(s["price_effect_gbp"]), "lines_missing": int(np.isnan(s["net_gbp"]).sum()),
            "illustrative": bool(s["illustrative"].any())}


def _reconciliation(own: _Own, base: dict, base_year: str) -> pd.DataFrame:
    """Each line's RO3 net against the current pattern computed for the base year itself, and the total
    against the return's own total: every difference is 0 by construction, shown so it can be checked."""
    table = pd.DataFrame({"line": own.labels, "service_line": own.lines, "ro3_gross_gbp": own["gross_gbp"],
                          "ro3_income_gbp": own["income_gbp"], "ro3_net_gbp": own["net_gbp"], "current_pattern_base_year_gbp": base["net_gbp"]})
    total = {"line": f"Total adult social care (RO3 {base_year})", "service_line": "total",
             "ro3_gross_gbp": _strict_sum(own["gross_gbp"]), "ro3_income_gbp": _strict_sum(own["income_gbp"]),
             "ro3_net_gbp": own.ro3_total_net, "current_pattern_base_year_gbp": _strict_sum(base["net_gbp"])}
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table["difference_gbp"] = table["current_pattern_base_year_gbp"] - table["ro3_net_gbp"]
    return table


def _bridge(own: _Own, current: dict, base_year: str, params: BudgetParams) -> pd.DataFrame:
    """From the base year's outturn to the budget year's current pattern, in four steps that add up."""
    g = current["population_growth"]
    employees, running = own["employees_gbp"], own["running_expenses_gbp"]
    n = financial_year_start(params.budget_year) - financial_year_start(base_year)
    pay, fee, _ = _uplifts(params, n)
    steps = [
        (f"Net spend {base_year} (revenue outturn)", _strict_sum(own["net_gbp"]), "start"),
        ("Demography: more or fewer people in each line's age band", _strict_sum((employees + running) * (g - 1)), "step"),
        (f"Pay: {params.pay_inflation_pct:g}% a year on employees", _strict_sum(employees * g * (pay - 1)), "step"),
        (f"Prices: {params.fee_inflation_pct:g}% a year on running expenses", _strict_sum(running * g * (fee - 1)), "step"),
        ("Income: moving with its line", -(_strict_sum(current["income_gbp"]) - _strict_sum(own["income_gbp"])), "step"),
        (f"Net spend {params.budget_year} (current pattern)", _strict_sum(current["net_gbp"]), "end"),
    ]
    return pd.DataFrame(steps, columns=["step", "amount_gbp", "kind"])


# ----------------------------------------------------------------------------------------------
# gathering the inputs for one council from the shipped and local data
# ----------------------------------------------------------------------------------------------

def no_budget_reason(tables, code: str, base_year: str) -> str | None:
    """One sentence saying why a council has no base budget, or None when it has the base year."""
    from benchmark.data.councils import REORGANISATIONS

    council = tables.registry.council(code)
    if council.last_year and financial_year_start(council.last_year) < financial_year_start(base_year):
        change = next(r for r in REORGANISATIONS if code in r.abolished)
        names = " and ".join(tables.registry.council(s).name for s in change.created if s in tables.registry)
        return (f"{change.note}, so there is no {base_year} revenue outturn to build a budget for {council.name}: "
                f"see the report for {names}.")
    own = line_table(tables, base_year).council(code)
    if own is None or np.isnan(own["net_gbp"]).all():
        return (f"{council.name} has no {base_year} revenue outturn (RO3) figures in MHCLG's publication, "
                "so there is no base year to build its budget from.")
    return None


def _latest_local(panel: pd.DataFrame, council: str, metric_id: str) -> pd.Series | None:
    rows = panel[(panel["council"] == council) & (panel["metric_id"] == metric_id) & panel["value"].notna()]
    return rows.sort_values("year").iloc[-1] if len(rows) else None


def local_inputs(tables, code: str, comparators: list[str], local_panel: pd.DataFrame, local_root, files=None) -> LocalInputs:
    """The fee schedule repricing and the staff ratios from the council's own files, where it has them
    (``files``: a :class:`benchmark.local.panel.LocalFiles` that may have read them already)."""
    from pathlib import Path

    from benchmark.local import compute
    from benchmark.local.panel import FILES, LocalFiles

    local = LocalInputs()
    files = files or LocalFiles()
    folder = Path(local_root) / code
    bands_path, placements_path = folder / FILES["fee_bands"], folder / FILES["placements"]
    if bands_path.is_file() and placements_path.is_file():
        bands = files.fee_bands(bands_path)
        placements = files.placements(placements_path, bands_path)
        for setting in CARE_HOME_SETTINGS:
            paid, _, placed = compute.weighted_average_fee(bands, placements, setting)
            if placed:
                schedule, _ = compute.weighted_schedule_rate(bands, placements, setting)
                local.fees[setting] = {"schedule_gbp": schedule, "paid_gbp": paid, "placements": placed}
        # schedule rate ÷ fee paid, both of the file's own year: a ratio, so no price index is needed
        local.sources["fees"] = f"the council's fee schedule and placements ({compute.fee_year(bands)} rates)"
        local.illustrative["fees"] = bool(bands["illustrative"].any() or placements["illustrative"].any())
        local.care_home_shares = care_home_shares(tables, code)
    staff = _latest_local(local_panel, code, "staff_per_1000_65plus")
    if staff is not None:
        peers = local_panel[(local_panel["metric_id"] == "staff_per_1000_65plus") & (local_panel["year"] == staff["year"])
                            & local_panel["council"].isin(comparators) & local_panel["value"].notna()]
        if len(peers):
            local.staffing = {"own_ratio": float(staff["value"]), "comparator_ratio": float(peers["value"].mean()),
                              "comparators_with_value": int(len(peers)), "year": str(staff["year"])}
            local.sources["staffing"] = (f"workforce ({staff['year']}): the council's own file; comparator average of "
                                         f"{len(peers)} of {len(comparators)} comparators")
            local.illustrative["staffing"] = bool(staff["illustrative"] or peers["illustrative"].any())
    return local


def care_home_shares(tables, code: str) -> dict:
    """Residential and nursing care as shares of 65+ long-term care gross spend, from the newest year of
    ASC-FR's long-term care by setting."""
    data = tables.ascfr_datafile
    rows = data[(data["council"] == code) & (data["age_band"] == "65+") & (data["measure"] == "gross_current_expenditure")
                & (data["care_type"] == "long_term")]
    rows = rows[rows["value"].notna()]
    if rows.empty:
        return {}
    year = sorted(rows["year"].astype(str).unique())[-1]
    by_setting = rows[rows["year"] == year].groupby("support_setting")["value"].sum()
    total = by_setting.get("total", np.nan)
    if not total or np.isnan(total):
        return {}
    out = {setting: float(by_setting.get(setting, np.nan) / total) for setting in CARE_HOME_SETTINGS}
    out["year"] = year
    out["source"] = f"ASC-FR {year} long-term care by setting ({rows['source'].astype(str).iloc[0]})"
    return out


def council_budget(tables, council: str, params: BudgetParams | None = None, group: str = "nn", local_root=None, *,
                   comparators: list[str] | None = None, local_panel: pd.DataFrame | None = None, local_files=None) -> Budget:
    """The base budget for one council from the shipped data and its own local files.

    ``comparators`` (ONS codes) replaces the ``group`` method's members, e.g. a user's own list;
    ``local_panel`` is the local metric panel and ``local_files`` the council's files
    (:class:`benchmark.local.panel.LocalFiles`) when the caller has read them already.  A council with no
    base year (abolished, or no return) is a :class:`~benchmark.errors.UserError` saying why.
    """
    from benchmark.comparators import comparator_group
    from benchmark.local.panel import local_metric_panel

    params = params or BudgetParams()
    base_year = data_years.budget_base_year(tables)
    latest_outturn = data_years.latest_outturn_year(tables)
    if params.budget_year is None:
        params = replace(params, budget_year=data_years.default_budget_year(tables))
    params.check(base_year, latest_outturn)
    code = tables.registry.find(council).ons_code
    reason = no_budget_reason(tables, code, base_year)
    if reason:
        raise UserError(reason)
    table = line_table(tables, base_year)
    if comparators is None:
        comparators = list(comparator_group(tables, code, group, year=base_year if group != "nn" else None)["neighbour"])
    growth, growth_how = {}, {}
    for band in GROWTH_BANDS:
        growth[band], growth_how[band] = population_path(tables, band, base_year, params.budget_year, params.demographic_growth_pct)

    model_ratios, model_facts, notes = _needs_model(tables, code)
    needs_ratio = {band: ratio["expected"] for band, ratio in model_ratios.items()}
    local_root = local_root or tables.data_dir / "local"
    if local_panel is None:
        local_panel = local_metric_panel(tables, local_root)
    local = local_inputs(tables, code, comparators, local_panel, local_root, local_files)
    params, skipped = _scenarios_with_inputs(params, local)
    notes += skipped
    own = table.council(code)
    population_65plus = own["population"][own.age_bands == "65+"]
    population_source = "ONS mid-year population " + ", ".join(sorted(tables.population_bands.loc[
        tables.population_bands["year"].astype(str) == mid_year_for(base_year), "source"].astype(str).unique()))
    budget = build_budget(table, code, comparators, params, growth=growth, needs_ratio=needs_ratio, base_year=base_year, local=local,
                          population_65plus=float(population_65plus[0]) if len(population_65plus) else None,
                          latest_outturn=latest_outturn, population_source=population_source)
    budget.expected = expected_spend(budget, model_ratios, model_facts)
    budget.notes = notes + budget.notes + [f"population growth: {how}" for how in dict.fromkeys(
        _growth_note(growth[band], growth_how[band], code) for band in growth)]
    return budget


def _scenarios_with_inputs(params: BudgetParams, local: LocalInputs) -> tuple[BudgetParams, list[str]]:
    """Drop the fee-schedule and staffing scenarios a council has no files for, saying so."""
    kept, notes = [], []
    for scenario in params.scenarios:
        if scenario.needs_fee_schedule and not (local.fees and local.care_home_shares):
            notes.append(f"'{scenario.title}' is not shown: it needs the council's fee schedule and placements files "
                         "and ASC-FR long-term care by setting")
        elif scenario.needs_workforce and not local.staffing:
            notes.append(f"'{scenario.title}' is not shown: it needs the council's workforce file and comparators with one")
        else:
            kept.append(scenario)
    return replace(params, scenarios=tuple(kept)), notes


def _needs_model(tables, code: str) -> tuple[dict, dict, list[str]]:
    """By age band: expected ÷ actual spend per head from the leave-one-out model, and the ends of the
    95% prediction interval ÷ actual; the model year and needs indices."""
    from benchmark.budget.model import fit_expected_spend

    name = tables.registry.council(code).name
    ratios, model_facts, notes = {}, {"year": None}, []
    for band, age in AGE_MODEL.items():
        try:
            model = fit_expected_spend(tables, age)
        except UserError as error:
            model, why = None, f"the {age} expected-spend model could not be fitted ({error})"
        else:
            why = f"{name} is not in the {age} expected-spend model ({model.year})"
        if model is None or code not in model.councils.index:
            notes.append(f"{why}: the needs model scenario is missing for {band}")
            continue
        row = model.councils.loc[code]
        ratios[band] = {key: row[column] / row["actual_gbp"] for key, column in
                        (("expected", "expected_gbp"), ("low", "pi_low_gbp"), ("high", "pi_high_gbp"))}
        model_facts["year"] = model.year
        model_facts[f"needs_index_{age}"] = float(row["needs_index"])
    return ratios, model_facts, notes


def expected_spend(budget: Budget, ratios: dict, model_facts: dict) -> dict:
    """The spend the needs model expects in the budget year: the current pattern's gross on each age
    band's client-group lines × expected ÷ actual for that band (and the interval likewise).

    The model's year may be older than the base year, so its £ are not carried forward by an index:
    the council's position against its need (the ratio) is, on the current pattern's prices and people.
    """
    lines = budget.lines[budget.lines["scenario"] == budget.lines["scenario"].iloc[0]]
    care = np.array([bool(CLIENT_GROUP_LINE.fullmatch(line)) for line in lines["service_line"]], dtype=bool)
    gross_by_line, bands = lines["gross_gbp"].to_numpy(), lines["age_band"].to_numpy()
    out = {**model_facts, "expected_gbp": 0.0, "pi_low_gbp": 0.0, "pi_high_gbp": 0.0}
    for band in AGE_MODEL:
        gross = _strict_sum(gross_by_line[care & (bands == band)])
        ratio = ratios.get(band)
        for key, part in (("expected_gbp", "expected"), ("pi_low_gbp", "low"), ("pi_high_gbp", "high")):
            out[key] += gross * ratio[part] if ratio else np.nan
    out["basis"] = ("the current pattern's gross on the client-group lines of each age band x expected / actual spend per head "
                    f"from the leave-one-out expected-spend models ({model_facts.get('year')}): the council's position against its need, "
                    f"carried to {budget.budget_year}")
    return out
