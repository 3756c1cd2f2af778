"""Errors a user can act on: each names the file, the line, the field and what was expected."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One thing wrong with an input file."""

    path: str
    line: int | None
    field: str
    message: str  # Chinese first
    expected: str = ""

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        text = f"{where}: 字段 {self.field}：{self.message}" if self.field else f"{where}: {self.message}"
        if self.expected:
            text += f"（应为：{self.expected}）"
        return text

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "field": self.field,
                "message": self.message, "expected": self.expected}


class InputError(Exception):
    """Unusable input: the dossier or a rule file cannot be used. Exit code 2."""

    kind = "输入文件"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class DossierError(InputError):
    kind = "卷宗文件 (dossier) "


class RuleError(InputError):
    kind = "规则文件 (rule) "


class AnswersError(InputError):
    kind = "审查答复文件 (answers) "


class CalendarError(InputError):
    kind = "工作日历文件 (calendar) "


@dataclass
class EngineFailure(Exception):
    """The rule engine itself failed during a review (never a finding)."""

    detail: str
    context: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"规则引擎运行失败 (engine failure): {self.detail}"
