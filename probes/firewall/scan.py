"""The exposure scan: which ports answer on the gateway and the configured addresses, and what they are.

Safety first, because this runs on a live school network:
- Only the configured targets and the discovered default gateway are scanned. ``authorise`` refuses
  anything else (an address range, a broadcast or multicast address, a host nobody configured) with the reason.
- Probes are paced to ``rate_pps`` (probes per second, retries included, across all hosts), the port list is
  capped (``max_ports``, applied when the list is parsed) and so is the host count.
- ``plan()`` is what ``--dry-run`` prints: every host, port list, method, rate and the time it would take.
- SYN scan when raw sockets are allowed (``method = "auto"`` or ``"syn"``), connect scan otherwise; a scan that
  was asked for SYN and cannot have it fails with the reason (the orchestrator records ``unknown``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import struct
import time
from dataclasses import dataclass, field

from contract.evidence.firewall_network import FirewallExposure, PortFinding
from probes.firewall import rawsyn, udp
from probes.firewall.identify import Identity, identify_all
from probes.firewall.ports import ADMIN_PORTS, UDP_SERVICES
from probes.firewall.settings import ScanSettings, ScanTarget


class ScanError(Exception):
    """The scan cannot run at all (the reason is shown and recorded)."""


class RefusedTarget(ScanError):
    """A target the safety rules do not allow."""


@dataclass(frozen=True)
class Host:
    target: str
    address: str
    role: str
    spec: ScanTarget | None = None


@dataclass
class HostOutcome:
    target: str
    evidence: FirewallExposure | None = None
    error: str | None = None


@dataclass
class Plan:
    hosts: list[Host]
    unresolved: list[tuple[str, str]]  # (target, why)
    method: str
    method_note: str | None
    tcp_ports: list[int]
    udp_ports: list[int]
    settings: ScanSettings
    notes: list[str] = field(default_factory=list)

    @property
    def probes(self) -> int:
        return len(self.hosts) * (len(self.tcp_ports) + len(self.udp_ports))

    def describe(self) -> str:
        """What ``--dry-run`` prints: nothing is sent."""
        s = self.settings
        lines = [f"Dry run: nothing was sent. From segment {s.segment or '(not given)'}"
                 f"{f' (network namespace {s.netns})' if s.netns else ''}, method {self.method}"
                 f"{f' ({self.method_note})' if self.method_note else ''}."]
        for host in self.hosts:
            lines.append(f"  {host.address} ({host.role}{'' if host.target == host.address else ', ' + host.target})"
                         f": TCP {compress(self.tcp_ports) or 'none'}"
                         f"{'; UDP ' + compress(self.udp_ports) if self.udp_ports else ''}")
        for target, why in self.unresolved:
            lines.append(f"  {target}: would be skipped: {why}")
        kind = "SYN segments" if self.method == "syn" else "TCP connection attempts"
        seconds = self.probes * (1 + s.retries) / s.rate_pps
        lines.append(f"Would send {len(self.hosts) * len(self.tcp_ports)} {kind} and "
                     f"{len(self.hosts) * len(self.udp_ports)} UDP probes at most {s.rate_pps:g} per second "
                     f"(up to {s.retries} retries each for no answer): about {self.probes / s.rate_pps:.1f} s, "
                     f"at most {seconds + 2 * s.timeout_s:.1f} s, plus identification of open ports.")
        lines.append("Open ports are identified by what they say (SSH version, HTTP status and title, TLS "
                     "certificate" + (", SNMP sysDescr with the configured community" if s.snmp_community else "")
                     + "); no password is ever tried.")
        return "\n".join(lines)


def compress(ports: list[int]) -> str:
    """[22, 80, 81, 82] -> '22,80-82'."""
    out: list[str] = []
    run: list[int] = []
    for port in sorted(ports):
        if run and port == run[-1] + 1:
            run.append(port)
            continue
        if run:
            out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [port]
    if run:
        out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ",".join(out)


def default_gateway(route_table: str = "/proc/thread-self/net/route") -> str | None:
    """The IPv4 default gateway of this thread's network namespace (the kernel's routing table)."""
    try:
        with open(route_table, encoding="ascii") as table:
            next(table)
            for line in table:
                fields = line.split()
                if len(fields) > 3 and fields[1] == "00000000" and int(fields[3], 16) & 0x2:
                    return socket.inet_ntoa(struct.pack("<I", int(fields[2], 16)))
    except (OSError, StopIteration, ValueError):
        return None
    return None


def _resolve(name: str) -> str:
    try:
        literal = ipaddress.ip_address(name)
    except ValueError:
        literal = None
    if literal is not None:
        if literal.version != 4:
            raise ScanError(f"{name}: only IPv4 addresses are scanned in this version")
        return str(literal)
    if "/" in name:
        raise RefusedTarget(f"{name}: an address range; only single configured hosts are scanned")
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ScanError(f"{name}: could not be resolved ({exc.strerror})") from None
    return str(infos[0][4][0])


def check_address(address: str) -> None:
    ip = ipaddress.ip_address(address)
    if ip.is_multicast or ip.is_unspecified or ip == ipaddress.ip_address("255.255.255.255"):
        raise RefusedTarget(f"{address}: a multicast, broadcast or unspecified address is never scanned")


def authorise(requested: list[str], allowed: list[str], gateway: str | None) -> None:
    """Raise RefusedTarget unless every requested host is a configured target or the discovered gateway."""
    allowed_addresses: set[str] = {gateway} if gateway else set()
    for name in allowed:
        try:
            allowed_addresses.add(_resolve(name))
        except ScanError:
            allowed_addresses.add(name)
    for name in requested:
        if name in allowed:
            continue
        try:
            address = _resolve(name)
        except ScanError as exc:
            raise RefusedTarget(f"refusing to scan {name}: {exc}") from None
        if address not in allowed_addresses:
            raise RefusedTarget(
                f"refusing to scan {name}: it is neither a configured target (firewall targets or a switch in the "
                f"config) nor the discovered default gateway ({gateway or 'none found'}); add it to the config first")


def plan(settings: ScanSettings, *, raw_reason: str | None = None) -> Plan:
    """Resolve the targets and choose the method (call inside the vantage's network namespace)."""
    hosts: list[Host] = []
    unresolved: list[tuple[str, str]] = []
    seen: set[str] = set()
    candidates: list[ScanTarget] = list(settings.targets)
    notes: list[str] = []
    if settings.include_gateway and settings.vantage == "inside":
        gateway = default_gateway()
        if gateway is None:
            notes.append("no default gateway was found to scan")
        else:
            candidates.insert(0, ScanTarget(host=gateway, role="gateway"))
    for spec in candidates:
        try:
            address = _resolve(spec.host)
            check_address(address)
        except ScanError as exc:
            unresolved.append((spec.host, str(exc)))
            continue
        if address in seen:
            continue
        seen.add(address)
        hosts.append(Host(target=spec.host, address=address, role=spec.role, spec=spec))
    if len(hosts) > settings.max_hosts:
        raise ScanError(f"{len(hosts)} hosts to scan, more than max_hosts ({settings.max_hosts})")
    if raw_reason is None and settings.method != "connect":
        raw_reason = rawsyn.can_raw()
    if settings.method == "syn" and raw_reason is not None:
        raise ScanError(f"a SYN scan was asked for (method = \"syn\") but {raw_reason}")
    method = "syn" if settings.method != "connect" and raw_reason is None else "connect"
    note = None if method == "syn" or settings.method == "connect" else (
        f"connect scan: {raw_reason}; closed and rejected may be confused for some ICMP codes")
    return Plan(hosts=hosts, unresolved=unresolved, method=method, method_note=note,
                tcp_ports=list(settings.tcp_ports), udp_ports=list(settings.udp_ports), settings=settings,
                notes=notes)


def run(p: Plan) -> list[HostOutcome]:
    """Send the probes; one outcome per target (unresolvable ones carry their reason)."""
    s = p.settings
    started = time.monotonic()
    tcp_pairs = [(h.address, port) for h in p.hosts for port in p.tcp_ports]
    if p.method == "syn":
        tcp = rawsyn.SynScanner(s.rate_pps, s.timeout_s, s.retries).scan(tcp_pairs)
    else:
        tcp = asyncio.run(udp.connect_scan(tcp_pairs, s.rate_pps, s.timeout_s, s.retries))
    community = s.snmp_community.get_secret_value() if s.snmp_community else None
    udp_pairs = [(h.address, port) for h in p.hosts for port in p.udp_ports]
    udp_states, replies = udp.udp_scan(udp_pairs, s.rate_pps, s.timeout_s, s.retries, community) if udp_pairs \
        else ({}, {})
    open_tcp = [pair for pair, (state, _) in tcp.items() if state == "open"]
    identities = identify_all(open_tcp, max(s.timeout_s, 1.0)) if s.identify and open_tcp else {}
    elapsed = round(time.monotonic() - started, 3)

    outcomes = [HostOutcome(target=target, error=why) for target, why in p.unresolved]
    for host in p.hosts:
        findings: list[PortFinding] = []
        filtered_tcp = filtered_udp = 0
        for port in p.tcp_ports:
            state, reason = tcp[(host.address, port)]
            if state == "filtered":
                filtered_tcp += 1
                continue
            findings.append(_finding(port, "tcp", state, reason, identities.get((host.address, port))))
        for port in p.udp_ports:
            state, reason = udp_states[(host.address, port)]
            if state == "filtered":
                filtered_udp += 1
                continue
            findings.append(_udp_finding(port, state, reason, replies.get((host.address, port)), community))
        evidence = FirewallExposure(
            address=host.address, target=host.target, role=host.role,
            segment=s.segment, vantage=s.vantage, method=p.method,
            rate_pps=s.rate_pps, tcp_ports_scanned=len(p.tcp_ports), udp_ports_scanned=len(p.udp_ports),
            ports=findings, filtered_tcp=filtered_tcp, filtered_udp=filtered_udp,
            declared=list(host.spec.declared) if host.spec else [], duration_s=elapsed,
            notes=[n for n in [p.method_note, *p.notes] if n],
        )
        outcomes.append(HostOutcome(target=host.target, evidence=evidence))
    return outcomes


def _finding(port: int, protocol: str, state: str, reason: str, ident: Identity | None) -> PortFinding:
    if state != "open":
        return PortFinding(port=port, protocol=protocol, state=state, reason=reason)
    ident = ident or Identity(service=ADMIN_PORTS.get(port))
    return PortFinding(port=port, protocol=protocol, state="open", reason=reason,
                       service=ident.service, banner=ident.banner, admin=ident.admin,
                       http_status=ident.http_status, http_server=ident.http_server, http_title=ident.http_title,
                       tls=ident.tls)


def _udp_finding(port: int, state: str, reason: str, reply: bytes | None, community: str | None) -> PortFinding:
    service = UDP_SERVICES.get(port) or ("dns" if port == 53 else None)
    sysdescr = None
    if state == "open" and port == 161 and community and reply:
        values = udp.snmp_octet_strings(reply)
        if len(values) >= 2:  # community, then the value
            sysdescr = values[-1].decode("utf-8", "replace")[:300]
    return PortFinding(port=port, protocol="udp", state=state, reason=reason,
                       service=service if state == "open" else None, admin=state == "open" and port == 161,
                       snmp_sysdescr=sysdescr)


def scan(settings: ScanSettings) -> list[HostOutcome]:
    """Plan and run in one go, inside the settings' network namespace when one is named."""
    from probes.firewall.vantage import run_in

    return run_in(settings.netns, lambda: run(plan(settings)))  # type: ignore[no-any-return]
