"""ASHE Table 8.7a earnings: published figures, suppression, coverage and bad-input errors.

Expected values are read off the published 'All' sheets by eye, or worked out by hand from the
invented fixtures in tests/fixtures/earnings (see make_fixtures.py).
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from benchmark.data.earnings import detect, find_files, is_provisional, load_earnings
from benchmark.data.tidy import COUNCIL_CODE_PATTERN
from benchmark.errors import DataError

from conftest import single_line_error

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
FIXTURES = ROOT / "tests" / "fixtures" / "earnings"

MEDIAN, MEAN, JOBS = "median_annual_gross_pay", "mean_annual_gross_pay", "jobs_thousands"


@pytest.fixture(scope="module")
def ashe() -> pd.DataFrame:
    return load_earnings(RAW)


def value(frame: pd.DataFrame, council: str, year: str, measure: str) -> float:
    rows = frame[(frame.council == council) & (frame.year == year) & (frame.measure == measure)]
    assert len(rows) == 1, rows
    return float(rows["value"].iloc[0])


# --- published figures --------------------------------------------------------------------------

def test_published_medians(ashe):
    assert value(ashe, "E06000045", "2019", MEDIAN) == 24313  # Southampton
    assert value(ashe, "E06000016", "2019", MEDIAN) == 20755  # Leicester
    assert value(ashe, "E06000045", "2015", MEDIAN) == 21156
    assert value(ashe, "E06000045", "2015", MEAN) == 23383
    assert value(ashe, "E06000045", "2015", JOBS) == 77


def test_only_median_mean_and_jobs_are_loaded(ashe):
    # Darlington 2015 has 'x' for the 10th percentile; percentiles are not loaded at all.
    assert set(ashe["measure"]) == {MEDIAN, MEAN, JOBS}
    darlington = ashe[(ashe.council == "E06000005") & (ashe.year == "2015")]
    assert dict(zip(darlington.measure, darlington.value, strict=True)) == {MEDIAN: 20659, MEAN: 24652, JOBS: 37}


def test_suppressed_values_are_nan_not_zero(ashe):
    # 'x' (CV over 20%) in the published tables: Peterborough 2015 median, Kensington and Chelsea
    # 2015 median; '..' (disclosive): Isles of Scilly 2019 jobs; blank: Isles of Scilly 2019 median.
    assert pd.isna(value(ashe, "E06000031", "2015", MEDIAN))
    assert pd.isna(value(ashe, "E09000020", "2015", MEDIAN))
    assert pd.isna(value(ashe, "E06000053", "2019", JOBS))
    assert pd.isna(value(ashe, "E06000053", "2019", MEDIAN))
    assert value(ashe, "E06000031", "2015", MEAN) == 25708  # Peterborough's mean is published
    assert not (ashe["value"] == 0).any()


def test_years_sources_and_provisional_2021(ashe):
    sources = {y: set(s) for y, s in ashe.groupby("year")["source"]}
    assert sources == {
        **{str(y): {f"ashe_table8_7a_{y}"} for y in range(2015, 2021)},
        "2021": {"ashe_table8_7a_2021_provisional"},
    }
    assert set(ashe.loc[ashe.measure != JOBS, "unit"]) == {"gbp"}


def test_council_coverage_per_year(ashe):
    # Each table is on the following April's geography.
    codes = {y: set(c) for y, c in ashe.groupby("year")["council"]}
    assert {y: len(c) for y, c in codes.items()} == {
        "2015": 152, "2016": 152, "2017": 152, "2018": 151, "2019": 151, "2020": 152, "2021": 152,
    }
    assert "E06000028" in codes["2017"] and "E06000058" not in codes["2017"]  # Bournemouth -> BCP
    assert "E06000058" in codes["2018"] and "E06000028" not in codes["2018"] and "E10000009" not in codes["2018"]
    assert "E06000060" in codes["2019"] and "E10000002" not in codes["2019"]  # Buckinghamshire
    assert {"E06000061", "E06000062"} <= codes["2020"] and "E10000021" not in codes["2020"]  # Northants
    assert all(COUNCIL_CODE_PATTERN.match(c) for c in ashe["council"])
    assert not ashe.duplicated(["council", "year", "measure"]).any()


# --- hand-made fixtures ---------------------------------------------------------------------------

def test_small_fixture_by_hand():
    frame = load_earnings(RAW, files={"2019": FIXTURES / "ashe_small.xlsx"})
    assert set(frame["council"]) == {"E06000001", "E06000002", "E09000001", "E10000034"}  # district, Wales, England dropped
    assert value(frame, "E06000001", "2019", MEDIAN) == 19000
    assert pd.isna(value(frame, "E06000002", "2019", MEDIAN))  # 'x', code with stray spaces
    assert value(frame, "E06000002", "2019", MEAN) == 23000
    assert pd.isna(value(frame, "E09000001", "2019", JOBS))  # '..'
    assert value(frame, "E10000034", "2019", MEDIAN) == 25500  # '25,500'
    assert set(frame["source"]) == {"ashe_table8_7a_2019"}


def test_provisional_file_gets_provisional_source():
    frame = load_earnings(RAW, files={"2022": FIXTURES / "PROV - ashe_small.xlsx"})
    assert set(frame["source"]) == {"ashe_table8_7a_2022_provisional"}
    assert is_provisional(Path("PROV - Home Geography Table 8.7a   Annual pay - Gross 2021.xls"))
    assert not is_provisional(Path("Home Geography Table 8.7a   Annual pay - Gross 2020.xls"))


def test_non_numeric_value_names_row_and_column():
    with pytest.raises(DataError) as excinfo:
        load_earnings(RAW, files={"2019": FIXTURES / "ashe_non_numeric.xlsx"})
    message = single_line_error(excinfo, "ashe_non_numeric.xlsx")
    assert "row 11" in message and "column 'Mean'" in message and "'28000 (est)'" in message


def test_missing_column():
    with pytest.raises(DataError) as excinfo:
        load_earnings(RAW, files={"2019": FIXTURES / "ashe_missing_column.xlsx"})
    assert "column 'Mean'" in single_line_error(excinfo, "ashe_missing_column.xlsx")


def test_duplicate_council():
    with pytest.raises(DataError) as excinfo:
        load_earnings(RAW, files={"2019": FIXTURES / "ashe_duplicate_council.xlsx"})
    message = single_line_error(excinfo, "ashe_duplicate_council.xlsx")
    assert "row 12" in message and "column 'Code'" in message and "row 8" in message


def test_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(DataError) as excinfo:
        load_earnings(tmp_path)
    assert "folder not found" in str(excinfo.value) and "earnings" in str(excinfo.value)
    (tmp_path / "earnings").mkdir()
    (tmp_path / "earnings" / "README.txt").write_text("notes", encoding="utf-8")
    with pytest.raises(DataError) as excinfo:
        load_earnings(tmp_path)
    assert "no ASHE Table 8.7a workbook found" in single_line_error(excinfo, "earnings")


# --- finding the files by their content ----------------------------------------------------------

SHIPPED = RAW / "earnings" / "Home Geography Table 8.7a   Annual pay - Gross 2020.xls"


def copy_as_xlsx(source: Path, target: Path, *, year: str, provisional: bool = False, title: str | None = None) -> None:
    """Write sheet 'All' of a shipped .xls (title, header rows, data, footnotes) to an .xlsx, its
    title relabelled to ``year`` (or replaced by ``title``)."""
    grid = pd.read_excel(source, sheet_name="All", header=None, engine="calamine", dtype=object)
    book = Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("All")
    for row in grid.itertuples(index=False):
        sheet.append([None if pd.isna(v) else v for v in row])
    old = str(grid.iloc[0, 0])
    new = title if title is not None else old.rsplit(",", 1)[0] + f", {year}" + (" (provisional)" if provisional else "")
    sheet.cell(row=1, column=1, value=new)
    book.save(target)


def test_title_relabelled_to_a_later_year_is_read_as_that_year(tmp_path, ashe):
    folder = tmp_path / "earnings"
    folder.mkdir()
    copy_as_xlsx(SHIPPED, folder / "table_8_7a.xlsx", year="2031")
    found = find_files(tmp_path)
    assert [(f.year, f.provisional) for f in found] == [("2031", False)]
    later = load_earnings(tmp_path)
    assert set(later["year"]) == {"2031"} and set(later["source"]) == {"ashe_table8_7a_2031"}
    # same figures as the shipped 2020 table
    shipped = ashe[ashe.year == "2020"].drop(columns=["year", "source"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(later.drop(columns=["year", "source"]).reset_index(drop=True), shipped)


def test_revised_file_preferred_over_provisional_of_same_year(tmp_path, caplog):
    folder = tmp_path / "earnings"
    folder.mkdir()
    copy_as_xlsx(SHIPPED, folder / "revised.xlsx", year="2031")
    copy_as_xlsx(SHIPPED, folder / "PROV - early.xlsx", year="2031")
    copy_as_xlsx(SHIPPED, folder / "later.xlsx", year="2032", provisional=True)  # provisional by its title
    with caplog.at_level(logging.WARNING, logger="benchmark.data.earnings"):
        found = find_files(tmp_path)
    assert [(f.path.name, f.year, f.provisional) for f in found] == [("revised.xlsx", "2031", False), ("later.xlsx", "2032", True)]
    assert "PROV - early.xlsx" in caplog.text and "superseded by the revised 'revised.xlsx'" in caplog.text
    assert set(load_earnings(tmp_path)["source"]) == {"ashe_table8_7a_2031", "ashe_table8_7a_2032_provisional"}


def test_two_revised_files_of_one_year_are_an_error(tmp_path):
    folder = tmp_path / "earnings"
    folder.mkdir()
    copy_as_xlsx(SHIPPED, folder / "a.xlsx", year="2031")
    copy_as_xlsx(SHIPPED, folder / "b.xlsx", year="2031")
    with pytest.raises(DataError) as excinfo:
        load_earnings(tmp_path)
    message = single_line_error(excinfo, "'a.xlsx', 'b.xlsx'")
    assert "2 revised ASHE Table 8.7a workbooks for 2031" in message


def test_other_publications_ignored_and_unreadable_table_reported(tmp_path):
    folder = tmp_path / "earnings"
    folder.mkdir()
    copy_as_xlsx(SHIPPED, folder / "workplace.xlsx", year="2031",
                 title="Table 7.7a   Annual pay - Gross (£) - For all employee jobsa: United Kingdom, 2031")
    copy_as_xlsx(SHIPPED, folder / "no_year.xlsx", year="",
                 title="Table 8.7a   Annual pay - Gross (£) - For all employee jobsa: United Kingdom")
    assert detect(folder / "workplace.xlsx") is None
    with pytest.raises(DataError) as excinfo:
        load_earnings(tmp_path)
    message = single_line_error(excinfo, "no_year.xlsx")
    assert "sheet 'All'" in message and "row 1" in message and "no survey year in title" in message
