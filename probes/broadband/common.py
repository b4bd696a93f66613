"""What every broadband backend returns for one run, and the errors they raise."""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass, field
from ipaddress import ip_address

from contract.errors import CollectionError, Reason


class MeasurementError(CollectionError):
    """A run could not be measured; the message is the reason shown in the report."""

    default_reason = Reason.failed


class ServerUnreachable(MeasurementError):
    """The test server did not answer at all."""

    default_reason = Reason.unreachable


class TransferAborted(MeasurementError):
    """A transfer stopped midway (connection closed or reset before its end)."""

    default_reason = Reason.aborted


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")


def redact(text: str) -> str:
    """``scheme://user:password@host`` -> ``scheme://host``: a reason or URL shown anywhere has no credentials."""
    return _USERINFO.sub(r"\1", text)


def redacted(exc: MeasurementError) -> MeasurementError:
    """The same error, its message free of URL credentials."""
    clean = redact(str(exc))
    return exc if clean == str(exc) else type(exc)(clean, reason=exc.reason)


@dataclass
class RunResult:
    """One download + upload measurement with its latencies (None where the backend cannot tell)."""

    backend: str
    server: str  # shown in reports: never with credentials
    host: str | None = None  # the server's host name or address, for the route and link-speed lookup
    download_mbps: float | None = None
    upload_mbps: float | None = None
    latency_idle_ms: float | None = None
    latency_loaded_download_ms: float | None = None
    latency_loaded_upload_ms: float | None = None
    jitter_ms: float | None = None
    loss_percent: float | None = None
    dns_resolution_ms: float | None = None
    server_limit_mbps: float | None = None
    streams: int | None = None
    download_bytes: int | None = None
    upload_bytes: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def latency_loaded_ms(self) -> float | None:
        """The worse of the two loaded latencies: what a video call sees while the line is busy."""
        loaded = [x for x in (self.latency_loaded_download_ms, self.latency_loaded_upload_ms) if x is not None]
        return max(loaded) if loaded else None


def jitter_ms(rtts_ms: list[float]) -> float | None:
    """Mean absolute difference of consecutive round trips (the RFC 3550 idea, without smoothing)."""
    if len(rtts_ms) < 2:
        return None
    return sum(abs(b - a) for a, b in zip(rtts_ms, rtts_ms[1:], strict=False)) / (len(rtts_ms) - 1)


def dns_resolution_ms(host: str) -> float | None:
    """Time to resolve ``host`` with the system resolver; None for an address literal (nothing to resolve)."""
    try:
        ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    started = time.perf_counter()
    try:
        socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ServerUnreachable(f"cannot resolve {host}: {exc.strerror or exc}") from None
    return (time.perf_counter() - started) * 1000
