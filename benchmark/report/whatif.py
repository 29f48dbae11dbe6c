"""The executed report notebook as a what-if tool in JupyterLab.

:class:`BudgetPanel`, used by ``notebooks/council_report.ipynb``: sliders and choices for the base
budget's assumptions (fee and pay inflation, demographic growth, budget year, scenario); the budget
by line, the bridge from the base year and the gap to the comparators are recomputed as they move,
by the same function as the report's budget section (:func:`benchmark.report.content.report_budget`).
Displayed, it also carries its default state as HTML, which is what the code-free report page shows.
(The runner makes the executed notebook re-runnable, its one visible *assumptions* cell the one that
counts: :func:`benchmark.report.rerun.make_rerunnable`.)
"""
from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import pandas as pd

from benchmark.errors import UserError
from benchmark.report import charts, content
from benchmark.report.formatting import millions, millions_fmt, money
from benchmark.report.parameters import budget_params

INTERACTIVE_NOTE = ("This panel is interactive in JupyterLab: open report.ipynb (kernel “Python (asc-benchmark)”), run all "
                    "cells and move the sliders. This page shows it at the report’s own assumptions.")


def export_tables(report: content.ReportContent, export_dir: str | Path | None):
    """Write the report's tables (:func:`content.export_report`) into ``export_dir``, made if
    missing (relative: beside the notebook, the kernel's working folder in JupyterLab); a note
    saying what was done, for the person working in the notebook."""
    from IPython.display import Markdown

    if export_dir is None:
        return Markdown('The tables were not written: to write them, set `export_dir` in the assumptions cell to a folder name '
                        '(for example `"what-if-tables"`, made beside this notebook) and run all cells again.')
    folder = Path(export_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    content.export_report(report, folder)
    return Markdown(f"The tables (metrics.csv, budget.csv, tables.xlsx, headlines.json) were written to `{folder}`.")


# ----------------------------------------------------------------------------------------------
# the interactive budget panel
# ----------------------------------------------------------------------------------------------

def scenario_table(budget, scenario: str) -> pd.DataFrame:
    """Net spend by line in the reference scenario (the first) and in ``scenario``, with the
    difference, and a total row; pounds, unrounded.  Numbers straight from ``budget.lines``."""
    reference = budget.totals["scenario"].iloc[0]
    names = list(dict.fromkeys([reference, scenario]))
    wide = budget.lines.pivot_table(index="label", columns="scenario", values="amount_gbp", sort=False, dropna=False)[names]
    totals = budget.totals.set_index("scenario")["total_gbp"]
    wide.loc["Total (net)"] = [totals[name] for name in names]
    table = wide.reset_index().rename(columns={"label": "line"})
    table.columns.name = None
    if scenario != reference:
        table["difference"] = table[scenario] - table[reference]
    return table


def gap_table(budget) -> pd.DataFrame:
    """Each scenario against the reference: its total, the difference and how it splits into the
    people served and the cost per person (``budget.totals``); pounds, unrounded."""
    columns = {"total_gbp": "net total", "difference_gbp": "difference", "volume_effect_gbp": "of which: people served",
               "price_effect_gbp": "of which: cost per person"}
    gap = budget.totals.iloc[1:][["scenario", *columns]].rename(columns=columns)
    gap.insert(0, "scenario", gap.pop("scenario").map(budget.scenario_titles))
    return gap.reset_index(drop=True)


def _in_millions(frame: pd.DataFrame) -> pd.DataFrame:
    """For the page; to the pound first, so that a difference of a rounding error shows as £0.00m, not -£0.00m."""
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_numeric_dtype(shown[column]):
            shown[column] = shown[column].round(0).map(millions)
    return shown


class BudgetPanel:
    """The base budget under assumptions the user moves: widgets for fee and pay inflation,
    demographic growth (or the council's own trend), budget year and scenario; the result (the
    scenario's lines beside the current pattern, the bridge chart, every scenario's gap) is
    recomputed on every change.  :attr:`budget`, :attr:`table` and :attr:`gaps` hold the numbers
    behind what is shown; :meth:`assumptions` the ``BudgetParams`` they were computed with."""

    def __init__(self, report: content.ReportContent):
        import ipywidgets as widgets

        from benchmark.data.years import budget_years

        self.report = report
        self.budget = report.budget  # the report's own: the panel opens on the budget section's figures
        self.params = budget_params(report.params)
        if self.budget is None:
            self.widget = widgets.HTML(f"<p>No budget panel: {html.escape(report.budget_error or 'no base year')}.</p>")
            self.table = self.gaps = None
            return
        a = self.budget.assumptions
        style, layout = {"description_width": "16em"}, widgets.Layout(width="34em")

        def slider(description: str, value: float, low: float, high: float, step: float):
            return widgets.FloatSlider(value=value, min=min(low, value), max=max(high, value), step=step, description=description,
                                       readout_format=".2f", continuous_update=False, style=style, layout=layout)

        # Ranges inside what the budget accepts (BudgetParams.check: -10 to 25% a year), widened to the council's own value.
        self.fee_inflation = slider("Fee and price inflation, % a year", a["fee_inflation_pct"], -5.0, 15.0, 0.25)
        self.pay_inflation = slider("Pay inflation, % a year", a["pay_inflation_pct"], -5.0, 15.0, 0.25)
        own_trend = a["demographic_growth_pct"] is None
        self.own_trend = widgets.Checkbox(value=own_trend, description="Population growth after the latest ONS estimate: the council's own trend",
                                          style={"description_width": "initial"}, layout=widgets.Layout(width="40em"))
        # While the box is ticked the slider is unused (and disabled); 0.5% a year is only where it starts when unticked.
        self.demographic_growth = slider("Population growth, % a year", 0.5 if own_trend else a["demographic_growth_pct"], -2.0, 5.0, 0.1)
        self.demographic_growth.disabled = own_trend
        self.budget_year = widgets.Dropdown(options=budget_years(report.tables), value=self.budget.budget_year, description="Budget year",
                                            style=style, layout=layout)
        scenarios = list(self.budget.totals["scenario"])
        self.scenario = widgets.Dropdown(options=[(self.budget.scenario_titles.get(s, s), s) for s in scenarios],
                                         value="comparator_median" if "comparator_median" in scenarios else scenarios[-1],
                                         description="Scenario", style=style, layout=layout)
        self.result = widgets.HTML()
        controls = [self.fee_inflation, self.pay_inflation, self.own_trend, self.demographic_growth, self.budget_year, self.scenario]
        for control in controls:
            control.observe(self._changed, names="value")
        heading = widgets.HTML("<h3>What if? The base budget under your assumptions</h3><p>Move a slider or make a choice: the budget, "
                               "the bridge from the base year and the gap to the comparators are recomputed.</p>")
        self.widget = widgets.VBox([heading, *controls, self.result])
        self._show()

    # -- what the widgets say -------------------------------------------------------------------
    def assumptions(self):
        """``BudgetParams``: the report's own (scenarios, income, cost per FTE) with the panel's values."""
        return replace(self.params, fee_inflation_pct=float(self.fee_inflation.value), pay_inflation_pct=float(self.pay_inflation.value),
                       demographic_growth_pct=None if self.own_trend.value else float(self.demographic_growth.value),
                       budget_year=self.budget_year.value)

    def _changed(self, change=None) -> None:
        self.demographic_growth.disabled = bool(self.own_trend.value)
        try:
            self.budget = content.report_budget(self.report, self.assumptions())
        except UserError as error:  # an assumption the budget refuses: say so, keep the controls
            self.result.value = f"<p><b>Not computed:</b> {html.escape(str(error))}</p>"
            return
        self._show()

    def _show(self) -> None:
        self.table = scenario_table(self.budget, self.scenario.value)
        self.gaps = gap_table(self.budget)
        self.result.value = self.result_html()

    # -- what is shown --------------------------------------------------------------------------
    def result_html(self) -> str:
        b, titles = self.budget, self.budget.scenario_titles
        table = _in_millions(self.table).rename(columns={name: titles.get(name, name) for name in self.table.columns})
        source = f"MHCLG revenue outturn (RO3) {b.base_year}; ONS mid-year population estimates; assumptions as set above"
        parts = [f"<p><b>{html.escape(self.headline())}</b></p>",
                 content.Table("what_if_budget", table, f"Net spend by line in {b.budget_year}. Source: {source}.").to_html()]
        if b.budget_year != b.base_year:
            fig, alt = charts.bridge_waterfall(b.bridge, f"From {money(b.bridge['amount_gbp'].iloc[0])} in {b.base_year} to "
                                               f"{money(b.bridge['amount_gbp'].iloc[-1])} in {b.budget_year} on the current pattern",
                                               millions_fmt(1))
            parts.append(charts.figure_html(fig, alt, f"Source: {source}."))
        else:
            parts.append(f"<p>The budget year is the base year ({b.base_year}): there is nothing to roll forward.</p>")
        if len(self.gaps):
            parts.append(content.Table("what_if_gap", _in_millions(self.gaps),
                                       f"Each scenario against the {titles.get(b.totals['scenario'].iloc[0], 'reference').lower()} in "
                                       f"{b.budget_year}: the gap to the comparators and to the needs model. Source: {source}.").to_html())
        return "\n".join(parts)

    def headline(self) -> str:
        b = self.budget
        totals = b.totals.set_index("scenario")["total_gbp"]
        chosen = self.scenario.value
        text = f"Current pattern in {b.budget_year}: {money(totals.iloc[0])} net"
        if chosen != totals.index[0]:
            text += f"; {b.scenario_titles.get(chosen, chosen)}: {money(totals[chosen])} ({money(totals[chosen] - totals.iloc[0])} difference)"
        return text + "."

    def static_html(self) -> str:
        """The panel as the report page shows it: its state in words, then the result."""
        if self.budget is None:
            return self.widget.value
        growth = "the council's own trend" if self.own_trend.value else f"{self.demographic_growth.value:g}% a year"
        settings = (f"Fee and price inflation {self.fee_inflation.value:g}% a year; pay inflation {self.pay_inflation.value:g}% a year; "
                    f"population growth after the latest ONS estimate: {growth}; budget year {self.budget_year.value}; "
                    f"scenario: {self.budget.scenario_titles.get(self.scenario.value, self.scenario.value)}.")
        return (f"<h3>What if? The base budget under your assumptions</h3><p><i>{html.escape(INTERACTIVE_NOTE)}</i></p>"
                f"<p>{html.escape(settings)}</p>{self.result.value}")

    def _repr_mimebundle_(self, include=None, exclude=None):
        # JupyterLab prefers the live widget; the report page (benchmark.report.html) takes text/html.
        data = dict(self.widget._repr_mimebundle_() or {})
        data["text/html"] = self.static_html()
        return data
