"""ONS population loader: expected values are ONS's published figures, not outputs of the code."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchmark.data.ons_mye import detect_mye2
from benchmark.data.population import (
    AGE_BANDS,
    AGES,
    cross_check_duplicates,
    cross_check_mye2,
    districts_population_by_age,
    england_totals,
    load_area_and_density,
    load_population_bands,
    load_population_by_age,
    mye2_files,
    workbook_population_by_age,
)
from benchmark.data.tidy import COUNCIL_CODE_PATTERN
from benchmark.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "population"
POP2021 = RAW / "population" / "pop2021.csv"
LOOKUP = RAW / "la_codes" / "ons-lookups" / "030.csv"

SOUTHAMPTON, LEICESTER, HAMPSHIRE = "E06000045", "E06000016", "E10000014"

#: ONS mid-year estimates, England, all ages (MYE2 "ENGLAND" row; mid-2021 sum of English districts).
#: Mid-2015 to mid-2020 as first published (Census 2011-based); mid-2021 on Census 2021-based.
PUBLISHED_ENGLAND = {
    "2015": 54_786_327,
    "2016": 55_268_067,
    "2017": 55_619_430,
    "2018": 55_977_178,
    "2019": 56_286_961,
    "2020": 56_550_138,
    "2021": 56_536_419,
    "2022": 57_106_398,  # MYE22UK, published 26 March 2024
    "2023": 57_690_323,  # MYE23 (England and Wales), published 15 July 2024
    "2024": 58_620_101,  # mid-2024 England and Wales release (here as a CSV export of its MYE2 sheet)
}
YEARS = sorted(PUBLISHED_ENGLAND)
PUBLISHED_65_PLUS = {
    SOUTHAMPTON: {"2015": 32_948, "2016": 33_239, "2017": 33_214, "2018": 33_508, "2019": 33_873, "2020": 33_978},
    LEICESTER: {"2015": 40_054, "2016": 40_725, "2017": 41_536, "2018": 42_304, "2019": 43_121, "2020": 43_602},
    HAMPSHIRE: {"2018": 295_453},
}


@pytest.fixture(scope="module")
def by_age() -> pd.DataFrame:
    return load_population_by_age(RAW)


@pytest.fixture(scope="module")
def bands(by_age) -> pd.DataFrame:
    return load_population_bands(by_age)


def band_table(bands: pd.DataFrame) -> pd.DataFrame:
    return bands.pivot(index=["council", "year"], columns="age_band", values="value")


# ------------------------------------------------------------------------------------ shape


def test_by_age_is_a_tidy_table_of_persons(by_age):
    assert list(by_age.columns) == ["council", "year", "measure", "age", "value", "unit", "source"]
    assert by_age["value"].dtype == "float64"
    assert by_age["value"].notna().all()
    assert set(by_age["measure"]) == {"population"}
    assert set(by_age["unit"]) == {"persons"}
    assert sorted(set(by_age["year"])) == YEARS == [str(y) for y in range(2015, 2025)]
    assert by_age["council"].str.match(COUNCIL_CODE_PATTERN).all()
    assert not by_age.duplicated(["council", "year", "age"]).any()
    # every council-year has exactly the single years 0..89 and the 90+ group, in order
    ages = by_age.groupby(["council", "year"])["age"].agg(list)
    assert ages.map(lambda listed: tuple(listed) == AGES).all()
    assert AGES[-1] == "90+" and len(AGES) == 91


def test_source_ids_name_each_year(by_age):
    sources = by_age.groupby("year")["source"].unique().map(list).to_dict()
    # MYE2 files: the publication id and year (Found.source_id); pop2021.csv keeps its own id
    expected = {y: [f"ons_mye2_{y}"] for y in YEARS if y != "2021"} | {"2021": ["ons_mye_2021_csv"]}
    assert sources == expected


def test_councils_follow_the_geography_of_each_file(by_age):
    councils = by_age.groupby("year")["council"].unique().map(set)
    # Northamptonshire: MYE2 to mid-2019; the mid-2020 file is on 2021 geography (North/West Northants)
    assert [y for y, c in councils.items() if "E10000021" in c] == ["2015", "2016", "2017", "2018", "2019"]
    assert [y for y, c in councils.items() if {"E06000061", "E06000062"} <= c] == ["2020", "2021", "2022", "2023", "2024"]
    # Bournemouth and Dorset County to mid-2017; BCP and Dorset Council from the mid-2018 file (2019 codes)
    assert [y for y, c in councils.items() if "E06000028" in c] == ["2015", "2016", "2017"]
    assert [y for y, c in councils.items() if "E10000009" in c] == ["2015", "2016", "2017"]
    assert [y for y, c in councils.items() if "E06000058" in c] == ["2018", "2019", "2020", "2021", "2022", "2023", "2024"]
    # Buckinghamshire County to mid-2018; the unitary from the mid-2019 file (2020 codes)
    assert [y for y, c in councils.items() if "E10000002" in c] == ["2015", "2016", "2017", "2018"]
    assert [y for y, c in councils.items() if "E06000060" in c] == ["2019", "2020", "2021", "2022", "2023", "2024"]
    # Cumbria, North Yorkshire and Somerset counties to mid-2021; their unitaries from the mid-2022 file
    # (April 2023 boundaries): Cumbria splits into two, so one more council from mid-2022
    for county in ("E10000006", "E10000023", "E10000027"):
        assert [y for y, c in councils.items() if county in c] == ["2015", "2016", "2017", "2018", "2019", "2020", "2021"]
    assert [y for y, c in councils.items() if {"E06000063", "E06000064", "E06000065", "E06000066"} <= c] == ["2022", "2023", "2024"]
    assert councils.map(len).to_dict() == {"2015": 152, "2016": 152, "2017": 152, "2018": 151, "2019": 151, "2020": 152, "2021": 152,
                                           "2022": 153, "2023": 153, "2024": 153}


# ------------------------------------------------------------------------------------ published figures


@pytest.mark.parametrize("year", sorted(PUBLISHED_ENGLAND))
def test_sum_of_councils_is_the_published_england_total(by_age, year):
    assert by_age.loc[by_age["year"] == year, "value"].sum() == PUBLISHED_ENGLAND[year]


def test_england_totals_are_the_publishers_rows():
    totals = england_totals(RAW)
    assert list(totals.columns[:2]) == ["year", "value"]
    assert totals["value"].dtype == "float64"
    assert dict(zip(totals["year"], totals["value"], strict=True)) == PUBLISHED_ENGLAND


@pytest.mark.parametrize(("council", "year", "expected"), [(c, y, v) for c, years in PUBLISHED_65_PLUS.items() for y, v in years.items()])
def test_65_plus_matches_published_figures(bands, council, year, expected):
    value = band_table(bands).loc[(council, year), "65+"]
    assert value == expected


# ------------------------------------------------------------------------------------ mid-2021 counties


def test_2021_shire_counties_are_the_sum_of_their_districts(by_age):
    pop = pd.read_csv(POP2021)
    lookup = pd.read_csv(LOOKUP)
    lookup = lookup[lookup["CTY20CD"].str.startswith("E10")]
    expected = (
        pop.merge(lookup, left_on="ladcode21", right_on="LAD20CD").groupby(["CTY20CD", "age"])["population_2021"].sum()
    )
    expected.index = expected.index.set_levels(expected.index.levels[1].map(lambda a: "90+" if a == 90 else str(a)), level=1)

    counties = by_age[(by_age["year"] == "2021") & by_age["council"].str.startswith("E10")]
    got = counties.set_index(["council", "age"])["value"]
    assert set(got.index.get_level_values(0)) == set(expected.index.get_level_values(0))
    assert len(set(got.index.get_level_values(0))) == 24  # Northamptonshire was abolished in April 2021
    pd.testing.assert_series_equal(got.sort_index(), expected.astype(float).sort_index(), check_names=False, check_index_type=False)

    hampshire = pop[pop["ladcode21"].isin(lookup.loc[lookup["CTY20CD"] == HAMPSHIRE, "LAD20CD"])]["population_2021"].sum()
    assert counties.loc[counties["council"] == HAMPSHIRE, "value"].sum() == hampshire


def test_2021_has_no_county_for_an_abolished_county_and_keeps_the_unitaries(by_age):
    councils = set(by_age.loc[by_age["year"] == "2021", "council"])
    assert "E10000021" not in councils
    assert {"E06000061", "E06000062"} <= councils


def test_2021_county_with_some_districts_missing_is_an_error(tmp_path):
    pop = pd.read_csv(POP2021, dtype=str)
    pop[pop["ladcode21"] != "E07000084"].to_csv(tmp_path / "pop2021.csv", index=False)  # drop Basingstoke and Deane
    with pytest.raises(DataError) as caught:
        districts_population_by_age(tmp_path / "pop2021.csv", LOOKUP)
    assert "E10000014" in str(caught.value) and "E07000084" in str(caught.value)


def test_2021_non_numeric_value_names_file_row_and_column():
    with pytest.raises(DataError) as caught:
        districts_population_by_age(FIXTURES / "pop2021_bad_value" / "pop2021.csv", LOOKUP)
    message = str(caught.value)
    assert "pop2021_bad_value" in message and "pop2021.csv" in message
    assert "row 3" in message  # line 3 of the file: Hartlepool, sex 1, age 1, "4 77"
    assert "column 'population_2021'" in message
    assert "'4 77'" in message


# ------------------------------------------------------------------------------------ workbooks


def write_mye_workbook(path: Path, cell_65: object, all_ages: object | None = None) -> None:
    """A miniature MYE2 sheet: two title rows, a blank row, header on row 4, England row 5, Southampton row 6."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "MYE2 - Persons"
    sheet.append(["MYE2: Persons by single year of age"])
    sheet.append(["a note"])
    sheet.append([])
    sheet.append(["Code", "Name", "Geography", "All ages", *range(90), "90+"])
    sheet.append(["E92000001", "ENGLAND", "Country", 91 * 10, *[10] * 91])
    southampton = [1] * 91
    southampton[65] = cell_65
    sheet.append([SOUTHAMPTON, "Southampton", "Unitary Authority", 91 if all_ages is None else all_ages, *southampton])
    book.save(path)


