"""Firewall configuration evidence in a report: results per requirement, the firewalls table, no secret anywhere."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from contract.evidence import EvidenceRecord
from contract.report import ReportAgent
from contract.site import SiteProfile
from probes.firewall.offline import evidence_from_text
from reports.area_firewall_config import devices_table
from reports.build import build_report
from reports.writers import report_csv_text, report_html_text, report_json_bytes
from standards_map.model import load_map

LAB = Path(__file__).resolve().parents[2] / "agent" / "lab" / "firewall_data"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def report_with_firewalls():
    records = []
    for i, (folder, name, platform) in enumerate([("fortigate_good", "show_full-configuration.txt", "fortinet"),
                                                  ("opnsense_leaky", "config.xml", "opnsense")]):
        _, evidence = evidence_from_text((LAB / folder / name).read_text(encoding="utf-8"), platform, name)
        records.append(EvidenceRecord.of(f"ev-{i}", "firewall", evidence.hostname or folder, NOW, evidence))
    records.append(EvidenceRecord.failed("ev-9", "firewall", "firewall.config", "FGT-DOWN", NOW,
                                         "SSH login to 10.0.0.1:22 was refused: wrong username or password"))
    return build_report(report_id=uuid.uuid4(), standards=load_map(),
                        site=SiteProfile(id="1", name="School", phase="secondary"),
                        agent=ReportAgent(id="a", version="0"), evidence=records, attestations=[], probes=[],
                        started_at=NOW, finished_at=NOW, evaluated_at=NOW)


def test_table_one_row_per_firewall_with_statuses():
    report = report_with_firewalls()
    table = devices_table(report)
    assert table is not None and [row[0].text for row in table.rows] == [
        "FGT-CORE", "opn-leaky.riverside.lab", "FGT-DOWN"]
    good, leaky, down = table.rows
    assert {c.status for c in good[2:]} == {"pass"}
    assert leaky[2].status == "fail" and leaky[6].status == "fail"  # admin on WAN; no remote logging
    assert leaky[7].status == "unknown"  # a config.xml alone does not say which release runs (the API does)
    assert "wrong username or password" in down[1].text and down[1].status == "unknown"


def test_results_and_reports_carry_no_secret():
    report = report_with_firewalls()
    by_check = {(r.check, r.target): r.status.value for r in report.results}
    assert by_check[("firewall_admin_not_on_wan", "FGT-CORE")] == "pass"
    assert by_check[("firewall_admin_not_on_wan", "opn-leaky.riverside.lab")] == "fail"
    assert by_check[("firewall_admin_not_on_wan", "FGT-DOWN")] == "unknown"
    html = report_html_text(report)
    assert "Firewalls: their own settings" in html
    for text in (html, report_csv_text(report), report_json_bytes(report).decode()):
        assert "CANARY" not in text and "$2y$" not in text
