"""The spine's properties for enforcement decisions, over every compliant base in rules/_fixtures/.

Order invariance, byte-identical JSON (in one process and across processes), deletion of a step from a
compliant base, and random dossiers that never crash the engine.
"""
import copy
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prereview.api.cli import main
from prereview.engine.cases import run_case
from prereview.engine.errors import DossierError
from prereview.engine.kinds.enforcement import Action
from prereview.engine.rulebook import load_catalogue, load_rulebook

from enforcement_gen import KIND, mutate_enf, shift_dates, twin
from helpers import (ENF_BASES, FIXTURES, ROOT, as_json, base_data, finding_keys, in_child, json_in_original_places,
                     load_data,
                     permuted, reorder_steps, review_data, rulebook)

BASE_IDS = [p.stem for p in ENF_BASES]
PENALTY = FIXTURES / "enforcement-penalty-compliant.yaml"

# --- deleting a step from a compliant base -------------------------------------------------------------
# Per action (decision.action of the base), every step type of a compliant base is in exactly one of the three
# tables below, or its deletion is derived from a rule's own cases (see _derived). A deletion is judged at the
# base's stage (closed: 已结案归档) and at its review date: no decision.as_of, so the latest date left in the
# record. A period that has not run by then (service, publication) is not yet missed.
_NOT_YET_DUE = ("以卷宗中剩余的最晚日期为审查基准日，{what}的期限（{basis}）尚未届满，"
                "此时没有该记录不违法；逾期未{act}的，由规定期限的规则报告")
_PUBLICATION = _NOT_YET_DUE.format(what="执法决定信息公开",
                                   basis="国办发〔2018〕118号：行政许可、行政处罚 7 个工作日，其他 20 个工作日", act="公开")

# Step types whose deletion must be reported, with the requirements the finding may implement
# (rules whose own fire cases only remove a step add their expectations by themselves: see _derived).
_LEGAL_REVIEW = {"PEN-LEGAL-REVIEW", "EXE-LEGAL-REVIEW-BEFORE-DECISION", "GS-EXE-REQUIRED"}  # 行政处罚法第五十八条；118号；甘肃省政府令第126号第三条
_FILING = {"GS58-ENF-FILING"}                                     # 甘政发〔2015〕58号 二（五）3
MANDATORY_ENF: dict[str, dict[str, set[str]]] = {
    "penalty": {
        "case-filing": {"PEN-CASE-FILING"},                       # 行政处罚法第五十四条第二款
        "investigation": {"PEN-EVIDENCE", "PEN-INQUIRY-RECORD", "PEN-CASE-FILING"},  # 第五十四条第一款: all of them gone
        "head-review": {"PEN-HEAD-REVIEW"},                       # 第五十七条第一款
        "notice": {"PEN-PRE-DECISION-NOTICE"},                    # 第四十四条、第六十二条
        "legal-review": _LEGAL_REVIEW,
        "collective-discussion": {"PEN-COLLECTIVE-DISCUSSION", "GS-EXE-SEQUENCE"},  # 第五十七条第二款 (complex)
        "decision": {"PEN-DECISION-CONTENTS", "PEN-FULL-PROCESS-RECORD"},  # closed without 决定书: 第五十九条、第四十七条
        "service": {"PEN-SERVICE"},                               # 第六十一条: the base is filed after 7 working days
        "publication": {"EXE-PUB-POST-PEN-LIC", "PEN-PUBLICATION"},  # 118号 二（六）: 7 working days have run
        "filing": _FILING,
    },
    "licence": {
        "legal-review": _LEGAL_REVIEW,
        "filing": _FILING,
    },
}

# Mandatory steps no rule reports missing yet. Once a rule reports one, this test fails until the entry moves
# to MANDATORY_ENF (a rule whose fire case only removes the step makes the expectation derived).
NOT_YET_REPORTED_ENF: dict[str, dict[str, set[str]]] = {
    "licence": {
        "application": {"LIC-ACCEPTANCE"},                        # 行政许可法第三十二条 (依申请)
        "collective-discussion": {"GS-EXE-SEQUENCE"},             # 甘肃省政府令第126号第七条: 审核后集体讨论决定
        "decision": {"LIC-DECISION-DEADLINE"},                    # 第四十二条: 20 + 10 working days have run
    },
    "coercive-enforcement": {
        # 118号 and Order 126 rules look at a `decision` step; a coercion dossier decides in its enforcement order
        "legal-review": {"EXE-LEGAL-REVIEW-BEFORE-DECISION", "GS-EXE-REQUIRED"},
        "collective-discussion": {"GS-EXE-SEQUENCE"},
        "enforcement-order": {"COE-ENF-DECISION"},                # 行政强制法第三十七条: 书面强制执行决定
    },
}

