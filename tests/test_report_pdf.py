"""The PDF: Chinese set in real CJK fonts (no boxes), official page layout, the text a reader needs.

A PDF with missing glyphs still yields the right text from a text extractor, so text alone
proves nothing. WeasyPrint writes a custom /Encoding (not /Identity-H) for every font in which a
glyph was missing and logs ".notdef glyph rendered"; the tests check both.
"""
from __future__ import annotations

import io
import logging

import pytest
from pypdf import PdfReader

from prereview.reports.render import html_to_pdf, render_report

from report_data import RARE_NAMES, review


def _render(template: str, caplog) -> tuple[PdfReader, list[str]]:
    r, checklist = review("defective")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_report(r, template=template, fmt="pdf", checklist=checklist)
    return PdfReader(io.BytesIO(pdf)), [rec.getMessage() for rec in caplog.records]


def _fonts(reader: PdfReader) -> dict[str, object]:
    fonts = {}
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            fonts[str(font["/BaseFont"])] = font.get("/Encoding")
    return fonts


def _text(reader: PdfReader) -> str:
    return "".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("template", ["report", "opinion"])
def test_every_font_is_identity_h_and_no_glyph_is_missing(template, caplog):
    reader, messages = _render(template, caplog)
    fonts = _fonts(reader)
    assert fonts, "the PDF has no fonts"
    assert {name: enc for name, enc in fonts.items() if enc != "/Identity-H"} == {}
    assert not [m for m in messages if ".notdef" in m or "glyphs missing" in m]
    assert any("CJK" in name for name in fonts)  # Chinese is set in a CJK face, not a fallback


def test_the_font_check_catches_a_missing_glyph(caplog):
    """The control: a character no installed font has must fail both checks above."""
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = html_to_pdf("<html><body><p>审查 \U00013000</p></body></html>")
    assert any(enc != "/Identity-H" for enc in _fonts(PdfReader(io.BytesIO(pdf))).values())
    assert any(".notdef" in rec.getMessage() for rec in caplog.records)


def test_report_text_has_title_articles_and_rare_names(caplog):
    reader, _ = _render("report", caplog)
    text = _text(reader).replace("\n", "")
    for words in ("张掖市城区集中供热价格调整方案", "合法性审查预审报告", "不得提交集体讨论",
                  "第二十五条第一款", "第十五条第一款", "第十六条第三款", "国务院令第713号",
                  "甘政发〔2015〕58号", "待人工审查", "送审材料清单", "审查回执"):
        assert words in text, words
    for name in RARE_NAMES.split("、"):
        assert name in text, name
    assert "— 1 —" in _text(reader) or "—1—" in text


def test_opinion_text_has_the_official_parts(caplog):
    reader, _ = _render("opinion", caplog)
    text = _text(reader).replace("\n", "")
    for words in ("张掖市司法局", "X司审〔YYYY〕N号", "关于《张掖市城区集中供热价格调整方案》的",
                  "合法性审查意见", "关于决策权限", "关于决策程序", "关于决策内容", "建议决策机关依法纠正",
                  "修改完善建议", "审查人员：", "第二十五条第一款"):
        assert words in text, words
    for name in RARE_NAMES.split("、"):
        assert name in text, name


def _positions(page) -> list[tuple[float, float, str]]:
    """(x, y) in mm from the bottom left, and the text, of every run of text on a page."""
    out = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            out.append((x / 72 * 25.4, y / 72 * 25.4, text.strip()))
    page.extract_text(visitor_text=visit)
    return out


def test_pages_are_a4_with_the_official_margins_and_page_numbers(caplog):
    reader, _ = _render("report", caplog)
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    for index in (1, 2):  # pages of text (pypdf does not place the timeline's SVG text reliably)
        body = [(x, y) for x, y, text in _positions(reader.pages[index]) if not text.startswith("—")]
        assert round(min(x for x, _ in body)) == 28                     # 订口 28 mm
        assert max(x for x, _ in body) < 210 - 26                      # right margin 26 mm
        assert max(y for _, y in body) < 297 - 37                      # 天头 37 mm
    for index in (0, 1):
        x, y = next((x, y) for x, y, text in _positions(reader.pages[index]) if text == f"— {index + 1} —")
        assert y < 35 - 7                                              # 7 mm below the text block
        assert (x > 150) if index == 0 else (x < 40)                   # odd pages right, even pages left
