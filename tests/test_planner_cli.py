"""`prereview plan` on the command line, the loader's checks of `period:`, and the plan on the examples."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from prereview.api.cli import main
from prereview.engine.errors import DossierError, RuleError
from prereview.engine.load import load_dossier
from prereview.engine.planner import plan_dossier
from prereview.engine.review import run_review
from prereview.engine.rulebook import load_rulebook

from helpers import EXAMPLES, ROOT, base_data, rulebook

TIME_RULE = Path("national") / "major-decision" / "MAD-LEGALITY-REVIEW-TIME.yaml"


def _run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def started(tmp_path):
    """The compliant matter before anything but its initiation (February 2025)."""
    data = base_data()
    data["steps"] = [s for s in data["steps"] if s["type"] == "initiation"]
    data["decision"]["stage"] = "pre-review"
    path = tmp_path / "started.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def test_plan_prints_a_table_in_chinese_and_exits_0_when_all_can_be_done(capsys, started):
    code, out, err = _run(capsys, "plan", str(started), "--meeting", "2025-10-10", "--today", "2025-03-01")
    assert code == 0, err
    assert "拟召开会议日期 2025-10-10" in out and "2025-09-24  待办" in out
    assert "合法性审查时间 7个工作日（规则包 national/major-decision" in out
    assert "重大行政决策程序暂行条例（国务院令第713号）第二十六条第二款" in out
    assert "submitted_on" not in out and "MAD-" in out  # field names never; the rule is named for the record


def test_plan_json_is_deterministic_and_names_the_figures_packs(capsys, started):
    args = ("plan", str(started), "--meeting", "2025-10-10", "--today", "2025-03-01", "--format", "json")
    _, first, _ = _run(capsys, *args)
    _, second, _ = _run(capsys, *args)
    assert first == second
    plan = json.loads(first)
    review = next(s for s in plan["steps"] if (s["step"], s["field"]) == ("legality-review", "submitted_on"))
    assert review["latest"] == "2025-09-24" and review["figures"][0]["pack"] == "national/major-decision"


def test_plan_html_draws_the_gantt_with_today_and_the_meeting(capsys, started, tmp_path):
    out_file = tmp_path / "plan.html"
    code, _, err = _run(capsys, "plan", str(started), "--meeting", "2025-10-10", "--today", "2025-03-01",
                        "--format", "html", "--output", str(out_file))
    html = out_file.read_text("utf-8")
    assert code == 0 and "已写出程序倒排" in err
    assert "<svg" in html and "今日 2025-03-01" in html and "拟召开会议日期 2025-10-10" in html
    assert html.count("<path d=") >= 10  # a deadline marker per planned date


def test_a_step_that_can_no_longer_be_done_on_time_exits_1(capsys, started):
    code, out, _ = _run(capsys, "plan", str(started), "--meeting", "2025-10-10", "--today", "2025-09-25")
    assert code == 1
    line = next(l for l in out.splitlines() if l.startswith("2025-09-24") and "送审日期" in l)
    assert "已来不及" in line and "已过 1 个工作日" in line
    assert "法律允许：确因特殊情况缩短审查时间的" in out


def test_a_plan_into_2027_exits_2_and_says_why_in_chinese(capsys, started):
    code, out, err = _run(capsys, "plan", str(started), "--meeting", "2027-01-20", "--today", "2026-11-01")
    assert code == 2
    assert "无法计算" in out and "不在工作日历覆盖范围内" in out and "工作日历" in err


def test_the_wrong_option_for_the_kind_is_refused(capsys, started):
    code, _, err = _run(capsys, "plan", str(started), "--decide-by", "2025-10-10")
    assert code == 2 and "--meeting" in err


def test_a_city_pack_moves_the_plan_on_the_command_line(capsys, tmp_path):
    data = base_data(ROOT / "examples" / "local-packs" / "lanzhou" / "major-decision" / "_base.yaml")
    data["steps"] = [s for s in data["steps"] if s["type"] == "initiation"]
    data["decision"]["stage"] = "pre-review"
    path = tmp_path / "lz.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    args = ("plan", str(path), "--meeting", "2026-06-18", "--today", "2026-03-01", "--format", "json")
    _, national, _ = _run(capsys, *args)
    _, city, _ = _run(capsys, *args, "--rules", str(ROOT / "examples" / "local-packs" / "lanzhou"))

    def latest(text):
        return next(s["latest"] for s in json.loads(text)["steps"] if (s["step"], s["field"]) == ("legality-review", "submitted_on"))
    assert (latest(national), latest(city)) == ("2026-06-09", "2026-06-04")


# ---------------------------------------------------------------- the loader's checks of `period:`

def _broken(tmp_path, old: str, new: str) -> RuleError:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    target = rules / TIME_RULE
    text = target.read_text("utf-8")
    assert old in text
    target.write_text(text.replace(old, new), "utf-8")
    with pytest.raises(RuleError) as err:
        load_rulebook(rules)
    return err.value


@pytest.mark.parametrize("old, new, says, field", [
    ("before: legality_review_working_days", "before: legality_review_days", "未定义的数值 legality_review_days",
     "period.0.before"),
    ("before: legality_review_working_days", "before: comment_days", "不在本规则的条件中", "period.0.before"),
    ("steps: [legality-review]\n    date: submitted_on", "steps: [legality-review]\n    date: submitted", "没有日期 submitted",
     "period.0.date"),
    ("steps: [legality-review]\n    date: submitted_on", "steps: [legal-review]\n    date: submitted_on",
     "没有步骤类型 legal-review", "period.0.steps.0"),
    ("anchor: {step: collective-discussion, date: held_on}", "anchor: {step: hearing, date: held_on}",
     "没有涉及步骤 hearing", "period.0.anchor.step"),
    ("steps: [legality-review]\n    date: submitted_on", "steps: [expert-review]\n    date: held_on",
     "没有涉及步骤 expert-review", "period.0.steps.0"),
    ("    before: legality_review_working_days\n", "    before: legality_review_working_days\n    after: 3\n",
     "before（之前）或 after（之后）之一", "period[0]"),
])
def test_a_wrong_period_is_a_located_error(tmp_path, old, new, says, field):
    problems = _broken(tmp_path, old, new).problems
    hit = [p for p in problems if says in p.message]
    assert hit, [p.message for p in problems]
    assert hit[0].path.endswith("MAD-LEGALITY-REVIEW-TIME.yaml") and hit[0].line and hit[0].line > 1
    if field:
        assert hit[0].field == field


# ---------------------------------------------------------------- the examples

def _plannable():
    out = []
    for path in sorted(EXAMPLES.glob("*.yaml")) + sorted(EXAMPLES.glob("*.json")):
        if path.name == "expected.yaml":
            continue
        out.append(path)
    return out


@pytest.mark.parametrize("path", _plannable(), ids=lambda p: p.name)
def test_on_the_examples_the_plan_calls_late_exactly_what_the_review_reports(path):
    book = rulebook()
    loaded = load_dossier(path)
    try:
        plan = plan_dossier(loaded, book, today=dt.date(2026, 12, 1))
    except DossierError as err:  # no meeting or decision yet, and nothing that limits its date: say which option
        assert "请用 --" in err.problems[0].message
        return
    periods = {r.id for r in book.rules if r.spec.period}
    fired = {f.rule_id for f in run_review(loaded, book).findings} & periods
    late = {r.rule for r in plan.steps if r.status == "late"}
    assert late == fired
    if any(day.year >= 2027 for s in loaded.dossier.steps for day in [getattr(s, s.date_field)]):
        assert plan.gaps and plan.failed  # the calendar stops at 2026: never guessed


def test_the_readme_sample_is_what_plan_prints(capsys):
    import re
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("## Planning a procedure backwards"):]
    sample = next(text for lang, text in re.findall(r"```(\w*)\n(.*?)```", section, re.S) if lang == "")
    code, out, _ = _run(capsys, "plan", str(EXAMPLES / "longnan-tourism-plan-draft.yaml"), "--meeting", "2026-06-18",
                        "--today", "2026-05-20")
    assert code == 0
    lines = out.splitlines()
    shown = [l for l in sample.splitlines() if l != "…"]
    assert len(shown) > 8 and all(l in lines for l in shown)


def _with_date(path: Path, step: str, field: str, day: dt.date):
    """The example with its one `step` record's `field` on `day`, or None if the model refuses that."""
    data = yaml.safe_load(path.read_text("utf-8"))
    for s in data["steps"]:
        if s["type"] == step:
            s[field] = day.isoformat()
    try:
        from helpers import load_data
        return load_data(data, path.name)
    except DossierError:
        return None


