"""What the reports contain beyond the goldens: the timeline, the conclusions, the inputs they accept."""
from __future__ import annotations

import datetime as dt

import pytest

from prereview.engine import load_dossier, load_rulebook, run_review
from prereview.engine.checklist import apply_answers, load_answers, load_checklist
from prereview.reports.render import render_report
from prereview.engine import kinds
from prereview.engine.calendar import load_calendar
from prereview.reports.timeline import _window, build_timeline

from report_data import ROOT, review


def test_timeline_marks_violations_red_and_missing_steps():
    r, _ = review("defective")
    t = build_timeline(r)
    rows = {row.label: row for row in t.rows}
    assert [label for label, row in rows.items() if row.red] == ["公开征求意见", "听证", "合法性审查", "决策启动", "风险评估"]
    assert rows["决策启动"].missing and rows["风险评估"].missing
    assert not rows["专家论证"].red and rows["专家论证"].x2 is None         # a point
    comment = rows["公开征求意见"]
    assert comment.x2 < comment.windows[0].x2                             # 20 days drawn short of the 30-day period
    review_row = rows["合法性审查"]
    assert review_row.x2 > t.meetings[0].x                                # the opinion came after the meeting
    assert [m.label for m in t.meetings] == ["集体讨论 2025-05-20"]
    assert rows["听证"].marks[0][1] == "送达 04-07"


def test_timeline_is_drawn_as_inline_svg_in_html_and_listed_in_markdown():
    r, checklist = review("defective")
    html = render_report(r, fmt="html", checklist=checklist).decode()
    assert html.count("<svg") == 1 and 'fill="#c00000"' in html and "未见该步骤记录" in html
    assert "<image" not in html and "href=" not in html
    md = render_report(r, fmt="md", checklist=checklist).decode()
    assert "| 风险评估 | 卷宗中未见记录 | 有 |" in md


def test_the_legality_review_window_counts_real_working_days_across_national_day():
    # 7 working days after Friday 2025-09-26: 09-28 (make-up Sunday), 09-29, 09-30, 10-09, 10-10,
    # 10-11 (make-up Saturday), 10-13 — not the Monday–Friday estimate 10-07
    period = next(p for p in kinds.get("major-decision").periods if p.step == "legality-review")
    step = type("Step", (), {"submitted_on": dt.date(2025, 9, 26)})()
    assert _window(period, step, 7, load_calendar()) == (dt.date(2025, 9, 26), dt.date(2025, 10, 13))


def test_the_opinion_proposes_amendment_when_only_major_problems_remain(tmp_path):
    r, _ = review("compliant", answers=False)
    path = tmp_path / "answers.yaml"
    path.write_text("answers:\n  MD-PROC-05: {result: 不符合, note: 漏列反对意见。, reviewer: 马晓东, date: 2025-05-08}\n",
                    "utf-8")
    checklist = apply_answers(r, load_checklist("major-decision", ROOT / "tests" / "data" / "checklists"),
                              load_answers(path))
    md = render_report(r, template="opinion", fmt="md", checklist=checklist).decode()
    assert "**建议修改完善后提交审议**" in md and "漏列反对意见" in md
    report = render_report(r, template="report", fmt="md", checklist=checklist).decode()
    assert "补正后可提交" in report and "（人工审查）" in report


def test_without_a_checklist_the_reports_say_so():
    r, _ = review("defective", answers=False)
    assert "未提供审查清单" in render_report(r, fmt="md").decode()
    opinion = render_report(r, template="opinion", fmt="html").decode()
    assert "关于决策程序" in opinion and "待审查人员填写" in opinion


@pytest.mark.parametrize("kwargs", [{"template": "letter"}, {"fmt": "docx"}])
def test_unknown_template_or_format_is_refused(kwargs):
    with pytest.raises(ValueError):
        render_report(review("compliant")[0], **kwargs)


def test_the_shipped_rules_checklist_and_fixture_render_together():
    """The live rule set and the lead's checklist, as `prereview report` uses them."""
    r = run_review(load_dossier(ROOT / "rules" / "_fixtures" / "major-decision-compliant.yaml"), load_rulebook())
    checklist = apply_answers(r, load_checklist(r.kind), None)
    for template in ("report", "opinion"):
        for fmt in ("html", "md"):
            assert r.title.encode() in render_report(r, template=template, fmt=fmt, checklist=checklist)


def test_a_review_without_its_dossier_still_renders():
    """A stored review may come back without the dossier model: no timeline, no materials table."""
    r, checklist = review("defective")
    r.dossier = None
    for template in ("report", "opinion"):
        for fmt in ("html", "md"):
            assert r.title.encode() in render_report(r, template=template, fmt=fmt, checklist=checklist)
