"""external scans: trust scanner keys and each school's part of a signed external scan

Revision ID: 0004_external_scans
Revises: 0003_dashboard
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_external_scans"
down_revision = "0003_dashboard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trust_scanners",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("trust_id", sa.Integer(), sa.ForeignKey("trusts.id"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("keyid", sa.String(80), nullable=False, unique=True),
        sa.Column("public_key", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "external_scans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scan_id", sa.String(36), nullable=False, index=True),
        sa.Column("site_pk", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False, index=True),
        sa.Column("scanner_id", sa.Integer(), sa.ForeignKey("trust_scanners.id"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("standards_version", sa.String(40), nullable=False),
        sa.Column("school", sa.Text(), nullable=False),
        sa.UniqueConstraint("scan_id", "site_pk"),
    )


def downgrade() -> None:
    op.drop_table("external_scans")
    op.drop_table("trust_scanners")
