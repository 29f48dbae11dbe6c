"""The report's content, charts, shared results and notebook (the runner has its own tests)."""
from __future__ import annotations

import ast
import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.errors import UserError
from benchmark.report import charts, content
from benchmark.report.parameters import DEFAULTS, PARAMETERS

ROOT = Path(__file__).resolve().parents[1]

NOTEBOOK = ROOT / "notebooks" / "council_report.ipynb"


# ----------------------------------------------------------------------------------------------
# RAG flags on a hand-made metrics frame (expected flags worked out by hand)
# ----------------------------------------------------------------------------------------------

def _scenario_frame() -> pd.DataFrame:
    rows = [
        # id, polarity, value, median, robust_z, outside_998
        ("worse_large_z", "lower_better", 150.0, 100.0, 2.5, False),        # |z| 2.5 >= 2, higher is worse -> RED
        ("worse_notable", "lower_better", 110.0, 100.0, 1.2, False),        # 1 <= 1.2 < 2, worse -> AMBER
        ("worse_outside_funnel", "higher_better", 80.0, 100.0, -0.5, True),  # |z| small but outside 99.8%, lower is worse -> RED
        ("better_large", "lower_better", 50.0, 100.0, -3.0, False),         # large, lower is better -> GREEN
        ("better_notable", "higher_better", 120.0, 100.0, 1.0, False),      # |z| exactly 1 -> notable, better -> GREEN
        ("neither_large", "neither", 300.0, 100.0, 4.0, False),             # no colour, DIFFERENT
        ("small", "lower_better", 101.0, 100.0, 0.3, False),                # below amber -> similar
        ("missing", "lower_better", np.nan, 100.0, np.nan, pd.NA),          # n/a with the reason
        ("z_missing_inside", "lower_better", 130.0, 100.0, np.nan, False),  # MAD 0 and inside the funnel -> small
    ]
    frame = pd.DataFrame(rows, columns=["id", "polarity", "value", "median", "robust_z", "outside_998"])
    frame["outside_998"] = frame["outside_998"].astype("boolean")
    frame["unit"] = "gbp_per_head"  # every difference above but 'small' (1%) is at least 10% of the median: material
    frame["missing_reason"] = ["", "", "", "", "", "", "", "suppressed or not reported in the source", ""]
    return frame


def test_rag_flags_by_hand():
    flags = content.rag_flags(_scenario_frame(), amber_z=1.0, red_z=2.0).set_index(_scenario_frame()["id"])
    expected_rag = {"worse_large_z": "RED", "worse_notable": "AMBER", "worse_outside_funnel": "RED", "better_large": "GREEN",
                    "better_notable": "GREEN"}
    for metric_id, rag in expected_rag.items():
        assert flags.loc[metric_id, "rag"] == rag, metric_id
        assert flags.loc[metric_id, "flag"].startswith(rag), metric_id  # the word, not only a colour
    for metric_id in ("neither_large", "small", "missing", "z_missing_inside"):
        assert pd.isna(flags.loc[metric_id, "rag"]), metric_id
    assert flags.loc["neither_large", "flag"].startswith("DIFFERENT: much higher")
    assert flags.loc["small", "difference"] == "similar"
    # 1% of the median and |z| 0.3: both fail; the reader is told the more telling one, that it is too small to matter
    assert flags.loc["small", "flag"] == "similar to comparators (too small to matter: under 5% of the median)"
    assert flags.loc["z_missing_inside", "flag"] == "similar to comparators (within the comparators' usual spread)"
    assert flags.loc["missing", "difference"] == "n/a"
    assert flags.loc["missing", "flag"] == "n/a: suppressed or not reported in the source"
    assert flags.loc["z_missing_inside", "difference"] == "similar"
    assert flags.loc["worse_large_z", "difference"] == "large" and flags.loc["worse_notable", "difference"] == "notable"


