"""Publications the toolkit reads by their format, whatever year a file holds.

A *publication* is a statistical release that comes out every year in the same format (MHCLG's
Revenue Outturn Social Care, ONS's mid-year estimates, NHS England's ASC-FR data file ...).  Each
one is described here once, with two functions:

* ``detect(path)`` looks inside a file (sheet names, title rows, header row, asset ids, columns) and
  says whether it is this publication and, if so, which year and edition it holds.  It returns
  ``None`` for a file of another publication, quickly and without raising; it raises
  :class:`~benchmark.errors.DataError` (one line naming the file and what was expected) for a file
  that is recognisably this publication but cannot be read.
* ``read(path, found)`` returns the file's tidy table (see :mod:`benchmark.data.tidy`), its
  ``source`` column set to ``found.source_id``.

No data year is written in the code: the year comes from the file's content (or, where a format
carries none, such as a CSV export of one sheet, from the file's name), and the
:mod:`~benchmark.data.catalogue` lists what is present.  A user who downloads next year's release
adds it with ``python -m benchmark data add FILE`` and nothing else changes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

OGL = "Open Government Licence v3.0"


@dataclass(frozen=True)
class Found:
    """What ``detect`` found in one file: the publication, the year it covers and its edition."""

    publication: str  # Publication.id
    year: str  # a financial year "2024-25", or a mid-year / edition year "2024"
    edition: str = ""  # plain words, e.g. "second release, 4 December 2025" or "England and Wales"
    title: str = ""  # the publisher's title as the file states it ('' when it states none)
    hints: dict = field(default_factory=dict, compare=False, hash=False)  # for read(): sheet, header row ...

    @property
    def source_id(self) -> str:
        """The id every tidy row of this file carries, e.g. ``ro3_2024_25`` or ``ons_mye2_2024``."""
        return f"{self.publication}_{self.year.replace('-', '_')}"


@dataclass(frozen=True)
class Publication:
    id: str  # short, snake_case: "ro3", "rsx", "ons_mye2", "ascfr_datafile"
    name: str  # plain English for pages a director reads: "Revenue Outturn Social Care (RO3)"
    publisher: str
    folder: str  # where `data add` puts it, relative to data/raw
    year_kind: str  # "financial" (2024-25) or "mid-year" (2024)
    holds: str  # one sentence: what the tidy table carries
    where_to_get: str  # where a user downloads a newer year
    detect: Callable[[Path], Found | None]
    read: Callable[[Path, Found], pd.DataFrame]
    table: str  # the tidy table its rows join (several files of one publication make one table)
    licence: str = OGL
    caveats: str = ""
