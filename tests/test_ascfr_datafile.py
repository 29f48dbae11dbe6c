"""NHS England's ASC-FR data file: detect by content, read any year, reconcile the publisher's totals.

Expected figures are the publisher's, as quoted in data/raw/ascfr/ltc-gce-by-setting/README.md
(£ thousand), never values read back from this code.
"""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from benchmark.data import ascfr
from benchmark.data.ascfr_datafile import (
    PUBLICATIONS,
    ImpliedValue,
    check_ascfr_datafile_sums,
    detect_ascfr_datafile,
    read_ascfr_datafile,
    read_ascfr_datafile_areas,
    sum_failures,
)
from benchmark.data.tidy import is_council_code
from benchmark.errors import DataError

from conftest import FIXTURES, RAW, single_line_error

LTC = RAW / "ascfr" / "ltc-gce-by-setting"
SAMPLE = RAW / "ascfr" / "format-sample-2021-22" / "gce-excerpt.csv"
MINIMAL = FIXTURES / "ascfr_datafile" / "synthetic_minimal.csv"
YEARS = ["2019-20", "2020-21", "2021-22", "2022-23", "2023-24"]
THOUSAND = 1000.0

#: Councils suppressed ('[x]' in every measure) each year, as the README lists them.
SUPPRESSED = {
    "2019-20": set(),
    "2020-21": {"E09000012", "E08000005"},  # Hackney, Rochdale
    "2021-22": {"E09000012", "E06000030"},  # Hackney, Swindon
    "2022-23": {"E09000012", "E09000017", "E09000030"},  # Hackney, Hillingdon, Tower Hamlets
    "2023-24": {"E06000064"},  # Westmorland and Furness
}
COUNCILS = {"2019-20": 151, "2020-21": 151, "2021-22": 152, "2022-23": 152, "2023-24": 153}


def shipped(year: str) -> Path:
    return LTC / f"ascfr_ltc_gce_by_setting_{year}.csv"


@pytest.fixture(scope="module")
def areas():
    """Every shipped year's full table (councils, regions, England), read once."""
    out = {}
    for year in YEARS:
        path = shipped(year)
        out[year] = read_ascfr_datafile_areas(path, detect_ascfr_datafile(path))
    return out


def ltc(table: pd.DataFrame, area: str, age_band: str, setting: str = "total") -> float:
    rows = table[(table["area"] == area) & (table["care_type"] == "long_term") & (table["age_band"] == age_band)
                 & (table["primary_support_reason"] == "total") & (table["support_setting"] == setting)]
    assert len(rows) == 1, rows
    return float(rows["value"].iloc[0])


# --------------------------------------------------------------------------------------------
# detect
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("year", YEARS)
def test_detect_shipped_extracts(year):
    found = detect_ascfr_datafile(shipped(year))
    assert found is not None
    assert (found.publication, found.year) == ("ascfr_datafile", year)
    assert found.edition == "extract (16 measures)"  # README: 16 measures (UUIDs) x 163 areas
    assert found.source_id == f"ascfr_datafile_{year.replace('-', '_')}"


def test_detect_format_sample_reads_its_year_from_fy_ending():
    found = detect_ascfr_datafile(SAMPLE)
    assert found is not None and found.year == "2021-22"  # FY_ENDING 2022
    assert found.edition == "extract (1 measure)"


@pytest.mark.parametrize("path", [
    RAW / "ascfr" / "CSV ASCFR Totals.csv",  # 2016-17 keyed pack (CASSR_CODE, GEOGRAPHY_CODE, *_KEY)
    RAW / "ascfr" / "Support Type With Populations with per100k.rds.csv",  # 2017-18: GEOGRAPHY_LEVEL, UUID, *_Key
    RAW / "ascof" / "trend_data.csv",
    RAW / "ascfr" / "CSV ASCFR Activity.csv",
    RAW / "ascfr" / "pss-exp-eng-15-16-fin-act.csv",
    RAW / "ascfr" / "ltc-gce-by-setting" / "README.md",
])
def test_detect_other_files_is_none(path):
    assert path.exists()
    assert detect_ascfr_datafile(path) is None


def test_publication_entry():
    (publication,) = PUBLICATIONS
    assert publication.id == "ascfr_datafile" and publication.table == "ascfr_datafile"
    assert publication.publisher == "NHS England" and publication.year_kind == "financial"
    assert publication.detect is detect_ascfr_datafile and publication.read is read_ascfr_datafile
    assert "data file" in publication.where_to_get


# --------------------------------------------------------------------------------------------
# read: the publisher's figures
# --------------------------------------------------------------------------------------------

