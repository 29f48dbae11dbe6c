"""Shipped examples: Southampton's real BCF figures, ILLUSTRATIVE marking, and the calibration of the
illustrative national workforce file (Southampton's 15 nearest neighbours average 2.6 per 1,000 65+)."""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from benchmark.data.store import load_tables
from benchmark.local.examples import make_examples
from benchmark.local.panel import local_metric_panel

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "local"
SOUTHAMPTON, LEICESTER = "E06000045", "E06000016"


@pytest.fixture(scope="module")
def tables():
    return load_tables()


@pytest.fixture(scope="module")
def generated(tables, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    make_examples(tables, out)
    return out


def test_shipped_examples_are_the_script_output(generated):
    files = sorted(p.relative_to(generated) for p in generated.rglob("*") if p.is_file())
    assert len(files) >= 14
    for rel in files:
        assert (SHIPPED / rel).read_bytes() == (generated / rel).read_bytes(), f"data/local/{rel} differs: run make-examples"


def test_workforce_calibration_independently(generated, tables):
    # plain csv reading and arithmetic, none of the toolkit's local code
    with open(generated / "national" / "workforce_by_council.csv", newline="") as f:
        rows = {r["council"]: r for r in csv.DictReader(f) if r["year"] == "2018-19" and r["role_group"] == "all"}
    assert all(r["illustrative"] == "true" for r in rows.values())
    pop = tables.population_bands
    pop = pop[(pop["age_band"] == "65+") & (pop["year"] == "2018")].set_index("council")["value"]
    nn = tables.nearest_neighbours
    group = list(nn.loc[nn["council"] == SOUTHAMPTON, "neighbour"])
    assert len(group) == 15
    rates = [float(rows[c]["fte"]) / pop[c] * 1000 for c in group]
    assert sum(rates) / len(rates) == pytest.approx(2.6, abs=0.005)
    assert "2.6" in rows[group[0]]["source_note"]


def test_southampton_bcf_is_real_and_cited(generated):
    plan = pd.read_csv(generated / SOUTHAMPTON / "bcf_plan.csv")
    assert not plan["illustrative"].any()
    assert plan["source_note"].str.contains("peer challenge").all()
    contributions = plan[plan["line_type"] == "contribution"].set_index("source")["amount_gbp"]
    assert contributions.to_dict() == {"nhs_total_ccg": 74_500_000, "council_total": 37_000_000}
    assert plan.loc[plan["line_type"] == "minimum_requirement", "amount_gbp"].tolist() == [16_177_000]


def test_generated_files_marked_illustrative(generated):
    for path in generated.rglob("*.csv"):
        frame = pd.read_csv(path)
        if path.parent.name == SOUTHAMPTON and path.name == "bcf_plan.csv":
            continue
        real = frame["illustrative"] == False  # noqa: E712
        if path.name == "bcf_pooled_by_council.csv":
            assert frame.loc[real, "council"].tolist() == [SOUTHAMPTON]
        else:
            assert frame["illustrative"].all(), path
    assert "ILLUSTRATIVE" in (generated / SOUTHAMPTON / "README.md").read_text()


def test_example_panel(generated, tables):
    panel = local_metric_panel(tables, generated, None)
    sot = panel[panel["council"] == SOUTHAMPTON].set_index("metric_id")
    # 111.5 / 16.177 = 6.8925; real, so not illustrative
    assert sot.loc["bcf_pooled_to_minimum_ratio", "value"] == pytest.approx(6.8925, abs=1e-4)
    assert not sot.loc["bcf_pooled_gbp", "illustrative"]
    assert sot.drop(index=["bcf_pooled_gbp", "bcf_pooled_to_minimum_ratio"])["illustrative"].all()
    # placements sized on ASC-FR 2016-17 long-term residential + nursing client weeks / 52
    a = tables.ascfr_activity
    weeks = a[(a["council"] == SOUTHAMPTON) & (a["year"] == "2016-17") & (a["data_type"] == "mandatory") & (a["care_type"] == "long_term")
              & a["support_setting"].isin(["residential", "nursing"]) & a["age_band"].isin(["18-64", "65+"])]["value"].sum()
    assert sot.loc["care_home_placements_above_band_pct", "denominator"] == pytest.approx(weeks / 52, abs=4)
    # every council in the national files is in the panel; a council without a folder has national metrics only
    assert panel["council"].nunique() >= 150
    other = panel[panel["council"] == "E06000001"].set_index("metric_id")
    assert other.loc[["staff_per_1000_65plus", "bcf_pooled_gbp"], "value"].notna().all()
    assert other.loc["packages_overdue_review_pct", "missing_reason"].startswith("no local data supplied: put packages.csv")
