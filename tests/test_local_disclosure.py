"""Disclosure: no output built on a package extract carries a package id, shows a count below 5,
or lets an attacker work a hidden count out from the figures that are shown."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from benchmark.data.store import load_tables
from benchmark.local import compute, schemas
from benchmark.local.disclosure import (
    NOTE_COLUMN,
    PROTECTS_SMALL_COUNT,
    SMALL_COUNT,
    ProtectedTable,
    labels_from_note,
    protect_count,
    protect_crosstab,
)
from benchmark.local.examples import LEICESTER, fee_examples, packages_example
from benchmark.local.panel import LocalParams, local_metric_panel, local_summary
from benchmark.report.workbook import write_workbook

COUNT_COLUMNS = {"count", "packages_count", "high_cost_count", "overdue_review_count"}


@pytest.fixture(scope="module")
def tables():
    return load_tables()


# ----------------------------------------------------------------------------------------------
# the attacker: everything the published table says, and what it gives away
# ----------------------------------------------------------------------------------------------

def attack(shown: pd.DataFrame, labels: pd.DataFrame) -> dict[tuple, tuple[float, float]]:
    """Every hidden cell's lowest and highest possible value, from what a reader of the page knows.

    Written apart from benchmark.local.disclosure, as an attacker would: the shown figures, that
    every row and column (the last of each being its total) adds up, that counts are whole and
    not negative, and what the labels say ('<5' is 0 to 4; a cell suppressed to protect one was
    shown-sized, at least 5).  Each hidden cell is minimised and maximised by linear programming
    over all hidden cells at once, so recovery through several rows and columns together counts.
    """
    values = shown.to_numpy(dtype=float, na_value=np.nan)
    label = labels.to_numpy()
    unknown = [tuple(int(i) for i in cell) for cell in np.argwhere(np.isnan(values))]
    index = {cell: k for k, cell in enumerate(unknown)}
    n_rows, n_cols = values.shape
    lines = [[(r, c) for c in range(n_cols)] for r in range(n_rows)] + [[(r, c) for r in range(n_rows)] for c in range(n_cols)]
    a_eq, b_eq = [], []
    for line in lines:  # inner cells - total = 0
        coefficients, constant = np.zeros(len(unknown)), 0.0
        for position, cell in enumerate(line):
            sign = -1.0 if position == len(line) - 1 else 1.0
            if cell in index:
                coefficients[index[cell]] += sign
            else:
                constant += sign * values[cell]
        if coefficients.any():
            a_eq.append(coefficients)
            b_eq.append(-constant)
    bounds = [(0, 4) if label[cell] == SMALL_COUNT else (5, None) for cell in unknown]
    found = {}
    for k, cell in enumerate(unknown):
        objective = np.zeros(len(unknown))
        objective[k] = 1.0
        low = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds)
        high = linprog(-objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds)
        assert low.status == 0, "the published table contradicts itself"
        found[(shown.index[cell[0]], shown.columns[cell[1]])] = (low.fun, -high.fun if high.status == 0 else np.inf)
    return found


def recovered(shown: pd.DataFrame, labels: pd.DataFrame) -> list[tuple]:
    """Hidden cells whose value the attacker pins down exactly (one whole number possible)."""
    return [cell for cell, (low, high) in attack(shown, labels).items() if np.floor(high + 1e-9) <= np.ceil(low - 1e-9)]


def recovered_by_algebra(shown: pd.DataFrame) -> list[tuple]:
    """Hidden cells fixed by the row and column equations alone (no bounds): a cell is determined
    exactly when its unit vector lies in the row space of the equations over the hidden cells."""
    values = shown.to_numpy(dtype=float, na_value=np.nan)
    unknown = [tuple(int(i) for i in cell) for cell in np.argwhere(np.isnan(values))]
    n_rows, n_cols = values.shape
    lines = [[(r, c) for c in range(n_cols)] for r in range(n_rows)] + [[(r, c) for r in range(n_rows)] for c in range(n_cols)]
    matrix = np.array([[1.0 if cell in line else 0.0 for cell in unknown] for line in lines])
    rank = np.linalg.matrix_rank(matrix)
    out = []
    for k, cell in enumerate(unknown):
        unit = np.zeros((1, len(unknown)))
        unit[0, k] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            out.append((shown.index[cell[0]], shown.columns[cell[1]]))
    return out


def _with_margins(counts: pd.DataFrame) -> pd.DataFrame:
    table = counts.copy()
    table["all"] = table.sum(axis=1)
    table.loc["all"] = table.sum(axis=0)
    return table


def primary_only(counts: pd.DataFrame) -> ProtectedTable:
    """A deliberately weak protection: hide counts below 5 and nothing else."""
    table = _with_margins(counts)
    small = table < 5
    return ProtectedTable(table.mask(small).astype("Int64"), pd.DataFrame(np.where(small, SMALL_COUNT, ""), table.index, table.columns))


def single_equation_only(counts: pd.DataFrame) -> ProtectedTable:
    """Complementary suppression that only looks at one row or column at a time (the old rule)."""
    table = _with_margins(counts)
    values = table.to_numpy()
    primary = values < 5
    hidden = primary.copy()
    n_rows, n_cols = values.shape
    lines = [[(r, c) for c in range(n_cols)] for r in range(n_rows)] + [[(r, c) for r in range(n_rows)] for c in range(n_cols)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(hidden[m] for m in line) == 1:
                shown_cells = [m for m in line if not hidden[m]]
                inner = [m for m in shown_cells if m[0] < n_rows - 1 and m[1] < n_cols - 1]
                hidden[min(inner or shown_cells, key=lambda m: values[m])] = True
                changed = True
    labels = np.where(primary, SMALL_COUNT, np.where(hidden, PROTECTS_SMALL_COUNT, ""))
    return ProtectedTable(table.mask(hidden).astype("Int64"), pd.DataFrame(labels, table.index, table.columns))


HAND_MADE = pd.DataFrame({"a": [10, 20], "b": [3, 8], "c": [12, 9]}, index=["x", "y"])
# x.a = 0 and x.b = 5: one row and one column at a time cannot recover either, but a reader who
# knows '<5' is 0 to 4 and a protecting cell at least 5 gets x.a + x.b = 17 - 12 = 5, so x.a = 0, x.b = 5.
PINNED_BY_LABELS = pd.DataFrame({"a": [0, 20], "b": [5, 8], "c": [12, 9]}, index=["x", "y"])


def test_crosstab_labels_hand_worked():
    protected = protect_crosstab(HAND_MADE)
    # primary: x.b = 3.  Row x then has one hidden cell -> hide its smallest other inner cell x.a (10 < 12);
    # column b -> hide y.b (8); column a (x.a hidden) -> hide y.a (20).  Every line now has 0 or 2 hidden.
    labels = protected.labels
    assert labels.loc["x", "b"] == SMALL_COUNT
    assert {(r, c) for r in labels.index for c in labels.columns if labels.loc[r, c] == PROTECTS_SMALL_COUNT} == {
        ("x", "a"), ("y", "a"), ("y", "b")}
    # hidden counts are missing, not text; totals rows 25 and 37, columns 30, 11, 21, grand 62 all shown
    assert protected.counts.loc[["x", "y"], ["a", "b"]].isna().all().all()
    assert str(protected.counts.dtypes.iloc[0]) == "Int64"
    assert protected.counts.loc["x", "all"] == 25 and protected.counts.loc["all", "b"] == 11 and protected.counts.loc["all", "all"] == 62
    # the attacker: with t = x.b, x.a = 13 - t, y.a = 17 + t, y.b = 11 - t, and t in 0..4 (all others >= 5 hold)
    bounds = attack(protected.counts, labels)
    assert bounds == {("x", "a"): (9, 13), ("x", "b"): (0, 4), ("y", "a"): (17, 21), ("y", "b"): (7, 11)}


def test_attacker_recovers_cells_from_weak_suppression():
    """The attacker is not toothless: it breaks primary-only suppression and the one-line-at-a-time rule."""
    weak = primary_only(HAND_MADE)
    assert recovered(weak.counts, weak.labels) == [("x", "b")]  # 25 - 10 - 12 = 3
    assert recovered_by_algebra(weak.counts) == [("x", "b")]
    old = single_equation_only(PINNED_BY_LABELS)
    # x.a = 0, x.b = 5 (see PINNED_BY_LABELS); then columns a (20) and b (13) give y.a = 20, y.b = 8
    assert set(recovered(old.counts, old.labels)) == {("x", "a"), ("x", "b"), ("y", "a"), ("y", "b")}
    # Several equations together, no labels needed: two hidden 2 x 2 blocks (x,y by a,b and z,w by
    # c,d) joined by x.c.  Every row and column has 0, 2 or 3 hidden cells, so no subtraction
    # gives one away, but x.c lies on no cycle of hidden cells: rows x + y minus columns a + b
    # leave x.c = (R_x + R_y - x.d - y.c - y.d) - (C_a + C_b - z.a - w.a - z.b - w.b).
    counts = pd.DataFrame(np.full((4, 4), 10), index=["x", "y", "z", "w"], columns=["a", "b", "c", "d"])
    bridged = _with_margins(counts).astype("Int64")
    for cell in [("x", "a"), ("x", "b"), ("y", "a"), ("y", "b"), ("z", "c"), ("z", "d"), ("w", "c"), ("w", "d"), ("x", "c")]:
        bridged.loc[cell] = pd.NA
    lines = [bridged.loc[r] for r in bridged.index] + [bridged[c] for c in bridged.columns]
    assert all(int(line.isna().sum()) != 1 for line in lines)
    assert recovered_by_algebra(bridged) == [("x", "c")]
    labels = pd.DataFrame(np.where(bridged.isna(), PROTECTS_SMALL_COUNT, ""), bridged.index, bridged.columns)
    assert recovered(bridged, labels) == [("x", "c")]
    # and protect_crosstab, given a table whose small counts sit there, leaves no such bridge
    counts.loc["x", "c"] = 2
    protected = protect_crosstab(counts)
    assert recovered(protected.counts, protected.labels) == [] and recovered_by_algebra(protected.counts) == []


@pytest.mark.parametrize("counts", [HAND_MADE, PINNED_BY_LABELS], ids=["hand_made", "pinned_by_labels"])
def test_no_hidden_cell_recoverable_hand_made(counts):
    protected = protect_crosstab(counts)
    assert protected.hidden.any().any()
    assert recovered(protected.counts, protected.labels) == []


def test_no_hidden_cell_recoverable_random_tables():
    """Many small tables with small counts, as a package extract's setting x group tables are."""
    rng = np.random.default_rng(14)
    checked = 0
    for _ in range(60):
        shape = (int(rng.integers(2, 6)), int(rng.integers(2, 6)))
        counts = pd.DataFrame(rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 30], size=shape, p=[.1, .1, .1, .1, .1, .1, .1, .1, .1, .1]))
        protected = protect_crosstab(counts)
        assert recovered(protected.counts, protected.labels) == [], counts
        checked += int(protected.hidden.to_numpy().sum())
    assert checked > 100  # the check saw many hidden cells


