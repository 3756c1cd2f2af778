"""Write the bad-input corpus: each file is _base.yaml (a valid dossier) with one fault, and
expected.yaml says where the error must point (line, field) and a fragment of its Chinese message.

Run from the repository: .venv/bin/python tests/bad_inputs/make.py   (the files are committed)
Inputs too large to keep (multi-MiB files, alias bombs, 10,000 steps) are built by
tests/test_bad_inputs.py at run time.
"""
from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
BASE = (HERE / "_base.yaml").read_text(encoding="utf-8")
LINES = BASE.splitlines(keepends=True)


def at(line: int, new: str) -> str:
    """The base with line `line` (1-based) replaced."""
    out = list(LINES)
    out[line - 1] = new
    return "".join(out)


def sub(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def append(extra: str) -> str:
    return BASE + extra


N = len(LINES)  # 24
CASES: list[tuple[str, str | bytes, int | None, str, str]] = [
    # (file, content, line, field, message fragment)
    ("y01-tab-indent.yaml", at(7, "\tsponsor: 某市发展和改革委员会\n"), 7, "", "制表符"),
    ("y03-unclosed-double-quote.yaml", at(7, '  sponsor: "某市发展和改革委员会\n'), 7, "", "引号未闭合"),
    ("y03b-unclosed-single-quote.yaml", at(14, "    decided_by: '某市人民政府\n"), 14, "", "引号未闭合"),
    ("y04-unclosed-brace.yaml", at(6, "  organ: {name: 某市人民政府, level: city, province: 甘肃省, city: 金昌市\n"), 6, "", "花括号"),
    ("y05-unclosed-bracket.yaml", at(19, "    channels: [政府网站, 报纸\n"), 19, "", "方括号"),
    ("y06-no-space-after-colon.yaml", at(7, "  sponsor:某市发展和改革委员会\n"), 7, "", "冒号"),
    ("y07-unquoted-colon.yaml", at(3, "  title: 票价方案: 第二稿\n"), 3, "", "冒号"),
    ("y08-three-space-indent.yaml", at(7, "   sponsor: 某市发展和改革委员会\n"), 7, "", "缩进"),
    ("y09-duplicate-top-key.yaml", append("schema: prereview/dossier/1\n"), N + 1, "schema", "重复"),
    ("y10-duplicate-step-key.yaml", sub("    decided_on: 2025-01-10\n", "    decided_on: 2025-01-10\n    decided_on: 2025-01-11\n"),
     14, "steps[0].decided_on", "重复"),
    ("y11-duplicate-flow-key.yaml", at(6, "  organ: {name: 某市人民政府, level: city, province: 甘肃省, city: 金昌市, level: county}\n"), 6,
     "decision.organ.level", "重复"),
    ("y12-undefined-alias.yaml", at(7, "  sponsor: *sponsor\n"), 7, "", "未定义的锚点"),
    ("y12b-chinese-alias-name.yaml", at(7, "  sponsor: *承办单位\n"), 7, "", "锚点或别名的名称"),
    ("y13-two-documents.yaml", append("---\nschema: prereview/dossier/1\n"), N + 1, "", "只能有一份文档"),
    ("y14-stray-list-item.yaml", at(8, "  - public-policy\n"), 8, "", "YAML"),
    ("y15-unknown-escape.yaml", at(7, '  sponsor: "某市\\q发改委"\n'), 7, "", "转义"),
    ("y16-list-as-key.yaml", at(8, "  [scope]: public-policy\n"), 8, "decision", "不是文字"),
    ("y17-null-key.yaml", at(8, "  ~: public-policy\n"), 8, "decision", "键为空"),
    ("y18-merge-key.yaml", sub("  organ: {name: 某市人民政府, level: city, province: 甘肃省, city: 金昌市}\n",
                               "  organ: &organ {name: 某市人民政府, level: city, province: 甘肃省, city: 金昌市}\n  other:\n    <<: *organ\n"), 8, "", "合并键"),
    ("y21-recursive-alias.yaml", at(7, "  sponsor: &s [*s]\n"), 7, "decision.sponsor", "引用了它自己"),
    ("y22-python-tag.yaml", at(7, "  sponsor: !!python/object/apply:os.system [echo hi]\n"), 7, "decision.sponsor", "标签"),
    ("y22b-set-tag.yaml", at(19, "    channels: !!set {政府网站, 报纸}\n"), 19, "steps[1].channels", "标签"),
    ("y23-binary-tag.yaml", at(7, "  sponsor: !!binary 5p+Q5biC\n"), 7, "decision.sponsor", "标签"),
    ("y24-include-tag.yaml", at(7, "  sponsor: !include sponsor.yaml\n"), 7, "", "标签"),
    ("y29-empty.yaml", "", 1, "", "文件为空"),
    ("y30-only-comment.yaml", "# 卷宗\n", 1, "", "文件为空"),
    ("y31-only-dashes.yaml", "---\n", 1, "", "应为映射"),
    ("y32-scalar-document.yaml", "卷宗\n", 1, "", "应为映射"),
    ("y34-json-array.json", '[{"decision": {}}]\n', 1, "", "应为映射"),
    ("y36-json-line-comment.json", '// 卷宗\n{"schema": "prereview/dossier/1"}\n', 1, "", "// 注释"),
    ("y36b-json-trailing-comment.json", '{"schema": "prereview/dossier/1", // 版本\n "decision": {}}\n', 1, "", "// 注释"),
    ("y37-json-duplicate-key.json", '{"schema": "prereview/dossier/1",\n "schema": "prereview/dossier/1"}\n', 2, "schema", "重复"),
    # encodings and characters
    ("y39-png.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", 1, "", "UTF-8"),
    ("y40-gbk.yaml", BASE.encode("gbk"), 3, "decision.title", "看起来是 GBK"),
    ("y41-utf16.yaml", BASE.encode("utf-16"), 1, "", "UTF-16"),
    ("y45-nul.yaml", at(7, "  sponsor: 某市发展\x00和改革委员会\n").encode(), 7, "decision.sponsor", "空字符 NUL"),
    ("y46-bel.yaml", at(3, "  title: 某市\x07城市公共交通票价调整方案\n").encode(), 3, "decision.title", "响铃符"),
    ("y47-latin1-byte.yaml", BASE.encode().replace("decided_by: 某市".encode(), "decided_by: 某市".encode() + b"\xe9"),
     14, "steps[0].decided_by", "不是 UTF-8"),
    ("y48-form-feed.yaml", at(7, "  sponsor: 某市发展\x0c和改革委员会\n").encode(), 7, "decision.sponsor", "第 7 行第 16 列有不可见的换页符"),
    ("y49-vertical-tab.yaml", at(22, "  - id: 启动\x0b通知\n").encode(), 22, "materials[0].id", "垂直制表符"),
    ("y50-del.yaml", at(19, "    channels: [政府网站, 报\x7f纸]\n").encode(), 19, "steps[1].channels[0]", "删除符 DEL"),
    ("y50b-esc.yaml", at(7, "  sponsor: 某市\x1b[31m发改委\n").encode(), 7, "decision.sponsor", "转义符 ESC"),
    ("y51-lone-surrogate.yaml", at(7, '  sponsor: "某市\\ud800发改委"\n'), 7, "decision.sponsor", "代理字符"),
    # wrong types and YAML 1.1 readings
    ("t01-date-as-number.yaml", at(13, "    decided_on: 20250110\n"), 13, "steps[0].decided_on", "YYYY-MM-DD"),
    ("t07-date-without-zeros.yaml", at(13, "    decided_on: 2025-1-10\n"), 13, "steps[0].decided_on", "YYYY-MM-DD"),
    ("t08-date-as-float.yaml", at(13, "    decided_on: 2025.0110\n"), 13, "steps[0].decided_on", "YYYY-MM-DD"),
    ("t09-date-as-list.yaml", at(13, "    decided_on: [2025-01-10]\n"), 13, "steps[0].decided_on", "YYYY-MM-DD"),
    ("t10-date-left-empty.yaml", at(13, "    decided_on:\n"), 13, "steps[0].decided_on", "值为空"),
    ("t15-yes.yaml", at(10, "    technical: yes\n"), 10, "decision.circumstances.technical", "会被 YAML 读作 true"),
    ("t15b-off.yaml", at(10, "    technical: off\n"), 10, "decision.circumstances.technical", "会被 YAML 读作 false"),
    ("t18-octal-count.yaml", at(20, "    comments_received: 0126\n"), 20, "steps[1].comments_received", "读作数字 86"),
    ("t18b-hex-count.yaml", at(20, "    comments_received: 0x7e\n"), 20, "steps[1].comments_received", "读作数字 126"),
    ("t18c-underscore-count.yaml", at(20, "    comments_received: 1_26\n"), 20, "steps[1].comments_received", "读作数字 126"),
    ("t18d-sexagesimal.yaml", at(20, "    comments_received: 2:06\n"), 20, "steps[1].comments_received", "读作数字 126"),
    ("t18e-octal-text.yaml", at(22, "  - id: 0126\n"), 22, "materials[0].id", "读作数字 86"),
    ("t20-huge-count.yaml", at(20, "    comments_received: 1000000000000000000000000000000\n"), 20,
     "steps[1].comments_received", "数值"),
    ("t27-step-as-string.yaml", sub("  - type: public-comment\n", "  - 公开征求意见\n  - type: public-comment\n"), 16, "steps[1]", "应为映射"),
    ("t25-steps-null.yaml", sub("steps:\n", "steps: ~\nsteps_:\n"), 11, "steps", "值为空"),
    ("t30-empty-title.yaml", at(3, '  title: ""\n'), 3, "decision.title", "不能为空"),
    ("t33-unknown-field.yaml", at(8, "  scop: public-policy\n"), 8, "decision.scop", "未知字段"),
    ("t41-unknown-step-type.yaml", at(12, "  - type: initation\n"), 12, "steps[0].type", "未知的步骤类型"),
    ("t43-unknown-level.yaml", at(6, "  organ: {name: 某市人民政府, level: provincial, province: 甘肃省}\n"), 6, "decision.organ.level", "取值不在允许范围内"),
    ("t54-unregistered-material.yaml", at(15, "    materials: [启动通知书]\n"), 15, "steps[0].materials[0]", "启动通知书"),
    ("t56-thousands-of-fields.yaml", append("".join(f"x{i}: 1\n" for i in range(201))), 1, "", "字段过多"),
    ("t55-key-yes.yaml", at(8, "  yes: public-policy\n"), 8, "decision.yes", "未知字段"),
]


def main() -> None:
    for old in HERE.glob("[a-z][0-9]*"):
        old.unlink()
    expected = {}
    for name, content, line, field, fragment in CASES:
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (HERE / name).write_bytes(data)
        expected[name] = {"line": line, "field": field, "message": fragment}
    header = "# 每个坏输入文件的预期错误：行号、字段与中文消息片段（由 make.py 生成）\n"
    (HERE / "expected.yaml").write_text(header + yaml.safe_dump(expected, allow_unicode=True, sort_keys=True),
                                        encoding="utf-8")


if __name__ == "__main__":
    main()
