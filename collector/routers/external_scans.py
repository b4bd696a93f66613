"""External scans: a trust administrator enrols its scanner's key; the scanner uploads signed scans; viewers read
each school's external scans (JSON, or CSV with ``?format=csv``)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from collector import queries
from collector.deps import AdminDep, SessionDep, StateDep, ViewerDep
from collector.external_scans import ScanRejected, enrol_scanner, ingest_scan, site_scans

router = APIRouter(tags=["external scans"])


class ScannerIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    public_key: str = Field(min_length=1, max_length=200, description="base64 of the raw 32-byte Ed25519 key")


class ScannerOut(BaseModel):
    name: str
    keyid: str


def _problem(exc: ScanRejected) -> JSONResponse:
    return JSONResponse({"error": exc.error, "detail": exc.detail}, status_code=exc.status)


@router.post("/trust-scanners", status_code=201, response_model=ScannerOut)
def add_scanner(body: ScannerIn, trust: AdminDep, session: SessionDep) -> Any:
    """Enrol a trust scanner's public key (admin token): its signed external scans are then accepted."""
    try:
        scanner = enrol_scanner(session, trust, body.name, body.public_key)
    except ScanRejected as exc:
        return _problem(exc)
    return ScannerOut(name=scanner.name, keyid=scanner.keyid)


@router.post("/external-scans", status_code=201)
async def upload_scan(request: Request, state: StateDep, session: SessionDep) -> Any:
    """A signed external scan; the signature is verified against the enrolled trust scanner keys first."""
    limit = state.ingest.max_body_bytes
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return JSONResponse({"error": "too_large", "detail": f"body over {limit} bytes"}, status_code=413)
    try:
        scan, scanner, stored = ingest_scan(session, bytes(body))
    except ScanRejected as exc:
        return _problem(exc)
    return {"status": "stored", "scan_id": str(scan.scan_id), "scanner": scanner.name, "schools": stored}


@router.get("/sites/{site_id}/external-scans", response_model=None)
def list_scans(site_id: str, trust: ViewerDep, session: SessionDep,
               limit: Annotated[int, Query(ge=1, le=200)] = 20,
               format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    """The school's external scans, newest first, with the results judged from each."""
    site = queries.visible_site(session, site_id, trust)
    if site is None:
        raise HTTPException(404, "no such site in this trust")
    scans = site_scans(session, site, limit)
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["site_id", "scan_id", "finished_at", "scanner", "requirement", "check", "status", "target",
                         "detail"])
        for scan in scans:
            for r in scan["results"]:
                writer.writerow([site_id, scan["scan_id"], scan["finished_at"].isoformat(), scan["scanner"],
                                 r.get("requirement"), r["check"], r["status"], r.get("target"), r["detail"]])
        return Response(out.getvalue(), media_type="text/csv")
    return scans
