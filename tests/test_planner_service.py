"""GET /v1/reviews/{id}/plan: the same plan as `prereview plan`, computed in a review worker."""
from __future__ import annotations

import datetime as dt

from prereview.engine.load import load_dossier_bytes
from prereview.engine.planner import plan_dossier

from helpers import base_data, rulebook
from service_fixtures import dossier_bytes, service  # noqa: F401 — the module's running service


def _started() -> bytes:
    data = base_data()
    data["steps"] = [s for s in data["steps"] if s["type"] == "initiation"]
    data["decision"]["stage"] = "pre-review"
    return dossier_bytes(data)


def test_the_service_plans_a_stored_dossier_as_the_command_does(service):  # noqa: F811
    raw = _started()
    created = service.submit("submitter", raw).json()
    h = service.headers("submitter")
    r = service.client.get(f"/v1/reviews/{created['id']}/plan", params={"meeting": "2025-10-10", "today": "2025-03-01"},
                           headers=h)
    assert r.status_code == 200, r.text
    local = plan_dossier(load_dossier_bytes(raw, "started.yaml"),
                         rulebook(), target=dt.date(2025, 10, 10), today=dt.date(2025, 3, 1))
    got = r.json()
    assert [(s["step"], s["field"], s["latest"], s["status"]) for s in got["steps"]] == [
        (s.step, s.field, s.latest.isoformat() if s.latest else None, s.status) for s in local.steps]
    review = next(s for s in got["steps"] if (s["step"], s["field"]) == ("legality-review", "submitted_on"))
    assert review["latest"] == "2025-09-24"


def test_a_plan_without_a_date_is_refused_in_chinese_and_another_organisation_sees_nothing(service):  # noqa: F811
    created = service.submit("submitter", _started()).json()
    r = service.client.get(f"/v1/reviews/{created['id']}/plan", headers=service.headers("submitter"))
    assert r.status_code == 422 and "--meeting" in r.text
    other = service.client.get(f"/v1/reviews/{created['id']}/plan", params={"meeting": "2025-10-10"},
                               headers=service.headers("other_submitter"))
    assert other.status_code == 404
