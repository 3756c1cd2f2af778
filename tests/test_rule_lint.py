"""Lint of the rule files: what every rule must carry, and that a broken rule is an error, never skipped."""
import re
import shutil

import pytest

from prereview.engine import RuleError, load_rulebook
from prereview.engine.cases import run_case

from helpers import ROOT, rulebook

RULE = ROOT / "rules" / "national" / "major-decision" / "MAD-LEGALITY-REVIEW-BEFORE-MEETING.yaml"


def test_every_rule_cites_document_number_article_and_dates_and_has_message_fix_and_cases():
    book = rulebook()
    assert len(book.rules) >= 40
    for rule in book.rules:
        spec = rule.spec
        assert spec.message.strip() and spec.fix.strip(), rule.id
        for basis in [b for v in (spec.versions or [spec.latest]) for b in v.basis]:
            assert basis.source and basis.number and basis.in_force.from_, rule.id
            assert "条" in basis.article or "（" in basis.article, (rule.id, basis.article)
        assert {c.expect for c in rule.cases} == {"fire", "quiet"}, rule.id


def test_firing_cases_give_messages_with_every_fact_filled_in():
    book = rulebook()
    for rule in book.rules:
        for case in rule.cases:
            if case.expect == "fire":
                for message in run_case(rule, book, case).messages:
                    assert "（未填）" not in message and "{" not in message, (rule.id, case.name, message)


def _broken(tmp_path, old: str, new: str):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    target = rules / RULE.relative_to(ROOT / "rules")
    text = target.read_text("utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(RuleError) as info:
        load_rulebook(rules)
    return [p for p in info.value.problems if p.path.endswith(target.name)]


@pytest.mark.parametrize("old,new,field", [
    ("article: 第二十五条第一款", "article: 二十五", "basis[0].article"),
    ("in_force: {from: 2019-09-01}", "in_force: {}", "basis[0].in_force.from"),
    ("implements: [MAD-LEGALITY-REVIEW-REQUIRED", "implements: [MAD-NO-SUCH-REQUIREMENT", "implements.0"),
    ("severity: blocking", "severity: fatal", "severity"),
    ("fix: ", "fixes: ", "fixes"),
    ("id: MAD-LEGALITY-REVIEW-BEFORE-MEETING", "id: MAD-SOMETHING-ELSE", "id"),
])
def test_a_broken_rule_file_is_an_error_naming_file_and_field(tmp_path, old, new, field):
    problems = _broken(tmp_path, old, new)
    assert any(p.field == field and p.line for p in problems), [str(p) for p in problems]


def test_a_rule_without_cases_or_without_a_quiet_case_is_an_error(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    cases = rules / RULE.relative_to(ROOT / "rules")
    cases = cases.with_name(cases.stem + ".cases.yaml")
    text = cases.read_text("utf-8").replace("expect: quiet", "expect: fire")
    cases.write_text(text, "utf-8")
    with pytest.raises(RuleError, match="quiet"):
        load_rulebook(rules)
    cases.unlink()
    with pytest.raises(RuleError, match="缺少用例文件"):
        load_rulebook(rules)


def test_major_decision_fix_texts_are_administrative_chinese_without_field_names_or_codes():
    """The fix goes verbatim into the opinion's 修改完善建议 (audit X5): how to record it is `record`."""
    import re
    for rule in rulebook().rules:
        if "major-decision" not in rule.spec.kinds:
            continue
        text = re.sub(r"\{[^}]*\}", "", rule.spec.fix)  # placeholders print as Chinese facts
        assert not re.search(r"[A-Za-z_]{2,}", text), (rule.id, rule.spec.fix)


def test_every_major_decision_blocking_rule_states_its_legal_bar():
    """The opinion's conclusion depends on the bar (audit X6): 不得提交讨论, 不得出台, 风险可控, 程序违法."""
    for rule in rulebook().rules:
        for version in rule.spec.versions or [rule.spec.latest]:
            if "major-decision" in rule.spec.kinds and version.severity == "blocking":
                assert version.bar, rule.id


def test_a_bar_on_a_rule_that_is_not_blocking_is_an_error(tmp_path):
    problems = _broken(tmp_path, "severity: blocking\n", "severity: major\n")
    assert any(p.field == "bar" for p in problems), problems


# an Arabic number followed by a unit: "7个工作日", "30日", "10000元"
_NUMBER = re.compile(r"(?<![\d.\-:第/])(\d+)(?=\s*(个工作日|日|天|年|元|名|人|万元|个月))")


def test_texts_print_figures_from_the_resolved_values_never_a_hard_coded_digit():
    """A city that tightens a figure must see its own value in every message and fix: a digit equal to a
    figure of the rule's packs is written {param.NAME}."""
    offenders = []
    for rule in rulebook().rules:
        values = {v.value for p in rule.pack.ancestry for f in p.figures.values() for v in f.values}
        spec = rule.spec
        texts = {"message": spec.message, "fix": spec.fix, "record": spec.record or ""}
        texts |= {f"versions.{i}.{k}": getattr(v, k) or "" for i, v in enumerate(spec.versions or ())
                  for k in ("message", "fix")}
        for where, text in texts.items():
            offenders += [(rule.id, where, m.group(0)) for m in _NUMBER.finditer(text) if int(m.group(1)) in values]
    assert not offenders


def test_the_lint_sees_a_hard_coded_figure(tmp_path):
    """The lint above is not vacuous: the same pattern finds the digit it is meant to find."""
    assert [m.group(1) for m in _NUMBER.finditer("一般不少于7个工作日，第7条，2019-09-01")] == ["7"]


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    return ("" if n < 20 else digits[n // 10]) + "十" + (digits[n % 10] if n % 10 else "")


def test_a_fix_states_the_rules_own_figures_from_the_resolved_values_never_in_chinese_numerals():
    """What the unit is told to do (fix, record) states the period it must keep: written in Chinese numerals,
    a city's tighter figure would never reach it. Messages may quote a statute's words (第八十五条的“七日”)."""
    offenders = []
    for rule in rulebook().rules:
        used = set(re.findall(r"param\.(\w+)", rule.path.read_text("utf-8")))
        values = {v.value for p in rule.pack.ancestry for name, f in p.figures.items() if name in used
                  for v in f.values if v.value < 100}
        spec = rule.spec
        texts = {"fix": spec.fix, "record": spec.record or ""}
        texts |= {f"versions.{i}.fix": v.fix or "" for i, v in enumerate(spec.versions or ())}
        for where, text in texts.items():
            for n in values:
                offenders += [(rule.id, where, m.group(0)) for m in
                              re.finditer(rf"(?<![第一二三四五六七八九十]){_cn(n)}(?=(个工作日|日|天|个月|年))", text)]
    assert not offenders
