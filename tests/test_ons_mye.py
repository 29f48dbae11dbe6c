"""ONS MYE2 read by format: expected values are ONS's published figures, not outputs of the code."""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from benchmark.data.ons_mye import (
    AGES,
    ENGLAND_CODE,
    PUBLICATIONS,
    detect_mye2,
    england_from_mye2,
    read_mye2,
    year_from_file_name,
)
from benchmark.data.population import load_population_by_age, pop2021_year
from benchmark.data.publications import Found
from benchmark.data.tidy import COUNCIL_CODE_PATTERN
from benchmark.errors import DataError

from conftest import single_line_error

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
POPULATION = RAW / "population"
MYE = POPULATION / "ons_mye"
SOUTHAMPTON = "E06000045"
NEW_UNITARIES = {"E06000063": "Cumberland", "E06000064": "Westmorland and Furness", "E06000065": "North Yorkshire", "E06000066": "Somerset"}
ABOLISHED_COUNTIES = {"E10000006": "Cumbria", "E10000023": "North Yorkshire County", "E10000027": "Somerset County"}

OLD, NEW = "Census 2011-based", "Census 2021-based"
#: file (relative to data/raw/population) -> (year, geography, series, format, sheet, header row), as the files state
#: them: the sheet titles name the mid-year and "in the UK" / "in England and Wales"; a CSV export has no title.
EXPECTED = {
    "ons_mye/MYE2_population_by_sex_and_age_for_local_authorities_UK_2015.xls": ("2015", "UK", OLD, "workbook", "Persons UK", 3),
    "ons_mye/ukmidyearestimates2016.xls": ("2016", "UK", OLD, "workbook", "MYE2 - All", 5),
    "ons_mye/ukmidyearestimates2017finalversion.xls": ("2017", "UK", OLD, "workbook", "MYE2 - All", 5),
    "ons_mye/ukmidyearestimates20182019ladcodes.xls": ("2018", "UK", OLD, "workbook", "MYE2-All", 5),
    "ons_mye/ukmidyearestimates20192020ladcodes.xls": ("2019", "UK", OLD, "workbook", "MYE2 - Persons", 5),
    "ons_mye/ukpopestimatesmid2020on2021geography.xls": ("2020", "UK", OLD, "workbook", "MYE2 - Persons", 8),
    "lad_age_2020.csv": ("2020", "UK", OLD, "csv", None, 1),
    "ons_mye/mye22final.xlsx": ("2022", "UK", NEW, "workbook", "MYE2 - Persons", 8),
    "ons_mye/mye23tablesew.xlsx": ("2023", "England and Wales", NEW, "workbook", "MYE2 - Persons", 8),
    "ons_mye/mye24tablesew.csv": ("2024", "England and Wales", NEW, "csv", None, 1),
}
#: Files under data/raw/population that are not MYE2 tables.
NOT_MYE2 = ["pop2021.csv", "ukpopestimatesmid2020on2021geography.csv"]

#: ONS published figures: England all ages and 65+ (MYE2 ENGLAND row), Southampton all ages and 65+.
PUBLISHED = {
    "2022": {"england": 57_106_398, "england_65": 10_629_867, "southampton": 252_689, "southampton_65": 34_647},
    "2023": {"england": 57_690_323, "england_65": 10_783_087, "southampton": 256_110, "southampton_65": 35_076},
    "2024": {"england": 58_620_101, "england_65": 10_981_092, "southampton": 259_424, "southampton_65": 35_555},
}
FILE_FOR = {"2022": "ons_mye/mye22final.xlsx", "2023": "ons_mye/mye23tablesew.xlsx", "2024": "ons_mye/mye24tablesew.csv"}


def found_for(relative: str) -> tuple[Path, Found]:
    path = POPULATION / relative
    found = detect_mye2(path)
    assert found is not None, relative
    return path, found


