"""Funnel-plot control limits: the one formula the comparator statistics and the report's charts share.

Limits follow NHS-R FunnelPlotR's additive random-effects adjustment (Spiegelhalter 2005) on the
metric's own scale with a normal approximation (see :mod:`benchmark.metrics.stats` for how the
target and the between-council variance ``tau2`` are estimated):

* standard error at denominator d: Poisson (counts and money per unit of denominator)
  s = sqrt(multiplier x target / d); binomial (percentages) s = multiplier x sqrt(p (1 - p) / d)
  with p = target / multiplier;
* limits = target +/- z sqrt(s^2 + tau2), lower limits floored at 0, binomial upper limits capped
  at the multiplier (100%).

A missing ``tau2`` (fewer than two comparators with a denominator) gives missing limits, never
unadjusted ones: for money per head the Poisson error is tiny, so limits without the dispersion
would call almost every council an outlier.

Kept free of pandas and the rest of the package so that the charts can import it cheaply.
"""
from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054
Z998 = 3.090232306167813


def standard_error(target, denominator, multiplier, binomial):
    """Poisson or binomial standard error at ``target`` for each denominator (arrays broadcast);
    missing (NaN) where undefined: target <= 0 or missing, denominator <= 0 or missing."""
    target = np.asarray(target, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    multiplier = np.asarray(multiplier, dtype=float)
    binomial = np.asarray(binomial, dtype=bool)
    target = np.where(target > 0, target, np.nan)
    denominator = np.where(denominator > 0, denominator, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        poisson = np.sqrt(multiplier * target / denominator)
        p = target / multiplier
        binom = multiplier * np.sqrt(p * (1 - p) / denominator)
    return np.where(binomial, binom, poisson)


def funnel_limits(target, tau2, denominator, multiplier, binomial, z) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) control limits at each denominator for the z of the limit (:data:`Z95`, :data:`Z998`).

    Every argument may be a scalar or an array (they broadcast).  Missing ``tau2`` -> missing limits.
    """
    multiplier = np.asarray(multiplier, dtype=float)
    binomial = np.asarray(binomial, dtype=bool)
    spread = np.sqrt(standard_error(target, denominator, multiplier, binomial) ** 2 + np.asarray(tau2, dtype=float))
    target = np.asarray(target, dtype=float)
    with np.errstate(invalid="ignore"):
        lower = np.clip(target - z * spread, 0, None)
        upper = np.minimum(target + z * spread, np.where(binomial, multiplier, np.inf))
    return lower, upper
