"""The report notebook as a what-if tool (benchmark.report.whatif): the executed report.ipynb says how
to change an assumption, its one assumptions cell is the one that counts when it is run again
(in its own folder, as JupyterLab runs it), and the budget panel's widgets give the same budget as
``council_budget`` with the same assumptions."""
from __future__ import annotations

import ast
import html
import json
import re

import nbformat
import pandas as pd
import pytest
from test_report_runner import REAL_NOTEBOOK, run_cli

from benchmark.budget.base_budget import council_budget
from benchmark.report import content, rerun, whatif
from benchmark.report.parameters import DEFAULTS, PARAMETERS

from conftest import ROOT

CODE = "E06000045"  # Southampton: its parameter file sets fee and pay inflation of its own


def errors(notebook) -> list[str]:
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def assumptions_cell(notebook):
    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return cells[0]


@pytest.fixture(scope="module")
def executed_report(tmp_path_factory):
    """Southampton's report folder as the runner writes it."""
    if not REAL_NOTEBOOK.is_file():
        pytest.skip("the report notebook does not exist yet")
    out = tmp_path_factory.mktemp("whatif") / "out"
    result = run_cli("report", CODE, "--out", out, "--jobs", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    return out / CODE


def test_report_notebook_says_how_to_question_an_assumption_in_one_visible_cell(executed_report):
    notebook = nbformat.read(executed_report / "report.ipynb", as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and "To question an assumption" in first.source and "Run All" in first.source
    assert notebook.cells[1] is assumptions_cell(notebook)
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in notebook.cells)  # nothing overrides it
    cell = notebook.cells[1]
    assert not cell.metadata.get("jupyter", {}).get("source_hidden")
    values = rerun.literal_assignments(cell.source)
    assert len(values) == len(ast.parse(cell.source).body)  # nothing but the assumptions
    assert list(values) == [p.name for p in PARAMETERS]
    assert values["fee_inflation_pct"] == 3.5 and values["pay_inflation_pct"] == 2.5  # parameters/E06000045.yml, not the defaults
    assert values["shared_dir"] is None and values["export_dir"] is None  # not the run's folders, gone once it ended
    assert ".partial-" not in json.dumps([c.source for c in notebook.cells] + [c.get("outputs", []) for c in notebook.cells])
    assert "# price inflation, % a year" in cell.source  # each assumption with its meaning
    assert notebook.metadata.kernelspec.name == "asc-benchmark"
    page = (executed_report / "report.html").read_text(encoding="utf-8")
    assert html.escape(whatif.INTERACTIVE_NOTE) in page  # the panel's default state, saying where it is interactive


def test_changed_assumption_counts_when_the_notebook_is_run_again_beside_itself(executed_report):
    """As in JupyterLab: the kernel in the notebook's folder, "Run All" after editing the assumptions cell."""
    from nbclient import NotebookClient

    from benchmark.report.runner import ensure_kernel

    ensure_kernel()  # the kernel the notebook records, in this environment
    notebook = nbformat.read(executed_report / "report.ipynb", as_version=4)
    cell = assumptions_cell(notebook)
    cell.source = re.sub(r"^fee_inflation_pct = .*$", "fee_inflation_pct = 8.0", cell.source, flags=re.M)
    cell.source = re.sub(r"^export_dir = .*$", 'export_dir = "what-if-tables"', cell.source, flags=re.M)
    NotebookClient(notebook, kernel_name=notebook.metadata.kernelspec.name, timeout=600,
                   resources={"metadata": {"path": str(executed_report)}}).execute()
    assert errors(notebook) == []
    before = json.loads((executed_report / "headlines.json").read_text())
    after = json.loads((executed_report / "what-if-tables" / "headlines.json").read_text())  # beside the notebook
    assert after["budget_current_pattern_gbp"] > before["budget_current_pattern_gbp"]

    from benchmark.data.store import load_tables
    from benchmark.report.parameters import budget_params, read_parameter_file

    values = {**read_parameter_file(ROOT / "parameters" / f"{CODE}.yml"), "fee_inflation_pct": 8.0}
    expected = council_budget(load_tables(), CODE, budget_params(values))  # the current pattern: the council's own lines, whatever its group
    assert after["budget_current_pattern_gbp"] == pytest.approx(expected.totals["total_gbp"].iloc[0], rel=1e-12)
    budget_cell = next(c for c in notebook.cells if 'report.section("budget")' in c.source)
    assert content.money(expected.totals["total_gbp"].iloc[0]) in budget_cell.outputs[0]["data"]["text/html"]


def test_folding_keeps_every_assumption_when_papermill_was_given_only_some():
    import papermill

    notebook = papermill.execute_notebook(str(REAL_NOTEBOOK), None, parameters={"council": "E06000016", "fee_inflation_pct": 4.0,
                                                                               "export_dir": "/tmp/run/.E06000016.partial-1"},
                                          prepare_only=True, report_mode=True, kernel_name="asc-benchmark")
    rerun.make_rerunnable(notebook, "asc-benchmark")
    values = rerun.literal_assignments(assumptions_cell(notebook).source)
    assert values == {**DEFAULTS, "council": "E06000016", "fee_inflation_pct": 4.0, "export_dir": None}


def test_tables_skipped_with_a_note_when_no_folder_is_named(southampton):
    note = whatif.export_tables(southampton, None)
    assert "were not written" in note.data and "export_dir" in note.data


# ----------------------------------------------------------------------------------------------
# the budget panel, driven as a user would (no kernel needed: widgets work without one)
# ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def southampton():
    return content.ReportContent.build({**DEFAULTS, "council": CODE})


def test_panel_opens_on_the_reports_own_budget(southampton):
    panel = whatif.BudgetPanel(southampton)
    assert panel.budget is southampton.budget
    assert panel.scenario.value == "comparator_median" and panel.budget_year.value == southampton.budget.budget_year
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # live in JupyterLab
    assert html.escape(whatif.INTERACTIVE_NOTE) in bundle["text/html"]  # the report page: its default state, saying so


def test_moving_the_widgets_gives_council_budget_for_the_same_assumptions(southampton, tables):
    from benchmark.budget.base_budget import BudgetParams

    panel = whatif.BudgetPanel(southampton)
    panel.fee_inflation.value = 5.5
    panel.pay_inflation.value = 1.25
    panel.own_trend.value = False
    panel.demographic_growth.value = 1.5
    panel.budget_year.value = "2028-29"
    panel.scenario.value = "needs_model"
    assumptions = BudgetParams(budget_year="2028-29", fee_inflation_pct=5.5, pay_inflation_pct=1.25, demographic_growth_pct=1.5)
    expected = council_budget(tables, CODE, assumptions, comparators=southampton.members(), local_panel=southampton.shared.local_panel)
    pd.testing.assert_frame_equal(panel.budget.lines, expected.lines)
    lines = expected.lines.set_index(["scenario", "label"])["amount_gbp"]
    totals = expected.totals.set_index("scenario")["total_gbp"]
    table = panel.table.set_index("line")
    for scenario in ("current_pattern", "needs_model"):
        pd.testing.assert_series_equal(table[scenario].iloc[:-1], lines[scenario].rename_axis("line"), check_names=False)
        assert table.loc["Total (net)", scenario] == totals[scenario]
    assert (table["difference"] == table["needs_model"] - table["current_pattern"]).all()
    gaps = panel.gaps.set_index("scenario")
    assert gaps.loc["Needs model", "difference"] == expected.totals.set_index("scenario").loc["needs_model", "difference_gbp"]
    assert content.money(totals["needs_model"]) in panel.result.value and "2028-29" in panel.result.value
    assert "<img" in panel.result.value  # the bridge from the base year, redrawn


def test_an_assumption_the_budget_refuses_is_said_not_raised(southampton):
    panel = whatif.BudgetPanel(southampton)
    panel.own_trend.value = False
    panel.demographic_growth.max = 30.0
    panel.demographic_growth.value = 30.0  # beyond the budget's checked range (-10 to 25% a year)
    assert "Not computed" in panel.result.value and "demographic_growth_pct" in panel.result.value
