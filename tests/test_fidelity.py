"""Table tests for issue 11's fidelity fixes: each case quotes the DfE sentence it implements.

Evidence in, status out, through the real evaluator and the packaged standards map, so what is tested is what a
school's report says.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from contract.evidence import EvidenceRecord
from contract.evidence.broadband import BroadbandSpeed
from contract.evidence.switch import SwitchDevice, SwitchPort
from contract.evidence.wifi import WifiNetwork, WifiScan
from contract.site import Attestation, SchoolSsid, SiteProfile, WifiSite
from standards_map.checks.switching import switch_ap_ports_multigig
from standards_map.checks.wireless import wifi_school_ssids_individual_auth
from standards_map.evaluate import evaluate, priority, requirement_statuses, summarise
from standards_map.model import load_map
from standards_map.outcome import Status

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SMAP = load_map()
OUI = "0a:5c:01"


def _site(per_device: bool = False, phase: str = "secondary") -> SiteProfile:
    return SiteProfile(
        id="T",
        name="Test School",
        phase=phase,  # type: ignore[arg-type]
        wifi=WifiSite(
            ssids=[SchoolSsid(ssid="Staff", role="staff", per_device_keys=per_device),
                   SchoolSsid(ssid="Student", role="student"), SchoolSsid(ssid="Guest", role="guest")],
            known_ouis=[OUI],
        ),
    )


def _net(ssid: str, n: int, security: str, **fields: Any) -> WifiNetwork:
    base: dict[str, Any] = {
        "bssid": f"{OUI}:00:00:{n:02x}", "ssid": ssid, "channel": 36, "band": "5", "signal_dbm": -50,
        "security": security, "legacy_crypto": False, "pmf": "required", "generation": 7, "phy": "eht",
        "akm": ["802.1X"] if "enterprise" in security else ["SAE"] if security == "wpa3-personal" else ["PSK"],
        "ciphers": ["CCMP"],
    }
    base.update(fields)
    return WifiNetwork(**base)


# --- Wi-Fi (WN-4): individual authentication --------------------------------------------------------------------
WN4 = ('DfE, wireless network standard: users "must not be able to access the network without appropriate '
       'authorisation and authentication"; "certificate-based authentication" and "the latest authentication '
       'protocols (WPA3)" are among the means.')


@pytest.mark.parametrize(
    ("staff", "student", "per_device", "status", "words"),
    [
        ("wpa2-enterprise", "wpa3-enterprise", False, "pass", "802.1X"),
        ("wpa2-personal", "wpa3-enterprise", False, "fail", "shared password"),
        # WPA3-Personal is still one shared passphrase: strong encryption, not individual authentication.
        ("wpa3-personal", "wpa3-enterprise", False, "fail", "shared password"),
        # iPSK/DPSK cannot be seen in a beacon: attested per-device keys are "attention", never "met".
        ("wpa2-personal", "wpa3-enterprise", True, "warn", "per-device"),
        ("wpa3-enterprise", "owe", False, "fail", "no login"),
        ("wpa3-enterprise", "open", False, "fail", "no login"),
    ],
)
def test_wn4_individual_authentication(staff: str, student: str, per_device: bool, status: str, words: str) -> None:
    """DfE WN-4 (quoted in WN4)."""
    assert WN4
    ev = WifiScan(source="pcap", networks=[_net("Staff", 1, staff), _net("Student", 2, student)])
    outcome = wifi_school_ssids_individual_auth(ev, site=_site(per_device))
    assert outcome.status.value == status, outcome.detail
    assert words in outcome.detail


def _wifi_record(*networks: WifiNetwork) -> EvidenceRecord:
    return EvidenceRecord.of("ev-wifi", "wifi", "scan", NOW, WifiScan(source="pcap", networks=list(networks)))


def _req_status(rid: str, records: list[EvidenceRecord], site: SiteProfile | None = None,
                attestations: list[Attestation] | None = None) -> tuple[Status, list[Any]]:
    results = evaluate(SMAP, records, site or _site(), attestations or [], NOW)
    statuses = {r.id: r.status for r in requirement_statuses(SMAP, results)}
    return statuses[rid], [r for r in results if r.requirement == rid]


def test_wn4_wpa3_and_pmf_are_good_practice_only() -> None:
    """DfE WN-4 asks for individual authentication; WPA3 is named only among the means ("you may need"), and
    protected management frames not at all: an enterprise network without PMF is "attention", not "not met"."""
    record = _wifi_record(_net("Staff", 1, "wpa2-enterprise", pmf="none"),
                          _net("Student", 2, "wpa2-enterprise", pmf="none"))
    status, results = _req_status("dfe.wireless.encryption", [record])
    assert status is Status.WARN
    pmf = next(r for r in results if r.check == "wifi_pmf_enabled")
    assert pmf.status is Status.WARN and pmf.good_practice
    individual = next(r for r in results if r.check == "wifi_school_ssids_individual_auth")
    assert individual.status is Status.PASS and individual.good_practice is None


def test_wn4_guest_open_is_judged_on_separation_not_encryption() -> None:
    """DfE WN-4: "secure segregated guest access". An open guest SSID does not fail the encryption requirement;
    guest separation is its own requirement (wifi_guest_isolated)."""
    record = _wifi_record(_net("Staff", 1, "wpa3-enterprise"), _net("Student", 2, "wpa3-enterprise"),
                          _net("Guest", 3, "open", akm=[], pmf="none"))
    status, results = _req_status("dfe.wireless.encryption", [record])
    assert status is Status.PASS, [(r.check, r.status, r.detail) for r in results]


# --- Only DfE decides a DfE verdict ------------------------------------------------------------------------------
def _switch(**fields: Any) -> EvidenceRecord:
    base: dict[str, Any] = {
        "platform": "cisco_ios", "role": "edge", "telnet_enabled": False, "ssh_v2_only": True,
        "http_mgmt_enabled": False, "snmp_default_community": False, "snmp_v1v2c_enabled": False,
        "snmp_v3_enabled": True, "aaa_servers": 1, "plaintext_passwords": 0, "reversible_passwords": 0,
        "mgmt_vlan": 1, "user_vlans": [10], "stp_mode": "rstp", "ntp_servers": 0, "syslog_servers": 0,
        "ports": [SwitchPort(name="Gi1/0/1", admin_up=True, oper_up=True, speed_mbps=1000, mode="access", nac=True),
                  SwitchPort(name="Gi1/0/2", admin_up=True, oper_up=False, mode="access", nac=True)],
        "lldp_neighbours": [],
    }
    base.update(fields)
    return EvidenceRecord.of("ev-sw", "switches", "SW1", NOW, SwitchDevice(**base))


@pytest.mark.parametrize(
    ("rid", "check"),
    [
        # DfE NS-3 names "network access control (NAC) and policy management", not shutting unused ports or VLAN 1.
        ("dfe.switching.access-control", "switch_unused_ports_disabled"),
        ("dfe.switching.access-control", "switch_mgmt_vlan_not_default"),
        # DfE NS-2: "a platform that can centrally manage the network switching infrastructure"; NTP and syslog
        # are how people usually do it (NCSC), not what DfE's text asks.
        ("dfe.switching.central-management", "switch_ntp_configured"),
        ("dfe.switching.central-management", "switch_remote_logging_configured"),
    ],
)
def test_good_practice_shortfall_is_attention_never_not_met(rid: str, check: str) -> None:
    status, results = _req_status(rid, [_switch()])
    row = next(r for r in results if r.check == check)
    assert row.status is Status.WARN and row.good_practice, row
    assert status is not Status.FAIL


def test_latency_under_load_cannot_fail_the_speed_requirement() -> None:
    """DfE BB-2: "Primary: 100 Mbps download and 30 Mbps upload"; nothing about latency under load."""
    speed = BroadbandSpeed(backend="http", server="http://speed.example", download_mbps=150.0, upload_mbps=40.0,
                           latency_idle_ms=5.0, latency_loaded_ms=400.0)
    record = EvidenceRecord.of("ev-bb", "broadband", "speed", NOW, speed)
    status, results = _req_status("dfe.broadband.minimum-speed", [record], _site(phase="primary"))
    assert status is Status.WARN
    assert not [r for r in results if r.status is Status.FAIL]


def test_one_telnet_finding_fails_one_dfe_requirement() -> None:
    """DfE NS-3: "The network switches should have security features to protect users and data from
    unauthorised access" asks for it; CS-3 "Secure digital technology and data with anti-malware and a firewall"
    does not, so telnet counts once."""
    results = evaluate(SMAP, [_switch(telnet_enabled=True)], _site(), [], NOW)
    failing = {r.requirement for r in results if r.check == "switch_telnet_disabled" and r.status is Status.FAIL}
    assert failing == {"dfe.switching.secure-management"}


# --- CS-4: network admin accounts ------------------------------------------------------------------------------
def test_cs4_one_radius_server_is_not_enough() -> None:
    """DfE CS-4: "MFA must be enabled for ... all IT administrative accounts"; accounts reviewed "every term";
    disabled "as soon as" someone leaves. A RADIUS server shows unique logins, not the rest: partial."""
    req = SMAP.requirement("dfe.cyber.network-admin-accounts")
    assert req.assessment == "partial" and req.attestation is not None
    assert "multi-factor" in req.attestation.prompt and "leave" in req.attestation.prompt
    status, _ = _req_status(req.id, [_switch()])
    assert status is Status.MANUAL
    # No central login on a switch is short of good practice: attention, not "not met" (DfE does not name AAA).
    status, results = _req_status(req.id, [_switch(aaa_servers=0)])
    assert status is not Status.FAIL
    assert next(r for r in results if r.check == "switch_central_aaa_configured").status is Status.WARN
    attested = Attestation(requirement=req.id, attested_by="A. Head", attested_on=date(2026, 11, 1),
                           evidence="IT admin register")
    status, _ = _req_status(req.id, [_switch()], attestations=[attested])
    assert status is Status.PASS


# --- NS-1: memory for every switch; multi-gig for access points ----------------------------------------------------
def test_ns1_512mb_applies_to_every_switch() -> None:
    """DfE NS-1: "≥ 512 MB core memory" is the switch's memory, not a rule for core switches only."""
    req = SMAP.requirement("dfe.switching.switch-features")
    assert req.attestation is not None
    assert "every switch has at least 512 MB" in " ".join(req.attestation.prompt.split())
    assert "(core)" not in req.attestation.prompt and "on core switches" not in req.remediation


