"""Benchmark the loader: libyaml composition against the pure-Python parser, same line tracking.

Run: .venv/bin/python bench/loader_speed.py [--rounds 5] [--baseline 7b21d38]
Measures, per dossier of examples/ and the rule fixtures: parse (text -> data + lines), load
(text -> validated dossier) and the full review as `check FILE --format json` does it (text -> JSON);
and the rulebook load. "python" forces the pure-Python parser in the same code; --baseline also
times engine/source.py as it was at that git revision (the loader before this change).
CPU time of this thread, median of the rounds. Printed, never asserted.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import subprocess
from pathlib import Path

from timing import cpu_median  # bench/timing.py (this folder is on sys.path when a bench script runs)

from prereview.engine import load, load_rulebook, run_review, source

ROOT = Path(__file__).resolve().parent.parent


def _texts() -> list[tuple[str, str]]:
    paths = [p for p in sorted((ROOT / "examples").glob("*")) if p.suffix in (".yaml", ".json") and p.name != "expected.yaml"]
    paths += sorted((ROOT / "rules").glob("**/_fixtures/*.yaml"))
    return [(p.name, p.read_text(encoding="utf-8")) for p in paths]


@contextlib.contextmanager
def _parser(kind: str, old=None):
    """Make every caller of source.parse_text use one parser path."""
    saved_c, saved_parse = source._CLoader, source.parse_text
    if kind == "python":
        source._CLoader = None
    elif kind == "baseline":
        load.parse_text = old.parse_text
        load.read_file = old.read_file
    try:
        yield
    finally:
        source._CLoader = saved_c
        load.parse_text, load.read_file = saved_parse, source.read_file


def _baseline(rev: str):
    code = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:engine/source.py"], capture_output=True,
                          text=True, check=True).stdout
    spec = importlib.util.spec_from_loader("prereview.engine._baseline_source", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "prereview.engine"
    exec(compile(code, f"{rev}:engine/source.py", "exec"), module.__dict__)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--baseline", help="git revision whose engine/source.py to time as well")
    args = ap.parse_args()
    texts = _texts()
    book = load_rulebook()
    old = _baseline(args.baseline) if args.baseline else None
    kinds = ["c", "python"] + (["baseline"] if old else [])

    def parse_all(kind):
        parse = old.parse_text if kind == "baseline" else source.parse_text
        for name, text in texts:
            parse(text, name)

    def load_all():
        for name, text in texts:
            load.load_dossier_text(text, name)

    def review_all():
        for name, text in texts:
            review = run_review(load.load_dossier_text(text, name), book)
            json.dumps(review.to_dict(), ensure_ascii=False, indent=2)

    results = {}
    for kind in kinds:
        with _parser(kind, old):
            review_all()  # warm up
            results[kind] = {
                "parse": cpu_median(lambda: parse_all(kind), args.rounds),
                "load": cpu_median(load_all, args.rounds),
                "review": cpu_median(review_all, args.rounds),
                "rulebook": cpu_median(load_rulebook, max(1, args.rounds // 2)) if kind != "baseline" else None,
            }
    n = len(texts)
    print(f"{n} dossiers (examples/ and rule fixtures), {sum(len(t) for _, t in texts) / n / 1024:.1f} KiB each on average;"
          f" CPU ms per dossier, median of {args.rounds} rounds")
    print(f"{'':28}" + "".join(f"{k:>12}" for k in kinds) + "   python/c" + ("   baseline/c" if old else ""))
    for step, label in (("parse", "parse (text -> data+lines)"), ("load", "load (text -> dossier)"),
                        ("review", "full review (text -> JSON)")):
        row = [results[k][step] * 1000 / n for k in kinds]
        ratio = f"{row[1] / row[0]:10.2f}x" + (f"{row[2] / row[0]:12.2f}x" if old else "")
        print(f"{label:28}" + "".join(f"{v:12.2f}" for v in row) + ratio)
    c, py = results["c"]["rulebook"], results["python"]["rulebook"]
    print(f"{'rulebook load (ms)':28}{c * 1000:12.0f}{py * 1000:12.0f}" + (" " * 12 if old else "") + f"{py / c:10.2f}x")


if __name__ == "__main__":
    main()
