"""The collector's filtering table: one school's runs from several reports, combined into category x segment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import requests

from contract.evidence import EvidenceRecord
from contract.evidence.filtering import FilteringTest, UrlTest
from contract.report import ReportAgent
from contract.site import SiteProfile
from reports.build import build_report
from reports.writers import report_json_bytes
from standards_map.model import load_map
from tests.support.collector_kit import signed


def _run(segment: str, social: str, at: datetime) -> FilteringTest:
    tests = [UrlTest(category="adult", url="http://adult.test/", outcome="blocked", how="dns-nxdomain",
                     detail="d", elapsed_ms=1),
             UrlTest(category="social", url="https://social.test/", outcome=social, detail="d", elapsed_ms=1)]  # type: ignore[arg-type]
    return FilteringTest(segment=segment, role=segment, segment_source="flag", tested_at=at, resolvers=["10.0.0.1"],
                         test_list="t.csv", timeout_s=2, tests=tests, expect_blocked=["social"] if segment == "student"
                         else [])


def _report(site: str, run: FilteringTest) -> bytes:
    finished = run.tested_at + timedelta(seconds=5)
    report = build_report(
        report_id=uuid.uuid4(), standards=load_map(),
        site=SiteProfile(id=site, name=f"School {site}", phase="secondary"),
        agent=ReportAgent(id="laptop", version="0.1.0"),
        evidence=[EvidenceRecord.of("ev-0001", "filtering", f"segment {run.segment}", run.tested_at, run)],
        attestations=[], probes=[], started_at=run.tested_at, finished_at=finished, evaluated_at=finished)
    return report_json_bytes(report)


def test_runs_from_several_reports_make_one_table(running) -> None:
    now = datetime.now(UTC) - timedelta(minutes=5)
    runs = [_run("staff", "allowed", now - timedelta(minutes=30)), _run("student", "allowed", now - timedelta(days=3)),
            _run("student", "blocked", now - timedelta(minutes=20)),  # newer: wins
            _run("guest", "allowed", now - timedelta(days=40))]  # outside the window
    for run in runs:
        response = requests.post(running.url + "/api/v1/reports", data=signed(running.keys_a, _report("URN-A1", run)),
                                 headers={"Content-Type": "application/json"}, timeout=10)
        assert response.status_code == 201, response.text
    headers = {"Authorization": f"Bearer {running.a.viewer_token}"}
    table = requests.get(running.url + "/api/v1/sites/URN-A1/filtering", headers=headers, timeout=10).json()
    assert [c.split(",")[0] for c in table["columns"]] == ["Category", "staff", "student"]
    rows = {row[0]["text"]: row[1:] for row in table["rows"]}
    assert [(c["text"], c["status"]) for c in rows["Social"]] == [("0 of 1 blocked", None), ("1 of 1 blocked", "pass")]
    assert [c["status"] for c in rows["Adult content"]] == ["pass", "pass"]
    assert "Not yet tested from: guest" in table["intro"]
    as_csv = requests.get(running.url + "/api/v1/sites/URN-A1/filtering", headers=headers,
                          params={"format": "csv"}, timeout=10)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0].startswith('site_id,Category,"staff, tested ')
    other = requests.get(running.url + "/api/v1/sites/URN-B1/filtering", headers=headers, timeout=10)
    assert other.status_code == 404
