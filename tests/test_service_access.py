"""Who may do what: every role against every endpoint, from one table. An endpoint without a row fails."""
from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route

from service_fixtures import dossier_bytes, service, titled  # noqa: F401 (fixture)

ROLES = ("none", "submitter", "reviewer", "admin", "other_submitter", "other_reviewer")

# (method, path) -> status per role, in ROLES order. "other_*" belong to another organisation than the
# review the path names: its reviews are 404 to them, exactly as an unknown review.
OPEN = (200,) * 6
ANY_TOKEN = (401, 200, 200, 200, 200, 200)
OWN_REVIEW = (401, 200, 200, 200, 404, 404)
ADMIN = (401, 403, 403, 403, 403, 403)
TABLE = {
    ("GET", "/"): OPEN,  # a redirect to the web pages' sign-in (followed here; its 307 is tested below)
    ("GET", "/healthz"): OPEN,
    ("GET", "/openapi.json"): OPEN,
    ("GET", "/docs"): OPEN,
    ("GET", "/docs/oauth2-redirect"): OPEN,
    ("GET", "/redoc"): OPEN,
    ("POST", "/v1/reviews"): (401, 201, 403, 201, 201, 403),
    ("GET", "/v1/reviews"): ANY_TOKEN,
    ("GET", "/v1/reviews/{review_id}"): OWN_REVIEW,
    ("GET", "/v1/reviews/{review_id}/dossier"): OWN_REVIEW,
    ("GET", "/v1/reviews/{review_id}/report.html"): OWN_REVIEW,
    ("GET", "/v1/reviews/{review_id}/report.md"): OWN_REVIEW,
    ("GET", "/v1/reviews/{review_id}/report.pdf"): OWN_REVIEW,
    ("GET", "/v1/reviews/{review_id}/opinion.html"): OWN_REVIEW,
    ("GET", "/v1/reviews/{review_id}/opinion.md"): OWN_REVIEW,
    ("GET", "/v1/reviews/{review_id}/opinion.pdf"): OWN_REVIEW,
    ("GET", "/v1/reviews/{review_id}/sarif"): OWN_REVIEW,
    ("GET", "/v1/reviews/{review_id}/plan"): OWN_REVIEW,
    ("PUT", "/v1/reviews/{review_id}/answers"): (401, 403, 200, 200, 403, 404),
    ("GET", "/v1/rules"): ANY_TOKEN,
    ("GET", "/v1/rules/{rule_id}"): ANY_TOKEN,
    ("GET", "/v1/checklists/{kind}"): ANY_TOKEN,
    ("GET", "/v1/schema/dossier"): ANY_TOKEN,
    ("GET", "/v1/stats"): ANY_TOKEN,
    ("GET", "/v1/access-events"): ADMIN[:3] + (200,) + ADMIN[4:],
    ("GET", "/v1/tokens"): ADMIN[:3] + (200,) + ADMIN[4:],
    ("POST", "/v1/tokens"): ADMIN[:3] + (201,) + ADMIN[4:],
    ("DELETE", "/v1/tokens/{token_id}"): ADMIN[:3] + (200,) + ADMIN[4:],
}


def _endpoints(api) -> set[tuple[str, str]]:
    out = set()
    for route in api.routes:
        if isinstance(route, (APIRoute, Route)):
            for method in route.methods - {"HEAD"}:
                out.add((method, route.path))
    return out


def test_every_endpoint_has_a_row_and_every_row_an_endpoint(service):
    endpoints = _endpoints(service.api)
    assert endpoints - TABLE.keys() == set(), "endpoints without a row in TABLE"
    assert TABLE.keys() - endpoints == set(), "rows for endpoints that do not exist"


@pytest.fixture(scope="module")
def targets(service):
    review = service.submit("submitter", dossier_bytes(titled("权限测试"))).json()
    with service.api.state.sessions() as db:
        from prereview.api.service import tokens
        row, _ = tokens.create(db, "白银市司法局", "submitter", "待吊销")
    return {"review_id": review["id"], "rule_id": "MAD-LEGALITY-REVIEW-BEFORE-MEETING", "kind": "major-decision",
            "token_id": row.id}


def _request(service, method: str, path: str, who: str, targets: dict):
    from prereview.engine.checklist import load_checklist

    url = path.format(**targets)
    headers = service.headers(None if who == "none" else who)
    if (method, path) == ("POST", "/v1/reviews"):
        return service.client.post(url, content=dossier_bytes(titled(f"{who} 提交")),
                                   headers=dict(headers, **{"content-type": "application/yaml"}))
    if method == "PUT":
        item = next(i for i in load_checklist("major-decision").items if i.decided_by == "reviewer")
        return service.client.put(url, json={"answers": {item.id: {"result": "符合", "reviewer": "张三",
                                                                     "date": "2025-05-15"}}}, headers=headers)
    if method == "POST":
        return service.client.post(url, json={"org": "白银市司法局", "role": "reviewer"}, headers=headers)
    return service.client.request(method, url, headers=headers)


@pytest.mark.parametrize("endpoint", sorted(TABLE), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_role_gets_what_the_table_says(service, targets, endpoint):
    method, path = endpoint
    got = {who: _request(service, method, path, who, targets) for who in ROLES}
    assert {who: r.status_code for who, r in got.items()} == dict(zip(ROLES, TABLE[endpoint]))
    for who, r in got.items():
        if r.status_code in (401, 403, 404):
            assert r.json()["error"]["code"] and r.json()["error"]["message"]  # always a JSON error


def test_the_services_address_leads_to_the_web_pages(service):
    r = service.client.get("/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/web/"
    assert "登录" in service.client.get("/").text


def test_another_organisations_reviews_are_not_listed(service, targets):
    theirs = service.client.get("/v1/reviews", params={"limit": 100}, headers=service.headers("other_reviewer")).json()
    assert targets["review_id"] not in {i["id"] for i in theirs["items"]}
    assert all(i["org"] == "金昌市司法局" for i in theirs["items"])
    everyone = service.client.get("/v1/reviews", params={"limit": 100}, headers=service.headers("admin")).json()
    assert targets["review_id"] in {i["id"] for i in everyone["items"]}


def test_the_readmes_service_commands_name_real_endpoints_and_files(service):
    import re

    from helpers import ROOT
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## The review service (HTTP)")[1].split("\n## ")[0]
    commands = "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))
    paths = {re.sub(r"/REVIEW_ID", "/{review_id}", p) for p in re.findall(r"http://127\.0\.0\.1:8000(/[\w/.{}-]+)", commands)}
    assert paths and paths <= {path for _, path in TABLE}
    for name in re.findall(r"@([\w/.-]+\.ya?ml)", commands):
        assert (ROOT / name).exists(), name
    from prereview.api.cli import _parser
    setup = next(line for line in commands.splitlines() if "token create" in line)
    token_args = setup.split("prereview token create", 1)[1].split(">")[0].split()
    args = _parser().parse_args(["token", "create", *token_args])
    assert (args.org, args.role) == ("武威市司法局", "submitter")
    assert _parser().parse_args(["serve"]).port == 8000
