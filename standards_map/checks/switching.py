"""Switch checks over one device's evidence. A missing field means unknown, never a guess."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from contract.evidence.switch import SwitchDevice, SwitchInventory, SwitchPort
from standards_map.checks import check
from standards_map.outcome import Outcome, failed, not_applicable, passed, unknown, warned


def _why(ev: SwitchDevice) -> str:
    """The collection problems, for an unknown's detail (empty when there were none)."""
    if not ev.collection_errors:
        return ""
    # Most switch facts come from the configuration, so its problems are named first.
    errors = sorted(ev.collection_errors, key=lambda e: "config" not in e)
    return " Reason: " + "; ".join(errors[:3]) + "."


def _flag(
    value: bool | None, what: str, good_when: bool, good: str, bad: str, ev: SwitchDevice | None = None
) -> Outcome:
    if value is None:
        return unknown(f"Could not tell whether {what} (not in the collected output).{_why(ev) if ev else ''}")
    if value is good_when:
        return passed(good)
    return failed(bad)


def _access_ports(ev: SwitchDevice) -> list[SwitchPort] | None:
    if ev.ports is None:
        return None
    return [p for p in ev.ports if p.mode == "access" and not p.uplink]


@check(evidence=SwitchDevice)
def switch_telnet_disabled(ev: SwitchDevice) -> Outcome:
    """Telnet (clear-text management) is off."""
    return _flag(
        ev.telnet_enabled,
        "telnet is enabled",
        False,
        "Telnet is disabled.",
        "Telnet is enabled: passwords cross the network in clear text.",
        ev,
    )


@check(evidence=SwitchDevice)
def switch_ssh_v2_enabled(ev: SwitchDevice) -> Outcome:
    """SSH version 2 only."""
    return _flag(
        ev.ssh_v2_only,
        "SSH is limited to version 2",
        True,
        "SSH is limited to version 2.",
        "SSH version 1 is still allowed.",
        ev,
    )


@check(evidence=SwitchDevice)
def switch_http_mgmt_disabled(ev: SwitchDevice) -> Outcome:
    """The plain-HTTP management interface is off."""
    return _flag(
        ev.http_mgmt_enabled,
        "plain-HTTP management is enabled",
        False,
        "Plain-HTTP management is off.",
        "Plain-HTTP management is on: use HTTPS or turn it off.",
        ev,
    )


@check(evidence=SwitchDevice)
def switch_snmp_default_community_absent(ev: SwitchDevice) -> Outcome:
    """No SNMP community is a well-known default (public, private)."""
    return _flag(
        ev.snmp_default_community,
        "a default SNMP community is set",
        False,
        "No default SNMP community is configured.",
        "A default SNMP community (public/private) is configured: anyone can read the switch.",
        ev,
    )


@check(evidence=SwitchDevice)
def switch_snmp_v3_only(ev: SwitchDevice) -> Outcome:
    """SNMP v1/v2c is off; only SNMPv3 (authenticated, encrypted) is used."""
    if ev.snmp_v1v2c_enabled is None:
        return unknown("Could not tell which SNMP versions are enabled." + _why(ev))
    if ev.snmp_v1v2c_enabled:
        return failed("SNMP v1/v2c communities are enabled; use SNMPv3 with authPriv.")
    if ev.snmp_v3_enabled is False:
        return passed("SNMP is not enabled at all.")
    return passed("Only SNMPv3 is enabled.")


@check(evidence=SwitchDevice)
def switch_central_aaa_configured(ev: SwitchDevice) -> Outcome:
    """Administrators log in through central AAA (RADIUS or TACACS+)."""
    if ev.aaa_servers is None:
        return unknown("Could not read the AAA configuration." + _why(ev))
    if ev.aaa_servers > 0:
        return passed(f"{ev.aaa_servers} RADIUS/TACACS+ server(s) configured for administrator logins.")
    return failed("No RADIUS or TACACS+ server: administrator accounts are local to the switch.")


@check(evidence=SwitchDevice)
def switch_passwords_not_plaintext(ev: SwitchDevice) -> Outcome:
    """No password is stored in clear text in the configuration."""
    if ev.plaintext_passwords is None:
        return unknown("Could not read the password lines of the configuration." + _why(ev))
    if ev.plaintext_passwords == 0 and ev.reversible_passwords:
        return warned(
            f"No clear-text password, but {ev.reversible_passwords} stored as Cisco type 7, which anyone can reverse.",
            measured=f"{ev.reversible_passwords} type 7",
        )
    if ev.plaintext_passwords == 0:
        return passed("No clear-text password in the configuration.")
    return failed(f"{ev.plaintext_passwords} password(s) stored in clear text.", measured=str(ev.plaintext_passwords))


