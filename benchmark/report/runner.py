"""Run the report notebook for one council, several, or all of England.

Everything a user can get wrong is checked **before any kernel starts**: every council resolves,
every parameter file is strict (unknown keys, wrong types, disallowed values, budget scenarios,
comparator lists, years), the local and data folders named exist, the notebook exists and the output
folder is writable.  Then the worker processes start (``ProcessPoolExecutor``, spawn context:
never threads), each launching its kernel (:mod:`benchmark.report.kernel`) while the main process
computes the results every council shares (``benchmark.report.shared.prepare_shared``, read from
the report cache when its inputs are unchanged).  Each council's notebook then runs through
papermill, with an explicit kernel, working directory and per-cell timeout, in its worker's kernel:
reset before each council and replaced after any failure, so a crash, a hang or a leak stays with
one council (``--fresh-kernels``: a new kernel per council).

Per council, ``<out>/<ONS code>/`` holds ``report.ipynb`` (executed), ``report.html`` (no code,
self-contained), ``metrics.csv``, ``budget.csv`` and ``tables.xlsx``.  The folder is built as
``<out>/.<code>.partial-<pid>/`` and renamed into place, so it appears complete or not at all; each
file in it is written as ``name.tmp-<pid>`` and moved.  A council that fails leaves
``<out>/<code>.error.log`` (message and traceback) and the others go on.  ``<out>/index.html`` links
every council's report with its status and headline figures; ``<out>/run_manifest.json`` records
versions, kernel, input checksums, parameters, timings and failures.

**Kernel**: ``asc-benchmark``, registered into this environment (``sys.prefix``) when missing or
pointing at another interpreter.  Not ``python3``: that name is shared by every Python on the
machine, and a ``python3`` spec in the user's own Jupyter folder (which Jupyter searches first)
would silently run the reports in a Python without this toolkit or with other versions.  The named
spec's ``argv[0]`` is this interpreter, checked before the run, and the environment's Jupyter folder
is put first on ``JUPYTER_PATH`` for the worker processes.
"""
from __future__ import annotations

import concurrent.futures as futures
import datetime as dt
import logging
import multiprocessing
import os
import shutil
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
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


# ----------------------------------------------------------------------------------------------
# before any kernel starts
# ----------------------------------------------------------------------------------------------

