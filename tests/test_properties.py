"""Properties that must hold for every dossier, checked on many generated ones."""
import copy
import datetime as dt
import gc
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import as_json, base_data, finding_keys, review_data

STEP_TYPES = [s["type"] for s in base_data()["steps"]]
FLAGS = ["technical", "stability_risk", "public_interest", "widely_watched", "other_units_affected",
         "market_activity"]
STAGES = ["pre-review", "pre-meeting", "decided", "issued", "archived"]

# The mandatory steps of the compliant base (all circumstances declared, stage archived) and the
# requirement whose rule must report each one missing. Public comment is not here: any form of
# participation satisfies Art. 14, and the base keeps its hearing and group consultation.
MANDATORY = {
    "initiation": "MAD-INITIATION",
    "interagency-consultation": "MAD-INTERAGENCY-CONSULT",
    "group-consultation": "MAD-SPECIFIC-GROUP-CONSULT",
    "hearing": "MAD-HEARING-WHEN",
    "expert-review": "MAD-EXPERT-REVIEW",
    "risk-assessment": "MAD-RISK-ASSESSMENT",
    "fair-competition-review": "MAD-FAIR-COMPETITION",
    "legality-review": "MAD-LEGALITY-REVIEW-REQUIRED",
    "collective-discussion": "MAD-COLLECTIVE-DISCUSSION",
    "party-report": "MAD-PARTY-REPORT",
    "publication": "MAD-PUBLICATION",
    "archiving": "MAD-ARCHIVING",
}


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
    return data


@st.composite
def dossiers(draw):
    return mutate(base_data(), lambda options: draw(st.sampled_from(list(options))))


def _shuffled(data, seed):
    out = copy.deepcopy(data)
    rng = random.Random(seed)
    rng.shuffle(out["steps"])
    rng.shuffle(out["materials"])
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dossiers(), st.integers(0, 2**32))
def test_findings_do_not_depend_on_the_order_of_steps_or_materials(data, seed):
    assert finding_keys(review_data(_shuffled(data, seed))) == finding_keys(review_data(data))


@settings(max_examples=60, deadline=None)
@given(dossiers())
def test_the_same_dossier_gives_byte_identical_json(data):
    assert as_json(review_data(data)) == as_json(review_data(copy.deepcopy(data)))


def test_the_compliant_base_passes_with_no_findings():
    review = review_data(base_data())
    assert review.verdict == "pass" and review.findings == []


def test_deleting_any_mandatory_step_yields_a_finding_for_its_requirement():
    for step_type, requirement in MANDATORY.items():
        data = base_data()
        data["steps"] = [s for s in data["steps"] if s["type"] != step_type]
        review = review_data(data)
        implemented = {req for f in review.findings for req in f.implements}
        assert requirement in implemented, f"删除 {step_type} 后没有实现 {requirement} 的发现：{finding_keys(review)}"
        assert review.verdict != "pass"


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
