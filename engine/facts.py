"""Derive flat facts from a dossier: the records the rules match on.

Each fact is a flat dict of str / int / bool (durable-rules cannot take None; amounts
are whole yuan). Dates become day numbers so rules can compare and add to them;
durations are computed here once, so a condition stays a comparison. Every date a
working-day calendar covers also gets three companions:
  <date>_wd         its working-day ordinal: `a_wd + 7 >= b_wd` reads "b is at most 7 working days after a"
  <date>_workday    whether it is a working day
  <date>_rest_from  the first day of the run of rest days just before it (or the day itself): a calendar-day
                    period of N days from x whose last day falls on a holiday ends on the next working day
                    (民法典第二百零三条), so "d is within N days of x" is `d_rest_from <= x + N`.
A date the calendar does not cover gets none of them, and when a rule in force needs one the
decision fact says so (calendar_gap), so a period is never answered silently.
Each fact also remembers where in the file each attribute came from, so a finding can cite
file, line and field. What differs between decision kinds comes from the kind (engine/kinds/).
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import types
import typing
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from pydantic import BaseModel

from .conditions import FactSchema
from .load import LoadedDossier

SKIP = {"type", "materials", "note"}
WD_SUFFIXES = ("_wd", "_workday", "_rest_from")
NO_DATE = dt.date(2000, 1, 1)  # the reference date of a dossier that states no date at all


@dataclass
class Fact:
    data: dict                       # what durable-rules sees
    display: dict                    # attr -> text for messages
    pos: tuple                       # where the record is in the file
    attr_pos: dict = field(default_factory=dict)  # attr -> tuple of positions
    label: str = ""

    @property
    def id(self) -> str:
        return self.data["id"]

    def positions(self, attr: str) -> tuple:
        return self.attr_pos.get(attr, (self.pos,))


def _kind_of(annotation) -> tuple[str, object]:
    """Classify a field annotation: ('date'|'bool'|'int'|'money'|'text'|'enum'|'list'|'model', detail)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _kind_of(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if set(inner) == {float, int}:
            return "money", None
        return _kind_of(inner[0])
    if origin is list:
        return "list", args[0]
    if annotation is dt.date:
        return "date", None
    if annotation is bool:
        return "bool", None
    if annotation is int:
        return "int", None
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "enum", annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    return "text", None


@functools.cache
def fields_of(cls: type[BaseModel]) -> tuple:
    """(name, kind, detail) of each field of a model class, classified once per class."""
    return tuple((name, *_kind_of(info.annotation)) for name, info in cls.model_fields.items())


@functools.cache
def mat_attr(kind: str) -> str:
    return "mat_" + kind.replace("-", "_")


def _with_calendar(attrs: dict[str, str]) -> dict[str, str]:
    """Every date attribute with its working-day companions."""
    out = dict(attrs)
    for name, kind in attrs.items():
        if kind == "date":
            out |= {f"{name}_wd": "int", f"{name}_workday": "bool", f"{name}_rest_from": "date"}
    return out


@functools.cache
def schema_for(kind) -> FactSchema:
    """The attributes and coded values of each fact of a decision kind, from its models."""
    attributes, values, types_ = {}, {}, {}

    def add(fact, subtype, cls, extra: dict[str, str]):
        attrs = {"id": "text"} | extra
        for name, k, detail in fields_of(cls):
            if name in SKIP or k == "model":
                continue
            if k == "list":
                attrs[f"{name}_count"] = "int"
            else:
                attrs[name] = "int" if k == "money" else k
                if k == "enum":
                    values[(fact, subtype, name)] = list(detail.labels)
        attrs = _with_calendar(attrs)
        attributes[(fact, subtype)] = set(attrs)
        for name, k in attrs.items():
            types_.setdefault(name, k)
        return set(attrs)

    material_kinds = list(kind.material_kinds.labels)
    union = set()
    for step_type, cls in kind.steps.items():
        extra = {"date": "date", "order": "int", "materials_count": "int", "type": "enum"}
        extra |= {mat_attr(k): "bool" for k in material_kinds}
        extra |= {a: "int" for a in kind.durations.get(step_type, {})}
        extra |= {a: "int" for a in kind.working_durations.get(step_type, {})}
        extra |= kind.step_attrs.get(step_type, {})
        union |= add("step", step_type, cls, extra)
    attributes[("step", None)] = union
    for (f, s, a), v in list(values.items()):
        if f == "step" and s is not None:
            values.setdefault(("step", None, a), v)
    for child, (parents, list_field, _) in kind.children.items():
        cls = typing.get_args(kind.steps[parents[0]].model_fields[list_field].annotation)[0]
        add(child, None, cls, {"parent": "text"})
    add("material", None, _material_model(kind), {"used": "bool", "has_ref": "bool", "has_sha256": "bool"})
    decision = add("decision", None, kind.decision,
                   {"level": "enum", "organ_type": "enum", "province": "text", "city": "text", "county": "text", "in_scope": "bool", "as_of": "date",
                    "calendar_gap": "bool", "calendar_gap_dates": "text"} | kind.decision_attrs)
    organ = kind.decision.model_fields["organ"].annotation
    values[("decision", None, "level")] = list(organ.model_fields["level"].annotation.labels)
    values[("decision", None, "organ_type")] = list(organ.model_fields["type"].annotation.labels)
    for attr, detail in getattr(kind, "decision_values", {}).items():
        values[("decision", None, attr)] = detail
    attributes[("decision", None)] = decision
    return FactSchema(attributes, values, list(kind.steps), material_kinds, types_, tuple(kind.children))


def _material_model(kind):
    return typing.get_args(kind.dossier.model_fields["materials"].annotation)[0]


class _Builder:
    """Adds attributes to one fact, converting to what durable-rules accepts."""

    def __init__(self, fact: Fact, calendar, gaps: list):
        self.fact, self.calendar, self.gaps = fact, calendar, gaps

    def put(self, attr: str, value, kind: str, detail, pos: tuple):
        fact = self.fact
        if value is None:
            return
        if kind == "date":
            fact.data[attr] = value.toordinal()
            fact.display[attr] = value.isoformat()
            self._working_days(attr, value, pos)
        elif kind == "enum":
            fact.data[attr] = value
            fact.display[attr] = detail.labels.get(value, value) if detail else value
        elif kind == "bool":
            fact.data[attr] = bool(value)
            fact.display[attr] = "是" if value else "否"
        elif kind == "money":  # whole yuan for comparisons; the display keeps the amount as written
            fact.data[attr] = int(value)
            fact.display[attr] = f"{value:,}".removesuffix(".0")
        else:
            fact.data[attr] = value
            fact.display[attr] = str(value)
        fact.attr_pos[attr] = (pos,)

    def _working_days(self, attr: str, day: dt.date, pos: tuple):
        cal = self.calendar
        if cal is None:
            return
        if not cal.covers(day):
            self.gaps.append((self.fact, attr, day))
            return
        fact = self.fact
        rest_from = day
        while cal.covers(rest_from - dt.timedelta(days=1)) and not cal.is_working_day(rest_from - dt.timedelta(days=1)):
            rest_from -= dt.timedelta(days=1)
        for name, value, text in ((f"{attr}_wd", cal.ordinal(day), None),
                                  (f"{attr}_workday", cal.is_working_day(day), None),
                                  (f"{attr}_rest_from", rest_from.toordinal(), rest_from.isoformat())):
            fact.data[name] = value
            fact.display[name] = text or (("是" if value else "否") if isinstance(value, bool) else str(value))
            fact.attr_pos[name] = (pos,)

    def record(self, obj: BaseModel, pos: tuple, skip=SKIP):
        for name, kind, detail in fields_of(type(obj)):
            if name in skip or kind == "model":
                continue
            value = getattr(obj, name)
            if kind == "list":
                self.put(f"{name}_count", len(value), "int", None, pos + (name,))
            else:
                self.put(name, value, kind, detail, pos + (name,))


def latest_date(d) -> dt.date | None:
    dates = [getattr(step, name) for step in d.steps for name, kind, _ in fields_of(type(step))
             if kind == "date" and getattr(step, name) is not None]
    return max(dates) if dates else None


def as_of_date(d, override: dt.date | None = None) -> dt.date:
    """The review's reference date: given, declared, or the last date in the record."""
    return override or d.decision.as_of or latest_date(d) or NO_DATE


def _content_key(step) -> str:
    """Two steps of one type on one date are ranked by what they say, never by where they stand in the file
    (nor by the order of the items of their lists: officers, measures, material references)."""
    return _canonical_json(step.model_dump(mode="json"))


def _canonical_json(value) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_canonical_json(v)}"
                              for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ",".join(sorted(_canonical_json(v) for v in value)) + "]"
    return json.dumps(value, ensure_ascii=False)


