"""The reviewers' web pages, server-rendered on the review service (mounted at /web by create_app).

Plain HTML forms (no JavaScript needed), Jinja2 with autoescaping, nothing fetched from outside the service.
Where the browser runs JavaScript, the vendored htmx (static/) swaps an answered checklist item and the verdict in
place: it selects them from the same full page the plain form gets (hx-select), so page and fragment cannot drift
and no fragment templates are needed.
Every page goes through the same code as the /v1 API: `_get` (organisation isolation: another organisation's
review is 404), `_submit` (validation, worker pool, record, 补正 comparison) and `_answer` (answer events).
Signing in with a token gives a signed session cookie (session.py); every POST form carries a CSRF token.
The pages are a sub-application, so their errors are HTML pages and they stay out of the API's OpenAPI schema.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from prereview.api.service import http as service
from prereview.api.service import tokens as tokens_mod
from prereview.api.service.db import AnswerEvent, FindingRow, ReviewRecord, Token
from prereview.api.service.records import Comparison, loads
from prereview.api.service.tokens import Principal
from prereview.engine import app as engine_app
from prereview.engine import kinds
from prereview.engine.checklist import References, load_checklist
from prereview.engine.rulebook import SEVERITY_LABELS
from prereview.engine.source import parse_bytes
from prereview.reports.common import display_path
from prereview.reports.fetcher import HERE as REPORTS
from prereview.reports.view import KIND_LABELS, build_context, cn_date

from . import session as sessions
from . import views

HERE = Path(__file__).parent
PREFIX = "/web"
PAGE = 20
CHINA = dt.timezone(dt.timedelta(hours=8))
ROLE_LABELS = {"submitter": "送审人员", "reviewer": "审查人员", "admin": "管理员"}
RESULTS = ("符合", "不符合", "不适用")
# the list's filter spans kinds, whose own labels differ (不得提交集体讨论 / 不得作出决定 …)
VERDICT_FILTER = {"pass": "通过", "fix-then-submit": "须补正", "blocked": "不得提交或作出"}
DOCUMENTS = {"report": "预审报告", "opinion": "审查意见书草稿"}
HTMX = "htmx-2.0.11.min.js"  # vendored (static/VENDORED.md): the checklist's answers swap in place
STATIC = {"web.css": "text/css; charset=utf-8", "web.js": "text/javascript; charset=utf-8",
          HTMX: "text/javascript; charset=utf-8"}
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def _today() -> dt.date:
    return dt.datetime.now(CHINA).date()


_env = Environment(
    loader=ChoiceLoader([FileSystemLoader(str(HERE / "templates")),
                         # the report's own partials (the timeline SVG), so page and report draw the same
                         PrefixLoader({"report": FileSystemLoader(str(REPORTS / "templates"))})]),
    autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters["cn_date"] = cn_date


class SignIn(Exception):
    """No valid session: the page asks to sign in first."""


class Refused(Exception):
    def __init__(self, status: int, title: str, message: str):
        self.status, self.title, self.message = status, title, message


def mount(api: FastAPI) -> None:
    """Mount the pages on the service's FastAPI application at /web."""
    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    web.state.api = api
    web.state.key = sessions.session_key(api.state.settings.data_dir)
    _pages(web)

    @web.exception_handler(SignIn)
    async def _sign_in(request: Request, _exc):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{PREFIX}/login?{urlencode({'next': target})}", status_code=303)

    @web.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused):
        return _page(request, "error.html.j2", {"title": exc.title, "message": exc.message}, status=exc.status)

    @web.exception_handler(service.ApiError)
    async def _api_error(request: Request, exc: service.ApiError):
        title = {404: "没有这个审查记录", 403: "无权执行此操作"}.get(exc.status, "请求未能完成")
        return _page(request, "error.html.j2", {"title": title, "message": exc.message}, status=exc.status)

    @web.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        title = {404: "没有这个页面", 405: "不支持此请求方法"}.get(exc.status_code, "请求未能完成")
        return _page(request, "error.html.j2", {"title": title, "message": "请从导航栏重新进入。"},
                     status=exc.status_code)

    @web.exception_handler(Exception)
    async def _internal(request: Request, _exc: Exception):
        # like the API: the text may quote a dossier, so it is neither shown nor logged
        return _page(request, "error.html.j2", {"title": "服务内部错误", "message": "请稍后重试或联系管理员。"},
                     status=500)

    api.mount(PREFIX, web)


