"""The collector's HTTP API (FastAPI). ``create_app(db_url)`` builds it; ``schoolnet collector serve`` runs it.

Agents: POST /api/v1/enrol (one-time token) and POST /api/v1/reports (DSSE envelope).
Trust viewers (Bearer token scoped to one trust): trusts, sites, reports, latest results, a site's history.
"""

import base64
import binascii
import importlib
import logging
import os
from datetime import datetime
from typing import Annotated, Any

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from agent import __version__
from collector.admin import AdminError, enrol, viewer_trust
from collector.db import WriteGuard, make_engine, migrate, session_factory
from collector.ingest import IngestSettings, ingest
from collector.models import RequirementRow, ResultRow, Site, StoredReport, Trust

log = logging.getLogger("schoolnet.collector")

# The ingest body schema, inlined (no $refs) so OpenAPI tools and fuzzers read it directly.
ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Envelope",
    "description": "DSSE envelope: Ed25519 over PAE(payloadType, payload bytes); payload = base64 of report.json",
    "required": ["payloadType", "payload", "signatures"],
    "properties": {
        "payloadType": {"type": "string", "example": "application/vnd.schoolnet.report.v1+json"},
        "payload": {"type": "string", "description": "base64 of the exact report.json bytes"},
        "signatures": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["keyid", "sig"],
                "properties": {"keyid": {"type": "string"}, "sig": {"type": "string"}},
            },
        },
    },
}


class Problem(BaseModel):
    error: str = Field(description="machine-readable reason, e.g. bad_signature, duplicate_report")
    detail: str = Field(description="one human sentence")


class IngestAck(BaseModel):
    status: str = Field(description="'stored'")
    detail: str
    report_id: str
    site_id: str


class EnrolRequest(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    public_key: str = Field(min_length=1, max_length=200, description="base64 of the raw 32-byte Ed25519 public key")
    agent_id: str | None = Field(default=None, max_length=200)


class EnrolResponse(BaseModel):
    site_id: str
    site_name: str
    trust: str
    keyid: str
    rotated_keys: list[str] = Field(default_factory=list)


class TrustOut(BaseModel):
    slug: str
    name: str


class SiteOut(BaseModel):
    site_id: str
    name: str
    phase: str | None
    trust: str
    last_report_at: datetime | None = None


class ReportSummaryOut(BaseModel):
    report_id: str
    site_id: str
    started_at: datetime
    finished_at: datetime
    received_at: datetime
    standards_version: str
    agent_id: str
    agent_version: str
    keyid: str
    summary: dict[str, int]


class ResultOut(BaseModel):
    requirement: str | None
    check: str
    status: str
    detail: str
    target: str | None
    evidence_ref: str | None


class RequirementOut(BaseModel):
    requirement: str
    standard: str
    title: str
    status: str


class ReportOut(ReportSummaryOut):
    requirements: list[RequirementOut]
    results: list[ResultOut]


class LatestOut(BaseModel):
    site_id: str
    site_name: str
    requirement: str
    standard: str
    title: str
    status: str
    report_id: str
    finished_at: datetime


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": text}
    for code, text in {
        400: "body is not JSON",
        401: "unknown key or bad signature",
        403: "key revoked or rotated, or report for another site",
        409: "report id already stored (identical=true means the earlier upload arrived)",
        413: "body too large",
        415: "wrong payloadType",
        422: "envelope or report fails validation, unsupported schema version, or timestamps in the future",
    }.items()
}

bearer = HTTPBearer(auto_error=False, description="viewer token of one trust (`schoolnet collector token viewer`)")


