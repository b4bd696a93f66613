"""Each wireless check's statuses, table-driven: evidence in, status out."""

from __future__ import annotations

from typing import Any

import pytest

from contract.evidence.wifi import GuestIsolation, ReachabilityProbe, WifiNetwork, WifiScan, WifiSurvey
from contract.site import SchoolSsid, SiteProfile, WifiSite
from standards_map.checks import registry
from standards_map.checks.wireless import (
    wifi_guest_isolated,
    wifi_latest_generation,
    wifi_no_legacy_encryption,
    wifi_no_open_networks,
    wifi_no_rogue_school_ssid,
    wifi_pmf_enabled,
    wifi_school_ssids_wpa3_or_enterprise,
    wifi_signal_coverage,
)

SCHOOL_OUI = "0a:5c:01"


def site(known: bool = True, ssids: bool = True) -> SiteProfile:
    return SiteProfile(
        id="T",
        name="Test School",
        phase="secondary",
        wifi=WifiSite(
            ssids=[SchoolSsid(ssid="Staff", role="staff"), SchoolSsid(ssid="Student", role="student"),
                   SchoolSsid(ssid="Guest", role="guest")] if ssids else [],
            known_ouis=[SCHOOL_OUI] if known else [],
            known_bssids=["00:11:22:33:44:55"] if known else [],
        ),
    )


def net(ssid: str = "Staff", n: int = 1, **fields: Any) -> WifiNetwork:
    base: dict[str, Any] = {
        "bssid": f"{SCHOOL_OUI}:00:00:{n:02x}",
        "ssid": ssid,
        "channel": 36,
        "band": "5",
        "signal_dbm": -50,
        "security": "wpa3-enterprise",
        "legacy_crypto": False,
        "pmf": "required",
        "generation": 7,
        "phy": "eht",
        "akm": ["802.1X-SHA256"],
        "ciphers": ["CCMP"],
    }
    base.update(fields)
    return WifiNetwork(**base)


def scan(*networks: WifiNetwork, source: str = "pcap") -> WifiScan:
    return WifiScan(source=source, networks=list(networks))  # type: ignore[arg-type]


