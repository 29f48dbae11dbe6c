"""RAG flags: when a council's difference from its comparator median is a finding, and what it is called.

A difference is statistically *large* when ``|robust_z| >= rag_red_z`` or the value lies outside the
99.8% funnel limit, *notable* when ``|robust_z| >= rag_amber_z``.  It is a finding only if it is also
material (``rag_material_pct`` of the median, ``rag_material_points`` for percentages,
``rag_material_count`` people or FTE for rates of them: :func:`material_difference`) and the two
figures do not round to the same shown value; otherwise the council is "similar to" its comparators,
and no text calls it higher, lower, older.  Where the metric's polarity says which direction is worse,
a large worse finding is RED, a notable one AMBER, and a better one GREEN; metrics of polarity
``neither`` get no colour, only the word DIFFERENT.  Text always carries the word, never colour alone.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.report.formatting import fmt
from benchmark.report.formatting import is_missing as _missing


def pct_difference(value, reference) -> float:
    if _missing(value) or _missing(reference) or float(reference) == 0:
        return float("nan")
    return (float(value) / float(reference) - 1) * 100



def rag_flags(metrics: pd.DataFrame, amber_z: float = 1.0, red_z: float = 2.0, material_pct: float = 5.0,
              material_points: float = 0.2, material_count: float = 1.0) -> pd.DataFrame:
    """Columns ``direction``, ``difference`` (large / notable / similar / n/a), ``rag`` (RED, AMBER,
    GREEN or missing), ``flag`` (the words a reader sees) and ``similar_because`` for a council_metrics
    frame (with ``unit``; ``difference_count`` where the difference can be counted).

    A difference is a finding (large or notable) only when it is all of: statistically notable
    (this module's docstring), material (:func:`material_difference`) and visible (the value and the median
    do not round to the same figure as shown).  Anything else is "similar to comparators", with the
    reason; only findings are worded higher, lower, better or worse.
    """
    value = pd.to_numeric(metrics["value"], errors="coerce").astype(float)
    median = pd.to_numeric(metrics["median"], errors="coerce").astype(float)
    z = pd.to_numeric(metrics["robust_z"], errors="coerce").astype(float).abs()
    outside = metrics["outside_998"].astype("boolean").fillna(False).astype(bool) if "outside_998" in metrics else pd.Series(False, index=metrics.index)
    known = value.notna() & median.notna()
    statistically_large = (z >= red_z) | outside
    statistically_notable = statistically_large | (z >= amber_z)
    material, threshold = material_difference(metrics, material_pct, material_points, material_count)
    same_shown = pd.Series([fmt(v, u) == fmt(m, u) for v, m, u in zip(value, median, metrics["unit"], strict=True)], index=metrics.index)
    finding = known & statistically_notable & material & ~same_shown
    large = finding & statistically_large
    notable = finding & ~large
    direction = pd.Series(np.where(value > median, "higher", np.where(value < median, "lower", "same")), index=metrics.index)
    direction = direction.where(finding, "similar").where(known, "n/a")
    polarity = metrics["polarity"].astype(str)
    worse = ((polarity == "lower_better") & (direction == "higher")) | ((polarity == "higher_better") & (direction == "lower"))
    better = ((polarity == "lower_better") & (direction == "lower")) | ((polarity == "higher_better") & (direction == "higher"))
    rag = pd.Series(pd.NA, index=metrics.index, dtype="string")
    rag[large & worse] = "RED"
    rag[notable & worse] = "AMBER"
    rag[finding & better] = "GREEN"
    difference = pd.Series(np.select([~known, large, notable], ["n/a", "large", "notable"], "similar"), index=metrics.index)
    # why a known difference is not a finding, most telling reason first
    similar = known & ~finding
    because = pd.Series("", index=metrics.index, dtype=object)
    because[similar & ~statistically_notable] = "within the comparators' usual spread"
    because[similar & ~material] = "too small to matter: under " + threshold[similar & ~material]
    because[similar & same_shown] = "the same figure as shown"
    flags = []
    for i in metrics.index:
        if difference[i] == "n/a":
            reason = metrics["missing_reason"].get(i) if "missing_reason" in metrics else None
            flags.append("n/a: " + (str(reason) if not _missing(reason) and str(reason) else "no value or no comparators with values"))
            continue
        if difference[i] == "similar":
            flags.append(f"similar to comparators ({because[i]})")
            continue
        much = "much " if difference[i] == "large" else ""
        if pd.notna(rag[i]):
            verdict = "worse" if rag[i] in ("RED", "AMBER") else "better"
            flags.append(f"{rag[i]}: {much}{direction[i]} than comparators ({verdict})")
        else:
            flags.append(f"DIFFERENT: {much}{direction[i]} than comparators (neither better nor worse in itself)")
    return pd.DataFrame({"direction": direction, "difference": difference, "rag": rag, "flag": flags, "similar_because": because},
                        index=metrics.index)


def is_finding(row) -> bool:
    """Whether a metric row's difference from its comparators is a finding (notable, material and
    visible: :func:`rag_flags`), the only case in which the report says higher, lower, older ..."""
    return row.get("difference") in ("large", "notable")


def material_difference(metrics: pd.DataFrame, material_pct: float = 5.0, material_points: float = 0.2,
                        material_count: float = 1.0) -> tuple[pd.Series, pd.Series]:
    """(material, threshold text) per row: is the difference from the comparator median large enough
    to matter, whatever its statistics?

    * percentages (unit ``pct``): at least ``material_points`` percentage points;
    * everything else: at least ``material_pct`` % of the comparator median;
    * and where the difference can be counted (``difference_count``: people, admissions, FTE in the
      council's own population), at least ``material_count`` of them: 0.3 against 0.1 delayed
      transfers per 100,000 is three times the median but less than one person.
    """
    value = pd.to_numeric(metrics["value"], errors="coerce").astype(float)
    median = pd.to_numeric(metrics["median"], errors="coerce").astype(float)
    gap = (value - median).abs()
    is_pct = metrics["unit"].astype(str) == "pct"
    large_enough = pd.Series(np.where(is_pct, gap >= material_points, gap >= material_pct / 100 * median.abs()), index=metrics.index)
    threshold = pd.Series(np.where(is_pct, f"{material_points:g} percentage points", f"{material_pct:g}% of the median"), index=metrics.index)
    count = pd.to_numeric(metrics.get("difference_count", pd.Series(np.nan, index=metrics.index)), errors="coerce").astype(float)
    too_few = count.notna() & (count < material_count)
    # where only the count fails, the threshold named is the count's
    count_text = pd.Series([f"{material_count:g} in the council's own numbers (it comes to {c:.1f})" for c in count.fillna(0)], index=metrics.index)
    threshold = threshold.where(~(large_enough & too_few), count_text)
    return (large_enough & ~too_few).astype(bool), threshold


# ----------------------------------------------------------------------------------------------
# the metrics table from shared statistics (same rows and values as council_metrics)
