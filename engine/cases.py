"""Rule cases: a compliant base dossier changed in one place, and whether the rule must fire."""
from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass

import yaml

from .errors import RuleError, Problem
from .load import load_dossier_text
from .review import run_review
from .rulebook import Case, Rule, Rulebook
from .source import read_file

_SEGMENT = re.compile(r"^([A-Za-z_][\w-]*)(?:\[([^\]]+)\])?$")


def _select(container, key: str, selector: str | None, path: str):
    value = container[key]
    if selector is None:
        return container, key
    if selector.isdigit():
        return value, int(selector)
    for i, item in enumerate(value):  # steps[legality-review] or materials[会议纪要]
        if isinstance(item, dict) and selector in (item.get("type"), item.get("id")):
            return value, i
    raise KeyError(f"{path}：找不到 {key}[{selector}]")


def _locate(data, path: str):
    parts = path.split(".")
    node = data
    for n, part in enumerate(parts):
        m = _SEGMENT.match(part)
        if not m:
            raise KeyError(f"{path}：无法识别的路径片段 {part!r}")
        key, selector = m.groups()
        if n == len(parts) - 1:
            if selector is None:
                return node, key
            return _select(node, key, selector, path)
        parent, k = _select(node, key, selector, path)
        node = parent[k] if selector is not None else node.setdefault(key, {})
    raise KeyError(path)


def apply_changes(base: dict, case: Case) -> dict:
    data = copy.deepcopy(base)
    for change in case.change:
        for path, value in (change.set or {}).items():
            parent, key = _locate(data, path)
            parent[key] = value
        removes = change.remove or []
        for path in [removes] if isinstance(removes, str) else removes:
            parent, key = _locate(data, path)
            del parent[key]
        if change.add_step:
            data.setdefault("steps", []).append(change.add_step)
    return data


@dataclass
class CaseResult:
    case: Case
    fired: int
    messages: list[str]
    severities: list[str] = ()

    @property
    def ok(self) -> bool:
        c = self.case
        if c.expect == "quiet":
            return self.fired == 0
        if self.fired == 0 or (c.count is not None and self.fired != c.count):
            return False
        if c.severity is not None and any(s != c.severity for s in self.severities):
            return False
        return all(any(s in m for m in self.messages) for s in c.message_contains)


def base_dossier(rule: Rule) -> dict:
    return copy.deepcopy(_base(rule.cases_base or rule.pack.base))


@functools.lru_cache(maxsize=16)
def _base(path) -> dict:
    doc, problems = read_file(path)
    if problems:
        raise RuleError(problems)
    return doc.data


def run_case(rule: Rule, rulebook: Rulebook, case: Case) -> CaseResult:
    try:
        data = apply_changes(base_dossier(rule), case)
    except (KeyError, IndexError, TypeError) as exc:
        raise RuleError([Problem(str(rule.cases_path), None, f"cases[{case.name}]", f"用例修改无法应用：{exc}")]) from None
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    loaded = load_dossier_text(text, f"{rule.id}:{case.name}")
    review = run_review(loaded, rulebook)
    mine = [f for f in review.findings if f.rule_id == rule.id]
    return CaseResult(case, len(mine), [f.message for f in mine], [f.severity for f in mine])


def replacement_problems(rulebook: Rulebook) -> list[Problem]:
    """A lower pack's rule that replaces a higher one must be at least as strict on the replaced rule's own
    cases: each case where the replaced rule fires, moved into the lower pack's region, must fire the replacement."""
    problems = []
    for rule in rulebook.rules:
        target = rulebook.rule(rule.spec.replaces) if rule.spec.replaces else None
        if target is None:
            continue
        for case in target.cases:
            if case.expect != "fire":
                continue
            data = apply_changes(base_dossier(target), case)
            organ = data["decision"]["organ"]
            organ.update(rule.pack.scope)
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
            review = run_review(load_dossier_text(text, f"{target.id}:{case.name}"), rulebook)
            if not any(f.rule_id == rule.id for f in review.findings):
                problems.append(Problem(
                    str(rule.path), rule.line, "replaces",
                    f"{rule.id} 取代 {target.id}，但在 {rule.pack.where} 的卷宗上 {target.id} 的用例“{case.name}”"
                    f"应触发而 {rule.id} 未触发：取代的规则不得比被取代的规则宽松",
                    f"{rule.id} 在 {target.id} 触发的每个用例上都触发"))
    return problems
