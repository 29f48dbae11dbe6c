"""One warm notebook kernel per worker process, reused for council after council.

Starting a kernel and importing pandas, matplotlib and the toolkit costs about three seconds, more
than presenting a council's report once its shared results exist.  Paying it once per council
would dominate a run of all England, so each worker process of the runner keeps one kernel:

* :func:`start` launches it when the worker starts (while the main process is still checking the
  run and preparing the shared results) and runs :func:`warm_up` in it: the report's imports.  When
  the run leaves a CPU spare it first starts the kernel's drawing process (:data:`CHART_PROCESS`,
  :mod:`benchmark.report.chart_process`), which then shares each report's charts and makes its
  workbook.
* Councils run through papermill as before, with the engine ``asc-warm-kernel``
  (:class:`WarmKernelEngine`), which hands papermill's notebook client the worker's kernel, and
  its connected client, instead of new ones.  (A new client waits for the kernel to be ready and
  then for 0.2 s of silence on its output channel, twice per council with the reset: about 0.4 s
  a council.)  papermill still injects the parameters, records each cell's timing and status and
  writes the executed notebook.
* Before each council the kernel is reset (:data:`RESET`): the user namespace, the input/output
  history and the execution counter are cleared and every figure is closed, so a notebook sees
  what it would see in a fresh kernel, apart from modules already imported and the shared results
  already loaded (``benchmark.report.shared.load_shared`` keeps the last one it read).
* After any failure the kernel is replaced, so a crashed, hung or half-reset kernel never serves the
  next council; after :data:`RECYCLE_AFTER` councils it is replaced too, so memory does not creep.

A test runs two councils through one kernel and checks the second council's tables equal those of
a fresh kernel (``tests/test_report_kernel.py``).  ``python -m benchmark report --fresh-kernels``
starts a new kernel for every council instead.
"""
from __future__ import annotations

import atexit
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ENGINE_NAME = "asc-warm-kernel"
RECYCLE_AFTER = 40
START_TIMEOUT_S = 120
# Both snippets end by freezing what survives a collection (gc.freeze): the modules and, after the
# first council, the shared results a kept kernel holds.  The cyclic collector then skips those
# objects, both in RESET's own collection and in the automatic ones while a notebook runs (timed
# with gc.callbacks: from about 0.11 s to 0.04 s a council, and the gap before a council's first
# cell from 0.2 s to 0.04 s).  Frozen objects
# are still freed by reference counting; a frozen cycle that later becomes garbage stays until the
# kernel is replaced (at most RECYCLE_AFTER councils).
#: Modules a report imports, directly or as it first runs: the content imports most of its
#: dependencies where it uses them, and libraries load parts of themselves on first use (pandas
#: loads pyarrow's Parquet reader to read the tables, matplotlib its SVG backend to save the first
#: chart; the disclosure audit loads scipy.optimize, about 0.5 s).  Each imported here is one the
#: first council of a kernel does not wait for (tests/test_report_kernel.py checks that a report
#: imports nothing heavy beyond these).
REPORT_MODULES = ("IPython.display", "benchmark.report.content", "benchmark.report.shared", "benchmark.comparators",
                  "benchmark.metrics.stats", "benchmark.metrics.registry", "benchmark.local.panel",
                  "benchmark.budget.base_budget", "benchmark.budget.model", "benchmark.data.store", "benchmark.report.workbook",
                  "benchmark.report.whatif", "ipywidgets", "scipy.optimize", "pyarrow.parquet", "pyarrow.dataset",
                  "pyarrow.pandas_compat", "matplotlib.backends.backend_svg", "pandas.io.formats.csvs")
#: ...and openpyxl, for tables.xlsx, unless the kernel's drawing process makes the workbook.
WORKBOOK_MODULES = ("openpyxl",)


def warm_up(charts_aside: bool) -> str:
    """Run once in a new kernel: the report's imports, so that its first council does not pay for them."""
    modules = REPORT_MODULES if charts_aside else REPORT_MODULES + WORKBOOK_MODULES
    return "".join(f"import {module}\n" for module in modules) + "__import__('gc').collect()\n__import__('gc').freeze()\n"