# Step types whose absence is lawful in the base at its stage and review date: without them, no blocking or
# major finding is filed under that step.
LAWFUL_ABSENCE_ENF: dict[str, dict[str, str]] = {
    "penalty": {
        "hearing": "听证依当事人要求组织（行政处罚法第六十三条第一款、第六十四条第一项）：删去听证记录也删去了听证申请，"
                   "告知书已告知听证权利，当事人未要求听证的，不举行听证",
        "statement": "陈述、申辩是当事人的权利（行政处罚法第四十五条第一款），当事人可以不陈述申辩；"
                     "告知书已告知陈述申辩权利，行政机关未拒绝听取（第六十二条）",
    },
    "licence": {
        "verification": "需要对申请材料的实质内容进行核实的，才指派两名以上工作人员核查（行政许可法第三十四条第三款）；"
                        "卷宗未表明本案须实地核实",
        "hearing": "许可听证依申请人、利害关系人的申请组织（行政许可法第四十七条第一款）：删去听证记录也删去了听证申请，"
                   "告知书已告知听证权利",
        "service": _NOT_YET_DUE.format(what="颁发、送达许可证件", basis="行政许可法第四十四条、第八十二条：十个工作日",
                                       act="送达"),
        "publication": _PUBLICATION,
    },
    "coercive-enforcement": {
        "investigation": "强制拆除以限期自行拆除公告、催告和强制执行决定为程序（行政强制法第三十五条至第三十八条、"
                         "第四十四条），执行前另行调查取证不是法定程序",
        "coercive-measure": "查封施工现场是制止违法建设继续的行政强制措施，不是强制执行的法定前置程序"
                            "（行政强制法第三十五条至第三十八条、第四十四条）",
        "statement": "收到催告书后陈述、申辩是当事人的权利（行政强制法第三十六条），当事人可以不陈述申辩",
        "execution": "卷宗止于强制执行决定送达；实施强制拆除是执行该决定，不是作出决定的程序，"
                     "当事人其后自行拆除的无需实施（行政强制法第四十四条）",
        "publication": _PUBLICATION,
    },
}

# Deleting one of several steps of a type, while another stays, is lawful for these types.
ONE_OF_SEVERAL_ENF: dict[str, dict[str, str]] = {
    "penalty": {"investigation": "调查取证的方式由执法机关依法选择（行政处罚法第五十四条第一款、第五十五条）："
                                 "另一次调查取证及其笔录仍在卷"},
}

_STEP_SELECTOR = re.compile(r"^steps\[([a-z-]+)\]$")


def _derived(rules) -> dict:
    """base file -> step type -> requirements, from the rules' fire cases that only remove steps of one type."""
    out: dict = defaultdict(lambda: defaultdict(set))
    for rule in rules.rules:
        if KIND.code not in rule.durable or rule.cases_base is None:
            continue
        for case in rule.cases:
            if case.expect != "fire" or not case.change or any(c.set or c.add_step for c in case.change):
                continue
            removed = [p for c in case.change for p in ([c.remove] if isinstance(c.remove, str) else c.remove or [])]
            types = {m.group(1) for m in map(_STEP_SELECTOR.match, removed) if m}
            if removed and len(types) == 1 and all(_STEP_SELECTOR.match(p) for p in removed):
                out[rule.cases_base.resolve()][types.pop()] |= set(rule.spec.implements)
    return out


