"""``python -m benchmark data status | add FILE... | log``: what data is present, and adding newer files."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from benchmark.files import display_path


def add_arguments(parser: argparse.ArgumentParser, add_data_option) -> None:
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION")
    actions.required = True
    status = actions.add_parser("status",
                                help="every source: years and editions present (newest first), files, rows, councils, sha256, and what could be added",
                                description="Every source the toolkit reads: the years and editions present, newest first, from which files "
                                            "(rows, councils, sha256), and the next year of each publication that could be added.")
    add_data_option(status)
    add = actions.add_parser("add", help="detect, check and copy published files into data/raw, then regenerate the data log",
                             description="Detect each file's publication and year from its content, check it, copy it unchanged into "
                                         "data/raw/<source>/ and regenerate the data log (data/README.md). A year already present is "
                                         "replaced only with --replace; a file that cannot be placed is refused and nothing is copied.")
    add.add_argument("files", metavar="FILE", nargs="+", help="published file(s): RO3, RSX, RS, RA, ONS MYE2, ASC-FR data file")
    add.add_argument("--replace", action="store_true", help="replace a year already present (the old file is removed)")
    add_data_option(add)
    log = actions.add_parser("log", help="print the data log table (embedded in data/README.md)")
    add_data_option(log)


def _data_dir(args):
    from benchmark.data.store import resolve_data_dir

    return resolve_data_dir(args.data)


def cmd_data(args: argparse.Namespace) -> int:
    return {"status": cmd_status, "add": cmd_add, "log": cmd_log}[args.data_command](args)


def cmd_log(args: argparse.Namespace) -> int:
    from benchmark.data.catalogue import read_record
    from benchmark.data.sources import data_log_table

    data_dir = _data_dir(args)
    sys.stdout.write(data_log_table(data_dir / "raw", read_record(data_dir)))
    return 0


def _next_year(year: str, kind: str) -> str:
    from benchmark.data.tidy import financial_year, financial_year_start

    return financial_year(financial_year_start(year) + 1) if kind == "financial" else str(int(year) + 1)


def _counts(data_dir: Path) -> dict:
    """Rows and councils by source id from the cache's manifest (empty until the data was loaded once)."""
    import json

    try:
        manifest = json.loads((data_dir / "processed" / "manifest.json").read_text())
        return manifest["catalogue"]["counts"]
    except (OSError, ValueError, KeyError):
        return {}


def status_lines(data_dir: Path) -> list[str]:
    from benchmark.data.catalogue import publications, read_record, scan
    from benchmark.data.sources import SOURCES

    raw = data_dir / "raw"
    files, problems = scan(raw)
    record = read_record(data_dir)["files"]
    counts = _counts(data_dir)
    lines = []
    could_add = []
    for pub in publications():
        mine = sorted((f for f in files if f.publication == pub.id), key=lambda f: f.year, reverse=True)
        shown = (lambda year: f"mid-{year}") if pub.year_kind == "mid-year" else (lambda year: year)
        lines += _publication_lines(pub, mine, shown, counts, record, data_dir)
        could_add += _could_add_lines(pub, mine, shown)
    catalogued = {f.path for f in files}
    described = [s for s in SOURCES if s.path not in catalogued]
    lines.append(f"Other sources, described by hand in the data log ({len(described)} files, one-off historical releases and lookups):")
    for s in sorted(described, key=_newest_first):
        present = "" if (raw / s.path).is_file() else "  MISSING"
        lines.append(f"  {s.years}  {display_path(raw / s.path)}  publisher: {s.publisher}{present}")
    for path in sorted(set(record) - {f.path for f in files}):
        lines.append(f"problem: {display_path(raw / path)} is recorded in {display_path(data_dir / 'catalogue.json')} but "
                     + ("not present" if not (raw / path).exists() else "not recognised as a publication"))
    lines.append("What could be added:")
    lines += could_add
    lines += [f"problem: {p}" for p in problems]
    return lines


