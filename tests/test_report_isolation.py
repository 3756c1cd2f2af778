"""The renderer loads nothing from outside, and dossier text is text, never markup."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from prereview.reports.fetcher import ASSET_DIRS, AssetFetcher, RefusedURL
from prereview.reports.render import html_to_pdf, render_report

from report_data import DOSSIERS, review_text

ATTACK = '<img src="file:///etc/passwd"><script>alert(1)</script>'
MD_ATTACK = "![x](http://example.invalid/track.png) [点此](javascript:alert(1))"


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://example.invalid/logo.png",
    "https://example.invalid/style.css",
    "ftp://example.invalid/x",
    "data:text/html;base64,PGI+eDwvYj4=",
    "data:image/svg+xml,<svg/>",
    (ASSET_DIRS[1] / ".." / ".." / "engine" / "review.py").as_uri(),   # '..' out of the assets
    "file://otherhost" + str(ASSET_DIRS[1] / "official.css"),
])
def test_the_fetcher_refuses_everything_but_the_project_assets(url):
    fetcher = AssetFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_the_fetcher_serves_the_project_assets():
    response = AssetFetcher().fetch((ASSET_DIRS[1] / "official.css").as_uri())
    assert b"@page" in response.read() and response.content_type == "text/css"


def test_a_symlink_out_of_the_assets_is_refused(tmp_path):
    (tmp_path / "passwd.css").symlink_to("/etc/passwd")
    fetcher = AssetFetcher(roots=(tmp_path,))
    with pytest.raises(RefusedURL):
        fetcher.fetch((tmp_path / "passwd.css").as_uri())


def test_weasyprint_asks_only_the_fetcher_and_gets_nothing_from_outside():
    fetcher = AssetFetcher()
    html = ('<html><head><link rel="stylesheet" href="http://example.invalid/x.css">'
            '<style>@import url("file:///etc/hostname");</style></head><body>'
            '<p>正文</p><img src="file:///etc/passwd"><img src="https://example.invalid/p.png">'
            '<img src="data:image/png;base64,iVBORw0KGgo="></body></html>')
    pdf = html_to_pdf(html, fetcher)
    assert set(fetcher.refused) == {"http://example.invalid/x.css", "file:///etc/hostname",
                                    "file:///etc/passwd", "https://example.invalid/p.png",
                                    "data:image/png;base64,iVBORw0KGgo="}
    reader = PdfReader(io.BytesIO(pdf))
    assert "正文" in reader.pages[0].extract_text()
    assert not any("/XObject" in page["/Resources"] and page["/Resources"]["/XObject"] for page in reader.pages)


def _hostile_review():
    text = DOSSIERS["defective"].read_text("utf-8")
    text = text.replace("title: 张掖市城区集中供热价格调整方案", f"title: '供热方案{ATTACK}'")
    text = text.replace("sponsor: 张掖市发展和改革委员会", f"sponsor: '发改委{MD_ATTACK}'")
    text = text.replace("reviewer: 张掖市司法局", "reviewer: '<b>司法局</b>'")
    return review_text(text)


@pytest.mark.parametrize("template", ["report", "opinion"])
def test_html_in_dossier_text_is_escaped_in_html(template):
    html = render_report(_hostile_review(), template=template, fmt="html").decode()
    assert "<img" not in html and "<script" not in html and "<b>司法局" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html


@pytest.mark.parametrize("template", ["report", "opinion"])
def test_markup_in_dossier_text_is_neutralised_in_markdown(template):
    md = render_report(_hostile_review(), template=template, fmt="md").decode()
    assert "<img" not in md and "<script" not in md
    assert not re.search(r"(?<!\\)\]\(", md)      # no link or image a viewer would follow
    assert "\\!\\[x\\](http://example.invalid/track.png)" in md
    assert '&lt;img src="file:///etc/passwd"&gt;' in md


def test_hostile_dossier_text_prints_as_text_in_the_pdf():
    pdf = render_report(_hostile_review(), template="report", fmt="pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert '<img src="file:///etc/passwd">' in text
    assert "root:" not in text


def test_the_html_report_forbids_a_browser_to_load_anything():
    html = render_report(_hostile_review(), template="report", fmt="html").decode()
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert Path("/etc/passwd").name not in html.replace("file:///etc/passwd", "")
