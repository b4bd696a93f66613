"""What the collector reads from an uploaded report: the contract's keys, validated; unknown keys ignored.

Agents in schools upgrade at their own pace and the contract lets a version add fields freely (renaming or
dropping one bumps ``schema_version``), so the collector must not refuse a report for carrying a field it does not
know. The stored envelope keeps everything anyway. Timestamps must carry a time zone (ISO 8601 UTC in the contract).
"""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.status import Status


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class IngestSite(_Lenient):
    id: str = Field(min_length=1, max_length=100)
    name: str = Field(max_length=300)
    phase: str = Field(max_length=30)
    trust: str | None = Field(default=None, max_length=300)


class IngestAgent(_Lenient):
    id: str = Field(max_length=200)
    version: str = Field(max_length=50)


class IngestResult(_Lenient):
    requirement: str | None = Field(default=None, max_length=120)
    check: str = Field(max_length=120)
    status: Status
    detail: str
    target: str | None = Field(default=None, max_length=300)
    evidence_ref: str | None = Field(default=None, max_length=120)


class IngestRequirement(_Lenient):
    id: str = Field(max_length=120)
    standard: str = Field(max_length=40)
    title: str
    status: Status


class IngestEvidence(_Lenient):
    """An evidence record's identity only: its ``data`` stays in the envelope (and is not even materialised here,
    which halves validation time for a full school's report)."""

    id: str
    kind: str
    probe: str
    target: str
    ok: bool


class IngestReport(_Lenient):
    schema_version: int
    report_id: UUID
    site: IngestSite
    agent: IngestAgent
    started_at: AwareDatetime
    finished_at: AwareDatetime
    standards_version: str = Field(max_length=50)
    evidence: list[IngestEvidence]
    results: list[IngestResult]
    summary: dict[str, int]
    requirements: list[IngestRequirement] = Field(default_factory=list)
