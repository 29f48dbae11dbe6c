"""``python -m benchmark init-parameters``: one YAML parameter file per council in the registry."""
from __future__ import annotations

from pathlib import Path

from benchmark.errors import UserError
from benchmark.report.files import write_text_atomic
from benchmark.report.parameters import check_parameters

#: Hand-written files (own data, explicit scenarios) that only --force replaces.
HAND_WRITTEN = ("E06000045", "E06000016")


def parameter_file_text(code: str, name: str) -> str:
    check_parameters({"council": code}, f"council {code}")
    return (f"# Report parameters for {name} ({code}).\n"
            "# Every key not set here takes its default: see parameters/README.md for each key's type,\n"
            "# allowed values and meaning.  Run: python -m benchmark report " + code + "\n"
            f"council: \"{code}\"\n")


def write_parameter_files(registry, out_dir: Path, force: bool = False) -> tuple[list[Path], list[Path]]:
    """(written, kept): every council's file; existing hand-written files are kept unless ``force``."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{out_dir}: cannot create the parameters folder ({error.strerror or error})") from None
    written, kept = [], []
    for code, name in zip(registry.table["ons_code"], registry.table["name"], strict=True):
        path = out_dir / f"{code}.yml"
        if path.exists() and not force and (code in HAND_WRITTEN or _edited(path, code, name)):
            kept.append(path)
            continue
        try:
            write_text_atomic(path, parameter_file_text(code, name))
        except OSError as error:
            raise UserError(f"{path}: cannot write ({error.strerror or error})") from None
        written.append(path)
    return written, kept


def _edited(path: Path, code: str, name: str) -> bool:
    """A file that differs from the generated one has been edited by someone: keep it."""
    try:
        return path.read_text(encoding="utf-8") != parameter_file_text(code, name)
    except (OSError, UnicodeDecodeError):
        return True
