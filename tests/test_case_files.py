"""examples/case-files: the committed batch is the generator's, its scores agree with what each file was meant
to show, and its summary is case-files-expected/summary.json."""
from __future__ import annotations

import importlib.util
import json
import os

import yaml

from prereview.api.cli import main

from helpers import EXAMPLES

BATCH = EXAMPLES / "case-files"
EXPECTED = EXAMPLES / "case-files-expected"


def _generator():
    spec = importlib.util.spec_from_file_location("case_files_generate", BATCH / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_files_are_what_the_generator_writes(tmp_path):
    out, expected = tmp_path / "batch", tmp_path / "expected"
    out.mkdir()
    _generator().main(out, expected)
    written = sorted(p.name for p in out.glob("*.yaml"))
    assert written == sorted(p.name for p in BATCH.glob("*.yaml")) and len(written) >= 30
    for name in written:
        assert (out / name).read_bytes() == (BATCH / name).read_bytes(), name
    assert (expected / "intent.yaml").read_bytes() == (EXPECTED / "intent.yaml").read_bytes()


def _evaluate(tmp_path, capsys):
    cwd = os.getcwd()
    os.chdir(EXAMPLES)  # the summary names no paths, the lines do: relative, as the README runs it
    try:
        code = main(["evaluate", "case-files", "--rubric", "guangdong-231", "--out", str(tmp_path / "out"), "--jobs", "2"])
    finally:
        os.chdir(cwd)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return code, lines, (tmp_path / "out" / "summary.json").read_bytes()


def test_each_file_scores_as_its_defect_intends(tmp_path, capsys):
    code, lines, _ = _evaluate(tmp_path, capsys)
    intent = {c["file"]: c["intent"] for c in yaml.safe_load((EXPECTED / "intent.yaml").read_text("utf-8"))["cases"]}
    assert code == 0 and len(lines) == len(intent)
    for rec in lines:
        kind, form = intent[os.path.basename(rec["path"])], [d for d in rec["deductions"] if d["item"].startswith("GD-ARC-")]
        assert rec["status"] == "scored" and not rec["unlisted_findings"] and not rec["unscored_findings"], rec["path"]
        if kind == "veto":
            assert rec["vetoes"] and rec["grade"] == "不合格", rec["path"]
        else:
            assert not rec["vetoes"], rec["path"]
        if kind in ("clean", "unrecorded"):
            assert (rec["score"], rec["deductions"]) == (100, []), rec["path"]
            assert rec["form_recorded"] is (kind == "clean")
        if kind == "form":
            assert form and len(form) == len(rec["deductions"]) and rec["score"] < 100, rec["path"]
        if kind == "deduction":
            assert len(rec["deductions"]) > len(form) and rec["score"] < 100, rec["path"]
        for d in rec["deductions"]:
            assert d["item"].startswith("GD-ARC-") or d["basis"], (rec["path"], d)  # every rule deduction cites
    depts, types = {r["department"] for r in lines}, {r["type"] for r in lines}
    assert len(depts) >= 3 and types == {"处罚", "许可", "强制"}


def test_the_summary_is_the_expected_one(tmp_path, capsys):
    _, _, summary = _evaluate(tmp_path, capsys)
    assert summary == (EXPECTED / "summary.json").read_bytes(), \
        "重新生成：cd examples && prereview evaluate case-files --rubric guangdong-231 --out OUT，复制 OUT/summary.json"
    data = json.loads(summary)
    grades = data["overall"]["grades"]
    assert grades["不合格"]["count"] == 6 and grades["良好"]["count"] == 1 and grades["合格"]["count"] == 1
    assert data["by_department"]["兰州市自然资源局"]["files"] == 11
