"""The HTTP API, /v1 (OpenAPI at /docs and /openapi.json).

Every endpoint but /healthz and the docs needs `Authorization: Bearer <token>`. Submitters see their
organisation's reviews and submit; reviewers see their organisation's reviews and answer them; admins
see everything and manage tokens. Another organisation's review is 404, as an unknown one is.
Errors are {"error": {"code", "message", "problems"?}}: a stable code, a Chinese message, and for an
invalid dossier the CLI's problems (file, line, field, expected) with status 422.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import uuid
from collections import Counter
from contextlib import asynccontextmanager
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.concurrency import run_in_threadpool

from prereview.engine import app as engine_app
from prereview.engine.errors import DossierError, InputError
from prereview.engine.load import load_dossier_bytes

from . import db as records_db
from . import tokens as tokens_mod
from .db import AccessEvent, AnswerEvent, FindingRow, ReferenceDocument, ReviewRecord, Token, now
from .records import (AnswersOut, Comparison, ErrorOut, ReviewPage, ReviewRecordOut, ReviewSummary, compare, links,
                      loads)
from .settings import Settings
from .tokens import Principal
from .workers import ReviewPool, ReviewTimedOut, WorkerCrashed

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
REPORT_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "pdf": "application/pdf"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, problems: list[dict] | None = None,
                 headers: dict | None = None):
        self.status, self.code, self.message, self.problems, self.headers = status, code, message, problems, headers


def _error(status: int, code: str, message: str, problems=None, headers=None) -> JSONResponse:
    body: dict = {"code": code, "message": message}
    if problems is not None:
        body["problems"] = problems
    return JSONResponse({"error": body}, status_code=status, headers=headers)


_ERRORS = {400: ("bad-request", "请求有误"), 401: ("unauthorized", "需要有效的访问令牌"),
           403: ("forbidden", "无权执行此操作"), 404: ("not-found", "没有这个地址或记录"),
           405: ("method-not-allowed", "不支持此请求方法"), 413: ("body-too-large", "请求体过大"),
           415: ("unsupported-media-type", "不支持的内容类型")}

_ERROR_RESPONSES = {code: {"model": ErrorOut, "description": text} for code, (_, text) in _ERRORS.items()
                    if code in (401, 404)}


class BodyLimit:
    """Refuse a request body over the limit with 413 before the application reads any of it: the body is
    read here (at most limit + 1 bytes) and handed on whole."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = declared is not None and declared.isdigit() and int(declared) > self.limit
        chunks, size, more = [], 0, not too_big
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                too_big = True
                break
        if too_big:
            message = f"请求体超过上限 {self.limit:,} 字节"
            if scope.get("path", "").startswith("/web/"):  # a reviewer's upload: a page, not an API error
                response = HTMLResponse(
                    f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>提交的文件过大</title>'
                    f'<p>{message}，未保存任何内容。请缩减卷宗（附件另行报送）后重新提交。</p>'
                    f'<p><a href="/web/submit">返回提交卷宗</a></p></html>', status_code=413)
            else:
                response = _error(413, "body-too-large", f"{message} (request body too large)")
            return await response(scope, receive, send)
        body, sent = b"".join(chunks), False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay, send)
        except Exception as exc:  # already answered 500; the server must not log the traceback, whose
            # SQL parameters or messages may quote the dossier (personal data): the type only
            logging.getLogger("prereview.service").error("internal error: %s", type(exc).__name__)


