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

from collector import dburl

# The database holds every trust's reports: only the service's own user may read it, whatever the umask.
SQLITE_FILE_MODE = 0o600
SQLITE_DIR_MODE = 0o700
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal", ".write-lock")


def secure_sqlite_files(database: Path) -> None:
    """Create the database file 0600 before SQLite does (SQLite gives its -wal and -shm files the database file's
    mode), tighten files an older version left readable, and create a missing folder 0700. An existing folder is
    left as it is (it may be shared, e.g. the current directory): the files inside are what hold the data."""
    folder = database.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=SQLITE_DIR_MODE)
        os.chmod(folder, SQLITE_DIR_MODE)  # mkdir's mode is filtered by the umask
    fd = os.open(database, os.O_CREAT | os.O_RDWR, SQLITE_FILE_MODE)
    try:
        os.fchmod(fd, SQLITE_FILE_MODE)
    finally:
        os.close(fd)
    for suffix in SQLITE_COMPANIONS:
        companion = database.with_name(database.name + suffix)
        try:
            os.chmod(companion, SQLITE_FILE_MODE)
        except FileNotFoundError:
            pass


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` (see collector.dburl: passwords with ':' or '@' work, and are never shown)."""
    parsed = dburl.parse(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            # One shared connection, or every pooled connection would see its own empty database.
            kwargs.setdefault("poolclass", StaticPool)
        else:
            secure_sqlite_files(Path(parsed.database))
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

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
    return create_engine(parsed, **kwargs)


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
