"""durable-rules 2.0.28 quirks that the matcher works around; each test would catch a regression."""
import random

import pytest

from prereview.engine import EngineFailure
from prereview.engine.matcher import Matcher

from helpers import base_data, finding_keys, review_data, rulebook


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
    from durable.engine import Promise

    matcher = Matcher(rulebook())
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
    assert Matcher(rulebook()) is Matcher(rulebook())
