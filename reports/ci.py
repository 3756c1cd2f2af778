"""Machine formats a CI pipeline reads: SARIF 2.1.0, JUnit XML, GitHub workflow commands, Markdown.

`prereview check PATH... --format sarif|junit|github|markdown` calls `render_ci`. Everything is
built from `Review` objects (and the rulebook's rule descriptions); nothing here runs the rule
engine. Output is deterministic: no timestamps, no absolute paths when a relative one exists,
the order of the reviews given and of their findings.

Input and rule-loading problems are never hidden: SARIF reports them as tool execution
notifications (executionSuccessful false), JUnit as a `prereview` testsuite of errors, GitHub as
`::error` commands, Markdown at the top of the summary.
"""
from __future__ import annotations

import datetime as dt

import io
import json
import re
import shutil
import string
import tempfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import TextIO
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

import prereview
from prereview.engine.errors import Problem
from prereview.engine.review import Evidence, Finding, Review, fold_cjk
from prereview.engine.rulebook import SEVERITIES, SEVERITY_LABELS, Rule, Rulebook, severity_rank

from .common import bytecode_cache, cite, cite_in_force, counts, display_path

FORMATS = ("sarif", "junit", "github", "markdown")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVELS = {"blocking": "error", "major": "warning", "advisory": "note"}
GITHUB_COMMANDS = {"blocking": "error", "major": "warning", "advisory": "notice"}
INPUT_ERROR_ID = "PREREVIEW-INPUT-ERROR"  # descriptor of a problem with a dossier or rule file

_ENV = Environment(loader=PackageLoader("prereview.reports", "templates"), undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
                   bytecode_cache=bytecode_cache())


def render_ci(fmt: str, reviews: list[Review], rulebook: Rulebook | None, *, fail_on: str = "major",
              problems: Sequence[Problem] = ()) -> str:
    """Render reviews (and input/rule problems) in a CI format: sarif, junit, github or markdown.

    rulebook is None when the rules failed to load; reviews is then empty and problems says why.
    fail_on (blocking | major | advisory) is the threshold at or above which a finding fails:
    JUnit failures, and the Markdown summary's overall line.
    """
    stream = ci_stream(fmt, rulebook, fail_on=fail_on)
    for review in reviews:
        stream.add(review)
    out = io.StringIO()
    stream.finish(out, problems)
    return out.getvalue()


def ci_stream(fmt: str, rulebook: Rulebook | None, *, fail_on: str = "major") -> "CiStream":
    """A writer that takes reviews one at a time (a folder check streams them) and writes the whole
    document at the end, in the bytes `render_ci` gives: what a review contributes is kept on disk
    (or, for Markdown, the slim review), never every review in memory."""
    if fmt not in FORMATS:
        raise ValueError(f"未知的 CI 输出格式 {fmt!r}（应为 {' / '.join(FORMATS)}）")
    if fail_on not in SEVERITIES:
        raise ValueError(f"未知的阈值 {fail_on!r}（应为 {' / '.join(SEVERITIES)}）")
    return {"sarif": SarifStream, "junit": JunitStream, "github": GithubStream,
            "markdown": MarkdownStream}[fmt](rulebook, fail_on)


class CiStream:
    def __init__(self, rulebook: Rulebook | None, fail_on: str):
        self.rulebook, self.fail_on = rulebook, fail_on

    def add(self, review: Review) -> None:
        raise NotImplementedError

    def finish(self, out: TextIO, problems: Sequence[Problem] = ()) -> None:
        raise NotImplementedError


class _Spool:
    """Text kept aside (in memory while small, then in a temporary file) until the document around it is written."""

    def __init__(self):
        self.file = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8")
        self.count = 0

    def write(self, text: str) -> None:
        self.file.write(text)
        self.count += 1

    def copy_to(self, out: TextIO) -> None:
        self.file.seek(0)
        shutil.copyfileobj(self.file, out)
        self.file.close()


