"""重大行政执法决定 (major law-enforcement decisions): penalties, licences, coercive measures and enforcement.

The dossier is the case record: the enforcement body and its authority, the party, the
action and, as typed steps, the case filing, investigation, notice, statement and defence,
hearing, 法制审核, collective discussion, decision, service and publication, and for
coercion the measure, 催告 and enforcement. Sources: 行政处罚法（2021）, 行政许可法,
行政强制法, 国办发〔2018〕118号, 甘肃省重大行政执法决定法制审核办法（省政府令第126号）.
The party's ID number is kept for the reviewer's report only: it never becomes a fact,
so no finding, JSON output or log carries it.
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, StrictBool, StrictInt, model_validator

from ..dossier import (Channel, Date, DossierBase, Level, Region, StepBase, Strict, Text, Yuan, _enum, material_model,
                       not_before)
from . import DecisionKind, Heads, Period, PlanAnchor

Stage = _enum("Stage", {
    "pre-review": "拟送法制审核",
    "pre-decision": "拟作出决定",
    "decided": "已作出决定",
    "served": "已送达",
    "closed": "已结案归档",
})
OrganType = _enum("OrganType", {
    "government": "人民政府",
    "department": "政府部门",
    "authorised-organisation": "法律、法规授权的组织",
})
Sector = _enum("Sector", {
    "market-regulation": "市场监督管理",
    "ecology-environment": "生态环境",
    "drug-administration": "药品监督管理",
    "public-security": "公安",
    "natural-resources": "自然资源",
    "housing-construction": "住房和城乡建设",
    "emergency-management": "应急管理",
    "agriculture-rural": "农业农村",
    "transport": "交通运输",
    "culture-tourism": "文化和旅游",
    "health": "卫生健康",
    "other": "其他领域",
})
Action = _enum("Action", {
    "penalty": "行政处罚",
    "licence": "行政许可",
    "coercive-measure": "行政强制措施",
    "coercive-enforcement": "行政强制执行",
})
PartyType = _enum("PartyType", {
    "natural-person": "自然人（公民）",
    "legal-person": "法人",
    "other-organisation": "其他组织",
})
Ground = _enum("Ground", {  # 重大执法决定情形：行政处罚法第五十八条第一款；甘肃省政府令第126号第五条
    "public-interest": "涉及重大公共利益",
    "social-impact": "可能在社会造成重大影响",
    "hearing-required": "需经听证程序作出",
    "major-rights-heard": "直接关系当事人或者第三人重大权益，经过听证程序",
    "complex": "案件情况疑难复杂、涉及多个法律关系",
    "law-requires": "法律、法规、规章规定应当进行法制审核",
})
# ordered from the lightest to the heaviest; `gravity` of a notice or decision is the rank of its heaviest measure
MeasureType = _enum("MeasureType", {
    "warning": "警告",
    "criticism": "通报批评",
    "fine": "罚款",
    "confiscate-gains": "没收违法所得",
    "confiscate-property": "没收非法财物",
    "suspend-licence": "暂扣许可证件",
    "lower-qualification": "降低资质等级",
    "restrict-production": "限制开展生产经营活动",
    "stop-production": "责令停产停业",
    "restrict-practice": "限制从业",
    "revoke-licence": "吊销许可证件",
    "close": "责令关闭",
    "detention": "行政拘留",
    "other": "其他行政处罚",
})
MaterialKind = _enum("MaterialKind", {
    "authority-basis": "职权依据",
    "entrustment-letter": "委托书",
    "filing-form": "立案审批表",
    "inspection-record": "现场检查（勘验）笔录",
    "inquiry-record": "询问笔录",
    "evidence": "证据材料",
    "evidence-list": "证据目录",
    "av-record": "音像记录",
    "preservation-notice": "先行登记保存通知书及清单",
    "recusal-decision": "回避决定",
    "investigation-report": "案件调查终结报告",
    "head-approval": "负责人审批表",
    "explanation": "拟作出决定的情况说明",
    "draft-decision": "拟作出的决定文书",
    "legal-review-form": "法制审核送审表",
    "legal-review-opinion": "法制审核意见书",
    "notice": "行政处罚事先告知书（告知书）",
    "service-receipt": "送达回证",
    "statement-record": "陈述申辩笔录或书面意见",
    "review-of-statement": "陈述申辩复核意见",
    "hearing-request": "听证申请",
    "hearing-notice": "听证通知书",
    "hearing-record": "听证笔录",
    "hearing-report": "听证报告",
    "assessment-report": "评估报告",
    "discussion-record": "集体讨论记录或会议纪要",
    "decision-document": "决定书",
    "address-confirmation": "送达地址确认书",
    "publication-record": "公示记录",
    "filing-record": "备案材料",
    "extension-approval": "延期审批及依据",
    "application": "申请材料",
    "acceptance-notice": "受理通知书",
    "verification-record": "核查笔录",
    "measure-decision": "强制措施决定书",
    "seizure-list": "查封、扣押清单",
    "measure-record": "强制措施现场笔录",
    "demand-notice": "催告书",
    "enforcement-order": "强制执行决定书",
    "execution-record": "强制执行笔录",
    "transfer-letter": "涉嫌犯罪案件移送书",
    "archive-index": "案卷目录",
    "other": "其他材料",
    "demolition-notice": "限期自行拆除公告",
    "excluded-time-notice": "不计入许可期限的时间告知书",
})
Method = _enum("Method", {
    "inspection": "现场检查", "inquiry": "询问", "sampling": "抽样取证", "site-survey": "勘验", "other": "其他调查",
})
HeadOutcome = _enum("HeadOutcome", {
    "penalise": "给予行政处罚",
    "no-penalty-minor": "违法行为轻微，依法可以不予行政处罚",
    "no-penalty-unproven": "违法事实不能成立，不予行政处罚",
    "transfer": "涉嫌犯罪，移送司法机关",
})
ReviewConclusion = _enum("ReviewConclusion", {"approved": "同意（审核通过）", "problems": "存在问题"})
ServiceMethod = _enum("ServiceMethod", {
    "on-the-spot": "当场交付", "direct": "直接送达", "mail": "邮寄送达", "electronic": "电子送达（传真、电子邮件等）",
    "left-at-address": "留置送达", "public-notice": "公告送达", "entrusted": "委托送达",
})
LicenceOutcome = _enum("LicenceOutcome", {
    "grant": "准予许可", "refusal": "不予许可", "revocation": "撤销许可", "withdrawal": "撤回许可",
    "cancellation": "注销许可",
})
CoerciveMeasure = _enum("CoerciveMeasure", {
    "seizure": "查封场所、设施或者财物", "detention": "扣押财物", "freeze": "冻结存款、汇款",
    "restriction-of-liberty": "限制公民人身自由", "other": "其他行政强制措施",
})


# 卷面 (the form of a closed case file): the stages its documents belong to, in the order they must be bound
ArchiveStage = _enum("ArchiveStage", {
    "filing": "立案", "investigation": "调查", "review": "审查", "decision": "决定", "service": "送达", "execution": "执行",
})
# what a 评查 rubric's form items (`form:`) may test: each is true when the file meets it
FORM_CHECKS = {
    "one_case_one_file": "一案一卷",
    "cover": "有案卷封面",
    "table_of_contents": "有卷内目录",
    "pages_numbered": "卷内材料编有页码",
    "documents_in_order": "卷内文书按立案、调查、审查、决定、送达、执行的顺序排列",
}


class Archive(Strict):
    """案卷归档情况（卷面）：结案归档后的案卷如何装订，评查卷面时使用。"""

    file_no: Text | None = Field(default=None, description="卷宗号")
    archived_on: Date | None = Field(default=None, description="归档日期")
    one_case_one_file: StrictBool = Field(description="一案一卷（本案材料单独立卷，未与他案混装）")
    cover: StrictBool = Field(description="有案卷封面")
    table_of_contents: StrictBool = Field(description="有卷内目录")
    pages_numbered: StrictBool = Field(description="卷内材料编有页码")
    pages: StrictInt | None = Field(default=None, ge=1, description="卷内材料页数")
    order: list[ArchiveStage] = Field(
        default_factory=list, description="卷内文书自前至后所属的环节（立案、调查、审查、决定、送达、执行），按装订顺序填写")

    @property
    def documents_in_order(self) -> bool | None:
        """Bound in the order 立案 → … → 执行 (a stage may repeat or be absent); None when the order is not recorded."""
        if not self.order:
            return None
        rank = {code: i for i, code in enumerate(ArchiveStage.labels)}
        ranks = [rank[code] for code in self.order]
        return ranks == sorted(ranks)

    def form(self, check: str) -> bool | None:
        return getattr(self, check)


class Organ(Region):
    name: Text = Field(description="执法机关名称")
    level: Level = Field(description="执法机关层级")
    type: OrganType = Field(default="department", description="人民政府、政府部门或法律法规授权的组织")


class Party(Strict):
    type: PartyType = Field(description="当事人类型（决定听证的较大数额标准）")
    name: Text = Field(description="当事人姓名或名称")
    id_number: Text | None = Field(default=None, description="身份证件号码或统一社会信用代码（仅在报告中显示，不进入 JSON 输出）")
    address: Text | None = None


class Entrustment(Strict):
    entrusting_body: Text = Field(description="委托机关")
    instrument: Text = Field(description="委托书名称、文号")
    published: StrictBool = Field(description="委托机关和受委托组织已将委托书向社会公布（行政处罚法第二十条第二款）")


class Offence(Strict):
    occurred_on: Date = Field(description="违法行为发生之日")
    ended_on: Date | None = Field(default=None, description="连续或者继续状态的违法行为终了之日")
    discovered_on: Date = Field(description="违法行为被发现之日")
    life_health_finance_harm: StrictBool = Field(
        default=False, description="涉及公民生命健康安全、金融安全且有危害后果（行政处罚法第三十六条第一款：五年）")

    _ends_after_it_began = not_before("ended_on", "occurred_on", "违法行为终了之日 {later} 早于发生之日 {earlier}")


class Decision(Strict):
    title: Text = Field(description="案件名称或决定事项")
    kind: Literal["enforcement-decision"] = Field(description="卷宗种类：重大行政执法决定")
    stage: Stage = Field(description="卷宗所处阶段：决定哪些步骤此时应已完成")
    organ: Organ
    sector: Sector = Field(description="执法领域（决定适用哪些领域标准，如听证的较大数额）")
    authority: Text = Field(description="执法主体的职权依据（法律、法规、规章及条款）")
    action: Action = Field(description="执法行为类别")
    party: Party
    entrustment: Entrustment | None = Field(default=None, description="受委托实施时填写")
    joint_with: list[Text] = Field(default_factory=list, description="以共同名义作出决定的其他机关")
    major_grounds: list[Ground] = Field(default_factory=list, description="属于重大执法决定的情形")
    complex_or_serious: StrictBool = Field(
        default=False, description="情节复杂或者重大违法行为（行政处罚法第五十七条第二款：负责人集体讨论决定）")
    criminal_suspected: StrictBool = Field(default=False, description="涉嫌犯罪")
    offence: Offence | None = Field(default=None, description="违法行为（行政处罚案件）")
    as_of: Date | None = Field(default=None, description="审查基准日；不填则取程序记录中最晚的日期")
    third_party_interest: StrictBool = Field(
        default=False, description="许可事项直接关系他人重大利益（行政许可法第三十六条、第四十七条：告知利害关系人及听证权利）")
    hearing_required_by: Text | None = Field(
        default=None, description="许可应当听证的依据：法律、法规、规章的条款，或本机关认为需要听证的决定（行政许可法第四十六条）")
    archive: Archive | None = Field(default=None, description="结案归档后案卷的卷面情况（案卷评查用）；未归档或未记载的不填")


class Measure(Strict):
    type: MeasureType = Field(description="处罚种类")
    amount: Yuan | None = Field(default=None, description="罚款、没收的数额或价值（元）")

    @model_validator(mode="after")
    def _amount(self):
        if self.type in ("fine", "confiscate-gains", "confiscate-property") and self.amount is None:
            raise ValueError(f"{MeasureType.labels[self.type]}须写明数额 amount（元）")
        return self


class Officer(Strict):
    name: Text = Field(description="执法人员姓名")
    certificate: Text | None = Field(default=None, description="行政执法证件号码；没有的不填")


class CaseFiling(StepBase):
    label: ClassVar[str] = "立案"
    date_field: ClassVar[str] = "filed_on"
    type: Literal["case-filing"]
    filed_on: Date = Field(description="立案日期")
    approved_by: Text | None = Field(default=None, description="批准立案的负责人")


class Investigation(StepBase):
    label: ClassVar[str] = "调查取证"
    date_field: ClassVar[str] = "held_on"
    type: Literal["investigation"]
    method: Method
    held_on: Date
    officers: list[Officer] = Field(default_factory=list, description="参加调查或检查的执法人员")
    certificates_shown: StrictBool = Field(description="执法人员主动出示执法证件")
    record_signed: StrictBool = Field(description="笔录经当事人核对签名（拒绝签名的已注明）")
    on_site: StrictBool = Field(default=False, description="现场执法")
    av_recorded: StrictBool = Field(default=False, description="全程音像记录")


class EvidencePreservation(StepBase):
    label: ClassVar[str] = "先行登记保存"
    date_field: ClassVar[str] = "preserved_on"
    span: ClassVar[tuple[str, str] | None] = ("preserved_on", "handled_on")
    type: Literal["evidence-preservation"]
    approved_on: Date | None = Field(default=None, description="行政机关负责人批准日期")
    preserved_on: Date
    handled_on: Date | None = Field(default=None, description="对登记保存的证据作出处理决定的日期")


class Recusal(StepBase):
    label: ClassVar[str] = "回避"
    date_field: ClassVar[str] = "requested_on"
    type: Literal["recusal"]
    requested_on: Date
    decided_on: Date | None = None
    decided_by: Text | None = Field(default=None, description="决定回避的负责人")


class HeadReview(StepBase):
    label: ClassVar[str] = "负责人审查"
    date_field: ClassVar[str] = "reviewed_on"
    type: Literal["head-review"]
    reviewed_on: Date
    reviewer: Text | None = Field(default=None, description="审查调查结果的行政机关负责人")
    outcome: HeadOutcome


class LegalReview(StepBase):
    label: ClassVar[str] = "法制审核"
    date_field: ClassVar[str] = "submitted_on"
    span: ClassVar[tuple[str, str] | None] = ("submitted_on", "opinion_on")
    type: Literal["legal-review"]
    submitted_on: Date = Field(description="送审日期")
    opinion_on: Date | None = Field(default=None, description="审核意见出具日期")
    reviewer: Text = Field(description="法制审核机构")
    reviewer_name: Text | None = Field(default=None, description="审核人员")
    qualified: StrictBool | None = Field(default=None, description="审核人员取得法律职业资格")
    first_time: StrictBool = Field(default=False, description="审核人员系初次从事行政处罚决定法制审核")
    conclusion: ReviewConclusion | None = None


class Notice(StepBase):
    label: ClassVar[str] = "事先告知"
    date_field: ClassVar[str] = "served_on"
    type: Literal["notice"]
    served_on: Date = Field(description="告知书送达当事人日期")
    measures: list[Measure] = Field(default_factory=list, description="告知的拟作出的处罚")
    facts_and_basis_stated: StrictBool = Field(description="告知了拟作出处罚的内容及事实、理由、依据")
    statement_right: StrictBool = Field(description="告知了陈述、申辩的权利")
    hearing_right: StrictBool = Field(default=False, description="告知了要求听证的权利")
    waived: StrictBool = Field(default=False, description="当事人书面明确放弃陈述、申辩")


class Statement(StepBase):
    label: ClassVar[str] = "陈述申辩"
    date_field: ClassVar[str] = "received_on"
    type: Literal["statement"]
    received_on: Date
    form: Literal["written", "oral"] = Field(description="written＝书面；oral＝口头（已制作笔录）")
    reviewed_on: Date | None = Field(default=None, description="对陈述、申辩复核的日期")
    adopted: StrictBool | None = Field(default=None, description="当事人提出的事实、理由或者证据成立并予采纳")


class Hearing(StepBase):
    label: ClassVar[str] = "听证"
    date_field: ClassVar[str] = "requested_on"
    span: ClassVar[tuple[str, str] | None] = ("requested_on", "held_on")
    type: Literal["hearing"]
    requested_on: Date = Field(description="当事人要求听证的日期")
    notified_on: Date | None = Field(default=None, description="听证通知书送达日期")
    held_on: Date | None = Field(default=None, description="举行听证的日期；未举行不填")
    presider: Text | None = Field(default=None, description="听证主持人")
    presider_investigated: StrictBool = Field(default=False, description="主持人参与了本案调查")
    public: StrictBool = Field(default=True, description="公开举行（涉及国家秘密、商业秘密、个人隐私的除外）")
    exemption: Text | None = Field(default=None, description="不公开举行的依据")
    record_signed: StrictBool | None = Field(default=None, description="听证笔录经当事人或代理人核对签字（拒绝的已注明）")


class CollectiveDiscussion(StepBase):
    label: ClassVar[str] = "负责人集体讨论"
    date_field: ClassVar[str] = "held_on"
    type: Literal["collective-discussion"]
    held_on: Date
    meeting_name: Text | None = Field(default=None, description="会议名称，如 局长办公会议")
    attendees_count: StrictInt | None = Field(default=None, ge=0, description="出席的负责人人数")
    conclusion: Text | None = Field(default=None, description="讨论决定的内容")


class DecisionAct(StepBase):
    label: ClassVar[str] = "作出决定"
    date_field: ClassVar[str] = "decided_on"
    type: Literal["decision"]
    decided_on: Date
    document_no: Text | None = Field(default=None, description="决定书文号")
    measures: list[Measure] = Field(default_factory=list, description="决定的处罚")
    articles: list[Text] = Field(default_factory=list, description="适用的法律条款")
    benchmark: Text | None = Field(default=None, description="适用的裁量基准")
    outcome: LicenceOutcome | None = Field(default=None, description="许可决定的结果")
    reasons_stated: StrictBool = Field(default=True, description="说明了理由（不予许可等）")
    remedies_stated: StrictBool = Field(description="告知了申请行政复议、提起行政诉讼的途径和期限")
    sealed: StrictBool = Field(description="加盖行政机关印章")


class Service(StepBase):
    label: ClassVar[str] = "送达"
    date_field: ClassVar[str] = "served_on"
    type: Literal["service"]
    served_on: Date
    method: ServiceMethod
    consent_signed: StrictBool = Field(default=False, description="电子送达已经当事人同意并签订确认书")


class Publication(StepBase):
    label: ClassVar[str] = "公示"
    date_field: ClassVar[str] = "published_on"
    type: Literal["publication"]
    published_on: Date
    channels: list[Channel] = Field(min_length=1)


class Filing(StepBase):
    label: ClassVar[str] = "备案"
    date_field: ClassVar[str] = "filed_on"
    type: Literal["filing"]
    filed_on: Date
    filed_with: Text = Field(description="备案机关，如 本级人民政府司法行政部门")


class Extension(StepBase):
    label: ClassVar[str] = "延长办案期限"
    date_field: ClassVar[str] = "approved_on"
    type: Literal["extension"]
    approved_on: Date
    approved_by: Text = Field(description="批准延长的负责人")
    basis: Text = Field(description="允许延长的法律、法规、规章及条款")
    days: StrictInt = Field(ge=1, description="延长的日数")


class Application(StepBase):
    label: ClassVar[str] = "申请与受理"
    date_field: ClassVar[str] = "received_on"
    type: Literal["application"]
    received_on: Date = Field(description="收到申请日期")
    accepted_on: Date | None = Field(default=None, description="受理日期；不予受理的不填")
    supplement_notified_on: Date | None = Field(
        default=None, description="一次告知需补正全部内容的日期（行政许可法第三十二条第一款第四项）")
    excluded_working_days: StrictInt | None = Field(
        default=None, ge=1, description="依法不计入许可期限的听证、检验、鉴定、专家评审等所需时间（工作日，第四十五条）")
    excluded_notified_on: Date | None = Field(default=None, description="将不计入期限的所需时间书面告知申请人的日期")


class Verification(StepBase):
    label: ClassVar[str] = "核查"
    date_field: ClassVar[str] = "held_on"
    type: Literal["verification"]
    held_on: Date
    officers: list[Officer] = Field(default_factory=list, description="实地核查的工作人员")


class CoerciveMeasureStep(StepBase):
    label: ClassVar[str] = "行政强制措施"
    date_field: ClassVar[str] = "executed_on"
    type: Literal["coercive-measure"]
    measure: CoerciveMeasure
    approved_on: Date | None = Field(default=None, description="行政机关负责人批准日期")
    executed_on: Date = Field(description="实施日期")
    urgent: StrictBool = Field(default=False, description="情况紧急，当场实施")
    reported_on: Date | None = Field(default=None, description="紧急实施后向负责人报告并补办批准的日期")
    officers: list[Officer] = Field(default_factory=list)
    reasons_told: StrictBool = Field(description="当场告知当事人采取强制措施的理由、依据以及依法享有的权利、救济途径")
    statement_heard: StrictBool = Field(description="听取了当事人的陈述和申辩")
    record_signed: StrictBool = Field(description="现场笔录由当事人和执法人员签名或者盖章（拒绝的已注明）")
    list_made: StrictBool = Field(default=True, description="制作了查封、扣押清单")
    av_recorded: StrictBool = Field(default=False, description="全程音像记录")
    term_days: StrictInt | None = Field(default=None, ge=1, description="查封、扣押的期限（日）")
    extended_days: StrictInt | None = Field(default=None, ge=1, description="延长的期限（日）")
    decision_served_on: Date | None = Field(default=None, description="强制措施决定书交付当事人日期")


class Demand(StepBase):
    label: ClassVar[str] = "催告"
    date_field: ClassVar[str] = "served_on"
    type: Literal["demand"]
    served_on: Date
    deadline_on: Date = Field(description="催告书载明的履行期限")
    written: StrictBool = Field(default=True, description="以书面形式催告")


class EnforcementOrder(StepBase):
    label: ClassVar[str] = "强制执行决定"
    date_field: ClassVar[str] = "decided_on"
    type: Literal["enforcement-order"]
    decided_on: Date
    served_on: Date | None = None
    immediate: StrictBool = Field(
        default=False, description="催告期间有证据证明有转移或者隐匿财物迹象，作出立即强制执行决定（行政强制法第三十七条第三款）")
    demolition: StrictBool = Field(default=False, description="强制拆除违法的建筑物、构筑物、设施（行政强制法第四十四条）")


class Execution(StepBase):
    label: ClassVar[str] = "实施强制执行"
    date_field: ClassVar[str] = "executed_on"
    type: Literal["execution"]
    executed_on: Date
    at_night: StrictBool = Field(default=False, description="在夜间实施")
    urgent: StrictBool = Field(default=False, description="情况紧急")
    utilities_cut: StrictBool = Field(default=False, description="对居民生活采取停止供水、供电、供热、供燃气等方式")


class Announcement(StepBase):
    label: ClassVar[str] = "限期拆除公告"
    date_field: ClassVar[str] = "announced_on"
    type: Literal["announcement"]
    announced_on: Date = Field(description="公告日期（行政强制法第四十四条）")
    deadline_on: Date = Field(description="公告限定当事人自行拆除的期限")


Step = Annotated[
    Union[CaseFiling, Application, Investigation, Verification, EvidencePreservation, Recusal, CoerciveMeasureStep,
          HeadReview, Notice, Statement, Hearing, LegalReview, CollectiveDiscussion, DecisionAct, Service,
          Publication, Filing, Extension, Demand, EnforcementOrder, Execution, Announcement],
    Field(discriminator="type"),
]

Material = material_model(MaterialKind)


class Dossier(DossierBase):
    """一个重大行政执法决定卷宗 (enforcement-decision dossier)."""

    model_config = dict(DossierBase.model_config, title="重大行政执法决定卷宗 (enforcement-decision dossier)")

    decision: Decision
    steps: list[Step] = Field(default_factory=list, description="已履行的程序步骤")
    materials: list[Material] = Field(default_factory=list, description="证明各步骤的材料")


_GRAVITY = {code: rank for rank, code in enumerate(MeasureType.labels, 1)}
_FINES = ("fine",)
_CONFISCATIONS = ("confiscate-gains", "confiscate-property")


def _step_facts(step, put, pos) -> None:
    measures = getattr(step, "measures", None)
    if measures is None:
        return
    where = pos + ("measures",)
    put("fine_amount", sum(m.amount for m in measures if m.type in _FINES), "money", None, where)
    put("confiscation_value", sum(m.amount for m in measures if m.type in _CONFISCATIONS), "money", None, where)
    put("gravity", max((_GRAVITY[m.type] for m in measures), default=0), "int", None, where)
    present = {m.type for m in measures}
    for code in MeasureType.labels:
        put(_measure_attr(code), code in present, "bool", None, where)


def _measure_attr(code: str) -> str:
    return "m_" + code.replace("-", "_")


_MEASURE_ATTRS = {"fine_amount": "int", "confiscation_value": "int", "gravity": "int"} | {
    _measure_attr(c): "bool" for c in MeasureType.labels}


def _ground_attr(code: str) -> str:
    return "ground_" + code.replace("-", "_")


def _decision_facts(d: Decision, put, record) -> None:
    put("party_type", d.party.type, "enum", PartyType, ("decision", "party", "type"))
    put("entrusted", d.entrustment is not None, "bool", None, ("decision", "entrustment"))
    if d.entrustment:
        put("entrustment_published", d.entrustment.published, "bool", None, ("decision", "entrustment", "published"))
        put("entrusting_body", d.entrustment.entrusting_body, "text", None,
            ("decision", "entrustment", "entrusting_body"))
    put("joint", bool(d.joint_with), "bool", None, ("decision", "joint_with"))
    grounds = set(d.major_grounds)
    put("major", bool(grounds), "bool", None, ("decision", "major_grounds"))
    for code in Ground.labels:
        put(_ground_attr(code), code in grounds, "bool", None, ("decision", "major_grounds"))
    if d.offence:
        o, op = d.offence, ("decision", "offence")
        put("offence_occurred_on", o.occurred_on, "date", None, op + ("occurred_on",))
        put("offence_ended_on", o.ended_on or o.occurred_on, "date", None, op + ("ended_on" if o.ended_on else "occurred_on",))
        put("offence_discovered_on", o.discovered_on, "date", None, op + ("discovered_on",))
        put("life_health_finance_harm", o.life_health_finance_harm, "bool", None, op + ("life_health_finance_harm",))
        start = o.ended_on or o.occurred_on
        put("offence_undiscovered_years", _years_run(start, o.discovered_on), "int", None, op + ("discovered_on",))


def _years_run(start, end) -> int:
    """Whole years that had fully run from `start` before `end`: a period of N years from `start` ends on its
    N-th anniversary (the last day of the month when there is none, 民法典第二百零二条), so `end` lies outside
    it only when it is later than that day."""
    n = 0
    while _anniversary(start, n + 1) < end:
        n += 1
    return n


def _anniversary(day, years: int):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


_DECISION_ATTRS = {"party_type": "enum", "entrusted": "bool", "entrustment_published": "bool",
                   "entrusting_body": "text", "joint": "bool", "major": "bool",
                   "offence_occurred_on": "date", "offence_ended_on": "date", "offence_discovered_on": "date",
                   "life_health_finance_harm": "bool", "offence_undiscovered_years": "int",
                   } | {_ground_attr(c): "bool" for c in Ground.labels}


def _first_act(dossier: Dossier, as_of):
    """Procedural rules are those in force when the acts took place: packs are keyed on the case's first act."""
    dated = [(getattr(s, s.date_field), ("steps", i, s.date_field)) for i, s in enumerate(dossier.steps)]
    if not dated:
        return as_of, ("decision", "as_of"), "审查基准日"
    day, pos = min(dated)
    return day, pos, "最早的程序行为日期"


