"""Twice the shipped rules, loaded through the real path, review as the originals doubled; past the tested
bound of rules per kind (engine/matcher.py MAX_RULES_PER_KIND) loading is a located error, never a crash."""
from __future__ import annotations

import collections
import random
import shutil
from pathlib import Path

import pytest
import yaml

from prereview.engine import DossierError, RuleError, load_dossier, load_rulebook, matcher, run_review

from enforcement_gen import mutate_enf
from helpers import BASE, ENF_BASES, EXAMPLES, ROOT, base_data, load_data, rulebook


def _copy_every_rule(dst):
    """rules/ with every rule (and its cases) copied under a second id, <ID>-COPY."""
    shutil.copytree(ROOT / "rules", dst, ignore=shutil.ignore_patterns("__pycache__"))
    made = 0
    for rule in sorted(dst.glob("*/*/*.yaml")):
        if rule.name.startswith("_") or rule.name.endswith(".cases.yaml"):
            continue
        text = rule.read_text("utf-8")
        assert f"id: {rule.stem}\n" in text, rule
        copy = rule.with_name(rule.stem + "-COPY.yaml")
        copy.write_text(text.replace(f"id: {rule.stem}\n", f"id: {rule.stem}-COPY\n", 1), "utf-8")
        shutil.copy(rule.with_name(rule.stem + ".cases.yaml"), rule.with_name(rule.stem + "-COPY.cases.yaml"))
        made += 1
    for pack in sorted(dst.glob("*/*/_pack.yaml")):  # a province's supplementary basis applies to the copy too
        data = yaml.safe_load(pack.read_text("utf-8"))
        if data.get("supplements"):
            data["supplements"] |= {f"{k}-COPY": v for k, v in data["supplements"].items()}
            pack.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return made


@pytest.fixture(scope="module")
def doubled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("doubled") / "rules"
    made = _copy_every_rule(folder)
    return folder, made


def _dossiers():
    """The examples, the dossier that once crashed durable, and variants with many findings of each kind."""
    out = [load_dossier(p) for p in sorted(EXAMPLES.glob("*.yaml")) if p.name != "expected.yaml"]
    out.append(load_dossier(ROOT / "tests" / "data" / "durable-crash-enforcement.yaml"))
    rng = random.Random(14)
    for k in range(30):
        data = base_data(BASE)
        data["steps"] = [s for s in data["steps"] if rng.random() < 0.5]
        out.append(load_data(data, f"major-{k}.yaml"))
    for k in range(60):
        out.append(load_data(mutate_enf(base_data(ENF_BASES[k % len(ENF_BASES)]), rng.choice), f"enf-{k}.yaml"))
    return out


def _key(f, rule_id):
    return (rule_id, f.severity, f.message, f.fix, f.record, repr(f.evidence), repr(f.subject))


def test_twice_the_shipped_rules_find_every_finding_twice(doubled):
    folder, made = doubled
    book, shipped = load_rulebook(folder), rulebook()
    assert made == len(shipped.rules) and len(book.rules) == 2 * len(shipped.rules)
    per_kind = collections.Counter(k for r in book.rules for k in r.durable)
    assert all(n > matcher.CHUNK for n in per_kind.values()), per_kind  # every kind in more than one ruleset
    reviewed = findings = 0
    for loaded in _dossiers():
        try:
            original = run_review(loaded, shipped)
        except DossierError as err:  # a variant the model refuses is refused the same way by both
            with pytest.raises(DossierError) as again:
                run_review(loaded, book)
            assert again.value.problems == err.problems
            continue
        twice = run_review(loaded, book)
        want = collections.Counter()
        for f in original.findings:
            want[_key(f, f.rule_id)] += 1
            want[_key(f, f.rule_id + "-COPY")] += 1
        assert collections.Counter(_key(f, f.rule_id) for f in twice.findings) == want, loaded.doc.path
        assert twice.receipt["rules_applied"] == 2 * original.receipt["rules_applied"]
        reviewed += 1
        findings += len(original.findings)
    assert reviewed > 80 and findings > 200, (reviewed, findings)  # 98 and 289 when written


def test_past_the_tested_bound_loading_is_a_located_error(doubled, monkeypatch):
    folder, _ = doubled
    shipped = rulebook()
    kinds = collections.Counter(k for r in shipped.rules for k in r.durable)
    bound = max(kinds.values())  # the shipped rules are within it; the doubled largest kinds are past it
    over = {k for k, n in kinds.items() if 2 * n > bound}
    assert len(over) >= 2
    monkeypatch.setattr(matcher, "MAX_RULES_PER_KIND", bound)
    load_rulebook()  # the shipped rules are within it
    with pytest.raises(RuleError) as err:
        load_rulebook(folder)
    problems = err.value.problems
    named = set()
    for p in problems:
        kind = next(k for k in kinds if p.message.startswith(f"{k} 的规则超过 {bound} 条（本条为第 {bound + 1} 条）"))
        named.add(kind)
        rule = Path(p.path)
        assert p.field == "id" and p.line and rule.is_relative_to(folder) and kind in rule.read_text("utf-8")
        assert "MAX_RULES_PER_KIND" in p.expected
    assert named == over and len(problems) == len(over)


def test_the_cli_says_where_the_bound_is_passed(doubled, monkeypatch, capsys):
    from prereview.api import cli

    folder, _ = doubled
    monkeypatch.setattr(matcher, "MAX_RULES_PER_KIND", 100)
    assert cli.main(["rules", "list", "--rules-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "规则超过 100 条" in err and str(folder) in err and ".yaml:" in err
