"""Benchmark `prereview evaluate`: files per second for 1 and 2 worker processes and a 2-worker Dask LocalCluster,
peak memory, and the ratio to the bare cost of a review (dossier already loaded) and of loading.

Run: nice .venv/bin/python bench/evaluate.py [--files 2000] [--no-dask]
The batch is examples/case-files repeated with a number in each title (every file its own sha256), written to a
scratch folder under bench/ (removed afterwards). Wall-clock time of each run into a fresh store; printed, never
asserted (tests hold no timings).
"""
from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

from prereview.api.evaluate import evaluate
from prereview.engine import load_dossier, load_rulebook, run_review
from prereview.engine.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "examples" / "case-files"


def _batch(folder: Path, n: int) -> None:
    texts = [p.read_text("utf-8") for p in sorted(SRC.glob("*.yaml"))]
    folder.mkdir(parents=True)
    for i in range(n):
        text = texts[i % len(texts)]
        (folder / f"case-{i:06d}.yaml").write_text(text.replace("title: ", f"title: 第{i}号 ", 1), "utf-8")


def _bare(rulebook, n: int = 200) -> tuple[float, float]:
    """Seconds per file to load (parse + validate) and to review an already loaded dossier."""
    paths = sorted(SRC.glob("*.yaml"))
    t0 = time.perf_counter()
    loaded = [load_dossier(paths[i % len(paths)]) for i in range(n)]
    t1 = time.perf_counter()
    for ld in loaded:
        run_review(ld, rulebook)
    t2 = time.perf_counter()
    return (t1 - t0) / n, (t2 - t1) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()
    rulebook = load_rulebook()
    rubric = load_rubric("guangdong-231", rulebook)
    scratch = ROOT / "bench" / "_evaluate_scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        _batch(scratch / "cases", args.files)
        load_s, review_s = _bare(rulebook)
        print(f"bare, per file: load {load_s * 1000:.2f} ms, review {review_s * 1000:.2f} ms "
              f"(load/review {load_s / review_s:.2f}); bare rate {1 / (load_s + review_s):.0f} files/s in one process")
        runs = [("1 process", {"jobs": 1}), ("2 processes", {"jobs": 2})]
        if not args.no_dask:
            from distributed import Client, LocalCluster
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None)
            client = Client(cluster)
            runs.append(("Dask LocalCluster, 2 workers", {"scheduler": "local",
                                                           "dask_options": {"client": client, "chunk": 64}}))
        for name, kw in runs:
            out = scratch / name.replace(" ", "_").replace(",", "")
            t0 = time.perf_counter()
            summary = evaluate([scratch / "cases"], rubric, rulebook, out, **kw)
            spent = time.perf_counter() - t0
            assert summary["status"]["scored"] == args.files, summary["status"]
            rate = args.files / spent
            print(f"{name}: {args.files} files in {spent:.1f} s = {rate:.0f} files/s "
                  f"({rate * (load_s + review_s):.2f} x the bare one-process rate)")
        if not args.no_dask:
            client.close()
            cluster.close()
        me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory: driver {me:.0f} MB, largest worker process {kids:.0f} MB")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