_ART58_GROUNDS = {"public-interest", "major-rights-heard", "complex"}  # 行政处罚法第五十八条第一款第一至三项

KIND = DecisionKind(
    code="enforcement-decision",
    label="重大行政执法决定",
    dossier=Dossier,
    decision=Decision,
    stages=Stage,
    material_kinds=MaterialKind,
    children={"officers": (("investigation", "verification", "coercive-measure"), "officers", "执法人员"),
              "measures": (("notice", "decision"), "measures", "处罚")},
    verdicts={"pass": "通过", "fix-then-submit": "补正后可作出决定", "blocked": "不得作出决定"},
    conclusions={"pass": "同意", "fix-then-submit": "存在问题，建议补正后再次报送审核",
                 "blocked": "存在问题，建议纠正后再次报送审核，纠正前不得作出决定"},
    heads=Heads(  # 国办发〔2018〕118号 四、（十三）
        items={"subject": "主体与资格", "procedure": "程序", "facts": "事实与证据", "law": "法律适用与裁量",
               "authority": "权限", "documents": "文书", "transfer": "涉嫌犯罪移送"},
        questions={
            "subject": "行政执法主体是否合法，行政执法人员是否具备执法资格",
            "procedure": "行政执法程序是否合法",
            "facts": "案件事实是否清楚，证据是否合法充分",
            "law": "适用法律、法规、规章是否准确，裁量基准运用是否适当",
            "authority": "执法是否超越执法机关法定权限",
            "documents": "行政执法文书是否完备、规范",
            "transfer": "违法行为是否涉嫌犯罪、需要移送司法机关",
        },
        default="procedure",
    ),
    report_title="重大行政执法决定法制审核预审报告",
    opinion_title="法制审核意见书",
    review_step="legal-review",
    terms={"subject": "案件名称", "organ": "执法机关", "review": "法制审核",
           "party": "当事人", "action": "执法行为", "sector": "执法领域", "authority": "职权依据",
           "major_grounds": "重大执法决定情形"},
    opinion_basis=(
        # Art. 58 only for penalties within its own list (its item 4 names laws and regulations, not 规章)
        ("《中华人民共和国行政处罚法》第五十八条",
         lambda d: d.action == "penalty" and bool(set(d.major_grounds) & _ART58_GROUNDS)),
        ("《国务院办公厅关于全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度的指导意见》"
         "（国办发〔2018〕118号）", lambda d: True),
        ("《甘肃省重大行政执法决定法制审核办法》（甘肃省人民政府令第126号）", lambda d: d.organ.province == "甘肃省"),
    ),
    periods=(
        Period("hearing", "held_on", "hearing_notice_working_days", True, before=True,
               caption="提前{n}个工作日通知", note="听证七日前通知当事人（行政处罚法第六十四条第二项、第八十五条：工作日）",
               mark="notified_on", mark_caption="通知"),
        Period("decision", "decided_on", "service_working_days", True, caption="{n}个工作日内送达",
               note="当事人不在场的，七日内送达决定书（行政处罚法第六十一条第一款、第八十五条：工作日）"),
    ),
    coverage_prefixes=("PEN-", "EXE-", "BIZ-", "LIC-", "COE-", "GS-EXE-", "GS58-ENF-"),
    decision_facts=_decision_facts,
    decision_attrs=_DECISION_ATTRS,
    decision_values={"party_type": list(PartyType.labels)},
    step_facts=_step_facts,
    step_attrs={"notice": _MEASURE_ATTRS, "decision": _MEASURE_ATTRS},
    working_durations={"hearing": {"notice_working_days": ("held_on", "notified_on"),
                                   "delay_working_days": ("held_on", "requested_on")},
                       "evidence-preservation": {"handling_working_days": ("handled_on", "preserved_on")},
                       "application": {"acceptance_working_days": ("accepted_on", "received_on"),
                                       "supplement_working_days": ("supplement_notified_on", "received_on")},
                       "coercive-measure": {"delivery_working_days": ("decision_served_on", "executed_on")}},
    durations={"coercive-measure": {"approval_lead_days": ("executed_on", "approved_on"),
                                    "report_days": ("reported_on", "executed_on"),
                                    "delivery_days": ("decision_served_on", "executed_on")}},
    template="dossier-enforcement-decision.yaml",
    in_force_date=_first_act,
    plan_anchor=PlanAnchor("decision", "--decide-by", "拟作出决定日期", {"remedies_stated": True, "sealed": True}, "closed"),
)