@check(evidence=SwitchDevice)
def switch_unused_ports_disabled(ev: SwitchDevice) -> Outcome:
    """Access ports with nothing connected are administratively down."""
    ports = _access_ports(ev)
    if ports is None:
        return unknown("Could not read the port list." + _why(ev))
    unknown_state = [p for p in ports if p.admin_up is None or p.oper_up is None]
    if ports and len(unknown_state) == len(ports):
        return unknown("Could not read the ports' link and admin state.")
    idle_enabled = [p.name for p in ports if p.oper_up is False and p.admin_up is True]
    if not idle_enabled:
        return passed("Every unused access port is shut down.")
    return failed(
        f"{len(idle_enabled)} unused access port(s) are enabled (e.g. {', '.join(idle_enabled[:4])}).",
        measured=f"{len(idle_enabled)} enabled, unused",
        expected="0",
    )


@check(evidence=SwitchDevice)
def switch_access_ports_nac(ev: SwitchDevice) -> Outcome:
    """Access ports in use require 802.1X or MAB (network access control)."""
    ports = _access_ports(ev)
    if ports is None or all(p.nac is None for p in ports):
        return unknown("Could not read port authentication settings." + _why(ev))
    in_use = [p for p in ports if p.admin_up is not False]
    missing = [p.name for p in in_use if p.nac is False]
    if not in_use:
        return not_applicable("No access ports are in use.")
    if not missing:
        return passed(f"All {len(in_use)} active access ports use 802.1X/MAB.")
    return failed(
        f"{len(missing)} of {len(in_use)} access ports admit any device (no 802.1X/MAB).",
        measured=f"{len(in_use) - len(missing)}/{len(in_use)} with NAC",
    )


@check(evidence=SwitchDevice)
def switch_mgmt_vlan_not_default(ev: SwitchDevice) -> Outcome:
    """Management is not on VLAN 1, and users are on VLANs of their own."""
    if ev.mgmt_vlan is None:
        return unknown("Could not tell which VLAN carries management." + _why(ev))
    if ev.mgmt_vlan == 1:
        return failed("Management is on VLAN 1, the default VLAN every port starts in.", measured="VLAN 1")
    if ev.user_vlans is not None and ev.mgmt_vlan in ev.user_vlans:
        return failed(f"Management VLAN {ev.mgmt_vlan} also carries user ports.", measured=f"VLAN {ev.mgmt_vlan}")
    return passed(f"Management is on VLAN {ev.mgmt_vlan}, apart from user VLANs.", measured=f"VLAN {ev.mgmt_vlan}")


@check(evidence=SwitchDevice)
def switch_stp_enabled(ev: SwitchDevice, *, accepted_modes: list[str] | None = None) -> Outcome:
    """Spanning tree runs in a rapid or multiple mode (RSTP or MST)."""
    accepted = accepted_modes or ["rstp", "mst", "rapid-pvst"]
    if ev.stp_mode is None:
        return unknown("Could not read the spanning-tree mode." + _why(ev))
    if ev.stp_mode in accepted:
        return passed(f"Spanning tree runs as {ev.stp_mode}.", measured=ev.stp_mode)
    if ev.stp_mode == "none":
        return failed("Spanning tree is off: one looped cable can stop the whole network.", measured="off")
    return warned(f"Spanning tree runs as {ev.stp_mode}; DfE names RSTP or MST.", measured=ev.stp_mode)


@check(evidence=SwitchDevice)
def switch_ntp_configured(ev: SwitchDevice) -> Outcome:
    """The switch keeps time from NTP (logs are only useful with the right time)."""
    if ev.ntp_servers is None:
        return unknown("Could not read the time settings." + _why(ev))
    if ev.ntp_servers:
        return passed(f"{ev.ntp_servers} NTP server(s) configured.")
    return failed("No NTP server: log times cannot be trusted.")


@check(evidence=SwitchDevice)
def switch_remote_logging_configured(ev: SwitchDevice) -> Outcome:
    """Logs are sent to a remote syslog server."""
    if ev.syslog_servers is None:
        return unknown("Could not read the logging settings." + _why(ev))
    if ev.syslog_servers:
        return passed(f"Logs go to {ev.syslog_servers} remote server(s).")
    return failed("No remote logging: the switch's logs are lost when it restarts.")


