"""The rulebook cache (engine/rulecache.py): a cached rulebook reviews exactly as a freshly loaded one, an
edited rule, a damaged entry or a folder that cannot be written never gives a stale or failed review, and
`check ONE` with a warm cache builds only its own kind's models."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from prereview.engine import load_dossier, run_review
from prereview.engine.rulebook import load_rulebook
from prereview.engine import rulecache

from helpers import EXAMPLES, ROOT

EXAMPLE = EXAMPLES / "wuwei-old-town-renewal.yaml"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("PREREVIEW_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def rules(tmp_path):
    """A copy of the shipped rules that a test may edit."""
    target = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _json(book, path=EXAMPLE) -> str:
    return json.dumps(run_review(load_dossier(path), book).to_dict(), ensure_ascii=False, sort_keys=True)


def test_a_cached_rulebook_reviews_byte_identically_to_a_loaded_one(cache):
    fresh = load_rulebook(cases=False)
    first = load_rulebook(cases=False, cache=True)
    assert len(list(cache.glob("rulebook-*.pickle"))) == 1
    cached = load_rulebook(cases=False, cache=True)
    assert cached is not first  # read back from the file, not kept in memory
    assert cached.digest == fresh.digest and [r.id for r in cached.rules] == [r.id for r in fresh.rules]
    for path in (EXAMPLE, EXAMPLES / "lanzhou-market-fine-hearing.yaml", EXAMPLES / "tianshui-food-licence-rules.yaml"):
        assert _json(cached, path) == _json(fresh, path)


def test_an_edited_rule_is_a_miss_never_a_stale_rulebook(cache, rules):
    before = load_rulebook(rules, cases=False, cache=True)
    path = next(rules.glob("national/major-decision/*.yaml"))
    rule_id = next(r.id for r in before.rules if r.path == path)
    text = path.read_text("utf-8")
    path.write_text(text.replace("severity: major", "severity: blocking").replace("severity: advisory",
                                                                                  "severity: blocking"), "utf-8")
    after = load_rulebook(rules, cases=False, cache=True)
    assert after.digest != before.digest
    assert after.rule(rule_id).spec.severity == "blocking"
    assert len(list(cache.glob("rulebook-*.pickle"))) == 2


def test_an_edited_local_pack_or_option_is_a_miss(cache, tmp_path):
    local = tmp_path / "lanzhou"
    shutil.copytree(EXAMPLES / "local-packs" / "lanzhou", local)
    with_local = load_rulebook(extra=(local,), cases=False, cache=True)
    without = load_rulebook(cases=False, cache=True)
    assert len(with_local.packs) > len(without.packs)
    first_pack = next(local.glob("**/_pack.yaml"))
    first_pack.write_text(first_pack.read_text("utf-8") + "\n# 注释\n", "utf-8")
    again = load_rulebook(extra=(local,), cases=False, cache=True)
    assert again.digest != with_local.digest
    assert len(list(cache.glob("rulebook-*.pickle"))) == 3


def test_a_damaged_entry_is_dropped_and_the_rules_loaded(cache):
    good = load_rulebook(cases=False, cache=True)
    (entry,) = cache.glob("rulebook-*.pickle")
    entry.write_bytes(b"not a pickle")
    again = load_rulebook(cases=False, cache=True)
    assert again.digest == good.digest and _json(again) == _json(good)
    assert entry.read_bytes() != b"not a pickle"  # stored afresh


def test_a_cache_folder_that_cannot_be_written_only_costs_the_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PREREVIEW_CACHE_DIR", str(blocker / "cache"))  # under a regular file: ENOTDIR, even as root
    book = load_rulebook(cases=False, cache=True)
    assert book.rules and not (blocker / "cache").exists()


def test_off_stores_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PREREVIEW_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_rulebook(cases=False, cache=True)
    assert not list(tmp_path.iterdir())


def test_only_the_newest_entries_are_kept(cache, rules):
    path = rules / "catalogue.yaml"
    for n in range(rulecache.KEEP + 3):
        path.write_text(path.read_text("utf-8") + f"\n# {n}\n", "utf-8")
        load_rulebook(rules, cases=False, cache=True)
    assert len(list(cache.glob("rulebook-*.pickle"))) == rulecache.KEEP
    assert not list(cache.glob(".tmp-*"))


PROBE = """
import sys
from prereview.api import cli
code = cli.main(sys.argv[1:])
print(code, " ".join(sorted(m for m in sys.modules if m.startswith("prereview.engine.kinds."))))
"""


def test_check_one_with_a_warm_cache_builds_only_its_kind_and_says_the_same(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PREREVIEW_CACHE_DIR": str(tmp_path / "cache")}
    dossier = EXAMPLES / "lanzhou-market-fine-hearing.yaml"

    def run(cache_dir: str):
        done = subprocess.run([sys.executable, "-c", PROBE, "check", str(dossier), "--format", "json"],
                              capture_output=True, text=True, env={**env, "PREREVIEW_CACHE_DIR": cache_dir})
        out, _, last = done.stdout.rstrip("\n").rpartition("\n")
        return out, last.split()

    cold_out, (cold_code, *cold_kinds) = run(env["PREREVIEW_CACHE_DIR"])
    warm_out, (warm_code, *warm_kinds) = run(env["PREREVIEW_CACHE_DIR"])
    off_out, _ = run("off")
    assert len(cold_kinds) == 3  # loading the rules checks them against every kind's model
    assert warm_kinds == ["prereview.engine.kinds.enforcement"]
    assert warm_out == cold_out == off_out and json.loads(warm_out)["dossier"]["kind"] == "enforcement-decision"
    assert warm_code == cold_code


def test_compiled_templates_are_kept_beside_it_and_render_the_same(tmp_path):
    dossier = str(EXAMPLES / "jiuquan-market-fine-2027.yaml")

    def text(cache_dir) -> str:
        return subprocess.run([sys.executable, "-m", "prereview.api.cli", "check", dossier], capture_output=True,
                              text=True, env={"PATH": "/usr/bin:/bin", "PREREVIEW_CACHE_DIR": str(cache_dir)}).stdout

    blocker = tmp_path / "file"
    blocker.write_text("x")
    first, again = text(tmp_path / "c"), text(tmp_path / "c")
    assert list((tmp_path / "c" / "templates").glob("__jinja2_*.cache"))
    assert first == again == text("off") == text(blocker / "c") and "结论" in first
