"""`prereview plan`: the plan and the rules agree by construction.

For every step the plan dates, a dossier that does it on the planned latest date gets no finding of the rule
the date comes from, and one that does it a day later gets that rule's finding (hypothesis over meeting dates
from 2020 to the end of the calendar, with the national and Gansu packs and with the Lanzhou pack that
tightens two figures). Calendar boundaries are checked against dates worked out by hand from the State
Council's notices; a plan into 2027 fails closed.
"""
from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from prereview.engine.errors import DossierError
from prereview.engine.planner import plan_dossier
from prereview.engine.rulebook import load_rulebook
from prereview.engine.review import run_review

from helpers import BASE, ENF_BASES, ROOT, base_data, load_data, rulebook

LANZHOU = ROOT / "examples" / "local-packs" / "lanzhou"
MEETING_IN_FIXTURE = dt.date(2025, 5, 20)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def lanzhou_rulebook():
    return load_rulebook(extra=(LANZHOU,))


def _shift(value, delta: dt.timedelta):
    """Every date of a dossier (as parsed: ISO text or date) moved by delta."""
    if isinstance(value, dict):
        return {k: _shift(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, delta) for v in value]
    if isinstance(value, dt.date):
        return (value + delta).isoformat()
    if isinstance(value, str) and _ISO.match(value):
        return (dt.date.fromisoformat(value) + delta).isoformat()
    return value


def _base_for(meeting: dt.date, city: str | None = None) -> dict:
    """The compliant fixture moved so that its meeting falls on `meeting` (optionally in another Gansu city)."""
    data = _shift(base_data(BASE), meeting - MEETING_IN_FIXTURE)
    if city:
        data["decision"]["organ"] = {"name": f"{city}人民政府", "level": "city", "province": "甘肃省", "city": city}
    return data


def _only_started(data: dict) -> dict:
    """The same matter before anything but its initiation: what a unit plans from."""
    out = copy.deepcopy(data)
    out["steps"] = [s for s in out["steps"] if s["type"] == "initiation"]
    out["decision"]["stage"] = "pre-review"
    return out


def _on_plan(data: dict, plan) -> dict:
    """The fixture with every planned date on its latest day. A party report without a reply: a later
    reply would move the publication period (the plan says so in its words)."""
    out = copy.deepcopy(data)
    for row in plan.steps:
        if row.status != "planned":
            continue
        for s in out["steps"]:
            if s["type"] == row.step:
                s[row.field] = row.latest.isoformat()
    for s in out["steps"]:
        if s["type"] == "party-report":
            s.pop("reply_on", None)
        if s["type"] == "archiving":  # archived after everything else
            s["archived_on"] = max(v for st_ in out["steps"] for k, v in st_.items()
                                   if isinstance(v, str) and _ISO.match(v))
    return out


def _fired(data: dict, book) -> set[str]:
    return {f.rule_id for f in run_review(load_data(data), book).findings}


def _check_agreement(meeting: dt.date, book, city: str | None = None):
    data = _base_for(meeting, city)
    plan = plan_dossier(load_data(_only_started(data)), book, target=meeting, today=meeting - dt.timedelta(days=200))
    assert not plan.gaps, plan.gaps
    planned = [r for r in plan.steps if r.status == "planned"]
    assert {(r.step, r.field) for r in planned} >= {("legality-review", "submitted_on"), ("public-comment", "published_on"),
                                                    ("hearing", "materials_delivered_on"), ("publication", "published_on")}
    exact = _on_plan(data, plan)
    # on the plan, nothing fires that does not fire on the compliant fixture itself: no rule, with or without
    # a declared period, objects to a step done on its planned latest day
    extra = _fired(exact, book) - _fired(data, book)
    assert not extra, f"on the plan, yet {extra} fired (meeting {meeting})"
    for row in planned:
        later = copy.deepcopy(exact)
        for s in later["steps"]:
            if s["type"] == row.step:
                s[row.field] = (row.latest + dt.timedelta(days=1)).isoformat()
        assert row.rule in _fired(later, book), (
            f"{row.step}.{row.field} a day after its latest {row.latest} (meeting {meeting}): {row.rule} stayed quiet")
    return plan


