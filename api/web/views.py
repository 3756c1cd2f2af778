"""What the web pages show beyond the reports' view models: a review's status, the planned meeting and its
working days, the structured change between two versions of a dossier, and the geometry of a bar chart.
Plain data with Chinese labels, so the templates stay free of logic."""
from __future__ import annotations

import datetime as dt
import enum
import typing
from pydantic import BaseModel

from prereview.engine import kinds
from prereview.engine.calendar import CalendarGap, load_calendar
from prereview.engine.rulebook import SEVERITY_LABELS

from prereview.reports.view import cn_date

# The statuses, defined from the records alone (the list page and README say the same):
STATUS_PENDING, STATUS_FIXING, STATUS_DONE = "待审查", "补正中", "已出具意见"
STATUS_HELP = {
    STATUS_PENDING: "审查清单中尚有人工审查项未作答",
    STATUS_FIXING: "人工审查项已全部作答，结论为须补正或不得提交，等待承办单位提交补正版本",
    STATUS_DONE: "人工审查项已全部作答，结论为通过，可据此出具审查意见",
}
PRE_MEETING_STAGES = ("pre-review", "pre-meeting")  # the major decision's meeting has not yet been held
SEVERITIES = tuple(SEVERITY_LABELS)


def status(verdict: str, pending: int) -> str:
    """待审查 while `pending` manual items of the record's checklist are unanswered; then 已出具意见 for a pass
    (the verdict with the answers), 补正中 otherwise."""
    if pending:
        return STATUS_PENDING
    return STATUS_DONE if verdict == "pass" else STATUS_FIXING


def counts(findings) -> list[dict]:
    return [{"code": s, "label": SEVERITY_LABELS[s], "n": sum(1 for f in findings if f.severity == s)}
            for s in SEVERITIES]


def meeting(kind: str, dossier, today: dt.date) -> dict | None:
    """A major decision's planned collective discussion: the collective-discussion step of a dossier whose stage
    is before the meeting (拟送合法性审查 / 拟提交集体讨论), and the working days from today to it."""
    if kind != "major-decision" or dossier is None:
        return None
    held = [s.held_on for s in dossier.steps if s.type == "collective-discussion"]
    if dossier.decision.stage not in PRE_MEETING_STAGES:
        return {"date": cn_date(held[-1]) if held else "", "text": "已召开" if held else "", "overdue": False,
                "planned": False}
    if not held:
        return {"date": "", "text": "卷宗未载明拟讨论日期", "overdue": False, "planned": False}
    day = min(held)
    out = {"date": cn_date(day), "planned": True, "overdue": day < today}
    if day < today:
        out["text"] = f"已过拟讨论日期 {(today - day).days} 日"
        return out
    try:
        left = load_calendar().working_days_between(today, day)
    except CalendarGap:
        out["text"] = "该日期不在工作日历覆盖范围内，无法计算工作日"
        return out
    out["text"] = "今日召开" if left == 0 and day == today else f"尚余 {left} 个工作日"
    out["days_left"] = left
    return out


# ------------------------------------------------------------------ the structured change of a dossier

