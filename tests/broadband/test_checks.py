"""Broadband checks, table-driven (evidence in, status out), and the phase thresholds through the real map."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contract.evidence import EvidenceRecord
from contract.evidence.broadband import BroadbandLinks, BroadbandSpeed, WanLink
from contract.site import SiteProfile
from standards_map.checks.broadband import (
    broadband_backup_connection,
    broadband_download_meets_minimum,
    broadband_full_fibre,
    broadband_latency_under_load,
    broadband_upload_meets_minimum,
)
from standards_map.evaluate import evaluate
from standards_map.model import load_map

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def speed(**fields) -> BroadbandSpeed:
    base = {"backend": "http", "server": "http://speed.example"}
    return BroadbandSpeed(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "min_mbps", "status", "words"),
    [
        ({"download_mbps": 941.0, "link_speed_mbps": 1000}, 1000, "pass", "meets"),
        ({"download_mbps": 700.0, "link_speed_mbps": 1000}, 1000, "fail", "below"),
        ({"download_mbps": 94.0, "link_speed_mbps": 100}, 1000, "unknown", "runs at 100 Mbps"),
        ({"download_mbps": 94.0, "link_speed_mbps": 100}, 100, "pass", "meets"),
        ({"download_mbps": 480.0, "server_limit_mbps": 500.0}, 1000, "unknown", "test server is limited"),
        ({"download_mbps": None}, 100, "unknown", "No download figure"),
        ({"download_mbps": 93.0}, 100, "fail", "below"),  # 94 Mbps is the floor after 6% framing allowance
    ],
)
def test_download_minimum(fields, min_mbps, status, words):
    outcome = broadband_download_meets_minimum(speed(**fields), min_mbps=min_mbps)
    assert outcome.status == status and words in outcome.detail


def test_upload_minimum_uses_upload():
    assert broadband_upload_meets_minimum(speed(upload_mbps=35.0), min_mbps=30).status == "pass"
    assert broadband_upload_meets_minimum(speed(upload_mbps=20.0), min_mbps=30).status == "fail"
    outcome = broadband_upload_meets_minimum(speed(upload_mbps=90.0, link_speed_mbps=100), min_mbps=1000)
    assert outcome.status == "unknown"


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"latency_idle_ms": 8.0, "latency_loaded_ms": 30.0}, "pass"),
        ({"latency_idle_ms": 8.0, "latency_loaded_ms": 250.0}, "warn"),
        ({"latency_idle_ms": 8.0}, "unknown"),
        ({"backend": "speedtest", "latency_idle_ms": 8.0}, "unknown"),
    ],
)
def test_latency_under_load(fields, status):
    assert broadband_latency_under_load(speed(**fields), max_increase_ms=100).status == status


def test_latency_hint_for_speedtest():
    outcome = broadband_latency_under_load(speed(backend="speedtest", latency_idle_ms=8.0))
    assert "use the http backend" in outcome.detail


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"connection_type": "fttp", "download_mbps": 900.0, "upload_mbps": 900.0}, "pass", "FTTP"),
        ({"connection_type": "leased_line", "connection_type_source": "contract 42"}, "pass", "contract 42"),
        ({"connection_type": "fttp", "download_mbps": 60.0, "upload_mbps": 15.0}, "warn", "within what copper"),
        ({"connection_type": "fttc", "download_mbps": 900.0, "upload_mbps": 900.0}, "fail", "not full fibre"),
        ({"download_mbps": 500.0, "upload_mbps": 200.0}, "pass", "hint"),
        ({"download_mbps": 70.0, "upload_mbps": 18.0}, "warn", "confirm the connection type"),
        ({}, "unknown", "no line type"),
    ],
)
def test_full_fibre(fields, status, words):
    outcome = broadband_full_fibre(speed(**fields))
    assert outcome.status == status and words in outcome.detail


def links(*items: tuple[str, bool | None, str | None], **fields) -> BroadbandLinks:
    base = {"router": "10.0.0.1", "checked_on": date(2026, 11, 29)}
    wan = [WanLink(name=n, oper_up=up, type=t) for n, up, t in items]
    return BroadbandLinks(links=wan, **{**base, **fields})


@pytest.mark.parametrize(
    ("evidence", "status", "words"),
    [
        # DfE (BB-3): "multiple broadband services of different types", "multiple routers" configured for
        # "automatic failover" (the routers are judged by firewall_ha_or_second_router).
        (links(("Gi0/0", True, "leased_line"), ("Gi0/1", True, "fttp")), "unknown", "whether failover is automatic"),
        (links(("Gi0/0", True, None), ("Gi0/1", True, None)), "unknown", "service types"),
        (links(("Gi0/0", True, "leased_line"), ("Gi0/1", True, "fttp"), automatic_failover=True,
               failover_tested_on=date(2026, 9, 1)), "pass", "automatic failover"),
        (links(("Gi0/0", True, "fttp"), ("Cell0", False, "4g")), "fail", "Cell0 down"),
        (links(("Gi0/0", True, "fttp")), "fail", "Only 1 WAN link"),
        (links(("Gi0/0", True, "fttp"), ("Gi0/1", True, "fttp")), "fail", "different type"),
        # Unknown stays unknown: nobody recorded whether failover is automatic, or what the lines are.
        (links(("A", None, "leased_line"), ("B", None, "4g"), source="declared"), "unknown",
         "whether failover is automatic"),
        (links(("A", None, None), ("B", None, "4g"), source="declared", automatic_failover=True), "unknown",
         "service types"),
        (links(("A", None, "leased_line"), ("B", None, "4g"), source="declared", automatic_failover=True),
         "warn", "no failover test"),
        (links(("A", None, "leased_line"), ("B", None, "4g"), source="declared", automatic_failover=True,
               failover_tested_on=date(2026, 9, 1)), "pass", "declared"),
        (links(("A", None, "leased_line"), ("B", None, "4g"), source="declared", automatic_failover=True,
               failover_tested_on=date(2024, 9, 1)), "warn", "test it again"),
        (links(("A", True, "leased_line"), ("B", True, "4g"), automatic_failover=False), "fail", "not automatic"),
    ],
)
def test_backup_connection(evidence, status, words):
    outcome = broadband_backup_connection(evidence)
    assert outcome.status == status and words in outcome.detail


def _judge(phase: str, evidence: BroadbandSpeed) -> dict[str, str]:
    record = EvidenceRecord.of("ev-0001", "broadband", evidence.server, NOW, evidence)
    site = SiteProfile(id="T1", name="Test school", phase=phase)
    results = evaluate(load_map(), [record], site, [], NOW)
    return {r.check: r.status for r in results if r.requirement == "dfe.broadband.minimum-speed"}


def test_phase_thresholds_primary_and_secondary():
    line = speed(download_mbps=150.0, upload_mbps=40.0, link_speed_mbps=1000,
                 latency_idle_ms=5.0, latency_loaded_ms=20.0)
    primary = _judge("primary", line)
    assert primary["broadband_download_meets_minimum"] == "pass"
    assert primary["broadband_upload_meets_minimum"] == "pass"
    for phase in ("secondary", "all_through", "college"):
        judged = _judge(phase, line)
        assert judged["broadband_download_meets_minimum"] == "fail", phase
        assert judged["broadband_upload_meets_minimum"] == "fail", phase


def test_primary_upload_below_30_fails():
    assert _judge("primary", speed(download_mbps=150.0, upload_mbps=25.0))["broadband_upload_meets_minimum"] == "fail"


def test_secondary_from_a_100_mbps_port_is_unknown_not_fail():
    judged = _judge("secondary", speed(download_mbps=94.0, upload_mbps=94.0, link_speed_mbps=100, interface="eth0"))
    assert judged["broadband_download_meets_minimum"] == "unknown"
    assert judged["broadband_upload_meets_minimum"] == "unknown"


def test_failed_measurement_is_unknown_with_reason():
    record = EvidenceRecord.failed("ev-0001", "broadband", "broadband.speed", "http://x", NOW,
                                   "cannot reach the speed server at http://x: Connection refused")
    site = SiteProfile(id="T1", name="Test school", phase="primary")
    results = [r for r in evaluate(load_map(), [record], site, [], NOW) if r.check.startswith("broadband_download")]
    assert results[0].status == "unknown" and "Connection refused" in results[0].detail
