"""`prereview evaluate DIR --rubric R` — 案卷评查: score every closed case file of a batch by a rubric.

A door like the CLI: the engine reviews (engine/batch.py: forked workers, each file parsed once, results in
order, a dead worker costs only its file, a file past --timeout is stopped), engine/scoring.py scores, this
module stores and aggregates; --scheduler hands the reviewing to api/evaluate_dask.py.
- the store (OUT/store-<key>.jsonl, one line per finished file, keyed by the file's sha256; <key> names the
  rubric and rulebook it was scored with) is appended and flushed as each file finishes: a re-run skips every
  file already there, a crash or Ctrl-C loses nothing that finished (a torn last line is re-done);
- stdout gets one JSON line per file as it finishes, in file order (with the reviewers' overrides applied and
  the departments' objections that concern it, engine/scoring.py);
- at the end OUT/summary.json (per department, enforcement type and field), OUT/results.csv (utf-8-sig, so a
  spreadsheet opens it) and, with --pdf, OUT/评查报告.pdf;
- --sample N --seed S scores a reproducible random sample of the files found; the summary states it.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

from prereview.engine.errors import InputError, Problem

STATUS_LABELS = {"scored": "已评查", "error": "卷宗有误，未评查", "engine-failure": "规则引擎未能审查",
                 "timed-out": "审查超时，已中止", "not-applicable": "不属于本评查标准的卷宗种类"}


def add_parser(sub, rules_options, positive) -> None:
    e = sub.add_parser("evaluate", help="案卷评查：按评查标准为结案的执法案卷评分、评定等次并汇总 (evaluate case files)")
    e.add_argument("paths", nargs="+", metavar="DIR", help="案卷文件或包含案卷的文件夹")
    e.add_argument("--rubric", required=True, metavar="R",
                   help="评查标准：内置名称（guangdong-231、gansu）或评查标准文件的路径")
    e.add_argument("--out", type=Path, default=Path("evaluation"), metavar="DIR",
                   help="输出文件夹：存储、汇总 JSON、CSV（默认 ./evaluation）")
    e.add_argument("--sample", type=positive("--sample", "抽取的案卷份数"), metavar="N", help="随机抽取 N 份案卷评查（可复现：见 --seed）")
    e.add_argument("--seed", type=int, default=0, metavar="S", help="抽样的随机种子（默认 0）")
    e.add_argument("--jobs", type=positive("--jobs", "并行审查的进程数"), metavar="N", help="并行审查的进程数（默认：可用的 CPU 核数）")
    e.add_argument("--overrides", type=Path, metavar="FILE", help="复评：评查人员调整扣分、撤销否决的记录（YAML）")
    e.add_argument("--pdf", action="store_true", help="另写出评查报告 PDF")
    e.add_argument("--timeout", type=positive("--timeout", "每份案卷审查的秒数上限"), default=60, metavar="S",
                   help="每份案卷审查的时间上限（秒，默认 60；超时的案卷记为审查超时，下次运行重试）")
    e.add_argument("--scheduler", metavar="ADDR",
                   help="在 Dask 分布式集群上评查（如 tcp://host:8786；各主机 dask worker --nthreads 1）")
    rules_options(e)


def _sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None  # the batch says what is wrong with it


def choose(tasks: list, sample: int | None, seed: int) -> list:
    """The files to score, in file order: all of them, or `sample` of them drawn with random.Random(seed)."""
    if sample is None or sample >= len(tasks):
        return list(tasks)
    picked = sorted(random.Random(seed).sample(range(len(tasks)), sample))
    return [tasks[i] for i in picked]


class Store:
    """Finished files, one JSON line each, appended and flushed as they finish."""

    def __init__(self, path: Path):
        self.path = path
        self.done: dict[str, dict] = {}
        if path.exists():
            with open(path, "rb") as fh:
                for raw in fh:
                    try:
                        rec = json.loads(raw)
                    except ValueError:
                        continue  # a line torn by a crash: that file is simply done again
                    if isinstance(rec, dict) and rec.get("sha256"):
                        self.done[rec["sha256"]] = rec
        self._fh = open(path, "a", encoding="utf-8")

    def add(self, rec: dict) -> None:
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self._fh.flush()
        self.done[rec["sha256"]] = rec

    def close(self) -> None:
        try:
            os.fsync(self._fh.fileno())
        finally:
            self._fh.close()


def _scorer(rubric, shas: dict[str, str]):
    """What each worker does with a review (its dossier model is still there): the machine's score."""
    def score(review):
        from prereview.engine.scoring import score_file
        if review.kind not in rubric.spec.kinds:
            return {"status": "not-applicable"}
        rec = score_file(review, review.dossier, rubric, review.path, shas[review.path])
        return {"status": "scored", **rec}
    return score


