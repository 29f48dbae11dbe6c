"""Where the toolkit keeps its shipped data (standard library only: the command line reads these
before it imports pandas)."""
from __future__ import annotations

from pathlib import Path

#: The shipped data folder (``raw/``, ``local/``, ``processed/`` inside); ``--data`` names another.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data"
#: The councils' own files, one folder per ONS code (``--local`` names another).
DEFAULT_LOCAL_ROOT = DEFAULT_DATA_DIR / "local"
