"""The shipped Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from collector.db import make_engine, migrate
from collector.models import Base


def test_migrations_match_models_and_are_idempotent(db_url) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine)
        migrate(engine)  # applying on every start must be harmless
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert context.get_current_revision() is not None
            differences = compare_metadata(context, Base.metadata)
        assert differences == [], differences
    finally:
        engine.dispose()


def test_token_lifecycle_migration_gives_old_tokens_a_year(db_url) -> None:
    """A collector upgraded from 0001: its viewer tokens keep working, now with an expiry a year away."""
    from datetime import UTC, datetime, timedelta

    from alembic import command
    from sqlalchemy import text

    from collector.db import alembic_config

    engine = make_engine(db_url)
    try:
        cfg = alembic_config()
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            if _has_version_table(connection):  # the module's database is already at head
                command.downgrade(cfg, "base")
            command.upgrade(cfg, "0001")
            connection.execute(
                text("insert into trusts (slug, name, created_at) values ('t', 'T', :now)"), {"now": datetime.now(UTC)}
            )
            connection.execute(
                text(
                    "insert into api_tokens (token_sha256, trust_id, name, created_at) "
                    "select 'abc', id, 'old', :now from trusts where slug = 't'"
                ),
                {"now": datetime.now(UTC)},
            )
        migrate(engine)
        with engine.connect() as connection:
            row = connection.execute(text("select expires_at, role, last_used_at from api_tokens")).one()
        expires = row.expires_at if not isinstance(row.expires_at, str) else datetime.fromisoformat(row.expires_at)
        expires = expires.replace(tzinfo=UTC) if expires.tzinfo is None else expires
        assert abs(expires - (datetime.now(UTC) + timedelta(days=365))) < timedelta(minutes=5)
        assert row.role == "viewer" and row.last_used_at is None
    finally:
        engine.dispose()


def _has_version_table(connection) -> bool:
    from sqlalchemy import inspect

    return "alembic_version" in inspect(connection).get_table_names()
