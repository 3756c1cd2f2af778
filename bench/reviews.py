"""Benchmark: reviews per second (examples and generated dossiers) and the CLI's start-up time.

Run: .venv/bin/python bench/reviews.py [--seconds 5]
Numbers are printed, never asserted: timings belong here, not in tests.
"""
from __future__ import annotations

import argparse
import copy
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

from prereview.engine import load_dossier, load_dossier_text, load_rulebook, run_review
from prereview.engine.source import read_file

ROOT = Path(__file__).resolve().parent.parent


def _examples() -> list:
    found = []
    for path in sorted((ROOT / "examples").glob("*")):
        if path.suffix in (".yaml", ".yml", ".json"):
            doc, problems = read_file(path)
            if not problems and isinstance(doc.data, dict) and "decision" in doc.data:
                found.append(load_dossier(path))
    return found


def _generated(n: int, seed: int = 1) -> list:
    doc, _ = read_file(ROOT / "rules" / "_fixtures" / "major-decision-compliant.yaml")
    rng = random.Random(seed)
    out = []
    for i in range(n):
        data = copy.deepcopy(doc.data)
        data["steps"] = [s for s in data["steps"] if rng.random() > 0.25]
        rng.shuffle(data["steps"])
        data["decision"]["stage"] = rng.choice(["pre-review", "pre-meeting", "decided", "issued", "archived"])
        out.append(load_dossier_text(yaml.safe_dump(data, allow_unicode=True), f"generated-{i}.yaml"))
    return out


def _rate(dossiers: list, rulebook, seconds: float) -> dict:
    run_review(dossiers[0], rulebook)  # compile once before timing
    latencies = []
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        start = time.perf_counter()
        run_review(dossiers[i % len(dossiers)], rulebook)
        latencies.append(time.perf_counter() - start)
        i += 1
    latencies.sort()
    return {"reviews": len(latencies), "per_second": len(latencies) / sum(latencies),
            "p50_ms": 1000 * latencies[len(latencies) // 2], "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)]}


def _startup(runs: int) -> dict:
    base = ROOT / "rules" / "_fixtures" / "major-decision-compliant.yaml"
    timings = {}
    for name, args in (("prereview --help", ["--help"]), ("prereview check <compliant>", ["check", str(base)])):
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "prereview.api.cli", *args], capture_output=True, check=False)
            samples.append(time.perf_counter() - start)
        timings[name] = statistics.median(samples)
    return timings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--startup-runs", type=int, default=5)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rulebook = load_rulebook()
    load_s = time.perf_counter() - t0
    examples = _examples()
    generated = _generated(200)
    facts = sum(len(d.dossier.steps) for d in generated) / len(generated)
    print(f"rulebook: {len(rulebook.rules)} rules, loaded and validated in {load_s * 1000:.0f} ms")
    for name, dossiers in (("examples", examples), ("generated", generated)):
        if not dossiers:
            print(f"{name}: none found")
            continue
        r = _rate(dossiers, rulebook, args.seconds)
        print(f"{name:<10} {len(dossiers):>4} dossiers  {r['per_second']:8.0f} reviews/s  "
              f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  ({r['reviews']} reviews)")
    print(f"generated dossiers average {facts:.1f} steps")
    for name, seconds in _startup(args.startup_runs).items():
        print(f"start-up  {name:<30} median {seconds * 1000:.0f} ms over {args.startup_runs} runs")


if __name__ == "__main__":
    main()
