"""The ``iperf3`` backend: the Debian ``iperf3`` binary against a configured iperf3 server, ``-J`` JSON parsed.

Upload is a normal test (we send), download a reverse one (``-R``: the server sends). ``-O`` omits the warm-up
seconds from iperf3's own totals, the same steady-state rule the http backend applies. The figure is
``end.sum_received`` (what actually arrived), and the sender's mean TCP round-trip time during the test is the
latency under load.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from probes.broadband.common import MeasurementError, RunResult, ServerUnreachable, dns_resolution_ms

DEFAULT_PORT = 5201


@dataclass(frozen=True)
class Iperf3Settings:
    server: str  # host, host:port or iperf3://host:port
    streams: int = 4
    duration_s: float = 8.0
    warmup_s: float = 1.0
    binary: str = "iperf3"
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Iperf3Figures:
    mbps: float
    mean_rtt_ms: float | None
    retransmits: int | None


def parse_server(server: str) -> tuple[str, int]:
    text = server.removeprefix("iperf3://").rstrip("/")
    if text.startswith("["):  # [v6]:port
        host, _, rest = text[1:].partition("]")
        return host, int(rest.lstrip(":") or DEFAULT_PORT)
    if text.count(":") == 1:
        host, port = text.split(":")
        try:
            return host, int(port)
        except ValueError:
            raise MeasurementError(f"iperf3 server {server!r}: port {port!r} is not a number") from None
    return text, DEFAULT_PORT


def parse_json(text: str) -> Iperf3Figures:
    """Figures from one ``iperf3 -J`` document; MeasurementError with iperf3's own reason when it failed."""
    try:
        doc: dict[str, Any] = json.loads(text)
    except ValueError:
        first = text.strip().splitlines()[0][:120] if text.strip() else "no output"
        raise MeasurementError(f"iperf3 did not print JSON: {first}") from None
    if doc.get("error"):
        reason = str(doc["error"])
        if "connect" in reason or "refused" in reason or "unable to" in reason:
            raise ServerUnreachable(f"iperf3: {reason}")
        raise MeasurementError(f"iperf3: {reason}")
    end = doc.get("end") or {}
    received = end.get("sum_received") or {}
    bps = received.get("bits_per_second")
    if not isinstance(bps, int | float) or math.isnan(bps):
        raise MeasurementError("iperf3 JSON has no end.sum_received.bits_per_second")
    rtts = [
        stream["sender"]["mean_rtt"]
        for stream in end.get("streams", [])
        if isinstance(stream.get("sender"), dict) and isinstance(stream["sender"].get("mean_rtt"), int | float)
    ]
    sent = end.get("sum_sent") or {}
    retransmits = sent.get("retransmits")
    return Iperf3Figures(
        mbps=float(bps) / 1e6,
        mean_rtt_ms=(sum(rtts) / len(rtts) / 1000) if rtts else None,  # iperf3 reports microseconds
        retransmits=int(retransmits) if isinstance(retransmits, int) else None,
    )


class Iperf3Backend:
    name = "iperf3"

    def __init__(self, settings: Iperf3Settings) -> None:
        self.settings = settings
        self.host, self.port = parse_server(settings.server)

    def _run(self, reverse: bool) -> Iperf3Figures:
        s = self.settings
        binary = shutil.which(s.binary)
        if binary is None:
            raise MeasurementError(f"the iperf3 binary ({s.binary}) is not installed")
        omit = max(0, math.ceil(s.warmup_s))
        args = [
            binary, "-c", self.host, "-p", str(self.port), "-J", "-P", str(s.streams),
            "-t", f"{max(1, round(s.duration_s - omit))}", "-O", str(omit),
            "--connect-timeout", str(int(s.timeout_s * 1000)),
        ]
        if reverse:
            args.append("-R")
        try:
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=s.duration_s + s.timeout_s + 10, check=False
            )
        except subprocess.TimeoutExpired:
            raise MeasurementError(f"iperf3 did not finish within {s.duration_s + s.timeout_s + 10:g} s") from None
        return parse_json(done.stdout or done.stderr)

    def measure(self) -> RunResult:
        down = self._run(reverse=True)
        up = self._run(reverse=False)
        return RunResult(
            backend=self.name,
            server=f"iperf3://{self.host}:{self.port}",
            host=self.host,
            download_mbps=down.mbps,
            upload_mbps=up.mbps,
            # In reverse mode the server sends, and the client's JSON has no sender RTT worth reading.
            latency_loaded_upload_ms=up.mean_rtt_ms,
            dns_resolution_ms=dns_resolution_ms(self.host),
            streams=self.settings.streams,
        )


def measure(settings: Iperf3Settings) -> RunResult:
    return Iperf3Backend(settings).measure()
