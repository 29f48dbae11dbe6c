"""Command line: ``python -m benchmark <command> ...`` (``--help`` on every command).

User errors (bad data, unknown council, bad arguments) print one line each, ``error: ...``, and
exit non-zero; they never show a traceback.  Logging is configured here, once.
"""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from benchmark import __version__
from benchmark.errors import DataError, UserError

log = logging.getLogger("benchmark")


class _Parser(argparse.ArgumentParser):
    """argparse prints a usage block before its error; a user error here is one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgumentError(f"{self.prog}: {message} (see --help)")


class _ArgumentError(UserError):
    pass


def _add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="data folder with the same layout as the shipped data/ (a 'raw' folder inside); default: the shipped data")


def _tables(args: argparse.Namespace):
    from benchmark.data.store import load_tables

    tables = load_tables(args.data)
    differences = tables.provenance["differs_from_shipped"]
    if differences:
        log.warning("data differs from the shipped files (%d): %s", len(differences),
                    "; ".join(f"{p} {s}" for p, s in sorted(differences.items())))
    return tables


#: How a file compares with the toolkit's shipped data, in words.
SHIPPED_STATUS_WORDS = {"changed": "differs from the shipped copy", "missing": "is shipped with the toolkit but missing here",
                        "added": "is not among the shipped files (added)"}


def _add_local_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--local", metavar="DIR", default=None,
                        help="folder of councils' own files, one sub-folder per ONS code (default: the data folder's 'local')")


def _local_root(args: argparse.Namespace, tables):
    from pathlib import Path

    return Path(args.local) if getattr(args, "local", None) else tables.data_dir / "local"


def _local_panel(args: argparse.Namespace, tables):
    from benchmark.local.panel import local_metric_panel

    return local_metric_panel(tables, _local_root(args, tables))


# ----------------------------------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------------------------------

def cmd_councils(args: argparse.Namespace) -> int:
    tables = _tables(args)
    table = tables.registry.existing_in(args.year) if args.year else tables.registry.table
    print("ons_code\tcassr_code\tname\tregion\tcouncil_type\tfirst_year\tlast_year")
    for row in table.itertuples():
        print("\t".join(str(v) if v is not None and str(v) != "<NA>" else "" for v in
                        (row.ons_code, row.cassr_code, row.name, row.region, row.council_type, row.first_year, row.last_year)))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from benchmark.data.store import build_tables, resolve_data_dir

    data_dir = resolve_data_dir(args.data)
    tables = build_tables(data_dir)  # raises DataError listing every problem
    differences = tables.provenance["differs_from_shipped"]
    counts = ", ".join(f"{name} {len(frame):,}" for name, frame in tables.frames.items())
    print(f"data in {data_dir} is valid: {counts} rows")
    from benchmark.data.validate import reconciliation_notes

    for note in reconciliation_notes(dict(tables.frames), tables.registry):
        print(f"note: {note}")
    if args.council:
        from benchmark.local.panel import council_local_rows, council_paths

        council = tables.registry.find(args.council)
        root = _local_root(args, tables)
        paths = council_paths(council.ons_code, root)
        council_local_rows(tables, council.ons_code, root, paths=paths)  # raises DataError listing every problem
        found = [p.name for p in paths.values() if p.is_file()]
        print(f"local files of {council.name} ({council.ons_code}) are valid: {', '.join(found) or f'none supplied in {root / council.ons_code}'}")
    for path, status in sorted(differences.items()):
        print(f"note: {path} {SHIPPED_STATUS_WORDS.get(status, status)}")
    return 0


def cmd_data_log(args: argparse.Namespace) -> int:
    from benchmark.data.cli import cmd_log

    return cmd_log(args)


def cmd_data(args: argparse.Namespace) -> int:
    from benchmark.data.cli import cmd_data as run

    return run(args)


def cmd_neighbours(args: argparse.Namespace) -> int:
    from benchmark.comparators import comparator_group, default_method

    tables = _tables(args)
    method = args.method or ("statistical" if args.explain else default_method(tables, args.council, args.year))
    if args.explain:
        if method != "statistical":
            raise UserError("--explain shows the features behind a statistical group: use it with --method statistical (or no --method)")
        return _print_explained_group(tables, args)
    group = comparator_group(tables, args.council, method, k=args.k, year=args.year)
    council = tables.registry.council(group.attrs["council"])
    print(f"# {council.name} ({council.ons_code}): {group.attrs['description']}")
    print("rank\tons_code\tname\tdistance")
    for row in group.itertuples():
        rank = "" if row.rank is None or str(row.rank) == "<NA>" else str(row.rank)
        distance = "" if row.distance != row.distance else f"{row.distance:.4f}"
        print(f"{rank}\t{row.neighbour}\t{row.name}\t{distance}")
    return 0


def _print_explained_group(tables, args: argparse.Namespace) -> int:
    """The statistical group with the features behind each distance (``neighbours --explain``)."""
    from benchmark.comparators import explain_group

    table = explain_group(tables, args.council, k=args.k, year=args.year)
    features = list(table.attrs["labels"])
    names = tables.registry.table["name"].astype(str)
    print(f"# {names[table.attrs['council']]} ({table.attrs['council']}): {table.attrs['description']}")
    print("# features (raw values below; each is transformed towards normality and scaled to [0, weight] before distances):")
    for feature in features:
        years = ", ".join(map(str, table.attrs["years"][feature]))
        print(f"#   {feature}: {table.attrs['labels'][feature]}; weight {table.attrs['weights'][feature]}; year(s) {years}")
    for code, used in table.attrs["from_reorganised"].items():
        for feature, others in used.items():
            print(f"#   {names[code]} ({code}) has no {feature} of its own: the mean of {', '.join(f'{names[o]} ({o})' for o in others)} is used")
    print("# d2_* columns: each feature's share of the squared distance to the council")
    print("\t".join(["rank", "ons_code", "name", "distance", *features, *(f"d2_{f}" for f in features)]))
    for code, row in table.iterrows():
        values = [f"{row[f]:.4g}" for f in features]
        shares = ["" if row[f"{f}_share"] != row[f"{f}_share"] else f"{row[f'{f}_share']:.2f}" for f in features]
        print("\t".join([str(int(row["rank"])), code, row["name"], f"{row['distance']:.4f}", *values, *shares]))
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    from benchmark.metrics.stats import council_metrics

    tables = _tables(args)
    from benchmark.report.parameters import resolved_comparator_method

    group = args.group or resolved_comparator_method(tables, {"council": args.council, "comparator_method": None, "year": args.year})
    table = council_metrics(tables, args.council, year=args.year, group=group, k=args.k, local_panel=_local_panel(args, tables))
    columns = ["id", "year", "value", "unit", "illustrative", "comparators_illustrative", "n", "median", "q1", "q3", "rank", "rank_of", "robust_z",
               "lower_95", "upper_95", "outside_95", "outside_998", "gap", "gap_unit", "source", "missing_reason"]
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
    else:
        print(f"# {table.attrs['council_name']} ({table.attrs['council']}); comparators: {table.attrs['group']}")
        with __import__("pandas").option_context("display.max_rows", None, "display.max_columns", None, "display.width", 250):
            print(table[columns].to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    from benchmark.budget.cli import cmd_model as run

    return run(args, _tables(args))


def cmd_budget(args: argparse.Namespace) -> int:
    from benchmark.budget.cli import cmd_budget as run

    return run(args, _tables(args))


def cmd_make_examples(args: argparse.Namespace) -> int:
    from benchmark.local.cli import cmd_make_examples as run

    return run(args)


def cmd_local_panel(args: argparse.Namespace) -> int:
    from benchmark.local.cli import cmd_local_panel as run

    return run(args)


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from benchmark.report.runner import DEFAULT_NOTEBOOK, RunInterrupted, Workers, plan, pool_size, run_reports, summary_line

    councils = None if args.all else len(args.council) + len(args.params or [])
    if councils == 0:  # plan says what is missing
        plan(args.council, all_councils=args.all, params_files=args.params, year=args.year, data=args.data)
    # The workers, and their kernels, start first: the checks below run while they start, and a
    # failed check stops them (nothing is written).
    with Workers(pool_size(args.jobs, councils), fresh_kernels=args.fresh_kernels) as workers:
        sets = plan(args.council, all_councils=args.all, params_files=args.params, year=args.year, data=args.data)
        try:
            summary = run_reports(sets, Path(args.out), jobs=args.jobs, notebook=Path(args.notebook or DEFAULT_NOTEBOOK),
                                  shared=not args.notebook_only, with_tables=not args.notebook_only, cell_timeout_s=args.timeout,
                                  fresh_kernels=args.fresh_kernels, force=args.force, pack=args.pack, pdf=args.pdf, workers=workers)
        except RunInterrupted as stopped:
            print(stopped, file=sys.stderr)
            return 130
    for result in summary.results:
        page = summary.out_dir / result.code / "report.html"
        if result.code in summary.skipped:
            print(f"Unchanged: {page}  ({result.name}, {result.code}, written {result.finished} with the same inputs)")
        elif result.status == "succeeded":
            print(f"Report: {page}  ({result.name}, {result.code}, {result.duration_s:.1f} s)")
            if args.pack and (page.parent / "pack.html").is_file():
                print(f"Pack: {page.parent / 'pack.html'}")
    if summary.failed:
        print(f"error: {summary_line(summary)}", file=sys.stderr)
        return 1
    print(summary_line(summary))
    return 0


def cmd_init_parameters(args: argparse.Namespace) -> int:
    from pathlib import Path

    from benchmark.report.parameter_files import kept_file_changes, write_parameter_files

    written, kept = write_parameter_files(_tables(args), Path(args.out), force=args.force)
    print(f"wrote {len(written)} parameter file(s) to {args.out}" + (f"; kept {len(kept)} edited or hand-written (--force replaces them):"
                                                                    if kept else ""))
    for path in kept:
        print(f"  {kept_file_changes(path)}")
    return 0


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "councils": (cmd_councils, "list every council: ONS code, CASSR code, name, region, type, years"),
    "validate": (cmd_validate, "check all data; exit 0 when clean, 1 listing every problem"),
    "data": (cmd_data, "the data catalogue: status (years present, what could be added), add FILE... (a newer published file), log"),
    "data-log": (cmd_data_log, "print the table of shipped sources (embedded in data/README.md); same as `data log`"),
    "neighbours": (cmd_neighbours, "print a council's comparator group: names and distances"),
    "metrics": (cmd_metrics, "print a council's metrics with comparator statistics"),
    "model": (cmd_model, "fit the expected-spend model and print coefficients and diagnostics"),
    "budget": (cmd_budget, "build a council's needs-based base budget by service line, scenarios side by side"),
    "make-examples": (cmd_make_examples, "write the example local files (ILLUSTRATIVE, except Southampton's published BCF)"),
    "local-panel": (cmd_local_panel, "print the local metrics (workforce, BCF, fees, packages) of every council with data, as CSV"),
    "report": (cmd_report, "run the report notebook for councils (HTML without code, tables, index and manifest)"),
    "init-parameters": (cmd_init_parameters, "write a parameter file for every council (parameters/<ONS code>.yml)"),
}


def build_parser() -> argparse.ArgumentParser:
    from benchmark.report.runner import CELL_TIMEOUT_S

    parser = _Parser(prog="python -m benchmark", description="Adult social care use-of-resources benchmarking for English councils.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    councils = commands.add_parser("councils", help=COMMANDS["councils"][1], description=COMMANDS["councils"][1])
    councils.add_argument("--year", metavar="YYYY-YY", help="only councils that existed in this financial year")
    _add_data_option(councils)

    validate = commands.add_parser("validate", help=COMMANDS["validate"][1], description=COMMANDS["validate"][1])
    validate.add_argument("--council", metavar="COUNCIL", help="also check this council's own files (data/local/<ONS code>/)")
    _add_data_option(validate)
    _add_local_option(validate)

    from benchmark.data.cli import add_arguments as add_arguments_data

    data = commands.add_parser("data", help=COMMANDS["data"][1], description=COMMANDS["data"][1])
    add_arguments_data(data, _add_data_option)

    data_log = commands.add_parser("data-log", help=COMMANDS["data-log"][1], description=COMMANDS["data-log"][1])
    _add_data_option(data_log)

    neighbours = commands.add_parser("neighbours", help=COMMANDS["neighbours"][1], description=COMMANDS["neighbours"][1])
    neighbours.add_argument("council", metavar="COUNCIL", help="ONS code, CASSR code or name")
    neighbours.add_argument("--method", choices=["nn", "statistical", "region", "type", "england"], default=None,
                            help="comparator method (default: nn, the nearest-neighbour sets used by a government data project, where they "
                                 "cover the council and the geography year; statistical otherwise)")
    neighbours.add_argument("--k", type=int, default=None, help="group size for --method statistical (default from config/neighbours.toml: 15)")
    neighbours.add_argument("--year", metavar="YYYY-YY", help="geography year (default: the newest revenue outturn's, config/neighbours.toml)")
    neighbours.add_argument("--explain", action="store_true", help="print the statistical group with the features behind each distance")
    _add_data_option(neighbours)

    metrics = commands.add_parser("metrics", help=COMMANDS["metrics"][1], description=COMMANDS["metrics"][1])
    metrics.add_argument("council", metavar="COUNCIL", help="ONS code, CASSR code or name")
    metrics.add_argument("--year", metavar="YYYY-YY", help="financial year (default: each metric's latest year with data)")
    metrics.add_argument("--group", choices=["nn", "statistical", "region", "type", "england"], default=None,
                         help="comparator group (default: the council's default, as a report with comparator_method null uses)")
    metrics.add_argument("--k", type=int, default=None, help="group size for --group statistical (default 15)")
    metrics.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format (default table)")
    _add_data_option(metrics)
    _add_local_option(metrics)

    from benchmark.budget.cli import add_arguments_budget, add_arguments_model
    from benchmark.local.cli import add_arguments_local_panel, add_arguments_make_examples

    model = commands.add_parser("model", help=COMMANDS["model"][1], description=COMMANDS["model"][1])
    add_arguments_model(model)
    _add_data_option(model)

    budget = commands.add_parser("budget", help=COMMANDS["budget"][1], description=COMMANDS["budget"][1])
    add_arguments_budget(budget)
    _add_data_option(budget)

    examples = commands.add_parser("make-examples", help=COMMANDS["make-examples"][1], description=COMMANDS["make-examples"][1])
    add_arguments_make_examples(examples)

    local_panel = commands.add_parser("local-panel", help=COMMANDS["local-panel"][1], description=COMMANDS["local-panel"][1])
    add_arguments_local_panel(local_panel)

    report = commands.add_parser("report", help=COMMANDS["report"][1], description=COMMANDS["report"][1] + ". Every council and parameter file "
                                 "is checked before any notebook runs; one council's failure does not stop the others; exit 1 if any failed.")
    report.add_argument("council", metavar="COUNCIL", nargs="*",
                        help="ONS code, CASSR code or name; uses parameters/<ONS code>.yml if present, else the defaults")
    report.add_argument("--all", action="store_true", help="every council in the registry")
    report.add_argument("--params", metavar="FILE", action="append", help="a parameter file (may be repeated) instead of council names")
    report.add_argument("--out", metavar="DIR", default="outputs", help="output folder (default outputs/): DIR/<ONS code>/, index.html, run_manifest.json")
    report.add_argument("--jobs", metavar="N", type=int, default=None, help="councils run at once, each in its own process (default: the number of CPUs)")
    report.add_argument("--year", metavar="YYYY-YY", help="financial year of the metrics (overrides 'year' in every parameter file)")
    report.add_argument("--timeout", metavar="SECONDS", type=int, default=CELL_TIMEOUT_S,
                        help=f"time limit for each notebook cell (default {CELL_TIMEOUT_S})")
    report.add_argument("--notebook", metavar="FILE", default=None, help="report notebook (default notebooks/council_report.ipynb)")
    report.add_argument("--fresh-kernels", action="store_true",
                        help="start a new kernel for every council (default: one kernel per worker process, reset between councils)")
    report.add_argument("--force", action="store_true",
                        help="run every council again, even those already in --out written with the same inputs (default: they are skipped)")
    report.add_argument("--pack", choices=("peer",), default=None,
                        help="also write a pre-reading pack beside each report: peer = for the peer challenge team, by the LGA "
                             "Key Areas of Focus and CQC's assessment themes (pack.html)")
    report.add_argument("--pdf", action="store_true",
                        help="also print each report (and pack) to PDF with headless Chromium where it is installed (skipped with a note where not)")
    report.add_argument("--notebook-only", action="store_true",
                        help="execute and convert the notebook only: no shared step, no metrics.csv/budget.csv/tables.xlsx "
                             "(for testing with a stand-in notebook)")
    _add_data_option(report)

    init = commands.add_parser("init-parameters", help=COMMANDS["init-parameters"][1], description=COMMANDS["init-parameters"][1]
                               + "; files that were edited, and the hand-written Southampton and Leicester files, are kept unless --force")
    init.add_argument("--out", metavar="DIR", default="parameters", help="folder (default parameters/)")
    init.add_argument("--force", action="store_true", help="overwrite every file, including edited and hand-written ones")
    _add_data_option(init)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        if getattr(args, "year", None):
            from benchmark.data.tidy import financial_year_start

            try:
                financial_year_start(args.year)
            except ValueError as error:
                raise UserError(f"--year: {error}") from None
        return COMMANDS[args.command][0](args)
    except _ArgumentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except DataError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(error.problems)} problem(s) found", file=sys.stderr)
        return 1
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): not an error; silence the flush at exit
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