def sixty_five_plus(table: pd.DataFrame) -> float:
    ages = table["age"].str.rstrip("+").astype(int)
    return table.loc[ages >= 65, "value"].sum()


# ------------------------------------------------------------------------------------ detect


def test_every_file_under_population_has_an_expectation():
    files = {str(p.relative_to(POPULATION)) for p in POPULATION.rglob("*") if p.is_file()}
    assert files == set(EXPECTED) | set(NOT_MYE2)


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_detect_gives_year_edition_and_series(relative):
    year, geography, series, kind, sheet, header_row = EXPECTED[relative]
    path, found = found_for(relative)
    assert found.publication == "ons_mye2"
    assert found.year == year
    assert found.source_id == f"ons_mye2_{year}"
    assert found.edition.startswith(f"{geography}, {series}")
    assert found.hints["geography"] == geography and found.hints["series"].startswith(series)
    assert found.hints["format"] == kind and found.hints["header_row"] == header_row
    if kind == "workbook":
        assert found.hints["sheet"] == sheet
        assert "ONS workbook" in found.edition and "third party" not in found.edition
        assert found.title.startswith("MYE2: ") and f"mid-{year}" in found.title
        assert found.hints["year_from"] == "title"
    else:
        assert "CSV export" in found.edition and "third party" in found.edition
        assert found.title == "" and found.hints["year_from"] == "file name"


def test_publication_dates_from_the_cover_sheets():
    assert found_for("ons_mye/mye22final.xlsx")[1].hints["published"] == "26 March 2024"
    assert found_for("ons_mye/mye23tablesew.xlsx")[1].hints["published"] == "15 July 2024"
    assert "published 15 July 2024" in found_for("ons_mye/mye23tablesew.xlsx")[1].edition


@pytest.mark.parametrize("name", NOT_MYE2)
def test_other_population_files_are_not_mye2(name):
    assert detect_mye2(POPULATION / name) is None


def test_pop2021_year_comes_from_its_value_column():
    assert pop2021_year(POPULATION / "pop2021.csv") == "2021"


@pytest.mark.parametrize(
    "path",
    [
        RAW / "finance" / "ro3" / "RO3_2022-23_data_by_LA.ods",
        RAW / "finance" / "rsx" / "RSX_2023-24_data_by_LA.ods",
        RAW / "finance" / "rs" / "RS_2017-18_data_by_LA.xlsx",
        RAW / "ascof" / "trend_data.csv",
        RAW / "ascfr" / "CSV ASCFR Totals.csv",
        RAW / "earnings" / "Home Geography Table 8.7a   Annual pay - Gross 2019.xls",
        RAW / "nearest_neighbours" / "NN.json",
    ],
    ids=lambda p: p.name,
)
def test_files_of_other_publications_give_none(path):
    assert path.is_file()
    assert detect_mye2(path) is None


@pytest.mark.parametrize(
    ("name", "year"),
    [("mye24tablesew.csv", "2024"), ("lad_age_2020.csv", "2020"), ("ukpopestimatesmid2020on2021geography.csv", "2020"),
     ("mye22final.xlsx", "2022"), ("MYE2_persons_2015.csv", "2015"), ("persons_by_age.csv", None), ("lad_2019_2020.csv", None)],
)
def test_year_from_file_name(name, year):
    assert year_from_file_name(name) == year


def test_the_publication_entry():
    (publication,) = PUBLICATIONS
    assert publication.id == "ons_mye2" and publication.folder == "population/ons_mye"
    assert publication.year_kind == "mid-year" and publication.table == "population_by_age"
    assert publication.publisher == "Office for National Statistics"
    assert publication.detect is detect_mye2 and publication.read is read_mye2


