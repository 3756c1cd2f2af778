"""Benchmark: `prereview check FOLDER` as a user runs it, against the in-process review of the same files.

For N files (generated into a temporary folder from examples/, each with a small variation: its title
and the sponsor's name carry its number, and a step's date moves by up to a week) and for each --jobs,
it runs the installed CLI and reports
- wall time per dossier, and its ratio to the in-process review (read + parse + validate + review +
  JSON, one process, measured in the same run);
- time to first output (first byte on stdout, from the start of the process);
- peak RSS of the parent process and of the whole process tree (parent + workers, sampled every 20 ms).
It also checks that every --jobs gives byte-identical stdout.

Run: .venv/bin/python bench/folder_check.py [--n 1000 10000] [--jobs 1 2] [--format jsonl]
Numbers are printed, never asserted: timings belong here, not in tests.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from prereview.engine import load_dossier, load_rulebook, run_review

ROOT = Path(__file__).resolve().parent.parent
CLI = [str(Path(sys.executable).with_name("prereview"))]


def _examples() -> list[tuple[str, dict]]:
    out = []
    for path in sorted((ROOT / "examples").iterdir()):
        if path.suffix in (".yaml", ".json"):
            data = yaml.safe_load(path.read_text("utf-8"))
            if isinstance(data, dict) and "decision" in data:
                out.append((path.suffix, data))
    return out


def generate(folder: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    examples = _examples()
    for i in range(n):
        suffix, data = examples[i % len(examples)]
        data = json.loads(json.dumps(data, default=str))
        data["decision"]["title"] += f"（第 {i} 号）"
        if "sponsor" in data["decision"]:
            data["decision"]["sponsor"] += f"{i % 7}"
        steps = data.get("steps") or []
        if steps and rng.random() < 0.5:
            step = rng.choice(steps)
            for key, value in step.items():
                if key.endswith("_on") and isinstance(value, str):
                    day = dt.date.fromisoformat(value) + dt.timedelta(days=rng.randint(-7, 7))
                    step[key] = day.isoformat()
                    break
        sub = folder / f"{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        target = sub / f"d{i:05d}{suffix}"
        if suffix == ".json":
            target.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
        else:
            target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def in_process(folder: Path, limit: int) -> tuple[float, float]:
    """(wall, CPU) seconds per dossier for the whole review in one process, on the first `limit` files."""
    book = load_rulebook()
    files = sorted(p for p in folder.rglob("*") if p.is_file())[:limit]
    run_review(load_dossier(files[0]), book)  # warm
    start, cpu = time.perf_counter(), time.process_time()
    for f in files:
        json.dumps(run_review(load_dossier(f), book).to_dict(), ensure_ascii=False)
    return (time.perf_counter() - start) / len(files), (time.process_time() - cpu) / len(files)


def _tree_rss(pid: int) -> tuple[int, int]:
    """(RSS of pid, PSS of pid and its descendants) in KiB, from /proc. PSS shares the pages the
    forked workers have in common with the parent instead of counting them once per process."""
    def field(p, name, file="status"):
        try:
            for line in Path(f"/proc/{p}/{file}").read_text().splitlines():
                if line.startswith(name):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def rss(p):
        return field(p, "Pss:", "smaps_rollup")

    def children(p):
        out = []
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
        return out
    own = field(pid, "VmRSS:")
    total, todo = rss(pid), children(pid)
    while todo:
        c = todo.pop()
        total += rss(c)
        todo += children(c)
    return own, total


def run_cli(folder: Path, jobs: int, fmt: str) -> dict:
    start = time.perf_counter()
    proc = subprocess.Popen(CLI + ["check", str(folder), "--format", fmt, "--jobs", str(jobs)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak = [0, 0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            own, total = _tree_rss(proc.pid)
            peak[0], peak[1] = max(peak[0], own), max(peak[1], total)
            time.sleep(0.02)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    digest = hashlib.sha256()
    first = proc.stdout.read(1)
    first_at = time.perf_counter() - start
    digest.update(first)
    while chunk := proc.stdout.read(1 << 16):
        digest.update(chunk)
    _, status, usage = os.wait4(proc.pid, 0)  # CPU of the command and of the workers it reaped
    wall = time.perf_counter() - start
    code = proc.returncode = os.waitstatus_to_exitcode(status)
    stop.set()
    sampler.join()
    return {"wall": wall, "first": first_at, "rss_parent_mb": peak[0] / 1024, "pss_tree_mb": peak[1] / 1024,
            "cpu": usage.ru_utime + usage.ru_stime, "exit": code, "sha256": digest.hexdigest()[:16]}


_SPIN = "import time\nt = time.perf_counter()\ns = 0\nfor i in range(10_000_000): s += i\nprint(time.perf_counter() - t)"


def machine_parallelism() -> float:
    """What 2 processes get from this machine now: 2 × (one CPU loop alone) / (two at once). 2.0 on two
    idle cores; less when the cores are shared with other work. The --jobs 2 speed-up is bounded by it."""
    def spin(k):
        procs = [subprocess.Popen([sys.executable, "-c", _SPIN], stdout=subprocess.PIPE) for _ in range(k)]
        return max(float(p.communicate()[0]) for p in procs)
    return 2 * spin(1) / spin(2)


def startup() -> float:
    """Wall of `check ONE` on the first example: interpreter, imports and rulebook included."""
    best = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(CLI + ["check", str(ROOT / "examples" / "wuwei-old-town-renewal.yaml"), "--format", "jsonl"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        best.append(time.perf_counter() - start)
    return min(best)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--format", default="jsonl")
    ap.add_argument("--in-process", type=int, default=300, help="files timed in process")
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.1f}, format: {args.format}")
    print(f"check ONE (start-up + one review): {startup():.2f} s")
    print(f"machine parallelism for 2 processes: {machine_parallelism():.2f}x (2.00 = two free cores)")
    for n in args.n:
        tmp = Path(tempfile.mkdtemp(prefix="prereview-bench-"))
        try:
            generate(tmp, n)
            per, per_cpu = in_process(tmp, min(n, args.in_process))
            print(f"\n{n} files; in-process review {per * 1000:.1f} ms/dossier wall, {per_cpu * 1000:.1f} ms CPU")
            results = {}
            for jobs in args.jobs:
                r = results[jobs] = run_cli(tmp, jobs, args.format)
                print(f"  --jobs {jobs}: wall {r['wall']:.1f} s = {r['wall'] / n * 1000:.1f} ms/dossier "
                      f"({r['wall'] / n / per:.2f}x in-process); CPU {r['cpu'] / n * 1000:.1f} ms/dossier "
                      f"({r['cpu'] / n / per_cpu:.2f}x in-process, all processes); first output {r['first']:.2f} s, "
                      f"peak RSS parent {r['rss_parent_mb']:.0f} MB, PSS all processes {r['pss_tree_mb']:.0f} MB, "
                      f"exit {r['exit']}, stdout {r['sha256']}")
            if 1 in results:
                for jobs, r in results.items():
                    if jobs != 1:
                        print(f"  speed-up --jobs {jobs} vs 1: {results[1]['wall'] / r['wall']:.2f}x "
                              f"(machine now: {machine_parallelism():.2f}x)")
            print(f"  stdout identical across --jobs: {len({r['sha256'] for r in results.values()}) == 1}")
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
