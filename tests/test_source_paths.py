"""libyaml (the fast path) and the pure-Python parser read every file identically: data, lines, problems."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prereview.engine import source
from prereview.engine.source import parse_bytes, parse_text

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    p for folder in ("examples", "rules", "checklists", "api", "tests/bad_inputs", "tests/data")
    for p in (ROOT / folder).rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file()
)


def _both(text: str, name: str):
    fast = parse_text(text, name)
    slow = parse_text(text, name, pure_python=True)
    return fast, slow


def _same(fast, slow) -> None:
    (doc_c, problems_c), (doc_py, problems_py) = fast, slow
    assert problems_c == problems_py
    assert (doc_c is None) == (doc_py is None)
    if doc_c is not None:
        assert doc_c.data == doc_py.data
        assert doc_c.lines == doc_py.lines


def test_libyaml_is_used():
    assert source._CLoader is not None  # PyYAML is installed with libyaml; without it the speed is lost


def test_every_repository_file_is_covered():
    names = {p.relative_to(ROOT).parts[0] for p in FILES}
    assert {"examples", "rules", "checklists"} <= names and len(FILES) > 150


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_both_parsers_read_a_repository_file_identically(path):
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _same(parse_bytes(raw, path.name), parse_bytes(raw, path.name))  # refused before parsing
    fast, slow = _both(text, path.name)
    _same(fast, slow)
    if path.parent.name != "bad_inputs":  # every shipped file reads without a problem
        assert fast[0] is not None and not fast[1], fast[1]


def test_the_located_error_of_a_broken_file_comes_from_the_python_parser():
    fast, slow = _both("decision:\n  title: x\n  sponsor: \"y\n  kind: z\n", "bad.yaml")
    _same(fast, slow)
    assert fast[1][0].line == 3 and "引号未闭合" in fast[1][0].message


def test_the_yaml_1_1_readings_are_refused_on_both_paths():
    fast, slow = _both("a: 0126\nb: yes\nc: 1_000\nd: '0126'\non: 1\n", "x.yaml")
    _same(fast, slow)
    assert [p.field for p in fast[1]] == ["a", "b", "c"]
    assert fast[0].data["d"] == "0126" and fast[0].data["on"] == 1


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=12),
    st.sampled_from(["0126", "yes", "no", "on", "~", "1:30", "0x1f", "2025-03-01", "2025-3-1", "- a", "a: b",
                     "#x", "'q'", '"', "\\", "&a", "*a", "!t", "{", "[", "\t", "null", ".5", "1e3", "+1"]),
)
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=25)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from(["block", "flow", "json"]))
def test_both_parsers_agree_on_generated_documents(data, style):
    if style == "json":
        import json
        text = json.dumps(data, ensure_ascii=False)
    else:
        text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=(style == "flow"))
    _same(*_both(text, "gen.yaml"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list("ab: -[]{},'\"#&*|>\n\t?~0159yeson.\\") + [
    "a: !!int\n", "a: !!float x\n", "!!binary x", "a: !!timestamp 2025-13-45\n", "!!null x", "&a ", "*a"]),
    max_size=40).map("".join))
def test_both_parsers_agree_on_yaml_like_noise(text):
    # (no bare "!": the non-specific tag on an empty value is the one known difference, see source.py)
    fast, slow = _both(text, "noise.yaml")
    if fast[0] is not None and slow[0] is not None:
        _same(fast, slow)
    elif fast[0] is None:  # what libyaml refuses is reported by the Python parser, located
        assert fast[1] and all(p.line for p in fast[1]) and fast[1] == slow[1]
    # else libyaml accepted what PyYAML refuses (a tab as separation space, as YAML 1.2 allows)


BAD = sorted((ROOT / "tests" / "bad_inputs").glob("[a-z][0-9]*"))


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_a_large_refused_file_is_explained_from_libyaml_at_the_same_line(path, monkeypatch):
    # files past 256 KiB are not parsed a second time; the error must still be located and Chinese
    explained = parse_bytes(path.read_bytes(), path.name)
    monkeypatch.setattr(source, "_PYTHON_ERRORS_UP_TO", 0)
    from_libyaml = parse_bytes(path.read_bytes(), path.name)
    assert [(p.line, p.field) for p in from_libyaml[1]] == [(p.line, p.field) for p in explained[1]] or \
        (not explained[1] and from_libyaml[1][0].line)  # a \ud800 escape: libyaml refuses, PyYAML reads it
    for p in from_libyaml[1]:
        assert re.match("[\u4e00-\u9fff]", p.message.removeprefix("无法解析 YAML/JSON：")), p.message
