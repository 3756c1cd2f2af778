"""The pre-review report and the draft opinion, in HTML and Markdown, against reviewed golden files.

Inputs are frozen (tests/report_data.py). After a deliberate change to a template, look at the
output, then regenerate on purpose: PREREVIEW_UPDATE_GOLDEN=1 pytest tests/test_report_golden.py
"""
from __future__ import annotations

import os

import pytest

from prereview.reports.render import render_report

from report_data import GOLDEN, ROOT, normalise, review

CASES = [(dossier, template, fmt) for dossier in ("compliant", "defective")
         for template in ("report", "opinion") for fmt in ("html", "md")]


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # reports show paths relative to the working folder


@pytest.mark.parametrize("dossier, template, fmt", CASES)
def test_golden(dossier, template, fmt):
    r, checklist = review(dossier)
    out = normalise(render_report(r, template=template, fmt=fmt, checklist=checklist).decode("utf-8"))
    golden = GOLDEN / f"{dossier}.{template}.{fmt}"
    if os.environ.get("PREREVIEW_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out, "utf-8")
    assert out == golden.read_text("utf-8"), f"{golden} differs; regenerate on purpose with PREREVIEW_UPDATE_GOLDEN=1"


def test_the_html_carries_the_official_stylesheet_inline():
    html = render_report(review("compliant")[0], fmt="html").decode()
    assert "@page" in html and "margin: 37mm 26mm 35mm 28mm" in html and "<link" not in html


def test_rendering_twice_gives_the_same_bytes():
    a = render_report(review("defective")[0], template="report", fmt="html", checklist=review("defective")[1])
    b = render_report(review("defective")[0], template="report", fmt="html", checklist=review("defective")[1])
    assert a == b


def test_the_compliant_dossier_passes_and_the_opinion_recommends_submission():
    r, checklist = review("compliant")
    assert r.verdict == "pass" and not r.findings
    opinion = render_report(r, template="opinion", fmt="md", checklist=checklist).decode()
    assert "建议提交审议" in opinion and "经核对，送审材料齐全" in opinion


def test_the_defective_dossier_is_blocked_and_the_opinion_asks_for_correction_after_the_decision():
    r, checklist = review("defective")
    assert r.verdict == "blocked"
    assert {f.rule_id for f in r.findings} == {
        "MAD-LEGALITY-REVIEW-BEFORE-MEETING", "MAD-PUBLIC-COMMENT-PERIOD", "MAD-HEARING-DELIVERY-LATE",
        "MAD-RISK-ASSESSMENT", "MAD-INITIATION-MISSING", "MD-PROC-05"}
    opinion = render_report(r, template="opinion", fmt="md", checklist=checklist).decode()
    # the dossier is already decided: withholding the draft is moot, the opinion asks for correction (audit X6)
    assert "建议决策机关依法纠正，补正相关程序后重新作出决定" in opinion and "建议暂不提交审议" not in opinion
    assert "缺少法律、法规、规章和政策依据清单、听证参加人遴选办法及名单公告、风险评估报告、有关部门意见" in opinion
    for head in ("关于决策权限", "关于决策程序", "关于决策内容"):
        assert head in opinion
