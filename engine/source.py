"""Read YAML or JSON while keeping the line of every key and item, for evidence and errors."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem

Pos = tuple  # a path into the document: ("steps", 3, "held_on")


def dotted(pos: Pos) -> str:
    """("steps", 3, "held_on") -> "steps[3].held_on", the way errors and evidence name a field."""
    out = ""
    for part in pos:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out


class Located:
    """A parsed document plus the 1-based line of each path in it."""

    def __init__(self, path: str, data: Any, lines: dict[Pos, int], text: str):
        self.path = path
        self.data = data
        self.lines = lines
        self.text = text

    def line(self, pos: Pos) -> int | None:
        """The line of pos, or of its nearest ancestor that has one."""
        pos = tuple(pos)
        while pos:
            if pos in self.lines:
                return self.lines[pos]
            pos = pos[:-1]
        return self.lines.get((), 1)


class _Loader(yaml.SafeLoader):
    pass


# Keep dates as text: the dossier model parses them, so a wrong date is an error
# with the field's name instead of a silent string.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _walk(node: yaml.Node, pos: Pos, lines: dict, problems: list, path: str, loader) -> Any:
    lines[pos] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)):
                problems.append(Problem(path, key_node.start_mark.line + 1, ".".join(map(str, pos)),
                                        f"键 {key!r} 不是文字", "文字键 (a text key)"))
                continue
            key = str(key)
            if key in out:
                problems.append(Problem(path, key_node.start_mark.line + 1, ".".join(map(str, pos + (key,))),
                                        f"键 {key} 重复出现 (duplicate key)", "每个键只出现一次"))
                continue
            out[key] = _walk(value_node, pos + (key,), lines, problems, path, loader)
            lines[pos + (key,)] = key_node.start_mark.line + 1  # the key's line, not its value's
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(n, pos + (i,), lines, problems, path, loader) for i, n in enumerate(node.value)]
    value = loader.construct_object(node, deep=True)
    if isinstance(value, (dt.date, dt.datetime)):  # explicit !!timestamp tags only
        value = value.isoformat()
    return value


# PyYAML's most common complaints, said in Chinese (the original follows in parentheses)
_YAML_HINTS = (
    ("found character '\\t'", "含有制表符（Tab）：YAML 只能用空格缩进"),
    ("mapping values are not allowed here", "此处不能出现“键: 值”：常见原因是冒号后缺少空格、值中含未加引号的冒号，或缩进错误"),
    ("could not find expected ':'", "缺少冒号“:”，或上一行的引号未闭合"),
    ("expected <block end>", "缩进不一致：同一层的键应当对齐"),
    ("found unexpected end of stream", "文件意外结束：引号或括号未闭合"),
    ("but found '<stream end>'", "文件意外结束：引号或括号未闭合"),
    ("expected ',' or '}'", "花括号 {…} 未闭合或缺少逗号"),
    ("expected ',' or ']'", "方括号 […] 未闭合或缺少逗号；含 [ ] 的路径须写成块格式或加引号"),
    ("found undefined alias", "使用了未定义的锚点别名（*名称）"),
)


def _explain(problem: str) -> str:
    for needle, hint in _YAML_HINTS:
        if needle in problem:
            return f"{hint}（{problem}）"
    return problem


def parse_text(text: str, path: str) -> tuple[Located | None, list[Problem]]:
    """Parse YAML (JSON is YAML) text; return the document or the problems found."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem(path, 1, "", "文件为空 (empty file)", "一个 YAML 或 JSON 映射")]
        lines: dict = {}
        problems: list = []
        data = _walk(node, (), lines, problems, path, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return None, [Problem(path, line, "", f"无法解析 YAML/JSON：{_explain(str(exc.problem or exc))}",
                              "合法的 YAML 或 JSON")]
    except yaml.YAMLError as exc:
        return None, [Problem(path, None, "", f"无法解析 YAML/JSON：{exc}", "合法的 YAML 或 JSON")]
    finally:
        loader.dispose()
    return Located(path, data, lines, text), problems


def read_file(file: Path) -> tuple[Located | None, list[Problem]]:
    path = str(file)
    try:
        raw = Path(file).read_bytes()
    except OSError as exc:
        return None, [Problem(path, None, "", f"无法读取文件：{exc.strerror}", "存在且可读的文件")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(path, None, "", f"文件不是 UTF-8 编码（第 {exc.start} 字节）", "UTF-8 编码的文本")]
    return parse_text(text, path)