MEETINGS = st.dates(min_value=dt.date(2020, 3, 1), max_value=dt.date(2026, 11, 20))
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(meeting=MEETINGS)
def test_a_step_on_its_planned_date_passes_and_a_day_later_gets_its_finding(meeting):
    _check_agreement(meeting, rulebook())


@SETTINGS
@given(meeting=st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2026, 11, 20)))
def test_the_plan_agrees_with_the_rules_under_a_city_pack_that_tightens_figures(meeting, lanzhou_rulebook):
    _check_agreement(meeting, lanzhou_rulebook, city="兰州市")


def test_the_plan_moves_with_the_lanzhou_pack():
    meeting = dt.date(2026, 6, 18)
    data = _only_started(_base_for(meeting, "兰州市"))
    national = plan_dossier(load_data(data), rulebook(), target=meeting, today=dt.date(2026, 3, 1))
    city = plan_dossier(load_data(data), load_rulebook(extra=(LANZHOU,)), target=meeting, today=dt.date(2026, 3, 1))

    def row(plan, step, field):
        return next(r for r in plan.steps if (r.step, r.field) == (step, field))

    # 7 working days before Thursday 18 June 2026: 9 June; 10 working days: 4 June (no holiday in between)
    assert row(national, "legality-review", "submitted_on").latest == dt.date(2026, 6, 9)
    review = row(city, "legality-review", "submitted_on")
    assert review.latest == dt.date(2026, 6, 4)
    assert [(f.value, f.pack) for f in review.figures] == [(10, "lanzhou/major-decision")]
    # the comment period closes by the meeting: 30 days before it, or 45 under the city's figure
    assert row(national, "public-comment", "published_on").latest == dt.date(2026, 5, 19)
    assert row(city, "public-comment", "published_on").latest == dt.date(2026, 5, 4)
    assert "lanzhou/major-decision" in city.packs and "lanzhou/major-decision" not in national.packs


def _plan(data, book=None, **kw):
    return plan_dossier(load_data(data), book or rulebook(), **kw)


def _row(plan, step, field):
    return next(r for r in plan.steps if (r.step, r.field) == (step, field))


def test_legality_review_across_national_day_2025():
    # 2025: 1–8 October off, Sunday 28 September and Saturday 11 October worked (国办发明电〔2024〕12号)
    meeting = dt.date(2025, 10, 10)
    data = _base_for(meeting)
    plan = _plan(_only_started(data), target=meeting, today=dt.date(2025, 6, 1))
    row = _row(plan, "legality-review", "submitted_on")
    # back from Friday 10 October: 9 Oct, 30, 29, 28 (Sunday, worked), 26, 25, 24 September
    assert row.latest == dt.date(2025, 9, 24)
    assert row.derives.startswith("集体讨论决定（2025-10-10）前") and "7个工作日" in row.derives
    assert row.articles == ["重大行政决策程序暂行条例（国务院令第713号）第二十六条第二款",
                            "重大行政决策程序暂行条例（国务院令第713号）第四十二条"]
    exact = _on_plan(data, plan)
    assert "MAD-LEGALITY-REVIEW-TIME" not in _fired(exact, rulebook())
    for s in exact["steps"]:
        if s["type"] == "legality-review":
            s["submitted_on"] = "2025-09-25"
    assert "MAD-LEGALITY-REVIEW-TIME" in _fired(exact, rulebook())


