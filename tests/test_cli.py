"""`prereview` as a user and a CI job run it: exit codes, formats, errors in Chinese."""
import json
import shutil
import subprocess
import sys

import pytest
import yaml

from prereview.api.cli import main
from prereview.engine.dossier import dossier_schema

from helpers import BASE, ROOT, base_data


def _run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def late_review(tmp_path):
    data = base_data()
    for step in data["steps"]:
        if step["type"] == "legality-review":
            step["opinion_on"] = "2025-05-25"
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def test_a_compliant_dossier_exits_0_and_says_pass(capsys):
    code, out, _ = _run(capsys, "check", str(BASE))
    assert code == 0 and "通过" in out and "未发现程序缺陷" in out


def test_a_blocking_finding_exits_1_and_names_the_article_and_line(capsys, late_review):
    code, out, _ = _run(capsys, "check", str(late_review))
    assert code == 1
    assert "MAD-LEGALITY-REVIEW-BEFORE-MEETING" in out and "第二十五条第一款" in out
    line = next(i for i, text in enumerate(late_review.read_text("utf-8").splitlines(), 1) if "2025-05-25" in text)
    assert f"late.yaml:{line}" in out


def test_fail_on_and_exit_zero(capsys, late_review):
    assert _run(capsys, "check", str(late_review), "--exit-zero")[0] == 0
    assert _run(capsys, "check", str(late_review), "--fail-on", "blocking")[0] == 1
    data = base_data()
    data["steps"] = [s for s in data["steps"] if s["type"] != "archiving"]  # a major finding only
    minor = late_review.with_name("minor.yaml")
    minor.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    assert _run(capsys, "check", str(minor), "--fail-on", "blocking")[0] == 0
    assert _run(capsys, "check", str(minor))[0] == 1


