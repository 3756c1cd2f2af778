"""Geometry of the procedure timeline: steps on a date axis, statutory periods against them.

Only numbers are computed here; reports/templates/_timeline.svg.j2 draws them as inline SVG,
so the picture needs no plotting library and renders the same in the browser and the PDF.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from prereview.engine import kinds
from prereview.engine.calendar import CalendarGap, load_calendar

WIDTH = 600            # SVG user units; the template scales it to the text width
LABEL_W = 138          # left column for step names and dates
RIGHT = 590
TOP = 30               # below the axis labels
ROW_H = 24
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
    return getattr(step, step.span[0] if step.span else step.date_field)


def _short(d: dt.date) -> str:
    return d.isoformat()


def _window(period, step, n: int, calendar) -> tuple[dt.date, dt.date] | None:
    """The period's first and last day, or None when the step lacks the date or the calendar the day."""
    anchor = getattr(step, period.field, None)
    if anchor is None:
        return None
    if not period.working_days:
        other = anchor - dt.timedelta(days=n) if period.before else anchor + dt.timedelta(days=n)
    else:
        try:
            if period.before:  # the latest day that still leaves n working days before the anchor
                other = anchor
                while calendar.working_days_between(other, anchor) < n:
                    other -= dt.timedelta(days=1)
            else:
                other = calendar.add_working_days(anchor, n)
        except CalendarGap:
            return None
    return (other, anchor) if period.before else (anchor, other)


def build_timeline(review) -> Timeline | None:
    d = review.dossier
    if d is None or not d.steps:
        return None
    kind = kinds.get(review.kind)
    calendar = getattr(review, "calendar", None) or load_calendar()
    # the figures the review applied, as its receipt records them (a city's tightened value included)
    params = {f["name"]: f["value"] for f in review.receipt.get("rulebook", {}).get("figures", [])}
    periods = [p for p in kind.periods if p.param in params]
    order = kind.step_order()
    steps = sorted(enumerate(d.steps), key=lambda p: (_start(p[1]), order.index(p[1].type)))
    red_idx, red_types = _red_steps(review)
    windows = {(i, p): w for i, s in steps for p in periods if p.step == s.type
               and (w := _window(p, s, params[p.param], calendar)) is not None}

    # everything that must fit on the axis
    dates: list[dt.date] = []
    for i, s in steps:
        dates.append(_start(s))
        if s.span and getattr(s, s.span[1]):
            dates.append(getattr(s, s.span[1]))
        dates += [day for day in _marks(kind, s).values()]
    dates += [day for w in windows.values() for day in w]
    start, end = min(dates) - dt.timedelta(days=3), max(dates) + dt.timedelta(days=3)
    span = max((end - start).days, 1)
    chart_left = LABEL_W + 8

    def x(day: dt.date) -> float:
        return round(chart_left + (day - start).days / span * (RIGHT - chart_left), 1)

    rows: list[Row] = []
    y = TOP
    for index, s in steps:
        first = _start(s)
        row = Row(s.label, _short(first), y, x(first), red=index in red_idx or s.type in red_types)
        if s.span:
            last = getattr(s, s.span[1])
            if last:
                row.x2 = x(last)
                row.dates = f"{_short(first)} 至 {last.isoformat()[5:]}（{(last - first).days} 日）"
            elif s.type == kind.review_step:
                row.dates = f"{_short(first)} 送审，尚无意见"
        for p in periods:
            if (index, p) in windows:
                w = windows[(index, p)]
                row.windows.append(Window(x(w[0]), x(w[1]), p.caption.format(n=params[p.param])))
        for caption, day in _marks(kind, s).items():
            row.marks.append((x(day), f"{caption} {day.isoformat()[5:]}"))
        rows.append(row)
        y += ROW_H
    present = {s.type for s in d.steps}
    for step in [t for t in order if t in red_types and t not in present] + sorted(red_types - present - set(order)):
        rows.append(Row(kind.step_label(step), "卷宗中未见记录", y, red=True, missing=True))
        y += ROW_H

    ticks = _ticks(start, end, x)
    meetings = [Tick(x(s.held_on), f"集体讨论 {s.held_on.isoformat()}", _anchor(x(s.held_on), chart_left))
                for _, s in steps if s.type == "collective-discussion"]
    drawn = list(dict.fromkeys(p.note.format(n=params[p.param]) for (_, p) in windows))
    missing = [(i, p) for i, s in steps for p in periods if p.step == s.type and p.working_days
               and getattr(s, p.field, None) is not None and (i, p) not in windows]
    note = ("灰框为法定期限：" + "；".join(drawn) + "。") if drawn else ""
    note += "工作日按工作日历计算（扣除法定节假日，计入调休上班日）。" if any(p.working_days for (_, p) in windows) else ""
    note += ("部分工作日期限超出工作日历覆盖范围，未画出。" if missing else "")
    note += "红色为有发现的步骤。" if any(r.red for r in rows) else ""
    note += "竖虚线为集体讨论日期。" if meetings else ""
    notes = [note] if note else []
    return Timeline(WIDTH, y + 14, chart_left, RIGHT, TOP - 12, rows, ticks, meetings, notes)


def _marks(kind, step) -> dict[str, dt.date]:
    """Caption -> date of the dates the kind's periods on this step are met by (drawn whether or not
    the rulebook sets the period's length)."""
    return {p.mark_caption: getattr(step, p.mark) for p in kind.periods
            if p.step == step.type and p.mark and getattr(step, p.mark, None)}


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
