"""Packs layered by jurisdiction and date: a city may tighten, never loosen; figures resolve per dossier."""
import json
import shutil

import pytest
import yaml

from prereview.engine import DossierError, RuleError, load_dossier, load_dossier_text, load_rulebook, run_review
from prereview.engine.cases import replacement_problems, run_case
from prereview.engine.regions import RegionError, region_of

from helpers import EXAMPLES, ROOT, rulebook

LOCAL = EXAMPLES / "local-packs" / "lanzhou"
LOCAL_EXPECTED = yaml.safe_load((LOCAL / "expected.yaml").read_text("utf-8"))["examples"]
FIXTURE = ROOT / "rules" / "_fixtures" / "major-decision-compliant.yaml"


@pytest.fixture(scope="module")
def with_lanzhou():
    return load_rulebook(extra=(LOCAL,))


def _copy_local(tmp_path):
    target = tmp_path / "lanzhou"
    shutil.copytree(LOCAL, target)
    return target


def _variant(change) -> str:
    data = yaml.safe_load(FIXTURE.read_text("utf-8"))
    change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _in_chengguan(data):
    data["decision"]["organ"] = {"name": "兰州市城关区人民政府", "level": "county", "province": "甘肃省",
                                 "city": "兰州市", "county": "城关区"}


# ---------------------------------------------------------------- a city pack changes only its own dossiers

@pytest.mark.parametrize("name", sorted(LOCAL_EXPECTED))
def test_the_local_pack_gives_each_example_its_expected_result(with_lanzhou, name):
    expected = LOCAL_EXPECTED[name]
    review = run_review(load_dossier(EXAMPLES / name), with_lanzhou)
    assert review.verdict == expected["verdict"], [(f.rule_id, f.message) for f in review.findings]
    assert sorted(f.rule_id for f in review.findings) == sorted(expected["rules"])


def test_outside_the_city_the_findings_are_byte_identical_with_and_without_the_pack(with_lanzhou):
    expected = yaml.safe_load((EXAMPLES / "expected.yaml").read_text("utf-8"))["examples"]
    for name in sorted(expected):
        loaded = load_dossier(EXAMPLES / name)
        if loaded.dossier.decision.organ.city == "兰州市" and loaded.dossier.decision.kind == "major-decision":
            continue
        plain, local = run_review(loaded, rulebook()), run_review(loaded, with_lanzhou)
        assert json.dumps([f.to_dict() for f in local.findings], ensure_ascii=False) == \
            json.dumps([f.to_dict() for f in plain.findings], ensure_ascii=False), name
        assert local.receipt["jurisdiction"] == plain.receipt["jurisdiction"], name


def test_the_tightened_figure_is_used_prints_and_cites_the_city_document(with_lanzhou):
    review = run_review(load_dossier(EXAMPLES / "lanzhou-waste-sorting.yaml"), with_lanzhou)
    (finding,) = review.findings
    assert "少于 45 日" in finding.message and "30" not in finding.message
    assert finding.figures == {"comment_days": {"value": 45, "unit": "days", "pack": "lanzhou/major-decision"}}
    assert [b["article"] for b in finding.basis] == ["第十五条第一款", "第十二条第一款"]
    assert "兰州市" in finding.basis[1]["source"]
    assert review.receipt["jurisdiction"]["chain"] == ["national/major-decision", "gansu/major-decision",
                                                       "lanzhou/major-decision"]
    used = {(f["name"], f["value"], f["pack"]) for f in review.receipt["rulebook"]["figures"]}
    assert ("comment_days", 45, "lanzhou/major-decision") in used
    assert ("legality_review_working_days", 10, "lanzhou/major-decision") in used