def test_the_deletion_tables_are_consistent_with_the_kind_the_catalogue_and_the_rules():
    catalogue = load_catalogue(ROOT / "rules")
    derived = _derived(rulebook())
    actions = set(MANDATORY_ENF) | set(NOT_YET_REPORTED_ENF) | set(LAWFUL_ABSENCE_ENF) | set(ONE_OF_SEVERAL_ENF)
    assert actions <= set(Action.labels)
    for action in actions:
        tables = [set(t.get(action, {})) for t in (MANDATORY_ENF, NOT_YET_REPORTED_ENF, LAWFUL_ABSENCE_ENF)]
        assert all(not (a & b) for i, a in enumerate(tables) for b in tables[i + 1:]), f"{action}：每个步骤类型只能在一个表中"
        assert set().union(*tables, ONE_OF_SEVERAL_ENF.get(action, {})) <= set(KIND.steps)
        for ids in [*MANDATORY_ENF.get(action, {}).values(), *NOT_YET_REPORTED_ENF.get(action, {}).values()]:
            assert ids and ids <= set(catalogue), ids - set(catalogue)
    for base in ENF_BASES:  # a rule's case that reports a deletion the table calls lawful is a contradiction
        lawful = LAWFUL_ABSENCE_ENF.get(base_data(base)["decision"]["action"], {})
        clash = set(derived.get(base.resolve(), {})) & set(lawful)
        assert not clash, f"{base.name}：规则用例认为删除 {clash} 应报告，LAWFUL_ABSENCE_ENF 却认为合法"


def _blocking_or_major(review, step_type: str) -> list:
    """Findings that hold the absence of `step_type` against the dossier. (Its absence may lawfully call for
    another step, e.g. a filing where no hearing was held: such a finding is filed under that other step.)"""
    return [f for f in review.findings if f.severity in ("blocking", "major") and f.step == step_type]


def _deletions(data: dict):
    """(what, the dossier without it, its step type, whether a step of that type remains): each single step,
    and every step of a type that occurs several times."""
    for i, step in enumerate(data["steps"]):
        changed = copy.deepcopy(data)
        del changed["steps"][i]
        remains = any(s["type"] == step["type"] for s in changed["steps"])
        yield f"steps[{i}]（{step['type']}）", changed, step["type"], remains
    for t in dict.fromkeys(s["type"] for s in data["steps"]):
        if sum(s["type"] == t for s in data["steps"]) > 1:
            changed = copy.deepcopy(data)
            changed["steps"] = [s for s in changed["steps"] if s["type"] != t]
            yield f"全部 {t}", changed, t, False


def deletion_problems(base, rules, mandatory=None, not_yet=None) -> tuple[list[str], list[str]]:
    """For each deletion from `base`: the step types to move out of NOT_YET_REPORTED_ENF (a rule reports them
    now), and what is wrong (a mandatory deletion unreported, a lawful one reported, a type in no table)."""
    data = base_data(base)
    action = data["decision"]["action"]
    mandatory = MANDATORY_ENF.get(action, {}) if mandatory is None else mandatory
    not_yet = NOT_YET_REPORTED_ENF.get(action, {}) if not_yet is None else not_yet
    lawful, several = LAWFUL_ABSENCE_ENF.get(action, {}), ONE_OF_SEVERAL_ENF.get(action, {})
    derived = _derived(rules).get(base.resolve(), {})
    to_move, wrong = [], []
    for what, changed, t, remains in _deletions(data):
        review = review_data(changed, rules=rules)
        implemented = {req for f in review.findings for req in f.implements}
        required = mandatory.get(t, set()) | derived.get(t, set())
        if remains:
            if t not in several:
                wrong.append(f"删除 {what} 后同类步骤仍在卷，须在 ONE_OF_SEVERAL_ENF 中说明")
            elif _blocking_or_major(review, t):
                wrong.append(f"删除 {what}（同类仍在卷）后有主要问题：{finding_keys(review)}")
        elif required:
            if not (implemented & required) or review.verdict == "pass":
                wrong.append(f"删除 {what} 后没有实现 {sorted(required)} 的发现：{finding_keys(review)}")
        elif t in not_yet:
            if implemented & not_yet[t]:
                to_move.append(t)
        elif t in lawful:
            if _blocking_or_major(review, t):
                wrong.append(f"删除 {what} 应为合法（{lawful[t]}），却有：{finding_keys(review)}")
        else:
            wrong.append(f"{action} 的步骤类型 {t} 未分类：删除后 {finding_keys(review)}；"
                         "请列入 MANDATORY_ENF、NOT_YET_REPORTED_ENF 或 LAWFUL_ABSENCE_ENF")
    return to_move, wrong