def create_app(settings: Settings | None = None, pool: ReviewPool | None = None):
    """The ASGI application (FastAPI inside the body limit). `app.state` of the FastAPI object holds
    the database sessions, the rulebook (for /v1/rules) and the worker pool."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(api: FastAPI):
        own_pool = pool is None
        api.state.pool = pool or ReviewPool(settings.workers, settings.review_timeout, settings.rules_dir,
                                            settings.packs, settings.test_faults)
        try:
            yield
        finally:
            if own_pool:
                api.state.pool.close()

    api = FastAPI(title="prereview 合法性审查预审服务", version="1", lifespan=lifespan,
                  description="提交卷宗、获取预审结论与报告、录入人工审查答复。")
    engine = records_db.make_engine(settings.url)
    records_db.upgrade(engine)
    api.state.sessions = records_db.sessions(engine)
    api.state.engine = engine
    api.state.settings = settings
    from prereview.engine import load_rulebook
    from pathlib import Path
    api.state.rulebook = load_rulebook(Path(settings.rules_dir) if settings.rules_dir else None,
                                       list(settings.packs) if settings.packs else None)  # /v1/rules/{id} shows the cases
    _routes(api)
    from prereview.api.web import mount as mount_web_pages
    mount_web_pages(api)  # the reviewers' pages at /web (api/web/)

    @api.exception_handler(ApiError)
    async def _api_error(_request, exc: ApiError):
        return _error(exc.status, exc.code, exc.message, exc.problems, exc.headers)

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(_request, exc: StarletteHTTPException):
        code, message = _ERRORS.get(exc.status_code, ("http-error", "请求失败"))
        return _error(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @api.exception_handler(RequestValidationError)
    async def _invalid(_request, exc: RequestValidationError):
        problems = [{"path": "request", "line": None, "field": ".".join(str(p) for p in e["loc"]),
                     "message": f"取值不符合要求（{e['msg']}）", "expected": ""} for e in exc.errors()]
        return _error(422, "invalid-request", "请求参数有误", problems)

    @api.exception_handler(Exception)
    async def _internal(_request, exc: Exception):
        # the exception's text may quote a dossier: it is not sent, nor logged (BodyLimit logs its type)
        return _error(500, "internal-error", "服务内部错误，请稍后重试或联系管理员")

    return BodyLimit(api, settings.body_limit)


# ------------------------------------------------------------------------------------------ helpers

def _db(request: Request):
    with request.app.state.sessions() as session:
        yield session


def _principal(request: Request, db=Depends(_db)) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    who = tokens_mod.verify(db, value.strip()) if scheme.lower() == "bearer" else None
    if who is None:
        raise ApiError(401, "unauthorized", "需要有效的访问令牌（Authorization: Bearer …）",
                       headers={"WWW-Authenticate": "Bearer"})
    return who


Who = Annotated[Principal, Depends(_principal)]
DB = Annotated[Any, Depends(_db)]


def _require(who: Principal, *roles: str) -> None:
    if who.role not in roles:
        raise ApiError(403, "forbidden", f"角色 {who.role} 无权执行此操作（需要：{' / '.join(roles)}）")


def _audit(db, who: Principal, action: str, review_id: str | None, status: int) -> None:
    db.add(AccessEvent(at=now(), token_id=who.token_id, org=who.org, action=action, review_id=review_id,
                       status=status))
    db.commit()


def _visible(who: Principal, row: ReviewRecord | None) -> bool:
    return row is not None and (who.role == "admin" or row.org == who.org)


def _get(db, who: Principal, review_id: str, action: str) -> ReviewRecord:
    row = db.get(ReviewRecord, review_id) if re.fullmatch(r"[0-9a-f]{32}", review_id) else None
    if not _visible(who, row):
        _audit(db, who, action, review_id[:32], 404)
        raise ApiError(404, "review-not-found", f"没有编号为 {review_id[:32]} 的审查记录")
    _audit(db, who, action, row.id, 200)
    return row


def _token_names(db, ids) -> dict[str, str]:
    ids = set(ids)
    if not ids:
        return {}
    return {t.id: t.name or t.id for t in db.scalars(select(Token).where(Token.id.in_(ids)))}


def _latest_answers(db, review_id: str) -> AnswerEvent | None:
    return db.scalars(select(AnswerEvent).where(AnswerEvent.review_id == review_id)
                      .order_by(AnswerEvent.id.desc()).limit(1)).first()


def _references(db, row: ReviewRecord):
    """The checklist and materials list stored with the record (None for a record older than them)."""
    if row.checklist_sha256 is None and row.materials_sha256 is None:
        return None

    def body(sha):
        return db.get(ReferenceDocument, sha).body if sha else None
    return engine_app.References(row.kind, body(row.checklist_sha256), body(row.materials_sha256))


def _keep_references(db, kind: str) -> tuple[str | None, str | None]:
    """Store today's checklist and materials list of the kind (once per content); their sha256."""
    refs = engine_app.References.current(kind)
    shas = []
    for name, raw in ((f"{kind}.yaml", refs.checklist_raw), (f"{kind}-materials.yaml", refs.materials_raw)):
        if raw is None:
            shas.append(None)
            continue
        sha = hashlib.sha256(raw).hexdigest()
        insert = (sqlite_insert if db.bind.dialect.name == "sqlite" else postgresql_insert)(ReferenceDocument)
        db.execute(insert.values(sha256=sha, name=name, body=raw).on_conflict_do_nothing())
        shas.append(sha)
    return shas[0], shas[1]


