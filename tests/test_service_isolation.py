"""The rule engine cannot take the service down: a worker killed by SIGSEGV mid-review is replaced and the
review retried once (else 503); a review past the time limit is stopped (503); limits on the body."""
from __future__ import annotations

import pytest

from prereview.api.service.http import create_app
from prereview.api.service.settings import Settings
from fastapi.testclient import TestClient

from service_fixtures import dossier_bytes, start, titled


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    # a short time limit: the hanging review is stopped after it; ordinary reviews take milliseconds
    svc = start(tmp_path_factory.mktemp("faults"), review_timeout=8)
    yield svc
    svc.client.__exit__(None, None, None)


def _ok(svc, title: str):
    r = svc.submit("submitter", dossier_bytes(titled(title)))
    assert r.status_code == 201, r.text
    return r.json()


def _worker_pids(svc) -> set[int]:
    return {w.pid for w in svc.api.state.pool.pool._pool_manager.worker_manager.workers.values()}


def test_a_worker_killed_once_by_sigsegv_is_replaced_and_the_review_retried(faulty):
    _ok(faulty, "崩溃前")
    before = _worker_pids(faulty)
    r = faulty.submit("submitter", dossier_bytes(titled("[[test:segv-once]] 一次崩溃")))
    assert r.status_code == 201, r.text
    assert r.json()["review"]["dossier"]["title"] == "[[test:segv-once]] 一次崩溃"
    assert _worker_pids(faulty).isdisjoint(before)  # the worker that died is gone, a new one reviewed
    _ok(faulty, "崩溃后")


def test_a_review_that_crashes_its_worker_twice_is_503_and_the_service_goes_on(faulty):
    r = faulty.submit("submitter", dossier_bytes(titled("[[test:segv]] 总是崩溃")))
    assert r.status_code == 503
    err = r.json()["error"]
    assert err["code"] == "engine-crashed" and "服务仍在运行" in err["message"]
    assert r.headers["retry-after"]
    listed = faulty.client.get("/v1/reviews", params={"limit": 100}, headers=faulty.headers("submitter")).json()
    assert all("总是崩溃" not in i["title"] for i in listed["items"])  # nothing stored for it
    _ok(faulty, "两次崩溃后")


def test_a_review_past_the_time_limit_is_stopped_with_503(faulty):
    r = faulty.submit("submitter", dossier_bytes(titled("[[test:hang]] 卡住")))
    assert r.status_code == 503 and r.json()["error"]["code"] == "review-timeout"
    _ok(faulty, "超时后")


def test_fault_hooks_are_off_unless_a_test_arms_them(tmp_path):
    from prereview.api.service import workers
    workers._STATE.pop("faults", None)
    workers._fault_hooks(b"[[test:segv]] [[test:hang]]")  # returns: this process is still here


class _NoPool:
    def review(self, *args):
        raise AssertionError("a refused request must not reach a worker")

    def close(self):
        pass


@pytest.fixture
def small(tmp_path):
    asgi = create_app(Settings(data_dir=tmp_path, body_limit=4096), pool=_NoPool())
    with TestClient(asgi, raise_server_exceptions=False) as client:
        yield client, asgi.app


def test_a_body_over_the_limit_is_413_before_anything_reads_it(small):
    client, _ = small
    r = client.post("/v1/reviews", content=b"x" * 4097, headers={"content-type": "application/yaml"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body-too-large"
    assert "4,096" in r.json()["error"]["message"]

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(5):
            yield b"x" * 1000
    r = client.post("/v1/reviews", content=chunks(), headers={"content-type": "application/yaml"})
    assert r.status_code == 413


def test_the_default_body_limit_is_one_mib():
    assert Settings().body_limit == 1024 * 1024
    assert Settings.from_env().body_limit == 1024 * 1024


def test_the_body_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("PREREVIEW_BODY_LIMIT", "2048")
    assert Settings.from_env().body_limit == 2048


def test_a_body_within_the_limit_reaches_the_application(small):
    client, _ = small
    r = client.post("/v1/reviews", content=b"x" * 4096, headers={"content-type": "application/yaml"})
    assert r.status_code == 401  # past the limit check, refused for want of a token
