"""Table-driven rows per switch check: evidence in, status out. A missing field is unknown, never a guess."""

from __future__ import annotations

from typing import Any

import pytest

from contract.evidence.switch import InventoryEntry, SwitchDevice, SwitchInventory, SwitchPort, UnlistedDevice
from standards_map.checks import registry
from standards_map.checks import switching as sw


def dev(**fields: Any) -> SwitchDevice:
    fields.setdefault("platform", "cisco_ios")
    return SwitchDevice(**fields)


def port(name: str, **fields: Any) -> SwitchPort:
    return SwitchPort(name=name, **fields)


ACCESS_UP = port("Gi1", mode="access", admin_up=True, oper_up=True, speed_mbps=1000, nac=True, vlan=20)
ACCESS_SLOW = port("Gi2", mode="access", admin_up=True, oper_up=True, speed_mbps=100, nac=False, vlan=20)
ACCESS_IDLE_ON = port("Gi3", mode="access", admin_up=True, oper_up=False, nac=False, vlan=20)
ACCESS_IDLE_OFF = port("Gi4", mode="access", admin_up=False, oper_up=False, nac=False, vlan=20)
UPLINK_10G = port("Te1", mode="trunk", uplink=True, oper_up=True, speed_mbps=10000)
UPLINK_1G = port("Te2", mode="trunk", uplink=True, oper_up=True, speed_mbps=1000)
UPLINK_UNKNOWN = port("Te3", mode="trunk", uplink=True)