def test_on_the_examples_each_dated_step_is_quiet_on_its_latest_day_and_fires_a_day_later():
    """The examples' own steps, moved onto the latest day the plan gives them and one day past it."""
    book, checked = rulebook(), 0
    for path in _plannable():
        loaded = load_dossier(path)
        try:
            plan = plan_dossier(loaded, book, today=dt.date(2026, 12, 1))
        except DossierError:
            continue
        counts = {}
        for s in loaded.dossier.steps:
            counts[s.type] = counts.get(s.type, 0) + 1
        for row in plan.steps:
            if row.status not in ("on-time", "late") or row.latest is None or counts.get(row.step) != 1:
                continue
            on, past = (_with_date(path, row.step, row.field, day) for day in (row.latest, row.latest + dt.timedelta(days=1)))
            if on is None or past is None:
                continue
            assert row.rule not in {f.rule_id for f in run_review(on, book).findings}, (path.name, row.step, row.field)
            assert row.rule in {f.rule_id for f in run_review(past, book).findings}, (path.name, row.step, row.field)
            checked += 1
    assert checked >= 40, checked


def test_every_period_the_report_timeline_draws_is_a_period_a_rule_declares():
    """The timeline's windows (engine/kinds, periods=) and the plan's deadlines come from the same figures:
    each drawn window has a rule declaring that figure's deadline on that step."""
    from prereview.engine import kinds

    declared = {}
    for r in rulebook().rules:
        for p in r.spec.period:
            for step in p.steps + [p.anchor.step]:
                declared.setdefault((step, p.offset), set()).add(r.id)
    for kind in kinds.KINDS.values():
        for period in kind.periods:
            assert (period.step, period.param) in declared, (kind.code, period.step, period.param)