def test_2023_24_england_and_southampton(areas):
    t = areas["2023-24"]
    assert ltc(t, "E92000001", "18-64") == pytest.approx(10_390_148.21 * THOUSAND, abs=5)
    assert ltc(t, "E92000001", "65+") == pytest.approx(11_012_975.77 * THOUSAND, abs=5)
    together = ltc(t, "E92000001", "18-64") + ltc(t, "E92000001", "65+")
    assert round(together / 1e9, 2) == 21.40  # NHS England's published 2023-24 long-term care figure
    assert ltc(t, "E06000045", "18-64") == pytest.approx(40_382.37 * THOUSAND, abs=5)
    assert ltc(t, "E06000045", "65+") == pytest.approx(40_023.97 * THOUSAND, abs=5)
    assert ltc(t, "E06000045", "65+", "nursing") == pytest.approx(16_875.07 * THOUSAND, abs=5)
    assert ltc(t, "E06000045", "65+", "residential") == pytest.approx(14_424.66 * THOUSAND, abs=5)


def test_2023_24_westmorland_and_furness_is_missing_not_zero():
    path = shipped("2023-24")
    table = read_ascfr_datafile(path, detect_ascfr_datafile(path))
    wf = table[table["council"] == "E06000064"]
    assert len(wf) == 16
    assert wf["value"].isna().all()
    assert (table["value"] == 0).any()  # real zeros stay zeros


def test_2022_23_england(areas):
    t = areas["2022-23"]
    assert ltc(t, "E92000001", "18-64") == pytest.approx(9_147_467 * THOUSAND, abs=1)
    assert ltc(t, "E92000001", "65+") == pytest.approx(9_278_066 * THOUSAND, abs=1)
    assert ltc(t, "E06000045", "65+", "nursing") == pytest.approx(14_404 * THOUSAND, abs=1)
    assert ltc(t, "E06000045", "65+", "residential") == pytest.approx(13_625 * THOUSAND, abs=1)


def test_2021_22_england(areas):
    t = areas["2021-22"]
    assert ltc(t, "E92000001", "18-64") == pytest.approx(8_274_432 * THOUSAND, abs=1)
    assert ltc(t, "E92000001", "65+") == pytest.approx(8_292_035 * THOUSAND, abs=1)
    assert ltc(t, "E06000045", "65+") == pytest.approx(39_004 * THOUSAND, abs=1)


def test_2020_21_england_and_southampton(areas):
    t = areas["2020-21"]
    assert ltc(t, "E92000001", "65+") == pytest.approx(7_748_385.49 * THOUSAND, abs=5)
    assert ltc(t, "E92000001", "18-64") == pytest.approx(7_876_898.712 * THOUSAND, abs=0.5)
    # the README quotes Southampton to the whole thousand
    assert ltc(t, "E06000045", "65+") == pytest.approx(29_330 * THOUSAND, abs=500)


def test_2019_20_england(areas):
    t = areas["2019-20"]
    assert ltc(t, "E92000001", "18-64") == pytest.approx(7_542_404.306 * THOUSAND, abs=0.5)
    assert ltc(t, "E92000001", "65+") == pytest.approx(7_850_009.781 * THOUSAND, abs=0.5)
    assert ltc(t, "E06000045", "18-64") == pytest.approx(32_633 * THOUSAND, abs=500)


@pytest.mark.parametrize("year", YEARS)
def test_council_table_holds_councils_only(year):
    path = shipped(year)
    found = detect_ascfr_datafile(path)
    table = read_ascfr_datafile(path, found)
    assert list(table.columns[:3]) == ["council", "year", "measure"]
    assert list(table.columns[-3:]) == ["value", "unit", "source"]
    assert table["council"].map(is_council_code).all()
    assert table["council"].nunique() == COUNCILS[year]
    assert set(table["year"]) == {year} and set(table["unit"]) == {"gbp"}
    assert set(table["source"]) == {found.source_id}
    assert len(table) == 16 * COUNCILS[year]
    suppressed = set(table.loc[table["value"].isna(), "council"])
    assert suppressed == SUPPRESSED[year]


@pytest.mark.parametrize("year", YEARS)
def test_england_and_regions_are_kept_apart(areas, year):
    t = areas[year]
    levels = {level: set(group["area"]) for level, group in t.groupby("area_level")}
    assert levels["england"] == {"E92000001"}
    assert levels["region"] == {f"E120000{n:02d}" for n in range(1, 10)}
    assert all(is_council_code(c) for c in levels["council"])
    assert len(levels["council"]) == COUNCILS[year]


