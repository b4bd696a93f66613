"""The firewall configuration checks, on evidence built by hand: each verdict and its boundary."""

from __future__ import annotations

from datetime import date

import pytest

from contract.evidence.firewall_config import AdminAccount, FirewallConfig, FirewallInterface, FirewallRule
from standards_map.checks import firewall_config as fc

WAN = FirewallInterface(name="wan1", role="wan", internet_facing=True, internet_facing_reason="role wan")
LAN = FirewallInterface(name="lan", role="lan", admin_services=["https", "ssh"])


def ev(**fields) -> FirewallConfig:
    return FirewallConfig(platform=fields.pop("platform", "fortinet"), **fields)


def rule(name: str, *, source_any=True, destination_any=False, service_any=False) -> FirewallRule:
    return FirewallRule(name=name, from_interface="wan1", source="all" if source_any else "trust",
                        destination="all" if destination_any else "web", service="ALL" if service_any else "HTTPS",
                        source_any=source_any, destination_any=destination_any, service_any=service_any)


@pytest.mark.parametrize(("threshold", "duration", "guesses"), [
    (3, 60, 15), (3, 300, 3), (10, 300, 10), (5, 30, 50), (2, 100, 6), (10, 299, 20), (1, 1, 300),
])
def test_guesses_in_five_minutes(threshold, duration, guesses):
    assert fc.guesses_per_window(threshold, duration) == guesses


def test_lockout_boundary_is_dfe_ten():
    assert fc.firewall_admin_lockout(ev(lockout_threshold_attempts=10, lockout_duration_s=300)).status == "pass"
    assert fc.firewall_admin_lockout(ev(lockout_threshold_attempts=11, lockout_duration_s=300)).status == "fail"
    assert fc.firewall_admin_lockout(ev(lockout_threshold_attempts=3, lockout_duration_s=0)).status == "fail"
    out = fc.firewall_admin_lockout(ev(lockout_threshold_attempts=3, lockout_duration_s=60, lockout_from_defaults=True))
    assert out.status == "fail" and "15 passwords" in out.detail and "defaults" in out.detail
    assert fc.firewall_admin_lockout(ev()).status == "unknown"


def test_admin_on_wan():
    exposed = WAN.model_copy(update={"admin_services": ["https", "ssh"]})
    assert fc.firewall_admin_not_on_wan(ev(interfaces=[exposed, LAN])).status == "fail"
    assert fc.firewall_admin_not_on_wan(ev(interfaces=[WAN, LAN])).status == "pass"
    out = fc.firewall_admin_not_on_wan(ev(interfaces=[LAN]))
    assert out.status == "unknown" and "internet" in out.detail
    assert fc.firewall_admin_not_on_wan(ev(collection_errors=["no interfaces"])).status == "unknown"


def test_encrypted_only_and_redirect():
    http = LAN.model_copy(update={"admin_services": ["https", "http"]})
    assert fc.firewall_admin_encrypted_only(ev(interfaces=[http], admin_http_redirect=True)).status == "pass"
    assert "redirects" in fc.firewall_admin_encrypted_only(ev(interfaces=[http], admin_http_redirect=True)).detail
    assert fc.firewall_admin_encrypted_only(ev(interfaces=[http], admin_http_redirect=False)).status == "fail"
    telnet = LAN.model_copy(update={"admin_services": ["telnet"]})
    assert fc.firewall_admin_encrypted_only(ev(interfaces=[telnet])).status == "fail"


def test_mfa_and_central_auth():
    local = AdminAccount(name="admin", mfa=False)
    token = AdminAccount(name="it", mfa=True, mfa_method="fortitoken", trusted_hosts=["10.0.0.0/24"])
    radius = AdminAccount(name="r", remote_auth=True, mfa=None)
    assert fc.firewall_admin_mfa(ev(admin_accounts=[token])).status == "pass"
    assert fc.firewall_admin_mfa(ev(admin_accounts=[token, local])).status == "fail"
    assert fc.firewall_admin_mfa(ev(admin_accounts=[token, radius])).status == "unknown"
    assert fc.firewall_central_admin_auth(ev(admin_accounts=[radius], central_auth_servers=1)).status == "pass"
    assert fc.firewall_central_admin_auth(ev(admin_accounts=[local], central_auth_servers=1)).status == "fail"
    assert fc.firewall_central_admin_auth(ev(admin_accounts=[local], central_auth_servers=0)).status == "fail"
    assert fc.firewall_admin_trusted_hosts(ev(admin_accounts=[token])).status == "pass"
    assert fc.firewall_admin_trusted_hosts(ev(admin_accounts=[token, local])).status == "warn"


