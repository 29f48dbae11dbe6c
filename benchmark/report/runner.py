"""Run the report notebook for one council, several, or all of England.

Everything a user can get wrong is checked **before any council is given to a kernel**.  The
worker processes (:class:`Workers`: ``ProcessPoolExecutor``, spawn context, never threads) start
first, as soon as the command line is read, each launching its kernel (:mod:`benchmark.report.kernel`),
and the checks run while they start: in :func:`plan`, every council resolves, every parameter file
is strict (unknown keys, wrong types, disallowed values, budget scenarios, comparator lists), every
``year`` and ``budget_year`` is one the data supports, and the local and data folders named exist;
then :func:`run_reports` checks the notebook and that the output folder can be written (without
creating it), and reads and checks every local folder of the run (:func:`check_local_files`).  A
failed check stops the workers and their kernels at once and leaves the output folder as it was
(kernel logs are kept outside it, in a temporary folder removed at the end of the run); the error is
one line.

The output folder is then locked (:class:`OutputLock`: a second run into it waits, saying so) and
the main process computes the results every council shares (``benchmark.report.shared.prepare_shared``,
read from the report cache when its inputs are unchanged).  Each council's notebook then runs
through papermill, with an explicit kernel, working directory and per-cell timeout, in its worker's
kernel: reset before each council and replaced after any failure, so a crash, a hang or a leak stays
with one council (``--fresh-kernels``: a new kernel per council).  A council already in the folder,
written with the same inputs (:func:`inputs_digest`), is skipped unless ``force``.

Per council, ``<out>/<ONS code>/`` holds ``report.ipynb`` (executed), ``report.html`` (no code,
self-contained), ``metrics.csv``, ``budget.csv`` and ``tables.xlsx``.  The folder is built as
``<out>/.<code>.partial-<pid>/`` and renamed into place, so it appears complete or not at all; each
file in it is written as ``name.tmp-<pid>`` and moved.  A council that fails leaves
``<out>/<code>.error.log`` (message and traceback) and the others go on.  ``<out>/index.html`` links
every council in the folder (this run's and earlier runs') with its status, headline figures and
the time it was written; ``<out>/run_manifest.json`` records versions, kernel, input checksums,
parameters, timings and failures, one entry per council in the folder.  Data that differs from the
shipped files is named in the index (and in each report's sources section).

**Interrupts**: Ctrl-C (SIGINT, to the whole process group or to this process alone) or SIGTERM
stops the workers and their kernels within a few seconds, writes the manifest and index for what
finished, removes every temporary file and folder and raises :class:`RunInterrupted` (the command
prints one line and exits 130); running again finishes the rest.

**Kernel**: ``asc-benchmark``, registered into this environment (``sys.prefix``) when missing or
pointing at another interpreter.  Not ``python3``: that name is shared by every Python on the
machine, and a ``python3`` spec in the user's own Jupyter folder (which Jupyter searches first)
would silently run the reports in a Python without this toolkit or with other versions.  The named
spec's ``argv[0]`` is this interpreter, checked before the run, and the environment's Jupyter folder
is put first on ``JUPYTER_PATH`` for the worker processes.
"""
from __future__ import annotations

import atexit
import concurrent.futures as futures
import contextlib
import datetime as dt
import json
import logging
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from benchmark.data.sources import sha256_of
from benchmark.errors import UserError
from benchmark.files import replace_folder, write_atomic, write_text_atomic
from benchmark.report.kernel import RECYCLE_AFTER, START_TIMEOUT_S
from benchmark.report.parameters import budget_params, check_parameters, read_parameter_file

log = logging.getLogger(__name__)

# jsonschema (imported by nbformat, which papermill and nbconvert import) imports rfc3987_syntax when it
# is installed, only to check the "iri" string formats; that import compiles about 35 Earley grammars
# and costs 1.5-2 s in every process (python-jsonschema/jsonschema#1428).  Notebook schemas use no
# such format, so this module's processes (the runner and its workers; not the kernels, not
# JupyterLab) mark it unavailable and jsonschema goes without those two checks.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_NOTEBOOK = ROOT / "notebooks" / "council_report.ipynb"
PARAMETERS_DIR = ROOT / "parameters"
KERNEL_NAME = "asc-benchmark"
CELL_TIMEOUT_S = 600


@dataclass
class CouncilJob:
    """One council's run: everything a worker process needs, all of it plain data (picklable)."""

    code: str
    name: str
    parameters: dict
    parameter_source: str
    parameter_sha256: str | None
    notebook: str
    out_dir: str
    kernel_name: str
    cell_timeout_s: int
    cwd: str
    with_tables: bool
    warm_kernel: bool = False  # run in the worker's kept kernel (benchmark.report.kernel), not a new one
    inputs_sha256: str | None = None  # inputs_digest(): a later run with the same digest skips the council
    data_differs_from_shipped: dict = field(default_factory=dict)  # data file -> changed | added | missing
    pack: str | None = None  # the pre-reading pack to write beside report.html (benchmark.report.pack.PACKS), or None
    pdf_browser: str | None = None  # Chromium, to print report.html (and the pack) to PDF; None: no PDF


@dataclass
class CouncilResult:
    code: str
    name: str
    status: str  # "succeeded" | "failed"
    started: str
    finished: str
    duration_s: float
    parameters: dict
    parameter_source: str
    error: str | None = None
    error_log: str | None = None
    headlines: dict = field(default_factory=dict)  # content.headlines(): plain values
    files: dict = field(default_factory=dict)  # file name -> sha256
    timings_s: dict = field(default_factory=dict)  # execute (kernel start + cells), tables (overlapping), html
    inputs_sha256: str | None = None  # see CouncilJob
    data_differs_from_shipped: dict = field(default_factory=dict)  # see CouncilJob; the index lists them


# ----------------------------------------------------------------------------------------------
# before any kernel starts
# ----------------------------------------------------------------------------------------------

