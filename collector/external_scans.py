"""External scans on the collector: trust scanner keys, and each school's part of a signed external scan.

A trust administrator enrols a scanner's Ed25519 public key for the trust; an upload signed by that key (DSSE,
``contract.external_scan.EXTERNAL_SCAN_TYPE``) is verified first, then parsed, and each school's part is stored
under that school, which must belong to the scanner's trust. Tables: ``trust_scanners``, ``external_scans``
(revision 0004_external_scans).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from collector.models import Base, Site, Trust, UTCDateTime, utcnow
from contract.envelope import Envelope, EnvelopeError, key_id, public_key_from_raw
from contract.external_scan import EXTERNAL_SCAN_TYPE, ExternalScan


class TrustScanner(Base):
    __tablename__ = "trust_scanners"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    keyid: Mapped[str] = mapped_column(String(80), unique=True)
    public_key: Mapped[str] = mapped_column(String(100), doc="base64 of the raw 32-byte Ed25519 key")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ExternalScanRow(Base):
    __tablename__ = "external_scans"
    __table_args__ = (UniqueConstraint("scan_id", "site_pk"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(36), index=True)
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    scanner_id: Mapped[int] = mapped_column(ForeignKey("trust_scanners.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    standards_version: Mapped[str] = mapped_column(String(40))
    school: Mapped[str] = mapped_column(Text, doc="the school's part of the scan (JSON): addresses, evidence, results")


class ScanRejected(Exception):
    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


def enrol_scanner(session: Session, trust: Trust, name: str, public_key_b64: str) -> TrustScanner:
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
        public_key_from_raw(raw)
    except (binascii.Error, ValueError) as exc:
        raise ScanRejected(422, "bad_key", f"public_key is not a base64 raw Ed25519 key: {exc}") from None
    keyid = key_id(raw)
    existing = session.scalar(select(TrustScanner).where(TrustScanner.keyid == keyid))
    if existing is not None:
        if existing.trust_id != trust.id:
            raise ScanRejected(409, "key_in_use", "this key is enrolled for another trust")
        return existing
    scanner = TrustScanner(trust_id=trust.id, name=name, keyid=keyid, public_key=public_key_b64)
    session.add(scanner)
    session.commit()
    return scanner


def ingest_scan(session: Session, body: bytes) -> tuple[ExternalScan, TrustScanner, int]:
    """Verify, parse and store; raise ScanRejected with the reason. Returns (scan, scanner, schools stored)."""
    try:
        envelope = Envelope.parse(body)
    except EnvelopeError as exc:
        raise ScanRejected(400, "bad_envelope", str(exc)) from None
    if envelope.payload_type != EXTERNAL_SCAN_TYPE:
        raise ScanRejected(400, "wrong_type", f"payloadType must be {EXTERNAL_SCAN_TYPE}")
    scanner = session.scalar(select(TrustScanner).where(TrustScanner.keyid.in_(envelope.keyids),
                                                        TrustScanner.revoked_at.is_(None)))
    if scanner is None:
        raise ScanRejected(401, "unknown_scanner", "no enrolled trust scanner has the key that signed this scan")
    if not envelope.verify(public_key_from_raw(base64.b64decode(scanner.public_key))):
        raise ScanRejected(401, "bad_signature", "the signature does not verify with the enrolled scanner key")
    try:
        scan = ExternalScan.model_validate_json(envelope.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ScanRejected(422, "bad_scan", f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    sites: dict[str, Site] = {}
    for school in scan.schools:
        site = session.scalar(select(Site).where(Site.site_id == school.site_id))
        if site is None or site.trust_id != scanner.trust_id:  # one answer for both: no existence leak
            raise ScanRejected(422, "unknown_site", f"site {school.site_id!r} is not a site of the scanner's trust")
        sites[school.site_id] = site
    stored = 0
    for school in scan.schools:
        site = sites[school.site_id]
        duplicate = session.scalar(select(ExternalScanRow.id).where(ExternalScanRow.scan_id == str(scan.scan_id),
                                                                   ExternalScanRow.site_pk == site.id))
        if duplicate is not None:
            continue
        session.add(ExternalScanRow(scan_id=str(scan.scan_id), site_pk=site.id, scanner_id=scanner.id,
                                    started_at=scan.started_at, finished_at=scan.finished_at,
                                    standards_version=scan.standards_version,
                                    school=school.model_dump_json()))
        stored += 1
    session.commit()
    return scan, scanner, stored


def site_scans(session: Session, site: Site, limit: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ExternalScanRow, TrustScanner.name).join(TrustScanner, TrustScanner.id == ExternalScanRow.scanner_id)
        .where(ExternalScanRow.site_pk == site.id).order_by(ExternalScanRow.finished_at.desc()).limit(limit)
    ).all()
    out = []
    for row, scanner_name in rows:
        school = json.loads(row.school)
        out.append({"scan_id": row.scan_id, "scanner": scanner_name, "started_at": row.started_at,
                    "finished_at": row.finished_at, "standards_version": row.standards_version,
                    "addresses": school["addresses"], "results": school["results"],
                    "evidence": school["evidence"]})
    return out
