"""The names of the report's output files (atomic writes are in :mod:`benchmark.files`)."""
from __future__ import annotations

#: What a report's last cell writes into the runner's folder (benchmark.report.content.export_report).
#: Named here, where the runner can read it without importing the report's content and charts.
EXPORT_FILES = ("metrics.csv", "budget.csv", "tables.xlsx", "headlines.json")