def _inner_model(annotation):
    """The pydantic model inside Optional[...] / list[...] / Annotated[...], if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _labels(annotation) -> dict:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return getattr(annotation, "labels", {}) or {}
    for arg in typing.get_args(annotation):
        found = _labels(arg)
        if found:
            return found
    return {}


def _short(description: str | None) -> str:
    """The name a description begins with: 会议名称，如 市政府第12次常务会议 -> 会议名称."""
    text = description or ""
    for stop in ("：", "；", "，如", "（如"):
        text = text.split(stop)[0]
    return text.strip()


def _walk(model, path: tuple) -> tuple[str, dict]:
    """The Chinese label of a field path inside a model, and the value labels of its enum (if any)."""
    parts: list[str] = []
    labels: dict = {}
    cur = model
    for part in path:
        if isinstance(part, int):
            if parts:
                parts[-1] += f"第{part + 1}项"
            continue
        info = cur.model_fields.get(part) if cur is not None else None
        if info is None:
            parts.append(part)
            cur = None
            continue
        label = _short(info.description)
        if label:  # a field without a description adds nothing: the reader sees words, never field names
            parts.append(label)
        labels = _labels(info.annotation)
        cur = _inner_model(info.annotation)
    return " · ".join(parts), labels


def _show(value, labels: dict) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(_show(v, labels) for v in value) or "（无）"
    if isinstance(value, dict):
        return "（一组记录）"
    return labels.get(value, str(value))


def _flat(value, prefix: tuple = ()) -> dict:
    """path -> scalar (or list of scalars) of nested data."""
    out: dict = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(_flat(v, prefix + (k,)))
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        for i, v in enumerate(value):
            out.update(_flat(v, prefix + (i,)))
    else:
        out[prefix] = value
    return out


def _field_changes(model, old: dict, new: dict) -> list[dict]:
    a, b = _flat(old), _flat(new)
    rows = []
    for path in list(a) + [p for p in b if p not in a]:
        before, after = a.get(path), b.get(path)
        if path in a and path in b and before == after:
            continue
        label, labels = _walk(model, path)
        label = label or "其他内容"
        change = "新增" if path not in a else "删除" if path not in b else "修改"
        row = {"label": label, "change": change, "old": _show(before, labels) if path in a else "",
               "new": _show(after, labels) if path in b else ""}
        if isinstance(before, list) and isinstance(after, list):  # a list: what came and went, not both lists
            gone = [v for v in before if v not in after]
            came = [v for v in after if v not in before]
            if gone or came:
                row.update(old="删去：" + _show(gone, labels) if gone else "",
                           new="增加：" + _show(came, labels) if came else "")
        rows.append(row)
    return rows


def _keyed_steps(steps) -> dict:
    out, seen = {}, {}
    for s in steps if isinstance(steps, list) else []:
        if isinstance(s, dict):
            seen[s.get("type")] = seen.get(s.get("type"), 0) + 1
            out[(s.get("type"), seen[s.get("type")])] = s
    return out


def dossier_changes(kind_code: str, old: dict, new: dict) -> dict:
    """Fields of the decision, steps (by type and occurrence) and materials (by ID) added, changed or removed."""
    kind = kinds.get(kind_code)
    decision_model = kind.decision
    out = {"decision": _field_changes(decision_model, old.get("decision") or {}, new.get("decision") or {})}
    steps_old, steps_new = _keyed_steps(old.get("steps")), _keyed_steps(new.get("steps"))
    step_rows = []
    for key in list(steps_old) + [k for k in steps_new if k not in steps_old]:
        model = kind.steps.get(key[0])
        label = kind.step_label(key[0]) + (f"（第{key[1]}次）" if key[1] > 1 else "")
        if key not in steps_new:
            step_rows.append({"label": label, "change": "删除", "fields": []})
        elif key not in steps_old:
            step_rows.append({"label": label, "change": "新增", "fields": []})
        else:
            fields = _field_changes(model, steps_old[key], steps_new[key])
            if fields:
                step_rows.append({"label": label, "change": "修改", "fields": fields})
    out["steps"] = step_rows
    material_model = _inner_model(kind.dossier.model_fields["materials"].annotation)
    mats_old = {m.get("id"): m for m in old.get("materials") or [] if isinstance(m, dict)}
    mats_new = {m.get("id"): m for m in new.get("materials") or [] if isinstance(m, dict)}
    mat_rows = []
    for key in list(mats_old) + [k for k in mats_new if k not in mats_old]:
        m = mats_new.get(key) or mats_old[key]
        label = str(m.get("name") or key)
        if key not in mats_new:
            mat_rows.append({"label": label, "change": "删除", "fields": []})
        elif key not in mats_old:
            mat_rows.append({"label": label, "change": "新增", "fields": []})
        else:
            fields = _field_changes(material_model, mats_old[key], mats_new[key])
            if fields:
                mat_rows.append({"label": label, "change": "修改", "fields": fields})
    out["materials"] = mat_rows
    out["empty"] = not (out["decision"] or step_rows or mat_rows)
    return out


def field_label(kind_code: str, data: dict, path: str) -> str:
    """steps[9].opinion_on -> 合法性审查 · 审查意见出具日期: where an evidence line points, in words."""
    import re

    kind = kinds.get(kind_code)
    if kind is None or not path:
        return ""
    parts: list = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        parts.append(int(index) if index else name)
    if len(parts) >= 2 and parts[0] == "steps" and isinstance(parts[1], int):
        steps = data.get("steps") if isinstance(data, dict) else None
        step = steps[parts[1]] if isinstance(steps, list) and parts[1] < len(steps) else None
        stype = step.get("type") if isinstance(step, dict) else None
        model = kind.steps.get(stype)
        rest = tuple(parts[2:])
        label = _walk(model, rest)[0] if rest and model else ""
        if not label and rest and model is not None and rest[0] == getattr(model, "date_field", None):
            label = "日期"  # the step's own date (held_on, completed_on …) carries no description
        return kind.step_label(stype) + (" · " + label if label else "")
    if parts and parts[0] == "decision":
        return _walk(kind.decision, tuple(parts[1:]))[0] if len(parts) > 1 else "决策事项"
    if len(parts) >= 2 and parts[0] == "materials":
        return "送审材料" + (f"第{parts[1] + 1}项" if isinstance(parts[1], int) else "")
    return _walk(kind.dossier, tuple(parts))[0]


# ------------------------------------------------------------------ the statistics chart

def bar_chart(rows: list[tuple[str, int]], width: int = 640, bar_h: int = 22, label_w: int = 260) -> dict:
    """Horizontal bars: one per (label, count), scaled to the largest count."""
    top = max((n for _, n in rows), default=0) or 1
    span = width - label_w - 60
    bars = [{"label": label, "n": n, "y": 8 + i * (bar_h + 8), "w": round(n / top * span, 1)}
            for i, (label, n) in enumerate(rows)]
    return {"width": width, "height": 16 + len(rows) * (bar_h + 8), "bar_h": bar_h, "x": label_w, "bars": bars}
