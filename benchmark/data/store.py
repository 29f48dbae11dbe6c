"""Build every tidy table once from ``<data>/raw``, validate, cache, and reuse until a raw file changes.

The cache lives in ``<data>/processed/`` (git-ignored, disposable): one Parquet file per table and a
``manifest.json`` recording, for each raw file, its size, modification time and sha256.  A warm load
compares sizes and modification times only (no hashing), so it costs a few file reads; any change,
or a new toolkit version, rebuilds.  Only data that passed validation is ever cached.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from benchmark import __version__
from benchmark.data import ascfr, ascof, deprivation, earnings, neighbours, population
from benchmark.data.councils import CouncilRegistry, build_council_table
from benchmark.data.readers import display_path
from benchmark.data.sources import SOURCES, sha256_of
from benchmark.errors import DataError, Problem, UserError

log = logging.getLogger(__name__)

#: Bump when a loader's output changes shape, so that old caches are rebuilt.
CACHE_FORMAT = 1
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@dataclass
class Tables:
    """Every tidy table, the council registry, and where they came from."""

    data_dir: Path
    frames: Mapping[str, pd.DataFrame]  # a dict when built; _CachedFrames when loaded from the cache
    registry: CouncilRegistry
    provenance: dict = field(default_factory=dict)

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


def _builders(raw: Path) -> dict[str, Callable[[dict[str, pd.DataFrame], CouncilRegistry], pd.DataFrame]]:
    """Table name -> function building it.  Order matters only where a table uses an earlier one."""
    return {
        "ascfr_expenditure": lambda t, r: ascfr.load_expenditure(raw),
        "ascfr_expenditure_aggregates": lambda t, r: ascfr.load_expenditure_aggregates_2016_17(raw),
        "ascfr_activity": lambda t, r: ascfr.load_activity(raw, r),
        "ascfr_additional": lambda t, r: ascfr.load_additional(raw, r),
        "population_by_age": lambda t, r: population.load_population_by_age(raw),
        "population_bands": lambda t, r: population.load_population_bands(t["population_by_age"]),
        "population_england": lambda t, r: population.england_totals(raw),
        "area_and_density": lambda t, r: population.load_area_and_density(raw),
        "deprivation": lambda t, r: deprivation.load_deprivation(raw),
        "earnings": lambda t, r: earnings.load_earnings(raw),
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
    """Size and modification time of every source file: cheap to compute, changes with any edit."""
    prints = {}
    for source in SOURCES:
        path = raw / source.path
        if path.is_file():
            stat = path.stat()
            prints[source.path] = [stat.st_size, stat.st_mtime_ns]
    return prints


def build_tables(data_dir: Path) -> Tables:
    """Load every source, collecting every problem; raise them all together if there are any."""
    from benchmark.data.validate import check_tables  # pandera is imported only when building

    raw = data_dir / "raw"
    started = time.perf_counter()
    problems: list[Problem] = []
    try:
        registry_table = build_council_table(raw)
    except DataError as error:
        raise DataError(error.problems) from None  # nothing else can be checked without councils
    registry = CouncilRegistry(registry_table)
    frames: dict[str, pd.DataFrame] = {"councils": registry_table}
    for name, build in _builders(raw).items():
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
    return Tables(data_dir, frames, registry, _provenance(raw, from_cache=False))


def _provenance(raw: Path, *, from_cache: bool, manifest: dict | None = None) -> dict:
    if manifest is None:
        checksums = {s.path: sha256_of(raw / s.path) for s in SOURCES if (raw / s.path).is_file()}
    else:
        checksums = manifest["sha256"]
    shipped = {s.path: s.sha256 for s in SOURCES}
    return {
        "data_dir": str(raw.parent.resolve()),
        "toolkit_version": __version__,
        "from_cache": from_cache,
        "sha256": checksums,
        "differs_from_shipped": {p: "changed" for p, h in checksums.items() if shipped.get(p) != h}
        | {p: "missing" for p in shipped if p not in checksums},
    }


def load_tables(data_dir: Path | str | None = None, *, rebuild: bool = False) -> Tables:
    """Every tidy table: from the cache when it matches ``raw/``, otherwise built and cached."""
    data_dir = resolve_data_dir(data_dir)
    raw, cache = data_dir / "raw", data_dir / "processed"
    manifest_path = cache / "manifest.json"
    fingerprint = _fingerprint(raw)
    if not rebuild and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("fingerprint") == fingerprint and manifest.get("format") == [CACHE_FORMAT, __version__]:
            frames = _CachedFrames(cache, manifest["tables"])
            return Tables(data_dir, frames, CouncilRegistry(frames["councils"]), _provenance(raw, from_cache=True, manifest=manifest))
    tables = build_tables(data_dir)
    _write_cache(tables, cache, fingerprint)
    return tables


def _write_cache(tables: Tables, cache: Path, fingerprint: dict) -> None:
    """Write into a temporary folder, then swap it in, so a reader never sees half a cache."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".processed-", dir=cache.parent))
    except OSError as error:  # a read-only data folder still works, just without a cache
        log.warning("cannot cache tables in %s (%s); they will be rebuilt next time", display_path(cache), error)
        return
    for name, frame in tables.frames.items():
        frame.to_parquet(staging / f"{name}.parquet", index=False)
    manifest = {
        "format": [CACHE_FORMAT, __version__],
        "fingerprint": fingerprint,
        "sha256": tables.provenance["sha256"],
        "tables": list(tables.frames),
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))
    old = cache.with_name(f".processed-old-{os.getpid()}")
    if cache.exists():
        cache.rename(old)
    staging.rename(cache)
    if old.exists():
        for child in old.iterdir():
            child.unlink()
        old.rmdir()
