"""Charts (and the workbook) made in a second process while the kernel builds the rest of the report.

A report draws about fourteen charts, about a third of its work.  When the runner has a CPU to
spare (fewer councils at once than CPUs, as for one council's report), it starts this process in
each kernel's warm-up (:func:`start`).  :func:`figure` then queues a chart and returns at once with
a :class:`PendingFigure`, which becomes the chart's HTML when the page asks for it, while the
kernel goes on building tables, the budget and the other sections (``ReportContent.build`` builds
every section as soon as the council's data is gathered, so that every chart is asked for early).

**Sharing the work.**  The process takes queued charts from the front, in the page's order, two at
a time (one drawn, one waiting, so it never idles between charts).  A task is sent to it only when
it is about to start on it, so nothing sent is ever taken back.  When the page asks for a chart the
process is still drawing, the kernel draws the last chart of the queue meanwhile: the two meet in
the middle, whichever is faster on the day drawing more.  A fixed split could not: timed on
Southampton's report, with every other chart sent the process sat idle while the kernel drew,
and with two of three the kernel waited for the process.  After the charts the report's workbook,
``tables.xlsx``, is queued at the front (:func:`aside`, ``content.export_contents``).

The process draws with the same code and settings (:mod:`benchmark.report.charts`), so the page is
the same byte for byte (``tests/test_chart_process.py``).  Without it (JupyterLab, or a run with
every CPU busy) :func:`figure` draws in the calling process, as it always did.  Should the process
die, every task it had not returned is done in the calling process instead.
"""
from __future__ import annotations

import concurrent.futures as futures
import logging
import multiprocessing
import threading
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

IN_FLIGHT = 2  # tasks sent to the process at once: the one it runs and the next, so it never waits for the kernel

_pool: futures.ProcessPoolExecutor | None = None
# The queue is fed from the kernel's thread and from the executor's thread that completes futures.
_lock = threading.RLock()  # re-entered when a future completes while it is being sent (its callback runs at once)
_queue: deque[Pending] = deque()  # tasks not yet sent, in the order they were asked for
_in_flight = 0


def start() -> None:
    """Start the drawing process now (spawned: a new Python, never a fork of a kernel), once."""
    global _pool, _in_flight
    if _pool is None:
        _pool = futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_ready)
        _in_flight = 0
        _pool.submit(int)  # the executor spawns its process on the first task: now, not at the first chart


def running() -> bool:
    return _pool is not None


def stop() -> None:
    """Stop the process; tasks still queued are done here when asked for."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
        _queue.clear()
    if pool is not None:
        pool.shutdown(wait=False)


def forget_queued() -> None:
    """Send none of the tasks queued so far (a new report: any left by an earlier one are done here if asked for)."""
    with _lock:
        _queue.clear()


def _ready() -> None:
    # matplotlib, the charts' settings, the SVG backend and openpyxl: loaded before the first task, not by it
    import matplotlib.backends.backend_svg  # noqa: F401
    import openpyxl  # noqa: F401

    import benchmark.report.charts  # noqa: F401


def draw(chart: Callable, args: tuple, kwargs: dict, caption: str) -> str:
    """``chart(*args, **kwargs)`` (a function of :mod:`benchmark.report.charts`) as a ``<figure>``."""
    from benchmark.report import charts

    fig, alt = chart(*args, **kwargs)
    return charts.figure_html(fig, alt, caption)


class Pending:
    """``function(*args)``, queued for the drawing process; :meth:`result` is its result, from the
    process or, if it was never sent (or the process died), done here."""

    def __init__(self, function: Callable, args: tuple):
        self._function, self._args = function, args
        self._future: futures.Future | None = None  # set, under _lock, when the task is sent
        self._done, self._result = False, None

    def result(self):
        while not self._done:
            if self._claim():
                self._run_here()
            elif not self._future.done() and (other := _last_queued()) is not None:
                other._run_here()  # while the process finishes this one, do the queue's last task here
            else:
                self._from_process()
        return self._result

    def _claim(self) -> bool:
        """Take this task back from the queue if it was not sent (True: do it here)."""
        with _lock:
            if self._future is not None:
                return False
            if self in _queue:
                _queue.remove(self)
            return True

    def _run_here(self) -> None:
        self._result, self._done = self._function(*self._args), True

    def _from_process(self) -> None:
        try:
            self._result, self._done = self._future.result(), True
        except futures.process.BrokenProcessPool as error:
            if running():  # said once, by the first task to find the process gone
                log.warning("the drawing process stopped (%s): the charts are drawn here instead", error)
                stop()
            self._run_here()


class PendingFigure(Pending):
    """A chart queued for the drawing process; ``str()`` is its HTML (a ``<figure>``)."""

    def __str__(self) -> str:
        return self.result()


def _last_queued() -> Pending | None:
    with _lock:
        return _queue.pop() if _queue else None


def _send() -> None:
    """Send tasks from the front of the queue while fewer than IN_FLIGHT are with the process."""
    global _in_flight
    with _lock:
        while _pool is not None and _queue and _in_flight < IN_FLIGHT:
            task = _queue.popleft()
            try:
                future = _pool.submit(task._function, *task._args)
            except (RuntimeError, futures.BrokenExecutor):  # the process is gone: the task is done here when asked for
                _queue.appendleft(task)
                return
            task._future = future
            _in_flight += 1
            future.add_done_callback(_returned)


def _returned(future: futures.Future) -> None:
    global _in_flight
    with _lock:
        _in_flight -= 1
    _send()


def _queued(task: Pending, first: bool = False) -> Pending:
    with _lock:
        if first:
            _queue.appendleft(task)
        else:
            _queue.append(task)
    _send()
    return task


def aside(function: Callable, *args) -> Pending:
    """``function(*args)`` done in the drawing process before the charts still queued, while this
    process goes on; without the process, done here when its result is asked for.  ``function``
    and ``args`` must pickle."""
    task = Pending(function, args)
    return _queued(task, first=True) if running() else task


def figure(chart: Callable, *args, caption: str, **kwargs) -> str | PendingFigure:
    """The ``<figure>`` of ``chart(*args, **kwargs)`` with ``caption``: the HTML, drawn here, or,
    while the drawing process runs, a :class:`PendingFigure` (drawn there or here, see the module's docstring)."""
    if _pool is None:
        return draw(chart, args, kwargs, caption)
    return _queued(PendingFigure(draw, (chart, args, kwargs, caption)))
