"""The dashboard's tables: accounts, sessions, sign-in attempts, the audit log (migration 0003_dashboard)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collector.models import Base, UTCDateTime, utcnow

ROLES = ("trust_admin", "trust_viewer", "school_viewer")
ROLE_LABEL = {
    "trust_admin": "Trust administrator",
    "trust_viewer": "Trust viewer",
    "school_viewer": "School viewer",
}


class Account(Base):
    """A person who signs in to the dashboard. ``school_viewer`` accounts see one site only (``site_pk``)."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, doc="lower-case; the sign-in name")
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    site_pk: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Password accepted, TOTP code still to come: such a session opens no page but the code form.
    mfa_pending: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginAttempt(Base):
    """Every password or code guess, counted for the lockout (DfE: no more than 10 guesses in 5 minutes)."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # pending (being verified), failed, ok, refused (locked out: not verified, not counted)
    outcome: Mapped[str] = mapped_column(String(10))

    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_source_at", "source", "at"),
    )


class AuditEvent(Base):
    """Who did what: sign-ins, lockouts, accounts, imports, tokens, attestations."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    trust_id: Mapped[int | None] = mapped_column(ForeignKey("trusts.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(300), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_audit_events_trust_at", "trust_id", "at"),)
