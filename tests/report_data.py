"""Frozen inputs for the report and checklist tests: a five-rule pack, a checklist and two dossiers.

tests/data/rules is a copy of a few rules as they were when the goldens were made, so the
report goldens change only when the report changes, not whenever a rule is added.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from prereview.engine import load_dossier_text, load_rulebook, run_review
from prereview.engine.checklist import apply_answers, load_answers, load_checklist

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden" / "reports"
RULES = DATA / "rules"
CHECKLISTS = DATA / "checklists"
DOSSIERS = {"compliant": DATA / "dossiers" / "compliant.yaml", "defective": DATA / "dossiers" / "defective.yaml"}
ANSWERS = {"defective": DATA / "answers" / "defective.yaml"}
RARE_NAMES = "王喆、李堃、张赟、赵玥"


@lru_cache(maxsize=None)
def rulebook():
    return load_rulebook(RULES)


def checklist():
    return load_checklist("major-decision", CHECKLISTS)


def review_text(text: str, name: str = "tests/data/dossiers/case.yaml"):
    """A review of dossier text; the name is what the report shows as the file."""
    return run_review(load_dossier_text(text, name), rulebook())


def review(name: str, answers: bool = True):
    """The named frozen dossier reviewed, with its checklist merged (and its answers, if any)."""
    path = DOSSIERS[name]
    r = review_text(path.read_text("utf-8"), path.relative_to(ROOT).as_posix())
    ans = load_answers(ANSWERS[name]) if answers and name in ANSWERS else None
    return r, apply_answers(r, checklist(), ans)


def normalise(text: str) -> str:
    """Hashes, the engine version and the stylesheet change for reasons that are not the report's
    content (the stylesheet's effect is checked on the PDF)."""
    text = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", text)
    text = re.sub(r"<style>.*?</style>", "<style>/* reports/assets/official.css */</style>", text, flags=re.S)
    return re.sub(r"prereview \d+\.\d+\.\d+[\w.+-]*", "prereview <version>", text)
