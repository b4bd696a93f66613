"""The report: the one place its schema is defined (docs/schema/report.schema.json is generated from it)."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.evidence import EvidenceRecord
from contract.results import RequirementStatus, Result
from contract.site import Attestation, Phase, SiteProfile

SCHEMA_VERSION = 1


class ReportSite(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    name: str
    phase: Phase
    trust: str | None = None


class ReportAgent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    version: str


class ProbeSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    probe: str
    tasks: int
    failed: int


class Report(BaseModel):
    """A whole audit: evidence, the judgement of it, and what is needed to judge it again."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: int = SCHEMA_VERSION
    report_id: UUID
    site: ReportSite
    agent: ReportAgent
    started_at: AwareDatetime
    finished_at: AwareDatetime
    evaluated_at: AwareDatetime = Field(description="when the results were (re)judged")
    standards_version: str
    evidence: list[EvidenceRecord]
    results: list[Result]
    summary: dict[str, int | dict[str, int]] = Field(
        description="results (checks) counted by status, and `requirements`: requirements counted by status"
    )
    requirements: list[RequirementStatus] = Field(description="each requirement's overall status")
    probes: list[ProbeSummary] = Field(default_factory=list)
    site_profile: SiteProfile = Field(description="phase, site knowledge and thresholds used to judge")
    attestations: list[Attestation] = Field(default_factory=list)


def report_json_schema() -> dict[str, object]:
    schema = Report.model_json_schema(mode="serialization")
    schema["$id"] = "https://schoolnet.example/schema/report.schema.json"
    schema["title"] = "schoolnet report"
    return schema