def test_publication_across_spring_festival_2026():
    # 2026: 15–23 February off, Saturdays 14 and 28 February worked
    meeting = dt.date(2026, 1, 30)
    plan = _plan(_only_started(_base_for(meeting)), target=meeting, today=dt.date(2025, 12, 1))
    row = _row(plan, "publication", "published_on")
    # 20 working days after Friday 30 January: 2 Feb … 13 Feb (10), 14 Feb (11), 24–27 Feb (15), 28 Feb (16),
    # 2–5 March (20); Friday 6 March is the 21st
    assert row.latest == dt.date(2026, 3, 5) and row.last_working_day is None
    assert [(f.value, f.unit) for f in row.figures] == [(20, "个工作日")]


def _enforcement(filed: str) -> dict:
    data = base_data(next(p for p in ENF_BASES if "penalty" in p.name))
    steps = [s for s in data["steps"] if s["type"] in ("case-filing",)]
    delta = dt.date.fromisoformat(filed) - dt.date.fromisoformat(str(steps[0]["filed_on"]))
    data = _shift(data, delta)
    data["steps"] = [s for s in data["steps"] if s["type"] == "case-filing"]
    data["decision"]["stage"] = "pre-review"
    return data


def test_the_ninety_day_limit_from_filing_is_the_default_target_and_extends_over_spring_festival():
    # filed 19 November 2025: day 90 is 17 February 2026, in the Spring Festival holiday; the period ends on
    # the day after it, Tuesday 24 February (民法典第二百零三条)
    plan = _plan(_enforcement("2025-11-19"), today=dt.date(2025, 12, 1))
    assert plan.target == dt.date(2026, 2, 24)
    assert "九十" in plan.target_source or "90" in plan.target_source
    target = _row(plan, "decision", "decided_on")
    assert target.status == "target" and target.latest == dt.date(2026, 2, 24)


def test_service_within_seven_working_days_across_spring_festival():
    plan = _plan(_enforcement("2025-12-01"), target=dt.date(2026, 2, 12), today=dt.date(2025, 12, 2))
    svc = _row(plan, "service", "served_on")
    # after Thursday 12 February: 13, 14 (Saturday, worked), 24, 25, 26, 27, 28 (Saturday, worked); Sunday
    # 1 March counts as the 28th still: the latest day is that Sunday, the last working day the 28th
    assert svc.latest == dt.date(2026, 3, 1) and svc.last_working_day == dt.date(2026, 2, 28)
    assert svc.rule == "PEN-SERVICE-LATE" and svc.figures[0].value == 7


def test_a_target_later_than_the_limit_is_impossible_by_so_many_days():
    plan = _plan(_enforcement("2025-11-19"), target=dt.date(2026, 3, 2), today=dt.date(2025, 12, 1))
    target = _row(plan, "decision", "decided_on")
    assert target.status == "impossible" and target.margin == 6 and target.margin_unit == "日"
    assert "延长" in target.allows and plan.failed


def test_a_plan_into_2027_fails_closed_with_a_chinese_message():
    meeting = dt.date(2027, 1, 20)
    data = _only_started(_base_for(dt.date(2026, 11, 20)))
    plan = _plan(data, target=meeting, today=dt.date(2026, 11, 25))
    review = _row(plan, "legality-review", "submitted_on")
    assert review.status == "calendar-gap" and review.latest is None
    assert "不在工作日历覆盖范围内" in review.note and plan.failed
    # what counts in calendar days from the meeting is still planned; what counts from a gap is not guessed,
    # nor a date one of whose limits is a gap (the comment must also be published before the submission)
    assert _row(plan, "public-comment", "closes_on").latest == meeting
    assert _row(plan, "hearing", "held_on").status == "calendar-gap"
    assert _row(plan, "public-comment", "published_on").status == "calendar-gap"