# ------------------------------------------------------------------------------------ read: published figures


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_england_row_is_the_published_total(year):
    path, found = found_for(FILE_FOR[year])
    england = england_from_mye2(path, found)
    assert set(england["council"]) == {ENGLAND_CODE} and list(england["age"]) == list(AGES)
    assert england["value"].sum() == PUBLISHED[year]["england"]
    assert sixty_five_plus(england) == PUBLISHED[year]["england_65"]


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_councils_add_up_to_england_and_southampton_is_as_published(year):
    path, found = found_for(FILE_FOR[year])
    table = read_mye2(path, found)
    assert list(table.columns) == ["council", "year", "measure", "age", "value", "unit", "source"]
    assert set(table["year"]) == {year} and set(table["source"]) == {f"ons_mye2_{year}"}
    assert set(table["measure"]) == {"population"} and set(table["unit"]) == {"persons"}
    assert table["council"].str.match(COUNCIL_CODE_PATTERN).all() and table["value"].notna().all()
    assert all(tuple(ages) == AGES for _, ages in table.groupby("council", sort=False)["age"])
    assert table["value"].sum() == PUBLISHED[year]["england"]  # upper-tier councils cover England once
    assert sixty_five_plus(table) == PUBLISHED[year]["england_65"]
    southampton = table[table["council"] == SOUTHAMPTON]
    assert southampton["value"].sum() == PUBLISHED[year]["southampton"]
    assert sixty_five_plus(southampton) == PUBLISHED[year]["southampton_65"]


def test_2023_unitaries_are_present_from_the_mid_2022_file():
    # ONS's mid-2022 (MYE22UK) and later tables use April 2023 boundaries (their Notes sheet says so):
    # the four new unitaries are there and the three counties they replaced are not; mid-2020 is the opposite.
    councils = {}
    for relative in ["ons_mye/ukpopestimatesmid2020on2021geography.xls", *FILE_FOR.values()]:
        path, found = found_for(relative)
        councils[found.year] = set(read_mye2(path, found)["council"])
    for year in FILE_FOR:
        assert set(NEW_UNITARIES) <= councils[year], year
        assert not set(ABOLISHED_COUNTIES) & councils[year], year
        assert len(councils[year]) == 153
    assert not set(NEW_UNITARIES) & councils["2020"] and set(ABOLISHED_COUNTIES) <= councils["2020"]


def test_loader_has_the_new_years_and_their_sources():
    by_age = load_population_by_age(RAW)
    for year, figures in PUBLISHED.items():
        rows = by_age[by_age["year"] == year]
        assert set(rows["source"]) == {f"ons_mye2_{year}"}
        assert rows["value"].sum() == figures["england"]


# ------------------------------------------------------------------------------------ read: variants


def mye24_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO((MYE / "mye24tablesew.csv").read_text(encoding="utf-8-sig"))))


def write_rows(path: Path, rows: list[list[str]], bom: bool = True) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig" if bom else "utf-8")
    return path


def southampton_index(rows: list[list[str]]) -> int:
    return next(i for i, row in enumerate(rows) if row[0] == SOUTHAMPTON)


def test_csv_with_title_lines_above_the_header_takes_its_year_from_the_title(tmp_path):
    rows = [["Mid-2024 population estimates for local authorities in England and Wales"], ["a note"], [], *mye24_rows()]
    path = write_rows(tmp_path / "persons.csv", rows)  # no year in the name
    found = detect_mye2(path)
    assert found.year == "2024" and found.hints["year_from"] == "title" and found.hints["header_row"] == 4
    assert found.edition.startswith("England and Wales, Census 2021-based")
    assert read_mye2(path, found)["value"].sum() == PUBLISHED["2024"]["england"]


def test_top_age_headed_90_is_the_90_plus_group(tmp_path):
    rows = mye24_rows()
    rows[0] = [("90" if cell == "90+" else cell) for cell in rows[0]]
    path = write_rows(tmp_path / "mye24.csv", rows)
    table = read_mye2(path, detect_mye2(path))
    assert list(table["age"].unique()[-2:]) == ["89", "90+"]
    assert table["value"].sum() == PUBLISHED["2024"]["england"]


