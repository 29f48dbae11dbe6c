"""Values in their units for a reader: missing is "n/a", never 0.

Kept apart from ``benchmark.report.content`` so that the run's index page can format headline
figures without importing the charts (matplotlib).
"""
from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import pandas as pd


def is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def money(value, digits: int = 0) -> str:
    if is_missing(value):
        return "n/a"
    value = float(value)
    if abs(value) >= 1e6:
        return f"{'-' if value < 0 else ''}£{abs(value) / 1e6:,.1f}m"
    return f"{'-' if value < 0 else ''}£{abs(value):,.{digits}f}"


def pounds(value) -> str:
    """Whole pounds, in full (a reconciliation to the pound)."""
    if is_missing(value):
        return "n/a"
    value = float(value)
    return f"{'-' if value < 0 else ''}£{abs(value):,.0f}"


def millions(value, digits: int = 2) -> str:
    """Pounds in millions, every figure to the same decimals (a budget's lines side by side)."""
    if is_missing(value):
        return "n/a"
    value = float(value)
    return f"{'-' if value < 0 else ''}£{abs(value) / 1e6:,.{digits}f}m"


def fmt(value, unit: str | None) -> str:
    """A value in its unit for a reader; missing values are 'n/a' (never 0)."""
    if is_missing(value):
        return "n/a"
    value = float(value)
    if unit in ("gbp",):
        return money(value)
    if unit in ("gbp_per_head",):
        return money(value, 2)
    if unit in ("gbp_per_client_week", "gbp_per_week"):
        return f"{money(value, 2)} a week"
    if unit == "pct":
        return f"{value:.1f}%"
    if unit == "rate_per_100k":
        return f"{value:,.1f} per 100,000"
    if unit in ("per_1000", "staff_fte_per_1000_population_65plus"):
        return f"{value:.2f} per 1,000"
    if unit == "ratio":
        return f"{value:.2f}x"
    if unit in ("count", "bands"):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def short_fmt(unit: str | None):
    """A compact formatter for chart labels (picklable, so that a chart can be drawn in another
    process: see benchmark.report.chart_process)."""
    return functools.partial(_short_label, unit)


def _short_label(unit: str | None, value) -> str:
    if is_missing(value):
        return "n/a"
    if unit == "pct":
        return f"{value:.1f}%"
    if unit in ("gbp", "gbp_per_head", "gbp_per_client_week", "gbp_per_week"):
        return money(value, 0)
    if unit == "rate_per_100k":
        return f"{value:,.1f}"
    if unit == "ratio":
        return f"{value:.2f}x"
    return f"{value:,.2f}"


def millions_fmt(digits: int):
    """:func:`millions` to ``digits`` decimals, as a (picklable) chart label formatter."""
    return functools.partial(millions, digits=digits)


# ----------------------------------------------------------------------------------------------
# tables of raw numbers (the council's own data), as a reader sees them on the page
# ----------------------------------------------------------------------------------------------

#: Words for the parts of a column name (``pooled_gbp`` -> "pooled £").
_HEADER_WORDS = {"gbp": "£", "pct": "%", "fte": "FTE", "65plus": "65+", "18to64": "18-64", "q1": "Q1", "q3": "Q3"}


#: Column names whose words alone would not say what they hold.
_COLUMN_NAMES = {
    "rank_pooled": "rank of the pooled budget (1 = largest)", "quartile_pooled": "quartile of the pooled budget (1 = largest)",
    "rank_ratio": "rank of pooled / minimum (1 = largest)", "quartile_ratio": "quartile of pooled / minimum (1 = largest)",
    "councils_ranked": "councils ranked", "ratio_to_minimum": "pooled / NHS minimum", "minimum_gbp": "NHS minimum £",
    "pooled_gbp": "pooled budget £",
}


#: The council's own files, in words (docs/local-data.md names each file's columns).
LOCAL_FILE_WORDS = {"workforce": "workforce file", "bcf_plan": "Better Care Fund plan", "care_home_fee_bands": "care home fee schedule",
                    "care_home_placements": "care home placements", "packages": "care package extract"}


def local_file_words(source: str) -> str:
    """``data/local/E06000045/workforce.csv; ...`` as "the council's own workforce file; ..." (a national
    comparator file shipped with the toolkit says so); a note naming a file (a waived plausibility
    check) keeps its words with the file named the same way."""
    def words(path: str) -> str:
        name = LOCAL_FILE_WORDS.get(Path(path).stem, Path(path).stem.replace("_", " "))
        return f"national comparator {name}" if "/national/" in path else f"the council's own {name}"

    parts = [re.sub(r"[\w./-]+\.csv", lambda m: words(m.group(0)), part.strip()) for part in re.split(r"; |\+(?! )", str(source)) if part.strip()]
    return "; ".join(dict.fromkeys(parts)) or "the council's own files"


#: Category codes of the council's own files (docs/local-data.md) whose words alone would not say what they are.
_CODE_WORDS = {"improved_bcf": "improved Better Care Fund", "nhs_minimum": "NHS minimum contribution", "bcf": "Better Care Fund",
               "disabled_facilities_grant": "Disabled Facilities Grant", "nhs_total_ccg": "NHS total (CCG)",
               "additional_nhs": "additional NHS", "council_additional": "additional council", "nhs": "NHS"}
