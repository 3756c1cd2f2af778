"""Properties that must hold for every dossier, checked on many generated ones."""
import copy
import datetime as dt
import gc
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import yaml

from prereview.engine.source import read_file

from helpers import (EXAMPLES, as_json, base_data, finding_keys, json_in_original_places, load_data, permuted,
                     reorder_steps, review_data)

STEP_TYPES = [s["type"] for s in base_data()["steps"]]
FLAGS = ["technical", "stability_risk", "public_interest", "widely_watched", "other_units_affected",
         "market_activity"]
STAGES = ["pre-review", "pre-meeting", "decided", "issued", "archived"]

# Each step type and the requirements whose rules must report it missing where it is mandatory.
# Public comment and other participation are one requirement (Art. 14: any form of participation),
# so deleting one of them must be reported only when no other form remains.
MANDATORY = {
    "initiation": {"MAD-INITIATION"},
    "interagency-consultation": {"MAD-INTERAGENCY-CONSULT"},
    "group-consultation": {"MAD-SPECIFIC-GROUP-CONSULT"},
    "hearing": {"MAD-HEARING-WHEN", "GS58-MAD-HEARING-MANDATORY"},
    "expert-review": {"MAD-EXPERT-REVIEW"},
    "risk-assessment": {"MAD-RISK-ASSESSMENT"},
    "fair-competition-review": {"MAD-FAIR-COMPETITION"},
    "legality-review": {"MAD-LEGALITY-REVIEW-REQUIRED"},
    "collective-discussion": {"MAD-COLLECTIVE-DISCUSSION"},
    "party-report": {"MAD-PARTY-REPORT"},
    "publication": {"MAD-PUBLICATION"},
    "archiving": {"MAD-ARCHIVING"},
    "public-comment": {"MAD-PUBLIC-PARTICIPATION"},
    "participation": {"MAD-PUBLIC-PARTICIPATION"},
}
PARTICIPATION = {"public-comment", "participation", "hearing"}


def mutate(data: dict, pick) -> dict:
    """A valid variant of the compliant base: steps dropped, dates moved, circumstances and stage changed.

    `pick(options)` chooses one option: hypothesis draws in the properties, a seeded Random in the soak test.
    """
    drop = {t for t in STEP_TYPES if pick([False, False, True])}
    data["steps"] = [s for s in data["steps"] if s["type"] not in drop]
    for flag in FLAGS:
        if pick([False, True]):
            data["decision"]["circumstances"][flag] = False
    data["decision"]["stage"] = pick(STAGES)
    for step in data["steps"]:  # move dates by up to ±20 days, keeping each step valid
        shift = pick(range(-20, 21))
        for key, value in list(step.items()):
            if key.endswith("_on") and isinstance(value, str):
                step[key] = (dt.date.fromisoformat(value) + dt.timedelta(days=shift)).isoformat()
        if step["type"] == "legality-review":
            step["conclusion"] = pick(["lawful", "lawful-with-amendments", "not-lawful", "deferred"])
        if step["type"] == "expert-review" and pick([False, True]):
            step["experts"][0]["conflict"] = "direct-interest"
    if pick([False, True]):
        data = with_same_date_participation(data, summary=pick([False, True]))
    return data


def with_same_date_participation(data: dict, summary: bool = True) -> dict:
    """Two participation steps on one date that say different things (the facts rank them by content);
    without the comment summary, the adoption rule judges each of them."""
    out = copy.deepcopy(data)
    out["steps"] += [{"type": "participation", "method": "forum", "held_on": "2025-03-15", "participants": 30},
                     {"type": "participation", "method": "forum", "held_on": "2025-03-15", "participants": 12}]
    if not summary:
        for m in out["materials"]:
            if m["kind"] == "comment-summary":
                m["kind"] = "other"
    return out


@st.composite
def dossiers(draw):
    return mutate(base_data(), lambda options: draw(st.sampled_from(list(options))))


def _shuffled(data, seed):
    out = copy.deepcopy(data)
    rng = random.Random(seed)
    rng.shuffle(out["steps"])
    rng.shuffle(out["materials"])
    return out


def _assert_same_json_in_any_order(data, seed):
    """Every list (steps, materials, experts, units, channels ...) and mapping shuffled: the JSON, with evidence
    translated back to the records it names, is byte-identical."""
    shuffled, back = permuted(data, random.Random(seed))
    assert json_in_original_places(review_data(shuffled), back, load_data(data)) == as_json(review_data(data))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dossiers(), st.integers(0, 2**32))
def test_findings_do_not_depend_on_the_order_of_steps_or_materials(data, seed):
    assert finding_keys(review_data(_shuffled(data, seed))) == finding_keys(review_data(data))
    _assert_same_json_in_any_order(data, seed)


