"""Comparator groups: which councils a council is compared with.

Methods (every report names the one it used, see :func:`describe_method`):

* ``nn``: the shipped nearest-neighbour sets (``nearest_neighbours/NN.json``), labelled exactly
  :data:`NN_LABEL`.  Their method and source are not stated; they are on April 2021 geography and
  unordered, so ``distance`` and ``rank`` are missing.  They are used as shipped for every year.
* ``statistical``: our own peer groups following NHS England's published method for its ASC
  statistical peer groups.  Features (age structure from the ONS mid-year estimate of the
  geography year, density, the newest Indices of Deprivation incl. IDAOPI, area pay, and the
  Census features NHS England uses that are in the data), transforms, weights, k and the excluded
  councils are in ``config/neighbours.toml``.  Each feature is transformed towards normality (log
  or Yeo-Johnson), min-max scaled to ``[0, weight]`` across the councils of the geography year,
  and councils are ranked by Euclidean distance; the distance matrix is computed once per year.
  The geography year defaults to the newest revenue outturn's (:func:`geography_year`).  Feature
  values come from the year closest to the one configured (ties: the earlier year), so abolished
  councils absent from the newest edition take an older edition's value; a council with no value
  in any year takes its predecessors' or successors' (:func:`feature_table`); councils still
  lacking a feature are dropped from the statistical groups and listed in ``attrs['dropped']``.
  :func:`explain_group` shows the features behind a group.

The default method (:func:`default_method`) is ``nn`` while the geography year is within NN.json's
own geography and the council has a set, and ``statistical`` otherwise.
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
        return NN_LABEL + " (councils as of April 2021; the sets' method and source are not stated; not the licensed CIPFA lists)"
    if method == "statistical":
        return (f"statistical peers: the {k} councils nearest on need (age, deprivation, density, pay, housing and students), "
                f"councils as of {year}")
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

def _closest_year(frame: pd.DataFrame, councils: pd.Index, target: int, *, with_years: bool = False):
    """Per council, the value of the year closest to ``target`` (ties: earlier year); with
    ``with_years``, also the year each value is from."""
    frame = frame[frame["council"].isin(councils) & frame["value"].notna()]
    years = frame["year"].astype(int)
    ordered = frame.assign(_gap=(years - target).abs(), _year=years).sort_values(["council", "_gap", "_year"])
    first = ordered.drop_duplicates("council").set_index("council")
    values = first["value"].astype(float)
    return (values, first["_year"]) if with_years else values


def _feature_rows(tables, feature: dict) -> pd.DataFrame:
    """council | year | value rows of one feature, before a year is chosen for each council.

    ``ratio`` divides one age band by another (population tables); ``measure_ratio`` one measure by
    another (e.g. Census counts); otherwise ``measure`` (and ``domain``) select the rows.
    """
    source = tables.frames[feature["table"]]
    keys = ["council", "year"]
    if "ratio" in feature or "measure_ratio" in feature:
        column, (top, bottom) = ("age_band", feature["ratio"]) if "ratio" in feature else ("measure", feature["measure_ratio"])
        upper = source.loc[source[column] == top, keys + ["value"]]
        lower = source.loc[source[column] == bottom, keys + ["value"]]
        ratio = upper.merge(lower, on=keys, suffixes=("_top", "_bottom"))
        return ratio.assign(value=ratio["value_top"] / ratio["value_bottom"])[keys + ["value"]]
    rows = source[source["measure"] == feature["measure"]]
    if "domain" in feature:
        rows = rows[rows["domain"] == feature["domain"]]
    return rows[keys + ["value"]]


def feature_year(rows: pd.DataFrame, feature: dict, mid_year: int) -> int:
    """The year a feature is read for: ``mid_year`` (the ONS mid-year of the geography year),
    ``latest`` (the newest edition in the data, e.g. the newest Indices of Deprivation or the
    census), or a fixed edition year written in the configuration."""
    if feature["year"] == "mid_year":
        return mid_year
    if feature["year"] == "latest":
        years = rows.loc[rows["value"].notna(), "year"].astype(int)
        if years.empty:
            raise UserError(f"feature '{feature['id']}': no values in table '{feature['table']}'")
        return int(years.max())
    return int(feature["year"])


def reorganised_councils(tables) -> dict[str, list[str]]:
    """Council -> the councils it replaced (for a council created in a reorganisation) or that
    replaced it (for an abolished council), from the registry's reorganisations."""
    successors = tables.registry.table["successors"].dropna().astype(str)
    related: dict[str, list[str]] = {}
    for old, new in successors.items():
        for code in new.split():
            related.setdefault(code, []).append(str(old))
            related.setdefault(str(old), []).append(code)
    return related