def _record(outcome, sha: str | None) -> dict | None:
    """The store's line for a finished file; None for an engine failure (it is tried again next run)."""
    if outcome.review is not None:
        rec = dict(outcome.extra)
        if rec["status"] != "scored":
            rec = {"status": rec["status"], "path": outcome.path, "sha256": sha, "title": outcome.review.title,
                   "kind": outcome.review.kind}
        return rec
    status = "timed-out" if outcome.timed_out else "engine-failure" if outcome.engine else "error"
    return {"status": status, "path": outcome.path, "sha256": sha,
            "problems": [p.to_dict() for p in outcome.problems]}


class _Progress:
    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.n, self.start = total, enabled, 0, time.monotonic()

    def tick(self) -> None:
        self.n += 1
        if not self.enabled:
            return
        spent = time.monotonic() - self.start
        rate = self.n / spent if spent > 0 else 0.0
        left = (self.total - self.n) / rate if rate else 0.0
        sys.stderr.write(f"\r已完成 {self.n}/{self.total}，{rate:.1f} 份/秒，预计剩余 {left:.0f} 秒 ")
        sys.stderr.flush()

    def end(self) -> None:
        if self.enabled and self.n:
            sys.stderr.write("\n")


def evaluate(paths, rubric, rulebook, out: Path, *, sample: int | None = None, seed: int = 0, jobs: int | None = None,
             overrides=(), emit=None, progress: bool = False, calendar=None, pdf: bool = False,
             scheduler: str | None = None, rules: tuple = (None, None, ()), dask_options: dict | None = None,
             timeout: float | None = None) -> dict:
    """Score the case files under `paths`; returns the summary (also written to `out`). `timeout`: seconds a
    file may take before its worker is stopped (on Dask: restarted) and the file counts as timed out."""
    from prereview.engine.batch import Skipped, discover
    from prereview.engine.scoring import objections_for, with_overrides

    tasks, problems, skipped = discover(paths)
    for note in skipped:
        _say(f"已跳过 {note}")
    for problem in problems:
        _say(f"输入有误：{problem}")
    population = len(tasks)
    chosen = choose(tasks, sample, seed)
    for i, task in enumerate(chosen):
        task.index = i
    shas = {str(t.path): _sha256(t.path) for t in chosen}
    out.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(f"{rubric.sha256}\n{rulebook.digest}".encode()).hexdigest()[:16]
    store = Store(out / f"store-{key}.jsonl")
    todo = [t for t in chosen if shas[str(t.path)] is None or shas[str(t.path)] not in store.done]
    todo_ids = {id(t) for t in todo}
    objections = getattr(overrides, "objections", [])  # load_overrides gives them beside the overrides
    bar = _Progress(len(chosen), progress)
    results: list[dict] = []
    fresh = None
    try:
        if scheduler:
            from prereview.api.evaluate_dask import records as distributed_records
            fresh = distributed_records(todo, shas, rubric, rulebook, store, scheduler, calendar=calendar,
                                        rules=rules, timeout=timeout, **(dask_options or {}))
        else:
            fresh = _local_records(todo, shas, rubric, rulebook, store, jobs, calendar, timeout)
        for task in chosen:
            sha = shas[str(task.path)]
            if id(task) in todo_ids:
                rec = next(fresh)
                if isinstance(rec, Skipped):
                    _say(f"已跳过 {rec}")
                    bar.tick()
                    continue
            else:
                rec = dict(store.done[sha], path=str(task.path))  # the same content under this name
            rec = _final(rec, rubric, overrides, with_overrides)
            if rec["status"] == "scored":
                rec["objections"] = objections_for(rec, objections)
            results.append(rec)
            if emit:
                emit(rec)
            bar.tick()
    finally:
        if fresh is not None:
            fresh.close()  # stops the workers now, also on Ctrl-C
        bar.end()
        store.close()
    matched = {k for r in results for k in (r.get("path"), r.get("sha256"))}
    unused = [o for o in overrides if o.file not in matched]
    for o in unused:  # said, never silently dropped
        _say(f"复评记录未采用：{o.file}（{o.item}）不在本次评查的文件中 (override for a file not in this batch)")
    said = []
    for o, rec in objections:
        n = sum(1 for r in results if r["status"] == "scored" and any(x["id"] == o.id for x in r["objections"]))
        said.append(dict(rec, files_concerned=n))
        if not n:
            _say(f"复核申请 {o.id} 未对应本次评查的任何案卷（评查对象 {o.department}） (objection matches no file)")
        for f in o.files:
            if f not in matched:
                _say(f"复核申请 {o.id} 所列案卷 {f} 不在本次评查的文件中 (a file of the objection is not in this batch)")
    summary = summarise(results, rubric, population=population, sample=sample, seed=seed, problems=problems,
                        unused=unused, objections=said)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", "utf-8")
    (out / "results.csv").write_bytes(to_csv(results))
    if pdf:
        from prereview.reports.evaluation import render_pdf
        (out / "评查报告.pdf").write_bytes(render_pdf(summary, results))
    return summary


