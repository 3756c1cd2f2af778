"""Plan a procedure backwards: from the planned meeting (or decision) date, the latest date of every step.

Nothing here knows a deadline. The deadlines are the rules' own `period:` declarations (engine/rulebook.py
PeriodSpec), counted with the figures the review applies to this dossier (its chain of packs, on its date):
a city pack that tightens a figure moves the plan. Which steps are required is also the rules' word: the
dossier, completed with the planned meeting and taken to the kind's last stage, is reviewed, and every rule
that reports a step as absent (its `step` is a step its `when` requires not to exist) names a required step.
Steps already in the dossier are checked against the same limits. A date the working-day calendar does not
cover is never guessed: the step says so, and so does every step counted from it.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import operator

from pydantic import BaseModel, Field

from . import kinds
from .calendar import CalendarGap, load_calendar
from .conditions import Arith, BoolOp, Cmp, Const, Exists, Param, Ref
from .errors import DossierError, Problem
from .facts import derive
from .load import LoadedDossier, load_dossier_text
from .review import plan as review_plan, run_review
from .rulebook import DIRECTIONS, UNITS, Rulebook

ONE = dt.timedelta(days=1)
STATUS_LABELS = {
    "target": "计划日期",
    "planned": "待办",
    "impossible": "已来不及",
    "on-time": "按期",
    "late": "逾期",
    "excepted": "例外情形",
    "required": "须履行",
    "calendar-gap": "无法计算",
}


class PlanFigure(BaseModel):
    name: str
    label: str
    value: int
    unit: str
    pack: str
    basis: str


class PlanStep(BaseModel):
    step: str
    step_label: str
    field: str
    what: str = Field(description="该日期是做什么（中文）")
    latest: dt.date | None = None
    last_working_day: dt.date | None = Field(default=None, description="latest 为休息日时，其前最后一个工作日")
    status: str
    status_label: str
    done_on: dt.date | None = None
    margin: int | None = Field(default=None, description="逾期或来不及的日数，或距最迟日期尚余的日数")
    margin_unit: str = ""
    derives: str = ""
    anchor: str = ""
    anchor_date: dt.date | None = None
    rule: str = ""
    rule_title: str = ""
    articles: list[str] = Field(default_factory=list)
    figures: list[PlanFigure] = Field(default_factory=list)
    allows: str = ""
    note: str = ""


class Plan(BaseModel):
    dossier: str
    title: str
    kind: str
    kind_label: str
    target: dt.date
    target_label: str
    target_source: str
    target_step: str
    target_field: str
    today: dt.date
    steps: list[PlanStep]
    packs: list[str]
    gaps: list[str] = Field(default_factory=list)

    @property
    def failed(self) -> bool:
        """A plan with a step the calendar cannot date, or a target later than the law allows."""
        return bool(self.gaps) or any(s.status == "impossible" for s in self.steps
                                      if (s.step, s.field) == (self.target_step, self.target_field))


_OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _value(node, data: dict, params: dict):
    if isinstance(node, Const):
        return node.value.toordinal() if isinstance(node.value, dt.date) else node.value
    if isinstance(node, Param):
        return params.get(node.name)
    if isinstance(node, Ref):
        return data.get(node.attr)
    if isinstance(node, Arith):
        base = data.get(node.ref.attr)
        off = params.get(node.offset.name) if isinstance(node.offset, Param) else node.offset
        return None if base is None or off is None else base + off
    return None


def _holds(node, data: dict, params: dict) -> bool:
    """A rule's `decision:` conditions on the decision fact (a missing attribute never compares, as in review)."""
    if node is None:
        return True
    if isinstance(node, BoolOp):
        items = [_holds(i, data, params) for i in node.items]
        return all(items) if node.op == "and" else any(items)
    if isinstance(node, Exists):
        return (node.ref.attr in data) == node.present
    if isinstance(node, Cmp):
        left, right = data.get(node.left.attr), _value(node.right, data, params)
        return left is not None and right is not None and _OPS[node.op](left, right)
    return False


