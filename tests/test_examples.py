"""Every example dossier gives the verdict and the findings its comment promises (examples/expected.yaml)."""
import pytest
import yaml

from prereview.engine import load_dossier, run_review

from helpers import EXAMPLES, rulebook

EXPECTED = yaml.safe_load((EXAMPLES / "expected.yaml").read_text("utf-8"))["examples"]


def test_every_example_file_has_an_expectation():
    files = {p.name for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json") and p.name != "expected.yaml"}
    assert files == set(EXPECTED)
    assert len(files) >= 8


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_gives_its_expected_verdict_and_only_its_intended_defects(name):
    expected = EXPECTED[name]
    review = run_review(load_dossier(EXAMPLES / name), rulebook())
    implemented = {req for f in review.findings for req in f.implements}
    assert review.verdict == expected["verdict"], [(f.rule_id, f.message) for f in review.findings]
    assert set(expected["requirements"]) <= implemented
    if not expected["requirements"]:
        assert review.findings == []
