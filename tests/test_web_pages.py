"""The web pages without a browser (TestClient, real worker process, SQLite in a temporary folder): who may open
which page, the session cookie and CSRF, escaping, answers stored as the API's events, and the view helpers."""
from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest
import sqlalchemy
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.routing import Route

from prereview.api import web
from prereview.api.service import tokens
from prereview.api.service.db import AnswerEvent, ReviewRecord
from prereview.api.web import session as sessions
from prereview.api.web import views

from helpers import EXAMPLES, base_data
from service_fixtures import dossier_bytes, late_review, service, titled  # noqa: F401 (fixture)

WUWEI = EXAMPLES / "wuwei-old-town-renewal.yaml"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)


class Browser:
    """A TestClient with its own cookies, signed in as one of the service's tokens."""

    def __init__(self, svc, who: str | None):
        self.client = TestClient(svc.client.app, raise_server_exceptions=False)
        if who:
            page = self.client.get("/web/login")
            r = self.client.post("/web/login", data={"csrf": _csrf(page.text), "token": svc.tokens[who], "next": "/web/"},
                                 follow_redirects=False)
            assert r.status_code == 303, r.text

    def csrf(self) -> str:
        return _csrf(self.client.get("/web/login").text)

    def get(self, url, **kw):
        return self.client.get(url, follow_redirects=False, **kw)

    def post(self, url, data=None, files=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data["csrf"] = self.csrf()
        return self.client.post(url, data=data, files=files, follow_redirects=False, **kw)

    def submit(self, raw: bytes, supersedes: str = "") -> str:
        r = self.post("/web/submit", {"supersedes": supersedes} if supersedes else {},
                      files={"file": ("卷宗.yaml", raw, "application/yaml")})
        assert r.status_code == 303, r.text
        return re.search(r"/reviews/([0-9a-f]{32})", r.headers["location"]).group(1)


@pytest.fixture(scope="module")
def people(service):
    return {who: Browser(service, who) for who in ("submitter", "reviewer", "admin", "other_reviewer")}


@pytest.fixture(scope="module")
def review(people):
    return people["submitter"].submit(WUWEI.read_bytes())


# ------------------------------------------------------------------------------------------ who may open what

# path -> status for (no session, submitter, reviewer, other organisation's reviewer); POSTs are sent with the
# session's CSRF token (without one every POST is 403: test_a_post_without_its_csrf_token_is_refused).
SIGN_IN = 303  # to the sign-in page
OWN = (SIGN_IN, 200, 200, 404)
TABLE = {
    ("GET", "/static/{name}"): (200, 200, 200, 200),
    ("GET", "/login"): (200, 200, 200, 200),
    ("POST", "/login"): (401, 401, 401, 401),          # with a wrong token
    ("POST", "/logout"): (303, 303, 303, 303),
    ("GET", "/"): (SIGN_IN, 200, 200, 200),
    ("GET", "/submit"): (SIGN_IN, 200, 200, 200),
    ("POST", "/submit"): (SIGN_IN, 303, 403, 403),
    ("GET", "/stats"): (SIGN_IN, 200, 200, 200),
    ("GET", "/reviews/{review_id}"): OWN,
    ("GET", "/reviews/{review_id}/dossier"): OWN,
    ("GET", "/reviews/{review_id}/checklist"): OWN,
    ("POST", "/reviews/{review_id}/checklist"): (SIGN_IN, 403, 303, 404),
    ("GET", "/reviews/{review_id}/changes"): OWN,
    ("GET", "/reviews/{review_id}/report.html"): OWN,
    ("GET", "/reviews/{review_id}/report.pdf"): OWN,
    ("GET", "/reviews/{review_id}/opinion.html"): OWN,
    ("GET", "/reviews/{review_id}/opinion.pdf"): OWN,
}
WHO = (None, "submitter", "reviewer", "other_reviewer")


def _web_app(service):
    return next(r.app for r in service.api.routes if getattr(r, "path", "") == "/web")


def test_every_page_has_a_row_and_every_row_a_page(service):
    pages = {(m, r.path) for r in _web_app(service).routes if isinstance(r, Route) for m in r.methods - {"HEAD"}}
    assert pages == set(TABLE)


def test_the_pages_stay_out_of_the_api_schema(service):
    assert not [p for p in service.api.openapi()["paths"] if p.startswith("/web")]


@pytest.mark.parametrize("endpoint", sorted(TABLE), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_role_gets_what_the_table_says(service, people, review, endpoint):
    method, path = endpoint
    url = "/web" + path.format(review_id=review, name="web.css")
    got = []
    for who in WHO:
        b = Browser(service, who) if who is None or path == "/logout" else people[who]  # sign-out on a copy
        if method == "GET":
            r = b.get(url)
        elif path == "/login":
            r = b.post(url, {"token": "prv_0000000000000000_x"})
        elif path == "/submit":
            r = b.post(url, files={"file": ("卷宗.yaml", dossier_bytes(titled(f"{who} 表格")), "application/yaml")})
        elif path.endswith("/checklist"):
            r = b.post(url, {"item": "MD-AUTH-01", "result": "符合", "note": ""})
        else:
            r = b.post(url)
        got.append(r.status_code)
        if r.status_code == SIGN_IN and who is None:
            assert r.headers["location"].startswith("/web/login")
        if r.status_code == 404:
            assert "没有这个审查记录" in r.text and "武威市凉州区" not in r.text
    assert tuple(got) == TABLE[endpoint]


def test_an_unknown_review_and_an_unknown_page_are_html_404s(people):
    b = people["submitter"]
    r = b.get("/web/reviews/" + "0" * 32)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html") and "没有这个审查记录" in r.text
    r = b.get("/web/nowhere")
    assert r.status_code == 404 and "没有这个页面" in r.text


# ------------------------------------------------------------------------------------------ session and CSRF

def test_a_post_without_its_csrf_token_is_refused(service, people):
    b = people["submitter"]
    with service.api.state.sessions() as db:
        before = db.scalar(select(func.count()).select_from(ReviewRecord))
    files = {"file": ("卷宗.yaml", WUWEI.read_bytes(), "application/yaml")}
    assert b.post("/web/submit", files=files, csrf=False).status_code == 403
    assert b.post("/web/submit", {"csrf": "0" * 64}, files=files, csrf=False).status_code == 403
    other = Browser(service, "submitter").csrf()  # another session's token is no good here
    assert b.post("/web/submit", {"csrf": other}, files=files, csrf=False).status_code == 403
    cross = b.post("/web/submit", files=files, headers={"origin": "http://evil.example"})
    assert cross.status_code == 403 and "CSRF" in cross.text
    with service.api.state.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ReviewRecord)) == before


