"""Review many dossier files: find them, review each once in worker processes, yield results in order.

Used by `prereview check` and meant for any batch caller (a service, a case-file batch): nothing here
parses arguments or prints. The rules:
- every file is read and parsed once; whether a file found in a folder is a dossier is decided
  on that same parse;
- a file that cannot be read, parsed or reviewed is an outcome of that file (with its path), never
  an exception that stops the batch; an engine failure, an unexpected exception and a worker
  process killed by a signal (durable-rules is a C extension) all cost only that file;
- workers are forked after the rulebook is compiled and registered (`matcher.prepare`), each
  reviews one dossier at a time; a dead worker is replaced;
- outcomes come back in the order of the files, one by one as they finish (a small window keeps
  memory flat however many files there are), so output is the same whatever the number of workers.
"""
from __future__ import annotations

import datetime as dt
import difflib
import multiprocessing
import os
import signal
import stat
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from .errors import DossierError, EngineFailure, Problem
from .load import _validate  # validate an already parsed document: the file is parsed once
from .matcher import prepare
from .review import Review, run_review
from .rulebook import Rulebook
from .source import read_file

DOSSIER_SUFFIXES = (".yaml", ".yml", ".json")  # compared case-insensitively: X.YAML is a dossier too
_TOP_LEVEL = ("decision", "steps", "materials")


@dataclass
class Task:
    index: int
    path: Path
    in_folder: bool  # found by walking a folder: skipped if it is plainly not a dossier


