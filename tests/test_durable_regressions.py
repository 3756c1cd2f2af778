"""durable-rules 2.0.28 quirks that the matcher works around; each test would catch a regression."""
import random

import pytest

from prereview.engine import EngineFailure
from prereview.engine.matcher import Matcher

from helpers import ROOT, base_data, finding_keys, review_data, rulebook


def _fixture_matcher():
    """The matcher a review of the compliant fixture uses (its region's rules, as on its date)."""
    import datetime as dt

    from prereview.engine import kinds, load_dossier
    from prereview.engine.review import plan

    loaded = load_dossier(ROOT / "rules" / "_fixtures" / "major-decision-compliant.yaml")
    _, planned = plan(loaded, rulebook(), kinds.get("major-decision"), dt.date(2025, 6, 20))
    return Matcher(rulebook(), "major-decision", planned)


def _without(data, *types):
    data["steps"] = [s for s in data["steps"] if s["type"] not in types]
    return data


def test_absence_rules_do_not_depend_on_the_order_of_facts():
    # none(...) in durable depends on assertion order; the decision (anchor) is asserted last.
    data = _without(base_data(), "expert-review", "risk-assessment")
    expected = finding_keys(review_data(data))
    assert expected, "removing required steps must give findings"
    rng = random.Random(7)
    for _ in range(25):
        rng.shuffle(data["steps"])
        rng.shuffle(data["materials"])
        assert finding_keys(review_data(data)) == expected


def test_more_reviews_than_durables_session_limit_in_one_process():
    # durable allows 1,024 live sessions: each review must delete its own.
    data = base_data()
    first = finding_keys(review_data(data))
    for _ in range(1100):
        review_data(data)
    assert finding_keys(review_data(data)) == first


def test_a_fact_no_rule_uses_does_not_fail_the_batch():
    # an unused fact type would raise MessageNotHandledException without the catch-all rule
    data = base_data()
    data["steps"] = [s for s in data["steps"] if s["type"] in ("initiation",)]
    data["materials"] = [m for m in data["materials"] if m["id"] in ("启动通知", "认定说明")]
    data["decision"]["stage"] = "pre-review"
    review_data(data)  # must not raise


def test_an_exception_inside_a_rule_action_is_not_swallowed():
    # durable catches exceptions raised in actions into the session state; the matcher must raise them
    from prereview.durable.engine import Promise

    matcher = _fixture_matcher()
    ruleset = Matcher._host.get_ruleset(matcher.name)
    saved = ruleset._actions["__anchor"]  # fires on every review

    def failing_action(c):
        raise RuntimeError("boom")

    ruleset._actions["__anchor"] = Promise(failing_action)
    try:
        with pytest.raises(EngineFailure, match="boom"):
            review_data(base_data())
    finally:
        ruleset._actions["__anchor"] = saved
    assert review_data(base_data()).verdict == "pass"


def test_the_same_rulebook_is_compiled_once_per_process():
    assert _fixture_matcher() is _fixture_matcher()


RULE_WITH_OR_AND_JOIN = """
id: TEST-MEETING-SOON-AFTER-SUBMISSION
title: 测试：会议距送审不足 7 日
kinds: [major-decision]
implements: [MAD-LEGALITY-REVIEW-TIME]
basis:
  - {source: 重大行政决策程序暂行条例, number: 国务院令第713号, article: 第二十六条第二款, in_force: {from: 2019-09-01}}
severity: major
step: legality-review
when:
  - step: legality-review
    as: review
  - step: collective-discussion
    as: meeting
    where: meeting in [executive, plenary] and held_on < review.submitted_on + 7
  - no step: hearing
    where: record_signed in [true, false] and held_on > meeting.held_on
message: 会议 {meeting.held_on}，送审 {review.submitted_on}
fix: 留足审查时间
"""
CASES = """
cases:
  - {name: a, expect: fire, change: [{set: {"steps[collective-discussion].held_on": 2025-04-28}}]}
  - {name: b, expect: quiet}
"""


