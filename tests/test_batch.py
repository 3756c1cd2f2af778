"""`prereview check FOLDER`: one bad file costs only itself, results stream in order whatever --jobs, and
output never lies (write failures, clashing report names, closed pipes, terminal escapes).

Crashes: one real input that kills durable-rules today (a 17 MB title), and, for exact control, `run_review`
in the batch module replaced before the workers are forked (they inherit the replacement): a worker killed
by SIGSEGV on one named file. No crash hook exists in the production code. Write failures use paths that fail even for root: /sys (EACCES),
a path under a regular file (ENOTDIR), /dev/full (ENOSPC) and RLIMIT_FSIZE (EFBIG).
"""
from __future__ import annotations

import faulthandler
import json
import os
import resource
import shutil
import signal
import time
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from prereview.api.cli import main
from prereview.engine import batch
from prereview.engine.batch import Task, discover, run_batch

from helpers import BASE, EXAMPLES, ROOT, base_data, rulebook

FORMATS = ("text", "json", "jsonl", "sarif", "junit", "github", "markdown")
GOOD = ("wuwei-old-town-renewal.yaml", "lanzhou-waste-sorting.yaml", "pingliang-school-layout.json")
CLI = [sys.executable, "-m", "prereview.api.cli"]


def _run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _titles(names) -> list[str]:
    out = []
    for name in names:
        data = yaml.safe_load((EXAMPLES / name).read_text("utf-8"))
        out.append(data["decision"]["title"])
    return out


