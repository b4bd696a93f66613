"""Firewall checks over one firewall's own configuration (``firewall.config`` evidence).

A field the configuration did not show is ``unknown`` with the collection problem as the reason, never a
guess. Figures DfE states (10 guesses in 5 minutes) are DfE's; where a check goes beyond DfE's text the
standards map labels it good practice.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import yaml

from contract.evidence.firewall_config import FirewallConfig, FirewallRule
from standards_map.checks import check
from standards_map.outcome import Outcome, failed, not_applicable, passed, unknown, warned

DFE_MAX_GUESSES = 10  # CS-4: "no more than 10 guesses in 5 minutes"
DFE_WINDOW_S = 300
TERM_DAYS = 122  # a school term: DfE asks for firmware to be checked termly


def _why(ev: FirewallConfig, *about: str) -> str:
    """The collection problems behind an unknown, those mentioning ``about`` first (empty when there were none)."""
    if not ev.collection_errors:
        return ""
    relevant = [e for e in ev.collection_errors if any(word in e for word in about)] or ev.collection_errors
    return " Reason: " + "; ".join(relevant[:2]) + "."


def _names(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _wan(ev: FirewallConfig) -> list[Any] | None:
    if ev.interfaces is None:
        return None
    return [i for i in ev.interfaces if i.internet_facing]


@check(evidence=FirewallConfig)
def firewall_admin_not_on_wan(ev: FirewallConfig) -> Outcome:
    """No management service (HTTPS, HTTP, SSH, SNMP, telnet) answers on an internet-facing interface."""
    wan = _wan(ev)
    if wan is None:
        return unknown("Could not read the firewall's interfaces." + _why(ev, "interface"))
    if not wan:
        return unknown("No interface could be identified as facing the internet (no WAN role, name or default "
                       "route in the configuration).")
    exposed = [f"{i.name}{f' ({i.alias})' if i.alias else ''}: {', '.join(i.admin_services)}"
               for i in wan if i.admin_services]
    rules = [r.name for r in ev.wan_rules_to_firewall or []]
    if exposed:
        extra = f" through rule(s) {_names(rules)}" if rules else ""
        return failed(f"Management is open on the internet-facing side{extra}: {'; '.join(exposed)}.",
                      measured="; ".join(exposed), expected="no admin service on WAN")
    names = ", ".join(i.name + (f" ({i.alias})" if i.alias else "") for i in wan)
    return passed(f"No management service answers on the internet-facing interface(s) {names}.",
                  measured="none on WAN")


@check(evidence=FirewallConfig)
def firewall_admin_encrypted_only(ev: FirewallConfig) -> Outcome:
    """Management is never offered in clear text (no telnet, no plain-HTTP admin page)."""
    if ev.interfaces is None:
        return unknown("Could not read the firewall's interfaces." + _why(ev, "interface"))
    telnet = [i.name for i in ev.interfaces if "telnet" in i.admin_services]
    http = [i.name for i in ev.interfaces if "http" in i.admin_services]
    if telnet:
        return failed(f"Telnet management is on ({_names(telnet)}): passwords cross the network in clear text.",
                      measured=f"telnet on {len(telnet)} interface(s)")
    if http and ev.admin_http_redirect is False:
        return failed(f"The admin page is served over plain HTTP ({_names(http)}): passwords cross the network "
                      "in clear text.", measured=f"http on {len(http)} interface(s)")
    if http:
        return passed(f"Management is encrypted (HTTPS and SSH); plain HTTP on {_names(http)} only redirects to "
                      "HTTPS.", measured="http redirects to https")
    return passed("Management is encrypted only (no telnet, no plain-HTTP admin page).")


@check(evidence=FirewallConfig)
def firewall_admin_trusted_hosts(ev: FirewallConfig) -> Outcome:
    """Administrator logins are accepted only from listed management addresses."""
    if ev.admin_accounts is None:
        return unknown("Could not read the administrator accounts." + _why(ev, "admin"))
    if not ev.admin_accounts:
        return unknown("No administrator account is in the configuration.")
    if ev.platform in ("pfsense", "opnsense"):
        if ev.admin_gui_any_inside_host:
            return warned("Any computer on the inside network can open the admin page (the anti-lockout rule is "
                          "on and there is no allow-list of admin addresses).", measured="any inside host")
        return passed("The admin page is reachable only where a rule allows it (anti-lockout rule off).")
    open_accounts = [a.name for a in ev.admin_accounts if not a.trusted_hosts]
    if open_accounts:
        return warned(f"{len(open_accounts)} of {len(ev.admin_accounts)} administrator account(s) can log in from "
                      f"any address ({_names(open_accounts)}): set trusted hosts.",
                      measured=f"{len(ev.admin_accounts) - len(open_accounts)}/{len(ev.admin_accounts)} restricted")
    return passed(f"All {len(ev.admin_accounts)} administrator account(s) are limited to trusted hosts.")


@check(evidence=FirewallConfig)
def firewall_admin_mfa(ev: FirewallConfig) -> Outcome:
    """Administrators log in with a second factor ("MFA on the admin interface where available")."""
    if ev.admin_accounts is None:
        return unknown("Could not read the administrator accounts." + _why(ev, "admin"))
    if not ev.admin_accounts:
        return unknown("No administrator account is in the configuration.")
    without = [a.name for a in ev.admin_accounts if a.mfa is False]
    unseen = [a.name for a in ev.admin_accounts if a.mfa is None]
    total = len(ev.admin_accounts)
    measured = f"{total - len(without) - len(unseen)}/{total} with MFA"
    if without:
        how = {"fortinet": "FortiToken, email or SMS two-factor", "opnsense": "a TOTP authentication server",
               "pfsense": "a RADIUS server with one-time passwords"}[ev.platform]
        return failed(f"{len(without)} of {total} administrator account(s) log in with a password alone "
                      f"({_names(without)}); MFA is available on this firewall ({how}).", measured=measured)
    if unseen:
        return unknown(f"{len(unseen)} administrator account(s) log in through a RADIUS/TACACS+ server "
                       f"({_names(unseen)}); whether it asks for a second factor is not in the firewall's "
                       "configuration.", measured=measured)
    return passed(f"All {total} administrator account(s) use a second factor.", measured=measured)


@check(evidence=FirewallConfig)
def firewall_central_admin_auth(ev: FirewallConfig) -> Outcome:
    """Administrators log in with their own accounts on a central server (RADIUS, TACACS+ or LDAP)."""
    if ev.admin_accounts is None or ev.central_auth_servers is None:
        return unknown("Could not read the administrator accounts and authentication servers." + _why(ev, "admin"))
    remote = [a.name for a in ev.admin_accounts if a.remote_auth]
    if ev.central_auth_servers and remote:
        return passed(f"Administrators log in through {ev.central_auth_servers} central authentication server(s) "
                      f"({_names(remote)}).")
    if ev.central_auth_servers:
        return failed(f"{ev.central_auth_servers} authentication server(s) are configured, but no administrator "
                      "account uses them: admin accounts are local to the firewall.")
    return failed("No RADIUS, TACACS+ or LDAP server: administrator accounts are local to the firewall.")


def guesses_per_window(threshold: int, duration_s: int, window_s: int = DFE_WINDOW_S) -> int | None:
    """How many passwords an attacker can try in ``window_s``: ``threshold`` tries, then a lockout of
    ``duration_s``, again and again. None when there is no lockout at all (unlimited)."""
    if threshold <= 0 or duration_s <= 0:
        return None
    return threshold * math.ceil(window_s / duration_s)


@check(evidence=FirewallConfig)
def firewall_admin_lockout(ev: FirewallConfig) -> Outcome:
    """Password guessing is limited: no more than 10 guesses in 5 minutes (DfE CS-4)."""
    if ev.lockout_threshold_attempts is None or ev.lockout_duration_s is None:
        return unknown("Could not read the login lockout settings." + _why(ev, "global"))
    threshold, duration = ev.lockout_threshold_attempts, ev.lockout_duration_s
    source = " (the platform's defaults: not set in the configuration)" if ev.lockout_from_defaults else ""
    setting = f"lockout after {threshold} failed attempt(s) for {duration} s{source}"
    guesses = guesses_per_window(threshold, duration)
    expected = f"<= {DFE_MAX_GUESSES} guesses in 5 minutes"
    if guesses is None:
        return failed(f"Failed logins never lock anyone out: guessing is unlimited ({setting}).",
                      measured="unlimited", expected=expected)
    measured = f"{guesses} guesses in 5 minutes"
    if guesses <= DFE_MAX_GUESSES:
        return passed(f"At most {guesses} password guesses are possible in 5 minutes ({setting}).", measured, expected)
    fix = {"fortinet": "set admin-lockout-duration to 300 or more in 'config system global'",
           "opnsense": "raise the login protection block time to 300 s or more",
           "pfsense": "raise the login protection block time to 300 s or more"}[ev.platform]
    return failed(f"An attacker can try {guesses} passwords in 5 minutes ({setting}); DfE allows no more than 10: "
                  f"{fix}.", measured, expected)


def _rule_text(rule: FirewallRule) -> str:
    where = f"{rule.vdom}/" if rule.vdom else ""
    return f"{where}{rule.name} [{rule.source} -> {rule.destination} {rule.service}]"


@check(evidence=FirewallConfig)
def firewall_inbound_default_deny(ev: FirewallConfig) -> Outcome:
    """Unrequested connections from the internet are blocked by default; nothing inside is open to any source on
    every port, and every published service is listed."""
    if ev.inbound_rules is None:
        return unknown("Could not read the firewall rules." + _why(ev, "policy", "rule"))
    wan = _wan(ev)
    if wan is not None and not wan:
        return unknown("No interface could be identified as facing the internet, so inbound rules cannot be told "
                       "apart.")
    wide = [r for r in ev.inbound_rules if r.source_any and (r.destination_any or r.service_any)]
    published = [r for r in ev.inbound_rules if r not in wide]
    if wide:
        return failed(f"{len(wide)} rule(s) let anyone on the internet in without limit: "
                      f"{'; '.join(_rule_text(r) for r in wide[:3])}.",
                      measured=f"{len(wide)} open rule(s)", expected="no accept from any source to any host/port")
    if published:
        return passed(f"Inbound traffic is blocked by default; {len(published)} published service(s), each to be "
                      f"documented and reviewed every term: {'; '.join(_rule_text(r) for r in published[:5])}"
                      f"{' ...' if len(published) > 5 else ''}.", measured=f"{len(published)} published service(s)")
    return passed("Inbound traffic from the internet is blocked: no rule accepts it.", measured="0 inbound rules")


@check(evidence=FirewallConfig)
def firewall_snmp_default_community_absent(ev: FirewallConfig) -> Outcome:
    """No SNMP community is a well-known default (public, private)."""
    if ev.snmp_default_community is None:
        return unknown("Could not read the SNMP settings." + _why(ev, "partial"))
    if ev.snmp_default_community and ev.snmp_enabled:
        return failed("SNMP answers to a default community (public/private): anyone can read the firewall's "
                      "settings and tables.")
    if ev.snmp_default_community:
        return warned("SNMP is off, but the stored community is a default (public/private): change it before "
                      "SNMP is ever turned on.")
    return passed("No default SNMP community is configured.")


@check(evidence=FirewallConfig)
def firewall_remote_logging_configured(ev: FirewallConfig) -> Outcome:
    """The firewall sends its logs to a remote server (syslog, FortiAnalyzer, a cloud log service)."""
    if ev.remote_log_targets is None:
        return unknown("Could not read the logging settings." + _why(ev, "partial"))
    if ev.remote_log_targets:
        return passed(f"Logs go to {_names(ev.remote_log_targets)}.",
                      measured=f"{len(ev.remote_log_targets)} target(s)")
    return failed("The firewall keeps its logs only on itself: nothing is sent to a log server, so traffic cannot "
                  "be monitored and logs are lost when it fails.", measured="0 targets")


@cache
def firmware_trains() -> dict[str, Any]:
    """The maintained release trains of each firewall platform (data/firewall_firmware.yaml)."""
    path = resources.files("standards_map") / "data" / "firewall_firmware.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def firmware_train(platform: str, version: str) -> dict[str, Any] | None:
    for train in (firmware_trains().get("platforms") or {}).get(platform, {}).get("trains", []):
        if re.search(train["match"], version):
            return dict(train)
    return None


@check(evidence=FirewallConfig)
def firewall_firmware_supported(ev: FirewallConfig) -> Outcome:
    """The firmware's release train still gets security fixes from its vendor (data/firewall_firmware.yaml)."""
    if ev.firmware_version is None:
        return unknown("Could not read the firmware version." + _why(ev))
    data = firmware_trains()
    dated = f"release list dated {data.get('updated')}"
    train = firmware_train(ev.platform, ev.firmware_version)
    if train is None:
        return unknown(f"Version {ev.firmware_version} is not in the {ev.platform} {dated}: a release newer than the "
                       "list, or not a version of this platform.")
    day = ev.observed_on or date.fromisoformat(str(data.get("updated")))
    measured = f"{ev.firmware_version} ({train['name']})"
    end = train.get("end_of_support")
    if end is None:
        return passed(f"Firmware {ev.firmware_version} is on {train['name']}, a supported release ({dated}).", measured)
    end = date.fromisoformat(str(end))
    expected = f"a train supported on {day.isoformat()} ({dated})"
    if day > end:
        return failed(f"Firmware {ev.firmware_version} is on {train['name']}, which has had no security fixes since "
                      f"{end.isoformat()}: upgrade to a supported release.", measured, expected)
    if end - day <= timedelta(days=TERM_DAYS):
        return warned(f"Firmware {ev.firmware_version} is on {train['name']}, whose security fixes end on "
                      f"{end.isoformat()} (within a term): plan the upgrade now.", measured, expected)
    return passed(f"Firmware {ev.firmware_version} is on {train['name']}, supported until {end.isoformat()}.",
                  measured, expected)


