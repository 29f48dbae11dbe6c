"""The needs-based base budget, built up line by line: volume × unit cost, every choice a parameter.

**Base year**: the newest year in which ASC-FR spend, activity (client weeks) and income are all
in the data (:func:`benchmark.data.years.budget_base_year`; the shipped data has one such year).  **Lines** (:data:`SERVICE_LINES`):

* care homes (residential, nursing; 65+ and 18-64): volume = long-term client weeks (in-house and
  external), unit cost = gross current expenditure ÷ client weeks;
* community and short-term services (home care, direct payments, supported living, other
  community support, short-term support; 65+ and 18-64): ASC-FR records no activity for these, so
  volume = the age group's population and unit cost = spend per head;
* assessment and care management: ASC-FR "social care activities" per head of the 18+
  population, or, where the council supplied a workforce file and the scenario asks for it, FTE
  at a staff ratio × cost per FTE (the two are never both counted);
* less income: other income at a share of gross spend (ASC-FR total income ÷ total expenditure),
  and income from the Better Care Fund (ASC-FR; missing when suppressed, never 0).

**Choices** per scenario (:class:`Scenario`): volume ``own`` | ``comparator`` (the comparator
group's median rate per 1,000 of the age group × the council's population) | ``needs_model`` (own
volume × expected ÷ actual spend per head of the age group from the leave-one-out expected-spend
model); unit cost ``own`` | ``comparator_median`` | ``fee_schedule`` (care homes 65+ only: the
council's placement-weighted weekly fee from its local files); staffing ratio ``own`` |
``comparator_average``; income share ``own`` | ``comparator_median``.

**Rolled forward** to the budget year: volumes by the population growth of the line's age group
(ONS mid-year estimates; past the latest estimate, the ``demographic_growth_pct`` parameter per year), unit
costs by ``fee_inflation_pct`` a year (``pay_inflation_pct`` for staffing).

**Gap** between a scenario and the current pattern, per line: volume effect = (V_s − V_c) × P_c,
price effect = (P_s − P_c) × V_s; the two add up to the line's difference exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd

from benchmark.data import years as data_years
from benchmark.data.tidy import financial_year_start, mid_year_for
from benchmark.errors import UserError

#: Years of population growth over which the council's own trend is measured, when a budget year
#: lies beyond the latest ONS estimate and no growth rate is set.
TREND_YEARS = 5

#: id, label, age group, what selects its spend in ASC-FR, volume kind
SERVICE_LINES = pd.DataFrame(
    [
        ("residential_65plus", "Residential care, 65+", "65+", "long_term", ("residential",), None, "client_weeks"),
        ("nursing_65plus", "Nursing care, 65+", "65+", "long_term", ("nursing",), None, "client_weeks"),
        ("residential_18to64", "Residential care, 18-64", "18-64", "long_term", ("residential",), None, "client_weeks"),
        ("nursing_18to64", "Nursing care, 18-64", "18-64", "long_term", ("nursing",), None, "client_weeks"),
        ("home_care_65plus", "Home care, 65+", "65+", "long_term", ("home_care",), None, "population"),
        ("home_care_18to64", "Home care, 18-64", "18-64", "long_term", ("home_care",), None, "population"),
        ("direct_payments_65plus", "Direct payments, 65+", "65+", "long_term", ("direct_payments",), None, "population"),
        ("direct_payments_18to64", "Direct payments, 18-64", "18-64", "long_term", ("direct_payments",), None, "population"),
        ("supported_living_65plus", "Supported living, 65+", "65+", "long_term", ("supported_living",), None, "population"),
        ("supported_living_18to64", "Supported living, 18-64", "18-64", "long_term", ("supported_living",), None, "population"),
        ("other_community_65plus", "Other community support, 65+", "65+", "long_term",
         ("other_long_term_care", "supported_accommodation", "setting_key_5_undecoded"), None, "population"),
        ("other_community_18to64", "Other community support, 18-64", "18-64", "long_term",
         ("other_long_term_care", "supported_accommodation", "setting_key_5_undecoded"), None, "population"),
        ("short_term_65plus", "Short-term support, 65+", "65+", "short_term", None, None, "population"),
        ("short_term_18to64", "Short-term support, 18-64", "18-64", "short_term", None, None, "population"),
        ("assessment_and_care_management", "Assessment and care management (social care activities)", "18+", "other",
         None, ("social_care_activities",), "population"),
    ],
    columns=["service_line", "label", "age_band", "care_type", "settings", "reasons", "volume_kind"],
).set_index("service_line")

VOLUME_CHOICES = ("own", "comparator", "needs_model")
UNIT_COST_CHOICES = ("own", "comparator_median", "fee_schedule")
RATIO_CHOICES = ("own", "comparator_average")
INCOME_CHOICES = ("own", "comparator_median")
AGE_MODEL = {"65+": "65plus", "18-64": "18to64"}


@dataclass(frozen=True)
class Scenario:
    """How each line's volume and unit cost are chosen."""

    name: str
    description: str
    volume: str = "own"
    unit_cost: str = "own"
    # None: ASC-FR social care activities per head.  "own"/"comparator_average": FTE at that staff ratio ×
    # cost per FTE, replacing the ASC-FR line; the FTE counts the workforce file's roles, so choose the roles
    # and cost per FTE to cover what ASC-FR records as social care activities (not in-house provision).
    staffing_ratio: str | None = None
    income_share: str = "own"

    def check(self) -> None:
        for value, allowed, key in ((self.volume, VOLUME_CHOICES, "volume"), (self.unit_cost, UNIT_COST_CHOICES, "unit_cost"),
                                    (self.income_share, INCOME_CHOICES, "income_share")):
            if value not in allowed:
                raise UserError(f"scenario '{self.name}': unknown {key} choice '{value}' (choose from {', '.join(allowed)})")
        if self.staffing_ratio is not None and self.staffing_ratio not in RATIO_CHOICES:
            raise UserError(f"scenario '{self.name}': unknown staffing_ratio choice '{self.staffing_ratio}' (choose from {', '.join(RATIO_CHOICES)})")


