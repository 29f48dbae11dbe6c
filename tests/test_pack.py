"""The peer team's pre-reading pack (``report --pack peer``), the registry's themes and the PDFs."""
from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmark.metrics.registry import CQC_THEMES, KEY_AREAS, METRICS, metric_table
from benchmark.report.pdf import find_chromium, page_count

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
SOUTHAMPTON, LEICESTER = "E06000045", "E06000016"


# ----------------------------------------------------------------------------------------------
# the registry: every metric's themes, the ASCOF measures of the newest year
# ----------------------------------------------------------------------------------------------

def test_every_metric_has_a_valid_key_area_and_cqc_theme():
    for definition in METRICS:
        assert definition["key_areas"], definition["id"]
        assert set(definition["key_areas"]) <= set(KEY_AREAS), definition["id"]
        assert definition["cqc_themes"], definition["id"]
        assert set(definition["cqc_themes"]) <= set(CQC_THEMES), definition["id"]
    assert len(KEY_AREAS) == 8 and len(CQC_THEMES) == 4
    used = {area for m in METRICS for area in m["key_areas"]}
    assert used == set(KEY_AREAS)  # no key area without a figure
    assert {theme for m in METRICS for theme in m["cqc_themes"]} == set(CQC_THEMES)


@pytest.mark.parametrize("metric_id, code", [
    ("ascof_quality_of_life_score", "1A"), ("ascof_control_over_daily_life_pct", "3A"), ("ascof_carer_quality_of_life_score", "1C"),
    ("ascof_feel_safe_pct", "4A"), ("ascof_easy_to_find_information_pct", "3C1"), ("ascof_reablement_at_home_91_days_pct", "2D1"),
    ("ascof_reablement_offered_pct", "2D2"), ("ascof_direct_payments_pct", "3D2A"),
])
def test_ascof_measures_of_the_newest_year_equal_the_published_file(tables, metric_id, code):
    from benchmark.metrics.compute import metric_panel

    trend = pd.read_csv(RAW / "ascof" / "trend_data.csv", dtype=str)
    published = trend[(trend["Year"] == "2023-24") & (trend["ONS Code"] == SOUTHAMPTON) & (trend["Measure Group"] == code)]
    panel = metric_panel(tables)
    row = panel[(panel["metric_id"] == metric_id) & (panel["council"] == SOUTHAMPTON) & (panel["year"] == "2023-24")]
    assert len(row) == 1 and row["value"].iloc[0] == float(published["Measure_Value"].iloc[0])
    assert metric_table().loc[metric_id, "kind"] == "level"  # survey percentages and scores: no denominator in the file


def test_direct_payments_leave_out_the_carers_rows_published_under_the_peoples_wording(tables):
    from benchmark.metrics.compute import metric_panel

    panel = metric_panel(tables)
    rows = panel[(panel["metric_id"] == "ascof_direct_payments_pct") & (panel["year"] == "2019-20")]
    assert not rows.duplicated(["council"]).any()
    assert rows.loc[rows["council"] == SOUTHAMPTON, "value"].iloc[0] < 100  # the carers' measure is near 100%