def test_rag_thresholds_are_parameters():
    flags = content.rag_flags(_scenario_frame(), amber_z=1.5, red_z=3.0).set_index(_scenario_frame()["id"])
    assert flags.loc["worse_large_z", "rag"] == "AMBER"  # 2.5 is now between 1.5 and 3
    assert pd.isna(flags.loc["worse_notable", "rag"])      # 1.2 < 1.5
    assert flags.loc["worse_outside_funnel", "rag"] == "RED"  # the funnel limit still makes it large


def _one_metric(unit, value, median, robust_z, polarity="neither", difference_count=np.nan):
    return pd.DataFrame({"id": ["m"], "polarity": [polarity], "unit": [unit], "value": [value], "median": [median],
                         "robust_z": [robust_z], "outside_998": pd.array([False], dtype="boolean"), "missing_reason": [""],
                         "difference_count": [difference_count]})


def test_a_tenth_of_a_point_is_similar_however_unusual():
    # share aged 85+: 12.6% against 12.5% with a robust z of 3 (a tight group): 0.1 points < 0.2 -> not material
    flags = content.rag_flags(_one_metric("pct", 12.6, 12.5, 3.0))
    assert flags.loc[0, "difference"] == "similar" and pd.isna(flags.loc[0, "rag"])
    assert flags.loc[0, "flag"] == "similar to comparators (too small to matter: under 0.2 percentage points)"
    assert flags.loc[0, "direction"] == "similar"  # never "higher" (or "older")
    # 12.8% against 12.5%: 0.3 points, material and notable -> a finding, worded
    assert content.rag_flags(_one_metric("pct", 12.8, 12.5, 3.0)).loc[0, "flag"].startswith("DIFFERENT: much higher")
    # the threshold is a parameter: with 0.05 points, 12.6% against 12.5% is a finding
    assert content.rag_flags(_one_metric("pct", 12.6, 12.5, 3.0), material_points=0.05).loc[0, "difference"] == "large"


def test_less_than_one_person_is_not_amber():
    # delayed transfers (joint) 0.3 against 0.1 per 100,000, robust z 1.35 (AMBER before): three times the median, but for
    # 270,000 adults |0.3 - 0.1| x 270,000 / 100,000 = 0.54 people, under rag_material_count 1 -> similar
    row = _one_metric("rate_per_100k", 0.3, 0.1, 1.35, "lower_better", difference_count=0.2 * 270_000 / 100_000)
    flags = content.rag_flags(row)
    assert pd.isna(flags.loc[0, "rag"]) and flags.loc[0, "difference"] == "similar"
    assert flags.loc[0, "flag"] == "similar to comparators (too small to matter: under 1 in the council's own numbers (it comes to 0.5))"
    # the same rates in a population ten times larger: 5.4 people -> AMBER
    bigger = _one_metric("rate_per_100k", 0.3, 0.1, 1.35, "lower_better", difference_count=0.2 * 2_700_000 / 100_000)
    assert content.rag_flags(bigger).loc[0, "rag"] == "AMBER"


def test_values_that_show_the_same_are_never_flagged():
    # £100.001 and £100.004 per head both show as £100.00; robust z 9 (MAD nearly 0) and the 5% rule set to 0
    flags = content.rag_flags(_one_metric("gbp_per_head", 100.004, 100.001, 9.0), material_pct=0)
    assert flags.loc[0, "flag"] == "similar to comparators (the same figure as shown)"
    # 5% of the median: 104.9 against 100 is not material, 105 is
    assert content.rag_flags(_one_metric("gbp_per_head", 104.9, 100.0, 9.0)).loc[0, "difference"] == "similar"
    assert content.rag_flags(_one_metric("gbp_per_head", 105.0, 100.0, 9.0)).loc[0, "difference"] == "large"


def test_words_such_as_older_only_for_a_finding(southampton):
    # Southampton 2024-25: 12.7% of its 65+ are 85+ against a median of 13.3%, within the comparators' usual spread
    share = southampton.metric("share_65plus_aged_85plus_pct")
    assert share["difference"] == "similar"
    title = southampton.section("context").title
    assert "similar in age" in title and "older than" not in title and "younger than" not in title
    similar = southampton.metrics[southampton.metrics["difference"] == "similar"]
    for metric_id in similar["id"]:
        assert " higher than " not in southampton.metric_title(metric_id) and " lower than " not in southampton.metric_title(metric_id)


