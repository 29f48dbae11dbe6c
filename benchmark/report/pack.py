"""The peer team's pre-reading pack: a short page (6-10 printed pages) by the LGA's Key Areas of Focus.

A peer challenge team reads the pack before it goes on site.  It is organised as the team works:
the eight Key Areas of Focus (the benchmark of the LGA's adult social care peer challenges), then
the same figures by CQC's four assessment themes for councils.  Each key area shows its metrics
(the registry's ``key_areas``) for the council against the report's one comparator group, with the
comparator median and middle half, rank, the RAG flag, the trend where there are several years, and
two or three questions the numbers raise.

The questions are written from the figures, never stock text: each starts from a *finding*
(:func:`benchmark.report.content.is_finding`: notable, material and visible; the only differences
ever called higher or lower), sets a related figure beside it (:data:`COMPANIONS`: "while
admissions are similar"), asks what a peer team would ask of that kind of figure in that direction,
and ends with the caveats that apply to it (an old year, a sample survey, comparators without a
value, generated example data).

Plain English throughout: labels from the registry without publication codes, sources by publisher
and title, the comparator group described in words, no metric ids, file paths or codes.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.metrics.registry import CQC_THEMES, KEY_AREAS, metric_table
from benchmark.report.citations import ILLUSTRATIVE_NOTE, cite
from benchmark.report.content import ReportContent
from benchmark.report.flags import is_finding, pct_difference
from benchmark.report.formatting import fmt
from benchmark.report.formatting import is_missing as _missing
from benchmark.report.sections.spend import NET_SPEND_ID, budget_answer, spend_title

PACKS = ("peer",)
PACK_FILE = "pack.html"

#: What the peer team looks for under each key area (after the LGA's Key Areas of Focus), and what
#: national data cannot show, so the team knows to ask the council for its own evidence.
KEY_AREA_FOCUS = {
    "outcomes": ("how people who need care and support, and their carers, are doing: quality of life, independence, safety "
                 "and whether long-term care is a last resort",
                 "people's own stories and the council's case audits"),
    "participation": ("whether people and carers have a say and real choice: control over daily life, being consulted, "
                      "finding information, direct payments",
                      "co-production, the voice of people with lived experience and how it changes decisions"),
    "leadership": ("whether the strategy and the budget rest on the local population's need, and whether the budget is set at "
                   "the right level",
                   "the quality of leadership, governance and the council's own plans"),
    "working_together": ("joint work with the NHS and other partners: the Better Care Fund, hospital discharge and reablement",
                         "how well partners say the joint arrangements work"),
    "resources": ("whether money and staff are where the need is: spend per head by age and client group, income, budget "
                  "and workforce",
                  "vacancies, sickness, caseloads and staff morale (ask for the council's workforce data)"),
    "service_delivery": ("practice on the ground: assessment and safeguarding, reviews, short-term support and where care is given",
                         "waiting lists, the timeliness of assessments and the quality of practice"),
    "commissioning": ("the care market: prices and fees, the mix of care homes, care at home and supported living, and "
                      "the market's sustainability",
                      "provider quality ratings, market stability and the council's market position statement"),
    "improvement": ("direction of travel: how the council's outcomes have moved over the years, against similar councils",
                    "the council's improvement plan and the innovations it would point the team to"),
}

#: A related figure to set beside a finding, first one with a value (id pattern -> companion ids).
COMPANIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"^(?:gce_65plus_(?:residential|nursing)|care_home_share_of_long_term_65plus|unit_cost_\w+_65plus)",
     ("care_home_admissions_65plus_per_100k",)),
    (r"^(?:gce_18to64_(?:residential|nursing)|care_home_share_of_long_term_18to64|unit_cost_\w+_18to64)",
     ("care_home_admissions_18to64_per_100k",)),
    (r"^gce_65plus_(?:home_care|supported_living|other|direct_payments)", ("care_home_share_of_long_term_65plus_pct",)),
    (r"^gce_18to64_(?:home_care|supported_living|other|direct_payments)", ("care_home_share_of_long_term_18to64_pct",)),
    (r"^care_home_admissions_65plus", ("ascof_reablement_at_home_91_days_pct", "gce_65plus_residential_per_head_65plus_gbp")),
    (r"^care_home_admissions_18to64", ("ascof_learning_disability_at_home_pct", "gce_18to64_residential_per_head_18to64_gbp")),
    (r"^(?:asc_|gce_)", ("asc_net_per_head_18plus_gbp",)),  # spend lines beside the council's spend per adult
    (r"^ascof_quality_of_life", ("ascof_satisfaction_pct",)),
    (r"^ascof_(?:control|satisfaction|social_contact|feel_safe|easy_to_find)", ("ascof_quality_of_life_score",)),
    (r"^ascof_carer_quality", ("ascof_carers_included_pct",)),
    (r"^ascof_carer", ("ascof_carer_quality_of_life_score",)),
    (r"^ascof_reablement_at_home", ("ascof_reablement_offered_pct",)),
    (r"^ascof_reablement_offered", ("ascof_reablement_at_home_91_days_pct",)),
    (r"^ascof_short_term", ("ascof_reablement_at_home_91_days_pct",)),
    (r"^ascof_direct_payments", ("gce_65plus_direct_payments_per_head_65plus_gbp",)),
    (r"^delayed_transfers_(?:asc|joint)", ("delayed_transfers_per_100k",)),
    (r"^delayed_transfers_per", ("ascof_reablement_offered_pct",)),
    (r"^staff_per_1000", ("asc_employees_pct_of_gross",)),
    (r"^bcf_", ("asc_other_income_pct_of_gross",)),
    (r"^care_home_(?:fee|placements)", ("unit_cost_residential_65plus_gbp_per_week",)),
    (r"^package", ("asc_care_assessment_gross_per_head_18plus_gbp",)),
)

#: Not the subject of a question: totals in pounds say more about a council's size than its choices,
#: and a ratio that restates another figure would ask the same question twice.
NOT_A_SUBJECT = {"asc_gross_expenditure_gbp", "asc_net_expenditure_gbp", "asc_budget_to_outturn_ratio", "bcf_pooled_gbp",
                 "bcf_income_gbp"}
QUESTIONS_PER_AREA = 3
#: A figure this many years older than the newest outturn is said to be old in its question.
OLD_AFTER_YEARS = 3
COVID_YEARS = ReportContent.COVID_YEARS

PACK_CSS = """
@page { size: A4; margin: 12mm 11mm; }
.pack table { font-size: 0.78rem; width: 100%; margin: 0.5rem 0; }
.pack th, .pack td { padding: 0.1rem 0.3rem; }
.pack td:first-child { width: 31%; }
.pack td:nth-child(2), .pack td:nth-child(5) { white-space: nowrap; }
.pack td:last-child { width: 15%; }
.pack h2 { margin-top: 1.6rem; font-size: 1.3rem; }
.pack h3 { margin: 1rem 0 0.3rem; font-size: 1.05rem; }
.pack .focus { color: #3D3D3D; margin: 0.2rem 0 0.4rem; }
.pack .sources { font-size: 0.75rem; color: #505a5f; margin: 0.2rem 0 0.6rem; }
.pack ol.questions li { margin-bottom: 0.35rem; }
.pack .flag-word { font-weight: bold; }
@media print { body { font-size: 8.5pt; line-height: 1.3; } main { padding: 0; } .pack table { font-size: 7pt; }
  .pack tr { page-break-inside: avoid; } .pack h2, .pack h3 { page-break-after: avoid; } }
"""


def plain_label(label: str) -> str:
    """A registry label without the publication codes a peer team does not need ("(RO3)", "(ASC-FR)")."""
    label = re.sub(r"\s*\((?:RO3|ASC-FR|IDAOPI|RA budget / outturn)\)", "", str(label))
    return label.replace(", per 100,000", " per 100,000").strip()


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is an abbreviation (Better Care Fund, NHS)."""
    first = text.split(" ", 1)[0]
    return text if first.isupper() or first in ("Better", "Index") else text[:1].lower() + text[1:]


@dataclass
class Question:
    metric_id: str
    text: str


class PeerPack:
    """The pack for one council, from its :class:`ReportContent` (the same figures, group and flags)."""

    def __init__(self, report: ReportContent):
        self.report = report
        self.spec = metric_table()
        self.rows = report.metrics.set_index("id")
        self.members = report.members()
        self.phrase = report.phrase
        self._asked: set[str] = set()
        self._source_numbers: dict[str, int] = {}

    # -- the comparator group and the years, in words ----------------------------------------------
    def group_words(self) -> str:
        """The report's one comparator group in plain words (no file names, no codes)."""
        report, n = self.report, len(self.members)
        council = report.tables.registry.council(report.code)
        return {
            "nn": f"the {n} councils of its nearest-neighbour set, as used by a government data project (the set's method and "
                  "source are not stated; these are not CIPFA's licensed lists)",
            "statistical": f"its {n} nearest councils on need (the share of older people aged 85+, density, deprivation and more), "
                           "in the style of NHS England's adult social care peer groups",
            "region": f"the {n} other councils of the {council.region} region",
            "type": f"the {n} other {council.council_type} councils",
            "england": f"all {n} other English councils with adult social care duties",
            "custom": f"{n} councils chosen in the council's parameter file",
        }.get(report.method, f"its comparator group of {n} councils")

    def newest_outturn_year(self) -> str | None:
        year = self.rows.loc[NET_SPEND_ID, "year"] if NET_SPEND_ID in self.rows.index else None
        return None if _missing(year) else str(year)

    # -- one metric --------------------------------------------------------------------------------
    def metric_ids(self, area: str) -> list[str]:
        """The key area's metrics in the registry's order, each with a value or a comparator median to show."""
        ids = [i for i in self.spec.index if area in self.spec.at[i, "key_areas"] and i in self.rows.index]
        return [i for i in ids if not (_missing(self.rows.at[i, "value"]) and _missing(self.rows.at[i, "median"]))]

    def value_text(self, metric_id: str) -> str:
        row = self.rows.loc[metric_id]
        return fmt(row["value"], row["unit"]) if not _missing(row["value"]) else "n/a"

    @staticmethod
    def cell(value, unit) -> str:
        """A figure for a table cell: its unit's format without the words the measure's name already says."""
        return re.sub(r" (?:per 100,000|per 1,000|a week)$", "", fmt(value, unit))

    def series(self, metric_id: str) -> tuple[pd.Series, pd.Series]:
        """The council's values by year (years with a value) and the comparators' median in those years."""
        panel = self.report.shared.panel
        rows = panel[panel["metric_id"] == metric_id]
        own = rows[(rows["council"] == self.report.code) & rows["value"].notna()].set_index("year")["value"].astype(float).sort_index()
        peers = rows[rows["council"].isin(self.members) & rows["year"].isin(own.index)]
        return own, peers.groupby("year")["value"].median().reindex(own.index)

    def trend(self, metric_id: str) -> str:
        """'19.60; 18.90 (2017-18)': the council and the comparators' median in the first year with data, beside the
        newest in the table; '' with one year."""
        own, medians = self.series(metric_id)
        if len(own) < 2:
            return ""
        unit = self.rows.at[metric_id, "unit"]
        first = own.index[0]
        median = "" if _missing(medians.iloc[0]) else f"; {self.cell(medians.iloc[0], unit)}"
        return f"{self.cell(own.iloc[0], unit)}{median} ({first})"

    def flag_words(self, metric_id: str) -> str:
        """'similar', 'n/a', 'RED: much higher (worse)', 'DIFFERENT: lower': the flag in a few words."""
        row = self.rows.loc[metric_id]
        if row["difference"] == "n/a":
            return "n/a"
        if not is_finding(row):
            return "similar"
        much = "much " if row["difference"] == "large" else ""
        if pd.isna(row["rag"]):
            return f"DIFFERENT: {much}{row['direction']}"
        return f"{row['rag']}: {much}{row['direction']} ({'worse' if row['rag'] in ('RED', 'AMBER') else 'better'})"

    def source_number(self, source: str) -> int:
        words = cite(source)
        return self._source_numbers.setdefault(words, len(self._source_numbers) + 1)

    def sources_note(self, numbers: list[int]) -> str:
        by_number = {n: words for words, n in self._source_numbers.items()}
        sources = "; ".join(f"[{n}] {by_number[n]}" for n in sorted(set(numbers)))
        return (f'<p class="sources">Sources: {html.escape(sources)}. Comparators: {html.escape(self.group_words())}. '
                "Rank: 1 is the highest of the council and its comparators.</p>")

    def label(self, metric_id: str) -> str:
        row = self.rows.loc[metric_id]
        return plain_label(row["label"]) + (" (ILLUSTRATIVE)" if bool(row["illustrative"]) else "")

    def metric_table_html(self, ids: list[str], caption: str) -> str:
        """The council against its comparators, one metric a row; sources by number, listed under the table."""
        head = ["measure [source]", "year", self.report.name, "comparators' median (middle half)", "rank", "flag", "earlier year: council; median"]
        body, used = [], []
        for metric_id in ids:
            row = self.rows.loc[metric_id]
            unit = row["unit"]
            middle = f" ({self.cell(row['q1'], unit)} to {self.cell(row['q3'], unit)})" if not _missing(row["q1"]) else ""
            rank = f"{int(row['rank'])} of {int(row['rank_of'])}" if not _missing(row["rank"]) and not _missing(row["median"]) else "n/a"
            used.append(self.source_number(row["source"]))
            cells = [f"{self.label(metric_id)} [{used[-1]}]", str(row["year"]) if not _missing(row["year"]) else "n/a",
                     self.cell(row["value"], unit), self.cell(row["median"], unit) + middle, rank, self.flag_words(metric_id),
                     self.trend(metric_id) or "-"]
            body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        header = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in head)
        return (f'<table><caption>{html.escape(caption)}</caption><thead><tr>{header}</tr></thead><tbody>{"".join(body)}</tbody></table>'
                + self.sources_note(used))

    def trend_table_html(self, ids: list[str], caption: str) -> str:
        """Direction of travel: each metric's first and newest year, the council beside the comparators' median."""
        head = ["measure", "first year", f"{self.report.name} then", "median then", "newest year", f"{self.report.name} now",
                "median now", "source"]
        body, used = [], []
        for metric_id in ids:
            own, medians = self.series(metric_id)
            if len(own) < 2:
                continue
            unit = self.rows.at[metric_id, "unit"]
            used.append(self.source_number(self.rows.at[metric_id, "source"]))
            cells = [self.label(metric_id), own.index[0], self.cell(own.iloc[0], unit), self.cell(medians.iloc[0], unit), own.index[-1],
                     self.cell(own.iloc[-1], unit), self.cell(medians.iloc[-1], unit), f"[{used[-1]}]"]
            body.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
        header = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in head)
        return (f'<table><caption>{html.escape(caption)}</caption><thead><tr>{header}</tr></thead><tbody>{"".join(body)}</tbody></table>'
                + self.sources_note(used))

    # -- questions -----------------------------------------------------------------------------------
    def companion(self, metric_id: str) -> str | None:
        for pattern, companions in COMPANIONS:
            if re.search(pattern, metric_id):
                for other in companions:
                    if other != metric_id and other in self.rows.index and not _missing(self.rows.at[other, "value"]):
                        return other
                return None
        return None

    def position(self, metric_id: str) -> str:
        """Where a finding sits among the comparators: highest or lowest, the top or bottom quarter, above or below the median."""
        row = self.rows.loc[metric_id]
        value, rank, of = float(row["value"]), row["rank"], row["rank_of"]
        if not _missing(rank) and int(rank) == 1:
            return f"the highest of the {int(of)} councils compared"
        if not _missing(rank) and int(rank) == int(of):
            return f"the lowest of the {int(of)} councils compared"
        if not _missing(row["q3"]) and value > float(row["q3"]):
            return f"in the highest quarter of {self.phrase}"
        if not _missing(row["q1"]) and value < float(row["q1"]):
            return f"in the lowest quarter of {self.phrase}"
        return f"{'above' if value > float(row['median']) else 'below'} the median of {self.phrase}"

    def comparison(self, metric_id: str) -> str:
        """'£283.86 against a median of £414.76, 2024-25'."""
        row = self.rows.loc[metric_id]
        return f"{fmt(row['value'], row['unit'])} against a median of {fmt(row['median'], row['unit'])}, {row['year']}"

    def companion_clause(self, metric_id: str) -> str:
        row = self.rows.loc[metric_id]
        label = _lower_first(plain_label(row["label"]))
        if _missing(row["median"]):
            return f"{label} is {fmt(row['value'], row['unit'])} ({row['year']}, no comparator median)"
        if is_finding(row):  # only a finding is called higher or lower
            diff = pct_difference(row["value"], row["median"])
            return f"{label} is {'higher' if diff > 0 else 'lower'} than theirs ({self.comparison(metric_id)})"
        return f"{label} is similar to theirs ({self.comparison(metric_id)})"

    def ask(self, metric_id: str, companion: str | None) -> str:
        """What a peer team asks of this kind of figure, in this direction, beside this companion."""
        row = self.rows.loc[metric_id]
        higher = float(row["value"]) > float(row["median"])
        unit, polarity, rag = row["unit"], row["polarity"], row["rag"]
        companion_similar = companion is not None and not is_finding(self.rows.loc[companion])
        if metric_id == "asc_outturn_over_budget_pct":
            return ("what drove the overspend, and is the base budget set at the right level?" if higher else
                    "was the budget set above what was needed, or were savings or one-off income found during the year?")
        if metric_id.startswith("bcf_"):
            return ("what does the pooled money buy, and how are its results for people tracked?" if higher else
                    "is there scope for more joint commissioning with the NHS?")
        if metric_id.startswith("unit_cost_") or "fee" in metric_id:
            return ("what is driving the price paid, and how are fees set and reviewed?" if higher else
                    "is the local care market sustainable at this price, and are there enough providers?")
        if companion is not None and "admissions" in companion and unit == "gbp_per_head" and companion_similar:
            return "what is driving the cost per person?" if higher else "is the cost per person lower, or are stays shorter?"
        if unit == "gbp_per_head":
            return ("is that more people supported, more intensive support, or a higher cost per person?" if higher else
                    "is need met in other ways (prevention, the NHS, unpaid carers), or are people waiting for support?")
        if metric_id.startswith("care_home_share"):
            return "is that a chosen model of care, or a shortage of alternatives to care homes in the local market?"
        if polarity != "neither" and not pd.isna(rag):
            if rag in ("RED", "AMBER"):
                return "what does the council know about why, and what is it doing about it?"
            return "what lies behind this, and what could other councils learn from it?"
        return "what explains the difference, and is it a choice the council has made?"

    def caveats(self, metric_id: str) -> list[str]:
        from benchmark.data.tidy import financial_year_start

        row = self.rows.loc[metric_id]
        notes = []
        newest = self.newest_outturn_year()
        if newest and not _missing(row["year"]):
            age = financial_year_start(newest) - financial_year_start(str(row["year"]))
            if age >= OLD_AFTER_YEARS:
                notes.append(f"the figure is from {row['year']}, {age} years before the newest spend data here, so the position may have changed")
        if str(row["year"]) in COVID_YEARS:
            notes.append("the year was distorted by COVID-19")
        definition = str(self.spec.at[metric_id, "definition"])
        if "survey" in definition:
            notes.append("it comes from a sample survey, so part of a difference may be chance")
        if not _missing(row["n"]) and int(row["n"]) < len(self.members):
            notes.append(f"only {int(row['n'])} of the {len(self.members)} comparators have a value")
        if bool(row["illustrative"]):
            notes.append(ILLUSTRATIVE_NOTE)
        return notes

    def question(self, metric_id: str) -> Question:
        row = self.rows.loc[metric_id]
        companion = self.companion(metric_id)
        text = (f"{_sentence_start(plain_label(row['label']))} is {self.position(metric_id)} ({self.comparison(metric_id)})"
                + (f", while {self.companion_clause(companion)}" if companion else "") + f": {self.ask(metric_id, companion)}")
        return Question(metric_id, text + self.caveat_sentence(metric_id))

    def caveat_sentence(self, metric_id: str) -> str:
        caveats = self.caveats(metric_id)
        return (" Caveat" + ("s" if len(caveats) > 1 else "") + ": " + "; ".join(caveats) + ".") if caveats else ""

    @staticmethod
    def family(metric_id: str) -> str:
        """Metrics that say much the same thing (the three delayed-transfer rates, ASC-FR's 65+ settings): one question each."""
        return "_".join(metric_id.split("_")[:2])

    def questions(self, ids: list[str]) -> list[Question]:
        """Up to :data:`QUESTIONS_PER_AREA` questions from the key area's findings, worse directions first, then
        the largest, one per family; a finding already asked about under an earlier key area comes last."""
        findings = [i for i in ids if i not in NOT_A_SUBJECT and is_finding(self.rows.loc[i])]
        order = {"RED": 0, "AMBER": 1}

        def rank(metric_id: str):
            row = self.rows.loc[metric_id]
            z = abs(float(row["robust_z"])) if not _missing(row["robust_z"]) else 0.0
            return (metric_id in self._asked, order.get(row["rag"] if not pd.isna(row["rag"]) else "", 2),
                    row["difference"] != "large", -z)

        chosen, families = [], set()
        for metric_id in sorted(findings, key=rank):
            # a finding asked about already is asked again only where the area would otherwise have fewer than two
            repeat = metric_id in self._asked and len(chosen) >= 2
            if self.family(metric_id) not in families and len(chosen) < QUESTIONS_PER_AREA and not repeat:
                chosen.append(metric_id)
                families.add(self.family(metric_id))
        self._asked.update(chosen)
        return [self.question(i) for i in chosen]

    def trend_change(self, metric_id: str) -> tuple[float, float] | None:
        """(the council's change, the comparators' median change) from the first to the newest year, in points
        for percentages and in % otherwise; None with one year or no median."""
        own, medians = self.series(metric_id)
        if len(own) < 2 or medians.isna().iloc[[0, -1]].any():
            return None
        if self.rows.at[metric_id, "unit"] == "pct":
            return own.iloc[-1] - own.iloc[0], medians.iloc[-1] - medians.iloc[0]
        return pct_difference(own.iloc[-1], own.iloc[0]), pct_difference(medians.iloc[-1], medians.iloc[0])

    def trend_questions(self, ids: list[str]) -> list[Question]:
        """Where the council's direction of travel parts from its comparators': its own change is material
        (the report's thresholds) and goes the other way from the median's, or is at least twice its size."""
        params = self.report.params
        candidates = []
        for metric_id in ids:
            change = self.trend_change(metric_id)
            if change is None:
                continue
            own, median = change
            threshold = params["rag_material_points"] * 5 if self.rows.at[metric_id, "unit"] == "pct" else params["rag_material_pct"]
            apart = (own * median < 0) or abs(own) >= 2 * abs(median)
            if abs(own) >= threshold and apart:
                candidates.append((abs(own - median) / threshold, metric_id))
        questions = []
        for _, metric_id in sorted(candidates, reverse=True)[:QUESTIONS_PER_AREA]:
            own, medians = self.series(metric_id)
            unit, polarity = self.rows.at[metric_id, "unit"], self.rows.at[metric_id, "polarity"]
            moved = "rose" if own.iloc[-1] > own.iloc[0] else "fell"
            better = (moved == "rose") == (polarity == "higher_better")
            ask = ("what changed, and what is the council doing to turn it round?" if polarity != "neither" and not better else
                   "what changed, and what did the council do that others could learn from?" if polarity != "neither" else
                   "what changed, and was it planned?")
            text = (f"{self.report.name}'s {_lower_first(plain_label(self.rows.at[metric_id, 'label']))} {moved} from "
                    f"{fmt(own.iloc[0], unit)} in {own.index[0]} to {fmt(own.iloc[-1], unit)} in {own.index[-1]}, while the comparators' "
                    f"median went from {fmt(medians.iloc[0], unit)} to {fmt(medians.iloc[-1], unit)}: {ask}")
            if any(own.index[0] <= y <= own.index[-1] for y in COVID_YEARS):
                text += " Caveat: the years include COVID-19" + ("; it comes from a sample survey, so part of a change may be chance."
                                                                 if "survey" in str(self.spec.at[metric_id, "definition"]) else ".")
            questions.append(Question(metric_id, text))
        return questions

    # -- the page ------------------------------------------------------------------------------------
    def primary_area(self, metric_id: str) -> str:
        """The key area a metric is shown in full under (its first in the registry); the others name it."""
        return self.spec.at[metric_id, "key_areas"][0]

    def also_here_html(self, ids: list[str]) -> str:
        """Metrics shown in full under another key area, by name with their flag (the pack stays short)."""
        if not ids:
            return ""
        numbers = {area: n for n, area in enumerate(KEY_AREAS, start=1)}
        items = [f"{self.label(i)} ({self.flag_words(i)}; see {numbers[self.primary_area(i)]})" for i in ids]
        return f'<p class="sources">Also bearing on this area, shown under the key area named: {html.escape("; ".join(items))}.</p>'

    def own_only_html(self, ids: list[str]) -> str:
        """The council's own figures that no comparator has (its local files): by name, with year and source."""
        if not ids:
            return ""
        items = [f"{self.label(i)}: {fmt(self.rows.at[i, 'value'], self.rows.at[i, 'unit'])} ({self.rows.at[i, 'year']}; "
                 f"{cite(self.rows.at[i, 'source'])})" for i in ids]
        return (f'<p class="sources">The council\'s own figures, with no comparator figures to set them against: '
                f'{html.escape("; ".join(items))}.</p>')

    def key_area_html(self, number: int, area: str) -> str:
        focus, not_in_data = KEY_AREA_FOCUS[area]
        ids = self.metric_ids(area)
        parts = [f'<h2 id="area-{number}">{number}. {html.escape(KEY_AREAS[area])}</h2>',
                 f'<p class="focus">The peer team looks at {html.escape(focus)}. Not in national data: {html.escape(not_in_data)}.</p>']
        if not ids:
            parts.append(f"<p>No figure in the data speaks to this area for {html.escape(self.report.name)}.</p>")
            return "\n".join(parts)
        caption = f"{KEY_AREAS[area]}: {self.report.name} against {self.phrase}"
        if area == "improvement":  # the direction of travel is this area's evidence
            parts.append(self.trend_table_html(ids, caption + ", first and newest year"))
            questions = self.trend_questions(ids) or self.questions(ids)
        else:
            primary = [i for i in ids if self.primary_area(i) == area]
            compared = [i for i in primary if not _missing(self.rows.at[i, "median"])]
            if compared:
                parts.append(self.metric_table_html(compared, caption))
            parts.append(self.own_only_html([i for i in primary if i not in compared]))
            parts.append(self.also_here_html([i for i in ids if i not in primary]))
            questions = self.questions(ids)
        parts.append("<h3>Questions the figures raise</h3>")
        if questions:
            parts.append('<ol class="questions">' + "".join(f"<li>{html.escape(q.text)}</li>" for q in questions) + "</ol>")
        else:
            parts.append(f"<p>None of these {len(ids)} figures differs notably from {html.escape(self.phrase)}, so the numbers "
                         "raise no question here; the team's questions in this area come from what it reads and hears.</p>")
        return "\n".join(parts)

    def cqc_html(self) -> str:
        """The same figures by CQC's assessment themes: each theme's findings by name, and how many figures are similar."""
        numbers = {area: n for n, area in enumerate(KEY_AREAS, start=1)}
        parts = ['<h2 id="cqc">The same figures by CQC\'s assessment themes</h2>',
                 f"<p>CQC assesses councils' adult social care under four themes, and councils prepare their self-assessment "
                 f"against them. Under each theme: the figures above that differ notably from {html.escape(self.phrase)}, with the "
                 "key areas where they are shown, and how many are similar.</p>"]
        for theme, title in CQC_THEMES.items():
            ids = [i for i in self.spec.index if theme in self.spec.at[i, "cqc_themes"] and i in self.rows.index
                   and not _missing(self.rows.at[i, "value"]) and not _missing(self.rows.at[i, "median"])]
            findings = [i for i in ids if is_finding(self.rows.loc[i])]
            items = [f"{self.label(i)}: {self.cell(self.rows.at[i, 'value'], self.rows.at[i, 'unit'])} against "
                     f"{self.cell(self.rows.at[i, 'median'], self.rows.at[i, 'unit'])} ({self.rows.at[i, 'year']}), {self.flag_words(i)} "
                     f"(key area {', '.join(str(numbers[a]) for a in self.spec.at[i, 'key_areas'])})" for i in findings]
            summary = (f"{len(ids)} figures compared with {self.phrase}: {len(findings)} differ notably, {len(ids) - len(findings)} "
                       "are similar.")
            parts.append(f"<h3>{html.escape(title)}</h3><p>{html.escape(summary)}</p>")
            if items:
                parts.append("<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>")
        parts.append(f'<p class="sources">Sources and years: as in the key areas above. Comparators: {html.escape(self.group_words())}.</p>')
        return "\n".join(parts)

    def overview_html(self) -> str:
        report = self.report
        metrics = report.metrics
        counts = metrics["rag"].value_counts()
        different = int(metrics["flag"].astype(str).str.startswith("DIFFERENT").sum())
        illustrative = bool(metrics["illustrative"].astype(bool).any())
        areas = "".join(f'<li><a href="#area-{n}">{n}. {html.escape(title)}</a></li>'
                        for n, title in enumerate(KEY_AREAS.values(), start=1))
        paragraphs = [
            f"This pack is pre-reading for the peer challenge team. It sets {report.name}'s published figures against "
            f"{self.group_words()}, by the eight Key Areas of Focus of the LGA's adult social care peer challenges, then by "
            "CQC's four assessment themes. It is a can opener, not a league table: each figure says where the council differs, "
            "and the questions say what to ask about it.",
            f"Spend: {spend_title(report)}. {budget_answer(report)}",
            f"Across all figures: {counts.get('RED', 0)} RED, {counts.get('AMBER', 0)} AMBER and {counts.get('GREEN', 0)} GREEN flags, "
            f"and {different} other marked differences where neither direction is better in itself (spend, context). "
            "A flag is a question, not a verdict.",
            f"How to read the flags: a difference from the comparators' median is a finding only when it is statistically "
            f"notable (at least {report.params['rag_amber_z']:g} robust z-scores; large from {report.params['rag_red_z']:g} or "
            f"outside the 99.8% funnel limit) and large enough to matter (at least {report.params['rag_material_pct']:g}% of the "
            f"median, {report.params['rag_material_points']:g} percentage points for percentages). Only findings are called "
            "higher or lower; everything else is similar. RED and AMBER: worse; GREEN: better; DIFFERENT: no better direction. "
            "The rank counts the council with its comparators, 1 the highest. Missing values are n/a, never 0.",
        ]
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        if illustrative:
            body += (f"<p><strong>{html.escape(ILLUSTRATIVE_NOTE)}</strong>: figures marked ILLUSTRATIVE come from example files "
                     "shipped with the toolkit in place of the council's own; replace them before drawing conclusions.</p>")
        return body + f'<nav aria-label="Key areas"><ol>{areas}<li><a href="#cqc">CQC\'s assessment themes</a></li></ol></nav>'

    def body_html(self) -> str:
        report = self.report
        parts = [f"<h1>{html.escape(report.name)}: adult social care pre-reading for the peer challenge team</h1>", self.overview_html()]
        parts += [self.key_area_html(number, area) for number, area in enumerate(KEY_AREAS, start=1)]
        parts.append(self.cqc_html())
        parts.append("<h2 id=\"caveats\">Caveats</h2><ul>" + "".join(f"<li>{html.escape(c)}</li>" for c in (
            "Figures come from different years: each is in its newest year with data, and the year is beside it.",
            "Survey-based outcome measures (quality of life, control, safety, information, carers) rest on samples; "
            "carers are surveyed every other year.",
            "Spend figures are cash, not adjusted for inflation; ASC-FR and revenue outturn lines differ, and unit costs are "
            "from an older year than the spend.",
            "2020-21 and 2021-22 were distorted by COVID-19.",
            f"Comparators: {self.group_words()}.",
        )) + "</ul>")
        return '<div class="pack">' + "\n".join(parts) + "</div>"

    def page(self, generated: str | None = None) -> str:
        from benchmark.report.html import CSS, footer_html

        title = f"{self.report.name}: adult social care pre-reading for the peer challenge team"
        footer = f"{self.report.name}; figures from published sources as listed" + (f"; generated {generated}" if generated else "")
        return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                f"<title>{html.escape(title)}</title>\n<style>{CSS}{PACK_CSS}</style>\n</head>\n<body>\n<main>\n"
                f"{self.body_html()}\n</main>\n{footer_html(footer)}</body>\n</html>\n")


def pack_html(report: ReportContent, generated: str | None = None) -> str:
    return PeerPack(report).page(generated)


def write_pack(params: dict, folder: Path, generated: str | None = None) -> Path:
    """Build the council's report content from ``params`` (with the run's ``shared_dir``) and write
    ``pack.html`` into ``folder`` atomically."""
    from benchmark.files import write_text_atomic

    report = ReportContent.build({key: value for key, value in params.items() if key != "export_dir"})
    return write_text_atomic(Path(folder) / PACK_FILE, pack_html(report, generated))
