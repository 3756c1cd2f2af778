"""Measure what durable-rules survives, each trial in a child process (a crash kills only the child).

Run: .venv/bin/python bench/durable_ceiling.py [--what text|steps|materials|experts|rules|all]
The dossier bypasses engine/limits.py (validated straight into the model) so that durable itself is probed.
`rules N CHUNK` reviews a dossier with its kind's rules copied under new ids up to N rules,
CHUNK rules per durable ruleset (engine/matcher.py's CHUNK; a large CHUNK puts them all in one).
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
if what == "text":  # in a text a condition names: only those reach durable (engine/matcher.py)
    next(s for s in data["steps"] if s["type"] == "public-comment")["shortening_reason"] = "长" * n
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

RULES_CHILD = r"""
import dataclasses, hashlib, sys, time
from pathlib import Path
from prereview.engine import load_dossier_text, load_rulebook, matcher, run_review
from prereview.engine.rulebook import Rulebook
n, matcher.CHUNK = int(sys.argv[1]), int(sys.argv[2])
shipped = load_rulebook()
path = Path(sys.argv[3])
loaded = load_dossier_text(path.read_text(encoding="utf-8"), path.name)
kind = loaded.dossier.decision.kind
own = [r for r in shipped.rules if kind in r.durable]
rules = [dataclasses.replace(r, spec=r.spec.model_copy(update={"id": f"{r.id}-C{i // len(own)}"}))
         for i, r in zip(range(n), (own * (n // len(own) + 1)))]
book = Rulebook(shipped.packs, rules, hashlib.sha256(f"probe {sys.argv[1:]}".encode()).hexdigest())
one = len(run_review(loaded, shipped).findings)
t = time.perf_counter()
try:
    got = len(run_review(loaded, book).findings)
    print("ok", got, "findings", f"(one copy: {one})", f"{time.perf_counter() - t:.2f}s")
except Exception as exc:
    print("refused", type(exc).__name__, str(exc)[:160], f"{time.perf_counter() - t:.2f}s")
print("then", run_review(loaded, shipped).verdict)
"""


def trial(what: str, n: int, chunk: int | None = None, dossier: Path | None = None) -> str:
    base = ROOT / "rules" / "_fixtures" / "major-decision-compliant.yaml"
    if what == "rules":
        argv = ["-c", RULES_CHILD, str(n), str(chunk or 10**6), str(dossier or ROOT / "examples" / "wuwei-old-town-renewal.yaml")]
    else:
        argv = ["-c", CHILD, what, str(n), str(base)]
    try:
        run = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=600)
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
    "rules": [91, 200, 282, 284, 304, 473],  # in one ruleset; then with the matcher's CHUNK
}
CHUNKED = [182, 304, 473, 1_000, 3_000, 10_000]  # rules of the dossier's kind, in rulesets of the matcher's CHUNK
# one dossier per kind, and the one that crashed durable when the enforcement rules were in one ruleset
DOSSIERS = [ROOT / "examples" / "wuwei-old-town-renewal.yaml", ROOT / "examples" / "lanzhou-market-fine-hearing.yaml",
            ROOT / "tests" / "data" / "durable-crash-enforcement.yaml"]


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
        if what == "rules":
            from prereview.engine.matcher import CHUNK
            for dossier in DOSSIERS:
                for n in [n for n in CHUNKED for _ in range(args.repeat)]:
                    t = time.perf_counter()
                    print(f"{'rules/' + str(CHUNK):10} {n:>10,}  {dossier.name}: {trial(what, n, CHUNK, dossier)}   "
                          f"[{time.perf_counter() - t:.1f}s wall]", flush=True)


if __name__ == "__main__":
    main()