def _resolve_path(value: str) -> Path:
    """A folder named in a parameter file: absolute, or relative to the repository root (the kernels' working directory)."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else ROOT / path


def check_values(values: dict, source: str, registry, data: str | None = None) -> dict:
    """Beyond types: the council, comparator councils, years, budget scenarios and folders (one-line errors naming ``source``)."""
    from benchmark.data.store import resolve_data_dir
    from benchmark.data.tidy import financial_year_start

    values = dict(values)
    try:
        council = registry.find(values["council"], values.get("year"))
    except UserError as error:
        raise UserError(f"{source}: council: {error}") from None
    values["council"] = council.ons_code
    for key in ("year", "budget_year"):
        if values.get(key) is not None:
            try:
                financial_year_start(values[key])
            except ValueError as error:
                raise UserError(f"{source}: parameter '{key}': {error}") from None
    if values["year"] is not None and not council.exists_in(values["year"]):
        raise UserError(f"{source}: {council.name} ({council.ons_code}) did not have adult social care duties in {values['year']}")
    custom = []
    for entry in values["custom_comparators"]:
        if not isinstance(entry, str):
            raise UserError(f"{source}: parameter 'custom_comparators' must list ONS codes or names (text), found {entry!r}")
        try:
            custom.append(registry.find(entry, values.get("year")).ons_code)
        except UserError as error:
            raise UserError(f"{source}: custom_comparators: {error}") from None
    values["custom_comparators"] = custom
    if values["comparator_method"] == "custom" and not custom:
        raise UserError(f"{source}: comparator_method is custom but custom_comparators is empty")
    if values["comparator_k"] < 1:
        raise UserError(f"{source}: parameter 'comparator_k' must be at least 1, found {values['comparator_k']}")
    if values["rag_red_z"] < values["rag_amber_z"]:
        raise UserError(f"{source}: rag_red_z ({values['rag_red_z']}) must not be below rag_amber_z ({values['rag_amber_z']})")
    for key in ("high_cost_threshold_gbp", "review_months"):
        if values[key] <= 0:
            raise UserError(f"{source}: parameter '{key}' must be positive, found {values[key]}")
    for i, scenario in enumerate(values["budget_scenarios"]):
        if not isinstance(scenario, dict) or "name" not in scenario:
            raise UserError(f"{source}: budget_scenarios item {i + 1} must be a mapping with at least a name")
    try:
        budget_params(values)
    except UserError as error:
        raise UserError(f"{source}: {error}") from None
    except TypeError as error:
        raise UserError(f"{source}: budget_scenarios: {error}") from None
    if data is not None:
        values["data_dir"] = str(Path(data).resolve())
    if values["data_dir"] is not None:
        try:
            values["data_dir"] = str(resolve_data_dir(_resolve_path(values["data_dir"])).resolve())
        except UserError as error:
            raise UserError(f"{source}: data_dir: {error}") from None
    if values["local_dir"] is not None:
        local = _resolve_path(values["local_dir"])
        if not local.is_dir():
            raise UserError(f"{source}: local_dir {values['local_dir']}: folder not found")
        values["local_dir"] = str(local.resolve())
    return values


def council_parameter_file(code: str, parameters_dir: Path = PARAMETERS_DIR) -> Path:
    return parameters_dir / f"{code}.yml"


def plan(councils: list[str], *, all_councils: bool = False, params_files: list[str] | None = None, year: str | None = None,
         data: str | None = None, parameters_dir: Path = PARAMETERS_DIR) -> list[tuple[dict, str, str | None]]:
    """Every council's checked parameters, where they came from and the file's sha256, in run order.

    Raises a one-line :class:`UserError` at the first problem; nothing has been started.
    """
    from benchmark.data.store import load_tables

    given = sum(bool(x) for x in (councils, all_councils, params_files))
    if given != 1:
        raise UserError("report: give council(s), --all or --params FILE (exactly one of them)")
    registry = load_tables(data).registry
    sets: list[tuple[dict, str, str | None]] = []
    if params_files:
        for name in params_files:
            path = Path(name)
            values = read_parameter_file(path)
            if "council" not in _explicit_keys(path):
                raise UserError(f"{path}: the parameter file must set 'council'")
            if year is not None:
                values["year"] = year
            checked = check_values(values, str(path), registry, data)
            sets.append((checked, str(path), sha256_of(path)))
    else:
        if all_councils:
            codes = list(registry.table["ons_code"])
        else:
            codes = [registry.find(c, year).ons_code for c in councils]  # unknown: one line naming the closest
        for code in dict.fromkeys(codes):
            path = council_parameter_file(code, parameters_dir)
            if path.is_file():
                values, source, digest = read_parameter_file(path), str(path), sha256_of(path)
                if values["council"] != code and registry.find(values["council"]).ons_code != code:
                    raise UserError(f"{path}: council is {values['council']!r}, but the file is named for {code}")
            else:
                values, source, digest = check_parameters({"council": code}, f"council {code}"), "defaults", None
            if year is not None:
                values["year"] = year
            sets.append((check_values(values, source, registry, data), source, digest))
    codes = [values["council"] for values, _, _ in sets]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise UserError(f"report: council(s) given more than once: {', '.join(duplicates)}")
    return sets


def _explicit_keys(path: Path) -> set:
    import yaml

    return set(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})


def check_writable(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise UserError(f"{out_dir}: output folder is not writable ({error.strerror or error})") from None


def ensure_kernel(name: str = KERNEL_NAME) -> dict:
    """The named kernel, registered into this environment if missing or pointing at another Python; its spec."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    env_jupyter = str(Path(sys.prefix) / "share" / "jupyter")
    paths = os.environ.get("JUPYTER_PATH", "")
    if env_jupyter not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [env_jupyter, paths]))

    def current():
        try:
            return KernelSpecManager().get_kernel_spec(name)
        except NoSuchKernel:
            return None

    spec = current()
    if spec is None or not _same_python(spec.argv[0]):
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix, kernel_name=name, display_name="Python (asc-benchmark)")
        spec = current()
    if spec is None or not _same_python(spec.argv[0]):
        raise UserError(f"kernel '{name}' does not run this Python ({sys.executable}); found {spec and spec.argv[0]}")
    return {"name": name, "argv": spec.argv, "resource_dir": spec.resource_dir}


