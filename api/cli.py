"""`prereview` — the command line: check dossiers, render reports, inspect rules."""
from __future__ import annotations

import argparse
import datetime as dt
import errno
import gc
import json
import os
import re
import stat
import sys
from pathlib import Path

# only the light error classes here: each command imports what it uses, so `--help` starts fast
from prereview.engine.errors import DossierError, EngineFailure, InputError, Problem, RuleError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
MACHINE_FORMATS = ("sarif", "junit", "github", "markdown")


class _Choices:
    """argparse choices looked up when first needed (parsing that option, or its command's help).
    add_argument formats every option once to check it: while the parser is built, they are not looked up."""

    building = False

    def __init__(self, get):
        self._get = get

    def __iter__(self):
        return iter(() if _Choices.building else self._get())

    def __contains__(self, value) -> bool:
        return value in self._get()


def _kinds():
    from prereview.engine.kinds import KINDS
    return KINDS


def _severities():
    from prereview.engine.rulebook import SEVERITIES
    return SEVERITIES


def positive(option: str, meaning: str):
    """An argparse type: a positive whole number, refused with the option and what it counts."""
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            n = 0
        if n < 1:
            raise argparse.ArgumentTypeError(f"{option} {text!r} 应为正整数（{meaning}）")
        return n
    return parse


_jobs = positive("--jobs", "并行审查的进程数")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期 {text!r} 应为 YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    _Choices.building = True
    try:
        return _build_parser()
    finally:
        _Choices.building = False


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prereview", description="合法性审查预审引擎 — legality pre-review of decision dossiers")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("check", help="审查卷宗文件或文件夹 (check dossiers)")
    c.add_argument("paths", nargs="+", metavar="PATH", help="卷宗文件（YAML/JSON）或文件夹")
    c.add_argument("--format", choices=("text", "json", "jsonl") + MACHINE_FORMATS, default="text",
                   help="jsonl＝每个卷宗一行 JSON，审查完一个输出一行")
    c.add_argument("--fail-on", choices=_Choices(_severities), default="major",
                   help="有此级别或更严重的发现时退出码为 1（默认 major）")
    c.add_argument("--exit-zero", action="store_true", help="有发现时也以 0 退出（输入或规则错误仍为 2）")
    c.add_argument("--as-of", type=_date, help="审查基准日 YYYY-MM-DD（默认取卷宗中的日期）")
    c.add_argument("--report-dir", type=Path, help="同时为每个卷宗写出预审报告（HTML 与 PDF）到此文件夹")
    c.add_argument("--jobs", type=_jobs, metavar="N", help="并行审查的进程数（默认：CPU 核数）")
    c.add_argument("--timeout", type=positive("--timeout", "每份卷宗审查的秒数上限"), default=60, metavar="S",
                   help="每份卷宗审查的时间上限（秒，默认 60）；超时的卷宗记为规则引擎未能审查，其余照常")
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
    rl = rsub.add_parser("list", help="列出全部规则；给出地区和日期时，列出该地区当日适用的规则及其数值")
    rl.add_argument("--format", choices=("text", "json"), default="text")
    rl.add_argument("--jurisdiction", metavar="地区", help="如 甘肃省、兰州市、兰州市城关区、national（只看全国性规则）")
    rl.add_argument("--as-of", type=_date, help="按哪一天施行的规则和数值（默认今天）")
    rl.add_argument("--kind", choices=_Choices(_kinds), help="只列此种类的规则")
    _rules_options(rl)
    rc = rsub.add_parser("coverage", help="法律依据目录中每项要求由哪些规则、清单项承担，或为何不可检查")
    rc.add_argument("--kind", choices=_Choices(_kinds), default="major-decision")
    rc.add_argument("--format", choices=("text", "json"), default="text")
    _rules_options(rc)
    rs = rsub.add_parser("show", help="查看一条规则：依据、条件、消息、整改与用例")
    rs.add_argument("rule_id", metavar="ID")
    _rules_options(rs)
    _authoring_parsers(rsub)

    i = sub.add_parser("init", help="写出带注释的卷宗模板")
    i.add_argument("--kind", choices=_Choices(_kinds), default="major-decision")
    i.add_argument("-o", "--output", type=Path, help="输出文件（默认打印到屏幕）")

    sub.add_parser("schema", help="打印卷宗的 JSON Schema")
    _plan_parser(sub)
    _evaluate_parser(sub)
    from prereview.api.service.cli import add_parsers as service_parsers
    service_parsers(sub)  # serve, token, db
    return p


