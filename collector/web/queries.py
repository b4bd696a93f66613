"""What the pages show, read with a few set-based queries (no per-school loops against the database).

The newest report of each site is found with a correlated ``LIMIT 1`` on the (site, finished_at) index: one index
probe per school, so the trust overview stays fast with 2,000 schools and years of nightly reports.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collector.auth.accounts import Principal
from collector.models import RequirementRow, ResultRow, Site, StoredReport
from collector.web import rendering
from collector.web.models import ReportFacts, ReportRollup, SiteAttestation, SitePublicAddress, TrustSetting
from collector.web.scope import site_filter
from contract.status import SEVERITY_ORDER
from standards_map.model import Requirement, StandardsMap

STALE_ENV = "SCHOOLNET_DASHBOARD_STALE_DAYS"
DEFAULT_STALE_DAYS = 7
# How many envelopes one page view may decode to fill in missing trend figures (the rest on the next view).
FACTS_PER_REQUEST = 400

DUE_LABEL = {
    "now": "Act now",
    "next_upgrade": "Plan for your next upgrade",
    "by_2030": "Working towards 2030",
}
DUE_ORDER = ("now", "next_upgrade", "by_2030")

# The checks whose failure means something must be bought or replaced: the upgrade plan's rows.
PLAN_ITEMS: dict[str, str] = {
    "switch_firmware_supported": "Switch on unsupported firmware: upgrade or replace",
    "firewall_firmware_supported": "Firewall on unsupported firmware: upgrade or replace",
    "wifi_latest_generation": "Access point below the Wi-Fi generation DfE asks for: replace at the next upgrade",
    "switch_uplink_capacity_2x10g": "Uplink below 2 x 10 Gbps: upgrade the uplink (optics, switch or cabling)",
    "switch_access_port_speed_1g": "Access ports below 1 Gbps: replace the switch",
    "broadband_download_meets_minimum": "Line below the phase's download threshold: upgrade the connection",
    "broadband_upload_meets_minimum": "Line below the phase's upload threshold: upgrade the connection",
    "broadband_backup_connection": "No backup connection: buy a second line",
    "broadband_full_fibre": "Not full fibre: move to a full-fibre connection",
    "switch_core_redundant_power": "Core switch without redundant power: add a second power supply",
    "switch_core_on_ups": "Core switch not on a UPS: buy a UPS",
    "firewall_ha_or_second_router": "No second firewall or router: buy one for resilience",
}


def due_of(req: Requirement | None) -> str:
    """DfE's timing for a requirement, from the map (an id the current map no longer has counts as now)."""
    return req.due if req is not None else "now"


def stale_days(session: Session, trust_id: int) -> int:
    setting = session.get(TrustSetting, trust_id)
    if setting is not None:
        return setting.stale_after_days
    return int(os.environ.get(STALE_ENV, DEFAULT_STALE_DAYS))


def _newest_report_id() -> Any:
    return (
        select(StoredReport.report_id)
        .where(StoredReport.site_pk == Site.id)
        .order_by(StoredReport.finished_at.desc(), StoredReport.received_at.desc())
        .limit(1)
        .correlate(Site)
        .scalar_subquery()
    )


_COUNT_WORDS = (
    ("pass", "met"),
    ("warn", "attention"),
    ("fail", "not met"),
    ("unknown", "not measured"),
    ("manual", "to confirm"),
)


_SEVERITY = [status.value for status in SEVERITY_ORDER]


@dataclass
class Cell:
    """One school's requirements in one standard: counts by status, the worst status, and the counts in words
    (worked out once: the overview draws 10,000 of these for 2,000 schools)."""

    counts: dict[str, int]
    status: str = "none"
    text: str = ""

    @classmethod
    def of(cls, counts: dict[str, int]) -> Cell:
        present = [s for s in _SEVERITY if counts.get(s)]
        text = " · ".join(f"{counts[s]} {word}" for s, word in _COUNT_WORDS if counts.get(s))
        return cls(counts, present[0] if present else "none", text)

    def n(self, status: str) -> int:
        return self.counts.get(status, 0)


@dataclass
class SiteRow:
    pk: int
    site_id: str
    name: str
    phase: str | None
    report_id: str | None
    finished_at: datetime | None
    standards_version: str | None
    age_days: float | None
    stale: bool
    cells: dict[str, Cell] = field(default_factory=dict)
    unmeasured_targets: list[str] = field(default_factory=list)
    unmeasured_results: int = 0

    def count(self, status: str, standard: str | None = None) -> int:
        cells = [self.cells[standard]] if standard and standard in self.cells else list(self.cells.values())
        return sum(c.counts.get(status, 0) for c in cells)


