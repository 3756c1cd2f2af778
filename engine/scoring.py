"""Score one case file by a rubric: the review's findings become deductions and vetoes, the 卷面 its form items.

- each finding of a rule the rubric lists is one deduction (the item's figure), with the finding's message and
  the articles behind it; an area never loses more than its points, the score never goes below the floor;
- a veto applies its consequence (lowest grade, zero, not the top grade) and says which finding raised it;
- a figure the rubric leaves `unknown` is never guessed: the score or the grade that needs it is None and
  `ungraded` says which figure is missing (fail closed);
- a reviewer's override changes a deduction's points (or lifts a veto, or scores a manual item) with a reason;
  the machine's value stays beside it, and the file keeps both scores;
- a department's objection to the result (异议, a 复核申请: 广东省政府令第231号第十二条第（七）项) is a record of its
  own: when the result was received, when the objection was lodged, whether that was within the rubric's window
  counted in working days (the working-day calendar; the day of receipt is not counted), the 复核's outcome, who
  decided and when, when it was notified. An override made on that 复核 names it. What the source does not say
  (e.g. what follows a late objection) is recorded as such, never decided here.
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
    objection: str | None = Field(default=None, description="据以调整的复核申请编号（复核结果为变更时）")


class ObjectionReview(BaseModel):
    """复核：评查主体对复核申请的复核结果。"""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    received: dt.date | None = Field(default=None, description="评查主体收到复核申请之日（不写则按提出之日计）")
    decided_on: dt.date = Field(description="复核日期")
    outcome: Literal["维持", "变更"] = Field(description="复核结果：维持原评查结果，或变更（见据此所作的调整）")
    decided_by: str = Field(min_length=1, description="作出复核决定的人员或机构")
    notified_on: dt.date | None = Field(default=None, description="复核结果书面告知评查对象之日")


class Objection(BaseModel):
    """异议：评查对象（被评查的部门）对评查结果提出的书面复核申请。"""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(min_length=1, description="复核申请的编号")
    department: str = Field(min_length=1, description="评查对象：与案卷的执法机关名称一致")
    report_received: dt.date = Field(description="评查对象收到评查小组报告（评查结果）之日")
    lodged: dt.date = Field(description="提出书面复核申请之日")
    files: list[str] = Field(default_factory=list, description="申请复核的案卷（sha256 或路径）；不写则为该部门的全部案卷")
    reason: str = Field(min_length=1, description="异议理由")
    review: ObjectionReview | None = Field(default=None, description="复核结果；尚未复核则不写")


class OverridesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overrides: list[Override] = Field(default_factory=list)
    objections: list[Objection] = Field(default_factory=list)


class Reviewed(list):
    """The overrides of an overrides file (a list, as before), with its objections' records beside."""

    objections: list[tuple[Objection, dict]]


def load_overrides(path, rubric: Rubric, calendar=None) -> Reviewed:
    """The reviewers' overrides, each checked against the rubric, and the departments' objections with their
    records (working days counted with `calendar`, default the shipped one); located errors, all at once."""
    doc, problems = read_file(path)
    if problems:
        raise OverridesError(problems)
    try:
        parsed = OverridesFile.model_validate(doc.data)
    except ValidationError as exc:
        raise OverridesError(problems_from_validation(exc, doc, OverridesFile)) from None
    overrides = parsed.overrides
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
    objections = _objections(parsed.objections, overrides, rubric, calendar, doc, problems)
    if problems:
        raise OverridesError(problems)
    out = Reviewed(overrides)
    out.objections = objections
    return out


