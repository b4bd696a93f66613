"""Juniper Junos (EX): ``show version`` and LLDP through ntc-templates, the configuration (curly-brace
format from ``show configuration``) through ciscoconfparse2's junos syntax."""

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
    finish_ports,
    merge,
    neighbour,
    parse_config,
    run_steps,
    textfsm,
)
from probes.switch.sanitise import REMOVED, VALUE, rules

PLATFORM = "juniper_junos"


class JuniperJunos(Platform):
    name = PLATFORM
    vendor = "Juniper Networks"
    config_command = "show configuration"
    commands = ("show version", "show configuration", "show lldp neighbors")
    scrub_rules = rules(
        (rf"(\b(?:encrypted-password|secret|plain-text-password-value|authentication-key|ascii-text)\s+){VALUE}",
         rf"\g<1>{REMOVED}"),
        (rf"^(\s*(?:set\s+snmp\s+)?community\s+){VALUE}", rf"\g<1>{REMOVED}"),
        # Junos marks every secret it prints: whatever the keyword, the quoted value on such a line goes.
        (r'^(.*?)"[^"]*"(;?\s*## SECRET-DATA)', rf'\g<1>"{REMOVED}"\g<2>'),
    )
    session_commands = ("set cli screen-width 511", "set cli complete-on-space off", "set cli screen-length 0")

    def looks_like_config(self, text: str) -> bool:
        return looks_like_config(text)

    def parse(self, outputs: Mapping[str, str]) -> Facts:
        facts: Facts = {"vendor": self.vendor, "collection_errors": []}
        ports: dict[str, dict[str, Any]] = {}
        def read_lldp(text: str) -> None:
            rows = textfsm(PLATFORM, "show lldp neighbors", text)
            # The summary has no capabilities: a neighbour on a trunk port is taken to be a switch.
            facts["lldp_neighbours"] = [
                neighbour(r["local_interface"], r.get("neighbor_name"), r.get("neighbor_interface"), None, None,
                          ["bridge"] if ports.get(_unit0(r["local_interface"]), {}).get("mode") == "trunk" else [])
                for r in rows
            ]

        run_steps(facts, outputs, (
            ("show version", lambda t: merge(facts, _version(t))),
            ("show configuration", lambda t: merge(facts, parse_running_config(t, ports))),
            ("show lldp neighbors", read_lldp),
        ), self.config_command)
        finish_ports(facts, ports)
        return facts


def _unit0(name: str) -> str:
    return name.split(".")[0]


def _version(text: str) -> Facts:
    rows = textfsm(PLATFORM, "show version", text)
    if not rows or not rows[0].get("junos_version"):
        raise UnparseableOutput("show version", "no 'Junos:' or JUNOS version line found")
    row = rows[0]
    return {"hostname": row.get("hostname") or None, "firmware_version": row["junos_version"],
            "model": (row.get("model") or "").upper() or None, "serial": row.get("serial_number") or None}


def looks_like_config(text: str) -> bool:
    return bool(re.search(r"^\s*(system|interfaces|vlans)\s*\{", text, re.MULTILINE))