def _missing_rule(rule) -> str | None:
    """The step a rule reports as absent: its finding's step is one its `when` requires not to exist."""
    step = rule.spec.step
    negs = [c for c in rule.clauses if c.negated and c.fact == "step" and c.subtype == step]
    pos = [c for c in rule.clauses if not c.negated and c.fact == "step" and c.subtype == step]
    return step if negs and not pos else None


def _done(dossier, kind) -> dict:
    """(step type, date name) -> the date, from the last record of each type (by its main date)."""
    out = {}
    for s in sorted(dossier.steps, key=lambda s: getattr(s, s.date_field)):
        for name, value in s.model_dump().items():
            if isinstance(value, dt.date):
                out[(s.type, name)] = value
    return out


def _field(kind, step: str, name: str) -> str:
    return kind.steps[step].date_field if name == "date" else name


def _what(kind, step: str, name: str) -> str:
    model = kind.steps[step]
    desc = model.model_fields[name].description if name in model.model_fields else None
    if desc:
        return desc.split("（")[0]
    return model.label if name == model.date_field else f"{model.label}（{name}）"


def _cite(b) -> str:
    number = getattr(b, "number", "") or ""
    return f"{b.source}（{number}）{b.article}" if number and number not in b.source else f"{b.source}{b.article}"


class _Edge:
    def __init__(self, planned, period, index: int, kind):
        self.planned, self.period, self.index = planned, period, index
        self.anchor = (period.anchor.step, _field(kind, period.anchor.step, period.anchor.date))
        self.alt = (period.or_later.step, _field(kind, period.or_later.step, period.or_later.date)) \
            if period.or_later else None
        off = period.offset
        self.figure = planned.figures.get(off) if isinstance(off, str) else None
        self.n = self.figure.value if self.figure else off
        self.working = bool(self.figure and self.figure.unit == "working-days")
        self.before = period.before is not None

    @property
    def unit(self) -> str:
        return "个工作日" if self.working else "日"

    def key(self):
        return (self.planned.rule.id, self.index)

    def shift(self, cal, base: dt.date) -> dt.date:
        """The latest date the rule's test allows, counted from `base` as the rule counts."""
        if self.working:
            target = cal.ordinal(base) + (-self.n if self.before else self.n)
            day = base
            if self.before:
                while cal.ordinal(day) > target:
                    day -= ONE
            else:
                while cal.ordinal(day + ONE) <= target:
                    day += ONE
            return day
        day = base + (-self.n if self.before else self.n) * ONE
        return cal.next_working_day(day) if self.period.holiday_extends else day

    def derives(self, kind, anchor_date: dt.date | None) -> str:
        anchor = _what(kind, *self.anchor)
        when = f"{anchor}（{anchor_date or '日期未定'}）"
        if self.figure:
            f = self.figure
            text = f"{when}{'前' if self.before else '后'}，{f.label}{DIRECTIONS[f.direction]}{f.value}{UNITS[f.unit]}"
        elif self.n == 0:
            text = f"不晚于{when}"
        else:
            text = f"{when}前至少{self.n}日" if self.before else f"{when}后{self.n}日内"
        if self.period.holiday_extends:
            text += "（期间最后一日为法定休假日的，以休假日结束的次日为最后一日）"
        if self.alt:
            alt = self.period.or_later.label or _what(kind, *self.alt)
            text += f"；{alt}晚于{anchor}的，自该日起算"
        return text


def _loaded_with(loaded: LoadedDossier, kind, anchor, target: dt.date, stage: str, as_of: dt.date) -> LoadedDossier:
    """The dossier as it will stand: the planned anchor step on its date, at `stage`, reviewed on `as_of`."""
    data = loaded.dossier.model_dump(mode="json", exclude_none=True, by_alias=True)
    data["decision"]["stage"] = stage
    data["decision"]["as_of"] = max(as_of.isoformat(), data["decision"].get("as_of") or "")  # ISO dates order as text
    date_field = kind.steps[anchor.step].date_field
    mine = [i for i, s in enumerate(loaded.dossier.steps) if anchor.counts(s)]
    if mine:  # the meeting re-planned: its last record on the planned date
        last = max(mine, key=lambda i: data["steps"][i][date_field])
        data["steps"][last][date_field] = target.isoformat()
    else:
        data["steps"].append({"type": anchor.step, date_field: target.isoformat(), **copy.deepcopy(anchor.record)})
    return load_dossier_text(json.dumps(data, ensure_ascii=False), loaded.doc.path)


