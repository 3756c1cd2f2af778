"""Benchmark: the HTTP service on loopback — POST /v1/reviews with 1, 8 and 32 concurrent clients (reviews
per second, p50/p99 latency), the PDF report's latency, and the same review in-process, so the service's
overhead is a ratio.

Run: .venv/bin/python bench/service_load.py [--seconds 10] [--postgres URL] [--workers 2]
Each database gets a fresh data folder (SQLite) or a fresh database on the PostgreSQL server named by
--postgres (for example postgresql+psycopg://postgres@/postgres?host=/tmp/pg&port=54329).
Numbers are printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "rules" / "_fixtures" / "major-decision-compliant.yaml"
WUWEI = ROOT / "examples" / "wuwei-old-town-renewal.yaml"


def _dossiers(n: int) -> list[bytes]:
    data = yaml.safe_load(BASE.read_text("utf-8"))
    out = []
    for i in range(n):
        data["decision"]["title"] = f"负载测试卷宗 {i}"
        out.append(yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8"))
    return out


def _fresh_postgres(server: str) -> str:
    import sqlalchemy
    name = f"prereview_bench_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    return sqlalchemy.engine.make_url(server).set(database=name).render_as_string(hide_password=False)


class Server:
    def __init__(self, data: Path, url: str, workers: int):
        self.env = dict(os.environ, PREREVIEW_DATA_DIR=str(data), PREREVIEW_WORKERS=str(workers))
        if url:
            self.env["PREREVIEW_DATABASE_URL"] = url
        cli = [sys.executable, "-m", "prereview.api.cli"]
        self.token = subprocess.run(cli + ["token", "create", "--org", "基准测试", "--role", "submitter"],
                                    env=self.env, capture_output=True, text=True, check=True).stdout.strip()
        self.proc = subprocess.Popen(cli + ["serve", "--port", "0"], env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.port = None
        ready = threading.Event()

        def read():
            for line in self.proc.stderr:
                m = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()
        threading.Thread(target=read, daemon=True).start()
        ready.wait(120)
        if not self.port:
            raise SystemExit("the server did not start")
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


def _load(server: Server, clients: int, seconds: float, dossiers: list[bytes]) -> dict:
    latencies: list[float] = []
    errors = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(n: int):
        headers = {"Authorization": f"Bearer {server.token}", "content-type": "application/yaml"}
        with httpx.Client(base_url=server.url, timeout=120) as http:
            i = n
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = http.post("/v1/reviews", content=dossiers[i % len(dossiers)], headers=headers)
                dt = time.perf_counter() - t0
                with lock:
                    (latencies if r.status_code == 201 else errors).append(dt if r.status_code == 201 else r.status_code)
                i += clients

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {"clients": clients, "reviews": len(latencies), "per_second": len(latencies) / elapsed,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "errors": len(errors)}


def _pdf(server: Server, n: int = 5) -> list[float]:
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, timeout=120, headers=headers) as http:
        created = http.post("/v1/reviews", content=WUWEI.read_bytes(), headers={"content-type": "application/yaml"})
        url = created.json()["links"]["report_pdf"]
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            assert http.get(url).status_code == 200
            times.append(time.perf_counter() - t0)
    return times


def _billion_laughs(server: Server) -> float:
    """Seconds until a "billion laughs" document (10^9 values with its aliases expanded) is refused."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(10))}]" for i in range(1, 10)]
    lines.append("decision: *a9")
    headers = {"Authorization": f"Bearer {server.token}", "content-type": "application/yaml"}
    t0 = time.perf_counter()
    r = httpx.post(server.url + "/v1/reviews", content="\n".join(lines).encode(), headers=headers, timeout=60)
    assert r.status_code == 422, r.text
    return time.perf_counter() - t0


def _in_process(seconds: float) -> float:
    from prereview.engine import app, load_rulebook
    from prereview.engine.calendar import load_calendar

    rulebook, calendar = load_rulebook(), load_calendar()
    dossiers = _dossiers(50)
    app.review_bytes(dossiers[0], "x.yaml", rulebook, calendar=calendar)  # register the rulesets
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        app.review_bytes(dossiers[n % len(dossiers)], "x.yaml", rulebook, calendar=calendar)
        n += 1
    return (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--postgres", help="a PostgreSQL server URL (SQLAlchemy form) to measure as well")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    per_review = _in_process(args.seconds / 2)
    print(f"in-process review (parse + validate + match, one process): {1000 * per_review:.1f} ms "
          f"= {1 / per_review:.0f} reviews/s")
    dossiers = _dossiers(200)
    backends = [("sqlite", "")] + ([("postgresql", _fresh_postgres(args.postgres))] if args.postgres else [])
    for name, url in backends:
        with tempfile.TemporaryDirectory() as tmp:
            server = Server(Path(tmp), url, args.workers)
            try:
                _load(server, 2, 2, dossiers)  # warm-up: workers started, rulesets registered
                for clients in (1, 8, 32):
                    r = _load(server, clients, args.seconds, dossiers)
                    print(f"{name:<10} clients {clients:>2}: {r['per_second']:6.1f} reviews/s  p50 {r['p50_ms']:7.1f} ms"
                          f"  p99 {r['p99_ms']:7.1f} ms  ({r['reviews']} reviews, {r['errors']} errors; "
                          f"p50 / in-process {r['p50_ms'] / (1000 * per_review):.1f}x)")
                print(f"{name:<10} billion laughs refused (422) in {1000 * _billion_laughs(server):.0f} ms")
                times = _pdf(server)
                print(f"{name:<10} GET report.pdf: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
                      f"({len(times)} requests)")
            finally:
                server.stop()


if __name__ == "__main__":
    main()
