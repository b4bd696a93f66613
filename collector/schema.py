"""What the collector reads from an uploaded report: the contract's keys, validated; unknown keys ignored.

Agents in schools upgrade at their own pace and the contract lets a version add fields freely (renaming or
dropping one bumps ``schema_version``), so the collector must not refuse a report for carrying a field it does not
know. The stored envelope keeps everything anyway. Timestamps must carry a time zone (ISO 8601 UTC in the contract).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from contract.status import Status

# No schoolnet report can be older than the project (a clock reset to 1970 or a year-1 timestamp is a fault, and
# one such report once broke a trust's report list on PostgreSQL); the upper bound (now + clock skew) is checked
# at ingest, where "now" is known.
EARLIEST_REPORT_TIME = datetime(2020, 1, 1, tzinfo=UTC)


def _sane_time(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)  # 0001-01-01T00:00+01:00 is in year 0 in UTC: out of range
    except OverflowError:
        raise ValueError("out of range") from None
    if utc < EARLIEST_REPORT_TIME:
        raise ValueError(f"before {EARLIEST_REPORT_TIME.date().isoformat()}: the agent's clock is wrong") from None
    return utc


ReportTime = Annotated[AwareDatetime, AfterValidator(_sane_time)]


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
    started_at: ReportTime
    finished_at: ReportTime
    standards_version: str = Field(max_length=50)
    evidence: list[IngestEvidence]
    results: list[IngestResult]
    summary: dict[str, int | dict[str, int]]
    requirements: list[IngestRequirement] = Field(default_factory=list)
