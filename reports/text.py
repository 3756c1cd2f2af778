"""Terminal output: `prereview check` findings and `prereview rules show`, from Jinja2 templates."""
from __future__ import annotations

import re
from collections import Counter

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from prereview.engine import kinds
from prereview.engine.review import VERDICTS, Review, fold_cjk
from prereview.engine.rulebook import BARS, DIRECTIONS, SEVERITY_LABELS, UNITS, Rule, severity_rank

from .common import bytecode_cache, cite, counts, display_path

# Control characters (C0 but tab and newline, DEL, C1) and bidirectional overrides would let dossier text
# move the cursor, recolour or reorder what the terminal shows (a title could fake a "通过" line).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text) -> str:
    """Text for a terminal: every unsafe character shown as its escape (\\x1b), never interpreted."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def _finalize(value):
    return terminal_safe(value) if isinstance(value, str) else value


_ENV = Environment(loader=PackageLoader("prereview.reports", "templates"), undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
                   finalize=_finalize, bytecode_cache=bytecode_cache())
MARKS = {"blocking": "✖", "major": "▲", "advisory": "·"}


def step_label(kind: str, step: str) -> str:
    k = kinds.get(kind)
    return k.step_label(step) if k and step in k.steps else (step or "其他")


def verdict_labels(reviews) -> dict[str, str]:
    """How a summary of these reviews words the verdicts: in their kind's words when they share one."""
    codes = {r.kind for r in reviews}
    if len(codes) == 1 and kinds.get(next(iter(codes))):
        return kinds.get(next(iter(codes))).verdicts
    return {"pass": "通过", "fix-then-submit": "需补正", "blocked": "阻断"}


def group_by_step(findings, kind: str) -> list[tuple[str, list]]:
    """Findings grouped by step: groups with the most severe findings first, then procedural order."""
    order = kinds.get(kind).step_order() if kinds.get(kind) else []
    groups: dict[str, list] = {}
    for f in findings:
        groups.setdefault(f.step, []).append(f)
    def key(item):
        step, items = item
        worst = min(severity_rank(f.severity) for f in items)
        return (worst, order.index(step) if step in order else len(order), step)
    return [(step, sorted(items, key=lambda f: severity_rank(f.severity))) for step, items in sorted(groups.items(), key=key)]


def render_text(reviews: list[Review], fail_on: str) -> str:
    stream = TextStream(fail_on)
    return "".join(stream.add(r) for r in reviews) + stream.finish()


class TextStream:
    """`check` text output one review at a time: add() returns its text, finish() the closing summary."""

    def __init__(self, fail_on: str):
        self.fail_on = fail_on
        self.by_verdict: Counter = Counter()
        self.kinds: dict[str, None] = {}

    def add(self, review: Review) -> str:
        self.by_verdict[review.verdict] += 1
        self.kinds[review.kind] = None
        return _ENV.get_template("check.txt.j2").render(
            r=review, group_by_step=group_by_step, counts=counts,
            severity_labels=SEVERITY_LABELS, step_label=step_label, marks=MARKS, cite=cite,
            fail_on=self.fail_on, rel=display_path)

    def finish(self) -> str:
        return _ENV.get_template("check-summary.txt.j2").render(
            total=sum(self.by_verdict.values()), by_verdict=self.by_verdict,
            verdicts=verdict_labels([type("R", (), {"kind": k})() for k in self.kinds]))


def rule_summary(rule: Rule, figures: dict | None = None) -> dict:
    """A rule as `rules list` shows it; `figures` (name -> Figure) when resolved for a region and date."""
    spec, latest = rule.spec, rule.spec.latest
    out = {
        "id": spec.id, "title": spec.title, "severity": latest.severity, "kinds": spec.kinds,
        "implements": spec.implements, "pack": rule.pack.name, "pack_version": rule.pack.version,
        "basis": [b.to_dict() for b in latest.basis],
    }
    if spec.versions:
        out["versions"] = [{"from": v.in_force.from_.isoformat(),
                            "until": v.in_force.until.isoformat() if v.in_force.until else None,
                            "severity": v.severity, "basis": [b.to_dict() for b in v.basis]} for v in spec.versions]
    if figures:
        out["figures"] = {n: f.to_dict() for n, f in sorted(figures.items())}
    return out


def figure_table(rulebook, rule: Rule) -> list[dict]:
    """Every value of every figure the rule uses, in every pack that sets one (who set what, where, when)."""
    rows = []
    for name in rule.figure_names:
        for pack in rulebook.packs:
            spec = pack.figures.get(name)
            if spec is None or not set(pack.kinds) & set(rule.spec.kinds):
                continue
            declared = next(p.figures[name] for p in pack.ancestry if name in p.figures and p.figures[name].unit)
            for v in spec.values:
                rows.append({"name": name, "value": v.value, "unit": UNITS[declared.unit],
                             "direction": DIRECTIONS[declared.direction], "pack": pack.name, "where": pack.where,
                             "from": v.from_.isoformat(), "until": v.until.isoformat() if v.until else None,
                             "basis": f"{v.basis.source}{v.basis.article}“{v.basis.quote}”"
                                      + (f"（{v.basis.note}）" if v.basis.note else ""),
                             "declared": spec.unit is not None})
    return rows


def render_rule(rule: Rule, rulebook=None) -> str:
    when = yaml.safe_dump(rule.spec.when, allow_unicode=True, sort_keys=False).rstrip()
    cases = [(case, [line for change in case.change for line in _change_lines(change)]) for case in rule.cases]
    return _ENV.get_template("rule.txt.j2").render(
        rule=rule, s=rule_summary(rule), when=when, figures=figure_table(rulebook, rule) if rulebook else [], cases=cases, severity_labels=SEVERITY_LABELS,
        step_label=lambda step: step_label(rule.spec.kinds[0], step), cite=cite, fold=fold_cjk, bars=BARS)


def coverage(rulebook, catalogue: list[dict], checklist: dict, prefixes: tuple[str, ...]) -> list[dict]:
    """Where each catalogue requirement with one of these prefixes is handled: rules, checklist, not checkable."""
    rows = []
    for entry in catalogue:
        req = entry["id"]
        if not req.startswith(prefixes):
            continue
        rules = sorted(rulebook.implementers().get(req, ()))
        items = sorted(i["id"] for i in checklist.get("items", []) if req in i.get("requirements", []))
        reasons = [n["reason"] for n in checklist.get("not_checkable", []) if n["requirement"] == req]
        where = "rules" if rules else "checklist" if items else "not-checkable" if reasons else "unaccounted"
        rows.append({"requirement": req, "where": where, "rules": rules, "checklist": items,
                     "reason": reasons[0] if reasons else None, "source": entry.get("source")})
    return rows


def _change_lines(change) -> list[str]:
    """A case's change as a reader would say it: 设 path = value / 删除 path / 增加步骤 type."""
    lines = [f"设 {path} = {_scalar(value)}" for path, value in (change.set or {}).items()]
    removes = change.remove or []
    lines += [f"删除 {path}" for path in ([removes] if isinstance(removes, str) else removes)]
    if change.add_step:
        lines.append(f"增加步骤 {_scalar(change.add_step)}")
    return lines


def _scalar(value) -> str:
    if isinstance(value, (dict, list)):
        return yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=1000).strip()
    return str(value).lower() if isinstance(value, bool) else str(value)
