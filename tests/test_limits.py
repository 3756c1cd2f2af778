"""The limits table: each bound is allowed exactly and refused one past it, located, in Chinese."""
from __future__ import annotations

import pytest

from prereview.engine import DossierError, limits
from prereview.engine.load import load_dossier_bytes
from prereview.engine.source import Located


def _check(data):
    return limits.check(Located("x.yaml", data, {(): 1}, ""))


@pytest.mark.parametrize("name", sorted(limits.LISTS) + ["channels"])
def test_a_list_may_hold_its_limit_and_not_one_more(name):
    limit = limits.LISTS.get(name, limits.ANY_LIST)
    assert _check({"decision": {name: [1] * limit}}) == []
    (p,) = _check({"decision": {name: [1] * (limit + 1)}})
    assert p.field == f"decision.{name}" and f"{limit + 1:,} 项" in p.message and f"{limit:,}" in p.expected


def test_text_keys_numbers_and_fields_at_and_past_their_limits():
    assert _check({"a": "长" * limits.TEXT_CHARS, "n": limits.INTEGER, "m": -limits.INTEGER}) == []
    problems = _check({"a": "长" * (limits.TEXT_CHARS + 1), "n": limits.INTEGER + 1,
                       "k" * (limits.TEXT_CHARS + 1): 1, "f": {str(i): 1 for i in range(limits.KEYS + 1)}})
    assert [p.field for p in problems] == ["a", "n", "", "f"]
    assert all(p.line == 1 and p.message[0] in "文数键字" for p in problems)
    assert _check({"f": {str(i): 1 for i in range(limits.KEYS)}, "b": True}) == []


def test_a_file_past_the_size_limit_is_refused_without_parsing():
    with pytest.raises(DossierError) as info:
        load_dossier_bytes(b"[" * (limits.FILE_BYTES + 1), "big.json")
    (p,) = info.value.problems
    assert p.path == "big.json" and "文件过大" in p.message