def test_formatting_never_turns_missing_into_zero():
    assert content.fmt(np.nan, "gbp") == "n/a"
    assert content.fmt(None, "pct") == "n/a"
    assert content.fmt(111_500_000, "gbp") == "£111.5m"
    assert content.fmt(12.345, "pct") == "12.3%"


# ----------------------------------------------------------------------------------------------
# the report for Southampton
# ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def southampton():
    # NN.json's set, as Southampton's own parameter file chooses (the peer challenge's comparators): the
    # same group the metrics and budget commands use by default, which these tests compare with
    return content.ReportContent.build({**DEFAULTS, "council": "Southampton", "comparator_method": "nn"})


def test_the_default_group_is_the_statistical_peers_of_the_newest_outturn_year():
    # comparator_method null: NN.json's sets are on April 2021 geography, the newest outturn is 2024-25
    report = content.ReportContent.build({**DEFAULTS, "council": "E06000016"})
    assert report.method == "statistical" and report.group_year == "2024-25"
    assert len(report.members()) == 15 and "E06000016" not in report.members()


def test_metrics_equal_council_metrics(southampton, tables):
    from benchmark.local.panel import local_metric_panel
    from benchmark.metrics.stats import council_metrics

    expected = council_metrics(tables, "E06000045", local_panel=local_metric_panel(tables, tables.data_dir / "local"))
    got = content.council_tables(southampton)["metrics"]
    assert list(got["id"]) == list(expected["id"])
    pd.testing.assert_frame_equal(got[expected.columns].reset_index(drop=True), expected, check_dtype=False)


def test_headlines_equal_council_metrics(southampton, tables):
    from benchmark.metrics.stats import council_metrics

    expected = council_metrics(tables, "Southampton", panel=southampton.shared.panel).set_index("id").loc["gce_65plus_per_head_65plus_gbp"]
    h = content.headlines(southampton)
    assert h["council"] == "E06000045"
    assert h["gce_65plus_per_head_gbp"] == pytest.approx(expected["value"])
    assert h["gce_65plus_per_head_comparator_median_gbp"] == pytest.approx(expected["median"])
    assert h["gce_65plus_per_head_year"] == expected["year"]
    # the default scenarios; the fee-schedule and staffing ones because Southampton ships example files for them
    assert set(h["budget_totals_gbp"]) == {"current_pattern", "comparator_median", "needs_model", "fee_schedule",
                                           "staffing_at_comparator_ratio"}
    json.dumps(h)  # plain values for the index page


def test_budget_equals_council_budget(southampton, tables):
    from benchmark.budget.base_budget import council_budget

    expected = council_budget(tables, "E06000045")
    pd.testing.assert_frame_equal(southampton.budget.lines, expected.lines)
    pd.testing.assert_frame_equal(southampton.budget.totals, expected.totals)
    for key in ("expected_gbp", "pi_low_gbp", "pi_high_gbp", "needs_index_65plus"):
        assert southampton.budget.expected[key] == pytest.approx(expected.expected[key])
    tables_out = content.council_tables(southampton)
    assert len(tables_out["budget_lines"]) == len(expected.lines)


def test_sections_have_active_titles_and_label_illustrative(southampton):
    sections = {s.key: s for s in southampton.sections()}
    assert list(sections) == list(content.SECTIONS)
    # the newest outturn (RO3 2024-25): £116,594,000 / 208,483 aged 18+ = £559.25, within 5% of the comparator median:
    # "similar", not "less"
    assert sections["spend"].title.startswith("Southampton spends a similar amount per adult (18+) on adult social care to similar "
                                              "councils (£559.25 net against a median of")
    assert "2024-25; too small to matter: under 5% of the median)" in sections["spend"].title
    for key in ("workforce", "fees", "packages"):  # shipped local examples are ILLUSTRATIVE
        assert "ILLUSTRATIVE" in sections[key].to_html(), key
    assert "RED" in sections["summary"].to_html()
    for name, frame in content.council_tables(southampton).items():
        assert len(frame.columns), name
        assert len(name) <= 31, name