def test_the_session_cookie_is_httponly_samesite_and_tamper_proof(service):
    b = Browser(service, None)
    page = b.client.get("/web/login")
    r = b.client.post("/web/login", data={"csrf": _csrf(page.text), "token": service.tokens["reviewer"]},
                      follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/web" in cookie
    value = b.client.cookies.get(sessions.COOKIE)
    assert b.get("/web/").status_code == 200
    payload, _, signature = value.partition(".")
    forged = sessions._b64(json.dumps({"t": "x" * 16, "n": "n", "at": int(time.time())}).encode())
    for bad in (forged + "." + signature, payload + "." + signature[:-2] + "AA", "garbage"):
        b.client.cookies.set(sessions.COOKIE, bad, path="/web")
        assert b.get("/web/").status_code == SIGN_IN


def test_an_old_session_and_a_revoked_token_end_at_once(service):
    key = _web_app(service).state.key
    with service.api.state.sessions() as db:
        row, secret = tokens.create(db, "武威市司法局", "reviewer", "临时")
    old = sessions.Session(row.id, "nonce", int(time.time()) - sessions.LIFETIME - 60)
    b = Browser(service, None)
    b.client.cookies.set(sessions.COOKIE, sessions.dump(old, key), path="/web")
    assert b.get("/web/").status_code == SIGN_IN
    b.client.cookies.set(sessions.COOKIE, sessions.dump(sessions.new_session(row.id), key), path="/web")
    assert b.get("/web/").status_code == 200
    with service.api.state.sessions() as db:
        tokens.revoke(db, row.id)
    assert b.get("/web/").status_code == SIGN_IN


def test_sign_in_goes_back_only_to_a_page_of_this_site(service):
    b = Browser(service, None)
    for target, expected in (("/web/stats", "/web/stats"), ("//evil.example/web/", "/web/"),
                             ("https://evil.example/", "/web/"), ("/web/\\evil", "/web/")):
        csrf = _csrf(b.client.get("/web/login").text)
        r = b.client.post("/web/login", data={"csrf": csrf, "token": service.tokens["reviewer"], "next": target},
                          follow_redirects=False)
        assert r.headers["location"] == expected


def test_pages_carry_a_content_security_policy_and_only_the_services_own_scripts(people):
    r = people["submitter"].get("/web/")
    policy = r.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "unsafe" not in policy
    assert "<script" not in r.text.split("<body>")[1]  # no inline script in the page
    assert re.findall(r'<script src="([^"]+)"', r.text) == ["/web/static/htmx-2.0.11.min.js", "/web/static/web.js"]


def test_the_vendored_htmx_is_the_pinned_file_and_other_names_are_404(people):
    import hashlib
    r = people["submitter"].get("/web/static/htmx-2.0.11.min.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert hashlib.sha256(r.content).hexdigest() == "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
    for name in ("..%2F__init__.py", "VENDORED.md", "nothing.js"):
        assert people["submitter"].get(f"/web/static/{name}").status_code == 404


# ------------------------------------------------------------------------------------------ what the pages do

def test_an_invalid_dossier_lists_its_problems_by_line_and_nothing_is_stored(service, people):
    b = people["submitter"]
    text = dossier_bytes().decode("utf-8").replace("stage: archived", "stage: 不存在的阶段")
    with service.api.state.sessions() as db:
        before = db.scalar(select(func.count()).select_from(ReviewRecord))
    r = b.post("/web/submit", {"text": text})
    assert r.status_code == 422
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "不存在的阶段" in l)
    item = re.search(rf'<li id="L{line}" class="has-problem">.*?</li>', r.text, re.S).group(0)
    assert '<p class="problem"' in item and f"第{line}行" in item
    assert f'href="#L{line}"' in r.text  # the summary links to the line
    with service.api.state.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ReviewRecord)) == before