ROWS = [
    (sw.switch_telnet_disabled, dev(telnet_enabled=False), {}, "pass"),
    (sw.switch_telnet_disabled, dev(telnet_enabled=True), {}, "fail"),
    (sw.switch_telnet_disabled, dev(), {}, "unknown"),
    (sw.switch_ssh_v2_enabled, dev(ssh_v2_only=True), {}, "pass"),
    (sw.switch_ssh_v2_enabled, dev(ssh_v2_only=False), {}, "fail"),
    (sw.switch_ssh_v2_enabled, dev(), {}, "unknown"),
    (sw.switch_http_mgmt_disabled, dev(http_mgmt_enabled=False), {}, "pass"),
    (sw.switch_http_mgmt_disabled, dev(http_mgmt_enabled=True), {}, "fail"),
    (sw.switch_http_mgmt_disabled, dev(), {}, "unknown"),
    (sw.switch_snmp_default_community_absent, dev(snmp_default_community=False), {}, "pass"),
    (sw.switch_snmp_default_community_absent, dev(snmp_default_community=True), {}, "fail"),
    (sw.switch_snmp_default_community_absent, dev(), {}, "unknown"),
    (sw.switch_snmp_v3_only, dev(snmp_v1v2c_enabled=False, snmp_v3_enabled=True), {}, "pass"),
    (sw.switch_snmp_v3_only, dev(snmp_v1v2c_enabled=True, snmp_v3_enabled=True), {}, "fail"),
    (sw.switch_snmp_v3_only, dev(), {}, "unknown"),
    (sw.switch_central_aaa_configured, dev(aaa_servers=2), {}, "pass"),
    (sw.switch_central_aaa_configured, dev(aaa_servers=0), {}, "fail"),
    (sw.switch_central_aaa_configured, dev(), {}, "unknown"),
    (sw.switch_passwords_not_plaintext, dev(plaintext_passwords=0, reversible_passwords=0), {}, "pass"),
    (sw.switch_passwords_not_plaintext, dev(plaintext_passwords=0, reversible_passwords=2), {}, "warn"),
    (sw.switch_passwords_not_plaintext, dev(plaintext_passwords=3), {}, "fail"),
    (sw.switch_passwords_not_plaintext, dev(), {}, "unknown"),
    (sw.switch_unused_ports_disabled, dev(ports=[ACCESS_UP, ACCESS_IDLE_OFF]), {}, "pass"),
    (sw.switch_unused_ports_disabled, dev(ports=[ACCESS_UP, ACCESS_IDLE_ON]), {}, "fail"),
    (sw.switch_unused_ports_disabled, dev(ports=[port("Gi9", mode="access")]), {}, "unknown"),
    (sw.switch_unused_ports_disabled, dev(), {}, "unknown"),
    (sw.switch_access_ports_nac, dev(ports=[ACCESS_UP, ACCESS_IDLE_OFF]), {}, "pass"),
    (sw.switch_access_ports_nac, dev(ports=[ACCESS_UP, ACCESS_SLOW]), {}, "fail"),
    (sw.switch_access_ports_nac, dev(ports=[ACCESS_IDLE_OFF]), {}, "not_applicable"),
    (sw.switch_access_ports_nac, dev(), {}, "unknown"),
    (sw.switch_mgmt_vlan_not_default, dev(mgmt_vlan=99, user_vlans=[10, 20]), {}, "pass"),
    (sw.switch_mgmt_vlan_not_default, dev(mgmt_vlan=1), {}, "fail"),
    (sw.switch_mgmt_vlan_not_default, dev(mgmt_vlan=20, user_vlans=[10, 20]), {}, "fail"),
    (sw.switch_mgmt_vlan_not_default, dev(), {}, "unknown"),
    (sw.switch_stp_enabled, dev(stp_mode="rapid-pvst"), {}, "pass"),
    (sw.switch_stp_enabled, dev(stp_mode="mst"), {}, "pass"),
    (sw.switch_stp_enabled, dev(stp_mode="pvst"), {}, "warn"),
    (sw.switch_stp_enabled, dev(stp_mode="none"), {}, "fail"),
    (sw.switch_stp_enabled, dev(), {}, "unknown"),
    (sw.switch_ntp_configured, dev(ntp_servers=2), {}, "pass"),
    (sw.switch_ntp_configured, dev(ntp_servers=0), {}, "fail"),
    (sw.switch_ntp_configured, dev(), {}, "unknown"),
    (sw.switch_remote_logging_configured, dev(syslog_servers=1), {}, "pass"),
    (sw.switch_remote_logging_configured, dev(syslog_servers=0), {}, "fail"),
    (sw.switch_remote_logging_configured, dev(), {}, "unknown"),
    (sw.switch_access_port_speed_1g, dev(ports=[ACCESS_UP]), {"min_mbps": 1000}, "pass"),
    (sw.switch_access_port_speed_1g, dev(ports=[ACCESS_UP, ACCESS_SLOW]), {"min_mbps": 1000}, "fail"),
    (sw.switch_access_port_speed_1g, dev(ports=[ACCESS_IDLE_ON]), {}, "unknown"),
    (sw.switch_uplink_capacity_2x10g, dev(ports=[UPLINK_10G, UPLINK_10G.model_copy(update={"name": "Te9"})]), {},
     "pass"),
    (sw.switch_uplink_capacity_2x10g, dev(ports=[UPLINK_10G, UPLINK_1G]), {}, "fail"),
    (sw.switch_uplink_capacity_2x10g, dev(ports=[UPLINK_UNKNOWN]), {}, "unknown"),  # offline: speed not known
    (sw.switch_uplink_capacity_2x10g, dev(ports=[ACCESS_UP]), {}, "unknown"),
    (sw.switch_uplink_capacity_2x10g, dev(role="core", ports=[UPLINK_1G]), {}, "not_applicable"),
    (sw.switch_core_redundant_power, dev(role="core", power_supplies_total=2, power_supplies_ok=2), {}, "pass"),
    (sw.switch_core_redundant_power, dev(role="core", power_supplies_total=2, power_supplies_ok=1), {}, "fail"),
    (sw.switch_core_redundant_power, dev(role="core", power_supplies_total=2), {}, "unknown"),
    (sw.switch_core_redundant_power, dev(role="edge"), {}, "not_applicable"),
    (sw.switch_core_on_ups, dev(role="core", on_ups=True), {}, "pass"),
    (sw.switch_core_on_ups, dev(role="core", on_ups=False), {}, "fail"),
    (sw.switch_core_on_ups, dev(role="core"), {}, "unknown"),
    (sw.switch_firmware_supported, dev(firmware_version="17.12.3"), {}, "pass"),
    (sw.switch_firmware_supported, dev(firmware_version="17.6.5"), {}, "fail"),
    (sw.switch_firmware_supported, dev(firmware_version="16.9.3"), {}, "fail"),
    (sw.switch_firmware_supported, dev(firmware_version="12.2(55)SE12"), {}, "fail"),
    (sw.switch_firmware_supported, dev(platform="hp_procurve", firmware_version="WC.16.11.0012"), {}, "pass"),
    (sw.switch_firmware_supported, dev(platform="hp_procurve", firmware_version="K.15.06.0017"), {}, "fail"),
    (sw.switch_firmware_supported, dev(platform="aruba_aoscx", firmware_version="FL.10.08.1010"), {}, "fail"),
    (sw.switch_firmware_supported, dev(platform="juniper_junos", firmware_version="23.4R2"), {}, "pass"),
    (sw.switch_firmware_supported, dev(platform="cisco_nxos", firmware_version="9.3"), {}, "unknown"),
    (sw.switch_firmware_supported, dev(), {}, "unknown"),
    (sw.switch_poe_lldp_med, dev(ports=[port("Gi1", poe_draw_w=15.4)], lldp_med_enabled=True), {}, "pass"),
    (sw.switch_poe_lldp_med, dev(ports=[port("Gi1", neighbour_is_ap=True)], lldp_med_enabled=False), {}, "fail"),
    (sw.switch_poe_lldp_med, dev(ports=[], poe_ports_delivering=3, lldp_med_enabled=False), {}, "fail"),
    (sw.switch_poe_lldp_med, dev(ports=[port("Gi1")]), {}, "not_applicable"),
    (sw.switch_poe_lldp_med, dev(), {}, "unknown"),
]