def test_done_steps_are_checked_on_time_late_or_excepted():
    meeting = dt.date(2026, 6, 18)
    data = _base_for(meeting)
    data["steps"] = [s for s in data["steps"] if s["type"] not in ("collective-discussion", "party-report",
                                                                      "publication", "archiving")]
    data["decision"]["stage"] = "pre-meeting"
    for s in data["steps"]:
        if s["type"] == "legality-review":
            s["submitted_on"], s["opinion_on"] = "2026-06-12", "2026-06-17"
        if s["type"] == "public-comment":
            s["published_on"], s["closes_on"] = "2026-05-01", "2026-05-21"
    plan = _plan(data, target=meeting, today=dt.date(2026, 6, 1))
    review = _row(plan, "legality-review", "submitted_on")
    assert review.status == "late" and review.margin == 3 and review.margin_unit == "个工作日"
    assert "书面说明理由" in review.allows
    comment = _row(plan, "public-comment", "published_on")
    assert comment.status == "late" and comment.margin == 10 and comment.latest == dt.date(2026, 4, 21)
    for s in data["steps"]:
        if s["type"] == "public-comment":
            s["shortening_reason"] = "防汛安全需要，缩短征求意见期限"
    comment = _row(_plan(data, target=meeting, today=dt.date(2026, 6, 1)), "public-comment", "published_on")
    assert comment.status == "excepted" and "缩短理由" in comment.allows
    assert _row(plan, "legality-review", "opinion_on").status == "on-time"


def test_a_step_not_done_whose_latest_date_has_passed_is_impossible():
    meeting = dt.date(2026, 6, 18)
    plan = _plan(_only_started(_base_for(meeting)), target=meeting, today=dt.date(2026, 6, 11))
    review = _row(plan, "legality-review", "submitted_on")
    assert review.status == "impossible" and review.margin == 2 and review.margin_unit == "个工作日"
    assert _row(plan, "legality-review", "opinion_on").status == "planned"


def test_steps_the_circumstances_do_not_require_are_not_planned():
    meeting = dt.date(2026, 6, 18)
    data = _only_started(_base_for(meeting))
    c = data["decision"]["circumstances"]
    for key in ("hearing_required_by", "stability_risk", "public_interest", "technical"):
        c.pop(key, None)
    plan = _plan(data, target=meeting, today=dt.date(2026, 3, 1))
    steps = {r.step for r in plan.steps}
    assert "hearing" not in steps and "risk-assessment" not in steps and "expert-review" not in steps
    assert {"legality-review", "public-comment", "publication"} <= steps


def test_a_plan_needs_a_date_when_nothing_limits_it():
    with pytest.raises(DossierError) as err:
        _plan(_only_started(_base_for(dt.date(2026, 6, 18))), today=dt.date(2026, 3, 1))
    assert "--meeting" in str(err.value.problems[0].message)


def test_the_plan_is_deterministic():
    meeting = dt.date(2026, 6, 18)
    data = _only_started(_base_for(meeting))
    a = _plan(data, target=meeting, today=dt.date(2026, 3, 1)).model_dump_json()
    assert a == _plan(data, target=meeting, today=dt.date(2026, 3, 1)).model_dump_json()


# ---------------------------------------------------------------- enforcement: from the decision date

PENALTY = next(p for p in ENF_BASES if "penalty" in p.name)
DECISION_IN_FIXTURE = dt.date(2025, 5, 28)
AFTER_DECISION = ("legal-review", "collective-discussion", "decision", "service", "publication", "filing")


def _penalty_for(decided: dt.date) -> dict:
    return _shift(base_data(PENALTY), decided - DECISION_IN_FIXTURE)


def _before_decision(data: dict) -> dict:
    out = copy.deepcopy(data)
    out["steps"] = [s for s in out["steps"] if s["type"] not in AFTER_DECISION]
    out["decision"]["stage"] = "pre-review"
    return out


def _moved(data: dict, step: str, field: str, day: dt.date) -> dict:
    out = copy.deepcopy(data)
    for s in out["steps"]:
        if s["type"] == step:
            s[field] = day.isoformat()
    return out


