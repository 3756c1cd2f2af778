"""Normative documents: deleting a mandatory step of a compliant dossier is found, and the output never depends on
the order of steps or materials."""
import copy
import random

import yaml

from prereview.engine.source import read_file

from helpers import EXAMPLES, ROOT, as_json, finding_keys, review_data

# each step type and the requirement whose rules must report it missing from a compliant, issued, market-related
# document; collective deliberation is advisory (37号 text not read), so its absence is reported but does not fail
MANDATORY = {
    "assessment": "NDOC-ASSESSMENT",
    "public-comment": "NDOC-PUBLIC-COMMENT",
    "fair-competition-review": "NDOC-FAIR-COMPETITION",
    "legality-review": "NDOC-LEGALITY-REVIEW-REQUIRED",
    "deliberation": "NDOC-COLLECTIVE-DELIBERATION",
    "publication": "NDOC-PUBLISH-OR-VOID",
}
ADVISORY_ONLY = {"deliberation"}
# the drafting unit's own review is evidenced by its opinion among the review body's materials; registration and
# filing are reviewer items or advisory rules whose deadline depends on the review date
OPTIONAL = {"internal-review", "registration", "filing"}


def _compliant():
    base, problems = read_file(ROOT / "rules" / "_fixtures" / "normative-document-compliant.yaml")
    assert not problems
    yield "normative-document-compliant.yaml", base.data
    expected = yaml.safe_load((EXAMPLES / "expected.yaml").read_text("utf-8"))["examples"]
    for name, want in sorted(expected.items()):
        doc, _ = read_file(EXAMPLES / name)
        if (want["verdict"] == "pass" and doc.data["decision"]["kind"] == "normative-document"
                and doc.data["decision"].get("excluded") is None):
            yield name, doc.data


def test_deleting_any_mandatory_step_of_a_compliant_normative_document_is_found():
    checked = 0
    for name, data in _compliant():
        assert review_data(data).verdict == "pass", name
        for i, step in enumerate(data["steps"]):
            if step["type"] in OPTIONAL:
                continue
            changed = copy.deepcopy(data)
            del changed["steps"][i]
            review = review_data(changed)
            implemented = {req for f in review.findings for req in f.implements}
            assert MANDATORY[step["type"]] in implemented, f"{name}：删除 {step['type']} 后没有相应发现：{finding_keys(review)}"
            if step["type"] not in ADVISORY_ONLY:
                assert review.verdict != "pass", (name, step["type"])
            checked += 1
    assert checked == 12  # the fixture and the Lanzhou example, six steps each


def test_an_out_of_scope_internal_document_gets_no_finding_whatever_steps_it_lacks():
    doc, _ = read_file(EXAMPLES / "jiuquan-open-government-work-plan.yaml")
    data = copy.deepcopy(doc.data)
    data["steps"] = []
    data["decision"]["as_of"] = "2026-03-11"  # no step dates a document without steps
    review = review_data(data)
    assert review.verdict == "pass" and review.findings == []
    data["decision"]["affects_rights"] = True  # 工作方案 that touches rights and duties: 应审必审
    data["decision"]["stage"] = "issued"
    review = review_data(data)
    assert [f.rule_id for f in review.findings] == ["NDOC-SCOPE-EXCLUDED-AFFECTS-RIGHTS"]


def test_findings_of_a_defective_normative_document_do_not_depend_on_order():
    base, _ = read_file(ROOT / "rules" / "_fixtures" / "normative-document-compliant.yaml")
    data = copy.deepcopy(base.data)
    data["steps"] = [s for s in data["steps"] if s["type"] != "fair-competition-review"]
    next(s for s in data["steps"] if s["type"] == "legality-review")["opinion_on"] = "2025-05-28"  # after the meeting
    data["steps"].append({"type": "legality-review", "reviewer": "兰州市财政局", "form": "countersign",
                          "submitted_on": "2025-05-08"})
    first = review_data(data)
    assert {f.rule_id for f in first.findings} >= {"NDOC-FAIR-COMPETITION-MISSING",
                                                  "NDOC-LEGALITY-REVIEW-AFTER-DELIBERATION"}
    rng = random.Random(9)
    for _ in range(5):
        shuffled = copy.deepcopy(data)
        rng.shuffle(shuffled["steps"])
        rng.shuffle(shuffled["materials"])
        again = review_data(shuffled)
        assert finding_keys(again) == finding_keys(first) and again.verdict == first.verdict
    assert as_json(review_data(data)) == as_json(review_data(copy.deepcopy(data)))
