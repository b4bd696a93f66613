"""FortiGate (FortiOS 6.4-7.6): everything about the platform in one place.

Names it is known by, how to recognise its backups, the read-only SSH commands and REST paths, how its
configuration is read into facts, and how its secrets are scrubbed. The configuration is read with the
tree parser in :mod:`probes.firewall.fortios_tree`; multi-VDOM backups (``config global`` plus one
``config vdom`` / ``edit NAME`` block per VDOM) and single-VDOM ones give the same facts.

A ``show`` backup omits settings left at their default; ``show full-configuration`` prints them. Both
are read the same way: a setting that is absent has FortiOS's default. A section that is absent is
only taken as "none configured" when the backup is evidently whole (it has the interface and admin
sections every FortiGate has); in a partial backup it makes the dependent facts unknown instead.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from probes.firewall.common import ADMIN_SERVICES, DEFAULT_COMMUNITIES, Facts, UnreadableConfig, join_errors
from probes.firewall.fortios_tree import Node, Tree, _open_quote, parse, parse_header, split_words
from probes.firewall.sanitise import REMOVED, scrub_common

# FortiOS defaults for settings a 'show' backup leaves out (FortiOS 6.4-7.6 CLI reference).
DEFAULT_LOCKOUT_THRESHOLD = 3
DEFAULT_LOCKOUT_DURATION_S = 60

_WAN_NAME = re.compile(r"^(wan\d*|internet\d*|x\d+)$", re.IGNORECASE)
_WAN_ALIAS = re.compile(r"\b(wan\d*|internet|isp\d*|outside|broadband|leased[- ]line)\b", re.IGNORECASE)
_ANY_ADDRESS = {"all", "any", "all_ipv4", "all_ipv6", "0.0.0.0/0"}
_ANY_SERVICE = {"all", "any"}
_MFA = {"fortitoken", "fortitoken-cloud", "email", "sms"}

# Setting names whose value is a secret. Generous on purpose: hiding a harmless value costs nothing.
_SECRET_KEY = re.compile(
    r"(pass|secret|psk|pwd|private-key|public-key|(^|-)key($|-|\d)|token-|community|passphrase)", re.IGNORECASE
)


class FortiOS:
    """The FortiGate platform."""

    name = "fortinet"
    aliases = ("fortinet", "fortigate", "fortios", "fortinet_ssh")
    vendor = "Fortinet"
    netmiko_device_type = "fortinet"
    # SSH: what the probe sends, in order. 'config global' / 'end' only move the CLI between the global and
    # VDOM contexts in multi-VDOM mode; they change nothing and are allowed only as exactly these words.
    ssh_commands = ("get system status", "get system ha status", "show full-configuration")
    ssh_context_commands = ("config global", "end")
    config_output = "show full-configuration"  # the output that holds the configuration text
    # REST (read-only token): monitor and cmdb GETs only.
    rest_paths = {
        "status": "/api/v2/monitor/system/status",
        "ha": "/api/v2/monitor/system/ha-peer",
        "config": "/api/v2/monitor/system/config/backup?scope=global",
    }

    def detect(self, text: str) -> bool:
        head = text[:4096]
        return bool(
            re.search(r"^#config-version=FG", head, re.MULTILINE)
            or re.search(r"^#?\s*Version:\s*Forti(Gate|WiFi|OS)", head, re.MULTILINE)
            or re.search(r"^config system (global|interface|admin)\s*$", text[:200_000], re.MULTILINE)
        )

    # ------------------------------------------------------------------------------------------ parse

    def parse_backup(self, text: str) -> Facts:
        """Facts from a saved backup: Oxidized's status header plus the configuration, or the bare configuration."""
        return self.parse_outputs({"show full-configuration": text})

    def parse_outputs(self, outputs: Mapping[str, str]) -> Facts:
        """Facts from the outputs of the SSH commands (or a backup, given as the configuration)."""
        config_text = outputs.get("show full-configuration") or outputs.get("show") or ""
        tree = parse(config_text)
        if not tree.root.sections:
            first = next((line.strip() for line in config_text.splitlines() if line.strip()), "")[:60]
            raise UnreadableConfig(f"no 'config ...' section in it (it starts {first!r}): not a FortiOS configuration"
                                   if first else "it is empty: not a FortiOS configuration")
        status = parse_header(tree.header)
        for command in ("get system status", "get system ha status"):
            if command in outputs:
                status.update(parse_header(outputs[command].splitlines()))
        return facts_from_tree(tree, status)

    # ------------------------------------------------------------------------------------------ scrub

    def sanitise(self, text: str, known_secrets: Iterable[str] = ()) -> str:
        return scrub_common(scrub_config(text), known_secrets)


