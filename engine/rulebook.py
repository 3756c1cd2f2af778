"""Load rule packs from rules/: validate every rule file and compile it once.

Layout: rules/<jurisdiction>/<kind>/_pack.yaml (pack metadata and parameters),
one <RULE-ID>.yaml per rule and <RULE-ID>.cases.yaml beside it.
A broken rule file is an error naming the file and field, never skipped.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
import re
import string
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import kinds as kinds_
from .authoring import unfilled
from .conditions import ConditionError, Clause, compile_clauses, parse_when, refs
from .errors import Problem, RuleError
from .facts import WD_SUFFIXES, fields_of, schema_for
from .load import problems_from_validation
from .dossier import KNOWN_CITIES
from .source import Located, read_file

SEVERITIES = ("blocking", "major", "advisory")
SEVERITY_LABELS = {"blocking": "阻断", "major": "重要", "advisory": "提示"}
# the legal consequence a blocking rule's text states (the opinion's conclusion depends on it and on the stage)
BARS = {
    "no-discussion": "不得提交决策机关讨论",
    "no-decision": "不得作出决定",
    "no-issue": "不得出台",
    "risk-control": "确保风险可控后方可作出决策",
    "unlawful-after-decision": "决策程序违法，应当依法纠正",
    "no-reliance": "未经公布的，不得作为行政管理依据",
}
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    # built on first validation: a rulebook from the cache (engine/rulecache.py) never validates a rule file
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class InForce(_Strict):
    from_: dt.date = Field(alias="from", description="施行日期")
    until: dt.date | None = Field(default=None, description="失效日期（仍有效则不填）")


class Basis(_Strict):
    source: Text = Field(description="文件名称，如 重大行政决策程序暂行条例")
    number: Text = Field(description="文号，如 国务院令第713号")
    article: Annotated[str, Field(pattern=r"(第.+条|^[一二三四五六七八九十]+（[一二三四五六七八九十]+）\d*)")] = Field(
        description="条、款、项，如 第十五条第一款；政策文件写段落，如 二（二）1")
    in_force: InForce
    level: Literal["V1", "V2", "verified"] = Field(default="V1", description="核实程度（见 legal-basis.md 0.1）")
    note: str | None = None

    def to_dict(self) -> dict:
        """The citation as findings, reports and machine formats carry it."""
        return {"source": self.source, "number": self.number, "article": self.article,
                "in_force": {"from": self.in_force.from_.isoformat(),
                             "until": self.in_force.until.isoformat() if self.in_force.until else None}}


Severity = Literal["blocking", "major", "advisory"]


class Version(_Strict):
    """A rule's legal consequence and basis over one period: the law changed, the rule's test did not."""

    in_force: InForce
    severity: Severity
    bar: Literal[tuple(BARS)] | None = None
    basis: list[Basis] = Field(min_length=1)
    message: str | None = Field(default=None, description="本期间的消息（不写则用规则的 message）")
    fix: str | None = Field(default=None, description="本期间的整改意见（不写则用规则的 fix）")

    def covers(self, day: dt.date) -> bool:
        return self.in_force.from_ <= day and (self.in_force.until is None or day <= self.in_force.until)


class PeriodAnchor(_Strict):
    step: Text = Field(description="起算或截止所依的步骤类型，如 collective-discussion")
    date: Text = Field(description="该步骤的日期名称，如 held_on；date＝该步骤的主要日期")
    label: str | None = Field(default=None, description="该日期的中文名称（卷宗模型未写说明时用），如 党委批复日期")


class PeriodSpec(_Strict):
    """The deadline a rule enforces, as data: `steps`' `date` must be at least `before` (or at most `after`)
    days or working days (the figure's unit) from the anchor's date. The planner reads it; the rule's
    `when` tests it; tests/test_planner*.py prove the two agree on every example and on generated dossiers."""

    steps: list[Text] = Field(min_length=1, description="受期限约束的步骤类型")
    date: Text = Field(description="须按期完成的日期名称；date＝该步骤的主要日期")
    anchor: PeriodAnchor = Field(description="期限所依的另一日期")
    before: Annotated[int, Field(ge=0)] | Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")] | None = Field(
        default=None, description="至迟在 anchor 之前多少日：数值名称（figures 中定义，单位为日或工作日）或日数（0＝不晚于当日）")
    after: Annotated[int, Field(ge=0)] | Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")] | None = Field(
        default=None, description="至迟在 anchor 之后多少日：数值名称或日数")
    holiday_extends: bool = Field(default=False, description="期间最后一日为法定休假日的，以休假日结束的次日为最后一日（民法典第二百零三条）")
    or_later: PeriodAnchor | None = Field(default=None, description="该日期晚于 anchor 时，自该日期起算（如党委批复）")
    allows: str | None = Field(default=None, description="逾期或来不及时法律允许的做法（公文用语），规划中照录")

    @model_validator(mode="after")
    def _one_side(self):
        if (self.before is None) == (self.after is None):
            raise ValueError("期限须写 before（之前）或 after（之后）之一")
        if self.holiday_extends and self.after is None:
            raise ValueError("holiday_extends 只用于 after（期间届满日顺延）")
        return self

    @property
    def offset(self) -> int | str:
        return self.before if self.before is not None else self.after


class RuleFile(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)+$")]
    title: Text
    kinds: list[Literal["major-decision", "enforcement-decision", "normative-document"]] = Field(min_length=1)
    implements: list[Text] = Field(min_length=1)
    basis: list[Basis] | None = Field(default=None, min_length=1, description="依据；分期间适用不同依据时写 versions")
    severity: Severity | None = None
    versions: list[Version] | None = Field(
        default=None, min_length=2, description="依据或后果随时间变化时，各施行期间的 severity、bar、basis（按时间先后，不重叠）")
    dated_by: str | None = Field(default=None, description="按哪个日期确定适用的版本和数值（决策种类定义的日期名称）；不填按该种类的默认日期")
    replaces: Annotated[str, Field(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)+$")] | None = Field(
        default=None, description="本规则包所辖地区以本规则取代上级规则包中的该规则（须至少同样严格）")
    step: Text = Field(description="发现所属的程序步骤（用于分组）")
    when: list
    message: Text
    fix: Text = Field(description="审查意见向承办单位提出的整改意见（公文用语，不写字段名、代码）")
    record: str | None = Field(default=None, description="整改后如何在卷宗中登记（rules show 与文本、CI 输出显示，不进审查意见书）")
    bar: Literal[tuple(BARS)] | None = Field(default=None, description="阻断规则的法律后果：" + "；".join(
        f"{k}＝{v}" for k, v in BARS.items()))
    rationale: str | None = Field(default=None, description="为何如此判断（rules show 显示）")
    applies_to_excluded: bool = Field(default=False, description="也适用于第三条第二款除外事项（默认只适用于范围内事项）")
    period: list[PeriodSpec] = Field(default_factory=list, description="本规则检查的期限（prereview plan 据此倒排程序）")

    @model_validator(mode="after")
    def _one_history(self):
        if self.versions is None:
            if self.basis is None or self.severity is None:
                raise ValueError("须写 severity 和 basis，或写 versions（各施行期间的 severity、basis）")
            return self
        if self.basis is not None or self.severity is not None or self.bar is not None:
            raise ValueError("写了 versions 时，severity、bar、basis 写在各版本中，不再写在规则顶层")
        for earlier, later in zip(self.versions, self.versions[1:]):
            if earlier.in_force.until is None or later.in_force.from_ <= earlier.in_force.until:
                raise ValueError(f"versions 的施行期间须按时间先后且不重叠：{earlier.in_force.from_} 起的版本"
                                 f"与 {later.in_force.from_} 起的版本重叠")
        return self

    @functools.cached_property
    def latest(self) -> Version:
        """The version in force last (a rule without versions has one; made once, every review asks)."""
        if self.versions:
            return self.versions[-1]
        return Version.model_construct(in_force=None, severity=self.severity, bar=self.bar, basis=self.basis,
                                       message=None, fix=None)


UNITS = {"days": "日", "working-days": "个工作日", "count": "", "yuan": "元", "months": "个月", "years": "年"}
DIRECTIONS = {"at-least": "不少于", "at-most": "不超过"}
SCOPE_KEYS = ("province", "city", "county")


class FigureBasis(_Strict):
    source: Text = Field(description="文件名称和文号，如 重大行政决策程序暂行条例（国务院令第713号）")
    article: Text = Field(description="条、款、项或段落")
    number: str | None = Field(default=None, description="文号（已写在 source 中的可不填）")
    quote: Text = Field(description="原文中规定该数值的文字")
    note: str | None = Field(default=None, description="计算方法等说明，如 第八十五条（工作日）")


class FigureValue(_Strict):
    value: Annotated[int, Field(ge=0)]
    from_: dt.date = Field(alias="from", description="自何日起适用")
    until: dt.date | None = Field(default=None, description="至何日止（仍适用则不填）")
    basis: FigureBasis

    def covers(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.until is None or day <= self.until)

    def overlaps(self, other: "FigureValue") -> bool:
        return (self.from_ <= (other.until or dt.date.max)) and (other.from_ <= (self.until or dt.date.max))


class FigureSpec(_Strict):
    label: Text | None = Field(default=None, description="中文名称，如 合法性审查时间（只在首次定义的规则包中写）")
    unit: Literal[tuple(UNITS)] | None = Field(default=None, description="单位（只在首次定义的规则包中写）")
    direction: Literal[tuple(DIRECTIONS)] | None = Field(
        default=None, description="at-least：法定最低要求，下级只能提高；at-most：法定上限，下级只能降低（只在首次定义的规则包中写）")
    values: list[FigureValue] = Field(min_length=1)


class Supplement(_Strict):
    """A lower pack's own basis for a higher pack's rule: its region's findings cite both."""

    implements: list[Text] = Field(default_factory=list)
    basis: list[Basis] = Field(min_length=1)


class PackFile(_Strict):
    pack: Text
    title: Text
    version: Text
    kinds: list[str]
    extends: Text | None = Field(default=None, description="上级规则包，如 national/major-decision；全国性规则包不写")
    scope: dict[Literal[SCOPE_KEYS], Text] = Field(default_factory=dict,
                                                    description="适用地区，如 {province: 甘肃省, city: 兰州市}")
    requires_in_scope: bool = True
    figures: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], FigureSpec] = Field(
        default_factory=dict, description="规则引用的数值（期限、人数、金额）：单位、方向、分期间的值及其依据")
    supplements: dict[str, Supplement] = Field(default_factory=dict,
                                               description="上级规则包中规则在本地区的补充依据")
    base: Text | None = Field(default=None, description="规则用例共用的合规基准卷宗")
    reviews_from: dict[str, dict[str, dt.date]] = Field(
        default_factory=dict, description="决策事项某一属性取某值时，规则包能审查的最早程序行为日期，"
                                          "如 {action: {penalty: 2021-01-22}}：更早的卷宗不在本规则包施行期间内")


