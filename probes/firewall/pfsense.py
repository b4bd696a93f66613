"""pfSense CE / Plus: everything about the platform in one place.

Collected over SSH by reading ``/conf/config.xml`` (and ``/etc/version``) with ``cat``: nothing else is
run. Offline, a saved config.xml (Oxidized appends ``<!-- pfSense 2.7.2-RELEASE -->``) gives the same
facts. The shared config.xml reading lives in :mod:`probes.firewall.xmlconfig`; what is particular to
pfSense is here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.etree.ElementTree import Element

from probes.firewall.common import Facts
from probes.firewall.xmlconfig import ConfigXmlPlatform, text_of, truthy


class PfSense(ConfigXmlPlatform):
    name = "pfsense"
    aliases = ("pfsense", "pfsense_ce", "pfsense_plus")
    vendor = "pfSense"
    root_tag = "pfsense"
    version_comment = re.compile(r"<!--\s*pfsense\s+(?:plus\s+)?v?(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE)
    ssh_enable_path = "system/ssh/enable"
    # SSH: read-only file reads, exactly these (run as exec requests, so the console menu never starts).
    ssh_commands = ("cat /etc/version", "cat /conf/config.xml")
    ssh_context_commands: tuple[str, ...] = ()
    config_output = "cat /conf/config.xml"

    def parse_outputs(self, outputs: Mapping[str, str]) -> Facts:
        facts = self.facts(self.load(outputs["cat /conf/config.xml"]))
        version = outputs.get("cat /etc/version", "").strip()
        m = re.match(r"(\d+\.\d+(?:\.\d+)?)", version)
        facts["firmware_version"] = m.group(1) if m else None
        if not m:
            facts["collection_errors"].append("'/etc/version' did not give a pfSense version")
        return facts

    def web_filters(self, root: Element) -> list[str]:
        found: list[str] = []
        packages = root.find("installedpackages")
        if packages is None:
            return found
        if truthy(text_of(packages, "pfblockerngdnsblsettings/config/pfb_dnsbl") or "off"):
            found.append("pfBlockerNG DNSBL")
        if truthy(text_of(packages, "squidguardgeneral/config/squidguard_enable") or "off"):
            found.append("squidGuard web filter")
        return found

    def mfa(self, root: Element, user: Element, authmode: str | None, servers: Mapping[str, str]) -> bool | None:
        # pfSense has no second factor of its own for the GUI: only a RADIUS server can ask for one.
        if authmode and servers.get(authmode) == "radius":
            return None
        return False


PLATFORM = PfSense()
