"""The rule condition language: parse `where` expressions and compile rules to durable-rules JSON.

A rule's `when` is a list of clauses, read in order:

    - decision: "technical == true"          # a condition on the decision (always present)
    - step: legality-review                  # a step of that type must exist ...
      as: review                             # ... bound to this name
      where: "review.opinion_on > meeting.held_on"
    - experts: any                           # child records: experts, units
      as: e
      where: "conflict == direct-interest"
    - no step: expert-review                 # no step of that type (optionally: where ...)

Expressions: `attr OP value`, `alias.attr OP alias.attr [+|- N]`, `attr in [a, b]`,
`attr is present|missing`, joined with `and` / `or` and parentheses. Values: integers,
YYYY-MM-DD dates, true/false, 'quoted text', bare codes (kebab-case), `param.NAME`.

durable-rules constraints this compiler respects (measured, see README):
positive clauses first, then the decision fact (asserted last in the batch), then every
`none` clause; aliases are prefixed so they never collide with `c.s`, `c.host` ….
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

ALIAS_PREFIX = "f_"
DECISION = "decision"


class ConditionError(ValueError):
    """A condition that cannot be parsed or compiled; the message says why, in Chinese."""


# ---------------------------------------------------------------- AST

@dataclass(frozen=True)
class Ref:
    alias: str
    attr: str


@dataclass(frozen=True)
class Const:
    value: object


@dataclass(frozen=True)
class Param:
    name: str


@dataclass(frozen=True)
class Arith:
    ref: Ref
    offset: object  # int or Param


@dataclass(frozen=True)
class Cmp:
    left: Ref
    op: str
    right: object  # Const | Ref | Arith | Param


@dataclass(frozen=True)
class Exists:
    ref: Ref
    present: bool


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    items: tuple


# ---------------------------------------------------------------- parser

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\w-]))
  | (?P<num>\d+(?![\w-]))
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<op>==|!=|<=|>=|<|>|\+|-(?=\s)|\(|\)|\[|\]|,)
  | (?P<word>[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)?)
""", re.VERBOSE)
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
_DURABLE_OP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ConditionError(f"无法识别的内容：{text[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


class _Parser:
    def __init__(self, text: str, current: str):
        self.toks = _tokens(text)
        self.i = 0
        self.current = current
        self.text = text

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None or (value is not None and tok[1] != value):
            raise ConditionError(f"表达式 {self.text!r} 在第 {self.i + 1} 个词处应为 {value or '更多内容'}")
        self.i += 1
        return tok

    def parse(self):
        node = self.or_()
        if self.peek()[0] is not None:
            raise ConditionError(f"表达式 {self.text!r} 多出内容：{self.peek()[1]!r}")
        return node

    def or_(self):
        items = [self.and_()]
        while self.peek() == ("word", "or"):
            self.take()
            items.append(self.and_())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_(self):
        items = [self.atom()]
        while self.peek() == ("word", "and"):
            self.take()
            items.append(self.atom())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def atom(self):
        if self.peek() == ("op", "("):
            self.take()
            node = self.or_()
            self.take(")")
            return node
        kind, word = self.take()
        if kind != "word" or word in ("and", "or", "param") or word.startswith("param."):
            raise ConditionError(f"表达式 {self.text!r}：比较的左边应为属性名，而不是 {word!r}")
        left = self.ref(word)
        kind, op = self.take()
        if op == "is":
            _, what = self.take()
            if what not in ("present", "missing"):
                raise ConditionError(f"表达式 {self.text!r}：is 之后应为 present 或 missing")
            return Exists(left, what == "present")
        if op == "in":
            self.take("[")
            values = [self.value()]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.value())
            self.take("]")
            return BoolOp("or", tuple(Cmp(left, "==", v) for v in values))
        if op not in _FLIP:
            raise ConditionError(f"表达式 {self.text!r}：未知的比较符 {op!r}（可用 == != < <= > >= in is）")
        right = self.operand()
        return Cmp(left, op, right)

    def ref(self, word: str) -> Ref:
        if "." in word:
            alias, attr = word.split(".", 1)
            return Ref(alias, attr)
        return Ref(self.current, word)

    def operand(self):
        kind, word = self.peek()
        if kind == "word" and "." in word and not word.startswith("param."):
            self.take()
            ref = self.ref(word)
            if self.peek() in (("op", "+"), ("op", "-")):
                _, sign = self.take()
                offset = self.value()
                if isinstance(offset, Const):
                    if not isinstance(offset.value, int) or isinstance(offset.value, bool):
                        raise ConditionError(f"表达式 {self.text!r}：加减的应为整数")
                    return Arith(ref, offset.value if sign == "+" else -offset.value)
                if isinstance(offset, Param):
                    return Arith(ref, (sign, offset))
            return ref
        return self.value()

    def value(self):
        kind, word = self.take()
        if kind == "num":
            return Const(int(word))
        if kind == "date":
            try:
                return Const(dt.date.fromisoformat(word))
            except ValueError:
                raise ConditionError(f"表达式 {self.text!r}：{word} 不是合法日期") from None
        if kind == "str":
            return Const(word[1:-1])
        if kind == "word":
            if word in ("true", "false"):
                return Const(word == "true")
            if word.startswith("param."):
                return Param(word.split(".", 1)[1])
            if "." in word:
                raise ConditionError(f"表达式 {self.text!r}：此处应为常量，不能是 {word}")
            return Const(word)
        raise ConditionError(f"表达式 {self.text!r}：{word!r} 不是取值")


