"""Run the collector under uvicorn. Migrations run once here, before any worker starts."""

from __future__ import annotations

import os
import sys

from fastapi import FastAPI

from collector.app import create_app
from collector.db import make_engine, migrate
from collector.ingest import DEFAULT_MAX_BODY_BYTES, IngestSettings
from collector.speed import SpeedSettings

DB_ENV = "SCHOOLNET_COLLECTOR_DB"
MAX_BODY_ENV = "SCHOOLNET_COLLECTOR_MAX_BODY_BYTES"
SPEED_MAX_BYTES_ENV = "SCHOOLNET_COLLECTOR_SPEED_MAX_BYTES"
SPEED_MAX_TRANSFERS_ENV = "SCHOOLNET_COLLECTOR_SPEED_MAX_TRANSFERS"
SPEED_ENROLLED_ONLY_ENV = "SCHOOLNET_COLLECTOR_SPEED_ENROLLED_ONLY"


def speed_settings_from_env() -> SpeedSettings:
    defaults = SpeedSettings()
    return SpeedSettings(
        max_bytes=int(os.environ.get(SPEED_MAX_BYTES_ENV, defaults.max_bytes)),
        max_transfers_per_client=int(os.environ.get(SPEED_MAX_TRANSFERS_ENV, defaults.max_transfers_per_client)),
        require_enrolled=os.environ.get(SPEED_ENROLLED_ONLY_ENV, "") in ("1", "true", "yes"),
    )


def app_from_env() -> FastAPI:
    """uvicorn factory (one per worker process): the database URL comes from the environment."""
    # A thread that holds the database write lock and returns from C (sqlite3/psycopg release the GIL) waits up
    # to the GIL switch interval while other threads parse uploads; 5 ms by default, the whole write's length.
    sys.setswitchinterval(0.0005)
    settings = IngestSettings(max_body_bytes=int(os.environ.get(MAX_BODY_ENV, DEFAULT_MAX_BODY_BYTES)))
    return create_app(
        os.environ[DB_ENV], settings=settings, run_migrations=False, speed_settings=speed_settings_from_env()
    )


def serve(
    db_url: str,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    workers: int = 1,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    speed: SpeedSettings | None = None,
    log_level: str = "warning",
) -> None:
    import uvicorn

    engine = make_engine(db_url)
    migrate(engine)
    engine.dispose()
    os.environ[DB_ENV] = db_url
    os.environ[MAX_BODY_ENV] = str(max_body_bytes)
    speed = speed or SpeedSettings()
    os.environ[SPEED_MAX_BYTES_ENV] = str(speed.max_bytes)
    os.environ[SPEED_MAX_TRANSFERS_ENV] = str(speed.max_transfers_per_client)
    os.environ[SPEED_ENROLLED_ONLY_ENV] = "1" if speed.require_enrolled else "0"
    uvicorn.run(
        "collector.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )
