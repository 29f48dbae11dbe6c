"""Cold build and warm load of every tidy table, as ratios to a baseline measured in the same run.

Baseline: ``pandas.read_csv`` of the largest shipped CSV (ASC-FR 2016-17 Totals, 41,699 rows), the
cost of merely reading one raw file on this machine today.  Each case runs in a fresh process (so
peak memory is its own), a few times; the median is reported.  Run: ``python benchmarks/data_load.py``.
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASE = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
case, data = sys.argv[1], Path(sys.argv[2])
import pandas as pd
from benchmark.data.store import load_tables
started = time.perf_counter()
if case == "baseline":
    pd.read_csv(data / "raw" / "ascfr" / "CSV ASCFR Totals.csv")
else:
    tables = load_tables(data, rebuild=(case == "cold"))
    assert tables.provenance["from_cache"] == (case == "warm")
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(case: str, data: Path, repeats: int) -> dict:
    results = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", CASE.format(root=str(ROOT)), case, str(data)], capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"seconds": statistics.median(r["seconds"] for r in results), "peak_rss_mb": max(r["peak_rss_mb"] for r in results)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        (data / "raw").symlink_to(ROOT / "data" / "raw")
        baseline = run("baseline", data, 5)
        cold = run("cold", data, 3)
        warm = run("warm", data, 5)
        shutil.rmtree(data / "processed", ignore_errors=True)
    print(f"baseline  read_csv(ASC-FR Totals)   {baseline['seconds']:7.3f} s   peak {baseline['peak_rss_mb']:6.0f} MB")
    for name, result in (("cold", cold), ("warm", warm)):
        print(f"{name:5s}     load_tables()              {result['seconds']:7.3f} s   peak {result['peak_rss_mb']:6.0f} MB"
              f"   = {result['seconds'] / baseline['seconds']:6.1f} x baseline")
    print(f"warm load is {cold['seconds'] / warm['seconds']:.0f} x faster than a cold build")


if __name__ == "__main__":
    main()