def parse(text: str, current: str) -> object:
    """Parse a where-expression; bare attribute names belong to `current`."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("where 表达式不能为空")
    return _Parser(text, current).parse()


def refs(node) -> list[Ref]:
    """Every attribute reference in an expression, in order."""
    if isinstance(node, BoolOp):
        return [r for item in node.items for r in refs(item)]
    if isinstance(node, Exists):
        return [node.ref]
    if isinstance(node, Cmp):
        out = [node.left]
        if isinstance(node.right, Ref):
            out.append(node.right)
        elif isinstance(node.right, Arith):
            out.append(node.right.ref)
        return out
    return []


# ---------------------------------------------------------------- clauses

@dataclass
class Clause:
    fact: str          # "decision" | "step" | "experts" | "units" | "material"
    subtype: str | None  # step type, or None for any
    alias: str
    negated: bool
    where: object | None = None
    where_text: str | None = None
    atoms: list = field(default_factory=list)  # (target alias) expressions attached at compile time




def parse_when(when, schema: "FactSchema") -> list[Clause]:
    """Read a rule's `when` list into clauses, checking types, aliases and attributes."""
    if not isinstance(when, list) or not when:
        raise ConditionError("when 应为非空列表")
    clauses: list[Clause] = []
    aliases = {DECISION}
    decision_where = []
    for n, item in enumerate(when):
        if not isinstance(item, dict):
            raise ConditionError(f"when 第 {n + 1} 项应为映射")
        if set(item) == {DECISION}:
            decision_where.append(parse(item[DECISION], DECISION))
            continue
        fact_kinds = ("step", "material") + schema.children
        keys = [k for k in item if k.removeprefix("no ") in fact_kinds]
        if len(keys) != 1:
            raise ConditionError(f"when 第 {n + 1} 项应含且仅含一个 {' / '.join(fact_kinds)}（可加 no 前缀）或 decision")
        key = keys[0]
        extra = set(item) - {key, "as", "where"}
        if extra:
            raise ConditionError(f"when 第 {n + 1} 项有未知键：{', '.join(sorted(extra))}（可用 as、where）")
        negated = key.startswith("no ")
        fact = key.removeprefix("no ")
        subtype = item[key]
        if subtype in ("any", "*"):
            subtype = None
        if fact == "step" and subtype is not None and subtype not in schema.step_types:
            raise ConditionError(f"when 第 {n + 1} 项：未知的步骤类型 {subtype!r}（可用：{' / '.join(schema.step_types)}）")
        if fact == "material" and subtype is not None and subtype not in schema.material_kinds:
            raise ConditionError(f"when 第 {n + 1} 项：未知的材料种类 {subtype!r}")
        alias = item.get("as") or f"{'none' if negated else fact}{n}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", alias) or alias in aliases or alias in ("param", "and", "or"):
            raise ConditionError(f"when 第 {n + 1} 项：别名 {alias!r} 无效或重复（小写字母、数字、下划线）")
        aliases.add(alias)
        clause = Clause(fact, subtype, alias, negated)
        if "where" in item:
            clause.where_text = item["where"]
            clause.where = parse(item["where"], alias)
        clauses.append(clause)
    positives = [c for c in clauses if not c.negated]
    negatives = [c for c in clauses if c.negated]
    anchor = Clause(DECISION, None, DECISION, False)
    if decision_where:
        anchor.where = decision_where[0] if len(decision_where) == 1 else BoolOp("and", tuple(decision_where))
    ordered = positives + [anchor] + negatives
    _check_refs(ordered, schema)
    return ordered


