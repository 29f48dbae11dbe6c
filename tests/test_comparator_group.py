"""One comparator group, stated once, used everywhere (issue 12, item 3).

Southampton's report uses NN.json (one set whatever the year), Leicester's the statistical method
(a group per geography year: before, each metric took its own year's group, so the members table,
the spend chart and the staffing chart showed three different sets).
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from benchmark.report import charts, content
from benchmark.report.parameters import read_parameter_file

from conftest import ROOT


@pytest.fixture(scope="module", params=["E06000045", "E06000016"], ids=["Southampton", "Leicester"])
def drawn(request):
    """A council's report with every chart's input recorded as its sections are built."""
    calls: list[tuple[str, str, object]] = []
    real = {name: getattr(charts, name) for name in ("ranked_bar", "funnel", "time_series")}

    def recording(name):
        def chart(data, council, *args, **kwargs):
            calls.append((name, council, data.copy()))
            return real[name](data, council, *args, **kwargs)
        return chart

    with pytest.MonkeyPatch.context() as patch:
        for name in real:
            patch.setattr(charts, name, recording(name))
        report = content.ReportContent.build(read_parameter_file(ROOT / "parameters" / f"{request.param}.yml"))
        sections = report.sections()
    return report, sections, calls


def _names(report, codes) -> set[str]:
    return {report.council_name(code) for code in codes}


def _values(data) -> pd.Series:
    """A chart's values by council name (ranked bars get a Series, funnels a frame with 'value')."""
    return (data["value"] if isinstance(data, pd.DataFrame) else data).astype(float)


def _metric_and_year(report, council_value: float) -> tuple[str, str]:
    """The metric and year whose value for the report's council is the one on the chart."""
    panel = report.shared.panel
    own = panel[(panel["council"] == report.code) & np.isclose(panel["value"].astype(float), council_value)]
    assert len(own), council_value
    return own.iloc[0]["metric_id"], own.iloc[0]["year"]


def test_every_chart_shows_exactly_the_members_with_a_value(drawn):
    report, _, calls = drawn
    members = report.comparators_table()
    assert len(members) == len(report.members()) == 15
    assert set(members["name"]) == _names(report, report.members())
    panel = report.shared.panel
    point_charts = [(name, council, _values(data)) for name, council, data in calls if name in ("ranked_bar", "funnel")]
    assert [name for name, _, _ in point_charts].count("ranked_bar") >= 2  # the spend and the staffing charts at least
    for name, council, values in point_charts:
        plotted = set(values.dropna().index) - {council}
        assert plotted <= set(members["name"]), (name, plotted - set(members["name"]))
        metric_id, year = _metric_and_year(report, values[council])
        with_value = panel[(panel["metric_id"] == metric_id) & (panel["year"] == year) & panel["council"].isin(report.members())
                           & panel["value"].notna()]
        assert plotted == _names(report, with_value["council"]), (name, metric_id)  # the same councils, not a subset
        row = report.metric(metric_id)
        if row["year"] == year:  # the statistics and the flag rest on the chart's councils
            assert row["n"] == len(plotted)
            assert set(row["comparator_councils"].split(";")) == set(with_value["council"])


def test_series_medians_are_the_members_medians(drawn):
    report, _, calls = drawn
    panel = report.shared.panel
    series = [data for name, _, data in calls if name == "time_series"]
    assert series
    for frame in series:
        # find the metric by the council's own values over the years
        own = panel[(panel["council"] == report.code) & panel["year"].isin(frame.index)]
        matched = own.groupby("metric_id").filter(
            lambda g, frame=frame: len(g) == len(frame)
            and np.allclose(g.set_index("year")["value"].reindex(frame.index).astype(float), frame["council"].astype(float)))
        metric_id = matched["metric_id"].iloc[0]
        for year, median in frame["median"].items():
            values = panel[(panel["metric_id"] == metric_id) & (panel["year"] == year) & panel["council"].isin(report.members())]["value"].dropna()
            assert median == pytest.approx(values.median()), (metric_id, year)


