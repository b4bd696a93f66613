"""Fuzz the collector with schemathesis from its live OpenAPI document: no input may cause a 5xx."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

AGENT_EXAMPLES = 40
READ_EXAMPLES = 15


def _fuzz(
    running, method: str, path: str, examples: int, headers: dict[str, str] | None = None, *, negative: bool = False
) -> None:
    schema = schemathesis.openapi.from_url(running.url + "/openapi.json")
    mode = schemathesis.GenerationMode.NEGATIVE if negative else schemathesis.GenerationMode.POSITIVE
    strategy = schema[path][method].as_strategy(generation_mode=mode)

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def fuzz(case) -> None:
        response = case.call(base_url=running.url, timeout=10, headers=headers)
        assert response.status_code < 500, (case.path_parameters, case.body, response.status_code, response.text[:300])
        if path == "/api/v1/reports":
            assert response.status_code != 201, "a fuzzed envelope was accepted"

    fuzz()


@pytest.mark.parametrize("negative", [False, True], ids=["schema-valid", "schema-violating"])
@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/enrol"])
def test_agent_endpoints_never_5xx(running, path, negative) -> None:
    _fuzz(running, "POST", path, AGENT_EXAMPLES, negative=negative)


def test_read_endpoints_never_5xx(running) -> None:
    schema = schemathesis.openapi.from_url(running.url + "/openapi.json")
    paths = [p for p, ops in schema.raw_schema["paths"].items() if "get" in ops]
    assert paths
    for path in paths:
        _fuzz(running, "GET", path, READ_EXAMPLES, {"Authorization": f"Bearer {running.a.viewer_token}"})