def _json_items(spool: _Spool, out: TextIO, depth: int) -> None:
    """Write spooled list items (see _json_item) as json.dumps(indent=2) writes a list at this depth."""
    if not spool.count:
        out.write("[]")
        spool.file.close()
        return
    out.write("[\n")
    spool.copy_to(out)
    out.write("\n" + " " * (2 * depth) + "]")


def _json_item(spool: _Spool, obj, depth: int) -> None:
    pad = " " * (2 * (depth + 1))
    text = json.dumps(obj, ensure_ascii=False, indent=2)  # JSON text has no raw newline inside a string
    spool.write(("," + "\n" if spool.count else "") + pad + text.replace("\n", "\n" + pad))


# ---------------------------------------------------------------- shared helpers

def artifact_uri(path: str) -> str:
    """A URI reference for a dossier path (relative when possible), percent-encoding spaces and non-ASCII."""
    shown = display_path(path)
    if Path(shown).is_absolute():
        return Path(shown).as_uri()
    return quote(shown, safe="/-._~!$&'()*+,;=@")


def _spec_basis(rule: Rule) -> list[dict]:
    return [b.to_dict() for b in rule.spec.latest.basis]


def _generic(template: str, params: dict) -> str:
    """A rule's message/fix template with its placeholders made readable outside any dossier."""
    out = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name:
            alias, _, attr = name.partition(".")
            out.append(str(params[attr]) if alias == "param" and attr in params else "〔…〕")
    return fold_cjk("".join(out))


def primary_evidence(finding: Finding, review: Review | None = None) -> Evidence | None:
    """Where a finding is annotated: its first evidence, which the engine makes the record of the
    rule's own step (the offending step or field)."""
    return finding.evidence[0] if finding.evidence else None


def _problem_text(p: Problem) -> str:
    text = f"字段 {p.field}：{p.message}" if p.field else p.message
    if p.expected:
        text += f"（应为：{p.expected}）"
    return text


class _RuleIndex:
    """Rule descriptors in a stable order: the rulebook's rules, then any rule a finding names that
    the rulebook does not have (described from the finding itself)."""

    def __init__(self, rulebook: Rulebook | None, reviews: Iterable[Review]):
        self.entries: list[dict] = []
        self.index: dict[str, int] = {}
        for rule in (rulebook.rules if rulebook else []):
            spec = rule.spec
            # the values in force now in the rule's own pack (a descriptor is not one dossier's)
            params = {n: f.value for n, f in rulebook.figures_at(spec.kinds[0], rule.pack.ancestry, dt.date.max).items()}
            self._add(rule.id, title=spec.title, severity=spec.latest.severity, implements=list(spec.implements),
                      basis=_spec_basis(rule), fix=_generic(spec.fix, params), pack=rule.pack.name,
                      pack_version=rule.pack.version, step=spec.step, kinds=list(spec.kinds),
                      rationale=spec.rationale)
        for review in reviews:
            self.add_review(review)

    def add_review(self, review: Review) -> None:
        for f in review.findings:
            if f.rule_id not in self.index:
                self._add(f.rule_id, title=f.title, severity=f.severity, implements=list(f.implements),
                          basis=f.basis, fix=f.fix, pack=f.pack, pack_version=None, step=f.step,
                          kinds=[review.kind], rationale=None)

    def _add(self, rule_id: str, **info) -> None:
        self.index[rule_id] = len(self.entries)
        self.entries.append(dict(info, id=rule_id))

    def get(self, rule_id: str) -> dict | None:
        i = self.index.get(rule_id)
        return None if i is None else self.entries[i]


# ---------------------------------------------------------------- SARIF 2.1.0

def _region(line: int | None) -> dict:
    return {"region": {"startLine": line}} if line else {}


def _physical(path: str, line: int | None) -> dict:
    return {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(path)}, **_region(line)}}