class CaseChange(_Strict):
    set: dict | None = None
    remove: list[str] | str | None = None
    add_step: dict | None = None


class Case(_Strict):
    name: Text
    expect: Literal["fire", "quiet"]
    count: int | None = None
    severity: Severity | None = Field(default=None, description="触发时应有的严重程度（检验按日期适用的版本）")
    message_contains: list[str] = Field(default_factory=list)
    change: list[CaseChange] = Field(default_factory=list)


class CasesFile(_Strict):
    base: Text | None = Field(default=None, description="用例的基准卷宗（相对本文件）；不填则用规则包的 base")
    cases: list[Case] = Field(min_length=2)


@dataclass
class Pack:
    name: str
    title: str
    version: str
    directory: Path
    kinds: list
    scope: dict
    requires_in_scope: bool
    figures: dict                     # name -> FigureSpec (this pack's declarations and tightenings)
    base: Path | None
    reviews_from: dict = field(default_factory=dict)   # decision attribute -> value -> earliest first act
    extends: str | None = None
    supplements: dict = field(default_factory=dict)    # rule id -> Supplement
    parent: "Pack | None" = None
    digest: str = ""  # sha256 of the pack's files
    local: bool = False   # added with --rules

    @property
    def ancestry(self) -> list["Pack"]:
        """This pack and the packs it extends, the national one first."""
        out, pack = [], self
        while pack is not None:
            out.insert(0, pack)
            pack = pack.parent
        return out

    def applies_to(self, region: dict) -> bool:
        return all(region.get(k) == v for k, v in self.scope.items())

    @property
    def where(self) -> str:
        """The region in Chinese (全国 for a national pack)."""
        return "".join(self.scope.get(k, "") for k in SCOPE_KEYS) or "全国"


