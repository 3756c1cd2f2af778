"""A review record and what is said about it: the resubmission comparison, the response shapes."""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from pydantic import BaseModel, Field

from prereview.engine.app import FindingOut, ReviewOut
from prereview.engine.source import parse_bytes

_INDEX = re.compile(r"^(steps|materials)\[(\d+)\]")


def _record_of(field: str, data: Any) -> str:
    """The record an evidence field points at, named by content, not position: steps[8].opinion_on of the
    first legality-review step is steps[legality-review#1]; materials[3] is materials[<its id>];
    decision.organ.name is decision. A child (experts[2]) keeps its index inside its step."""
    m = _INDEX.match(field)
    if not m:
        return field.split(".")[0].split("[")[0]
    top, i = m.group(1), int(m.group(2))
    items = data.get(top) if isinstance(data, dict) else None
    item = items[i] if isinstance(items, list) and i < len(items) else None
    if top == "steps" and isinstance(item, dict):
        same = [s for s in items[:i + 1] if isinstance(s, dict) and s.get("type") == item.get("type")]
        name = f"steps[{item.get('type')}#{len(same)}]"
    elif top == "materials" and isinstance(item, dict) and item.get("id"):
        name = f"materials[{item['id']}]"
    else:
        name = m.group(0)
    rest = field[m.end():]
    child = re.match(r"^\.(\w+)\[(\d+)\]", rest)
    return name + (child.group(0) if child else "")


def finding_key(finding: dict, data: Any) -> tuple[str, tuple[str, ...]]:
    """A finding's identity across resubmissions: its rule and the records its evidence points at."""
    points = sorted({_record_of(e["field"], data) for e in finding["evidence"] if e.get("field")})
    return finding["rule_id"], tuple(points)


class FindingRef(BaseModel):
    rule_id: str
    severity: str
    title: str
    points_at: list[str] = Field(description="所指的卷宗记录（按内容命名，不依赖行号或顺序）")


class Comparison(BaseModel):
    """What a corrected resubmission (补正) changed against the review it supersedes."""

    supersedes: str
    fixed: list[FindingRef]
    new: list[FindingRef]
    remaining: list[FindingRef]


def compare(old_id: str, old_review: dict, old_bytes: bytes, new_review: dict, new_data: Any) -> Comparison:
    old_doc, _ = parse_bytes(old_bytes, "old")
    old_data = old_doc.data if old_doc is not None else {}

    def keyed(review: dict, data) -> dict:
        out: dict = {}
        for f in review["findings"]:
            out.setdefault(finding_key(f, data), f)
        return out

    before, after = keyed(old_review, old_data), keyed(new_review, new_data)

    def ref(key, f) -> FindingRef:
        return FindingRef(rule_id=f["rule_id"], severity=f["severity"], title=f["title"], points_at=list(key[1]))

    return Comparison(
        supersedes=old_id,
        fixed=[ref(k, f) for k, f in before.items() if k not in after],
        new=[ref(k, f) for k, f in after.items() if k not in before],
        remaining=[ref(k, f) for k, f in after.items() if k in before],
    )


class Links(BaseModel):
    self: str
    dossier: str
    report_html: str
    report_md: str
    report_pdf: str
    opinion_html: str
    opinion_md: str
    opinion_pdf: str
    sarif: str
    answers: str


def links(review_id: str) -> Links:
    base = f"/v1/reviews/{review_id}"
    return Links(self=base, dossier=f"{base}/dossier", report_html=f"{base}/report.html",
                 report_md=f"{base}/report.md", report_pdf=f"{base}/report.pdf",
                 opinion_html=f"{base}/opinion.html", opinion_md=f"{base}/opinion.md",
                 opinion_pdf=f"{base}/opinion.pdf", sarif=f"{base}/sarif", answers=f"{base}/answers")


class AnswersOut(BaseModel):
    at: dt.datetime
    by: str = Field(description="作答令牌的名称")
    answers: dict[str, Any]
    verdict: str = Field(description="合并人工审查答复后的结论")
    findings: list[FindingOut] = Field(description="合并人工审查答复后的全部发现")


class ReviewRecordOut(BaseModel):
    id: str
    created_at: dt.datetime
    org: str
    submitter: str = Field(description="提交令牌的名称")
    filename: str
    media_type: str
    dossier_sha256: str = Field(description="提交的卷宗原始字节的 sha256")
    supersedes: str | None = None
    review: ReviewOut
    comparison: Comparison | None = None
    answers: AnswersOut | None = Field(default=None, description="最近一次人工审查答复（如有）")
    links: Links


class ReviewSummary(BaseModel):
    id: str
    created_at: dt.datetime
    org: str
    kind: str
    title: str
    verdict: str
    organ: str
    unit: str
    findings: int
    supersedes: str | None = None


class ReviewPage(BaseModel):
    items: list[ReviewSummary]
    total: int
    next: str | None = Field(description="下一页的地址；最后一页为 null")


class ProblemOut(BaseModel):
    path: str
    line: int | None
    field: str
    message: str
    expected: str = ""


class ErrorBody(BaseModel):
    code: str = Field(description="稳定的错误代码，如 invalid-dossier")
    message: str = Field(description="中文说明")
    problems: list[ProblemOut] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


def loads(text: str | None):
    return json.loads(text) if text else None
