"""The reviewer's checklist (审查清单) merged with the review and the reviewer's answers.

checklists/<kind>.yaml lists what a legality review looks at, under the three heads of
条例第二十七条 (authority / procedure / content). Items the machine decides name the
rules that decide them; the others a reviewer answers in an answers file
(item ID -> 符合 / 不符合 / 不适用). An answered 不符合 becomes a finding and counts in
the verdict. checklists/<kind>-materials.yaml lists the materials a submission must
contain (送审材料清单) and when each is required.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, ValidationInfo, field_validator,
                      model_validator)

from . import dossier as model
from . import kinds
from .errors import AnswersError, InputError, Problem
from .load import problems_from_validation
from .review import Evidence, Finding, Review, finding_sort_key, verdict_of
from .rulebook import SEVERITIES
from .source import Located, dotted, parse_bytes, read_file


@functools.cache
def all_heads() -> dict[str, str]:
    """The statutory review heads of every kind (a code means the same head in every kind that has it)."""
    return {code: label for k in kinds.KINDS.values() for code, label in k.heads.items.items()}


RESULTS = ("符合", "不符合", "不适用")
PENDING = "待人工审查"
REVIEWER_PACK = "人工审查"  # the `pack` of a finding that comes from a reviewer's answer

ItemId = Annotated[str, Field(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)+$")]
Text = Annotated[str, Field(min_length=1)]


class ChecklistError(InputError):
    kind = "审查清单文件 (checklist)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class InForce(_Strict):
    from_: model.Date = Field(alias="from")
    until: model.Date | None = None


class BasisRef(_Strict):
    """A citation in the same shape as a rule's basis; number and article may be left out."""

    source: Text
    number: str = ""
    article: str = ""
    in_force: InForce | None = None


class Item(_Strict):
    id: ItemId
    head: str = Field(description="审查要点的类别：本种类的法定审查内容之一")
    title: Text
    decided_by: Literal["machine", "reviewer"]
    rules: list[ItemId] = Field(default_factory=list, description="machine items: the rules that decide it")
    requirements: list[Text] = Field(default_factory=list, description="requirement IDs from rules/catalogue.yaml")
    severity: Literal["blocking", "major", "advisory"] = "major"
    step: str = Field(default="", description="procedural step type, for grouping")
    basis: str | list[BasisRef] = ""
    guidance: str = ""

    @field_validator("head")
    @classmethod
    def _known_head(cls, head: str, info: ValidationInfo) -> str:
        heads = (info.context or {}).get("heads") or all_heads()
        if head not in heads:
            raise ValueError(f"未知的审查类别 {head!r}（应为：{' / '.join(f'{c}＝{l}' for c, l in heads.items())}）")
        return head

    @model_validator(mode="after")
    def _rules_match_decider(self):
        if self.decided_by == "machine" and not self.rules:
            raise ValueError("decided_by: machine 的审查项须列出 rules（判定它的规则编号）")
        if self.decided_by == "reviewer" and self.rules:
            raise ValueError("decided_by: reviewer 的审查项不列 rules；规则判定的项写 decided_by: machine")
        return self

    def citations(self) -> list[dict]:
        """The basis as Finding.basis dicts; a plain string is split into document and article."""
        if isinstance(self.basis, str):
            return [split_citation(self.basis)] if self.basis else []
        return [{"source": b.source, "number": b.number, "article": b.article,
                 "in_force": ({"from": b.in_force.from_.isoformat(),
                               "until": b.in_force.until.isoformat() if b.in_force.until else None}
                              if b.in_force else None)} for b in self.basis]


class NotCheckable(_Strict):
    requirement: Text
    reason: Text


class Checklist(_Strict):
    kind: Literal["major-decision", "enforcement-decision", "normative-document"]
    title: Text
    items: list[Item] = Field(min_length=1)
    not_checkable: list[NotCheckable] = Field(default_factory=list)
    _path: str = PrivateAttr(default="")

    @property
    def path(self) -> str:
        return self._path

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)


