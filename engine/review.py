"""A review: dossier + rulebook -> findings, verdict and receipt."""
from __future__ import annotations

import datetime as dt
import json
import re
import string
from dataclasses import dataclass, field

import prereview

from . import kinds
from .conditions import refs
from .errors import DossierError, Problem
from .facts import Fact, as_of_date, derive
from .load import LoadedDossier
from .source import dotted
from .matcher import DURABLE_VERSION, Matcher
from .rulebook import SEVERITIES, Rule, Rulebook, severity_rank

VERDICTS = ("pass", "fix-then-submit", "blocked")  # each kind words them (kinds.DecisionKind.verdicts)


def verdict_label(kind: str, verdict: str) -> str:
    k = kinds.get(kind)
    return k.verdicts[verdict] if k else verdict


@dataclass(frozen=True)
class Evidence:
    path: str
    line: int | None
    field: str
    note: str = ""


@dataclass
class Finding:
    rule_id: str
    severity: str
    title: str
    message: str
    implements: list[str]
    basis: list[dict]
    evidence: list[Evidence]
    fix: str
    step: str
    pack: str
    pack_version: str = ""
    figures: dict = field(default_factory=dict)   # figure name -> {value, unit, pack}: what the texts and test used
    record: str = ""   # how to record the fix in the dossier (never in the opinion)
    bar: str = ""      # a blocking rule's legal consequence (rulebook.BARS)
    subject: str = field(default="", repr=False)   # what the matched records say (ordering only, not output)

    def to_dict(self) -> dict:
        """The finding as JSON data: the fields in order, less `subject` and the empty optional ones. Built by
        hand (dataclasses.asdict deep-copies through copy.deepcopy: most of the cost of a folder check's parent)."""
        d = {"rule_id": self.rule_id, "severity": self.severity, "title": self.title, "message": self.message,
             "implements": list(self.implements), "basis": _plain(self.basis),
             "evidence": [{"path": e.path, "line": e.line, "field": e.field, "note": e.note} for e in self.evidence],
             "fix": self.fix, "step": self.step, "pack": self.pack, "pack_version": self.pack_version}
        if self.figures:  # absent unless the rule carries them
            d["figures"] = _plain(self.figures)
        if self.record:
            d["record"] = self.record
        if self.bar:
            d["bar"] = self.bar
        return d


def _plain(value):
    """A copy of JSON-shaped data (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class Review:
    path: str
    title: str
    kind: str
    verdict: str
    findings: list[Finding]
    receipt: dict
    applied_rules: list[str] = field(default_factory=list)
    dossier: object | None = None      # the kind's Dossier model

    @property
    def verdict_label(self) -> str:
        return verdict_label(self.kind, self.verdict)

    def to_dict(self) -> dict:
        return {
            "dossier": {"path": self.path, "title": self.title, "kind": self.kind},
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
            "receipt": self.receipt,
        }

    def at_or_above(self, threshold: str) -> list[Finding]:
        limit = severity_rank(threshold)
        return [f for f in self.findings if severity_rank(f.severity) <= limit]


class _Values(dict):
    """Placeholder lookup for message templates: {alias.attr} and {param.name}."""

    def __init__(self, bound: dict[str, Fact], params: dict):
        super().__init__()
        self.bound, self.params = bound, params

    def value(self, key: str) -> str:
        """`{alias.attr}`, or `{alias.attr|text}` to say `text` when the dossier leaves it empty."""
        key, _, default = key.partition("|")
        alias, _, attr = key.partition(".")
        if alias == "param":
            return str(self.params[attr])
        fact = self.bound[alias]
        if attr in fact.display:
            return fact.display[attr]
        return default or "（未填）"


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_FOLD = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")


def fold_cjk(text: str) -> str:
    """YAML folding turns line breaks into spaces; Chinese text has none between characters."""
    return _FOLD.sub("", text).strip()


def _render(template: str, values: _Values) -> str:
    out = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name:
            out.append(values.value(name))
    return fold_cjk("".join(out))


def finding_sort_key(f: Finding) -> tuple:
    """Severity first, then step, rule, message and the matched records' content: never the order of records
    in the file (two same-date decisions can give findings that say the same)."""
    return (severity_rank(f.severity), f.step, f.rule_id, f.message, f.subject,
            [(e.line or 0, e.field) for e in f.evidence])


def _subject(bound: dict[str, Fact], by_id: dict[str, Fact]) -> str:
    """The matched facts without their positional ids; a child names its parent step by the step's rank."""
    def content(fact: Fact) -> dict:
        out = {k: v for k, v in fact.data.items() if k not in ("id", "parent")}
        if "parent" in fact.data:
            out["parent"] = by_id[fact.data["parent"]].data.get("order")
        return out
    return json.dumps([content(f) for f in bound.values()], ensure_ascii=False, sort_keys=True)