def _evaluate_parser(sub) -> None:
    from prereview.api.evaluate import add_parser
    add_parser(sub, lambda p: (_rules_options(p), _calendar_option(p)), positive)


def cmd_evaluate(args) -> int:
    from prereview.api.evaluate import cmd_evaluate as run
    return run(args, _load_rules, _calendar, _print_problems)


def _rules_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rules", type=Path, action="append", metavar="DIR", dest="local_rules",
                   help="加用本地规则包（含 _pack.yaml 的文件夹，可重复），如某市收紧数值、增加规则的规则包")
    p.add_argument("--rules-dir", type=Path, metavar="DIR", dest="rules",
                   help="以此规则目录代替随程序安装的 rules/（规则库开发用）")
    p.add_argument("--pack", action="append", metavar="NAME", help="只使用指定规则包（可重复），如 national/major-decision")


def _calendar_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--calendar", type=Path, action="append", metavar="FILE",
                   help="补充或更正某年度节假日安排的工作日历文件（YAML，可重复；格式见 engine/calendars/README.md）")


def _calendar(args):
    from prereview.engine.calendar import load_calendar
    return load_calendar(args.calendar or ())


def _print_problems(err: InputError) -> None:
    from prereview.reports.text import terminal_safe

    print(f"{err.kind}有误，无法使用（{len(err.problems)} 处）：", file=sys.stderr)
    for problem in err.problems:
        print(f"  {terminal_safe(problem)}", file=sys.stderr)


def _load_rules(args, cases: bool = False):
    """The rulebook the arguments name; a review does not read the rules' cases (`rules show` does)."""
    from prereview.engine.rulebook import load_rulebook
    try:
        return load_rulebook(args.rules, args.pack, extra=tuple(args.local_rules or ()), cases=cases, cache=not cases)
    finally:
        _settled()


_RULES_COMMANDS = ("check", "report", "rules", "plan", "evaluate")  # they call _load_rules, which ends start-up


def _settled() -> None:
    """Start-up is over. What it allocated (modules, models, the rulebook) lives as long as the process: the
    collector, off until now, would only have walked it again and again (a third of `check ONE`); frozen, it is
    never walked again, and forked workers leave its pages shared."""
    gc.freeze()
    gc.enable()


