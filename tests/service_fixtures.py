"""A running service for the API tests: a fresh data folder, one worker process, tokens of two organisations."""
from __future__ import annotations

import copy
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy
import yaml
from fastapi.testclient import TestClient

from prereview.api.service import tokens
from prereview.api.service.http import create_app
from prereview.api.service.settings import Settings

from helpers import BASE, base_data

ORG, OTHER = "武威市司法局", "金昌市司法局"
YAML = {"content-type": "application/yaml"}


@dataclass
class Service:
    client: TestClient
    api: object          # the FastAPI app (state: sessions, rulebook, pool)
    tokens: dict         # role name -> bearer token
    settings: Settings

    def headers(self, who: str | None, **extra) -> dict:
        h = dict(extra)
        if who:
            h["Authorization"] = f"Bearer {self.tokens[who]}"
        return h

    def submit(self, who: str, raw: bytes, **params):
        return self.client.post("/v1/reviews", content=raw, params=params, headers=self.headers(who, **YAML))


def make_tokens(api) -> dict:
    out = {}
    with api.state.sessions() as db:
        for who, org, role in (("submitter", ORG, "submitter"), ("reviewer", ORG, "reviewer"),
                               ("admin", "甘肃省司法厅", "admin"), ("other_submitter", OTHER, "submitter"),
                               ("other_reviewer", OTHER, "reviewer")):
            out[who] = tokens.create(db, org, role, name=who)[1]
    return out


def fresh_database_url() -> str:
    """"" (SQLite in the data folder), or, when PREREVIEW_TEST_POSTGRES names a PostgreSQL server (.ci/run
    starts one), a new empty database on it, so each service starts from nothing on either backend."""
    server = os.environ.get("PREREVIEW_TEST_POSTGRES")
    if not server:
        return ""
    name = f"prereview_test_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sqlalchemy.engine.make_url(server).set(database=name).render_as_string(hide_password=False)


def backend(svc: "Service") -> str:
    return svc.api.state.engine.dialect.name


def start(tmp: Path, **settings) -> Service:
    faults = tmp / "faults"
    faults.mkdir(parents=True, exist_ok=True)
    s = Settings(data_dir=tmp / "data", workers=1, test_faults=str(faults), database_url=fresh_database_url(),
                 **settings)
    asgi = create_app(s)
    client = TestClient(asgi, raise_server_exceptions=False)
    client.__enter__()
    return Service(client, asgi.app, make_tokens(asgi.app), s)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = start(tmp_path_factory.mktemp("service"), review_timeout=60)
    yield svc
    svc.client.__exit__(None, None, None)


def dossier_bytes(data: dict | None = None) -> bytes:
    return yaml.safe_dump(data if data is not None else base_data(), allow_unicode=True,
                          sort_keys=False).encode("utf-8")


def late_review() -> dict:
    """The compliant base with its legality-review opinion after the meeting (a blocking finding)."""
    data = base_data()
    for step in data["steps"]:
        if step["type"] == "legality-review":
            step["opinion_on"] = "2025-05-25"
    return data


def titled(title: str, data: dict | None = None) -> dict:
    data = copy.deepcopy(data if data is not None else base_data())
    data["decision"]["title"] = title
    return data


__all__ = ["Service", "service", "start", "fresh_database_url", "backend", "dossier_bytes", "late_review", "titled", "ORG", "OTHER", "YAML",
           "BASE"]