DEFAULT_SCENARIOS = (
    Scenario("current_pattern", "the council's own base-year activity and unit costs, rolled forward"),
    Scenario("comparator_median", "the comparator group's median activity rates and unit costs", "comparator", "comparator_median",
             income_share="comparator_median"),
    Scenario("needs_model", "own unit costs; activity scaled to the spend per head the needs model expects", "needs_model", "own"),
)


@dataclass(frozen=True)
class BudgetParams:
    """Every assumption of the build-up; each is a key of the council's parameter file."""

    budget_year: str | None = None  # None: two years after the newest outturn in the data
    fee_inflation_pct: float = 3.0
    pay_inflation_pct: float = 2.0
    demographic_growth_pct: float | None = None  # per year, for years past the ONS estimates; None: latest ONS trend
    cost_per_fte_gbp: float = 45_000.0
    scenarios: tuple[Scenario, ...] = DEFAULT_SCENARIOS

    def check(self, base_year: str | None = None) -> None:
        if self.budget_year is not None:
            try:
                start = financial_year_start(self.budget_year)
            except ValueError as error:
                raise UserError(f"budget_year: {error}") from None
            if base_year is not None and start < financial_year_start(base_year):
                raise UserError(f"budget_year {self.budget_year} is before the base year {base_year}")
        for name in ("fee_inflation_pct", "pay_inflation_pct", "demographic_growth_pct"):
            value = getattr(self, name)
            if value is not None and not -10.0 <= value <= 25.0:
                raise UserError(f"{name} = {value}: expected a percentage a year between -10 and 25")
        if not 10_000 <= self.cost_per_fte_gbp <= 200_000:
            raise UserError(f"cost_per_fte_gbp = {self.cost_per_fte_gbp}: expected between 10,000 and 200,000")
        names = [s.name for s in self.scenarios]
        if len(set(names)) != len(names):
            raise UserError(f"scenario names must be unique: {', '.join(names)}")
        for scenario in self.scenarios:
            scenario.check()


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
                raise UserError(f"scenario '{entry.get('name', '?')}': unknown key(s) {', '.join(bad)}")
            scenarios.append(Scenario(**{"description": "", **entry}))
        values["scenarios"] = tuple(scenarios)
    params = BudgetParams(**values)
    params.check()
    return params


