"""Accounts, sign-in with lockout, sessions and CSRF tokens. Database only: no process keeps any state.

Lockout, as DfE asks of schools' own systems: no more than 10 guesses in 5 minutes for one account. Every guess is
recorded as ``pending`` *before* the password is checked, then the guesses in the window are counted including it,
so concurrent requests to several collector processes cannot slip an 11th guess through. A refused request is not
a guess (the password is not even checked) and does not extend the lockout. One source address also gets at most
50 failed guesses in 5 minutes across all accounts (password spraying).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from collector.auth import passwords, totp
from collector.auth.models import ROLES, Account, AuditEvent, LoginAttempt, WebSession
from collector.models import Site, Trust, utcnow

LOCKOUT_WINDOW = timedelta(minutes=5)
MAX_GUESSES_PER_ACCOUNT = 10
MAX_FAILURES_PER_SOURCE = 50
SESSION_IDLE = timedelta(hours=8)
SESSION_ABSOLUTE = timedelta(hours=12)
PENDING_MFA_LIFETIME = timedelta(minutes=5)
# last_seen_at is written at most this often (a write per page view would be wasteful)
TOUCH_EVERY = timedelta(minutes=5)
SESSION_PREFIX = "snws_"


class AccountError(ValueError):
    """An administrative request that cannot be done (the message says why)."""


@dataclass(frozen=True)
class Principal:
    """Who is asking, and what they may see: one trust, or one school of it."""

    account_id: int | None
    email: str
    name: str
    role: str
    trust_id: int
    trust_slug: str
    trust_name: str
    site_pk: int | None = None  # school viewers: the only site they see

    @property
    def is_admin(self) -> bool:
        return self.role == "trust_admin"

    @property
    def can_attest(self) -> bool:
        return self.role in ("trust_admin", "school_viewer")


@dataclass(frozen=True)
class SignIn:
    """The outcome of a password (or code) guess."""

    outcome: str  # ok, totp_needed, bad, locked
    account: Account | None = None
    retry_at: datetime | None = None


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def audit(
    session: Session,
    action: str,
    actor: str,
    trust_id: int | None,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEvent(at=utcnow(), trust_id=trust_id, actor=actor[:254], action=action, target=target, detail=detail)
    )


def create_account(
    session: Session,
    *,
    trust: Trust,
    email: str,
    name: str,
    role: str,
    password: str,
    site: Site | None = None,
    actor: str = "cli",
) -> Account:
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if "@" not in email or len(email) > 254:
        raise AccountError(f"{email!r} is not an e-mail address")
    if role == "school_viewer":
        if site is None:
            raise AccountError("a school viewer account needs its school (site id)")
        if site.trust_id != trust.id:
            raise AccountError(f"site {site.site_id} belongs to another trust")
    elif site is not None:
        raise AccountError("only school viewer accounts are tied to one school")
    try:
        passwords.check_new_password(password)
    except passwords.PasswordError as exc:
        raise AccountError(str(exc)) from None
    if session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise AccountError(f"an account {email} already exists")
    account = Account(
        trust_id=trust.id,
        email=email,
        name=name.strip()[:200] or email,
        role=role,
        site_pk=site.id if site else None,
        password_hash=passwords.hash_password(password),
        created_at=utcnow(),
    )
    session.add(account)
    audit(
        session, "account.create", actor, trust.id, email, f"role {role}" + (f", site {site.site_id}" if site else "")
    )
    session.commit()
    return account


def set_password(session: Session, account: Account, password: str, actor: str) -> None:
    try:
        passwords.check_new_password(password)
    except passwords.PasswordError as exc:
        raise AccountError(str(exc)) from None
    account.password_hash = passwords.hash_password(password)
    # Every other session of this account ends: a changed password must lock out whoever knew the old one.
    session.execute(delete(WebSession).where(WebSession.account_id == account.id))
    audit(session, "account.password", actor, account.trust_id, account.email)
    session.commit()


def _window_start(now: datetime) -> datetime:
    return now - LOCKOUT_WINDOW


def _guesses(session: Session, email: str, now: datetime) -> tuple[int, datetime | None]:
    """Counted guesses (pending or failed) for ``email`` in the window, and the oldest one's time."""
    count, oldest = session.execute(
        select(func.count(LoginAttempt.id), func.min(LoginAttempt.at)).where(
            LoginAttempt.email == email,
            LoginAttempt.at > _window_start(now),
            LoginAttempt.outcome.in_(("pending", "failed")),
        )
    ).one()
    return int(count), oldest


def _source_failures(session: Session, source: str, now: datetime) -> int:
    return int(
        session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.source == source,
                LoginAttempt.at > _window_start(now),
                LoginAttempt.outcome == "failed",
            )
        )
        or 0
    )


def _begin_guess(session: Session, email: str, source: str, now: datetime) -> tuple[int | None, datetime | None]:
    """Record a guess; its id, or None (and when to retry) when the account or source is locked out."""
    if _source_failures(session, source, now) >= MAX_FAILURES_PER_SOURCE:
        session.add(LoginAttempt(email=email, source=source, at=now, outcome="refused"))
        session.commit()
        return None, now + LOCKOUT_WINDOW
    attempt = LoginAttempt(email=email, source=source, at=now, outcome="pending")
    session.add(attempt)
    session.commit()  # visible to every other process before we count
    count, oldest = _guesses(session, email, now)
    if count > MAX_GUESSES_PER_ACCOUNT:
        attempt.outcome = "refused"
        session.commit()
        return None, (oldest or now) + LOCKOUT_WINDOW
    return attempt.id, None


