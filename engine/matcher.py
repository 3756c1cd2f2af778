"""Run compiled rules on durable-rules, one isolated session per review.

durable-rules 2.0.28 is an unmaintained C extension; the way it is driven here
follows what was measured (README, "Engine notes"):
- durable-rules itself is the copy in vendor/durable-rules, patched (README.prereview.md there);
- one host, one ruleset per rulebook and decision kind, registered once per process (names cannot be
  reused), split into chunks of at most CHUNK rules: past ~470 rules in one ruleset durable refuses every
  review (bench/durable_ceiling.py --what rules); each chunk is its own
  ruleset with its own anchor and catch-all, one session per chunk per review, and the hits are merged;
- no background dispatch thread: every action runs synchronously in the caller;
- one review at a time (a lock), one non-empty batch per review with the decision fact
  last, `delete_state` in `finally` once the anchor rule fired (never after durable refused or
  silently dropped a batch: that crashes), and the session state read for swallowed exceptions;
- a catch-all rule that never fires, so a fact no rule uses cannot fail the batch;
- of each fact only the attributes some condition of the ruleset names are asserted (fewer than half of
  them; durable's time grows with what it is given, and what no condition names cannot change a match);
- an anchor rule that fires once per review on the decision fact: deleting a session in
  which no action ran crashes durable (segmentation fault, reproduced here 20 of 20), and
  the anchor's action also proves the batch reached the engine.
"""
from __future__ import annotations

import hashlib
import itertools
import threading

from .. import durable as _durable
from ..durable import engine as durable

from .errors import EngineFailure, Problem
from .facts import Fact
from . import kinds as kinds_
from .rulebook import Rulebook

_CATCH_ALL = {"all": [{"f_any": {"$ex": {"t": 1}}}, {"f_never": {"t": "__never__"}}]}
_ANCHOR = {"all": [{"f_decision": {"t": "decision"}}]}
_ANCHOR_ID = "__anchor"
# Rules per durable ruleset. durable keeps a 64-entry stack of pending alpha nodes per fact: past it a batch
# is refused (error 303, an engine failure, never a crash) — 473 copies of the major-decision rules in one
# ruleset reach it, 304 do not (bench/durable_ceiling.py --what rules). Rulesets of 50 keep every kind far
# below it at the speed of one ruleset (one session per ruleset per review: 5 cost ~1.4x the time per review).
# The smaller chunks of earlier versions were a guard against random crashes, which were the expression-skip
# bug fixed in vendor/durable-rules: under AddressSanitizer the suite runs clean with every kind in one ruleset.
CHUNK = 50
# Rules of one decision kind a rulebook may hold: a bound tested here, far above what any pack needs
# (bench/durable_ceiling.py --what rules, fresh processes, on each kind's example and on
# tests/data/durable-crash-enforcement.yaml; with stock 2.0.28, 2,000 crashed 2 of 14 runs). Loading more is a
# located error, never handed to durable.
MAX_RULES_PER_KIND = 1_000


# durable-rules is vendored and patched (vendor/durable-rules/README.prereview.md): stock 2.0.28 reads past the
# end of a condition's expressions (random crashes) and ignores a comparison written after a nested `$or`.
DURABLE_VERSION = _durable.__version__


class _Host(durable.Host):
    def _run(self):  # no background threads: actions must run in the reviewing thread
        pass


