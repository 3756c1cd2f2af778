"""The facts stage: what rules see matches the attribute schema rules are checked against."""
import datetime as dt

from prereview.engine import kinds, load_dossier
from prereview.engine.calendar import load_calendar
from prereview.engine.facts import as_of_date, derive, schema_for

from helpers import BASE, EXAMPLES

PY_TYPES = {"date": int, "int": int, "bool": bool, "text": str, "enum": str}


def _facts(loaded):
    kind = kinds.get(loaded.dossier.decision.kind)
    return kind, derive(loaded, kind, as_of_date(loaded.dossier), load_calendar())


def _all_facts():
    for path in [BASE, *sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json") and p.name != "expected.yaml")]:
        yield path.name, *_facts(load_dossier(path))


def test_every_attribute_a_fact_carries_is_in_the_schema_with_its_type():
    for name, kind, facts in _all_facts():
        schema = schema_for(kind)
        for fact in facts:
            subtype = fact.data.get("type") if fact.data["t"] == "step" else None
            known = schema.attributes(fact.data["t"], subtype)
            for attr, value in fact.data.items():
                if attr in ("t", "id", "sid", "type", "parent"):
                    continue
                assert attr in known, (name, fact.label, attr)
                type_ = schema.type_of(attr)
                assert isinstance(value, PY_TYPES[type_]) and (type_ == "bool") == isinstance(value, bool), \
                    (name, attr, type_, value)
                assert value is not None


def test_durations_are_calendar_days_and_dates_are_day_numbers():
    facts = {f.data.get("type"): f for f in _facts(load_dossier(BASE))[1] if f.data["t"] == "step"}
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


def test_every_covered_date_carries_its_working_day_ordinal_flag_and_rest_run():
    calendar = load_calendar()
    facts = {f.data.get("type"): f for f in _facts(load_dossier(BASE))[1] if f.data["t"] == "step"}
    comment = facts["public-comment"]
    published, closes = dt.date(2025, 3, 1), dt.date(2025, 4, 1)   # a Saturday and a Tuesday
    assert comment.data["published_on_wd"] == calendar.ordinal(published)
    assert comment.data["closes_on_wd"] - comment.data["published_on_wd"] == calendar.working_days_between(published, closes)
    assert comment.data["published_on_workday"] is False and comment.data["closes_on_workday"] is True
    for name, _, facts in _all_facts():
        for fact in facts:
            for attr in [a for a in fact.data if a.endswith("_rest_from")]:
                day = dt.date.fromordinal(fact.data[attr.removesuffix("_rest_from")])
                start = dt.date.fromordinal(fact.data[attr])
                # the days from the run's start to the day before the date are rest days; the day before the run is not
                assert start <= day and calendar.is_working_day(start - dt.timedelta(days=1)), (name, attr)
                assert not any(calendar.is_working_day(start + dt.timedelta(days=k)) for k in range((day - start).days))
