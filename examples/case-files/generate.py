"""Write the example batch of closed case files for `prereview evaluate` (examples/case-files/*.yaml).

Each file is one of the three lawful bases of the rule packs (rules/_fixtures: a penalty, a licence, a
coercive enforcement), moved to a department and given its own party, document numbers and 卷面 (archive),
with the defects named in CASES. The names are fictitious (某某), the procedure is the bases'. `intent` says
what the defect is meant to be (veto / form / deduction / clean): tests/test_case_files.py checks that the
scores agree with it, and
that the batch's summary equals case-files-expected/summary.json. Run from the repository root:  python examples/case-files/generate.py
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EXPECTED = HERE.parent / "case-files-expected"  # beside the batch: a YAML file in it would be taken for a case file
FIXTURES = ROOT / "rules" / "_fixtures"
BASES = {t: yaml.safe_load((FIXTURES / f"enforcement-{t}-compliant.yaml").read_text("utf-8"))
         for t in ("penalty", "licence", "coercion")}

DEPARTMENTS = {
    "market": ({"name": "兰州市市场监督管理局", "level": "city", "type": "department", "province": "甘肃省", "city": "兰州市"},
               "market-regulation", "兰市监"),
    "land": ({"name": "兰州市自然资源局", "level": "city", "type": "department", "province": "甘肃省", "city": "兰州市"},
             "natural-resources", "兰自然资"),
    "qilihe": ({"name": "兰州市七里河区人民政府", "level": "county", "type": "government", "province": "甘肃省",
                "city": "兰州市", "county": "七里河区"}, "natural-resources", "七政"),
}
SUBJECTS = {  # (department, base) -> title with {party}, authority
    ("market", "penalty"): ("对{party}销售不合格电线电缆案的行政处罚",
                            "《中华人民共和国产品质量法》第八条第二款、第七十条；《市场监督管理行政处罚程序规定》第十条"),
    ("market", "licence"): ("{party}食品经营许可（涉及相邻经营者重大利益）",
                            "《中华人民共和国食品安全法》第三十五条第一款"),
    ("land", "penalty"): ("对{party}未经批准占用土地建设案的行政处罚", "《中华人民共和国土地管理法》第六十七条、第七十七条第一款"),
    ("land", "licence"): ("{party}建设工程规划许可", "《中华人民共和国城乡规划法》第四十条第一款"),
    ("qilihe", "coercion"): ("对{party}违法建设的建筑物强制拆除",
                             "《中华人民共和国城乡规划法》第六十八条；《中华人民共和国行政强制法》第四十四条"),
}
PARTIES = ["兰州某某商贸有限公司", "甘肃某某建材有限公司", "兰州某某置业有限公司", "兰州某某食品有限公司", "兰州某某物流有限公司",
           "甘肃某某实业有限公司", "兰州某某电器经营部", "兰州某某农业科技有限公司", "甘肃某某工贸有限公司", "兰州某某餐饮管理有限公司"]
PERSONS = ["杨某某", "马某某", "李某某", "王某某", "张某某", "赵某某", "刘某某", "陈某某"]
GOOD_ARCHIVE = {"one_case_one_file": True, "cover": True, "table_of_contents": True, "pages_numbered": True}
ORDER = {"penalty": ["filing", "investigation", "investigation", "review", "review", "decision", "service"],
         "licence": ["filing", "investigation", "review", "review", "decision", "service"],
         "coercion": ["filing", "investigation", "investigation", "review", "decision", "service", "execution"]}


def _steps(data, kind):
    return [s for s in data["steps"] if s["type"] == kind]


def no_step(kind):
    def change(data):
        data["steps"] = [s for s in data["steps"] if s["type"] != kind]
    return change


def set_step(kind, **values):
    def change(data):
        for s in _steps(data, kind)[:1]:
            s.update(values)
    return change


def uncertified(data):
    _steps(data, "investigation")[0]["officers"][1]["certificate"] = None


def one_verifier(data):
    _steps(data, "verification")[0]["officers"] = _steps(data, "verification")[0]["officers"][:1]


def archive(**values):
    def change(data):
        data["decision"]["archive"].update(values)
    return change


def no_archive(data):
    del data["decision"]["archive"]


def shuffled(data):
    order = data["decision"]["archive"]["order"]
    data["decision"]["archive"]["order"] = order[:1] + order[-2:-1] + order[1:-2] + order[-1:]


# (file stem, department, base, intent, changes)
CASES = [
    ("market-penalty-01", "market", "penalty", "clean", []),
    ("market-penalty-02", "market", "penalty", "clean", []),
    ("market-penalty-03", "market", "penalty", "veto", [no_step("notice")]),
    ("market-penalty-04", "market", "penalty", "veto", [uncertified]),
    ("market-penalty-05", "market", "penalty", "form", [archive(cover=False)]),
    ("market-penalty-06", "market", "penalty", "form", [shuffled, archive(pages_numbered=False)]),
    ("market-penalty-07", "market", "penalty", "deduction", [set_step("statement", reviewed_on=None)]),
    ("market-penalty-08", "market", "penalty", "deduction", [no_step("publication")]),
    ("market-penalty-09", "market", "penalty", "deduction",
     [set_step("statement", reviewed_on=None), no_step("publication"), set_step("investigation", certificates_shown=False),
      archive(cover=False, pages_numbered=False)]),
    ("market-licence-01", "market", "licence", "clean", []),
    ("market-licence-02", "market", "licence", "form", [archive(table_of_contents=False)]),
    ("market-licence-03", "market", "licence", "deduction", [one_verifier]),
    ("market-licence-04", "market", "licence", "unrecorded", [no_archive]),
    ("land-penalty-01", "land", "penalty", "clean", []),
    ("land-penalty-02", "land", "penalty", "veto", [no_step("legal-review")]),
    ("land-penalty-03", "land", "penalty", "form", [archive(one_case_one_file=False, cover=False, table_of_contents=False,
                                                            pages_numbered=False), shuffled]),
    ("land-penalty-04", "land", "penalty", "deduction", [set_step("decision", sealed=False)]),
    ("land-penalty-05", "land", "penalty", "deduction",
     [no_step("head-review"), no_step("case-filing"), no_step("collective-discussion"), set_step("statement", reviewed_on=None),
      no_step("publication"), set_step("decision", sealed=False), archive(table_of_contents=False), shuffled]),
    ("land-licence-01", "land", "licence", "clean", []),
    ("land-licence-02", "land", "licence", "clean", []),
    ("land-licence-03", "land", "licence", "veto", [no_step("legal-review")]),
    ("land-licence-04", "land", "licence", "form", [archive(pages_numbered=False)]),
    ("land-licence-05", "land", "licence", "deduction", [set_step("hearing", record_signed=False)]),
    ("land-licence-06", "land", "licence", "unrecorded", [no_archive]),
    ("qilihe-coercion-01", "qilihe", "coercion", "clean", []),
    ("qilihe-coercion-02", "qilihe", "coercion", "clean", []),
    ("qilihe-coercion-03", "qilihe", "coercion", "veto", [no_step("demand")]),
    ("qilihe-coercion-04", "qilihe", "coercion", "veto", [set_step("execution", at_night=True)]),
    ("qilihe-coercion-05", "qilihe", "coercion", "form", [shuffled]),
    ("qilihe-coercion-06", "qilihe", "coercion", "form", [archive(cover=False, table_of_contents=False)]),
    ("qilihe-coercion-07", "qilihe", "coercion", "deduction", [set_step("coercive-measure", record_signed=False)]),
    ("qilihe-coercion-08", "qilihe", "coercion", "deduction", [set_step("coercive-measure", list_made=False)]),
    ("qilihe-coercion-09", "qilihe", "coercion", "unrecorded", [no_archive]),
]


def case_file(n: int, stem: str, dept: str, base: str, changes) -> dict:
    data = copy.deepcopy(BASES[base])
    organ, sector, prefix = DEPARTMENTS[dept]
    d = data["decision"]
    party = PERSONS[n % len(PERSONS)] if base == "coercion" else PARTIES[n % len(PARTIES)]
    title, authority = SUBJECTS[(dept, base)]
    d.update(title=title.format(party=party), organ=dict(organ), sector=sector, authority=authority)
    d["party"]["name"] = party
    d["party"].pop("id_number", None)  # an example carries no ID numbers
    for s in data["steps"]:
        if s["type"] in ("decision", "enforcement-order") and "document_no" in s:
            s["document_no"] = f"{prefix}〔2025〕{100 + n}号"
    d["archive"] = dict(GOOD_ARCHIVE, file_no=f"{prefix}档〔2025〕{n + 1:03d}号", pages=40 + 3 * n,
                        order=list(ORDER[base]))
    for change in changes:
        change(data)
    data["steps"] = [{k: v for k, v in s.items() if v is not None} for s in data["steps"]]
    return data


def main(out: Path = HERE, expected: Path = EXPECTED) -> None:
    manifest = []
    for n, (stem, dept, base, intent, changes) in enumerate(CASES):
        data = case_file(n, stem, dept, base, changes)
        text = f"# 示例案卷（虚构）：{data['decision']['title']}；由 generate.py 生成\n" + yaml.safe_dump(
            data, allow_unicode=True, sort_keys=False, width=120)
        (out / f"{stem}.yaml").write_text(text, "utf-8")
        manifest.append({"file": f"{stem}.yaml", "intent": intent})
    expected.mkdir(exist_ok=True)
    (expected / "intent.yaml").write_text("# 每份示例案卷所设的问题：clean 无问题；veto 否决；form 卷面问题；deduction 扣分；"
                                      "unrecorded 卷面未记载（generate.py 写出）\n"
                                      + yaml.safe_dump({"cases": manifest}, allow_unicode=True, sort_keys=False), "utf-8")


if __name__ == "__main__":
    main()
