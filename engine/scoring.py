"""Score one case file by a rubric: the review's findings become deductions and vetoes, the 卷面 its form items.

- each finding of a rule the rubric lists is one deduction (the item's figure), with the finding's message and
  the articles behind it; an area never loses more than its points, the score never goes below the floor;
- a veto applies its consequence (lowest grade, zero, not the top grade) and says which finding raised it;
- a figure the rubric leaves `unknown` is never guessed: the score or the grade that needs it is None and
  `ungraded` says which figure is missing (fail closed);
- a reviewer's override changes a deduction's points (or lifts a veto, or scores a manual item) with a reason;
  the machine's value stays beside it, and the file keeps both scores.
The result is a plain dict with a fixed key order: the same review and rubric give byte-identical JSON.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from .errors import InputError, Problem
from .load import problems_from_validation
from .rubric import CONSEQUENCES, UNKNOWN, Rubric
from .source import dotted, read_file

ENFORCEMENT_TYPES = {"penalty": "处罚", "licence": "许可", "coercive-measure": "强制", "coercive-enforcement": "强制"}


class OverridesError(InputError):
    kind = "复评（人工调整）文件 (overrides) "


class Override(BaseModel):
    """复评：a reviewer's change to one machine deduction, veto or manual item of one file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    file: str = Field(min_length=1, description="案卷文件的 sha256，或其路径")
    item: str = Field(min_length=1, description="评查项或否决项编号")
    rule: str | None = Field(default=None, description="同一评查项有多处问题时，指明哪条规则的那一处")
    points: StrictInt | None = Field(default=None, ge=0, description="评查人员认定的扣分")
    lift: StrictBool = Field(default=False, description="撤销否决（否决项）")
    reason: str = Field(min_length=1, description="调整理由")
    reviewer: str = Field(min_length=1)
    on: dt.date


class OverridesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overrides: list[Override] = Field(default_factory=list)


def load_overrides(path, rubric: Rubric) -> list[Override]:
    """The reviewers' overrides, each checked against the rubric (located errors, all at once)."""
    doc, problems = read_file(path)
    if problems:
        raise OverridesError(problems)
    try:
        overrides = OverridesFile.model_validate(doc.data).overrides
    except ValidationError as exc:
        raise OverridesError(problems_from_validation(exc, doc, OverridesFile)) from None
    items = {i.id for a in rubric.spec.areas for i in a.items}
    vetoes = {v.id for v in rubric.spec.vetoes.items} if rubric.spec.vetoes else set()
    for n, o in enumerate(overrides):
        pos = ("overrides", n)
        if o.item in vetoes:
            if not o.lift:
                problems.append(Problem(doc.path, doc.line(pos + ("item",)), dotted(pos + ("item",)),
                                        f"否决项 {o.item} 只能撤销（lift: true） (a veto can only be lifted)", "lift: true"))
        elif o.item in items:
            if o.points is None or o.lift:
                problems.append(Problem(doc.path, doc.line(pos + ("item",)), dotted(pos + ("item",)),
                                        f"评查项 {o.item} 须写评查人员认定的扣分 points (points are required)",
                                        "points: 不小于 0 的整数"))
        else:
            problems.append(Problem(doc.path, doc.line(pos + ("item",)), dotted(pos + ("item",)),
                                    f"评查标准“{rubric.spec.title}”中没有编号为 {o.item} 的评查项或否决项 (unknown item)",
                                    "评查标准文件中的 id"))
    if problems:
        raise OverridesError(problems)
    return overrides


def _citations(finding) -> list[str]:
    out = []
    for b in finding.basis:
        text = f"《{b['source']}》" + (f"（{b['number']}）" if b.get("number") else "") + b["article"]
        if text not in out:
            out.append(text)
    return out


def score_file(review, dossier, rubric: Rubric, path: str, sha256: str,
               overrides: list[Override] = ()) -> dict:
    d = dossier.decision
    spec = rubric.spec
    deductions, vetoes, unscored, unlisted = [], [], [], []
    for f in review.findings:
        entry = rubric.by_rule.get(f.rule_id)
        for veto in rubric.vetoes_by_rule.get(f.rule_id, ()):
            vetoes.append({"id": veto.id, "title": veto.title, "article": veto.article,
                           "consequence": veto.consequence, "consequence_label": CONSEQUENCES[veto.consequence],
                           "rule_id": f.rule_id, "message": f.message})
        if entry:
            area, item = entry
            deductions.append({"area": area.id, "area_title": area.title, "item": item.id, "item_title": item.title,
                               "points": item.deduct, "rule_id": f.rule_id, "severity": f.severity,
                               "message": f.message, "basis": _citations(f)})
        elif f.rule_id in rubric.unscored:
            u = rubric.unscored[f.rule_id]
            unscored.append({"rule_id": f.rule_id, "reason": u.reason, "blocks_grade": u.blocks_grade,
                             "message": f.message})
        elif f.rule_id not in rubric.vetoes_by_rule:
            unlisted.append({"rule_id": f.rule_id, "title": f.title, "message": f.message})
    archive = getattr(d, "archive", None)
    form = {}
    for area in spec.areas:
        for item in area.items:
            if item.form:
                ok = archive.form(item.form) if archive else None
                form[item.form] = ok
                if ok is False:
                    deductions.append({"area": area.id, "area_title": area.title, "item": item.id,
                                       "item_title": item.title, "points": item.deduct, "rule_id": None,
                                       "severity": "form", "message": f"卷面：{item.title}", "basis": []})
    for ded in deductions:
        ded["machine_points"] = ded["points"]
    for veto in vetoes:
        veto["lifted"] = False
    record = {
        "path": path,
        "sha256": sha256,
        "title": d.title,
        "file_no": archive.file_no if archive else None,
        "department": d.organ.name,
        "city": d.organ.city,
        "county": d.organ.county,
        "type": ENFORCEMENT_TYPES[d.action],
        "field": _sector_label(d.sector),
        "verdict": review.verdict,
        "score": None, "grade": None, "ungraded": None, "machine_score": None, "machine_grade": None,
        "overridden": False,
        "deductions": deductions,
        "vetoes": vetoes,
        "form": form if archive else None,
        "form_recorded": archive is not None,
        "unscored_findings": unscored,
        "unlisted_findings": unlisted,
        "overrides": [],
    }
    return with_overrides(record, rubric, overrides)