@pytest.mark.parametrize("base", ENF_BASES, ids=BASE_IDS)
def test_deleting_a_step_from_a_compliant_enforcement_base_is_reported_or_lawful(base):
    in_child(_assert_deletions_reported_or_lawful, base)


def _assert_deletions_reported_or_lawful(base):
    assert review_data(base_data(base)).verdict == "pass"
    to_move, wrong = deletion_problems(base, rulebook())
    assert not to_move, f"{base.name}：已有规则报告删除 {sorted(set(to_move))}：请把它们从 NOT_YET_REPORTED_ENF 移入 MANDATORY_ENF"
    assert not wrong, f"{base.name}：\n" + "\n".join(wrong)


_MISSING_RULE = """\
id: TEST-{code}-MISSING
title: 测试用：{label}记录缺失
kinds: [enforcement-decision]
implements: [{requirement}]
basis:
  - source: 中华人民共和国行政处罚法
    number: 2021年1月22日第十三届全国人民代表大会常务委员会第二十五次会议修订
    article: {article}
    in_force: {{from: 2021-07-15}}
    level: V1
severity: major
step: {step}
when:
  - decision: "action == penalty"
  - no step: {step}
message: 卷宗中没有{label}记录。
fix: 补充{label}记录。
"""
_TEST_RULES = {"case-filing": ("PEN-CASE-FILING", "第五十四条第二款"), "statement": ("PEN-STATEMENT-DEFENSE", "第四十五条第一款")}


def _rules_with_missing(tmp_path, step: str, case_removes: bool):
    """The shipped enforcement packs plus a test-only rule that reports a missing `step`; its fire case only
    removes the step, or also changes something else (then no expectation is derived from it)."""
    tree = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", tree)
    pack = tree / "national" / "enforcement-decision"
    code = step.upper()
    requirement, article = _TEST_RULES[step]
    (pack / f"TEST-{code}-MISSING.yaml").write_text(_MISSING_RULE.format(
        code=code, label=KIND.step_label(step), requirement=requirement, article=article, step=step), "utf-8")
    remove = f"      - remove:\n          - steps[{step}]"
    fire = ("change:\n" + remove if case_removes
            else "change:\n      - set:\n          decision.title: 某某案\n" + remove)
    (pack / f"TEST-{code}-MISSING.cases.yaml").write_text(
        f"cases:\n  - name: 没有该记录，应报\n    expect: fire\n    {fire}\n  - name: 基准卷宗，不报\n    expect: quiet\n",
        "utf-8")
    rules = load_rulebook(tree, ["national/enforcement-decision", "gansu/enforcement-decision"])
    rule = rules.rule(f"TEST-{code}-MISSING")
    assert all(run_case(rule, rules, case).ok for case in rule.cases)
    return rules


def test_the_deletion_property_follows_the_rules_cases_and_can_fail(tmp_path):
    in_child(_assert_deletion_property_can_fail, tmp_path)  # the test-only rulesets stay out of this process


def _assert_deletion_property_can_fail(tmp_path):
    base, shipped = PENALTY, MANDATORY_ENF["penalty"]
    # publication: reported by EXE-PUBLICATION-MISSING, whose cases do not only remove the step (not derived)
    without_publication = {t: ids for t, ids in shipped.items() if t != "publication"}
    # a rule whose own fire case only removes a step makes that deletion mandatory for its base
    derived_rules = _rules_with_missing(tmp_path / "a", "statement", case_removes=True)
    derived = _derived(derived_rules)[(tmp_path / "a" / "rules" / "_fixtures" / base.name).resolve()]
    assert derived["statement"] >= {"PEN-STATEMENT-DEFENSE"}
    # an entry that waits for a rule, once a rule reports it, must move to MANDATORY_ENF
    to_move, wrong = deletion_problems(base, rulebook(), mandatory=without_publication,
                                       not_yet={"publication": {"EXE-PUB-POST-PEN-LIC"}})
    assert to_move == ["publication"] and not wrong
    # a table entry no rule honours is reported as wrong
    to_move, wrong = deletion_problems(base, rulebook(), mandatory={**shipped, "hearing": {"PEN-HEARING-CONDUCT"}})
    assert len(wrong) == 1 and "hearing" in wrong[0]
    # and so is a step type in no table
    to_move, wrong = deletion_problems(base, rulebook(), mandatory=without_publication)
    assert len(wrong) == 1 and "publication 未分类" in wrong[0]
    # a rule that holds a lawful absence against the dossier contradicts LAWFUL_ABSENCE_ENF
    to_move, wrong = deletion_problems(base, _rules_with_missing(tmp_path / "c", "statement", case_removes=False))
    assert len(wrong) == 1 and "（statement） 应为合法" in wrong[0]


