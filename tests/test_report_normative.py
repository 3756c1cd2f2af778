"""The normative-document report and draft 规范性文件合法性审核意见书: its heads, conclusions and wording."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from prereview.api.cli import _checklist_for
from prereview.engine import kinds, load_dossier, load_rulebook, run_review
from prereview.reports.render import render_report

from report_data import ROOT

EXAMPLES = ROOT / "examples"
KIND = kinds.get("normative-document")


def _render(name: str, template: str, fmt: str) -> bytes:
    r = run_review(load_dossier(str(EXAMPLES / name)), load_rulebook())
    return render_report(r, template=template, fmt=fmt, checklist=_checklist_for(r, None))


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_opinion_asks_the_seven_review_points_of_115_and_names_the_document(fmt):
    text = _render("lanzhou-private-economy-measures.yaml", "opinion", fmt).decode("utf-8")
    assert "规范性文件合法性审核意见书" in text and "兰州市司法局" in text and "兰州市发展和改革委员会" in text
    for question in KIND.heads.questions.values():
        assert question in text
    assert "合法</strong>" in text or "**合法**" in text
    # the wording of the other kinds' opinions does not leak in
    for word in ("决策草案", "重大行政决策程序暂行条例", "法制审核意见书", "执法"):
        assert word not in text


def test_conclusions_follow_the_verdict_and_the_stage():
    blocked = _render("wuwei-cultural-tourism-consumption.yaml", "opinion", "md").decode("utf-8")
    assert "不得出台" in blocked and "**不合法，建议制定机关依法纠正" in blocked  # issued: correction, not 暂不提交
    amend = _render("yuzhong-homestead-rules.yaml", "opinion", "md").decode("utf-8")
    assert "**应当予以修改，修改完善后提请审议**" in amend and "按审核意见修改文件" in amend
    outside = _render("jiuquan-open-government-work-plan.yaml", "opinion", "md").decode("utf-8")
    assert "不纳入合法性审核范围" in outside and "工作方案" in outside


def test_the_opinion_table_states_the_document_its_validity_and_numbers():
    text = _render("wuwei-cultural-tourism-consumption.yaml", "opinion", "md").decode("utf-8")
    assert "| 涉及市场主体 | 与市场主体生产经营活动密切相关 |" in text
    assert "自2025年4月15日起施行，有效期至2027年4月14日" in text
    assert "武政办发〔2025〕15号；登记号 WWSG-2025-0004" in text


def test_the_report_and_opinion_render_as_pdf():
    for template in ("report", "opinion"):
        reader = PdfReader(io.BytesIO(_render("baiyin-old-community-renovation.yaml", template, "pdf")))
        text = "".join(p.extract_text() for p in reader.pages)
        assert len(reader.pages) >= 2 and "白银市城镇老旧小区改造居民出资和资金补助办法" in text.replace("\n", "")