def test_a_county_inside_the_city_is_reviewed_by_the_city_pack(with_lanzhou):
    """城关区 is in 兰州市: the 10-working-day review period applies; in 金昌市 the national 7 do."""
    def short_review(data):
        _in_chengguan(data)
        for step in data["steps"]:
            if step["type"] == "legality-review":
                step["submitted_on"], step["opinion_on"] = "2025-05-09", "2025-05-16"   # 7 working days to 05-20
    text = _variant(short_review)
    local = run_review(load_dossier_text(text, "chengguan.yaml"), with_lanzhou)
    assert [f.rule_id for f in local.findings if f.rule_id == "MAD-LEGALITY-REVIEW-TIME"] == ["MAD-LEGALITY-REVIEW-TIME"]
    plain = run_review(load_dossier_text(text, "chengguan.yaml"), rulebook())
    assert "MAD-LEGALITY-REVIEW-TIME" not in {f.rule_id for f in plain.findings}


def test_the_pack_rule_fires_only_in_its_city(with_lanzhou):
    rule = with_lanzhou.rule("LZ-MAD-HEARING-ON-OPPOSITION")
    results = {case.name: run_case(rule, with_lanzhou, case) for case in rule.cases}
    assert all(r.ok for r in results.values()), {n: (r.fired, r.messages) for n, r in results.items() if not r.ok}


# ---------------------------------------------------------------- a loosening or a scope that matches nothing

def _problems(tmp_path, old: str, new: str, file="major-decision/_pack.yaml"):
    local = _copy_local(tmp_path)
    path = local / file
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(RuleError) as info:
        load_rulebook(extra=(local,))
    return info.value.problems


def test_a_loosening_is_refused_naming_both_packs_and_both_values(tmp_path):
    (p,) = _problems(tmp_path, "      - value: 10\n", "      - value: 5\n")
    assert "lanzhou/major-decision" in p.message and "national/major-decision" in p.message
    assert "5个工作日" in p.message and "7个工作日" in p.message and "只能从严" in p.message
    assert p.field.startswith("figures.legality_review_working_days") and p.line


def test_an_at_most_figure_may_only_be_lowered(tmp_path):
    local = _copy_local(tmp_path)
    pack = local / "major-decision" / "_pack.yaml"
    pack.write_text(pack.read_text("utf-8").replace("extends: gansu/major-decision", "extends: gansu/major-decision")
                    + "  publication_working_days:\n    values:\n      - value: 25\n        from: 2023-01-01\n"
                      "        basis: {source: 示例, article: 第一条, quote: 25个工作日内公开}\n", "utf-8")
    with pytest.raises(RuleError) as info:
        load_rulebook(extra=(local,))
    (p,) = info.value.problems
    assert "25个工作日" in p.message and "20个工作日" in p.message and "不超过" in p.message


@pytest.mark.parametrize("old, new, says", [
    ("scope: {province: 甘肃省, city: 兰州市}", "scope: {city: 兰州市}", "不会适用于任何卷宗"),
    ("scope: {province: 甘肃省, city: 兰州市}", "scope: {province: 甘肃省, city: 兰州}", "没有名为“兰州”的市"),
    ("scope: {province: 甘肃省, city: 兰州市}", "scope: {province: 陕西省, city: 西安市}", "不在上级规则包"),
    ("scope: {province: 甘肃省, city: 兰州市}", "scope: {province: 甘肃省, town: 兰州市}", "province"),
    ("scope: {province: 甘肃省, city: 兰州市}", "scope: {province: 甘肃省}", "更小"),
    ("extends: gansu/major-decision", "extends: gansu/major", "上级规则包 gansu/major 不存在"),
    ("    unit: count\n", "", "首次在本规则包定义"),
    ("  legality_review_working_days:\n    values:", "  legality_review_working_days:\n    unit: days\n    values:",
     "已由上级规则包 national/major-decision 定义"),
])
def test_a_pack_that_can_match_nothing_or_redeclares_a_figure_is_a_load_error(tmp_path, old, new, says):
    problems = _problems(tmp_path, old, new)
    assert any(says in p.message or says in (p.expected or "") for p in problems), problems
    assert all(p.path.endswith("_pack.yaml") for p in problems)


