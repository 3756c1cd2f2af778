"""The report and the draft 法制审核意见书 of a major law-enforcement decision.

The lawful penalty fixture (rules/_fixtures/enforcement-penalty-compliant.yaml) and a variant
served on the 8th working day after the decision (PEN-SERVICE-LATE fires), reviewed with the
shipped rules as `prereview report` reviews them: the kind's titles, terms and seven heads, its
conclusions and legal basis, no major-decision wording, the party's ID number in the reports
and in no `check` output, the timeline's periods, and the PDF's text and fonts.
"""
from __future__ import annotations

import io
import logging
import re

import pytest
import yaml
from pypdf import PdfReader

from prereview.api.cli import _checklist_for, main
from prereview.engine import kinds, load_dossier, load_rulebook, run_review
from prereview.reports.render import render_report
from prereview.reports.timeline import build_timeline

from report_data import ROOT

FIXTURE = ROOT / "rules" / "_fixtures" / "enforcement-penalty-compliant.yaml"
KIND = kinds.get("enforcement-decision")
ID_NUMBER = "91620100MA7XXXXXX1"
MAJOR_WORDING = ("决策草案", "重大行政决策程序暂行条例", "决策事项", "决策机关", "承办单位", "合法性审查")


def _variant(tmp_path, name: str, change) -> str:
    data = yaml.safe_load(FIXTURE.read_text("utf-8"))
    change(data)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return str(path)


def _step(data: dict, step_type: str) -> dict:
    return next(s for s in data["steps"] if s["type"] == step_type)


def _serve_late(data: dict) -> None:
    # as PEN-SERVICE-LATE.cases.yaml: decided 2025-05-28, served on the 8th working day
    _step(data, "service")["served_on"] = "2025-06-10"
    _step(data, "publication")["published_on"] = "2025-06-10"


