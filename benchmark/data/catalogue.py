"""The data catalogue: which publications, years and editions are present, from which files.

Every file under ``data/raw`` is offered to each publication's ``detect`` (see
:mod:`benchmark.data.publications`); the one that recognises it says which year and edition the
file holds.  Nothing here, nor anywhere in the package, names a data year: a newer release dropped
into ``data/raw`` (or added with ``python -m benchmark data add FILE``) becomes the newest year of
its source, and every default that follows the data (metric years, the budget's base year, the
latest population year) follows it.

Files that no publication recognises are the one-off historical files described by hand in
:mod:`benchmark.data.sources` (researchers' conversions of older ASC-FR years, lookups ...).

``data/catalogue.json`` records where each file came from (the copy's origin, when it was added) and
its sha256 as shipped or added; the data log in ``data/README.md`` is generated from it.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmark.data.publications import Found, Publication
from benchmark.data.readers import display_path
from benchmark.data.tidy import COUNCIL_CODE_PATTERN
from benchmark.errors import DataError, Problem
from benchmark.files import is_temporary, write_atomic, write_text_atomic

RECORD_FILE = "catalogue.json"

#: Folders and files under raw/ that are never data: documentation, scripts, and format samples
#: (a few rows kept to build and test a reader, never to be analysed or shown).
SKIPPED_SUFFIXES = (".md", ".py", ".txt")
SKIPPED_FOLDER_PREFIXES = ("format-sample",)


def publications() -> tuple[Publication, ...]:
    """Every publication the toolkit reads by format, in the order detection tries them."""
    from benchmark.data import ascfr_datafile, mhclg, ons_mye

    return (*mhclg.PUBLICATIONS, *ascfr_datafile.PUBLICATIONS, *ons_mye.PUBLICATIONS)


def publication(publication_id: str) -> Publication:
    for candidate in publications():
        if candidate.id == publication_id:
            return candidate
    raise KeyError(publication_id)


@dataclass(frozen=True)
class CatalogueFile:
    """One file a publication recognised."""

    path: str  # relative to raw/, with forward slashes
    publication: str
    year: str
    edition: str
    title: str
    source_id: str

    @property
    def found(self) -> Found:
        return Found(self.publication, self.year, self.edition, self.title)


def _candidates(raw: Path) -> Iterable[Path]:
    for folder, subfolders, files in os.walk(raw, followlinks=True):  # a user's data folder may link to shared folders
        subfolders[:] = sorted(s for s in subfolders if not s.startswith(".") and not s.startswith(SKIPPED_FOLDER_PREFIXES))
        for name in sorted(files):
            if not name.startswith(".") and not name.endswith(SKIPPED_SUFFIXES) and not is_temporary(name):
                yield Path(folder) / name


def detect(path: Path) -> tuple[Publication, Found] | None:
    """The publication and year a file holds, or None when no publication recognises it.

    Raises :class:`DataError` when a publication recognises the file but cannot read it.
    """
    for candidate in publications():
        found = candidate.detect(path)
        if found is not None:
            return candidate, found
    return None


def scan(raw: Path) -> tuple[list[CatalogueFile], list[Problem]]:
    """Every recognised file under ``raw``, and the problems met (unreadable files, a year twice).

    Two files holding the same publication and year are a problem unless one is ONS's own workbook
    and the other a copy used to cross-check it (the population reader handles those itself).
    """
    raw = Path(raw)
    files: list[CatalogueFile] = []
    problems: list[Problem] = []
    for path in _candidates(raw):
        try:
            hit = detect(path)
        except DataError as error:
            problems.extend(error.problems)
            continue
        if hit is None:
            continue
        pub, found = hit
        files.append(CatalogueFile(path.relative_to(raw).as_posix(), pub.id, found.year, found.edition, found.title, found.source_id))
    seen: dict[str, CatalogueFile] = {}
    for entry in files:
        other = seen.setdefault(entry.source_id, entry)
        if other is not entry and publication(entry.publication).table != "population_by_age":
            problems.append(Problem(display_path(raw / entry.path), f"holds {publication(entry.publication).name} {entry.year}, "
                                                                   f"as does {display_path(raw / other.path)}: keep one of the two"))
    return files, problems


class Catalogue:
    """The recognised files, by publication and year, with what each table built from them holds."""

    def __init__(self, files: Sequence[CatalogueFile], counts: dict[str, dict] | None = None):
        self.files = list(files)
        self.counts = counts or {}  # source id -> {"rows": n, "councils": n}

    def years(self, publication_id: str) -> list[str]:
        """The years present, oldest first."""
        return sorted({f.year for f in self.files if f.publication == publication_id})

    def latest(self, publication_id: str) -> str | None:
        years = self.years(publication_id)
        return years[-1] if years else None

    def file_for(self, source_id: str) -> CatalogueFile | None:
        return next((f for f in self.files if f.source_id == source_id), None)

    def to_json(self) -> dict:
        return {"files": [asdict(f) for f in self.files], "counts": self.counts}

    @classmethod
    def from_json(cls, data: dict) -> Catalogue:
        return cls([CatalogueFile(**f) for f in data["files"]], data.get("counts", {}))


# --------------------------------------------------------------------------------------- record

def read_record(data_dir: Path) -> dict:
    """``data/catalogue.json``: for each file, where the copy came from and its sha256 when added."""
    path = Path(data_dir) / RECORD_FILE
    if not path.is_file():
        return {"files": {}}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise DataError(Problem(display_path(path), f"not a readable catalogue record ({error})")) from None
    if not isinstance(record.get("files"), dict):
        raise DataError(Problem(display_path(path), "expected an object with a 'files' object, one entry per file under raw/"))
    return record


def write_record(data_dir: Path, record: dict) -> None:
    write_text_atomic(Path(data_dir) / RECORD_FILE, json.dumps(record, indent=1, sort_keys=True) + "\n")


# --------------------------------------------------------------------------------------- add

@dataclass(frozen=True)
class Placed:
    """A file ``data add`` will copy: where it goes and what it holds."""

    source: Path
    target: Path
    publication: Publication
    found: Found
    replaces: Path | None
    rows: int
    councils: int
    not_read: tuple[str, ...] = ()  # rows the reader left out, one line per kind (e.g. an unknown ASC-FR measure)


def plan_add(files: Sequence[Path], data_dir: Path, *, replace: bool = False) -> list[Placed]:
    """Check every file before anything is copied: detected, readable, and not a year already present.

    Raises :class:`DataError` (one line per file at fault) and copies nothing when any file fails.
    """
    from benchmark.data.sources import sha256_of

    raw = Path(data_dir) / "raw"
    present, _ = scan(raw)
    by_source = {f.source_id: raw / f.path for f in present}
    by_content = {sha256_of(raw / f.path): raw / f.path for f in present}
    names = ", ".join(p.name for p in publications())
    problems: list[Problem] = []
    placed: list[Placed] = []
    for file in map(Path, files):
        place, refused = _place(file, raw, by_source, by_content, names, replace)
        problems.extend(refused)
        if place is not None:
            placed.append(place)
    years = [(p.publication.id, p.found.year) for p in placed]
    for (pub_id, year), p in zip(years, placed, strict=True):
        if years.count((pub_id, year)) > 1:
            problems.append(Problem(display_path(p.source), f"{p.publication.name} {year} is given twice in this command"))
    if problems:
        raise DataError(problems)
    return placed


def _place(file: Path, raw: Path, by_source: dict[str, Path], by_content: dict[str, Path], names: str,
           replace: bool) -> tuple[Placed | None, list[Problem]]:
    """Where one file would be copied, or (None and) why it cannot be: not a file, already in the
    data, not a publication the toolkit reads, unreadable, or a year present (without ``replace``)."""
    from benchmark.data.sources import sha256_of

    shown = display_path(file)
    if file.is_dir():
        return None, [Problem(shown, "is a folder; give the published file(s) in it")]
    if not file.is_file():
        return None, [Problem(shown, "file not found")]
    same = by_content.get(sha256_of(file))
    if same is not None:
        return None, [Problem(shown, f"identical to {display_path(same)}, already in the data (same sha256); nothing was copied")]
    try:
        hit = detect(file)
        if hit is None:
            return None, [Problem(shown, f"not a publication the toolkit reads by format ({names}); nothing was copied")]
        pub, found = hit
        table = pub.read(file, found)
    except DataError as error:
        return None, list(error.problems)
    target = raw / pub.folder / file.name
    existing = by_source.get(found.source_id)
    if existing is not None and not replace:
        return None, [Problem(shown, f"{pub.name} {found.year} is already present ({display_path(existing)}); "
                                     "add --replace to replace it")]
    if existing is None and target.exists():
        return None, [Problem(shown, f"{display_path(target)} exists and holds something else; rename the file")]
    councils = table.loc[table["council"].astype(str).str.match(COUNCIL_CODE_PATTERN.pattern), "council"].nunique()
    return Placed(file, target, pub, found, existing, len(table), int(councils), tuple(table.attrs.get("not_read", ()))), []


class Addition:
    """Files copied into ``raw/`` by :func:`add_files`, undone by :meth:`undo` until :meth:`keep`.

    A replaced file is set aside under a temporary name rather than removed, so that if the data
    folder no longer validates with the new file, everything is put back as it was.
    """

    def __init__(self, data_dir: Path, record: dict):
        self.data_dir, self.record_before = Path(data_dir), json.loads(json.dumps(record))
        self.added: list[Path] = []
        self.set_aside: list[tuple[Path, Path]] = []  # (temporary name, original path)

    def undo(self) -> None:
        for path in self.added:
            path.unlink(missing_ok=True)
        for temporary, original in self.set_aside:
            os.replace(temporary, original)  # os.replace keeps the original's own permissions
        write_record(self.data_dir, self.record_before)

    def keep(self) -> None:
        for temporary, _ in self.set_aside:
            temporary.unlink(missing_ok=True)


def add_files(placed: Sequence[Placed], data_dir: Path, *, copied_from: str | None = None) -> Addition:
    """Copy the checked files unchanged into ``raw/<folder>/`` (each through a temporary name, then
    renamed) and record them in ``catalogue.json``; a replaced year's old file is set aside.  The
    caller validates the data folder, then calls ``keep()`` or ``undo()`` on the result."""
    from benchmark.data.sources import sha256_of

    record = read_record(data_dir)
    addition = Addition(data_dir, record)
    raw = Path(data_dir) / "raw"
    today = dt.date.today().isoformat()
    try:
        for item in placed:
            item.target.parent.mkdir(parents=True, exist_ok=True)
            if item.replaces is not None:
                aside = item.replaces.with_name(f".{item.replaces.name}.replaced-{os.getpid()}")  # hidden: never scanned
                os.replace(item.replaces, aside)
                addition.set_aside.append((aside, item.replaces))
                record["files"].pop(item.replaces.relative_to(raw).as_posix(), None)
            write_atomic(item.target, lambda temporary, source=item.source: shutil.copyfile(source, temporary))
            addition.added.append(item.target)
            record["files"][item.target.relative_to(raw).as_posix()] = {
                "sha256": sha256_of(item.target),
                "copied_from": copied_from or f"added with `python -m benchmark data add` on {today} from a file named {item.source.name}",
                "added": today,
            }
        write_record(data_dir, record)
    except BaseException:
        addition.undo()
        raise
    return addition


# --------------------------------------------------------------------------------------- tables

def format_tables() -> list[str]:
    """Tidy tables built from the files of publications read by format.  ONS population estimates
    are read by :mod:`benchmark.data.population`, which also cross-checks copies of one year."""
    return list(dict.fromkeys(p.table for p in publications() if p.table != "population_by_age"))


def read_table(raw: Path, files: Sequence[CatalogueFile], table: str, reader=None):
    """One tidy table from every file of the publications that make it, oldest year first
    (``reader`` instead of each publication's own ``read``, for another view of the same files)."""
    import pandas as pd

    problems: list[Problem] = []
    frames = []
    for entry in sorted(files, key=lambda f: (f.publication, f.year)):
        pub = publication(entry.publication)
        if pub.table != table:
            continue
        try:
            frames.append((reader or pub.read)(Path(raw) / entry.path, entry.found))
        except DataError as error:
            problems.extend(error.problems)
    if problems:
        raise DataError(problems)
    if not frames:
        return pd.DataFrame(columns=["council", "year", "measure", "value", "unit", "source"]).astype({"value": "float64"})
    return pd.concat(frames, ignore_index=True)


def counts_by_source(frames, files: Sequence[CatalogueFile]) -> dict[str, dict]:
    """Rows and councils (upper-tier codes) each catalogued source contributes to its publication's table."""
    counts: dict[str, dict] = {}
    for entry in files:
        frame = frames.get(publication(entry.publication).table)
        if frame is None or entry.source_id in counts:
            continue
        rows = frame[frame["source"].astype(str) == entry.source_id]
        councils = rows.loc[rows["council"].astype(str).str.match(COUNCIL_CODE_PATTERN.pattern), "council"].nunique()
        counts[entry.source_id] = {"rows": int(len(rows)), "councils": int(councils)}
    return counts