CASES: list[tuple[str, Any, WifiScan, dict[str, Any], str, str]] = [
    # (id, check, evidence, extra kwargs, expected status, text in detail)
    ("open:empty", wifi_no_open_networks, scan(), {}, "unknown", "no networks"),
    ("open:pass", wifi_no_open_networks, scan(net(), net("Guest", 2, security="owe")), {}, "pass", "OWE"),
    ("open:staff-open", wifi_no_open_networks, scan(net(security="open")), {}, "fail", "Staff"),
    # DfE (WN-4): users "must not be able to access the network without appropriate authorisation and
    # authentication"; guests are judged on "secure segregated guest access" (separation and filtering).
    ("open:guest-open", wifi_no_open_networks, scan(net("Guest", security="open")), {}, "pass", "kept apart"),
    ("open:guest-owe-transition", wifi_no_open_networks, scan(net("Guest", security="open", owe_transition=True)),
     {}, "pass", "kept apart"),
    ("open:student-owe-has-no-login", wifi_no_open_networks, scan(net("Student", security="owe")), {}, "fail",
     "without a login"),
    ("open:only-neighbours", wifi_no_open_networks, scan(net("Cafe", bssid="66:00:00:00:00:01", security="open")),
     {}, "unknown", "None of the school's SSIDs"),
    ("open:evil-twin-left-to-rogue-check", wifi_no_open_networks,
     scan(net(), net("Staff", bssid="de:ad:be:ef:00:01", security="open")), {}, "pass", ""),
    ("legacy:pass", wifi_no_legacy_encryption, scan(net()), {}, "pass", "No school network"),
    ("legacy:wep", wifi_no_legacy_encryption, scan(net(security="wep", legacy_crypto=True, akm=[])), {}, "fail",
     "WEP"),
    ("legacy:wpa1", wifi_no_legacy_encryption,
     scan(net(security="wpa2-personal", legacy_crypto=True, akm=["PSK", "WPA-PSK"])), {}, "fail", "WPA1"),
    ("legacy:tkip", wifi_no_legacy_encryption,
     scan(net(security="wpa2-personal", legacy_crypto=True, akm=["PSK"], ciphers=["TKIP", "CCMP"])), {}, "fail",
     "TKIP"),
    ("wpa3:no-ssids-configured", wifi_school_ssids_wpa3_or_enterprise, scan(net()), {"site": site(ssids=False)},
     "unknown", "names no school SSIDs"),
    ("wpa3:none-heard", wifi_school_ssids_wpa3_or_enterprise, scan(net("Guest", security="owe")), {}, "unknown",
     "No staff or student"),
    ("wpa3:enterprise", wifi_school_ssids_wpa3_or_enterprise,
     scan(net(), net("Student", 2, security="wpa2-enterprise", akm=["802.1X"])), {}, "pass", "WPA3 or enterprise"),
    ("wpa3:sae", wifi_school_ssids_wpa3_or_enterprise, scan(net("Student", security="wpa3-personal", akm=["SAE"])),
     {}, "pass", ""),
    ("wpa3:transition", wifi_school_ssids_wpa3_or_enterprise,
     scan(net("Student", security="wpa3-personal", akm=["PSK", "SAE"])), {}, "warn", "transition"),
    ("wpa3:psk", wifi_school_ssids_wpa3_or_enterprise, scan(net("Student", security="wpa2-personal", akm=["PSK"])),
     {}, "fail", "shared password"),
    ("wpa3:open", wifi_school_ssids_wpa3_or_enterprise, scan(net("Staff", security="open", akm=[])), {}, "fail",
     "anyone in range"),
    ("pmf:required", wifi_pmf_enabled, scan(net()), {}, "pass", "requires"),
    ("pmf:capable", wifi_pmf_enabled, scan(net(pmf="capable")), {}, "warn", "optional"),
    ("pmf:none", wifi_pmf_enabled, scan(net(pmf="none"), net(n=2)), {}, "fail", "forge"),
    ("pmf:unreadable-source", wifi_pmf_enabled, scan(net(pmf=None), source="nmcli"), {}, "unknown", "nmcli"),
    ("pmf:only-open", wifi_pmf_enabled, scan(net(security="open", pmf="none")), {}, "unknown", "No encrypted"),
    ("gen:7", wifi_latest_generation, scan(net()), {}, "pass", "Wi-Fi 7"),
    ("gen:6", wifi_latest_generation, scan(net(), net(n=2, generation=6, phy="he")), {}, "warn", "Wi-Fi 6"),
    ("gen:6e", wifi_latest_generation, scan(net(generation=6, phy="he", band="6", wifi_6e=True)), {}, "warn", "6E"),
    ("gen:5", wifi_latest_generation, scan(net(generation=5, phy="vht")), {}, "fail", "older than Wi-Fi 6"),
    ("gen:legacy-abg", wifi_latest_generation, scan(net(generation=None, phy="legacy")), {}, "fail", "older"),
    ("gen:unknown-source", wifi_latest_generation, scan(net(generation=None, phy=None), source="nmcli"), {},
     "unknown", "generation"),
    ("gen:wifi6-is-pass-when-map-says-6", wifi_latest_generation, scan(net(generation=6, phy="he")),
     {"pass_generation": 6, "warn_generation": 5}, "pass", ""),
    ("rogue:no-ssids", wifi_no_rogue_school_ssid, scan(net()), {"site": site(ssids=False)}, "unknown", "SSIDs"),
    ("rogue:no-known-aps", wifi_no_rogue_school_ssid, scan(net()), {"site": site(known=False)}, "unknown",
     "known access points"),
    ("rogue:all-known", wifi_no_rogue_school_ssid, scan(net(), net("Guest", bssid="00:11:22:33:44:55")), {}, "pass",
     "known school"),
    ("rogue:evil-twin", wifi_no_rogue_school_ssid,
     scan(net(), net("Staff", bssid="de:ad:be:ef:00:01", security="open", channel=11)), {}, "fail",
     "open where the school's is wpa3-enterprise"),
    ("rogue:no-school-ssid-heard", wifi_no_rogue_school_ssid, scan(net("Cafe", bssid="66:00:00:00:00:01")), {},
     "unknown", "No school SSID"),
]


