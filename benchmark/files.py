"""Atomic writes: a reader sees a whole file or none (write ``name.tmp-<pid>``, then ``os.replace``);
and paths as a user would type them (:func:`display_path`).  Standard library only: the command
line uses this module before it imports pandas.

Used by every stage that writes where others read: the data folder (raw files added, the data log,
the catalogue record, the processed cache) and the report outputs.  A file or folder put in place
this way gets the permissions the user's umask allows, like any file the user writes.
"""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

_TEMPORARY = re.compile(r"\.tmp-\d+$")


def display_path(path: Path) -> str:
    """The path as a user would type it: relative to the working directory where possible."""
    try:
        return os.path.relpath(path)
    except ValueError:  # different drive on Windows
        return str(path)


def temporary_name(path: Path) -> Path:
    return path.with_name(f"{path.name}.tmp-{os.getpid()}")


def is_temporary(name: str) -> bool:
    """A file being written by :func:`write_atomic` (or left by a process that was killed mid-write)."""
    return bool(_TEMPORARY.search(name))


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary path)``, then move the result into place; no temporary file is left behind."""
    path = Path(path)
    temporary = temporary_name(path)
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    return write_atomic(path, lambda p: p.write_bytes(data))


def replace_folder(staging: Path, final: Path) -> None:
    """Put the finished folder ``staging`` at ``final``, replacing any folder there: a reader sees
    the old folder or the new one, never a mix (the old one is moved aside, then deleted).  If the
    new folder cannot be moved in, the old one is put back."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)  # left by a process of the same id that was killed
    if final.exists():
        os.replace(final, old)
    try:
        os.replace(staging, final)
    except BaseException:
        if old.exists() and not final.exists():
            os.replace(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)