def test_workbook_reads_a_miniature_sheet(tmp_path):
    write_mye_workbook(tmp_path / "mini.xlsx", 1)
    table = workbook_population_by_age(tmp_path / "mini.xlsx", "MYE2 - Persons", "2020", "ons_mye_2020")
    assert set(table["council"]) == {SOUTHAMPTON}  # ENGLAND is not a council
    assert list(table["age"]) == list(AGES)
    assert table["value"].sum() == 91


def test_workbook_non_numeric_cell_names_file_spreadsheet_row_and_column(tmp_path):
    write_mye_workbook(tmp_path / "mini.xlsx", "1O")
    with pytest.raises(DataError) as caught:
        workbook_population_by_age(tmp_path / "mini.xlsx", "MYE2 - Persons", "2020", "ons_mye_2020")
    message = str(caught.value)
    assert "mini.xlsx" in message and "row 6" in message and "column '65'" in message and "'1O'" in message


def test_workbook_all_ages_disagreeing_with_single_years_is_an_error(tmp_path):
    write_mye_workbook(tmp_path / "mini.xlsx", 1, all_ages=90)
    with pytest.raises(DataError, match=r"row 6, column 'All ages'"):
        workbook_population_by_age(tmp_path / "mini.xlsx", "MYE2 - Persons", "2020", "ons_mye_2020")