_ARTICLE = re.compile(r"^(.*?)(第[一二三四五六七八九十百零〇0-9]+条.*)$")
_PARAGRAPH = re.compile(r"^(.*?〔\d{4}〕\d+号)\s*([一二三四五六七八九十]+（[一二三四五六七八九十]+）.*)$")  # 甘政发〔2015〕58号 二（二）5
_NUMBER = re.compile(r"^(.*?)（([^（）]*[令号][^（）]*)）$")  # 规定（甘肃省人民政府令第115号）


def split_citation(text: str) -> dict:
    """'重大行政决策程序暂行条例第十五条第一款' -> document, number and article, so it cites like a rule's basis."""
    text = text.strip()
    source, article = text, ""
    if m := _PARAGRAPH.match(text):
        source, article = m.group(1), m.group(2)
    elif (m := _ARTICLE.match(text)) and m.group(1):
        source, article = m.group(1), m.group(2)
    source, number = source.strip("《》 "), ""
    if m := _NUMBER.match(source):
        source, number = m.group(1).strip("《》 "), m.group(2)
    return {"source": source, "number": number, "article": article, "in_force": None}


def default_checklists_dir() -> Path:
    return Path(str(resources.files("prereview.checklists")))


def _read(path: Path, error: type[InputError], raw: bytes | None = None) -> Located:
    """The file at `path`, or `raw` (a stored copy of it, named by `path`)."""
    if raw is not None:
        doc, problems = parse_bytes(raw, str(path))
    elif not path.exists():
        raise error([Problem(str(path), None, "", "文件不存在", "checklists/<kind>.yaml")])
    else:
        doc, problems = read_file(path)
    if problems:
        raise error(problems)
    if not isinstance(doc.data, dict):
        raise error([Problem(doc.path, 1, "", "应为映射", "YAML 映射")])
    return doc


def load_checklist(kind: str, directory: Path | None = None, raw: bytes | None = None) -> Checklist:
    """Read checklists/<kind>.yaml (or <directory>/<kind>.yaml, or `raw`: a stored copy of it); every error
    names file and line."""
    doc = _read(Path(directory or default_checklists_dir()) / f"{kind}.yaml", ChecklistError, raw)
    try:
        declared = kinds.get(doc.data.get("kind"))
        checklist = Checklist.model_validate(doc.data, context={"heads": declared.heads.items if declared else all_heads()})
    except ValidationError as exc:
        raise ChecklistError(problems_from_validation(exc, doc, Checklist)) from None
    problems, seen = [], set()
    for i, item in enumerate(checklist.items):
        if item.id in seen:
            problems.append(Problem(doc.path, doc.line(("items", i, "id")), f"items[{i}].id",
                                    f"审查项编号 {item.id} 重复", "每个编号只出现一次"))
        seen.add(item.id)
    if checklist.kind != kind:
        problems.append(Problem(doc.path, doc.line(("kind",)), "kind", f"清单种类 {checklist.kind} 与文件名不符", kind))

    if problems:
        raise ChecklistError(problems)
    checklist._path = doc.path
    return checklist


def checklist_problems(checklist: Checklist, rule_ids: set[str], requirement_ids: set[str]) -> list[Problem]:
    """Rule and requirement IDs the checklist names but the rulebook or catalogue lacks (for a test or lint)."""
    doc, _ = read_file(Path(checklist.path))
    out = []
    for i, item in enumerate(checklist.items):
        for j, rid in enumerate(item.rules):
            if rid not in rule_ids:
                out.append(Problem(checklist.path, doc.line(("items", i, "rules", j)), f"items[{i}].rules[{j}]",
                                   f"规则 {rid} 不存在", "rules/ 中的规则编号"))
        for j, req in enumerate(item.requirements):
            if req not in requirement_ids:
                out.append(Problem(checklist.path, doc.line(("items", i, "requirements", j)),
                                   f"items[{i}].requirements[{j}]", f"要求编号 {req} 不在法律依据目录中",
                                   "rules/catalogue.yaml 中的编号"))
    for i, nc in enumerate(checklist.not_checkable):
        if nc.requirement not in requirement_ids:
            out.append(Problem(checklist.path, doc.line(("not_checkable", i, "requirement")),
                               f"not_checkable[{i}].requirement", f"要求编号 {nc.requirement} 不在法律依据目录中",
                               "rules/catalogue.yaml 中的编号"))
    return out


