"""Filtering by network segment for one school: the category x segment table from its recent reports.

A technician tests each network (staff, student, guest) and the agent uploads its reports; this reads the
``filtering.test`` evidence of the site's reports in the window (the newest run per segment wins) and answers
the same table the agent's HTML report shows (``reports.area_filtering``), as JSON or ``?format=csv``.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from collector import queries
from collector.deps import SessionDep, ViewerDep
from collector.models import StoredReport
from contract.evidence.filtering import FilteringTest
from reports.area_filtering import segments_table_of

router = APIRouter(tags=["viewers"])
MAX_REPORTS = 200  # newest first: a window holds a few runs per segment, not hundreds


class CellOut(BaseModel):
    text: str
    status: str | None


class FilteringTableOut(BaseModel):
    site_id: str
    window_days: int
    reports_read: int
    title: str
    intro: str
    columns: list[str]
    rows: list[list[CellOut]]


def runs_in(envelope: bytes) -> list[FilteringTest]:
    """The filtering runs in one stored envelope (verified at ingest); an unreadable one yields none."""
    try:
        payload = json.loads(base64.b64decode(json.loads(envelope)["payload"], validate=True))
        records = payload.get("evidence", []) if isinstance(payload, dict) else []
        return [FilteringTest.model_validate(r["data"]) for r in records
                if isinstance(r, dict) and r.get("kind") == FilteringTest.kind and r.get("ok") and r.get("data")]
    except (ValueError, KeyError, TypeError, binascii.Error, ValidationError):
        return []


@router.get("/sites/{site_id}/filtering", response_model=FilteringTableOut)
def site_filtering(
    site_id: str,
    trust: ViewerDep,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    fmt: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> FilteringTableOut | Response:
    """Category x segment: how much each network blocked, from the latest run per segment in the window."""
    site = queries.visible_site(session, site_id, trust)
    if site is None:
        raise HTTPException(404, "no such site in this trust")
    since = datetime.now(UTC) - timedelta(days=days)
    envelopes = session.scalars(
        select(StoredReport.envelope).where(StoredReport.site_pk == site.id, StoredReport.finished_at >= since)
        .order_by(StoredReport.finished_at.desc()).limit(MAX_REPORTS)
    ).all()
    runs = [run for envelope in envelopes for run in runs_in(envelope) if run.tested_at >= since]
    table = segments_table_of(runs, days)
    out = FilteringTableOut(
        site_id=site.site_id, window_days=days, reports_read=len(envelopes), title=table.title, intro=table.intro,
        columns=table.columns, rows=[[CellOut(text=c.text, status=c.status) for c in row] for row in table.rows],
    )
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["site_id", *table.columns])
        for row in table.rows:
            writer.writerow([site.site_id, *(cell.text for cell in row)])
        return Response(buffer.getvalue(), media_type="text/csv")
    return out
