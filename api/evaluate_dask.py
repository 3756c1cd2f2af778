"""`prereview evaluate … --scheduler tcp://host:8786`: the same batch on Dask distributed (a door, like the CLI:
the engine knows nothing of Dask).

Start `dask scheduler` on one host and `dask worker tcp://host:8786 --nthreads 1` on each (one review at a time
per process: durable-rules keeps global state). Each worker loads the rulebook once (it must be the driver's:
the digest is compared) and reviews and scores whole chunks of files (a review costs milliseconds, a Dask task
a few): each chunk's records are stored by the driver as soon as the chunk finishes, in whatever order chunks
finish, so a driver killed mid-batch and restarted re-runs no finished chunk.

A worker killed by a crash in the rule engine (a segfault) is restarted by Dask, which re-runs its tasks; a task
that has been on `allowed-failures` workers that died (the scheduler's `distributed.scheduler.allowed-failures`,
3 by default; set it explicitly when you start the scheduler) ends as KilledWorker. The files of such a chunk
are then run again one per task, one such task at a time (so a death has one suspect), and a file whose own task
is lost twice is the one that kills its worker: an engine crash with its path, counted, never a hole in the
statistics. Not done: a per-file time limit (a file that hangs holds its worker).
"""
from __future__ import annotations

import os
import signal
from collections import Counter, deque
from pathlib import Path

CHUNK = 32
SINGLE_TRIES = 2  # a file run alone whose task is lost this many times is the one that crashes its worker
_WORKER_STATE: dict = {}  # per worker process: (rules spec) -> (rulebook, digest)


class RulebookMismatch(RuntimeError):
    """A worker's installed rules are not the driver's: no file of the batch can be scored there."""


def _rulebook(rules: tuple):
    if rules not in _WORKER_STATE:
        from prereview.engine.rulebook import load_rulebook
        rules_dir, packs, extra = rules
        rb = load_rulebook(rules_dir, packs, extra=extra)
        _WORKER_STATE[rules] = rb
    return _WORKER_STATE[rules]


def score_chunk(files: list[tuple[int, str, bool, str | None]], rubric, rules: tuple, digest: str, calendar,
                crash_marker: str | None = None) -> list:
    """In a worker: review and score each (index, path, in_folder, sha256); [(index, record or Skipped)]."""
    from prereview.api.evaluate import _record, _scorer
    from prereview.engine.batch import Task, review_file

    rulebook = _rulebook(rules)
    if rulebook.digest != digest:
        raise RulebookMismatch(f"工作进程的规则库与驱动程序不同（{rulebook.digest[:12]} ≠ {digest[:12]}）：请在各主机安装同一版本 "
                           "(the worker's rulebook differs from the driver's)")
    shas = {path: sha for _, path, _, sha in files}
    out = []
    for index, path, in_folder, sha in files:
        if crash_marker and crash_marker in os.path.basename(path):  # test only: a file that kills its worker
            os.kill(os.getpid(), signal.SIGSEGV)
        outcome = review_file(Task(index, Path(path), in_folder), rulebook, None, _scorer(rubric, shas), calendar)
        out.append((index, outcome.skipped or _record(outcome, sha)))
    return out


def records(todo, shas, rubric, rulebook, store, scheduler, *, calendar=None, rules=(None, None, ()),
            chunk: int = CHUNK, crash_marker: str | None = None, client=None):
    """One record (or Skipped) per file of `todo`, in order; each chunk stored as soon as it finishes."""
    from distributed import Client, as_completed

    from prereview.api.evaluate import keep
    from prereview.engine.batch import engine_problem

    own = client is None
    client = client or Client(scheduler)
    files = [(i, str(t.path), t.in_folder, shas[str(t.path)]) for i, t in enumerate(todo)]
    args = (rubric, rules, rulebook.digest, calendar, crash_marker)
    done: dict[int, object] = {}
    emitted = 0
    singles: deque = deque()  # files of lost chunks, run one at a time: a death then has one suspect
    deaths: Counter = Counter()
    in_flight: list = []
    try:
        parts: dict[str, list] = {}  # a task's key -> its files

        def submit(part: list):
            future = client.submit(score_chunk, part, *args, pure=False)
            parts[future.key] = part
            return future

        pending = as_completed([submit(files[k:k + chunk]) for k in range(0, len(files), chunk)])
        for future in pending:
            results = []
            part = parts.pop(future.key)
            if len(part) == 1 and future in in_flight:
                in_flight.remove(future)
            try:
                results = future.result()
            except RulebookMismatch:
                raise
            except Exception as exc:  # KilledWorker or any error: a chunk's files go one by one
                if len(part) > 1:
                    singles.extend(part)
                else:
                    index, path, _, sha = part[0]
                    deaths[index] += 1
                    if deaths[index] < SINGLE_TRIES:  # it may have shared a dying worker with the real culprit
                        singles.appendleft(part[0])
                    else:
                        results = [(index, {"status": "engine-failure", "path": path, "sha256": sha, "problems": [
                            engine_problem(path, f"审查进程多次意外终止（{type(exc).__name__}，规则引擎崩溃）").to_dict()]})]
            if singles and not in_flight:
                in_flight.append(submit([singles.popleft()]))
                pending.add(in_flight[-1])
            for index, rec in results:
                if isinstance(rec, dict):
                    keep(store, rec)
                done[index] = rec
            while emitted in done:
                yield done.pop(emitted)
                emitted += 1
    finally:
        if own:
            client.close()
