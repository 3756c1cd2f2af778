"""Past durable's ceiling the matcher raises EngineFailure and the process lives on.

Each probe runs in a child process (a crash there must fail the test, not kill the suite) and
bypasses engine/limits.py, which normally refuses such dossiers long before durable sees them.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from helpers import BASE

CHILD = r"""
import copy, sys
from pathlib import Path
from prereview.engine import EngineFailure, load_rulebook, run_review
from prereview.engine.dossier import Dossier
from prereview.engine.load import LoadedDossier
from prereview.engine.source import Located, read_file
what, n = sys.argv[1], int(sys.argv[2])
doc, _ = read_file(Path(sys.argv[3]))
data = copy.deepcopy(doc.data)
if what == "text":
    data["decision"]["title"] = "长" * n
else:
    data["steps"] = [copy.deepcopy(data["steps"][i % len(data["steps"])]) for i in range(n)]
rulebook = load_rulebook()
loaded = LoadedDossier(Dossier.model_validate(data), Located("probe.yaml", data, {}, ""), "0" * 64)
try:
    run_review(loaded, rulebook)
    print("reviewed")
except EngineFailure as exc:
    print("EngineFailure", exc)
# the engine still works afterwards, in the same process
good = copy.deepcopy(doc.data)
review = run_review(LoadedDossier(Dossier.model_validate(good), Located("ok.yaml", good, {}, ""), "0" * 64), rulebook)
print("then", review.verdict)
"""


@pytest.mark.parametrize("what,n", [("text", 16_777_216 // 3 + 10), ("steps", 9_000)])
def test_past_durables_ceiling_is_an_engine_failure_not_a_crash(what, n):
    run = subprocess.run([sys.executable, "-c", CHILD, what, str(n), str(BASE)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, (run.returncode, run.stderr[-2000:])  # was SIGABRT / SIGSEGV
    assert "EngineFailure" in run.stdout and "then pass" in run.stdout, run.stdout