def _required(loaded, rulebook, kind, anchor, target, as_of, calendar) -> set[str]:
    """The steps the rules report as absent at some stage from the dossier's own to the last (a kind may report
    a step missing at one stage only, e.g. the legal review before the decision)."""
    stages = list(kind.stages.labels)
    out = set()
    for stage in stages[stages.index(loaded.dossier.decision.stage):]:
        hyp = _loaded_with(loaded, kind, anchor, target, stage, as_of)
        _, planned = review_plan(hyp, rulebook, kind, hyp.dossier.decision.as_of)
        fired = {f.rule_id for f in run_review(hyp, rulebook, calendar=calendar).findings}
        out |= {s for p in planned if p.rule.id in fired and (s := _missing_rule(p.rule))}
    return out


def _refuse(loaded, pos, message, expected="") -> DossierError:
    return DossierError([Problem(loaded.doc.path, loaded.doc.line(pos), ".".join(map(str, pos)), message, expected)])


def plan_dossier(loaded: LoadedDossier, rulebook: Rulebook, *, target: dt.date | None = None,
                 today: dt.date | None = None, calendar=None) -> Plan:
    """The plan of one dossier towards `target` (the meeting or decision date; for a kind whose rules limit
    that date itself, such as the 90 days from 立案, the latest date they allow when no target is given)."""
    d = loaded.dossier
    kind = kinds.get(d.decision.kind)
    anchor = kind.plan_anchor if kind else None
    if anchor is None:
        raise _refuse(loaded, ("decision", "kind"), f"{kind.label if kind else d.decision.kind}暂不支持程序倒排",
                      "重大行政决策（--meeting）或重大行政执法决定（--decide-by）")
    calendar = calendar or load_calendar()
    today = today or dt.date.today()
    anchor_node = (anchor.step, kind.steps[anchor.step].date_field)
    done = _done(d, kind)
    done.pop(anchor_node, None)  # the anchor is the target, or the recorded step that counts as it
    held = [getattr(s, anchor_node[1]) for s in d.steps if anchor.counts(s)]
    source = f"{anchor.option} {target}" if target else ""
    if target is None and held:
        target, source = max(held), "卷宗记载的日期"
    if target is None:  # the latest the rules allow, counted from what is done
        target, source = _default_target(loaded, rulebook, kind, anchor, anchor_node, done, calendar, today)
    # reviewed first on the target date, then on the first working day after the last planned date: a rule that
    # reports a step missing only once its period has run (publication within N working days) names it then
    as_of = target
    for _ in range(3):
        required = _required(loaded, rulebook, kind, anchor, target, as_of, calendar)
        chain, rows, gaps = _rows(loaded, rulebook, kind, anchor, target, as_of, calendar, required, done, today)
        last = max((r.latest for r in rows if r.latest), default=as_of)
        try:
            later = calendar.next_working_day(last + ONE)
        except CalendarGap:
            break
        if later <= as_of:
            break
        as_of = later
    return Plan(dossier=loaded.doc.path, title=d.decision.title, kind=kind.code, kind_label=kind.label,
                target=target, target_label=anchor.label, target_source=source, target_step=anchor_node[0],
                target_field=anchor_node[1], today=today, steps=rows, packs=[c.name for c in chain], gaps=gaps)


