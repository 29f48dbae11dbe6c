"""How a figure says where it comes from: citations of the sources it rests on (by publisher and title, never
an id) and the ILLUSTRATIVE note for figures that rest on generated example data."""
from __future__ import annotations

import re

from benchmark.report.formatting import is_missing as _missing
from benchmark.report.formatting import local_file_words

ILLUSTRATIVE_NOTE = "ILLUSTRATIVE: rests on generated example data, not real figures"
ILLUSTRATIVE_COMPARATORS_NOTE = ("ILLUSTRATIVE comparison: the council's own figure is from its files, but the comparator "
                                 "figures are generated example data, not real")


def illustrative_note(row) -> str:
    """Which part of a metric row rests on example data: the comparison only, or the figure itself."""
    if not row["illustrative"]:
        return ""
    comparison_only = bool(row.get("comparators_illustrative")) and not bool(row.get("value_illustrative", True))
    return f" {ILLUSTRATIVE_COMPARATORS_NOTE if comparison_only else ILLUSTRATIVE_NOTE}."


def cite(source: str | None, short: bool = True) -> str:
    """Readable citation for ``+``-joined source ids (benchmark.data.sources); other text as is."""
    from benchmark.data.sources import SOURCES_BY_ID

    if _missing(source) or not str(source):
        return "n/a"
    parts = []
    for token in re.split(r"\+(?! )", str(source)):  # ids are joined by "+"; "65+ population" is words
        s = SOURCES_BY_ID.get(token.strip())
        if s is None:
            token = token.strip()
            parts.append(local_file_words(token) if token.startswith("data/") else table_words(token))
        elif short:
            parts.append(f"{s.publisher}, {s.title.split(',')[0]} ({s.years})")
        else:
            parts.append(f"{s.publisher}, {s.title} ({s.years}), {s.licence}")
    return "; ".join(dict.fromkeys(parts))


def source_ids(text: str | None) -> list[str]:
    """Source ids (benchmark.data.sources) named in ``text``."""
    from benchmark.data.sources import SOURCES_BY_ID

    if _missing(text):
        return []
    return [token for token in re.findall(r"[a-z0-9_]+", str(text)) if token in SOURCES_BY_ID]


#: The tables a metric is computed from (the registry's ``source``), as the publications they hold.
TABLE_WORDS = {
    "ro3": "MHCLG revenue outturn, social care (RO3)", "rsx": "MHCLG revenue outturn summary (RSX)", "rs": "MHCLG revenue outturn summary (RS)",
    "ra": "MHCLG revenue account budget (RA)", "ascfr_expenditure": "NHS England adult social care finance return (ASC-FR), spend",
    "ascfr_activity": "ASC-FR activity", "ascfr_additional": "ASC-FR additional data", "ascfr_datafile": "ASC-FR data file",
    "population_by_age": "ONS mid-year population estimates", "population_bands": "ONS mid-year population estimates",
    "ascof": "NHS England adult social care outcomes framework (ASCOF)", "deprivation": "English Indices of Deprivation",
    "local": "the council's own files (or the national example files shipped with the toolkit)",
}


def table_words(source) -> str:
    """A registry ``source`` ("ascfr_expenditure; population_by_age") as the publications it names."""
    if _missing(source):
        return "n/a"
    tokens = [t.strip() for t in re.split(r"[;+]", str(source)) if t.strip()]
    return "; ".join(dict.fromkeys(TABLE_WORDS.get(t, t.replace("_", " ")) for t in tokens))