# ------------------------------------------------------------------------------------------ plumbing

def _state(request: Request):
    return request.app.state.api.state


def _key(request: Request) -> bytes:
    return request.app.state.key


def _session(request: Request) -> sessions.Session | None:
    return sessions.load(request.cookies.get(sessions.COOKIE), _key(request))


def _principal(request: Request, db) -> Principal | None:
    s = _session(request)
    if s is None or not s.token_id:
        return None
    row = db.get(Token, s.token_id)
    if row is None or row.revoked_at is not None:
        return None
    return Principal(row.id, row.name, row.org, row.role)


def _who(request: Request, db) -> Principal:
    who = _principal(request, db)
    if who is None:
        raise SignIn()
    return who


def _set_cookie(request: Request, response: Response, s: sessions.Session | None) -> None:
    if s is None:
        response.delete_cookie(sessions.COOKIE, path=PREFIX)
        return
    response.set_cookie(sessions.COOKIE, sessions.dump(s, _key(request)), max_age=sessions.LIFETIME, path=PREFIX,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")


def _page(request: Request, template: str, ctx: dict, status: int = 200, who: Principal | None = None,
          new_session: sessions.Session | None = None) -> HTMLResponse:
    s = new_session or _session(request)
    fresh = s is None
    if fresh:  # a visitor without a session gets one, so even the sign-in form has a CSRF token
        s = sessions.new_session()
    if who is None and s.token_id:
        with _state(request).sessions() as db:
            who = _principal(request, db)
    html = _env.get_template(template).render(
        who=who, role_label=ROLE_LABELS.get(who.role, "") if who else "", csrf=s.csrf(_key(request)), htmx=HTMX,
        prefix=PREFIX, path=request.url.path, **ctx)
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    if fresh or new_session is not None:
        _set_cookie(request, response, s)
    return response


async def _form(request: Request):
    """The posted form, once its CSRF token matches the session's; otherwise 403."""
    form = await request.form()
    origin = request.headers.get("origin")
    same = origin is None or origin == f"{request.url.scheme}://{request.headers.get('host', '')}"
    if not same or not sessions.csrf_ok(_session(request), form.get("csrf"), _key(request)):
        raise Refused(403, "表单已失效",
                      "表单校验未通过（CSRF 校验失败）：请返回刷新页面后重新提交 (CSRF check failed)。")
    return form


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _safe_next(target: str | None) -> str:
    """Only a page of this site after sign-in (never //elsewhere or a scheme)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


def _result(db, row: ReviewRecord):
    event = service._latest_answers(db, row.id)
    result = service._result(db, row, event)
    if result.checklist is None:  # the record's own checklist (and none for a kind without one)
        result = engine_app.with_answers(result, None)
    return result, event


@lru_cache(maxsize=16)
def _checklist_of(kind: str, raw: bytes):
    return load_checklist(kind, raw=raw)


class _ParsedOnce(References):
    """A record's references whose checklist is parsed once for all the records that share it (the list page
    reads every record of the organisation; parsing the checklist for each took 12 ms a record)."""

    def checklist(self):
        return _checklist_of(self.kind, self.checklist_raw) if self.checklist_raw is not None else None


def _list_refs(db, row: ReviewRecord) -> References:
    refs = service._references(db, row) or References.current(row.kind)
    return _ParsedOnce(refs.kind, refs.checklist_raw, refs.materials_raw)


def _status(result) -> str:
    return views.status(result.verdict, len(result.checklist.pending) if result.checklist else 0)


def _answered(event) -> dict:
    return json.loads(event.answers)["answers"] if event is not None else {}


def _newer(db, row: ReviewRecord) -> ReviewRecord | None:
    return db.scalars(select(ReviewRecord).where(ReviewRecord.supersedes == row.id)
                      .order_by(ReviewRecord.created_at.desc()).limit(1)).first()


def _version(db, row: ReviewRecord) -> int:
    n, current = 1, row
    while current.supersedes and n < 100:
        current = db.get(ReviewRecord, current.supersedes)
        if current is None:
            break
        n += 1
    return n


def _verdict_line(result) -> dict:
    return {"code": result.verdict, "label": result.verdict_label, "counts": views.counts(result.out.findings)}


def _data_of(raw: bytes) -> dict:
    doc, _ = parse_bytes(raw, "dossier")
    return doc.data if doc is not None and isinstance(doc.data, dict) else {}


def _listing(raw: bytes) -> list[str]:
    return raw.decode("utf-8-sig", errors="replace").splitlines() or [""]


# ------------------------------------------------------------------------------------------ pages

def _pages(web: FastAPI) -> None:  # noqa: C901 — one place that lists every page
    @web.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in STATIC:  # only the files named here, never a path
            raise StarletteHTTPException(404)
        return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name],
                        headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})

    @web.get("/login", response_class=HTMLResponse)
    def login(request: Request, next: str | None = None):
        return _page(request, "login.html.j2", {"next": _safe_next(next), "error": ""})

    @web.post("/login", response_class=HTMLResponse)
    async def login_post(request: Request):
        form = await _form(request)
        token = str(form.get("token") or "").strip()
        with _state(request).sessions() as db:
            who = tokens_mod.verify(db, token)
        if who is None:
            return _page(request, "login.html.j2", {"next": _safe_next(str(form.get("next") or "")),
                                                    "error": "令牌无效或已吊销，请核对后重新输入。"}, status=401)
        response = _redirect(_safe_next(str(form.get("next") or "")))
        _set_cookie(request, response, sessions.new_session(who.token_id))  # a new nonce: a new CSRF token
        return response

    @web.post("/logout")
    async def logout(request: Request):
        await _form(request)
        response = _redirect(f"{PREFIX}/login")
        _set_cookie(request, response, None)
        return response

    @web.get("/", response_class=HTMLResponse)
    def reviews(request: Request, kind: str = "", verdict: str = "", status: str = "", unit: str = "",
                since: str = "", until: str = "", page: int = 1):
        with _state(request).sessions() as db:
            who = _who(request, db)
            ctx = _list_context(db, who, kind, verdict, status, unit, since, until, max(page, 1))
            service._audit(db, who, "web:list", None, 200)
        return _page(request, "list.html.j2", ctx, who=who)

    @web.get("/submit", response_class=HTMLResponse)
    def submit_form(request: Request, supersedes: str = ""):
        with _state(request).sessions() as db:
            who = _who(request, db)
            old = service._get(db, who, supersedes, "web:resubmit") if supersedes else None
            ctx = {"old": _summary(db, old) if old else None, "problems": None, "text": "", "error": ""}
        return _page(request, "submit.html.j2", ctx, who=who)

    @web.post("/submit", response_class=HTMLResponse)
    async def submit(request: Request):
        form = await _form(request)
        upload, text = form.get("file"), str(form.get("text") or "")
        supersedes = str(form.get("supersedes") or "") or None
        raw, name = b"", ""
        if isinstance(upload, UploadFile) and upload.filename:
            raw, name = await upload.read(), service._safe_name(upload.filename, "dossier.yaml")
        if not raw and text.strip():
            raw = text.replace("\r\n", "\n").encode("utf-8")
            name = "粘贴的卷宗.json" if text.lstrip().startswith("{") else "粘贴的卷宗.yaml"
        media = "application/json" if name.lower().endswith(".json") else "application/yaml"
        with _state(request).sessions() as db:
            who = _who(request, db)
            old = service._get(db, who, supersedes, "web:resubmit") if supersedes else None
            base = {"old": _summary(db, old) if old else None, "problems": None, "text": text}
            if who.role not in ("submitter", "admin"):
                return _page(request, "submit.html.j2", dict(base, error="您的角色不能提交卷宗，请由送审人员提交。"),
                             status=403, who=who)
            if not raw:
                return _page(request, "submit.html.j2", dict(base, error="请选择卷宗文件，或将卷宗内容粘贴到文本框中。"),
                             status=422, who=who)
            try:
                answer = await run_in_threadpool(service._submit, _state(request).pool, who, db, raw, name, media,
                                                 supersedes, None)
            except service.ApiError as err:
                if err.status != 422 or not err.problems:
                    return _page(request, "submit.html.j2", dict(base, error=err.message), status=err.status, who=who)
                return _page(request, "submit.html.j2",
                             dict(base, error=err.message, problems=_problems_view(raw, name, err.problems)),
                             status=422, who=who)
        new_id = json.loads(answer.body)["id"]
        return _redirect(f"{PREFIX}/reviews/{new_id}/changes" if supersedes else f"{PREFIX}/reviews/{new_id}")

    @web.get("/reviews/{review_id}", response_class=HTMLResponse)
    def review(request: Request, review_id: str):
        with _state(request).sessions() as db:
            who = _who(request, db)
            row = service._get(db, who, review_id, "web:read")
            ctx = _review_context(db, row)
        return _page(request, "review.html.j2", ctx, who=who)

    @web.get("/reviews/{review_id}/dossier", response_class=HTMLResponse)
    def dossier(request: Request, review_id: str):
        with _state(request).sessions() as db:
            who = _who(request, db)
            row = service._get(db, who, review_id, "web:dossier")
            marked = _evidence_lines(row)
            ctx = {"r": _summary(db, row), "lines": _listing(row.dossier), "marked": marked}
        return _page(request, "dossier.html.j2", ctx, who=who)

    @web.get("/reviews/{review_id}/checklist", response_class=HTMLResponse)
    def checklist(request: Request, review_id: str):
        with _state(request).sessions() as db:
            who = _who(request, db)
            row = service._get(db, who, review_id, "web:checklist")
            ctx = _checklist_context(db, row, who)
        return _page(request, "checklist.html.j2", ctx, who=who)

    @web.post("/reviews/{review_id}/checklist", response_class=HTMLResponse)
    async def answer(request: Request, review_id: str):
        form = await _form(request)
        item, result, note = str(form.get("item") or ""), str(form.get("result") or ""), str(form.get("note") or "")
        with _state(request).sessions() as db:
            who = _who(request, db)
            row = service._get(db, who, review_id, "web:checklist")
            if who.role not in ("reviewer", "admin"):
                raise Refused(403, "无权作答", "只有审查人员可以作答审查清单。")
            answers = dict(_answered(service._latest_answers(db, row.id)))
            answers[item] = {"result": result, "note": note.strip(), "reviewer": who.name or who.token_id,
                             "date": _today().isoformat()}
            raw = json.dumps({"answers": answers}, ensure_ascii=False).encode("utf-8")
            try:
                await run_in_threadpool(service._answer, who, db, row.id, raw)
            except service.ApiError as err:
                ctx = _checklist_context(db, row, who)
                if item not in {i["id"] for i in (ctx["checklist"] or {}).get("manual", [])}:
                    ctx["error"] = "清单中没有这一审查项，请刷新页面后重新作答。"
                ctx["errors"] = {item: _answer_errors(err, result)}
                ctx["drafts"] = {item: {"result": result, "note": note}}
                return _page(request, "checklist.html.j2", ctx, status=422, who=who)
        return _redirect(f"{PREFIX}/reviews/{row.id}/checklist#item-{item}")

    @web.get("/reviews/{review_id}/changes", response_class=HTMLResponse)
    def changes(request: Request, review_id: str):
        with _state(request).sessions() as db:
            who = _who(request, db)
            row = service._get(db, who, review_id, "web:changes")
            ctx = _changes_context(db, row)
        return _page(request, "changes.html.j2", ctx, who=who)

    def _document(template: str, fmt: str):
        def endpoint(request: Request, review_id: str):
            with _state(request).sessions() as db:
                who = _who(request, db)
                row = service._get(db, who, review_id, f"web:{template}.{fmt}")
                event = service._latest_answers(db, row.id)
                stamp = (event.created_at if event else row.created_at).isoformat(timespec="minutes")
                data = engine_app.render(service._result(db, row, event), template=template, fmt=fmt,
                                         generated_at=stamp)
            name = f"{DOCUMENTS[template]}-{row.title[:40]}.{fmt}"
            disposition = "attachment" if fmt == "pdf" else "inline"
            headers = {"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
                       "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
            if fmt == "html":  # the report's own inline style and pictures, nothing else, never a script
                headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; "
                                                      "img-src 'self' data:; frame-ancestors 'none'")
            return Response(data, media_type=service.REPORT_TYPES[fmt], headers=headers)
        endpoint.__name__ = f"web_{template}_{fmt}"
        return endpoint

    for template in DOCUMENTS:
        for fmt in ("html", "pdf"):
            web.get(f"/reviews/{{review_id}}/{template}.{fmt}", response_class=Response)(_document(template, fmt))

    @web.get("/stats", response_class=HTMLResponse)
    def stats(request: Request, since: str = "", until: str = ""):
        with _state(request).sessions() as db:
            who = _who(request, db)
            ctx = _stats_context(request, db, who, since, until)
            service._audit(db, who, "web:stats", None, 200)
        return _page(request, "stats.html.j2", ctx, who=who)


# ------------------------------------------------------------------------------------------ contexts

def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _local(value: dt.datetime) -> dt.datetime:
    return service._utc(value).astimezone(CHINA)


def _summary(db, row: ReviewRecord) -> dict:
    return {"id": row.id, "title": row.title, "org": row.org, "kind": KIND_LABELS.get(row.kind, row.kind), "unit": row.unit,
            "organ": row.organ, "submitted": _local(row.created_at).strftime("%Y-%m-%d %H:%M"),
            "filename": row.filename, "version": _version(db, row)}


def _list_context(db, who: Principal, kind, verdict, status, unit, since, until, page) -> dict:
    newer = select(ReviewRecord.supersedes).where(ReviewRecord.supersedes.is_not(None))
    query = service._filtered(who, None, kind or None, _date(since), _date(until), unit or None, None, None)
    query = query.where(ReviewRecord.id.not_in(newer))
    rows = list(db.scalars(query.order_by(ReviewRecord.created_at.desc(), ReviewRecord.id.desc())))
    latest: dict[str, AnswerEvent] = {}
    if rows:
        for e in db.scalars(select(AnswerEvent).where(AnswerEvent.review_id.in_([r.id for r in rows]))
                            .order_by(AnswerEvent.id)):
            latest[e.review_id] = e
    items = []
    for r in rows:
        refs = _list_refs(db, r)
        result = engine_app.from_record(json.loads(r.result), json.loads(r.applied_rules), None, refs)
        event = latest.get(r.id)
        if event is None:  # unanswered: the stored verdict, every manual item pending (no merging needed)
            spec = refs.checklist()
            state = views.status(r.verdict, sum(1 for i in spec.items if i.decided_by == "reviewer") if spec else 0)
        else:
            result = engine_app.with_answers(result, engine_app.answers_from_data(json.loads(event.answers)))
            state = _status(result)
        if (verdict and result.verdict != verdict) or (status and state != status):
            continue
        items.append((r, result, state))
    total = len(items)
    pages = max(1, -(-total // PAGE))
    page = min(page, pages)
    today = _today()
    shown = []
    for r, result, state in items[(page - 1) * PAGE: page * PAGE]:
        dossier = None
        if r.kind == "major-decision":
            dossier = engine_app.from_record(json.loads(r.result), [], r.dossier).dossier
        meeting = views.meeting(r.kind, dossier, today)
        shown.append(dict(_summary(db, r), verdict=_verdict_line(result), status=state,
                          meeting=meeting, overdue=bool(meeting and meeting["overdue"] and state == views.STATUS_PENDING)))
    filters = {"kind": kind, "verdict": verdict, "status": status, "unit": unit, "since": since, "until": until}
    units = sorted({u for (u,) in db.execute(select(ReviewRecord.unit).where(
        ReviewRecord.id.in_(select(service._filtered(who, None, None, None, None, None, None, None).subquery().c.id)))
        .distinct())})

    def link(n: int) -> str:
        return "?" + urlencode({k: v for k, v in dict(filters, page=n).items() if v})

    return {"items": shown, "total": total, "page": page, "pages": pages, "filters": filters,
            "prev": link(page - 1) if page > 1 else "", "next": link(page + 1) if page < pages else "",
            "kinds": [(k.code, k.label) for k in kinds.KINDS.values()],
            "verdicts": list(VERDICT_FILTER.items()),
            "statuses": list(views.STATUS_HELP.items()), "units": units, "today": cn_date(today)}


def _evidence_lines(row: ReviewRecord) -> dict[int, list[str]]:
    """Dossier line -> the titles of the findings whose evidence stands there."""
    out: dict[int, list[str]] = {}
    for f in json.loads(row.result)["findings"]:
        for e in f["evidence"]:
            if e.get("line") and e["path"] == row.filename and f["title"] not in out.get(e["line"], []):
                out.setdefault(e["line"], []).append(f["title"])
    return out


def _review_context(db, row: ReviewRecord) -> dict:
    result, event = _result(db, row)
    review = result.review()
    ctx = build_context(review, result.checklist, "report", result.refs.materials())
    data = _data_of(row.dossier)
    for group in ctx["groups"]:
        for f in group["findings"]:
            for ev in f["evidence"]:
                ours = ev["path"] == display_path(row.filename)
                for entry in ev["entries"]:
                    entry["href"] = (f"{PREFIX}/reviews/{row.id}/dossier#L{entry['line']}"
                                     if ours and entry["line"] else "")
                    entry["where"] = views.field_label(row.kind, data, entry["field"]) if ours else "人工审查答复"
    newer = _newer(db, row)
    return dict(ctx, r=_summary(db, row), verdict_line=_verdict_line(result),
                status=_status(result), status_help=views.STATUS_HELP,
                newer=newer.id if newer else "", supersedes=row.supersedes or "",
                meeting=views.meeting(row.kind, result.dossier, _today()),
                documents=[(t, label) for t, label in DOCUMENTS.items()],
                answered_at=_local(event.created_at).strftime("%Y-%m-%d %H:%M") if event else "")


def _checklist_context(db, row: ReviewRecord, who: Principal) -> dict:
    result, event = _result(db, row)
    ctx = build_context(result.review(), result.checklist, "report", result.refs.materials())
    events = list(db.scalars(select(AnswerEvent).where(AnswerEvent.review_id == row.id).order_by(AnswerEvent.id)))
    names = service._token_names(db, [e.token_id for e in events])
    titles = {i["id"]: i["title"] for i in (ctx["checklist"] or {}).get("manual", [])}
    history, before = [], {}
    for e in events:  # each event holds every answer: what changed is what this reviewer did then
        now = _answered(e)
        changed = [f"{titles.get(k, k)}：{v['result']}" for k, v in now.items() if before.get(k) != v]
        history.append({"at": f"{_local(e.created_at):%Y-%m-%d %H:%M}", "by": names.get(e.token_id, e.token_id),
                        "changed": changed})
        before = now
    newer = _newer(db, row)
    return {"r": _summary(db, row), "history": history[::-1], "error": "", "newer": newer.id if newer else "", "verdict_line": _verdict_line(result), "checklist": ctx["checklist"],
            "results": RESULTS, "can_answer": who.role in ("reviewer", "admin"), "errors": {}, "drafts": {},
            "status": _status(result),
            "answered": (f"{names.get(event.token_id, event.token_id)}，{_local(event.created_at):%Y-%m-%d %H:%M}"
                         if event else "")}


def _answer_errors(err: service.ApiError, result: str) -> list[str]:
    if result not in RESULTS:
        return ["请选择 符合、不符合 或 不适用。"]
    messages = [p.get("message", "") for p in err.problems or []]
    if any("note" in m for m in messages):
        return ["结论为不符合时，须在说明中写明问题。"]
    return [err.message] + [m for m in messages if m]


def _problems_view(raw: bytes, name: str, problems: list[dict]) -> dict:
    by_line: dict[int, list[dict]] = {}
    loose = []
    lines = _listing(raw)
    for p in problems:
        line = p.get("line")
        if isinstance(line, int) and 1 <= line <= len(lines):
            by_line.setdefault(line, []).append(p)
        else:
            loose.append(p)
    return {"name": name, "lines": lines, "by_line": by_line, "loose": loose, "count": len(problems)}


def _changes_context(db, row: ReviewRecord) -> dict:
    old = db.get(ReviewRecord, row.supersedes) if row.supersedes else None
    ctx = {"r": _summary(db, row), "old": _summary(db, old) if old else None}
    if old is None:
        return ctx
    comparison = Comparison.model_validate(loads(row.comparison)) if row.comparison else None

    def refs(items):
        return [{"title": f.title, "severity": SEVERITY_LABELS.get(f.severity, f.severity), "code": f.severity}
                for f in items]
    result, _ = _result(db, row)
    old_result, _ = _result(db, old)
    ctx.update(
        fixed=refs(comparison.fixed) if comparison else [], new=refs(comparison.new) if comparison else [],
        remaining=refs(comparison.remaining) if comparison else [],
        dossier=views.dossier_changes(row.kind, _data_of(old.dossier), _data_of(row.dossier)),
        verdict_old=_verdict_line(old_result), verdict_new=_verdict_line(result))
    return ctx


def _stats_context(request: Request, db, who: Principal, since: str, until: str) -> dict:
    query = service._filtered(who, None, None, _date(since), _date(until), None, None, None)
    ids = select(query.subquery().c.id)
    rows = db.execute(select(ReviewRecord.verdict, ReviewRecord.kind, ReviewRecord.unit, ReviewRecord.created_at)
                      .where(ReviewRecord.id.in_(ids))).all()
    rulebook = _state(request).rulebook

    def title(rule_id: str) -> str:
        rule = rulebook.rule(rule_id)
        return rule.spec.title if rule is not None else rule_id

    def tally(values) -> list[tuple[str, int]]:
        counted: dict[str, int] = {}
        for v in values:
            counted[v] = counted.get(v, 0) + 1
        return sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))

    by_rule = [(title(rule_id), n) for rule_id, n in db.execute(
        select(FindingRow.rule_id, func.count()).where(FindingRow.review_id.in_(ids))
        .group_by(FindingRow.rule_id).order_by(func.count().desc(), FindingRow.rule_id))]
    sections = [
        ("预审结论（规则自动审查）", tally(kinds.get(k).verdicts.get(v, v) if kinds.get(k) else v for v, k, _, _ in rows)),
        ("卷宗种类", tally(KIND_LABELS.get(k, k) for _, k, _, _ in rows)),
        ("承办单位", tally(u for _, _, u, _ in rows)),
        ("提交月份", sorted(tally(f"{_local(at).year}年{_local(at).month:02d}月" for _, _, _, at in rows))),
        ("规则", by_rule[:15]),
    ]
    return {"total": len(rows), "since": since, "until": until,
            "sections": [{"title": t, "rows": r, "chart": views.bar_chart(r), "unit": "发现次数" if t == "规则" else "件数"}
                         for t, r in sections]}