def derive(loaded: LoadedDossier, kind, as_of: dt.date, calendar=None,
           needs_calendar: frozenset = frozenset()) -> list[Fact]:
    """The facts of one dossier. `needs_calendar` names the (step type or 'decision', date attribute) pairs whose
    working-day companions a rule in force compares ('*' for any step type): a gap there is a calendar gap."""
    d = loaded.dossier
    materials = {m.id: m for m in d.materials}
    used = {mid for s in d.steps for mid in s.materials}
    material_kinds = list(kind.material_kinds.labels)
    gaps: list = []
    facts: list[Fact] = []
    steps = []
    for i, step in enumerate(d.steps):
        pos = ("steps", i)
        fact = Fact({"t": "step", "id": f"s{i}", "type": step.type}, {"type": step.label},
                    pos, label=f"{step.label}（steps[{i}]）")
        fact.attr_pos["type"] = (pos + ("type",),)
        b = _Builder(fact, calendar, gaps)
        b.record(step, pos)
        b.put("date", getattr(step, step.date_field), "date", None, pos + (step.date_field,))
        for attr, (later, earlier) in kind.durations.get(step.type, {}).items():
            a, e = getattr(step, later), getattr(step, earlier)
            if a is not None and e is not None:
                fact.data[attr] = (a - e).days
                fact.display[attr] = str((a - e).days)
                fact.attr_pos[attr] = (pos + (earlier,), pos + (later,))
        for attr, (later, earlier) in kind.working_durations.get(step.type, {}).items():
            a, e = fact.data.get(f"{later}_wd"), fact.data.get(f"{earlier}_wd")
            if a is not None and e is not None:
                fact.data[attr] = a - e
                fact.display[attr] = str(a - e)
                fact.attr_pos[attr] = (pos + (earlier,), pos + (later,))
        if kind.step_facts:
            kind.step_facts(step, b.put, pos)
        kinds_here = {materials[mid].kind for mid in step.materials}
        for k in material_kinds:
            b.put(mat_attr(k), k in kinds_here, "bool", None, pos + ("materials",))
        b.put("materials_count", len(step.materials), "int", None, pos + ("materials",))
        steps.append((step, fact))
        facts.append(fact)
    first = [(fact.data.get("date", 0), step.type) for step, fact in steps]
    tied = {k for k, n in Counter(first).items() if n > 1}  # only ties are ranked by content (it costs)
    keys = [(k, _content_key(step) if k in tied else "") for k, (step, _) in zip(first, steps)]
    ranked = [steps[i] for i in sorted(range(len(steps)), key=keys.__getitem__)]
    for n, (_, fact) in enumerate(ranked, 1):
        fact.data["order"] = n
        fact.display["order"] = str(n)
    for child, (parents, list_field, _) in kind.children.items():
        for step, parent_fact in steps:
            if step.type not in parents:
                continue
            for j, item in enumerate(getattr(step, list_field)):
                pos = parent_fact.pos + (list_field, j)
                fact = Fact({"t": child, "id": f"{parent_fact.id}.{child}{j}", "parent": parent_fact.id}, {},
                            pos, label=f"{getattr(item, 'name', '') or getattr(item, 'type', '')}（{_dotted(pos)}）")
                _Builder(fact, calendar, gaps).record(item, pos)
                facts.append(fact)
    for k, m in enumerate(d.materials):
        pos = ("materials", k)
        fact = Fact({"t": "material", "id": f"m{k}"}, {}, pos, label=f"材料 {m.name}")
        b = _Builder(fact, calendar, gaps)
        b.record(m, pos)
        b.put("used", m.id in used, "bool", None, pos)
        b.put("has_ref", m.ref is not None, "bool", None, pos + ("ref",))
        b.put("has_sha256", m.sha256 is not None, "bool", None, pos + ("sha256",))
        facts.append(fact)
    decision = _decision_fact(d.decision, kind, as_of, calendar, gaps)
    needed = [(f, attr, day) for f, attr, day in gaps if _needed(f, attr, needs_calendar)]
    _Builder(decision, None, []).put("calendar_gap", bool(needed), "bool", None, ("decision",))
    if needed:  # the finding points at the dates the calendar lacks
        decision.data["calendar_gap_dates"] = decision.display["calendar_gap_dates"] = "、".join(
            sorted({day.isoformat() for _, _, day in needed}))
        where = tuple(dict.fromkeys(p for f, attr, _ in sorted(needed, key=_gap_order) for p in f.positions(attr)))
        decision.attr_pos["calendar_gap"] = decision.attr_pos["calendar_gap_dates"] = where
    facts.append(decision)
    return facts