def test_suppressed_cell_is_missing_not_zero(tmp_path):
    rows = mye24_rows()
    header, at = rows[0], southampton_index(rows)
    rows[at][header.index("65")] = "x"
    rows[at][header.index("All ages")] = ""
    path = write_rows(tmp_path / "mye24.csv", rows)
    table = read_mye2(path, detect_mye2(path))
    southampton = table[table["council"] == SOUTHAMPTON].set_index("age")["value"]
    assert pd.isna(southampton["65"]) and southampton.drop("65").notna().all()


# ------------------------------------------------------------------------------------ bad input


def test_csv_with_its_header_row_removed_is_an_error(tmp_path):
    path = write_rows(tmp_path / "mye24tablesew.csv", mye24_rows()[1:])
    with pytest.raises(DataError) as caught:
        detect_mye2(path)
    message = single_line_error(caught, "mye24tablesew.csv")
    assert "no header row" in message and "Code, Name, All ages" in message


def test_non_number_cell_names_file_row_and_column(tmp_path):
    rows = mye24_rows()
    header, at = rows[0], southampton_index(rows)
    rows[at][header.index("65")] = "3l5"
    path = write_rows(tmp_path / "mye24tablesew.csv", rows)
    found = detect_mye2(path)
    with pytest.raises(DataError) as caught:
        read_mye2(path, found)
    message = single_line_error(caught, "mye24tablesew.csv")
    assert f"row {at + 1}," in message and "column '65'" in message and "'3l5'" in message


