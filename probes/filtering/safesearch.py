"""Safe search: do the search engines' names resolve to their published enforced endpoints?

Google, YouTube, Bing and DuckDuckGo each publish a name a school's DNS should answer for them
(a CNAME, or the same addresses): forcesafesearch.google.com, restrict(moderate).youtube.com,
strict.bing.com and safe.duckduckgo.com.
"""

from __future__ import annotations

import asyncio

import dns.asyncresolver

from contract.evidence.filtering import Engine, SafeSearchResult
from probes.filtering.resolve import Lookup, lookup

# engine -> (names a browser uses, the enforced endpoints)
ENGINES: dict[Engine, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "google": (("www.google.com", "www.google.co.uk"), ("forcesafesearch.google.com",)),
    "youtube": (("www.youtube.com", "m.youtube.com"), ("restrict.youtube.com", "restrictmoderate.youtube.com")),
    "bing": (("www.bing.com",), ("strict.bing.com",)),
    "duckduckgo": (("duckduckgo.com",), ("safe.duckduckgo.com",)),
}


def _judge(name: str, seen: Lookup, endpoints: tuple[str, ...], endpoint_addresses: set[str],
           endpoint_failed: list[str]) -> tuple[bool | None, str]:
    if seen.status == "nxdomain":
        return True, f"{name} does not resolve (the engine itself is blocked)"
    if seen.status != "ok" and seen.status != "nodata":
        return None, f"{name}: {seen.reason}"
    hit = next((c for c in seen.cnames if c in endpoints), None)
    if hit:
        return True, f"{name} -> {hit}"
    if endpoint_addresses & set(seen.addresses):
        return True, f"{name} answers the enforced endpoint's address ({', '.join(seen.addresses)})"
    if not endpoint_addresses:
        return None, f"{name} answers {', '.join(seen.addresses) or 'no address'}; the enforced endpoint " \
                     f"could not be resolved to compare ({'; '.join(endpoint_failed)})"
    return False, f"{name} answers {', '.join(seen.addresses) or 'no address'}, not {' / '.join(endpoints)}"


async def check_engine(
    engine: Engine, resolver: dns.asyncresolver.Resolver, timeout_s: float
) -> SafeSearchResult:
    names, endpoints = ENGINES[engine]
    looked = await asyncio.gather(*(lookup(resolver, n, timeout_s) for n in (*names, *endpoints)))
    by_name = dict(zip((*names, *endpoints), looked, strict=True))
    endpoint_addresses = {a for e in endpoints for a in by_name[e].addresses}
    endpoint_failed = [f"{e}: {by_name[e].reason}" for e in endpoints if by_name[e].status != "ok"]
    verdicts = [_judge(n, by_name[n], endpoints, endpoint_addresses, endpoint_failed) for n in names]
    values = [v for v, _ in verdicts]
    enforced: bool | None = False if False in values else (None if None in values else True)
    answers = {n: [*(f"CNAME {c}" for c in by_name[n].cnames), *by_name[n].addresses] for n in (*names, *endpoints)}
    return SafeSearchResult(
        engine=engine, hostnames=list(names), enforced_endpoint=" / ".join(endpoints), enforced=enforced,
        answers=answers, detail="; ".join(d for _, d in verdicts),
    )


async def check_all(resolver: dns.asyncresolver.Resolver, timeout_s: float) -> list[SafeSearchResult]:
    return list(await asyncio.gather(*(check_engine(e, resolver, timeout_s) for e in ENGINES)))
