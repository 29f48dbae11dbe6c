"""The local metric panel (input to the metrics engine) and the per-council local summary.

``local_metric_panel`` returns one row per council, financial year and metric with the columns of
:data:`PANEL_COLUMNS`.  It covers every council in the national comparator files
(``<local_root>/national/``) plus every council with its own folder ``<local_root>/<ONS code>/``.
A council's own file wins over its national row for the same year.  Where a metric cannot be
computed, the row is kept with ``value`` missing and ``missing_reason`` saying why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.data.tidy import COUNCIL_CODE_PATTERN
from benchmark.errors import DataError, Problem
from benchmark.local import compute, plausibility, schemas
from benchmark.local.disclosure import CAPTION as DISCLOSURE_CAPTION
from benchmark.paths import DEFAULT_LOCAL_ROOT

PANEL_COLUMNS = ["council", "year", "metric_id", "value", "numerator", "denominator", "unit", "source", "illustrative", "missing_reason"]

#: Local input files, by key, as named in a council folder.
FILES = {
    "workforce": "workforce.csv",
    "bcf_plan": "bcf_plan.csv",
    "fee_bands": "care_home_fee_bands.csv",
    "placements": "care_home_placements.csv",
    "packages": "packages.csv",
}
NATIONAL_FILES = {"workforce": "national/workforce_by_council.csv", "bcf": "national/bcf_pooled_by_council.csv"}

#: metric id -> (unit, local file keys it needs)
METRICS = {
    "staff_per_1000_65plus": ("staff_fte_per_1000_population_65plus", ("workforce",)),
    "bcf_pooled_gbp": ("gbp", ("bcf_plan",)),
    "bcf_pooled_to_minimum_ratio": ("ratio", ("bcf_plan",)),
    "care_home_fee_weighted_average_residential_gbp_per_week": ("gbp_per_week", ("fee_bands", "placements")),
    "care_home_fee_weighted_average_nursing_gbp_per_week": ("gbp_per_week", ("fee_bands", "placements")),
    "care_home_fee_band_count": ("bands", ("fee_bands",)),
    "care_home_placements_above_band_pct": ("pct", ("fee_bands", "placements")),
    "package_weekly_cost_median_gbp": ("gbp_per_week", ("packages",)),
    "packages_overdue_review_pct": ("pct", ("packages",)),
}
SUPPRESSION_REASON = "suppressed (disclosure control: a count below 5, or a figure that would give one away, from client-level data; see docs/local-data.md)"


@dataclass
class LocalParams:
    """Assumptions of the local metrics; every one is a parameter of the council's parameter file."""

    roles: tuple[str, ...] | None = None          # workforce roles counted (None = all roles)
    include_agency: bool = False                   # add agency FTE to staff in post
    high_cost_threshold_gbp: float = 1000.0        # weekly cost at or above which a package is high-cost
    review_months: int = 12                        # a package not reviewed for longer is overdue
    reference_date: str | None = None              # date reviews are measured at (default: latest date in the extract)
    simplified_rates: dict = field(default_factory=dict)  # {setting or (setting, need_level): £/week}; empty = band-weighted average
    comparators: tuple[str, ...] | None = None     # comparator councils (default: nearest neighbours)
    plausibility_overrides: tuple[str, ...] = ()   # plausibility rules waived (benchmark.local.plausibility.RULES)


def missing_reason_for(council: str, file: str | None = None) -> str:
    """Why a local metric is missing for ``council``: which file to supply and where."""
    what = file or "the local input files"
    return f"no local data supplied: put {what} in data/local/{council}/ (see docs/local-data.md)"


def council_paths(council: str, local_root: Path = DEFAULT_LOCAL_ROOT, overrides: dict[str, Path | str] | None = None) -> dict[str, Path]:
    """Where each local input of ``council`` lives: ``<local_root>/<code>/<file>`` unless overridden."""
    paths = {key: Path(local_root) / council / name for key, name in FILES.items()}
    for key, path in (overrides or {}).items():
        if key not in FILES:
            raise DataError(Problem("parameter file", f"unknown local input '{key}' (known: {', '.join(FILES)})"))
        paths[key] = Path(path)
    return paths