#: Run first, in a kernel that may draw its charts in a process of their own (a CPU is spare):
#: that process starts while the kernel imports the rest (benchmark.report.chart_process).
CHART_PROCESS = "import benchmark.report.chart_process\nbenchmark.report.chart_process.start()\n"
#: Run, silently, before every notebook in a kernel that has run one before.
RESET = (
    "__import__('matplotlib.pyplot').pyplot.close('all')\n"
    # the what-if panel's widgets: ipywidgets keeps every open widget (and the HTML it shows) until closed
    "'ipywidgets' in __import__('sys').modules and __import__('sys').modules['ipywidgets'].Widget.close_all()\n"
    "get_ipython().reset(new_session=True, aggressive=False)\n"  # namespace, In/Out, counter back to 1
    "__import__('gc').collect()\n"  # no names of its own: they would outlive the reset
    "__import__('gc').freeze()\n"
)


@dataclass
class _Worker:
    """The kernel this process keeps (module state: one per worker process)."""

    kernel_name: str | None = None
    cwd: str | None = None
    stderr_path: Path | None = None
    manager: object | None = None  # jupyter_client AsyncKernelManager
    starting: object | None = None  # the manager of a kernel being started (for abandon())
    client: object | None = None  # its AsyncKernelClient, channels open, ready
    notebooks_run: int = 0
    needs_reset: bool = False
    charts_aside: bool = False  # the kernel draws its charts in a process of their own


_worker = _Worker()


def start(kernel_name: str, cwd: str, stderr_path: Path | None = None, meanwhile: Callable[[], None] | None = None,
          charts_aside: bool = False) -> None:
    """Start this process's kernel in ``cwd`` and import the report's modules in it (``charts_aside``:
    and start its chart-drawing process, for a run that leaves a CPU spare).

    The kernel's standard error (start-up warnings, crashes of compiled code) goes to
    ``stderr_path``; its Python-level output reaches the notebook as usual.  ``meanwhile`` runs in
    this process while the kernel process starts up.
    """
    _worker.kernel_name, _worker.cwd, _worker.stderr_path, _worker.charts_aside = kernel_name, cwd, stderr_path, charts_aside

    def while_it_starts() -> None:
        register_engine()  # imports papermill: while the kernel process starts, not before it
        if meanwhile is not None:
            meanwhile()

    try:
        _launch(while_it_starts)
    except BaseException:
        register_engine()  # for the first council's own kernel, should this one have failed to start
        raise


def stderr_offset() -> int:
    """Where the kernel's standard error log ends now (read from here after a council fails)."""
    try:
        return _worker.stderr_path.stat().st_size if _worker.stderr_path else 0
    except OSError:
        return 0


def stderr_log() -> Path | None:
    return _worker.stderr_path


def mark_failed() -> None:
    """A council failed in this kernel: replace it before the next council."""
    _shutdown()


def _launch(meanwhile: Callable[[], None] | None = None) -> None:
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    manager = AsyncKernelManager(kernel_name=_worker.kernel_name)
    stderr = open(_worker.stderr_path, "ab") if _worker.stderr_path else None  # noqa: SIM115 - the kernel keeps it
    _worker.starting = manager
    try:
        run_sync(manager.start_kernel)(cwd=_worker.cwd, stderr=stderr)
    finally:
        _worker.starting = None
        if stderr is not None:
            stderr.close()  # the kernel holds its own copy of the descriptor
    _worker.manager, _worker.notebooks_run, _worker.needs_reset = manager, 0, False
    try:
        client = manager.client()
        client.start_channels()
        _worker.client = client
        if meanwhile is not None:
            meanwhile()
        run_sync(client.wait_for_ready)(timeout=START_TIMEOUT_S)
        client.allow_stdin = False  # as nbclient sets it on the clients it starts: a notebook cannot ask for input
        _run_quietly((CHART_PROCESS if _worker.charts_aside else "") + warm_up(_worker.charts_aside))
    except BaseException:
        _shutdown()  # no half-started kernel is left for the next council
        raise


