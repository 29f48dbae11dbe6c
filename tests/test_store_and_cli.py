"""The processed cache, provenance of a user's data folder, and the command line's behaviour."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from benchmark.data.store import load_tables

from conftest import RAW, ROOT


def run_cli(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "benchmark", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300,
                          check=False)


@pytest.fixture(scope="module")
def user_data(tmp_path_factory):
    """A user's copy of the data folder, with one file edited (a value changed, layout kept)."""
    data = tmp_path_factory.mktemp("user") / "data"
    shutil.copytree(RAW, data / "raw")
    trend = data / "raw" / "ascof" / "trend_data.csv"
    text = trend.read_text(encoding="utf-8")
    line = '2017-18,Southampton,E06000045,2C1,"Delayed transfers of care from hospital, per 100,000 population",19.1,'
    assert line in text
    trend.write_text(text.replace(line, line.replace(",19.1,", ",19.2,")), encoding="utf-8")
    return data


def test_warm_load_equals_cold_build(tables, tmp_path):
    data = tmp_path / "data"
    (data).mkdir()
    (data / "raw").symlink_to(RAW)
    cold = load_tables(data)
    warm = load_tables(data)
    assert not cold.provenance["from_cache"] and warm.provenance["from_cache"]
    assert set(cold.frames) == set(warm.frames)
    for name in cold.frames:
        pd.testing.assert_frame_equal(cold.frames[name], warm.frames[name], check_dtype=False)

    # each cached table is read when first used, not before
    later = load_tables(data)
    assert list(later.frames._loaded) == ["councils"]  # the registry, which every command needs
    assert "ascof" in later.frames and len(later.frames) == len(cold.frames) and list(later.frames._loaded) == ["councils"]
    pd.testing.assert_frame_equal(later.ascof, cold.frames["ascof"], check_dtype=False)
    assert sorted(later.frames._loaded) == ["ascof", "councils"]


def test_a_cache_removed_while_in_use_is_a_one_line_error(tmp_path):
    from benchmark.errors import DataError

    data = tmp_path / "data"
    data.mkdir()
    (data / "raw").symlink_to(RAW)
    load_tables(data)  # builds the cache
    tables = load_tables(data)
    (data / "processed" / "ascof.parquet").unlink()  # as when another process swaps in a rebuilt cache
    with pytest.raises(DataError, match=r"ascof\.parquet: the processed data cache changed while in use; run the command again"):
        _ = tables.ascof  # the attribute reads the frame from the cache


def test_user_data_folder_differences_are_reported_not_refused(user_data):
    tables = load_tables(user_data)
    assert tables.provenance["differs_from_shipped"] == {"ascof/trend_data.csv": "changed"}
    ascof = tables.ascof
    assert ascof[(ascof["council"] == "E06000045") & (ascof["year"] == "2017-18") & (ascof["measure"] == "2C1")]["value"].iloc[0] == 19.2
    # an edit after caching is noticed and rebuilt
    path = user_data / "raw" / "ascof" / "trend_data.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",19.2", ",19.3", 1), encoding="utf-8")
    assert not load_tables(user_data).provenance["from_cache"]


def test_cli_councils_lists_one_council_a_line():
    result = run_cli("councils")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split("\t")[:5] == ["ons_code", "cassr_code", "name", "region", "council_type"]
    assert len(lines) == 1 + 161
    assert "E06000045\t814\tSouthampton\tSouth East\tunitary\t\t" in lines


def test_cli_validate_clean_data_exits_0():
    result = run_cli("validate")
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout


