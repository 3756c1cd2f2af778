"""The working-day calendar (工作日历): which days are 工作日, and counting in working days.

A working day is Monday–Friday, less the statutory days off, plus the weekend make-up days (调休上班)
of the State Council's yearly notice. Each year is decided by its last source: the chinesecalendar
package, then the notices shipped in calendars/<year>.yaml, then user files (--calendar FILE).
Counting needs every day from the epoch on, so only the contiguous run of years around 2004 is
covered; a file for a year beyond a missing one is validated but not used (the gap error says so).
"""
from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import metadata, resources
from itertools import accumulate
from pathlib import Path
from typing import Annotated, Sequence

import chinese_calendar
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .errors import CalendarError, Problem
from .load import problems_from_validation
from .source import Located, dotted, read_file

ONE = timedelta(days=1)
SPILL = timedelta(days=7)  # how far a New Year holiday's make-up day may lie from it, across the year
LONGEST = 15  # days; no State Council holiday has been longer than 9, so more is a typing slip
WEEKDAYS = "一二三四五六日"


class CalendarGap(Exception):
    """A date the calendar does not cover: its working days are unknown, never guessed."""

    def __init__(self, day: date, span: tuple[int, int], note: str = ""):
        self.day = day
        super().__init__(f"{day} 不在工作日历覆盖范围内（已覆盖 {span[0]}–{span[1]} 年）{note}。"
                         f"请用 --calendar 文件补充该年国务院办公厅的节假日安排"
                         f" (date not covered by the working-day calendar)")


@dataclass(frozen=True)
class CalendarSource:
    name: str
    years: tuple[int, int] | tuple  # the covered years this source decides; () if none
    detail: str


def _day(value):
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} 不是日期（应为 YYYY-MM-DD，如 2026-10-01）")


def _year(value):
    if isinstance(value, int) and not isinstance(value, bool) and 1949 <= value <= 2100:
        return value
    raise ValueError(f"{value!r} 不是年份（应为四位数字，如 2026）")


def _url(value):
    if isinstance(value, str) and re.fullmatch(r"https?://\S+", value):
        return value
    raise ValueError(f"{value!r} 不是网址（应以 http:// 或 https:// 开头）")


Day = Annotated[date, BeforeValidator(_day)]
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Notice(_Strict):
    title: Text
    number: Text
    published: Day
    url: Annotated[str, BeforeValidator(_url)]


class Holiday(_Strict):
    name: Text
    start: Day
    end: Day

    def days(self) -> list[date]:
        return [self.start + k * ONE for k in range((self.end - self.start).days + 1)]


class CalendarFile(_Strict):
    year: Annotated[int, BeforeValidator(_year)]
    notice: Notice
    holidays: list[Holiday] = Field(min_length=1)
    make_up_working_days: list[Day] = []


def _consistency(cal: CalendarFile, doc: Located) -> list[Problem]:
    """Every date belongs to the file's notice: its year, save a New Year holiday across the year's edge."""
    year, problems = cal.year, []

    def bad(loc: tuple, message: str, expected: str) -> None:
        problems.append(Problem(doc.path, doc.line(loc), dotted(loc), message, expected))

    crossing = [h for h in cal.holidays if h.start.year != h.end.year and year in (h.start.year, h.end.year)]

    def of_notice(d: date) -> bool:
        return d.year == year or any(h.start - SPILL <= d <= h.end + SPILL for h in crossing)

    off: set[date] = set()
    for i, h in enumerate(cal.holidays):
        for field, d in (("start", h.start), ("end", h.end)):
            if not of_notice(d):
                bad(("holidays", i, field), f"{d} 不在 {year} 年内（只有跨年的元旦假期可延至相邻年份）", f"{year} 年的日期")
        if h.end < h.start:
            bad(("holidays", i, "end"), f"结束日 {h.end} 早于开始日 {h.start}", "不早于 start 的日期")
        elif (h.end - h.start).days >= LONGEST:
            bad(("holidays", i, "end"), f"{h.name}放假长达 {(h.end - h.start).days + 1} 天，请核对结束日",
                f"不超过 {LONGEST} 天的假期")
        off.update(h.days())
    for i, d in enumerate(cal.make_up_working_days):
        loc = ("make_up_working_days", i)
        if not of_notice(d):
            bad(loc, f"{d} 不在 {year} 年内（只有跨年的元旦假期的调休日可在相邻年份）", f"{year} 年的日期")
        if d.weekday() < 5:
            bad(loc, f"{d} 是星期{WEEKDAYS[d.weekday()]}，本来就是工作日", "周六或周日（调休上班日）")
        if d in off:
            bad(loc, f"{d} 同时列为放假日和调休上班日", "不在任何假期范围内的周末")
    return problems


@dataclass(frozen=True)
class _File:
    cal: CalendarFile
    label: str  # how the receipt names the file
    sha256: str

    def days(self) -> tuple[set[date], set[date]]:
        """(days off, make-up working days) as the notice lists them."""
        return {d for h in self.cal.holidays for d in h.days()}, set(self.cal.make_up_working_days)


def _read(path: Path, label: str) -> _File:
    doc, problems = read_file(path)
    if not problems and not isinstance(doc.data, dict):
        problems = [Problem(doc.path, 1, "", "工作日历文件应为映射（year、notice、holidays、make_up_working_days）",
                            "YAML 映射")]
    if problems:
        raise CalendarError(problems)
    try:
        cal = CalendarFile.model_validate(doc.data)
    except ValidationError as exc:
        raise CalendarError(problems_from_validation(exc, doc, CalendarFile)) from None
    if problems := _consistency(cal, doc):
        raise CalendarError(problems)
    return _File(cal, label, hashlib.sha256(doc.text.encode("utf-8")).hexdigest())


