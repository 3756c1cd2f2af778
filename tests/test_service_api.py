"""The HTTP service end to end (TestClient, real worker process, SQLite in a temporary folder)."""
from __future__ import annotations

import hashlib
import io
import json
import logging

import pytest
import sqlalchemy

from prereview.engine import app as engine_app
from prereview.engine.checklist import load_checklist

from helpers import EXAMPLES, base_data, rulebook
from service_fixtures import YAML, backend, dossier_bytes, late_review, service, titled  # noqa: F401 (fixture)

WUWEI = EXAMPLES / "wuwei-old-town-renewal.yaml"


def test_a_yaml_submission_is_201_with_the_clis_review(service):
    raw = WUWEI.read_bytes()
    r = service.submit("submitter", raw)
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/v1/reviews/{body['id']}"
    expected = engine_app.review_bytes(raw, "dossier.yaml", rulebook()).out.to_json()
    assert body["review"] == expected
    assert body["review"]["verdict"] == "blocked"
    assert [f["rule_id"] for f in body["review"]["findings"]] == ["MAD-LEGALITY-REVIEW-BEFORE-MEETING"]
    assert body["dossier_sha256"] == hashlib.sha256(raw).hexdigest()
    assert body["review"]["receipt"]["dossier_sha256"] == hashlib.sha256(raw).hexdigest()
    assert body["links"]["report_pdf"] == f"/v1/reviews/{body['id']}/report.pdf"
    got = service.client.get(body["links"]["self"], headers=service.headers("submitter")).json()
    assert got["review"] == body["review"] and got["id"] == body["id"]


def test_a_json_submission_and_its_dossier_come_back_byte_for_byte(service):
    raw = (EXAMPLES / "pingliang-school-layout.json").read_bytes()
    r = service.client.post("/v1/reviews", content=raw,
                            headers=service.headers("submitter", **{"content-type": "application/json"}))
    assert r.status_code == 201, r.text
    d = service.client.get(r.json()["links"]["dossier"], headers=service.headers("submitter"))
    assert d.status_code == 200 and d.content == raw
    assert d.headers["content-type"].startswith("application/json")
    assert d.headers["x-content-sha256"] == hashlib.sha256(raw).hexdigest()


def test_a_multipart_upload_is_reviewed_under_its_file_name(service):
    raw = dossier_bytes(late_review())
    r = service.client.post("/v1/reviews", files={"file": ("../../晚了的审查.yaml", io.BytesIO(raw), "application/yaml")},
                            headers=service.headers("submitter"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["filename"] == "晚了的审查.yaml"  # no folders from the client's name
    evidence = body["review"]["findings"][0]["evidence"]
    assert evidence[0]["path"] == "晚了的审查.yaml" and evidence[0]["line"] > 1


def test_an_invalid_dossier_is_422_with_the_clis_problems(service):
    data = base_data()
    i = next(i for i, s in enumerate(data["steps"]) if s["type"] == "public-comment")
    data["steps"][i]["closes_on"] = "2025-0320"
    r = service.submit("submitter", dossier_bytes(data))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid-dossier" and "卷宗有误" in err["message"]
    problem = next(p for p in err["problems"] if p["field"] == f"steps[{i}].closes_on")
    assert problem["line"] > 1 and "2025-0320" in problem["message"]
    assert problem["path"] == "dossier.yaml"


def test_an_unparseable_body_and_an_unknown_media_type(service):
    r = service.submit("submitter", b"decision: [unclosed\n")
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["line"] is not None
    r = service.client.post("/v1/reviews", content=b"x", headers=service.headers("submitter", **{"content-type": "text/plain"}))
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported-media-type"


def test_a_billion_laughs_document_is_refused_located(service):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(10))}]" for i in range(1, 10)]
    lines.append("decision: *a9")
    r = service.submit("submitter", "\n".join(lines).encode())
    assert r.status_code == 422
    assert any("别名" in p["message"] or "200,000" in p["message"] for p in r.json()["error"]["problems"])


def _reviewer_item():
    return next(i for i in load_checklist("major-decision").items if i.decided_by == "reviewer")


