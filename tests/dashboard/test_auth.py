"""Sign-in building blocks: scrypt hashes, RFC 6238 TOTP, lockout (10 guesses in 5 minutes), sessions, CSRF."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

pytest.importorskip("sqlalchemy")

from collector import admin
from collector.auth import accounts, passwords, totp
from collector.auth.models import LoginAttempt
from collector.db import make_engine, migrate, session_factory
from collector.models import utcnow

RFC_SEED = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix_s", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_matches_rfc6238_sha1_vectors(unix_s, code) -> None:
    key = base64.b32decode(RFC_SEED)
    assert totp.hotp(key, totp.step_at(unix_s), digits=8) == code


def test_totp_accepts_one_step_of_drift_and_never_a_replay() -> None:
    secret = totp.new_secret()
    now = 1_700_000_000.0
    code = totp.code_at(secret, now - 30)
    step = totp.verify(secret, code, now, None)
    assert step == totp.step_at(now - 30)
    assert totp.verify(secret, code, now, step) is None  # the same code again
    assert totp.verify(secret, totp.code_at(secret, now - 90), now, None) is None  # too old
    assert totp.verify(secret, "12345", now, None) is None
    assert "secret=" + secret in totp.provisioning_uri(secret, "head@school.example")


def test_scrypt_hash_round_trip_and_parameters_in_the_hash() -> None:
    stored = passwords.hash_password("correct horse battery staple")
    assert stored.startswith("scrypt$15$8$1$")
    assert passwords.verify_password(stored, "correct horse battery staple")
    assert not passwords.verify_password(stored, "correct horse battery stapler")
    assert not passwords.verify_password("garbage", "x")
    assert not passwords.needs_rehash(stored)
    assert passwords.needs_rehash(passwords.hash_password("x" * 12, log2_n=12))
    with pytest.raises(passwords.PasswordError):
        passwords.check_new_password("short")


@pytest.fixture()
def db(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        trust = admin.create_trust(session, "North Star Academies")
        site = admin.create_site(session, trust.slug, "100001", "Hill Primary", "primary")
        accounts.create_account(
            session,
            trust=trust,
            email="IT@NorthStar.example",
            name="IT lead",
            role="trust_admin",
            password="a long trust password",
        )
        accounts.create_account(
            session,
            trust=trust,
            email="head@hill.example",
            name="Head",
            role="school_viewer",
            password="a long school password",
            site=site,
        )
    yield sessions
    engine.dispose()


def test_sign_in_then_lockout_after_ten_guesses_in_five_minutes(db) -> None:
    now = utcnow()
    with db() as session:
        ok = accounts.check_password(session, "it@northstar.example", "a long trust password", "10.0.0.1", now)
        assert ok.outcome == "ok" and ok.account is not None
        for i in range(10):
            bad = accounts.check_password(session, "it@northstar.example", f"guess {i}", "10.0.0.1", now)
            assert bad.outcome == "bad"
        # the 11th guess within 5 minutes is refused without looking at the password, even the right one
        locked = accounts.check_password(session, "it@northstar.example", "a long trust password", "10.0.0.1", now)
        assert locked.outcome == "locked" and locked.retry_at is not None
        assert locked.retry_at <= now + timedelta(minutes=5)
        # other accounts are not affected
        other = accounts.check_password(session, "head@hill.example", "a long school password", "10.0.0.1", now)
        assert other.outcome == "ok"
        later = now + timedelta(minutes=5, seconds=1)
        again = accounts.check_password(session, "it@northstar.example", "a long trust password", "10.0.0.1", later)
        assert again.outcome == "ok"
        counted = session.query(LoginAttempt).filter(LoginAttempt.outcome.in_(("failed", "pending"))).count()
        assert counted == 10


def test_unknown_account_is_a_plain_failure_and_counts(db) -> None:
    with db() as session:
        assert accounts.check_password(session, "nobody@x.example", "whatever it is", "10.0.0.2").outcome == "bad"


def test_totp_guesses_count_towards_the_lockout(db) -> None:
    now = utcnow()
    with db() as session:
        account = accounts.check_password(session, "head@hill.example", "a long school password", "s", now).account
        assert account is not None
        secret = totp.new_secret()
        assert not accounts.enable_totp(session, account, secret, "000000", "test")
        assert accounts.enable_totp(session, account, secret, totp.code_at(secret, now.timestamp()), "test")
        assert accounts.check_password(session, "head@hill.example", "a long school password", "s").outcome == (
            "totp_needed"
        )
        outcomes = [accounts.check_totp(session, account, "000000", "s", now).outcome for _ in range(11)]
        assert outcomes.count("bad") == 10 and outcomes[-1] == "locked"  # wrong codes are guesses too


def test_sessions_expire_and_end(db) -> None:
    with db() as session:
        account = accounts.check_password(session, "head@hill.example", "a long school password", "s").account
        assert account is not None
        token = accounts.start_session(session, account, "s")
        found = accounts.lookup_session(session, token)
        assert found is not None and found[1].email == "head@hill.example"
        principal = accounts.principal_for(session, account)
        assert principal.site_pk == account.site_pk and principal.role == "school_viewer"
        assert accounts.lookup_session(session, token, utcnow() + timedelta(hours=13)) is None
        accounts.end_session(session, token)
        assert accounts.lookup_session(session, token) is None
        assert accounts.lookup_session(session, "snws_forged") is None


def test_csrf_token_is_bound_to_the_cookie_secret() -> None:
    token = accounts.csrf_token("secret-a")
    assert accounts.csrf_ok("secret-a", token)
    assert not accounts.csrf_ok("secret-b", token)
    assert not accounts.csrf_ok(None, token)
    assert not accounts.csrf_ok("secret-a", None)


def test_account_rules(db) -> None:
    with db() as session:
        trust = admin.get_trust(session, "north-star-academies")
        with pytest.raises(accounts.AccountError, match="needs its school"):
            accounts.create_account(
                session,
                trust=trust,
                email="a@b.example",
                name="A",
                role="school_viewer",
                password="long enough password",
            )
        with pytest.raises(accounts.AccountError, match="role must be"):
            accounts.create_account(
                session, trust=trust, email="a@b.example", name="A", role="god", password="long enough password"
            )
        with pytest.raises(accounts.AccountError, match="already exists"):
            accounts.create_account(
                session,
                trust=trust,
                email="head@HILL.example",
                name="A",
                role="trust_viewer",
                password="long enough password",
            )