def test_an_or_before_a_join_does_not_drop_the_join(tmp_path):
    # durable ignores a join that follows an `$or` in the same clause; the compiler orders them
    import shutil

    from prereview.engine import load_dossier_text, load_rulebook, run_review
    import yaml

    from helpers import ROOT

    rules = tmp_path / "rules"
    pack = rules / "test" / "major-decision"
    pack.mkdir(parents=True)
    shutil.copy(ROOT / "rules" / "catalogue.yaml", rules)
    shutil.copytree(ROOT / "rules" / "_fixtures", rules / "_fixtures")
    (pack / "_pack.yaml").write_text(
        "pack: test/major-decision\ntitle: t\nversion: '1'\nkinds: [major-decision]\n"
        "base: ../../_fixtures/major-decision-compliant.yaml\n", "utf-8")
    (pack / "TEST-MEETING-SOON-AFTER-SUBMISSION.yaml").write_text(RULE_WITH_OR_AND_JOIN, "utf-8")
    (pack / "TEST-MEETING-SOON-AFTER-SUBMISSION.cases.yaml").write_text(CASES, "utf-8")
    book = load_rulebook(rules)

    def fired(held_on):
        data = base_data()
        for step in data["steps"]:
            if step["type"] == "collective-discussion":
                step["held_on"] = held_on
        text = yaml.safe_dump(data, allow_unicode=True)
        return [f.rule_id for f in run_review(load_dossier_text(text, "t.yaml"), book).findings]

    assert fired("2025-04-28") == ["TEST-MEETING-SOON-AFTER-SUBMISSION"]  # 3 days after submission
    assert fired("2025-05-20") == []                                       # 25 days: the join must hold


def test_durable_runs_no_background_dispatch_thread():
    # durable's host would dispatch actions on a timer thread (about 0.07% of them, measured);
    # every action must run in the reviewing thread, so the matcher's host starts none
    import threading

    review_data(base_data())
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]


def test_many_rules_matching_one_fact_do_not_crash_durable():
    # crashed (SIGSEGV) with the enforcement rules in one ruleset; the matcher's small chunks keep it alive.
    # A fresh process, as a user runs it (a crash in its worker would be exit 2, "审查进程被信号 SIGSEGV 终止").
    import subprocess
    import sys

    for seed in ("0", "1", "2"):
        done = subprocess.run([sys.executable, "-m", "prereview.api.cli", "check", "--jobs", "1", "--format", "json",
                               str(ROOT / "tests" / "data" / "durable-crash-enforcement.yaml")],
                              capture_output=True, text=True, env={**__import__("os").environ, "PYTHONHASHSEED": seed})
        assert done.returncode == 1 and '"verdict": "blocked"' in done.stdout, (seed, done.returncode, done.stderr[-500:])


def test_a_comparison_after_a_nested_or_group_counts():
    """The patched engine (vendor/durable-rules): stock 2.0.28 returned from a group at a nested group's
    end, ignoring what followed, and in the same loop read past the expressions (random crashes)."""
    from prereview.durable import engine as durable

    class Host(durable.Host):
        def _run(self):
            pass

    hits = []
    host = Host()
    rule = {"all": [{"f_a": {"t": "a"}},
                    {"f_b": {"$and": [{"t": "b"},
                                      {"$or": [{"x": {"f_a": "x"}}, {"y": {"f_a": "y"}}]},
                                      {"$gt": {"z": {"f_a": "z"}}}]}}]}
    host.register_rulesets({"nested_or": {
        "rule": dict(rule, run=lambda c: hits.append("rule")),
        "anchor": dict({"all": [{"f_b": {"t": "b"}}]}, run=lambda c: hits.append("anchor"))}})
    # the or-group holds (x equal) but the comparison after it does not (3 is not greater than 5)
    host.assert_facts("nested_or", [{"sid": "1", "id": "a", "t": "a", "x": 1, "y": 2, "z": 5},
                                    {"sid": "1", "id": "b", "t": "b", "x": 1, "y": 0, "z": 3}])
    assert hits == ["anchor"]
    host.assert_facts("nested_or", [{"sid": "2", "id": "a", "t": "a", "x": 1, "y": 2, "z": 5},
                                    {"sid": "2", "id": "b", "t": "b", "x": 9, "y": 2, "z": 6}])
    assert hits == ["anchor", "rule", "anchor"] or hits == ["anchor", "anchor", "rule"]
