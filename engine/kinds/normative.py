"""行政规范性文件 (normative documents): their legality review (合法性审核) and the procedure that frames it.

The dossier is the document and its making: the drafting unit and the issuing organ, whether the
document touches the rights and duties of citizens and organisations (then it must be reviewed,
国办发〔2018〕115号 二（三）) or is one of the internal kinds that are not, whether it touches market
actors' business (优化营商环境条例第六十二条至第六十五条; 公平竞争审查条例), and, as typed steps,
评估论证, public comment, fair-competition review, the drafting unit's own legality review, the review
body's legality review, collective deliberation, 统一登记、统一编号、统一印发, publication and filing,
with the document's validity period.
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, StrictBool, StrictInt, model_validator

from ..dossier import (Channel, Date, DossierBase, Level, Region, StepBase, Strict, Text, _enum, material_model,
                       not_before)
from . import DecisionKind, Heads, Period

Stage = _enum("Stage", {
    "drafting": "起草中",
    "pre-review": "拟送合法性审核",
    "pre-deliberation": "拟提交集体审议",
    "deliberated": "已集体审议",
    "issued": "已印发公布",
    "filed": "已报送备案",
})
OrganType = _enum("OrganType", {
    "government": "人民政府",
    "government-office": "人民政府办公厅（室）",
    "department": "政府部门",
    "authorised-organisation": "法律、法规授权的具有管理公共事务职能的组织",
})
# 国办发〔2018〕115号 二（三）：不纳入合法性审核范围的内部执行文件
Excluded = _enum("Excluded", {
    "internal-rules": "内部执行的管理规范",
    "work-system": "工作制度",
    "staffing": "机构编制",
    "minutes": "会议纪要",
    "work-plan": "工作方案",
    "request-report": "请示报告",
    "commendation": "表彰奖惩",
    "appointment": "人事任免",
})
MaterialKind = _enum("MaterialKind", {
    "submission-letter": "送审函",
    "draft": "文件送审稿",
    "drafting-explanation": "起草说明",
    "legal-basis-list": "制定依据（法律、法规、规章和国家政策规定）",
    "assessment-report": "评估论证报告",
    "comment-notice": "征求意见公告",
    "comment-summary": "征求意见及意见采纳情况",
    "stakeholder-opinions": "市场主体、行业协会商会意见",
    "fair-competition-form": "公平竞争审查表或审查结论",
    "internal-review-opinion": "起草单位合法性审核意见",
    "review-opinion": "合法性审核意见书",
    "decline-statement": "未采纳审核意见的理由和依据说明",
    "minutes": "会议纪要或审议记录",
    "register-record": "登记编号记录",
    "issued-document": "正式印发文本",
    "publication-record": "公布记录（公报、网站）",
    "interpretation": "政策解读材料",
    "filing-report": "备案报告",
    "filing-receipt": "备案回执",
    "other": "其他材料",
})
AssessmentMethod = _enum("AssessmentMethod", {
    "expert-meeting": "专家论证会", "survey": "调研评估", "third-party": "委托第三方评估", "written": "书面论证",
})
FairConclusion = _enum("FairConclusion", {
    "compliant": "符合审查标准",
    "exception": "具有排除、限制竞争效果但符合《公平竞争审查条例》第十二条情形",
    "non-compliant": "违反审查标准",
})
ReviewForm = _enum("ReviewForm", {
    "formal-opinion": "审核机构出具的书面合法性审核意见",
    "comment-reply": "征求意见时的回复（不能代替合法性审核）",
    "countersign": "会签（不能代替合法性审核）",
    "attended-deliberation": "参加审议（不能代替合法性审核）",
})
ReviewConclusion = _enum("ReviewConclusion", {  # 国办发〔2018〕115号 二（六）
    "lawful": "合法",
    "amend": "应当予以修改",
    "not-lawful": "不合法",
    "returned-incomplete": "材料不全，退回补充",
})
ReviewerRole = _enum("ReviewerRole", {  # 国办发〔2018〕115号 二（四）
    "government-review-body": "本级人民政府确定的审核机构（司法行政部门）",
    "department-review-body": "本部门确定的审核机构（法制机构）",
    "other": "其他机构",
})
Meeting = _enum("Meeting", {
    "executive": "政府常务会议",
    "plenary": "政府全体会议",
    "office-meeting": "部门办公会议（局务会议）",
    "other": "其他会议（专题会、碰头会等）",
})


class Organ(Region):
    name: Text = Field(description="制定机关名称")
    level: Level = Field(description="制定机关层级")
    type: OrganType = Field(default="government", description="人民政府、政府办公厅（室）、政府部门或授权组织")


class Validity(Strict):
    valid_from: Date = Field(description="施行日期（有效期起算日）")
    valid_until: Date | None = Field(default=None, description="有效期届满日；文件未标注有效期的不填")

    _after_start = not_before("valid_until", "valid_from", "有效期届满日 {later} 早于施行日期 {earlier}")


class Decision(Strict):
    title: Text = Field(description="文件名称")
    kind: Literal["normative-document"] = Field(description="卷宗种类：行政规范性文件")
    stage: Stage = Field(description="卷宗所处阶段：决定哪些步骤此时应已完成")
    organ: Organ
    sponsor: Text = Field(description="起草单位")
    affects_rights: StrictBool = Field(
        description="涉及公民、法人和其他组织权利义务（国办发〔2018〕115号 二（三）：均要纳入合法性审核范围）")
    excluded: Excluded | None = Field(
        default=None, description="属于不纳入审核范围的内部执行文件时填写其种类（115号 二（三））")
    market_activity: StrictBool = Field(
        default=False, description="与市场主体生产经营活动密切相关、涉及经营者经济活动（优化营商环境条例第六十二条、"
                                   "第六十三条；公平竞争审查条例第二条）")
    important: StrictBool = Field(
        default=False, description="重要的行政规范性文件（国办发〔2018〕37号 二（三）：严格执行评估论证、公开征求意见等程序）")
    confidential_reason: Text | None = Field(
        default=None, description="依法需要保密、不公开征求意见的理由（优化营商环境条例第六十二条第二款）")
    urgent_reason: Text | None = Field(
        default=None, description="为预防、应对和处置突发事件，或者执行上级机关紧急命令和决定需要立即制定实施的理由"
                                  "（115号 二（五））")
    adaptation_considered: StrictBool | None = Field(
        default=None, description="已结合实际确定是否为市场主体留出必要的适应调整期（优化营商环境条例第六十五条第一款）；"
                                  "不填为未记载")
    interpretation_by: Text | None = Field(default=None, description="文件载明的解释机关")
    validity: Validity | None = Field(default=None, description="文件标注的施行日期和有效期")
    as_of: Date | None = Field(default=None, description="审查基准日；不填则取程序记录中最晚的日期")

    @property
    def in_scope(self) -> bool:
        """Within the legality-review scope of 115号 二（三）: not an internal document of the excluded kinds."""
        return self.excluded is None

    @model_validator(mode="after")
    def _rights_or_excluded(self):
        if not self.affects_rights and self.excluded is None:
            raise ValueError("不涉及公民、法人和其他组织权利义务的文件不是行政规范性文件：请写明 excluded"
                             "（内部执行文件的种类），或改为 affects_rights: true")
        return self


class Assessment(StepBase):
    label: ClassVar[str] = "评估论证"
    date_field: ClassVar[str] = "completed_on"
    type: Literal["assessment"]
    completed_on: Date
    method: AssessmentMethod = "survey"
    assessor: Text | None = Field(default=None, description="评估论证单位或专家")


class PublicComment(StepBase):
    label: ClassVar[str] = "公开征求意见"
    date_field: ClassVar[str] = "published_on"
    span: ClassVar[tuple[str, str] | None] = ("published_on", "closes_on")
    type: Literal["public-comment"]
    published_on: Date = Field(description="征求意见公告发布日期")
    closes_on: Date = Field(description="意见截止日期")
    channels: list[Channel] = Field(min_length=1, description="公布途径（报纸、网络等）")
    comments_received: StrictInt = Field(ge=0, description="收到意见条数")
    market_actors_heard: StrictBool | None = Field(
        default=None, description="听取了市场主体、行业协会商会的意见（优化营商环境条例第六十二条第一款）；不填为未记载")
    feedback_published: StrictBool | None = Field(
        default=None, description="反馈了意见采纳情况（第六十二条第二款）；不填为未记载")

    _closes_after_publication = not_before("closes_on", "published_on", "意见截止日期 {later} 早于公告发布日期 {earlier}")


class FairCompetitionReview(StepBase):
    label: ClassVar[str] = "公平竞争审查"
    date_field: ClassVar[str] = "completed_on"
    type: Literal["fair-competition-review"]
    completed_on: Date
    reviewer: Text = Field(description="审查单位（拟由县级以上人民政府出台的，由本级市场监督管理部门会同起草单位）")
    conclusion: FairConclusion
    stakeholders_heard: StrictBool | None = Field(
        default=None, description="听取了有关经营者、行业协会商会等利害关系人的意见（公平竞争审查条例第十六条）")


class InternalReview(StepBase):
    label: ClassVar[str] = "起草单位合法性审核"
    date_field: ClassVar[str] = "completed_on"
    type: Literal["internal-review"]
    completed_on: Date
    reviewer: Text = Field(description="起草单位的法制机构或审核机构")


class LegalityReview(StepBase):
    label: ClassVar[str] = "合法性审核"
    date_field: ClassVar[str] = "submitted_on"
    span: ClassVar[tuple[str, str] | None] = ("submitted_on", "opinion_on")
    type: Literal["legality-review"]
    reviewer: Text = Field(description="审核机构")
    reviewer_role: ReviewerRole = Field(default="government-review-body", description="审核机构的身份（115号 二（四））")
    form: ReviewForm = "formal-opinion"
    submitted_on: Date = Field(description="送审日期（审核机构收文日期）")
    complete_on: Date | None = Field(default=None, description="退回补充或者要求补充材料后，材料补齐的日期")
    opinion_on: Date | None = Field(default=None, description="审核意见出具日期（退回日期）")
    conclusion: ReviewConclusion | None = None
    amendments_made: StrictBool | None = Field(default=None, description="已按“应当予以修改”的审核意见修改")
    decline_reasons_stated: StrictBool = Field(
        default=False, description="未完全采纳审核意见的，提请审议时已详细说明理由和依据（115号 二（六））")

    _after_submission = not_before("opinion_on", "submitted_on", "审核意见出具日期 {later} 早于送审日期 {earlier}")


class Deliberation(StepBase):
    label: ClassVar[str] = "集体审议"
    date_field: ClassVar[str] = "held_on"
    type: Literal["deliberation"]
    held_on: Date
    meeting: Meeting
    meeting_name: Text | None = Field(default=None, description="会议名称，如 兰州市人民政府第12次常务会议")
    approved: StrictBool = Field(default=True, description="会议审议通过")


class Registration(StepBase):
    label: ClassVar[str] = "统一登记、编号、印发"
    date_field: ClassVar[str] = "issued_on"
    type: Literal["registration"]
    issued_on: Date = Field(description="印发日期")
    register_no: Text | None = Field(default=None, description="统一登记号（规范性文件登记编号）")
    document_no: Text | None = Field(default=None, description="文号")
    registered_by: Text | None = Field(default=None, description="统一登记、编号的机构")


class Publication(StepBase):
    label: ClassVar[str] = "向社会公布"
    date_field: ClassVar[str] = "published_on"
    type: Literal["publication"]
    published_on: Date
    channels: list[Channel] = Field(min_length=1, description="政府公报、政府网站等")
    interpreted: StrictBool = Field(default=False, description="同步发布政策解读")


class Filing(StepBase):
    label: ClassVar[str] = "备案"
    date_field: ClassVar[str] = "filed_on"
    type: Literal["filing"]
    filed_on: Date = Field(description="报送备案日期")
    filed_with: Text = Field(description="备案机关，如 上一级人民政府、本级人民代表大会常务委员会")


Step = Annotated[
    Union[Assessment, PublicComment, FairCompetitionReview, InternalReview, LegalityReview, Deliberation,
          Registration, Publication, Filing],
    Field(discriminator="type"),
]

Material = material_model(MaterialKind)


class Dossier(DossierBase):
    """一个行政规范性文件卷宗 (normative-document dossier)."""

    model_config = dict(DossierBase.model_config, title="行政规范性文件卷宗 (normative-document dossier)")

    decision: Decision
    steps: list[Step] = Field(default_factory=list, description="已履行的制定程序步骤")
    materials: list[Material] = Field(default_factory=list, description="证明各步骤的材料")


def _months(start, end) -> int:
    """Calendar months the period from `start` to `end` (both days included) spans, a part month counted whole:
    2025-07-01 – 2030-06-30 is 60 months, 2025-07-01 – 2030-07-01 is 61."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months + (1 if end.day >= start.day else 0)


