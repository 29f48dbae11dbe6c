"""Census 2021 bulk tables: the publisher's figures, the 2023 unitaries built from districts,
detection by content."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from benchmark.data.census import DISTRICTS_OF_NEW_COUNCILS, england_counts, find_files, load_census
from benchmark.errors import DataError

from conftest import RAW

SOUTHAMPTON, LEICESTER = "E06000045", "E06000016"


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    census = load_census(RAW)
    return census.pivot_table(index="council", columns="measure", values="value")


def shares(row: pd.Series) -> tuple[float, float, float]:
    """85+ share of 15+, social rented share of households, full-time students share of 16+ (%)."""
    return (100 * row["usual_residents_aged_85plus"] / row["usual_residents_aged_15plus"],
            100 * row["households_social_rented"] / row["households"],
            100 * row["full_time_students"] / row["usual_residents_aged_16plus"])


def test_published_shares_for_southampton_and_leicester(counts):
    # SOURCES.md: Southampton 2.21%, 21.90%, 14.45%; Leicester 1.82%, 23.15%, 14.96%
    assert shares(counts.loc[SOUTHAMPTON]) == pytest.approx((2.21, 21.90, 14.45), abs=0.005)
    assert shares(counts.loc[LEICESTER]) == pytest.approx((1.82, 23.15, 14.96), abs=0.005)
    # Southampton TS007a by hand: 4,573 aged 85+ of 248,921 - (13,796 + 14,453 + 13,835) = 206,837 aged 15+
    assert counts.loc[SOUTHAMPTON, "usual_residents_aged_15plus"] == 206_837
    assert counts.loc[SOUTHAMPTON, "usual_residents_aged_85plus"] == 4_573


def test_england_total_and_councils_add_up():
    england = england_counts(RAW)
    assert england["usual_residents"] == 56_490_048
    census = load_census(RAW)
    rows = census[(census.measure == "usual_residents") & census.source.str.endswith("_utla")]
    # ONS perturbs cells for disclosure control: the 152 councils are 7 people short of England
    assert len(rows) == 152 and rows["value"].sum() == pytest.approx(56_490_048, abs=10)


def test_2023_unitaries_are_built_from_their_districts(counts):
    for council in DISTRICTS_OF_NEW_COUNCILS:
        assert counts.loc[council].notna().all()
    # North Yorkshire and Somerset have their counties' areas: the same counts within ONS's noise
    for unitary, county in (("E06000065", "E10000023"), ("E06000066", "E10000027")):
        assert counts.loc[unitary].to_numpy() == pytest.approx(counts.loc[county].to_numpy(), abs=10)
    # Cumbria split into Cumberland and Westmorland and Furness
    split = counts.loc["E06000063"] + counts.loc["E06000064"]
    assert split.to_numpy() == pytest.approx(counts.loc["E10000006"].to_numpy(), abs=10)
    assert counts.loc["E06000063", "usual_residents"] == 273_255


def test_files_found_by_content_not_name(tmp_path):
    folder = tmp_path / "census2021" / "nested"
    folder.mkdir(parents=True)
    for path in (RAW / "census2021").glob("*.csv"):
        shutil.copy(path, folder / f"table_{abs(hash(path.name))}.csv")
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    found = find_files(tmp_path)
    assert len(found) == 12
    assert {(f.table.id, f.level) for f in found} >= {("TS007a", "upper_tier"), ("TS054", "district"), ("TS062", "country")}
    assert load_census(tmp_path)["value"].sum() == load_census(RAW)["value"].sum()


def test_missing_district_file_is_one_line_error(tmp_path):
    folder = tmp_path / "census2021"
    folder.mkdir()
    for path in (RAW / "census2021").glob("*.csv"):
        if "ts054-ltla" not in path.name:
            shutil.copy(path, folder / path.name)
    with pytest.raises(DataError) as excinfo:
        load_census(tmp_path)
    message = str(excinfo.value)
    assert "\n" not in message and "TS054" in message and "district" in message