def with_overrides(record: dict, rubric: Rubric, overrides=()) -> dict:
    """The record scored with the reviewers' overrides for its file (none: the machine's score). Works on a
    stored record too: what earlier overrides changed is undone first, so the result depends only on the
    machine's findings and these overrides."""
    rec = json.loads(json.dumps(record))  # a deep copy in the same key order
    rec["deductions"] = [d for d in rec["deductions"] if d["severity"] != "reviewer"]
    for ded in rec["deductions"]:
        ded["points"] = ded["machine_points"]
        ded.pop("override", None)
        ded["machine_points"] = ded.pop("machine_points")  # stays after the points it sits beside
    for veto in rec["vetoes"]:
        veto["lifted"] = False
        veto.pop("override", None)
    mine = [o for o in overrides if o.file in (rec["sha256"], rec["path"])]
    _apply(mine, rec["deductions"], rec["vetoes"], rubric)
    machine = _total(rec["deductions"], rec["vetoes"], rubric, "machine_points")
    final = _total(rec["deductions"], rec["vetoes"], rubric, "points")
    blocked = [u["reason"] for u in rec["unscored_findings"] if u["blocks_grade"]]
    for result in (machine, final) if blocked else ():  # the engine could not review it: a person must
        result.update(grade=None, ungraded=blocked[0])
    rec.update(score=final["score"], grade=final["grade"], ungraded=final["ungraded"],
               machine_score=machine["score"], machine_grade=machine["grade"], overridden=bool(mine),
               overrides=[o.model_dump(mode="json", exclude={"file"}) for o in mine])
    return rec


def _sector_label(code: str) -> str:
    from .kinds.enforcement import Sector
    return Sector.labels[code]


def _apply(mine: list[Override], deductions: list[dict], vetoes: list[dict], rubric: Rubric) -> None:
    """Every deduction keeps the machine's points; an override replaces `points` and says why."""
    items = {item.id: (area, item) for area in rubric.spec.areas for item in area.items}
    for o in mine:
        note = {"reason": o.reason, "reviewer": o.reviewer, "on": o.on.isoformat()}
        hit = [v for v in vetoes if v["id"] == o.item]
        if hit:
            for v in hit:
                v["lifted"] = o.lift
                v["override"] = note
            continue
        targets = [x for x in deductions if x["item"] == o.item and (o.rule is None or x["rule_id"] == o.rule)]
        if targets and o.points is not None:
            for x in targets[:1]:  # one override, one deduction
                x["points"] = o.points
                x["override"] = note
        elif o.item in items and o.points is not None:  # a manual item, or a defect the machine did not find
            area, item = items[o.item]
            deductions.append({"area": area.id, "area_title": area.title, "item": item.id, "item_title": item.title,
                               "points": o.points, "rule_id": None, "severity": "reviewer",
                               "message": f"评查人员认定：{o.reason}", "basis": [], "machine_points": 0,
                               "override": note})


def _total(deductions: list[dict], vetoes: list[dict], rubric: Rubric, key: str) -> dict:
    spec = rubric.spec
    missing: list[str] = []
    lost = 0
    areas = {a.id: a for a in spec.areas}
    by_area: dict[str, int] = {}
    for ded in deductions:
        points, area = ded[key], areas[ded["area"]]
        if points == UNKNOWN:
            missing.append(f"“{ded['item_title']}”的扣分")
            continue
        if area.points == UNKNOWN:
            missing.append(f"“{area.title}”的分值（扣分不能超过本部分分值）")
            continue
        by_area[area.id] = by_area.get(area.id, 0) + points
    for area_id, n in by_area.items():
        lost += min(n, areas[area_id].points)
    active = [v for v in vetoes if not (key == "points" and v.get("lifted"))]
    consequences = {v["consequence"] for v in active}
    score = None if missing else max(spec.floor, spec.scale - lost)
    if score is not None and "zero" in consequences:
        score = spec.floor
    levels = spec.grades.levels
    grade, why = None, None
    if "fail" in consequences:
        grade = levels[-1].grade  # a veto needs no threshold
    elif score is None:
        why = "评查标准缺少" + "、".join(dict.fromkeys(missing)) + "，不计分、不评定等次"
    else:
        for lv in levels:
            if lv.from_ == UNKNOWN:
                why = f"评查标准缺少等次“{lv.grade}”的分数线，不评定等次"
                break
            if score >= lv.from_:
                grade = lv.grade
                break
        if grade == levels[0].grade and "not-top" in consequences:
            grade = levels[1].grade
    if grade is None and why is None:
        why = "无法评定等次"
    return {"score": score, "grade": grade, "ungraded": why}
