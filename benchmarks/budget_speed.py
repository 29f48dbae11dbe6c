"""Every council's base budget, every default scenario, warm (data loaded, models fitted, comparator
groups resolved), against a floor measured in the same run: building the same council × line table
from the tidy RO3 rows with one pandas groupby.

Prints the time for all councils, per council, the ratio to the floor and peak memory.
Run: ``python benchmarks/budget_speed.py``.
"""
from __future__ import annotations

import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark.budget.base_budget import council_budget, line_table
from benchmark.comparators import comparator_group
from benchmark.data.store import load_tables
from benchmark.data.years import budget_base_year
from benchmark.errors import UserError
from benchmark.local.panel import local_metric_panel

from timing import timed  # benchmarks/timing.py, beside this script


def main() -> None:
    tables = load_tables()
    base_year = budget_base_year(tables)
    table = line_table(tables, base_year)
    panel = local_metric_panel(tables, tables.data_dir / "local")
    councils, groups = [], {}
    for code in table.councils:
        own = table.council(code)
        if (own["net_gbp"] != own["net_gbp"]).all():
            continue  # no return in the base year: no budget
        for method in ("nn", "region"):  # the report's default, and the fallback of councils without a set
            try:
                groups[code] = list(comparator_group(tables, code, method, year=None if method == "nn" else base_year)["neighbour"])
                break
            except UserError:
                continue
        councils.append(code)
    council_budget(tables, councils[0], comparators=groups[councils[0]], local_panel=panel)  # warm the memoised inputs

    def every_budget():
        for code in councils:
            council_budget(tables, code, comparators=groups[code], local_panel=panel)

    ro3 = tables.ro3

    def groupby_floor():
        rows = ro3[ro3["year"] == base_year]
        rows.groupby(["council", "line", "measure"], observed=True)["value"].sum().unstack(["line", "measure"])

    budgets = timed(every_budget)
    floor = timed(groupby_floor, repeats=5)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"base budgets, every default scenario, {len(councils)} councils (base year {base_year}, warm): {budgets:.2f} s "
          f"({budgets / len(councils) * 1000:.1f} ms a council)")
    print(f"floor, the council x line table by one pandas groupby: {floor * 1000:.1f} ms")
    print(f"ratio, all budgets / floor: {budgets / floor:.1f}x; peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
