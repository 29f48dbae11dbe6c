"""Context: the council's population and deprivation beside its comparators, and who the comparators are."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmark.report.citations import cite
from benchmark.report.flags import is_finding
from benchmark.report.formatting import fmt
from benchmark.report.formatting import is_missing as _missing
from benchmark.report.page import Section, Table

if TYPE_CHECKING:
    from benchmark.report.content import ReportContent

KEY = "context"
NAME = "Context"


def context_values(report: ReportContent) -> pd.DataFrame:
    """The context measures as numbers with their unit (for tables.xlsx); :meth:`context_table` shows them."""
    bands = report.tables.population_bands
    own = bands[(bands["council"] == report.code) & (bands["measure"] == "population")]
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
        row = report.metric(metric_id)
        rows.append({"measure": row["label"], "value": row["value"], "unit": row["unit"],
                     "year": row["year"] if not _missing(row["year"]) else "n/a", "source": cite(row["source"]),
                     "comparator median": row["median"], "missing_reason": row["missing_reason"] if _missing(row["value"]) else None})
    frame = pd.DataFrame(rows)
    for column in ("comparator median", "missing_reason"):
        if column not in frame.columns:
            frame[column] = None
    return frame[["measure", "value", "unit", "year", "source", "comparator median", "missing_reason"]]


def context_table(report: ReportContent) -> pd.DataFrame:
    values = context_values(report)
    shown = [fmt(v, u) if not _missing(v) else f"n/a ({why})" for v, u, why in zip(values["value"], values["unit"], values["missing_reason"], strict=True)]
    medians = [fmt(m, u) if not _missing(m) else None for m, u in zip(values["comparator median"], values["unit"], strict=True)]
    return pd.DataFrame({"measure": values["measure"], "value": shown, "year": values["year"], "source": values["source"],
                         "comparator median": medians})


def group_geography(report: ReportContent) -> str:
    return "April 2021 geography" if report.method == "nn" else f"councils of {report.group_year}"


def comparators_table(report: ReportContent) -> pd.DataFrame:
    registry = report.tables.registry.table.set_index("ons_code")
    codes = report.members()
    frame = registry.reindex(codes)[["name", "region", "council_type"]].reset_index().rename(columns={"ons_code": "ONS code"})
    frame["source"] = report.group_description
    return frame.sort_values("name").reset_index(drop=True)


def build(report: ReportContent) -> Section:
    share = report.metric("share_65plus_aged_85plus_pct")
    imd = report.metric("imd_average_score")
    if not _missing(share["value"]) and not _missing(share["median"]):
        older = ("older than" if share["value"] > share["median"] else "younger than") if is_finding(share) else "similar in age to that"
        title = (f"{report.name}'s older population is {older} in {report.phrase}: {fmt(share['value'], 'pct')} of people aged 65+ "
                 f"are 85+ against a median of {fmt(share['median'], 'pct')} ({share['year']})")
    else:
        title = f"{report.name}: population and deprivation context"
    if not _missing(imd["value"]) and not _missing(imd["median"]):
        deprived = (f"{'more' if imd['value'] > imd['median'] else 'less'} deprived than most of them" if is_finding(imd)
                    else "similarly deprived")
        title += f"; it is {deprived}"
    found = report.tables.registry.council(report.code)
    how = {"nn": "the councils of its set as shipped with the toolkit; the sets' method and source are not stated, and they are "
                 "not the licensed CIPFA lists",
           "statistical": "the toolkit's own statistical peers: the nearest councils on need (share aged 85+, density, "
                          "deprivation and more), following NHS England's method for its adult social care peer groups",
           "region": f"the other councils of the {found.region} region",
           "type": f"the other councils of the same type ({found.council_type})",
           "england": "every other English council with adult social care duties",
           "custom": "the list of councils set in the parameter file"}[report.method]
    paragraphs = [f"{report.name} ({report.code}, CASSR {found.cassr_code}) is a {found.council_type} council in {found.region}.",
                  f"Comparator group ({len(report.members())} councils, {group_geography(report)}): {report.group_description}; {how}. "
                  "The same councils make every chart, table, flag and statistic of this report; a figure for which a member "
                  "has no value says how many of them it rests on."]
    from benchmark.comparators import load_config

    if report.method == "region" and report.code in load_config()["excluded"]:
        paragraphs.append(f"{report.name} is too small for statistical peers (its population and services are unlike any other "
                          "council's), so it is compared with the other councils of its region.")
    tables = [Table("context", context_table(report), report.caption("ONS mid-year estimates; English Indices of Deprivation (see each row)",
                                                                   "see each row")),
              Table("comparators", comparators_table(report), f"Comparator group members. Source: {report.group_description}. "
                    f"Year: {group_geography(report)}.")]
    return Section(KEY, title, paragraphs, tables)