PLATFORM = FortiOS()


def scrub_config(text: str) -> str:
    """FortiOS configuration text with every secret value replaced by ``<removed>`` (keys are kept).

    One pass over the lines, splitting only what it needs (a 50,000-line backup is common)."""
    out: list[str] = []
    path: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i, n = 0, len(lines)
    while i < n:
        raw = lines[i]
        i += 1
        while _open_quote(raw) and i < n:  # a quoted value (a key, a certificate) runs over several lines
            raw = raw + "\n" + lines[i]
            i += 1
        stripped = raw.lstrip()
        if stripped.startswith("config "):
            path.append(" ".join(split_words(stripped)[1:]))
        elif stripped.rstrip() == "end" and path:
            path.pop()
        elif stripped.startswith(("set ", "append ")):
            parts = stripped.split(None, 2)
            if len(parts) == 3:
                command, key, rest = parts
                if (_SECRET_KEY.search(key) or rest.startswith("ENC ") or "PRIVATE KEY" in rest
                        or (key == "name" and path and path[-1].endswith("snmp community"))):
                    out.append(f"{raw[: len(raw) - len(stripped)]}{command} {key} {REMOVED}")
                    continue
        out.append(raw)
    return "\n".join(out)


def _scopes(tree: Tree) -> tuple[Node, dict[str, Node], bool]:
    """(global scope, {vdom: scope}, multi_vdom). In single-VDOM mode everything is at the root."""
    root = tree.root
    glob = root.section("global")
    vdom = root.section("vdom")
    if glob is not None or (vdom is not None and any(e.sections for e in vdom.entries.values())):
        vdoms = {name: node for name, node in (vdom.entries.items() if vdom else [])}
        return glob or Node(line=0), vdoms, True
    return root, {"root": root}, False


def _all_sections(glob: Node, vdoms: Mapping[str, Node], path: str) -> list[tuple[str | None, Node]]:
    found: list[tuple[str | None, Node]] = []
    if (node := glob.section(path)) is not None:
        found.append((None, node))
    for name, scope in vdoms.items():
        if scope is glob:
            continue
        if (node := scope.section(path)) is not None:
            found.append((name, node))
    return found