# ---- the reviewer's answers ---------------------------------------------------------------

class Answer(_Strict):
    result: Literal["符合", "不符合", "不适用"]
    note: str = ""
    reviewer: Text
    date: model.Date

    @model_validator(mode="after")
    def _reason_for_failure(self):
        if self.result == "不符合" and not self.note.strip():
            raise ValueError("结论为 不符合 时须在 note 中写明问题")
        return self


class AnswersFile(_Strict):
    answers: dict[str, Answer]


@dataclass
class Answers:
    path: str
    items: dict[str, Answer]
    lines: dict[str, int]  # item ID -> line of its key in the answers file


def load_answers(path) -> Answers:
    """Read an answers YAML; wrong values are AnswersError problems with file and line.

    Item IDs are checked against the checklist in apply_answers, which knows it.
    """
    doc = _read(Path(path), AnswersError)
    try:
        parsed = AnswersFile.model_validate(doc.data)
    except ValidationError as exc:
        raise AnswersError(problems_from_validation(exc, doc, AnswersFile)) from None
    lines = {key: doc.line(("answers", key)) for key in parsed.answers}
    return Answers(doc.path, parsed.answers, lines)


def _answer_problems(checklist: Checklist, answers: Answers) -> list[Problem]:
    problems = []
    for key in answers.items:
        item = checklist.item(key)
        where = f"answers.{key}"
        if item is None:
            known = " / ".join(i.id for i in checklist.items if i.decided_by == "reviewer")
            problems.append(Problem(answers.path, answers.lines[key], where,
                                    f"清单「{checklist.title}」中没有审查项 {key}", known))
        elif item.decided_by == "machine":
            problems.append(Problem(answers.path, answers.lines[key], where,
                                    f"审查项 {key} 由规则自动判定（{', '.join(item.rules)}），不能人工作答",
                                    "decided_by: reviewer 的审查项"))
    return problems


# ---- merging -------------------------------------------------------------------------------

@dataclass
class ItemResult:
    item: Item
    status: str                     # 符合 / 不符合 / 不适用 / 待人工审查
    findings: list[Finding] = field(default_factory=list)  # the findings behind a 不符合
    answer: Answer | None = None
    answer_line: int | None = None

    @property
    def head_label(self) -> str:
        return all_heads()[self.item.head]

    @property
    def machine(self) -> bool:
        return self.item.decided_by == "machine"


@dataclass
class ChecklistResult:
    kind: str
    title: str
    path: str
    items: list[ItemResult]
    not_checkable: list[NotCheckable]
    answers_path: str | None = None

    @property
    def machine_items(self) -> list[ItemResult]:
        return [r for r in self.items if r.machine]

    @property
    def manual_items(self) -> list[ItemResult]:
        return [r for r in self.items if not r.machine]

    @property
    def pending(self) -> list[ItemResult]:
        return [r for r in self.items if r.status == PENDING]

    def head_of(self, rule_id: str) -> str | None:
        """The head (authority/procedure/content) of the item that a rule or item ID belongs to."""
        for r in self.items:
            if rule_id == r.item.id or rule_id in r.item.rules:
                return r.item.head
        return None

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for r in self.items if r.status == s) for s in (*RESULTS, PENDING)}


def _answer_finding(item: Item, answer: Answer, answers: Answers) -> Finding:
    return Finding(
        rule_id=item.id, severity=item.severity, title=item.title,
        message=f"{item.title}：{answer.note.strip()}（审查人员 {answer.reviewer}，{answer.date.isoformat()}）",
        implements=list(item.requirements), basis=item.citations(),
        evidence=[Evidence(answers.path, answers.lines[item.id], f"answers.{item.id}",
                           f"审查人员 {answer.reviewer} 答复：不符合")],
        fix=f"针对审查人员指出的问题补正：{answer.note.strip()}",
        step=item.step, pack=REVIEWER_PACK,
    )


