"""Shared helpers for the tests: the compliant base dossier and ways to change it."""
from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path

import yaml

from prereview.engine import load_dossier_text, load_rulebook, run_review
from prereview.engine.source import dotted, read_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "rules" / "_fixtures"
BASE = FIXTURES / "major-decision-compliant.yaml"
# every compliant enforcement base (penalty today; licence and coercion bases are picked up when they arrive)
ENF_BASES = sorted(FIXTURES.glob("enforcement-*-compliant.yaml"))
EXAMPLES = ROOT / "examples"


@lru_cache(maxsize=None)
def rulebook():
    return load_rulebook()


def base_data(path: Path = BASE) -> dict:
    return copy.deepcopy(_fixture(path))


@lru_cache(maxsize=None)
def _fixture(path: Path) -> dict:
    doc, problems = read_file(path)
    assert not problems, problems
    return doc.data


def load_data(data: dict, name: str = "case.yaml"):
    return load_dossier_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), name)


def review_data(data: dict, name: str = "case.yaml", rules=None):
    return run_review(load_data(data, name), rules or rulebook())


def finding_keys(review) -> list[tuple]:
    """What a finding says, independent of where in the file the records stand."""
    return sorted((f.rule_id, f.severity, f.message) for f in review.findings)


def as_json(review) -> bytes:
    return json.dumps(review.to_dict(), ensure_ascii=False, sort_keys=False).encode("utf-8")


def permuted(data, rng) -> tuple[dict, dict]:
    """A copy of `data` with the items of every list (steps, materials, officers, measures, channels, a step's
    material references ...) and the keys of every mapping in a random order.

    Also returns, for each list by its path in the copy, the index each of its items had in `data`.
    """
    back: dict[tuple, list[int]] = {}

    def walk(node, path):
        if isinstance(node, dict):
            keys = list(node)
            rng.shuffle(keys)
            return {k: walk(node[k], path + (k,)) for k in keys}
        if isinstance(node, list):
            order = list(range(len(node)))
            rng.shuffle(order)
            back[path] = order
            return [walk(node[o], path + (j,)) for j, o in enumerate(order)]
        return node

    return walk(data, ()), back


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _pos(field: str) -> tuple:
    """"steps[3].officers[0].name" -> ("steps", 3, "officers", 0, "name") (the inverse of source.dotted)."""
    return tuple(int(i) if i else k for k, i in _PART.findall(field))


def _unpermute(pos: tuple, back: dict) -> tuple:
    here, out = (), []
    for part in pos:
        out.append(back[here][part] if isinstance(part, int) else part)
        here += (part,)
    return tuple(out)


def json_in_original_places(review, back: dict, original) -> bytes:
    """The JSON of a review of a permuted dossier, with each evidence location (field path and line) translated
    back to the record it names in the original file, and the hash of the original file.

    Where a finding points is the one thing a permutation must change; once translated back, the output of a
    permuted dossier must be byte-identical to the original's: same findings, same order, same evidence.
    """
    d = review.to_dict()
    for finding in d["findings"]:
        for ev in finding["evidence"]:
            pos = _unpermute(_pos(ev["field"]), back)
            ev["field"], ev["line"] = dotted(pos), original.doc.line(pos)
    d["receipt"]["dossier_sha256"] = original.sha256
    return json.dumps(d, ensure_ascii=False, sort_keys=False).encode("utf-8")


def reorder_steps(data, order: list[int]) -> tuple[dict, dict]:
    """A copy of `data` whose step j is the original step order[j], with the back-map for
    json_in_original_places (every other list keeps its order)."""
    new_index = {o: j for j, o in enumerate(order)}
    back: dict[tuple, list[int]] = {}

    def walk(node, new):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, new + (k,))
        elif isinstance(node, list):
            back[new] = list(range(len(node)))
            for j, v in enumerate(node):
                walk(v, new + ((new_index[j],) if new == ("steps",) else (j,)))

    walk(data, ())
    back[("steps",)] = list(order)
    out = copy.deepcopy(data)
    out["steps"] = [copy.deepcopy(data["steps"][o]) for o in order]
    return out, back


def in_child(fn, *args):
    """Run fn(*args) in a forked child: a crash of the rule engine (durable-rules is a C extension) fails the
    test that caused it, with the signal, instead of ending the whole test run. An assertion error in the
    child is raised here with the child's traceback."""
    import os
    import traceback

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(r)
        code, text = 0, b""
        try:
            fn(*args)
        except BaseException:
            code, text = 1, traceback.format_exc().encode("utf-8")[-60000:]
        os.write(w, text)
        os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as pipe:
        text = pipe.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        raise AssertionError(f"子进程被信号 {os.WTERMSIG(status)} 终止：规则引擎崩溃 (the rule engine crashed)")
    if os.WEXITSTATUS(status):
        raise AssertionError(text)
