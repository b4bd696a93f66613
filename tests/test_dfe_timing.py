"""DfE's timing and DfE-only verdicts, as data: every requirement's `due` follows its when-to-meet line, and
every check DfE's text does not ask for is marked good practice with its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.results import DUES
from standards_map.model import load_map

SMAP = load_map()
DATA = Path(__file__).resolve().parents[1] / "standards_map" / "data"

# DfE's when-to-meet phrases and the `due` each one means (contract: "Requirements and checks").
NOW_PHRASES = ("should already be meeting", "should already be in place", "should already have",
               "must backup your data now", "as soon as possible and repeat them every year")
UPGRADE_PHRASES = ("when you need to upgrade", "when you need to replace", "underperforming",
                   "after a new connection is installed")
BY_2030_PHRASES = ("as soon as you can",)


def _expected_due(when_to_meet: str) -> str:
    text = " ".join(when_to_meet.lower().split())
    if any(p in text for p in NOW_PHRASES):
        return "now"
    if any(p in text for p in UPGRADE_PHRASES):
        return "next_upgrade"
    if any(p in text for p in BY_2030_PHRASES):
        return "by_2030"
    raise AssertionError(f"no DfE timing phrase recognised in {when_to_meet!r}")


@pytest.mark.parametrize("req", SMAP.requirements, ids=lambda r: r.id)
def test_due_follows_the_when_to_meet_line(req) -> None:
    assert req.due in DUES
    assert req.due == _expected_due(req.when_to_meet), req.when_to_meet


def test_each_timing_is_used() -> None:
    # DfE: "You should already be meeting this standard" (filtering), "When you need to upgrade an
    # underperforming or unsupported solution" (Wi-Fi), "As soon as you can" (full fibre).
    assert {r.due for r in SMAP.requirements} == set(DUES)
    assert SMAP.requirement("dfe.filtering.roles").due == "now"
    assert SMAP.requirement("dfe.wireless.latest-standard").due == "next_upgrade"
    assert SMAP.requirement("dfe.broadband.full-fibre").due == "by_2030"


# Checks DfE's text does not ask for (issue 11): each must be labelled good practice wherever it is used.
NOT_ASKED_BY_DFE = {
    "switch_unused_ports_disabled", "switch_mgmt_vlan_not_default", "switch_ntp_configured",
    "switch_remote_logging_configured", "wifi_pmf_enabled", "wifi_signal_coverage",
    "broadband_latency_under_load", "wifi_school_ssids_wpa3_or_enterprise",
    # DfE asks for unique admin accounts and MFA, not for a RADIUS/TACACS+ server as such.
    "switch_central_aaa_configured", "firewall_central_admin_auth",
    "firewall_admin_trusted_hosts", "firewall_admin_encrypted_only",
}


def test_checks_dfe_does_not_ask_for_are_good_practice_with_a_source() -> None:
    for req in SMAP.requirements:
        for ref in req.checks:
            if ref.check in NOT_ASKED_BY_DFE:
                assert ref.good_practice is not None, f"{req.id}: {ref.check} must be labelled good practice"
                assert ref.good_practice.source.strip()
            elif ref.good_practice is not None:
                assert ref.good_practice.source.strip()


def test_every_requirement_keeps_a_dfe_basis() -> None:
    """A requirement is decided by DfE's text: a DfE check or a person's attestation, never good practice alone."""
    for req in SMAP.requirements:
        dfe_checks = [ref for ref in req.checks if ref.good_practice is None]
        assert dfe_checks or req.attestation is not None, req.id


def test_each_check_is_credited_once_per_clause() -> None:
    """Telnet on a switch fails the switching standard's secure management, not also the cyber standard's
    "Secure digital technology and data with anti-malware and a firewall" (whose text does not ask for it)."""
    cyber_checks = {ref.check for r in SMAP.requirements if r.standard == "cyber" for ref in r.checks}
    for check in ("switch_telnet_disabled", "switch_http_mgmt_disabled", "switch_ssh_v2_enabled",
                  "switch_snmp_default_community_absent", "switch_snmp_v3_only", "switch_passwords_not_plaintext"):
        assert check not in cyber_checks
    secure = SMAP.requirement("dfe.switching.secure-management")
    assert "switch_central_aaa_configured" not in {ref.check for ref in secure.checks}


def test_map_comments_cite_urls_not_machine_paths() -> None:
    for path in DATA.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for bad in ("/work/", "/home/", "/tmp/", ".md "):
            assert bad not in text, f"{path.name} cites a path ({bad!r})"
