"""Glossary: what each metric measures, its unit and which direction is better, and the report's terms."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from benchmark.report.citations import table_words
from benchmark.report.page import Section, Table

if TYPE_CHECKING:
    from benchmark.report.content import ReportContent

KEY = "glossary"
NAME = "Glossary"


def build(report: ReportContent) -> Section:
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
    return Section(KEY, f"Glossary: {len(table)} metrics and {len(terms)} terms defined",
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

