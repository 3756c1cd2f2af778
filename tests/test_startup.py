"""`prereview --help` starts without the engine: it imports neither pydantic, durable-rules, YAML nor the
kinds' models (what it costs is measured in bench/ratios.py; here only what is imported)."""
from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from prereview.api import cli
try:
    cli.main(sys.argv[1:])
except SystemExit:
    pass
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "durable", "yaml", "jinja2")
                      or m.startswith("prereview.engine."))))
"""


def _imported(*argv: str) -> set[str]:
    run = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True)
    return set(run.stdout.strip().splitlines()[-1].split())


def test_help_imports_nothing_heavy():
    loaded = _imported("--help")
    assert loaded == {"prereview.engine.errors"}, loaded


def test_a_commands_help_lists_its_choices_loaded_when_asked():
    run = subprocess.run([sys.executable, "-m", "prereview.api.cli", "init", "--help"], capture_output=True, text=True)
    from prereview.engine.kinds import KINDS

    assert "{" + ",".join(KINDS) + "}" in run.stdout
    bad = subprocess.run([sys.executable, "-m", "prereview.api.cli", "check", "x.yaml", "--fail-on", "minor"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "'blocking', 'major', 'advisory'" in bad.stderr


def test_check_imports_the_engine():
    loaded = _imported("rules", "list")
    assert {"prereview.engine.rulebook", "prereview.engine.kinds"} <= loaded and "pydantic" in loaded


def test_each_kind_is_imported_under_its_own_code():
    from prereview.engine.kinds import KINDS

    assert len(KINDS) == 3 and all(KINDS[code].code == code for code in KINDS)
    assert KINDS.get("no-such-kind") is None
