"""Bad input gives one clear line naming the file, row and column; never a silent zero.

Each scenario is a small hand-made file under tests/fixtures/bad_input/<scenario>/, laid out like
data/raw so that the real loaders find it (by its columns) and read it unchanged.
"""
from __future__ import annotations

import math

import pytest

from benchmark.data import ascfr
from benchmark.data.validate import schema_problems
from benchmark.errors import DataError

from conftest import FIXTURES

BAD = FIXTURES / "bad_input"


def only_problem(excinfo) -> str:
    problems = excinfo.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    text = str(problems[0])
    assert "\n" not in text
    return text


def test_valid_file_with_suppression_marker_loads_and_marker_is_missing_not_zero(registry):
    frame = ascfr.load_activity(BAD / "01_valid_with_suppression", registry)
    # line 4 is a region aggregate (no CASSR code): kept out of council data
    assert len(frame) == 2
    weeks = frame.set_index("provision")["value"]
    assert weeks["in_house"] == 1000.0
    assert math.isnan(weeks["external"])  # ':' suppressed: missing, never 0


def test_missing_folder(registry):
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(BAD / "no_such_folder", registry)
    assert "no_such_folder/ascfr: folder not found" in only_problem(excinfo)


def test_no_file_of_the_shape(registry):
    # 10_duplicate_key holds only expenditure (the GCE conversion): no activity file
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(BAD / "10_duplicate_key", registry)
    assert "10_duplicate_key/ascfr: no ASC-FR activity file found; looked for: labelled activity file (columns" in only_problem(excinfo)


def test_missing_column(registry):
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(BAD / "02_missing_column", registry)
    assert "column 'ItemValue': required column missing" in only_problem(excinfo)


def test_non_numeric_value_names_row_and_column(registry):
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(BAD / "03_non_numeric_value", registry)
    assert "row 3, column 'ItemValue': expected a number, found 'twelve'" in only_problem(excinfo)


def test_negative_client_weeks_rejected(registry):
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(BAD / "04_negative_activity", registry)
    assert "row 2, column 'ItemValue': expected a value of at least 0, found -52" in only_problem(excinfo)


def test_unexpected_extra_year(registry):
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(BAD / "05_unexpected_extra_year", registry)
    assert ("row 3, column 'FY_Ending': holds several financial years (FY_Ending '2017' from row 2, '2018' from row 3); "
            "expected one year per file") in only_problem(excinfo)


def test_suppression_marker_where_a_key_is_expected(registry):
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(BAD / "06_suppression_marker_in_key", registry)
    assert "row 2, column 'AgeBand_KEY': key value ':' is not in the key map" in only_problem(excinfo)


def test_empty_file(registry):
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(BAD / "07_empty_file", registry)
    assert "file is empty" in only_problem(excinfo)


def test_wrong_encoding_names_the_line(registry):
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(BAD / "08_wrong_encoding", registry)
    assert "row 3: not UTF-8 text (byte 0xe9)" in only_problem(excinfo)


def test_unknown_council_code(registry):
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(BAD / "09_unknown_council_code", registry)
    assert "row 2, column 'Council Code': CASSR code '999' is not a council in 2015-16" in only_problem(excinfo)


def test_duplicate_key_found_by_validation():
    frame = ascfr.load_expenditure(BAD / "10_duplicate_key")
    problems = schema_problems("ascfr_expenditure", frame, ascfr.EXPENDITURE_KEYS, None)
    assert len(problems) == 1
    text = str(problems[0])
    assert text.startswith("data/raw/ascfr/Support Type With Populations with per100k.rds.csv")
    assert "council E06000045, year 2017-18" in text and "duplicate key" in text


def test_unknown_label(registry):
    with pytest.raises(DataError) as excinfo:
        ascfr.load_activity(BAD / "11_unknown_label", registry)
    assert "row 2, column 'Age Bands': unrecognised age band 'Age 100 plus'" in only_problem(excinfo)
