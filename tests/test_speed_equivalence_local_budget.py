"""The vectorised local metrics give exactly what the straightforward pandas
code they replaced gave (same values to the last bit, missing stays missing), and no local file is
read twice in one call."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.local import compute, schemas
from benchmark.local.disclosure import NOTE_COLUMN, PROTECTS_SMALL_COUNT, note, protect_crosstab
from benchmark.local.panel import LocalParams, local_metric_panel, local_summary

LOCAL = Path(__file__).resolve().parents[1] / "data" / "local"
SOUTHAMPTON, LEICESTER = "E06000045", "E06000016"


def test_median_and_quartiles_match_pandas():
    rng = np.random.default_rng(3)
    for n in [1, 2, 3, 4, 5, 7, 8, 9, 10, 33, 100, 257]:
        cost = np.round(rng.lognormal(6, 1, n), 2)
        cost[rng.random(n) < 0.1] = np.nan
        series = pd.Series(cost)
        expected = (float(series.median()), float(series.quantile(0.25)), float(series.quantile(0.75)))
        np.testing.assert_array_equal(compute._median_and_quartiles(cost), expected)
    assert all(np.isnan(x) for x in compute._median_and_quartiles(np.array([np.nan])))


def _package_distribution_by_filtering(packages: pd.DataFrame, by: str) -> pd.DataFrame:
    """The per-cell filtering the vectorised ``package_distribution`` replaces."""
    protected = protect_crosstab(pd.crosstab(packages["setting"], packages[by]))
    rows = []
    for setting in protected.counts.index:
        for key in protected.counts.columns:
            label = protected.labels.loc[setting, key]
            sel = packages if setting == "all" else packages[packages["setting"] == setting]
            sel = sel if key == "all" else sel[sel[by] == key]
            cost, stats = sel["weekly_cost_gbp"], not label
            rows.append({"setting": setting, by: key, "count": protected.counts.loc[setting, key],
                         "median_gbp": round(float(cost.median()), 2) if stats else np.nan,
                         "q1_gbp": round(float(cost.quantile(0.25)), 2) if stats else np.nan,
                         "q3_gbp": round(float(cost.quantile(0.75)), 2) if stats else np.nan,
                         NOTE_COLUMN: note({"count": label, "median_gbp": PROTECTS_SMALL_COUNT, "q1_gbp": PROTECTS_SMALL_COUNT,
                                            "q3_gbp": PROTECTS_SMALL_COUNT}) if label else ""})
    return pd.DataFrame(rows).astype({"count": "Int64"})


@pytest.mark.parametrize("council", [SOUTHAMPTON, LEICESTER])
@pytest.mark.parametrize("by", ["primary_support_reason", "age_band", "funding"])
def test_package_distribution_equals_per_cell_filtering(council, by):
    packages = schemas.read_packages(LOCAL / council / "packages.csv")
    got = compute.package_distribution(packages, by)
    pd.testing.assert_frame_equal(got, _package_distribution_by_filtering(packages, by), check_exact=True)


def test_population_look_up_equals_filtering(tables):
    bands = tables.population_bands
    by_council = compute.populations_65_plus(bands)
    for council in [SOUTHAMPTON, LEICESTER, "E09000001", "E99999999"]:
        for year in ["2010-11", "2016-17", "2019-20", "2030-31"]:
            assert compute.population_65_plus(bands, council, year, by_council=by_council) == compute.population_65_plus(bands, council, year)


def test_summary_reads_each_file_once_and_equals_summary_on_a_panel(tables, monkeypatch):
    params = LocalParams(reference_date="2019-03-31", comparators=(LEICESTER,))
    expected = local_summary(tables, SOUTHAMPTON, LOCAL, params, panel=local_metric_panel(tables, LOCAL, params))
    reads: list[tuple[str, str]] = []
    for name in ("read_workforce", "read_bcf_plan", "read_fee_bands", "read_placements", "read_packages"):
        reader = getattr(schemas, name)
        monkeypatch.setattr(schemas, name, lambda path, *rest, _reader=reader, _name=name: (reads.append((_name, str(path))), _reader(path, *rest))[1])
    got = local_summary(tables, SOUTHAMPTON, LOCAL, params)
    assert reads and len(reads) == len(set(reads)), reads
    assert list(got) == list(expected)
    for key in expected:
        pd.testing.assert_frame_equal(got[key], expected[key], check_exact=True)
