"""The report's sections, one module each, in the order the report shows them.

Every section module has the same small interface:

* ``KEY``: the section's name in ``report.section(key)``, its anchor on the page and in the notebook;
* ``NAME``: its fixed heading, shown under the active title;
* ``build(report) -> Section``: the section for one council, from the
  :class:`~benchmark.report.content.ReportContent` it is given (the council's metrics against its one
  comparator group, its local tables and its budget), computing nothing of its own beyond wording;
* optionally ``metric_charts(report) -> list``: the section's charts that rest on the metrics alone
  (no local table, no budget), which ``build`` shows.  With a drawing process running they are asked
  for as soon as the metrics are known (:func:`metric_charts`), so that they are drawn while the
  kernel reads the local files and builds the budget; the report keeps each chart it was asked for,
  so ``build`` gets the same figures.

A new section is one new module here, named in ``MODULES`` where it should appear.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from benchmark.report.sections import bcf, budget, context, fees, glossary, packages, sources, spend, summary, workforce

if TYPE_CHECKING:
    from benchmark.report.content import ReportContent
    from benchmark.report.page import Section

MODULES = (summary, context, spend, workforce, bcf, fees, packages, budget, sources, glossary)
SECTIONS = tuple(module.KEY for module in MODULES)
SECTION_NAMES = {module.KEY: module.NAME for module in MODULES}
_BY_KEY = {module.KEY: module for module in MODULES}


def metric_charts(report: ReportContent) -> list:
    """Every section's charts that rest on the metrics alone, in the page's order (see the module's docstring)."""
    return [chart for module in MODULES if hasattr(module, "metric_charts") for chart in module.metric_charts(report)]


def build_section(key: str, report: ReportContent) -> Section:
    """Section ``key`` (one of :data:`SECTIONS`) for ``report``, with its fixed heading."""
    module = _BY_KEY[key]
    return replace(module.build(report), name=module.NAME)