def _resolve_path(value: str) -> Path:
    """A folder named in a parameter file: absolute, or relative to the repository root (the kernels' working directory)."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else ROOT / path


def check_values(values: dict, source: str, registry, data: str | None = None) -> dict:
    """Beyond types: the council, comparator councils, years, budget scenarios and folders (one-line errors naming ``source``)."""
    values = dict(values)
    council = _find_council(values, source, registry)
    values["council"] = council.ons_code
    _check_years(values, source, council)
    values["custom_comparators"] = _checked_custom_comparators(values, source, registry, council)
    _check_settings(values, source)
    _check_budget_scenarios(values, source)
    if data is not None:
        values["data_dir"] = str(Path(data).resolve())
    values["data_dir"] = _checked_data_dir(values["data_dir"], source)
    values["local_dir"] = _checked_local_dir(values["local_dir"], source)
    return values


def _find_council(values: dict, source: str, registry):
    """The council the parameters name (an ONS code, CASSR code or name) in their year."""
    try:
        return registry.find(values["council"], values.get("year"))
    except UserError as error:
        raise UserError(f"{source}: council: {error}") from None


def _check_years(values: dict, source: str, council) -> None:
    """``year`` and ``budget_year`` are financial years (YYYY-YY), and the council had adult social care duties in ``year``."""
    from benchmark.data.tidy import financial_year_start

    for key in ("year", "budget_year"):
        if values.get(key) is not None:
            try:
                financial_year_start(values[key])
            except ValueError as error:
                raise UserError(f"{source}: parameter '{key}': {error}") from None
    if values["year"] is not None and not council.exists_in(values["year"]):
        raise UserError(f"{source}: {council.name} ({council.ons_code}) did not have adult social care duties in {values['year']}")


def _checked_custom_comparators(values: dict, source: str, registry, council) -> list:
    """The custom comparator councils as ONS codes."""
    from benchmark.comparators import resolve_custom

    try:  # the council itself, a council twice or an unknown one: refused, never silently dropped
        return resolve_custom(registry, values["custom_comparators"], values.get("year"), council=council.ons_code)
    except UserError as error:
        raise type(error)(f"{source}: parameter 'custom_comparators': {error}") from None


def _check_settings(values: dict, source: str) -> None:
    """The comparator group, flag thresholds and package settings: in range and consistent with each other."""
    for key in ("rag_material_pct", "rag_material_points", "rag_material_count"):
        if values.get(key, 0) < 0:
            raise UserError(f"{source}: parameter '{key}' must not be negative, found {values[key]}")
    if values["comparator_method"] == "custom" and not values["custom_comparators"]:
        raise UserError(f"{source}: comparator_method is custom but custom_comparators is empty")
    if values["comparator_k"] < 1:
        raise UserError(f"{source}: parameter 'comparator_k' must be at least 1, found {values['comparator_k']}")
    if values["rag_red_z"] < values["rag_amber_z"]:
        raise UserError(f"{source}: rag_red_z ({values['rag_red_z']}) must not be below rag_amber_z ({values['rag_amber_z']})")
    for key in ("high_cost_threshold_gbp", "review_months"):
        if values[key] <= 0:
            raise UserError(f"{source}: parameter '{key}' must be positive, found {values[key]}")


def _check_budget_scenarios(values: dict, source: str) -> None:
    """Every budget scenario is a named mapping, and the budget's parameters build."""
    for i, scenario in enumerate(values["budget_scenarios"]):
        if not isinstance(scenario, dict) or "name" not in scenario:
            raise UserError(f"{source}: budget_scenarios item {i + 1} must be a mapping with at least a name")
    try:
        budget_params(values)
    except UserError as error:
        raise UserError(f"{source}: {error}") from None
    except TypeError as error:
        raise UserError(f"{source}: budget_scenarios: {error}") from None


def _checked_data_dir(data_dir: str | None, source: str) -> str | None:
    """The data folder as an absolute path (None: the shipped data)."""
    from benchmark.data.store import resolve_data_dir

    if data_dir is None:
        return None
    try:
        return str(resolve_data_dir(_resolve_path(data_dir)).resolve())
    except UserError as error:
        raise UserError(f"{source}: data_dir: {error}") from None


def _checked_local_dir(local_dir: str | None, source: str) -> str | None:
    """The folder of the councils' own files as an absolute path, which must exist (None: the data folder's)."""
    if local_dir is None:
        return None
    local = _resolve_path(local_dir)
    if not local.is_dir():
        raise UserError(f"{source}: local_dir {local_dir}: folder not found")
    return str(local.resolve())


def council_parameter_file(code: str, parameters_dir: Path = PARAMETERS_DIR) -> Path:
    return parameters_dir / f"{code}.yml"


def plan(councils: list[str], *, all_councils: bool = False, params_files: list[str] | None = None, year: str | None = None,
         data: str | None = None, parameters_dir: Path = PARAMETERS_DIR) -> list[tuple[dict, str, str | None]]:
    """Every council's checked parameters, where they came from and the file's sha256, in run order.

    Raises a one-line :class:`UserError` at the first problem; nothing has been written.
    """
    from benchmark.data.store import load_tables
    from benchmark.data.years import check_year

    given = sum(bool(x) for x in (councils, all_councils, params_files))
    if given != 1:
        raise UserError("report: give council(s), --all or --params FILE (exactly one of them)")
    registry = load_tables(data).registry
    years = _YearsInData()
    if year is not None:  # named as the option, before any parameter file that it overrides
        check_year(year, years.metric(data), "--year")
    sets: list[tuple[dict, str, str | None]] = []
    if params_files:
        for name in params_files:
            path = Path(name)
            values = _read_council_file(path)
            sets.append((_checked_set(values, str(path), year, registry, data, years), str(path), sha256_of(path)))
    else:
        # an unknown council: one line naming the closest
        codes = list(registry.table["ons_code"]) if all_councils else [registry.find(c, year).ons_code for c in councils]
        for code in dict.fromkeys(codes):
            values, source, digest = _council_parameters(code, registry, parameters_dir)
            sets.append((_checked_set(values, source, year, registry, data, years), source, digest))
    _refuse_duplicate_councils(sets)
    return sets


def _read_council_file(path: Path) -> dict:
    """A parameter file given with ``--params``: it must name its council."""
    values = read_parameter_file(path)
    if "council" not in _explicit_keys(path):
        raise UserError(f"{path}: the parameter file must set 'council'")
    return values