def test_protect_count_labels():
    assert protect_count(4, 100).label == SMALL_COUNT and protect_count(4, 100).value is None
    assert protect_count(97, 100).label == PROTECTS_SMALL_COUNT and protect_count(97, 100).value is None
    assert protect_count(5, 10).value == 5 and protect_count(5, 10).label == ""


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


def _hidden_labels(frame_or_dict) -> list[str]:
    """Every label of a hidden figure in an output (from its disclosure notes)."""
    if isinstance(frame_or_dict, dict):
        return list(labels_from_note(frame_or_dict.get(NOTE_COLUMN)).values())
    if NOTE_COLUMN not in frame_or_dict.columns:
        return []
    return [label for text in frame_or_dict[NOTE_COLUMN] for label in labels_from_note(text).values()]


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
    # a hidden count is missing (a number column stays numbers); a shown one is at least 5
    assert all(isinstance(c, (int, float, np.integer, np.floating)) or c is pd.NA for c in counts)
    assert all(pd.isna(c) or c >= 5 for c in counts)
    # panel numerators/denominators of package metrics are counts too
    panel = outputs["panel"]
    pkg = panel[panel["metric_id"].str.startswith("package")]
    for col in ("numerator", "denominator"):
        assert ((pkg[col].isna()) | (pkg[col] >= 5)).all()
    for table in (outputs["by_reason"], outputs["by_age"], outputs["by_funding"]):
        by = table.columns[1]
        shown = table.pivot(index="setting", columns=by, values="count")
        labels = table.assign(label=[labels_from_note(t).get("count", "") for t in table[NOTE_COLUMN]]).pivot(
            index="setting", columns=by, values="label")
        order = [i for i in shown.index if i != "all"] + ["all"]
        columns = [c for c in shown.columns if c != "all"] + ["all"]
        shown, labels = shown.loc[order, columns], labels.loc[order, columns]
        assert recovered(shown, labels) == []
        # statistics only where the count is shown, and labelled where not
        hidden = table["count"].isna()
        assert table.loc[hidden, ["median_gbp", "q1_gbp", "q3_gbp"]].isna().all().all()
        assert all(labels_from_note(t)["median_gbp"] == PROTECTS_SMALL_COUNT for t in table.loc[hidden, NOTE_COLUMN])
        assert (table.loc[~hidden, NOTE_COLUMN] == "").all()
    if n_small:  # 3 packages at £5,000 >= £4,000 threshold: the high-cost count is hidden as a small count
        head = outputs["headlines"]
        assert np.isnan(head["high_cost_count"]) and np.isnan(head["high_cost_annual_gbp"])
        assert labels_from_note(head[NOTE_COLUMN]) == {"high_cost_count": SMALL_COUNT, "high_cost_annual_gbp": PROTECTS_SMALL_COUNT}