# --- order invariance and byte-identical JSON ----------------------------------------------------------

@st.composite
def enforcement_dossiers(draw):
    base = draw(st.sampled_from(ENF_BASES))
    return mutate_enf(base_data(base), lambda options: draw(st.sampled_from(list(options))))


def _outcome(data, name="case.yaml"):
    """The review of a dossier, or the problems of its located error."""
    try:
        return review_data(data, name)
    except DossierError as err:
        return err


def _assert_same_output_in_any_order(data, seed):
    first = _outcome(data)
    shuffled, back = permuted(data, random.Random(seed))
    second = _outcome(shuffled)
    if isinstance(first, DossierError):
        assert isinstance(second, DossierError)
        assert sorted(p.message for p in second.problems) == sorted(p.message for p in first.problems)
        return
    assert not isinstance(second, DossierError), second
    assert json_in_original_places(second, back, load_data(data)) == as_json(first)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enforcement_dossiers(), st.integers(0, 2**32))
def test_enforcement_output_does_not_depend_on_the_order_of_any_list(data, seed):
    in_child(_assert_same_output_in_any_order, data, seed)


def _same_date_twins(data: dict, step_type: str) -> dict:
    """The dossier with a second step of `step_type` on the date of the first, saying something different."""
    out = copy.deepcopy(data)
    i, first = next((i, s) for i, s in enumerate(out["steps"]) if s["type"] == step_type)
    if step_type == "investigation" and out["decision"]["action"] == "penalty":
        # the same day's inquiry after the inspection, by other officers; the base's own inquiry moves there too
        second = dict(copy.deepcopy(first), method="inquiry", on_site=False, av_recorded=False, materials=["询问笔录"],
                      officers=[{"name": "赵某", "certificate": "62010021003"}, {"name": "钱某"}])
        for other in [s for s in out["steps"] if s["type"] == "investigation" and s is not first][:1]:
            other["held_on"] = first["held_on"]
    elif step_type == "publication":  # one date, two channels
        second = dict(copy.deepcopy(first), channels=["兰州日报"], materials=[])
    else:  # any other type: one field changed by the generator, the date kept
        second = twin(first, random.Random(f"{step_type}-twin").choice)
    out["steps"].insert(i + 1, second)
    return out


def _late(data: dict) -> dict:
    """A variant that has findings: service and publication a month later."""
    out = copy.deepcopy(data)
    for s in out["steps"]:
        if s["type"] in ("service", "publication"):
            shift_dates(s, 30)
    return out


_TWIN_CASES = [(base, t) for base in ENF_BASES for t in dict.fromkeys(s["type"] for s in base_data(base)["steps"])]


@pytest.mark.parametrize("base,step_type", _TWIN_CASES, ids=[f"{b.stem}-{t}" for b, t in _TWIN_CASES])
def test_same_date_steps_of_one_type_give_the_same_output_in_either_file_order(base, step_type):
    in_child(_assert_twins_in_either_order, base, step_type)


def _assert_twins_in_either_order(base, step_type):
    data = base_data(base)
    for variant in (_same_date_twins(data, step_type), _same_date_twins(_late(data), step_type)):
        reordered, back = reorder_steps(variant, list(range(len(variant["steps"])))[::-1])  # the twins swap, too
        expected = as_json(review_data(variant))
        assert json_in_original_places(review_data(reordered), back, load_data(variant)) == expected
        for seed in range(3):
            _assert_same_output_in_any_order(variant, seed)


def test_same_date_twins_reach_the_rules():
    """The twins are not inert: with a late service twinned, the late-service rule judges both records."""
    data = _same_date_twins(_late(base_data(PENALTY)), "service")
    fired = [f.message for f in review_data(data).findings if f.rule_id == "PEN-SERVICE-LATE"]
    assert len(fired) == 2 and len(set(fired)) == 2, fired