def _sarif_rule(info: dict) -> dict:
    citations = [cite_in_force(b) for b in info["basis"]]
    full = "；".join(citations)
    if info.get("rationale"):
        full = f"{info['rationale'].strip()}\n依据：{full}"
    help_text = f"整改：{info['fix']}\n依据：" + "；".join(citations)
    help_md = (f"**整改**：{_md(info['fix'])}\n\n**依据**：\n\n"
               + "\n".join(f"- {_md(c)}" for c in citations))
    props: dict = {"severity": info["severity"], "severityLabel": SEVERITY_LABELS[info["severity"]],
                   "implements": info["implements"], "pack": info["pack"], "step": info["step"],
                   "basis": info["basis"], "tags": ["prereview", info["pack"], *info["kinds"]]}
    if info.get("pack_version"):
        props["packVersion"] = info["pack_version"]
    return {
        "id": info["id"],
        "name": info["id"],
        "shortDescription": {"text": info["title"]},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": SARIF_LEVELS[info["severity"]]},
        "properties": props,
    }


def _sarif_result(f: Finding, review: Review, rules: _RuleIndex) -> dict:
    evidence = list(f.evidence)
    if evidence:
        first = evidence[0]
        location = _physical(first.path or review.path, first.line)
    else:
        location = _physical(review.path, None)
    result: dict = {
        "ruleId": f.rule_id,
        "ruleIndex": rules.index[f.rule_id],
        "level": SARIF_LEVELS[f.severity],
        "message": {"text": f.message},
        "locations": [location],
    }
    related = []
    for i, e in enumerate(evidence[1:], start=1):
        loc = _physical(e.path or review.path, e.line)
        loc["id"] = i
        loc["message"] = {"text": e.field + (f"：{e.note}" if e.note else "")}
        related.append(loc)
    if related:
        result["relatedLocations"] = related
    result["properties"] = {
        "severity": f.severity, "step": f.step, "pack": f.pack, "fix": f.fix,
        **({"record": f.record} if f.record else {}), **({"bar": f.bar} if f.bar else {}),
        "basis": f.basis, "evidence": [e.field for e in evidence],
        "dossier": {"title": review.title, "kind": review.kind, "verdict": review.verdict},
    }
    return result


def _notification(p: Problem) -> dict:
    note: dict = {"level": "error", "message": {"text": _problem_text(p)},
                  "descriptor": {"id": INPUT_ERROR_ID}}
    if p.path:
        note["locations"] = [_physical(p.path, p.line)]
    note["properties"] = {"field": p.field, "expected": p.expected}
    return note


def render_sarif(reviews: list[Review], rulebook: Rulebook | None, *, fail_on: str = "major",
                 problems: Sequence[Problem] = ()) -> str:
    return render_ci("sarif", reviews, rulebook, fail_on=fail_on, problems=problems)