def _run_quietly(code: str, timeout_s: float = 300) -> None:
    """Run ``code`` in the kernel without history; raise if it fails.

    ``execute_interactive`` reads the output channel up to this request's idle status and skips
    messages of earlier requests, so what a previous notebook left unread does no harm.
    """
    from jupyter_core.utils import run_sync

    reply = run_sync(_worker.client.execute_interactive)(code, silent=True, store_history=False, timeout=timeout_s,
                                                         output_hook=lambda message: None)
    if reply["content"]["status"] != "ok":
        content = reply["content"]
        raise RuntimeError(f"kernel set-up failed: {content.get('ename')}: {content.get('evalue')}")


def shutdown() -> None:
    """Shut this process's kernel down now (also done at exit)."""
    _shutdown()


def _shutdown() -> None:
    manager, client, _worker.manager, _worker.client = _worker.manager, _worker.client, None, None
    if client is not None:
        client.stop_channels()
    if manager is None:
        return
    from jupyter_core.utils import run_sync

    try:
        run_sync(_killed)(manager)
        run_sync(manager.shutdown_kernel)(now=True)  # the kernel has gone: its files and ports are released at once
    except Exception as error:  # noqa: BLE001 - a kernel that is already gone is what we want
        log.debug("kernel shutdown: %s", error)


async def _killed(manager, timeout_s: float = 5.0) -> None:
    """SIGKILL to the kernel's process group (the kernel and its drawing process), then back as soon
    as the kernel has gone.  ``shutdown_kernel(now=True)`` alone does the same but looks every 0.1 s,
    so the end of every run (and every kernel replaced) waited about 0.1 s for nothing."""
    import asyncio
    import time

    provisioner = manager.provisioner
    if provisioner is None:
        return
    await provisioner.kill()
    deadline = time.monotonic() + timeout_s
    while await provisioner.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.005)


atexit.register(_shutdown)


def abandon() -> None:
    """For a worker told to stop at once (the runner's SIGTERM after an interrupt or a failed check):
    remove the connection files of this process's kernels.  The caller kills the kernel processes
    itself: an orderly shutdown needs the event loop that the signal interrupted."""
    for manager in (_worker.manager, _worker.starting):
        if manager is not None:
            try:
                manager.cleanup_connection_file()
            except Exception as error:  # noqa: BLE001 - a file already gone is what we want
                log.debug("kernel connection file: %s", error)


def _ready_manager():
    """The kernel for the next notebook: started, recycled or reset as needed."""
    from jupyter_core.utils import run_sync

    if _worker.manager is not None and (_worker.notebooks_run >= RECYCLE_AFTER or not run_sync(_worker.manager.is_alive)()):
        _shutdown()  # recycled, or died between councils: its files and ports are released either way
    if _worker.manager is None:
        _launch()
    elif _worker.needs_reset:
        _run_quietly(RESET)
    _worker.needs_reset = True
    _worker.notebooks_run += 1
    return _worker.manager


def register_engine() -> None:
    """Register :data:`ENGINE_NAME` with papermill (imported here, so that importing this module is cheap)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmKernelEngine(NBClientEngine):
        """papermill's nbclient engine, run in the worker's kernel instead of a new one each time."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, **kwargs):
            if _worker.kernel_name is None:
                raise RuntimeError(f"engine {ENGINE_NAME}: no kernel started in this process (call benchmark.report.kernel.start)")
            if kernel_name != _worker.kernel_name:
                raise RuntimeError(f"engine {ENGINE_NAME}: this process's kernel is {_worker.kernel_name}, not {kernel_name}")
            for name in ("input_path", "timeout", "startup_timeout"):
                kwargs.pop(name, None)
            manager = _ready_manager()
            client = PapermillNotebookClient(
                nb_man, km=manager, kernel_name=kernel_name, timeout=execution_timeout, startup_timeout=start_timeout,
                log=log, log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file, **kwargs,
            )
            # With a kernel client already set, nbclient neither starts nor, since it does not own
            # the manager, stops one: the worker's connected client serves council after council.
            client.kc = _worker.client
            return client.execute()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)

