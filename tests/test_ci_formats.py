"""The CI formats (SARIF 2.1.0, JUnit XML, GitHub workflow commands, Markdown) say what the review found,
on the right line of the dossier, and never hide a broken rule or dossier file.

Most tests use a small copy of the rules (the national pack with only MAD-LEGALITY-REVIEW-BEFORE-MEETING),
so that they do not change as rules are added; a few run on the whole rulebook.
Golden files: tests/golden/ci/; regenerate on purpose with PREREVIEW_UPDATE_GOLDEN=1.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
import yaml

from prereview.api.cli import _parser as cli_parser
from prereview.engine import Problem, RuleError, load_dossier, load_dossier_text, load_rulebook, run_review
from prereview.reports.ci import escape_data, escape_property, render_ci

from helpers import BASE, ROOT

RULE_ID = "MAD-LEGALITY-REVIEW-BEFORE-MEETING"
PACK = "national/major-decision"
# The Sarif schema, vendored: see tests/data/sarif-schema-2.1.0.json.ORIGIN for where it came from.
SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
GOLDEN = Path(__file__).parent / "golden" / "ci"
DOSSIER_NAME = "dossiers/公交票价调整.yaml"
COMPLIANT_NAME = "dossiers/合规.yaml"
LATE = "opinion_on: 2025-05-25"


# ---------------------------------------------------------------- fixtures and helpers

def _copy_rules(target: Path, only: str | None = None) -> Path:
    """A copy of rules/; with `only`, just the catalogue, fixtures, the national pack and that rule."""
    src = ROOT / "rules"
    if only is None:
        shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        return target
    shutil.copytree(src / "_fixtures", target / "_fixtures")
    shutil.copy(src / "catalogue.yaml", target / "catalogue.yaml")
    pack = target / "national" / "major-decision"
    pack.mkdir(parents=True)
    for name in ("_pack.yaml", f"{only}.yaml", f"{only}.cases.yaml"):
        shutil.copy(src / "national" / "major-decision" / name, pack / name)
    return target


@pytest.fixture(scope="module")
def rulebook(tmp_path_factory):
    return load_rulebook(_copy_rules(tmp_path_factory.mktemp("rules") / "rules", only=RULE_ID))


def late_text() -> str:
    """The compliant fixture with the legality review opinion dated after the executive meeting."""
    text = BASE.read_text("utf-8")
    assert text.count("opinion_on: 2025-05-12") == 1
    return text.replace("opinion_on: 2025-05-12", LATE)


def offending_lines() -> set[int]:
    """The lines of the late legality review record: its `- type:` line and its opinion_on field."""
    text = late_text()
    return {line_of(text, "- type: legality-review"), line_of(text, LATE)}


def line_of(text: str, needle: str) -> int:
    (line,) = [i for i, t in enumerate(text.splitlines(), start=1) if needle in t]
    return line


@pytest.fixture(scope="module")
def compliant(rulebook):
    review = run_review(load_dossier_text(BASE.read_text("utf-8"), COMPLIANT_NAME), rulebook)
    assert review.verdict == "pass" and review.applied_rules == [RULE_ID]
    return review


@pytest.fixture(scope="module")
def late(rulebook):
    review = run_review(load_dossier_text(late_text(), DOSSIER_NAME), rulebook)
    assert [f.rule_id for f in review.findings] == [RULE_ID]
    return review


def with_finding(review, **changes):
    """The review with its one finding changed (severity, message …): to exercise the formats."""
    (finding,) = review.findings
    return dataclasses.replace(review, findings=[dataclasses.replace(finding, **changes)])


_URI_REFERENCE = re.compile(r"^([A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-F]{2})*$")


def _uris(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uri":
                yield value
            else:
                yield from _uris(value)
    elif isinstance(node, list):
        for value in node:
            yield from _uris(value)


def sarif(*args, **kwargs) -> dict:
    """Render SARIF and validate it: the OASIS schema, and every uri an RFC 3986 reference (the schema's
    "uri-reference" format, which jsonschema does not check by itself and GitHub's upload-sarif does:
    it rejects file names with spaces or non-ASCII characters that are not percent-encoded)."""
    log = json.loads(render_ci("sarif", *args, **kwargs))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    for uri in _uris(log):
        assert _URI_REFERENCE.match(uri), uri
    return log


def check_junit(xml: str) -> ET.Element:
    """A JUnit consumer's view: parseable, and every count equal to what the elements say."""
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert suite.get("name")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
        for c in cases:
            assert c.get("classname") and c.get("name")
            assert len(c.findall("failure")) + len(c.findall("error")) <= 1
        for key in totals:
            totals[key] += int(suite.get(key))
    for key, value in totals.items():
        assert int(root.get(key)) == value
    return root


