"""The API fuzzed from its own OpenAPI schema (schemathesis, bounded): no 500s, and every response has a
documented status, its content type and a body matching its schema — valid and invalid requests, as an
admin, a submitter and without a token."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from service_fixtures import service  # noqa: F401 (fixture)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 8  # per operation, body type, mode and role: bounded (the whole file runs in about a minute)


def _cases(service):
    schema = schemathesis.openapi.from_dict(service.api.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for media_type in [b.media_type for b in operation.body] or [None]:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                yield operation, media_type, mode


def _renderable(kwargs: dict) -> dict:
    """Generated multipart fields may hold numbers, which httpx cannot put in a form: send their text."""
    files = kwargs.get("files")
    if files:
        kwargs["files"] = [(name, (part[0], part[1] if isinstance(part[1], (bytes, str)) else str(part[1]),
                                   *part[2:])) for name, part in files]
    return kwargs


@pytest.mark.parametrize("who", ["admin", "submitter", None])
def test_no_request_gets_a_500_or_an_undocumented_answer(service, who):
    for operation, media_type, mode in _cases(service):
        @given(case=operation.as_strategy(mode, media_type=media_type))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            kwargs = case.as_transport_kwargs(base_url=str(service.client.base_url), headers=service.headers(who))
            response = service.client.request(**_renderable(kwargs))
            response.request.read()  # a multipart body is a stream: read so the checks can show it
            case.validate_response(response, checks=CHECKS)
        run()
