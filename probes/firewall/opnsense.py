"""OPNsense: everything about the platform in one place.

Collected through its REST API with an API key and secret (a user with read-only privileges): the
firmware status and the configuration backup (``/api/core/backup/download/this``), which is the same
config.xml an offline audit reads. The shared config.xml reading lives in
:mod:`probes.firewall.xmlconfig`; what is particular to OPNsense is here (the newer rule model under
``OPNsense/Firewall/Filter``, Unbound DNS blocklists, the net-snmp plugin, syslog destinations, TOTP).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element, SubElement

from probes.firewall.common import DEFAULT_COMMUNITIES, Facts
from probes.firewall.xmlconfig import ConfigXmlPlatform, text_of, truthy


class OPNsense(ConfigXmlPlatform):
    name = "opnsense"
    aliases = ("opnsense",)
    vendor = "OPNsense"
    root_tag = "opnsense"
    version_comment = re.compile(r"<!--\s*opnsense\s+v?(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE)
    ssh_enable_path = "system/ssh/enabled"
    # REST (key + secret, GET only).
    config_output = "config"
    ssh_commands: tuple[str, ...] = ()
    ssh_context_commands: tuple[str, ...] = ()
    rest_paths = {
        "firmware": "/api/core/firmware/status",
        "config": "/api/core/backup/download/this",
    }

    def parse_outputs(self, outputs: Mapping[str, str]) -> Facts:
        """Facts from the API: 'config' is the backup (config.xml), 'version' the product version."""
        facts = self.facts(self.load(outputs["config"]))
        version = outputs.get("version") or ""
        m = re.match(r"(\d+\.\d+(?:\.\d+)?)", version.strip())
        facts["firmware_version"] = m.group(1) if m else None
        return facts

    def snmp(self, root: Element) -> tuple[bool | None, bool | None]:
        plugin = root.find("OPNsense/netsnmp/general")
        if plugin is not None:
            enabled = truthy(text_of(plugin, "enabled") or "0")
            return enabled, (text_of(plugin, "community") or "").lower() in DEFAULT_COMMUNITIES
        # No net-snmp plugin: OPNsense runs no SNMP agent; the legacy <snmpd> block is only a stored default.
        legacy = (text_of(root, "snmpd/rocommunity") or "").lower()
        return False, legacy in DEFAULT_COMMUNITIES

    def log_targets(self, root: Element) -> list[str]:
        targets = super().log_targets(root)
        for destination in root.findall("OPNsense/Syslog/destinations/destination"):
            if truthy(text_of(destination, "enabled") or "0"):
                targets.append(f"syslog {text_of(destination, 'hostname') or '?'}")
        return targets

    def web_filters(self, root: Element) -> list[str]:
        found: list[str] = []
        dnsbl = root.find("OPNsense/unboundplus/dnsbl")
        if dnsbl is not None and truthy(text_of(dnsbl, "enabled") or "0") and (
                text_of(dnsbl, "type") or text_of(dnsbl, "lists") or text_of(dnsbl, "blocklists")):
            found.append("Unbound DNS blocklist")
        proxy = root.find("OPNsense/proxy/forward/acl/remoteACLs/blacklists")
        if proxy is not None and any(truthy(text_of(b, "enabled") or "0") for b in proxy):
            found.append("web proxy remote blocklist")
        return found

    def mfa(self, root: Element, user: Element, authmode: str | None, servers: Mapping[str, str]) -> bool | None:
        modes = [m for m in (authmode or "").split(",") if m]
        totp = [m for m in modes if servers.get(m) == "totp"]
        if totp and text_of(user, "otp_seed"):
            return True
        if any(servers.get(m) == "radius" for m in modes):
            return None  # a RADIUS server may ask for a second factor: not visible here
        return False

    def gui_listens_on(self, root: Element) -> set[str] | None:
        value = text_of(root, "system/webgui/interfaces")
        return {v for v in value.split(",") if v} if value else None

    def extra_rules(self, root: Element) -> list[Element]:
        """The newer MVC rules (OPNsense/Firewall/Filter/rules/rule) as legacy-shaped <rule> elements."""
        converted = []
        for rule in root.findall("OPNsense/Firewall/Filter/rules/rule"):
            legacy = Element("rule")
            if not truthy(text_of(rule, "enabled") or "1"):
                SubElement(legacy, "disabled")
            SubElement(legacy, "type").text = text_of(rule, "action") or "pass"
            SubElement(legacy, "interface").text = text_of(rule, "interface") or ""
            SubElement(legacy, "descr").text = text_of(rule, "description") or ""
            SubElement(legacy, "protocol").text = text_of(rule, "protocol") or "any"
            for side in ("source", "destination"):
                node = SubElement(legacy, side)
                net = text_of(rule, f"{side}_net") or "any"
                if net == "any":
                    SubElement(node, "any")
                else:
                    SubElement(node, "network").text = net
                if truthy(text_of(rule, f"{side}_not") or "0"):
                    SubElement(node, "not")
                port = text_of(rule, f"{side}_port")
                if port:
                    SubElement(node, "port").text = port
            converted.append(legacy)
        return converted


PLATFORM = OPNsense()



def collect_api(settings: Any) -> tuple[Facts, str]:
    """Facts from OPNsense's API (key + secret): the firmware status and the configuration backup."""
    from probes.firewall.rest import ApiClient

    client = ApiClient(settings.host, settings.port, auth=(settings.api_key or "", settings.api_secret or ""),
                       ca_file=settings.ca_file, fingerprint_sha256=settings.fingerprint_sha256,
                       timeout_s=settings.timeout_s)
    try:
        status = client.get_json(PLATFORM.rest_paths["firmware"])
        body, _ = client.get(PLATFORM.rest_paths["config"])
    finally:
        client.close()
    product = status.get("product") if isinstance(status, dict) else None
    version = (product or {}).get("product_version") if isinstance(product, dict) else None
    version = version or (status.get("product_version") if isinstance(status, dict) else None) or ""
    text = body.decode("utf-8", errors="replace")
    facts = PLATFORM.parse_outputs({"config": text, "version": str(version)})
    if not version:
        facts["collection_errors"].append("the firmware status did not give an OPNsense version")
    return facts, text