def verdict_of(findings: list[Finding]) -> str:
    if any(f.severity == "blocking" for f in findings):
        return "blocked"
    if any(f.severity == "major" for f in findings):
        return "fix-then-submit"
    return "pass"


def _evidence(rule: Rule, bound: dict[str, Fact], doc, kind) -> list[Evidence]:
    """The fields each matched fact contributed, and where an absent step was looked for."""
    used: dict[str, list[str]] = {alias: [] for alias in bound}
    for clause in rule.clauses:
        if clause.where is not None:
            for ref in refs(clause.where):
                if ref.alias in used and ref.attr not in used[ref.alias]:
                    used[ref.alias].append(ref.attr)
    for text in (rule.spec.message,):
        for _, name, _, _ in string.Formatter().parse(text):
            if name and not name.startswith("param."):
                alias, _, attr = name.partition("|")[0].partition(".")
                if alias in used and attr not in used[alias]:
                    used[alias].append(attr)
    # the record of the rule's own step comes first: that is the line a CI annotation points at
    # (an expert or unit of that step is more precise than the step itself)
    subject = ([c for c in rule.clauses if c.fact in kind.children and not c.negated]
               or [c for c in rule.clauses if c.subtype == rule.spec.step and c.fact == "step"])[:1]
    ordered = subject + [c for c in rule.clauses if c not in subject]
    out: list[Evidence] = []
    for clause in ordered:
        if clause.negated:
            label = ((kind.step_label(clause.subtype) if clause.subtype in kind.steps else None)
                     or kind.material_kinds.labels.get(clause.subtype)
                     or (kind.children[clause.fact][2] if clause.fact in kind.children else None)
                     or clause.subtype or clause.fact)
            out.append(Evidence(doc.path, doc.line(("steps",)), "steps", f"未见符合条件的{label}记录"))
            continue
        fact = bound[clause.alias]
        attrs = used[clause.alias]
        # fields written in the file; a default the user never typed has no line of its own
        positions = [p for a in attrs for p in fact.positions(a) if p in doc.lines and p != fact.pos]
        positions = positions or ([fact.pos] if clause.fact != "decision" else [])
        for pos in dict.fromkeys(positions):
            out.append(Evidence(doc.path, doc.line(pos), dotted(pos)))
    return list(dict.fromkeys(out))


def _within_packs_period(loaded, chain, kind, keyed, keyed_pos, keyed_what) -> None:
    """A pack that reviews (say) penalties only under the law in force since a date refuses earlier dossiers:
    exit 2 with the reason, never a review by whatever other rules happen to be in force."""
    decision = loaded.dossier.decision
    for pack in chain:
        for attr, table in pack.reviews_from.items():
            value = getattr(decision, attr, None)
            if value in table and keyed < table[value]:
                raise DossierError([Problem(
                    loaded.doc.path, loaded.doc.line(keyed_pos), dotted(keyed_pos),
                    f"{keyed_what} {keyed} 早于规则包 {pack.name} 审查此类卷宗的起始日期 {table[value]}（{pack.title}），"
                    "无法预审：程序行为适用行为时施行的法律，本规则库未收录当时的版本",
                    f"{table[value]} 以后的程序行为；更早的由审查人员按当时施行的法律人工审查")])


def _rule_date(rule: Rule, kind, d, day, default):
    """The date a rule's version and figures are judged at: the date it names, or the kind's default."""
    if rule.spec.dated_by:
        keyed = kind.dates[rule.spec.dated_by](d, day)
        if keyed is not None:
            return keyed
    return default


def plan(loaded: LoadedDossier, rulebook: Rulebook, kind, day: dt.date) -> tuple[list, list[Planned]]:
    """The packs that apply to the dossier's organ and each of their rules as it applies on its date.
    A rule past its last version, or a figure no value covers, is reported: never a silent pass."""
    d = loaded.dossier
    chain = rulebook.chain(kind.code, d.decision.organ.region)
    default = kind.in_force_date(d, day)
    _within_packs_period(loaded, chain, kind, *default)
    def dated(rule):
        return _rule_date(rule, kind, d, day, default)

    out, misses = rulebook.plan(kind.code, chain, dated)
    gaps = []
    for rule, (keyed, pos, what), name in misses:
        if name is None:
            gaps.append(Problem(loaded.doc.path, loaded.doc.line(pos), dotted(pos),
                                f"规则 {rule.id}（{rule.spec.title}）的依据至 {_last_day(rule, rulebook, chain)} 止，"
                                f"本规则库未收录{what} {keyed} 时施行的规定，该项无法预审",
                                "更新规则库，或由审查人员按当时施行的规定人工审查"))
        else:
            gaps.append(Problem(loaded.doc.path, loaded.doc.line(pos), dotted(pos),
                                f"规则 {rule.id} 所用的数值 {name} 在{what} {keyed} 没有适用的取值，该项无法预审",
                                "更新规则库的数值期间，或由审查人员人工审查"))
    if gaps:
        raise DossierError(gaps)
    return chain, out