def test_two_participation_steps_on_one_date_give_the_same_output_in_either_order():
    for summary in (True, False):
        data = with_same_date_participation(base_data(), summary)
        fired = [f for f in review_data(data).findings if f.rule_id == "MAD-DISCUSSION-COMMENT-SUMMARY"]
        assert len(fired) == (0 if summary else 1)  # one missing summary, one finding, whichever twin comes first
        n = len(data["steps"])
        swapped, back = reorder_steps(data, list(range(n - 2)) + [n - 1, n - 2])
        assert json_in_original_places(review_data(swapped), back, load_data(data)) == as_json(review_data(data))
        for seed in range(10):
            _assert_same_json_in_any_order(data, seed)


@settings(max_examples=60, deadline=None)
@given(dossiers())
def test_the_same_dossier_gives_byte_identical_json(data):
    assert as_json(review_data(data)) == as_json(review_data(copy.deepcopy(data)))


def test_the_compliant_base_passes_with_no_findings():
    review = review_data(base_data())
    assert review.verdict == "pass" and review.findings == []


def _compliant_dossiers():
    expected = yaml.safe_load((EXAMPLES / "expected.yaml").read_text("utf-8"))["examples"]
    yield "base", base_data()
    for name, want in sorted(expected.items()):
        if want["verdict"] == "pass":
            doc, problems = read_file(EXAMPLES / name)
            assert not problems
            if doc.data["decision"]["kind"] != "major-decision":
                continue  # MANDATORY maps major-decision steps; penalties have their own test below
            yield name, doc.data


def _deletions_found(dossiers, mandatory: dict, skip) -> int:
    """Delete each step of each compliant dossier in turn (unless `skip(step type, remaining types)`): the review
    must report a requirement of `mandatory[step type]` and must not pass. Returns how many deletions were checked."""
    checked = 0
    for name, data in dossiers:
        assert review_data(data).verdict == "pass", name
        for i, step in enumerate(data["steps"]):
            changed = copy.deepcopy(data)
            del changed["steps"][i]
            if skip(step["type"], {s["type"] for s in changed["steps"]}):
                continue
            review = review_data(changed)
            implemented = {req for f in review.findings for req in f.implements}
            assert implemented & mandatory[step["type"]], f"{name}：删除 {step['type']} 后没有相应发现：{finding_keys(review)}"
            assert review.verdict != "pass"
            checked += 1
    return checked


def test_deleting_any_mandatory_step_from_a_compliant_dossier_yields_a_finding_for_its_requirement():
    # another form of public participation may remain
    checked = _deletions_found(_compliant_dossiers(), MANDATORY,
                               lambda t, others: t in ("public-comment", "participation") and others & PARTICIPATION)
    assert checked >= 30  # the base and three compliant examples: 39 deletions today


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_thousands_of_random_dossiers_in_one_process_without_crash_or_memory_growth():
    rng = random.Random(20261126)
    samples = [mutate(base_data(), rng.choice) for _ in range(40)]
    for data in samples:  # warm up: compile, caches
        review_data(data)
    gc.collect()
    before = _rss_kib()
    for n in range(3000):
        data = samples[n % len(samples)]
        review = review_data(_shuffled(data, rng.random()) if n % 3 == 0 else data)
        assert review.verdict in ("pass", "fix-then-submit", "blocked")
    gc.collect()
    grown = _rss_kib() - before
    assert grown < 30 * 1024, f"内存增长 {grown} KiB"


# Penalties: each step type and the requirements whose rules must report it missing. A hearing and a statement
# happen only on the party's request, an extension, recusal or preservation only when needed: they are optional.
PENALTY_MANDATORY = {
    "case-filing": {"PEN-CASE-FILING"},
    "investigation": {"PEN-CASE-FILING"},
    "head-review": {"PEN-HEAD-REVIEW"},
    "notice": {"PEN-PRE-DECISION-NOTICE"},
    "legal-review": {"PEN-LEGAL-REVIEW", "GS-EXE-REQUIRED"},
    "collective-discussion": {"PEN-COLLECTIVE-DISCUSSION"},
    "decision": {"PEN-DECISION-CONTENTS"},
    "service": {"PEN-SERVICE"},
    "publication": {"EXE-PUB-POST-PEN-LIC"},
    "filing": {"GS58-ENF-FILING"},
}
PENALTY_OPTIONAL = {"hearing", "statement", "extension", "recusal", "evidence-preservation"}


def _compliant_penalties():
    expected = yaml.safe_load((EXAMPLES / "expected.yaml").read_text("utf-8"))["examples"]
    base, _ = read_file(EXAMPLES.parent / "rules" / "_fixtures" / "enforcement-penalty-compliant.yaml")
    yield "enforcement-penalty-compliant.yaml", base.data
    for name, want in sorted(expected.items()):
        doc, _ = read_file(EXAMPLES / name)
        if want["verdict"] == "pass" and doc.data["decision"].get("action") == "penalty":
            yield name, doc.data


def test_deleting_any_mandatory_step_of_a_compliant_penalty_yields_a_finding_for_its_requirement():
    # optional steps, or another step of the same type (a second investigation) remains
    checked = _deletions_found(_compliant_penalties(), PENALTY_MANDATORY,
                               lambda t, others: t in PENALTY_OPTIONAL or t in others)
    assert checked >= 25  # the base and two compliant penalty examples
