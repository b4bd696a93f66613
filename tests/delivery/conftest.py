"""Backends for delivery tests that need a real collector: SQLite file and a throwaway PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("fastapi", reason="the [collector] extra is not installed")
    from collector.testkit import postgres_reachable, postgres_schema

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'collector.db'}"
        return
    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
        yield url
