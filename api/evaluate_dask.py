"""`prereview evaluate … --scheduler tcp://host:8786`: the same batch on Dask distributed (a door, like the CLI:
the engine knows nothing of Dask).

Start `dask scheduler` on one host and `dask worker tcp://host:8786 --nthreads 1` on each (one review at a time
per process: durable-rules keeps global state; the worker's nanny, on by default, is what restarts it). Each
worker loads the rulebook once (it must be the driver's: the digest is compared) and reviews and scores chunks
of files (a review costs milliseconds, a Dask task a few).

- Each file's record is sent to the driver as soon as the file is done, through a `distributed.Queue` on the
  scheduler (a put returns once the scheduler holds it), and the driver stores it at once (keyed by sha256):
  a driver killed mid-batch and restarted re-runs no file whose record it had stored, and a worker's death
  costs only the files it had not finished.
- A chunk's task marks itself started (a `distributed.Event` on the scheduler). Dask re-runs the tasks of a
  worker that died; a re-run that finds its mark returns at once without reviewing, and the driver runs the
  chunk's files that have no record one per task, one such task at a time (so a death has one suspect). A file
  whose own task is lost twice is the one that kills its worker: an engine crash with its path, counted, never
  a hole in the statistics. A chunk that ends as KilledWorker (after the scheduler's
  `distributed.scheduler.allowed-failures`; set it explicitly) is handled the same way.
- A time limit per file (`--timeout`, 60 s): the driver sees when each file's record arrives; a chunk that has
  sent nothing for longer than that is stuck on its next file. That file becomes `timed-out` (not stored, tried
  again on the next run), the task is cancelled, its worker process is killed by its nanny (`Client.run(…,
  nanny=True)`; the nanny starts a new one, as after a crash) and the chunk's other unfinished files are sent
  again. Why the driver and not the worker: Dask runs tasks in worker threads, where `signal.alarm` cannot
  interrupt, a review stuck in the C rule engine may hold the GIL (no watchdog thread in that process could act),
  and forking a child per review from a multi-threaded worker process is unsafe; the nanny is a separate process,
  so it can always kill the worker, at once (`Client.restart_workers` first asks the worker to close and waits
  for it, which under load took minutes here). A worker without a nanny can only be let go.
Left on the scheduler: each batch's queue (the workers' copies hold references to it, so closing it from the
driver does not free it; it is empty when a batch ends), and, after a driver killed mid-batch, that driver's
queue and its tasks' marks, until the scheduler restarts.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import uuid
from collections import Counter, deque
from pathlib import Path

CHUNK = 32
SINGLE_TRIES = 2  # a file run alone whose task is lost this many times is the one that crashes its worker
POLL = 0.05  # seconds to wait when the queue was empty and no task had ended
_WORKER_STATE: dict = {}  # per worker process: (rules spec) -> rulebook
LOST = "lost"  # what a re-run of a task whose first run died returns


class RulebookMismatch(RuntimeError):
    """A worker's installed rules are not the driver's: no file of the batch can be scored there."""


def _rulebook(rules: tuple):
    if rules not in _WORKER_STATE:
        from prereview.engine.rulebook import load_rulebook
        rules_dir, packs, extra = rules
        rb = load_rulebook(rules_dir, packs, extra=extra)
        _WORKER_STATE[rules] = rb
    return _WORKER_STATE[rules]


def _kill_worker(dask_worker) -> int:
    """Run in a worker's nanny (its own process): SIGKILL the worker process, whatever its threads are stuck in;
    the nanny then starts a new one, as after a crash."""
    pid = dask_worker.pid
    if pid:
        os.kill(pid, signal.SIGKILL)
    return pid or 0


def score_chunk(part_id: str, files: list[tuple[int, str, bool, str | None]], queue, rubric, rules: tuple,
                digest: str, calendar) -> str:
    """In a worker: review and score each (index, path, in_folder, sha256), putting each file's message on
    `queue` as it is done; "done", or LOST when an earlier run of this very task had started (its worker died)."""
    from distributed import Event, get_worker

    from prereview.api.evaluate import _record, _scorer
    from prereview.engine.batch import Task, review_file

    started = Event(part_id)
    if started.is_set():
        return LOST
    started.set()
    rulebook = _rulebook(rules)
    if rulebook.digest != digest:
        raise RulebookMismatch(f"工作进程的规则库与驱动程序不同（{rulebook.digest[:12]} ≠ {digest[:12]}）：请在各主机安装同一版本 "
                               "(the worker's rulebook differs from the driver's)")
    queue.put(["start", part_id, get_worker().address])
    shas = {path: sha for _, path, _, sha in files}
    for index, path, in_folder, sha in files:
        outcome = review_file(Task(index, Path(path), in_folder), rulebook, None, _scorer(rubric, shas), calendar)
        if outcome.skipped:
            queue.put(["skip", part_id, index, outcome.skipped.path, outcome.skipped.reason])
        else:
            queue.put(["done", part_id, index, json.dumps(_record(outcome, sha), ensure_ascii=False)])
    return "done"


def records(todo, shas, rubric, rulebook, store, scheduler, *, calendar=None, rules=(None, None, ()),
            chunk: int = CHUNK, client=None, timeout: float | None = None):
    """One record (or Skipped) per file of `todo`, in order; each stored as soon as its worker reports it."""
    from distributed import Client, Event, Queue

    from prereview.api.evaluate import _say, keep
    from prereview.engine.batch import Skipped, engine_problem

    own = client is None
    client = client or Client(scheduler)
    run = uuid.uuid4().hex[:12]
    queue = Queue(f"prereview-{run}", client=client)
    files = [(i, str(t.path), t.in_folder, shas[str(t.path)]) for i, t in enumerate(todo)]
    args = (queue, rubric, rules, rulebook.digest, calendar)
    done: dict[int, object] = {}  # index -> record or Skipped, until emitted in order
    finished: set[int] = set()  # every index with a result: a second report of it is ignored
    emitted = 0
    parts: dict[str, list] = {}  # a task's id -> its files
    futures: dict[str, object] = {}
    running: dict[str, list] = {}  # a started task's id -> [worker address, when it last reported]
    singles: deque = deque()  # unfinished files of lost chunks, run one at a time: a death then has one suspect
    single: list = []  # the id of the single task in flight, if any
    deaths: Counter = Counter()
    counter = iter(range(1 << 62))
    marks: list[str] = []  # every task's mark, kept to the end: a finished task recomputed (Dask restores a
    # result lost with its worker while the driver still holds it) must not review its files again

    def submit(part: list) -> str:
        part_id = f"prereview-{run}-{next(counter)}"
        marks.append(part_id)
        parts[part_id] = part
        futures[part_id] = client.submit(score_chunk, part_id, part, *args, key=part_id, pure=False)
        return part_id

    def result(index: int, rec) -> None:
        if index in finished:
            return  # reported twice (a task run again): stored and counted once
        finished.add(index)
        if isinstance(rec, dict):
            keep(store, rec)
        done[index] = rec

    def forget(part_id: str) -> list:
        """The task is over: its files that have no result yet."""
        futures.pop(part_id, None)
        running.pop(part_id, None)
        if single and single[0] == part_id:
            single.clear()
        return [f for f in parts.pop(part_id) if f[0] not in finished]

    def lost(part: list, unfinished: list, why: str) -> None:
        if len(part) > 1:
            singles.extend(unfinished)
            return
        for f in unfinished:
            index, path, _, sha = f
            deaths[index] += 1
            if deaths[index] < SINGLE_TRIES:  # it may have shared a dying worker with the real culprit
                singles.appendleft(f)
            else:
                result(index, {"status": "engine-failure", "path": path, "sha256": sha, "problems": [
                    engine_problem(path, f"审查进程多次意外终止（{why}，规则引擎崩溃）").to_dict()]})

    def drain() -> int:
        messages = queue.get(batch=True)
        for msg in messages:
            kind, part_id = msg[0], msg[1]
            if kind == "start":
                if part_id in futures:
                    running[part_id] = [msg[2], time.monotonic()]
                continue
            if part_id in running:
                running[part_id][1] = time.monotonic()
            if kind == "skip":
                result(msg[2], Skipped(msg[3], msg[4]))
            else:
                result(msg[2], json.loads(msg[3]))
        return len(messages)

    def overdue() -> None:
        now = time.monotonic()
        for part_id, (address, since) in list(running.items()):
            if now - since <= timeout:
                continue
            if part_id not in client.processing().get(address, ()):  # (naming a worker that is gone raises)
                running[part_id][1] = now  # it is no longer there (its worker died): Dask deals with it
                continue
            part = parts[part_id]
            futures[part_id].cancel()
            unfinished = forget(part_id)
            if not unfinished:
                continue
            index, path, _, sha = unfinished[0]  # a chunk's files are done in order: this one is stuck
            result(index, {"status": "timed-out", "path": path, "sha256": sha, "problems": [
                engine_problem(path, f"审查超过时间上限 {timeout:g} 秒，已中止").to_dict()]})
            try:
                client.run(_kill_worker, workers=[address], nanny=True)
            except Exception as exc:  # no nanny: the scheduler can only let that worker go
                status = client.restart_workers([address], raise_for_error=False).get(address)
                _say(f"审查超时的工作进程 {address} 没有 nanny，无法由其终止（{type(exc).__name__}；{status}）："
                     "请检查该进程 (the stuck worker has no nanny to stop it)")
            if len(unfinished) > 1:
                (singles.extend if len(part) == 1 else submit)(unfinished[1:])

    try:
        for k in range(0, len(files), chunk):
            submit(files[k:k + chunk])
        while emitted < len(files):
            ready = [part_id for part_id, future in futures.items() if future.done()]
            if not drain() and not ready:
                time.sleep(POLL)
            for part_id in ready:  # drained after they ended: every put of theirs was on the queue
                future, part = futures[part_id], parts[part_id]
                try:
                    why = "工作进程被终止" if future.result() == LOST else "未报告结果"
                except RulebookMismatch:
                    raise
                except Exception as exc:  # KilledWorker or any error
                    why = type(exc).__name__
                unfinished = forget(part_id)
                if unfinished:  # a re-run after its worker died, or KilledWorker
                    lost(part, unfinished, why)
            if timeout is not None:
                overdue()
            if singles and not single:
                single.append(submit([singles.popleft()]))
            if not futures:  # nothing left to run: a file without a result would be a hole, never allowed
                for index, path, _, sha in files[emitted:]:
                    result(index, {"status": "engine-failure", "path": path, "sha256": sha, "problems": [
                        engine_problem(path, "分布式评查未取得该案卷的结果").to_dict()]})
            while emitted in done:
                yield done.pop(emitted)
                emitted += 1
    finally:
        with contextlib.suppress(Exception):  # tidying up after a lost scheduler must not hide why it was lost
            for future in futures.values():
                future.cancel()
            for part_id in marks:  # the scheduler forgets them
                Event(part_id, client=client).clear()
            queue.close()
        if own:
            client.close()
