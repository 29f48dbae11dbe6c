"""The report's sections: one module each under benchmark/report/sections, all with the same small
interface, every one registered and shown by the notebook in the report's order."""
import re
from pathlib import Path

from benchmark.report import content, sections
from benchmark.report.parameters import PARAMETERS

from conftest import ROOT

SECTION_FOLDER = ROOT / "benchmark" / "report" / "sections"


def test_every_section_module_is_registered_with_the_common_interface():
    files = sorted(p.stem for p in SECTION_FOLDER.glob("*.py") if p.stem != "__init__")
    assert sorted(module.KEY for module in sections.MODULES) == files  # a module left out of MODULES would never be shown
    for module in sections.MODULES:
        assert Path(module.__file__).stem == module.KEY
        assert module.NAME and module.NAME[0].isupper()
        assert callable(module.build)
    assert len(set(sections.SECTIONS)) == len(sections.SECTIONS)


def test_the_notebook_shows_every_section_in_the_report_order():
    script = (ROOT / "notebooks" / "council_report.py").read_text(encoding="utf-8")
    shown = re.findall(r'^report\.section\("([a-z_]+)"\)', script, flags=re.M)
    assert tuple(shown) == sections.SECTIONS


def test_a_built_section_carries_its_module_heading():
    report = content.ReportContent.build({**{p.name: p.default for p in PARAMETERS}, "council": "Southampton"})
    section = report.section("bcf")
    assert section.key == "bcf" and section.name == "Better Care Fund"
    assert '<p style="color:#3D3D3D;font-size:0.9em">Better Care Fund</p>' in section.to_html()


def test_a_budget_with_every_line_missing_says_so_instead_of_failing_to_draw():
    """All-missing lines (as North Yorkshire's were when its population trend was missing) gave a chart with NaN
    axis limits and a failed report; now the section says there is nothing to draw."""
    import numpy as np

    report = content.ReportContent.build({**{p.name: p.default for p in PARAMETERS}, "council": "Southampton"})
    report.budget.lines = report.budget.lines.assign(amount_gbp=np.nan)
    section = report.section("budget")
    assert "No charts: every line of the budget is missing; the notes below say why." in section.paragraphs
    assert section.figures == []
