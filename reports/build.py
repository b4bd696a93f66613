"""Build a Report from evidence (after a scan) or re-judge a stored one with the current map."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from contract.evidence import EvidenceRecord
from contract.report import ProbeSummary, Report, ReportAgent, ReportSite
from contract.site import Attestation, SiteProfile
from standards_map.evaluate import evaluate, requirement_statuses, summarise
from standards_map.model import StandardsMap


def build_report(
    *,
    report_id: UUID,
    standards: StandardsMap,
    site: SiteProfile,
    agent: ReportAgent,
    evidence: Sequence[EvidenceRecord],
    attestations: Sequence[Attestation],
    probes: Sequence[ProbeSummary],
    started_at: datetime,
    finished_at: datetime,
    evaluated_at: datetime,
) -> Report:
    results = evaluate(standards, evidence, site, attestations, evaluated_at)
    requirements = requirement_statuses(standards, results)
    return Report(
        report_id=report_id,
        site=ReportSite(id=site.id, name=site.name, phase=site.phase, trust=site.trust),
        agent=agent,
        started_at=started_at,
        finished_at=finished_at,
        evaluated_at=evaluated_at,
        standards_version=standards.version,
        evidence=list(evidence),
        results=results,
        summary=summarise(results, requirements),
        requirements=requirements,
        probes=list(probes),
        site_profile=site,
        attestations=list(attestations),
    )


def rejudge(report: Report, standards: StandardsMap, now: datetime) -> Report:
    """The same evidence, site and attestations, judged by ``standards`` as of ``now``."""
    return build_report(
        report_id=report.report_id,
        standards=standards,
        site=report.site_profile,
        agent=report.agent,
        evidence=report.evidence,
        attestations=report.attestations,
        probes=report.probes,
        started_at=report.started_at,
        finished_at=report.finished_at,
        evaluated_at=now,
    )
