"""HP ProCurve / Aruba AOS-S: show output through ntc-templates, the config through ciscoconfparse2.

AOS-S defaults matter here: telnet, plain-HTTP web management and LLDP are ON unless the config says
``no ...``, so a complete config is needed before an absent line can count as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contract.errors import Reason
from probes.switch.common import (
    DEFAULT_COMMUNITIES,
    Facts,
    Platform,
    UnparseableOutput,
    children,
    finish_ports,
    lines_matching,
    merge,
    neighbour,
    parse_config,
    run_steps,
    speed_mbps,
    textfsm,
)
from probes.switch.sanitise import REMOVED, VALUE, rules

PLATFORM = "hp_procurve"


def port_list(spec: str) -> list[str]:
    """'1-4,A1-A3,1/5' -> ['1','2','3','4','A1','A2','A3','1/5'] (AOS-S port lists)."""
    out: list[str] = []
    for part in spec.replace(" ", "").split(","):
        m = re.fullmatch(r"([A-Za-z]*|\d+/)(\d+)-\1?(\d+)", part)
        if m:
            out.extend(f"{m.group(1)}{i}" for i in range(int(m.group(2)), int(m.group(3)) + 1))
        elif part:
            out.append(part)
    return out


class HpProcurve(Platform):
    name = PLATFORM
    aliases = ("aruba_procurve",)  # Aruba AOS-S: the ProCurve CLI under HPE's later name
    vendor = "HPE Aruba (ProCurve)"
    config_command = "show running-config"
    commands = ("show system", "show running-config", "show interfaces brief", "show lldp info remote-device")
    scrub_rules = rules(
        # password manager|operator [user-name "x"] plaintext|sha1|sha-256 "..."
        (rf"^(\s*password\s+(?:manager|operator)(?:\s+user-name\s+{VALUE})?\s+(?:plaintext|sha1|sha-256|sha256)\s+)"
         rf"{VALUE}", rf"\g<1>{REMOVED}"),
        (rf"^(\s*snmpv3 user\s+{VALUE}.*?\bauth\s+\S+\s+){VALUE}", rf"\g<1>{REMOVED}"),
        (rf"(\bpriv\s+(?:des|aes)\s+){VALUE}", rf"\g<1>{REMOVED}"),
    )
    enters_enable_mode = True
    session_commands = ("no page", "terminal width 511")

    def looks_like_config(self, text: str) -> bool:
        return looks_like_config(text)

    def parse(self, outputs: Mapping[str, str]) -> Facts:
        facts: Facts = {"vendor": self.vendor, "collection_errors": []}
        ports: dict[str, dict[str, Any]] = {}
        def read_lldp(text: str) -> None:
            rows = textfsm(PLATFORM, "show lldp info remote-device", text)
            # The summary has no capability column: a neighbour on a tagged port is treated as a switch.
            facts["lldp_neighbours"] = [
                neighbour(r["local_interface"], r.get("neighbor_name"), r.get("neighbor_interface"), None,
                          r.get("neighbor_description"),
                          ["bridge"] if ports.get(r["local_interface"], {}).get("mode") == "trunk" else [])
                for r in rows
            ]

        run_steps(facts, outputs, (
            ("show system", lambda t: merge(facts, _system(t))),
            ("show running-config", lambda t: merge(facts, parse_running_config(t, ports))),
            ("show interfaces brief", lambda t: _brief(t, ports)),
            ("show lldp info remote-device", read_lldp),
        ), self.config_command)
        finish_ports(facts, ports)
        return facts


def _system(text: str) -> Facts:
    rows = textfsm(PLATFORM, "show system", text)
    if not rows or not rows[0].get("software_version"):
        raise UnparseableOutput("show system", "no 'Software revision' line found")
    row = rows[0]
    return {"hostname": row.get("name") or None, "firmware_version": row["software_version"],
            "serial": row.get("serial") or None}


def looks_like_config(text: str) -> bool:
    return bool(re.search(r"^(; \S+ Configuration Editor|hostname \"|vlan \d+$)", text, re.MULTILINE))


def parse_running_config(text: str, ports: dict[str, dict[str, Any]] | None = None) -> Facts:
    if not looks_like_config(text):
        raise UnparseableOutput("show running-config", "not an AOS-S configuration (no editor header, no vlans)",
                                reason=Reason.not_a_configuration)
    ports = {} if ports is None else ports
    conf = parse_config(text, "ios")
    raw_lines = [ln for ln in text.replace("\r", "").splitlines() if ln.strip()]
    header = re.search(r"^; (\S+) Configuration Editor", text, re.MULTILINE)
    complete = bool(header) and not raw_lines[-1].startswith((" ", "\t"))
    f: Facts = {"config_complete": complete}
    if not complete:
        f["collection_errors"] = ["'show running-config': the configuration is truncated or has no editor header"]

    def absent(value: Any) -> Any:
        return value if complete else None

    if header:
        f["model"] = header.group(1)
    # The editor header also names the release that wrote the config: the firmware, for an offline audit.
    release = re.search(r"^; .*Created on release #(\S+)", text, re.MULTILINE)
    if release:
        f["firmware_version"] = release.group(1)
    hostname = lines_matching(conf, r"^hostname\s")
    if hostname:
        f["hostname"] = hostname[0].split(None, 1)[1].strip('"')

    def has(pattern: str) -> bool:
        return bool(lines_matching(conf, pattern))

    f["telnet_enabled"] = False if has(r"^no telnet-server") else absent(True)
    f["http_mgmt_enabled"] = False if has(r"^no web-management(\s+plaintext)?$") else absent(True)
    f["ssh_v2_only"] = False if has(r"^ip ssh version 1") else absent(True)  # AOS-S 16.x speaks SSHv2 only

    communities = [ln.split()[2].strip('"') for ln in lines_matching(conf, r"^snmp-server community\s")]
    v3_only = has(r"^snmpv3 only")
    f["snmp_v1v2c_enabled"] = bool(communities) and not v3_only if (communities or complete) else None
    f["snmp_default_community"] = (
        True if any(c.lower() in DEFAULT_COMMUNITIES for c in communities) else absent(False)
    )
    f["snmp_v3_enabled"] = True if has(r"^snmpv3 enable") else absent(False)

    servers = lines_matching(conf, r"^(radius-server|tacacs-server) host\s")
    uses_aaa = has(r"^aaa authentication (ssh|telnet|web|console|login)\s.*\b(radius|tacacs)\b")
    f["aaa_servers"] = len(servers) if uses_aaa else absent(0)

    plaintext = len(lines_matching(conf, r"^password\s.*\splaintext\s"))
    f["plaintext_passwords"] = plaintext if plaintext or complete else None
    f["reversible_passwords"] = absent(0)

    vlans: list[int] = []
    mgmt: list[int] = []
    for obj in conf.find_objects(r"^vlan\s+\d+$"):
        vid = int(obj.text.split()[1])
        vlans.append(vid)
        kids = children(obj)
        if any(k.startswith("ip address") and "no ip address" not in k for k in kids):
            mgmt.append(vid)
        for kid in kids:
            if kid.startswith("untagged "):
                for p in port_list(kid.split(None, 1)[1]):
                    ports.setdefault(p, {}).setdefault("mode", "access")
                    ports[p]["vlan"] = vid
            elif kid.startswith("tagged "):
                for p in port_list(kid.split(None, 1)[1]):
                    ports.setdefault(p, {})["mode"] = "trunk"
    f["vlans"] = absent(sorted(vlans))
    if mgmt:
        f["mgmt_vlan"] = 1 if 1 in mgmt else min(mgmt)
    elif complete and 1 in vlans:
        f["mgmt_vlan"] = 1  # AOS-S default: VLAN 1 gets an address by DHCP

    for obj in conf.find_objects(r"^interface\s+\S+$"):
        name = obj.text.split()[1]
        kids = children(obj)
        port = ports.setdefault(name, {})
        port["admin_up"] = "disable" not in kids
        descr = next((k.split(None, 1)[1].strip('"') for k in kids if k.startswith("name ")), None)
        if descr:
            port["description"] = descr
    nac_ports: set[str] = set()
    for line in lines_matching(conf, r"^aaa port-access (authenticator|mac-based)\s+[\dA-Za-z/,-]+$"):
        nac_ports.update(port_list(line.split()[-1]))
    for name, port in ports.items():
        port.setdefault("admin_up", True)
        port["nac"] = name in nac_ports

    if has(r"^no spanning-tree$"):
        f["stp_mode"] = "none"
    elif has(r"^spanning-tree$") or has(r"^spanning-tree\s"):
        version = lines_matching(conf, r"^spanning-tree force-version\s")
        mode = version[0].split()[-1] if version else "mstp-operation"
        f["stp_mode"] = {"rstp-operation": "rstp", "mstp-operation": "mst", "stp-compatible": "stp"}.get(mode, "mst")
    else:
        f["stp_mode"] = absent("none")  # AOS-S ships with spanning tree off

    f["ntp_servers"] = len(lines_matching(conf, r"^(sntp|ntp) server\s")) or absent(0)
    f["syslog_servers"] = len(lines_matching(conf, r"^logging\s+\d+\.\d+\.\d+\.\d+")) or absent(0)
    f["lldp_med_enabled"] = False if has(r"^no lldp run") else absent(True)  # LLDP-MED is on by default
    return f


def _brief(text: str, ports: dict[str, dict[str, Any]]) -> None:
    rows = textfsm(PLATFORM, "show interfaces brief", text)
    if not rows:
        raise UnparseableOutput("show interfaces brief", "no port rows found")
    for row in rows:
        port = ports.setdefault(row["port"], {})
        port["admin_up"] = row.get("enabled", "").lower() == "yes"
        port["oper_up"] = row.get("status", "").lower() == "up"
        port["speed_mbps"] = speed_mbps(row.get("mode")) if port["oper_up"] else None


DRIVER = HpProcurve()
