"""Derive flat facts from a dossier: the records the rules match on.

Each fact is a flat dict of str / int / bool (durable-rules cannot take None, floats
are not needed). Dates become day numbers so rules can compare and add to them;
durations are computed here once. Each fact also remembers where in the file each
attribute came from, so a finding can cite file, line and field.
"""
from __future__ import annotations

import datetime as dt
import functools
import typing
from dataclasses import dataclass, field
from enum import Enum

from pydantic import BaseModel

from . import dossier as model
from .conditions import FactSchema
from .load import LoadedDossier

# Durations in calendar days: attribute -> (later date, earlier date). Working days
# arrive with the calendar (a later issue) as *_wd attributes beside these.
DURATIONS = {
    "public-comment": {"days": ("closes_on", "published_on")},
    "hearing": {"notice_days": ("held_on", "announced_on"),
                "delivery_days": ("held_on", "materials_delivered_on"),
                "participants_days": ("held_on", "participants_published_on")},
    "legality-review": {"review_days": ("opinion_on", "submitted_on")},
}
CHILDREN = {"experts": ("expert-review", "experts"), "units": ("interagency-consultation", "units")}
SKIP = {"type", "materials", "note"}


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
    """Classify a field annotation: ('date'|'bool'|'int'|'text'|'enum'|'list'|'model', detail)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _kind_of(args[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [a for a in args if a is not type(None)]
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
def _fields(cls: type[BaseModel]) -> tuple:
    """(name, kind, detail) of each field of a model class, classified once per class."""
    return tuple((name, *_kind_of(info.annotation)) for name, info in cls.model_fields.items())


STEP_MODELS = {typing.get_args(m.model_fields["type"].annotation)[0]: m
               for m in typing.get_args(typing.get_args(model.Step)[0])}
MATERIAL_KINDS = list(model.MaterialKind.labels)


@functools.cache
def _mat_attr(kind: str) -> str:
    return "mat_" + kind.replace("-", "_")


def _schema() -> FactSchema:
    attributes, values, types = {}, {}, {}

    def add(fact, subtype, cls, extra=()):
        attrs = set(extra) | {"id"}
        for name, kind, detail in _fields(cls):
            if name in SKIP:
                continue
            if kind == "list":
                attrs.add(f"{name}_count")
                types[f"{name}_count"] = "int"
            elif kind == "model":
                continue
            else:
                attrs.add(name)
                types.setdefault(name, kind)
                if kind == "enum":
                    values[(fact, subtype, name)] = list(detail.labels)
        attributes[(fact, subtype)] = attrs
        return attrs

    union = set()
    for step_type, cls in STEP_MODELS.items():
        extra = {"date", "order", "materials_count", "type"} | {_mat_attr(k) for k in MATERIAL_KINDS}
        extra |= set(DURATIONS.get(step_type, {}))
        union |= add("step", step_type, cls, extra)
    attributes[("step", None)] = union
    for child, (parent, _) in CHILDREN.items():
        cls = typing.get_args(STEP_MODELS[parent].model_fields[child].annotation)[0]
        add(child, None, cls, {"parent"})
    add("material", None, model.Material, {"used", "has_ref", "has_sha256"})
    dec = add("decision", None, model.Decision, {"level", "organ_type", "province", "in_scope", "as_of"})
    circ = add("decision", None, model.Circumstances)
    attributes[("decision", None)] = dec | circ | {
        "specific_group", "specific_group_name", "hearing_required", "withheld", "withheld_reason", "urgent",
        "exploratory_reform", "adjusts", "adjusts_name", "adjustment_major"}
    values[("decision", None, "level")] = list(model.Level.labels)
    values[("decision", None, "organ_type")] = list(model.OrganType.labels)
    for (f, s, a), v in list(values.items()):
        if f == "step" and s is not None:
            values.setdefault(("step", None, a), v)
    derived = {"date": "date", "order": "int", "materials_count": "int", "used": "bool", "has_ref": "bool",
               "has_sha256": "bool", "in_scope": "bool", "as_of": "date"}
    derived |= {a: "int" for d in DURATIONS.values() for a in d}
    derived |= {_mat_attr(k): "bool" for k in MATERIAL_KINDS}
    derived |= {flag: "bool" for flag in ("specific_group", "hearing_required", "withheld", "urgent",
                                          "exploratory_reform", "adjusts", "adjustment_major")}
    derived |= {"level": "enum", "organ_type": "enum", "province": "text", "specific_group_name": "text",
                "withheld_reason": "text", "adjusts_name": "text"}
    types.update(derived)
    return FactSchema(attributes, values, list(STEP_MODELS), MATERIAL_KINDS, types)


SCHEMA = _schema()


def _put(fact: Fact, attr: str, value, kind: str, detail, pos: tuple):
    """Add one attribute, converting to what durable-rules accepts."""
    if value is None:
        return
    if kind == "date":
        fact.data[attr] = value.toordinal()
        fact.display[attr] = value.isoformat()
    elif kind == "enum":
        fact.data[attr] = value
        fact.display[attr] = detail.labels.get(value, value)
    elif kind == "bool":
        fact.data[attr] = bool(value)
        fact.display[attr] = "是" if value else "否"
    else:
        fact.data[attr] = value
        fact.display[attr] = str(value)
    fact.attr_pos[attr] = (pos,)


def _record(fact: Fact, obj: BaseModel, pos: tuple, skip=SKIP):
    for name, kind, detail in _fields(type(obj)):
        if name in skip or kind == "model":
            continue
        value = getattr(obj, name)
        if kind == "list":
            _put(fact, f"{name}_count", len(value), "int", None, pos + (name,))
        else:
            _put(fact, name, value, kind, detail, pos + (name,))


def _decision_fact(d: model.Decision, as_of: dt.date) -> Fact:
    fact = Fact({"t": "decision", "id": "decision"}, {}, ("decision",), label="决策事项")
    _record(fact, d, ("decision",), skip={"organ", "circumstances", "as_of"})
    organ = ("decision", "organ")
    _put(fact, "level", d.organ.level, "enum", model.Level, organ + ("level",))
    _put(fact, "organ_type", d.organ.type, "enum", model.OrganType, organ + ("type",))
    _put(fact, "province", d.organ.province, "text", None, organ + ("province",))
    _put(fact, "as_of", as_of, "date", None, ("decision", "as_of"))
    _put(fact, "in_scope", d.kind == "major-decision" and d.excluded is None and d.scope is not None,
         "bool", None, ("decision", "scope"))
    c = d.circumstances
    cp = ("decision", "circumstances")
    _record(fact, c, cp, skip={"specific_group", "hearing_required_by", "withheld", "urgent_reason",
                               "exploratory_reform_risk", "adjusts"})
    flags = {  # optional text circumstances become a yes/no flag plus the text
        "specific_group": (c.specific_group, "specific_group_name"),
        "hearing_required": (c.hearing_required_by, "hearing_required_by"),
        "withheld": (c.withheld.reason if c.withheld else None, "withheld_reason"),
        "urgent": (c.urgent_reason, "urgent_reason"),
        "exploratory_reform": (c.exploratory_reform_risk, "exploratory_reform_risk"),
        "adjusts": (c.adjusts.earlier_decision if c.adjusts else None, "adjusts_name"),
    }
    source = {"specific_group": "specific_group", "hearing_required": "hearing_required_by",
              "withheld": "withheld", "urgent": "urgent_reason", "exploratory_reform": "exploratory_reform_risk",
              "adjusts": "adjusts"}
    for flag, (text, text_attr) in flags.items():
        _put(fact, flag, text is not None, "bool", None, cp + (source[flag],))
        _put(fact, text_attr, text, "text", None, cp + (source[flag],))
    _put(fact, "adjustment_major", bool(c.adjusts and c.adjusts.major), "bool", None, cp + ("adjusts",))
    return fact


def latest_date(d: model.Dossier) -> dt.date | None:
    dates = []
    for step in d.steps:
        for name, kind, _ in _fields(type(step)):
            if kind == "date" and getattr(step, name) is not None:
                dates.append(getattr(step, name))
    return max(dates) if dates else None


def as_of_date(d: model.Dossier, override: dt.date | None = None) -> dt.date:
    """The review's reference date: given, declared, or the last date in the record."""
    return override or d.decision.as_of or latest_date(d) or dt.date(2000, 1, 1)


