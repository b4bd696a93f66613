"""Read any saved Wi-Fi source: a pcap/pcapng capture, ``iw ... scan`` text or terse ``nmcli`` text."""

from __future__ import annotations

from pathlib import Path

from contract.errors import InputError, Reason
from contract.evidence.wifi import WifiScan
from probes.wifi.beacons import CaptureError, analyze_capture, looks_like_capture
from probes.wifi.iw import looks_like_iw, parse_iw_scan
from probes.wifi.nmcli import RECOMMENDED_COMMAND, looks_like_nmcli, parse_nmcli


class UnknownSourceError(InputError):
    """The file is none of the sources we read."""

    default_reason = Reason.unknown_format


def detect_source(path: Path) -> str:
    """"pcap", "iw" or "nmcli", from the file's content (never its name). Raises UnknownSourceError."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    if looks_like_capture(head):
        return "pcap"
    text = head.decode("utf-8", "replace")
    if looks_like_iw(text):
        return "iw"
    if looks_like_nmcli(text):
        return "nmcli"
    raise UnknownSourceError(
        f"{path}: not a pcap/pcapng capture, `iw dev IF scan` output or terse nmcli output "
        f"(save nmcli with: {RECOMMENDED_COMMAND})"
    )


def analyze_file(path: Path) -> WifiScan:
    """Parse ``path`` whatever its kind. Raises an InputError (UnknownSourceError, CaptureError, IwParseError,
    NmcliParseError) naming the file or line, or OSError."""
    source = detect_source(path)
    if source == "pcap":
        return analyze_capture(path)
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    if source == "iw":
        return parse_iw_scan(text)
    return parse_nmcli(text)


__all__ = ["CaptureError", "UnknownSourceError", "analyze_file", "detect_source"]
