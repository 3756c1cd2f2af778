"""The 评查报告 (PDF): one chart per department, the grades, the vetoed files, and both values of a 复评."""
from __future__ import annotations

import io
import json

import pypdf
import yaml

from prereview.api.cli import main
from prereview.reports.evaluation import render_html

from helpers import EXAMPLES


def _run(tmp_path, capsys, *extra):
    out = tmp_path / "out"
    code = main(["evaluate", str(EXAMPLES / "case-files"), "--rubric", "guangdong-231", "--out", str(out), "--jobs", "2",
                 *extra])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return code, out, lines


def test_the_report_shows_every_department_with_its_chart_and_both_values_of_an_override(tmp_path, capsys):
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(yaml.safe_dump({"overrides": [
        {"file": str(EXAMPLES / "case-files" / "market-penalty-09.yaml"), "item": "GD-PROC-STATEMENT", "points": 0,
         "reason": "复核意见附于卷宗第二册第十五页", "reviewer": "评查组 张某", "on": "2026-03-02"}]},
        allow_unicode=True), "utf-8")
    code, out, lines = _run(tmp_path, capsys, "--pdf", "--overrides", str(overrides))
    assert code == 0
    [changed] = [r for r in lines if r["overridden"]]
    assert (changed["machine_score"], changed["score"]) == (85, 90) and changed["grade"] == "优秀"
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    html = render_html(summary, lines)
    assert html.count("<svg") == len(summary["by_department"]) == 3
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO((out / "评查报告.pdf").read_bytes())).pages)
    text = "".join(text.split())
    for name in summary["by_department"]:
        assert name in text
    assert "机器评分85（良好），复评后90（优秀）" in text and "复核意见附于卷宗第二册第十五页" in text
    assert "广东省人民政府令第231号" in text and "违反法定程序（第十七条第三项）" in text
    assert "GD-" not in text and "scored" not in text  # no codes in what reviewers file


def test_the_report_html_is_the_same_for_the_same_batch(tmp_path, capsys):
    pages = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        main(["evaluate", str(EXAMPLES / "case-files"), "--rubric", "guangdong-231", "--out", str(out), "--jobs", jobs])
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        pages.append(render_html(json.loads((out / "summary.json").read_text("utf-8")), lines))
    assert pages[0] == pages[1] and "兰州市自然资源局" in pages[0]
