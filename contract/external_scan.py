"""The external scan's wire format: what a trust's scanner uploads to the collector, signed (DSSE, payload type
``EXTERNAL_SCAN_TYPE``) with a key a trust administrator enrolled as that trust's scanner.

One upload covers every school scanned in one run; the collector files each school's part under that school.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.evidence import EvidenceRecord
from contract.results import Result

EXTERNAL_SCAN_TYPE = "application/vnd.schoolnet.external-scan.v1+json"


class ExternalScanSchool(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    site_id: str = Field(min_length=1, max_length=100)
    addresses: list[str] = Field(max_length=16)
    evidence: list[EvidenceRecord] = Field(max_length=64)
    results: list[Result] = Field(max_length=512)


class ExternalScan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: int = 1
    scan_id: UUID
    scanner: str = Field(max_length=200, description="the scanning host's agent id")
    started_at: AwareDatetime
    finished_at: AwareDatetime
    standards_version: str
    schools: list[ExternalScanSchool] = Field(max_length=500)
