"""Judgements as they appear in report.json: one result per check and target, one status per requirement."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from contract.status import Status


class Result(BaseModel):
    """One judgement, as in report.json ``results`` (contract keys first)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    requirement: str | None
    check: str
    status: Status
    detail: str
    target: str | None = None
    evidence_ref: str | None = None
    standard: str | None = None
    measured: str | None = None
    expected: str | None = None


class RequirementStatus(BaseModel):
    """A requirement's overall status: the worst of its results."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    standard: str
    headline: str
    title: str
    assessment: str
    status: Status
    when_to_meet: str
    remediation: str
    source: str
