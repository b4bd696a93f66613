"""config.xml (pfSense and OPNsense): safe loading, secret scrubbing, and the reading both platforms share.

config.xml comes from a device or a backup file, so it is untrusted: it is parsed with defusedxml (no
DTDs, no entities, no network), refused above a size and nesting bound, and every error names the line
and column. pfSense and OPNsense share the m0n0wall layout (``system``, ``interfaces``, ``filter``,
``nat``, ``snmpd``, ``syslog``); each platform's class says where they differ.

pf semantics the facts rely on: the WAN interface drops everything not explicitly passed, the GUI and
SSH listen on every interface but are reachable only where a rule (or LAN's anti-lockout rule) lets
traffic to the firewall itself, and a port forward publishes an inside host.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree.ElementTree import Element, tostring

from contract.errors import Reason
from probes.firewall.common import DEFAULT_COMMUNITIES, Facts, UnreadableConfig, join_errors
from probes.firewall.sanitise import REMOVED, scrub_common

MAX_XML_BYTES = 64 * 1024 * 1024
MAX_XML_DEPTH = 64

# Defaults of the login protection (sshguard) both platforms use when the settings are not in config.xml.
DEFAULT_SSHGUARD_THRESHOLD = 30  # attack score; each failed login scores 10
DEFAULT_SSHGUARD_BLOCKTIME_S = 120
SSHGUARD_SCORE_PER_ATTEMPT = 10

# Elements whose text is a secret. Tags are matched whole; _SECRET_TAG catches the rest by shape.
_SECRET_TAGS = frozenset(t.lower() for t in {
    "password", "bcrypt-hash", "sha512-hash", "md5-hash", "nt-hash", "prv", "psk", "pre-shared-key", "secret",
    "secret2", "radius_secret", "ldap_bindpw", "otp_seed", "rocommunity", "rwcommunity", "community",
    "authorizedkeys", "key", "apikey", "tls", "shared_key", "passphrase", "ipsecpsk", "presharedkey",
    "privatekey", "auth_pass", "priv_pass", "authpass", "privpass", "httpdPassword", "static_key", "pubkey",
})
_SECRET_TAG = re.compile(r"(passw|secret|psk|passphrase|community|hash$|^prv$|seed|apikey|privkey|private|"
                         r"authkey|privacy|token)", re.IGNORECASE)
_NOT_SECRET = frozenset({"passwordauth", "hash_algorithm", "disablepasswordauth", "tokenid"})
_WAN_DESCR = re.compile(r"\b(wan\d*|internet|isp\d*|outside|broadband)\b", re.IGNORECASE)


def load_xml(text: str, root_tag: str, what: str) -> Element:
    """The root element of ``text``; UnreadableConfig naming line and column when it is not a ``root_tag`` XML."""
    import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
    from defusedxml import DefusedXmlException

    if len(text.encode("utf-8", errors="replace")) > MAX_XML_BYTES:
        raise UnreadableConfig(f"larger than {MAX_XML_BYTES // (1024 * 1024)} MiB: not a {what} config.xml")
    try:
        root: Element = SafeET.fromstring(text, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UnreadableConfig(f"refused: the XML declares a DTD or entities ({type(exc).__name__})") from None
    except SyntaxError as exc:  # ParseError
        line, column = getattr(exc, "position", (None, None))
        where = f"line {line}, column {column}: " if line else ""
        raise UnreadableConfig(f"{where}not well-formed XML (truncated or damaged)", reason=Reason.truncated) \
            from None
    if root.tag != root_tag:
        raise UnreadableConfig(f"the root element is <{root.tag}>, not <{root_tag}>: not a {what} config.xml")
    depth = _depth(root)
    if depth > MAX_XML_DEPTH:
        raise UnreadableConfig(f"elements nested {depth} deep (at most {MAX_XML_DEPTH}): not a {what} config.xml")
    return root


def _depth(root: Element) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_XML_DEPTH:
            return depth
        stack.extend((child, depth + 1) for child in node)
    return deepest


def scrub_xml(root: Element) -> str:
    """The document with every secret element's text replaced by ``<removed>`` (the tree is copied, not changed)."""
    import copy

    clean = copy.deepcopy(root)
    for element in clean.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        lower = tag.lower()  # OPNsense's newer models capitalise some tags (<Key> of an IPsec pre-shared key)
        if lower in _NOT_SECRET:
            continue
        if (lower in _SECRET_TAGS or _SECRET_TAG.search(tag)) and (element.text or "").strip():
            element.text = REMOVED
        elif tag == "crt" and (element.text or "").strip():
            element.text = "<certificate omitted>"  # public, but long: it adds nothing to an audit
        for name in list(element.attrib):
            if _SECRET_TAG.search(name):
                element.attrib[name] = REMOVED
    return tostring(clean, encoding="unicode")