@dataclass(frozen=True)
class Figure:
    """A figure's value for one dossier: the value, its unit and the pack (and basis) that set it."""

    name: str
    value: int
    unit: str
    direction: str
    pack: str
    label: str
    basis: FigureBasis
    start: dt.date
    until: dt.date | None = None

    def to_dict(self) -> dict:
        return {"value": self.value, "unit": self.unit, "pack": self.pack}

    def citation(self) -> Basis:
        """A lower pack's figure as a citation of the finding: the city's own document sets the value."""
        return Basis.model_construct(source=self.basis.source, number=self.basis.number or "",
                                     article=self.basis.article, level="V1", note=self.basis.quote,
                                     in_force=InForce.model_construct(from_=self.start, until=self.until))


_PARAM = re.compile(r"param\.([a-z][a-z0-9_]*)")


@dataclass
class Rule:
    spec: RuleFile
    pack: Pack
    path: Path
    clauses: list[Clause]
    durable: dict[str, list] = field(default_factory=dict)   # decision kind -> compiled with the declared figures
    cases: list[Case] = field(default_factory=list)
    cases_path: Path | None = None
    cases_base: Path | None = None   # the compliant dossier the cases change; the pack's base by default
    line: int = 1
    _compiled: dict = field(default_factory=dict, repr=False)   # (kind, figure values) -> durable `all`

    @property
    def id(self) -> str:
        return self.spec.id

    @functools.cached_property
    def figure_names(self) -> tuple[str, ...]:
        """The figures the rule's conditions and texts use."""
        texts = [self.spec.message, self.spec.fix, self.spec.record or ""]
        texts += [t for v in self.spec.versions or () for t in (v.message or "", v.fix or "")]
        text = json.dumps(self.spec.when, ensure_ascii=False) + "".join(texts)
        return tuple(sorted(set(_PARAM.findall(text))))

    def compiled(self, kind: str, values: dict) -> list:
        """The durable `all` list with these figure values (compiled once per distinct set)."""
        key = (kind, tuple(values[n] for n in self.figure_names))
        if key not in self._compiled:
            schema = schema_for(kinds_.get(kind))
            self._compiled[key] = compile_clauses(self.clauses, values, schema, [kind], self._scope())
        return self._compiled[key]

    def _scope(self) -> dict:
        return {"in_scope": True} if self.pack.requires_in_scope and not self.spec.applies_to_excluded else {}

    def version_at(self, day: dt.date, extra: list = ()) -> Version | None:
        """The version in force on `day`; without versions, the rule is in force while any basis is
        (a lower pack's supplementary basis counts: its region's requirement may be older)."""
        if self.spec.versions:
            return next((v for v in self.spec.versions if v.covers(day)), None)
        latest = self.spec.latest
        if any(b.in_force.from_ <= day and (b.in_force.until is None or day <= b.in_force.until)
               for b in list(latest.basis) + list(extra)):
            return latest
        return None

    def expired(self, day: dt.date, extra: list = ()) -> bool:
        """Past the end of every version and basis: the law may have changed and the rulebook not."""
        if self.spec.versions:
            last = self.spec.versions[-1].in_force.until
            return last is not None and day > last
        ends = [b.in_force.until for b in list(self.spec.latest.basis) + list(extra)]
        return all(e is not None for e in ends) and day > max(ends)

    def in_force(self, day: dt.date) -> bool:
        return self.version_at(day) is not None

    @property
    def positive_aliases(self) -> list[str]:
        return [c.alias for c in self.clauses if not c.negated]

    @functools.cached_property
    def calendar_needs(self) -> frozenset:
        """(step type, '*' or 'decision'; date attribute) pairs whose working-day companions the rule compares."""
        by_alias = {c.alias: c for c in self.clauses}
        spans = {}  # working-day spans within a step stand for both of their dates
        for code in self.durable:
            for step_type, attrs in kinds_.get(code).working_durations.items():
                for attr, dates in attrs.items():
                    spans.setdefault((step_type, attr), set()).update(dates)
        out = set()
        for clause in self.clauses:
            for ref in refs(clause.where) if clause.where is not None else ():
                other = by_alias.get(ref.alias)
                if other is None:
                    continue
                owner = (other.subtype or "*") if other.fact == "step" else other.fact
                base = next((ref.attr.removesuffix(s) for s in WD_SUFFIXES if ref.attr.endswith(s)), None)
                if base:
                    out.add((owner, base))
                for (step_type, attr), dates in spans.items():
                    if attr == ref.attr and owner in (step_type, "*"):
                        out |= {(step_type, d) for d in dates}
        return frozenset(out)