class SarifStream(CiStream):
    """SARIF: rules and notifications come before artifacts and results, so those two are spooled."""

    def __init__(self, rulebook: Rulebook | None, fail_on: str):
        super().__init__(rulebook, fail_on)
        self.rules = _RuleIndex(rulebook, [])
        self.seen: set[str] = set()
        self.artifacts, self.results = _Spool(), _Spool()

    def add(self, review: Review) -> None:
        self.rules.add_review(review)
        uri = artifact_uri(review.path)
        if uri not in self.seen:
            self.seen.add(uri)
            artifact: dict = {"location": {"uri": uri}, "roles": ["analysisTarget"]}
            if review.receipt.get("dossier_sha256"):
                artifact["hashes"] = {"sha-256": review.receipt["dossier_sha256"]}
            artifact["properties"] = {"title": review.title, "kind": review.kind, "verdict": review.verdict,
                                      "verdictLabel": review.verdict_label,
                                      "asOf": review.receipt.get("as_of"),
                                      "appliedRules": list(review.applied_rules)}
            _json_item(self.artifacts, artifact, 3)
        for f in review.findings:
            _json_item(self.results, _sarif_result(f, review, self.rules), 3)

    def finish(self, out: TextIO, problems: Sequence[Problem] = ()) -> None:
        rulebook = self.rulebook
        driver: dict = {
            "name": "prereview",
            "fullName": "prereview 合法性审查预审引擎",
            "version": prereview.__version__,
            "semanticVersion": prereview.__version__,
            "rules": [_sarif_rule(info) for info in self.rules.entries],
            "notifications": [{
                "id": INPUT_ERROR_ID,
                "shortDescription": {"text": "卷宗或规则文件有误，无法使用"},
                "defaultConfiguration": {"level": "error"},
            }],
        }
        invocation: dict = {"executionSuccessful": not problems}
        if problems:
            invocation["toolExecutionNotifications"] = [_notification(p) for p in problems]
        invocation["properties"] = {"failOn": self.fail_on}
        marker = f"@@prereview-{uuid.uuid4().hex}-"  # where the spooled lists go; no input can contain it
        run: dict = {"tool": {"driver": driver}, "invocations": [invocation]}
        if self.artifacts.count:
            run["artifacts"] = marker + "artifacts"
        run["results"] = marker + "results"
        run["columnKind"] = "unicodeCodePoints"
        if rulebook is not None:
            run["properties"] = {"rulebook": rulebook.receipt()}
        log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
        text = json.dumps(log, ensure_ascii=False, indent=2) + "\n"
        for name, spool in (("artifacts", self.artifacts), ("results", self.results)):
            head, found, rest = text.partition(f'"{marker}{name}"')
            if found:
                out.write(head)
                _json_items(spool, out, 3)
                text = rest
        out.write(text)


# ---------------------------------------------------------------- JUnit XML

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text) -> str:
    """Text safe for XML 1.0 (control characters a dossier might carry are dropped)."""
    return _XML_INVALID.sub("", str(text))


def _finding_detail(f: Finding, review: Review) -> str:
    lines = [f"[{SEVERITY_LABELS[f.severity]} {f.severity}] {f.rule_id} {f.title}", f.message]
    lines += [f"依据：{cite_in_force(b)}" for b in f.basis]
    for e in f.evidence:
        where = display_path(e.path or review.path) + (f":{e.line}" if e.line else "")
        lines.append(f"位置：{where}  {e.field}" + (f"（{e.note}）" if e.note else ""))
    lines.append(f"整改：{f.fix}")
    if f.record:
        lines.append(f"登记：{f.record}")
    return "\n".join(lines)


def render_junit(reviews: list[Review], rulebook: Rulebook | None, *, fail_on: str = "major",
                 problems: Sequence[Problem] = ()) -> str:
    return render_ci("junit", reviews, rulebook, fail_on=fail_on, problems=problems)