class _Stdout:
    """stdout that survives a closed pipe (`check … | head`): the rest of the output is dropped, the
    review goes on and the exit code is still the result's, never 0 for a run with findings."""

    broken = False

    def write(self, text: str) -> None:
        if self.broken or not text:
            return
        try:
            sys.stdout.write(text)
            sys.stdout.flush()  # streamed: each result is on the screen as soon as it is known
        except BrokenPipeError:
            self.broken = True
            _silence_stdout()


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's last flush has nowhere to fail."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class _Sink:
    """One format's stdout for a folder check: results as they come, the wrapping at the end."""

    def __init__(self, fmt: str, rulebook, fail_on: str, single: bool, out: _Stdout):
        self.fmt, self.out, self.single = fmt, out, single
        self.items = 0
        self.errors: list[dict] = []  # JSON lists them after the reviews, as always
        self.ci = self.text = None
        if fmt == "text":
            from prereview.reports.text import TextStream
            self.text = TextStream(fail_on)
        elif fmt in MACHINE_FORMATS:
            from prereview.reports.ci import ci_stream
            self.ci = ci_stream(fmt, rulebook, fail_on=fail_on)

    def review(self, review) -> None:
        if self.text:
            self.out.write(self.text.add(review))
        elif self.ci:
            self.ci.add(review)
        else:
            self._json(review.to_dict())

    def error(self, path: str, problems: list[Problem]) -> None:
        entry = {"dossier": {"path": path}, "verdict": "error", "problems": [p.to_dict() for p in problems]}
        if self.fmt == "jsonl" or (self.fmt == "json" and self.single):
            self._json(entry)
        elif self.fmt == "json":
            self.errors.append(entry)

    def _json(self, obj: dict) -> None:
        if self.fmt == "jsonl":
            self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        elif self.single:
            self.out.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")
        else:  # an item of the list json.dump(indent=2) would write
            text = json.dumps(obj, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            self.out.write(("[\n  " if not self.items else ",\n  ") + text)
        self.items += 1

    def finish(self, problems: list[Problem]) -> None:
        if self.text:
            self.out.write(self.text.finish())
        elif self.ci:
            self.ci.finish(self.out, problems)  # the spooled parts are copied, never held whole
        elif self.fmt == "json" and not self.single:
            for entry in self.errors:
                self._json(entry)
            self.out.write("\n]\n" if self.items else "[]\n")


def _say(text: str) -> None:
    from prereview.reports.text import terminal_safe

    print(terminal_safe(text), file=sys.stderr)


def cmd_check(args) -> int:
    from prereview.engine.batch import default_jobs, discover, run_batch

    tasks, problems, skipped = discover(args.paths)
    for note in skipped:
        _say(f"已跳过 {note}")
    for problem in problems:
        _say(f"输入有误：{problem}")
    try:
        rulebook = _load_rules(args)
        calendar = _calendar(args)
    except InputError as err:
        return _rules_broken(args, err, problems)
    after = None
    if args.report_dir:
        try:
            _make_dir(args.report_dir)
        except OutputError as err:
            _say(str(err))
            return EXIT_INPUT
        after = _report_writer(args.report_dir, _report_names([t.path for t in tasks]))
    out = _Stdout()
    single = len(args.paths) == 1 and Path(args.paths[0]).is_file()
    sink = _Sink(args.format, rulebook, args.fail_on, single, out)
    reviewed = failing = output_failed = 0
    for outcome in run_batch(tasks, rulebook, args.as_of, jobs=args.jobs or default_jobs(), after=after,
                             calendar=calendar, timeout=args.timeout):
        if outcome.skipped:
            _say(f"已跳过 {outcome.skipped}")
        elif outcome.review is None:
            problems.extend(outcome.problems)
            sink.error(outcome.path, outcome.problems)
            if outcome.engine:
                print("规则引擎运行失败 (engine failure)：", file=sys.stderr)
                for problem in outcome.problems:
                    _say(f"  {problem}")
            else:
                _print_problems(DossierError(outcome.problems))
        else:
            reviewed += 1
            failing += bool(outcome.review.at_or_above(args.fail_on))
            sink.review(outcome.review)
            for target, error in outcome.extra or ():
                _say(error or f"已写出报告：{target}")
                output_failed += bool(error)
    if not reviewed and not problems:
        problem = Problem(" ".join(args.paths), None, "", "没有找到卷宗文件", "*.yaml / *.yml / *.json 卷宗")
        problems.append(problem)
        if args.format in ("text", "json", "jsonl"):
            _say(f"输入有误：{problem}")
    sink.finish(problems)
    if problems or output_failed:
        return EXIT_INPUT
    if args.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def _rules_broken(args, err: RuleError, problems: list[Problem]) -> int:
    if args.format in MACHINE_FORMATS:
        from prereview.reports.ci import render_ci
        sys.stdout.write(render_ci(args.format, [], None, fail_on=args.fail_on, problems=problems + err.problems))
    _print_problems(err)
    return EXIT_INPUT


def _stamp(review) -> None:
    """A filed report says when it was made; the JSON receipt stays time-free (byte-identical runs)."""
    review.receipt["generated_at"] = dt.datetime.now().astimezone().isoformat(timespec="minutes")


def _report_names(paths: list[Path]) -> dict[str, str]:
    """A distinct report name per dossier: its stem, or, where stems clash (a/x.yaml and b/x.yaml,
    x.yaml and x.json — compared ignoring case), its path below the clashing files' common folder
    made into one name (a_x.yaml, b_x.yaml; x.yaml, x.json)."""
    groups: dict[str, list[Path]] = {}
    for p in paths:
        groups.setdefault(p.stem.lower(), []).append(p)
    names: dict[str, str] = {}
    used: set[str] = set()
    for p in paths:
        name = p.stem
        group = groups[name.lower()]
        if len(group) > 1:
            common = Path(os.path.commonpath([q.absolute() for q in group]))
            name = "_".join(p.absolute().relative_to(common).parts)
        base, n = name, 1
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.lower())
        names[str(p)] = name
    return names