def broken_rule_problems(tmp_path) -> tuple[Path, int, list[Problem]]:
    rules = _copy_rules(tmp_path / "rules")
    rule_file = rules / "national" / "major-decision" / f"{RULE_ID}.yaml"
    text = rule_file.read_text("utf-8")
    rule_file.write_text(text.replace("severity: blocking", "severity: fatal"), "utf-8")
    with pytest.raises(RuleError) as info:
        load_rulebook(rules)
    return rule_file, line_of(text, "severity: blocking"), info.value.problems


# ---------------------------------------------------------------- SARIF

def test_sarif_of_a_late_legality_review_points_at_the_opinion_date_line(rulebook, late):
    log = sarif([late], rulebook)
    (run,) = log["runs"]
    (result,) = run["results"]
    assert result["ruleId"] == RULE_ID and result["level"] == "error"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == RULE_ID
    assert "2025-05-25" in result["message"]["text"]
    physical = result["locations"][0]["physicalLocation"]
    assert unquote(physical["artifactLocation"]["uri"]) == DOSSIER_NAME
    # the offending record: the legality review (its first line or its opinion_on field), from the first evidence
    assert physical["region"]["startLine"] == late.findings[0].evidence[0].line
    assert physical["region"]["startLine"] in offending_lines()
    related = {r["physicalLocation"]["region"]["startLine"] for r in result["relatedLocations"]}
    assert line_of(late_text(), "held_on: 2025-05-20") in related
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_describes_each_rule_with_title_fix_citation_and_level(rulebook, compliant):
    log = sarif([compliant], rulebook)
    (run,) = log["runs"]
    assert run["results"] == []
    driver = run["tool"]["driver"]
    assert driver["name"] == "prereview" and driver["version"]
    (rule,) = driver["rules"]
    assert rule["id"] == RULE_ID
    assert rule["shortDescription"]["text"] == "合法性审查意见应在集体讨论前出具"
    assert rule["defaultConfiguration"]["level"] == "error"
    for text in (rule["help"]["text"], rule["fullDescription"]["text"]):
        assert "重大行政决策程序暂行条例（国务院令第713号）第二十五条第一款" in text
        assert "2019-09-01 起施行" in text
    assert "整改：请先取得" in rule["help"]["text"]
    assert rule["properties"]["severity"] == "blocking"
    assert rule["properties"]["implements"] == rulebook.rule(RULE_ID).spec.implements
    assert run["artifacts"][0]["hashes"]["sha-256"] == compliant.receipt["dossier_sha256"]


@pytest.mark.parametrize("severity, level", [("blocking", "error"), ("major", "warning"), ("advisory", "note")])
def test_sarif_levels_follow_severity(rulebook, late, severity, level):
    (result,) = sarif([with_finding(late, severity=severity)], rulebook)["runs"][0]["results"]
    assert result["level"] == level


def test_sarif_uri_of_a_dossier_file_is_relative_to_the_current_directory(rulebook, tmp_path, monkeypatch):
    folder = tmp_path / "dossiers" / "2025 年"
    folder.mkdir(parents=True)
    file = folder / "票价.yaml"
    file.write_text(late_text(), "utf-8")
    monkeypatch.chdir(tmp_path)
    review = run_review(load_dossier(file.resolve()), rulebook)
    (result,) = sarif([review], rulebook)["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.isascii() and " " not in uri and "\\" not in uri
    assert unquote(uri) == "dossiers/2025 年/票价.yaml"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] in offending_lines()


def test_a_broken_rule_is_a_tool_execution_notification_never_a_green_run(tmp_path):
    rule_file, line, problems = broken_rule_problems(tmp_path)
    log = sarif([], None, problems=problems)
    (run,) = log["runs"]
    assert run["results"] == []
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = [n for n in invocation["toolExecutionNotifications"]
             if unquote(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]).endswith(
                 f"national/major-decision/{RULE_ID}.yaml")]
    assert notes, invocation["toolExecutionNotifications"]
    (note,) = notes
    assert note["level"] == "error"
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == line
    assert "fatal" in note["message"]["text"] and "severity" in note["message"]["text"]


