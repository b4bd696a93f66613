"""What a trust's API token reads: its trust, its sites, and the newest status per site and requirement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from collector import queries
from collector.deps import SessionDep, ViewerDep
from collector.models import Site, Trust
from collector.responses import LatestOut, ReportSummaryOut, SiteOut, TrustOut

router = APIRouter(tags=["viewers"])


def _site(session: SessionDep, site_id: str, trust: Trust) -> Site:
    site = queries.visible_site(session, site_id, trust)
    if site is None:  # the same answer for "absent" and "another trust's": no existence leak
        raise HTTPException(404, "no such site in this trust")
    return site


@router.get("/trusts", response_model=list[TrustOut])
def list_trusts(trust: ViewerDep) -> list[TrustOut]:
    """The trusts this token may read (exactly one)."""
    return [TrustOut(slug=trust.slug, name=trust.name)]


@router.get("/sites", response_model=list[SiteOut])
def list_sites(trust: ViewerDep, session: SessionDep) -> list[SiteOut]:
    """The trust's sites, with the time of each site's newest report."""
    return queries.sites(session, trust)


@router.get("/sites/{site_id}", response_model=SiteOut)
def get_site(site_id: str, trust: ViewerDep, session: SessionDep) -> SiteOut:
    site = _site(session, site_id, trust)
    return queries.site_out(site, trust, queries.last_report_at(session, site))


@router.get("/sites/{site_id}/history", response_model=list[ReportSummaryOut])
def site_history(
    site_id: str, trust: ViewerDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[ReportSummaryOut]:
    """The site's reports, newest first: summary counts by status over time."""
    return queries.site_history(session, _site(session, site_id, trust), limit)


@router.get("/sites/{site_id}/latest", response_model=list[LatestOut])
def site_latest(site_id: str, trust: ViewerDep, session: SessionDep) -> list[LatestOut]:
    """Each requirement's status in the site's newest report."""
    return queries.latest(session, trust, site=_site(session, site_id, trust))


@router.get("/latest", response_model=list[LatestOut])
def latest(
    trust: ViewerDep, session: SessionDep, requirement: Annotated[str | None, Query(max_length=120)] = None
) -> list[LatestOut]:
    """Latest status per site and requirement across the trust (optionally one requirement)."""
    return queries.latest(session, trust, requirement=requirement)
