"""`prereview evaluate`: streamed results, summary, CSV, a resumable store, seeded sampling."""
from __future__ import annotations

import csv
import io
import json
import shutil

import yaml

from prereview.api.cli import main
from prereview.api.evaluate import choose

from helpers import FIXTURES, base_data

BASES = ["enforcement-penalty-compliant.yaml", "enforcement-licence-compliant.yaml", "enforcement-coercion-compliant.yaml"]


def _folder(tmp_path, n=6):
    folder = tmp_path / "cases"
    folder.mkdir()
    for i in range(n):
        data = base_data(FIXTURES / BASES[i % 3])
        data["decision"]["title"] += f"（第 {i} 号）"
        if i == 1:
            data["decision"]["archive"] = {"one_case_one_file": True, "cover": False, "table_of_contents": True,
                                           "pages_numbered": True}
        if i == 3:  # the penalty without its notice: a veto
            data["steps"] = [s for s in data["steps"] if s["type"] != "notice"]
        (folder / f"case-{i:02d}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return folder


def _run(capsys, *args):
    code = main(["evaluate", *map(str, args)])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_every_file_is_a_line_and_the_summary_counts_them(tmp_path, capsys):
    folder, out = _folder(tmp_path), tmp_path / "out"
    code, lines, _ = _run(capsys, folder, "--rubric", "guangdong-231", "--out", out, "--jobs", "2")
    assert code == 0 and [r["path"] for r in lines] == [str(p) for p in sorted(folder.iterdir())]
    assert {r["status"] for r in lines} == {"scored"}
    vetoed = [r for r in lines if r["vetoes"]]
    assert [r["path"].endswith("case-03.yaml") for r in vetoed] == [True] and vetoed[0]["grade"] == "不合格"
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["population"] == summary["files"] == 6 and summary["sample"] is None
    assert sum(g["count"] for g in summary["overall"]["grades"].values()) == summary["overall"]["graded"] == 6
    assert summary["overall"]["grades"]["不合格"]["count"] == 1
    assert set(summary["by_type"]) == {"处罚", "许可", "强制"}
    assert summary["by_type"]["处罚"]["files"] == 2
    raw = (out / "results.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["文件", "状态", "卷宗号"] and len(rows) == 7
    assert "无案卷封面（扣 2 分）" in rows[2][rows[0].index("扣分项")]


def test_a_rerun_takes_finished_files_from_the_store(tmp_path, capsys):
    folder, out = _folder(tmp_path, 3), tmp_path / "out"
    _run(capsys, folder, "--rubric", "guangdong-231", "--out", out, "--jobs", "1")
    [store] = out.glob("store-*.jsonl")
    recs = [json.loads(line) for line in store.read_text("utf-8").splitlines()]
    recs[0]["title"] = "（取自存储）"  # if the rerun reviewed it again, this would be gone
    store.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs[:2])
                     + json.dumps(recs[2], ensure_ascii=False)[:40], "utf-8")  # the last line torn by a crash
    code, lines, _ = _run(capsys, folder, "--rubric", "guangdong-231", "--out", out, "--jobs", "1")
    assert code == 0 and lines[0]["title"] == "（取自存储）"
    assert lines[2]["title"] == recs[2]["title"]  # the torn one was done again
    assert len([line for line in store.read_text("utf-8").splitlines() if line.endswith("}")]) == 3


def test_outputs_are_byte_identical_whatever_the_number_of_workers(tmp_path, capsys):
    folder = _folder(tmp_path)
    outputs = []
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        main(["evaluate", str(folder), "--rubric", "gansu", "--out", str(out), "--jobs", str(jobs)])
        outputs.append((capsys.readouterr().out, (out / "summary.json").read_bytes(), (out / "results.csv").read_bytes()))
    assert outputs[0] == outputs[1]
    summary = json.loads(outputs[0][1])
    assert summary["overall"]["graded"] == 0 and summary["overall"]["ungraded"] == 6  # Gansu: no known threshold
    assert "等次“优秀”的分数线" in summary["unknown_figures"]