THREE_PACKAGES = (
    "package_id,age_band,primary_support_reason,setting,weekly_cost_gbp,start_date,last_review_date,funding\n"
    "SECRET1,65-74,physical,home_care,200,2017-01-01,2018-06-01,council\n"
    "SECRET2,75-84,physical,home_care,300,2016-05-01,,council\n"
    "SECRET3,85+,memory_and_cognition,nursing,900,2018-05-01,2018-09-01,joint\n")


def test_three_package_extract_is_hidden_not_text(tables, tmp_path):
    """Item 2 of issue 14: a 3-row extract used to put '<5' into number columns and break the report."""
    folder = tmp_path / "local" / LEICESTER
    folder.mkdir(parents=True)
    (folder / "packages.csv").write_text(THREE_PACKAGES)
    params = LocalParams(reference_date="2019-03-31")
    panel = local_metric_panel(tables, tmp_path / "local", params)
    rows = panel[(panel["council"] == LEICESTER) & panel["metric_id"].str.startswith("package")]
    assert rows["value"].isna().all() and rows["missing_reason"].str.startswith("suppressed").all()
    summary = local_summary(tables, LEICESTER, tmp_path / "local", params)
    assert "SECRET" not in _serialise(summary) + _serialise(panel)
    head = summary["package_headlines"]
    figures = head.drop(columns=["reference_date", "year", NOTE_COLUMN])
    assert all(dtype.kind in "fi" for dtype in figures.dtypes)  # numbers, hidden ones NaN: nothing to float() fail on
    labels = labels_from_note(head.iloc[0][NOTE_COLUMN])
    # 3 packages: the count and every count beside it are below 5; money and medians rest on them
    assert {k for k, v in labels.items() if v == SMALL_COUNT} == {"packages_count", "high_cost_count", "overdue_review_count"}
    assert {k for k, v in labels.items() if v == PROTECTS_SMALL_COUNT} == {
        "weekly_cost_median_gbp", "weekly_cost_q1_gbp", "weekly_cost_q3_gbp", "annual_cost_gbp", "high_cost_annual_gbp",
        "overdue_review_pct", "overdue_review_annual_gbp"}
    assert figures[list(labels)].isna().all().all()
    assert head.iloc[0]["high_cost_threshold_gbp_per_week"] == 1000 and head.iloc[0]["review_months"] == 12
    by_reason = summary["package_distribution_by_reason"]
    assert str(by_reason["count"].dtype) == "Int64" and by_reason["count"].isna().all()  # every cell is 1, 2 or 3