def apply_answers(review: Review, checklist: Checklist, answers: Answers | None) -> ChecklistResult:
    """Each item's status from the review and the answers. An answered 不符合 is appended to
    review.findings and the verdict recomputed (in place, once: a second call adds nothing)."""
    if checklist.kind != review.kind:
        raise ChecklistError([Problem(checklist.path, None, "kind",
                                      f"清单适用于 {checklist.kind}，卷宗为 {review.kind}", review.kind)])
    if answers is not None:
        problems = _answer_problems(checklist, answers)
        if problems:
            raise AnswersError(problems)
    machine_findings = list(review.findings)
    applied = set(review.applied_rules)
    results, added = [], []
    for item in checklist.items:
        if item.decided_by == "machine":
            linked = [f for f in machine_findings if f.rule_id in item.rules and f.pack != REVIEWER_PACK]
            if linked:
                status = "不符合"
            elif applied & set(item.rules):
                status = "符合"
            else:
                status = "不适用"
            results.append(ItemResult(item, status, linked))
            continue
        answer = answers.items.get(item.id) if answers else None
        if answer is None:
            results.append(ItemResult(item, PENDING))
            continue
        linked = []
        if answer.result == "不符合":
            finding = _answer_finding(item, answer, answers)
            linked = [finding]
            added.append(finding)
        results.append(ItemResult(item, answer.result, linked, answer, answers.lines[item.id]))
    present = {(f.rule_id, f.pack) for f in review.findings}
    review.findings.extend(f for f in added if (f.rule_id, f.pack) not in present)
    review.findings.sort(key=finding_sort_key)
    review.verdict = verdict_of(review.findings)
    return ChecklistResult(checklist.kind, checklist.title, checklist.path, results,
                           list(checklist.not_checkable), answers.path if answers else None)


# ---- the materials list (送审材料清单) -----------------------------------------------------

class Required(_Strict):
    """Required when any of these holds; `always: true` for every submission."""

    always: bool = False
    steps: list[str] = Field(default_factory=list, description="a step of one of these types is in the dossier")
    circumstances: list[str] = Field(default_factory=list, description="one of these circumstances is declared")
    stage_from: str | None = Field(default=None, description="the dossier has reached this stage")

    @model_validator(mode="after")
    def _known(self):
        if not (self.always or self.steps or self.circumstances or self.stage_from):
            raise ValueError("required 至少写一个条件（always / steps / circumstances / stage_from）")
        return self


class MaterialSpec(_Strict):
    kind: Text
    package: Literal["review", "meeting"] = Field(
        description="review＝送合法性审查（条例第二十六条）；meeting＝提请集体讨论（第二十九条）")
    required: Required
    basis: Text


class Governing(_Strict):
    source: Text
    number: str = ""


class MaterialsList(_Strict):
    kind: Literal["major-decision", "enforcement-decision", "normative-document"]
    title: Text
    governing: list[Governing] = Field(default_factory=list, description="the kind's governing documents")
    materials: list[MaterialSpec] = Field(min_length=1)


@dataclass
class MaterialRow:
    kind: str
    label: str
    package: str
    required: bool
    when: str                       # why it is required, in Chinese
    present: list[str]              # names of the dossier's materials of this kind
    basis: str

    @property
    def status(self) -> str:
        if self.present:
            return "已提交" if self.required else "已提交（非必需）"
        return "缺失"


def load_materials(kind: str, directory: Path | None = None, raw: bytes | None = None) -> MaterialsList | None:
    """checklists/<kind>-materials.yaml (or `raw`: a stored copy of it), or None when the kind has no
    materials list yet."""
    path = Path(directory or default_checklists_dir()) / f"{kind}-materials.yaml"
    if raw is None and not path.exists():
        return None
    doc = _read(path, ChecklistError, raw)
    try:
        spec = MaterialsList.model_validate(doc.data)
    except ValidationError as exc:
        raise ChecklistError(problems_from_validation(exc, doc, MaterialsList)) from None
    problems = _materials_problems(spec, kinds.get(kind), doc)
    if problems:
        raise ChecklistError(problems)
    return spec


def _bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


