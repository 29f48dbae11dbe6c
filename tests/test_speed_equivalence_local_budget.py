"""The vectorised base-budget inputs and local metrics give exactly what the straightforward pandas
code they replaced gave (same values to the last bit, missing stays missing), and no local file is
read twice in one call."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from benchmark.budget import base_budget
from benchmark.budget.base_budget import SERVICE_LINES, line_inputs
from benchmark.local import compute, schemas
from benchmark.local.disclosure import SUPPRESSED, protect_crosstab
from benchmark.local.panel import LocalParams, local_metric_panel, local_summary

LOCAL = Path(__file__).resolve().parents[1] / "data" / "local"
SOUTHAMPTON, LEICESTER = "E06000045", "E06000016"


def _strict_sum(values: pd.Series) -> float:
    """The per-group sum the vectorised code replaces: missing if any component is missing."""
    return values.sum() if values.notna().all() else np.nan


def test_strict_sums_match_per_group_series_sums_bit_for_bit():
    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(1, 400))
        council = rng.integers(-1, 30, n)  # -1: a row of a council outside the list
        values = rng.normal(0, 1e6, n) * rng.random(n) ** 3
        values[rng.random(n) < 0.05] = np.nan
        got = base_budget._strict_sums(council, values, 32)  # councils 30 and 31 have no rows
        frame = pd.DataFrame({"council": council, "value": values})
        expected = frame[frame["council"] >= 0].groupby("council")["value"].agg(_strict_sum).reindex(range(32)).to_numpy()
        np.testing.assert_array_equal(got, expected)  # NaN in the same places, every other value identical


def test_line_inputs_keep_missing_components_missing():
    def spend(council, value, setting="residential"):
        return {"council": council, "year": "2016-17", "measure": "gross_current_expenditure", "data_type": "mandatory",
                "care_type": "long_term", "age_band": "65+", "support_setting": setting, "primary_support_reason": "physical",
                "value": value}

    def weeks(council, value):
        return {"council": council, "year": "2016-17", "data_type": "mandatory", "care_type": "long_term", "age_band": "65+",
                "support_setting": "residential", "value": value}

    tables = SimpleNamespace(
        ascfr_expenditure=pd.DataFrame([spend("A", 100.0), spend("A", 50.0), spend("B", 100.0), spend("B", np.nan),
                                        spend("C", 70.0, "nursing")]).astype({"value": "float64"}),
        ascfr_activity=pd.DataFrame([weeks("A", 2.0), weeks("A", 3.0), weeks("B", 4.0), weeks("D", 1.0)]),
        population_bands=pd.DataFrame([{"council": c, "year": "2016", "age_band": band, "value": 1000.0}
                                        for c in "ABC" for band in ("65+", "18-64", "18+")]),
        memo=lambda key, compute: compute(),  # as Tables.memo, without keeping the result
    )
    out = line_inputs(tables, "2016-17").set_index(["council", "service_line"])
    residential = out.xs("residential_65plus", level="service_line")
    assert residential.loc["A", "spend_gbp"] == 150.0 and residential.loc["A", "volume"] == 5.0
    assert np.isnan(residential.loc["B", "spend_gbp"])  # a suppressed component: missing, never 0
    assert np.isnan(residential.loc["C", "spend_gbp"]) and np.isnan(residential.loc["C", "volume"])  # no rows: missing
    assert set(out.index.get_level_values("council")) == {"A", "B", "C"}  # D has activity but no spend rows
    assert out.xs("nursing_65plus", level="service_line").loc["C", "spend_gbp"] == 70.0


def test_line_inputs_equal_the_per_group_computation(tables):
    for measure in ("gross_current_expenditure", "net_current_expenditure"):
        out = line_inputs(tables, "2016-17", measure)
        gce = tables.ascfr_expenditure
        gce = gce[(gce["year"] == "2016-17") & (gce["measure"] == measure) & (gce["data_type"] == "mandatory")]
        act = tables.ascfr_activity
        act = act[(act["year"] == "2016-17") & (act["data_type"] == "mandatory") & (act["care_type"] == "long_term")]
        councils = sorted(set(gce["council"]))
        for line, spec in SERVICE_LINES.iterrows():
            rows = gce[gce["care_type"] == spec["care_type"]]
            if spec["age_band"] != "18+":
                rows = rows[rows["age_band"] == spec["age_band"]]
            if isinstance(spec["settings"], tuple):
                rows = rows[rows["support_setting"].isin(spec["settings"])]
            if isinstance(spec["reasons"], tuple):
                rows = rows[rows["primary_support_reason"].isin(spec["reasons"])]
            mine = out[out["service_line"] == line]
            assert list(mine["council"]) == councils
            expected = rows.groupby("council")["value"].agg(_strict_sum).reindex(councils).to_numpy()
            np.testing.assert_array_equal(mine["spend_gbp"].to_numpy(), expected)
            if spec["volume_kind"] == "client_weeks":
                weeks = act[(act["age_band"] == spec["age_band"]) & act["support_setting"].isin(spec["settings"])]
                expected = weeks.groupby("council")["value"].agg(_strict_sum).reindex(councils).to_numpy()
                np.testing.assert_array_equal(mine["volume"].to_numpy(), expected)


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
    for setting in protected.index:
        for key in protected.columns:
            shown = protected.loc[setting, key]
            sel = packages if setting == "all" else packages[packages["setting"] == setting]
            sel = sel if key == "all" else sel[sel[by] == key]
            cost, stats = sel["weekly_cost_gbp"], shown != SUPPRESSED
            rows.append({"setting": setting, by: key, "count": shown,
                         "median_gbp": round(float(cost.median()), 2) if stats else SUPPRESSED,
                         "q1_gbp": round(float(cost.quantile(0.25)), 2) if stats else SUPPRESSED,
                         "q3_gbp": round(float(cost.quantile(0.75)), 2) if stats else SUPPRESSED})
    return pd.DataFrame(rows)


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