def _result(db, row: ReviewRecord, answers: AnswerEvent | None):
    result = engine_app.from_record(json.loads(row.result), json.loads(row.applied_rules), row.dossier,
                                    _references(db, row))
    if answers is not None:
        result = engine_app.with_answers(result, engine_app.answers_from_data(json.loads(answers.answers)))
    return result


def _record_out(db, row: ReviewRecord) -> ReviewRecordOut:
    event = _latest_answers(db, row.id)
    names = _token_names(db, [row.submitter] + ([event.token_id] if event else []))
    answers = None
    if event is not None:
        answered = _result(db, row, event)
        answers = AnswersOut(at=event.created_at, by=names.get(event.token_id, event.token_id),
                             answers=json.loads(event.answers)["answers"], verdict=answered.verdict,
                             findings=list(answered.out.findings))
    return ReviewRecordOut(
        id=row.id, created_at=row.created_at, org=row.org, submitter=names.get(row.submitter, row.submitter),
        filename=row.filename, media_type=row.media_type, dossier_sha256=row.dossier_sha256,
        supersedes=row.supersedes, review=engine_app.ReviewOut.model_validate(json.loads(row.result)),
        comparison=Comparison.model_validate(loads(row.comparison)) if row.comparison else None,
        answers=answers, links=links(row.id))


