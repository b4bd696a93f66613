"""report.json / report.csv / report.html, the schema drift guard, and `schoolnet evaluate`."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from agent.output import write_reports
from contract.report import Report, ReportAgent
from contract.site import Attestation
from contract.status import STATUS_LABEL
from reports.build import build_report
from reports.schema import SCHEMA_DIR, generated
from reports.writers import CSV_COLUMNS, report_csv_text, report_html_text, report_json_bytes
from standards_map.model import load_map
from tests.spine.helpers import NOW, failed_speed_record, site, speed_record


def sample_report(phase: str = "secondary") -> Report:
    return build_report(
        report_id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
        standards=load_map(),
        site=site(phase),
        agent=ReportAgent(id="test-agent", version="0.0.0"),
        evidence=[speed_record(420, 95, latency_idle_ms=9, latency_loaded_ms=30),
                  failed_speed_record("timed out after 60 s")],
        attestations=[Attestation(requirement="dfe.cyber.risk-assessment", attested_by="A. Head <&>",
                                  attested_on=NOW.date(), evidence="Risk register")],
        probes=[],
        started_at=NOW,
        finished_at=NOW,
        evaluated_at=NOW,
    )


def test_schema_files_match_the_models() -> None:
    """Fails when a model changed without `python -m reports.schema` being run."""
    for name, text in generated().items():
        path = SCHEMA_DIR / name
        assert path.exists(), f"{path} missing: run python -m reports.schema"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run python -m reports.schema"
    on_disk = {str(p.relative_to(SCHEMA_DIR)) for p in SCHEMA_DIR.rglob("*.json")}
    assert on_disk == set(generated()), "docs/schema holds files no model generates"


def test_json_has_contract_keys_and_round_trips() -> None:
    report = sample_report()
    data = json.loads(report_json_bytes(report))
    for key in ("schema_version", "report_id", "site", "agent", "started_at", "finished_at", "standards_version",
                "evidence", "results", "summary"):
        assert key in data
    assert set(data["site"]) >= {"id", "name", "phase", "trust"}
    assert set(data["agent"]) >= {"id", "version"}
    for result in data["results"]:
        assert {"requirement", "check", "status", "detail", "target", "evidence_ref"} <= set(result)
    assert data["started_at"].endswith("Z") or data["started_at"].endswith("+00:00")
    assert Report.model_validate_json(report_json_bytes(report)) == report


def test_csv_round_trip() -> None:
    report = sample_report()
    rows = list(csv.DictReader(io.StringIO(report_csv_text(report))))
    assert len(rows) == len(report.results)
    # Contract: site_id, site_name, report_id and finished_at on every row, so a trust can join its schools.
    fixed = {"site_id": report.site.id, "site_name": report.site.name, "report_id": str(report.report_id),
             "finished_at": report.finished_at.isoformat()}
    for row, result in zip(rows, report.results, strict=True):
        assert list(row) == CSV_COLUMNS
        expected = {**result.model_dump(mode="json"), **fixed, "status_label": STATUS_LABEL[result.status]}
        assert {k: v for k, v in row.items()} == {k: "" if expected[k] is None else str(expected[k])
                                                  for k in CSV_COLUMNS}


def test_html_shows_every_requirement_including_manual_ones() -> None:
    report = sample_report()
    html = report_html_text(report)
    for req in load_map().requirements:
        assert f'id="{req.id}"' in html, req.id
    manual = [r for r in load_map().requirements if r.assessment == "manual"]
    assert manual and all(r.headline in html for r in manual)
    assert "Needs confirming" in html
    assert "timed out after 60 s" in html  # failed evidence is shown with its reason
    assert "A. Head &lt;&amp;&gt;" in html  # escaped


def test_html_is_self_contained() -> None:
    html = report_html_text(sample_report())
    assert not re.search(r"<(script|img|link|iframe|object|embed)\b", html, re.IGNORECASE)
    assert not re.search(r"url\((?!#)", html) and "@import" not in html  # url(#pattern) is inside the page
    # Links to the DfE pages are fine; nothing is loaded from elsewhere.
    assert not re.search(r'\ssrc=', html)


def test_write_reports_writes_three_files(tmp_path: Path) -> None:
    written = write_reports(sample_report(), tmp_path)
    assert sorted(p.name for p in written) == ["report.csv", "report.html", "report.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True, timeout=60)


def test_evaluate_rejudges_with_current_map(tmp_path: Path) -> None:
    report = sample_report()
    stale = report.model_copy(update={"results": [], "summary": {}, "standards_version": "2020.1"})
    path = tmp_path / "report.json"
    path.write_bytes(report_json_bytes(stale))
    result = run_cli("evaluate", str(path), "--format", "json")
    assert result.returncode == 1, result.stderr  # secondary at 420 Mbps fails the 1 Gbps minimum
    rejudged = json.loads(result.stdout)
    assert rejudged["standards_version"] == load_map().version
    assert rejudged["report_id"] == str(report.report_id)
    assert len(rejudged["results"]) == len(report.results)
    download = sorted(r["status"] for r in rejudged["results"] if r["requirement"] == "dfe.broadband.minimum-speed"
                      and r["check"] == "broadband_download_meets_minimum")
    assert download == ["fail", "unknown"]  # the measured run fails; the timed-out one is unknown

    out = tmp_path / "out"
    result = run_cli("evaluate", str(path), "--output", str(out))
    assert result.returncode == 1 and result.stdout == ""
    assert (out / "report.html").exists()


def test_report_times_must_carry_a_zone() -> None:
    from pydantic import ValidationError

    data = json.loads(report_json_bytes(sample_report()))
    data["started_at"] = "2026-11-29T12:00:00"
    with pytest.raises(ValidationError, match="timezone"):
        Report.model_validate(data)


@pytest.mark.parametrize("content", ["not json", '{"schema_version": 1}'])
def test_evaluate_rejects_bad_input(tmp_path: Path, content: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content)
    result = run_cli("evaluate", str(path))
    assert result.returncode == 2
    assert str(path) in result.stderr


def test_evaluate_missing_file(tmp_path: Path) -> None:
    result = run_cli("evaluate", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_standards_list_json_and_show() -> None:
    result = run_cli("standards", "list", "--format", "json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["version"] == load_map().version
    assert len(data["requirements"]) == len(load_map().requirements)
    for req in data["requirements"]:
        assert {"id", "standard", "title", "source", "text_taken_on", "when_to_meet", "assessment", "checks",
                "remediation"} <= set(req)
    shown = run_cli("standards", "show", "dfe.broadband.minimum-speed")
    assert shown.returncode == 0 and "min_mbps=1000" in shown.stdout and "primary: min_mbps=100" in shown.stdout
    shown_json = json.loads(run_cli("standards", "show", "dfe.broadband.minimum-speed", "--format", "json").stdout)
    assert shown_json["id"] == "dfe.broadband.minimum-speed"
    missing = run_cli("standards", "show", "dfe.nope.nothing")
    assert missing.returncode == 2 and "no requirement" in missing.stderr
