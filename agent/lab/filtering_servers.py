"""The filtering lab's servers, run inside the lab's "internet" namespace: per-segment resolvers, web sites,
block pages and a TLS-intercepting filter.

``python -m agent.lab.filtering_servers SPEC.json`` serves everything the spec lists from one asyncio loop
and prints ``ready`` once every socket is bound. The resolvers are real DNS servers (dnspython's wire
format over UDP and TCP): each listening address has its own profile (a segment's filter policy), so
the same name can be NXDOMAIN for students, a sinkhole for staff and truthful for guests.
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
import struct
import sys
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

BLOCK_PAGE = (
    "<!doctype html><html><head><title>Site blocked</title></head><body><h1>Blocked by SchoolNet Lab Filter</h1>"
    "<p>This site is blocked by your school's web filter (category: {category}).</p></body></html>"
)
SITE_PAGE = "<!doctype html><html><head><title>{host}</title></head><body><h1>Welcome to {host}</h1></body></html>"

# name -> action: {"a": [ip...]} | {"cname": name} | {"nxdomain": true} | {"drop": true}
Profile = dict[str, dict[str, Any]]


def answer(profile: Profile, query: dns.message.Message) -> dns.message.Message | None:
    """The profile's answer to one query; None means stay silent (a resolver that never answers)."""
    response = dns.message.make_response(query)
    response.flags |= dns.flags.RA
    if not query.question:
        response.set_rcode(dns.rcode.FORMERR)
        return response
    question = query.question[0]
    name = question.name.to_text().rstrip(".").lower()
    seen: set[str] = set()
    while True:
        action = profile.get(name)
        if action is None or action.get("nxdomain"):
            if not seen:
                response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        if action.get("drop"):
            return None
        if "cname" in action and name not in seen:
            seen.add(name)
            target = action["cname"]
            response.answer.append(dns.rrset.from_text(name + ".", 60, "IN", "CNAME", target + "."))
            name = target.lower()
            continue
        addresses = [a for a in action.get("a", []) if (":" in a) == (question.rdtype == dns.rdatatype.AAAA)]
        if question.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA) and addresses:
            rdtype = "AAAA" if question.rdtype == dns.rdatatype.AAAA else "A"
            response.answer.append(dns.rrset.from_text(name + ".", 60, "IN", rdtype, *addresses))
        return response  # NOERROR, maybe with no data (AAAA for an IPv4-only name)


class _DnsUdp(asyncio.DatagramProtocol):
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            query = dns.message.from_wire(data)
        except Exception:
            return  # not DNS: a real resolver drops it too
        reply = answer(self.profile, query)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply.to_wire(), addr)


async def _dns_tcp(profile: Profile, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            size = struct.unpack("!H", await reader.readexactly(2))[0]
            reply = answer(profile, dns.message.from_wire(await reader.readexactly(size)))
            if reply is None:
                await asyncio.sleep(3600)
                return
            wire = reply.to_wire()
            writer.write(struct.pack("!H", len(wire)) + wire)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, Exception):
        pass
    finally:
        writer.close()


async def _http(mode: str, category_of: dict[str, str], reader: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> None:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        host = ""
        for line in head.decode("latin-1").split("\r\n")[1:]:
            if line.lower().startswith("host:"):
                host = line.split(":", 1)[1].strip().split(":")[0].lower()
        if mode == "blockpage":
            status, body = "403 Forbidden", BLOCK_PAGE.format(category=category_of.get(host, "unsuitable"))
        else:
            status, body = "200 OK", SITE_PAGE.format(host=host)
        data = body.encode()
        writer.write(f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(data)}"
                     f"\r\nConnection: close\r\n\r\n".encode() + data)
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def serve(spec: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    servers: list[Any] = []
    for resolver in spec["dns"]:
        profile: Profile = {k.lower(): v for k, v in resolver["records"].items()}
        transport, _ = await loop.create_datagram_endpoint(
            functools.partial(_DnsUdp, profile), local_addr=(resolver["listen"], resolver.get("port", 53)))
        servers.append(transport)
        servers.append(await asyncio.start_server(
            functools.partial(_dns_tcp, profile), resolver["listen"], resolver.get("port", 53)))
    category_of: dict[str, str] = spec.get("categories", {})
    for site in spec["web"]:
        ctx = None
        if site.get("cert"):
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(site["cert"], site["key"])
        servers.append(await asyncio.start_server(
            functools.partial(_http, site["mode"], category_of), site["address"], site["port"], ssl=ctx))
    print("ready", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str]) -> None:
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    try:
        asyncio.run(serve(spec))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