class Matcher:
    """Compiles the rules planned for a dossier (their versions and figure values) into durable rulesets and
    matches facts against them. Dossiers of the same region and period share one compiled matcher."""

    _host = None
    _lock = threading.Lock()
    _registered: dict[tuple, "Matcher"] = {}
    _sessions = itertools.count(1)

    def __new__(cls, rulebook: Rulebook, kind: str, planned: list):
        entries = tuple((p.rule.id, tuple(sorted(p.values.items()))) for p in planned)
        key = (rulebook.digest, kind, entries)
        with cls._lock:
            existing = cls._registered.get(key)
            if existing is not None:
                return existing
            self = super().__new__(cls)
            digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
            self._setup(f"prereview_{digest}_{kind.replace('-', '_')}", kind, planned)
            cls._registered[key] = self
            return self

    def _setup(self, name: str, kind: str, planned: list) -> None:
        if Matcher._host is None:
            Matcher._host = _Host()
        self.name = name
        self._hits: list | None = None
        self.names = []  # one durable ruleset per chunk of at most CHUNK rules, in rulebook order
        reads = {"t", "id", "sid"}  # and every attribute a condition names: the rest is not asserted
        for n, start in enumerate(range(0, max(len(planned), 1), CHUNK)):
            definition = {"__catch_all": dict(_CATCH_ALL, run=self._never),
                          _ANCHOR_ID: dict(_ANCHOR, run=self._action(_ANCHOR_ID, []))}
            for p in planned[start:start + CHUNK]:
                rule = p.rule
                definition[rule.id] = {"all": rule.compiled(kind, p.values),
                                       "run": self._action(rule.id, rule.positive_aliases)}
            ruleset = name if n == 0 else f"{name}_{n}"
            Matcher._host.register_rulesets({ruleset: definition})
            self.names.append(ruleset)
            _strings(definition, reads)
        self.reads = frozenset(reads)

    @staticmethod
    def _never(c):
        raise AssertionError("catch-all rule fired")

    def _action(self, rule_id: str, aliases: list[str]):
        names = ["f_" + a for a in aliases]

        def record(c):
            bound = c._m  # alias -> fact as durable saw it
            self._hits.append((rule_id, tuple(bound[n]["id"] for n in names)))
        return record

    def match(self, facts: list[Fact]) -> list[tuple[str, tuple[str, ...]]]:
        """Return (rule id, ids of the facts bound to its positive clauses) for every rule that fired."""
        if not facts:
            raise EngineFailure("no facts to match")
        with Matcher._lock:
            sid = f"review-{next(Matcher._sessions)}"
            batch = []
            reads = self.reads
            for f in facts:  # the decision (anchor) goes last; the rest in a canonical order
                record = {k: v for k, v in f.data.items() if k in reads}
                record["sid"] = sid
                batch.append(record)
            batch.sort(key=lambda r: (r["t"] == "decision", r["t"], r["id"]))
            hits = set()
            for name in self.names:  # the same batch, one session in each chunk's ruleset
                hits.update(self._match_one(name, sid, batch))
        return sorted(h for h in hits if h[0] != _ANCHOR_ID)

    def _match_one(self, name: str, sid: str, batch: list[dict]) -> list[tuple[str, tuple[str, ...]]]:
        self._hits = []
        try:
            Matcher._host.assert_facts(name, batch)
        except Exception as exc:  # durable reports errors as bare exceptions with a code
            # ≈8,500 steps. No delete_state on a session whose batch durable refused: it frees
            # a bad pointer (SIGSEGV/SIGABRT, bench/durable_ceiling.py); engine/limits.py keeps
            # dossiers far from it.
            raise EngineFailure(f"durable-rules rejected the facts: {exc!r:.300}") from exc
        finally:
            hits, self._hits = self._hits, None
        try:
            state = Matcher._host.get_state(name, sid)
        except Exception as exc:
            Matcher._host.delete_state(name, sid)
            raise EngineFailure(f"durable-rules rejected the facts: {exc!r:.300}") from exc
        if state and state.get("exception"):  # an action ran (and raised): the session can go
            Matcher._host.delete_state(name, sid)
            raise EngineFailure(f"a rule action failed: {state['exception']}")
        if (_ANCHOR_ID, ()) not in hits:
            # durable dropped the batch without a word (a text of 16 MiB): no action ran, and
            # deleting such a session crashes durable, so it is left to durable.
            raise EngineFailure("the decision fact was not matched: the review did not run")
        Matcher._host.delete_state(name, sid)
        return hits


def bound_problems(rules) -> list[Problem]:
    """A located problem at the first rule of each kind past MAX_RULES_PER_KIND."""
    counts: dict[str, int] = {}
    problems = []
    for rule in rules:
        for kind in rule.durable:
            counts[kind] = counts.get(kind, 0) + 1
            if counts[kind] == MAX_RULES_PER_KIND + 1:
                problems.append(Problem(
                    str(rule.path), rule.line, "id",
                    f"{kind} 的规则超过 {MAX_RULES_PER_KIND} 条（本条为第 {MAX_RULES_PER_KIND + 1} 条），超出已测试的规则引擎上限，"
                    f"规则库不予加载 (more than {MAX_RULES_PER_KIND} rules of one kind: past the tested bound of durable-rules)",
                    f"每种卷宗至多 {MAX_RULES_PER_KIND} 条规则（engine/matcher.py MAX_RULES_PER_KIND）"))
    return problems


def _strings(node, out: set) -> set:
    """Every key and text of a compiled definition: the attributes its conditions read are among them."""
    if isinstance(node, dict):
        out.update(node)
        for value in node.values():
            _strings(value, out)
    elif isinstance(node, list):
        for value in node:
            _strings(value, out)
    elif isinstance(node, str):
        out.add(node)
    return out


def prepare(rulebook: Rulebook, day=None) -> None:
    """Compile and register, in this process, the rules of every pack's region as they stand today.

    Call it before forking worker processes: durable-rules rulesets cannot be registered again
    under the same name, and a child that inherits them reviews at once (a dossier of another
    period or region compiles its own in the child).
    """
    import datetime as dt

    day = day or dt.date.today()
    for pack in rulebook.packs:
        for kind in pack.kinds:
            if kinds_.get(kind) is not None:
                planned, _ = rulebook.plan(kind, pack.ancestry, lambda rule: (day, (), ""))
                if planned:
                    Matcher(rulebook, kind, planned)
