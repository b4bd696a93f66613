"""The API's response bodies (pydantic), shared by the routers and shown in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


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
    summary: dict[str, int | dict[str, int]]


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
    due: str | None = Field(default=None, description="When DfE expects it met: now, next_upgrade or by_2030")


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
    due: str | None = Field(default=None, description="When DfE expects it met: now, next_upgrade or by_2030")


class Deleted(BaseModel):
    status: str = Field(description="'deleted'")
    report_id: str


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": text}
    for code, text in {
        400: "body is not JSON",
        401: "unknown key or bad signature",
        403: "key revoked or rotated, or report for another site",
        409: "report id already stored (identical=true means the earlier upload arrived)",
        413: "body too large",
        415: "wrong payloadType",
        422: "envelope or report fails validation, unsupported schema version, or timestamps out of range",
    }.items()
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {k: v for k, v in PROBLEM_RESPONSES.items() if k in codes}
