"""Benchmark: PDF render time per report (cold and warm) and the PDF's size.

Cold = the first PDF in a fresh Python process (WeasyPrint import, font discovery, first
subsetting); warm = later renders in the same process (median of --repeat). The review itself
is not timed. Inputs: the examples/ dossiers with the shipped rules and checklist, or --dossier.

Run: .venv/bin/python bench/pdf_render.py [--repeat 5] [--dossier PATH ...]
Numbers are printed, never asserted: timings belong here, not in tests.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ("report", "opinion")


def _prepare(path: Path):
    from prereview.engine import load_dossier, load_rulebook, run_review
    from prereview.engine.checklist import apply_answers, load_checklist

    review = run_review(load_dossier(path), load_rulebook())
    return review, apply_answers(review, load_checklist(review.kind), None)


def _render(review, checklist, template: str) -> tuple[float, bytes]:
    from prereview.reports.render import render_report

    start = time.perf_counter()
    pdf = render_report(review, template=template, fmt="pdf", checklist=checklist)
    return time.perf_counter() - start, pdf


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader  # the `test` extra

    return len(PdfReader(io.BytesIO(pdf)).pages)


def child(path: str, template: str) -> None:
    """One cold render in this fresh process; prints seconds and bytes as JSON."""
    review, checklist = _prepare(Path(path))
    seconds, pdf = _render(review, checklist, template)
    print(json.dumps({"seconds": seconds, "bytes": len(pdf)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="warm renders per report (median is shown)")
    parser.add_argument("--dossier", type=Path, action="append", help="dossier file (default: examples/*.yaml)")
    parser.add_argument("--child", nargs=2, metavar=("DOSSIER", "TEMPLATE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    paths = args.dossier or sorted(p for p in (ROOT / "examples").glob("*.yaml") if p.name != "expected.yaml")
    print(f"{'dossier':36} {'template':8} {'pages':>5} {'size KB':>8} {'cold s':>7} {'warm s':>7}")
    warm_all = []
    for path in paths:
        try:
            review, checklist = _prepare(path)
        except Exception as exc:  # a dossier the rules reject is not a render benchmark
            print(f"{path.name:36} skipped: {type(exc).__name__}")
            continue
        for template in TEMPLATES:
            cold = json.loads(subprocess.run(
                [sys.executable, __file__, "--child", str(path), template],
                check=True, capture_output=True, text=True).stdout)
            _render(review, checklist, template)  # warm up this process
            runs = [_render(review, checklist, template) for _ in range(args.repeat)]
            warm = statistics.median(s for s, _ in runs)
            warm_all.append(warm)
            pdf = runs[-1][1]
            print(f"{path.name:36} {template:8} {_pages(pdf):>5} {len(pdf) / 1024:>8.0f} "
                  f"{cold['seconds']:>7.2f} {warm:>7.2f}")
    if warm_all:
        print(f"\nwarm median over all reports: {statistics.median(warm_all):.2f} s")


if __name__ == "__main__":
    main()