@pytest.fixture
def mixed(tmp_path):
    """Three good dossiers and three files that cannot be used, each differently."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(EXAMPLES / name, folder / name)
    text = BASE.read_text("utf-8").replace("title:", "title: 表\x0c格", 1)  # a form feed pasted from a PDF
    (folder / "b-formfeed.yaml").write_text(text, "utf-8")
    (folder / "c-deep.json").write_text("[" * 3000 + "]" * 3000, "utf-8")  # not a dossier, but unreadable
    (folder / "d-dangling.yaml").symlink_to(folder / "no-such-file.yaml")
    return folder, ["b-formfeed.yaml", "c-deep.json", "d-dangling.yaml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_files_among_good_ones_cost_only_themselves_in_every_format(capsys, mixed, fmt):
    folder, bad = mixed
    code, out, err = _run(capsys, "check", folder, "--format", fmt, "--jobs", "2")
    assert code == 2
    shown = out if fmt != "text" else err  # text shows input problems on stderr
    for name in bad:
        assert name in shown, f"{name} not reported in {fmt}"
    for name, title in zip(GOOD, _titles(GOOD)):
        if fmt == "github" and name == "lanzhou-waste-sorting.yaml":  # annotations are findings; it has none
            assert f"prereview：{len(GOOD)} 个卷宗" in out
            continue
        assert name in out, f"{name} not reviewed in {fmt}"
        if fmt in ("text", "json", "jsonl"):
            assert title in out
    if fmt == "json":
        entries = json.loads(out)
        assert sorted(Path(e["dossier"]["path"]).name for e in entries if e["verdict"] != "error") == sorted(GOOD)
        assert sorted(Path(e["dossier"]["path"]).name for e in entries if e["verdict"] == "error") == bad
    if fmt == "jsonl":
        lines = [json.loads(line) for line in out.splitlines()]
        assert [Path(e["dossier"]["path"]).name for e in lines] == sorted(GOOD + tuple(bad))
    if fmt == "sarif":
        run = json.loads(out)["runs"][0]
        assert run["invocations"][0]["executionSuccessful"] is False
        assert {Path(a["location"]["uri"]).name for a in run["artifacts"]} == set(GOOD)
    if fmt == "junit":
        root = ET.fromstring(out)
        assert int(root.get("errors")) == len(bad)


def _on_review_of(monkeypatch, name: str, act) -> None:
    """Make the review of the file called `name` do `act()` first (in the worker that reviews it)."""
    real = batch.run_review

    def review(loaded, book, as_of=None, calendar=None):
        if Path(loaded.doc.path).name == name:
            act()
        return real(loaded, book, as_of, calendar)
    monkeypatch.setattr(batch, "run_review", review)


def _crash_on(monkeypatch, name: str, sig=signal.SIGSEGV):
    def crash():
        faulthandler.disable()  # pytest's traceback dump would only add noise
        os.kill(os.getpid(), sig)
    _on_review_of(monkeypatch, name, crash)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_dossier_that_kills_its_process_is_an_engine_failure_of_that_file_only(capsys, monkeypatch,
                                                                               tmp_path, jobs):
    for name in GOOD:
        shutil.copy(EXAMPLES / name, tmp_path / name)
    shutil.copy(BASE, tmp_path / "a-crash.yaml")  # first: every later file needs a restarted worker
    _crash_on(monkeypatch, "a-crash.yaml")
    code, out, err = _run(capsys, "check", tmp_path, "--format", "json", "--jobs", jobs)
    assert code == 2
    entries = json.loads(out)
    assert sorted(Path(e["dossier"]["path"]).name for e in entries if e["verdict"] != "error") == sorted(GOOD)
    (failed,) = [e for e in entries if e["verdict"] == "error"]
    assert Path(failed["dossier"]["path"]).name == "a-crash.yaml"
    assert "SIGSEGV" in failed["problems"][0]["message"] and "a-crash.yaml" in err


def test_one_file_is_loaded_here_and_a_crash_reviewing_it_is_still_an_engine_failure(capsys, monkeypatch, tmp_path):
    shutil.copy(BASE, tmp_path / "a-crash.yaml")
    _crash_on(monkeypatch, "a-crash.yaml")
    code, out, err = _run(capsys, "check", tmp_path / "a-crash.yaml", "--format", "json")
    entry = json.loads(out)  # one file: one object
    assert code == 2 and entry["verdict"] == "error" and "SIGSEGV" in entry["problems"][0]["message"]
    shutil.copy(BASE, tmp_path / "bad.yaml")
    (tmp_path / "bad.yaml").write_text(BASE.read_text("utf-8").replace("kind: major-decision", "kind: nonsense"))
    code, out, err = _run(capsys, "check", tmp_path / "bad.yaml")
    assert code == 2 and "bad.yaml" in err and "nonsense" in err


def test_a_real_crash_input_costs_only_its_file(tmp_path):
    """A 17 MB title kills durable-rules (SIGABRT/SIGSEGV in deleteState, reliability review defect 4).
    Once the loader refuses it with a located error, the test still holds: only that file fails."""
    for name in GOOD[:2]:
        shutil.copy(EXAMPLES / name, tmp_path / name)
    data = base_data()
    data["decision"]["title"] = "长" * 5_700_000
    (tmp_path / "big.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    done = subprocess.run(CLI + ["check", str(tmp_path), "--format", "jsonl", "--jobs", "2"], capture_output=True,
                          text=True)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert [Path(e["dossier"]["path"]).name for e in lines] == sorted(["big.json", *GOOD[:2]])
    assert [e["verdict"] == "error" for e in lines] == [True, False, False]


def test_engine_failure_and_unexpected_errors_are_outcomes_of_their_file(monkeypatch, tmp_path):
    from prereview.engine.errors import EngineFailure

    real = batch.run_review

    def review(loaded, book, as_of=None, calendar=None):
        name = Path(loaded.doc.path).name
        if name == "engine.yaml":
            raise EngineFailure("durable-rules rejected the facts")
        if name == "bug.yaml":
            raise KeyError("x")
        return real(loaded, book, as_of)
    monkeypatch.setattr(batch, "run_review", review)
    for name in ("bug.yaml", "engine.yaml", "ok.yaml"):
        shutil.copy(BASE, tmp_path / name)
    tasks, problems, _ = discover([tmp_path])
    outcomes = list(run_batch(tasks, rulebook(), jobs=0))
    assert not problems and [Path(o.path).name for o in outcomes] == ["bug.yaml", "engine.yaml", "ok.yaml"]
    assert [o.engine for o in outcomes] == [True, True, False]
    assert "KeyError" in outcomes[0].problems[0].message and "durable" in outcomes[1].problems[0].message
    assert outcomes[2].review.verdict == "pass"


@pytest.mark.parametrize("fmt", FORMATS)
def test_jobs_1_and_2_give_byte_identical_output(capsys, monkeypatch, fmt):
    monkeypatch.chdir(ROOT)
    one = _run(capsys, "check", "examples", "--format", fmt, "--jobs", "1")
    two = _run(capsys, "check", "examples", "--format", fmt, "--jobs", "2")
    assert one[0] == two[0] == 1 and one[1] == two[1] and one[1]


class _Recorder:
    """stdout that notes, at each write, how many dossiers had been reviewed by then."""

    def __init__(self, marks: Path):
        self.marks, self.writes = marks, []

    def write(self, text):
        self.writes.append((text, len(list(self.marks.iterdir()))))

    def flush(self):
        pass


@pytest.mark.parametrize("fmt", ["text", "jsonl", "json"])
def test_results_stream_the_first_is_written_before_the_last_file_is_reviewed(monkeypatch, tmp_path, fmt):
    folder, marks = tmp_path / "d", tmp_path / "marks"
    folder.mkdir()
    marks.mkdir()
    names = [f"{i:02d}-{n}" for i in range(3) for n in GOOD]
    for name in names:
        shutil.copy(EXAMPLES / name[3:], folder / name)
    real = batch.run_review

    def review(loaded, book, as_of=None, calendar=None):  # runs in the worker: leaves a mark per review
        (marks / Path(loaded.doc.path).name).touch()
        return real(loaded, book, as_of, calendar)
    monkeypatch.setattr(batch, "run_review", review)
    recorder = _Recorder(marks)
    monkeypatch.setattr(sys, "stdout", recorder)
    assert main(["check", str(folder), "--format", fmt, "--jobs", "1"]) == 1
    first = next(n for text, n in recorder.writes if "00-" + GOOD[0] in text)
    assert first < len(names)  # the first result was on stdout while later files were still unreviewed
    assert len(list(marks.iterdir())) == len(names)


def test_run_batch_yields_in_file_order_as_each_finishes(tmp_path):
    for i, name in enumerate(GOOD * 2):
        shutil.copy(EXAMPLES / name, tmp_path / f"{i}-{name}")
    tasks, _, _ = discover([tmp_path])
    seen = []
    for outcome in run_batch(tasks, rulebook(), jobs=2):
        seen.append(outcome.index)
    assert seen == list(range(len(tasks)))


def test_folder_discovery_says_what_it_skipped_and_reviews_upper_case_and_misspelt_dossiers(capsys, tmp_path):
    (tmp_path / "real").mkdir()
    shutil.copy(EXAMPLES / "wuwei-old-town-renewal.yaml", tmp_path / "real" / "w.yaml")
    top = tmp_path / "top"
    top.mkdir()
    (top / "linked").symlink_to(tmp_path / "real")
    shutil.copy(BASE, top / "UPPER.YAML")
    data = base_data()
    data["decison"] = data.pop("decision")
    (top / "typo.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    (top / "notes.yaml").write_text("just: notes\n", "utf-8")
    code, out, err = _run(capsys, "check", top)
    assert code == 2
    assert "linked" in err and "符号链接" in err  # not followed, but said
    assert "notes.yaml" in err and "不是卷宗" in err
    assert "UPPER.YAML" in out and "通过" in out  # reviewed, not skipped for its case
    assert "typo.yaml" in err and "decison" in err  # reported as a broken dossier, not skipped


def test_a_fifo_or_a_dangling_link_given_directly_is_said_for_what_it_is(capsys, tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    link = tmp_path / "link.yaml"
    link.symlink_to(tmp_path / "gone.yaml")
    code, _, err = _run(capsys, "check", fifo, link, BASE)
    assert code == 2 and "不是普通文件" in err and "符号链接无法解析" in err and "不存在" not in err.split("符号")[0]


def test_report_dir_gives_same_stem_dossiers_distinct_names(capsys, tmp_path):
    src = tmp_path / "src"
    for sub in ("a", "b"):
        (src / sub).mkdir(parents=True)
        shutil.copy(BASE, src / sub / "dossier.yaml")
    shutil.copy(BASE, src / "x.yaml")
    data = yaml.safe_load(BASE.read_text("utf-8"))
    (src / "x.json").write_text(json.dumps(data, ensure_ascii=False, default=str), "utf-8")
    out_dir = tmp_path / "reports"
    code, _, err = _run(capsys, "check", src, "--report-dir", out_dir)
    assert code == 0, err
    htmls = sorted(p.name for p in out_dir.glob("*.html"))
    assert htmls == ["a_dossier.yaml.html", "b_dossier.yaml.html", "x.json.html", "x.yaml.html"]
    assert len(list(out_dir.glob("*.pdf"))) == 4
    assert not list(out_dir.glob(".*.part"))


def test_report_dir_that_cannot_be_made_is_a_chinese_error_with_exit_2(capsys, tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x", "utf-8")
    for target, reason in ((a_file, "同名的文件"), (a_file / "sub", "是文件"), (Path("/sys/prereview-test"), "权限")):
        code, _, err = _run(capsys, "check", BASE, "--report-dir", target)
        assert code == 2 and "无法写出" in err and reason in err and "Traceback" not in err, err


@pytest.mark.parametrize("target, reason", [("/sys/prereview-test.html", "没有写入权限"),
                                            ("FILE/x.html", "是文件"), ("/dev/full", "磁盘空间已满")])
def test_report_write_failures_are_chinese_errors_with_exit_2(capsys, tmp_path, target, reason):
    a_file = tmp_path / "FILE"
    a_file.write_text("x", "utf-8")
    target = target.replace("FILE", str(a_file))
    code, _, err = _run(capsys, "report", BASE, "-o", target, "--format", "md")
    assert code == 2 and reason in err and target in err
    assert not list(Path(target).parent.glob(".*.part")) if Path(target).parent.is_dir() else True


def test_a_report_past_the_file_size_limit_leaves_no_part_file(tmp_path):
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    target = tmp_path / "r.html"
    done = subprocess.run(CLI + ["report", str(BASE), "-o", str(target)], capture_output=True, text=True,
                          preexec_fn=limit, cwd=tmp_path)
    assert done.returncode == 2 and "超过允许的文件大小" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # neither the report nor its .part


def test_o_keeps_a_symlink_and_writes_into_a_device(tmp_path):
    real = tmp_path / "real.md"
    link = tmp_path / "link.md"
    link.symlink_to(real)
    assert main(["report", str(BASE), "-o", str(link)]) == 0
    assert link.is_symlink() and real.stat().st_size > 0
    done = subprocess.run(CLI + ["report", str(BASE), "--format", "md", "-o", "/dev/stdout"], capture_output=True,
                          text=True)
    assert done.returncode == 0 and "预审报告" in done.stdout and Path("/dev/stdout").is_symlink()


def test_a_closed_pipe_does_not_turn_findings_into_exit_0():
    # sarif of the examples is larger than a pipe holds, so `head -1` closes it before the end
    done = subprocess.run(["bash", "-c", f"{' '.join(CLI)} check examples --format sarif | head -1 >/dev/null; "
                                         "echo ${PIPESTATUS[0]}"], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "1", done.stderr
    # a reader that is gone before the first byte: text and JSON Lines alike
    for fmt in ("text", "jsonl"):
        proc = subprocess.Popen(CLI + ["check", "examples", "--format", fmt], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=ROOT)
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait() == 1 and "BrokenPipe" not in err and "Traceback" not in err, err


def test_terminal_escapes_in_a_dossier_are_shown_never_interpreted(capsys, tmp_path):
    data = base_data()
    data["decision"]["title"] = "\x1b[1A\x1b[2K\x1b[32m结论：通过（pass）\x1b[0m\u202e"
    for step in data["steps"]:
        if step["type"] == "legality-review":
            step["opinion_on"] = "2025-05-25"  # blocked
    path = tmp_path / "ansi\x1b[31m.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    code, out, err = _run(capsys, "check", path)
    assert code == 1 and "\x1b" not in out and "\u202e" not in out and "\x1b" not in err
    assert "\\x1b[32m结论：通过" in out and "\\u202e" in out


def test_discover_lists_every_candidate_in_argument_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.yml").write_text("x: 1\n", "utf-8")
    (tmp_path / "b" / "c.JSON").write_text("{}", "utf-8")
    (tmp_path / "readme.txt").write_text("x", "utf-8")
    tasks, problems, skipped = discover([tmp_path, tmp_path / "missing.yaml", BASE])
    assert [t.path.name for t in tasks] == ["a.yml", "c.JSON", BASE.name]
    assert [t.in_folder for t in tasks] == [True, True, False] and [t.index for t in tasks] == [0, 1, 2]
    assert len(problems) == 1 and "不存在" in problems[0].message and not skipped
    assert isinstance(tasks[0], Task)


def test_a_rule_pack_folder_inside_a_dossier_folder_is_skipped_and_said(tmp_path):
    import shutil

    from prereview.engine.batch import discover

    shutil.copytree(ROOT / "examples" / "local-packs", tmp_path / "packs")
    shutil.copy(ROOT / "rules" / "_fixtures" / "major-decision-compliant.yaml", tmp_path / "a.yaml")
    tasks, problems, skipped = discover([tmp_path])
    assert [t.path.name for t in tasks] == ["a.yaml", "catalogue.yaml", "expected.yaml"]
    assert [Path(s.path).name for s in skipped] == ["major-decision"] and "规则包" in skipped[0].reason


def _hang_on(monkeypatch, name: str):
    _on_review_of(monkeypatch, name, lambda: time.sleep(3600))  # a rule engine that never returns


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_dossier_that_hangs_is_stopped_at_the_time_limit_and_costs_only_its_file(capsys, monkeypatch,
                                                                                 tmp_path, jobs):
    for name in GOOD:
        shutil.copy(EXAMPLES / name, tmp_path / name)
    shutil.copy(BASE, tmp_path / "a-hang.yaml")  # first: the files queued behind it go to a new worker
    _hang_on(monkeypatch, "a-hang.yaml")
    code, out, err = _run(capsys, "check", tmp_path, "--format", "json", "--jobs", jobs, "--timeout", "3")
    assert code == 2
    entries = json.loads(out)
    assert sorted(Path(e["dossier"]["path"]).name for e in entries if e["verdict"] != "error") == sorted(GOOD)
    (failed,) = [e for e in entries if e["verdict"] == "error"]
    assert Path(failed["dossier"]["path"]).name == "a-hang.yaml"
    assert "审查超过时间上限 3 秒" in failed["problems"][0]["message"]