def _check_refs(ordered: list[Clause], schema: "FactSchema") -> None:
    position = {c.alias: i for i, c in enumerate(ordered)}
    for i, clause in enumerate(ordered):
        if clause.where is None:
            continue
        for ref in refs(clause.where):
            if ref.alias not in position:
                raise ConditionError(f"{clause.where_text!r}：未定义的名称 {ref.alias!r}")
            other = ordered[position[ref.alias]]
            if other.negated and other is not clause:
                raise ConditionError(f"{clause.where_text!r}：不能引用 no 子句中的 {ref.alias!r}")
            attrs = schema.attributes(other.fact, other.subtype)
            if attrs is not None and ref.attr not in attrs:
                raise ConditionError(
                    f"{clause.where_text!r}：{_label(other)} 没有属性 {ref.attr!r}（可用：{', '.join(sorted(attrs))}）")


def _label(clause: Clause) -> str:
    return f"{clause.fact} {clause.subtype}" if clause.subtype else clause.fact


# ---------------------------------------------------------------- compiler

def _durable_value(value, params: dict):
    if isinstance(value, Param):
        if value.name not in params:
            raise ConditionError(f"未定义的参数 param.{value.name}")
        return params[value.name]
    if isinstance(value, Const):
        v = value.value
        if isinstance(v, dt.date):
            return v.toordinal()
        return v
    raise TypeError(value)


def _side(alias: str) -> str:
    return ALIAS_PREFIX + alias


def _compile_atom(node, target: str, params: dict, schema: "FactSchema", kinds: dict) -> dict:
    """One expression attached to the clause `target`, as durable JSON."""
    if isinstance(node, BoolOp):
        return {"$" + node.op: [_compile_atom(i, target, params, schema, kinds) for i in node.items]}
    if isinstance(node, Exists):
        if node.ref.alias != target:
            raise ConditionError(f"is present/missing 只能用于本子句的属性：{node.ref.alias}.{node.ref.attr}")
        return {("$ex" if node.present else "$nex"): {node.ref.attr: 1}}
    assert isinstance(node, Cmp)
    left, op, right = node.left, node.op, node.right
    if left.alias != target:
        # rewrite `other.x OP target.y [+k]` as `target.y OP' other.x [-k]`
        if isinstance(right, Ref) and right.alias == target:
            left, op, right = right, _FLIP[op], node.left
        elif isinstance(right, Arith) and right.ref.alias == target:
            left, op, right = right.ref, _FLIP[op], Arith(node.left, _negate(right.offset))
        else:
            raise ConditionError(
                f"条件中 {left.alias}.{left.attr} 与本子句 {target} 无关；or 的各项须引用同一子句")
    if isinstance(right, Ref) and right.alias == left.alias:
        raise ConditionError(f"{left.alias}.{left.attr} 与 {right.alias}.{right.attr} 属于同一记录，不能直接比较；"
                             "需要时在 engine/facts.py 派生一个期限属性")
    if isinstance(right, Const) and isinstance(right.value, str):
        kind = schema.type_of(left.attr)
        if kind in ("date", "int", "bool"):
            raise ConditionError(f"{left.alias}.{left.attr} 是{ {'date': '日期', 'int': '数值', 'bool': '是/否'}[kind] }，"
                                 f"不能与文字 {right.value!r} 比较；引用属性请写 别名.属性")
    if isinstance(right, Ref):
        rhs = {_side(right.alias): right.attr}
    elif isinstance(right, Arith):
        offset = right.offset
        if isinstance(offset, tuple):  # (sign, Param)
            sign, param = offset
            value = _durable_value(param, params)
            offset = value if sign == "+" else -value
        rhs = {"$add": {"$l": {_side(right.ref.alias): right.ref.attr}, "$r": offset}}
    else:
        rhs = _durable_value(right, params)
        if isinstance(right, Const) and isinstance(right.value, str):
            allowed = schema.values(kinds[left.alias], left.attr)
            if allowed is not None and rhs not in allowed:
                raise ConditionError(f"{left.alias}.{left.attr} 没有取值 {rhs!r}（可用：{' / '.join(allowed)}）")
    if op == "==":
        return {left.attr: rhs}
    return {_DURABLE_OP[op]: {left.attr: rhs}}


def _negate(offset):
    if isinstance(offset, tuple):
        sign, param = offset
        return ("-" if sign == "+" else "+", param)
    return -offset


def _split_and(node) -> list:
    if isinstance(node, BoolOp) and node.op == "and":
        return [a for item in node.items for a in _split_and(item)]
    return [node]


