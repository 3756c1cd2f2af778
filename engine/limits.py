"""One table of input limits, checked before anything is validated or handed to durable-rules.

The limits are generous for real dossiers and far inside what durable-rules survives.
Real dossiers (examples/, rules/**/_fixtures, every case file, measured 2026-12): longest text 70
characters, at most 14 steps, 36 materials, 10 units, 9 experts, nesting depth 7.
durable-rules 2.0.28, measured with bench/durable_ceiling.py (each trial in a child process):
- one text value of 16 MiB (with its JSON quotes) or more is refused by durable
  (MAX_OBJECT_PROPERTY_SIZE); before engine/matcher.py stopped deleting refused sessions the
  process then aborted in deleteState;
- about 9,000 steps abort the process (SIGABRT/SIGSEGV); 8,000 passed.
So 4,000 characters per text is 1/1,400 of durable's text ceiling, and 500 steps 1/16 of its step
ceiling; a 2 MiB file cannot hold one text durable would refuse.
"""
from __future__ import annotations

from typing import Any

from .errors import Problem

FILE_BYTES = 2 * 1024 * 1024  # a real dossier is 5-25 KB
DEPTH = 64                    # nesting of mappings and lists; real files: 7
NODES = 200_000               # values in the document with every alias expanded
TEXT_CHARS = 4_000            # per text value (and per key)
INTEGER = 10 ** 9             # counts (comments, participants): larger is a typo
LISTS = {"steps": 500, "materials": 1_000, "experts": 200, "units": 200}
ANY_LIST = 1_000              # any other list (channels, risk points, cited materials...)
KEYS = 200                    # fields in one mapping; the model's largest has 14

_NAMES = {"steps": "程序步骤", "materials": "材料", "experts": "专家", "units": "征求意见单位"}


def mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


def file_too_big(path: str, size: int) -> Problem:
    return Problem(path, None, "", f"文件过大：{mib(size)}，超过上限 {mib(FILE_BYTES)} (file too large)",
                   f"不超过 {mib(FILE_BYTES)} 的卷宗文件；附件请另行存放，用 ref 引用")


def check(doc) -> list[Problem]:
    """Every value of a parsed document (a source.Located) that passes a limit, located."""
    from .source import dotted  # source imports this module

    problems: list[Problem] = []

    def at(pos: tuple, message: str, expected: str) -> None:
        problems.append(Problem(doc.path, doc.line(pos), dotted(pos), message, expected))

    def walk(value: Any, pos: tuple) -> None:
        if isinstance(value, str):
            if len(value) > TEXT_CHARS:
                at(pos, f"文字过长：{len(value):,} 个字符，超过上限 {TEXT_CHARS:,} (text too long)",
                   f"不超过 {TEXT_CHARS:,} 个字符；长篇内容请写入材料文件，用 ref 引用")
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int):
            if abs(value) > INTEGER:
                at(pos, f"数值 {value} 过大 (number too large)", f"不超过 {INTEGER:,} 的整数")
        elif isinstance(value, dict):
            if len(value) > KEYS:  # thousands of unknown fields: one problem, not thousands
                at(pos, f"字段过多：共 {len(value):,} 个，超过上限 {KEYS:,} (too many fields)",
                   f"不超过 {KEYS:,} 个字段；请检查缩进是否把别的内容并入了此处")
                return
            for key, item in value.items():
                if len(key) > TEXT_CHARS:
                    at(pos, f"键过长：{len(key):,} 个字符 (key too long)", f"不超过 {TEXT_CHARS:,} 个字符的字段名")
                    continue
                walk(item, pos + (key,))
        elif isinstance(value, list):
            name = pos[-1] if pos and isinstance(pos[-1], str) else ""
            limit = LISTS.get(name, ANY_LIST)
            if len(value) > limit:
                what = _NAMES.get(name, "项")
                at(pos, f"{what}过多：共 {len(value):,} 项，超过上限 {limit:,} (list too long)",
                   f"不超过 {limit:,} 项")
                return
            for i, item in enumerate(value):
                walk(item, pos + (i,))

    walk(doc.data, ())
    return problems
