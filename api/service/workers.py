"""Rule matching in worker processes (pebble), never in the web process.

durable-rules is a C extension with known crashes, and its Matcher reviews one dossier at a time per
process. Each worker is spawned (not forked: the web process has threads, and a fork while one holds a
lock hangs the child), loads the rulebook once and reviews one dossier at a time. A worker that dies
is replaced by the pool; the review is tried once more in a fresh worker, then answered 503. A review
past the time limit has its worker killed (and replaced) and is answered 503 too.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import signal
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from pebble import ProcessExpired, ProcessPool

_STATE: dict = {}


class WorkerCrashed(Exception):
    """The review's worker died twice (or the pool could not run it)."""


class ReviewTimedOut(Exception):
    """The review took longer than the time limit."""


def _init(rules_dir: str | None, packs, faults: str | None) -> None:
    from prereview.engine import load_rulebook
    from prereview.engine.calendar import load_calendar
    from prereview.engine.matcher import prepare

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    rulebook = load_rulebook(Path(rules_dir) if rules_dir else None, list(packs) if packs else None, cases=False)
    prepare(rulebook)
    _STATE.update(rulebook=rulebook, calendar=load_calendar(), faults=faults)


def _fault_hooks(raw: bytes) -> None:
    """Tests only (armed by Settings.test_faults, a folder): a marker in the dossier kills the worker with
    SIGSEGV (every time, or only the first time for that dossier) or hangs it, as durable might."""
    faults = _STATE.get("faults")
    if not faults:
        return
    if b"[[test:segv]]" in raw:
        os.kill(os.getpid(), signal.SIGSEGV)
    if b"[[test:segv-once]]" in raw:
        flag = Path(faults) / hashlib.sha256(raw).hexdigest()
        try:
            flag.touch(exist_ok=False)
        except FileExistsError:
            return
        os.kill(os.getpid(), signal.SIGSEGV)
    if b"[[test:hang]]" in raw:
        threading.Event().wait()


def _review(raw: bytes, name: str, as_of: str | None) -> dict:
    """In a worker: {"review": ReviewOut JSON, "applied_rules": [...]} or {"problems": [...]} or {"engine": text}."""
    from prereview.engine import app
    from prereview.engine.errors import DossierError, EngineFailure

    _fault_hooks(raw)
    try:
        result = app.review_bytes(raw, name, _STATE["rulebook"], dt.date.fromisoformat(as_of) if as_of else None,
                                  _STATE["calendar"])
    except DossierError as err:
        return {"problems": [p.to_dict() for p in err.problems]}
    except EngineFailure as err:
        return {"engine": str(err)}
    return {"review": result.out.to_json(), "applied_rules": list(result.applied_rules)}


class ReviewPool:
    def __init__(self, workers: int, timeout: float, rules_dir: str | None = None, packs=None,
                 faults: str | None = None):
        self.timeout = timeout
        self.pool = ProcessPool(max_workers=workers, initializer=_init, initargs=(rules_dir, packs, faults),
                                context=multiprocessing.get_context("spawn"))

    def review(self, raw: bytes, name: str, as_of: dt.date | None = None) -> dict:
        """Blocks the calling thread until a worker answers; retries once if the worker died."""
        died = None
        for _attempt in range(2):
            future = self.pool.schedule(_review, args=(raw, name, as_of.isoformat() if as_of else None),
                                        timeout=self.timeout)
            try:
                return future.result()
            except FutureTimeout:
                raise ReviewTimedOut() from None
            except ProcessExpired as exc:  # killed by a signal (a durable crash) or exited
                died = exc
        raise WorkerCrashed(f"审查进程两次意外终止（{died}）")

    def close(self) -> None:
        self.pool.stop()
        self.pool.join()
