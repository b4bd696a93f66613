"""Aruba AOS-CX: ``show system`` and LLDP through ntc-templates, the config through ciscoconfparse2.

AOS-CX has no telnet server and serves its web UI and REST API over HTTPS only, so those two facts
come from the platform itself rather than from a line of config.
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
    capabilities,
    children,
    finish_ports,
    lines_matching,
    merge,
    neighbour,
    parse_config,
    run_steps,
    textfsm,
    vlan_ids,
)
from probes.switch.sanitise import REMOVED, VALUE, rules

PLATFORM = "aruba_aoscx"
_NAC = re.compile(r"^aaa authentication port-access (dot1x authenticator|mac-auth)")


class ArubaAosCx(Platform):
    name = PLATFORM
    vendor = "HPE Aruba Networking"
    config_command = "show running-config"
    commands = ("show system", "show running-config", "show lldp neighbor-info detail")
    scrub_rules = rules(
        # user NAME group G password plaintext|ciphertext ...
        (rf"(\bpassword\s+(?:plaintext|ciphertext)\s+){VALUE}", rf"\g<1>{REMOVED}"),
        (rf"(\bsnmpv3 user\s+{VALUE}.*?\bauth-pass\s+(?:plaintext|ciphertext)\s+){VALUE}", rf"\g<1>{REMOVED}"),
    )
    session_commands = ("no page",)

    def looks_like_config(self, text: str) -> bool:
        return looks_like_config(text)

    def parse(self, outputs: Mapping[str, str]) -> Facts:
        facts: Facts = {"vendor": self.vendor, "collection_errors": []}
        ports: dict[str, dict[str, Any]] = {}
        def read_lldp(text: str) -> None:
            rows = textfsm(PLATFORM, "show lldp neighbor-info detail", text)
            facts["lldp_neighbours"] = [
                neighbour(r["local_interface"], r.get("neighbor_name"), r.get("neighbor_port_id"),
                          r.get("mgmt_address"), r.get("neighbor_description"), capabilities(r.get("capabilities")))
                for r in rows
            ]

        run_steps(facts, outputs, (
            ("show system", lambda t: merge(facts, _system(t))),
            ("show running-config", lambda t: merge(facts, parse_running_config(t, ports))),
            ("show lldp neighbor-info detail", read_lldp),
        ), self.config_command)
        finish_ports(facts, ports)
        return facts


def _system(text: str) -> Facts:
    rows = textfsm(PLATFORM, "show system", text)
    if not rows or not rows[0].get("version"):
        raise UnparseableOutput("show system", "no 'ArubaOS-CX Version' line found")
    row = rows[0]
    product = (row.get("product") or "").split()
    return {
        "hostname": row.get("hostname") or None,
        "firmware_version": row["version"],
        "serial": row.get("serial") or None,
        "model": " ".join(product[:2]) if product else None,
    }


def looks_like_config(text: str) -> bool:
    return bool(re.search(r"^!Version ArubaOS-CX|^Current configuration:", text, re.MULTILINE))


def parse_running_config(text: str, ports: dict[str, dict[str, Any]] | None = None) -> Facts:
    if not looks_like_config(text):
        raise UnparseableOutput("show running-config", "not an AOS-CX configuration (no '!Version ArubaOS-CX')",
                                reason=Reason.not_a_configuration)
    ports = {} if ports is None else ports
    conf = parse_config(text, "ios")
    # AOS-CX prints no end marker; the version banner and at least one interface show it is whole.
    complete = bool(re.search(r"^!Version ArubaOS-CX", text, re.MULTILINE)) and bool(
        lines_matching(conf, r"^interface\s")
    )
    f: Facts = {"config_complete": complete}
    if not complete:
        f["collection_errors"] = ["'show running-config': the configuration is truncated (no version banner)"]

    def absent(value: Any) -> Any:
        return value if complete else None

    def has(pattern: str) -> bool:
        return bool(lines_matching(conf, pattern))

    hostname = lines_matching(conf, r"^hostname\s")
    if hostname:
        f["hostname"] = hostname[0].split()[1]
    f["telnet_enabled"] = False  # AOS-CX has no telnet server
    f["ssh_v2_only"] = True  # AOS-CX speaks SSHv2 only
    f["http_mgmt_enabled"] = False  # https-server only; there is no plain-HTTP server

    communities = [ln.split()[2] for ln in lines_matching(conf, r"^snmp-server community\s")]
    f["snmp_v1v2c_enabled"] = True if communities else absent(False)
    f["snmp_default_community"] = (
        True if any(c.lower() in DEFAULT_COMMUNITIES for c in communities) else absent(False)
    )
    f["snmp_v3_enabled"] = True if has(r"^snmpv3 user\s") else absent(False)
    servers = lines_matching(conf, r"^(radius-server|tacacs-server) host\s")
    uses_aaa = has(r"^aaa authentication login default\s.*group\s+\S+")
    f["aaa_servers"] = len(servers) if uses_aaa else absent(0)
    plaintext = len(lines_matching(conf, r"\spassword plaintext\s"))
    f["plaintext_passwords"] = plaintext if plaintext or complete else None
    f["reversible_passwords"] = absent(0)

    vlans = [vid for ln in lines_matching(conf, r"^vlan\s+[\d,-]+$") for vid in vlan_ids(ln.split(None, 1)[1])]
    f["vlans"] = absent(sorted(set(vlans)))
    svis = []
    for obj in conf.find_objects(r"^interface vlan\s*\d+"):
        if any(k.startswith("ip address") for k in children(obj)):
            svis.append(int(re.findall(r"\d+", obj.text)[0]))
    if svis:
        f["mgmt_vlan"] = 1 if 1 in svis else min(svis)

    for obj in conf.find_objects(r"^interface\s+\d+/\d+/\d+$"):
        kids = children(obj)
        port = ports.setdefault(obj.text.split()[1], {})
        access = next((k for k in kids if k.startswith("vlan access ")), None)
        if access:
            port["mode"], port["vlan"] = "access", int(access.split()[-1])
        elif any(k.startswith("vlan trunk") for k in kids):
            port["mode"] = "trunk"
        elif any(k.startswith("routing") or k.startswith("ip address") for k in kids):
            port["mode"] = "routed"
        port["admin_up"] = "shutdown" not in kids
        port["nac"] = any(_NAC.match(k) for k in kids)
        descr = next((k.split(None, 1)[1] for k in kids if k.startswith("description ")), None)
        if descr:
            port["description"] = descr

    mode = lines_matching(conf, r"^spanning-tree mode\s")
    if has(r"^spanning-tree$") or mode:
        f["stp_mode"] = {"rpvst": "rapid-pvst", "mstp": "mst"}.get(mode[0].split()[-1] if mode else "mstp", "mst")
    else:
        f["stp_mode"] = absent("none")
    f["ntp_servers"] = len(lines_matching(conf, r"^ntp server\s")) or absent(0)
    f["syslog_servers"] = len(lines_matching(conf, r"^logging\s+\S+")) or absent(0)
    f["lldp_med_enabled"] = False if has(r"^no lldp$") or has(r"^no lldp med") else absent(True)
    return f


DRIVER = ArubaAosCx()
