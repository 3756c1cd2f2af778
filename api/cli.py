"""`prereview` — the command line: check dossiers, render reports, inspect rules."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from prereview.engine import (SEVERITIES, DossierError, EngineFailure, InputError, Problem, RuleError,
                              load_dossier, load_rulebook, run_review)
from prereview.engine.kinds import KINDS
from prereview.engine.source import read_file

EXIT_CLEAN, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
DOSSIER_SUFFIXES = (".yaml", ".yml", ".json")
MACHINE_FORMATS = ("sarif", "junit", "github", "markdown")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期 {text!r} 应为 YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prereview", description="合法性审查预审引擎 — legality pre-review of decision dossiers")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("check", help="审查卷宗文件或文件夹 (check dossiers)")
    c.add_argument("paths", nargs="+", metavar="PATH", help="卷宗文件（YAML/JSON）或文件夹")
    c.add_argument("--format", choices=("text", "json") + MACHINE_FORMATS, default="text")
    c.add_argument("--fail-on", choices=SEVERITIES, default="major",
                   help="有此级别或更严重的发现时退出码为 1（默认 major）")
    c.add_argument("--exit-zero", action="store_true", help="有发现时也以 0 退出（输入或规则错误仍为 2）")
    c.add_argument("--as-of", type=_date, help="审查基准日 YYYY-MM-DD（默认取卷宗中的日期）")
    c.add_argument("--report-dir", type=Path, help="同时为每个卷宗写出预审报告（HTML 与 PDF）到此文件夹")
    _rules_options(c)
    _calendar_option(c)

    r = sub.add_parser("report", help="生成预审报告或审查意见书草稿 (HTML / PDF / Markdown)")
    r.add_argument("dossier", type=Path)
    r.add_argument("-o", "--output", type=Path, required=True, help="输出文件：.html / .pdf / .md")
    r.add_argument("--format", choices=("html", "pdf", "md"), help="默认按输出文件扩展名")
    r.add_argument("--template", choices=("report", "opinion"), default="report",
                   help="report＝预审报告；opinion＝审查意见书草稿（合法性审查意见书或法制审核意见书）")
    r.add_argument("--answers", type=Path, help="审查人员对人工审查项的答复（YAML）")
    r.add_argument("--as-of", type=_date)
    _rules_options(r)
    _calendar_option(r)

    rules = sub.add_parser("rules", help="列出或查看规则")
    rsub = rules.add_subparsers(dest="rules_command", required=True, metavar="SUBCOMMAND")
    rl = rsub.add_parser("list", help="列出全部规则")
    rl.add_argument("--format", choices=("text", "json"), default="text")
    _rules_options(rl)
    rc = rsub.add_parser("coverage", help="法律依据目录中每项要求由哪些规则、清单项承担，或为何不可检查")
    rc.add_argument("--kind", choices=tuple(KINDS), default="major-decision")
    rc.add_argument("--format", choices=("text", "json"), default="text")
    _rules_options(rc)
    rs = rsub.add_parser("show", help="查看一条规则：依据、条件、消息、整改与用例")
    rs.add_argument("rule_id", metavar="ID")
    _rules_options(rs)

    i = sub.add_parser("init", help="写出带注释的卷宗模板")
    i.add_argument("--kind", choices=tuple(KINDS), default="major-decision")
    i.add_argument("-o", "--output", type=Path, help="输出文件（默认打印到屏幕）")

    sub.add_parser("schema", help="打印卷宗的 JSON Schema")
    return p


def _rules_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rules", type=Path, metavar="DIR", help="规则目录（默认使用随程序安装的 rules/）")
    p.add_argument("--pack", action="append", metavar="NAME", help="只使用指定规则包（可重复），如 national/major-decision")


def _calendar_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--calendar", type=Path, action="append", metavar="FILE",
                   help="补充或更正某年度节假日安排的工作日历文件（YAML，可重复；格式见 engine/calendars/README.md）")


def _calendar(args):
    from prereview.engine.calendar import load_calendar
    return load_calendar(args.calendar or ())


def _print_problems(err: InputError) -> None:
    print(f"{err.kind}有误，无法使用（{len(err.problems)} 处）：", file=sys.stderr)
    for problem in err.problems:
        print(f"  {problem}", file=sys.stderr)


def _is_dossier(path: Path) -> bool:
    """In a folder, a YAML/JSON file is a dossier if it says so (schema) or has a decision."""
    doc, problems = read_file(path)
    if problems or not isinstance(doc.data, dict):
        return bool(problems)  # unreadable files are reported, never skipped silently
    return "decision" in doc.data or str(doc.data.get("schema", "")).startswith("prereview/dossier")


def _expand(paths: list[str]) -> tuple[list[Path], list[Problem]]:
    files, problems = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in DOSSIER_SUFFIXES and p.is_file())
            files.extend(p for p in found if _is_dossier(p))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(raw, None, "", "文件或文件夹不存在", "卷宗文件或包含卷宗的文件夹"))
    return files, problems


def _load_rules(args):
    return load_rulebook(args.rules, args.pack)


def cmd_check(args) -> int:
    from prereview.reports.text import render_text

    files, problems = _expand(args.paths)
    missing = list(problems)
    try:
        rulebook = _load_rules(args)
        calendar = _calendar(args)
    except InputError as err:
        return _rules_broken(args, err, problems)
    reviews, failed = [], []
    for file in files:
        try:
            reviews.append(run_review(load_dossier(file), rulebook, args.as_of, calendar))
        except DossierError as err:
            failed.append((file, err))
            problems.extend(err.problems)
    if not files and not problems:
        missing.append(Problem(" ".join(args.paths), None, "", "没有找到卷宗文件", "*.yaml / *.yml / *.json 卷宗"))
        problems.extend(missing)
    if args.format == "text":
        for problem in missing:
            print(f"输入有误：{problem}", file=sys.stderr)
        for _, err in failed:
            _print_problems(err)
        sys.stdout.write(render_text(reviews, args.fail_on))
    elif args.format == "json":
        out = [r.to_dict() for r in reviews]
        out += [{"dossier": {"path": str(f)}, "verdict": "error", "problems": [p.to_dict() for p in e.problems]}
                for f, e in failed]
        single = len(args.paths) == 1 and Path(args.paths[0]).is_file() and len(out) == 1
        json.dump(out[0] if single else out, sys.stdout, ensure_ascii=False, indent=2, sort_keys=False)
        sys.stdout.write("\n")
    else:
        from prereview.reports.ci import render_ci
        sys.stdout.write(render_ci(args.format, reviews, rulebook, fail_on=args.fail_on, problems=problems))
    if args.report_dir:
        _write_reports(reviews, args.report_dir)
    if problems:
        return EXIT_INPUT
    if args.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if any(r.at_or_above(args.fail_on) for r in reviews) else EXIT_CLEAN


def _rules_broken(args, err: RuleError, problems: list[Problem]) -> int:
    if args.format in MACHINE_FORMATS:
        from prereview.reports.ci import render_ci
        sys.stdout.write(render_ci(args.format, [], None, fail_on=args.fail_on, problems=problems + err.problems))
    _print_problems(err)
    return EXIT_INPUT


def _stamp(review) -> None:
    """A filed report says when it was made; the JSON receipt stays time-free (byte-identical runs)."""
    review.receipt["generated_at"] = dt.datetime.now().astimezone().isoformat(timespec="minutes")


def _write_reports(reviews, directory: Path) -> None:
    from prereview.reports.render import html_to_pdf, render_report

    directory.mkdir(parents=True, exist_ok=True)
    for review in reviews:
        _stamp(review)
        html = render_report(review, template="report", fmt="html", checklist=_checklist_for(review, None))
        stem = directory / Path(review.path).stem
        # the PDF is the same HTML laid out, so templates and checklist are rendered once
        for target, data in ((stem.with_suffix(".html"), html), (stem.with_suffix(".pdf"), html_to_pdf(html.decode()))):
            _write_atomically(target, data)
            print(f"已写出报告：{target}", file=sys.stderr)


def _checklist_for(review, answers_path):
    from prereview.engine.checklist import apply_answers, default_checklists_dir, load_answers, load_checklist

    if not (default_checklists_dir() / f"{review.kind}.yaml").exists():
        if answers_path:
            raise InputError([Problem(str(answers_path), None, "", f"{review.kind} 尚无审查清单，无法合并答复")])
        return None  # no checklist for this kind yet: the report shows the findings alone
    answers = load_answers(answers_path) if answers_path else None
    return apply_answers(review, load_checklist(review.kind), answers)


def _write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file and rename, so a failure never leaves half a report."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    tmp.write_bytes(data)
    tmp.replace(target)


def cmd_report(args) -> int:
    from prereview.reports.render import render_report

    fmt = args.format or args.output.suffix.lstrip(".").lower()
    if fmt not in ("html", "pdf", "md"):
        print(f"无法从输出文件名 {args.output} 判断格式：请用 .html / .pdf / .md 或 --format", file=sys.stderr)
        return EXIT_INPUT
    try:
        rulebook = _load_rules(args)
        review = run_review(load_dossier(args.dossier), rulebook, args.as_of, _calendar(args))
        checklist = _checklist_for(review, args.answers)
    except InputError as err:
        _print_problems(err)
        return EXIT_INPUT
    _stamp(review)
    _write_atomically(args.output, render_report(review, template=args.template, fmt=fmt, checklist=checklist))
    print(f"已写出{'预审报告' if args.template == 'report' else '审查意见书草稿'}：{args.output}", file=sys.stderr)
    return EXIT_CLEAN


def cmd_rules(args) -> int:
    from prereview.reports.text import render_rule, rule_summary

    try:
        rulebook = _load_rules(args)
    except RuleError as err:
        _print_problems(err)
        return EXIT_INPUT
    if args.rules_command == "list":
        if args.format == "json":
            json.dump([rule_summary(r) for r in rulebook.rules], sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        else:
            for r in rulebook.rules:
                s = rule_summary(r)
                basis = "；".join(f"{b['source']}{b['article']}（{b['in_force']['from']} 起"
                                 + (f"，{b['in_force']['until']} 止" if b['in_force']['until'] else "") + "）"
                                 for b in s["basis"])
                print(f"{s['id']:<44} {s['severity']:<9} {s['title']}  [{basis}]")
        return EXIT_CLEAN
    if args.rules_command == "coverage":
        return _coverage(args, rulebook)
    rule = rulebook.rule(args.rule_id)
    if rule is None:
        close = [r.id for r in rulebook.rules if args.rule_id.upper() in r.id]
        print(f"没有规则 {args.rule_id}" + (f"；相近的有：{', '.join(close)}" if close else ""), file=sys.stderr)
        return EXIT_INPUT
    sys.stdout.write(render_rule(rule))
    return EXIT_CLEAN


def _coverage(args, rulebook) -> int:
    import yaml
    from importlib import resources

    from prereview.engine.rulebook import default_rules_dir, load_catalogue
    from prereview.reports.text import coverage

    catalogue = list(load_catalogue(args.rules or default_rules_dir()).values())
    path = resources.files("prereview.checklists") / f"{args.kind}.yaml"
    checklist = yaml.safe_load(path.read_text("utf-8")) if path.is_file() else {}
    rows = coverage(rulebook, catalogue, checklist, KINDS[args.kind].coverage_prefixes)
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        labels = {"rules": "规则", "checklist": "人工审查项", "not-checkable": "不可检查", "unaccounted": "未归类"}
        for row in rows:
            detail = ", ".join(row["rules"] or row["checklist"]) or (row["reason"] or "")
            print(f"{row['requirement']:<36} {labels[row['where']]:<6} {detail}")
        counts = {k: sum(1 for r in rows if r["where"] == k) for k in labels}
        print("合计：" + " · ".join(f"{labels[k]} {n}" for k, n in counts.items()))
    return EXIT_INPUT if any(r["where"] == "unaccounted" for r in rows) else EXIT_CLEAN


def cmd_init(args) -> int:
    from importlib import resources

    text = (resources.files("prereview.api") / "templates" / KINDS[args.kind].template).read_text("utf-8")
    if args.output:
        if args.output.exists():
            print(f"{args.output} 已存在，未覆盖", file=sys.stderr)
            return EXIT_INPUT
        _write_atomically(args.output, text.encode("utf-8"))
        print(f"已写出卷宗模板：{args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_CLEAN


def cmd_schema(args) -> int:
    from prereview.engine.dossier import dossier_schema

    json.dump(dossier_schema(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return EXIT_CLEAN


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"check": cmd_check, "report": cmd_report, "rules": cmd_rules, "init": cmd_init,
               "schema": cmd_schema}[args.command]
    try:
        return handler(args)
    except EngineFailure as err:
        print(str(err), file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
