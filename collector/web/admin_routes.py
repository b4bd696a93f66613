"""Administration pages (trust administrators only): accounts, bulk school import, enrolment tokens, settings,
and the audit log (which every signed-in trust viewer may read, as a record of who did what)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import delete, func, select

from collector.admin import AdminError
from collector.auth import accounts
from collector.auth.accounts import Principal
from collector.auth.models import ROLES, Account, AuditEvent, WebSession
from collector.models import AgentKey, Site, Trust, utcnow
from collector.web import admin_ops
from collector.web.models import SitePublicAddress, TrustSetting
from collector.web.queries import stale_days
from collector.web.security import (
    SESSION_COOKIE,
    admin_only,
    read_form,
    render,
    require_csrf,
    sessions_of,
    signed_in,
)
from collector.web.tables import Table, csv_response

router = APIRouter(include_in_schema=False)


def _admin_page(request: Request, principal: Principal, status_code: int = 200, **context: object) -> Response:
    with sessions_of(request)() as session:
        people = list(
            session.execute(
                select(Account, Site.site_id)
                .outerjoin(Site, Site.id == Account.site_pk)
                .where(Account.trust_id == principal.trust_id)
                .order_by(Account.email)
            ).all()
        )
        keyed = select(AgentKey.site_pk).where(AgentKey.revoked_at.is_(None), AgentKey.rotated_at.is_(None))
        addresses = func.count(SitePublicAddress.id)
        sites = list(
            session.execute(
                select(Site.site_id, Site.name, Site.phase, Site.id.in_(keyed), addresses)
                .outerjoin(SitePublicAddress, SitePublicAddress.site_pk == Site.id)
                .where(Site.trust_id == principal.trust_id)
                .group_by(Site.id, Site.site_id, Site.name, Site.phase)
                .order_by(Site.site_id)
            ).all()
        )
        setting = session.get(TrustSetting, principal.trust_id)
        stale = stale_days(session, principal.trust_id)
    sites_table = Table(
        "sites",
        "Schools",
        ["site_id", "name", "phase", "enrolled", "public_addresses"],
        [[s[0], s[1], s[2], "yes" if s[3] else "no", s[4]] for s in sites],
    )
    accounts_table = Table(
        "accounts",
        "Accounts",
        ["email", "name", "role", "school", "totp", "disabled"],
        [
            [a.email, a.name, a.role, site_id or "", "yes" if a.totp_secret else "no", "yes" if a.disabled_at else "no"]
            for a, site_id in people
        ],
    )
    if request.query_params.get("format") == "csv":
        table = sites_table if request.query_params.get("table") != "accounts" else accounts_table
        return csv_response(table, f"admin-{table.name}")
    return render(
        request,
        "admin.html.j2",
        status_code=status_code,
        title="Administration",
        tables={"sites": sites_table, "accounts": accounts_table},
        roles=ROLES,
        stale_after=stale,
        stale_setting=setting.stale_after_days if setting else None,
        **context,
    )


@router.get("/admin")
def admin_home(request: Request, principal: Principal = Depends(admin_only)) -> Response:
    return _admin_page(request, principal, message=request.query_params.get("done"))


@router.post("/admin/import")
async def bulk_import(request: Request, principal: Principal = Depends(admin_only)) -> Response:
    form = await read_form(request)
    require_csrf(request, form, request.cookies.get(SESSION_COOKIE))
    try:
        rows = admin_ops.parse_import(form.get("csv", ""))
        with sessions_of(request)() as session:
            trust = session.get(Trust, principal.trust_id)
            assert trust is not None
            result = admin_ops.import_sites(session, trust, rows, principal.email)
    except admin_ops.BulkImportError as exc:
        return _admin_page(request, principal, status_code=422, import_errors=exc.errors, import_text=form.get("csv"))
    return Response(
        status_code=303,
        headers={"Location": f"/admin?done=Imported: {len(result.created)} created, {len(result.updated)} updated"},
    )


@router.post("/admin/accounts")
async def create_account(request: Request, principal: Principal = Depends(admin_only)) -> Response:
    form = await read_form(request)
    require_csrf(request, form, request.cookies.get(SESSION_COOKIE))
    with sessions_of(request)() as session:
        trust = session.get(Trust, principal.trust_id)
        assert trust is not None
        site = None
        if form.get("site_id"):
            site = session.scalar(
                select(Site).where(Site.site_id == form["site_id"].strip(), Site.trust_id == trust.id)
            )
            if site is None:
                return _admin_page(request, principal, 422, account_error=f"no school {form['site_id']!r} here")
        try:
            accounts.create_account(
                session,
                trust=trust,
                email=form.get("email", ""),
                name=form.get("name", ""),
                role=form.get("role", ""),
                password=form.get("password", ""),
                site=site,
                actor=principal.email,
            )
        except accounts.AccountError as exc:
            return _admin_page(request, principal, 422, account_error=str(exc))
    return Response(status_code=303, headers={"Location": "/admin?done=Account created"})


@router.post("/admin/accounts/disable")
async def disable_account(request: Request, principal: Principal = Depends(admin_only)) -> Response:
    form = await read_form(request)
    require_csrf(request, form, request.cookies.get(SESSION_COOKIE))
    with sessions_of(request)() as session:
        account = session.scalar(
            select(Account).where(Account.email == form.get("email", ""), Account.trust_id == principal.trust_id)
        )
        if account is None:
            raise HTTPException(404, "no such account in this trust")
        if account.id == principal.account_id:
            return _admin_page(request, principal, 422, account_error="you cannot disable your own account")
        account.disabled_at = None if form.get("enable") else utcnow()
        if account.disabled_at is not None:
            session.execute(delete(WebSession).where(WebSession.account_id == account.id))
        accounts.audit(
            session,
            "account.enable" if form.get("enable") else "account.disable",
            principal.email,
            principal.trust_id,
            account.email,
        )
        session.commit()
    return Response(status_code=303, headers={"Location": "/admin?done=Account updated"})


@router.post("/admin/tokens")
async def bulk_tokens(request: Request, principal: Principal = Depends(admin_only)) -> Response:
    form = await read_form(request)
    require_csrf(request, form, request.cookies.get(SESSION_COOKIE))
    site_ids = [s for s in form.get("site_ids", "").replace(",", " ").split() if s]
    try:
        hours = int(form.get("ttl_hours", "72"))
    except ValueError:
        hours = 0
    if not 1 <= hours <= 24 * 30:
        return _admin_page(request, principal, 422, token_error="a token lasts between 1 hour and 30 days")
    with sessions_of(request)() as session:
        trust = session.get(Trust, principal.trust_id)
        assert trust is not None
        try:
            issued = admin_ops.enrolment_tokens(
                session,
                trust,
                site_ids or None,
                timedelta(hours=hours),
                principal.email,
                only_unenrolled=form.get("only_unenrolled") == "yes",
            )
        except AdminError as exc:  # an unknown site id
            return _admin_page(request, principal, 422, token_error=str(exc))
    table = Table(
        "tokens",
        "Enrolment tokens (shown once)",
        ["site_id", "name", "token", "expires_at", "command"],
        [
            [
                t.site_id,
                t.name,
                t.token,
                t.expires_at.isoformat(),
                f"schoolnet enroll {request.base_url}".rstrip("/") + f" --token {t.token}",
            ]
            for t in issued
        ],
    )
    if form.get("as") == "csv":
        return csv_response(table, f"enrolment-tokens-{principal.trust_slug}")
    return render(
        request,
        "tokens.html.j2",
        title="Enrolment tokens",
        issued=issued,
        table=table,
        collector_url=str(request.base_url).rstrip("/"),
        hours=hours,
        print_view=True,
    )


@router.post("/admin/settings")
async def settings(request: Request, principal: Principal = Depends(admin_only)) -> Response:
    form = await read_form(request)
    require_csrf(request, form, request.cookies.get(SESSION_COOKIE))
    try:
        days = int(form.get("stale_after_days", ""))
    except ValueError:
        days = 0
    if not 1 <= days <= 365:
        return _admin_page(request, principal, 422, settings_error="stale after: between 1 and 365 days")
    with sessions_of(request)() as session:
        setting = session.get(TrustSetting, principal.trust_id)
        if setting is None:
            session.add(TrustSetting(trust_id=principal.trust_id, stale_after_days=days))
        else:
            setting.stale_after_days = days
        accounts.audit(session, "settings.stale_after_days", principal.email, principal.trust_id, None, str(days))
        session.commit()
    return Response(status_code=303, headers={"Location": "/admin?done=Settings saved"})


@router.get("/audit")
def audit_log(request: Request, principal: Principal = Depends(signed_in)) -> Response:
    if principal.role == "school_viewer":
        raise HTTPException(403, "the audit log is for trust staff")
    with sessions_of(request)() as session:
        events = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.trust_id == principal.trust_id)
                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                .limit(1000)
            )
        )
    table = Table(
        "audit",
        "Audit log (newest first, last 1,000)",
        ["at", "actor", "action", "target", "detail"],
        [[e.at.isoformat(), e.actor, e.action, e.target or "", e.detail or ""] for e in events],
    )
    if request.query_params.get("format") == "csv":
        return csv_response(table, f"audit-{principal.trust_slug}")
    return render(request, "audit.html.j2", title="Audit log", table=table, print_view=False)