def test_glossary_one_row_per_metric():
    from benchmark.metrics.registry import metric_table

    g = content.glossary()
    assert len(g) == len(metric_table())
    assert list(g["id"]) == list(metric_table()["id"])
    assert g["definition"].notna().all()


def test_key_messages_never_leave_out_a_red_or_amber_flag(southampton):
    metrics = southampton.metrics
    worse = set(metrics.loc[metrics["rag"].isin(["RED", "AMBER"]), "id"])
    marked = int(metrics["difference"].isin(["large", "notable"]).sum())
    # Southampton: 1 RED and 5 AMBER (delayed transfers; ASCOF's carers and direct payments measures) among more marked differences
    assert len(worse) == 6 and marked > 9
    assert worse <= set(southampton.key_messages()["metric"]) and len(southampton.key_messages()) == 6
    messages = southampton.key_messages(limit=9)  # room for three others beside the six worse flags
    assert worse <= set(messages["metric"]) and len(messages) == 9
    others = metrics[metrics["difference"].isin(["large", "notable"]) & ~metrics["id"].isin(worse)]
    shown = others[others["id"].isin(messages["metric"])]
    left_out = others[~others["id"].isin(messages["metric"])]
    assert len(shown) == 3
    large = lambda frame: (frame["difference"] == "large").astype(int) * 1000 + frame["robust_z"].astype(float).abs()  # noqa: E731
    assert large(shown).min() >= large(left_out).max()  # the largest of the others
    summary = southampton.section("summary").to_html()
    assert f"6 of the {marked} marked differences" in summary


def test_an_empty_illustrative_column_is_left_off_the_page_not_the_workbook():
    real = content.Table("t", pd.DataFrame({"metric": ["a", "b"], "ILLUSTRATIVE": ["", ""]}), "caption")
    mixed = content.Table("t", pd.DataFrame({"metric": ["a", "b"], "ILLUSTRATIVE": ["", "ILLUSTRATIVE"]}), "caption")
    assert "ILLUSTRATIVE" not in real.to_html() and "ILLUSTRATIVE" in real.frame.columns
    assert mixed.to_html().count("ILLUSTRATIVE") == 2  # the header and the row


def test_tables_of_raw_numbers_are_written_in_their_units_on_the_page():
    from benchmark.report.formatting import display_frame

    bcf = pd.DataFrame({"year": ["2018-19", "2019-20"], "pooled_gbp": [111_500_000.0, float("nan")], "share_pct": [33.183857, 66.816143],
                        "ratio_to_minimum": [6.892502, 1.0], "population_65plus": [33508.0, 34393.0], "vacancies_fte": [3.24, 0.0]})
    shown = display_frame(bcf)
    assert list(shown.columns) == ["year", "pooled budget £", "share %", "pooled / NHS minimum", "population 65+", "vacancies FTE"]
    assert list(shown.iloc[0]) == ["2018-19", "111,500,000", "33.2%", "6.89", "33,508", "3.2"]
    assert list(shown.iloc[1]) == ["2019-20", "n/a", "66.8%", "1.00", "34,393", "0.0"]  # missing stays missing, never 0
    fees = display_frame(pd.DataFrame({"weekly_rate_gbp": [540.0, 1150.0], "annual_difference_gbp": [-161837.8674, 20.0]}))
    assert list(fees["weekly rate £"]) == ["540.00", "1,150.00"] and list(fees["annual difference £"]) == ["-161,838", "20"]
    one_row = display_frame(pd.DataFrame([{"packages_count": 2905, "weekly_cost_median_gbp": 412.2, "overdue_review_pct": 32.1,
                                           "a": 1, "b": 2, "c": 3}]))
    assert list(one_row.columns) == ["measure", "value"] and one_row.iloc[1].tolist() == ["weekly cost median £", "412.20"]
    suppressed = display_frame(pd.DataFrame({"count": ["2905", "<5"], "median_gbp": ["230.5", "<5"]}))
    assert list(suppressed["median £"]) == ["230.50", "<5"] and list(suppressed["count"]) == ["2,905", "<5"]
    marked = display_frame(pd.DataFrame({"fte": [1.5, 2.5], "illustrative": [True, False]}))
    assert list(marked["illustrative"]) == ["ILLUSTRATIVE", ""]
    assert list(display_frame(pd.DataFrame({"fte": [1.5], "illustrative": [False]})).columns) == ["FTE"]