def _report_writer(directory: Path, names: dict[str, str]):
    """What a worker does with each review when --report-dir is given: write its HTML and PDF
    report. Returns [(target, error or None)] for the parent to say."""
    def write(review) -> list[tuple[str, str | None]]:
        from prereview.reports.render import html_to_pdf, render_report

        stem = directory / names[review.path]
        targets = [stem.with_name(stem.name + ".html"), stem.with_name(stem.name + ".pdf")]
        receipt = review.receipt
        review.receipt = dict(receipt)  # the stamp is for the filed report, not the JSON receipt
        _stamp(review)
        results = []
        try:
            html = render_report(review, template="report", fmt="html", checklist=_checklist_for(review, None))
            # the PDF is the same HTML laid out, so templates and checklist are rendered once
            for target, data in ((targets[0], lambda: html), (targets[1], lambda: html_to_pdf(html.decode()))):
                try:
                    _write_atomically(target, data())
                    results.append((str(target), None))
                except OutputError as err:
                    results.append((str(target), str(err)))
        finally:
            review.receipt = receipt
        return results
    return write


def _checklist_for(review, answers_path):
    from prereview.engine.checklist import apply_answers, default_checklists_dir, load_answers, load_checklist

    if not (default_checklists_dir() / f"{review.kind}.yaml").exists():
        if answers_path:
            raise InputError([Problem(str(answers_path), None, "", f"{review.kind} 尚无审查清单，无法合并答复")])
        return None  # no checklist for this kind yet: the report shows the findings alone
    answers = load_answers(answers_path) if answers_path else None
    return apply_answers(review, load_checklist(review.kind), answers)


class OutputError(Exception):
    """A report or file could not be written: said in Chinese, exit 2, nothing half-written left."""

    def __init__(self, target: Path, exc: OSError | None = None, reason: str = ""):
        self.target = target
        if exc is not None:
            reason = _OS_REASONS.get(exc.errno, "") or exc.strerror or str(exc)
            where = f"（{exc.filename}）" if exc.filename and str(exc.filename) != str(target) else ""
            reason = f"{reason}{where} [{exc.strerror}]" if exc.strerror and reason != exc.strerror else reason + where
        super().__init__(f"无法写出 {target}：{reason}；未写出该文件")


_OS_REASONS = {
    errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限", errno.EROFS: "文件系统是只读的",
    errno.ENOSPC: "磁盘空间已满", errno.EDQUOT: "磁盘配额已满", errno.EFBIG: "超过允许的文件大小（ulimit -f）",
    errno.ENOTDIR: "路径中有一段是文件，不是文件夹", errno.EEXIST: "已有同名的文件，不是文件夹",
    errno.EISDIR: "这是一个文件夹", errno.ENOENT: "所在的文件夹不存在",
}


def _make_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(directory, exc) from None


def _emit(output: Path | None, text: str, what: str) -> bool:
    """Write text to `output` whole or not at all (or print it); False when it could not be written."""
    if not output:
        sys.stdout.write(text)
        return True
    try:
        _write_atomically(output, text.encode("utf-8"))
    except OutputError as err:
        _say(str(err))
        return False
    print(f"已写出{what}：{output}", file=sys.stderr)
    return True


def _write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file and rename, so a failure never leaves half a report (nor the
    temporary file). A symlink stays a symlink (its target is replaced, mode kept), and a device
    or pipe such as /dev/stdout is written into, never replaced by a file."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(target, exc) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(target, reason="这是一个文件夹，应为文件名")
    try:
        if st is not None and not stat.S_ISREG(st.st_mode):
            with open(target, "wb") as out:
                out.write(data)
            return
        real = Path(os.path.realpath(target))
        real.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(target, exc) from None
    tmp = real.with_name(f".{real.name}.{os.getpid()}.part")
    try:
        with open(tmp, "xb") as out:
            out.write(data)
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, real)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise OutputError(target, exc) from None


def cmd_report(args) -> int:
    fmt = args.format or args.output.suffix.lstrip(".").lower()
    if fmt not in ("html", "pdf", "md"):
        print(f"无法从输出文件名 {args.output} 判断格式：请用 .html / .pdf / .md 或 --format", file=sys.stderr)
        return EXIT_INPUT
    from prereview.engine import app
    from prereview.engine.checklist import load_answers

    try:
        result = app.review_path(args.dossier, _load_rules(args), args.as_of, _calendar(args))
        result = app.with_answers(result, load_answers(args.answers) if args.answers else None)
    except InputError as err:
        _print_problems(err)
        return EXIT_INPUT
    try:
        _write_atomically(args.output, app.render(result, template=args.template, fmt=fmt))
    except OutputError as err:
        _say(str(err))
        return EXIT_INPUT
    print(f"已写出{'预审报告' if args.template == 'report' else '审查意见书草稿'}：{args.output}", file=sys.stderr)
    return EXIT_CLEAN


