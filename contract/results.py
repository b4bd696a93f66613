"""Judgements as they appear in report.json: one result per check and target, one status per requirement."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.status import Status

# DfE's "When to meet the standard" line, as data. ``now``: "you should already be meeting this";
# ``next_upgrade``: "when you need to upgrade/replace an underperforming or unsupported solution" (or after a
# scheduled maintenance/configuration review, or with a new connection); ``by_2030``: "as soon as you can" /
# "working towards by 2030" with no earlier trigger. Reports order their advice by it.
Due = Literal["now", "next_upgrade", "by_2030"]
DUES: tuple[Due, ...] = ("now", "next_upgrade", "by_2030")


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
    good_practice: str | None = Field(
        default=None,
        description="Set (to the practice's source) when DfE's text does not ask for this check: it is at most warn",
    )


class RequirementStatus(BaseModel):
    """A requirement's overall status: the worst of its DfE results (good practice can only make it warn)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    standard: str
    headline: str
    title: str
    assessment: str
    status: Status
    when_to_meet: str
    # Always written since standards map 2026.12.1; optional on input so that reports written earlier can still
    # be read (re-judged, shown on the dashboard), where the current map supplies it.
    due: Due | None = Field(
        default=None, description="When DfE expects it met: now, next_upgrade or by_2030 (from when_to_meet)"
    )
    remediation: str
    source: str