# ----------------------------------------------------------------------------------------------
# inputs for every council (base year)
# ----------------------------------------------------------------------------------------------

def line_inputs(tables, base_year: str | None = None, measure: str = "gross_current_expenditure") -> pd.DataFrame:
    """council × service line: base-year spend (£, ASC-FR ``measure``), volume and the age group's population.

    Sums are strict: a suppressed component makes the line's spend or volume missing.  Computed
    once per loaded tables (memoised on them): every council's budget reads the same inputs.
    ``base_year`` None: the data's base year (:func:`benchmark.data.years.budget_base_year`).
    """
    base_year = base_year or data_years.budget_base_year(tables)
    return tables.memo(("line_inputs", base_year, measure), lambda: _line_inputs(tables, base_year, measure))


def _line_inputs(tables, base_year: str, measure: str) -> pd.DataFrame:
    # only the columns the lines select on: taking rows of every column of the wide tidy tables is slow
    spend_rows = tables.ascfr_expenditure
    spend_rows = spend_rows.loc[(spend_rows["year"] == base_year) & (spend_rows["measure"] == measure)
                                & (spend_rows["data_type"] == "mandatory"),
                                ["council", "care_type", "age_band", "support_setting", "primary_support_reason", "value"]]
    weeks_rows = tables.ascfr_activity
    weeks_rows = weeks_rows.loc[(weeks_rows["year"] == base_year) & (weeks_rows["data_type"] == "mandatory")
                                & (weeks_rows["care_type"] == "long_term"), ["council", "age_band", "support_setting", "value"]]
    bands = tables.population_bands
    councils = sorted(set(spend_rows["council"].unique()))
    population = (bands[bands["year"] == mid_year_for(base_year)]
                  .pivot_table(index="council", columns="age_band", values="value", aggfunc="sum").reindex(councils))
    # each row's position in ``councils`` (-1: a council with activity but no spend rows, which is left out)
    spend_council = pd.Index(councils).get_indexer(spend_rows["council"])
    weeks_council = pd.Index(councils).get_indexer(weeks_rows["council"])
    spend_values = spend_rows["value"].to_numpy(dtype="float64", na_value=np.nan)
    weeks_values = weeks_rows["value"].to_numpy(dtype="float64", na_value=np.nan)
    frames = []
    for line, spec in SERVICE_LINES.iterrows():
        selected = _one_of(spend_rows["care_type"], (spec["care_type"],))
        if spec["age_band"] != "18+":
            selected = selected & _one_of(spend_rows["age_band"], (spec["age_band"],))
        if isinstance(spec["settings"], tuple):
            selected = selected & _one_of(spend_rows["support_setting"], spec["settings"])
        if isinstance(spec["reasons"], tuple):
            selected = selected & _one_of(spend_rows["primary_support_reason"], spec["reasons"])
        spend = _strict_sums(spend_council[selected], spend_values[selected], len(councils))
        people = population[spec["age_band"]].to_numpy()
        if spec["volume_kind"] == "client_weeks":
            selected = _one_of(weeks_rows["age_band"], (spec["age_band"],)) & _one_of(weeks_rows["support_setting"], spec["settings"])
            volume = _strict_sums(weeks_council[selected], weeks_values[selected], len(councils))
        else:
            volume = people
        frames.append(pd.DataFrame({"council": councils, "service_line": line, "spend_gbp": spend,
                                    "volume": volume, "population": people}))
    out = pd.concat(frames, ignore_index=True)
    out["unit_cost_gbp"] = out["spend_gbp"] / out["volume"].where(out["volume"] > 0)
    out["rate_per_1000"] = out["volume"] / out["population"] * 1000
    return out