_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def code_words(value):
    """A category code from a council's file (``social_worker``, ``improved_bcf``) in words; other
    text with any instruction naming a local file put in words (:func:`plain_words`)."""
    if isinstance(value, str) and _CODE.fullmatch(value):
        return _CODE_WORDS.get(value, value.replace("_", " "))
    return plain_words(value) if isinstance(value, str) else value


_SUPPLY = re.compile(r"put (.+?) in data/local/\S*/ \(see docs/local-data\.md\)")


def plain_words(text: str) -> str:
    """A missing figure's reason as a director reads it: "put workforce.csv in data/local/E06000001/
    (see docs/local-data.md)", the adviser's instruction kept in metrics.csv, becomes "the council
    has not added its workforce file"."""
    def words(match) -> str:
        name = match.group(1)
        return f"the council has not added its {LOCAL_FILE_WORDS.get(Path(name).stem, 'own files')}"
    return _SUPPLY.sub(words, str(text))


def column_words(name: str) -> str:
    """A column name as words: ``fte_gap_to_comparator_average`` -> "FTE gap to comparator average"."""
    if str(name) in _COLUMN_NAMES:
        return _COLUMN_NAMES[str(name)]
    return " ".join(_HEADER_WORDS.get(part, part) for part in str(name).split("_"))


def column_formatter(name: str, values: pd.Series):
    """How to write a numeric column's values, from the unit its name ends in (``_gbp``, ``_pct``)
    or what it counts.  Figures keep their sign; missing is "n/a"."""
    name = str(name)
    present = values.dropna().astype(float)
    whole = bool(len(present)) and bool((present % 1 == 0).all())
    if "gbp" in name.split("_"):
        digits = 2 if len(present) and present.abs().max() < 10_000 else 0  # weekly rates in pence, annual sums in pounds
        return lambda v: f"{v:,.{digits}f}"
    if name.endswith("_pct"):
        return lambda v: f"{v:.1f}%"
    if whole:
        return lambda v: f"{v:,.0f}"
    if "fte" in name.split("_") and "per" not in name.split("_"):
        return lambda v: f"{v:,.1f}"
    return lambda v: f"{v:,.2f}"


def _marked(value) -> bool:
    return not is_missing(value) and bool(value) and str(value).strip() not in ("", "False")


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for the page: numeric columns written in their units, headers in words, and a
    single row of many columns turned into measure / value rows (it would not fit across).

    An ILLUSTRATIVE column (any case) shows the word on the rows that rest on example data; with
    no such row it is left off, as it would only narrow the other columns (the table's caption says
    ILLUSTRATIVE whenever a row is; tables.xlsx keeps every column as it is).

    A ``disclosure_note`` column (disclosure control, :mod:`benchmark.local.disclosure`) is not
    shown as such: each figure it names as hidden is shown as its label ("<5", "suppressed
    (protects a small count)") instead of "n/a".
    """
    from benchmark.local.disclosure import NOTE_COLUMN, labels_from_note

    hidden = [labels_from_note(text) for text in frame[NOTE_COLUMN]] if NOTE_COLUMN in frame.columns else [{}] * len(frame)

    def missing(position: int, column) -> str:
        return hidden[position].get(str(column), "n/a")

    shown = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if column == NOTE_COLUMN:
            continue
        if str(column).lower() == "illustrative":
            marks = [_marked(v) for v in values]
            if any(marks):
                shown[column] = ["ILLUSTRATIVE" if m else "" for m in marks]
        elif values.dtype.kind in "fiu":
            write = column_formatter(column, values)
            shown[column_words(column)] = [(missing(i, column) if is_missing(v) else write(float(v)))
                                           for i, v in enumerate(values.astype("float64"))]
        elif {"gbp", "count"} & set(str(column).split("_")):  # figures mixed with marks such as "<5" (disclosure control)
            numbers = pd.to_numeric(values, errors="coerce")
            write = column_formatter(column, numbers)
            shown[column_words(column)] = [(missing(i, column) if is_missing(value) else value) if is_missing(number) else write(float(number))
                                           for i, (value, number) in enumerate(zip(values, numbers, strict=True))]
        elif str(column) == "source":
            shown[column_words(column)] = [local_file_words(v) if isinstance(v, str) and "data/" in v else code_words(v) for v in values]
        else:
            shown[column_words(column)] = [code_words(v) for v in values] if values.dtype.kind == "O" or str(values.dtype).startswith("string") else values
    if len(shown) == 1 and len(shown.columns) > 5:
        shown = pd.DataFrame({"measure": shown.columns, "value": shown.iloc[0].to_numpy()})
    return shown


def list_data_differences(differences: dict) -> str:
    """``path (changed); path (added)``: the files of a data folder that differ from the shipped copies."""
    return "; ".join(f"{path} ({status})" for path, status in sorted(differences.items()))


def data_differences_note(provenance: dict) -> str | None:
    """A sentence for the report's sources section when the data folder's files differ from the
    copies shipped with the toolkit (``provenance`` of ``benchmark.data.store.load_tables``); None
    when they do not."""
    differences = (provenance or {}).get("differs_from_shipped") or {}
    if not differences:
        return None
    return (f"The data folder used ({provenance.get('data_dir')}) differs from the published files shipped with the toolkit in "
            f"{len(differences)} file(s): {list_data_differences(differences)}. Figures resting on these files may differ from "
            "those of the shipped data.")