@dataclass(frozen=True)
class References:
    """The checklist and materials list a review is read against, as the files' bytes. A stored review keeps
    the ones it was made with, so its reports and answers next year use them, not the files of that day."""

    kind: str
    checklist_raw: bytes | None
    materials_raw: bytes | None

    @classmethod
    def current(cls, kind: str) -> "References":
        folder = default_checklists_dir()
        return cls(kind, _bytes(folder / f"{kind}.yaml"), _bytes(folder / f"{kind}-materials.yaml"))

    def checklist(self) -> Checklist | None:
        return load_checklist(self.kind, raw=self.checklist_raw) if self.checklist_raw is not None else None

    def materials(self) -> MaterialsList | None:
        return load_materials(self.kind, raw=self.materials_raw) if self.materials_raw is not None else None


def _materials_problems(spec: MaterialsList, kind, doc: Located) -> list[Problem]:
    """Material codes, step types, circumstances and stages must be the kind's own."""
    problems = []

    def bad(pos: tuple, message: str, expected) -> None:
        problems.append(Problem(doc.path, doc.line(pos), dotted(pos), message, " / ".join(expected)))

    for i, m in enumerate(spec.materials):
        if m.kind not in kind.material_kinds.labels:
            bad(("materials", i, "kind"), f"未知的材料种类 {m.kind!r}", kind.material_kinds.labels)
        req, at = m.required, ("materials", i, "required")
        for j, step in enumerate(req.steps):
            if step not in kind.steps:
                bad(at + ("steps", j), f"未知的步骤类型 {step!r}", kind.steps)
        for j, name in enumerate(req.circumstances):
            if _circumstance_field(kind.decision, name) is None:
                bad(at + ("circumstances", j), f"未知的情形 {name!r}", _circumstance_names(kind.decision))
        if req.stage_from and req.stage_from not in kind.stages.labels:
            bad(at + ("stage_from",), f"未知的卷宗阶段 {req.stage_from!r}", kind.stages.labels)
    return problems


def _circumstance_fields(decision_model) -> dict:
    """Declared circumstances: the fields of decision.circumstances, or of the decision itself for kinds without one."""
    holder = decision_model.model_fields.get("circumstances")
    return holder.annotation.model_fields if holder else decision_model.model_fields


def _circumstance_names(decision_model) -> list[str]:
    return list(_circumstance_fields(decision_model))


def _circumstance_field(decision_model, name: str):
    return _circumstance_fields(decision_model).get(name)


def _declared(decision, name: str) -> bool:
    holder = getattr(decision, "circumstances", decision)
    return bool(getattr(holder, name))


def _why(req: Required, dossier, kind) -> str | None:
    """The reason the material is required for this dossier, or None when it is not."""
    if req.always:
        return "一律需要"
    present = {s.type for s in dossier.steps}
    for step in req.steps:
        if step in present:
            return f"卷宗有“{kind.step_label(step)}”步骤"
    for name in req.circumstances:
        if _declared(dossier.decision, name):
            text = _circumstance_field(kind.decision, name).description or name
            return f"声明了“{text.split('（')[0]}”"
    stages = list(kind.stages.labels)
    if req.stage_from and stages.index(dossier.decision.stage) >= stages.index(req.stage_from):
        return f"卷宗阶段已到“{kind.stages.labels[req.stage_from]}”"
    return None


def materials_status(dossier, materials: MaterialsList) -> list[MaterialRow]:
    """One row per listed material that is required for this dossier or present in it."""
    kind = kinds.get(dossier.decision.kind)
    by_kind: dict[str, list[str]] = {}
    for m in dossier.materials:
        by_kind.setdefault(m.kind, []).append(m.name)
    rows = []
    for spec in materials.materials:
        why = _why(spec.required, dossier, kind)
        present = by_kind.get(spec.kind, [])
        if why is None and not present:
            continue
        rows.append(MaterialRow(spec.kind, kind.material_kinds.labels[spec.kind], spec.package, why is not None,
                                why or "", present, spec.basis))
    return rows


__all__ = [
    "all_heads", "RESULTS", "PENDING", "Checklist", "ChecklistError", "Item", "Answers", "Answer",
    "ChecklistResult", "ItemResult", "load_checklist", "load_answers", "apply_answers", "checklist_problems",
    "MaterialsList", "MaterialRow", "References", "load_materials", "materials_status", "verdict_of", "SEVERITIES",
]