def test_page_labels_and_workbook_for_three_packages(tables, tmp_path):
    """The report's package tables for the 3-row extract: labels on the page (explained in the
    caption), empty cells beside a note column in tables.xlsx, numbers still numbers."""
    import openpyxl

    from benchmark.local.disclosure import CAPTION
    from benchmark.report import content

    local = tmp_path / "local" / LEICESTER
    local.mkdir(parents=True)
    (local / "packages.csv").write_text(THREE_PACKAGES)
    summary = local_summary(tables, LEICESTER, tmp_path / "local", LocalParams(reference_date="2019-03-31"))
    frames = {"package_headlines": summary["package_headlines"], "packages_by_reason": summary["package_distribution_by_reason"]}
    html = "".join(content.Table(name, frame, CAPTION).to_html() for name, frame in frames.items())
    assert "SECRET" not in html and "disclosure note" not in html
    # packages count is a '<5'; the median rests on it
    assert html.count(">&lt;5<") >= 3 and ">suppressed (protects a small count)<" in html
    assert "cannot be worked out from the totals" in CAPTION
    write_workbook(frames, tmp_path / "tables.xlsx")
    book = openpyxl.load_workbook(tmp_path / "tables.xlsx")
    sheet = book["packages_by_reason"]
    header = [c.value for c in sheet[1]]
    count, note = header.index("count"), header.index("disclosure note")  # headers in words
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert body and all(row[count] is None for row in body)
    assert all(row[note].startswith(f"count: {SMALL_COUNT}") for row in body)
    headline = book["package_headlines"]
    names = [c.value for c in headline[1]]
    values = dict(zip(names, next(headline.iter_rows(min_row=2, values_only=True)), strict=True))
    assert values["packages (count)"] is None and values["high cost threshold (£ a week)"] == 1000
    assert "packages (count), high cost (count), overdue review (count): <5" in values["disclosure note"]
    assert all(not isinstance(v, str) for k, v in values.items() if k.endswith(("(count)", "(£)", "(%)")))


