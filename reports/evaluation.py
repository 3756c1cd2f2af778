"""The 评查报告 of an evaluation batch (`prereview evaluate --pdf`): HTML from a Jinja2 template in the
official layout (reports/assets/official.css), a bar chart (SVG) of the grades of each department, and the
PDF laid out by reports/render.html_to_pdf. Its contents follow 广东省政府令第231号 第十三条's list for a
评查小组报告: what was reviewed, how many files, the grades, the main problems; plus the reviewers' changes
(复评) with both values, and what the machine could not score."""
from __future__ import annotations

from markupsafe import Markup

import prereview

from .render import CSS, _HTML_ENV, html_to_pdf

GRADE_COLOURS = ["#2e6b30", "#1f3a68", "#b36b00", "#c00000", "#555555"]  # from the highest grade down
STATUS = {"scored": "已评查", "error": "卷宗有误，未评查", "engine-failure": "规则引擎未能审查",
          "timed-out": "审查超时，已中止", "not-applicable": "不属于本评查标准的卷宗种类"}


def _chart(name: str, stats: dict, levels: list[str]) -> dict:
    """One horizontal bar per department, split by grade; ungraded files in grey at the end."""
    width, left, height = 440, 0, 22
    total = stats["scored"] or 1
    parts, x = [], float(left)
    counts = [(g, stats["grades"][g]["count"]) for g in levels] + [("未评定等次", stats["ungraded"])]
    for i, (grade, n) in enumerate(counts):
        if not n:
            continue
        w = width * n / total
        parts.append({"x": round(x, 2), "w": round(w, 2), "colour": GRADE_COLOURS[min(i, len(levels))]
                      if grade != "未评定等次" else GRADE_COLOURS[-1], "label": f"{grade} {n}", "grade": grade})
        x += w
    legend = [{"grade": g, "colour": GRADE_COLOURS[i]} for i, g in enumerate(levels)] + \
             [{"grade": "未评定等次", "colour": GRADE_COLOURS[-1]}]
    return {"name": name, "width": width, "height": height + 30, "bar_h": height, "parts": parts, "legend": legend}


def context(summary: dict, results: list[dict]) -> dict:
    levels = list(summary["overall"]["grades"])
    scored = [r for r in results if r["status"] == "scored"]
    return {
        "s": summary,
        "levels": levels,
        "charts": [_chart(name, st, levels) for name, st in summary["by_department"].items()],
        "vetoed": [r for r in scored if any(not v["lifted"] for v in r["vetoes"])],
        "overridden": [r for r in scored if r["overridden"]],
        "files": scored,
        "not_scored": [dict(r, status_label=STATUS[r["status"]]) for r in results if r["status"] != "scored"],
        "status_labels": STATUS,
        "receipt": {"engine": f"prereview {prereview.__version__}"},
    }


def render_html(summary: dict, results: list[dict]) -> str:
    return _HTML_ENV.get_template("evaluation.html.j2").render(**context(summary, results),
                                                              css=Markup(CSS.read_text(encoding="utf-8")))


def render_pdf(summary: dict, results: list[dict]) -> bytes:
    return html_to_pdf(render_html(summary, results))
