"""The application layer every door calls (the CLI, the HTTP service, batch work).

Three operations, each returning a new immutable value and never changing its input:
- `review_bytes` / `review_path`: a dossier with a rulebook -> a `ReviewResult`;
- `with_answers`: a result and a reviewer's answers -> a new `ReviewResult` (the checklist merged,
  an answered 不符合 a finding, the verdict recomputed);
- `render`: a result -> report or opinion bytes (html / md / pdf).

`ReviewOut` is the JSON shape of `prereview check --format json` as pydantic models, so the
service's OpenAPI schema documents it; `ReviewOut.of(review).to_json()` equals `review.to_dict()`
(tests/test_app.py proves it on every example). A `ReviewResult` can also be rebuilt from a
stored record (`from_record`): its findings come from the record, never from today's rules.
"""
from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_serializer

from .checklist import AnswersError, AnswersFile, Answers, ChecklistResult, References, apply_answers
from .errors import InputError, Problem
from .load import LoadedDossier, load_dossier, load_dossier_bytes, problems_from_validation
from .review import Evidence, Finding, Review, run_review, verdict_label
from .rulebook import Rulebook


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class EvidenceOut(_Out):
    path: str = Field(description="卷宗文件名（或审查答复文件）")
    line: int | None = Field(description="行号；卷宗中未写出的默认值没有行号")
    field: str = Field(description="字段路径，如 steps[8].opinion_on")
    note: str = ""


class InForceOut(_Out):
    from_: str = Field(alias="from", serialization_alias="from")
    until: str | None = None


class BasisOut(_Out):
    source: str
    number: str = ""
    article: str = ""
    in_force: InForceOut | None = None


class FigureOut(_Out):
    value: int
    unit: str = Field(description="days / working-days / count / yuan / years")
    pack: str = Field(description="设定该数值的规则包（地方规则包可从严）")


class FindingOut(_Out):
    rule_id: str
    severity: str = Field(description="blocking 阻断 / major 重要 / advisory 提示")
    title: str
    message: str
    implements: tuple[str, ...]
    basis: tuple[BasisOut, ...]
    evidence: tuple[EvidenceOut, ...]
    fix: str
    step: str
    pack: str
    pack_version: str = Field(default="", description="产生本发现的规则包版本")
    figures: dict[str, FigureOut] | None = Field(
        default=None, description="本发现所用的数值及设定它的规则包（仅用到数值的规则有）")
    record: str | None = Field(default=None, description="如何在卷宗中记录整改（仅部分规则有）")
    bar: str | None = Field(default=None, description="阻断规则的法律后果（仅部分规则有）")

    @model_serializer(mode="wrap")
    def _absent_when_empty(self, handler):
        data = handler(self)
        for key in ("figures", "record", "bar"):  # absent unless the rule carries them, as in the CLI's JSON
            if not data.get(key):
                data.pop(key, None)
        return data


class DossierRef(_Out):
    path: str
    title: str
    kind: str


class Receipt(_Out):
    """What the review was made with. Extra keys (newer engines) are kept as they are."""

    model_config = ConfigDict(frozen=True, extra="allow")
    engine: dict[str, Any]
    rulebook: dict[str, Any] = Field(description="规则包（名称、版本、sha256）、规则数、参数、规则库 sha256")
    dossier_sha256: str
    as_of: str
    rules_applied: int
    calendar: list[dict[str, Any]] = Field(default_factory=list)


class ReviewOut(_Out):
    """One reviewed dossier: the shape of `prereview check --format json`."""

    dossier: DossierRef
    verdict: str = Field(description="pass 通过 / fix-then-submit 补正后可提交 / blocked 不得提交集体讨论")
    findings: tuple[FindingOut, ...]
    receipt: Receipt

    @classmethod
    def of(cls, review: Review) -> "ReviewOut":
        return cls.model_validate(review.to_dict())

    def to_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class ReviewResult:
    """A finished review. `out` is what JSON says; `dossier` is the validated model (for reports);
    `checklist` is set once answers were merged (`with_answers`); `references` are the checklist and
    materials list it is read against (the day it was made; None: today's files)."""

    out: ReviewOut
    applied_rules: tuple[str, ...]
    dossier: Any = None
    checklist: ChecklistResult | None = None
    references: References | None = None

    @property
    def refs(self) -> References:
        return self.references or References.current(self.kind)

    @property
    def verdict(self) -> str:
        return self.out.verdict

    @property
    def kind(self) -> str:
        return self.out.dossier.kind

    @property
    def verdict_label(self) -> str:
        return verdict_label(self.kind, self.verdict)

    def review(self) -> Review:
        """A fresh engine Review for renderers: nothing they do reaches this result."""
        findings = [_finding(f) for f in self.out.findings]
        receipt = copy.deepcopy(self.out.receipt.model_dump(mode="json", by_alias=True))
        d = self.out.dossier
        return Review(d.path, d.title, d.kind, self.out.verdict, findings, receipt, list(self.applied_rules),
                      self.dossier)


