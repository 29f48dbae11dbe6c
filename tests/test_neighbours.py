"""Nearest-neighbour sets: Southampton's published set, shape of the table and bad-input errors."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchmark.data.neighbours import load_nearest_neighbours
from benchmark.data.tidy import COUNCIL_CODE_PATTERN
from benchmark.errors import DataError

from conftest import single_line_error

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
FIXTURES = ROOT / "tests" / "fixtures" / "neighbours"


@pytest.fixture(scope="module")
def nn() -> pd.DataFrame:
    return load_nearest_neighbours(RAW)


def test_southampton_set(nn):
    southampton = set(nn.loc[nn.council == "E06000045", "neighbour"])
    assert southampton == {
        "E06000010",  # Kingston upon Hull
        "E06000015",  # Derby
        "E06000018",  # Nottingham
        "E06000021",  # Stoke-on-Trent
        "E06000023",  # Bristol
        "E06000026",  # Plymouth
        "E06000043",  # Brighton and Hove
        "E06000044",  # Portsmouth
        "E08000001",  # Bolton
        "E08000003",  # Manchester
        "E08000006",  # Salford
        "E08000012",  # Liverpool
        "E08000019",  # Sheffield
        "E08000021",  # Newcastle upon Tyne
        "E08000026",  # Coventry
    }
    assert "E06000045" not in southampton


def test_shape(nn):
    assert list(nn.columns) == ["council", "neighbour", "source"]
    assert set(nn["source"]) == {"nn_sets_government_project"}
    assert nn["council"].str.match(COUNCIL_CODE_PATTERN.pattern).all()
    assert nn["neighbour"].str.match(COUNCIL_CODE_PATTERN.pattern).all()  # districts never appear
    assert not (nn["council"] == nn["neighbour"]).any()
    assert not nn.duplicated(["council", "neighbour"]).any()
    # 152 upper-tier keys; City of London and the Isles of Scilly list only themselves
    sizes = nn.groupby("council").size()
    assert len(sizes) == 150 and (sizes == 15).all()
    assert not {"E09000001", "E06000053"} & set(nn["council"])


def test_small_fixture_by_hand():
    frame = load_nearest_neighbours(RAW, path=FIXTURES / "nn_small.json")
    pairs = set(zip(frame.council, frame.neighbour, strict=True))
    assert pairs == {("E06000001", "E06000002"), ("E06000001", "E08000037"), ("E06000002", "E06000001")}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("nn_malformed.json", ["row 4", "not valid JSON"]),
        ("nn_not_object.json", ["row 1", "JSON object"]),
        ("nn_missing_self.json", ["row 3", "'E06000002'", "council itself"]),
        ("nn_district_neighbour.json", ["row 3", "'E07000234'"]),
        ("nn_duplicate_key.json", ["row 4", "'E06000001'", "more than once"]),
        ("nn_not_a_list.json", ["row 3", "'E06000002'", "list"]),
    ],
)
def test_bad_input(name, expected):
    with pytest.raises(DataError) as excinfo:
        load_nearest_neighbours(RAW, path=FIXTURES / name)
    message = single_line_error(excinfo, name)
    for text in expected:
        assert text in message, message


def test_missing_and_empty_file(tmp_path):
    with pytest.raises(DataError) as excinfo:
        load_nearest_neighbours(tmp_path)
    assert "NN.json" in str(excinfo.value) and "file not found" in str(excinfo.value)
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    with pytest.raises(DataError, match="empty"):
        load_nearest_neighbours(tmp_path, path=empty)