def _objections(objections: list[Objection], overrides: list[Override], rubric: Rubric, calendar, doc,
                problems: list[Problem]) -> list[tuple[Objection, dict]]:
    """Each objection checked (dates in order, ids unique, overrides that name it consistent with its outcome)
    and its record; problems are appended, located."""
    from .calendar import CalendarGap, load_calendar

    cal = calendar or load_calendar()

    def bad(loc: tuple, message: str, expected: str) -> None:
        problems.append(Problem(doc.path, doc.line(loc), dotted(loc), message, expected))

    by_id: dict[str, int] = {}
    for n, o in enumerate(objections):
        if o.id in by_id:
            bad(("objections", n, "id"), f"复核申请编号 {o.id} 重复（已见于第 {by_id[o.id] + 1} 项） (duplicate id)",
                "每项复核申请一个编号")
        by_id.setdefault(o.id, n)
    linked: dict[str, int] = {}
    for n, ov in enumerate(overrides):
        if ov.objection is None:
            continue
        at = ("overrides", n, "objection")
        o = objections[by_id[ov.objection]] if ov.objection in by_id else None
        if o is None:
            bad(at, f"没有编号为 {ov.objection} 的复核申请 (unknown objection)", "objections 中某项的 id")
        elif o.review is None:
            bad(at, f"复核申请 {o.id} 尚无复核结果（review），不能据以调整 (the objection has no review yet)",
                f"先在复核申请 {o.id} 下记载复核结果")
        elif o.review.outcome == "维持":
            bad(at, f"复核申请 {o.id} 的复核结果为维持原评查结果，不应据以调整 (the review upheld the result)",
                "复核结果为“变更”，或删去 objection")
        else:
            linked[o.id] = n
    out = []
    for n, o in enumerate(objections):
        pos = ("objections", n)
        if o.lodged < o.report_received:
            bad(pos + ("lodged",), f"提出复核申请之日 {o.lodged} 早于收到评查小组报告之日 {o.report_received} "
                "(lodged before the report was received)", f"不早于 {o.report_received} 的日期")
        r = o.review
        if r is not None:
            start = r.received or o.lodged
            if r.received is not None and r.received < o.lodged:
                bad(pos + ("review", "received"), f"收到复核申请之日 {r.received} 早于提出之日 {o.lodged} "
                    "(received before it was lodged)", f"不早于 {o.lodged} 的日期")
            if r.decided_on < start:
                bad(pos + ("review", "decided_on"), f"复核日期 {r.decided_on} 早于收到复核申请之日 {start} "
                    "(decided before the objection was received)", f"不早于 {start} 的日期")
            if r.notified_on is not None and r.notified_on < r.decided_on:
                bad(pos + ("review", "notified_on"), f"告知复核结果之日 {r.notified_on} 早于复核日期 {r.decided_on} "
                    "(notified before the decision)", f"不早于 {r.decided_on} 的日期")
            if r.outcome == "变更" and o.id not in linked:
                bad(pos + ("review", "outcome"), f"复核结果为变更，但没有 objection: {o.id} 的调整记录 "
                    "(a changed result needs the overrides that change it)",
                    f"在 overrides 中写明调整，并注明 objection: {o.id}")
        try:
            out.append((o, objection_record(o, rubric, cal)))
        except CalendarGap as gap:
            bad(pos, f"无法计算复核申请 {o.id} 的期限：{gap}", "工作日历覆盖的日期，或以 --calendar 补充该年安排")
    return out


def objection_record(o: Objection, rubric: Rubric, calendar) -> dict:
    """What the record of an objection says: its dates, the window counted in working days (the day of receipt
    not counted, as the calendar counts: working days after the start up to the day), the 复核 and its window."""
    rule = rubric.spec.objections
    src = rubric.spec.source
    basis = (f"《{src.document}》（{src.number}）{rule.basis.article}" if rule else None)

    def window(days, start: dt.date, end: dt.date, what: str, since: str) -> dict:
        if days is None or days == UNKNOWN:
            return {"deadline": None, "working_days": None, "in_time": None,
                    "timeliness": f"评查标准未载明{what}的期限，未判断是否逾期"}
        deadline = calendar.add_working_days(start, days)
        n = calendar.working_days_between(start, end)
        ok = end <= deadline
        return {"deadline": deadline.isoformat(), "working_days": n, "in_time": ok,
                "timeliness": f"{'在期限内' if ok else '逾期'}：" + (f"{since}后第 {n} 个工作日" if n > 0 else
                                                                      f"{since}当日") +
                              f"{what}，期限 {days} 个工作日，至{deadline.year}年{deadline.month}月{deadline.day}日"}

    lodged = window(rule.window if rule else None, o.report_received, o.lodged, "提出", "收到评查小组报告")
    review = None
    if o.review is not None:
        r = o.review
        start = r.received or o.lodged
        review = {"received": r.received.isoformat() if r.received else None,
                  "counted_from": "收到复核申请之日" if r.received else "提出复核申请之日（未记载收到复核申请之日）",
                  "decided_on": r.decided_on.isoformat(), "outcome": r.outcome,
                  "outcome_label": "维持原评查结果" if r.outcome == "维持" else "变更评查结果（见复核调整）",
                  "decided_by": r.decided_by,
                  "notified_on": r.notified_on.isoformat() if r.notified_on else None,
                  **window(rule.review_within if rule else None, start, r.decided_on, "复核",
                           "收到复核申请" if r.received else "提出复核申请")}
    return {
        "id": o.id,
        "department": o.department,
        "files": list(o.files),
        "reason": o.reason,
        "report_received": o.report_received.isoformat(),
        "lodged": o.lodged.isoformat(),
        "window": rule.window if rule else None,
        **lodged,
        "late": rule.late if rule and lodged["in_time"] is False else None,
        "review": review,
        "status": ("尚未记载复核结果" if review is None else review["outcome_label"]),
        "basis": basis,
        "quote": rule.basis.quote if rule else None,
    }


def objections_for(record: dict, objections) -> list[dict]:
    """The objections that concern a scored file: those naming it (path or sha256), or, naming no file, every
    file of their department."""
    out = []
    for o, rec in objections:
        mine = (record["path"] in o.files or record["sha256"] in o.files) if o.files \
            else record["department"] == o.department
        if mine:
            out.append({"id": rec["id"], "lodged": rec["lodged"], "in_time": rec["in_time"],
                        "status": rec["status"]})
    return out


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
        if o.objection:
            note["objection"] = o.objection  # the 复核 of that objection made this change
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
