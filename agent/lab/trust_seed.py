"""A simulated trust for the dashboard: several schools with weeks of nightly reports, uploaded through the real
enrol and ingest path (each school its own Ed25519 key, every report signed and verified by the collector).

The evidence is the demo lab's (real probe output from simulated devices), varied per school and night: broadband
speeds that cross the phase's threshold on some nights, a Wi-Fi probe that stops answering at one school, a school
whose agent stopped reporting. Used by ``schoolnet demo --keep-running``, the dashboard tests and its benchmark.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import requests

from agent.delivery.signing import AgentKeys, envelope_bytes, init_keys
from contract.evidence import EvidenceRecord
from contract.report import Report, ReportAgent
from contract.site import SiteProfile
from reports.build import build_report
from reports.writers import report_json_bytes
from standards_map.model import StandardsMap, load_map


@dataclass(frozen=True)
class SimulatedSchool:
    site_id: str
    name: str
    phase: str
    download_mbps: float  # typical download on a good night
    stops_reporting_days: int = 0  # its agent went quiet this many days ago
    wifi_fails_last_days: int = 0  # the Wi-Fi probe could not measure on the last N nights
    secured_last_days: int = 0  # switches hardened (no telnet, web or default SNMP, no clear passwords) N nights ago
    logging_last_days: int = 0  # switches got NTP, remote logging, RSTP and LLDP-MED N nights ago
    addresses: tuple[str, ...] = ()


DEMO_SCHOOLS = (
    SimulatedSchool(
        "100101",
        "Hill Primary School",
        "primary",
        120.0,
        secured_last_days=12,
        logging_last_days=1,
        addresses=("198.51.100.10",),
    ),
    SimulatedSchool(
        "100102", "Riverside Academy", "secondary", 940.0, wifi_fails_last_days=3, addresses=("198.51.100.20",)
    ),
    SimulatedSchool(
        "100103",
        "Meadow All-Through School",
        "all_through",
        1300.0,
        stops_reporting_days=9,
        addresses=("198.51.100.30", "198.51.100.31"),
    ),
)


@dataclass
class SeededTrust:
    trust_slug: str
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (email, password)
    reports: int = 0


def _vary(
    record: EvidenceRecord,
    school: SimulatedSchool,
    night: int,
    rng: random.Random,
    wifi_down: bool,
    when: datetime,
    days_ago: int = 0,
) -> EvidenceRecord:
    update: dict[str, Any] = {"collected_at": when}
    if record.kind == "switch.device" and record.ok and record.data is not None:
        data = dict(record.data)
        if days_ago < school.secured_last_days:  # the IT team's hardening work shows in the trend
            data.update(
                telnet_enabled=False,
                http_mgmt_enabled=False,
                snmp_default_community=False,
                plaintext_passwords=0,
                reversible_passwords=0,
                ssh_v2_only=True,
                snmp_v1v2c_enabled=False,
                snmp_v3_enabled=True,
            )
        if days_ago < school.logging_last_days:
            data.update(
                ntp_servers=max(2, data.get("ntp_servers") or 0),
                syslog_servers=max(1, data.get("syslog_servers") or 0),
                stp_mode="rstp",
                lldp_med_enabled=True,
            )
        update["data"] = data
    if record.kind == "broadband.speed" and record.ok and record.data is not None:
        # Evening-to-evening wobble around the school's usual figure, with a bad patch in week two.
        factor = rng.uniform(0.8, 1.1) * (0.75 if 7 <= night <= 10 else 1.0)
        data = dict(record.data)
        data["download_mbps"] = round(school.download_mbps * factor, 1)
        data["upload_mbps"] = round(school.download_mbps * factor * rng.uniform(0.3, 0.5), 1)
        data["runs"] = []
        data["history"] = []
        update["data"] = data
    if wifi_down and record.probe == "wifi":
        return EvidenceRecord.failed(
            record.id,
            record.probe,
            record.kind,
            record.target,
            when,
            "timed out waiting for the Wi-Fi adapter (no scan results)",
        )
    return record.model_copy(update=update)


def nightly_reports(
    school: SimulatedSchool,
    base_evidence: Sequence[EvidenceRecord],
    base_profile: SiteProfile,
    *,
    nights: int,
    now: datetime,
    trust: str,
    standards: StandardsMap | None = None,
    seed: int = 7,
) -> Iterator[Report]:
    """One report per night at 02:00 UTC for ``nights`` nights up to ``now`` (oldest first)."""
    standards = standards or load_map()
    rng = random.Random(f"{seed}-{school.site_id}")
    profile = base_profile.model_copy(
        update={"id": school.site_id, "name": school.name, "phase": school.phase, "trust": trust}
    )
    today = now.astimezone(UTC).date()
    for night in range(nights):
        days_ago = nights - 1 - night
        if days_ago < school.stops_reporting_days:
            continue
        finished = datetime.combine(today - timedelta(days=days_ago), time(2, 0), tzinfo=UTC)
        if finished > now:
            finished = now - timedelta(minutes=1)
        wifi_down = days_ago < school.wifi_fails_last_days
        evidence = [_vary(r, school, night, rng, wifi_down, finished, days_ago) for r in base_evidence]
        yield build_report(
            report_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            standards=standards,
            site=profile,
            agent=ReportAgent(id=f"agent-{school.site_id}", version="simulated"),
            evidence=evidence,
            attestations=[],
            probes=[],
            started_at=finished - timedelta(minutes=4),
            finished_at=finished,
            evaluated_at=finished,
        )


def load_base(path: Path) -> tuple[list[EvidenceRecord], SiteProfile]:
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    return (
        [EvidenceRecord.model_validate(e) for e in data["evidence"]],
        SiteProfile.model_validate(data["site_profile"]),
    )


def upload(url: str, keys: AgentKeys, report: Report, session: requests.Session | None = None) -> int:
    body = envelope_bytes(keys.sign(report_json_bytes(report)))
    answer = (session or requests).post(
        url.rstrip("/") + "/api/v1/reports", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    return answer.status_code


def seed_trust(
    db_url: str,
    collector_url: str,
    workdir: Path,
    base_evidence: Sequence[EvidenceRecord],
    base_profile: SiteProfile,
    *,
    trust_name: str = "Example Learning Trust",
    schools: Sequence[SimulatedSchool] = DEMO_SCHOOLS,
    nights: int = 28,
    now: datetime | None = None,
) -> SeededTrust:
    """Create the trust's schools and accounts in the database, enrol an agent key per school over HTTP, then
    upload every night's signed report to the running collector."""
    from sqlalchemy import select

    from agent.delivery.enroll import enroll
    from collector import admin
    from collector.auth import accounts
    from collector.db import make_engine, session_factory
    from collector.models import Site, Trust
    from collector.web.models import SitePublicAddress

    now = now or datetime.now(UTC)
    engine = make_engine(db_url)
    seeded = SeededTrust(admin.slugify(trust_name))
    tokens: dict[str, str] = {}
    try:
        with session_factory(engine)() as session:
            trust = session.scalar(select(Trust).where(Trust.slug == seeded.trust_slug))
            if trust is None:
                trust = admin.create_trust(session, trust_name, seeded.trust_slug)
            for school in schools:
                made = admin.create_site(session, trust.slug, school.site_id, school.name, school.phase)
                for address in school.addresses:
                    session.add(SitePublicAddress(site_pk=made.id, address=address))
                session.commit()
                tokens[school.site_id], _ = admin.create_enrolment_token(session, school.site_id)
            first = session.scalar(select(Site).where(Site.site_id == schools[0].site_id))
            for role, email, site in (
                ("trust_admin", f"it-lead@{seeded.trust_slug}.example", None),
                ("trust_viewer", f"governor@{seeded.trust_slug}.example", None),
                ("school_viewer", f"head.{schools[0].site_id}@{seeded.trust_slug}.example", first),
            ):
                password = "-".join(secrets.token_hex(3) for _ in range(4))
                accounts.create_account(
                    session,
                    trust=trust,
                    email=email,
                    name=role.replace("_", " ").title(),
                    role=role,
                    password=password,
                    site=site,
                    actor="demo",
                )
                seeded.accounts[role] = (email, password)
    finally:
        engine.dispose()
    http = requests.Session()
    for school in schools:
        state = workdir / f"agent-{school.site_id}"
        keys = init_keys(state)
        enroll(collector_url, tokens[school.site_id], state, agent_id=f"agent-{school.site_id}")
        for report in nightly_reports(school, base_evidence, base_profile, nights=nights, now=now, trust=trust_name):
            status = upload(collector_url, keys, report, http)
            if status != 201:
                raise RuntimeError(f"collector refused a simulated report for {school.site_id}: HTTP {status}")
            seeded.reports += 1
    return seeded
