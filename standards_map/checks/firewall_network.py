"""Firewall checks from the network: admin interfaces reachable from where they should not be, inbound services
beyond the declared ones, and routes round the filter (VPN, proxies, outside DNS, DoH, DoT).

DfE's words decide: CS-3 asks that "remote admin" be "restricted" and that the firewall "block inbound
unauthenticated connections by default"; FM-3 asks about "blocking VPNs, proxy services and end-to-end
encryption methods used to bypass filtering". A scan that could not tell is ``unknown``, never a pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from contract.evidence.firewall_network import FirewallEgress, FirewallExposure, PortFinding
from standards_map.checks import check
from standards_map.outcome import Outcome, failed, not_applicable, passed, unknown, warned

# Segments where people (not administrators) work, and the outside: an admin interface must not answer there.
USER_SEGMENTS = ("staff", "student", "pupil", "guest", "byod", "visitor", "outside", "public")


def _describe(port: PortFinding) -> str:
    what = port.service or "service"
    extra = port.http_title or port.banner
    return f"{what} on {port.protocol}/{port.port}" + (f" ({extra})" if extra else "")


def _admin_ports(ev: FirewallExposure) -> list[PortFinding]:
    """Open admin interfaces, except services the trust declared as public (a VPN portal is meant to answer)."""
    declared = {(d.protocol, d.port) for d in ev.declared}
    return [p for p in ev.ports if p.state == "open" and p.admin and (p.protocol, p.port) not in declared]


@check(evidence=FirewallExposure)
def firewall_admin_not_exposed(ev: FirewallExposure, *, admin_segments: tuple[str, ...] = ("management",)) -> Outcome:
    """Fail when an admin interface (SSH, telnet, web admin, SNMP) answers on a user or guest segment or outside."""
    admin = _admin_ports(ev)
    where = "from outside the school" if ev.vantage == "outside" else (
        f"from the {ev.segment} network" if ev.segment else "from this network")
    scanned = f"{ev.tcp_ports_scanned} TCP and {ev.udp_ports_scanned} UDP ports of {ev.address} ({ev.role})"
    if not admin:
        return passed(f"No admin interface answers {where}: {scanned} scanned.", "none reachable",
                      "no admin interface reachable")
    listed = "; ".join(_describe(p) for p in admin)
    measured = f"{len(admin)} admin interface(s): {listed}"
    segment = (ev.segment or "").lower()
    if ev.vantage == "inside" and segment in admin_segments:
        return passed(f"Admin interfaces answer {where}, which is the network set aside for administration: "
                      f"{listed}.", measured, "admin only from the management network")
    if ev.vantage == "outside" or segment in USER_SEGMENTS:
        return failed(f"Admin interface reachable {where} on {ev.address}: {listed}. DfE asks that remote "
                      "administration be restricted.", measured, "no admin interface reachable")
    return warned(f"Admin interfaces answer on {ev.address} {where}: {listed}. Record the segment (--segment "
                  "staff|student|guest|management) to judge whether that is allowed.", measured,
                  "admin only from the management network")


@check(evidence=FirewallExposure)
def firewall_inbound_only_declared(ev: FirewallExposure) -> Outcome:
    """From outside: fail when anything answers on the school's public address beyond the declared services."""
    if ev.vantage != "outside":
        return not_applicable("An inside scan; inbound exposure is judged from the external scan.")
    declared = {(d.protocol, d.port) for d in ev.declared}
    open_ports = [p for p in ev.ports if p.state == "open"]
    extra = [p for p in open_ports if (p.protocol, p.port) not in declared]
    scanned = f"{ev.tcp_ports_scanned} TCP and {ev.udp_ports_scanned} UDP ports"
    listed_declared = ", ".join(f"{d.protocol}/{d.port}" + (f" ({d.purpose})" if d.purpose else "")
                                for d in ev.declared) or "none"
    if extra:
        return failed(f"{ev.address} accepts inbound connections that were not declared: "
                      f"{'; '.join(_describe(p) for p in extra)}. DfE: block inbound unauthenticated connections "
                      "by default.", f"{len(extra)} undeclared open port(s)", f"only declared: {listed_declared}")
    return passed(f"Only declared services answer on {ev.address} from outside ({scanned} scanned; declared: "
                  f"{listed_declared}).", f"{len(open_ports)} open, all declared", f"only declared: {listed_declared}")


def _judge_routes(names: Sequence[tuple[str, str, str]], what: str) -> Outcome:
    """``names``: (label, outcome, detail) for every route in scope."""
    allowed = [label for label, outcome, _ in names if outcome == "allowed"]
    unknown_ = [(label, detail) for label, outcome, detail in names if outcome == "unknown"]
    if allowed:
        return failed(f"{what} allowed out: {', '.join(allowed)}.", f"{len(allowed)} of {len(names)} allowed",
                      "all blocked")
    if unknown_:
        first = unknown_[0][1]
        return unknown(f"Could not tell for {', '.join(label for label, _ in unknown_)}: {first}",
                       f"{len(unknown_)} of {len(names)} not measured", "all blocked")
    return passed(f"All {len(names)} {what.lower()} routes tested are blocked.", f"0 of {len(names)} allowed",
                  "all blocked")


@check(evidence=FirewallEgress)
def firewall_egress_vpn_blocked(ev: FirewallEgress) -> Outcome:
    """Fail when a VPN, Tor, proxy or SSH tunnel route reaches the echo server from this segment."""
    routes = [(f"{p.name} ({p.protocol}/{p.port})", p.outcome, p.detail) for p in ev.probes
              if p.category in ("vpn", "proxy", "tunnel")]
    return _judge_routes(routes, "VPN, proxy and tunnel")


@check(evidence=FirewallEgress)
def firewall_egress_dns_bypass_blocked(ev: FirewallEgress) -> Outcome:
    """Fail when DNS can bypass the school's resolver: outside DNS on 53, DNS over TLS (853), or DNS over HTTPS."""
    routes = [(f"{p.name} ({p.protocol}/{p.port})", p.outcome, p.detail) for p in ev.probes if p.category == "dns"]
    routes += [(f"DoH {d.hostname}", d.outcome, d.detail) for d in ev.doh]
    return _judge_routes(routes, "DNS bypass")
