"""The reviewer's checklist merged with the review and the reviewer's answers; the materials list."""
from __future__ import annotations

import pytest

from prereview.engine.checklist import (PENDING, ChecklistError, apply_answers, load_answers, load_checklist,
                                        load_materials, materials_status)
from prereview.engine.errors import AnswersError

from report_data import CHECKLISTS, DOSSIERS, checklist, review, review_text


def _answers(tmp_path, text: str):
    path = tmp_path / "answers.yaml"
    path.write_text(text, "utf-8")
    return path


def _compliant():
    r, _ = review("compliant")
    return r


def _status(result, item_id):
    return next(i.status for i in result.items if i.item.id == item_id)


def test_unanswered_manual_items_are_pending_review():
    r = _compliant()
    result = apply_answers(r, checklist(), None)
    assert [i.item.id for i in result.pending] == ["MD-AUTH-01", "MD-PROC-05", "MD-CONT-01"]
    assert all(i.status == PENDING for i in result.manual_items)


def test_machine_items_follow_the_findings_of_their_rules():
    r, result = review("defective")
    assert _status(result, "MD-PROC-01") == "不符合"     # MAD-INITIATION-MISSING fired
    assert _status(result, "MD-PROC-02") == "不符合"
    r, result = review("compliant")
    assert _status(result, "MD-PROC-02") == "符合"       # the rule applied and stayed quiet
    assert _status(result, "MD-PROC-04") == "不适用"     # its rule is not in the rulebook: never applied


def test_an_answered_failure_becomes_a_finding_and_changes_the_verdict(tmp_path):
    r = _compliant()
    assert r.verdict == "pass"
    path = _answers(tmp_path, """answers:
  MD-PROC-05:
    result: 不符合
    note: 汇总表漏列反对意见 31 条。
    reviewer: 马晓东
    date: 2025-05-08
""")
    result = apply_answers(r, checklist(), load_answers(path))
    assert r.verdict == "fix-then-submit"
    finding = next(f for f in r.findings if f.rule_id == "MD-PROC-05")
    assert finding.severity == "major" and finding.step == "public-comment"
    assert "汇总表漏列反对意见 31 条" in finding.message and finding.title in finding.message
    assert finding.basis[0]["number"] == "甘政发〔2015〕58号" and finding.basis[0]["article"] == "二（二）1"
    assert finding.evidence[0].path == str(path) and finding.evidence[0].line == 2
    assert _status(result, "MD-PROC-05") == "不符合"
    apply_answers(r, checklist(), load_answers(path))            # merging twice adds nothing
    assert [f.rule_id for f in r.findings].count("MD-PROC-05") == 1


def test_an_answered_blocking_failure_blocks(tmp_path):
    r = _compliant()
    path = _answers(tmp_path, """answers:
  MD-AUTH-01: {result: 不符合, note: 超越市政府定价权限。, reviewer: 马晓东, date: 2025-05-08}
  MD-CONT-01: {result: 符合, reviewer: 马晓东, date: 2025-05-08}
""")
    result = apply_answers(r, checklist(), load_answers(path))
    assert r.verdict == "blocked"
    assert _status(result, "MD-CONT-01") == "符合" and _status(result, "MD-PROC-05") == PENDING


def test_an_unknown_item_id_is_an_error_with_file_and_line(tmp_path):
    path = _answers(tmp_path, """# 答复
answers:
  MD-AUTH-01: {result: 符合, reviewer: 马晓东, date: 2025-05-08}
  MD-AUTH-99: {result: 符合, reviewer: 马晓东, date: 2025-05-08}
""")
    with pytest.raises(AnswersError) as err:
        apply_answers(_compliant(), checklist(), load_answers(path))
    [problem] = err.value.problems
    assert (problem.path, problem.line, problem.field) == (str(path), 4, "answers.MD-AUTH-99")
    assert "MD-AUTH-99" in problem.message and "MD-AUTH-01" in problem.expected


def test_a_machine_item_cannot_be_answered(tmp_path):
    path = _answers(tmp_path, "answers:\n  MD-PROC-02: {result: 符合, reviewer: 马晓东, date: 2025-05-08}\n")
    with pytest.raises(AnswersError) as err:
        apply_answers(_compliant(), checklist(), load_answers(path))
    assert err.value.problems[0].line == 2 and "MAD-PUBLIC-COMMENT-PERIOD" in err.value.problems[0].message


