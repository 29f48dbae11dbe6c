"""Comparator groups: which councils a council is compared with.

Methods (every report names the one it used, see :func:`describe_method`):

* ``nn``: the shipped nearest-neighbour sets (``nearest_neighbours/NN.json``), labelled exactly
  :data:`NN_LABEL`.  Their method and source are not stated; they are on April 2021 geography and
  unordered, so ``distance`` and ``rank`` are missing.  They are used as shipped for every year.
* ``statistical``: our own peer groups in the style of NHS England's ASC statistical peer groups.
  Features, transforms, weights, k and the excluded councils are in ``config/neighbours.toml``.
  Each feature is transformed towards normality (log or Yeo-Johnson), min-max scaled to
  ``[0, weight]`` across the councils of the geography year, and councils are ranked by Euclidean
  distance; the distance matrix is computed once per year.  Feature values come from the year
  closest to the geography year that holds the council (ties: the earlier year), so abolished
  councils absent from IoD2019 take their IoD2015 score; councils still lacking a feature
  (e.g. councils created after the latest population or deprivation edition) are dropped from the
  statistical groups and listed in ``attrs['dropped']``.
* ``region``, ``type``: the other councils of the same region / council type in that year.
* ``england``: every other council existing in that year.
* ``custom``: a user's list of ONS codes, CASSR codes or names.

The council itself is never part of its own group.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.data.tidy import financial_year_start, mid_year_for
from benchmark.errors import UserError

CONFIG_PATH = Path(__file__).with_name("config") / "neighbours.toml"
NN_LABEL = "nearest-neighbour sets used by a government data project"
METHODS = ("nn", "statistical", "region", "type", "england", "custom")
GROUP_COLUMNS = ["neighbour", "name", "distance", "rank"]


@lru_cache(maxsize=4)
def _read_config(path: str) -> dict:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def load_config(path: Path | str | None = None) -> dict:
    """The ``[statistical]`` settings of ``neighbours.toml`` (the shipped one by default)."""
    config = _read_config(str(path or CONFIG_PATH))["statistical"]
    for feature in config["features"]:
        if feature["transform"] not in ("log", "yeo-johnson", "none"):
            raise UserError(f"{path or CONFIG_PATH}: feature '{feature['id']}' has unknown transform '{feature['transform']}'")
    return config


def describe_method(method: str, k: int | None = None, year: str | None = None, custom: list[str] | None = None) -> str:
    """One line naming a comparator group, for report captions and the CLI."""
    if method == "nn":
        return NN_LABEL + " (NN.json, April 2021 geography, source not stated; not CIPFA)"
    if method == "statistical":
        return f"statistical peer group: {k} nearest councils on need features (config/neighbours.toml), {year} geography"
    if method == "region":
        return f"other councils in the same region, {year}"
    if method == "type":
        return f"other councils of the same type (unitary, metropolitan district, London borough, shire county), {year}"
    if method == "england":
        return f"all other English councils with adult social care duties, {year}"
    if method == "custom":
        return f"user-supplied list of {len(custom or [])} councils"
    raise UserError(f"unknown comparator method '{method}' (choose from {', '.join(METHODS)})")


# ----------------------------------------------------------------------------------------------
# statistical features and distances
# ----------------------------------------------------------------------------------------------

def _closest_year(frame: pd.DataFrame, councils: pd.Index, target: int) -> pd.Series:
    """Per council, the value of the year closest to ``target`` (ties: earlier year)."""
    frame = frame[frame["council"].isin(councils) & frame["value"].notna()]
    years = frame["year"].astype(int)
    ordered = frame.assign(_gap=(years - target).abs(), _year=years).sort_values(["council", "_gap", "_year"])
    first = ordered.drop_duplicates("council")
    return first.set_index("council")["value"].astype(float)


def feature_table(tables, year: str, config: dict | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Raw (untransformed) statistical features, one row per council of ``year``.

    Returns the features of councils with every feature, and the codes dropped for lacking one.
    Excluded councils (config ``excluded``) are left out before anything is computed.
    """
    config = config or load_config()
    councils = tables.registry.existing_in(year).index
    councils = councils[~councils.isin(config["excluded"])]
    mid = int(mid_year_for(year))
    columns = {}
    for feature in config["features"]:
        source = tables.frames[feature["table"]]
        target = mid if feature["year"] == "mid_year" else int(feature["year"])
        if "ratio" in feature:
            top, bottom = feature["ratio"]
            keys = ["council", "year"]
            upper = source.loc[source["age_band"] == top, keys + ["value"]]
            lower = source.loc[source["age_band"] == bottom, keys + ["value"]]
            ratio = upper.merge(lower, on=keys, suffixes=("_top", "_bottom"))
            ratio = ratio.assign(value=ratio["value_top"] / ratio["value_bottom"])[keys + ["value"]]
            columns[feature["id"]] = _closest_year(ratio, councils, target)
        else:
            rows = source[source["measure"] == feature["measure"]]
            if "domain" in feature:
                rows = rows[rows["domain"] == feature["domain"]]
            columns[feature["id"]] = _closest_year(rows, councils, target)
    features = pd.DataFrame(columns).reindex(councils)
    complete = features.notna().all(axis=1)
    return features[complete], list(features.index[~complete])


