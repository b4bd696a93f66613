"""WifiLab + WifiProbe end to end (real captures, survey file, loopback 'MIS server'), the rooms table, config."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.config import Config, load_config
from agent.config.wifi import wifi_probe
from agent.errors import ConfigError
from agent.lab import BASE_CONFIG, _merge
from agent.lab.wifi import WifiLab
from agent.orchestrate import run_probes
from contract.report import ReportAgent
from reports.area_wifi import rooms_table
from reports.build import build_report
from standards_map.model import load_map


@pytest.fixture
def lab(tmp_path: Path) -> Any:
    component = WifiLab()
    fragment = component.start(tmp_path)
    try:
        yield fragment
    finally:
        component.stop()


def test_lab_scan_end_to_end(lab: dict[str, Any], tmp_path: Path) -> None:
    config = Config.model_validate(_merge(BASE_CONFIG, lab))
    probe = wifi_probe(config)
    assert [t.kind for t in probe.tasks()] == ["wifi.scan"] * 4 + ["wifi.guest_isolation"]
    records, runs = asyncio.run(run_probes([probe], timeout_s=30, concurrency=4))
    assert runs[0].failed == 0 and all(r.ok for r in records), [r.error for r in records if not r.ok]
    kinds = sorted(r.kind for r in records)
    assert kinds.count("wifi.survey") == 5  # every configured room, surveyed or not
    now = datetime.now(UTC)
    report = build_report(report_id=uuid.uuid4(), standards=load_map(), site=config.site_profile(),
                          agent=ReportAgent(id="t", version="0"), evidence=records, attestations=[], probes=[],
                          started_at=now, finished_at=now, evaluated_at=now)
    status: dict[tuple[str, str], str] = {}
    for result in report.results:
        if result.check.startswith("wifi_"):
            status[(result.check, Path(result.target or "").name)] = result.status.value
    assert status[("wifi_no_rogue_school_ssid", "car-park.pcap")] == "fail"
    assert status[("wifi_no_legacy_encryption", "science-block.pcap")] == "fail"
    # The open SSID there is the guest network: DfE judges guests on separation and filtering, not a login.
    assert status[("wifi_no_open_networks", "science-block.pcap")] == "pass"
    assert status[("wifi_school_ssids_individual_auth", "science-block.pcap")] == "fail"
    assert status[("wifi_no_open_networks", "main-building.pcap")] == "pass"
    # DfE asks for Wi-Fi 7 "at a minimum" at the next upgrade: Wi-Fi 6 is not met (and due then).
    assert status[("wifi_latest_generation", "main-building.pcap")] == "fail"
    # -67 dBm is industry practice, not DfE: a weak room is "attention", never "not met".
    assert status[("wifi_signal_coverage", "Library")] == "warn"
    assert status[("wifi_signal_coverage", "Main hall")] == "pass"
    assert status[("wifi_signal_coverage", "Music room")] == "unknown"
    assert status[("wifi_guest_isolated", "Riverside-Guest")] == "fail"

    table = rooms_table(report)
    assert table is not None
    rows = {row[0].text: row for row in table.rows}
    assert list(rows) == ["Main hall", "Room 1", "Room 2", "Library", "Music room"]
    assert rows["Library"][-1].status == "warn" and rows["Music room"][-1].status == "unknown"
    assert rows["Main hall"][1].text == "2"
    assert "Riverside-Lab ch 3" in rows["Room 1"][5].text  # the IoT radio overlaps 1 and 6
    assert "Library" in table.intro and "Music room" in table.intro


def test_lab_stop_leaves_no_thread(tmp_path: Path) -> None:
    component = WifiLab()
    component.start(tmp_path)
    component.stop()
    component.stop()  # idempotent, never raises
    assert not [t for t in threading.enumerate() if t.name == "wifi-lab-mis"]


def test_rooms_table_absent_without_survey() -> None:
    now = datetime.now(UTC)
    config = Config.model_validate(BASE_CONFIG)
    report = build_report(report_id=uuid.uuid4(), standards=load_map(), site=config.site_profile(),
                          agent=ReportAgent(id="t", version="0"), evidence=[], attestations=[], probes=[],
                          started_at=now, finished_at=now, evaluated_at=now)
    assert rooms_table(report) is None


def test_probe_without_wifi_config_plans_nothing(tmp_path: Path) -> None:
    config = Config.model_validate({**BASE_CONFIG, "agent": {"state_dir": str(tmp_path)}})
    assert wifi_probe(config).tasks() == []
    disabled = Config.model_validate({**BASE_CONFIG, "wifi": {"enabled": False, "captures": ["x.pcap"]}})
    assert wifi_probe(disabled).tasks() == []


def test_a_missing_capture_becomes_an_unknown_with_the_reason(tmp_path: Path) -> None:
    config = Config.model_validate({**BASE_CONFIG, "agent": {"state_dir": str(tmp_path)},
                                    "wifi": {"captures": [str(tmp_path / "gone.pcap")]}})
    records, _runs = asyncio.run(run_probes([wifi_probe(config)], timeout_s=10, concurrency=1))
    assert [(r.ok, r.kind) for r in records] == [(False, "wifi.scan")]
    assert "gone.pcap" in (records[0].error or "")


def test_a_truncated_capture_in_a_scan_is_not_silently_ok(tmp_path: Path) -> None:
    """Issue 9 defect 9: the evidence says truncated, and every result judged on it says how much was read."""
    from contract.site import SiteProfile
    from standards_map.evaluate import evaluate
    from tests.wifi.helpers import beacon, rsn, write

    path = write(tmp_path / "cut.pcap", [beacon("02:aa:00:00:00:01", b"School", 36, -50, [rsn([8], mfpr=1)])] * 3)
    path.write_bytes(path.read_bytes()[:-5])
    config = Config.model_validate({**BASE_CONFIG, "agent": {"state_dir": str(tmp_path)},
                                    "wifi": {"captures": [str(path)]}})
    records, _runs = asyncio.run(run_probes([wifi_probe(config)], timeout_s=10, concurrency=1))
    [record] = records
    assert record.data is not None and record.data["truncated"] is True
    assert record.data["bytes_read"] < record.data["file_size_bytes"]
    site = SiteProfile(id="T", name="T", phase="secondary")
    results = [r for r in evaluate(load_map(), records, site, [], datetime.now(UTC)) if r.evidence_ref == record.id]
    assert results and all("cut short mid-record" in r.detail for r in results)
    assert all(r.status.value != "pass" for r in results)


@pytest.mark.parametrize(
    ("wifi", "message"),
    [
        ('known_bssids = ["02:00:00:00:01"]', "known_bssids"),
        ('known_ouis = ["zz:00:00"]', "known_ouis"),
        ('ssids = [{ ssid = "X", role = "teachers" }]', "role"),
        ('[wifi.guest_isolation]\nssid = "G"\nsubnets = ["10.0.0.0/33"]', "subnets"),
        ('[wifi.live]\ninterface = "wlan0"\nseconds = 0', "seconds"),
    ],
    ids=["bssid", "oui", "role", "subnet", "seconds"],
)
def test_config_errors_name_the_key(tmp_path: Path, wifi: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[site]\nid = "T"\nname = "T"\nphase = "primary"\n[wifi]\n{wifi}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_config_normalises_macs(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[site]\nid = "T"\nname = "T"\nphase = "primary"\n[wifi]\n'
                    'known_bssids = ["0A-5C-01-00-00-01"]\nknown_ouis = ["0A:5C:01"]\n', encoding="utf-8")
    config = load_config(path)
    assert config.wifi.known_bssids == ["0a:5c:01:00:00:01"]
    assert config.site_profile().wifi.known_ouis == ["0a:5c:01"]
    assert config.wifi.survey_path(tmp_path) == tmp_path / "wifi-survey.jsonl"


def test_survey_feeds_security_checks_only_without_captures(lab: dict[str, Any]) -> None:
    wifi = {k: v for k, v in lab["wifi"].items() if k not in ("captures", "guest_isolation")}
    config = Config.model_validate(_merge(BASE_CONFIG, {"wifi": wifi}))
    records, _runs = asyncio.run(run_probes([wifi_probe(config)], timeout_s=30, concurrency=2))
    site_wide = [r for r in records if r.kind == "wifi.scan"]
    assert [r.target for r in site_wide] == ["survey (all locations)"]
    assert site_wide[0].data is not None and site_wide[0].data["source"] == "survey"
