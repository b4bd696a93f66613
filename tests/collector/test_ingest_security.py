"""Every bad upload is refused with a 4xx and a clear reason, and nothing is stored (real process, real HTTP)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from agent.delivery.signing import AgentKeys, envelope_bytes, make_envelope, pae
from collector.db import make_engine
from collector.models import ResultRow, StoredReport
from tests.support.collector_kit import enrolled_keys, provision, report_bytes, signed

REPORTS = "/api/v1/reports"


def post(url: str, body: bytes) -> requests.Response:
    return requests.post(url + REPORTS, data=body, headers={"Content-Type": "application/json"}, timeout=10)


def stored_count(db_url: str, report_id: str | None = None) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).select_from(StoredReport)
            if report_id:
                query = query.where(StoredReport.report_id == report_id)
            return int(conn.scalar(query) or 0)
    finally:
        engine.dispose()


def assert_refused(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code, body
    assert body["detail"], "every refusal carries a human reason"


def test_good_report_is_stored_once_with_results(running) -> None:
    rid = uuid.uuid4()
    payload = report_bytes("URN-A1", report_id=rid)
    response = post(running.url, signed(running.keys_a, payload))
    assert response.status_code == 201, response.text
    assert response.json()["report_id"] == str(rid)
    assert stored_count(running.db_url, str(rid)) == 1
    engine = make_engine(running.db_url)
    with engine.connect() as conn:
        envelope = conn.scalar(select(StoredReport.envelope).where(StoredReport.report_id == str(rid)))
        results = conn.scalar(select(func.count()).select_from(ResultRow).where(ResultRow.report_id == str(rid)))
    engine.dispose()
    # The envelope is kept exactly as sent, and its payload is exactly the report.json bytes.
    assert base64.b64decode(json.loads(envelope)["payload"]) == payload
    assert results == len(json.loads(payload)["results"]) > 0


def _tampered(keys: AgentKeys, payload: bytes) -> bytes:
    envelope = keys.sign(payload)
    altered = payload.replace(b'"secondary"', b'"primary"', 1)
    assert altered != payload
    envelope["payload"] = base64.b64encode(altered).decode()
    return envelope_bytes(envelope)


def _wrong_key(keys: AgentKeys, payload: bytes) -> bytes:
    """Signed by another key but claiming the enrolled key's id."""
    other = Ed25519PrivateKey.generate()
    envelope = keys.sign(payload)
    envelope["signatures"][0]["sig"] = base64.b64encode(other.sign(pae(envelope["payloadType"], payload))).decode()
    return envelope_bytes(envelope)


def _unknown_key(keys: AgentKeys, payload: bytes) -> bytes:
    return envelope_bytes(make_envelope(Ed25519PrivateKey.generate(), payload))


def _wrong_type(keys: AgentKeys, payload: bytes) -> bytes:
    return signed(keys, payload, "application/vnd.in-toto+json")


def _type_swapped_after_signing(keys: AgentKeys, payload: bytes) -> bytes:
    envelope = keys.sign(payload)
    envelope["payloadType"] = "application/json"
    return envelope_bytes(envelope)


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (_tampered, 401, "bad_signature"),
        (_wrong_key, 401, "bad_signature"),
        (_unknown_key, 401, "unknown_key"),
        (_wrong_type, 415, "wrong_payload_type"),
        (_type_swapped_after_signing, 401, "bad_signature"),
    ],
    ids=["tampered-payload", "wrong-key", "unknown-key-id", "wrong-payload-type", "type-altered"],
)
def test_signature_and_type_refusals(running, make, status, code) -> None:
    rid = uuid.uuid4()
    before = stored_count(running.db_url)
    response = post(running.url, make(running.keys_a, report_bytes("URN-A1", report_id=rid)))
    assert_refused(response, status, code)
    assert stored_count(running.db_url) == before
    assert stored_count(running.db_url, str(rid)) == 0


def test_report_for_another_site_is_refused(running) -> None:
    """Site A's key cannot speak for site B."""
    rid = uuid.uuid4()
    assert_refused(
        post(running.url, signed(running.keys_a, report_bytes("URN-B1", report_id=rid))), 403, "site_mismatch"
    )
    assert stored_count(running.db_url, str(rid)) == 0


