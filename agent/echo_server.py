"""``schoolnet echo-server``: the trust-hosted endpoint the egress test talks to.

It listens on every egress test port, TCP and UDP, and answers each probe with the HMAC of its nonce
(``probes.firewall.echo``). It never relays traffic anywhere, never answers anything that is not a
well-formed probe, and its UDP answers are never larger than the request (no amplification).
A port that cannot be bound (already in use, or below 1024 without CAP_NET_BIND_SERVICE) is reported
and skipped; the server refuses to start only when it can bind none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from functools import partial

from probes.firewall.echo import REQUEST_BYTES, answer

log = logging.getLogger("schoolnet.echo")

READ_TIMEOUT_S = 5.0


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, key: bytes, port: int) -> None:
        self.key, self.port = key, port
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = answer(self.key, "udp", self.port, data[:256])
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)  # type: ignore[attr-defined]


def _tcp_handler(key: bytes, port: int) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            data = await asyncio.wait_for(reader.readexactly(REQUEST_BYTES), READ_TIMEOUT_S)
            reply = answer(key, "tcp", port, data)
            if reply is not None:
                writer.write(reply)
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            writer.close()

    return handle


async def start(host: str, tcp_ports: Iterable[int], udp_ports: Iterable[int], key: bytes) -> list[object]:
    """Bind every port it can; return the servers/transports (close them to stop)."""
    loop = asyncio.get_running_loop()
    handles: list[object] = []
    failed: list[str] = []
    for port in tcp_ports:
        try:
            handles.append(await asyncio.start_server(_tcp_handler(key, port), host, port, reuse_address=True))
        except OSError as exc:
            failed.append(f"tcp/{port} ({exc.strerror})")
    for port in udp_ports:
        try:
            transport, _ = await loop.create_datagram_endpoint(partial(_Udp, key, port), local_addr=(host, port))
            handles.append(transport)
        except OSError as exc:
            failed.append(f"udp/{port} ({exc.strerror})")
    if failed:
        log.warning("echo server could not listen on %s", ", ".join(failed))
    if not handles:
        raise OSError(f"the echo server could not listen on any port: {', '.join(failed)}")
    return handles


def close(handles: list[object]) -> None:
    for handle in handles:
        handle.close()  # type: ignore[attr-defined]


def serve(host: str, tcp_ports: list[int], udp_ports: list[int], key: bytes, ready: object = None) -> None:
    """Run until interrupted. ``ready`` (a callable) is called once the ports are bound."""

    async def main() -> None:
        handles = await start(host, tcp_ports, udp_ports, key)
        if callable(ready):
            ready()
        try:
            await asyncio.Event().wait()
        finally:
            close(handles)

    asyncio.run(main())
