"""评查标准 (a case-file evaluation rubric) as data: load, check against the rulebook, look items up.

A rubric (checklists/rubrics/*.yaml, or a local file) scores a closed case file on a scale (100): areas with
points, items each deducting per defect, vetoes with their consequence, grade thresholds. An item is linked to
engine rules (their findings are its defects), to a form check of the case file's 卷面 (engine/kinds/), or is
manual (a reviewer scores it). A figure the source does not give is written `unknown`: the rubric still lists
each file's defects, but scores and grades nothing that needs the figure (engine/scoring.py says which).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, model_validator

from . import kinds as kinds_
from .errors import InputError, Problem
from .load import problems_from_validation
from .source import Located, dotted, read_file

UNKNOWN = "unknown"
Figure = StrictInt | Literal["unknown"]
CONSEQUENCES = {  # what a veto does to the file (rubrics differ)
    "fail": "评定为最低等次（不合格）",
    "zero": "得分为零",
    "not-top": "不得评为最高等次",
}


class RubricError(InputError):
    kind = "评查标准文件 (rubric) "


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class InForce(_Strict):
    from_: dt.date = Field(alias="from")
    until: dt.date | None = None


class Source(_Strict):
    document: str = Field(min_length=1)
    number: str = Field(min_length=1, description="文号；不详写 unknown")
    published_on: dt.date | None = None
    in_force: InForce | None = None
    text: str = Field(min_length=1, description="所核对的文本出处")


class Cited(_Strict):
    article: str = Field(min_length=1, description="条款；不详写 unknown")
    quote: str = Field(min_length=1, description="原文")


class Level(_Strict):
    grade: str = Field(min_length=1)
    from_: Figure = Field(alias="from", description="达到此分数即为此等次；未知写 unknown")


class Grades(_Strict):
    basis: Cited
    levels: list[Level] = Field(min_length=2)


class Veto(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    article: str = Field(min_length=1)
    quote: str = Field(min_length=1)
    consequence: Literal["fail", "zero", "not-top"]
    rules: list[str] = Field(default_factory=list)
    manual: StrictBool = Field(default=False, description="评查人员也可以阅卷认定")

    @model_validator(mode="after")
    def _linked(self):
        if not self.rules and not self.manual:
            raise ValueError("否决项须列出对应规则（rules）或注明由评查人员认定（manual: true） (a veto needs rules or manual: true)")
        return self


class Item(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    deduct: Figure | None = Field(default=None, description="每处问题扣分；未知写 unknown")
    rules: list[str] = Field(default_factory=list)
    form: str | None = Field(default=None, description="卷面检查项")
    manual: StrictBool = False

    @model_validator(mode="after")
    def _one_source(self):
        if sum((bool(self.rules), self.form is not None, self.manual)) != 1:
            raise ValueError("评查项须且只能写 rules（规则）、form（卷面检查）、manual: true（人工评定）之一 (exactly one of rules, form, manual)")
        if not self.manual and self.deduct is None:
            raise ValueError("规则项、卷面项须写每处问题的扣分 deduct（未知写 unknown） (deduct is required)")
        if isinstance(self.deduct, int) and self.deduct < 0:
            raise ValueError("扣分 deduct 不能为负数 (deduct must not be negative)")
        return self


class Area(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    article: str | None = None
    points: Figure
    items: list[Item] = Field(min_length=1)


class Vetoes(_Strict):
    basis: Cited
    items: list[Veto] = Field(min_length=1)


class Unscored(_Strict):
    rule: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    blocks_grade: StrictBool = False


class ObjectionRule(_Strict):
    """异议与复核: how many working days the reviewed department has to object to the result after receiving it,
    how many the reviewing body has to decide, and what the source says of a late objection."""
    basis: Cited
    window: Figure = Field(description="评查对象收到评查结果之日起提出复核申请的工作日数；未知写 unknown")
    review_within: Figure = Field(description="评查主体收到复核申请之日起完成复核的工作日数；未知写 unknown")
    late: str = Field(min_length=1, description="逾期提出的复核申请如何处理：出处的规定，或写明出处未规定")

    @model_validator(mode="after")
    def _positive(self):
        for days in (self.window, self.review_within):
            if isinstance(days, int) and days < 1:
                raise ValueError("期限（工作日数）须为正整数，未知写 unknown (a window is a positive number of working days)")
        return self


class RubricFile(_Strict):
    rubric: str = Field(min_length=1)
    title: str = Field(min_length=1)
    source: Source
    kinds: list[Literal["enforcement-decision"]] = Field(min_length=1)
    scale: StrictInt = Field(gt=0)
    floor: StrictInt = Field(default=0, ge=0)
    settings: str = Field(min_length=1, description="分值、扣分由谁设定（出处或编写者设定）")
    grades: Grades
    vetoes: Vetoes | None = None
    areas: list[Area] = Field(min_length=1)
    unscored: list[Unscored] = Field(default_factory=list)
    objections: ObjectionRule | None = Field(default=None, description="异议（复核申请）的期限；不写则期限未知")


@dataclass
class Rubric:
    spec: RubricFile
    path: str
    sha256: str
    by_rule: dict[str, tuple[Area, Item]] = field(default_factory=dict)
    vetoes_by_rule: dict[str, list[Veto]] = field(default_factory=dict)
    unscored: dict[str, Unscored] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.rubric

    def unknown_figures(self) -> list[str]:
        """Every figure the rubric leaves unknown, said in words."""
        out = [f"等次“{lv.grade}”的分数线" for lv in self.spec.grades.levels if lv.from_ == UNKNOWN]
        for area in self.spec.areas:
            if area.points == UNKNOWN:
                out.append(f"“{area.title}”的分值")
            out.extend(f"“{item.title}”的扣分" for item in area.items if item.deduct == UNKNOWN)
        return out

    def receipt(self) -> dict:
        return {"rubric": self.name, "title": self.spec.title, "number": self.spec.source.number, "path": self.path,
                "sha256": self.sha256}


def builtin_dir() -> Path:
    return Path(str(resources.files("prereview.checklists") / "rubrics"))


def builtin_names() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.yaml"))


def resolve(name_or_path: str | Path) -> Path:
    """A built-in rubric by name (guangdong-231, gansu), or a rubric file."""
    path = Path(name_or_path)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        return path
    builtin = builtin_dir() / f"{name_or_path}.yaml"
    if builtin.exists():
        return builtin
    raise RubricError([Problem(str(name_or_path), None, "", "找不到评查标准 (rubric not found)",
                               "内置评查标准名称（" + "、".join(builtin_names()) + "）或评查标准文件的路径")])


def load_rubric(name_or_path: str | Path, rulebook) -> Rubric:
    """Load and check a rubric: every problem located (file, line, field), all reported at once."""
    path = resolve(name_or_path)
    doc, problems = read_file(path)
    if not problems and not isinstance(doc.data, dict):
        problems = [Problem(doc.path, 1, "", "评查标准文件应为映射（rubric、title、source、grades、areas …） (a rubric is a mapping)", "YAML 映射")]
    if problems:
        raise RubricError(problems)
    try:
        spec = RubricFile.model_validate(doc.data)
    except ValidationError as exc:
        raise RubricError(problems_from_validation(exc, doc, RubricFile)) from None
    label = f"内置：{name_or_path}" if path.parent == builtin_dir() and path.stem == str(name_or_path) else str(name_or_path)
    rubric = Rubric(spec, label, hashlib.sha256(doc.text.encode("utf-8")).hexdigest())
    problems = _check(rubric, doc, rulebook)
    if problems:
        raise RubricError(problems)
    return rubric


def _check(rubric: Rubric, doc: Located, rulebook) -> list[Problem]:
    spec, problems = rubric.spec, []

    def bad(pos: tuple, message: str, expected: str = "") -> None:
        problems.append(Problem(doc.path, doc.line(pos), dotted(pos), message, expected))

    def known_rule(rule_id: str, pos: tuple) -> bool:
        rule = rulebook.rule(rule_id)
        if rule is None:
            bad(pos, f"规则 {rule_id} 不在规则库中 (unknown rule)", "规则库中的规则编号（prereview rules list）")
            return False
        if not set(rule.spec.kinds) & set(spec.kinds):
            bad(pos, f"规则 {rule_id} 不适用于本评查标准的卷宗种类 (rule of another kind)", "、".join(spec.kinds) + " 的规则")
            return False
        return True

    levels = spec.grades.levels
    known = [(i, lv.from_) for i, lv in enumerate(levels) if lv.from_ != UNKNOWN]
    for (i, a), (j, b) in zip(known, known[1:]):
        if not a > b:
            bad(("grades", "levels", j, "from"), f"等次分数线应自高到低排列：{b} 不低于上一等次的 {a} (thresholds must descend)", "低于上一等次的分数")
    if levels[-1].from_ != spec.floor:
        bad(("grades", "levels", len(levels) - 1, "from"), "最低等次的分数线应等于最低分 floor (the lowest grade starts at the floor)", str(spec.floor))
    for i, (_, v) in enumerate(known):
        if v > spec.scale:
            bad(("grades", "levels", i, "from"), f"分数线 {v} 超过满分 {spec.scale} (threshold above the scale)", f"不超过 {spec.scale}")
    points = [a.points for a in spec.areas]
    if UNKNOWN not in points and sum(points) != spec.scale:
        bad(("areas",), f"各部分分值合计 {sum(points)}，不等于满分 {spec.scale} (area points must add up to the scale)", f"合计 {spec.scale}")

    ids: dict[str, tuple] = {}
    forms = _form_checks(spec.kinds)
    for a, area in enumerate(spec.areas):
        for i, item in enumerate(area.items):
            pos = ("areas", a, "items", i)
            if item.id in ids:
                bad(pos + ("id",), f"评查项编号 {item.id} 重复（另见第 {doc.line(ids[item.id])} 行） (duplicate id)", "唯一的编号")
            ids[item.id] = pos + ("id",)
            if isinstance(item.deduct, int) and isinstance(area.points, int) and item.deduct > area.points:
                bad(pos + ("deduct",), f"每处扣分 {item.deduct} 超过本部分分值 {area.points} (deduction above the area's points)", f"不超过 {area.points}")
            if item.form is not None and item.form not in forms:
                bad(pos + ("form",), f"未知的卷面检查项：{item.form!r} (unknown form check)", " / ".join(forms))
            for r, rule_id in enumerate(item.rules):
                if not known_rule(rule_id, pos + ("rules", r)):
                    continue
                if rule_id in rubric.by_rule:
                    other = rubric.by_rule[rule_id][1]
                    bad(pos + ("rules", r), f"规则 {rule_id} 已列入评查项 {other.id}：一处问题只扣一次分 (a rule in two items)",
                        "每条规则只列入一个评查项")
                    continue
                rubric.by_rule[rule_id] = (area, item)
    if spec.vetoes:
        for v, veto in enumerate(spec.vetoes.items):
            pos = ("vetoes", "items", v)
            if veto.id in ids:
                bad(pos + ("id",), f"编号 {veto.id} 重复（另见第 {doc.line(ids[veto.id])} 行） (duplicate id)", "唯一的编号")
            ids[veto.id] = pos + ("id",)
            for r, rule_id in enumerate(veto.rules):
                if known_rule(rule_id, pos + ("rules", r)):
                    rubric.vetoes_by_rule.setdefault(rule_id, []).append(veto)
    for u, entry in enumerate(spec.unscored):
        pos = ("unscored", u, "rule")
        if not known_rule(entry.rule, pos):
            continue
        if entry.rule in rubric.by_rule or entry.rule in rubric.vetoes_by_rule:
            bad(pos, f"规则 {entry.rule} 已列入评查项或否决项，不能同时列为不计分 (a scored rule cannot be unscored)", "未列入评查项的规则")
        rubric.unscored[entry.rule] = entry
    return problems


def _form_checks(kind_codes) -> dict[str, str]:
    from .kinds.enforcement import FORM_CHECKS  # the only kind with a 卷面 (and the only one `kinds` allows)
    return dict(FORM_CHECKS)