def _council_parameters(code: str, registry, parameters_dir: Path) -> tuple[dict, str, str | None]:
    """A council's parameters, their source and the file's sha256: ``parameters/<ONS code>.yml``
    if there is one (and it is about that council), else the defaults."""
    path = council_parameter_file(code, parameters_dir)
    if not path.is_file():
        return check_parameters({"council": code}, f"council {code}"), "defaults", None
    values, source, digest = read_parameter_file(path), str(path), sha256_of(path)
    if values["council"] != code and registry.find(values["council"]).ons_code != code:
        raise UserError(f"{path}: council is {values['council']!r}, but the file is named for {code}")
    return values, source, digest


def _checked_set(values: dict, source: str, year: str | None, registry, data: str | None, years: _YearsInData) -> dict:
    """One council's parameters with ``--year`` applied, checked (values, then the years the data has)
    and its comparator method resolved."""
    if year is not None:
        values["year"] = year
    checked = check_values(values, source, registry, data)
    years.check(checked, source)
    return _with_method(checked, data)


def _refuse_duplicate_councils(sets: list[tuple[dict, str, str | None]]) -> None:
    codes = [values["council"] for values, _, _ in sets]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise UserError(f"report: council(s) given more than once: {', '.join(duplicates)}")


def _with_method(values: dict, data: str | None) -> dict:
    """``values`` with ``comparator_method: null`` replaced by the council's default, so that the
    shared step, the kernel and the manifest all see the one group the report uses."""
    from benchmark.data.store import load_tables
    from benchmark.report.parameters import resolved_comparator_method

    return {**values, "comparator_method": resolved_comparator_method(load_tables(values.get("data_dir") or data), values)}


class _YearsInData:
    """The metric and budget years each data folder of a run supports, found once per folder."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], list[str]] = {}

    def _years(self, kind: str, data_dir: str | None) -> list[str]:
        from benchmark.data.store import load_tables, resolve_data_dir
        from benchmark.data.years import budget_years, metric_years

        key = (kind, str(resolve_data_dir(data_dir).resolve()))
        if key not in self._found:
            self._found[key] = (metric_years if kind == "metric" else budget_years)(load_tables(data_dir))
        return self._found[key]

    def metric(self, data_dir: str | None) -> list[str]:
        return self._years("metric", data_dir)

    def check(self, values: dict, source: str) -> None:
        """``year`` and ``budget_year`` of a checked parameter set: one line naming the years available."""
        from benchmark.data.years import check_year

        if values["year"] is not None:
            check_year(values["year"], self.metric(values["data_dir"]), f"{source}: parameter 'year'")
        if values["budget_year"] is not None:
            check_year(values["budget_year"], self._years("budget", values["data_dir"]), f"{source}: parameter 'budget_year'")


def _explicit_keys(path: Path) -> set:
    import yaml

    return set(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})


def check_writable(out_dir: Path) -> None:
    """The output folder can be made and written, checked without creating it or writing into it,
    so that a run refused later by another check leaves no trace there."""
    existing = Path(out_dir)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"{out_dir}: output folder is not writable ({existing} is a file, not a folder)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"{out_dir}: output folder is not writable (permission denied on {existing})")


def ensure_kernel(name: str = KERNEL_NAME) -> dict:
    """The named kernel, registered into this environment if missing or pointing at another Python; its spec."""
    env_jupyter = str(Path(sys.prefix) / "share" / "jupyter")
    paths = os.environ.get("JUPYTER_PATH", "")
    if env_jupyter not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [env_jupyter, paths]))
    spec = _registered_here(name, env_jupyter)
    if spec is not None:
        return spec
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    def current():
        try:
            return KernelSpecManager().get_kernel_spec(name)
        except NoSuchKernel:
            return None

    spec = current()
    if spec is None or not _same_python(spec.argv[0]):
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix, kernel_name=name, display_name=f"Python ({name})")  # as report.ipynb records it
        spec = current()
    if spec is None or not _same_python(spec.argv[0]):
        raise UserError(f"kernel '{name}' does not run this Python ({sys.executable}); found {spec and spec.argv[0]}")
    return {"name": name, "argv": spec.argv, "resource_dir": spec.resource_dir}


def _registered_here(name: str, env_jupyter: str) -> dict | None:
    """The kernel's spec read from this environment's ``kernel.json`` when that is the one Jupyter
    finds (this environment heads JUPYTER_PATH) and it runs this Python; else None, for
    jupyter_client to find it.  Read directly, the worker processes start a third of a second
    sooner: importing jupyter_client here would delay them, and they import it themselves."""
    if os.environ["JUPYTER_PATH"].split(os.pathsep)[0] != env_jupyter:
        return None
    folder = Path(env_jupyter) / "kernels" / name
    try:
        argv = json.loads((folder / "kernel.json").read_text(encoding="utf-8"))["argv"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(argv, list) or not argv or not _same_python(str(argv[0])):
        return None
    return {"name": name, "argv": argv, "resource_dir": str(folder)}


def _same_python(executable: str) -> bool:
    try:
        return os.path.samefile(executable, sys.executable)
    except OSError:
        return False


# ----------------------------------------------------------------------------------------------
# one council, in its own process
# ----------------------------------------------------------------------------------------------

def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _failure_message(error: BaseException) -> str:
    ename, evalue = getattr(error, "ename", None), getattr(error, "evalue", None)
    if ename:
        cell = getattr(error, "exec_count", None)
        where = f" in cell {cell}" if cell else ""
        return f"{ename}: {evalue}{where}".splitlines()[0]
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip().rstrip(":")


def run_council(job: CouncilJob) -> CouncilResult:
    """Execute, convert and tabulate one council's report; never raises (a failure is the result)."""
    started, clock = _now(), time.perf_counter()
    out_dir = Path(job.out_dir)
    final = out_dir / job.code
    partial = out_dir / f".{job.code}.partial-{os.getpid()}"
    error_log = out_dir / f"{job.code}.error.log"
    result = CouncilResult(job.code, job.name, "failed", started, "", 0.0, job.parameters, job.parameter_source,
                           inputs_sha256=job.inputs_sha256, data_differs_from_shipped=job.data_differs_from_shipped)
    stderr_path = out_dir / f".{job.code}.stderr-{os.getpid()}"
    saved_stderr = _capture_stderr(stderr_path)  # the worker's (and a new kernel's) warnings go with this council
    from benchmark.report import kernel as warm

    kernel_log_offset = warm.stderr_offset() if job.warm_kernel else 0
    try:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        # The kernel writes the report's tables (metrics.csv, budget.csv, tables.xlsx, headlines.json)
        # into this folder as it presents them (parameter export_dir), so they are computed once.
        phase = time.perf_counter()
        parameters = {**job.parameters, "export_dir": str(partial.resolve())} if job.with_tables else job.parameters
        notebook = _execute(job, partial, parameters)
        result.timings_s["execute"] = round(time.perf_counter() - phase, 2)
        headlines = _read_headlines(partial) if job.with_tables else {}
        title = f"Adult social care use of resources: {job.name}"
        from benchmark.report.html import notebook_html

        phase = time.perf_counter()
        write_text_atomic(partial / "report.html", notebook_html(notebook, title, footer=f"{job.name} ({job.code}); generated {started}"))
        result.timings_s["html"] = round(time.perf_counter() - phase, 2)
        _write_extras(job, partial, started, result.timings_s)
        result.headlines = headlines
        result.files = {p.name: sha256_of(p) for p in sorted(partial.iterdir()) if p.is_file()}
        replace_folder(partial, final)
        error_log.unlink(missing_ok=True)
        result.status = "succeeded"
    except BaseException as error:  # recorded, the run goes on (KeyboardInterrupt too: the parent decides)
        result.error = _failure_message(error)
        text = f"{job.name} ({job.code}) failed at {_now()}\n{result.error}\n\n{traceback.format_exc()}"
        captured = _read_captured(stderr_path)
        if job.warm_kernel:
            warm.mark_failed()  # the next council gets a new kernel, whatever state this one is in
            kernel_log = warm.stderr_log()
            captured = "\n".join(filter(None, [captured, kernel_log and _read_captured(kernel_log, offset=kernel_log_offset)]))
        if captured:
            text += f"\nstandard error of the worker and kernel:\n{captured}"
        try:
            write_text_atomic(error_log, text)
            result.error_log = error_log.name
        except OSError:
            pass
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)  # a stale folder from an earlier run would contradict this run's index
        if not isinstance(error, Exception):
            raise
    finally:
        _restore_stderr(saved_stderr)
        stderr_path.unlink(missing_ok=True)
        result.finished = _now()
        result.duration_s = round(time.perf_counter() - clock, 2)
    return result