def test_cells_holding_one_figure_are_right_aligned():
    from benchmark.report.html import align_numbers

    figures = ["1,234", "£9.89m", "-£22.13m", "-161,838", "33.2%", "&lt;5", "n/a", "540.00"]
    words = ["2018-19 to 2019-20", "social_worker", "£9.89m a week", "rank 1 of 16"]
    html = "".join(f"<td>{cell}</td>" for cell in figures + words)
    assert align_numbers(html) == "".join(f'<td class="num">{c}</td>' for c in figures) + "".join(f"<td>{c}</td>" for c in words)


def test_budget_section_reconciles_rolls_forward_and_splits_each_gap(southampton):
    reconciliation, scenarios, roll, gap = southampton.section("budget").tables
    # RO3 2024-25: Southampton's adult social care net current expenditure £116,594 thousand
    assert reconciliation.frame.iloc[-1]["net 2024-25 (reported)"] == "£116,594,000"
    assert set(reconciliation.frame["difference"]) == {"£0"}
    assert list(roll.frame["year"]) == ["2024-25", "2025-26", "2026-27"]
    assert roll.frame.iloc[0]["net"] == "£116.59m"
    totals = southampton.budget.totals
    assert len(gap.frame) == len(totals) - 1  # every scenario but the reference
    assert scenarios.frame.iloc[-1]["line"] == "Total (net)"
    for column in ("volume_effect_gbp", "price_effect_gbp"):
        assert totals[column].notna().all()
    assert (totals["volume_effect_gbp"] + totals["price_effect_gbp"] - totals["difference_gbp"]).abs().max() < 1e-3
    html = southampton.section("budget").to_html()
    assert "current_pattern" not in html and "staffing_at_comparator_ratio" not in html  # plain-English scenario names


def test_council_without_base_year_still_reports():
    # Buckinghamshire County Council was abolished in April 2020: no 2024-25 revenue outturn
    report = content.ReportContent.build({**DEFAULTS, "council": "E10000002", "comparator_method": "region"})
    assert report.budget is None
    assert "Buckinghamshire County Council replaced by the unitary Buckinghamshire Council" in report.budget_error
    html = report.section("budget").to_html()
    assert "No needs-based budget" in html and "see the report for Buckinghamshire" in html
    assert "Total (net)" not in html  # no total over lines that are all missing
    assert "no local data supplied" in report.section("workforce").to_html()
    assert content.council_tables(report)["budget_lines"]["note"].str.contains("no base budget").all()


def test_a_council_too_small_for_peers_is_told_why_its_group_is_its_region():
    # Isles of Scilly is excluded from statistical peer groups: its default group is its region
    report = content.ReportContent.build({**DEFAULTS, "council": "E06000053"})
    context = report.section("context").to_html()
    assert report.method == "region" and "Isles of Scilly is too small for statistical peers" in context
    assert "the other councils of the South West region" in context
    leeds = content.ReportContent.build({**DEFAULTS, "council": "E08000035", "comparator_method": "region"})
    assert "too small for statistical peers" not in leeds.section("context").to_html()  # region chosen, not forced


def test_the_directors_pages_carry_no_file_paths_codes_or_ids():
    """Every page a director or peer team reads (the report's sections and the pack), for councils with
    and without local files, a 2023 unitary and an abolished council: no file path, module, id or
    code, and no "nan"."""
    import html as html_module

    from benchmark.report.pack import pack_html

    for params in ({**DEFAULTS, "council": "E06000016", "comparator_method": "statistical"},
                   {**DEFAULTS, "council": "Southampton", "comparator_method": "nn"},
                   {**DEFAULTS, "council": "E06000001"}, {**DEFAULTS, "council": "E06000063"}, {**DEFAULTS, "council": "E10000009"}):
        report = content.ReportContent.build(params)
        for name, page in (("report", "".join(report.section(k).to_html() for k in content.SECTIONS)), ("pack", pack_html(report))):
            page = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
            text = html_module.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", " ", page)))
            where = (params["council"], name)
            assert not re.findall(r"\S+\.(?:py|toml|json|md|csv)\b", text.replace("metrics.csv", "").replace("budget.csv", "")), where
            assert "data/" not in text and "config/" not in text and "docs/" not in text, where
            assert not re.findall(r"\b[a-z]+_[a-z0-9]+(?:_[a-z0-9]+)*\b", text), where  # ids, codes, scenario names
            assert not re.findall(r"\bnan\b", text), where