def test_answers_are_an_appended_event_and_the_stored_review_never_changes(service):
    created = service.submit("submitter", dossier_bytes(titled("答复测试"))).json()
    assert created["review"]["verdict"] == "pass"
    item = _reviewer_item()
    url = created["links"]["answers"]
    body = {"answers": {item.id: {"result": "不符合", "note": "第五条增设的许可没有上位法依据", "reviewer": "张三",
                                  "date": "2025-05-15"}}}
    assert service.client.put(url, json=body, headers=service.headers("submitter")).status_code == 403
    r = service.client.put(url, json=body, headers=service.headers("reviewer"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["review"] == created["review"]  # the record as it was made
    assert out["answers"]["verdict"] != "pass"
    assert [f["rule_id"] for f in out["answers"]["findings"]] == [item.id]
    html = service.client.get(created["links"]["report_html"], headers=service.headers("submitter")).text
    assert "第五条增设的许可没有上位法依据" in html
    body["answers"][item.id] = {"result": "符合", "reviewer": "张三", "date": "2025-05-16"}
    again = service.client.put(url, json=body, headers=service.headers("reviewer")).json()
    assert again["answers"]["verdict"] == "pass" and again["answers"]["answers"][item.id]["result"] == "符合"
    with service.api.state.sessions() as db:
        n = db.execute(sqlalchemy.text("select count(*) from answer_events where review_id = :i"),
                       {"i": created["id"]}).scalar()
    assert n == 2


def test_bad_answers_are_422_located(service):
    created = service.submit("submitter", dossier_bytes(titled("答复有误"))).json()
    r = service.client.put(created["links"]["answers"], content=b"answers:\n  NO-SUCH-ITEM: {result: x}\n",
                           headers=service.headers("reviewer", **YAML))
    assert r.status_code == 422
    problems = r.json()["error"]["problems"]
    assert r.json()["error"]["code"] == "invalid-answers"
    assert any(p["field"].startswith("answers.NO-SUCH-ITEM") and p["line"] == 2 for p in problems)


def test_a_resubmission_says_what_was_fixed_new_and_remaining(service):
    first = service.submit("submitter", dossier_bytes(late_review())).json()
    assert first["review"]["verdict"] == "blocked"
    reordered = late_review()
    reordered["steps"].reverse()  # the same record in another order: nothing fixed, nothing new
    second = service.submit("submitter", dossier_bytes(reordered), supersedes=first["id"]).json()
    assert second["supersedes"] == first["id"]
    c = second["comparison"]
    assert c["fixed"] == [] and c["new"] == []
    assert [f["rule_id"] for f in c["remaining"]] == [f["rule_id"] for f in first["review"]["findings"]]
    assert c["remaining"][0]["points_at"] == sorted(c["remaining"][0]["points_at"])
    assert any(p.startswith("steps[legality-review#1]") for p in c["remaining"][0]["points_at"])
    fixed = service.submit("submitter", dossier_bytes(base_data()), supersedes=second["id"]).json()
    assert fixed["review"]["verdict"] == "pass"
    assert [f["rule_id"] for f in fixed["comparison"]["fixed"]] == [f["rule_id"] for f in first["review"]["findings"]]
    assert fixed["comparison"]["remaining"] == [] and fixed["comparison"]["new"] == []
    # the superseded record is unchanged
    old = service.client.get(first["links"]["self"], headers=service.headers("submitter")).json()
    assert old["review"] == first["review"] and old["comparison"] is None


def test_supersedes_must_name_a_visible_review_of_the_same_kind(service):
    theirs = service.submit("other_submitter", dossier_bytes(titled("他人的卷宗"))).json()
    r = service.submit("submitter", dossier_bytes(), supersedes=theirs["id"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "supersedes-not-found"


def test_the_list_filters_and_pages(service):
    for i in range(3):
        assert service.submit("submitter", dossier_bytes(titled(f"分页测试{i}", late_review()))).status_code == 201
    h = service.headers("submitter")
    page = service.client.get("/v1/reviews", params={"verdict": "blocked", "limit": 2}, headers=h).json()
    assert page["total"] >= 3 and len(page["items"]) == 2 and page["next"]
    assert {i["verdict"] for i in page["items"]} == {"blocked"}
    rest = service.client.get(page["next"], headers=h).json()
    seen = [i["id"] for i in page["items"]] + [i["id"] for i in rest["items"]]
    assert len(seen) == len(set(seen)) and rest["items"]
    assert all(i["org"] == "武威市司法局" for i in page["items"] + rest["items"])
    none = service.client.get("/v1/reviews", params={"from": "2000-01-01", "to": "2000-12-31"}, headers=h).json()
    assert none == {"items": [], "total": 0, "next": None}
    unit = page["items"][0]["unit"]
    by_unit = service.client.get("/v1/reviews", params={"unit": unit, "limit": 1}, headers=h).json()
    assert by_unit["items"] and {i["unit"] for i in by_unit["items"]} == {unit}
    following = service.client.get(by_unit["next"], headers=h).json()  # the Chinese filter survives the link
    assert following["items"] and {i["unit"] for i in following["items"]} == {unit}
    assert following["items"][0]["id"] != by_unit["items"][0]["id"]
    bad = service.client.get("/v1/reviews", params={"limit": 0}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid-request"


def test_stats_count_by_verdict_kind_rule_unit_and_month(service):
    h = service.headers("submitter")
    before = service.client.get("/v1/stats", headers=h).json()
    service.submit("submitter", dossier_bytes(titled("统计测试", late_review())))
    after = service.client.get("/v1/stats", headers=h).json()
    assert after["reviews"] == before["reviews"] + 1
    assert after["by_verdict"]["blocked"] == before["by_verdict"].get("blocked", 0) + 1
    rule = "MAD-LEGALITY-REVIEW-BEFORE-MEETING"
    assert after["by_rule"][rule] == before["by_rule"].get(rule, 0) + 1
    assert sum(after["by_month"].values()) == after["reviews"] == sum(after["by_kind"].values())
    theirs = service.client.get("/v1/stats", headers=service.headers("other_submitter")).json()
    everyone = service.client.get("/v1/stats", headers=service.headers("admin")).json()
    assert everyone["reviews"] == after["reviews"] + theirs["reviews"]


def test_rules_checklists_and_the_dossier_schema(service):
    h = service.headers("submitter")
    rules = service.client.get("/v1/rules", headers=h).json()
    assert {r["id"] for r in rules} == {r.id for r in rulebook().rules}
    one = service.client.get("/v1/rules/MAD-LEGALITY-REVIEW-BEFORE-MEETING", headers=h).json()
    assert one["basis"][0]["article"] and one["cases"] and one["fix"]
    assert service.client.get("/v1/rules/NO-SUCH", headers=h).json()["error"]["code"] == "rule-not-found"
    cl = service.client.get("/v1/checklists/major-decision", headers=h).json()
    assert {i["id"] for i in cl["items"]} == {i.id for i in load_checklist("major-decision").items}
    assert service.client.get("/v1/checklists/nothing", headers=h).status_code == 404
    schema = service.client.get("/v1/schema/dossier", headers=h).json()
    from prereview.engine.dossier import dossier_schema
    assert schema == dossier_schema() and len(schema["anyOf"]) >= 2


def test_every_report_format_renders_from_the_record(service):
    created = service.submit("submitter", WUWEI.read_bytes()).json()
    h = service.headers("submitter")
    for key, marker in (("report_html", b"MAD-LEGALITY-REVIEW-BEFORE-MEETING"), ("report_md", b"MAD-LEGALITY"),
                        ("opinion_html", "合法性审查意见书".encode()), ("opinion_md", "审查意见".encode())):
        r = service.client.get(created["links"][key], headers=h)
        assert r.status_code == 200 and marker in r.content, key
    pdf = service.client.get(created["links"]["opinion_pdf"], headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    sarif = service.client.get(created["links"]["sarif"], headers=h).json()
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["MAD-LEGALITY-REVIEW-BEFORE-MEETING"]
    # the same report whenever it is asked for: stamped with the review's time, not the request's
    first = service.client.get(created["links"]["report_md"], headers=h).content
    assert service.client.get(created["links"]["report_md"], headers=h).content == first


def test_records_cannot_be_updated_or_deleted(service):
    created = service.submit("submitter", dossier_bytes(titled("不可更改", late_review()))).json()
    item = _reviewer_item()
    assert service.client.put(created["links"]["answers"], headers=service.headers("reviewer"), json={"answers": {
        item.id: {"result": "符合", "reviewer": "张三", "date": "2025-05-15"}}}).status_code == 200
    with service.api.state.engine.connect() as conn:
        for sql in ("update reviews set verdict = 'blocked' where id = :i", "delete from reviews where id = :i",
                    "delete from access_events", "update answer_events set answers = '{}' where review_id = :i",
                    "delete from review_findings"):
            with pytest.raises(sqlalchemy.exc.DatabaseError, match="immutable"):
                conn.execute(sqlalchemy.text(sql), {"i": created["id"]})
            conn.rollback()


def test_tokens_are_stored_as_hashes_and_a_revoked_one_is_refused(service):
    token = service.tokens["other_reviewer"]
    secret = token.split("_", 2)[2]
    with service.api.state.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sqlalchemy.text("select * from tokens"))]
    stored = repr(rows)
    assert secret not in stored and token not in stored
    assert hashlib.sha256(secret.encode()).hexdigest() in stored
    if backend(service) == "sqlite":  # nor anywhere in the database's files
        data = b"".join(p.read_bytes() for p in service.settings.data_dir.glob("prereview.sqlite3*"))
        assert secret.encode() not in data and hashlib.sha256(secret.encode()).hexdigest().encode() in data
    h = service.headers("admin")
    made = service.client.post("/v1/tokens", json={"org": "白银市司法局", "role": "submitter", "name": "临时"}, headers=h)
    assert made.status_code == 201
    new = made.json()["token"]
    assert service.client.get("/v1/rules", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert all("token" not in t for t in service.client.get("/v1/tokens", headers=h).json())
    assert service.client.delete(f"/v1/tokens/{made.json()['id']}", headers=h).status_code == 200
    r = service.client.get("/v1/rules", headers={"Authorization": f"Bearer {new}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert service.client.get("/v1/rules", headers={"Authorization": new[:-1] + "x"}).status_code == 401


def test_reads_are_logged_as_access_events_without_the_partys_data(service, caplog):
    path = EXAMPLES / "lanzhou-market-fine-hearing.yaml"
    raw = path.read_bytes()
    import yaml
    party = yaml.safe_load(raw)["decision"]["party"]
    caplog.set_level(logging.DEBUG)
    created = service.submit("submitter", raw).json()
    for key in ("self", "report_html", "dossier"):
        service.client.get(created["links"][key], headers=service.headers("reviewer"))
    service.client.get(created["links"]["self"], headers=service.headers("other_reviewer"))  # 404, logged too
    events = service.client.get("/v1/access-events", params={"review_id": created["id"]},
                                headers=service.headers("admin")).json()
    actions = [(e["action"], e["status"], e["org"]) for e in reversed(events)]
    assert actions == [("submit", 201, "武威市司法局"), ("read", 200, "武威市司法局"),
                       ("report.html", 200, "武威市司法局"), ("dossier", 200, "武威市司法局"),
                       ("read", 404, "金昌市司法局")]
    logged = "\n".join(r.getMessage() for r in caplog.records) + json.dumps(events, ensure_ascii=False)
    for value in (party["name"], party.get("id_number")):
        if value:
            assert value not in logged


def test_the_database_is_durable_on_commit(service):
    with service.api.state.engine.connect() as conn:
        if backend(service) == "sqlite":
            assert conn.execute(sqlalchemy.text("pragma journal_mode")).scalar() == "wal"
            assert conn.execute(sqlalchemy.text("pragma synchronous")).scalar() == 2  # FULL
        else:
            assert conn.execute(sqlalchemy.text("show synchronous_commit")).scalar() == "on"
            assert conn.execute(sqlalchemy.text("show fsync")).scalar() == "on"


def test_a_record_is_read_against_the_checklist_and_materials_list_it_was_made_with(service, monkeypatch,
                                                                                    tmp_path):
    """A report asked for after the checklists changed says what it said the day the review was made."""
    from prereview.engine import checklist as checklist_mod

    created = service.submit("submitter", WUWEI.read_bytes()).json()
    item = _reviewer_item()
    h = service.headers("submitter")
    before = service.client.get(created["links"]["report_html"], headers=h).text
    assert item.title in before and "重大行政决策送审材料清单" in before

    # the next release rewords the materials list and drops the reviewer item
    today = checklist_mod.default_checklists_dir()
    for name in ("major-decision.yaml", "major-decision-materials.yaml"):
        text = (today / name).read_text("utf-8")
        text = text.replace("重大行政决策送审材料清单", "重大行政决策送审材料目录（新版）")
        if name == "major-decision.yaml":
            items = text.split("\n  - id: ")
            text = "\n  - id: ".join(part for part in items if not part.startswith(item.id + "\n"))
        (tmp_path / name).write_text(text, "utf-8")
    monkeypatch.setattr(checklist_mod, "default_checklists_dir", lambda: tmp_path)
    assert item.id not in [i.id for i in load_checklist("major-decision").items]

    assert service.client.get(created["links"]["report_html"], headers=h).text == before
    body = {"answers": {item.id: {"result": "不符合", "note": "旧清单中的审查项", "reviewer": "张三", "date": "2025-05-15"}}}
    r = service.client.put(created["links"]["answers"], json=body, headers=service.headers("reviewer"))
    assert r.status_code == 200, r.text
    assert [f["rule_id"] for f in r.json()["answers"]["findings"] if f["rule_id"] == item.id] == [item.id]
    # a review made now is read against the new files
    later = service.submit("submitter", WUWEI.read_bytes()).json()
    now_html = service.client.get(later["links"]["report_html"], headers=h).text
    assert "重大行政决策送审材料目录（新版）" in now_html and item.title not in now_html
    with service.api.state.sessions() as db:  # each version of a file stored once
        names = db.execute(sqlalchemy.text("select name from reference_documents where name like 'major-decision%'"))
        assert sorted(n for (n,) in names) == ["major-decision-materials.yaml"] * 2 + ["major-decision.yaml"] * 2
