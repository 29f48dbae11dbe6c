"""Plausibility rules for a council's own files: values no real council has, refused before use.

A file can pass every schema check and still hold a figure that is wrong by orders of magnitude
(FTE typed as 9,999,999; an annual fee in the weekly column; a BCF amount in pence).  Each rule is a
pandera check carrying its bound and the reason for it; a value outside the bound is a one-line
:class:`~benchmark.errors.DataError` naming file, row, column, value and bound.

A rule is waived only by naming it in ``plausibility_overrides`` in the council's parameter file
(``LocalParams.plausibility_overrides``); the figure is then used and every metric row built on it
says so in its ``source`` (see :func:`override_notes`), so the report shows that a check was waived.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from benchmark.data.readers import display_path
from benchmark.errors import DataError, Problem, UserError


@dataclass(frozen=True)
class PlausibilityRule:
    """A range a figure of a local file must fall in, and why."""

    name: str      # the word to put in plausibility_overrides
    what: str      # the figure, in words, with its unit
    low: float
    high: float
    reason: str

    @property
    def check(self) -> pa.Check:
        return pa.Check.in_range(self.low, self.high, name=self.name, error=f"{self.what} from {self.bound}",
                                 description=self.reason)

    @property
    def bound(self) -> str:
        return f"{self.low:,g} to {self.high:,g}"


RULES = {rule.name: rule for rule in (
    PlausibilityRule(
        "staff_per_1000_65plus", "staff FTE per 1,000 population aged 65+", 0.1, 20.0,
        "councils' adult social care staff are a few per 1,000 people aged 65+ (Southampton's comparator average was 2.6): "
        "outside 0.1 to 20 the FTE is mistyped or not FTE"),
    PlausibilityRule(
        "care_home_weekly_fee", "weekly care home fee (£ a week)", 100.0, 5_000.0,
        "a care home place costs hundreds of pounds a week: outside £100 to £5,000 the figure is mistyped, or monthly or annual"),
    PlausibilityRule(
        "bcf_pooled_to_minimum", "BCF pooled budget as times the NHS minimum", 0.5, 50.0,
        "the pooled BCF must be at least the NHS minimum and even the largest poolers pool a few times it (Southampton 6.9 times "
        "in 2018-19): outside 0.5 to 50 an amount is mistyped, in the wrong unit, or a line is missing or repeated"),
)}


def check_overrides(names: Iterable[str], source: str = "parameter file") -> tuple[str, ...]:
    """``names`` checked to be rules (one-line error otherwise), as a sorted tuple."""
    names = tuple(sorted({str(n) for n in names or ()}))
    unknown = [n for n in names if n not in RULES]
    if unknown:
        raise UserError(f"{source}: unknown plausibility rule(s) {', '.join(unknown)} in plausibility_overrides "
                        f"(rules: {', '.join(RULES)})")
    return names


@dataclass(frozen=True)
class Finding:
    """One value outside its rule's range: where it is and what it is."""

    rule: PlausibilityRule
    file: str
    row: int | None
    column: str
    value: float
    detail: str = ""  # how a computed figure was reached (e.g. "FTE 9,999,999 in rows 2 to 9")

    def _value_text(self) -> str:
        return f"{self.value:,.2f}".rstrip("0").rstrip(".")

    def problem(self) -> Problem:
        return Problem(self.file, f"{self.rule.what} {self._value_text()}{f' ({self.detail})' if self.detail else ''} is outside "
                       f"the plausible range {self.rule.bound}: {self.rule.reason}; if the figure is right, add "
                       f"'{self.rule.name}' to plausibility_overrides in the council's parameter file", self.row, self.column)

    def override_note(self) -> str:
        where = self.file + (f" row {self.row}" if self.row is not None else "")
        return (f"{OVERRIDE_MARK} '{self.rule.name}' waived by the parameter file: {where}, {self.column} gives "
                f"{self.rule.what} {self._value_text()}, outside {self.rule.bound}")


OVERRIDE_MARK = "plausibility check"


def findings(frame: pd.DataFrame, column: str, rule: PlausibilityRule, path: Path | str,
             rows: pd.Series | None = None, details: pd.Series | None = None, file_column: str | None = None) -> list[Finding]:
    """Values of ``frame[column]`` outside ``rule``'s range, validated by its pandera check.

    ``frame`` is indexed by file line number unless ``rows`` maps its index to the line to name;
    a computed figure (a ratio) names the line and ``file_column`` that contribute most to it, and
    ``details`` says how it was made.
    """
    schema = pa.DataFrameSchema({column: pa.Column(float, rule.check, nullable=True)}, coerce=False)
    try:
        schema.validate(frame[[column]].astype("float64"), lazy=True)
    except pa.errors.SchemaErrors as errors:
        out = []
        for case in errors.failure_cases.itertuples():
            index = case.index
            row = rows[index] if rows is not None else index
            out.append(Finding(rule, display_path(Path(path)), None if pd.isna(row) else int(row), file_column or column,
                               float(frame.at[index, column]), "" if details is None else str(details[index])))
        return out
    return []


def settle(found: list[Finding], overrides: Iterable[str]) -> list[str]:
    """Raise the findings of rules not overridden (every one, one line each); return the notes of
    those that are, for the metric rows built on them."""
    waived = set(overrides or ())
    refused = [f for f in found if f.rule.name not in waived]
    if refused:
        raise DataError([f.problem() for f in refused])
    return [f.override_note() for f in found]


def with_notes(source: str, notes: list[str]) -> str:
    """A metric row's source with the plausibility checks waived for it."""
    return "; ".join([source, *notes]) if notes else source


def override_notes(sources: Iterable[str]) -> list[str]:
    """The waived-check notes held in metric rows' sources (each once, in order)."""
    notes = []
    for source in sources:
        for part in str(source).split("; "):
            if part.startswith(OVERRIDE_MARK) and part not in notes:
                notes.append(part)
    return notes
