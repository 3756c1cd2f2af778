"""The README's examples are real: its commands name real files and its YAML snippets load."""
import re

import yaml

from prereview.engine import load_dossier, run_review
from prereview.engine.checklist import apply_answers, load_answers, load_checklist
from prereview.engine.rulebook import RuleFile

from helpers import ROOT, rulebook

README = (ROOT / "README.md").read_text("utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, re.S)


def _yaml_block(starting: str) -> str:
    return next(text for lang, text in BLOCKS if lang == "yaml" and text.lstrip().startswith(starting))


def test_the_two_setup_commands_name_files_that_exist_and_the_ci_test_command():
    commands = [text for lang, text in BLOCKS if lang == "sh"][:2]
    assert "examples/wuwei-old-town-renewal.yaml" in commands[0] and "--report-dir" in commands[0]
    assert (ROOT / "examples" / "wuwei-old-town-renewal.yaml").exists()
    for listing in (".ci/apt-packages.txt", ".ci/apt-test-packages.txt"):
        assert listing in commands[1] and (ROOT / listing).exists() and listing in (ROOT / ".ci" / "run").read_text()
    assert ".ci/apt-test-packages.txt" not in commands[0]  # the main job needs no browser
    assert "python -m pytest -q" in commands[1] and "python -m pytest -q" in (ROOT / ".ci" / "run").read_text()


def test_the_printed_output_is_what_the_check_prints():
    review = run_review(load_dossier(ROOT / "examples" / "wuwei-old-town-renewal.yaml"), rulebook())
    shown = next(text for lang, text in BLOCKS if lang == "" and "MAD-LEGALITY-REVIEW-BEFORE-MEETING" in text)
    assert review.findings[0].message in shown and review.findings[0].rule_id == "MAD-LEGALITY-REVIEW-BEFORE-MEETING"


def test_the_rule_example_is_a_valid_rule_file():
    data = yaml.safe_load(_yaml_block("id: MAD-LEGALITY-REVIEW-BEFORE-MEETING"))
    data["message"] = data["message"].replace("……", "")
    assert RuleFile.model_validate(data).severity == "blocking"


def test_the_answers_example_loads_and_turns_a_non_conformity_into_a_finding(tmp_path):
    answers_file = tmp_path / "answers.yaml"
    answers_file.write_text(_yaml_block("answers:"), "utf-8")
    review = run_review(load_dossier(ROOT / "examples" / "lanzhou-waste-sorting.yaml"), rulebook())
    assert review.verdict == "pass"
    apply_answers(review, load_checklist("major-decision"), load_answers(answers_file))
    assert [f.rule_id for f in review.findings] == ["MD-CONT-01"] and review.verdict == "blocked"
