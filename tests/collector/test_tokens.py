"""API token lifecycle (issue 9, defect 4): list, revoke, expiry, last use; and report deletion by an admin."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select, update

from collector import admin
from collector.db import make_engine, session_factory
from collector.models import ApiToken, StoredReport
from tests.support.collector_kit import report_bytes, run_collector_cli, signed


@pytest.fixture
def session(running) -> Iterator:
    engine = make_engine(running.db_url)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _get(running, token: str) -> requests.Response:
    return requests.get(running.url + "/api/v1/sites", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _row(session, token: str) -> ApiToken:
    session.expire_all()
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == admin.token_hash(token)))
    assert row is not None
    return row


def test_new_tokens_expire_in_a_year_and_record_their_last_use(running, session) -> None:
    issued = admin.issue_token(session, "trust-a", "script")
    expected = datetime.now(UTC) + timedelta(days=365)
    assert abs((issued.expires_at - expected).total_seconds()) < 60
    assert _row(session, issued.token).last_used_at is None
    assert _get(running, issued.token).status_code == 200
    used = _row(session, issued.token).last_used_at
    assert used is not None and abs((datetime.now(UTC) - used).total_seconds()) < 60


def test_revoked_token_is_refused_at_once(running, session) -> None:
    issued = admin.issue_token(session, "trust-a", "leaver")
    assert _get(running, issued.token).status_code == 200
    admin.revoke_token(session, str(issued.id))
    response = _get(running, issued.token)
    assert response.status_code == 401, response.text
    assert "revoked" in response.text


def test_expired_token_is_refused(running, session) -> None:
    issued = admin.issue_token(session, "trust-a", "short", ttl=timedelta(days=1))
    assert _get(running, issued.token).status_code == 200
    session.execute(
        update(ApiToken).where(ApiToken.id == issued.id).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.commit()
    response = _get(running, issued.token)
    assert response.status_code == 401 and "expired" in response.text


def test_admin_token_deletes_only_its_trusts_reports(running, session) -> None:
    rid = uuid.uuid4()
    body = signed(running.keys_a, report_bytes("URN-A1", report_id=rid))
    stored = requests.post(running.url + "/api/v1/reports", data=body, timeout=10)
    assert stored.status_code == 201, stored.text
    path = f"{running.url}/api/v1/reports/{rid}"
    viewer = {"Authorization": f"Bearer {running.a.viewer_token}"}
    other_admin = admin.issue_token(session, "trust-b", "b admin", role="admin").token
    own_admin = admin.issue_token(session, "trust-a", "a admin", role="admin").token
    assert requests.delete(path, headers=viewer, timeout=10).status_code == 403
    assert requests.delete(path, headers={"Authorization": f"Bearer {other_admin}"}, timeout=10).status_code == 404
    assert requests.delete(path, timeout=10).status_code == 401
    gone = requests.delete(path, headers={"Authorization": f"Bearer {own_admin}"}, timeout=10)
    assert gone.status_code == 200, gone.text
    assert requests.get(path, headers=viewer, timeout=10).status_code == 404
    session.expire_all()
    assert session.get(StoredReport, str(rid)) is None
    # The id is free again: the same signed report can be uploaded anew.
    assert requests.post(running.url + "/api/v1/reports", data=body, timeout=10).status_code == 201


@pytest.fixture
def cli(capsys, monkeypatch):
    def run(db: str, *args: str) -> tuple[int, str, str]:
        done = run_collector_cli(capsys, monkeypatch, db, *args)
        return done.returncode, done.stdout, done.stderr

    return run


def test_token_list_and_revoke_from_the_command_line(running, cli) -> None:
    db = running.db_url
    code, out, _ = cli(db, "token", "viewer", "trust-a", "--name", "governor", "--days", "30", "--format", "json")
    assert code == 0
    made = json.loads(out)
    assert made["role"] == "viewer" and made["expires_at"]
    assert _get(running, made["token"]).status_code == 200
    code, out, _ = cli(db, "token", "list", "--trust", "trust-a", "--format", "json")
    listed = {row["id"]: row for row in json.loads(out)}
    assert listed[made["id"]]["state"] == "active" and listed[made["id"]]["last_used_at"]
    assert made["token"] not in out, "a token is shown once, never listed"
    assert cli(db, "token", "revoke", str(made["id"]))[0] == 0
    assert _get(running, made["token"]).status_code == 401
    code, out, _ = cli(db, "token", "list", "--format", "json")
    assert {row["id"]: row for row in json.loads(out)}[made["id"]]["state"] == "revoked"
    assert cli(db, "token", "revoke", "999999")[0] == 2
    assert cli(db, "token", "viewer", "trust-a", "--role", "root")[0] == 2


def test_report_delete_from_the_command_line(running, cli) -> None:
    rid = uuid.uuid4()
    body = signed(running.keys_b, report_bytes("URN-B1", report_id=rid))
    assert requests.post(running.url + "/api/v1/reports", data=body, timeout=10).status_code == 201
    code, out, err = cli(running.db_url, "report", "delete", str(rid), "--format", "json")
    assert code == 0, err
    assert json.loads(out) == {"report_id": str(rid), "status": "deleted"}
    viewer = {"Authorization": f"Bearer {running.b.viewer_token}"}
    assert requests.get(f"{running.url}/api/v1/reports/{rid}", headers=viewer, timeout=10).status_code == 404
    assert cli(running.db_url, "report", "delete", str(rid))[0] == 2