def test_an_upload_over_the_body_limit_is_a_page_that_says_so_and_nothing_is_stored(service, people):
    big = b"# " + b"x" * (service.settings.body_limit + 10)
    with service.api.state.sessions() as db:
        before = db.execute(sqlalchemy.text("select count(*) from reviews")).scalar()
    r = people["submitter"].post("/web/submit", files={"file": ("卷宗.yaml", big, "application/yaml")})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert "超过上限" in r.text and "未保存" in r.text
    with service.api.state.sessions() as db:
        assert db.execute(sqlalchemy.text("select count(*) from reviews")).scalar() == before


def test_an_empty_submission_asks_for_a_file_or_text(people):
    r = people["submitter"].post("/web/submit", {"text": "  "})
    assert r.status_code == 422 and "请选择卷宗文件" in r.text


def test_a_reviewer_sees_no_submit_form(people):
    html = people["reviewer"].get("/web/submit").text
    assert "卷宗由送审人员提交" in html and 'name="file"' not in html
    assert 'href="/web/submit"' not in html  # nor the link in the navigation


def test_markup_in_a_title_is_escaped_on_every_page(service, people):
    b = people["submitter"]
    title = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    rid = b.submit(dossier_bytes(titled(title)))
    for url in ("/web/", f"/web/reviews/{rid}", f"/web/reviews/{rid}/checklist", f"/web/reviews/{rid}/dossier"):
        html = b.get(url).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_a_checklist_answer_is_an_answer_event_the_api_reports(service, people):
    rid = people["submitter"].submit(dossier_bytes())
    reviewer = people["reviewer"]
    r = reviewer.post(f"/web/reviews/{rid}/checklist", {"item": "MD-PROC-08", "result": "不符合", "note": "未分项作出结论"})
    assert r.status_code == 303 and r.headers["location"].endswith("#item-MD-PROC-08")
    r = reviewer.post(f"/web/reviews/{rid}/checklist", {"item": "MD-AUTH-01", "result": "符合", "note": ""})
    with service.api.state.sessions() as db:
        events = list(db.scalars(select(AnswerEvent).where(AnswerEvent.review_id == rid).order_by(AnswerEvent.id)))
    assert len(events) == 2
    assert set(json.loads(events[-1].answers)["answers"]) == {"MD-PROC-08", "MD-AUTH-01"}  # each event is whole
    api = service.client.get(f"/v1/reviews/{rid}", headers=service.headers("reviewer")).json()
    assert api["answers"]["verdict"] == "fix-then-submit"
    assert api["answers"]["answers"]["MD-PROC-08"]["reviewer"] == "reviewer"
    page = reviewer.get(f"/web/reviews/{rid}/checklist").text
    assert "补正后可提交" in page
    history = re.findall(r"<tr><td class=\"nowrap\">[^<]+</td><td>([^<]+)</td><td>([^<]+)</td></tr>",
                         page.split("作答记录")[1])
    assert history == [("reviewer", "决策事项是否属于决策机关的法定权限：符合"),  # newest first, each its own change
                       ("reviewer", "合法性审查意见是否就权限、程序、内容三项分别作出明确结论：不符合")]
    bad = reviewer.post(f"/web/reviews/{rid}/checklist", {"item": "MD-AUTH-02", "result": "不符合", "note": ""})
    assert bad.status_code == 422 and "须在说明中写明问题" in bad.text
    unknown = reviewer.post(f"/web/reviews/{rid}/checklist", {"item": "NO-SUCH", "result": "符合", "note": ""})
    assert unknown.status_code == 422 and "清单中没有这一审查项" in unknown.text
    with service.api.state.sessions() as db:
        assert db.scalar(select(func.count()).select_from(AnswerEvent).where(AnswerEvent.review_id == rid)) == 2