def _safe_name(name: str | None, default: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = re.sub(r"[\x00-\x1f\x7f]", "", base)[:200]
    return base or default


async def _dossier_from(request: Request) -> tuple[bytes, str, str, str | None]:
    """(bytes, file name, media type, supersedes from a multipart form) of the submitted dossier."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        return await request.body(), "dossier.json", ctype, None
    if ctype in YAML_TYPES:
        return await request.body(), "dossier.yaml", "application/yaml", None
    if ctype == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(422, "missing-file", "表单中缺少卷宗文件字段 file")
        raw = await upload.read()
        name = _safe_name(upload.filename, "dossier.yaml")
        media = "application/json" if name.lower().endswith(".json") else "application/yaml"
        supersedes = form.get("supersedes")
        return raw, name, media, supersedes if isinstance(supersedes, str) and supersedes else None
    raise ApiError(415, "unsupported-media-type",
                   "卷宗应以 application/json、application/yaml 或 multipart/form-data（字段 file）提交")


def _unit_of(dossier) -> tuple[str, str]:
    decision = dossier.decision
    organ = decision.organ.name
    return organ, (getattr(decision, "sponsor", None) or organ)


# ------------------------------------------------------------------------------------------ routes

def _submit(pool: ReviewPool, who: Principal, db, raw: bytes, name: str, media: str, supersedes: str | None,
            as_of: dt.date | None) -> JSONResponse:
    old = None
    if supersedes:
        old = db.get(ReviewRecord, supersedes) if re.fullmatch(r"[0-9a-f]{32}", supersedes) else None
        if not _visible(who, old):
            raise ApiError(422, "supersedes-not-found", f"要取代的审查记录 {supersedes[:32]} 不存在")
    try:  # validated here first: a bad dossier never costs a worker
        loaded = load_dossier_bytes(raw, name)
    except DossierError as err:
        raise ApiError(422, "invalid-dossier", f"卷宗有误，无法审查（{len(err.problems)} 处）",
                       [p.to_dict() for p in err.problems]) from None
    if old is not None and old.kind != loaded.dossier.decision.kind:
        raise ApiError(422, "supersedes-other-kind", "补正的卷宗应与被取代的卷宗属于同一种类")
    try:
        answer = pool.review(raw, name, as_of)
    except WorkerCrashed:
        raise ApiError(503, "engine-crashed", "规则引擎进程两次意外终止，本卷宗未能审查；服务仍在运行，请保留卷宗并报告此问题",
                       headers={"Retry-After": "5"}) from None
    except ReviewTimedOut:
        raise ApiError(503, "review-timeout", "审查超过时间上限，已中止；请检查卷宗规模，或联系管理员",
                       headers={"Retry-After": "5"}) from None
    if "problems" in answer:
        raise ApiError(422, "invalid-dossier", f"卷宗有误，无法审查（{len(answer['problems'])} 处）",
                       answer["problems"])
    if "engine" in answer:
        raise ApiError(503, "engine-failure", f"规则引擎未能审查本卷宗：{answer['engine']}")
    review = answer["review"]
    comparison = (compare(old.id, json.loads(old.result), old.dossier, review, loaded.doc.data)
                  if old is not None else None)
    organ, unit = _unit_of(loaded.dossier)
    checklist_sha, materials_sha = _keep_references(db, review["dossier"]["kind"])
    row = ReviewRecord(
        id=uuid.uuid4().hex, created_at=now(), org=who.org, submitter=who.token_id, submitter_name=who.name,
        kind=review["dossier"]["kind"], verdict=review["verdict"], title=review["dossier"]["title"],
        organ=organ, unit=unit, dossier=raw, dossier_sha256=hashlib.sha256(raw).hexdigest(), media_type=media,
        filename=name, result=json.dumps(review, ensure_ascii=False),
        applied_rules=json.dumps(answer["applied_rules"]), supersedes=old.id if old else None,
        comparison=comparison.model_dump_json() if comparison else None,
        checklist_sha256=checklist_sha, materials_sha256=materials_sha)
    db.add(row)
    db.flush()  # the review row before the rows that point at it
    db.add_all(FindingRow(review_id=row.id, rule_id=f["rule_id"], severity=f["severity"])
               for f in review["findings"])
    db.commit()  # durable (WAL, synchronous=FULL) before the 201 goes out
    _audit(db, who, "submit", row.id, 201)
    out = _record_out(db, row)
    return JSONResponse(out.model_dump(mode="json", by_alias=True), status_code=201,
                        headers={"Location": f"/v1/reviews/{row.id}"})


def _answer(who: Principal, db, review_id: str, raw: bytes):
    row = _get(db, who, review_id, "answer")
    try:
        answers = engine_app.answers_from_bytes(raw, "answers")
        engine_app.with_answers(_result(db, row, None), answers)  # checks the items against the record's checklist
    except InputError as err:
        raise ApiError(422, "invalid-answers", f"人工审查答复有误（{len(err.problems)} 处）",
                       [p.to_dict() for p in err.problems]) from None
    data = {"answers": {k: v.model_dump(mode="json") for k, v in answers.items.items()}}
    db.add(AnswerEvent(review_id=row.id, created_at=now(), token_id=who.token_id,
                       answers=json.dumps(data, ensure_ascii=False)))
    db.commit()
    return _record_out(db, row)


def _routes(api: FastAPI) -> None:  # noqa: C901 — one place that lists every endpoint
    @api.get("/", include_in_schema=False)
    def home() -> RedirectResponse:  # a reviewer who types the service's address lands on the pages
        return RedirectResponse("/web/", status_code=307)

    @api.get("/healthz", tags=["service"])
    def healthz(request: Request) -> dict:
        with request.app.state.sessions() as session:
            session.execute(select(1))
        return {"status": "ok"}

    @api.post("/v1/reviews", status_code=201, response_model=ReviewRecordOut, tags=["reviews"],
              responses={422: {"model": ErrorOut, "description": "卷宗有误：problems 列出每处问题（字段、行号）"},
                         503: {"model": ErrorOut, "description": "审查进程崩溃或超时"}, **_ERROR_RESPONSES},
              openapi_extra={"requestBody": {"content": {
                  "application/json": {"schema": {"$ref": "#/components/schemas/DossierSchema"}},
                  "application/yaml": {"schema": {"type": "string"}},
                  "multipart/form-data": {"schema": {"type": "object", "properties": {
                      "file": {"type": "string", "format": "binary"}, "supersedes": {"type": "string"}},
                      "required": ["file"]}}}}})
    async def submit(request: Request, who: Who, db: DB,
                     supersedes: Annotated[str | None, Query(description="被本次补正取代的审查编号")] = None,
                     as_of: Annotated[dt.date | None, Query(description="审查基准日（默认取卷宗中的日期）")] = None):
        _require(who, "submitter", "admin")
        raw, name, media, form_supersedes = await _dossier_from(request)
        return await run_in_threadpool(_submit, request.app.state.pool, who, db, raw, name, media,
                                       supersedes or form_supersedes, as_of)

    @api.get("/v1/reviews", response_model=ReviewPage, tags=["reviews"], responses=_ERROR_RESPONSES)
    def list_reviews(request: Request, who: Who, db: DB,
                     verdict: str | None = None, kind: str | None = None,
                     since: Annotated[dt.date | None, Query(alias="from", description="提交日期起（含）")] = None,
                     until: Annotated[dt.date | None, Query(alias="to", description="提交日期止（含）")] = None,
                     unit: Annotated[str | None, Query(description="承办单位")] = None,
                     organ: Annotated[str | None, Query(description="决策或执法机关")] = None,
                     org: Annotated[str | None, Query(description="提交机构（仅管理员）")] = None,
                     limit: Annotated[int, Query(ge=1, le=100)] = 20,
                     offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
        query = _filtered(who, verdict, kind, since, until, unit, organ, org)
        total = db.scalar(select(func.count()).select_from(query.subquery()))
        rows = list(db.scalars(query.order_by(ReviewRecord.created_at.desc(), ReviewRecord.id.desc())
                               .offset(offset).limit(limit)))
        counts = dict(db.execute(select(FindingRow.review_id, func.count()).where(
            FindingRow.review_id.in_([r.id for r in rows])).group_by(FindingRow.review_id)).all()) if rows else {}
        _audit(db, who, "list", None, 200)
        nxt = None
        if offset + len(rows) < total:
            params = dict(request.query_params)
            params.update(offset=str(offset + len(rows)), limit=str(limit))
            nxt = "/v1/reviews?" + urlencode(params)
        return ReviewPage(total=total, next=nxt, items=[ReviewSummary(
            id=r.id, created_at=r.created_at, org=r.org, kind=r.kind, title=r.title, verdict=r.verdict,
            organ=r.organ, unit=r.unit, findings=counts.get(r.id, 0), supersedes=r.supersedes) for r in rows])

    @api.get("/v1/reviews/{review_id}", response_model=ReviewRecordOut, tags=["reviews"], responses=_ERROR_RESPONSES)
    def get_review(review_id: str, who: Who, db: DB):
        return _record_out(db, _get(db, who, review_id, "read"))

    def _report(template: str, fmt: str):
        def endpoint(review_id: str, who: Who, db: DB):
            row = _get(db, who, review_id, f"{template}.{fmt}")
            event = _latest_answers(db, row.id)
            stamp = (event.created_at if event else row.created_at).isoformat(timespec="minutes")
            data = engine_app.render(_result(db, row, event), template=template, fmt=fmt, generated_at=stamp)
            return Response(data, media_type=REPORT_TYPES[fmt])
        endpoint.__name__ = f"{template}_{fmt}"
        return endpoint

    for template in ("report", "opinion"):
        for fmt in ("html", "md", "pdf"):
            api.get(f"/v1/reviews/{{review_id}}/{template}.{fmt}", tags=["reports"], response_class=Response,
                    responses={200: {"content": {REPORT_TYPES[fmt].split(";")[0]: {}}}, **_ERROR_RESPONSES},
                    summary=f"{'预审报告' if template == 'report' else '审查意见书草稿'}（{fmt}）")(_report(template, fmt))

    @api.get("/v1/reviews/{review_id}/sarif", tags=["reports"], responses=_ERROR_RESPONSES)
    def sarif(review_id: str, who: Who, db: DB) -> Response:
        row = _get(db, who, review_id, "sarif")
        text = engine_app.render_sarif([_result(db, row, None)])  # the rules as recorded, not today's
        return Response(text, media_type="application/sarif+json")

    @api.get("/v1/reviews/{review_id}/dossier", tags=["reviews"], responses=_ERROR_RESPONSES,
             summary="提交的卷宗，逐字节原样")
    def dossier(review_id: str, who: Who, db: DB) -> Response:
        row = _get(db, who, review_id, "dossier")
        return Response(row.dossier, media_type=row.media_type,
                        headers={"ETag": f'"{row.dossier_sha256}"', "X-Content-SHA256": row.dossier_sha256})

    @api.get("/v1/reviews/{review_id}/plan", tags=["reviews"], responses=_ERROR_RESPONSES,
             summary="程序倒排：按拟召开会议（或拟作出决定）的日期，各必经步骤的最迟日期（按当前规则库）")
    async def plan(review_id: str, request: Request, who: Who, db: DB, meeting: dt.date | None = None,
                   decide_by: dt.date | None = None, today: dt.date | None = None) -> dict:
        row = _get(db, who, review_id, "plan")
        try:
            answer = await run_in_threadpool(request.app.state.pool.plan, row.dossier, row.filename,
                                             meeting or decide_by, today)
        except (WorkerCrashed, ReviewTimedOut):
            raise ApiError(503, "engine-crashed", "规则引擎未能完成程序倒排；服务仍在运行，请稍后重试或报告此问题",
                           headers={"Retry-After": "5"}) from None
        if "problems" in answer:
            raise ApiError(422, "cannot-plan", "无法倒排程序", answer["problems"])
        return answer["plan"]

    @api.put("/v1/reviews/{review_id}/answers", response_model=ReviewRecordOut, tags=["reviews"],
             responses={422: {"model": ErrorOut, "description": "答复有误"}, **_ERROR_RESPONSES},
             openapi_extra={"requestBody": {"content": {
                 "application/json": {"schema": {"type": "object", "properties": {"answers": {"type": "object"}},
                                                 "required": ["answers"]}},
                 "application/yaml": {"schema": {"type": "string"}}}}})
    async def put_answers(review_id: str, request: Request, who: Who, db: DB):
        _require(who, "reviewer", "admin")
        raw = await request.body()
        return await run_in_threadpool(_answer, who, db, review_id, raw)

    @api.get("/v1/rules", tags=["rules"], responses=_ERROR_RESPONSES)
    def rules(request: Request, who: Who) -> list[dict]:
        from prereview.reports.text import rule_summary
        return [rule_summary(r) for r in request.app.state.rulebook.rules]

    @api.get("/v1/rules/{rule_id}", tags=["rules"], responses=_ERROR_RESPONSES)
    def rule(rule_id: str, request: Request, who: Who) -> dict:
        from prereview.reports.text import rule_summary
        found = request.app.state.rulebook.rule(rule_id)
        if found is None:
            raise ApiError(404, "rule-not-found", f"没有规则 {rule_id[:100]}")
        spec = found.spec
        return dict(rule_summary(found), step=spec.step, message=spec.message, fix=spec.fix, when=spec.when,
                    cases=[{"name": c.name, "expect": c.expect} for c in found.cases])

    @api.get("/v1/checklists/{kind}", tags=["rules"], responses=_ERROR_RESPONSES)
    def checklist(kind: str, who: Who) -> dict:
        from prereview.engine.checklist import load_checklist
        from prereview.engine.kinds import KINDS
        if kind not in KINDS or not engine_app.has_checklist(kind):
            raise ApiError(404, "checklist-not-found", f"没有 {kind[:60]} 的审查清单")
        return load_checklist(kind).model_dump(mode="json", by_alias=True)

    @api.get("/v1/schema/dossier", tags=["rules"], responses=_ERROR_RESPONSES)
    def schema(who: Who) -> dict:
        from prereview.engine.dossier import dossier_schema
        return dossier_schema()

    @api.get("/v1/stats", tags=["reviews"], responses=_ERROR_RESPONSES)
    def stats(who: Who, db: DB,
              since: Annotated[dt.date | None, Query(alias="from")] = None,
              until: Annotated[dt.date | None, Query(alias="to")] = None,
              org: Annotated[str | None, Query(description="提交机构（仅管理员）")] = None) -> dict:
        query = _filtered(who, None, None, since, until, None, None, org)
        rows = db.execute(select(ReviewRecord.id, ReviewRecord.verdict, ReviewRecord.kind, ReviewRecord.unit,
                                 ReviewRecord.created_at).where(ReviewRecord.id.in_(
                                     select(query.subquery().c.id)))).all()
        ids = [r.id for r in rows]
        by_rule = Counter()
        if ids:
            for rule_id, n in db.execute(select(FindingRow.rule_id, func.count()).where(
                    FindingRow.review_id.in_(ids)).group_by(FindingRow.rule_id)):
                by_rule[rule_id] = n
        _audit(db, who, "stats", None, 200)
        return {"from": since.isoformat() if since else None, "to": until.isoformat() if until else None,
                "reviews": len(rows),
                "by_verdict": dict(sorted(Counter(r.verdict for r in rows).items())),
                "by_kind": dict(sorted(Counter(r.kind for r in rows).items())),
                "by_unit": dict(sorted(Counter(r.unit for r in rows).items())),
                "by_month": dict(sorted(Counter(_utc(r.created_at).strftime("%Y-%m") for r in rows).items())),
                "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])))}

    @api.get("/v1/access-events", tags=["admin"], responses=_ERROR_RESPONSES)
    def access_events(who: Who, db: DB, review_id: str | None = None,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict]:
        _require(who, "admin")
        query = select(AccessEvent).order_by(AccessEvent.id.desc()).limit(limit)
        if review_id:
            query = query.where(AccessEvent.review_id == review_id)
        return [{"at": e.at.isoformat(), "token": e.token_id, "org": e.org, "action": e.action,
                 "review_id": e.review_id, "status": e.status} for e in db.scalars(query)]

    @api.get("/v1/tokens", tags=["admin"], responses=_ERROR_RESPONSES)
    def list_tokens(who: Who, db: DB) -> list[dict]:
        _require(who, "admin")
        return [_token_json(t) for t in tokens_mod.listing(db)]

    @api.post("/v1/tokens", status_code=201, tags=["admin"], responses=_ERROR_RESPONSES)
    def create_token(body: TokenIn, who: Who, db: DB) -> dict:
        _require(who, "admin")
        row, secret = tokens_mod.create(db, body.org, body.role, body.name)
        return dict(_token_json(row), token=secret)

    @api.delete("/v1/tokens/{token_id}", tags=["admin"], responses=_ERROR_RESPONSES)
    def revoke_token(token_id: str, who: Who, db: DB) -> dict:
        _require(who, "admin")
        if not tokens_mod.revoke(db, token_id):
            raise ApiError(404, "token-not-found", f"没有令牌 {token_id[:16]}")
        return {"id": token_id, "revoked": True}

    api.openapi_schema = None
    _add_dossier_schema(api)


class TokenIn(BaseModel):
    org: str = Field(min_length=1, max_length=200)
    role: str = Field(pattern="^(submitter|reviewer|admin)$")
    name: str = Field(default="", max_length=200)


def _token_json(t: Token) -> dict:
    return {"id": t.id, "name": t.name, "org": t.org, "role": t.role, "created_at": t.created_at.isoformat(),
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None}


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _filtered(who: Principal, verdict, kind, since, until, unit, organ, org):
    query = select(ReviewRecord)
    if who.role != "admin":
        query = query.where(ReviewRecord.org == who.org)
    elif org:
        query = query.where(ReviewRecord.org == org)
    for column, value in ((ReviewRecord.verdict, verdict), (ReviewRecord.kind, kind), (ReviewRecord.unit, unit),
                          (ReviewRecord.organ, organ)):
        if value:
            query = query.where(column == value)
    if since:
        query = query.where(ReviewRecord.created_at >= dt.datetime.combine(since, dt.time(), dt.timezone.utc))
    if until:
        query = query.where(ReviewRecord.created_at < dt.datetime.combine(
            until + dt.timedelta(days=1), dt.time(), dt.timezone.utc))
    return query


def _add_dossier_schema(api: FastAPI) -> None:
    """Put the dossier's JSON Schema into the OpenAPI document, so POST /v1/reviews documents its body."""
    from fastapi.openapi.utils import get_openapi

    def openapi():
        if api.openapi_schema:
            return api.openapi_schema
        from prereview.engine.dossier import dossier_schema
        schema = get_openapi(title=api.title, version=api.version, description=api.description, routes=api.routes)
        dossier = dossier_schema()
        defs = dossier.pop("$defs", {})
        for key in ("$schema", "$id"):  # the OpenAPI document is the schema's context here
            dossier.pop(key, None)
        text = json.dumps(dossier).replace("#/$defs/", "#/components/schemas/")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, value in defs.items():
            components.setdefault(name, json.loads(json.dumps(value).replace("#/$defs/", "#/components/schemas/")))
        components["DossierSchema"] = json.loads(text)
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        error = {"description": "错误：稳定的错误代码与中文说明",
                 "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        for operations in schema["paths"].values():  # every error is an ErrorOut, 422 included
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = dict(error, description=responses["422"].get("description", "参数或内容有误"))
                responses["default"] = error
        schema.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        schema["security"] = [{"bearer": []}]
        api.openapi_schema = schema
        return schema

    api.openapi = openapi
