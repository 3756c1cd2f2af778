"""Past durable's ceiling the matcher raises EngineFailure and the process lives on.

Each probe is bench/durable_ceiling.py's trial: a child process (a crash there fails this test
instead of killing the suite) that bypasses engine/limits.py, which normally refuses such dossiers
long before durable sees them. Before the matcher stopped deleting such sessions both aborted.
"""
from __future__ import annotations

import importlib.util

import pytest

from helpers import ROOT

_spec = importlib.util.spec_from_file_location("durable_ceiling", ROOT / "bench" / "durable_ceiling.py")
ceiling = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ceiling)


@pytest.mark.parametrize("what,n", [("text", 16_777_216 // 3 + 10), ("steps", 9_000)])
def test_past_durables_ceiling_is_an_engine_failure_not_a_crash(what, n):
    out = ceiling.trial(what, n)
    assert out.startswith("refused EngineFailure") and out.endswith("then pass"), out  # was SIGABRT / SIGSEGV