def test_sarif_on_the_whole_rulebook_lists_every_rule_once_and_validates():
    book = load_rulebook()
    reviews = [run_review(load_dossier(BASE), book), run_review(load_dossier_text(late_text(), DOSSIER_NAME), book)]
    (run,) = sarif(reviews, book)["runs"]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids == [r.id for r in book.rules]
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
    assert RULE_ID in {r["ruleId"] for r in run["results"]}


def test_every_format_is_deterministic(rulebook, late, compliant):
    for fmt in ("sarif", "junit", "github", "markdown"):
        first = render_ci(fmt, [late, compliant], rulebook, fail_on="major")
        assert first == render_ci(fmt, [late, compliant], rulebook, fail_on="major")
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", first), fmt  # no timestamps


# ---------------------------------------------------------------- JUnit

def test_junit_has_a_suite_per_dossier_and_a_failing_case_for_the_blocking_finding(rulebook, late, compliant):
    root = check_junit(render_ci("junit", [late, compliant], rulebook))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [DOSSIER_NAME, COMPLIANT_NAME]
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0")
    (case,) = suites[0].findall("testcase")
    assert case.get("classname") == PACK
    assert case.get("name") == f"{RULE_ID} 合法性审查意见应在集体讨论前出具"
    failure = case.find("failure")
    assert failure.get("message") == late.findings[0].message
    assert "第二十五条第一款" in failure.text and "整改：" in failure.text
    assert f"{DOSSIER_NAME}:{late.findings[0].evidence[0].line}" in failure.text
    (ok,) = suites[1].findall("testcase")
    assert ok.find("failure") is None and ok.find("system-out") is None


def test_junit_threshold_decides_what_fails(rulebook, late):
    advisory = with_finding(late, severity="advisory")
    root = check_junit(render_ci("junit", [advisory], rulebook, fail_on="major"))
    assert root.get("failures") == "0"
    case = root.find("testsuite/testcase")
    assert late.findings[0].message in case.find("system-out").text
    root = check_junit(render_ci("junit", [advisory], rulebook, fail_on="advisory"))
    assert root.get("failures") == "1"
    major = with_finding(late, severity="major")
    assert check_junit(render_ci("junit", [major], rulebook, fail_on="blocking")).get("failures") == "0"


def test_junit_keeps_markup_and_control_characters_from_a_dossier_harmless(rulebook, late):
    odd = dataclasses.replace(with_finding(late, message='<img src="file:///etc/passwd"> & \x01 "引号"'),
                              path="dossiers/a&b <c>.yaml")
    root = check_junit(render_ci("junit", [odd], rulebook))
    suite = root.find("testsuite")
    assert suite.get("name") == "dossiers/a&b <c>.yaml"
    assert suite.find("testcase/failure").get("message") == '<img src="file:///etc/passwd"> &  "引号"'


def test_junit_reports_a_broken_rule_as_an_error_suite(tmp_path):
    rule_file, line, problems = broken_rule_problems(tmp_path)
    root = check_junit(render_ci("junit", [], None, problems=problems))
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "prereview" and int(suite.get("errors")) == len(problems) >= 1
    names = [c.get("name") for c in suite.findall("testcase")]
    assert any(n.endswith(f"{RULE_ID}.yaml:{line}") for n in names), names


def test_junit_on_the_whole_rulebook_has_a_case_per_applicable_rule():
    book = load_rulebook()
    review = run_review(load_dossier_text(late_text(), DOSSIER_NAME), book)
    root = check_junit(render_ci("junit", [review], book))
    names = [c.get("name").split()[0] for c in root.findall("testsuite/testcase")]
    assert names == review.applied_rules
    failing = {c.get("name").split()[0] for c in root.findall("testsuite/testcase") if c.find("failure") is not None}
    assert failing == {f.rule_id for f in review.at_or_above("major")}


# ---------------------------------------------------------------- GitHub workflow commands