def _source(path: Path, local_root: Path) -> str:
    local_root = Path(local_root).resolve()
    try:
        return str(Path(local_root.parent.name) / local_root.name / Path(path).resolve().relative_to(local_root))
    except ValueError:
        return str(path)


def councils_with_folders(local_root: Path) -> list[str]:
    root = Path(local_root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and COUNCIL_CODE_PATTERN.match(p.name))


def _row(council, year, metric_id, value=np.nan, numerator=np.nan, denominator=np.nan, source="", illustrative=False, missing_reason=pd.NA):
    return {"council": council, "year": year, "metric_id": metric_id, "value": value, "numerator": numerator,
            "denominator": denominator, "unit": METRICS[metric_id][0], "source": source, "illustrative": bool(illustrative),
            "missing_reason": missing_reason}


# ---------------------------------------------------------------------------------------------
# per-council local rows
# ---------------------------------------------------------------------------------------------

class LocalFiles:
    """The local files read during one call (or one report), each read once.

    Reading validates every row and is most of the cost of a local metric; ``local_summary``
    without a panel would otherwise read the council's files twice (for the panel, then for its
    tables), and a report's budget (``benchmark.budget.base_budget.local_inputs``) reads the fee
    schedule and placements its fee tables have read.  The frames are shared, so callers must not
    change them in place.
    """

    def __init__(self) -> None:
        self._frames: dict[tuple, pd.DataFrame] = {}

    def _once(self, key: tuple, read) -> pd.DataFrame:
        if key not in self._frames:
            self._frames[key] = read()
        return self._frames[key]

    def workforce(self, path: Path) -> pd.DataFrame:
        return self._once(("workforce", Path(path)), lambda: schemas.read_workforce(path))

    def bcf_plan(self, path: Path) -> pd.DataFrame:
        return self._once(("bcf_plan", Path(path)), lambda: schemas.read_bcf_plan(path))

    def fee_bands(self, path: Path) -> pd.DataFrame:
        return self._once(("fee_bands", Path(path)), lambda: schemas.read_fee_bands(path))

    def placements(self, path: Path, bands_path: Path) -> pd.DataFrame:
        """Placements checked against the fee schedule in ``bands_path``."""
        return self._once(("placements", Path(path), Path(bands_path)),
                          lambda: schemas.read_placements(path, self.fee_bands(bands_path), bands_path))

    def packages(self, path: Path) -> pd.DataFrame:
        return self._once(("packages", Path(path)), lambda: schemas.read_packages(path))


def _workforce_rows(tables, council, path, local_root, params, population_65, files):
    workforce = files.workforce(path)
    file_source = _source(path, local_root)
    by_year = compute.workforce_fte_by_year(workforce, params.roles, params.include_agency)
    notes = _check_staff_ratio(tables, council, path, workforce, by_year, params, population_65)
    file_source = plausibility.with_notes(file_source, notes)
    rows = []
    for r in by_year.itertuples():
        pop = compute.population_65_plus(tables.population_bands, council, r.year, by_council=population_65)
        source = f"{file_source}; ONS mid-{pop.mid_year if pop else r.year[:4]} 65+ population"
        if pop is None:
            rows.append(_row(council, r.year, "staff_per_1000_65plus", numerator=r.fte, source=source, illustrative=r.illustrative,
                             missing_reason="no ONS 65+ population for this council"))
            continue
        if pop.note:
            source += f" ({pop.note})"
        rows.append(_row(council, r.year, "staff_per_1000_65plus", compute.staff_per_1000(r.fte, pop.value), r.fte, pop.value,
                         source, r.illustrative))
    return rows


