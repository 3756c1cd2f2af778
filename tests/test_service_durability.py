"""A review acknowledged with 201 survives kill -9 of the service: a real server process, concurrent
submissions, SIGKILL while they stream in, a restart, and every acknowledged review read back intact."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from service_fixtures import dossier_bytes, fresh_database_url, late_review, titled

CLIENTS = 6
KILL_AFTER = 30  # acknowledged reviews before the kill; the clients are still sending


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            pass
    return out | {g for c in list(out) for g in _children(c)}


class Server:
    """`prereview serve --port 0` in a child process; the port is read from its start-up line."""

    def __init__(self, data: Path, database_url: str = ""):
        env = dict(os.environ, PREREVIEW_DATA_DIR=str(data), PREREVIEW_WORKERS="2")
        if database_url:
            env["PREREVIEW_DATABASE_URL"] = database_url
        self.proc = subprocess.Popen([sys.executable, "-m", "prereview.api.cli", "serve", "--port", "0"],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.port = None
        threading.Thread(target=self._read, daemon=True).start()
        assert self.ready.wait(120), "the server did not start:\n" + "".join(self.lines)
        assert self.port, "".join(self.lines)
        self.url = f"http://127.0.0.1:{self.port}"

    def _read(self):
        for line in self.proc.stdout:  # stderr too (start-up, access log)
            self.lines.append(line)
            m = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                self.ready.set()
        self.ready.set()  # the process ended

    def kill(self, sig=signal.SIGKILL):
        family = _children(self.proc.pid)
        self.proc.send_signal(sig)
        self.proc.wait(60)
        for pid in family:  # its worker processes, which this test started
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _token(data: Path, database_url: str) -> str:
    env = dict(os.environ, PREREVIEW_DATA_DIR=str(data))
    if database_url:
        env["PREREVIEW_DATABASE_URL"] = database_url
    out = subprocess.run([sys.executable, "-m", "prereview.api.cli", "token", "create", "--org", "武威市司法局",
                          "--role", "submitter", "--name", "耐久测试"], env=env, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_every_acknowledged_review_survives_kill_9(tmp_path):
    data = tmp_path / "data"
    url = fresh_database_url()  # SQLite in data/, or a new PostgreSQL database in CI's second run
    token = _token(data, url)
    assert token.startswith("prv_")
    server = Server(data, url)
    acked: list[tuple[str, bytes, dict]] = []
    lock = threading.Lock()
    enough = threading.Event()
    failures: list[str] = []

    def client(n: int) -> None:
        headers = {"Authorization": f"Bearer {token}", "content-type": "application/yaml"}
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for i in range(10_000):
                base = late_review() if i % 2 else None
                raw = dossier_bytes(titled(f"耐久测试 {n}-{i}", base))
                try:
                    r = http.post("/v1/reviews", content=raw, headers=headers)
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code != 201:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                    return
                with lock:
                    acked.append((r.json()["id"], raw, r.json()))
                    if len(acked) >= KILL_AFTER:
                        enough.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        assert enough.wait(600), f"only {len(acked)} reviews acknowledged; {failures[:3]}"
        server.kill()
    finally:
        if server.proc.poll() is None:
            server.kill()
        for t in threads:
            t.join(120)
    assert not failures, failures[:3]
    assert len(acked) >= KILL_AFTER

    again = Server(data, url)
    try:
        with httpx.Client(base_url=again.url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as http:
            for review_id, raw, body in acked:
                got = http.get(f"/v1/reviews/{review_id}")
                assert got.status_code == 200, (review_id, got.text)
                assert got.json()["review"] == body["review"]
                assert got.json()["dossier_sha256"] == body["dossier_sha256"]
                assert http.get(f"/v1/reviews/{review_id}/dossier").content == raw
            total = http.get("/v1/reviews", params={"limit": 1}).json()["total"]
            assert total >= len(acked)
            assert http.get("/healthz").json() == {"status": "ok"}
    finally:
        again.kill(signal.SIGTERM)
    logs = "".join(server.lines + again.lines)
    assert "POST /v1/reviews" in logs and "201" in logs  # the access log is there...
    assert "耐久测试" not in logs  # ...and no dossier text is in it
