"""The compact CJK faces of the PDF (reports/pdf_fonts.py): the same glyphs and metrics as the full faces,
the full faces behind them for every character they lack, dossier text never rewritten.

That the pages look the same is checked page by page with poppler by bench/pdf_render.py --compare
(it needs poppler-utils); here: what makes them the same.
"""
from __future__ import annotations

import io

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from prereview.reports import pdf_fonts, render
from prereview.reports.render import html_to_pdf, render_html

from report_data import DOSSIERS, RARE_NAMES, review, review_text


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    made = pdf_fonts.compact_faces(tmp_path_factory.mktemp("fonts"))
    assert len(made) == len(pdf_fonts.FACES), made  # fonts-noto-cjk (.ci/apt-packages.txt) has all four
    return made


def _source(family: str, weight: int) -> TTFont:
    ffi, fc, _ = pdf_fonts._libraries()
    path, index = pdf_fonts._system_face(ffi, fc, family, {400: 80, 700: 200}[weight])
    return TTFont(path, fontNumber=index, lazy=True)


def test_a_compact_face_has_the_common_characters_with_the_full_faces_glyphs_and_metrics(faces):
    for name, weight, path in faces:
        full, compact = _source(name.removeprefix(pdf_fonts.PREFIX), weight), TTFont(path, lazy=True)
        fmap, cmap = full.getBestCmap(), compact.getBestCmap()
        text = "合法性审查意见书（２０２５—２０２７年）第二十五条“〔2015〕58号”·…ABCxyz0123"
        assert all(ord(c) in cmap for c in text), [c for c in text if ord(c) not in cmap]
        assert not [c for c in "喆堃赟玥" if ord(c) in cmap]  # not GB 2312: they come from the full face
        assert all(cp in cmap for cp in fmap if not pdf_fonts._ideograph_or_hangul(cp))
        for cp in map(ord, text):
            assert compact["hmtx"][cmap[cp]] == full["hmtx"][fmap[cp]]
            assert compact["vmtx"][cmap[cp]] == full["vmtx"][fmap[cp]]
        for table, fields in (("hhea", ("ascent", "descent", "lineGap")), ("head", ("unitsPerEm",)),
                              ("OS/2", ("sTypoAscender", "sTypoDescender", "usWinAscent", "usWinDescent",
                                        "fsSelection", "ulUnicodeRange1", "ulUnicodeRange2"))):
            assert [getattr(compact[table], f) for f in fields] == [getattr(full[table], f) for f in fields]
        assert compact.getTableData("BASE") == full.getTableData("BASE")  # Pango aligns mixed runs with it
        assert sorted(compact.keys()) == sorted(full.keys())
        assert len(compact.getGlyphOrder()) < len(full.getGlyphOrder()) // 3


def test_a_face_is_made_once(faces, tmp_path):
    folder = faces[0][2].parent
    before = {p: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert pdf_fonts.compact_faces(folder) == faces
    assert {p: p.stat().st_mtime_ns for p in folder.iterdir()} == before


def test_an_unwritable_cache_folder_means_the_system_faces(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert pdf_fonts.compact_faces(blocker / "fonts") == []


def test_no_cache_folder_means_the_system_faces(monkeypatch):
    monkeypatch.setenv("PREREVIEW_CACHE_DIR", "off")
    assert pdf_fonts.cache_dir() is None and pdf_fonts.compact_faces() == []


def test_the_stylesheet_names_the_compact_faces_first_and_dossier_text_is_untouched(faces):
    dossier = DOSSIERS["defective"].read_text("utf-8").replace(
        "title: 张掖市城区集中供热价格调整方案", "title: '\"Noto Serif CJK SC\" 与 ''Noto Sans CJK SC'' 方案'", 1)
    r = review_text(dossier)
    html = render_html(r)
    out = pdf_fonts.put_first(html, faces)
    assert '"Prereview Noto Serif CJK SC", "Noto Serif CJK SC"' in out
    assert '"Prereview Noto Sans CJK SC", "Noto Sans CJK SC"' in out
    assert "&#34;Noto Serif CJK SC&#34; 与 &#39;Noto Sans CJK SC&#39; 方案" in out  # the title, as it was
    assert out.count("&#34;Noto Serif CJK SC&#34;") == html.count("&#34;Noto Serif CJK SC&#34;") > 0


def test_the_pdf_sets_common_text_in_the_compact_faces_and_rare_names_in_the_full_ones(faces, monkeypatch, caplog):
    monkeypatch.setattr(pdf_fonts, "cache_dir", lambda: faces[0][2].parent)
    monkeypatch.setattr(render, "_PDF", render._PdfFonts())
    r, checklist = review("defective")
    reader = PdfReader(io.BytesIO(html_to_pdf(render_html(r, checklist=checklist))))
    fonts = {str(ref.get_object()["/BaseFont"]).split("+", 1)[1]
             for page in reader.pages for ref in page["/Resources"]["/Font"].values()}
    assert {"Prereview-Noto-Serif-CJK-SC", "Prereview-Noto-Sans-CJK-SC"} <= fonts
    assert "Noto-Serif-CJK-SC" in fonts  # 喆 堃 赟 玥, from the full face
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for name in RARE_NAMES.split("、"):
        assert name in text
