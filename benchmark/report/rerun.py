"""The executed report notebook made re-runnable: :func:`make_rerunnable` shapes the notebook
papermill executed before the runner saves it as ``report.ipynb``.

Papermill adds its own cell of the council's values after the notebook's cell of defaults, so an
edit to the defaults did nothing; here the two become one visible *assumptions* cell holding the
values the report was made with, each with its meaning.  The run's own folders are left out of it
(``shared_dir``: the run's shared results; ``export_dir``: the run's half-built council folder, gone
once the run ends), so running the notebook again, anywhere, recomputes the council's results and
writes tables only where the user asks.  The notebook records the toolkit's kernel, so JupyterLab
opens it in the toolkit's environment.

No pandas or matplotlib here: the runner's worker process shapes the notebook without them.
"""
from __future__ import annotations

import ast
import pprint
import re
import textwrap

from benchmark.report.parameters import BY_NAME

ASSUMPTIONS_TAG = "parameters"  # papermill's tag: a later papermill run still injects its values after this cell
INJECTED_TAG = "injected-parameters"
EXPORT_TAG = "export-tables"  # the cell that writes the tables: its note names the run's temporary folder
#: The run's own folders: meaningless once the run has ended, so a re-run gets None (computed afresh, not written).
RUN_ONLY_PARAMETERS = ("shared_dir", "export_dir")
ASSUMPTIONS_HEADER = """\
# The assumptions of this report, as it was made.  To question one, change its value here, then
# choose Run > Run All Cells: every section below is recomputed with your values.  (To change them
# for every future report, edit the council's parameter file, parameters/<ONS code>.yml.)
"""
MEANING_OVERRIDES = {
    "shared_dir": "results shared by every council of a run; None = computed for this council when the notebook runs",
    "export_dir": ("folder to write the report's tables to (metrics.csv, budget.csv, tables.xlsx, headlines.json), "
                   'e.g. "what-if-tables": a name without a path is made beside this notebook (and goes when the report '
                   "is made again, as the runner replaces the council's folder); None = not written"),
}



def _tagged(notebook, tag: str) -> list[int]:
    return [i for i, cell in enumerate(notebook.cells) if tag in cell.get("metadata", {}).get("tags", [])]


def literal_assignments(source: str) -> dict:
    """``name = literal`` statements of a cell, in order (the notebook's parameters cell is only these)."""
    values = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def assumptions_source(values: dict) -> str:
    """The assumptions cell: every parameter with its meaning as a comment, the run's folders as None."""
    lines = [ASSUMPTIONS_HEADER]
    for name, value in values.items():
        if name in RUN_ONLY_PARAMETERS:
            value = None
        meaning = MEANING_OVERRIDES.get(name) or (BY_NAME[name].meaning if name in BY_NAME else "")
        if meaning:  # the meanings are written for the YAML parameter files, where None is spelt null
            lines += textwrap.wrap(re.sub(r"\bnull\b", "None", meaning), width=100, initial_indent="# ", subsequent_indent="# ")
        lines.append(f"{name} = {pprint.pformat(value, width=100, sort_dicts=False)}")
    return "\n".join(lines)


def make_rerunnable(notebook, kernel_name: str):
    """Fold papermill's injected values into the notebook's parameters cell (visible, documented,
    the one that counts), drop the note of where the run wrote its tables and record
    ``kernel_name`` as the notebook's kernel; ``notebook`` is changed in place."""
    injected = _tagged(notebook, INJECTED_TAG)
    if injected:
        defaults = _tagged(notebook, ASSUMPTIONS_TAG)
        # the notebook's defaults, overridden by the values papermill was given (it may have been given only some)
        values = literal_assignments(notebook.cells[defaults[0]].source) if defaults else {}
        values.update(notebook.metadata.get("papermill", {}).get("parameters", {}))
        keep = defaults[0] if defaults else injected[0]
        cell = notebook.cells[keep]
        cell.source = assumptions_source(values)
        cell.metadata["tags"] = [ASSUMPTIONS_TAG]
        cell.metadata.get("jupyter", {}).pop("source_hidden", None)  # papermill's report mode hides every code cell
        if defaults:
            del notebook.cells[injected[0]]
    for index in _tagged(notebook, EXPORT_TAG):
        notebook.cells[index].outputs = []
    notebook.metadata["kernelspec"] = {"name": kernel_name, "display_name": f"Python ({kernel_name})", "language": "python"}
    return notebook
