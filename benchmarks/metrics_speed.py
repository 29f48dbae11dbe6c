"""Warm timings of the metric engine, as ratios to baselines measured in the same run.

    .venv/bin/python benchmarks/metrics_speed.py [--repeat 5]

Baselines: the warm ``load_tables()`` (cache read) and a plain ``groupby(['year', 'metric_id']).median()``
over the same long panel.  Timed: ``metric_panel`` (every council, year and metric) and
``comparator_stats`` for every council, year and metric under each comparator method.  Each
figure is the best of ``--repeat`` runs after one warm-up run.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark.data.store import load_tables
from benchmark.metrics.compute import metric_panel
from benchmark.metrics.stats import comparator_stats, panel_pairs


def best_of(function, repeat: int) -> float:
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tables = load_tables()
    panel = metric_panel(tables)
    load = best_of(load_tables, args.repeat)
    plain = best_of(lambda: panel.groupby(["year", "metric_id"])["value"].median(), args.repeat)
    rows = [("warm load_tables (baseline)", load), ("plain groupby median over the panel (baseline)", plain)]
    rows.append(("metric_panel: all councils x years x metrics", best_of(lambda: metric_panel(tables), args.repeat)))
    for method in ("nn", "region", "type", "statistical", "england"):
        pairs = panel_pairs(tables, panel, method)
        rows.append((f"comparator_stats ({method}, {len(pairs):,} pairs)", best_of(lambda pairs=pairs: comparator_stats(panel, pairs), args.repeat)))
        if method == "statistical":
            rows.append(("  statistical groups for every panel year", best_of(lambda method=method: panel_pairs(tables, panel, method), 1)))
    end_to_end = best_of(lambda: comparator_stats(metric_panel(tables), panel_pairs(tables, panel, "nn")), args.repeat)
    rows.append(("metric_panel + nn stats end to end", end_to_end))
    print(f"panel: {len(panel):,} rows ({panel['metric_id'].nunique()} metrics, {panel['council'].nunique()} councils, "
          f"{panel['year'].nunique()} years)")
    print(f"{'step':<58}{'seconds':>9}{'x load':>9}{'x groupby':>11}")
    for label, seconds in rows:
        print(f"{label:<58}{seconds:>9.3f}{seconds / load:>9.1f}{seconds / plain:>11.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