@lru_cache(maxsize=1)
def _package_years() -> range:
    """The years chinesecalendar knows: it raises NotImplementedError outside them."""
    last = 2004
    while True:
        try:
            chinese_calendar.is_workday(date(last + 1, 1, 1))
        except NotImplementedError:
            return range(2004, last + 1)
        last += 1


def _package_workday(day: date) -> bool:
    """chinese_calendar.is_workday(day) for a day of _package_years(), from the same tables: is_workday
    recomputes min/max over every holiday on each call, 0.2 s of a `check ONE` for the ~7,700 days."""
    return day in _WORKDAYS or (day.weekday() <= 4 and day not in _HOLIDAYS)


_HOLIDAYS, _WORKDAYS = chinese_calendar.constants.holidays, chinese_calendar.constants.workdays


def _package_version() -> str:
    """chinesecalendar's version, from the package itself (reading the installed metadata scans site-packages)."""
    return getattr(chinese_calendar, "__version__", None) or metadata.version("chinesecalendar")


class Calendar:
    """Working days over a contiguous span of years, with a cumulative count for O(1) ordinals."""

    def __init__(self, files: Sequence[_File]):
        package = _package_years()
        owner: dict[int, _File | None] = dict.fromkeys(package)
        for f in files:  # a later file decides its year over the package and earlier files
            owner[f.cal.year] = f
        first = last = package[0]
        while first - 1 in owner:
            first -= 1
        while last + 1 in owner:
            last += 1
        self._span = (first, last)
        self._first, self._last = date(first, 1, 1), date(last, 12, 31)
        days = list(map(date.fromordinal, range(self._first.toordinal(), self._last.toordinal() + 1)))
        work = [_package_workday(d) if owner[d.year] is None else d.weekday() < 5 for d in days]
        for year in range(first, last + 1):  # then each file's own dates, spill into a neighbour year included
            if (f := owner[year]) is not None:
                for flag, listed in zip((False, True), f.days()):
                    for d in listed:
                        if self._first <= d <= self._last:
                            work[(d - self._first).days] = flag
        self._work = work
        self._cum = list(accumulate(work))  # _cum[i]: working days from _first to _first + i, inclusive
        self._owner = owner
        self.sources = self._describe(files, owner)

    def _describe(self, files: Sequence[_File], owner: dict) -> tuple[CalendarSource, ...]:
        first, last = self._span
        package, version = _package_years(), _package_version()
        mine = [y for y in range(first, last + 1) if owner[y] is None]
        others = "、".join(str(y) for y in package if owner[y] is not None)
        out = [CalendarSource(f"chinesecalendar {version}", (mine[0], mine[-1]) if mine else (),
                              f"Python 包 chinesecalendar {version}（含 {package[0]}–{package[-1]} 年）"
                              + (f"；其中 {others} 年以后列文件为准" if others else ""))]
        for f in files:
            n, y = f.cal.notice, f.cal.year
            used = first <= y <= last and owner[y] is f
            detail = f"{n.number}，{n.published} 发布，{n.url}；文件 {f.label}（sha256 {f.sha256}）"
            if not first <= y <= last:
                detail += f"；未使用：{y} 年与已覆盖的 {first}–{last} 年不连续"
            elif not used:
                detail += "；未使用：同一年份以后列文件为准"
            out.append(CalendarSource(n.title, (y, y) if used else (), detail))
        return tuple(out)

    def covers(self, day: date) -> bool:
        return self._first <= day <= self._last

    def _index(self, day: date) -> int:
        if not self.covers(day):
            missing = self._span[1] + 1 if day > self._last else self._span[0] - 1
            note = (f"；已加载 {day.year} 年的日历文件，但缺少 {missing} 年的，工作日无法跨越缺口计算"
                    if self._owner.get(day.year) is not None else "")
            raise CalendarGap(day, self._span, note)
        return (day - self._first).days

    def is_working_day(self, day: date) -> bool:
        return self._work[self._index(day)]

    def ordinal(self, day: date) -> int:
        """Working days d with EPOCH < d <= day, EPOCH being the day before the first covered day."""
        return self._cum[self._index(day)]

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after start up to and including end; negative if end < start."""
        return self.ordinal(end) - self.ordinal(start)

    def add_working_days(self, start: date, n: int) -> date:
        """The working day d with working_days_between(start, d) == n (n < 0 counts back); start if n == 0."""
        target = self.ordinal(start) + n
        if n == 0:
            return start
        if target < 1:
            raise CalendarGap(self._first - ONE, self._span)
        i = bisect.bisect_left(self._cum, target)
        if i == len(self._cum):
            raise CalendarGap(self._last + ONE, self._span)
        return self._first + i * ONE

    def next_working_day(self, day: date) -> date:
        """day if it is a working day, else the next one (民法典第二百零三条: a period ending on a holiday)."""
        return day if self.is_working_day(day) else self.add_working_days(day, 1)

    def years(self) -> tuple[int, int]:
        return self._span

    def receipt(self) -> list[dict]:
        return [{"name": s.name, "years": list(s.years), "detail": s.detail} for s in self.sources]


def _shipped() -> list[_File]:
    folder = Path(str(resources.files("prereview.engine"))) / "calendars"
    return [_read(p, f"calendars/{p.name}") for p in sorted(folder.glob("*.yaml"))]


@lru_cache(maxsize=1)
def _default() -> Calendar:
    return Calendar(_shipped())


def load_calendar(extra: Sequence[Path] = ()) -> Calendar:
    """The package, the shipped notices, then the user's files in the order given (a later one wins)."""
    if not extra:
        return _default()
    return Calendar(_shipped() + [_read(Path(p), str(p)) for p in extra])