def compile_clauses(ordered: list[Clause], params: dict, schema: "FactSchema", kinds_filter: list[str],
                    scope: dict | None = None) -> list[dict]:
    """durable-rules `all` list for one rule. `scope` adds decision constraints (pack scope, kinds)."""
    position = {c.alias: i for i, c in enumerate(ordered)}
    kinds = {c.alias: (c.fact, c.subtype) for c in ordered}
    attached: dict[str, list] = {c.alias: [] for c in ordered}
    for clause in ordered:
        if clause.where is None:
            continue
        for atom in _split_and(clause.where):
            aliases = {r.alias for r in refs(atom)}
            target = max(aliases, key=lambda a: position[a]) if aliases else clause.alias
            if ordered[position[target]].negated and target != clause.alias:
                raise ConditionError(f"{clause.where_text!r}：不能引用 no 子句")
            # a condition written on a negated clause stays inside that clause
            if clause.negated:
                target = clause.alias
            attached[target].append(atom)
    # durable-rules crashes the process (segmentation fault, measured on enforcement dossiers whose dates the
    # calendar lacks) when a comparison joins an attribute the other record does not carry: a record a plain
    # (non-or) comparison refers to must carry the attribute, so such a record simply does not match
    joined: dict[str, list[str]] = {c.alias: [] for c in ordered}
    for target, atoms in attached.items():
        for atom in atoms:
            if isinstance(atom, BoolOp):
                continue
            for ref in refs(atom):
                if ref.alias != target and ref.attr not in joined[ref.alias]:
                    joined[ref.alias].append(ref.attr)
    out = []
    for clause in ordered:
        base = [{"t": clause.fact}]
        if not clause.negated:
            base.extend({"$ex": {attr: 1}} for attr in joined[clause.alias])
        if clause.fact == "step" and clause.subtype:
            base.append({"type": clause.subtype})
        if clause.fact == "material" and clause.subtype:
            base.append({"kind": clause.subtype})
        if clause.fact == DECISION:
            base.append({"$or": [{"kind": k} for k in kinds_filter]} if len(kinds_filter) > 1
                        else {"kind": kinds_filter[0]})
            for attr, value in (scope or {}).items():
                base.append({attr: value})
        atoms = sorted(attached[clause.alias], key=lambda a: _atom_rank(a, clause.alias))
        if sum(_atom_rank(a, clause.alias) == 2 for a in atoms) > 1:
            raise ConditionError(f"{clause.alias}：一个子句中至多一个引用其他记录的 or 条件（durable-rules 会忽略第二个）")
        base.extend(_compile_atom(a, clause.alias, params, schema, kinds) for a in atoms)
        # durable ignores a comparison with another record that follows an `$or` in the same `$and`
        # (measured): plain `$or` groups go last (a stable sort keeps the atoms' order otherwise)
        base.sort(key=lambda part: "$or" in part and not _has_join(part))
        name = _side(clause.alias) + ("$not" if clause.negated else "")
        out.append({name: {"$and": base}})
    return out


def _atom_rank(atom, alias: str) -> int:
    """Joins with other records first, then plain tests, then an `or` with a join, then plain `or`s."""
    join = any(r.alias != alias for r in refs(atom))
    if isinstance(atom, BoolOp):
        return 2 if join else 3
    return 0 if join else 1


def _has_join(part) -> bool:
    """Does compiled durable JSON refer to another record ({"f_x": "attr"})?"""
    if isinstance(part, dict):
        return any((k.startswith(ALIAS_PREFIX) and isinstance(v, str)) or _has_join(v) for k, v in part.items())
    if isinstance(part, list):
        return any(_has_join(p) for p in part)
    return False


# ---------------------------------------------------------------- what facts look like

class FactSchema:
    """The attributes and coded values each kind of fact carries (derived from the dossier model)."""

    def __init__(self, attributes: dict, values: dict, step_types: list[str], material_kinds: list[str],
                 types: dict | None = None, children: tuple[str, ...] = ()):
        self._attributes = attributes  # (fact, subtype) -> set(attr)
        self._values = values          # (fact, subtype, attr) -> list of codes
        self._types = types or {}      # attr -> "date" | "int" | "bool" | "text" | "enum"
        self.step_types = step_types
        self.material_kinds = material_kinds
        self.children = children    # child record kinds (experts, units, officers …)

    def attributes(self, fact: str, subtype: str | None):
        return self._attributes.get((fact, subtype))

    def values(self, kind: tuple, attr: str):
        fact, subtype = kind
        return self._values.get((fact, subtype, attr))

    def type_of(self, attr: str) -> str | None:
        return self._types.get(attr)