def _end_guess(session: Session, attempt_id: int, ok: bool) -> None:
    session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(outcome="ok" if ok else "failed"))


def check_password(session: Session, email: str, password: str, source: str, now: datetime | None = None) -> SignIn:
    now = now or utcnow()
    email = normalise_email(email)[:254]
    attempt_id, retry_at = _begin_guess(session, email, source, now)
    account = session.scalar(select(Account).where(Account.email == email))
    trust_id = account.trust_id if account else None
    if attempt_id is None:
        audit(session, "signin.locked", email, trust_id, source)
        session.commit()
        return SignIn("locked", retry_at=retry_at)
    usable = account is not None and account.disabled_at is None
    ok = passwords.verify_password(account.password_hash if usable and account else passwords.DUMMY_HASH, password)
    ok = ok and usable
    _end_guess(session, attempt_id, ok)
    if not ok:
        audit(session, "signin.failed", email, trust_id, source)
        session.commit()
        return SignIn("bad")
    assert account is not None
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    session.commit()
    return SignIn("totp_needed" if account.totp_secret else "ok", account=account)


def check_totp(session: Session, account: Account, code: str, source: str, now: datetime | None = None) -> SignIn:
    """The second factor; its guesses count towards the same lockout as passwords."""
    now = now or utcnow()
    attempt_id, retry_at = _begin_guess(session, account.email, source, now)
    if attempt_id is None:
        audit(session, "signin.locked", account.email, account.trust_id, source)
        session.commit()
        return SignIn("locked", retry_at=retry_at)
    assert account.totp_secret is not None
    step = totp.verify(account.totp_secret, code, now.timestamp(), account.totp_last_step)
    _end_guess(session, attempt_id, step is not None)
    if step is None:
        audit(session, "signin.totp_failed", account.email, account.trust_id, source)
        session.commit()
        return SignIn("bad")
    # Compare-and-set: the same code presented twice at once (two processes) is accepted once.
    moved = session.execute(
        update(Account)
        .where(Account.id == account.id, (Account.totp_last_step.is_(None)) | (Account.totp_last_step < step))
        .values(totp_last_step=step)
    )
    session.commit()
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return SignIn("bad")
    return SignIn("ok", account=account)


def start_session(session: Session, account: Account, source: str, *, mfa_pending: bool = False) -> str:
    """A new random session token (set it as the cookie); only its hash is stored."""
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = PENDING_MFA_LIFETIME if mfa_pending else SESSION_ABSOLUTE
    session.add(
        WebSession(
            token_sha256=token_sha256(token),
            account_id=account.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            mfa_pending=mfa_pending,
        )
    )
    if not mfa_pending:
        audit(session, "signin.ok", account.email, account.trust_id, source)
    # Expired sessions of anyone are swept on sign-in: cheap, and no background job is needed.
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.commit()
    return token


def lookup_session(session: Session, token: str, now: datetime | None = None) -> tuple[WebSession, Account] | None:
    now = now or utcnow()
    row = session.execute(
        select(WebSession, Account)
        .join(Account, Account.id == WebSession.account_id)
        .where(WebSession.token_sha256 == token_sha256(token))
    ).first()
    if row is None:
        return None
    web, account = row
    if web.expires_at <= now or web.last_seen_at + SESSION_IDLE <= now or account.disabled_at is not None:
        return None
    if now - web.last_seen_at > TOUCH_EVERY:
        web.last_seen_at = now
        session.commit()
    return web, account


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == token_sha256(token)))
    session.commit()


def principal_for(session: Session, account: Account) -> Principal:
    trust = session.get(Trust, account.trust_id)
    assert trust is not None
    return Principal(
        account_id=account.id,
        email=account.email,
        name=account.name,
        role=account.role,
        trust_id=trust.id,
        trust_slug=trust.slug,
        trust_name=trust.name,
        site_pk=account.site_pk if account.role == "school_viewer" else None,
    )


def csrf_token(secret: str, purpose: str = "form") -> str:
    """A form token bound to a secret only the browser's HttpOnly cookie holds (the session token, or the sign-in
    page's random cookie): a page on another site can neither read the cookie nor compute the token."""
    return hmac.new(secret.encode("utf-8"), f"csrf:{purpose}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str | None, submitted: str | None, purpose: str = "form") -> bool:
    if not secret or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, purpose), submitted)


def enable_totp(session: Session, account: Account, secret_b32: str, code: str, actor: str) -> bool:
    """Turn TOTP on once the user has shown a code from the new secret (so a mistyped secret cannot lock them out)."""
    step = totp.verify(secret_b32, code, utcnow().timestamp(), None)
    if step is None:
        return False
    account.totp_secret = secret_b32
    account.totp_last_step = step
    audit(session, "account.totp_on", actor, account.trust_id, account.email)
    session.commit()
    return True


def disable_totp(session: Session, account: Account, actor: str) -> None:
    account.totp_secret = None
    account.totp_last_step = None
    audit(session, "account.totp_off", actor, account.trust_id, account.email)
    session.commit()
