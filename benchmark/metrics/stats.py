"""Comparator statistics for every metric, council and year, in one vectorised pass.

Input: the long metric panel (:func:`benchmark.metrics.compute.metric_panel`) and a table of
comparator pairs (council -> neighbour, optionally per year, from
:func:`benchmark.comparators.comparator_pairs`).  Each council's group is its comparators *without*
the council itself; only comparators with a value for the metric and year count.

Definitions (per council, year, metric):

* ``n``: comparators with a value; ``mean``, ``median``, ``min``, ``max`` of their values;
  ``q1``, ``q3``: 25th and 75th percentiles by linear interpolation between order statistics
  (pandas/numpy ``linear``, R type 7).
* ``rank``: position of the council's value among itself and its comparators, 1 = highest, ties
  share the lowest rank ('min' method), i.e. 1 + number of comparators with a strictly higher
  value; ``rank_of`` = n + 1.
* ``mad``: median absolute deviation of the comparators' values from their median (the council
  excluded), unscaled; ``robust_z`` = (value - median) / (1.4826 x mad), the 1.4826 factor making
  it comparable to a z-score for normal data; missing when mad is 0.
* Funnel limits (``kind == 'rate'`` metrics with denominators), following NHS-R FunnelPlotR's
  additive random-effects adjustment (Spiegelhalter 2005), on the metric's own (untransformed)
  scale with a normal approximation:

  - target = pooled comparator rate = multiplier x sum(numerators) / sum(denominators);
  - standard error for denominator d: Poisson model (counts, and money, per unit of denominator)
    s = sqrt(multiplier x target / d); binomial model (percentages) s = multiplier x
    sqrt(p (1 - p) / d) with p = target / multiplier;
  - comparators' z = (y - target) / s, winsorised at their 10th and 90th percentiles (linear);
    phi = mean(z_w^2); tau^2 = max(0, (n phi - (n - 1)) / (sum w - sum w^2 / sum w)), w = 1/s^2;
  - limits for the council = target +/- z_a sqrt(s_council^2 + tau^2), z_a = 1.959964 (95%) and
    3.090232 (99.8%), lower limits floored at 0 (and binomial upper limits capped at 100%).
  The limits' formula is :func:`benchmark.metrics.funnel.funnel_limits`, which the report's funnel
  charts draw with too; where tau^2 cannot be estimated (fewer than two comparators with a
  denominator) there are no limits.
  For money per head the Poisson standard error is tiny and tau^2 carries the between-council
  spread, so the limits are close to target +/- z_a x (between-council SD): the normal
  approximation with group spread.  ``outside_95`` / ``outside_998``: value beyond those limits.
* ``gap``: (reference - value) x denominator / multiplier in natural units (``gap_unit``), where
  the reference is the comparator median (mean for staffing): £ for spend per head, £ for unit
  costs (x client weeks), FTE for staff per 1,000 65+, admissions for ASCOF rates.  Positive =
  the council is below the reference.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.comparators import comparator_pairs, describe_method, load_config, resolve_custom
from benchmark.data.tidy import financial_year_start
from benchmark.errors import UserError
from benchmark.metrics.compute import metric_panel
from benchmark.metrics.funnel import Z95, Z998, funnel_limits, standard_error  # Z95, Z998: part of this module's API too
from benchmark.metrics.registry import metric_table

MAD_SCALE = 1.4826
KEYS = ["council", "year", "metric_id"]
STAT_COLUMNS = ["comparators_illustrative", "n", "mean", "median", "q1", "q3", "min", "max", "rank", "rank_of", "mad", "robust_z", "target", "phi",
                "tau2", "lower_95", "upper_95", "lower_998", "upper_998", "outside_95", "outside_998", "gap", "gap_unit"]


def _encode(panel: pd.DataFrame, pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Integer codes for council, year and metric, so that grouping is on one int64 key."""
    councils = pd.Index(pd.unique(pd.concat([panel["council"], pairs["council"], pairs["neighbour"]]).astype(str)))
    years = pd.Index(pd.unique(panel["year"].astype(str)))
    metric_ids = pd.Index(pd.unique(panel["metric_id"].astype(str)))
    coded = pd.DataFrame({
        "c": councils.get_indexer(panel["council"].astype(str)), "y": years.get_indexer(panel["year"].astype(str)),
        "m": metric_ids.get_indexer(panel["metric_id"].astype(str)),
        "value": panel["value"].to_numpy(float), "num": panel["numerator"].to_numpy(float),
        "den": panel["denominator"].to_numpy(float),
        "illustrative": (panel["illustrative"].fillna(False).astype(bool).to_numpy() if "illustrative" in panel.columns
                         else np.zeros(len(panel), dtype=bool)),
    })
    coded_pairs = pd.DataFrame({"c": councils.get_indexer(pairs["council"].astype(str)),
                                "nb": councils.get_indexer(pairs["neighbour"].astype(str))})
    if "year" in pairs.columns:
        coded_pairs["y"] = years.get_indexer(pairs["year"].astype(str))
        coded_pairs = coded_pairs[coded_pairs["y"] >= 0]
    return coded, coded_pairs.drop_duplicates(), len(years), len(metric_ids)


