"""The decision dossier (卷宗): the draft decision and its procedural record.

Field names are English snake_case; values that users choose from a list are
kebab-case codes, each with a Chinese description in the JSON Schema.
Durations are never typed by the user: the facts stage computes them.
"""
from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, str_strip_whitespace=True)


Text = Annotated[str, Field(min_length=1)]


def _iso_date(value):
    """Accept only YYYY-MM-DD (or a date): a number is never silently a timestamp."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return dt.date.fromisoformat(value)
        except ValueError:
            pass
        raise ValueError(f"日期 {value!r} 不是合法的 YYYY-MM-DD 日期")
    raise ValueError(f"{value!r} 不是日期")


Date = Annotated[dt.date, BeforeValidator(_iso_date), Field(json_schema_extra={"format": "date"})]


def _enum(name: str, members: dict[str, str]) -> type[Enum]:
    """A str enum whose JSON Schema lists each code with its Chinese meaning."""
    cls = Enum(name, {k.replace("-", "_").upper(): k for k in members}, type=str)
    cls.labels = members  # code -> 中文
    cls.__doc__ = "；".join(f"{k}＝{v}" for k, v in members.items())
    return cls


Kind = _enum("Kind", {
    "major-decision": "重大行政决策",
    "enforcement-decision": "重大行政执法决定",
    "normative-document": "行政规范性文件",
})
Level = _enum("Level", {"province": "省级", "city": "市（州）级", "county": "县（市、区）级", "township": "乡（镇）级"})
OrganType = _enum("OrganType", {"government": "人民政府", "department": "政府部门"})
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
    "other": "其他会议（专题会、办公会等）",
})
Channel = Annotated[str, Field(min_length=1, description="渠道名称，如 政府网站、政府公报、报纸")]


class Organ(Strict):
    name: Text = Field(description="决策机关名称")
    level: Level = Field(description="决策机关层级")
    type: OrganType = Field(default="government", description="人民政府或政府部门（部门参照条例第四十二条执行）")
    province: Text = Field(default="甘肃省", description="所在省份，决定适用哪些地方规则包")


class Withheld(Strict):
    reason: Text = Field(description="依法不予公开的理由及依据")


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
    kind: Kind = Field(description="卷宗种类")
    stage: Stage = Field(description="卷宗所处阶段：决定哪些步骤此时应已完成")
    organ: Organ
    sponsor: Text = Field(description="决策承办单位（牵头单位）")
    scope: Scope | None = Field(default=None, description="条例第三条第一款所列类别")
    excluded: Excluded | None = Field(default=None, description="属于条例第三条第二款不适用情形时填写")
    circumstances: Circumstances = Field(default_factory=Circumstances)
    as_of: Date | None = Field(default=None, description="审查基准日；不填则取程序记录中最晚的日期")

    @model_validator(mode="after")
    def _scope_or_excluded(self):
        if self.kind == "major-decision" and self.scope is None and self.excluded is None:
            raise ValueError("重大行政决策须填写 scope（条例第三条第一款类别）或 excluded（第三条第二款情形）")
        return self


class Material(Strict):
    id: Text = Field(description="材料编号，供程序步骤引用")
    name: Text = Field(description="材料名称")
    kind: MaterialKind = Field(description="材料种类")
    ref: Text | None = Field(default=None, description="文件路径或网址")
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    dated: Date | None = Field(default=None, description="材料落款日期")


class StepBase(Strict):
    materials: list[Text] = Field(default_factory=list, description="证明本步骤的材料编号")
    note: str | None = Field(default=None, description="备注")


class Initiation(StepBase):
    type: Literal["initiation"]
    decided_on: Date = Field(description="决定启动或交办日期")
    decided_by: Text = Field(description="作出启动决定者")
    lead_unit: Text | None = Field(default=None, description="牵头承办单位（两个以上单位承办时）")
    co_units: list[Text] = Field(default_factory=list, description="其他承办单位")


class ConsultedUnit(Strict):
    name: Text
    replied: StrictBool = Field(description="是否书面回复")
    agreed: StrictBool = Field(default=True, description="是否同意")


class InteragencyConsultation(StepBase):
    type: Literal["interagency-consultation"]
    sent_on: Date
    units: list[ConsultedUnit] = Field(min_length=1)
    disputes_reported: StrictBool = Field(default=False, description="不能取得一致意见时，已向决策机关说明争议")


class PublicComment(StepBase):
    type: Literal["public-comment"]
    published_on: Date = Field(description="公告发布日期")
    closes_on: Date = Field(description="意见截止日期")
    channels: list[Channel] = Field(min_length=1, description="公布途径")
    how_to_comment: StrictBool = Field(default=True, description="公告是否载明提出意见的方式和期限")
    shortening_reason: Text | None = Field(default=None, description="公告中载明的缩短期限理由")
    comments_received: StrictInt = Field(ge=0, description="收到意见条数")
    opposing_comments: StrictInt | None = Field(default=None, ge=0, description="其中反对或修改意见条数")
    opposing_in_summary: StrictInt | None = Field(default=None, ge=0, description="意见汇总中列明的反对或修改意见条数")

    @model_validator(mode="after")
    def _order(self):
        if self.closes_on < self.published_on:
            raise ValueError(f"closes_on（{self.closes_on}）早于 published_on（{self.published_on}）")
        return self


class Participation(StepBase):
    type: Literal["participation"]
    method: ParticipationMethod
    held_on: Date
    participants: StrictInt | None = Field(default=None, ge=0)


class Hearing(StepBase):
    type: Literal["hearing"]
    announced_on: Date = Field(description="听证公告（草案、时间、地点）发布日期")
    participants_published_on: Date | None = Field(default=None, description="听证参加人名单公布日期")
    materials_delivered_on: Date | None = Field(default=None, description="听证材料送达参加人日期")
    held_on: Date
    public: StrictBool = Field(default=True, description="是否公开举行")
    record_signed: StrictBool = Field(description="听证参加人是否确认听证记录并签字")


class GroupConsultation(StepBase):
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
    type: Literal["expert-review"]
    held_on: Date
    method: ExpertMethod = "meeting"
    experts: list[Expert] = Field(default_factory=list)
    institutions: list[Text] = Field(default_factory=list, description="参与论证的专业机构")
    dissenting_views_sought: StrictBool = Field(default=False, description="注重选择持不同意见的专家")


class RiskAssessment(StepBase):
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
    type: Literal["fair-competition-review"]
    completed_on: Date
    reviewer: Text = Field(description="审查单位（县级以上政府出台的，由市场监管部门会同起草单位）")
    conclusion: FairConclusion


class LegalityReview(StepBase):
    type: Literal["legality-review"]
    reviewer: Text = Field(description="负责合法性审查的部门")
    form: ReviewForm = "formal-opinion"
    submitted_on: Date = Field(description="送审日期（收文日期）")
    opinion_on: Date | None = Field(default=None, description="审查意见出具日期")
    conclusion: ReviewConclusion | None = None
    amendments_made: StrictBool | None = Field(default=None, description="按审查意见修改完善（结论为建议修改后提交时）")
    shortened_reason: Text | None = Field(default=None, description="审查时间少于 7 个工作日的书面理由")


class CollectiveDiscussion(StepBase):
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
    type: Literal["party-report"]
    reported_on: Date
    to: Text = Field(description="请示报告的同级党委")
    reply_on: Date | None = None


class Publication(StepBase):
    type: Literal["publication"]
    published_on: Date
    channels: list[Channel] = Field(min_length=1)
    adoption_explained: StrictBool = Field(default=False, description="说明公众意见、专家论证意见的采纳情况")
    interpreted: StrictBool = Field(default=False, description="通过新闻发布会、接受访谈等方式宣传解读")


class Archiving(StepBase):
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

STEP_LABELS = {
    "initiation": "决策启动", "interagency-consultation": "部门协商", "public-comment": "公开征求意见",
    "participation": "其他公众参与", "hearing": "听证", "group-consultation": "特定群体沟通协商",
    "expert-review": "专家论证", "risk-assessment": "风险评估", "fair-competition-review": "公平竞争审查",
    "legality-review": "合法性审查", "collective-discussion": "集体讨论决定", "party-report": "向党委请示报告",
    "publication": "决策公布", "archiving": "归档",
}
STEP_DATE = {  # the date that places each step on the timeline
    "initiation": "decided_on", "interagency-consultation": "sent_on", "public-comment": "published_on",
    "participation": "held_on", "hearing": "held_on", "group-consultation": "held_on",
    "expert-review": "held_on", "risk-assessment": "completed_on", "fair-competition-review": "completed_on",
    "legality-review": "submitted_on", "collective-discussion": "held_on", "party-report": "reported_on",
    "publication": "published_on", "archiving": "archived_on",
}


class Dossier(Strict):
    """一个决策卷宗 (decision dossier)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True, str_strip_whitespace=True,
                              title="prereview 决策卷宗 (decision dossier)")

    schema_: Literal["prereview/dossier/1"] = Field(default="prereview/dossier/1", alias="schema",
                                                    description="卷宗格式版本")
    decision: Decision
    steps: list[Step] = Field(default_factory=list, description="已履行的程序步骤")
    materials: list[Material] = Field(default_factory=list, description="证明各步骤的材料")

    @model_validator(mode="after")
    def _references(self):
        ids = [m.id for m in self.materials]
        seen = set()
        for i, mid in enumerate(ids):
            if mid in seen:
                raise _AtPath(("materials", i, "id"), f"材料编号 {mid} 重复", "每个材料编号唯一")
            seen.add(mid)
        for si, step in enumerate(self.steps):
            for mi, mid in enumerate(step.materials):
                if mid not in seen:
                    raise _AtPath(("steps", si, "materials", mi), f"引用了未登记的材料 {mid}",
                                  "materials 中已登记的材料编号")
        return self


class _AtPath(ValueError):
    """A cross-field error that knows which field it belongs to."""

    def __init__(self, loc: tuple, message: str, expected: str):
        self.loc, self.message, self.expected = loc, message, expected
        super().__init__(message)


def dossier_schema() -> dict:
    """The JSON Schema of a dossier file, for editors and other tools."""
    schema = Dossier.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "prereview/dossier/1"
    return schema
