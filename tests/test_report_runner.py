"""The report runner: strict parameters before any kernel, one council's failure isolated, atomic
outputs, self-contained code-free HTML, the parameter files, and the real notebook end to end.

Runner mechanics are tested with the stand-in notebooks of ``tests/fixtures/report/`` (see its
README), so they do not depend on the report notebook's content.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT

REPORT_FIXTURES = FIXTURES / "report"
FAILS_FOR_LEICESTER = REPORT_FIXTURES / "fails_for_E06000016.ipynb"
SLOW_FOR_LEICESTER = REPORT_FIXTURES / "slow_for_E06000016.ipynb"
REAL_NOTEBOOK = ROOT / "notebooks" / "council_report.ipynb"


def run_cli(*args, timeout=900):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "benchmark", *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=timeout, check=False)


def stand_in(*args, notebook=FAILS_FOR_LEICESTER):
    return run_cli("report", *args, "--notebook", notebook, "--notebook-only")


def leftovers(folder: Path) -> list[str]:
    """Temporary files or half-built council folders anywhere under ``folder``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".tmp-" in p.name or ".partial-" in p.name
                  or ".stderr-" in p.name or ".old-" in p.name)


def council_folders(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and re.fullmatch(r"E\d{8}", p.name)) if folder.exists() else []


# ----------------------------------------------------------------------------------------------
# strict parameters: one line, non-zero exit, no kernel started (no council folder, no output)
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("scenario, expected", [
    ("bad_unknown_key.yml", "unknown parameter key(s) fee_inflaton_pct"),
    ("bad_wrong_type.yml", "parameter 'review_months' must be int, found str 'twelve'"),
    ("bad_disallowed_value.yml", "parameter 'comparator_method' must be one of null, nn, statistical, region, type, england, custom, found 'cipfa'"),
    ("bad_unknown_council.yml", "unknown council 'Southamptn'"),
    ("bad_missing_local_dir.yml", "local_dir no/such/folder: folder not found"),
    ("bad_scenario_choice.yml", "scenario 'cheap': unknown unit_cost choice 'cheapest'"),
])
def test_bad_parameter_file_is_one_line_before_any_kernel(tmp_path, scenario, expected):
    out = tmp_path / "out"
    result = stand_in("--params", REPORT_FIXTURES / scenario, "--out", out)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and scenario in lines[0] and expected in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing started, nothing written


def test_one_bad_file_among_good_ones_stops_everything(tmp_path):
    parameters = tmp_path / "parameters"
    parameters.mkdir()
    (parameters / "good.yml").write_text('council: "E06000045"\n')
    (parameters / "bad.yml").write_text('council: "E06000016"\nrag_red_z: high\n')
    out = tmp_path / "out"
    result = stand_in("--params", parameters / "good.yml", "--params", parameters / "bad.yml", "--out", out)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {parameters / 'bad.yml'}: parameter 'rag_red_z' must be int or float, found str 'high'"
    assert council_folders(out) == [] and not out.exists()