def _one_of(column: pd.Series, values: tuple) -> np.ndarray:
    """Rows of ``column`` equal to one of ``values`` (a missing value matches nothing)."""
    return column.isin(values).to_numpy(dtype=bool)


def _strict_sums(council: np.ndarray, values: np.ndarray, councils: int) -> np.ndarray:
    """Sum of ``values`` by council position (0 … ``councils`` − 1, -1 = ignored): missing where any
    component is missing (numpy's sum propagates NaN) or where the council has no rows.

    Each council's values are summed by numpy in their original row order, the same arithmetic as
    ``Series.sum`` on the group; pandas' groupby ``sum`` uses compensated summation instead, which
    can change the last digit of a sum.
    """
    held = council >= 0
    council, values = council[held], values[held]
    order = np.argsort(council, kind="stable")  # stable: keeps each council's rows in their original order
    council, values = council[order], values[order]
    starts = np.flatnonzero(np.diff(council)) + 1
    sums = np.full(councils, np.nan)
    if len(council):
        sums[council[np.r_[0, starts]]] = [group.sum() for group in np.split(values, starts)]
    return sums


def income_shares(tables, base_year: str | None = None) -> pd.Series:
    """Other income as a share of gross expenditure on long- and short-term care, by council
    (memoised on the tables, like :func:`line_inputs`)."""
    base_year = base_year or data_years.budget_base_year(tables)
    return tables.memo(("income_shares", base_year), lambda: _income_shares(tables, base_year))


def _income_shares(tables, base_year: str) -> pd.Series:
    e = tables.ascfr_expenditure
    e = e[(e["year"] == base_year) & (e["data_type"] == "mandatory") & e["care_type"].isin(["long_term", "short_term"])]
    totals = e[e["measure"].isin(["total_income", "total_expenditure"])].pivot_table(index="council", columns="measure", values="value", aggfunc="sum")
    return (totals["total_income"] / totals["total_expenditure"]).rename("income_share")


def population_growth(tables, age_band: str, from_year: str, to_year: str, growth_pct: float | None) -> tuple[pd.Series, str]:
    """Ratio population(to) ÷ population(from) by council for an age group, and how it was found.

    ONS mid-year estimates up to the latest in the data; beyond, the last known year is grown by
    ``growth_pct`` a year, or (None) by the council's own average growth over the last
    :data:`TREND_YEARS` years.
    """
    bands = tables.population_bands
    series = bands[bands["age_band"] == age_band].pivot_table(index="council", columns="year", values="value", aggfunc="sum")
    start, end = int(mid_year_for(from_year)), int(mid_year_for(to_year))
    latest = data_years.latest_population_year(tables)
    known = min(end, latest)
    ratio = series[str(known)] / series[str(start)]
    how = f"ONS mid-year estimates, mid-{start} to mid-{known}"
    if end > known:
        years = end - known
        if growth_pct is None:
            trend = (series[str(latest)] / series[str(latest - TREND_YEARS)]) ** (1 / TREND_YEARS)
            ratio = ratio * trend ** years
            how += f", then the council's own mid-{latest - TREND_YEARS} to mid-{latest} average growth for {years} more year(s)"
        else:
            ratio = ratio * (1 + growth_pct / 100) ** years
            how += f", then {growth_pct:g}% a year for {years} more year(s) (parameter)"
    return ratio, how


# ----------------------------------------------------------------------------------------------
# the build-up for one council
# ----------------------------------------------------------------------------------------------

