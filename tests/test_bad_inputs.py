"""Every bad input is refused by `prereview check` with exit 2 and a located Chinese error.

The corpus is tests/bad_inputs/ (one fault per file, expectations in expected.yaml, made by
make.py); inputs too large to keep in the repository are built here. Each is one pytest item.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import yaml

from prereview.api.cli import main
from prereview.engine import limits

HERE = Path(__file__).resolve().parent / "bad_inputs"
EXPECTED = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))
BASE = (HERE / "_base.yaml").read_text(encoding="utf-8")
CJK = re.compile("[\u4e00-\u9fff]")


def _check(path: Path, capsys) -> tuple[int, dict]:
    code = main(["check", str(path), "--format", "json"])
    out = capsys.readouterr()
    return code, json.loads(out.out)


def _assert_refused(path: Path, capsys, line, field, fragment):
    code, result = _check(path, capsys)
    assert code == 2, result
    assert result["verdict"] == "error"
    first = result["problems"][0]
    text = first["message"] + "（应为：" + first["expected"] + "）"
    assert (first["path"], first["line"], first["field"]) == (str(path), line, field), first
    assert fragment in text, first
    assert CJK.match(first["message"]) or CJK.search(first["message"][:40]), first  # Chinese first


def test_the_corpus_is_what_make_py_writes():
    files = sorted(p.name for p in HERE.iterdir() if p.name[0].isalpha() and p.name[1].isdigit())
    assert files == sorted(EXPECTED) and len(files) >= 60


def test_the_base_of_the_corpus_is_a_valid_dossier(capsys):
    code, result = _check(HERE / "_base.yaml", capsys)
    assert code in (0, 1) and result["verdict"] != "error"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_file(name, capsys):
    want = EXPECTED[name]
    _assert_refused(HERE / name, capsys, want["line"], want["field"], want["message"])


def _lines(text: str, line: int, new: str) -> str:
    out = text.splitlines(keepends=True)
    out[line - 1] = new
    return "".join(out)


def _steps(n: int) -> str:
    step = "  - type: participation\n    method: forum\n    held_on: 2025-02-10\n"
    return BASE.replace("materials:\n  - id", step * n + "materials:\n  - id", 1)


GENERATED = {
    # name: (file name, content, line, field, message fragment)
    "file-over-2-MiB": ("big.yaml", BASE + "# " + "长" * (limits.FILE_BYTES // 3) + "\n", None, "", "文件过大"),
    "title-of-16-MiB-json": ("big.json", json.dumps({"decision": {"title": "长" * 5_700_000}}, ensure_ascii=False),
                             None, "", "文件过大"),
    "title-over-4000-characters": ("long.yaml", _lines(BASE, 3, "  title: " + "长" * 4_001 + "\n"), 3,
                                   "decision.title", "文字过长"),
    "note-over-4000-characters": ("note.yaml", _lines(BASE, 14, "    decided_by: 某市人民政府\n    note: " + "x" * 5000 + "\n"),
                                  15, "steps[0].note", "文字过长"),
    "501-steps": ("steps.yaml", _steps(500), 11, "steps", "程序步骤过多"),
    "10000-steps": ("steps10k.yaml", _steps(9_999), 11, "steps", "程序步骤过多：共 10,001 项"),
    "1001-materials": ("materials.yaml", BASE + "".join(f"  - {{id: m{i}, name: 附件, kind: other}}\n" for i in range(1001)),
                       21, "materials", "材料过多"),
    "201-units": ("units.yaml", BASE.replace("materials:\n  - id", "  - type: interagency-consultation\n    units:\n"
                                             + "      - {name: 某局, replied: true}\n" * 201 + "materials:\n  - id", 1),
                  22, "steps[2].units", "征求意见单位过多"),
    "1001-channels": ("channels.yaml", _lines(BASE, 19, "    channels: [" + ", ".join(["网站"] * 1001) + "]\n"), 19,
                      "steps[1].channels", "过多"),
    "alias-bomb-9x9": ("bomb.yaml", BASE + "x0: &a0 [" + ",".join(["1"] * 9) + "]\n"
                       + "".join(f"x{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10)),
                       30, "", "锚点别名（*名称）展开后共有"),  # x5: where the expansion passes the bound
    "flow-nesting-500": ("deep.json", "[" * 500 + "]" * 500, 1, None, "嵌套层数"),
    "flow-nesting-100000": ("deeper.json", "[" * 100_000 + "]" * 100_000, 1, "", "嵌套层数"),
    "block-nesting-1500": ("deep.yaml", "".join(" " * i + "a:\n" for i in range(1500)) + " " * 1500 + "a: 1\n",
                           65, None, "嵌套层数超过 64 层"),
}


@pytest.mark.parametrize("case", sorted(GENERATED))
def test_generated_bad_input(case, tmp_path, capsys):
    name, content, line, field, fragment = GENERATED[case]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, result = _check(path, capsys)
    assert code == 2
    first = result["problems"][0]
    assert first["path"] == str(path) and first["line"] == line, first
    if field is not None:
        assert first["field"] == field, first
    assert fragment in first["message"], first


ACCEPTED = {
    # inputs that must be read as meant (reviewed, never refused)
    "anchor-and-alias.yaml": BASE.replace("  sponsor: 某市发展和改革委员会", "  sponsor: &s 某市发展和改革委员会")
    .replace("    decided_by: 某市人民政府", "    decided_by: *s"),
    "bom.yaml": "\ufeff" + BASE,
    "crlf.yaml": BASE.replace("\n", "\r\n"),
    "cr-only.yaml": BASE.replace("\n", "\r"),
    "tab-after-colon.yaml": BASE.replace("  sponsor: ", "  sponsor:\t"),
    "quoted-yes-and-zero.yaml": BASE.replace("  sponsor: 某市发展和改革委员会", '  sponsor: "yes"')
    .replace("    decided_by: 某市人民政府", "    decided_by: '0126'"),
    "key-on.yaml": BASE + "# on: is a key like any other\n",
    "dossier.json": json.dumps(yaml.safe_load(BASE.replace("2025-", "'2025-").replace("-10\n", "-10'\n")
                                              .replace("-01\n", "-01'\n").replace("-05\n", "-05'\n")),
                               ensure_ascii=False, indent=1),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_odd_but_valid_input_is_reviewed(name, tmp_path, capsys):
    path = tmp_path / name
    path.write_bytes(ACCEPTED[name].encode("utf-8"))
    code, result = _check(path, capsys)
    assert code in (0, 1) and result["verdict"] != "error", result


def test_the_alias_bomb_is_refused_at_once(tmp_path, capsys):
    # Before: 2.6 GB in 60 s. The bound is checked on the composed nodes, before any expansion.
    name, content, *_ = GENERATED["alias-bomb-9x9"]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    import resource
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code, result = _check(path, capsys)
    assert code == 2 and "展开后共有 4,412,961,578 个值" in result["problems"][0]["message"]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB: no expansion happened