def test_future_report_is_refused(running) -> None:
    rid = uuid.uuid4()
    payload = report_bytes("URN-A1", report_id=rid, finished_at=datetime.now(UTC) + timedelta(hours=2))
    assert_refused(post(running.url, signed(running.keys_a, payload)), 422, "from_future")
    assert stored_count(running.db_url, str(rid)) == 0


def test_replayed_report_id(running) -> None:
    rid = uuid.uuid4()
    first = report_bytes("URN-A1", report_id=rid)
    assert post(running.url, signed(running.keys_a, first)).status_code == 201
    # The same envelope again (a lost acknowledgement, or a replay): refused, flagged identical, not stored twice.
    again = post(running.url, signed(running.keys_a, first))
    assert_refused(again, 409, "duplicate_report")
    assert again.json()["identical"] is True
    # A different report reusing the id: refused as a replay.
    other = report_bytes("URN-A1", report_id=rid, standards_version="tampered")
    replay = post(running.url, signed(running.keys_a, other))
    assert_refused(replay, 409, "duplicate_report")
    assert replay.json()["identical"] is False
    assert stored_count(running.db_url, str(rid)) == 1


def test_schema_version_and_missing_fields(running) -> None:
    payload = json.loads(report_bytes("URN-A1"))
    payload["schema_version"] = 99
    assert_refused(
        post(running.url, signed(running.keys_a, json.dumps(payload).encode())), 422, "unsupported_schema_version"
    )
    payload = json.loads(report_bytes("URN-A1"))
    del payload["finished_at"]
    response = post(running.url, signed(running.keys_a, json.dumps(payload).encode()))
    assert_refused(response, 422, "invalid_report")
    assert "finished_at" in response.json()["detail"]
    assert_refused(post(running.url, signed(running.keys_a, b"{not json")), 422, "malformed_report")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[]", 422),
        (b'{"payloadType": "x", "payload": "%%%", "signatures": []}', 422),
        (b'{"payloadType": 7, "payload": "eyJ9", "signatures": [{"keyid": 1}]}', 422),
        (b'{"payload": "eyJ9", "signatures": [{"keyid": "k", "sig": "AA=="}]}', 422),
    ],
    ids=["not-json", "array", "bad-base64", "wrong-types", "missing-payloadType"],
)
def test_malformed_envelopes(running, body, status) -> None:
    before = stored_count(running.db_url)
    assert_refused(post(running.url, body), status, "malformed_envelope")
    assert stored_count(running.db_url) == before


def test_oversize_body_is_refused_before_reading_it_all(running) -> None:
    before = stored_count(running.db_url)
    huge = b'{"payloadType": "x", "payload": "' + b"A" * (5 * 1024 * 1024) + b'", "signatures": []}'
    assert_refused(post(running.url, huge), 413, "too_large")
    assert stored_count(running.db_url) == before


def test_revoked_key(running, tmp_path) -> None:
    from collector.admin import revoke_key
    from collector.db import session_factory

    site = provision(running.db_url, "Trust A", f"URN-R{uuid.uuid4().hex[:6]}")
    keys = enrolled_keys(running.url, site.enrol_token, tmp_path / "state")
    assert post(running.url, signed(keys, report_bytes(site.site_id))).status_code == 201
    engine = make_engine(running.db_url)
    with session_factory(engine)() as session:
        revoke_key(session, keys.keyid, "laptop stolen")
    engine.dispose()
    rid = uuid.uuid4()
    assert_refused(post(running.url, signed(keys, report_bytes(site.site_id, report_id=rid))), 403, "key_revoked")
    assert stored_count(running.db_url, str(rid)) == 0