@check(evidence=FirewallConfig)
def firewall_web_filtering_applied(ev: FirewallConfig) -> Outcome:
    """A web or DNS filter applies to every rule that lets inside networks (pupils) out to the internet."""
    if ev.outbound_policies is None or ev.global_web_filters is None:
        return unknown("Could not read the rules that let traffic out to the internet." + _why(ev, "policy", "rule"))
    if ev.global_web_filters:
        return passed(f"All outbound traffic passes {_names(ev.global_web_filters)}.",
                      measured=_names(ev.global_web_filters))
    if not ev.outbound_policies:
        return not_applicable("No rule lets inside networks out to the internet through this firewall.")
    bare = [p.name for p in ev.outbound_policies if not (p.web_filter or p.dns_filter)]
    total = len(ev.outbound_policies)
    measured = f"{total - len(bare)}/{total} outbound rules filtered"
    if not bare:
        return passed(f"All {total} outbound rule(s) apply a web or DNS filter profile.", measured)
    if len(bare) == total:
        return warned("The firewall applies no web or DNS filter to traffic going out: filtering must be done "
                      "elsewhere (the broadband provider or a filtering service); the filtering tests show whether "
                      "it is.", measured)
    return warned(f"{len(bare)} of {total} outbound rule(s) carry no web or DNS filter ({_names(bare)}): traffic "
                  "on them is not filtered by the firewall.", measured)