def test_a_resubmission_shows_the_structured_change_and_the_findings_fixed(people):
    b = people["submitter"]
    old = b.submit(dossier_bytes(late_review()))
    r = b.post("/web/submit", {"supersedes": old}, files={"file": ("补正.yaml", dossier_bytes(), "application/yaml")})
    assert r.status_code == 303 and r.headers["location"].endswith("/changes")
    html = b.get(r.headers["location"]).text
    fixed = html.split('id="fixed"')[1].split('id="new"')[0]
    assert "合法性审查意见应在集体讨论前出具" in fixed
    assert "审查意见出具日期" in html and "2025-05-25" in html
    assert "opinion_on" not in html  # words, not field names
    listed = b.get("/web/").text
    assert listed.count(f"/web/reviews/{old}\"") == 0  # the list shows the newest version only
    assert "第2版" in listed


def test_the_list_filters_by_status_and_pages(service, people, monkeypatch):
    b = people["submitter"]
    b.submit(dossier_bytes(titled("分页一")))
    b.submit(dossier_bytes(titled("分页二")))
    monkeypatch.setattr(web, "PAGE", 1)
    first = b.get("/web/").text
    assert "第 1 /" in first and 'rel="next"' in first
    second = b.get("/web/?page=2").text
    assert "分页二" in first and "分页一" in second  # newest first
    fixing = b.get("/web/?status=" + views.STATUS_FIXING).text
    assert "共 0 件" in fixing
    monkeypatch.setattr(web, "PAGE", 100)
    assert "分页一" in b.get("/web/?status=" + views.STATUS_PENDING).text  # nothing answered yet


