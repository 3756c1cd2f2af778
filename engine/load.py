"""Load a dossier file into the model, turning every validation error into a located Problem."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from . import limits
from .dossier import AtPath, Kind
from .errors import DossierError, Problem
from .source import Located, dotted, parse_bytes, parse_text, read_file

_MESSAGES = {  # pydantic error type -> (中文说明, 应为)
    "missing": ("缺少必填字段 (missing)", ""),
    "extra_forbidden": ("未知字段 (unknown field)，请检查拼写或删除", ""),
    "bool_type": ("应为 true 或 false", "true / false"),
    "int_type": ("应为整数", "整数，如 12"),
    "string_type": ("应为文字", "文字"),
    "string_too_short": ("不能为空", "非空文字"),
    "too_short": ("不能为空列表", "至少一项"),
    "list_type": ("应为列表", "YAML 列表（- 开头的若干行）"),
    "dict_type": ("应为映射", "键: 值 形式的映射"),
    "model_type": ("应为映射", "键: 值 形式的映射"),
    "greater_than_equal": ("数值过小", "不小于 0 的数"),
    "string_pattern_mismatch": ("格式不符", "64 位小写十六进制 sha256"),
    "union_tag_not_found": ("步骤缺少 type 字段", ""),
    "literal_error": ("取值不在允许范围内", ""),
    "enum": ("取值不在允许范围内", ""),
    "union_tag_invalid": ("未知的步骤类型", ""),
    "model_attributes_type": ("应为映射", "键: 值 形式的映射"),
    "string_unicode": ("含有无效的 Unicode 字符（如单独的代理字符 \\ud800）", "合法的文字"),
    "int_from_float": ("应为整数，不能带小数", "整数，如 12"),
    "int_parsing": ("应为整数", "整数，如 12"),
    "float_type": ("应为数", "数，如 1.5"),
    "bool_parsing": ("应为 true 或 false", "true / false"),
    "string_too_long": ("文字过长", ""),
    "too_long": ("列表项数过多", ""),
    "greater_than": ("数值过小", ""),
    "less_than_equal": ("数值过大", ""),
    "date_type": ("应为日期", "YYYY-MM-DD 格式的日期，如 2025-03-01"),
}
_CJK = re.compile("[\u4e00-\u9fff]")


@dataclass
class LoadedDossier:
    dossier: BaseModel          # the Dossier model of its decision kind (engine/kinds/)
    doc: Located
    sha256: str


def _expected(err: dict, model: type[BaseModel]) -> str:
    ctx = err.get("ctx") or {}
    if "expected" in ctx:
        return str(ctx["expected"]).replace("'", "").replace(" or ", " / ").replace(", ", " / ")
    if err["type"] == "union_tag_not_found" or err["type"] == "union_tag_invalid":
        return ctx.get("expected_tags", "").replace("'", "").replace(", ", " / ")
    return _MESSAGES.get(err["type"], ("", ""))[1]


def problems_from_validation(exc: ValidationError, doc: Located, model: type[BaseModel]) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(part for part in err["loc"] if not (isinstance(part, str) and "[" in part))
        loc = _without_tags(loc, doc.data)
        loc = tuple("schema" if p == "schema_" else p for p in loc)
        ctx = err.get("ctx") or {}
        error = ctx.get("error")
        if isinstance(error, AtPath):  # its path is relative to the model that raised it
            at = loc + error.loc
            problems.append(Problem(doc.path, doc.line(at) or doc.line(loc), dotted(at), error.message, error.expected))
            continue
        if err["type"] == "union_tag_invalid":
            loc = loc + ("type",)
            err = dict(err, input=ctx.get("tag"))
        text, _ = _MESSAGES.get(err["type"], (None, None))
        expected = _expected(err, model)
        if err.get("input", "") is None and err["type"] not in ("missing", "union_tag_not_found"):
            text = "值为空 (empty value)，此处须填写"  # `key:` with nothing after it
        elif text is None:
            text = err["msg"].removeprefix("Value error, ")
            if "日期" in text:  # the model's date check: say the format too
                expected = expected or "YYYY-MM-DD 格式的日期，如 2025-03-01"
            if not _CJK.search(text):  # never untranslated pydantic text alone
                text = f"取值不符合要求（{text}）"
        elif err["type"] in ("enum", "literal_error", "union_tag_invalid"):
            text = f"{text}：{err.get('input')!r}"
        problems.append(Problem(doc.path, doc.line(loc), dotted(loc), text, expected))
    return problems


def _without_tags(loc: tuple, data) -> tuple:
    """Drop the discriminator tag pydantic inserts after a list index (steps[3] public-comment closes_on):
    only where the item there really has that type, since a tag can also be a field's name (decision)."""
    out, node = [], data
    for part in loc:
        if out and isinstance(out[-1], int) and isinstance(node, dict) and node.get("type") == part:
            continue
        out.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


def _validate(doc: Located) -> LoadedDossier:
    if not isinstance(doc.data, dict):
        raise DossierError([Problem(doc.path, 1, "", "卷宗应为映射（decision、steps、materials）", "YAML/JSON 映射")])
    too_big = limits.check(doc)  # before validation: nothing oversized reaches the model or durable
    if too_big:
        raise DossierError(too_big)
    model = _model_of(doc)
    try:
        dossier = model.model_validate(doc.data)
    except ValidationError as exc:
        raise DossierError(problems_from_validation(exc, doc, model)) from None
    return LoadedDossier(dossier, doc, hashlib.sha256(doc.text.encode("utf-8")).hexdigest())


def _model_of(doc: Located) -> type[BaseModel]:
    """The Dossier model of the kind the file declares; a missing or unknown kind is the file's first problem."""
    from .kinds import KINDS

    decision = doc.data.get("decision")
    if not isinstance(decision, dict):
        where = ("decision",) if "decision" in doc.data else ()
        problems = [Problem(doc.path, doc.line((key,)), str(key), "未知字段 (unknown field)，请检查拼写或删除",
                            "schema / decision / steps / materials")
                    for key in doc.data if key not in ("schema", "decision", "steps", "materials")]
        raise DossierError([Problem(doc.path, doc.line(where), "decision", "缺少 decision（决策事项）或其不是映射 (missing)",
                                    "decision: 下写 title、kind、stage、organ 等"), *problems])
    kind = decision.get("kind")
    if kind in KINDS:
        return KINDS[kind].dossier
    known = " / ".join(f"{code}（{k.label}）" for code, k in KINDS.items())
    if kind is None:
        message = "缺少必填字段 kind（卷宗种类）(missing)"
    elif kind in Kind.labels:
        message = f"卷宗种类 {kind}（{Kind.labels[kind]}）尚不支持预审"
    else:
        message = f"未知的卷宗种类：{kind!r}"
    raise DossierError([Problem(doc.path, doc.line(("decision", "kind") if kind is not None else ("decision",)),
                                "decision.kind", message, known)])


def load_dossier(path: str | Path) -> LoadedDossier:
    doc, problems = read_file(Path(path))
    if problems:
        raise DossierError(problems)
    return _validate(doc)


def load_dossier_text(text: str, name: str = "<dossier>") -> LoadedDossier:
    doc, problems = parse_text(text, name)
    if problems:
        raise DossierError(problems)
    return _validate(doc)


def load_dossier_bytes(raw: bytes, name: str = "<dossier>") -> LoadedDossier:
    """A dossier from the bytes of a file (an upload): decoded, parsed, limited and validated."""
    doc, problems = parse_bytes(raw, name)
    if problems:
        raise DossierError(problems)
    return _validate(doc)
