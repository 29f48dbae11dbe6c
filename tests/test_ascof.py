"""ASCOF trend data: published figures, units, coverage, England rows and bad-input errors.

Expected values are the published ASCOF figures, or worked out by hand from the small fixtures in
tests/fixtures/ascof.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchmark.data.ascof import load_ascof, load_ascof_england, load_measure_direction
from benchmark.data.tidy import COUNCIL_CODE_PATTERN
from benchmark.errors import DataError

from conftest import single_line_error

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
FIXTURES = ROOT / "tests" / "fixtures" / "ascof"
SOUTHAMPTON = "E06000045"
YEARS = ["2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23", "2023-24"]


@pytest.fixture(scope="module")
def ascof() -> pd.DataFrame:
    return load_ascof(RAW)


def value(frame: pd.DataFrame, council: str, year: str, measure: str) -> float:
    rows = frame[(frame.council == council) & (frame.year == year) & (frame.measure == measure)]
    assert len(rows) == 1, rows
    return float(rows["value"].iloc[0])


# --- published figures --------------------------------------------------------------------------

def test_southampton_delayed_transfers_2017_18(ascof):
    assert value(ascof, SOUTHAMPTON, "2017-18", "2C1") == pytest.approx(19.1)
    assert value(ascof, SOUTHAMPTON, "2017-18", "2C2") == pytest.approx(8.5)
    assert value(ascof, SOUTHAMPTON, "2017-18", "2C3") == pytest.approx(1.8)
    units = ascof[(ascof.council == SOUTHAMPTON) & ascof.measure.isin(["2C1", "2C2", "2C3"])]["unit"]
    assert set(units) == {"rate_per_100k"}


def test_tidy_contract(ascof):
    assert list(ascof.columns) == ["council", "year", "measure", "description", "disaggregation", "value", "unit", "source"]
    assert ascof["council"].str.match(COUNCIL_CODE_PATTERN.pattern).all()
    assert not ascof.duplicated(["council", "year", "measure", "disaggregation"]).any()
    assert set(ascof["source"]) == {"ascof_trend"}
    assert set(ascof["year"]) == set(YEARS)
    assert set(ascof["disaggregation"]) == {"Total"}


def test_councils_per_year(ascof):
    # 152 councils with social services responsibilities until 2018-19; BCP merger -> 151
    # (2019-20), Buckinghamshire county -> unitary (2020-21, still 151), Northamptonshire split
    # -> 152 (2021-22), Cumbria split with North Yorkshire and Somerset unitary -> 153 (2023-24).
    counts = ascof.groupby("year")["council"].nunique().to_dict()
    assert counts == {"2017-18": 152, "2018-19": 152, "2019-20": 151, "2020-21": 151, "2021-22": 152, "2022-23": 152, "2023-24": 153}


def test_measure_coverage_is_plausible(ascof):
    per = ascof.groupby(["measure", "year"])["council"].nunique()
    assert 148 <= per[("2A1", "2017-18")] <= 152
    assert 148 <= per[("2A2", "2022-23")] <= 152
    # delayed transfers were collected 2017-18 to 2019-20 only
    assert set(ascof.loc[ascof.measure == "2C1", "year"]) == {"2017-18", "2018-19", "2019-20"}
    # 2020-21 user survey was voluntary: few councils
    assert per[("1A", "2020-21")] < 30
    # renumbered in 2023-24: 2A1/2A2 end in 2022-23, 2B/2C per 100,000 begin in 2023-24
    assert max(ascof.loc[ascof.measure == "2A2", "year"]) == "2022-23"
    assert set(ascof.loc[ascof.measure == "2C", "year"]) == {"2023-24"}


def test_units(ascof):
    units = ascof.groupby(["measure", "year"])["unit"].first()
    assert units[("1A", "2017-18")] == "score"  # social care-related quality of life, 0-24
    assert units[("1J", "2019-20")] == "score"  # adjusted SCRQoL, around 0.4
    assert units[("1B", "2023-24")] == "score"  # 1J renumbered
    assert units[("1B", "2022-23")] == "pct"  # control over daily life
    assert units[("2A2", "2018-19")] == "rate_per_100k"
    assert units[("2C", "2023-24")] == "rate_per_100k"
    assert units[("1C2A", "2017-18")] == "pct"
    # 2A1 and 2A2 have no description in 2017-18: unit from the same code in 2018-19
    blank = ascof[(ascof.year == "2017-18") & ascof.measure.isin(["2A1", "2A2"])]
    assert blank["description"].isna().all() and set(blank["unit"]) == {"rate_per_100k"}
    pct = ascof.loc[ascof.unit == "pct", "value"]
    assert pct.between(0, 100).all()


def test_england_and_regions():
    areas = load_ascof_england(RAW)
    assert set(areas["level"]) == {"England", "Region"}
    assert set(areas.loc[areas.level == "England", "area"]) == {"E92000001"}
    assert set(areas.loc[areas.level == "Region", "area"]) == {f"E1200000{i}" for i in range(1, 10)}
    england = areas[(areas.level == "England") & (areas.year == "2017-18")].set_index("measure")["value"]
    # published England 2017-18: SCRQoL 19.1, older people's admissions 585.6 per 100,000
    assert england["1A"] == pytest.approx(19.1)
    assert england["2A2"] == pytest.approx(585.6)


def test_measure_direction():
    direction = load_measure_direction(RAW)
    assert len(direction) == 22 and direction.index.is_unique
    assert set(direction) == {"higher", "lower"}
    assert direction["Proportion of people who use services who feel safe"] == "higher"
    older = "Long-term support needs of older adults (aged 65 and over) met by admission to residential and nursing care homes, per 100,000 population"
    assert direction[older] == "lower"


# --- hand-made fixtures ---------------------------------------------------------------------------

def test_small_fixture_by_hand():
    frame = load_ascof(RAW, path=FIXTURES / "ascof_small.csv")
    # district, region, England and council-type rows are not councils
    assert len(frame) == 7 and set(frame["council"]) == {"E06000001", "E06000002"}
    assert value(frame, "E06000001", "2017-18", "2A1") == 12.5
    assert frame.loc[(frame.measure == "2A1") & (frame.year == "2017-18"), "unit"].item() == "rate_per_100k"
    assert frame.loc[frame.measure == "1B", "unit"].item() == "score"
    assert frame.loc[frame.measure == "4A", "unit"].item() == "pct"
    assert set(frame.loc[frame.year == "2023-24", "disaggregation"]) == {"Total"}
    areas = load_ascof_england(RAW, path=FIXTURES / "ascof_small.csv")
    assert sorted(areas["area"]) == ["E12000001", "E92000001"]
    direction = load_measure_direction(RAW, path=FIXTURES / "direction_small.csv")  # file has a BOM
    assert direction.to_dict() == {
        "Proportion of people who use services who feel safe": "higher",
        "Long-term support needs of older adults (aged 65 and over) met by admission to residential and nursing care homes, per 100,000 population": "lower",
    }


def test_duplicate_key_names_both_rows():
    with pytest.raises(DataError) as excinfo:
        load_ascof(RAW, path=FIXTURES / "ascof_duplicate_key.csv")
    message = single_line_error(excinfo, "ascof_duplicate_key.csv")
    assert "row 4" in message and "duplicate of row 2" in message and "E06000001" in message and "1A" in message


def test_missing_column():
    with pytest.raises(DataError) as excinfo:
        load_ascof(RAW, path=FIXTURES / "ascof_missing_column.csv")
    assert "column 'Measure_Value'" in single_line_error(excinfo, "ascof_missing_column.csv")


def test_non_numeric_value():
    with pytest.raises(DataError) as excinfo:
        load_ascof(RAW, path=FIXTURES / "ascof_non_numeric.csv")
    message = single_line_error(excinfo, "ascof_non_numeric.csv")
    assert "row 3" in message and "column 'Measure_Value'" in message and "'18.7 (provisional)'" in message


def test_bad_year():
    with pytest.raises(DataError) as excinfo:
        load_ascof(RAW, path=FIXTURES / "ascof_bad_year.csv")
    message = single_line_error(excinfo, "ascof_bad_year.csv")
    assert "row 2" in message and "column 'Year'" in message and "'2017/18'" in message


def test_council_row_without_code():
    with pytest.raises(DataError) as excinfo:
        load_ascof(RAW, path=FIXTURES / "ascof_bad_council_code.csv")
    message = single_line_error(excinfo, "ascof_bad_council_code.csv")
    assert "row 3" in message and "column 'ONS Code'" in message


def test_percentage_over_100():
    with pytest.raises(DataError) as excinfo:
        load_ascof(RAW, path=FIXTURES / "ascof_pct_over_100.csv")
    message = single_line_error(excinfo, "ascof_pct_over_100.csv")
    assert "row 2" in message and "701" in message


def test_bad_direction():
    with pytest.raises(DataError) as excinfo:
        load_measure_direction(RAW, path=FIXTURES / "direction_bad_value.csv")
    message = single_line_error(excinfo, "direction_bad_value.csv")
    assert "row 3" in message and "column 'Direction'" in message and "'Better if higher'" in message


def test_missing_file(tmp_path):
    with pytest.raises(DataError) as excinfo:
        load_ascof(tmp_path)
    assert "trend_data.csv" in str(excinfo.value) and "file not found" in str(excinfo.value)
