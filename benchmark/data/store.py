"""Build every tidy table once from ``<data>/raw``, validate, cache, and reuse until a raw file changes.

The cache lives in ``<data>/processed/`` (git-ignored, disposable): one Parquet file per table and a
``manifest.json`` recording, for each raw file, its size, modification time and sha256, and the
catalogue (which publication and year each file holds).  A warm load compares sizes and
modification times only (no hashing), so it costs a few file reads; any change to a raw file, a
file added or removed, or a change to the code that reads and checks the data (a digest of
``benchmark/data/*.py``) rebuilds.  Only data that passed validation is ever cached.

A rebuild writes a new folder beside the cache and swaps it in with two renames, holding a lock
file so that two commands rebuilding at once do not race (the second waits, then uses the
first's result); whatever the old cache held (tables, the report cache folder) is removed, and a
failed rebuild leaves the previous cache in place.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from benchmark import __version__
from benchmark.data import ascfr, ascfr_datafile, ascof, catalogue, census, deprivation, earnings, neighbours, population
from benchmark.data.catalogue import Catalogue, CatalogueFile
from benchmark.data.councils import CouncilRegistry, build_council_table
from benchmark.data.readers import display_path
from benchmark.data.sources import SOURCES, SOURCES_BY_ID, sha256_of
from benchmark.errors import DataError, Problem, UserError
from benchmark.files import is_temporary, replace_folder
from benchmark.paths import DEFAULT_DATA_DIR

log = logging.getLogger(__name__)

#: Bump when the cache's own layout changes (the code digest covers changes to the readers).
CACHE_FORMAT = 2
LOCK_FILE = ".processed.lock"


def code_digest() -> str:
    """Digest of the code that reads, tidies and checks the data (``benchmark/data/*.py``): a
    reader fix or an upgrade of the toolkit rebuilds the cache instead of serving old tables."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class Tables:
    """Every tidy table, the council registry, and where they came from."""

    data_dir: Path
    frames: Mapping[str, pd.DataFrame]  # a dict when built; _CachedFrames when loaded from the cache
    registry: CouncilRegistry
    provenance: dict = field(default_factory=dict)
    catalogue: Catalogue = field(default_factory=lambda: Catalogue([]))

    derived: dict = field(default_factory=dict, repr=False)

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(name)

    def memo(self, key, compute: Callable[[], object]):
        """A result derived from these tables, computed once (e.g. the national metric values)."""
        if key not in self.derived:
            self.derived[key] = compute()
        return self.derived[key]


class _CachedFrames(Mapping):
    """The cached tidy tables, each read from its Parquet file when first used.

    A command that needs the council registry and two tables reads those three files, not all of
    them (reading every table costs about 0.3 s, more than most commands need in all).
    """

    def __init__(self, cache: Path, names: list[str]):
        self._cache, self._names, self._loaded = cache, list(names), {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._loaded:
            if name not in self._names:
                raise KeyError(name)
            path = self._cache / f"{name}.parquet"
            try:
                self._loaded[name] = pd.read_parquet(path)
            except FileNotFoundError:  # another process rebuilt the cache since this one read its manifest
                raise DataError(Problem(display_path(path), "the processed data cache changed while in use; run the command again")) from None
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self._names  # without reading the table (Mapping's own test would read it)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _builders(raw: Path, files: list[CatalogueFile]) -> dict[str, Callable[[dict[str, pd.DataFrame], CouncilRegistry], pd.DataFrame]]:
    """Table name -> function building it.  Order matters only where a table uses an earlier one."""
    return {
        **{table: (lambda t, r, table=table: catalogue.read_table(raw, files, table))
           for table in catalogue.format_tables() if table != "ascfr_datafile"},
        # the ASC-FR data file read once with its England and region rows (for the sums check and
        # comparisons), its councils then kept apart as a tidy table
        "ascfr_datafile_areas": lambda t, r: catalogue.read_table(raw, files, "ascfr_datafile", reader=ascfr_datafile.read_ascfr_datafile_areas),
        "ascfr_datafile": lambda t, r: ascfr_datafile.councils_from_areas(t["ascfr_datafile_areas"]),
        "ascfr_expenditure": lambda t, r: ascfr.load_expenditure(raw),
        "ascfr_expenditure_aggregates": lambda t, r: ascfr.load_expenditure_aggregates(raw),
        "ascfr_activity": lambda t, r: ascfr.load_activity(raw, r),
        "ascfr_additional": lambda t, r: ascfr.load_additional(raw, r),
        "population_by_age": lambda t, r: population.load_population_by_age(raw),
        "population_bands": lambda t, r: population.load_population_bands(t["population_by_age"]),
        "population_england": lambda t, r: population.england_totals(raw),
        "area_and_density": lambda t, r: population.load_area_and_density(raw),
        "deprivation": lambda t, r: deprivation.load_deprivation(raw),
        "earnings": lambda t, r: earnings.load_earnings(raw),
        "census": lambda t, r: census.load_census(raw),
        "ascof": lambda t, r: ascof.load_ascof(raw),
        "ascof_measure_direction": lambda t, r: ascof.load_measure_direction(raw).reset_index(),
        "nearest_neighbours": lambda t, r: neighbours.load_nearest_neighbours(raw),
    }


def resolve_data_dir(data_dir: Path | str | None) -> Path:
    """The data folder (holding ``raw/``); a user error if it does not have that layout."""
    path = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    if not (path / "raw").is_dir():
        raise UserError(f"{display_path(path)}: not a data folder (expected a 'raw' folder inside it, laid out as data/raw in the toolkit)")
    return path


def _fingerprint(raw: Path) -> dict[str, list[int]]:
    """Size and modification time of every file under raw/: cheap to compute, changes with any
    edit, and with a file added or removed."""
    prints = {}
    for folder, subfolders, files in os.walk(raw, followlinks=True):  # a user's data folder may link to shared folders
        subfolders[:] = [s for s in subfolders if not s.startswith(".")]
        for name in files:
            if not name.startswith(".") and not is_temporary(name):
                path = Path(folder) / name
                stat = path.stat()
                prints[path.relative_to(raw).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return dict(sorted(prints.items()))


def build_tables(data_dir: Path) -> Tables:
    """Load every source, collecting every problem; raise them all together if there are any."""
    from benchmark.data.validate import check_tables  # pandera is imported only when building

    raw = data_dir / "raw"
    started = time.perf_counter()
    try:
        registry_table = build_council_table(raw)
    except DataError as error:
        raise DataError(error.problems) from None  # nothing else can be checked without councils
    registry = CouncilRegistry(registry_table)
    files, problems = catalogue.scan(raw)
    record = catalogue.read_record(data_dir)
    SOURCES_BY_ID.register(files, record)
    frames: dict[str, pd.DataFrame] = {"councils": registry_table}
    for name, build in _builders(raw, files).items():
        try:
            frames[name] = build(frames, registry)
        except DataError as error:
            problems.extend(error.problems)
        except KeyError as error:  # a table needed by this one failed to build: already reported
            log.debug("skipped %s: needs %s", name, error)
    if not problems:
        problems.extend(check_tables(frames, registry, raw))
    if problems:
        raise DataError(problems)
    log.info("built %d tables from %s in %.1f s", len(frames), display_path(raw), time.perf_counter() - started)
    found = Catalogue(files, catalogue.counts_by_source(frames, files))
    return Tables(data_dir, frames, registry, _provenance(raw, from_cache=False, files=files), found)


def _shipped_checksums() -> dict[str, str]:
    """sha256 of every file as the toolkit ships it: the hand-described sources and the record of
    the shipped data folder (data/catalogue.json)."""
    shipped = {s.path: s.sha256 for s in SOURCES}
    recorded = catalogue.read_record(DEFAULT_DATA_DIR)["files"]
    return shipped | {path: entry["sha256"] for path, entry in recorded.items()}


def _provenance(raw: Path, *, from_cache: bool, manifest: dict | None = None, files: list[CatalogueFile] = ()) -> dict:
    if manifest is None:
        paths = {s.path for s in SOURCES} | {f.path for f in files}
        checksums = {p: sha256_of(raw / p) for p in sorted(paths) if (raw / p).is_file()}
    else:
        checksums = manifest["sha256"]
    shipped = _shipped_checksums()
    return {
        "data_dir": str(raw.parent.resolve()),
        "toolkit_version": __version__,
        "from_cache": from_cache,
        "sha256": checksums,
        "differs_from_shipped": {p: "changed" for p, h in checksums.items() if p in shipped and shipped[p] != h}
        | {p: "added" for p in checksums if p not in shipped}
        | {p: "missing" for p in shipped if p not in checksums},
    }


def load_tables(data_dir: Path | str | None = None, *, rebuild: bool = False) -> Tables:
    """Every tidy table: from the cache when it matches ``raw/``, otherwise built and cached."""
    data_dir = resolve_data_dir(data_dir)
    raw, cache = data_dir / "raw", data_dir / "processed"
    fingerprint = _fingerprint(raw)
    version = [CACHE_FORMAT, __version__, code_digest()]
    if not rebuild:
        cached = _cached_tables(data_dir, fingerprint, version)
        if cached is not None:
            return cached
    with _rebuild_lock(data_dir):
        if not rebuild:  # another command may have rebuilt the cache while this one waited
            cached = _cached_tables(data_dir, fingerprint, version)
            if cached is not None:
                return cached
        tables = build_tables(data_dir)
        _write_cache(tables, cache, fingerprint, version)
    return tables


def _cached_tables(data_dir: Path, fingerprint: dict, version: list) -> Tables | None:
    raw, cache = data_dir / "raw", data_dir / "processed"
    try:
        manifest = json.loads((cache / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if manifest.get("fingerprint") != fingerprint or manifest.get("format") != version:
        return None
    found = Catalogue.from_json(manifest["catalogue"])
    SOURCES_BY_ID.register(found.files, catalogue.read_record(data_dir))
    frames = _CachedFrames(cache, manifest["tables"])
    return Tables(data_dir, frames, CouncilRegistry(frames["councils"]), _provenance(raw, from_cache=True, manifest=manifest), found)


class _rebuild_lock:
    """An exclusive lock beside the cache while it is rebuilt (none when the folder is read-only)."""

    def __init__(self, data_dir: Path):
        self.path, self.handle = data_dir / LOCK_FILE, None

    def __enter__(self):
        try:
            self.handle = open(self.path, "a")
        except OSError:
            return self
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another command is rebuilding the data cache in %s; waiting for it", display_path(self.path.parent))
            fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()


def _write_cache(tables: Tables, cache: Path, fingerprint: dict, version: list) -> None:
    """Write into a staging folder, then swap it in whole (:func:`benchmark.files.replace_folder`),
    so a reader never sees half a cache, whatever the old one held (the report cache is a folder
    inside it); if anything fails, the staging folder goes and the old cache stays."""
    staging = cache.with_name(f".processed-new-{os.getpid()}")  # the rebuild lock makes the name this process's own
    try:
        shutil.rmtree(staging, ignore_errors=True)  # left by a killed process of the same id
        staging.mkdir(parents=True)
    except OSError as error:  # a read-only data folder still works, just without a cache
        log.warning("cannot cache tables in %s (%s); they will be rebuilt next time", display_path(cache), error)
        return
    try:
        for name, frame in tables.frames.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
        manifest = {
            "format": version,
            "fingerprint": fingerprint,
            "sha256": tables.provenance["sha256"],
            "tables": list(tables.frames),
            "catalogue": tables.catalogue.to_json(),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))
        replace_folder(staging, cache)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when the swap succeeded
