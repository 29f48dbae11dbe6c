"""Cold build and warm load of every tidy table, as ratios to a baseline measured in the same run.

Baseline: reading the same raw files with pandas alone (``read_csv`` of every CSV, ``read_excel``
with calamine of every sheet of every workbook), with no detection, tidying or checks: the cost of
merely reading the data on this machine today.  Cases, each in a fresh process (so peak memory is
its own), a few times, median reported:

* cold: ``load_tables(rebuild=True)``: detect every file, read, tidy, validate, write the cache;
* warm: ``load_tables()`` from the cache, then the council registry and three tables (RO3,
  population bands, the ASC-FR data file), as a command needing a few tables does.

Run: ``python benchmarks/data_load.py``.
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
import json, os, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
case, data = sys.argv[1], Path(sys.argv[2])
import pandas as pd
from benchmark.data.store import load_tables
started = time.perf_counter()
if case == "baseline":
    for folder, _, files in os.walk(data / "raw"):
        for name in files:
            path = Path(folder) / name
            if path.suffix == ".csv":
                try:
                    pd.read_csv(path, dtype=str, encoding="utf-8-sig")
                except (UnicodeDecodeError, pd.errors.ParserError):
                    pd.read_csv(path, dtype=str, encoding="mac_roman", on_bad_lines="skip")
            elif path.suffix in (".xls", ".xlsx", ".ods"):
                pd.read_excel(path, sheet_name=None, engine="calamine", header=None)
else:
    tables = load_tables(data, rebuild=(case == "cold"))
    assert tables.provenance["from_cache"] == (case == "warm")
    if case == "warm":
        tables.registry, tables.ro3, tables.population_bands, tables.ascfr_datafile
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
        shutil.copy(ROOT / "data" / "catalogue.json", data / "catalogue.json")
        baseline = run("baseline", data, 3)
        cold = run("cold", data, 3)
        warm = run("warm", data, 5)
        shutil.rmtree(data / "processed", ignore_errors=True)
    print(f"baseline  pandas reads every raw file      {baseline['seconds']:7.3f} s   peak {baseline['peak_rss_mb']:6.0f} MB")
    for name, result in (("cold", cold), ("warm", warm)):
        what = "load_tables(rebuild=True)" if name == "cold" else "load_tables() + 4 tables  "
        print(f"{name:5s}     {what}     {result['seconds']:7.3f} s   peak {result['peak_rss_mb']:6.0f} MB"
              f"   = {result['seconds'] / baseline['seconds']:6.2f} x baseline")
    print(f"warm load is {cold['seconds'] / warm['seconds']:.0f} x faster than a cold build; goal: warm under 0.5 s "
          f"({'met' if warm['seconds'] < 0.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
