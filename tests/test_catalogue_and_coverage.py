"""The requirement catalogue is well formed, and every requirement of a kind is accounted for once."""
import re
from collections import Counter

import pytest
import yaml

from prereview.engine import kinds

from prereview.engine.kinds import KINDS

from helpers import ROOT, rulebook

MAD_PREFIXES = ("MAD-", "GS-MAD-", "GS58-MAD-")


def _catalogue():
    return yaml.safe_load((ROOT / "rules" / "catalogue.yaml").read_text("utf-8"))["requirements"]


def test_the_catalogue_is_the_projects_own_record_one_entry_per_requirement():
    # rules/catalogue.yaml was taken from the legal-basis catalogue; it stands alone in the repository now
    entries = _catalogue()
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for e in entries:
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)+", e["id"]) and e.get("section") and e.get("source"), e
    assert {i.split("-")[0] for i in ids} >= {"MAD", "GS", "GS58", "PEN", "EXE", "LIC", "COE", "NDOC", "DAYCOUNT"}


# the prefixes each kind's checklist must account for: those its kind declares
ACCOUNTED = {code: kind.coverage_prefixes for code, kind in KINDS.items()}
PENDING: dict = {}  # rules whose checklist items are still to come (none)


def _checklist(kind):
    return yaml.safe_load((ROOT / "checklists" / f"{kind}.yaml").read_text("utf-8"))


@pytest.mark.parametrize("kind", sorted(ACCOUNTED))
def test_every_requirement_is_a_rule_a_checklist_item_or_not_checkable_exactly_once(kind):
    ids = [e["id"] for e in _catalogue() if e["id"].startswith(ACCOUNTED[kind])]
    checklist = _checklist(kind)
    by_rules = set(rulebook().implementers(kind))
    by_items = Counter(req for item in checklist["items"] for req in item.get("requirements", []))
    not_checkable = Counter(entry["requirement"] for entry in checklist["not_checkable"])
    places = {i: [name for name, found in (("rule", i in by_rules), ("checklist", i in by_items),
                                           ("not_checkable", i in not_checkable)) if found] for i in ids}
    unaccounted = sorted(i for i, where in places.items() if not where)
    twice = sorted((i, where) for i, where in places.items() if len(where) > 1)
    repeated = sorted(i for i, n in (by_items + not_checkable).items() if n > 1)
    assert not unaccounted, f"未归类的要求：{unaccounted}"
    assert not twice, f"归入多处的要求：{twice}"
    assert not repeated, f"清单中重复出现：{repeated}"
    allowed = {e["id"] for e in _catalogue() if e["id"].startswith(kinds.get(kind).coverage_prefixes)}
    assert set(by_items) | set(not_checkable) <= allowed | {"", None}


@pytest.mark.parametrize("kind", sorted(ACCOUNTED))
def test_checklist_machine_items_name_existing_rules(kind):
    known = {r.id for r in rulebook().rules}
    for item in _checklist(kind)["items"]:
        if item["decided_by"] == "machine":
            assert item["rules"] and set(item["rules"]) <= known, item["id"]


@pytest.mark.parametrize("kind", sorted(ACCOUNTED))
def test_every_rule_is_decided_by_one_machine_item_of_its_checklist(kind):
    items = _checklist(kind)["items"]
    linked = Counter(rule for item in items if item["decided_by"] == "machine" for rule in item["rules"])
    rules = {r.id for r in rulebook().rules if kind in r.spec.kinds
             and not all(req.startswith(PENDING.get(kind, ())) for req in r.spec.implements)}
    assert set(linked) == rules, sorted(rules ^ set(linked))
    assert max(linked.values()) == 1


def test_the_penalty_and_three_systems_requirements_are_all_in_the_catalogue():
    ids = [e["id"] for e in _catalogue() if e["id"].startswith(("PEN-", "EXE-", "BIZ-", "GS-EXE-", "GS58-ENF-"))]
    assert len(ids) == 65 and {"BIZ-THREE-SYSTEMS", "EXE-PUB-POST-PEN-LIC", "EXE-PUB-POST-GENERAL"} <= set(ids)
