"""What one council's report shows: pure functions over the package's results, no data of its own.

``ReportContent.build(params)`` gathers, once, everything the report needs for one council (from the
run's shared results when ``shared_dir`` is set, otherwise computed directly), and
``report.section(key)`` returns each :class:`~benchmark.report.page.Section`, built by its module in
:mod:`benchmark.report.sections`, with an active title stating its finding, paragraphs, tables (each
with source, year and an ILLUSTRATIVE label where example data is used) and charts with alt text.
``ReportContent`` holds what several sections share: the metrics and their RAG flags
(:mod:`benchmark.report.flags`), captions and citations (:mod:`benchmark.report.citations`), the
charts of one metric across the group, and the council's local tables.  The runner uses
:func:`council_tables` (tables by name, for ``metrics.csv``, ``budget.csv`` and ``tables.xlsx``) and
:func:`headlines` (figures for the run's index page).

The comparator group is resolved once (:attr:`ReportContent.members`, for the group's geography
year) and every chart, table, flag and statistic uses exactly those councils.
"""
from __future__ import annotations

import functools
import logging
import math
import re
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from benchmark.errors import UserError
from benchmark.report import chart_process, charts
from benchmark.report.chart_process import PendingFigure, figure
from benchmark.report.citations import ILLUSTRATIVE_COMPARATORS_NOTE, ILLUSTRATIVE_NOTE, cite, illustrative_note
from benchmark.report.flags import is_finding, material_difference, pct_difference, rag_flags
from benchmark.report.formatting import fmt, local_file_words, money, short_fmt
from benchmark.report.formatting import is_missing as _missing
from benchmark.report.page import Section, Table, esc
from benchmark.report.parameters import PARAMETERS, budget_params, check_parameters, resolved_comparator_method
from benchmark.report.sections import SECTIONS, build_section, metric_charts
from benchmark.report.sections import budget as budget_section
from benchmark.report.sections import context as context_section
from benchmark.report.sections import sources as sources_section
from benchmark.report.sections import spend as spend_section
from benchmark.report.sections import summary as summary_section
from benchmark.report.sections.glossary import glossary

log = logging.getLogger(__name__)

# the names other modules and notebooks take from here (the report's public face), defined where they belong
__all__ = ["ILLUSTRATIVE_COMPARATORS_NOTE", "ILLUSTRATIVE_NOTE", "SECTIONS", "ReportContent", "Section", "Table", "cite", "council_tables",
           "export_report", "fmt", "glossary", "headlines", "illustrative_note", "is_finding", "material_difference", "money",
           "parameters_from", "pct_difference", "rag_flags", "report_budget", "short_fmt"]


def _kept(chart_method):
    """A chart method of :class:`ReportContent` whose figure the report keeps: asked for again with the
    same arguments (a section's build, after :meth:`ReportContent._ask_metric_charts`), it returns the
    same figure, drawn once."""
    @functools.wraps(chart_method)
    def kept(self, *args, **kwargs):
        key = (chart_method.__name__, args, tuple(sorted(kwargs.items())))
        if key not in self._charts:
            self._charts[key] = chart_method(self, *args, **kwargs)
        return self._charts[key]
    return kept


GROUP_PHRASE = {"nn": "similar councils", "statistical": "its statistical neighbours", "region": "other councils in its region",
                "type": "councils of the same type", "england": "other English councils", "custom": "its chosen comparators"}


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

def parameters_from(namespace: dict) -> dict:
    """The report's parameters from a notebook's namespace (every name of PARAMETERS), checked."""
    return check_parameters({p.name: namespace[p.name] for p in PARAMETERS}, "notebook parameters")