def scale_features(features: pd.DataFrame, config: dict | None = None) -> pd.DataFrame:
    """Transform each feature towards normality, then min-max scale it to ``[0, weight]``."""
    config = config or load_config()
    out = {}
    for feature in config["features"]:
        x = features[feature["id"]].to_numpy(dtype=float)
        if feature["transform"] == "log":
            if (x <= 0).any():
                raise UserError(f"feature '{feature['id']}' has values <= 0 and cannot be log-transformed")
            x = np.log(x)
        elif feature["transform"] == "yeo-johnson":
            from scipy import stats as scipy_stats  # here, not at the top: a report kernel never builds groups

            x = scipy_stats.yeojohnson(x)[0]
        span = x.max() - x.min()
        scaled = (x - x.min()) / span if span > 0 else np.zeros_like(x)
        out[feature["id"]] = scaled * float(feature["weight"])
    return pd.DataFrame(out, index=features.index)


def distance_matrix(tables, year: str, config: dict | None = None) -> pd.DataFrame:
    """Euclidean distances between every pair of councils of ``year`` on the scaled features.

    ``attrs['dropped']`` lists the councils left out for lacking a feature.
    """
    config = config or load_config()
    features, dropped = feature_table(tables, year, config)
    scaled = scale_features(features, config).to_numpy()
    diff = scaled[:, None, :] - scaled[None, :, :]
    matrix = pd.DataFrame(np.sqrt((diff ** 2).sum(axis=2)), index=features.index, columns=features.index)
    matrix.attrs["dropped"] = dropped
    return matrix


# ----------------------------------------------------------------------------------------------
# groups for every council at once
# ----------------------------------------------------------------------------------------------

def resolve_custom(tables, custom: list[str], year: str | None = None) -> list[str]:
    """ONS codes for a user's list of codes or names (unknown entries raise UnknownCouncilError)."""
    codes = [tables.registry.find(entry, year).ons_code for entry in custom]
    return list(dict.fromkeys(codes))


