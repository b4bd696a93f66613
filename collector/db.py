"""Engines, sessions and migrations. SQLite (file) by default, PostgreSQL by URL."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            # One shared connection, or every pooled connection would see its own empty database.
            kwargs.setdefault("poolclass", StaticPool)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets readers run during a write; foreign keys are off by default in SQLite.
            cursor = dbapi_connection.cursor()
            # Reports are ~300 KB blobs: bigger pages mean shorter overflow chains (only takes effect on a new file).
            cursor.execute("PRAGMA page_size=16384")
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: in WAL mode NORMAL skips the fsync at commit, so a power cut can lose transactions that were
            # acknowledged; the agent deletes its outbox copy on our 201, so every acknowledged report must survive.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # No pre-ping: it is a round trip on every request. After a database restart the first request on a stale
    # connection fails with 503 (agents retry) and the pool replaces the connection.
    kwargs.setdefault("pool_recycle", 1800)
    return create_engine(url, **kwargs)


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class WriteGuard:
    """Serialises SQLite writers, across threads and uvicorn worker processes, with a blocking flock.

    SQLite allows one writer at a time; left alone, competing writers poll with sleeps of up to 100 ms (the busy
    handler), which wrecks latency under concurrent uploads. A kernel lock wakes the next writer at once.
    PostgreSQL needs nothing: the guard is a no-op there."""

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self.path = f"{database}.write-lock" if database and database != ":memory:" else None
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = -1

    @contextmanager
    def __call__(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        with self._thread_lock:
            if self._fd is None or self._pid != os.getpid():
                self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
