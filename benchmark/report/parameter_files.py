"""``python -m benchmark init-parameters``: one YAML parameter file per council in the registry.

Each generated file names its council and otherwise leaves every key at its default, so the report
compares the council with its default group (``comparator_method: null``: statistical peers on the
report's geography year; region for Isles of Scilly and City of London, which have no peers).
"""
from __future__ import annotations

from pathlib import Path

from benchmark.errors import UserError
from benchmark.files import write_text_atomic
from benchmark.report.parameters import DEFAULTS, budget_params, check_parameters, read_parameter_file

#: Hand-written files (own data, explicit scenarios) that only --force replaces.
HAND_WRITTEN = ("E06000045", "E06000016")


def parameter_file_text(code: str, name: str) -> str:
    check_parameters({"council": code}, f"council {code}")
    return (f"# Report parameters for {name} ({code}).\n"
            "# Every key not set here takes its default: see parameters/README.md for each key's type,\n"
            "# allowed values and meaning.  Run: python -m benchmark report " + code + "\n"
            f"council: \"{code}\"\n")


def write_parameter_files(tables, out_dir: Path, force: bool = False) -> tuple[list[Path], list[Path]]:
    """(written, kept): every council's file; existing hand-written files are kept unless ``force``."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{out_dir}: cannot create the parameters folder ({error.strerror or error})") from None
    registry = tables.registry.table
    written, kept = [], []
    for code, name in zip(registry["ons_code"], registry["name"], strict=True):
        path = out_dir / f"{code}.yml"
        text = parameter_file_text(code, name)
        if path.exists() and not force and (code in HAND_WRITTEN or _edited(path, text)):
            kept.append(path)
            continue
        try:
            write_text_atomic(path, text)
        except OSError as error:
            raise UserError(f"{path}: cannot write ({error.strerror or error})") from None
        written.append(path)
    return written, kept


def _edited(path: Path, generated: str) -> bool:
    """A file that differs from the generated one has been edited by someone: keep it."""
    try:
        return path.read_text(encoding="utf-8") != generated
    except (OSError, UnicodeDecodeError):
        return True


def kept_file_changes(path: Path) -> str:
    """What a kept (hand-written or edited) file sets against today's defaults, or why it would now be
    refused: one line, so that after an upgrade its owner sees which assumptions are their own."""
    try:
        values = read_parameter_file(path)
        budget_params(values)
    except UserError as error:
        return f"{path.name}: would be refused now ({error}); edit it or replace it with --force"
    own = [f"{key} {values[key]!r} (default {DEFAULTS[key]!r})" for key in DEFAULTS
           if key != "council" and values[key] != DEFAULTS[key] and key != "budget_scenarios"]
    if values["budget_scenarios"]:
        own.append(f"{len(values['budget_scenarios'])} budget scenario(s) of its own")
    return f"{path.name}: kept; sets " + ("; ".join(own) if own else "nothing beyond the defaults")
