"""Builders for the Wi-Fi tests: crafted frames (scapy) written to captures, and analysis shortcuts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.lab.wifi import beacon, cipher, eht, he, he_6ghz_operation, ht, rsn, vht
from contract.evidence.wifi import WifiNetwork
from probes.wifi.beacons import analyze_capture

__all__ = ["analyse", "beacon", "cipher", "eht", "he", "he_6ghz_operation", "ht", "one", "rsn", "vht", "write"]


def write(path: Path, frames: list[Any], *, pcapng: bool = False) -> Path:
    from scapy.all import wrpcap, wrpcapng

    (wrpcapng if pcapng else wrpcap)(str(path), frames)
    return path


def analyse(tmp_path: Path, frames: list[Any], *, pcapng: bool = False) -> list[WifiNetwork]:
    return analyze_capture(write(tmp_path / ("c.pcapng" if pcapng else "c.pcap"), frames, pcapng=pcapng)).networks


def one(tmp_path: Path, *extra: Any, channel: int = 36, dbm: int | None = -50, privacy: bool = True,
        **kwargs: Any) -> WifiNetwork:
    """Analyse a single crafted beacon with these extra elements; return its network."""
    networks = analyse(tmp_path, [beacon("02:00:00:00:00:01", b"Test", channel, dbm, list(extra), privacy=privacy,
                                         **kwargs)])
    assert len(networks) == 1
    return networks[0]
