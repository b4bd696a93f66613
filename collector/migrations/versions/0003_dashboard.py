"""dashboard: accounts, sessions, sign-in attempts, audit log, attestations, public addresses, report facts

Revision ID: 0003_dashboard
Revises: 0002_token_lifecycle
Create Date: 2026-12-02 03:40:00
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0003_dashboard"
down_revision = "0002_token_lifecycle"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("trust_id", sa.Integer(), sa.ForeignKey("trusts.id"), nullable=False, index=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("site_pk", sa.Integer(), sa.ForeignKey("sites.id"), nullable=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        _when("created_at"),
        _when("disabled_at", nullable=True),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column(
            "account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        _when("created_at"),
        _when("last_seen_at"),
        _when("expires_at"),
        sa.Column("mfa_pending", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        _when("at"),
        sa.Column("outcome", sa.String(10), nullable=False),
    )
    op.create_index("ix_login_attempts_email_at", "login_attempts", ["email", "at"])
    op.create_index("ix_login_attempts_source_at", "login_attempts", ["source", "at"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _when("at"),
        sa.Column("trust_id", sa.Integer(), sa.ForeignKey("trusts.id"), nullable=True),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(300), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_audit_events_trust_at", "audit_events", ["trust_id", "at"])
    op.create_table(
        "site_attestations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("site_pk", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("requirement", sa.String(120), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("attested_by", sa.String(200), nullable=False),
        sa.Column("attested_on", sa.Date(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(254), nullable=False),
        _when("recorded_at"),
    )
    op.create_index("ix_site_attestations_site_req", "site_attestations", ["site_pk", "requirement"])
    op.create_table(
        "site_public_addresses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("site_pk", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False, index=True),
        sa.Column("address", sa.String(100), nullable=False),
    )
    op.create_table(
        "report_facts",
        sa.Column(
            "report_id", sa.String(36), sa.ForeignKey("reports.report_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("site_pk", sa.Integer(), sa.ForeignKey("sites.id"), nullable=False),
        _when("finished_at"),
        sa.Column("facts", sa.JSON(), nullable=False),
    )
    op.create_index("ix_report_facts_site_finished", "report_facts", ["site_pk", "finished_at"])
    op.create_table(
        "report_rollups",
        sa.Column(
            "report_id", sa.String(36), sa.ForeignKey("reports.report_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("unmeasured_targets", sa.JSON(), nullable=False),
        sa.Column("unmeasured_results", sa.Integer(), nullable=False),
    )
    op.create_table(
        "trust_settings",
        sa.Column("trust_id", sa.Integer(), sa.ForeignKey("trusts.id"), primary_key=True),
        sa.Column("stale_after_days", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "trust_settings",
        "report_rollups",
        "report_facts",
        "site_public_addresses",
        "site_attestations",
        "audit_events",
        "login_attempts",
        "web_sessions",
        "accounts",
    ):
        op.drop_table(table)