def _publication_lines(pub, mine: list, shown, counts: dict, record: dict, data_dir: Path) -> list[str]:
    """A publication's years present, newest first, then a line for each of its files (``mine``):
    rows and councils read from it, edition, sha256, and whether catalogue.json records it."""
    from benchmark.data.sources import sha256_of

    raw = data_dir / "raw"
    years = ", ".join(dict.fromkeys(shown(f.year) for f in mine)) or "none"
    lines = [f"{pub.name} ({pub.publisher}): {years}"]
    read_from: dict = {}  # source id -> the file the tables are read from (the publisher's own before an export)
    for f in sorted(mine, key=lambda f: "export" in f.edition):
        read_from.setdefault(f.source_id, f)
    for f in mine:
        n = counts.get(f.source_id, {})
        if read_from[f.source_id] is not f:
            size = f"a copy of another {shown(f.year)} file listed here, used only to cross-check it"
        else:
            size = (f"{n['rows']:,} rows, {n['councils']} councils" if n
                    else "rows not counted yet (counted when the tables are next cached, e.g. by `python -m benchmark councils`)")
        origin = "" if f.path in record else f"; not recorded in {display_path(data_dir / 'catalogue.json')} (put there by hand?)"
        lines.append(f"  {shown(f.year)}  {display_path(raw / f.path)}  [{f.edition or 'edition not stated'}]  {size}  "
                     f"sha256 {sha256_of(raw / f.path)[:12]}{origin}")
    return lines


def _could_add_lines(pub, mine: list, shown) -> list[str]:
    """The years of a publication that could be added: gaps between the years present, and the next one."""
    lines = []
    gaps = _missing_years(sorted({f.year for f in mine}), pub.year_kind)
    if gaps:
        lines.append(f"  {pub.name} {', '.join(map(shown, gaps))}: not present (between the years present); "
                     f"from {pub.where_to_get}")
    if mine:
        lines.append(f"  {pub.name} {shown(_next_year(mine[0].year, pub.year_kind))}: not present; download it from {pub.where_to_get} "
                     "and run `python -m benchmark data add FILE`")
    else:
        lines.append(f"  {pub.name}: none present; download it from {pub.where_to_get} and run `python -m benchmark data add FILE`")
    return lines


def _missing_years(present: list[str], kind: str) -> list[str]:
    """The years between the first and last of ``present`` (sorted) that are not in it."""
    gaps = []
    if present:
        year = present[0]
        while year < present[-1]:
            year = _next_year(year, kind)
            if year not in present:
                gaps.append(year)
    return gaps


def _newest_first(source):
    found = re.findall(r"(?:19|20)\d\d", source.years)
    return (-int(found[-1]) if found else 0, source.path)


def cmd_status(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    lines = status_lines(data_dir)
    print("\n".join(lines))
    return 1 if any(line.startswith("problem: ") for line in lines) else 0


def cmd_add(args: argparse.Namespace) -> int:
    from benchmark.data.catalogue import add_files, plan_add
    from benchmark.data.sources import write_data_log
    from benchmark.data.store import load_tables
    from benchmark.errors import DataError, Problem

    data_dir = _data_dir(args)
    placed = plan_add([Path(f) for f in args.files], data_dir, replace=args.replace)  # raises, copying nothing, if any file fails
    addition = add_files(placed, data_dir)
    try:
        load_tables(data_dir, rebuild=True)  # every check across the tables, with the new files in place
    except DataError as error:
        addition.undo()
        raise DataError([*error.problems, Problem(display_path(data_dir / "raw"), "with the new file(s) the data does not validate; "
                                                                                 "nothing was added")]) from None
    except BaseException:
        addition.undo()
        raise
    addition.keep()
    readme = write_data_log(data_dir)
    for item in placed:
        what = "replaced" if item.replaces is not None else "added"
        print(f"{what}: {item.publication.name} {item.found.year} [{item.found.edition or 'edition not stated'}] -> "
              f"{display_path(item.target)} "
              f"({item.rows:,} rows, {item.councils} councils)")
        for line in item.not_read:
            print(f"note: {line}")
    print(f"data log rewritten: {readme}; the data validates and its tables are rebuilt")
    return 0
