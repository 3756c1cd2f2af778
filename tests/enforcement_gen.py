"""Random variants of the compliant enforcement bases, driven by the kind's own dossier model.

`pick(options)` chooses one option: hypothesis draws in the properties, a seeded Random in the soak test.
Every value is of the type its field declares, so most variants are valid dossiers; the few that break a
cross-field constraint (a fine without an amount, a count below its minimum) must give a located error.
"""
from __future__ import annotations

import copy
import datetime as dt
import typing

from prereview.engine.facts import fields_of
from prereview.engine.kinds import get
from prereview.engine.kinds.enforcement import Ground, MeasureType, PartyType

KIND = get("enforcement-decision")
_SKIP = {"type", "materials", "note"}
_TEXTS = ["某某", "兰州市市场监督管理局法规科 赵某", "《中华人民共和国行政处罚法》第五十八条"]
_MONEY = [0, 200, 3000, 10000, 50000, 200000, 1000000]
_INTS = [0, 1, 2, 3, 7, 15, 30, 60]
# whole-case shifts: into 2027 (no working-day calendar), before the 2021 penalty law, before any rule in force
_CASE_SHIFTS = [0, 0, 0, 0, 300, 700, -1700, -5200]


def shift_dates(node, days: int):
    """Every `*_on` date and `as_of` in a dossier (or part of one) moved by `days`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if (key.endswith("_on") or key == "as_of") and isinstance(value, str):
                node[key] = (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()
            else:
                shift_dates(value, days)
    elif isinstance(node, list):
        for item in node:
            shift_dates(item, days)


def _value(kind: str, detail, old, pick, annotation=None):
    if typing.get_origin(annotation) is typing.Literal:
        return pick(list(typing.get_args(annotation)))
    if kind == "bool":
        return pick([True, False])
    if kind == "enum":
        return pick(list(detail.labels))
    if kind == "date":
        day = dt.date.fromisoformat(old) if isinstance(old, str) else dt.date(2025, 5, 1)
        return (day + dt.timedelta(days=pick(range(-15, 16)))).isoformat()
    if kind == "money":
        return pick(_MONEY)
    if kind == "int":
        return pick(_INTS)
    if kind == "text":
        return pick(_TEXTS)
    return old


def _scalar_fields(cls):
    return [(n, k, d) for n, k, d in fields_of(cls) if n not in _SKIP and k not in ("list", "model")]


def _change_field(record: dict, cls, pick, keep=()):
    fields = [f for f in _scalar_fields(cls) if f[0] not in keep]
    if fields:
        name, kind, detail = pick(fields)
        record[name] = _value(kind, detail, record.get(name), pick, cls.model_fields[name].annotation)


def _new_step(step_type: str, day: str, pick) -> dict:
    """A step of any type with its required fields, and some optional ones, filled."""
    cls = KIND.steps[step_type]
    step = {"type": step_type}
    for name, kind, detail in _scalar_fields(cls):
        if cls.model_fields[name].is_required() or pick([False, False, True]):
            step[name] = _value(kind, detail, day, pick, cls.model_fields[name].annotation)
    if "channels" in cls.model_fields:
        step["channels"] = ["某某网站"]
    return step


def twin(step: dict, pick) -> dict:
    """Another step of the same type on the same date that says something different."""
    cls = KIND.steps[step["type"]]
    twin = copy.deepcopy(step)
    _change_field(twin, cls, pick, keep={cls.date_field})
    if "channels" in twin:
        twin["channels"] = [pick(["某某网站", "某某日报", "国家企业信用信息公示系统"])]
    if _same(twin, step, cls):
        twin["materials"] = []
    if _same(twin, step, cls):  # records alike in every field can only be told apart by their place in the file
        twin["note"] = "另一份记录"
    return twin


def _same(a: dict, b: dict, cls) -> bool:
    """Whether two records say the same once defaults are filled in (urgent: false is what an absent urgent says)."""
    try:
        return cls.model_validate(a).model_dump() == cls.model_validate(b).model_dump()
    except ValueError:
        return a == b


def mutate_enf(data: dict, pick) -> dict:
    """A variant of a compliant enforcement base: steps dropped, added, twinned, fields and dates changed."""
    shift_dates(data, pick(_CASE_SHIFTS))
    data["steps"] = [s for s in data["steps"] if not pick([False, False, False, True])]
    for step in data["steps"]:
        cls = KIND.steps[step["type"]]
        if pick([False, True, False]):
            _change_field(step, cls, pick)
        for child in ("measures", "officers"):
            items = step.get(child)
            if items and pick([False, False, True]):
                item = pick(items)
                if child == "officers":
                    item.pop("certificate", None)
                else:
                    item["type"] = pick(list(MeasureType.labels))
                    item["amount"] = pick(_MONEY)
            if items and pick([False, False, False, True]):
                items.pop()
    days = [v for s in data["steps"] for k, v in s.items() if k.endswith("_on") and isinstance(v, str)]
    if data["steps"] and pick([False, True]):
        data["steps"].append(twin(pick(data["steps"]), pick))
    if pick([False, False, True]):
        data["steps"].append(_new_step(pick(list(KIND.steps)), pick(days or ["2025-05-01"]), pick))
    decision = data["decision"]
    decision["stage"] = pick(list(KIND.stages.labels))
    for name in ("action", "sector"):
        if pick([False, False, False, True]):
            decision[name] = pick(list(KIND.decision.model_fields[name].annotation.labels))
    for name in ("complex_or_serious", "criminal_suspected"):
        if pick([False, False, True]):
            decision[name] = pick([False, True])
    if pick([False, False, True]):
        decision["party"]["type"] = pick(list(PartyType.labels))
    if pick([False, False, True]):
        decision["major_grounds"] = [g for g in Ground.labels if pick([False, False, True])]
    return data