def test_unknown_council_names_the_closest(tmp_path):
    result = stand_in("E06000045", "Southamptn", "--out", tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "unknown council 'Southamptn'" in result.stderr and "'Southampton'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_unwritable_output_folder_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = stand_in("E06000045", "--out", blocker / "out")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "output folder is not writable" in result.stderr


def test_bad_year_option_is_one_line(tmp_path):
    result = stand_in("E06000045", "--year", "2019", "--out", tmp_path / "out")
    assert result.returncode == 1 and result.stderr.startswith("error: --year") and result.stderr.count("\n") == 1


def test_every_shipped_parameter_file_passes_the_checks():
    from benchmark.report.runner import plan

    sets = plan([], all_councils=True)
    assert len(sets) == 161
    by_code = {values["council"]: (values, source) for values, source, _ in sets}
    southampton, source = by_code["E06000045"]
    assert source.endswith("parameters/E06000045.yml")
    assert southampton["fee_inflation_pct"] == 3.5 and southampton["budget_scenarios"] == []  # the file's own values
    assert southampton["local_dir"] is None and southampton["budget_year"] is None
    assert any(s.get("unit_cost") == "fee_schedule" for s in by_code["E06000016"][0]["budget_scenarios"])


# ----------------------------------------------------------------------------------------------
# failure isolation and atomic outputs (stand-in notebooks, real processes and kernels)
# ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def three_councils(tmp_path_factory):
    """Southampton, Leicester (fails deliberately) and Birmingham, by code, name and CASSR-free code."""
    out = tmp_path_factory.mktemp("run") / "out"
    result = stand_in("E06000045", "Leicester", "E08000025", "--out", out, "--jobs", "3")
    return out, result


def test_failure_of_one_council_does_not_stop_the_others(three_councils):
    out, result = three_councils
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: 1 of 3 report(s) failed: Leicester (E06000016)"), result.stderr
    assert council_folders(out) == ["E06000045", "E08000025"]
    for code in ("E06000045", "E08000025"):
        assert {p.name for p in (out / code).iterdir()} == {"report.ipynb", "report.html"}
    log = (out / "E06000016.error.log").read_text()
    assert "RuntimeError: deliberate failure for E06000016" in log and "Traceback" in log


def test_manifest_records_every_council_and_the_failure(three_councils):
    out, _ = three_councils
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["kernel"]["name"] == "asc-benchmark"
    assert Path(manifest["kernel"]["argv"][0]).samefile(sys.executable)
    assert manifest["councils_run"] == 3 and manifest["succeeded"] == 2 and manifest["failed"] == 1
    assert manifest["failures"] == [{"council": "E06000016", "name": "Leicester", "error": "RuntimeError: deliberate failure for E06000016 in cell 3",
                                     "error_log": "E06000016.error.log"}]
    statuses = {c["code"]: c["status"] for c in manifest["councils"]}
    assert statuses == {"E06000045": "succeeded", "E06000016": "failed", "E08000025": "succeeded"}
    for council in manifest["councils"]:
        assert council["parameters"]["council"] == council["code"]
        assert council["duration_s"] > 0 and council["started"] <= council["finished"]
    southampton = next(c for c in manifest["councils"] if c["code"] == "E06000045")
    assert southampton["parameter_source"].endswith("parameters/E06000045.yml")
    assert southampton["parameters"]["fee_inflation_pct"] == 3.5  # the parameter file's own value, recorded
    assert set(southampton["files"]) == {"report.ipynb", "report.html"}
    inputs = manifest["inputs"]["shipped"]["sha256"]
    assert len(inputs) > 10 and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in inputs.values())
    assert manifest["packages"]["papermill"] and manifest["toolkit_version"]


def test_no_temporary_or_partial_files_remain(three_councils):
    out, _ = three_councils
    assert leftovers(out) == []
    assert not (out / "E06000016").exists()


def test_index_links_every_council_with_status(three_councils):
    out, _ = three_councils
    index = (out / "index.html").read_text()
    assert '<a href="E06000045/report.html">Southampton</a>' in index and '<a href="E08000025/report.html">Birmingham</a>' in index
    assert "Leicester" in index and "deliberate failure" in index and 'href="E06000016.error.log"' in index
    assert "2 of 3 report(s) succeeded" in index


def test_stand_in_html_is_code_free_and_self_contained(three_councils):
    out, _ = three_councils
    page = (out / "E06000045" / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page and "<title>" in page and "Southampton" in page
    assert "Report for <strong>E06000045</strong>" in page  # an output is shown
    for code_text in ("import ", "FAIL_FOR", "comparator_k = ", "jp-InputArea", "input_prompt", "In&nbsp;[", "In [", "Out["):
        assert code_text not in page, code_text
    assert external_loads(page) == []


def test_timed_out_council_leaves_no_half_written_report(tmp_path):
    """Leicester's cell runs past --timeout mid-report: a stale folder from an earlier run goes too, nothing half-written stays."""
    out = tmp_path / "out"
    (out / "E06000016").mkdir(parents=True)
    (out / "E06000016" / "report.html").write_text("<html>an earlier run</html>")
    result = stand_in("E06000016", "E06000045", "--out", out, "--timeout", "5", "--jobs", "2", notebook=SLOW_FOR_LEICESTER)
    assert result.returncode == 1 and "Leicester (E06000016)" in result.stderr.splitlines()[-1]
    assert council_folders(out) == ["E06000045"]
    assert leftovers(out) == []
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert "timed out" in manifest["failures"][0]["error"].lower() or "timeout" in manifest["failures"][0]["error"].lower()


def test_run_council_failure_in_html_step_leaves_nothing(tmp_path, monkeypatch):
    """A failure after the notebook ran (here: converting to HTML) removes the half-built folder and temporary files."""
    from benchmark.report import html as report_html
    from benchmark.report import runner

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report_html, "notebook_html", broken)
    runner.ensure_kernel()
    job = runner.CouncilJob("E06000045", "Southampton", {"council": "E06000045"}, "test", None, str(FAILS_FOR_LEICESTER), str(tmp_path),
                            runner.KERNEL_NAME, 60, str(ROOT), False)
    result = runner.run_council(job)
    assert result.status == "failed" and result.error == "OSError: disk full"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["E06000045.error.log"]


