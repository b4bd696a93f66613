"""token lifecycle: API tokens expire, record when they were last used, and carry a role

Revision ID: 0002_token_lifecycle
Revises: 0001
Create Date: 2026-12-02 03:40:00
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0002_token_lifecycle"
down_revision = "0001"
branch_labels = None
depends_on = None

# Tokens issued before expiry existed get a year from the upgrade: expiring them at once (a year after creation)
# would lock a trust's scripts out the moment the collector is upgraded.
GRACE = timedelta(days=365)


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=20), server_default="viewer", nullable=False))
    until = datetime.now(UTC) + GRACE
    if op.get_bind().dialect.name == "sqlite":
        until = until.replace(tzinfo=None)  # the collector stores naive UTC on SQLite (see models.UTCDateTime)
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    op.execute(tokens.update().where(tokens.c.expires_at.is_(None)).values(expires_at=until))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("role")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
