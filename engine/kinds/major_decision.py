"""重大行政决策 (major administrative decisions): 重大行政决策程序暂行条例（国务院令第713号）.

The dossier: the decision with its declared circumstances, and the procedural steps
of the regulation, each with its dates, outcome and materials.
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, StrictBool, StrictInt, model_validator

from ..dossier import (Channel, Date, DossierBase, Level, Region, StepBase, Strict, Text, _enum, material_model,
                       not_before)
from ..facts import fields_of
from . import DecisionKind, Heads, Period

OrganType = _enum("OrganType", {
    "government": "人民政府",
    "department": "政府部门（参照条例第四十二条）",
    "management-committee": "新区、开发区管理委员会等政府派出机关、机构（参照条例第四十二条）",
})
Scope = _enum("Scope", {
    "public-policy": "重大公共政策和措施（条例第三条第一款第一项）",
    "development-plan": "经济和社会发展等方面的重要规划（第二项）",
    "resources": "开发利用、保护重要自然资源和文化资源的重大公共政策和措施（第三项）",
    "construction-project": "重大公共建设项目（第四项）",
    "other-major-matter": "其他对经济社会发展有重大影响、涉及重大公共利益或者社会公众切身利益的重大事项（第五项）",
})
Excluded = _enum("Excluded", {
    "macro-control": "财政政策、货币政策等宏观调控决策",
    "legislation": "政府立法决策",
    "emergency-response": "突发事件应急处置决策",
    "special-procedure": "法律、行政法规对决策程序另有规定",
})
MaterialKind = _enum("MaterialKind", {
    "decision-draft": "决策草案",
    "drafting-explanation": "起草说明",
    "legal-basis-list": "法律、法规、规章和政策依据清单",
    "procedure-statement": "履行决策法定程序的说明",
    "scope-determination": "决策事项目录或认定说明",
    "initiation-document": "启动决定或交办通知",
    "consultation-letter": "征求意见函",
    "consultation-reply": "书面回复意见",
    "dispute-statement": "分歧协调情况说明",
    "comment-notice": "征求意见公告",
    "comment-summary": "公众意见汇总及采纳情况说明",
    "forum-minutes": "座谈会、走访或问卷材料",
    "hearing-notice": "听证公告",
    "hearing-participants": "听证参加人遴选办法及名单公告",
    "delivery-receipt": "听证材料送达回证",
    "hearing-record": "听证笔录",
    "hearing-report": "听证报告",
    "group-consultation-minutes": "特定群体沟通协商纪要",
    "expert-list": "专家名单及遴选说明",
    "conflict-declaration": "无利害关系声明",
    "expert-opinion": "专家论证意见（署名）",
    "expert-adoption": "专家论证意见研究采纳情况",
    "risk-report": "风险评估报告",
    "department-opinions": "有关部门意见",
    "adjustment-note": "决策草案调整说明",
    "fair-competition-form": "公平竞争审查表或审查结论",
    "submission-letter": "送审函",
    "review-opinion": "合法性审查意见书",
    "legal-adviser-opinion": "法律顾问或公职律师法律意见书",
    "legal-risk-statement": "法律风险提示",
    "meeting-notice": "会议通知或议程",
    "minutes": "会议纪要",
    "meeting-record": "会议记录",
    "party-report": "向党委请示报告",
    "party-reply": "党委批复或会议记录",
    "npc-report": "向本级人大常委会的报告或其决议、决定",
    "proposal": "决策事项建议及其论证材料",
    "publication-record": "公布记录（公报、网站、报纸）",
    "interpretation": "政策解读材料",
    "archive-index": "归档目录",
    "other": "其他材料",
})
Conflict = _enum("Conflict", {
    "none": "无利害关系",
    "direct-interest": "与决策事项有直接利害关系",
    "undeclared": "未作声明",
})
ExpertMethod = _enum("ExpertMethod", {"meeting": "论证会", "written": "书面咨询", "commissioned": "委托咨询论证"})
ParticipationMethod = _enum("ParticipationMethod", {
    "forum": "座谈会", "site-visit": "实地走访", "written-solicitation": "书面征求意见",
    "questionnaire": "问卷调查", "opinion-poll": "民意调查",
})
RiskConclusion = _enum("RiskConclusion", {"controllable": "风险可控", "uncontrollable": "风险不可控"})
FairConclusion = _enum("FairConclusion", {
    "compliant": "符合审查标准",
    "exception": "具有排除、限制竞争效果但符合《公平竞争审查条例》第十二条情形",
    "non-compliant": "违反审查标准",
})
ReviewForm = _enum("ReviewForm", {
    "formal-opinion": "负责合法性审查的部门出具的合法性审查意见书",
    "comment-reply": "仅为征求意见时的回复（不能代替合法性审查）",
})
ReviewConclusion = _enum("ReviewConclusion", {
    "lawful": "合法，同意提交",
    "lawful-with-amendments": "基本合法，建议修改后提交",
    "not-lawful": "不合法，不得提交",
    "returned-incomplete": "材料不全，退回补充",
    "deferred": "暂缓",
    "submit-with-legal-risk": "探索性改革事项，明示法律风险后提交",
})
Stage = _enum("Stage", {
    "pre-review": "拟送合法性审查",
    "pre-meeting": "拟提交集体讨论",
    "decided": "已集体讨论决定",
    "issued": "已公布",
    "archived": "已归档",
})
Meeting = _enum("Meeting", {
    "executive": "常务会议",
    "plenary": "全体会议",
    "leadership-meeting": "领导班子会议（部门局务会议、乡级人民政府或管委会领导班子会议，条例第四十二条参照）",
    "other": "其他会议（专题会、办公会等）",
})
# the steps a special law may govern instead of the regulation (条例第三条第二款第一句“依照其规定”)
SpecialStep = _enum("SpecialStep", {
    "public-comment": "公开征求意见", "hearing": "听证", "expert-review": "专家论证",
    "risk-assessment": "风险评估", "legality-review": "合法性审查", "collective-discussion": "集体讨论决定",
    "publication": "决策公布",
})
AmendmentsKind = _enum("AmendmentsKind", {
    "legality": "涉及合法性的修改意见（不修改即不合法）",
    "suitability": "完善性、适当性修改建议",
})
ReviewerRole = _enum("ReviewerRole", {
    "designated": "决策机关确定的负责合法性审查的部门",
    "sponsor-internal": "决策承办单位内部审查（不能代替）",
})
WithheldArticle = _enum("WithheldArticle", {
    "article-14": "政府信息公开条例第十四条（国家秘密、法律法规禁止公开、危及三安全一稳定）",
    "article-15": "政府信息公开条例第十五条（商业秘密、个人隐私）",
})
PartyReportKind = _enum("PartyReportKind", {"request": "请示（须经批复）", "report": "报告"})


class Organ(Region):
    name: Text = Field(description="决策机关名称")
    level: Level = Field(description="决策机关层级")
    type: OrganType = Field(default="government", description="人民政府或政府部门（部门参照条例第四十二条执行）")


class Withheld(Strict):
    reason: Text = Field(description="依法不予公开的理由及依据")
    article: WithheldArticle | None = Field(default=None, description="不予公开所依据的政府信息公开条例条文")


class SpecialProcedure(Strict):
    law: Text = Field(description="对决策程序另有规定的法律、行政法规及条文，如 《中华人民共和国价格法》第二十三条")
    covers: list[SpecialStep] = Field(min_length=1, description="该特别规定调整的程序环节（其余环节仍适用条例）")


class Adjustment(Strict):
    earlier_decision: Text = Field(description="被调整的原决策名称")
    major: StrictBool = Field(description="是否属于重大调整")


class Circumstances(Strict):
    """The declared circumstances that trigger conditional steps."""

    specific_group: Text | None = Field(default=None, description="涉及其利益的特定群体（条例第十四条第三款）")
    technical: StrictBool = Field(default=False, description="专业性、技术性较强（第十九条）")
    stability_risk: StrictBool = Field(default=False, description="实施可能对社会稳定、公共安全等造成不利影响（第二十二条）")
    hearing_required_by: Text | None = Field(default=None, description="法律、法规、规章规定应当听证时，写明依据（第十六条第一款）")
    public_interest: StrictBool = Field(default=False, description="涉及重大公共利益和群众切身利益（甘政发〔2015〕58号 二（二）2：必须听证）")
    widely_watched: StrictBool = Field(default=False, description="社会公众普遍关心（第三十二条）")
    contentious: StrictBool = Field(default=False, description="涉及面较广、争议较大或内容特别复杂、敏感（甘肃省政府令第115号：专家一般不少于9人）")
    other_units_affected: StrictBool = Field(default=False, description="涉及所属部门、下一级政府等单位职责（第十三条）")
    withheld: Withheld | None = Field(default=None, description="依法不予公开的决策事项（第十四条第一款）")
    urgent_reason: Text | None = Field(default=None, description="情况紧急的理由")
    market_activity: StrictBool = Field(default=False, description="涉及市场主体经济活动（第二十九条第一项；公平竞争审查条例第二条）")
    exploratory_reform_risk: Text | None = Field(default=None, description="国家尚无明确规定的探索性改革事项：明示的法律风险（第二十五条第二款）")
    adjusts: Adjustment | None = Field(default=None, description="调整此前作出的重大行政决策（第三十七条）")
    npc_matter: StrictBool = Field(default=False, description="属于本级人大及其常委会讨论决定或出台前报告的事项（第八条）")


class Decision(Strict):
    title: Text = Field(description="决策事项名称")
    kind: Literal["major-decision"] = Field(description="卷宗种类：重大行政决策")
    stage: Stage = Field(description="卷宗所处阶段：决定哪些步骤此时应已完成")
    organ: Organ
    sponsor: Text = Field(description="决策承办单位（牵头单位）")
    scope: Scope | None = Field(default=None, description="条例第三条第一款所列类别")
    excluded: Excluded | None = Field(default=None, description="属于条例第三条第二款不适用情形时填写")
    special_procedure: SpecialProcedure | None = Field(
        default=None, description="法律、行政法规对决策程序另有规定的：写明该规定及其调整的环节（excluded: special-procedure 时必填）")
    circumstances: Circumstances = Field(default_factory=Circumstances)
    as_of: Date | None = Field(default=None, description="审查基准日；不填则取程序记录中最晚的日期")

    @property
    def in_scope(self) -> bool:
        """Within 条例第三条第一款 and not excluded by its second paragraph."""
        # a special procedure displaces the regulation only for the steps it governs (第三条第二款第一句)
        return self.excluded in (None, "special-procedure") and self.scope is not None

    @model_validator(mode="after")
    def _scope_or_excluded(self):
        if self.scope is None and self.excluded is None:
            raise ValueError("重大行政决策须填写 scope（条例第三条第一款类别）或 excluded（第三条第二款情形）")
        if self.excluded == "special-procedure" and (self.special_procedure is None or self.scope is None):
            raise ValueError("excluded 为 special-procedure 时须填写 scope（条例第三条第一款类别）和 special_procedure"
                             "（特别规定的名称条文及其调整的环节 covers）：特别程序只替代其调整的环节")
        return self


class Initiation(StepBase):
    label: ClassVar[str] = "决策启动"
    date_field: ClassVar[str] = "decided_on"
    type: Literal["initiation"]
    decided_on: Date = Field(description="决定启动或交办日期")
    decided_by: Text = Field(description="作出启动决定者")
    lead_unit: Text | None = Field(default=None, description="牵头承办单位（两个以上单位承办时）")
    co_units: list[Text] = Field(default_factory=list, description="其他承办单位")
    proposed_by: Text | None = Field(default=None, description="提出决策事项建议的部门或下一级人民政府（条例第十条第二项）")


class ConsultedUnit(Strict):
    name: Text
    replied: StrictBool = Field(description="是否书面回复")
    agreed: StrictBool = Field(default=True, description="是否同意")


class InteragencyConsultation(StepBase):
    label: ClassVar[str] = "部门协商"
    date_field: ClassVar[str] = "sent_on"
    type: Literal["interagency-consultation"]
    sent_on: Date
    units: list[ConsultedUnit] = Field(min_length=1)
    disputes_reported: StrictBool = Field(default=False, description="不能取得一致意见时，已向决策机关说明争议")


class PublicComment(StepBase):
    label: ClassVar[str] = "公开征求意见"
    date_field: ClassVar[str] = "published_on"
    span: ClassVar[tuple[str, str] | None] = ('published_on', 'closes_on')
    type: Literal["public-comment"]
    published_on: Date = Field(description="公告发布日期")
    closes_on: Date = Field(description="意见截止日期")
    channels: list[Channel] = Field(min_length=1, description="公布途径")
    how_to_comment: StrictBool = Field(default=True, description="公告是否载明提出意见的方式和期限")
    shortening_reason: Text | None = Field(default=None, description="公告中载明的缩短期限理由")
    comments_received: StrictInt = Field(ge=0, description="收到意见条数")
    opposing_comments: StrictInt | None = Field(default=None, ge=0, description="其中反对或修改意见条数")
    opposing_in_summary: StrictInt | None = Field(default=None, ge=0, description="意见汇总中列明的反对或修改意见条数")
    draft_and_explanation_published: StrictBool | None = Field(
        default=None, description="公告同时公布了决策草案及其说明（条例第十五条第一款）；不填为未记载")

    _closes_after_publication = not_before("closes_on", "published_on", "意见截止日期 {later} 早于公告发布日期 {earlier}")


class Participation(StepBase):
    label: ClassVar[str] = "其他公众参与"
    date_field: ClassVar[str] = "held_on"
    type: Literal["participation"]
    method: ParticipationMethod
    held_on: Date
    participants: StrictInt | None = Field(default=None, ge=0)


class Hearing(StepBase):
    label: ClassVar[str] = "听证"
    date_field: ClassVar[str] = "held_on"
    span: ClassVar[tuple[str, str] | None] = ('announced_on', 'held_on')
    type: Literal["hearing"]
    announced_on: Date = Field(description="听证公告（草案、时间、地点）发布日期")
    participants_published_on: Date | None = Field(default=None, description="听证参加人名单公布日期")
    materials_delivered_on: Date | None = Field(default=None, description="听证材料送达参加人日期")
    held_on: Date
    public: StrictBool = Field(default=True, description="是否公开举行")
    record_signed: StrictBool = Field(description="听证参加人是否确认听证记录并签字")
    selection_method_published: StrictBool | None = Field(
        default=None, description="听证参加人遴选办法已提前公布（条例第十六条第二款）；不填为未记载")


class GroupConsultation(StepBase):
    label: ClassVar[str] = "特定群体沟通协商"
    date_field: ClassVar[str] = "held_on"
    type: Literal["group-consultation"]
    held_on: Date
    group: Text = Field(description="相关群体")
    organisations: list[Text] = Field(default_factory=list, description="参加的人民团体、社会组织、群众代表")


class Expert(Strict):
    name: Text
    affiliation: Text
    conflict: Conflict = Field(description="利害关系声明")
    signed: StrictBool = Field(description="书面论证意见是否署名")


class ExpertReview(StepBase):
    label: ClassVar[str] = "专家论证"
    date_field: ClassVar[str] = "held_on"
    type: Literal["expert-review"]
    held_on: Date
    method: ExpertMethod = "meeting"
    experts: list[Expert] = Field(default_factory=list)
    institutions: list[Text] = Field(default_factory=list, description="参与论证的专业机构")
    dissenting_views_sought: StrictBool | None = Field(default=None, description="注重选择持不同意见的专家；不填为未记载")


class RiskAssessment(StepBase):
    label: ClassVar[str] = "风险评估"
    date_field: ClassVar[str] = "completed_on"
    type: Literal["risk-assessment"]
    completed_on: Date
    assessor: Text = Field(description="评估单位（可为第三方）")
    risk_points: list[Text] = Field(default_factory=list, description="风险点")
    measures: list[Text] = Field(default_factory=list, description="风险防范措施")
    response_plan: StrictBool = Field(description="是否提出处置预案")
    departments_heard: StrictBool = Field(description="是否听取有关部门意见")
    conclusion: RiskConclusion
    prior_assessment: Text | None = Field(default=None, description="已按有关规定评价、评估的（如社会稳定风险评估、环评），写明名称")
    adjusted_on: Date | None = Field(default=None, description="风险不可控时调整决策草案的日期")
    conclusion_after_adjustment: RiskConclusion | None = None


class FairCompetitionReview(StepBase):
    label: ClassVar[str] = "公平竞争审查"
    date_field: ClassVar[str] = "completed_on"
    type: Literal["fair-competition-review"]
    completed_on: Date
    reviewer: Text = Field(description="审查单位（县级以上政府出台的，由市场监管部门会同起草单位）")
    conclusion: FairConclusion
    stakeholders_heard: StrictBool | None = Field(default=None, description="听取有关经营者、行业协会商会等利害关系人意见（公平竞争审查条例第十六条）")
    exception_reasoned: StrictBool | None = Field(default=None, description="适用第十二条例外的，审查结论已说明没有更少限制的替代方案及实施期限或终止条件")


class LegalityReview(StepBase):
    label: ClassVar[str] = "合法性审查"
    date_field: ClassVar[str] = "submitted_on"
    span: ClassVar[tuple[str, str] | None] = ('submitted_on', 'opinion_on')
    type: Literal["legality-review"]
    reviewer: Text = Field(description="负责合法性审查的部门")
    form: ReviewForm = "formal-opinion"
    submitted_on: Date = Field(description="送审日期（收文日期）")
    opinion_on: Date | None = Field(default=None, description="审查意见出具日期")
    conclusion: ReviewConclusion | None = None
    amendments_made: StrictBool | None = Field(default=None, description="按审查意见修改完善（结论为建议修改后提交时）")
    amendments_kind: AmendmentsKind | None = Field(default=None, description="审查意见所提修改的性质：合法性问题或完善性建议")
    decline_reasons_stated: StrictBool = Field(default=False, description="未采纳的修改意见，已书面说明理由和依据并随草案报送决策机关")
    reviewer_role: ReviewerRole = Field(default="designated", description="审查者身份：决策机关确定的审查部门或承办单位内部")
    shortened_reason: Text | None = Field(default=None, description="审查时间少于 7 个工作日的书面理由")


class CollectiveDiscussion(StepBase):
    label: ClassVar[str] = "集体讨论决定"
    date_field: ClassVar[str] = "held_on"
    type: Literal["collective-discussion"]
    meeting: Meeting
    meeting_name: Text | None = Field(default=None, description="会议名称，如 市政府第12次常务会议")
    held_on: Date
    head_spoke_last: StrictBool = Field(description="行政首长最后发表意见")
    dissent_recorded: StrictBool = Field(description="不同意见如实载明（无不同意见时亦如实记录）")
    head_departed_from_majority: StrictBool = Field(default=False, description="行政首长拟作出的决定与多数人意见不一致")
    departure_reason: Text | None = Field(default=None, description="行政首长在会上说明的理由")
    decided: StrictBool = Field(default=True, description="会议作出决定")


class PartyReport(StepBase):
    label: ClassVar[str] = "向党委请示报告"
    date_field: ClassVar[str] = "reported_on"
    span: ClassVar[tuple[str, str] | None] = ('reported_on', 'reply_on')
    type: Literal["party-report"]
    reported_on: Date
    to: Text = Field(description="请示报告的同级党委")
    kind: PartyReportKind | None = Field(default=None, description="请示（须经批复后出台）或报告")
    reply_on: Date | None = None


class Publication(StepBase):
    label: ClassVar[str] = "决策公布"
    date_field: ClassVar[str] = "published_on"
    type: Literal["publication"]
    published_on: Date
    channels: list[Channel] = Field(min_length=1)
    adoption_explained: StrictBool = Field(default=False, description="说明公众意见、专家论证意见的采纳情况")
    interpreted: StrictBool = Field(default=False, description="通过新闻发布会、接受访谈等方式宣传解读")


class Archiving(StepBase):
    label: ClassVar[str] = "归档"
    date_field: ClassVar[str] = "archived_on"
    type: Literal["archiving"]
    archived_on: Date
    archive_no: Text | None = None
    complete: StrictBool = Field(description="履行决策程序形成的记录、材料已完整归档")


Step = Annotated[
    Union[Initiation, InteragencyConsultation, PublicComment, Participation, Hearing, GroupConsultation,
          ExpertReview, RiskAssessment, FairCompetitionReview, LegalityReview, CollectiveDiscussion,
          PartyReport, Publication, Archiving],
    Field(discriminator="type"),
]


Material = material_model(MaterialKind)


class Dossier(DossierBase):
    """一个重大行政决策卷宗 (major-decision dossier)."""

    model_config = dict(DossierBase.model_config, title="重大行政决策卷宗 (major-decision dossier)")

    decision: Decision
    steps: list[Step] = Field(default_factory=list, description="已履行的程序步骤")
    materials: list[Material] = Field(default_factory=list, description="证明各步骤的材料")


# optional text circumstances become a yes/no flag plus the text: flag -> (field, text attribute)
_FLAGS = {
    "specific_group": ("specific_group", "specific_group_name"),
    "hearing_required": ("hearing_required_by", "hearing_required_by"),
    "withheld": ("withheld", "withheld_reason"),
    "urgent": ("urgent_reason", "urgent_reason"),
    "exploratory_reform": ("exploratory_reform_risk", "exploratory_reform_risk"),
    "adjusts": ("adjusts", "adjusts_name"),
}
_TEXT_OF = {"withheld": lambda c: c.withheld.reason if c.withheld else None,
            "adjusts": lambda c: c.adjusts.earlier_decision if c.adjusts else None}


def _step_facts(step, put, pos) -> None:
    """Comparisons within one step, derived so that a condition stays a comparison."""
    if step.type == "public-comment" and step.opposing_comments is not None and step.opposing_in_summary is not None:
        put("opposing_dropped", step.opposing_comments - step.opposing_in_summary, "int", None, pos + ("opposing_in_summary",))
    if step.type == "hearing" and step.materials_delivered_on is not None:
        put("delivered_before_notice", step.materials_delivered_on < step.announced_on, "bool", None,
            pos + ("materials_delivered_on",))
    if step.type == "hearing" and step.participants_published_on is not None:
        put("list_before_notice", step.participants_published_on < step.announced_on, "bool", None,
            pos + ("participants_published_on",))


def _decision_facts(d: Decision, put, record) -> None:
    c = d.circumstances
    cp = ("decision", "circumstances")
    record(c, cp, skip={f for f, _ in _FLAGS.values()})
    for flag, (source, text_attr) in _FLAGS.items():
        text = _TEXT_OF[flag](c) if flag in _TEXT_OF else getattr(c, source)
        put(flag, text is not None, "bool", None, cp + (source,))
        put(text_attr, text, "text", None, cp + (source,))
    put("adjustment_major", bool(c.adjusts and c.adjusts.major), "bool", None, cp + ("adjusts",))
    put("withheld_article", c.withheld.article if c.withheld else None, "enum", WithheldArticle, cp + ("withheld",))
    put("organ_name", d.organ.name, "text", None, ("decision", "organ", "name"))
    # departments, townships and 管委会 decide in their leadership meeting (条例第四十二条“参照”)
    put("leadership_body", d.organ.type != "government" or d.organ.level == "township", "bool", None,
        ("decision", "organ"))
    sp = d.special_procedure
    put("special_law", sp.law if sp else None, "text", None, ("decision", "special_procedure"))
    put("special_covers", "、".join(SpecialStep.labels[c] for c in sp.covers) if sp else None, "text", None,
        ("decision", "special_procedure", "covers"))
    for step in SpecialStep.labels:  # special_<step>: the special law governs that step
        put("special_" + step.replace("-", "_"), bool(sp and step in sp.covers), "bool", None,
            ("decision", "special_procedure"))


_DECISION_ATTRS = {flag: "bool" for flag in _FLAGS} | {text: "text" for _, text in _FLAGS.values()} | {
    "adjustment_major": "bool", "withheld_article": "enum", "special_law": "text", "special_covers": "text", "leadership_body": "bool", "organ_name": "text"} | {
    "special_" + s.replace("-", "_"): "bool" for s in SpecialStep.labels}
_DECISION_ATTRS |= {name: kind for name, kind, _ in fields_of(Circumstances)
                    if name not in {f for f, _ in _FLAGS.values()}}

KIND = DecisionKind(
    code="major-decision",
    label="重大行政决策",
    dossier=Dossier,
    decision=Decision,
    stages=Stage,
    material_kinds=MaterialKind,
    children={"experts": (("expert-review",), "experts", "专家"),
              "units": (("interagency-consultation",), "units", "协商单位")},
    verdicts={"pass": "通过", "fix-then-submit": "补正后可提交", "blocked": "不得提交集体讨论"},
    conclusions={"pass": "建议提交审议", "fix-then-submit": "建议修改完善后提交审议", "blocked": "建议暂不提交审议",
                 # once decided, the opinion can no longer withhold the draft: it asks for correction
                 **{f"blocked@{s}": "建议决策机关依法纠正，补正相关程序后重新作出决定" for s in ("decided", "issued", "archived")},
                 **{f"fix-then-submit@{s}": "建议补正相关程序和材料" for s in ("decided", "issued", "archived")}},
    heads=Heads(
        items={"authority": "权限", "procedure": "程序", "content": "内容"},  # 条例第二十七条
        questions={
            "authority": "决策事项是否符合法定权限（条例第二十七条第一项）",
            "procedure": "决策草案的形成是否履行相关法定程序（条例第二十七条第二项）",
            "content": "决策草案内容是否符合有关法律、法规、规章和国家政策的规定（条例第二十七条第三项）",
        },
        default="procedure",  # a finding no checklist item claims is a procedural defect: rules check steps
    ),
    report_title="合法性审查预审报告",
    terms={"subject": "决策事项", "organ": "决策机关", "review": "合法性审查",
           "sponsor": "承办单位", "sponsor_long": "决策承办单位"},
    opinion_title="合法性审查意见书",
    review_step="legality-review",
    periods=(
        Period("public-comment", "published_on", "comment_days", False, caption="≥{n}日",
               note="公开征求意见一般不少于{n}日（条例第十五条第一款）"),
        Period("legality-review", "submitted_on", "legality_review_working_days", True, caption="≥{n}个工作日",
               note="合法性审查一般不少于{n}个工作日（第二十六条第二款）"),
        Period("hearing", "held_on", "hearing_delivery_days", False, before=True, caption="材料{n}日前送达",
               note="听证材料于听证会{n}日前送达（第十六条第三款）", mark="materials_delivered_on", mark_caption="送达"),
    ),
    coverage_prefixes=("MAD-", "GS-MAD-", "GS58-MAD-"),
    decision_facts=_decision_facts,
    step_facts=_step_facts,
    step_attrs={"public-comment": {"opposing_dropped": "int"},
                "hearing": {"delivered_before_notice": "bool", "list_before_notice": "bool"}},
    decision_attrs=_DECISION_ATTRS,
    decision_values={"withheld_article": list(WithheldArticle.labels)},
    durations={
        "public-comment": {"days": ("closes_on", "published_on")},
        "hearing": {"notice_days": ("held_on", "announced_on"),
                    "delivery_days": ("held_on", "materials_delivered_on"),
                    "participants_days": ("held_on", "participants_published_on")},
        "legality-review": {"review_days": ("opinion_on", "submitted_on")},
    },
    template="dossier-major-decision.yaml",
)
