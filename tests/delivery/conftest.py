"""Backends for delivery tests that need a real collector: SQLite file and a throwaway PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str | None]:
    """127.0.0.1:5432 when it answers, else a throwaway cluster (stopped at the end), else None."""
    pytest.importorskip("fastapi", reason="the [collector] extra is not installed")
    from tests.support.collector_kit import postgres_for_tests

    with postgres_for_tests() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("fastapi", reason="the [collector] extra is not installed")
    from tests.support.collector_kit import postgres_for_tests, postgres_schema

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'collector.db'}"
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    if admin_url is None:
        pytest.skip(getattr(postgres_for_tests, "reason", "PostgreSQL unavailable"))
    with postgres_schema(admin_url) as url:
        yield url