def test_non_number_cell_in_a_workbook_names_spreadsheet_row_and_column(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "MYE2 - Persons"
    sheet.append(["MYE2: Persons by single year of age and sex for local authorities in England and Wales, mid-2030"])
    sheet.append([])
    sheet.append(["Code", "Name", "Geography", "All ages", *range(90), "90+"])
    sheet.append([ENGLAND_CODE, "ENGLAND", "Country", 91, *[1] * 91])
    cells = [1] * 91
    cells[70] = "n/a"
    sheet.append([SOUTHAMPTON, "Southampton", "Unitary Authority", 91, *cells])
    book.save(tmp_path / "future.xlsx")
    found = detect_mye2(tmp_path / "future.xlsx")
    assert (found.year, found.hints["header_row"]) == ("2030", 3)
    assert found.edition.startswith("England and Wales, Census 2021-based, ONS workbook")
    with pytest.raises(DataError) as caught:
        read_mye2(tmp_path / "future.xlsx", found)
    message = single_line_error(caught, "future.xlsx")
    assert "row 5," in message and "column '70'" in message and "'n/a'" in message


def test_duplicate_council_row_names_both_rows(tmp_path):
    rows = mye24_rows()
    at = southampton_index(rows)
    rows.append(list(rows[at]))
    path = write_rows(tmp_path / "mye24tablesew.csv", rows)
    with pytest.raises(DataError) as caught:
        read_mye2(path, detect_mye2(path))
    message = single_line_error(caught, "mye24tablesew.csv")
    assert SOUTHAMPTON in message and f"rows {at + 1}, {len(rows)}" in message


def test_csv_without_a_year_in_content_or_name_is_a_one_line_error(tmp_path):
    path = tmp_path / "persons_by_single_year_of_age.csv"
    shutil.copyfile(MYE / "mye24tablesew.csv", path)
    with pytest.raises(DataError) as caught:
        detect_mye2(path)
    message = single_line_error(caught, "persons_by_single_year_of_age.csv")
    assert "mid-year could not be found" in message
    # the caller (the catalogue) may pass the year
    found = detect_mye2(path, year="2024")
    assert found.year == "2024" and found.hints["year_from"] == "given"


def test_a_given_year_contradicting_the_title_is_an_error():
    with pytest.raises(DataError) as caught:
        detect_mye2(MYE / "mye23tablesew.xlsx", year="2022")
    assert "mid-2023" in single_line_error(caught, "mye23tablesew.xlsx")


def test_wrong_age_columns_are_an_error(tmp_path):
    rows = mye24_rows()
    drop = rows[0].index("45")
    rows = [row[:drop] + row[drop + 1:] for row in rows]
    path = write_rows(tmp_path / "mye24tablesew.csv", rows)
    with pytest.raises(DataError) as caught:
        detect_mye2(path)
    assert "expected age columns 0 to 89 then 90+" in single_line_error(caught, "mye24tablesew.csv")


def export_sheet(workbook: Path, sheet: str) -> list[list[str]]:
    """A CSV export of a workbook sheet from its header row down, as a third party would make it."""
    grid = pd.read_excel(workbook, sheet_name=sheet, header=None, dtype=object, engine="calamine")
    start = grid.index[grid[0].astype(str).str.strip() == "Code"][0]
    text = grid.loc[start:].map(lambda v: "" if pd.isna(v) else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    return text.to_numpy().tolist()


def test_loader_uses_the_workbook_and_rejects_a_duplicate_year_that_disagrees(tmp_path):
    raw = tmp_path / "raw"
    (raw / "population" / "ons_mye").mkdir(parents=True)
    (raw / "la_codes" / "ons-lookups").mkdir(parents=True)
    shutil.copyfile(RAW / "la_codes" / "ons-lookups" / "030.csv", raw / "la_codes" / "ons-lookups" / "030.csv")
    shutil.copyfile(POPULATION / "pop2021.csv", raw / "population" / "pop2021.csv")
    shutil.copyfile(MYE / "mye23tablesew.xlsx", raw / "population" / "ons_mye" / "mye23tablesew.xlsx")
    rows = export_sheet(MYE / "mye23tablesew.xlsx", "MYE2 - Persons")
    export = write_rows(raw / "population" / "mye23_export.csv", rows)  # its name says mid-2023

    by_age = load_population_by_age(raw)  # the export agrees: the workbook's figures are used
    assert sorted(set(by_age["year"])) == ["2021", "2023"]
    assert set(by_age.loc[by_age["year"] == "2023", "source"]) == {"ons_mye2_2023"}
    assert by_age.loc[by_age["year"] == "2023", "value"].sum() == PUBLISHED["2023"]["england"]

    at, age_80 = southampton_index(rows), rows[0].index("80")
    rows[at][age_80] = str(int(rows[at][age_80]) + 1)
    write_rows(export, rows)
    with pytest.raises(DataError) as caught:
        load_population_by_age(raw)
    message = single_line_error(caught, "mye23_export.csv")
    assert f"row {at + 1}, column '80'" in message and "mye23tablesew.xlsx" in message and SOUTHAMPTON in message


def test_an_mye2_file_is_preferred_to_pop2021_for_the_same_year(tmp_path):
    raw = tmp_path / "raw"
    (raw / "population").mkdir(parents=True)
    (raw / "la_codes" / "ons-lookups").mkdir(parents=True)
    shutil.copyfile(RAW / "la_codes" / "ons-lookups" / "030.csv", raw / "la_codes" / "ons-lookups" / "030.csv")
    shutil.copyfile(POPULATION / "pop2021.csv", raw / "population" / "pop2021.csv")
    # stand-in MYE2 export that says mid-2021 by its name (its figures are mid-2024's)
    shutil.copyfile(MYE / "mye24tablesew.csv", raw / "population" / "mye2_persons_2021.csv")
    by_age = load_population_by_age(raw)
    assert set(by_age["year"]) == {"2021"} and set(by_age["source"]) == {"ons_mye2_2021"}
    assert by_age["value"].sum() == PUBLISHED["2024"]["england"]
    from benchmark.data.population import england_totals

    totals = england_totals(raw)
    assert totals.to_dict("list") == {"year": ["2021"], "value": [PUBLISHED["2024"]["england"]], "source": ["ons_mye2_2021"]}