# ----------------------------------------------------------------------------------------------
# charts
# ----------------------------------------------------------------------------------------------

def _values():
    return pd.Series({"Alpha": 10.0, "Beta": 14.0, "Gamma": 8.0, "Delta": 12.0})


@pytest.mark.parametrize("illustrative", [False, True])
def test_charts_alt_text_and_watermark(illustrative):
    label = content.short_fmt("gbp_per_head")
    made = [
        charts.ranked_bar(_values(), "Beta", 11.0, "Beta spends 27% more", label, "£ per head", illustrative),
        charts.funnel(pd.DataFrame({"value": [10.0, 14.0, 8.0, 12.0], "denominator": [1000, 2000, 1500, 3000]},
                                   index=["Alpha", "Beta", "Gamma", "Delta"]), "Beta", 11.0, 4.0, 1, False, "Funnel", label,
                      "£ per head", "population", illustrative),
        charts.time_series(pd.DataFrame({"council": [10.0, 12.0], "median": [11.0, 11.5]}, index=["2016-17", "2017-18"]),
                           "Beta", "Rose", label, "£ per head", illustrative),
        charts.budget_bars(pd.DataFrame({"current": [1e6, 2e6], "median": [1.2e6, 1.8e6]}, index=["Line A", "Line B"]),
                           "Budget", content.short_fmt("gbp"), illustrative),
        charts.simple_bars(pd.Series({"Band 1": 500.0, "Band 2": 650.0}), "Bands", label, "£ a week", illustrative),
    ]
    for fig, alt in made:
        assert isinstance(fig, charts.Figure)
        assert alt.strip()
        assert charts.has_watermark(fig) is illustrative
        html = charts.figure_html(fig, alt, "Source: test. Year: 2017-18.")
        assert html.startswith("<figure") and 'src="data:image/svg+xml;base64,' in html and "alt=" in html and "<figcaption" in html


def test_funnel_limits_match_the_metrics_engine(southampton):
    from benchmark.metrics import funnel, stats

    assert charts.funnel_limits is funnel.funnel_limits is stats.funnel_limits  # one formula, not a copy
    row = southampton.metric("gce_65plus_per_head_65plus_gbp")
    panel = southampton.shared.panel
    d = panel[(panel["council"] == "E06000045") & (panel["metric_id"] == "gce_65plus_per_head_65plus_gbp") & (panel["year"] == row["year"])]["denominator"]
    lower, upper = charts.funnel_limits(row["target"], row["tau2"], d.to_numpy(), 1, False, charts.Z95)
    assert lower[0] == pytest.approx(row["lower_95"]) and upper[0] == pytest.approx(row["upper_95"])
    # the dispersion used is reported under the chart
    assert "between-council standard deviation tau" in southampton.funnel_chart("gce_65plus_per_head_65plus_gbp")


# ----------------------------------------------------------------------------------------------
# shared results
# ----------------------------------------------------------------------------------------------

def test_prepare_and_load_shared(tmp_path, southampton):
    from benchmark.report.shared import load_shared, prepare_shared

    sets = [{**DEFAULTS, "council": "Southampton", "comparator_method": "nn"}, {**DEFAULTS, "council": "E06000016", "comparator_method": "region"}]
    out = prepare_shared(sets, tmp_path / "shared")
    assert (out / "index.json").is_file() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    started = time.perf_counter()
    shared = load_shared(out, sets[0])
    assert time.perf_counter() - started < 5
    report = content.ReportContent.build({**sets[0], "shared_dir": str(out)})
    pd.testing.assert_frame_equal(report.metrics, southampton.metrics)
    pd.testing.assert_frame_equal(report.budget.lines, southampton.budget.lines)
    assert shared.councils[("region", None, (), None)] == ["E06000016"]  # method, k, custom list, metric year