def _rows(loaded, rulebook, kind, anchor, target, as_of, calendar, required, done, today):
    hyp = _loaded_with(loaded, kind, anchor, target, anchor.stage, as_of)
    day = hyp.dossier.decision.as_of
    chain, planned = review_plan(hyp, rulebook, kind, day)
    fired = {f.rule_id for f in run_review(hyp, rulebook, calendar=calendar).findings}
    decision = next(f for f in derive(hyp, kind, day, calendar) if f.data["t"] == "decision")
    anchor_node = (anchor.step, kind.steps[anchor.step].date_field)
    in_plan = {s.type for s in loaded.dossier.steps} | required | {anchor.step}
    edges: dict[tuple, list[_Edge]] = {}
    for p in planned:
        where = next((c.where for c in p.rule.clauses if c.fact == "decision"), None)
        matched = {c.subtype for c in p.rule.clauses if c.fact == "step" and not c.negated and c.subtype}
        # a period applies where its rule would: its decision conditions hold and the steps it matches are planned
        if not p.rule.spec.period or not _holds(where, decision.data, p.values) or not matched <= in_plan:
            continue
        for i, period in enumerate(p.rule.spec.period):
            e = _Edge(p, period, i, kind)
            if e.anchor[0] not in in_plan:
                continue
            for step in period.steps:
                if step in in_plan:
                    edges.setdefault((step, _field(kind, step, period.date)), []).append(e)
    for es in edges.values():
        es.sort(key=_Edge.key)
    solver = _Solver(kind, calendar, edges, done, anchor_node, target)
    rows = [solver.row(node, today, fired) for node in sorted(set(edges) | {anchor_node})]
    for step in sorted(required - {n[0] for n in edges} - {anchor.step}):
        rows.append(PlanStep(step=step, step_label=kind.step_label(step), field=kind.steps[step].date_field,
                             what=kind.step_label(step), status="required", status_label=STATUS_LABELS["required"],
                             note="规则要求履行该步骤，未规定期限"))
    order = kind.step_order()
    rows.sort(key=lambda r: (r.latest or dt.date.max, order.index(r.step), r.field))
    return chain, rows, sorted(set(solver.gaps.values()))


def _default_target(loaded, rulebook, kind, anchor, anchor_node, done, calendar, today):
    chain, planned = review_plan(loaded, rulebook, kind, today)
    decision = next(f for f in derive(loaded, kind, today, calendar) if f.data["t"] == "decision")
    limits = []
    for p in planned:
        where = next((c.where for c in p.rule.clauses if c.fact == "decision"), None)
        if not _holds(where, decision.data, p.values):
            continue
        for i, period in enumerate(p.rule.spec.period):
            e = _Edge(p, period, i, kind)
            if anchor_node in [(s, _field(kind, s, period.date)) for s in period.steps] and e.anchor in done:
                try:
                    limits.append((e.shift(calendar, done[e.anchor]), e.key(), e))
                except CalendarGap as gap:
                    raise _refuse(loaded, ("steps",), f"{anchor.label}无法计算：{gap}",
                                  f"用 {anchor.option} 给出日期，或用 --calendar 补充工作日历") from None
    if not limits:
        raise _refuse(loaded, ("steps",), f"请用 {anchor.option} 给出{anchor.label}：卷宗中没有可据以计算法定期限的程序记录",
                      f"{anchor.option} YYYY-MM-DD")
    day, _, e = min(limits, key=lambda t: (t[0], t[1]))
    return day, f"法定期限：{e.derives(kind, done[e.anchor])}（{e.planned.rule.id}）"