@dataclass
class Budget:
    council: str
    budget_year: str
    base_year: str
    comparators: list[str]
    lines: pd.DataFrame  # scenario × line
    totals: pd.DataFrame  # one row per scenario
    actual: dict
    expected: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def build_budget(inputs: pd.DataFrame, council: str, comparators: list[str], params: BudgetParams, *,
                 growth: dict[str, pd.Series], income_share: pd.Series, needs_ratio: dict[str, float],
                 fee_rates: dict[str, float] | None = None, staffing: dict | None = None,
                 bcf_income_gbp: float = np.nan, actual: dict | None = None,
                 sources: dict[str, str] | None = None, illustrative: dict[str, bool] | None = None,
                 base_year: str, base_sources: dict[str, str] | None = None) -> Budget:
    """The build-up for ``council`` under every scenario of ``params`` (pure: no data loading).

    ``inputs``: :func:`line_inputs` rows for at least the council and its comparators.
    ``growth``: age band -> population ratio (budget year ÷ base year) by council.
    ``needs_ratio``: age band -> expected ÷ actual spend per head (leave-one-out model).
    ``fee_rates``: {'residential_65plus': £/week, 'nursing_65plus': £/week} from the fee schedule.
    ``staffing``: {'own_fte', 'own_ratio', 'comparator_ratio', 'population_65plus'} (workforce file).
    ``base_year``: the year of ``inputs``; ``base_sources``: the source ids ('a+b') its ASC-FR
    rows come from, by table: 'expenditure', 'activity', 'additional'.
    ``params.budget_year`` must be set (the caller resolves the default from the data).
    """
    params.check(base_year)
    if params.budget_year is None:
        raise ValueError("build_budget needs params.budget_year (council_budget sets the data's default)")
    fee_rates, staffing, sources, illustrative = fee_rates or {}, staffing or {}, sources or {}, illustrative or {}
    cited = {"expenditure": "", "activity": "", "additional": "", **(base_sources or {})}
    years = financial_year_start(params.budget_year) - financial_year_start(base_year)
    fee_uplift = (1 + params.fee_inflation_pct / 100) ** years
    pay_uplift = (1 + params.pay_inflation_pct / 100) ** years
    own = inputs[inputs["council"] == council].set_index("service_line")
    if own.empty:
        raise UserError(f"{council} has no ASC-FR {base_year} spend: a base budget needs the base year")
    group = inputs[inputs["council"].isin(comparators)]
    median_rate = group.groupby("service_line")["rate_per_1000"].median()
    median_cost = group.groupby("service_line")["unit_cost_gbp"].median()

    rows = []
    for scenario in params.scenarios:
        for line, spec in SERVICE_LINES.iterrows():
            base = own.loc[line]
            g = float(growth[spec["age_band"]].get(council, np.nan))
            use_staff = scenario.staffing_ratio is not None and line == "assessment_and_care_management" and staffing
            if use_staff:
                ratio = staffing["own_ratio"] if scenario.staffing_ratio == "own" else staffing["comparator_ratio"]
                volume_base = ratio * staffing["population_65plus"] / 1000
                volume, volume_unit = volume_base * growth["65+"].get(council, np.nan), "FTE"
                unit_cost = params.cost_per_fte_gbp * pay_uplift
                volume_how = f"staff ratio ({scenario.staffing_ratio}) {ratio:.2f} per 1,000 65+, grown with the 65+ population"
                cost_how = f"cost per FTE £{params.cost_per_fte_gbp:,.0f} (parameter) with pay inflation"
                source = sources.get("staffing", "local workforce file")
                is_illustrative = illustrative.get("staffing", False)
            else:
                if scenario.volume == "own":
                    volume_base, volume_how = base["volume"], "own"
                elif scenario.volume == "comparator":
                    volume_base, volume_how = median_rate.get(line, np.nan) * base["population"] / 1000, "comparator median rate per 1,000"
                else:
                    factor = needs_ratio.get(spec["age_band"], np.nan) if spec["age_band"] in AGE_MODEL else 1.0
                    volume_base, volume_how = base["volume"] * factor, f"own × needs model expected/actual ({factor:.3f})"
                volume = volume_base * g
                # per-head lines: the volume is the (need-adjusted) population the spend per head applies to
                volume_unit = "client weeks" if spec["volume_kind"] == "client_weeks" else f"people aged {spec['age_band']}"
                choice = scenario.unit_cost
                if choice == "fee_schedule" and line in fee_rates:
                    cost_base, cost_how = fee_rates[line], "council's fee schedule (placement-weighted weekly fee)"
                elif choice == "fee_schedule":
                    cost_base, cost_how = base["unit_cost_gbp"], "own (no fee schedule for this line)"
                elif choice == "comparator_median":
                    cost_base, cost_how = median_cost.get(line, np.nan), "comparator median"
                else:
                    cost_base, cost_how = base["unit_cost_gbp"], "own"
                unit_cost = cost_base * fee_uplift
                ids = "+".join(filter(None, [cited["expenditure"], cited["activity"] if spec["volume_kind"] == "client_weeks" else ""]))
                source = f"ASC-FR {base_year} ({ids}); ONS population"
                if choice == "fee_schedule" and line in fee_rates:
                    source += "; " + sources.get("fees", "local fee schedule")
                is_illustrative = bool(choice == "fee_schedule" and line in fee_rates and illustrative.get("fees", False))
            amount = volume * unit_cost
            rows.append({
                "scenario": scenario.name, "service_line": line, "label": spec["label"], "age_band": spec["age_band"],
                "volume": volume, "volume_unit": volume_unit, "volume_basis": volume_how,
                "unit_cost_gbp": unit_cost, "unit_cost_basis": cost_how, "amount_gbp": amount,
                "base_year_spend_gbp": base["spend_gbp"], "source": source, "illustrative": is_illustrative,
            })
        share = income_share.get(council, np.nan) if scenario.income_share == "own" else income_share.reindex(comparators).median()
        gross = sum(r["amount_gbp"] for r in rows if r["scenario"] == scenario.name)
        rows.append({"scenario": scenario.name, "service_line": "less_other_income", "label": "Less: client contributions and other income",
                     "age_band": "18+", "volume": gross, "volume_unit": "£ gross spend", "volume_basis": "sum of the lines above",
                     "unit_cost_gbp": -share, "unit_cost_basis": f"income share of gross spend ({scenario.income_share}) {share:.3f}",
                     "amount_gbp": -share * gross, "base_year_spend_gbp": np.nan,
                     "source": f"ASC-FR {base_year} total income ÷ total expenditure ({cited['expenditure']})", "illustrative": False})
        rows.append({"scenario": scenario.name, "service_line": "less_bcf_income", "label": "Less: income from the Better Care Fund",
                     "age_band": "18+", "volume": 1.0, "volume_unit": "year", "volume_basis": "base year, not uplifted",
                     "unit_cost_gbp": -bcf_income_gbp, "unit_cost_basis": f"ASC-FR {base_year} income from the Better Care Fund",
                     "amount_gbp": -bcf_income_gbp, "base_year_spend_gbp": np.nan,
                     "source": f"ASC-FR {base_year} additional data ({cited['additional']})", "illustrative": False})
    lines = pd.DataFrame(rows)
    lines.insert(2, "budget_year", params.budget_year)
    lines.insert(3, "base_year", base_year)
    lines = _explain_gaps(lines, params.scenarios[0].name)
    totals = lines.groupby("scenario", sort=False).agg(
        total_gbp=("amount_gbp", lambda v: v.sum(min_count=1)), lines_missing=("amount_gbp", lambda v: int(v.isna().sum())),
        illustrative=("illustrative", "any")).reset_index()
    gross = lines[~lines["service_line"].str.startswith("less_")].groupby("scenario", sort=False)["amount_gbp"].sum(min_count=1)
    totals["gross_gbp"] = totals["scenario"].map(gross)
    # what the expected-spend model covers: long- and short-term care, without assessment and care management
    care = lines[~lines["service_line"].str.startswith("less_") & (lines["service_line"] != "assessment_and_care_management")]
    totals["care_gross_gbp"] = totals["scenario"].map(care.groupby("scenario", sort=False)["amount_gbp"].sum(min_count=1))
    notes = []
    if np.isnan(bcf_income_gbp):
        notes.append(f"Better Care Fund income is not available for this council in ASC-FR {base_year} (suppressed or not reported): "
                      "the line is missing and the totals do not deduct it")
    return Budget(council, params.budget_year, base_year, list(comparators), lines, totals, actual or {}, notes=notes)