def _same_python(executable: str) -> bool:
    try:
        return os.path.samefile(executable, sys.executable)
    except OSError:
        return False


# ----------------------------------------------------------------------------------------------
# one council, in its own process
# ----------------------------------------------------------------------------------------------

def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


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
    result = CouncilResult(job.code, job.name, "failed", started, "", 0.0, job.parameters, job.parameter_source)
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
        result.headlines = headlines
        result.files = {p.name: sha256_of(p) for p in sorted(partial.iterdir()) if p.is_file()}
        replace_folder(partial, final)
        error_log.unlink(missing_ok=True)
        result.status = "succeeded"
    except BaseException as error:  # noqa: BLE001 - recorded, the run goes on (KeyboardInterrupt too: the parent decides)
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
    import warnings

    import papermill

    from benchmark.report import kernel as warm

    warnings.filterwarnings("ignore", message=r"The specified file .* does not end in one of")  # report.ipynb.tmp-<pid>

    executed = []

    def execute(temporary: Path) -> None:
        executed.append(papermill.execute_notebook(
            job.notebook, str(temporary), parameters=parameters, kernel_name=job.kernel_name, language="python",
            cwd=job.cwd, execution_timeout=job.cell_timeout_s, start_timeout=START_TIMEOUT_S,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False, report_mode=True,
            engine_name=warm.ENGINE_NAME if job.warm_kernel else None,
        ))

    write_atomic(folder / "report.ipynb", execute)
    return executed[0]  # the notebook as papermill wrote it (reading the file back would validate it again)