def _bare_title(title: str) -> str:
    for mark in ("（试行）", "(试行)", "（暂行）", "(暂行)"):
        title = title.replace(mark, "")
    return title.strip()


def _decision_facts(d: Decision, put, record) -> None:
    put("organ_name", d.organ.name, "text", None, ("decision", "organ", "name"))
    put("confidential", d.confidential_reason is not None, "bool", None, ("decision", "confidential_reason"))
    put("urgent", d.urgent_reason is not None, "bool", None, ("decision", "urgent_reason"))
    title = _bare_title(d.title)
    # a document titled 试行 / 暂行 has the shorter maximum validity of the Gansu measures
    put("trial", "试行" in d.title, "bool", None, ("decision", "title"))
    put("interim", "暂行" in d.title, "bool", None, ("decision", "title"))
    # 法 / 条例 are the names of laws and regulations (办法 and 方法 are not)
    put("statute_name", title.endswith("条例") or (title.endswith("法") and not title.endswith(("办法", "方法"))),
        "bool", None, ("decision", "title"))
    put("interpretation_delegated", bool(d.interpretation_by) and d.interpretation_by != d.organ.name, "bool", None,
        ("decision", "interpretation_by"))
    v, vp = d.validity, ("decision", "validity")
    put("validity_stated", bool(v and v.valid_until), "bool", None, vp)
    if v:
        put("valid_from", v.valid_from, "date", None, vp + ("valid_from",))
        if v.valid_until:
            put("valid_until", v.valid_until, "date", None, vp + ("valid_until",))
            put("validity_months", _months(v.valid_from, v.valid_until), "int", None, vp + ("valid_until",))