def test_rotation_keeps_old_reports_and_refuses_new_ones_from_the_old_key(running, tmp_path) -> None:
    from collector.admin import create_enrolment_token
    from collector.db import session_factory

    site = provision(running.db_url, "Trust A", f"URN-K{uuid.uuid4().hex[:6]}")
    old = enrolled_keys(running.url, site.enrol_token, tmp_path / "old")
    queued_before_rotation = report_bytes(site.site_id, finished_at=datetime.now(UTC) - timedelta(minutes=1))
    engine = make_engine(running.db_url)
    with session_factory(engine)() as session:
        token, _ = create_enrolment_token(session, site.site_id, rotate=True)
    engine.dispose()
    new = enrolled_keys(running.url, token, tmp_path / "new")
    # An outbox item signed before the rotation still goes in; the old key cannot sign anything newer.
    assert post(running.url, signed(old, queued_before_rotation)).status_code == 201
    newer = report_bytes(site.site_id, finished_at=datetime.now(UTC) + timedelta(seconds=1))
    assert_refused(post(running.url, signed(old, newer)), 403, "key_rotated")
    assert post(running.url, signed(new, newer)).status_code == 201


def test_enrolment_token_is_one_time_and_expires(running, tmp_path) -> None:
    from agent.errors import UsageError
    from collector.admin import create_enrolment_token
    from collector.db import session_factory

    site = provision(running.db_url, "Trust B", f"URN-E{uuid.uuid4().hex[:6]}")
    enrolled_keys(running.url, site.enrol_token, tmp_path / "first")
    with pytest.raises(UsageError, match="already used"):
        enrolled_keys(running.url, site.enrol_token, tmp_path / "second")
    engine = make_engine(running.db_url)
    with session_factory(engine)() as session:
        token, _ = create_enrolment_token(session, site.site_id, timedelta(seconds=-1))
    engine.dispose()
    with pytest.raises(UsageError, match="expired"):
        enrolled_keys(running.url, token, tmp_path / "third")


def test_newer_agent_fields_are_accepted_and_kept(running) -> None:
    """The contract lets agents add fields without a version bump: the collector must take them."""
    payload = json.loads(report_bytes("URN-A1"))
    payload["new_top_level_field"] = {"from": "a newer agent"}
    payload["results"][0]["confidence"] = 0.9
    body = json.dumps(payload).encode()
    response = post(running.url, signed(running.keys_a, body))
    assert response.status_code == 201, response.text
    assert stored_count(running.db_url, payload["report_id"]) == 1


def test_timestamps_without_time_zone_are_refused(running) -> None:
    payload = json.loads(report_bytes("URN-A1"))
    payload["finished_at"] = "2026-01-01T10:00:00"
    response = post(running.url, signed(running.keys_a, json.dumps(payload).encode()))
    assert_refused(response, 422, "invalid_report")
    assert "finished_at" in response.json()["detail"]


def test_nul_characters_never_cause_a_server_error(running) -> None:
    """PostgreSQL text cannot hold NUL (found by the fuzzer); hidden SSIDs are often NUL-padded."""
    payload = json.loads(report_bytes("URN-A1"))
    payload["agent"]["id"] = "agent\x00one"
    payload["results"][0]["target"] = "\x00\x00\x00"
    body = json.dumps(payload).encode()
    response = post(running.url, signed(running.keys_a, body))
    assert response.status_code == 201, response.text
    envelope = requests.get(
        f"{running.url}/api/v1/reports/{payload['report_id']}/envelope",
        headers={"Authorization": f"Bearer {running.a.viewer_token}"},
        timeout=10,
    )
    assert base64.b64decode(envelope.json()["payload"]) == body, "the envelope keeps the original bytes"
    headers = {"Authorization": f"Bearer {running.a.viewer_token}"}
    assert requests.get(running.url + "/api/v1/sites/a%00b", headers=headers, timeout=10).status_code < 500
    assert (
        requests.get(
            running.url + "/api/v1/latest", params={"requirement": "x\x00"}, headers=headers, timeout=10
        ).status_code
        < 500
    )
    enrol = requests.post(
        running.url + "/api/v1/enrol",
        json={"token": "t\x00", "public_key": "A" * 43 + "=", "agent_id": "a\x00"},
        timeout=10,
    )
    assert 400 <= enrol.status_code < 500
