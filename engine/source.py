"""Read YAML or JSON while keeping the line of every key and item, for evidence and errors.

Documents are composed by libyaml (PyYAML's C parser) and walked here into plain data plus a map
path -> line. Only when libyaml refuses a document is it parsed again by the pure-Python parser,
whose messages the Chinese explanations below know. Both paths give identical data and lines
(tests/test_source_paths.py checks every file of the repository).

Readings decided here (YAML 1.1 surprises):
- dates stay text: the dossier model parses them, so a wrong date names its field;
- a plain value that YAML 1.1 would silently turn into another number or a boolean (`0126` -> 86,
  `0x10`, `1_000`, `1:30` -> 90, `yes`/`no`/`on`/`off`) is refused, located, with the advice to write
  a decimal number, true/false, or to quote the text;
- a plain key is always its literal text (`on:` is the key "on", `0126:` the key "0126").

libyaml accepts a little more than PyYAML (a tab as the space after a colon, as YAML 1.2 allows);
the one reading known to differ is the bare non-specific tag `!` on an empty value ("" in libyaml,
None in PyYAML), refused by the dossier model either way.
"""
from __future__ import annotations

import datetime as dt
import gc
import re
from pathlib import Path
from typing import Any

import yaml

from . import limits
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


# Keep dates as text: the dossier model parses them, so a wrong date is an error
# with the field's name instead of a silent string.
_RESOLVERS = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_RESOLVED: dict = {}  # (kind, value, implicit) -> tag: keys and codes repeat in every file