def test_the_kernel_spec_read_directly_is_the_one_jupyter_finds(tmp_path, monkeypatch):
    """ensure_kernel reads this environment's kernel.json itself (sooner than importing jupyter_client)
    only when that is the file Jupyter would use and it runs this Python; otherwise it asks jupyter_client."""
    from jupyter_client.kernelspec import KernelSpecManager

    from benchmark.report import runner

    spec = runner.ensure_kernel()
    found = KernelSpecManager().get_kernel_spec(runner.KERNEL_NAME)
    assert spec == {"name": runner.KERNEL_NAME, "argv": found.argv, "resource_dir": found.resource_dir}
    env_jupyter = str(Path(sys.prefix) / "share" / "jupyter")
    assert runner._registered_here(runner.KERNEL_NAME, env_jupyter) == spec
    # another folder heads JUPYTER_PATH: its kernel of that name would win, so the direct read declines
    monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join([str(tmp_path), env_jupyter]))
    assert runner._registered_here(runner.KERNEL_NAME, env_jupyter) is None
    # a kernel.json that runs another Python, or is not JSON: declined
    other = tmp_path / "kernels" / runner.KERNEL_NAME
    other.mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    (other / "kernel.json").write_text(json.dumps({"argv": ["/usr/bin/false", "-m", "ipykernel_launcher"]}))
    assert runner._registered_here(runner.KERNEL_NAME, str(tmp_path)) is None
    (other / "kernel.json").write_text("{not json")
    assert runner._registered_here(runner.KERNEL_NAME, str(tmp_path)) is None


# ----------------------------------------------------------------------------------------------
# output folders shared by runs, years, interrupts, local files checked before any kernel
# ----------------------------------------------------------------------------------------------

def start_cli(*args, env=None):
    """The command in a session of its own (so a test can signal its whole process group, as Ctrl-C does)."""
    return subprocess.Popen([sys.executable, "-m", "benchmark", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT), **(env or {})), start_new_session=True)


