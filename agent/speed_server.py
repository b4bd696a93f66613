"""The trust-hosted reference endpoint for the ``http`` broadband backend (`schoolnet speed-server`).

The standard library's HTTP server (plus the shared protocol in ``contract.speed``), so it runs on a bare trust
server; the collector serves the same protocol at ``/speed`` (``collector.speed``). Endpoints (relative to the
server root, or to ``/speed`` on the collector):

- ``GET  /ping``                 -> ``pong`` (tiny, never cached): latency probes.
- ``GET  /info``                 -> JSON ``{"service": "schoolnet-speed", "version": 1, "limit_mbps": float|null,
  "udp_echo_port": int|null}``; ``limit_mbps`` is the server's own stated limit (its uplink), so a client knows
  what it cannot measure; ``udp_echo_port`` (stdlib server only, same port number as TCP) echoes datagrams of up
  to 64 bytes, so clients can measure packet loss (no delay is added to echoes).
- ``GET  /download?bytes=N``     -> exactly N bytes of incompressible generated data (``Content-Length`` set;
  default 25 MB, at most 4 GiB).
- ``POST /upload``               -> reads and discards the body; answers JSON ``{"received_bytes": N}``.

speedtest.net "mini" compatible endpoints, so speedtest-cli (``--mini URL``) can test against the same server:

- ``GET  /`` (page naming ``upload_extension: "php"``), ``GET /speedtest-config.php`` (config XML),
  ``GET  /speedtest/latency.txt``, ``GET /speedtest/random{N}x{N}.jpg`` (N*N*2 bytes),
  ``POST /speedtest/upload.php`` (answers ``size=N``).

Options for labs and benchmarks (never advertised to clients): ``shape_mbps`` paces every byte the server
sends or reads through one global token bucket (a simulated line), and ``delay_ms`` sleeps before each
response (a crude stand-in for distance).
"""

# No ``from __future__ import annotations`` here: FastAPI reads the router's annotations at runtime, and the
# fastapi names exist only inside speed_router(), so they must be evaluated there, not stored as strings.
import argparse
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from contract import speed

# The protocol (constants, generated data, the mini config) is shared with the collector's /speed endpoint.
SERVICE = speed.SERVICE
DEFAULT_DOWNLOAD_BYTES = speed.DEFAULT_DOWNLOAD_BYTES
MAX_DOWNLOAD_BYTES = 4 << 30  # this server is the trust's own; the collector's /speed bounds requests tighter
_BLOCK_BYTES = speed.BLOCK_BYTES
_CHUNK_BYTES = speed.CHUNK_BYTES
MINI_PAGE = speed.MINI_PAGE
MINI_CONFIG_XML = speed.MINI_CONFIG_XML
_RANDOM_JPG = re.compile(r"/random(\d+)x(\d+)\.jpg$")


class Pacer:
    """A global token bucket shared by every connection: ``rate_mbps`` across all streams, both directions."""

    def __init__(self, rate_mbps: float | None) -> None:
        self.bytes_per_s = rate_mbps * 1e6 / 8 if rate_mbps else 0.0
        self._lock = threading.Lock()
        self._next = time.monotonic()

    def take(self, nbytes: int) -> None:
        if not self.bytes_per_s:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + nbytes / self.bytes_per_s
        if start > now:
            time.sleep(start - now)


