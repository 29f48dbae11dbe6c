"""Charts drawn in a second process while the kernel builds the rest of the report.

A report draws about fourteen charts, about a third of its work.  When the runner has a CPU to
spare (fewer councils at once than CPUs, as for one council's report), it starts this process in
each kernel's warm-up (:func:`start`).  :func:`figure` then sends a chart's data to it and returns
at once with a :class:`PendingFigure`, which becomes the chart's HTML when the page asks for it,
while the kernel goes on building tables, the budget and the other sections
(``ReportContent.build`` builds every section as soon as the council's data is gathered, so that
every chart is asked for early).  Every other chart is left to the kernel, which draws it when the
page asks for it: both processes draw while charts remain.

The process draws with the same code and settings (:mod:`benchmark.report.charts`), so the page is
the same byte for byte (``tests/test_chart_process.py``).  Without it (JupyterLab, or a run with
every CPU busy) :func:`figure` draws in the calling process, as it always did.  Should the process
die, every chart it had not returned is drawn in the calling process instead.
"""
from __future__ import annotations

import concurrent.futures as futures
import logging
import multiprocessing
from collections.abc import Callable

log = logging.getLogger(__name__)

_pool: futures.ProcessPoolExecutor | None = None


def start() -> None:
    """Start the drawing process now (spawned: a new Python, never a fork of a kernel), once."""
    global _pool
    if _pool is None:
        _pool = futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_ready)
        _pool.submit(int)  # the executor spawns its process on the first task: now, not at the first chart


def running() -> bool:
    return _pool is not None


def stop() -> None:
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False)


def _ready() -> None:
    import benchmark.report.charts  # noqa: F401 - matplotlib and the charts' settings, before the first chart


def draw(chart: Callable, args: tuple, kwargs: dict, caption: str) -> str:
    """``chart(*args, **kwargs)`` (a function of :mod:`benchmark.report.charts`) as a ``<figure>``."""
    from benchmark.report import charts

    fig, alt = chart(*args, **kwargs)
    return charts.figure_html(fig, alt, caption)


class PendingFigure:
    """A chart of a report whose charts are shared with the drawing process; ``str()`` is its HTML.

    Every other chart goes to the drawing process (``future``); the rest are drawn here when the
    page asks for them, so that both processes draw while charts remain.  (A split fixed as the
    charts are sent, rather than taking back charts the drawing process has not begun: a future
    cancelled just as its process dies breaks ``concurrent.futures``' own clean-up.)
    """

    def __init__(self, request: tuple, future: futures.Future | None):
        self._request, self._future, self._pool = request, future, _pool
        self._html: str | None = None

    def __str__(self) -> str:
        if self._html is None:
            self._html = self._result() if self._future is not None else draw(*self._request)
        return self._html

    def _result(self) -> str:
        try:
            return self._future.result()
        except futures.process.BrokenProcessPool as error:
            if self._pool is _pool:  # said once, by the first chart to find it gone
                log.warning("the drawing process stopped (%s): the charts are drawn here instead", error)
                stop()
            return draw(*self._request)


_sent = 0  # charts sent while the drawing process runs: every other one goes to it


def figure(chart: Callable, *args, caption: str, **kwargs) -> str | PendingFigure:
    """The ``<figure>`` of ``chart(*args, **kwargs)`` with ``caption``: the HTML, drawn here, or,
    while the drawing process runs, a :class:`PendingFigure` (every other one drawn there)."""
    global _sent
    if _pool is None:
        return draw(chart, args, kwargs, caption)
    _sent += 1
    request = (chart, args, kwargs, caption)
    return PendingFigure(request, _pool.submit(draw, *request) if _sent % 2 else None)