def test_the_statistics_chart_has_one_bar_per_count(people):
    html = people["submitter"].get("/web/stats").text
    section = html.split("按预审结论")[1].split("</section>")[0]
    bars = re.findall(r'<rect x="\d+" y="[\d.]+" width="[\d.]+"', section)
    rows = re.findall(r"<tr><td>[^<]+</td><td>(\d+)</td></tr>", section)
    assert bars and len(bars) == len(rows)
    total = int(re.search(r'id="stats-total">(\d+)<', html).group(1))
    assert sum(map(int, rows)) == total


def test_documents_download_from_the_record(people, review):
    b = people["submitter"]
    pdf = b.get(f"/web/reviews/{review}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    html = b.get(f"/web/reviews/{review}/opinion.html")
    assert html.status_code == 200 and "武威市凉州区老城区城市更新实施方案" in html.text
    assert "default-src 'none'" in html.headers["content-security-policy"]


# ------------------------------------------------------------------------------------------ the view helpers

def test_status_follows_the_answers_and_the_verdict():
    assert views.status("pass", 3) == views.STATUS_PENDING
    assert views.status("pass", 0) == views.STATUS_DONE
    assert views.status("blocked", 0) == views.STATUS_FIXING
    assert views.status("fix-then-submit", 1) == views.STATUS_PENDING


def test_the_list_shows_a_review_as_done_once_every_item_is_answered(service, people):
    """Answered through the API (the same events), every manual item of the record's checklist: 已出具意见."""
    from prereview.engine.checklist import load_checklist
    b = people["submitter"]
    rid = b.submit(dossier_bytes(titled("全部作答的卷宗")))
    items = [i.id for i in load_checklist("major-decision").items if i.decided_by == "reviewer"]
    answers = {i: {"result": "符合", "reviewer": "张三", "date": "2025-05-15"} for i in items}
    r = service.client.put(f"/v1/reviews/{rid}/answers", json={"answers": answers}, headers=service.headers("reviewer"))
    assert r.status_code == 200, r.text
    done = b.get("/web/?status=" + views.STATUS_DONE).text
    assert "全部作答的卷宗" in done and f"/web/reviews/{rid}" in done
    assert "全部作答的卷宗" not in b.get("/web/?status=" + views.STATUS_PENDING).text


def test_a_planned_meeting_counts_working_days_with_the_calendar():
    from prereview.engine.calendar import load_calendar
    from helpers import load_data

    data = base_data()
    data["decision"]["stage"] = "pre-meeting"
    data["steps"] = [s for s in data["steps"] if s["type"] not in ("party-report", "publication", "archiving")]
    for s in data["steps"]:
        if s["type"] == "collective-discussion":
            s["held_on"] = "2026-10-09"
    dossier = load_data(data).dossier
    today = dt.date(2026, 9, 28)
    got = views.meeting("major-decision", dossier, today)
    # the National Day holiday lies between: fewer working days than calendar days, as the calendar counts them
    assert got["planned"] and got["days_left"] == load_calendar().working_days_between(today, dt.date(2026, 10, 9))
    assert got["days_left"] < (dt.date(2026, 10, 9) - today).days
    assert f"尚余 {got['days_left']} 个工作日" == got["text"] and not got["overdue"]
    late = views.meeting("major-decision", dossier, dt.date(2026, 10, 12))
    assert late["overdue"] and "已过拟讨论日期 3 日" == late["text"]
    decided = views.meeting("major-decision", load_data(base_data()).dossier, today)
    assert not decided["planned"] and decided["text"] == "已召开"


def test_dossier_changes_name_steps_and_fields_in_words():
    old, new = late_review(), base_data()
    new["materials"] = new["materials"][1:]
    changes = views.dossier_changes("major-decision", old, new)
    step = next(s for s in changes["steps"] if s["label"] == "合法性审查")
    assert step["change"] == "修改"
    assert step["fields"] == [{"label": "审查意见出具日期", "change": "修改", "old": "2025-05-25",
                               "new": next(s["opinion_on"] for s in new["steps"] if s["type"] == "legality-review")}]
    assert changes["materials"][0]["change"] == "删除"
    text = json.dumps(changes, ensure_ascii=False)
    assert "opinion_on" not in text and "steps[" not in text


def test_a_field_path_reads_as_the_step_and_the_field():
    data = late_review()
    index = next(i for i, s in enumerate(data["steps"]) if s["type"] == "legality-review")
    assert views.field_label("major-decision", data, f"steps[{index}].opinion_on") == "合法性审查 · 审查意见出具日期"
    assert views.field_label("major-decision", data, "decision.stage") == "卷宗所处阶段"
    meeting = next(i for i, s in enumerate(data["steps"]) if s["type"] == "collective-discussion")
    assert views.field_label("major-decision", data, f"steps[{meeting}].held_on") == "集体讨论决定 · 日期"
    assert views.field_label("major-decision", data, f"steps[{meeting}].meeting_name") == "集体讨论决定 · 会议名称"
    assert views.field_label("major-decision", data, f"steps[{meeting}].meeting") == "集体讨论决定"  # no trailing dot


@pytest.mark.parametrize("example", ["baiyin-ecology-stop-production.yaml", "baiyin-old-community-renovation.yaml",
                                     "pingliang-school-layout.json", "zhangye-wetland-protection.yaml"])
def test_each_kind_of_dossier_reads_in_words_with_its_evidence_linked(people, example):
    """An enforcement decision, a normative document, a JSON dossier and a major decision: every page opens, every
    finding's evidence line links to the dossier listing, and the evidence is named in words, not field paths."""
    b = people["submitter"]
    raw = (EXAMPLES / example).read_bytes()
    rid = b.submit(raw)
    page = b.get(f"/web/reviews/{rid}").text
    for suffix in ("/checklist", "/dossier", "/report.html", "/opinion.html"):
        assert b.get(f"/web/reviews/{rid}{suffix}").status_code == 200, suffix
    findings = re.findall(r'<article class="finding.*?</article>', page, re.S)
    assert findings
    lines = len(raw.decode("utf-8").splitlines())
    for f in findings:
        links = [int(n) for n in re.findall(rf'href="/web/reviews/{rid}/dossier#L(\d+)"', f)]
        assert links and all(1 <= n <= lines for n in links)
        evidence = f.split("卷宗位置")[1].split("整改")[0]
        assert not re.search(r"[a-z_]+\[\d+\]|\b[a-z]+_[a-z_]+\b", re.sub(r'<[^>]+>', "", evidence)), evidence


@pytest.mark.parametrize("days", [10, -3], ids=["ahead", "passed"])
def test_the_list_shows_a_planned_meeting_with_its_working_days_or_overdue(people, days):
    today = web._today()
    data = titled(f"拟讨论卷宗{days}")
    data["decision"]["stage"] = "pre-meeting"
    data["steps"] = [s for s in data["steps"] if s["type"] not in ("party-report", "publication", "archiving")]
    for s in data["steps"]:
        if s["type"] == "collective-discussion":
            s["held_on"] = (today + dt.timedelta(days=days)).isoformat()
    b = people["submitter"]
    rid = b.submit(dossier_bytes(data))
    from helpers import load_data
    expected = views.meeting("major-decision", load_data(data).dossier, today)
    html = b.get("/web/?" + "kind=major-decision").text
    row = next(r for r in re.findall(r"<tr.*?</tr>", html, re.S) if f"/web/reviews/{rid}" in r)
    assert expected["text"] in row and expected["date"] in row
    assert ("已逾期" in row) is (days < 0) and ('class="overdue"' in row) is (days < 0)
    if days > 0 and "days_left" in expected:  # inside the calendar's years
        assert f"尚余 {expected['days_left']} 个工作日" in row
