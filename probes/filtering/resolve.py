"""DNS as the browser's resolver sees it: the system's nameservers (/etc/resolv.conf) unless configured.

Every lookup has one deadline (the address's whole budget), so a resolver that never answers costs that
budget once, and the outcome says so instead of guessing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.resolver

LookupStatus = Literal["ok", "nxdomain", "nodata", "timeout", "servfail", "error"]


@dataclass(frozen=True)
class Lookup:
    name: str
    status: LookupStatus
    addresses: list[str] = field(default_factory=list)
    cnames: list[str] = field(default_factory=list)  # the CNAME chain's targets, lower-case, no trailing dot
    reason: str = ""


class NoResolver(RuntimeError):
    """No resolver is configured on this machine (empty /etc/resolv.conf) and none was given."""


def make_resolver(nameservers: Sequence[str]) -> dns.asyncresolver.Resolver:
    if nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = list(nameservers)
    else:
        try:
            resolver = dns.asyncresolver.Resolver()  # /etc/resolv.conf: what the browser's stub uses
        except dns.resolver.NoResolverConfiguration:
            raise NoResolver("no DNS resolver is configured on this machine (/etc/resolv.conf)") from None
        if not resolver.nameservers:
            raise NoResolver("no DNS resolver is configured on this machine (/etc/resolv.conf)")
    resolver.cache = None  # every test asks the filter afresh
    resolver.timeout = 1.0  # per try; the lifetime (the address's budget) bounds the retries
    return resolver


def resolvers_of(resolver: dns.asyncresolver.Resolver) -> list[str]:
    return [str(ns) for ns in resolver.nameservers]


def _cnames(answer: dns.resolver.Answer) -> list[str]:
    out: list[str] = []
    for rrset in answer.response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME:
            out.extend(str(rdata.target).rstrip(".").lower() for rdata in rrset)
    return out


async def lookup(resolver: dns.asyncresolver.Resolver, name: str, lifetime_s: float) -> Lookup:
    """A then AAAA (only when there is no A), within ``lifetime_s`` in all."""
    try:
        ipaddress.ip_address(name)
        return Lookup(name=name, status="ok", addresses=[name])  # an address in the URL: no DNS
    except ValueError:
        pass
    loop_deadline = _Deadline(lifetime_s)
    cnames: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            answer = await resolver.resolve(name, rdtype, lifetime=loop_deadline.left(), search=False)
        except dns.resolver.NXDOMAIN:
            return Lookup(name=name, status="nxdomain", reason="the resolver says the name does not exist")
        except dns.resolver.NoAnswer as exc:
            cnames = cnames or _cnames_of_noanswer(exc)
            continue
        except dns.exception.Timeout:
            servers = ", ".join(resolvers_of(resolver))
            return Lookup(name=name, status="timeout",
                          reason=f"no DNS answer from {servers} within {lifetime_s:g} s")
        except dns.resolver.NoNameservers as exc:
            return Lookup(name=name, status="servfail", reason=f"the resolver failed to answer ({_first(exc)})")
        except dns.exception.DNSException as exc:
            return Lookup(name=name, status="error", reason=f"DNS error: {_first(exc)}")
        addresses = [rdata.to_text() for rdata in answer]
        return Lookup(name=name, status="ok", addresses=addresses, cnames=_cnames(answer))
    return Lookup(name=name, status="nodata", cnames=cnames, reason="the name exists but has no address")


def _cnames_of_noanswer(exc: dns.resolver.NoAnswer) -> list[str]:
    response = exc.kwargs.get("response") if hasattr(exc, "kwargs") else None
    if response is None:
        return []
    return [str(r.target).rstrip(".").lower() for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.CNAME for r in rrset]


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


class _Deadline:
    def __init__(self, budget_s: float) -> None:
        import time

        self._time = time.monotonic
        self.end = time.monotonic() + budget_s

    def left(self) -> float:
        return max(0.05, self.end - self._time())
