"""The http backend over real loopback transfers: figures, steady state, and every way a run can go wrong."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler

import pytest

from probes.broadband.common import (
    MeasurementError,
    ServerUnreachable,
    TransferAborted,
    dns_resolution_ms,
    jitter_ms,
)
from probes.broadband.http_backend import (
    Endpoint,
    HttpSettings,
    _choose_pinger,
    _Pinger,
    _steady_rate,
    _UdpPinger,
    measure,
)

QUICK = {"streams": 2, "duration_s": 1.2, "warmup_s": 0.2, "ping_count": 3, "timeout_s": 3.0}


def test_measures_both_directions_and_latency(speed_server_factory):
    with speed_server_factory(limit_mbps=2500.0) as url:
        started = time.monotonic()
        result = measure(HttpSettings(url=url, **QUICK))
        # Guards against a stream that never stops: two directions of 1.2 s plus pings, not the 10 s timeout.
        assert time.monotonic() - started < 9
    assert result.backend == "http" and result.server == url
    assert result.download_mbps and result.download_mbps > 0
    assert result.upload_mbps and result.upload_mbps > 0
    assert result.download_bytes and result.upload_bytes
    assert result.latency_idle_ms is not None and result.latency_idle_ms > 0
    assert result.latency_loaded_download_ms is not None and result.latency_loaded_upload_ms is not None
    assert result.latency_loaded_ms == max(result.latency_loaded_download_ms, result.latency_loaded_upload_ms)
    assert result.jitter_ms is not None and result.loss_percent == 0.0
    assert "UDP echo" in result.notes[0]  # the stdlib server offers a UDP echo for true loss
    assert result.server_limit_mbps == 2500.0
    assert result.dns_resolution_ms is None  # an address literal: nothing to resolve
    assert result.streams == 2


def test_follows_a_shaped_server(speed_server_factory):
    """A server paced to 60 Mbit/s reads as about 60 (wide band: loopback on a busy CI box)."""
    with speed_server_factory(shape_mbps=60.0) as url:
        result = measure(HttpSettings(url=url, streams=2, duration_s=2.0, warmup_s=0.5, ping_count=2))
    assert result.download_mbps is not None and 40 < result.download_mbps < 80
    assert result.upload_mbps is not None and 40 < result.upload_mbps < 80


def test_host_name_is_resolved_and_timed():
    ms = dns_resolution_ms("localhost")
    assert ms is not None and ms >= 0
    assert dns_resolution_ms("127.0.0.1") is None and dns_resolution_ms("[::1]") is None
    with pytest.raises(ServerUnreachable, match="cannot resolve"):
        dns_resolution_ms("no-such-host.invalid")


def test_server_unreachable(dead_url):
    with pytest.raises(ServerUnreachable, match="cannot reach the speed server"):
        measure(HttpSettings(url=dead_url, **QUICK))


class _AbortingDownload(BaseHTTPRequestHandler):
    """Answers /info and /ping, then cuts every download off after 1 MB of the 50 MB it announced."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/download"):
            self.send_response(200)
            self.send_header("Content-Length", str(50_000_000))
            self.end_headers()
            self.wfile.write(b"\0" * 1_000_000)
            self.close_connection = True
            return
        body = b'{"service": "test"}' if self.path == "/info" else b"pong\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_transfer_aborted_midway(handler_server):
    with handler_server(_AbortingDownload) as url, pytest.raises(TransferAborted, match="closed a download after"):
        measure(HttpSettings(url=url, **QUICK))


class _AbortingUpload(_AbortingDownload):
    """Downloads fine (briefly), but resets every upload after 256 KiB."""

    def do_GET(self) -> None:
        if self.path.startswith("/download"):
            size = 1 << 30
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b"\0" * (1 << 20)
            try:
                for _ in range(size >> 20):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        super().do_GET()

    def do_POST(self) -> None:
        self.rfile.read(256 << 10)
        import socket
        import struct

        # SO_LINGER 0: close with a reset, as a crashing server or a middlebox would.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


def test_upload_aborted_midway(handler_server):
    with handler_server(_AbortingUpload) as url, pytest.raises(TransferAborted):
        measure(HttpSettings(url=url, **QUICK))


class _NotASpeedServer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_not_a_speed_server(handler_server):
    with handler_server(_NotASpeedServer) as url, pytest.raises(MeasurementError, match="/ping answered HTTP 404"):
        measure(HttpSettings(url=url, **QUICK))


def test_steady_rate_discards_the_warm_up():
    # 1 s of slow start at 10 MB/s, then 100 MB/s: the warm-up second must not drag the figure down.
    samples = []
    total = 0
    for step in range(1, 41):
        t = step * 0.05
        total += 500_000 if t <= 1.0 else 5_000_000
        samples.append((t, total))
    result = _steady_rate(samples, first_byte_at=0.05, warmup_s=1.0, loaded=[])
    assert result.mbps == pytest.approx(800.0, rel=0.01)


def test_steady_rate_needs_a_window():
    with pytest.raises(MeasurementError, match="too short"):
        _steady_rate([(0.1, 10), (0.2, 20)], first_byte_at=0.1, warmup_s=1.0, loaded=[])
    with pytest.raises(TransferAborted, match="no data"):
        _steady_rate([(0.1, 0)], first_byte_at=None, warmup_s=1.0, loaded=[])


def test_endpoint_parsing():
    assert Endpoint.parse("speed.example.org").display == "http://speed.example.org"
    ep = Endpoint.parse("https://speed.example.org/speed/")
    assert (ep.scheme, ep.port, ep.path("/ping")) == ("https", 443, "/speed/ping")
    with pytest.raises(MeasurementError):
        Endpoint.parse("ftp://x")


def test_jitter():
    assert jitter_ms([10.0, 12.0, 11.0]) == pytest.approx(1.5)
    assert jitter_ms([10.0]) is None


def test_udp_filtered_falls_back_to_http_pings(speed_url):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        silent_port = sock.getsockname()[1]  # bound, never answers: like a firewall dropping UDP
        pinger, how = _choose_pinger(Endpoint.parse(speed_url), {"udp_echo_port": silent_port}, 1.0)
    try:
        assert isinstance(pinger, _Pinger) and "HTTP pings" in how
        assert pinger.once() is not None  # the HTTP pings do answer
    finally:
        pinger.close()


def test_udp_loss_is_counted():
    import socket
    import threading

    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind(("127.0.0.1", 0))

    def drop_every_other() -> None:
        count = 0
        while True:
            try:
                data, peer = echo.recvfrom(512)
            except OSError:
                return
            count += 1
            if count % 2:
                echo.sendto(data, peer)

    threading.Thread(target=drop_every_other, daemon=True).start()
    pinger = _UdpPinger("127.0.0.1", echo.getsockname()[1], timeout_s=0.2)
    try:
        rtts = [pinger.once() for _ in range(8)]
    finally:
        pinger.close()
        echo.close()
    assert pinger.sent == 8 and pinger.lost == 4
    assert [rtt is not None for rtt in rtts] == [True, False] * 4


def test_tls_failure_is_a_reason(speed_url):
    # A plain-HTTP server spoken to with https: the handshake fails, and the reason says so.
    with pytest.raises(ServerUnreachable, match="TLS with the speed server"):
        measure(HttpSettings(url=speed_url.replace("http://", "https://"), **QUICK))
