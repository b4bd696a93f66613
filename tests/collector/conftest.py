"""A real collector process per backend (SQLite file, and a throwaway schema in the real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the [collector] extra is not installed")

from agent.delivery.signing import AgentKeys
from tests.support.collector_kit import (
    CollectorProcess,
    Provisioned,
    enrolled_keys,
    postgres_for_tests,
    postgres_schema,
    provision,
)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str | None]:
    """127.0.0.1:5432 when it answers, else a throwaway cluster (stopped at the end), else None."""
    with postgres_for_tests() as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database per module: a SQLite file, or a schema of its own in PostgreSQL (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'collector.db'}"
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    if admin_url is None:
        pytest.skip(getattr(postgres_for_tests, "reason", "PostgreSQL unavailable"))
    with postgres_schema(admin_url) as url:
        yield url


@dataclass
class Running:
    server: CollectorProcess
    db_url: str
    a: Provisioned
    b: Provisioned
    keys_a: AgentKeys
    keys_b: AgentKeys
    state_a: Path
    state_b: Path

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def running(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """Two trusts with one enrolled school each, on a live collector."""
    work = tmp_path_factory.mktemp("collector")
    a = provision(db_url, "Trust A", "URN-A1")
    b = provision(db_url, "Trust B", "URN-B1")
    server = CollectorProcess(db_url, work).start()
    try:
        keys_a = enrolled_keys(server.url, a.enrol_token, work / "state-a")
        keys_b = enrolled_keys(server.url, b.enrol_token, work / "state-b")
        yield Running(server, db_url, a, b, keys_a, keys_b, work / "state-a", work / "state-b")
    finally:
        server.stop()
