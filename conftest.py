"""Collect every rule's cases (rules/**/<ID>.cases.yaml) as pytest items, one per case."""
from __future__ import annotations

import pytest

from prereview.engine import load_rulebook
from prereview.engine.cases import run_case

_RULEBOOK = None


def rulebook():
    global _RULEBOOK
    if _RULEBOOK is None:
        _RULEBOOK = load_rulebook()
    return _RULEBOOK


def pytest_collect_file(parent, file_path):
    if file_path.name.endswith(".cases.yaml"):
        return RuleCasesFile.from_parent(parent, path=file_path)


class RuleCasesFile(pytest.File):
    def collect(self):
        rule_id = self.path.name.removesuffix(".cases.yaml")
        rule = rulebook().rule(rule_id)
        if rule is None:
            raise pytest.UsageError(f"{self.path}: 没有规则 {rule_id} 与此用例文件对应")
        for case in rule.cases:
            yield RuleCaseItem.from_parent(self, name=case.name, rule=rule, case=case)


class RuleCaseItem(pytest.Item):
    def __init__(self, *, rule, case, **kwargs):
        super().__init__(**kwargs)
        self.rule, self.case = rule, case

    def runtest(self):
        result = run_case(self.rule, rulebook(), self.case)
        if not result.ok:
            raise CaseFailed(result)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CaseFailed):
            r = excinfo.value.result
            want = "触发" if r.case.expect == "fire" else "不触发"
            extra = f"，次数 {r.case.count}" if r.case.count is not None else ""
            extra += f"，消息含 {r.case.message_contains}" if r.case.message_contains else ""
            return (f"规则 {self.rule.id} 用例「{r.case.name}」期望{want}{extra}，"
                    f"实际触发 {r.fired} 次：{r.messages}")
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"{self.rule.id}: {self.case.name}"


class CaseFailed(Exception):
    def __init__(self, result):
        self.result = result
