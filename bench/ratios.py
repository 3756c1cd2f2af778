"""Benchmark: the figures a user feels, each as a ratio to a reference measured in the same run.

1. full review as `check FILE --format json` does it in process (file text -> parse -> validate -> facts
   -> match -> findings -> JSON) vs bare durable on the same compiled rulesets and facts (the matcher's
   assert/get/delete of the review's one batch, nothing else); CPU time of this thread, median of rounds;
2. `check FOLDER --format jsonl` on N generated dossiers (bench/folder_check.py: examples/ with small
   variations) with --jobs 1 and 2: wall per dossier vs the in-process review, time to first output,
   peak RSS of the command and PSS of all its processes; --jobs 2 vs --jobs 1 beside what the machine
   gives two CPU-bound processes at that moment;
3. cold start (a fresh process each run, median wall): `prereview --help`, `schema`, `init` and
   `check ONE` vs `python -c "import pydantic, prereview.durable.lang"` (the issue's reference);
4. PDF of the report per report and per page, warm (same process, median) and cold (a fresh process,
   imports and the review excluded).

Run: .venv/bin/python bench/ratios.py [--quick] [--n 1000 10000] [--skip folder,pdf]
Numbers are printed, never asserted: timings belong here, not in tests.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import cpu_median  # bench/timing.py (this folder is on sys.path when a bench script runs)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).with_name("prereview")
REFERENCE = [sys.executable, "-c", "import pydantic, prereview.durable.lang"]


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dossier_texts() -> list[tuple[str, str]]:
    paths = [p for p in sorted((ROOT / "examples").glob("*")) if p.suffix in (".yaml", ".json") and p.name != "expected.yaml"]
    return [(p.name, p.read_text(encoding="utf-8")) for p in paths]


def review_vs_durable(rounds: int) -> list[tuple[str, str, str]]:
    from prereview.engine import load_dossier_text, load_rulebook, matcher, run_review

    book = load_rulebook()
    texts = _dossier_texts()
    captured = []
    original = matcher.Matcher.match

    def spy(self, facts):
        captured.append((self, facts))
        return original(self, facts)
    matcher.Matcher.match = spy
    try:
        for name, text in texts:  # warm: every kind's rulesets compiled, the calendar built
            run_review(load_dossier_text(text, name), book)
    finally:
        matcher.Matcher.match = original

    def full():
        for name, text in texts:
            json.dumps(run_review(load_dossier_text(text, name), book).to_dict(), ensure_ascii=False, indent=2)

    def bare():
        for m, facts in captured:
            m.match(facts)

    n = len(texts)
    f, b = cpu_median(full, rounds) / n, cpu_median(bare, rounds) / n
    reads = {m: m.reads for m, _ in captured}

    class Every(frozenset):  # the matcher asserts only what a condition names; here, for comparison, all
        def __contains__(self, _):
            return True
    for m in reads:
        m.reads = Every()
    try:
        every = cpu_median(bare, rounds) / n
    finally:
        for m, kept in reads.items():
            m.reads = kept
    chunks = sorted({len(m.names) for m, _ in captured})
    return [("full review, file text -> JSON (CPU per dossier)", f"{f * 1000:.2f} ms", f"{f / b:.2f}x bare durable"),
            (f"bare durable, same rulesets and facts ({n} examples; {'/'.join(map(str, chunks))} rulesets a kind)",
             f"{b * 1000:.2f} ms", "1.00x"),
            ("  the same given every attribute of the facts", f"{every * 1000:.2f} ms",
             f"{every / b:.2f}x (full review {f / every:.2f}x it)"),
            ("  reviews per second, one process (full / bare)", f"{1 / f:.0f} / {1 / b:.0f}", "")]


def _wall(argv: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def cold_start(runs: int) -> list[tuple[str, str, str]]:
    one = str(ROOT / "examples" / "wuwei-old-town-renewal.yaml")
    ref = _wall(REFERENCE, runs)
    bare = _wall([sys.executable, "-c", "pass"], runs)
    rows = [('python -c "import pydantic, prereview.durable.lang"', f"{ref * 1000:.0f} ms", "1.00x"),
            ('python -c "pass"', f"{bare * 1000:.0f} ms", f"{bare / ref:.2f}x")]
    for label, args in (("prereview --help", ["--help"]), ("prereview schema", ["schema"]),
                        ("prereview init", ["init"]), ("prereview check ONE (json)", ["check", one, "--format", "json"])):
        w = _wall([str(BIN), *args], runs)
        rows.append((label, f"{w * 1000:.0f} ms", f"{w / ref:.2f}x"))
    return rows


def folder(ns: list[int], jobs: list[int], in_process: int) -> list[tuple[str, str, str]]:
    fc = _bench("folder_check")
    rows = []
    for n in ns:
        tmp = Path(tempfile.mkdtemp(prefix="prereview-ratios-"))
        try:
            fc.generate(tmp, n)
            per, _ = fc.in_process(tmp, min(n, in_process))
            rows.append((f"{n:,} files: in-process review, read -> JSON (wall per dossier)", f"{per * 1000:.1f} ms", "1.00x"))
            results = {}
            for j in jobs:
                r = results[j] = fc.run_cli(tmp, j, "jsonl")
                rows.append((f"  check FOLDER --jobs {j}: wall per dossier", f"{r['wall'] / n * 1000:.1f} ms",
                             f"{r['wall'] / n / per:.2f}x in-process"))
                rows.append((f"  --jobs {j}: first output / peak RSS / PSS all processes",
                             f"{r['first']:.2f} s / {r['rss_parent_mb']:.0f} MB / {r['pss_tree_mb']:.0f} MB",
                             f"exit {r['exit']}"))
            if 1 in results:
                for j, r in results.items():
                    if j != 1:
                        rows.append((f"  --jobs {j} vs --jobs 1 (machine now gives 2 processes)",
                                     f"{results[1]['wall'] / r['wall']:.2f}x", f"{fc.machine_parallelism():.2f}x"))
            rows.append(("  stdout byte-identical across --jobs", str(len({r["sha256"] for r in results.values()}) == 1), ""))
        finally:
            shutil.rmtree(tmp)
    return rows


def pdf(paths: list[Path], repeat: int) -> list[tuple[str, str, str]]:
    pr = _bench("pdf_render")
    rows, warm_all, page_all, cold_all = [], [], [], []
    for path in paths:
        review, checklist = pr._prepare(path)
        cold = json.loads(subprocess.run([sys.executable, str(ROOT / "bench" / "pdf_render.py"), "--child", str(path), "report"],
                                         check=True, capture_output=True, text=True).stdout)["seconds"]
        pr._render(review, checklist, "report")
        runs = [pr._render(review, checklist, "report") for _ in range(repeat)]
        warm = statistics.median(s for s, _ in runs)
        pages = pr._pages(runs[-1][1])
        warm_all.append(warm)
        cold_all.append(cold)
        page_all.append(warm / pages)
        rows.append((f"  {path.name} ({pages} pages)", f"{warm:.2f} s warm, {cold:.2f} s cold",
                     f"{warm / pages * 1000:.0f} ms a page warm"))
    rows.insert(0, ("PDF report, median over examples (warm / cold)",
                    f"{statistics.median(warm_all):.2f} s / {statistics.median(cold_all):.2f} s",
                    f"{statistics.median(page_all) * 1000:.0f} ms a page warm"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds, 200 files, three PDFs")
    ap.add_argument("--n", type=int, nargs="+", help="folder sizes (default 1000 10000; --quick 200)")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--skip", default="", help="comma-separated: review,start,folder,pdf")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    rounds, runs, repeat = (3, 3, 2) if args.quick else (5, 7, 5)
    ns = args.n or ([200] if args.quick else [1000, 10000])
    pdfs = sorted(p for p in (ROOT / "examples").glob("*.yaml") if p.name != "expected.yaml")
    if args.quick:
        pdfs = pdfs[:3]
    print(f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    sections = []  # each printed as soon as it is measured: a long run interrupted keeps what it has
    if "review" not in skip:
        sections.append(lambda: review_vs_durable(rounds))
    if "start" not in skip:
        sections.append(lambda: cold_start(runs))
    if "folder" not in skip:
        sections.append(lambda: folder(ns, args.jobs, 100 if args.quick else 300))
    if "pdf" not in skip:
        sections.append(lambda: pdf(pdfs, repeat))
    for section in sections:
        for what, figure, ratio in section():
            print(f"{what:<72}  {figure:>26}  {ratio}", flush=True)
    print(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
