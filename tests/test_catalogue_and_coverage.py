"""The requirement catalogue is well formed, and every major-decision requirement is accounted for once."""
import re
from collections import Counter

import yaml

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


def test_every_major_decision_requirement_is_a_rule_a_checklist_item_or_not_checkable_exactly_once():
    ids = [e["id"] for e in _catalogue() if e["id"].startswith(MAD_PREFIXES)]
    checklist = yaml.safe_load((ROOT / "checklists" / "major-decision.yaml").read_text("utf-8"))
    by_rules = {req for r in rulebook().rules if "major-decision" in r.spec.kinds for req in r.spec.implements}
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
    assert set(by_items) | set(not_checkable) <= set(ids) | {"", None}


def test_checklist_machine_items_name_existing_rules():
    checklist = yaml.safe_load((ROOT / "checklists" / "major-decision.yaml").read_text("utf-8"))
    known = {r.id for r in rulebook().rules}
    for item in checklist["items"]:
        if item["decided_by"] == "machine":
            assert item["rules"] and set(item["rules"]) <= known, item["id"]


def test_every_major_decision_rule_is_decided_by_one_machine_item_of_the_checklist():
    checklist = yaml.safe_load((ROOT / "checklists" / "major-decision.yaml").read_text("utf-8"))
    linked = Counter(rule for item in checklist["items"] if item["decided_by"] == "machine" for rule in item["rules"])
    rules = {r.id for r in rulebook().rules if "major-decision" in r.spec.kinds}
    assert set(linked) == rules, sorted(rules ^ set(linked))
    assert max(linked.values()) == 1
