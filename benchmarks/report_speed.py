"""Speed of the report runner, as ratios to a floor measured in the same run.

    .venv/bin/python benchmarks/report_speed.py [--jobs 2] [--limit N] [--skip-all] [--repeat 3]

(b) **one report**: ``python -m benchmark report E06000045`` end to end, as a user types it, into a
    new output folder (checks, shared step, worker process and kernel, notebook, HTML, tables,
    index, manifest): *first run* with the report cache emptied (the shared step computed, as
    after any change to data, code or local files) and *later run*, best of ``--repeat`` as the
    floor is (the shared step read from ``data/processed/report-cache``, as on every other run).
    The benchmark empties that cache: it is disposable.
(a) **floor**: papermill executing, with the runner's kernel, a notebook that only imports what a
    report's kernel imports: the report notebook's own import statements, every third-party package
    the report's kernel had loaded by the end of run (b), and then every module it had loaded, by
    full name, in the order it loaded them (read from that kernel's ``sys.modules``, less what a
    bare kernel loads: ``import scipy`` alone loads little of what ``scipy.optimize`` does).  Kernel
    start plus imports: the least any report can cost.  Best of ``--repeat``, each timed in the same
    round as one of (b)'s later runs (the report, then the floors, round after round), so that a busy
    spell of a shared machine slows both sides of a ratio rather than one.
    Also timed as a command of its own (a new Python process importing papermill and running the
    same notebook), the like of (b), which is a command too; the goal is judged against that.  The
    floor with top-level packages only (this benchmark's earlier floor) is printed beside it.
(c) **all England**: ``python -m benchmark report --all --jobs 2`` (``--limit N``: the first N
    councils in registry order, for a quicker check), with the report cache warm.

Goals: one report ÷ floor ≤ 1.5; all England ÷ (councils × floor ÷ jobs) ≤ 1.3.  Also printed: the
largest resident memory of any process the runs started (kernels and workers).
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.modules.setdefault("rfc3987_syntax", None)  # as in the runner: see benchmark/report/runner.py

NOTEBOOK = ROOT / "notebooks" / "council_report.ipynb"
COUNCIL = "E06000045"
LIST_MODULES = "import json as _json, sys as _sys\nprint(_json.dumps(list(_sys.modules)))"  # in the order they were imported


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


def _execute(notebook, folder: Path, name: str, parameters: dict | None = None):
    import nbformat
    import papermill

    from benchmark.report.runner import KERNEL_NAME

    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, path)
    return papermill.execute_notebook(str(path), str(folder / f"{name}.out.ipynb"), parameters=parameters or {}, kernel_name=KERNEL_NAME,
                                      cwd=str(ROOT), progress_bar=False)


def _modules_printed(executed) -> list[str]:
    for output in executed.cells[-1].outputs:
        if output.get("name") == "stdout":
            return json.loads(output["text"])
    raise RuntimeError("the module listing cell printed nothing")


def report_imports(folder: Path, parameters: dict) -> tuple[list[str], list[str]]:
    """What the report's kernel imports beyond a bare kernel (run (b)'s parameters): the third-party
    packages, by top-level name, and every module, by its full name, in the order it was imported."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    report = nbformat.read(NOTEBOOK, as_version=4)
    report.cells.append(new_code_cell(LIST_MODULES))
    export = folder / "report_packages_tables"
    export.mkdir()
    parameters = {**parameters, "export_dir": str(export)}  # the tables are written as in a run (openpyxl, ...)
    loaded = _modules_printed(_execute(report, folder, "report_packages", parameters))
    bare = set(_modules_printed(_execute(new_notebook(cells=[new_code_cell(LIST_MODULES)], metadata=report.metadata), folder, "bare_packages")))
    modules = [m for m in loaded if m not in bare and m != "__main__"]
    tops = {m.split(".")[0] for m in modules}
    packages = sorted(p for p in tops if not p.startswith("_") and p not in sys.stdlib_module_names and p != "benchmark")
    return packages, modules


def floor_notebook(packages: list[str], modules: list[str] = ()):
    """The floor's notebook: the report notebook's import statements and ``packages``; with
    ``modules``, also every one of those modules by its full name (a package such as scipy or pandas
    loads most of its submodules only when they are first used, so ``import scipy`` alone is not
    what the report's kernel imports).  A module that cannot be imported on its own is passed over."""
    from nbformat.v4 import new_code_cell, new_notebook

    imports = import_lines(NOTEBOOK) + [f"import {p}" for p in packages]
    cells = [new_code_cell("\n".join(imports))]
    if modules:
        cells.append(new_code_cell(f"import importlib as _importlib\nfor _name in {list(modules)!r}:\n"
                                   "    try:\n        _importlib.import_module(_name)\n    except Exception:\n        pass"))
    notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    return notebook, imports


def time_floor(folder: Path, notebook, name: str) -> float:
    """(a) once: ``notebook`` written as ``<name>.ipynb`` and executed in the runner's kernel."""
    started = time.perf_counter()
    _execute(notebook, folder, name)
    return time.perf_counter() - started


