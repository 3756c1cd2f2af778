"""Load rule packs from rules/: validate every rule file and compile it once.

Layout: rules/<jurisdiction>/<kind>/_pack.yaml (pack metadata and parameters),
one <RULE-ID>.yaml per rule and <RULE-ID>.cases.yaml beside it.
A broken rule file is an error naming the file and field, never skipped.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import string
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import kinds as kinds_
from .conditions import ConditionError, Clause, compile_clauses, parse_when, refs
from .errors import Problem, RuleError
from .facts import WD_SUFFIXES, schema_for
from .load import problems_from_validation
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
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


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


class RuleFile(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)+$")]
    title: Text
    kinds: list[Literal["major-decision", "enforcement-decision", "normative-document"]] = Field(min_length=1)
    implements: list[Text] = Field(min_length=1)
    basis: list[Basis] = Field(min_length=1)
    severity: Literal["blocking", "major", "advisory"]
    step: Text = Field(description="发现所属的程序步骤（用于分组）")
    when: list
    message: Text
    fix: Text = Field(description="审查意见向承办单位提出的整改意见（公文用语，不写字段名、代码）")
    record: str | None = Field(default=None, description="整改后如何在卷宗中登记（rules show 与文本、CI 输出显示，不进审查意见书）")
    bar: Literal[tuple(BARS)] | None = Field(default=None, description="阻断规则的法律后果：" + "；".join(
        f"{k}＝{v}" for k, v in BARS.items()))
    rationale: str | None = Field(default=None, description="为何如此判断（rules show 显示）")
    applies_to_excluded: bool = Field(default=False, description="也适用于第三条第二款除外事项（默认只适用于范围内事项）")


class ParamSpec(_Strict):
    value: int
    basis: Text
    overrides: bool = False


class PackFile(_Strict):
    pack: Text
    title: Text
    version: Text
    kinds: list[str]
    scope: dict[str, str] = Field(default_factory=dict, description="适用条件，如 {province: 甘肃省}")
    requires_in_scope: bool = True
    params: dict[str, ParamSpec] = Field(default_factory=dict)
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
    params: dict
    base: Path | None
    reviews_from: dict = field(default_factory=dict)   # decision attribute -> value -> earliest first act
    digest: str = ""  # sha256 of the pack's files


@dataclass
class Rule:
    spec: RuleFile
    pack: Pack
    path: Path
    clauses: list[Clause]
    durable: dict[str, list] = field(default_factory=dict)   # decision kind -> compiled durable-rules `all`
    cases: list[Case] = field(default_factory=list)
    cases_path: Path | None = None
    cases_base: Path | None = None   # the compliant dossier the cases change; the pack's base by default
    line: int = 1

    @property
    def id(self) -> str:
        return self.spec.id

    def in_force(self, day: dt.date) -> bool:
        return any(b.in_force.from_ <= day and (b.in_force.until is None or day <= b.in_force.until)
                   for b in self.spec.basis)

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


@dataclass
class Rulebook:
    packs: list[Pack]
    rules: list[Rule]
    params: dict[str, dict]          # decision kind -> figure name -> value (the kind's packs, in order)
    digest: str

    def params_for(self, kind: str) -> dict:
        return self.params.get(kind, {})

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def receipt(self, kind: str | None = None) -> dict:
        """What was loaded (for one decision kind, or all): packs with their hashes, rule count, figures."""
        packs = [p for p in self.packs if kind is None or kind in p.kinds]
        params = (dict(sorted(self.params_for(kind).items())) if kind is not None
                  else {k: dict(sorted(v.items())) for k, v in sorted(self.params.items())})
        return {"packs": [{"name": p.name, "version": p.version, "sha256": p.digest} for p in packs],
                "rules": sum(1 for r in self.rules if kind is None or kind in r.durable),
                "params": params, "sha256": self.digest}


def default_rules_dir() -> Path:
    return Path(str(resources.files("prereview.rules")))


def load_catalogue(rules_dir: Path) -> dict:
    doc, problems = read_file(rules_dir / "catalogue.yaml")
    if problems:
        raise RuleError(problems)
    return {item["id"]: item for item in doc.data["requirements"]}


def _placeholders(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def _load_pack(path: Path) -> Pack:
    doc, problems = read_file(path)
    if problems:
        raise RuleError(problems)
    try:
        spec = PackFile.model_validate(doc.data)
    except ValidationError as exc:
        raise RuleError(problems_from_validation(exc, doc, PackFile)) from None
    return Pack(spec.pack, spec.title, spec.version, path.parent, spec.kinds, spec.scope, spec.requires_in_scope,
                {k: v for k, v in spec.params.items()}, (path.parent / spec.base) if spec.base else None,
                spec.reviews_from)


def _rule_problem(doc: Located, pos: tuple, message: str, expected: str = "") -> Problem:
    return Problem(doc.path, doc.line(pos), ".".join(map(str, pos)), message, expected)


def _load_rule(path: Path, pack: Pack, params_by_kind: dict, catalogue: dict) -> tuple[Rule | None, list[Problem]]:
    doc, problems = read_file(path)
    if problems:
        return None, problems
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
    scope = dict(pack.scope)
    if pack.requires_in_scope and not spec.applies_to_excluded:
        scope["in_scope"] = True
    durable, clauses, schema = {}, [], None
    for kind in spec.kinds:
        if kinds_.get(kind) is None:
            continue  # a kind with no model yet: listed, never reviewed
        schema = schema_for(kinds_.get(kind))
        try:
            clauses = parse_when(spec.when, schema)
            durable[kind] = compile_clauses(clauses, params_by_kind.get(kind, {}), schema, [kind], scope)
        except ConditionError as exc:
            problems.append(_rule_problem(doc, ("when",), f"条件无法编译（{kind}）：{exc}"))
            return None, problems
    bound = {c.alias: c for c in clauses if not c.negated}
    if spec.bar and spec.severity != "blocking":
        problems.append(_rule_problem(doc, ("bar",), "只有阻断（blocking）规则写 bar", "删除 bar 或改为 severity: blocking"))
    for name, text in (("message", spec.message), ("fix", spec.fix), ("record", spec.record or "")):
        try:
            fields = _placeholders(text)
        except ValueError as exc:
            problems.append(_rule_problem(doc, (name,), f"模板格式错误：{exc}"))
            continue
        for ph in fields:
            alias, _, attr = ph.partition("|")[0].partition(".")
            if alias == "param":
                if any(attr not in params_by_kind.get(k, {}) for k in spec.kinds):
                    problems.append(_rule_problem(doc, (name,), f"模板引用了未定义的参数 {ph}"))
            elif alias not in bound or not attr:
                problems.append(_rule_problem(doc, (name,), f"模板引用了 {{{ph}}}，但 {alias} 不是已匹配的名称",
                                              "{别名.属性}，别名来自 when 中的肯定子句或 decision"))
            else:
                c = bound[alias]
                attrs = schema.attributes(c.fact, c.subtype) if schema else None
                if attrs is not None and attr not in attrs:
                    problems.append(_rule_problem(doc, (name,), f"模板引用了 {{{ph}}}，但 {c.fact} 没有属性 {attr}"))
    if problems:
        return None, problems
    return Rule(spec, pack, path, clauses, durable, line=doc.line(("id",)) or 1), []


def _load_cases(rule: Rule) -> list[Problem]:
    path = rule.path.with_name(rule.id + ".cases.yaml")
    if not path.exists():
        return [Problem(str(rule.path), 1, "cases", f"缺少用例文件 {path.name}",
                        "至少一个应触发（fire）和一个不应触发（quiet）的用例")]
    doc, problems = read_file(path)
    if problems:
        return problems
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


def load_rulebook(rules_dir: Path | None = None, packs: list[str] | None = None) -> Rulebook:
    """Load every pack under rules_dir (or only those named), validating all files."""
    rules_dir = Path(rules_dir) if rules_dir else default_rules_dir()
    catalogue = load_catalogue(rules_dir)
    pack_files = sorted(rules_dir.glob("**/_pack.yaml"), key=lambda p: (p.parent.parts.count("national") == 0, str(p)))
    loaded_packs = [_load_pack(p) for p in pack_files]
    if packs:
        unknown = set(packs) - {p.name for p in loaded_packs}
        if unknown:
            raise RuleError([Problem(str(rules_dir), None, "packs", f"未知的规则包：{', '.join(sorted(unknown))}",
                                     " / ".join(p.name for p in loaded_packs))])
        loaded_packs = [p for p in loaded_packs if p.name in packs]
    # figures are per decision kind: a later pack of the same kind may override one, saying so
    params: dict[str, dict] = {}
    problems: list[Problem] = []
    for pack in loaded_packs:
        for kind in pack.kinds:
            mine = params.setdefault(kind, {})
            for name, spec in pack.params.items():
                if name in mine and not spec.overrides:
                    problems.append(Problem(str(pack.directory / "_pack.yaml"), None, f"params.{name}",
                                            f"参数 {name} 已由其他规则包定义", "overrides: true 以明确覆盖"))
                mine[name] = spec.value
    rules: list[Rule] = []
    hasher = hashlib.sha256()
    seen: dict[str, Path] = {}
    for pack in loaded_packs:
        pack_hasher = hashlib.sha256()
        for path in sorted(pack.directory.glob("*.yaml")):
            entry = path.relative_to(rules_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0"
            hasher.update(entry)
            pack_hasher.update(entry)
            if path.name.startswith("_") or path.name.endswith(".cases.yaml"):
                continue
            rule, errs = _load_rule(path, pack, params, catalogue)
            problems.extend(errs)
            if rule is None:
                continue
            if rule.id in seen:
                problems.append(Problem(str(path), rule.line, "id", f"规则编号 {rule.id} 与 {seen[rule.id]} 重复"))
            seen[rule.id] = path
            problems.extend(_load_cases(rule))
            rules.append(rule)
        pack.digest = pack_hasher.hexdigest()
    hasher.update((rules_dir / "catalogue.yaml").read_bytes())
    if problems:
        raise RuleError(problems)
    return Rulebook(loaded_packs, rules, params, hasher.hexdigest())


_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    return _SEVERITY_RANK[severity]

