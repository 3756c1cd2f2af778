"""The application layer: the same JSON as the CLI, new values instead of changes, reports from a record."""
import json

import pytest

from prereview.engine import app
from prereview.engine.checklist import load_checklist
from prereview.engine.review import run_review
from prereview.engine.load import load_dossier

from helpers import BASE, EXAMPLES, rulebook

EXAMPLE_FILES = sorted(p for p in EXAMPLES.glob("*.*") if p.suffix in (".yaml", ".json") and p.name != "expected.yaml")


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_review_out_is_the_cli_json_byte_for_byte(path):
    review = run_review(load_dossier(path), rulebook())
    result = app.review_path(path, rulebook())
    assert (json.dumps(result.out.to_json(), ensure_ascii=False, indent=2)
            == json.dumps(review.to_dict(), ensure_ascii=False, indent=2))


def test_a_result_is_frozen():
    result = app.review_path(BASE, rulebook())
    with pytest.raises(Exception):
        result.out.verdict = "blocked"
    with pytest.raises(Exception):
        result.out.findings[0:0] = [None]  # findings are a tuple
    with pytest.raises(Exception):
        result.checklist = None


def _manual_item(kind):
    return next(i for i in load_checklist(kind).items if i.decided_by == "reviewer")


def test_with_answers_returns_a_new_value_and_leaves_the_old_one_alone():
    result = app.review_path(BASE, rulebook())
    assert result.verdict == "pass" and result.out.findings == ()
    item = _manual_item(result.kind)
    answers = app.answers_from_data({"answers": {item.id: {
        "result": "不符合", "note": "第五条增设的许可没有上位法依据", "reviewer": "张三", "date": "2025-05-15"}}})
    answered = app.with_answers(result, answers)
    assert answered is not result
    assert [f.rule_id for f in answered.out.findings] == [item.id]
    assert answered.verdict != "pass"
    assert result.verdict == "pass" and result.out.findings == () and result.checklist is None
    again = app.with_answers(answered, None)  # answering a fresh copy of the record adds nothing twice
    assert [f.rule_id for f in again.out.findings] == [item.id]


def test_bad_answers_are_located_problems():
    with pytest.raises(app.InputError) as err:
        app.answers_from_data({"answers": {"MD-AUTH-01": {"result": "也许", "reviewer": "张三", "date": "2025-05-15"}}})
    assert any("answers.MD-AUTH-01.result" == p.field for p in err.value.problems)


def test_a_report_from_a_stored_record_is_the_same_as_from_the_review():
    raw = (EXAMPLES / "wuwei-old-town-renewal.yaml").read_bytes()
    result = app.review_bytes(raw, "wuwei.yaml", rulebook())
    stored = json.loads(json.dumps(result.out.to_json()))
    again = app.from_record(stored, list(result.applied_rules), raw)
    for fmt in ("html", "md"):
        for template in ("report", "opinion"):
            assert (app.render(again, template=template, fmt=fmt, generated_at="2025-07-02T10:00+08:00")
                    == app.render(result, template=template, fmt=fmt, generated_at="2025-07-02T10:00+08:00"))
    html = app.render(again, fmt="html", generated_at="2025-07-02T10:00+08:00").decode()
    assert "MAD-LEGALITY-REVIEW-BEFORE-MEETING" in html and "2025-07-02T10:00+08:00" in html


def test_sarif_of_a_record_needs_no_rulebook():
    result = app.review_path(EXAMPLES / "wuwei-old-town-renewal.yaml", rulebook())
    sarif = json.loads(app.render_sarif([result]))
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [f.rule_id for f in result.out.findings]
