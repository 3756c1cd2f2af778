"""Geometry of the procedure timeline: steps on a date axis, statutory periods against them.

Only numbers are computed here; reports/templates/_timeline.svg.j2 draws them as inline SVG,
so the picture needs no plotting library and renders the same in the browser and the PDF.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from prereview.engine.dossier import STEP_DATE, STEP_LABELS

WIDTH = 600            # SVG user units; the template scales it to the text width
LABEL_W = 138          # left column for step names and dates
RIGHT = 590
TOP = 30               # below the axis labels
ROW_H = 24
# statutory figures, used only when the review's rulebook does not set them (a test rulebook)
DEFAULT_PARAMS = {"comment_days": 30, "legality_review_working_days": 7, "hearing_delivery_days": 7}

# steps drawn as a span: step type -> (start field, end field)
SPANS = {
    "public-comment": ("published_on", "closes_on"),
    "hearing": ("announced_on", "held_on"),
    "legality-review": ("submitted_on", "opinion_on"),
    "party-report": ("reported_on", "reply_on"),
}


@dataclass
class Window:
    """A statutory period drawn behind a step: x1..x2 and a short caption."""
    x1: float
    x2: float
    caption: str


@dataclass
class Row:
    label: str
    dates: str
    y: float
    x1: float | None = None
    x2: float | None = None      # None: a single point at x1
    red: bool = False
    missing: bool = False
    windows: list[Window] = field(default_factory=list)
    marks: list[tuple[float, str]] = field(default_factory=list)  # extra dated ticks (x, caption)


@dataclass
class Tick:
    x: float
    label: str
    anchor: str = "middle"   # SVG text-anchor, so labels near the edges stay inside


@dataclass
class Timeline:
    width: int
    height: float
    chart_left: int
    chart_right: int
    axis_y: float
    rows: list[Row]
    ticks: list[Tick]
    meetings: list[Tick]         # vertical lines at collective-discussion dates
    notes: list[str]


def add_working_days(start: dt.date, n: int) -> dt.date:
    """start + n working days, counting Monday to Friday only (no holiday calendar yet)."""
    day = start
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def _step_index(field_path: str) -> int | None:
    m = re.match(r"steps\[(\d+)\]", field_path)
    return int(m.group(1)) if m else None


def _red_steps(review) -> tuple[set[int], set[str]]:
    """Indexes of steps that findings point at, and step types flagged with no index."""
    by_index, by_type = set(), set()
    for f in review.findings:
        indexes = {i for e in f.evidence if (i := _step_index(e.field)) is not None}
        steps = review.dossier.steps
        hit = {i for i in indexes if i < len(steps) and steps[i].type == f.step}
        if hit:
            by_index |= hit
        else:
            by_type.add(f.step)
    return by_index, by_type


def _start(step) -> dt.date:
    return getattr(step, SPANS[step.type][0] if step.type in SPANS else STEP_DATE[step.type])


def _short(d: dt.date) -> str:
    return d.isoformat()


def build_timeline(review) -> Timeline | None:
    d = review.dossier
    if d is None or not d.steps:
        return None
    params = {**DEFAULT_PARAMS, **review.receipt.get("rulebook", {}).get("params", {})}
    order = list(STEP_DATE)
    steps = sorted(enumerate(d.steps), key=lambda p: (_start(p[1]), order.index(p[1].type)))
    red_idx, red_types = _red_steps(review)

    # everything that must fit on the axis
    dates: list[dt.date] = []
    for _, s in steps:
        dates.append(_start(s))
        if s.type in SPANS and getattr(s, SPANS[s.type][1]):
            dates.append(getattr(s, SPANS[s.type][1]))
        if s.type == "public-comment":
            dates.append(s.published_on + dt.timedelta(days=params["comment_days"]))
        if s.type == "legality-review":
            dates.append(add_working_days(s.submitted_on, params["legality_review_working_days"]))
        if s.type == "hearing":
            dates.append(s.held_on - dt.timedelta(days=params["hearing_delivery_days"]))
            if s.materials_delivered_on:
                dates.append(s.materials_delivered_on)
    start, end = min(dates) - dt.timedelta(days=3), max(dates) + dt.timedelta(days=3)
    span = max((end - start).days, 1)
    chart_left = LABEL_W + 8

    def x(day: dt.date) -> float:
        return round(chart_left + (day - start).days / span * (RIGHT - chart_left), 1)

    rows: list[Row] = []
    y = TOP
    for index, s in steps:
        first = _start(s)
        row = Row(STEP_LABELS[s.type], _short(first), y, x(first),
                  red=index in red_idx or s.type in red_types)
        if s.type in SPANS:
            last = getattr(s, SPANS[s.type][1])
            if last:
                row.x2 = x(last)
                row.dates = f"{_short(first)} 至 {last.isoformat()[5:]}（{(last - first).days} 日）"
        if s.type == "public-comment":
            due = s.published_on + dt.timedelta(days=params["comment_days"])
            row.windows.append(Window(x(s.published_on), x(due), f"≥{params['comment_days']}日"))
        elif s.type == "legality-review":
            due = add_working_days(s.submitted_on, params["legality_review_working_days"])
            row.windows.append(Window(x(s.submitted_on), x(due),
                                      f"≥{params['legality_review_working_days']}个工作日"))
            if s.opinion_on is None:
                row.dates = f"{_short(first)} 送审，尚无意见"
        elif s.type == "hearing":
            row.windows.append(Window(x(s.held_on - dt.timedelta(days=params["hearing_delivery_days"])), x(s.held_on),
                                      f"材料{params['hearing_delivery_days']}日前送达"))
            if s.materials_delivered_on:
                row.marks.append((x(s.materials_delivered_on), f"送达 {s.materials_delivered_on.isoformat()[5:]}"))
        rows.append(row)
        y += ROW_H
    present = {s.type for s in d.steps}
    for step in [t for t in order if t in red_types and t not in present] + sorted(red_types - present - set(order)):
        rows.append(Row(STEP_LABELS.get(step, step), "卷宗中未见记录", y, red=True, missing=True))
        y += ROW_H

    ticks = _ticks(start, end, x)
    meetings = [Tick(x(s.held_on), f"集体讨论 {s.held_on.isoformat()}", _anchor(x(s.held_on), chart_left))
                for _, s in steps if s.type == "collective-discussion"]
    periods = {
        "public-comment": f"公开征求意见一般不少于{params['comment_days']}日（条例第十五条第一款）",
        "hearing": f"听证材料于听证会{params['hearing_delivery_days']}日前送达（第十六条第三款）",
        "legality-review": f"合法性审查一般不少于{params['legality_review_working_days']}个工作日"
                           "（第二十六条第二款，按周一至周五估算，未计节假日和调休）",
    }
    drawn = [text for step, text in periods.items() if step in present]
    note = ("灰框为法定期限：" + "；".join(drawn) + "。") if drawn else ""
    note += "红色为有发现的步骤。" if any(r.red for r in rows) else ""
    note += "竖虚线为集体讨论日期。" if meetings else ""
    notes = [note] if note else []
    return Timeline(WIDTH, y + 14, chart_left, RIGHT, TOP - 12, rows, ticks, meetings, notes)


def _anchor(pos: float, left: float) -> str:
    if pos > RIGHT - 50:
        return "end"
    return "start" if pos < left + 50 else "middle"


def _ticks(start: dt.date, end: dt.date, x) -> list[Tick]:
    """Monthly ticks (weekly for short procedures), labelled with the month, the year when it changes."""
    span = (end - start).days
    out: list[Tick] = []
    if span <= 50:
        day = start + dt.timedelta(days=(7 - start.weekday()) % 7)
        while day <= end:
            out.append(Tick(x(day), f"{day.month}月{day.day}日"))
            day += dt.timedelta(days=7)
        return out
    step = 1 if span <= 200 else 2 if span <= 400 else 3
    month = dt.date(start.year, start.month, 1)
    last_year = None
    while month <= end:
        if month >= start:
            out.append(Tick(x(month), f"{month.year}年{month.month}月" if month.year != last_year else f"{month.month}月"))
            last_year = month.year
        month = dt.date(month.year + (month.month + step - 1) // 12, (month.month + step - 1) % 12 + 1, 1)
    return out