def test_vocabulary_joins_with_ascfr_py(areas):
    t = areas["2023-24"]
    settings = set(ascfr.LABELS["support_setting"].values())
    assert set(t["support_setting"]) - {"total"} == settings
    assert set(t["age_band"]) == {"18-64", "65+"}
    assert set(t["care_type"]) == {"long_term"}
    assert set(t["primary_support_reason"]) == {"total"}
    assert set(t["measure"]) == {"gross_current_expenditure"}
    assert set(t["data_type"]) == {"mandatory"}


def test_new_council_is_keyed_by_its_ons_code():
    # North Northamptonshire carries CASSR 'Z9D4Z' in the format sample; its key is GEOGRAPHY_CODE
    table = read_ascfr_datafile(SAMPLE, detect_ascfr_datafile(SAMPLE))
    nn = table[table["council"] == "E06000061"]
    assert len(nn) == 1 and nn["value"].iloc[0] == pytest.approx(926 * THOUSAND)
    assert not table.astype(str).isin(["Z9D4Z"]).any().any()
    hackney = table[table["council"] == "E09000012"]
    assert hackney["value"].isna().all()  # '[x]'
    assert table.loc[table["council"] == "E09000001", "value"].iloc[0] == 0  # City of London: a real 0


# --------------------------------------------------------------------------------------------
# sums
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("year", YEARS)
def test_sums_pass_on_every_shipped_file(areas, year):
    problems = check_ascfr_datafile_sums(areas[year])
    assert sum_failures(problems) == []
    implied = [p for p in problems if isinstance(p, ImpliedValue)]
    areas_implied = {code for p in implied for code in p.area.split(",")}
    assert areas_implied == SUPPRESSED[year]
    for p in implied:
        assert p.file.endswith(f"ascfr_ltc_gce_by_setting_{year}.csv") and "not a failure" in p.message
        assert math.isfinite(p.implied)
    if SUPPRESSED[year]:
        assert len({p.uuid for p in implied}) == 16


def _changed_copy(tmp_path: Path, year: str, uuid: str, area: str, delta: float) -> Path:
    lines = shipped(year).read_text(encoding="utf-8").splitlines(keepends=True)
    target = [i for i, line in enumerate(lines) if f",{uuid},{year[:2]}{year[-2:]}," in line and f",{area}," in line]
    assert len(target) == 1
    cells = lines[target[0]].rstrip("\n").split(",")
    cells[-1] = repr(float(cells[-1]) + delta)
    lines[target[0]] = ",".join(cells) + "\n"
    copy = tmp_path / f"changed_{year}.csv"
    copy.write_text("".join(lines), encoding="utf-8")
    return copy


@pytest.mark.parametrize("year", ["2023-24", "2022-23"])
def test_sums_fail_when_one_council_value_is_changed_by_10(tmp_path, year):
    # Southampton, long-term care 65+, nursing (UUID 81281x15 with x = 1)
    copy = _changed_copy(tmp_path, year, "8128115", "E06000045", 10)
    failures = sum_failures(check_ascfr_datafile_sums(read_ascfr_datafile_areas(copy, detect_ascfr_datafile(copy))))
    assert failures
    assert all(p.file.endswith(copy.name) and p.row is not None for p in failures)
    # the Total setting of Southampton no longer matches its settings (caught in whole-thousand years too)
    assert any("Southampton (E06000045)" in p.message and "support settings" in p.message for p in failures)
    if year == "2023-24":  # a decimal year: the region check is tight enough to catch 10 as well
        assert any("South East (E12000008)" in p.message and "councils" in p.message for p in failures)


def test_sums_on_synthetic_fixture():
    areas_table = read_ascfr_datafile_areas(MINIMAL, detect_ascfr_datafile(MINIMAL))
    assert check_ascfr_datafile_sums(areas_table) == []


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------

def _mutated(tmp_path: Path, edit) -> Path:
    lines = MINIMAL.read_text(encoding="utf-8").splitlines()
    rows = [line.split(",") for line in lines]
    edit(rows)
    path = tmp_path / "data_file.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _col(rows, name):
    return rows[0].index(name)


def test_synthetic_fixture_reads():
    found = detect_ascfr_datafile(MINIMAL)
    assert found.year == "2023-24"
    table = read_ascfr_datafile(MINIMAL, found)
    assert set(table["council"]) == {"E06000045", "E06000099"}
    new = table.set_index(["council", "support_setting"])["value"]
    assert new[("E06000099", "nursing")] == 0
    assert new[("E06000099", "residential")] == pytest.approx(25_500)