def latest_rows(session: Session, principal: Principal, now: datetime, stale_after: int) -> list[SiteRow]:
    """Every visible school with its newest report and that report's rollup, in one statement."""
    newest = _newest_report_id().label("report_id")
    base = select(Site.id, Site.site_id, Site.name, Site.phase, newest).where(site_filter(principal)).subquery()
    rows = session.execute(
        select(
            base.c.id,
            base.c.site_id,
            base.c.name,
            base.c.phase,
            base.c.report_id,
            StoredReport.finished_at,
            StoredReport.standards_version,
            ReportRollup.counts,
            ReportRollup.unmeasured_targets,
            ReportRollup.unmeasured_results,
        )
        .outerjoin(StoredReport, StoredReport.report_id == base.c.report_id)
        .outerjoin(ReportRollup, ReportRollup.report_id == base.c.report_id)
    ).all()
    sites: list[SiteRow] = []
    missing: dict[str, SiteRow] = {}
    for pk, site_id, name, phase, report_id, finished_at, version, counts, targets, unmeasured in rows:
        finished = _aware(finished_at)
        age = (now - finished).total_seconds() / 86400 if finished else None
        row = SiteRow(pk, site_id, name, phase, report_id, finished, version, age, age is None or age > stale_after)
        sites.append(row)
        if report_id and counts is not None:
            _apply(row, counts, targets, unmeasured)
        elif report_id:
            missing[report_id] = row
    if missing:
        for rollup in _compute_rollups(session, list(missing)):
            _apply(missing[rollup.report_id], rollup.counts, rollup.unmeasured_targets, rollup.unmeasured_results)
            session.add(rollup)
        try:
            session.commit()
        except IntegrityError:  # another process stored the same rollups first: the same figures
            session.rollback()
    return sites


def _apply(row: SiteRow, counts: dict[str, dict[str, int]], targets: list[str], unmeasured: int) -> None:
    for standard, statuses in counts.items():
        row.cells[standard] = Cell.of(statuses)
    row.unmeasured_targets = list(targets)
    row.unmeasured_results = unmeasured


def _compute_rollups(session: Session, ids: list[str]) -> list[ReportRollup]:
    counts: dict[str, dict[str, dict[str, int]]] = {i: {} for i in ids}
    targets: dict[str, list[str]] = {i: [] for i in ids}
    unmeasured: dict[str, int] = dict.fromkeys(ids, 0)
    for chunk in _chunks(ids):
        for report_id, standard, status, n in session.execute(
            select(RequirementRow.report_id, RequirementRow.standard, RequirementRow.status, func.count())
            .where(RequirementRow.report_id.in_(chunk))
            .group_by(RequirementRow.report_id, RequirementRow.standard, RequirementRow.status)
        ):
            counts[report_id].setdefault(standard, {})[status] = int(n)
        for report_id, target, n in session.execute(
            select(ResultRow.report_id, ResultRow.target, func.count())
            .where(ResultRow.report_id.in_(chunk), ResultRow.status == "unknown")
            .group_by(ResultRow.report_id, ResultRow.target)
        ):
            unmeasured[report_id] += int(n)
            if target:
                targets[report_id].append(target)
    return [
        ReportRollup(
            report_id=i, counts=counts[i], unmeasured_targets=sorted(targets[i]), unmeasured_results=unmeasured[i]
        )
        for i in ids
    ]


def _chunks(ids: list[str], size: int = 1000) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


SORTS = ("name", "urn", "phase", "last_report", "not_met", "attention", "not_measured")


def filter_and_sort(
    rows: list[SiteRow], *, phase: str | None, standard: str | None, status: str | None, sort: str, descending: bool
) -> list[SiteRow]:
    if phase:
        rows = [r for r in rows if r.phase == phase]
    if status == "stale":
        rows = [r for r in rows if r.stale]
    elif status:
        rows = [r for r in rows if r.count(status, standard) > 0]
    keys: dict[str, Any] = {
        "name": lambda r: r.name.lower(),
        "urn": lambda r: r.site_id,
        "phase": lambda r: (r.phase or "", r.name.lower()),
        "last_report": lambda r: r.finished_at.timestamp() if r.finished_at else 0.0,
        "not_met": lambda r: (r.count("fail", standard), r.count("warn", standard)),
        "attention": lambda r: r.count("warn", standard),
        "not_measured": lambda r: (r.count("unknown", standard), len(r.unmeasured_targets)),
    }
    return sorted(rows, key=keys.get(sort, keys["name"]), reverse=descending)


