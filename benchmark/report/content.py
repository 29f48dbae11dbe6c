"""What one council's report shows: pure functions over the package's results, no data of its own.

``ReportContent.build(params)`` gathers, once, everything the report needs for one council (from the
run's shared results when ``shared_dir`` is set, otherwise computed directly), and
``report.section(key)`` returns each :class:`Section` with an active title stating its finding,
paragraphs, tables (each with source, year and an ILLUSTRATIVE label where example data is used)
and charts with alt text.  The runner uses :func:`council_tables` (tables by name, for
``metrics.csv``, ``budget.csv`` and ``tables.xlsx``) and :func:`headlines` (figures for the run's
index page).

RAG flags (:func:`rag_flags`): a difference from the comparator median is statistically *large* when
``|robust_z| >= rag_red_z`` or the value lies outside the 99.8% funnel limit, *notable* when
``|robust_z| >= rag_amber_z``.  It is a finding only if it is also material (``rag_material_pct`` of
the median, ``rag_material_points`` for percentages, ``rag_material_count`` people or FTE for rates
of them: :func:`material_difference`) and the two figures do not round to the same shown value;
otherwise the council is "similar to" its comparators, and no text calls it higher, lower, older.
Where the metric's polarity says which direction is worse, a large worse finding is RED, a notable
one AMBER, and a better one GREEN; metrics of polarity ``neither`` get no colour, only the word
DIFFERENT.  Text always carries the word, never colour alone.

The comparator group is resolved once (:attr:`ReportContent.members`, for the group's geography
year) and every chart, table, flag and statistic uses exactly those councils.
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.errors import UserError
from benchmark.report import charts
from benchmark.report.formatting import display_frame, fmt, local_file_words, millions, money, plain_words, pounds, short_fmt
from benchmark.report.formatting import is_missing as _missing
from benchmark.metrics.registry import ASCOF_SURVEY_METRICS
from benchmark.report.parameters import PARAMETERS, budget_params, check_parameters, resolved_comparator_method

SECTIONS = ("summary", "context", "spend", "workforce", "bcf", "fees", "packages", "budget", "sources", "glossary")
SECTION_NAMES = {
    "summary": "Summary of key messages", "context": "Context", "spend": "Spend per head and unit costs",
    "workforce": "Workforce", "bcf": "Better Care Fund", "fees": "Care home fees", "packages": "Package costs",
    "budget": "Needs-based base budget with scenarios", "sources": "Data sources, years and caveats", "glossary": "Glossary",
}
GROUP_PHRASE = {"nn": "similar councils", "statistical": "its statistical neighbours", "region": "other councils in its region",
                "type": "councils of the same type", "england": "other English councils", "custom": "its chosen comparators"}
ILLUSTRATIVE_NOTE = "ILLUSTRATIVE: rests on generated example data, not real figures"
ILLUSTRATIVE_COMPARATORS_NOTE = ("ILLUSTRATIVE comparison: the council's own figure is from its files, but the comparator "
                                 "figures are generated example data, not real")


def illustrative_note(row) -> str:
    """Which part of a metric row rests on example data: the comparison only, or the figure itself."""
    if not row["illustrative"]:
        return ""
    comparison_only = bool(row.get("comparators_illustrative")) and not bool(row.get("value_illustrative", True))
    return f" {ILLUSTRATIVE_COMPARATORS_NOTE if comparison_only else ILLUSTRATIVE_NOTE}."


# ----------------------------------------------------------------------------------------------
# formatting: benchmark.report.formatting (the run's index uses it without loading the charts)
# ----------------------------------------------------------------------------------------------

def cite(source: str | None, short: bool = True) -> str:
    """Readable citation for ``+``-joined source ids (benchmark.data.sources); other text as is."""
    from benchmark.data.sources import SOURCES_BY_ID

    if _missing(source) or not str(source):
        return "n/a"
    parts = []
    for token in re.split(r"\+(?! )", str(source)):  # ids are joined by "+"; "65+ population" is words
        s = SOURCES_BY_ID.get(token.strip())
        if s is None:
            token = token.strip()
            parts.append(local_file_words(token) if token.startswith("data/") else table_words(token))
        elif short:
            parts.append(f"{s.publisher}, {s.title.split(',')[0]} ({s.years})")
        else:
            parts.append(f"{s.publisher}, {s.title} ({s.years}), {s.licence}")
    return "; ".join(dict.fromkeys(parts))


def source_ids(text: str | None) -> list[str]:
    """Source ids (benchmark.data.sources) named in ``text``."""
    from benchmark.data.sources import SOURCES_BY_ID

    if _missing(text):
        return []
    return [token for token in re.findall(r"[a-z0-9_]+", str(text)) if token in SOURCES_BY_ID]


def pct_difference(value, reference) -> float:
    if _missing(value) or _missing(reference) or float(reference) == 0:
        return float("nan")
    return (float(value) / float(reference) - 1) * 100


def _esc(text) -> str:
    return html.escape(plain_words(str(text)))


# ----------------------------------------------------------------------------------------------
# RAG flags
# ----------------------------------------------------------------------------------------------

def rag_flags(metrics: pd.DataFrame, amber_z: float = 1.0, red_z: float = 2.0, material_pct: float = 5.0,
              material_points: float = 0.2, material_count: float = 1.0) -> pd.DataFrame:
    """Columns ``direction``, ``difference`` (large / notable / similar / n/a), ``rag`` (RED, AMBER,
    GREEN or missing), ``flag`` (the words a reader sees) and ``similar_because`` for a council_metrics
    frame (with ``unit``; ``difference_count`` where the difference can be counted).

    A difference is a finding (large or notable) only when it is all of: statistically notable
    (module docstring), material (:func:`material_difference`) and visible (the value and the median
    do not round to the same figure as shown).  Anything else is "similar to comparators", with the
    reason; only findings are worded higher, lower, better or worse.
    """
    value = pd.to_numeric(metrics["value"], errors="coerce").astype(float)
    median = pd.to_numeric(metrics["median"], errors="coerce").astype(float)
    z = pd.to_numeric(metrics["robust_z"], errors="coerce").astype(float).abs()
    outside = metrics["outside_998"].astype("boolean").fillna(False).astype(bool) if "outside_998" in metrics else pd.Series(False, index=metrics.index)
    known = value.notna() & median.notna()
    statistically_large = (z >= red_z) | outside
    statistically_notable = statistically_large | (z >= amber_z)
    material, threshold = material_difference(metrics, material_pct, material_points, material_count)
    same_shown = pd.Series([fmt(v, u) == fmt(m, u) for v, m, u in zip(value, median, metrics["unit"], strict=True)], index=metrics.index)
    finding = known & statistically_notable & material & ~same_shown
    large = finding & statistically_large
    notable = finding & ~large
    direction = pd.Series(np.where(value > median, "higher", np.where(value < median, "lower", "same")), index=metrics.index)
    direction = direction.where(finding, "similar").where(known, "n/a")
    polarity = metrics["polarity"].astype(str)
    worse = ((polarity == "lower_better") & (direction == "higher")) | ((polarity == "higher_better") & (direction == "lower"))
    better = ((polarity == "lower_better") & (direction == "lower")) | ((polarity == "higher_better") & (direction == "higher"))
    rag = pd.Series(pd.NA, index=metrics.index, dtype="string")
    rag[large & worse] = "RED"
    rag[notable & worse] = "AMBER"
    rag[finding & better] = "GREEN"
    difference = pd.Series(np.select([~known, large, notable], ["n/a", "large", "notable"], "similar"), index=metrics.index)
    # why a known difference is not a finding, most telling reason first
    similar = known & ~finding
    because = pd.Series("", index=metrics.index, dtype=object)
    because[similar & ~statistically_notable] = "within the comparators' usual spread"
    because[similar & ~material] = "too small to matter: under " + threshold[similar & ~material]
    because[similar & same_shown] = "the same figure as shown"
    flags = []
    for i in metrics.index:
        if difference[i] == "n/a":
            reason = metrics["missing_reason"].get(i) if "missing_reason" in metrics else None
            flags.append("n/a: " + (str(reason) if not _missing(reason) and str(reason) else "no value or no comparators with values"))
            continue
        if difference[i] == "similar":
            flags.append(f"similar to comparators ({because[i]})")
            continue
        much = "much " if difference[i] == "large" else ""
        if pd.notna(rag[i]):
            verdict = "worse" if rag[i] in ("RED", "AMBER") else "better"
            flags.append(f"{rag[i]}: {much}{direction[i]} than comparators ({verdict})")
        else:
            flags.append(f"DIFFERENT: {much}{direction[i]} than comparators (neither better nor worse in itself)")
    return pd.DataFrame({"direction": direction, "difference": difference, "rag": rag, "flag": flags, "similar_because": because},
                        index=metrics.index)


def is_finding(row) -> bool:
    """Whether a metric row's difference from its comparators is a finding (notable, material and
    visible: :func:`rag_flags`), the only case in which the report says higher, lower, older ..."""
    return row.get("difference") in ("large", "notable")


def material_difference(metrics: pd.DataFrame, material_pct: float = 5.0, material_points: float = 0.2,
                        material_count: float = 1.0) -> tuple[pd.Series, pd.Series]:
    """(material, threshold text) per row: is the difference from the comparator median large enough
    to matter, whatever its statistics?

    * percentages (unit ``pct``): at least ``material_points`` percentage points;
    * everything else: at least ``material_pct`` % of the comparator median;
    * and where the difference can be counted (``difference_count``: people, admissions, FTE in the
      council's own population), at least ``material_count`` of them: 0.3 against 0.1 delayed
      transfers per 100,000 is three times the median but less than one person.
    """
    value = pd.to_numeric(metrics["value"], errors="coerce").astype(float)
    median = pd.to_numeric(metrics["median"], errors="coerce").astype(float)
    gap = (value - median).abs()
    is_pct = metrics["unit"].astype(str) == "pct"
    large_enough = pd.Series(np.where(is_pct, gap >= material_points, gap >= material_pct / 100 * median.abs()), index=metrics.index)
    threshold = pd.Series(np.where(is_pct, f"{material_points:g} percentage points", f"{material_pct:g}% of the median"), index=metrics.index)
    count = pd.to_numeric(metrics.get("difference_count", pd.Series(np.nan, index=metrics.index)), errors="coerce").astype(float)
    too_few = count.notna() & (count < material_count)
    # where only the count fails, the threshold named is the count's
    count_text = pd.Series([f"{material_count:g} in the council's own numbers (it comes to {c:.1f})" for c in count.fillna(0)], index=metrics.index)
    threshold = threshold.where(~(large_enough & too_few), count_text)
    return (large_enough & ~too_few).astype(bool), threshold


# ----------------------------------------------------------------------------------------------
# the metrics table from shared statistics (same rows and values as council_metrics)
# ----------------------------------------------------------------------------------------------

def metrics_from_stats(tables, code: str, name: str, panel: pd.DataFrame, stats: pd.DataFrame, year: str | None,
                       description: str) -> pd.DataFrame:
    """:func:`benchmark.metrics.stats.council_metrics` for one council from precomputed statistics."""
    from benchmark.metrics.stats import council_rows, metric_rows

    own = council_rows(panel, code, year)
    stats = stats[stats["council"] == code].drop(columns=["value", "council"])
    return metric_rows(own, stats, year, description, code, name)


def with_group_coverage(metrics: pd.DataFrame, panel: pd.DataFrame, members: list[str]) -> pd.DataFrame:
    """``metrics`` with ``group_size`` (the comparator group's councils) and ``comparator_councils``
    (ONS codes, ';'-joined, of the members with a value for that metric and year: the councils its
    statistics rest on, ``n`` of them), for metrics.csv."""
    rows = panel[panel["council"].isin(members) & panel["value"].notna()]
    by_metric_year = rows.groupby(["metric_id", "year"], sort=False)["council"].agg(lambda codes: ";".join(sorted(set(codes.astype(str)))))
    keys = pd.MultiIndex.from_arrays([metrics["id"], metrics["year"]])
    out = metrics.copy()
    out["group_size"] = len(members)
    out["comparator_councils"] = by_metric_year.reindex(keys).fillna("").to_numpy()
    return out


COUNTED_GAP_UNITS = ("count", "fte", "placements", "packages")  # gap units that count people, admissions or staff


def with_counted_difference(metrics: pd.DataFrame, panel: pd.DataFrame, code: str) -> pd.DataFrame:
    """``metrics`` with ``difference_count``: what the difference from the comparator median comes to
    in the council's own numbers (|value - median| x its denominator / multiplier: people, admissions,
    FTE, placements), for rates of people or staff; missing for money and levels."""
    from benchmark.metrics.registry import metric_table

    spec = metric_table()
    own = panel[panel["council"] == code].drop_duplicates(["metric_id", "year"]).set_index(["metric_id", "year"])["denominator"]
    denominator = own.reindex(pd.MultiIndex.from_arrays([metrics["id"], metrics["year"]])).to_numpy(float)
    multiplier = metrics["id"].map(spec["multiplier"]).astype(float).to_numpy()
    counted = metrics["id"].map(spec["gap_unit"]).isin(COUNTED_GAP_UNITS).to_numpy()
    difference = (pd.to_numeric(metrics["value"], errors="coerce") - pd.to_numeric(metrics["median"], errors="coerce")).abs().to_numpy(float)
    out = metrics.copy()
    out["difference_count"] = np.where(counted, difference * denominator / multiplier, np.nan)
    return out


# ----------------------------------------------------------------------------------------------
# sections
# ----------------------------------------------------------------------------------------------

#: What each table shows, said first in its caption (the captions otherwise open with their sources, so a screen reader
#: listing the tables would hear several alike); tables not named here have captions that say it already.
TABLE_TITLES = {
    "headline_messages": "Key messages", "context": "The council's population and deprivation beside its comparators",
    "spend_current": "Spend in the latest year", "budget_outturn": "Budget against outturn", "spend": "Spend by service",
    "unit_costs": "Unit costs", "outcomes": "Outcomes for people", "workforce": "Workforce", "workforce_by_role": "Workforce by role",
    "bcf": "Better Care Fund plan", "bcf_contributions": "Better Care Fund contributions by source",
    "bcf_comparison": "Better Care Fund against the comparators", "fee_schedule": "Care home fee bands",
    "fee_spread": "Spread of care home fee bands", "fee_simplified": "Care home fees under a simplified schedule",
    "package_headlines": "Care packages: headline figures",
    "package_distribution_by_reason": "Weekly cost of care packages by setting and primary support reason",
    "package_distribution_by_age": "Weekly cost of care packages by setting and age band",
    "package_unit_costs": "Unit costs beside the care packages", "budget_reconciliation": "Base budget reconciled with the outturn",
    "budget_scenarios": "Base budget by line in each scenario", "budget_roll_forward": "Base budget rolled forward year by year",
    "budget_gap": "Each scenario's difference from the current pattern",
}


@dataclass
class Table:
    name: str
    frame: pd.DataFrame
    caption: str

    def to_html(self) -> str:
        body = display_frame(self.frame).to_html(index=False, na_rep="n/a", escape=True, border=0, classes="report-table")
        # a real <caption> and column headers a screen reader announces; a wide table scrolls in a named region that the
        # keyboard can reach (tabindex), so it can be scrolled without a mouse
        label = "table-" + re.sub(r"[^a-z0-9]+", "-", self.name.lower())
        title = f" {_esc(TABLE_TITLES[self.name])}." if self.name in TABLE_TITLES else ""
        caption = f'<caption id="{label}"><b>Table:{title}</b> {_esc(self.caption)}</caption>'
        body = re.sub(r"<table\b[^>]*>", lambda m: m.group(0) + caption, body, count=1).replace("<th>", '<th scope="col">')
        return f'<div class="table-scroll" role="region" aria-labelledby="{label}" tabindex="0">{body}</div>'


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)  # plain text, escaped on output
    tables: list[Table] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)  # HTML from charts.figure_html
    notes: list[str] = field(default_factory=list)

    def to_html(self) -> str:
        parts = [f'<h2 id="{self.key}">{_esc(self.title)}</h2>', f'<p style="color:#3D3D3D;font-size:0.9em">{_esc(SECTION_NAMES[self.key])}</p>']
        parts += [f"<p>{_esc(p)}</p>" for p in self.paragraphs]
        parts += self.figures
        parts += [t.to_html() for t in self.tables]
        if self.notes:
            parts.append("<ul>" + "".join(f"<li>{_esc(n)}</li>" for n in self.notes) + "</ul>")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()


def parameters_from(namespace: dict) -> dict:
    """The report's parameters from a notebook's namespace (every name of PARAMETERS), checked."""
    return check_parameters({p.name: namespace[p.name] for p in PARAMETERS}, "notebook parameters")


class ReportContent:
    """Everything one council's report shows, gathered once."""

    def __init__(self, params: dict, shared, code: str, name: str, metrics: pd.DataFrame, pairs: pd.DataFrame):
        self.params, self.shared, self.code, self.name = params, shared, code, name
        self.tables = shared.tables
        self.metrics = metrics
        self._metrics_by_id = metrics.set_index("id")  # metric() and the section tables look rows up by id
        self.pairs = pairs
        self.local: dict[str, pd.DataFrame] = {}
        self.local_error: str | None = None
        self.budget = None
        self.budget_error: str | None = None
        self.method = params["comparator_method"]
        self.group_description = metrics.attrs.get("group", "")
        self.group_year = metrics.attrs.get("group_year")  # the geography year the group was resolved for
        self.phrase = GROUP_PHRASE[self.method]

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def build(cls, params: dict) -> ReportContent:
        from benchmark.comparators import describe_method, load_config
        from benchmark.metrics.stats import group_year
        from benchmark.report.shared import compute_shared, load_shared

        params = check_parameters(dict(params), "report parameters")
        shared = load_shared(params["shared_dir"], params) if params["shared_dir"] else compute_shared(params)
        tables = shared.tables
        params["comparator_method"] = resolved_comparator_method(tables, params)  # null: the council's default
        found = tables.registry.find(params["council"], params["year"])
        code, name = found.ons_code, found.name
        method, config = params["comparator_method"], load_config()
        k = int(params["comparator_k"] or config["k"])
        if method == "custom" and not params["custom_comparators"]:
            raise UserError("comparator_method 'custom' needs a list of councils in custom_comparators")
        if method == "statistical" and code in config["excluded"]:
            raise UserError(f"{name} ({code}) is excluded from statistical peer groups (config/neighbours.toml)")
        pairs, stats = shared.comparator_stats(params, code)
        if method == "nn" and pairs.empty:
            raise UserError(f"{name} ({code}) has no set in NN.json ({describe_method('nn')})")
        geography_year = group_year(tables, code, params["year"])
        if pairs.empty:
            raise UserError(f"{name} ({code}) has no comparator group under method '{method}' ({geography_year})")
        description = describe_method(method, k, geography_year, params["custom_comparators"])
        metrics = metrics_from_stats(tables, code, name, shared.panel, stats, params["year"], description)
        metrics = with_group_coverage(metrics, shared.panel, list(dict.fromkeys(pairs["neighbour"].astype(str))))
        metrics = with_counted_difference(metrics, shared.panel, code)
        metrics = pd.concat([metrics, rag_flags(metrics, params["rag_amber_z"], params["rag_red_z"], params["rag_material_pct"],
                                                params["rag_material_points"], params["rag_material_count"])], axis=1)
        metrics.attrs.update({"group": description, "council": code, "council_name": name, "group_year": geography_year})
        report = cls(params, shared, code, name, metrics, pairs)
        report._gather_local()
        report._gather_budget()
        return report

    def members(self) -> list[str]:
        """Codes of the comparator group: resolved once (for :attr:`group_year`), the same councils in
        every chart, table, flag and statistic, whatever the year; a member with no value in a year
        just does not count there (:meth:`coverage` says so)."""
        return list(dict.fromkeys(self.pairs["neighbour"].astype(str)))

    def coverage(self, metric_id: str, year: str) -> str:
        """How many of the group a figure rests on, naming the members without a value and, where a
        member did not exist that year (created or abolished), saying so."""
        members = self.members()
        panel = self.shared.panel
        rows = panel[(panel["metric_id"] == metric_id) & (panel["year"] == year) & panel["council"].isin(members) & panel["value"].notna()]
        with_value = set(rows["council"].astype(str))
        text = f"{len(with_value)} of {len(members)} comparators have a value ({year})"
        missing = [code for code in members if code not in with_value]
        if missing:
            why = []
            for code in missing:
                council = self.tables.registry.council(code)
                reason = "" if council.exists_in(year) else f", which did not exist in {year}"
                why.append(f"{council.name}{reason}")
            text += "; none for " + ", ".join(why)
        return text

    def group_changes(self, years: list[str]) -> str:
        """A sentence where the group must change between ``years`` because a member did not exist in
        some of them (a council created or abolished); empty when every member existed throughout."""
        parts = []
        for code in self.members():
            council = self.tables.registry.council(code)
            absent = [y for y in years if not council.exists_in(y)]
            if absent:
                parts.append(f"{council.name} did not exist in {', '.join(absent)}")
        if not parts:
            return ""
        return (f"The comparator group changes between years: {'; '.join(parts)}, so the median in those years rests on the "
                "other members.")

    def council_name(self, code: str) -> str:
        return str(self.tables.registry.table["name"].astype(str).get(code, code))

    def _gather_local(self) -> None:
        from benchmark.local.panel import LocalParams, local_summary

        lp = LocalParams(high_cost_threshold_gbp=float(self.params["high_cost_threshold_gbp"]), review_months=int(self.params["review_months"]),
                         comparators=tuple(self.members()))
        try:
            self.local = local_summary(self.tables, self.code, self.shared.local_root, lp, panel=self.shared.local_panel)
        except UserError as error:
            self.local_error = f"the council's local files could not be read: {error}"

    def _gather_budget(self) -> None:
        try:
            self.budget = report_budget(self)
        except UserError as error:
            self.budget_error = str(error)

    def metric(self, metric_id: str) -> pd.Series:
        return self._metrics_by_id.loc[metric_id]

    def section(self, key: str) -> Section:
        if key not in SECTIONS:
            raise UserError(f"unknown section '{key}' (choose from {', '.join(SECTIONS)})")
        return getattr(self, f"_section_{key}")()

    def sections(self) -> list[Section]:
        return [self.section(key) for key in SECTIONS]

    def title_html(self) -> str:
        p = self.params
        illustrative = bool(self.metrics["illustrative"].any())
        return (f"<h1>{_esc(self.name)} ({_esc(self.code)}): adult social care use of resources</h1>"
                f"<p>Comparator group: {_esc(self.group_description)}. Metric year: {_esc(p['year'] or 'each metric’s latest year with data')}. "
                f"Budget year: {_esc(self.budget.budget_year if self.budget is not None else p['budget_year'] or 'two years after the newest outturn')}.</p>"
                + (f"<p><b>{_esc(ILLUSTRATIVE_NOTE)}</b> for rows and charts marked ILLUSTRATIVE.</p>" if illustrative else ""))

    # -- helpers ---------------------------------------------------------------------------------
    def _caption(self, source: str, year: str, illustrative: bool = False, group: bool = True) -> str:
        text = f"Source: {source}. Year: {year}."
        if group:
            text += f" Comparators: {self.group_description}."
        if illustrative:
            text += f" {ILLUSTRATIVE_NOTE}."
        return text

    def _metric_rows(self, ids: list[str]) -> pd.DataFrame:
        rows = self._metrics_by_id.reindex(ids).reset_index()
        out = pd.DataFrame({
            "metric": rows["label"],
            "year": rows["year"].fillna("n/a"),
            "value": [fmt(v, u) if not _missing(v) else f"n/a ({r if not _missing(r) else 'no value'})"
                      for v, u, r in zip(rows["value"], rows["unit"], rows["missing_reason"], strict=True)],
            "comparator median": [fmt(v, u) for v, u in zip(rows["median"], rows["unit"], strict=True)],
            "comparator range (Q1-Q3)": [f"{fmt(a, u)} to {fmt(b, u)}" if not _missing(a) else "n/a"
                                         for a, b, u in zip(rows["q1"], rows["q3"], rows["unit"], strict=True)],
            "rank (1 = highest)": [f"{r} of {n}" if not _missing(r) else "n/a" for r, n in zip(rows["rank"], rows["rank_of"], strict=True)],
            "comparators with a value": [f"{0 if _missing(n) else int(n)} of {len(self.members())}" for n in rows["n"]],
            "robust z": [f"{z:+.1f}" if not _missing(z) else "n/a" for z in rows["robust_z"]],
            "flag": rows["flag"],
            "source": [cite(s) for s in rows["source"]],
            "ILLUSTRATIVE": np.where(rows["illustrative"].fillna(False).astype(bool), "ILLUSTRATIVE", ""),
        })
        return out

    def _years(self, ids: list[str]) -> str:
        years = sorted({str(y) for y in self._metrics_by_id.reindex(ids)["year"].dropna()})
        return ", ".join(years) if years else "n/a"

    def _sources(self, ids: list[str]) -> str:
        rows = self._metrics_by_id.reindex(ids)
        return "; ".join(dict.fromkeys(cite(s) for s in rows["source"].dropna()))

    def _group_values(self, metric_id: str, year: str) -> pd.DataFrame:
        """value and denominator of the council and its comparators for one metric and year, by name."""
        panel = self.shared.panel
        codes = [self.code] + self.members()
        rows = panel[(panel["metric_id"] == metric_id) & (panel["year"] == year) & panel["council"].isin(codes)]
        names = rows["council"].astype(str).map(self.council_name)
        return pd.DataFrame({"value": rows["value"].to_numpy(float), "denominator": rows["denominator"].to_numpy(float),
                             "illustrative": rows["illustrative"].to_numpy(bool)}, index=names.to_numpy())

    def ranked_chart(self, metric_id: str, title: str | None = None) -> str | None:
        """A ranked bar chart (HTML figure) of one metric across the group, or None without data."""
        row = self.metric(metric_id)
        if _missing(row["value"]) or _missing(row["year"]) or not row["n"]:
            return None
        data = self._group_values(metric_id, row["year"])
        illustrative = bool(row["illustrative"])
        fig, alt = charts.ranked_bar(data["value"], self.name, row["median"], title or self.metric_title(metric_id),
                                     short_fmt(row["unit"]), f"{row['label']} ({row['year']})", illustrative)
        return charts.figure_html(fig, alt, self._caption(cite(row["source"]), row["year"], illustrative)
                                  + f" {self.coverage(metric_id, row['year'])}.")

    def funnel_chart(self, metric_id: str) -> str | None:
        from benchmark.metrics.registry import metric_table

        row = self.metric(metric_id)
        # no limits without the dispersion (tau2): Poisson limits alone would be far too narrow for money per head
        if row["kind"] != "rate" or _missing(row.get("target")) or _missing(row.get("tau2")) or _missing(row["value"]):
            return None
        spec = metric_table().loc[metric_id]
        data = self._group_values(metric_id, row["year"])
        illustrative = bool(row["illustrative"])
        where = ("outside the 99.8% limits" if row["outside_998"] is True else "outside the 95% limits" if row["outside_95"] is True
                 else "within the 95% limits")
        title = f"{self.name}'s {row['label'].lower()} is {where} of {self.phrase} ({row['year']})"
        fig, alt = charts.funnel(data, self.name, float(row["target"]), float(row["tau2"]), float(spec["multiplier"]),
                                 spec["error_model"] == "binomial", title, short_fmt(row["unit"]), row["label"],
                                 str(spec["denominator"]), illustrative)
        dispersion = (f" Limits widened for the variation between councils beyond chance (NHS-R FunnelPlotR's additive method): "
                      f"overdispersion ratio phi {float(row['phi']):,.{0 if float(row['phi']) >= 100 else 2}f}, between-council standard deviation tau "
                      f"{fmt(math.sqrt(float(row['tau2'])), row['unit'])}.")
        return charts.figure_html(fig, alt, self._caption(cite(row["source"]), row["year"], illustrative) + dispersion
                                  + f" {self.coverage(metric_id, row['year'])}.")

    def series_chart(self, metric_id: str) -> str | None:
        """Council and comparator median over every year with data, or None with fewer than 2 years."""
        panel = self.shared.panel
        rows = panel[(panel["metric_id"] == metric_id)]
        own = rows[rows["council"] == self.code].set_index("year")["value"]
        years = [y for y in sorted(own.index) if pd.notna(own[y])]
        if len(years) < 2:
            return None
        frame = []
        for y in years:
            peers = rows[(rows["year"] == y) & rows["council"].isin(self.members())]["value"].dropna()
            frame.append({"year": y, "council": own[y], "median": peers.median() if len(peers) else np.nan,
                          "q1": peers.quantile(0.25) if len(peers) else np.nan, "q3": peers.quantile(0.75) if len(peers) else np.nan})
        frame = pd.DataFrame(frame).set_index("year")
        row = self.metric(metric_id)
        last = frame.iloc[-1]
        change = pct_difference(frame["council"].iloc[-1], frame["council"].iloc[0])
        title = (f"{self.name}'s {row['label'].lower()} {'rose' if change > 0 else 'fell'} {abs(change):.0f}% from {years[0]} to {years[-1]}"
                 f"; the comparator median was {short_fmt(row['unit'])(last['median'])} in {years[-1]}")
        illustrative = bool(rows[(rows["council"] == self.code) | rows["council"].isin(self.members())]["illustrative"].any())
        fig, alt = charts.time_series(frame, self.name, title, short_fmt(row["unit"]), row["label"], illustrative)
        sources = "; ".join(dict.fromkeys(cite(s) for s in rows[rows["council"] == self.code]["source"].dropna()))
        changes = self.group_changes(years)
        return charts.figure_html(fig, alt, self._caption(sources, f"{years[0]} to {years[-1]}", illustrative) + (f" {changes}" if changes else ""))

    def metric_title(self, metric_id: str) -> str:
        """An active sentence for one metric: how the council compares with the median."""
        row = self.metric(metric_id)
        if _missing(row["value"]):
            return f"{self.name} has no value for {row['label'].lower()} (n/a: {row['missing_reason']})"
        diff = pct_difference(row["value"], row["median"])
        if _missing(diff):
            return f"{self.name}: {row['label'].lower()} is {fmt(row['value'], row['unit'])} ({row['year']}); no comparator median"
        if not is_finding(row):  # higher or lower only for a difference that is notable and matters
            return (f"{self.name}'s {row['label'].lower()} is similar to that of {self.phrase} ({fmt(row['value'], row['unit'])} against a "
                    f"median of {fmt(row['median'], row['unit'])}, {row['year']})")
        return (f"{self.name}'s {row['label'].lower()} is {abs(diff):.0f}% {'higher' if diff > 0 else 'lower'} than {self.phrase}' "
                f"median ({fmt(row['value'], row['unit'])} against {fmt(row['median'], row['unit'])}, {row['year']})")

    # -- summary -------------------------------------------------------------------------------------
    def key_messages(self, limit: int = 6) -> pd.DataFrame:
        """Every RED and AMBER flag, and the largest other differences from comparators up to
        ``limit`` rows in all; most marked first (large before notable, then by robust z)."""
        m = self.metrics[self.metrics["difference"].isin(["large", "notable"])].copy()
        m["_order"] = (m["difference"] == "large").astype(int) * 1000 + pd.to_numeric(m["robust_z"], errors="coerce").abs().fillna(999)
        m = m.sort_values("_order", ascending=False)
        worse = m["rag"].isin(["RED", "AMBER"])  # the questions to ask: never left out for a larger spend difference
        others = m[~worse].head(max(limit - int(worse.sum()), 0))
        m = m[worse | m.index.isin(others.index)]
        messages = []
        for _, row in m.iterrows():
            diff = pct_difference(row["value"], row["median"])
            size = (f"{row['value'] / row['median']:.1f} times" if not _missing(diff) and diff >= 100 else
                    f"{abs(diff):.0f}% {'higher' if diff > 0 else 'lower'} than" if not _missing(diff) else f"{row['direction']} than")
            z = "" if _missing(row["robust_z"]) else f", robust z {row['robust_z']:+.1f}"
            outside = "; outside the 99.8% funnel limit" if row["outside_998"] is True else ""
            text = (f"{row['label']}: {self.name} {fmt(row['value'], row['unit'])} ({row['year']}) is {size} the comparator median "
                    f"{fmt(row['median'], row['unit'])} (rank {row['rank']} of {row['rank_of']}{z}{outside})."
                    + illustrative_note(row))
            messages.append({"flag": row["flag"].split(":")[0], "message": text, "metric": row["id"], "year": row["year"],
                             "source": cite(row["source"]), "illustrative": bool(row["illustrative"])})
        return pd.DataFrame(messages, columns=["flag", "message", "metric", "year", "source", "illustrative"])

    def _section_summary(self) -> Section:
        messages = self.key_messages()
        counts = self.metrics["rag"].value_counts()
        different = int((self.metrics["flag"].str.startswith("DIFFERENT")).sum())
        title = (f"{self.name}: {counts.get('RED', 0)} RED, {counts.get('AMBER', 0)} AMBER and {counts.get('GREEN', 0)} GREEN flags "
                 f"against {self.phrase}, and {different} other marked differences")
        marked = int(self.metrics["difference"].isin(["large", "notable"]).sum())
        paragraphs = [
            f"Spend: {self.spend_title()}. {self.budget_answer()}",  # the newest outturn first, then the flags
            f"Flags compare {self.name} with {self.group_description}. A difference is large when the robust z-score is at least "
            f"{self.params['rag_red_z']:g} or the value is outside the 99.8% funnel limit, and notable from "
            f"{self.params['rag_amber_z']:g}; it is a finding only if it also matters: at least {self.params['rag_material_pct']:g}% "
            f"of the comparator median ({self.params['rag_material_points']:g} percentage points for percentages), at least "
            f"{self.params['rag_material_count']:g} person or FTE in the council's own numbers for rates of people or staff, and "
            "visible in the figures as shown. Anything else is similar to the comparators. A large finding in the worse direction "
            "is RED, a notable one AMBER, and one in the better direction GREEN; metrics where neither direction is better in "
            "itself (spend, context) are marked DIFFERENT, with no colour. A flag is a question to ask, not a verdict.",
        ]
        if len(messages) < marked:
            paragraphs.append(f"The table lists every RED and AMBER flag and the largest of the other differences: {len(messages)} "
                              f"of the {marked} marked differences. Every one is in its section below and in metrics.csv.")
        if messages.empty:
            paragraphs.append(f"No metric differs notably from {self.phrase}.")
        tables = [Table("headline_messages", messages[["flag", "message", "year", "source"]].assign(
            ILLUSTRATIVE=np.where(messages["illustrative"], "ILLUSTRATIVE", "")),
            self._caption("the metrics below", self._years(list(messages["metric"])) if len(messages) else "n/a",
                          bool(messages["illustrative"].any()) if len(messages) else False))]
        notes = ["Caveats: figures come from different years (each metric's latest year with data unless a year is set; "
                 "the year is beside every figure); ASC-FR and ASCOF figures for 2020-21 and 2021-22 are affected by COVID-19; "
                 "the comparator group's own caveats are in 'Context'."]
        if self.metrics["illustrative"].any():
            notes.append("ILLUSTRATIVE rows rest on generated example data (local files or national comparator files shipped as examples): "
                         "replace them with the council's real files before drawing conclusions.")
        if self.budget_error:
            notes.append(f"Base budget not available: {self.budget_error}")
        return Section("summary", title, paragraphs, tables, notes=notes)

    # -- context -----------------------------------------------------------------------------------------
    def context_values(self) -> pd.DataFrame:
        """The context measures as numbers with their unit (for tables.xlsx); :meth:`context_table` shows them."""
        bands = self.tables.population_bands
        own = bands[(bands["council"] == self.code) & (bands["measure"] == "population")]
        rows = []
        if len(own):
            year = own["year"].max()
            latest = own[own["year"] == year].set_index("age_band")["value"]
            total = latest.get("all_ages", np.nan)
            source = cite(own.loc[own["year"] == year, "source"].iloc[0])
            rows.append({"measure": "Population, all ages", "value": total, "unit": "count", "year": f"mid-{year}", "source": source})
            for band in ("65+", "85+"):
                rows.append({"measure": f"Population aged {band}", "value": latest.get(band, np.nan), "unit": "count", "year": f"mid-{year}",
                             "source": source})
            rows.append({"measure": "Share of all ages aged 65+", "value": latest.get("65+", np.nan) / total * 100, "unit": "pct",
                         "year": f"mid-{year}", "source": source})
        else:
            rows.append({"measure": "Population", "value": np.nan, "unit": "count", "year": "n/a", "source": "n/a",
                         "missing_reason": "not in the ONS estimates shipped"})
        for metric_id in ("share_65plus_aged_85plus_pct", "imd_average_score", "idaopi_average_score"):
            row = self.metric(metric_id)
            rows.append({"measure": row["label"], "value": row["value"], "unit": row["unit"],
                         "year": row["year"] if not _missing(row["year"]) else "n/a", "source": cite(row["source"]),
                         "comparator median": row["median"], "missing_reason": row["missing_reason"] if _missing(row["value"]) else None})
        frame = pd.DataFrame(rows)
        for column in ("comparator median", "missing_reason"):
            if column not in frame.columns:
                frame[column] = None
        return frame[["measure", "value", "unit", "year", "source", "comparator median", "missing_reason"]]

    def context_table(self) -> pd.DataFrame:
        values = self.context_values()
        shown = [fmt(v, u) if not _missing(v) else f"n/a ({why})" for v, u, why in zip(values["value"], values["unit"], values["missing_reason"], strict=True)]
        medians = [fmt(m, u) if not _missing(m) else None for m, u in zip(values["comparator median"], values["unit"], strict=True)]
        return pd.DataFrame({"measure": values["measure"], "value": shown, "year": values["year"], "source": values["source"],
                             "comparator median": medians})

    def _group_geography(self) -> str:
        return "April 2021 geography" if self.method == "nn" else f"councils of {self.group_year}"

    def comparators_table(self) -> pd.DataFrame:
        registry = self.tables.registry.table.set_index("ons_code")
        codes = self.members()
        frame = registry.reindex(codes)[["name", "region", "council_type"]].reset_index().rename(columns={"ons_code": "ONS code"})
        frame["source"] = self.group_description
        return frame.sort_values("name").reset_index(drop=True)

    def _section_context(self) -> Section:
        share = self.metric("share_65plus_aged_85plus_pct")
        imd = self.metric("imd_average_score")
        if not _missing(share["value"]) and not _missing(share["median"]):
            older = ("older than" if share["value"] > share["median"] else "younger than") if is_finding(share) else "similar in age to that"
            title = (f"{self.name}'s older population is {older} in {self.phrase}: {fmt(share['value'], 'pct')} of people aged 65+ "
                     f"are 85+ against a median of {fmt(share['median'], 'pct')} ({share['year']})")
        else:
            title = f"{self.name}: population and deprivation context"
        if not _missing(imd["value"]) and not _missing(imd["median"]):
            deprived = (f"{'more' if imd['value'] > imd['median'] else 'less'} deprived than most of them" if is_finding(imd)
                        else "similarly deprived")
            title += f"; it is {deprived}"
        found = self.tables.registry.council(self.code)
        how = {"nn": "the councils of its set as shipped with the toolkit; the sets' method and source are not stated, and they are "
                     "not the licensed CIPFA lists",
               "statistical": "the toolkit's own statistical peers: the nearest councils on need (share aged 85+, density, "
                              "deprivation and more), following NHS England's method for its adult social care peer groups",
               "region": f"the other councils of the {found.region} region",
               "type": f"the other councils of the same type ({found.council_type})",
               "england": "every other English council with adult social care duties",
               "custom": "the list of councils set in the parameter file"}[self.method]
        paragraphs = [f"{self.name} ({self.code}, CASSR {found.cassr_code}) is a {found.council_type} council in {found.region}.",
                      f"Comparator group ({len(self.members())} councils, {self._group_geography()}): {self.group_description}; {how}. "
                      "The same councils make every chart, table, flag and statistic of this report; a figure for which a member "
                      "has no value says how many of them it rests on."]
        from benchmark.comparators import load_config

        if self.method == "region" and self.code in load_config()["excluded"]:
            paragraphs.append(f"{self.name} is too small for statistical peers (its population and services are unlike any other "
                              "council's), so it is compared with the other councils of its region.")
        tables = [Table("context", self.context_table(), self._caption("ONS mid-year estimates; English Indices of Deprivation (see each row)",
                                                                       "see each row")),
                  Table("comparators", self.comparators_table(), f"Comparator group members. Source: {self.group_description}. "
                        f"Year: {self._group_geography()}.")]
        return Section("context", title, paragraphs, tables)

    # -- spend ---------------------------------------------------------------------------------------------
    #: The newest finance data: MHCLG's revenue outturn (RO3), each figure in its newest year.
    NET_SPEND_ID = "asc_net_per_head_18plus_gbp"
    CURRENT_SPEND_IDS = ["asc_net_per_head_18plus_gbp", "asc_gross_per_head_18plus_gbp", "asc_net_expenditure_gbp",
                         "asc_gross_expenditure_gbp", "asc_65plus_gross_per_head_65plus_gbp", "asc_18to64_gross_per_head_18to64_gbp",
                         *(f"asc_{g}_{a}_gross_per_head_{a}_gbp" for a in ("65plus", "18to64")
                           for g in ("physical_support", "sensory_support", "memory_and_cognition", "learning_disability", "mental_health")),
                         "asc_care_assessment_gross_per_head_18plus_gbp", "asc_sales_fees_charges_pct_of_gross",
                         "asc_other_income_pct_of_gross", "asc_employees_pct_of_gross"]
    BUDGET_IDS = ["asc_outturn_over_budget_pct", "asc_budget_to_outturn_ratio"]
    #: ASC-FR: long-term care by setting (a series from the older packs to the data file's newest year),
    #: and spend on long- and short-term care together, which only the older packs hold.
    SPEND_IDS = [*(i for a in ("65plus", "18to64") for i in (f"gce_{a}_long_term_per_head_{a}_gbp", f"care_home_share_of_long_term_{a}_pct")),
                 *(f"gce_{a}_{s}_per_head_{a}_gbp" for a in ("65plus", "18to64")
                   for s in ("residential", "nursing", "home_care", "direct_payments", "supported_living", "other")),
                 "gce_65plus_per_head_65plus_gbp", "gce_18to64_per_head_18to64_gbp"]
    UNIT_COST_IDS = [f"unit_cost_{s}_{a}_gbp_per_week" for a in ("65plus", "18to64") for s in ("residential", "nursing")]
    OUTCOME_IDS = ["care_home_admissions_65plus_per_100k", "care_home_admissions_18to64_per_100k", "delayed_transfers_per_100k",
                   "delayed_transfers_asc_per_100k", "delayed_transfers_joint_per_100k",
                   *(m["id"] for m in ASCOF_SURVEY_METRICS)]  # quality of life, control, carers, safety, information, reablement
    #: Years the COVID-19 pandemic distorted spend and activity: a fact of history (like the dates of
    #: reorganisations), not a data year; marked on every trend that includes them.
    COVID_YEARS = ("2020-21", "2021-22")
    CASH_NOTE = ("Cash figures, not adjusted for inflation (part of any rise is pay and price inflation): the published data holds "
                 "no price index; a council that sets its own in its parameter file sees these trends in real terms.")

    def spend_title(self) -> str:
        """The newest net spend per adult against the comparator median."""
        row = self.metric(self.NET_SPEND_ID)
        if _missing(row["value"]):
            return f"{self.name} has no net adult social care spend in the revenue outturn data (n/a: {row['missing_reason']})"
        value, median = fmt(row["value"], row["unit"]), fmt(row["median"], row["unit"])
        diff = pct_difference(row["value"], row["median"])
        if _missing(diff):
            return f"{self.name} spends {value} net per adult (18+) on adult social care ({row['year']}); no comparator median"
        if not is_finding(row):  # higher or lower only where the difference is a finding (rag_flags)
            why = row.get("similar_because")
            return (f"{self.name} spends a similar amount per adult (18+) on adult social care to {self.phrase} "
                    f"({value} net against a median of {median}, {row['year']}" + (f"; {why}" if not _missing(why) and why else "") + ")")
        return (f"{self.name} spends {abs(diff):.0f}% {'more' if diff > 0 else 'less'} per adult (18+) on adult social care than "
                f"{self.phrase} ({value} net against a median of {median}, {row['year']})")

    def budget_answer(self) -> str:
        """'Is the budget set at the correct level?': the newest year's outturn against its budget."""
        metric_id = "asc_outturn_over_budget_pct"
        row = self.metric(metric_id)
        if _missing(row["value"]):
            return f"Budget against outturn: n/a ({row['missing_reason']})."
        panel = self.shared.panel
        own = panel[(panel["council"] == self.code) & (panel["metric_id"] == metric_id) & (panel["year"] == row["year"])].iloc[0]
        budget, over = own["denominator"], own["numerator"]
        median = "" if _missing(row["median"]) else (
            f"; the comparator median is {self._against_budget(row['median'])}. {self.coverage(metric_id, row['year'])}")
        return (f"Budget against outturn, {row['year']}: {self.name} spent {money(budget + over)} net on adult social care against a "
                f"budget of {money(budget)} set before the year, {self._against_budget(row['value'])}{median}.")

    @staticmethod
    def _against_budget(pct: float) -> str:
        """-3.03 -> '3.0% under budget' (the sign in words: percentages of a budget can be negative)."""
        return "on budget" if round(pct, 1) == 0 else f"{abs(pct):.1f}% {'over' if pct > 0 else 'under'} budget"

    def budget_chart_title(self) -> str:
        row = self.metric("asc_outturn_over_budget_pct")
        if _missing(row["value"]) or _missing(row["median"]):
            return f"{self.name}: spend against budget ({row['year']})"
        return (f"{self.name} spent {self._against_budget(row['value'])} in {row['year']}; the median of {self.phrase} was "
                f"{self._against_budget(row['median'])}")

    def budget_outturn_table(self) -> pd.DataFrame:
        """Every year with an RA budget: budget, outturn, over or under, and the comparator median."""
        panel = self.shared.panel
        rows = panel[panel["metric_id"] == "asc_outturn_over_budget_pct"]
        own = rows[rows["council"] == self.code].sort_values("year")
        out = []
        for _, r in own.iterrows():
            peers = rows[(rows["year"] == r["year"]) & rows["council"].isin(self.members())]["value"].dropna()
            budget, over = r["denominator"], r["numerator"]
            out.append({"year": r["year"], "budget (RA)": money(budget), "outturn": money(budget + over),
                        "over (+) or under (-) budget": money(over),
                        "% of budget": fmt(r["value"], "pct") if not _missing(r["value"]) else f"n/a ({r['missing_reason']})",
                        "comparator median": fmt(peers.median(), "pct") if len(peers) else "n/a",
                        "comparator range (Q1-Q3)": (f"{fmt(peers.quantile(0.25), 'pct')} to {fmt(peers.quantile(0.75), 'pct')}"
                                                     if len(peers) else "n/a"),
                        "comparators with a value": f"{len(peers)} of {len(self.members())}", "source": cite(r["source"])})
        return pd.DataFrame(out, columns=["year", "budget (RA)", "outturn", "over (+) or under (-) budget", "% of budget",
                                          "comparator median", "comparator range (Q1-Q3)", "comparators with a value", "source"])

    @staticmethod
    def _publication(source: str) -> str:
        """The publication a row's first source belongs to, without its year ('RSX', 'RO3', 'ASC-FR data file')."""
        from benchmark.data.sources import SOURCES_BY_ID

        token = str(source).split("+")[0]
        try:
            name = SOURCES_BY_ID[token].title.split(",")[0]
        except KeyError:
            return token
        name = name.replace("Adult Social Care Finance Return (ASC-FR)", "ASC-FR").replace("Adult Social Care Finance Return", "ASC-FR")
        abbreviation = re.search(r"\(([A-Z0-9-]+)\)\s*$", name)
        return abbreviation.group(1) if abbreviation else re.sub(r"\s*\b\d{4}(-\d{2})?\b", "", name).strip()

    def series_breaks(self, years: list[str], sources: dict[str, str]) -> list[tuple[float, str]]:
        """Where a series is not like for like: COVID-19 years, years missing from the data and a change
        of publication between two years, as (position on the chart, label)."""
        from benchmark.data.tidy import financial_year_start

        marks = [(float(i), f"COVID-19 ({y})") for i, y in enumerate(years) if y in self.COVID_YEARS]
        for i, (before, after) in enumerate(zip(years, years[1:])):
            parts = []
            missing = financial_year_start(after) - financial_year_start(before) - 1
            if missing:
                parts.append(f"{missing} year{'s' if missing > 1 else ''} not in the data")
            was, now = self._publication(sources[before]), self._publication(sources[after])
            if was != now:
                parts.append(f"{was} to {now}")
            if parts:
                marks.append((i + 0.5, "; ".join(parts)))
        return sorted(marks)

    def trend_chart(self, metric_id: str) -> str | None:
        """The council, the comparator median and middle half in every year with data, breaks in the
        series marked on the chart and named in the caption; None with fewer than 2 years."""
        panel = self.shared.panel
        rows = panel[panel["metric_id"] == metric_id]
        own = rows[(rows["council"] == self.code) & rows["value"].notna()].set_index("year").sort_index()
        years = list(own.index)
        if len(years) < 2:
            return None
        members = self.members()
        frame = []
        for y in years:
            peers = rows[(rows["year"] == y) & rows["council"].isin(members)]["value"].dropna()
            frame.append({"year": y, "council": own.loc[y, "value"], "median": peers.median() if len(peers) else np.nan,
                          "q1": peers.quantile(0.25) if len(peers) else np.nan, "q3": peers.quantile(0.75) if len(peers) else np.nan})
        frame = pd.DataFrame(frame).set_index("year")
        row = self.metric(metric_id)
        terms, price_note = self._real_terms(frame, row["unit"])
        change = pct_difference(frame["council"].iloc[-1], frame["council"].iloc[0])
        title = (f"{self.name}'s {row['label'].lower()} {'rose' if change > 0 else 'fell'} {abs(change):.0f}% in {terms} from {years[0]} "
                 f"to {years[-1]}; the comparator median was {short_fmt(row['unit'])(frame['median'].iloc[-1])} in {years[-1]}")
        breaks = self.series_breaks(years, own["source"].astype(str).to_dict())
        illustrative = bool(rows[(rows["council"] == self.code) | rows["council"].isin(members)]["illustrative"].any())
        fig, alt = charts.time_series(frame, self.name, title, short_fmt(row["unit"]), row["label"], illustrative, breaks=breaks)
        sources = "; ".join(dict.fromkeys(cite(s) for s in own["source"].dropna()))
        caption = self._caption(sources, f"{', '.join(years)} (the years in the data)", illustrative)
        if breaks:
            caption += " Not like for like across the dotted lines: " + "; ".join(label for _, label in breaks) + "."
        caption += f" {price_note} {self.coverage(metric_id, years[-1])}."
        changes = self.group_changes(years)
        return charts.figure_html(fig, alt, caption + (f" {changes}" if changes else ""))

    def _real_terms(self, frame: pd.DataFrame, unit: str) -> tuple[str, str]:
        """Money trends in the prices of their newest year where the council has set a price index
        for every year shown (``frame`` deflated in place); else cash.  (words for the title, caption note)"""
        index = {str(k): float(v) for k, v in (self.params.get("price_index") or {}).items()}
        if not str(unit).startswith("gbp") or not index:
            return "cash", self.CASH_NOTE
        missing = [y for y in frame.index if y not in index]
        if missing:
            return "cash", (f"Cash figures: the price index in the parameter file has no value for {', '.join(missing)}, so the "
                            "trend is not shown in real terms.")
        newest = frame.index[-1]
        factor = pd.Series({y: index[newest] / index[y] for y in frame.index})
        for column in ("council", "median", "q1", "q3"):
            frame[column] = frame[column] * factor
        return f"real terms ({newest} prices)", (f"Real terms: {newest} prices, deflated by the council's price index (parameter file: "
                                                 + ", ".join(f"{y} {index[y]:g}" for y in frame.index) + ").")

    def _section_spend(self) -> Section:
        net = self.metric(self.NET_SPEND_ID)
        unit_cost_years = self._years(self.UNIT_COST_IDS)
        figures = [f for f in (self.ranked_chart(self.NET_SPEND_ID), self.trend_chart(self.NET_SPEND_ID), self.funnel_chart(self.NET_SPEND_ID),
                               self.ranked_chart("asc_outturn_over_budget_pct", self.budget_chart_title()),
                               self.trend_chart("gce_65plus_long_term_per_head_65plus_gbp"),
                               self.ranked_chart("unit_cost_residential_65plus_gbp_per_week",
                                                 f"{self.metric_title('unit_cost_residential_65plus_gbp_per_week')}: ASC-FR {unit_cost_years} "
                                                 "activity, older than the spend figures"),
                               self.series_chart("care_home_admissions_65plus_per_100k")) if f]
        tables = [Table("spend_current", self._metric_rows(self.CURRENT_SPEND_IDS),
                        self._caption(self._sources(self.CURRENT_SPEND_IDS), self._years(self.CURRENT_SPEND_IDS))),
                  Table("budget_outturn", self.budget_outturn_table(),
                        self._caption("MHCLG Revenue Account budget (RA) and revenue outturn (RO3, else RSX) of the same year",
                                      self._years(self.BUDGET_IDS)) + " Negative: the year cost less than was budgeted."),
                  Table("spend", self._metric_rows(self.SPEND_IDS),
                        self._caption(self._sources(self.SPEND_IDS), self._years(self.SPEND_IDS))
                        + " Each row is in its newest year with data; long- and short-term care together only in the older ASC-FR packs."),
                  Table("unit_costs", self._metric_rows(self.UNIT_COST_IDS),
                        self._caption(self._sources(self.UNIT_COST_IDS), unit_cost_years)
                        + f" Dated: unit costs need client weeks, which only ASC-FR {unit_cost_years} holds beside spend."),
                  Table("outcomes", self._metric_rows(self.OUTCOME_IDS), self._caption(self._sources(self.OUTCOME_IDS), self._years(self.OUTCOME_IDS)))]
        paragraphs = [
            f"Spend per adult is net current expenditure on adult social care (gross spend less sales, fees and charges and other "
            f"income) from MHCLG's revenue outturn, {net['year'] if not _missing(net['year']) else 'n/a'}, divided by the ONS mid-year "
            "population aged 18+ of the year the financial year starts in; client groups are RO3's primary support reason lines per "
            "head of their age band. The trend joins the outturn publications present (RO3, RSX, RS): RSX's total equals RO3's "
            "council by council, RO3's newest file has a new layout read the same way, and breaks in the series are marked. "
            + self.CASH_NOTE,
            self.budget_answer(),
            "Long-term care by support setting is ASC-FR's gross current expenditure per head of the age group, from the older "
            f"ASC-FR packs and NHS England's data file ({self._years(self.SPEND_IDS)}); ASC-FR and RO3 agree at the total but "
            f"their lines differ. Weekly unit costs are spend divided by client weeks ({unit_cost_years}: the only year in the data "
            "with both), so they are older than every spend figure above. ASC-FR and SALT categories differ, so no cost per "
            "person is derived.",
        ]
        if _missing(net["value"]):
            paragraphs.append(f"No outturn chart: the council has no net spend in the revenue outturn years the data holds "
                              f"({self._years([self.NET_SPEND_ID])}).")
        return Section("spend", self.spend_title(), paragraphs, tables, figures)

    # -- local sections ----------------------------------------------------------------------------------
    def _local_missing(self, file: str) -> str:
        from benchmark.local.panel import missing_reason_for

        return self.local_error or missing_reason_for(self.code, file)

    def _local_table(self, key: str, caption_source: str | None = None) -> Table | None:
        frame = self.local.get(key)
        if frame is None:
            return None
        frame = frame.copy()
        illustrative = bool(frame["illustrative"].any()) if "illustrative" in frame else bool(self.local["panel"]["illustrative"].any())
        if "illustrative" in frame:
            frame["illustrative"] = np.where(frame["illustrative"].astype(bool), "ILLUSTRATIVE", "")
        year = ", ".join(sorted(frame["year"].astype(str).unique())) if "year" in frame else self._local_year()
        source = caption_source or (local_file_words("; ".join(dict.fromkeys(frame["source"].astype(str)))) if "source" in frame
                                    else "council's own files")
        return Table(key, frame, self._caption(source, year, illustrative, group=False))

    def _local_year(self) -> str:
        panel = self.local.get("panel")
        if panel is None or panel.empty:
            return "n/a"
        return ", ".join(sorted(panel["year"].dropna().astype(str).unique()))

    def _section_workforce(self) -> Section:
        row = self.metric("staff_per_1000_65plus")
        wf = self.local.get("workforce")
        if wf is None or wf.empty:
            return Section("workforce", f"No workforce data for {self.name}: the staff ratio cannot be compared",
                           [f"n/a: {self._local_missing('workforce.csv')}"])
        last = wf.sort_values("year").iloc[-1]
        gap = last["fte_gap_to_comparator_average"]
        illustrative = " (ILLUSTRATIVE)" if bool(last["illustrative"]) else ""
        # below or above only when the staff ratio's difference is a finding (notable and material)
        position = ("below" if last["staff_per_1000_65plus"] < last["comparator_average"] else "above") if is_finding(row) else "similar to"
        title = (f"{self.name} has {last['staff_per_1000_65plus']:.2f} adult social care staff per 1,000 people aged 65+, "
                 f"{position} the comparator average of {last['comparator_average']:.2f}{illustrative}"
                 if not _missing(last["comparator_average"]) else
                 f"{self.name} has {last['staff_per_1000_65plus']:.2f} staff per 1,000 people aged 65+; no comparator has data{illustrative}")
        paragraphs = []
        if not _missing(gap):
            paragraphs.append(f"Moving to the comparator average would mean {abs(gap):,.1f} FTE {'more' if gap > 0 else 'fewer'} staff "
                              f"({last['year']}): (comparator average - council rate) x 65+ population / 1,000. FTE as supplied in the "
                              "council's establishment file.")
        tables = [t for t in (self._local_table("workforce"), self._local_table("workforce_by_role", "council's own workforce file")) if t]
        figures = [f for f in (self.ranked_chart("staff_per_1000_65plus", title),) if f]
        if not _missing(row["value"]) and bool(row["comparators_illustrative"]):
            paragraphs.append("The comparators' staff ratios come from the national comparator file shipped as ILLUSTRATIVE example data.")
        return Section("workforce", title, paragraphs, tables, figures)

    def _section_bcf(self) -> Section:
        bcf = self.local.get("bcf")
        income = self.metric("bcf_income_gbp")
        income_text = (f"ASC-FR records {fmt(income['value'], 'gbp')} of income from the Better Care Fund reaching adult social care "
                       f"({income['year']})." if not _missing(income["value"]) else
                       f"ASC-FR income from the Better Care Fund: n/a ({income['missing_reason']}).")
        if bcf is None or bcf.empty:
            return Section("bcf", f"No BCF plan for {self.name}: the pooled budget cannot be shown",
                           [f"n/a: {self._local_missing('bcf_plan.csv')}", income_text])
        last = bcf.sort_values("year").iloc[-1]
        ratio = last["ratio_to_minimum"]
        title = (f"{self.name} pools {money(last['pooled_gbp'])} in its Better Care Fund ({last['year']})"
                 + (f", {ratio:.1f} times the national minimum of {money(last['minimum_gbp'])}" if not _missing(ratio) else "")
                 + (f", rank {last['rank_pooled']} of {last['councils_ranked']} councils with data" if not _missing(last["rank_pooled"]) else "")
                 + (" (ILLUSTRATIVE)" if bool(last["illustrative"]) else ""))
        paragraphs = [income_text]
        panel = self.shared.local_panel
        peers = panel[(panel["metric_id"] == "bcf_pooled_gbp") & (panel["year"] == last["year"]) & panel["value"].notna()]
        if bool(peers[peers["council"] != self.code]["illustrative"].any()):
            paragraphs.append("Rank and comparators rest on the national BCF comparator file shipped as ILLUSTRATIVE example data.")
        tables = [t for t in (self._local_table("bcf"), self._local_table("bcf_contributions", "council's own BCF plan")) if t]
        bcf_ids = ["bcf_pooled_gbp", "bcf_pooled_to_minimum_ratio"]  # against the report's one comparator group
        tables.append(Table("bcf_comparison", self._metric_rows(bcf_ids), self._caption(self._sources(bcf_ids), self._years(bcf_ids),
                                                                                      bool(self._metrics_by_id.loc[bcf_ids, "illustrative"].any()))))
        figures = [f for f in (self.ranked_chart("bcf_pooled_to_minimum_ratio"),) if f]
        return Section("bcf", title, paragraphs, tables, figures)

    def _section_fees(self) -> Section:
        if "fee_spread" not in self.local:
            return Section("fees", f"No care home fee schedule for {self.name}: fees cannot be reviewed",
                           [f"n/a: {self._local_missing('care_home_fee_bands.csv')}"])
        bands = self.metric("care_home_fee_band_count")
        above = self.metric("care_home_placements_above_band_pct")
        illustrative = bool(bands["illustrative"])
        title = (f"{self.name}'s care home fees use {fmt(bands['value'], 'count')} bands"
                 + (f"; {fmt(above['value'], 'pct')} of placements are paid above their band rate" if not _missing(above["value"]) else "")
                 + (" (ILLUSTRATIVE)" if illustrative else ""))
        paragraphs = []
        for setting in ("residential", "nursing"):
            own = self.metric(f"care_home_fee_weighted_average_{setting}_gbp_per_week")
            cost = self.metric(f"unit_cost_{setting}_65plus_gbp_per_week")
            if not _missing(own["value"]):
                paragraphs.append(f"Placement-weighted average {setting} fee: {fmt(own['value'], own['unit'])} ({own['year']}); "
                                  f"ASC-FR {cost['year']} weekly unit cost, {setting} 65+: {fmt(cost['value'], cost['unit'])} against a comparator "
                                  f"median of {fmt(cost['median'], cost['unit'])}. The years and definitions differ (fees paid to homes versus "
                                  "gross spend per client week).")
        if "fee_simplified" not in self.local:
            paragraphs.append(f"n/a: no placements file, so no weighted fees or simpler banding: {self._local_missing('care_home_placements.csv')}")
        tables = [t for t in (self._local_table("fee_schedule", "council's own fee bands and placements"),
                              self._local_table("fee_spread", "council's own fee bands"),
                              self._local_table("fee_simplified", "council's own fee bands and placements; simplified rates as stated")) if t]
        figures = []
        schedule = self.local.get("fee_schedule")
        if schedule is not None and {"band", "weekly_rate_gbp"} <= set(schedule.columns):
            rates = schedule.set_index("band")["weekly_rate_gbp"].astype(float)
            notes = (schedule.set_index("band")["setting"].astype(str) + ", " + schedule.set_index("band")["placements"].astype(str) + " placements"
                     if "placements" in schedule.columns else None)
            fig, alt = charts.simple_bars(rates, f"{self.name}'s care home fee bands range from {money(rates.min())} to {money(rates.max())} a week",
                                          short_fmt("gbp_per_week"), "weekly band rate (£)", illustrative, notes)
            figures.append(charts.figure_html(fig, alt, self._caption("council's own fee bands and placements", self._local_year(), illustrative, group=False)))
        return Section("fees", title, paragraphs, tables, figures)

    def _section_packages(self) -> Section:
        from benchmark.local.disclosure import CAPTION as DISCLOSURE_CAPTION

        head = self.local.get("package_headlines")
        if head is None or head.empty:
            return Section("packages", f"No package extract for {self.name}: package costs and reviews cannot be shown",
                           [f"n/a: {self._local_missing('packages.csv')}"])
        h = head.iloc[0]
        # from the package rows the headline rests on, whatever year the metrics table shows
        panel = self.local.get("panel")
        package_rows = panel[(panel["council"] == self.code) & panel["metric_id"].astype(str).str.startswith("package")] if panel is not None else None
        illustrative = bool(package_rows["illustrative"].any()) if package_rows is not None and len(package_rows) else \
            bool(self.metric("package_weekly_cost_median_gbp")["illustrative"])
        overdue = h.get("overdue_review_pct")
        title = (f"{fmt(overdue, 'pct') if not _missing(overdue) and overdue != '<5' else 'Some'} of {self.name}'s open care packages are overdue "
                 f"for review (over {self.params['review_months']} months)"
                 + (f", carrying {money(h.get('overdue_review_annual_gbp'))} a year" if not _missing(h.get("overdue_review_annual_gbp")) else "")
                 + (" (ILLUSTRATIVE)" if illustrative else ""))
        paragraphs = [f"High-cost packages: weekly cost at or above {money(self.params['high_cost_threshold_gbp'])}. "
                      f"{DISCLOSURE_CAPTION}. The package extract is personal data and never leaves the council."]
        extract = f"council's own package extract ({DISCLOSURE_CAPTION})"
        tables = [t for t in (self._local_table("package_headlines", extract),
                              self._local_table("package_distribution_by_reason", extract),
                              self._local_table("package_distribution_by_age", extract)) if t]
        figures = [f for f in (self.ranked_chart("unit_cost_nursing_65plus_gbp_per_week",
                                                 self.metric_title("unit_cost_nursing_65plus_gbp_per_week")),) if f]
        unit_rows = self._metric_rows(self.UNIT_COST_IDS)
        tables.append(Table("package_unit_costs", unit_rows, self._caption(self._sources(self.UNIT_COST_IDS), self._years(self.UNIT_COST_IDS))))
        return Section("packages", title, paragraphs, tables, figures)

    # -- budget ----------------------------------------------------------------------------------------------
    def budget_title(self) -> str:
        if self.budget is None:
            return f"No needs-based budget for {self.name}"
        b = self.budget
        totals = b.totals.set_index("scenario")["total_gbp"]
        current = totals.iloc[0]
        title = (f"On its current pattern, {self.name} would spend {money(current)} net on adult social care in {b.budget_year}, "
                 f"against {money(b.actual.get('net_current_expenditure_gbp'))} in {b.base_year}")
        if len(totals) > 1:
            title += f"; the scenarios range from {money(totals.min())} to {money(totals.max())}"
        return title

    def budget_tables(self) -> dict[str, pd.DataFrame]:
        """Every number of the budget, unrounded, for budget.csv and tables.xlsx."""
        if self.budget is None:
            return {}
        b = self.budget
        totals = b.totals.copy()
        totals.insert(0, "council", self.code)
        totals.insert(1, "budget_year", b.budget_year)
        totals.insert(2, "base_year", b.base_year)
        totals["scenario_title"] = totals["scenario"].map(b.scenario_titles)
        totals["expected_care_gross_gbp"] = b.expected.get("expected_gbp", np.nan)
        totals["expected_interval_low_gbp"] = b.expected.get("pi_low_gbp", np.nan)
        totals["expected_interval_high_gbp"] = b.expected.get("pi_high_gbp", np.nan)
        totals["actual_net_gbp_base_year"] = b.actual.get("net_current_expenditure_gbp", np.nan)
        totals["source"] = f"MHCLG revenue outturn (RO3) {b.base_year} ({b.actual.get('source')}); ONS mid-year population; expected-spend model"
        lines = b.lines.copy()
        lines.insert(0, "council", self.code)
        # budget.csv carries the reconciliation beside each line: RO3's net and the current pattern for the base year
        by_line = b.reconciliation.set_index("service_line")
        lines["current_pattern_base_year_gbp"] = lines["service_line"].map(by_line["current_pattern_base_year_gbp"])
        lines["reconciliation_difference_gbp"] = lines["service_line"].map(by_line["difference_gbp"])
        reconciliation = b.reconciliation.copy()
        reconciliation.insert(0, "council", self.code)
        roll = b.roll_forward.copy()
        roll.insert(0, "council", self.code)
        bridge = b.bridge.copy()
        bridge.insert(0, "council", self.code)
        return {"budget_lines": lines, "budget_totals": totals, "budget_reconciliation": reconciliation,
                "budget_roll_forward": roll, "budget_bridge": bridge}

    def _section_budget(self) -> Section:
        if self.budget is None:
            return Section("budget", self.budget_title(), [
                f"{self.budget_error or 'There is no base year for this council.'} The rest of the report is unaffected."])
        b = self.budget
        totals = b.totals.set_index("scenario")
        lines = b.lines
        names = list(totals.index)
        titles = [b.scenario_titles.get(n, n) for n in names]
        reference = titles[0]
        illustrative = bool(totals["illustrative"].any())
        a = b.assumptions
        income_rule = "with its line's gross" if a["income_inflation_pct"] is None else f"by {a['income_inflation_pct']:g}% a year and volume"
        paragraphs = [
            f"The budget starts from what {self.name} spent in {b.base_year} on each adult social care line of its revenue outturn "
            f"return to government (gross spend on staff and on everything else, less sales, fees and charges and other income; "
            f"Better Care Fund money the council receives is part of other income and is not deducted again). "
            f"It rolls each line forward to {b.budget_year} ({a['years_rolled_forward']} year(s)): the people served grow with the "
            f"population of the line's age group; pay rises {a['pay_inflation_pct']:g}% a year and other costs {a['fee_inflation_pct']:g}% "
            f"a year; income moves {income_rule}. Each assumption can be changed in the council's parameter file.",
            "Scenarios: " + "; ".join(f"{t}: {s.description}" for t, s in zip(titles, self._budget_scenarios(names), strict=True)) + ".",
        ]
        rec = b.reconciliation
        total_row = rec.iloc[-1]
        paragraphs.append(
            f"Reconciliation: computed for {b.base_year} itself, the current pattern gives {pounds(total_row['current_pattern_base_year_gbp'])} "
            f"against the {pounds(total_row['ro3_net_gbp'])} net the council reported; the largest difference on any line is "
            f"{pounds(rec['difference_gbp'].abs().max())}.")
        e = b.expected
        if not _missing(e.get("expected_gbp")):
            paragraphs.append(f"Expected spend from the needs model: {money(e['expected_gbp'])} gross on care for 18-64 and 65+ in {b.budget_year} "
                              f"(95% prediction interval {money(e['pi_low_gbp'])} to {money(e['pi_high_gbp'])}), against "
                              f"{money(totals.iloc[0]['care_gross_gbp'])} on the current pattern. Needs index (actual / expected spend, "
                              f"{e.get('year')}): {e.get('needs_index_65plus', np.nan):.2f} for 65+ and {e.get('needs_index_18to64', np.nan):.2f} for 18-64. "
                              + ("The model is fitted on the base year; its ratio of expected to actual spend is carried to the budget year."
                                 if e.get("year") == b.base_year else
                                 f"The model's year ({e.get('year')}) is older than the base year, so the council's position against its need "
                                 "is carried forward, not the model's pounds."))
        else:
            paragraphs.append("Expected spend from the needs model: n/a (the council is not in the model).")
        for name, title in zip(names[1:], titles[1:], strict=True):
            row = totals.loc[name]
            volume_words = "staff numbers" if self._budget_scenarios([name])[0].staffing_ratio else "the number of people served"
            paragraphs.append(f"{title} against the {reference.lower()}: {money(row['difference_gbp'])}, of which "
                              f"{money(row['volume_effect_gbp'])} comes from {volume_words} and {money(row['price_effect_gbp'])} "
                              "from the cost per person" + (" (ILLUSTRATIVE: rests on generated example files)." if row["illustrative"] else "."))

        # dropna=False: a line missing in every scenario stays, shown as n/a
        wide = lines.pivot_table(index="label", columns="scenario", values="amount_gbp", sort=False, dropna=False)[names]
        side = wide.map(millions).reset_index().rename(columns={"label": "line"})
        side = pd.concat([side, pd.DataFrame([{"line": "Total (net)", **{n: millions(totals.loc[n, "total_gbp"]) for n in names}}])],
                         ignore_index=True)
        side.columns = ["line", *titles]
        line_illustrative = lines.groupby("label", sort=False)["illustrative"].any()
        side["ILLUSTRATIVE"] = np.where(side["line"].map(line_illustrative).fillna(illustrative).astype(bool), "ILLUSTRATIVE", "")
        source = f"MHCLG revenue outturn (RO3) {b.base_year}; ONS mid-year population estimates"
        caption = self._caption(source + ("; the council's own files where stated" if illustrative or len(names) > 3 else ""),
                                f"base {b.base_year}, budget {b.budget_year}", illustrative)
        rec_table = rec[["line", "ro3_gross_gbp", "ro3_income_gbp", "ro3_net_gbp", "current_pattern_base_year_gbp", "difference_gbp"]].copy()
        for column in rec_table.columns[1:]:
            rec_table[column] = rec_table[column].map(pounds)
        rec_table.columns = ["line", f"gross {b.base_year}", f"income {b.base_year}", f"net {b.base_year} (reported)",
                             f"current pattern for {b.base_year}", "difference"]
        roll = b.roll_forward.groupby("year", sort=False)[["employees_gbp", "running_expenses_gbp", "gross_gbp", "income_gbp", "net_gbp"]].sum(min_count=1)
        roll_table = roll.map(millions).reset_index()
        roll_table.columns = ["year", "staff", "other costs", "gross", "income", "net"]
        gap = lines[lines["scenario"] != names[0]].groupby("scenario", sort=False)[["amount_gbp", "difference_gbp", "volume_effect_gbp",
                                                                                    "price_effect_gbp"]].sum(min_count=1)
        gap_table = gap.map(millions).reset_index()
        gap_table["scenario"] = gap_table["scenario"].map(b.scenario_titles)
        gap_table.columns = ["scenario", "net total", f"difference from the {reference.lower()}",
                             "of which: people served (staff numbers for staffing)", "of which: cost per person"]
        tables = [
            Table("budget_reconciliation", rec_table, self._caption(f"MHCLG revenue outturn (RO3) {b.base_year}", b.base_year, False, group=False)
                  + f" The current pattern computed for {b.base_year} against what the council reported, line by line."),
            Table("budget_scenarios", side, caption + " Net spend by line in each scenario; budget.csv and tables.xlsx hold every figure unrounded."),
            Table("budget_roll_forward", roll_table, self._caption(source, f"{b.base_year} to {b.budget_year}", False, group=False)
                  + " The current pattern in each year from the base year to the budget year."),
        ]
        if len(gap_table):
            tables.append(Table("budget_gap", gap_table, caption + " Each scenario's difference from the current pattern, split into the "
                                "number of people served (change in people x current cost per person) and the cost per person "
                                "(change in cost per person x the scenario's people)."))
        figures = []
        if b.budget_year != b.base_year:
            fig, alt = charts.bridge_waterfall(b.bridge, f"From {money(b.bridge['amount_gbp'].iloc[0])} in {b.base_year} to "
                                               f"{money(b.bridge['amount_gbp'].iloc[-1])} in {b.budget_year} on the current pattern",
                                               lambda v: millions(v, 1))
            figures.append(charts.figure_html(fig, alt, self._caption(source, f"{b.base_year} to {b.budget_year}", False, group=False)))
        # The lines only: the total is several times the largest line and would shrink every bar to a sliver.
        chart_lines = wide.copy()
        chart_lines.columns = titles
        fig, alt = charts.budget_bars(chart_lines, f"Net spend by line in {b.budget_year}, by scenario", lambda v: millions(v, 1), illustrative)
        figures.append(charts.figure_html(fig, alt, caption))
        return Section("budget", self.budget_title(), paragraphs, tables, figures, notes=list(b.notes))

    def _budget_scenarios(self, names: list[str]) -> list:
        by_name = {s.name: s for s in budget_params(self.params).scenarios}
        return [by_name[n] for n in names]

    # -- sources and glossary ------------------------------------------------------------------------------------
    def sources_table(self) -> pd.DataFrame:
        from benchmark.data.sources import SOURCES_BY_ID

        used: dict[str, list[str]] = {}
        for _, row in self.metrics.iterrows():
            for sid in source_ids(row["source"]):
                used.setdefault(sid, []).append(str(row["label"]))
        if self.budget is not None:
            for text in list(self.budget.lines["source"].unique()) + [self.budget.actual.get("source", "")]:
                for sid in source_ids(text):
                    used.setdefault(sid, []).append("base budget")
        rows = []
        for sid, uses in used.items():
            s = SOURCES_BY_ID[sid]
            rows.append({"source": f"{s.publisher}, {s.title}", "years": s.years, "caveats": s.caveats or "-", "licence": s.licence,
                         "used for": ", ".join(dict.fromkeys(uses)), "id": sid, "illustrative": ""})
        local = self.metrics[self.metrics["source"].astype(str).str.startswith("data/") | self.metrics["source"].astype(str).str.contains("local/")]
        for _, row in local.iterrows():
            rows.append({"source": local_file_words(row["source"]), "years": str(row["year"]),
                         "caveats": ("generated example shipped with the toolkit, not real figures" if row["illustrative"]
                                     else "supplied by the council"),
                         "licence": "council's own", "used for": row["label"], "id": "local",
                         "illustrative": "ILLUSTRATIVE" if row["illustrative"] else ""})
        return pd.DataFrame(rows)

    def _section_sources(self) -> Section:
        table = self.sources_table()
        published = table[table["id"] != "local"]
        title = (f"{self.name}'s figures rest on {len(published)} published sources (NHS Digital, ONS, MHCLG; Open Government Licence v3.0)"
                 + (f" and {int((table['id'] == 'local').sum())} local inputs" if (table["id"] == "local").any() else ""))
        notes = [
            "Every figure carries its data year; years differ between metrics (the newest year of each source is in the table above).",
            "Suppressed or missing values are shown as n/a with the reason, never as 0.",
            "ASC-FR definitions change between years; 2020-21 and 2021-22 are distorted by COVID-19.",
            f"Comparator group: {self.group_description}.",
        ]
        if (table["illustrative"] == "ILLUSTRATIVE").any():
            notes.append("Rows marked ILLUSTRATIVE come from generated example files shipped with the toolkit, not from the council.")
        from benchmark.report.formatting import data_differences_note

        changed_data = data_differences_note(self.tables.provenance)
        paragraphs = [changed_data] if changed_data else []  # a --data copy that is not the shipped data: said first, not in a footnote
        return Section("sources", title, paragraphs, [Table("sources", table.drop(columns=["id"]),
                                                              "Data sources, years, caveats and licences of every figure in this report.")],
                       notes=notes)

    def _section_glossary(self) -> Section:
        table = glossary()
        terms = pd.DataFrame([
            ("comparator median", "the middle value of the comparator councils (the council itself excluded)"),
            ("robust z-score", "(value - comparator median) / (1.4826 x median absolute deviation of the comparators)"),
            ("funnel plot", "values against their denominator with 95% and 99.8% control limits around the pooled comparator rate, "
                            "widened for between-council variation (NHS-R FunnelPlotR method)"),
            ("RAG flag", "RED / AMBER: a large / notable difference in the worse direction; GREEN: in the better direction; "
                         "DIFFERENT: a marked difference for a metric with no better direction"),
            ("material difference", "large enough to matter whatever its statistics: a share of the comparator median, percentage "
                                    "points for percentages, people or FTE for rates of them (thresholds set in the council's parameter file); a "
                                    "difference that is not material is 'similar to' the comparators"),
            ("overdispersion", "variation between councils beyond chance; funnel limits are widened by the between-council "
                               "standard deviation tau, reported under each funnel plot"),
            ("needs index", "actual spend per head / spend per head expected from need (leave-one-out model)"),
            ("ILLUSTRATIVE", "rests on generated example data shipped with the toolkit, not real figures"),
        ], columns=["term", "meaning"])
        return Section("glossary", f"Glossary: {len(table)} metrics and {len(terms)} terms defined",
                       [], [Table("glossary", table.drop(columns=["id"]), "What each figure in this report measures, its unit and which direction is better."),
                            Table("terms", terms, "Terms used in this report.")])


def glossary() -> pd.DataFrame:
    """One row per metric of :func:`benchmark.metrics.registry.metric_table`."""
    from benchmark.metrics.registry import metric_table

    from benchmark.report.workbook import METRIC_UNIT_WORDS

    m = metric_table().reset_index(drop=True)
    polarity = {"higher_better": "higher is better", "lower_better": "lower is better", "neither": "neither direction is better in itself"}
    return pd.DataFrame({"metric": m["label"], "id": m["id"], "unit": m["unit"].map(lambda u: METRIC_UNIT_WORDS.get(u, u)),
                         # a setting's code in brackets after its name says nothing more to a reader
                         "definition": m["definition"].str.replace(r" \([a-z]+(?:_[a-z0-9]+)+(?:, [a-z]+(?:_[a-z0-9]+)+)*\)", "", regex=True),
                         "direction": m["polarity"].map(polarity),
                         "source": [table_words(s) for s in m["source"]]})


#: The tables a metric is computed from (the registry's ``source``), as the publications they hold.
TABLE_WORDS = {
    "ro3": "MHCLG revenue outturn, social care (RO3)", "rsx": "MHCLG revenue outturn summary (RSX)", "rs": "MHCLG revenue outturn summary (RS)",
    "ra": "MHCLG revenue account budget (RA)", "ascfr_expenditure": "NHS England adult social care finance return (ASC-FR), spend",
    "ascfr_activity": "ASC-FR activity", "ascfr_additional": "ASC-FR additional data", "ascfr_datafile": "ASC-FR data file",
    "population_by_age": "ONS mid-year population estimates", "population_bands": "ONS mid-year population estimates",
    "ascof": "NHS England adult social care outcomes framework (ASCOF)", "deprivation": "English Indices of Deprivation",
    "local": "the council's own files (or the national example files shipped with the toolkit)",
}


def table_words(source) -> str:
    """A registry ``source`` ("ascfr_expenditure; population_by_age") as the publications it names."""
    if _missing(source):
        return "n/a"
    tokens = [t.strip() for t in re.split(r"[;+]", str(source)) if t.strip()]
    return "; ".join(dict.fromkeys(TABLE_WORDS.get(t, t.replace("_", " ")) for t in tokens))


# ----------------------------------------------------------------------------------------------
# the budget from shared inputs (same result as benchmark.budget.base_budget.council_budget)
# ----------------------------------------------------------------------------------------------

def report_budget(report: ReportContent, params=None):
    """:func:`benchmark.budget.base_budget.council_budget` with the report's comparator group (incl. a
    custom list) and the run's shared local panel, so nothing is reloaded.  ``params``
    (``BudgetParams``) replaces the report's assumptions: the what-if panel's (:mod:`benchmark.report.whatif`)."""
    from benchmark.budget import base_budget as bb

    comparators = report.members()  # the report's one group, as in every other section
    return bb.council_budget(report.tables, report.code, params or budget_params(report.params),
                             comparators=comparators, local_panel=report.shared.local_panel)


# ----------------------------------------------------------------------------------------------
# for the runner
# ----------------------------------------------------------------------------------------------

def _report(params_or_report) -> ReportContent:
    return params_or_report if isinstance(params_or_report, ReportContent) else ReportContent.build(params_or_report)


LOCAL_TABLE_NAMES = {"workforce": "workforce", "workforce_by_role": "workforce_by_role", "bcf": "bcf", "bcf_contributions": "bcf_contributions",
                     "fee_schedule": "fee_schedule", "fee_spread": "fee_spread", "fee_simplified": "fee_simplified",
                     "package_headlines": "package_headlines", "package_distribution_by_reason": "packages_by_reason",
                     "package_distribution_by_age": "packages_by_age", "notes": "local_notes"}


def council_tables(params_or_report: dict | ReportContent) -> dict[str, pd.DataFrame]:
    """The report's tables by name (names fit Excel's 31-character sheet names).

    ``metrics``: council_metrics' rows and columns for the council and group, plus the RAG columns;
    ``budget_lines`` and ``budget_totals`` (a one-row frame saying why when there is no budget);
    ``headline_messages``, ``context``, ``comparators``, the local tables present, ``sources``,
    ``glossary``.
    """
    report = _report(params_or_report)
    out = {"metrics": report.metrics.copy()}
    out["metrics"].insert(0, "council", report.code)
    budget = report.budget_tables()
    if budget:
        out.update(budget)
    else:
        out["budget_lines"] = pd.DataFrame({"council": [report.code], "note": [f"no base budget: {report.budget_error}"]})
        out["budget_totals"] = out["budget_lines"].copy()
    out["headline_messages"] = report.key_messages()
    out["context"] = report.context_values()
    out["comparators"] = report.comparators_table()
    for key, name in LOCAL_TABLE_NAMES.items():
        if key in report.local:
            frame = report.local[key].copy()
            if "source" not in frame.columns:
                frame["source"] = "council's own files (data/local)"
            if "year" not in frame.columns and key != "notes":
                frame["year"] = report._local_year()
            out[name] = frame
    out["sources"] = report.sources_table()
    out["glossary"] = glossary()
    return out


def headlines(params_or_report: dict | ReportContent) -> dict:
    """A few figures for the run's index page (plain JSON-able values; None where missing)."""
    report = _report(params_or_report)

    def num(value):
        return None if _missing(value) else float(value)

    spend = report.metric("gce_65plus_per_head_65plus_gbp")
    net = report.metric("asc_net_per_head_18plus_gbp")
    counts = report.metrics["rag"].value_counts()
    # which figures rest on generated example data, by name: the index says which, not just that some do
    illustrative_figures = list(report.metrics.loc[report.metrics["illustrative"].astype(bool), "label"].astype(str))
    if report.budget is not None:
        illustrative_figures += [f"base budget: {report.budget.scenario_titles.get(r.scenario, r.scenario)}"
                                 for r in report.budget.totals.itertuples() if r.illustrative]
    out = {
        "council": report.code, "council_name": report.name, "comparator_group": report.group_description,
        "net_per_head_18plus_gbp": num(net["value"]), "net_per_head_18plus_comparator_median_gbp": num(net["median"]),
        "net_per_head_18plus_year": None if _missing(net["year"]) else str(net["year"]),
        "gce_65plus_per_head_gbp": num(spend["value"]), "gce_65plus_per_head_comparator_median_gbp": num(spend["median"]),
        "gce_65plus_per_head_year": None if _missing(spend["year"]) else str(spend["year"]),
        "gce_65plus_per_head_flag": spend["flag"],
        "red_flags": int(counts.get("RED", 0)), "amber_flags": int(counts.get("AMBER", 0)), "green_flags": int(counts.get("GREEN", 0)),
        "illustrative": bool(illustrative_figures), "illustrative_figures": illustrative_figures,
        "budget_year": report.budget.budget_year if report.budget is not None else report.params["budget_year"],
        "budget_error": report.budget_error, "budget_current_pattern_gbp": None,
        "needs_index_65plus": None, "needs_index_18to64": None, "expected_spend_gbp": None, "budget_totals_gbp": {},
    }
    if report.budget is not None:
        e = report.budget.expected
        out["needs_index_65plus"] = num(e.get("needs_index_65plus"))
        out["needs_index_18to64"] = num(e.get("needs_index_18to64"))
        out["expected_spend_gbp"] = num(e.get("expected_gbp"))
        out["budget_totals_gbp"] = {str(r.scenario): num(r.total_gbp) for r in report.budget.totals.itertuples()}
        out["budget_current_pattern_gbp"] = num(report.budget.totals["total_gbp"].iloc[0])
    return out


def export_report(report: ReportContent, folder: str | Path | None) -> dict | None:
    """Write the report's tables where the runner asks (``export_dir``), each file atomically:
    ``metrics.csv``, ``budget.csv`` (the budget's lines), ``tables.xlsx`` (every table, a sheet each)
    and ``headlines.json`` (for the run's index).  Nothing is written when ``folder`` is None.

    The kernel that presents the report writes them, so its tables are computed once.
    """
    if folder is None:
        return None
    import json

    from benchmark.files import write_atomic, write_text_atomic  # the names: benchmark.report.files.EXPORT_FILES

    folder = Path(folder)
    tables = council_tables(report)
    write_atomic(folder / "metrics.csv", lambda p: tables["metrics"].to_csv(p, index=False))
    write_atomic(folder / "budget.csv", lambda p: tables["budget_lines"].to_csv(p, index=False))
    summary = headlines(report)
    write_atomic(folder / "tables.xlsx", lambda p: _write_workbook({"read_me": read_me(report, summary["illustrative_figures"]), **tables}, p))
    write_text_atomic(folder / "headlines.json", json.dumps(summary, indent=1))
    return summary


def read_me(report: ReportContent, illustrative_figures: list[str]) -> pd.DataFrame:
    """The workbook's first sheet: what the tables are about and where they come from, in words
    (``illustrative_figures``: the names :func:`headlines` gives)."""
    years = report.metrics.groupby(report.metrics["source"].map(cite), sort=False)["year"].agg(
        lambda y: ", ".join(sorted({str(v) for v in y.dropna()})))
    rows = [("council", f"{report.name} ({report.code})"),
            ("comparator group", f"{report.group_description} ({len(report.members())} councils)"),
            ("base budget", f"built from the {report.budget.base_year} revenue outturn for {report.budget.budget_year}" if report.budget
             else f"none: {report.budget_error}"),
            ("money", "pounds (£), unrounded; missing or suppressed figures are empty cells, never 0"),
            ("illustrative data", "; ".join(illustrative_figures) or "none: every figure rests on published or the council's own data")]
    rows += [(f"source: {source}", f"years {year_list}") for source, year_list in years.items() if source != "n/a"]
    return pd.DataFrame(rows, columns=["item", "value"])


def _write_workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    from benchmark.report.workbook import write_workbook

    write_workbook(tables, path)