def comparator_pairs(tables, method: str, year: str | None, k: int | None = None, custom: list[str] | None = None,
                     config: dict | None = None) -> pd.DataFrame:
    """Every council's group in one table: council, neighbour, distance, rank (vectorised).

    ``rank`` (1 = nearest) and ``distance`` are missing for methods without an ordering.  The
    shipped nearest-neighbour sets are one geography for every year, so ``year`` may be None for them.
    """
    config = config or load_config()
    k = int(k or config["k"])
    if year is not None or method != "nn":
        financial_year_start(year)  # validates the year
    if method == "nn":
        pairs = tables.nearest_neighbours[["council", "neighbour"]].astype(str)
        pairs = pairs.assign(distance=np.nan, rank=pd.array([pd.NA] * len(pairs), dtype="Int64"))
        pairs.attrs["dropped"] = []
        return pairs
    if method == "statistical":
        matrix = distance_matrix(tables, year, config)
        values = matrix.to_numpy().copy()
        np.fill_diagonal(values, np.inf)
        k_eff = min(k, len(values) - 1)
        order = np.argsort(values, axis=1, kind="stable")[:, :k_eff]
        codes = matrix.index.to_numpy()
        pairs = pd.DataFrame({
            "council": np.repeat(codes, k_eff),
            "neighbour": codes[order.ravel()],
            "distance": np.take_along_axis(values, order, axis=1).ravel(),
            "rank": pd.array(np.tile(np.arange(1, k_eff + 1), len(codes)), dtype="Int64"),
        })
        pairs.attrs["dropped"] = matrix.attrs["dropped"]
        return pairs
    councils = tables.registry.existing_in(year)[["ons_code", "region", "council_type"]].astype(str)
    if method in ("region", "type", "england"):
        key = {"region": "region", "type": "council_type", "england": None}[method]
        left = councils.rename(columns={"ons_code": "council"})
        right = councils.rename(columns={"ons_code": "neighbour"})
        pairs = left.merge(right, on=key, how="inner") if key else left[["council"]].merge(right[["neighbour"]], how="cross")
        pairs = pairs[["council", "neighbour"]]
    elif method == "custom":
        members = resolve_custom(tables, custom or [], year)
        pairs = pd.DataFrame({"council": councils["ons_code"].to_numpy()}).merge(pd.DataFrame({"neighbour": members}), how="cross")
    else:
        raise UserError(f"unknown comparator method '{method}' (choose from {', '.join(METHODS)})")
    pairs = pairs[pairs["council"] != pairs["neighbour"]].reset_index(drop=True)
    pairs = pairs.assign(distance=np.nan, rank=pd.array([pd.NA] * len(pairs), dtype="Int64"))
    pairs.attrs["dropped"] = []
    return pairs


def default_year(tables, council_code: str, config: dict | None = None) -> str:
    """The configured geography year, or the council's first year if it did not exist then."""
    config = config or load_config()
    year = config["default_year"]
    council = tables.registry.council(council_code)
    if not council.exists_in(year):
        year = council.first_year or council.last_year or year
    return year


def comparator_group(tables, council_code: str, method: str = "nn", k: int | None = None, year: str | None = None,
                     custom: list[str] | None = None) -> pd.DataFrame:
    """The comparator group of one council: neighbour, name, distance (NaN if not applicable), rank.

    ``council_code`` may be an ONS code, CASSR code or name.  ``attrs['description']`` names the
    group.  A user error when the council has no group under ``method`` (e.g. excluded from the
    statistical method, or absent from NN.json).
    """
    config = load_config()
    council = tables.registry.find(council_code, year)
    year = year or default_year(tables, council.ons_code, config)
    k = int(k or config["k"])
    if k < 1:
        raise UserError(f"--k must be at least 1, not {k}")
    if method == "statistical" and council.ons_code in config["excluded"]:
        raise UserError(f"{council.name} ({council.ons_code}) is excluded from statistical peer groups (config/neighbours.toml)")
    if method != "nn" and not council.exists_in(year):
        raise UserError(f"{council.name} ({council.ons_code}) did not have adult social care duties in {year}")
    if method == "custom":
        members = [c for c in resolve_custom(tables, custom or [], year) if c != council.ons_code]
        group = pd.DataFrame({"neighbour": members, "distance": np.nan, "rank": pd.array([pd.NA] * len(members), dtype="Int64")})
    else:
        pairs = comparator_pairs(tables, method, year, k, config=config)
        group = pairs[pairs["council"] == council.ons_code].drop(columns="council")
        if group.empty:
            dropped = pairs.attrs.get("dropped", [])
            why = "lacks a statistical feature" if council.ons_code in dropped else "has no comparator group"
            raise UserError(f"{council.name} ({council.ons_code}) {why} under method '{method}' ({year})")
    names = tables.registry.table["name"].astype(str)
    group = group.assign(name=group["neighbour"].map(names))
    if method == "statistical":
        group = group.sort_values("rank")
    else:
        group = group.sort_values("name")
    group = group[GROUP_COLUMNS].reset_index(drop=True)
    group.attrs["description"] = describe_method(method, k, year, custom)
    group.attrs["council"] = council.ons_code
    group.attrs["year"] = year
    return group