def cmd_rules(args) -> int:
    from prereview.reports.text import render_rule

    if args.rules_command in AUTHORING:
        return AUTHORING[args.rules_command](args)
    try:
        rulebook = _load_rules(args, cases=args.rules_command == "show")
    except RuleError as err:
        _print_problems(err)
        return EXIT_INPUT
    if args.rules_command == "list":
        return _list_rules(args, rulebook)
    if args.rules_command == "coverage":
        return _coverage(args, rulebook)
    rule = rulebook.rule(args.rule_id)
    if rule is None:
        close = [r.id for r in rulebook.rules if args.rule_id.upper() in r.id]
        print(f"没有规则 {args.rule_id}" + (f"；相近的有：{', '.join(close)}" if close else ""), file=sys.stderr)
        return EXIT_INPUT
    sys.stdout.write(render_rule(rule, rulebook))
    return EXIT_CLEAN


def _list_rules(args, rulebook) -> int:
    """All rules, or the rulebook in effect for one region on one day, with the figures resolved."""
    import datetime as dt

    from prereview.engine.regions import RegionError, region_of
    from prereview.reports.text import rule_summary

    kinds_ = [args.kind] if args.kind else sorted({k for r in rulebook.rules for k in r.durable})
    if args.jurisdiction is None and args.as_of is None:
        rows = [rule_summary(r) for r in rulebook.rules if args.kind is None or args.kind in r.spec.kinds]
        header = None
    else:
        try:
            region = region_of(args.jurisdiction or "national", rulebook)
        except RegionError as err:
            print(str(err), file=sys.stderr)
            return EXIT_INPUT
        day = args.as_of or dt.date.today()
        rows, header = [], []
        for kind in kinds_:
            chain = rulebook.chain(kind, region)
            planned, _ = rulebook.plan(kind, chain, lambda rule: (day, (), ""))
            header.append(f"{_kinds()[kind].label}：{' → '.join(p.name for p in chain) or '（无规则包）'}（{day} 施行的 {len(planned)} 条规则）")
            for p in planned:
                row = rule_summary(p.rule, p.figures)
                row["severity"] = p.version.severity
                row["basis"] = [b.to_dict() for b in p.basis]
                rows.append(row)
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_CLEAN
    for line in header or ():
        print(line)
    for s in rows:
        basis = "；".join(f"{b['source']}{b['article']}（{b['in_force']['from']} 起"
                         + (f"，{b['in_force']['until']} 止" if b['in_force']['until'] else "") + "）"
                         for b in s["basis"])
        figures = "".join(f" {n}={f['value']}（{f['pack']}）" for n, f in s.get("figures", {}).items())
        print(f"{s['id']:<44} {s['severity']:<9} {s['title']}  [{basis}]{figures}")
    return EXIT_CLEAN


def _coverage(args, rulebook) -> int:
    import yaml
    from importlib import resources

    from prereview.engine.rulebook import default_rules_dir, load_catalogue
    from prereview.reports.text import coverage

    catalogue = list(load_catalogue(args.rules or default_rules_dir()).values())
    path = resources.files("prereview.checklists") / f"{args.kind}.yaml"
    checklist = yaml.safe_load(path.read_text("utf-8")) if path.is_file() else {}
    rows = coverage(rulebook, catalogue, checklist, _kinds()[args.kind].coverage_prefixes)
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


# ---- rule authoring: `rules test`, `rules new` (engine/cases.py, engine/authoring.py)