@pytest.mark.parametrize(("check", "evidence", "kwargs", "status", "text"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_scan_checks(check, evidence, kwargs, status, text) -> None:
    kwargs = {"site": site(), **kwargs}
    outcome = check(evidence, **kwargs)
    assert outcome.status.value == status, outcome.detail
    assert text in outcome.detail


def survey(location: str = "Room 1", samples: int = 1, *networks: WifiNetwork) -> WifiSurvey:
    return WifiSurvey(location=location, samples=samples, networks=list(networks))


@pytest.mark.parametrize(
    ("evidence", "kwargs", "status", "text"),
    [
        (survey("Room 9", 0), {}, "unknown", "No survey sample taken in Room 9"),
        (survey("Room 1", 1, net(), net("Student", 2)), {}, "pass", "Room 1"),
        (survey("Room 1", 1, net(signal_dbm=-70), net("Student", 2)), {}, "fail", "Staff best -70 dBm"),
        (survey("Room 1", 1, net(signal_dbm=-70), net("Student", 2)), {"min_signal_dbm": -72}, "pass", ""),
        (survey("Room 1", 1, net()), {}, "fail", "Student not heard"),
        # A loud evil twin does not make coverage pass.
        (survey("Room 1", 1, net(signal_dbm=-80), net("Staff", bssid="de:ad:be:ef:00:01", signal_dbm=-40),
                net("Student", 2)), {}, "fail", "Staff"),
        (survey("Room 1", 1, net(signal_dbm=None), net("Student", 2, signal_dbm=None)), {}, "unknown",
         "no signal readings"),
        (survey("Room 1", 1, net(signal_dbm=-60, signal_estimated=True), net("Student", 2)), {}, "pass", ""),
        (survey("Room 1", 1, net()), {"site": site(ssids=False)}, "unknown", "names no school SSIDs"),
        (survey("Room 1", 1, net("Guest", signal_dbm=-90), net(), net("Student", 2)), {"roles": ("staff",)}, "pass",
         ""),
    ],
    ids=["unsurveyed", "pass", "weak", "site-threshold", "missing-ssid", "evil-twin-ignored", "no-readings",
         "estimated", "no-ssids", "roles"],
)
def test_signal_coverage(evidence, kwargs, status, text) -> None:
    kwargs = {"site": site(), **kwargs}
    outcome = wifi_signal_coverage(evidence, **kwargs)
    assert outcome.status.value == status, outcome.detail
    assert text in outcome.detail


def test_coverage_says_when_signal_is_estimated() -> None:
    ev = survey("Hall", 1, net(signal_dbm=-75, signal_estimated=True), net("Student", 2))
    assert "estimated" in wifi_signal_coverage(ev, site=site()).detail


def probe(port: int, outcome: str) -> ReachabilityProbe:
    return ReachabilityProbe(address="10.0.0.1", port=port, reachable=outcome == "open", outcome=outcome)


@pytest.mark.parametrize(
    ("evidence", "status", "text"),
    [
        (GuestIsolation(ssid="Guest"), "unknown", "No internal addresses"),
        (GuestIsolation(ssid="Guest", probes=[probe(22, "timeout"), probe(443, "unreachable")]), "pass", "None of 2"),
        (GuestIsolation(ssid="Guest", probes=[probe(22, "open"), probe(443, "timeout")]), "fail", "10.0.0.1:22"),
        (GuestIsolation(ssid="Guest", probes=[probe(22, "refused"), probe(443, "timeout")]), "warn", "refused"),
        (GuestIsolation(ssid="Guest", connected_ssid="Staff", probes=[probe(22, "open")]), "not_applicable",
         "not the guest SSID"),
    ],
    ids=["nothing-probed", "isolated", "reachable", "refused", "wrong-network"],
)
def test_guest_isolated(evidence, status, text) -> None:
    outcome = wifi_guest_isolated(evidence)
    assert outcome.status.value == status
    assert text in outcome.detail


def test_check_ids_and_evidence_kinds() -> None:
    checks = registry()
    ids = {c for c in checks if c.startswith("wifi_")}
    assert ids >= {
        "wifi_no_open_networks", "wifi_no_legacy_encryption", "wifi_school_ssids_wpa3_or_enterprise",
        "wifi_pmf_enabled", "wifi_latest_generation", "wifi_signal_coverage", "wifi_guest_isolated",
        "wifi_no_rogue_school_ssid",
    }
    assert checks["wifi_signal_coverage"].kind == "wifi.survey"
    assert checks["wifi_guest_isolated"].kind == "wifi.guest_isolation"
    assert "min_signal_dbm" in checks["wifi_signal_coverage"].params


def test_without_ssids_everything_heard_is_judged_and_said() -> None:
    outcome = wifi_no_open_networks(scan(net("Cafe", bssid="66:00:00:00:00:01", security="open")),
                                    site=site(ssids=False, known=False))
    assert outcome.status.value == "fail" and "every network heard" in outcome.detail
