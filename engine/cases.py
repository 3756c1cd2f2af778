"""Rule cases: a compliant base dossier changed in one place, and whether the rule must fire.

One runner for `prereview rules test` and for pytest (conftest.py), so they cannot disagree: `check_case`
judges one case and says, located at the case file's own line, why it failed; `run_cases` runs many, each
rule's cases in a forked child so that a crash of durable-rules (a C extension) costs one case, not the run.
A wrong value in a case (a path that finds nothing, a `set` that makes the dossier invalid) is a located
error of that case, never a Python traceback; a broken base dossier is reported once, not once per case.
"""
from __future__ import annotations

import copy
import faulthandler
import functools
import os
import pickle
import re
import signal
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import DossierError, EngineFailure, InputError, Problem, RuleError
from .load import _validate, load_dossier_text
from .review import run_review
from .rulebook import Case, Rule, Rulebook
from .source import Located, dotted, parse_text, read_file

_SEGMENT = re.compile(r"^([A-Za-z_][\w-]*)(?:\[([^\]]+)\])?$")


class ChangeError(Exception):
    """A change of a case cannot be applied: what was wrong, and where in the case it is written."""

    def __init__(self, message: str, pos: tuple = ()):
        super().__init__(message)
        self.pos = pos  # the change's position in the cases file, below ("cases", i)


def _select(container, key: str, selector: str | None, path: str):
    if not isinstance(container, dict) or key not in container:
        raise KeyError(f"{path}：卷宗中没有 {key} (no such field)")
    value = container[key]
    if selector is None:
        return container, key
    if not isinstance(value, list):
        raise KeyError(f"{path}：{key} 不是列表，不能用 [{selector}] 选取 (not a list)")
    if selector.isdigit():
        if int(selector) >= len(value):
            raise KeyError(f"{path}：{key} 只有 {len(value)} 项，没有第 {selector} 项（从 0 起数）(index out of range)")
        return value, int(selector)
    for i, item in enumerate(value):  # steps[legality-review] or materials[会议纪要]
        if isinstance(item, dict) and selector in (item.get("type"), item.get("id")):
            return value, i
    have = sorted({str(item.get("type") or item.get("id")) for item in value if isinstance(item, dict)})
    raise KeyError(f"{path}：找不到 {key}[{selector}]（基准卷宗中有：{' / '.join(have) or '无'}）(nothing matches)")


def _locate(data, path: str) -> tuple[object, object, tuple]:
    """(container, key, concrete position) of a case path such as steps[public-comment].closes_on."""
    if not isinstance(path, str) or not path:
        raise KeyError(f"{path!r}：路径应为文字，如 steps[public-comment].closes_on")
    parts = path.split(".")
    node, pos = data, ()
    for n, part in enumerate(parts):
        m = _SEGMENT.match(part)
        if not m:
            raise KeyError(f"{path}：无法识别的路径片段 {part!r}（应为 字段 或 字段[类型、编号或序号]）")
        key, selector = m.groups()
        if n == len(parts) - 1 and selector is None:
            if not isinstance(node, dict):
                raise KeyError(f"{path}：{dotted(pos) or '卷宗'} 不是映射，不能设置 {key} (not a mapping)")
            return node, key, pos + (key,)
        if n == len(parts) - 1:
            parent, k = _select(node, key, selector, path)
            return parent, k, pos + (key, k)
        if selector is None:
            if not isinstance(node, dict):
                raise KeyError(f"{path}：{dotted(pos) or '卷宗'} 不是映射 (not a mapping)")
            node, pos = node.setdefault(key, {}), pos + (key,)
        else:
            parent, k = _select(node, key, selector, path)
            node, pos = parent[k], pos + (key, k)
    raise KeyError(path)


