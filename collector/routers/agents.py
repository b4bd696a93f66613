"""What school agents call: enrolment (one-time token) and report upload (signed envelope)."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from collector.admin import AdminError, enrol
from collector.deps import SessionDep, StateDep
from collector.ingest import ingest
from collector.responses import PROBLEM_RESPONSES, EnrolRequest, EnrolResponse, IngestAck, problems
from contract.envelope import envelope_json_schema

log = logging.getLogger("schoolnet.collector")

router = APIRouter(tags=["agents"])

# The upload body's schema, from the one envelope model (inlined: OpenAPI tools and fuzzers read it directly).
ENVELOPE_SCHEMA: dict[str, Any] = envelope_json_schema()


@router.post(
    "/reports",
    status_code=201,
    response_model=IngestAck,
    responses=PROBLEM_RESPONSES,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": ENVELOPE_SCHEMA}}}},
)
async def upload_report(request: Request, state: StateDep) -> Any:
    """Ingest one signed report. The signature is verified against the site's enrolled key first."""
    # BodyLimit (collector.limits) answers 413 for a declared or streamed body over the limit.
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
    outcome = await to_thread.run_sync(
        ingest, state.sessions, bytes(body), state.ingest, None, state.write_guard, limiter=state.ingest_limiter()
    )
    if outcome.status_code >= 400:
        log.info("rejected upload: %s %s", outcome.code, outcome.detail)
    return JSONResponse(outcome.body(), status_code=outcome.status_code)


@router.post("/enrol", status_code=201, response_model=EnrolResponse, responses=problems(401, 409, 413, 422))
def enrol_agent(request: EnrolRequest, session: SessionDep) -> Any:
    """Register an agent's public key for the site its one-time enrolment token names."""
    try:
        raw = base64.b64decode(request.public_key, validate=True)
    except (binascii.Error, ValueError):
        return JSONResponse({"error": "bad_key", "detail": "public_key is not base64"}, status_code=422)
    try:
        done = enrol(session, request.token, raw, request.agent_id)
    except AdminError as exc:
        return JSONResponse({"error": exc.code, "detail": str(exc)}, status_code=exc.status_code)
    return EnrolResponse(
        site_id=done.site_id, site_name=done.site_name, trust=done.trust, keyid=done.keyid, rotated_keys=done.rotated
    )
