"""Speed of ``tables.xlsx``: :func:`benchmark.report.workbook.write_workbook` for one council's frames
(the read-me sheet and every table of its report, as ``export_report`` passes them), best of ``--repeat``,
as a ratio to a baseline timed in the same run on the same frames: pandas ``to_excel`` (openpyxl) writing
the bare values, with no number formats, units, widths, frozen header or filters.

    .venv/bin/python benchmarks/workbook_speed.py [--council E06000045] [--repeat 5] [--before OLD_workbook.py]

``--before``: a copy of an earlier ``benchmark/report/workbook.py``, timed on the same frames in the same
process; the ratio (before ÷ now) is printed beside both times.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.report import content  # noqa: E402
from benchmark.report import workbook as current  # noqa: E402
from benchmark.report.parameters import read_parameter_file  # noqa: E402


def frames_for(council: str) -> dict:
    """The frames ``export_report`` writes for ``council`` (parameter file if there is one)."""
    parameter_file = ROOT / "parameters" / f"{council}.yml"
    params = read_parameter_file(parameter_file) if parameter_file.exists() else {
        **read_parameter_file(ROOT / "parameters" / "E06000045.yml"), "council": council}
    report = content.ReportContent.build(params)
    tables = content.council_tables(report)
    summary = content.headlines(report)
    return {"read_me": content.read_me(report, summary["illustrative_figures"]), **tables}


def best_time(write, frames: dict, folder: Path, repeat: int) -> float:
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        write(frames, folder / f"tables-{i}.xlsx")
        times.append(time.perf_counter() - started)
    return min(times)


def write_bare(frames: dict, path: Path) -> None:
    """The baseline: every frame on its own sheet as pandas writes it, unformatted."""
    import pandas as pd

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=str(name)[:31], index=False)


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location("workbook_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--council", default="E06000045")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", type=Path, help="an earlier workbook.py to time beside the current one")
    args = parser.parse_args()
    frames = frames_for(args.council)
    print(f"{args.council}: {len(frames)} sheets, {sum(f.size for f in frames.values()):,} cells")
    with tempfile.TemporaryDirectory() as folder:
        bare = best_time(write_bare, frames, Path(folder), args.repeat)
        now = best_time(current.write_workbook, frames, Path(folder), args.repeat)
        print(f"baseline, pandas to_excel unformatted: {bare:.3f} s (best of {args.repeat})")
        if args.before:
            before = best_time(load_module(args.before).write_workbook, frames, Path(folder), args.repeat)
            print(f"before: {before:.3f} s (best of {args.repeat})")
        print(f"now:    {now:.3f} s (best of {args.repeat}) = {now / bare:.2f} x the baseline")
        if args.before:
            print(f"ratio before / now: {before / now:.1f}x")


if __name__ == "__main__":
    main()