def test_github_annotation_names_file_line_rule_and_title(rulebook, late):
    lines = render_ci("github", [late], rulebook).splitlines()
    command = lines[0]
    line = late.findings[0].evidence[0].line
    assert line in offending_lines()
    assert command.startswith(f"::error file={DOSSIER_NAME},line={line},title={RULE_ID} 合法性审查意见应在集体讨论前出具::")
    assert "合法性审查意见出具于 2025-05-25" in command
    assert "%0A依据：重大行政决策程序暂行条例（国务院令第713号）第二十五条第一款" in command
    assert all(not l.startswith("::") for l in lines[1:])  # a plain summary line, not an annotation


@pytest.mark.parametrize("severity, command", [("blocking", "error"), ("major", "warning"), ("advisory", "notice")])
def test_github_command_follows_severity(rulebook, late, severity, command):
    out = render_ci("github", [with_finding(late, severity=severity)], rulebook)
    assert out.startswith(f"::{command} file=")


def test_github_escapes_message_and_properties(rulebook, late):
    odd = with_finding(late, message="第一行\n第二行 100%\r完", title="标题, 含: 冒号")
    command = render_ci("github", [odd], rulebook).splitlines()[0]
    props, _, message = command.removeprefix("::error ").partition("::")
    assert message.startswith("第一行%0A第二行 100%25%0D完%0A依据：")
    assert props.endswith(f"title={RULE_ID} 标题%2C 含%3A 冒号")
    assert "\n" not in command and "\r" not in command
    assert escape_data("a%b\r\nc") == "a%25b%0D%0Ac"
    assert escape_property("x:y,z%\n") == "x%3Ay%2Cz%25%0A"


def test_github_reports_a_broken_rule_as_an_error_on_its_line(tmp_path):
    rule_file, line, problems = broken_rule_problems(tmp_path)
    out = render_ci("github", [], None, problems=problems)
    assert re.search(rf"^::error file=[^,]*{RULE_ID}\.yaml,line={line},title=prereview", out, re.M), out


# ---------------------------------------------------------------- Markdown

def test_markdown_has_a_row_per_dossier_and_lists_findings_with_line_and_article(rulebook, late, compliant):
    md = render_ci("markdown", [late, compliant], rulebook)
    assert f"| `{DOSSIER_NAME}` | 不得提交集体讨论 | 1 | 0 | 0 |" in md
    assert f"| `{COMPLIANT_NAME}` | 通过 | 0 | 0 | 0 |" in md
    (item,) = [l for l in md.splitlines() if l.startswith("- ")]
    assert item.startswith(f"- **阻断** `{RULE_ID}` 金昌市司法局的合法性审查意见出具于 2025-05-25")
    assert f"`{DOSSIER_NAME}:{late.findings[0].evidence[0].line}`" in item
    assert "第二十五条第一款" in item
    assert md.count("### ") == 1  # only dossiers with findings get a section


def test_markdown_lists_problems_first_and_escapes_dossier_text(rulebook, late, tmp_path):
    _, line, problems = broken_rule_problems(tmp_path)
    odd = dataclasses.replace(late, title="标题 | <b>粗</b>")
    md = render_ci("markdown", [odd], rulebook, problems=problems)
    assert md.index("输入错误") < md.index("| 卷宗 |")
    assert f"{RULE_ID}.yaml:{line}`" in md
    assert "### 标题 \\| \\<b\\>粗\\</b\\>" in md
    assert "规则未能加载" in render_ci("markdown", [], None, problems=problems)


def test_unknown_format_or_threshold_is_refused(rulebook, late):
    with pytest.raises(ValueError):
        render_ci("xml", [late], rulebook)
    with pytest.raises(ValueError):
        render_ci("sarif", [late], rulebook, fail_on="minor")


# ---------------------------------------------------------------- golden files

def _normalise(text: str) -> str:
    return re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", text)


@pytest.fixture(scope="module")
def frozen(tmp_path_factory):
    """Frozen inputs for the golden files: a one-rule pack and the compliant dossier as they were."""
    data = Path(__file__).parent / "data" / "ci"
    rules = tmp_path_factory.mktemp("frozen") / "rules"
    for name, text in yaml.safe_load((data / "frozen-rules.yaml").read_text("utf-8"))["files"].items():
        (rules / name).parent.mkdir(parents=True, exist_ok=True)
        (rules / name).write_text(text, "utf-8")
    book = load_rulebook(rules)
    text = (data / "major-decision-compliant.yaml").read_text("utf-8")
    reviews = [run_review(load_dossier_text(text.replace("opinion_on: 2025-05-12", LATE), DOSSIER_NAME), book),
               run_review(load_dossier_text(text, "dossiers/合规.yaml"), book)]
    problems = [Problem("dossiers/坏.yaml", 4, "decision.kind", "取值不在允许范围内：'major'",
                        "major-decision / enforcement-decision / normative-document")]
    return book, reviews, problems