def _write_extras(job: CouncilJob, folder: Path, started: str, timings: dict) -> None:
    """The peer team's pack beside report.html (built in this process from the run's shared results,
    so the notebook is unchanged) and the PDFs asked for."""
    pages = ["report.html"]
    if job.pack:
        from benchmark.report.pack import PACK_FILE, write_pack

        phase = time.perf_counter()
        write_pack(job.parameters, folder, generated=started)
        timings["pack"] = round(time.perf_counter() - phase, 2)
        pages.append(PACK_FILE)
    if job.pdf_browser:
        from benchmark.report.pdf import pdf_name, print_pdf

        phase = time.perf_counter()
        for page in pages:
            print_pdf(folder / page, folder / pdf_name(page), job.pdf_browser)
        timings["pdf"] = round(time.perf_counter() - phase, 2)


def _capture_stderr(path: Path) -> int | None:
    """Point file descriptor 2 (inherited by the kernel) at ``path``; the saved descriptor."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        with open(path, "wb") as handle:
            os.dup2(handle.fileno(), 2)
        return saved
    except OSError:
        return None


def _restore_stderr(saved: int | None) -> None:
    if saved is not None:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _read_captured(path: Path, limit: int = 20_000, offset: int = 0) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line for line in text.splitlines() if "Kernel is running over TCP without encryption" not in line]
    return "\n".join(lines)[-limit:]


def _execute(job: CouncilJob, folder: Path, parameters: dict):
    import nbformat
    import papermill

    from benchmark.report import kernel as warm
    from benchmark.report.rerun import make_rerunnable

    executed = []

    def execute(temporary: Path) -> None:
        notebook = papermill.execute_notebook(  # output_path None: written once, below, as the user will open it
            job.notebook, None, parameters=parameters, kernel_name=job.kernel_name, language="python",
            cwd=job.cwd, execution_timeout=job.cell_timeout_s, start_timeout=START_TIMEOUT_S,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False, report_mode=True,
            engine_name=warm.ENGINE_NAME if job.warm_kernel else None,
        )
        # One documented cell of assumptions that counts when the notebook is run again, without this run's folders.
        make_rerunnable(notebook, job.kernel_name)
        nbformat.write(notebook, str(temporary))
        executed.append(notebook)

    write_atomic(folder / "report.ipynb", execute)
    return executed[0]  # the notebook as written (reading the file back would validate it again)


def _read_headlines(folder: Path) -> dict:
    """The headline figures the kernel exported; every exported table must be there."""
    import json

    from benchmark.report.files import EXPORT_FILES

    missing = [name for name in EXPORT_FILES if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"the notebook did not export {', '.join(missing)} (its last cell calls content.export_report)")
    return json.loads((folder / "headlines.json").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------------
# the output folder: one run at a time, what earlier runs wrote, what an interrupted run left
# ----------------------------------------------------------------------------------------------

LOCK_NAME = ".report.lock"
MANIFEST_NAME = "run_manifest.json"
INDEX_NAME = "index.html"
COUNCIL_FOLDER = re.compile(r"[EWSN]\d{8}")
STOP_TIMEOUT_S = 3.0  # how long a worker told to stop may take before it is killed


class OutputLock:
    """Only one run writes into an output folder at a time: an exclusive ``flock`` on
    ``<out>/.report.lock``, waited for with a message naming the run that holds it.

    The operating system releases a ``flock`` when its process ends, however it ends, so a lock
    file left by a dead process is simply taken over.  The holder removes the file when it is done;
    a run that was waiting then finds its descriptor no longer names the file at that path and
    locks the new one, so two runs never both believe they hold the folder.
    """

    def __init__(self, out_dir: Path, notify=None):
        self.path = Path(out_dir) / LOCK_NAME
        self.notify = notify or (lambda message: print(f"note: {message}", file=sys.stderr, flush=True))
        self.fd: int | None = None

    def __enter__(self) -> OutputLock:
        import fcntl

        announced = False
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if not announced:
                        holder = os.pread(fd, 500, 0).decode("utf-8", errors="replace").strip() or "another process"
                        self.notify(f"another report run ({holder}) is writing to {self.path.parent}; waiting for it to finish")
                        announced = True
                    fcntl.flock(fd, fcntl.LOCK_EX)
                if self._names_the_file(fd):
                    break
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # the holder removed the file as it finished: lock the current one
        os.ftruncate(fd, 0)
        os.write(fd, f"process {os.getpid()}, started {_now()}".encode())
        self.fd = fd
        return self

    def _names_the_file(self, fd: int) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            self.path.unlink(missing_ok=True)  # while still locked, so no other run can have locked this file
            os.close(self.fd)
            self.fd = None


def remove_leftovers(out_dir: Path) -> None:
    """Remove what an interrupted or killed run leaves in ``out_dir`` (half-built council folders,
    captured standard error, temporary files, staged shared results, older versions' kernel logs),
    and put back a council folder that was moved aside to be replaced.  Only called while holding
    the folder's lock, so nothing found belongs to a run still going."""
    from benchmark.files import is_temporary

    for path in out_dir.iterdir():
        name = path.name
        moved_aside = re.fullmatch(r"\.(.+)\.old-\d+", name)
        if moved_aside and not (out_dir / moved_aside.group(1)).exists():
            os.replace(path, out_dir / moved_aside.group(1))
        elif (moved_aside or ".partial-" in name or ".stderr-" in name or is_temporary(name) or name.startswith(".shared-")
              or (name.startswith(".kernel-") and name.endswith(".stderr"))):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def read_manifest_entries(out_dir: Path) -> dict[str, CouncilResult]:
    """Council -> its entry in ``<out>/run_manifest.json`` as an earlier run left it (none if unreadable)."""
    try:
        document = json.loads((Path(out_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
        entries = document["councils"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    known = {f.name for f in fields(CouncilResult)}
    out = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("code"), str):
            values = {"name": entry["code"], "status": "failed", "started": "", "finished": "", "duration_s": 0.0,
                      "parameters": {}, "parameter_source": "", **{k: v for k, v in entry.items() if k in known}}
            out[entry["code"]] = CouncilResult(**values)
    return out


def _entry_from_folder(folder: Path, name: str) -> CouncilResult:
    """A council folder without a manifest entry (written by a run that was killed, or an older
    version): complete, since folders are renamed into place whole; its time is the folder's."""
    written = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC).isoformat(timespec="seconds")
    try:
        headlines = json.loads((folder / "headlines.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        headlines = {}
    files = {p.name: sha256_of(p) for p in sorted(folder.iterdir()) if p.is_file()}
    return CouncilResult(folder.name, name, "succeeded", written, written, 0.0, {}, "unknown (no entry in run_manifest.json)",
                         headlines=headlines, files=files)


def folder_entries(out_dir: Path, earlier: dict[str, CouncilResult], this_run: dict[str, CouncilResult], name_of) -> list[CouncilResult]:
    """Every council the output folder now holds, by name: this run's results, then earlier runs'
    entries whose folder (or failure log) is still there, then any other council folder."""
    entries = {}
    for code, entry in earlier.items():
        failure_kept = entry.status != "succeeded" and entry.error_log and (out_dir / entry.error_log).is_file()
        if (out_dir / code).is_dir() or failure_kept:
            entries[code] = entry
    entries.update(this_run)
    for folder in out_dir.iterdir():
        if folder.is_dir() and COUNCIL_FOLDER.fullmatch(folder.name) and folder.name not in entries:
            entries[folder.name] = _entry_from_folder(folder, name_of(folder.name))
    return sorted(entries.values(), key=lambda r: (r.name, r.code))


def inputs_digest(parameters: dict, shared_digest: str, notebook_sha256: str, with_tables: bool, extras: dict | None = None) -> str:
    """What a council's report depends on: its parameters, the notebook, and the digest of the
    shared results (:func:`benchmark.report.shared.base_digest`: the toolkit's code, the raw data,
    the local files and their settings), and the extra files asked for (``extras``: the pack, PDFs).  A
    council already written with the same digest is skipped."""
    import hashlib

    relevant = {key: value for key, value in parameters.items() if key not in ("shared_dir", "export_dir")}  # where, not what
    # extras only when asked for, so a run without them keeps the digests of earlier runs
    text = json.dumps([relevant, shared_digest, notebook_sha256, with_tables] + ([extras] if extras else []), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_local_files(parameter_sets, tables_by_dir: dict, shared_digests: dict) -> None:
    """Every local folder of the run read and checked as the shared step reads it; one line at the
    first problem.  A folder whose results are in the report cache is not read again: the cache is
    named by a digest of the folder's files (sizes and times), so they passed these checks."""
    from benchmark.errors import DataError
    from benchmark.local.panel import local_metric_panel
    from benchmark.report.shared import cache_path, data_key, local_params_for

    checked = set()
    for values, _, _ in parameter_sets:
        key = data_key(values)
        if key in checked:
            continue
        checked.add(key)
        if cache_path(key, shared_digests[key]).is_file():
            continue
        try:
            local_metric_panel(tables_by_dir[values["data_dir"]], Path(key[1]), local_params_for(key))
        except DataError as error:
            more = len(error.problems) - 1
            raise UserError(str(error.problems[0]) + (f" (and {more} more problem(s): `python -m benchmark validate --council CODE "
                                                      f"--local {key[1]}` lists them all)" if more else "")) from None


# ----------------------------------------------------------------------------------------------
# the run
# ----------------------------------------------------------------------------------------------

@dataclass
class RunSummary:
    out_dir: Path
    results: list[CouncilResult]  # this run's councils in run order; a skipped council's is its earlier entry
    manifest: Path
    index: Path
    skipped: list[str] = field(default_factory=list)  # councils left as an earlier run wrote them (same inputs)

    @property
    def failed(self) -> list[CouncilResult]:
        return [r for r in self.results if r.status != "succeeded"]


class RunInterrupted(Exception):
    """The run was interrupted (SIGINT, Ctrl-C): workers and kernels stopped, the index written for what finished."""

    def __init__(self, written: int, total: int):
        super().__init__(f"interrupted: {written} of {total} councils written; run again to finish")
        self.written, self.total = written, total


def run_reports(parameter_sets: list[tuple[dict, str, str | None]], out_dir: Path, *, jobs: int | None = None,
                notebook: Path = DEFAULT_NOTEBOOK, shared: bool = True, with_tables: bool = True,
                cell_timeout_s: int = CELL_TIMEOUT_S, kernel_name: str = KERNEL_NAME, progress: bool | None = None,
                fresh_kernels: bool = False, force: bool = False, pack: str | None = None, pdf: bool = False,
                workers: Workers | None = None) -> RunSummary:
    """Run every council (already checked by :func:`plan`); a failure is recorded and the rest go on.

    The worker processes, each with its kernel (:mod:`benchmark.report.kernel`; ``fresh_kernels``:
    a new kernel per council), start first, while this process checks the local files; a failed
    check stops them and writes nothing.  Then the output folder is locked (:class:`OutputLock`),
    councils already written with the same inputs are skipped (unless ``force``), the shared
    results are computed and the councils run.  The manifest and index cover every council in the
    folder, this run's and earlier runs'.  An interrupt (SIGINT) stops the workers and their kernels,
    writes the index for what finished and raises :class:`RunInterrupted`.

    ``workers``: started by the caller before its own checks (:class:`Workers`; closed by the caller),
    else started here.  ``pack`` ("peer") also writes the pre-reading pack beside each report; ``pdf`` prints the report
    (and the pack) to PDF with headless Chromium where it is installed, and says once where it is not.
    """
    from benchmark.data.store import load_tables

    started, clock = _now(), time.perf_counter()
    out_dir = Path(out_dir).resolve()
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise UserError(f"{notebook}: report notebook not found")
    check_writable(out_dir)
    pdf_browser = _pdf_browser(pdf)
    extras = {key: value for key, value in (("pack", pack), ("pdf", bool(pdf_browser))) if value}
    data_dirs = {values["data_dir"] for values, _, _ in parameter_sets}
    tables_by_dir = {d: load_tables(d) for d in data_dirs}
    registry = next(iter(tables_by_dir.values())).registry
    names = {values["council"]: tables_by_dir[values["data_dir"]].registry.council(values["council"]).name
             for values, _, _ in parameter_sets}
    own_workers = workers is None
    if own_workers:
        workers = Workers(pool_size(jobs, len(parameter_sets)), kernel_name, fresh_kernels)
    pool, kernel = workers.pool, workers.kernel
    log.info("running %d council report(s) with %d process(es), kernel %s", len(parameter_sets), workers.size, kernel_name)
    interrupt_handler = signal.getsignal(signal.SIGINT)
    results: dict[str, CouncilResult] = {}
    skipped: list[str] = []
    run_jobs: list[CouncilJob] = []
    interrupted = False
    try:
        shared_digests = _shared_digests(parameter_sets, tables_by_dir)
        check_local_files(parameter_sets, tables_by_dir, shared_digests)
        notebook_sha256 = sha256_of(notebook)
        run_jobs = _council_jobs(parameter_sets, tables_by_dir, names, shared_digests, notebook, notebook_sha256, out_dir,
                                 kernel_name=kernel_name, cell_timeout_s=cell_timeout_s, with_tables=with_tables,
                                 fresh_kernels=fresh_kernels, extras=extras, pack=pack, pdf_browser=pdf_browser)
        out_dir.mkdir(parents=True, exist_ok=True)
        with OutputLock(out_dir):
            earlier = read_manifest_entries(out_dir)
            shared_dir = None
            try:
                remove_leftovers(out_dir)
                to_run = [job for job in run_jobs if not _written_with_same_inputs(job, earlier.get(job.code), out_dir, force)]
                skipped = [job.code for job in run_jobs if job not in to_run]
                shared_dir = _shared_results(to_run, shared, tables_by_dir, out_dir)
                for job in to_run:
                    job.parameters["shared_dir"] = shared_dir
                _run_jobs(pool, to_run, results, out_dir, progress)
            except KeyboardInterrupt:
                _shield_clean_up()
                interrupted = True
                _stop_workers(pool)
            finally:
                remove_leftovers(out_dir)
            ordered = [results.get(job.code) or earlier[job.code] for job in run_jobs if job.code in results or job.code in skipped]
            entries = folder_entries(out_dir, earlier, results, lambda code: _council_name(registry, code))
            write_outputs(out_dir, entries, {
                "started": started, "finished": _now(), "duration_s": round(time.perf_counter() - clock, 2),
                "kernel": {**kernel, "reuse": "a new kernel per council" if fresh_kernels else
                           f"one kernel per worker process, reset between councils, replaced after a failure or {RECYCLE_AFTER} councils"},
                "notebook": {"path": str(notebook), "sha256": notebook_sha256}, "jobs": workers.size,
                "cell_timeout_s": cell_timeout_s, "shared_dir": shared_dir, "pack": pack,
                "pdf": pdf_browser if pdf_browser else ("not made: Chromium is not installed" if pdf else None),
                "inputs": {str(d or "shipped"): tables.provenance for d, tables in tables_by_dir.items()},
                "parameter_files": {source: digest for _, source, digest in parameter_sets if digest},
                "this_run": {"councils": [job.code for job in run_jobs], "run": sorted(results), "skipped": skipped,
                             "interrupted": interrupted},
            })
    except KeyboardInterrupt:  # before the folder was locked: nothing has been written
        _shield_clean_up()
        interrupted = True
        _stop_workers(pool)
    except BaseException:
        _stop_workers(pool)  # a check failed (or worse): the kernels go now, not after they finish starting
        raise
    finally:
        if own_workers:
            workers.close()
        _restore_interrupts(interrupt_handler)
    if interrupted:
        raise RunInterrupted(sum(r.status == "succeeded" for r in results.values()) + len(skipped), len(parameter_sets))
    return RunSummary(out_dir, ordered, out_dir / MANIFEST_NAME, out_dir / INDEX_NAME, skipped)


def pool_size(jobs: int | None, councils: int | None) -> int:
    """Worker processes for a run: ``jobs`` (default: one per CPU), never more than the councils
    (None: not yet known, as for --all before the registry is read)."""
    size = jobs or os.cpu_count() or 1
    return max(1, min(size, councils) if councils is not None else size)


def cpu_spare(workers: int) -> bool:
    """Whether ``workers`` processes leave a CPU idle (each worker's kernel then draws its charts in a
    process of their own on it: benchmark.report.chart_process)."""
    return workers < (os.cpu_count() or 1)


class Workers:
    """The run's worker processes (spawned, never forked), each launching its kernel as it starts
    (:func:`_start_worker`), so that the kernels start while the main process checks the councils,
    parameter files and local files and prepares the shared results.

    Whoever starts them closes them (:meth:`close`, or ``with``); a check that fails, an interrupt
    or SIGTERM (handled as Ctrl-C while they run) stops them and their kernels at once
    (:meth:`stop`).  Kernel logs are kept outside the output folder, so that a failed check writes
    nothing there.
    """

    def __init__(self, size: int, kernel_name: str = KERNEL_NAME, fresh_kernels: bool = False):
        self.size = size
        self.cpu_spare = cpu_spare(size)
        self.kernel = ensure_kernel(kernel_name)
        self.kernel_logs = Path(tempfile.mkdtemp(prefix="asc-benchmark-kernels-"))
        self.pool = futures.ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                                                initargs=(kernel_name, str(ROOT), str(self.kernel_logs), not fresh_kernels, self.cpu_spare))
        self._terminate_handler = _stop_like_an_interrupt()
        _start_workers(self.pool, size)

    def stop(self) -> None:
        _stop_workers(self.pool)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.kernel_logs, ignore_errors=True)
        _restore_terminate(self._terminate_handler)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            self.stop()  # the kernels go now, not after they finish starting
        self.close()


def _shared_digests(parameter_sets, tables_by_dir: dict) -> dict:
    """The digest of the shared results (:func:`benchmark.report.shared.base_digest`) for each data
    and local folder of the run, computed once per folder."""
    from benchmark.report.shared import base_digest, data_key

    shared_digests = {}
    for values, _, _ in parameter_sets:
        key = data_key(values)
        if key not in shared_digests:
            shared_digests[key] = base_digest(tables_by_dir[values["data_dir"]], key)
    return shared_digests


def _council_jobs(parameter_sets, tables_by_dir: dict, names: dict, shared_digests: dict, notebook: Path, notebook_sha256: str,
                  out_dir: Path, *, kernel_name: str, cell_timeout_s: int, with_tables: bool, fresh_kernels: bool, extras: dict,
                  pack: str | None, pdf_browser: str | None) -> list[CouncilJob]:
    """One job per council, in run order, each with the digest of its inputs (:func:`inputs_digest`)."""
    from benchmark.report.shared import data_key

    jobs = []
    for values, source, digest in parameter_sets:
        differences = tables_by_dir[values["data_dir"]].provenance["differs_from_shipped"]
        jobs.append(CouncilJob(values["council"], names[values["council"]], dict(values), source, digest, str(notebook),
                               str(out_dir), kernel_name, cell_timeout_s, str(ROOT), with_tables, warm_kernel=not fresh_kernels,
                               inputs_sha256=inputs_digest(values, shared_digests[data_key(values)], notebook_sha256, with_tables, extras),
                               data_differs_from_shipped=dict(sorted(differences.items())), pack=pack, pdf_browser=pdf_browser))
    return jobs


def _written_with_same_inputs(job: CouncilJob, before: CouncilResult | None, out_dir: Path, force: bool) -> bool:
    """Whether an earlier run wrote this council with the same inputs and its files are all still
    there, so that it is skipped (never with ``force``)."""
    return (not force and before is not None and before.status == "succeeded" and before.inputs_sha256 == job.inputs_sha256
            and all((out_dir / job.code / name).is_file() for name in before.files or ["report.html"]))


def _shared_results(to_run: list[CouncilJob], shared: bool, tables_by_dir: dict, out_dir: Path) -> str | None:
    """The folder of the results every council of the run shares, computed (or read from the report
    cache) once; None when no council is to run or ``shared`` is off."""
    if not (to_run and shared):
        return None
    from benchmark.data.store import resolve_data_dir
    from benchmark.report.shared import prepare_shared

    loaded = {resolve_data_dir(d): tables for d, tables in tables_by_dir.items()}
    return str(Path(prepare_shared([job.parameters for job in to_run], out_dir / ".shared", loaded)).resolve())


def _pdf_browser(pdf: bool) -> str | None:
    """Chromium for ``--pdf``, or None (saying once, on standard error, that no PDF will be made)."""
    if not pdf:
        return None
    from benchmark.report.pdf import find_chromium, missing_note

    browser = find_chromium()
    if browser is None:
        print(missing_note(), file=sys.stderr, flush=True)
    return browser


def write_outputs(out_dir: Path, entries: list[CouncilResult], run: dict) -> None:
    """The manifest and the index of every council in the folder (each file atomically)."""
    from benchmark.report.index import write_index, write_manifest

    write_manifest(out_dir / MANIFEST_NAME, run, [asdict(r) for r in entries])
    write_index(out_dir / INDEX_NAME, entries, title="Adult social care use-of-resources reports", started=run["started"])


def _council_name(registry, code: str) -> str:
    try:
        return registry.council(code).name
    except (UserError, KeyError):
        return code


def _run_jobs(pool, jobs: list[CouncilJob], results: dict[str, CouncilResult], out_dir: Path, progress: bool | None) -> None:
    """Run ``jobs`` in the pool, recording each council's result in ``results`` as it finishes."""
    if not jobs:
        return
    from tqdm import tqdm

    pending = {pool.submit(run_council, job): job for job in jobs}
    bar = tqdm(total=len(pending), unit="council", desc="reports", disable=None if progress is None else not progress, file=sys.stderr)
    try:
        for future in futures.as_completed(pending):
            job = pending[future]
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - the worker process itself died (e.g. killed): record, go on
                now = _now()
                result = CouncilResult(job.code, job.name, "failed", now, now, 0.0, job.parameters, job.parameter_source,
                                       error=_failure_message(error), inputs_sha256=job.inputs_sha256,
                                       data_differs_from_shipped=job.data_differs_from_shipped)
                write_text_atomic(out_dir / f"{job.code}.error.log", f"{job.name} ({job.code}) failed\n{result.error}\n\n{traceback.format_exc()}")
                result.error_log = f"{job.code}.error.log"
            results[job.code] = result
            bar.set_postfix_str(f"{job.code} {result.status}")
            bar.update()
    finally:
        bar.close()


# ----------------------------------------------------------------------------------------------
# worker processes: started with interrupts ignored, stopped by the main process
# ----------------------------------------------------------------------------------------------

def _ignore_interrupts():
    """SIGINT ignored (only the main thread may set handlers; elsewhere, e.g. a test's thread, nothing changes)."""
    if threading.current_thread() is threading.main_thread():
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    return None


def _stop_like_an_interrupt():
    """SIGTERM (``kill``, a scheduler's time limit) handled as Ctrl-C is: workers, kernels and
    temporary files go.  The previous handler, or None outside the main thread."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        return signal.signal(signal.SIGTERM, interrupt)
    return None


def _shield_clean_up() -> None:
    """After an interrupt, a second Ctrl-C (or SIGTERM) must not cut the clean-up short; the run's
    handlers are restored as it returns."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _restore_interrupts(handler) -> None:
    if handler is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)


def _restore_terminate(handler) -> None:
    """Put back the SIGTERM handler :func:`_stop_like_an_interrupt` replaced (None: it replaced none)."""
    if handler is not None:
        signal.signal(signal.SIGTERM, handler)


def _start_workers(pool, workers: int) -> None:
    """Start every worker process now (the pool starts one per task while none is idle).

    They are spawned with SIGINT ignored, which a new Python keeps: Ctrl-C reaches every process of
    the terminal's process group, and only this process decides what an interrupt stops (the
    kernels are in sessions of their own and never see it).
    """
    handler = _ignore_interrupts()
    try:
        for _ in range(workers):
            pool.submit(os.getpid)
    finally:
        _restore_interrupts(handler)


def _stop_workers(pool) -> None:
    """End the pool's workers and their kernels now: SIGTERM, which each worker answers by killing
    its kernels and exiting (:func:`_stop_worker`); whatever is left after :data:`STOP_TIMEOUT_S`
    is killed, kernels included."""
    import psutil  # a dependency of ipykernel

    processes = list((getattr(pool, "_processes", None) or {}).values())  # the executor has no public way to stop running tasks
    descendants = []
    for process in processes:
        with contextlib.suppress(psutil.Error, TypeError):
            descendants += psutil.Process(process.pid).children(recursive=True)
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1)
    alive = _wait_ended(descendants, timeout=max(0.5, deadline - time.monotonic()))
    for leftover in alive:
        with contextlib.suppress(psutil.Error):
            leftover.kill()


def _wait_ended(processes: list, timeout: float) -> list:
    """Wait up to ``timeout`` seconds for ``processes`` (psutil) to end; those still running.

    A killed process counts as ended once it is a zombie.  ``psutil.wait_procs`` would wait for a
    zombie that is not this process's child (a kernel's drawing process, say) until something else
    reaps it, which can take the whole timeout.
    """
    import psutil

    def running(process) -> bool:
        try:
            return process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + timeout
    left = [p for p in processes if running(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.02)
        left = [p for p in left if running(p)]
    return left


def _stop_worker(signum, frame) -> None:
    """SIGTERM in a worker: kill its kernels (and anything else it started), remove their
    connection files and exit at once, writing nothing (the main process cleans the output folder)."""
    import psutil

    from benchmark.report import kernel as warm

    try:
        children = psutil.Process().children(recursive=True)
        for child in children:
            child.kill()
        _wait_ended(children, timeout=2)
    except psutil.Error:
        pass
    warm.abandon()
    os._exit(128 + signum)


def _start_worker(kernel_name: str, cwd: str, log_dir: str, warm_kernel: bool, charts_aside: bool = False) -> None:
    """Pool initializer: start this worker's kernel, and meanwhile import what running a notebook needs.
    With a CPU spare (fewer workers than CPUs), the kernel draws its charts in a process of their
    own, on that CPU, while it builds the rest of each report (:mod:`benchmark.report.chart_process`).

    A kernel that fails to start here is started again for the first council, whose failure it
    then becomes (recorded, the run goes on), rather than breaking the whole pool.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # already ignored when spawned; see _start_workers
    signal.signal(signal.SIGTERM, _stop_worker)
    atexit.register(_leave_quickly)
    if not warm_kernel:
        _preload()
        return
    from benchmark.report import kernel as warm

    try:
        warm.start(kernel_name, cwd, Path(log_dir) / f".kernel-{os.getpid()}.stderr", meanwhile=_preload, charts_aside=charts_aside)
    except Exception as error:  # noqa: BLE001 - see the docstring
        log.warning("kernel did not start in worker %d: %s", os.getpid(), error)


def _leave_quickly() -> None:
    """A worker's exit, once the pool has let it go: its kernel shut down, its output flushed, then
    out without tearing down its modules (papermill, pandas, matplotlib), which costs the run a few
    tenths of a second at the end and frees nothing the system would not."""
    from benchmark.report import kernel as warm

    warm.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):
            stream.flush()
    os._exit(0)


def _preload() -> None:
    import papermill  # noqa: F401 - imported now, while the kernel process starts, rather than for the first council

    from benchmark.report.html import markdown_html

    markdown_html("")


def summary_line(summary: RunSummary) -> str:
    failed = summary.failed
    if not failed:
        written = len(summary.results) - len(summary.skipped)
        unchanged = (f", {len(summary.skipped)} unchanged since an earlier run and not run again (--force runs them)"
                     if summary.skipped else "")
        return f"{written} report(s) written to {summary.out_dir}{unchanged}; index: {summary.index}"
    names = ", ".join(f"{r.name} ({r.code})" for r in failed)
    return f"{len(failed)} of {len(summary.results)} report(s) failed: {names}; see {summary.manifest}"