@pytest.mark.parametrize("entry, line, field, words", [
    ("MD-AUTH-01: {result: 合格, reviewer: 马晓东, date: 2025-05-08}", 3, "answers.MD-AUTH-01.result", "合格"),
    ("MD-AUTH-01: {result: 符合, reviewer: 马晓东, date: 2025-5-8}", 3, "answers.MD-AUTH-01.date", "YYYY-MM-DD"),
    ("MD-AUTH-01: {result: 符合, date: 2025-05-08}", 3, "answers.MD-AUTH-01.reviewer", "缺少"),
    ("MD-AUTH-01: {result: 不符合, reviewer: 马晓东, date: 2025-05-08}", 3, "answers.MD-AUTH-01", "note"),
    ("MD-AUTH-01: {result: 符合, reviewer: 马晓东, date: 2025-05-08, score: 3}", 3, "answers.MD-AUTH-01.score", "未知字段"),
])
def test_wrong_values_are_errors_with_file_and_line(tmp_path, entry, line, field, words):
    path = _answers(tmp_path, f"# 答复\nanswers:\n  {entry}\n")
    with pytest.raises(AnswersError) as err:
        load_answers(path)
    [problem] = err.value.problems
    assert (problem.path, problem.line, problem.field) == (str(path), line, field)
    assert words in str(problem)


def test_an_unreadable_answers_file_is_an_error(tmp_path):
    with pytest.raises(AnswersError):
        load_answers(tmp_path / "missing.yaml")
    with pytest.raises(AnswersError) as err:
        load_answers(_answers(tmp_path, "answers:\n  - 符合\n"))
    assert (err.value.problems[0].line, err.value.problems[0].field) == (1, "answers")


def test_a_checklist_item_without_rules_or_with_a_wrong_head_is_an_error(tmp_path):
    (tmp_path / "major-decision.yaml").write_text("""kind: major-decision
title: 清单
items:
  - {id: MD-A-01, head: authority, title: 甲, decided_by: machine}
  - {id: MD-A-02, head: legality, title: 乙, decided_by: reviewer}
""", "utf-8")
    with pytest.raises(ChecklistError) as err:
        load_checklist("major-decision", tmp_path)
    assert [(p.line, p.field) for p in err.value.problems] == [(4, "items[0]"), (5, "items[1].head")]


def test_a_head_must_belong_to_the_checklists_kind(tmp_path):
    # major decisions: 条例第二十七条 (权限、程序、内容); enforcement: the seven heads of 118号 四、（十三）
    (tmp_path / "major-decision.yaml").write_text("""kind: major-decision
title: 清单
items:
  - {id: MD-A-01, head: content, title: 甲, decided_by: reviewer}
  - {id: MD-A-02, head: facts, title: 乙, decided_by: reviewer}
""", "utf-8")
    (tmp_path / "enforcement-decision.yaml").write_text("""kind: enforcement-decision
title: 清单
items:
  - {id: ED-A-01, head: facts, title: 甲, decided_by: reviewer}
  - {id: ED-A-02, head: transfer, title: 乙, decided_by: reviewer}
  - {id: ED-A-03, head: content, title: 丙, decided_by: reviewer}
""", "utf-8")
    with pytest.raises(ChecklistError) as err:
        load_checklist("major-decision", tmp_path)
    assert [(p.line, p.field) for p in err.value.problems] == [(5, "items[1].head")]
    with pytest.raises(ChecklistError) as err:
        load_checklist("enforcement-decision", tmp_path)
    assert [(p.line, p.field) for p in err.value.problems] == [(6, "items[2].head")]
    assert "主体与资格" in err.value.problems[0].message + err.value.problems[0].expected


def test_the_checklist_must_be_for_the_dossier_kind():
    r = _compliant()
    r.kind = "normative-document"
    with pytest.raises(ChecklistError):
        apply_answers(r, checklist(), None)


def test_the_shipped_checklist_and_materials_list_load():
    shipped = load_checklist("major-decision")
    assert {i.head for i in shipped.items} == {"authority", "procedure", "content"}
    materials = load_materials("major-decision")
    assert materials.governing[0].number == "国务院令第713号"
    enforcement = load_materials("enforcement-decision")
    assert enforcement.governing[0].number == "甘肃省人民政府令第126号"
    assert {i.head for i in load_checklist("enforcement-decision").items} == {
        "subject", "procedure", "facts", "law", "authority", "documents", "transfer"}
    assert load_checklist("major-decision", CHECKLISTS).title.endswith("（测试）")


def test_materials_list_marks_missing_required_materials():
    spec = load_materials("major-decision")
    compliant = materials_status(_compliant().dossier, spec)
    assert all(row.present for row in compliant if row.required)
    defective = review_text(DOSSIERS["defective"].read_text("utf-8")).dossier
    rows = {row.kind: row for row in materials_status(defective, spec)}
    missing = sorted(kind for kind, row in rows.items() if row.required and not row.present)
    assert missing == ["department-opinions", "hearing-participants", "legal-basis-list", "risk-report"]
    assert rows["risk-report"].when.startswith("声明了")          # required by a declared circumstance
    assert rows["comment-notice"].when == "卷宗有“公开征求意见”步骤"
    assert rows["review-opinion"].when.startswith("卷宗阶段已到")
    assert "group-consultation-minutes" not in rows                # neither required nor present
