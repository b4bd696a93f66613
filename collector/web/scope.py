"""Trust isolation in one place: every page and export asks this module which sites a principal may see.

A trust viewer or administrator sees the sites of their own trust; a school viewer sees one site. A site or report
outside that answers 404, exactly as one that does not exist, so ids of other trusts cannot be probed.
"""

from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from collector.auth.accounts import Principal
from collector.models import Site, StoredReport


def site_filter(principal: Principal) -> ColumnElement[bool]:
    condition = Site.trust_id == principal.trust_id
    if principal.site_pk is not None:
        condition = condition & (Site.id == principal.site_pk)
    return condition


def visible_site(session: Session, principal: Principal, site_id: str) -> Site:
    site = session.scalar(select(Site).where(Site.site_id == site_id, site_filter(principal)))
    if site is None:
        raise HTTPException(404, "no such school")
    return site


def visible_report(session: Session, principal: Principal, report_id: str) -> tuple[StoredReport, Site]:
    row = session.execute(
        select(StoredReport, Site)
        .join(Site, Site.id == StoredReport.site_pk)
        .where(StoredReport.report_id == report_id, site_filter(principal))
    ).first()
    if row is None:
        raise HTTPException(404, "no such report")
    return row[0], row[1]
