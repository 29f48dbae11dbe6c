"""Nearest-neighbour sets of councils.

Source: ``nearest_neighbours/NN.json``, nearest-neighbour sets used by a government data project
(source not stated).  These are NOT the CIPFA nearest neighbours, and the method and variables
behind them are unknown; treat them as one plausible comparator group, not an official one.

The file is a JSON object mapping an ONS code to a list of ONS codes: the set includes the council
itself and is unordered (no ranking of closeness).  It covers shire districts (E07), combined
authorities (E47) and the Greater London Authority (E61) as well as upper-tier councils; only
entries whose key is an English upper-tier council code (E06, E08, E09, E10) are kept.  Codes are
on April 2021 geography (North and West Northamptonshire, Buckinghamshire unitary, Bournemouth,
Christchurch and Poole; Northumberland E06000057, Gateshead E08000037): 152 councils, 15
neighbours each, except City of London (E09000001) and the Isles of Scilly (E06000053) whose sets
contain only themselves, so they have no neighbours here.

:func:`load_nearest_neighbours` returns one row per (council, neighbour) pair, council itself
removed, with columns council, neighbour, source (``nn_sets_government_project``).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from benchmark.data.readers import ProblemLog, display_path
from benchmark.data.tidy import COUNCIL_CODE_PATTERN
from benchmark.errors import DataError, Problem

NN_FILE = "nearest_neighbours/NN.json"
SOURCE_ID = "nn_sets_government_project"


def _line_of_key(text: str, key: str, occurrence: int = 0) -> int | None:
    """Line number (1-based) where ``"key":`` appears in the JSON text (``occurrence`` 0 = first)."""
    matches = list(re.finditer(r'"' + re.escape(key) + r'"\s*:', text))
    if not matches:
        return None
    match = matches[min(occurrence, len(matches) - 1)]
    return text.count("\n", 0, match.start()) + 1


def load_nearest_neighbours(raw_dir: Path | str, path: Path | str | None = None) -> pd.DataFrame:
    """(council, neighbour) pairs for every upper-tier council, council itself removed.

    ``path`` defaults to ``nearest_neighbours/NN.json`` under ``raw_dir``.  Raises
    :class:`~benchmark.errors.DataError` for a missing, empty or malformed file (naming the line),
    a value that is not a list of ONS codes, a set that omits its own council, a repeated code, or
    a non-upper-tier code in an upper-tier council's set.
    """
    path = Path(raw_dir) / NN_FILE if path is None else Path(path)
    file = display_path(path)
    text = _read_text(path, file)
    sets, repeated_keys = _parse_sets(text, file)

    log = ProblemLog()
    _log_repeated_keys(repeated_keys, text, path, log)
    councils: list[str] = []
    neighbours: list[str] = []
    for key, members in sets.items():
        code = str(key).strip()
        if not COUNCIL_CODE_PATTERN.match(code):
            continue  # districts, combined authorities, GLA: not councils with adult social care duties
        line = _line_of_key(text, key, -1)  # the occurrence JSON kept
        for neighbour in _neighbours_in_set(code, members, line, path, log):
            councils.append(code)
            neighbours.append(neighbour)
    if not councils and not log.problems:
        log.add(path, "no entries keyed by an English upper-tier council code (E06/E08/E09/E10)")
    log.raise_if_any()
    out = pd.DataFrame({"council": councils, "neighbour": neighbours, "source": SOURCE_ID}, dtype="string")
    return out.sort_values(["council", "neighbour"], ignore_index=True)


def _read_text(path: Path, file: str) -> str:
    """The file's text: it must exist, be UTF-8 and not be empty."""
    if not path.is_file():
        raise DataError(Problem(file, "file not found (see data/README.md for what belongs here)"))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(Problem(file, f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", row=raw[: exc.start].count(b"\n") + 1)) from None
    if not text.strip():
        raise DataError(Problem(file, "file is empty; expected a JSON object of ONS code -> list of ONS codes"))
    return text


def _parse_sets(text: str, file: str) -> tuple[dict, list[str]]:
    """The JSON object of sets, and every key that appears more than once (once per repeat, in file
    order): JSON itself keeps only the last, silently."""
    repeated_keys: list[str] = []

    def _pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
        seen: dict[str, object] = {}
        for k, v in pairs:
            if k in seen:
                repeated_keys.append(k)
            seen[k] = v
        return seen

    try:
        sets = json.loads(text, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise DataError(Problem(file, f"not valid JSON: {exc.msg} (line {exc.lineno}, character {exc.colno})", row=exc.lineno)) from None
    if not isinstance(sets, dict):
        raise DataError(Problem(file, f"expected a JSON object of ONS code -> list of ONS codes, found a {type(sets).__name__}", row=1))
    return sets, repeated_keys


def _log_repeated_keys(repeated_keys: list[str], text: str, path: Path, log: ProblemLog) -> None:
    for i, key in enumerate(repeated_keys):
        occurrence = repeated_keys[: i + 1].count(key)  # 1 = the first repeat, the second time the key appears
        log.add(path, f"'{key}' is a key more than once (JSON keeps only the last)", row=_line_of_key(text, key, occurrence))


def _neighbours_in_set(code: str, members: object, line: int | None, path: Path, log: ProblemLog) -> list[str]:
    """The neighbours of council ``code`` in its set as the file gives it (``members``), in the
    file's order, the council itself left out; every problem with the set logged (at ``line``)."""
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        log.add(path, f"'{code}': expected a list of ONS codes (text)", row=line)
        return []
    members = [m.strip() for m in members]
    if code not in members:
        log.add(path, f"'{code}': expected the set to include the council itself", row=line)
    seen: set[str] = set()
    found: list[str] = []
    for member in members:
        if member in seen:
            log.add(path, f"'{code}': neighbour '{member}' is listed twice", row=line)
        elif not COUNCIL_CODE_PATTERN.match(member):
            log.add(path, f"'{code}': expected upper-tier council codes (E06/E08/E09/E10) as neighbours, found '{member}'", row=line)
        elif member != code:
            found.append(member)
        seen.add(member)
    return found