def derive(loaded: LoadedDossier, as_of: dt.date) -> list[Fact]:
    d = loaded.dossier
    materials = {m.id: m for m in d.materials}
    used = {mid for s in d.steps for mid in s.materials}
    facts: list[Fact] = []
    steps = []
    for i, step in enumerate(d.steps):
        pos = ("steps", i)
        fact = Fact({"t": "step", "id": f"s{i}", "type": step.type}, {"type": model.STEP_LABELS[step.type]},
                    pos, label=f"{model.STEP_LABELS[step.type]}（steps[{i}]）")
        fact.attr_pos["type"] = (pos + ("type",),)
        _record(fact, step, pos)
        date_field = model.STEP_DATE[step.type]
        _put(fact, "date", getattr(step, date_field), "date", None, pos + (date_field,))
        for attr, (later, earlier) in DURATIONS.get(step.type, {}).items():
            a, b = getattr(step, later), getattr(step, earlier)
            if a is not None and b is not None:
                fact.data[attr] = (a - b).days
                fact.display[attr] = str((a - b).days)
                fact.attr_pos[attr] = (pos + (earlier,), pos + (later,))
        kinds = {materials[mid].kind for mid in step.materials}
        for k in MATERIAL_KINDS:
            _put(fact, _mat_attr(k), k in kinds, "bool", None, pos + ("materials",))
        _put(fact, "materials_count", len(step.materials), "int", None, pos + ("materials",))
        steps.append((step, fact))
        facts.append(fact)
    # order of steps on the timeline (ties broken by type, then file position, never by file order alone)
    ranked = sorted(steps, key=lambda sf: (sf[1].data.get("date", 0), sf[0].type, sf[1].pos))
    for n, (_, fact) in enumerate(ranked, 1):
        fact.data["order"] = n
        fact.display["order"] = str(n)
    for child, (parent, list_field) in CHILDREN.items():
        for step, parent_fact in steps:
            if step.type != parent:
                continue
            for j, item in enumerate(getattr(step, list_field)):
                pos = parent_fact.pos + (list_field, j)
                fact = Fact({"t": child, "id": f"{parent_fact.id}.{child}{j}", "parent": parent_fact.id}, {},
                            pos, label=f"{getattr(item, 'name', '')}（{'.'.join(map(str, pos))}）")
                _record(fact, item, pos)
                facts.append(fact)
    for k, m in enumerate(d.materials):
        pos = ("materials", k)
        fact = Fact({"t": "material", "id": f"m{k}"}, {}, pos, label=f"材料 {m.name}")
        _record(fact, m, pos)
        _put(fact, "used", m.id in used, "bool", None, pos)
        _put(fact, "has_ref", m.ref is not None, "bool", None, pos + ("ref",))
        _put(fact, "has_sha256", m.sha256 is not None, "bool", None, pos + ("sha256",))
        facts.append(fact)
    facts.append(_decision_fact(d.decision, as_of))
    return facts