def _local_records(todo, shas, rubric, rulebook, store, jobs, calendar, timeout=None):
    """One record (or Skipped) per file of `todo`, in order, each stored as soon as it is known."""
    from prereview.engine.batch import Task, run_batch
    tasks = [Task(i, t.path, t.in_folder) for i, t in enumerate(todo)]
    for outcome in run_batch(tasks, rulebook, jobs=jobs, after=_scorer(rubric, shas), calendar=calendar,
                             timeout=timeout):
        if outcome.skipped:
            yield outcome.skipped
            continue
        rec = _record(outcome, shas[outcome.path])
        keep(store, rec)
        yield rec


def keep(store, rec: dict) -> None:
    """Into the store, unless an engine failure or a time-out (tried again next run) or an unreadable file
    (no sha256)."""
    if rec["status"] not in ("engine-failure", "timed-out") and rec.get("sha256"):
        store.add(rec)


def _final(rec: dict, rubric, overrides, with_overrides) -> dict:
    if rec["status"] != "scored":
        return rec
    body = {k: v for k, v in rec.items() if k != "status"}
    return {"status": "scored", **with_overrides(body, rubric, overrides)}


def _say(text: str) -> None:
    from prereview.reports.text import terminal_safe
    print(terminal_safe(text), file=sys.stderr)


# ---------------------------------------------------------------- aggregation

def _stats(recs: list[dict], levels: list[str]) -> dict:
    scored = [r for r in recs if r["status"] == "scored"]
    graded = [r for r in scored if r["grade"] is not None]
    counts = Counter(r["grade"] for r in graded)
    with_score = [r["score"] for r in scored if r["score"] is not None]
    defects = Counter()
    titles = {}
    for r in scored:
        for d in r["deductions"]:
            defects[d["item"]] += 1
            titles[d["item"]] = d["item_title"]
        for v in r["vetoes"]:
            if not v["lifted"]:
                defects[v["id"]] += 1
                titles[v["id"]] = "否决：" + v["title"]
    return {
        "files": len(recs),
        "scored": len(scored),
        "graded": len(graded),
        "ungraded": len(scored) - len(graded),
        "grades": {g: {"count": counts.get(g, 0), "share": round(counts.get(g, 0) / len(graded), 4) if graded else None}
                   for g in levels},
        "mean_score": round(sum(with_score) / len(with_score), 2) if with_score else None,
        "vetoed": sum(1 for r in scored if any(not v["lifted"] for v in r["vetoes"])),
        "top_defects": [{"item": item, "title": titles[item], "count": n}
                        for item, n in sorted(defects.items(), key=lambda kv: (-kv[1], kv[0]))[:5]],
    }


