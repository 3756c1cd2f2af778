"""Scoring a case file by a rubric: deductions with their finding and article, vetoes, floor, grade, 卷面,
unknown figures failing closed, a reviewer's override keeping the machine's value."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from prereview.engine import run_review
from prereview.engine.errors import DossierError
from prereview.engine.rubric import builtin_dir, load_rubric
from prereview.engine.scoring import Override, score_file

from helpers import FIXTURES, base_data, load_data, rulebook

PENALTY = FIXTURES / "enforcement-penalty-compliant.yaml"
ARCHIVE = {"file_no": "兰市监罚〔2025〕118号卷", "one_case_one_file": True, "cover": True, "table_of_contents": True,
           "pages_numbered": True, "pages": 86,
           "order": ["filing", "investigation", "investigation", "review", "decision", "service"]}


def _score(data, rubric="guangdong-231", overrides=()):
    loaded = load_data(data)
    review = run_review(loaded, rulebook())
    return score_file(review, loaded.dossier, load_rubric(rubric, rulebook()), "case.yaml", loaded.sha256, overrides)


def _penalty(**archive):
    data = base_data(PENALTY)
    data["decision"]["archive"] = dict(ARCHIVE, **archive)
    return data


def _without_step(data, step_type):
    data["steps"] = [s for s in data["steps"] if s["type"] != step_type]
    return data


def test_a_lawful_well_bound_file_scores_full_marks():
    result = _score(_penalty())
    assert (result["score"], result["grade"], result["deductions"], result["vetoes"]) == (100, "优秀", [], [])
    assert result["type"] == "处罚" and result["field"] == "市场监督管理" and result["department"] == "兰州市市场监督管理局"
    assert result["form"] == {k: True for k in ("one_case_one_file", "cover", "table_of_contents", "pages_numbered",
                                                "documents_in_order")}


def test_a_missing_notice_deducts_with_its_article_and_vetoes_the_file():
    result = _score(_without_step(_penalty(), "notice"))
    [ded] = [d for d in result["deductions"] if d["rule_id"] == "PEN-NOTICE-MISSING"]
    assert ded["item"] == "GD-PROC-NOTICE" and ded["points"] == 10
    assert any("行政处罚法" in b and "第" in b for b in ded["basis"])
    assert "告知" in ded["message"]
    assert [v["id"] for v in result["vetoes"] if v["rule_id"] == "PEN-NOTICE-MISSING"] == ["GD-V-PROCEDURE"]
    assert result["grade"] == "不合格"  # Art. 17 whatever the score
    assert result["score"] == 100 - sum(d["points"] for d in result["deductions"]) > 60


def test_form_defects_deduct_and_an_unrecorded_form_is_not_guessed():
    result = _score(_penalty(cover=False, order=["filing", "decision", "investigation", "service"]))
    assert sorted(d["item"] for d in result["deductions"]) == ["GD-ARC-COVER", "GD-ARC-ORDER"]
    assert result["score"] == 95 and result["grade"] == "优秀"
    unrecorded = _score(base_data(PENALTY))
    assert unrecorded["form"] is None and unrecorded["form_recorded"] is False and unrecorded["score"] == 100


def test_an_area_never_loses_more_than_its_points(tmp_path):
    data = _penalty(one_case_one_file=False, cover=False, table_of_contents=False, pages_numbered=False,
                    order=["decision", "filing"])
    result = _score(data)
    assert sum(d["points"] for d in result["deductions"]) == 12 and result["score"] == 90  # the archive area is 10
    spec = yaml.safe_load((builtin_dir() / "guangdong-231.yaml").read_text("utf-8"))
    spec["scale"], spec["grades"]["levels"] = 10, [{"grade": "合格", "from": 5}, {"grade": "不合格", "from": 0}]
    spec["areas"] = [a for a in spec["areas"] if a["id"] == "archive"]
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    small = _score(data, rubric=path)
    assert small["score"] == 0 and small["grade"] == "不合格"


def test_gansu_lists_the_defects_but_scores_and_grades_nothing():
    result = _score(_without_step(_penalty(), "publication"), rubric="gansu")
    assert [d["item"] for d in result["deductions"]] == ["GS-DEC-PUBLICATION"]
    assert result["deductions"][0]["points"] == "unknown"
    assert result["score"] is None and result["grade"] is None
    assert "扣分" in result["ungraded"] and "不评定等次" in result["ungraded"]
    clean = _score(_penalty(), rubric="gansu")
    assert clean["score"] == 100 and clean["grade"] is None and "分数线" in clean["ungraded"]


def test_a_local_copy_of_gansu_with_its_figures_grades(tmp_path):
    spec = yaml.safe_load((builtin_dir() / "gansu.yaml").read_text("utf-8"))
    spec["grades"]["levels"] = [{"grade": "优秀", "from": 90}, {"grade": "合格", "from": 60}, {"grade": "不合格", "from": 0}]
    for area, points in zip(spec["areas"], (20, 20, 30, 20, 10)):
        area["points"] = points
        for item in area["items"]:
            if "deduct" in item:
                item["deduct"] = 4
    path = tmp_path / "gansu-local.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    result = _score(_without_step(_penalty(), "publication"), rubric=path)
    assert (result["score"], result["grade"], result["ungraded"]) == (96, "优秀", None)


def test_a_reviewer_override_keeps_the_machine_value():
    data = _without_step(_penalty(), "notice")
    lift = Override(file="case.yaml", item="GD-V-PROCEDURE", lift=True, reason="经复评，告知书在卷宗第二册",
                    reviewer="评查组 张某", on=dt.date(2026, 3, 2))
    zero = Override(file="case.yaml", item="GD-PROC-NOTICE", points=0, reason="经复评，告知书在卷宗第二册",
                    reviewer="评查组 张某", on=dt.date(2026, 3, 2))
    manual = Override(file="case.yaml", item="GD-DISC-MANUAL", points=2, reason="罚款数额未说明裁量理由",
                      reviewer="评查组 张某", on=dt.date(2026, 3, 2))
    machine = _score(data)
    result = _score(data, overrides=[lift, zero, manual])
    assert result["machine_score"] == machine["score"] and result["machine_grade"] == "不合格"
    notice = [d for d in result["deductions"] if d["item"] == "GD-PROC-NOTICE"][0]
    assert (notice["machine_points"], notice["points"]) == (10, 0) and "第二册" in notice["override"]["reason"]
    assert result["score"] == machine["score"] + 10 - 2 and result["overridden"] is True
    assert all(v["lifted"] for v in result["vetoes"] if v["id"] == "GD-V-PROCEDURE")


def test_a_file_the_rulebook_cannot_review_is_not_graded():
    data = _penalty()
    data["steps"][0]["filed_on"] = "2021-05-10"
    result = _score(data)
    assert result["grade"] is None and "修订前的行政处罚法" in result["ungraded"]


def test_the_same_file_scores_to_byte_identical_json():
    data = _without_step(_penalty(cover=False), "service")
    first, second = (json.dumps(_score(data), ensure_ascii=False) for _ in range(2))
    assert first == second


def test_the_archive_block_is_checked_like_the_rest_of_the_dossier():
    with pytest.raises(DossierError) as err:
        load_data(_penalty(order=["filing", "archiving"]))
    [problem] = err.value.problems
    assert problem.field == "decision.archive.order[1]" and "archiving" in problem.message


def _with_consequence(tmp_path, consequence):
    spec = yaml.safe_load((builtin_dir() / "guangdong-231.yaml").read_text("utf-8"))
    for veto in spec["vetoes"]["items"]:
        veto["consequence"] = consequence
    path = tmp_path / f"{consequence}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    return path


def test_other_veto_consequences_zero_and_not_the_top_grade(tmp_path):
    data = _without_step(_penalty(), "notice")  # 90 points, a procedure veto
    zero = _score(data, rubric=_with_consequence(tmp_path, "zero"))
    assert (zero["score"], zero["grade"]) == (0, "不合格")
    capped = _score(data, rubric=_with_consequence(tmp_path, "not-top"))
    assert (capped["score"], capped["grade"]) == (90, "良好")
    assert capped["vetoes"][0]["consequence_label"] == "不得评为最高等次"


def test_overrides_are_checked_against_the_rubric(tmp_path):
    from prereview.engine.scoring import OverridesError, load_overrides
    path = tmp_path / "overrides.yaml"
    path.write_text(
        "overrides:\n"
        "  - {file: a.yaml, item: GD-PROC-NOTICE, points: 0, reason: 理由, reviewer: 张某, on: 2026-03-02}\n"
        "  - {file: a.yaml, item: GD-NO-SUCH, points: 0, reason: 理由, reviewer: 张某, on: 2026-03-02}\n"
        "  - {file: a.yaml, item: GD-V-PROCEDURE, points: 3, reason: 理由, reviewer: 张某, on: 2026-03-02}\n"
        "  - {file: a.yaml, item: GD-PROC-FILING, reason: 理由, reviewer: 张某, on: 2026-03-02}\n", "utf-8")
    with pytest.raises(OverridesError) as err:
        load_overrides(path, load_rubric("guangdong-231", rulebook()))
    problems = err.value.problems
    assert [(p.line, p.field) for p in problems] == [(3, "overrides[1].item"), (4, "overrides[2].item"),
                                                     (5, "overrides[3].item")]
    assert "GD-NO-SUCH" in problems[0].message and "lift" in problems[1].message and "points" in problems[2].message