def test_a_template_naming_an_undeclared_figure_is_an_error(tmp_path):
    problems = _problems(tmp_path, "{param.opposing_comments_for_hearing} 条，", "{param.nowhere} 条，",
                         "major-decision/LZ-MAD-HEARING-ON-OPPOSITION.yaml")
    assert any("nowhere" in p.message for p in problems)


# ---------------------------------------------------------------- replaces: only by name, never looser

def _replacing(tmp_path, when: str):
    local = _copy_local(tmp_path)
    rule = local / "major-decision" / "LZ-MAD-RISK-ASSESSMENT.yaml"
    rule.write_text(f"""id: LZ-MAD-RISK-ASSESSMENT
title: 风险评估（兰州市示例）
kinds: [major-decision]
implements: [MAD-RISK-ASSESSMENT]
replaces: MAD-RISK-ASSESSMENT
basis:
  - source: 兰州市重大行政决策程序实施办法（示例，非真实文件）
    number: 示例文件，无文号
    article: 第十八条
    in_force: {{from: 2015-06-24}}
severity: major
step: risk-assessment
when:
{when}
message: 卷宗“{{decision.title}}”没有风险评估记录。
fix: 请组织风险评估。
""", "utf-8")
    (rule.with_name("LZ-MAD-RISK-ASSESSMENT.cases.yaml")).write_text("""cases:
  - name: 未评估，应报
    expect: fire
    change:
      - remove: ["steps[risk-assessment]"]
  - name: 已评估，不报
    expect: quiet
""", "utf-8")
    return load_rulebook(extra=(local,))


def test_a_replacement_displaces_the_higher_rule_in_its_city_only(tmp_path):
    book = _replacing(tmp_path, '  - decision: "stability_risk == true"\n  - no step: risk-assessment')
    assert replacement_problems(book) == []
    def no_risk(data):
        _in_chengguan(data)
        data["steps"] = [s for s in data["steps"] if s["type"] != "risk-assessment"]
    inside = run_review(load_dossier_text(_variant(no_risk), "x.yaml"), book)
    ids = {f.rule_id for f in inside.findings}
    assert "LZ-MAD-RISK-ASSESSMENT" in ids and "MAD-RISK-ASSESSMENT" not in ids
    outside = run_review(load_dossier_text(_variant(lambda d: d["steps"].__setitem__(
        slice(None), [s for s in d["steps"] if s["type"] != "risk-assessment"])), "y.yaml"), book)
    ids = {f.rule_id for f in outside.findings}
    assert "MAD-RISK-ASSESSMENT" in ids and "LZ-MAD-RISK-ASSESSMENT" not in ids


def test_a_looser_replacement_is_found_on_the_replaced_rules_own_cases(tmp_path):
    # fires only for technical matters: the replaced rule's fire cases (stability risk) no longer fire
    book = _replacing(tmp_path, '  - decision: "stability_risk == true and technical == false"\n'
                                '  - no step: risk-assessment')
    problems = replacement_problems(book)
    assert problems and all("不得比被取代的规则宽松" in p.message for p in problems)


def test_replacing_a_rule_of_no_higher_pack_is_an_error(tmp_path):
    local = _copy_local(tmp_path)
    path = local / "major-decision" / "LZ-MAD-HEARING-ON-OPPOSITION.yaml"
    path.write_text(path.read_text("utf-8").replace("implements:", "replaces: NO-SUCH-RULE\nimplements:"), "utf-8")
    with pytest.raises(RuleError) as info:
        load_rulebook(extra=(local,))
    assert any(p.field == "replaces" and "NO-SUCH-RULE" in p.message for p in info.value.problems)


# ---------------------------------------------------------------- the organ's region

def test_a_dossier_without_a_province_is_a_located_error():
    def drop(data):
        del data["decision"]["organ"]["province"]
    with pytest.raises(DossierError) as info:
        load_dossier_text(_variant(drop), "x.yaml")
    (p,) = info.value.problems
    assert p.field == "decision.organ.province" and "organ:" in _variant(drop).splitlines()[p.line - 1]