@check(evidence=FirewallConfig)
def firewall_ha_or_second_router(ev: FirewallConfig) -> Outcome:
    """A second firewall/router takes over automatically (an HA pair or CARP), as BB-3's "multiple routers"
    with "automatic failover" asks."""
    if ev.ha_mode is None:
        return unknown("Could not read the high-availability settings." + _why(ev, "partial"))
    failover = " Several internet links fail over (SD-WAN/gateway group), but all on this one box." \
        if ev.wan_failover else ""
    if ev.ha_mode in ("standalone", "none", ""):
        return failed("This firewall runs alone: there is no second router to take over if it fails." + failover,
                      measured="standalone", expected="HA pair")
    if ev.ha_members is not None and ev.ha_members < 2:
        return failed(f"High availability ({ev.ha_mode}) is configured, but only {ev.ha_members} member is in the "
                      "cluster: nothing would take over now.", measured=f"{ev.ha_members} member", expected="2")
    if ev.ha_healthy is False:
        return failed(f"The HA cluster ({ev.ha_mode}) reports a problem: failover may not work.",
                      measured="unhealthy", expected="healthy")
    members = f", {ev.ha_members} members" if ev.ha_members else ""
    health = ", healthy" if ev.ha_healthy else ""
    return passed(f"High availability is configured ({ev.ha_mode}{members}{health}): a second unit takes over "
                  "automatically.", measured=f"{ev.ha_mode}{members}")
