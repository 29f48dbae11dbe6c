"""Command-line entry points of the local-data package, wired into ``benchmark/cli.py`` by the lead.

* ``make-examples``: :func:`add_arguments_make_examples`, :func:`cmd_make_examples`
* ``local-panel``: :func:`add_arguments_local_panel`, :func:`cmd_local_panel`
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.files import display_path
from benchmark.local import SEED
from benchmark.paths import DEFAULT_LOCAL_ROOT


def _tables(args: argparse.Namespace):
    from benchmark.data.store import load_tables

    return load_tables(getattr(args, "data", None))


def add_arguments_make_examples(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", default=str(DEFAULT_LOCAL_ROOT),
                        help="folder to write the examples into (default: data/local in the toolkit)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed of the generated examples (default {SEED})")
    parser.add_argument("--data", metavar="DIR", default=None, help="data folder with a 'raw' folder inside (default: the shipped data)")


def cmd_make_examples(args: argparse.Namespace) -> int:
    """Write the shipped examples (Southampton, Leicester, national comparator files)."""
    from benchmark.local.examples import make_examples

    written = make_examples(_tables(args), Path(args.out), seed=args.seed)
    for path in written:
        print(display_path(path))
    print(f"{len(written)} files written; all generated files are marked ILLUSTRATIVE (see {display_path(Path(args.out) / 'README.md')})")
    return 0


def add_arguments_local_panel(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--local", metavar="DIR", default=str(DEFAULT_LOCAL_ROOT), help="local data folder (default: data/local)")
    parser.add_argument("--council", metavar="CODE_OR_NAME", default=None, help="only this council's rows")
    parser.add_argument("--out", metavar="FILE.csv", default=None, help="write CSV here instead of standard output")
    parser.add_argument("--data", metavar="DIR", default=None, help="data folder with a 'raw' folder inside (default: the shipped data)")


def cmd_local_panel(args: argparse.Namespace) -> int:
    """Print (or write) the local metric panel as CSV."""
    from benchmark.local.panel import local_metric_panel

    tables = _tables(args)
    panel = local_metric_panel(tables, Path(args.local))
    if args.council:
        panel = panel[panel["council"] == tables.registry.find(args.council).ons_code]
    if args.out:
        panel.to_csv(args.out, index=False)
        print(f"wrote {display_path(Path(args.out))} ({len(panel)} rows)")
    else:
        panel.to_csv(sys.stdout, index=False)
    return 0
