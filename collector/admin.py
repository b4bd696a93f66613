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

from agent.delivery.signing import key_id, public_key_from_raw
from collector.models import AgentKey, ApiToken, EnrolmentToken, Site, Trust, utcnow

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


def create_viewer_token(session: Session, trust: str, name: str = "viewer") -> str:
    owner = get_trust(session, trust)
    token = VIEWER_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(token_sha256=token_hash(token), trust_id=owner.id, name=name))
    session.commit()
    return token


def viewer_trust(session: Session, token: str) -> Trust | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    return session.get(Trust, row.trust_id)


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
        EnrolmentToken.__table__.update()
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