def _assert_byte_identical_twice(data):
    first = _outcome(data)
    second = _outcome(copy.deepcopy(data))
    if isinstance(first, DossierError):
        assert [p.to_dict() for p in first.problems] == [p.to_dict() for p in second.problems]
    else:
        assert as_json(first) == as_json(second)


@settings(max_examples=40, deadline=None)
@given(enforcement_dossiers())
def test_the_same_enforcement_dossier_gives_byte_identical_json(data):
    in_child(_assert_byte_identical_twice, data)


def _cli_files(tmp_path) -> list[str]:
    files = []
    for base in ENF_BASES:
        data = base_data(base)
        gap = copy.deepcopy(data)  # the decision and what follows it in 2027, which no calendar covers
        for s in gap["steps"]:
            if s["type"] in ("decision", "enforcement-order", "service", "publication", "execution"):
                for key in s:
                    if key.endswith("_on"):
                        s[key] = "2027-01-08"
        for name, variant in (("base", data), ("late", _late(data)), ("gap", gap),
                              ("twins", _same_date_twins(_late(data), data["steps"][-1]["type"]))):
            path = tmp_path / f"{base.stem}-{name}.yaml"
            path.write_text(yaml.safe_dump(variant, allow_unicode=True, sort_keys=False), "utf-8")
            files.append(str(path))
    return files


def test_check_json_is_byte_identical_in_process_and_in_fresh_processes(tmp_path, capsys):
    files = _cli_files(tmp_path)
    runs = []
    for _ in range(2):
        code = main(["check", *files, "--format", "json"])
        runs.append((code, capsys.readouterr().out.encode("utf-8")))
    assert runs[0] == runs[1]
    out = json.loads(runs[0][1])
    assert [r["verdict"] for r in out[::4]] == ["pass"] * len(ENF_BASES)  # the bases; the variants have findings
    assert {"PEN-SERVICE-LATE", "ENF-CALENDAR-GAP"} <= {f["rule_id"] for r in out for f in r["findings"]}
    cmd = [sys.executable, "-X", "faulthandler", "-m", "prereview.api.cli", "check", *files, "--format", "json"]
    for seed in ("0", "4242"):  # set and dict order must not leak into the output
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run(cmd, capture_output=True, check=False, env=env, cwd=tmp_path)
        assert done.returncode >= 0, (f"PYTHONHASHSEED={seed} 的新进程被信号 {-done.returncode} 终止（规则引擎崩溃）："
                                      + done.stderr.decode("utf-8", "replace")[-2000:])
        assert (done.returncode, done.stdout) == runs[0], done.stderr.decode("utf-8", "replace")


# --- random dossiers ------------------------------------------------------------------------------------

def _assert_reviewed_or_located(data, name="case.yaml"):
    outcome = _outcome(data, name)
    if isinstance(outcome, DossierError):
        assert outcome.problems
        for p in outcome.problems:
            assert p.path == name and isinstance(p.line, int) and p.line >= 1 and p.field and p.message, p
    else:
        assert outcome.verdict in ("pass", "fix-then-submit", "blocked")
        assert outcome.kind == KIND.code
    return outcome


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enforcement_dossiers())
def test_random_enforcement_dossiers_give_a_review_or_a_located_error(data):
    in_child(_assert_reviewed_or_located, data)


def _soak(n: int, last: Path):
    rng = random.Random(20261201)
    verdicts = defaultdict(int)
    for k in range(n):
        data = mutate_enf(base_data(ENF_BASES[k % len(ENF_BASES)]), rng.choice)
        last.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")  # kept if it crashes
        outcome = _assert_reviewed_or_located(data)
        verdicts["error" if isinstance(outcome, DossierError) else outcome.verdict] += 1
    # the generator reaches every outcome the rules can give
    assert verdicts["pass"] and verdicts["fix-then-submit"] and verdicts["blocked"] and verdicts["error"], dict(verdicts)


def test_hundreds_of_random_enforcement_dossiers_in_one_process(tmp_path):
    last = tmp_path / "last-reviewed.yaml"
    try:
        in_child(_soak, 500, last)
    except AssertionError as err:
        raise AssertionError(f"{err}\n最后一个卷宗（可用 prereview check 复现）：{last}") from None
