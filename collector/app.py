"""The collector's HTTP API (FastAPI). ``create_app(db_url)`` builds it; ``schoolnet collector serve`` runs it.

Routes live in ``collector/routers/`` (one router per audience) and what they depend on in ``collector/deps.py``;
this module wires them together with the error handlers.
Agents: POST /api/v1/enrol (one-time token) and POST /api/v1/reports (DSSE envelope).
Trust viewers (Bearer token scoped to one trust): trusts, sites, reports, latest results, a site's history.
"""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from collector import __version__
from collector.db import WriteGuard, make_engine, migrate, session_factory
from collector.deps import CollectorState
from collector.ingest import IngestSettings
from collector.limits import BodyLimit, install_error_handlers
from collector.routers import api_router
from collector.speed import SpeedSettings, enrolled_key_check, speed_app
from collector.web import install as install_dashboard

log = logging.getLogger("schoolnet.collector")


def create_app(
    db_url: str,
    *,
    settings: IngestSettings | None = None,
    run_migrations: bool = True,
    mount_speed: bool = True,
    speed_settings: SpeedSettings | None = None,
) -> FastAPI:
    engine = make_engine(db_url)
    if run_migrations:
        migrate(engine)
    sessions = session_factory(engine)
    app = FastAPI(
        title="schoolnet collector",
        version=__version__,
        description="Signed DfE-standards audit results from school agents, compared across a trust.",
    )
    # Ingest is CPU-bound under the GIL (JSON, base64, validation hold it for 0.1-0.3 ms at a time), so a second
    # ingest thread in a worker mostly delays the first one's return from the database, while it holds the SQLite
    # write lock at that. One per worker process measured best (2 workers, 16 clients: SQLite 370 reports/s with
    # 1 thread, 345 with 2, 301 with 4; PostgreSQL no worse with 1, at less CPU per report). Scale with --workers;
    # a PostgreSQL far away (milliseconds per round trip) may want 2 (SCHOOLNET_COLLECTOR_INGEST_THREADS).
    app.state.collector = CollectorState(
        engine=engine,
        sessions=sessions,
        write_guard=WriteGuard(engine),
        ingest=settings or IngestSettings(),
        ingest_threads=int(os.environ.get("SCHOOLNET_COLLECTOR_INGEST_THREADS", "1")),
    )
    app.state.engine = engine
    app.state.sessions = sessions
    install_error_handlers(app)
    _add_error_handlers(app)
    # Every endpoint gets the ingest's size limit (413 before reading the body); the speed endpoint bounds its own.
    app.add_middleware(BodyLimit, max_bytes=app.state.collector.ingest.max_body_bytes, exempt_prefixes=("/speed/",))
    app.include_router(api_router)
    install_dashboard(app)  # the trust dashboard's pages (collector/web)
    if mount_speed:
        # Kept out of the OpenAPI document (a mounted application): it is the broadband probe's measurement
        # endpoint, not the collector API.
        speed = speed_settings or SpeedSettings()
        check = enrolled_key_check(sessions) if speed.require_enrolled else None
        app.mount("/speed", speed_app(speed, check))
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DataError)
    async def _bad_value(request: Request, exc: DataError) -> JSONResponse:
        # e.g. a NUL character in a path or query parameter, which PostgreSQL text cannot hold: the client's fault.
        return JSONResponse(
            {"error": "invalid_input", "detail": "a parameter holds a value the database cannot store"},
            status_code=422,
        )

    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests raced to create the same thing (e.g. one key enrolled twice at once).
        return JSONResponse({"error": "conflict", "detail": "conflicts with a concurrent request"}, status_code=409)

    @app.exception_handler(OperationalError)
    async def _unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc.orig)
        # 503 tells agents to keep the report in the outbox and retry later.
        return JSONResponse(
            {"error": "unavailable", "detail": "the database is unavailable; retry later"},
            status_code=503,
            headers={"Retry-After": "60"},
        )


def sessions_of(app: FastAPI) -> sessionmaker[Session]:
    state: CollectorState = app.state.collector
    return state.sessions