# --- one school -------------------------------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    report_id: str
    finished_at: datetime
    standards_version: str
    agent_version: str
    summary: dict[str, Any]


def history(session: Session, site: Site, limit: int = 400) -> list[HistoryEntry]:
    rows = session.execute(
        select(
            StoredReport.report_id,
            StoredReport.finished_at,
            StoredReport.standards_version,
            StoredReport.agent_version,
            StoredReport.summary,
        )
        .where(StoredReport.site_pk == site.id)
        .order_by(StoredReport.finished_at.desc(), StoredReport.received_at.desc())
        .limit(limit)
    ).all()
    return [HistoryEntry(r[0], _aware(r[1]) or r[1], r[2], r[3], r[4] or {}) for r in rows]


def requirement_statuses(session: Session, report_id: str) -> dict[str, tuple[str, str, str]]:
    """requirement id -> (standard, title, status) in one report."""
    return {
        req: (std, title, status)
        for req, std, title, status in session.execute(
            select(
                RequirementRow.requirement, RequirementRow.standard, RequirementRow.title, RequirementRow.status
            ).where(RequirementRow.report_id == report_id)
        )
    }


@dataclass
class Change:
    requirement: str
    title: str
    before: str | None
    after: str | None

    @property
    def better(self) -> bool:
        order = [s.value for s in SEVERITY_ORDER]
        if self.before is None or self.after is None:
            return False
        return order.index(self.after) > order.index(self.before)


def changes(before: dict[str, tuple[str, str, str]], after: dict[str, tuple[str, str, str]]) -> list[Change]:
    out = []
    for req in sorted(set(before) | set(after)):
        old = before.get(req)
        new = after.get(req)
        if (old[2] if old else None) != (new[2] if new else None):
            title = (new or old)[1] if (new or old) else req  # type: ignore[index]
            out.append(Change(req, title, old[2] if old else None, new[2] if new else None))
    return out


def trend_by_standard(session: Session, site: Site, since: datetime) -> dict[str, list[tuple[datetime, int, int, int]]]:
    """Per standard, (finished_at, requirements met, requirements that apply, requirements not met) for each report
    since ``since``."""
    met = func.sum(case((RequirementRow.status == "pass", 1), else_=0))
    applicable = func.sum(case((RequirementRow.status != "not_applicable", 1), else_=0))
    not_met = func.sum(case((RequirementRow.status == "fail", 1), else_=0))
    out: dict[str, list[tuple[datetime, int, int, int]]] = defaultdict(list)
    for finished, standard, n_met, n_app, n_fail in session.execute(
        select(RequirementRow.finished_at, RequirementRow.standard, met, applicable, not_met)
        .where(RequirementRow.site_pk == site.id, RequirementRow.finished_at >= since)
        .group_by(RequirementRow.report_id, RequirementRow.finished_at, RequirementRow.standard)
        .order_by(RequirementRow.finished_at)
    ):
        out[standard].append((_aware(finished) or finished, int(n_met or 0), int(n_app or 0), int(n_fail or 0)))
    return dict(out)


def facts_from_report(data: dict[str, Any]) -> dict[str, Any]:
    """The figures the trend charts need, read from one report's evidence."""
    facts: dict[str, Any] = {}
    for record in data.get("evidence") or []:
        if not isinstance(record, dict) or record.get("kind") != "broadband.speed" or not record.get("ok"):
            continue
        body = record.get("data") or {}
        for key in ("download_mbps", "upload_mbps", "latency_loaded_ms"):
            value = body.get(key)
            if isinstance(value, int | float) and key not in facts:
                facts[key] = float(value)
    return facts


def ensure_facts(session: Session, site: Site, since: datetime) -> None:
    """Read the trend figures of reports that have none yet (each envelope is decoded once, ever)."""
    missing = session.execute(
        select(StoredReport.report_id, StoredReport.finished_at, StoredReport.envelope)
        .outerjoin(ReportFacts, ReportFacts.report_id == StoredReport.report_id)
        .where(StoredReport.site_pk == site.id, StoredReport.finished_at >= since, ReportFacts.report_id.is_(None))
        .order_by(StoredReport.finished_at.desc())
        .limit(FACTS_PER_REQUEST)
    ).all()
    if not missing:
        return
    for report_id, finished_at, envelope in missing:
        try:
            facts = facts_from_report(rendering.report_dict(envelope))
        except (ValueError, KeyError, TypeError):
            facts = {"unreadable": True}
        session.add(ReportFacts(report_id=report_id, site_pk=site.id, finished_at=finished_at, facts=facts))
    try:
        session.commit()
    except IntegrityError:  # another process filled the same rows at the same moment: theirs are as good
        session.rollback()