def feature_table(tables, year: str, config: dict | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Raw (untransformed) statistical features, one row per council of ``year``.

    Returns the features of councils with every feature, and the codes dropped for lacking one.
    Excluded councils (config ``excluded``) are left out before anything is computed.

    With ``reorganisation_fallback`` in the configuration, a council with no value of a feature
    in any year takes the mean of the councils it replaced or that replaced it: a council created
    after a source's newest edition (pay from ASHE editions published before Cumberland existed)
    takes its predecessors', a council abolished before a source's first edition (Dorset County
    before Census 2021) its successors'.  Exact where the area is the same (North Yorkshire,
    Somerset, Buckinghamshire), an approximation where a county was split or merged (Cumberland and
    Westmorland and Furness take Cumbria's pay).  ``attrs['from_reorganised']`` lists each such
    value: {council: {feature id: [codes used]}}; ``attrs['years']`` the years the councils'
    values of each feature come from.
    """
    config = config or load_config()
    councils = tables.registry.existing_in(year).index
    councils = councils[~councils.isin(config["excluded"])]
    mid = int(mid_year_for(year))
    every_council = tables.registry.table.index
    related = reorganised_councils(tables) if config.get("reorganisation_fallback") else {}
    columns, borrowed, years = {}, {}, {}
    for feature in config["features"]:
        rows = _feature_rows(tables, feature)
        target = feature_year(rows, feature, mid)
        if feature.get("edition_only"):
            rows = rows[rows["year"].astype(int) == target]  # scores of other editions are not comparable
        values, value_years = _closest_year(rows, every_council, target, with_years=True)
        column = values.reindex(councils)
        years[feature["id"]] = sorted(set(value_years.reindex(councils).dropna().astype(int)))
        for code in column.index[column.isna()]:
            others = related.get(code, [])
            if others and all(other in values.index for other in others):
                column[code] = float(np.mean([values[other] for other in others]))
                borrowed.setdefault(code, {})[feature["id"]] = others
        columns[feature["id"]] = column
    features = pd.DataFrame(columns).reindex(councils)
    complete = features.notna().all(axis=1)
    features = features[complete]
    features.attrs["from_reorganised"] = {code: used for code, used in borrowed.items() if code in features.index}
    features.attrs["years"] = years
    return features, list(councils[~complete.to_numpy()])


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

    ``attrs['dropped']`` lists the councils left out for lacking a feature.  With the shipped
    configuration the matrix is computed once per year and loaded tables.
    """
    if config is None:
        return tables.memo(("distance_matrix", year), lambda: distance_matrix(tables, year, load_config()))
    _, scaled, dropped = scaled_feature_table(tables, year, config)
    values = scaled.to_numpy()
    diff = values[:, None, :] - values[None, :, :]
    matrix = pd.DataFrame(np.sqrt((diff ** 2).sum(axis=2)), index=scaled.index, columns=scaled.index)
    matrix.attrs["dropped"] = dropped
    return matrix


def scaled_feature_table(tables, year: str, config: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The features behind the distances of ``year``: raw, scaled, and the councils dropped
    (computed once per year with the shipped configuration)."""
    if config is None:
        return tables.memo(("scaled_features", year), lambda: scaled_feature_table(tables, year, load_config()))
    features, dropped = feature_table(tables, year, config)
    return features, scale_features(features, config), dropped


# ----------------------------------------------------------------------------------------------
# groups for every council at once
# ----------------------------------------------------------------------------------------------

def resolve_custom(tables, custom: list[str], year: str | None = None, council: str | None = None) -> list[str]:
    """ONS codes for a user's list of ONS codes, CASSR codes or names, in the order given.

    ``tables`` may be the loaded tables or just their council registry.  A list that names an
    unknown council, names a council twice (also as two spellings of one council) or, when
    ``council`` (the subject, any spelling) is given, names that council itself is refused with a
    one-line :class:`UserError`: silently shrinking the list would compare the council with fewer
    councils than its parameter file says.
    """
    registry = getattr(tables, "registry", tables)
    subject = registry.find(council, year).ons_code if council is not None else None
    codes: dict[str, str] = {}  # ONS code -> the entry that named it
    for entry in custom:
        if not isinstance(entry, str):
            raise UserError(f"custom comparator list: entries must be ONS codes, CASSR codes or names (text), found {entry!r}")
        try:
            found = registry.find(entry, year)
        except UserError as error:
            raise type(error)(f"custom comparator list: {error}") from None  # keeps its class (UnknownCouncilError)
        if found.ons_code == subject:
            raise UserError(f"custom comparator list: '{entry}' is {found.name} ({found.ons_code}), the council itself; "
                            "a council is never its own comparator")
        if found.ons_code in codes:
            raise UserError(f"custom comparator list: {found.name} ({found.ons_code}) is listed twice "
                            f"('{codes[found.ons_code]}' and '{entry}')")
        codes[found.ons_code] = entry
    return list(codes)


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


def geography_year(tables, config: dict | None = None) -> str:
    """The geography year groups are built for when none is given: ``default_year`` of the
    configuration, where ``latest_outturn`` (shipped) means the newest revenue outturn in the data."""
    from benchmark.data.years import latest_outturn_year

    config = config or load_config()
    year = config["default_year"]
    return latest_outturn_year(tables) if year == "latest_outturn" else year


def default_year(tables, council_code: str, config: dict | None = None) -> str:
    """The configured geography year, or the council's first year if it did not exist then."""
    config = config or load_config()
    year = geography_year(tables, config)
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
        if not custom:
            raise UserError("the custom comparator group needs a list of councils")
        members = resolve_custom(tables, custom, year, council=council.ons_code)
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
    group = group.sort_values("rank") if method == "statistical" else group.sort_values("name")
    group = group[GROUP_COLUMNS].reset_index(drop=True)
    group.attrs["description"] = describe_method(method, k, year, custom)
    group.attrs["council"] = council.ons_code
    group.attrs["year"] = year
    return group


# ----------------------------------------------------------------------------------------------
# which method by default, and why a statistical group is what it is
# ----------------------------------------------------------------------------------------------

def nn_last_year(tables) -> str | None:
    """The last financial year of NN.json's geography: the year before the first reorganisation
    whose new councils it has no sets for (None if it has sets for every council ever created)."""
    from benchmark.data.tidy import financial_year

    covered = set(tables.nearest_neighbours["council"].astype(str)) | set(load_config()["excluded"])
    registry = tables.registry.table
    created = registry.dropna(subset=["first_year"])
    for start in sorted({financial_year_start(str(y)) for y in created["first_year"]}):
        new = created.index[[financial_year_start(str(y)) == start for y in created["first_year"]]]
        if not set(new) <= covered:
            return financial_year(start - 1)
    return None


def default_method(tables, council_code: str, year: str | None = None) -> str:
    """``nn`` where the shipped nearest-neighbour sets describe the geography year and cover the
    council; ``statistical`` for a council NN.json lacks, and for every council when the year is
    after the sets' geography (their councils are no longer the councils of the year).  A council
    excluded from statistical groups (Isles of Scilly, City of London), which has no set either,
    gets ``region``."""
    council = tables.registry.find(council_code, year)
    year = year or default_year(tables, council.ons_code)
    if council.ons_code in load_config()["excluded"]:
        return "region"
    if council.ons_code not in set(tables.nearest_neighbours["council"].astype(str)):
        return "statistical"
    last = nn_last_year(tables)
    if last is not None and financial_year_start(year) > financial_year_start(last):
        return "statistical"
    return "nn"


def explain_group(tables, council_code: str, k: int | None = None, year: str | None = None) -> pd.DataFrame:
    """The features behind a council's statistical group: one row for the council and one per
    neighbour (nearest first), with each raw feature value, the distance, and each feature's share
    of the squared distance (scaled difference squared / distance squared), so a reader sees which
    features make two councils near.  ``attrs``: the feature labels, the years read and the values
    taken from predecessor or successor councils."""
    config = load_config()
    council = tables.registry.find(council_code, year)
    year = year or default_year(tables, council.ons_code, config)
    group = comparator_group(tables, council.ons_code, "statistical", k=k, year=year)
    features, scaled, _ = scaled_feature_table(tables, year)
    codes = [council.ons_code, *group["neighbour"]]
    names = tables.registry.table["name"].astype(str)
    out = features.loc[codes].copy()
    out.insert(0, "name", [names[c] for c in codes])
    out.insert(1, "rank", [0, *group["rank"].astype(int)])
    out.insert(2, "distance", [0.0, *group["distance"]])
    squared = (scaled.loc[codes] - scaled.loc[council.ons_code]) ** 2
    total = squared.sum(axis=1).replace(0, np.nan)
    for column in scaled.columns:
        out[f"{column}_share"] = squared[column] / total
    out.index.name = "council"
    out.attrs.update(
        council=council.ons_code, year=year, description=group.attrs["description"],
        labels={f["id"]: f["label"] for f in config["features"]}, weights={f["id"]: f["weight"] for f in config["features"]},
        years=features.attrs.get("years", {}),
        from_reorganised={c: v for c, v in features.attrs.get("from_reorganised", {}).items() if c in codes},
    )
    return out

