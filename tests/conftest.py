"""Shared fixtures: the shipped data, loaded once per test session (from the cache when warm)."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def tables():
    from benchmark.data.store import load_tables

    return load_tables()


@pytest.fixture(scope="session")
def registry(tables):
    return tables.registry


def single_line_error(excinfo: pytest.ExceptionInfo, file_name: str) -> str:
    """The error's message, checked to be one line that names ``file_name``."""
    message = str(excinfo.value)
    assert "\n" not in message, message
    assert file_name in message, message
    return message