def _last_day(rule: Rule, rulebook: Rulebook, chain) -> str:
    extra = [b for s in rulebook.supplements(rule, chain) for b in s.basis]
    if rule.spec.versions:
        return str(rule.spec.versions[-1].in_force.until)
    return str(max(b.in_force.until for b in list(rule.spec.latest.basis) + list(extra)))


def _receipt_figures(planned: list) -> list[dict]:
    """Each figure value the review used, with the pack that set it."""
    seen = {}
    for p in planned:
        for f in p.figures.values():
            seen[(f.name, f.value, f.pack)] = {"name": f.name, "label": f.label, "value": f.value, "unit": f.unit,
                                               "direction": f.direction, "pack": f.pack,
                                               "basis": f"{f.basis.source}{f.basis.article}"}
    return [seen[k] for k in sorted(seen)]


def run_review(loaded: LoadedDossier, rulebook: Rulebook, as_of: dt.date | None = None, calendar=None) -> Review:
    d = loaded.dossier
    kind = kinds.get(d.decision.kind)
    if calendar is None:
        from .calendar import load_calendar
        calendar = load_calendar()
    day = as_of_date(d, as_of)
    keyed, keyed_pos, keyed_what = kind.in_force_date(d, day)
    chain, planned = plan(loaded, rulebook, kind, day)
    if not planned:  # never a "pass" that no rule looked at
        of_kind = [r for r in rulebook.rules_for(kind.code, chain)]
        if not of_kind:
            problem = Problem(loaded.doc.path, loaded.doc.line(("decision", "kind")), "decision.kind",
                              f"规则库中没有适用于 {d.decision.kind} 的规则，无法预审",
                              " / ".join(sorted({k for r in rulebook.rules for k in r.durable})))
        else:
            first = min(b.in_force.from_ for r in of_kind for v in (r.spec.versions or [r.spec.latest])
                        for b in v.basis)
            problem = Problem(loaded.doc.path, loaded.doc.line(keyed_pos), dotted(keyed_pos),
                              f"{keyed_what} {keyed} 不在规则施行期间内（本规则库{kind.label}规则最早自 {first} 起施行），"
                              "无法预审：程序行为适用行为时施行的法律", "规则施行期间内的日期")
        raise DossierError([problem])
    by_rule = {p.rule.id: p for p in planned}
    needs = frozenset().union(*(p.rule.calendar_needs for p in planned))
    facts = derive(loaded, kind, day, calendar, needs)
    by_id = {f.id: f for f in facts}
    hits = Matcher(rulebook, kind.code, planned).match(facts)
    findings = []
    for rule_id, ids in hits:
        p = by_rule[rule_id]
        rule, spec, version = p.rule, p.rule.spec, p.version
        bound = {alias: by_id[i] for alias, i in zip(rule.positive_aliases, ids)}
        values = _Values(bound, p.values)
        findings.append(Finding(
            rule_id=rule.id, severity=version.severity, title=spec.title,
            message=_render(version.message or spec.message, values), implements=list(p.implements),
            basis=[b.to_dict() for b in p.basis],
            evidence=_evidence(rule, bound, loaded.doc, kind), fix=_render(version.fix or spec.fix, values),
            step=spec.step, pack=rule.pack.name, pack_version=rule.pack.version,
            figures={n: f.to_dict() for n, f in sorted(p.figures.items())}, subject=_subject(bound, by_id),
            record=_render(spec.record, values) if spec.record else "", bar=version.bar or "",
        ))
    findings.sort(key=finding_sort_key)
    verdict = verdict_of(findings)
    region = d.decision.organ.region
    receipt = {
        "engine": {"name": "prereview", "version": prereview.__version__, "durable_rules": DURABLE_VERSION},
        "rulebook": {"packs": [{"name": c.name, "version": c.version, "sha256": c.digest} for c in chain],
                     "rules": len(planned), "figures": _receipt_figures(planned), "sha256": rulebook.digest},
        "dossier_sha256": loaded.sha256,
        "as_of": day.isoformat(),
        "rules_applied": len(planned),
        "calendar": calendar.receipt(),
        "jurisdiction": {k: v for k, v in region.items() if v} | {"chain": [c.name for c in chain]},
    }
    return Review(loaded.doc.path, d.decision.title, d.decision.kind, verdict, findings, receipt,
                  sorted(by_rule), d)


__all__ = ["Review", "Finding", "Evidence", "run_review", "VERDICTS", "SEVERITIES", "verdict_label"]
