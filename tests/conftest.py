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