@pytest.mark.parametrize("fmt, suffix", [("sarif", "sarif"), ("junit", "junit.xml"), ("github", "github.txt"),
                                         ("markdown", "md")])
def test_golden(frozen, fmt, suffix):
    book, reviews, problems = frozen
    out = _normalise(render_ci(fmt, reviews, book, fail_on="major", problems=problems))
    golden = GOLDEN / f"late-compliant-broken.{suffix}"
    if os.environ.get("PREREVIEW_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out, "utf-8")
    assert out == golden.read_text("utf-8"), f"{golden} differs; regenerate on purpose with PREREVIEW_UPDATE_GOLDEN=1"


# ---------------------------------------------------------------- CI examples and the pre-commit hook

_SHELL_OPERATORS = {">", ">>", "|", "||", "&&", ";", "2>", "2>&1"}


def _prereview_commands(lines) -> list[list[str]]:
    """The prereview invocations in shell lines, cut at the first redirection or operator."""
    out = []
    for line in lines:
        for raw in str(line).splitlines():
            if not raw.strip().startswith("prereview "):
                continue
            words = []
            for word in shlex.split(raw, comments=True):
                if word in _SHELL_OPERATORS:
                    break
                words.append(word)
            out.append(words[1:])
    return out


def _redirect_target(lines, fmt: str) -> str:
    for line in lines:
        words = shlex.split(str(line))
        if words[:1] == ["prereview"] and f"--format {fmt}" in " ".join(words):
            return words[words.index(">") + 1]
    raise AssertionError(f"no prereview --format {fmt} > FILE")


def test_github_actions_example_parses_and_uses_only_real_options():
    wf = yaml.safe_load((ROOT / "examples" / "ci" / "github-actions.yml").read_text("utf-8"))
    (job,) = wf["jobs"].values()
    runs = [s["run"] for s in job["steps"] if "run" in s]
    commands = _prereview_commands(runs)
    assert len(commands) == 3
    for argv in commands:
        args = cli_parser().parse_args(argv)
        assert args.command == "check" and args.paths == ["dossiers/"]
    by_format = {cli_parser().parse_args(a).format: cli_parser().parse_args(a) for a in commands}
    assert by_format["sarif"].exit_zero and not by_format["github"].exit_zero
    (upload,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == _redirect_target(runs, "sarif")
    assert job["permissions"]["security-events"] == "write"
    assert any("pip install" in r for r in runs)


def test_gitlab_example_parses_uses_only_real_options_and_keeps_the_junit_report():
    ci = yaml.safe_load((ROOT / "examples" / "ci" / "gitlab-ci.yml").read_text("utf-8"))
    job = ci["prereview"]
    lines = job["before_script"] + job["script"] + job["after_script"]
    commands = _prereview_commands(lines)
    assert {cli_parser().parse_args(a).format for a in commands} == {"junit", "markdown"}
    assert job["artifacts"]["reports"]["junit"] == _redirect_target(job["script"], "junit")
    assert job["artifacts"]["when"] == "always"
    assert any("pip install" in l for l in job["before_script"])


def test_pre_commit_hook_runs_prereview_check_on_dossier_files():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert hook["id"] == "prereview-check" and hook["language"] == "python"
    assert {"id", "name", "entry", "language"} <= set(hook)
    args = cli_parser().parse_args(shlex.split(hook["entry"])[1:] + ["dossiers/a.yaml"])  # pre-commit appends files
    assert args.command == "check" and args.paths == ["dossiers/a.yaml"]
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])

    def selected(path):
        return bool(files.search(path)) and not exclude.search(path)

    for path in ("dossiers/2025/票价.yaml", "dossiers/a.yml", "examples/lanzhou-waste-sorting.yaml", "dossiers/b.json"):
        assert selected(path), path
    for path in ("examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml", "README.md", "rules/x.yaml",
                 "dossiers/notes.txt"):
        assert not selected(path), path