FLOOR_COMMAND = """import sys
sys.modules.setdefault("rfc3987_syntax", None)  # as in the runner and in (a)
import papermill
papermill.execute_notebook(sys.argv[1], sys.argv[2], kernel_name=sys.argv[3], cwd=sys.argv[4], progress_bar=False)
"""


def time_floor_command(folder: Path, name: str) -> float:
    """(a) as a command of its own, once: a new Python process that imports papermill and runs the
    notebook :func:`time_floor` wrote as ``<name>.ipynb``, as run (b) is a command of its own."""
    from benchmark.report.runner import KERNEL_NAME

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR_COMMAND, str(folder / f"{name}.ipynb"), str(folder / f"{name}_command.out.ipynb"),
                    KERNEL_NAME, str(ROOT)], check=True, capture_output=True)
    return time.perf_counter() - started


def time_cli(*args) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "benchmark", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), check=False)
    return time.perf_counter() - started, result


def one_report(folder: Path) -> tuple[float, dict]:
    elapsed, result = time_cli("report", COUNCIL, "--out", folder, "--jobs", "1")
    if result.returncode:
        raise SystemExit(result.stderr[-2000:])
    return elapsed, json.loads((folder / "run_manifest.json").read_text())["councils"][0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="(c) with the first N councils only")
    parser.add_argument("--skip-all", action="store_true", help="skip (c)")
    parser.add_argument("--repeat", type=int, default=3, help="floor: best of this many runs")
    args = parser.parse_args()
    from benchmark.data.store import load_tables, resolve_data_dir
    from benchmark.report.runner import ensure_kernel
    from benchmark.report.shared import CACHE_FOLDER

    ensure_kernel()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        shutil.rmtree(resolve_data_dir(None) / "processed" / CACHE_FOLDER, ignore_errors=True)
        first, _ = one_report(folder / "first")
        _, council = one_report(folder / "later")  # its parameters, for what the report's kernel imports
        packages, modules = report_imports(folder, council["parameters"])
        notebook, imports = floor_notebook(packages, modules)
        by_package, _ = floor_notebook(packages)
        print(f"floor notebook imports: {'; '.join(imports)}; then each of the {len(modules)} modules the report's kernel "
              "imported beyond a bare kernel, by full name")
        # The report and the floors taken in turns, --repeat rounds, best of each: a busy spell of a
        # shared machine then slows both sides of a ratio, not one.  (Each report into a new folder:
        # a run into the same folder would skip the council.)
        rounds = []
        for i in range(args.repeat):
            rounds.append((one_report(folder / f"later{i}"), time_floor(folder, notebook, f"floor{i}"),
                           time_floor_command(folder, f"floor{i}"), time_floor(folder, by_package, f"package_floor{i}"),
                           time_floor_command(folder, f"package_floor{i}")))
        later, council = min((r[0] for r in rounds), key=lambda run: run[0])
        floor, floor_command, package_floor, package_floor_command = (min(r[k] for r in rounds) for k in range(1, 5))
        print(f"(a) floor (kernel start + the report's imports, best of {args.repeat}): {floor:.2f} s; "
              f"as a command of its own (Python start + papermill import + the same): {floor_command:.2f} s")
        print(f"    the floor with top-level packages only (import scipy, not scipy.optimize; earlier editions of this "
              f"benchmark): {package_floor:.2f} s, as a command {package_floor_command:.2f} s")
        print(f"(b) one report, Southampton, whole command: first run {first:.2f} s = {first / floor:.2f} x floor; "
              f"later run {later:.2f} s = {later / floor:.2f} x floor; "
              f"against the floor as a command: {first / floor_command:.2f} and {later / floor_command:.2f} (goal <= 1.5); "
              f"against the top-level-package floor as a command: {later / package_floor_command:.2f}")
        print(f"    later run, the council's own work after its kernel was ready: {council['duration_s']:.2f} s "
              f"(notebook {council['timings_s'].get('execute')} s, HTML {council['timings_s'].get('html')} s)")

        if not args.skip_all:
            selection = list(load_tables().registry.table["ons_code"])[: args.limit] if args.limit else ["--all"]
            elapsed, result = time_cli("report", *selection, "--out", folder / "all", "--jobs", args.jobs)
            manifest = json.loads((folder / "all" / "run_manifest.json").read_text())
            councils = manifest["councils_run"]
            ideal = councils * floor / args.jobs
            failures = ", ".join(f["council"] for f in manifest["failures"])
            print(f"(c) {councils} councils, --jobs {args.jobs}: {elapsed:.1f} s ({manifest['succeeded']} succeeded, "
                  f"{manifest['failed']} failed{': ' + failures if failures else ''})")
            print(f"    all / (councils x floor / jobs) = {elapsed:.1f} / {ideal:.1f} = {elapsed / ideal:.2f} (goal <= 1.3); "
                  f"with the top-level-package floor: {elapsed / (councils * package_floor / args.jobs):.2f}")
            durations = sorted(c["duration_s"] for c in manifest["councils"])
            print(f"    per council (worker's time, kernel ready): median {durations[len(durations) // 2]:.2f} s, max {durations[-1]:.2f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest resident memory of any process started: {peak_mb:.0f} MB; cpus: {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