def processes_with(marker: str) -> list[int]:
    """Processes whose environment holds ``marker`` (the run's main process, workers and kernels inherit it)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            pass
    return found


def wait_until_gone(marker: str, seconds: float = 5.0) -> list[int]:
    import time

    deadline = time.monotonic() + seconds
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return processes_with(marker)


def manifest_entries(out: Path) -> dict[str, dict]:
    return {c["code"]: c for c in json.loads((out / "run_manifest.json").read_text())["councils"]}


def test_two_runs_into_one_folder_are_serialised_and_keep_each_other(tmp_path):
    """Run 1 finds a lock left by a dead process and takes it over; run 2 waits while another run
    (here: this test) holds the folder, then adds its council; the index lists both with their own times."""
    from benchmark.report.runner import LOCK_NAME, OutputLock

    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text("process 999999999, started long ago")  # its process is gone, so is its flock
    first = stand_in("E06000045", "--out", out)
    assert first.returncode == 0, first.stderr
    assert "waiting" not in first.stderr and first.stderr == ""
    southampton_entry = manifest_entries(out)["E06000045"]

    held = OutputLock(out, notify=lambda message: None).__enter__()
    try:
        second = start_cli("report", "E08000025", "--out", out, "--notebook", FAILS_FOR_LEICESTER, "--notebook-only")
        line = second.stderr.readline()  # printed once the checks pass and the folder is found locked
        assert line == f"note: another report run (process {os.getpid()}, started {held_since(out)}) is writing to {out}; waiting for it to finish\n"
        assert council_folders(out) == ["E06000045"]  # nothing written while it waits
    finally:
        held.__exit__(None, None, None)
    stdout, stderr = second.communicate(timeout=300)
    assert second.returncode == 0, stderr
    assert stderr == "" and stdout.strip().endswith(f"1 report(s) written to {out}; index: {out / 'index.html'}")

    assert council_folders(out) == ["E06000045", "E08000025"]
    entries = manifest_entries(out)
    assert set(entries) == {"E06000045", "E08000025"}
    assert entries["E06000045"] == southampton_entry  # run 1's entry, kept as run 1 wrote it
    assert entries["E08000025"]["finished"] > southampton_entry["finished"]
    index = (out / "index.html").read_text()
    assert "2 of 2 report(s) succeeded" in index
    for code, entry in entries.items():
        assert f'<a href="{code}/report.html">' in index and f"<td>{entry['finished']}</td>" in index
    assert leftovers(out) == [] and not (out / LOCK_NAME).exists()


def held_since(out: Path) -> str:
    """The start time the lock holder wrote into the lock file (this test's OutputLock)."""
    from benchmark.report.runner import LOCK_NAME

    return (out / LOCK_NAME).read_text().split("started ", 1)[1]


# The shipped data's national metrics run from 2015-16 (ASC-FR) to 2025-26 (the English Indices of
# Deprivation 2025, dated like IoD 2019 by its publication year: 2019-20); the base budget from its base year 2024-25 (the newest
# RO3 outturn) to three years after the default budget year 2026-27 (that outturn + 2), i.e. 2029-30.
@pytest.mark.parametrize("year", ["2030-31", "2010-11"])
def test_a_year_without_data_is_refused_in_one_line(tmp_path, year):
    out = tmp_path / "out"
    result = stand_in("E06000045", "--year", year, "--out", out)
    assert result.returncode == 1
    assert result.stderr == f"error: --year {year}: not a year the data supports (years available: 2015-16 to 2025-26)\n"
    assert not out.exists()


def test_a_budget_year_outside_the_data_is_refused_in_one_line(tmp_path):
    params = tmp_path / "far.yml"
    params.write_text('council: "E06000045"\nbudget_year: "2035-36"\n')
    out = tmp_path / "out"
    result = stand_in("--params", params, "--out", out)
    assert result.returncode == 1
    assert result.stderr == (f"error: {params}: parameter 'budget_year' 2035-36: not a year the data supports "
                             "(years available: 2024-25 to 2029-30)\n")
    assert not out.exists()


def test_interrupt_stops_everything_writes_the_index_and_a_second_run_resumes(tmp_path):
    """SIGINT to the process group (as Ctrl-C sends it) while Leicester's notebook sleeps for 60 s and
    the other worker has written Southampton and Birmingham: 2 of 3 written."""
    import time
    import uuid

    out = tmp_path / "out"
    marker = f"ASC_TEST_RUN={uuid.uuid4().hex}"
    run = start_cli("report", "E06000016", "E06000045", "E08000025", "--out", out, "--jobs", "2", "--notebook", SLOW_FOR_LEICESTER,
                    "--notebook-only", env=dict([marker.split("=")]))
    deadline = time.monotonic() + 300
    while not ((out / "E06000045").is_dir() and (out / "E08000025").is_dir() and list(out.glob(".E06000016.partial-*"))):
        assert run.poll() is None and time.monotonic() < deadline, run.stderr.read() if run.poll() is not None else "timed out"
        time.sleep(0.1)
    assert len(processes_with(marker)) >= 4  # the command, two workers, at least Leicester's kernel
    interrupted_at = time.monotonic()
    os.killpg(run.pid, __import__("signal").SIGINT)
    stdout, stderr = run.communicate(timeout=30)
    assert time.monotonic() - interrupted_at < 10
    assert run.returncode == 130
    assert stderr == "interrupted: 2 of 3 councils written; run again to finish\n" and stdout == ""
    assert wait_until_gone(marker) == []  # workers and kernels too
    assert council_folders(out) == ["E06000045", "E08000025"]
    assert sorted(p.name for p in out.iterdir()) == ["E06000045", "E08000025", "index.html", "run_manifest.json"]  # no logs, locks, .partial-*
    index = (out / "index.html").read_text()
    assert "2 of 2 report(s) succeeded" in index and "Leicester" not in index
    assert json.loads((out / "run_manifest.json").read_text())["this_run"]["interrupted"] is True

    resumed = stand_in("E06000045", "E08000025", "E06000023", "--out", out, "--jobs", "1", notebook=SLOW_FOR_LEICESTER)
    assert resumed.returncode == 0, resumed.stderr
    lines = resumed.stdout.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["Unchanged:", "Unchanged:", "Report:"]
    assert str(out / "E06000023" / "report.html") in lines[2]
    assert lines[3] == (f"1 report(s) written to {out}, 2 unchanged since an earlier run and not run again (--force runs them); "
                        f"index: {out / 'index.html'}")
    forced = stand_in("E06000045", "--out", out, "--force", notebook=SLOW_FOR_LEICESTER)
    assert forced.returncode == 0 and forced.stdout.startswith(f"Report: {out / 'E06000045' / 'report.html'}")
    assert "3 of 3 report(s) succeeded" in (out / "index.html").read_text() and leftovers(out) == []


def test_local_file_error_is_one_line_before_any_kernel_and_leaves_the_folder_untouched(tmp_path):
    import uuid

    local = tmp_path / "local"
    shutil.copytree(ROOT / "data" / "local", local)
    workforce = local / "E06000045" / "workforce.csv"
    lines = workforce.read_text().splitlines(keepends=True)
    header, first = lines[0].split(","), lines[1].split(",")
    first[header.index("fte")] = "lots"
    workforce.write_text("".join([lines[0], ",".join(first), *lines[2:]]))
    params = tmp_path / "southampton.yml"
    params.write_text(f'council: "E06000045"\nlocal_dir: "{local}"\n')
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "notes.txt").write_text("an earlier run's folder")
    before = {p.name: p.stat().st_mtime_ns for p in earlier.iterdir()}
    scratch = tmp_path / "tmp"  # the run's own temporary files (kernel logs) go here
    scratch.mkdir()
    for out in (tmp_path / "new", earlier):
        marker = f"ASC_TEST_RUN={uuid.uuid4().hex}"
        run = start_cli("report", "--params", params, "--out", out, env={**dict([marker.split("=")]), "TMPDIR": str(scratch)})
        stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == 1 and stdout == ""
        assert stderr.count("\n") == 1 and stderr.startswith("error: ") and "Traceback" not in stderr, stderr
        assert "E06000045/workforce.csv, row 2, column 'fte'" in stderr and "'lots'" in stderr, stderr
        assert wait_until_gone(marker, 1.0) == []  # no kernel left running (they had started alongside the check)
        assert list(scratch.iterdir()) == []
    assert not (tmp_path / "new").exists()
    assert {p.name: p.stat().st_mtime_ns for p in earlier.iterdir()} == before


