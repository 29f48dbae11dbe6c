"""Disclosure control for figures drawn from client-level data (the package extract).

Rules (also in docs/local-data.md, "Disclosure control"):

1. Primary suppression: any count below 5 (0 to 4) is shown as ``"<5"``.
2. Complementary suppression in a table with totals: every row and every column of the table,
   margins included, is an equation (cells sum to the total).  Wherever an equation has exactly
   one suppressed member, the smallest other shown member of that equation (an inner cell before a
   total) is suppressed too, and this repeats until no equation has exactly one suppressed member,
   so no suppressed value can be recovered by subtraction.
3. A single count shown beside a total (e.g. overdue packages of all packages) is suppressed when it
   or its complement (total − count) is below 5, and so is every figure derived from it
   (percentage, money).
4. Statistics of a group (median, quartiles, money) are shown only where the group's count is shown.
"""
from __future__ import annotations

import pandas as pd

THRESHOLD = 5
SUPPRESSED = "<5"


def safe_count(count: int, total: int) -> int | str:
    """``count`` if neither it nor ``total - count`` is below the threshold, else ``"<5"``."""
    if count < THRESHOLD or total - count < THRESHOLD:
        return SUPPRESSED
    return int(count)


def protect_crosstab(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts with margins ('all'), primary and complementary suppression applied (object dtype)."""
    table = counts.copy()
    table["all"] = table.sum(axis=1)
    table.loc["all"] = table.sum(axis=0)
    values = table.to_numpy(dtype=int)
    n_rows, n_cols = values.shape
    hidden = values < THRESHOLD
    # equations: each row (cells + its total in the last column), each column likewise
    equations = [[(r, c) for c in range(n_cols)] for r in range(n_rows)] + [[(r, c) for r in range(n_rows)] for c in range(n_cols)]
    changed = True
    while changed:
        changed = False
        for members in equations:
            if sum(hidden[m] for m in members) == 1:
                candidates = [m for m in members if not hidden[m]]
                inner = [m for m in candidates if m[0] < n_rows - 1 and m[1] < n_cols - 1]
                pick = min(inner or candidates, key=lambda m: values[m])
                hidden[pick] = True
                changed = True
    shown = table.astype(object)
    for r in range(n_rows):
        for c in range(n_cols):
            shown.iat[r, c] = SUPPRESSED if hidden[r, c] else int(values[r, c])
    shown.index.name, shown.columns.name = counts.index.name, counts.columns.name
    return shown


def recoverable_cells(shown: pd.DataFrame) -> list[tuple[str, str]]:
    """Cells whose value could be recovered from a row or column total: empty when protection worked."""
    out = []
    for axis_frame in (shown, shown.T):
        for label, line in axis_frame.iterrows():
            hidden = [k for k, v in line.items() if v == SUPPRESSED]
            if len(hidden) == 1:
                out.append((label, hidden[0]))
    return out