@pytest.fixture(scope="module")
def dossiers(tmp_path_factory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("enforcement")
    return {"compliant": str(FIXTURE), "late": _variant(tmp, "late", _serve_late)}


def _review(path):
    r = run_review(load_dossier(path), load_rulebook())
    return r, _checklist_for(r, None)


def _render(path, template: str, fmt: str) -> str:
    r, checklist = _review(path)
    return render_report(r, template=template, fmt=fmt, checklist=checklist).decode("utf-8")


def test_the_fixture_passes_and_the_variant_is_served_late(dossiers):
    compliant, _ = _review(dossiers["compliant"])
    late, _ = _review(dossiers["late"])
    assert compliant.kind == "enforcement-decision" and compliant.verdict == "pass" and not compliant.findings
    assert [f.rule_id for f in late.findings] == ["PEN-SERVICE-LATE"] and late.verdict == "fix-then-submit"


@pytest.mark.parametrize("name", ["compliant", "late"])
@pytest.mark.parametrize("fmt", ["html", "md"])
def test_the_report_is_titled_and_labelled_for_the_kind(dossiers, name, fmt):
    out = _render(dossiers[name], "report", fmt)
    assert KIND.report_title in out and "不代替法制审核意见" in out
    for term in ("subject", "organ", "party", "action", "sector", "authority"):
        assert KIND.terms[term] in out, term
    for values in ("兰州市市场监督管理局（市（州）级）", "兰州某某商贸有限公司（法人", "行政处罚", "市场监督管理",
                   "《中华人民共和国产品质量法》第八条第二款"):
        assert values in out, values
    assert not [w for w in MAJOR_WORDING if w in out]


@pytest.mark.parametrize("name", ["compliant", "late"])
@pytest.mark.parametrize("fmt", ["html", "md"])
def test_the_opinion_is_a_legal_review_opinion_under_the_seven_heads(dossiers, name, fmt):
    out = _render(dossiers[name], "opinion", fmt)
    text = out.replace("<br>", "")
    assert f"{KIND.label}{KIND.opinion_title}" in text
    assert "兰州市市场监督管理局法规科" in out and "于2025年5月16日送请法制审核" in out   # 送审 date and reviewer
    positions = [out.index(f"关于{label}") for label in KIND.heads.items.values()]
    assert positions == sorted(positions)                                                # in 118号's order
    for code, question in KIND.heads.questions.items():
        if code != KIND.heads.default:
            assert f"【待审核人员填写：{question}】" in out, code
    assert "罚款200000元、没收违法所得36500元" in out                                     # the penalty
    assert "需经听证程序作出" in out                                                       # why it is major
    assert "对照本机关规定的送审材料报送要求" in out                                     # no materials list yet
    assert "审核人员：" in out and "法制审核机构负责人：" in out
    assert not [w for w in MAJOR_WORDING if w in out] and "决策" not in out


def test_the_compliant_opinion_agrees_and_the_late_one_sends_the_case_back(dossiers):
    compliant = _render(dossiers["compliant"], "opinion", "md")
    assert f"审核意见：**{KIND.conclusions['pass']}**" in compliant
    assert "按规则库核对，未发现执法程序违反法定程序的问题" in compliant
    assert "七、处理意见和建议\n\n无。" in compliant
    late = _render(dossiers["late"], "opinion", "md")
    assert f"审核意见：**{KIND.conclusions['fix-then-submit']}**" in late and "存在1项应当补正的问题" in late
    procedure = late[late.index("关于程序"):late.index("关于事实与证据")]
    assert "2025-06-10 才以直接送达方式送达" in procedure and "第六十一条第一款" in procedure
    assert "未发现执法程序违反法定程序" not in late
    assert "说明逾期送达的原因" in late[late.index("七、处理意见和建议"):]
    # the heads a reviewer has still to fill are named as the conclusion's premise
    assert "上述结论以审核人员对主体与资格、事实与证据、法律适用与裁量、权限、文书、涉嫌犯罪移送的审核为前提" in late


ART58 = "《中华人民共和国行政处罚法》第五十八条"
GOV118 = "（国办发〔2018〕118号）"
GANSU126 = "《甘肃省重大行政执法决定法制审核办法》（甘肃省人民政府令第126号）"


def _grounds(codes):
    def change(data):
        data["decision"]["major_grounds"] = codes
    return change


def _province(name):
    def change(data):
        data["decision"]["organ"]["province"] = name
    return change


@pytest.mark.parametrize("name, change, cited, not_cited", [
    ("fixture", None, (ART58, GOV118, GANSU126), ()),
    # 社会重大影响 is a ground of 118号 and 甘肃省政府令第126号 第五条, not of 行政处罚法第五十八条
    ("social-impact", _grounds(["social-impact"]), (GOV118, GANSU126), (ART58,)),
    ("outside-gansu", _province("陕西省"), (ART58, GOV118), (GANSU126,)),
])
def test_the_opinion_cites_only_the_bases_that_apply(tmp_path, name, change, cited, not_cited):
    path = str(FIXTURE) if change is None else _variant(tmp_path, name, change)
    intro = _render(path, "opinion", "md").split("现提出审核意见如下")[0]
    for basis in cited:
        assert basis in intro, basis
    for basis in not_cited:
        assert basis not in intro, basis


def test_the_id_number_is_in_the_reports_and_in_no_check_output(dossiers, capsys):
    for template in ("report", "opinion"):
        for fmt in ("html", "md"):
            assert f"证件号码 {ID_NUMBER}" in _render(dossiers["late"], template, fmt), (template, fmt)
    for fmt in ("json", "sarif", "junit", "github", "markdown", "text"):
        main(["check", dossiers["late"], dossiers["compliant"], "--format", fmt, "--exit-zero"])
        out, err = capsys.readouterr()
        assert "PEN-SERVICE-LATE" in out, fmt                # the output is there, only the number is not
        assert ID_NUMBER not in out + err, fmt


def test_the_timeline_draws_the_hearing_notice_and_the_service_period(dossiers):
    for name, served_in_time in (("compliant", True), ("late", False)):
        r, _ = _review(dossiers[name])
        rows = {row.label: row for row in build_timeline(r).rows}
        hearing, decision, service = rows["听证"], rows["作出决定"], rows["送达"]
        assert [w.caption for w in hearing.windows] == ["提前7个工作日通知"]
        assert [caption for _, caption in hearing.marks] == ["通知 04-25"]
        assert hearing.marks[0][0] < hearing.windows[0].x1                  # notified before the window opens
        assert [w.caption for w in decision.windows] == ["7个工作日内送达"]
        assert (service.x1 <= decision.windows[0].x2) is served_in_time
        assert service.red is not served_in_time
    html = _render(dossiers["late"], "report", "html")
    assert "听证七日前通知当事人" in html and "七日内送达决定书" in html


def _pdf(path, template, caplog) -> tuple[str, list[str], dict]:
    r, checklist = _review(path)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        reader = PdfReader(io.BytesIO(render_report(r, template=template, fmt="pdf", checklist=checklist)))
    fonts = {str(f.get_object()["/BaseFont"]): f.get_object().get("/Encoding")
             for page in reader.pages for f in page["/Resources"].get("/Font", {}).values()}
    # page numbers (— 4 —) dropped: a sentence may run on over a page break
    text = re.sub(r"— \d+ —", "", "".join(page.extract_text() for page in reader.pages)).replace("\n", "")
    return text, [rec.getMessage() for rec in caplog.records], fonts


@pytest.mark.parametrize("template, words", [
    ("report", (KIND.report_title, "对兰州某某商贸有限公司销售不合格电线电缆案的行政处罚", "当事人", "执法机关",
                "当事人不在场的，行政处罚决定书应当在七个工作日内送达", "审查回执", ID_NUMBER)),
    ("opinion", ("重大行政执法决定", KIND.opinion_title, "兰州市市场监督管理局法规科",
                 *(f"关于{label}" for label in KIND.heads.items.values()),
                 KIND.conclusions["fix-then-submit"], "处理意见和建议", "法制审核机构负责人", ID_NUMBER)),
])
def test_the_pdf_has_the_title_and_the_parts_in_real_cjk_fonts(dossiers, caplog, template, words):
    text, messages, fonts = _pdf(dossiers["late"], template, caplog)
    for w in words:
        assert w in text, w
    assert not [w for w in MAJOR_WORDING if w in text]
    assert fonts and {name: enc for name, enc in fonts.items() if enc != "/Identity-H"} == {}
    assert not [m for m in messages if ".notdef" in m or "glyphs missing" in m]


def test_rendering_twice_gives_the_same_bytes(dossiers):
    for template in ("report", "opinion"):
        assert _render(dossiers["late"], template, "html") == _render(dossiers["late"], template, "html")


def test_a_review_without_its_dossier_still_renders(dossiers):
    """A stored review may come back without the dossier model: the opinion asks for the case instead."""
    r, checklist = _review(dossiers["late"])
    r.dossier = None
    for fmt in ("html", "md"):
        opinion = render_report(r, template="opinion", fmt=fmt, checklist=checklist).decode()
        assert "【待审核人员填写：案件名称、当事人、拟作出的决定】" in opinion and "关于涉嫌犯罪移送" in opinion
        assert "说明逾期送达的原因" in opinion and ID_NUMBER not in opinion
        assert KIND.report_title in render_report(r, template="report", fmt=fmt, checklist=checklist).decode()


MATERIALS = """\
kind: enforcement-decision
title: 测试用送审材料清单
materials:
  - {kind: explanation, package: review, required: {always: true}, basis: 测试}
  - {kind: draft-decision, package: review, required: {always: true}, basis: 测试}
  - {kind: hearing-record, package: review, required: {steps: [hearing]}, basis: 测试}
"""


@pytest.mark.parametrize("extra, says", [
    ("", "经核对，送审材料齐全。"),
    ("  - {kind: assessment-report, package: review, required: {always: true}, basis: 测试}\n",
     "经核对，送审材料不齐全，缺少评估报告，请补充报送。"),
])
def test_with_a_materials_list_the_opinion_checks_the_materials_against_it(dossiers, tmp_path, monkeypatch,
                                                                          extra, says):
    """The kind has no materials list yet; when it has one, the opinion counts and checks against it."""
    from prereview.engine.checklist import load_materials
    from prereview.reports import view

    (tmp_path / "enforcement-decision-materials.yaml").write_text(MATERIALS + extra, "utf-8")
    monkeypatch.setattr(view, "load_materials", lambda kind: load_materials(kind, tmp_path))
    for fmt in ("html", "md"):
        opinion = _render(dossiers["compliant"], "opinion", fmt)
        assert "收到送审材料 24 件：立案审批表、" in opinion and says in opinion
        assert "附：送审材料清单核对表；" in opinion and "对照本机关规定的送审材料报送要求" not in opinion
