"""``python -m benchmark init-parameters``: one YAML parameter file per council in the registry.

Each generated file names its council and otherwise leaves every key at its default, so the report
compares the council with its nearest-neighbour set (``comparator_method: nn``).  NN.json has no
set for some councils (too small to have one, abolished by April 2021, or created after it);
their files choose ``comparator_method: region`` instead, with a comment saying why, because none
of them has statistical peers either (excluded, or without the density the features need).
"""
from __future__ import annotations

from pathlib import Path

from benchmark.errors import UserError
from benchmark.files import write_text_atomic
from benchmark.report.parameters import DEFAULTS, budget_params, check_parameters, read_parameter_file

#: Hand-written files (own data, explicit scenarios) that only --force replaces.
HAND_WRITTEN = ("E06000045", "E06000016")
#: The comparator method of a council that has no set in NN.json.
WITHOUT_NN_SET = "region"


def parameter_file_text(code: str, name: str, has_nn_set: bool = True) -> str:
    values = {"council": code} if has_nn_set else {"council": code, "comparator_method": WITHOUT_NN_SET}
    check_parameters(values, f"council {code}")
    text = (f"# Report parameters for {name} ({code}).\n"
            "# Every key not set here takes its default: see parameters/README.md for each key's type,\n"
            "# allowed values and meaning.  Run: python -m benchmark report " + code + "\n"
            f"council: \"{code}\"\n")
    if not has_nn_set:
        text += ("# NN.json has no nearest-neighbour set for this council (the default method, nn), and it has no\n"
                 "# statistical peers either: it is compared with the other councils of its region.\n"
                 f"comparator_method: \"{WITHOUT_NN_SET}\"\n")
    return text


def councils_with_nn_set(tables) -> set[str]:
    """ONS codes of the councils that have a set in NN.json."""
    return set(tables.nearest_neighbours["council"].astype(str))


def write_parameter_files(tables, out_dir: Path, force: bool = False) -> tuple[list[Path], list[Path]]:
    """(written, kept): every council's file; existing hand-written files are kept unless ``force``."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{out_dir}: cannot create the parameters folder ({error.strerror or error})") from None
    with_nn_set = councils_with_nn_set(tables)
    registry = tables.registry.table
    written, kept = [], []
    for code, name in zip(registry["ons_code"], registry["name"], strict=True):
        path = out_dir / f"{code}.yml"
        text = parameter_file_text(code, name, code in with_nn_set)
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
