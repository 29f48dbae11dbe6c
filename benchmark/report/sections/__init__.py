"""The report's sections, one module each, in the order the report shows them.

Every section module has the same small interface:

* ``KEY``: the section's name in ``report.section(key)``, its anchor on the page and in the notebook;
* ``NAME``: its fixed heading, shown under the active title;
* ``build(report) -> Section``: the section for one council, from the
  :class:`~benchmark.report.content.ReportContent` it is given (the council's metrics against its one
  comparator group, its local tables and its budget), computing nothing of its own beyond wording.

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


def build_section(key: str, report: ReportContent) -> Section:
    """Section ``key`` (one of :data:`SECTIONS`) for ``report``, with its fixed heading."""
    module = _BY_KEY[key]
    return replace(module.build(report), name=module.NAME)