def summarise(results: list[dict], rubric, *, population: int, sample: int | None, seed: int,
              problems: list[Problem] = (), unused=(), objections=()) -> dict:
    levels = [lv.grade for lv in rubric.spec.grades.levels]
    status = Counter(r["status"] for r in results)

    def grouped(key: str) -> dict:
        groups: dict[str, list] = {}
        for r in results:
            if r["status"] == "scored":
                groups.setdefault(r[key], []).append(r)
        return {name: _stats(groups[name], levels) for name in sorted(groups)}

    ungraded = Counter(r["ungraded"] for r in results if r["status"] == "scored" and r["ungraded"])
    manual = [{"item": i.id, "title": i.title} for a in rubric.spec.areas for i in a.items if i.manual]
    if rubric.spec.vetoes:
        manual += [{"item": v.id, "title": "否决：" + v.title} for v in rubric.spec.vetoes.items if v.manual]
    return {
        "rubric": rubric.receipt(),
        "settings": rubric.spec.settings,
        "unknown_figures": rubric.unknown_figures(),
        "population": population,
        "sample": ({"size": len(results), "seed": seed, "method": "random.Random(seed).sample，按文件路径顺序列出"}
                   if sample is not None and sample < population else None),
        "files": len(results),
        "status": {s: status.get(s, 0) for s in STATUS_LABELS},
        "overridden": sum(1 for r in results if r.get("overridden")),
        "unused_overrides": [{"file": o.file, "item": o.item} for o in unused],
        "objections": list(objections),
        "form_not_recorded": sum(1 for r in results if r["status"] == "scored" and not r["form_recorded"]),
        "overall": _stats(results, levels),
        "by_department": grouped("department"),
        "by_type": grouped("type"),
        "by_field": grouped("field"),
        "ungraded_reasons": [{"reason": k, "count": n} for k, n in sorted(ungraded.items(), key=lambda kv: (-kv[1], kv[0]))],
        "manual_items": manual,
        "problems": [p.to_dict() for p in problems],
    }


CSV_COLUMNS = ("文件", "状态", "卷宗号", "案件名称", "执法机关", "执法类别", "执法领域", "得分", "等次", "未评定等次的原因",
               "机器评分", "机器评定等次", "经复评调整", "扣分项", "否决项", "卷面未记载", "复核申请")


def to_csv(results: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for r in results:
        if r["status"] != "scored":
            w.writerow([r["path"], STATUS_LABELS[r["status"]]] + [""] * (len(CSV_COLUMNS) - 2))
            continue
        deductions = "；".join(f"{d['item_title']}（{_points(d['points'])}）" for d in r["deductions"])
        vetoes = "；".join(v["title"] + ("（已撤销）" if v["lifted"] else "") for v in r["vetoes"])
        w.writerow([r["path"], STATUS_LABELS["scored"], r["file_no"] or "", r["title"], r["department"], r["type"],
                    r["field"], _blank(r["score"]), r["grade"] or "", r["ungraded"] or "", _blank(r["machine_score"]),
                    r["machine_grade"] or "", "是" if r["overridden"] else "否", deductions, vetoes,
                    "否" if r["form_recorded"] else "是", _objections_cell(r.get("objections", ()))])
    return buf.getvalue().encode("utf-8-sig")


def _objections_cell(objections) -> str:
    when = {True: "在期限内", False: "逾期", None: "期限未知"}
    return "；".join(f"{o['id']}：{o['lodged']} 提出，{when[o['in_time']]}，{o['status']}" for o in objections)


def _points(p) -> str:
    return "扣分未知" if p == "unknown" else f"扣 {p} 分"


def _blank(v) -> str:
    return "" if v is None else str(v)


# ---------------------------------------------------------------- the command

def cmd_evaluate(args, load_rules, calendar_of, print_problems) -> int:
    from prereview.engine.batch import default_jobs
    from prereview.engine.rubric import load_rubric
    from prereview.engine.scoring import load_overrides

    try:
        rulebook = load_rules(args)
        rubric = load_rubric(args.rubric, rulebook)
        calendar = calendar_of(args)
        overrides = load_overrides(args.overrides, rubric, calendar) if args.overrides else []
    except InputError as err:
        print_problems(err)
        return 2

    if args.scheduler:
        try:
            import distributed  # noqa: F401
        except ImportError:
            _say("未安装 Dask distributed，不能使用 --scheduler：pip install 'prereview[dask]' "
                 "(distributed is not installed)")
            return 2

    def emit(rec: dict) -> None:
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    summary = evaluate(args.paths, rubric, rulebook, args.out, sample=args.sample, seed=args.seed,
                       jobs=args.jobs or default_jobs(), overrides=overrides, emit=emit,
                       progress=sys.stderr.isatty(), calendar=calendar, pdf=args.pdf, scheduler=args.scheduler,
                       timeout=args.timeout,
                       rules=(args.rules, tuple(args.pack) if args.pack else None, tuple(args.local_rules or ())))
    _say(f"评查结果已写入 {args.out}（summary.json、results.csv）：共 {summary['files']} 份，"
         f"已评查 {summary['status']['scored']} 份")
    if not summary["files"]:
        _say("输入有误：没有找到案卷文件（*.yaml / *.yml / *.json）")
        return 2
    bad = summary["status"]["error"] + summary["status"]["engine-failure"] + summary["status"]["timed-out"]
    return 1 if bad or summary["problems"] else 0
