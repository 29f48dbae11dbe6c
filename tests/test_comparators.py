"""Comparator groups: hand-worked scaling and distances, and properties of the real groups."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.comparators import (
    NN_LABEL,
    comparator_group,
    comparator_pairs,
    default_method,
    describe_method,
    distance_matrix,
    explain_group,
    feature_table,
    geography_year,
    load_config,
    nn_last_year,
    scale_features,
)
from benchmark.data.store import load_tables
from benchmark.errors import UnknownCouncilError, UserError

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
SOUTHAMPTON = "E06000045"
EXCLUDED = {"E06000053", "E09000001"}


@pytest.fixture(scope="module")
def tables():
    return load_tables()


def test_scale_features_by_hand():
    # a: no transform, weight 2: [1, 2, 3] -> min-max [0, .5, 1] -> x2 = [0, 1, 2]
    # b: log, weight 1: [1, e, e^2] -> [0, 1, 2] -> [0, .5, 1]
    config = {"features": [{"id": "a", "transform": "none", "weight": 2.0}, {"id": "b", "transform": "log", "weight": 1.0}]}
    features = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, math.e, math.e ** 2]}, index=["X", "Y", "Z"])
    scaled = scale_features(features, config)
    assert scaled["a"].tolist() == pytest.approx([0, 1, 2])
    assert scaled["b"].tolist() == pytest.approx([0, 0.5, 1])
    # distance X-Z = sqrt(2^2 + 1^2)
    diff = scaled.loc["X"] - scaled.loc["Z"]
    assert math.sqrt((diff ** 2).sum()) == pytest.approx(math.sqrt(5))


def test_config_lives_in_toml():
    config = load_config()
    assert config["k"] == 15
    assert set(config["excluded"]) == EXCLUDED
    assert config["default_year"] == "latest_outturn"  # no data year in the configuration either
    assert {f["id"] for f in config["features"]} >= {
        "share_65plus_aged_85plus", "population_density", "imd_average_score", "idaopi_average_score", "median_annual_gross_pay",
        "census_share_15plus_aged_85plus", "census_share_households_social_rented", "census_share_16plus_full_time_students"}


def test_distance_matrix_symmetric_zero_diagonal_no_excluded(tables):
    matrix = distance_matrix(tables, "2017-18")
    values = matrix.to_numpy()
    assert np.allclose(values, values.T)
    assert np.allclose(np.diag(values), 0)
    assert not EXCLUDED & set(matrix.index)
    # abolished councils keep their earlier deprivation edition; councils lacking a feature are listed
    assert set(matrix.attrs["dropped"]).isdisjoint(matrix.index)
    assert len(matrix) + len(matrix.attrs["dropped"]) == len(tables.registry.existing_in("2017-18")) - 2


@pytest.mark.parametrize("year", ["2016-17", "2019-20", "2023-24"])
def test_statistical_groups_never_include_excluded_or_self(tables, year):
    pairs = comparator_pairs(tables, "statistical", year, k=15)
    assert not EXCLUDED & (set(pairs["council"]) | set(pairs["neighbour"]))
    assert (pairs["council"] != pairs["neighbour"]).all()
    assert (pairs.groupby("council").size() == 15).all()


@pytest.mark.parametrize("k", [1, 5, 15, 20])
def test_k_respected_and_ordered(tables, k):
    group = comparator_group(tables, SOUTHAMPTON, "statistical", k=k, year="2017-18")
    assert len(group) == k
    assert group["rank"].tolist() == list(range(1, k + 1))
    assert group["distance"].is_monotonic_increasing
    assert SOUTHAMPTON not in set(group["neighbour"])


def test_statistical_distances_match_matrix(tables):
    matrix = distance_matrix(tables, "2017-18")
    group = comparator_group(tables, "Southampton", "statistical", year="2017-18")
    expected = matrix.loc[SOUTHAMPTON].drop(SOUTHAMPTON).nsmallest(15)
    assert group["distance"].to_numpy() == pytest.approx(expected.to_numpy())
    assert group["neighbour"].tolist() == expected.index.tolist()


def test_nn_set_for_southampton_equals_file_minus_itself(tables):
    sets = json.loads((RAW / "nearest_neighbours" / "NN.json").read_text(encoding="utf-8-sig"))
    expected = set(sets[SOUTHAMPTON]) - {SOUTHAMPTON}
    for year in (None, "2016-17", "2017-18", "2019-20"):
        group = comparator_group(tables, SOUTHAMPTON, "nn", year=year)
        assert set(group["neighbour"]) == expected
        assert group["distance"].isna().all()
    assert group.attrs["description"].startswith(NN_LABEL)
    assert describe_method("nn").startswith("nearest-neighbour sets used by a government data project")


@pytest.mark.parametrize("method", ["nn", "region", "type", "england"])
def test_self_never_in_group(tables, method):
    pairs = comparator_pairs(tables, method, "2017-18")
    assert (pairs["council"] != pairs["neighbour"]).all()


def test_region_type_england(tables):
    registry = tables.registry
    region = comparator_group(tables, SOUTHAMPTON, "region", year="2017-18")
    assert set(registry.table.loc[region["neighbour"], "region"]) == {"South East"}
    kind = comparator_group(tables, SOUTHAMPTON, "type", year="2017-18")
    assert set(registry.table.loc[kind["neighbour"], "council_type"]) == {"unitary"}
    england = comparator_group(tables, SOUTHAMPTON, "england", year="2017-18")
    assert len(england) == len(registry.existing_in("2017-18")) - 1
    # Bournemouth, Christchurch and Poole only from 2019-20
    assert "E06000058" not in set(england["neighbour"])
    assert "E06000058" in set(comparator_group(tables, SOUTHAMPTON, "england", year="2019-20")["neighbour"])


def test_custom_list(tables):
    group = comparator_group(tables, SOUTHAMPTON, "custom", custom=["Portsmouth", "E06000016"])
    assert list(group["neighbour"]) == ["E06000016", "E06000044"]  # sorted by name: Leicester, Portsmouth
    with pytest.raises(UnknownCouncilError, match="custom comparator list: unknown council 'Atlantis'"):
        comparator_group(tables, SOUTHAMPTON, "custom", custom=["Atlantis"])


@pytest.mark.parametrize("custom, message", [
    (["Portsmouth", "E06000016", "Southampton"], r"'Southampton' is Southampton \(E06000045\), the council itself"),
    (["Portsmouth", "E06000044"], r"Portsmouth \(E06000044\) is listed twice \('Portsmouth' and 'E06000044'\)"),
    (["Portsmouth", "Atlantis"], r"unknown council 'Atlantis'"),
])
def test_custom_list_naming_the_council_itself_a_council_twice_or_an_unknown_one_is_refused(tables, custom, message):
    # silently shrinking the list would compare the council with fewer councils than its parameter file says
    with pytest.raises(UserError, match=message) as refused:
        comparator_group(tables, SOUTHAMPTON, "custom", custom=custom)
    assert "\n" not in str(refused.value)  # one line


def test_errors(tables):
    with pytest.raises(UnknownCouncilError):
        comparator_group(tables, "Nowhere-on-Sea", "nn")
    with pytest.raises(UserError, match="excluded"):
        comparator_group(tables, "E06000053", "statistical")
    with pytest.raises(UserError, match="unknown comparator method"):
        comparator_group(tables, SOUTHAMPTON, "cipfa")


# --- statistical neighbours on the newest geography ---------------------------------------------

CUMBERLAND = "E06000063"
NEW_UNITARIES = {"E06000063", "E06000064", "E06000065", "E06000066"}


def test_geography_year_follows_the_data(tables):
    from benchmark.data.years import latest_outturn_year

    assert geography_year(tables) == latest_outturn_year(tables) == "2024-25"
    matrix = distance_matrix(tables, geography_year(tables))
    # the 153 councils of the 2024 geography, less Isles of Scilly and City of London; none dropped
    assert len(matrix) == 151 and matrix.attrs["dropped"] == []
    assert set(matrix.index) >= NEW_UNITARIES and not EXCLUDED & set(matrix.index)


def test_southampton_features_are_the_publishers_figures(tables):
    features, _ = feature_table(tables, "2024-25")
    row = features.loc[SOUTHAMPTON]
    assert row["imd_average_score"] == pytest.approx(25.611)  # IoD2025
    assert row["idaopi_average_score"] == pytest.approx(0.229)
    assert row["census_share_15plus_aged_85plus"] == pytest.approx(0.0221, abs=5e-5)  # Census 2021: 2.21%
    assert row["census_share_households_social_rented"] == pytest.approx(0.2190, abs=5e-5)
    assert row["census_share_16plus_full_time_students"] == pytest.approx(0.1445, abs=5e-5)
    # mid-2024 ONS: 85+ share of 65+ (the 65+ population is 35,555)
    bands = tables.population_bands
    southampton = bands[(bands.council == SOUTHAMPTON) & (bands.year == "2024")].set_index("age_band")["value"]
    assert southampton["65+"] == 35_555
    assert row["share_65plus_aged_85plus"] == pytest.approx(southampton["85+"] / 35_555)
    assert features.attrs["years"]["imd_average_score"] == [2025]


def test_cumberland_now_has_statistical_peers(tables):
    group = comparator_group(tables, CUMBERLAND, "statistical")
    assert group.attrs["year"] == "2024-25"
    assert len(group) == 15 and group["rank"].tolist() == list(range(1, 16))
    assert group["distance"].is_monotonic_increasing and (group["distance"] > 0).all()
    assert CUMBERLAND not in set(group["neighbour"]) and not EXCLUDED & set(group["neighbour"])
    # its pay comes from Cumbria (ASHE editions here predate it); everything else is its own
    features, _ = feature_table(tables, "2024-25")
    assert features.attrs["from_reorganised"][CUMBERLAND] == {"median_annual_gross_pay": ["E10000006"]}


def test_excluded_councils_have_no_group_and_are_no_ones_peer(tables):
    pairs = comparator_pairs(tables, "statistical", "2024-25")
    assert not EXCLUDED & (set(pairs["council"]) | set(pairs["neighbour"]))
    assert (pairs.groupby("council").size() == 15).all() and pairs["council"].nunique() == 151
    for code in EXCLUDED:
        with pytest.raises(UserError, match="excluded"):
            comparator_group(tables, code, "statistical")


def test_default_method(tables):
    # NN.json's sets stop at the April 2021 geography: they have no set for the April 2023 unitaries
    assert nn_last_year(tables) == "2022-23"
    assert default_method(tables, SOUTHAMPTON) == "statistical"  # the default geography year is after NN.json's
    assert default_method(tables, SOUTHAMPTON, "2019-20") == "nn"
    assert default_method(tables, CUMBERLAND, "2024-25") == "statistical"
    assert default_method(tables, "E09000001") == "region"  # City of London: no set, no statistical group


def test_explain_group(tables):
    table = explain_group(tables, SOUTHAMPTON, k=5)
    matrix = distance_matrix(tables, "2024-25")
    assert table.index[0] == SOUTHAMPTON and table["rank"].tolist() == [0, 1, 2, 3, 4, 5]
    assert table["distance"].iloc[1:].to_numpy() == pytest.approx(matrix.loc[SOUTHAMPTON, table.index[1:]].to_numpy())
    shares = table[[c for c in table.columns if c.endswith("_share")]]
    assert shares.iloc[1:].sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert table.loc[SOUTHAMPTON, "imd_average_score"] == pytest.approx(25.611)


def test_neighbours_command_explains(tables):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "benchmark", "neighbours", CUMBERLAND, "--explain", "--k", "3"],
                            capture_output=True, text=True, cwd=RAW.parents[1], check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "councils as of 2024-25" in lines[0]
    assert any("Cumbria (E10000006)" in line for line in lines)
    rows = [line.split("\t") for line in lines if not line.startswith("#")]
    assert rows[0][:4] == ["rank", "ons_code", "name", "distance"] and len(rows) == 1 + 1 + 3
