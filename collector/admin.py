"""Administration: trusts, sites, enrolment and viewer tokens, enrolment itself, key rotation and revocation.

Tokens are random, shown once, and stored only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import (
    AgentKey,
    ApiToken,
    EnrolmentToken,
    RequirementRow,
    ResultRow,
    Site,
    StoredReport,
    Trust,
    table,
    utcnow,
)
from contract.envelope import key_id, public_key_from_raw

ENROLMENT_PREFIX = "snen_"
VIEWER_PREFIX = "snvw_"


class AdminError(ValueError):
    """A request the collector refuses; the message says why. ``status_code`` is the HTTP answer."""

    def __init__(self, message: str, status_code: int = 400, code: str = "invalid") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "trust"


def create_trust(session: Session, name: str, slug: str | None = None) -> Trust:
    slug = slug or slugify(name)
    if session.scalar(select(Trust).where(Trust.slug == slug)) is not None:
        raise AdminError(f"trust {slug!r} already exists", 409, "exists")
    trust = Trust(slug=slug, name=name)
    session.add(trust)
    session.commit()
    return trust


def get_trust(session: Session, slug_or_name: str) -> Trust:
    trust = session.scalar(select(Trust).where((Trust.slug == slug_or_name) | (Trust.name == slug_or_name)))
    if trust is None:
        raise AdminError(f"no trust {slug_or_name!r}", 404, "not_found")
    return trust


def create_site(session: Session, trust: str, site_id: str, name: str, phase: str | None = None) -> Site:
    owner = get_trust(session, trust)
    if session.scalar(select(Site).where(Site.site_id == site_id)) is not None:
        raise AdminError(f"site {site_id!r} already exists", 409, "exists")
    site = Site(site_id=site_id, trust_id=owner.id, name=name, phase=phase)
    session.add(site)
    session.commit()
    return site


def get_site(session: Session, site_id: str) -> Site:
    site = session.scalar(select(Site).where(Site.site_id == site_id))
    if site is None:
        raise AdminError(f"no site {site_id!r}", 404, "not_found")
    return site


def create_enrolment_token(
    session: Session, site_id: str, ttl: timedelta = timedelta(hours=24), *, rotate: bool = False
) -> tuple[str, datetime]:
    """A one-time token that registers one agent key for ``site_id``; returns (token, expires_at)."""
    site = get_site(session, site_id)
    token = ENROLMENT_PREFIX + secrets.token_urlsafe(24)
    expires_at = utcnow() + ttl
    session.add(
        EnrolmentToken(token_sha256=token_hash(token), site_pk=site.id, expires_at=expires_at, rotates_keys=rotate)
    )
    session.commit()
    return token, expires_at


DEFAULT_TOKEN_TTL = timedelta(days=365)
TOKEN_ROLES = ("viewer", "admin")
# last_used_at is written at most this often per token: a write per read request would serialise SQLite readers.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once; only its hash is stored
    id: int
    trust: str
    name: str
    role: str
    expires_at: datetime


def issue_token(
    session: Session, trust: str, name: str = "viewer", *, ttl: timedelta = DEFAULT_TOKEN_TTL, role: str = "viewer"
) -> IssuedToken:
    """An API token for one trust: ``viewer`` reads, ``admin`` also deletes reports. Expires after ``ttl``."""
    if role not in TOKEN_ROLES:
        raise AdminError(f"role {role!r}: must be one of {', '.join(TOKEN_ROLES)}", 422, "bad_role")
    if ttl <= timedelta(0):
        raise AdminError("a token's lifetime must be positive", 422, "bad_ttl")
    owner = get_trust(session, trust)
    token = VIEWER_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + ttl
    row = ApiToken(token_sha256=token_hash(token), trust_id=owner.id, name=name, expires_at=expires_at, role=role)
    session.add(row)
    session.commit()
    return IssuedToken(token, row.id, owner.slug, name, role, expires_at)


def create_viewer_token(
    session: Session, trust: str, name: str = "viewer", *, ttl: timedelta = DEFAULT_TOKEN_TTL
) -> str:
    return issue_token(session, trust, name, ttl=ttl).token


@dataclass(frozen=True)
class TokenGrant:
    """What a valid API token allows: one trust, with a role."""

    token_id: int
    trust: Trust
    role: str


def authenticate(session: Session, token: str, now: datetime | None = None) -> TokenGrant:
    """The grant of a live API token, or AdminError 401 (unknown, revoked or expired: checked on every request,
    so revocation and expiry take effect at once). Records the use, to a minute."""
    now = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_hash(token)))
    if row is None:
        raise AdminError("unknown API token", 401, "bad_token")
    if row.revoked_at is not None:
        raise AdminError("this API token has been revoked", 401, "token_revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise AdminError(f"this API token expired at {row.expires_at.isoformat()}", 401, "token_expired")
    trust = session.get(Trust, row.trust_id)
    if trust is None:  # pragma: no cover - a foreign key guarantees it
        raise AdminError("unknown API token", 401, "bad_token")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        session.execute(
            table(ApiToken)
            .update()
            .where(
                ApiToken.id == row.id,
                ApiToken.last_used_at.is_(None) | (ApiToken.last_used_at < now - LAST_USED_RESOLUTION),
            )
            .values(last_used_at=now)
        )
        session.commit()
    return TokenGrant(row.id, trust, row.role)


def viewer_trust(session: Session, token: str) -> Trust | None:
    try:
        return authenticate(session, token).trust
    except AdminError:
        return None


def list_tokens(session: Session, trust: str | None = None) -> list[tuple[ApiToken, Trust]]:
    query = select(ApiToken, Trust).join(Trust, Trust.id == ApiToken.trust_id).order_by(Trust.slug, ApiToken.id)
    if trust is not None:
        query = query.where(Trust.id == get_trust(session, trust).id)
    return [(t, owner) for t, owner in session.execute(query).all()]


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def revoke_token(session: Session, which: str) -> ApiToken:
    """Revoke an API token by its id (``token list``) or by the token itself; the next request with it gets 401."""
    if which.isdigit():
        row = session.get(ApiToken, int(which))
    else:
        row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_hash(which)))
    if row is None:
        raise AdminError(f"no API token {which if which.isdigit() else '(the one given)'}", 404, "not_found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.commit()
    return row


def delete_report(session: Session, report_id: str, trust_id: int | None = None) -> StoredReport:
    """Delete a stored report and its result rows (``trust_id``: only if it belongs to that trust). The report id
    becomes free again, so the agent could upload the same report anew."""
    query = select(StoredReport).where(StoredReport.report_id == report_id)
    if trust_id is not None:
        query = query.join(Site, Site.id == StoredReport.site_pk).where(Site.trust_id == trust_id)
    report = session.scalar(query)
    if report is None:
        raise AdminError(
            f"no report {report_id!r}" + (" in this trust" if trust_id is not None else ""), 404, "not_found"
        )
    # Rows first, explicitly: SQLite enforces ON DELETE CASCADE only with foreign_keys on, which a tool opening the
    # file by hand may not set.
    for rows in (table(ResultRow), table(RequirementRow)):
        session.execute(rows.delete().where(rows.c.report_id == report_id))
    session.execute(table(StoredReport).delete().where(StoredReport.report_id == report_id))
    session.commit()
    return report


@dataclass(frozen=True)
class Enrolment:
    site_id: str
    site_name: str
    trust: str
    keyid: str
    rotated: list[str]


def enrol(session: Session, token: str, public_key_raw: bytes, agent_id: str | None) -> Enrolment:
    """Register ``public_key_raw`` for the token's site; the token is spent whatever happens next."""
    try:
        public_key = public_key_from_raw(public_key_raw)
    except ValueError as exc:
        raise AdminError(f"public_key: {exc}", 422, "bad_key") from None
    row = session.scalar(select(EnrolmentToken).where(EnrolmentToken.token_sha256 == token_hash(token)))
    now = utcnow()
    if row is None:
        raise AdminError("unknown enrolment token", 401, "bad_token")
    if row.used_at is not None:
        raise AdminError("enrolment token already used; ask the trust for a new one", 401, "token_used")
    if row.expires_at <= now:
        raise AdminError(f"enrolment token expired at {row.expires_at.isoformat()}", 401, "token_expired")
    keyid = key_id(public_key)
    existing = session.get(AgentKey, keyid)
    if existing is not None:
        raise AdminError(
            "this key is already enrolled; create a new key with `schoolnet keys init --force`", 409, "key_exists"
        )
    site = session.get(Site, row.site_pk)
    assert site is not None
    # Spend the token in the same transaction as the enrolment; the WHERE used_at IS NULL guards a race.
    spent = session.execute(
        table(EnrolmentToken)
        .update()
        .where(EnrolmentToken.id == row.id, EnrolmentToken.used_at.is_(None))
        .values(used_at=now, used_by_keyid=keyid)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise AdminError("enrolment token already used; ask the trust for a new one", 401, "token_used")
    rotated: list[str] = []
    if row.rotates_keys:
        for old in session.scalars(
            select(AgentKey).where(
                AgentKey.site_pk == site.id, AgentKey.revoked_at.is_(None), AgentKey.rotated_at.is_(None)
            )
        ):
            old.rotated_at = now
            old.replaced_by = keyid
            rotated.append(old.keyid)
    session.add(AgentKey(keyid=keyid, site_pk=site.id, public_key=public_key_raw, agent_id=agent_id, enrolled_at=now))
    session.commit()
    trust = session.get(Trust, site.trust_id)
    assert trust is not None
    return Enrolment(site.site_id, site.name, trust.name, keyid, rotated)


def revoke_key(session: Session, keyid: str, reason: str = "revoked by administrator") -> AgentKey:
    key = session.get(AgentKey, keyid)
    if key is None:
        raise AdminError(f"no key {keyid!r}", 404, "not_found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.revoked_reason = reason
        session.commit()
    return key


def list_keys(session: Session, site_id: str | None = None) -> list[tuple[AgentKey, Site]]:
    query = select(AgentKey, Site).join(Site, Site.id == AgentKey.site_pk).order_by(Site.site_id, AgentKey.enrolled_at)
    if site_id is not None:
        query = query.where(Site.site_id == site_id)
    return [(k, s) for k, s in session.execute(query).all()]
