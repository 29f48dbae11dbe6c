"""Charts drawn in a process of their own (benchmark.report.chart_process): the page is the same
byte for byte as when the kernel draws them itself, the charts are shared between the two
processes, and a drawing process that dies costs nothing but time."""
from __future__ import annotations

import logging
import os
import signal

import pandas as pd
import pytest

from benchmark.report import chart_process, charts, content
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
    sent = [p._future is not None for p in pending]
    assert sent.count(True) == sent.count(False) == 3  # every other chart to the drawing process, the rest drawn here
    assert [str(p) for p in pending] == [chart_process.draw(chart, args, {}, "c") for chart, args in requests]


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


@pytest.mark.slow
def test_a_report_drawn_aside_is_the_report_drawn_here():
    """Southampton's every section, charts and all, with and without the drawing process."""
    here = [section.to_html() for section in content.ReportContent.build({"council": SOUTHAMPTON}).sections()]
    chart_process.start()
    try:
        report = content.ReportContent.build({"council": SOUTHAMPTON})
        assert report._prebuilt  # every section built at once, its charts sent off
        aside = [section.to_html() for section in report.sections()]
    finally:
        chart_process.stop()
    assert aside == here
    assert sum(part.count('src="data:image/svg+xml;base64,') for part in here) >= 10