def test_a_file_of_unknown_data_levels_only_is_one_line_naming_file_line_and_column(tmp_path):
    def edit(rows):
        i = _col(rows, "DATA_Level")
        for r in rows[1:]:
            r[i] = "Gross Total Expenditure"
    path = _mutated(tmp_path, edit)
    found = detect_ascfr_datafile(path)
    with pytest.raises(DataError) as excinfo:
        read_ascfr_datafile(path, found)
    message = single_line_error(excinfo, "data_file.csv")
    assert "row 2" in message and "column 'DATA_Level'" in message
    assert "unknown DATA_Level 'Gross Total Expenditure'" in message and "Gross Current Expenditure" in message


def test_rows_of_an_unknown_data_level_are_left_out_and_reported_not_guessed(tmp_path):
    """A full data file also holds measures whose units are not established: those rows are not
    read, each label is reported once, and the known measure is read as usual."""
    def edit(rows):
        i = _col(rows, "DATA_Level")
        for r in rows[1:]:
            if r[_col(rows, "UUID")] == "8128215":
                r[i] = "Gross Total Expenditure"
    path = _mutated(tmp_path, edit)
    areas = read_ascfr_datafile_areas(path, detect_ascfr_datafile(path))
    assert "8128215" not in set(areas["uuid"]) and len(areas)
    assert len(areas.attrs["not_read"]) == 1
    note = areas.attrs["not_read"][0]
    assert "data_file.csv, row 6, column 'DATA_Level'" in note and "'Gross Total Expenditure' not read" in note


def test_unknown_breakdown_label_is_reported_not_guessed(tmp_path):
    def edit(rows):
        for r in rows[1:]:
            if r[_col(rows, "UUID")] == "8128215":
                r[_col(rows, "SupportSetting")] = "Shared Lives"
    path = _mutated(tmp_path, edit)
    with pytest.raises(DataError) as excinfo:
        read_ascfr_datafile(path, detect_ascfr_datafile(path))
    message = single_line_error(excinfo, "data_file.csv")
    assert "unknown SupportSetting 'Shared Lives'" in message and "row 6" in message


def test_two_financial_years_is_one_line(tmp_path):
    def edit(rows):
        rows[4][_col(rows, "FY_ENDING")] = "2023"
    path = _mutated(tmp_path, edit)
    with pytest.raises(DataError) as excinfo:
        detect_ascfr_datafile(path)
    message = single_line_error(excinfo, "data_file.csv")
    assert "2024" in message and "2023" in message and "FY_ENDING" in message


def test_duplicate_row_names_both_lines(tmp_path):
    def edit(rows):
        rows.append(list(rows[3]))  # Southampton's nursing row (line 4) again, as line 14
    path = _mutated(tmp_path, edit)
    with pytest.raises(DataError) as excinfo:
        read_ascfr_datafile(path, detect_ascfr_datafile(path))
    message = single_line_error(excinfo, "data_file.csv")
    assert "8128115" in message and "E06000045" in message and "lines 4 and 14" in message


def test_non_number_itemvalue(tmp_path):
    def edit(rows):
        rows[3][-1] = "12a"
    path = _mutated(tmp_path, edit)
    with pytest.raises(DataError) as excinfo:
        read_ascfr_datafile(path, detect_ascfr_datafile(path))
    message = single_line_error(excinfo, "data_file.csv")
    assert "row 4" in message and "column 'ITEMVALUE'" in message and "'12a'" in message


@pytest.mark.parametrize("column", ["AgeBand", "ITEMVALUE", "DATA_Level", "GEOGRAPHY_CODE"])
def test_missing_required_column(tmp_path, column):
    def edit(rows):
        i = _col(rows, column)
        for r in rows:
            del r[i]
    path = _mutated(tmp_path, edit)
    with pytest.raises(DataError) as excinfo:
        detect_ascfr_datafile(path)
    message = single_line_error(excinfo, "data_file.csv")
    assert f"column '{column}'" in message and "missing" in message


def test_header_case_and_bom_are_tolerated(tmp_path):
    text = MINIMAL.read_text(encoding="utf-8").replace("DATA_Level", "DATA_LEVEL", 1)
    path = tmp_path / "upper.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    found = detect_ascfr_datafile(path)
    assert found is not None and found.year == "2023-24"
    assert len(read_ascfr_datafile(path, found)) == 6


def test_not_a_csv_or_binary_is_none(tmp_path):
    binary = tmp_path / "book.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    assert detect_ascfr_datafile(binary) is None
    other = tmp_path / "copy.txt"
    shutil.copy(MINIMAL, other)
    assert detect_ascfr_datafile(other) is None
