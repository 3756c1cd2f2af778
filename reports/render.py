"""Render a Review as the pre-review report (预审报告) or the draft review opinion
(合法性审查意见书 or 法制审核意见书 draft), in HTML, PDF or Markdown.

HTML and Markdown come from Jinja2 templates with autoescaping on; the PDF is the HTML
laid out by WeasyPrint with reports/assets/official.css (GB/T 9704-2012 page model) and
a URL fetcher that serves only the project's own assets.
"""
from __future__ import annotations

import gc
import logging
import os
import threading
from contextlib import contextmanager

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from prereview.engine.checklist import ChecklistResult
from prereview.engine.review import Review

from .common import bytecode_cache
from .fetcher import ASSET_DIRS, HERE, AssetFetcher
from .pdf_fonts import put_first
from .view import CURRENT, build_context, cn_date, cn_number

TEMPLATES = ("report", "opinion")
FORMATS = ("html", "pdf", "md")
CSS = HERE / "assets" / "official.css"
LOG = logging.getLogger(__name__)
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]!#|~"})


def _md(value) -> str:
    """Markdown output of dossier text: Markdown punctuation neutralised, HTML escaped, one line.

    A Markdown viewer would otherwise turn ![x](http://…) in a dossier into an image fetch,
    or <img …> into an element. Markup values come from the templates and pass unchanged.
    """
    if isinstance(value, Markup):
        return str(value)
    if value is None:
        return ""
    text = str(value).translate(_MD_SPECIAL)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def _environment(markdown: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")), undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=not markdown, finalize=_md if markdown else None, bytecode_cache=bytecode_cache(),
    )
    env.filters["cn_date"] = cn_date
    env.filters["cn_number"] = cn_number
    return env


_HTML_ENV = _environment(markdown=False)
_MD_ENV = _environment(markdown=True)


def _template(template: str, kind: str, ext: str) -> str:
    """<template>.<kind>.<ext>.j2 when the kind has its own (the enforcement opinion), else <template>.<ext>.j2."""
    own = f"{template}.{kind}.{ext}.j2"
    return own if (HERE / "templates" / own).exists() else f"{template}.{ext}.j2"


def render_html(review: Review, *, template: str = "report", checklist: ChecklistResult | None = None,
                materials=CURRENT) -> str:
    ctx = build_context(review, checklist, template, materials)
    return _HTML_ENV.get_template(_template(template, review.kind, "html")).render(
        **ctx, css=Markup(CSS.read_text(encoding="utf-8")))


def render_markdown(review: Review, *, template: str = "report", checklist: ChecklistResult | None = None,
                    materials=CURRENT) -> str:
    ctx = build_context(review, checklist, template, materials)
    return _MD_ENV.get_template(_template(template, review.kind, "md")).render(**ctx)


class _PdfFonts:
    """What the PDFs of one process share: one font configuration, and the compact CJK faces loaded
    into it once (reports/pdf_fonts.py). One PDF at a time: Pango's font map is not thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ready = False
        self.faces: list = []
        self.config = self.stylesheets = None

    def setup(self):
        from weasyprint import CSS as WeasyCSS
        from weasyprint.text.fonts import FontConfiguration

        from .pdf_fonts import compact_faces, font_face_css

        self.config = FontConfiguration()
        self.stylesheets = []
        try:
            self.faces = compact_faces()
        except Exception as exc:  # a font we cannot read: the system faces do the job, only slower
            LOG.warning("报告字体精简失败，改用系统字体 / compact CJK faces failed: %s", exc)
            self.faces = []
        if self.faces:
            # the faces are this fetcher's only files beyond the report assets
            fetcher = AssetFetcher(ASSET_DIRS + tuple({path.parent for _, _, path in self.faces}))
            self.stylesheets = [WeasyCSS(string=font_face_css(self.faces), font_config=self.config,
                                         url_fetcher=fetcher)]
        self.ready = True


_PDF = _PdfFonts()


def _fresh_after_fork() -> None:
    """A forked worker starts its own: the parent's lock may be held by one of its threads at the fork."""
    global _PDF
    _PDF = _PdfFonts()


os.register_at_fork(after_in_child=_fresh_after_fork)


@contextmanager
def _collector_paused():
    """A render makes about a million short-lived objects; each automatic collection they trigger walks
    every live object of the process not frozen (rulebook, models, the render's own boxes): 8–20% of a
    warm render (README, Measured here).
    The garbage of the render is collected after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def html_to_pdf(html: str, fetcher: AssetFetcher | None = None, *, fast: bool = True) -> bytes:
    """Lay out HTML with WeasyPrint, loading nothing but the project's assets.

    `fast=False` lays it out as a fresh WeasyPrint would, with the system fonts and the collector on
    (bench/pdf_render.py --compare shows that both give the same pages)."""
    from weasyprint import HTML  # imported late: HTML and Markdown work without WeasyPrint's libraries

    fetcher = fetcher or AssetFetcher()
    base = ASSET_DIRS[0].as_uri() + "/"
    if not fast:
        return HTML(string=html, base_url=base, url_fetcher=fetcher).write_pdf()
    with _PDF.lock, _collector_paused():
        if not _PDF.ready:
            _PDF.setup()
        if _PDF.faces:
            html = put_first(html, _PDF.faces)
        return HTML(string=html, base_url=base, url_fetcher=fetcher).write_pdf(
            font_config=_PDF.config, stylesheets=_PDF.stylesheets)


def render_report(review: Review, *, template: str = "report", fmt: str = "html",
                  checklist: ChecklistResult | None = None, materials=CURRENT) -> bytes:
    """The report or the draft opinion as bytes in html, pdf or md; `materials`: the materials list to read
    the dossier against (by default today's)."""
    if template not in TEMPLATES:
        raise ValueError(f"未知的报告模板 {template!r}，应为 {' / '.join(TEMPLATES)}")
    if fmt not in FORMATS:
        raise ValueError(f"未知的报告格式 {fmt!r}，应为 {' / '.join(FORMATS)}")
    if fmt == "md":
        return render_markdown(review, template=template, checklist=checklist, materials=materials).encode("utf-8")
    html = render_html(review, template=template, checklist=checklist, materials=materials)
    if fmt == "html":
        return html.encode("utf-8")
    return html_to_pdf(html)
