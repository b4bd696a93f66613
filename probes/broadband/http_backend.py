"""The ``http`` backend: multi-stream download and upload against a schoolnet speed server.

How a figure is made: ``streams`` TCP connections each move data for ``duration_s``; a sampler reads the
total byte count every 50 ms; everything before ``warmup_s`` after the first byte (TCP slow start, the
server's first-response delay) is discarded, and the rate is the bytes moved in the remaining window over its
length (the steady state). Each stream asks for very large transfers, so a server's per-request delay costs
one pause per stream instead of one per small file (the reason speedtest-cli under-reads on distant servers).

Latency: idle round trips of ``GET /ping`` on a keep-alive connection before any load, then the same pings
while each direction is saturated (latency under load, i.e. bufferbloat). Jitter is the mean difference of
consecutive idle round trips; loss is the share of pings that got no answer within the timeout.

Plain sockets, not an HTTP library: ``recv_into``/``send`` on a reused buffer keep the client's CPU low enough
that it is never the bottleneck at gigabit rates, and the byte counts are exact (no library buffering).
"""

from __future__ import annotations

import array
import fcntl
import json
import socket
import ssl
import struct
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from contract.history import median
from contract.secrets import Secret
from probes.broadband.common import (
    MeasurementError,
    RunResult,
    ServerUnreachable,
    TransferAborted,
    dns_resolution_ms,
    jitter_ms,
)

_RECV_BYTES = 256 << 10
_SEND_BYTES = 256 << 10
_PAYLOAD = bytes(range(256)) * (4 << 12)  # 1 MiB; the upload body (content does not matter to the sink)
_SAMPLE_S = 0.05
_LOADED_PING_INTERVAL_S = 0.1


@dataclass(frozen=True)
class HttpSettings:
    url: str
    streams: int = 4
    duration_s: float = 8.0
    warmup_s: float = 1.0
    ping_count: int = 10
    timeout_s: float = 10.0
    request_bytes: int = 1 << 30  # per download request / upload body: far more than one stream moves in a test
    # The ``Authorization`` value (contract.speed.make_credential) for a server that serves enrolled agents only;
    # the agent sets it only when the server is its own collector. Never shown: a Secret, and not in repr.
    authorization: Secret | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str
    port: int
    base_path: str
    # Sent on every request to this server (info, pings, downloads, uploads); see HttpSettings.authorization.
    authorization: Secret | None = field(default=None, repr=False, compare=False)

    @classmethod
    def parse(cls, url: str, authorization: Secret | None = None) -> Endpoint:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise MeasurementError(f"not an http(s) speed server URL: {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"), authorization)

    def path(self, suffix: str) -> str:
        return f"{self.base_path}{suffix}"

    @property
    def display(self) -> str:
        default = 443 if self.scheme == "https" else 80
        port = "" if self.port == default else f":{self.port}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}{port}{self.base_path}"


class Connection:
    """One keep-alive HTTP/1.1 connection on a plain (or TLS) socket."""

    def __init__(self, endpoint: Endpoint, timeout_s: float) -> None:
        self.endpoint = endpoint
        try:
            raw = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout_s)
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise ServerUnreachable(f"cannot reach the speed server at {endpoint.display}: {reason}") from None
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if endpoint.scheme == "https":
            try:
                raw = ssl.create_default_context().wrap_socket(raw, server_hostname=endpoint.host)
            except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
                raw.close()
                raise ServerUnreachable(f"TLS with the speed server at {endpoint.display} failed: {exc}") from None
        self.sock: socket.socket = raw
        self.pending = b""

    def unacked_bytes(self) -> int:
        """Bytes written but not yet acknowledged by the server (Linux SIOCOUTQ; 0 where unsupported).

        Upload is counted as written minus this, i.e. what reached the server, so a growing send buffer
        never counts as throughput.
        """
        out = array.array("i", [0])
        try:
            fcntl.ioctl(self.sock.fileno(), termios.TIOCOUTQ, out, True)
        except OSError:
            return 0
        return max(out[0], 0)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def send_head(self, method: str, path: str, content_length: int | None = None) -> None:
        host = self.endpoint.host if ":" not in self.endpoint.host else f"[{self.endpoint.host}]"
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {host}:{self.endpoint.port}",
            "User-Agent: schoolnet-broadband",
            "Accept-Encoding: identity",
            "Cache-Control: no-cache",
        ]
        if content_length is not None:
            lines += [f"Content-Length: {content_length}", "Content-Type: application/octet-stream"]
        if self.endpoint.authorization is not None:
            lines.append(f"Authorization: {self.endpoint.authorization.reveal()}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def read_head(self) -> tuple[int, dict[str, str]]:
        data = self.pending
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise TransferAborted("the server closed the connection before answering")
            data += chunk
            if len(data) > 65536:
                raise MeasurementError("the server's response headers are too long: not a speed server")
        head, _, self.pending = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split()[1])
        except (IndexError, ValueError):
            raise MeasurementError(f"not an HTTP response: {lines[0][:60]!r}") from None
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "identity").lower() != "identity":
            raise MeasurementError("the server sent a chunked body; point the http backend at a schoolnet speed server")
        return status, headers

    def read_small_body(self, headers: dict[str, str]) -> bytes:
        length = int(headers.get("content-length", "0"))
        data = self.pending
        while len(data) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise TransferAborted("the server closed the connection mid-response")
            data += chunk
        body, self.pending = data[:length], data[length:]
        return body

    def get_small(self, path: str) -> tuple[int, bytes]:
        self.send_head("GET", path)
        status, headers = self.read_head()
        return status, self.read_small_body(headers)