def test_json_for_one_file_is_an_object_and_for_a_folder_a_list(capsys, late_review):
    code, out, _ = _run(capsys, "check", str(late_review), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["verdict"] == "blocked"
    finding = doc["findings"][0]
    assert set(finding) >= {"rule_id", "severity", "title", "message", "implements", "basis", "evidence", "fix"}
    assert {"source", "number", "article"} <= set(finding["basis"][0])
    assert {"path", "line", "field"} <= set(finding["evidence"][0])
    assert set(doc["receipt"]) >= {"engine", "rulebook", "dossier_sha256", "as_of"}
    shutil.copy(BASE, late_review.parent / "ok.yaml")
    (late_review.parent / "notes.yaml").write_text("just: notes\n", "utf-8")  # not a dossier: ignored
    code, out, _ = _run(capsys, "check", str(late_review.parent), "--format", "json")
    docs = json.loads(out)
    assert isinstance(docs, list) and [d["verdict"] for d in docs] == ["blocked", "pass"]


def test_unusable_input_exits_2_with_file_line_and_field_in_chinese(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("decision:\n  title: x\n  kind: major-decisio\n", "utf-8")
    code, out, err = _run(capsys, "check", str(bad), str(BASE))
    assert code == 2
    assert f"{bad}:3" in err and "decision.kind" in err and "major-decision" in err
    assert "通过" in out  # the good dossier is still reviewed
    assert _run(capsys, "check", str(tmp_path / "missing.yaml"))[0] == 2


def test_broken_rules_exit_2_and_are_never_skipped(capsys, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    target = rules / "national" / "major-decision" / "MAD-LEGALITY-REVIEW-BEFORE-MEETING.yaml"
    text = target.read_text("utf-8").replace("when:\n", "when:\n  - step: hearing\n    where: opinion_date == 1\n", 1)
    target.write_text(text, "utf-8")
    code, _, err = _run(capsys, "check", str(BASE), "--rules-dir", str(rules))
    assert code == 2 and "MAD-LEGALITY-REVIEW-BEFORE-MEETING.yaml" in err and "opinion_date" in err


def test_rules_list_and_show(capsys):
    code, out, _ = _run(capsys, "rules", "list", "--format", "json")
    rules = json.loads(out)
    assert code == 0 and rules
    assert all({"id", "title", "severity", "kinds", "implements", "basis"} <= set(r) for r in rules)
    assert all(b["in_force"]["from"] for r in rules for b in r["basis"])
    code, out, _ = _run(capsys, "rules", "show", "MAD-LEGALITY-REVIEW-BEFORE-MEETING")
    assert code == 0 and "第二十五条第一款" in out and "## 用例" in out and "应触发" in out
    assert _run(capsys, "rules", "show", "NO-SUCH-RULE")[0] == 2


def test_init_writes_a_template_that_checks(capsys, tmp_path):
    target = tmp_path / "new.yaml"
    assert _run(capsys, "init", "--kind", "major-decision", "-o", str(target))[0] == 0
    assert _run(capsys, "check", str(target), "--format", "json")[0] in (0, 1)
    assert _run(capsys, "init", "-o", str(target))[0] == 2  # never overwrites


def test_the_shipped_schema_is_the_one_generated_from_the_model(capsys):
    code, out, _ = _run(capsys, "schema")
    assert code == 0 and json.loads(out) == dossier_schema()
    shipped = json.loads((ROOT / "engine" / "dossier.schema.json").read_text("utf-8"))
    assert shipped == dossier_schema(), "重新生成：prereview schema > engine/dossier.schema.json"


def test_the_installed_command_gives_byte_identical_json_across_runs(late_review):
    cmd = [sys.executable, "-m", "prereview.api.cli", "check", str(late_review), "--format", "json"]
    first = subprocess.run(cmd, capture_output=True, check=False)
    second = subprocess.run(cmd, capture_output=True, check=False)
    assert first.returncode == 1 and first.stdout and first.stdout == second.stdout


def test_rules_coverage_accounts_for_every_major_decision_requirement(capsys):
    code, out, _ = _run(capsys, "rules", "coverage", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) >= 50
    assert {r["where"] for r in rows} <= {"rules", "checklist", "not-checkable"}
    assert next(r for r in rows if r["requirement"] == "MAD-LIABILITY")["where"] == "not-checkable"


def test_report_writes_each_format_and_refuses_a_wrong_answers_file(capsys, tmp_path, late_review):
    for name in ("r.html", "r.md", "opinion.pdf"):
        template = "opinion" if name.startswith("opinion") else "report"
        code, _, err = _run(capsys, "report", str(late_review), "-o", str(tmp_path / name), "--template", template)
        assert code == 0 and (tmp_path / name).stat().st_size > 0, err
    assert (tmp_path / "opinion.pdf").read_bytes().startswith(b"%PDF")
    assert "合法性审查意见出具于 2025-05-25" in (tmp_path / "r.md").read_text("utf-8")
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers:\n  MD-NO-SUCH: {result: 符合, reviewer: 张三, date: 2025-06-01}\n", "utf-8")
    code, _, err = _run(capsys, "report", str(late_review), "-o", str(tmp_path / "x.html"), "--answers", str(answers))
    assert code == 2 and "answers.yaml:2" in err and "MD-NO-SUCH" in err
    assert not (tmp_path / "x.html").exists()  # nothing half-written


def test_check_report_dir_writes_html_and_pdf_per_dossier(capsys, tmp_path, late_review):
    code, _, _ = _run(capsys, "check", str(late_review), "--report-dir", str(tmp_path / "out"))
    assert code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["late.html", "late.pdf"]


def test_a_kind_or_date_no_rule_covers_is_unusable_input_never_a_pass(capsys, tmp_path):
    # a normative document issued in 2017, before 国办发〔2018〕115号: only a stray older rule would be in force
    text = (ROOT / "rules" / "_fixtures" / "normative-document-compliant.yaml").read_text("utf-8")
    other = tmp_path / "ndoc2017.yaml"
    other.write_text(text.replace("2025-", "2017-").replace("2027-", "2019-"), "utf-8")
    code, _, err = _run(capsys, "check", str(other))
    assert code == 2 and "2018-12-04" in err and "issued_on" in err
    code, _, err = _run(capsys, "check", str(BASE), "--as-of", "2010-01-01")
    assert code == 2 and "2010-01-01" in err


def test_a_penalty_case_begun_before_the_packs_period_is_refused_not_half_reviewed(capsys, tmp_path):
    # 2017: only rules of other laws would be in force; a review by them alone would be a silent pass
    text = (ROOT / "rules" / "_fixtures" / "enforcement-penalty-compliant.yaml").read_text("utf-8")
    target = tmp_path / "p2017.yaml"
    target.write_text(text.replace("2025-", "2017-"), "utf-8")
    code, out, err = _run(capsys, "check", str(target))
    filed = text.replace("2025-", "2017-").splitlines().index("    filed_on: 2017-03-05") + 1
    assert code == 2 and f"p2017.yaml:{filed}" in err and "steps[0].filed_on" in err and "2021-01-22" in err
