"""Measure what durable-rules survives, each trial in a child process (a crash kills only the child).

Run: .venv/bin/python bench/durable_ceiling.py [--what text|steps|materials|experts|all]
The dossier bypasses engine/limits.py (validated straight into the model) so that durable itself is probed.
Printed, never asserted. The figures are quoted in engine/limits.py.
"""
from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import copy, sys, time
from prereview.engine import load_rulebook, run_review
from prereview.engine.kinds.major_decision import Dossier
from prereview.engine.load import LoadedDossier
from prereview.engine.source import Located, read_file
from pathlib import Path
what, n = sys.argv[1], int(sys.argv[2])
doc, _ = read_file(Path(sys.argv[3]))
data = copy.deepcopy(doc.data)
if what == "text":
    data["decision"]["title"] = "长" * n
elif what == "steps":
    data["steps"] = [copy.deepcopy(data["steps"][i % len(data["steps"])]) for i in range(n)]
elif what == "materials":
    data["materials"] += [{"id": f"x{i}", "name": "附件", "kind": "other"} for i in range(n)]
elif what == "experts":
    step = next(s for s in data["steps"] if s["type"] == "expert-review")
    step["experts"] = [dict(step["experts"][0], name=f"专家{i}") for i in range(n)]
rulebook = load_rulebook()
loaded = LoadedDossier(Dossier.model_validate(data), Located("probe.yaml", data, {}, ""), "0" * 64)
t = time.perf_counter()
try:
    review = run_review(loaded, rulebook)
    print("ok", len(review.findings), f"{time.perf_counter() - t:.2f}s")
except Exception as exc:
    print("refused", type(exc).__name__, str(exc)[:160], f"{time.perf_counter() - t:.2f}s")
good = copy.deepcopy(doc.data)  # and the engine still works in the same process
print("then", run_review(LoadedDossier(Dossier.model_validate(good), Located("ok.yaml", good, {}, ""), "0" * 64),
                         rulebook).verdict)
"""


def trial(what: str, n: int) -> str:
    base = ROOT / "rules" / "_fixtures" / "major-decision-compliant.yaml"
    try:
        run = subprocess.run([sys.executable, "-c", CHILD, what, str(n), str(base)], capture_output=True,
                             text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return "timeout (600 s)"
    if run.returncode < 0:
        return f"KILLED by signal {-run.returncode}"
    return " ".join(run.stdout.split()) or f"exit {run.returncode}: {run.stderr.strip()[-200:]}"


SIZES = {
    "text": [4_000, 1_000_000, 4_000_000, 8_000_000, 16_777_200 // 3 - 10, 16_777_216 // 3 + 10],
    "steps": [500, 2_000, 4_000, 6_000, 7_500, 8_000, 8_500, 9_000],
    "materials": [1_000, 10_000, 70_000],
    "experts": [200, 5_000, 40_000],
}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--what", default="all", choices=["all", *SIZES])
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args()
    for what, sizes in SIZES.items():
        if args.what not in ("all", what):
            continue
        for n in sizes:
            for _ in range(args.repeat):
                t = time.perf_counter()
                print(f"{what:10} {n:>10,}  {trial(what, n)}   [{time.perf_counter() - t:.1f}s wall]", flush=True)


if __name__ == "__main__":
    main()