def _check_staff_ratio(tables, council, path, workforce, by_year, params, population_65) -> list[str]:
    """The staff ratio of each year against its plausibility rule; notes of waived checks.

    The ratio is a sum over roles, so the error names the row with the largest FTE: where a
    mistyped figure most likely is."""
    checked = []
    for r in by_year.itertuples():
        pop = compute.population_65_plus(tables.population_bands, council, r.year, by_council=population_65)
        if pop is None:
            continue
        lines = workforce[workforce["as_at_date"] == r.as_at_date]
        if params.roles is not None:
            lines = lines[lines["role"].isin(list(params.roles))]
        largest = lines["fte"].idxmax()
        checked.append({"ratio": compute.staff_per_1000(r.fte, pop.value), "row": largest,
                        "detail": f"{r.year}: {r.fte:,.1f} FTE at {r.as_at_date:%Y-%m-%d} per {pop.value:,.0f} people aged 65+ in "
                                  f"mid-{pop.mid_year}; the largest fte, {lines.at[largest, 'fte']:,.1f}, is on this row"})
    if not checked:
        return []
    frame = pd.DataFrame(checked)
    found = plausibility.findings(frame, "ratio", plausibility.RULES["staff_per_1000_65plus"], path,
                                  rows=frame["row"], details=frame["detail"], file_column="fte")
    return plausibility.settle(found, params.plausibility_overrides)


def _check_bcf_ratio(path, plan, year, pooled, minimum, overrides) -> list[str]:
    """Pooled ÷ minimum of one year against its rule, naming the largest contribution line."""
    contributions = plan[(plan["financial_year"] == year) & (plan["line_type"] == "contribution")]
    if not len(contributions) or not minimum or np.isnan(minimum):
        return []
    largest = contributions["amount_gbp"].idxmax()
    frame = pd.DataFrame({"ratio": [pooled / minimum]}, index=[largest])
    detail = pd.Series([f"{year}: pooled £{pooled:,.0f} over the minimum £{minimum:,.0f}; the largest contribution, "
                        f"£{contributions.at[largest, 'amount_gbp']:,.0f}, is on this row"], index=[largest])
    found = plausibility.findings(frame, "ratio", plausibility.RULES["bcf_pooled_to_minimum"], path, details=detail, file_column="amount_gbp")
    return plausibility.settle(found, overrides)


def _bcf_rows(council, path, local_root, national_minimum, files, overrides=()):
    plan = files.bcf_plan(path)
    file_source = _source(path, local_root)
    rows = []
    for r in compute.bcf_by_year(plan).itertuples():
        minimum, min_source = r.minimum_gbp, file_source
        if np.isnan(minimum) and (council, r.year) in national_minimum:
            minimum, min_source = national_minimum[(council, r.year)]
            min_source = f"{file_source}; minimum from {min_source}"
        notes = _check_bcf_ratio(path, plan, r.year, r.pooled_gbp, minimum, overrides)
        source, min_source = plausibility.with_notes(file_source, notes), plausibility.with_notes(min_source, notes)
        rows.append(_row(council, r.year, "bcf_pooled_gbp", r.pooled_gbp, r.pooled_gbp, np.nan, source, r.illustrative,
                         pd.NA if not np.isnan(r.pooled_gbp) else "no contribution lines in the BCF plan"))
        ratio = r.pooled_gbp / minimum if minimum and not np.isnan(minimum) else np.nan
        rows.append(_row(council, r.year, "bcf_pooled_to_minimum_ratio", ratio, r.pooled_gbp, minimum, min_source, r.illustrative,
                         pd.NA if not np.isnan(ratio) else "no NHS minimum requirement: add a minimum_requirement line to bcf_plan.csv"))
    return rows


def _fee_rows(council, bands_path, placements_path, local_root, files, overrides=()):
    bands = files.fee_bands(bands_path)
    year = compute.fee_year(bands)
    fee_rule = plausibility.RULES["care_home_weekly_fee"]
    band_notes = plausibility.settle(plausibility.findings(bands, "weekly_rate_gbp", fee_rule, bands_path), overrides)
    source_b = plausibility.with_notes(_source(bands_path, local_root), band_notes)
    rows = [_row(council, year, "care_home_fee_band_count", float(len(bands)), float(len(bands)), np.nan, source_b,
                 bands["illustrative"].any())]
    if not Path(placements_path).is_file():
        reason = missing_reason_for(council, FILES["placements"])
        for metric in ("care_home_fee_weighted_average_residential_gbp_per_week", "care_home_fee_weighted_average_nursing_gbp_per_week",
                       "care_home_placements_above_band_pct"):
            rows.append(_row(council, year, metric, missing_reason=reason))
        return rows
    placements = files.placements(placements_path, bands_path)
    placement_notes = plausibility.settle(plausibility.findings(placements, "weekly_fee_paid_gbp", fee_rule, placements_path), overrides)
    illustrative = bool(bands["illustrative"].any() or placements["illustrative"].any())
    source = plausibility.with_notes(f"{source_b}; {_source(placements_path, local_root)}", placement_notes)
    for setting in schemas.CARE_HOME_SETTINGS:
        average, total, n = compute.weighted_average_fee(bands, placements, setting)
        rows.append(_row(council, year, f"care_home_fee_weighted_average_{setting}_gbp_per_week", average, total, float(n), source,
                         illustrative, pd.NA if n else f"no {setting} placements in {FILES['placements']}"))
    above, n = compute.above_band(bands, placements)
    rows.append(_row(council, year, "care_home_placements_above_band_pct", above / n * 100 if n else np.nan, float(above), float(n),
                     source, illustrative, pd.NA if n else "no placements"))
    return rows


