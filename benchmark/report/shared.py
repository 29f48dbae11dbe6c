"""Results that every council of a run shares, computed once before any kernel starts.

The runner calls :func:`prepare_shared` with the checked parameter sets of the run; it groups them
by what the shared results depend on and writes one pickle per group, plus ``index.json``, into
``out_dir`` (written to a temporary folder next to it, then renamed, so a kernel never sees half a
folder).  Each council's notebook gets ``shared_dir`` as a parameter and :func:`load_shared` reads
its group back in a fraction of a second.

A group (one :class:`Shared`) holds, for one data folder, local folder and set of local-metric
assumptions (``high_cost_threshold_gbp``, ``review_months``):

* the tidy tables (with their derived results memoised on them: the national metric values, both
  expected-spend models, the base budget's line inputs and income shares);
* the local metric panel and the full metric panel (national + local);
* comparator pairs and statistics for every distinct comparator setting in use
  (``comparator_method``, ``comparator_k``, ``custom_comparators``, ``year``), restricted to the
  councils of the run that use that setting: one group per council, resolved once for its
  geography year and used for every metric and year.

When ``shared_dir`` is None (the notebook run by hand), :func:`compute_shared` computes the same
thing for one council directly: slower, same results.

**Kept between runs.**  The part that does not depend on the run's councils (both metric panels and
the derived results: about 5 s to compute) is also kept in ``<data>/processed/report-cache/``,
named by a digest of everything it depends on (:func:`base_digest`): the toolkit's own source and
configuration files, the raw data's fingerprint, every file of the local folder (path, size,
modification time) and the local-metric settings.  A later run with the same inputs reads it back
in a fraction of a second; any change to code, data or local files gives a new digest.  The
folder is disposable (it goes when the processed cache is rebuilt) and holds the newest
:data:`CACHE_KEEP` entries.

**In a kernel kept for several councils**, :func:`load_shared` keeps the last results it read and
returns them again while the file is unchanged.
"""
from __future__ import annotations

import json
import logging
import pickle
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from benchmark.errors import UserError
from benchmark.files import replace_folder, write_bytes_atomic

log = logging.getLogger(__name__)

FORMAT = 2  # 2: tidy tables reloaded from the processed cache, not pickled
INDEX = "index.json"
CACHE_FOLDER = "report-cache"
CACHE_KEEP = 8
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------------------------
# keys: what a shared result depends on
# ----------------------------------------------------------------------------------------------

def data_key(params: dict) -> tuple[str, str, float, int, str]:
    """(data folder, local folder, high-cost threshold, review months, plausibility rules waived
    joined by '+'), folders resolved to absolute paths.  The waived rules change which local files
    are accepted, so parameter sets that waive different rules get different local panels."""
    from benchmark.data.store import resolve_data_dir
    from benchmark.local.plausibility import check_overrides

    data_dir = resolve_data_dir(params.get("data_dir")).resolve()
    local_root = Path(params["local_dir"]).resolve() if params.get("local_dir") else data_dir / "local"
    waived = check_overrides(params.get("plausibility_overrides") or (), "parameter 'plausibility_overrides'")
    return (str(data_dir), str(local_root), float(params.get("high_cost_threshold_gbp", 1000.0)), int(params.get("review_months", 12)),
            "+".join(waived))


def group_key(params: dict) -> tuple[str, int | None, tuple[str, ...], str | None]:
    """(comparator method, k or None, custom list or (), metric year or None): one set of comparator
    statistics.  The metric year sets the groups' geography year (NN.json's sets have one geography,
    so it is None for them); see :func:`benchmark.metrics.stats.group_year`."""
    method = params.get("comparator_method", "nn")
    k = int(params.get("comparator_k") or 15) if method == "statistical" else None
    custom = tuple(str(c) for c in params.get("custom_comparators") or ()) if method == "custom" else ()
    year = params.get("year") if method != "nn" else None
    return (method, k, custom, year)


# ----------------------------------------------------------------------------------------------
# the shared results
# ----------------------------------------------------------------------------------------------

