"""异议与复核 (广东省政府令第231号第十二条第（七）项): a department's objection to the result, in working days.

The window is 10 working days from receiving the 评查小组报告, the day of receipt not counted. A report received
on Tuesday 2026-09-29 is followed by one working day (09-30), the National Day holiday (10-01 to 10-07), the
make-up working Saturday 10-10, so its 10th working day is Monday 2026-10-19 (09-30, 10-08, 10-09, 10-10, 10-12 …
10-16, 10-19) and 10-20 is the 11th."""
from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
import yaml

from prereview.api.cli import main
from prereview.engine.rubric import RubricError, builtin_dir, load_rubric
from prereview.engine.scoring import OverridesError, load_overrides
from prereview.reports.evaluation import render_html

from helpers import EXAMPLES, rulebook

LAND = "兰州市自然资源局"


def _objection(**kw) -> dict:
    o = {"id": "复核-2026-01", "department": LAND, "report_received": "2026-09-29", "lodged": "2026-10-19",
         "reason": "认为两份案卷的陈述申辩复核记录已附卷"}
    o.update(kw)
    return o


def _load(tmp_path, doc: dict, rubric="guangdong-231"):
    path = tmp_path / "overrides.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return load_overrides(path, load_rubric(rubric, rulebook()))


def test_an_objection_on_the_tenth_working_day_across_a_holiday_is_in_time_and_on_the_eleventh_late(tmp_path):
    [(_, on_time)] = _load(tmp_path, {"objections": [_objection()]}).objections
    assert (on_time["working_days"], on_time["deadline"], on_time["in_time"]) == (10, "2026-10-19", True)
    assert on_time["late"] is None and on_time["status"] == "尚未记载复核结果"
    assert on_time["timeliness"] == "在期限内：收到评查小组报告后第 10 个工作日提出，期限 10 个工作日，至2026年10月19日"
    assert on_time["basis"] == "《广东省行政执法案卷评查办法》（广东省人民政府令第231号）第十二条第（七）项"
    [(_, late)] = _load(tmp_path, {"objections": [_objection(lodged="2026-10-20")]}).objections
    assert (late["working_days"], late["deadline"], late["in_time"]) == (11, "2026-10-19", False)
    assert late["timeliness"].startswith("逾期：收到评查小组报告后第 11 个工作日提出")
    assert "未规定逾期提出的复核申请如何处理" in late["late"]  # the decree is silent: recorded, not decided
    # the holiday itself is no working day: lodged on 10-07, still the first working day after receipt
    [(_, holiday)] = _load(tmp_path, {"objections": [_objection(lodged="2026-10-07")]}).objections
    assert (holiday["working_days"], holiday["in_time"]) == (1, True)


def test_the_review_is_recorded_with_who_decided_and_its_own_window(tmp_path):
    doc = {"overrides": [{"file": "case-files/land-penalty-02.yaml", "item": "GD-PROC-STATEMENT", "points": 0,
                          "reason": "复核：陈述申辩复核记录见卷宗第 12 页", "reviewer": "评查组 李某", "on": "2026-11-02",
                          "objection": "复核-2026-01"}],
           "objections": [_objection(review={"received": "2026-10-19", "decided_on": "2026-11-02", "outcome": "变更",
                                             "decided_by": "市司法局 王某", "notified_on": "2026-11-03"})]}
    reviewed = _load(tmp_path, doc)
    [(_, rec)] = reviewed.objections
    review = rec["review"]
    assert (review["working_days"], review["deadline"], review["in_time"]) == (10, "2026-11-02", True)
    assert review["decided_by"] == "市司法局 王某" and review["notified_on"] == "2026-11-03"
    assert review["counted_from"] == "收到复核申请之日" and rec["status"] == "变更评查结果（见复核调整）"
    assert reviewed[0].objection == "复核-2026-01"
    # without the day it was received, the 复核's window runs from the day it was lodged, and says so
    del doc["objections"][0]["review"]["received"]
    doc["objections"][0]["review"]["decided_on"] = "2026-11-03"
    [(_, rec)] = _load(tmp_path, doc).objections
    assert rec["review"]["in_time"] is False and rec["review"]["counted_from"].startswith("提出复核申请之日")


def test_bad_objections_are_located_errors(tmp_path):
    over = {"file": "a.yaml", "item": "GD-PROC-NOTICE", "points": 0, "reason": "理由", "reviewer": "张某",
            "on": "2026-11-02"}
    doc = {"overrides": [dict(over, objection="复核-无此编号"), dict(over, objection="复核-维持")],
           "objections": [
               _objection(id="复核-维持", lodged="2026-09-28",  # before the report was received
                          review={"decided_on": "2026-10-30", "outcome": "维持", "decided_by": "王某",
                                  "notified_on": "2026-10-29"}),
               _objection(id="复核-维持"),  # the same id again
               _objection(id="复核-变更", review={"decided_on": "2026-10-16", "outcome": "变更", "decided_by": "王某"}),
           ]}
    with pytest.raises(OverridesError) as err:
        _load(tmp_path, doc)
    got = [(p.field, p.message.split(" (")[0]) for p in err.value.problems]
    assert [f for f, _ in got] == ["objections[1].id", "overrides[0].objection", "overrides[1].objection",
                                   "objections[0].lodged", "objections[0].review.notified_on",
                                   "objections[2].review.decided_on", "objections[2].review.outcome"]
    assert all(p.line for p in err.value.problems) and "复核-无此编号" in got[1][1] and "维持" in got[2][1]
    assert "早于收到评查小组报告之日 2026-09-29" in got[3][1] and "没有 objection: 复核-变更 的调整记录" in got[6][1]
    with pytest.raises(OverridesError) as err:
        _load(tmp_path, {"objections": [_objection(review={"decided_on": "2026-11-02", "outcome": "撤销",
                                                           "decided_by": "王某"})]})
    [p] = err.value.problems
    assert p.field == "objections[0].review.outcome" and p.line


