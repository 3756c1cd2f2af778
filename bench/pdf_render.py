"""Benchmark: PDF render time per report and per page (cold and warm) and the PDF's size.

Cold = the first PDF in a fresh Python process (WeasyPrint import, font discovery, first
subsetting; the compact CJK faces of reports/pdf_fonts.py already in the cache folder); warm =
later renders in the same process (median of --repeat). Times are wall-clock seconds of the render
as a user waits for it; the review itself is not timed. `before` is the same HTML laid out the way
it was before the fast path (system fonts, collector on: html_to_pdf(fast=False)), measured in the
same process, interleaved. Inputs: the examples/ dossiers with the shipped rules and checklist, or
--dossier.

--compare renders every report both ways and checks that the pages are the same: each page as a
60 dpi PNG (pdftoppm, poppler-utils) byte for byte, and the text (pdftotext -layout).

Run: .venv/bin/python bench/pdf_render.py [--repeat 5] [--dossier PATH ...] [--compare]
Numbers are printed, never asserted: timings belong here, not in tests.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ("report", "opinion")


def _prepare(path: Path):
    from prereview.engine import load_dossier, load_rulebook, run_review
    from prereview.engine.checklist import apply_answers, load_checklist

    review = run_review(load_dossier(path), load_rulebook())
    return review, apply_answers(review, load_checklist(review.kind), None)


def _render(review, checklist, template: str, fast: bool = True) -> tuple[float, bytes]:
    from prereview.reports.render import html_to_pdf, render_report

    start = time.perf_counter()
    if fast:
        pdf = render_report(review, template=template, fmt="pdf", checklist=checklist)
    else:
        html = render_report(review, template=template, fmt="html", checklist=checklist).decode()
        pdf = html_to_pdf(html, fast=False)
    return time.perf_counter() - start, pdf


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader  # the `test` extra

    return len(PdfReader(io.BytesIO(pdf)).pages)


def child(path: str, template: str) -> None:
    """One cold render in this fresh process; prints seconds and bytes as JSON."""
    review, checklist = _prepare(Path(path))
    seconds, pdf = _render(review, checklist, template)
    print(json.dumps({"seconds": seconds, "bytes": len(pdf)}))


def _same_pages(a: bytes, b: bytes) -> str:
    """'same', or what differs, between two PDFs as poppler renders and extracts them."""
    with tempfile.TemporaryDirectory() as tmp:
        out = {}
        for name, pdf in (("a", a), ("b", b)):
            (Path(tmp) / f"{name}.pdf").write_bytes(pdf)
            subprocess.run(["pdftoppm", "-r", "60", "-png", f"{name}.pdf", name], cwd=tmp, check=True)
            text = subprocess.run(["pdftotext", "-layout", f"{name}.pdf", "-"], cwd=tmp, check=True,
                                  capture_output=True).stdout
            pngs = sorted(Path(tmp).glob(f"{name}-*.png"))
            out[name] = ([p.read_bytes() for p in pngs], text)
        (pa, ta), (pb, tb) = out["a"], out["b"]
        if len(pa) != len(pb):
            return f"pages {len(pa)} / {len(pb)}"
        differ = [i + 1 for i, (x, y) in enumerate(zip(pa, pb)) if x != y]
        problems = ([f"pages {differ} differ"] if differ else []) + ([] if ta == tb else ["text differs"])
        return "; ".join(problems) or "same"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="warm renders per report (median is shown)")
    parser.add_argument("--dossier", type=Path, action="append", help="dossier file (default: examples/*.yaml)")
    parser.add_argument("--compare", action="store_true", help="check the pages are those of the old path")
    parser.add_argument("--child", nargs=2, metavar=("DOSSIER", "TEMPLATE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    paths = args.dossier or sorted(p for p in (ROOT / "examples").glob("*.yaml") if p.name != "expected.yaml")
    if args.compare:
        bad = 0
        for path in paths:
            review, checklist = _prepare(path)
            for template in TEMPLATES:
                verdict = _same_pages(_render(review, checklist, template, fast=False)[1],
                                      _render(review, checklist, template)[1])
                bad += verdict != "same"
                print(f"{path.name:44} {template:8} {verdict}")
        print(f"\n{bad} report(s) differ" if bad else "\nevery page and its text the same")
        sys.exit(1 if bad else 0)
    _render(*_prepare(paths[0]), "report")  # compact faces into the cache folder before any cold run
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print(f"{'dossier':44} {'template':8} {'pages':>5} {'KB':>5} {'cold s':>7} {'warm s':>7} "
          f"{'ms/page':>7} {'before s':>8} {'ratio':>6}")
    rows = []
    for path in paths:
        try:
            review, checklist = _prepare(path)
        except Exception as exc:  # a dossier the rules reject is not a render benchmark
            print(f"{path.name:44} skipped: {type(exc).__name__}")
            continue
        for template in TEMPLATES:
            cold = json.loads(subprocess.run(
                [sys.executable, __file__, "--child", str(path), template],
                check=True, capture_output=True, text=True).stdout)
            _render(review, checklist, template)  # warm up this process
            _render(review, checklist, template, fast=False)
            runs, before = [], []
            for _ in range(args.repeat):  # interleaved: both see the same load
                runs.append(_render(review, checklist, template))
                before.append(_render(review, checklist, template, fast=False)[0])
            warm, old = statistics.median(s for s, _ in runs), statistics.median(before)
            pdf = runs[-1][1]
            pages = _pages(pdf)
            rows.append((template, pages, cold["seconds"], warm, old))
            print(f"{path.name:44} {template:8} {pages:>5} {len(pdf) / 1024:>5.0f} {cold['seconds']:>7.2f} "
                  f"{warm:>7.2f} {warm / pages * 1000:>7.0f} {old:>8.2f} {warm / old:>6.2f}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    for template in TEMPLATES:
        mine = [r for r in rows if r[0] == template]
        if mine:
            med = statistics.median
            print(f"{template:8} median of {len(mine)}: {med(r[1] for r in mine):.0f} pages, "
                  f"cold {med(r[2] for r in mine):.2f} s, warm {med(r[3] for r in mine):.2f} s "
                  f"({med(r[3] / r[1] for r in mine) * 1000:.0f} ms a page; "
                  f"{sum(r[3] <= 0.5 for r in mine)} of {len(mine)} ≤ 0.5 s), "
                  f"before {med(r[4] for r in mine):.2f} s, ratio {med(r[3] / r[4] for r in mine):.2f}")


if __name__ == "__main__":
    main()