_PLANNED_KEPT = 100_000  # entries of Rulebook._planned: a year of distinct dates for every rule, then start afresh


@dataclass
class Rulebook:
    packs: list[Pack]
    rules: list[Rule]
    digest: str
    _rules_for: dict = field(default_factory=dict, repr=False)  # (kind, pack names) -> rules
    _planned: dict = field(default_factory=dict, repr=False)  # (kind, pack names, rule, day) -> _plan_rule

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def implementers(self, kind: str | None = None) -> dict[str, set[str]]:
        """Requirement ID -> the rules that implement it, directly or through a lower pack's supplement."""
        out: dict[str, set[str]] = {}
        for r in self.rules:
            if kind is None or kind in r.spec.kinds:
                for req in r.spec.implements:
                    out.setdefault(req, set()).add(r.id)
        for p in self.packs:
            if kind is None or kind in p.kinds:
                for rule_id, sup in p.supplements.items():
                    for req in sup.implements:
                        out.setdefault(req, set()).add(rule_id)
        return out

    def chain(self, kind: str, region: dict) -> list[Pack]:
        """The packs of a kind that apply to an organ's region, national first (a city pack after its province's)."""
        packs = [p for p in self.packs if kind in p.kinds and p.applies_to(region)]
        return sorted(packs, key=lambda p: len(p.ancestry))

    def rules_for(self, kind: str, chain: list[Pack]) -> list[Rule]:
        """The chain's rules of a kind, less those a pack of the chain replaces (worked out once per chain)."""
        key = (kind, tuple(p.name for p in chain))
        if key not in self._rules_for:
            names = set(key[1])
            mine = [r for r in self.rules if kind in r.durable and r.pack.name in names]
            replaced = {r.spec.replaces for r in mine if r.spec.replaces}
            self._rules_for[key] = [r for r in mine if r.id not in replaced]
        return self._rules_for[key]

    def supplements(self, rule: Rule, chain: list[Pack]) -> list[Supplement]:
        return [p.supplements[rule.id] for p in chain if rule.id in p.supplements]

    def figure(self, name: str, chain: list[Pack], day: dt.date) -> Figure | None:
        """A figure's value on `day` in a chain: the strictest value any of its packs gives (a lower pack
        may only tighten, so that is the most local one), or None when no value covers the day."""
        declared = next(((p, p.figures[name]) for p in chain if name in p.figures and p.figures[name].unit), None)
        if declared is None:
            return None
        decl_pack, spec = declared
        best = None
        for pack in chain:
            for v in pack.figures[name].values if name in pack.figures else ():
                if not v.covers(day):
                    continue
                stricter = best is None or (v.value > best.value if spec.direction == "at-least" else v.value < best.value)
                if stricter or (v.value == best.value and len(pack.ancestry) > len(self._pack(best.pack).ancestry)):
                    best = Figure(name, v.value, spec.unit, spec.direction, pack.name, spec.label, v.basis, v.from_,
                                  v.until)
        return best

    def plan(self, kind: str, chain: list[Pack], dated) -> tuple[list["Planned"], list]:
        """Each rule of the chain as it applies on the date `dated(rule)` gives ((date, path, 中文)):
        its version, figures and the chain's supplements. Rules not yet in force are left out; a rule past
        its last version, or a figure with no value that day, comes back as a miss (rule, dated, figure name
        or None)."""
        out, misses = [], []
        names = tuple(p.name for p in chain)
        if len(self._planned) > _PLANNED_KEPT:
            self._planned.clear()
        for rule in self.rules_for(kind, chain):
            when = dated(rule)
            key = (kind, names, rule.id, when[0])
            if key not in self._planned:  # the same rule on the same day in the same chain: worked out once
                self._planned[key] = self._plan_rule(rule, chain, when[0])
            planned, missing = self._planned[key]
            if planned is not None:
                out.append(planned)
            elif missing is not False:
                misses.append((rule, when, missing))
        return out, misses

    def _plan_rule(self, rule: Rule, chain: list[Pack], day: dt.date) -> tuple["Planned | None", object]:
        """(the rule as planned, None) or (None, why not): False not yet in force, None past its last
        version, or the name of a figure with no value that day."""
        sups = self.supplements(rule, chain)
        extra = [b for s in sups for b in s.basis]
        version = rule.version_at(day, extra)
        if version is None:
            return None, None if rule.expired(day, extra) else False
        figures = {n: self.figure(n, chain, day) for n in rule.figure_names}
        missing = [n for n, f in figures.items() if f is None]
        if missing:
            return None, missing[0]
        own = {p.name for p in rule.pack.ancestry}
        local = [f.citation() for f in figures.values() if f.pack not in own]
        return Planned(rule, version, figures, tuple(version.basis) + tuple(extra) + tuple(local),
                       tuple(dict.fromkeys(list(rule.spec.implements) + [i for s in sups for i in s.implements]))), None

    def _pack(self, name: str) -> Pack:
        return next(p for p in self.packs if p.name == name)

    def figures_at(self, kind: str, chain: list[Pack], day: dt.date) -> dict[str, Figure]:
        """Every figure a chain declares for a kind, as it stands on `day`."""
        names = sorted({n for p in chain if kind in p.kinds for n in p.figures})
        return {n: f for n in names if (f := self.figure(n, chain, day)) is not None}

    def receipt(self, kind: str | None = None) -> dict:
        """What was loaded (for one decision kind, or all): packs with their hashes and rule count."""
        packs = [p for p in self.packs if kind is None or kind in p.kinds]
        return {"packs": [{"name": p.name, "version": p.version, "sha256": p.digest} for p in packs],
                "rules": sum(1 for r in self.rules if kind is None or kind in r.durable),
                "sha256": self.digest}