def text_of(node: Element | None, path: str, default: str | None = None) -> str | None:
    if node is None:
        return default
    found = node.find(path)
    if found is None:
        return default
    return (found.text or "").strip()


def present(node: Element | None, path: str) -> bool:
    return node is not None and node.find(path) is not None


def truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "on", "yes", "enabled", "enable", "true", "")


class ConfigXmlPlatform:
    """What pfSense and OPNsense share. Subclasses set the attributes and override the hooks."""

    name = ""
    aliases: tuple[str, ...] = ()
    vendor = ""
    root_tag = ""
    version_comment = re.compile(r"$^")  # Oxidized appends '<!-- pfSense 2.7.2-RELEASE -->'
    ssh_enable_path = "system/ssh/enable"

    def detect(self, text: str) -> bool:
        return re.search(rf"<{self.root_tag}[\s>]", text[:4096]) is not None

    def load(self, text: str) -> Element:
        return load_xml(text, self.root_tag, self.vendor)

    def sanitise(self, text: str, known_secrets: Iterable[str] = ()) -> str:
        """Scrub config.xml text; text that is not well-formed XML gets the generic pass only."""
        try:
            clean = scrub_xml(self.load(text))
        except UnreadableConfig:
            clean = text
        return scrub_common(clean, known_secrets)

    def version_from_text(self, text: str) -> str | None:
        m = self.version_comment.search(text[-512:])
        return m.group(1) if m else None

    def parse_backup(self, text: str) -> Facts:
        """Facts from a saved config.xml; UnreadableConfig when it cannot be read as one."""
        root = self.load(text)
        facts = self.facts(root)
        facts["firmware_version"] = self.version_from_text(text)
        return facts

    # ---------------------------------------------------------------- hooks (platform differences)

    def snmp(self, root: Element) -> tuple[bool | None, bool | None]:
        snmpd = root.find("snmpd")
        if snmpd is None:
            return False, False
        enabled = present(snmpd, "enable")
        community = (text_of(snmpd, "rocommunity") or "").lower()
        return enabled, community in DEFAULT_COMMUNITIES

    def log_targets(self, root: Element) -> list[str]:
        syslog = root.find("syslog")
        if syslog is None or not present(syslog, "enable"):
            return []
        return [f"syslog {v}" for key in ("remoteserver", "remoteserver2", "remoteserver3")
                if (v := text_of(syslog, key))]

    def web_filters(self, root: Element) -> list[str]:
        return []

    def mfa(self, root: Element, user: Element, authmode: str | None, servers: Mapping[str, str]) -> bool | None:
        return None

    def gui_listens_on(self, root: Element) -> set[str] | None:
        """Interfaces the GUI is bound to (None: all)."""
        return None

    def extra_rules(self, root: Element) -> list[Element]:
        """Rules kept outside <filter> (OPNsense's newer rule model), as <rule>-shaped elements."""
        return []

    # ---------------------------------------------------------------- shared reading

    def facts(self, root: Element) -> Facts:
        errors: list[str] = []
        facts: Facts = {"collection_errors": errors, "sources": [], "config_complete": True}
        system = root.find("system")
        hostname = text_of(system, "hostname")
        domain = text_of(system, "domain")
        facts["hostname"] = f"{hostname}.{domain}" if hostname and domain else hostname
        webgui = system.find("webgui") if system is not None else None
        protocol = (text_of(webgui, "protocol") or "https").lower()
        gui_port = text_of(webgui, "port") or ("443" if protocol == "https" else "80")
        ssh_on = truthy(text_of(root, self.ssh_enable_path)) if present(root, self.ssh_enable_path) else False
        snmp_on, default_community = self.snmp(root)
        facts["snmp_enabled"] = snmp_on
        facts["snmp_default_community"] = default_community
        facts["admin_http_redirect"] = protocol == "https" and not present(webgui, "disablehttpredirect")
        antilockout = not present(webgui, "noantilockout")
        facts["admin_gui_any_inside_host"] = antilockout

        # Interfaces and which face the internet.
        interfaces: list[dict[str, Any]] = []
        wan: set[str] = set()
        interfaces_node = root.find("interfaces")
        for element in list(interfaces_node) if interfaces_node is not None else []:
            name = element.tag
            if name.startswith("lo") or (text_of(element, "if") or "").startswith("lo"):
                continue
            descr = text_of(element, "descr")
            ipaddr = (text_of(element, "ipaddr") or "").lower()
            reason = None
            if name == "wan":
                reason = "the WAN interface"
            elif text_of(element, "gateway"):
                reason = "has an upstream gateway"
            elif ipaddr in ("dhcp", "pppoe", "pptp", "l2tp"):
                reason = f"address by {ipaddr.upper()} from a provider"
            elif descr and _WAN_DESCR.search(descr):
                reason = f"described {descr!r}"
            if reason:
                wan.add(name)
            role = "wan" if reason else ("lan" if name == "lan" else "unknown")
            interfaces.append({"name": name, "alias": descr, "role": role, "internet_facing": reason is not None,
                               "internet_facing_reason": reason, "admin_services": []})

        # Rules: inbound to inside hosts, to the firewall itself, and outbound.
        listen = self.gui_listens_on(root)
        services_on: dict[str, set[str]] = {i["name"]: set() for i in interfaces}
        gui_service = "https" if protocol == "https" else "http"
        enabled_services = {gui_service: gui_port, **({"ssh": "22"} if ssh_on else {}),
                            **({"snmp": "161"} if snmp_on else {})}
        if protocol == "https" and facts["admin_http_redirect"]:
            enabled_services["http"] = "80"
        if antilockout and "lan" in services_on:
            services_on["lan"].update(s for s in (gui_service, "ssh" if ssh_on else "") if s)
        inbound: list[dict[str, Any]] = []
        to_self: list[dict[str, Any]] = []
        outbound: list[dict[str, Any]] = []
        filter_node = root.find("filter")
        rules = [*(filter_node.findall("rule") if filter_node is not None else []), *self.extra_rules(root)]
        for rule in rules:
            if present(rule, "disabled") or (text_of(rule, "type") or "pass") != "pass":
                continue
            if text_of(rule, "associated-rule-id"):
                continue  # the pass rule pfSense adds for a port forward: the forward itself is listed below
            ifaces = [i for i in (text_of(rule, "interface") or "").split(",") if i]
            source, source_any = _endpoint(rule.find("source"))
            destination, destination_any = _endpoint(rule.find("destination"))
            port = text_of(rule, "destination/port") or ""
            label = text_of(rule, "descr") or text_of(rule, "tracker") or "rule"
            for iface in ifaces:
                if iface in wan:
                    self_dest = _to_self(rule.find("destination"), iface)
                    entry = {"name": label, "kind": "policy", "from_interface": iface, "to_interface": None,
                             "source": source, "destination": destination, "service": _service(rule, port),
                             "source_any": source_any, "destination_any": destination_any,
                             "service_any": not port, "to_firewall": self_dest}
                    if self_dest or destination_any:
                        reached = {svc for svc, svc_port in enabled_services.items() if not port or
                                   _port_matches(port, svc_port)}
                        if listen is not None and iface not in listen:
                            reached.discard(gui_service)
                            reached.discard("http")
                        if reached:
                            services_on.setdefault(iface, set()).update(reached)
                            to_self.append({**entry, "to_firewall": True})
                    if not self_dest:
                        inbound.append(entry)
                elif destination_any or not _internal(destination):
                    outbound.append({"name": label, "from_interface": iface, "to_interface": "any",
                                     "source": source, "web_filter": None, "dns_filter": None})
        nat = root.find("nat")
        for forward in nat.findall("rule") if nat is not None else []:
            if present(forward, "disabled"):
                continue
            iface = text_of(forward, "interface") or "wan"
            if iface not in wan:
                continue
            source, source_any = _endpoint(forward.find("source"))
            port = text_of(forward, "destination/port") or ""
            target = text_of(forward, "target") or "?"
            local = text_of(forward, "local-port") or port
            inbound.append({"name": text_of(forward, "descr") or f"port forward {port}", "kind": "port-forward",
                            "from_interface": iface, "to_interface": None, "source": source,
                            "destination": f"{target}:{local}" if local else target,
                            "service": _service(forward, port), "source_any": source_any,
                            "destination_any": False, "service_any": not port, "to_firewall": False})
        for item in interfaces:
            item["admin_services"] = [s for s in ("https", "http", "ssh", "telnet", "snmp")
                                      if s in services_on.get(item["name"], set())]
        facts["interfaces"] = interfaces
        facts["inbound_rules"] = inbound
        facts["wan_rules_to_firewall"] = to_self
        facts["outbound_policies"] = outbound
        facts["global_web_filters"] = self.web_filters(root)

        # Administrators, central login, MFA.
        authmode = text_of(webgui, "authmode")
        servers = {text_of(s, "name") or "": (text_of(s, "type") or "").lower()
                   for s in (system.findall("authserver") if system is not None else [])}
        central = {n for n, kind in servers.items() if kind in ("radius", "ldap")}
        facts["central_auth_servers"] = len(central)
        accounts = []
        admin_group_nodes = [g for g in (system.findall("group") if system is not None else [])
                             if any((p.text or "").strip() == "page-all" for p in g.findall("priv"))]
        admin_groups = {text_of(g, "name") for g in admin_group_nodes}
        admin_uids = {(m.text or "").strip() for g in admin_group_nodes for m in g.findall("member")}
        for user in system.findall("user") if system is not None else []:
            name = text_of(user, "name") or "?"
            if present(user, "disabled"):
                continue
            groups = {g.text.strip() for g in user.findall("groupname") if g.text}
            is_admin = bool(groups & admin_groups) or text_of(user, "uid") in admin_uids or any(
                (p.text or "").strip() == "page-all" for p in user.findall("priv"))
            if not is_admin:
                continue
            accounts.append({"name": name, "remote_auth": authmode in central,
                             "mfa": self.mfa(root, user, authmode, servers), "mfa_method": None,
                             "trusted_hosts": []})
        for account in accounts:
            if account["mfa"]:
                account["mfa_method"] = "totp"
        facts["admin_accounts"] = accounts

        # Login protection.
        threshold_text = text_of(system, "sshguard_threshold")
        block_text = text_of(system, "sshguard_blocktime")
        threshold = int(threshold_text) if threshold_text and threshold_text.isdigit() else DEFAULT_SSHGUARD_THRESHOLD
        block = int(block_text) if block_text and block_text.isdigit() else DEFAULT_SSHGUARD_BLOCKTIME_S
        facts["lockout_threshold_attempts"] = max(1, math.ceil(threshold / SSHGUARD_SCORE_PER_ATTEMPT))
        facts["lockout_duration_s"] = block
        facts["lockout_from_defaults"] = not threshold_text and not block_text

        # Logging, HA, failover.
        facts["remote_log_targets"] = self.log_targets(root)
        carp = [v for v in root.iter("vip") if (text_of(v, "mode") or "").lower() == "carp"]
        pfsync = truthy(text_of(root, "hasync/pfsyncenabled")) if text_of(root, "hasync/pfsyncenabled") else False
        sync_peer = text_of(root, "hasync/synchronizetoip") or text_of(root, "hasync/pfsyncpeerip")
        if carp or (pfsync and sync_peer):
            facts["ha_mode"] = "carp"
            facts["ha_members"] = 2 if sync_peer else None
        else:
            facts["ha_mode"] = "standalone"
            facts["ha_members"] = 1
        facts["ha_healthy"] = None
        gateways = root.find("gateways")
        facts["wan_failover"] = gateways is not None and gateways.find("gateway_group") is not None
        facts["collection_errors"] = join_errors(errors)
        return facts