_DECISION_ATTRS = {"organ_name": "text", "confidential": "bool", "urgent": "bool", "trial": "bool", "interim": "bool",
                   "statute_name": "bool", "interpretation_delegated": "bool", "validity_stated": "bool",
                   "valid_from": "date", "valid_until": "date", "validity_months": "int"}


def _cn(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _case_rows(dossier: Dossier) -> list[tuple[str, str]]:
    """The document as the opinion's table states it, beyond its organ and drafting unit."""
    d = dossier.decision
    rows = [("文件性质", f"内部执行文件（{Excluded.labels[d.excluded]}），不纳入合法性审核范围" if d.excluded
             else "涉及公民、法人和其他组织权利义务的行政规范性文件"),
            ("涉及市场主体", "与市场主体生产经营活动密切相关" if d.market_activity else "否")]
    if d.validity:
        until = f"，有效期至{_cn(d.validity.valid_until)}" if d.validity.valid_until else "，未标注有效期"
        rows.append(("施行日期与有效期", f"自{_cn(d.validity.valid_from)}起施行{until}"))
    for s in dossier.steps:
        if s.type == "registration":
            numbers = "；".join(x for x in (s.document_no, s.register_no and f"登记号 {s.register_no}") if x)
            rows.append(("文号与登记号", numbers or "（未记载）"))
    return rows


def _step_facts(step, put, pos) -> None:
    """A legality review's outcome as two facts, so that a condition stays a comparison: the date of an opinion
    that lets the document go to deliberation (合法 or 应当予以修改), and whether it found the document unlawful."""
    if step.type == "legality-review":
        passed = step.conclusion in ("lawful", "amend") and step.opinion_on is not None
        put("passed_on", step.opinion_on if passed else None, "date", None, pos + ("opinion_on",))
        put("failed", step.conclusion == "not-lawful", "bool", None, pos + ("conclusion",))


def _issued_on(dossier: Dossier, as_of):
    """Rules are those in force when the document is issued (出台): the 印发 or publication date, the earlier one;
    a document not yet issued is judged by the rules of the review date (it can only be issued later)."""
    dated = [(s.issued_on, ("steps", i, "issued_on")) for i, s in enumerate(dossier.steps) if s.type == "registration"]
    dated += [(s.published_on, ("steps", i, "published_on")) for i, s in enumerate(dossier.steps)
              if s.type == "publication"]
    if not dated:
        return as_of, ("decision", "as_of"), "审查基准日"
    day, pos = min(dated)
    return day, pos, "文件印发（公布）日期"


KIND = DecisionKind(
    code="normative-document",
    label="行政规范性文件",
    dossier=Dossier,
    decision=Decision,
    stages=Stage,
    material_kinds=MaterialKind,
    children={},
    verdicts={"pass": "通过", "fix-then-submit": "补正后可提交审议", "blocked": "不得提交集体审议"},
    # 115号 二（六）：合法、不合法、应当予以修改
    conclusions={"pass": "合法", "fix-then-submit": "应当予以修改，修改完善后提请审议",
                 "blocked": "不合法，纠正前不得提交集体审议",
                 **{f"blocked@{s}": "不合法，建议制定机关依法纠正，必要时予以修改或者废止" for s in ("issued", "filed")},
                 **{f"fix-then-submit@{s}": "应当予以修改，建议补正相关程序和材料" for s in ("issued", "filed")}},
    heads=Heads(  # 国办发〔2018〕115号 二（六）的七项审核内容
        items={"maker": "制定主体", "authority": "权限", "content": "内容", "measures": "设定事项",
               "rights": "权利义务", "powers": "职权职责", "procedure": "程序"},
        questions={
            "maker": "制定主体是否合法",
            "authority": "是否超越制定机关法定职权",
            "content": "内容是否符合宪法、法律、法规、规章和国家政策规定",
            "measures": "是否违法设立行政许可、行政处罚、行政强制、行政征收、行政收费等事项",
            "rights": "是否存在没有法律、法规依据作出减损公民、法人和其他组织合法权益或者增加其义务的情形",
            "powers": "是否存在没有法律、法规依据作出增加本单位权力或者减少本单位法定职责的情形",
            "procedure": "是否违反规范性文件制定程序",
        },
        default="procedure",
    ),
    report_title="行政规范性文件合法性审核预审报告",
    opinion_title="合法性审核意见书",
    review_step="legality-review",
    terms={"subject": "文件名称", "organ": "制定机关", "review": "合法性审核",
           "sponsor": "起草单位", "sponsor_long": "起草单位"},
    opinion_basis=(
        ("《国务院办公厅关于全面推行行政规范性文件合法性审核机制的指导意见》（国办发〔2018〕115号）", lambda d: True),
        ("《国务院办公厅关于加强行政规范性文件制定和监督管理工作的通知》（国办发〔2018〕37号）", lambda d: True),
        ("《优化营商环境条例》第六十三条第二款", lambda d: d.market_activity),
    ),
    periods=(
        Period("public-comment", "published_on", "market_comment_days", False, caption="≥{n}日",
               note="与市场主体生产经营活动密切相关的，公开征求意见一般不少于{n}日（优化营商环境条例第六十二条第二款）"),
        Period("legality-review", "submitted_on", "review_min_working_days", True, caption="≥{n}个工作日",
               note="合法性审核时间一般不少于{n}个工作日（国办发〔2018〕115号 二（五））"),
    ),
    coverage_prefixes=("NDOC-", "GS58-NDOC-"),
    decision_facts=_decision_facts,
    decision_attrs=_DECISION_ATTRS,
    step_facts=_step_facts,
    step_attrs={"legality-review": {"passed_on": "date", "failed": "bool"}},
    durations={"public-comment": {"days": ("closes_on", "published_on")},
               "legality-review": {"review_days": ("opinion_on", "submitted_on")}},
    working_durations={"public-comment": {"working_days": ("closes_on", "published_on")},
                       "legality-review": {"review_working_days": ("opinion_on", "submitted_on"),
                                           "supplemented_working_days": ("opinion_on", "complete_on")}},
    template="dossier-normative-document.yaml",
    case_rows=_case_rows,
    in_force_date=_issued_on,
)