def test_a_changed_data_copy_is_disclosed_in_the_index_and_the_sources_section(tmp_path):
    """A --data copy with one raw file changed (a blank line added: read the same, checksum differs)."""
    from benchmark.report import content
    from benchmark.report.parameters import DEFAULTS

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "raw", data / "raw")
    shutil.copytree(ROOT / "data" / "local", data / "local")
    shutil.copy(ROOT / "data" / "catalogue.json", data / "catalogue.json")
    with open(data / "raw" / "ascof" / "measure_direction.csv", "a", encoding="utf-8") as handle:
        handle.write("\n")
    out = tmp_path / "out"
    result = stand_in("E06000045", "--data", data, "--out", out)
    assert result.returncode == 0, result.stderr
    expected = (f"Data differs from the published files shipped with the toolkit for 1 report(s) (data folder {data}): "
                "ascof/measure_direction.csv (changed).")
    assert f"<p><strong>{expected}</strong></p>" in (out / "index.html").read_text()
    assert manifest_entries(out)["E06000045"]["data_differs_from_shipped"] == {"ascof/measure_direction.csv": "changed"}

    sources = content.ReportContent.build({**DEFAULTS, "council": "E06000045", "data_dir": str(data)}).section("sources")
    assert sources.paragraphs == [f"The data folder used ({data}) differs from the published files shipped with the toolkit in 1 file(s): "
                                  "ascof/measure_direction.csv (changed). Figures resting on these files may differ from those of the "
                                  "shipped data."]
    assert sources.paragraphs[0] in sources.to_html()