def test_cli_validate_lists_every_problem_one_line_each(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(RAW, data / "raw")
    (data / "raw" / "ascfr" / "CSV ASCFR Activity.csv").unlink()
    earnings = data / "raw" / "population" / "pop2021.csv"
    earnings.write_text(earnings.read_text(encoding="utf-8").replace("E06000001,Hartlepool,E,1,0,446", "E06000001,Hartlepool,E,1,0,lots", 1), encoding="utf-8")
    result = run_cli("validate", "--data", str(data))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert any("CSV ASCFR Activity.csv: file not found" in line for line in errors)
    assert any("pop2021.csv, row 2, column 'population_2021': expected a number, found 'lots'" in line for line in errors), errors
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("councils", "--year", "2017"), "error: --year: '2017' is not a financial year of the form YYYY-YY"),
        (("councils", "--data", "/no/such/folder"), "not a data folder"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
        (("councils", "--bogus"), "unrecognized arguments: --bogus"),
    ],
)
def test_cli_user_errors_are_one_line_without_traceback(args, expected):
    result = run_cli(*args)
    assert result.returncode in (1, 2)
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_every_command_has_help():
    from benchmark.cli import COMMANDS

    for command in COMMANDS:
        result = run_cli(command, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout, command


def test_cli_output_piped_into_a_closed_reader_is_not_an_error():
    result = subprocess.run(f"{sys.executable} -m benchmark councils | head -1", shell=True, capture_output=True, text=True, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300, check=False)
    assert result.stdout.startswith("ons_code") and "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def _linked_data(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "raw").symlink_to(RAW)
    return data


def test_a_rebuild_replaces_a_cache_holding_folders_and_leaves_nothing_behind(tmp_path):
    """A raw file touched after a report has filled the report cache (a folder inside the cache):
    the next load rebuilds, swaps the whole folder and leaves no staging or old folder."""
    import json

    data = _linked_data(tmp_path)
    load_tables(data)
    report_cache = data / "processed" / "report-cache"
    report_cache.mkdir()
    (report_cache / "abc.pkl").write_bytes(b"results of an earlier run")
    manifest = json.loads((data / "processed" / "manifest.json").read_text())
    manifest["fingerprint"]["ascof/trend_data.csv"][1] += 1  # as `touch data/raw/ascof/trend_data.csv` would
    (data / "processed" / "manifest.json").write_text(json.dumps(manifest))
    rebuilt = load_tables(data)
    assert not rebuilt.provenance["from_cache"]
    assert not report_cache.exists()
    assert sorted(p.name for p in data.iterdir() if p.name.startswith(".processed-")) == []
    assert load_tables(data).provenance["from_cache"]


def test_the_cache_rebuilds_when_the_code_that_built_it_changes(tmp_path):
    import json

    data = _linked_data(tmp_path)
    load_tables(data)
    manifest = json.loads((data / "processed" / "manifest.json").read_text())
    manifest["format"][-1] = "digest-of-an-older-reader"
    (data / "processed" / "manifest.json").write_text(json.dumps(manifest))
    assert not load_tables(data).provenance["from_cache"]


def test_two_commands_rebuilding_at_once_both_succeed_and_leave_one_cache(tmp_path):
    data = _linked_data(tmp_path)
    commands = [subprocess.Popen([sys.executable, "-m", "benchmark", "councils", "--data", str(data)], cwd=ROOT,
                                 env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
    outputs = [command.communicate(timeout=600) for command in commands]
    assert [command.returncode for command in commands] == [0, 0], [err for _, err in outputs]
    assert all(out.startswith("ons_code") for out, _ in outputs)
    assert "Traceback" not in "".join(err for _, err in outputs)
    assert sorted(p.name for p in data.iterdir()) == [".processed.lock", "processed", "raw"]
    assert load_tables(data).provenance["from_cache"]


def test_metrics_command_uses_the_councils_default_group():
    # Cumberland (April 2023) has no NN.json set: by default it is compared with its statistical peers
    result = run_cli("metrics", "E06000063", "--format", "csv")
    assert result.returncode == 0, result.stderr
    explicit = run_cli("metrics", "E06000063", "--group", "nn")
    assert explicit.returncode == 1 and "has no set in NN.json" in explicit.stderr and len(explicit.stderr.strip().splitlines()) == 1