class JunitStream(CiStream):
    """JUnit: the totals and the suite of input problems come first, so each dossier's suite is spooled."""

    _PLACE = "prereview-spooled-suites"  # an element name no escaped text can spell as a tag

    def __init__(self, rulebook: Rulebook | None, fail_on: str):
        super().__init__(rulebook, fail_on)
        self.rules = _RuleIndex(rulebook, [])
        self.suites = _Spool()
        self.tests = self.failures = 0

    def add(self, review: Review) -> None:
        limit = severity_rank(self.fail_on)
        fail_on = self.fail_on
        self.rules.add_review(review)
        by_rule: dict[str, list[Finding]] = {}
        for f in review.findings:
            by_rule.setdefault(f.rule_id, []).append(f)
        rule_ids = list(review.applied_rules) + [r for r in by_rule if r not in review.applied_rules]
        path = display_path(review.path)
        suite = ET.Element("testsuite", name=_x(path))
        props = ET.SubElement(suite, "properties")
        for name, value in (("title", review.title), ("kind", review.kind), ("verdict", review.verdict),
                            ("verdict_label", review.verdict_label),
                            ("as_of", review.receipt.get("as_of", "")), ("fail_on", fail_on),
                            ("dossier_sha256", review.receipt.get("dossier_sha256", ""))):
            ET.SubElement(props, "property", name=name, value=_x(value))
        failures = 0
        for rule_id in rule_ids:
            info = self.rules.get(rule_id)
            found = by_rule.get(rule_id, [])
            pack = info["pack"] if info else (found[0].pack if found else "prereview")
            title = info["title"] if info else (found[0].title if found else "")
            case = ET.SubElement(suite, "testcase", classname=_x(pack), name=_x(f"{rule_id} {title}".strip()),
                                 file=_x(path))
            failing = [f for f in found if severity_rank(f.severity) <= limit]
            below = [f for f in found if severity_rank(f.severity) > limit]
            if failing:
                failures += 1
                first = failing[0]
                message = first.message + (f"（另有 {len(failing) - 1} 处）" if len(failing) > 1 else "")
                fail = ET.SubElement(case, "failure", message=_x(message), type=first.severity)
                fail.text = _x("\n\n".join(_finding_detail(f, review) for f in failing))
            if below:
                out = ET.SubElement(case, "system-out")
                out.text = _x(f"低于 --fail-on {fail_on} 阈值的发现：\n\n"
                              + "\n\n".join(_finding_detail(f, review) for f in below))
        suite.set("tests", str(len(rule_ids)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        self.tests += len(rule_ids)
        self.failures += failures
        ET.indent(suite, space="  ", level=1)  # as ET.indent on the whole document would indent it
        self.suites.write(("\n  " if self.suites.count else "") + ET.tostring(suite, encoding="unicode"))

    def finish(self, out: TextIO, problems: Sequence[Problem] = ()) -> None:
        root = ET.Element("testsuites", name="prereview")
        total_tests, total_errors = self.tests, 0
        if problems:
            suite = ET.SubElement(root, "testsuite", name="prereview", tests=str(len(problems)),
                                  failures="0", errors=str(len(problems)), skipped="0")
            for p in problems:
                where = display_path(p.path) + (f":{p.line}" if p.line else "") if p.path else "prereview"
                case = ET.SubElement(suite, "testcase", classname="prereview.input", name=_x(where))
                if p.path:
                    case.set("file", _x(display_path(p.path)))
                err = ET.SubElement(case, "error", message=_x(_problem_text(p)), type="InputError")
                err.text = _x(str(p))
            total_tests += len(problems)
            total_errors += len(problems)
        if self.suites.count:
            ET.SubElement(root, self._PLACE)
        root.set("tests", str(total_tests))
        root.set("failures", str(self.failures))
        root.set("errors", str(total_errors))
        ET.indent(root, space="  ")
        head, found, tail = ET.tostring(root, encoding="unicode").partition(f"<{self._PLACE} />")
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n' + head)
        if found:
            self.suites.copy_to(out)
        out.write(tail + "\n")


# ---------------------------------------------------------------- GitHub workflow commands

def escape_data(text: str) -> str:
    """Escape a workflow command's message (GitHub's escapeData)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value (GitHub's escapeProperty)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(name: str, props: dict, message: str) -> str:
    parts = ",".join(f"{k}={escape_property(v)}" for k, v in props.items() if v not in (None, ""))
    return f"::{name}{' ' + parts if parts else ''}::{escape_data(message)}"


def render_github(reviews: list[Review], rulebook: Rulebook | None, *, fail_on: str = "major",
                  problems: Sequence[Problem] = ()) -> str:
    return render_ci("github", reviews, rulebook, fail_on=fail_on, problems=problems)


class GithubStream(CiStream):
    """GitHub commands: input problems come first, so the findings' commands are spooled."""

    def __init__(self, rulebook: Rulebook | None, fail_on: str):
        super().__init__(rulebook, fail_on)
        self.lines = _Spool()
        self.reviews = self.failing = 0
        self.total = dict.fromkeys(SEVERITIES, 0)

    def add(self, review: Review) -> None:
        for f in review.findings:
            e = primary_evidence(f, review)
            message = f.message
            message += "\n依据：" + "；".join(cite(b) for b in f.basis)
            message += f"\n整改：{f.fix}" + (f"\n登记：{f.record}" if f.record else "")
            self.lines.write(_command(GITHUB_COMMANDS[f.severity], {
                "file": display_path(e.path if e and e.path else review.path),
                "line": e.line if e else None,
                "title": f"{f.rule_id} {f.title}",
            }, message) + "\n")
        self.reviews += 1
        self.failing += bool(review.at_or_above(self.fail_on))
        for s, n in counts(review).items():
            self.total[s] += n

    def finish(self, out: TextIO, problems: Sequence[Problem] = ()) -> None:
        for p in problems:
            out.write(_command("error", {"file": display_path(p.path) if p.path else None, "line": p.line,
                                         "title": "prereview 输入错误（卷宗或规则文件无法使用）"},
                               _problem_text(p)) + "\n")
        self.lines.copy_to(out)
        total = self.total
        if self.rulebook is None and not self.reviews:
            summary = "prereview：规则未能加载，未审查任何卷宗"
        else:
            summary = (f"prereview：{self.reviews} 个卷宗，阻断 {total['blocking']}，重要 {total['major']}，"
                       f"提示 {total['advisory']}；达到 --fail-on {self.fail_on} 的卷宗 {self.failing} 个")
        if problems:
            summary += f"；输入错误 {len(problems)} 处"
        out.write(summary + "\n")


# ---------------------------------------------------------------- Markdown summary

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def _md(text) -> str:
    """Plain text inside Markdown: special characters escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _code(text) -> str:
    return "`" + " ".join(str(text).replace("`", "'").split()) + "`"


def render_markdown(reviews: list[Review], rulebook: Rulebook | None, *, fail_on: str = "major",
                    problems: Sequence[Problem] = ()) -> str:
    rows = []
    for review in reviews:
        n = counts(review)
        findings = []
        for f in review.findings:
            e = primary_evidence(f, review)
            where = display_path(e.path if e and e.path else review.path) + (f":{e.line}" if e and e.line else "")
            findings.append({"f": f, "where": where, "articles": "；".join(cite(b) for b in f.basis),
                             "failing": severity_rank(f.severity) <= severity_rank(fail_on)})
        rows.append({"r": review, "path": display_path(review.path), "n": n, "findings": findings,
                     "failing": bool(review.at_or_above(fail_on))})
    problem_rows = [{"where": (display_path(p.path) + (f":{p.line}" if p.line else "")) if p.path else "",
                     "text": _problem_text(p)} for p in problems]
    failing = sum(1 for row in rows if row["failing"])
    return _ENV.get_template("ci-summary.md.j2").render(
        rows=rows, problems=problem_rows, fail_on=fail_on, failing=failing, md=_md, code=_code,
        severity_labels=SEVERITY_LABELS,
        rules_loaded=rulebook is not None, version=prereview.__version__)


class MarkdownStream(CiStream):
    """Markdown is one table: the reviews are kept (without their dossier model) and rendered at the end."""

    def __init__(self, rulebook: Rulebook | None, fail_on: str):
        super().__init__(rulebook, fail_on)
        self.reviews: list[Review] = []

    def add(self, review: Review) -> None:
        self.reviews.append(review)

    def finish(self, out: TextIO, problems: Sequence[Problem] = ()) -> None:
        out.write(render_markdown(self.reviews, self.rulebook, fail_on=self.fail_on, problems=list(problems)))


__all__ = ["render_ci", "ci_stream", "render_sarif", "render_junit", "render_github", "render_markdown", "FORMATS",
           "escape_data", "escape_property", "display_path", "artifact_uri", "primary_evidence"]
