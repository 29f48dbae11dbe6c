"""Disclosure control for figures drawn from client-level data (the package extract).

Rules (also in docs/local-data.md, "Disclosure control"):

1. Primary suppression: any count below 5 (0 to 4) is hidden and labelled ``"<5"``.
2. Complementary suppression in a table with totals: every row and every column of the table,
   margins included, is an equation (cells sum to the total).  Wherever an equation has exactly
   one hidden member, the smallest other shown member of that equation (an inner cell before a
   total) is hidden too, and this repeats until no equation has exactly one hidden member.  The
   table is then audited as an attacker would (:func:`cell_bounds`): if any hidden cell could
   still be worked out exactly from the shown figures, one more cell beside it is hidden, until
   none can.  These cells are labelled ``"suppressed (protects a small count)"``.
3. A single count shown beside a total (e.g. overdue packages of all packages) is hidden when it
   ("<5") or its complement, total − count ("suppressed (protects a small count)"), is below 5,
   and so is every figure derived from it (percentage, money).
4. Statistics of a group (median, quartiles, money) are shown only where the group's count is shown.

A hidden figure is *missing* (NaN / <NA>) in the tables, never text in a numeric column; its label
travels in the row's ``disclosure_note`` column (see :func:`note`), which the report turns back
into the label in the cell and tables.xlsx keeps as a note column beside empty cells.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

THRESHOLD = 5
#: Label of a count of 0 to 4 that is not shown.
SMALL_COUNT = "<5"
#: Label of a figure hidden so that a small count cannot be worked out (or resting on a small count).
PROTECTS_SMALL_COUNT = "suppressed (protects a small count)"
#: For the report's captions: what the two labels mean.
CAPTION = (f"Disclosure control: '{SMALL_COUNT}' is a count of 0 to 4, not shown; '{PROTECTS_SMALL_COUNT}' is a figure hidden so "
           f"that a count below 5 cannot be worked out from the totals, or one resting on such a count (a median, a share, money)")
NOTE_COLUMN = "disclosure_note"


# ---------------------------------------------------------------------------------------------
# the note column: which figures of a row are hidden, and why
# ---------------------------------------------------------------------------------------------

def note(labels: dict[str, str]) -> str:
    """The ``disclosure_note`` of a row: ``"count: <5; median_gbp, q1_gbp: suppressed (...)"``.

    Columns are grouped by label, in the order given; empty when nothing is hidden.  Readable in a
    spreadsheet and read back by :func:`labels_from_note` (column names hold no ':' or ';').
    """
    by_label: dict[str, list[str]] = {}
    for column, label in labels.items():
        if label:
            by_label.setdefault(label, []).append(column)
    return "; ".join(f"{', '.join(columns)}: {label}" for label, columns in by_label.items())


def labels_from_note(text) -> dict[str, str]:
    """{column: label} from a ``disclosure_note`` written by :func:`note` (empty for a blank note)."""
    if not isinstance(text, str) or not text.strip():
        return {}
    labels = {}
    for part in text.split("; "):
        columns, _, label = part.partition(": ")
        for column in columns.split(", "):
            labels[column] = label
    return labels


# ---------------------------------------------------------------------------------------------
# a single count beside its total
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProtectedCount:
    """A count as it may be shown: ``value`` (None when hidden) and ``label`` ('' when shown)."""

    value: int | None
    label: str

    @property
    def hidden(self) -> bool:
        return self.value is None


def protect_count(count: int, total: int) -> ProtectedCount:
    """``count`` of ``total``: hidden as "<5" when below 5, as protecting a small count when the
    complement ``total - count`` is below 5 (shown, it would give the complement away)."""
    if count < THRESHOLD:
        return ProtectedCount(None, SMALL_COUNT)
    if total - count < THRESHOLD:
        return ProtectedCount(None, PROTECTS_SMALL_COUNT)
    return ProtectedCount(int(count), "")


# ---------------------------------------------------------------------------------------------
# a table of counts with totals
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProtectedTable:
    """A cross-tabulation with margins ('all' row and column) after suppression.

    ``counts``: every count (Int64), hidden cells <NA>; ``labels``: '' where shown, else
    :data:`SMALL_COUNT` or :data:`PROTECTS_SMALL_COUNT`.
    """

    counts: pd.DataFrame
    labels: pd.DataFrame

    @property
    def hidden(self) -> pd.DataFrame:
        return self.labels != ""


def _equations(n_rows: int, n_cols: int) -> list[list[tuple[int, int]]]:
    """Each row (cells + its total in the last column) and each column likewise, as cell positions."""
    return [[(r, c) for c in range(n_cols)] for r in range(n_rows)] + [[(r, c) for r in range(n_rows)] for c in range(n_cols)]


def protect_crosstab(counts: pd.DataFrame) -> ProtectedTable:
    """``counts`` with margins ('all'), primary and complementary suppression applied (rules 1 and 2)."""
    table = counts.copy()
    table["all"] = table.sum(axis=1)
    table.loc["all"] = table.sum(axis=0)
    values = table.to_numpy(dtype=int)
    n_rows, n_cols = values.shape
    primary = values < THRESHOLD
    hidden = primary.copy()
    equations = _equations(n_rows, n_cols)

    def hide_beside(members: list[tuple[int, int]]) -> bool:
        """Hide the smallest shown member of an equation (an inner cell before a total)."""
        candidates = [m for m in members if not hidden[m]]
        if not candidates:
            return False
        inner = [m for m in candidates if m[0] < n_rows - 1 and m[1] < n_cols - 1]
        hidden[min(inner or candidates, key=lambda m: values[m])] = True
        return True

    while True:
        changed = True
        while changed:  # no equation with exactly one hidden member (no recovery by one subtraction)
            changed = False
            for members in equations:
                if sum(hidden[m] for m in members) == 1:
                    changed = hide_beside(members) or changed
        # Several equations together, and what the labels tell (a '<5' is 0 to 4, a protecting cell
        # at least 5), can still pin a cell down: hide one more cell beside the first that is.
        exposed = [cell for cell, (low, high) in cell_bounds(_shown(values, hidden), primary & hidden).items() if low == high]
        if not exposed:
            break
        beside = [m for m in equations if exposed[0] in m and not all(hidden[x] for x in m)]
        everything = [(r, c) for r in range(n_rows) for c in range(n_cols)]
        if not hide_beside(beside[0] if beside else everything):
            break  # every figure hidden: nothing is left to give a cell away

    labels = np.where(primary, SMALL_COUNT, np.where(hidden, PROTECTS_SMALL_COUNT, ""))
    shown = pd.DataFrame(_shown(values, hidden), index=table.index, columns=table.columns).astype("Int64")
    labels = pd.DataFrame(labels, index=table.index, columns=table.columns)
    for frame in (shown, labels):
        frame.index.name, frame.columns.name = counts.index.name, counts.columns.name
    return ProtectedTable(shown, labels)


def _shown(values: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    return np.where(hidden, np.nan, values.astype(float))


def cell_bounds(shown: np.ndarray, small: np.ndarray) -> dict[tuple[int, int], tuple[float, float]]:
    """What an attacker can learn of each hidden cell of a table with margins (last row and column).

    ``shown``: the published figures, NaN where hidden; ``small``: hidden cells labelled '<5'
    (known to be 0 to 4; every other hidden cell is known to be at least 5).  Returns
    {(row, col): (lowest, highest)} over every table of whole counts consistent with what is shown
    (each row and column adds up to its total), by linear programming; lowest == highest means the
    cell is recovered exactly; highest is infinite when nothing shown limits the cell.
    """
    cells = [tuple(map(int, c)) for c in np.argwhere(np.isnan(shown))]
    if not cells:
        return {}
    from scipy.optimize import linprog  # scipy comes with statsmodels; imported (about 0.4 s) only when a table has hidden cells
    position = {cell: i for i, cell in enumerate(cells)}
    rows_a, rows_b = _hidden_sums(shown, position)
    bounds = [(0, THRESHOLD - 1) if small[cell] else (THRESHOLD, None) for cell in cells]
    out = {}
    for i, cell in enumerate(cells):
        objective = np.zeros(len(cells))
        objective[i] = 1
        ends = []
        for sign in (1, -1):  # minimise the cell, then maximise it
            result = linprog(sign * objective, A_eq=np.array(rows_a) if rows_a else None, b_eq=np.array(rows_b) if rows_b else None,
                             bounds=bounds, method="highs")
            if result.status == 3:  # unbounded: only when maximising a cell nothing shown limits
                ends.append(math.inf)
            elif result.status != 0:
                raise RuntimeError(f"disclosure audit: the shown table is inconsistent ({result.message})")
            else:
                # row and column sums form a totally unimodular system: the extremes are whole counts
                ends.append(float(round(sign * result.fun)))
        out[cell] = (ends[0], ends[1])
    return out


def _hidden_sums(shown: np.ndarray, position: dict[tuple[int, int], int]) -> tuple[list[np.ndarray], list[float]]:
    """The table's sums (each row and column adds up to its total) as linear equations in the hidden
    cells (``position``: cell -> its variable): the rows of ``A_eq`` and ``b_eq``, one for each sum
    with a hidden cell in it."""
    n_rows, n_cols = shown.shape
    rows_a, rows_b = [], []
    for members in _equations(n_rows, n_cols):
        *inner, total = members
        coefficients = np.zeros(len(position))
        constant = 0.0  # shown inner cells minus shown total: the hidden part must cancel it
        for cell in inner:
            if cell in position:
                coefficients[position[cell]] += 1
            else:
                constant += shown[cell]
        if total in position:
            coefficients[position[total]] -= 1
        else:
            constant -= shown[total]
        if coefficients.any():
            rows_a.append(coefficients)
            rows_b.append(-constant)
    return rows_a, rows_b
