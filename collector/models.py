"""The collector's tables (SQLAlchemy 2 declarative). Schema changes go through an Alembic migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.schema import Table


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (no time zones) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


def table(model: type[Base]) -> Table:
    """A model's Core table, typed as one (``__table__`` is declared as a FromClause), for Core statements."""
    found = model.__table__
    assert isinstance(found, Table)
    return found


class Trust(Base):
    __tablename__ = "trusts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(100), unique=True, doc="the id agents put in report.site.id (URN)")
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    phase: Mapped[str | None] = mapped_column(String(30), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AgentKey(Base):
    __tablename__ = "agent_keys"
    keyid: Mapped[str] = mapped_column(String(80), primary_key=True)
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    agent_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Rotated keys still verify reports finished before the rotation (they may wait in an outbox).
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # Revoked keys verify nothing, ever.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)


class EnrolmentToken(Base):
    __tablename__ = "enrolment_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    used_by_keyid: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # A rotation token: enrolling with it retires the site's other keys (they keep verifying older reports).
    rotates_keys: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiToken(Base):
    """An API token of one trust: ``viewer`` reads its sites and reports; ``admin`` may also delete reports."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Every token expires (a year by default): a forgotten token must not read a trust's reports for ever.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Updated at most once a minute per token (a write per read request would serialise SQLite readers).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    role: Mapped[str] = mapped_column(String(20), default="viewer", server_default="viewer")


class StoredReport(Base):
    __tablename__ = "reports"
    report_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    keyid: Mapped[str] = mapped_column(ForeignKey("agent_keys.keyid"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    schema_version: Mapped[int] = mapped_column(Integer)
    standards_version: Mapped[str] = mapped_column(String(50))
    agent_id: Mapped[str] = mapped_column(String(200))
    agent_version: Mapped[str] = mapped_column(String(50))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The envelope exactly as received: anyone can re-verify it later with the site's public key.
    envelope: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_reports_site_finished", "site_pk", "finished_at"),)


class ResultRow(Base):
    __tablename__ = "results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.report_id", ondelete="CASCADE"), index=True)
    requirement: Mapped[str | None] = mapped_column(String(120), nullable=True)
    check: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(String(300), nullable=True)
    evidence_ref: Mapped[str | None] = mapped_column(String(120), nullable=True)


class RequirementRow(Base):
    """Each requirement's overall status in one report: what 'latest per site and requirement' reads."""

    __tablename__ = "requirement_statuses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.report_id", ondelete="CASCADE"), index=True)
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requirement: Mapped[str] = mapped_column(String(120))
    standard: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))

    __table_args__ = (Index("ix_reqstatus_site_req_finished", "site_pk", "requirement", "finished_at"),)


# The dashboard's tables share this metadata (Alembic compares against it); imported last, they import Base above.
from collector import external_scans as _external_scans  # noqa: E402,F401  (firewall-net)
from collector.auth import models as _auth_models  # noqa: E402,F401
from collector.web import models as _web_models  # noqa: E402,F401