@pytest.mark.parametrize(("fn", "evidence", "params", "status"), ROWS,
                         ids=[f"{r[0].__name__}-{i}" for i, r in enumerate(ROWS)])
def test_row(fn, evidence, params, status):
    outcome = fn(evidence, **params)
    assert outcome.status == status, outcome.detail
    assert outcome.detail.endswith((".", ")")) and not outcome.detail[0].islower()


def test_every_contract_check_has_rows():
    contract = {
        "switch_telnet_disabled", "switch_ssh_v2_enabled", "switch_http_mgmt_disabled",
        "switch_snmp_default_community_absent", "switch_snmp_v3_only", "switch_central_aaa_configured",
        "switch_passwords_not_plaintext", "switch_unused_ports_disabled", "switch_access_ports_nac",
        "switch_mgmt_vlan_not_default", "switch_stp_enabled", "switch_ntp_configured",
        "switch_remote_logging_configured", "switch_access_port_speed_1g", "switch_uplink_capacity_2x10g",
        "switch_core_redundant_power", "switch_core_on_ups", "switch_firmware_supported", "switch_poe_lldp_med",
    }
    assert contract <= set(registry())
    covered = {fn.__name__ for fn, *_ in ROWS}
    assert contract <= covered
    for fn_id in contract:
        statuses = {s for fn, _e, _p, s in ROWS if fn.__name__ == fn_id}
        assert "unknown" in statuses, f"{fn_id} has no row for missing evidence"


def test_unknown_names_the_collection_problem():
    device = dev(collection_errors=["'show running-config': the configuration is truncated (no final 'end')"])
    assert "truncated" in sw.switch_telnet_disabled(device).detail
    assert "truncated" in sw.switch_ntp_configured(device).detail


INV_OK = InventoryEntry(name="a", platform="cisco_ios", mgmt_ip="10.0.0.1", answered=True, vendor="Cisco",
                        model="C9300", serial="X", firmware_version="17.9.4")


@pytest.mark.parametrize(
    ("inventory", "status"),
    [
        (SwitchInventory(devices=[INV_OK]), "pass"),
        (SwitchInventory(devices=[INV_OK], unlisted=[UnlistedDevice(name="rogue", seen_by="a")]), "fail"),
        (SwitchInventory(devices=[INV_OK.model_copy(update={"serial": None})]), "warn"),
        (SwitchInventory(devices=[INV_OK.model_copy(update={"answered": False, "error": "x"})]), "unknown"),
        (SwitchInventory(), "unknown"),
    ],
)
def test_inventory_recorded(inventory, status):
    assert sw.switch_inventory_recorded(inventory).status == status
