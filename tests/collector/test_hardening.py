"""Issue 9 defects 3, 6 and 7: timestamps in a sane window, private SQLite files, database passwords never shown."""

from __future__ import annotations

import os
import stat
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from collector.db import make_engine, migrate
from tests.support.collector_kit import CollectorProcess, report_bytes, run_collector_cli, signed

REPORTS = "/api/v1/reports"


def _post(running, body: bytes) -> requests.Response:
    return requests.post(running.url + REPORTS, data=body, headers={"Content-Type": "application/json"}, timeout=10)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"started_at": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))}, "started_at"),
        ({"started_at": datetime(1970, 1, 1, tzinfo=UTC)}, "started_at"),
    ],
    ids=["year-1-plus-one-hour", "epoch"],
)
def test_timestamps_outside_a_sane_window_are_refused(running, changes, field) -> None:
    body = signed(running.keys_a, report_bytes("URN-A1", **changes))
    response = _post(running, body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "bad_timestamps"
    assert field in response.json()["detail"]
    # Nothing broke: the trust's lists still answer.
    auth = {"Authorization": f"Bearer {running.a.viewer_token}"}
    for path in ("/api/v1/reports", "/api/v1/sites/URN-A1/history", "/api/v1/latest"):
        assert requests.get(running.url + path, headers=auth, timeout=10).status_code == 200


def test_started_after_finished_is_refused(running) -> None:
    finished = datetime.now(UTC) - timedelta(minutes=10)
    body = signed(running.keys_a, report_bytes("URN-A1", finished_at=finished, started_at=finished + timedelta(1)))
    response = _post(running, body)
    assert response.status_code == 422 and response.json()["error"] in ("bad_timestamps", "from_future")


def test_agent_moves_a_permanently_refused_report_to_rejected_with_the_reason(running, tmp_path) -> None:
    from agent.config.upload import UploadConfig
    from agent.delivery.outbox import Outbox
    from agent.delivery.upload import flush

    rid = str(uuid.uuid4())
    payload = report_bytes("URN-A1", report_id=uuid.UUID(rid), started_at=datetime(1970, 1, 1, tzinfo=UTC))
    outbox = Outbox(running.state_a)
    outbox.put(rid, signed(running.keys_a, payload), site_id="URN-A1")
    config = UploadConfig(enabled=True, url=running.url, max_attempts=3, backoff_initial_s=0.01)
    result = flush(outbox, config, sleep=lambda _s: None)
    assert [r for r, _ in result.rejected] == [rid]
    assert "422" in result.rejected[0][1] and "bad_timestamps" in result.rejected[0][1]
    assert rid not in [i.report_id for i in outbox.items()]
    assert rid in [i.report_id for i in outbox.rejected()]


def test_sqlite_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    database = tmp_path / "new" / "folder" / "collector.db"
    old = os.umask(0)
    try:
        engine = make_engine(f"sqlite:///{database}")
        migrate(engine)
        with engine.begin() as conn:  # a write, so the -wal and -shm files exist
            conn.execute(text("insert into trusts (slug, name, created_at) values ('t', 'T', '2026-01-01')"))
            files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in database.parent.iterdir()}
        engine.dispose()
    finally:
        os.umask(old)
    assert {"collector.db", "collector.db-wal", "collector.db-shm"} <= set(files), files
    assert all(mode == 0o600 for mode in files.values()), {k: oct(v) for k, v in files.items()}
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700


def test_sqlite_files_left_readable_by_an_older_version_are_tightened(tmp_path: Path) -> None:
    database = tmp_path / "collector.db"
    database.touch()
    os.chmod(database, 0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


@pytest.fixture
def cli(capsys, monkeypatch):
    def run(db: str, *args: str) -> tuple[int, str]:
        done = run_collector_cli(capsys, monkeypatch, db, *args, db_flag=True)
        return done.returncode, done.stdout + done.stderr

    return run


@pytest.mark.parametrize(
    ("url", "secret", "code"),
    [
        ("postgresql://postgres:s3cret-pw@127.0.0.1:1/none", "s3cret-pw", 3),
        ("postgresql://postgres@127.0.0.1:1/none?password=s3cret-q", "s3cret-q", 3),
        ("postgresql://postgres@127.0.0.1:1/none?sslmode=disable&password=s3cret-q2", "s3cret-q2", 3),
        ("postgresql://postgres:pa:ss-w0rd@127.0.0.1:1/none", "ss-w0rd", 3),
        ("postgresql://postgres:p@ss-w0rd@127.0.0.1:1/none", "ss-w0rd", 3),
        ("postgresql://postgres:s3cret-port@127.0.0.1:notaport/none", "s3cret-port", 2),
    ],
    ids=["userinfo", "query", "query-second", "colon", "at-sign", "bad-port"],
)
def test_database_password_is_never_printed(cli, url, secret, code) -> None:
    done, output = cli(url, "token", "list")
    assert done == code, output
    assert secret not in output, output
    assert "Traceback" not in output and "ValueError" not in output
    assert "***" in output


@pytest.mark.postgres
def test_password_with_a_colon_works_and_the_banner_hides_it(db_url, cli, tmp_path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    scheme, rest = db_url.split("://", 1)
    # The test server trusts loopback, so any password is accepted: what matters is that it parses and never shows.
    with_colon = f"{scheme}://{rest.replace('postgres@', 'postgres:pa:ss-w0rd@', 1)}"
    done, output = cli(with_colon, "token", "list")
    assert done == 0, output
    in_query = f"{db_url}&password=s3cret-banner"
    server = CollectorProcess(in_query, tmp_path).start()
    try:
        log = server.log_tail()
    finally:
        server.stop()
    assert "schoolnet collector on" in log and "s3cret-banner" not in log, log