def _authoring_parsers(rsub) -> None:
    rt = rsub.add_parser("test", help="运行规则包的用例 (run the rule cases)：每个失败的用例一行，定位到用例文件的行")
    rt.add_argument("dirs", nargs="*", type=Path, metavar="DIR",
                    help="规则目录（含 catalogue.yaml 与各规则包）；默认使用随程序安装的 rules/")
    ra = rsub.add_parser("attributes", help="条件语言中各记录可用的属性及其类型、代码值 (attributes a rule can test)")
    ra.add_argument("--kind", default="major-decision", metavar="KIND", help="决策种类（默认 major-decision）")
    ra.add_argument("record", nargs="?", metavar="RECORD",
                    help="decision、material、步骤类型（如 legality-review）或子记录（如 experts）；默认列出全部")
    rn = rsub.add_parser("new", help="写出一条规则的骨架及其用例文件 (a rule skeleton and its cases)")
    rn.add_argument("rule_id", metavar="ID", help="规则编号：大写字母、数字、连字符，如 LZ-MAD-COMMENT-PERIOD")
    rn.add_argument("--pack", required=True, metavar="PACK", help="规则包名称（_pack.yaml 的 pack），如 gansu/major-decision")
    rn.add_argument("--kind", metavar="KIND", help="决策种类（默认：规则包的种类）")
    rn.add_argument("--step", metavar="STEP", help="发现所属的步骤类型，如 legality-review")
    rn.add_argument("--rules", type=Path, action="append", metavar="DIR",
                    help="另外查找规则包的目录（可重复）；默认只查随程序安装的 rules/")


def cmd_rules_test(args) -> int:
    from prereview.engine.cases import replacement_problems, run_cases
    from prereview.engine.rulebook import load_rulebook
    from prereview.reports.text import terminal_safe

    if len(args.dirs) > 1:
        _say("rules test 一次只接受一个规则目录 (one rules folder at a time)")
        return EXIT_INPUT
    folder = args.dirs[0] if args.dirs else None
    root = folder is None  # the built-in packs; or a folder of packs, on top of them (same name: in their place)
    try:
        rulebook = load_rulebook() if root else load_rulebook(extra=(folder,), replace=True)
    except RuleError as err:
        _print_problems(err)
        return EXIT_INPUT
    mine = [r for r in rulebook.rules if root or r.pack.local]
    out = _Stdout()
    cases = failed = broken = 0
    for problem in replacement_problems(rulebook) if not root else ():  # a replacement never looser
        failed += 1
        out.write(terminal_safe(str(problem)) + "\n")
    for outcome in run_cases(rulebook, mine):
        cases += outcome.cases
        if not outcome.ok:
            broken += outcome.error
            failed += not outcome.error
            outcome.path = _shown_path(outcome.path)
            out.write(terminal_safe(str(outcome)) + "\n")
    packs = len({r.pack.name for r in mine})
    out.write(f"规则包 {packs} 个 · 规则 {len(mine)} 条 · 用例 {cases} 个 · 失败 {failed} · 有误 {broken}"
              f"  (packs {packs}, rules {len(mine)}, cases {cases}, failures {failed}, errors {broken})\n")
    return EXIT_INPUT if broken else EXIT_FINDINGS if failed else EXIT_CLEAN