@pytest.mark.parametrize("organ, field, says", [
    ({"name": "兰州市城关区人民政府", "level": "county", "province": "甘肃省", "city": "兰州市"}, "decision.organ.county", "县级"),
    ({"name": "兰州市人民政府", "level": "city", "province": "甘肃省"}, "decision.organ.city", "市级"),
    ({"name": "兰州市人民政府", "level": "city", "province": "甘肃省", "city": "兰州"}, "decision.organ.city", "没有名为"),
    ({"name": "兰州市人民政府", "level": "city", "province": "甘肃省", "city": "兰州市", "division_code": "620500"},
     "decision.organ.division_code", "不属于兰州市"),
])
def test_an_incomplete_or_wrong_region_names_its_field(organ, field, says):
    text = _variant(lambda d: d["decision"].__setitem__("organ", organ))
    with pytest.raises(DossierError) as info:
        load_dossier_text(text, "x.yaml")
    (p,) = info.value.problems
    line = text.splitlines()[p.line - 1]
    assert p.field == field and says in p.message and (field.rsplit(".", 1)[1] + ":" in line or "organ:" in line)


def test_a_central_organ_is_reviewed_by_the_national_packs_only():
    def central(data):
        data["decision"]["organ"] = {"name": "国务院某部", "level": "province", "type": "department",
                                     "province": "national"}
    review = run_review(load_dossier_text(_variant(central), "x.yaml"), rulebook())
    assert review.receipt["jurisdiction"]["chain"] == ["national/major-decision"]


def test_a_dossier_of_another_province_never_cites_a_gansu_document():
    def shaanxi(data):
        data["decision"]["organ"] = {"name": "西安市人民政府", "level": "city", "province": "陕西省", "city": "西安市"}
        data["steps"] = [s for s in data["steps"] if s["type"] not in ("risk-assessment", "legality-review")]
    review = run_review(load_dossier_text(_variant(shaanxi), "x.yaml"), rulebook())
    assert review.findings
    cited = json.dumps([f.basis for f in review.findings] + [f.implements for f in review.findings], ensure_ascii=False)
    assert "甘" not in cited and "GS" not in cited
    gansu = run_review(load_dossier_text(_variant(lambda d: d["steps"].__setitem__(slice(None), [
        s for s in d["steps"] if s["type"] not in ("risk-assessment", "legality-review")])), "y.yaml"), rulebook())
    assert "甘政发〔2015〕58号" in json.dumps([f.basis for f in gansu.findings], ensure_ascii=False)


@pytest.mark.parametrize("name, region", [
    ("兰州市", {"province": "甘肃省", "city": "兰州市", "county": None}),
    ("甘肃省兰州市城关区", {"province": "甘肃省", "city": "兰州市", "county": "城关区"}),
    ("甘肃省", {"province": "甘肃省", "city": None, "county": None}),
    ("national", {"province": "national", "city": None, "county": None}),
    ("陕西省", {"province": "陕西省", "city": None, "county": None}),
])
def test_a_jurisdiction_is_named_the_way_a_reviewer_says_it(name, region):
    assert region_of(name) == region


def test_an_unknown_jurisdiction_says_what_to_write():
    with pytest.raises(RegionError, match="无法识别地区"):
        region_of("火星")


# ---------------------------------------------------------------- rules and figures in force by date

def test_the_fair_competition_rule_takes_the_version_in_force_on_the_review_date():
    def no_review(as_of):
        def change(data):
            data["decision"]["as_of"] = as_of
            data["steps"] = [s for s in data["steps"] if s["type"] != "fair-competition-review"]
        return change
    before = run_review(load_dossier_text(_variant(no_review("2024-07-31")), "x.yaml"), rulebook())
    after = run_review(load_dossier_text(_variant(no_review("2024-08-01")), "x.yaml"), rulebook())
    (b,) = [f for f in before.findings if f.rule_id == "MAD-FAIR-COMPETITION-REQUIRED"]
    (a,) = [f for f in after.findings if f.rule_id == "MAD-FAIR-COMPETITION-REQUIRED"]
    assert (b.severity, a.severity) == ("major", "blocking")
    assert [x["number"] for x in b.basis] == ["国务院令第713号"] and {x["number"] for x in a.basis} == {"国务院令第783号"}
    assert a.bar == "no-issue" and not b.bar