@dataclass(frozen=True)
class Planned:
    """A rule as it applies to one dossier: its version, its figures and the bases its region adds."""

    rule: Rule
    version: Version
    figures: dict      # name -> Figure
    basis: tuple       # the version's basis and the chain's supplements
    implements: tuple

    @property
    def values(self) -> dict:
        return {n: f.value for n, f in self.figures.items()}


def default_rules_dir() -> Path:
    return Path(str(resources.files("prereview.rules")))


def load_catalogue(rules_dir: Path) -> dict:
    doc, problems = read_file(rules_dir / "catalogue.yaml")
    if problems:
        raise RuleError(problems)
    return {item["id"]: item for item in doc.data["requirements"]}


def _placeholders(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def _load_pack(path: Path) -> tuple[Pack, Located]:
    doc, problems = read_file(path)
    if problems:
        raise RuleError(problems)
    try:
        spec = PackFile.model_validate(doc.data)
    except ValidationError as exc:
        raise RuleError(problems_from_validation(exc, doc, PackFile)) from None
    return Pack(spec.pack, spec.title, spec.version, path.parent, spec.kinds, spec.scope, spec.requires_in_scope,
                dict(spec.figures), (path.parent / spec.base) if spec.base else None, spec.reviews_from,
                spec.extends, dict(spec.supplements)), doc


def _pack_problems(pack: Pack, doc: Located, by_name: dict[str, Pack]) -> list[Problem]:
    """extends, scope and figures: a lower pack narrows the region and may only tighten a figure."""
    path = str(pack.directory / "_pack.yaml")
    out = []

    def problem(pos, message, expected=""):
        out.append(Problem(path, doc.line(pos) or 1, ".".join(map(str, pos)), message, expected))

    if pack.extends is None:
        if pack.scope:
            problem(("scope",), f"规则包 {pack.name} 限定了适用地区，但没有写 extends（它所补充的上级规则包）",
                    "如 extends: national/major-decision")
        return out
    parent = by_name.get(pack.extends)
    if parent is None:
        problem(("extends",), f"上级规则包 {pack.extends} 不存在", " / ".join(sorted(by_name)))
        return out
    if set(pack.kinds) - set(parent.kinds):
        problem(("kinds",), f"规则包 {pack.name} 的决定种类 {pack.kinds} 超出上级规则包 {parent.name} 的 {parent.kinds}")
    seen, up = {pack.name}, parent
    while up is not None:  # follow the names: parents are not linked yet
        if up.name in seen:
            problem(("extends",), f"规则包 {pack.name} 的 extends 形成循环")
            return out
        seen.add(up.name)
        up = by_name.get(up.extends) if up.extends else None
    pack.parent = parent
    # the scope narrows the parent's: same keys and values, and at least one level more
    for key, value in parent.scope.items():
        if pack.scope.get(key) != value:
            problem(("scope", key), f"规则包 {pack.name} 的适用地区 {pack.scope} 不在上级规则包 {parent.name} 的地区 "
                                    f"{parent.scope} 之内：不会适用于任何卷宗", f"{key}: {value}")
    if len(pack.scope) <= len(parent.scope):
        problem(("scope",), f"规则包 {pack.name} 的适用地区须比上级规则包 {parent.name}（{parent.where}）更小",
                "如 {province: 甘肃省, city: 兰州市}")
    for i, key in enumerate(SCOPE_KEYS[1:], 1):
        if key in pack.scope and SCOPE_KEYS[i - 1] not in pack.scope:
            problem(("scope", key), f"写了 {key} 而没有写 {SCOPE_KEYS[i - 1]}：不会适用于任何卷宗",
                    f"同时写明 {SCOPE_KEYS[i - 1]}")
    cities = KNOWN_CITIES.get(pack.scope.get("province", ""))
    if cities is not None and pack.scope.get("city") and pack.scope["city"] not in cities:
        problem(("scope", "city"), f"{pack.scope['province']}没有名为“{pack.scope['city']}”的市（州）：不会适用于任何卷宗",
                "、".join(cities))
    return out


def _figure_problems(pack: Pack, doc: Located) -> list[Problem]:
    path = str(pack.directory / "_pack.yaml")
    out = []
    ancestors = pack.ancestry[:-1]
    for name, spec in pack.figures.items():
        pos = ("figures", name)
        for a, b in itertools.combinations(spec.values, 2):
            if a.overlaps(b):
                out.append(Problem(path, doc.line(pos), f"figures.{name}", f"数值 {name} 的两个取值期间重叠（{a.from_} 起与 {b.from_} 起）",
                                   "各取值的 from/until 期间不重叠"))
        declared = next((p for p in ancestors if name in p.figures and p.figures[name].unit), None)
        if declared is None:
            if spec.unit is None or spec.direction is None or spec.label is None:
                out.append(Problem(path, doc.line(pos), f"figures.{name}",
                                   f"数值 {name} 首次在本规则包定义，须写中文名称 label、单位 unit 和方向 direction",
                                   f"label: 中文名称；unit: {' / '.join(UNITS)}；direction: at-least / at-most"))
            continue
        if spec.unit is not None or spec.direction is not None or spec.label is not None:
            out.append(Problem(path, doc.line(pos), f"figures.{name}",
                               f"数值 {name} 已由上级规则包 {declared.name} 定义（名称、单位、方向在那里写），本规则包只写收紧后的取值",
                               "删除 label、unit、direction"))
        direction = declared.figures[name].direction
        for i, mine in enumerate(spec.values):
            for higher in ancestors:
                for theirs in higher.figures[name].values if name in higher.figures else ():
                    looser = mine.value < theirs.value if direction == "at-least" else mine.value > theirs.value
                    if mine.overlaps(theirs) and looser:
                        unit = UNITS[declared.figures[name].unit]
                        out.append(Problem(
                            path, doc.line(pos + ("values", i, "value")), f"figures.{name}.values.{i}.value",
                            f"规则包 {pack.name} 将 {name} 定为 {mine.value}{unit}，宽于上级规则包 {higher.name} 的 "
                            f"{theirs.value}{unit}（{theirs.basis.source}{theirs.basis.article}：{DIRECTIONS[direction]}）："
                            "下级规则包只能从严，不能放宽",
                            f"{'不少于' if direction == 'at-least' else '不超过'} {theirs.value}"))
    return out


def _rule_problem(doc: Located, pos: tuple, message: str, expected: str = "") -> Problem:
    return Problem(doc.path, doc.line(pos), ".".join(map(str, pos)), message, expected)


def _declared_values(pack: Pack) -> dict:
    """A figure value for every figure the pack and its ancestors declare (to validate conditions)."""
    out = {}
    for p in pack.ancestry:
        for name, spec in p.figures.items():
            out.setdefault(name, spec.values[0].value)
    return out


def _load_rule(path: Path, pack: Pack, catalogue: dict) -> tuple[Rule | None, list[Problem]]:
    doc, problems = read_file(path)
    if problems or unfilled(doc):  # a skeleton of `rules new` never loads until filled
        return None, problems or unfilled(doc)
    try:
        spec = RuleFile.model_validate(doc.data)
    except ValidationError as exc:
        return None, problems_from_validation(exc, doc, RuleFile)
    problems = []
    if spec.id != path.stem:
        problems.append(_rule_problem(doc, ("id",), f"规则编号 {spec.id} 与文件名 {path.name} 不一致", f"{path.stem}"))
    for i, req in enumerate(spec.implements):
        if req not in catalogue:
            problems.append(_rule_problem(doc, ("implements", i), f"要求编号 {req} 不在法律依据目录中",
                                          "rules/catalogue.yaml 中的编号"))
    missing_kinds = set(spec.kinds) - set(pack.kinds)
    if missing_kinds:
        problems.append(_rule_problem(doc, ("kinds",), f"规则包 {pack.name} 不适用于 {', '.join(missing_kinds)}"))
    figures = _declared_values(pack)
    durable, clauses, schema = {}, [], None
    for kind in spec.kinds:
        k = kinds_.get(kind)
        if k is None:
            continue  # a kind with no model yet: listed, never reviewed
        if spec.dated_by and spec.dated_by not in k.dates:
            problems.append(_rule_problem(doc, ("dated_by",), f"{k.label}没有名为 {spec.dated_by} 的日期",
                                          " / ".join(k.dates) or "（该种类只按默认日期）"))
        schema = schema_for(k)
        try:
            clauses = parse_when(spec.when, schema)
            scope = {"in_scope": True} if pack.requires_in_scope and not spec.applies_to_excluded else {}
            durable[kind] = compile_clauses(clauses, figures, schema, [kind], scope)
        except ConditionError as exc:
            problems.append(_rule_problem(doc, ("when",), f"条件无法编译（{kind}）：{exc}"))
            return None, problems
    bound = {c.alias: c for c in clauses if not c.negated}
    for i, version in enumerate(spec.versions or [spec.latest]):
        if version.bar and version.severity != "blocking":
            where = ("versions", i, "bar") if spec.versions else ("bar",)
            problems.append(_rule_problem(doc, where, "只有阻断（blocking）规则写 bar", "删除 bar 或改为 severity: blocking"))
    texts = [(("message",), spec.message), (("fix",), spec.fix), (("record",), spec.record or "")]
    texts += [(("versions", i, key), getattr(v, key)) for i, v in enumerate(spec.versions or ())
              for key in ("message", "fix") if getattr(v, key)]
    for name, text in texts:
        try:
            fields = _placeholders(text)
        except ValueError as exc:
            problems.append(_rule_problem(doc, name, f"模板格式错误：{exc}"))
            continue
        for ph in fields:
            alias, _, attr = ph.partition("|")[0].partition(".")
            if alias == "param":
                if attr not in figures:
                    problems.append(_rule_problem(doc, name, f"模板引用了未定义的数值 {ph}",
                                                  f"规则包 {pack.name} 或其上级规则包 figures 中定义的名称"))
            elif alias not in bound or not attr:
                problems.append(_rule_problem(doc, name, f"模板引用了 {{{ph}}}，但 {alias} 不是已匹配的名称",
                                              "{别名.属性}，别名来自 when 中的肯定子句或 decision"))
            else:
                c = bound[alias]
                attrs = schema.attributes(c.fact, c.subtype) if schema else None
                if attrs is not None and attr not in attrs:
                    problems.append(_rule_problem(doc, name, f"模板引用了 {{{ph}}}，但 {c.fact} 没有属性 {attr}"))
    rule = Rule(spec, pack, path, clauses, durable, line=doc.line(("id",)) or 1)
    problems += _period_problems(rule, doc)
    if problems:
        return None, problems
    return rule, []


def _declared_spec(pack: Pack, name: str) -> FigureSpec | None:
    return next((p.figures[name] for p in pack.ancestry if name in p.figures and p.figures[name].unit), None)


def _period_problems(rule: Rule, doc: Located) -> list[Problem]:
    """A period names steps and dates the rule's kinds have, a figure the rule's own conditions use
    (the plan and the review then count with the same value) and steps the conditions match."""
    out = []
    matched = {c.subtype for c in rule.clauses if c.fact == "step"}
    for j, period in enumerate(rule.spec.period):
        at = ("period", j)
        for kind_code in rule.spec.kinds:
            k = kinds_.get(kind_code)
            if k is None:
                continue
            steps = k.steps

            def date_problem(step: str, name: str, pos: tuple):
                model = steps[step]  # the step type itself is checked by the caller
                dates = [n for n, kind, _ in fields_of(model) if kind == "date"]
                if name != "date" and name not in dates:
                    out.append(_rule_problem(doc, pos, f"步骤 {step}（{model.label}）没有日期 {name}",
                                             " / ".join(["date"] + dates)))

            for i, step in enumerate(period.steps):
                if step not in steps:
                    out.append(_rule_problem(doc, at + ("steps", i), f"{k.label}没有步骤类型 {step}", " / ".join(steps)))
                    continue
                date_problem(step, period.date, at + ("date",))
                if step not in matched and None not in matched:
                    out.append(_rule_problem(doc, at + ("steps", i), f"规则的条件（when）没有涉及步骤 {step}：期限须是规则所检查的",
                                             " / ".join(s for s in matched if s) or "when 中的步骤"))
            for key in ("anchor", "or_later"):
                a = getattr(period, key)
                if a is None:
                    continue
                if a.step not in steps:
                    out.append(_rule_problem(doc, at + (key, "step"), f"{k.label}没有步骤类型 {a.step}", " / ".join(steps)))
                    continue
                date_problem(a.step, a.date, at + (key, "date"))
                if a.step not in matched and None not in matched:
                    out.append(_rule_problem(doc, at + (key, "step"), f"规则的条件（when）没有涉及步骤 {a.step}：期限须是规则所检查的",
                                             " / ".join(s for s in matched if s) or "when 中的步骤"))
        side = "before" if period.before is not None else "after"
        if isinstance(period.offset, str):
            spec = _declared_spec(rule.pack, period.offset)
            if spec is None:
                out.append(_rule_problem(doc, at + (side,), f"期限引用了未定义的数值 {period.offset}",
                                         f"规则包 {rule.pack.name} 或其上级规则包 figures 中定义的名称"))
            elif spec.unit not in ("days", "working-days"):
                out.append(_rule_problem(doc, at + (side,), f"数值 {period.offset} 的单位是 {spec.unit}，不是期限",
                                         "单位为 days 或 working-days 的数值"))
            elif period.offset not in rule.figure_names:
                out.append(_rule_problem(doc, at + (side,), f"期限所用的数值 {period.offset} 不在本规则的条件中：规划与审查须用同一数值",
                                         " / ".join(rule.figure_names) or "when 中以 param.名称 引用的数值"))
            elif spec.unit == "working-days" and period.holiday_extends:
                out.append(_rule_problem(doc, at + ("holiday_extends",), "以工作日计算的期限不再顺延", "删除 holiday_extends"))
    return out


def _load_cases(rule: Rule) -> list[Problem]:
    path = rule.path.with_name(rule.id + ".cases.yaml")
    if not path.exists():
        return [Problem(str(rule.path), 1, "cases", f"缺少用例文件 {path.name}",
                        "至少一个应触发（fire）和一个不应触发（quiet）的用例")]
    doc, problems = read_file(path)
    if problems or unfilled(doc):
        return problems or unfilled(doc)
    try:
        spec = CasesFile.model_validate(doc.data)
    except ValidationError as exc:
        return problems_from_validation(exc, doc, CasesFile)
    cases = spec.cases
    base = (path.parent / spec.base) if spec.base else rule.pack.base
    if base is not None and not base.exists():
        return [Problem(str(path), doc.line(("base",)), "base", f"用例的基准卷宗不存在：{base}",
                        "cases 文件的 base 或规则包 _pack.yaml 的 base 指向一个合规卷宗")]
    expects = {c.expect for c in cases}
    if expects != {"fire", "quiet"}:
        return [Problem(str(path), 1, "cases", "用例应至少各有一个 fire 和 quiet",
                        "expect: fire 与 expect: quiet 各至少一个")]
    rule.cases, rule.cases_path, rule.cases_base = cases, path, base
    return []


def _link_problems(rules: list[Rule], by_id: dict[str, Rule]) -> list[Problem]:
    """replaces and supplements name a rule of a pack the lower pack extends."""
    out = []
    for rule in rules:
        target = rule.spec.replaces
        if target is None:
            continue
        higher = by_id.get(target)
        if higher is None or higher.pack not in rule.pack.ancestry[:-1]:
            out.append(Problem(str(rule.path), rule.line, "replaces",
                               f"被取代的规则 {target} 不在规则包 {rule.pack.name} 的上级规则包中",
                               " / ".join(p.name for p in rule.pack.ancestry[:-1]) or "（全国性规则包不能取代规则）"))
        elif set(higher.spec.kinds) - set(rule.spec.kinds):
            out.append(Problem(str(rule.path), rule.line, "kinds", f"取代 {target} 的规则须适用于它的全部决定种类 {higher.spec.kinds}"))
    return out


def _supplement_problems(pack: Pack, doc: Located, by_id: dict[str, Rule], catalogue: dict) -> list[Problem]:
    out = []
    path = str(pack.directory / "_pack.yaml")
    for rule_id, sup in pack.supplements.items():
        higher = by_id.get(rule_id)
        if higher is None or higher.pack not in pack.ancestry[:-1]:
            out.append(Problem(path, doc.line(("supplements", rule_id)), f"supplements.{rule_id}",
                               f"补充依据所指的规则 {rule_id} 不在上级规则包中"))
        for i, req in enumerate(sup.implements):
            if req not in catalogue:
                out.append(Problem(path, doc.line(("supplements", rule_id, "implements", i)),
                                   f"supplements.{rule_id}.implements.{i}", f"要求编号 {req} 不在法律依据目录中"))
    return out


def _pack_files(root: Path) -> list[Path]:
    return sorted(root.glob("**/_pack.yaml"), key=lambda p: (p.parent.parts.count("national") == 0, str(p)))


def load_rulebook(rules_dir: Path | None = None, packs: list[str] | None = None, extra: tuple = (),
                  replace: bool = False, cases: bool = True, cache: bool = False) -> Rulebook:
    """Load every pack under rules_dir (or only those named) and the local packs in `extra`
    (folders holding one or more packs, each extending a loaded pack), validating all files.
    With `replace`, a pack in `extra` takes the place of the built-in pack of the same name
    (an author testing an edited copy); otherwise a name used twice is an error. `cases=False` leaves
    the rules' cases unread (reviewing does not use them; `prereview rules test` and the tests do):
    half the files, half the loading time of `check ONE`. `cache` keeps the loaded rulebook (without cases)
    for the next process (engine/rulecache.py)."""
    rules_dir = Path(rules_dir) if rules_dir else default_rules_dir()
    if cache and not cases:
        from . import rulecache
        entry = rulecache.key(rules_dir, packs, tuple(extra), replace)
        book = rulecache.get(entry)
        if book is None:
            book = load_rulebook(rules_dir, packs, extra, replace, cases=False)
            rulecache.put(entry, book)
        return book
    catalogue = load_catalogue(rules_dir)
    loaded = [(*_load_pack(p), rules_dir, False) for p in _pack_files(rules_dir)]
    for folder in extra:
        folder = Path(folder)
        files = _pack_files(folder) if folder.is_dir() else []
        if not files:
            raise RuleError([Problem(str(folder), None, "--rules", f"{folder} 中没有规则包（_pack.yaml）",
                                     "含 _pack.yaml 的规则包文件夹")])
        if (folder / "catalogue.yaml").exists():  # a local pack's own requirements
            catalogue = {**catalogue, **load_catalogue(folder)}
        loaded += [(*_load_pack(p), folder, True) for p in files]
    if replace:
        local = {pack.name for pack, _, _, is_local in loaded if is_local}
        loaded = [entry for entry in loaded if entry[3] or entry[0].name not in local]
    names = [pack.name for pack, *_ in loaded]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RuleError([Problem(str(rules_dir), None, "pack", f"规则包名称重复：{', '.join(dupes)}")])
    if packs:
        unknown = set(packs) - set(names)
        if unknown:
            raise RuleError([Problem(str(rules_dir), None, "packs", f"未知的规则包：{', '.join(sorted(unknown))}",
                                     " / ".join(names))])
        loaded = [entry for entry in loaded if entry[0].name in packs]
    by_name = {pack.name: pack for pack, *_ in loaded}
    problems: list[Problem] = []
    for pack, doc, _, local in loaded:
        pack.local = local
        problems.extend(_pack_problems(pack, doc, by_name))
    if problems:
        raise RuleError(problems)
    for pack, doc, _, _ in loaded:
        problems.extend(_figure_problems(pack, doc))
    rules: list[Rule] = []
    hasher = hashlib.sha256()
    seen: dict[str, Path] = {}
    for pack, _, root, _ in loaded:
        pack_hasher = hashlib.sha256()
        for path in sorted(pack.directory.glob("*.yaml")):
            entry = path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0"
            hasher.update(entry)
            pack_hasher.update(entry)
            if path.name.startswith("_") or path.name.endswith(".cases.yaml"):
                continue
            rule, errs = _load_rule(path, pack, catalogue)
            problems.extend(errs)
            if rule is None:
                continue
            if rule.id in seen:
                problems.append(Problem(str(path), rule.line, "id", f"规则编号 {rule.id} 与 {seen[rule.id]} 重复"))
            seen[rule.id] = path
            if cases:
                problems.extend(_load_cases(rule))
            rules.append(rule)
        pack.digest = pack_hasher.hexdigest()
    by_id = {r.id: r for r in rules}
    problems.extend(_link_problems(rules, by_id))
    for pack, doc, _, _ in loaded:
        problems.extend(_supplement_problems(pack, doc, by_id, catalogue))
    hasher.update((rules_dir / "catalogue.yaml").read_bytes())
    from .matcher import bound_problems  # durable-rules' tested bound, met at loading, never in a review
    problems.extend(bound_problems(rules))
    if problems:
        raise RuleError(problems)
    return Rulebook([pack for pack, *_ in loaded], rules, hasher.hexdigest())


_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    return _SEVERITY_RANK[severity]

