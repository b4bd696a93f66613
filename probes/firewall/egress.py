"""Egress and circumvention: which routes out of this segment reach the trust's echo server, and DoH.

Each route in ``ports.EGRESS_ROUTES`` gets a fresh nonce; only the echo server's HMAC of it (under the shared
key) counts as ``allowed``. Outcomes:

- ``allowed``: the verified answer came back.
- ``blocked``: refused, reset, an ICMP unreachable, or silence, *provided the control route (HTTPS) got a
  verified answer*, so the server is known to be up and answering.
- ``unknown`` (with the reason): no key; the control route failed too (the echo server may be down, so silence
  proves nothing); or an answer came back that is not the echo server's (wrong key, or a proxy or captive
  portal answering in its place).

DNS-over-HTTPS: the resolver the school's devices use is asked for the well-known DoH hostnames; when it gives
addresses, an HTTPS (TLS) connection to each is tried with certificate verification.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass

from contract.evidence.firewall_network import DohProbe, EgressProbe, FirewallEgress
from probes.firewall import echo
from probes.firewall.ports import DOH_HOSTNAMES, EGRESS_ROUTES, EgressRoute
from probes.firewall.settings import EgressSettings
from probes.firewall.udp import IP_RECVERR, _error_state


@dataclass(frozen=True)
class RouteResult:
    route: EgressRoute
    verdict: str  # "verified", "mismatch", "refused", "rejected", "silent", "error"
    detail: str


async def _tcp(address: str, route: EgressRoute, key: bytes, timeout_s: float) -> RouteResult:
    nonce = echo.new_nonce()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address, route.port), timeout_s)
    except TimeoutError:
        return RouteResult(route, "silent", f"no answer to the connection in {timeout_s:g} s (dropped)")
    except ConnectionRefusedError:
        return RouteResult(route, "refused", "connection refused or reset")
    except OSError as exc:
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM):
            return RouteResult(route, "rejected", f"rejected: {os.strerror(exc.errno or 0).lower()}")
        return RouteResult(route, "error", f"connection failed: {exc.strerror or exc}")
    try:
        writer.write(echo.request(nonce))
        await writer.drain()
        data = await asyncio.wait_for(reader.read(echo.ANSWER_BYTES + 64), timeout_s)
    except (TimeoutError, OSError) as exc:
        data = b""
        why = "no answer after connecting" if isinstance(exc, TimeoutError) else f"connection broke: {exc}"
        return RouteResult(route, "mismatch" if data else "silent-after-connect", why)
    finally:
        writer.transport.abort()
    if not data:
        return RouteResult(route, "silent-after-connect", "connected, then closed without the echo answer")
    if echo.verify(key, "tcp", route.port, nonce, data):
        return RouteResult(route, "verified", "the echo server answered with the right HMAC")
    return RouteResult(route, "mismatch", "something answered, but not with the echo server's HMAC")


async def _udp(address: str, route: EgressRoute, key: bytes, timeout_s: float, tries: int) -> RouteResult:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    sock.setblocking(False)
    try:
        sock.connect((address, route.port))
        nonces: list[bytes] = []
        per_try = timeout_s / tries
        mismatch = False
        for _ in range(tries):  # UDP can be lost: several tries, each with its own nonce
            nonce = echo.new_nonce()
            nonces.append(nonce)
            try:
                sock.send(echo.request(nonce))
                data = await asyncio.wait_for(loop.sock_recv(sock, 512), per_try)
            except TimeoutError:
                continue
            except OSError as exc:
                state, reason = _error_state(sock, exc)
                return RouteResult(route, "rejected", f"ICMP {reason}")
            if any(echo.verify(key, "udp", route.port, n, data) for n in nonces):
                return RouteResult(route, "verified", "the echo server answered with the right HMAC")
            mismatch = True
        if mismatch:
            return RouteResult(route, "mismatch", "something answered, but not with the echo server's HMAC")
        return RouteResult(route, "silent", f"no answer to {tries} datagrams in {timeout_s:g} s (dropped)")
    finally:
        sock.close()


def _outcome(result: RouteResult, control_ok: bool, have_key: bool) -> tuple[str, str]:
    if not have_key:
        return "unknown", "no echo key: an answer cannot be told from one faked by a proxy (give --key-file)"
    if result.verdict == "verified":
        return "allowed", result.detail
    if result.verdict == "mismatch":
        return "unknown", (f"{result.detail}: the key is wrong, or a proxy or captive portal answered in the echo "
                           "server's place")
    if not control_ok:
        return "unknown", (f"{result.detail}; the echo server did not answer the control route either, so it may "
                           "be down: this proves nothing")
    if result.verdict == "error":
        return "unknown", result.detail
    return "blocked", result.detail


async def _routes(address: str, key: bytes, s: EgressSettings) -> list[RouteResult]:
    jobs = [_tcp(address, r, key, s.timeout_s) if r.protocol == "tcp" else
            _udp(address, r, key, s.timeout_s, s.udp_tries) for r in EGRESS_ROUTES]
    return list(await asyncio.gather(*jobs))


def _is_sinkhole(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_unspecified or ip.is_loopback


def _doh(hostname: str, s: EgressSettings) -> DohProbe:
    import dns.exception
    import dns.rcode
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=s.resolver is None)
    if s.resolver is not None:
        resolver.nameservers = [s.resolver]
    resolver.lifetime = s.timeout_s
    try:
        answer = resolver.resolve(hostname, "A", raise_on_no_answer=False)
        addresses = sorted({r.address for r in answer}) if answer.rrset is not None else []
    except dns.resolver.NXDOMAIN:
        return DohProbe(hostname=hostname, dns="nxdomain", https="not-tried", outcome="blocked",
                        detail="the school's resolver says the name does not exist (NXDOMAIN)")
    except dns.resolver.NoNameservers as exc:
        return DohProbe(hostname=hostname, dns="refused", https="not-tried", outcome="blocked",
                        detail=f"the resolver refused the name ({exc.__class__.__name__})")
    except (dns.exception.Timeout, dns.resolver.LifetimeTimeout):
        return DohProbe(hostname=hostname, dns="no-answer", https="not-tried", outcome="unknown",
                        detail=f"the resolver did not answer in {s.timeout_s:g} s")
    except (dns.exception.DNSException, OSError) as exc:
        return DohProbe(hostname=hostname, dns="error", https="not-tried", outcome="unknown",
                        detail=f"DNS lookup failed: {exc}")
    if not addresses:
        return DohProbe(hostname=hostname, dns="nxdomain", https="not-tried", outcome="blocked",
                        detail="the resolver gave no address for the name")
    if all(_is_sinkhole(a) for a in addresses):
        return DohProbe(hostname=hostname, resolved=addresses, dns="sinkholed", https="not-tried",
                        outcome="blocked", detail=f"the resolver answers {', '.join(addresses)} (a sinkhole)")
    context = ssl.create_default_context(cafile=s.ca_file)
    try:
        with socket.create_connection((addresses[0], 443), timeout=s.timeout_s) as raw, \
                context.wrap_socket(raw, server_hostname=hostname):
            pass
    except ssl.SSLCertVerificationError as exc:
        return DohProbe(hostname=hostname, resolved=addresses, dns="answered", https="intercepted",
                        outcome="blocked", detail="HTTPS answered with a certificate not valid for the name "
                        f"({exc.verify_message}): TLS interception")
    except (TimeoutError, ConnectionError, ssl.SSLError, OSError) as exc:
        return DohProbe(hostname=hostname, resolved=addresses, dns="answered", https="blocked", outcome="blocked",
                        detail=f"resolved, but HTTPS to {addresses[0]} failed: {getattr(exc, 'strerror', None) or exc}")
    return DohProbe(hostname=hostname, resolved=addresses, dns="answered", https="connected", outcome="allowed",
                    detail=f"resolved to {', '.join(addresses)} and HTTPS connected with a valid certificate")


def test_egress(s: EgressSettings) -> FirewallEgress:
    """Run every route and the DoH checks (inside the settings' network namespace when one is named)."""
    from probes.firewall.vantage import run_in

    return run_in(s.netns, _test_here, s)  # type: ignore[no-any-return]


def _test_here(s: EgressSettings) -> FirewallEgress:
    from probes.firewall.scan import ScanError, _resolve

    notes: list[str] = []
    key = s.key.get_secret_value() if s.key is not None else None
    try:
        address = _resolve(s.echo_server)
    except ScanError as exc:
        raise ScanError(f"echo server {exc}") from None
    results = asyncio.run(_routes(address, key or b"no-key-configured-000", s))
    control = next(r for r in results if r.route.category == "control")
    control_ok = control.verdict == "verified"
    if key is None:
        notes.append("no echo key was given, so no route can be shown to reach the echo server")
    elif not control_ok:
        notes.append(f"control route (HTTPS 443) did not reach the echo server: {control.detail}")
    probes = []
    for result in results:
        outcome, detail = _outcome(result, control_ok, key is not None)
        probes.append(EgressProbe(name=result.route.name, protocol=result.route.protocol, port=result.route.port,
                                  category=result.route.category, outcome=outcome,
                                  detail=detail))
    names = s.doh_hostnames or list(DOH_HOSTNAMES)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        doh = list(pool.map(lambda n: _doh(n, s), names))
    return FirewallEgress(echo_server=s.echo_server, segment=s.segment, control_ok=control_ok, probes=probes,
                          doh=doh, resolver=s.resolver, timeout_s=s.timeout_s, notes=notes)