class ReportContent:
    """Everything one council's report shows, gathered once."""

    def __init__(self, params: dict, shared, code: str, name: str, metrics: pd.DataFrame, pairs: pd.DataFrame):
        self.params, self.shared, self.code, self.name = params, shared, code, name
        self.tables = shared.tables
        self.metrics = metrics
        self.metrics_by_id = metrics.set_index("id")  # metric() and the section tables look rows up by id
        self.pairs = pairs
        self.local: dict[str, pd.DataFrame] = {}
        self.local_files = None  # the council's files as read for its local tables (LocalFiles), read again by its budget
        self.local_error: str | None = None
        self.budget = None
        self.budget_error: str | None = None
        self.method = params["comparator_method"]
        self.group_description = metrics.attrs.get("group", "")
        self.group_year = metrics.attrs.get("group_year")  # the geography year the group was resolved for
        self.phrase = GROUP_PHRASE[self.method]
        self._prebuilt: dict[str, Section] = {}
        self._charts: dict[tuple, str | PendingFigure | None] = {}  # every chart asked for (see _kept)
        self._export: ExportContents | None = None  # export_contents, prepared with the prebuilt sections

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def build(cls, params: dict) -> ReportContent:
        """The council's report for ``params``: its comparator group, metrics, local tables and budget
        (with a drawing process running, every section is built at once, see :meth:`_prebuild_sections`)."""
        from benchmark.report.shared import compute_shared, load_shared

        params = check_parameters(dict(params), "report parameters")
        chart_process.forget_queued()  # charts an earlier report asked for and never showed are not drawn for this one
        shared = load_shared(params["shared_dir"], params) if params["shared_dir"] else compute_shared(params)
        report = cls._gather(params, shared)
        if chart_process.running():
            report._prebuild_sections()
        return report

    @classmethod
    def _gather(cls, params: dict, shared) -> ReportContent:
        """Resolve the council and its comparator group, then gather its metrics, local tables and budget."""
        from benchmark.comparators import describe_method, load_config
        from benchmark.metrics.stats import group_year

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
        if chart_process.running():
            report._ask_metric_charts()  # drawn while the local files are read and the budget is built
        report._gather_local()
        report._gather_budget()
        return report

    def _ask_metric_charts(self) -> None:
        """Queue the sections' charts that rest on the metrics alone (``metric_charts`` of
        :mod:`benchmark.report.sections`), so that the drawing process starts on them while the
        kernel gathers the rest; each section's build then gets the same figures (:func:`_kept`).
        A chart that fails is left to fail again in its section's cell, where the notebook shows it."""
        try:
            metric_charts(self)
        except Exception:  # raised again when its section is built (see the docstring)
            log.debug("metric charts not asked for early", exc_info=True)

    def _prebuild_sections(self) -> None:
        """Every section built now, its charts queued for the drawing process, so that they are drawn
        while the kernel builds the other sections' tables (:mod:`benchmark.report.chart_process`).
        A section that fails is left to fail again in its own cell, where the notebook shows it."""
        for key in SECTIONS:
            try:
                self._prebuilt[key] = build_section(key, self)
            except Exception:  # raised again when its cell asks for it (see the docstring)
                log.debug("section %s not prebuilt", key, exc_info=True)
        if self.params["export_dir"] is not None:
            try:
                self._export = export_contents(self)  # tables.xlsx made by the drawing process, next
            except Exception:  # raised again by the export cell, where the notebook shows it
                log.debug("export not prepared", exc_info=True)

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
        from benchmark.local.panel import LocalFiles, LocalParams, local_summary

        lp = LocalParams(high_cost_threshold_gbp=float(self.params["high_cost_threshold_gbp"]), review_months=int(self.params["review_months"]),
                         comparators=tuple(self.members()))
        self.local_files = LocalFiles()
        try:
            self.local = local_summary(self.tables, self.code, self.shared.local_root, lp, panel=self.shared.local_panel, files=self.local_files)
        except UserError as error:
            self.local_error = f"the council's local files could not be read: {error}"

    def _gather_budget(self) -> None:
        try:
            self.budget = report_budget(self)
        except UserError as error:
            self.budget_error = str(error)

    def metric(self, metric_id: str) -> pd.Series:
        return self.metrics_by_id.loc[metric_id]

    def section(self, key: str) -> Section:
        if key not in SECTIONS:
            raise UserError(f"unknown section '{key}' (choose from {', '.join(SECTIONS)})")
        return self._prebuilt.get(key) or build_section(key, self)

    def sections(self) -> list[Section]:
        return [self.section(key) for key in SECTIONS]

    def title_html(self) -> str:
        p = self.params
        illustrative = bool(self.metrics["illustrative"].any())
        return (f"<h1>{esc(self.name)} ({esc(self.code)}): adult social care use of resources</h1>"
                f"<p>Comparator group: {esc(self.group_description)}. Metric year: {esc(p['year'] or 'each metric’s latest year with data')}. "
                f"Budget year: {esc(self.budget.budget_year if self.budget is not None else p['budget_year'] or 'two years after the newest outturn')}.</p>"
                + (f"<p><b>{esc(ILLUSTRATIVE_NOTE)}</b> for rows and charts marked ILLUSTRATIVE.</p>" if illustrative else ""))

    # -- what every section uses: captions, rows of metrics, charts of one metric ---------------------------
    def caption(self, source: str, year: str, illustrative: bool = False, group: bool = True) -> str:
        """A table's or chart's caption: its source, year, the report's comparator group and, where it
        rests on generated data, the ILLUSTRATIVE note."""
        text = f"Source: {source}. Year: {year}."
        if group:
            text += f" Comparators: {self.group_description}."
        if illustrative:
            text += f" {ILLUSTRATIVE_NOTE}."
        return text

    def metric_rows(self, ids: list[str]) -> pd.DataFrame:
        """A table of metrics (registry ids) as the report shows them: value, comparator median, range,
        rank, coverage, robust z, flag and source."""
        rows = self.metrics_by_id.reindex(ids).reset_index()
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

    def years_of(self, ids: list[str]) -> str:
        """The years the metrics ``ids`` are shown for, for a caption ('n/a' when none has a value)."""
        years = sorted({str(y) for y in self.metrics_by_id.reindex(ids)["year"].dropna()})
        return ", ".join(years) if years else "n/a"

    def sources_of(self, ids: list[str]) -> str:
        """The publications the metrics ``ids`` rest on, each cited once."""
        rows = self.metrics_by_id.reindex(ids)
        return "; ".join(dict.fromkeys(cite(s) for s in rows["source"].dropna()))

    def _group_values(self, metric_id: str, year: str) -> pd.DataFrame:
        """value and denominator of the council and its comparators for one metric and year, by name."""
        panel = self.shared.panel
        codes = [self.code] + self.members()
        rows = panel[(panel["metric_id"] == metric_id) & (panel["year"] == year) & panel["council"].isin(codes)]
        names = rows["council"].astype(str).map(self.council_name)
        return pd.DataFrame({"value": rows["value"].to_numpy(float), "denominator": rows["denominator"].to_numpy(float),
                             "illustrative": rows["illustrative"].to_numpy(bool)}, index=names.to_numpy())

    @_kept
    def ranked_chart(self, metric_id: str, title: str | None = None) -> str | PendingFigure | None:
        """A ranked bar chart (HTML figure) of one metric across the group, or None without data."""
        row = self.metric(metric_id)
        if _missing(row["value"]) or _missing(row["year"]) or not row["n"]:
            return None
        data = self._group_values(metric_id, row["year"])
        illustrative = bool(row["illustrative"])
        return figure(charts.ranked_bar, data["value"], self.name, row["median"], title or self.metric_title(metric_id),
                      short_fmt(row["unit"]), f"{row['label']} ({row['year']})", illustrative,
                      caption=self.caption(cite(row["source"]), row["year"], illustrative) + f" {self.coverage(metric_id, row['year'])}.")

    @_kept
    def funnel_chart(self, metric_id: str) -> str | PendingFigure | None:
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
        dispersion = (f" Limits widened for the variation between councils beyond chance (NHS-R FunnelPlotR's additive method): "
                      f"overdispersion ratio phi {float(row['phi']):,.{0 if float(row['phi']) >= 100 else 2}f}, between-council standard deviation tau "
                      f"{fmt(math.sqrt(float(row['tau2'])), row['unit'])}.")
        return figure(charts.funnel, data, self.name, float(row["target"]), float(row["tau2"]), float(spec["multiplier"]),
                      spec["error_model"] == "binomial", title, short_fmt(row["unit"]), row["label"], str(spec["denominator"]), illustrative,
                      caption=self.caption(cite(row["source"]), row["year"], illustrative) + dispersion
                      + f" {self.coverage(metric_id, row['year'])}.")

    @_kept
    def series_chart(self, metric_id: str) -> str | PendingFigure | None:
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
        sources = "; ".join(dict.fromkeys(cite(s) for s in rows[rows["council"] == self.code]["source"].dropna()))
        changes = self.group_changes(years)
        return figure(charts.time_series, frame, self.name, title, short_fmt(row["unit"]), row["label"], illustrative,
                      caption=self.caption(sources, f"{years[0]} to {years[-1]}", illustrative) + (f" {changes}" if changes else ""))

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

    # -- trends -----------------------------------------------------------------------------------------
    #: Years the COVID-19 pandemic distorted spend and activity: a fact of history (like the dates of
    #: reorganisations), not a data year; marked on every trend that includes them.
    COVID_YEARS = ("2020-21", "2021-22")
    CASH_NOTE = ("Cash figures, not adjusted for inflation (part of any rise is pay and price inflation): the published data holds "
                 "no price index; a council that sets its own in its parameter file sees these trends in real terms.")

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
        for i, (before, after) in enumerate(pairwise(years)):
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

    @_kept
    def trend_chart(self, metric_id: str) -> str | PendingFigure | None:
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
        sources = "; ".join(dict.fromkeys(cite(s) for s in own["source"].dropna()))
        caption = self.caption(sources, f"{', '.join(years)} (the years in the data)", illustrative)
        if breaks:
            caption += " Not like for like across the dotted lines: " + "; ".join(label for _, label in breaks) + "."
        caption += f" {price_note} {self.coverage(metric_id, years[-1])}."
        changes = self.group_changes(years)
        return figure(charts.time_series, frame, self.name, title, short_fmt(row["unit"]), row["label"], illustrative, breaks=breaks,
                      caption=caption + (f" {changes}" if changes else ""))

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

    # -- local tables, for the sections of the council's own files ----------------------------------------
    def local_missing(self, file: str) -> str:
        from benchmark.local.panel import missing_reason_for

        return self.local_error or missing_reason_for(self.code, file)

    def local_table(self, key: str, caption_source: str | None = None) -> Table | None:
        frame = self.local.get(key)
        if frame is None:
            return None
        frame = frame.copy()
        illustrative = bool(frame["illustrative"].any()) if "illustrative" in frame else bool(self.local["panel"]["illustrative"].any())
        if "illustrative" in frame:
            frame["illustrative"] = np.where(frame["illustrative"].astype(bool), "ILLUSTRATIVE", "")
        year = ", ".join(sorted(frame["year"].astype(str).unique())) if "year" in frame else self.local_year()
        source = caption_source or (local_file_words("; ".join(dict.fromkeys(frame["source"].astype(str)))) if "source" in frame
                                    else "council's own files")
        return Table(key, frame, self.caption(source, year, illustrative, group=False))

    def local_year(self) -> str:
        panel = self.local.get("panel")
        if panel is None or panel.empty:
            return "n/a"
        return ", ".join(sorted(panel["year"].dropna().astype(str).unique()))

    # -- tables other parts of the toolkit ask for, each computed by its section --------------------------
    def key_messages(self, limit: int = 6) -> pd.DataFrame:
        return summary_section.key_messages(self, limit)

    def comparators_table(self) -> pd.DataFrame:
        return context_section.comparators_table(self)

    def budget_outturn_table(self) -> pd.DataFrame:
        return spend_section.budget_outturn_table(self)

    def sources_table(self) -> pd.DataFrame:
        return sources_section.sources_table(self)