def _explain_gaps(lines: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Volume and price effects of each line against the reference scenario (module docstring)."""
    ref = lines[lines["scenario"] == reference].set_index("service_line")[["volume", "unit_cost_gbp", "amount_gbp"]]
    v_c = lines["service_line"].map(ref["volume"])
    p_c = lines["service_line"].map(ref["unit_cost_gbp"])
    lines["difference_gbp"] = lines["amount_gbp"] - lines["service_line"].map(ref["amount_gbp"])
    lines["volume_effect_gbp"] = (lines["volume"] - v_c) * p_c
    lines["price_effect_gbp"] = (lines["unit_cost_gbp"] - p_c) * lines["volume"]
    return lines


# ----------------------------------------------------------------------------------------------
# gathering the inputs for one council from the shipped and local data
# ----------------------------------------------------------------------------------------------

def _latest_local(panel: pd.DataFrame, council: str, metric_id: str) -> pd.Series | None:
    rows = panel[(panel["council"] == council) & (panel["metric_id"] == metric_id) & panel["value"].notna()]
    return rows.sort_values("year").iloc[-1] if len(rows) else None


def council_budget(tables, council: str, params: BudgetParams | None = None, group: str = "nn", local_root=None, *,
                   comparators: list[str] | None = None, local_panel: pd.DataFrame | None = None) -> Budget:
    """The base budget for one council from the shipped data and its own local files.

    ``comparators`` (ONS codes) replaces the ``group`` method's members, e.g. a user's own list;
    ``local_panel`` is the local metric panel when the caller has it already.  Inputs shared by every
    council (line inputs, income shares, fitted models) are computed once per loaded tables.
    """
    from benchmark.budget.model import fit_expected_spend
    from benchmark.comparators import comparator_group
    from benchmark.local.panel import local_metric_panel

    params = params or BudgetParams()
    base_year = data_years.budget_base_year(tables)
    if params.budget_year is None:
        params = replace(params, budget_year=data_years.default_budget_year(tables))
    params.check(base_year)
    found = tables.registry.find(council)
    code = found.ons_code
    inputs = line_inputs(tables, base_year)
    if inputs[inputs["council"] == code].empty:
        raise UserError(f"{found.name} ({code}) has no ASC-FR {base_year} spend: a base budget needs the base year")
    if comparators is None:
        comparators = list(comparator_group(tables, code, group, year=base_year if group != "nn" else None)["neighbour"])
    growth, growth_how = {}, {}
    for band in ("65+", "18-64", "18+"):
        growth[band], growth_how[band] = population_growth(tables, band, base_year, params.budget_year, params.demographic_growth_pct)

    needs_ratio, expected = {}, {"year": None, "expected_gbp": 0.0, "pi_low_gbp": 0.0, "pi_high_gbp": 0.0}
    notes = []
    for band, age in AGE_MODEL.items():
        model = fit_expected_spend(tables, age)
        if code in model.councils.index:
            row = model.councils.loc[code]
            needs_ratio[band] = row["expected_per_head_gbp"] / row["actual_per_head_gbp"]
            # roll the model year's expected spend forward like the budget: demography and fee inflation
            roll, _ = population_growth(tables, band, model.year, params.budget_year, params.demographic_growth_pct)
            inflate = (1 + params.fee_inflation_pct / 100) ** (financial_year_start(params.budget_year) - financial_year_start(model.year))
            factor = float(roll.get(code, np.nan)) * inflate
            for key in ("expected_gbp", "pi_low_gbp", "pi_high_gbp"):
                expected[key] += row[key] * factor
            expected["year"] = model.year
            expected[f"needs_index_{age}"] = float(row["needs_index"])
        else:
            needs_ratio[band] = np.nan
            notes.append(f"{found.name} is not in the {age} expected-spend model ({model.year}): the needs_model scenario is missing for {band}")
            expected = {key: np.nan for key in expected}
    expected["basis"] = ("leave-one-out expected gross current expenditure on long- and short-term care (65+ and 18-64 models), "
                         f"{expected.get('year')}, rolled forward to {params.budget_year} by demography and fee inflation; "
                         "compare with the scenarios' care_gross_gbp")

    if local_panel is None:
        local_panel = local_metric_panel(tables, local_root or tables.data_dir / "local")
    fee_rates, sources, illustrative, staffing = {}, {}, {}, {}
    for line, metric_id in (("residential_65plus", "care_home_fee_weighted_average_residential_gbp_per_week"),
                            ("nursing_65plus", "care_home_fee_weighted_average_nursing_gbp_per_week")):
        row = _latest_local(local_panel, code, metric_id)
        if row is not None:
            # the schedule's rates are in its own year's prices: deflate to the base year, then uplift like every line
            years = financial_year_start(row["year"]) - financial_year_start(base_year)
            fee_rates[line] = row["value"] / (1 + params.fee_inflation_pct / 100) ** years
            sources["fees"], illustrative["fees"] = f"{row['source']} ({row['year']} fee rates, all client groups)", bool(row["illustrative"])
    staff = _latest_local(local_panel, code, "staff_per_1000_65plus")
    if staff is not None:
        peers = local_panel[(local_panel["metric_id"] == "staff_per_1000_65plus") & (local_panel["year"] == staff["year"])
                            & local_panel["council"].isin(comparators)]
        staffing = {"own_ratio": staff["value"], "comparator_ratio": float(peers["value"].mean()),
                    "population_65plus": float(inputs[(inputs["council"] == code) & (inputs["service_line"] == "residential_65plus")]["population"].iloc[0])}
        sources["staffing"] = f"{staff['source']} ({staff['year']}); comparator average of {int(peers['value'].notna().sum())} councils"
        illustrative["staffing"] = bool(staff["illustrative"] or peers["illustrative"].any())

    add = tables.ascfr_additional
    bcf = add[(add["council"] == code) & (add["year"] == base_year) & (add["measure"] == "income_from_better_care_fund")]["value"]
    own_lines = inputs[inputs["council"] == code]
    net = line_inputs(tables, base_year, "net_current_expenditure")
    base_sources = {name: "+".join(sorted(frame.loc[frame["year"] == base_year, "source"].astype(str).unique()))
                    for name, frame in (("expenditure", tables.ascfr_expenditure), ("activity", tables.ascfr_activity),
                                        ("additional", add))}
    actual = {"year": base_year, "gross_current_expenditure_gbp": float(own_lines["spend_gbp"].sum(min_count=1)),
              "net_current_expenditure_gbp": float(net.loc[net["council"] == code, "spend_gbp"].sum(min_count=1)),
              "basis": f"ASC-FR {base_year} (mandatory rows) for the same service lines, in {base_year} prices; net = after income",
              "source": base_sources["expenditure"]}
    shares = income_shares(tables, base_year)
    budget = build_budget(inputs, code, comparators, params, growth=growth, income_share=shares,
                          needs_ratio=needs_ratio, fee_rates=fee_rates, staffing=staffing,
                          bcf_income_gbp=float(bcf.iloc[0]) if len(bcf) else np.nan, actual=actual,
                          sources=sources, illustrative=illustrative, base_year=base_year, base_sources=base_sources)
    budget.expected = expected
    budget.notes = notes + budget.notes + [f"population growth: {how}" for how in dict.fromkeys(growth_how.values())]
    return budget