class _Resolve:
    yaml_implicit_resolvers = _RESOLVERS

    def resolve(self, kind, value, implicit):
        key = (kind, value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if value is None or len(value) <= 32:  # field names and codes, not free text
                if len(_RESOLVED) >= 4_096:  # bounded: a service reads many files
                    _RESOLVED.clear()
                _RESOLVED[key] = tag
        return tag


class _PyLoader(_Resolve, yaml.SafeLoader):
    pass


_CLoader = None
if getattr(yaml, "CSafeLoader", None) is not None:  # PyYAML built with libyaml
    class _CLoader(_Resolve, yaml.CSafeLoader):  # type: ignore[no-redef]
        pass

_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_BOOL, _INT, _FLOAT = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_PLAIN_BOOL = ("true", "false", "True", "False", "TRUE", "FALSE")


class _Refused(Exception):
    """The document is refused before it is walked (too deep, aliases expand too far)."""

    def __init__(self, problem: Problem):
        self.problem = problem


def _node_line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _measure(root: yaml.Node, path: str) -> None:
    """Refuse documents whose aliases expand past limits.NODES (or nest deeper than limits.DEPTH).

    Each distinct node is visited once (aliases share nodes), so an alias bomb costs its size in
    the file, not its expansion.
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(node: yaml.Node, pos: tuple, depth: int) -> int:  # depth: collections open here
        known = sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in open_:
            raise _Refused(Problem(path, _node_line(node), dotted(pos[:-1]),
                                   "锚点别名（*名称）引用了它自己所在的内容 (recursive alias)", "不引用自身的内容"))
        open_.add(id(node))
        if depth > limits.DEPTH and not isinstance(node, yaml.ScalarNode):
            raise _too_deep(node, pos, path)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                total += size(key_node, pos, depth + 1) + size(value_node, pos + (key,), depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                total += size(item, pos + (i,), depth + 1)
        sizes[id(node)] = total
        open_.discard(id(node))
        return total

    total = size(root, (), 1)
    if total > limits.NODES:
        raise _Refused(Problem(path, _alias_line(root, sizes), "",
                               f"锚点别名（*名称）展开后共有 {total:,} 个值，超过上限 {limits.NODES:,} "
                               "(aliases expand too far)", "直接写出内容，不要层层引用锚点"))


def _alias_line(root: yaml.Node, sizes: dict[int, int]) -> int:
    """The line of the collection where the document, expanded in order, passes limits.NODES."""
    seen: set[int] = set()
    node, budget = root, limits.NODES
    while True:
        children = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        for child in children:
            size = sizes[id(child)]
            if size <= budget:
                budget -= size
                seen.add(id(child))
                continue
            if id(child) in seen or not isinstance(child, (yaml.MappingNode, yaml.SequenceNode)):
                return _node_line(node)  # an alias used here is what passes the bound
            node, budget = child, budget - 1
            break
        else:
            return _node_line(node)


def _scalar(node: yaml.Node, pos: Pos, problems: list, path: str, loader) -> Any:
    if node.tag == _STR:
        return node.value
    try:
        value = loader.construct_object(node, deep=True)
    except (ValueError, IndexError, TypeError, OverflowError):  # `!!int` on a value that is none
        problems.append(Problem(path, _node_line(node), dotted(pos), f"值 {node.value!r} 与标签 {node.tag} 不符",
                                "不带标签的文字、数字、true/false"))
        return node.value
    if not node.style and isinstance(node, yaml.ScalarNode):  # plain, as typed (C: "", Python: None)
        text = node.value
        if node.tag == _INT and not _PLAIN_INT.fullmatch(text):
            problems.append(Problem(path, _node_line(node), dotted(pos),
                                    f"值 {text} 会被 YAML 读作数字 {value}（前导 0、0x、下划线或冒号的写法）",
                                    f"十进制整数，如 {int(text) if text.isdigit() else value}；如为文字请加引号，如 \"{text}\""))
        elif node.tag == _BOOL and text not in _PLAIN_BOOL:
            problems.append(Problem(path, _node_line(node), dotted(pos),
                                    f"值 {text} 会被 YAML 读作 {'true' if value else 'false'}（YAML 1.1 的写法）",
                                    f"true / false；如为文字请加引号，如 \"{text}\""))
        elif node.tag == _FLOAT and ("_" in text or ":" in text):
            problems.append(Problem(path, _node_line(node), dotted(pos),
                                    f"值 {text} 会被 YAML 读作数字 {value}（下划线或冒号的写法）",
                                    f"普通写法的数，如 1.5；如为文字请加引号，如 \"{text}\""))
    if isinstance(value, (dt.date, dt.datetime)):  # explicit !!timestamp tags only
        return value.isoformat()
    if not isinstance(value, (str, int, float, type(None))):  # !!binary, !!set ...
        problems.append(_bad_tag(node, pos, path))
        return str(value)
    return value


def _key(key_node: yaml.Node, loader) -> Any:
    if isinstance(key_node, yaml.ScalarNode) and not key_node.style and key_node.tag in (_BOOL, _INT, _FLOAT):
        return key_node.value  # a field name is what was typed: `on:` is "on", `0126:` is "0126"
    if key_node.tag == _STR:
        return key_node.value
    return loader.construct_object(key_node, deep=True)


def _bad_tag(node: yaml.Node, pos: Pos, path: str) -> Problem:
    return Problem(path, _node_line(node), dotted(pos), f"不支持的 YAML 标签 {node.tag}（请删除标签）",
                   "不带标签的文字、数字、true/false、列表或映射")


def _too_deep(node: yaml.Node, pos: Pos, path: str) -> _Refused:
    return _Refused(Problem(path, _node_line(node), dotted(pos), f"嵌套层数超过 {limits.DEPTH} 层 (nesting too deep)",
                            f"不超过 {limits.DEPTH} 层的映射和列表；卷宗通常只有 5 层"))


def _walk(node: yaml.Node, pos: Pos, lines: dict, problems: list, path: str, loader) -> Any:
    lines[pos] = node.start_mark.line + 1
    if len(pos) >= limits.DEPTH and not isinstance(node, yaml.ScalarNode):
        raise _too_deep(node, pos, path)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            problems.append(_bad_tag(node, pos, path))
        out: dict = {}
        for key_node, value_node in node.value:
            try:
                key = _key(key_node, loader)
            except (ValueError, IndexError, TypeError, OverflowError):  # `!!int "schema":`
                problems.append(_bad_tag(key_node, pos, path))
                continue
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                problems.append(Problem(path, key_node.start_mark.line + 1, dotted(pos),
                                        f"键 {key!r} 不是文字" if key is not None else "键为空 (empty key)",
                                        "文字键 (a text key)"))
                continue
            key = str(key)
            if key in out:
                problems.append(Problem(path, key_node.start_mark.line + 1, dotted(pos + (key,)),
                                        f"键 {key} 重复出现 (duplicate key)", "每个键只出现一次"))
                continue
            out[key] = _walk(value_node, pos + (key,), lines, problems, path, loader)
            lines[pos + (key,)] = key_node.start_mark.line + 1  # the key's line, not its value's
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            problems.append(_bad_tag(node, pos, path))
        return [_walk(n, pos + (i,), lines, problems, path, loader) for i, n in enumerate(node.value)]
    return _scalar(node, pos, problems, path, loader)


# PyYAML's most common complaints, said in Chinese (the original follows in parentheses)
_YAML_HINTS = (
    ("found character '\\t'", "含有制表符（Tab）：YAML 只能用空格缩进"),
    ("mapping values are not allowed", "此处不能出现“键: 值”：常见原因是冒号后缺少空格、值中含未加引号的冒号，或缩进错误"),
    ("could not find expected ':'", "缺少冒号“:”或冒号后缺少空格，或上一行的引号未闭合"),
    ("expected <block end>", "缩进不一致：同一层的键应当对齐"),
    ("did not find expected key", "缩进不一致：同一层的键应当对齐"),  # libyaml's words for it
    ("found invalid Unicode character escape code", "双引号内的 \\u 转义不是合法字符（如单独的代理字符 \\ud800）"),
    ("found unexpected end of stream", "文件意外结束：引号或括号未闭合"),
    ("but found '<stream end>'", "文件意外结束：引号或括号未闭合"),
    ("expected ',' or '}'", "花括号 {…} 未闭合或缺少逗号"),
    ("expected ',' or ']'", "方括号 […] 未闭合或缺少逗号；含 [ ] 的路径须写成块格式或加引号"),
    ("found undefined alias", "使用了未定义的锚点别名（*名称）"),
    ("but found another document", "一个文件只能有一份文档：发现了第二个文档（---）"),
    ("found unknown escape character", "双引号内的反斜杠转义无效：反斜杠请写成 \\\\，或改用单引号"),
    ("tag:yaml.org,2002:merge", "不支持合并键 <<：请把内容直接写出"),
    ("could not determine a constructor for the tag", "不支持的 YAML 标签（如 !include、!!python）：请删除标签"),
    ("found character that cannot start any token", "值不能以 @、` 等字符开头：请给值加引号"),
    ("found duplicate anchor", "锚点（&名称）重复定义"),
    ("expected alphabetic or numeric character", "锚点或别名的名称只能用英文字母和数字（&名称、*名称）；* 或 & 若是文字的一部分，请给值加引号"),
)

# Characters YAML does not allow in a file (PyYAML's and libyaml's reader reject them)
_FORBIDDEN = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
_CHAR_NAMES = {
    0x00: "空字符 NUL", 0x07: "响铃符 BEL", 0x08: "退格符 BS",
    0x0B: "垂直制表符（常见于从 Word 复制的文字）", 0x0C: "换页符（常见于从 PDF 复制的文字）",
    0x1B: "转义符 ESC", 0x7F: "删除符 DEL", 0xFFFE: "非字符 U+FFFE", 0xFFFF: "非字符 U+FFFF",
}
_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # line breaks as YAML counts them


def _line_col(text: str, index: int) -> tuple[int, int]:
    breaks = list(_BREAKS.finditer(text, 0, index))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, index - start + 1


def _field_at(text: str, line: int) -> str:
    """The field written at or just above `line`, from a parse of the text (or "" if it has none)."""
    loader = _CLoader or _PyLoader
    try:
        doc, _ = _parse(text, "", loader)
    except Exception:  # noqa: BLE001 - only a better message is at stake
        return ""
    if doc is None:
        return ""
    best: tuple = ()
    best_line = 0
    for pos, at in doc.lines.items():
        if best_line < at <= line or (at == best_line and len(pos) > len(best)):
            best, best_line = pos, at
    return dotted(best)


def _forbidden_characters(text: str, path: str) -> list[Problem]:
    found = []
    for match in _FORBIDDEN.finditer(text):
        line, col = _line_col(text, match.start())
        if found and found[-1][0] == line:
            continue  # one problem per line
        found.append((line, col, ord(match.group())))
        if len(found) == 10:
            break
    if not found:
        return []
    clean = _FORBIDDEN.sub(" ", text)
    problems = []
    for line, col, code in found:
        name = _CHAR_NAMES.get(code, "单独的代理字符" if 0xD800 <= code <= 0xDFFF else "控制字符")
        problems.append(Problem(path, line, _field_at(clean, line),
                                f"第 {line} 行第 {col} 列有不可见的{name}（U+{code:04X}），YAML 不允许 "
                                "(control character)", "删除该字符或换成空格"))
    return problems


def _tokens_close(line: str, i: int) -> int:
    """Index after the quoted scalar opening at line[i], or -1 if it does not close on this line."""
    quote, j = line[i], i + 1
    while j < len(line):
        c = line[j]
        if quote == '"' and c == "\\":
            j += 2
            continue
        if c == quote:
            if quote == "'" and line[j + 1:j + 2] == "'":
                j += 2
                continue
            return j + 1
        j += 1
    return -1


def _unclosed_quote(line: str) -> bool:
    """Whether a quoted value opens on this line and does not close (a quote inside text does not count)."""
    start, i = True, 0
    while i < len(line):
        c = line[i]
        if start and c in "\"'":
            i = _tokens_close(line, i)
            if i < 0:
                return True
            start = False
            continue
        if c == "#" and (i == 0 or line[i - 1] in " \t"):
            return False
        if c in "[{,":
            start = True
        elif c in ":-?" and (start or c == ":") and line[i + 1:i + 2] in ("", " ", "\t"):
            start = True
        elif c not in " \t":
            start = False
        i += 1
    return False


def _lint(text: str, upto: int) -> tuple[int, str] | None:
    """A mistake visible on one line at or before `upto`, which the parser only notices later."""
    json_like = text.lstrip()[:1] in ("{", "[")
    for number, line in enumerate(_BREAKS.split(text)[:upto], 1):
        stripped = line.strip()
        if stripped.startswith("//") or (json_like and re.search(r"[,{\[\s]//", line)):
            return number, "不允许 // 注释（JSON 与 YAML 都没有）：请删除，或在 YAML 中改用 #"
        if "\t" in line[:len(line) - len(line.lstrip())]:
            return number, "含有制表符（Tab）：YAML 只能用空格缩进"
        if ('"' in line or "'" in line) and _unclosed_quote(line):
            return number, "引号未闭合：本行的值以引号开头，但没有对应的结束引号"
    return None


_AT_CONTEXT = ("while scanning a simple key", "while scanning a quoted scalar",
               "while scanning a double-quoted scalar", "while scanning a single-quoted scalar")


def _located_error(exc: yaml.MarkedYAMLError, text: str, path: str) -> Problem:
    """The YAML error at its true line: the line the mistake is on, not where the parser gave up."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    problem = str(exc.problem or exc)
    hint = next((h for needle, h in _YAML_HINTS if needle in problem), None)
    found = _lint(text, line) if line else None
    if found:
        line, hint = found
    elif exc.context_mark is not None and (exc.context or "").startswith(_AT_CONTEXT):
        line = exc.context_mark.line + 1
    elif exc.context_mark is not None and (exc.context or "").startswith("while parsing a flow") \
            and text.lstrip()[:1] not in ("{", "["):
        line = exc.context_mark.line + 1  # a [ or { left open in a block document: the line it opens on
    message = f"{hint}（{problem}）" if hint else problem
    return Problem(path, line, "", f"无法解析 YAML/JSON：{message}", "合法的 YAML 或 JSON")


def _deep_line(text: str, loader) -> int | None:
    """The line where nesting first passes limits.DEPTH, from the parser's events (no recursion)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limits.DEPTH:
                    return event.start_mark.line + 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return None


def _flow_depth_line(text: str) -> int | None:
    """The line where brackets [ { first nest deeper than limits.DEPTH (quotes are not looked at)."""
    if text.count("[") + text.count("{") <= limits.DEPTH:
        return None
    depth, line = 0, 1
    for match in re.finditer(r"[\[\]{}\n]", text):
        c = match.group()
        if c == "\n":
            line += 1
        elif c in "[{":
            depth += 1
            if depth > limits.DEPTH:
                return line
        else:
            depth = max(depth - 1, 0)
    return None


def _without_gc(fn, *args):
    """Composing allocates a node per value and nothing that needs the cycle collector: without it
    a 1.8 MB file parses 3x faster (and a dossier 1.3x)."""
    was = gc.isenabled()
    gc.disable()
    try:
        return fn(*args)
    finally:
        if was:
            gc.enable()


def _parse(text: str, path: str, loader_cls) -> tuple[Located | None, list[Problem]]:
    """Compose with one parser and walk; raises yaml errors and _Refused."""
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem(path, 1, "", "文件为空 (empty file)", "一个 YAML 或 JSON 映射")]
        if "*" in text:  # only aliases can make the walk longer than the text; depth is checked as it goes
            _measure(node, path)
        lines: dict = {}
        problems: list = []
        data = _walk(node, (), lines, problems, path, loader)
    finally:
        loader.dispose()
    if max(lines.values()) > text.count("\n") + 1:  # libyaml puts an empty value at the end one line past it
        last = len(_BREAKS.findall(text)) + 1
        lines = {pos: min(line, last) for pos, line in lines.items()}
    return Located(path, data, lines, text), problems


# Past this size a refused document is explained from libyaml's own error: the pure-Python parser
# would take seconds (12 s for a 1.8 MB file) only to say the same thing.
_PYTHON_ERRORS_UP_TO = 256 * 1024


def parse_text(text: str, path: str, *, pure_python: bool = False) -> tuple[Located | None, list[Problem]]:
    """Parse YAML (JSON is YAML) text; return the document or the problems found.

    pure_python=True skips libyaml (used to compare the two paths and to measure).
    """
    if len(text) > limits.FILE_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > limits.FILE_BYTES:
        return None, [limits.file_too_big(path, len(text.encode("utf-8", "surrogatepass")))]
    problems = _forbidden_characters(text, path)
    if problems:
        return None, problems
    loaders = [_PyLoader] if pure_python or _CLoader is None else [_CLoader, _PyLoader]
    for loader in loaders:
        try:
            return _without_gc(_parse, text, path, loader)
        except _Refused as refused:
            return None, [refused.problem]
        except (yaml.YAMLError, RecursionError) as exc:
            if isinstance(exc, RecursionError) or "maximum nesting depth" in str(exc):  # libyaml stops at 1,000
                line = _flow_depth_line(text) or _deep_line(text, loader) or 1
            elif loader is not loaders[-1] and len(text) <= _PYTHON_ERRORS_UP_TO:
                continue  # parse again with the pure-Python parser, whose errors are explained
            else:
                line = None
            if line is not None:
                return None, [Problem(path, line, "", f"嵌套层数超过 {limits.DEPTH} 层 (nesting too deep)",
                                      f"不超过 {limits.DEPTH} 层的映射和列表；卷宗通常只有 5 层")]
            if isinstance(exc, yaml.MarkedYAMLError):
                return None, [_located_error(exc, text, path)]
            if isinstance(exc, yaml.YAMLError) and getattr(exc, "problem_mark", None) is not None:
                return None, [_located_error(exc, text, path)]
            return None, [Problem(path, 1, "", f"无法解析 YAML/JSON：{exc}", "合法的 YAML 或 JSON")]
    raise AssertionError("unreachable")


def parse_bytes(raw: bytes, path: str) -> tuple[Located | None, list[Problem]]:
    """Decode a file's bytes (UTF-8, with or without BOM) and parse them."""
    if len(raw) > limits.FILE_BYTES:
        return None, [limits.file_too_big(path, len(raw))]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Problem(path, 1, "", "文件是 UTF-16 编码，不是 UTF-8 (not UTF-8)", "UTF-8 编码的文本：请另存为 UTF-8")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [_not_utf8(raw, exc, path)]
    return parse_text(text, path)


def _not_utf8(raw: bytes, exc: UnicodeDecodeError, path: str) -> Problem:
    head = raw[:exc.start].decode("utf-8-sig", "replace")
    line, col = _line_col(head, len(head))
    replaced = raw.decode("utf-8-sig", "replace")
    field = "" if "\x00" in replaced else _field_at(_FORBIDDEN.sub(" ", replaced), line)
    try:
        looks_gbk = sum("\u4e00" <= c <= "\u9fff" for c in raw.decode("gbk")) >= 2
    except UnicodeDecodeError:
        looks_gbk = False
    if looks_gbk:
        message = "文件不是 UTF-8 编码，看起来是 GBK：请另存为 UTF-8"
    else:
        message = f"文件不是 UTF-8 编码：第 {line} 行第 {col} 列（第 {exc.start} 字节 0x{raw[exc.start]:02X}）无法读取"
    return Problem(path, line, field, f"{message} (not UTF-8)", "UTF-8 编码的文本")


def read_file(file: Path) -> tuple[Located | None, list[Problem]]:
    path = str(file)
    try:
        with open(file, "rb") as handle:
            raw = handle.read(limits.FILE_BYTES + 1)  # never more than the limit into memory
            size = len(raw) if len(raw) <= limits.FILE_BYTES else Path(file).stat().st_size
    except OSError as exc:
        return None, [Problem(path, None, "", f"无法读取文件：{exc.strerror}", "存在且可读的文件")]
    if size > limits.FILE_BYTES:
        return None, [limits.file_too_big(path, size)]
    return parse_bytes(raw, path)
