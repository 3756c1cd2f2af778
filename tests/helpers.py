"""Shared helpers for the tests: the compliant base dossier and ways to change it."""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

import yaml

from prereview.engine import load_dossier_text, load_rulebook, run_review
from prereview.engine.source import read_file

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "rules" / "_fixtures" / "major-decision-compliant.yaml"
EXAMPLES = ROOT / "examples"


@lru_cache(maxsize=None)
def rulebook():
    return load_rulebook()


def base_data() -> dict:
    doc, problems = read_file(BASE)
    assert not problems
    return copy.deepcopy(doc.data)


def review_data(data: dict, name: str = "case.yaml"):
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return run_review(load_dossier_text(text, name), rulebook())


def finding_keys(review) -> list[tuple]:
    """What a finding says, independent of where in the file the records stand."""
    return sorted((f.rule_id, f.severity, f.message) for f in review.findings)


def as_json(review) -> bytes:
    return json.dumps(review.to_dict(), ensure_ascii=False, sort_keys=False).encode("utf-8")
