"""The facts stage: what rules see matches the attribute schema rules are checked against."""
import datetime as dt

from prereview.engine import load_dossier
from prereview.engine.facts import SCHEMA, as_of_date, derive

from helpers import BASE, EXAMPLES

PY_TYPES = {"date": int, "int": int, "bool": bool, "text": str, "enum": str}


def _all_facts():
    for path in [BASE, *sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json") and p.name != "expected.yaml")]:
        loaded = load_dossier(path)
        yield path.name, derive(loaded, as_of_date(loaded.dossier))


def test_every_attribute_a_fact_carries_is_in_the_schema_with_its_type():
    for name, facts in _all_facts():
        for fact in facts:
            subtype = fact.data.get("type") if fact.data["t"] == "step" else None
            known = SCHEMA.attributes(fact.data["t"], subtype)
            for attr, value in fact.data.items():
                if attr in ("t", "id", "sid", "type", "parent"):
                    continue
                assert attr in known, (name, fact.label, attr)
                kind = SCHEMA.type_of(attr)
                assert isinstance(value, PY_TYPES[kind]) and (kind == "bool") == isinstance(value, bool), \
                    (name, attr, kind, value)
                assert value is not None


def test_durations_are_calendar_days_and_dates_are_day_numbers():
    loaded = load_dossier(BASE)
    facts = {f.data.get("type"): f for f in derive(loaded, as_of_date(loaded.dossier)) if f.data["t"] == "step"}
    comment = facts["public-comment"]
    assert comment.display["published_on"] == "2025-03-01"
    assert comment.data["published_on"] == dt.date(2025, 3, 1).toordinal()
    assert comment.data["days"] == 31 and comment.display["days"] == "31"
    assert [p[-1] for p in comment.positions("days")] == ["published_on", "closes_on"]
    orders = sorted(f.data["order"] for f in facts.values())
    assert orders == list(range(1, len(facts) + 1))


def test_the_as_of_date_is_given_declared_or_the_last_date_of_the_record():
    loaded = load_dossier(BASE)
    assert as_of_date(loaded.dossier) == dt.date(2025, 6, 20)
    assert as_of_date(loaded.dossier, dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)
