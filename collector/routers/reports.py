"""A trust's stored reports: list, read, the signed envelope as uploaded, and deletion by a trust admin."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from collector import queries
from collector.admin import AdminError, delete_report
from collector.deps import AdminDep, SessionDep, ViewerDep
from collector.models import Site, StoredReport, Trust
from collector.responses import Deleted, ReportOut, ReportSummaryOut
from collector.routers.agents import ENVELOPE_SCHEMA

log = logging.getLogger("schoolnet.collector")

router = APIRouter(tags=["viewers"])


def _report(session: SessionDep, report_id: str, trust: Trust) -> tuple[StoredReport, Site]:
    found = queries.visible_report(session, report_id, trust)
    if found is None:
        raise HTTPException(404, "no such report in this trust")
    return found


@router.get("/reports", response_model=list[ReportSummaryOut])
def list_reports(
    trust: ViewerDep,
    session: SessionDep,
    site_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ReportSummaryOut]:
    """The trust's reports, newest first."""
    return queries.reports(session, trust, site_id, limit)


@router.get("/reports/{report_id}", response_model=ReportOut)
def get_report(report_id: str, trust: ViewerDep, session: SessionDep) -> ReportOut:
    """One report: requirement statuses and every result."""
    report, site = _report(session, report_id, trust)
    return queries.report_detail(session, report, site)


@router.get(
    "/reports/{report_id}/envelope",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": ENVELOPE_SCHEMA}}}},
)
def get_envelope(report_id: str, trust: ViewerDep, session: SessionDep) -> Any:
    """The signed envelope exactly as the agent uploaded it (verify with `schoolnet verify`)."""
    report, _ = _report(session, report_id, trust)
    return Response(content=report.envelope, media_type="application/json")


@router.delete("/reports/{report_id}", response_model=Deleted, tags=["administrators"])
def remove_report(report_id: str, trust: AdminDep, session: SessionDep) -> Deleted:
    """Delete one of the trust's reports with its results (needs an admin token of the trust)."""
    try:
        delete_report(session, report_id, trust.id)
    except AdminError as exc:
        raise HTTPException(exc.status_code, str(exc)) from None
    log.warning("report %s of trust %s deleted through the API", report_id, trust.slug)
    return Deleted(status="deleted", report_id=report_id)
