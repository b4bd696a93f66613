"""Cisco IOS and IOS-XE: show output through ntc-templates, the running-config through ciscoconfparse2."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contract.errors import Reason
from contract.evidence.switch import LldpNeighbour
from probes.switch.common import (
    DEFAULT_COMMUNITIES,
    Facts,
    Platform,
    UnparseableOutput,
    capabilities,
    children,
    finish_ports,
    lines_matching,
    merge,
    neighbour,
    parse_config,
    run_steps,
    short_port,
    speed_mbps,
    textfsm,
    vlan_ids,
)
from probes.switch.sanitise import REMOVED, VALUE, rules

PLATFORM = "cisco_ios"
_PHYSICAL = re.compile(
    r"^interface\s+((?:Fast|Gigabit|TenGigabit|TwentyFiveGig|FortyGigabit|HundredGig)\S*Ethernet\S*|"
    r"(?:Fa|Gi|Te|Twe|Fo|Hu)\d\S*)$",
    re.IGNORECASE,
)
_NAC = re.compile(r"^(authentication port-control auto|dot1x pae authenticator|mab\b|access-session port-control auto)")


class CiscoIos(Platform):
    name = PLATFORM
    aliases = ("cisco_xe",)  # IOS-XE (Catalyst 9000) speaks the same CLI and stores secrets the same way
    vendor = "Cisco"
    config_command = "show running-config"
    commands = (
        "show version",
        "show inventory",
        "show running-config",
        "show interfaces status",
        "show lldp neighbors detail",
        "show power inline",
    )
    scrub_rules = rules(
        # enable secret 5 / enable password 0 / enable secret level 7 9 ...
        (rf"^(\s*enable\s+(?:secret|password)(?:\s+level\s+\d+)?(?:\s+[0-9])?\s+){VALUE}", rf"\g<1>{REMOVED}"),
        # username NAME [privilege N] password 7 ... / secret 9 ...
        (rf"^(\s*username\s+\S+.*?\b(?:secret|password)(?:\s+[0-9])?\s+){VALUE}", rf"\g<1>{REMOVED}"),
        # ' password 7 ...' under line con / line vty / line aux
        (rf"^(\s*password(?:\s+[0-9])?\s+){VALUE}", rf"\g<1>{REMOVED}"),
    )
    enters_enable_mode = True
    session_commands = ("terminal length 0", "terminal width 511")

    def looks_like_config(self, text: str) -> bool:
        return looks_like_config(text)

    def parse(self, outputs: Mapping[str, str]) -> Facts:
        facts: Facts = {"vendor": self.vendor, "collection_errors": []}
        ports: dict[str, dict[str, Any]] = {}

        def read_lldp(text: str) -> None:
            facts["lldp_neighbours"] = _lldp(text)

        run_steps(facts, outputs, (
            ("show version", lambda t: merge(facts, _version(t))),
            ("show inventory", lambda t: _inventory(t, facts)),
            ("show running-config", lambda t: merge(facts, parse_running_config(t, ports))),
            ("show interfaces status", lambda t: _status(t, ports)),
            ("show power inline", lambda t: _poe(t, ports)),
            ("show lldp neighbors detail", read_lldp),
        ), self.config_command)
        finish_ports(facts, ports)
        return facts


def _version(text: str) -> Facts:
    rows = textfsm(PLATFORM, "show version", text)
    if not rows or not rows[0].get("version"):
        raise UnparseableOutput("show version", "no IOS version line found")
    row = rows[0]
    hardware = row.get("hardware") or []
    serial = row.get("serial") or []
    return {
        "hostname": row.get("hostname") or None,
        "firmware_version": row["version"],
        "model": hardware[0] if hardware else None,
        "serial": serial[0] if serial else None,
    }


def _inventory(text: str, facts: Facts) -> None:
    rows = textfsm(PLATFORM, "show inventory", text)
    if not rows:
        raise UnparseableOutput("show inventory", "no NAME/PID entries found")
    chassis = rows[0]
    if not facts.get("model"):
        facts["model"] = chassis.get("pid") or None
    if not facts.get("serial"):
        facts["serial"] = chassis.get("sn") or None
    supplies = [r for r in rows if "power supply" in f"{r.get('name', '')} {r.get('descr', '')}".lower()]
    if supplies:  # many fixed switches do not list their internal supply at all: absence proves nothing
        facts["power_supplies_total"] = len(supplies)


def looks_like_config(text: str) -> bool:
    return bool(re.search(r"^(hostname|interface|version \d|line vty)\b", text, re.MULTILINE))


def parse_running_config(text: str, ports: dict[str, dict[str, Any]] | None = None) -> Facts:
    """Facts from an IOS running-config; fields that depend on a line being absent need a complete config."""
    if not looks_like_config(text):
        raise UnparseableOutput("show running-config", "not an IOS configuration (no hostname/interface lines)",
                                reason=Reason.not_a_configuration)
    ports = {} if ports is None else ports
    conf = parse_config(text, "ios")
    last = [ln.strip() for ln in text.strip().splitlines() if ln.strip()][-1]
    complete = last == "end"
    f: Facts = {"config_complete": complete}
    if not complete:
        f["collection_errors"] = ["'show running-config': the configuration is truncated (no final 'end')"]

    def absent(value: Any) -> Any:
        return value if complete else None

    hostname = lines_matching(conf, r"^hostname\s")
    if hostname:
        f["hostname"] = hostname[0].split(None, 1)[1]

    # Telnet: every vty block must name its transports; a missing line means the release default.
    vty = conf.find_objects(r"^line vty")
    transports = [next((c for c in children(o) if c.startswith("transport input")), None) for o in vty]
    if any(t and re.search(r"\b(telnet|all)\b", t) for t in transports):
        f["telnet_enabled"] = True
    elif vty and all(transports):
        f["telnet_enabled"] = False
    else:
        f["telnet_enabled"] = None

    f["ssh_v2_only"] = True if lines_matching(conf, r"^ip ssh version 2") else absent(False)
    if lines_matching(conf, r"^no ip http server"):
        f["http_mgmt_enabled"] = False
    elif lines_matching(conf, r"^ip http server"):
        f["http_mgmt_enabled"] = True

    communities = [ln.split()[2] for ln in lines_matching(conf, r"^snmp-server community\s+\S+")]
    v2_hosts = lines_matching(conf, r"^snmp-server host\s+\S+(\s+(informs|traps))?\s+version\s+(1|2c)\b")
    f["snmp_v1v2c_enabled"] = True if communities or v2_hosts else absent(False)
    f["snmp_default_community"] = (
        True if any(c.strip('"').lower() in DEFAULT_COMMUNITIES for c in communities) else absent(False)
    )
    v3 = lines_matching(conf, r"^snmp-server (group\s+\S+\s+v3|user\s+\S+\s+\S+\s+v3)")
    f["snmp_v3_enabled"] = True if v3 else absent(False)

    servers = {
        ln for ln in lines_matching(conf, r"^(radius server|radius-server host|tacacs server|tacacs-server host)\s")
    }
    if lines_matching(conf, r"^aaa new-model"):
        f["aaa_servers"] = len(servers) if servers or complete else None
    else:
        f["aaa_servers"] = absent(0)

    plaintext = 0
    reversible = 0
    for line in lines_matching(conf, r"^enable password\s") + lines_matching(conf, r"^username\s.*\spassword\s"):
        kind = re.search(r"password\s+(\d)\s", line + " ")
        if kind is None or kind.group(1) == "0":
            plaintext += 1
        elif kind.group(1) == "7":
            reversible += 1
    for obj in conf.find_objects(r"^line\s"):
        for child in children(obj):
            m = re.match(r"^password(?:\s+(\d))?\s+\S+", child)
            if m and (m.group(1) in (None, "0")):
                plaintext += 1
            elif m and m.group(1) == "7":
                reversible += 1
    f["plaintext_passwords"] = plaintext if plaintext or complete else None
    f["reversible_passwords"] = reversible if reversible or complete else None

    svis = []
    for obj in conf.find_objects(r"^interface\s+Vlan\d+"):
        kids = children(obj)
        if any(re.match(r"^ip address\s+\d", k) for k in kids) and "shutdown" not in kids:
            svis.append(int(re.findall(r"\d+", obj.text)[0]))
    if svis:
        f["mgmt_vlan"] = 1 if 1 in svis else min(svis)
    vlans = {1}
    for line in lines_matching(conf, r"^vlan\s+[\d,-]+$"):
        vlans.update(vlan_ids(line.split(None, 1)[1]))
    f["vlans"] = absent(sorted(vlans))

    mode = lines_matching(conf, r"^spanning-tree mode\s")
    if mode:
        f["stp_mode"] = {"rapid-pvst": "rapid-pvst", "mst": "mst", "pvst": "pvst"}.get(mode[0].split()[-1], "stp")
    elif lines_matching(conf, r"^no spanning-tree vlan 1(\s|$)") and complete:
        f["stp_mode"] = "none"
    else:
        f["stp_mode"] = absent("pvst")  # the documented IOS default when no mode line is shown

    f["ntp_servers"] = len(lines_matching(conf, r"^ntp server\s")) or absent(0)
    f["syslog_servers"] = len(lines_matching(conf, r"^logging (host\s+)?\d+\.\d+\.\d+\.\d+")) or absent(0)
    if lines_matching(conf, r"^no lldp run"):
        f["lldp_med_enabled"] = False
    elif lines_matching(conf, r"^lldp run"):
        f["lldp_med_enabled"] = not lines_matching(conf, r"^no lldp tlv-select med") and True
    else:
        f["lldp_med_enabled"] = absent(False)  # LLDP (and so LLDP-MED) is off by default on IOS

    for obj in conf.find_objects(_PHYSICAL.pattern):
        kids = children(obj)
        name = short_port(obj.text.split(None, 1)[1])
        port = ports.setdefault(name, {})
        if "switchport mode access" in kids:
            port["mode"] = "access"
        elif "switchport mode trunk" in kids:
            port["mode"] = "trunk"
        elif "no switchport" in kids:
            port["mode"] = "routed"
        access_vlan = next((k.split()[-1] for k in kids if k.startswith("switchport access vlan ")), None)
        if port.get("mode") == "access":
            port["vlan"] = int(access_vlan) if access_vlan and access_vlan.isdigit() else 1
        port["admin_up"] = "shutdown" not in kids
        port["nac"] = any(_NAC.match(k) for k in kids)
        descr = next((k.split(None, 1)[1] for k in kids if k.startswith("description ")), None)
        if descr:
            port["description"] = descr
    return f


def _status(text: str, ports: dict[str, dict[str, Any]]) -> None:
    rows = textfsm(PLATFORM, "show interfaces status", text)
    if not rows:
        raise UnparseableOutput("show interfaces status", "no port rows found")
    for row in rows:
        port = ports.setdefault(short_port(row["port"]), {})
        status = row.get("status", "")
        port["oper_up"] = status == "connected"
        if status == "disabled":
            port["admin_up"] = False
        elif "admin_up" not in port:
            port["admin_up"] = True
        port["speed_mbps"] = speed_mbps(row.get("speed")) if status == "connected" else None
        if row.get("vlan_id") == "trunk":
            port.setdefault("mode", "trunk")
        elif row.get("vlan_id") == "routed":
            port.setdefault("mode", "routed")


def _poe(text: str, ports: dict[str, dict[str, Any]]) -> None:
    rows = textfsm(PLATFORM, "show power inline", text)
    for row in rows:
        try:
            watts = float(row.get("power") or 0)
        except ValueError:
            watts = 0.0
        ports.setdefault(short_port(row["interface"]), {})["poe_draw_w"] = watts


def _lldp(text: str) -> list[LldpNeighbour]:
    if "LLDP is not enabled" in text:
        return []
    if text.strip() and "Total entries displayed" not in text and "Chassis id" not in text:
        raise UnparseableOutput("show lldp neighbors detail", "no LLDP entries or totals line")
    rows = textfsm(PLATFORM, "show lldp neighbors detail", text)
    return [
        neighbour(r.get("local_interface", ""), r.get("neighbor_name"), r.get("neighbor_interface"),
                  r.get("mgmt_address"), r.get("neighbor_description"), capabilities(r.get("capabilities")))
        for r in rows
    ]


DRIVER = CiscoIos()