def test_a_date_the_calendar_does_not_cover_is_a_located_error_and_a_rubric_without_a_window_judges_nothing(
        tmp_path):
    with pytest.raises(OverridesError) as err:
        _load(tmp_path, {"objections": [_objection(report_received="2099-03-02", lodged="2099-03-09")]})
    [p] = err.value.problems
    assert p.field == "objections[0]" and "不在工作日历覆盖范围内" in p.message and p.line
    [(_, rec)] = _load(tmp_path, {"objections": [_objection()]}, rubric="gansu").objections
    assert rec["in_time"] is None and rec["deadline"] is None and rec["basis"] is None
    assert rec["timeliness"] == "评查标准未载明提出的期限，未判断是否逾期"


def test_the_objection_is_in_the_file_lines_the_summary_the_csv_and_the_report(tmp_path, capsys):
    folder = tmp_path / "case-files"
    shutil.copytree(EXAMPLES / "case-files", folder)
    target = folder / "land-licence-05.yaml"  # 95 points: its 询问笔录 not signed (5)
    path = tmp_path / "overrides.yaml"
    path.write_text(yaml.safe_dump({
        "overrides": [{"file": str(target), "item": "GD-FACTS-RECORDS", "points": 0,
                       "reason": "询问笔录经当事人核对签名，见卷宗第 12 页", "reviewer": "评查组 李某", "on": "2026-11-02",
                       "objection": "复核-2026-01"}],
        "objections": [_objection(files=[str(target)],
                                  review={"decided_on": "2026-11-02", "outcome": "变更", "decided_by": "市司法局 王某",
                                          "notified_on": "2026-11-03"}),
                       _objection(id="复核-2026-02", department="兰州市市场监督管理局", lodged="2026-10-20")]},
        allow_unicode=True, sort_keys=False), "utf-8")
    out = tmp_path / "out"
    main(["evaluate", str(folder), "--rubric", "guangdong-231", "--out", str(out), "--jobs", "1",
          "--overrides", str(path), "--pdf"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    mine = {r["path"]: r["objections"] for r in lines}
    assert mine[str(target)] == [{"id": "复核-2026-01", "lodged": "2026-10-19", "in_time": True,
                                  "status": "变更评查结果（见复核调整）"}]
    market = [r for r in lines if r["department"] == "兰州市市场监督管理局"]
    assert market and all(r["objections"][0]["in_time"] is False for r in market)
    others = [r for r in lines if r["path"] != str(target) and r["department"] != "兰州市市场监督管理局"]
    assert others and not any(r["objections"] for r in others)
    [changed] = [r for r in lines if r["overridden"]]
    assert changed["path"] == str(target) and changed["overrides"][0]["objection"] == "复核-2026-01"
    assert (changed["machine_score"], changed["score"]) == (95, 100)
    [ded] = [d for d in changed["deductions"] if d["item"] == "GD-FACTS-RECORDS"]
    assert (ded["machine_points"], ded["points"], ded["override"]["objection"]) == (5, 0, "复核-2026-01")
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert [(o["id"], o["in_time"], o["files_concerned"]) for o in summary["objections"]] == [
        ("复核-2026-01", True, 1), ("复核-2026-02", False, len(market))]
    rows = list(csv.DictReader(io.StringIO((out / "results.csv").read_bytes().decode("utf-8-sig"))))
    cell = {r["文件"]: r["复核申请"] for r in rows}
    assert cell[str(target)] == "复核-2026-01：2026-10-19 提出，在期限内，变更评查结果（见复核调整）"
    assert cell[market[0]["path"]] == "复核-2026-02：2026-10-20 提出，逾期，尚未记载复核结果"
    import pypdf
    text = "".join("".join(page.extract_text() for page in pypdf.PdfReader(out / "评查报告.pdf").pages).split())
    assert "六、异议与复核" in text and "逾期：收到评查小组报告后第11个工作日提出" in text
    assert "市司法局王某于2026年11月2日复核，变更评查结果" in text and "未规定逾期提出的复核申请如何处理" in text
    assert "依复核申请复核-2026-01的复核调整" in text
    html = render_html(summary, lines)
    assert "没有评查对象提出复核申请" not in html


def test_a_rubric_window_must_be_a_positive_number_of_working_days(tmp_path):
    text = (builtin_dir() / "guangdong-231.yaml").read_text("utf-8").replace("  window: 10\n", "  window: 0\n")
    path = tmp_path / "rubric.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(RubricError) as err:
        load_rubric(path, rulebook())
    [p] = err.value.problems
    assert p.field == "objections" and "正整数" in p.message and p.line