def speed_trend(session: Session, site: Site, since: datetime) -> list[tuple[datetime, dict[str, Any]]]:
    ensure_facts(session, site, since)
    return [
        (_aware(when) or when, facts)
        for when, facts in session.execute(
            select(ReportFacts.finished_at, ReportFacts.facts)
            .where(ReportFacts.site_pk == site.id, ReportFacts.finished_at >= since)
            .order_by(ReportFacts.finished_at)
        )
    ]


def phase_threshold(standards: StandardsMap, check: str, phase: str | None, key: str = "min_mbps") -> float | None:
    for req in standards.requirements:
        for ref in req.checks:
            if ref.check == check and phase:
                params = ref.params_for(phase)  # type: ignore[arg-type]
                if params and key in params:
                    return float(params[key])
    return None


def site_attestations(session: Session, site: Site) -> list[SiteAttestation]:
    return list(
        session.scalars(
            select(SiteAttestation)
            .where(SiteAttestation.site_pk == site.id)
            .order_by(SiteAttestation.requirement, SiteAttestation.attested_on.desc())
        )
    )


def public_addresses(session: Session, site: Site) -> list[str]:
    return list(session.scalars(select(SitePublicAddress.address).where(SitePublicAddress.site_pk == site.id)))


def report_at(session: Session, site: Site, on_or_before: datetime | None) -> StoredReport | None:
    query = select(StoredReport).where(StoredReport.site_pk == site.id)
    if on_or_before is not None:
        query = query.where(StoredReport.finished_at <= on_or_before)
    return session.scalars(query.order_by(StoredReport.finished_at.desc()).limit(1)).first()


# --- across the trust --------------------------------------------------------------------------------------------


@dataclass
class Finding:
    site: SiteRow
    status: str
    results: list[tuple[str, str, str | None, str]]  # (check, status, target, detail)


def requirement_across(session: Session, rows: list[SiteRow], requirement: str) -> list[Finding]:
    by_report = {r.report_id: r for r in rows if r.report_id}
    statuses: dict[str, str] = {}
    details: dict[str, list[tuple[str, str, str | None, str]]] = defaultdict(list)
    for chunk in _chunks(list(by_report)):
        for report_id, status in session.execute(
            select(RequirementRow.report_id, RequirementRow.status).where(
                RequirementRow.report_id.in_(chunk), RequirementRow.requirement == requirement
            )
        ):
            statuses[report_id] = status
        for report_id, check, status, target, detail in session.execute(
            select(ResultRow.report_id, ResultRow.check, ResultRow.status, ResultRow.target, ResultRow.detail)
            .where(ResultRow.report_id.in_(chunk), ResultRow.requirement == requirement)
            .order_by(ResultRow.id)
        ):
            details[report_id].append((check, status, target, detail))
    out = []
    for row in rows:
        if row.report_id is None:
            out.append(Finding(row, "none", []))
        else:
            out.append(Finding(row, statuses.get(row.report_id, "none"), details.get(row.report_id, [])))
    return out


@dataclass
class PlanItem:
    due: str
    site: SiteRow
    requirement: str
    check: str
    what: str
    status: str
    target: str | None
    detail: str


def upgrade_plan(session: Session, rows: list[SiteRow], standards: StandardsMap) -> list[PlanItem]:
    by_report = {r.report_id: r for r in rows if r.report_id}
    known = {req.id: req for req in standards.requirements}
    items: list[PlanItem] = []
    for chunk in _chunks(list(by_report)):
        for report_id, requirement, check, status, target, detail in session.execute(
            select(
                ResultRow.report_id,
                ResultRow.requirement,
                ResultRow.check,
                ResultRow.status,
                ResultRow.target,
                ResultRow.detail,
            ).where(
                ResultRow.report_id.in_(chunk),
                ResultRow.check.in_(list(PLAN_ITEMS)),
                ResultRow.status.in_(("fail", "warn")),
            )
        ):
            req = known.get(requirement or "")
            items.append(
                PlanItem(
                    due=due_of(req),
                    site=by_report[report_id],
                    requirement=requirement or "",
                    check=check,
                    what=PLAN_ITEMS[check],
                    status=status,
                    target=target,
                    detail=detail,
                )
            )
    items.sort(key=lambda i: (DUE_ORDER.index(i.due), i.site.name.lower(), i.check, i.target or ""))
    # One thing to buy is listed once, at its earliest timing, even when several requirements ask for it (the same
    # unsupported firmware fails both the switching and the cyber patching requirement).
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for item in items:
        key = (item.site.site_id, item.check, item.target or "")
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def since_days(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
