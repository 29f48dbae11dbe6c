"""What the benchmark scripts share: the median of repeated timings (shared machines are noisy)."""
from __future__ import annotations

import statistics
import time


def timed(function, repeats: int = 5) -> float:
    """The median wall time of ``repeats`` calls of ``function``, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