@check(evidence=SwitchDevice)
def switch_access_port_speed_1g(ev: SwitchDevice, *, min_mbps: int = 1000) -> Outcome:
    """Access ports (to the desktop) run at 1 Gbps or more."""
    ports = _access_ports(ev)
    if ports is None:
        return unknown("Could not read port speeds." + _why(ev))
    measured_ports = [p for p in ports if p.speed_mbps is not None and p.oper_up is not False]
    if not measured_ports:
        return unknown("No access port in use reported a speed.")
    slow = [p for p in measured_ports if (p.speed_mbps or 0) < min_mbps]
    slowest = min(p.speed_mbps or 0 for p in measured_ports)
    if not slow:
        return passed(
            f"All {len(measured_ports)} active access ports run at {min_mbps} Mbps or more.",
            measured=f"slowest {slowest} Mbps",
            expected=f">= {min_mbps} Mbps",
        )
    return failed(
        f"{len(slow)} access port(s) run below {min_mbps} Mbps (e.g. {slow[0].name} at {slow[0].speed_mbps} Mbps).",
        measured=f"slowest {slowest} Mbps",
        expected=f">= {min_mbps} Mbps",
    )


@check(evidence=SwitchDevice)
def switch_uplink_capacity_2x10g(ev: SwitchDevice, *, min_links: int = 2, min_link_mbps: int = 10000) -> Outcome:
    """An edge (hub room) switch has at least two 10 Gbps uplinks towards the core."""
    if ev.role == "core":
        return not_applicable("This is a core switch; the requirement is on hub-room uplinks to the core.")
    if ev.ports is None:
        return unknown("Could not read the ports." + _why(ev))
    uplinks = [p for p in ev.ports if p.uplink and p.oper_up is not False]
    if not uplinks:
        return unknown("No uplink could be identified (no LLDP neighbour or trunk to another switch).")
    if all(p.speed_mbps is None for p in uplinks):
        return unknown(f"{len(uplinks)} uplink(s) found, but their speed is not in the collected output." + _why(ev))
    fast = [p for p in uplinks if (p.speed_mbps or 0) >= min_link_mbps]
    measured = f"{len(fast)} x >= {min_link_mbps // 1000} Gbps of {len(uplinks)} uplink(s)"
    expected = f">= {min_links} x {min_link_mbps // 1000} Gbps"
    if len(fast) >= min_links:
        return passed("Uplinks to the core meet 2 x 10 Gbps.", measured, expected)
    return failed("Uplinks to the core fall short of 2 x 10 Gbps.", measured, expected)


@check(evidence=SwitchDevice)
def switch_ap_ports_multigig(ev: SwitchDevice, *, min_mbps: int = 2500) -> Outcome:
    """Ports with a wireless access point on them (seen through LLDP) run at multi-gig speed (2.5 Gbps or more)."""
    if ev.ports is None:
        return unknown("Could not read the ports." + _why(ev))
    aps = [p for p in ev.ports if p.neighbour_is_ap and p.oper_up is not False]
    if not aps:
        if ev.lldp_neighbours is None:
            return unknown("Could not read the LLDP neighbours, so access points cannot be found." + _why(ev))
        return not_applicable("No wireless access point is connected to this switch (none seen through LLDP).")
    measured_aps = [p for p in aps if p.speed_mbps is not None]
    if not measured_aps:
        return unknown(f"{len(aps)} access point port(s) found, but their speed is not in the collected output.")
    slow = [p for p in measured_aps if (p.speed_mbps or 0) < min_mbps]
    expected = f">= {min_mbps / 1000:g} Gbps"
    slowest = min(p.speed_mbps or 0 for p in measured_aps)
    measured = f"slowest {slowest} Mbps"
    if not slow:
        return passed(f"All {len(measured_aps)} access point port(s) run at multi-gig speed.", measured, expected)
    shown = ", ".join(f"{p.name} ({p.neighbour or 'AP'}, {p.speed_mbps} Mbps)" for p in slow[:4])
    return failed(
        f"{len(slow)} of {len(measured_aps)} access point port(s) run below multi-gig: {shown}.", measured, expected
    )


@check(evidence=SwitchDevice)
def switch_core_redundant_power(ev: SwitchDevice, *, min_supplies: int = 2) -> Outcome:
    """A core switch has at least two working power supplies."""
    if ev.role != "core":
        return not_applicable("Applies to core switches only.")
    if ev.power_supplies_ok is None:
        return unknown("Could not read the power supplies (ENTITY-MIB or show environment)." + _why(ev))
    measured = f"{ev.power_supplies_ok} working of {ev.power_supplies_total or ev.power_supplies_ok}"
    if ev.power_supplies_ok >= min_supplies:
        return passed(f"{ev.power_supplies_ok} working power supplies.", measured, f">= {min_supplies}")
    return failed("The core switch has a single working power supply.", measured, f">= {min_supplies}")