def test_a_rule_past_its_last_version_is_reported_never_passed(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    path = rules / "national" / "major-decision" / "MAD-RISK-ASSESSMENT.yaml"
    path.write_text(path.read_text("utf-8").replace("in_force: {from: 2019-09-01}", "in_force: {from: 2019-09-01, until: 2024-12-31}"),
                    "utf-8")
    gansu = rules / "gansu" / "major-decision" / "_pack.yaml"   # its Gansu supplement ends too
    text = gansu.read_text("utf-8")
    start = text.index("  MAD-RISK-ASSESSMENT:")
    gansu.write_text(text[:start] + text[start:].replace("in_force: {from: 2015-06-24}", "in_force: {from: 2015-06-24, until: 2024-12-31}", 1), "utf-8")
    book = load_rulebook(rules)
    with pytest.raises(DossierError) as info:
        run_review(load_dossier(FIXTURE), book)
    (p,) = info.value.problems
    assert "MAD-RISK-ASSESSMENT" in p.message and "2024-12-31" in p.message and "无法预审" in p.message


def test_another_provinces_dossier_before_the_regulation_is_refused_not_passed():
    """Before 713号 only Gansu's 58号 carried these duties: elsewhere no rule was in force, so no review."""
    def shaanxi_2019(data):
        data["decision"]["organ"] = {"name": "西安市人民政府", "level": "city", "province": "陕西省", "city": "西安市"}
        data["decision"]["as_of"] = "2019-05-01"
    with pytest.raises(DossierError) as info:
        run_review(load_dossier_text(_variant(shaanxi_2019), "x.yaml"), rulebook())
    assert "不在规则施行期间内" in info.value.problems[0].message
    gansu = run_review(load_dossier_text(_variant(lambda d: d["decision"].__setitem__("as_of", "2019-05-01")),
                                         "y.yaml"), rulebook())
    assert gansu.receipt["rules_applied"] > 0


def test_the_cli_reviews_with_a_local_pack_and_tests_it(capsys, tmp_path):
    from prereview.api.cli import main

    dossier = str(EXAMPLES / "lanzhou-waste-sorting.yaml")
    assert main(["check", dossier, "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["check", dossier, "--format", "json", "--rules", str(LOCAL)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [f["rule_id"] for f in out["findings"]] == ["MAD-PUBLIC-COMMENT-PERIOD"]
    assert main(["rules", "test", str(LOCAL)]) == 0
    assert "规则包 1 个 · 规则 1 条 · 用例 5 个 · 失败 0 · 有误 0" in capsys.readouterr().out
    assert main(["rules", "list", "--jurisdiction", "兰州市", "--as-of", "2026-03-01", "--kind", "major-decision",
                 "--rules", str(LOCAL)]) == 0
    listing = capsys.readouterr().out
    assert "national/major-decision → gansu/major-decision → lanzhou/major-decision" in listing
    assert "comment_days=45（lanzhou/major-decision）" in listing
    assert main(["rules", "show", "MAD-LEGALITY-REVIEW-TIME", "--rules", str(LOCAL)]) == 0
    shown = capsys.readouterr().out
    assert "legality_review_working_days = 7个工作日" in shown and "= 10个工作日" in shown and "收紧上级数值" in shown
    loose = _copy_local(tmp_path)
    pack = loose / "major-decision" / "_pack.yaml"
    pack.write_text(pack.read_text("utf-8").replace("      - value: 10\n", "      - value: 5\n"), "utf-8")
    assert main(["check", dossier, "--rules", str(loose)]) == 2
    assert "只能从严" in capsys.readouterr().err