def _package_rows(council, path, local_root, params, files):
    packages = files.packages(path)
    h = compute.package_headlines(packages, high_cost_threshold_gbp=params.high_cost_threshold_gbp,
                                  review_months=params.review_months, reference_date=params.reference_date)
    source = f"{_source(path, local_root)} (reference date {h['reference_date']})"
    illustrative = packages["illustrative"].any()
    n = h["packages_count"]  # NaN when the extract itself has fewer than 5 packages
    rows = []
    if np.isnan(n):
        rows.append(_row(council, h["year"], "package_weekly_cost_median_gbp", source=source, illustrative=illustrative, missing_reason=SUPPRESSION_REASON))
        rows.append(_row(council, h["year"], "packages_overdue_review_pct", source=source, illustrative=illustrative, missing_reason=SUPPRESSION_REASON))
        return rows
    rows.append(_row(council, h["year"], "package_weekly_cost_median_gbp", h["weekly_cost_median_gbp"], np.nan, n, source, illustrative))
    if np.isnan(h["overdue_review_count"]):
        rows.append(_row(council, h["year"], "packages_overdue_review_pct", np.nan, np.nan, n, source, illustrative, SUPPRESSION_REASON))
    else:
        rows.append(_row(council, h["year"], "packages_overdue_review_pct", h["overdue_review_pct"], h["overdue_review_count"],
                         n, source, illustrative))
    return rows


def council_local_rows(tables, council: str, local_root: Path = DEFAULT_LOCAL_ROOT, params: LocalParams | None = None,
                       paths: dict[str, Path] | None = None, national_minimum: dict | None = None) -> list[dict]:
    """Panel rows from one council's own files (missing rows, with the reason, for absent files)."""
    return _council_rows(tables, council, local_root, params, paths, national_minimum, None, LocalFiles())


def _council_rows(tables, council, local_root, params, paths, national_minimum, population_65, files) -> list[dict]:
    """:func:`council_local_rows`; ``population_65`` (:func:`compute.populations_65_plus` of the
    tables, or None to build it here) and ``files`` are shared by the councils of one panel."""
    params = params or LocalParams()
    paths = paths or council_paths(council, local_root)
    have = {key: Path(p).is_file() for key, p in paths.items()}
    rows = []
    if have["workforce"]:
        if population_65 is None:  # one council: its own rows are enough
            bands = tables.population_bands
            population_65 = compute.populations_65_plus(bands[bands["council"] == council])
        rows += _workforce_rows(tables, council, paths["workforce"], local_root, params, population_65, files)
    if have["bcf_plan"]:
        rows += _bcf_rows(council, paths["bcf_plan"], local_root, national_minimum or {}, files, params.plausibility_overrides)
    if have["fee_bands"]:
        rows += _fee_rows(council, paths["fee_bands"], paths["placements"], local_root, files, params.plausibility_overrides)
    if have["packages"]:
        rows += _package_rows(council, paths["packages"], local_root, params, files)
    return rows


# ---------------------------------------------------------------------------------------------
# the panel
# ---------------------------------------------------------------------------------------------