def test_suppressed_cell_is_missing_not_zero(tmp_path):
    write_mye_workbook(tmp_path / "mini.xlsx", "x", all_ages=90)
    table = workbook_population_by_age(tmp_path / "mini.xlsx", "MYE2 - Persons", "2020", "ons_mye_2020")
    assert table.loc[table["age"] == "65", "value"].isna().all()
    bands = band_table(load_population_bands(table)).loc[(SOUTHAMPTON, "2020")]
    assert bands[["all_ages", "65+", "65-74", "18+"]].isna().all()
    assert bands["0-17"] == 18 and bands["75-84"] == 10


# ------------------------------------------------------------------------------------ bands


def test_bands_have_the_documented_names(bands):
    assert list(bands.columns) == ["council", "year", "measure", "age_band", "value", "unit", "source"]
    assert set(bands["age_band"]) == set(AGE_BANDS) >= {"all_ages", "0-17", "18-64", "65+", "65-74", "75-84", "85+", "18+"}


def test_bands_add_up_for_every_council_year(bands, by_age):
    table = band_table(bands)
    assert len(table) == len(by_age.groupby(["council", "year"]))
    assert table.notna().all().all()
    assert ((table["0-17"] + table["18-64"] + table["65+"]) == table["all_ages"]).all()
    assert ((table["65-74"] + table["75-84"] + table["85+"]) == table["65+"]).all()
    assert ((table["18-64"] + table["65+"]) == table["18+"]).all()


