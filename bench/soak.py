"""Soak: many random valid dossiers reviewed in one process, file text to findings.

Run: .venv/bin/python bench/soak.py [--n 100000] [--seed 1]
Dossier i is the compliant base changed by tests/test_properties.mutate with Random(seed·1,000,003+i),
its steps and materials shuffled every third time, written as JSON text and read back through
load_dossier_text (libyaml, limits, model) before the review. Reports crashes (any exception other
than a DossierError; a signal ends the run early, so reaching the summary means none), RSS growth
after warm-up, and p50/p99 per dossier. Printed, never asserted: this is not part of the test suite.
"""
from __future__ import annotations

import argparse
import copy
import gc
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_properties import _shuffled, mutate  # noqa: E402  (the property tests' generator)

from helpers import base_data, rulebook  # noqa: E402
from prereview.engine import DossierError, load_dossier_text, run_review  # noqa: E402


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1_000)
    args = ap.parse_args()
    book, base = rulebook(), base_data()
    crashes, rejected, verdicts, latencies = [], 0, {}, []
    rss_start = None
    started = time.perf_counter()
    for i in range(args.n):
        if i == min(args.warmup, args.n - 1):
            gc.collect()
            rss_start = _rss_kib()
        rng = random.Random(args.seed * 1_000_003 + i)
        data = mutate(copy.deepcopy(base), rng.choice)
        if i % 3 == 0:
            data = _shuffled(data, rng.random())
        text = json.dumps(data, ensure_ascii=False)
        t = time.perf_counter()
        try:
            review = run_review(load_dossier_text(text, f"soak-{i}.json"), book)
            verdicts[review.verdict] = verdicts.get(review.verdict, 0) + 1
        except DossierError:
            rejected += 1
        except Exception as exc:  # noqa: BLE001 - counting them is the point
            crashes.append((i, repr(exc)[:200]))
        latencies.append(time.perf_counter() - t)
        if (i + 1) % 10_000 == 0:
            print(f"  {i + 1:>7,} dossiers  RSS {_rss_kib() / 1024:.1f} MiB  {time.perf_counter() - started:.0f} s",
                  flush=True)
    gc.collect()
    rss_end = _rss_kib()
    latencies.sort()
    n = len(latencies)
    print(f"dossiers {n:,}: reviewed {sum(verdicts.values()):,} {dict(sorted(verdicts.items()))}, "
          f"rejected as input {rejected:,}, crashes {len(crashes)}")
    for i, err in crashes[:10]:
        print(f"  crash at dossier {i}: {err}")
    print(f"per dossier (JSON text -> findings): p50 {1000 * latencies[n // 2]:.2f} ms  "
          f"p99 {1000 * latencies[int(n * 0.99)]:.2f} ms  max {1000 * latencies[-1]:.1f} ms")
    if rss_start is not None:
        grown = rss_end - rss_start
        per = max(n - args.warmup, 1)
        print(f"RSS after {args.warmup:,} warm-up dossiers {rss_start / 1024:.1f} MiB -> {rss_end / 1024:.1f} MiB "
              f"(+{grown / 1024:.1f} MiB, {grown * 1024 / per:.0f} B per dossier, "
              f"{grown * 100_000 / per / 1024:.1f} MiB per 100,000)")
    print(f"wall {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
