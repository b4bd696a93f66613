"""Stateless deployment: two real collector processes on one PostgreSQL serve the same trust. Uploads are spread
across both, one process is killed (SIGKILL) mid-run, the clients retry on the other as a reverse proxy would, and
every report is stored exactly once; a dashboard session made on one process is valid on the other."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from agent.delivery.enroll import enroll
from agent.delivery.signing import envelope_bytes, init_keys
from agent.lab.trust_seed import DEMO_SCHOOLS, load_base, nightly_reports
from collector import admin
from collector.auth import accounts
from collector.db import make_engine, migrate, session_factory
from collector.models import RequirementRow, StoredReport
from reports.writers import report_json_bytes
from tests.support.collector_kit import CollectorProcess, postgres_for_tests, postgres_schema

from .conftest import FIXTURE, Client

pytestmark = pytest.mark.postgres
NIGHTS = 16  # 3 schools x 16 nights = 48 reports


@pytest.fixture(scope="module")
def pg_url():
    with postgres_for_tests() as admin_url:
        if admin_url is None:
            pytest.skip("PostgreSQL unavailable")
        with postgres_schema(admin_url) as url:
            yield url


def test_two_processes_one_killed_mid_run_store_every_report_exactly_once(pg_url, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    migrate(engine)  # once, before either process starts (each would otherwise race to migrate)
    tokens = {}
    with session_factory(engine)() as session:
        trust = admin.create_trust(session, "Two Process Trust")
        for school in DEMO_SCHOOLS:
            admin.create_site(session, trust.slug, school.site_id, school.name, school.phase)
            tokens[school.site_id], _ = admin.create_enrolment_token(session, school.site_id)
        accounts.create_account(
            session,
            trust=trust,
            email="it@two.example",
            name="IT",
            role="trust_admin",
            password="two processes, one database",
        )
    a = CollectorProcess(pg_url, tmp_path / "a").start()
    b = CollectorProcess(pg_url, tmp_path / "b").start()
    try:
        # Sessions live in the database: signed in through one process, recognised by the other.
        on_a = Client(a.url)
        assert on_a.sign_in("it@two.example", "two processes, one database").status_code == 303
        on_b = Client(b.url)
        on_b.cookies = dict(on_a.cookies)
        assert on_b.get("/").status_code == 200

        evidence, profile = load_base(FIXTURE)
        bodies: list[tuple[str, bytes]] = []
        for school in DEMO_SCHOOLS:
            state = tmp_path / f"agent-{school.site_id}"
            keys = init_keys(state)
            enroll(b.url, tokens[school.site_id], state, agent_id=f"agent-{school.site_id}")
            for report in nightly_reports(
                school, evidence, profile, nights=NIGHTS, now=datetime.now(UTC), trust=trust.name
            ):
                bodies.append((str(report.report_id), envelope_bytes(keys.sign(report_json_bytes(report)))))
        expected = {report_id for report_id, _ in bodies}

        killed = threading.Event()
        outcomes: dict[str, int] = {}
        lock = threading.Lock()

        def deliver(index: int) -> None:
            report_id, body = bodies[index]
            if index == len(bodies) // 2 and not killed.is_set():
                killed.set()
                a.kill()  # SIGKILL while other uploads are in flight on it
            order = [a, b] if index % 2 == 0 else [b, a]
            for attempt in range(6):
                target = order[attempt % 2]
                try:
                    answer = requests.post(
                        target.url + "/api/v1/reports",
                        data=body,
                        timeout=20,
                        headers={"Content-Type": "application/json"},
                    )
                except requests.RequestException:
                    continue  # that process is gone: the proxy sends the retry to the other
                if answer.status_code == 201 or (answer.status_code == 409 and answer.json().get("identical") is True):
                    with lock:
                        outcomes[report_id] = answer.status_code
                    return
                if answer.status_code < 500:
                    raise AssertionError(f"{report_id}: HTTP {answer.status_code} {answer.text[:200]}")
            raise AssertionError(f"{report_id} was never delivered")

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(deliver, range(len(bodies))))
        assert killed.is_set() and set(outcomes) == expected

        # Everything again, to the survivor: every one a duplicate, nothing stored twice.
        for report_id, body in bodies:
            again = requests.post(
                b.url + "/api/v1/reports", data=body, timeout=20, headers={"Content-Type": "application/json"}
            )
            assert again.status_code == 409 and again.json()["identical"] is True, report_id

        with session_factory(engine)() as session:
            stored = session.scalars(select(StoredReport.report_id)).all()
            assert sorted(stored) == sorted(expected)  # exactly once each
            per_report = dict(
                session.execute(select(RequirementRow.report_id, func.count()).group_by(RequirementRow.report_id)).all()
            )
            assert len(set(per_report.values())) == 1 and len(per_report) == len(expected)  # no partial rows
        # The survivor serves the dashboard with every school's reports.
        overview = on_b.get("/?format=csv")
        assert overview.status_code == 200 and overview.text.count("\n") == 1 + len(DEMO_SCHOOLS)
    finally:
        a.stop()
        b.stop()
        engine.dispose()
