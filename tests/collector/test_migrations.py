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