def test_mixed_table_shows_both_labels():
    """A hand-made distribution table: a count of 3 is '<5', a count of 30 hidden beside it is not."""
    from benchmark.report.formatting import display_frame

    packages = pd.DataFrame({
        "setting": ["home_care"] * 33 + ["nursing"] * 14,
        "age_band": ["65-74"] * 3 + ["75-84"] * 30 + ["65-74"] * 6 + ["75-84"] * 8,
        "weekly_cost_gbp": [100.0] * 47,
    })
    table = compute.package_distribution(packages, "age_band").set_index(["setting", "age_band"])
    # home_care 65-74 = 3 (primary); row home_care has one hidden -> its smallest other inner cell, 75-84 = 30;
    # column 65-74 -> nursing 65-74 = 6; column 75-84 -> nursing 75-84 = 8; margins 33, 14, 9, 38, 47 shown.
    labels = {key: labels_from_note(text).get("count", "") for key, text in table[NOTE_COLUMN].items()}
    assert labels[("home_care", "65-74")] == SMALL_COUNT
    assert labels[("home_care", "75-84")] == labels[("nursing", "65-74")] == labels[("nursing", "75-84")] == PROTECTS_SMALL_COUNT
    assert table.loc[("all", "all"), "count"] == 47 and table.loc[("home_care", "all"), "count"] == 33
    shown = display_frame(table.reset_index()).set_index(["setting", "age band"])
    assert shown.loc[("home care", "65-74"), "count"] == "<5"
    assert shown.loc[("home care", "75-84"), "count"] == "suppressed (protects a small count)"
    assert shown.loc[("home care", "75-84"), "median £"] == "suppressed (protects a small count)"
    assert shown.loc[("all", "all"), "count"] == "47"


def test_report_with_three_package_extract(tmp_path):
    """The report's packages cell, as a user runs it, with a 3-row extract: no ValueError, the labels
    on the page, and tables.xlsx with empty cells where figures are hidden."""
    import openpyxl

    from benchmark.report import content
    from benchmark.report.parameters import DEFAULTS

    local = tmp_path / "local" / LEICESTER
    local.mkdir(parents=True)
    (local / "packages.csv").write_text(THREE_PACKAGES)
    report = content.ReportContent.build({**DEFAULTS, "council": LEICESTER, "local_dir": str(tmp_path / "local")})
    section = report.section("packages")
    html = "".join(t.to_html() for t in section.tables)
    assert "SECRET" not in html and ">&lt;5<" in html and ">suppressed (protects a small count)<" in html
    assert "cannot be worked out from the totals" in section.tables[0].caption
    (tmp_path / "out").mkdir()
    content.export_report(report, tmp_path / "out")
    sheet = openpyxl.load_workbook(tmp_path / "out" / "tables.xlsx")["package_headlines"]
    names = [c.value for c in sheet[1]]
    values = dict(zip(names, next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    assert values["packages (count)"] is None and values["weekly cost median (£)"] is None
    assert values["disclosure note"].startswith("packages (count), high cost (count), overdue review (count): <5")