def _endpoint(node: Element | None) -> tuple[str, bool]:
    """('description', is_any) of a <source>/<destination>."""
    if node is None or present(node, "any"):
        return "any", True
    negate = "not " if present(node, "not") else ""
    for key in ("network", "address"):
        value = text_of(node, key)
        if value:
            return f"{negate}{value}", value in ("any", "0.0.0.0/0") and not negate
    return "any", True


def _to_self(node: Element | None, iface: str) -> bool:
    if node is None:
        return False
    value = (text_of(node, "network") or text_of(node, "address") or "").lower()
    return value in ("(self)", "wanip", f"{iface}ip", "this firewall", "(self)")


def _internal(destination: str) -> bool:
    import ipaddress

    value = destination.removeprefix("not ")
    if value.endswith("ip") or value in ("lan", "(self)") or value.startswith("opt"):
        return True
    try:
        return ipaddress.ip_network(value, strict=False).is_private
    except ValueError:
        return False


def _service(rule: Element, port: str) -> str:
    protocol = text_of(rule, "protocol") or "any"
    return f"{protocol}/{port}" if port else protocol


def _port_matches(spec: str, port: str) -> bool:
    """'443', '80:443' or '80-443' against one port; an alias name matches nothing we can prove."""
    spec = spec.strip()
    if spec.isdigit():
        return spec == port
    m = re.fullmatch(r"(\d+)[:-](\d+)", spec)
    if m:
        return int(m.group(1)) <= int(port) <= int(m.group(2))
    return False
