"""Charts drawn in a process of their own (benchmark.report.chart_process): the page is the same
byte for byte as when the kernel draws them itself, the charts are shared between the two
processes, and a drawing process that dies costs nothing but time."""
from __future__ import annotations

import logging
import os
import signal
import time

import openpyxl
import pandas as pd
import pytest

from benchmark.report import chart_process, charts, content, workbook
from benchmark.report.formatting import millions_fmt, short_fmt

SOUTHAMPTON = "E06000045"


@pytest.fixture
def drawing_process():
    chart_process.start()
    yield
    chart_process.stop()


def _bars(n: int) -> tuple:
    values = pd.Series({f"Council {i}": float(i + 1) for i in range(n)})
    return charts.ranked_bar, (values, "Council 1", 2.5, f"{n} councils", short_fmt("gbp_per_head"), "£ per head")


def test_without_the_process_the_chart_is_drawn_here():
    chart, args = _bars(3)
    html = chart_process.figure(chart, *args, caption="Source: test.")
    assert isinstance(html, str) and html == chart_process.draw(chart, args, {}, "Source: test.")


def test_charts_are_shared_between_the_processes_and_drawn_the_same(drawing_process):
    requests = [_bars(n) for n in range(3, 9)]
    pending = [chart_process.figure(chart, *args, caption="c") for chart, args in requests]
    assert all(isinstance(p, chart_process.PendingFigure) for p in pending)
    assert [p._future is not None for p in pending[:2]] == [True, True]  # sent at once: the one drawn and the next
    assert [str(p) for p in pending] == [chart_process.draw(chart, args, {}, "c") for chart, args in requests]


def test_while_the_process_is_busy_the_kernel_draws_what_is_still_queued(drawing_process):
    busy = chart_process.aside(time.sleep, 1.5)  # the process starts (about a second), then sleeps
    requests = [_bars(n) for n in range(3, 7)]
    pending = [chart_process.figure(chart, *args, caption="c") for chart, args in requests]
    assert [p._future is not None for p in pending] == [True, False, False, False]  # two tasks with the process at once
    busy.result()  # waiting for the process: the kernel draws the queued charts meanwhile, the last first
    assert [p._future is None and p._done for p in pending] == [False, True, True, True]
    assert [str(p) for p in pending] == [chart_process.draw(chart, args, {}, "c") for chart, args in requests]
    assert not chart_process._queue


def test_a_task_set_aside_goes_to_the_front_of_the_queue(drawing_process):
    busy = chart_process.aside(time.sleep, 1.0)
    pending = [chart_process.figure(chart, *args, caption="c") for chart, args in (_bars(3), _bars(4))]
    first = chart_process.aside(os.getpid)
    assert list(chart_process._queue) == [first, pending[1]]  # ahead of the chart not yet sent
    busy._future.result()  # the process's own task ends: the next two are sent (by the executor's thread, just after)
    deadline = time.monotonic() + 10
    while first._future is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.result() != os.getpid()  # done by the process
    assert [str(p) for p in pending] == [chart_process.draw(chart, args, {}, "c") for chart, args in (_bars(3), _bars(4))]


def test_a_drawing_process_that_dies_leaves_every_chart_drawn_here(drawing_process, caplog):
    requests = [_bars(n) for n in range(3, 9)]
    pending = [chart_process.figure(chart, *args, caption="c") for chart, args in requests]
    for pid in list(chart_process._pool._processes):
        os.kill(pid, signal.SIGKILL)
    with caplog.at_level(logging.WARNING, logger="benchmark.report.chart_process"):
        html = [str(p) for p in pending]
    assert html == [chart_process.draw(chart, args, {}, "c") for chart, args in requests]
    assert not chart_process.running()
    # killed while it was still starting (it imports matplotlib first): every chart was lost, and that is said once
    assert sum("drawing process stopped" in r.getMessage() for r in caplog.records) == 1