def _finding(f: FindingOut) -> Finding:
    data = f.model_dump(mode="json", by_alias=True)
    data["evidence"] = [Evidence(**e) for e in data["evidence"]]
    data.setdefault("record", "")
    data.setdefault("bar", "")
    data["figures"] = data.get("figures") or {}
    return Finding(**data)


def _result(review: Review) -> ReviewResult:
    return ReviewResult(ReviewOut.of(review), tuple(review.applied_rules), review.dossier,
                        references=References.current(review.kind))


def review_loaded(loaded: LoadedDossier, rulebook: Rulebook, as_of: dt.date | None = None,
                  calendar=None) -> ReviewResult:
    return _result(run_review(loaded, rulebook, as_of, calendar))


def review_bytes(raw: bytes, name: str, rulebook: Rulebook, as_of: dt.date | None = None,
                 calendar=None) -> ReviewResult:
    """Review the bytes of a dossier file (an upload); `name` is the path its problems and evidence cite.
    Raises DossierError with located problems for unusable input, EngineFailure if the engine fails."""
    return review_loaded(load_dossier_bytes(raw, name), rulebook, as_of, calendar)


def review_path(path: str | Path, rulebook: Rulebook, as_of: dt.date | None = None, calendar=None) -> ReviewResult:
    return review_loaded(load_dossier(path), rulebook, as_of, calendar)


def from_record(review_json: dict, applied_rules: list[str], dossier_bytes: bytes | None = None,
                references: References | None = None) -> ReviewResult:
    """A stored review as a result: findings and verdict from the record; the dossier bytes (validated
    again, never matched against rules) give the reports their timeline, party and materials; `references`
    the checklist and materials list stored with it (None: a record older than them, read against today's)."""
    dossier = None
    if dossier_bytes is not None:
        dossier = load_dossier_bytes(dossier_bytes, review_json["dossier"]["path"]).dossier
    return ReviewResult(ReviewOut.model_validate(review_json), tuple(applied_rules), dossier,
                        references=references)


def has_checklist(kind: str) -> bool:
    return References.current(kind).checklist_raw is not None


def answers_from_data(data: Any, name: str = "answers") -> Answers:
    """Answers given as data (a request body) rather than a file: validated the same way; no lines."""
    from .source import Located

    doc = Located(name, data, {}, "")
    try:
        parsed = AnswersFile.model_validate(data)
    except ValidationError as exc:
        raise AnswersError(problems_from_validation(exc, doc, AnswersFile)) from None
    return Answers(name, parsed.answers, {key: None for key in parsed.answers})


def answers_from_bytes(raw: bytes, name: str = "answers.yaml") -> Answers:
    """Answers sent as YAML or JSON bytes (a request body): the answers file's checks, with lines."""
    from .source import parse_bytes

    doc, problems = parse_bytes(raw, name)
    if problems:
        raise AnswersError(problems)
    try:
        parsed = AnswersFile.model_validate(doc.data)
    except ValidationError as exc:
        raise AnswersError(problems_from_validation(exc, doc, AnswersFile)) from None
    return Answers(name, parsed.answers, {key: doc.line(("answers", key)) for key in parsed.answers})


def with_answers(result: ReviewResult, answers: Answers | None) -> ReviewResult:
    """The result with the kind's checklist merged and the reviewer's answers applied — a new value.
    A kind without a checklist gets none (and answers for it are an error)."""
    spec = result.refs.checklist()
    if spec is None:
        if answers is not None:
            raise InputError([Problem(answers.path, None, "", f"{result.kind} 尚无审查清单，无法合并答复")])
        return result
    review = result.review()  # apply_answers changes the Review it is given: give it a copy
    checklist = apply_answers(review, spec, answers)
    return replace(result, out=ReviewOut.of(review), checklist=checklist)


def render(result: ReviewResult, *, template: str = "report", fmt: str = "html",
           generated_at: str | None = None) -> bytes:
    """The report or the draft opinion. `generated_at` is stamped on the report (the JSON never has it);
    a stored review passes its own time so the report says the same whenever it is asked for."""
    from prereview.reports.render import render_report

    if result.checklist is None:
        result = with_answers(result, None)
    review = result.review()
    review.receipt["generated_at"] = generated_at or dt.datetime.now().astimezone().isoformat(timespec="minutes")
    return render_report(review, template=template, fmt=fmt, checklist=result.checklist,
                         materials=result.refs.materials())


def render_sarif(results: list[ReviewResult], rulebook: Rulebook | None = None) -> str:
    """SARIF for results; with rulebook=None the rules are described from the findings themselves
    (a stored review: the rules it was reviewed with, not today's)."""
    from prereview.reports.ci import render_ci

    return render_ci("sarif", [r.review() for r in results], rulebook)


__all__ = ["ReviewOut", "FindingOut", "EvidenceOut", "BasisOut", "Receipt", "DossierRef", "ReviewResult",
           "review_bytes", "review_path", "review_loaded", "from_record", "with_answers", "answers_from_data", "answers_from_bytes",
           "render", "render_sarif", "has_checklist", "References"]
