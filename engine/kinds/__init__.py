"""Decision kinds: each kind is one home for what differs between kinds.

A `DecisionKind` holds the kind's dossier model (its decision and steps), its child
records and derived facts, its verdict labels, the headings of its report and opinion,
and the statutory periods its timeline draws. Generic modules (facts, rulebook, review,
reports, CLI) ask the kind; none of them names a kind. A new kind is one module here
plus its rules, checklists and templates.
"""
from __future__ import annotations

import importlib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from pydantic import BaseModel


@dataclass(frozen=True)
class Period:
    """A statutory period the timeline draws behind a step: a window of `param` days (or working days)."""

    step: str
    field: str                  # the date the window starts (direction after) or ends (before) at
    param: str                  # the pack parameter that sets its length
    working_days: bool
    before: bool = False        # the window ends at `field` (e.g. materials delivered N days before a hearing)
    caption: str = ""           # on the bar, with {n}
    note: str = ""              # under the picture, with {n}
    mark: str = ""              # the step's date the period is met by, ticked on the bar (e.g. the notice date)
    mark_caption: str = ""      # the tick's caption, before the date


@dataclass(frozen=True)
class PlanAnchor:
    """What `prereview plan` dates a procedure from: the step the user gives the date of (the meeting, the
    decision), the fields the plan assumes it has, and the stage a completed procedure reaches."""

    step: str
    option: str                 # the CLI option that gives its date, e.g. "--meeting"
    label: str                  # 中文, e.g. 拟召开会议日期
    record: dict                # the step's fields besides its date, as the plan assumes them
    stage: str                  # the last stage: every step the rules require by then is planned
    qualifies: dict = field(default_factory=dict)  # a recorded step is the anchor only with these values, e.g.
    #                                             the meeting types the rules count (a 专题会 is not the meeting)

    def counts(self, step) -> bool:
        return step.type == self.step and all(getattr(step, k, None) in v for k, v in self.qualifies.items())


@dataclass(frozen=True)
class Heads:
    """The headings a kind's report and opinion are written under (the statutory review heads)."""

    items: dict[str, str]                    # code -> 中文 heading
    questions: dict[str, str]                # code -> the question a head answers, when nothing else is under it
    default: str                             # the head of a finding no checklist item claims


@dataclass(frozen=True, eq=False)  # one object per kind: hashed by identity
class DecisionKind:
    code: str
    label: str
    dossier: type[BaseModel]
    decision: type[BaseModel]
    stages: type[Enum]
    material_kinds: type[Enum]
    children: dict[str, tuple[tuple[str, ...], str, str]]   # child fact -> (parent step types, list field, 中文)
    verdicts: dict[str, str]                 # pass / fix-then-submit / blocked -> 中文
    conclusions: dict[str, str]              # verdict -> the draft opinion's proposed conclusion
    heads: Heads
    report_title: str                        # 预审报告 heading, written under the matter's title
    opinion_title: str                       # the draft opinion's document name
    review_step: str                         # the step whose reviewer signs the opinion
    periods: tuple[Period, ...]
    coverage_prefixes: tuple[str, ...]       # requirement IDs this kind's checklist accounts for
    decision_facts: Callable                 # (decision, put) -> None: the kind's derived decision attributes
    decision_attrs: dict[str, str]           # derived decision attribute -> type, for the fact schema
    step_facts: Callable | None = None       # (step, put) -> None: derived step attributes
    step_attrs: dict[str, dict[str, str]] = field(default_factory=dict)   # step type -> attr -> type
    durations: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # calendar-day spans
    # working-day spans within one step (later_wd - earlier_wd), absent when the calendar lacks either date
    working_durations: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    template: str = ""                       # `prereview init` template file in api/templates/
    decision_values: dict[str, list[str]] = field(default_factory=dict)  # coded derived decision attrs -> codes
    # The report's wording: "subject" (the matter), "organ" (who decides), "review" (what the review is
    # called), and the label of each further decision field the report's header shows, in this order:
    # sponsor, party, action, sector, authority. "<field>_long" is the label where it stands alone (Markdown).
    # "major_grounds": the opinion's label for why the matter is major, when the decision declares it.
    terms: dict[str, str] = field(default_factory=dict)
    # The opinion's statutory basis: (citation, applies(decision) -> bool), cited where it applies.
    opinion_basis: tuple[tuple[str, Callable], ...] = ()
    # Named dates a rule may key its version and figures on (`dated_by`): name -> (dossier, as_of) ->
    # (date, field path, 中文) or None when the dossier lacks it (then the kind's in_force_date applies)
    dates: dict[str, Callable] = field(default_factory=dict)
    # Further rows of the opinion's table of the matter: (dossier) -> [(中文 label, value)]
    case_rows: Callable | None = None
    plan_anchor: PlanAnchor | None = None    # `prereview plan`: None when the kind has no plan yet

    @property
    def steps(self) -> dict[str, type]:
        """Step type -> model, in procedural order."""
        return _step_models(self.dossier)

    def step_label(self, step_type: str) -> str:
        model = self.steps.get(step_type)
        return model.label if model else (step_type or "其他")

    def step_order(self) -> list[str]:
        return list(self.steps)

    in_force_date: Callable = None           # (dossier, as_of) -> (date, field path, 中文): what rules in force key on

    def __post_init__(self):
        if self.in_force_date is None:
            object.__setattr__(self, "in_force_date", _keyed_on_as_of)

    def in_scope(self, decision) -> bool:
        return getattr(decision, "in_scope", True)


def _keyed_on_as_of(dossier, as_of):
    return as_of, ("decision", "as_of"), "审查基准日"


_STEPS: dict = {}


def _step_models(dossier: type[BaseModel]) -> dict[str, type]:
    if dossier not in _STEPS:
        union = typing.get_args(typing.get_args(dossier.model_fields["steps"].annotation)[0])[0]
        _STEPS[dossier] = {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in typing.get_args(union)}
    return _STEPS[dossier]


class _Registry(Mapping):
    """The kinds by code, each module imported when first asked for: a review of one kind builds only
    that kind's models (a third of the start-up of `check ONE`)."""

    _modules = {"major-decision": "major_decision", "enforcement-decision": "enforcement",
                "normative-document": "normative"}

    def __init__(self):
        self._loaded: dict[str, DecisionKind] = {}

    def __contains__(self, code) -> bool:
        return isinstance(code, str) and code in self._modules  # a code from a file may be a list or a map

    def __getitem__(self, code: str) -> DecisionKind:
        if code not in self:
            raise KeyError(code)
        if code not in self._loaded:
            self._loaded[code] = importlib.import_module(f"{__name__}.{self._modules[code]}").KIND
        return self._loaded[code]

    def __iter__(self):
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)


KINDS: Mapping[str, DecisionKind] = _Registry()


def get(code: str) -> DecisionKind | None:
    return KINDS.get(code)


__all__ = ["DecisionKind", "Period", "PlanAnchor", "Heads", "KINDS", "get"]