@check(evidence=SwitchDevice)
def switch_core_on_ups(ev: SwitchDevice) -> Outcome:
    """A core switch is fed from a UPS."""
    if ev.role != "core":
        return not_applicable("Applies to core switches only.")
    if ev.on_ups is None:
        return unknown("No UPS is configured or reachable for this switch.")
    if ev.on_ups:
        return passed("A UPS on line power was found for this core switch.")
    return failed("The UPS for this core switch is not on line power or was not found.")


@cache
def firmware_minimums() -> dict[str, Any]:
    """The maintained list of minimum supported releases per platform (data/firmware_minimums.yaml)."""
    path = resources.files("standards_map") / "data" / "firmware_minimums.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _version_key(version: str) -> tuple[Any, ...]:
    import re

    return tuple(int(part) if part.isdigit() else part for part in re.split(r"[.()\-a-zA-Z]+", version) if part)


def _train(platform: str, version: str) -> dict[str, Any] | None:
    """The release train entry of the data file that ``version`` belongs to (first regex that matches)."""
    import re

    entry = (firmware_minimums().get("platforms") or {}).get(platform)
    if entry is None:
        return None
    for train in entry.get("trains", []):
        if re.search(train["match"], version):
            return dict(train)
    return None


@check(evidence=SwitchDevice)
def switch_firmware_supported(ev: SwitchDevice) -> Outcome:
    """The firmware is at or above the minimum supported release of its train (data/firmware_minimums.yaml)."""
    if ev.firmware_version is None:
        return unknown("Could not read the firmware version." + _why(ev))
    data = firmware_minimums()
    dated = f"list dated {data.get('updated')}"
    train = _train(ev.platform, ev.firmware_version)
    if train is None:
        return unknown(f"No supported-release data for {ev.platform} {ev.firmware_version} ({dated}).")
    measured = ev.firmware_version
    if train.get("end_of_support"):
        return failed(
            f"Firmware {ev.firmware_version} is on the {train['name']} train, which no longer gets security fixes.",
            measured,
            f"a supported train ({dated})",
        )
    expected = f">= {train['min_version']} ({dated})"
    try:
        ok = _version_key(ev.firmware_version) >= _version_key(str(train["min_version"]))
    except TypeError:
        return unknown(f"Could not compare firmware {ev.firmware_version} with {train['min_version']}.")
    if ok:
        return passed(f"Firmware {ev.firmware_version} is on a supported release.", measured, expected)
    return failed(f"Firmware {ev.firmware_version} is older than the oldest supported release.", measured, expected)


@check(evidence=SwitchDevice)
def switch_poe_lldp_med(ev: SwitchDevice) -> Outcome:
    """Where PoE powers phones or access points, LLDP-MED is enabled."""
    ports = ev.ports or []
    powered = [p for p in ports if (p.poe_draw_w or 0) > 0 or p.neighbour_is_ap]
    delivering = ev.poe_ports_delivering or 0
    if ev.ports is not None and not powered and not delivering:
        return not_applicable("No port powers a phone or access point.")
    if ev.lldp_med_enabled is None:
        return unknown("Could not tell whether LLDP-MED is enabled." + _why(ev))
    if ev.lldp_med_enabled:
        return passed("LLDP-MED is enabled for powered devices.")
    return failed("PoE devices are connected but LLDP-MED is off: they cannot negotiate power and VLAN.")


@check(evidence=SwitchInventory)
def switch_inventory_recorded(ev: SwitchInventory) -> Outcome:
    """Every switch is known and recorded: each configured one answered with its model, serial and firmware,
    and no switch answered that the configuration does not list."""
    if not ev.devices:
        return unknown("No switch is configured, so there is no inventory to compare with.")
    silent = [d.name for d in ev.devices if not d.answered]
    partial = [d.name for d in ev.devices if d.answered and not (d.model and d.serial and d.firmware_version)]
    measured = f"{len(ev.devices) - len(silent)} of {len(ev.devices)} answered, {len(ev.unlisted)} unlisted"
    if ev.unlisted:
        names = ", ".join(u.name or u.mgmt_ip or "?" for u in ev.unlisted[:4])
        return failed(
            f"{len(ev.unlisted)} switch(es) are on the network but not in the inventory (e.g. {names}).", measured
        )
    if silent:
        return unknown(f"{len(silent)} configured switch(es) did not answer ({', '.join(silent[:4])}).", measured)
    if partial:
        return warned(
            f"{len(partial)} switch(es) answered without a full model/serial/firmware record "
            f"({', '.join(partial[:4])}).",
            measured,
        )
    return passed(f"All {len(ev.devices)} switches are recorded with model, serial and firmware.", measured)