def test_inbound_default_deny():
    wide = rule("any-in", destination_any=True)
    all_ports = rule("dmz-all-ports", service_any=True)
    published = rule("web")
    assert fc.firewall_inbound_default_deny(ev(interfaces=[WAN], inbound_rules=[])).status == "pass"
    out = fc.firewall_inbound_default_deny(ev(interfaces=[WAN], inbound_rules=[published]))
    assert out.status == "pass" and "web" in out.detail and "reviewed" in out.detail
    assert fc.firewall_inbound_default_deny(ev(interfaces=[WAN], inbound_rules=[published, wide])).status == "fail"
    assert fc.firewall_inbound_default_deny(ev(interfaces=[WAN], inbound_rules=[all_ports])).status == "fail"
    limited = rule("vendor", source_any=False, service_any=True)
    assert fc.firewall_inbound_default_deny(ev(interfaces=[WAN], inbound_rules=[limited])).status == "pass"


def test_snmp_and_logging():
    assert fc.firewall_snmp_default_community_absent(ev(snmp_enabled=True, snmp_default_community=True)).status \
        == "fail"
    assert fc.firewall_snmp_default_community_absent(ev(snmp_enabled=False, snmp_default_community=True)).status \
        == "warn"
    assert fc.firewall_snmp_default_community_absent(ev(snmp_default_community=False)).status == "pass"
    assert fc.firewall_remote_logging_configured(ev(remote_log_targets=[])).status == "fail"
    assert fc.firewall_remote_logging_configured(ev(remote_log_targets=["syslog 10.0.0.1"])).status == "pass"


@pytest.mark.parametrize(("platform", "version", "day", "status"), [
    ("fortinet", "7.4.8", date(2026, 12, 1), "pass"),
    ("fortinet", "7.4.8", date(2027, 9, 1), "warn"),   # within a term of 2027-11-11
    ("fortinet", "7.4.8", date(2027, 11, 12), "fail"),
    ("fortinet", "7.2.8", date(2026, 12, 1), "fail"),
    ("fortinet", "8.0.1", date(2026, 12, 1), "unknown"),  # a release newer than the list: unknown, with the reason
    ("opnsense", "24.7", date(2026, 12, 1), "fail"),
    ("opnsense", "26.7", date(2026, 8, 1), "pass"),
    ("pfsense", "2.7.2", date(2026, 12, 1), "fail"),
    ("pfsense", "2.8.1", date(2026, 12, 1), "pass"),
])
def test_firmware_trains(platform, version, day, status):
    out = fc.firewall_firmware_supported(ev(platform=platform, firmware_version=version, observed_on=day))
    assert out.status == status, out.detail
    if status == "unknown":
        assert "not in the" in out.detail


def test_web_filtering_warns_at_most():
    from contract.evidence.firewall_config import OutboundPolicy

    filtered = OutboundPolicy(name="pupils", from_interface="pupils", to_interface="wan1", source="all",
                              web_filter="strict")
    bare = OutboundPolicy(name="guest", from_interface="guest", to_interface="wan1", source="all")
    assert fc.firewall_web_filtering_applied(ev(outbound_policies=[filtered], global_web_filters=[])).status == "pass"
    assert fc.firewall_web_filtering_applied(ev(outbound_policies=[filtered, bare],
                                                global_web_filters=[])).status == "warn"
    assert fc.firewall_web_filtering_applied(ev(outbound_policies=[bare], global_web_filters=[])).status == "warn"
    assert fc.firewall_web_filtering_applied(ev(outbound_policies=[bare],
                                                global_web_filters=["Unbound DNS blocklist"])).status == "pass"


def test_ha():
    assert fc.firewall_ha_or_second_router(ev(ha_mode="standalone", ha_members=1)).status == "fail"
    assert fc.firewall_ha_or_second_router(ev(ha_mode="a-p", ha_members=1)).status == "fail"
    assert fc.firewall_ha_or_second_router(ev(ha_mode="a-p", ha_members=2, ha_healthy=False)).status == "fail"
    assert fc.firewall_ha_or_second_router(ev(ha_mode="a-p", ha_members=2, ha_healthy=True)).status == "pass"
    assert fc.firewall_ha_or_second_router(ev(ha_mode="carp")).status == "pass"
    assert fc.firewall_ha_or_second_router(ev()).status == "unknown"
