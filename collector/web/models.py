"""Tables the dashboard pages need beyond the collector's own (migration 0003_dashboard)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collector.models import Base, UTCDateTime, utcnow


class SiteAttestation(Base):
    """A person's statement about a "Needs confirming" requirement, recorded in the browser. The collector
    re-judges stored evidence with these (and the report's own attestations) under the current standards map."""

    __tablename__ = "site_attestations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    requirement: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(10))  # met / not_met
    attested_by: Mapped[str] = mapped_column(String(200))
    attested_on: Mapped[date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    review_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_site_attestations_site_req", "site_pk", "requirement"),)


class SitePublicAddress(Base):
    """A school's public (internet-facing) address, for the trust's external scan; from the bulk import."""

    __tablename__ = "site_public_addresses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    address: Mapped[str] = mapped_column(String(100))


class ReportFacts(Base):
    """Figures read once from a stored report's evidence (broadband speeds and the like), so trend charts over a
    year of nightly reports read a few numbers per report instead of decoding 365 envelopes of ~300 KB each."""

    __tablename__ = "report_facts"
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.report_id", ondelete="CASCADE"), primary_key=True)
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_report_facts_site_finished", "site_pk", "finished_at"),)


class ReportRollup(Base):
    """Each report's requirement counts per standard and status, and its unmeasured targets, summed once so the
    trust overview reads one small row per school instead of grouping ~60 requirement and ~170 result rows each
    (2,000 schools: ~0.7 s of grouping on every view otherwise). Filled for new reports on the first view."""

    __tablename__ = "report_rollups"
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.report_id", ondelete="CASCADE"), primary_key=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)  # {standard: {status: n}}
    unmeasured_targets: Mapped[list[str]] = mapped_column(JSON)
    unmeasured_results: Mapped[int] = mapped_column(Integer)


class TrustSetting(Base):
    """Per-trust dashboard settings a trust administrator changes in the browser."""

    __tablename__ = "trust_settings"
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), primary_key=True)
    stale_after_days: Mapped[int] = mapped_column(Integer, default=3)