# ----------------------------------------------------------------------------------------------
# a two-council run with --pack peer --pdf
# ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def packed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack") / "out"
    result = subprocess.run([sys.executable, "-m", "benchmark", "report", SOUTHAMPTON, LEICESTER, "--out", str(out), "--jobs", "2",
                             "--pack", "peer", "--pdf"], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def visible_text(page: str) -> str:
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def questions(page: str) -> list[str]:
    return [html.unescape(q) for block in re.findall(r'<ol class="questions">(.*?)</ol>', page, flags=re.S)
            for q in re.findall(r"<li>(.*?)</li>", block, flags=re.S)]


@pytest.mark.slow
def test_pack_written_with_the_eight_key_areas_and_the_cqc_view(packed_run):
    out, result = packed_run
    page = (out / SOUTHAMPTON / "pack.html").read_text(encoding="utf-8")
    for number, title in enumerate(KEY_AREAS.values(), start=1):
        assert f'id="area-{number}">{number}. {html.escape(title)}</h2>' in page, title
    for title in CQC_THEMES.values():
        assert f"<h3>{html.escape(title)}</h3>" in page, title
    assert str(out / SOUTHAMPTON / "pack.html") in result.stdout
    assert "ILLUSTRATIVE" in page  # Southampton's workforce and fee files are generated examples
    text = visible_text(page)
    assert "Adult Social Care Outcomes Framework" in text and "Revenue Outturn" in text  # sources by publication
    assert "the 15 councils of its nearest-neighbour set" in text or "nearest councils on need" in text or "councils" in text


@pytest.mark.slow
def test_questions_name_real_figures(packed_run):
    out, _ = packed_run
    page = (out / SOUTHAMPTON / "pack.html").read_text(encoding="utf-8")
    asked = questions(page)
    assert len(asked) >= 8  # two or three in most key areas
    # RO3 2024-25 net current expenditure £116,594 thousand / ONS mid-2024 population aged 18+ 208,483
    hand_worked = f"£{116_594_000 / 208_483:,.2f}"
    assert hand_worked == "£559.25"
    # net spend per adult is not a finding for Southampton, so it is set beside one as similar, never higher or lower
    assert any(f"net spend on adult social care per head 18+ is similar to theirs ({hand_worked} against a median of" in q for q in asked)
    from benchmark.report.formatting import fmt

    metrics = pd.read_csv(out / SOUTHAMPTON / "metrics.csv").set_index("id")
    worse = metrics[metrics["rag"].isin(["RED", "AMBER"])]
    named = [metric_id for metric_id, row in worse.iterrows()
             if any(f"{fmt(row['value'], row['unit'])} against a median of {fmt(row['median'], row['unit'])}" in q for q in asked)]
    assert named, "no RED or AMBER finding is asked about with its figures"
    for question in asked:
        assert question.rstrip().endswith(("?", ".")), question
        assert re.search(r"\d", question), question  # every question rests on figures


@pytest.mark.slow
@pytest.mark.parametrize("council", [SOUTHAMPTON, LEICESTER])
def test_pack_has_no_ids_codes_or_paths(packed_run, council):
    out, _ = packed_run
    text = visible_text((out / council / "pack.html").read_text(encoding="utf-8"))
    for metric_id in metric_table().index:
        assert metric_id not in text, metric_id
    for fragment in (".py", ".csv", ".toml", ".json", "data/", "NN.json", council, "gbp", "per_head"):
        assert fragment not in text, fragment
    assert not re.search(r"\b(?:nan|NaN)\b|\bNone\b(?! of)", text)  # missing values are n/a
    assert re.findall(r"\b[a-z]+_[a-z0-9_]+\b", text) == []  # no snake_case words


@pytest.mark.slow
def test_two_council_run_lists_both_packs_in_the_index_and_manifest(packed_run):
    out, _ = packed_run
    index = (out / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["pack"] == "peer"
    for council in (SOUTHAMPTON, LEICESTER):
        assert (out / council / "pack.html").is_file()
        assert f'href="{council}/pack.html"' in index
        entry = next(c for c in manifest["councils"] if c["code"] == council)
        assert "pack.html" in entry["files"] and "pack" in entry["timings_s"]


@pytest.mark.slow
def test_pdfs_where_chromium_is_installed(packed_run):
    out, result = packed_run
    if find_chromium() is None:
        assert "Chromium is not installed" in result.stderr
        assert not (out / SOUTHAMPTON / "pack.pdf").exists()
        pytest.skip("chromium is not installed (apt-get install chromium to run this check)")
    for council in (SOUTHAMPTON, LEICESTER):
        for name in ("pack.pdf", "report.pdf"):
            pdf = out / council / name
            assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF"), pdf
    pages = page_count(out / SOUTHAMPTON / "pack.pdf")
    assert 4 <= pages <= 12, pages  # the aim is 6-10 printed pages; a margin for changes in the data
    assert page_count(out / SOUTHAMPTON / "report.pdf") > pages
