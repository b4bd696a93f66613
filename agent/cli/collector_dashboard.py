"""`schoolnet collector ...` commands for trust-scale administration and the dashboard's accounts:
`trust list`, `site list`, `site import FILE.csv`, `token enrol-bulk`, `account create|list`, `audit`.
Registered on the collector's sub-apps (one import line at the end of agent/cli/collector.py)."""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli.collector import DEFAULT_DB, DbOption, _session, collector_app, site_app, token_app, trust_app
from agent.cli.common import Format, emit
from agent.errors import UsageError

account_app = typer.Typer(
    help="Dashboard accounts: trust administrators, trust viewers, school viewers.", no_args_is_help=True
)
collector_app.add_typer(account_app, name="account")
ListFormat = Annotated[Format, typer.Option("--format", help="text, json or csv.")]
PASSWORD_ENV = "SCHOOLNET_ACCOUNT_PASSWORD"


def _table(fmt: Format, rows: list[dict[str, Any]], text: str) -> None:
    if fmt is Format.json:
        emit(json.dumps(rows, indent=2, default=str))
    elif fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["none"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        emit(buffer.getvalue())
    else:
        emit(text)


@trust_app.command("list")
def trust_list(db: DbOption = DEFAULT_DB, fmt: ListFormat = Format.text) -> None:
    """List the trusts, with how many schools and accounts each has."""
    from sqlalchemy import func, select

    from collector.auth.models import Account
    from collector.models import Site, Trust

    with _session(db) as session:
        sites = dict(session.execute(select(Site.trust_id, func.count()).group_by(Site.trust_id)).all())
        people = dict(session.execute(select(Account.trust_id, func.count()).group_by(Account.trust_id)).all())
        rows = [
            {"slug": t.slug, "name": t.name, "sites": sites.get(t.id, 0), "accounts": people.get(t.id, 0)}
            for t in session.scalars(select(Trust).order_by(Trust.slug))
        ]
    text = "\n".join(f"{r['slug']:<32} {r['sites']:>5} sites {r['accounts']:>4} accounts  {r['name']}" for r in rows)
    _table(fmt, rows, text or "no trusts")


@site_app.command("list")
def site_list(
    trust: Annotated[str | None, typer.Option(help="Only this trust's schools (slug or name).")] = None,
    db: DbOption = DEFAULT_DB,
    fmt: ListFormat = Format.text,
) -> None:
    """List schools with their trust, phase, enrolled key and newest report."""
    from sqlalchemy import func, select

    from collector.admin import get_trust
    from collector.models import AgentKey, Site, StoredReport, Trust

    with _session(db) as session:
        newest = (
            select(StoredReport.site_pk, func.max(StoredReport.finished_at).label("last"))
            .group_by(StoredReport.site_pk)
            .subquery()
        )
        active = select(AgentKey.site_pk).where(AgentKey.revoked_at.is_(None), AgentKey.rotated_at.is_(None))
        query = (
            select(Site, Trust.slug, newest.c.last, Site.id.in_(active))
            .join(Trust, Trust.id == Site.trust_id)
            .outerjoin(newest, newest.c.site_pk == Site.id)
            .order_by(Trust.slug, Site.site_id)
        )
        if trust:
            query = query.where(Site.trust_id == get_trust(session, trust).id)
        rows = [
            {
                "site_id": site.site_id,
                "name": site.name,
                "phase": site.phase,
                "trust": slug,
                "enrolled": bool(enrolled),
                "last_report_at": last.isoformat() if last else None,
            }
            for site, slug, last, enrolled in session.execute(query).all()
        ]
    text = "\n".join(
        f"{r['site_id']:<12} {r['trust']:<24} {(r['phase'] or '-'):<12} {'enrolled' if r['enrolled'] else '-':<9}"
        f" {r['last_report_at'] or 'no report':<26} {r['name']}"
        for r in rows
    )
    _table(fmt, rows, text or "no sites")


@site_app.command("import")
def site_import(
    file: Annotated[Path, typer.Argument(help="CSV with a header: urn,name,phase,public_addresses")],
    trust: Annotated[str, typer.Option(help="Trust slug or name the schools belong to.")],
    db: DbOption = DEFAULT_DB,
    fmt: ListFormat = Format.text,
) -> None:
    """Create or update many schools at once (all or nothing: every bad line is reported, nothing is stored)."""
    from collector.admin import get_trust
    from collector.web.admin_ops import BulkImportError, import_sites, parse_import

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{file}: not UTF-8 text") from None
    try:
        rows = parse_import(text)
        with _session(db) as session:
            result = import_sites(session, get_trust(session, trust), rows, "cli")
    except BulkImportError as exc:
        raise UsageError(f"{file}: " + "; ".join(exc.errors[:20])) from None
    if fmt is Format.json:
        emit(json.dumps({"created": result.created, "updated": result.updated}, indent=2))
    else:
        emit(f"{len(result.created)} schools created, {len(result.updated)} updated")


@token_app.command("enrol-bulk")
def token_enrol_bulk(
    trust: Annotated[str, typer.Argument(help="Trust slug or name.")],
    site: Annotated[list[str] | None, typer.Option(help="Only these URNs (repeat); default every school.")] = None,
    all_sites: Annotated[bool, typer.Option("--all", help="Also schools that already have an enrolled agent.")] = False,
    ttl_hours: Annotated[float, typer.Option(min=0.01, help="Hours until the tokens expire.")] = 72.0,
    url: Annotated[str, typer.Option(help="The collector's address, printed in each school's command.")] = (
        "https://collector.example"
    ),
    db: DbOption = DEFAULT_DB,
    fmt: ListFormat = Format.csv,
) -> None:
    """One-time enrolment tokens for many schools at once, as CSV (default) for a mail merge, or text."""
    from collector.admin import get_trust
    from collector.web.admin_ops import enrolment_tokens

    with _session(db) as session:
        issued = enrolment_tokens(
            session,
            get_trust(session, trust),
            site or None,
            timedelta(hours=ttl_hours),
            "cli",
            only_unenrolled=not all_sites,
        )
    rows = [
        {
            "site_id": t.site_id,
            "name": t.name,
            "token": t.token,
            "expires_at": t.expires_at.isoformat(),
            "command": f"schoolnet enroll {url} --token {t.token}",
        }
        for t in issued
    ]
    _table(fmt, rows, "\n".join(f"{r['site_id']:<12} {r['token']}  {r['name']}" for r in rows) or "no tokens needed")


@account_app.command("create")
def account_create(
    email: Annotated[str, typer.Argument(help="Sign-in e-mail address.")],
    trust: Annotated[str, typer.Option(help="Trust slug or name.")],
    role: Annotated[str, typer.Option(help="trust_admin, trust_viewer or school_viewer.")],
    name: Annotated[str, typer.Option(help="The person's name.")] = "",
    site: Annotated[str | None, typer.Option(help="The school (URN) of a school viewer.")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Create a dashboard account. The password is asked for (or read from SCHOOLNET_ACCOUNT_PASSWORD), never
    taken as an argument, so it stays out of shell history and process lists."""
    from collector.admin import get_site, get_trust
    from collector.auth.accounts import AccountError, create_account

    password = os.environ.get(PASSWORD_ENV) or getpass.getpass("Password (12 characters or more): ")
    with _session(db) as session:
        owner = get_trust(session, trust)
        school = get_site(session, site) if site else None
        try:
            account = create_account(
                session, trust=owner, email=email, name=name or email, role=role, password=password, site=school
            )
        except AccountError as exc:
            raise UsageError(str(exc)) from None
        emit(f"account {account.email} created ({role} of {owner.slug})")


@account_app.command("list")
def account_list(
    trust: Annotated[str | None, typer.Option(help="Only this trust's accounts.")] = None,
    db: DbOption = DEFAULT_DB,
    fmt: ListFormat = Format.text,
) -> None:
    """List dashboard accounts (never their passwords or TOTP secrets)."""
    from sqlalchemy import select

    from collector.admin import get_trust
    from collector.auth.models import Account
    from collector.models import Site, Trust

    with _session(db) as session:
        query = (
            select(Account, Trust.slug, Site.site_id)
            .join(Trust, Trust.id == Account.trust_id)
            .outerjoin(Site, Site.id == Account.site_pk)
            .order_by(Trust.slug, Account.email)
        )
        if trust:
            query = query.where(Account.trust_id == get_trust(session, trust).id)
        rows = [
            {
                "email": a.email,
                "name": a.name,
                "role": a.role,
                "trust": slug,
                "site_id": site_id,
                "totp": a.totp_secret is not None,
                "disabled": a.disabled_at is not None,
            }
            for a, slug, site_id in session.execute(query).all()
        ]
    text = "\n".join(f"{r['email']:<40} {r['role']:<14} {r['trust']:<24} {r['site_id'] or ''}" for r in rows)
    _table(fmt, rows, text or "no accounts")


@collector_app.command("audit")
def audit_list(
    trust: Annotated[str | None, typer.Option(help="Only this trust's events.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Newest N events.")] = 200,
    db: DbOption = DEFAULT_DB,
    fmt: ListFormat = Format.text,
) -> None:
    """The audit log: who signed in, was locked out, changed accounts, schools, tokens, confirmations."""
    from sqlalchemy import select

    from collector.admin import get_trust
    from collector.auth.models import AuditEvent

    with _session(db) as session:
        query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
        if trust:
            query = query.where(AuditEvent.trust_id == get_trust(session, trust).id)
        rows = [
            {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "target": e.target, "detail": e.detail}
            for e in session.scalars(query)
        ]
    text = "\n".join(f"{str(r['at'])[:19]}  {r['actor']:<36} {r['action']:<22} {r['target'] or ''}" for r in rows)
    _table(fmt, rows, text or "no events")
