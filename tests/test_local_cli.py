"""The local commands, as the lead will wire them into benchmark/cli.py."""
from __future__ import annotations

import argparse

import pandas as pd

from benchmark.local.cli import add_arguments_local_panel, add_arguments_make_examples, cmd_local_panel, cmd_make_examples


def test_make_examples_then_panel(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_arguments_make_examples(parser)
    assert cmd_make_examples(parser.parse_args(["--out", str(tmp_path / "local")])) == 0
    assert "ILLUSTRATIVE" in capsys.readouterr().out
    parser = argparse.ArgumentParser()
    add_arguments_local_panel(parser)
    out = tmp_path / "panel.csv"
    args = parser.parse_args(["--local", str(tmp_path / "local"), "--council", "Southampton", "--out", str(out)])
    assert cmd_local_panel(args) == 0
    panel = pd.read_csv(out)
    assert set(panel["council"]) == {"E06000045"} and len(panel) == 9
