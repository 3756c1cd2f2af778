"""Collect every rule's cases (rules/**/<ID>.cases.yaml) as pytest items, one per case.

They are judged by the runner of `prereview rules test` (engine/cases.py), so both say the same, in the same
words: a failing case is one line located at its case file's line. A rulebook that cannot be loaded, or a
base dossier that cannot be used, is one collection error, not one per cases file.
"""
from __future__ import annotations

import pytest

from prereview.engine import RuleError, load_rulebook
from prereview.engine.cases import base_problem, case_line, check_case

_STATE: dict = {}


def rulebook():
    """The shipped rulebook, loaded once; a load failure is kept (and reported once) instead of raised again."""
    if "book" not in _STATE:
        try:
            _STATE["book"] = load_rulebook()
        except RuleError as err:
            _STATE["book"] = err
    return _STATE["book"]


def _once(key) -> bool:
    """True the first time a problem is met: it is reported there, the other cases files stay quiet."""
    said = _STATE.setdefault("said", set())
    first = key not in said
    said.add(key)
    return first


def pytest_collect_file(parent, file_path):
    if file_path.name.endswith(".cases.yaml"):
        return RuleCasesFile.from_parent(parent, path=file_path)


class RuleCasesFile(pytest.File):
    def collect(self):
        book = rulebook()
        if isinstance(book, RuleError):
            if _once("rulebook"):
                raise CasesUnusable(f"{book.kind}有误，无法使用（{len(book.problems)} 处），规则用例均未运行：\n"
                                    + "\n".join(f"  {p}" for p in book.problems))
            return []
        rule_id = self.path.name.removesuffix(".cases.yaml")
        rule = book.rule(rule_id)
        if rule is None:
            raise CasesUnusable(f"{self.path}: 没有规则 {rule_id} 与此用例文件对应 (no rule for this cases file)")
        broken = base_problem(rule)
        if broken is not None:
            if _once(("base", str(rule.cases_base or rule.pack.base))):
                raise CasesUnusable(str(broken) + "；使用同一基准卷宗的其他用例文件也未运行")
            return []
        return [RuleCaseItem.from_parent(self, name=case.name, rule=rule, case=case, index=i)
                for i, case in enumerate(rule.cases)]

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CasesUnusable):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class RuleCaseItem(pytest.Item):
    def __init__(self, *, rule, case, index, **kwargs):
        super().__init__(**kwargs)
        self.rule, self.case, self.index = rule, case, index

    def runtest(self):
        outcome = check_case(self.rule, rulebook(), self.case, self.index)
        if not outcome.ok:
            raise CaseFailed(outcome)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value.outcome)  # the line `prereview rules test` prints
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, case_line(self.rule, self.index) - 1, f"{self.rule.id}: {self.case.name}"


class CaseFailed(Exception):
    def __init__(self, outcome):
        self.outcome = outcome


class CasesUnusable(Exception):
    """A collection error said in one located message, without a traceback."""
