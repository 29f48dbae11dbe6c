"""Speed of the report runner, as ratios to a floor measured in the same run.

    .venv/bin/python benchmarks/report_speed.py [--jobs 2] [--limit N] [--skip-all]

(a) **floor**: papermill executing, with the runner's kernel, a notebook that only imports what the
    report notebook imports (generated in a temporary folder from the report notebook's own import
    statements): kernel start plus imports, the least any report can cost;
(b) **one report**: ``python -m benchmark report E06000045`` end to end (checks, shared step,
    process, notebook, HTML, tables, index, manifest);
(c) **all England**: ``python -m benchmark report --all --jobs 2`` (``--limit N``: the first N
    councils only, by parameter file, for a quicker check).

Goals: one report ÷ floor ≤ 1.5; all England ÷ (councils × floor ÷ jobs) ≤ 1.3.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOTEBOOK = ROOT / "notebooks" / "council_report.ipynb"


def import_lines(notebook: Path) -> list[str]:
    """Every import statement of the notebook's code cells, in order, without duplicates."""
    import nbformat

    lines = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        lines += [ast.get_source_segment(source, node) for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    return list(dict.fromkeys(lines))


def floor_notebook(folder: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    imports = import_lines(NOTEBOOK)
    path = folder / "imports_only.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("\n".join(imports))], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}), path)
    return path, imports


def time_floor(folder: Path, repeat: int) -> float:
    import papermill

    from benchmark.report.runner import KERNEL_NAME, ensure_kernel

    ensure_kernel()
    path, _ = floor_notebook(folder)
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        papermill.execute_notebook(str(path), str(folder / f"out{i}.ipynb"), kernel_name=KERNEL_NAME, cwd=str(ROOT), progress_bar=False)
        times.append(time.perf_counter() - started)
    return min(times)


def time_cli(*args) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "benchmark", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="(c) with the first N councils only")
    parser.add_argument("--skip-all", action="store_true", help="skip (c)")
    parser.add_argument("--repeat", type=int, default=3, help="floor: best of this many runs")
    args = parser.parse_args()
    if not NOTEBOOK.is_file():
        print(f"{NOTEBOOK.relative_to(ROOT)} does not exist yet: nothing to measure", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        _, imports = floor_notebook(folder)
        print(f"floor notebook imports: {'; '.join(imports)}")
        floor = time_floor(folder, args.repeat)
        print(f"(a) floor (kernel start + imports, best of {args.repeat}): {floor:.2f} s")

        one, result = time_cli("report", "E06000045", "--out", folder / "one", "--jobs", "1")
        if result.returncode:
            print(result.stderr[-2000:], file=sys.stderr)
            return 1
        council = json.loads((folder / "one" / "run_manifest.json").read_text())["councils"][0]["duration_s"]
        print(f"(b) one report, Southampton, whole command: {one:.2f} s (of which the council's own process: {council:.2f} s)")
        print(f"    one report / floor = {one / floor:.2f} (goal <= 1.5); the council's process / floor = {council / floor:.2f}")

        if not args.skip_all:
            if args.limit:
                from benchmark.data.store import load_tables

                codes = list(load_tables().registry.table["ons_code"])[: args.limit]
                selection = codes
            else:
                selection = ["--all"]
            elapsed, result = time_cli("report", *selection, "--out", folder / "all", "--jobs", args.jobs)
            manifest = json.loads((folder / "all" / "run_manifest.json").read_text())
            councils = manifest["councils_run"]
            ideal = councils * floor / args.jobs
            print(f"(c) {councils} councils, --jobs {args.jobs}: {elapsed:.1f} s ({manifest['succeeded']} succeeded, {manifest['failed']} failed"
                  f"{': ' + ', '.join(f['council'] for f in manifest['failures']) if manifest['failed'] else ''})")
            print(f"    all / (councils x floor / jobs) = {elapsed:.1f} / {ideal:.1f} = {elapsed / ideal:.2f} (goal <= 1.3)")
            print(f"    cpus: {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
