"""Atomic writes: a reader sees a whole file or none (write ``name.tmp-<pid>``, then ``os.replace``)."""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

#: What a report's last cell writes into the runner's folder (benchmark.report.content.export_report).
#: Named here, where the runner can read it without importing the report's content and charts.
EXPORT_FILES = ("metrics.csv", "budget.csv", "tables.xlsx", "headlines.json")


def temporary_name(path: Path) -> Path:
    return path.with_name(f"{path.name}.tmp-{os.getpid()}")


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
    the old folder or the new one, never a mix (the old one is moved aside, then deleted)."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)