def apply_changes(base: dict, case: Case, touched: list | None = None) -> dict:
    """The base dossier with the case's changes. `touched` collects (dossier position, change position)
    so that a problem of the changed dossier can be located at the change that caused it."""
    data = copy.deepcopy(base)
    touched = [] if touched is None else touched
    for j, change in enumerate(case.change):
        for path, value in (change.set or {}).items():
            where = ("change", j, "set", path)
            try:
                parent, key, pos = _locate(data, path)
                parent[key] = value
            except KeyError as exc:
                raise ChangeError(exc.args[0], where) from None
            touched.append((pos, where))
        removes = change.remove or []
        single = isinstance(removes, str)
        for k, path in enumerate([removes] if single else removes):
            where = ("change", j, "remove") if single else ("change", j, "remove", k)
            try:
                parent, key, pos = _locate(data, path)
                if isinstance(parent, dict) and key not in parent:
                    raise KeyError(f"{path}：卷宗中没有 {key}，无从删除 (nothing to remove)")
                del parent[key]
            except KeyError as exc:
                raise ChangeError(exc.args[0], where) from None
            touched.append((pos[:-1], where))
        if change.add_step:
            steps = data.setdefault("steps", [])
            if not isinstance(steps, list):
                raise ChangeError("基准卷宗的 steps 不是列表，无法 add_step", ("change", j, "add_step"))
            steps.append(change.add_step)
            touched.append((("steps", len(steps) - 1), ("change", j, "add_step")))
    return data


@dataclass
class CaseOutcome:
    """What became of one case: passed, failed (the rule did not do what the case says) or could not be run."""

    rule_id: str
    case_name: str | None   # None: a problem of the whole cases file (its base), reported once
    path: str               # the cases file
    line: int
    expect: str = ""
    fired: int = 0
    messages: list[str] = field(default_factory=list)
    failure: str = ""       # why it failed or could not be run (Chinese, English beside); "" when it passed
    error: bool = False     # could not be run: the case or its base is wrong, or the engine crashed
    cases: int = 1          # how many cases this outcome stands for (a broken base: all of the file's)
    severities: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failure

    def __str__(self) -> str:
        who = f"规则 {self.rule_id} 用例「{self.case_name}」" if self.case_name is not None else f"规则 {self.rule_id} 的用例"
        return f"{self.path}:{self.line}: {who}：{self.failure}"


@dataclass
class CaseResult:
    """The older, simple view of one case (fired, messages, ok), kept for tests that use it."""

    case: Case
    fired: int
    messages: list[str]
    severities: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return _verdict(self.case, self.fired, self.messages, None, severities=self.severities)[0] == ""


def base_dossier(rule: Rule) -> dict:
    return copy.deepcopy(_base(rule.cases_base or rule.pack.base))


@functools.lru_cache(maxsize=16)
def _base(path) -> dict:
    doc, problems = read_file(path)
    if problems:
        raise RuleError(problems)
    return doc.data


@functools.lru_cache(maxsize=16)
def _base_problems(path: Path | None) -> tuple[Problem, ...]:
    """What is wrong with a base dossier (missing, unreadable, not a valid dossier): () when it is usable."""
    if path is None:
        return (Problem("", None, "base", "没有基准卷宗：用例无从修改 (no base dossier)",
                        "在规则包 _pack.yaml 或用例文件中写 base: 合规卷宗的相对路径"),)
    if not Path(path).is_file():
        return (Problem(str(path), None, "", "基准卷宗不存在 (base dossier not found)",
                        "规则包 _pack.yaml 或用例文件的 base 指向一个合规卷宗"),)
    doc, problems = read_file(Path(path))
    if problems:
        return tuple(problems)
    try:
        _validate(doc)
    except DossierError as err:
        return tuple(err.problems)
    return ()


@functools.lru_cache(maxsize=64)
def _cases_doc(path: str) -> Located | None:
    doc, problems = read_file(Path(path))
    return None if problems else doc


def _line(rule: Rule, pos: tuple) -> int:
    doc = _cases_doc(str(rule.cases_path)) if rule.cases_path else None
    return (doc.line(pos) if doc else None) or 1


def case_line(rule: Rule, index: int) -> int:
    """The line of a rule's index-th case in its cases file."""
    return _line(rule, ("cases", index))


def base_problem(rule: Rule) -> CaseOutcome | None:
    """One outcome for a rule's cases file whose base dossier cannot be used, else None."""
    base = rule.cases_base or rule.pack.base
    problems = _base_problems(base)
    if not problems:
        return None
    doc = _cases_doc(str(rule.cases_path))
    path, where = str(rule.cases_path), 1
    if doc is not None and isinstance(doc.data, dict) and "base" in doc.data:
        where = _line(rule, ("base",))
    elif rule.pack.base is not None:  # the pack's base: said at _pack.yaml
        path = str(rule.pack.directory / "_pack.yaml")
        pack_doc = _cases_doc(path)
        where = (pack_doc.line(("base",)) if pack_doc else None) or 1
    detail = "；".join(str(p) if p.path else p.message + (f"（应为：{p.expected}）" if p.expected else "")
                      for p in problems[:5])
    more = f"；另有 {len(problems) - 5} 处" if len(problems) > 5 else ""
    return CaseOutcome(rule.id, None, path, where, failure=(
        f"基准卷宗无法使用，{len(rule.cases)} 个用例均未运行 (base dossier unusable, cases not run)：{detail}{more}"),
        error=True, cases=len(rule.cases))


