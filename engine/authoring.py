"""What a rule author needs besides the loader: rule skeletons (`prereview rules new`) and the placeholder
check that keeps an unfilled skeleton from ever loading.

A skeleton writes 【待填写：…】 wherever the author must write something; the text after the colon says
what. The loader refuses every rule or cases file that still holds one, naming each (file, line, field,
what to write), before any other check, so a skeleton can never ship silently.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem
from .source import Located, dotted, read_file

PLACEHOLDER = "【待填写"
_HINT = re.compile(r"【待填写[：:]?\s*([^】]*)】?")


def unfilled(doc: Located) -> list[Problem]:
    """A problem for every key or value of the document that still holds a 【待填写：…】 placeholder."""
    out: list[Problem] = []

    def walk(node, pos):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            here = pos + (key,)
            blank_key = isinstance(key, str) and PLACEHOLDER in key
            if blank_key:  # a path to fill in (a case's `set:`): named by where it stands
                out.append(_problem(doc, here, pos, key, "尚未填写的键 (key not filled in)"))
            if isinstance(value, str) and PLACEHOLDER in value:
                out.append(_problem(doc, here, pos if blank_key else here, value, "尚未填写 (not filled in)"))
            elif not blank_key:
                walk(value, here)

    walk(doc.data, ())
    return out


def _problem(doc: Located, at: tuple, named: tuple, text: str, message: str) -> Problem:
    hint = _HINT.search(text).group(1).strip()
    return Problem(doc.path, doc.line(at), dotted(named), message, hint or "实际内容")


@dataclass
class PackInfo:
    name: str
    directory: Path
    kinds: list[str]
    has_base: bool


def find_packs(roots: list[Path]) -> tuple[list[PackInfo], list[Problem]]:
    """Every pack (folder with a _pack.yaml) under the roots, read only for its name, kinds and base."""
    packs, problems = [], []
    for root in roots:
        for path in sorted(Path(root).glob("**/_pack.yaml")):
            doc, errs = read_file(path)
            if errs or not isinstance(doc.data, dict) or not isinstance(doc.data.get("pack"), str):
                problems.extend(errs or [Problem(str(path), 1, "pack", "规则包文件缺少 pack: 名称")])
                continue
            kinds = doc.data.get("kinds")
            packs.append(PackInfo(doc.data["pack"], path.parent, kinds if isinstance(kinds, list) else [],
                                  bool(doc.data.get("base"))))
    return packs, problems


def rule_files(packs: list[PackInfo]) -> dict[str, Path]:
    """Rule ID -> its file, for every rule file of these packs (the file name is the ID)."""
    out = {}
    for pack in packs:
        for path in sorted(pack.directory.glob("*.yaml")):
            if not path.name.startswith("_") and not path.name.endswith(".cases.yaml"):
                out.setdefault(path.stem, path)
    return out


def _todo(hint: str) -> str:
    return f"{PLACEHOLDER}：{hint}】"


def rule_skeleton(rule_id: str, kind: str, step: str | None) -> str:
    step_line = step or _todo("步骤类型，如 legality-review（prereview schema 列出每种步骤）")
    alias = "s"
    return f"""\
# 规则 {rule_id}：由 prereview rules new 写出的骨架。
# 每一处【待填写：…】都要换成实际内容；有一处未填，规则库就拒绝加载并逐处指出（文件、行、字段、应写什么）。
# 各字段的写法见 rules/README.md。
id: {rule_id}
title: {_todo("一句话说明要求，如 征求意见期不得少于四十五日")}
kinds: [{kind}]
implements:                      # 法律依据目录 catalogue.yaml 中的要求编号（先在目录中登记）
  - {_todo("要求编号，如 LZ-MAD-COMMENT-PERIOD")}
basis:                           # 每一条依据：文件、文号、条款项、施行日期
  - source: {_todo("文件名称，如 兰州市重大行政决策程序规定")}
    number: {_todo("文号，如 兰州市人民政府令第1号")}
    article: {_todo("条、款、项，如 第十五条第一款；政策文件写段落，如 二（二）1")}
    in_force:
      from: {_todo("施行日期 YYYY-MM-DD")}
    level: V1                    # V1＝已对照全文核对
severity: {_todo("blocking（阻断：文件写明不得…）/ major（重要：应当…）/ advisory（提示：可以…）")}
step: {step_line}
when:                            # 条件语言见 rules/README.md
  - step: {step or _todo("步骤类型")}
    as: {alias}
    where: "{_todo("条件，如 " + alias + ".days < param.comment_days")}"
message: {_todo("写明卷宗中的具体事实，如 征求意见期 {" + alias + ".published_on} 至 {" + alias + ".closes_on}，共 {" + alias + ".days} 日")}
fix: {_todo("向承办单位提出的整改意见（公文用语，不写字段名、代码）")}
# record: 整改后如何在卷宗中登记（可选）
# bar: no-discussion            # 只有 blocking 规则写：不得提交讨论等法律后果，见 rules/README.md
# rationale: 为何如此判断（可选，rules show 显示）
"""


def cases_skeleton(rule_id: str, has_base: bool) -> str:
    base = "" if has_base else f"base: {_todo('合规基准卷宗的路径（相对本文件），规则包 _pack.yaml 也未写 base')}\n"
    return f"""\
# {rule_id} 的用例：每个用例从合规基准卷宗出发做修改，说明规则应当触发（fire）还是不触发（quiet）。
# 至少一个 fire、一个 quiet。路径按类型选步骤（steps[public-comment]），按编号选材料。
# 写好后运行 prereview rules test。
{base}cases:
  - name: {_todo("应报的情形，如 征求意见期四十日，应报")}
    expect: fire
    change:
      - set:
          "{_todo("路径，如 steps[public-comment].closes_on")}": {_todo("值，如 2025-04-10")}
  - name: 基准卷宗，不报
    expect: quiet
"""