def test_a_seeded_sample_is_reproducible_and_stated(tmp_path, capsys):
    folder = _folder(tmp_path, 9)
    runs = []
    for k in range(2):
        code, lines, _ = _run(capsys, folder, "--rubric", "guangdong-231", "--out", tmp_path / f"o{k}",
                              "--sample", "4", "--seed", "7", "--jobs", "1")
        runs.append([r["path"] for r in lines])
    assert runs[0] == runs[1] and len(runs[0]) == 4 and runs[0] == sorted(runs[0])
    summary = json.loads((tmp_path / "o0" / "summary.json").read_text("utf-8"))
    assert summary["population"] == 9 and summary["sample"]["size"] == 4 and summary["sample"]["seed"] == 7
    assert choose(list(range(9)), 4, 7) != choose(list(range(9)), 4, 8)


def test_a_broken_file_is_counted_and_a_broken_rubric_stops(tmp_path, capsys):
    folder = _folder(tmp_path, 2)
    (folder / "case-09.yaml").write_text("decision:\n  title: 缺少其余字段\n", "utf-8")
    code, lines, _ = _run(capsys, folder, "--rubric", "guangdong-231", "--out", tmp_path / "o", "--jobs", "1")
    assert code == 1 and lines[-1]["status"] == "error" and lines[-1]["problems"][0]["line"]
    rubric = tmp_path / "r.yaml"
    shutil.copy(FIXTURES / BASES[0], rubric)
    code, lines, err = _run(capsys, folder, "--rubric", rubric, "--out", tmp_path / "o2")
    assert code == 2 and lines == [] and "评查标准文件 (rubric) 有误" in err


def test_progress_on_a_terminal_says_files_done_of_total(capsys):
    from prereview.api.evaluate import _Progress
    bar = _Progress(3, enabled=True)
    bar.tick()
    bar.tick()
    bar.end()
    err = capsys.readouterr().err
    assert "已完成 1/3" in err and "已完成 2/3" in err and "份/秒" in err and "预计剩余" in err
    quiet = _Progress(3, enabled=False)
    quiet.tick()
    assert capsys.readouterr().err == ""


def test_an_override_for_a_file_outside_the_batch_is_said_not_dropped(tmp_path, capsys):
    folder = _folder(tmp_path, 2)
    overrides = tmp_path / "o.yaml"
    overrides.write_text("overrides:\n  - {file: elsewhere.yaml, item: GD-PROC-NOTICE, points: 0, reason: 理由, "
                         "reviewer: 张某, on: 2026-03-02}\n", "utf-8")
    code, lines, err = _run(capsys, folder, "--rubric", "guangdong-231", "--out", tmp_path / "o", "--jobs", "1",
                            "--overrides", overrides)
    assert code == 0 and not any(r["overridden"] for r in lines)
    assert "复评记录未采用：elsewhere.yaml" in err
    summary = json.loads((tmp_path / "o" / "summary.json").read_text("utf-8"))
    assert summary["unused_overrides"] == [{"file": "elsewhere.yaml", "item": "GD-PROC-NOTICE"}]


def test_a_file_that_hangs_and_one_that_crashes_are_counted_and_every_other_file_scored(tmp_path, capsys,
                                                                                     monkeypatch):
    import faulthandler
    import os
    import signal
    import time
    from pathlib import Path

    from prereview.engine import batch

    folder = _folder(tmp_path, n=6)
    real = batch.run_review

    def review(loaded, book, as_of=None, calendar=None):
        name = Path(loaded.doc.path).name
        if name == "case-02.yaml":
            time.sleep(3600)
        if name == "case-04.yaml":
            faulthandler.disable()  # the dump of the deliberate crash would only add noise
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(loaded, book, as_of, calendar)
    monkeypatch.setattr(batch, "run_review", review)
    code, lines, _ = _run(capsys, folder, "--rubric", "guangdong-231", "--out", tmp_path / "out", "--jobs", "2",
                          "--timeout", "3")
    assert code == 1
    by_name = {Path(r["path"]).name: r["status"] for r in lines}
    assert by_name.pop("case-02.yaml") == "timed-out" and by_name.pop("case-04.yaml") == "engine-failure"
    assert set(by_name.values()) == {"scored"}
    status = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))["status"]
    assert status["scored"] + status["engine-failure"] + status["timed-out"] == 6 == len(lines)
    assert status["timed-out"] == 1 and status["engine-failure"] == 1
