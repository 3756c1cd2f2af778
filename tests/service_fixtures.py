"""A running service for the API tests: a fresh data folder, one worker process, tokens of two organisations."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import pytest
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


def start(tmp: Path, **settings) -> Service:
    faults = tmp / "faults"
    faults.mkdir(parents=True, exist_ok=True)
    s = Settings(data_dir=tmp / "data", workers=1, test_faults=str(faults), **settings)
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


__all__ = ["Service", "service", "start", "dossier_bytes", "late_review", "titled", "ORG", "OTHER", "YAML",
           "BASE"]