def _gap_order(gap) -> tuple:
    """By date, then by what the record says (a step's rank is by content), never by its place in the file."""
    fact, attr, day = gap
    return (day, fact.data["t"], fact.data.get("order", 0), attr,
            json.dumps(fact.display, ensure_ascii=False, sort_keys=True), fact.pos)


def _needed(fact: Fact, attr: str, needs: frozenset) -> bool:
    subtype = fact.data.get("type") if fact.data["t"] == "step" else fact.data["t"]
    return (subtype, attr) in needs or (fact.data["t"] == "step" and ("*", attr) in needs)


def _dotted(pos: tuple) -> str:
    from .source import dotted
    return dotted(pos)


def _decision_fact(d, kind, as_of: dt.date, calendar, gaps: list) -> Fact:
    fact = Fact({"t": "decision", "id": "decision"}, {}, ("decision",), label="决策事项")
    b = _Builder(fact, calendar, gaps)
    b.record(d, ("decision",), skip={"as_of"})
    organ = ("decision", "organ")
    level_enum = type(d.organ).model_fields["level"].annotation
    type_enum = type(d.organ).model_fields["type"].annotation
    b.put("level", d.organ.level, "enum", level_enum, organ + ("level",))
    b.put("organ_type", d.organ.type, "enum", type_enum, organ + ("type",))
    b.put("province", d.organ.province, "text", None, organ + ("province",))
    for attr in ("city", "county"):
        if getattr(d.organ, attr):
            b.put(attr, getattr(d.organ, attr), "text", None, organ + (attr,))
    b.put("as_of", as_of, "date", None, ("decision", "as_of"))
    b.put("in_scope", kind.in_scope(d), "bool", None, ("decision", "scope"))
    kind.decision_facts(d, b.put, b.record)
    return fact