def parse_running_config(text: str, ports: dict[str, dict[str, Any]] | None = None) -> Facts:
    if not looks_like_config(text):
        raise UnparseableOutput("show configuration", "not a Junos configuration (no 'system {' block)",
                                reason=Reason.not_a_configuration)
    ports = {} if ports is None else ports
    complete = text.count("{") == text.count("}")
    f: Facts = {"config_complete": complete}
    if not complete:
        f["collection_errors"] = ["'show configuration': the configuration is truncated (braces do not balance)"]
    # A truncated config still shows what it does contain: close the open blocks so it can be read.
    missing = text.count("{") - text.count("}")
    conf = parse_config(text + "\n}" * max(missing, 0), "junos", "show configuration")
    paths = _paths(conf)

    def absent(value: Any) -> Any:
        return value if complete else None

    def under(prefix: str) -> list[str]:
        return [p[len(prefix):].strip() for p in paths if p.startswith(prefix)]

    host = under("system host-name")
    if host:
        f["hostname"] = host[0].split()[0].rstrip(";")
    services = {s.split()[0] for s in under("system services") if s}
    f["telnet_enabled"] = True if "telnet" in services else absent(False)
    f["http_mgmt_enabled"] = True if any(s.startswith("http") for s in under("system services web-management")) \
        else absent(False)
    f["ssh_v2_only"] = False if any("protocol-version v1" in s for s in under("system services ssh")) \
        else absent(True)
    communities = {c.split()[0] for c in under("snmp community") if c}
    f["snmp_v1v2c_enabled"] = True if communities else absent(False)
    f["snmp_default_community"] = (
        True if any(c.strip('"').lower() in DEFAULT_COMMUNITIES for c in communities) else absent(False)
    )
    f["snmp_v3_enabled"] = True if under("snmp v3") else absent(False)
    servers = {s.split()[0] for s in under("system radius-server") + under("system tacplus-server") if s}
    order = " ".join(under("system authentication-order"))
    f["aaa_servers"] = len(servers) if ("radius" in order or "tacplus" in order) else absent(0)
    plaintext = [p for p in paths if "plain-text-password-value" in p]
    f["plaintext_passwords"] = len(plaintext) if plaintext or complete else None
    f["reversible_passwords"] = absent(0)
    f["ntp_servers"] = len({s.split()[0] for s in under("system ntp server") if s}) or absent(0)
    f["syslog_servers"] = len({s.split()[0] for s in under("system syslog host") if s}) or absent(0)

    vlan_names: dict[str, int] = {}
    for line in under("vlans"):
        m = re.match(r"^(\S+)\s+vlan-id\s+(\d+)", line)
        if m:
            vlan_names[m.group(1)] = int(m.group(2))
    f["vlans"] = absent(sorted(set(vlan_names.values())))
    l3 = [line for line in under("vlans") if " l3-interface " in f" {line} "]
    irb = [ln for ln in under("interfaces vlan unit") + under("interfaces irb unit") if " family inet address" in ln]
    if irb:
        units = sorted({int(ln.split()[0]) for ln in irb if ln.split()[0].isdigit()})
        by_unit = {m.group(2): vlan_names.get(m.group(1)) for ln in l3
                   if (m := re.match(r"^(\S+)\s+l3-interface\s+\S+\.(\d+)", ln))}
        mgmt = [v for u in units if (v := by_unit.get(str(u))) is not None]
        if mgmt:
            f["mgmt_vlan"] = 1 if 1 in mgmt else min(mgmt)
        else:
            f.setdefault("collection_errors", []).append(
                "'show configuration': the management address is on a vlan unit no VLAN names as its l3-interface"
            )

    for line in under("interfaces"):
        m = re.match(r"^((?:ge|xe|et|mge)-\d+/\d+/\d+)\s*(.*)$", line)
        if not m:
            continue
        port = ports.setdefault(m.group(1), {"admin_up": True})
        rest = m.group(2)
        if rest.strip() == "disable":
            port["admin_up"] = False
        mode = re.search(r"(?:port-mode|interface-mode)\s+(access|trunk)", rest)
        if mode:
            port["mode"] = mode.group(1)
        member = re.search(r"vlan members\s+(\S+)", rest)
        if member and port.get("mode", "access") == "access":
            name = member.group(1).strip("[]")
            port["vlan"] = vlan_names.get(name, int(name) if name.isdigit() else None)
            port.setdefault("mode", "access")
        desc = re.match(r"^description\s+(.+)$", rest)
        if desc:
            port["description"] = desc.group(1).strip('"; ')
    dot1x = {s.split()[0] for s in under("protocols dot1x authenticator interface") if s}
    for name, port in ports.items():
        port["nac"] = name in dot1x or f"{name}.0" in dot1x or "all" in dot1x

    stp = [p.split()[1] for p in paths if re.match(r"^protocols (rstp|mstp|vstp|stp)\b", p)]
    f["stp_mode"] = {"rstp": "rstp", "mstp": "mst", "vstp": "rapid-pvst", "stp": "stp"}[stp[0]] if stp \
        else absent("none")
    lldp_med = any(p.startswith("protocols lldp-med") for p in paths)
    f["lldp_med_enabled"] = True if lldp_med else absent(False)
    return f


def _paths(conf: Any) -> list[str]:
    """Every config line with its parents, Junos 'set'-style: 'system services telnet'."""
    out: list[str] = []
    for obj in conf.objs:
        text = obj.text.strip().rstrip(";").strip()
        if not text or text.startswith("#"):
            continue
        text = re.sub(r";\s*##.*$", "", text)
        lineage = [p.text.strip().rstrip(";") for p in obj.all_parents]
        out.append(" ".join([*lineage, text]))
    return out


DRIVER = JuniperJunos()
