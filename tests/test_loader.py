"""Bad dossiers give errors naming file, line and field, in Chinese, and never a partial review."""
import pytest

from prereview.engine import DossierError, load_dossier, load_dossier_text

from helpers import BASE


def _problems(text: str):
    with pytest.raises(DossierError) as info:
        load_dossier_text(text, "bad.yaml")
    return info.value.problems


GOOD_HEAD = """decision:
  title: 测试决策
  kind: major-decision
  stage: pre-review
  organ: {name: 某市人民政府, level: city, province: 甘肃省, city: 金昌市}
  sponsor: 某市某局
  scope: public-policy
"""


def test_the_compliant_fixture_loads_and_keeps_lines():
    loaded = load_dossier(BASE)
    assert loaded.dossier.decision.title == "金昌市城市公共交通票价调整方案"
    assert loaded.doc.line(("steps", 0, "decided_on")) > loaded.doc.line(("steps", 0))


def test_an_unknown_field_is_an_error_with_its_line():
    (p,) = _problems(GOOD_HEAD + "  colour: red\n")
    assert (p.path, p.line, p.field) == ("bad.yaml", 8, "decision.colour")
    assert "未知字段" in p.message


def test_a_date_that_is_not_yyyy_mm_dd_names_the_field():
    text = GOOD_HEAD + "steps:\n  - type: initiation\n    decided_on: 2025/03/01\n    decided_by: 某市人民政府\n"
    (p,) = _problems(text)
    assert (p.line, p.field) == (10, "steps[0].decided_on")
    assert "YYYY-MM-DD" in p.message


def test_a_number_is_never_taken_for_a_date_or_a_count_from_text():
    text = GOOD_HEAD + """steps:
  - type: public-comment
    published_on: 20250301
    closes_on: 2025-04-01
    channels: [网站]
    comments_received: "50"
"""
    problems = _problems(text)
    assert {(p.field, p.line) for p in problems} == {("steps[0].published_on", 10), ("steps[0].comments_received", 13)}


def test_an_unknown_step_type_lists_the_known_ones():
    (p,) = _problems(GOOD_HEAD + "steps:\n  - type: hearin\n    held_on: 2025-01-01\n")
    assert p.field == "steps[0].type" and p.line == 9
    assert "hearing" in p.expected and "hearin" in p.message


def test_a_wrong_code_lists_the_allowed_codes():
    (p,) = _problems(GOOD_HEAD.replace("level: city", "level: town"))
    assert p.field == "decision.organ.level" and "county" in p.expected


def test_a_step_citing_an_unregistered_material_is_an_error():
    text = GOOD_HEAD + "steps:\n  - type: initiation\n    decided_on: 2025-01-01\n    decided_by: x\n    materials: [不存在]\n"
    (p,) = _problems(text)
    assert p.field == "steps[0].materials[0]" and p.line == 12 and "不存在" in p.message


def test_duplicate_keys_and_broken_yaml_are_reported_with_lines():
    (p,) = _problems(GOOD_HEAD + "  title: 又一个\n")
    assert p.line == 8 and "重复" in p.message
    (p,) = _problems(GOOD_HEAD + "steps: [\n")
    assert p.line is not None and "YAML" in p.message


def test_a_major_decision_needs_a_scope_or_an_exclusion():
    (p,) = _problems(GOOD_HEAD.replace("  scope: public-policy\n", ""))
    assert "scope" in p.message and p.field == "decision"


def test_comment_closing_before_publication_is_rejected():
    text = GOOD_HEAD + """steps:
  - type: public-comment
    published_on: 2025-04-01
    closes_on: 2025-03-01
    channels: [网站]
    comments_received: 3
"""
    (p,) = _problems(text)
    # located at the field to correct, on its own line
    assert (p.field, p.line) == ("steps[0].closes_on", text.splitlines().index("    closes_on: 2025-03-01") + 1)
    assert "意见截止日期 2025-03-01 早于公告发布日期 2025-04-01" in p.message


def test_unreadable_and_empty_files(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(DossierError) as info:
        load_dossier(empty)
    assert "空" in info.value.problems[0].message
    latin = tmp_path / "gbk.yaml"
    latin.write_bytes("标题".encode("gbk"))
    with pytest.raises(DossierError) as info:
        load_dossier(latin)
    assert "UTF-8" in info.value.problems[0].message


def test_common_yaml_mistakes_are_explained_in_chinese():
    (p,) = _problems(GOOD_HEAD + "\tsteps: []\n")
    assert p.line == 8 and "制表符" in p.message
    (p,) = _problems('{"decision": {"title": "x",\n')
    assert "未闭合" in p.message