# ----------------------------------------------------------------------------------------------
# the notebook
# ----------------------------------------------------------------------------------------------

def test_notebook_parameters_cell_declares_exactly_the_parameters():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.cells[0].cell_type == "markdown"
    cell = nb.cells[1]
    assert "parameters" in cell.metadata.get("tags", [])
    declared = {}
    for node in ast.parse(cell.source).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1
        declared[node.targets[0].id] = ast.literal_eval(node.value)
    assert list(declared) == [p.name for p in PARAMETERS]
    for p in PARAMETERS:
        assert declared[p.name] == p.default and type(declared[p.name]) is type(p.default), p.name
    for c in nb.cells:  # committed without outputs
        assert not c.get("outputs") and not c.get("execution_count")


def test_notebook_runs_with_papermill(tmp_path):
    import papermill

    out = tmp_path / "southampton.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters={"council": "E06000045"}, kernel_name="python3",
                               cwd=str(ROOT), progress_bar=False, execution_timeout=600)
    import nbformat

    nb = nbformat.read(out, as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "Southampton spends" in html and "Glossary" in html
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def test_illustrative_note_distinguishes_a_real_figure_with_example_comparators():
    from benchmark.report.content import ILLUSTRATIVE_COMPARATORS_NOTE, ILLUSTRATIVE_NOTE, illustrative_note

    real_figure = {"illustrative": True, "value_illustrative": False, "comparators_illustrative": True}
    example_figure = {"illustrative": True, "value_illustrative": True, "comparators_illustrative": False}
    assert ILLUSTRATIVE_COMPARATORS_NOTE in illustrative_note(real_figure)
    assert ILLUSTRATIVE_NOTE in illustrative_note(example_figure)
    assert illustrative_note({"illustrative": False, "value_illustrative": False, "comparators_illustrative": False}) == ""


# ----------------------------------------------------------------------------------------------
# the spend section on the newest data: trends, breaks, budget against outturn
# ----------------------------------------------------------------------------------------------

def test_summary_and_spend_answer_budget_against_outturn(southampton):
    # RA 2023-24 £114,959k against RO3 2023-24 £111,474k: (111,474 - 114,959) / 114,959 = -3.03%
    summary = southampton.section("summary").paragraphs[0]
    assert summary.startswith("Spend: Southampton spends a similar amount per adult (18+)") and "2024-25" in summary
    assert ("Budget against outturn, 2023-24: Southampton spent £111.5m net on adult social care against a budget of £115.0m "
            "set before the year, 3.0% under budget") in summary
    table = southampton.budget_outturn_table().set_index("year")
    assert table.loc["2023-24", "% of budget"] == "-3.0%" and table.loc["2023-24", "budget (RA)"] == "£115.0m"
    assert "RSX" in table.loc["2021-22", "source"]  # no RO3 in the data for 2021-22: RSX's total, equal to RO3's


def test_net_spend_trend_has_every_year_and_marks_its_breaks(southampton):
    panel = southampton.shared.panel
    years = sorted(panel.loc[(panel["metric_id"] == "asc_net_per_head_18plus_gbp") & (panel["council"] == "E06000045")
                             & panel["value"].notna(), "year"])
    assert years[0] == "2017-18" and years[-1] == "2024-25" and "2021-22" in years
    html = southampton.trend_chart("asc_net_per_head_18plus_gbp")
    assert f"{years[0]} to {years[-1]}" in html  # the alt text walks every year
    for year in years:
        assert f"{year}: £" in html
    # the breaks: the years missing between RS and RSX, the change of publication, COVID-19
    for label in ("3 years not in the data", "RS to RSX", "COVID-19 (2021-22)", "RSX to RO3"):
        assert label in html, label
    assert "not adjusted for inflation" in html  # cash only: the data holds no price index
    breaks = southampton.series_breaks(["2017-18", "2021-22", "2022-23"],
                                       {"2017-18": "rs_2017_18", "2021-22": "rsx_2021_22", "2022-23": "ro3_2022_23"})
    assert breaks == [(0.5, "3 years not in the data; RS to RSX"), (1.0, "COVID-19 (2021-22)"), (1.5, "RSX to RO3")]


def test_older_asc_fr_detail_kept_and_dated(southampton):
    spend = southampton.section("spend")
    by_name = {t.name: t for t in spend.tables}
    assert {"spend_current", "budget_outturn", "spend", "unit_costs", "outcomes"} <= set(by_name)
    assert set(by_name["unit_costs"].frame["year"]) == {"2016-17"}
    assert "Dated" in by_name["unit_costs"].caption and "2016-17" in by_name["unit_costs"].caption
    assert set(by_name["spend_current"].frame["year"]) == {"2024-25"}
    long_term = by_name["spend"].frame.set_index("metric")
    assert long_term.loc["Gross current expenditure per head 65+: residential care", "year"] == "2023-24"


def test_illustrative_is_decided_per_figure_and_the_index_names_them():
    # Hartlepool has no files of its own: its staff ratio and BCF figures come from the generated national
    # example files (ILLUSTRATIVE), its published spend does not
    from benchmark.report.index import headline_cells

    report = content.ReportContent.build({**DEFAULTS, "council": "E06000001"})
    h = content.headlines(report)
    assert "Adult social care staff per 1,000 population aged 65+" in h["illustrative_figures"]
    assert "Net spend on adult social care per head 18+" not in h["illustrative_figures"]
    assert not report.metric("asc_net_per_head_18plus_gbp")["illustrative"]
    cell = headline_cells(h)["illustrative data"]
    assert cell.startswith("ILLUSTRATIVE: ") and "staff per 1,000" in cell
    sources = report.sources_table()
    local = sources[sources["id"] == "local"]
    assert len(local) and not local["caveats"].str.contains("supplied by the council").any()  # examples, not the council's
    assert local["source"].str.startswith("national comparator").all()


def test_the_packages_headline_keeps_its_illustrative_mark_when_a_year_is_set():
    report = content.ReportContent.build({**DEFAULTS, "council": "Southampton", "year": "2017-18"})
    assert report.section("packages").title.endswith("(ILLUSTRATIVE)")


def test_trends_in_real_terms_use_the_councils_price_index(southampton):
    # £100 in 2023-24 at index 80 is £125 in 2024-25 prices (index 100); the median and middle half likewise
    frame = pd.DataFrame({"council": [100.0, 200.0], "median": [80.0, 160.0], "q1": [40.0, 80.0], "q3": [120.0, 240.0]},
                         index=pd.Index(["2023-24", "2024-25"], name="year"))
    southampton.params["price_index"] = {"2023-24": 80, "2024-25": 100}
    try:
        terms, note = southampton._real_terms(frame, "gbp_per_head")
        assert terms == "real terms (2024-25 prices)" and note.startswith("Real terms: 2024-25 prices")
        assert frame["council"].tolist() == [125.0, 200.0] and frame["median"].tolist() == [100.0, 160.0]
        southampton.params["price_index"] = {"2024-25": 100}  # 2023-24 missing: cash, saying why
        terms, note = southampton._real_terms(frame.copy(), "gbp_per_head")
        assert terms == "cash" and "no value for 2023-24" in note
    finally:
        southampton.params["price_index"] = {}


@pytest.mark.parametrize(("index", "message"), [
    ({"2023": 80}, "price_index: '2023' is not a financial year"),
    ({"2023-24": -1}, "price_index 2023-24: expected a positive index number, found -1"),
])
def test_a_bad_price_index_is_one_line(index, message):
    from benchmark.report.parameters import check_parameters

    with pytest.raises(UserError) as excinfo:
        check_parameters({"council": "E06000045", "price_index": index}, "parameters/E06000045.yml")
    assert message in str(excinfo.value) and "\n" not in str(excinfo.value)
