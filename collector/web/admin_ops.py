"""Trust-scale administration shared by the admin pages and the CLI: bulk school import, bulk enrolment tokens.

The CSV import is all-or-nothing: every error is reported with its line number and nothing is stored until the
whole file is valid, so a half-imported trust never has to be untangled.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collector import admin
from collector.auth.accounts import audit
from collector.models import AgentKey, Site, Trust
from collector.web.models import SitePublicAddress
from contract.site import PHASES

MAX_IMPORT_ROWS = 10_000
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)
HEADER_ALIASES = {
    "urn": "urn",
    "site_id": "urn",
    "name": "name",
    "school": "name",
    "phase": "phase",
    "public_addresses": "public_addresses",
    "addresses": "public_addresses",
}


class BulkImportError(ValueError):
    """The file cannot be imported; ``errors`` lists every problem with its line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:5]) + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""))
        self.errors = errors


@dataclass
class ImportRow:
    line: int
    urn: str
    name: str
    phase: str
    addresses: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    created: list[str]
    updated: list[str]


def _phase(text: str) -> str | None:
    value = text.strip().lower().replace("-", "_").replace(" ", "_")
    return value if value in PHASES else None


def _address(text: str) -> str | None:
    text = text.strip()
    try:
        return str(ipaddress.ip_network(text, strict=False)) if "/" in text else str(ipaddress.ip_address(text))
    except ValueError:
        return text.lower() if _HOSTNAME.match(text) else None


def parse_import(text: str) -> list[ImportRow]:
    """Columns (header row, any order): urn, name, phase, public_addresses (space- or ;-separated)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    errors: list[str] = []
    rows: list[ImportRow] = []
    try:
        header = next(reader)
    except StopIteration:
        raise BulkImportError(["the file is empty"]) from None
    columns = [HEADER_ALIASES.get(h.strip().lower()) for h in header]
    for needed in ("urn", "name", "phase"):
        if needed not in columns:
            errors.append(f"line 1: no {needed!r} column (columns: urn, name, phase, public_addresses)")
    if errors:
        raise BulkImportError(errors)
    seen: set[str] = set()
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            errors.append(f"line {number}: more than {MAX_IMPORT_ROWS} schools in one file")
            break
        record = {col: values[i].strip() for i, col in enumerate(columns) if col and i < len(values)}
        urn, name = record.get("urn", ""), record.get("name", "")
        phase = _phase(record.get("phase", ""))
        if not urn.isdigit() or not 5 <= len(urn) <= 8:
            errors.append(f"line {number}: urn {urn!r} is not a DfE URN (5 to 8 digits)")
        elif urn in seen:
            errors.append(f"line {number}: urn {urn} appears twice")
        seen.add(urn)
        if not name or len(name) > 300:
            errors.append(f"line {number}: name is empty or longer than 300 characters")
        if phase is None:
            errors.append(f"line {number}: phase {record.get('phase', '')!r} is not one of {', '.join(PHASES)}")
        addresses = []
        for part in re.split(r"[\s;]+", record.get("public_addresses", "")):
            if not part:
                continue
            address = _address(part)
            if address is None:
                errors.append(f"line {number}: public address {part[:60]!r} is not an IP address or host name")
            else:
                addresses.append(address)
        rows.append(ImportRow(number, urn, name, phase or "", addresses))
    if errors:
        raise BulkImportError(errors)
    return rows


def import_sites(session: Session, trust: Trust, rows: list[ImportRow], actor: str) -> ImportResult:
    existing = {s.site_id: s for s in session.scalars(select(Site).where(Site.site_id.in_([r.urn for r in rows])))}
    clashes = [
        f"line {r.line}: urn {r.urn} belongs to another trust"
        for r in rows
        if r.urn in existing and existing[r.urn].trust_id != trust.id
    ]
    if clashes:
        raise BulkImportError(clashes)
    created, updated = [], []
    for row in rows:
        site = existing.get(row.urn)
        if site is None:
            site = Site(site_id=row.urn, trust_id=trust.id, name=row.name, phase=row.phase)
            session.add(site)
            session.flush()
            created.append(row.urn)
        else:
            site.name, site.phase = row.name, row.phase
            session.execute(delete(SitePublicAddress).where(SitePublicAddress.site_pk == site.id))
            updated.append(row.urn)
        for address in row.addresses:
            session.add(SitePublicAddress(site_pk=site.id, address=address))
    audit(session, "sites.import", actor, trust.id, None, f"{len(created)} created, {len(updated)} updated")
    session.commit()
    return ImportResult(created, updated)


@dataclass(frozen=True)
class IssuedToken:
    site_id: str
    name: str
    token: str
    expires_at: datetime


def enrolment_tokens(
    session: Session, trust: Trust, site_ids: list[str] | None, ttl: timedelta, actor: str, *, only_unenrolled: bool
) -> list[IssuedToken]:
    """One-time enrolment tokens for many sites of one trust at once (shown once: print or save them now)."""
    query = select(Site).where(Site.trust_id == trust.id).order_by(Site.site_id)
    if site_ids:
        query = query.where(Site.site_id.in_(site_ids))
    sites = list(session.scalars(query))
    if site_ids:
        missing = sorted(set(site_ids) - {s.site_id for s in sites})
        if missing:
            raise admin.AdminError(f"no site {', '.join(missing[:5])} in trust {trust.slug}", 404, "not_found")
    if only_unenrolled:
        enrolled = set(
            session.scalars(
                select(AgentKey.site_pk).where(AgentKey.revoked_at.is_(None), AgentKey.rotated_at.is_(None))
            )
        )
        sites = [s for s in sites if s.id not in enrolled]
    issued = []
    for site in sites:
        token, expires = admin.create_enrolment_token(session, site.site_id, ttl)
        issued.append(IssuedToken(site.site_id, site.name, token, expires))
    audit(session, "tokens.enrol_bulk", actor, trust.id, None, f"{len(issued)} enrolment tokens, ttl {ttl}")
    session.commit()
    return issued
