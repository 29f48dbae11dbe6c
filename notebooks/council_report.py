# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["notebook-only"]
# # Adult social care use of resources: council report
#
# Every figure comes from the `benchmark` package; this notebook only presents. Change a parameter
# in the next cell (or the council's parameter file) and re-run all cells.

# %% tags=["parameters"]
council = "E06000045"
year = None
comparator_method = "nn"
comparator_k = 15
custom_comparators = []
budget_year = None
fee_inflation_pct = 3.0
pay_inflation_pct = 3.0
income_inflation_pct = None
demographic_growth_pct = None
cost_per_fte_gbp = 45000.0
budget_scenarios = []
high_cost_threshold_gbp = 1000.0
review_months = 12
plausibility_overrides = []
rag_amber_z = 1.0
rag_red_z = 2.0
rag_material_pct = 5.0
rag_material_points = 0.2
rag_material_count = 1.0
local_dir = None
data_dir = None
shared_dir = None
export_dir = None

# %%
from IPython.display import HTML, display

from benchmark.report import content

report = content.ReportContent.build(content.parameters_from(globals()))
display(HTML(report.title_html()))

# %%
report.section("summary")

# %%
report.section("context")

# %%
report.section("spend")

# %%
report.section("workforce")

# %%
report.section("bcf")

# %%
report.section("fees")

# %%
report.section("packages")

# %%
report.section("budget")

# %%
report.section("sources")

# %%
report.section("glossary")

# %%
# Set by the report runner only: writes the tables shown above (metrics.csv, budget.csv, tables.xlsx).
exported = content.export_report(report, export_dir)
