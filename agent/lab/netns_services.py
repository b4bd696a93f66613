"""The services inside the namespace lab's firewall and "internet" namespaces, in one asyncio process each.

Run as ``python -m agent.lab.netns_services SPEC.json`` inside a namespace (``ip netns exec``). The spec lists
the services; the process prints ``ready`` on stdout once everything is bound, so the lab waits for that
instead of polling ports. What each service answers is what the exposure scan must identify: an SSH
version string, an admin login page (HTTP title and Server header), a TLS certificate, NTP, and DNS.

No service here accepts a login: the SSH stand-in sends its version string and closes, the admin page
is a static page. The scanner must never try a password, and nothing here could take one.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import struct
import sys
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

# An asyncio stream server's connection handler.
StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _ssh(banner: str) -> StreamHandler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(banner.encode() + b"\r\n")
        try:
            await writer.drain()
            await asyncio.wait_for(reader.read(256), 2.0)
        except (TimeoutError, OSError):
            pass
        writer.close()

    return handle


def _http(title: str, server: str, redirect: str | None) -> StreamHandler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3.0)
            if redirect:
                head = f"HTTP/1.1 301 Moved Permanently\r\nLocation: {redirect}\r\n"
                body = b""
            else:
                head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                body = (f"<!doctype html><html><head><title>{title}</title></head>"
                        "<body><form><input name=username><input type=password name=secretkey></form></body>"
                        "</html>").encode()
            writer.write(f"{head}Server: {server}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                         .encode() + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError, ssl.SSLError):
            pass
        writer.close()

    return handle


class _Ntp(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 48:
            return
        now = time.time() + 2208988800  # NTP era 0
        seconds, fraction = int(now), int((now % 1) * 2**32)
        reply = struct.pack("!BBBb11I", 0x24, 2, 6, -20, 0, 0, 0x4C4F434C, seconds, fraction,
                            *struct.unpack("!II", data[40:48]), seconds, fraction, seconds, fraction)
        self.transport.sendto(reply, addr)  # type: ignore[attr-defined]


def _dns_answer(data: bytes, spec: dict[str, Any]) -> bytes | None:
    import dns.flags
    import dns.message
    import dns.rcode
    import dns.rdatatype
    import dns.rrset

    try:
        query = dns.message.from_wire(data)
    except Exception:
        return None
    reply = dns.message.make_response(query)
    reply.flags |= dns.flags.RA
    if not query.question:
        return reply.to_wire()
    question = query.question[0]
    name = question.name.to_text(omit_final_dot=True).lower()
    blocked = set(spec.get("nxdomain", []))
    profile_file = spec.get("profile_file")
    if profile_file:  # the lab switches profile without restarting: well-kept blocks these names
        try:
            profile = Path(profile_file).read_text().strip()
        except OSError:
            profile = ""
        blocked |= set(spec.get("nxdomain_by_profile", {}).get(profile, []))
    records: dict[str, str] = spec.get("records", {})
    if name in blocked:
        reply.set_rcode(dns.rcode.NXDOMAIN)
    elif name in records or spec.get("default"):
        if question.rdtype == dns.rdatatype.A:
            address = records.get(name, spec.get("default"))
            reply.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A", address))
    else:
        reply.set_rcode(dns.rcode.NXDOMAIN)
    return reply.to_wire()


class _DnsUdp(asyncio.DatagramProtocol):
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        wire = _dns_answer(data, self.spec)
        if wire is not None:
            self.transport.sendto(wire, addr)  # type: ignore[attr-defined]


def _dns_tcp(spec: dict[str, Any]) -> StreamHandler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            size = struct.unpack("!H", await asyncio.wait_for(reader.readexactly(2), 3.0))[0]
            wire = _dns_answer(await asyncio.wait_for(reader.readexactly(size), 3.0), spec)
            if wire is not None:
                writer.write(struct.pack("!H", len(wire)) + wire)
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, OSError):
            pass
        writer.close()

    return handle


def _tls(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


async def _start(spec: list[dict[str, Any]]) -> list[Any]:
    loop = asyncio.get_running_loop()
    handles: list[Any] = []
    for item in spec:
        kind, host, port = item["kind"], item.get("host", "0.0.0.0"), item.get("port", 0)
        tls = _tls(item["cert"], item["key"]) if item.get("cert") else None
        if kind == "ssh":
            handles.append(await asyncio.start_server(_ssh(item["banner"]), host, port, reuse_address=True))
        elif kind == "http":
            handler = _http(item.get("title", ""), item.get("server", "lab"), item.get("redirect"))
            handles.append(await asyncio.start_server(handler, host, port, ssl=tls, reuse_address=True))
        elif kind == "ntp":
            handles.append((await loop.create_datagram_endpoint(_Ntp, local_addr=(host, port)))[0])
        elif kind == "dns":
            handles.append((await loop.create_datagram_endpoint(partial(_DnsUdp, item),
                                                                local_addr=(host, port)))[0])
            handles.append(await asyncio.start_server(_dns_tcp(item), host, port, reuse_address=True))
        elif kind == "echo":
            from agent.echo_server import start

            key = Path(item["key_file"]).read_bytes().strip()
            handles.extend(await start(host, item["tcp_ports"], item["udp_ports"], key))
        else:
            raise ValueError(f"unknown lab service kind {kind!r}")
    return handles


async def _main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    await _start(spec)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1]))
