"""Bad local inputs: each hand-made file gives a one-line DataError naming file, row and column."""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.errors import DataError
from benchmark.local import schemas

FIX = Path(__file__).resolve().parent / "fixtures" / "local"


def _placements(folder: str):
    bands_path = FIX / folder / "care_home_fee_bands.csv"
    return schemas.read_placements(FIX / folder / "care_home_placements.csv", schemas.read_fee_bands(bands_path), bands_path)


CASES = [
    # scenario, reader, file, row, column, words in the message
    ("missing_column", lambda: schemas.read_workforce(FIX / "missing_column" / "workforce.csv"), "workforce.csv", None, "fte", "required column missing"),
    ("negative_contribution", lambda: schemas.read_bcf_plan(FIX / "negative_contribution" / "bcf_plan.csv"), "bcf_plan.csv", 3, "amount_gbp", "must not be negative"),
    ("placement_without_band", lambda: _placements("placement_without_band"), "care_home_placements.csv", 3, "band", "no band"),
    ("unknown_band", lambda: _placements("unknown_band"), "care_home_placements.csv", 3, "band", "'R9' is not in"),
    ("review_before_start", lambda: schemas.read_packages(FIX / "review_before_start" / "packages.csv"), "packages.csv", 2, "last_review_date", "before start_date"),
    ("duplicate_package_id", lambda: schemas.read_packages(FIX / "duplicate_package_id" / "packages.csv"), "packages.csv", 4, "package_id", "duplicate package_id (same as row 2)"),
    ("wrong_financial_year", lambda: schemas.read_bcf_plan(FIX / "wrong_financial_year" / "bcf_plan.csv"), "bcf_plan.csv", 2, "financial_year", "YYYY-YY"),
    ("unknown_role", lambda: schemas.read_workforce(FIX / "unknown_role" / "workforce.csv"), "workforce.csv", 3, "role", "unknown value 'nurse'"),
    ("empty_file", lambda: schemas.read_workforce(FIX / "empty_file" / "workforce.csv"), "workforce.csv", None, None, "empty"),
    ("header_only", lambda: schemas.read_packages(FIX / "header_only" / "packages.csv"), "packages.csv", None, None, "no data rows"),
]


@pytest.mark.parametrize(("scenario", "read", "file", "row", "column", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_line(scenario, read, file, row, column, words):
    with pytest.raises(DataError) as caught:
        read()
    problems = caught.value.problems
    assert len(problems) == 1, str(caught.value)
    problem = problems[0]
    message = str(problem)
    assert "\n" not in message
    assert problem.file.endswith(f"{scenario}/{file}")
    assert problem.row == row and problem.column == column
    assert words in message
    if row is not None:
        assert f"row {row}" in message
    if column is not None:
        assert f"column '{column}'" in message


def test_package_errors_never_echo_the_package_id():
    with pytest.raises(DataError) as caught:
        schemas.read_packages(FIX / "duplicate_package_id" / "packages.csv")
    assert "K01" not in str(caught.value)


def test_all_problems_collected(tmp_path):
    path = tmp_path / "workforce.csv"
    path.write_text("as_at_date,role,fte,headcount,vacancies_fte,agency_fte\n"
                    "2018-13-01,nurse,-1,2.5,x,0\n")
    with pytest.raises(DataError) as caught:
        schemas.read_workforce(path)
    columns = sorted(p.column for p in caught.value.problems)
    assert columns == ["as_at_date", "fte", "headcount", "role", "vacancies_fte"]