def _national_rows(tables, local_root: Path, population_65: dict) -> tuple[list[dict], dict]:
    rows, minimum = [], {}
    wf_path = Path(local_root) / NATIONAL_FILES["workforce"]
    if wf_path.is_file():
        national = compute.national_workforce_fte(schemas.read_national_workforce(wf_path))
        file_source = _source(wf_path, local_root)
        for r in national.itertuples():
            pop = compute.population_65_plus(tables.population_bands, r.council, r.year, by_council=population_65)
            source = file_source
            if pop is None or np.isnan(r.fte):
                rows.append(_row(r.council, r.year, "staff_per_1000_65plus", numerator=r.fte, source=source, illustrative=r.illustrative,
                                 missing_reason="no ONS 65+ population for this council" if pop is None else "FTE not reported in the national file"))
                continue
            source += f"; ONS mid-{pop.mid_year} 65+ population" + (f" ({pop.note})" if pop.note else "")
            rows.append(_row(r.council, r.year, "staff_per_1000_65plus", compute.staff_per_1000(r.fte, pop.value), r.fte, pop.value,
                             source, r.illustrative))
    bcf_path = Path(local_root) / NATIONAL_FILES["bcf"]
    if bcf_path.is_file():
        source = _source(bcf_path, local_root)
        for r in schemas.read_national_bcf(bcf_path).itertuples():
            minimum[(r.council, r.financial_year)] = (r.minimum_gbp, source)
            rows.append(_row(r.council, r.financial_year, "bcf_pooled_gbp", r.pooled_gbp, r.pooled_gbp, np.nan, source, r.illustrative,
                             pd.NA if not np.isnan(r.pooled_gbp) else "pooled budget not reported in the national file"))
            ratio = r.pooled_gbp / r.minimum_gbp if r.minimum_gbp else np.nan
            rows.append(_row(r.council, r.financial_year, "bcf_pooled_to_minimum_ratio", ratio, r.pooled_gbp, r.minimum_gbp, source,
                             r.illustrative, pd.NA if not np.isnan(ratio) else "pooled budget or minimum not reported in the national file"))
    return rows, minimum


def local_metric_panel(tables, local_root: Path = DEFAULT_LOCAL_ROOT, params: LocalParams | None = None,
                       paths: dict[str, dict[str, Path]] | None = None) -> pd.DataFrame:
    """Every council's local metrics (national comparator files + councils' own folders).

    ``paths`` optionally maps a council code to explicit input paths ({key: path}, keys of
    :data:`FILES`), as named in its parameter file; such a council is included even without a folder.
    One row per (council, year, metric_id); a council's own figure replaces its national row.
    """
    return _metric_panel(tables, Path(local_root), params, paths, LocalFiles())