# ------------------------------------------------------------------------------------ duplicate files cross-check


def test_the_workbook_is_used_and_the_2020_csv_is_a_duplicate():
    files = mye2_files(RAW)
    assert sorted(files.used) == [y for y in YEARS if y != "2021"]  # mid-2021 comes from pop2021.csv
    assert files.used["2020"][0].name == "ukpopestimatesmid2020on2021geography.xls"
    assert [(path.name, found.year) for path, found in files.duplicates] == [("lad_age_2020.csv", "2020")]


def test_2020_csv_agrees_with_the_workbook(by_age):
    assert cross_check_duplicates(RAW, by_age) == []


def test_2020_csv_disagreement_and_bad_value_are_reported(by_age):
    # Fixture: header and the Leicester and Southampton rows of lad_age_2020.csv, with Leicester age 5
    # changed from "5,019" to "5,0l9" and Southampton age 70 changed from "1,794" to "2,601".
    mine = by_age[by_age["council"].isin([LEICESTER, SOUTHAMPTON])]
    path = FIXTURES / "lad_age_2020_disagrees" / "population" / "lad_age_2020.csv"
    problems = cross_check_mye2(path, detect_mye2(path), mine)
    assert [(p.row, p.column) for p in problems] == [(2, "5"), (3, "70")]
    assert all(p.file.endswith("lad_age_2020.csv") for p in problems)
    assert "5,0l9" in problems[0].message
    assert "2,601" in problems[1].message and "1,794" in problems[1].message


# ------------------------------------------------------------------------------------ area and density


def test_area_and_density_as_published():
    table = load_area_and_density(RAW)
    # the MYE5 CSV, completed by the MYE5 sheets of the MYE workbooks (newer years and councils)
    assert "ons_mye5_2020" in set(table["source"]) and {"ons_mye2_2023", "ons_mye2_2022"} <= set(table["source"])
    assert table["council"].str.match(COUNCIL_CODE_PATTERN).all()
    assert not table.duplicated(["council", "measure", "year"]).any()
    area = table[table["measure"] == "area_sq_km"]
    assert set(area.loc[area["source"] == "ons_mye5_2020", "year"]) == {"2020"} and set(area["unit"]) == {"sq_km"}
    density = table[table["measure"] == "population_density"]
    csv_density = density[density["source"] == "ons_mye5_2020"]
    assert sorted(set(csv_density["year"])) == [str(y) for y in range(2001, 2021)]  # every mid-year column of the file
    assert sorted(set(density["year"]))[-1] == "2023"  # the newest MYE5 sheet (mid-2023 release)
    assert set(density["unit"]) == {"persons_per_sq_km"}
    values = table.set_index(["council", "measure", "year"])["value"]
    assert values[(HAMPSHIRE, "area_sq_km", "2020")] == 3678
    assert values[(HAMPSHIRE, "population_density", "2020")] == 378
    assert values[("E09000001", "population_density", "2019")] == 3364  # City of London
    assert values[("E06000062", "area_sq_km", "2020")] == 1377  # West Northamptonshire (code has a trailing NBSP)
    # the April 2023 unitaries, from the mid-2023 workbook's MYE5 sheet (area 3,012.2 sq km; 92 per sq km)
    assert values[("E06000063", "area_sq_km", "2023")] == pytest.approx(3012.2075)
    assert values[("E06000063", "population_density", "2023")] == 92
    # a figure the CSV holds is kept as it was, not replaced by a later release's revision
    assert values[(HAMPSHIRE, "population_density", "2020")] == 378
