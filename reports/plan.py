"""The plan (engine/planner.py) as a terminal table, and as a Gantt chart in the report timeline's style
(reports/templates/plan.html.j2 and _plan.svg.j2): today, the target, each step's latest date, the period
it derives from, and what is already done."""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from markupsafe import Markup

from prereview.engine.planner import Plan

from .render import CSS, _HTML_ENV
from .timeline import LABEL_W, RIGHT, ROW_H, TOP, WIDTH, Tick, _anchor, _ticks

RED, BLUE, GREEN, GREY = "#c00000", "#1f3a68", "#2e7d32", "#8a8a8a"
COLORS = {"late": RED, "impossible": RED, "calendar-gap": RED, "on-time": GREEN, "excepted": "#b26a00",
          "planned": BLUE, "target": "#000000", "required": GREY}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def _margin(row) -> str:
    if row.margin is None:
        return ""
    if row.status in ("late", "impossible"):
        return f"（{'晚' if row.status == 'late' else '已过'} {row.margin} {row.margin_unit}）"
    if row.status == "planned":
        return f"（尚余 {row.margin} {row.margin_unit}）"
    return ""


def _name(row) -> str:
    return row.step_label if row.what == row.step_label else f"{row.step_label} · {row.what}"


def render_plan_text(plan: Plan) -> str:
    out = [f"程序倒排：{plan.title}（{plan.kind_label}）",
           f"{plan.target_label} {plan.target}（{plan.target_source}）；今日 {plan.today}；规则包 {' → '.join(plan.packs)}", ""]
    out.append(_pad("最迟日期", 12) + _pad("状态", 10) + "步骤 · 事项")
    for r in plan.steps:
        day = r.latest.isoformat() if r.latest else "—"
        head = _pad(day, 12) + _pad(r.status_label, 10)
        out.append(head + _name(r) + _margin(r))
        indent = " " * 22
        if r.last_working_day:
            out.append(f"{indent}最迟日期为休息日，其前最后一个工作日为 {r.last_working_day}")
        if r.done_on and r.status != "target":
            out.append(f"{indent}卷宗记载：{r.done_on}（{r.status_label}）")
        if r.derives:
            out.append(f"{indent}期限：{r.derives}（规则 {r.rule}）")
        if r.articles:
            out.append(f"{indent}依据：{'；'.join(r.articles)}")
        for f in r.figures:
            out.append(f"{indent}数值：{f.label} {f.value}{f.unit}（规则包 {f.pack}，{f.basis}）")
        if r.allows and r.status in ("late", "impossible", "excepted"):
            out.append(f"{indent}法律允许：{r.allows}")
        if r.note:
            out.append(f"{indent}{r.note}")
    if plan.gaps:
        out += ["", "以下期限无法计算，未作推测 (not computed: the working-day calendar lacks the dates)："]
        out += [f"  {g}" for g in plan.gaps]
    return "\n".join(out) + "\n"


@dataclass
class GanttRow:
    label: str
    dates: str
    y: float
    color: str
    deadline: float | None = None
    window: tuple[float, float] | None = None
    done: float | None = None
    caption: str = ""


@dataclass
class Gantt:
    width: int
    height: float
    chart_left: int
    chart_right: int
    axis_y: float
    rows: list[GanttRow]
    ticks: list[Tick]
    today: Tick | None
    target: Tick
    notes: list[str] = field(default_factory=list)


def build_gantt(plan: Plan) -> Gantt:
    days = [plan.today, plan.target] + [d for r in plan.steps for d in (r.latest, r.done_on, r.anchor_date) if d]
    start, end = min(days) - dt.timedelta(days=3), max(days) + dt.timedelta(days=3)
    span = max((end - start).days, 1)
    left = LABEL_W + 8

    def x(day: dt.date) -> float:
        return round(left + (day - start).days / span * (RIGHT - left), 1)

    rows, y = [], TOP
    for r in plan.steps:
        dates = f"最迟 {r.latest}" if r.latest else r.status_label
        if r.done_on and r.status != "target":
            dates += f"；已于 {r.done_on}"
        row = GanttRow(_name(r)[:13], dates, y, COLORS[r.status],
                       caption=r.status_label)
        if r.latest:
            row.deadline = x(r.latest)
            if r.anchor_date and r.anchor_date != r.latest:
                a, b = sorted((x(r.latest), x(r.anchor_date)))
                row.window = (a, b)
        if r.done_on and r.status != "target":
            row.done = x(r.done_on)
        rows.append(row)
        y += ROW_H
    today = Tick(x(plan.today), f"今日 {plan.today}", _anchor(x(plan.today), left)) if start <= plan.today <= end else None
    target = Tick(x(plan.target), f"{plan.target_label} {plan.target}", _anchor(x(plan.target), left))
    notes = ["▼ 为最迟日期，灰框为其所依的法定期限，● 为卷宗已记载的日期；红色为逾期、已来不及或无法计算。"
             "工作日按工作日历计算（扣除法定节假日，计入调休上班日）。"]
    if plan.gaps:
        notes.append("无法计算的期限（工作日历未覆盖）未画出：" + "；".join(plan.gaps))
    return Gantt(WIDTH, y + 14, left, RIGHT, TOP - 12, rows, _ticks(start, end, x), today, target, notes)


def render_plan_svg(plan: Plan) -> str:
    return _HTML_ENV.get_template("_plan.svg.j2").render(gantt=build_gantt(plan))


def render_plan_html(plan: Plan) -> str:
    return _HTML_ENV.get_template("plan.html.j2").render(
        plan=plan, gantt=build_gantt(plan), margin=_margin, name=_name, css=Markup(CSS.read_text(encoding="utf-8")),
        receipt={"engine": "prereview plan"})
