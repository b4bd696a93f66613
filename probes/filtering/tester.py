"""Run a test list from this network: each address resolved and fetched as a pupil's browser would.

Concurrency is bounded (``concurrency`` addresses at once) and each address has one budget
(``timeout_s``) for DNS and HTTP together, so a black-holed address costs its timeout once and the run
takes about (addresses / concurrency) x timeout at worst.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from typing import Any
from urllib.parse import urlsplit

import dns.asyncresolver

from contract.evidence.filtering import UrlTest
from probes.filtering.fetch import fetch, match_block_page
from probes.filtering.resolve import lookup
from probes.filtering.settings import FilteringSettings, IpNetwork, TestEntry


def sinkholed(address: str, ranges: list[IpNetwork]) -> bool:
    """0.0.0.0, ::, a loopback address, or one in a configured sinkhole / block-page range."""
    ip = ipaddress.ip_address(address)
    if ip.is_unspecified or ip.is_loopback:
        return True
    return any(ip.version == net.version and ip in net for net in ranges)


async def test_url(
    entry: TestEntry, settings: FilteringSettings, resolver: dns.asyncresolver.Resolver
) -> UrlTest:
    started = time.monotonic()
    deadline = started + settings.timeout_s

    def done(outcome: str, detail: str, **extra: Any) -> UrlTest:
        return UrlTest(category=entry.category, url=entry.url, outcome=outcome, detail=detail,
                       elapsed_ms=round((time.monotonic() - started) * 1000, 1), **extra)

    parts = urlsplit(entry.url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    found = await lookup(resolver, host, settings.timeout_s)
    if found.status == "nxdomain":
        return done("blocked", f"{host}: the resolver answers NXDOMAIN (no such name)", how="dns-nxdomain")
    if found.status != "ok":
        return done("unknown", f"{host}: {found.reason}")
    addresses = found.addresses
    holes = [a for a in addresses if sinkholed(a, settings.sinkhole_ranges)]
    if holes:
        return done("blocked", f"{host} resolves to {holes[0]}, a sinkhole / block-page address",
                    how="dns-sinkhole", addresses=addresses)
    address = addresses[0]
    left = deadline - time.monotonic()
    try:
        async with asyncio.timeout(max(0.05, left)):
            got = await fetch(address, port, host, path, https=https, ca_bundle=settings.ca_bundle,
                              max_bytes=settings.max_body_bytes)
    except TimeoutError:
        return done("unknown", f"no answer from {address}:{port} within {settings.timeout_s:g} s "
                               "(dropped silently, or too slow)", addresses=addresses)
    if got.reset:
        return done("blocked", f"{got.error}", how="reset", addresses=addresses)
    if got.error is not None:
        if got.tls_error is not None:
            return done("blocked", f"certificate for {host} not issued by a trusted CA ({got.tls_error}); "
                                   f"then {got.error}", how="tls-intercepted", addresses=addresses)
        return done("unknown", got.error, addresses=addresses)
    provider = match_block_page(got.head_and_body, settings.block_pages)
    common = {"addresses": addresses, "http_status": got.status, "tls_issuer": got.tls_issuer}
    if provider is not None:
        return done("blocked", f"{provider} block page (HTTP {got.status})", how="block-page",
                    block_provider=provider, **common)
    if got.tls_error is not None:
        return done("blocked", f"certificate for {host} not issued by a trusted CA ({got.tls_error}); "
                               f"issuer {got.tls_issuer or 'unknown'}: the connection is intercepted",
                    how="tls-intercepted", **common)
    if got.status is None:
        return done("unknown", f"{address}:{port} answered, but not with HTTP", **common)
    return done("allowed", f"HTTP {got.status} from {address}", **common)


async def run_list(settings: FilteringSettings, resolver: dns.asyncresolver.Resolver) -> list[UrlTest]:
    limit = asyncio.Semaphore(settings.concurrency)

    async def one(entry: TestEntry) -> UrlTest:
        async with limit:
            return await test_url(entry, settings, resolver)

    return list(await asyncio.gather(*(one(entry) for entry in settings.tests)))