def _shown_path(path: str) -> str:
    """A path below the working folder as a relative one (as an editor or terminal opens it)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def cmd_rules_new(args) -> int:
    from prereview.engine import kinds
    from prereview.engine.authoring import cases_skeleton, find_packs, rule_files, rule_skeleton
    from prereview.engine.rulebook import RuleFile, default_rules_dir

    packs, problems = find_packs([*(args.rules or ()), default_rules_dir()])  # a local pack first
    pattern = RuleFile.model_json_schema()["properties"]["id"]["pattern"]
    if not re.fullmatch(pattern, args.rule_id):
        _say(f"规则编号 {args.rule_id!r} 不合规：应为大写字母、数字，至少两段，以连字符相连，如 LZ-MAD-COMMENT-PERIOD "
             "(invalid rule ID)")
        return EXIT_INPUT
    existing = rule_files(packs).get(args.rule_id)
    if existing is not None:
        _say(f"规则 {args.rule_id} 已存在：{existing}；规则编号不得重复，也不得重用 (rule ID exists)")
        return EXIT_INPUT
    pack = next((p for p in packs if p.name == args.pack), None)
    if pack is None:
        for problem in problems:
            _say(f"输入有误：{problem}")
        _say(f"没有规则包 {args.pack!r} (unknown pack)；已知的规则包：" + (" / ".join(p.name for p in packs) or "无")
             + "。本地规则包所在目录用 --rules DIR 指明")
        return EXIT_INPUT
    kind = args.kind or (pack.kinds[0] if len(pack.kinds) == 1 else None)
    if kind not in pack.kinds:
        _say(f"规则包 {pack.name} 适用于 {' / '.join(pack.kinds) or '（未写 kinds）'}，"
             + (f"不适用于 {kind}" if kind else "请用 --kind 指明决策种类") + " (kind not in pack)")
        return EXIT_INPUT
    steps = list(kinds.get(kind).steps) if kinds.get(kind) else []
    if args.step is not None and steps and args.step not in steps:
        _say(f"{kind} 没有步骤类型 {args.step!r} (unknown step)；可用：{' / '.join(steps)}")
        return EXIT_INPUT
    rule_path = pack.directory / f"{args.rule_id}.yaml"
    cases_path = pack.directory / f"{args.rule_id}.cases.yaml"
    for target, text in ((rule_path, rule_skeleton(args.rule_id, kind, args.step)),
                         (cases_path, cases_skeleton(args.rule_id, pack.has_base))):
        try:
            with open(target, "x", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            _say(str(OutputError(target, exc)))
            return EXIT_INPUT
    root = pack.directory
    while root.parent != root and not (root / "catalogue.yaml").exists():
        root = root.parent
    catalogue = root / "catalogue.yaml" if (root / "catalogue.yaml").exists() else Path("catalogue.yaml")
    print(f"已写出规则骨架：{rule_path}\n已写出用例骨架：{cases_path}\n"
          f"接下来 (next)：\n"
          f"  1. 把两个文件中每一处【待填写：…】换成实际内容；未填完之前规则库拒绝加载，并逐处指出。\n"
          f"  2. 在法律依据目录 {catalogue} 中登记 implements 所写的要求编号（id、section、source）。\n"
          f"  3. 在审查清单 checklists/{kind}.yaml 中核对该要求的归属：由规则承担的无需清单项；"
          f"只能人工判断的部分写清单项，不可检查的写 not_checkable（prereview rules coverage --kind {kind}）。\n"
          f"  4. 运行 prereview rules test" + (f" {root}" if root != default_rules_dir() else "")
          + "，直到全部用例通过。")
    return EXIT_CLEAN


def cmd_rules_attributes(args) -> int:
    from prereview.engine import kinds
    from prereview.engine.facts import WD_SUFFIXES, schema_for

    kind = kinds.get(args.kind)
    if kind is None:
        _say(f"未知的决策种类 {args.kind!r}；可用：{' / '.join(kinds.KINDS)}")
        return EXIT_INPUT
    schema = schema_for(kind)
    records = ([("decision", None, "decision（决策事项）")]
               + [("step", t, f"step: {t}（{kind.step_label(t)}）") for t in schema.step_types]
               + [(c, None, f"{c}: any（{kind.children[c][2]}，属于 {' / '.join(kind.children[c][0])}）")
                  for c in schema.children]
               + [("material", None, "material（材料）")])
    if args.record:
        records = [r for r in records if args.record in (r[0], r[1])]
        if not records:
            _say(f"{args.kind} 没有记录 {args.record!r}；可用：decision / material / "
                 + " / ".join([*schema.step_types, *schema.children]))
            return EXIT_INPUT
    for fact, subtype, title in records:
        print(title)
        attrs = schema.attributes(fact, subtype) or set()
        if any(a.startswith("mat_") for a in attrs):
            print(f"  {'mat_<材料种类>':<30} bool   该步骤是否引用了此种材料，每种一个："
                  + " / ".join(sorted(a for a in attrs if a.startswith("mat_"))[:3]) + " ……（材料种类见 prereview schema）")
        for name in sorted(a for a in attrs if not a.endswith(WD_SUFFIXES) and not a.startswith("mat_")):
            codes = schema.values((fact, subtype), name)
            dated = "  （另有 _wd、_workday、_rest_from）" if f"{name}_wd" in attrs else ""
            print(f"  {name:<34} {schema.type_of(name) or '':<5}" + (f"  {' / '.join(codes)}" if codes else "") + dated)
    return EXIT_CLEAN


AUTHORING = {"test": cmd_rules_test, "new": cmd_rules_new, "attributes": cmd_rules_attributes}


def cmd_init(args) -> int:
    from importlib import resources

    text = (resources.files("prereview.api") / "templates" / _kinds()[args.kind].template).read_text("utf-8")
    if args.output and args.output.exists():
        print(f"{args.output} 已存在，未覆盖", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_CLEAN if _emit(args.output, text, "卷宗模板") else EXIT_INPUT


def cmd_schema(args) -> int:
    from prereview.engine.dossier import dossier_schema

    json.dump(dossier_schema(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return EXIT_CLEAN


def _plan_parser(sub) -> None:
    pl = sub.add_parser("plan", help="程序倒排：按拟召开会议或拟作出决定的日期，列出各必经步骤的最迟日期 (plan a procedure backwards)")
    pl.add_argument("dossier", type=Path, metavar="DOSSIER")
    when = pl.add_mutually_exclusive_group()
    when.add_argument("--meeting", type=_date, metavar="DATE", help="拟召开会议（常务会议等）的日期（重大行政决策）")
    when.add_argument("--decide-by", type=_date, metavar="DATE", dest="decide_by",
                      help="拟作出决定的日期（重大行政执法决定）；不写则按立案日计算的法定期限")
    pl.add_argument("--today", type=_date, metavar="DATE", help="以此日为今日（默认为当天）")
    pl.add_argument("--format", choices=("text", "json", "html", "svg"), default="text")
    pl.add_argument("--output", type=Path, metavar="FILE", help="写入文件（html、svg 时建议使用）")
    _rules_options(pl)
    _calendar_option(pl)


def cmd_plan(args) -> int:
    """0: every step can still be done on time; 1: some step is late or can no longer be; 2: bad input,
    or a date the working-day calendar cannot count (never guessed)."""
    from prereview.engine.load import load_dossier
    from prereview.engine.planner import plan_dossier
    from prereview.reports import plan as render

    try:
        loaded = load_dossier(args.dossier)
        target = args.meeting or args.decide_by
        option = "--meeting" if args.meeting else "--decide-by" if args.decide_by else None
        plan = plan_dossier(loaded, _load_rules(args), target=target, today=args.today, calendar=_calendar(args))
    except InputError as err:
        _print_problems(err)
        return EXIT_INPUT
    expected = plan.target_source.split(" ")[0] if option else None
    if option and expected != option:
        print(f"{plan.kind_label}卷宗请用 {expected} 给出{plan.target_label}（而不是 {option}）", file=sys.stderr)
        return EXIT_INPUT
    if args.format == "json":
        text = json.dumps(plan.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "html":
        text = render.render_plan_html(plan)
    elif args.format == "svg":
        text = render.render_plan_svg(plan)
    else:
        text = render.render_plan_text(plan)
    if not _emit(args.output, text, "程序倒排"):
        return EXIT_INPUT
    if plan.gaps:
        print("部分期限超出工作日历覆盖范围，无法计算（未作推测）：请用 --calendar 补充该年度国务院办公厅的节假日安排"
              " (some periods fall outside the working-day calendar)", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_FINDINGS if plan.failed or any(s.status in ("late", "impossible") for s in plan.steps) else EXIT_CLEAN


def main(argv: list[str] | None = None) -> int:
    gc.disable()  # until the long-lived state is loaded: see _settled
    args = _parser().parse_args(argv)
    global _quick_exit
    _quick_exit = args.command in ("check", "plan")
    if args.command not in _RULES_COMMANDS or getattr(args, "rules_command", None) in AUTHORING:
        gc.enable()  # no _load_rules to end start-up
    from prereview.api.service.cli import HANDLERS as service_handlers
    handler = {"check": cmd_check, "report": cmd_report, "rules": cmd_rules, "init": cmd_init,
               "schema": cmd_schema, "plan": cmd_plan, "evaluate": cmd_evaluate, **service_handlers}[args.command]
    try:
        return handler(args)
    except EngineFailure as err:
        print(str(err), file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:  # `prereview rules list | head`: the reader had enough
        _silence_stdout()
        return EXIT_CLEAN
    except KeyboardInterrupt:
        print("已中断 (interrupted)", file=sys.stderr)
        return 130


_quick_exit = False  # set by main for the commands whose every output is written and closed when it returns


def run() -> None:
    """The `prereview` command. `check` and `plan` leave without tearing the interpreter down (freeing the
    rulebook and every module costs more than a quick review)."""
    code = main()
    if _quick_exit:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (BrokenPipeError, ValueError):
            pass
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
