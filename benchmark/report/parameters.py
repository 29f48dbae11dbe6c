"""The report's parameters: one definition drives the notebook's parameters cell, the runner's
strict checks, ``parameters/README.md`` and ``python -m benchmark init-parameters``.

Papermill only warns about a key the notebook does not declare; the runner refuses it, and any value
of the wrong type or outside its allowed values, before a kernel starts.  Codes and years are text.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmark.errors import UserError


@dataclass(frozen=True)
class Parameter:
    name: str
    type: type | tuple[type, ...]
    default: object
    meaning: str
    allowed: tuple | None = None

    @property
    def type_name(self) -> str:
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        return " or ".join("null" if t is type(None) else t.__name__ for t in types)


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("council", str, "E06000045",
              "ONS code of the council the report is about (e.g. E06000045); names and CASSR codes are accepted by the runner and replaced by the ONS code"),
    Parameter("year", (str, type(None)), None, "financial year of the metrics, YYYY-YY; null = each metric's latest year with data"),
    Parameter("comparator_method", (str, type(None)), None,
              "comparator group: null = the default for the council and year (statistical peers on the report's geography year; the nearest-neighbour set of a "
              "government data project, NN.json, only while that year is within NN.json's April 2021 geography; region for Isles of Scilly and City of "
              "London); nn = NN.json's set; statistical = the toolkit's own peers (NHS England's peer-group method); region; type; england; custom = "
              "custom_comparators",
              (None, "nn", "statistical", "region", "type", "england", "custom")),
    Parameter("comparator_k", int, 15, "number of statistical neighbours (comparator_method: statistical)"),
    Parameter("custom_comparators", list, [], "ONS codes or names of the comparator councils (comparator_method: custom)"),
    Parameter("budget_year", (str, type(None)), None,
              "financial year of the base budget, YYYY-YY, from the base year (the newest revenue outturn in the data) to five years after it; null = two "
              "years after the newest outturn"),
    Parameter("fee_inflation_pct", (int, float), 3.0,
              "price inflation, % a year, on every line's running expenses (care fees and everything other than staff), from the base year to the budget year"),
    Parameter("pay_inflation_pct", (int, float), 3.0, "pay inflation, % a year, on every line's employee costs"),
    Parameter("income_inflation_pct", (int, float, type(None)), None,
              "growth of client contributions and other income, % a year on top of volume; null = income moves with its line's gross spend"),
    Parameter("demographic_growth_pct", (int, float, type(None)), None,
              "population growth, % a year, for years after the latest ONS estimate in the data; null = the council's own average growth over up to five years "
              "to that estimate, on the same census basis"),
    Parameter("cost_per_fte_gbp", (int, float), 45_000.0, "cost of one FTE incl. on-costs, in base-year pay (the staffing scenario: change in FTE x this)"),
    Parameter("budget_scenarios", list, [],
              "scenarios of the base budget: list of mappings with name, label, description, volume (own|needs_model), unit_cost "
              "(own|comparator_median|fee_schedule), staffing_ratio (null|own|comparator_average), income_share (own|comparator_median); the first is the "
              "reference; empty = current pattern, comparator median, needs model, care homes at the fee schedule and staffing at the comparators' ratio (the "
              "last two where the council has the files)"),
    Parameter("high_cost_threshold_gbp", (int, float), 1000.0, "weekly cost above which a package counts as high-cost (package extract)"),
    Parameter("review_months", int, 12, "a package is overdue for review after this many months without one"),
    Parameter("price_index", dict, {},
              "the council's price index for real-terms trends: financial year -> index number (e.g. {\"2017-18\": 81.9, \"2024-25\": 100.0}, from the "
              "deflator the council uses, e.g. HM Treasury's GDP deflator); every trend year needs one; empty = trends in cash only"),
    Parameter("plausibility_overrides", list, [],
              "plausibility checks of the council's own files to waive, by rule name: staff_per_1000_65plus (0.1 to 20 staff FTE per 1,000 aged 65+), "
              "care_home_weekly_fee (£100 to £5,000 a week), bcf_pooled_to_minimum (0.5 to 50 times the NHS minimum); only for a figure checked and known to "
              "be right: the report then says the check was waived"),
    Parameter("rag_amber_z", (int, float), 1.0, "robust z-score (in MADs from the comparator median) from which a difference is flagged amber"),
    Parameter("rag_red_z", (int, float), 2.0, "robust z-score from which a difference is flagged red (and beyond the 99.8% funnel limit, where there is one)"),
    Parameter("rag_material_pct", (int, float), 5.0,
              "a difference is a finding (flagged, and worded higher, lower, older ...) only if it is also material: at least this % of the comparator median "
              "(every metric but percentages); otherwise the council is 'similar to' its comparators"),
    Parameter("rag_material_points", (int, float), 0.2,
              "for metrics in % (shares, rates of placements): the difference must be at least this many percentage points to be material"),
    Parameter("rag_material_count", (int, float), 1.0,
              "for rates of people or staff (per 100,000, per 1,000, % of placements): the difference must also come to at least this many people, admissions "
              "or FTE in the council's own population to be material"),
    Parameter("local_dir", (str, type(None)), None, "folder of councils' own files (one sub-folder per ONS code); null = the data folder's 'local'"),
    Parameter("data_dir", (str, type(None)), None, "data folder with a 'raw' folder inside; null = the shipped data"),
    Parameter("shared_dir", (str, type(None)), None, "set by the runner: results shared by every council of a run (computed once)"),
    Parameter("export_dir", (str, type(None)), None,
              "set by the runner: folder the report writes its tables to (metrics.csv, budget.csv, tables.xlsx, headlines.json); null = not written"),
)

BY_NAME = {p.name: p for p in PARAMETERS}
DEFAULTS = {p.name: p.default for p in PARAMETERS}


def check_parameters(values: dict, source: str) -> dict:
    """Every key known, every value of its type and allowed; the full set with defaults filled in.

    ``source`` names the file (or option) the values came from, for the one-line error.
    """
    unknown = sorted(set(values) - set(BY_NAME))
    if unknown:
        raise UserError(f"{source}: unknown parameter key(s) {', '.join(unknown)} (the notebook declares: {', '.join(BY_NAME)})")
    for name, value in values.items():
        parameter = BY_NAME[name]
        types = parameter.type if isinstance(parameter.type, tuple) else (parameter.type,)
        if isinstance(value, bool) or not isinstance(value, types):
            raise UserError(f"{source}: parameter '{name}' must be {parameter.type_name}, found {type(value).__name__} {value!r}")
        if parameter.allowed and value not in parameter.allowed:
            raise UserError(f"{source}: parameter '{name}' must be one of {', '.join(_shown(a) for a in parameter.allowed)}, found {value!r}")
    _check_price_index(values.get("price_index") or {}, source)
    return {**DEFAULTS, **values}


def _check_price_index(index: dict, source: str) -> None:
    """Each key a financial year, each value a positive number (an index, not a rate)."""
    from benchmark.data.tidy import financial_year_start

    for year, number in index.items():
        try:
            financial_year_start(str(year))
        except ValueError:
            raise UserError(f"{source}: price_index: '{year}' is not a financial year (write it as YYYY-YY, quoted)") from None
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not number > 0:
            raise UserError(f"{source}: price_index {year}: expected a positive index number, found {number!r}")


def _shown(value) -> str:
    """A parameter value as a YAML file writes it (None is null)."""
    return "null" if value is None else str(value)


def read_parameter_file(path: Path) -> dict:
    """A council's YAML parameter file, checked strictly (one-line errors naming the file)."""
    import yaml

    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: parameter file not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserError(f"{path}: not a readable YAML parameter file ({first})") from None
    if not isinstance(document, dict):
        raise UserError(f"{path}: expected a mapping of parameter keys to values")
    return check_parameters(document, str(path))