def _read_headlines(folder: Path) -> dict:
    """The headline figures the kernel exported; every exported table must be there."""
    import json

    from benchmark.report.files import EXPORT_FILES

    missing = [name for name in EXPORT_FILES if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"the notebook did not export {', '.join(missing)} (its last cell calls content.export_report)")
    return json.loads((folder / "headlines.json").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------------
# the run
# ----------------------------------------------------------------------------------------------

@dataclass
class RunSummary:
    out_dir: Path
    results: list[CouncilResult]
    manifest: Path
    index: Path

    @property
    def failed(self) -> list[CouncilResult]:
        return [r for r in self.results if r.status != "succeeded"]


def run_reports(parameter_sets: list[tuple[dict, str, str | None]], out_dir: Path, *, jobs: int | None = None,
                notebook: Path = DEFAULT_NOTEBOOK, shared: bool = True, with_tables: bool = True,
                cell_timeout_s: int = CELL_TIMEOUT_S, kernel_name: str = KERNEL_NAME, progress: bool | None = None,
                fresh_kernels: bool = False) -> RunSummary:
    """Run every council (already checked by :func:`plan`); a failure is recorded and the rest go on.

    Each worker process keeps one kernel for its councils (:mod:`benchmark.report.kernel`), started
    as the pool starts, so kernel start-up and imports overlap the shared step and are paid once
    per worker; ``fresh_kernels`` starts a new kernel for every council instead.
    """
    from tqdm import tqdm

    from benchmark.data.store import load_tables
    from benchmark.report.index import write_index, write_manifest

    started, clock = _now(), time.perf_counter()
    out_dir = Path(out_dir).resolve()
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise UserError(f"{notebook}: report notebook not found")
    check_writable(out_dir)
    kernel = ensure_kernel(kernel_name)
    data_dirs = {values["data_dir"] for values, _, _ in parameter_sets}
    tables_by_dir = {d: load_tables(d) for d in data_dirs}
    provenance = {str(d or "shipped"): tables.provenance for d, tables in tables_by_dir.items()}
    names = {values["council"]: tables_by_dir[values["data_dir"]].registry.council(values["council"]).name
             for values, _, _ in parameter_sets}

    for leftover in [*out_dir.glob(".*.partial-*"), *out_dir.glob(".kernel-*.stderr")]:
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)  # an interrupted earlier run

    workers = max(1, min(jobs or os.cpu_count() or 1, len(parameter_sets)))
    results: dict[str, CouncilResult] = {}
    context = multiprocessing.get_context("spawn")
    log.info("running %d council report(s) with %d process(es), kernel %s", len(parameter_sets), workers, kernel_name)
    with futures.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                     initargs=(kernel_name, str(ROOT), str(out_dir), not fresh_kernels)) as pool:
        pool.submit(os.getpid)  # start the workers (and their kernels) now, alongside the shared step
        shared_dir = None
        if shared:
            from benchmark.data.store import resolve_data_dir
            from benchmark.report.shared import prepare_shared

            loaded = {resolve_data_dir(d): tables for d, tables in tables_by_dir.items()}
            shared_dir = str(Path(prepare_shared([values for values, _, _ in parameter_sets], out_dir / ".shared", loaded)).resolve())
        run_jobs = []
        for values, source, digest in parameter_sets:
            parameters = {**values, "shared_dir": shared_dir}
            run_jobs.append(CouncilJob(values["council"], names[values["council"]], parameters, source, digest, str(notebook),
                                       str(out_dir), kernel_name, cell_timeout_s, str(ROOT), with_tables, warm_kernel=not fresh_kernels))
        pending = {pool.submit(run_council, job): job for job in run_jobs}
        bar = tqdm(total=len(pending), unit="council", desc="reports", disable=None if progress is None else not progress, file=sys.stderr)
        try:
            for future in futures.as_completed(pending):
                job = pending[future]
                try:
                    result = future.result()
                except Exception as error:  # the worker process itself died (e.g. killed): record, go on
                    now = _now()
                    result = CouncilResult(job.code, job.name, "failed", now, now, 0.0, job.parameters, job.parameter_source,
                                           error=_failure_message(error))
                    write_text_atomic(out_dir / f"{job.code}.error.log", f"{job.name} ({job.code}) failed\n{result.error}\n\n{traceback.format_exc()}")
                    result.error_log = f"{job.code}.error.log"
                results[job.code] = result
                bar.set_postfix_str(f"{job.code} {result.status}")
                bar.update()
        except KeyboardInterrupt:
            for future in pending:
                future.cancel()
            raise
        finally:
            bar.close()
    for log_file in out_dir.glob(".kernel-*.stderr"):
        log_file.unlink(missing_ok=True)
    ordered = [results[job.code] for job in run_jobs]
    finished = _now()
    summary = RunSummary(out_dir, ordered, out_dir / "run_manifest.json", out_dir / "index.html")
    write_manifest(summary.manifest, {
        "started": started, "finished": finished, "duration_s": round(time.perf_counter() - clock, 2),
        "kernel": {**kernel, "reuse": "a new kernel per council" if fresh_kernels else
                   f"one kernel per worker process, reset between councils, replaced after a failure or {RECYCLE_AFTER} councils"},
        "notebook": {"path": str(notebook), "sha256": sha256_of(notebook)}, "jobs": workers,
        "cell_timeout_s": cell_timeout_s, "shared_dir": shared_dir, "inputs": provenance,
        "parameter_files": {source: digest for _, source, digest in parameter_sets if digest},
    }, [asdict(r) for r in ordered])
    write_index(summary.index, ordered, title="Adult social care use-of-resources reports", started=started)
    return summary


def _start_worker(kernel_name: str, cwd: str, out_dir: str, warm_kernel: bool) -> None:
    """Pool initializer: start this worker's kernel, and meanwhile import what running a notebook needs.

    A kernel that fails to start here is started again for the first council, whose failure it
    then becomes (recorded, the run goes on), rather than breaking the whole pool.
    """
    if not warm_kernel:
        _preload()
        return
    from benchmark.report import kernel as warm

    try:
        warm.start(kernel_name, cwd, Path(out_dir) / f".kernel-{os.getpid()}.stderr", meanwhile=_preload)
    except Exception as error:  # noqa: BLE001 - see the docstring
        log.warning("kernel did not start in worker %d: %s", os.getpid(), error)


def _preload() -> None:
    import papermill  # noqa: F401 - imported now, while the kernel process starts, rather than for the first council

    from benchmark.report.html import markdown_html

    markdown_html("")


def summary_line(summary: RunSummary) -> str:
    failed = summary.failed
    if not failed:
        return f"{len(summary.results)} report(s) written to {summary.out_dir}; index: {summary.index}"
    names = ", ".join(f"{r.name} ({r.code})" for r in failed)
    return f"{len(failed)} of {len(summary.results)} report(s) failed: {names}; see {summary.manifest}"