def comparator_stats(panel: pd.DataFrame, pairs: pd.DataFrame, metrics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Statistics (module docstring) for every (council, year, metric) row of ``panel``.

    ``pairs`` has columns council, neighbour and optionally year (groups that change by year).
    Returns ``panel``'s key and value columns followed by :data:`STAT_COLUMNS`, in panel order.
    """
    metrics = metric_table() if metrics is None else metrics
    panel = panel.reset_index(drop=True)
    pairs = pairs[pairs["council"] != pairs["neighbour"]]
    coded, coded_pairs, n_years, n_metrics = _encode(panel, pairs)
    coded["gid"] = (coded["c"].astype(np.int64) * n_years + coded["y"]) * n_metrics + coded["m"]
    values = coded.loc[coded["value"].notna(), ["c", "y", "m", "value", "num", "den", "illustrative"]].rename(
        columns={"c": "nb", "value": "x", "num": "x_num", "den": "x_den", "illustrative": "x_illustrative"})
    on = ["nb", "y"] if "y" in coded_pairs.columns else ["nb"]
    members = coded_pairs.merge(values, on=on, how="inner")
    members["gid"] = (members["c"].astype(np.int64) * n_years + members["y"]) * n_metrics + members["m"]
    members = members[members["gid"].isin(coded["gid"])]
    grouped = members.groupby("gid", sort=False)["x"]
    out = pd.DataFrame({
        "n": grouped.count(), "mean": grouped.mean(), "median": grouped.median(),
        "q1": grouped.quantile(0.25), "q3": grouped.quantile(0.75), "min": grouped.min(), "max": grouped.max(),
        # any statistic resting on a comparator's example (ILLUSTRATIVE) value is itself illustrative
        "comparators_illustrative": members.groupby("gid", sort=False)["x_illustrative"].any(),
    })
    subject_value = pd.Series(coded["value"].to_numpy(), index=coded["gid"])
    members["median"] = out["median"].reindex(members["gid"]).to_numpy()
    members["value"] = subject_value.reindex(members["gid"]).to_numpy()
    out["mad"] = (members["x"] - members["median"]).abs().groupby(members["gid"], sort=False).median()
    out["_higher"] = (members["x"] > members["value"]).groupby(members["gid"], sort=False).sum()
    stats = out.reindex(coded["gid"]).reset_index(drop=True)
    stats.insert(0, "value", coded["value"])
    for column in KEYS + ["denominator"]:
        stats[column] = panel[column].to_numpy()
    stats["n"] = stats["n"].fillna(0).astype(int)
    stats["comparators_illustrative"] = stats["comparators_illustrative"].fillna(False).astype(bool)
    has_value = stats["value"].notna()
    stats["rank"] = pd.array(np.where(has_value, stats["_higher"].fillna(0) + 1, np.nan), dtype="Int64")
    stats["rank_of"] = pd.array(np.where(has_value, stats["n"] + 1, np.nan), dtype="Int64")
    stats["robust_z"] = (stats["value"] - stats["median"]) / (MAD_SCALE * stats["mad"].where(stats["mad"] > 0))
    stats = stats.drop(columns="_higher")
    stats = _funnel(stats, coded["gid"], members, panel["metric_id"].astype(str), metrics)
    metric_of = panel["metric_id"].astype(str)
    gap_reference = metric_of.map(metrics["gap_reference"])
    reference = np.where(gap_reference == "mean", stats["mean"], stats["median"])
    multiplier = metric_of.map(metrics["multiplier"]).astype(float)
    stats["gap"] = ((reference - stats["value"]) * stats["denominator"] / multiplier).where(gap_reference.notna())
    stats["gap_unit"] = metric_of.map(metrics["gap_unit"])
    return stats[KEYS + ["value"] + STAT_COLUMNS]


def _funnel(stats: pd.DataFrame, gid: pd.Series, members: pd.DataFrame, metric_of: pd.Series, metrics: pd.DataFrame) -> pd.DataFrame:
    """Add target, phi, tau2, limits and flags for rate metrics (see module docstring)."""
    mult_of = metric_of.map(metrics["multiplier"]).astype(float).to_numpy()
    binomial_of = (metric_of.map(metrics["error_model"]) == "binomial").to_numpy()
    is_rate = (metric_of.map(metrics["kind"]) == "rate").to_numpy()
    per_gid = pd.DataFrame({"mult": mult_of, "binomial": binomial_of, "rate": is_rate}, index=gid.to_numpy())
    per_gid = per_gid[~per_gid.index.duplicated()]
    m = members[(members["x_den"] > 0) & members["x_num"].notna()].copy()
    m = m[per_gid["rate"].reindex(m["gid"]).to_numpy()]
    m["mult"] = per_gid["mult"].reindex(m["gid"]).to_numpy()
    m["binomial"] = per_gid["binomial"].reindex(m["gid"]).to_numpy()
    g = m.groupby("gid", sort=False)
    agg = pd.DataFrame({"_num": g["x_num"].sum(), "_den": g["x_den"].sum(), "_nf": g["x"].count(), "_mult": g["mult"].first()})
    agg["target"] = agg["_mult"] * agg["_num"] / agg["_den"]
    m["target"] = agg["target"].reindex(m["gid"]).to_numpy()
    m["s"] = standard_error(m["target"], m["x_den"], m["mult"], m["binomial"])
    m["z"] = (m["x"] - m["target"]) / m["s"]
    zg = m.groupby("gid", sort=False)["z"]
    m["zlo"] = zg.quantile(0.10).reindex(m["gid"]).to_numpy()
    m["zhi"] = zg.quantile(0.90).reindex(m["gid"]).to_numpy()
    m["zw2"] = m["z"].clip(m["zlo"], m["zhi"]) ** 2
    m["w"] = 1.0 / m["s"] ** 2
    m["w2"] = m["w"] ** 2
    g = m.groupby("gid", sort=False)
    agg["phi"] = g["zw2"].mean()
    sw, sw2 = g["w"].sum(), g["w2"].sum()
    denominator = sw - sw2 / sw
    agg["tau2"] = ((agg["_nf"] * agg["phi"] - (agg["_nf"] - 1)) / denominator.where(denominator > 0)).clip(lower=0)
    for column in ("target", "phi", "tau2"):
        stats[column] = agg[column].reindex(gid).to_numpy()
    for label, z in (("95", Z95), ("998", Z998)):
        lower, upper = funnel_limits(stats["target"], stats["tau2"], stats["denominator"], mult_of, binomial_of, z)
        stats[f"lower_{label}"], stats[f"upper_{label}"] = lower, upper
        outside = (stats["value"] < stats[f"lower_{label}"]) | (stats["value"] > stats[f"upper_{label}"])
        known = stats["value"].notna() & stats[f"lower_{label}"].notna()
        stats[f"outside_{label}"] = pd.array(np.where(known, outside, pd.NA), dtype="boolean")
    return stats


# ----------------------------------------------------------------------------------------------
# groups for all councils and years; one council's table
# ----------------------------------------------------------------------------------------------

def panel_pairs(tables, panel: pd.DataFrame, method: str = "nn", k: int | None = None,
                custom: list[str] | None = None) -> pd.DataFrame:
    """Comparator pairs for every year of ``panel`` (council, neighbour, year)."""
    if method == "nn":
        return comparator_pairs(tables, "nn", None)[["council", "neighbour"]]
    years = sorted(panel["year"].unique())
    frames = [comparator_pairs(tables, method, year, k, custom)[["council", "neighbour"]].assign(year=year) for year in years]
    return pd.concat(frames, ignore_index=True)


def all_comparator_stats(tables, method: str = "nn", k: int | None = None, local_panel: pd.DataFrame | None = None,
                         panel: pd.DataFrame | None = None, custom: list[str] | None = None) -> pd.DataFrame:
    """Comparator statistics for every council, year and metric under one grouping method."""
    panel = metric_panel(tables, local_panel) if panel is None else panel
    return comparator_stats(panel, panel_pairs(tables, panel, method, k, custom))


def group_year(tables, council: str, year: str | None = None) -> str:
    """The geography year of a council's comparator group: ``year`` when given, otherwise the newest
    revenue outturn year in the data (the report's headline year: 2024-25 councils on the shipped
    data).  A council that did not exist in that year takes its last year (abolished) or its first
    (created later)."""
    from benchmark.data.years import latest_outturn_year

    found = tables.registry.council(council)
    if year is None:
        try:
            year = latest_outturn_year(tables)
        except UserError:  # a data folder without revenue outturn: the configured geography year
            year = load_config()["default_year"]
    if not found.exists_in(year):
        abolished_before = found.last_year and financial_year_start(found.last_year) < financial_year_start(year)
        year = found.last_year if abolished_before else (found.first_year or year)
    return year


def report_pairs(tables, councils: list[str], method: str = "nn", k: int | None = None, custom: list[str] | None = None,
                 year: str | None = None) -> pd.DataFrame:
    """Each council's one comparator group: columns council, neighbour (ONS codes), no year column,
    so the same councils serve every metric and every year (a member with no value in a year does
    not count there, and the report says how many of the group a figure rests on).

    The group is resolved for each council's :func:`group_year` of ``year``; NN.json's sets are one
    geography (April 2021) whatever the year.  A council with no group under ``method`` simply has
    no rows (callers say why); a custom list naming the council itself, a council twice or an
    unknown council is refused (:func:`benchmark.comparators.resolve_custom`).
    """
    by_year: dict[str, list[str]] = {}
    for code in councils:
        by_year.setdefault(group_year(tables, code, year), []).append(code)
    frames = [pd.DataFrame(columns=["council", "neighbour"])]
    for geography_year, codes in by_year.items():
        if method == "custom":
            for code in codes:
                members = resolve_custom(tables, custom or [], geography_year, council=code)
                frames.append(pd.DataFrame({"council": code, "neighbour": members}))
            continue
        pairs = comparator_pairs(tables, method, None if method == "nn" else geography_year, k)
        frames.append(pairs.loc[pairs["council"].isin(codes), ["council", "neighbour"]])
    pairs = pd.concat(frames, ignore_index=True).astype(str)
    return pairs[pairs["council"] != pairs["neighbour"]].drop_duplicates().reset_index(drop=True)


def council_metrics(tables, council: str, year: str | None = None, group: str = "nn", k: int | None = None,
                    local_panel: pd.DataFrame | None = None, custom: list[str] | None = None,
                    panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per metric for one council: definition, value, year, source and comparator statistics.

    Each metric is shown for ``year``, or, when ``year`` is None, for its own latest year in which
    the council has a value (the latest year listing the council if it never has one).  The
    comparator group is one set of councils for every metric (:func:`report_pairs`, on the
    :func:`group_year` of ``year``).  ``attrs['group']`` describes it.
    """
    found = tables.registry.find(council, year)
    code = found.ons_code
    panel = metric_panel(tables, local_panel) if panel is None else panel
    own = council_rows(panel, code, year)
    config = load_config()
    k = int(k or config["k"])
    if group == "custom" and not custom:
        raise UserError("the custom comparator group needs a list of councils")
    if group == "statistical" and code in config["excluded"]:
        raise UserError(f"{found.name} ({code}) is excluded from statistical peer groups (config/neighbours.toml)")
    geography_year = group_year(tables, code, year)
    pairs = report_pairs(tables, [code], group, k, custom, year)
    if pairs.empty:
        if group == "nn":
            raise UserError(f"{found.name} ({code}) has no set in NN.json ({describe_method('nn')})")
        raise UserError(f"{found.name} ({code}) has no comparator group under method '{group}' ({geography_year})")
    others = panel[panel["council"].isin(set(pairs["neighbour"])) & panel["metric_id"].isin(own["metric_id"])]
    stats = comparator_stats(pd.concat([own, others], ignore_index=True), pairs)
    stats = stats[stats["council"] == code].drop(columns="value")
    description = describe_method(group, k, geography_year, custom)
    return metric_rows(own, stats.drop(columns=["council"]), year, description, code, found.name)


def council_rows(panel: pd.DataFrame, code: str, year: str | None) -> pd.DataFrame:
    """The council's panel rows for ``year``, or for each metric its latest year with a value (the
    latest year listing the council if it never has one)."""
    own = panel[panel["council"] == code]
    if year is not None:
        return own[own["year"] == year]
    ordered = own.assign(_has=own["value"].notna()).sort_values(["metric_id", "_has", "year"])
    return ordered.drop_duplicates("metric_id", keep="last").drop(columns="_has")


def metric_rows(own: pd.DataFrame, stats: pd.DataFrame, year: str | None, description: str, code: str, name: str) -> pd.DataFrame:
    """One row per registered metric for one council: its panel row (``own``) beside its comparator
    statistics (``stats``, keyed by metric_id and year), in the column order of :func:`council_metrics`."""
    metrics = metric_table()
    table = metrics.reset_index(drop=True)[["id", "label", "unit", "definition", "polarity", "kind"]].merge(
        own[["metric_id", "year", "value", "source", "illustrative", "missing_reason"]], left_on="id", right_on="metric_id", how="left")
    table = table.merge(stats, on=["metric_id", "year"], how="left").drop(columns="metric_id")
    no_row = table["year"].isna()
    table.loc[no_row, "missing_reason"] = (f"not available for {year}" if year else "no data for this council")
    table["comparators_illustrative"] = table["comparators_illustrative"].fillna(False).astype(bool)
    # the row rests on example data if the council's value does or any comparator's value does
    table["value_illustrative"] = table["illustrative"].fillna(False).astype(bool)
    table["illustrative"] = table["value_illustrative"] | table["comparators_illustrative"]
    table["n"] = table["n"].astype("Int64")
    table["source"] = table["source"].fillna(table["id"].map(metrics["source"]))
    table["comparator_group"] = description
    table = table[["id", "label", "value", "unit", "year", "source", "illustrative", "value_illustrative", *STAT_COLUMNS,
                   "missing_reason", "polarity", "kind", "definition", "comparator_group"]]
    table.attrs.update({"group": description, "council": code, "council_name": name})
    return table.reset_index(drop=True)