def _version(status: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(model, firmware version) from 'Version: FortiGate-3001F v7.4.8,build2795,...' or #config-version."""
    model = version = None
    text = status.get("Version", "")
    m = re.match(r"^\s*(\S+)\s+v(\d+\.\d+\.\d+)", text)
    if m:
        model, version = m.group(1), m.group(2)
    cv = status.get("config-version", "")
    m2 = re.match(r"^([A-Z0-9]+)-(\d+\.\d+\.\d+)-", cv)
    if m2 and version is None:
        version = m2.group(2)
    return model, version


def _cidr(words: list[str]) -> str | None:
    """['10.0.0.0', '255.255.255.0'] or ['10.0.0.0/24'] -> '10.0.0.0/24'; None for any (0.0.0.0/0)."""
    if not words:
        return None
    try:
        spec = words[0] if len(words) == 1 else f"{words[0]}/{words[1]}"
        net = ipaddress.ip_network(spec, strict=False)
    except ValueError:
        return " ".join(words)
    if net.prefixlen == 0:
        return None
    return str(net)


def facts_from_tree(tree: Tree, status: Mapping[str, str]) -> Facts:
    facts: Facts = {"collection_errors": [], "sources": []}
    errors: list[str] = facts["collection_errors"]
    errors.extend(tree.problems[:5])
    facts["config_complete"] = tree.complete if tree.lines else None
    glob, vdoms, multi = _scopes(tree)
    if multi:
        facts["vdoms"] = sorted(vdoms)
    model, version = _version(status)
    facts["model"] = model
    facts["firmware_version"] = version
    facts["serial"] = status.get("Serial-Number") or None
    system_global = glob.section("system global")
    facts["hostname"] = (system_global.get("hostname") if system_global else None) or status.get("Hostname") or None
    if not tree.lines:
        errors.append("no configuration text to read")
    interfaces_node = glob.section("system interface")
    admins_node = glob.section("system admin")
    # A whole backup always has interfaces and admins; without them absence proves nothing.
    # A truncated one is not whole either: what came after the cut is missing, not absent.
    whole = (interfaces_node is not None and interfaces_node.complete and admins_node is not None
             and tree.complete)
    missing = [name for name, node in (("system interface", interfaces_node), ("system admin", admins_node),
                                       ("system global", system_global)) if node is None]
    if tree.lines and missing:
        errors.append("the configuration has no " + " or ".join(f"'config {m}'" for m in missing)
                      + " section: a partial backup, so settings missing from it cannot be judged")

    def optional(path: str, scope: Node = glob) -> Node | None | bool:
        """The section; False when a whole backup simply has none; None when that cannot be known."""
        node = scope.section(path)
        if node is not None:
            return node if node.complete else None
        return False if whole else None

    # ---------------------------------------------------------------- interfaces and where the internet is
    default_route_devices: set[str] = set()
    sdwan_members: set[str] = set()
    for _vdom, routes in _all_sections(glob, vdoms, "router static"):
        for entry in routes.entries.values():
            route_dst = _cidr(entry.words("dst")) if entry.words("dst") else None
            if route_dst is None and entry.get("status") != "disable" and entry.get("device"):
                default_route_devices.add(entry.get("device") or "")
    for path in ("system sdwan", "system virtual-wan-link"):
        for _vdom, sdwan in _all_sections(glob, vdoms, path):
            member_table = sdwan.section("members")
            if sdwan.get("status") == "enable" and member_table is not None:
                sdwan_members.update(e.get("interface") or "" for e in member_table.entries.values())
    sdwan_members.discard("")
    sdwan_zones: set[str] = set()
    if sdwan_members:
        # Policies send traffic to the SD-WAN zone, not to its member interfaces.
        sdwan_zones.add("virtual-wan-link")
        for _vdom, sdwan in _all_sections(glob, vdoms, "system sdwan"):
            zones = sdwan.section("zone")
            sdwan_zones.update(zones.entries if zones is not None else ())
    ha_node = glob.section("system ha")
    hb_devices = set(ha_node.words("hbdev")[::2]) if ha_node is not None else set()
    interfaces: list[dict[str, Any]] | None = None
    if interfaces_node is not None and interfaces_node.complete:
        interfaces = []
        for name, entry in interfaces_node.entries.items():
            alias = entry.get("alias")
            role = entry.get("role") or "unknown"
            if role == "undefined":
                role = "unknown"
            if entry.get("dedicated-to") == "management" or name.lower() in ("mgmt", "mgmt1", "mgmt2"):
                role = "mgmt"
            if name in hb_devices or name.lower() in ("ha", "ha1", "ha2"):
                role = "ha"
            reason = None
            if entry.get("role") == "wan":
                reason = "role wan"
            elif name in default_route_devices:
                reason = "default route"
            elif name in sdwan_members:
                reason = "SD-WAN member"
            elif _WAN_NAME.match(name) and role not in ("mgmt", "ha"):
                reason = f"named {name}"
            elif alias and _WAN_ALIAS.search(alias) and role not in ("mgmt", "ha"):
                reason = f"alias {alias!r}"
            if reason and role == "unknown":
                role = "wan"
            services = [s for s in ADMIN_SERVICES if s in {w.lower() for w in entry.words("allowaccess")}]
            if entry.get("status") == "down":
                services = []
            interfaces.append({"name": name, "alias": alias, "vdom": entry.get("vdom"),
                               "role": role if role in ("wan", "lan", "dmz", "mgmt", "ha") else "unknown",
                               "internet_facing": reason is not None, "internet_facing_reason": reason,
                               "admin_services": services})
    elif interfaces_node is not None:
        errors.append("'config system interface' is cut off: the interfaces cannot be read")
    facts["interfaces"] = interfaces
    wan_names = {i["name"] for i in interfaces or [] if i["internet_facing"]} | sdwan_zones
    if system_global is not None and system_global.complete:
        facts["admin_http_redirect"] = system_global.get("admin-https-redirect", "enable") == "enable"
        threshold = system_global.get("admin-lockout-threshold")
        duration = system_global.get("admin-lockout-duration")
        facts["lockout_threshold_attempts"] = int(threshold) if threshold and threshold.isdigit() \
            else DEFAULT_LOCKOUT_THRESHOLD
        facts["lockout_duration_s"] = int(duration) if duration and duration.isdigit() else DEFAULT_LOCKOUT_DURATION_S
        facts["lockout_from_defaults"] = threshold is None and duration is None

    # ---------------------------------------------------------------- administrators and how they log in
    if admins_node is not None and admins_node.complete:
        accounts = []
        for name, entry in admins_node.entries.items():
            remote = entry.get("remote-auth") == "enable" or entry.get("wildcard") == "enable"
            method = entry.get("two-factor")
            mfa: bool | None = method in _MFA
            if not mfa and remote:
                mfa = None  # the RADIUS/TACACS+ server may ask for a second factor: not visible here
            hosts = [c for key in sorted(entry.settings) if re.fullmatch(r"(ip6-)?trusthost\d+", key)
                     if (c := _cidr(entry.words(key))) is not None and not c.startswith("::/0")]
            accounts.append({"name": name, "remote_auth": remote, "mfa": mfa,
                             "mfa_method": method if method in _MFA else None, "trusted_hosts": hosts})
        facts["admin_accounts"] = accounts
    servers = 0
    seen_any = False
    for path in ("user radius", "user tacacs+", "user ldap"):
        for _vdom, node in _all_sections(glob, vdoms, path):
            seen_any = True
            servers += len(node.entries)
    facts["central_auth_servers"] = servers if (seen_any or whole) else None

    # ---------------------------------------------------------------- SNMP
    sysinfo = optional("system snmp sysinfo")
    communities = optional("system snmp community")
    if sysinfo is not None and communities is not None:
        snmp_on = bool(sysinfo) and sysinfo.get("status") == "enable"  # type: ignore[union-attr]
        defaults = [e for e in (communities.entries.values() if communities else [])  # type: ignore[union-attr]
                    if (e.get("name") or "").lower() in DEFAULT_COMMUNITIES and e.get("status") != "disable"]
        facts["snmp_enabled"] = snmp_on or any("snmp" in i["admin_services"] for i in interfaces or [])
        facts["snmp_default_community"] = bool(defaults)

    # ---------------------------------------------------------------- logging
    targets: list[str] = []
    readable = whole
    for path, label in (("log syslogd setting", "syslog"), ("log syslogd2 setting", "syslog"),
                        ("log syslogd3 setting", "syslog"), ("log syslogd4 setting", "syslog"),
                        ("log fortianalyzer setting", "FortiAnalyzer"), ("log fortianalyzer2 setting", "FortiAnalyzer"),
                        ("log fortianalyzer3 setting", "FortiAnalyzer"),
                        ("log fortianalyzer-cloud setting", "FortiAnalyzer Cloud"),
                        ("log fortiguard setting", "FortiGate Cloud")):
        for _vdom, node in _all_sections(glob, vdoms, path):
            readable = True
            if node.get("status") == "enable":
                server = node.get("server")
                targets.append(f"{label} {server}" if server else label)
    facts["remote_log_targets"] = targets if readable else None

    # ---------------------------------------------------------------- HA and failover
    mode: str | None = None
    members: int | None = None
    healthy: bool | None = None
    ha_status = status.get("Current HA mode")
    if ha_status:
        mode = ha_status.split(",")[0].strip().lower()
    elif ha_node is not None:
        mode = ha_node.get("mode", "standalone")
    elif whole:
        mode = "standalone"
    if status.get("number of member"):
        digits = re.match(r"\d+", status["number of member"])
        members = int(digits.group(0)) if digits else None
    elif mode == "standalone":
        members = 1
    if "HA Health Status" in status:
        healthy = status["HA Health Status"].strip().upper() == "OK"
    facts["ha_mode"] = mode
    facts["ha_members"] = members
    facts["ha_healthy"] = healthy
    facts["wan_failover"] = (len(sdwan_members) >= 2 or len(default_route_devices) >= 2) if (whole or sdwan_members
                                                                                             or default_route_devices) \
        else None

    # ---------------------------------------------------------------- policies
    vips: dict[str, str] = {}
    for _vdom, vip_node in _all_sections(glob, vdoms, "firewall vip"):
        for name, entry in vip_node.entries.items():
            ext = f"{entry.get('extip') or '?'}:{entry.get('extport')}" if entry.get("portforward") == "enable" \
                else entry.get("extip") or "?"
            mapped = " ".join(entry.words("mappedip")) or "?"
            if entry.get("portforward") == "enable":
                mapped = f"{mapped}:{entry.get('mappedport') or entry.get('extport')}"
            vips[name] = f"{ext} -> {mapped}"
    inbound: list[dict[str, Any]] = []
    outbound: list[dict[str, Any]] = []
    policy_readable = bool(interfaces is not None)
    for vdom_name, scope in vdoms.items():
        for path in ("firewall policy", "firewall security-policy"):
            policy_node = scope.section(path)
            if policy_node is None:
                continue
            if not policy_node.complete:
                policy_readable = False
                errors.append(f"'config {path}' is cut off: its rules cannot all be read")
                continue
            for pid, entry in policy_node.entries.items():
                if entry.get("action") != "accept" or entry.get("status") == "disable":
                    continue
                src_if = entry.words("srcintf")
                dst_if = entry.words("dstintf")
                src = entry.words("srcaddr") + entry.words("srcaddr6")
                dst = entry.words("dstaddr") + entry.words("dstaddr6")
                service = entry.words("service") or ["ALL"]
                label = entry.get("name") or f"policy {pid}"
                from_wan = any(i in wan_names or i == "any" for i in src_if)
                to_wan = any(i in wan_names for i in dst_if)
                vdom_label = vdom_name if multi else None
                if from_wan and not to_wan:
                    shown_dst = [f"{d} ({vips[d]})" if d in vips else d for d in dst]
                    inbound.append({
                        "name": label, "kind": "vip" if any(d in vips for d in dst) else "policy", "vdom": vdom_label,
                        "from_interface": ",".join(src_if), "to_interface": ",".join(dst_if),
                        "source": ",".join(src) or "all", "destination": ",".join(shown_dst) or "all",
                        "service": ",".join(service) or "ALL",
                        "source_any": not src or any(s.lower() in _ANY_ADDRESS for s in src),
                        "destination_any": not dst or any(d.lower() in _ANY_ADDRESS for d in dst),
                        "service_any": not service or any(s.lower() in _ANY_SERVICE for s in service),
                    })
                elif to_wan and not from_wan:
                    utm_off = entry.get("utm-status") == "disable"
                    outbound.append({
                        "name": label, "vdom": vdom_label, "from_interface": ",".join(src_if),
                        "to_interface": ",".join(dst_if), "source": ",".join(src) or "all",
                        "web_filter": None if utm_off else entry.get("webfilter-profile"),
                        "dns_filter": None if utm_off else entry.get("dnsfilter-profile"),
                    })
    have_policies = any(s.section(p) is not None for s in vdoms.values()
                        for p in ("firewall policy", "firewall security-policy"))
    if policy_readable and (have_policies or whole):
        facts["inbound_rules"] = inbound
        facts["wan_rules_to_firewall"] = []  # FortiOS reaches its own services through allowaccess, judged above
        facts["outbound_policies"] = outbound
        facts["global_web_filters"] = []
    elif tree.lines and not have_policies:
        errors.append("the configuration has no 'config firewall policy' section: the rules cannot be judged")
    facts["collection_errors"] = join_errors(errors)
    return facts


# ------------------------------------------------------------------------------------------ REST API

# cmdb path -> configuration section. The same sections the CLI backup has, so one reader serves both.
CMDB_GLOBAL = {
    "system/global": "system global", "system/interface": "system interface", "system/admin": "system admin",
    "system/ha": "system ha", "system.snmp/sysinfo": "system snmp sysinfo",
    "system.snmp/community": "system snmp community", "user/radius": "user radius", "user/tacacs+": "user tacacs+",
    "user/ldap": "user ldap", "log.syslogd/setting": "log syslogd setting",
    "log.fortianalyzer/setting": "log fortianalyzer setting", "log.fortiguard/setting": "log fortiguard setting",
    "system/sdwan": "system sdwan",
}
CMDB_VDOM = {"firewall/policy": "firewall policy", "firewall/vip": "firewall vip", "router/static": "router static"}
# Settings whose value is a list of words in the CLI ("ping https ssh", "10.0.0.0 255.255.255.0").
_SPLIT = re.compile(r"^(allowaccess|ip6?-?allowaccess|ip|ip6-address|(ip6-)?trusthost\d+|dst|subnet|hbdev|"
                    r"mappedip|extip)$")
_ENTRY_KEYS = ("name", "policyid", "seq-num", "id", "q_origin_key")


def node_from_cmdb(value: Any) -> Node:
    """A REST ``results`` value (an object, or a table as a list) as a configuration Node."""
    if isinstance(value, list):
        table = Node(line=0, complete=True)
        for index, item in enumerate(value):
            if isinstance(item, dict):
                key = next((str(item[k]) for k in _ENTRY_KEYS if k in item), str(index))
                table.entries[key] = node_from_cmdb(item)
        return table
    node = Node(line=0, complete=True)
    for key, item in (value.items() if isinstance(value, dict) else []):
        if key == "q_origin_key":
            continue
        if isinstance(item, list):
            if all(isinstance(v, dict) and set(v) <= {"name", "q_origin_key"} for v in item):
                node.settings[key] = [str(v.get("name", v.get("q_origin_key"))) for v in item]
            else:
                node.sections[key] = node_from_cmdb(item)
        elif isinstance(item, dict):
            node.sections[key] = node_from_cmdb(item)
        elif item is not None:
            text = str(item)
            node.settings[key] = text.split() if _SPLIT.match(key) else [text]
    return node


def collect_api(settings: Any) -> tuple[Facts, str | None]:
    """Facts from the FortiOS REST API with a read-only token; ApiError when the device cannot be read at all."""
    from urllib.parse import quote

    from contract.errors import Reason
    from probes.firewall.fortios_tree import Tree
    from probes.firewall.rest import ApiClient, ApiError

    client = ApiClient(settings.host, settings.port, headers={"Authorization": f"Bearer {settings.api_token}"},
                       ca_file=settings.ca_file, fingerprint_sha256=settings.fingerprint_sha256,
                       timeout_s=settings.timeout_s)
    errors: list[str] = []
    try:
        status_body = client.get_json("/api/v2/monitor/system/status")
        vdoms = list(settings.vdoms) or ["root"]
        multi = vdoms != ["root"]
        root = Node(line=0, complete=True)
        glob = Node(line=0, complete=True) if multi else root
        if multi:
            root.sections["global"] = glob
            root.sections["vdom"] = Node(line=0, complete=True)

        def read(path: str, params: dict[str, str]) -> Node | None:
            try:
                body = client.get_json(f"/api/v2/cmdb/{quote(path, safe='/.')}", params=params)
            except ApiError as exc:
                if exc.reason in (Reason.auth_failed, Reason.tls_untrusted, Reason.unreachable):
                    raise
                errors.append(str(exc))
                return None
            return node_from_cmdb(body.get("results", {}) if isinstance(body, dict) else {})

        for path, section in CMDB_GLOBAL.items():
            node = read(path, {"global": "1"} if multi else {})
            if node is not None:
                glob.sections[section] = node
        for vdom in vdoms:
            scope = root if not multi else Node(line=0, complete=True)
            if multi:
                root.sections["vdom"].entries[vdom] = scope
            for path, section in CMDB_VDOM.items():
                node = read(path, {"vdom": vdom})
                if node is not None:
                    scope.sections[section] = node
        ha_members: int | None = None
        try:
            peers = client.get_json("/api/v2/monitor/system/ha-peer")
            if isinstance(peers, dict) and isinstance(peers.get("results"), list):
                ha_members = len(peers["results"])
        except ApiError as exc:
            if exc.reason in (Reason.auth_failed, Reason.tls_untrusted, Reason.unreachable):
                raise
            errors.append(str(exc))
    finally:
        client.close()
    results = status_body.get("results", {}) if isinstance(status_body, dict) else {}
    model = results.get("model") or (f"FortiGate-{results['model_number']}" if results.get("model_number") else "")
    version = str(status_body.get("version", "")) if isinstance(status_body, dict) else ""
    status = {"Version": f"{model or 'FortiGate'} {version},build{status_body.get('build', '')}",
              "Serial-Number": str(status_body.get("serial") or ""), "Hostname": str(results.get("hostname") or "")}
    ha = glob.section("system ha")
    mode = ha.get("mode", "standalone") if ha is not None else None
    if mode:
        status["Current HA mode"] = mode
    if ha_members is not None and mode and mode != "standalone":
        status["number of member"] = str(ha_members)
    facts = facts_from_tree(Tree(root=root, header=[], problems=[], open_at_end=[], lines=1), status)
    facts["collection_errors"] = join_errors([*errors, *facts["collection_errors"]])
    if not version:
        facts["collection_errors"].append("the API's system status did not give a FortiOS version")
    facts["configuration_omitted"] = "read through the REST API (tables), not a configuration backup"
    return facts, None
