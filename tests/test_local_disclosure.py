"""Disclosure: no output built on a package extract carries a package id or shows a count below 5."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.data.store import load_tables
from benchmark.local import compute, schemas
from benchmark.local.disclosure import SUPPRESSED, protect_crosstab, recoverable_cells, safe_count
from benchmark.local.examples import LEICESTER, fee_examples, packages_example
from benchmark.local.panel import LocalParams, local_metric_panel, local_summary

COUNT_COLUMNS = {"count", "packages_count", "high_cost_count", "overdue_review_count"}


@pytest.fixture(scope="module")
def tables():
    return load_tables()


def test_crosstab_complementary_suppression_hand_worked():
    counts = pd.DataFrame({"a": [10, 20], "b": [3, 8], "c": [12, 9]}, index=["x", "y"])
    shown = protect_crosstab(counts)
    # primary: x.b = 3.  Row x then has one hidden cell -> hide its smallest other inner cell x.a (10 < 12);
    # column b -> hide y.b (8); column a (x.a hidden) -> hide y.a (20).  Every line now has 0 or 2 hidden.
    hidden = {(r, c) for r in shown.index for c in shown.columns if shown.loc[r, c] == SUPPRESSED}
    assert hidden == {("x", "a"), ("x", "b"), ("y", "a"), ("y", "b")}
    # totals: rows 25 and 37, columns 30, 11, 21, grand 62 all shown
    assert shown.loc["x", "all"] == 25 and shown.loc["all", "b"] == 11 and shown.loc["all", "all"] == 62
    assert recoverable_cells(shown) == []


def test_safe_count_complement():
    assert safe_count(4, 100) == SUPPRESSED and safe_count(97, 100) == SUPPRESSED and safe_count(5, 10) == 5


def _extract(tables, tmp_path: Path, n_small: int) -> tuple[Path, list[str]]:
    """A generated extract (Leicester-sized) plus ``n_small`` packages in rare cells, written as a council folder."""
    rng = np.random.default_rng(7)
    bands, placements = fee_examples(rng, tables, LEICESTER)
    packages = packages_example(rng, placements, bands)
    rare = packages.head(n_small).copy()
    rare["package_id"] = [f"RARE{i:03d}" for i in range(n_small)]
    rare["setting"], rare["primary_support_reason"], rare["age_band"] = "day_care", "sensory", "18-64"
    rare["weekly_cost_gbp"] = 5000.0  # high-cost and rare
    packages = pd.concat([packages, rare], ignore_index=True)
    folder = tmp_path / "local" / LEICESTER
    folder.mkdir(parents=True)
    packages.to_csv(folder / "packages.csv", index=False)
    return tmp_path / "local", list(packages["package_id"])


def _serialise(obj) -> str:
    if isinstance(obj, pd.DataFrame):
        buf = io.StringIO()
        obj.to_csv(buf)
        return buf.getvalue() + obj.to_json(orient="records", date_format="iso") + obj.to_string()
    if isinstance(obj, dict):
        return "".join(_serialise(v) for v in obj.values()) + json.dumps(obj, default=str) + str(obj)
    return str(obj)


def _shown_counts(obj) -> list:
    if isinstance(obj, dict):
        return [v for k, v in obj.items() if k in COUNT_COLUMNS] + [x for v in obj.values() if isinstance(v, pd.DataFrame) for x in _shown_counts(v)]
    return [v for c in obj.columns if c in COUNT_COLUMNS for v in obj[c]]


@pytest.mark.parametrize("n_small", [0, 3])
def test_no_package_id_and_no_small_count_in_any_output(tables, tmp_path, n_small):
    root, ids = _extract(tables, tmp_path, n_small)
    params = LocalParams(reference_date="2019-03-31", high_cost_threshold_gbp=4000)
    packages = schemas.read_packages(root / LEICESTER / "packages.csv")
    outputs = {
        "headlines": compute.package_headlines(packages, high_cost_threshold_gbp=4000, reference_date="2019-03-31"),
        "by_reason": compute.package_distribution(packages, "primary_support_reason"),
        "by_age": compute.package_distribution(packages, "age_band"),
        "by_funding": compute.package_distribution(packages, "funding"),
        "panel": local_metric_panel(tables, root, params),
        "summary": local_summary(tables, LEICESTER, root, params),
    }
    text = _serialise(outputs)
    leaked = [i for i in ids if i in text]
    assert leaked == []
    counts = _shown_counts(outputs) + _shown_counts(outputs["summary"])
    assert counts, "no count columns found: the check would be vacuous"
    assert all(c == SUPPRESSED or int(c) >= 5 for c in counts)
    # panel numerators/denominators of package metrics are counts too
    panel = outputs["panel"]
    pkg = panel[panel["metric_id"].str.startswith("package")]
    for col in ("numerator", "denominator"):
        assert ((pkg[col].isna()) | (pkg[col] >= 5)).all()
    for table in (outputs["by_reason"], outputs["by_age"], outputs["by_funding"]):
        grid = table.pivot(index="setting", columns=table.columns[1], values="count")
        assert recoverable_cells(grid) == []
        # statistics only where the count is shown
        assert (table.loc[table["count"] == SUPPRESSED, ["median_gbp", "q1_gbp", "q3_gbp"]] == SUPPRESSED).all().all()
    if n_small:  # 3 packages at £5,000 >= £4,000 threshold: the high-cost count is suppressed
        assert outputs["headlines"]["high_cost_count"] == SUPPRESSED


def test_tiny_extract_is_fully_suppressed(tables, tmp_path):
    folder = tmp_path / "local" / LEICESTER
    folder.mkdir(parents=True)
    (folder / "packages.csv").write_text(
        "package_id,age_band,primary_support_reason,setting,weekly_cost_gbp,start_date,last_review_date,funding\n"
        "SECRET1,65-74,physical,home_care,200,2017-01-01,2018-06-01,council\n"
        "SECRET2,75-84,physical,home_care,300,2016-05-01,,council\n")
    panel = local_metric_panel(tables, tmp_path / "local", LocalParams(reference_date="2019-03-31"))
    rows = panel[(panel["council"] == LEICESTER) & panel["metric_id"].str.startswith("package")]
    assert rows["value"].isna().all() and rows["missing_reason"].str.startswith("suppressed").all()
    summary = local_summary(tables, LEICESTER, tmp_path / "local", LocalParams(reference_date="2019-03-31"))
    text = _serialise(summary) + _serialise(panel)
    assert "SECRET" not in text
    assert summary["package_headlines"].iloc[0]["packages_count"] == SUPPRESSED