def test_every_kind_of_chart_travels_to_the_process(drawing_process):
    """Each chart function's arguments, formatters included, reach the process and come back the same."""
    lines = pd.DataFrame({"current pattern": [2.0e6, -0.5e6], "higher demand": [2.4e6, 0.3e6]}, index=["Line A", "Line B"])
    bridge = pd.DataFrame({"step": ["2024-25 outturn", "prices", "2026-27"], "amount_gbp": [10e6, 1e6, 11e6], "kind": ["start", "step", "end"]})
    series = pd.DataFrame({"council": [1.0, 2.0], "median": [1.5, 1.5], "q1": [1.0, 1.0], "q3": [2.0, 2.0]}, index=["2022-23", "2023-24"])
    requests = [
        (charts.budget_bars, (lines, "Budget", millions_fmt(1)), {}),
        (charts.bridge_waterfall, (bridge, "Bridge", millions_fmt(1)), {}),
        (charts.time_series, (series, "Council", "Trend", short_fmt("pct"), "a share"), {"breaks": [(0.5, "new source")]}),
        (charts.simple_bars, (pd.Series({"Band 1": 700.0, "Band 2": 900.0}), "Fees", short_fmt("gbp_per_week"), "£ a week"), {}),
    ]
    pending = [chart_process.figure(chart, *args, caption="c", **kwargs) for chart, args, kwargs in requests]
    assert [str(p) for p in pending] == [chart_process.draw(chart, args, kwargs, "c") for chart, args, kwargs in requests]


def test_a_task_set_aside_runs_in_the_process_or_here(drawing_process):
    pending = chart_process.aside(os.getpid)
    assert pending._future is not None and pending.result() != os.getpid()  # the drawing process's id
    chart_process.stop()
    assert chart_process.aside(os.getpid).result() == os.getpid()  # no process: run here


def test_the_workbook_made_aside_is_the_workbook_made_here(drawing_process, tmp_path):
    sheets = {"metrics": pd.DataFrame({"id": ["a", "b"], "value_gbp": [1.5, None], "year": ["2023-24", "2024-25"]}),
              "notes": pd.DataFrame({"note": ["one", "two"]})}
    pending = chart_process.aside(workbook.workbook_bytes, sheets)
    assert pending._future is not None
    (tmp_path / "aside.xlsx").write_bytes(pending.result())
    workbook.write_workbook(sheets, tmp_path / "here.xlsx")
    aside, here = (openpyxl.load_workbook(tmp_path / f"{name}.xlsx") for name in ("aside", "here"))
    assert aside.sheetnames == here.sheetnames == ["metrics", "notes"]
    for name in here.sheetnames:
        cells = [[(c.value, c.number_format, c.font.b) for c in row] for row in here[name].iter_rows()]
        assert [[(c.value, c.number_format, c.font.b) for c in row] for row in aside[name].iter_rows()] == cells
    assert [c.value for c in here["metrics"][2]] == ["a", 1.5, "2023-24"]  # worked by hand: the first row as given
    assert here["metrics"]["B3"].value is None  # missing stays an empty cell


def _cells(path) -> dict:
    book = openpyxl.load_workbook(path)
    return {name: [[(c.value, c.number_format) for c in row] for row in book[name].iter_rows()] for name in book.sheetnames}


@pytest.mark.slow
def test_a_report_drawn_aside_is_the_report_drawn_here(tmp_path, monkeypatch):
    """Southampton's every section, charts and all, and its exported tables, with and without the
    drawing process; with it, the spend section's seven charts (metrics alone) are asked for before
    the local files are read, and shown, not drawn again, by the section."""
    params = {"council": SOUTHAMPTON, "export_dir": str(tmp_path)}
    for folder in ("here", "aside"):
        (tmp_path / folder).mkdir()
    report = content.ReportContent.build(params)
    here = [section.to_html() for section in report.sections()]
    content.export_report(report, tmp_path / "here")
    asked_before_local = []
    gather_local = content.ReportContent._gather_local
    monkeypatch.setattr(content.ReportContent, "_gather_local",
                        lambda self: (asked_before_local.extend(self._charts.values()), gather_local(self))[-1])
    chart_process.start()
    try:
        report = content.ReportContent.build(params)
        assert len(asked_before_local) == 7 and all(isinstance(f, chart_process.PendingFigure) for f in asked_before_local)
        assert report.section("spend").figures == asked_before_local  # the same figures, not drawn again
        workbook_task = report._export.workbook
        assert report._prebuilt and (workbook_task._future is not None or workbook_task in chart_process._queue)  # built at once, queued
        aside = [section.to_html() for section in report.sections()]
        content.export_report(report, tmp_path / "aside")
    finally:
        chart_process.stop()
    assert aside == here
    assert sum(part.count('src="data:image/svg+xml;base64,') for part in here) >= 10
    for name in ("metrics.csv", "budget.csv", "headlines.json"):
        assert (tmp_path / "aside" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()
    sheets = _cells(tmp_path / "here" / "tables.xlsx")
    assert _cells(tmp_path / "aside" / "tables.xlsx") == sheets and len(sheets) >= 20
