"""The read side's queries: a trust's sites and reports, and the newest status per site and requirement.

Every query takes the trust and filters by it: another trust's site or report is simply not found.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.models import RequirementRow, ResultRow, Site, StoredReport, Trust
from collector.responses import LatestOut, ReportOut, ReportSummaryOut, RequirementOut, ResultOut, SiteOut


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def site_out(site: Site, trust: Trust, last: datetime | None) -> SiteOut:
    return SiteOut(site_id=site.site_id, name=site.name, phase=site.phase, trust=trust.slug, last_report_at=last)


def summary_out(report: StoredReport, site: Site) -> ReportSummaryOut:
    return ReportSummaryOut(
        report_id=report.report_id,
        site_id=site.site_id,
        started_at=report.started_at,
        finished_at=report.finished_at,
        received_at=report.received_at,
        standards_version=report.standards_version,
        agent_id=report.agent_id,
        agent_version=report.agent_version,
        keyid=report.keyid,
        summary=report.summary,
    )


def sites(session: Session, trust: Trust) -> list[SiteOut]:
    """The trust's sites, with the time of each site's newest report."""
    last = (
        select(StoredReport.site_pk, func.max(StoredReport.finished_at).label("last"))
        .group_by(StoredReport.site_pk)
        .subquery()
    )
    rows = session.execute(
        select(Site, last.c.last)
        .outerjoin(last, last.c.site_pk == Site.id)
        .where(Site.trust_id == trust.id)
        .order_by(Site.site_id)
    ).all()
    return [site_out(site, trust, aware(when)) for site, when in rows]


def visible_site(session: Session, site_id: str, trust: Trust) -> Site | None:
    """The site when it belongs to ``trust``; None for absent and for another trust's alike (no existence leak)."""
    return session.scalar(select(Site).where(Site.site_id == site_id, Site.trust_id == trust.id))


def last_report_at(session: Session, site: Site) -> datetime | None:
    return aware(session.scalar(select(func.max(StoredReport.finished_at)).where(StoredReport.site_pk == site.id)))


def site_history(session: Session, site: Site, limit: int) -> list[ReportSummaryOut]:
    reports = session.scalars(
        select(StoredReport)
        .where(StoredReport.site_pk == site.id)
        .order_by(StoredReport.finished_at.desc())
        .limit(limit)
    ).all()
    return [summary_out(r, site) for r in reports]


def reports(session: Session, trust: Trust, site_id: str | None, limit: int) -> list[ReportSummaryOut]:
    query = (
        select(StoredReport, Site)
        .join(Site, Site.id == StoredReport.site_pk)
        .where(Site.trust_id == trust.id)
        .order_by(StoredReport.finished_at.desc())
        .limit(limit)
    )
    if site_id is not None:
        query = query.where(Site.site_id == site_id)
    return [summary_out(r, s) for r, s in session.execute(query).all()]


def visible_report(session: Session, report_id: str, trust: Trust) -> tuple[StoredReport, Site] | None:
    row = session.execute(
        select(StoredReport, Site)
        .join(Site, Site.id == StoredReport.site_pk)
        .where(StoredReport.report_id == report_id, Site.trust_id == trust.id)
    ).first()
    return None if row is None else (row[0], row[1])


def report_detail(session: Session, report: StoredReport, site: Site) -> ReportOut:
    results = session.scalars(select(ResultRow).where(ResultRow.report_id == report.report_id)).all()
    reqs = session.scalars(select(RequirementRow).where(RequirementRow.report_id == report.report_id)).all()
    return ReportOut(
        **summary_out(report, site).model_dump(),
        requirements=[
            RequirementOut(requirement=r.requirement, standard=r.standard, title=r.title, status=r.status,
                           due=due_of(r.requirement))
            for r in reqs
        ],
        results=[
            ResultOut(
                requirement=r.requirement,
                check=r.check,
                status=r.status,
                detail=r.detail,
                target=r.target,
                evidence_ref=r.evidence_ref,
            )
            for r in results
        ],
    )


def latest(
    session: Session, trust: Trust, *, site: Site | None = None, requirement: str | None = None
) -> list[LatestOut]:
    """Each site's newest report (ties on finished_at broken by arrival), then its requirement statuses."""
    ranked = (
        select(
            StoredReport.report_id,
            func.row_number()
            .over(
                partition_by=StoredReport.site_pk,
                order_by=(StoredReport.finished_at.desc(), StoredReport.received_at.desc(), StoredReport.report_id),
            )
            .label("rank"),
        )
        .join(Site, Site.id == StoredReport.site_pk)
        .where(Site.trust_id == trust.id)
    )
    if site is not None:
        ranked = ranked.where(StoredReport.site_pk == site.id)
    newest = ranked.subquery()
    query = (
        select(RequirementRow, Site)
        .join(newest, (newest.c.report_id == RequirementRow.report_id) & (newest.c.rank == 1))
        .join(Site, Site.id == RequirementRow.site_pk)
        .order_by(Site.site_id, RequirementRow.requirement)
    )
    if requirement is not None:
        query = query.where(RequirementRow.requirement == requirement)
    return [
        LatestOut(
            site_id=s.site_id,
            site_name=s.name,
            requirement=r.requirement,
            standard=r.standard,
            title=r.title,
            status=r.status,
            report_id=r.report_id,
            finished_at=r.finished_at,
            due=due_of(r.requirement),
        )
        for r, s in session.execute(query).all()
    ]


def due_of(requirement: str) -> str | None:
    """DfE's timing for a requirement (now, next_upgrade, by_2030), from the current standards map: the timing
    is DfE's, not the report's, so older reports get it too. None for an id the map no longer has."""
    return _dues().get(requirement)


@functools.cache
def _dues() -> dict[str, str]:
    from standards_map.model import load_map

    return {r.id: r.due for r in load_map().requirements}
