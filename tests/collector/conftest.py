"""A real collector process per backend (SQLite file, and a throwaway schema in the real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the [collector] extra is not installed")

from agent.signing import AgentKeys
from collector.testkit import (
    CollectorProcess,
    Provisioned,
    enrolled_keys,
    postgres_reachable,
    postgres_schema,
    provision,
)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'collector.db'}"
        return
    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
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