# ----------------------------------------------------------------------------------------------
# parameter files
# ----------------------------------------------------------------------------------------------

def test_parameters_readme_is_current():
    from benchmark.report.parameters import readme_table

    assert readme_table() in (ROOT / "parameters" / "README.md").read_text(encoding="utf-8")


def test_init_parameters_writes_one_file_per_council(tmp_path, registry):
    from benchmark.report.parameters import read_parameter_file

    out = tmp_path / "parameters"
    result = run_cli("init-parameters", "--out", out)
    assert result.returncode == 0, result.stderr
    files = sorted(out.glob("*.yml"))
    assert len(files) == 161 == len(registry)
    assert [f.stem for f in files] == sorted(registry.table["ons_code"])
    assert list(out.iterdir()) == [f for f in out.iterdir() if f.suffix == ".yml"]  # no temporary files
    leeds = (out / "E08000035.yml").read_text()
    assert leeds.startswith("# Report parameters for Leeds (E08000035).")
    assert read_parameter_file(out / "E08000035.yml")["council"] == "E08000035"
    assert {k for k in __import__("yaml").safe_load(leeds)} == {"council"}


def test_init_parameters_keeps_hand_written_and_edited_files_unless_forced(tmp_path):
    out = tmp_path / "parameters"
    out.mkdir()
    shutil.copy(ROOT / "parameters" / "E06000045.yml", out / "E06000045.yml")
    (out / "E08000025.yml").write_text('council: "E08000025"\ncomparator_method: region\n')
    assert run_cli("init-parameters", "--out", out).returncode == 0
    assert (out / "E06000045.yml").read_text() == (ROOT / "parameters" / "E06000045.yml").read_text()
    assert "region" in (out / "E08000025.yml").read_text()
    assert run_cli("init-parameters", "--out", out, "--force").returncode == 0
    assert "fee_schedule" not in (out / "E06000045.yml").read_text()
    assert "region" not in (out / "E08000025.yml").read_text()


def test_shipped_generated_files_match_init_parameters(tmp_path, tables):
    from benchmark.report.parameter_files import HAND_WRITTEN, parameter_file_text

    for code, name in zip(tables.registry.table["ons_code"], tables.registry.table["name"], strict=True):
        if code not in HAND_WRITTEN:
            assert (ROOT / "parameters" / f"{code}.yml").read_text() == parameter_file_text(code, name), code


def test_every_councils_default_group_exists(tables):
    """comparator_method: null resolves, for every council of the registry, to a group the report can
    use: statistical peers on the newest outturn's geography (after NN.json's April 2021 geography),
    a region for the two councils excluded from peer groups, abolished councils on their last year."""
    from benchmark.comparators import comparator_group
    from benchmark.metrics.stats import group_year
    from benchmark.report.parameters import read_parameter_file, resolved_comparator_method

    methods = {}
    for path in sorted((ROOT / "parameters").glob("*.yml")):
        values = read_parameter_file(path)
        method = methods[path.stem] = resolved_comparator_method(tables, values)
        year = None if method == "nn" else group_year(tables, path.stem, values["year"])
        assert len(comparator_group(tables, path.stem, method, year=year)) >= 5, path.stem  # the report would fail without one
    assert {code for code, method in methods.items() if method == "region"} == {"E06000053", "E09000001"}  # Scilly, City of London
    assert methods["E06000063"] == "statistical"  # Cumberland (2023): peers on the 2024-25 geography
    assert methods["E06000045"] == "nn"  # Southampton's hand-written file chooses NN.json's set


# ----------------------------------------------------------------------------------------------
# HTML helpers
# ----------------------------------------------------------------------------------------------

class _Resources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.external, self.images = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "link", "img", "iframe", "source"):
            for key in ("src", "href"):
                value = (attrs.get(key) or "").strip().lower()
                if value.startswith(("http://", "https://", "//")):
                    self.external.append(f"<{tag} {key}={value}>")
        if tag == "img":
            self.images.append(attrs)


def external_loads(page: str) -> list[str]:
    parser = _Resources()
    parser.feed(page)
    return parser.external


def images(page: str) -> list[dict]:
    parser = _Resources()
    parser.feed(page)
    return parser.images