def _metric_panel(tables, local_root: Path, params, paths, files: LocalFiles) -> pd.DataFrame:
    """:func:`local_metric_panel`, reading the councils' files through ``files``."""
    # the ONS 65+ populations as one look-up for the whole panel (one scan of the table, not one per row)
    population_65 = compute.populations_65_plus(tables.population_bands)
    national, minimum = _national_rows(tables, local_root, population_65)
    councils = sorted(set(councils_with_folders(local_root)) | set(paths or {}))
    local = []
    for council in councils:
        cpaths = council_paths(council, local_root, (paths or {}).get(council))
        local += _council_rows(tables, council, local_root, params, cpaths, minimum, population_65, files)
    frame = pd.DataFrame(local + national, columns=PANEL_COLUMNS)
    frame = frame.drop_duplicates(["council", "year", "metric_id"], keep="first")  # own files first
    # missing rows: every council in the panel gets every metric at least once
    latest_year = {m: g["year"].max() for m, g in frame.groupby("metric_id")}
    fallback = frame["year"].max() if len(frame) else None
    present = set(zip(frame["council"], frame["metric_id"], strict=True))
    missing = []
    for council in sorted(frame["council"].unique()):
        lacking = [metric_id for metric_id in METRICS if (council, metric_id) not in present]
        if not lacking:
            continue
        cpaths = council_paths(council, local_root, (paths or {}).get(council))
        have = {key: path.is_file() for key, path in cpaths.items()}  # once per council, not once per metric
        for metric_id in lacking:
            needs = METRICS[metric_id][1]
            absent = [FILES[k] for k in needs if not have[k]] or [FILES[needs[0]]]
            missing.append(_row(council, latest_year.get(metric_id, fallback), metric_id, source="",
                                missing_reason=missing_reason_for(council, " and ".join(absent))))
    frame = pd.concat([frame, pd.DataFrame(missing, columns=PANEL_COLUMNS)], ignore_index=True) if missing else frame
    frame = frame.astype({"council": "string", "year": "string", "metric_id": "string", "unit": "string", "source": "string",
                          "missing_reason": "string", "illustrative": bool,
                          "value": "float64", "numerator": "float64", "denominator": "float64"})
    return frame.sort_values(["council", "metric_id", "year"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# the richer per-council summary for the report
# ---------------------------------------------------------------------------------------------

def comparator_councils(tables, council: str, params: LocalParams) -> list[str]:
    if params.comparators:
        return list(params.comparators)
    nn = tables.nearest_neighbours
    return list(nn.loc[nn["council"] == council, "neighbour"])


def local_summary(tables, council: str, local_root: Path = DEFAULT_LOCAL_ROOT, params: LocalParams | None = None,
                  paths: dict[str, Path] | None = None, panel: pd.DataFrame | None = None,
                  files: LocalFiles | None = None) -> dict[str, pd.DataFrame]:
    """Tables for one council's report.  Keys present only where the inputs exist:

    ``workforce`` (rate, comparator average, FTE gap), ``workforce_by_role``, ``bcf`` (pooled,
    minimum, ratio, rank and quartile among councils), ``bcf_contributions``, ``fee_schedule``,
    ``fee_spread``, ``fee_simplified``, ``package_headlines``, ``package_distribution_by_reason``,
    ``package_distribution_by_age`` (all package tables disclosure-controlled), and always
    ``panel`` (this council's panel rows), ``plausibility_overrides`` (one ``note`` per
    plausibility check waived by the parameter file for this council's figures; empty when none,
    for the report to print) and ``notes`` (which repeat them).  ``files``: the files read so far,
    for a caller that reads them again (a report's budget); by default, a new :class:`LocalFiles`.
    """
    params = params or LocalParams()
    local_root = Path(local_root)
    cpaths = council_paths(council, local_root, paths)
    files = files or LocalFiles()  # shared with the panel built here, so no file is read twice
    if panel is None:
        panel = _metric_panel(tables, local_root, params, {council: cpaths} if paths else None, files)
    out: dict[str, pd.DataFrame] = {"panel": panel[panel["council"] == council].reset_index(drop=True)}
    notes = []
    comparators = comparator_councils(tables, council, params)

    if cpaths["workforce"].is_file():
        out.update(_workforce_tables(files, cpaths, panel, council, comparators))
    if cpaths["bcf_plan"].is_file():
        out.update(_bcf_tables(files, cpaths, panel, council))
    if cpaths["fee_bands"].is_file():
        out.update(_fee_tables(files, cpaths, params))
    if cpaths["packages"].is_file():
        out.update(_package_tables(files, cpaths, params))
        notes.append(f"package figures: {DISCLOSURE_CAPTION} (docs/local-data.md)")

    waived = plausibility.override_notes(out["panel"]["source"].dropna())
    out["plausibility_overrides"] = pd.DataFrame({"note": waived}, dtype="string")
    notes += waived
    for key, name in FILES.items():
        if not cpaths[key].is_file():
            notes.append(missing_reason_for(council, name))
    if out["panel"]["illustrative"].any():
        notes.append("ILLUSTRATIVE: some figures are built on generated example data, not the council's real data")
    out["notes"] = pd.DataFrame({"note": notes})
    return out


def _workforce_tables(files: LocalFiles, cpaths: dict[str, Path], panel: pd.DataFrame, council: str,
                      comparators: list[str]) -> dict[str, pd.DataFrame]:
    """``workforce`` (the council's staff rate each year beside its comparators' average, and the FTE
    gap to it) and ``workforce_by_role`` (the latest return, by role)."""
    workforce = files.workforce(cpaths["workforce"])
    staff = panel[(panel["metric_id"] == "staff_per_1000_65plus")]
    comparator_staff = staff[staff["council"].isin(comparators)]
    comparators_illustrative = bool(comparator_staff["illustrative"].any())
    rows = []
    for r in staff[staff["council"] == council].itertuples():
        peers = comparator_staff[comparator_staff["year"] == r.year]["value"].dropna()
        average = float(peers.mean()) if len(peers) else np.nan
        rows.append({"year": r.year, "staff_fte": r.numerator, "population_65plus": r.denominator, "staff_per_1000_65plus": r.value,
                     "comparator_average": average, "comparators_with_data": len(peers),
                     "fte_gap_to_comparator_average": compute.fte_gap(r.value, average, r.denominator) if len(peers) else np.nan,
                     "source": r.source, "illustrative": r.illustrative or comparators_illustrative})
    out = {"workforce": pd.DataFrame(rows)}
    latest = workforce[workforce["as_at_date"] == workforce["as_at_date"].max()]
    out["workforce_by_role"] = latest[["role", "fte", "headcount", "vacancies_fte", "agency_fte"]].reset_index(drop=True)
    return out


def _bcf_tables(files: LocalFiles, cpaths: dict[str, Path], panel: pd.DataFrame, council: str) -> dict[str, pd.DataFrame]:
    """``bcf`` (the pooled fund and its ratio to the NHS minimum each year, ranked among councils) and
    ``bcf_contributions`` (the plan's contributions by source)."""
    plan = files.bcf_plan(cpaths["bcf_plan"])
    pooled = panel[panel["metric_id"] == "bcf_pooled_gbp"]
    ratio = panel[panel["metric_id"] == "bcf_pooled_to_minimum_ratio"]
    rows = []
    for r in pooled[pooled["council"] == council].itertuples():
        year_values = pooled[pooled["year"] == r.year].set_index("council")["value"]
        year_ratio = ratio[ratio["year"] == r.year].set_index("council")
        pos = compute.rank_and_quartile(year_values, council)
        rpos = compute.rank_and_quartile(year_ratio["value"], council)
        rows.append({"year": r.year, "pooled_gbp": r.value, "minimum_gbp": year_ratio["denominator"].get(council, np.nan),
                     "ratio_to_minimum": year_ratio["value"].get(council, np.nan),
                     "rank_pooled": pos[0] if pos else pd.NA, "quartile_pooled": pos[1] if pos else pd.NA,
                     "rank_ratio": rpos[0] if rpos else pd.NA, "quartile_ratio": rpos[1] if rpos else pd.NA,
                     "councils_ranked": pos[2] if pos else 0, "source": r.source, "illustrative": r.illustrative})
    return {"bcf": pd.DataFrame(rows), "bcf_contributions": compute.bcf_contribution_split(plan)}


def _fee_tables(files: LocalFiles, cpaths: dict[str, Path], params: LocalParams) -> dict[str, pd.DataFrame]:
    """``fee_spread`` (each setting's lowest and highest band rate) and, with the placements file,
    ``fee_schedule`` (placements and fees paid per band) and ``fee_simplified`` (one rate per need level)."""
    bands = files.fee_bands(cpaths["fee_bands"])
    out = {"fee_spread": compute.fee_band_spread(bands)}
    if cpaths["placements"].is_file():
        placements = files.placements(cpaths["placements"], cpaths["fee_bands"])
        out["fee_schedule"] = compute.fee_schedule_table(bands, placements)
        out["fee_simplified"] = compute.simplified_schedule(bands, placements, params.simplified_rates or None)
    return out


def _package_tables(files: LocalFiles, cpaths: dict[str, Path], params: LocalParams) -> dict[str, pd.DataFrame]:
    """``package_headlines`` and the distributions of packages by primary support reason and by age
    band (disclosure-controlled)."""
    packages = files.packages(cpaths["packages"])
    headlines = compute.package_headlines(packages, high_cost_threshold_gbp=params.high_cost_threshold_gbp,
                                          review_months=params.review_months, reference_date=params.reference_date)
    return {
        "package_headlines": pd.DataFrame([headlines]),
        "package_distribution_by_reason": compute.package_distribution(packages, "primary_support_reason"),
        "package_distribution_by_age": compute.package_distribution(packages, "age_band"),
    }