@settings(max_examples=12, deadline=None)
@given(decided=st.dates(min_value=dt.date(2021, 11, 1), max_value=dt.date(2026, 12, 15)))
def test_an_enforcement_plan_agrees_with_the_rules(decided):
    book = rulebook()
    data = _penalty_for(decided)
    plan = plan_dossier(load_data(_before_decision(data)), book, target=decided, today=decided - dt.timedelta(days=60))
    assert not plan.gaps, plan.gaps
    planned = [r for r in plan.steps if r.status == "planned"]
    assert {(r.step, r.field) for r in planned} >= {("legal-review", "opinion_on"), ("service", "served_on"),
                                                    ("publication", "published_on")}
    # what is done before the decision is checked against it: the compliant fixture is on time
    assert {r.status for r in plan.steps if r.done_on and r.status != "target"} == {"on-time"}
    exact = data
    for row in planned:
        exact = _moved(exact, row.step, row.field, row.latest)
    assert not _fired(exact, book) - _fired(data, book), decided
    for row in planned:
        later = _moved(exact, row.step, row.field, row.latest + dt.timedelta(days=1))
        assert row.rule in _fired(later, book), f"{row.step}.{row.field} after {row.latest}: {row.rule} quiet"


@settings(max_examples=12, deadline=None)
@given(filed=st.dates(min_value=dt.date(2021, 8, 1), max_value=dt.date(2026, 9, 1)))
def test_the_default_decision_date_is_the_last_day_the_ninety_day_rule_allows(filed):
    book = rulebook()
    # the fixture decides 84 days after filing: moved so that filing falls on `filed`
    data = _penalty_for(filed + (DECISION_IN_FIXTURE - dt.date(2025, 3, 5)))
    plan = plan_dossier(load_data(_before_decision(data)), book, today=filed)
    assert plan.target >= filed + dt.timedelta(days=90) and "PEN-CASE-DEADLINE" in plan.target_source
    on_time = _moved(data, "decision", "decided_on", plan.target)
    assert "PEN-CASE-DEADLINE" not in _fired(on_time, book)
    late = _moved(data, "decision", "decided_on", plan.target + dt.timedelta(days=1))
    assert "PEN-CASE-DEADLINE" in _fired(late, book)


# ---------------------------------------------------------------- normative documents: from the deliberation

NDOC = ROOT / "rules" / "_fixtures" / "normative-document-compliant.yaml"
DELIBERATION_IN_FIXTURE = dt.date(2025, 5, 27)


@settings(max_examples=12, deadline=None)
@given(held=st.dates(min_value=dt.date(2020, 3, 1), max_value=dt.date(2026, 11, 20)))
def test_a_normative_document_plan_agrees_with_the_rules(held):
    book = rulebook()
    data = _shift(base_data(NDOC), held - DELIBERATION_IN_FIXTURE)
    start = copy.deepcopy(data)
    start["steps"] = [s for s in start["steps"] if s["type"] == "assessment"]
    start["decision"]["stage"] = "drafting"
    plan = plan_dossier(load_data(start), book, target=held, today=held - dt.timedelta(days=200))
    assert not plan.gaps, plan.gaps
    planned = [r for r in plan.steps if r.status == "planned"]
    assert {(r.step, r.field) for r in planned} >= {("legality-review", "submitted_on"), ("public-comment", "published_on"),
                                                    ("public-comment", "closes_on")}
    exact = data
    for row in planned:
        exact = _opinion_after_submission(_moved(exact, row.step, row.field, row.latest))
    assert not _fired(exact, book) - _fired(data, book), held
    for row in planned:
        later = _opinion_after_submission(_moved(exact, row.step, row.field, row.latest + dt.timedelta(days=1)))
        assert row.rule in _fired(later, book), f"{row.step}.{row.field} after {row.latest}: {row.rule} quiet"


def _opinion_after_submission(data: dict) -> dict:
    """The plan dates the submission; the opinion cannot precede it (the model refuses that)."""
    for s in data["steps"]:
        if s["type"] == "legality-review" and s["opinion_on"] < s["submitted_on"]:
            s["opinion_on"] = s["submitted_on"]
    return data