def _verdict(case: Case, fired: int, messages: list[str], rule: Rule | None, index: int = 0,
             severities: list[str] = ()) -> tuple[str, int]:
    """(why the case failed, "" if it passed; the line to name) from the rule's findings on the case."""
    at = (lambda *pos: _line(rule, ("cases", index) + pos)) if rule is not None else (lambda *pos: 0)
    shown = "；".join(f"「{m}」" for m in messages[:2]) + ("……" if len(messages) > 2 else "")
    if case.expect == "quiet":
        if fired:
            return (f"应不触发，规则触发了 {fired} 次 (expected quiet, the rule fired {_times(fired)})：{shown}",
                    at("expect"))
        return "", 0
    if fired == 0:
        return "应触发，规则未触发 (expected fire, the rule stayed quiet)", at("expect")
    if case.count is not None and fired != case.count:
        return (f"应触发 {case.count} 次，规则触发了 {fired} 次 (expected {_times(case.count, 'finding')}, "
                f"the rule fired {_times(fired)})：{shown}", at("count"))
    wrong = [s for s in severities if s != case.severity]
    if case.severity is not None and wrong:
        return (f"应为 {case.severity}，规则按日期适用的版本给出 {wrong[0]} (expected severity {case.severity}, "
                f"the version in force gave {wrong[0]})", at("severity"))
    for k, text in enumerate(case.message_contains):
        if not any(text in m for m in messages):
            return f"消息中没有“{text}” (message lacks \"{text}\")：实际消息 {shown}", at("message_contains", k)
    return "", 0


def _times(n: int, word: str = "time") -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _changed_dossier(rule: Rule, case: Case, index: int):
    """The case's dossier, loaded; or a CaseOutcome saying, at the change's line, why it cannot be."""
    name = f"{rule.cases_path}#{case.name}"
    touched: list = []
    try:
        data = apply_changes(base_dossier(rule), case, touched)
    except ChangeError as exc:
        return _error(rule, case, index, exc.pos, f"用例修改无法应用 (change cannot be applied)：{exc}")
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    doc, problems = parse_text(text, name)
    try:
        if problems:
            raise DossierError(problems)
        return _validate(doc)
    except DossierError as err:
        first = err.problems[0]
        pos = next((where for target, where in reversed(touched)
                    if first.field.startswith(dotted(target)) or dotted(target).startswith(first.field or "\0")), ())
        detail = "；".join(f"字段 {p.field}：{p.message}" + (f"（应为：{p.expected}）" if p.expected else "")
                          if p.field else p.message for p in err.problems[:3])
        more = f"；另有 {len(err.problems) - 3} 处" if len(err.problems) > 3 else ""
        return _error(rule, case, index, pos, f"修改后的卷宗无效 (the changed dossier is invalid)：{detail}{more}")


def _error(rule: Rule, case: Case, index: int, pos: tuple, text: str) -> CaseOutcome:
    return CaseOutcome(rule.id, case.name, str(rule.cases_path), _line(rule, ("cases", index) + tuple(pos)),
                       case.expect, failure=text, error=True)


def check_case(rule: Rule, rulebook: Rulebook, case: Case, index: int | None = None) -> CaseOutcome:
    """Run one case in this process and judge it."""
    if index is None:
        index = next(i for i, c in enumerate(rule.cases) if c is case)
    broken = base_problem(rule)
    if broken is not None:
        broken.case_name, broken.cases = case.name, 1
        return broken
    loaded = _changed_dossier(rule, case, index)
    if isinstance(loaded, CaseOutcome):
        return loaded
    try:
        review = run_review(loaded, rulebook)
    except InputError as err:  # e.g. dates outside every pack's period: the case's dossier cannot be reviewed
        return _error(rule, case, index, (), "卷宗无法预审 (the dossier cannot be reviewed)：" +
                      "；".join(p.message for p in err.problems[:3]))
    except EngineFailure as err:
        return _error(rule, case, index, (), f"{err}")
    found = [f for f in review.findings if f.rule_id == rule.id]
    mine = [f.message for f in found]
    failure, line = _verdict(case, len(mine), mine, rule, index, [f.severity for f in found])
    return CaseOutcome(rule.id, case.name, str(rule.cases_path), line or _line(rule, ("cases", index)),
                       case.expect, len(mine), mine, failure, severities=[f.severity for f in found])