BUDGET_KEYS = ("budget_year", "fee_inflation_pct", "pay_inflation_pct", "income_inflation_pct", "demographic_growth_pct", "cost_per_fte_gbp")


def budget_params(values: dict):
    """The base budget's assumptions (``BudgetParams``) from a full parameter set, checked.

    The report, the runner's checks and ``python -m benchmark budget --params`` all read them here.
    """
    from benchmark.budget.base_budget import params_from_mapping

    mapping = {key: float(values[key]) if isinstance(values[key], int) and key != "budget_year" else values[key]
               for key in BUDGET_KEYS}
    if values.get("budget_scenarios"):
        mapping["scenarios"] = list(values["budget_scenarios"])
    return params_from_mapping(mapping)


def readme_table() -> str:
    """The markdown table of every key, for parameters/README.md."""
    lines = ["| key | type | allowed values | default | meaning |", "|---|---|---|---|---|"]
    for p in PARAMETERS:
        allowed = ", ".join(f"`{_shown(a)}`" for a in p.allowed) if p.allowed else "-"
        default = "null" if p.default is None else f"`{p.default}`"
        lines.append(f"| `{p.name}` | {p.type_name} | {allowed} | {default} | {p.meaning} |")
    return "\n".join(lines) + "\n"


def resolved_comparator_method(tables, values: dict) -> str:
    """The comparator method a parameter set means: its own, or (null) the default for its council and
    the report's geography year (:func:`benchmark.comparators.default_method`)."""
    if values.get("comparator_method"):
        return values["comparator_method"]
    from benchmark.comparators import default_method
    from benchmark.metrics.stats import group_year

    code = tables.registry.find(values["council"], values.get("year")).ons_code
    return default_method(tables, code, group_year(tables, code, values.get("year")))
