"""tables.xlsx: numbers stay numbers with formats from their unit, headers carry the unit, the header
row is frozen and filtered, hidden cells are empty with their note."""
from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd

from benchmark.report.workbook import column_header, write_workbook


def test_headers_carry_units_from_the_column_names():
    assert column_header("amount_gbp") == ("amount (£)", "gbp")
    assert column_header("weekly_rate_gbp_per_week") == ("weekly rate (£ a week)", "gbp_precise")
    assert column_header("share_pct") == ("share (%)", "pct")
    assert column_header("label") == ("label", None)


def test_a_workbook_keeps_numbers_numeric_and_formats_each_by_its_unit(tmp_path):
    tables = {
        "budget_lines": pd.DataFrame({"label": ["Physical support, 65 and over"], "amount_gbp": [20_376_000.0], "share_pct": [12.5]}),
        "metrics": pd.DataFrame({"id": ["a", "b"], "value": [897.09, 12.6], "unit": ["gbp_per_head", "pct"], "n": [15, 14]}),
        "packages": pd.DataFrame({"setting": ["home care"], "count": pd.array([pd.NA], dtype="Int64"),
                                  "disclosure_note": ["count: <5"]}),
    }
    path = tmp_path / "tables.xlsx"
    write_workbook(tables, path)
    book = openpyxl.load_workbook(path)
    lines = book["budget_lines"]
    assert [c.value for c in lines[1]] == ["label", "amount (£)", "share (%)"]
    assert lines["B2"].value == 20_376_000 and lines["B2"].number_format.startswith("£#,##0")
    assert lines["C2"].value == 12.5 and lines["C2"].number_format == "0.0"
    assert lines.freeze_panes == "A2" and lines.auto_filter.ref == "A1:C2"
    metrics = book["metrics"]
    assert metrics["B2"].number_format == "£#,##0.00;-£#,##0.00" and metrics["B3"].number_format == "0.0"  # each row its own unit
    assert metrics["C2"].value == "£ per head" and metrics["D2"].number_format == "#,##0"
    packages = book["packages"]
    assert packages["B2"].value is None and packages["C2"].value == "count: <5"  # hidden: empty, with its note
    assert not any(isinstance(c.value, str) and c.value.replace(".", "").isdigit() for row in book["metrics"].iter_rows() for c in row)


def test_the_context_sheet_holds_numbers(tmp_path):
    from benchmark.report import content
    from benchmark.report.parameters import DEFAULTS

    report = content.ReportContent.build({**DEFAULTS, "council": "Southampton"})
    context = content.council_tables(report)["context"]
    population = context.set_index("measure").loc["Population, all ages"]
    # ONS mid-2024 estimate for Southampton, all ages: 259,424 (data/raw/population/ons_mye/mye24tablesew.csv)
    assert population["value"] == 259_424 and population["unit"] == "count"
    assert np.issubdtype(np.asarray(context["value"].dropna().tolist()).dtype, np.number)


def test_the_workbook_opens_with_a_read_me_sheet(tmp_path):
    from benchmark.report import content
    from benchmark.report.parameters import read_parameter_file

    report = content.ReportContent.build(read_parameter_file(content.Path("parameters/E06000045.yml")))
    content.export_report(report, tmp_path)
    book = openpyxl.load_workbook(tmp_path / "tables.xlsx")
    assert book.sheetnames[0] == "read_me"
    items = {row[0]: row[1] for row in book["read_me"].iter_rows(min_row=2, values_only=True)}
    assert items["council"] == "Southampton (E06000045)"
    assert items["comparator group"].endswith("(15 councils)")
    assert items["base budget"] == "built from the 2024-25 revenue outturn for 2026-27"
    assert items["illustrative data"].startswith("Adult social care staff per 1,000")  # the shipped example workforce file
    assert any(key.startswith("source: Ministry of Housing, Communities and Local Government, Revenue Outturn") for key in items)
    assert not any("65; population" in key for key in items)  # "65+ population" stays words


def test_openpyxl_writes_with_lxml():
    """lxml is a dependency for the workbook's speed (README): openpyxl uses it only when it imports it."""
    import openpyxl.xml

    assert openpyxl.xml.LXML, "openpyxl is not using lxml: is it installed (requirements.lock), or is OPENPYXL_LXML set to false?"
