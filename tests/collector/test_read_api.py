"""The read API, and trust isolation: a viewer token of trust A gets nothing of trust B, by every read endpoint."""

from __future__ import annotations

import re
import uuid

import requests

from tests.support.collector_kit import report_bytes, signed

REPORTS = "/api/v1/reports"


def _seed(running) -> tuple[str, str]:
    rid_a, rid_b = str(uuid.uuid4()), str(uuid.uuid4())
    for keys, site, rid in ((running.keys_a, "URN-A1", rid_a), (running.keys_b, "URN-B1", rid_b)):
        response = requests.post(
            running.url + REPORTS,
            data=signed(keys, report_bytes(site, report_id=uuid.UUID(rid))),
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
    return rid_a, rid_b


def _get(running, path: str, token: str | None, **params: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(running.url + path, headers=headers, params=params, timeout=10)


def test_viewer_reads_its_trust(running) -> None:
    rid_a, _ = _seed(running)
    token = running.a.viewer_token
    assert [t["slug"] for t in _get(running, "/api/v1/trusts", token).json()] == ["trust-a"]
    sites = _get(running, "/api/v1/sites", token).json()
    assert "URN-A1" in [s["site_id"] for s in sites]
    history = _get(running, "/api/v1/sites/URN-A1/history", token).json()
    assert rid_a in [r["report_id"] for r in history]
    report = _get(running, f"/api/v1/reports/{rid_a}", token).json()
    assert report["results"] and report["requirements"] and report["site_id"] == "URN-A1"
    latest = _get(running, "/api/v1/sites/URN-A1/latest", token).json()
    assert latest and {row["site_id"] for row in latest} == {"URN-A1"}
    requirement = latest[0]["requirement"]
    across = _get(running, "/api/v1/latest", token, requirement=requirement).json()
    assert {row["requirement"] for row in across} == {requirement}
    envelope = _get(running, f"/api/v1/reports/{rid_a}/envelope", token)
    assert envelope.status_code == 200 and envelope.json()["payloadType"].startswith("application/vnd.schoolnet")


def test_no_token_or_bad_token_is_refused(running) -> None:
    for token in (None, "snvw_not-a-token"):
        for path in ("/api/v1/trusts", "/api/v1/sites", "/api/v1/reports", "/api/v1/latest"):
            assert _get(running, path, token).status_code == 401


def test_trust_isolation_on_every_read_endpoint(running) -> None:
    rid_a, rid_b = _seed(running)
    spec = requests.get(running.url + "/openapi.json", timeout=10).json()
    read_paths = [p for p, ops in spec["paths"].items() if "get" in ops and ops["get"].get("security")]
    assert len(read_paths) >= 8, read_paths
    b_markers = ("URN-B1", rid_b, "trust-b", "Trust B")
    token_a = running.a.viewer_token
    for template in read_paths:
        # Ask trust A's token for trust B's things, by path and by every query filter.
        path = template.replace("{site_id}", "URN-B1").replace("{report_id}", rid_b)
        for params in ({}, {"site_id": "URN-B1"}):
            response = _get(running, path, token_a, **params)
            assert response.status_code in (200, 404), (path, response.status_code, response.text)
            assert not any(marker in response.text for marker in b_markers), (path, response.text[:300])
        # And its own things: nothing of B leaks in there either.
        own = template.replace("{site_id}", "URN-A1").replace("{report_id}", rid_a)
        response = _get(running, own, token_a)
        assert response.status_code == 200, (own, response.text)
        assert not any(marker in response.text for marker in b_markers), own
    # Symmetric: B's token cannot see A.
    assert _get(running, f"/api/v1/reports/{rid_a}", running.b.viewer_token).status_code == 404
    assert _get(running, "/api/v1/sites/URN-A1", running.b.viewer_token).status_code == 404


def test_openapi_documents_the_api(running) -> None:
    spec = requests.get(running.url + "/openapi.json", timeout=10).json()
    paths = spec["paths"]
    for expected in (
        "/api/v1/reports",
        "/api/v1/enrol",
        "/api/v1/trusts",
        "/api/v1/sites",
        "/api/v1/sites/{site_id}/history",
        "/api/v1/sites/{site_id}/latest",
        "/api/v1/latest",
        "/api/v1/reports/{report_id}",
    ):
        assert expected in paths
    post = paths["/api/v1/reports"]["post"]
    assert set(post["requestBody"]["content"]["application/json"]["schema"]["required"]) == {
        "payloadType",
        "payload",
        "signatures",
    }
    assert {"401", "409", "413", "415", "422"} <= set(post["responses"])
    assert not any(re.search(r"speed", p) for p in paths), "the speed endpoint stays out of the collector API"


def test_latest_follows_the_newest_report_even_on_ties(running) -> None:
    """Two reports finishing at the same instant: 'latest' shows one report's statuses, not both."""
    from datetime import UTC, datetime, timedelta

    when = datetime.now(UTC) - timedelta(seconds=30)
    for _ in range(2):
        body = signed(running.keys_b, report_bytes("URN-B1", finished_at=when))
        response = requests.post(
            running.url + REPORTS, data=body, headers={"Content-Type": "application/json"}, timeout=10
        )
        assert response.status_code == 201
    latest = _get(running, "/api/v1/sites/URN-B1/latest", running.b.viewer_token).json()
    requirements = [row["requirement"] for row in latest]
    assert len(requirements) == len(set(requirements)), "one row per requirement"
    assert len({row["report_id"] for row in latest}) == 1


def test_speed_endpoint_is_mounted(running) -> None:
    assert requests.get(running.url + "/speed/ping", timeout=10).status_code == 200
