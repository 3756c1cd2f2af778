"""What the benchmarks share: CPU time of the measuring thread, median of rounds."""
from __future__ import annotations

import statistics
import time


def cpu_median(fn, rounds: int) -> float:
    """Seconds of this thread's CPU time one call of fn takes, the median of `rounds` calls."""
    samples = []
    for _ in range(rounds):
        t = time.thread_time()
        fn()
        samples.append(time.thread_time() - t)
    return statistics.median(samples)
