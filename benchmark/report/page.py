"""The blocks a report page is made of: a :class:`Section` (an active title stating its finding, paragraphs,
tables, charts and notes) and a :class:`Table` (a frame with a caption that names its source, year and
comparator group), each written as accessible HTML."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import pandas as pd

from benchmark.report.formatting import display_frame, plain_words


def esc(text) -> str:
    """Text for the page: plain words (no ids or codes), HTML-escaped."""
    return html.escape(plain_words(str(text)))


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
        title = f" {esc(TABLE_TITLES[self.name])}." if self.name in TABLE_TITLES else ""
        caption = f'<caption id="{label}"><b>Table:{title}</b> {esc(self.caption)}</caption>'
        body = re.sub(r"<table\b[^>]*>", lambda m: m.group(0) + caption, body, count=1).replace("<th>", '<th scope="col">')
        return f'<div class="table-scroll" role="region" aria-labelledby="{label}" tabindex="0">{body}</div>'


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)  # plain text, escaped on output
    tables: list[Table] = field(default_factory=list)
    figures: list = field(default_factory=list)  # HTML of charts.figure_html, or a chart_process.PendingFigure that becomes it
    notes: list[str] = field(default_factory=list)
    name: str = ""  # the section's fixed heading (its module's NAME), shown under the active title

    def to_html(self) -> str:
        parts = [f'<h2 id="{self.key}">{esc(self.title)}</h2>', f'<p style="color:#3D3D3D;font-size:0.9em">{esc(self.name)}</p>']
        parts += [f"<p>{esc(p)}</p>" for p in self.paragraphs]
        parts += [str(f) for f in self.figures]
        parts += [t.to_html() for t in self.tables]
        if self.notes:
            parts.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in self.notes) + "</ul>")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()