@dataclass
class Skipped:
    """Something discovery or the dossier test left out, and why (never silently)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}：{self.reason}"


@dataclass
class Outcome:
    """What became of one file: a review, the problems that made it unusable, or why it was skipped.

    engine is True when the problems are an engine failure (the file may be fine), not bad input.
    extra is what the caller's `after` hook returned in the worker (e.g. reports written).
    """

    index: int
    path: str
    review: Review | None = None
    problems: list[Problem] = field(default_factory=list)
    engine: bool = False
    skipped: Skipped | None = None
    extra: object = None
    timed_out: bool = False  # an engine failure: its worker was stopped past the batch's time limit


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def discover(paths: Iterable[str | Path]) -> tuple[list[Task], list[Problem], list[Skipped]]:
    """The files to look at, in the order of the arguments (each folder's files sorted).

    Folders are walked without following symlinked sub-folders (loops, the same file twice);
    those are reported as skipped. Inside a folder every non-directory named *.yaml/*.yml/*.json
    (any case) is a task, dangling symlinks and FIFOs included: they are reported by `review_file`.
    """
    tasks: list[Task] = []
    problems: list[Problem] = []
    skipped: list[Skipped] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found: list[str] = []

            def unreadable(err: OSError) -> None:
                problems.append(Problem(err.filename or str(path), None, "", "无法读取文件夹（没有权限或已被删除）",
                                        "可读的文件夹"))

            for top, dirs, files in os.walk(path, onerror=unreadable):
                if "_pack.yaml" in files:  # a rule pack's rules, cases and base are not dossiers to review
                    skipped.append(Skipped(top, "规则包文件夹（含 _pack.yaml），其中的规则和用例不是卷宗，未审查"))
                    dirs[:] = []
                    continue
                dirs.sort()
                for name in dirs:
                    if os.path.islink(os.path.join(top, name)):
                        skipped.append(Skipped(str(Path(top, name)), "符号链接的文件夹，未进入（避免循环和重复审查）；"
                                                                    "如需审查，请直接指定该文件夹"))
                found.extend(os.path.join(top, name) for name in files
                             if os.path.splitext(name)[1].lower() in DOSSIER_SUFFIXES)
            # sorted by path components, as sorted(Path) would (strings: 10,000 files in milliseconds)
            tasks.extend(Task(0, Path(p), True) for p in sorted(found, key=lambda p: p.split(os.sep)))
        elif os.path.lexists(path):
            tasks.append(Task(0, path, False))  # not a regular file? review_file says what it is
        else:
            problems.append(Problem(str(raw), None, "", "文件或文件夹不存在", "卷宗文件或包含卷宗的文件夹"))
    for i, task in enumerate(tasks):
        task.index = i
    return tasks, problems, skipped


def _not_a_dossier(data) -> str | None:
    """Why a document found in a folder is not a dossier, or None if it is (or looks like one:
    a misspelt `decision` is then reported by validation rather than skipped)."""
    if not isinstance(data, dict):
        return "不是卷宗（文件内容不是映射）"
    if str(data.get("schema", "")).startswith("prereview/dossier"):
        return None
    keys = [str(k) for k in data]
    if any(k in _TOP_LEVEL or difflib.get_close_matches(k.lower(), _TOP_LEVEL, n=1, cutoff=0.75) for k in keys):
        return None
    return "不是卷宗（没有 decision、steps 或 materials 字段），未审查"


def _unreadable(path: Path) -> Problem | None:
    """A path that cannot be read as a regular file, said precisely (and without blocking on a FIFO)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        if os.path.islink(path):
            return Problem(str(path), None, "", "符号链接无法解析（指向不存在的文件，或形成循环）", "存在且可读的卷宗文件")
        return Problem(str(path), None, "", "无法读取文件（不存在或没有权限）", "存在且可读的卷宗文件")
    if not stat.S_ISREG(mode):
        return Problem(str(path), None, "", "不是普通文件（管道、设备或套接字），无法作为卷宗读取", "普通的 YAML/JSON 文件")
    return None


def load_file(task: Task) -> tuple[Outcome, object]:
    """Read, parse, test and validate one file: its outcome so far and the loaded dossier (None when the
    file is unusable or skipped: the outcome says why). Never raises."""
    out = Outcome(task.index, str(task.path))
    try:
        bad = _unreadable(task.path)
        if bad:
            out.problems = [bad]
            return out, None
        doc, problems = read_file(task.path)
        if problems:
            out.problems = problems
            return out, None
        reason = _not_a_dossier(doc.data) if task.in_folder else None
        if reason:
            out.skipped = Skipped(str(task.path), reason)
            return out, None
        return out, _validate(doc)
    except DossierError as err:
        out.problems = err.problems
    except Exception as exc:  # a bug or a library error: this file's problem, the batch goes on
        out.problems, out.engine = [engine_problem(task.path, f"内部错误 {type(exc).__name__}: {exc}")], True
    return out, None


def review_file(task: Task, rulebook: Rulebook, as_of: dt.date | None = None,
                after: Callable[[Review], object] | None = None, calendar=None, loaded=None) -> Outcome:
    """Read, parse, test, validate (unless `loaded` is given) and review one file; every failure is an
    outcome, never raised."""
    if loaded is None:
        out, loaded = load_file(task)
        if loaded is None:
            return out
    else:
        out = Outcome(task.index, str(task.path))
    try:
        review = run_review(loaded, rulebook, as_of, calendar)
        if after is not None:
            out.extra = after(review)
        review.dossier = None  # the model is for reports; callers of a batch keep only the review
        out.review = review
    except DossierError as err:
        out.problems = err.problems
    except EngineFailure as err:
        out.problems, out.engine = [engine_problem(task.path, str(err))], True
    except Exception as exc:  # a bug or a library error: this file's problem, the batch goes on
        out.problems, out.engine = [engine_problem(task.path, f"内部错误 {type(exc).__name__}: {exc}")], True
    return out


def engine_problem(path, detail: str) -> Problem:
    return Problem(str(path), None, "", f"本卷宗未能审查：{detail}", "请保留该文件并报告此问题；其余卷宗不受影响")


def _signal_name(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"被信号 {signal.Signals(-code).name} 终止"
        except ValueError:
            return f"被信号 {-code} 终止"
    return f"意外退出（退出码 {code}）"


# ---------------------------------------------------------------- worker processes

def _serve(conn, rulebook: Rulebook, as_of, after, calendar, loaded: dict) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(review_file(task, rulebook, as_of, after, calendar, loaded.get(task.index)))


class _Worker:
    def __init__(self, ctx, rulebook, as_of, after, calendar, loaded):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, rulebook, as_of, after, calendar, loaded), daemon=True)
        self.proc.start()
        child.close()
        self.pending: deque[Task] = deque()  # sent, not answered; the first is the one under review
        self.since = time.monotonic()  # when the first pending task began to be reviewed

    def stop(self, kill: bool = False) -> None:
        try:
            if kill:
                self.proc.kill()
            else:
                self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


_QUEUE = 2  # tasks sent ahead to each worker, so it never waits for the parent between two reviews


def run_batch(tasks: list[Task], rulebook: Rulebook, as_of: dt.date | None = None, *, jobs: int | None = None,
              after: Callable[[Review], object] | None = None, calendar=None,
              timeout: float | None = None) -> Iterator[Outcome]:
    """Yield one Outcome per task, in task order, as soon as it and all before it are done.

    jobs=0 reviews in this process (no isolation: a crash in durable-rules ends the caller, and no
    time limit); otherwise min(jobs, len(tasks)) forked workers (default: the number of usable cores).
    `after` runs in the worker on each review (with its dossier model) and its result becomes
    Outcome.extra. A file under review for more than `timeout` seconds has its worker stopped and is an
    engine failure with timed_out set; the files queued behind it go to a new worker.
    Fork from a quiet process: no other thread may be reviewing at that moment.
    """
    if jobs is None:
        jobs = default_jobs()
    if jobs <= 0 or not tasks:
        for task in tasks:
            yield review_file(task, rulebook, as_of, after, calendar)
        return
    loaded: dict = {}  # one file is loaded here (its kind's models are then built once, not in the worker and
    if len(tasks) == 1:  # again for its report) and only reviewed in the worker, which inherits it
        out, loaded[tasks[0].index] = load_file(tasks[0])
        if loaded[tasks[0].index] is None:
            yield out
            return
    else:  # compile and register before forking: every worker inherits it (one file: its own rules only)
        prepare(rulebook)
    ctx = multiprocessing.get_context("fork")
    workers = [_Worker(ctx, rulebook, as_of, after, calendar, loaded) for _ in range(min(jobs, len(tasks)))]
    window = 4 * _QUEUE * len(workers)  # results held while an earlier one is still running
    retry: deque[Task] = deque()  # sent to a worker that died before it got to them
    done: dict[int, Outcome] = {}
    sent = emitted = 0
    try:
        while emitted < len(tasks):
            for i, w in enumerate(workers):
                if not w.pending and not w.proc.is_alive():  # killed while idle (e.g. by the OOM killer)
                    w.stop(kill=True)
                    workers[i] = w = _Worker(ctx, rulebook, as_of, after, calendar, loaded)
                while len(w.pending) < _QUEUE and (retry or (sent < len(tasks) and sent < emitted + window)):
                    if retry:
                        task = retry.popleft()
                    else:
                        task, sent = tasks[sent], sent + 1
                    if not w.pending:
                        w.since = time.monotonic()
                    w.pending.append(task)
                    w.conn.send(task)
            busy = [w for w in workers if w.pending]
            left = None if timeout is None else max(0.0, min(w.since + timeout for w in busy) - time.monotonic())
            ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], left))
            for i, w in enumerate(workers):
                if not w.pending or not (w.conn in ready or w.proc.sentinel in ready):
                    continue
                outcome = None
                try:
                    if w.conn.poll():
                        outcome = w.conn.recv()
                except (EOFError, OSError):
                    pass
                if outcome is not None:
                    w.pending.popleft()
                    w.since = time.monotonic()  # the next one queued there begins now
                    done[outcome.index] = outcome
                if outcome is None or not w.proc.is_alive():
                    if outcome is None:  # it died reviewing its first pending task
                        w.proc.join()
                        task = w.pending.popleft()
                        done[task.index] = Outcome(task.index, str(task.path), engine=True, problems=[engine_problem(
                            task.path, f"审查进程{_signal_name(w.proc.exitcode)}（规则引擎崩溃）")])
                    retry.extendleft(reversed(w.pending))
                    w.stop(kill=True)
                    workers[i] = _Worker(ctx, rulebook, as_of, after, calendar, loaded)
            for i, w in enumerate(workers):
                if timeout is not None and w.pending and time.monotonic() - w.since > timeout:
                    task = w.pending.popleft()
                    done[task.index] = Outcome(task.index, str(task.path), engine=True, timed_out=True, problems=[
                        engine_problem(task.path, f"审查超过时间上限 {timeout:g} 秒，已中止")])
                    retry.extendleft(reversed(w.pending))
                    w.stop(kill=True)
                    workers[i] = _Worker(ctx, rulebook, as_of, after, calendar, loaded)
            while emitted in done:
                yield done.pop(emitted)
                emitted += 1
    finally:
        for w in workers:
            w.stop(kill=bool(w.pending))
