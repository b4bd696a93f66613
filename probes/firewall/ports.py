"""Port facts for the firewall area, in one place: nmap-style port lists, the egress routes tested, the UDP
services probed, and which services are admin interfaces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Protocol = Literal["tcp", "udp"]
EgressCategory = Literal["vpn", "proxy", "tunnel", "dns", "other", "control"]


@dataclass(frozen=True)
class EgressRoute:
    name: str
    protocol: Protocol
    port: int
    category: EgressCategory
    what: str


# The routes out that a pupil (or malware) would use to get round the filter, and the control route (HTTPS)
# that must work for a silent port to mean "blocked" rather than "the echo server is down".
EGRESS_ROUTES: tuple[EgressRoute, ...] = (
    EgressRoute("https-control", "tcp", 443, "control", "HTTPS (control: expected to be allowed)"),
    EgressRoute("openvpn-tcp", "tcp", 1194, "vpn", "OpenVPN over TCP"),
    EgressRoute("openvpn-udp", "udp", 1194, "vpn", "OpenVPN over UDP"),
    EgressRoute("wireguard", "udp", 51820, "vpn", "WireGuard"),
    EgressRoute("ipsec-ike", "udp", 500, "vpn", "IPsec IKE"),
    EgressRoute("ipsec-nat-t", "udp", 4500, "vpn", "IPsec NAT traversal"),
    EgressRoute("pptp", "tcp", 1723, "vpn", "PPTP"),
    EgressRoute("tor-or", "tcp", 9001, "vpn", "Tor relay (ORPort)"),
    EgressRoute("tor-dir", "tcp", 9030, "vpn", "Tor directory (DirPort)"),
    EgressRoute("dns-over-tls", "tcp", 853, "dns", "DNS over TLS to an outside resolver"),
    EgressRoute("dns-outside-udp", "udp", 53, "dns", "DNS to an outside resolver (UDP)"),
    EgressRoute("dns-outside-tcp", "tcp", 53, "dns", "DNS to an outside resolver (TCP)"),
    EgressRoute("ssh", "tcp", 22, "tunnel", "SSH (tunnels, SOCKS over SSH)"),
    EgressRoute("smtp", "tcp", 25, "other", "SMTP straight to the internet"),
    EgressRoute("rdp", "tcp", 3389, "other", "Remote desktop"),
    EgressRoute("socks", "tcp", 1080, "proxy", "SOCKS proxy"),
    EgressRoute("http-proxy-3128", "tcp", 3128, "proxy", "HTTP proxy (Squid port)"),
    EgressRoute("http-proxy-8080", "tcp", 8080, "proxy", "HTTP proxy (8080)"),
)


def echo_ports(protocol: Protocol) -> list[int]:
    """The ports ``schoolnet echo-server`` listens on by default for one protocol."""
    return sorted({r.port for r in EGRESS_ROUTES if r.protocol == protocol})


# Well-known DNS-over-HTTPS hostnames (browsers' built-in providers and the big public resolvers).
DOH_HOSTNAMES: tuple[str, ...] = (
    "dns.google",
    "cloudflare-dns.com",
    "mozilla.cloudflare-dns.com",
    "dns.quad9.net",
    "doh.opendns.com",
)

# UDP services worth probing on a gateway, each with a probe that any implementation answers.
UDP_SERVICES: dict[int, str] = {69: "tftp", 123: "ntp", 161: "snmp", 500: "ike"}

# TCP ports probed by default: management interfaces of firewalls, routers, switches and access points,
# plus the services whose exposure matters most.
DEFAULT_TCP_PORTS = (
    "21-23,25,53,80,110,113,135,139,143,161,179,389,443,445,500,554,636,830,993,995,1080,1194,1433,1723,"
    "2000,2022,3128,3306,3389,4433,4443,4444,5000,5900,5985,5986,8000,8008,8080,8081,8443,8888,9000,9443,"
    "10000,10443,11443,16992,16993"
)

# Services that are admin interfaces when they answer (on a firewall, router, switch or access point).
ADMIN_SERVICES: frozenset[str] = frozenset({"ssh", "telnet", "http", "https", "snmp", "netconf", "winbox"})
# Ports that are admin interfaces by convention even when the service could not be identified.
ADMIN_PORTS: dict[int, str] = {
    22: "ssh", 23: "telnet", 80: "http", 443: "https", 830: "netconf", 2022: "ssh", 4433: "https",
    4443: "https", 8080: "http", 8443: "https", 8291: "winbox", 9443: "https", 10000: "http", 161: "snmp",
}


# Services that never speak first and answer neither TLS nor HTTP: named by port, not probed further.
QUIET_SERVICES: dict[int, str] = {53: "dns", 88: "kerberos", 135: "msrpc", 139: "netbios-ssn", 445: "microsoft-ds",
                                  389: "ldap", 636: "ldaps", 3306: "mysql", 1433: "mssql"}


class PortListError(ValueError):
    pass


def parse_ports(spec: str, *, max_ports: int) -> list[int]:
    """nmap-style list: ``22,80,443,8000-8100`` (``-`` alone or ``1-`` means up to 65535). Sorted, unique.

    Raises PortListError naming the bad item, or when the list is longer than ``max_ports``.
    """
    ports: set[int] = set()
    items = [item.strip() for item in spec.split(",")]
    if not spec.strip():
        raise PortListError("the port list is empty")
    for item in items:
        if not item:
            raise PortListError(f"empty item in port list {spec!r}")
        low_text, dash, high_text = item.partition("-")
        try:
            low = int(low_text) if low_text else 1
            high = (int(high_text) if high_text else 65535) if dash else low
        except ValueError:
            raise PortListError(f"{item!r} is not a port or a range (e.g. 22,80,8000-8100)") from None
        if not (1 <= low <= high <= 65535):
            raise PortListError(f"{item!r}: ports run from 1 to 65535, low to high")
        if high - low + 1 + len(ports) > max_ports:
            raise PortListError(f"more than {max_ports} ports requested (the configured maximum, max_ports)")
        ports.update(range(low, high + 1))
    if len(ports) > max_ports:
        raise PortListError(f"{len(ports)} ports requested, more than the maximum of {max_ports} (max_ports)")
    return sorted(ports)
