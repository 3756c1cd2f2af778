"""Rule authoring: `prereview rules test` (one runner with pytest's rule cases) and `prereview rules new`."""
import os
import shutil
import signal

import pytest

from prereview.api.cli import main
from prereview.engine import RuleError, load_rulebook
from prereview.engine import cases as cases_mod
from prereview.engine.cases import check_case, run_cases

from helpers import ROOT

RULE_ID = "GS58-MAD-HEARING-MANDATORY"


def _root(tmp_path):
    """A small rules folder: the catalogue, the fixtures and the one-rule Gansu major-decision pack."""
    root = tmp_path / "rules"
    root.mkdir()
    shutil.copy(ROOT / "rules" / "catalogue.yaml", root)
    shutil.copytree(ROOT / "rules" / "_fixtures", root / "_fixtures")
    shutil.copytree(ROOT / "rules" / "gansu" / "major-decision", root / "gansu" / "major-decision",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _cases_file(root):
    return root / "gansu" / "major-decision" / f"{RULE_ID}.cases.yaml"


def _edit(path, old, new):
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")
    return text


def _line_of(path, needle, after=0):
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if n > after and needle in line:
            return n
    raise AssertionError(needle)


def _test(capsys, root):
    code = main(["rules", "test", str(root)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_a_good_pack_passes_with_a_summary_of_packs_rules_and_cases(tmp_path, capsys):
    code, out, err = _test(capsys, _root(tmp_path))
    assert code == 0, out + err
    assert out.strip().splitlines()[-1].startswith("规则包 1 个 · 规则 1 条 · 用例 6 个 · 失败 0 · 有误 0")


def test_a_failing_case_is_one_line_at_the_case_files_own_line_and_exits_1(tmp_path, capsys):
    root = _root(tmp_path)
    path = _cases_file(root)
    _edit(path, "    expect: quiet", "    expect: fire")  # the second case (the first quiet one) now must fire
    line = _line_of(path, "expect: fire", after=_line_of(path, "expect: fire"))
    code, out, _ = _test(capsys, root)
    assert code == 1
    failures = [x for x in out.splitlines() if "用例「" in x]
    assert failures == [f"{path}:{line}: 规则 {RULE_ID} 用例「法律规定应当听证而未听证，由全国规则报告，本规则不重复（审计 DR-1 探针 no-hearing）」："
                        "应触发，规则未触发 (expected fire, the rule stayed quiet)"]
    assert "失败 1 · 有误 0" in out


def test_a_wrong_count_or_message_names_the_count_or_message_line(tmp_path, capsys):
    root = _root(tmp_path)
    path = _cases_file(root)
    _edit(path, "count: 1", "count: 2")
    code, out, _ = _test(capsys, root)
    assert code == 1 and f"{path}:{_line_of(path, 'count: 2')}: " in out
    assert "应触发 2 次，规则触发了 1 次 (expected 2 findings, the rule fired 1 time)" in out
    _edit(path, "count: 2", "count: 1")
    _edit(path, "必须进行听证", "必须公开听证")
    code, out, _ = _test(capsys, root)
    assert code == 1 and f"{path}:{_line_of(path, '必须公开听证')}: " in out
    assert "消息中没有“必须公开听证” (message lacks \"必须公开听证\")" in out and "甘政发〔2015〕58号二（二）2" in out


def test_a_yaml_error_in_a_cases_file_is_one_located_problem_and_exits_2(tmp_path, capsys):
    root = _root(tmp_path)
    path = _cases_file(root)
    _edit(path, "    expect: fire", "    expect: fire:")
    code, out, err = _test(capsys, root)
    assert code == 2 and not out
    problems = [x for x in err.splitlines() if x.startswith("  ")]
    assert problems == [problems[0]] and problems[0].startswith(f"  {path}:3: 无法解析 YAML/JSON")


def test_a_set_that_makes_the_dossier_invalid_is_located_at_the_change_and_the_other_cases_still_run(tmp_path, capsys):
    root = _root(tmp_path)
    path = _cases_file(root)
    _edit(path, "          decision.organ.province: 陕西省",
          "          decision.organ.province: 陕西省\n          steps[public-comment].closes_on: 2025-02-30")
    code, out, _ = _test(capsys, root)
    assert code == 2
    line = _line_of(path, "closes_on: 2025-02-30")
    assert f"{path}:{line}: 规则 {RULE_ID} 用例「省外决策机关，不适用甘肃规则」：修改后的卷宗无效" in out
    assert "closes_on" in out and "2025-02-30" in out and "YYYY-MM-DD" in out
    assert "用例 6 个 · 失败 0 · 有误 1" in out


def test_a_remove_path_that_finds_nothing_names_what_the_base_has(tmp_path, capsys):
    root = _root(tmp_path)
    path = _cases_file(root)
    _edit(path, '- remove: ["steps[hearing]"]', '- remove: ["steps[hearin]"]')
    code, out, _ = _test(capsys, root)
    assert code == 2
    assert f"{path}:{_line_of(path, 'steps[hearin]')}: " in out
    assert "找不到 steps[hearin]" in out and "hearing" in out and "有误 1" in out


def test_a_base_that_does_not_exist_is_a_located_error(tmp_path, capsys):
    root = _root(tmp_path)
    path = _cases_file(root)
    path.write_text("base: ../../_fixtures/no-such-dossier.yaml\n" + path.read_text("utf-8"), "utf-8")
    code, out, err = _test(capsys, root)
    assert code == 2
    assert f"{path}:1: 字段 base：用例的基准卷宗不存在" in err and "no-such-dossier.yaml" in err


def test_an_invalid_base_dossier_is_said_once_for_its_cases_file(tmp_path, capsys):
    root = _root(tmp_path)
    base = root / "_fixtures" / "major-decision-compliant.yaml"
    _edit(base, "stage: ", "stage: nowhere-")
    code, out, _ = _test(capsys, root)
    assert code == 2
    lines = [x for x in out.splitlines() if "基准卷宗" in x]
    assert len(lines) == 1 and "6 个用例均未运行" in lines[0] and "decision.stage" in lines[0]


def test_a_crash_of_the_engine_costs_the_case_it_was_running_and_is_located(monkeypatch):
    book = load_rulebook()
    rule = book.rule(RULE_ID)
    real = cases_mod.check_case

    def crashing(r, b, case, i=None):
        if case is rule.cases[1]:
            os.kill(os.getpid(), signal.SIGSEGV)  # in the forked child only: the runner forks before each run
        return real(r, b, case, i)

    monkeypatch.setattr(cases_mod, "check_case", crashing)
    outcomes = list(run_cases(book, [rule]))
    assert [o.ok for o in outcomes] == [True, False, True, True, True, True]
    assert outcomes[1].error and "SIGSEGV" in outcomes[1].failure
    assert outcomes[1].line == cases_mod.case_line(rule, 1)


def test_the_cli_and_pytest_judge_with_the_same_words(request):
    """conftest.py's items report str(check_case(...)): the line `rules test` prints for the same case."""
    book = load_rulebook()
    rule = book.rule(RULE_ID)
    case = rule.cases[1].model_copy(update={"expect": "fire"})
    outcome = check_case(rule, book, case, 1)
    assert not outcome.ok and str(outcome).endswith("应触发，规则未触发 (expected fire, the rule stayed quiet)")
    conftest = next(m for m in request.config.pluginmanager.get_plugins()
                    if getattr(m, "__file__", None) == str(ROOT / "conftest.py"))
    item_text = conftest.RuleCaseItem.repr_failure(type("I", (), {})(), type("E", (), {"value": conftest.CaseFailed(outcome)})())
    assert item_text == str(outcome)


# ---- rules new

def _new(capsys, root, *args):
    code = main(["rules", "new", *args, "--rules", str(root)])
    out, err = capsys.readouterr()
    return code, out, err


def test_rules_new_writes_a_skeleton_the_loader_refuses_at_every_placeholder(tmp_path, capsys):
    root = _root(tmp_path)
    code, out, err = _new(capsys, root, "GS-MAD-NEW-RULE", "--pack", "gansu/major-decision", "--step", "public-comment")
    assert code == 0, err
    pack = root / "gansu" / "major-decision"
    rule, cases = pack / "GS-MAD-NEW-RULE.yaml", pack / "GS-MAD-NEW-RULE.cases.yaml"
    assert rule.exists() and cases.exists()
    assert "catalogue.yaml" in out and "checklists/major-decision.yaml" in out and "prereview rules test" in out
    with pytest.raises(RuleError) as info:
        load_rulebook(extra=(root,), replace=True)
    fields = {p.field for p in info.value.problems}
    assert {"title", "implements[0]", "basis[0].source", "basis[0].number", "basis[0].article",
            "basis[0].in_force.from", "severity", "when[0].where", "message", "fix"} <= fields
    for p in info.value.problems:
        assert p.path == str(rule) and p.line and p.message.startswith("尚未填写") and p.expected
    assert next(p for p in info.value.problems if p.field == "basis[0].article").expected.startswith("条、款、项")


def test_a_filled_rule_with_an_unfilled_cases_file_is_still_refused(tmp_path, capsys):
    root = _root(tmp_path)
    assert _new(capsys, root, "GS-MAD-NEW-RULE", "--pack", "gansu/major-decision", "--step", "public-comment")[0] == 0
    pack = root / "gansu" / "major-decision"
    filled = (pack / f"{RULE_ID}.yaml").read_text("utf-8")
    (pack / "GS-MAD-NEW-RULE.yaml").write_text(filled.replace(f"id: {RULE_ID}", "id: GS-MAD-NEW-RULE", 1), "utf-8")
    with pytest.raises(RuleError) as info:
        load_rulebook(extra=(root,), replace=True)
    problems = [p for p in info.value.problems if p.path.endswith("GS-MAD-NEW-RULE.cases.yaml")]
    assert [(p.field, p.message) for p in problems] == [
        ("cases[0].name", "尚未填写 (not filled in)"), ("cases[0].change[0].set", "尚未填写的键 (key not filled in)"),
        ("cases[0].change[0].set", "尚未填写 (not filled in)")]
    assert [p.expected for p in problems][1:] == ["路径，如 steps[public-comment].closes_on", "值，如 2025-04-10"]


@pytest.mark.parametrize("args,said", [
    (["MAD-PUBLICATION", "--pack", "gansu/major-decision"], "已存在"),          # a built-in ID
    (["GS58-MAD-HEARING-MANDATORY", "--pack", "gansu/major-decision"], "已存在"),
    (["gs-lower-case", "--pack", "gansu/major-decision"], "不合规"),
    (["NODASH", "--pack", "gansu/major-decision"], "不合规"),
    (["GS-MAD-X", "--pack", "lanzhou/major-decision"], "national/major-decision"),  # lists the known packs
    (["GS-MAD-X", "--pack", "gansu/major-decision", "--kind", "enforcement-decision"], "不适用于"),
    (["GS-MAD-X", "--pack", "gansu/major-decision", "--step", "notice"], "legality-review"),
])
def test_rules_new_refuses_and_says_why(tmp_path, capsys, args, said):
    root = _root(tmp_path)
    before = sorted(p.name for p in (root / "gansu" / "major-decision").iterdir())
    code, out, err = _new(capsys, root, *args)
    assert code == 2 and said in err, err
    assert sorted(p.name for p in (root / "gansu" / "major-decision").iterdir()) == before


# ---- rules attributes

def test_rules_attributes_lists_what_a_where_can_test_with_types_and_codes(capsys):
    assert main(["rules", "attributes", "legality-review"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "step: legality-review（合法性审查）"
    assert any(x.split()[:2] == ["opinion_on", "date"] and "_wd" in x for x in out.splitlines())
    assert any(x.split()[:2] == ["conclusion", "enum"] and "lawful-with-amendments" in x for x in out.splitlines())
    assert main(["rules", "attributes", "--kind", "enforcement-decision", "measures"]) == 0
    assert "amount" in capsys.readouterr().out
    assert main(["rules", "attributes", "no-such-record"]) == 2
    assert "decision / material" in capsys.readouterr().err