def report_budget(report: ReportContent, params=None):
    """:func:`benchmark.budget.base_budget.council_budget` with the report's comparator group (incl. a
    custom list), its local folder, the run's shared local panel and the local files its tables have
    read, so nothing is reloaded.  ``params`` (``BudgetParams``) replaces the report's assumptions: the
    what-if panel's (:mod:`benchmark.report.whatif`)."""
    from benchmark.budget import base_budget as bb

    comparators = report.members()  # the report's one group, as in every other section
    return bb.council_budget(report.tables, report.code, params or budget_params(report.params), local_root=report.shared.local_root,
                             comparators=comparators, local_panel=report.shared.local_panel, local_files=report.local_files)


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
    budget = budget_section.budget_tables(report)
    if budget:
        out.update(budget)
    else:
        out["budget_lines"] = pd.DataFrame({"council": [report.code], "note": [f"no base budget: {report.budget_error}"]})
        out["budget_totals"] = out["budget_lines"].copy()
    out["headline_messages"] = report.key_messages()
    out["context"] = context_section.context_values(report)
    out["comparators"] = report.comparators_table()
    for key, name in LOCAL_TABLE_NAMES.items():
        if key in report.local:
            frame = report.local[key].copy()
            if "source" not in frame.columns:
                frame["source"] = "council's own files (data/local)"
            if "year" not in frame.columns and key != "notes":
                frame["year"] = report.local_year()
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

    from benchmark.files import write_atomic, write_bytes_atomic, write_text_atomic  # the names: benchmark.report.files.EXPORT_FILES

    folder = Path(folder)
    export = report._export or export_contents(report)
    write_atomic(folder / "metrics.csv", lambda p: export.tables["metrics"].to_csv(p, index=False))
    write_atomic(folder / "budget.csv", lambda p: export.tables["budget_lines"].to_csv(p, index=False))
    write_bytes_atomic(folder / "tables.xlsx", export.workbook.result())
    write_text_atomic(folder / "headlines.json", json.dumps(export.summary, indent=1))
    return export.summary


class ExportContents(NamedTuple):
    tables: dict[str, pd.DataFrame]  # council_tables
    summary: dict  # headlines
    workbook: chart_process.Pending  # tables.xlsx's bytes: every table and the read-me sheet


def export_contents(report: ReportContent) -> ExportContents:
    """What :func:`export_report` writes.  The workbook is made in the drawing process when it runs
    (about a tenth of a report's work, done there while the kernel draws and builds the rest)."""
    from benchmark.report.workbook import workbook_bytes

    tables = council_tables(report)
    summary = headlines(report)
    sheets = {"read_me": read_me(report, summary["illustrative_figures"]), **tables}
    return ExportContents(tables, summary, chart_process.aside(workbook_bytes, sheets))


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