def test_flags_statistics_budget_and_local_comparators_use_the_members(drawn):
    report, _, _ = drawn
    members = report.members()
    metrics = content.council_tables(report)["metrics"]
    assert (metrics["group_size"] == 15).all()
    listed = metrics["comparator_councils"].replace("", np.nan).dropna().str.split(";")
    assert all(set(codes) <= set(members) for codes in listed)
    assert (listed.map(len) == metrics.loc[listed.index, "n"]).all()  # metrics.csv names the councils each statistic rests on
    assert set(report.pairs["neighbour"]) == set(members) and "year" not in report.pairs.columns
    if report.budget is not None:
        assert list(report.budget.comparators) == members
    assert "15 councils" in report.section("context").to_html()


def test_a_metric_says_how_many_of_the_group_it_rests_on():
    # Cumbria was abolished in April 2023 (Cumberland, and Westmorland and Furness, replaced it), and Cumberland created
    # then: of this group of four, three have a value in 2024-25 and three in 2017-18
    report = content.ReportContent.build(_custom_params(["Portsmouth", "E10000006", "Plymouth", "Cumberland"]))
    assert report.coverage("share_65plus_aged_85plus_pct", "2024-25") == (
        "3 of 4 comparators have a value (2024-25); none for Cumbria, which did not exist in 2024-25")
    assert report.coverage("share_65plus_aged_85plus_pct", "2017-18") == (
        "3 of 4 comparators have a value (2017-18); none for Cumberland, which did not exist in 2017-18")
    assert report.metric_rows(["share_65plus_aged_85plus_pct"]).loc[0, "comparators with a value"] == "3 of 4"
    # a chart over years where the group must change says so
    assert report.group_changes(["2017-18", "2024-25"]) == (
        "The comparator group changes between years: Cumbria did not exist in 2024-25; Cumberland did not exist in 2017-18, "
        "so the median in those years rests on the other members.")
    assert "The comparator group changes between years" in report.section("spend").to_html()


def _custom_params(custom: list[str]) -> dict:
    from benchmark.report.parameters import DEFAULTS

    return {**DEFAULTS, "council": "E06000045", "comparator_method": "custom", "custom_comparators": custom}


def _report_cli(tmp_path, yaml_text: str) -> subprocess.CompletedProcess:
    params = tmp_path / "custom.yml"
    params.write_text(yaml_text)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "benchmark", "report", "--params", str(params), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False)


@pytest.mark.parametrize("custom, expected", [
    ('["Portsmouth", "Southampton"]', "'Southampton' is Southampton (E06000045), the council itself; a council is never its own comparator"),
    ('["Portsmouth", "Plymouth", "E06000044"]', "Portsmouth (E06000044) is listed twice ('Portsmouth' and 'E06000044')"),
    ('["Portsmouth", "E06099999"]', "unknown council 'E06099999'"),
], ids=["itself", "twice", "unknown"])
def test_a_bad_custom_list_is_refused_in_one_line(tmp_path, custom, expected):
    result = _report_cli(tmp_path, f'council: "E06000045"\ncomparator_method: custom\ncustom_comparators: {custom}\n')
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_a_bad_custom_list_is_refused_by_the_notebook_too():
    from benchmark.errors import UserError

    with pytest.raises(UserError, match="the council itself"):
        content.ReportContent.build(_custom_params(["Portsmouth", "E06000045"]))


def test_the_group_is_resolved_for_the_newest_outturn_year_by_default(tables):
    from benchmark.metrics.stats import group_year

    assert group_year(tables, "E06000016") == "2024-25"   # the newest RO3 in the shipped data
    assert group_year(tables, "E06000016", "2017-18") == "2017-18"
    assert group_year(tables, "E10000002") == "2019-20"   # Buckinghamshire County Council: its last year
    assert group_year(tables, "E06000063", "2017-18") == "2023-24"  # Cumberland: its first year
