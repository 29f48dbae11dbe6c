"""One kernel per worker process (benchmark.report.kernel): councils run one after another in it
see a clean namespace, a failure gets the next council a new kernel, and a council's report made
after another council's in the same kernel equals its report made alone."""
from __future__ import annotations

import json
import re

import pytest
from test_report_runner import REAL_NOTEBOOK, leftovers, run_cli, stand_in

from conftest import FIXTURES

ISOLATION = FIXTURES / "report" / "isolation_check.ipynb"


def kernel_pids(out) -> dict[str, int]:
    """Council -> the kernel process that ran its notebook (as the isolation stand-in shows it)."""
    pids = {}
    for page in out.glob("E*/report.html"):
        found = re.search(r"in kernel process (\d+)", page.read_text(encoding="utf-8"))
        pids[page.parent.name] = int(found.group(1))
    return pids


def first_execution_counts(out) -> dict[str, int]:
    counts = {}
    for path in out.glob("E*/report.ipynb"):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        counts[path.parent.name] = min(c["execution_count"] for c in cells if c["cell_type"] == "code" and c.get("execution_count"))
    return counts


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    """Southampton, Leicester (fails deliberately), Birmingham, Bristol: one worker, run in that order."""
    out = tmp_path_factory.mktemp("kernel") / "out"
    result = stand_in("E06000045", "E06000016", "E08000025", "E06000023", "--out", out, "--jobs", "1", notebook=ISOLATION)
    return out, result


def test_councils_share_the_worker_kernel_with_a_clean_namespace(one_worker):
    out, result = one_worker
    assert result.returncode == 1 and "1 of 4 report(s) failed: Leicester (E06000016)" in result.stderr
    pids = kernel_pids(out)
    assert set(pids) == {"E06000045", "E08000025", "E06000023"}  # no "left from an earlier council" failure
    assert pids["E08000025"] == pids["E06000023"]  # kept for the councils after the failure's replacement
    assert first_execution_counts(out) == {"E06000045": 1, "E08000025": 1, "E06000023": 1}
    assert leftovers(out) == [] and not list(out.glob(".kernel-*"))


def test_a_failure_gets_the_next_council_a_new_kernel(one_worker):
    out, _ = one_worker
    pids = kernel_pids(out)
    assert pids["E06000045"] != pids["E08000025"]  # Leicester failed in Southampton's kernel, which was replaced
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["kernel"]["reuse"].startswith("one kernel per worker process")
    assert "deliberate failure for E06000016" in (out / "E06000016.error.log").read_text()


def test_fresh_kernels_option_starts_one_per_council(tmp_path):
    out = tmp_path / "out"
    result = stand_in("E06000045", "E08000025", "--out", out, "--jobs", "1", "--fresh-kernels", notebook=ISOLATION)
    assert result.returncode == 0, result.stderr[-2000:]
    pids = kernel_pids(out)
    assert pids["E06000045"] != pids["E08000025"]
    assert json.loads((out / "run_manifest.json").read_text())["kernel"]["reuse"] == "a new kernel per council"


@pytest.mark.slow
def test_real_report_after_another_council_equals_the_report_alone(tmp_path):
    """Leicester then Southampton in one kernel; Southampton alone in a new one: the same tables."""
    if not REAL_NOTEBOOK.is_file():
        pytest.skip("the report notebook does not exist yet")
    shared_kernel, alone = tmp_path / "shared_kernel", tmp_path / "alone"
    result = run_cli("report", "E06000016", "E06000045", "--out", shared_kernel, "--jobs", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    result = run_cli("report", "E06000045", "--out", alone, "--jobs", "1", "--fresh-kernels")
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("metrics.csv", "budget.csv", "headlines.json"):
        assert (shared_kernel / "E06000045" / name).read_bytes() == (alone / "E06000045" / name).read_bytes(), name

    def page(folder):  # the footer carries the time the report was made
        return re.sub(r"<footer>.*?</footer>", "", (folder / "E06000045" / "report.html").read_text(encoding="utf-8"))

    assert page(shared_kernel) == page(alone)


def test_a_killed_process_counts_as_ended_before_anything_reaps_it():
    """Stopping the workers (a failed check, an interrupt) waits for their kernels and the kernels'
    drawing processes to end; a killed process that nothing has reaped yet (a zombie) has ended, so
    the wait is not drawn out to its time limit."""
    import subprocess
    import time

    import psutil

    from benchmark.report.runner import _wait_ended

    child = subprocess.Popen(["sleep", "60"])
    try:
        process = psutil.Process(child.pid)
        process.kill()
        started = time.monotonic()
        assert _wait_ended([process], timeout=20) == []
        assert time.monotonic() - started < 20  # it did not wait out the limit
        assert process.status() == psutil.STATUS_ZOMBIE  # still unreaped: a zombie, counted as ended
    finally:
        child.wait()
    running = subprocess.Popen(["sleep", "60"])
    try:
        assert _wait_ended([psutil.Process(running.pid)], timeout=0.2) != []  # a live one is still running
    finally:
        running.kill()
        running.wait()


FIRST_COUNCIL = """
import json, sys
from pathlib import Path
from benchmark.report import kernel
from benchmark.report.parameters import check_parameters
from benchmark.report.shared import prepare_shared
shared = prepare_shared([check_parameters({"council": "E06000045"}, "test")], Path(sys.argv[1]) / "shared")  # as the runner does
exec(kernel.warm_up(charts_aside=False))
warm = set(sys.modules)
from benchmark.report import content, whatif
report = content.ReportContent.build({"council": "E06000045", "export_dir": sys.argv[1], "shared_dir": str(shared)})
for section in report.sections():
    section.to_html()
whatif.BudgetPanel(report)
whatif.export_tables(report, sys.argv[1])
print(json.dumps(sorted(set(sys.modules) - warm)))
"""


@pytest.mark.slow
def test_the_warm_up_imports_what_a_report_uses(tmp_path):
    """A kernel's first council waits for no heavy import: everything a report loads, the warm-up
    has loaded (scipy.optimize alone took the first council about 0.5 s)."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", FIRST_COUNCIL, str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.splitlines()[-1])
    # without the warm-up's imports the report loaded 412 modules here, scipy.optimize's 91 among them
    heavy = [m for m in loaded if m.startswith(("scipy.", "statsmodels", "pandera", "matplotlib.backends", "pyarrow.parquet",
                                                "pyarrow.dataset", "benchmark."))]
    assert heavy == [] and len(loaded) < 40, loaded
