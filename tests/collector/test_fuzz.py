"""Fuzz the agents' endpoints with schemathesis from the live OpenAPI document: no input may cause a 5xx."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

MAX_EXAMPLES = 60


@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/enrol"])
def test_no_server_error(running, path) -> None:
    schema = schemathesis.openapi.from_url(running.url + "/openapi.json")
    operation = schema[path]["POST"]
    strategy = operation.as_strategy()

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def fuzz(case) -> None:
        response = case.call(base_url=running.url, timeout=10)
        assert response.status_code < 500, (case.body, response.status_code, response.text[:300])
        assert response.status_code != 201 or path == "/api/v1/enrol", "a fuzzed envelope was accepted"

    fuzz()