class SpeedServer(ThreadingHTTPServer):
    """The HTTP server; settings live here so that handlers stay stateless."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(
        self,
        address: tuple[str, int],
        *,
        limit_mbps: float | None = None,
        shape_mbps: float | None = None,
        delay_ms: float = 0.0,
    ) -> None:
        self.limit_mbps = limit_mbps
        self.pacer = Pacer(shape_mbps)  # before super().__init__: server_bind() reads it
        self.delay_s = delay_ms / 1000
        super().__init__(address, SpeedHandler)
        self.udp_echo_port: int | None = None
        self._udp: socket.socket | None = None
        self._start_udp_echo()

    def _start_udp_echo(self) -> None:
        """Echo UDP datagrams on the same port number: packet loss that TCP pings would hide by retransmitting."""
        host, port = self.server_address[:2]
        try:
            udp = socket.socket(self.address_family, socket.SOCK_DGRAM)
            udp.bind((host, port))
        except OSError:
            return  # the port is taken for UDP: clients fall back to HTTP pings
        self._udp, self.udp_echo_port = udp, port
        threading.Thread(target=self._echo, args=(udp,), name="udp-echo", daemon=True).start()

    @staticmethod
    def _echo(udp: socket.socket) -> None:
        while True:
            try:
                data, peer = udp.recvfrom(512)
                udp.sendto(data[:64], peer)  # never amplify: at most 64 bytes back
            except OSError:
                return  # closed by server_close()

    def server_close(self) -> None:
        super().server_close()
        if self._udp is not None:
            self._udp.close()

    def server_bind(self) -> None:
        if self.pacer.bytes_per_s:
            # A paced (lab) server reads uploads slowly on purpose; with an auto-tuned receive buffer (tens of MB)
            # the kernel would keep acknowledging what the application has not read, and clients would count
            # it. Cap the buffer (inherited by accepted sockets) to ~20 ms of the paced rate.
            rcvbuf = max(64 << 10, int(self.pacer.bytes_per_s * 0.02))
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        super().server_bind()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-transfer is normal here (its test window ended), not an error


class SpeedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: latency pings reuse one connection
    server_version = "schoolnet-speed/1"
    server: SpeedServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would cost more than the request at gigabit rates

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- helpers -------------------------------------------------------------------------------
    def _delay(self) -> None:
        if self.server.delay_s:
            time.sleep(self.server.delay_s)

    def _small(self, body: bytes, content_type: str = "text/plain", status: int = 200) -> None:
        self._delay()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, nbytes: int, content_type: str) -> None:
        self._delay()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(nbytes))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        left, offset = nbytes, 0
        block = speed.block()
        # Paced (lab) servers write small pieces so the pacing is smooth at the client's sampling scale.
        chunk = 64 << 10 if self.server.pacer.bytes_per_s else _CHUNK_BYTES
        try:
            while left > 0:
                size = min(left, chunk, _BLOCK_BYTES - offset)
                self.server.pacer.take(size)
                self.wfile.write(block[offset : offset + size])
                left -= size
                offset = (offset + size) % _BLOCK_BYTES
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the client stopped reading: its test window ended

    def _drain(self, tolerate_short: bool) -> int:
        """Read and discard the request body; return how many bytes arrived."""
        length = int(self.headers.get("Content-Length") or 0)
        buf = bytearray(_CHUNK_BYTES)
        view = memoryview(buf)
        left = length
        try:
            while left > 0:
                if tolerate_short and left <= 16:
                    # speedtest-cli 2.1.3 announces 65,536 bytes but sends 65,529: do not wait for the tail.
                    self.connection.settimeout(0.3)
                n = self.rfile.readinto1(view[: min(left, _CHUNK_BYTES)])
                if not n:
                    break
                self.server.pacer.take(n)
                left -= n
        except (TimeoutError, ConnectionResetError, OSError):
            self.close_connection = True
        finally:
            self.connection.settimeout(None)
        return length - left

    # -- routes --------------------------------------------------------------------------------
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path  # an absolute URI when speedtest-cli uses us as its http proxy
        if path.endswith("/ping") or path.endswith("/latency.txt"):
            return self._small(b"pong\n" if path.endswith("/ping") else b"test=test\n")
        if path.endswith("/download"):
            query = parse_qs(parts.query)
            try:
                nbytes = int(query.get("bytes", [DEFAULT_DOWNLOAD_BYTES])[0])
            except ValueError:
                return self._small(b"bytes must be an integer\n", status=400)
            if not 0 <= nbytes <= MAX_DOWNLOAD_BYTES:
                return self._small(b"bytes out of range\n", status=400)
            return self._stream(nbytes, "application/octet-stream")
        if path.endswith("/info"):
            info = speed.info(self.server.limit_mbps, self.server.udp_echo_port)
            return self._small(json.dumps(info).encode(), "application/json")
        match = _RANDOM_JPG.search(path)
        if match:
            return self._stream(speed.random_jpg_bytes(int(match.group(1))), "image/jpeg")
        if path.endswith("speedtest-config.php"):
            return self._small(MINI_CONFIG_XML, "text/xml")
        if path in ("", "/", "/speedtest", "/speedtest/"):
            return self._small(MINI_PAGE, "text/html")
        return self._small(b"not found\n", status=404)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path.endswith("/upload"):
            received = self._drain(tolerate_short=False)
            return self._small(json.dumps({"received_bytes": received}).encode(), "application/json")
        if path.endswith("/upload.php"):
            received = self._drain(tolerate_short=True)
            return self._small(b"size=%d" % received)
        self._drain(tolerate_short=True)
        return self._small(b"not found\n", status=404)


def make_server(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    limit_mbps: float | None = None,
    shape_mbps: float | None = None,
    delay_ms: float = 0.0,
) -> SpeedServer:
    """A bound server (port 0 picks a free one: read ``server.server_address``); call ``serve_forever()``."""
    return SpeedServer((host, port), limit_mbps=limit_mbps, shape_mbps=shape_mbps, delay_ms=delay_ms)


def serve(
    host: str = "0.0.0.0",
    port: int = 8088,
    *,
    limit_mbps: float | None = None,
    shape_mbps: float | None = None,
    delay_ms: float = 0.0,
    announce: bool = True,
) -> None:
    """Run until interrupted."""
    server = make_server(host, port, limit_mbps=limit_mbps, shape_mbps=shape_mbps, delay_ms=delay_ms)
    if announce:
        host_part, bound_port = server.server_address[:2]
        bound_host = host_part.decode() if isinstance(host_part, bytes) else host_part
        print(f"schoolnet speed server listening on http://{bound_host}:{bound_port}/", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def speed_router(limit_mbps: float | None = None) -> Any:
    """The same endpoints as a FastAPI ``APIRouter`` (the collector's ``/speed``, with its per-request bounds).

    Imported lazily: this server needs neither fastapi nor the collector."""
    from collector.speed import SpeedSettings
    from collector.speed import speed_router as router

    return router(SpeedSettings(limit_mbps=limit_mbps))


def main(argv: list[str] | None = None) -> None:
    """``python -m agent.speed_server`` (the lab and the benchmark start it this way)."""
    parser = argparse.ArgumentParser(description="schoolnet reference speed-test server")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--limit-mbps", type=float, default=None, help="the server's own stated limit (advertised)")
    parser.add_argument("--shape-mbps", type=float, default=None, help="pace all traffic to this rate (lab)")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="sleep before each response (benchmark)")
    args = parser.parse_args(argv)
    serve(args.host, args.port, limit_mbps=args.limit_mbps, shape_mbps=args.shape_mbps, delay_ms=args.delay_ms)


if __name__ == "__main__":
    main()
