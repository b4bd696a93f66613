"""The report's first screen, its words and the terminal summary (issue 11, parts 1, 3 and 4)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

from typer.testing import CliRunner

from agent.cli import app
from agent.cli.text import report_text, result_lines
from contract.evidence import EvidenceRecord
from contract.evidence.wifi import WifiNetwork, WifiScan
from contract.report import ReportAgent
from contract.site import Attestation, SchoolSsid, SiteProfile, WifiSite
from reports.build import build_report
from reports.glossary import Glossary
from reports.view import build_view, first_sentence, who_to_ask
from reports.writers import report_html_text
from standards_map.model import load_map

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
OUI = "0a:5c:01"


def _net(ssid: str, n: int, **fields: Any) -> WifiNetwork:
    base: dict[str, Any] = {
        "bssid": f"{OUI}:00:00:{n:02x}", "ssid": ssid, "channel": 36, "band": "5", "signal_dbm": -50,
        "security": "wpa2-enterprise", "legacy_crypto": False, "pmf": "required", "generation": 6, "phy": "he",
        "akm": ["802.1X"], "ciphers": ["CCMP"],
    }
    base.update(fields)
    return WifiNetwork(**base)


def _report() -> Any:
    site = SiteProfile(id="100001", name="Test School", phase="primary", wifi=WifiSite(
        ssids=[SchoolSsid(ssid="Staff", role="staff"), SchoolSsid(ssid="Student", role="student")],
        known_ouis=[OUI]))
    scan = WifiScan(source="pcap", networks=[_net("Staff", 1), _net("Student", 2)])
    record = EvidenceRecord.of("ev-0001", "wifi", "hall.pcap", NOW, scan)
    # FM-2: "Review your filtering and monitoring provision at least annually" -- recorded as not met.
    stale = Attestation(requirement="dfe.filtering.roles", outcome="not_met", attested_by="A. Head",
                        attested_on=NOW.date(), evidence="SLT minutes")
    return build_report(report_id=uuid.UUID(int=1), standards=load_map(), site=site,
                        agent=ReportAgent(id="a", version="0"), evidence=[record], attestations=[stale], probes=[],
                        started_at=NOW, finished_at=NOW, evaluated_at=NOW)


def test_first_screen_separates_now_from_the_next_upgrade() -> None:
    """DfE filtering: "You should already be meeting this standard" -> act now. DfE Wi-Fi: Wi-Fi 7 "when you need
    to upgrade an underperforming or unsupported solution" -> plan for the next upgrade, not an alarm."""
    view = build_view(_report(), load_map())
    act_now = {item.requirement for item in view.lists["act_now"]}
    plan = {item.requirement for item in view.lists["plan"]}
    assert "dfe.filtering.roles" in act_now
    assert "dfe.wireless.latest-standard" in plan and "dfe.wireless.latest-standard" not in act_now
    wifi = next(i for i in view.lists["plan"] if i.requirement == "dfe.wireless.latest-standard")
    assert wifi.where == "hall.pcap" and "Wi-Fi 7" in wifi.reason and wifi.who
    verdicts = {v.id: v for v in view.verdicts}
    assert verdicts["filtering"].css == "red" and verdicts["filtering"].words == "Act now"
    assert verdicts["wireless"].css == "blue"  # not met, but due at the next upgrade: not red
    assert sum(view.requirement_counts.values()) == len(load_map().requirements)


def test_html_first_screen_and_words() -> None:
    html = report_html_text(_report())
    assert html.index("Act now") < html.index("Plan for your next upgrade") < html.index("Working towards 2030")
    assert html.index("Plan for your next upgrade") < html.index('id="std-broadband"')
    assert 'class="chart"' in html and "<desc" in html
    assert 'href="#ev-0001"' in html and 'id="ev-0001"' in html  # evidence refs link to the evidence section
    assert "Good practice (not DfE requirements)" in html


def test_who_to_ask_comes_from_the_remediation() -> None:
    smap = load_map()
    assert who_to_ask(smap.requirement("dfe.broadband.full-fibre"), "x") == "your broadband supplier"
    assert who_to_ask(smap.requirement("dfe.switching.access-port-speed"), "x") == "IT support"
    assert who_to_ask(smap.requirement("dfe.cyber.awareness-training"), "fallback") == "fallback"


def test_first_sentence_keeps_abbreviations_and_initials() -> None:
    assert first_sentence("Seen on 2 ports (e.g. Gi1/0/1). More.") == "Seen on 2 ports (e.g. Gi1/0/1)."
    assert first_sentence("Attestation by R. Jones is old. Review it.") == "Attestation by R. Jones is old."


def test_glossary_explains_each_term_once() -> None:
    glossary = Glossary()
    first = str(glossary.explain("Ports use 802.1X and LLDP-MED."))
    again = str(glossary.explain("802.1X again <b>"))
    assert first.count('class="gloss"') == 2 and "LLDP-MED</" not in first
    assert 'class="gloss"' not in again and "&lt;b&gt;" in again
    assert [t for t, _ in glossary.used()] == ["802.1X", "LLDP-MED"]


def test_terminal_summary_one_line_per_requirement_with_where_and_reason() -> None:
    text = report_text(_report(), load_map())
    line = next(x for x in text.splitlines() if "Latest Wi-Fi generation" in x)
    assert line.strip().startswith("Not met") and "[hall.pcap]" in line and "Wi-Fi 7" in line and "Ask " in line
    assert "Act now (" in text and "Plan for your next upgrade (" in text
    assert text.index("Act now (") < text.index("Plan for your next upgrade (")


def test_result_lines_use_the_report_words_and_titles() -> None:
    report = _report()
    lines = result_lines([r for r in report.results if r.check.startswith("wifi_")])
    words = {line.split("  ")[0] for line in lines if line and not line.startswith(" ")}
    assert words <= {"Met", "Not met", "Attention", "Not measured", "Not applicable", "Needs confirming"}
    assert any("(wifi_latest_generation)" in line and "Wi-Fi" in line for line in lines)
    assert any("good practice:" in line for line in lines)


def test_standards_list_headline_and_formats() -> None:
    runner = CliRunner()
    text = runner.invoke(app, ["standards", "list"]).output
    assert "Individual Wi-Fi logins for staff and students" in text
    assert "Install security features to stop unauthorised access" not in text  # the headline, not the DfE quote
    listed = runner.invoke(app, ["standards", "list", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(listed.output)))
    assert len(rows) == len(load_map().requirements) and {r["due"] for r in rows} == {"now", "next_upgrade", "by_2030"}
    shown = runner.invoke(app, ["standards", "show", "dfe.broadband.minimum-speed", "--format", "csv"])
    assert shown.exit_code == 2  # show offers text and json only
    helped = runner.invoke(app, ["standards", "show", "--help"], env={"COLUMNS": "200"}).output
    assert "<json|text>" in helped and "dfe.broadband.minimum-speed" in helped and "<bool>" not in helped


def test_a_report_written_before_due_still_reads_and_renders() -> None:
    """Reports stored before the map carried DfE's timing (no `due`, summary without requirement counts) are
    still read (evaluate, the dashboard) and shown; the current map supplies the timing."""
    import json

    from contract.report import Report

    data = json.loads(_report().model_dump_json())
    for requirement in data["requirements"]:
        del requirement["due"]
    data["summary"].pop("requirements")
    old = Report.model_validate(data)
    html = report_html_text(old)
    assert "Plan for your next upgrade" in html and 'href="#dfe.wireless.latest-standard"' in html
    view = build_view(old, load_map())
    assert "dfe.wireless.latest-standard" in {i.requirement for i in view.lists["plan"]}