def run_case(rule: Rule, rulebook: Rulebook, case: Case) -> CaseResult:
    """One case, in this process; a case that cannot be run raises RuleError (located)."""
    out = check_case(rule, rulebook, case)
    if out.error:
        raise RuleError([Problem(out.path, out.line, f"cases[{case.name}]", out.failure)])
    return CaseResult(case, out.fired, out.messages, out.severities)


def run_cases(rulebook: Rulebook, rules: Iterable[Rule] | None = None, *, isolate: bool = True) -> Iterator[CaseOutcome]:
    """Every case of the rules (all of the rulebook's by default), in order. A cases file whose base
    dossier is unusable gives one outcome (said once per base file, then only counted). With isolate,
    the cases run in forked children: a child killed by a signal costs the case it was running."""
    work, said = [], set()
    for rule in rulebook.rules if rules is None else rules:
        broken = base_problem(rule)
        if broken is not None:
            base = rule.cases_base or rule.pack.base
            if base in said:
                broken.failure = f"基准卷宗 {base} 无法使用（见上），{len(rule.cases)} 个用例均未运行 (base dossier unusable)"
            said.add(base)
            yield broken
            continue
        work.extend((rule, i, case) for i, case in enumerate(rule.cases))
    if not isolate:
        for rule, i, case in work:
            yield check_case(rule, rulebook, case, i)
        return
    yield from _forked(rulebook, work)


def _forked(rulebook: Rulebook, work: list) -> Iterator[CaseOutcome]:
    from .matcher import prepare

    prepare(rulebook)  # compile and register once: every child inherits it
    start = 0
    while start < len(work):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: runs cases from `start` on, one record per case; never returns
            os.close(r)
            faulthandler.disable()  # a crash is the parent's to report, at the case, without a C-level dump
            code = 0
            try:
                for k in range(start, len(work)):
                    rule, i, case = work[k]
                    try:
                        out = check_case(rule, rulebook, case, i)
                    except Exception as exc:  # a bug of ours, said at the case, not a traceback
                        out = _error(rule, case, i, (), f"运行用例时出错 (internal error)：{type(exc).__name__}: {exc}")
                    _write_all(w, pickle.dumps(out))
            except BaseException:
                code = 3
            os._exit(code)
        os.close(w)
        nxt = start
        with os.fdopen(r, "rb") as pipe:
            while True:
                head = pipe.read(4)
                if len(head) < 4:
                    break
                out = pickle.loads(pipe.read(struct.unpack("<I", head)[0]))
                nxt += 1
                yield out
        _, status = os.waitpid(pid, 0)
        if nxt < len(work):  # the child died running work[nxt]
            rule, i, case = work[nxt]
            how = (f"被信号 {signal.Signals(os.WTERMSIG(status)).name} 终止" if os.WIFSIGNALED(status)
                   else f"异常退出（{os.WEXITSTATUS(status)}）")
            yield _error(rule, case, i, (), f"规则引擎崩溃：运行本用例的进程{how} (the rule engine crashed on this case)")
            nxt += 1
        start = nxt


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(struct.pack("<I", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def replacement_problems(rulebook: Rulebook) -> list[Problem]:
    """A lower pack's rule that replaces a higher one must be at least as strict on the replaced rule's own
    cases: each case where the replaced rule fires, moved into the lower pack's region, must fire the replacement."""
    problems = []
    for rule in rulebook.rules:
        target = rulebook.rule(rule.spec.replaces) if rule.spec.replaces else None
        if target is None:
            continue
        for case in target.cases:
            if case.expect != "fire":
                continue
            data = apply_changes(base_dossier(target), case)
            organ = data["decision"]["organ"]
            organ.update(rule.pack.scope)
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
            review = run_review(load_dossier_text(text, f"{target.id}:{case.name}"), rulebook)
            if not any(f.rule_id == rule.id for f in review.findings):
                problems.append(Problem(
                    str(rule.path), rule.line, "replaces",
                    f"{rule.id} 取代 {target.id}，但在 {rule.pack.where} 的卷宗上 {target.id} 的用例“{case.name}”"
                    f"应触发而 {rule.id} 未触发：取代的规则不得比被取代的规则宽松",
                    f"{rule.id} 在 {target.id} 触发的每个用例上都触发"))
    return problems
