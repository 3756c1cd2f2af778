"""评查标准 (rubrics): the shipped ones are faithful to their sources, and a broken one is a located error."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from prereview.engine.rubric import RubricError, builtin_dir, builtin_names, load_rubric

from helpers import rulebook

GD = builtin_dir() / "guangdong-231.yaml"
GS = builtin_dir() / "gansu.yaml"


def _enforcement_rules() -> set[str]:
    return {r.id for r in rulebook().rules if "enforcement-decision" in r.spec.kinds}


@pytest.mark.parametrize("name", ["guangdong-231", "gansu"])
def test_every_enforcement_rule_is_an_item_or_said_to_be_unscored(name):
    rubric = load_rubric(name, rulebook())
    accounted = set(rubric.by_rule) | set(rubric.unscored)
    assert _enforcement_rules() - accounted == set()


def test_the_builtin_rubrics_are_listed_by_name():
    assert {"guangdong-231", "gansu"} <= set(builtin_names())


def test_guangdong_grades_and_vetoes_are_articles_16_and_17():
    spec = load_rubric("guangdong-231", rulebook()).spec
    assert [(lv.grade, lv.from_) for lv in spec.grades.levels] == [("优秀", 90), ("良好", 75), ("合格", 60), ("不合格", 0)]
    assert spec.grades.basis.article == "第十六条"
    assert "90分以上的，为优秀" in spec.grades.basis.quote and "未满60分的，为不合格" in spec.grades.basis.quote
    assert spec.source.number == "广东省人民政府令第231号" and str(spec.source.in_force.from_) == "2017-03-01"
    vetoes = spec.vetoes.items
    assert [v.article for v in vetoes] == [f"第十七条第{n}项" for n in "一二三四五"]
    assert {v.consequence for v in vetoes} == {"fail"}
    assert vetoes[2].quote == "违反法定程序的"
    assert [a.article for a in spec.areas] == [f"第十四条第{n}项" for n in
                                               ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一")]
    assert sum(a.points for a in spec.areas) == 100
    assert "编写者的设定" in spec.settings  # the points are not the decree's


def test_gansu_leaves_its_unknown_figures_unknown():
    rubric = load_rubric("gansu", rulebook())
    unknown = rubric.unknown_figures()
    assert "等次“优秀”的分数线" in unknown and "等次“合格”的分数线" in unknown
    assert [lv.grade for lv in rubric.spec.grades.levels] == ["优秀", "合格", "不合格"]
    assert all(a.points == "unknown" for a in rubric.spec.areas)


def _broken(tmp_path: Path, edit) -> list:
    data = yaml.safe_load(GD.read_text("utf-8"))
    edit(data)
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(RubricError) as err:
        load_rubric(path, rulebook())
    lines = path.read_text("utf-8").splitlines()
    return [(p, lines[p.line - 1] if p.line else "") for p in err.value.problems]


def test_an_unknown_rule_is_located_at_its_line(tmp_path):
    def edit(d):
        d["areas"][0]["items"][0]["rules"] = ["PEN-NO-SUCH-RULE"]
    [(problem, line)] = _broken(tmp_path, edit)
    assert problem.field == "areas[0].items[0].rules[0]" and "PEN-NO-SUCH-RULE" in line
    assert "不在规则库中" in problem.message and "unknown rule" in problem.message


def test_a_rule_in_two_items_would_deduct_twice(tmp_path):
    def edit(d):
        d["areas"][1]["items"][0]["rules"].append("PEN-INVESTIGATION-MISSING")
    [(problem, _)] = _broken(tmp_path, edit)
    assert "GD-FACTS-INVESTIGATION" in problem.message and "只扣一次" in problem.message


def test_points_that_do_not_add_up_to_the_scale(tmp_path):
    def edit(d):
        d["areas"][0]["points"] = 16
    [(problem, _)] = _broken(tmp_path, edit)
    assert problem.field == "areas" and "101" in problem.message


def test_thresholds_out_of_order_and_an_unknown_form_check(tmp_path):
    def edit(d):
        d["grades"]["levels"][1]["from"] = 95
        d["areas"][9]["items"][0]["form"] = "cover_page"
    problems = _broken(tmp_path, edit)
    fields = {p.field for p, _ in problems}
    assert fields == {"grades.levels[1].from", "areas[9].items[0].form"}
    assert any("cover" in p.expected and "cover_page" in p.message for p, _ in problems)


def test_an_item_without_its_deduction_or_with_two_sources(tmp_path):
    def edit(d):
        del d["areas"][0]["items"][1]["deduct"]
        d["areas"][0]["items"][2]["form"] = "cover"
    problems = _broken(tmp_path, edit)
    assert [p.field for p, _ in problems] == ["areas[0].items[1]", "areas[0].items[2]"]
    assert "deduct" in problems[0][0].message and "之一" in problems[1][0].message
    assert all(p.line for p, _ in problems)


def test_a_rubric_that_is_not_found_names_the_builtin_ones():
    with pytest.raises(RubricError) as err:
        load_rubric("hainan", rulebook())
    assert "guangdong-231" in err.value.problems[0].expected
