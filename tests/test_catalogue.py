"""The data catalogue, `data status` and `data add`, and years that follow the data.

Expected years and figures come from the shipped files' own contents (their titles, FY_ENDING
columns) and the publishers' totals, never from running the code under test.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.data.catalogue import read_record, scan

from conftest import RAW, ROOT

RO3_2024_25 = RAW / "finance" / "ro3" / "RO3_LA_Data_2024-25_data_by_LA.ods"
LTC_2023_24 = RAW / "ascfr" / "ltc-gce-by-setting" / "ascfr_ltc_gce_by_setting_2023-24.csv"
MYE_2024 = RAW / "population" / "ons_mye" / "mye24tablesew.csv"

#: What the shipped files hold, read off each file's title rows or FY_ENDING column by hand.
SHIPPED_YEARS = {
    "ro3": ["2022-23", "2023-24", "2024-25"],
    "rsx": ["2021-22", "2022-23", "2023-24", "2024-25"],
    "rs": ["2017-18"],
    "ra": ["2021-22", "2023-24"],
    "ascfr_datafile": ["2019-20", "2020-21", "2021-22", "2022-23", "2023-24"],
    "ons_mye2": ["2015", "2016", "2017", "2018", "2019", "2020", "2022", "2023", "2024"],
}


def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "benchmark", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600,
                          check=False)


def scratch_data(tmp_path: Path, *, copy: tuple[str, ...] = ()) -> Path:
    """A data folder whose raw/ links to the shipped folders, except ``copy`` (copied, so a test can
    add to them without touching the shipped data)."""
    data = tmp_path / "data"
    raw = data / "raw"
    raw.mkdir(parents=True)
    for child in RAW.iterdir():
        if child.name in copy:
            shutil.copytree(child, raw / child.name)
        else:
            (raw / child.name).symlink_to(child)
    shutil.copy(ROOT / "data" / "catalogue.json", data / "catalogue.json")
    shutil.copy(ROOT / "data" / "README.md", data / "README.md")
    return data


def test_the_catalogue_finds_every_shipped_year_by_content():
    files, problems = scan(RAW)
    assert problems == []
    for publication, years in SHIPPED_YEARS.items():
        assert sorted({f.year for f in files if f.publication == publication}) == years, publication


def test_format_samples_and_notes_are_not_catalogued():
    files, _ = scan(RAW)
    paths = {f.path for f in files}
    assert not any("format-sample" in p or p.endswith(".md") for p in paths)


def test_data_status_lists_newest_first_and_what_could_be_added():
    result = run_cli("data", "status")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Revenue Outturn Social Care (RO3)" in out
    ro3_line = next(line for line in out.splitlines() if line.startswith("Revenue Outturn Social Care (RO3)"))
    assert ro3_line.endswith("2024-25, 2023-24, 2022-23")
    assert "2025-26: not present" in out  # the next RO3
    assert "2024-25: not present" in out  # the next ASC-FR data file
    assert "data/raw/finance/ro3/RO3_LA_Data_2024-25_data_by_LA.ods" in out


def test_data_add_places_a_newer_year_and_it_becomes_the_default(tmp_path):
    """A copy of a shipped file relabelled as a later year: added, logged, and used as the newest
    year with no code change."""
    from benchmark.data.store import load_tables
    from benchmark.data.years import latest_population_year

    data = scratch_data(tmp_path, copy=("ascfr", "population"))
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    ltc = incoming / "ascfr_ltc_gce_by_setting_next.csv"
    ltc.write_text(LTC_2023_24.read_text(encoding="utf-8").replace(",2024,", ",2025,"), encoding="utf-8")
    mye = incoming / "mye25tablesew.csv"  # a CSV export carries its year only in its name
    mye.write_bytes(MYE_2024.read_bytes() + b"\n")  # not byte-identical (an identical copy is refused)

    result = run_cli("data", "add", str(ltc), str(mye), "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert "ASC-FR" in result.stdout and "2024-25" in result.stdout and "2025" in result.stdout
    assert (data / "raw" / "ascfr" / "data-files" / ltc.name).is_file() or any(data.glob(f"raw/ascfr/**/{ltc.name}"))
    record = read_record(data)
    assert any(path.endswith(ltc.name) for path in record["files"])
    assert ltc.name in (data / "README.md").read_text(encoding="utf-8")

    tables = load_tables(data)
    assert tables.catalogue.latest("ascfr_datafile") == "2024-25"
    assert tables.catalogue.latest("ons_mye2") == "2025"
    assert latest_population_year(tables) == 2025
    assert tables.catalogue.latest("ro3") == "2024-25"  # read through the linked finance folder

    # the same year again is refused without --replace, and nothing is copied
    again = incoming / "again.csv"  # the same year, as a revised release would be (an identical copy is refused as such)
    again.write_bytes(ltc.read_bytes() + b"\n")
    refused = run_cli("data", "add", str(again), "--data", str(data))
    assert refused.returncode == 1
    lines = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "already present" in lines[0] and "--replace" in lines[0]
    assert not any(data.glob("raw/**/again.csv"))

    replaced = run_cli("data", "add", str(again), "--replace", "--data", str(data))
    assert replaced.returncode == 0, replaced.stderr
    assert any(data.glob("raw/**/again.csv")) and not any(data.glob(f"raw/**/{ltc.name}"))


def test_data_add_refuses_a_file_of_no_known_publication_and_copies_nothing(tmp_path):
    data = scratch_data(tmp_path, copy=("ascof",))
    before = sorted(p.name for p in (data / "raw" / "ascof").iterdir())
    stray = tmp_path / "notes.csv"
    stray.write_text("a,b\n1,2\n", encoding="utf-8")
    result = run_cli("data", "add", str(stray), "--data", str(data))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "notes.csv" in errors[0] and "not a publication the toolkit reads" in errors[0]
    assert sorted(p.name for p in (data / "raw" / "ascof").iterdir()) == before
    assert json.loads((data / "catalogue.json").read_text()) == read_record(ROOT / "data")


def test_data_add_of_a_truncated_workbook_is_one_line_and_copies_nothing(tmp_path):
    data = scratch_data(tmp_path, copy=("finance",))
    broken = tmp_path / "RO3_broken.ods"
    broken.write_bytes(RO3_2024_25.read_bytes()[: RO3_2024_25.stat().st_size // 2])
    result = run_cli("data", "add", str(broken), "--data", str(data))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "RO3_broken.ods" in errors[0]
    assert not any(data.glob("raw/**/RO3_broken.ods")) and not any(data.glob("raw/**/.RO3_broken*"))


def test_defaults_follow_the_data(tables):
    from benchmark.data.years import budget_base_year, default_budget_year, latest_outturn_year, latest_population_year

    assert latest_outturn_year(tables) == "2024-25"  # the newest RO3 shipped
    assert default_budget_year(tables) == "2026-27"
    assert latest_population_year(tables) == 2024  # mid-2024, the newest ONS estimate shipped
    assert budget_base_year(tables) == "2024-25"  # the base budget starts from the newest outturn


def test_no_data_year_is_written_in_the_readers_or_the_budget():
    """The modules the issue named carry no year constant: their years come from the catalogue."""
    import re

    for module in ("benchmark/budget/base_budget.py", "benchmark/metrics/registry.py", "benchmark/data/catalogue.py",
                   "benchmark/data/years.py", "benchmark/data/mhclg.py", "benchmark/data/ascfr_datafile.py", "benchmark/data/ons_mye.py",
                   "benchmark/data/ascfr.py", "benchmark/data/population.py", "benchmark/data/store.py", "benchmark/data/earnings.py",
                   "benchmark/data/deprivation.py", "benchmark/data/validate.py", "benchmark/budget/model.py", "benchmark/metrics/compute.py",
                   "benchmark/comparators.py", "benchmark/data/census.py", "benchmark/budget/cli.py", "benchmarks/model_speed.py"):
        # (benchmark/data/councils.py dates the reorganisations: facts of geography, not data years)
        code = "\n".join(line for line in (ROOT / module).read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#"))
        # strings and identifiers, not docstring prose about the format, are what would fix a year
        years = re.findall(r"[\"'](?:19|20)\d\d(?:-\d\d)?[\"']", code)
        assert years == [], f"{module}: {years}"


def test_data_add_places_every_shipped_format(tmp_path):
    """Each shipped file of a publication read by format, added to an empty data folder, is
    recognised as the year it holds and copied byte for byte."""
    from benchmark.data.catalogue import add_files, plan_add

    files, _ = scan(RAW)
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    # one file of each layout: RO3 old and new, RSX ODS and CSV export, RS, RA in UTF-8 and Mac Roman,
    # MYE2 UK and England and Wales workbooks and a CSV export, the ASC-FR data file
    chosen = ["finance/ro3/RO3_2022-23_data_by_LA.ods", "finance/ro3/RO3_LA_Data_2024-25_data_by_LA.ods",
              "finance/rsx/RSX_2023-24_data_by_LA.ods", "finance/rsx/RSX_2021-22_data_by_LA_Live.csv", "finance/rs/RS_2017-18_data_by_LA.xlsx",
              "finance/ra/RA_2021-22_data_by_LA.csv", "finance/ra/RA_2023-24_data_Part_1.csv",
              "population/ons_mye/mye22final.xlsx", "population/ons_mye/mye23tablesew.xlsx", "population/ons_mye/mye24tablesew.csv",
              "population/ons_mye/ukmidyearestimates2016.xls", "ascfr/ltc-gce-by-setting/ascfr_ltc_gce_by_setting_2021-22.csv"]
    expected = {f.path: (f.publication, f.year) for f in files}
    placed = plan_add([RAW / path for path in chosen], data)
    assert [(p.publication.id, p.found.year) for p in placed] == [expected[path] for path in chosen]
    add_files(placed, data, copied_from="test").keep()
    for item, path in zip(placed, chosen, strict=True):
        assert item.target.read_bytes() == (RAW / path).read_bytes()
    assert len(read_record(data)["files"]) == len(chosen)


def test_each_finance_year_holds_the_councils_of_its_year(tables):
    """RO3 2022-23 is the last return of Cumbria, North Yorkshire County and Somerset County; from
    2023-24 their successors return (the April 2023 reorganisation); to 2025-26 there are 153."""
    registry = tables.registry
    ro3 = tables.ro3[tables.ro3["council"] != "E92000001"]
    by_year = {year: set(rows["council"]) for year, rows in ro3.groupby("year")}
    old, new = {"E10000006", "E10000023", "E10000027"}, {"E06000063", "E06000064", "E06000065", "E06000066"}
    assert old <= by_year["2022-23"] and not new & by_year["2022-23"]
    for year in ("2023-24", "2024-25"):
        assert new <= by_year[year] and not old & by_year[year]
        assert by_year[year] == set(registry.existing_in(year).index)
    assert len(registry.existing_in("2025-26")) == 153 and new <= set(registry.existing_in("2025-26").index)


def test_data_add_that_breaks_a_reconciliation_is_undone(tmp_path):
    """RSX 2021-22 relabelled as 2024-25 reads cleanly, but its totals do not equal RO3 2024-25's:
    the addition is refused after the checks across tables, and the shipped RSX 2024-25 is put back."""
    data = scratch_data(tmp_path, copy=("finance",))
    rsx = data / "raw" / "finance" / "rsx"
    before = {p.name: p.read_bytes() for p in rsx.iterdir()}
    relabelled = tmp_path / "RSX_relabelled.csv"
    source = RAW / "finance" / "rsx" / "RSX_2021-22_data_by_LA_Live.csv"
    relabelled.write_text(source.read_text(encoding="utf-8-sig").replace("2021-22", "2024-25"), encoding="utf-8-sig")
    result = run_cli("data", "add", str(relabelled), "--replace", "--data", str(data))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert any("in RO3" in line for line in errors), errors  # RSX's total differs from RO3's
    assert errors[-1].endswith("with the new file(s) the data does not validate; nothing was added")
    assert {p.name: p.read_bytes() for p in rsx.iterdir()} == before
    assert json.loads((data / "catalogue.json").read_text()) == read_record(ROOT / "data")


def test_data_add_refuses_a_folder_and_a_copy_of_a_file_already_present(tmp_path):
    from benchmark.data.catalogue import plan_add
    from benchmark.errors import DataError

    data = scratch_data(tmp_path, copy=("finance",))
    present = data / "raw" / "finance" / "ro3" / "RO3_2023-24_data_by_LA.ods"
    renamed = tmp_path / "RO3_copy.ods"
    shutil.copy(present, renamed)
    for given, expected in ((tmp_path, "is a folder"), (present, "identical to"), (renamed, "identical to")):
        with pytest.raises(DataError) as excinfo:
            plan_add([given], data, replace=True)
        assert len(excinfo.value.problems) == 1 and expected in str(excinfo.value), str(excinfo.value)
    assert present.is_file()


def test_files_put_in_place_are_readable_as_the_umask_allows(tmp_path):
    from benchmark.data.catalogue import add_files, plan_add

    umask = os.umask(0)
    os.umask(umask)
    expected = 0o666 & ~umask  # what any file the user writes gets
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    add_files(plan_add([RAW / "finance" / "rs" / "RS_2017-18_data_by_LA.xlsx"], data), data).keep()
    assert (data / "raw" / "finance" / "rs" / "RS_2017-18_data_by_LA.xlsx").stat().st_mode & 0o777 == expected
    assert (data / "catalogue.json").stat().st_mode & 0o777 == expected


def test_an_outturn_year_added_moves_the_trend_the_headline_and_the_base_budget(tmp_path):
    """Without the 2024-25 outturn files, the newest year is 2023-24 everywhere; `data add` of RO3
    2024-25 puts it in the spend trend, the headline and the base budget's base year, no code change."""
    from benchmark.budget.base_budget import BudgetParams, Scenario, council_budget
    from benchmark.data.store import load_tables
    from benchmark.metrics.compute import national_values

    data = scratch_data(tmp_path, copy=("finance",))
    ro3_2024 = data / "raw" / "finance" / "ro3" / "RO3_LA_Data_2024-25_data_by_LA.ods"
    outside = tmp_path / ro3_2024.name
    ro3_2024.rename(outside)
    (data / "raw" / "finance" / "rsx" / "RSX_LA_Data_2024-25_data_by_LA.ods").unlink()

    def southampton(tables):
        values = national_values(tables)
        net = values[(values["metric_id"] == "asc_net_per_head_18plus_gbp") & (values["council"] == "E06000045") & values["value"].notna()]
        budget = council_budget(tables, "E06000045", BudgetParams(scenarios=(Scenario("current_pattern", ""),)), comparators=[])
        return sorted(net["year"]), budget

    years, budget = southampton(load_tables(data))
    assert years[-1] == "2023-24" and budget.base_year == "2023-24"
    # RO3 2023-24, Southampton: net current expenditure on adult social care £111,474 thousand
    assert budget.reconciliation.iloc[-1]["ro3_net_gbp"] == 111_474_000 and budget.budget_year == "2025-26"

    result = run_cli("data", "add", str(outside), "--data", str(data))
    assert result.returncode == 0, result.stderr
    years, budget = southampton(load_tables(data))
    assert years[-1] == "2024-25" and "2023-24" in years and budget.base_year == "2024-25"
    assert budget.reconciliation.iloc[-1]["ro3_net_gbp"] == 116_594_000 and budget.budget_year == "2026-27"