def test_external_resource_check_catches_cdn_scripts():
    from benchmark.report.html import external_resources

    page = '<script src="https://cdn.example/require.js"></script><link href="http://x/y.css"><img src="data:image/png;base64,AA" alt="a">'
    assert len(external_loads(page)) == 2 and len(external_resources(page)) == 2
    assert external_loads('<a href="https://example.org">a link</a>') == []


# ----------------------------------------------------------------------------------------------
# the real notebook, end to end, for Southampton
# ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def southampton_report(tmp_path_factory):
    if not REAL_NOTEBOOK.is_file():
        pytest.skip(f"{REAL_NOTEBOOK.relative_to(ROOT)} does not exist yet")
    out = tmp_path_factory.mktemp("real") / "out"
    result = run_cli("report", "E06000045", "--out", out, "--jobs", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


@pytest.mark.slow
def test_real_report_outputs(southampton_report):
    out, result = southampton_report
    folder = out / "E06000045"
    assert {p.name for p in folder.iterdir()} == {"report.ipynb", "report.html", "metrics.csv", "budget.csv", "tables.xlsx", "headlines.json"}
    assert str(folder / "report.html") in result.stdout
    assert leftovers(out) == [] and (out / "index.html").is_file()
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["failed"] == 0 and manifest["shared_dir"]
    import openpyxl

    workbook = openpyxl.load_workbook(folder / "tables.xlsx", read_only=True)
    assert len(workbook.sheetnames) >= 2


@pytest.mark.slow
def test_real_report_html_is_code_free_self_contained_and_accessible(southampton_report):
    out, _ = southampton_report
    page = (out / "E06000045" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Southampton" in page
    for code_text in ("jp-InputArea", "input_prompt", "In&nbsp;[", "import ", "from benchmark.", "report.section(", "ReportContent.build("):
        assert code_text not in page, code_text
    assert external_loads(page) == []
    imgs = images(page)
    assert sum(i.get("src", "").startswith("data:image/svg+xml;base64,") for i in imgs) >= 2
    assert all((i.get("alt") or "").strip() and not i["alt"].startswith("No description") for i in imgs), [i.get("alt") for i in imgs]


@pytest.mark.slow
def test_real_report_figures_equal_the_metrics_command(southampton_report):
    import pandas as pd

    out, _ = southampton_report
    page = (out / "E06000045" / "report.html").read_text(encoding="utf-8")
    result = run_cli("metrics", "E06000045", "--group", "nn", "--format", "json")  # the group Southampton's file chooses
    assert result.returncode == 0, result.stderr
    metrics = pd.DataFrame(json.loads(result.stdout)).set_index("id")
    from benchmark.report.content import fmt  # the report's own formatting of a value in its unit

    for metric_id in ("gce_65plus_per_head_65plus_gbp", "unit_cost_residential_65plus_gbp_per_week", "care_home_admissions_65plus_per_100k",
                      "share_65plus_aged_85plus_pct", "bcf_pooled_gbp"):
        row = metrics.loc[metric_id]
        assert row["value"] is not None and row["value"] == row["value"], metric_id
        for column in ("value", "median"):
            text = fmt(row[column], row["unit"])
            assert text in page, (metric_id, column, text)
    written = pd.read_csv(out / "E06000045" / "metrics.csv").set_index("id")
    assert set(metrics.index) <= set(written.index)
    assert written.loc["gce_65plus_per_head_65plus_gbp", "value"] == pytest.approx(metrics.loc["gce_65plus_per_head_65plus_gbp", "value"])


# ----------------------------------------------------------------------------------------------
# the report as a browser shows it (only where chromium is installed; CI does not need it)
# ----------------------------------------------------------------------------------------------

def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.mark.slow
def test_report_renders_headless(request, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium to run this check)")
    run = request.getfixturevalue("southampton_report" if REAL_NOTEBOOK.is_file() else "three_councils")
    page = run[0] / "E06000045" / "report.html"
    screenshot = tmp_path / "report.png"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={screenshot}", "--window-size=1280,2000",
               page.as_uri()]
    subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000
    from PIL import Image

    with Image.open(screenshot) as image:
        assert image.size == (1280, 2000)
        low, high = image.convert("L").getextrema()
        assert high - low > 50  # not a blank page