class _Solver:
    """Latest dates by walking each step's periods back to the target or to dates already in the dossier."""

    def __init__(self, kind, calendar, edges, done, anchor_node, target):
        self.kind, self.cal, self.edges, self.done = kind, calendar, edges, done
        self.anchor_node, self.target = anchor_node, target
        self.memo: dict = {}
        self.gaps: dict = {}

    def value(self, node):
        """The date a later step counts from: the target, a date the dossier records, or the latest planned."""
        if node == self.anchor_node:
            return self.target
        if node in self.done:
            return self.done[node]
        return self.latest(node)[0]

    def latest(self, node, stack=()):
        """(latest date, binding edge, its anchor's date) for a node, memoised; (None, None, None) without limits."""
        if node in self.memo:
            return self.memo[node]
        if node in stack:  # a cycle of periods counts nothing
            return None, None, None
        best = (None, None, None)
        for e in self.edges.get(node, ()):
            if e.anchor == node:
                continue
            base = self.target if e.anchor == self.anchor_node else self.done.get(e.anchor)
            if base is None:
                if e.anchor in self.gaps:
                    self.gaps[node] = self.gaps[e.anchor]
                    continue
                base = self.latest(e.anchor, stack + (node,))[0]
            if base is None:
                if e.anchor in self.gaps:
                    self.gaps[node] = self.gaps[e.anchor]
                continue
            if e.alt and e.alt in self.done and self.done[e.alt] > base:
                base = self.done[e.alt]
            try:
                day = e.shift(self.cal, base)
            except CalendarGap as gap:
                self.gaps[node] = f"{_what(self.kind, *node)}：{gap}"
                continue
            if best[0] is None or day < best[0]:
                best = (day, e, base)
        if node in self.gaps:  # one limit the calendar cannot count could be the binding one: no date at all
            best = (None, None, None)
        self.memo[node] = best
        return best

    def _count(self, e, start: dt.date, end: dt.date) -> int:
        if e is not None and e.working:
            return self.cal.working_days_between(start, end)
        return (end - start).days

    def row(self, node, today, fired) -> PlanStep:
        kind = self.kind
        step, field = node
        latest, e, base = self.latest(node)
        row = PlanStep(step=step, step_label=kind.step_label(step), field=field, what=_what(kind, step, field),
                       latest=latest, status="planned", status_label="")
        if latest is not None:
            try:
                if not self.cal.is_working_day(latest):
                    prev = latest - ONE
                    while not self.cal.is_working_day(prev):
                        prev -= ONE
                    row.last_working_day = prev
            except CalendarGap:
                pass
        if e is not None:
            p = e.planned
            row.derives, row.anchor, row.anchor_date = e.derives(kind, base), _what(kind, *e.anchor), base
            row.rule, row.rule_title = p.rule.id, p.rule.spec.title
            row.articles = list(dict.fromkeys(_cite(b) for b in p.basis))
            if e.figure:
                f = e.figure
                row.figures = [PlanFigure(name=f.name, label=f.label, value=f.value, unit=UNITS[f.unit], pack=f.pack,
                                          basis=f"{f.basis.source}{f.basis.article}")]
            row.allows = e.period.allows or ""
        elif self.edges.get(node):  # counted from a date not yet planned (e.g. filing after publication)
            first = self.edges[node][0]
            row.derives, row.anchor, row.rule = first.derives(kind, None), _what(kind, *first.anchor), first.planned.rule.id
            row.rule_title = first.planned.rule.spec.title
            row.articles = list(dict.fromkeys(_cite(b) for b in first.planned.basis))
        actual = self.target if node == self.anchor_node else self.done.get(node)
        row.done_on = actual
        try:
            if node in self.gaps and latest is None:
                row.status, row.note = "calendar-gap", self.gaps[node]
            elif node == self.anchor_node:
                row.status, row.latest = "target", actual
                if latest is not None:
                    row.note = f"法定最迟日期为 {latest}"
                if latest is not None and actual > latest:
                    row.status, row.margin = "impossible", self._count(e, latest, actual)
            elif actual is not None:
                if latest is None or actual <= latest:
                    row.status = "on-time"
                else:
                    rules = {x.planned.rule.id for x in self.edges.get(node, ())}
                    row.status = "late" if rules & fired else "excepted"
                    row.margin = self._count(e, latest, actual)
                    if row.status == "excepted":
                        row.note = "未满期限，但卷宗载明了规则所列的例外情形，审查不报"
            elif latest is None:
                row.status = "required"
            elif latest < today:
                row.status, row.margin = "impossible", self._count(e, latest, today)
            else:
                row.status, row.margin = "planned", self._count(e, today, latest)
        except CalendarGap as gap:
            row.note = f"{row.what}：{gap}"
            self.gaps.setdefault(node, row.note)
        row.margin_unit = e.unit if e is not None and row.margin is not None else ("日" if row.margin is not None else "")
        row.status_label = STATUS_LABELS[row.status]
        return row


__all__ = ["Plan", "PlanStep", "PlanFigure", "plan_dossier", "STATUS_LABELS"]