class _Pinger:
    """``GET /ping`` round trips on one keep-alive connection; failures count as loss."""

    def __init__(self, endpoint: Endpoint, timeout_s: float) -> None:
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self.conn: Connection | None = None
        self.sent = 0
        self.lost = 0

    def once(self) -> float | None:
        self.sent += 1
        try:
            if self.conn is None:
                self.conn = Connection(self.endpoint, self.timeout_s)
            started = time.perf_counter()
            status, _ = self.conn.get_small(self.endpoint.path("/ping"))
            elapsed_ms = (time.perf_counter() - started) * 1000
        except (OSError, MeasurementError):
            self.lost += 1
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None
        if status != 200:
            raise MeasurementError(f"{self.endpoint.display}/ping answered HTTP {status}: not a schoolnet speed server")
        return elapsed_ms

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class _UdpPinger:
    """Round trips of numbered datagrams to the server's UDP echo; a datagram not echoed in time is lost."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        self.sock = socket.socket(family, kind, proto)
        self.sock.connect(address)
        self.timeout_s = timeout_s
        self.seq = 0
        self.sent = 0
        self.lost = 0

    def once(self) -> float | None:
        self.seq += 1
        self.sent += 1
        started = time.perf_counter()
        deadline = started + self.timeout_s
        try:
            self.sock.send(struct.pack("!Q", self.seq) + b"schoolnet-ping")
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                self.sock.settimeout(remaining)
                data = self.sock.recv(64)
                if len(data) >= 8 and struct.unpack("!Q", data[:8])[0] == self.seq:  # late echoes are skipped
                    return (time.perf_counter() - started) * 1000
        except OSError:  # timeout, or ICMP port unreachable reported as ConnectionRefused
            pass
        self.lost += 1
        return None

    def close(self) -> None:
        self.sock.close()


def _choose_pinger(endpoint: Endpoint, info: dict[str, object], timeout_s: float) -> tuple[_Pinger | _UdpPinger, str]:
    """UDP echo when the server offers it and it answers (true loss); else HTTP pings on a keep-alive connection."""
    port = info.get("udp_echo_port")
    if isinstance(port, int) and port > 0:
        try:
            udp = _UdpPinger(endpoint.host, port, timeout_s)
        except OSError:
            udp = None
        if udp is not None:
            udp.timeout_s = min(timeout_s, 0.5)  # deciding whether UDP passes at all: do not wait long
            if any(udp.once() is not None for _ in range(3)):
                udp.timeout_s = timeout_s
                udp.sent = udp.lost = 0
                return udp, "latency, jitter and loss from UDP echo"
            udp.close()
            return _Pinger(endpoint, timeout_s), "UDP echo did not answer (filtered?): latency and loss from HTTP pings"
    return _Pinger(endpoint, timeout_s), "latency and loss from HTTP pings (TCP hides most loss)"


@dataclass
class DirectionResult:
    mbps: float
    window_bytes: int
    total_bytes: int
    loaded_rtts_ms: list[float]


class HttpBackend:
    """Measure one run against a schoolnet speed server (``schoolnet speed-server`` or the collector's /speed)."""

    name = "http"

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.endpoint = Endpoint.parse(settings.url, settings.authorization)

    def server_info(self) -> dict[str, object]:
        conn = Connection(self.endpoint, self.settings.timeout_s)
        try:
            status, body = conn.get_small(self.endpoint.path("/info"))
        except OSError as exc:
            raise ServerUnreachable(f"the speed server at {self.endpoint.display} did not answer: {exc}") from None
        finally:
            conn.close()
        if status == 404:
            return {}
        if status == 401:  # the collector's /speed with --speed-enrolled-only: this agent is not enrolled there
            raise MeasurementError(
                f"{self.endpoint.display}/info answered HTTP 401: the speed server serves enrolled agents only, and "
                + ("this agent's credential was refused (enrolled with this collector?)"
                   if self.endpoint.authorization is not None else
                   "this agent sent no credential (it sends one only to the collector of its [upload] url, "
                   "after `schoolnet keys init` and `schoolnet enroll`)")
            )
        if status != 200:
            raise MeasurementError(f"{self.endpoint.display}/info answered HTTP {status}")
        try:
            info = json.loads(body)
        except ValueError:
            raise MeasurementError(f"{self.endpoint.display}/info did not return JSON: not a speed server") from None
        return info if isinstance(info, dict) else {}

    def measure(self) -> RunResult:
        s = self.settings
        if s.authorization is not None and s.authorization.value is None:  # a key that could not be used: say why
            raise MeasurementError(f"no credential for the speed server: {s.authorization.unavailable}")
        result = RunResult(backend=self.name, server=self.endpoint.display, host=self.endpoint.host, streams=s.streams)
        result.dns_resolution_ms = dns_resolution_ms(self.endpoint.host)
        info = self.server_info()
        limit = info.get("limit_mbps")
        result.server_limit_mbps = float(limit) if isinstance(limit, int | float) else None

        pinger, how = _choose_pinger(self.endpoint, info, min(s.timeout_s, 1.0))
        result.notes.append(how)
        try:
            pinger.once()  # opens the connection (HTTP) or wakes the path; not a latency sample
            pinger.sent = pinger.lost = 0
            idle: list[float] = []
            for _ in range(s.ping_count):
                rtt = pinger.once()
                if rtt is not None:
                    idle.append(rtt)
                time.sleep(0.02)
            if s.ping_count and not idle:
                raise ServerUnreachable(f"no answer to {s.ping_count} pings from {self.endpoint.display}")
            result.latency_idle_ms = median(list(idle))
            result.jitter_ms = jitter_ms(idle)

            down = self._direction(self._download_stream, pinger)
            up = self._direction(self._upload_stream, pinger)
        finally:
            pinger.close()
        result.download_mbps, result.download_bytes = down.mbps, down.total_bytes
        result.upload_mbps, result.upload_bytes = up.mbps, up.total_bytes
        result.latency_loaded_download_ms = median(list(down.loaded_rtts_ms))
        result.latency_loaded_upload_ms = median(list(up.loaded_rtts_ms))
        result.loss_percent = 100.0 * pinger.lost / pinger.sent if pinger.sent else None
        return result

    # -- one direction ---------------------------------------------------------------------------
    def _direction(
        self, worker: Callable[[Connection, list[int], int, threading.Event], None], pinger: _Pinger | _UdpPinger
    ) -> DirectionResult:
        s = self.settings
        counters = [0] * s.streams
        stop = threading.Event()
        errors: list[BaseException] = []
        conns: list[Connection] = []
        try:
            for _ in range(s.streams):
                conns.append(Connection(self.endpoint, s.timeout_s))
        except MeasurementError:
            for conn in conns:
                conn.close()
            raise

        def run(index: int) -> None:
            try:
                worker(conns[index], counters, index, stop)
            except BaseException as exc:  # reported to the measuring thread below
                if not stop.is_set():
                    errors.append(exc)

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(s.streams)]
        loaded: list[float] = []
        started = time.monotonic()
        for thread in threads:
            thread.start()
        samples: list[tuple[float, int]] = []
        first_byte_at: float | None = None
        next_ping = started + s.warmup_s
        deadline = started + s.duration_s
        try:
            while True:
                time.sleep(_SAMPLE_S)
                now = time.monotonic()
                total = sum(counters)
                if worker == self._upload_stream:
                    total -= sum(conn.unacked_bytes() for conn in conns)
                samples.append((now, total))
                if first_byte_at is None and total > 0:
                    first_byte_at = now
                if errors or now >= deadline:
                    break
                if first_byte_at is not None and now >= next_ping:
                    rtt = pinger.once()
                    if rtt is not None:
                        loaded.append(rtt)
                    next_ping = time.monotonic() + _LOADED_PING_INTERVAL_S
        finally:
            stop.set()
            for conn in conns:
                conn.close()  # unblocks any thread waiting in recv/send
            for thread in threads:
                thread.join(timeout=5)
        if errors:
            first = errors[0]
            if isinstance(first, MeasurementError):
                raise first
            if isinstance(first, TimeoutError | socket.timeout):
                raise TransferAborted(f"a transfer stalled for {s.timeout_s:g} s (no data moved)") from None
            raise TransferAborted(f"a transfer was cut off midway: {type(first).__name__}: {first}") from None
        return _steady_rate(samples, first_byte_at, s.warmup_s, loaded)

    def _download_stream(self, conn: Connection, counters: list[int], index: int, stop: threading.Event) -> None:
        buf = memoryview(bytearray(_RECV_BYTES))
        while not stop.is_set():
            conn.send_head("GET", self.endpoint.path(f"/download?bytes={self.settings.request_bytes}"))
            status, headers = conn.read_head()
            if status != 200:
                raise MeasurementError(f"download answered HTTP {status}: not a schoolnet speed server?")
            try:
                length = int(headers["content-length"])
            except (KeyError, ValueError):
                raise MeasurementError("the download has no Content-Length: not a schoolnet speed server") from None
            got = min(len(conn.pending), length)
            conn.pending = conn.pending[got:]
            counters[index] += got
            while got < length:
                n = conn.sock.recv_into(buf)
                if not n:
                    if stop.is_set():
                        return
                    raise TransferAborted(f"the server closed a download after {got:,} of {length:,} bytes")
                got += n
                counters[index] += n

    def _upload_stream(self, conn: Connection, counters: list[int], index: int, stop: threading.Event) -> None:
        payload = memoryview(_PAYLOAD)
        length = self.settings.request_bytes
        while not stop.is_set():
            conn.send_head("POST", self.endpoint.path("/upload"), content_length=length)
            sent = 0
            offset = 0
            while sent < length:
                if stop.is_set():
                    return
                size = min(_SEND_BYTES, length - sent, len(payload) - offset)
                try:
                    n = conn.sock.send(payload[offset : offset + size])
                except (BrokenPipeError, ConnectionResetError) as exc:
                    if stop.is_set():
                        return
                    raise TransferAborted(
                        f"the server cut an upload off after {sent:,} of {length:,} bytes ({exc.strerror})"
                    ) from None
                sent += n
                offset = (offset + n) % len(payload)
                counters[index] += n
            status, headers = conn.read_head()
            conn.read_small_body(headers)
            if status != 200:
                raise MeasurementError(f"upload answered HTTP {status}: not a schoolnet speed server?")


def _steady_rate(
    samples: list[tuple[float, int]], first_byte_at: float | None, warmup_s: float, loaded: list[float]
) -> DirectionResult:
    if first_byte_at is None or not samples:
        raise TransferAborted("no data moved during the test")
    end_at, end_total = samples[-1]
    window_from = first_byte_at + warmup_s
    start = next(((t, b) for t, b in samples if t >= window_from), None)
    if start is None or end_at - start[0] < 0.5:
        raise MeasurementError(
            f"the test window after a {warmup_s:g} s warm-up is too short; raise duration_s"
        )
    seconds = end_at - start[0]
    window_bytes = end_total - start[1]
    return DirectionResult(
        mbps=window_bytes * 8 / seconds / 1e6,
        window_bytes=window_bytes,
        total_bytes=end_total,
        loaded_rtts_ms=loaded,
    )


def measure(settings: HttpSettings) -> RunResult:
    return HttpBackend(settings).measure()
