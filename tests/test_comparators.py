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
    describe_method,
    distance_matrix,
    load_config,
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
    assert {f["id"] for f in config["features"]} >= {"share_65plus_aged_85plus", "imd_2019_average_score", "idaopi_2019_average_score"}


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
    group = comparator_group(tables, SOUTHAMPTON, "custom", custom=["Portsmouth", "E06000016", "Southampton"])
    assert set(group["neighbour"]) == {"E06000044", "E06000016"}
    with pytest.raises(UnknownCouncilError):
        comparator_group(tables, SOUTHAMPTON, "custom", custom=["Atlantis"])


def test_errors(tables):
    with pytest.raises(UnknownCouncilError):
        comparator_group(tables, "Nowhere-on-Sea", "nn")
    with pytest.raises(UserError, match="excluded"):
        comparator_group(tables, "E06000053", "statistical")
    with pytest.raises(UserError, match="unknown comparator method"):
        comparator_group(tables, SOUTHAMPTON, "cipfa")
