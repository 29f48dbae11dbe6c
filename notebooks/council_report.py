# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (asc-benchmark)
#     language: python
#     name: asc-benchmark
# ---

# %% [markdown] tags=["notebook-only"]
# # Adult social care use of resources: council report
#
# **To question an assumption:** the report's assumptions (inflation, population growth, budget
# year, comparator group, flag thresholds and the rest) are in the next cell. Change a value
# there, then choose *Run > Run All Cells*: every section is recomputed with your values. To try
# the budget's assumptions without re-running, move the sliders of the *What if?* panel after the
# budget section. The tables (metrics.csv, budget.csv, tables.xlsx) are written only when
# `export_dir` names a folder (a name without a path is made beside this notebook).
#
# Every figure comes from the `benchmark` package; this notebook only presents. To change a
# council's assumptions for every future report, edit its parameter file
# (`parameters/<ONS code>.yml`) and run the report again.

# %% tags=["parameters"]
council = "E06000045"
year = None
comparator_method = None
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
price_index = {}
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

from benchmark.report import content, whatif

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
whatif.BudgetPanel(report)

# %%
report.section("sources")

# %%
report.section("glossary")

# %% tags=["notebook-only", "export-tables"]
# Writes the tables shown above (metrics.csv, budget.csv, tables.xlsx) into export_dir, when it names a folder.
whatif.export_tables(report, export_dir)
