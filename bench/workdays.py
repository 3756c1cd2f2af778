"""Benchmark: building the working-day calendar, and one ordinal / add_working_days call.
(Not named calendar.py: a script there would shadow the standard library's calendar module.)

Run: .venv/bin/python bench/workdays.py
Numbers are printed, never asserted: timings belong here, not in tests.
"""
from __future__ import annotations

import random
import time
from datetime import date, timedelta

from prereview.engine import calendar as cal_module

start = time.perf_counter()
cal = cal_module.Calendar(cal_module._shipped())
print(f"build (package 2004–2026 + shipped files): {(time.perf_counter() - start) * 1000:.0f} ms")

rng = random.Random(0)
first, last = date(cal.years()[0], 1, 1), date(cal.years()[1], 12, 1)
days = [first + timedelta(rng.randrange((last - first).days)) for _ in range(200_000)]
for name, call in (("ordinal", cal.ordinal), ("next_working_day", cal.next_working_day),
                   ("add_working_days(+20)", lambda d: cal.add_working_days(d, 20))):
    start = time.perf_counter()
    for d in days:
        call(d)
    print(f"{name}: {(time.perf_counter() - start) / len(days) * 1e6:.2f} µs per call")