@dataclass
class Shared:
    """Tables, panels and comparator statistics for one data folder and local-metric settings."""

    tables: object  # benchmark.data.store.Tables, with derived results memoised
    local_root: Path
    local_params: object  # benchmark.local.panel.LocalParams
    local_panel: pd.DataFrame
    panel: pd.DataFrame
    pairs: dict[tuple, pd.DataFrame] = field(default_factory=dict)
    stats: dict[tuple, pd.DataFrame] = field(default_factory=dict)
    councils: dict[tuple, list[str]] = field(default_factory=dict)  # group key -> councils covered ([] = all)
    key: tuple = ()
    seconds: float = 0.0

    def comparator_stats(self, params: dict, council: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(pairs, statistics) of ``council`` under the comparator setting of ``params``."""
        key = group_key(params)
        covered = self.councils.get(key)
        if key not in self.stats or (covered and council not in covered):
            self._add_group(key, [council])
        pairs, stats = self.pairs[key], self.stats[key]
        return pairs[pairs["council"] == council], stats[stats["council"] == council]

    def _add_group(self, key: tuple, councils: list[str]) -> None:
        from benchmark.metrics.stats import comparator_stats, report_pairs

        method, k, custom, year = key
        # one group per council, the same councils for every metric and year (the report's members)
        pairs = report_pairs(self.tables, councils, method, k, list(custom) or None, year)
        involved = set(councils) | set(pairs["neighbour"])
        panel = self.panel[self.panel["council"].isin(involved)]
        stats = comparator_stats(panel, pairs)
        stats = stats[stats["council"].isin(councils)].reset_index(drop=True)
        if key in self.stats:  # another council under a setting already held
            pairs = pd.concat([self.pairs[key], pairs], ignore_index=True)
            stats = pd.concat([self.stats[key], stats], ignore_index=True)
            councils = list(self.councils[key]) + councils
        self.pairs[key], self.stats[key], self.councils[key] = pairs, stats, list(councils)


def local_params_for(key: tuple):
    from benchmark.local.panel import LocalParams

    return LocalParams(high_cost_threshold_gbp=key[2], review_months=key[3],
                       plausibility_overrides=tuple(key[4].split("+")) if len(key) > 4 and key[4] else ())


def _derive(tables) -> None:
    """Fill the tables' memo with every derived result a report uses (computed once per tables)."""
    from benchmark.budget import base_budget
    from benchmark.budget.model import fit_expected_spend
    from benchmark.metrics.compute import national_values

    national_values(tables)
    for age in ("65plus", "18to64"):
        try:
            fit_expected_spend(tables, age)
        except UserError as error:  # a data folder without the model's year: reports say so
            log.warning("expected-spend model %s not fitted: %s", age, error)
    try:
        base_budget.line_inputs(tables)
        base_budget.population_bases(tables)
        base_budget.default_population_paths(tables)
    except UserError as error:  # a data folder without revenue outturn: reports say there is no budget
        log.warning("base budget inputs not built: %s", error)


def base_digest(tables, key: tuple) -> str:
    """A digest of everything the run-independent shared results depend on (module docstring)."""
    import hashlib

    digest = hashlib.sha256(json.dumps([FORMAT, list(key), tables.provenance["sha256"]], sort_keys=True).encode())
    for path in sorted([*PACKAGE_ROOT.rglob("*.py"), *PACKAGE_ROOT.rglob("*.toml")]):
        digest.update(str(path.relative_to(PACKAGE_ROOT)).encode())
        digest.update(path.read_bytes())
    local_root = Path(key[1])
    if local_root.is_dir():
        for path in sorted(p for p in local_root.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(local_root)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def cache_path(key: tuple, digest: str) -> Path:
    return Path(key[0]) / "processed" / CACHE_FOLDER / f"{digest}.pkl"


def _read_cached_base(path: Path):
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        if path.exists():
            log.info("shared results cache %s not used: %s", path, error)
        return None


def _write_cached_base(path: Path, base: tuple) -> None:
    """Atomically, keeping the newest CACHE_KEEP entries; a read-only data folder just goes without."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, pickle.dumps(base, protocol=pickle.HIGHEST_PROTOCOL))
        entries = sorted(path.parent.glob("*.pkl"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[CACHE_KEEP:]:
            old.unlink(missing_ok=True)
    except OSError as error:
        log.info("shared results not kept for later runs (%s)", error)


def compute_shared(params: dict, councils: list[str] | None = None, tables=None, use_cache: bool = True) -> Shared:
    """The shared results for one data key (see :func:`data_key`), with comparator statistics for
    ``councils`` (ONS codes) under the comparator setting of ``params``.  The run-independent part
    comes from the cache between runs when its inputs are unchanged (``use_cache``)."""
    from benchmark.data.store import load_tables
    from benchmark.local.panel import local_metric_panel
    from benchmark.metrics.compute import metric_panel

    started = time.perf_counter()
    key = data_key(params)
    tables = tables or load_tables(key[0])
    local_params = local_params_for(key)
    local_root = Path(key[1])
    cache = cache_path(key, base_digest(tables, key)) if use_cache else None
    cached = _read_cached_base(cache) if cache else None
    if cached is not None:
        local_panel, panel, derived = cached
        tables.derived.update(derived)
    else:
        local_panel = local_metric_panel(tables, local_root, local_params)
        panel = metric_panel(tables, local_panel)
        _derive(tables)
        if cache:
            _write_cached_base(cache, (local_panel, panel, dict(tables.derived)))
    shared = Shared(tables, local_root, local_params, local_panel, panel, key=key)
    if councils:
        shared._add_group(group_key(params), list(councils))
    shared.seconds = time.perf_counter() - started
    return shared


def prepare_shared(parameter_sets: list[dict], out_dir: Path, tables_by_dir: dict | None = None) -> Path:
    """Compute what the councils of ``parameter_sets`` share and write it to ``out_dir``; return it.

    ``parameter_sets`` are full parameter dicts (``parameters.check_parameters``); ``council`` may
    be an ONS code, CASSR code or name.  The folder is written next to ``out_dir`` and renamed into
    place (an existing ``out_dir`` is replaced).  Pass the returned path as each council's
    ``shared_dir`` parameter.  ``tables_by_dir`` (data folder -> loaded tables) saves reloading
    tables the caller already holds.
    """
    from benchmark.data.store import load_tables
    from benchmark.report.parameters import resolved_comparator_method

    started = time.perf_counter()
    out_dir = Path(out_dir)
    by_data: dict[tuple, list[dict]] = {}
    for params in parameter_sets:
        by_data.setdefault(data_key(params), []).append(params)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        index = {"format": FORMAT, "groups": []}
        tables_by_dir = {str(Path(d).resolve()): t for d, t in (tables_by_dir or {}).items()}
        for number, (key, sets) in enumerate(by_data.items()):
            if key[0] not in tables_by_dir:
                tables_by_dir[key[0]] = load_tables(key[0])
            tables = tables_by_dir[key[0]]
            # null comparator_method: the council's default group, as ReportContent.build resolves it
            sets = [{**params, "comparator_method": resolved_comparator_method(tables, params)} for params in sets]
            shared = compute_shared(sets[0], tables=tables)
            by_group: dict[tuple, list[str]] = {}
            for params in sets:
                code = tables.registry.find(params["council"]).ons_code
                by_group.setdefault(group_key(params), [])
                if code not in by_group[group_key(params)]:
                    by_group[group_key(params)].append(code)
            for gkey, councils in by_group.items():
                shared._add_group(gkey, councils)
            shared.seconds = time.perf_counter() - started
            name = f"group-{number}.pkl"
            # The tidy tables themselves are not pickled: each kernel reloads them from the processed
            # cache (Parquet, a fraction of a second); only what was derived from them travels here.
            derived, shared.tables = tables.derived, None
            try:
                with open(staging / name, "wb") as handle:
                    pickle.dump((shared, derived), handle, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                shared.tables = tables
            index["groups"].append({"file": name, "key": list(key), "comparator_settings": [list(g) for g in by_group]})
        (staging / INDEX).write_text(json.dumps(index, indent=1))
        replace_folder(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("shared results for %d parameter set(s) in %d group(s) written to %s in %.1f s",
             len(parameter_sets), len(by_data), out_dir, time.perf_counter() - started)
    return out_dir


_last_loaded: dict[tuple, Shared] = {}


def load_shared(shared_dir: Path | str, params: dict | None = None) -> Shared:
    """The shared results written by :func:`prepare_shared`: the group matching ``params``
    (its data folder, local folder and local-metric settings), or the only group when ``params``
    is None.  The last one read is kept while its file is unchanged (a kernel kept for several
    councils reads it once)."""
    shared_dir = Path(shared_dir)
    try:
        index = json.loads((shared_dir / INDEX).read_text())
    except (OSError, ValueError) as error:
        raise UserError(f"{shared_dir}: not a folder of shared results ({error})") from None
    if index.get("format") != FORMAT:
        raise UserError(f"{shared_dir}: shared results of another format ({index.get('format')}); run the report again")
    groups = index["groups"]
    if params is None:
        if len(groups) != 1:
            raise UserError(f"{shared_dir}: {len(groups)} groups of shared results; say which parameters to match")
        entry = groups[0]
    else:
        key = list(data_key(params))
        matches = [g for g in groups if g["key"] == key]
        if not matches:
            raise UserError(f"{shared_dir}: no shared results for data folder {key[0]}, local folder {key[1]}, "
                            f"high_cost_threshold_gbp {key[2]:g}, review_months {key[3]}")
        entry = matches[0]
    from benchmark.data.store import load_tables

    path = (shared_dir / entry["file"]).resolve()
    stat = path.stat()
    identity = (str(path), stat.st_size, stat.st_mtime_ns)
    if identity in _last_loaded:
        return _last_loaded[identity]
    with open(path, "rb") as handle:
        shared, derived = pickle.load(handle)
    shared.tables = load_tables(entry["key"][0])
    shared.tables.derived.update(derived)
    _last_loaded.clear()
    _last_loaded[identity] = shared
    return shared