def create_app(
    db_url: str,
    *,
    settings: IngestSettings | None = None,
    run_migrations: bool = True,
    mount_speed: bool = True,
) -> FastAPI:
    engine = make_engine(db_url)
    if run_migrations:
        migrate(engine)
    sessions = session_factory(engine)
    write_guard = WriteGuard(engine)
    # Ingest is CPU-bound under the GIL (JSON, base64, validation hold it for 0.1-0.3 ms at a time), so a second
    # ingest thread in a worker mostly delays the first one's return from the database, while it holds the SQLite
    # write lock at that. One per worker process measured best (2 workers, 16 clients: SQLite 370 reports/s with
    # 1 thread, 345 with 2, 301 with 4; PostgreSQL no worse with 1, at less CPU per report). Scale with --workers;
    # a PostgreSQL far away (milliseconds per round trip) may want 2 (SCHOOLNET_COLLECTOR_INGEST_THREADS).
    ingest_thread_count = int(os.environ.get("SCHOOLNET_COLLECTOR_INGEST_THREADS", "1"))
    limiters: list[CapacityLimiter] = []  # made on first use: it needs the running event loop
    ingest_settings = settings or IngestSettings()
    app = FastAPI(
        title="schoolnet collector",
        version=__version__,
        description="Signed DfE-standards audit results from school agents, compared across a trust.",
    )
    app.state.engine = engine
    app.state.sessions = sessions

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

    def viewer(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Trust:
        if credentials is None:
            raise HTTPException(401, "a viewer token is needed (Authorization: Bearer ...)")
        with sessions() as session:
            trust = viewer_trust(session, credentials.credentials)
        if trust is None:
            raise HTTPException(401, "unknown or revoked viewer token")
        return trust

    Viewer = Annotated[Trust, Depends(viewer)]

    @app.get("/api/v1/health", tags=["service"])
    def health() -> dict[str, str]:
        """Liveness: the service answers and its database is reachable."""
        with sessions() as session:
            session.execute(select(1))
        return {"status": "ok", "version": __version__}

    @app.post(
        "/api/v1/reports",
        tags=["agents"],
        status_code=201,
        response_model=IngestAck,
        responses=PROBLEM_RESPONSES,
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": ENVELOPE_SCHEMA}}}},
    )
    async def upload_report(request: Request) -> Any:
        """Ingest one signed report. The signature is verified against the site's enrolled key first."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > ingest_settings.max_body_bytes:
            return JSONResponse(
                {"error": "too_large", "detail": f"body is {declared} bytes; limit {ingest_settings.max_body_bytes}"},
                status_code=413,
            )
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > ingest_settings.max_body_bytes:
                return JSONResponse(
                    {"error": "too_large", "detail": f"body exceeds {ingest_settings.max_body_bytes} bytes"},
                    status_code=413,
                )
        if not limiters:
            limiters.append(CapacityLimiter(ingest_thread_count))
        outcome = await to_thread.run_sync(
            ingest, sessions, bytes(body), ingest_settings, None, write_guard, limiter=limiters[0]
        )
        if outcome.status_code >= 400:
            log.info("rejected upload: %s %s", outcome.code, outcome.detail)
        return JSONResponse(outcome.body(), status_code=outcome.status_code)

    @app.post(
        "/api/v1/enrol",
        tags=["agents"],
        status_code=201,
        response_model=EnrolResponse,
        responses={k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 409, 422)},
    )
    def enrol_agent(request: EnrolRequest) -> Any:
        """Register an agent's public key for the site its one-time enrolment token names."""
        try:
            raw = base64.b64decode(request.public_key, validate=True)
        except (binascii.Error, ValueError):
            return JSONResponse({"error": "bad_key", "detail": "public_key is not base64"}, status_code=422)
        with sessions() as session:
            try:
                done = enrol(session, request.token, raw, request.agent_id)
            except AdminError as exc:
                return JSONResponse({"error": exc.code, "detail": str(exc)}, status_code=exc.status_code)
        return EnrolResponse(
            site_id=done.site_id,
            site_name=done.site_name,
            trust=done.trust,
            keyid=done.keyid,
            rotated_keys=done.rotated,
        )

    @app.get("/api/v1/trusts", tags=["viewers"], response_model=list[TrustOut])
    def list_trusts(trust: Viewer) -> list[TrustOut]:
        """The trusts this token may read (exactly one)."""
        return [TrustOut(slug=trust.slug, name=trust.name)]

    @app.get("/api/v1/sites", tags=["viewers"], response_model=list[SiteOut])
    def list_sites(trust: Viewer) -> list[SiteOut]:
        """The trust's sites, with the time of each site's newest report."""
        with sessions() as session:
            last = (
                select(StoredReport.site_pk, func.max(StoredReport.finished_at).label("last"))
                .group_by(StoredReport.site_pk)
                .subquery()
            )
            rows = session.execute(
                select(Site, last.c.last)
                .outerjoin(last, last.c.site_pk == Site.id)
                .where(Site.trust_id == trust.id)
                .order_by(Site.site_id)
            ).all()
            return [_site_out(site, trust, _aware(when)) for site, when in rows]

    @app.get("/api/v1/sites/{site_id}", tags=["viewers"], response_model=SiteOut)
    def get_site(site_id: str, trust: Viewer) -> SiteOut:
        with sessions() as session:
            site = _visible_site(session, site_id, trust)
            when = session.scalar(select(func.max(StoredReport.finished_at)).where(StoredReport.site_pk == site.id))
            return _site_out(site, trust, _aware(when))

    @app.get("/api/v1/sites/{site_id}/history", tags=["viewers"], response_model=list[ReportSummaryOut])
    def site_history(
        site_id: str, trust: Viewer, limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> list[ReportSummaryOut]:
        """The site's reports, newest first: summary counts by status over time."""
        with sessions() as session:
            site = _visible_site(session, site_id, trust)
            reports = session.scalars(
                select(StoredReport)
                .where(StoredReport.site_pk == site.id)
                .order_by(StoredReport.finished_at.desc())
                .limit(limit)
            ).all()
            return [_summary_out(r, site) for r in reports]

    @app.get("/api/v1/sites/{site_id}/latest", tags=["viewers"], response_model=list[LatestOut])
    def site_latest(site_id: str, trust: Viewer) -> list[LatestOut]:
        """Each requirement's status in the site's newest report."""
        with sessions() as session:
            site = _visible_site(session, site_id, trust)
            return _latest(session, trust, site=site)

    @app.get("/api/v1/latest", tags=["viewers"], response_model=list[LatestOut])
    def latest(trust: Viewer, requirement: Annotated[str | None, Query(max_length=120)] = None) -> list[LatestOut]:
        """Latest status per site and requirement across the trust (optionally one requirement)."""
        with sessions() as session:
            return _latest(session, trust, requirement=requirement)

    @app.get("/api/v1/reports", tags=["viewers"], response_model=list[ReportSummaryOut])
    def list_reports(
        trust: Viewer,
        site_id: Annotated[str | None, Query(max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[ReportSummaryOut]:
        """The trust's reports, newest first."""
        with sessions() as session:
            query = (
                select(StoredReport, Site)
                .join(Site, Site.id == StoredReport.site_pk)
                .where(Site.trust_id == trust.id)
                .order_by(StoredReport.finished_at.desc())
                .limit(limit)
            )
            if site_id is not None:
                query = query.where(Site.site_id == site_id)
            return [_summary_out(r, s) for r, s in session.execute(query).all()]

    @app.get("/api/v1/reports/{report_id}", tags=["viewers"], response_model=ReportOut)
    def get_report(report_id: str, trust: Viewer) -> ReportOut:
        """One report: requirement statuses and every result."""
        with sessions() as session:
            report, site = _visible_report(session, report_id, trust)
            results = session.scalars(select(ResultRow).where(ResultRow.report_id == report.report_id)).all()
            reqs = session.scalars(select(RequirementRow).where(RequirementRow.report_id == report.report_id)).all()
            return ReportOut(
                **_summary_out(report, site).model_dump(),
                requirements=[
                    RequirementOut(requirement=r.requirement, standard=r.standard, title=r.title, status=r.status)
                    for r in reqs
                ],
                results=[
                    ResultOut(
                        requirement=r.requirement,
                        check=r.check,
                        status=r.status,
                        detail=r.detail,
                        target=r.target,
                        evidence_ref=r.evidence_ref,
                    )
                    for r in results
                ],
            )

    @app.get(
        "/api/v1/reports/{report_id}/envelope",
        tags=["viewers"],
        response_class=Response,
        responses={200: {"content": {"application/json": {"schema": ENVELOPE_SCHEMA}}}},
    )
    def get_envelope(report_id: str, trust: Viewer) -> Any:
        """The signed envelope exactly as the agent uploaded it (verify with `schoolnet verify`)."""
        with sessions() as session:
            report, _ = _visible_report(session, report_id, trust)
            return Response(content=report.envelope, media_type="application/json")

    if mount_speed:
        _mount_speed(app)
    return app


def _mount_speed(app: FastAPI) -> None:
    """Serve the broadband reference endpoint at /speed when that module is installed."""
    try:
        module = importlib.import_module("agent.speed_server")
        router = module.speed_router()
    except Exception as exc:  # an absent or broken optional module must not stop the collector
        log.debug("no /speed endpoint: %s", exc)
        return
    # Kept out of the OpenAPI document: it is the broadband probe's measurement endpoint, not the collector API,
    # and a schema problem there must not break /openapi.json.
    app.include_router(router, prefix="/speed", include_in_schema=False)


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _site_out(site: Site, trust: Trust, last: datetime | None) -> SiteOut:
    return SiteOut(site_id=site.site_id, name=site.name, phase=site.phase, trust=trust.slug, last_report_at=last)


def _summary_out(report: StoredReport, site: Site) -> ReportSummaryOut:
    return ReportSummaryOut(
        report_id=report.report_id,
        site_id=site.site_id,
        started_at=report.started_at,
        finished_at=report.finished_at,
        received_at=report.received_at,
        standards_version=report.standards_version,
        agent_id=report.agent_id,
        agent_version=report.agent_version,
        keyid=report.keyid,
        summary=report.summary,
    )


def _visible_site(session: Session, site_id: str, trust: Trust) -> Site:
    site = session.scalar(select(Site).where(Site.site_id == site_id, Site.trust_id == trust.id))
    if site is None:  # the same answer for "absent" and "another trust's": no existence leak
        raise HTTPException(404, "no such site in this trust")
    return site


def _visible_report(session: Session, report_id: str, trust: Trust) -> tuple[StoredReport, Site]:
    row = session.execute(
        select(StoredReport, Site)
        .join(Site, Site.id == StoredReport.site_pk)
        .where(StoredReport.report_id == report_id, Site.trust_id == trust.id)
    ).first()
    if row is None:
        raise HTTPException(404, "no such report in this trust")
    return row[0], row[1]


def _latest(
    session: Session, trust: Trust, *, site: Site | None = None, requirement: str | None = None
) -> list[LatestOut]:
    # Each site's newest report (ties on finished_at broken by arrival), then its requirement statuses.
    ranked = (
        select(
            StoredReport.report_id,
            func.row_number()
            .over(
                partition_by=StoredReport.site_pk,
                order_by=(StoredReport.finished_at.desc(), StoredReport.received_at.desc(), StoredReport.report_id),
            )
            .label("rank"),
        )
        .join(Site, Site.id == StoredReport.site_pk)
        .where(Site.trust_id == trust.id)
    )
    if site is not None:
        ranked = ranked.where(StoredReport.site_pk == site.id)
    newest = ranked.subquery()
    query = (
        select(RequirementRow, Site)
        .join(newest, (newest.c.report_id == RequirementRow.report_id) & (newest.c.rank == 1))
        .join(Site, Site.id == RequirementRow.site_pk)
        .order_by(Site.site_id, RequirementRow.requirement)
    )
    if requirement is not None:
        query = query.where(RequirementRow.requirement == requirement)
    return [
        LatestOut(
            site_id=s.site_id,
            site_name=s.name,
            requirement=r.requirement,
            standard=r.standard,
            title=r.title,
            status=r.status,
            report_id=r.report_id,
            finished_at=r.finished_at,
        )
        for r, s in session.execute(query).all()
    ]


def sessions_of(app: FastAPI) -> sessionmaker[Session]:
    return app.state.sessions  # type: ignore[no-any-return]
