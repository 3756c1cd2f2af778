"""Fuzz the loader: whatever a file holds, the result is a loaded dossier or a located DossierError.

Arbitrary bytes, arbitrary YAML documents and mutated example dossiers; every problem names the file,
a line or a field, and says in Chinese what is wrong. Mutated dossiers that load are also reviewed:
a review or a DossierError, never another exception.
"""
from __future__ import annotations

import json
import re

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prereview.engine import DossierError, LoadedDossier, run_review
from prereview.engine.load import load_dossier_bytes, load_dossier_text

from helpers import EXAMPLES, rulebook

CJK = re.compile("[\u4e00-\u9fff]")
EXAMPLE_TEXTS = sorted((p.name, p.read_bytes()) for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json")
                       and p.name != "expected.yaml")
FUZZ = settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", 300)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(load, content, name: str):
    try:
        return load(content, name)
    except DossierError as err:
        assert err.problems
        for p in err.problems:
            assert p.path == name, p
            assert p.line or p.field, p
            assert CJK.search(p.message), p
            assert len(str(p)) < 20_000, "an error message must not echo a huge input"
        return err


@FUZZ
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes(raw):
    assert isinstance(_load(load_dossier_bytes, raw, "fuzz.yaml"), (LoadedDossier, DossierError))


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
                    st.sampled_from(["2025-03-01", "major-decision", "initiation", "city", "public-policy"]))
keys = st.one_of(st.text(max_size=10), st.sampled_from(
    ["decision", "title", "kind", "stage", "organ", "steps", "materials", "type", "held_on", "schema", "id"]))
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
                         max_leaves=40)


@FUZZ
@given(documents, st.sampled_from(["yaml", "flow", "json"]))
def test_arbitrary_yaml(data, style):
    text = json.dumps(data, ensure_ascii=False) if style == "json" else \
        yaml.safe_dump(data, allow_unicode=True, default_flow_style=(style == "flow"))
    assert isinstance(_load(load_dossier_text, text, "fuzz.yaml"), (LoadedDossier, DossierError))


NOISE = ["\x00", "\x0b", "\x0c", "\x7f", "\t", "\r", "\n", " ", ":", ": ", "- ", "#", '"', "'", "[", "]", "{", "}",
         ",", "&a ", "*a", "!!str ", "!!int ", "? ", "|", ">", "---\n", "0126", "yes", "~", "\\", "\ufeff", "长",
         "\u2028", "\x85"]


@st.composite
def mutated(draw):
    name, raw = draw(st.sampled_from(EXAMPLE_TEXTS))
    lines = raw.split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "indent", "dedent", "swap", "value", "bytes"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.sampled_from(NOISE)).encode() + lines[i][at:]
        elif op == "indent":
            lines[i] = b" " * draw(st.integers(1, 3)) + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip(b" ")
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "value" and b": " in lines[i]:
            head = lines[i].split(b": ", 1)[0]
            lines[i] = head + b": " + draw(st.sampled_from(NOISE + ["2025-02-30", "-1", "10000000000", "null"])).encode()
        elif op == "bytes":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.binary(min_size=1, max_size=3)) + lines[i][at:]
        if not lines:
            lines = [b""]
    if draw(st.booleans()) and draw(st.booleans()):
        lines = lines[:draw(st.integers(0, len(lines)))]  # truncated
    return name, b"\n".join(lines)


@FUZZ
@given(mutated())
def test_mutated_examples(case):
    name, raw = case
    result = _load(load_dossier_bytes, raw, name)
    if isinstance(result, LoadedDossier):
        try:
            run_review(result, rulebook())
        except DossierError as err:  # no rule for the kind or the date: still a located problem
            assert all(p.path == name and (p.line or p.field) for p in err.problems)