@pytest.mark.parametrize(
    ("speeds", "status"),
    [
        ([2500, 5000], "pass"),
        ([1000, 5000], "fail"),
        ([], "not_applicable"),
    ],
)
def test_ns1_multigig_ports_for_access_points(speeds: list[int], status: str) -> None:
    """DfE NS-1: "Multi-gig ports for servers, media devices and wireless APs"."""
    ports = [SwitchPort(name=f"Gi1/0/{i}", oper_up=True, speed_mbps=s, mode="access", neighbour=f"AP-{i}",
                        neighbour_is_ap=True) for i, s in enumerate(speeds, 1)]
    ev = SwitchDevice(platform="cisco_ios", ports=ports, lldp_neighbours=[])
    assert switch_ap_ports_multigig(ev).status.value == status


def test_ns3_qos_and_automatic_updates_are_asked_for() -> None:
    """DfE NS-3 (paraphrase of the page): "QoS; secured and documented admin accounts; automatic software
    updates plus manual checks"."""
    req = SMAP.requirement("dfe.switching.qos-and-updates")
    assert req.attestation is not None and "QoS" in req.attestation.prompt
    assert "automatically" in req.attestation.prompt and req.due == "next_upgrade"


# --- Timing decides the advice -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "due", "expected"),
    [
        (Status.FAIL, "now", "act_now"),
        (Status.FAIL, "next_upgrade", "plan"),  # Wi-Fi 6 today: plan the Wi-Fi 7 upgrade, not an alarm
        (Status.FAIL, "by_2030", "by_2030"),
        (Status.WARN, "now", "act_now"),
        (Status.MANUAL, "now", "confirm"),
        (Status.UNKNOWN, "next_upgrade", "unmeasured"),
        (Status.PASS, "now", ""),
    ],
)
def test_priority_follows_dfe_timing(status: Status, due: str, expected: str) -> None:
    """DfE Wi-Fi: "When you need to upgrade an underperforming or unsupported solution"; filtering: "You should
    already be meeting this standard"; full fibre: "As soon as you can"."""
    assert priority(status, due) == expected


def test_wifi6_is_not_met_and_due_at_the_next_upgrade() -> None:
    """DfE WN-1: Wi-Fi 7 "at a minimum" when upgrading; "when you need to upgrade an underperforming or
    unsupported solution"."""
    record = _wifi_record(_net("Staff", 1, "wpa3-enterprise", generation=6, phy="he"))
    status, _ = _req_status("dfe.wireless.latest-standard", [record])
    assert status is Status.FAIL
    assert priority(status, SMAP.requirement("dfe.wireless.latest-standard").due) == "plan"


def test_summary_counts_requirements() -> None:
    results = evaluate(SMAP, [_switch()], _site(), [], NOW)
    reqs = requirement_statuses(SMAP, results)
    summary = summarise(results, reqs)
    counts = summary["requirements"]
    assert isinstance(counts, dict) and sum(counts.values()) == len(SMAP.requirements)
    assert sum(v for v in summary.values() if isinstance(v, int)) == len(results)


def test_text_taken_on_is_the_page_version_date() -> None:
    field = type(SMAP.requirements[0]).model_fields["text_taken_on"]
    assert field.description and "page version" in field.description
    assert {r.text_taken_on for r in SMAP.requirements} == {date(2026, 9, 16)}
